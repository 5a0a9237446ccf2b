/* The dispatcher: between translated blocks it looks at the world (stop
 * requests, NMIs and interrupts, HLT, the budget, debugging), finds or
 * builds the block at CS:RIP, patches the chained jump that led here, and
 * enters the block's host code.  Blocks run on from one to the next by
 * themselves (chained jumps, the jump cache) and come back here only when
 * something needs it; each block's entry checks for pending interrupts and
 * the budget, so a loop without exits still takes its timer interrupt.
 *
 * What the translator does not run natively runs on the interpreter with
 * this vCPU's own interpreter cache: modes other than 32-bit flat and
 * 64-bit, single steps, the instruction at a breakpoint, TF, the
 * instruction after STI / MOV SS, code in MMIO or crossing a page.
 *
 * Faults longjmp back to bt_run (x86_raise), which delivers them
 * (x86_deliver_pending) and re-enters the loop, as interp_run_cache does. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cpu/exception.h"
#include "cpu/mmu.h"
#include "cpu/run_checks.h"
#include "mem/tlb.h"
#include "translate/bt.h"
#include "translate/bt_internal.h"

#define BT_CODE_SIZE (32u << 20)
#define BT_INTERP_CHUNK 2000    /* instructions per interpreter run for other modes */

typedef uintptr_t (*bt_enter_fn)(struct x86_cpu *cpu, struct bt_vcpu *bt, uintptr_t code);

struct bt_vcpu *bt_vcpu_create(struct x86_cpu *cpu)
{
    struct bt_vcpu *bt = calloc(1, sizeof(*bt));
    if (!bt) {
        fprintf(stderr, "glass: bt: out of memory\n");
        return NULL;
    }
    bt->hot = calloc(1, sizeof(*bt->hot));
    if (!bt->hot) {
        fprintf(stderr, "glass: bt: out of memory\n");
        free(bt);
        return NULL;
    }
    bt->cpu = cpu;
    bt->code.fd = -1;
    if (bt_code_init(&bt->code, BT_CODE_SIZE) < 0) {
        free(bt->hot);
        free(bt);
        return NULL;
    }
    bt->icache = interp_cache_create();
    if (!bt->icache) {
        fprintf(stderr, "glass: bt: out of memory for the interpreter cache\n");
        bt_code_destroy(&bt->code);
        free(bt->hot);
        free(bt);
        return NULL;
    }
    bt_backend_stubs(bt);
    bt_jc_clear(bt);
    bt->no_sites = getenv("GLASS_BT_NOSITES") != NULL;
    cpu->env.kick = &bt->hot->end_count;
    return bt;
}

void bt_vcpu_destroy(struct bt_vcpu *bt)
{
    if (!bt)
        return;
    bt_cache_flush(bt);
    bt_code_destroy(&bt->code);
    interp_cache_destroy(bt->icache);
    if (bt->cpu->env.kick == &bt->hot->end_count)
        bt->cpu->env.kick = NULL;
    free(bt->hot);
    free(bt);
}

void bt_flush(struct bt_vcpu *bt)
{
    bt_cache_flush(bt);
    interp_cache_flush(bt->icache);
}

void bt_invalidate_phys(struct bt_vcpu *bt, uint64_t gpa, uint64_t len)
{
    if (!bt)
        return;
    bt_cache_invalidate(bt, gpa, len);
    interp_invalidate_phys(bt->icache, gpa, len);
}

/* Single steps run on the interpreter.  Breakpoints stay on translated
 * code: blocks avoid the breakpoint cut (cpu/break_cut.h) - they end
 * before its addresses and the dispatcher hands the instruction at one to
 * the interpreter, which stops there when it is armed (or runs it, when
 * resuming from it or when it is no longer armed). */
void bt_set_debug(struct bt_vcpu *bt, const struct debug_ctl *d)
{
    bt->stepping = d->single_step != 0;
    if (break_cut_update(&bt->cut, d))
        bt_cache_flush(bt);
    interp_set_debug(bt->icache, d);
}

