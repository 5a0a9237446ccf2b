/* Specialised handlers for arithmetic and register moves: ADD SUB CMP AND
 * OR XOR TEST in every form (memory ones through the TLB), MOV between
 * registers and from an immediate, LEA, INC/DEC, shifts by an immediate,
 * MOVZX/MOVSX from a register, IMUL, CMOVcc, NOP.  Each does what its
 * general handler in cpu/exec_*.c does, for the one form it is chosen for. */
#include "cpu/exec_fast_inline.h"

/* --- ADD SUB CMP AND OR XOR TEST --- */

#define FX_ALU_HANDLER(OP, FORM, SZ) \
    FX_HANDLER(fast_##OP##_##FORM##_##SZ) \
    { \
        uint64_t a, b, res; \
        if (!fx_alu_run(cpu, e, FX_##OP, FXF_##FORM, SZ, &a, &b, &res)) \
            return ic_generic(cpu, e); \
        return ic_next(cpu, e); \
    }
FX_FOR_ALL(FX_ALU_HANDLER)

#define FX_ALU_ENTRY(OP, FORM, SZ) FX_TABLE_ENTRY(fast, OP, FORM, SZ)
static const ic_fn alu_table[FX_TEST + 1][FXF_COUNT][3] = { FX_FOR_ALL(FX_ALU_ENTRY) };

/* --- MOV r, r / MOV r, imm / LEA --- */

#define DEF_MOV(SZ) \
    FX_HANDLER(fast_MOV_rr_##SZ) /* MOV rm, reg */ \
    { \
        fx_set_reg(cpu, e->in.rm, SZ, cpu->gpr[e->in.reg]); \
        return ic_next(cpu, e); \
    } \
    FX_HANDLER(fast_MOV_rr2_##SZ) /* MOV reg, rm */ \
    { \
        fx_set_reg(cpu, e->in.reg, SZ, cpu->gpr[e->in.rm]); \
        return ic_next(cpu, e); \
    } \
    FX_HANDLER(fast_MOV_ri_##SZ) /* MOV rm, imm */ \
    { \
        fx_set_reg(cpu, e->in.rm, SZ, e->in.imm); \
        return ic_next(cpu, e); \
    } \
    FX_HANDLER(fast_MOV_ri2_##SZ) /* MOV reg, imm */ \
    { \
        fx_set_reg(cpu, e->in.reg, SZ, e->in.imm); \
        return ic_next(cpu, e); \
    } \
    FX_HANDLER(fast_LEA_##SZ) \
    { \
        fx_set_reg(cpu, e->in.reg, SZ, fx_ea(cpu, &e->in)); \
        return ic_next(cpu, e); \
    }
DEF_MOV(4)
DEF_MOV(8)

/* --- INC/DEC r: CF is kept, so fold it into rflags first (exec_INC) --- */

FX_INLINE void fx_keep_cf(struct x86_cpu *cpu)
{
    if (cpu->lazy.op != LF_NONE && cpu->lazy.op != LF_INC && cpu->lazy.op != LF_DEC)
        cpu->rflags = (cpu->rflags & ~(uint64_t)FL_CF) | x86_get_cf(cpu);
}

#define DEF_INCDEC(SZ) \
    FX_HANDLER(fast_INC_##SZ) \
    { \
        int r = e->in.form == FORM_REG ? e->in.reg : e->in.rm; \
        uint64_t a = fx_reg(cpu, r, SZ), res = (a + 1) & lf_mask(SZ); \
        fx_keep_cf(cpu); \
        cpu->gpr[r] = res; \
        lf_record(cpu, LF_INC, SZ, res, a, 1); \
        return ic_next(cpu, e); \
    } \
    FX_HANDLER(fast_DEC_##SZ) \
    { \
        int r = e->in.form == FORM_REG ? e->in.reg : e->in.rm; \
        uint64_t a = fx_reg(cpu, r, SZ), res = (a - 1) & lf_mask(SZ); \
        fx_keep_cf(cpu); \
        cpu->gpr[r] = res; \
        lf_record(cpu, LF_DEC, SZ, res, a, 1); \
        return ic_next(cpu, e); \
    }
DEF_INCDEC(4)
DEF_INCDEC(8)

/* --- SHL/SHR/SAR r, imm8 (exec_shift.c): a masked count of 0 changes no
 * flags but still writes the register, which zero-extends a 32-bit one --- */

#define DEF_SHIFT(SZ, MASK) \
    FX_HANDLER(fast_SHL_##SZ) \
    { \
        unsigned c = (unsigned)e->in.imm & MASK; \
        uint64_t a = fx_reg(cpu, e->in.rm, SZ), res = (a << c) & lf_mask(SZ); \
        cpu->gpr[e->in.rm] = res; \
        if (c) \
            lf_record(cpu, LF_SHL, SZ, res, a, c); \
        return ic_next(cpu, e); \
    } \
    FX_HANDLER(fast_SHR_##SZ) \
    { \
        unsigned c = (unsigned)e->in.imm & MASK; \
        uint64_t a = fx_reg(cpu, e->in.rm, SZ), res = a >> c; \
        cpu->gpr[e->in.rm] = res; \
        if (c) \
            lf_record(cpu, LF_SHR, SZ, res, a, c); \
        return ic_next(cpu, e); \
    } \
    FX_HANDLER(fast_SAR_##SZ) \
    { \
        unsigned c = (unsigned)e->in.imm & MASK; \
        uint64_t a = fx_reg(cpu, e->in.rm, SZ); \
        uint64_t res = (uint64_t)(lf_sext(a, SZ) >> c) & lf_mask(SZ); \
        cpu->gpr[e->in.rm] = res; \
        if (c) \
            lf_record(cpu, LF_SAR, SZ, res, a, c); \
        return ic_next(cpu, e); \
    }
DEF_SHIFT(4, 31)
DEF_SHIFT(8, 63)

/* --- MOVZX/MOVSX r32/r64, r8/r16 (high-byte registers without REX) --- */

/* The value is below 2^16, so it is the whole of a 4- or 8-byte result. */
FX_HANDLER(fast_MOVZX_r)
{
    cpu->gpr[e->in.reg] = ix_get_reg(cpu, e->in.rm, e->in.src_size, ix_rex(&e->in));
    return ic_next(cpu, e);
}

FX_HANDLER(fast_MOVSX_r)
{
    uint64_t v = ix_get_reg(cpu, e->in.rm, e->in.src_size, ix_rex(&e->in));
    fx_set_reg(cpu, e->in.reg, e->in.opsize, (uint64_t)lf_sext(v, e->in.src_size));
    return ic_next(cpu, e);
}

/* --- IMUL r, r/m(register)[, imm] (exec_IMUL): CF = OF = the product does
 * not fit the operand size --- */

#define DEF_IMUL(SZ) \
    FX_HANDLER(fast_IMUL_##SZ) \
    { \
        int64_t b = lf_sext(cpu->gpr[e->in.rm], SZ); \
        int64_t a = e->in.form == FORM_REG_RM_IMM ? lf_sext(e->in.imm, SZ) \
                                                  : lf_sext(cpu->gpr[e->in.reg], SZ); \
        __int128 p = (__int128)a * b; \
        uint64_t lo = (uint64_t)p & lf_mask(SZ); \
        cpu->gpr[e->in.reg] = lo; \
        lf_record(cpu, LF_MUL, SZ, lo, p != (__int128)lf_sext(lo, SZ), 0); \
        return ic_next(cpu, e); \
    }
DEF_IMUL(4)
DEF_IMUL(8)

/* --- CMOVcc r, r (exec_CMOVCC): a 32-bit CMOV zero-extends either way --- */

#define DEF_CMOV(SZ) \
    FX_HANDLER(fast_CMOV_##SZ) \
    { \
        uint64_t v = lf_cond(cpu, e->in.cond) ? cpu->gpr[e->in.rm] : cpu->gpr[e->in.reg]; \
        fx_set_reg(cpu, e->in.reg, SZ, v); \
        return ic_next(cpu, e); \
    }
DEF_CMOV(4)
DEF_CMOV(8)

FX_HANDLER(fast_NOP)
{
    return ic_next(cpu, e);
}

/* --- selection --- */

#define BY_SIZE(name) (size == 4 ? name##_4 : name##_8)

ic_fn fast_alu_select(const struct ic_insn *e, int mode, bool tlb)
{
    const struct x86_insn *in = &e->in;
    int size = in->opsize;
    bool mem = ix_is_mem(in);
    int op = fx_op_of(in->op);

    if (op >= 0) {
        int form = fx_form_of(in), si = fx_size_index(size);
        if (form < 0 || si < 0 || (in->flags & INSN_LOCK) || (mem && !fx_mem_ok(in, mode, tlb)))
            return NULL;
        return alu_table[op][form][si];
    }
    if (in->op == X86_OP_NOP)
        return fast_NOP;
    if ((in->op == X86_OP_MOVZX || in->op == X86_OP_MOVSX) && !mem && (size == 4 || size == 8) &&
        (in->src_size == 1 || in->src_size == 2))
        return in->op == X86_OP_MOVZX ? fast_MOVZX_r : fast_MOVSX_r;
    if (size != 4 && size != 8)
        return NULL;
    switch (in->op) {
    case X86_OP_MOV:
        if (mem)
            return NULL;
        switch (in->form) {
        case FORM_RM_REG: return BY_SIZE(fast_MOV_rr);
        case FORM_REG_RM: return BY_SIZE(fast_MOV_rr2);
        case FORM_RM_IMM: return BY_SIZE(fast_MOV_ri);
        case FORM_REG_IMM: return BY_SIZE(fast_MOV_ri2);
        default: return NULL;
        }
    case X86_OP_LEA:
        return mem ? BY_SIZE(fast_LEA) : NULL;
    case X86_OP_INC:
    case X86_OP_DEC:
        if (mem || (in->form != FORM_RM && in->form != FORM_REG))
            return NULL;
        return in->op == X86_OP_INC ? BY_SIZE(fast_INC) : BY_SIZE(fast_DEC);
    case X86_OP_SHL:
    case X86_OP_SHR:
    case X86_OP_SAR:
        if (mem || in->form != FORM_RM_IMM)
            return NULL;
        return in->op == X86_OP_SHL ? BY_SIZE(fast_SHL)
             : in->op == X86_OP_SHR ? BY_SIZE(fast_SHR) : BY_SIZE(fast_SAR);
    case X86_OP_IMUL:
        return mem ? NULL : BY_SIZE(fast_IMUL);
    case X86_OP_CMOVCC:
        return mem ? NULL : BY_SIZE(fast_CMOV);
    default:
        return NULL;
    }
}
