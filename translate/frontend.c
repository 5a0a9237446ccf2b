/* The frontend: decoded guest instructions (cpu/decode.h) -> IR.
 *
 * Native translations follow the interpreter's handlers (cpu/exec_*.c)
 * step by step, in the same order of reads, checks and writes, so a fault
 * leaves the same state: memory is read before anything is written, a
 * store comes before the lazy flags and the registers it changes.  What is
 * not here (or not in a form handled here) becomes IR_INSN: the
 * interpreter's handler for that one instruction. */
#include <stddef.h>
#include <string.h>

#include "cpu/flags.h"
#include "translate/bt_internal.h"

#define OFF_GPR(r) (offsetof(struct x86_cpu, gpr) + 8u * (unsigned)(r))
#define OFF_RSP OFF_GPR(R_RSP)

struct fe {
    struct ir_block *ir;
    const struct x86_insn *in;
    int gi;
    int bits;
    uint64_t rip, next;
    uint8_t last_lazy;      /* last lazy op recorded in the block, LF_NONE: unknown */
    bool follows_target;    /* a Jcc whose target is the block's next instruction */
};

static struct ir_op *op(struct fe *f, int code)
{
    struct ir_block *ir = f->ir;
    if (ir->n >= IR_MAX_OPS) {
        ir->overflow = 1;
        ir->n = IR_MAX_OPS - 1;     /* keep writing somewhere harmless */
    }
    struct ir_op *o = &ir->op[ir->n++];
    memset(o, 0, sizeof(*o));
    o->op = (uint8_t)code;
    o->d = o->a = o->b = o->c = IR_NOREG;
    o->gi = (uint16_t)f->gi;
    o->size = 8;
    return o;
}

static void movi(struct fe *f, int d, uint64_t imm)
{
    struct ir_op *o = op(f, IR_MOVI);
    o->d = (int8_t)d;
    o->imm = imm;
}

static bool canonical(uint64_t a)
{
    return (uint64_t)((int64_t)(a << 16) >> 16) == a;
}

/* --- registers: byte offsets into struct x86_cpu --- */

static unsigned reg_off(int reg, int size, bool rex)
{
    if (size == 1 && !rex && reg >= 4 && reg < 8)
        return OFF_GPR(reg - 4) + 1;    /* AH CH DH BH */
    return OFF_GPR(reg);
}

static void ld_reg(struct fe *f, int d, int reg, int size, bool rex)
{
    struct ir_op *o = op(f, IR_LDS);
    o->d = (int8_t)d;
    o->size = (uint8_t)size;
    o->imm = reg_off(reg, size, rex);
}

/* A 32-bit result zero-extends into the 64-bit register (v is zero-extended
 * already); 8- and 16-bit results leave the rest alone. */
static void st_reg(struct fe *f, int reg, int size, bool rex, int v)
{
    struct ir_op *o = op(f, IR_STS);
    o->a = (int8_t)v;
    o->size = (uint8_t)(size == 4 ? 8 : size);
    o->imm = reg_off(reg, size, rex);
}

static void st_reg_imm(struct fe *f, int reg, int size, bool rex, uint64_t imm)
{
    struct ir_op *o = op(f, IR_STSI);
    o->size = (uint8_t)(size == 4 ? 8 : size);
    o->imm = reg_off(reg, size, rex);
    o->imm2 = imm & lf_mask(size);
}

static bool rex_of(const struct x86_insn *in)
{
    return (in->flags & INSN_REX) != 0;
}

static bool is_mem(const struct x86_insn *in)
{
    return (in->flags & INSN_MEM) != 0;
}

/* d = the effective address of the memory operand; uses t as well. */
static void ea(struct fe *f, int d, int t)
{
    const struct x86_insn *in = f->in;
    const struct x86_mem_operand *m = &in->mem;
    struct ir_op *o;

    if (m->rip_rel) {
        movi(f, d, (f->next + (uint64_t)m->disp) & lf_mask(in->addrsize));
        return;
    }
    if (m->base >= 0)
        ld_reg(f, d, m->base, 8, true);
    if (m->index >= 0)
        ld_reg(f, t, m->index, 8, true);
    o = op(f, IR_ADDR);
    o->d = (int8_t)d;
    o->a = (int8_t)(m->base >= 0 ? d : IR_NOREG);
    o->b = (int8_t)(m->index >= 0 ? t : IR_NOREG);
    o->scale = m->scale;
    o->imm = (uint64_t)m->disp;
    o->size = in->addrsize;
}

