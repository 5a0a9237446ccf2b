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

/* --- sites: a memory access's own copy of the TLB entry it used last ---
 *
 * Most memory instructions touch one page over and over (a stack slot, an
 * array walked in order, a table).  Each has a site, {tag, addend} in its
 * block: tag = the page.  The fast path compares the page of the address
 * and its low bits up to the access's size (so a misaligned access, which
 * might cross pages, never matches) with the tag in one compare, and takes
 * the addend from the site: the address goes straight into the access,
 * with no index to compute and no entry to find first.  A miss looks in
 * the TLB (as tlb_inline) and refills the site, or takes the slow path.
 * Stale sites: the block's entry compares the TLB's site_gen with the one
 * its sites were made under and, if it moved on (a flush), forgets them
 * all (tag SITE_INVALID) first.  Within a block it cannot move: what
 * flushes the TLB ends the block. */

/* Does memory op o (being translated) get a site?  Not when one of its
 * instruction's missed too often before (a table or an array indexed at
 * random across two pages: each miss a mispredicted branch, where the TLB
 * holds both pages). */
static bool use_site(const struct be *e, const struct ir_op *o)
{
    if (!e->sites)
        return false;
    return !bt_nosite(e->bt, be_rip_of(e, o));
}


/* Are block b's sites, its stamp and the TLB within rbx's reach? */
bool be_sites_in_reach(const struct be *e)
{
    const struct bt_block *b = e->b;
    const struct tlb *t = e->bt->cpu->env.tlb;
    return t && be_tlb_in_reach(e) && b->nsites && be_in_reach(e, &b->site[0][0]) &&
           be_in_reach(e, &b->site[b->nsites][0]) && be_in_reach(e, &b->site_stamp) &&
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
    return be_rbx_disp(e, &e->b->site[site][word]);
}

/* rax = the addend of the page of HV(a) from its site, else to a stub
 * (ST_LOAD / ST_STORE with the site) that refills it or goes slow. */
static void site_inline(struct be *e, const struct ir_op *o, int kind, int stub_kind)
{
    struct x64 *x = &e->x;
    int site = e->site_of[e->cur];
    be_addr_to(e, X_RCX, e->saddr);
    x64_alu_ri(x, XA_AND, 8, X_RCX, (int32_t)(GUEST_PAGE_MASK | (uint64_t)(o->size - 1)));
    x64_alu_rm(x, XA_CMP, 8, X_RCX, xm(CPU, be_site_disp(e, site, 0)));
    struct stub *s = be_add_stub(e, stub_kind, x64_jcc(x, CC_NE, x64_here(x)), o);
    s->site = site;
    s->kind2 = kind;
    x64_load(x, 8, X_RAX, xm(CPU, be_site_disp(e, site, 1)));
    s->access = x->pos;
}

/* In a site's miss stub: the TLB lookup; found, refill the site and go
 * back to the access; else on to the slow path (returns the branch). */
size_t be_site_refill(struct be *e, struct stub *s)
{
    struct x64 *x = &e->x;
    int base;       /* rbx: sites need the TLB in reach */
    s->retry = x->pos;
    int32_t addend = tlb_compare(e, s->addr, s->o->size, s->kind2, &base);
    size_t slow = x64_jcc(x, CC_NE, x64_here(x));
    /* The TLB has it: refill the site (remembering the page it had), back
     * to the access.  A site that keeps going back to the page it had
     * before (an array or table across two pages, used at random) misses
     * at random, each miss a mispredicted branch, where the TLB would hit:
     * a count goes up at each such return and down at each new page (a
     * walk restarting near where it began), and at SITE_THRASH its
     * instruction goes without. */
    x64_alu_rm(x, XA_CMP, 8, X_RAX, xm(CPU, be_site_disp(e, s->site, 3)));
    size_t fresh = x64_jcc(x, CC_NE, x64_here(x));
    x64_alu_mi(x, XA_ADD, 4, xm(CPU, be_site_disp(e, s->site, 2)), 1);
    x64_alu_mi(x, XA_CMP, 4, xm(CPU, be_site_disp(e, s->site, 2)), SITE_THRASH);
    size_t fine = x64_jcc(x, CC_NE, x64_here(x));
    be_cache_flush(e);
    be_sync_icount(e);
    x64_mov_ri(x, X_RDI, (uint64_t)(uintptr_t)e->bt);
    x64_mov_ri(x, X_RSI, (uint64_t)(uintptr_t)e->b);
    x64_mov_ri(x, X_RDX, be_rip_of(e, s->o));
    be_call_helper(e, (const void *)bt_helper_site_thrash);
    be_cache_reload(e);
    x64_jmp(x, x->run + s->retry);      /* the TLB lookup again: rax, rcx are gone */
    x64_patch(x, fresh, x64_here(x));
    /* a new page (an array walked in order): the count goes down again */
    x64_alu_mi(x, XA_CMP, 4, xm(CPU, be_site_disp(e, s->site, 2)), 0);
    size_t zero = x64_jcc(x, CC_E, x64_here(x));
    x64_alu_mi(x, XA_SUB, 4, xm(CPU, be_site_disp(e, s->site, 2)), 1);
    x64_patch(x, zero, x64_here(x));
    x64_patch(x, fine, x64_here(x));
    x64_load(x, 8, X_RCX, (struct x64_mem){ base, X_RCX, 1, addend });
    x64_push(x, X_RCX);
    x64_load(x, 8, X_RCX, xm(CPU, be_site_disp(e, s->site, 0)));
    x64_store(x, 8, X_RCX, xm(CPU, be_site_disp(e, s->site, 3)));
    x64_store(x, 8, X_RAX, xm(CPU, be_site_disp(e, s->site, 0)));
    x64_pop(x, X_RAX);
    x64_store(x, 8, X_RAX, xm(CPU, be_site_disp(e, s->site, 1)));
    x64_jmp(x, x->run + s->access);
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
    int dst = e->fwd != X_NONE ? e->fwd : HV(o->d);
    if (e->fwd != X_NONE) {
        be_clobber_host_when(e, e->fwd, false);    /* written by the last instruction */
        be_slot_written(e, be_slot_of_host(e, e->fwd));
    }
    be_stub_regs(e, o);
    be_def(e, o->d);
    if (!e->bt->cpu->env.tlb) {
        be_add_stub(e, ST_LOAD, x64_jmp(x, x64_here(x)), o);
    } else {
        bool rmw = (o->flags & IRF_RMW) != 0;
        if (use_site(e, o))
            site_inline(e, o, rmw ? TLB_WRITE : TLB_READ, ST_LOAD);
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
        if (use_site(e, o))
            site_inline(e, o, TLB_WRITE, ST_STORE);
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
