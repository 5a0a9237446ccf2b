/* Operand helpers shared by all instruction handlers (cpu/exec.h): registers,
 * effective addresses, the r/m and reg operands, the stack, near branches. */
#include "cpu/exec_inline.h"

uint64_t x86_next_rip(const struct x86_cpu *cpu, const struct x86_insn *in)
{
    return ix_next_rip(cpu, in);
}

uint64_t x86_ea(const struct x86_cpu *cpu, const struct x86_insn *in)
{
    return ix_ea(cpu, in);
}

uint64_t x86_get_reg(const struct x86_cpu *cpu, int reg, int size, bool rex)
{
    return ix_get_reg(cpu, reg, size, rex);
}

void x86_set_reg(struct x86_cpu *cpu, int reg, int size, bool rex, uint64_t val)
{
    ix_set_reg(cpu, reg, size, rex, val);
}

uint64_t x86_read_rm(struct x86_cpu *cpu, const struct x86_insn *in, int size)
{
    return ix_read_rm(cpu, in, size);
}

void x86_write_rm(struct x86_cpu *cpu, const struct x86_insn *in, int size, uint64_t val)
{
    ix_write_rm(cpu, in, size, val);
}

uint64_t x86_read_reg_op(const struct x86_cpu *cpu, const struct x86_insn *in, int size)
{
    return ix_get_reg(cpu, in->reg, size, ix_rex(in));
}

void x86_write_reg_op(struct x86_cpu *cpu, const struct x86_insn *in, int size, uint64_t val)
{
    ix_set_reg(cpu, in->reg, size, ix_rex(in), val);
}

/* The stack-address size: 64 bits in 64-bit mode, else SS.B (SDM Vol. 3,
 * 3.4.5.1: the B flag of a stack segment). */
uint64_t x86_stack_mask(const struct x86_cpu *cpu)
{
    return ix_stack_mask(cpu);
}

void x86_push(struct x86_cpu *cpu, int size, uint64_t val)
{
    ix_push(cpu, size, val);
}

uint64_t x86_pop(struct x86_cpu *cpu, int size)
{
    return ix_pop(cpu, size);
}
