/* The software EPT built from a memory map: entries in Intel's format, RAM
 * RWX, ROM R-X, MMIO and holes not present, large pages where aligned. */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "mem/ept.h"
#include "mem/memmap.h"
#include "tests/unit/run_suite.h"

static struct memmap mm;
static struct ept ept;

static uint64_t dev_read(void *o, uint64_t off, int size)
{
    (void)o;
    (void)off;
    (void)size;
    return 0;
}
static void dev_write(void *o, uint64_t off, int size, uint64_t v)
{
    (void)o;
    (void)off;
    (void)size;
    (void)v;
}
static const struct mmio_ops dev_ops = { dev_read, dev_write };

static void setup(void)
{
    ck_assert_int_eq(memmap_init(&mm, 16 << 20), 0);
    ck_assert_int_eq(memmap_add_ram(&mm, "low", 0, 0xa0000), 0);
    ck_assert_int_eq(memmap_add_rom(&mm, "bios", 0xf0000, 0x10000), 0);
    ck_assert_int_eq(memmap_add_ram(&mm, "high", 0x100000, 0x700000), 0); /* to 8 MiB */
    ck_assert_int_eq(memmap_add_mmio(&mm, "ioapic", 0xfec00000, 0x20, &dev_ops, NULL), 0);
    ck_assert_int_eq(ept_build(&ept, &mm), 0);
}

static void teardown(void)
{
    ept_destroy(&ept);
    memmap_destroy(&mm);
}

/* The EPT and the memory map agree on where every page lives. */
static void expect_host(uint64_t gpa, uint8_t perm, uint64_t page_size)
{
    struct ept_walk_result r;
    ck_assert_int_eq(ept_walk(&ept, gpa, &r), 0);
    ck_assert(r.present);
    ck_assert_uint_eq(r.perm, perm);
    ck_assert_uint_eq(r.page_size, page_size);
    ck_assert_uint_eq(r.memtype, EPT_MT_WB);
    ck_assert_ptr_eq(mm.ram + r.hpa, memmap_host_ptr(&mm, gpa, 1));
}

START_TEST(test_eptp_format)
{
    /* EPTP (SDM Vol. 3, 25.6.11): memory type WB in 2:0, walk length 3 in 5:3. */
    ck_assert_uint_eq(ept.eptp & 0xfff, 0x1e);
    ck_assert_ptr_nonnull(ept_table(&ept, ept.eptp & EPT_ADDR_MASK));
    ck_assert_ptr_null(ept_table(&ept, 0x1000)); /* guest RAM is not a table */
}
END_TEST

START_TEST(test_ram_rom_4k)
{
    struct ept_walk_result r;
    ck_assert_int_eq(ept_walk(&ept, 0x12345, &r), 0);
    ck_assert_int_eq(r.nlevels, 4);
    ck_assert_uint_eq(r.perm, EPT_RWX);
    ck_assert_uint_eq(r.page_size, 4096);
    /* Each level: a table address, the index the GPA selects, the entry. */
    ck_assert_uint_eq(r.level[0].table, ept.eptp & EPT_ADDR_MASK);
    ck_assert_uint_eq(r.level[0].index, 0);
    ck_assert_uint_eq(r.level[3].index, 0x12);
    ck_assert_uint_eq(r.level[0].entry & EPT_RWX, EPT_RWX);
    ck_assert_uint_eq(r.level[1].table, r.level[0].entry & EPT_ADDR_MASK);
    uint64_t pte = r.level[3].entry;
    ck_assert_uint_eq((pte & EPT_MT_MASK) >> EPT_MT_SHIFT, EPT_MT_WB);
    ck_assert_uint_eq(pte & EPT_LARGE, 0);
    ck_assert_uint_eq(r.hpa, (pte & EPT_ADDR_MASK) | 0x345);
    const uint64_t *pt = ept_table(&ept, r.level[3].table);
    ck_assert_uint_eq(pt[0x12], pte);

    expect_host(0x12345, EPT_RWX, 4096);
    expect_host(0x9ffff, EPT_RWX, 4096);
    expect_host(0xf0000, EPT_R | EPT_X, 4096);
    expect_host(0xfffff, EPT_R | EPT_X, 4096);
    expect_host(0x100000, EPT_RWX, 4096);
}
END_TEST

