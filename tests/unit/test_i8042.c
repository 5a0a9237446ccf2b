/* The 8042 keyboard controller and the PS/2 keyboard behind it (IBM PS/2
 * Hardware Interface Technical Reference), register by register. */
#include <check.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "devices/i8042.h"
#include "devices/iobus.h"
#include "tests/unit/run_suite.h"

static struct i8042 k;
static int irq1, irq1_rises, irq12, resets, a20_calls, a20_level;

static void on_irq(void *opaque, int n, int level)
{
    (void)opaque;
    if (n == 1) {
        if (level && !irq1)
            irq1_rises++;
        irq1 = level;
    } else {
        ck_assert_int_eq(n, 12);
        irq12 = level;
    }
}

static void on_reset(void *opaque) { (void)opaque; resets++; }
static void on_a20(void *opaque, bool on) { (void)opaque; a20_calls++; a20_level = on; }

static void setup(void)
{
    irq1 = irq1_rises = irq12 = resets = a20_calls = 0;
    a20_level = -1;
    i8042_init(&k, false);
    irq_line_connect(&k.irq1, on_irq, NULL, 1);
    irq_line_connect(&k.irq12, on_irq, NULL, 12);
    k.reset_request = on_reset;
    k.a20_change = on_a20;
}

static uint8_t status(void) { return i8042_read(&k, I8042_COMMAND_PORT); }
static uint8_t data(void) { return i8042_read(&k, I8042_DATA_PORT); }
static void command(uint8_t c) { i8042_write(&k, I8042_COMMAND_PORT, c); }
static void put(uint8_t d) { i8042_write(&k, I8042_DATA_PORT, d); }

/* Every byte waiting, in order; returns how many. */
static int drain(uint8_t *out, int max)
{
    int n = 0;
    while ((status() & I8042_STR_OBF) && n < max)
        out[n++] = data();
    return n;
}

static void expect(const uint8_t *want, int n)
{
    uint8_t got[64];
    int m = drain(got, 64);
    ck_assert_int_eq(m, n);
    ck_assert_mem_eq(got, want, (size_t)n);
}

#define EXPECT(...) do { const uint8_t w[] = { __VA_ARGS__ }; expect(w, (int)sizeof(w)); } while (0)

START_TEST(status_and_command_byte_after_power_on)
{
    uint8_t s = status();
    ck_assert_uint_eq(s & I8042_STR_OBF, 0);
    ck_assert_uint_eq(s & I8042_STR_IBF, 0);
    ck_assert_uint_eq(s & I8042_STR_SYS, I8042_STR_SYS);
    ck_assert_uint_eq(s & I8042_STR_INH, I8042_STR_INH);
    command(0x20);
    ck_assert_uint_eq(status() & (I8042_STR_OBF | I8042_STR_A2), I8042_STR_OBF | I8042_STR_A2);
    ck_assert_int_eq(irq1, 1);          /* INT is set: replies interrupt too */
    ck_assert_uint_eq(data(), I8042_CMD_DEFAULT);
    ck_assert_int_eq(irq1, 0);
    ck_assert_uint_eq(status() & I8042_STR_OBF, 0);
    ck_assert_uint_eq(data(), I8042_CMD_DEFAULT);   /* stays readable */
}
END_TEST

START_TEST(write_command_byte_and_controller_ram)
{
    command(0x60);
    put(0x00);                          /* no INT, no SYS, no XLATE */
    ck_assert_uint_eq(status() & (I8042_STR_SYS | I8042_STR_A2), 0);
    command(0x20);
    ck_assert_int_eq(irq1, 0);
    EXPECT(0x00);
    command(0x65);
    put(0x5a);
    command(0x25);
    EXPECT(0x5a);
    command(0x60);
    put(I8042_CMD_SYS);
    ck_assert_uint_eq(status() & I8042_STR_SYS, I8042_STR_SYS);
}
END_TEST

START_TEST(self_tests_and_ports)
{
    command(I8042_SELF_TEST);
    EXPECT(0x55);
    command(I8042_TEST_KBD);
    EXPECT(0x00);
    command(I8042_TEST_AUX);
    EXPECT(0x00);
    command(I8042_READ_INPUT);
    EXPECT(I8042_INPUT_PORT);
    command(I8042_READ_OUTPUT);
    EXPECT(0xC0 | I8042_OUT_RESET);
    command(I8042_PASSWORD_CHECK);
    EXPECT(0xF1);
    command(0xA1);                      /* undefined: ignored */
    ck_assert_uint_eq(status() & I8042_STR_OBF, 0);
}
END_TEST

