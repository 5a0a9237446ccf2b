/* VGA text mode registers (IBM VGA Technical Reference) and the text view
 * of the screen. */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "devices/iobus.h"
#include "devices/vga_text.h"
#include "mem/memmap.h"
#include "tests/unit/run_suite.h"

static struct vga_text v;
static struct memmap mm;

static void setup(void)
{
    vga_text_init(&v);
    ck_assert_int_eq(memmap_init(&mm, 1 << 20), 0);
    ck_assert_int_eq(memmap_add_ram(&mm, "low", 0, 0xa0000), 0);
    ck_assert_int_eq(memmap_add_ram(&mm, "vga", 0xa0000, 0x20000), 0);
}

static void teardown(void)
{
    memmap_destroy(&mm);
}

static void crtc_set(uint8_t reg, uint8_t val)
{
    vga_text_write(&v, VGA_CRTC_INDEX, reg);
    vga_text_write(&v, VGA_CRTC_DATA, val);
}

static uint8_t crtc_get(uint8_t reg)
{
    vga_text_write(&v, VGA_CRTC_INDEX, reg);
    return vga_text_read(&v, VGA_CRTC_DATA);
}

/* Write a string at (row, col) with attribute 0x07, as a guest would. */
static void put_text(int row, int col, const char *s)
{
    for (; *s; s++, col++) {
        uint8_t cell[2] = { (uint8_t)*s, 0x07 };
        memmap_write(&mm, VGA_TEXT_BASE + (uint64_t)(row * 80 + col) * 2, cell, 2);
    }
}

START_TEST(mode3_registers_after_init)
{
    ck_assert_uint_eq(vga_text_read(&v, VGA_MISC_READ), 0x67);
    ck_assert_uint_eq(crtc_get(CRTC_HORIZONTAL_DISPLAY_END), 0x4F);     /* 80 columns */
    ck_assert_uint_eq(crtc_get(CRTC_CURSOR_START), 0x0D);
    ck_assert_uint_eq(crtc_get(CRTC_CURSOR_END), 0x0E);
    ck_assert_uint_eq(crtc_get(CRTC_OFFSET), 0x28);
    vga_text_write(&v, VGA_GC_INDEX, GC_MISC);
    ck_assert_uint_eq(vga_text_read(&v, VGA_GC_DATA), 0x0E);   /* B8000, text */
}
END_TEST

START_TEST(crtc_cursor_and_start_address)
{
    crtc_set(CRTC_CURSOR_LOCATION_HIGH, 0x01);
    crtc_set(CRTC_CURSOR_LOCATION_LOW, 0x90);   /* 400 = row 5, col 0 */
    ck_assert_uint_eq(crtc_get(CRTC_CURSOR_LOCATION_HIGH), 0x01);
    ck_assert_uint_eq(crtc_get(CRTC_CURSOR_LOCATION_LOW), 0x90);
    int row, col;
    ck_assert(vga_text_cursor(&v, &row, &col));
    ck_assert_int_eq(row, 5);
    ck_assert_int_eq(col, 0);
    crtc_set(CRTC_START_ADDRESS_LOW, 80);       /* scrolled by one line */
    ck_assert(vga_text_cursor(&v, &row, &col));
    ck_assert_int_eq(row, 4);
    crtc_set(CRTC_CURSOR_START, 0x20 | 0x0D);   /* cursor off */
    ck_assert(!vga_text_cursor(&v, &row, &col));
    ck_assert_int_eq(row, 4);
    crtc_set(CRTC_CURSOR_START, 0x0D);
    crtc_set(CRTC_CURSOR_LOCATION_HIGH, 0x20);  /* off screen */
    ck_assert(!vga_text_cursor(&v, &row, &col));
    ck_assert_int_eq(row, -1);
}
END_TEST

START_TEST(other_crtc_indexes_stored_and_write_protect)
{
    crtc_set(0x30, 0xAB);
    crtc_set(0x14, 0x40);
    ck_assert_uint_eq(crtc_get(0x30), 0xAB);
    ck_assert_uint_eq(crtc_get(0x14), 0x40);
    /* CR11 bit 7 is set in mode 3: CR00-CR07 are protected. */
    crtc_set(0x00, 0x11);
    ck_assert_uint_eq(crtc_get(0x00), 0x5F);
    crtc_set(CRTC_OVERFLOW, 0x00);              /* only bit 4 takes */
    ck_assert_uint_eq(crtc_get(CRTC_OVERFLOW), 0x0F);
    crtc_set(CRTC_VERTICAL_RETRACE_END, 0x0E);
    crtc_set(0x00, 0x11);
    ck_assert_uint_eq(crtc_get(0x00), 0x11);
}
END_TEST

