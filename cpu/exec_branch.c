/* Near control transfer: JMP CALL RET Jcc JCXZ LOOP*, and BOUND (SDM Vol. 2).
 * A target is truncated to the operand size (IP wraps at 64K with a 16-bit
 * operand size) and must be canonical (64-bit mode) or within CS.limit,
 * else #GP(0), raised before anything is changed. */
#include "cpu/exec_inline.h"

static inline uint64_t rel_target(const struct x86_cpu *cpu, const struct x86_insn *in)
{
    return (ix_next_rip(cpu, in) + in->imm) & lf_mask(in->opsize);
}

static inline bool canonical(uint64_t a)
{
    return (uint64_t)((int64_t)(a << 16) >> 16) == a;
}

static inline void check_target(struct x86_cpu *cpu, uint64_t target)
{
    if (x86_code64(cpu) ? !canonical(target) : target > cpu->seg[S_CS].limit)
        x86_raise(cpu, X86_GP, 0);
}

void exec_JMP(struct x86_cpu *cpu, const struct x86_insn *in)
{
    uint64_t t = rel_target(cpu, in);
    check_target(cpu, t);
    cpu->rip = t;
}

void exec_JMP_IND(struct x86_cpu *cpu, const struct x86_insn *in)
{
    uint64_t t = ix_read_rm(cpu, in, in->opsize);
    check_target(cpu, t);
    cpu->rip = t;
}

void exec_CALL(struct x86_cpu *cpu, const struct x86_insn *in)
{
    uint64_t t = rel_target(cpu, in);
    check_target(cpu, t);
    ix_push(cpu, in->opsize, ix_next_rip(cpu, in));
    cpu->rip = t;
}

void exec_CALL_IND(struct x86_cpu *cpu, const struct x86_insn *in)
{
    uint64_t t = ix_read_rm(cpu, in, in->opsize);
    check_target(cpu, t);
    ix_push(cpu, in->opsize, ix_next_rip(cpu, in));
    cpu->rip = t;
}

/* RET [imm16]: the return address is checked before rSP moves. */
void exec_RET(struct x86_cpu *cpu, const struct x86_insn *in)
{
    int size = in->opsize;
    uint64_t mask = ix_stack_mask(cpu);
    uint64_t sp = cpu->gpr[R_RSP] & mask;
    uint64_t t = ix_mem_read(cpu, S_SS, sp, size);

    check_target(cpu, t);
    sp += (uint64_t)size;
    if (in->form == FORM_IMM)
        sp += in->imm & 0xffff;
    cpu->gpr[R_RSP] = (cpu->gpr[R_RSP] & ~mask) | (sp & mask);
    cpu->rip = t;
}

void exec_JCC(struct x86_cpu *cpu, const struct x86_insn *in)
{
    if (lf_cond(cpu, in->cond)) {
        uint64_t t = rel_target(cpu, in);
        check_target(cpu, t);
        cpu->rip = t;
    } else {
        cpu->rip = ix_next_rip(cpu, in);
    }
}

static inline void branch_if(struct x86_cpu *cpu, const struct x86_insn *in, bool taken)
{
    if (taken) {
        uint64_t t = rel_target(cpu, in);
        check_target(cpu, t);
        cpu->rip = t;
    } else {
        cpu->rip = ix_next_rip(cpu, in);
    }
}

/* JCXZ/JECXZ/JRCXZ: the count register by address size. */
void exec_JCXZ(struct x86_cpu *cpu, const struct x86_insn *in)
{
    branch_if(cpu, in, ix_get_areg(cpu, R_RCX, in->addrsize) == 0);
}

/* LOOP/LOOPE/LOOPNE: decrement rCX (address size) without touching flags;
 * the branch target is checked before the count is written. */
static inline void loop_common(struct x86_cpu *cpu, const struct x86_insn *in, int zf_need)
{
    uint64_t count = (ix_get_areg(cpu, R_RCX, in->addrsize) - 1) & ix_addr_mask(in->addrsize);
    bool taken = count != 0;

    if (taken && zf_need >= 0)
        taken = lf_cond(cpu, 4) == (zf_need == 1); /* cc 4 = E (ZF) */
    if (taken) {
        uint64_t t = rel_target(cpu, in);
        check_target(cpu, t);
        ix_set_areg(cpu, R_RCX, in->addrsize, count);
        cpu->rip = t;
    } else {
        ix_set_areg(cpu, R_RCX, in->addrsize, count);
        cpu->rip = ix_next_rip(cpu, in);
    }
}

void exec_LOOP(struct x86_cpu *cpu, const struct x86_insn *in) { loop_common(cpu, in, -1); }
void exec_LOOPE(struct x86_cpu *cpu, const struct x86_insn *in) { loop_common(cpu, in, 1); }
void exec_LOOPNE(struct x86_cpu *cpu, const struct x86_insn *in) { loop_common(cpu, in, 0); }

/* BOUND r, m16&16 / m32&32: #BR unless lower <= r <= upper (signed). */
void exec_BOUND(struct x86_cpu *cpu, const struct x86_insn *in)
{
    int size = in->opsize;
    uint64_t ea, am = ix_addr_mask(in->addrsize);
    int64_t idx, lo, hi;

    if (!ix_is_mem(in))
        ix_ud(cpu);
    ea = ix_ea(cpu, in);
    idx = lf_sext(ix_get_reg(cpu, in->reg, size, false), size);
    lo = lf_sext(ix_mem_read(cpu, in->mem.seg, ea, size), size);
    hi = lf_sext(ix_mem_read(cpu, in->mem.seg, (ea + (uint64_t)size) & am, size), size);
    if (idx < lo || idx > hi)
        x86_raise(cpu, X86_BR, X86_NO_ERRCODE);
    cpu->rip = ix_next_rip(cpu, in);
}