START_TEST(a20_through_the_output_port)
{
    ck_assert(!i8042_a20(&k));
    command(I8042_WRITE_OUTPUT);        /* what xv6's boot sector does */
    put(0xDF);
    ck_assert_int_eq(a20_level, 1);
    ck_assert(i8042_a20(&k));
    ck_assert_int_eq(resets, 0);
    command(I8042_READ_OUTPUT);
    ck_assert_uint_eq(data() & I8042_OUT_A20, I8042_OUT_A20);
    command(I8042_A20_OFF);
    ck_assert_int_eq(a20_level, 0);
    command(I8042_A20_ON);
    ck_assert_int_eq(a20_level, 1);
    command(I8042_A20_ON);
    ck_assert_int_eq(a20_calls, 3);     /* no change, no call */
}
END_TEST

START_TEST(reset_by_fe_and_output_port_bit_0)
{
    command(0xFE);
    ck_assert_int_eq(resets, 1);
    command(0xFF);                      /* pulses nothing */
    command(0xF1);                      /* bit 0 set: reset not pulsed */
    ck_assert_int_eq(resets, 1);
    command(0xF0);
    ck_assert_int_eq(resets, 2);
    command(I8042_WRITE_OUTPUT);
    put(0x02);                          /* reset line low */
    ck_assert_int_eq(resets, 3);
}
END_TEST

START_TEST(keyboard_data_irq1_and_translation)
{
    ck_assert_int_eq(i8042_key_event(&k, 0x1E, true), 0);   /* A */
    ck_assert_int_eq(irq1, 1);
    ck_assert_uint_eq(data(), 0x1E);    /* set 2 1C translated to set 1 */
    ck_assert_int_eq(irq1, 0);
    ck_assert_int_eq(i8042_key_event(&k, 0x1E, false), 0);
    EXPECT(0x9E);                       /* F0 1C -> 9E */
    ck_assert_int_eq(i8042_key_event(&k, 0xE048, true), 0);  /* Up */
    ck_assert_int_eq(i8042_key_event(&k, 0xE048, false), 0);
    EXPECT(0xE0, 0x48, 0xE0, 0xC8);
    ck_assert_int_eq(i8042_key_event(&k, 0x41, true), 0);    /* F7: set 2 83 */
    EXPECT(0x41);
    ck_assert_int_eq(i8042_key_event(&k, 0x55, true), -EINVAL);
    /* Translation off: raw set 2. */
    command(0x60);
    put(I8042_CMD_INT | I8042_CMD_SYS);
    i8042_key_event(&k, 0x1E, true);
    i8042_key_event(&k, 0x1E, false);
    i8042_key_event(&k, 0xE01D, false);     /* right Ctrl up */
    EXPECT(0x1C, 0xF0, 0x1C, 0xE0, 0xF0, 0x14);
    /* INT clear: data but no IRQ1. */
    command(0x60);
    put(I8042_CMD_SYS);
    i8042_key_event(&k, 0x39, true);
    ck_assert_uint_eq(status() & I8042_STR_OBF, I8042_STR_OBF);
    ck_assert_int_eq(irq1, 0);
    command(0x60);                      /* setting INT with data waiting raises it */
    put(I8042_CMD_SYS | I8042_CMD_INT);
    ck_assert_int_eq(irq1, 1);
    EXPECT(0x29);
}
END_TEST

/* Entries of the 8042's set 2 -> set 1 table, spot-checked against the
 * published table (PS/2 reference, "scan code translation"). */
