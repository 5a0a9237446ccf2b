/* The guest page walker on hand-built tables: 32-bit (4 KiB, 4 MiB, PSE-36),
 * PAE (2 MiB, XD), 4-level (1 GiB, 2 MiB, 4 KiB); every fault with its exact
 * error code (SDM Vol. 3, 4.7); Accessed/Dirty updates (4.8); the explain
 * trace. */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "cpu/x86_cpu.h"
#include "mem/memmap.h"
#include "mem/pagewalk.h"
#include "tests/unit/descriptor_fixture.h"
#include "tests/unit/run_suite.h"

static struct memmap mm;

static void setup(void)
{
    ck_assert_int_eq(memmap_init(&mm, 16 << 20), 0);
    ck_assert_int_eq(memmap_add_ram(&mm, "ram", 0, 16 << 20), 0);
}

static void teardown(void)
{
    memmap_destroy(&mm);
}

static void put32(uint64_t gpa, uint32_t v) { guest_put(&mm, gpa, v, 4); }
static uint32_t get32(uint64_t gpa) { return (uint32_t)guest_get(&mm, gpa, 4); }
static void put64(uint64_t gpa, uint64_t v) { guest_put(&mm, gpa, v, 8); }
static uint64_t get64(uint64_t gpa) { return guest_get(&mm, gpa, 8); }

#define P   PTE_P
#define RW  PTE_RW
#define US  PTE_US
#define URW (P | RW | US)

/* Walk and expect a fault with exactly this error code. */
static void expect_fault(const struct pagewalk_regs *r, uint64_t lin, unsigned flags, uint32_t pfec)
{
    struct pagewalk_result res;
    ck_assert_int_eq(pagewalk(&mm, r, lin, flags, &res), -1);
    ck_assert_uint_eq(res.pfec, pfec);
}

static uint64_t expect_gpa(const struct pagewalk_regs *r, uint64_t lin, unsigned flags)
{
    struct pagewalk_result res;
    ck_assert_int_eq(pagewalk(&mm, r, lin, flags, &res), 0);
    return res.gpa;
}

/* ---- 32-bit paging ---- */

#define PD32 0x1000
#define PT32 0x2000

static struct pagewalk_regs regs32(void)
{
    return (struct pagewalk_regs){ .cr0 = CR0_PE | CR0_PG | CR0_WP, .cr3 = PD32,
                                   .cr4 = CR4_PSE };
}

START_TEST(test_paging_off)
{
    struct pagewalk_regs r = { .cr0 = CR0_PE };
    struct pagewalk_result res;
    ck_assert_int_eq(pagewalk_mode_of(&r), PW_MODE_NONE);
    ck_assert_int_eq(pagewalk(&mm, &r, 0x12345678, PW_WRITE | PW_USER, &res), 0);
    ck_assert_uint_eq(res.gpa, 0x12345678);
}
END_TEST

START_TEST(test_32bit_4k)
{
    struct pagewalk_regs r = regs32();
    put32(PD32 + 4 * 1, PT32 | URW);         /* 0x400000-0x7fffff */
    put32(PT32 + 4 * 5, 0x345000 | URW);     /* 0x405000 -> 0x345000 */
    ck_assert_int_eq(pagewalk_mode_of(&r), PW_MODE_32);
    ck_assert_uint_eq(expect_gpa(&r, 0x405abc, PW_READ), 0x345abc);
    /* Accessed in both, Dirty nowhere after a read. */
    ck_assert_uint_eq(get32(PD32 + 4) & (PTE_A | PTE_D), PTE_A);
    ck_assert_uint_eq(get32(PT32 + 20) & (PTE_A | PTE_D), PTE_A);
    /* A write sets D in the PTE only. */
    ck_assert_uint_eq(expect_gpa(&r, 0x405abc, PW_WRITE | PW_USER), 0x345abc);
    ck_assert_uint_eq(get32(PT32 + 20) & PTE_D, PTE_D);
    ck_assert_uint_eq(get32(PD32 + 4) & PTE_D, 0);
    /* The upper 32 bits of a linear address are ignored. */
    ck_assert_uint_eq(expect_gpa(&r, 0xffffffff00405001ull, PW_READ), 0x345001);
}
END_TEST

