/* Run control (debugger/debugger.h): continue, stepi, next, finish, until.
 *
 * How each kind of breakpoint is caught, on any accelerator:
 *   - BK_LINEAR: the accelerator's own linear breakpoints (struct debug_ctl,
 *     up to 16); the guest runs at full speed between them.  A condition is
 *     evaluated when the accelerator stops there; if false, it runs on.
 *   - everything else (BK_PHYSICAL, BK_MODE, BK_EXIT, BK_PORT, BK_VECTOR,
 *     watchpoints, more than 16 linear breakpoints): the vCPU is single
 *     stepped and after every instruction
 *       BK_PHYSICAL  CS.base+RIP is translated through the guest's tables;
 *       BK_MODE      the mode (16/32/64, dbg_cpu_mode) is compared with the
 *                    one before the instruction;
 *       BK_EXIT/PORT the machine's exit log is read for entries newer than
 *                    the instruction;
 *       BK_VECTOR    an EXCEPTION_NMI exit-log entry with the vector, or RIP
 *                    arriving at the vector's handler (IVT in real mode, IDT
 *                    gate otherwise, read when the step starts).  The
 *                    handler entry is also given to the accelerator as a
 *                    linear breakpoint, so that a fault delivered in the
 *                    middle of a step stops at the handler's first
 *                    instruction instead of after it.  A jump straight to a
 *                    handler shared by several vectors counts as a hit too;
 *       watchpoints  writes: the watched bytes are copied before the
 *                    instruction and compared after it (exact for every
 *                    write that changes them, whoever does it: CPU or DMA);
 *                    reads: the instruction is decoded before it runs and its
 *                    memory operand (segment base + effective address,
 *                    operand size), string source (rSI) and stack pops are
 *                    checked for overlap.  Reads by the hardware itself
 *                    (page walks, descriptor loads, IDT) are not seen.
 * Stepping masks external interrupts by default (`set step-irq off` to
 * change): the vCPU's interrupt-acknowledge hook is detached for the step,
 * so a pending timer interrupt waits, with RFLAGS.IF untouched. */
#include <stdio.h>
#include <string.h>

#include "cpu/decode.h"
#include "cpu/exec.h"
#include "cpu/seg.h"
#include "cpu/x86_cpu.h"
#include "debugger/debugger.h"
#include "machine/board.h"

void dbg_interrupt(struct debugger *d)
{
    d->interrupt = 1;
    struct machine *m = d->m;
    for (int i = 0; i < m->nvcpus; i++)
        x86_request_stop(&m->vcpu[i].cpu);
    board_wake(m);  /* the board may sleep until the next timer */
}

static struct vcpu *cur_vcpu(struct debugger *d)
{
    return &d->m->vcpu[d->cur_vcpu];
}

/* --- what an instruction is about to do ---------------------------------- */

struct insn_peek {
    bool valid;
    struct x86_insn in;
    uint64_t next_lin;          /* linear address of the next instruction */
    int nreads;
    uint64_t read_lin[3];
    uint64_t read_len[3];
};

static void add_read(struct insn_peek *p, uint64_t lin, uint64_t len)
{
    if (p->nreads < 3) {
        p->read_lin[p->nreads] = lin;
        p->read_len[p->nreads++] = len;
    }
}

static uint64_t seg_base(const struct x86_cpu *cpu, int seg)
{
    if (x86_code64(cpu) && seg != S_FS && seg != S_GS)
        return 0;
    return cpu->seg[seg].base;
}

static uint64_t addr_mask(const struct insn_peek *p)
{
    return p->in.addrsize == 8 ? ~0ull : p->in.addrsize == 4 ? 0xffffffffull : 0xffffull;
}

