/* A guest CPU on guest RAM, shared by the unit tests that run machine code
 * (test_interp.c and test_interp_block.c through interp_fixture.h, and
 * test_bt.c): 2 MiB of RAM at 0 in a 4 MiB memory map, a CPU with a TLB in
 * flat 32-bit protected mode, the page tables and registers of 64-bit
 * mode, and a clock for the speed measurements.  Each test file is its own
 * program: everything here is static. */
#ifndef GLASS_TESTS_GUEST_FIXTURE_H
#define GLASS_TESTS_GUEST_FIXTURE_H

#include <check.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <time.h>

#include "cpu/exec.h"
#include "cpu/mmu.h"
#include "mem/memmap.h"
#include "mem/pagewalk.h"
#include "mem/tlb.h"

#define GUEST_MAP_SIZE (4u << 20)
#define GUEST_RAM_SIZE (2u << 20)

/* A flat 4 GiB segment: type 0xb is code, 0x3 data; l64 makes code 64-bit. */
static inline void guest_flat_seg(struct x86_segment *s, uint8_t type, bool l64)
{
    *s = (struct x86_segment){ .base = 0, .limit = 0xffffffff, .type = type, .s = 1,
                               .present = 1, .db = l64 ? 0 : 1, .l = l64, .g = 1 };
}

/* Initialises *mm and returns a new CPU on it, in flat 32-bit protected
 * mode at CPL 0 with no IDT, about to run at rip. */
static inline struct x86_cpu *guest_cpu_create(struct memmap *mm, uint64_t rip)
{
    ck_assert_int_eq(memmap_init(mm, GUEST_MAP_SIZE), 0);
    ck_assert_int_eq(memmap_add_ram(mm, "ram", 0, GUEST_RAM_SIZE), 0);
    struct x86_cpu *cpu = calloc(1, sizeof(*cpu));
    ck_assert_ptr_nonnull(cpu);
    cpu->env.mem = mm;
    cpu->env.tlb = tlb_create(mm);
    ck_assert_ptr_nonnull(cpu->env.tlb);
    cpu->cr0 = CR0_PE | CR0_ET;
    cpu->rflags = FL_FIXED1;
    guest_flat_seg(&cpu->seg[S_CS], 0xb, false);
    for (int s = S_ES; s <= S_GS; s++)
        if (s != S_CS)
            guest_flat_seg(&cpu->seg[s], 0x3, false);
    cpu->rip = rip;
    return cpu;
}

/* Frees what guest_cpu_create made; what the caller attached goes first. */
static inline void guest_cpu_destroy(struct memmap *mm, struct x86_cpu *cpu)
{
    tlb_destroy(cpu->env.tlb);
    free(cpu);
    memmap_destroy(mm);
}

/* Writes guest RAM through the memory map, so the code hook sees it (a
 * loader, or DMA, as the decoded-instruction caches must notice). */
static inline void guest_write(struct memmap *mm, uint64_t gpa, const void *p, size_t n)
{
    ck_assert_int_eq(memmap_write(mm, gpa, p, n), 0);
}

static inline void guest_write64(struct memmap *mm, uint64_t gpa, uint64_t v)
{
    guest_write(mm, gpa, &v, 8);
}

/* Page tables at pml4 and the two pages after it (PML4, PDPT, PD) that
 * identity-map the first 2 MiB with one large page. */
static inline void guest_map_low_2m(struct memmap *mm, uint64_t pml4)
{
    guest_write64(mm, pml4, (pml4 + 0x1000) | PTE_P | PTE_RW);            /* PML4[0] -> PDPT */
    guest_write64(mm, pml4 + 0x1000, (pml4 + 0x2000) | PTE_P | PTE_RW);   /* PDPT[0] -> PD */
    guest_write64(mm, pml4 + 0x2000, 0x0 | PTE_P | PTE_RW | PTE_PS);      /* PD[0]: 2 MiB at 0 */
}

/* 64-bit mode at CPL 0 with the page tables at cr3 (built by the caller). */
static inline void guest_long_mode(struct x86_cpu *cpu, uint64_t cr3)
{
    cpu->cr3 = cr3;
    cpu->cr4 = CR4_PAE;
    cpu->efer = EFER_LME | EFER_LMA;
    cpu->cr0 = CR0_PE | CR0_PG | CR0_ET;
    guest_flat_seg(&cpu->seg[S_CS], 0xb, true);
}

/* A monotonic clock in seconds, for the speed measurements. */
static inline double guest_seconds(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

#endif
