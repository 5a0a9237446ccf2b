/* The MC146818A RTC and CMOS RAM, register by register (MC146818A
 * datasheet; PC memory bytes as SeaBIOS reads them). */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "devices/iobus.h"
#include "devices/rtc_cmos.h"
#include "tests/unit/run_suite.h"

#define MS 1000000ull
#define SEC 1000000000ull
#define T0 (100 * SEC)

static struct vclock clk;
static struct rtc r;
static int irq_level, irq_rises;

static void on_irq(void *opaque, int n, int level)
{
    (void)opaque;
    ck_assert_int_eq(n, RTC_IRQ);
    if (level && !irq_level)
        irq_rises++;
    irq_level = level;
}

static void setup(void)
{
    irq_level = 0;
    irq_rises = 0;
    vclock_init(&clk);
    vclock_set_fake(&clk, T0);
    rtc_init(&r, &clk);
    irq_line_connect(&r.irq, on_irq, NULL, RTC_IRQ);
}

static void teardown(void)
{
    vtimer_cancel(&clk, &r.update_timer);
    vtimer_cancel(&clk, &r.periodic_timer);
}

static uint8_t cmos_get(uint8_t reg)
{
    rtc_write(&r, RTC_INDEX_PORT, reg);
    return rtc_read(&r, RTC_DATA_PORT);
}

static void cmos_set(uint8_t reg, uint8_t val)
{
    rtc_write(&r, RTC_INDEX_PORT, reg);
    rtc_write(&r, RTC_DATA_PORT, val);
}

/* Move the guest clock to t and let the run loop fire what expired. */
static void run_to(uint64_t t)
{
    vclock_set_fake(&clk, t);
    vclock_run_expired(&clk);
}

START_TEST(status_registers_after_init)
{
    ck_assert_uint_eq(cmos_get(RTC_REG_A) & 0x7f, 0x26);
    ck_assert_uint_eq(cmos_get(RTC_REG_B), RTC_B_24H);
    ck_assert_uint_eq(cmos_get(RTC_REG_C), 0);
    ck_assert_uint_eq(cmos_get(RTC_REG_D), RTC_D_VRT);
    cmos_set(RTC_REG_D, 0);                 /* read only */
    ck_assert_uint_eq(cmos_get(RTC_REG_D), RTC_D_VRT);
    cmos_set(RTC_REG_C, 0xff);              /* read only */
    ck_assert_uint_eq(cmos_get(RTC_REG_C), 0);
    ck_assert_int_eq(irq_level, 0);
    /* The host time was loaded: a year of this century, in BCD. */
    ck_assert_uint_eq(cmos_get(CMOS_CENTURY), 0x20);
    ck_assert_uint_le(cmos_get(RTC_MONTH), 0x12);
}
END_TEST

START_TEST(bcd_time_counts_across_a_leap_day)
{
    rtc_set_time(&r, 1709164799);           /* Wed 2024-02-28 23:59:59 */
    ck_assert_uint_eq(cmos_get(RTC_SECONDS), 0x59);
    ck_assert_uint_eq(cmos_get(RTC_MINUTES), 0x59);
    ck_assert_uint_eq(cmos_get(RTC_HOURS), 0x23);
    ck_assert_uint_eq(cmos_get(RTC_DAY_OF_WEEK), 4);
    ck_assert_uint_eq(cmos_get(RTC_DAY_OF_MONTH), 0x28);
    ck_assert_uint_eq(cmos_get(RTC_MONTH), 0x02);
    ck_assert_uint_eq(cmos_get(RTC_YEAR), 0x24);
    ck_assert_uint_eq(cmos_get(CMOS_CENTURY), 0x20);
    run_to(T0 + SEC - 1);
    ck_assert_uint_eq(cmos_get(RTC_SECONDS), 0x59);
    run_to(T0 + SEC);
    ck_assert_uint_eq(cmos_get(RTC_SECONDS), 0x00);
    ck_assert_uint_eq(cmos_get(RTC_HOURS), 0x00);
    ck_assert_uint_eq(cmos_get(RTC_DAY_OF_MONTH), 0x29);    /* 2024 is leap */
    ck_assert_uint_eq(cmos_get(RTC_MONTH), 0x02);
    ck_assert_uint_eq(cmos_get(RTC_DAY_OF_WEEK), 5);
    run_to(T0 + SEC + 86400 * SEC);
    ck_assert_uint_eq(cmos_get(RTC_DAY_OF_MONTH), 0x01);
    ck_assert_uint_eq(cmos_get(RTC_MONTH), 0x03);
    ck_assert_uint_eq(cmos_get(RTC_DAY_OF_WEEK), 6);
    ck_assert_int_eq(rtc_get_time(&r), 1709164799 + 1 + 86400);
}
END_TEST

