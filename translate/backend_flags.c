/* The backend (translate/backend_x64.h): lazy-flags records, kept pending
 * where their values are and stored where something may read them. */
#include "translate/backend_x64.h"

/* --- lazy records kept pending (struct pend) --- */

struct x64_mem be_lazy_field(int f)
{
    static const int32_t off[] = { offsetof(struct x86_lazy_flags, res),
                                   offsetof(struct x86_lazy_flags, src1),
                                   offsetof(struct x86_lazy_flags, src2) };
    return xm(CPU, OFF(lazy) + off[f]);
}

/* cpu->lazy.op and .size (one 16-bit store). */
static void store_lazy_op(struct be *e, int lf, int size)
{
    x64_store_i(&e->x, 2, (int32_t)(lf | size << 8),
                xm(CPU, OFF(lazy) + (int32_t)offsetof(struct x86_lazy_flags, op)));
}

/* Register r = the low size bytes of slot s (zero-extended). */
static void slot_value(struct be *e, int size, int r, int s)
{
    if (e->host_of[s] != X_NONE) {
        if (size == 8)
            x64_mov_rr(&e->x, r, e->host_of[s]);
        else
            x64_zext(&e->x, 4, r, e->host_of[s]);
    } else {
        x64_load(&e->x, size, r, xm(CPU, be_slot_off(s)));
    }
}

/* Register r = value f of record p (not PV_DERIVED / PV_NONE). */
static void pv_load(struct be *e, const struct pend *p, int f, int r)
{
    switch (p->v[f].kind) {
    case PV_SLOT: slot_value(e, p->size, r, p->v[f].slot); break;
    case PV_IMM: x64_mov_ri(&e->x, r, p->imm2 & lf_mask(p->size)); break;
    default: x64_load(&e->x, 8, r, be_lazy_field(f)); break;     /* PV_STORED */
    }
}

/* Store record p into cpu->lazy, with rax and rcx, and without changing
 * the host flags (mov, not, lea): a branch may still read them. */
/* Value f of record p into its field, whole (a register's upper bytes
 * too: the reader truncates, LF_RES_LATER). */
static void pv_store_raw(struct be *e, const struct pend *p, int f)
{
    struct x64 *x = &e->x;
    switch (p->v[f].kind) {
    case PV_SLOT: {
        int s = p->v[f].slot, h = e->host_of[s];
        if (h == X_NONE) {
            x64_load(x, 8, X_RAX, xm(CPU, be_slot_off(s)));
            h = X_RAX;
        }
        x64_store(x, 8, h, be_lazy_field(f));
        break;
    }
    case PV_IMM:
        be_store_imm64(e, p->imm2 & lf_mask(p->size), be_lazy_field(f));
        break;
    default:    /* PV_STORED: there already */
        break;
    }
}

void be_pend_store(struct be *e, const struct pend *p)
{
    struct x64 *x = &e->x;
    if (!p->on)
        return;
    int der = p->v[PF_RES].kind == PV_DERIVED ? PF_RES : p->v[PF_SRC1].kind == PV_DERIVED ? PF_SRC1 : -1;
    if (der == PF_RES) {
        /* The reader computes the result (cpu/flags.h lf_settle): just
         * the sources, as they are. */
        pv_store_raw(e, p, PF_SRC1);
        pv_store_raw(e, p, PF_SRC2);
        store_lazy_op(e, p->lf | LF_RES_LATER, p->size);
        return;
    }
    if (der >= 0) {
        /* res = src1 + src2 or src1 - src2 (= src1 + ~src2 + 1); src1 =
         * res - src2 or res + src2 */
        bool plus = p->lf == LF_ADD || p->lf == LF_INC;
        bool add = der == PF_RES ? plus : !plus;
        int a = der == PF_RES ? PF_SRC1 : PF_RES;
        pv_load(e, p, a, X_RAX);
        if (p->v[a].kind == PV_SLOT)
            x64_store(x, 8, X_RAX, be_lazy_field(a));
        pv_load(e, p, PF_SRC2, X_RCX);
        if (p->v[PF_SRC2].kind != PV_STORED)
            x64_store(x, 8, X_RCX, be_lazy_field(PF_SRC2));
        if (!add)
            x64_not(x, 8, X_RCX);
        x64_lea(x, p->size, X_RAX, (struct x64_mem){ X_RAX, X_RCX, 1, add ? 0 : 1 });
        x64_store(x, 8, X_RAX, be_lazy_field(der));
    } else {
        for (int f = 0; f < 3; f++) {
            if (p->v[f].kind == PV_SLOT) {
                pv_load(e, p, f, X_RAX);
                x64_store(x, 8, X_RAX, be_lazy_field(f));
            } else if (p->v[f].kind == PV_IMM) {
                be_store_imm64(e, p->imm2 & lf_mask(p->size), be_lazy_field(f));
            }
        }
    }
    store_lazy_op(e, p->lf, p->size);
}