START_TEST(test_32bit_4m_pse36)
{
    struct pagewalk_regs r = regs32();
    /* 0xc00000-0xffffff -> physical 0x12_00800000 via PSE-36 bits 20:13. */
    put32(PD32 + 4 * 3, 0x00800000u | (0x12u << 13) | URW | PTE_PS);
    struct pagewalk_result res;
    ck_assert_int_eq(pagewalk(&mm, &r, 0xd23456, PW_READ, &res), 0);
    ck_assert_uint_eq(res.gpa, 0x1200800000ull + 0x123456);
    ck_assert_uint_eq(res.page_size, 4u << 20);
    /* A write sets A and D in the PDE, the leaf. */
    ck_assert_int_eq(pagewalk(&mm, &r, 0xd23456, PW_WRITE, &res), 0);
    ck_assert_uint_eq(get32(PD32 + 12) & (PTE_A | PTE_D), PTE_A | PTE_D);
    /* Bit 21 of a 4 MiB PDE is reserved. */
    put32(PD32 + 4 * 3, 0x00800000u | (1u << 21) | URW | PTE_PS);
    expect_fault(&r, 0xd23456, PW_READ, PFEC_P | PFEC_RSVD);
    expect_fault(&r, 0xd23456, PW_WRITE | PW_USER, PFEC_P | PFEC_RSVD | PFEC_W | PFEC_U);
    /* Without CR4.PSE, PS is ignored: the PDE points to a page table. */
    r.cr4 = 0;
    put32(PD32 + 4 * 3, PT32 | URW | PTE_PS);
    put32(PT32 + 4 * 0x23, 0x777000 | URW);
    ck_assert_uint_eq(expect_gpa(&r, 0xc23010, PW_READ), 0x777010);
}
END_TEST

START_TEST(test_32bit_faults)
{
    struct pagewalk_regs r = regs32();
    put32(PD32 + 4 * 1, PT32 | URW);
    put32(PT32 + 4 * 0, 0x300000 | P | US);      /* user read-only */
    put32(PT32 + 4 * 1, 0x301000 | P | RW);      /* supervisor */
    put32(PT32 + 4 * 2, 0);                      /* not present */
    put32(PD32 + 4 * 2, 0);                      /* PDE not present */

    /* Not present: P = 0, W and U say what the access was. */
    expect_fault(&r, 0x402000, PW_READ, 0);
    expect_fault(&r, 0x402000, PW_WRITE, PFEC_W);
    expect_fault(&r, 0x402000, PW_READ | PW_USER, PFEC_U);
    expect_fault(&r, 0x800000, PW_WRITE | PW_USER, PFEC_W | PFEC_U);
    /* No I/D in 32-bit paging (no XD, no SMEP). */
    expect_fault(&r, 0x402000, PW_EXEC, 0);

    /* Write to a read-only page: user always faults... */
    expect_fault(&r, 0x400000, PW_WRITE | PW_USER, PFEC_P | PFEC_W | PFEC_U);
    /* ...supervisor only with CR0.WP. */
    expect_fault(&r, 0x400000, PW_WRITE, PFEC_P | PFEC_W);
    r.cr0 &= ~(uint64_t)CR0_WP;
    ck_assert_uint_eq(expect_gpa(&r, 0x400000, PW_WRITE), 0x300000);
    ck_assert_uint_eq(get32(PT32) & PTE_D, PTE_D);
    r.cr0 |= CR0_WP;

    /* User access to a supervisor page. */
    expect_fault(&r, 0x401000, PW_READ | PW_USER, PFEC_P | PFEC_U);
    expect_fault(&r, 0x401000, PW_WRITE | PW_USER, PFEC_P | PFEC_W | PFEC_U);
    expect_fault(&r, 0x401000, PW_EXEC | PW_USER, PFEC_P | PFEC_U);
    ck_assert_uint_eq(expect_gpa(&r, 0x401000, PW_WRITE), 0x301000);
    /* U/S and R/W are ANDed over the levels: a supervisor PDE makes the user
     * PTE under it supervisor, a read-only PDE makes it read-only. */
    put32(PD32 + 4 * 1, PT32 | P | RW);
    put32(PT32 + 4 * 3, 0x303000 | URW);
    expect_fault(&r, 0x403000, PW_READ | PW_USER, PFEC_P | PFEC_U);
    put32(PD32 + 4 * 1, PT32 | P | US);
    expect_fault(&r, 0x403000, PW_WRITE | PW_USER, PFEC_P | PFEC_W | PFEC_U);
    ck_assert_uint_eq(expect_gpa(&r, 0x403000, PW_READ | PW_USER), 0x303000);
}
END_TEST

