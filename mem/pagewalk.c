/* The guest page walker (see pagewalk.h; SDM Vol. 3, ch. 4). */
#include "mem/pagewalk.h"

#include <stdio.h>
#include <string.h>

#include "cpu/x86_cpu.h"
#include "mem/memmap.h"

#define M PAGEWALK_MAXPHYADDR
/* Physical-address bits M-1:12 of a PAE / 4-level entry. */
#define PHYS_ADDR_MASK (((1ull << M) - 1) & ~0xfffull)
/* Bits 51:M are reserved in 4-level entries (Tables 4-15..4-20)... */
#define RSVD_4L_PHYS (((1ull << 52) - 1) & ~((1ull << M) - 1))
/* ...and bits 62:M in PAE entries (Tables 4-8..4-11). */
#define RSVD_PAE_PHYS (((1ull << 63) - 1) & ~((1ull << M) - 1))

enum { L_PML4E, L_PDPTE, L_PDE, L_PTE };
static const char *const level_name[] = { "PML4E", "PDPTE", "PDE", "PTE" };

enum pagewalk_mode pagewalk_mode_of(const struct pagewalk_regs *r)
{
    if (!(r->cr0 & CR0_PG))
        return PW_MODE_NONE;
    if (!(r->cr4 & CR4_PAE))
        return PW_MODE_32;
    return (r->efer & EFER_LMA) ? PW_MODE_4LEVEL : PW_MODE_PAE;
}

const char *pagewalk_mode_name(enum pagewalk_mode mode)
{
    switch (mode) {
    case PW_MODE_NONE: return "paging off";
    case PW_MODE_32: return "32-bit paging";
    case PW_MODE_PAE: return "PAE paging";
    case PW_MODE_4LEVEL: return "4-level paging";
    }
    return "?";
}

/* Reserved bits of the 4 MiB PDE of 32-bit paging (Table 4-4): bit 21, and
 * those of bits 20:13 (physical bits 39:32) at or above MAXPHYADDR. */
static uint64_t rsvd_pde_4m(void)
{
    uint64_t r = 1ull << 21;
    for (int b = 13; b <= 20; b++)
        if (b + 19 >= M)
            r |= 1ull << b;
    return r;
}

/* One step of a walk: what kind of entry, where, and what it maps. */
struct step {
    int kind;           /* L_PML4E .. L_PTE */
    uint64_t table;     /* table gpa */
    unsigned index;
    int entry_size;     /* 4 or 8 */
};

/* Read an entry; outside RAM/ROM it reads as all ones.  *host for A/D. */
static uint64_t read_entry(struct memmap *m, uint64_t gpa, int size, void **host)
{
    void *p = memmap_host_ptr(m, gpa, (uint64_t)size);
    *host = p;
    if (!p)
        return size == 4 ? 0xffffffffull : ~0ull;
    if (size == 4)
        return __atomic_load_n((uint32_t *)p, __ATOMIC_RELAXED);
    return __atomic_load_n((uint64_t *)p, __ATOMIC_RELAXED);
}

/* Atomically OR bits into an entry (4.8: the processor sets A and D with
 * locked operations). */
static void set_entry_bits(struct memmap *m, void *host, uint64_t gpa, int size,
                           uint64_t entry, uint64_t bits)
{
    if (!host || (entry & bits) == bits)
        return;
    if (size == 4)
        __atomic_fetch_or((uint32_t *)host, (uint32_t)bits, __ATOMIC_SEQ_CST);
    else
        __atomic_fetch_or((uint64_t *)host, bits, __ATOMIC_SEQ_CST);
    memmap_note_write(m, gpa, (uint64_t)size);
}

/* The reserved bits of an entry that are set (0 if none).  leaf says it maps
 * a page through PS (for PDPTE/PDE). */
static uint64_t reserved_bits(enum pagewalk_mode mode, int kind, uint64_t e, bool nxe, bool leaf)
{
    uint64_t rsvd = 0;
    switch (mode) {
    case PW_MODE_32:
        if (kind == L_PDE && leaf)
            rsvd = rsvd_pde_4m();
        break;
    case PW_MODE_PAE:
        if (kind == L_PDPTE) {
            /* Table 4-8: bits 2:1, 8:5 and 63:M are reserved. */
            rsvd = 0x6ull | 0x1e0ull | RSVD_PAE_PHYS | PTE_XD;
            return e & rsvd;
        }
        rsvd = RSVD_PAE_PHYS;
        if (!nxe)
            rsvd |= PTE_XD;
        if (kind == L_PDE && leaf)
            rsvd |= 0xffull << 13; /* bits 20:13 of a 2 MiB PDE */
        break;
    case PW_MODE_4LEVEL:
        rsvd = RSVD_4L_PHYS;
        if (!nxe)
            rsvd |= PTE_XD;
        if (kind == L_PML4E)
            rsvd |= PTE_PS;
        else if (kind == L_PDPTE && leaf)
            rsvd |= 0x1ffffull << 13; /* bits 29:13 of a 1 GiB PDPTE */
        else if (kind == L_PDE && leaf)
            rsvd |= 0xffull << 13;    /* bits 20:13 of a 2 MiB PDE */
        break;
    case PW_MODE_NONE:
        break;
    }
    return e & rsvd;
}