START_TEST(io_address_select_moves_the_crtc)
{
    vga_text_write(&v, VGA_MISC_WRITE, 0x66);   /* mono addresses */
    ck_assert_uint_eq(vga_text_read(&v, VGA_MISC_READ), 0x66);
    ck_assert_uint_eq(vga_text_read(&v, VGA_CRTC_DATA), 0xff);
    vga_text_write(&v, VGA_CRTC_INDEX_MONO, CRTC_CURSOR_END);
    ck_assert_uint_eq(vga_text_read(&v, VGA_CRTC_DATA_MONO), 0x0E);
    vga_text_write(&v, VGA_CRTC_INDEX, 0x0A);   /* ignored */
    ck_assert_uint_eq(vga_text_read(&v, VGA_CRTC_INDEX_MONO), CRTC_CURSOR_END);
    vga_text_write(&v, VGA_MISC_WRITE, 0x67);
    ck_assert_uint_eq(vga_text_read(&v, VGA_INPUT_STATUS_1_MONO), 0xff);
}
END_TEST

START_TEST(input_status_toggles_and_resets_the_attribute_flipflop)
{
    uint8_t a = vga_text_read(&v, VGA_INPUT_STATUS_1);
    uint8_t b = vga_text_read(&v, VGA_INPUT_STATUS_1);
    ck_assert_uint_eq((a ^ b) & (ST1_VERTICAL_RETRACE | ST1_DISPLAY_DISABLED),
                      ST1_VERTICAL_RETRACE | ST1_DISPLAY_DISABLED);
    /* "while (inb(0x3da) & 8); while (!(inb(0x3da) & 8));" ends. */
    int n = 0;
    while ((vga_text_read(&v, VGA_INPUT_STATUS_1) & 8) && n < 10) n++;
    while (!(vga_text_read(&v, VGA_INPUT_STATUS_1) & 8) && n < 10) n++;
    ck_assert_int_lt(n, 10);

    vga_text_write(&v, VGA_ATTR_INDEX, 0x10);   /* index (PAS 0) */
    vga_text_write(&v, VGA_ATTR_INDEX, 0x0C);   /* data */
    ck_assert_uint_eq(vga_text_read(&v, VGA_ATTR_INDEX), 0x10);
    ck_assert_uint_eq(vga_text_read(&v, VGA_ATTR_DATA_READ), 0x0C);
    vga_text_write(&v, VGA_ATTR_INDEX, 0x31);   /* index 0x11, PAS on */
    vga_text_read(&v, VGA_INPUT_STATUS_1);      /* flip-flop back to index */
    vga_text_write(&v, VGA_ATTR_INDEX, 0x32);
    vga_text_write(&v, VGA_ATTR_INDEX, 0x05);
    ck_assert_uint_eq(vga_text_read(&v, VGA_ATTR_INDEX), 0x32);
    ck_assert_uint_eq(vga_text_read(&v, VGA_ATTR_DATA_READ), 0x05);
    vga_text_write(&v, VGA_ATTR_INDEX, 0x31);
    ck_assert_uint_eq(vga_text_read(&v, VGA_ATTR_DATA_READ), 0x00);   /* 0x11 untouched */
}
END_TEST

START_TEST(sequencer_graphics_and_dac_stored)
{
    vga_text_write(&v, VGA_SEQ_INDEX, 0x02);
    vga_text_write(&v, VGA_SEQ_DATA, 0x0F);
    ck_assert_uint_eq(vga_text_read(&v, VGA_SEQ_DATA), 0x0F);
    vga_text_write(&v, VGA_GC_INDEX, 0x05);
    vga_text_write(&v, VGA_GC_DATA, 0x40);
    ck_assert_uint_eq(vga_text_read(&v, VGA_GC_DATA), 0x40);
    vga_text_write(&v, VGA_DAC_WRITE_INDEX, 7);
    for (int i = 0; i < 6; i++)
        vga_text_write(&v, VGA_DAC_DATA, (uint8_t)(0x40 | (i * 10)));   /* 6 bits kept */
    ck_assert_uint_eq(vga_text_read(&v, VGA_DAC_WRITE_INDEX), 9);
    vga_text_write(&v, VGA_DAC_READ_INDEX, 8);
    ck_assert_uint_eq(vga_text_read(&v, VGA_DAC_READ_INDEX), 0x03);
    ck_assert_uint_eq(vga_text_read(&v, VGA_DAC_DATA), 30);
    ck_assert_uint_eq(vga_text_read(&v, VGA_DAC_DATA), 40);
    ck_assert_uint_eq(vga_text_read(&v, VGA_DAC_DATA), 50);
    vga_text_write(&v, VGA_DAC_MASK, 0x0f);
    ck_assert_uint_eq(vga_text_read(&v, VGA_DAC_MASK), 0x0f);
}
END_TEST

