/* Specialised handlers for the hottest instruction forms, as blocks run
 * them (struct ic_insn, cpu/interp.h).  Each does what the general handler
 * of its operation does, for one operand size and form, with what can be
 * known at decode time resolved then; when its fast path does not apply it
 * hands the instruction to the general handler (ic_generic) before changing
 * anything. */
#ifndef GLASS_CPU_EXEC_FAST_H
#define GLASS_CPU_EXEC_FAST_H

#include <stdbool.h>

#include "cpu/interp.h"

/* The specialised handler for the instruction at e in a block of `mode`
 * (IC_MODE_*; `tlb`: the CPU has a software TLB), or NULL for the general
 * one.  e->next_rip and e->target are already set. */
ic_fn exec_fast_select(const struct ic_insn *e, int mode, bool tlb);

/* The handler of a block-ending branch as a block runs it: one that goes
 * straight on to the next block (ic_goto), or NULL. */
ic_fn exec_fast_chain(const struct ic_insn *e, int mode, bool tlb);

/* A handler that runs e and e + 1 together (a compare and its Jcc), or NULL. */
ic_fn exec_fast_fuse(const struct ic_insn *e, int mode, bool tlb);

/* The selectors of the files that hold the handlers. */
ic_fn fast_alu_select(const struct ic_insn *e, int mode, bool tlb);
ic_fn fast_mem_select(const struct ic_insn *e, int mode, bool tlb);
ic_fn fast_branch_select(const struct ic_insn *e, int mode, bool tlb);
ic_fn fast_branch_chain(const struct ic_insn *e, int mode, bool tlb);
ic_fn fast_fused_select(const struct ic_insn *e, int mode, bool tlb);

#endif
