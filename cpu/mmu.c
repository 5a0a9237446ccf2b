/* Linear memory accesses as an instruction sees them (cpu/mmu.h): the TLB
 * fast path, and on a miss the guest page walk (mem/pagewalk.h), the software
 * EPT (mem/ept.h), then RAM, ROM, an MMIO exit, or nothing.
 *
 * Uses from struct x86_cpu: cr0, cr3, cr4, efer (paging mode), cpl (user vs
 * supervisor), rip (for the MMIO exit), cr2 (set on #PF), and from env: mem
 * (required), ept (optional: without it the memory map is consulted
 * directly), tlb (optional: without it every access walks), exit and opaque
 * (MMIO; without exit the region's mmio_ops are called directly).
 *
 * Not modelled: the A20 gate (addresses are not masked), SMEP/SMAP, PCID. */
#include "cpu/mmu.h"

#include <string.h>

#include "cpu/exception.h"
#include "machine/vm_exit.h"
#include "mem/ept.h"
#include "mem/memmap.h"
#include "mem/pagewalk.h"
#include "mem/tlb.h"

#define PAGE_OFFSET(lin) ((lin) & ~GUEST_PAGE_MASK)

enum target_kind { T_RAM, T_ROM, T_MMIO, T_NONE };

/* Where one linear page of an access ends up. */
struct xlate {
    uint64_t lin;       /* the linear address translated */
    uint64_t gpa;       /* its guest-physical address */
    enum target_kind kind;
    uint8_t *host;      /* RAM/ROM: host pointer of lin */
    bool code;          /* RAM page that holds code: writes call the hook */
};

static bool user_access(const struct x86_cpu *cpu, int acc)
{
    return cpu->cpl == 3 && !(acc & ACC_IMPLICIT_SV);
}

/* Linear addresses wrap at 4 GiB outside long mode. */
static uint64_t lin_add(const struct x86_cpu *cpu, uint64_t lin, uint64_t n)
{
    uint64_t r = lin + n;
    return x86_long_mode(cpu) ? r : r & 0xffffffffull;
}

static struct pagewalk_regs walk_regs(const struct x86_cpu *cpu)
{
    return (struct pagewalk_regs){ .cr0 = cpu->cr0, .cr3 = cpu->cr3,
                                   .cr4 = cpu->cr4, .efer = cpu->efer };
}

/* GPA -> host through the EPT (or the map, when there is no EPT). */
static void resolve_gpa(struct x86_cpu *cpu, uint64_t gpa, struct xlate *x)
{
    struct memmap *m = cpu->env.mem;
    x->gpa = gpa;
    x->host = NULL;
    x->code = false;
    uint64_t hpa = 0;
    bool mapped = false, writable = false;
    if (cpu->env.ept) {
        struct ept_walk_result r;
        if (ept_walk(cpu->env.ept, gpa, &r) == 0 && r.hpa < m->backing_bytes) {
            mapped = true;
            hpa = r.hpa;
            writable = (r.perm & EPT_W) != 0;
        }
    } else {
        const struct mem_region *reg = memmap_find(m, gpa);
        if (reg && reg->kind != MEM_MMIO) {
            mapped = true;
            hpa = reg->offset + (gpa - reg->gpa);
            writable = reg->kind == MEM_RAM;
        }
    }
    if (mapped) {
        x->kind = writable ? T_RAM : T_ROM;
        x->host = m->ram + hpa;
        x->code = writable && memmap_offset_is_code(m, hpa);
        return;
    }
    /* An EPT violation: MMIO if a device claims the address, else a hole. */
    const struct mem_region *reg = memmap_find(m, gpa);
    x->kind = reg && reg->kind == MEM_MMIO ? T_MMIO : T_NONE;
}