START_TEST(snapshot_renders_the_text)
{
    put_text(0, 0, "Hello, glass");
    put_text(1, 2, "x\x01y   ");
    put_text(24, 70, "bottom row");
    char out[2100];
    int n = vga_text_snapshot(&v, &mm, out, sizeof(out));
    ck_assert_int_eq(n, (int)strlen(out));
    const char *want_start = "Hello, glass\n  x.y\n\n";
    ck_assert_int_eq(strncmp(out, want_start, strlen(want_start)), 0);
    ck_assert_str_eq(out + n - 81, "                                                                      bottom row\n");
    int lines = 0;
    for (int i = 0; i < n; i++)
        lines += out[i] == '\n';
    ck_assert_int_eq(lines, 25);
    /* Scrolled by the start address. */
    crtc_set(CRTC_START_ADDRESS_LOW, 80);
    vga_text_snapshot(&v, &mm, out, sizeof(out));
    ck_assert_int_eq(strncmp(out, "  x.y\n", 6), 0);
    /* Truncation works as snprintf's. */
    char small[4];
    ck_assert_int_eq(vga_text_snapshot(&v, &mm, small, sizeof(small)), n - 12);
    ck_assert_str_eq(small, "  x");
    ck_assert_int_eq(vga_text_snapshot(&v, &mm, NULL, 0), n - 12);
    ck_assert_int_eq(vga_text_snapshot(&v, NULL, out, sizeof(out)), -22);
}
END_TEST

START_TEST(ports_on_the_bus_and_any_value_anywhere)
{
    struct iobus bus;
    iobus_init(&bus);
    ck_assert_int_eq(vga_text_attach(&v, &bus), 0);
    iobus_write(&bus, 0x3D4, 2, 0x0E | 0x07 << 8);  /* out dx, ax: index then data */
    iobus_write(&bus, 0x3D4, 2, 0x0F | 0xCF << 8);
    int row, col;
    ck_assert(vga_text_cursor(&v, &row, &col));
    ck_assert_int_eq(row, 0x7CF / 80);
    ck_assert_int_eq(col, 0x7CF % 80);
    srand(7);
    for (int i = 0; i < 300000; i++) {
        uint16_t port = (uint16_t)(VGA_PORT_FIRST + rand() % VGA_PORT_COUNT);
        if (rand() & 1)
            iobus_write(&bus, port, 1 << (rand() % 3), (uint32_t)rand());
        else
            iobus_read(&bus, port, 1 << (rand() % 3));
    }
    char out[2100];
    ck_assert_int_ge(vga_text_snapshot(&v, &mm, out, sizeof(out)), 25);
    vga_text_cursor(&v, &row, &col);
}
END_TEST

START_TEST(save_and_load_round_trip)
{
    crtc_set(CRTC_CURSOR_LOCATION_LOW, 0x42);
    crtc_set(0x33, 0x99);
    vga_text_write(&v, VGA_ATTR_INDEX, 0x12);       /* flip-flop now at data */
    vga_text_write(&v, VGA_DAC_WRITE_INDEX, 3);
    vga_text_write(&v, VGA_DAC_DATA, 0x11);         /* mid-entry */
    size_t need = vga_text_save(&v, NULL, 0);
    uint8_t *buf = malloc(need);
    ck_assert_uint_eq(vga_text_save(&v, buf, need), need);
    ck_assert_uint_eq(vga_text_save(&v, buf, need - 1), 0);
    struct vga_text c;
    vga_text_init(&c);
    ck_assert_int_eq(vga_text_load(&c, buf, need - 1), -22);
    ck_assert_int_eq(vga_text_load(&c, buf, need), 0);
    ck_assert_mem_eq(&c, &v, sizeof(v));
    vga_text_write(&c, VGA_ATTR_INDEX, 0x3F);       /* goes to data 0x12 */
    vga_text_write(&c, VGA_ATTR_INDEX, 0x12);
    ck_assert_uint_eq(vga_text_read(&c, VGA_ATTR_DATA_READ), 0x3F);
    buf[1] = 2;
    ck_assert_int_eq(vga_text_load(&c, buf, need), -22);
    free(buf);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("vga_text");
    TCase *tc = tcase_create("registers");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, mode3_registers_after_init);
    tcase_add_test(tc, crtc_cursor_and_start_address);
    tcase_add_test(tc, other_crtc_indexes_stored_and_write_protect);
    tcase_add_test(tc, io_address_select_moves_the_crtc);
    tcase_add_test(tc, input_status_toggles_and_resets_the_attribute_flipflop);
    tcase_add_test(tc, sequencer_graphics_and_dac_stored);
    tcase_add_test(tc, snapshot_renders_the_text);
    tcase_add_test(tc, ports_on_the_bus_and_any_value_anywhere);
    tcase_add_test(tc, save_and_load_round_trip);
    suite_add_tcase(s, tc);
    return run_suite(s);
}
