/* The guest page walker: linear -> guest-physical through the guest's own
 * page tables (SDM Vol. 3, ch. 4), one for the interpreter, the translator
 * and the debugger.
 *
 * Modes (4.1.1): paging off, 32-bit paging (4 KiB and, with CR4.PSE, 4 MiB
 * pages with PSE-36), PAE paging (4 KiB and 2 MiB pages, XD with EFER.NXE)
 * and 4-level paging (4 KiB, 2 MiB and 1 GiB pages).  Checks: presence,
 * reserved bits (4.7 RSVD), U/S, R/W with CR0.WP for supervisor writes, XD
 * (4.6).  Sets Accessed in every entry used and Dirty in the leaf on a write
 * (4.8), atomically, only when the walk succeeds.
 *
 * Simplifications, all documented: MAXPHYADDR is PAGEWALK_MAXPHYADDR; PAE
 * PDPTEs are read at walk time instead of being loaded with CR3 (a reserved
 * bit in one gives #PF(RSVD) here, where hardware gives #GP at the MOV CR3);
 * SMEP, SMAP, protection keys, PCID and 5-level paging are not modelled.
 * Page tables are read from RAM/ROM through the memory map; a table outside
 * RAM reads as all ones (so the walk faults with RSVD). */
#ifndef GLASS_MEM_PAGEWALK_H
#define GLASS_MEM_PAGEWALK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct memmap;

#define PAGEWALK_MAXPHYADDR 40

/* Paging-structure entry bits (SDM Vol. 3, 4.3-4.5). */
#define PTE_P   (1ull << 0)
#define PTE_RW  (1ull << 1)
#define PTE_US  (1ull << 2)
#define PTE_PWT (1ull << 3)
#define PTE_PCD (1ull << 4)
#define PTE_A   (1ull << 5)
#define PTE_D   (1ull << 6)
#define PTE_PS  (1ull << 7)
#define PTE_G   (1ull << 8)
#define PTE_XD  (1ull << 63)

/* The control registers a walk depends on. */
struct pagewalk_regs {
    uint64_t cr0, cr3, cr4, efer;
};

enum pagewalk_mode {
    PW_MODE_NONE,   /* CR0.PG = 0: linear = physical */
    PW_MODE_32,
    PW_MODE_PAE,
    PW_MODE_4LEVEL,
};

/* Flags of a walk: the access kind (same values as ACC_READ/WRITE/EXEC in
 * cpu/mmu.h) and modifiers. */
#define PW_READ  0
#define PW_WRITE 1
#define PW_EXEC  2
#define PW_KIND_MASK 3
#define PW_USER  0x100  /* user-mode access (CPL 3, not implicit supervisor) */
#define PW_NO_AD 0x200  /* do not set Accessed/Dirty: no side effects */

struct pagewalk_result {
    uint64_t gpa;       /* guest-physical address of lin */
    uint64_t page_size; /* 4 KiB, 2 MiB, 4 MiB or 1 GiB (paging off: 4 KiB) */
    uint32_t pfec;      /* when the walk faulted: the #PF error code */
    bool writable;      /* R/W over all levels (what user writes need) */
    bool user;          /* U/S over all levels */
    bool nx;            /* XD in some level (with EFER.NXE) */
    bool global;        /* leaf G with CR4.PGE */
    bool dirty;         /* leaf D is (now) set */
};

struct pagewalk_level {
    const char *name;   /* "PML4E", "PDPTE", "PDE", "PTE" */
    uint64_t table_gpa; /* the table's guest-physical address */
    unsigned index;     /* entry index */
    uint64_t entry_gpa; /* the entry's own address */
    uint64_t entry;     /* its value (4-byte entries zero-extended) */
    uint64_t rsvd;      /* reserved bits found set (0 = none) */
    bool leaf;          /* maps a page */
};

/* Everything a walk saw, for the debugger. */
struct pagewalk_trace {
    enum pagewalk_mode mode;
    int nlevels;
    struct pagewalk_level level[4];
    bool fault;
    char why[160];      /* why it faults, or "ok" */
    struct pagewalk_result result;
};

enum pagewalk_mode pagewalk_mode_of(const struct pagewalk_regs *r);
const char *pagewalk_mode_name(enum pagewalk_mode mode);

/* The fast walk, used on TLB misses: 0 and *res, or -1 with res->pfec.
 * Sets A/D unless PW_NO_AD. */
int pagewalk(struct memmap *m, const struct pagewalk_regs *regs, uint64_t lin,
             unsigned flags, struct pagewalk_result *res);

/* The same walk recording every level and why it faults; never sets A/D. */
int pagewalk_explain(struct memmap *m, const struct pagewalk_regs *regs, uint64_t lin,
                     unsigned flags, struct pagewalk_trace *t);

/* "P RW US A D PS G XD" style list of the set bits of an entry. */
void pagewalk_entry_bits(uint64_t entry, char *buf, size_t len);

#endif
