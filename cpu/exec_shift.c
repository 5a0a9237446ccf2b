/* Shifts and rotates: SHL SHR SAR ROL ROR RCL RCR SHLD SHRD (SDM Vol. 2,
 * SAL/SAR/SHL/SHR, RCL/RCR/ROL/ROR, SHLD, SHRD).
 *
 * The count is masked to 5 bits (6 with a 64-bit operand).  A masked count
 * of 0 changes no flags, but it is still an instruction with a destination
 * (see count_zero).  OF is defined only for 1-bit
 * shifts; for other counts glass computes it with the same formula, which
 * is what current Intel parts do.
 *
 * All nine are one read-modify-write of the rm destination (shift_op); they
 * differ only in the result (shift_result) and the flags (shift_flags). */
#include "cpu/exec_inline.h"

static inline unsigned shift_count(const struct x86_cpu *cpu, const struct x86_insn *in)
{
    unsigned c;
    switch (in->form) {
    case FORM_RM_1: c = 1; break;
    case FORM_RM_CL: case FORM_RM_REG_CL: c = (unsigned)cpu->gpr[R_RCX] & 0xff; break;
    default: c = (unsigned)in->imm & 0xff; break;
    }
    return c & (in->opsize == 8 ? 0x3f : 0x1f);
}

/* A masked count of 0 (SDM SAL/SAR/SHL/SHR: "If the count is 0, the flags
 * are not affected") still performs the operand access, as the hardware
 * does: a memory destination is read and checked for writing (#PF on a
 * read-only or absent page) but not written, and a 32-bit register is
 * written back, which zero-extends it into bits 63:32 (SDM Vol. 1,
 * 3.4.1.1). */
static void count_zero(struct x86_cpu *cpu, const struct x86_insn *in)
{
    struct rmw r;

    rmw_begin(cpu, in, in->opsize, &r);
    uint64_t a = rmw_read(cpu, in, &r);
    if (!r.mem)
        ix_set_reg(cpu, r.reg, r.size, ix_rex(in), a);
    cpu->rip = ix_next_rip(cpu, in);
}

enum shift_kind {
    SH_SHL, SH_SHR, SH_SAR,             /* flags recorded lazily */
    SH_ROL, SH_ROR, SH_RCL, SH_RCR,     /* rotates change only CF and OF */
    SH_SHLD, SH_SHRD,                   /* all six status flags */
};

/* RCL/RCR: a rotate of the bits+1-bit value CF:dest, with the count taken
 * mod 9 / mod 17 for 8- and 16-bit operands. */
static inline uint64_t rotate_through_cf(bool left, int size, uint64_t a, unsigned c,
                                         unsigned cin, unsigned *cf)
{
    unsigned bits = (unsigned)size * 8;
    unsigned n = c % (bits + 1);
    unsigned __int128 v = ((unsigned __int128)cin << bits) | a;
    unsigned __int128 vm = ((unsigned __int128)1 << (bits + 1)) - 1;
    if (n) {
        if (left)
            v = ((v << n) | (v >> (bits + 1 - n))) & vm;
        else
            v = ((v >> n) | (v << (bits + 1 - n))) & vm;
    }
    *cf = (unsigned)(v >> bits) & 1;
    return (uint64_t)v & lf_mask(size);
}

/* SHLD/SHRD rm, reg, imm8/CL.  A count beyond the operand size (16-bit
 * operands, count 17-31) is undefined; glass shifts the 48-bit value
 * dest:src:dest, as Intel parts do. */
static inline uint64_t double_shift(bool left, int size, uint64_t a, uint64_t src, unsigned c,
                                    unsigned *cf)
{
    unsigned bits = (unsigned)size * 8;
    uint64_t m = lf_mask(size), res;
    unsigned __int128 v;
    if (bits == 64) { /* counts stay below 64: dest:src is enough */
        if (left) {
            v = ((unsigned __int128)a << 64) | src;
            res = (uint64_t)((v << c) >> 64);
            *cf = (unsigned)(v >> (128 - c)) & 1;
        } else {
            v = ((unsigned __int128)src << 64) | a;
            res = (uint64_t)(v >> c);
            *cf = (unsigned)(v >> (c - 1)) & 1;
        }
    } else {
        v = ((unsigned __int128)a << (2 * bits)) | ((unsigned __int128)src << bits) | a;
        if (left) {
            res = (uint64_t)((v << c) >> (2 * bits)) & m;
            *cf = (unsigned)(v >> (3 * bits - c)) & 1;
        } else {
            res = (uint64_t)(v >> c) & m;
            *cf = (unsigned)(v >> (c - 1)) & 1;
        }
    }
    return res;
}

/* The destination a (size bytes) shifted or rotated by the masked count c
 * (nonzero); *cf the carry out, for the rotates and the double shifts.  cin
 * is CF before the instruction (RCL/RCR), src the reg operand (SHLD/SHRD). */
