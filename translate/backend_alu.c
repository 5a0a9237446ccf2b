/* The backend (translate/backend_x64.h): arithmetic, computed in place in
 * a cache register where it can. */
#include "translate/backend_x64.h"

/* --- arithmetic --- */

/* The record of the flags of the op being translated, when the next op is
 * its LAZY and that stays pending (backend_flags.c); else NULL. */
static const struct pend *lazy_of(struct be *e, const struct ir_op *o)
{
    int j = e->cur + 1;
    if (j >= e->ir->n)
        return NULL;
    const struct ir_op *n = &e->ir->op[j];
    if (n->op != IR_LAZY || n->gi != o->gi || n->a != o->d || !be_plan_lazy_at(e, j))
        return NULL;
    return &e->planned;
}

/* The op being translated computes what the same instruction then only
 * stores, whole, into the cached guest register its operand a came from
 * (add eax, edx): returns that host register, to compute in place, and
 * marks the STS done; else X_NONE.  A LAZY in between must be one kept
 * pending with its result in that register. */
static int inplace_target(struct be *e, const struct ir_op *o)
{
    const struct ir_block *ir = e->ir;
    int j = e->cur + 1;
    if ((o->size != 4 && o->size != 8) || o->a == IR_NOREG)
        return X_NONE;
    if (j < ir->n && ir->op[j].op == IR_LAZY && ir->op[j].gi == o->gi) {
        const struct pend *p = lazy_of(e, o);
        if (!p || !p->written)
            return X_NONE;
        j++;
    }
    if (j >= ir->n)
        return X_NONE;
    const struct ir_op *n = &ir->op[j];
    if (n->op != IR_STS || n->gi != o->gi || n->a != o->d || n->size != 8)
        return X_NONE;
    int h = be_cached_reg(e, n->imm);
    if (h == X_NONE || e->alias[o->a] != h || be_read_after(e, j, o->d))
        return X_NONE;
    e->skip_sts = j;
    return h;
}

/* Before computing in place in h: the guest register changes. */
static void inplace_begin(struct be *e, int h)
{
    be_slot_written(e, be_slot_of_host(e, h));
    be_clobber_host_when(e, h, false);     /* the op reads h, then writes it */
}

/* After: the result, in h, is d's (exact: a 4-byte op zero-extends). */
static void inplace_end(struct be *e, const struct ir_op *o, int h)
{
    be_def(e, o->d);
    e->alias[o->d] = (int8_t)h;
    e->alias_exact[o->d] = true;
    e->upper_zero = o->size == 4 ? e->upper_zero | 1u << h : e->upper_zero & ~(1u << h);
}

/* Is the result of the op being translated read only by the LAZY right
 * after it, which stays pending as a comparison (CMP, TEST)? */
static bool result_unused(struct be *e, const struct ir_op *o)
{
    const struct pend *p = (o->size == 4 || o->size == 8) ? lazy_of(e, o) : NULL;
    return p && !p->written && !be_read_after(e, e->cur + 1, o->d);
}