/* Translate lin for acc, filling the TLB; 0, or -1 with *pfec. */
static int translate_page(struct x86_cpu *cpu, uint64_t lin, int acc, struct xlate *x,
                          uint32_t *pfec)
{
    int kind = acc & ACC_KIND_MASK;
    int user = user_access(cpu, acc);
    struct pagewalk_regs regs = walk_regs(cpu);
    struct pagewalk_result w;
    unsigned flags = (unsigned)kind | (user ? PW_USER : 0);
    struct tlb *t = cpu->env.tlb;
    /* Take the write-protect generation before looking at the code bitmap
     * and the dirty log, so a change meanwhile fails the fast path's compare. */
    if (t)
        tlb_sync_write_gen(t);
    if (pagewalk(cpu->env.mem, &regs, lin, flags, &w) < 0) {
        *pfec = w.pfec;
        return -1;
    }
    x->lin = lin;
    resolve_gpa(cpu, w.gpa, x);
    struct memmap *m = cpu->env.mem;
    bool logging = memmap_dirty_logging(m);
    /* Every write reaches here at least once per page per dirty-log round
     * (write entries are dropped when the round starts). */
    if (logging && kind == ACC_WRITE && x->kind == T_RAM)
        memmap_mark_dirty(m, (uint64_t)(x->host - m->ram) & GUEST_PAGE_MASK, 1);
    if (!t || (x->kind != T_RAM && x->kind != T_ROM))
        return 0;

    /* What this mode may do on this page, from the walk (SDM Vol. 3, 4.6). */
    bool mode_ok = !user || w.user;
    bool wp = (cpu->cr0 & CR0_WP) != 0;
    unsigned kinds = 0;
    if (mode_ok)
        kinds |= 1u << TLB_READ;
    if (mode_ok && !w.nx)
        kinds |= 1u << TLB_EXEC;
    if (mode_ok && w.dirty && (w.writable || (!user && !wp)) && x->kind == T_RAM && !x->code &&
        (!logging || kind == ACC_WRITE))
        kinds |= 1u << TLB_WRITE;
    tlb_insert(t, user, lin, x->host - PAGE_OFFSET(lin), w.gpa & GUEST_PAGE_MASK,
               w.page_size, w.global, kinds);
    return 0;
}

static _Noreturn void page_fault(struct x86_cpu *cpu, uint64_t lin, uint32_t pfec)
{
    cpu->cr2 = lin;
    x86_raise(cpu, X86_PF, pfec);
}

static void translate_or_fault(struct x86_cpu *cpu, uint64_t lin, int acc, struct xlate *x)
{
    uint32_t pfec;
    if (translate_page(cpu, lin, acc, x, &pfec) < 0)
        page_fault(cpu, lin, pfec);
}

/* One MMIO access through the machine (an EPT violation exit). */
static uint64_t mmio_access(struct x86_cpu *cpu, uint64_t gpa, int size, bool write, uint64_t val)
{
    if (!cpu->env.exit) {
        memmap_mmio_access(cpu->env.mem, gpa, size, write, &val);
        return val;
    }
    struct vm_exit e;
    memset(&e, 0, sizeof(e));
    e.reason = EXIT_EPT_VIOLATION;
    e.rip = cpu->rip;
    e.mmio.gpa = gpa;
    e.mmio.size = (uint8_t)size;
    e.mmio.write = write;
    e.mmio.data = write ? val : ~0ull;
    if (cpu->env.exit(cpu->env.opaque, &e) < 0)
        x86_request_stop(cpu);
    return e.mmio.data;
}

static bool mmio_size_ok(int len)
{
    return len == 1 || len == 2 || len == 4 || len == 8;
}

/* Read len bytes (within one page) at a translated address. */
static void phys_read(struct x86_cpu *cpu, const struct xlate *x, uint8_t *buf, int len)
{
    switch (x->kind) {
    case T_RAM:
    case T_ROM:
        memcpy(buf, x->host, (size_t)len);
        return;
    case T_MMIO:
        if (mmio_size_ok(len)) {
            uint64_t v = mmio_access(cpu, x->gpa, len, false, 0);
            memcpy(buf, &v, (size_t)len);
        } else {
            for (int i = 0; i < len; i++)
                buf[i] = (uint8_t)mmio_access(cpu, x->gpa + (uint64_t)i, 1, false, 0);
        }
        return;
    case T_NONE:
        memset(buf, 0xff, (size_t)len); /* an open bus reads as all ones */
        return;
    }
}

