/* The 8254 PIT and port 61h over a fake clock (Intel 8254 datasheet). */
#include <check.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "devices/iobus.h"
#include "devices/pit8254.h"
#include "devices/port61.h"
#include "machine/vclock.h"
#include "tests/unit/run_suite.h"

static struct vclock clk;
static struct pit pit;
static struct port61 p61;
static struct iobus bus;
static int irq_level, irq_rises;

static void irq0(void *opaque, int n, int level)
{
    (void)opaque;
    (void)n;
    if (level && !irq_level)
        irq_rises++;
    irq_level = level;
}

/* The first nanosecond of CLK k. */
static uint64_t tick_ns(uint64_t k)
{
    return (k * 1000000000ull + PIT_HZ - 1) / PIT_HZ;
}

static void at(uint64_t k) { vclock_set_fake(&clk, tick_ns(k)); }
static void out(uint16_t port, uint8_t val) { iobus_write(&bus, port, 1, val); }
static uint8_t in(uint16_t port) { return (uint8_t)iobus_read(&bus, port, 1); }
static void write16(uint16_t port, uint16_t v) { out(port, v & 0xff); out(port, v >> 8); }
static unsigned read16(uint16_t port)
{
    unsigned lo = in(port);
    return lo | (unsigned)in(port) << 8;
}

static void setup(void)
{
    vclock_init(&clk);
    vclock_set_fake(&clk, 0);
    struct irq_line line;
    irq_line_connect(&line, irq0, NULL, 0);
    irq_level = 0;
    pit_init(&pit, &clk, line);
    port61_init(&p61, &pit);
    iobus_init(&bus);
    ck_assert_int_eq(pit_attach(&pit, &bus), 0);
    ck_assert_int_eq(port61_attach(&p61, &bus), 0);
    irq_rises = 0;
}

START_TEST(power_on_counter0_runs_at_18hz)
{
    ck_assert_int_eq(irq_level, 1);             /* mode 3, high half */
    at(32768);
    vclock_run_expired(&clk);
    ck_assert_int_eq(pit_get_out(&pit, 0), 0);
    at(65536);
    vclock_run_expired(&clk);
    ck_assert_int_eq(irq_rises, 1);
    ck_assert_int_eq(pit_get_out(&pit, 2), 1);  /* mode 3, gated off: high */
}
END_TEST

START_TEST(mode0_interrupt_on_terminal_count)
{
    at(10);
    out(0x43, 0x30);                            /* counter 0, LSB/MSB, mode 0 */
    ck_assert_int_eq(pit_get_out(&pit, 0), 0);  /* low after the control word */
    ck_assert_int_eq(irq_level, 0);
    write16(0x40, 100);
    at(60);
    ck_assert_uint_eq(read16(0x40), 50);
    at(109);
    ck_assert_int_eq(pit_get_out(&pit, 0), 0);
    at(110);
    ck_assert_int_eq(pit_get_out(&pit, 0), 1);
    ck_assert_int_eq(irq_level, 1);
    ck_assert_int_eq(irq_rises, 1);
    at(111);
    ck_assert_uint_eq(read16(0x40), 0xffff);    /* counts on through 0 */
    at(500);
    ck_assert_int_eq(pit_get_out(&pit, 0), 1);  /* and OUT stays high */
    /* Writing the first byte stops the count and drops OUT at once. */
    out(0x40, 0x20);
    ck_assert_int_eq(pit_get_out(&pit, 0), 0);
    unsigned held = read16(0x40);
    at(600);
    ck_assert_uint_eq(read16(0x40), held);
    out(0x40, 0x00);                            /* 0x0020 = 32 */
    at(631);
    ck_assert_int_eq(pit_get_out(&pit, 0), 0);
    at(632);
    ck_assert_int_eq(pit_get_out(&pit, 0), 1);
    ck_assert_int_eq(irq_rises, 2);
}
END_TEST

