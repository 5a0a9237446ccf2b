/* The guest-physical memory map: regions, the memfd backing, bulk access,
 * MMIO dispatch and the code-page write hook. */
#include <check.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "mem/memmap.h"
#include "tests/unit/run_suite.h"

static struct memmap mm;

/* A fake device: remembers the last access, reads return offset | size<<8. */
struct fake_dev {
    uint64_t last_off, last_val;
    int last_size, reads, writes;
};
static struct fake_dev dev;

static uint64_t dev_read(void *opaque, uint64_t off, int size)
{
    struct fake_dev *d = opaque;
    d->last_off = off;
    d->last_size = size;
    d->reads++;
    return off | ((uint64_t)size << 8);
}

static void dev_write(void *opaque, uint64_t off, int size, uint64_t val)
{
    struct fake_dev *d = opaque;
    d->last_off = off;
    d->last_size = size;
    d->last_val = val;
    d->writes++;
}

static const struct mmio_ops dev_ops = { dev_read, dev_write };

static void setup(void)
{
    memset(&dev, 0, sizeof(dev));
    ck_assert_int_eq(memmap_init(&mm, 16 << 20), 0);
    ck_assert_int_eq(memmap_add_ram(&mm, "low", 0, 0xa0000), 0);
    ck_assert_int_eq(memmap_add_rom(&mm, "bios", 0xf0000, 0x10000), 0);
    ck_assert_int_eq(memmap_add_ram(&mm, "high", 0x100000, 0x400000), 0);
    ck_assert_int_eq(memmap_add_mmio(&mm, "dev", 0xfee00000, 0x100, &dev_ops, &dev), 0);
}

static void teardown(void)
{
    memmap_destroy(&mm);
}

START_TEST(test_regions_and_errors)
{
    ck_assert_int_eq(mm.nregions, 4);
    /* Sorted by gpa. */
    for (int i = 1; i < mm.nregions; i++)
        ck_assert_uint_lt(mm.region[i - 1].gpa, mm.region[i].gpa);
    ck_assert_int_eq(memmap_add_ram(&mm, "overlap", 0x9f000, 0x2000), -EEXIST);
    ck_assert_int_eq(memmap_add_mmio(&mm, "overlap", 0xfee000ff, 4, &dev_ops, NULL), -EEXIST);
    ck_assert_int_eq(memmap_add_ram(&mm, "odd", 0x600001, 0x1000), -EINVAL);
    ck_assert_int_eq(memmap_add_ram(&mm, "odd", 0x600000, 0x800), -EINVAL);
    ck_assert_int_eq(memmap_add_ram(&mm, "zero", 0x600000, 0), -EINVAL);
    ck_assert_int_eq(memmap_add_ram(&mm, "huge", 0x10000000, 64 << 20), -ENOSPC);
    ck_assert_int_eq(mm.nregions, 4);

    const struct mem_region *r = memmap_find(&mm, 0xf1234);
    ck_assert_ptr_nonnull(r);
    ck_assert_str_eq(r->name, "bios");
    ck_assert_int_eq(r->kind, MEM_ROM);
    ck_assert_ptr_null(memmap_find(&mm, 0xa0000));
    ck_assert_ptr_null(memmap_find(&mm, 0xfee00100));
    ck_assert_int_eq(memmap_find(&mm, 0xfee000ff)->kind, MEM_MMIO);
    ck_assert_ptr_eq(memmap_find(&mm, 0x4fffff), memmap_find(&mm, 0x100000));
    ck_assert_ptr_null(memmap_find(&mm, 0x500000));
}
END_TEST

START_TEST(test_host_ptr_and_memfd)
{
    uint8_t *p = memmap_host_ptr(&mm, 0x100000, 0x400000);
    ck_assert_ptr_nonnull(p);
    ck_assert_ptr_null(memmap_host_ptr(&mm, 0x100000, 0x400001)); /* past the end */
    ck_assert_ptr_null(memmap_host_ptr(&mm, 0x9ffff, 2));          /* into the hole */
    ck_assert_ptr_null(memmap_host_ptr(&mm, 0xfee00000, 1));       /* MMIO */

    /* The bytes live in the memfd at the region's offset. */
    const struct mem_region *r = memmap_find(&mm, 0x100000);
    memcpy(p + 0x1234, "glass", 5);
    char buf[5];
    ck_assert_int_eq(pread(mm.fd, buf, 5, (off_t)(r->offset + 0x1234)), 5);
    ck_assert_mem_eq(buf, "glass", 5);
    /* Regions of 2 MiB or more sit at an offset congruent to their gpa
     * modulo 2 MiB, so the EPT can use large pages. */
    ck_assert_uint_eq(r->offset & 0x1fffff, 0x100000);
}
END_TEST

