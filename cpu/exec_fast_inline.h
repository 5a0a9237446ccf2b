/* What the specialised handlers (cpu/exec_fast*.c) share: memory through
 * the TLB alone, the arithmetic of ADD..TEST on constant operation and
 * size, the flags that decide a condition straight from the operands. */
#ifndef GLASS_CPU_EXEC_FAST_INLINE_H
#define GLASS_CPU_EXEC_FAST_INLINE_H

#include "cpu/exec_fast.h"
#include "cpu/exec_inline.h"
#include "cpu/interp_block.h"

#define FX_INLINE static inline __attribute__((always_inline))
#define FX_LIKELY(x) __builtin_expect(!!(x), 1)

/* The handler signature, for the macros that stamp handlers out. */
#define FX_HANDLER(name) \
    static const struct ic_insn *name(struct x86_cpu *cpu, const struct ic_insn *e)

/* --- memory ---
 * A specialised handler touches memory only in a flat block (IC_MODE_FLAT:
 * the offset in DS/ES/SS is the linear address) and only through the TLB;
 * on a miss (or an access crossing a page) it returns NULL and the handler
 * falls back to the general one, which faults or takes the slow path.  In
 * 64-bit mode a TLB hit also proves the address canonical: tags are only
 * made for canonical pages. */
FX_INLINE void *fx_ptr(struct x86_cpu *cpu, uint64_t lin, int size, int kind)
{
    return tlb_lookup(cpu->env.tlb, lin, (unsigned)size, kind, cpu->cpl == 3);
}

/* The effective address of a block's instruction: ix_ea without the
 * RIP-relative case, which the block made absolute (cpu/interp_cache.c). */
FX_INLINE uint64_t fx_ea(const struct x86_cpu *cpu, const struct x86_insn *in)
{
    const struct x86_mem_operand *m = &in->mem;
    uint64_t a = (uint64_t)m->disp;

    if (m->base >= 0)
        a += cpu->gpr[m->base];
    if (m->index >= 0)
        a += cpu->gpr[m->index] << __builtin_ctz(m->scale);
    if (in->addrsize == 8)
        return a;
    return a & (in->addrsize == 4 ? 0xffffffffull : 0xffffull);
}

/* The memory operand of e, for reading / for writing. */
FX_INLINE void *fx_mem(struct x86_cpu *cpu, const struct ic_insn *e, int size, int kind)
{
    return fx_ptr(cpu, fx_ea(cpu, &e->in), size, kind);
}

/* --- ADD SUB CMP AND OR XOR TEST with a constant operation --- */

enum fx_op { FX_ADD, FX_SUB, FX_CMP, FX_AND, FX_OR, FX_XOR, FX_TEST };

FX_INLINE uint64_t fx_compute(int op, uint64_t a, uint64_t b)
{
    switch (op) {
    case FX_ADD: return a + b;
    case FX_SUB: case FX_CMP: return a - b;
    case FX_AND: case FX_TEST: return a & b;
    case FX_OR: return a | b;
    default: return a ^ b;
    }
}

FX_INLINE bool fx_writes(int op)
{
    return op != FX_CMP && op != FX_TEST;
}

/* res = a op b at `size` bytes, flags recorded; returns res. */
FX_INLINE uint64_t fx_alu(struct x86_cpu *cpu, int op, int size, uint64_t a, uint64_t b)
{
    uint64_t res = fx_compute(op, a, b) & lf_mask(size);
    int lf = op == FX_ADD ? LF_ADD : op == FX_SUB || op == FX_CMP ? LF_SUB : LF_LOGIC;
    lf_record(cpu, lf, size, res, a, b);
    return res;
}

/* A general register of 4 or 8 bytes (no high-byte registers). */
FX_INLINE uint64_t fx_reg(const struct x86_cpu *cpu, int reg, int size)
{
    return cpu->gpr[reg] & lf_mask(size);
}

/* Writing 4 bytes zero-extends (SDM Vol. 1, 3.4.1.1). */
FX_INLINE void fx_set_reg(struct x86_cpu *cpu, int reg, int size, uint64_t v)
{
    cpu->gpr[reg] = v & lf_mask(size);
}

/* The operand forms of ADD..TEST: R = register, M = memory, I = immediate;
 * the first letter is the destination (and first source). */
enum fx_form {
    FXF_RR,   /* FORM_RM_REG, register: rm op= reg */
    FXF_RR2,  /* FORM_REG_RM, register: reg op= rm */
    FXF_RI,   /* FORM_RM_IMM, register: rm op= imm */
    FXF_RI2,  /* FORM_REG_IMM: reg op= imm */
    FXF_RM,   /* FORM_REG_RM, memory: reg op= [mem] */
    FXF_MR,   /* FORM_RM_REG, memory: [mem] op= reg */
    FXF_MI,   /* FORM_RM_IMM, memory: [mem] op= imm */
    FXF_COUNT
};

/* The form of an ADD..TEST instruction, or -1. */
static inline int fx_form_of(const struct x86_insn *in)
{
    bool mem = ix_is_mem(in);
    switch (in->form) {
    case FORM_RM_REG: return mem ? FXF_MR : FXF_RR;
    case FORM_REG_RM: return mem ? FXF_RM : FXF_RR2;
    case FORM_RM_IMM: return mem ? FXF_MI : FXF_RI;
    case FORM_REG_IMM: return FXF_RI2;
    default: return -1;
    }
}

/* Run ADD..TEST `op` of `form` and `size` at e: false (nothing done) when
 * a memory operand misses the TLB.  A memory destination is written
 * through the write tag, so the read already had the write permission
 * (exec.h conventions).  Not for LOCK (the general handler does that). */