void bt_get_info(const struct bt_vcpu *bt, struct bt_info *info)
{
    *info = (struct bt_info){
        .blocks = bt->stats.blocks, .flushes = bt->stats.flushes,
        .invalidations = bt->stats.invalidations, .native_insns = bt->stats.native_insns,
        .helper_insns = bt->stats.helper_insns, .interp_insns = bt->stats.interp_insns,
        .dispatches = bt->stats.dispatches, .links = bt->stats.links,
        .code_bytes = bt->code.used, .sites = bt->stats.sites,
        .sites_wide = bt->stats.sites_wide, .sites_none = bt->stats.sites_none,
    };
}

/* --- the world between blocks (stop, interrupts, HLT, budget: cpu/run_checks.h) --- */

/* The block mode of the CPU now, or 0 when bt does not run it natively
 * (16-bit code, segments that are not flat). */
static unsigned native_mode(const struct x86_cpu *cpu)
{
    unsigned user = cpu->cpl == 3 ? BT_MODE_USER : 0;
    if (x86_code64(cpu))
        return 64 | BT_MODE_FLAT | user;
    if (x86_code_bits(cpu) != 32)
        return 0;
    const struct x86_segment *cs = &cpu->seg[S_CS];
    if (cs->base || cs->limit != 0xffffffffu || !cpu->seg[S_SS].db)
        return 0;
    for (int s = S_ES; s <= S_DS; s++) {
        const struct x86_segment *d = &cpu->seg[s];
        if (s == S_CS)
            continue;
        if (d->base || d->limit != 0xffffffffu || d->unusable || (d->type & 0xa) != 0x2)
            return 0;
    }
    return 32 | BT_MODE_FLAT | user | (x86_long_mode(cpu) ? 0 : BT_MODE_LEGACY);
}

/* Run up to n instructions on the interpreter.  Returns 1 when it stopped
 * for a reason the caller must pass on (*exit filled), else 0 (its budget
 * ran out).  A budget that went to fault deliveries alone, no instruction
 * retiring, ends the caller's run too: the slice of a guest in a fault
 * storm must end (bt_run). */
static int run_interp(struct bt_vcpu *bt, struct vm_exit *exit, uint64_t n)
{
    struct x86_cpu *cpu = bt->cpu;
    uint64_t before = cpu->insn_count;
    struct vm_exit e;
    memset(&e, 0, sizeof(e));
    interp_run_cache(cpu, bt->icache, &e, n);
    bt->stats.interp_insns += cpu->insn_count - before;
    if (e.reason == EXIT_GLASS_STOP && !cpu->env.stop_request && cpu->insn_count != before)
        return 0;
    *exit = e;
    return 1;
}

/* The host pointer of the code at CS:RIP for a native mode, or NULL (the
 * interpreter then runs it: MMIO, or a fault it raises itself). */
static const uint8_t *code_host(struct x86_cpu *cpu, unsigned mode, uint64_t *lin)
{
    uint64_t rip = cpu->rip;
    if ((mode & BT_MODE_BITS) == 64) {
        if ((uint64_t)((int64_t)(rip << 16) >> 16) != rip)
            return NULL;
    } else if (rip > 0xffffffffull) {
        return NULL;
    }
    *lin = rip;
    if (cpu->env.tlb) {
        void *p = tlb_lookup(cpu->env.tlb, rip, 1, TLB_EXEC, cpu->cpl == 3);
        if (p)
            return p;
    }
    return x86_lin_ptr(cpu, rip, 1, ACC_EXEC);   /* may raise #PF */
}

/* The jump cache holds blocks of one mode and one set of page mappings:
 * forget it when either changed. */
static void check_context(struct bt_vcpu *bt, unsigned mode)
{
    const struct tlb *t = bt->cpu->env.tlb;
    uint64_t tlb_gen = t ? t->flushes + t->page_flushes : 0;
    if (mode != bt->jc_mode || tlb_gen != bt->jc_tlb_gen) {
        bt_jc_clear(bt);
        bt->jc_mode = mode;
        bt->jc_tlb_gen = tlb_gen;
    }
}

