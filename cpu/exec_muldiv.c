/* Multiply and divide: MUL, IMUL (one, two and three operands), DIV, IDIV
 * (SDM Vol. 2).  MUL/IMUL set CF = OF = "the high half is significant";
 * SF ZF AF PF are undefined (glass: from the low half, AF = 0).  DIV/IDIV
 * leave every flag unchanged (all undefined) and raise #DE for a zero
 * divisor or a quotient that does not fit. */
#include "cpu/exec_inline.h"

typedef unsigned __int128 u128;
typedef __int128 s128;

/* The double-width accumulator pair: AX for bytes, else rDX:rAX. */
static void set_wide(struct x86_cpu *cpu, int size, uint64_t lo, uint64_t hi)
{
    if (size == 1) {
        ix_set_reg(cpu, R_RAX, 2, false, (lo & 0xff) | ((hi & 0xff) << 8));
    } else {
        ix_set_reg(cpu, R_RAX, size, false, lo);
        ix_set_reg(cpu, R_RDX, size, false, hi);
    }
}

void exec_MUL(struct x86_cpu *cpu, const struct x86_insn *in)
{
    int size = in->opsize, bits = size * 8;
    uint64_t m = lf_mask(size);
    uint64_t b = ix_read_rm(cpu, in, size), a = cpu->gpr[R_RAX] & m;
    u128 p = (u128)a * b;
    uint64_t lo = (uint64_t)p & m, hi = (uint64_t)(p >> bits) & m;

    set_wide(cpu, size, lo, hi);
    lf_record(cpu, LF_MUL, size, lo, hi != 0, 0);
    cpu->rip = ix_next_rip(cpu, in);
}

void exec_IMUL1(struct x86_cpu *cpu, const struct x86_insn *in)
{
    int size = in->opsize, bits = size * 8;
    uint64_t m = lf_mask(size);
    int64_t b = lf_sext(ix_read_rm(cpu, in, size), size), a = lf_sext(cpu->gpr[R_RAX], size);
    s128 p = (s128)a * b;
    uint64_t lo = (uint64_t)p & m, hi = (uint64_t)((u128)p >> bits) & m;

    set_wide(cpu, size, lo, hi);
    lf_record(cpu, LF_MUL, size, lo, p != (s128)lf_sext(lo, size), 0);
    cpu->rip = ix_next_rip(cpu, in);
}

/* IMUL r, r/m and IMUL r, r/m, imm: the product truncated to the operand. */
void exec_IMUL(struct x86_cpu *cpu, const struct x86_insn *in)
{
    int size = in->opsize;
    int64_t a, b;
    s128 p;
    uint64_t lo;

    b = lf_sext(ix_read_rm(cpu, in, size), size);
    if (in->form == FORM_REG_RM_IMM)
        a = lf_sext(in->imm, size);
    else
        a = lf_sext(ix_get_reg(cpu, in->reg, size, ix_rex(in)), size);
    p = (s128)a * b;
    lo = (uint64_t)p & lf_mask(size);
    ix_set_reg(cpu, in->reg, size, ix_rex(in), lo);
    lf_record(cpu, LF_MUL, size, lo, p != (s128)lf_sext(lo, size), 0);
    cpu->rip = ix_next_rip(cpu, in);
}

static u128 get_dividend(const struct x86_cpu *cpu, int size)
{
    if (size == 1)
        return cpu->gpr[R_RAX] & 0xffff;
    uint64_t m = lf_mask(size);
    return ((u128)(cpu->gpr[R_RDX] & m) << (size * 8)) | (cpu->gpr[R_RAX] & m);
}

void exec_DIV(struct x86_cpu *cpu, const struct x86_insn *in)
{
    int size = in->opsize;
    uint64_t m = lf_mask(size);
    uint64_t d = ix_read_rm(cpu, in, size);
    u128 n = get_dividend(cpu, size), q;

    if (d == 0)
        x86_raise(cpu, X86_DE, X86_NO_ERRCODE);
    q = n / d;
    if (q > m)
        x86_raise(cpu, X86_DE, X86_NO_ERRCODE);
    set_wide(cpu, size, (uint64_t)q, (uint64_t)(n % d));
    cpu->rip = ix_next_rip(cpu, in);
}

void exec_IDIV(struct x86_cpu *cpu, const struct x86_insn *in)
{
    int size = in->opsize, bits = size * 8;
    int64_t d = lf_sext(ix_read_rm(cpu, in, size), size);
    u128 raw = get_dividend(cpu, size);
    s128 n, q, r;
    s128 qmax = ((s128)1 << (bits - 1)) - 1, qmin = -((s128)1 << (bits - 1));

    /* Sign-extend the 2*bits-wide dividend. */
    n = (s128)(raw << (128 - 2 * bits)) >> (128 - 2 * bits);
    if (d == 0)
        x86_raise(cpu, X86_DE, X86_NO_ERRCODE);
    if (d == -1) {
        /* n / -1 can overflow even __int128 (n = -2^127): test first. */
        if (n < -qmax)
            x86_raise(cpu, X86_DE, X86_NO_ERRCODE);
        q = -n;
        r = 0;
    } else {
        q = n / d;
        r = n % d;
    }
    if (q > qmax || q < qmin)
        x86_raise(cpu, X86_DE, X86_NO_ERRCODE);
    set_wide(cpu, size, (uint64_t)q, (uint64_t)r);
    cpu->rip = ix_next_rip(cpu, in);
}