START_TEST(test_ad_only_on_success)
{
    struct pagewalk_regs r = regs32();
    put32(PD32, PT32 | P | RW);                   /* supervisor PDE */
    put32(PT32, 0x300000 | URW);
    /* A faulting walk sets nothing. */
    expect_fault(&r, 0x0, PW_READ | PW_USER, PFEC_P | PFEC_U);
    ck_assert_uint_eq(get32(PD32) & PTE_A, 0);
    ck_assert_uint_eq(get32(PT32) & PTE_A, 0);
    /* PW_NO_AD sets nothing either. */
    ck_assert_uint_eq(expect_gpa(&r, 0x10, PW_WRITE | PW_NO_AD), 0x300010);
    ck_assert_uint_eq(get32(PD32) & PTE_A, 0);
    ck_assert_uint_eq(get32(PT32) & (PTE_A | PTE_D), 0);
    struct pagewalk_result res;
    ck_assert_int_eq(pagewalk(&mm, &r, 0x10, PW_READ, &res), 0);
    ck_assert(!res.dirty);
    ck_assert_int_eq(pagewalk(&mm, &r, 0x10, PW_WRITE, &res), 0);
    ck_assert(res.dirty);
    ck_assert_uint_eq(get32(PT32) & (PTE_A | PTE_D), PTE_A | PTE_D);
}
END_TEST

START_TEST(test_global)
{
    struct pagewalk_regs r = regs32();
    put32(PD32, PT32 | URW);
    put32(PT32, 0x300000 | URW | PTE_G);
    struct pagewalk_result res;
    ck_assert_int_eq(pagewalk(&mm, &r, 0, PW_READ, &res), 0);
    ck_assert(!res.global); /* G means nothing without CR4.PGE */
    r.cr4 |= CR4_PGE;
    ck_assert_int_eq(pagewalk(&mm, &r, 0, PW_READ, &res), 0);
    ck_assert(res.global);
}
END_TEST

/* ---- PAE paging ---- */

#define PDPT_PAE 0x5020   /* 32-byte aligned, not page aligned */
#define PD_PAE   0x6000
#define PT_PAE   0x7000

static struct pagewalk_regs regs_pae(bool nxe)
{
    return (struct pagewalk_regs){ .cr0 = CR0_PE | CR0_PG | CR0_WP, .cr3 = PDPT_PAE,
                                   .cr4 = CR4_PAE, .efer = nxe ? EFER_NXE : 0 };
}

START_TEST(test_pae)
{
    struct pagewalk_regs r = regs_pae(true);
    put64(PDPT_PAE + 8 * 2, PD_PAE | P);                 /* 0x80000000-0xbfffffff */
    put64(PD_PAE + 8 * 0, PT_PAE | URW);
    put64(PT_PAE + 8 * 3, 0xabc000ull | URW);            /* 0x80003000 */
    put64(PT_PAE + 8 * 4, 0xabd000ull | URW | PTE_XD);   /* 0x80004000: no exec */
    put64(PD_PAE + 8 * 1, 0x600000ull | URW | PTE_PS);   /* 0x80200000: 2 MiB */
    ck_assert_int_eq(pagewalk_mode_of(&r), PW_MODE_PAE);
    ck_assert_uint_eq(expect_gpa(&r, 0x80003123, PW_EXEC | PW_USER), 0xabc123);
    struct pagewalk_result res;
    ck_assert_int_eq(pagewalk(&mm, &r, 0x80234567, PW_WRITE, &res), 0);
    ck_assert_uint_eq(res.gpa, 0x634567);
    ck_assert_uint_eq(res.page_size, 2u << 20);
    /* PDPTEs have no A bit; PDE and PTE get one. */
    ck_assert_uint_eq(get64(PDPT_PAE + 16), PD_PAE | P);
    ck_assert_uint_eq(get64(PD_PAE) & PTE_A, PTE_A);
    ck_assert_uint_eq(get64(PD_PAE + 8) & (PTE_A | PTE_D), PTE_A | PTE_D);

    /* XD: a fetch faults with I/D set; reads are fine. */
    expect_fault(&r, 0x80004000, PW_EXEC, PFEC_P | PFEC_I);
    expect_fault(&r, 0x80004000, PW_EXEC | PW_USER, PFEC_P | PFEC_I | PFEC_U);
    ck_assert_uint_eq(expect_gpa(&r, 0x80004000, PW_READ), 0xabd000);
    /* XD in a higher level applies to everything under it. */
    put64(PD_PAE + 8 * 0, PT_PAE | URW | PTE_XD);
    expect_fault(&r, 0x80003000, PW_EXEC, PFEC_P | PFEC_I);
    /* Not present with NXE: I/D set for fetches. */
    expect_fault(&r, 0x40000000, PW_EXEC, PFEC_I);

    /* Without EFER.NXE bit 63 is reserved, and fetches never set I/D. */
    r = regs_pae(false);
    expect_fault(&r, 0x80003000, PW_READ, PFEC_P | PFEC_RSVD);
    expect_fault(&r, 0x40000000, PW_EXEC, 0);
    put64(PD_PAE + 8 * 0, PT_PAE | URW);
    ck_assert_uint_eq(expect_gpa(&r, 0x80003000, PW_EXEC), 0xabc000);

    /* Reserved bits: physical address bits at or above MAXPHYADDR... */
    put64(PT_PAE + 8 * 3, (1ull << PAGEWALK_MAXPHYADDR) | 0xabc000ull | URW);
    expect_fault(&r, 0x80003000, PW_WRITE, PFEC_P | PFEC_RSVD | PFEC_W);
    /* ...bits 20:13 of a 2 MiB PDE... */
    put64(PD_PAE + 8 * 1, 0x600000ull | (1ull << 13) | URW | PTE_PS);
    expect_fault(&r, 0x80200000, PW_READ, PFEC_P | PFEC_RSVD);
    /* ...and R/W in a PDPTE (bits 2:1 are reserved there). */
    put64(PDPT_PAE + 8 * 2, PD_PAE | P | RW);
    expect_fault(&r, 0x80003000, PW_READ | PW_USER, PFEC_P | PFEC_RSVD | PFEC_U);
}
END_TEST

