/* The x86-64 backend: IR (translate/ir.h) -> host code in the code cache.
 * This file: the ops, block exits, the slow-path and exit stubs, the
 * prologue, the loop head's second translation, bt_backend itself,
 * patching chained jumps, and the global stubs.  translate/backend_x64.h
 * lists the other files and how translated code uses the host registers. */
#include "translate/backend_x64.h"

/* Count block entries (b->execs) for `info tbstats`: off unless asked for,
 * since it costs a read-modify-write of memory in every block. */
static bool profiling;

void bt_set_profiling(bool on)
{
    profiling = on;
}

/* --- leaving the block --- */

/* Go to guest RIP `target` (if cc >= 0: when cc holds, else fall through):
 * a chainable jump within the block's page, else the jump cache. */
static void emit_goto(struct be *e, int cc, uint64_t target, const struct ir_op *o)
{
    struct x64 *x = &e->x;
    bool same_page = ((target ^ e->b->rip) & ~(uint64_t)(BT_PAGE - 1)) == 0;

    if (same_page && e->nlinks < BT_MAX_LINKS) {
        size_t end = cc >= 0 ? x64_jcc(x, cc, x64_here(x)) : x64_jmp(x, x64_here(x));
        e->b->link[e->nlinks++] = (struct bt_link){ .from = e->b, .site_end = end, .target = target };
        return;
    }
    if (cc >= 0) {
        be_add_stub(e, ST_GOTO, x64_jcc(x, cc, x64_here(x)), o)->resume = (size_t)target;
        /* (the stub's resume is its target RIP) */
        return;
    }
    be_set_rip(e, target);
    x64_mov_ri(x, X_RAX, target);
    x64_jmp(x, e->bt->jc_lookup);
}

/* The back edge of a block that loops to itself: the checks of the
 * prologue, then straight to the loop head with the cache as it is. */
static void emit_back_edge(struct be *e, int cc, const struct ir_op *o)
{
    size_t end = cc >= 0 ? x64_jcc(&e->x, cc, x64_here(&e->x)) : x64_jmp(&e->x, x64_here(&e->x));
    be_add_stub(e, ST_LOOP, end, o);
}

/* A conditional branch that is not the block's last instruction is a side
 * exit: taken, it leaves through a stub; not taken, the block goes on with
 * its registers where they are. */
static void emit_brcond(struct be *e, const struct ir_op *o)
{
    int cc = o->cc;
    bool side = o->gi + 1 < e->b->n;
    if (!be_hf_ok(e->hf_lf, cc)) {
        be_cond_helper(e, cc);
        x64_test_rr(&e->x, 4, X_RAX, X_RAX);
        cc = CC_NE;
    }
    /* The flush is plain stores: the flags survive it. */
    if (e->self_loop && o->imm == e->b->rip) {
        emit_back_edge(e, cc, o);
        if (side)
            return;
        be_pend_flush(e);      /* no flags changed: mov, lea, not */
        be_cache_flush(e);
    } else if (side) {
        be_add_stub(e, ST_SIDE, x64_jcc(&e->x, cc, x64_here(&e->x)), o);
        return;
    } else {
        be_pend_flush(e);
        be_cache_flush(e);
        emit_goto(e, cc, o->imm, o);
    }
    emit_goto(e, -1, o->imm2, o);
}

/* Before C that may fault in guest instruction o->gi (a slow-path access,
 * an interpreter handler): the struct is the truth, RIP names the
 * instruction, and insn_count leaves it and the rest of the block out (if
 * it faults, it did not run; the caller adds back what did). */
static void sync_for_fault(struct be *e, const struct ir_op *o)
{
    be_cache_flush(e);
    be_icount_add(e, -be_from_here(e, o));
    be_sync_icount(e);
    be_set_rip(e, be_rip_of(e, o));
}

/* Guest instruction o->gi on the interpreter's handler. */
static void call_interp_handler(struct be *e, const struct ir_op *o)
{
    const struct x86_insn *in = &e->b->insn[o->gi];
    sync_for_fault(e, o);
    x64_mov_rr(&e->x, X_RDI, CPU);
    x64_mov_ri(&e->x, X_RSI, (uint64_t)(uintptr_t)in);
    be_call_helper(e, (const void *)x86_exec_table[in->op]);
}

