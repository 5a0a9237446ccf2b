/* The 82093AA I/O APIC, register by register as in its datasheet, with two
 * local APICs on the bus to receive its messages. */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "devices/apic_bus.h"
#include "devices/ioapic.h"
#include "devices/lapic.h"
#include "machine/vclock.h"
#include "tests/unit/run_suite.h"

static struct vclock clk;
static struct apic_bus bus;
static struct lapic l[2];
static struct ioapic io;

static void setup(void)
{
    vclock_init(&clk);
    vclock_set_fake(&clk, 0);
    apic_bus_init(&bus);
    for (int i = 0; i < 2; i++) {
        lapic_init(&l[i], (uint8_t)i, i == 0, &clk, 0);
        apic_bus_add_lapic(&bus, &l[i]);
        lapic_mmio_write(&l[i], LAPIC_SVR, 4, LAPIC_SVR_ENABLE | 0xff);
    }
    ioapic_init(&io, 2);
    ck_assert_int_eq(apic_bus_add_ioapic(&bus, &io), 0);
}

/* Through the two MMIO registers, as a guest does. */
static uint32_t rd(uint8_t reg)
{
    ioapic_mmio_write(&io, IOAPIC_IOREGSEL, 4, reg);
    return (uint32_t)ioapic_mmio_read(&io, IOAPIC_IOWIN, 4);
}

static void wr(uint8_t reg, uint32_t val)
{
    ioapic_mmio_write(&io, IOAPIC_IOREGSEL, 4, reg);
    ioapic_mmio_write(&io, IOAPIC_IOWIN, 4, val);
}

static void set_rte(int pin, uint64_t rte)
{
    wr((uint8_t)(IOAPIC_REDTBL + 2 * pin + 1), (uint32_t)(rte >> 32));
    wr((uint8_t)(IOAPIC_REDTBL + 2 * pin), (uint32_t)rte);
}

static uint64_t get_rte(int pin)
{
    return rd((uint8_t)(IOAPIC_REDTBL + 2 * pin)) |
           (uint64_t)rd((uint8_t)(IOAPIC_REDTBL + 2 * pin + 1)) << 32;
}

static bool irr_has(struct lapic *a, int v) { return (a->irr[v / 32] >> (v % 32)) & 1; }

static void eoi(struct lapic *a) { lapic_mmio_write(a, LAPIC_EOI, 4, 0); }

#define DEST(id) ((uint64_t)(id) << IOAPIC_RTE_DEST_SHIFT)

START_TEST(power_on_state)
{
    ck_assert_uint_eq(rd(IOAPIC_ID), 2u << 24);
    ck_assert_uint_eq(rd(IOAPIC_VER), 0x00170011u);
    ck_assert_uint_eq(rd(IOAPIC_ARB), 2u << 24);
    for (int pin = 0; pin < IOAPIC_PINS; pin++)
        ck_assert(get_rte(pin) == IOAPIC_RTE_MASKED);
    ck_assert_uint_eq(rd(0x03), 0);          /* reserved */
    ck_assert_uint_eq(rd(0x40), 0);          /* past the table */
}
END_TEST

START_TEST(registers_and_write_masks)
{
    wr(IOAPIC_ID, 0xffffffff);
    ck_assert_uint_eq(rd(IOAPIC_ID), 0x0f000000u);
    ck_assert_uint_eq(rd(IOAPIC_ARB), 0x0f000000u);
    wr(IOAPIC_VER, 0);
    ck_assert_uint_eq(rd(IOAPIC_VER), 0x00170011u);
    wr(IOAPIC_ARB, 0);
    ck_assert_uint_eq(rd(IOAPIC_ARB), 0x0f000000u);
    set_rte(7, ~0ull);
    ck_assert(get_rte(7) == 0xff0000000001afffull);  /* no delivs, remote IRR, reserved */
    set_rte(23, DEST(1) | 0x123);
    ck_assert(get_rte(23) == (DEST(1) | 0x123));
    /* IOREGSEL reads back; it is one byte */
    ioapic_mmio_write(&io, IOAPIC_IOREGSEL, 4, 0x1234);
    ck_assert_uint_eq(ioapic_mmio_read(&io, IOAPIC_IOREGSEL, 4), 0x34);
}
END_TEST