static void load(struct fe *f, int d, int addr, int size, int seg, bool rmw)
{
    struct ir_op *o = op(f, IR_LOAD);
    o->d = (int8_t)d;
    o->a = (int8_t)addr;
    o->size = (uint8_t)size;
    o->seg = (uint8_t)seg;
    o->flags = rmw ? IRF_RMW : 0;
}

static void store(struct fe *f, int addr, int v, int size, int seg)
{
    struct ir_op *o = op(f, IR_STORE);
    o->a = (int8_t)addr;
    o->b = (int8_t)v;
    o->size = (uint8_t)size;
    o->seg = (uint8_t)seg;
}

/* After a store: leave if it changed this block's code, with RIP = the
 * next instruction (or, for a call, the target: in v when v >= 0). */
static void check_smc_to(struct fe *f, uint64_t rip, int v)
{
    struct ir_op *o = op(f, IR_CHECK_SMC);
    o->imm = rip;
    o->a = (int8_t)v;
}

static void check_smc(struct fe *f)
{
    check_smc_to(f, f->next, IR_NOREG);
}

/* d = the rm operand (register, or memory through t as the address). */
static void read_rm(struct fe *f, int d, int t, int size)
{
    const struct x86_insn *in = f->in;
    if (is_mem(in)) {
        ea(f, t, d);
        load(f, d, t, size, in->mem.seg, false);
    } else {
        ld_reg(f, d, in->rm, size, rex_of(in));
    }
}

/* rm operand = v (memory through t as the address). */
static void write_rm(struct fe *f, int v, int t, int size)
{
    const struct x86_insn *in = f->in;
    if (is_mem(in)) {
        int u = 0;
        while (u == v || u == t)
            u++;
        ea(f, t, u);
        store(f, t, v, size, in->mem.seg);
        check_smc(f);
    } else {
        st_reg(f, in->rm, size, rex_of(in), v);
    }
}

static void lazy(struct fe *f, int lf, int size, int res, int src1, uint64_t src1_imm, int src2,
                 uint64_t src2_imm)
{
    struct ir_op *o = op(f, IR_LAZY);
    o->lf = (uint8_t)lf;
    o->size = (uint8_t)size;
    o->a = (int8_t)res;
    o->b = (int8_t)src1;
    o->imm = src1_imm;
    o->c = (int8_t)src2;
    o->imm2 = src2_imm;
    f->last_lazy = (uint8_t)lf;
}

static struct ir_op *arith(struct fe *f, int code, int lf, int size, int d, int a, int b,
                           uint64_t imm)
{
    struct ir_op *o = op(f, code);
    o->d = (int8_t)d;
    o->a = (int8_t)a;
    o->b = (int8_t)b;
    o->imm = imm;
    o->size = (uint8_t)size;
    o->lf = (uint8_t)lf;
    return o;
}

/* d = a + imm, truncated to the stack-address size. */
static void sp_add(struct fe *f, int d, int a, int64_t delta)
{
    struct ir_op *o = op(f, IR_ADDR);
    o->d = (int8_t)d;
    o->a = (int8_t)a;
    o->scale = 1;
    o->imm = (uint64_t)delta;
    o->size = f->bits == 64 ? 8 : 4;
}

static int stack_size(const struct fe *f)
{
    return f->bits == 64 ? 8 : 4;
}

/* Push v (uses s): write, then commit RSP (a fault leaves RSP alone). */
static void push(struct fe *f, int v, int s, int size)
{
    ld_reg(f, s, R_RSP, 8, true);
    sp_add(f, s, s, -size);
    store(f, s, v, size, S_SS);
    struct ir_op *o = op(f, IR_STS);
    o->a = (int8_t)s;
    o->size = (uint8_t)stack_size(f);
    o->imm = OFF_RSP;
}

/* --- the instructions --- */