static void emit_insn(struct be *e, const struct ir_op *o)
{
    struct x64 *x = &e->x;
    int k = be_from_here(e, o);

    be_pend_flush(e);
    call_interp_handler(e, o);
    be_icount_add(e, 1);           /* it ran (an unfinished REP: a part of it) */
    if (o->flags & IRF_ENDS) {
        x64_jmp(x, e->bt->exit0);
        return;
    }
    /* Went elsewhere (a branch, an unfinished REP), or changed this code:
     * the struct is the truth, nothing to flush. */
    x64_mov_ri(x, X_RAX, be_next_of(e, o));
    x64_alu_rm(x, XA_CMP, 8, X_RAX, xm(CPU, OFF(rip)));
    x64_jcc(x, CC_NE, e->bt->exit0);
    be_test_invalidated(e);
    x64_jcc(x, CC_NE, e->bt->exit0);
    be_icount_add(e, k - 1);
    be_cache_reload(e);
}

/* MOVI o's value goes only into a STORE later in its instruction, as the
 * value stored: that store writes the immediate itself (e->imm_store). */
static bool imm_store(struct be *e, const struct ir_op *o)
{
    const struct ir_block *ir = e->ir;
    int v = o->d;
    for (int j = e->cur + 1; j < ir->n && ir->op[j].gi == o->gi; j++) {
        const struct ir_op *p = &ir->op[j];
        if (p->a != v && p->b != v && p->c != v) {
            if (p->d == v)
                return false;
            continue;
        }
        if (p->op != IR_STORE || p->b != v || p->a == v || p->c == v || be_read_after(e, j, v))
            return false;
        uint64_t m = be_size_mask(p->size);
        if (((uint64_t)(int64_t)(int32_t)o->imm & m) != (o->imm & m))
            return false;   /* an 8-byte value beyond a sign-extended imm32 */
        e->imm_store = j;
        e->imm_value = (int32_t)o->imm;
        return true;
    }
    return false;
}

/* Is the value an op leaves in HV(d) below 2^32? */
static bool result_zx(const struct ir_op *o)
{
    switch (o->op) {
    case IR_MOVI: return o->imm <= 0xffffffffull;
    case IR_LDS: case IR_LOAD: case IR_ZEXT:
    case IR_ADD: case IR_SUB: case IR_AND: case IR_OR: case IR_XOR:
    case IR_NEG: case IR_NOT: case IR_INC: case IR_DEC:
    case IR_SHL: case IR_SHR: case IR_SAR: case IR_IMUL: case IR_UDIV:
        return o->size <= 4;
    case IR_ADDR: return o->size == 4;
    case IR_SETCC: return true;
    default: return false;
    }
}

static void emit_op_body(struct be *e, const struct ir_op *o);

static void emit_op(struct be *e, const struct ir_op *o)
{
    emit_op_body(e, o);
    if (o->d != IR_NOREG && e->alias[o->d] == X_NONE)
        e->zx[o->d] = result_zx(o);
    if (o->op == IR_UDIV)
        e->zx[o->b] = o->size <= 4;
}