static void peek_insn(struct debugger *d, struct x86_cpu *cpu, struct insn_peek *p)
{
    uint8_t bytes[X86_MAX_INSN_LEN];
    memset(p, 0, sizeof(*p));
    uint64_t pc = dbg_pc_linear(cpu);
    long n = dbg_read_linear(d, pc, bytes, sizeof(bytes));
    if (n <= 0 || x86_decode(&p->in, bytes, (size_t)n, x86_code_bits(cpu)) <= 0)
        return;
    p->valid = true;
    p->next_lin = pc + p->in.len;
    const struct x86_insn *in = &p->in;
    int seg_src = in->seg_override != S_NONE ? in->seg_override : S_DS;
    uint64_t am = addr_mask(p);
    bool pure_store = (in->op == X86_OP_MOV && (in->form == FORM_RM_REG || in->form == FORM_RM_IMM)) ||
                      in->op == X86_OP_SETCC || in->op == X86_OP_LEA || in->op == X86_OP_POP;
    if ((in->flags & INSN_MEM) && !pure_store) {
        int size = in->src_size && in->op != X86_OP_MOV ? in->src_size : in->opsize;
        add_read(p, seg_base(cpu, in->mem.seg) + x86_ea(cpu, in), (uint64_t)size);
    }
    switch (in->op) {
    case X86_OP_MOVS: case X86_OP_LODS: case X86_OP_CMPS: case X86_OP_OUTS:
        add_read(p, seg_base(cpu, seg_src) + (cpu->gpr[R_RSI] & am), in->opsize);
        if (in->op == X86_OP_CMPS)
            add_read(p, seg_base(cpu, S_ES) + (cpu->gpr[R_RDI] & am), in->opsize);
        break;
    case X86_OP_SCAS:
        add_read(p, seg_base(cpu, S_ES) + (cpu->gpr[R_RDI] & am), in->opsize);
        break;
    case X86_OP_POP: case X86_OP_RET: case X86_OP_RETF: case X86_OP_IRET: case X86_OP_POPF:
    case X86_OP_LEAVE: case X86_OP_POP_SREG: {
        uint64_t sm = x86_code64(cpu) ? ~0ull : cpu->seg[S_SS].db ? 0xffffffffull : 0xffffull;
        add_read(p, seg_base(cpu, S_SS) + (cpu->gpr[R_RSP] & sm), in->opsize);
        break;
    }
    default:
        break;
    }
}

/* --- vectors -------------------------------------------------------------- */

/* Linear address of the handler of vector vec, from the IVT or the IDT. */
int dbg_vector_handler(struct debugger *d, int vec, uint64_t *lin)
{
    struct x86_cpu *cpu = &cur_vcpu(d)->cpu;
    if (vec < 0 || vec > 255)
        return -1;
    if (!x86_protected(cpu)) {
        uint16_t ivt[2];
        if ((unsigned)vec * 4 + 3 > cpu->idtr.limit ||
            dbg_read_linear(d, cpu->idtr.base + (uint64_t)vec * 4, ivt, 4) != 4)
            return -1;
        *lin = ((uint64_t)ivt[1] << 4) + ivt[0];
        return 0;
    }
    unsigned esize = x86_long_mode(cpu) ? 16 : 8;
    uint64_t raw[2] = { 0, 0 };
    if ((unsigned)vec * esize + esize - 1 > cpu->idtr.limit ||
        dbg_read_linear(d, cpu->idtr.base + (uint64_t)vec * esize, raw, esize) != (long)esize)
        return -1;
    struct x86_gate g;
    x86_desc_to_gate(raw[0], esize == 16 ? raw[1] : 0, &g);
    if (!g.present)
        return -1;
    if (x86_long_mode(cpu)) {
        *lin = g.offset;
        return 0;
    }
    /* The code segment's base, from the GDT or the LDT. */
    uint64_t table = (g.selector & SEL_TI) ? cpu->seg[S_LDTR].base : cpu->gdtr.base;
    uint64_t desc;
    if (dbg_read_linear(d, table + SEL_INDEX(g.selector), &desc, 8) != 8)
        return -1;
    struct x86_segment s;
    x86_desc_to_segment(desc, g.selector, &s);
    *lin = (s.base + g.offset) & 0xffffffffull;
    return 0;
}

/* --- checking after each instruction ------------------------------------ */

struct step_state {
    int mode;
    uint64_t log_total;
    struct insn_peek peek;
    uint8_t watched[DBG_MAX_WATCHPOINTS][DBG_WATCH_MAX_LEN];
    bool watched_ok[DBG_MAX_WATCHPOINTS];
};