static void trace_why(struct pagewalk_trace *t, const char *fmt, const char *a, uint64_t v)
{
    if (t)
        snprintf(t->why, sizeof(t->why), fmt, a, (unsigned long long)v);
}

/* The walk itself.  t may be NULL (fast path). */
static int walk(struct memmap *m, const struct pagewalk_regs *regs, uint64_t lin,
                unsigned flags, struct pagewalk_result *res, struct pagewalk_trace *t)
{
    enum pagewalk_mode mode = pagewalk_mode_of(regs);
    int kind = (int)(flags & PW_KIND_MASK);
    bool user = (flags & PW_USER) != 0;
    bool nxe = (regs->efer & EFER_NXE) != 0;
    memset(res, 0, sizeof(*res));
    if (t) {
        memset(t, 0, sizeof(*t));
        t->mode = mode;
        snprintf(t->why, sizeof(t->why), "ok");
    }

    /* The fixed part of the error code (4.7).  I/D is reported only when
     * XD can apply (PAE or 4-level with EFER.NXE; SMEP is not modelled). */
    uint32_t pfec = 0;
    if (kind == PW_WRITE)
        pfec |= PFEC_W;
    if (user)
        pfec |= PFEC_U;
    if (kind == PW_EXEC && mode >= PW_MODE_PAE && nxe)
        pfec |= PFEC_I;

    if (mode == PW_MODE_NONE) {
        res->gpa = lin;
        res->page_size = 1ull << 12;
        res->writable = res->user = res->dirty = true;
        if (t)
            t->result = *res;
        return 0;
    }

    struct step s;
    int nsteps;
    if (mode == PW_MODE_32) {
        lin &= 0xffffffffull;
        s = (struct step){ L_PDE, regs->cr3 & 0xfffff000ull, (unsigned)(lin >> 22) & 0x3ff, 4 };
        nsteps = 2;
    } else if (mode == PW_MODE_PAE) {
        lin &= 0xffffffffull;
        s = (struct step){ L_PDPTE, regs->cr3 & 0xffffffe0ull, (unsigned)(lin >> 30) & 3, 8 };
        nsteps = 3;
    } else {
        s = (struct step){ L_PML4E, regs->cr3 & PHYS_ADDR_MASK, (unsigned)(lin >> 39) & 0x1ff, 8 };
        nsteps = 4;
    }

    void *host[4];
    uint64_t entry_gpa[4], entry_val[4];
    int entry_size = s.entry_size;
    bool rw = true, us = true, xd = false;
    int n;
    for (n = 0; n < nsteps; n++) {
        uint64_t egpa = s.table + (uint64_t)s.index * (uint64_t)entry_size;
        uint64_t e = read_entry(m, egpa, entry_size, &host[n]);
        entry_gpa[n] = egpa;
        entry_val[n] = e;
        bool leaf = s.kind == L_PTE;
        if (s.kind == L_PDE && (e & PTE_PS))
            leaf = mode != PW_MODE_32 || (regs->cr4 & CR4_PSE);
        if (s.kind == L_PDPTE && mode == PW_MODE_4LEVEL && (e & PTE_PS))
            leaf = true;
        struct pagewalk_level *lv = t ? &t->level[t->nlevels++] : NULL;
        if (lv) {
            lv->name = level_name[s.kind];
            lv->table_gpa = s.table;
            lv->index = s.index;
            lv->entry_gpa = egpa;
            lv->entry = e;
            lv->leaf = leaf && (e & PTE_P);
        }

        if (!(e & PTE_P)) {
            trace_why(t, "%s not present (entry %#llx)", level_name[s.kind], e);
            res->pfec = pfec;
            goto fault;
        }
        uint64_t rsvd = reserved_bits(mode, s.kind, e, nxe, leaf);
        if (lv)
            lv->rsvd = rsvd;
        if (rsvd) {
            trace_why(t, "reserved bits set in %s: %#llx", level_name[s.kind], rsvd);
            res->pfec = pfec | PFEC_P | PFEC_RSVD;
            goto fault;
        }
        /* PAE PDPTEs carry no access rights (Table 4-8). */
        if (!(mode == PW_MODE_PAE && s.kind == L_PDPTE)) {
            rw = rw && (e & PTE_RW);
            us = us && (e & PTE_US);
            xd = xd || (nxe && (e & PTE_XD));
        }

        if (leaf) {
            uint64_t size;
            if (s.kind == L_PTE) {
                size = 1ull << 12;
                res->gpa = (mode == PW_MODE_32 ? (e & 0xfffff000ull) : (e & PHYS_ADDR_MASK)) |
                           (lin & 0xfff);
            } else if (mode == PW_MODE_32) {
                /* 4 MiB page with PSE-36: bits 20:13 are physical 39:32. */
                size = 1ull << 22;
                res->gpa = (e & 0xffc00000ull) | (((e >> 13) & 0xff) << 32) | (lin & (size - 1));
            } else {
                size = s.kind == L_PDE ? 1ull << 21 : 1ull << 30;
                res->gpa = (e & PHYS_ADDR_MASK & ~(size - 1)) | (lin & (size - 1));
            }
            res->page_size = size;
            res->global = (e & PTE_G) && (regs->cr4 & CR4_PGE);
            n++;
            break;
        }

        /* Next level. */
        uint64_t next = mode == PW_MODE_32 ? (e & 0xfffff000ull) : (e & PHYS_ADDR_MASK);
        s.kind++;
        s.table = next;
        s.index = mode == PW_MODE_32 ? (unsigned)(lin >> 12) & 0x3ff
                                     : (unsigned)(lin >> (39 - 9 * s.kind)) & 0x1ff;
    }
    res->writable = rw;
    res->user = us;
    res->nx = xd;

    /* Access rights (4.6). */
    if (user && !us) {
        if (t)
            snprintf(t->why, sizeof(t->why), "user-mode access to a supervisor page");
        res->pfec = pfec | PFEC_P;
        goto fault;
    }
    if (kind == PW_WRITE && !rw && (user || (regs->cr0 & CR0_WP))) {
        if (t)
            snprintf(t->why, sizeof(t->why), "%s", user ? "user-mode write to a read-only page"
                     : "supervisor write to a read-only page with CR0.WP=1");
        res->pfec = pfec | PFEC_P;
        goto fault;
    }
    if (kind == PW_EXEC && xd) {
        if (t)
            snprintf(t->why, sizeof(t->why), "instruction fetch from an execute-disable page");
        res->pfec = pfec | PFEC_P;
        goto fault;
    }

    /* Accessed in every entry used, Dirty in the leaf on a write (4.8). */
    int leaf_n = n - 1;
    bool dirty = (entry_val[leaf_n] & PTE_D) != 0;
    if (!(flags & PW_NO_AD)) {
        for (int i = 0; i <= leaf_n; i++) {
            if (mode == PW_MODE_PAE && i == 0)
                continue; /* PDPTEs have no A bit */
            uint64_t bits = PTE_A;
            if (i == leaf_n && kind == PW_WRITE)
                bits |= PTE_D;
            set_entry_bits(m, host[i], entry_gpa[i], entry_size, entry_val[i], bits);
        }
        if (kind == PW_WRITE)
            dirty = true;
    }
    res->dirty = dirty;
    if (t)
        t->result = *res;
    return 0;

fault:
    if (t) {
        t->fault = true;
        t->result = *res;
    }
    return -1;
}

