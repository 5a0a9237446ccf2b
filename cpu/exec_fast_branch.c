/* Specialised handlers for near branches and the stack in flat blocks: Jcc,
 * JMP, CALL, RET, JMP/CALL through a register, PUSH, POP.  A relative
 * branch's target is known when the block is decoded (ic_insn.target) and
 * chosen only where it needs no check (fx_target_ok).  The stack is used
 * at its natural size only: 8 bytes in 64-bit code, 4 in flat 32-bit code
 * (whose SS is 32-bit); anything else, a TLB miss, or a return address to
 * check goes to the general handler (cpu/exec_branch.c, exec_stack.c). */
#include "cpu/exec_fast_inline.h"

/* rSP mask of a stack used at `size` bytes (see above). */
FX_INLINE uint64_t fx_sp_mask(int size)
{
    return size == 8 ? ~0ull : 0xffffffffull;
}

FX_INLINE void fx_set_sp(struct x86_cpu *cpu, int size, uint64_t sp)
{
    uint64_t m = fx_sp_mask(size);
    cpu->gpr[R_RSP] = (cpu->gpr[R_RSP] & ~m) | (sp & m);
}

/* Push v, or false (nothing done) on a TLB miss. */
FX_INLINE bool fx_push(struct x86_cpu *cpu, int size, uint64_t v)
{
    uint64_t sp = (cpu->gpr[R_RSP] - (uint64_t)size) & fx_sp_mask(size);
    void *p = fx_ptr(cpu, sp, size, TLB_WRITE);
    if (!FX_LIKELY(p))
        return false;
    host_store(p, size, v);
    fx_set_sp(cpu, size, sp);
    return true;
}

/* The value at the top of the stack, or false on a TLB miss. */
FX_INLINE bool fx_top(struct x86_cpu *cpu, int size, uint64_t *v)
{
    void *p = fx_ptr(cpu, cpu->gpr[R_RSP] & fx_sp_mask(size), size, TLB_READ);
    if (!FX_LIKELY(p))
        return false;
    *v = host_load(p, size);
    return true;
}

/* A near target read from a register or the stack needs no check: in
 * 64-bit code when canonical, in flat 32-bit code always (4 GiB limit). */
FX_INLINE bool fx_near_ok(int size, uint64_t t)
{
    return size != 8 || ix_canonical(t);
}

FX_HANDLER(fast_JCC)
{
    cpu->rip = lf_cond(cpu, e->in.cond) ? e->target : e->next_rip;
    return ic_go(cpu, e + 1);
}

FX_HANDLER(fast_JMP)
{
    cpu->rip = e->target;
    return ic_go(cpu, e + 1);
}

/* As a block runs them: on to the next block directly (ic_goto). */
FX_HANDLER(chain_JCC)
{
    if (lf_cond(cpu, e->in.cond)) {
        cpu->rip = e->target;
        return ic_goto(cpu, e, 0);
    }
    cpu->rip = e->next_rip;
    return ic_goto(cpu, e, 1);
}

FX_HANDLER(chain_JMP)
{
    cpu->rip = e->target;
    return ic_goto(cpu, e, 0);
}