START_TEST(mode0_timer_fires_at_terminal_count)
{
    out(0x43, 0x30);
    write16(0x40, 1000);
    ck_assert_uint_eq(vclock_next_deadline(&clk), tick_ns(1000));
    at(999);
    vclock_run_expired(&clk);
    ck_assert_int_eq(irq_rises, 0);
    at(1000);
    vclock_run_expired(&clk);
    ck_assert_int_eq(irq_rises, 1);
    ck_assert_uint_eq(vclock_next_deadline(&clk), VCLOCK_NEVER);
}
END_TEST

START_TEST(mode2_rate_generator)
{
    out(0x43, 0x34);                            /* counter 0, mode 2 */
    ck_assert_int_eq(pit_get_out(&pit, 0), 1);
    write16(0x40, 1000);
    at(1);
    ck_assert_uint_eq(read16(0x40), 999);
    at(998);
    ck_assert_int_eq(pit_get_out(&pit, 0), 1);
    ck_assert_uint_eq(read16(0x40), 2);
    at(999);
    ck_assert_int_eq(pit_get_out(&pit, 0), 0);  /* low for one CLK at 1 */
    ck_assert_uint_eq(read16(0x40), 1);
    at(1000);
    ck_assert_int_eq(pit_get_out(&pit, 0), 1);
    ck_assert_uint_eq(read16(0x40), 1000);      /* reloaded */
    at(1500);
    ck_assert_uint_eq(read16(0x40), 500);
    /* A new count waits for the end of the period (null count till then). */
    write16(0x40, 100);
    out(0x43, 0xe2);                            /* read back status 0 */
    ck_assert_uint_eq(in(0x40) & PIT_STATUS_NULL, PIT_STATUS_NULL);
    at(1999);
    ck_assert_uint_eq(read16(0x40), 1);
    at(2000);
    ck_assert_uint_eq(read16(0x40), 100);
    out(0x43, 0xe2);
    ck_assert_uint_eq(in(0x40) & PIT_STATUS_NULL, 0);
    at(2099);
    ck_assert_int_eq(pit_get_out(&pit, 0), 0);
    /* Mode 6 is mode 2. */
    out(0x43, 0x3c);
    write16(0x40, 10);
    at(2108);
    ck_assert_int_eq(pit_get_out(&pit, 0), 0);
}
END_TEST

START_TEST(mode3_square_wave)
{
    out(0x43, 0x36);
    write16(0x40, 1000);
    at(250);
    ck_assert_int_eq(pit_get_out(&pit, 0), 1);
    ck_assert_uint_eq(read16(0x40), 500);       /* by twos */
    at(499);
    ck_assert_int_eq(pit_get_out(&pit, 0), 1);
    at(500);
    ck_assert_int_eq(pit_get_out(&pit, 0), 0);
    at(999);
    ck_assert_int_eq(pit_get_out(&pit, 0), 0);
    at(1000);
    ck_assert_int_eq(pit_get_out(&pit, 0), 1);
    /* Odd count: high one CLK longer than low. */
    out(0x43, 0x36);
    write16(0x40, 5);                           /* loaded at 1000 */
    at(1002);
    ck_assert_int_eq(pit_get_out(&pit, 0), 1);
    at(1003);
    ck_assert_int_eq(pit_get_out(&pit, 0), 0);
    at(1004);
    ck_assert_int_eq(pit_get_out(&pit, 0), 0);
    at(1005);
    ck_assert_int_eq(pit_get_out(&pit, 0), 1);
}
END_TEST

START_TEST(mode4_software_strobe)
{
    out(0x43, 0x38);
    ck_assert_int_eq(pit_get_out(&pit, 0), 1);
    write16(0x40, 100);
    at(99);
    ck_assert_int_eq(pit_get_out(&pit, 0), 1);
    at(100);
    ck_assert_int_eq(pit_get_out(&pit, 0), 0);
    at(101);
    ck_assert_int_eq(pit_get_out(&pit, 0), 1);
    at(5000);
    ck_assert_int_eq(pit_get_out(&pit, 0), 1);
    vclock_run_expired(&clk);
    ck_assert_int_eq(irq_rises, 1);             /* the strobe's rising edge */
}
END_TEST

