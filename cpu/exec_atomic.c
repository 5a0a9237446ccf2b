/* Exchange-and-operate instructions: XADD CMPXCHG CMPXCHG8B/16B (SDM Vol. 2).
 * With LOCK and a RAM operand the update is a host compare-and-swap
 * (rmw_commit), so they stay atomic once vCPUs run on several threads. */
#include "cpu/exec_inline.h"

/* XADD: TEMP = SRC + DEST; SRC = DEST; DEST = TEMP (so with one register
 * for both, the sum wins).  Flags of ADD. */
void exec_XADD(struct x86_cpu *cpu, const struct x86_insn *in)
{
    int size = in->opsize;
    bool rex = ix_rex(in);
    uint64_t src = ix_get_reg(cpu, in->reg, size, rex), a, res;
    struct rmw r;

    rmw_begin(cpu, in, size, &r);
    a = rmw_read(cpu, in, &r);
    res = (a + src) & lf_mask(size);
    while (!rmw_commit(cpu, in, &r, a, res)) {
        a = rmw_read(cpu, in, &r);
        res = (a + src) & lf_mask(size);
    }
    ix_set_reg(cpu, in->reg, size, rex, a);
    if (!r.mem)
        ix_set_reg(cpu, in->rm, size, rex, res);
    lf_record(cpu, LF_ADD, size, res, a, src);
    cpu->rip = ix_next_rip(cpu, in);
}

/* CMPXCHG r/m, r: compare the accumulator with DEST; equal: DEST = SRC,
 * else accumulator = DEST.  A memory destination is written either way
 * (SDM CMPXCHG: "the destination operand is written back if the comparison
 * fails"); a register destination that did not match is left untouched,
 * upper half included, as hardware does.  Flags of CMP acc, DEST. */
void exec_CMPXCHG(struct x86_cpu *cpu, const struct x86_insn *in)
{
    int size = in->opsize;
    bool rex = ix_rex(in);
    uint64_t acc = cpu->gpr[R_RAX] & lf_mask(size);
    uint64_t src = ix_get_reg(cpu, in->reg, size, rex), a;
    struct rmw r;

    rmw_begin(cpu, in, size, &r);
    do {
        a = rmw_read(cpu, in, &r);
        if (a != acc && !r.mem)
            break;
    } while (!rmw_commit(cpu, in, &r, a, a == acc ? src : a));
    if (a != acc)
        ix_set_reg(cpu, R_RAX, size, false, a);
    lf_record(cpu, LF_SUB, size, (acc - a) & lf_mask(size), acc, a);
    cpu->rip = ix_next_rip(cpu, in);
}

/* CMPXCHG8B m64 / CMPXCHG16B m128 (REX.W): compare rDX:rAX with the memory;
 * equal: ZF = 1 and memory = rCX:rBX; else ZF = 0 and rDX:rAX = memory.
 * Only ZF changes.  CMPXCHG16B needs a 16-byte aligned operand, else
 * #GP(0).  The 16-byte form is not atomic against other vCPUs yet (needs
 * a host 128-bit compare-and-swap). */
void exec_CMPXCHG8B(struct x86_cpu *cpu, const struct x86_insn *in)
{
    bool equal;

    if (!ix_is_mem(in))
        ix_ud(cpu);
    if (in->opsize == 8) {
        uint64_t off = ix_ea(cpu, in);
        uint64_t lin = x86_seg_linear(cpu, in->mem.seg, off, 16, ACC_WRITE);
        uint64_t lo, hi;
        if (lin & 15)
            x86_raise(cpu, X86_GP, 0);
        lo = x86_lin_read(cpu, lin, 8, ACC_WRITE);
        hi = x86_lin_read(cpu, lin + 8, 8, ACC_WRITE);
        equal = lo == cpu->gpr[R_RAX] && hi == cpu->gpr[R_RDX];
        if (equal) {
            x86_lin_write(cpu, lin, 8, cpu->gpr[R_RBX], ACC_WRITE);
            x86_lin_write(cpu, lin + 8, 8, cpu->gpr[R_RCX], ACC_WRITE);
        } else {
            x86_lin_write(cpu, lin, 8, lo, ACC_WRITE);
            x86_lin_write(cpu, lin + 8, 8, hi, ACC_WRITE);
            cpu->gpr[R_RAX] = lo;
            cpu->gpr[R_RDX] = hi;
        }
    } else {
        uint64_t expect = ((cpu->gpr[R_RDX] & 0xffffffffull) << 32) | (cpu->gpr[R_RAX] & 0xffffffffull);
        uint64_t repl = ((cpu->gpr[R_RCX] & 0xffffffffull) << 32) | (cpu->gpr[R_RBX] & 0xffffffffull);
        uint64_t a;
        struct rmw r;
        rmw_begin(cpu, in, 8, &r);
        do {
            a = rmw_read(cpu, in, &r);
        } while (!rmw_commit(cpu, in, &r, a, a == expect ? repl : a));
        equal = a == expect;
        if (!equal) {
            cpu->gpr[R_RAX] = a & 0xffffffffull;
            cpu->gpr[R_RDX] = a >> 32;
        }
    }
    lf_set_some(cpu, FL_ZF, equal ? FL_ZF : 0);
    cpu->rip = ix_next_rip(cpu, in);
}