FX_INLINE bool fx_alu_run(struct x86_cpu *cpu, const struct ic_insn *e, int op, int form,
                          int size, uint64_t *pa, uint64_t *pb, uint64_t *pres)
{
    const struct x86_insn *in = &e->in;
    bool rex = ix_rex(in);
    uint64_t m = lf_mask(size), a, b, res;
    void *p = NULL;

    switch (form) {
    case FXF_RR:
        a = ix_get_reg(cpu, in->rm, size, rex);
        b = ix_get_reg(cpu, in->reg, size, rex);
        break;
    case FXF_RR2:
        a = ix_get_reg(cpu, in->reg, size, rex);
        b = ix_get_reg(cpu, in->rm, size, rex);
        break;
    case FXF_RI:
        a = ix_get_reg(cpu, in->rm, size, rex);
        b = in->imm & m;
        break;
    case FXF_RI2:
        a = ix_get_reg(cpu, in->reg, size, rex);
        b = in->imm & m;
        break;
    case FXF_RM:
        p = fx_mem(cpu, e, size, TLB_READ);
        if (!p)
            return false;
        a = ix_get_reg(cpu, in->reg, size, rex);
        b = host_load(p, size);
        break;
    default: /* FXF_MR, FXF_MI */
        p = fx_mem(cpu, e, size, fx_writes(op) ? TLB_WRITE : TLB_READ);
        if (!p)
            return false;
        a = host_load(p, size);
        b = form == FXF_MR ? ix_get_reg(cpu, in->reg, size, rex) : in->imm & m;
        break;
    }
    res = fx_alu(cpu, op, size, a, b);
    if (fx_writes(op)) {
        switch (form) {
        case FXF_RR: case FXF_RI:
            ix_set_reg(cpu, in->rm, size, rex, res);
            break;
        case FXF_RR2: case FXF_RI2: case FXF_RM:
            ix_set_reg(cpu, in->reg, size, rex, res);
            break;
        default:
            host_store(p, size, res);
            break;
        }
    }
    *pa = a;
    *pb = b;
    *pres = res;
    return true;
}

/* Stamp out fn(OP, FORM, SIZE) for every operation, form and size 1/4/8,
 * and a table [op][form][size index] of them. */
#define FX_FOR_SIZES(X, OP, FORM) X(OP, FORM, 1) X(OP, FORM, 4) X(OP, FORM, 8)
#define FX_FOR_FORMS(X, OP) \
    FX_FOR_SIZES(X, OP, RR) FX_FOR_SIZES(X, OP, RR2) FX_FOR_SIZES(X, OP, RI) \
    FX_FOR_SIZES(X, OP, RI2) FX_FOR_SIZES(X, OP, RM) FX_FOR_SIZES(X, OP, MR) \
    FX_FOR_SIZES(X, OP, MI)
#define FX_FOR_ALL(X) \
    FX_FOR_FORMS(X, ADD) FX_FOR_FORMS(X, SUB) FX_FOR_FORMS(X, CMP) FX_FOR_FORMS(X, AND) \
    FX_FOR_FORMS(X, OR) FX_FOR_FORMS(X, XOR) FX_FOR_FORMS(X, TEST)
#define FX_TABLE_ENTRY(prefix, OP, FORM, SZ) \
    [FX_##OP][FXF_##FORM][SZ == 1 ? 0 : SZ == 4 ? 1 : 2] = prefix##_##OP##_##FORM##_##SZ,

/* The FX_* operation of an instruction, or -1. */
static inline int fx_op_of(int op)
{
    switch (op) {
    case X86_OP_ADD: return FX_ADD;
    case X86_OP_SUB: return FX_SUB;
    case X86_OP_CMP: return FX_CMP;
    case X86_OP_AND: return FX_AND;
    case X86_OP_OR: return FX_OR;
    case X86_OP_XOR: return FX_XOR;
    case X86_OP_TEST: return FX_TEST;
    default: return -1;
    }
}

/* Index of a size in the tables: 1 -> 0, 4 -> 1, 8 -> 2, else -1. */
static inline int fx_size_index(int size)
{
    return size == 1 ? 0 : size == 4 ? 1 : size == 8 ? 2 : -1;
}

/* Whether a memory operand may take the TLB-only path in this block. */
static inline bool fx_mem_ok(const struct x86_insn *in, int mode, bool tlb)
{
    return tlb && (mode & IC_MODE_FLAT) &&
           (in->mem.seg == S_DS || in->mem.seg == S_ES || in->mem.seg == S_SS);
}

/* --- conditions (SDM Vol. 1, Appendix B) without forming RFLAGS --- */

/* The flags CF ZF SF OF after `op` computed res from a and b, as the index
 * of lf_cond_mask (cpu/flags.h): no branches, for the fused Jcc. */
FX_INLINE unsigned fx_flags_index(int op, int size, uint64_t a, uint64_t b, uint64_t res)
{
    unsigned cf, of;
    switch (op) {
    case FX_ADD:
        cf = res < a;
        of = lf_sign((a ^ res) & (b ^ res), size);
        break;
    case FX_SUB: case FX_CMP:
        cf = a < b;
        of = lf_sign((a ^ b) & (a ^ res), size);
        break;
    default:
        cf = of = 0;
        break;
    }
    return cf | (res == 0) << 1 | lf_sign(res, size) << 2 | of << 3;
}

/* --- branches --- */

/* Whether the relative branch at e may take its precomputed target without
 * a check: in 64-bit mode a canonical target, in a flat 32-bit block any
 * (CS.limit is 4 GiB); elsewhere the general handler checks the limit. */
FX_INLINE bool fx_target_ok(const struct ic_insn *e, int mode)
{
    if (!(mode & IC_MODE_FLAT))
        return false;
    if ((mode & IC_MODE_BITS) == 64)
        return ix_canonical(e->target);
    return true;
}

#endif
