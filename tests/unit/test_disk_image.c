/* The raw disk image backend: opening (and the messages when it cannot),
 * sizes, reads, writes reaching the file, read-only images. */
#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "devices/disk_image.h"
#include "tests/unit/run_suite.h"

static char dir[64];
static char path[128];

static void make_file(const char *p, size_t size, uint8_t seed)
{
    int fd = open(p, O_WRONLY | O_CREAT | O_TRUNC, 0644);
    ck_assert_int_ge(fd, 0);
    for (size_t i = 0; i < size; i++) {
        uint8_t b = (uint8_t)(seed + i * 7 + i / 512);
        ck_assert_int_eq(write(fd, &b, 1), 1);
    }
    close(fd);
}

static void file_bytes(const char *p, off_t off, void *buf, size_t n)
{
    int fd = open(p, O_RDONLY);
    ck_assert_int_ge(fd, 0);
    ck_assert_int_eq(pread(fd, buf, n, off), (ssize_t)n);
    close(fd);
}

static off_t file_size(const char *p)
{
    struct stat st;
    ck_assert_int_eq(stat(p, &st), 0);
    return st.st_size;
}

/* A new image at path of size bytes (make_file's bytes from seed), opened. */
static void open_new(struct disk_image *img, size_t size, uint8_t seed, bool readonly)
{
    make_file(path, size, seed);
    ck_assert_int_eq(disk_image_open(img, path, readonly, NULL, 0), 0);
}

static void setup(void)
{
    snprintf(dir, sizeof(dir), "/tmp/glass-disk-XXXXXX");
    ck_assert_ptr_nonnull(mkdtemp(dir));
    snprintf(path, sizeof(path), "%s/disk.img", dir);
}

static void teardown(void)
{
    char cmd[160];
    snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
    ck_assert_int_eq(system(cmd), 0);
}

START_TEST(missing_file_names_it)
{
    struct disk_image img;
    char err[256] = "";
    ck_assert_int_eq(disk_image_open(&img, path, false, err, sizeof(err)), -ENOENT);
    ck_assert_ptr_nonnull(strstr(err, path));
    ck_assert_ptr_nonnull(strstr(err, "No such file"));
}
END_TEST

START_TEST(directory_is_refused)
{
    struct disk_image img;
    char err[256] = "";
    ck_assert_int_eq(disk_image_open(&img, dir, false, err, sizeof(err)), -EISDIR);
    ck_assert_ptr_nonnull(strstr(err, dir));
    ck_assert_ptr_nonnull(strstr(err, "directory"));
    ck_assert_int_eq(disk_image_open(&img, dir, true, err, sizeof(err)), -EISDIR);
}
END_TEST

START_TEST(empty_file_is_refused)
{
    struct disk_image img;
    char err[256] = "";
    make_file(path, 0, 0);
    ck_assert_int_eq(disk_image_open(&img, path, false, err, sizeof(err)), -EINVAL);
    ck_assert_ptr_nonnull(strstr(err, "empty"));
}
END_TEST

START_TEST(not_a_file_is_refused)
{
    struct disk_image img;
    char err[256] = "";
    ck_assert_int_eq(disk_image_open(&img, "/dev/null", false, err, sizeof(err)), -EINVAL);
    ck_assert_ptr_nonnull(strstr(err, "/dev/null"));
}
END_TEST

START_TEST(unreadable_file_is_refused)
{
    if (geteuid() == 0)
        return;     /* root reads everything */
    struct disk_image img;
    char err[256] = "";
    make_file(path, 1024, 0);
    chmod(path, 0);
    ck_assert_int_eq(disk_image_open(&img, path, false, err, sizeof(err)), -EACCES);
    ck_assert_ptr_nonnull(strstr(err, path));
}
END_TEST

START_TEST(read_only_file_opens_read_only)
{
    if (geteuid() == 0)
        return;     /* root may write a 0444 file */
    struct disk_image img;
    make_file(path, 1024, 0);
    chmod(path, 0444);
    ck_assert_int_eq(disk_image_open(&img, path, false, NULL, 0), 0);
    ck_assert(img.readonly);
    disk_image_close(&img);
}
END_TEST