static long watch_read(struct debugger *d, const struct dbg_watchpoint *w, void *buf)
{
    return w->physical ? dbg_read_phys(d, w->start, buf, w->len)
                       : dbg_read_linear(d, w->start, buf, w->len);
}

static bool needs_stepping(struct debugger *d)
{
    int nlinear = 0;
    for (int i = 0; i < DBG_MAX_BREAKPOINTS; i++) {
        const struct dbg_breakpoint *b = &d->bp[i];
        if (!b->id || !b->enabled)
            continue;
        if (b->kind != BK_LINEAR || ++nlinear > 16)
            return true;
    }
    for (int i = 0; i < DBG_MAX_WATCHPOINTS; i++)
        if (d->wp[i].id && d->wp[i].enabled)
            return true;
    return false;
}

/* The accelerator's linear breakpoints: the user's and `extra`. */
static void fill_ctl(struct debugger *d, struct debug_ctl *c, const uint64_t *extra, int nextra,
                     bool with_user)
{
    memset(c, 0, sizeof(*c));
    for (int i = 0; i < nextra && c->nbreak < 16; i++)
        c->breaks[c->nbreak++] = extra[i];
    for (int i = 0; with_user && i < DBG_MAX_BREAKPOINTS && c->nbreak < 16; i++) {
        const struct dbg_breakpoint *b = &d->bp[i];
        if (b->id && b->enabled && b->kind == BK_LINEAR)
            c->breaks[c->nbreak++] = b->value;
    }
}

static void before_step(struct debugger *d, struct step_state *s)
{
    struct x86_cpu *cpu = &cur_vcpu(d)->cpu;
    s->mode = dbg_cpu_mode(cpu);
    s->log_total = d->m->exits.total;
    peek_insn(d, cpu, &s->peek);
    for (int i = 0; i < DBG_MAX_WATCHPOINTS; i++) {
        const struct dbg_watchpoint *w = &d->wp[i];
        s->watched_ok[i] = w->id && w->enabled && (w->access & WATCH_WRITE) &&
                           watch_read(d, w, s->watched[i]) == (long)w->len;
    }
}

/* Does breakpoint b fire now, after the step described by s (NULL: the
 * accelerator stopped at a linear breakpoint without stepping)? */
static bool bp_fires(struct debugger *d, const struct dbg_breakpoint *b,
                     const struct step_state *s, struct dbg_stop *why)
{
    struct x86_cpu *cpu = &cur_vcpu(d)->cpu;
    uint64_t pc = dbg_pc_linear(cpu), gpa, handler;
    uint64_t nnew = s ? d->m->exits.total - s->log_total : 0;
    switch (b->kind) {
    case BK_LINEAR:
        return pc == b->value;
    case BK_PHYSICAL:
        return dbg_linear_to_phys(d, pc, &gpa) == 0 && gpa == b->value;
    case BK_MODE:
        return s && s->mode != dbg_cpu_mode(cpu) && dbg_cpu_mode(cpu) == (int)b->value;
    case BK_EXIT: case BK_PORT: case BK_VECTOR:
        for (uint64_t i = 0; i < nnew && i < EXIT_LOG_SIZE; i++) {
            const struct exit_log_entry *e = exit_log_recent(&d->m->exits, (size_t)i);
            if (!e)
                break;
            const struct vm_exit *x = &e->exit;
            bool hit = (b->kind == BK_EXIT && x->reason == b->value) ||
                       (b->kind == BK_PORT && x->reason == EXIT_IO_INSTRUCTION &&
                        b->value >= x->io.port && b->value < (uint64_t)x->io.port + x->io.size) ||
                       (b->kind == BK_VECTOR && x->reason == EXIT_EXCEPTION_NMI &&
                        x->exc.vector == b->value);
            if (hit) {
                why->exit = *x;
                if (x->vcpu < (uint32_t)d->m->nvcpus)
                    why->vcpu = (int)x->vcpu;   /* reported where it exited */
                return true;
            }
        }
        if (b->kind == BK_VECTOR && s && dbg_vector_handler(d, (int)b->value, &handler) == 0 &&
            pc == handler && s->peek.next_lin != pc) {
            memset(&why->exit, 0, sizeof(why->exit));
            why->exit.reason = EXIT_EXCEPTION_NMI;
            why->exit.rip = cpu->rip;
            why->exit.exc.vector = (uint8_t)b->value;
            return true;
        }
        return false;
    }
    return false;
}