static void emit_op_body(struct be *e, const struct ir_op *o)
{
    struct x64 *x = &e->x;
    switch (o->op) {
    case IR_MOVI:
        be_def(e, o->d);
        if (!imm_store(e, o))
            x64_mov_ri(x, HV(o->d), o->imm);
        break;
    case IR_MOV: {
        int a = be_rd(e, o->a, true);
        be_def(e, o->d);
        x64_mov_rr(x, HV(o->d), a);
        break;
    }
    case IR_LDS: be_emit_lds(e, o); break;
    case IR_STS: be_emit_sts(e, o); break;
    case IR_STSI: be_emit_stsi(e, o); break;
    case IR_ADD: case IR_SUB: case IR_AND: case IR_OR: case IR_XOR: be_emit_alu(e, o); break;
    case IR_NEG: case IR_NOT: case IR_INC: case IR_DEC: be_emit_unary(e, o); break;
    case IR_SHL: case IR_SHR: case IR_SAR: be_emit_shift(e, o); break;
    case IR_IMUL: be_emit_imul(e, o); break;
    case IR_UDIV: be_emit_udiv(e, o); break;
    case IR_ZEXT: case IR_SEXT: {
        int a = be_rd(e, o->a, o->size == 8);
        be_def(e, o->d);
        if (o->op == IR_ZEXT)
            x64_zext(x, o->size, HV(o->d), a);
        else
            x64_sext(x, o->size, HV(o->d), a);
        break;
    }
    case IR_ADDR: be_emit_addr(e, o); break;
    case IR_LOAD: be_emit_load(e, o); break;
    case IR_STORE: be_emit_store(e, o); break;
    case IR_LAZY: be_emit_lazy(e, o); break;
    case IR_FOLDCF: be_emit_foldcf(e, o); break;
    case IR_SETCC: be_emit_setcc(e, o); break;
    case IR_SELECT: be_emit_select(e, o); break;
    case IR_CHECK_CANON:
        be_stub_regs(e, o);
        x64_mov_rr(x, X_RAX, e->sra);
        x64_shift_i(x, 4, 8, X_RAX, 16);
        x64_shift_i(x, 7, 8, X_RAX, 16);
        x64_alu_rr(x, XA_CMP, 8, X_RAX, e->sra);
        be_add_stub(e, ST_CANON, x64_jcc(x, CC_NE, x64_here(x)), o);
        e->hf_lf = LF_NONE;
        break;
    case IR_CHECK_SMC:
        be_stub_regs(e, o);
        be_test_invalidated(e);
        be_add_stub(e, ST_SMC, x64_jcc(x, CC_NE, x64_here(x)), o);
        e->hf_lf = LF_NONE;
        break;
    case IR_INSN: emit_insn(e, o); break;
    case IR_GOTO:
        if (e->self_loop && o->imm == e->b->rip) {
            emit_back_edge(e, -1, o);
        } else {
            be_pend_flush(e);
            be_cache_flush(e);
            emit_goto(e, -1, o->imm, o);
        }
        break;
    case IR_BRCOND: emit_brcond(e, o); break;
    case IR_GOTO_IND:
        be_pend_flush(e);      /* neither changes a or the cache registers */
        be_cache_flush(e);
        x64_mov_rr(x, X_RAX, be_rd(e, o->a, true));
        x64_store(x, 8, X_RAX, xm(CPU, OFF(rip)));
        x64_jmp(x, e->bt->jc_lookup);
        break;
    case IR_EXIT:
        be_pend_flush(e);
        be_cache_flush(e);
        x64_jmp(x, e->bt->exit0);
        break;
    default: break;
    }
}

/* The budget check of a block entry (prologue, back edge): returns the
 * branch taken when the budget is spent; then adds n to the instruction
 * count (and, profiling, counts the entry). */
static size_t count_block(struct be *e, int n)
{
    struct x64 *x = &e->x;
    x64_alu_rm(x, XA_CMP, 8, ICOUNT, be_bt_field(e, &e->bt->hot->end_count));
    size_t spent = x64_jcc(x, CC_AE, x64_here(x));
    be_icount_add(e, n);
    if (profiling) {    /* b->execs++, for `info tbstats`' hottest blocks */
        x64_mov_ri(x, X_RCX, (uint64_t)(uintptr_t)&e->b->execs);
        x64_alu_mi(x, XA_ADD, 8, xm(X_RCX, 0), 1);
    }
    return spent;
}

/* A back edge to the copy (the one the copy of the loop head is for, or
 * the copy's own; emit_loop_head2): its branch goes to the budget test
 * before the copy. */
static bool laps_to_head2(const struct be *e, const struct stub *s)
{
    const struct stub *h = e->head2_stub;
    return h && s->kind == ST_LOOP && s->o->gi == h->o->gi && be_pend_eq(&s->pend, &h->pend);
}