START_TEST(modes1_and_5_are_triggered_by_gate)
{
    out(0x43, 0xb2);                            /* counter 2, mode 1 */
    write16(0x42, 50);
    at(100);
    ck_assert_int_eq(pit_get_out(&pit, 2), 1);  /* waits for the trigger */
    out(0x61, 0x01);                            /* GATE2 rising */
    ck_assert_int_eq(pit_get_out(&pit, 2), 0);
    at(149);
    ck_assert_int_eq(pit_get_out(&pit, 2), 0);
    at(150);
    ck_assert_int_eq(pit_get_out(&pit, 2), 1);
    out(0x61, 0x00);
    out(0x61, 0x01);                            /* retrigger */
    ck_assert_int_eq(pit_get_out(&pit, 2), 0);
    at(200);
    ck_assert_int_eq(pit_get_out(&pit, 2), 1);

    out(0x43, 0xba);                            /* mode 5 */
    write16(0x42, 10);
    ck_assert_int_eq(pit_get_out(&pit, 2), 1);
    out(0x61, 0x00);
    out(0x61, 0x01);
    at(209);
    ck_assert_int_eq(pit_get_out(&pit, 2), 1);
    at(210);
    ck_assert_int_eq(pit_get_out(&pit, 2), 0);
    at(211);
    ck_assert_int_eq(pit_get_out(&pit, 2), 1);
}
END_TEST

START_TEST(counter_latch_command)
{
    out(0x43, 0x34);
    write16(0x40, 1000);
    at(100);
    out(0x43, 0x00);                            /* latch counter 0 */
    at(300);
    out(0x43, 0x00);                            /* ignored: still latched */
    ck_assert_uint_eq(read16(0x40), 900);
    ck_assert_uint_eq(read16(0x40), 700);       /* live again */
    /* Latch, read half, the other half is still the latched one. */
    out(0x43, 0x00);
    ck_assert_uint_eq(in(0x40), 700 & 0xff);
    at(400);
    ck_assert_uint_eq(in(0x40), 700 >> 8);
}
END_TEST

START_TEST(read_back_command)
{
    out(0x43, 0x30);                            /* counter 0, mode 0, binary */
    out(0x43, 0xe2);                            /* status of counter 0 */
    ck_assert_uint_eq(in(0x40), 0x70);          /* OUT 0, null count, RW 3, mode 0 */
    write16(0x40, 100);
    at(40);
    out(0x43, 0xc2);                            /* count and status */
    at(70);
    ck_assert_uint_eq(in(0x40), 0x30);          /* status first: count loaded */
    ck_assert_uint_eq(read16(0x40), 60);        /* then the count of tick 40 */
    at(100);
    out(0x43, 0xe2);
    ck_assert_uint_eq(in(0x40), 0xb0);          /* OUT high */
    /* Several counters at once, count only. */
    out(0x43, 0x74);                            /* counter 1, mode 2 */
    write16(0x41, 5000);
    out(0x43, 0xb7);                            /* counter 2, mode 3, BCD */
    write16(0x42, 0x1234);
    out(0x61, 0x01);
    at(110);
    out(0x43, 0xdc);                            /* count of counters 1, 2 */
    at(150);
    ck_assert_uint_eq(read16(0x41), 4990);
    ck_assert_uint_eq(read16(0x42), 0x1214);    /* 1234 - 2*10, in BCD */
    out(0x43, 0xe8);                            /* status of counter 2 */
    ck_assert_uint_eq(in(0x42), 0x80 | 0x37);
}
END_TEST

START_TEST(lsb_msb_flip_flop)
{
    out(0x43, 0x10);                            /* counter 0, LSB only, mode 0 */
    out(0x40, 200);
    at(20);
    ck_assert_uint_eq(in(0x40), 180);
    ck_assert_uint_eq(in(0x40), 180);
    out(0x43, 0x20);                            /* MSB only */
    out(0x40, 0x10);                            /* count 0x1000 */
    at(20 + 0x100);
    ck_assert_uint_eq(in(0x40), 0x0f);
    out(0x43, 0x30);
    write16(0x40, 0x1234);
    at(20 + 0x100 + 0x34);
    ck_assert_uint_eq(in(0x40), 0x00);          /* LSB */
    ck_assert_uint_eq(in(0x40), 0x12);          /* then MSB */
    ck_assert_uint_eq(in(0x40), 0x00);          /* LSB again */
    /* A control word resets the flip-flop. */
    out(0x43, 0x30);
    write16(0x40, 0x0102);
    ck_assert_uint_eq(in(0x40), 0x02);
}
END_TEST

