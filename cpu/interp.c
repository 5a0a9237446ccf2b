/* The interpreter's run loop (cpu/interp.h).
 *
 * Between blocks it looks at the world: stop requests, NMI and external
 * interrupts (unless blocked by IF or the interrupt shadow), HLT, the
 * instruction budget, breakpoints.  Then it finds the block at CS:RIP —
 * one TLB lookup for the host pointer, one hash lookup — and starts it:
 * each handler goes on to the next itself, and a block's last branch (or
 * its terminator) goes on to the next block (cpu/interp_chain.c), until
 * something needs the run loop: a system instruction, a pending interrupt
 * or stop, the end of the budget, an unfinished REP, code changed under the
 * block.  Single steps, breakpoints and the end of a budget run one
 * instruction at a time (run_stepwise).
 *
 * Faults longjmp back to interp_run_cache, which delivers them
 * (x86_deliver_pending) and re-enters the loop.  The loop itself lives in
 * run_loop, a separate function, so no local variable of the function that
 * called setjmp changes between setjmp and longjmp (C11 7.13.2.1). */
#include "cpu/interp.h"

#include <pthread.h>
#include <stdbool.h>
#include <string.h>

#include "cpu/exception.h"
#include "cpu/interp_block.h"
#include "cpu/mmu.h"
#include "cpu/run_checks.h"
#include "mem/tlb.h"

#define DR6_BS (1ull << 14)  /* single-step trap (SDM Vol. 3, 18.2.3) */

/* --- which cache belongs to which CPU --- */

#define INTERP_MAX_ATTACHED 64
static struct {
    struct x86_cpu *cpu;
    struct interp_cache *cache;
} attached[INTERP_MAX_ATTACHED];
static pthread_mutex_t attached_lock = PTHREAD_MUTEX_INITIALIZER;

void interp_attach(struct x86_cpu *cpu, struct interp_cache *c)
{
    pthread_mutex_lock(&attached_lock);
    int free_slot = -1;
    for (int i = 0; i < INTERP_MAX_ATTACHED; i++) {
        if (attached[i].cpu == cpu) {
            attached[i].cache = c;
            if (!c)
                attached[i].cpu = NULL;
            pthread_mutex_unlock(&attached_lock);
            return;
        }
        if (!attached[i].cpu && free_slot < 0)
            free_slot = i;
    }
    if (c && free_slot >= 0) {
        attached[free_slot].cpu = cpu;
        attached[free_slot].cache = c;
    }
    pthread_mutex_unlock(&attached_lock);
}

static struct interp_cache *cache_of(struct x86_cpu *cpu)
{
    struct interp_cache *c = NULL;
    pthread_mutex_lock(&attached_lock);
    for (int i = 0; i < INTERP_MAX_ATTACHED; i++)
        if (attached[i].cpu == cpu)
            c = attached[i].cache;
    pthread_mutex_unlock(&attached_lock);
    return c;
}

/* --- fetching --- */

/* The linear address of CS:RIP, after the checks a fetch makes: RIP
 * canonical in 64-bit mode, within CS.limit otherwise, else #GP(0). */
static inline uint64_t code_linear(struct x86_cpu *cpu, int bits)
{
    if (bits == 64) {
        if ((uint64_t)((int64_t)(cpu->rip << 16) >> 16) != cpu->rip)
            x86_raise(cpu, X86_GP, 0);
        return cpu->rip;
    }
    if (cpu->rip > cpu->seg[S_CS].limit)
        x86_raise(cpu, X86_GP, 0);
    uint64_t lin = cpu->seg[S_CS].base + cpu->rip;
    return x86_long_mode(cpu) ? lin : lin & 0xffffffffull;
}

/* Host pointer of the code byte at lin, or NULL (MMIO: fetch slowly). */
static inline const uint8_t *code_host(struct x86_cpu *cpu, uint64_t lin)
{
    if (cpu->env.tlb) {
        void *p = tlb_lookup(cpu->env.tlb, lin, 1, TLB_EXEC, cpu->cpl == 3);
        if (p)
            return p;
    }
    return x86_lin_ptr(cpu, lin, 1, ACC_EXEC);
}