static bool ranges_overlap(uint64_t a, uint64_t alen, uint64_t b, uint64_t blen)
{
    return a < b + blen && b < a + alen;
}

/* Check every breakpoint and watchpoint; true (and *why) if one fires. */
static bool check_stop(struct debugger *d, const struct step_state *s, struct dbg_stop *why)
{
    struct x86_cpu *cpu = &cur_vcpu(d)->cpu;
    for (int i = 0; i < DBG_MAX_BREAKPOINTS; i++) {
        struct dbg_breakpoint *b = &d->bp[i];
        why->vcpu = d->cur_vcpu;
        if (!b->id || !b->enabled || !bp_fires(d, b, s, why))
            continue;
        if (!dbg_cond_true(&d->m->vcpu[why->vcpu].cpu, &b->cond)) {
            why->vcpu = d->cur_vcpu;
            continue;
        }
        d->cur_vcpu = why->vcpu;    /* all-stop: the vCPU that hit it is current */
        b->hits++;
        why->reason = STOP_BREAKPOINT;
        why->bp_id = b->id;
        if (b->temporary)
            dbg_delete(d, b->id);
        return true;
    }
    for (int i = 0; s && i < DBG_MAX_WATCHPOINTS; i++) {
        struct dbg_watchpoint *w = &d->wp[i];
        if (!w->id || !w->enabled)
            continue;
        uint8_t now[DBG_WATCH_MAX_LEN];
        if (s->watched_ok[i] && watch_read(d, w, now) == (long)w->len &&
            memcmp(now, s->watched[i], w->len)) {
            size_t off = 0;
            while (off < w->len && now[off] == s->watched[i][off])
                off++;
            why->addr = w->start + off;
            why->access = WATCH_WRITE;
            goto hit;
        }
        if (!(w->access & WATCH_READ) || !s->peek.valid)
            continue;
        for (int r = 0; r < s->peek.nreads; r++) {
            uint64_t lin = s->peek.read_lin[r], at = lin;
            if (!x86_code64(cpu))
                at &= 0xffffffffull;
            if (w->physical && dbg_linear_to_phys(d, at, &at) < 0)
                continue;
            if (ranges_overlap(at, s->peek.read_len[r], w->start, w->len)) {
                why->addr = at;
                why->access = WATCH_READ;
                goto hit;
            }
        }
        continue;
hit:
        w->hits++;
        why->reason = STOP_WATCHPOINT;
        why->wp_id = w->id;
        return true;
    }
    return false;
}

/* Turn a non-debug exit of run_machine into a stop; false for a debug exit. */
static bool exit_stops(struct debugger *d, int rc, const struct vm_exit *e, struct dbg_stop *why)
{
    struct machine *m = d->m;
    why->exit = *e;
    if (rc < 0 || e->reason == EXIT_GLASS_INTERNAL_ERROR) {
        why->reason = STOP_ERROR;
        return true;
    }
    switch (e->reason) {
    case EXIT_GLASS_DEBUG:
        return false;
    case EXIT_HLT:
        why->reason = STOP_HALTED;
        return true;
    case EXIT_TRIPLE_FAULT:
        why->reason = STOP_MACHINE_EXIT;
        why->exit_status = 0;
        return true;
    case EXIT_GLASS_STOP:
        if (m->stop) {
            why->reason = STOP_MACHINE_EXIT;
            why->exit_status = m->exit_status;
        } else {
            why->reason = STOP_INTERRUPTED;
        }
        return true;
    default:
        why->reason = STOP_ERROR;
        return true;
    }
}

/* The board runs the machine (machine_run_debug, machine/smp_debug.c):
 * every vCPU as machine_run does (slices, timers, serial input, halts,
 * INIT/SIPI, reboots), the current one with the debug controls ctl, the
 * others with the user's linear breakpoints, until a debug exit, Ctrl-C,
 * the end of the machine or max_insns single steps (max_insns > 0).
 * Another vCPU stopped at a breakpoint is checked here (condition, hits,
 * temporary): when the breakpoint fires that vCPU becomes current and the
 * result is 1 with *why filled (all-stop, as gdb does); when its condition
 * is false, that vCPU steps off it and the machine runs on.  Otherwise 0
 * with *exit for the caller to look at, or -1 on an accelerator error. */