int pagewalk(struct memmap *m, const struct pagewalk_regs *regs, uint64_t lin,
             unsigned flags, struct pagewalk_result *res)
{
    return walk(m, regs, lin, flags, res, NULL);
}

int pagewalk_explain(struct memmap *m, const struct pagewalk_regs *regs, uint64_t lin,
                     unsigned flags, struct pagewalk_trace *t)
{
    struct pagewalk_result res;
    return walk(m, regs, lin, flags | PW_NO_AD, &res, t);
}

void pagewalk_entry_bits(uint64_t entry, char *buf, size_t len)
{
    static const struct { uint64_t bit; const char *name; } names[] = {
        { PTE_P, "P" }, { PTE_RW, "RW" }, { PTE_US, "US" }, { PTE_PWT, "PWT" },
        { PTE_PCD, "PCD" }, { PTE_A, "A" }, { PTE_D, "D" }, { PTE_PS, "PS" },
        { PTE_G, "G" }, { PTE_XD, "XD" },
    };
    size_t used = 0;
    if (len == 0)
        return;
    buf[0] = 0;
    for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
        if (!(entry & names[i].bit))
            continue;
        int w = snprintf(buf + used, len - used, "%s%s", used ? " " : "", names[i].name);
        if (w < 0 || (size_t)w >= len - used)
            return;
        used += (size_t)w;
    }
}