START_TEST(century_rolls_and_2100_is_not_leap)
{
    rtc_set_time(&r, 4102444799);           /* 2099-12-31 23:59:59 */
    run_to(T0 + SEC);
    ck_assert_uint_eq(cmos_get(RTC_YEAR), 0x00);
    ck_assert_uint_eq(cmos_get(CMOS_CENTURY), 0x21);
    ck_assert_uint_eq(cmos_get(RTC_MONTH), 0x01);
    ck_assert_uint_eq(cmos_get(RTC_DAY_OF_MONTH), 0x01);
    rtc_set_time(&r, 4107542399);           /* 2100-02-28 23:59:59 */
    run_to(T0 + 2 * SEC);
    ck_assert_uint_eq(cmos_get(RTC_MONTH), 0x03);
    ck_assert_uint_eq(cmos_get(RTC_DAY_OF_MONTH), 0x01);
}
END_TEST

START_TEST(binary_and_12_hour_formats)
{
    cmos_set(RTC_REG_B, RTC_B_DM | RTC_B_24H);
    rtc_set_time(&r, 1704115800);           /* Mon 2024-01-01 13:30:00 */
    ck_assert_uint_eq(cmos_get(RTC_HOURS), 13);
    ck_assert_uint_eq(cmos_get(RTC_MINUTES), 30);
    ck_assert_uint_eq(cmos_get(RTC_YEAR), 24);
    ck_assert_uint_eq(cmos_get(CMOS_CENTURY), 20);
    ck_assert_uint_eq(cmos_get(RTC_DAY_OF_WEEK), 2);

    cmos_set(RTC_REG_B, 0);                 /* BCD, 12 hour */
    rtc_set_time(&r, 1704115800);
    ck_assert_uint_eq(cmos_get(RTC_HOURS), RTC_HOUR_PM | 0x01);
    rtc_set_time(&r, 1704115800 - 13 * 3600);   /* 00:30 is 12 AM */
    ck_assert_uint_eq(cmos_get(RTC_HOURS), 0x12);
    rtc_set_time(&r, 1704115800 - 3600);        /* 12:30 is 12 PM */
    ck_assert_uint_eq(cmos_get(RTC_HOURS), RTC_HOUR_PM | 0x12);
    /* 11:59:59 AM -> 12:00:00 PM */
    cmos_set(RTC_HOURS, 0x11);
    cmos_set(RTC_MINUTES, 0x59);
    cmos_set(RTC_SECONDS, 0x59);
    run_to(T0 + SEC);
    ck_assert_uint_eq(cmos_get(RTC_HOURS), RTC_HOUR_PM | 0x12);
    /* 12:59:59 PM -> 1:00:00 PM */
    cmos_set(RTC_MINUTES, 0x59);
    cmos_set(RTC_SECONDS, 0x59);
    run_to(T0 + 2 * SEC);
    ck_assert_uint_eq(cmos_get(RTC_HOURS), RTC_HOUR_PM | 0x01);
    ck_assert_int_eq(rtc_get_time(&r), 1704115800 - 3600 + 1800);
}
END_TEST

START_TEST(uip_is_set_244us_before_each_update)
{
    rtc_set_time(&r, 1704115800);           /* next update at T0 + 1 s */
    run_to(T0 + SEC - 300000);
    ck_assert_uint_eq(cmos_get(RTC_REG_A) & RTC_A_UIP, 0);
    run_to(T0 + SEC - RTC_UIP_WINDOW_NS);
    ck_assert_uint_eq(cmos_get(RTC_REG_A) & RTC_A_UIP, RTC_A_UIP);
    ck_assert_uint_eq(cmos_get(RTC_SECONDS), 0x00);  /* not yet updated */
    run_to(T0 + SEC);
    ck_assert_uint_eq(cmos_get(RTC_REG_A) & RTC_A_UIP, 0);
    ck_assert_uint_eq(cmos_get(RTC_SECONDS), 0x01);
    cmos_set(RTC_REG_A, 0xa6);              /* UIP is read only */
    ck_assert_uint_eq(cmos_get(RTC_REG_A), 0x26);
    /* SET: no updates, no UIP. */
    cmos_set(RTC_REG_B, RTC_B_SET | RTC_B_24H);
    run_to(T0 + 2 * SEC - 100000);
    ck_assert_uint_eq(cmos_get(RTC_REG_A) & RTC_A_UIP, 0);
}
END_TEST

