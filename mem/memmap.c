/* The guest-physical memory map and its memfd backing (see memmap.h). */
#include "mem/memmap.h"
#include "mem/tlb.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#define LARGE_PAGE_SIZE (2ull << 20)

static uint64_t round_up(uint64_t v, uint64_t align)
{
    return (v + align - 1) & ~(align - 1);
}

int memmap_init(struct memmap *m, uint64_t backing_bytes)
{
    memset(m, 0, sizeof(*m));
    m->fd = -1;
    backing_bytes = round_up(backing_bytes, GUEST_PAGE_SIZE);
    if (backing_bytes == 0)
        return 0;

    int fd = memfd_create("glass-guest-ram", MFD_CLOEXEC);
    if (fd < 0)
        return -errno;
    if (ftruncate(fd, (off_t)backing_bytes) < 0) {
        int err = -errno;
        close(fd);
        return err;
    }
    void *p = mmap(NULL, backing_bytes, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
    if (p == MAP_FAILED) {
        int err = -errno;
        close(fd);
        return err;
    }
    uint64_t pages = backing_bytes >> GUEST_PAGE_SHIFT;
    m->code_bitmap = calloc((pages + 63) / 64, sizeof(uint64_t));
    if (!m->code_bitmap) {
        munmap(p, backing_bytes);
        close(fd);
        return -ENOMEM;
    }
    m->fd = fd;
    m->ram = p;
    m->backing_bytes = backing_bytes;
    return 0;
}

void memmap_destroy(struct memmap *m)
{
    if (m->ram)
        munmap(m->ram, m->backing_bytes);
    if (m->fd >= 0)
        close(m->fd);
    free(m->code_bitmap);
    free(m->dirty_buf[0]);
    free(m->dirty_buf[1]);
    memset(m, 0, sizeof(*m));
    m->fd = -1;
}

static bool overlaps(uint64_t a, uint64_t alen, uint64_t b, uint64_t blen)
{
    return a < b + blen && b < a + alen;
}

/* Insert r keeping the table sorted by gpa; checks overlap and space. */
static int insert_region(struct memmap *m, const struct mem_region *r)
{
    if (r->size == 0 || r->gpa + r->size < r->gpa)
        return -EINVAL;
    if (m->nregions == MEMMAP_MAX_REGIONS)
        return -ENOSPC;
    int at = m->nregions;
    for (int i = 0; i < m->nregions; i++) {
        if (overlaps(r->gpa, r->size, m->region[i].gpa, m->region[i].size))
            return -EEXIST;
        if (at == m->nregions && m->region[i].gpa > r->gpa)
            at = i;
    }
    memmove(&m->region[at + 1], &m->region[at], (size_t)(m->nregions - at) * sizeof(*r));
    m->region[at] = *r;
    m->nregions++;
    return 0;
}

/* Where in the memfd a RAM/ROM region of `size` bytes at gpa goes.  When it
 * fits, the offset is congruent to gpa modulo 2 MiB so the EPT can map the
 * region with large pages; otherwise it is simply the next free page. */
static int place_in_backing(struct memmap *m, uint64_t gpa, uint64_t size, uint64_t *offset)
{
    uint64_t off = m->backing_used;
    if (size >= LARGE_PAGE_SIZE) {
        uint64_t want = gpa & (LARGE_PAGE_SIZE - 1);
        uint64_t aligned = (off & ~(LARGE_PAGE_SIZE - 1)) + want;
        if (aligned < off)
            aligned += LARGE_PAGE_SIZE;
        if (aligned + size <= m->backing_bytes)
            off = aligned;
    }
    if (off + size > m->backing_bytes || off + size < off)
        return -ENOSPC;
    *offset = off;
    m->backing_used = off + size;
    return 0;
}

static int add_backed(struct memmap *m, enum mem_kind kind, const char *name,
                      uint64_t gpa, uint64_t size)
{
    if ((gpa | size) & (GUEST_PAGE_SIZE - 1))
        return -EINVAL;
    struct mem_region r = { .kind = kind, .gpa = gpa, .size = size };
    snprintf(r.name, sizeof(r.name), "%s", name ? name : "");
    uint64_t saved_used = m->backing_used;
    int err = place_in_backing(m, gpa, size, &r.offset);
    if (err)
        return err;
    err = insert_region(m, &r);
    if (err)
        m->backing_used = saved_used;
    return err;
}

int memmap_add_ram(struct memmap *m, const char *name, uint64_t gpa, uint64_t size)
{
    return add_backed(m, MEM_RAM, name, gpa, size);
}

int memmap_add_rom(struct memmap *m, const char *name, uint64_t gpa, uint64_t size)
{
    return add_backed(m, MEM_ROM, name, gpa, size);
}

int memmap_add_mmio(struct memmap *m, const char *name, uint64_t gpa, uint64_t size,
                    const struct mmio_ops *ops, void *opaque)
{
    if (!ops)
        return -EINVAL;
    struct mem_region r = { .kind = MEM_MMIO, .gpa = gpa, .size = size,
                            .ops = ops, .opaque = opaque };
    snprintf(r.name, sizeof(r.name), "%s", name ? name : "");
    return insert_region(m, &r);
}

const struct mem_region *memmap_find(const struct memmap *m, uint64_t gpa)
{
    /* Binary search: the table is sorted and has no overlaps. */
    int lo = 0, hi = m->nregions;
    while (lo < hi) {
        int mid = (lo + hi) / 2;
        const struct mem_region *r = &m->region[mid];
        if (gpa < r->gpa)
            hi = mid;
        else if (gpa - r->gpa >= r->size)
            lo = mid + 1;
        else
            return r;
    }
    return NULL;
}

/* First region starting above gpa (for the length of an unmapped hole). */
static const struct mem_region *next_region(const struct memmap *m, uint64_t gpa)
{
    for (int i = 0; i < m->nregions; i++)
        if (m->region[i].gpa > gpa)
            return &m->region[i];
    return NULL;
}

void *memmap_host_ptr(struct memmap *m, uint64_t gpa, uint64_t len)
{
    const struct mem_region *r = memmap_find(m, gpa);
    if (!r || r->kind == MEM_MMIO)
        return NULL;
    if (len > r->size - (gpa - r->gpa))
        return NULL;
    return m->ram + r->offset + (gpa - r->gpa);
}

/* Bytes from gpa up to the end of its region, or of the hole it is in. */
static uint64_t chunk_len(const struct memmap *m, const struct mem_region *r,
                          uint64_t gpa, uint64_t len)
{
    uint64_t avail;
    if (r) {
        avail = r->size - (gpa - r->gpa);
    } else {
        const struct mem_region *n = next_region(m, gpa);
        avail = n ? n->gpa - gpa : ~0ull - gpa + 1;
        if (avail == 0) /* the whole 2^64 space: never in practice */
            avail = len;
    }
    return len < avail ? len : avail;
}

/* Largest naturally aligned MMIO access (8/4/2/1) at gpa within len. */
static int mmio_piece(uint64_t gpa, uint64_t len)
{
    for (int s = 8; s > 1; s /= 2)
        if (len >= (uint64_t)s && (gpa & (uint64_t)(s - 1)) == 0)
            return s;
    return 1;
}

static void mmio_bytes(const struct mem_region *r, uint64_t gpa, uint8_t *buf,
                       uint64_t len, bool write)
{
    while (len) {
        int s = mmio_piece(gpa, len);
        uint64_t v = 0;
        if (write) {
            memcpy(&v, buf, (size_t)s);
            if (r->ops->write)
                r->ops->write(r->opaque, gpa - r->gpa, s, v);
        } else {
            v = r->ops->read ? r->ops->read(r->opaque, gpa - r->gpa, s) : ~0ull;
            memcpy(buf, &v, (size_t)s);
        }
        gpa += (uint64_t)s;
        buf += s;
        len -= (uint64_t)s;
    }
}

int memmap_read(struct memmap *m, uint64_t gpa, void *buf, uint64_t len)
{
    uint8_t *out = buf;
    int ret = 0;
    while (len) {
        const struct mem_region *r = memmap_find(m, gpa);
        uint64_t n = chunk_len(m, r, gpa, len);
        if (!r) {
            memset(out, 0xff, n);
            ret = -EFAULT;
        } else if (r->kind == MEM_MMIO) {
            mmio_bytes(r, gpa, out, n, false);
        } else {
            memcpy(out, m->ram + r->offset + (gpa - r->gpa), n);
        }
        out += n;
        gpa += n;
        len -= n;
    }
    return ret;
}

int memmap_write(struct memmap *m, uint64_t gpa, const void *buf, uint64_t len)
{
    const uint8_t *in = buf;
    int ret = 0;
    while (len) {
        const struct mem_region *r = memmap_find(m, gpa);
        uint64_t n = chunk_len(m, r, gpa, len);
        if (!r) {
            ret = -EFAULT;
        } else if (r->kind == MEM_MMIO) {
            mmio_bytes(r, gpa, (uint8_t *)in, n, true);
        } else {
            memcpy(m->ram + r->offset + (gpa - r->gpa), in, n);
            memmap_note_write(m, gpa, n);
        }
        in += n;
        gpa += n;
        len -= n;
    }
    return ret;
}

int memmap_mmio_access(struct memmap *m, uint64_t gpa, int size, bool write, uint64_t *data)
{
    const struct mem_region *r = memmap_find(m, gpa);
    if (!r || r->kind != MEM_MMIO) {
        if (!write)
            *data = ~0ull;
        return -ENOENT;
    }
    if (write) {
        if (r->ops->write)
            r->ops->write(r->opaque, gpa - r->gpa, size, *data);
    } else {
        *data = r->ops->read ? r->ops->read(r->opaque, gpa - r->gpa, size) : ~0ull;
    }
    return 0;
}

void memmap_set_code_hook(struct memmap *m,
                          void (*code_write)(void *opaque, uint64_t gpa, uint64_t len),
                          void *opaque)
{
    m->code_opaque = opaque;
    m->code_write = code_write;
}

/* Fast write paths must go: a new generation, and every TLB of the map
 * drops its write entries now (so translated code need not compare). */
static void bump_write_gen(struct memmap *m)
{
    __atomic_fetch_add(&m->write_gen, 1, __ATOMIC_SEQ_CST);
    for (struct tlb *t = m->tlbs; t; t = t->next)
        tlb_sync_write_gen(t);
}

/* memfd offset of the page holding gpa, or -1 when it is not RAM/ROM. */
static int64_t backed_offset(const struct memmap *m, uint64_t gpa)
{
    const struct mem_region *r = memmap_find(m, gpa);
    if (!r || r->kind == MEM_MMIO)
        return -1;
    return (int64_t)(r->offset + (gpa - r->gpa));
}

void memmap_mark_code(struct memmap *m, uint64_t gpa)
{
    int64_t off = backed_offset(m, gpa);
    if (off < 0)
        return;
    uint64_t page = (uint64_t)off >> GUEST_PAGE_SHIFT;
    uint64_t bit = 1ull << (page % 64);
    uint64_t old = __atomic_fetch_or(&m->code_bitmap[page / 64], bit, __ATOMIC_ACQ_REL);
    /* A newly marked page: every TLB must drop its fast write paths. */
    if (!(old & bit))
        bump_write_gen(m);
}

void memmap_unmark_code(struct memmap *m, uint64_t gpa)
{
    int64_t off = backed_offset(m, gpa);
    if (off < 0)
        return;
    uint64_t page = (uint64_t)off >> GUEST_PAGE_SHIFT;
    __atomic_fetch_and(&m->code_bitmap[page / 64], ~(1ull << (page % 64)), __ATOMIC_ACQ_REL);
}

bool memmap_is_code(const struct memmap *m, uint64_t gpa)
{
    int64_t off = backed_offset(m, gpa);
    return off >= 0 && memmap_offset_is_code(m, (uint64_t)off);
}

void memmap_note_write(struct memmap *m, uint64_t gpa, uint64_t len)
{
    if (len == 0)
        return;
    bool logging = memmap_dirty_logging(m);
    if (!m->code_write && !logging)
        return;
    bool code = false;
    uint64_t first = gpa & GUEST_PAGE_MASK;
    uint64_t last = (gpa + len - 1) & GUEST_PAGE_MASK;
    for (uint64_t page = first;; page += GUEST_PAGE_SIZE) {
        int64_t off = backed_offset(m, page);
        if (off >= 0) {
            if (logging)
                memmap_mark_dirty(m, (uint64_t)off, 1);
            code = code || memmap_offset_is_code(m, (uint64_t)off);
        }
        if (page == last)
            break;
    }
    if (code && m->code_write)
        m->code_write(m->code_opaque, gpa, len);
}

uint64_t memmap_dirty_words(const struct memmap *m)
{
    return ((m->backing_bytes >> GUEST_PAGE_SHIFT) + 63) / 64;
}

int memmap_dirty_log_start(struct memmap *m)
{
    if (memmap_dirty_logging(m))
        return 0;
    uint64_t words = memmap_dirty_words(m) ? memmap_dirty_words(m) : 1;
    for (int i = 0; i < 2; i++) {
        free(m->dirty_buf[i]);
        m->dirty_buf[i] = calloc(words, sizeof(uint64_t));
        if (!m->dirty_buf[i])
            return -ENOMEM;
    }
    __atomic_store_n(&m->dirty_bitmap, m->dirty_buf[0], __ATOMIC_RELEASE);
    /* From now on every write must pass the slow path once per page. */
    bump_write_gen(m);
    return 0;
}

/* Stop logging.  The buffers stay until memmap_destroy (or the next start):
 * a vCPU may still be marking one. */
void memmap_dirty_log_stop(struct memmap *m)
{
    __atomic_store_n(&m->dirty_bitmap, NULL, __ATOMIC_RELEASE);
}

int64_t memmap_dirty_log_sync(struct memmap *m, uint64_t *bitmap)
{
    uint64_t *old = __atomic_load_n(&m->dirty_bitmap, __ATOMIC_ACQUIRE);
    if (!old)
        return -EINVAL;
    uint64_t *next = old == m->dirty_buf[0] ? m->dirty_buf[1] : m->dirty_buf[0];
    __atomic_store_n(&m->dirty_bitmap, next, __ATOMIC_RELEASE);
    bump_write_gen(m);
    int64_t n = 0;
    for (uint64_t i = 0; i < memmap_dirty_words(m); i++) {
        bitmap[i] = __atomic_exchange_n(&old[i], 0, __ATOMIC_ACQ_REL);
        n += __builtin_popcountll(bitmap[i]);
    }
    return n;
}

void memmap_mark_dirty(struct memmap *m, uint64_t offset, uint64_t len)
{
    uint64_t *b = __atomic_load_n(&m->dirty_bitmap, __ATOMIC_ACQUIRE);
    if (!b || len == 0 || offset >= m->backing_bytes)
        return;
    uint64_t end = offset + len - 1 < m->backing_bytes ? offset + len - 1 : m->backing_bytes - 1;
    for (uint64_t page = offset >> GUEST_PAGE_SHIFT; page <= end >> GUEST_PAGE_SHIFT; page++)
        __atomic_fetch_or(&b[page / 64], 1ull << (page % 64), __ATOMIC_RELAXED);
}

const char *mem_kind_name(enum mem_kind k)
{
    switch (k) {
    case MEM_RAM: return "ram";
    case MEM_ROM: return "rom";
    case MEM_MMIO: return "mmio";
    }
    return "?";
}