START_TEST(mmio_widths_and_bad_offsets)
{
    set_rte(0, DEST(0xab) | IOAPIC_RTE_MASKED | 0x31);
    ioapic_mmio_write(&io, IOAPIC_IOREGSEL, 1, IOAPIC_REDTBL + 1);
    ck_assert_uint_eq(ioapic_mmio_read(&io, IOAPIC_IOWIN + 3, 1), 0xab);
    ck_assert_uint_eq(ioapic_mmio_read(&io, IOAPIC_IOWIN + 2, 2), 0xab00);
    ioapic_mmio_write(&io, IOAPIC_IOWIN, 2, 0);     /* narrow write: ignored */
    ioapic_mmio_write(&io, IOAPIC_IOWIN + 1, 4, 0); /* misaligned: ignored */
    ck_assert(get_rte(0) == (DEST(0xab) | IOAPIC_RTE_MASKED | 0x31));
    ck_assert_uint_eq(ioapic_mmio_read(&io, 0x20, 4), 0);
    ck_assert_uint_eq(ioapic_mmio_read(&io, 0x04, 4), 0);
    ioapic_mmio_write(&io, 0x40, 4, 0x1f);          /* no EOI register in 0x11 */
    ioapic_mmio_write(&io, 0x10, 0, 1);
    ioapic_mmio_write(&io, 0x10, 9, 1);
    ck_assert_uint_eq(ioapic_mmio_read(&io, 0x10, 0), 0);
    /* through the mmio_ops table */
    ioapic_mmio_ops.write(&io, IOAPIC_IOREGSEL, 4, IOAPIC_VER);
    ck_assert_uint_eq(ioapic_mmio_ops.read(&io, IOAPIC_IOWIN, 4), 0x00170011u);
    ioapic_set_irq(&io, -1, 1);
    ioapic_set_irq(&io, IOAPIC_PINS, 1);
}
END_TEST

START_TEST(edge_triggered)
{
    set_rte(1, DEST(1) | 0x31);
    ioapic_set_irq(&io, 1, 1);
    ck_assert(irr_has(&l[1], 0x31) && !irr_has(&l[0], 0x31));
    ck_assert(!(get_rte(1) & IOAPIC_RTE_REMOTE_IRR));
    ck_assert_int_eq(lapic_ack(&l[1]), 0x31);
    ioapic_set_irq(&io, 1, 1);              /* still high: no new edge */
    ck_assert(!irr_has(&l[1], 0x31));
    ioapic_set_irq(&io, 1, 0);
    ioapic_set_irq(&io, 1, 1);
    ck_assert(irr_has(&l[1], 0x31));
    eoi(&l[1]);
    ck_assert(!(l[1].tmr[0x31 / 32] >> (0x31 % 32) & 1));
}
END_TEST

START_TEST(masked_edge_is_lost)
{
    set_rte(3, DEST(0) | IOAPIC_RTE_MASKED | 0x33);
    ioapic_set_irq(&io, 3, 1);
    ioapic_set_irq(&io, 3, 0);
    set_rte(3, DEST(0) | 0x33);
    ck_assert(!irr_has(&l[0], 0x33));
    /* spurious vector from a LAPIC with nothing pending */
    ck_assert(!lapic_has_interrupt(&l[0]));
    ck_assert_int_eq(lapic_ack(&l[0]), 0xff);
}
END_TEST

