/* The interpreter's run loop (cpu/interp.h).
 *
 * Between blocks it looks at the world: stop requests, NMI and external
 * interrupts (unless blocked by IF or the interrupt shadow), HLT, the
 * instruction budget, breakpoints.  Then it finds the block at CS:RIP —
 * one TLB lookup for the host pointer, one hash lookup — and runs its
 * handlers in a tight loop, leaving the block as soon as RIP is not the
 * next instruction's (a branch, an unfinished REP) or the cache changed
 * under it (self-modifying code).
 *
 * Faults longjmp back to interp_run_cache, which delivers them
 * (x86_deliver_pending) and re-enters the loop.  The loop itself lives in
 * run_loop, a separate function, so no local variable of the function that
 * called setjmp changes between setjmp and longjmp (C11 7.13.2.1). */
#include "cpu/interp.h"

#include <pthread.h>
#include <string.h>

#include "cpu/exception.h"
#include "cpu/mmu.h"
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

/* Run one block's instructions (at most `limit`); false if the block was
 * left early (a branch taken, an unfinished REP, code changed under it). */
static inline bool run_insns(struct x86_cpu *cpu, const struct interp_cache *c,
                             const struct ic_block *b, uint64_t limit)
{
    uint64_t gen = interp_cache_gen(c);
    const struct ic_insn *e = b->insn, *end = b->insn + (b->n < limit ? b->n : limit);
    /* insn_count is brought up to date when the block is left; an
     * instruction that faults is not counted, nor (statistics only) the
     * ones before it in the block. */
    do {
        uint64_t next = cpu->rip + e->in.len;
        e->fn(cpu, &e->in);
        if (cpu->rip != next || interp_cache_gen(c) != gen) {
            cpu->insn_count += (uint64_t)(e - b->insn) + 1;
            return false;
        }
    } while (++e < end);
    cpu->insn_count += (uint64_t)(e - b->insn);
    return true;
}

/* The block after b, if the world allows going on without the checks of
 * run_loop: b ended in a core op (mode, CS, IF, TF unchanged), nothing is
 * pending, the budget is not spent, and the next RIP lies in the same
 * linear page (same mapping: no TLB lookup). */
static inline struct ic_block *next_block(struct x86_cpu *cpu, struct interp_cache *c,
                                          struct ic_block *b, uint64_t *lin,
                                          const uint8_t **host, int bits, uint64_t end_count)
{
    uint64_t nlin;

    if (!b->chain_ok || cpu->env.intr_pending || cpu->env.stop_request || cpu->nmi_pending ||
        cpu->insn_count >= end_count)
        return NULL;
    if (bits == 64) {
        nlin = cpu->rip;
    } else {
        if (cpu->rip > cpu->seg[S_CS].limit)
            return NULL;
        nlin = cpu->seg[S_CS].base + cpu->rip;
        if (!x86_long_mode(cpu))
            nlin &= 0xffffffffull;
    }
    if ((nlin ^ *lin) & ~0xfffull)
        return NULL;
    const uint8_t *nhost = *host - (*lin & 0xfff) + (nlin & 0xfff);
    *lin = nlin;
    *host = nhost;
    for (int i = 0; i < 2; i++)
        if (b->succ_host[i] == nhost && b->succ[i]->valid)
            return b->succ[i];
    uint64_t flushes = c->stats.flushes;
    struct ic_block *nb = interp_cache_get(c, cpu, nhost, nlin, bits);
    if (nb && flushes == c->stats.flushes) { /* b is still b: remember the way */
        b->succ_host[1] = b->succ_host[0];
        b->succ[1] = b->succ[0];
        b->succ_host[0] = nhost;
        b->succ[0] = nb;
    }
    return nb;
}

/* Run from CS:RIP: `limit` instructions (1 when stepping), or block after
 * block while next_block allows. */
static void run_blocks(struct x86_cpu *cpu, struct interp_cache *c, uint64_t limit,
                       uint64_t end_count)
{
    int bits = x86_code_bits(cpu);
    uint64_t lin = code_linear(cpu, bits);
    const uint8_t *host = c ? code_host(cpu, lin) : NULL;
    struct ic_block *b = host ? interp_cache_get(c, cpu, host, lin, bits) : NULL;

    if (!b) {
        step_uncached(cpu, c);
        return;
    }
    if (limit == 1) {
        run_insns(cpu, c, b, 1);
        return;
    }
    do {
        run_insns(cpu, c, b, end_count - cpu->insn_count);
    } while ((b = next_block(cpu, c, b, &lin, &host, bits, end_count)) != NULL);
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

/* Deliver an NMI or an external interrupt if one is pending and allowed. */
static void take_interrupts(struct x86_cpu *cpu)
{
    if (cpu->interrupt_shadow)
        return;
    if (cpu->nmi_pending && !cpu->nmi_blocked) {
        cpu->nmi_pending = 0;
        x86_deliver_interrupt(cpu, EV_NMI, X86_NMI);
        return;
    }
    if (cpu->env.intr_pending && (cpu->rflags & FL_IF) && cpu->env.intr_ack) {
        /* Clear first: a device raising a line meanwhile sets it again. */
        cpu->env.intr_pending = 0;
        int vec = cpu->env.intr_ack(cpu->env.opaque);
        if (vec >= 0) {
            cpu->env.intr_pending = 1; /* there may be more: look again */
            x86_deliver_interrupt(cpu, EV_EXTINT, vec);
        }
    }
}

static int stop(struct x86_cpu *cpu, struct vm_exit *exit, uint32_t reason)
{
    exit->reason = reason;
    exit->rip = cpu->rip;
    return 0;
}

static int run_loop(struct x86_cpu *cpu, struct interp_cache *c, struct vm_exit *exit,
                    uint64_t end_count)
{
    for (;;) {
        if (cpu->shutdown)
            return stop(cpu, exit, EXIT_TRIPLE_FAULT);
        if (cpu->env.stop_request)
            return stop(cpu, exit, EXIT_GLASS_STOP);
        if (cpu->env.intr_pending || cpu->nmi_pending) {
            take_interrupts(cpu);
            if (cpu->shutdown)
                return stop(cpu, exit, EXIT_TRIPLE_FAULT);
        }
        if (cpu->halted)
            return stop(cpu, exit, EXIT_HLT);
        if (cpu->insn_count >= end_count)
            return stop(cpu, exit, EXIT_GLASS_STOP);

        const struct debug_ctl *d = c ? interp_cache_debug(c) : NULL;
        if (d && d->nbreak && at_breakpoint(cpu, c))
            return stop(cpu, exit, EXIT_GLASS_DEBUG);

        bool tf = (cpu->rflags & FL_TF) != 0;
        bool stepping = d && d->single_step;
        if (tf || stepping || cpu->interrupt_shadow || (d && d->nbreak)) {
            /* One instruction at a time. */
            run_blocks(cpu, c, 1, end_count);
            if (cpu->interrupt_shadow)
                cpu->interrupt_shadow--;
            if (tf)
                single_step_trap(cpu);
            if (stepping)
                return stop(cpu, exit, EXIT_GLASS_DEBUG);
            continue;
        }
        run_blocks(cpu, c, UINT64_MAX, end_count);
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
    uint64_t end_count = max_insns ? cpu->insn_count + max_insns : UINT64_MAX;
    int rc;

    cpu->fault_jmp = &jb;
    if (setjmp(jb)) {
        /* An instruction faulted: RIP still names it; deliver the event. */
        x86_deliver_pending(cpu);
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