static int run_machine(struct debugger *d, const struct debug_ctl *ctl, uint64_t max_insns,
                       struct vm_exit *exit, struct dbg_stop *why)
{
    static const struct debug_ctl step_off;     /* one step, no breakpoints */
    struct machine *m = d->m;
    struct debug_ctl others;
    fill_ctl(d, &others, NULL, 0, true);
    int rc = machine_run_debug(m, ctl, &others, d->cur_vcpu, max_insns, &d->interrupt, exit);
    while (rc >= 0 && exit->reason == EXIT_GLASS_DEBUG && exit->vcpu != (uint32_t)d->cur_vcpu &&
           exit->vcpu < (uint32_t)m->nvcpus) {
        int cur = d->cur_vcpu, at = (int)exit->vcpu;
        d->cur_vcpu = at;
        if (check_stop(d, NULL, why))
            return 1;
        rc = machine_run_debug(m, &step_off, &others, at, 1, &d->interrupt, exit);
        d->cur_vcpu = cur;
        if (rc >= 0 && exit->reason == EXIT_GLASS_DEBUG && exit->vcpu == (uint32_t)at)
            rc = machine_run_debug(m, ctl, &others, cur, max_insns, &d->interrupt, exit);
    }
    return rc;
}

static void begin(struct debugger *d, struct dbg_stop *why)
{
    memset(why, 0, sizeof(*why));
    why->vcpu = d->cur_vcpu;
    why->reason = STOP_STEP_DONE;
    dbg_cpu(d);
}

/* After a stop: interrupts acknowledged, the stop request withdrawn (unless
 * the machine itself is ending). */
static void end(struct debugger *d)
{
    struct machine *m = d->m;
    d->interrupt = 0;
    if (!m->stop)
        for (int i = 0; i < m->nvcpus; i++)
            m->vcpu[i].cpu.env.stop_request = 0;
}

/* One instruction, then the checks.  true when something stopped us. */
static bool step_one(struct debugger *d, bool mask_irqs, struct dbg_stop *why)
{
    struct vcpu *v = cur_vcpu(d);
    struct step_state s;
    uint64_t handlers[16];
    int nh = 0;
    before_step(d, &s);
    for (int i = 0; i < DBG_MAX_BREAKPOINTS && nh < 16; i++) {
        const struct dbg_breakpoint *b = &d->bp[i];
        if (b->id && b->enabled && b->kind == BK_VECTOR &&
            dbg_vector_handler(d, (int)b->value, &handlers[nh]) == 0)
            nh++;
    }
    struct debug_ctl c;
    fill_ctl(d, &c, handlers, nh, false);
    int (*ack)(void *) = v->cpu.env.intr_ack;
    if (mask_irqs)
        v->cpu.env.intr_ack = NULL;
    struct vm_exit e;
    int rc = run_machine(d, &c, 1, &e, why);
    v->cpu.env.intr_ack = ack;
    if (rc > 0 || exit_stops(d, rc, &e, why))
        return true;
    return check_stop(d, &s, why);
}

static bool is_call(const struct insn_peek *p)
{
    if (!p->valid)
        return false;
    switch (p->in.op) {
    case X86_OP_CALL: case X86_OP_CALL_IND: case X86_OP_CALLF: case X86_OP_CALLF_IND:
    case X86_OP_INT: case X86_OP_INTO: case X86_OP_INT3: case X86_OP_INT1:
        return true;
    case X86_OP_MOVS: case X86_OP_STOS: case X86_OP_LODS: case X86_OP_CMPS: case X86_OP_SCAS:
    case X86_OP_INS: case X86_OP_OUTS:
        return (p->in.flags & (INSN_REP | INSN_REPNE)) != 0;
    default:
        return false;
    }
}

static bool is_return(const struct insn_peek *p)
{
    return p->valid && (p->in.op == X86_OP_RET || p->in.op == X86_OP_RETF ||
                        p->in.op == X86_OP_IRET || p->in.op == X86_OP_SYSRET ||
                        p->in.op == X86_OP_SYSEXIT);
}