START_TEST(size_rounds_up_and_partial_sector_reads_zeros)
{
    struct disk_image img;
    uint8_t buf[1024], want[1000];
    open_new(&img, 1000, 3, false);
    ck_assert_uint_eq(disk_image_sectors(&img), 2);
    ck_assert_int_eq(disk_image_read(&img, 0, 2, buf), 0);
    file_bytes(path, 0, want, 1000);
    ck_assert_mem_eq(buf, want, 1000);
    for (int i = 1000; i < 1024; i++)
        ck_assert_uint_eq(buf[i], 0);
    disk_image_close(&img);
}
END_TEST

START_TEST(write_reaches_the_file_at_its_offset)
{
    struct disk_image img;
    uint8_t data[1024], back[1024], before[512];
    open_new(&img, 4096, 9, false);
    file_bytes(path, 0, before, 512);
    for (int i = 0; i < 1024; i++)
        data[i] = (uint8_t)(i ^ 0x5a);
    ck_assert_int_eq(disk_image_write(&img, 3, 2, data), 0);
    file_bytes(path, 3 * 512, back, 1024);
    ck_assert_mem_eq(back, data, 1024);
    file_bytes(path, 0, back, 512);
    ck_assert_mem_eq(back, before, 512);
    ck_assert_int_eq(disk_image_flush(&img), 0);
    ck_assert_int_eq(disk_image_read(&img, 3, 2, back), 0);
    ck_assert_mem_eq(back, data, 1024);
    ck_assert_int_eq(file_size(path), 4096);
    disk_image_close(&img);
}
END_TEST

START_TEST(write_to_partial_sector_completes_it)
{
    struct disk_image img;
    uint8_t data[512], back[512];
    open_new(&img, 700, 1, false);
    memset(data, 0xee, sizeof(data));
    ck_assert_int_eq(disk_image_write(&img, 1, 1, data), 0);
    ck_assert_int_eq(file_size(path), 1024);
    ck_assert_int_eq(disk_image_read(&img, 1, 1, back), 0);
    ck_assert_mem_eq(back, data, 512);
    disk_image_close(&img);
}
END_TEST

START_TEST(past_the_end_is_erange)
{
    struct disk_image img;
    uint8_t buf[1024];
    open_new(&img, 2048, 0, false);
    img.quiet = true;
    ck_assert_int_eq(disk_image_check_range(&img, 0, 4), 0);
    ck_assert_int_eq(disk_image_check_range(&img, 3, 2), -ERANGE);
    ck_assert_int_eq(disk_image_check_range(&img, UINT64_MAX, 2), -ERANGE);
    ck_assert_int_eq(disk_image_read(&img, 4, 1, buf), -ERANGE);
    ck_assert_int_eq(disk_image_write(&img, 3, 2, buf), -ERANGE);
    ck_assert(img.warned_range);
    ck_assert_int_eq(file_size(path), 2048);
    disk_image_close(&img);
}
END_TEST

START_TEST(readonly_asked_refuses_writes_and_keeps_the_file)
{
    struct disk_image img;
    uint8_t data[512], before[2048], after[2048];
    open_new(&img, 2048, 4, true);
    file_bytes(path, 0, before, 2048);
    img.quiet = true;
    ck_assert(img.readonly);
    memset(data, 0, sizeof(data));
    ck_assert_int_eq(disk_image_writable(&img), -EROFS);
    ck_assert_int_eq(disk_image_write(&img, 0, 1, data), -EROFS);
    ck_assert(img.warned_readonly);
    ck_assert_int_eq(disk_image_flush(&img), 0);
    ck_assert_int_eq(disk_image_read(&img, 0, 1, data), 0);
    ck_assert_mem_eq(data, before, 512);
    file_bytes(path, 0, after, 2048);
    ck_assert_mem_eq(after, before, 2048);
    disk_image_close(&img);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("disk_image");
    TCase *tc = tcase_create("raw");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, missing_file_names_it);
    tcase_add_test(tc, directory_is_refused);
    tcase_add_test(tc, empty_file_is_refused);
    tcase_add_test(tc, not_a_file_is_refused);
    tcase_add_test(tc, unreadable_file_is_refused);
    tcase_add_test(tc, read_only_file_opens_read_only);
    tcase_add_test(tc, size_rounds_up_and_partial_sector_reads_zeros);
    tcase_add_test(tc, write_reaches_the_file_at_its_offset);
    tcase_add_test(tc, write_to_partial_sector_completes_it);
    tcase_add_test(tc, past_the_end_is_erange);
    tcase_add_test(tc, readonly_asked_refuses_writes_and_keeps_the_file);
    suite_add_tcase(s, tc);
    return run_suite(s);
}