/* The out-of-line code of one stub. */
static void emit_stub(struct be *e, struct stub *s)
{
    struct x64 *x = &e->x;
    const struct ir_op *o = s->o;       /* NULL for ST_SITES */
    uint32_t info = o ? o->seg | (uint32_t)o->size << 8 : 0;

    x64_patch(x, s->branch_end, laps_to_head2(e, s) ? x->run + e->head2_check : x64_here(x));
    if (s->site >= 0) {         /* a site's miss: the TLB may have it */
        size_t slow = be_site_refill(e, s);
        x64_patch(x, slow, x64_here(x));
    }
    if (s->kind != ST_LOOP)
        be_pend_store(e, &s->pend);    /* C or the next block may read it */
    switch (s->kind) {
    case ST_LOAD:
    case ST_STORE:
        sync_for_fault(e, o);       /* a fault, MMIO */
        /* a and b may be in cache registers: before rsi and rdi change */
        if (s->kind == ST_STORE && s->b_imm)
            x64_mov_ri(x, X_RCX, (uint64_t)(int64_t)s->imm & be_size_mask(o->size));
        else if (s->kind == ST_STORE)
            x64_mov_rr(x, X_RCX, s->rb);
        if (s->addr32)
            x64_lea(x, 4, X_RSI, s->addr);  /* the guest's 32-bit address */
        else
            be_addr_to(e, X_RSI, s->addr);
        x64_mov_rr(x, X_RDI, CPU);
        x64_mov_ri(x, X_RDX, info);
        if (s->kind == ST_STORE) {
            x64_call(x, (const void *)bt_helper_store);
        } else {
            x64_call(x, (const void *)((o->flags & IRF_RMW) ? bt_helper_load_rmw : bt_helper_load));
        }
        be_icount_add(e, be_from_here(e, o));
        be_cache_reload(e);
        if (s->kind == ST_LOAD)     /* after the reload: it may be a cache register */
            x64_mov_rr(x, s->dst, X_RAX);
        if (s->smc) {
            be_test_invalidated(e);
            x64_jcc(x, CC_E, x->run + s->resume);
            be_uncount_rest(e, o);
            be_cache_flush(e);
            be_set_rip(e, s->smc_rip);
            x64_jmp(x, e->bt->exit0);
            break;
        }
        x64_jmp(x, x->run + s->resume);
        break;
    case ST_CANON:
        /* Not canonical, or a DIV that faults: the interpreter's handler
         * raises #GP(0) / #DE. */
        call_interp_handler(e, o);
        x64_jmp(x, e->bt->exit0);
        break;
    case ST_SMC:
        be_uncount_rest(e, o);
        be_cache_flush(e);
        if (o->a != IR_NOREG)
            x64_store(x, 8, s->ra, xm(CPU, OFF(rip)));
        else
            be_set_rip(e, o->imm);
        x64_jmp(x, e->bt->exit0);
        break;
    case ST_GOTO:                   /* flushed before the jcc */
        be_set_rip(e, s->resume);
        x64_mov_ri(x, X_RAX, s->resume);
        x64_jmp(x, e->bt->jc_lookup);
        break;
    case ST_SIDE:       /* a side exit taken */
        be_uncount_rest(e, o);
        be_cache_flush(e);
        emit_goto(e, -1, o->imm, o);
        break;
    case ST_SITES:      /* from the prologue: rax = the TLB's site_gen */
        for (int i = 0; i < (int)e->b->nsites; i++) {
            if (e->site_kind[i] == BT_SITE_WIDE) {     /* an empty range */
                x64_store_i(x, 8, 0, xm(CPU, be_site_disp(e, i, SITE_LIMIT)));
                x64_store_i(x, 8, 0, xm(CPU, be_site_disp(e, i, SITE_LIMIT2)));
            } else if (e->site_kind[i] == BT_SITE_PAGE) {  /* a tag nothing matches */
                x64_store_i(x, 8, SITE_INVALID, xm(CPU, be_site_disp(e, i, SITE_BASE)));
                x64_store_i(x, 8, SITE_INVALID, xm(CPU, be_site_disp(e, i, SITE_BASE2)));
            }
        }
        x64_store(x, 8, X_RAX, xm(CPU, be_rbx_disp(e, &e->b->site_stamp)));
        x64_jmp(x, x->run + s->resume);
        break;
    case ST_LOOP: {
        /* The prologue's budget test, which also sees interrupts and stop
         * requests: they zero end_count (x86_kick), and the dispatcher
         * sorts out which it was.  No invalidation test: what can
         * invalidate code in the loop is checked where it happens (after
         * every store's slow path, after every interpreter handler) and
         * leaves the block then.  Leaving, the block's start is where the
         * guest is.  insn_count still counts the instructions after the
         * branch (u of them): the budget test sees a count at most u too
         * high, which only leaves a little early; going on adds the block
         * less u, leaving takes u back. */
        int u = be_from_here(e, o) - 1;
        size_t leave;
        if (s == e->head2_stub) {
            leave = e->head2_leave;     /* the fast way is before the copy */
        } else if (laps_to_head2(e, s)) {
            break;      /* the copy's own back edge: all done before the copy */
        } else {
            leave = count_block(e, e->b->n - u);
            if (e->head2_stub && be_pend_eq(&s->pend, &e->head2_stub->pend)) {
                x64_jmp(x, x->run + e->head2);  /* the head that has it pending */
            } else {
                be_pend_store(e, &s->pend);
                x64_jmp(x, x->run + e->loop_head);
            }
        }
        x64_patch(x, leave, x64_here(x));
        be_icount_add(e, -u);
        be_pend_store(e, &s->pend);
        be_cache_flush(e);
        be_set_rip(e, e->b->rip);
        x64_jmp(x, e->bt->exit0);
        break;
    }
    default:
        break;
    }
}

