/* Specialised handlers for loads and stores in flat blocks: MOV r, [m];
 * MOV [m], r; MOV [m], imm; MOVZX/MOVSX r, [m].  Through the TLB only; a
 * miss hands the instruction to its general handler (cpu/exec_move.c),
 * which walks the page tables, faults or exits for MMIO. */
#include "cpu/exec_fast_inline.h"

#define DEF_MOV_MEM(SZ) \
    FX_HANDLER(fast_MOV_load_##SZ) \
    { \
        void *p = fx_mem(cpu, e, SZ, TLB_READ); \
        if (!FX_LIKELY(p)) \
            return ic_generic(cpu, e); \
        ix_set_reg(cpu, e->in.reg, SZ, ix_rex(&e->in), host_load(p, SZ)); \
        return ic_next(cpu, e); \
    } \
    FX_HANDLER(fast_MOV_store_##SZ) \
    { \
        void *p = fx_mem(cpu, e, SZ, TLB_WRITE); \
        if (!FX_LIKELY(p)) \
            return ic_generic(cpu, e); \
        host_store(p, SZ, ix_get_reg(cpu, e->in.reg, SZ, ix_rex(&e->in))); \
        return ic_next(cpu, e); \
    } \
    FX_HANDLER(fast_MOV_storeimm_##SZ) \
    { \
        void *p = fx_mem(cpu, e, SZ, TLB_WRITE); \
        if (!FX_LIKELY(p)) \
            return ic_generic(cpu, e); \
        host_store(p, SZ, e->in.imm); \
        return ic_next(cpu, e); \
    }
DEF_MOV_MEM(1)
DEF_MOV_MEM(2)
DEF_MOV_MEM(4)
DEF_MOV_MEM(8)

/* MOVZX/MOVSX r32/r64, m8/m16: the destination is written whole (a
 * zero-extended value below 2^16 is the same at either size). */
#define DEF_MOVX_MEM(SRC) \
    FX_HANDLER(fast_MOVZX_load_##SRC) \
    { \
        void *p = fx_mem(cpu, e, SRC, TLB_READ); \
        if (!FX_LIKELY(p)) \
            return ic_generic(cpu, e); \
        cpu->gpr[e->in.reg] = host_load(p, SRC); \
        return ic_next(cpu, e); \
    } \
    FX_HANDLER(fast_MOVSX_load_##SRC) \
    { \
        void *p = fx_mem(cpu, e, SRC, TLB_READ); \
        if (!FX_LIKELY(p)) \
            return ic_generic(cpu, e); \
        fx_set_reg(cpu, e->in.reg, e->in.opsize, (uint64_t)lf_sext(host_load(p, SRC), SRC)); \
        return ic_next(cpu, e); \
    }
DEF_MOVX_MEM(1)
DEF_MOVX_MEM(2)

#define BY_SIZE(name) \
    (size == 1 ? name##_1 : size == 2 ? name##_2 : size == 4 ? name##_4 : name##_8)

ic_fn fast_mem_select(const struct ic_insn *e, int mode, bool tlb)
{
    const struct x86_insn *in = &e->in;
    int size = in->opsize;

    if (!ix_is_mem(in) || !fx_mem_ok(in, mode, tlb) || (in->flags & INSN_LOCK))
        return NULL;
    switch (in->op) {
    case X86_OP_MOV:
        switch (in->form) {
        case FORM_REG_RM: return BY_SIZE(fast_MOV_load);
        case FORM_RM_REG: return BY_SIZE(fast_MOV_store);
        case FORM_RM_IMM: return BY_SIZE(fast_MOV_storeimm);
        default: return NULL;
        }
    case X86_OP_MOVZX:
    case X86_OP_MOVSX:
        if ((size != 4 && size != 8) || (in->src_size != 1 && in->src_size != 2))
            return NULL;
        if (in->op == X86_OP_MOVZX)
            return in->src_size == 1 ? fast_MOVZX_load_1 : fast_MOVZX_load_2;
        return in->src_size == 1 ? fast_MOVSX_load_1 : fast_MOVSX_load_2;
    default:
        return NULL;
    }
}