START_TEST(level_triggered_remote_irr)
{
    set_rte(10, DEST(0) | IOAPIC_RTE_LEVEL | 0x4a);
    ioapic_set_irq(&io, 10, 1);
    ck_assert(irr_has(&l[0], 0x4a));
    ck_assert(get_rte(10) & IOAPIC_RTE_REMOTE_IRR);
    ck_assert_int_eq(lapic_ack(&l[0]), 0x4a);
    ioapic_set_irq(&io, 10, 1);             /* no re-send while remote IRR */
    ck_assert(!irr_has(&l[0], 0x4a));
    /* EOI with the line still asserted: sent again */
    eoi(&l[0]);
    ck_assert(irr_has(&l[0], 0x4a));
    ck_assert(get_rte(10) & IOAPIC_RTE_REMOTE_IRR);
    ck_assert_int_eq(lapic_ack(&l[0]), 0x4a);
    /* de-asserted, then EOI: quiet */
    ioapic_set_irq(&io, 10, 0);
    eoi(&l[0]);
    ck_assert(!irr_has(&l[0], 0x4a));
    ck_assert(!(get_rte(10) & IOAPIC_RTE_REMOTE_IRR));
    /* an EOI for another vector leaves remote IRR alone */
    ioapic_set_irq(&io, 10, 1);
    ioapic_eoi(&io, 0x4b);
    ck_assert(get_rte(10) & IOAPIC_RTE_REMOTE_IRR);
    /* the guest cannot write remote IRR away */
    set_rte(10, DEST(0) | IOAPIC_RTE_LEVEL | 0x4a);
    ck_assert(get_rte(10) & IOAPIC_RTE_REMOTE_IRR);
}
END_TEST

START_TEST(level_masked_then_unmasked)
{
    set_rte(11, DEST(1) | IOAPIC_RTE_LEVEL | IOAPIC_RTE_MASKED | 0x4b);
    ioapic_set_irq(&io, 11, 1);
    ck_assert(!irr_has(&l[1], 0x4b));
    set_rte(11, DEST(1) | IOAPIC_RTE_LEVEL | 0x4b);     /* unmask with the line high */
    ck_assert(irr_has(&l[1], 0x4b));
    ck_assert(get_rte(11) & IOAPIC_RTE_REMOTE_IRR);
}
END_TEST

START_TEST(level_to_nobody_keeps_remote_irr_clear)
{
    set_rte(12, DEST(9) | IOAPIC_RTE_LEVEL | 0x4c);     /* no APIC 9 */
    ioapic_set_irq(&io, 12, 1);
    ck_assert(!(get_rte(12) & IOAPIC_RTE_REMOTE_IRR));
}
END_TEST

START_TEST(logical_and_lowest_priority_destinations)
{
    lapic_mmio_write(&l[0], LAPIC_LDR, 4, 0x01000000);
    lapic_mmio_write(&l[1], LAPIC_LDR, 4, 0x02000000);
    set_rte(4, DEST(0x03) | IOAPIC_RTE_DEST_LOGICAL | 0x34);
    ioapic_set_irq(&io, 4, 1);
    ck_assert(irr_has(&l[0], 0x34) && irr_has(&l[1], 0x34));
    lapic_mmio_write(&l[0], LAPIC_TPR, 4, 0x40);
    set_rte(5, DEST(0x03) | IOAPIC_RTE_DEST_LOGICAL |
               ((uint64_t)APIC_DM_LOWEST << IOAPIC_RTE_DM_SHIFT) | 0x35);
    ioapic_set_irq(&io, 5, 1);
    ck_assert(!irr_has(&l[0], 0x35) && irr_has(&l[1], 0x35));
}
END_TEST

START_TEST(nmi_and_init_delivery_modes)
{
    /* not routed anywhere visible without ops: must just not crash */
    set_rte(6, DEST(0) | ((uint64_t)APIC_DM_NMI << IOAPIC_RTE_DM_SHIFT));
    ioapic_set_irq(&io, 6, 1);
    set_rte(8, DEST(0) | ((uint64_t)APIC_DM_EXTINT << IOAPIC_RTE_DM_SHIFT));
    ioapic_set_irq(&io, 8, 1);
    set_rte(9, DEST(0) | ((uint64_t)APIC_DM_SMI << IOAPIC_RTE_DM_SHIFT));
    ioapic_set_irq(&io, 9, 1);
    ck_assert(!lapic_has_interrupt(&l[0]));
}
END_TEST