/* ---- 4-level paging ---- */

#define PML4 0x10000
#define PDPT 0x11000
#define PD   0x12000
#define PT   0x13000

static struct pagewalk_regs regs_4l(void)
{
    return (struct pagewalk_regs){ .cr0 = CR0_PE | CR0_PG | CR0_WP, .cr3 = PML4,
                                   .cr4 = CR4_PAE, .efer = EFER_LME | EFER_LMA | EFER_NXE };
}

START_TEST(test_4level)
{
    struct pagewalk_regs r = regs_4l();
    uint64_t lin_hi = 0xffff800000000000ull;           /* PML4 index 256 */
    put64(PML4 + 8 * 256, PDPT | URW);
    put64(PDPT + 8 * 0, 0x40000000ull | URW | PTE_PS);  /* 1 GiB page */
    put64(PDPT + 8 * 1, PD | URW);
    put64(PD + 8 * 0, 0x200000ull | URW | PTE_PS);      /* 2 MiB page */
    put64(PD + 8 * 1, PT | URW);
    put64(PT + 8 * 7, 0x9000ull | URW);                 /* 4 KiB page */
    ck_assert_int_eq(pagewalk_mode_of(&r), PW_MODE_4LEVEL);

    struct pagewalk_result res;
    ck_assert_int_eq(pagewalk(&mm, &r, lin_hi + 0x12345678, PW_READ, &res), 0);
    ck_assert_uint_eq(res.gpa, 0x40000000ull + 0x12345678);
    ck_assert_uint_eq(res.page_size, 1u << 30);
    ck_assert_int_eq(pagewalk(&mm, &r, lin_hi + 0x40000000 + 0x1abcde, PW_READ, &res), 0);
    ck_assert_uint_eq(res.gpa, 0x200000 + 0x1abcde);
    ck_assert_uint_eq(res.page_size, 2u << 20);
    ck_assert_int_eq(pagewalk(&mm, &r, lin_hi + 0x40000000 + 0x207123, PW_WRITE, &res), 0);
    ck_assert_uint_eq(res.gpa, 0x9123);
    ck_assert_uint_eq(res.page_size, 4096);
    /* A in all four levels, D in the leaf. */
    ck_assert_uint_eq(get64(PML4 + 8 * 256) & (PTE_A | PTE_D), PTE_A);
    ck_assert_uint_eq(get64(PDPT + 8) & (PTE_A | PTE_D), PTE_A);
    ck_assert_uint_eq(get64(PD + 8) & (PTE_A | PTE_D), PTE_A);
    ck_assert_uint_eq(get64(PT + 56) & (PTE_A | PTE_D), PTE_A | PTE_D);

    /* Not present at the top. */
    expect_fault(&r, 0x1000, PW_WRITE | PW_USER, PFEC_W | PFEC_U);
    /* PS in a PML4E is reserved. */
    put64(PML4 + 8 * 1, PDPT | URW | PTE_PS);
    expect_fault(&r, 0x8000000000ull, PW_READ, PFEC_P | PFEC_RSVD);
    /* Bits 29:13 of a 1 GiB page are reserved. */
    put64(PDPT + 8 * 0, 0x40000000ull | (1ull << 20) | URW | PTE_PS);
    expect_fault(&r, lin_hi, PW_READ, PFEC_P | PFEC_RSVD);
    /* Bits 51:M are reserved; bits 62:52 are ignored. */
    put64(PDPT + 8 * 0, 0x40000000ull | (1ull << 51) | URW | PTE_PS);
    expect_fault(&r, lin_hi, PW_READ, PFEC_P | PFEC_RSVD);
    put64(PDPT + 8 * 0, 0x40000000ull | (1ull << 55) | URW | PTE_PS);
    ck_assert_uint_eq(expect_gpa(&r, lin_hi + 5, PW_READ), 0x40000005);
    /* NX fetch with I/D. */
    put64(PT + 8 * 7, 0x9000ull | URW | PTE_XD);
    expect_fault(&r, lin_hi + 0x40207000, PW_EXEC | PW_USER, PFEC_P | PFEC_I | PFEC_U);
    /* Reserved beats a later protection fault: the walk stops at the first. */
    put64(PD + 8 * 1, PT | P | RW | (1ull << 45));
    expect_fault(&r, lin_hi + 0x40207000, PW_READ | PW_USER, PFEC_P | PFEC_RSVD | PFEC_U);
}
END_TEST