START_TEST(translation_table_entries)
{
    static const uint8_t pairs[][2] = {
        { 0x76, 0x01 }, { 0x0E, 0x29 }, { 0x0D, 0x0F }, { 0x5A, 0x1C }, { 0x29, 0x39 },
        { 0x61, 0x56 }, { 0x78, 0x57 }, { 0x07, 0x58 }, { 0x7C, 0x37 }, { 0x77, 0x45 },
        { 0x01, 0x43 }, { 0x03, 0x3F }, { 0x83, 0x41 }, { 0x84, 0x54 }, { 0x00, 0xFF },
        { 0x02, 0x41 }, { 0xE0, 0xE0 }, { 0xFA, 0xFA }, { 0xAA, 0xAA }, { 0xEE, 0xEE },
    };
    for (size_t i = 0; i < sizeof(pairs) / sizeof(pairs[0]); i++)
        ck_assert_uint_eq(ps2_translate_set2(pairs[i][0]), pairs[i][1]);
    /* Reset through the translator: FA AA unchanged. */
    put(KBD_CMD_RESET);
    EXPECT(0xFA, 0xAA);
    /* Get scan code set with translation on reads 41 for set 2. */
    put(KBD_CMD_SCANCODE_SET);
    put(0);
    EXPECT(0xFA, 0xFA, 0x41);
}
END_TEST

START_TEST(one_edge_per_byte)
{
    i8042_type_ascii(&k, 'x');          /* 2D make, AD break */
    ck_assert_int_eq(irq1_rises, 1);
    ck_assert_uint_eq(data(), 0x2D);
    ck_assert_int_eq(irq1_rises, 2);
    ck_assert_uint_eq(data(), 0xAD);
    ck_assert_int_eq(irq1, 0);
}
END_TEST

START_TEST(disable_keyboard_interface_holds_data)
{
    command(I8042_DISABLE_KBD);
    i8042_key_event(&k, 0x10, true);
    ck_assert_uint_eq(status() & I8042_STR_OBF, 0);
    command(0x20);
    EXPECT(I8042_CMD_DEFAULT | I8042_CMD_DISABLE_KBD);
    command(I8042_ENABLE_KBD);
    EXPECT(0x10);
    command(I8042_DISABLE_AUX);
    command(0x20);
    EXPECT(I8042_CMD_DEFAULT | I8042_CMD_DISABLE_AUX);
    command(I8042_ENABLE_AUX);
    command(0x20);
    EXPECT(I8042_CMD_DEFAULT);
}
END_TEST

START_TEST(write_output_buffers_and_absent_mouse)
{
    command(I8042_WRITE_KBD_OBUF);
    put(0xF0);                          /* not translated */
    ck_assert_int_eq(irq1, 1);
    EXPECT(0xF0);
    command(0x60);
    put(I8042_CMD_DEFAULT | I8042_CMD_INT2);
    command(I8042_WRITE_AUX_OBUF);
    put(0x77);
    ck_assert_uint_eq(status() & (I8042_STR_OBF | I8042_STR_MOBF), I8042_STR_OBF | I8042_STR_MOBF);
    ck_assert_int_eq(irq12, 1);
    ck_assert_int_eq(irq1, 0);
    EXPECT(0x77);
    ck_assert_int_eq(irq12, 0);
    command(I8042_WRITE_AUX);
    put(0xFF);                          /* reset the mouse: nobody answers */
    ck_assert_uint_eq(status() & I8042_STR_TO, I8042_STR_TO);
    EXPECT(0xFE);
}
END_TEST