static bool alu(struct fe *f, int code, int lf, bool writes)
{
    const struct x86_insn *in = f->in;
    int size = in->opsize;
    uint64_t m = lf_mask(size);
    bool rex = rex_of(in);

    switch (in->form) {
    case FORM_REG_RM:
    case FORM_REG_IMM:
        ld_reg(f, 0, in->reg, size, rex);
        if (in->form == FORM_REG_RM)
            read_rm(f, 1, 2, size);
        arith(f, code, lf, size, 3, 0, in->form == FORM_REG_RM ? 1 : IR_NOREG, in->imm & m);
        lazy(f, lf, size, 3, 0, 0, in->form == FORM_REG_RM ? 1 : IR_NOREG, in->imm & m);
        if (writes)
            st_reg(f, in->reg, size, rex, 3);
        return true;
    case FORM_RM_REG:
    case FORM_RM_IMM: {
        int b = in->form == FORM_RM_REG ? 2 : IR_NOREG;
        if (!is_mem(in)) {
            ld_reg(f, 1, in->rm, size, rex);
            if (b >= 0)
                ld_reg(f, 2, in->reg, size, rex);
            arith(f, code, lf, size, 3, 1, b, in->imm & m);
            lazy(f, lf, size, 3, 1, 0, b, in->imm & m);
            if (writes)
                st_reg(f, in->rm, size, rex, 3);
            return true;
        }
        ea(f, 0, 1);
        load(f, 1, 0, size, in->mem.seg, writes);
        if (b >= 0)
            ld_reg(f, 2, in->reg, size, rex);
        arith(f, code, lf, size, 3, 1, b, in->imm & m);
        if (writes)
            store(f, 0, 3, size, in->mem.seg);
        lazy(f, lf, size, 3, 1, 0, b, in->imm & m);
        if (writes)
            check_smc(f);
        return true;
    }
    default:
        return false;
    }
}

/* INC DEC NEG NOT: one operand, read-modify-write. */
static bool unary(struct fe *f, int code)
{
    const struct x86_insn *in = f->in;
    int size = in->opsize;
    bool rex = rex_of(in);
    int lf = code == IR_INC ? LF_INC : code == IR_DEC ? LF_DEC : code == IR_NEG ? LF_SUB : LF_NONE;

    if (code == IR_INC || code == IR_DEC)
        op(f, IR_FOLDCF)->lf = f->last_lazy;
    if (in->form == FORM_REG || !is_mem(in)) {
        int reg = in->form == FORM_REG ? in->reg : in->rm;
        ld_reg(f, 1, reg, size, rex);
        arith(f, code, lf, size, 3, 1, IR_NOREG, 0);
        if (code == IR_NEG)
            lazy(f, LF_SUB, size, 3, IR_NOREG, 0, 1, 0);
        else if (lf != LF_NONE)
            lazy(f, lf, size, 3, 1, 0, IR_NOREG, 1);
        st_reg(f, reg, size, rex, 3);
        return true;
    }
    ea(f, 0, 1);
    load(f, 1, 0, size, in->mem.seg, true);
    arith(f, code, lf, size, 3, 1, IR_NOREG, 0);
    store(f, 0, 3, size, in->mem.seg);
    if (code == IR_NEG)
        lazy(f, LF_SUB, size, 3, IR_NOREG, 0, 1, 0);
    else if (lf != LF_NONE)
        lazy(f, lf, size, 3, 1, 0, IR_NOREG, 1);
    check_smc(f);
    return true;
}

static bool shift(struct fe *f, int code, int lf)
{
    const struct x86_insn *in = f->in;
    int size = in->opsize;
    unsigned c;

    if (in->form == FORM_RM_1)
        c = 1;
    else if (in->form == FORM_RM_IMM)
        c = (unsigned)in->imm & 0xff;
    else
        return false;
    c &= size == 8 ? 0x3f : 0x1f;
    if (c == 0)
        return false;       /* the interpreter's count_zero */
    if (!is_mem(in)) {
        ld_reg(f, 1, in->rm, size, rex_of(in));
        arith(f, code, lf, size, 3, 1, IR_NOREG, c);
        lazy(f, lf, size, 3, 1, 0, IR_NOREG, c);
        st_reg(f, in->rm, size, rex_of(in), 3);
        return true;
    }
    ea(f, 0, 1);
    load(f, 1, 0, size, in->mem.seg, true);
    arith(f, code, lf, size, 3, 1, IR_NOREG, c);
    store(f, 0, 3, size, in->mem.seg);
    lazy(f, lf, size, 3, 1, 0, IR_NOREG, c);
    check_smc(f);
    return true;
}

