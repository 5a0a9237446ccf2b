/* Running a block of cached instructions (struct ic_insn, cpu/interp.h):
 * the handlers every block uses, for cpu/interp*.c and the specialised
 * handlers of cpu/exec_fast*.c. */
#ifndef GLASS_CPU_INTERP_BLOCK_H
#define GLASS_CPU_INTERP_BLOCK_H

#include "cpu/interp.h"

/* Any instruction through its general handler (cpu/exec_*.c, cpu/sys_*.c):
 * goes on with e + 1, or leaves the block when RIP is not the next
 * instruction's in the middle of the block (an unfinished REP) or the
 * block's code was overwritten (self-modifying code).  The specialised
 * handlers end here too when their fast path does not apply (a TLB miss, a
 * target to check), before they have changed anything. */
const struct ic_insn *ic_generic(struct x86_cpu *cpu, const struct ic_insn *e);

/* The terminator after a block's last instruction: counts the block's
 * instructions and goes on to the next block if nothing needs the run
 * loop (cpu/interp_chain.c). */
const struct ic_insn *ic_block_end(struct x86_cpu *cpu, const struct ic_insn *e);

/* The end of a specialised handler that completed: RIP to the next
 * instruction, go on. */
static inline const struct ic_insn *ic_next(struct x86_cpu *cpu, const struct ic_insn *e)
{
    cpu->rip = e->next_rip;
    return e + 1;
}

#endif
