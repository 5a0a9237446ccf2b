/* Specialised handlers for the hottest instruction forms (cpu/exec_fast.c). */
#ifndef GLASS_CPU_EXEC_FAST_H
#define GLASS_CPU_EXEC_FAST_H

#include "cpu/exec.h"

/* A specialised handler for this decoded instruction, or NULL for the
 * general one.  Only for 32- and 64-bit code whose RIP cannot wrap within
 * the block (the handlers advance RIP with a plain add). */
x86_exec_fn exec_fast_select(const struct x86_insn *in);

#endif