/* Decode the instruction at CS:RIP afresh, through x86_lin_fetch. */
static void decode_here(struct x86_cpu *cpu, struct x86_insn *in)
{
    int bits = x86_code_bits(cpu);
    uint64_t lin = code_linear(cpu, bits);
    uint8_t buf[X86_MAX_INSN_LEN];
    int want = X86_MAX_INSN_LEN, got;

    if (bits != 64 && (uint64_t)cpu->seg[S_CS].limit - cpu->rip + 1 < (uint64_t)want)
        want = (int)((uint64_t)cpu->seg[S_CS].limit - cpu->rip + 1);
    got = x86_lin_fetch(cpu, lin, buf, want);
    int len = x86_decode(in, buf, (size_t)got, bits);
    if (len == X86_DECODE_NEED_MORE) {
        if (got < want) /* the next page is not there: fault on it */
            x86_lin_fetch(cpu, (lin + (uint64_t)got) & (x86_long_mode(cpu) ? ~0ull : 0xffffffffull),
                          buf, 1);
        x86_raise(cpu, X86_GP, 0); /* runs past the CS limit */
    }
    if (len == X86_DECODE_TOO_LONG)
        x86_raise(cpu, X86_GP, 0);
}

/* --- executing --- */

/* Single-step trap after an instruction that began with TF = 1. */
static void single_step_trap(struct x86_cpu *cpu)
{
    cpu->dr[6] |= DR6_BS;
    cpu->pending = (struct x86_event){ .type = EV_HW_EXCEPTION, .vector = X86_DB };
    x86_deliver_pending(cpu);
}

/* One instruction, decoded afresh (code in MMIO, an instruction crossing a
 * page, or no cache). */
static void step_uncached(struct x86_cpu *cpu, struct interp_cache *c)
{
    struct x86_insn in;
    decode_here(cpu, &in);
    x86_exec_table[in.op](cpu, &in);
    cpu->insn_count++;
    if (c)
        interp_cache_count_uncached(c);
}

/* The block mode (IC_MODE_*) of the CPU now: the code size, and whether
 * the segments are flat so that the specialised handlers may treat an
 * offset as the linear address (what ix_seg_flat accepts, for CS, DS, ES
 * and SS at once, and a 32-bit stack). */
static int block_mode(const struct x86_cpu *cpu, int bits)
{
    if (bits == 64)
        return 64 | IC_MODE_FLAT;
    if (bits != 32)
        return bits;
    const struct x86_segment *cs = &cpu->seg[S_CS];
    if (cs->base || cs->limit != 0xffffffffu || !cpu->seg[S_SS].db)
        return bits;
    for (int s = S_ES; s <= S_DS; s++) {
        const struct x86_segment *d = &cpu->seg[s];
        if (s == S_CS)
            continue;
        if (d->base || d->limit != 0xffffffffu || d->unusable || (d->type & 0xe) != 0x2)
            return bits; /* not writable expand-up data with a 4 GiB limit */
    }
    return 32 | IC_MODE_FLAT;
}

/* The handler after the one instruction run_stepwise runs: stop there. */
static const struct ic_insn *stop_here(struct x86_cpu *cpu, const struct ic_insn *e)
{
    (void)cpu;
    return e;
}

/* Run at most `limit` instructions of b one at a time, each with its
 * unfused handler, counting each (for single steps and the end of a
 * budget); stop where the block is left.  Each runs from a copy followed
 * by a stop entry, so that a threaded handler goes no further. */
static void run_stepwise(struct x86_cpu *cpu, const struct ic_block *b, uint64_t limit)
{
    struct ic_insn step[2];

    for (const struct ic_insn *e = b->insn; limit-- && e < b->insn + b->n; e++) {
        uint64_t count = cpu->insn_count;
        step[0] = *e;
        step[1] = (struct ic_insn){ .fn = stop_here, .blk = e->blk, .idx = b->n };
        const struct ic_insn *next = e->fn1(cpu, &step[0]);
        cpu->insn_count = count + 1;
        if (next != &step[1] || cpu->rip != e->next_rip)
            return; /* left the block, or a branch */
    }
}

/* Run from CS:RIP: one instruction when stepping, else block after block
 * for as long as the terminators chain them (cpu/interp_chain.c). */
static void run_blocks(struct x86_cpu *cpu, struct interp_cache *c, bool one, uint64_t end_count)
{
    int bits = x86_code_bits(cpu);
    uint64_t lin = code_linear(cpu, bits);
    const uint8_t *host = c ? code_host(cpu, lin) : NULL;
    struct ic_block *b = host ? interp_cache_get(c, cpu, host, lin, block_mode(cpu, bits)) : NULL;

    if (!b) {
        step_uncached(cpu, c);
        return;
    }
    uint64_t left = end_count - cpu->insn_count;
    if (one || left < b->n) {
        run_stepwise(cpu, b, one ? 1 : left);
        return;
    }
    c->end_count = end_count;
    c->stack_limit = ic_stack_pointer() - IC_STACK_ALLOWANCE;
    c->cur = b;
    const struct ic_insn *e = b->insn;
    do
        e = e->fn(cpu, e);
    while (e);
    c->cur = NULL;
}