START_TEST(keyboard_commands)
{
    put(KBD_CMD_RESET);
    EXPECT(0xFA, 0xAA);
    put(KBD_CMD_ECHO);
    EXPECT(0xEE);
    put(KBD_CMD_SET_LEDS);
    EXPECT(0xFA);
    put(0x07);
    EXPECT(0xFA);
    ck_assert_uint_eq(k.kbd.leds, 7);
    put(KBD_CMD_TYPEMATIC);
    put(0x20);
    EXPECT(0xFA, 0xFA);
    ck_assert_uint_eq(k.kbd.typematic, 0x20);
    /* Identify: AB 83, which translation turns into AB 41. */
    put(KBD_CMD_IDENTIFY);
    EXPECT(0xFA, 0xAB, 0x41);
    command(0x60);
    put(I8042_CMD_INT | I8042_CMD_SYS);
    put(KBD_CMD_IDENTIFY);
    EXPECT(0xFA, 0xAB, 0x83);
    /* Scan code sets. */
    put(KBD_CMD_SCANCODE_SET);
    put(0);
    EXPECT(0xFA, 0xFA, 0x02);
    put(KBD_CMD_SCANCODE_SET);
    put(1);
    EXPECT(0xFA, 0xFA);
    i8042_key_event(&k, 0xE048, false);
    EXPECT(0xE0, 0xC8);                 /* set 1 from the keyboard itself */
    put(KBD_CMD_SCANCODE_SET);
    put(9);
    EXPECT(0xFA, 0xFE);                 /* no such set */
    /* Disable, enable, defaults. */
    put(KBD_CMD_DEFAULT_DISABLE);
    EXPECT(0xFA);
    ck_assert_uint_eq(k.kbd.scancode_set, 2);
    ck_assert_int_eq(i8042_key_event(&k, 0x1E, true), -EAGAIN);
    ck_assert_uint_eq(status() & I8042_STR_OBF, 0);
    put(KBD_CMD_ENABLE);
    EXPECT(0xFA);
    ck_assert_int_eq(i8042_key_event(&k, 0x1E, true), 0);
    i8042_key_event(&k, 0x1E, false);
    put(KBD_CMD_SET_DEFAULT);           /* clears the keyboard's queue ... */
    EXPECT(0x1C, 0xFA);                 /* ... not the controller's buffer */
    /* Resend repeats the last byte sent; unknown bytes ask for a resend. */
    put(KBD_CMD_ECHO);
    EXPECT(0xEE);
    put(KBD_CMD_RESEND);
    EXPECT(0xEE);
    put(0x42);
    EXPECT(0xFE);
    put(0xF8);
    EXPECT(0xFA);
    /* A command in place of an argument is a command. */
    put(KBD_CMD_SET_LEDS);
    put(KBD_CMD_ECHO);
    EXPECT(0xFA, 0xEE);
}
END_TEST

START_TEST(typing_ascii)
{
    ck_assert_int_eq(i8042_type_ascii(&k, 'H'), 0);
    EXPECT(0x2A, 0x23, 0xA3, 0xAA);
    ck_assert_int_eq(i8042_type_ascii(&k, '!'), 0);
    EXPECT(0x2A, 0x02, 0x82, 0xAA);
    ck_assert_int_eq(i8042_type_ascii(&k, '\n'), 0);
    EXPECT(0x1C, 0x9C);
    ck_assert_int_eq(i8042_type_ascii(&k, 0x03), 0);     /* Ctrl-C */
    EXPECT(0x1D, 0x2E, 0xAE, 0x9D);
    ck_assert_int_eq(i8042_type_ascii(&k, '/'), 0);
    EXPECT(0x35, 0xB5);
    ck_assert_int_eq(i8042_type_ascii(&k, '~'), 0);
    EXPECT(0x2A, 0x29, 0xA9, 0xAA);
    ck_assert_int_eq(i8042_type_ascii(&k, (char)0xe9), -EINVAL);
    ck_assert_int_eq(i8042_type_ascii(&k, 0), -EINVAL);
    /* Every printable character types. */
    for (int c = 0x20; c < 0x7f; c++) {
        ck_assert_int_eq(i8042_type_ascii(&k, (char)c), 0);
        uint8_t buf[16];
        ck_assert_int_ge(drain(buf, 16), 2);
    }
}
END_TEST

START_TEST(full_queue_refuses_keys_whole)
{
    command(I8042_DISABLE_KBD);         /* nobody reads */
    int typed = 0;
    while (i8042_type_ascii(&k, 'a') == 0)
        typed++;
    /* 'a' is 1C F0 1C in set 2; typing needs room for 6 bytes. */
    ck_assert_int_eq(typed, (PS2_KBD_QUEUE - PS2_KBD_REPLY_ROOM - 6) / 3 + 1);
    ck_assert_int_eq(i8042_key_event(&k, 0x1E, true), 0);   /* one byte still fits */
    command(I8042_ENABLE_KBD);
    uint8_t buf[PS2_KBD_QUEUE];
    int n = drain(buf, PS2_KBD_QUEUE);
    ck_assert_int_eq(n, typed * 2 + 1);
    for (int i = 0; i < typed; i++) {
        ck_assert_uint_eq(buf[2 * i], 0x1E);
        ck_assert_uint_eq(buf[2 * i + 1], 0x9E);
    }
}
END_TEST

