/* Specialised handlers for the hottest instruction forms, chosen when a
 * block is decoded (exec_fast_select).  Each does what the general handler
 * of its operation does for one operand size (4 or 8 bytes) and one form,
 * with the operand fetches resolved at decode time.
 *
 * They advance RIP with a plain add, which is right only in 32- and 64-bit
 * code away from the top of the 4 GiB EIP space; exec_fast_select is only
 * asked for such code (cpu/interp_cache.c). */
#include "cpu/exec_fast.h"

#include "cpu/exec_inline.h"

/* --- ALU, register destination --- */

#define ALU_LF_ADD LF_ADD
#define ALU_LF_SUB LF_SUB
#define ALU_LF_CMP LF_SUB
#define ALU_LF_AND LF_LOGIC
#define ALU_LF_OR LF_LOGIC
#define ALU_LF_XOR LF_LOGIC
#define ALU_LF_TEST LF_LOGIC
#define ALU_OP_ADD(a, b) ((a) + (b))
#define ALU_OP_SUB(a, b) ((a) - (b))
#define ALU_OP_CMP(a, b) ((a) - (b))
#define ALU_OP_AND(a, b) ((a) & (b))
#define ALU_OP_OR(a, b) ((a) | (b))
#define ALU_OP_XOR(a, b) ((a) ^ (b))
#define ALU_OP_TEST(a, b) ((a) & (b))
#define ALU_WRITES_ADD 1
#define ALU_WRITES_SUB 1
#define ALU_WRITES_CMP 0
#define ALU_WRITES_AND 1
#define ALU_WRITES_OR 1
#define ALU_WRITES_XOR 1
#define ALU_WRITES_TEST 0