START_TEST(set_bit_stops_updates_and_clears_uie)
{
    rtc_set_time(&r, 1704115800);
    cmos_set(RTC_REG_B, RTC_B_SET | RTC_B_UIE | RTC_B_24H);
    ck_assert_uint_eq(cmos_get(RTC_REG_B), RTC_B_SET | RTC_B_24H);
    cmos_set(RTC_SECONDS, 0x45);
    cmos_set(RTC_MINUTES, 0x10);
    run_to(T0 + 5 * SEC);
    ck_assert_uint_eq(cmos_get(RTC_SECONDS), 0x45);
    cmos_set(RTC_REG_B, RTC_B_24H);         /* counting again, one second on */
    run_to(T0 + 6 * SEC - 1);
    ck_assert_uint_eq(cmos_get(RTC_SECONDS), 0x45);
    run_to(T0 + 6 * SEC);
    ck_assert_uint_eq(cmos_get(RTC_SECONDS), 0x46);
    ck_assert_uint_eq(cmos_get(RTC_MINUTES), 0x10);
}
END_TEST

START_TEST(divider_reset_stops_the_clock_and_restarts_half_a_second_later)
{
    rtc_set_time(&r, 1704115800);
    cmos_set(RTC_REG_A, 0x70);              /* DV = 111: reset */
    run_to(T0 + 3 * SEC);
    ck_assert_uint_eq(cmos_get(RTC_SECONDS), 0x00);
    cmos_set(RTC_REG_A, 0x26);
    run_to(T0 + 3 * SEC + 500 * MS - 1);
    ck_assert_uint_eq(cmos_get(RTC_SECONDS), 0x00);
    run_to(T0 + 3 * SEC + 500 * MS);
    ck_assert_uint_eq(cmos_get(RTC_SECONDS), 0x01);
}
END_TEST

START_TEST(update_ended_interrupt_on_irq8_until_c_is_read)
{
    rtc_set_time(&r, 1704115800);
    cmos_set(RTC_REG_B, RTC_B_UIE | RTC_B_24H);
    ck_assert_int_eq(irq_level, 0);
    run_to(T0 + SEC);                       /* the vtimer fires */
    ck_assert_int_eq(irq_level, 1);
    /* PF is set too (1024 Hz from register A) but PIE is off. */
    ck_assert_uint_eq(cmos_get(RTC_REG_C), RTC_C_IRQF | RTC_C_PF | RTC_C_UF);
    ck_assert_int_eq(irq_level, 0);
    ck_assert_uint_eq(cmos_get(RTC_REG_C), 0);
    run_to(T0 + 2 * SEC);
    ck_assert_int_eq(irq_level, 1);
    ck_assert_int_eq(irq_rises, 2);
    /* UF without UIE: flag only. */
    cmos_get(RTC_REG_C);
    cmos_set(RTC_REG_B, RTC_B_24H);
    run_to(T0 + 3 * SEC);
    ck_assert_int_eq(irq_level, 0);
    ck_assert_uint_eq(cmos_get(RTC_REG_C) & ~RTC_C_PF, RTC_C_UF);
}
END_TEST

