/* Integer arithmetic and logic: ADD OR ADC SBB AND SUB XOR CMP TEST, INC
 * DEC NOT NEG (SDM Vol. 2).  Flags are recorded lazily (cpu/flags.h). */
#include "cpu/exec_inline.h"

enum alu_kind { ALU_ADD, ALU_OR, ALU_ADC, ALU_SBB, ALU_AND, ALU_SUB, ALU_XOR, ALU_CMP, ALU_TEST };

/* res of a op b (with carry-in cin), truncated to the size by the caller. */
static inline uint64_t alu_compute(enum alu_kind k, uint64_t a, uint64_t b, uint64_t cin)
{
    switch (k) {
    case ALU_ADD: return a + b;
    case ALU_ADC: return a + b + cin;
    case ALU_SUB: case ALU_CMP: return a - b;
    case ALU_SBB: return a - b - cin;
    case ALU_AND: case ALU_TEST: return a & b;
    case ALU_OR: return a | b;
    default: return a ^ b;
    }
}

static inline void alu_flags(struct x86_cpu *cpu, enum alu_kind k, int size,
                             uint64_t res, uint64_t a, uint64_t b)
{
    static const uint8_t lf[] = {
        [ALU_ADD] = LF_ADD, [ALU_OR] = LF_LOGIC, [ALU_ADC] = LF_ADC, [ALU_SBB] = LF_SBB,
        [ALU_AND] = LF_LOGIC, [ALU_SUB] = LF_SUB, [ALU_XOR] = LF_LOGIC, [ALU_CMP] = LF_SUB,
        [ALU_TEST] = LF_LOGIC,
    };
    lf_record(cpu, lf[k], size, res, a, b);
}

static inline void alu_binop(struct x86_cpu *cpu, const struct x86_insn *in, enum alu_kind k)
{
    int size = in->opsize;
    uint64_t m = lf_mask(size);
    uint64_t a, b, res, cin = 0;
    bool writes = k != ALU_CMP && k != ALU_TEST;

    if (k == ALU_ADC || k == ALU_SBB)
        cin = x86_get_cf(cpu);

    switch (in->form) {
    case FORM_REG_RM:
    case FORM_REG_IMM:
        a = ix_get_reg(cpu, in->reg, size, ix_rex(in));
        b = in->form == FORM_REG_IMM ? in->imm & m : ix_read_rm(cpu, in, size);
        res = alu_compute(k, a, b, cin) & m;
        if (writes)
            ix_set_reg(cpu, in->reg, size, ix_rex(in), res);
        break;
    default: { /* FORM_RM_REG, FORM_RM_IMM */
        b = in->form == FORM_RM_REG ? ix_get_reg(cpu, in->reg, size, ix_rex(in)) : in->imm & m;
        if (!writes) {
            a = ix_read_rm(cpu, in, size);
            res = alu_compute(k, a, b, cin) & m;
            break;
        }
        struct rmw r;
        rmw_begin(cpu, in, size, &r);
        do {
            a = rmw_read(cpu, in, &r);
            res = alu_compute(k, a, b, cin) & m;
        } while (!rmw_commit(cpu, in, &r, a, res));
        break;
    }
    }
    alu_flags(cpu, k, size, res, a, b);
    cpu->rip = ix_next_rip(cpu, in);
}

void exec_ADD(struct x86_cpu *cpu, const struct x86_insn *in) { alu_binop(cpu, in, ALU_ADD); }
void exec_OR(struct x86_cpu *cpu, const struct x86_insn *in) { alu_binop(cpu, in, ALU_OR); }
void exec_ADC(struct x86_cpu *cpu, const struct x86_insn *in) { alu_binop(cpu, in, ALU_ADC); }
void exec_SBB(struct x86_cpu *cpu, const struct x86_insn *in) { alu_binop(cpu, in, ALU_SBB); }
void exec_AND(struct x86_cpu *cpu, const struct x86_insn *in) { alu_binop(cpu, in, ALU_AND); }
void exec_SUB(struct x86_cpu *cpu, const struct x86_insn *in) { alu_binop(cpu, in, ALU_SUB); }
void exec_XOR(struct x86_cpu *cpu, const struct x86_insn *in) { alu_binop(cpu, in, ALU_XOR); }
void exec_CMP(struct x86_cpu *cpu, const struct x86_insn *in) { alu_binop(cpu, in, ALU_CMP); }
void exec_TEST(struct x86_cpu *cpu, const struct x86_insn *in) { alu_binop(cpu, in, ALU_TEST); }

/* The destination of a one-operand instruction: the reg operand for
 * FORM_REG (INC r in 16/32-bit code), else r/m. */
static inline void rmw_begin_dst(struct x86_cpu *cpu, const struct x86_insn *in, int size, struct rmw *r)
{
    if (in->form == FORM_REG)
        rmw_begin_reg(in, size, r);
    else
        rmw_begin(cpu, in, size, r);
}

/* INC/DEC leave CF alone (SDM INC): fold the current CF into rflags, where
 * LF_INC/LF_DEC read it. */
static inline void incdec(struct x86_cpu *cpu, const struct x86_insn *in, int delta)
{
    int size = in->opsize;
    uint64_t m = lf_mask(size), a, res;
    struct rmw r;

    rmw_begin_dst(cpu, in, size, &r);
    do {
        a = rmw_read(cpu, in, &r);
        res = (a + (uint64_t)(int64_t)delta) & m;
    } while (!rmw_commit(cpu, in, &r, a, res));
    if (cpu->lazy.op != LF_NONE)
        cpu->rflags = (cpu->rflags & ~(uint64_t)FL_CF) | x86_get_cf(cpu);
    lf_record(cpu, delta > 0 ? LF_INC : LF_DEC, size, res, a, 1);
    cpu->rip = ix_next_rip(cpu, in);
}

void exec_INC(struct x86_cpu *cpu, const struct x86_insn *in) { incdec(cpu, in, 1); }
void exec_DEC(struct x86_cpu *cpu, const struct x86_insn *in) { incdec(cpu, in, -1); }

void exec_NOT(struct x86_cpu *cpu, const struct x86_insn *in)
{
    int size = in->opsize;
    uint64_t a;
    struct rmw r;

    rmw_begin_dst(cpu, in, size, &r);
    do {
        a = rmw_read(cpu, in, &r);
    } while (!rmw_commit(cpu, in, &r, a, ~a & lf_mask(size)));
    cpu->rip = ix_next_rip(cpu, in); /* NOT changes no flags */
}

/* NEG: 0 - dest, CF = (dest != 0) — the flags of SUB with src1 = 0. */
void exec_NEG(struct x86_cpu *cpu, const struct x86_insn *in)
{
    int size = in->opsize;
    uint64_t a, res;
    struct rmw r;

    rmw_begin_dst(cpu, in, size, &r);
    do {
        a = rmw_read(cpu, in, &r);
        res = (0 - a) & lf_mask(size);
    } while (!rmw_commit(cpu, in, &r, a, res));
    lf_record(cpu, LF_SUB, size, res, 0, a);
    cpu->rip = ix_next_rip(cpu, in);
}