START_TEST(bcd_counting)
{
    out(0x43, 0x35);                            /* mode 2, BCD */
    write16(0x40, 0x0100);                      /* 100 decimal */
    at(30);
    ck_assert_uint_eq(read16(0x40), 0x0070);
    at(99);
    ck_assert_int_eq(pit_get_out(&pit, 0), 0);
    out(0x43, 0x31);                            /* mode 0, BCD, count 0 = 10^4 */
    write16(0x40, 0);
    at(99 + 9999);
    ck_assert_int_eq(pit_get_out(&pit, 0), 0);
    ck_assert_uint_eq(read16(0x40), 0x0001);
    at(99 + 10000);
    ck_assert_int_eq(pit_get_out(&pit, 0), 1);
    at(99 + 10001);
    ck_assert_uint_eq(read16(0x40), 0x9999);    /* wraps in decimal */
    /* Binary count 0 is 65536. */
    out(0x43, 0x30);
    write16(0x40, 0);
    at(99 + 10001 + 65535);
    ck_assert_int_eq(pit_get_out(&pit, 0), 0);
    at(99 + 10001 + 65536);
    ck_assert_int_eq(pit_get_out(&pit, 0), 1);
}
END_TEST

/* The Linux PIT calibration loop: counter 2 in mode 0 gated by port 61h,
 * polling bit 5 until OUT2 rises. */
START_TEST(gate_and_out2_through_port61)
{
    out(0x61, (uint8_t)((in(0x61) & ~0x02) | 0x01));
    out(0x43, 0xb0);
    write16(0x42, 1000);
    ck_assert_uint_eq(in(0x61) & PORT61_OUT2, 0);
    at(999);
    ck_assert_uint_eq(in(0x61) & PORT61_OUT2, 0);
    at(1000);
    ck_assert_uint_eq(in(0x61) & PORT61_OUT2, PORT61_OUT2);
    ck_assert_uint_eq(in(0x61) & 0x0f, 0x01);

    /* GATE low suspends mode 0. */
    out(0x43, 0xb0);
    write16(0x42, 100);                         /* at 1000 */
    at(1030);
    out(0x61, 0x00);
    at(1080);
    ck_assert_uint_eq(read16(0x42), 70);
    out(0x61, 0x01);
    at(1149);
    ck_assert_int_eq(pit_get_out(&pit, 2), 0);
    at(1150);
    ck_assert_int_eq(pit_get_out(&pit, 2), 1);

    /* Mode 2/3 with GATE low: OUT high, the count waits; GATE high reloads. */
    out(0x61, 0x00);
    out(0x43, 0xb6);
    write16(0x42, 10);
    at(1200);
    ck_assert_int_eq(pit_get_out(&pit, 2), 1);
    out(0x61, 0x01);
    at(1205);
    ck_assert_int_eq(pit_get_out(&pit, 2), 0);
    out(0x61, 0x00);                            /* OUT high at once */
    ck_assert_int_eq(pit_get_out(&pit, 2), 1);
}
END_TEST

START_TEST(port61_bits)
{
    uint8_t a = in(0x61), b = in(0x61);
    ck_assert_uint_eq((a ^ b) & PORT61_REFRESH, PORT61_REFRESH);  /* toggles */
    out(0x61, 0xff);
    ck_assert_uint_eq(in(0x61) & 0xcf, 0x0f);   /* 7-4 read only, no NMI */
    ck_assert_uint_eq(pit.ch[2].gate, 1);
    out(0x61, 0x02);
    ck_assert_uint_eq(pit.ch[2].gate, 0);
    ck_assert_uint_eq(in(0x61) & 0x0f, 0x02);
    uint8_t buf[8];
    size_t n = port61_save(&p61, buf, sizeof(buf));
    ck_assert_uint_eq(n, port61_save(&p61, NULL, 0));
    struct port61 copy;
    port61_init(&copy, &pit);
    ck_assert_int_eq(port61_load(&copy, buf, n), 0);
    ck_assert_uint_eq(copy.control, 0x02);
    ck_assert_uint_eq(copy.refresh, p61.refresh);
    buf[2] = 0xf0;
    ck_assert_int_eq(port61_load(&copy, buf, n), -EINVAL);
}
END_TEST