START_TEST(test_read_write_across_regions)
{
    uint8_t in[16], out[16];
    for (int i = 0; i < 16; i++)
        in[i] = (uint8_t)(0x10 + i);
    ck_assert_int_eq(memmap_write(&mm, 0x1000, in, 16), 0);
    ck_assert_int_eq(memmap_read(&mm, 0x1000, out, 16), 0);
    ck_assert_mem_eq(in, out, 16);

    /* ROM: loaders may write it. */
    ck_assert_int_eq(memmap_write(&mm, 0xffff0, in, 16), 0);
    ck_assert_int_eq(memmap_read(&mm, 0xffff0, out, 16), 0);
    ck_assert_mem_eq(in, out, 16);

    /* Straddling the end of ROM into high RAM: contiguous GPAs, two regions. */
    ck_assert_int_eq(memmap_write(&mm, 0xffff8, in, 16), 0);
    ck_assert_int_eq(memmap_read(&mm, 0xffff8, out, 16), 0);
    ck_assert_mem_eq(in, out, 16);
    ck_assert_uint_eq(*(uint8_t *)memmap_host_ptr(&mm, 0x100000, 1), 0x18);

    /* Straddling the end of low RAM into the hole: the hole reads all ones. */
    memset(out, 0, sizeof(out));
    ck_assert_int_eq(memmap_write(&mm, 0x9fff8, in, 16), -EFAULT);
    ck_assert_int_eq(memmap_read(&mm, 0x9fff8, out, 16), -EFAULT);
    ck_assert_mem_eq(out, in, 8);
    for (int i = 8; i < 16; i++)
        ck_assert_uint_eq(out[i], 0xff);
}
END_TEST

START_TEST(test_mmio_dispatch)
{
    uint64_t v = 0;
    ck_assert_int_eq(memmap_read(&mm, 0xfee00010, &v, 4), 0);
    ck_assert_uint_eq(v, 0x410);
    ck_assert_int_eq(dev.last_size, 4);

    /* An unaligned 8-byte read is split into natural pieces: 4 then 2... */
    ck_assert_int_eq(memmap_read(&mm, 0xfee00024, &v, 8), 0);
    ck_assert_int_eq(dev.reads, 1 + 2);
    ck_assert_uint_eq(dev.last_off, 0x28);
    ck_assert_int_eq(dev.last_size, 4);

    uint32_t w = 0xdeadbeef;
    ck_assert_int_eq(memmap_write(&mm, 0xfee00040, &w, 4), 0);
    ck_assert_uint_eq(dev.last_off, 0x40);
    ck_assert_uint_eq(dev.last_val, 0xdeadbeef);
    ck_assert_int_eq(dev.last_size, 4);

    /* The exit-answering helper. */
    uint64_t d = 0x55;
    ck_assert_int_eq(memmap_mmio_access(&mm, 0xfee00008, 1, true, &d), 0);
    ck_assert_uint_eq(dev.last_val, 0x55);
    ck_assert_int_eq(memmap_mmio_access(&mm, 0xfee00008, 2, false, &d), 0);
    ck_assert_uint_eq(d, 0x208);
    ck_assert_int_eq(memmap_mmio_access(&mm, 0x1000, 2, false, &d), -ENOENT);
    ck_assert_uint_eq(d, ~0ull);
}
END_TEST

/* The code-page hook. */
static uint64_t hook_gpa, hook_len;
static int hook_calls;
static void code_hook(void *opaque, uint64_t gpa, uint64_t len)
{
    ck_assert_ptr_eq(opaque, &hook_calls);
    hook_gpa = gpa;
    hook_len = len;
    hook_calls++;
}