START_TEST(alarm_with_dont_care_bytes)
{
    rtc_set_time(&r, 1704115800);           /* 13:30:00 */
    cmos_set(RTC_HOURS_ALARM, 0xff);        /* any hour */
    cmos_set(RTC_MINUTES_ALARM, 0xc0);      /* any minute */
    cmos_set(RTC_SECONDS_ALARM, 0x02);
    cmos_set(RTC_REG_B, RTC_B_AIE | RTC_B_24H);
    run_to(T0 + SEC);
    ck_assert_int_eq(irq_level, 0);
    ck_assert_uint_eq(cmos_get(RTC_REG_C) & ~RTC_C_PF, RTC_C_UF);
    run_to(T0 + 2 * SEC);
    ck_assert_int_eq(irq_level, 1);
    ck_assert_uint_eq(cmos_get(RTC_REG_C) & ~RTC_C_PF, RTC_C_IRQF | RTC_C_AF | RTC_C_UF);
    ck_assert_int_eq(irq_level, 0);
    /* An exact alarm that does not match the hour never fires. */
    cmos_set(RTC_HOURS_ALARM, 0x05);
    run_to(T0 + 62 * SEC);
    ck_assert_uint_eq(cmos_get(RTC_REG_C) & RTC_C_AF, 0);
}
END_TEST

START_TEST(periodic_rates_from_register_a)
{
    static const struct { uint8_t rs; uint64_t ns; } rate[] = {
        { 1, 3906250 }, { 2, 7812500 }, { 3, 122070 }, { 6, 976562 }, { 15, 500000000 },
    };
    uint64_t t = T0;
    for (size_t i = 0; i < sizeof(rate) / sizeof(rate[0]); i++) {
        cmos_set(RTC_REG_A, 0x20 | rate[i].rs);
        cmos_get(RTC_REG_C);
        run_to(t + rate[i].ns - 1);
        ck_assert_uint_eq(cmos_get(RTC_REG_C) & RTC_C_PF, 0);   /* PF even without PIE */
        run_to(t + rate[i].ns);
        ck_assert_uint_eq(cmos_get(RTC_REG_C), RTC_C_PF);
        t += rate[i].ns;
    }
    /* RS = 0: no periodic flag. */
    cmos_set(RTC_REG_A, 0x20);
    run_to(t + SEC / 2);
    ck_assert_uint_eq(cmos_get(RTC_REG_C) & RTC_C_PF, 0);
}
END_TEST

START_TEST(periodic_interrupt_through_the_vtimer)
{
    cmos_set(RTC_REG_A, 0x2f);              /* 2 Hz */
    cmos_set(RTC_REG_B, RTC_B_PIE | RTC_B_24H);
    run_to(T0 + 500 * MS);
    ck_assert_int_eq(irq_level, 1);
    ck_assert_uint_eq(cmos_get(RTC_REG_C), RTC_C_IRQF | RTC_C_PF);
    ck_assert_int_eq(irq_level, 0);
    run_to(T0 + 1000 * MS);
    ck_assert_int_eq(irq_level, 1);
    /* Not acknowledged: the line stays high, no new edge. */
    run_to(T0 + 1500 * MS);
    ck_assert_int_eq(irq_rises, 2);
    cmos_get(RTC_REG_C);
    /* PIE off: the line stays low. */
    cmos_set(RTC_REG_B, RTC_B_24H);
    run_to(T0 + 2000 * MS);
    ck_assert_int_eq(irq_level, 0);
    ck_assert_uint_eq(vclock_next_deadline(&clk), VCLOCK_NEVER);
    /* A pending PF raises IRQ as soon as PIE is set. */
    cmos_set(RTC_REG_B, RTC_B_PIE | RTC_B_24H);
    ck_assert_int_eq(irq_level, 1);
}
END_TEST

START_TEST(daylight_savings_in_april)
{
    cmos_set(RTC_REG_B, RTC_B_24H | RTC_B_DSE);
    rtc_set_time(&r, 1714269599);           /* Sun 2024-04-28 01:59:59 */
    run_to(T0 + SEC);
    ck_assert_uint_eq(cmos_get(RTC_HOURS), 0x03);
    ck_assert_uint_eq(cmos_get(RTC_MINUTES), 0x00);
}
END_TEST

START_TEST(long_gaps_jump_the_calendar)
{
    rtc_set_time(&r, 1709164799);
    run_to(T0 + 10 * 86400 * SEC + 5 * SEC);
    ck_assert_int_eq(rtc_get_time(&r), 1709164799 + 10 * 86400 + 5);
    ck_assert_uint_eq(cmos_get(RTC_DAY_OF_WEEK), 1);    /* Sun 2024-03-10 */
}
END_TEST