/* T: the C type of the operand size; SZ: its bytes. */
#define DEF_ALU(NAME, T, SZ) \
    /* rm (register) op= reg */ \
    static void fast_##NAME##_rmreg##SZ(struct x86_cpu *cpu, const struct x86_insn *in) \
    { \
        T a = (T)cpu->gpr[in->rm], b = (T)cpu->gpr[in->reg]; \
        T res = (T)ALU_OP_##NAME(a, b); \
        if (ALU_WRITES_##NAME) \
            cpu->gpr[in->rm] = res; \
        lf_record(cpu, ALU_LF_##NAME, SZ, res, a, b); \
        cpu->rip += in->len; \
    } \
    /* reg op= rm (register) */ \
    static void fast_##NAME##_regrm##SZ(struct x86_cpu *cpu, const struct x86_insn *in) \
    { \
        T a = (T)cpu->gpr[in->reg], b = (T)cpu->gpr[in->rm]; \
        T res = (T)ALU_OP_##NAME(a, b); \
        if (ALU_WRITES_##NAME) \
            cpu->gpr[in->reg] = res; \
        lf_record(cpu, ALU_LF_##NAME, SZ, res, a, b); \
        cpu->rip += in->len; \
    } \
    /* reg op= [mem] */ \
    static void fast_##NAME##_regmem##SZ(struct x86_cpu *cpu, const struct x86_insn *in) \
    { \
        T a = (T)cpu->gpr[in->reg]; \
        T b = (T)ix_mem_read(cpu, in->mem.seg, ix_ea(cpu, in), SZ); \
        T res = (T)ALU_OP_##NAME(a, b); \
        if (ALU_WRITES_##NAME) \
            cpu->gpr[in->reg] = res; \
        lf_record(cpu, ALU_LF_##NAME, SZ, res, a, b); \
        cpu->rip += in->len; \
    } \
    /* rm (register) op= imm */ \
    static void fast_##NAME##_rmimm##SZ(struct x86_cpu *cpu, const struct x86_insn *in) \
    { \
        T a = (T)cpu->gpr[in->rm], b = (T)in->imm; \
        T res = (T)ALU_OP_##NAME(a, b); \
        if (ALU_WRITES_##NAME) \
            cpu->gpr[in->rm] = res; \
        lf_record(cpu, ALU_LF_##NAME, SZ, res, a, b); \
        cpu->rip += in->len; \
    }

#define DEF_ALU_SIZES(NAME) DEF_ALU(NAME, uint32_t, 4) DEF_ALU(NAME, uint64_t, 8)
DEF_ALU_SIZES(ADD)
DEF_ALU_SIZES(SUB)
DEF_ALU_SIZES(CMP)
DEF_ALU_SIZES(AND)
DEF_ALU_SIZES(OR)
DEF_ALU_SIZES(XOR)
DEF_ALU_SIZES(TEST)

/* --- MOV, LEA, INC/DEC, shifts by an immediate --- */

#define DEF_MOV(T, SZ) \
    static void fast_MOV_rmreg##SZ(struct x86_cpu *cpu, const struct x86_insn *in) \
    { \
        cpu->gpr[in->rm] = (T)cpu->gpr[in->reg]; \
        cpu->rip += in->len; \
    } \
    static void fast_MOV_regrm##SZ(struct x86_cpu *cpu, const struct x86_insn *in) \
    { \
        cpu->gpr[in->reg] = (T)cpu->gpr[in->rm]; \
        cpu->rip += in->len; \
    } \
    static void fast_MOV_regimm##SZ(struct x86_cpu *cpu, const struct x86_insn *in) \
    { \
        cpu->gpr[in->reg] = (T)in->imm; \
        cpu->rip += in->len; \
    } \
    static void fast_MOV_rmimm##SZ(struct x86_cpu *cpu, const struct x86_insn *in) \
    { \
        cpu->gpr[in->rm] = (T)in->imm; \
        cpu->rip += in->len; \
    } \
    static void fast_MOV_load##SZ(struct x86_cpu *cpu, const struct x86_insn *in) \
    { \
        cpu->gpr[in->reg] = (T)ix_mem_read(cpu, in->mem.seg, ix_ea(cpu, in), SZ); \
        cpu->rip += in->len; \
    } \
    static void fast_MOV_store##SZ(struct x86_cpu *cpu, const struct x86_insn *in) \
    { \
        ix_mem_write(cpu, in->mem.seg, ix_ea(cpu, in), SZ, (T)cpu->gpr[in->reg]); \
        cpu->rip += in->len; \
    } \
    static void fast_MOV_storeimm##SZ(struct x86_cpu *cpu, const struct x86_insn *in) \
    { \
        ix_mem_write(cpu, in->mem.seg, ix_ea(cpu, in), SZ, (T)in->imm); \
        cpu->rip += in->len; \
    } \
    static void fast_LEA##SZ(struct x86_cpu *cpu, const struct x86_insn *in) \
    { \
        cpu->gpr[in->reg] = (T)ix_ea(cpu, in); \
        cpu->rip += in->len; \
    }
DEF_MOV(uint32_t, 4)
DEF_MOV(uint64_t, 8)

/* INC/DEC keep CF: fold it into rflags first (see exec_INC). */
#define DEF_INCDEC(T, SZ) \
    static void fast_INC##SZ(struct x86_cpu *cpu, const struct x86_insn *in) \
    { \
        int r = in->form == FORM_REG ? in->reg : in->rm; \
        T a = (T)cpu->gpr[r], res = (T)(a + 1); \
        if (cpu->lazy.op != LF_NONE && cpu->lazy.op != LF_INC && cpu->lazy.op != LF_DEC) \
            cpu->rflags = (cpu->rflags & ~(uint64_t)FL_CF) | x86_get_cf(cpu); \
        cpu->gpr[r] = res; \
        lf_record(cpu, LF_INC, SZ, res, a, 1); \
        cpu->rip += in->len; \
    } \
    static void fast_DEC##SZ(struct x86_cpu *cpu, const struct x86_insn *in) \
    { \
        int r = in->form == FORM_REG ? in->reg : in->rm; \
        T a = (T)cpu->gpr[r], res = (T)(a - 1); \
        if (cpu->lazy.op != LF_NONE && cpu->lazy.op != LF_INC && cpu->lazy.op != LF_DEC) \
            cpu->rflags = (cpu->rflags & ~(uint64_t)FL_CF) | x86_get_cf(cpu); \
        cpu->gpr[r] = res; \
        lf_record(cpu, LF_DEC, SZ, res, a, 1); \
        cpu->rip += in->len; \
    }
DEF_INCDEC(uint32_t, 4)
DEF_INCDEC(uint64_t, 8)

#define DEF_SHIFT(T, SZ, MASK) \
    static void fast_SHL_imm##SZ(struct x86_cpu *cpu, const struct x86_insn *in) \
    { \
        unsigned c = (unsigned)in->imm & MASK; \
        if (c) { \
            T a = (T)cpu->gpr[in->rm], res = (T)(a << c); \
            cpu->gpr[in->rm] = res; \
            lf_record(cpu, LF_SHL, SZ, res, a, c); \
        } \
        cpu->rip += in->len; \
    } \
    static void fast_SHR_imm##SZ(struct x86_cpu *cpu, const struct x86_insn *in) \
    { \
        unsigned c = (unsigned)in->imm & MASK; \
        if (c) { \
            T a = (T)cpu->gpr[in->rm], res = (T)(a >> c); \
            cpu->gpr[in->rm] = res; \
            lf_record(cpu, LF_SHR, SZ, res, a, c); \
        } \
        cpu->rip += in->len; \
    }
DEF_SHIFT(uint32_t, 4, 31)
DEF_SHIFT(uint64_t, 8, 63)

/* MOVZX r32/r64, r/m8 or r/m16 (the high-byte registers need no REX). */
static void fast_MOVZX_load(struct x86_cpu *cpu, const struct x86_insn *in)
{
    cpu->gpr[in->reg] = ix_mem_read(cpu, in->mem.seg, ix_ea(cpu, in), in->src_size);
    cpu->rip += in->len;
}

static void fast_MOVZX_reg(struct x86_cpu *cpu, const struct x86_insn *in)
{
    cpu->gpr[in->reg] = ix_get_reg(cpu, in->rm, in->src_size, ix_rex(in));
    cpu->rip += in->len;
}

/* MOV m8, r8 and MOV r8, m8. */
static void fast_MOV_store1(struct x86_cpu *cpu, const struct x86_insn *in)
{
    ix_mem_write(cpu, in->mem.seg, ix_ea(cpu, in), 1, ix_get_reg(cpu, in->reg, 1, ix_rex(in)));
    cpu->rip += in->len;
}

static void fast_MOV_load1(struct x86_cpu *cpu, const struct x86_insn *in)
{
    ix_set_reg(cpu, in->reg, 1, ix_rex(in), ix_mem_read(cpu, in->mem.seg, ix_ea(cpu, in), 1));
    cpu->rip += in->len;
}

/* Jcc with a 32/64-bit operand size; the target checks of exec_JCC. */
static void fast_JCC(struct x86_cpu *cpu, const struct x86_insn *in)
{
    uint64_t next = cpu->rip + in->len;
    if (lf_cond(cpu, in->cond)) {
        uint64_t t = (next + in->imm) & lf_mask(in->opsize);
        if (x86_code64(cpu) ? !ix_canonical(t) : t > cpu->seg[S_CS].limit)
            x86_raise(cpu, X86_GP, 0);
        cpu->rip = t;
    } else {
        cpu->rip = next;
    }
}

/* --- selection --- */

#define PICK(NAME, FORM) (size == 4 ? fast_##NAME##_##FORM##4 : fast_##NAME##_##FORM##8)
#define PICK_ALU(NAME) \
    case X86_OP_##NAME: \
        if (in->form == FORM_RM_REG && !mem) return PICK(NAME, rmreg); \
        if (in->form == FORM_REG_RM && !mem) return PICK(NAME, regrm); \
        if (in->form == FORM_REG_RM && mem) return PICK(NAME, regmem); \
        if (in->form == FORM_RM_IMM && !mem) return PICK(NAME, rmimm); \
        return NULL;

x86_exec_fn exec_fast_select(const struct x86_insn *in)
{
    int size = in->opsize;
    bool mem = (in->flags & INSN_MEM) != 0;

    if (in->flags & (INSN_LOCK | INSN_REP | INSN_REPNE))
        return NULL;
    if (in->op == X86_OP_MOVZX && (size == 4 || size == 8) && (in->src_size == 1 || in->src_size == 2))
        return mem ? fast_MOVZX_load : fast_MOVZX_reg;
    if (in->op == X86_OP_MOV && size == 1 && mem && in->form == FORM_RM_REG)
        return fast_MOV_store1;
    if (in->op == X86_OP_MOV && size == 1 && mem && in->form == FORM_REG_RM)
        return fast_MOV_load1;
    if (size != 4 && size != 8)
        return NULL;
    switch (in->op) {
    PICK_ALU(ADD)
    PICK_ALU(SUB)
    PICK_ALU(CMP)
    PICK_ALU(AND)
    PICK_ALU(OR)
    PICK_ALU(XOR)
    PICK_ALU(TEST)
    case X86_OP_MOV:
        switch (in->form) {
        case FORM_RM_REG: return mem ? PICK(MOV, store) : PICK(MOV, rmreg);
        case FORM_REG_RM: return mem ? PICK(MOV, load) : PICK(MOV, regrm);
        case FORM_REG_IMM: return PICK(MOV, regimm);
        case FORM_RM_IMM: return mem ? PICK(MOV, storeimm) : PICK(MOV, rmimm);
        default: return NULL;
        }
    case X86_OP_LEA:
        return mem ? (size == 4 ? fast_LEA4 : fast_LEA8) : NULL;
    case X86_OP_INC:
        if (mem || (in->form != FORM_RM && in->form != FORM_REG)) return NULL;
        return size == 4 ? fast_INC4 : fast_INC8;
    case X86_OP_DEC:
        if (mem || (in->form != FORM_RM && in->form != FORM_REG)) return NULL;
        return size == 4 ? fast_DEC4 : fast_DEC8;
    case X86_OP_SHL:
        return in->form == FORM_RM_IMM && !mem ? PICK(SHL, imm) : NULL;
    case X86_OP_SHR:
        return in->form == FORM_RM_IMM && !mem ? PICK(SHR, imm) : NULL;
    case X86_OP_JCC:
        return fast_JCC;
    default:
        return NULL;
    }
}