static bool imul(struct fe *f)
{
    const struct x86_insn *in = f->in;
    int size = in->opsize;

    if (size == 1)
        return false;
    read_rm(f, 1, 0, size);
    if (in->form == FORM_REG_RM_IMM)
        movi(f, 0, in->imm & lf_mask(size));
    else if (in->form == FORM_REG_RM)
        ld_reg(f, 0, in->reg, size, rex_of(in));
    else
        return false;
    arith(f, IR_IMUL, LF_MUL, size, 2, 0, 1, 0);
    struct ir_op *o = op(f, IR_SETCC);
    o->d = 3;
    o->cc = 0;  /* O: overflow */
    lazy(f, LF_MUL, size, 2, 3, 0, IR_NOREG, 0);
    st_reg(f, in->reg, size, rex_of(in), 2);
    return true;
}

/* DIV r/m32, r/m64: rDX:rAX / divisor. */
static bool udiv(struct fe *f)
{
    const struct x86_insn *in = f->in;
    int size = in->opsize;

    if (size < 4)
        return false;
    read_rm(f, 2, 0, size);     /* the divisor first: a fault comes before #DE */
    ld_reg(f, 0, R_RAX, size, false);
    ld_reg(f, 1, R_RDX, size, false);
    struct ir_op *o = arith(f, IR_UDIV, LF_NONE, size, 3, 0, 1, 0);
    o->c = 2;
    st_reg(f, R_RAX, size, false, 3);
    st_reg(f, R_RDX, size, false, 1);
    return true;
}

static bool mov(struct fe *f)
{
    const struct x86_insn *in = f->in;
    int size = in->opsize;
    bool rex = rex_of(in);

    switch (in->form) {
    case FORM_RM_REG:
        ld_reg(f, 0, in->reg, size, rex);
        write_rm(f, 0, 1, size);
        return true;
    case FORM_REG_RM:
        read_rm(f, 1, 0, size);
        st_reg(f, in->reg, size, rex, 1);
        return true;
    case FORM_RM_IMM:
        if (!is_mem(in)) {
            st_reg_imm(f, in->rm, size, rex, in->imm);
            return true;
        }
        movi(f, 0, in->imm & lf_mask(size));
        write_rm(f, 0, 1, size);
        return true;
    case FORM_REG_IMM:
        st_reg_imm(f, in->reg, size, rex, in->imm);
        return true;
    default:
        return false;
    }
}

static bool movx(struct fe *f, bool sx)
{
    const struct x86_insn *in = f->in;
    int src = in->src_size && in->src_size < in->opsize ? in->src_size : in->opsize;

    read_rm(f, 1, 0, src);
    if (sx && src < in->opsize) {
        struct ir_op *o = op(f, IR_SEXT);
        o->d = 1;
        o->a = 1;
        o->size = (uint8_t)src;
        if (in->opsize == 4) {
            o = op(f, IR_ZEXT);
            o->d = 1;
            o->a = 1;
            o->size = 4;
        }
    }
    st_reg(f, in->reg, in->opsize, rex_of(in), 1);
    return true;
}

static bool lea(struct fe *f)
{
    const struct x86_insn *in = f->in;
    if (!is_mem(in))
        return false;
    ea(f, 0, 1);
    if (in->opsize < in->addrsize && in->opsize == 4) {
        struct ir_op *last = &f->ir->op[f->ir->n - 1];
        if (last->op == IR_ADDR) {
            last->size = 4;     /* the sum mod 2^32 is the 64-bit one's low half */
        } else {
            struct ir_op *o = op(f, IR_ZEXT);
            o->d = 0;
            o->a = 0;
            o->size = 4;
        }
    }
    st_reg(f, in->reg, in->opsize, rex_of(in), 0);
    return true;
}

static bool push_insn(struct fe *f)
{
    const struct x86_insn *in = f->in;
    int size = in->opsize;

    if (size != stack_size(f))
        return false;
    switch (in->form) {
    case FORM_REG:
        ld_reg(f, 1, in->reg, size, true);
        break;
    case FORM_IMM:
        movi(f, 1, in->imm & lf_mask(size));
        break;
    case FORM_RM:
        read_rm(f, 1, 0, size);
        break;
    default:
        return false;
    }
    push(f, 1, 2, size);
    check_smc(f);
    return true;
}