static uint64_t stack_ptr(const struct x86_cpu *cpu)
{
    uint64_t sp = cpu->gpr[R_RSP];
    return x86_code64(cpu) ? sp : cpu->seg[S_SS].db ? sp & 0xffffffffull : sp & 0xffffull;
}

/* Run until CS.base+RIP == target (with the stack no deeper than sp_min
 * when check_sp), or until something else stops us. */
static void run_to(struct debugger *d, uint64_t target, bool check_sp, uint64_t sp_min,
                   struct dbg_stop *why)
{
    struct x86_cpu *cpu = &cur_vcpu(d)->cpu;
    for (;;) {
        if (dbg_pc_linear(cpu) == target && (!check_sp || stack_ptr(cpu) >= sp_min)) {
            why->reason = STOP_STEP_DONE;
            return;
        }
        if (needs_stepping(d)) {
            if (step_one(d, false, why))
                return;
            continue;
        }
        struct debug_ctl c;
        struct vm_exit e;
        fill_ctl(d, &c, &target, 1, true);
        int rc = run_machine(d, &c, 0, &e, why);
        if (rc > 0 || exit_stops(d, rc, &e, why))
            return;
        if (dbg_pc_linear(cpu) == target && (!check_sp || stack_ptr(cpu) >= sp_min))
            continue;   /* done at the top of the loop */
        if (check_stop(d, NULL, why))
            return;
    }
}

int dbg_stepi(struct debugger *d, uint64_t n, struct dbg_stop *why)
{
    begin(d, why);
    for (uint64_t i = 0; i < n; i++)
        if (step_one(d, d->step_irqs_masked, why))
            break;
    end(d);
    return 0;
}

int dbg_continue(struct debugger *d, struct dbg_stop *why)
{
    begin(d, why);
    /* Off the current instruction first, so that a breakpoint here is
     * not hit again before anything ran. */
    if (step_one(d, false, why))
        goto out;
    if (needs_stepping(d)) {
        while (!step_one(d, false, why))
            ;
        goto out;
    }
    for (;;) {
        struct debug_ctl c;
        struct vm_exit e;
        fill_ctl(d, &c, NULL, 0, true);
        int rc = run_machine(d, &c, 0, &e, why);
        if (rc > 0 || exit_stops(d, rc, &e, why) || check_stop(d, NULL, why))
            break;
    }
out:
    end(d);
    return 0;
}

int dbg_next(struct debugger *d, struct dbg_stop *why)
{
    begin(d, why);
    struct x86_cpu *cpu = &cur_vcpu(d)->cpu;
    struct insn_peek p;
    peek_insn(d, cpu, &p);
    uint64_t sp = stack_ptr(cpu);
    if (!step_one(d, d->step_irqs_masked, why) && is_call(&p) && dbg_pc_linear(cpu) != p.next_lin)
        run_to(d, p.next_lin, true, sp, why);
    end(d);
    return 0;
}

int dbg_finish(struct debugger *d, struct dbg_stop *why)
{
    begin(d, why);
    struct x86_cpu *cpu = &cur_vcpu(d)->cpu;
    /* Done when a return pops the frame we are in: a RET/IRET leaving the
     * stack above where it was at the start (an exception handler's IRET
     * returns into this frame, below that). */
    uint64_t sp0 = stack_ptr(cpu);
    for (;;) {
        struct insn_peek p;
        peek_insn(d, cpu, &p);
        uint64_t sp = stack_ptr(cpu);
        if (step_one(d, d->step_irqs_masked, why))
            break;
        if (is_return(&p) && stack_ptr(cpu) > sp0)
            break;      /* returned: STOP_STEP_DONE */
        if (is_call(&p) && dbg_pc_linear(cpu) != p.next_lin) {
            run_to(d, p.next_lin, true, sp, why);
            if (why->reason != STOP_STEP_DONE)
                break;
        }
    }
    end(d);
    return 0;
}

int dbg_until(struct debugger *d, uint64_t lin, struct dbg_stop *why)
{
    begin(d, why);
    if (!step_one(d, false, why))
        run_to(d, lin, false, 0, why);
    end(d);
    return 0;
}
