/* The backend (translate/backend_x64.h): guest loads and stores - sites,
 * the soft TLB inline, the slow path's stubs. */
#include "translate/backend_x64.h"

/* --- the soft TLB inline (mem/tlb.h: tlb_lookup) --- */

/* The soft TLB's check of address a for `size` bytes and access `kind`:
 * rcx = the entry's offset in its table, rax = the page of the last byte
 * (so an access crossing a page misses), compared with the entry's tag
 * (the caller's jcc follows).  The table's base (*base): rbx plus a
 * displacement when the table is within reach of 32 bits (both usually
 * live in the same heap), else rdx loaded with the table's address.
 * Returns the displacement of the entry's addend from that base.  A write
 * tag needs no generation check: the TLB drops its write tags when the
 * generation changes (mem/tlb.h). */
static int32_t tlb_compare(struct be *e, struct x64_mem a, int size, int kind, int *base)
{
    struct x64 *x = &e->x;
    const struct tlb *t = e->bt->cpu->env.tlb;
    int user = (e->b->mode & BT_MODE_USER) != 0;

    /* rcx = index * sizeof(entry) = (a >> (12 - 6)) & ((TLB_SIZE - 1) << 6) */
    be_addr_to(e, X_RCX, a);
    x64_shift_i(x, 5, 8, X_RCX, GUEST_PAGE_SHIFT - TLB_ENTRY_SHIFT);
    x64_alu_ri(x, XA_AND, 4, X_RCX, (int32_t)((TLB_SIZE - 1) << TLB_ENTRY_SHIFT));
    uintptr_t table = (uintptr_t)&t->entry[user][0];
    int64_t rel = (int64_t)(table - (uintptr_t)e->bt->cpu);
    *base = CPU;
    if (!be_tlb_in_reach(e)) {
        *base = X_RDX;
        rel = 0;
        x64_mov_ri(x, X_RDX, (uint64_t)table);
    }
    int32_t tag = (int32_t)(rel + (int64_t)offsetof(struct tlb_entry, tag) + 8 * kind);
    x64_lea(x, 8, X_RAX, be_addr_plus(a, size - 1));
    x64_alu_ri(x, XA_AND, 8, X_RAX, (int32_t)GUEST_PAGE_MASK);
    x64_alu_rm(x, XA_CMP, 8, X_RAX, (struct x64_mem){ *base, X_RCX, 1, tag });
    return (int32_t)(rel + (int64_t)offsetof(struct tlb_entry, addend));
}

/* rax = the addend of the address's page (e->saddr) from the TLB; a
 * stub unless the entry allows `kind` for all the access's bytes. */
static void tlb_inline(struct be *e, const struct ir_op *o, int kind, int stub_kind)
{
    int base;
    int32_t addend = tlb_compare(e, e->saddr, o->size, kind, &base);
    be_add_stub(e, stub_kind, x64_jcc(&e->x, CC_NE, x64_here(&e->x)), o);
    x64_load(&e->x, 8, X_RAX, (struct x64_mem){ base, X_RCX, 1, addend });
}

/* --- sites: a memory access's own copies of the TLB entries it used last ---
 *
 * Most memory instructions touch one page over and over (a stack slot, an
 * array walked in order, a table); some go back and forth between two (a
 * table across a page boundary indexed at random, an array walked again
 * from its start, two arrays used in turn).  Each has a site in its block:
 * two entries, {tag, addend} copies of TLB entries.  The fast path
 * compares the page of the address and its low bits up to the access's
 * size (so a misaligned access, which might cross pages, never matches)
 * with the first entry's tag in one compare, and takes the addend from the
 * site: the address goes straight into the access, with no index to
 * compute and no entry to find first.  A miss tries the second entry
 * (found: the two change places, so the one in use is checked first),
 * then looks in the TLB (as tlb_inline): found, the page becomes the first
 * entry and the first the second; else the slow path.
 *
 * A change of entries is a mispredicted branch, and a refill costs more:
 * the site counts both, and when SITE_THRASH of them came fast
 * (bt_helpers.c: site_judge) its instruction gets another kind of site and
 * its block is translated again.  Two adjacent pages one addend serves
 * (contiguous in the host too, as in a flat guest: an array or a table
 * across a boundary) make it BT_SITE_WIDE: each entry a range of up to two
 * pages, the fast path `(address - base) < limit` (one load more), so the
 * two pages cost no more misses than one; C fills its entries, growing one
 * to the adjacent page or sliding it along (bt_helper_site_fill).
 * Anything else (pages apart at random, three pages or more, a wide site
 * that still thrashes) makes it BT_SITE_NONE, the TLB lookup inline.
 *
 * Stale sites: the block's entry compares the TLB's site_gen with the one
 * its sites were made under and, if it moved on (a flush, a write-tag
 * drop), empties them all (both entries) first.  Within a block it cannot
 * move: what flushes the TLB ends the block. */