/* IRQ0 from counter 0 at 100 Hz: the run loop firing timers every 100 us
 * sees one rising edge per period. */
static void run_for(uint64_t from_ns, uint64_t to_ns, uint64_t step_ns)
{
    for (uint64_t t = from_ns; t <= to_ns; t += step_ns) {
        vclock_set_fake(&clk, t);
        vclock_run_expired(&clk);
    }
}

START_TEST(irq0_at_the_programmed_rate)
{
    out(0x43, 0x34);
    write16(0x40, 11932);                       /* ~100 Hz */
    irq_rises = 0;
    run_for(0, 2000000000ull, 100000);
    uint64_t ticks = 2000000000ull * PIT_HZ / 1000000000ull;
    ck_assert_int_eq(irq_rises, (int)(ticks / 11932));
    ck_assert_uint_eq(pit.irq0_coalesced, 0);

    /* Mode 3 at 1 kHz. */
    vclock_set_fake(&clk, 3000000000ull);
    out(0x43, 0x36);
    write16(0x40, 1193);
    uint64_t coalesced = pit.irq0_coalesced;    /* the 2 s to 3 s gap */
    irq_rises = 0;
    run_for(3000000000ull, 4000000000ull, 50000);
    ck_assert_int_ge(irq_rises, 999);
    ck_assert_int_le(irq_rises, 1001);
    ck_assert_uint_eq(pit.irq0_coalesced, coalesced);
}
END_TEST

START_TEST(late_timer_coalesces_missed_interrupts)
{
    out(0x43, 0x34);
    write16(0x40, 11932);
    irq_rises = 0;
    vclock_set_fake(&clk, 1000000000ull);       /* a whole second late */
    vclock_run_expired(&clk);
    ck_assert_int_eq(irq_rises, 1);             /* one, not a burst of 99 */
    ck_assert_uint_eq(pit.irq0_coalesced, 98);
    ck_assert_uint_gt(vclock_next_deadline(&clk), 1000000000ull);
    run_for(1000000000ull, 1100000000ull, 100000);
    ck_assert_int_ge(irq_rises, 10);            /* and on at the rate */
    ck_assert_int_le(irq_rises, 12);
}
END_TEST

static void check_same_from(struct pit *a, struct vclock *ca, struct pit *b,
                            struct vclock *cb, uint64_t base_a, uint64_t base_b)
{
    for (uint64_t d = 0; d < 3000; d += 7) {
        vclock_set_fake(ca, base_a + tick_ns(d));
        vclock_set_fake(cb, base_b + tick_ns(d));
        for (int i = 0; i < 3; i++)
            ck_assert_int_eq(pit_get_out(a, i), pit_get_out(b, i));
    }
}