START_TEST(save_and_load_round_trip)
{
    set_rte(2, DEST(1) | IOAPIC_RTE_LEVEL | IOAPIC_RTE_POLARITY | 0x22);
    set_rte(14, DEST(0) | 0x2e);
    ioapic_set_irq(&io, 2, 1);
    ioapic_set_irq(&io, 14, 1);
    wr(IOAPIC_ID, 0x05000000);
    ioapic_mmio_write(&io, IOAPIC_IOREGSEL, 4, 0x1d);

    size_t need = ioapic_save(&io, NULL, 0);
    uint8_t buf[512];
    ck_assert_uint_le(need, sizeof(buf));
    ck_assert_uint_eq(ioapic_save(&io, buf, sizeof(buf)), need);
    ck_assert_uint_eq(ioapic_save(&io, buf, need - 1), 0);

    struct ioapic copy;
    ioapic_init(&copy, 0);
    ck_assert_int_eq(ioapic_load(&copy, buf, need), 0);
    ck_assert_uint_eq(copy.ioregsel, 0x1d);
    ck_assert_uint_eq(copy.id, io.id);
    ck_assert_uint_eq(copy.arb, io.arb);
    ck_assert_uint_eq(copy.pin_level, io.pin_level);
    for (int pin = 0; pin < IOAPIC_PINS; pin++)
        ck_assert(copy.redtbl[pin] == io.redtbl[pin]);
    ck_assert(copy.redtbl[2] & IOAPIC_RTE_REMOTE_IRR);

    /* the copy on the bus keeps going: EOI resends the asserted level pin */
    struct apic_bus bus2;
    apic_bus_init(&bus2);
    apic_bus_add_lapic(&bus2, &l[1]);
    apic_bus_add_ioapic(&bus2, &copy);
    l[1].irr[0x22 / 32] = 0;
    ioapic_eoi(&copy, 0x22);
    ck_assert(irr_has(&l[1], 0x22));

    ck_assert_int_eq(ioapic_load(&copy, buf, need - 1), -22);
    buf[1] = 'x';
    ck_assert_int_eq(ioapic_load(&copy, buf, need), -22);
    ck_assert_int_eq(ioapic_load(&copy, NULL, need), -22);
    memset(buf, 0xff, need);
    buf[0] = 'I';
    buf[1] = 'O';
    buf[2] = 1;
    ck_assert_int_eq(ioapic_load(&copy, buf, need), 0);
    ck_assert_uint_eq(copy.pin_level, 0xffffffu);
    ck_assert(copy.redtbl[0] == (0xff0000000001afffull | IOAPIC_RTE_REMOTE_IRR));
}
END_TEST

int main(void)
{
    Suite *s = suite_create("ioapic");
    TCase *tc = tcase_create("ioapic");
    tcase_add_checked_fixture(tc, setup, NULL);
    tcase_add_test(tc, power_on_state);
    tcase_add_test(tc, registers_and_write_masks);
    tcase_add_test(tc, mmio_widths_and_bad_offsets);
    tcase_add_test(tc, edge_triggered);
    tcase_add_test(tc, masked_edge_is_lost);
    tcase_add_test(tc, level_triggered_remote_irr);
    tcase_add_test(tc, level_masked_then_unmasked);
    tcase_add_test(tc, level_to_nobody_keeps_remote_irr_clear);
    tcase_add_test(tc, logical_and_lowest_priority_destinations);
    tcase_add_test(tc, nmi_and_init_delivery_modes);
    tcase_add_test(tc, save_and_load_round_trip);
    suite_add_tcase(s, tc);
    return run_suite(s);
}