/* The entry, for the dispatcher and for chained jumps alike: the budget
 * test, which also sees pending interrupts, NMIs and stop requests, since
 * whoever sets them zeroes end_count (x86_kick); the dispatcher, which
 * restores end_count before it looks, sorts out which it was.  So an
 * interrupt pending under IF = 0 bounces one block, not every block.  The
 * first instruction (5 bytes at least) is what invalidation overwrites
 * with a jump to the bounce stub (bt_backend_unlink_entry). */
static void emit_prologue(struct be *e)
{
    struct x64 *x = &e->x;
    const void *budget = &e->bt->hot->end_count;
    if (be_in_reach(e, budget) && be_rbx_disp(e, budget) >= -128 && be_rbx_disp(e, budget) < 128)
        x64_nop5(x);    /* the compare would be 4 bytes */
    e->bounce_branch[e->nbounce++] = count_block(e, e->b->n);
    if (e->sites)
        be_sites_check(e);
    be_cache_reload(e);
    e->loop_head = x->pos;
}

/* Op i is a LOAD, an ADDR or an LDS that emits code (a part of a register
 * zero-extended, or a slot not cached) whose result the next op only
 * stores, whole, into a cached guest register: the cache register, to
 * write directly; else X_NONE. */
static int forward_target(const struct be *e, int i)
{
    const struct ir_block *ir = e->ir;
    const struct ir_op *o = &ir->op[i], *n = i + 1 < ir->n ? &ir->op[i + 1] : NULL;
    bool lds = o->op == IR_LDS && (o->size < 4 || be_cached_reg(e, o->imm) == X_NONE);
    if ((o->op != IR_LOAD && o->op != IR_ADDR && !lds) || !n || n->op != IR_STS || n->size != 8 ||
        n->a != o->d || n->gi != o->gi)
        return X_NONE;
    int h = be_cached_reg(e, n->imm);
    return h == X_NONE || be_read_after(e, i + 1, o->d) ? X_NONE : h;  /* read again later */
}

/* Translate op i (and what it does of the ops after it); returns the
 * next op to translate. */
static int emit_step(struct be *e, int i)
{
    const struct ir_block *ir = e->ir;
    if (i == 0 || ir->op[i].gi != ir->op[i - 1].gi)
        for (int v = 0; v < IR_VREGS; v++) {
            e->alias[v] = X_NONE;   /* the last instruction's are dead */
            e->vslot[v] = -1;
        }
    e->cur = i;
    if (i == e->skip_sts) {         /* done in place by an op before */
        e->skip_sts = -1;
        be_sts_done(e);
        return i + 1;
    }
    e->fwd = (int8_t)forward_target(e, i);
    emit_op(e, &ir->op[i]);
    if (e->fwd != X_NONE) {         /* the STS it did */
        const struct ir_op *o = &ir->op[i];
        bool zero = o->op == IR_LOAD || o->op == IR_LDS ? o->size <= 4
                  : o->a == IR_NOREG && o->b == IR_NOREG ? (o->imm & (o->size == 8 ? ~0ull
                                                                     : 0xffffffffull)) <= 0xffffffffull
                  : o->size == 4;
        e->upper_zero = zero ? e->upper_zero | 1u << e->fwd : e->upper_zero & ~(1u << e->fwd);
        e->fwd = X_NONE;
        e->skip_next = true;
    }
    if (e->skip_next) {
        e->skip_next = false;
        return i + 2;
    }
    return i + 1;
}