static int run_loop(struct bt_vcpu *bt, struct vm_exit *exit, uint64_t end_count)
{
    struct x86_cpu *cpu = bt->cpu;
    bt_enter_fn enter = (bt_enter_fn)bt->enter;
    struct bt_link *link = NULL;
    uint64_t link_gen = 0;

    for (;;) {
        /* The budget translated loops test, zeroed by x86_kick when an
         * event comes: restored before looking for events, so one that
         * comes after the look still stops the next block. */
        bt->hot->end_count = end_count;
        if (run_must_stop(cpu, exit, end_count))
            return 0;

        uint64_t left = end_count - cpu->insn_count;
        if (bt->stepping) {     /* the interpreter does single steps */
            struct vm_exit e;
            memset(&e, 0, sizeof(e));
            interp_run_cache(cpu, bt->icache, &e, left);
            *exit = e;
            return 0;
        }
        unsigned mode = native_mode(cpu);
        if ((cpu->rflags & FL_TF) || cpu->interrupt_shadow || !mode) {
            uint64_t n = mode ? 1 : (left < BT_INTERP_CHUNK ? left : BT_INTERP_CHUNK);
            if (run_interp(bt, exit, n))
                return 0;
            link = NULL;
            continue;
        }
        uint64_t lin = 0;
        const uint8_t *host = code_host(cpu, mode, &lin);
        if (!host) {
            if (run_interp(bt, exit, 1))
                return 0;
            link = NULL;
            continue;
        }
        if (bt->cut.n && break_cut_has(&bt->cut, lin)) {
            /* The interpreter stops here, or runs it (cpu/break_cut.h). */
            if (run_interp(bt, exit, 1))
                return 0;
            link = NULL;
            continue;
        }
        check_context(bt, mode);
        struct bt_block *b = bt_block_get(bt, host, lin, mode);
        if (!b) {
            if (run_interp(bt, exit, 1))
                return 0;
            link = NULL;
            continue;
        }
        if (link && link_gen == bt->gen && link->from->valid && link->target == b->rip &&
            link->from->mode == b->mode) {
            bt_backend_patch(bt, link, b->entry);
            link->next_in = b->in;
            b->in = link;
            bt->stats.links++;
        }
        bt->jc[bt_jc_hash(b->rip)] = (struct bt_jc_entry){ b->rip, b->entry };
        bt->hot->invalidated = 0;
        bt->stats.dispatches++;
        link = (struct bt_link *)enter(cpu, bt, b->entry);
        link_gen = bt->gen;
        /* STI / MOV SS / POP SS (through the interpreter's handlers) set a
         * shadow of 2 and end their block: it covers the next instruction
         * only, which the interpreter runs above (as in cpu/interp.c). */
        if (cpu->interrupt_shadow > 1)
            cpu->interrupt_shadow--;
    }
}

int bt_run(struct bt_vcpu *bt, struct vm_exit *exit, uint64_t max_insns)
{
    struct x86_cpu *cpu = bt->cpu;
    jmp_buf jb;
    jmp_buf *saved = cpu->fault_jmp;
    /* The run's end, here and not only in bt->hot, which x86_kick zeroes
     * (volatile: changed between setjmp and the next longjmp). */
    volatile uint64_t end_count = max_insns ? cpu->insn_count + max_insns : UINT64_MAX;
    int rc;

    cpu->fault_jmp = &jb;
    if (setjmp(jb)) {
        /* A guest fault inside a block or the dispatcher: RIP names the
         * instruction; deliver it (cpu/run_checks.h). */
        if (x86_pending_retired(cpu))
            cpu->insn_count++;  /* INT n, INT3, INTO: translated code left it out */
        run_deliver_raised(cpu, &end_count, max_insns != 0);
        cpu->fault_jmp = &jb;
    }
    rc = run_loop(bt, exit, end_count);
    cpu->fault_jmp = saved;
    return rc;
}