void be_emit_alu(struct be *e, const struct ir_op *o)
{
    static const int xop[] = {
        [IR_ADD] = XA_ADD, [IR_SUB] = XA_SUB, [IR_AND] = XA_AND, [IR_OR] = XA_OR,
        [IR_XOR] = XA_XOR,
    };
    struct x64 *x = &e->x;
    int d = HV(o->d), src = X_NONE, a = be_rd(e, o->a, o->size == 8);

    if (o->b != IR_NOREG) {
        src = be_rd(e, o->b, o->size == 8);
        if (src == d && a != d) {
            x64_mov_rr(x, X_RCX, src);
            src = X_RCX;
        }
    } else if (o->size == 8 && !be_fits32(o->imm)) {
        x64_mov_ri(x, X_RCX, o->imm);
        src = X_RCX;
    }
    e->hf_lf = o->lf;
    if ((o->op == IR_SUB || (o->op == IR_AND && src != X_NONE)) && result_unused(e, o)) {
        /* CMP / TEST: the flags alone */
        if (o->op == IR_AND)
            x64_test_rr(x, o->size, a, src);
        else if (src != X_NONE)
            x64_alu_rr(x, XA_CMP, o->size, a, src);
        else
            x64_alu_ri(x, XA_CMP, o->size, a, (int32_t)o->imm);
        be_def(e, o->d);
        return;
    }
    int h = inplace_target(e, o);
    if (h != X_NONE) {
        inplace_begin(e, h);
        if (src != X_NONE)
            x64_alu_rr(x, xop[o->op], o->size, h, src);
        else
            x64_alu_ri(x, xop[o->op], o->size, h, (int32_t)o->imm);
        inplace_end(e, o, h);
        return;
    }
    be_def(e, o->d);
    x64_mov_rr(x, d, a);
    if (src != X_NONE)
        x64_alu_rr(x, xop[o->op], o->size, d, src);
    else
        x64_alu_ri(x, xop[o->op], o->size, d, (int32_t)o->imm);
    if (o->size < 4)
        x64_zext(x, o->size, d, d);
}

void be_emit_unary(struct be *e, const struct ir_op *o)
{
    struct x64 *x = &e->x;
    int d = HV(o->d), a = be_rd(e, o->a, o->size == 8);
    int h = inplace_target(e, o);
    if (h != X_NONE) {
        inplace_begin(e, h);
        d = h;
    } else {
        be_def(e, o->d);
        x64_mov_rr(x, d, a);
    }
    switch (o->op) {
    case IR_NEG: x64_neg(x, o->size, d); break;
    case IR_NOT: x64_not(x, o->size, d); break;     /* no flags */
    case IR_INC: x64_inc(x, o->size, d); break;
    default: x64_dec(x, o->size, d); break;
    }
    if (o->op != IR_NOT)
        e->hf_lf = o->lf;
    if (h != X_NONE) {
        inplace_end(e, o, h);
        return;
    }
    if (o->size < 4)
        x64_zext(x, o->size, d, d);
}

void be_emit_shift(struct be *e, const struct ir_op *o)
{
    int digit = o->op == IR_SHL ? 4 : o->op == IR_SHR ? 5 : 7;
    int d = HV(o->d), a = be_rd(e, o->a, o->size == 8);
    const struct pend *p = lazy_of(e, o);
    if (p && p->src1_early) {
        /* src1 = the value shifted, which the shift overwrites: stored
         * now (the LAZY right after replaces the record pending before) */
        x64_zext(&e->x, o->size, X_RAX, a);
        x64_store(&e->x, 8, X_RAX, be_lazy_field(PF_SRC1));
    }
    int h = inplace_target(e, o);
    if (h != X_NONE) {
        inplace_begin(e, h);
        x64_shift_i(&e->x, digit, o->size, h, (uint8_t)o->imm);
        e->hf_lf = o->lf;
        inplace_end(e, o, h);
        return;
    }
    be_def(e, o->d);
    x64_mov_rr(&e->x, d, a);
    x64_shift_i(&e->x, digit, o->size, d, (uint8_t)o->imm);
    if (o->size < 4)
        x64_zext(&e->x, o->size, d, d);
    e->hf_lf = o->lf;
}

void be_emit_imul(struct be *e, const struct ir_op *o)
{
    struct x64 *x = &e->x;
    int d = HV(o->d), src = be_rd(e, o->b, o->size == 8), a = be_rd(e, o->a, o->size == 8);
    if (src == d && a != d) {
        x64_mov_rr(x, X_RCX, src);
        src = X_RCX;
    }
    be_def(e, o->d);
    x64_mov_rr(x, d, a);
    x64_imul_rr(x, o->size, d, src);
    if (o->size < 4)
        x64_zext(x, o->size, d, d);
    e->hf_lf = LF_MUL;
}

