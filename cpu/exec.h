/* Instruction handlers of the interpreter: one a decoded operation.
 *
 * Conventions every handler keeps:
 *  - On entry cpu->rip is the address of the instruction.  A handler that
 *    completes sets cpu->rip to the next instruction (x86_next_rip) or to its
 *    branch target; a handler that faults calls x86_raise() before it has
 *    changed anything architectural, so RIP still names it (precise faults).
 *  - Reads come before writes; a read-modify-write checks the write
 *    permission first (x86_lin_ptr with ACC_WRITE, or read with ACC_WRITE).
 *  - Arithmetic flags go through the lazy flags of cpu/flags.h.
 *  - Only cpu->env.exit() talks to the outside world (IN/OUT, MMIO). */
#ifndef GLASS_CPU_EXEC_H
#define GLASS_CPU_EXEC_H

#include <stdbool.h>
#include <stdint.h>

#include "cpu/decode.h"
#include "cpu/x86_cpu.h"
#include "cpu/x86_ops.h"

typedef void (*x86_exec_fn)(struct x86_cpu *cpu, const struct x86_insn *in);

/* A REP string instruction (MOVS ... SCAS, INS, OUTS) runs at most this
 * many elements per execution; with count left it leaves RIP at itself,
 * rCX/rSI/rDI updated, so that the run loop takes interrupts and ends its
 * slice in between and then runs it again (SDM Vol. 1, 7.3.9.2: REP is
 * interruptible).  A guest's REP OUTSB with ECX = 4 billion must not hold
 * its vCPU for minutes. */
#define REP_BUDGET 4096

#define X86_EXEC_DECL(name, owner) \
    void exec_##name(struct x86_cpu *cpu, const struct x86_insn *in);
X86_OPS(X86_EXEC_DECL)
#undef X86_EXEC_DECL

/* The handler of each operation (cpu/exec_table.c). */
extern const x86_exec_fn x86_exec_table[X86_OP_COUNT];

/* --- operand helpers shared by all handlers (cpu/operand.c) --- */

/* Mask of an operand size in bytes: 1 -> 0xff ... 8 -> ~0. */
static inline uint64_t x86_size_mask(int size)
{
    return size >= 8 ? ~0ull : (1ull << (size * 8)) - 1;
}

/* RIP of the next instruction, wrapped to the code size (IP wraps at 64K in
 * 16-bit code, EIP at 4G in 32-bit code). */
uint64_t x86_next_rip(const struct x86_cpu *cpu, const struct x86_insn *in);

/* Effective address (offset in in->mem.seg) of the memory operand, truncated
 * to the address size. */
uint64_t x86_ea(const struct x86_cpu *cpu, const struct x86_insn *in);

/* General registers by number and size; for size 1 without REX, numbers 4-7
 * are AH, CH, DH, BH.  Writing 4 bytes zero-extends to 64 bits; 1 and 2 bytes
 * leave the rest of the register alone. */
uint64_t x86_get_reg(const struct x86_cpu *cpu, int reg, int size, bool rex);
void x86_set_reg(struct x86_cpu *cpu, int reg, int size, bool rex, uint64_t val);

/* The rm operand (register or memory) and the reg operand of an instruction. */
uint64_t x86_read_rm(struct x86_cpu *cpu, const struct x86_insn *in, int size);
void x86_write_rm(struct x86_cpu *cpu, const struct x86_insn *in, int size, uint64_t val);
uint64_t x86_read_reg_op(const struct x86_cpu *cpu, const struct x86_insn *in, int size);
void x86_write_reg_op(struct x86_cpu *cpu, const struct x86_insn *in, int size, uint64_t val);

/* Stack: push and pop of `size` bytes through SS with the stack-address size
 * (SS.B, or 64 bits in 64-bit mode). */
void x86_push(struct x86_cpu *cpu, int size, uint64_t val);
uint64_t x86_pop(struct x86_cpu *cpu, int size);
/* Stack pointer masked to the stack-address size. */
uint64_t x86_stack_mask(const struct x86_cpu *cpu);

/* Condition code cc (0-15, the low nibble of Jcc) is true (cpu/flags.c). */
bool x86_cond(struct x86_cpu *cpu, int cc);

#endif
