/* The guest-physical memory map: which guest-physical addresses are RAM, ROM
 * or MMIO, and the one memfd that backs all RAM and ROM.
 *
 * Host-physical addresses in glass: an offset in the memfd is what the
 * software EPT (mem/ept.h) maps a guest-physical address to, so
 * "host pointer = m->ram + offset".  Keeping every byte of guest memory in one
 * memfd lets a snapshot or a migration map or copy it whole.
 *
 * Self-modifying code: a bitmap with one bit per 4 KiB page says "this page
 * holds decoded or translated code".  Every write that touches such a page
 * (a CPU store through cpu/mmu.c, or memmap_write for loaders and DMA) calls
 * m->code_write after the bytes are written.
 *
 * Dirty logging (for live migration): while on, a bitmap with one bit per
 * 4 KiB page of the memfd records every page written since the last sync.
 *
 * Both need writes to leave the TLB's fast path: marking a code page,
 * starting the dirty log and syncing it bump m->write_gen, and every TLB of
 * the map drops its write entries at once (mem/tlb.h). */
#ifndef GLASS_MEM_MEMMAP_H
#define GLASS_MEM_MEMMAP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct tlb;

#define GUEST_PAGE_SHIFT 12
#define GUEST_PAGE_SIZE (1ull << GUEST_PAGE_SHIFT)
#define GUEST_PAGE_MASK (~(GUEST_PAGE_SIZE - 1))

#define MEMMAP_MAX_REGIONS 64
#define MEMMAP_NAME_LEN 32

enum mem_kind {
    MEM_RAM,    /* read, write, execute */
    MEM_ROM,    /* read, execute; guest writes are dropped (loaders may write) */
    MEM_MMIO,   /* every access goes to the device's handlers */
};

/* A device's MMIO handlers: offset is from the start of the region; size is
 * 1, 2, 4 or 8. */
struct mmio_ops {
    uint64_t (*read)(void *opaque, uint64_t offset, int size);
    void (*write)(void *opaque, uint64_t offset, int size, uint64_t val);
};

struct mem_region {
    char name[MEMMAP_NAME_LEN];
    enum mem_kind kind;
    uint64_t gpa;           /* first guest-physical address */
    uint64_t size;          /* bytes */
    uint64_t offset;        /* RAM/ROM: where it lives in the memfd */
    const struct mmio_ops *ops; /* MMIO only */
    void *opaque;           /* MMIO only */
};

struct memmap {
    int fd;                 /* the memfd backing RAM and ROM, or -1 */
    uint8_t *ram;           /* the memfd mapped MAP_SHARED: backing_bytes */
    uint64_t backing_bytes;
    uint64_t backing_used;  /* memfd bytes handed to regions so far */

    struct mem_region region[MEMMAP_MAX_REGIONS]; /* sorted by gpa */
    int nregions;

    /* One bit per 4 KiB page of the memfd (indexed by offset, not GPA):
     * the page holds decoded/translated code. */
    uint64_t *code_bitmap;
    /* Write-protect generation: incremented whenever fast write paths must
     * be dropped (a page became code, dirty logging started or synced).
     * The TLBs of this map (linked by mem/tlb.c) drop theirs right then. */
    uint64_t write_gen;
    struct tlb *tlbs;
    /* Called after any write touching a marked page; NULL for none. */
    void (*code_write)(void *opaque, uint64_t gpa, uint64_t len);
    void *code_opaque;

    /* Dirty log: one bit per 4 KiB page of the memfd, in two buffers used
     * in turn (see memmap_dirty_log_sync); dirty_bitmap is the one writers
     * mark now, NULL when logging is off. */
    uint64_t *dirty_bitmap;
    uint64_t *dirty_buf[2];
};

/* Create the memfd of backing_bytes (rounded up to a page) that all RAM and
 * ROM regions are carved from, and map it.  0 or -errno. */
int memmap_init(struct memmap *m, uint64_t backing_bytes);
void memmap_destroy(struct memmap *m);

/* Add a region.  RAM and ROM must be 4 KiB aligned in gpa and size (the EPT
 * maps 4 KiB pages); MMIO may be any size.  Regions may not overlap.
 * 0, -EINVAL (alignment, zero size), -EEXIST (overlap), -ENOSPC (memfd or
 * region table full). */
