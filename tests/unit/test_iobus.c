/* The io bus: registration rules, dispatch to the right handler, unclaimed
 * ports. */
#include <check.h>
#include <errno.h>
#include <stdlib.h>

#include "devices/iobus.h"
#include "tests/unit/run_suite.h"

struct fake_device {
    uint16_t last_port;
    int last_size;
    uint32_t last_val;
    int writes;
    uint32_t read_value;
};

static uint32_t fake_read(void *opaque, uint16_t port, int size)
{
    struct fake_device *d = opaque;
    d->last_port = port;
    d->last_size = size;
    return d->read_value;
}

static void fake_write(void *opaque, uint16_t port, int size, uint32_t val)
{
    struct fake_device *d = opaque;
    d->last_port = port;
    d->last_size = size;
    d->last_val = val;
    d->writes++;
}

START_TEST(dispatches_to_the_claiming_device)
{
    struct iobus bus;
    struct fake_device a = { .read_value = 0x11 }, b = { .read_value = 0x22 };
    iobus_init(&bus);
    ck_assert_int_eq(iobus_register(&bus, "b", 0x3f8, 8, fake_read, fake_write, &b), 0);
    ck_assert_int_eq(iobus_register(&bus, "a", 0x80, 1, fake_read, fake_write, &a), 0);

    ck_assert_uint_eq(iobus_read(&bus, 0x3fd, 1), 0x22);
    ck_assert_uint_eq(b.last_port, 0x3fd);
    ck_assert_int_eq(b.last_size, 1);
    iobus_write(&bus, 0x80, 1, 0x5a);
    ck_assert_uint_eq(a.last_val, 0x5a);
    ck_assert_int_eq(b.writes, 0);
    ck_assert_str_eq(iobus_find(&bus, 0x3ff)->name, "b");
    ck_assert_ptr_null(iobus_find(&bus, 0x400));
    ck_assert_ptr_null(iobus_find(&bus, 0x3f7));
}
END_TEST

START_TEST(values_are_masked_to_the_access_size)
{
    struct iobus bus;
    struct fake_device d = { .read_value = 0xdeadbeef };
    iobus_init(&bus);
    ck_assert_int_eq(iobus_register(&bus, "d", 0x100, 4, fake_read, fake_write, &d), 0);
    ck_assert_uint_eq(iobus_read(&bus, 0x100, 1), 0xef);
    ck_assert_uint_eq(iobus_read(&bus, 0x100, 2), 0xbeef);
    ck_assert_uint_eq(iobus_read(&bus, 0x100, 4), 0xdeadbeef);
    iobus_write(&bus, 0x102, 2, 0x12345678);
    ck_assert_uint_eq(d.last_val, 0x5678);
    ck_assert_int_eq(d.last_size, 2);
}
END_TEST

START_TEST(unclaimed_ports_read_all_ones_and_are_counted)
{
    struct iobus bus;
    iobus_init(&bus);
    ck_assert_uint_eq(iobus_read(&bus, 0x60, 1), 0xff);
    ck_assert_uint_eq(iobus_read(&bus, 0x60, 2), 0xffff);
    ck_assert_uint_eq(iobus_read(&bus, 0x60, 4), 0xffffffff);
    iobus_write(&bus, 0x64, 1, 0xfe);
    ck_assert_uint_eq(bus.unclaimed_reads, 3);
    ck_assert_uint_eq(bus.unclaimed_writes, 1);
    ck_assert_uint_eq(bus.last_unclaimed_port, 0x64);
}
END_TEST

START_TEST(overlapping_and_bad_ranges_are_refused)
{
    struct iobus bus;
    struct fake_device d = { 0 };
    iobus_init(&bus);
    ck_assert_int_eq(iobus_register(&bus, "com1", 0x3f8, 8, fake_read, fake_write, &d), 0);
    ck_assert_int_eq(iobus_register(&bus, "x", 0x3ff, 1, fake_read, fake_write, &d), -EEXIST);
    ck_assert_int_eq(iobus_register(&bus, "x", 0x3f0, 9, fake_read, fake_write, &d), -EEXIST);
    ck_assert_int_eq(iobus_register(&bus, "x", 0x3f0, 8, fake_read, fake_write, &d), 0);
    ck_assert_int_eq(iobus_register(&bus, "x", 0x400, 0, fake_read, fake_write, &d), -EINVAL);
    ck_assert_int_eq(iobus_register(&bus, "x", 0xffff, 2, fake_read, fake_write, &d), -EINVAL);
    ck_assert_int_eq(iobus_register(&bus, "top", 0xffff, 1, fake_read, fake_write, &d), 0);
    ck_assert_str_eq(iobus_find(&bus, 0xffff)->name, "top");
}
END_TEST

START_TEST(many_handlers_stay_sorted_for_lookup)
{
    struct iobus bus;
    struct fake_device d[IOBUS_MAX_HANDLERS];
    iobus_init(&bus);
    /* Register in a scrambled order; each claims 4 ports at 16 * k. */
    for (int i = 0; i < IOBUS_MAX_HANDLERS; i++) {
        int k = (i * 37) % IOBUS_MAX_HANDLERS;
        d[k].read_value = (uint32_t)k;
        ck_assert_int_eq(iobus_register(&bus, "d", (uint16_t)(16 * k), 4, fake_read, NULL, &d[k]), 0);
    }
    ck_assert_int_eq(iobus_register(&bus, "full", 0x8000, 1, fake_read, NULL, &d[0]), -ENOSPC);
    for (int k = 0; k < IOBUS_MAX_HANDLERS; k++) {
        ck_assert_uint_eq(iobus_read(&bus, (uint16_t)(16 * k + 3), 1), (uint32_t)k);
        ck_assert_uint_eq(iobus_read(&bus, (uint16_t)(16 * k + 4), 1), 0xff);
    }
    /* A write to a handler without a write callback is dropped and counted. */
    iobus_write(&bus, 0x10, 1, 1);
    ck_assert_uint_eq(bus.unclaimed_writes, 1);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("iobus");
    TCase *tc = tcase_create("iobus");
    tcase_add_test(tc, dispatches_to_the_claiming_device);
    tcase_add_test(tc, values_are_masked_to_the_access_size);
    tcase_add_test(tc, unclaimed_ports_read_all_ones_and_are_counted);
    tcase_add_test(tc, overlapping_and_bad_ranges_are_refused);
    tcase_add_test(tc, many_handlers_stay_sorted_for_lookup);
    suite_add_tcase(s, tc);
    return run_suite(s);
}