static void phys_write(struct x86_cpu *cpu, const struct xlate *x, const uint8_t *buf, int len)
{
    switch (x->kind) {
    case T_RAM:
        memcpy(x->host, buf, (size_t)len);
        if (x->code)
            memmap_note_write(cpu->env.mem, x->gpa, (uint64_t)len);
        return;
    case T_MMIO:
        if (mmio_size_ok(len)) {
            uint64_t v = 0;
            memcpy(&v, buf, (size_t)len);
            mmio_access(cpu, x->gpa, len, true, v);
        } else {
            for (int i = 0; i < len; i++)
                mmio_access(cpu, x->gpa + (uint64_t)i, 1, true, buf[i]);
        }
        return;
    case T_ROM:   /* ROM ignores writes */
    case T_NONE:  /* nothing there: the write is lost */
        return;
    }
}

/* The slow path of any access of len bytes: translate every page it touches
 * first (faulting before anything is written), then do it page by page.
 * Buffers longer than ACCESS_MAX_PAGES pages are done in such chunks. */
#define ACCESS_MAX_PAGES 16

static void access_chunk(struct x86_cpu *cpu, uint64_t lin, uint8_t *buf, int len, int acc,
                         bool write)
{
    struct xlate x[ACCESS_MAX_PAGES];
    int n = 0;
    int piece[ACCESS_MAX_PAGES];
    uint64_t a = lin;
    for (int done = 0; done < len; n++) {
        int in_page = (int)(GUEST_PAGE_SIZE - PAGE_OFFSET(a));
        piece[n] = len - done < in_page ? len - done : in_page;
        translate_or_fault(cpu, a, acc, &x[n]);
        done += piece[n];
        a = lin_add(cpu, a, (uint64_t)piece[n]);
    }
    for (int i = 0; i < n; i++) {
        if (write)
            phys_write(cpu, &x[i], buf, piece[i]);
        else
            phys_read(cpu, &x[i], buf, piece[i]);
        buf += piece[i];
    }
}

static void access_buf(struct x86_cpu *cpu, uint64_t lin, uint8_t *buf, int len, int acc,
                       bool write)
{
    while (len > 0) {
        /* The most that fits in ACCESS_MAX_PAGES pages from here. */
        int max = (int)(ACCESS_MAX_PAGES * GUEST_PAGE_SIZE - PAGE_OFFSET(lin));
        int n = len < max ? len : max;
        access_chunk(cpu, lin, buf, n, acc, write);
        lin = lin_add(cpu, lin, (uint64_t)n);
        buf += n;
        len -= n;
    }
}

/* The TLB fast path; inlined into every access function. */
static inline __attribute__((always_inline)) void *fast_ptr(struct x86_cpu *cpu, uint64_t lin,
                                                            int size, int acc)
{
    struct tlb *t = cpu->env.tlb;
    if (!t)
        return NULL;
    return tlb_lookup(t, lin, (unsigned)size, acc & ACC_KIND_MASK, user_access(cpu, acc));
}

/* Little-endian loads and stores of 1/2/4/8 bytes with constant sizes, so
 * the compiler emits one move instead of a memcpy call. */
static inline uint64_t load_le(const void *p, int size)
{
    uint8_t b;
    uint16_t w;
    uint32_t d;
    uint64_t q;
    switch (size) {
    case 1: memcpy(&b, p, 1); return b;
    case 2: memcpy(&w, p, 2); return w;
    case 4: memcpy(&d, p, 4); return d;
    default: memcpy(&q, p, 8); return q;
    }
}

static inline void store_le(void *p, int size, uint64_t v)
{
    switch (size) {
    case 1: { uint8_t b = (uint8_t)v; memcpy(p, &b, 1); return; }
    case 2: { uint16_t w = (uint16_t)v; memcpy(p, &w, 2); return; }
    case 4: { uint32_t d = (uint32_t)v; memcpy(p, &d, 4); return; }
    default: memcpy(p, &v, 8); return;
    }
}

static bool plain_size(int size)
{
    return size == 1 || size == 2 || size == 4 || size == 8;
}

uint64_t x86_lin_read(struct x86_cpu *cpu, uint64_t lin, int size, int acc)
{
    uint64_t v = 0;
    void *p = fast_ptr(cpu, lin, size, acc);
    if (p && plain_size(size))
        return load_le(p, size);
    if (p) {
        memcpy(&v, p, (size_t)size);
        return v;
    }
    access_buf(cpu, lin, (uint8_t *)&v, size, acc, false);
    return v;
}