/* The kind of site memory op o (being translated) gets. */
static int site_kind(const struct be *e, const struct ir_op *o)
{
    if (!e->sites)
        return BT_SITE_NONE;
    return bt_site_kind(e->bt, be_rip_of(e, o));
}

/* Are block b's sites, its stamp and the TLB within rbx's reach? */
bool be_sites_in_reach(const struct be *e)
{
    const struct bt_block *b = e->b;
    const struct tlb *t = e->bt->cpu->env.tlb;
    return t && be_tlb_in_reach(e) && b->nsites && be_in_reach(e, &b->site[0][0]) &&
           be_in_reach(e, &b->site_more[b->nsites][0]) && be_in_reach(e, &b->site_stamp) &&
           be_in_reach(e, &t->site_gen);
}

/* The block's entry: its sites are of the TLB's current generation, else
 * a stub forgets them (ST_SITES). */
void be_sites_check(struct be *e)
{
    struct x64 *x = &e->x;
    x64_load(x, 8, X_RAX, xm(CPU, be_rbx_disp(e, &e->bt->cpu->env.tlb->site_gen)));
    x64_alu_rm(x, XA_CMP, 8, X_RAX, xm(CPU, be_rbx_disp(e, &e->b->site_stamp)));
    be_add_stub(e, ST_SITES, x64_jcc(x, CC_NE, x64_here(x)), NULL);
}

int32_t be_site_disp(const struct be *e, int site, int word)
{
    return be_rbx_disp(e, bt_site_word(e->b, (uint32_t)site, word));
}

/* rcx = the access's offset in a BT_SITE_WIDE entry's range, compared
 * with its limit (the caller's jcc follows: AE misses). */
static void site_compare_range(struct be *e, struct x64_mem a, int site, int base, int limit)
{
    struct x64 *x = &e->x;
    be_addr_to(e, X_RCX, a);
    x64_alu_rm(x, XA_SUB, 8, X_RCX, xm(CPU, be_site_disp(e, site, base)));
    x64_alu_rm(x, XA_CMP, 8, X_RCX, xm(CPU, be_site_disp(e, site, limit)));
}

/* rax = the addend of the address (e->saddr) from its site's first entry,
 * else to a stub (ST_LOAD / ST_STORE with the site) that tries the second
 * entry, refills the site or goes slow. */
static void site_inline(struct be *e, const struct ir_op *o, int kind, int stub_kind, int site_kind)
{
    struct x64 *x = &e->x;
    int site = e->site_of[e->cur];
    size_t miss;
    *bt_site_word(e->b, (uint32_t)site, SITE_SIZE) = o->size;
    *bt_site_word(e->b, (uint32_t)site, SITE_KIND) = (uint64_t)site_kind;
    e->site_kind[site] = (int8_t)site_kind;
    e->bt->stats.sites++;
    if (site_kind == BT_SITE_WIDE) {
        site_compare_range(e, e->saddr, site, SITE_BASE, SITE_LIMIT);
        miss = x64_jcc(x, CC_AE, x64_here(x));
    } else {
        be_addr_to(e, X_RCX, e->saddr);
        x64_alu_ri(x, XA_AND, 8, X_RCX, (int32_t)(GUEST_PAGE_MASK | (uint64_t)(o->size - 1)));
        x64_alu_rm(x, XA_CMP, 8, X_RCX, xm(CPU, be_site_disp(e, site, SITE_BASE)));
        miss = x64_jcc(x, CC_NE, x64_here(x));
    }
    struct stub *s = be_add_stub(e, stub_kind, miss, o);
    s->site = site;
    s->kind2 = kind;
    x64_load(x, 8, X_RAX, xm(CPU, be_site_disp(e, site, SITE_ADDEND)));
    s->access = x->pos;
}