bool be_pend_eq(const struct pend *a, const struct pend *b)
{
    if (!a->on || !b->on)
        return a->on == b->on;
    if (a->lf != b->lf || a->size != b->size)
        return false;
    for (int f = 0; f < 3; f++)
        if (a->v[f].kind != b->v[f].kind ||
            (a->v[f].kind == PV_SLOT && a->v[f].slot != b->v[f].slot) ||
            (a->v[f].kind == PV_IMM && a->imm2 != b->imm2))
            return false;
    return true;
}

/* Store the pending record here (something may read it): it is stored. */
void be_pend_flush(struct be *e)
{
    be_pend_store(e, &e->pend);
    e->pend.on = false;
}

/* May the lazy record be read after op i, before a later IR_LAZY
 * replaces it? */
static bool flags_live(const struct be *e, int i)
{
    for (int j = i + 1; j < e->ir->n; j++) {
        if (e->ir->op[j].op == IR_LAZY)
            return false;
        if (ir_reads_lazy(e->ir->op[j].op))
            return true;
    }
    return true;    /* the block's end */
}

/* Guest register slot s is about to change (op e->cur writes it). */
void be_slot_written(struct be *e, int s)
{
    struct pend *p = &e->pend;
    if (s < 0)
        return;
    for (int v = 0; v < IR_VREGS; v++)
        if (e->vslot[v] == s)
            e->vslot[v] = -1;
    if (!p->on)
        return;
    bool looked = false;
    for (int f = 0; f < 3; f++) {
        if (p->v[f].kind != PV_SLOT || p->v[f].slot != s)
            continue;
        if (!looked) {
            looked = true;
            /* From the writing op itself on: a load whose result is
             * forwarded into the register may fault first, and its stub
             * stores the record (found by test_bt's random code). */
            if (!flags_live(e, e->cur - 1)) {
                p->on = false;      /* replaced before anything reads it */
                return;
            }
        }
        /* spill: the value as it is now into its field; whole, for a
         * record stored without its result (LF_RES_LATER truncates) */
        if (p->v[PF_RES].kind == PV_DERIVED) {
            pv_store_raw(e, p, f);
        } else {
            slot_value(e, p->size, X_RAX, s);
            x64_store(&e->x, 8, X_RAX, be_lazy_field(f));
        }
        p->v[f].kind = PV_STORED;
    }
}

/* Can the IR_LAZY at op i be kept pending, and as what? */
static bool pend_plan(struct be *e, int i, struct pend *p)
{
    const struct ir_block *ir = e->ir;
    const struct ir_op *o = &ir->op[i];
    const struct ir_op *n = i + 1 < ir->n ? &ir->op[i + 1] : NULL;
    bool arith = o->lf == LF_ADD || o->lf == LF_SUB || o->lf == LF_INC || o->lf == LF_DEC;
    bool shift = o->lf == LF_SHL || o->lf == LF_SHR || o->lf == LF_SAR;
    struct pv src2 = { PV_IMM, -1 };
    int sub;

    *p = (struct pend){ .lf = o->lf, .size = o->size, .imm2 = o->imm2 };
    if ((o->size != 4 && o->size != 8) || !(arith || shift || o->lf == LF_LOGIC))
        return false;
    if (o->c != IR_NOREG) {
        int s2 = e->vslot[o->c];
        if (s2 < 0 || e->vsize[o->c] < o->size || shift)
            return false;
        src2 = (struct pv){ PV_SLOT, (int8_t)s2 };
    }
    /* The result written to a guest register by the next op (whole: a
     * 4-byte result is zero-extended into 8). */
    if (n && n->op == IR_STS && n->gi == o->gi && n->a == o->a && n->size == 8) {
        int sd = be_gpr_slot(n->imm, &sub);
        if (sd >= 0 && !sub && !(src2.kind == PV_SLOT && src2.slot == sd)) {
            p->written = true;
            p->v[PF_RES] = (struct pv){ PV_SLOT, (int8_t)sd };
            if (o->lf != LF_LOGIC) {
                p->v[PF_SRC1].kind = shift ? PV_STORED : PV_DERIVED;
                p->src1_early = shift;
                p->v[PF_SRC2] = src2;
            }
            p->on = true;
            return true;
        }
    }
    if (o->lf == LF_INC || o->lf == LF_DEC || shift || o->b == IR_NOREG)
        return false;
    int s1 = e->vslot[o->b];
    if (s1 < 0 || e->vsize[o->b] < o->size)
        return false;
    if (o->lf == LF_LOGIC) {    /* TEST r, r (AND/OR of a register with itself) */
        const struct ir_op *d = i > 0 ? &ir->op[i - 1] : NULL;
        if (!d || d->d != o->a || (d->op != IR_AND && d->op != IR_OR) || d->b == IR_NOREG ||
            src2.kind != PV_SLOT || src2.slot != s1)
            return false;
        p->v[PF_RES] = (struct pv){ PV_SLOT, (int8_t)s1 };
    } else {
        p->v[PF_RES].kind = PV_DERIVED;
        p->v[PF_SRC1] = (struct pv){ PV_SLOT, (int8_t)s1 };
        p->v[PF_SRC2] = src2;
    }
    p->on = true;
    return true;
}