START_TEST(test_explain)
{
    struct pagewalk_regs r = regs_4l();
    put64(PML4, PDPT | URW);
    put64(PDPT, PD | URW);
    put64(PD, PT | P | RW);             /* supervisor */
    put64(PT + 8 * 2, 0x5000ull | URW);
    struct pagewalk_trace t;
    ck_assert_int_eq(pagewalk_explain(&mm, &r, 0x2abc, PW_READ | PW_USER, &t), -1);
    ck_assert_int_eq(t.mode, PW_MODE_4LEVEL);
    ck_assert_int_eq(t.nlevels, 4);
    ck_assert(t.fault);
    ck_assert_uint_eq(t.result.pfec, PFEC_P | PFEC_U);
    ck_assert_str_eq(t.level[0].name, "PML4E");
    ck_assert_str_eq(t.level[3].name, "PTE");
    ck_assert_uint_eq(t.level[3].table_gpa, PT);
    ck_assert_uint_eq(t.level[3].index, 2);
    ck_assert_uint_eq(t.level[3].entry_gpa, PT + 16);
    ck_assert_uint_eq(t.level[3].entry, 0x5000ull | URW);
    ck_assert(t.level[3].leaf);
    ck_assert_ptr_nonnull(strstr(t.why, "supervisor"));
    /* explain never sets A. */
    ck_assert_uint_eq(get64(PML4) & PTE_A, 0);
    ck_assert_int_eq(pagewalk_explain(&mm, &r, 0x2abc, PW_READ, &t), 0);
    ck_assert_uint_eq(t.result.gpa, 0x5abc);
    ck_assert_str_eq(t.why, "ok");
    ck_assert_uint_eq(get64(PT + 16) & PTE_A, 0);
    /* Stops where the walk stops. */
    put64(PDPT, 0);
    ck_assert_int_eq(pagewalk_explain(&mm, &r, 0x2abc, PW_READ, &t), -1);
    ck_assert_int_eq(t.nlevels, 2);
    ck_assert_ptr_nonnull(strstr(t.why, "PDPTE not present"));
    /* Reserved bits are named. */
    put64(PDPT, PD | URW | (1ull << 50));
    ck_assert_int_eq(pagewalk_explain(&mm, &r, 0x2abc, PW_READ, &t), -1);
    ck_assert_uint_eq(t.level[1].rsvd, 1ull << 50);

    char bits[64];
    pagewalk_entry_bits(P | RW | PTE_A | PTE_XD, bits, sizeof(bits));
    ck_assert_str_eq(bits, "P RW A XD");
}
END_TEST

START_TEST(test_tables_outside_ram)
{
    /* A page directory in a hole reads as all ones: P with reserved bits. */
    struct pagewalk_regs r = regs_4l();
    r.cr3 = 0x40000000;
    expect_fault(&r, 0x1000, PW_READ, PFEC_P | PFEC_RSVD);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("pagewalk");
    TCase *tc = tcase_create("pagewalk");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, test_paging_off);
    tcase_add_test(tc, test_32bit_4k);
    tcase_add_test(tc, test_32bit_4m_pse36);
    tcase_add_test(tc, test_32bit_faults);
    tcase_add_test(tc, test_ad_only_on_success);
    tcase_add_test(tc, test_global);
    tcase_add_test(tc, test_pae);
    tcase_add_test(tc, test_4level);
    tcase_add_test(tc, test_explain);
    tcase_add_test(tc, test_tables_outside_ram);
    suite_add_tcase(s, tc);
    return run_suite(s);
}
