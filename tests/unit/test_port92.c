/* System Control Port A (0x92): fast A20 and fast reset. */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "devices/iobus.h"
#include "devices/port92.h"
#include "tests/unit/run_suite.h"

static struct port92 p;
static int resets, a20_calls, a20_level;

static void on_reset(void *opaque) { (void)opaque; resets++; }
static void on_a20(void *opaque, bool on) { (void)opaque; a20_calls++; a20_level = on; }

static void setup(void)
{
    resets = a20_calls = 0;
    a20_level = -1;
    port92_init(&p, false);
    p.a20_change = on_a20;
    p.reset_request = on_reset;
}

START_TEST(a20_bit_calls_back_on_change_only)
{
    ck_assert(!port92_a20(&p));
    port92_write(&p, PORT92_ALT_A20_GATE);
    ck_assert_int_eq(a20_calls, 1);
    ck_assert_int_eq(a20_level, 1);
    ck_assert(port92_a20(&p));
    port92_write(&p, PORT92_ALT_A20_GATE | 0x80);   /* LED bit, A20 unchanged */
    ck_assert_int_eq(a20_calls, 1);
    ck_assert_uint_eq(port92_read(&p), 0x82);
    port92_write(&p, 0);
    ck_assert_int_eq(a20_calls, 2);
    ck_assert_int_eq(a20_level, 0);
    ck_assert_int_eq(resets, 0);
}
END_TEST

START_TEST(reset_on_rising_edge_of_bit_0)
{
    port92_write(&p, PORT92_ALT_HOT_RESET);
    ck_assert_int_eq(resets, 1);
    port92_write(&p, PORT92_ALT_HOT_RESET);         /* still 1: no edge */
    ck_assert_int_eq(resets, 1);
    port92_write(&p, 0);
    port92_write(&p, PORT92_ALT_HOT_RESET | PORT92_ALT_A20_GATE);
    ck_assert_int_eq(resets, 2);
    port92_reset(&p);                               /* machine reset clears bit 0 */
    ck_assert_uint_eq(port92_read(&p), PORT92_ALT_A20_GATE);
    port92_write(&p, PORT92_ALT_HOT_RESET | PORT92_ALT_A20_GATE);
    ck_assert_int_eq(resets, 3);
}
END_TEST

START_TEST(on_the_bus_and_without_callbacks)
{
    struct iobus bus;
    iobus_init(&bus);
    ck_assert_int_eq(port92_attach(&p, &bus), 0);
    iobus_write(&bus, 0x92, 1, 0x02);
    ck_assert_int_eq(a20_level, 1);
    ck_assert_uint_eq(iobus_read(&bus, 0x92, 1), 0x02);
    ck_assert_uint_eq(iobus_read(&bus, 0x92, 2), 0xff02);
    ck_assert_uint_eq(iobus_read(&bus, 0x92, 4), 0xffffff02u);
    p.a20_change = NULL;
    p.reset_request = NULL;
    for (unsigned v = 0; v < 256; v++)
        iobus_write(&bus, 0x92, 1, v);              /* no crash, no callback */
    ck_assert_int_eq(resets, 0);
}
END_TEST

START_TEST(save_and_load_round_trip)
{
    port92_write(&p, 0x4a);
    size_t need = port92_save(&p, NULL, 0);
    uint8_t buf[16];
    ck_assert_uint_le(need, sizeof(buf));
    ck_assert_uint_eq(port92_save(&p, buf, sizeof(buf)), need);
    ck_assert_uint_eq(port92_save(&p, buf, need - 1), 0);
    struct port92 copy;
    port92_init(&copy, false);
    ck_assert_int_eq(port92_load(&copy, buf, need), 0);
    ck_assert_uint_eq(port92_read(&copy), 0x4a);
    ck_assert(port92_a20(&copy));
    ck_assert_int_eq(port92_load(&copy, buf, need - 1), -22);
    buf[1] = 99;
    ck_assert_int_eq(port92_load(&copy, buf, need), -22);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("port92");
    TCase *tc = tcase_create("registers");
    tcase_add_checked_fixture(tc, setup, NULL);
    tcase_add_test(tc, a20_bit_calls_back_on_change_only);
    tcase_add_test(tc, reset_on_rising_edge_of_bit_0);
    tcase_add_test(tc, on_the_bus_and_without_callbacks);
    tcase_add_test(tc, save_and_load_round_trip);
    suite_add_tcase(s, tc);
    return run_suite(s);
}
