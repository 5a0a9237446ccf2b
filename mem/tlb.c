/* The per-vCPU software TLB (see tlb.h). */
#include "mem/tlb.h"

#include <stdlib.h>

/* Entries may have gone: the translator's copies of them must go too. */
static void next_site_gen(struct tlb *t)
{
    t->site_gen++;
}

static void entry_clear(struct tlb_entry *e)
{
    e->tag[TLB_READ] = e->tag[TLB_WRITE] = e->tag[TLB_EXEC] = TLB_INVALID;
    e->global = false;
    e->addend = 0;
    e->gpa = 0;
    e->page_mask = GUEST_PAGE_MASK;
}

struct tlb *tlb_create(struct memmap *m)
{
    struct tlb *t = calloc(1, sizeof(*t));
    if (!t)
        return NULL;
    t->mem = m;
    t->write_gen = memmap_write_gen(m);
    tlb_flush_all(t);
    t->flushes = 0;
    t->next = m->tlbs;
    m->tlbs = t;
    return t;
}

void tlb_destroy(struct tlb *t)
{
    if (!t)
        return;
    for (struct tlb **p = &t->mem->tlbs; *p; p = &(*p)->next)
        if (*p == t) {
            *p = t->next;
            break;
        }
    free(t);
}

void tlb_insert(struct tlb *t, int user, uint64_t lin, uint8_t *host_page, uint64_t gpa_page,
                uint64_t page_size, bool global, unsigned kinds)
{
    uint64_t page = lin & GUEST_PAGE_MASK;
    struct tlb_entry *e = &t->entry[user][(lin >> GUEST_PAGE_SHIFT) & (TLB_SIZE - 1)];
    uintptr_t addend = (uintptr_t)host_page - (uintptr_t)page;
    /* Another page, or the same page now mapped elsewhere: start afresh. */
    bool same = (e->tag[0] == page || e->tag[1] == page || e->tag[2] == page) &&
                e->addend == addend && e->gpa == gpa_page;
    if (!same)
        entry_clear(e);
    for (int k = 0; k < 3; k++)
        if (kinds & (1u << k))
            e->tag[k] = page;
    e->addend = addend;
    e->gpa = gpa_page;
    e->page_mask = ~(page_size - 1);
    e->global = same ? (e->global && global) : global;
    if (page_size > GUEST_PAGE_SIZE)
        t->has_large = true;
    t->fills++;
}

void tlb_flush_all(struct tlb *t)
{
    next_site_gen(t);
    for (int u = 0; u < 2; u++)
        for (unsigned i = 0; i < TLB_SIZE; i++)
            entry_clear(&t->entry[u][i]);
    t->has_large = false;
    t->flushes++;
}

void tlb_flush_nonglobal(struct tlb *t)
{
    next_site_gen(t);
    for (int u = 0; u < 2; u++)
        for (unsigned i = 0; i < TLB_SIZE; i++)
            if (!t->entry[u][i].global)
                entry_clear(&t->entry[u][i]);
    t->flushes++;
}

static uint64_t entry_page(const struct tlb_entry *e)
{
    for (int k = 0; k < 3; k++)
        if (e->tag[k] != TLB_INVALID)
            return e->tag[k];
    return TLB_INVALID;
}

void tlb_flush_page(struct tlb *t, uint64_t lin)
{
    next_site_gen(t);
    t->page_flushes++;
    if (!t->has_large) {
        for (int u = 0; u < 2; u++) {
            struct tlb_entry *e = &t->entry[u][(lin >> GUEST_PAGE_SHIFT) & (TLB_SIZE - 1)];
            if (entry_page(e) == (lin & GUEST_PAGE_MASK))
                entry_clear(e);
        }
        return;
    }
    /* A large page covers many 4 KiB entries (SDM Vol. 3, 4.10.4.1: INVLPG
     * invalidates the whole page that holds the address). */
    for (int u = 0; u < 2; u++) {
        for (unsigned i = 0; i < TLB_SIZE; i++) {
            struct tlb_entry *e = &t->entry[u][i];
            uint64_t page = entry_page(e);
            if (page != TLB_INVALID && (page & e->page_mask) == (lin & e->page_mask))
                entry_clear(e);
        }
    }
}

void tlb_drop_writes(struct tlb *t)
{
    next_site_gen(t);
    for (int u = 0; u < 2; u++)
        for (unsigned i = 0; i < TLB_SIZE; i++)
            t->entry[u][i].tag[TLB_WRITE] = TLB_INVALID;
}

void tlb_sync_write_gen(struct tlb *t)
{
    uint64_t gen = memmap_write_gen(t->mem);
    if (gen != t->write_gen) {
        tlb_drop_writes(t);
        t->write_gen = gen;
    }
}