#define DEF_STACK(SZ) \
    FX_HANDLER(fast_CALL_##SZ) \
    { \
        if (!fx_push(cpu, SZ, e->next_rip)) \
            return ic_generic(cpu, e); \
        cpu->rip = e->target; \
        return ic_go(cpu, e + 1); \
    } \
    FX_HANDLER(chain_CALL_##SZ) \
    { \
        if (!fx_push(cpu, SZ, e->next_rip)) \
            return ic_generic(cpu, e); \
        cpu->rip = e->target; \
        return ic_goto(cpu, e, 0); \
    } \
    FX_HANDLER(fast_CALL_r_##SZ) \
    { \
        uint64_t t = cpu->gpr[e->in.rm] & lf_mask(SZ); \
        if (!fx_near_ok(SZ, t) || !fx_push(cpu, SZ, e->next_rip)) \
            return ic_generic(cpu, e); \
        cpu->rip = t; \
        return ic_go(cpu, e + 1); \
    } \
    FX_HANDLER(fast_JMP_r_##SZ) \
    { \
        uint64_t t = cpu->gpr[e->in.rm] & lf_mask(SZ); \
        if (!fx_near_ok(SZ, t)) \
            return ic_generic(cpu, e); \
        cpu->rip = t; \
        return ic_go(cpu, e + 1); \
    } \
    /* RET and RET imm16 */ \
    FX_HANDLER(fast_RET_##SZ) \
    { \
        uint64_t t; \
        if (!fx_top(cpu, SZ, &t) || !fx_near_ok(SZ, t)) \
            return ic_generic(cpu, e); \
        fx_set_sp(cpu, SZ, cpu->gpr[R_RSP] + SZ + \
                  (e->in.form == FORM_IMM ? e->in.imm & 0xffff : 0)); \
        cpu->rip = t; \
        return ic_go(cpu, e + 1); \
    } \
    FX_HANDLER(fast_PUSH_r_##SZ) \
    { \
        if (!fx_push(cpu, SZ, cpu->gpr[e->in.reg])) \
            return ic_generic(cpu, e); \
        return ic_next(cpu, e); \
    } \
    FX_HANDLER(fast_PUSH_i_##SZ) \
    { \
        if (!fx_push(cpu, SZ, e->in.imm)) \
            return ic_generic(cpu, e); \
        return ic_next(cpu, e); \
    } \
    /* POP r: rSP moves first, so POP rSP loads the value popped */ \
    FX_HANDLER(fast_POP_r_##SZ) \
    { \
        uint64_t v; \
        if (!fx_top(cpu, SZ, &v)) \
            return ic_generic(cpu, e); \
        fx_set_sp(cpu, SZ, cpu->gpr[R_RSP] + SZ); \
        fx_set_reg(cpu, e->in.reg, SZ, v); \
        return ic_next(cpu, e); \
    }
DEF_STACK(4)
DEF_STACK(8)

#define BY_SIZE(name) (size == 4 ? name##_4 : name##_8)

ic_fn fast_branch_select(const struct ic_insn *e, int mode, bool tlb)
{
    const struct x86_insn *in = &e->in;
    int size = in->opsize, bits = mode & IC_MODE_BITS;
    bool mem = ix_is_mem(in);

    switch (in->op) {
    case X86_OP_JCC:
        return fx_target_ok(e, mode) ? fast_JCC : NULL;
    case X86_OP_JMP:
        return fx_target_ok(e, mode) ? fast_JMP : NULL;
    default:
        break;
    }
    /* The stack at its natural size in a flat block. */
    if (!tlb || !(mode & IC_MODE_FLAT) || size != (bits == 64 ? 8 : 4))
        return NULL;
    switch (in->op) {
    case X86_OP_CALL:
        return fx_target_ok(e, mode) ? BY_SIZE(fast_CALL) : NULL;
    case X86_OP_CALL_IND:
        return mem ? NULL : BY_SIZE(fast_CALL_r);
    case X86_OP_JMP_IND:
        return mem ? NULL : BY_SIZE(fast_JMP_r);
    case X86_OP_RET:
        return in->form == FORM_NONE || in->form == FORM_IMM ? BY_SIZE(fast_RET) : NULL;
    case X86_OP_PUSH:
        if (in->form == FORM_REG)
            return BY_SIZE(fast_PUSH_r);
        return in->form == FORM_IMM ? BY_SIZE(fast_PUSH_i) : NULL;
    case X86_OP_POP:
        return in->form == FORM_REG ? BY_SIZE(fast_POP_r) : NULL;
    default:
        return NULL;
    }
}

ic_fn fast_branch_chain(const struct ic_insn *e, int mode, bool tlb)
{
    ic_fn fn = fast_branch_select(e, mode, tlb);

    if (fn == fast_JCC)
        return chain_JCC;
    if (fn == fast_JMP)
        return chain_JMP;
    if (fn == fast_CALL_4)
        return chain_CALL_4;
    if (fn == fast_CALL_8)
        return chain_CALL_8;
    return NULL;
}