/* A loop's back edge with a pending lazy record would have to store it
 * on every iteration, since the loop head expects the record stored (as
 * it is on entry from outside).  Instead the block is translated a second
 * time, starting with that record pending.  A loop of up to COPY_MAX
 * instructions is copied whole, through its back edge, which goes to the
 * copy's start again: a lap runs in the copy with one taken branch, the
 * back edge itself.  Past the back edge (a side exit) the copy goes on
 * until the two translations are the same and then jumps into the first.
 * A longer loop gets a copy of its first instructions only, up to where
 * the record is gone (replaced, or dropped unread), at most PEEL_MAX of
 * them; if it lives longer, no copy. */
#define PEEL_MAX 8
#define COPY_MAX 32

/* What a translation pass starts from (the block's, the copy's): nothing
 * pending, nothing known of the host flags or upper halves, no op planned
 * ahead. */
static void pass_start(struct be *e)
{
    e->upper_zero = 0;
    e->hf_lf = LF_NONE;
    e->arm_at = e->planned_at = e->skip_sts = e->fold_op = e->imm_store = e->st_at = -1;
    e->fwd = X_NONE;
    e->skip_next = false;
}

static void emit_loop_head2(struct be *e)
{
    const struct ir_block *ir = e->ir;
    const struct stub *loop = NULL;
    for (int i = 0; i < e->nstubs && !loop; i++)
        if (e->stub[i].kind == ST_LOOP && e->stub[i].pend.on)
            loop = &e->stub[i];
    if (!loop || e->x.overflow)
        return;
    size_t pos = e->x.pos;
    int nstubs = e->nstubs, nlinks = e->nlinks;
    /* That back edge's budget test (its ST_LOOP stub) goes first and falls
     * into the copy: one taken branch a lap, the back edge itself. */
    size_t leave = count_block(e, e->b->n - (be_from_here(e, loop->o) - 1));
    /* The state the loop head is translated in (as after the prologue),
     * with the record pending. */
    pass_start(e);
    e->pend = loop->pend;
    e->head2 = e->x.pos;
    int back = loop->o->gi;
    bool whole = back < COPY_MAX, joined = false;
    int i = 0;
    while (i < ir->n && !e->x.overflow) {
        int gi = ir->op[i].gi;
        if (i == 0 || gi != ir->op[i - 1].gi) {
            if (gi > 0 && (!whole || gi > back) && e->arm_at < 0 && e->skip_sts < 0 &&
                be_pend_eq(&e->pend, &e->gi_pend[gi])) {
                x64_jmp(&e->x, e->x.run + e->gi_pos[gi]);
                joined = true;
                break;
            }
            if (!whole && (gi >= PEEL_MAX || gi + 1 >= e->b->n))
                break;
        }
        i = emit_step(e, i);
    }
    /* A whole copy may also end with the block (its last instruction
     * leaves by itself). */
    if ((joined || (whole && i == ir->n)) && !e->x.overflow) {
        e->head2_stub = loop;
        e->head2_check = pos;
        e->head2_leave = leave;
        return;
    }
    e->x.pos = pos;     /* no copy (also when it did not fit) */
    e->x.overflow = false;
    e->nstubs = nstubs;
    e->nlinks = nlinks;
}

int bt_backend(struct bt_vcpu *bt, struct bt_block *b, const struct ir_block *ir)
{
    struct bt_code *c = &bt->code;
    static struct be e;     /* large; the translator runs on one thread */

    memset(&e, 0, sizeof(e));
    pass_start(&e);
    e.bt = bt;
    e.b = b;
    e.x = (struct x64){ .buf = c->rw + c->used, .run = (uintptr_t)c->rx + c->used,
                        .cap = c->size - c->used };
    for (int i = 0; i < BT_MAX_LINKS; i++)
        b->link[i].from = NULL;
    e.ir = ir;
    e.sites = be_sites_in_reach(&e) && !bt->no_sites;
    for (int i = 0, n = 0; i < ir->n; i++) {
        e.site_of[i] = (int16_t)(ir->op[i].op == IR_LOAD || ir->op[i].op == IR_STORE ? n++ : -1);
        e.site_kind[i] = -1;
    }
    be_plan_cache(&e, ir);
    emit_prologue(&e);
    for (int i = 0; i < ir->n && !e.x.overflow;) {
        if (i == 0 || ir->op[i].gi != ir->op[i - 1].gi) {
            e.gi_pos[ir->op[i].gi] = e.x.pos;
            e.gi_pend[ir->op[i].gi] = e.pend;
        }
        i = emit_step(&e, i);
    }
    emit_loop_head2(&e);
    for (int i = 0; i < e.nstubs && !e.x.overflow; i++)
        emit_stub(&e, &e.stub[i]);
    /* Bounce: leave with RIP = the block's start. */
    b->bounce = x64_here(&e.x);
    for (int i = 0; i < e.nbounce; i++)
        x64_patch(&e.x, e.bounce_branch[i], b->bounce);
    be_set_rip(&e, b->rip);
    x64_jmp(&e.x, bt->exit0);
    /* Chainable exits: until patched, leave returning the link. */
    for (int i = 0; i < e.nlinks; i++) {
        b->link[i].stub = x64_here(&e.x);
        x64_patch(&e.x, b->link[i].site_end, x64_here(&e.x));
        be_set_rip(&e, b->link[i].target);
        x64_mov_ri(&e.x, X_RAX, (uint64_t)(uintptr_t)&b->link[i]);
        x64_jmp(&e.x, bt->epilogue);
        b->link[i].site_end += c->used;  /* buffer offset -> cache offset */
    }
    if (e.x.overflow)
        return -1;
    b->entry = (uintptr_t)c->rx + c->used;
    b->entry_off = c->used;
    b->code_bytes = e.x.pos;
    c->used += (e.x.pos + 15) & ~(size_t)15;
    if (c->used > c->size)
        c->used = c->size;
    return 0;
}