/* pend_plan for the LAZY at op i, remembered for when it comes. */
bool be_plan_lazy_at(struct be *e, int i)
{
    if (e->planned_at != i) {
        e->planned_at = i;
        pend_plan(e, i, &e->planned);
    }
    return e->planned.on;
}


/* Can condition cc be read from the host flags after host code for lazy
 * op lf?  The host instruction is the same operation at the same size,
 * so its flags are the guest's except where the guest's are undefined or
 * kept elsewhere (INC/DEC keep CF; IMUL defines only CF and OF). */
bool be_hf_ok(int lf, int cc)
{
    int k = cc >> 1;
    switch (lf) {
    case LF_ADD: case LF_SUB: case LF_LOGIC: return true;
    case LF_INC: case LF_DEC: return k != 1 && k != 3;
    case LF_SHL: case LF_SHR: case LF_SAR: return k == 2 || k == 4 || k == 5;
    case LF_MUL: return k == 0 || k == 1;
    default: return false;
    }
}


void be_emit_lazy(struct be *e, const struct ir_op *o)
{
    struct x64 *x = &e->x;
    e->pend.on = false;         /* replaced */
    if (be_plan_lazy_at(e, e->cur)) {
        if (e->planned.written) {   /* from the STS of its result on */
            e->arm = e->planned;
            e->arm_at = e->cur + 1;
        } else {
            e->pend = e->planned;
        }
        return;
    }
    x64_store(x, 8, be_rd(e, o->a, true), be_lazy_field(PF_RES));
    if (o->lf != LF_LOGIC) {    /* LF_LOGIC reads res alone */
        if (o->b != IR_NOREG)
            x64_store(x, 8, be_rd(e, o->b, true), be_lazy_field(PF_SRC1));
        else
            be_store_imm64(e, o->imm, be_lazy_field(PF_SRC1));
        if (o->c != IR_NOREG)
            x64_store(x, 8, be_rd(e, o->c, true), be_lazy_field(PF_SRC2));
        else
            be_store_imm64(e, o->imm2, be_lazy_field(PF_SRC2));
    }
    store_lazy_op(e, o->lf, o->size);
}

void be_emit_foldcf(struct be *e, const struct ir_op *o)
{
    struct x64 *x = &e->x;
    switch (o->lf) {
    case LF_INC:
    case LF_DEC:
        break;                  /* CF is in rflags already */
    case LF_LOGIC:
        x64_alu_mi(x, XA_AND, 8, xm(CPU, OFF(rflags)), ~(int32_t)FL_CF);
        e->hf_lf = LF_NONE;
        break;
    default:
        be_call_synced(e, (const void *)bt_helper_fold_cf, 0);
        break;
    }
}

/* rax = condition cc (0/1) through the lazy record, when the host flags
 * do not have it. */
void be_cond_helper(struct be *e, int cc)
{
    be_call_synced(e, (const void *)bt_helper_cond, (uint64_t)cc);
}

void be_emit_setcc(struct be *e, const struct ir_op *o)
{
    int d = HV(o->d);
    be_def(e, o->d);
    if (be_hf_ok(e->hf_lf, o->cc)) {
        x64_setcc(&e->x, o->cc, d);
        x64_zext(&e->x, 1, d, d);
    } else {
        be_cond_helper(e, o->cc);
        x64_zext(&e->x, 4, d, X_RAX);
    }
}
