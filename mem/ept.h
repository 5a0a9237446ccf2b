/* The software EPT: guest-physical -> host-physical, a real four-level table
 * in Intel's EPT format (SDM Vol. 3, 29.3.2 "EPT Translation Mechanism";
 * 28.2.2 in older editions), built from the memory map.
 *
 *   bit 0 R, 1 W, 2 X, 5:3 memory type (leaf), 6 ignore PAT (leaf),
 *   7 large page (PDPTE: 1 GiB, PDE: 2 MiB), 8 accessed, 9 dirty,
 *   51:12 physical address of the next table or of the page.
 *
 * RAM is mapped RWX, ROM R-X, MMIO and holes are not present, so a CPU access
 * to MMIO is an EPT violation, as on hardware.  "Host-physical" addresses in
 * glass: [0, backing) are offsets in the memmap's memfd; the table pages
 * themselves live outside guest memory, at EPT_TABLE_HPA + 4096 * n. */
#ifndef GLASS_MEM_EPT_H
#define GLASS_MEM_EPT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct memmap;

#define EPT_R (1ull << 0)
#define EPT_W (1ull << 1)
#define EPT_X (1ull << 2)
#define EPT_RWX (EPT_R | EPT_W | EPT_X)
#define EPT_MT_SHIFT 3
#define EPT_MT_MASK (7ull << EPT_MT_SHIFT)
#define EPT_MT_UC 0
#define EPT_MT_WB 6
#define EPT_IGNORE_PAT (1ull << 6)
#define EPT_LARGE (1ull << 7)
#define EPT_ACCESSED (1ull << 8)
#define EPT_DIRTY (1ull << 9)
#define EPT_ADDR_MASK 0x000ffffffffff000ull

/* Where glass puts its table pages in "host-physical" space. */
#define EPT_TABLE_HPA (1ull << 48)

struct ept {
    uint64_t eptp;      /* PML4 address | WB memory type | walk length - 1 */
    uint64_t **page;    /* table pages; page[n] is at EPT_TABLE_HPA + 4096 n */
    size_t npages, cap;
};

/* The result of a walk, level by level, for the debugger. */
struct ept_walk_result {
    int nlevels;        /* entries read: 1 (PML4E) .. 4 (PTE) */
    struct {
        uint64_t table; /* host-physical address of the table */
        unsigned index; /* entry index in it (0..511) */
        uint64_t entry; /* the entry's value */
    } level[4];         /* [0] = PML4E, [1] PDPTE, [2] PDE, [3] PTE */
    bool present;       /* translated (some of R/W/X set at every level) */
    int stop_level;     /* when !present: 4 = PML4E .. 1 = PTE (SDM naming) */
    uint64_t hpa;       /* host-physical address (memfd offset) of gpa */
    uint64_t page_size; /* 4 KiB, 2 MiB or 1 GiB */
    uint8_t perm;       /* EPT_R | EPT_W | EPT_X, ANDed over the levels */
    uint8_t memtype;    /* leaf bits 5:3 */
};

/* Build the table for the memory map (large pages where a region and its
 * backing are aligned).  e must be zeroed or destroyed.  0 or -ENOMEM. */
int ept_build(struct ept *e, const struct memmap *m);
void ept_destroy(struct ept *e);

/* Walk gpa.  0 when translated (r->hpa, r->perm), -1 when an entry is not
 * present (an EPT violation; r->stop_level says where). */
int ept_walk(const struct ept *e, uint64_t gpa, struct ept_walk_result *r);

/* The table page at a host-physical table address, or NULL (for dumps). */
const uint64_t *ept_table(const struct ept *e, uint64_t table_hpa);

const char *ept_memtype_name(unsigned memtype);

#endif