static bool pop_insn(struct fe *f)
{
    const struct x86_insn *in = f->in;
    int size = in->opsize;

    if (size != stack_size(f) || (in->form != FORM_REG && is_mem(in)))
        return false;
    ld_reg(f, 0, R_RSP, 8, true);
    load(f, 1, 0, size, S_SS, false);
    sp_add(f, 0, 0, size);
    struct ir_op *o = op(f, IR_STS);
    o->a = 0;
    o->size = (uint8_t)stack_size(f);
    o->imm = OFF_RSP;
    st_reg(f, in->form == FORM_REG ? in->reg : in->rm, size, true, 1);
    return true;
}

static uint64_t rel_target(const struct fe *f)
{
    return (f->next + f->in->imm) & lf_mask(f->in->opsize);
}

static void check_canon(struct fe *f, int v)
{
    if (f->bits == 64)
        op(f, IR_CHECK_CANON)->a = (int8_t)v;
}

static bool branch(struct fe *f)
{
    const struct x86_insn *in = f->in;
    uint64_t t;
    struct ir_op *o;

    switch (in->op) {
    case X86_OP_JMP:
    case X86_OP_JCC:
    case X86_OP_CALL:
        t = rel_target(f);
        if (f->bits == 64 && !canonical(t))
            return false;
        if (in->op == X86_OP_CALL) {
            if (in->opsize != stack_size(f))
                return false;
            movi(f, 1, f->next);
            push(f, 1, 2, in->opsize);
            check_smc_to(f, t, IR_NOREG);
        }
        o = op(f, in->op == X86_OP_JCC ? IR_BRCOND : IR_GOTO);
        o->imm = t;
        o->imm2 = f->next;
        o->cc = in->cond;
        if (in->op == X86_OP_JCC && f->follows_target) {
            /* The block goes on at the target (bt_cache.c decode_block):
             * turned round, not taken leaves. */
            o->imm = f->next;
            o->imm2 = t;
            o->cc = in->cond ^ 1;
        }
        return true;
    case X86_OP_RET:
        if (in->opsize != stack_size(f))
            return false;
        ld_reg(f, 0, R_RSP, 8, true);
        load(f, 1, 0, in->opsize, S_SS, false);
        check_canon(f, 1);
        sp_add(f, 0, 0, in->opsize + (in->form == FORM_IMM ? (int64_t)(in->imm & 0xffff) : 0));
        o = op(f, IR_STS);
        o->a = 0;
        o->size = (uint8_t)stack_size(f);
        o->imm = OFF_RSP;
        op(f, IR_GOTO_IND)->a = 1;
        return true;
    case X86_OP_JMP_IND:
    case X86_OP_CALL_IND:
        if (in->opsize != stack_size(f))
            return false;
        read_rm(f, 1, 0, in->opsize);
        check_canon(f, 1);
        if (in->op == X86_OP_CALL_IND) {
            movi(f, 0, f->next);
            push(f, 0, 2, in->opsize);
            check_smc_to(f, 0, 1);
        }
        op(f, IR_GOTO_IND)->a = 1;
        return true;
    default:
        return false;
    }
}

static bool setcc(struct fe *f)
{
    struct ir_op *o = op(f, IR_SETCC);
    o->d = 0;
    o->cc = f->in->cond;
    write_rm(f, 0, 1, 1);
    return true;
}

static bool cmovcc(struct fe *f)
{
    const struct x86_insn *in = f->in;
    struct ir_op *o = op(f, IR_SETCC);   /* first: nothing has touched the flags */
    o->d = 0;
    o->cc = in->cond;
    read_rm(f, 2, 1, in->opsize);
    ld_reg(f, 3, in->reg, in->opsize, rex_of(in));
    o = op(f, IR_SELECT);
    o->d = 3;
    o->a = 3;
    o->b = 2;
    o->c = 0;
    st_reg(f, in->reg, in->opsize, rex_of(in), 3);
    return true;
}

/* The memory operand is one the generated code can reach: a segment whose
 * base is 0 in this mode, an address size the IR computes. */