void x86_lin_write(struct x86_cpu *cpu, uint64_t lin, int size, uint64_t val, int acc)
{
    acc = (acc & ~ACC_KIND_MASK) | ACC_WRITE;
    void *p = fast_ptr(cpu, lin, size, acc);
    if (p && plain_size(size)) {
        store_le(p, size, val);
        return;
    }
    if (p) {
        memcpy(p, &val, (size_t)size);
        return;
    }
    access_buf(cpu, lin, (uint8_t *)&val, size, acc, true);
}

void x86_lin_read_buf(struct x86_cpu *cpu, uint64_t lin, void *buf, int len, int acc)
{
    void *p = fast_ptr(cpu, lin, len, acc);
    if (p) {
        memcpy(buf, p, (size_t)len);
        return;
    }
    access_buf(cpu, lin, buf, len, acc, false);
}

void x86_lin_write_buf(struct x86_cpu *cpu, uint64_t lin, const void *buf, int len, int acc)
{
    acc = (acc & ~ACC_KIND_MASK) | ACC_WRITE;
    void *p = fast_ptr(cpu, lin, len, acc);
    if (p) {
        memcpy(p, buf, (size_t)len);
        return;
    }
    access_buf(cpu, lin, (uint8_t *)buf, len, acc, true);
}

void *x86_lin_ptr(struct x86_cpu *cpu, uint64_t lin, int size, int acc)
{
    void *p = fast_ptr(cpu, lin, size, acc);
    if (p)
        return p;
    if (PAGE_OFFSET(lin) + (uint64_t)size > GUEST_PAGE_SIZE)
        return NULL;
    struct xlate x;
    translate_or_fault(cpu, lin, acc, &x);
    switch (x.kind) {
    case T_RAM:
        return (acc & ACC_KIND_MASK) == ACC_WRITE && x.code ? NULL : x.host;
    case T_ROM:
        return (acc & ACC_KIND_MASK) == ACC_WRITE ? NULL : x.host;
    default:
        return NULL;
    }
}

int x86_lin_fetch(struct x86_cpu *cpu, uint64_t lin, uint8_t *buf, int len)
{
    int done = 0;
    while (done < len) {
        int in_page = (int)(GUEST_PAGE_SIZE - PAGE_OFFSET(lin));
        int n = len - done < in_page ? len - done : in_page;
        void *p = fast_ptr(cpu, lin, n, ACC_EXEC);
        if (p) {
            memcpy(buf + done, p, (size_t)n);
        } else {
            struct xlate x;
            uint32_t pfec;
            if (translate_page(cpu, lin, ACC_EXEC, &x, &pfec) < 0) {
                if (done == 0)
                    page_fault(cpu, lin, pfec);
                break; /* the decoder faults later if it needs these bytes */
            }
            phys_read(cpu, &x, buf + done, n);
        }
        done += n;
        lin = lin_add(cpu, lin, (uint64_t)n);
    }
    return done;
}

int x86_translate(struct x86_cpu *cpu, uint64_t lin, int acc, uint64_t *gpa, uint32_t *pfec)
{
    struct pagewalk_regs regs = walk_regs(cpu);
    struct pagewalk_result w;
    unsigned flags = (unsigned)(acc & ACC_KIND_MASK) | PW_NO_AD |
                     (user_access(cpu, acc) ? PW_USER : 0);
    if (pagewalk(cpu->env.mem, &regs, lin, flags, &w) < 0) {
        *pfec = w.pfec;
        return -1;
    }
    *gpa = w.gpa;
    return 0;
}

void x86_tlb_flush(struct x86_cpu *cpu, int all)
{
    if (!cpu->env.tlb)
        return;
    if (all)
        tlb_flush_all(cpu->env.tlb);
    else
        tlb_flush_nonglobal(cpu->env.tlb);
}

void x86_tlb_flush_page(struct x86_cpu *cpu, uint64_t lin)
{
    if (cpu->env.tlb)
        tlb_flush_page(cpu->env.tlb, lin);
}