static inline uint64_t shift_result(enum shift_kind k, int size, uint64_t a, unsigned c,
                                    unsigned cin, uint64_t src, unsigned *cf)
{
    unsigned bits = (unsigned)size * 8;
    uint64_t m = lf_mask(size), res;
    unsigned n = c % bits;
    switch (k) {
    case SH_SHL: return c >= 64 ? 0 : (a << c) & m;
    case SH_SHR: return c >= 64 ? 0 : a >> c;
    case SH_SAR: return (uint64_t)(lf_sext(a, size) >> (c > 63 ? 63 : c)) & m;
    case SH_ROL:
        res = n ? ((a << n) | (a >> (bits - n))) & m : a;
        *cf = res & 1;
        return res;
    case SH_ROR:
        res = n ? ((a >> n) | (a << (bits - n))) & m : a;
        *cf = lf_sign(res, size);
        return res;
    case SH_RCL: case SH_RCR: return rotate_through_cf(k == SH_RCL, size, a, c, cin, cf);
    default: return double_shift(k == SH_SHLD, size, a, src, c, cf);
    }
}

static inline void shift_flags(struct x86_cpu *cpu, enum shift_kind k, int size, uint64_t a,
                               uint64_t res, unsigned c, unsigned cf)
{
    unsigned bits = (unsigned)size * 8, of;
    uint64_t f;
    switch (k) {
    case SH_SHL: lf_record(cpu, LF_SHL, size, res, a, c); break;
    case SH_SHR: lf_record(cpu, LF_SHR, size, res, a, c); break;
    case SH_SAR: lf_record(cpu, LF_SAR, size, res, a, c); break;
    case SH_ROL: case SH_RCL: case SH_ROR: case SH_RCR:
        if (k == SH_ROL || k == SH_RCL)
            of = lf_sign(res, size) ^ cf;                        /* MSB(res) XOR CF */
        else
            of = lf_sign(res, size) ^ ((unsigned)(res >> (bits - 2)) & 1); /* two top bits */
        lf_set_some(cpu, FL_CF | FL_OF, (cf ? FL_CF : 0) | (of ? FL_OF : 0));
        break;
    default:
        f = lf_szp(res, size);
        if (cf)
            f |= FL_CF;
        if (lf_sign(res, size) ^ lf_sign(a, size))
            f |= FL_OF;
        lf_set_status(cpu, f);
        break;
    }
}

/* Inlined into each exec_* below, so that every handler is compiled for its
 * own kind (no switch on k at run time). */
static inline __attribute__((always_inline)) void shift_op(struct x86_cpu *cpu,
                                                           const struct x86_insn *in,
                                                           enum shift_kind k)
{
    int size = in->opsize;
    uint64_t a, res;
    uint64_t src = (k == SH_SHLD || k == SH_SHRD) ? ix_get_reg(cpu, in->reg, size, ix_rex(in)) : 0;
    unsigned c = shift_count(cpu, in), cf = 0;
    unsigned cin = (k == SH_RCL || k == SH_RCR) ? x86_get_cf(cpu) : 0;
    struct rmw r;

    if (c == 0) {
        count_zero(cpu, in);
        return;
    }
    rmw_begin(cpu, in, size, &r);
    do {
        a = rmw_read(cpu, in, &r);
        res = shift_result(k, size, a, c, cin, src, &cf);
    } while (!rmw_commit(cpu, in, &r, a, res));
    shift_flags(cpu, k, size, a, res, c, cf);
    cpu->rip = ix_next_rip(cpu, in);
}

void exec_SHL(struct x86_cpu *cpu, const struct x86_insn *in) { shift_op(cpu, in, SH_SHL); }
void exec_SHR(struct x86_cpu *cpu, const struct x86_insn *in) { shift_op(cpu, in, SH_SHR); }
void exec_SAR(struct x86_cpu *cpu, const struct x86_insn *in) { shift_op(cpu, in, SH_SAR); }
void exec_ROL(struct x86_cpu *cpu, const struct x86_insn *in) { shift_op(cpu, in, SH_ROL); }
void exec_ROR(struct x86_cpu *cpu, const struct x86_insn *in) { shift_op(cpu, in, SH_ROR); }
void exec_RCL(struct x86_cpu *cpu, const struct x86_insn *in) { shift_op(cpu, in, SH_RCL); }
void exec_RCR(struct x86_cpu *cpu, const struct x86_insn *in) { shift_op(cpu, in, SH_RCR); }
void exec_SHLD(struct x86_cpu *cpu, const struct x86_insn *in) { shift_op(cpu, in, SH_SHLD); }
void exec_SHRD(struct x86_cpu *cpu, const struct x86_insn *in) { shift_op(cpu, in, SH_SHRD); }