START_TEST(test_code_hook)
{
    hook_calls = 0;
    memmap_set_code_hook(&mm, code_hook, &hook_calls);
    uint64_t gen = memmap_write_gen(&mm);
    ck_assert(!memmap_is_code(&mm, 0x200123));
    memmap_mark_code(&mm, 0x200123);
    ck_assert(memmap_is_code(&mm, 0x200000));
    ck_assert(memmap_is_code(&mm, 0x200fff));
    ck_assert(!memmap_is_code(&mm, 0x201000));
    ck_assert_uint_eq(memmap_write_gen(&mm), gen + 1);
    memmap_mark_code(&mm, 0x200456); /* already marked: no new generation */
    ck_assert_uint_eq(memmap_write_gen(&mm), gen + 1);
    memmap_mark_code(&mm, 0xfee00000); /* MMIO cannot hold code: ignored */
    ck_assert(!memmap_is_code(&mm, 0xfee00000));

    uint8_t b[8] = { 1, 2, 3, 4, 5, 6, 7, 8 };
    ck_assert_int_eq(memmap_write(&mm, 0x201000, b, 8), 0);
    ck_assert_int_eq(hook_calls, 0);
    /* A write straddling into the marked page fires, after the write. */
    ck_assert_int_eq(memmap_write(&mm, 0x1ffffc, b, 8), 0);
    ck_assert_int_eq(hook_calls, 1);
    ck_assert_uint_eq(hook_gpa, 0x1ffffc);
    ck_assert_uint_eq(hook_len, 8);
    ck_assert_uint_eq(*(uint8_t *)memmap_host_ptr(&mm, 0x200003, 1), 8);
    /* Reads never fire. */
    ck_assert_int_eq(memmap_read(&mm, 0x200000, b, 8), 0);
    ck_assert_int_eq(hook_calls, 1);

    memmap_unmark_code(&mm, 0x200000);
    ck_assert(!memmap_is_code(&mm, 0x200000));
    ck_assert_int_eq(memmap_write(&mm, 0x200000, b, 8), 0);
    ck_assert_int_eq(hook_calls, 1);
}
END_TEST

START_TEST(test_dirty_log)
{
    uint64_t words = memmap_dirty_words(&mm);
    uint64_t *bm = calloc(words, sizeof(uint64_t));
    uint8_t b = 1;
    ck_assert_int_eq(memmap_dirty_log_sync(&mm, bm), -EINVAL); /* not logging */
    uint64_t gen = memmap_write_gen(&mm);
    ck_assert_int_eq(memmap_dirty_log_start(&mm), 0);
    ck_assert(memmap_dirty_logging(&mm));
    ck_assert_uint_gt(memmap_write_gen(&mm), gen);
    ck_assert_int_eq(memmap_dirty_log_sync(&mm, bm), 0);

    /* A DMA write straddling two pages of high RAM dirties both. */
    uint8_t two[2] = { 1, 2 };
    ck_assert_int_eq(memmap_write(&mm, 0x300fff, two, 2), 0);
    ck_assert_int_eq(memmap_write(&mm, 0x5000, &b, 1), 0);
    ck_assert_int_eq(memmap_read(&mm, 0x8000, &b, 1), 0); /* reads do not */
    ck_assert_int_eq(memmap_dirty_log_sync(&mm, bm), 3);
    const struct mem_region *hi = memmap_find(&mm, 0x300000);
    uint64_t page = (hi->offset + 0x200fff) >> 12;
    ck_assert((bm[page / 64] >> (page % 64)) & 1);
    page++;
    ck_assert((bm[page / 64] >> (page % 64)) & 1);
    ck_assert(bm[0] & (1ull << 5)); /* low RAM sits at offset 0 */
    ck_assert(!(bm[0] & (1ull << 8)));
    /* Sync cleared the log. */
    ck_assert_int_eq(memmap_dirty_log_sync(&mm, bm), 0);
    memmap_dirty_log_stop(&mm);
    ck_assert(!memmap_dirty_logging(&mm));
    free(bm);
}
END_TEST

START_TEST(test_init_destroy_again)
{
    struct memmap m2;
    ck_assert_int_eq(memmap_init(&m2, 4096), 0);
    ck_assert_int_eq(memmap_add_ram(&m2, "one", 0x1000, 0x1000), 0);
    ck_assert_int_eq(memmap_add_ram(&m2, "two", 0x3000, 0x1000), -ENOSPC);
    memmap_destroy(&m2);
    ck_assert_int_eq(m2.fd, -1);
    ck_assert_ptr_null(m2.ram);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("memmap");
    TCase *tc = tcase_create("memmap");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, test_regions_and_errors);
    tcase_add_test(tc, test_host_ptr_and_memfd);
    tcase_add_test(tc, test_read_write_across_regions);
    tcase_add_test(tc, test_mmio_dispatch);
    tcase_add_test(tc, test_code_hook);
    tcase_add_test(tc, test_dirty_log);
    tcase_add_test(tc, test_init_destroy_again);
    suite_add_tcase(s, tc);
    return run_suite(s);
}
