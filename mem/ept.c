/* The software EPT (see ept.h; SDM Vol. 3, 29.3.2). */
#include "mem/ept.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "mem/memmap.h"

#define EPT_ENTRIES 512
#define SIZE_4K (1ull << 12)
#define SIZE_2M (1ull << 21)
#define SIZE_1G (1ull << 30)

/* Level numbering as in the SDM: 4 = PML4, 3 = PDPT, 2 = PD, 1 = PT. */
static unsigned level_shift(int level)
{
    return 12 + 9 * (unsigned)(level - 1);
}

static uint64_t *table_at(const struct ept *e, uint64_t hpa)
{
    if (hpa < EPT_TABLE_HPA)
        return NULL;
    uint64_t n = (hpa - EPT_TABLE_HPA) >> 12;
    return n < e->npages ? e->page[n] : NULL;
}

const uint64_t *ept_table(const struct ept *e, uint64_t table_hpa)
{
    return table_at(e, table_hpa & EPT_ADDR_MASK);
}

/* A zeroed table page; its host-physical address in *hpa.  0 or -ENOMEM. */
static int alloc_table(struct ept *e, uint64_t *hpa)
{
    if (e->npages == e->cap) {
        size_t cap = e->cap ? e->cap * 2 : 16;
        uint64_t **p = realloc(e->page, cap * sizeof(*p));
        if (!p)
            return -ENOMEM;
        e->page = p;
        e->cap = cap;
    }
    uint64_t *t = aligned_alloc(4096, 4096);
    if (!t)
        return -ENOMEM;
    memset(t, 0, 4096);
    e->page[e->npages] = t;
    *hpa = EPT_TABLE_HPA + ((uint64_t)e->npages << 12);
    e->npages++;
    return 0;
}

/* Install one leaf at `level` (1: 4 KiB, 2: 2 MiB, 3: 1 GiB). */
static int map_leaf(struct ept *e, uint64_t gpa, uint64_t hpa, int level, uint64_t perm)
{
    uint64_t table = e->eptp & EPT_ADDR_MASK;
    for (int l = 4; l > level; l--) {
        uint64_t *t = table_at(e, table);
        unsigned idx = (unsigned)(gpa >> level_shift(l)) & (EPT_ENTRIES - 1);
        if (!(t[idx] & EPT_RWX)) {
            uint64_t next;
            int err = alloc_table(e, &next);
            if (err)
                return err;
            t = table_at(e, table); /* page[] may have moved, not the pages */
            t[idx] = next | EPT_RWX;
        }
        table = t[idx] & EPT_ADDR_MASK;
    }
    uint64_t *t = table_at(e, table);
    unsigned idx = (unsigned)(gpa >> level_shift(level)) & (EPT_ENTRIES - 1);
    t[idx] = (hpa & EPT_ADDR_MASK) | perm | ((uint64_t)EPT_MT_WB << EPT_MT_SHIFT) |
             (level > 1 ? EPT_LARGE : 0);
    return 0;
}

static int map_region(struct ept *e, const struct mem_region *r)
{
    uint64_t perm = r->kind == MEM_RAM ? EPT_RWX : (EPT_R | EPT_X);
    uint64_t done = 0;
    while (done < r->size) {
        uint64_t gpa = r->gpa + done, hpa = r->offset + done, left = r->size - done;
        int level = 1;
        if (((gpa | hpa) & (SIZE_1G - 1)) == 0 && left >= SIZE_1G)
            level = 3;
        else if (((gpa | hpa) & (SIZE_2M - 1)) == 0 && left >= SIZE_2M)
            level = 2;
        int err = map_leaf(e, gpa, hpa, level, perm);
        if (err)
            return err;
        done += 1ull << level_shift(level);
    }
    return 0;
}

int ept_build(struct ept *e, const struct memmap *m)
{
    memset(e, 0, sizeof(*e));
    uint64_t pml4;
    int err = alloc_table(e, &pml4);
    if (err)
        return err;
    /* EPTP (SDM Vol. 3, 25.6.11): memory type WB, page-walk length 4 - 1. */
    e->eptp = pml4 | EPT_MT_WB | (3ull << 3);
    for (int i = 0; i < m->nregions && !err; i++)
        if (m->region[i].kind != MEM_MMIO)
            err = map_region(e, &m->region[i]);
    if (err)
        ept_destroy(e);
    return err;
}

void ept_destroy(struct ept *e)
{
    for (size_t i = 0; i < e->npages; i++)
        free(e->page[i]);
    free(e->page);
    memset(e, 0, sizeof(*e));
}

int ept_walk(const struct ept *e, uint64_t gpa, struct ept_walk_result *r)
{
    memset(r, 0, sizeof(*r));
    uint64_t table = e->eptp & EPT_ADDR_MASK;
    uint8_t perm = EPT_RWX;
    for (int l = 4; l >= 1; l--) {
        const uint64_t *t = table_at(e, table);
        unsigned idx = (unsigned)(gpa >> level_shift(l)) & (EPT_ENTRIES - 1);
        uint64_t entry = t ? t[idx] : 0;
        int n = r->nlevels++;
        r->level[n].table = table;
        r->level[n].index = idx;
        r->level[n].entry = entry;
        /* An entry with R, W and X all clear is not present (29.3.2). */
        if (!(entry & EPT_RWX)) {
            r->stop_level = l;
            return -1;
        }
        perm &= (uint8_t)(entry & EPT_RWX);
        bool leaf = l == 1 || ((l == 2 || l == 3) && (entry & EPT_LARGE));
        if (leaf) {
            uint64_t size = 1ull << level_shift(l);
            r->present = true;
            r->page_size = size;
            r->perm = perm;
            r->memtype = (uint8_t)((entry & EPT_MT_MASK) >> EPT_MT_SHIFT);
            r->hpa = ((entry & EPT_ADDR_MASK) & ~(size - 1)) | (gpa & (size - 1));
            return 0;
        }
        table = entry & EPT_ADDR_MASK;
    }
    return -1; /* not reached: level 1 is always a leaf */
}

const char *ept_memtype_name(unsigned memtype)
{
    switch (memtype) {
    case 0: return "UC";
    case 1: return "WC";
    case 4: return "WT";
    case 5: return "WP";
    case 6: return "WB";
    }
    return "reserved";
}