START_TEST(nmi_mask_and_ram_bytes)
{
    ck_assert(!rtc_nmi_masked(&r));
    rtc_write(&r, RTC_INDEX_PORT, 0x80 | 0x40);
    ck_assert(rtc_nmi_masked(&r));
    rtc_write(&r, RTC_DATA_PORT, 0xab);
    rtc_write(&r, RTC_INDEX_PORT, 0x40);
    ck_assert(!rtc_nmi_masked(&r));
    ck_assert_uint_eq(rtc_read(&r, RTC_DATA_PORT), 0xab);
    for (int i = 0x0e; i < RTC_CMOS_SIZE; i++)
        cmos_set((uint8_t)i, (uint8_t)(i ^ 0x5a));
    for (int i = 0x0e; i < RTC_CMOS_SIZE; i++)
        ck_assert_uint_eq(cmos_get((uint8_t)i), (uint8_t)(i ^ 0x5a));
    rtc_write(&r, RTC_INDEX_PORT, 0xff);    /* index 0x7f, NMI masked */
    ck_assert_uint_eq(rtc_read(&r, RTC_DATA_PORT), 0x7f ^ 0x5a);
}
END_TEST

START_TEST(memory_size_bytes_as_seabios_reads_them)
{
    rtc_set_memory_size(&r, 512ull << 20);
    ck_assert_uint_eq(cmos_get(CMOS_BASE_MEM_LO) | cmos_get(CMOS_BASE_MEM_HI) << 8, 640);
    ck_assert_uint_eq(cmos_get(CMOS_EXT_MEM_LO) | cmos_get(CMOS_EXT_MEM_HI) << 8, 0xffff);
    ck_assert_uint_eq(cmos_get(CMOS_EXT_MEM2_LO) | cmos_get(CMOS_EXT_MEM2_HI) << 8, 0xffff);
    ck_assert_uint_eq(cmos_get(CMOS_MEM_ABOVE_16M_LO) | cmos_get(CMOS_MEM_ABOVE_16M_HI) << 8,
                      (512 - 16) * 16);
    ck_assert_uint_eq(cmos_get(CMOS_MEM_ABOVE_4G_LO), 0);
    ck_assert_uint_eq(cmos_get(CMOS_EQUIPMENT), 0x02);
    ck_assert_uint_eq(cmos_get(CMOS_FLOPPY_TYPES), 0);
    ck_assert_uint_eq(cmos_get(CMOS_SHUTDOWN_STATUS), 0);

    rtc_set_memory_size(&r, 8ull << 20);
    ck_assert_uint_eq(cmos_get(CMOS_EXT_MEM_LO) | cmos_get(CMOS_EXT_MEM_HI) << 8, 7 * 1024);
    ck_assert_uint_eq(cmos_get(CMOS_MEM_ABOVE_16M_LO) | cmos_get(CMOS_MEM_ABOVE_16M_HI) << 8, 0);

    rtc_set_memory_size(&r, 5ull << 30);    /* 3 GiB low, 2 GiB from 4 GiB */
    ck_assert_uint_eq(cmos_get(CMOS_MEM_ABOVE_16M_LO) | cmos_get(CMOS_MEM_ABOVE_16M_HI) << 8,
                      0xbf00);
    ck_assert_uint_eq(cmos_get(CMOS_MEM_ABOVE_4G_LO), 0x00);
    ck_assert_uint_eq(cmos_get(CMOS_MEM_ABOVE_4G_MID), 0x80);
    ck_assert_uint_eq(cmos_get(CMOS_MEM_ABOVE_4G_HI), 0x00);

    rtc_set_memory_size(&r, 512 << 10);     /* below 1 MiB: no extended memory */
    ck_assert_uint_eq(cmos_get(CMOS_EXT_MEM_LO) | cmos_get(CMOS_EXT_MEM_HI) << 8, 0);
}
END_TEST

START_TEST(ports_on_the_bus)
{
    struct iobus bus;
    iobus_init(&bus);
    ck_assert_int_eq(rtc_attach(&r, &bus), 0);
    iobus_write(&bus, 0x70, 1, RTC_REG_D);
    ck_assert_uint_eq(iobus_read(&bus, 0x71, 1), RTC_D_VRT);
    iobus_write(&bus, 0x70, 2, 0x9950);     /* index 0x50, then 0x99 to it */
    iobus_write(&bus, 0x70, 1, 0x50);
    ck_assert_uint_eq(iobus_read(&bus, 0x71, 1), 0x99);
    ck_assert_uint_eq(iobus_read(&bus, 0x70, 1), 0xff);
}
END_TEST