static bool operands_ok(const struct fe *f)
{
    const struct x86_insn *in = f->in;
    if (in->flags & INSN_LOCK)
        return false;
    if (!is_mem(in))
        return true;
    const struct x86_mem_operand *m = &in->mem;
    int64_t d = m->disp;
    if (d < INT32_MIN || d > INT32_MAX) {
        if (m->base >= 0 || m->index >= 0)
            return false;
    }
    if (f->bits == 64)
        return m->seg != S_FS && m->seg != S_GS && in->addrsize >= 4;
    return in->addrsize == 4 && (m->seg == S_DS || m->seg == S_ES || m->seg == S_SS);
}

static bool native(struct fe *f)
{
    const struct x86_insn *in = f->in;
    if (!operands_ok(f))
        return false;
    switch (in->op) {
    case X86_OP_ADD: return alu(f, IR_ADD, LF_ADD, true);
    case X86_OP_SUB: return alu(f, IR_SUB, LF_SUB, true);
    case X86_OP_CMP: return alu(f, IR_SUB, LF_SUB, false);
    case X86_OP_AND: return alu(f, IR_AND, LF_LOGIC, true);
    case X86_OP_TEST: return alu(f, IR_AND, LF_LOGIC, false);
    case X86_OP_OR: return alu(f, IR_OR, LF_LOGIC, true);
    case X86_OP_XOR: return alu(f, IR_XOR, LF_LOGIC, true);
    case X86_OP_INC: return unary(f, IR_INC);
    case X86_OP_DEC: return unary(f, IR_DEC);
    case X86_OP_NEG: return unary(f, IR_NEG);
    case X86_OP_NOT: return unary(f, IR_NOT);
    case X86_OP_SHL: return shift(f, IR_SHL, LF_SHL);
    case X86_OP_SHR: return shift(f, IR_SHR, LF_SHR);
    case X86_OP_SAR: return shift(f, IR_SAR, LF_SAR);
    case X86_OP_IMUL: return imul(f);
    case X86_OP_DIV: return udiv(f);
    case X86_OP_MOV: return mov(f);
    case X86_OP_MOVZX: return movx(f, false);
    case X86_OP_MOVSX: case X86_OP_MOVSXD: return movx(f, true);
    case X86_OP_LEA: return lea(f);
    case X86_OP_PUSH: return push_insn(f);
    case X86_OP_POP: return pop_insn(f);
    case X86_OP_SETCC: return setcc(f);
    case X86_OP_CMOVCC: return cmovcc(f);
    case X86_OP_NOP: return true;
    case X86_OP_JMP: case X86_OP_JCC: case X86_OP_CALL: case X86_OP_RET:
    case X86_OP_JMP_IND: case X86_OP_CALL_IND:
        return branch(f);
    default:
        return false;
    }
}

static bool is_block_end(int code)
{
    return code == IR_GOTO || code == IR_BRCOND || code == IR_GOTO_IND || code == IR_EXIT;
}

int bt_frontend(struct ir_block *ir, const struct x86_insn *insns, const uint64_t *rips, int n,
                unsigned mode)
{
    struct fe f = { .ir = ir, .bits = (int)(mode & BT_MODE_BITS), .last_lazy = LF_NONE };
    uint64_t code_mask = f.bits == 64 ? ~0ull : 0xffffffffull;
    int nat = 0;

    ir->n = 0;
    ir->overflow = 0;
    for (int i = 0; i < n; i++) {
        int start = ir->n;
        f.gi = i;
        f.in = &insns[i];
        f.rip = rips[i];
        f.next = (rips[i] + insns[i].len) & code_mask;
        f.follows_target = i + 1 < n && rips[i + 1] != f.next;
        if (native(&f)) {
            nat++;
            continue;
        }
        ir->n = start;          /* drop whatever a refused translation began */
        struct ir_op *o = op(&f, IR_INSN);
        if (bt_op_changes_context(insns[i].op))
            o->flags = IRF_ENDS;
        f.last_lazy = LF_NONE;
    }
    if (ir->n == 0 || !is_block_end(ir->op[ir->n - 1].op)) {
        const struct ir_op *last = ir->n ? &ir->op[ir->n - 1] : NULL;
        f.gi = n - 1;
        if (last && last->op == IR_INSN && (last->flags & IRF_ENDS)) {
            op(&f, IR_EXIT);
        } else {
            struct ir_op *o = op(&f, IR_GOTO);
            o->imm = (rips[n - 1] + insns[n - 1].len) & code_mask;
        }
    }
    ir_drop_dead_lazy(ir);
    return nat;
}