int memmap_add_ram(struct memmap *m, const char *name, uint64_t gpa, uint64_t size);
int memmap_add_rom(struct memmap *m, const char *name, uint64_t gpa, uint64_t size);
int memmap_add_mmio(struct memmap *m, const char *name, uint64_t gpa, uint64_t size,
                    const struct mmio_ops *ops, void *opaque);

/* The region containing gpa, or NULL (unmapped: reads return all ones,
 * writes are dropped). */
const struct mem_region *memmap_find(const struct memmap *m, uint64_t gpa);

/* Host pointer to [gpa, gpa+len) when it lies in one RAM or ROM region, else
 * NULL.  Writes through it bypass the code-page hook: loaders only, before the
 * guest runs (or call memmap_note_write after). */
void *memmap_host_ptr(struct memmap *m, uint64_t gpa, uint64_t len);

/* Bulk access for loaders, DMA and the debugger: RAM and ROM directly, MMIO
 * through the region's ops (naturally aligned pieces of 8/4/2/1 bytes).
 * Unmapped bytes read as 0xff and writes to them are dropped; then the
 * result is -EFAULT, else 0.  Writes call the code-page hook. */
int memmap_read(struct memmap *m, uint64_t gpa, void *buf, uint64_t len);
int memmap_write(struct memmap *m, uint64_t gpa, const void *buf, uint64_t len);

/* One MMIO access of size 1/2/4/8 to the region at gpa, through its ops:
 * what machine/ calls to answer an EXIT_EPT_VIOLATION.  0, or -ENOENT when
 * no MMIO region holds gpa (then a read gives all ones). */
int memmap_mmio_access(struct memmap *m, uint64_t gpa, int size, bool write, uint64_t *data);

/* Self-modifying code. */
void memmap_set_code_hook(struct memmap *m,
                          void (*code_write)(void *opaque, uint64_t gpa, uint64_t len),
                          void *opaque);
/* Mark / unmark the 4 KiB page holding gpa (RAM/ROM only; others ignored). */
void memmap_mark_code(struct memmap *m, uint64_t gpa);
void memmap_unmark_code(struct memmap *m, uint64_t gpa);
bool memmap_is_code(const struct memmap *m, uint64_t gpa);

/* The same test by memfd offset (what the TLB fill has in hand). */
static inline bool memmap_offset_is_code(const struct memmap *m, uint64_t offset)
{
    uint64_t page = offset >> GUEST_PAGE_SHIFT;
    if (!m->code_bitmap || offset >= m->backing_bytes)
        return false;
    return (__atomic_load_n(&m->code_bitmap[page / 64], __ATOMIC_RELAXED) >> (page % 64)) & 1;
}

/* Note a write of [gpa, gpa+len) done behind the map's back (the CPU's slow
 * store path, A/D bit updates): log it as dirty and call the code-page hook
 * if it touches a marked page.  memmap_write does this itself. */
void memmap_note_write(struct memmap *m, uint64_t gpa, uint64_t len);

static inline uint64_t memmap_write_gen(const struct memmap *m)
{
    return __atomic_load_n(&m->write_gen, __ATOMIC_ACQUIRE);
}

/* Dirty logging.  start: 0 or -ENOMEM.  sync hands over the pages written
 * since the previous sync: it stores them in bitmap (memmap_dirty_words()
 * words, bit n = memfd page n, i.e. bytes [n*4096, n*4096+4096) of the
 * memfd) and returns how many, or -EINVAL when logging is off.
 * How it stays correct with vCPUs running: sync first switches writers to
 * the other buffer, then bumps write_gen (so every later write takes the slow
 * path once and marks the new buffer), then drains the old one.  A store
 * racing with the switch may show up one round late, never lost; the last
 * round of a migration stops the vCPUs and calls sync twice (ORing both). */
int memmap_dirty_log_start(struct memmap *m);
void memmap_dirty_log_stop(struct memmap *m);
int64_t memmap_dirty_log_sync(struct memmap *m, uint64_t *bitmap);
uint64_t memmap_dirty_words(const struct memmap *m);
static inline bool memmap_dirty_logging(const struct memmap *m)
{
    return __atomic_load_n(&m->dirty_bitmap, __ATOMIC_RELAXED) != NULL;
}
/* Record a write of len bytes at memfd offset (no-op when logging is off). */
void memmap_mark_dirty(struct memmap *m, uint64_t offset, uint64_t len);

const char *mem_kind_name(enum mem_kind k);

#endif