START_TEST(save_and_load_round_trip_mid_count)
{
    out(0x43, 0x34);
    write16(0x40, 1000);                        /* counter 0 mode 2 */
    out(0x43, 0x70);
    write16(0x41, 2500);                        /* counter 1 mode 0 */
    out(0x61, 0x01);
    out(0x43, 0xb0);
    write16(0x42, 800);                         /* counter 2 mode 0, paused below */
    at(300);
    out(0x61, 0x00);
    at(1234);
    write16(0x40, 600);                         /* pending reload at 2000 */
    out(0x43, 0x40);                            /* latch counter 1 */
    in(0x41);                                   /* half read */

    size_t need = pit_save(&pit, NULL, 0);
    uint8_t buf[512];
    ck_assert_uint_le(need, sizeof(buf));
    ck_assert_uint_eq(pit_save(&pit, buf, 10), 0);
    ck_assert_uint_eq(pit_save(&pit, buf, sizeof(buf)), need);

    /* Restore on a clock far ahead, and on one at 0 (earlier than the
     * saved counters' history): both go on as the original, itself
     * reloaded at the save point each time. */
    static const uint64_t bases[2] = { 5000000000ull, 0 };
    for (int k = 0; k < 2; k++) {
        struct vclock c2;
        struct pit copy;
        struct irq_line none = { 0 };
        vclock_init(&c2);
        vclock_set_fake(&c2, bases[k]);
        pit_init(&copy, &c2, none);
        ck_assert_int_eq(pit_load(&copy, buf, need), 0);
        at(1234);
        ck_assert_int_eq(pit_load(&pit, buf, need), 0);
        ck_assert_uint_eq(pit_read(&copy, PIT_COUNTER1), (2500 - 1234) >> 8);
        ck_assert_uint_eq(pit_read(&pit, PIT_COUNTER1), (2500 - 1234) >> 8);
        unsigned lo = pit_read(&copy, PIT_COUNTER0);
        unsigned hi = pit_read(&copy, PIT_COUNTER0);
        ck_assert_uint_eq(lo | hi << 8, 1000 - 234);
        ck_assert_uint_eq(read16(0x40), 1000 - 234);
        lo = pit_read(&copy, PIT_COUNTER2);
        hi = pit_read(&copy, PIT_COUNTER2);
        ck_assert_uint_eq(lo | hi << 8, 800 - 300);    /* paused by GATE2 */
        ck_assert_uint_eq(read16(0x42), 800 - 300);
        check_same_from(&pit, &clk, &copy, &c2, tick_ns(1234), bases[k]);
        /* The pending reload happened in both at 2000: count 600 runs. */
        ck_assert_uint_eq(copy.ch[0].n, 600);
    }
    buf[2 + 1] = 9;                             /* mode out of range */
    struct pit bad;
    struct irq_line none = { 0 };
    pit_init(&bad, &clk, none);
    ck_assert_int_eq(pit_load(&bad, buf, need), -EINVAL);
    ck_assert_int_eq(pit_load(&bad, buf, 5), -EINVAL);
    vtimer_cancel(&clk, &bad.timer);
}
END_TEST

START_TEST(random_guest_writes_never_break_it)
{
    unsigned seed = 777;
    uint64_t t = 0;
    static const uint16_t ports[] = { 0x40, 0x41, 0x42, 0x43, 0x61 };
    for (int i = 0; i < 200000; i++) {
        unsigned r = (unsigned)rand_r(&seed);
        uint16_t port = ports[r % 5];
        if ((r >> 4) & 1)
            out(port, (uint8_t)(r >> 8));
        else
            in(port);
        t += (r >> 20) % 5000;
        vclock_set_fake(&clk, t);
        vclock_run_expired(&clk);
    }
    uint8_t buf[512];
    size_t n = pit_save(&pit, buf, sizeof(buf));
    ck_assert_int_eq(pit_load(&pit, buf, n), 0);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("pit8254");
    TCase *tc = tcase_create("counters");
    tcase_add_checked_fixture(tc, setup, NULL);
    tcase_add_test(tc, power_on_counter0_runs_at_18hz);
    tcase_add_test(tc, mode0_interrupt_on_terminal_count);
    tcase_add_test(tc, mode0_timer_fires_at_terminal_count);
    tcase_add_test(tc, mode2_rate_generator);
    tcase_add_test(tc, mode3_square_wave);
    tcase_add_test(tc, mode4_software_strobe);
    tcase_add_test(tc, modes1_and_5_are_triggered_by_gate);
    tcase_add_test(tc, counter_latch_command);
    tcase_add_test(tc, read_back_command);
    tcase_add_test(tc, lsb_msb_flip_flop);
    tcase_add_test(tc, bcd_counting);
    tcase_add_test(tc, gate_and_out2_through_port61);
    tcase_add_test(tc, port61_bits);
    tcase_add_test(tc, irq0_at_the_programmed_rate);
    tcase_add_test(tc, late_timer_coalesces_missed_interrupts);
    tcase_add_test(tc, save_and_load_round_trip_mid_count);
    tcase_add_test(tc, random_guest_writes_never_break_it);
    suite_add_tcase(s, tc);
    return run_suite(s);
}