/* The second entry of a site becomes its first, the first its second (an
 * array walked again from its start, two arrays used in turn: the one in
 * use is checked first); rax = the addend of the new first.  A tag has no
 * limit. */
static void site_swap(struct be *e, int site, bool wide)
{
    struct x64 *x = &e->x;
    static const int word[3][2] = {     /* the addend last: it stays in rax */
        { SITE_LIMIT, SITE_LIMIT2 }, { SITE_BASE, SITE_BASE2 }, { SITE_ADDEND2, SITE_ADDEND },
    };
    for (int i = wide ? 0 : 1; i < 3; i++) {
        x64_load(x, 8, X_RAX, xm(CPU, be_site_disp(e, site, word[i][0])));
        x64_load(x, 8, X_RCX, xm(CPU, be_site_disp(e, site, word[i][1])));
        x64_store(x, 8, X_RCX, xm(CPU, be_site_disp(e, site, word[i][0])));
        x64_store(x, 8, X_RAX, xm(CPU, be_site_disp(e, site, word[i][1])));
    }
}

/* Call a site helper fn(bt, b, rip, site, r8, r9) from a miss stub and go
 * on to the access with the addend it returns.  The cache registers hold
 * the guest's registers (written back, reloaded) and the address
 * (reloaded: the access needs it); r8 and r9 are set by the caller after
 * the write-back. */
static void site_call(struct be *e, const struct stub *s, const void *fn)
{
    struct x64 *x = &e->x;
    x64_mov_ri(x, X_RCX, (uint64_t)s->site);
    x64_mov_ri(x, X_RDX, be_rip_of(e, s->o));
    x64_mov_ri(x, X_RSI, (uint64_t)(uintptr_t)e->b);
    x64_mov_ri(x, X_RDI, (uint64_t)(uintptr_t)e->bt);
    be_call_helper(e, fn);
    be_cache_reload(e);
    x64_jmp(x, x->run + s->access);
}

/* A miss that costs (a change of entry, a refill) is counted; every
 * SITE_THRASH of them C looks at the site (bt_helper_site_switch, which
 * may give the instruction another kind of site); back to the access, rax
 * = the addend of the first entry. */
static void site_count(struct be *e, const struct stub *s)
{
    struct x64 *x = &e->x;
    x64_alu_mi(x, XA_ADD, 4, xm(CPU, be_site_disp(e, s->site, SITE_COUNT)), 1);
    x64_alu_mi(x, XA_CMP, 4, xm(CPU, be_site_disp(e, s->site, SITE_COUNT)), SITE_THRASH);
    x64_jcc(x, CC_NE, x->run + s->access);
    be_cache_flush(e);
    be_sync_icount(e);
    site_call(e, s, (const void *)bt_helper_site_switch);
}

/* The TLB has the page (rax = its tag, rcx = the entry at [base + rcx]):
 * it becomes the first entry of a BT_SITE_PAGE site, the first its
 * second; rax = its addend. */
static void site_push(struct be *e, int site, int base, int32_t addend)
{
    struct x64 *x = &e->x;
    x64_load(x, 8, X_RCX, (struct x64_mem){ base, X_RCX, 1, addend });
    x64_push(x, X_RCX);
    x64_load(x, 8, X_RCX, xm(CPU, be_site_disp(e, site, SITE_BASE)));
    x64_store(x, 8, X_RCX, xm(CPU, be_site_disp(e, site, SITE_BASE2)));
    x64_load(x, 8, X_RCX, xm(CPU, be_site_disp(e, site, SITE_ADDEND)));
    x64_store(x, 8, X_RCX, xm(CPU, be_site_disp(e, site, SITE_ADDEND2)));
    x64_store(x, 8, X_RAX, xm(CPU, be_site_disp(e, site, SITE_BASE)));
    x64_pop(x, X_RAX);
    x64_store(x, 8, X_RAX, xm(CPU, be_site_disp(e, site, SITE_ADDEND)));
}

/* In a site's miss stub: its second entry (found: the entries change
 * places, back to the access); then the TLB lookup: found, the site takes
 * the page (inline; a BT_SITE_WIDE site's ranges in C, which can widen and
 * slide them), back to the access; else on to the slow path (returns the
 * branch). */