START_TEST(test_large_pages)
{
    /* 2 MiB..8 MiB is 2 MiB aligned in gpa and in the memfd: PDE leaves. */
    struct ept_walk_result r;
    ck_assert_int_eq(ept_walk(&ept, 0x234567, &r), 0);
    ck_assert_int_eq(r.nlevels, 3);
    ck_assert_uint_eq(r.level[2].entry & EPT_LARGE, EPT_LARGE);
    expect_host(0x200000, EPT_RWX, 2u << 20);
    expect_host(0x7fffff, EPT_RWX, 2u << 20);
    /* 1 MiB..2 MiB cannot be one: 4 KiB pages. */
    expect_host(0x1ff000, EPT_RWX, 4096);

    /* A 1 GiB region on a 1 GiB boundary gets a PDPTE leaf (the memfd is
     * sparse: nothing of it is touched). */
    struct memmap big;
    struct ept e;
    ck_assert_int_eq(memmap_init(&big, 1ull << 30), 0);
    ck_assert_int_eq(memmap_add_ram(&big, "big", 1ull << 32, 1ull << 30), 0);
    ck_assert_int_eq(ept_build(&e, &big), 0);
    ck_assert_int_eq(ept_walk(&e, (1ull << 32) + 0x12345678, &r), 0);
    ck_assert_int_eq(r.nlevels, 2);
    ck_assert_uint_eq(r.page_size, 1u << 30);
    ck_assert_uint_eq(r.hpa, 0x12345678);
    ck_assert_uint_eq(e.npages, 2); /* PML4 and one PDPT */
    ept_destroy(&e);
    memmap_destroy(&big);
}
END_TEST

START_TEST(test_mmio_and_holes_not_present)
{
    struct ept_walk_result r;
    /* MMIO: the PML4E exists (RAM shares it), but nothing is mapped in the
     * 3-4 GiB PDPTE, so the walk stops there: an EPT violation. */
    ck_assert_int_eq(ept_walk(&ept, 0xfec00000, &r), -1);
    ck_assert(!r.present);
    ck_assert_int_eq(r.stop_level, 3);
    ck_assert_int_eq(r.nlevels, 2);
    ck_assert_uint_eq(r.level[1].index, 3);
    ck_assert_uint_eq(r.level[1].entry, 0);
    /* The legacy hole next to RAM: stops at the PTE. */
    ck_assert_int_eq(ept_walk(&ept, 0xa0000, &r), -1);
    ck_assert_int_eq(r.stop_level, 1);
    ck_assert_int_eq(r.nlevels, 4);
    /* Past the end of RAM. */
    ck_assert_int_eq(ept_walk(&ept, 0x800000, &r), -1);
    ck_assert_int_eq(r.stop_level, 2);
    /* Far away: the PML4E. */
    ck_assert_int_eq(ept_walk(&ept, 1ull << 40, &r), -1);
    ck_assert_int_eq(r.stop_level, 4);
    ck_assert_int_eq(r.nlevels, 1);
}
END_TEST

START_TEST(test_rebuild)
{
    /* Adding RAM and rebuilding maps it. */
    struct ept_walk_result r;
    ck_assert_int_eq(ept_walk(&ept, 0x900000, &r), -1);
    ck_assert_int_eq(memmap_add_ram(&mm, "more", 0x900000, 0x1000), 0);
    ept_destroy(&ept);
    ck_assert_int_eq(ept_build(&ept, &mm), 0);
    expect_host(0x900000, EPT_RWX, 4096);
    ck_assert_str_eq(ept_memtype_name(6), "WB");
    ck_assert_str_eq(ept_memtype_name(2), "reserved");
}
END_TEST

int main(void)
{
    Suite *s = suite_create("ept");
    TCase *tc = tcase_create("ept");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, test_eptp_format);
    tcase_add_test(tc, test_ram_rom_4k);
    tcase_add_test(tc, test_large_pages);
    tcase_add_test(tc, test_mmio_and_holes_not_present);
    tcase_add_test(tc, test_rebuild);
    suite_add_tcase(s, tc);
    return run_suite(s);
}
