/* Running a block of cached instructions (struct ic_insn, cpu/interp.h):
 * the handlers every block uses, for cpu/interp*.c and the specialised
 * handlers of cpu/exec_fast*.c. */
#ifndef GLASS_CPU_INTERP_BLOCK_H
#define GLASS_CPU_INTERP_BLOCK_H

#include <stdbool.h>
#include <stdint.h>

#include "cpu/interp.h"

/* Any instruction through its general handler (cpu/exec_*.c, cpu/sys_*.c):
 * goes on to e + 1, or leaves the block when RIP is not the next
 * instruction's in the middle of the block (an unfinished REP) or the
 * block's code was overwritten (self-modifying code).  The specialised
 * handlers end here too when their fast path does not apply (a TLB miss, a
 * target to check), before they have changed anything. */
const struct ic_insn *ic_generic(struct x86_cpu *cpu, const struct ic_insn *e);

/* The terminator after a block's last instruction: counts the block's
 * instructions and goes on to the next block if nothing needs the run
 * loop (cpu/interp_chain.c). */
const struct ic_insn *ic_block_end(struct x86_cpu *cpu, const struct ic_insn *e);

/* How a block runs.  Threaded (IC_THREADED = 1): each handler ends by
 * calling the handler of the entry after it, in tail position, which the
 * compiler makes a jump, so a chain of blocks runs as a chain of jumps
 * with one indirect jump an instruction, and returns NULL only when it
 * leaves for the run loop.  Otherwise each handler returns the next entry
 * and the run loop calls it.  A compiler that does not turn the tail calls
 * into jumps (no optimisation) costs a stack frame an instruction: the
 * terminator leaves for the run loop, unwinding, when the stack has grown
 * by IC_STACK_ALLOWANCE since the run loop started the chain. */
#ifndef IC_THREADED
#define IC_THREADED 1
#endif
#define IC_STACK_ALLOWANCE (64 * 1024)

#define IC_ALWAYS_INLINE static inline __attribute__((always_inline))

IC_ALWAYS_INLINE const struct ic_insn *ic_go(struct x86_cpu *cpu, const struct ic_insn *next)
{
#if IC_THREADED
    return next->fn(cpu, next);
#else
    (void)cpu;
    return next;
#endif
}

/* The stack pointer, for the depth guard above. */
IC_ALWAYS_INLINE uintptr_t ic_stack_pointer(void)
{
    uintptr_t sp;
    __asm__("mov %%rsp, %0" : "=r"(sp));
    return sp;
}

/* The chain has used more stack than IC_STACK_ALLOWANCE. */
IC_ALWAYS_INLINE bool ic_stack_deep(const struct interp_cache *c)
{
    return ic_stack_pointer() < c->stack_limit;
}

/* Something needs the run loop: a stop request, an NMI or an interrupt it
 * could take (IF and NMI blocking only change in system instructions,
 * which end a chain). */
static inline bool ic_pending(const struct x86_cpu *cpu)
{
    return cpu->env.stop_request ||
           (cpu->nmi_pending && !cpu->nmi_blocked) ||
           (cpu->env.intr_pending && (cpu->rflags & FL_IF));
}

/* The end of the block-ending branch at e, which went to the successor in
 * `slot` (see struct ic_block): straight on to that block when it is
 * linked directly, valid, nothing is pending and the budget has room;
 * else to the terminator, which does the same the long way. */
IC_ALWAYS_INLINE const struct ic_insn *ic_goto(struct x86_cpu *cpu, const struct ic_insn *e,
                                               int slot)
{
    const struct ic_block *b = e->blk, *nb = b->succ[slot];
    if (__builtin_expect(nb && b->succ_direct[slot] && nb->valid && !ic_pending(cpu), 1)) {
        const struct interp_cache *c = b->cache;
        uint64_t count = cpu->insn_count + b->n;
        if (__builtin_expect(count + nb->n <= c->end_count && !ic_stack_deep(c), 1)) {
            cpu->insn_count = count;
            b->cache->cur = nb;
            return ic_go(cpu, nb->insn);
        }
    }
    return ic_go(cpu, e + 1);
}

/* The end of a specialised handler that completed: RIP to the next
 * instruction, go on. */
IC_ALWAYS_INLINE const struct ic_insn *ic_next(struct x86_cpu *cpu, const struct ic_insn *e)
{
    cpu->rip = e->next_rip;
    return ic_go(cpu, e + 1);
}

#endif
