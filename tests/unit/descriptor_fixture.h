/* Shared by the CPU unit tests that build descriptor tables by hand in a
 * memmap (test_seg.c, test_exception.c, test_sys.c); the guest RAM
 * accessors also serve the page-table tests (test_mmu.c, test_pagewalk.c). */
#ifndef GLASS_TESTS_DESCRIPTOR_FIXTURE_H
#define GLASS_TESTS_DESCRIPTOR_FIXTURE_H

#include <stdint.h>
#include <string.h>

#include "mem/memmap.h"

/* A code/data or system segment descriptor (SDM Vol. 3, 3.4.5): access is
 * the byte P|DPL|S|type, flags the nibble G|D/B|L|AVL. */
static inline uint64_t seg_desc(uint32_t base, uint32_t limit, uint8_t access, uint8_t flags)
{
    return (limit & 0xffffull) | ((uint64_t)(base & 0xffffff) << 16) | ((uint64_t)access << 40)
        | ((uint64_t)((limit >> 16) & 0xf) << 48) | ((uint64_t)(flags & 0xf) << 52)
        | ((uint64_t)(base >> 24) << 56);
}

/* Little-endian stores and loads of 1..8 bytes of guest RAM. */
static inline void guest_put(struct memmap *m, uint64_t gpa, uint64_t v, int size)
{
    memcpy(memmap_host_ptr(m, gpa, (uint64_t)size), &v, (size_t)size);
}

static inline uint64_t guest_get(struct memmap *m, uint64_t gpa, int size)
{
    uint64_t v = 0;
    memcpy(&v, memmap_host_ptr(m, gpa, (uint64_t)size), (size_t)size);
    return v;
}

#endif