/* An instruction of block b (the one running) raised an event: the
 * instructions before it in b retired, and it too when it was INT n, INT3,
 * INTO or INT1 (a block counts its instructions when it is left, which
 * the longjmp skips).  RIP names the faulting instruction, or the one
 * after the trapping one (b's end, if it was the last). */
static void count_before_fault(struct x86_cpu *cpu, const struct ic_block *b)
{
    uint64_t rip = b->rip;
    for (unsigned k = 0;; k++) {
        if (rip == cpu->rip) {
            cpu->insn_count += k;
            return;
        }
        if (k == b->n)
            return;
        rip = b->insn[k].next_rip;
    }
}

static bool at_breakpoint(struct x86_cpu *cpu, struct interp_cache *c)
{
    const struct debug_ctl *d = interp_cache_debug(c);
    uint64_t lin = cpu->seg[S_CS].base + cpu->rip;
    if (!x86_code64(cpu))
        lin &= 0xffffffffull;
    for (int i = 0; i < d->nbreak; i++) {
        if (d->breaks[i] == lin) {
            if (interp_cache_take_resume(c, lin))
                return false; /* resuming from this very breakpoint */
            interp_cache_set_resume(c, lin);
            return true;
        }
    }
    return false;
}

/* The checks before each block (stop, interrupts, HLT, budget) are
 * cpu/run_checks.h's, shared with the translator's dispatcher. */
static int run_loop(struct x86_cpu *cpu, struct interp_cache *c, struct vm_exit *exit,
                    uint64_t end_count)
{
    for (;;) {
        if (run_must_stop(cpu, exit, end_count))
            return 0;

        const struct debug_ctl *d = c ? interp_cache_debug(c) : NULL;
        if (d && d->nbreak && at_breakpoint(cpu, c))
            return run_stop(cpu, exit, EXIT_GLASS_DEBUG);

        bool tf = (cpu->rflags & FL_TF) != 0;
        bool stepping = d && d->single_step;
        if (tf || stepping || cpu->interrupt_shadow) {
            /* One instruction at a time. */
            run_blocks(cpu, c, true, end_count);
            if (c)
                c->resume_valid = 0;    /* the breakpoint to resume from is behind us */
            if (cpu->interrupt_shadow)
                cpu->interrupt_shadow--;
            if (tf)
                single_step_trap(cpu);
            if (stepping)
                return run_stop(cpu, exit, EXIT_GLASS_DEBUG);
            continue;
        }
        run_blocks(cpu, c, false, end_count);
        if (c)
            c->resume_valid = 0;
        /* STI / MOV SS / POP SS end their block: their shadow covers the
         * next instruction only, which the one-at-a-time path above runs. */
        if (cpu->interrupt_shadow > 1)
            cpu->interrupt_shadow--;
    }
}

int interp_run_cache(struct x86_cpu *cpu, struct interp_cache *c, struct vm_exit *exit,
                     uint64_t max_insns)
{
    jmp_buf jb;
    jmp_buf *saved = cpu->fault_jmp;
    /* volatile: changed between setjmp and the next longjmp */
    volatile uint64_t end_count = max_insns ? cpu->insn_count + max_insns : UINT64_MAX;
    int rc;

    cpu->fault_jmp = &jb;
    if (setjmp(jb)) {
        /* An instruction faulted: RIP still names it; deliver the event. */
        if (c && c->cur) {
            count_before_fault(cpu, c->cur);
            c->cur = NULL;
        } else if (x86_pending_retired(cpu)) {
            cpu->insn_count++;  /* INT n etc. run alone (a step, no block) */
        }
        run_deliver_raised(cpu, &end_count, max_insns != 0);
        cpu->fault_jmp = &jb;
    }
    rc = run_loop(cpu, c, exit, end_count);
    cpu->fault_jmp = saved;
    return rc;
}

int interp_run(struct x86_cpu *cpu, struct vm_exit *exit, uint64_t max_insns)
{
    return interp_run_cache(cpu, cache_of(cpu), exit, max_insns);
}

static int step_once(struct x86_cpu *cpu)
{
    jmp_buf jb;
    cpu->fault_jmp = &jb;
    if (setjmp(jb))
        return 1;
    step_uncached(cpu, NULL);
    return 0;
}

int interp_step(struct x86_cpu *cpu)
{
    jmp_buf *saved = cpu->fault_jmp;
    int r = step_once(cpu);
    cpu->fault_jmp = saved;
    return r;
}
