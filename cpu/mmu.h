/* Guest memory as an instruction sees it: segmentation (cpu/seg.c), then the
 * guest's paging through the TLB and the page walker, then the software EPT
 * (mem/), then RAM or an MMIO exit.  Functions here raise guest exceptions
 * (#GP, #SS, #PF) with x86_raise(). */
#ifndef GLASS_CPU_MMU_H
#define GLASS_CPU_MMU_H

#include <stdint.h>

#include "cpu/x86_cpu.h"

/* Kinds of access, OR-able with the modifiers. */
#define ACC_READ  0
#define ACC_WRITE 1
#define ACC_EXEC  2
#define ACC_KIND_MASK 3
#define ACC_IMPLICIT_SV 0x10 /* implicit supervisor access (GDT, IDT, TSS) */

/* Segmentation (cpu/seg.c): offset -> linear address, checking the segment
 * limit, type and presence for this access of `size` bytes; raises #GP(0),
 * or #SS(0) for SS.  In 64-bit mode only FS/GS add a base and the result
 * must be canonical.  Outside 64-bit mode the result is truncated to 32 bits. */
uint64_t x86_seg_linear(struct x86_cpu *cpu, int seg, uint64_t offset, int size, int acc);

/* Linear accesses (cpu/mmu.c).  size 1, 2, 4, 8 (little-endian, may cross a
 * page: each page is translated and checked).  Raise #PF with CR2 set. */
uint64_t x86_lin_read(struct x86_cpu *cpu, uint64_t lin, int size, int acc);
void x86_lin_write(struct x86_cpu *cpu, uint64_t lin, int size, uint64_t val, int acc);
void x86_lin_read_buf(struct x86_cpu *cpu, uint64_t lin, void *buf, int len, int acc);
void x86_lin_write_buf(struct x86_cpu *cpu, uint64_t lin, const void *buf, int len, int acc);

/* A host pointer to `size` bytes at lin when they are RAM within one page and
 * the access is allowed (sets Accessed/Dirty as the access would); raises #PF
 * on a fault; returns NULL when the bytes are MMIO, ROM being written, a page
 * that holds translated/decoded code being written, or cross a page (the
 * caller then uses x86_lin_read/x86_lin_write). */
void *x86_lin_ptr(struct x86_cpu *cpu, uint64_t lin, int size, int acc);

/* Fetch up to len instruction bytes at linear address lin (ACC_EXEC
 * checks).  Faults only if the first byte cannot be fetched; returns how many
 * bytes were fetched (it stops at the first page it cannot fetch). */
int x86_lin_fetch(struct x86_cpu *cpu, uint64_t lin, uint8_t *buf, int len);

/* Guest-physical address behind a linear one for this access, without side
 * effects and without raising: 0 and *gpa, or -1 and *pfec (the #PF error
 * code the access would raise).  For the debugger and the translator. */
int x86_translate(struct x86_cpu *cpu, uint64_t lin, int acc, uint64_t *gpa, uint32_t *pfec);

/* Flush the TLB (all = 0 keeps global pages, CR4.PGE) or one page. */
void x86_tlb_flush(struct x86_cpu *cpu, int all);
void x86_tlb_flush_page(struct x86_cpu *cpu, uint64_t lin);

/* Segment-relative access: what instructions use. */
static inline uint64_t x86_read(struct x86_cpu *cpu, int seg, uint64_t off, int size)
{
    return x86_lin_read(cpu, x86_seg_linear(cpu, seg, off, size, ACC_READ), size, ACC_READ);
}
static inline void x86_write(struct x86_cpu *cpu, int seg, uint64_t off, int size, uint64_t val)
{
    x86_lin_write(cpu, x86_seg_linear(cpu, seg, off, size, ACC_WRITE), size, val, ACC_WRITE);
}

#endif
