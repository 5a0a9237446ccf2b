/* Guest memory for the debugger (debugger/debugger.h): linear addresses go
 * through the current vCPU's page tables a page at a time (pagewalk with no
 * permission checks and no Accessed/Dirty updates: looking must not change
 * what is looked at), physical ones through the memory map.  Nothing here
 * raises a guest fault. */
#include <string.h>

#include "cpu/x86_cpu.h"
#include "debugger/debugger.h"
#include "machine/board.h"
#include "mem/pagewalk.h"

int dbg_linear_to_phys(struct debugger *d, uint64_t lin, uint64_t *gpa)
{
    struct x86_cpu *cpu = dbg_cpu(d);
    struct pagewalk_regs regs = { cpu->cr0, cpu->cr3, cpu->cr4, cpu->efer };
    struct pagewalk_result res;
    if (!x86_long_mode(cpu))
        lin &= 0xffffffffull;
    if (pagewalk(&d->m->mem, &regs, lin, PW_READ | PW_NO_AD, &res) < 0)
        return -1;
    *gpa = res.gpa;
    return 0;
}

/* Walk [lin, lin+len) page by page, doing each piece physically. */
static long linear_access(struct debugger *d, uint64_t lin, void *buf, size_t len, bool write)
{
    size_t done = 0;
    while (done < len) {
        uint64_t at = lin + done, gpa;
        size_t piece = GUEST_PAGE_SIZE - (at & (GUEST_PAGE_SIZE - 1));
        if (piece > len - done)
            piece = len - done;
        if (dbg_linear_to_phys(d, at, &gpa) < 0)
            break;
        long n = write ? dbg_write_phys(d, gpa, (const char *)buf + done, piece)
                       : dbg_read_phys(d, gpa, (char *)buf + done, piece);
        if (n < 0)
            return done ? (long)done : -1;
        done += (size_t)n;
        if ((size_t)n < piece)
            break;
    }
    return done || !len ? (long)done : -1;
}

long dbg_read_linear(struct debugger *d, uint64_t lin, void *buf, size_t len)
{
    return linear_access(d, lin, buf, len, false);
}

long dbg_write_linear(struct debugger *d, uint64_t lin, const void *buf, size_t len)
{
    return linear_access(d, lin, (void *)buf, len, true);
}

/* Physical: RAM and ROM directly, MMIO through its device (a read may have
 * side effects there, as on hardware); stops short at an unmapped byte. */
static size_t mapped_run(struct memmap *m, uint64_t gpa, size_t len)
{
    size_t n = 0;
    while (n < len) {
        const struct mem_region *r = memmap_find(m, gpa + n);
        if (!r)
            break;
        uint64_t left = r->gpa + r->size - (gpa + n);
        n += left < len - n ? left : len - n;
    }
    return n;
}

long dbg_read_phys(struct debugger *d, uint64_t gpa, void *buf, size_t len)
{
    size_t n = mapped_run(&d->m->mem, gpa, len);
    if (!n)
        return len ? -1 : 0;
    memmap_read(&d->m->mem, gpa, buf, n);
    return (long)n;
}

long dbg_write_phys(struct debugger *d, uint64_t gpa, const void *buf, size_t len)
{
    size_t n = mapped_run(&d->m->mem, gpa, len);
    if (!n)
        return len ? -1 : 0;
    memmap_write(&d->m->mem, gpa, buf, n);
    return (long)n;
}
