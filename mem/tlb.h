/* A vCPU's software TLB: linear page -> host pointer for plain RAM (and ROM
 * for reads), one direct-mapped table for supervisor-mode accesses and one
 * for user-mode accesses, with a separate tag for read, write and execute.
 *
 * A tag holds the linear page when that kind of access is allowed through the
 * fast path, or TLB_INVALID.  Entries are only ever made after a successful
 * page walk that set the Accessed bit (and, for a write tag, Dirty), so a hit
 * needs no walk.  There are never write tags for ROM, MMIO or a page marked
 * as holding code (memmap.h), so those writes always take cpu/mmu.c's slow
 * path.  Marking a code page and dirty logging bump memmap.write_gen, and
 * every TLB of the map drops its write entries right then (the C lookup
 * below compares the generation as well; translated code relies on the
 * drop alone, one check less per store).  While
 * dirty logging is on, a write entry is only made by a write (which logs its
 * page dirty), never by a read.
 *
 * Who flushes: MOV CR3, changes of CR0.PG/WP, CR4.PAE/PSE/PGE and EFER.NXE/LMA
 * (x86_tlb_flush; a PGE change needs all = 1), INVLPG (x86_tlb_flush_page).
 * CPL changes need nothing: user and supervisor have separate tables. */
#ifndef GLASS_MEM_TLB_H
#define GLASS_MEM_TLB_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "mem/memmap.h"

#define TLB_BITS 8
#define TLB_SIZE (1u << TLB_BITS)
#define TLB_INVALID 1ull        /* never equal to a page-aligned address */

/* Kinds index tag[]: the same numbers as ACC_READ/ACC_WRITE/ACC_EXEC. */
#define TLB_READ 0
#define TLB_WRITE 1
#define TLB_EXEC 2

struct tlb_entry {
    uint64_t tag[3];    /* linear page, or TLB_INVALID */
    uintptr_t addend;   /* host pointer = linear address + addend */
    uint64_t gpa;       /* guest-physical page */
    uint64_t page_mask; /* ~(size - 1) of the guest page (4K/2M/4M/1G) */
    bool global;        /* survives tlb_flush_nonglobal */
} __attribute__((aligned(64)));  /* a power of two: the translator's inline
                                    lookup scales the index by a shift */

struct tlb {
    struct tlb_entry entry[2][TLB_SIZE]; /* [0] supervisor, [1] user */
    struct memmap *mem;
    struct tlb *next;   /* the next TLB of the same memmap */
    uint64_t write_gen; /* memmap write_gen the write tags were made under */
    bool has_large;     /* some entry came from a page larger than 4 KiB */
    /* The translator keeps one-entry copies of TLB entries at its memory
     * instructions ("sites", translate/backend_x64.c).  Everything that may
     * take an entry away (the flushes, the write-tag drop) moves site_gen
     * on; a translated block compares it on entry and forgets its copies. */
    uint64_t site_gen;
    /* Statistics for the debugger (slow path only). */
    uint64_t fills, flushes, page_flushes;
};

/* The fast path: a host pointer for `size` bytes at lin if they lie in one
 * page and the TLB allows this kind of access in this mode, else NULL. */
static inline void *tlb_lookup(struct tlb *t, uint64_t lin, unsigned size, int kind, int user)
{
    if ((lin & ~GUEST_PAGE_MASK) + size > GUEST_PAGE_SIZE)
        return NULL;
    const struct tlb_entry *e = &t->entry[user][(lin >> GUEST_PAGE_SHIFT) & (TLB_SIZE - 1)];
    if (e->tag[kind] != (lin & GUEST_PAGE_MASK))
        return NULL;
    if (kind == TLB_WRITE && t->write_gen != memmap_write_gen(t->mem))
        return NULL;
    return (void *)(uintptr_t)(lin + e->addend);
}

struct tlb *tlb_create(struct memmap *m);
void tlb_destroy(struct tlb *t);

/* Record that the 4 KiB linear page of lin maps host_page (the host pointer
 * of its first byte) at guest-physical gpa_page, for the kinds in kinds
 * (bit 1 << TLB_READ etc.).  page_size is the guest mapping's size. */
void tlb_insert(struct tlb *t, int user, uint64_t lin, uint8_t *host_page, uint64_t gpa_page,
                uint64_t page_size, bool global, unsigned kinds);

void tlb_flush_all(struct tlb *t);
void tlb_flush_nonglobal(struct tlb *t);
/* INVLPG: every entry whose guest page (of any size) holds lin, global or not. */
void tlb_flush_page(struct tlb *t, uint64_t lin);
/* Drop every write tag (the write-protect generation changed). */
void tlb_drop_writes(struct tlb *t);

/* Bring the write tags up to the current write-protect generation: call
 * before a fill looks at the code bitmap and the dirty log. */
void tlb_sync_write_gen(struct tlb *t);

#endif