void bt_backend_patch(struct bt_vcpu *bt, const struct bt_link *l, uintptr_t target)
{
    struct x64 x = { .buf = bt->code.rw, .run = (uintptr_t)bt->code.rx, .cap = bt->code.size };
    x64_patch(&x, l->site_end, target);
}

void bt_backend_unlink_entry(struct bt_vcpu *bt, struct bt_block *b)
{
    struct x64 x = { .buf = bt->code.rw, .run = (uintptr_t)bt->code.rx, .cap = bt->code.size,
                     .pos = b->entry_off };
    x64_jmp(&x, b->bounce);
}

void bt_backend_stubs(struct bt_vcpu *bt)
{
    struct bt_code *c = &bt->code;
    struct x64 x = { .buf = c->rw, .run = (uintptr_t)c->rx, .cap = c->size };
    static const int saved[] = { X_RBX, X_RBP, X_R12, X_R13, X_R14, X_R15 };

    /* uintptr_t enter(struct x86_cpu *cpu, struct bt_vcpu *bt, void *code) */
    bt->enter = x64_here(&x);
    for (int i = 0; i < 6; i++)
        x64_push(&x, saved[i]);
    x64_alu_ri(&x, XA_SUB, 8, X_RSP, 8);        /* 16-byte aligned inside */
    x64_mov_rr(&x, CPU, X_RDI);
    x64_load(&x, 8, ICOUNT, xm(CPU, OFF(insn_count)));
    x64_jmp_r(&x, X_RDX);

    bt->exit0 = x64_here(&x);
    x64_alu_rr(&x, XA_XOR, 4, X_RAX, X_RAX);
    bt->epilogue = x64_here(&x);
    x64_store(&x, 8, ICOUNT, xm(CPU, OFF(insn_count)));
    x64_alu_ri(&x, XA_ADD, 8, X_RSP, 8);
    for (int i = 5; i >= 0; i--)
        x64_pop(&x, saved[i]);
    x64_ret(&x);

    /* rax = RIP (already in cpu->rip): the jump cache (bt_jc_hash). */
    bt->jc_lookup = x64_here(&x);
    x64_mov_rr(&x, X_RCX, X_RAX);
    x64_shift_i(&x, 5, 8, X_RCX, BT_JC_BITS);
    x64_alu_rr(&x, XA_XOR, 8, X_RCX, X_RAX);
    x64_alu_ri(&x, XA_AND, 4, X_RCX, BT_JC_SIZE - 1);
    x64_shift_i(&x, 4, 4, X_RCX, 4);
    x64_mov_ri(&x, X_RDX, (uint64_t)(uintptr_t)&bt->jc[0]);
    x64_alu_rm(&x, XA_CMP, 8, X_RAX, (struct x64_mem){ X_RDX, X_RCX, 1, 0 });
    x64_jcc(&x, CC_NE, bt->exit0);
    x64_jmp_m(&x, (struct x64_mem){ X_RDX, X_RCX, 1, 8 });

    c->used = c->stubs_end = (x.pos + 63) & ~(size_t)63;
}