START_TEST(ports_on_the_bus_and_any_value_anywhere)
{
    struct iobus bus;
    iobus_init(&bus);
    ck_assert_int_eq(i8042_attach(&k, &bus), 0);
    ck_assert_ptr_null(iobus_find(&bus, 0x61));
    iobus_write(&bus, 0x64, 1, 0x20);
    ck_assert_uint_eq(iobus_read(&bus, 0x64, 1) & 1, 1);
    ck_assert_uint_eq(iobus_read(&bus, 0x60, 2), 0xff00 | I8042_CMD_DEFAULT);
    srand(42);
    for (int i = 0; i < 300000; i++) {
        uint16_t port = (rand() & 1) ? 0x60 : 0x64;
        switch (rand() % 4) {
        case 0: iobus_write(&bus, port, 1, (uint32_t)rand()); break;
        case 1: iobus_read(&bus, port, 1 << (rand() % 3)); break;
        case 2: i8042_key_event(&k, rand() % 0x60 | ((rand() & 1) ? 0xE000 : 0), rand() & 1); break;
        case 3: i8042_type_ascii(&k, (char)rand()); break;
        }
    }
}
END_TEST

START_TEST(save_and_load_round_trip)
{
    command(0x60);
    put(I8042_CMD_DEFAULT | I8042_CMD_INT2);
    command(0x6a);
    put(0x99);
    command(I8042_WRITE_OUTPUT);
    put(0xC3);
    put(KBD_CMD_SET_LEDS);
    put(0x05);
    EXPECT(0xFA, 0xFA);
    i8042_type_ascii(&k, 'Q');          /* 4 bytes in set 1: one in the buffer */
    put(KBD_CMD_TYPEMATIC);             /* pending argument after the ACK */
    ck_assert_int_eq(irq1, 1);

    size_t need = i8042_save(&k, NULL, 0);
    uint8_t *buf = malloc(need);
    ck_assert_uint_eq(i8042_save(&k, buf, need), need);
    ck_assert_uint_eq(i8042_save(&k, buf, need - 1), 0);

    struct i8042 c;
    i8042_init(&c, false);
    ck_assert_int_eq(i8042_load(&c, buf, need - 1), -22);
    ck_assert_int_eq(i8042_load(&c, buf, need), 0);
    ck_assert(i8042_a20(&c));
    ck_assert_uint_eq(c.kbd.leds, 5);
    ck_assert_uint_eq(c.kbd.pending_cmd, KBD_CMD_TYPEMATIC);
    /* The copy continues exactly where the original was. */
    for (int i = 0; i < 6; i++) {
        ck_assert_uint_eq(i8042_read(&c, 0x64), status());
        ck_assert_uint_eq(i8042_read(&c, 0x60), data());
    }
    i8042_write(&c, 0x64, 0x2a);
    ck_assert_uint_eq(i8042_read(&c, 0x60), 0x99);
    buf[0] ^= 1;
    ck_assert_int_eq(i8042_load(&c, buf, need), -22);
    buf[0] ^= 1;
    buf[I8042_RAM_SIZE + 2 + 6] = 200;  /* impossible reply count */
    ck_assert_int_eq(i8042_load(&c, buf, need), -22);
    free(buf);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("i8042");
    TCase *tc = tcase_create("registers");
    tcase_add_checked_fixture(tc, setup, NULL);
    tcase_add_test(tc, status_and_command_byte_after_power_on);
    tcase_add_test(tc, write_command_byte_and_controller_ram);
    tcase_add_test(tc, self_tests_and_ports);
    tcase_add_test(tc, a20_through_the_output_port);
    tcase_add_test(tc, reset_by_fe_and_output_port_bit_0);
    tcase_add_test(tc, keyboard_data_irq1_and_translation);
    tcase_add_test(tc, translation_table_entries);
    tcase_add_test(tc, one_edge_per_byte);
    tcase_add_test(tc, disable_keyboard_interface_holds_data);
    tcase_add_test(tc, write_output_buffers_and_absent_mouse);
    tcase_add_test(tc, keyboard_commands);
    tcase_add_test(tc, typing_ascii);
    tcase_add_test(tc, full_queue_refuses_keys_whole);
    tcase_add_test(tc, ports_on_the_bus_and_any_value_anywhere);
    tcase_add_test(tc, save_and_load_round_trip);
    suite_add_tcase(s, tc);
    return run_suite(s);
}