size_t be_site_refill(struct be *e, struct stub *s)
{
    struct x64 *x = &e->x;
    int base;       /* rbx: sites need the TLB in reach */
    bool wide = e->site_kind[s->site] == BT_SITE_WIDE;
    size_t second;
    if (wide) {
        site_compare_range(e, s->addr, s->site, SITE_BASE2, SITE_LIMIT2);
        second = x64_jcc(x, CC_AE, x64_here(x));
    } else {        /* rcx: the page and low bits the fast path compared */
        x64_alu_rm(x, XA_CMP, 8, X_RCX, xm(CPU, be_site_disp(e, s->site, SITE_BASE2)));
        second = x64_jcc(x, CC_NE, x64_here(x));
    }
    site_swap(e, s->site, wide);
    size_t count = x->pos;
    site_count(e, s);

    x64_patch(x, second, x64_here(x));
    int32_t addend = tlb_compare(e, s->addr, s->o->size, s->kind2, &base);
    size_t slow = x64_jcc(x, CC_NE, x64_here(x));
    if (wide) {
        be_cache_flush(e);      /* rax = the page, rcx = the entry */
        be_sync_icount(e);
        x64_load(x, 8, X_R9, (struct x64_mem){ base, X_RCX, 1, addend });
        x64_mov_rr(x, X_R8, X_RAX);
        site_call(e, s, (const void *)bt_helper_site_fill);
    } else {
        site_push(e, s->site, base, addend);
        x64_jmp(x, x->run + count);
    }
    return slow;
}

/* Rewrite the resume point of the stubs just added for o. */
static void stubs_resume_here(struct be *e, const struct ir_op *o)
{
    for (int i = e->nstubs - 1; i >= 0 && e->stub[i].o == o; i--)
        e->stub[i].resume = e->x.pos;
}

void be_emit_load(struct be *e, const struct ir_op *o)
{
    struct x64 *x = &e->x;
    int dst = be_result_reg(e, o);      /* written by the last instruction */
    be_stub_regs(e, o);
    be_def(e, o->d);
    if (!e->bt->cpu->env.tlb) {
        be_add_stub(e, ST_LOAD, x64_jmp(x, x64_here(x)), o);
    } else {
        bool rmw = (o->flags & IRF_RMW) != 0;
        int sk = site_kind(e, o);
        if (sk != BT_SITE_NONE)
            site_inline(e, o, rmw ? TLB_WRITE : TLB_READ, ST_LOAD, sk);
        else
            tlb_inline(e, o, rmw ? TLB_WRITE : TLB_READ, ST_LOAD);
        x64_load(x, o->size, dst, be_host_mem(e->saddr));
    }
    stubs_resume_here(e, o);
    e->hf_lf = LF_NONE;
}

/* A store whose fast path succeeds cannot have written translated code:
 * pages holding code never have write tags (mem/tlb.h).  So when the
 * store's instruction checks for SMC right after it, the check moves into
 * the slow path's stub. */
void be_emit_store(struct be *e, const struct ir_op *o)
{
    struct x64 *x = &e->x;
    const struct ir_op *next = e->cur + 1 < e->ir->n ? &e->ir->op[e->cur + 1] : NULL;
    bool fold = next && next->op == IR_CHECK_SMC && next->gi == o->gi && next->a == IR_NOREG;
    int first = e->nstubs;
    be_stub_regs(e, o);
    if (!e->bt->cpu->env.tlb) {
        be_add_stub(e, ST_STORE, x64_jmp(x, x64_here(x)), o);
    } else {
        int sk = site_kind(e, o);
        if (sk != BT_SITE_NONE)
            site_inline(e, o, TLB_WRITE, ST_STORE, sk);
        else
            tlb_inline(e, o, TLB_WRITE, ST_STORE);
        if (e->simm)
            x64_store_i(x, o->size, e->imm_value, be_host_mem(e->saddr));
        else
            x64_store(x, o->size, e->srb, be_host_mem(e->saddr));
    }
    if (fold) {
        for (int i = first; i < e->nstubs; i++) {
            e->stub[i].smc = true;
            e->stub[i].smc_rip = next->imm;
        }
        e->skip_next = true;
    }
    stubs_resume_here(e, o);
    e->hf_lf = LF_NONE;
}