/* The host's DIV, once it cannot fault: a zero divisor or a quotient too
 * large (high half >= divisor covers both) is the interpreter's #DE. */
void be_emit_udiv(struct be *e, const struct ir_op *o)
{
    struct x64 *x = &e->x;
    int sz = o->size;
    int a = be_rd(e, o->a, sz == 8), b = be_rd(e, o->b, sz == 8), c = be_rd(e, o->c, sz == 8);
    x64_alu_rr(x, XA_CMP, sz, b, c);
    be_add_stub(e, ST_CANON, x64_jcc(x, CC_AE, x64_here(x)), o);
    x64_zext(x, sz, X_RAX, a);
    x64_zext(x, sz, X_RDX, b);
    x64_div(x, sz, c);
    be_def(e, o->d);
    be_def(e, o->b);
    x64_mov_rr(x, HV(o->d), X_RAX);
    x64_mov_rr(x, HV(o->b), X_RDX);
    e->hf_lf = LF_NONE;
}

void be_emit_addr(struct be *e, const struct ir_op *o)
{
    uint64_t mask = o->size == 8 ? ~0ull : 0xffffffffull;
    bool full = o->size == 8;   /* a 32-bit lea reads the low halves only */
    int dst = be_result_reg(e, o);      /* lea reads, then writes */
    if (o->a == IR_NOREG && o->b == IR_NOREG) {
        be_def(e, o->d);
        x64_mov_ri(&e->x, dst, o->imm & mask);
        return;
    }
    /* base + disp or index * scale + disp, read by the next op alone, a
     * load or store of it: folded into that access (no lea; the access
     * adds the addend as the other register).  Also at 32 bits outside
     * long mode, computed at 64 bits with whatever the registers' upper
     * halves hold: that sum is the 32-bit address modulo 4 GiB, so when it
     * is below 4 GiB it is the address, and otherwise it matches no TLB
     * tag or site there (all below 4 GiB) and the slow path, which
     * truncates it (stub addr32), does the access. */
    const struct ir_op *n = e->cur + 1 < e->ir->n ? &e->ir->op[e->cur + 1] : NULL;
    bool fold_size = full || (o->size == 4 && (e->b->mode & BT_MODE_LEGACY));
    if (fold_size && (o->a == IR_NOREG) != (o->b == IR_NOREG) && e->fwd == X_NONE && n &&
        n->gi == o->gi && (n->op == IR_LOAD || n->op == IR_STORE) && n->a == o->d &&
        n->b != o->d && !be_read_after(e, e->cur + 1, o->d) && be_fits32(o->imm) &&
        be_fits32(o->imm + 8)) {
        e->fold = o->a != IR_NOREG
                      ? xm(be_rd(e, o->a, full), (int32_t)o->imm)
                      : (struct x64_mem){ X_NONE, be_rd(e, o->b, full), o->scale ? o->scale : 1,
                                          (int32_t)o->imm };
        e->fold32 = !full;
        e->fold_op = e->cur + 1;
        be_def(e, o->d);
        return;
    }
    struct x64_mem m = {
        .base = o->a == IR_NOREG ? X_NONE : be_rd(e, o->a, full),
        .index = o->b == IR_NOREG ? X_NONE : be_rd(e, o->b, full),
        .scale = o->scale ? o->scale : 1,
        .disp = (int32_t)o->imm,
    };
    be_def(e, o->d);
    x64_lea(&e->x, o->size == 8 ? 8 : 4, dst, m);
}


void be_emit_select(struct be *e, const struct ir_op *o)
{
    struct x64 *x = &e->x;
    int a = be_rd(e, o->a, true), b = be_rd(e, o->b, true), c = be_rd(e, o->c, true);
    x64_mov_rr(x, X_RAX, a);
    x64_test_rr(x, 8, c, c);
    x64_cmov(x, CC_NE, X_RAX, b);
    be_def(e, o->d);
    x64_mov_rr(x, HV(o->d), X_RAX);
    e->hf_lf = LF_NONE;
}