START_TEST(any_value_to_any_register_in_any_order)
{
    struct iobus bus;
    iobus_init(&bus);
    ck_assert_int_eq(rtc_attach(&r, &bus), 0);
    srand(3);
    uint64_t t = T0;
    for (int i = 0; i < 200000; i++) {
        uint16_t port = 0x70 + (rand() & 1);
        if (rand() & 1)
            iobus_write(&bus, port, 1 << (rand() % 3), (uint32_t)rand());
        else
            iobus_read(&bus, port, 1 << (rand() % 3));
        if ((i & 63) == 0) {
            t += (uint64_t)(rand() % 2000) * MS;
            run_to(t);
        }
    }
    run_to(t + 400ull * 86400 * SEC);       /* a long gap over garbage */
    rtc_get_time(&r);
}
END_TEST

START_TEST(save_and_load_round_trip)
{
    rtc_set_time(&r, 1709164799);
    cmos_set(RTC_REG_A, 0x2f);
    cmos_set(RTC_REG_B, RTC_B_PIE | RTC_B_UIE | RTC_B_24H);
    cmos_set(0x40, 0x12);
    rtc_write(&r, RTC_INDEX_PORT, 0x80 | 0x41);
    run_to(T0 + 600 * MS);                  /* PF set, IRQ up */
    ck_assert_int_eq(irq_level, 1);

    size_t need = rtc_save(&r, NULL, 0);
    uint8_t *buf = malloc(need);
    ck_assert_uint_eq(rtc_save(&r, buf, need), need);
    ck_assert_uint_eq(rtc_save(&r, buf, need - 1), 0);

    struct rtc copy;
    rtc_init(&copy, &clk);
    ck_assert_int_eq(rtc_load(&copy, buf, need - 1), -22);
    ck_assert_int_eq(rtc_load(&copy, buf, need), 0);
    ck_assert(rtc_nmi_masked(&copy));
    ck_assert_uint_eq(copy.index, 0x41);
    ck_assert_mem_eq(copy.cmos, r.cmos, RTC_CMOS_SIZE);
    ck_assert_uint_eq(copy.next_update_ns, r.next_update_ns);
    ck_assert_uint_eq(copy.next_periodic_ns, r.next_periodic_ns);
    /* The copy keeps counting on the same phase. */
    vtimer_cancel(&clk, &r.update_timer);
    vtimer_cancel(&clk, &r.periodic_timer);
    run_to(T0 + SEC);
    ck_assert_int_eq(rtc_get_time(&copy), 1709164800);
    buf[1] = 99;
    ck_assert_int_eq(rtc_load(&copy, buf, need), -22);
    vtimer_cancel(&clk, &copy.update_timer);
    vtimer_cancel(&clk, &copy.periodic_timer);
    free(buf);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("rtc_cmos");
    TCase *tc = tcase_create("registers");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, status_registers_after_init);
    tcase_add_test(tc, bcd_time_counts_across_a_leap_day);
    tcase_add_test(tc, century_rolls_and_2100_is_not_leap);
    tcase_add_test(tc, binary_and_12_hour_formats);
    tcase_add_test(tc, uip_is_set_244us_before_each_update);
    tcase_add_test(tc, set_bit_stops_updates_and_clears_uie);
    tcase_add_test(tc, divider_reset_stops_the_clock_and_restarts_half_a_second_later);
    tcase_add_test(tc, update_ended_interrupt_on_irq8_until_c_is_read);
    tcase_add_test(tc, alarm_with_dont_care_bytes);
    tcase_add_test(tc, periodic_rates_from_register_a);
    tcase_add_test(tc, periodic_interrupt_through_the_vtimer);
    tcase_add_test(tc, daylight_savings_in_april);
    tcase_add_test(tc, long_gaps_jump_the_calendar);
    tcase_add_test(tc, nmi_mask_and_ram_bytes);
    tcase_add_test(tc, memory_size_bytes_as_seabios_reads_them);
    tcase_add_test(tc, ports_on_the_bus);
    tcase_add_test(tc, any_value_to_any_register_in_any_order);
    tcase_add_test(tc, save_and_load_round_trip);
    suite_add_tcase(s, tc);
    return run_suite(s);
}
