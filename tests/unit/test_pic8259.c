/* The 8259A pair, command word by command word (Intel 8259A datasheet). */
#include <check.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "devices/iobus.h"
#include "devices/pic8259.h"
#include "tests/unit/run_suite.h"

static struct pic pic;
static struct iobus bus;
static int intr_level, intr_changes;

static void cpu_intr(void *opaque, int n, int level)
{
    (void)opaque;
    (void)n;
    intr_level = level;
    intr_changes++;
}

static void out(uint16_t port, uint8_t val) { iobus_write(&bus, port, 1, val); }
static uint8_t in(uint16_t port) { return (uint8_t)iobus_read(&bus, port, 1); }

/* The Linux / xv6 sequence: ICW1 edge + ICW4, vectors 20h / 28h, cascade
 * on IR2, 8086 mode, then unmask everything. */
static void init_pair(uint8_t icw1, uint8_t icw4)
{
    out(0x20, icw1); out(0x21, 0x20); out(0x21, 0x04); out(0x21, icw4);
    out(0xa0, icw1); out(0xa1, 0x28); out(0xa1, 0x02); out(0xa1, icw4);
    out(0x21, 0x00);
    out(0xa1, 0x00);
}

static void setup(void)
{
    struct irq_line intr;
    irq_line_connect(&intr, cpu_intr, NULL, 0);
    intr_level = 0;
    intr_changes = 0;
    iobus_init(&bus);
    pic_init(&pic, intr);
    ck_assert_int_eq(pic_attach(&pic, &bus), 0);
    init_pair(0x11, 0x01);
}

static uint8_t read_irr(uint16_t base) { out(base, 0x0a); return in(base); }
static uint8_t read_isr(uint16_t base) { out(base, 0x0b); return in(base); }

START_TEST(power_on_state_is_the_bios_one)
{
    struct pic p;
    struct irq_line none = { 0 };
    pic_init(&p, none);
    ck_assert_uint_eq(p.chip[0].icw2, 0x08);
    ck_assert_uint_eq(p.chip[1].icw2, 0x70);
    ck_assert_uint_eq(p.chip[0].imr, 0xfb);
    ck_assert_uint_eq(p.chip[1].imr, 0xff);
    pic_set_irq(&p, 0, 1);
    ck_assert(!pic_intr_pending(&p));   /* masked */
}
END_TEST

START_TEST(icw1_starts_the_sequence_and_clears_imr)
{
    out(0x21, 0xff);
    ck_assert_uint_eq(in(0x21), 0xff);
    out(0x20, 0x11);                    /* ICW1: IMR cleared */
    ck_assert_uint_eq(in(0x21), 0x00);
    ck_assert_uint_eq(pic.chip[0].init_step, PIC_WANT_ICW2);
    out(0x21, 0x47);                    /* ICW2: T2-T0 ignored in 8086 mode */
    ck_assert_uint_eq(pic.chip[0].init_step, PIC_WANT_ICW3);
    out(0x21, 0x04);
    ck_assert_uint_eq(pic.chip[0].init_step, PIC_WANT_ICW4);
    out(0x21, 0x01);
    ck_assert_uint_eq(pic.chip[0].init_step, PIC_READY);
    out(0x21, 0x01);                    /* now OCW1 */
    ck_assert_uint_eq(in(0x21), 0x01);
    pic_set_irq(&pic, 1, 1);
    ck_assert_int_eq(pic_ack(&pic), 0x41);

    /* Single mode, no ICW4: ICW2 is the last. */
    out(0x20, 0x12);
    out(0x21, 0x30);
    ck_assert_uint_eq(pic.chip[0].init_step, PIC_READY);
    ck_assert_uint_eq(pic.chip[0].icw4, 0);
    out(0x21, 0x55);
    ck_assert_uint_eq(in(0x21), 0x55);
}
END_TEST

START_TEST(request_ack_eoi)
{
    ck_assert_int_eq(intr_level, 0);
    pic_set_irq(&pic, 4, 1);
    ck_assert_int_eq(intr_level, 1);
    ck_assert(pic_intr_pending(&pic));
    ck_assert_uint_eq(read_irr(0x20), 0x10);
    ck_assert_int_eq(pic_ack(&pic), 0x24);
    ck_assert_int_eq(intr_level, 0);
    ck_assert_uint_eq(read_irr(0x20), 0x00);
    ck_assert_uint_eq(read_isr(0x20), 0x10);
    out(0x20, 0x20);                    /* non-specific EOI */
    ck_assert_uint_eq(read_isr(0x20), 0x00);
    ck_assert_int_eq(intr_level, 0);    /* edge: no new request while high */
}
END_TEST

START_TEST(imr_masks_requests)
{
    out(0x21, 0x08);
    pic_set_irq(&pic, 3, 1);
    ck_assert_int_eq(intr_level, 0);
    ck_assert_uint_eq(read_irr(0x20), 0x08);    /* IRR latches masked requests */
    out(0x21, 0x00);
    ck_assert_int_eq(intr_level, 1);
    ck_assert_int_eq(pic_ack(&pic), 0x23);
}
END_TEST

START_TEST(fully_nested_priorities)
{
    pic_set_irq(&pic, 5, 1);
    pic_set_irq(&pic, 3, 1);
    ck_assert_int_eq(pic_ack(&pic), 0x23);      /* IR3 beats IR5 */
    ck_assert_int_eq(intr_level, 0);            /* IR5 waits for IR3's EOI */
    pic_set_irq(&pic, 1, 1);
    ck_assert_int_eq(intr_level, 1);            /* IR1 nests over IR3 */
    ck_assert_int_eq(pic_ack(&pic), 0x21);
    ck_assert_uint_eq(read_isr(0x20), 0x0a);
    out(0x20, 0x20);                            /* clears IR1, the highest */
    ck_assert_uint_eq(read_isr(0x20), 0x08);
    ck_assert_int_eq(intr_level, 0);
    out(0x20, 0x20);
    ck_assert_int_eq(intr_level, 1);
    ck_assert_int_eq(pic_ack(&pic), 0x25);
}
END_TEST

START_TEST(specific_eoi_and_set_priority)
{
    pic_set_irq(&pic, 6, 1);
    ck_assert_int_eq(pic_ack(&pic), 0x26);
    pic_set_irq(&pic, 2 + 1, 1);
    ck_assert_int_eq(pic_ack(&pic), 0x23);
    out(0x20, 0x66);                            /* specific EOI, level 6 */
    ck_assert_uint_eq(read_isr(0x20), 0x08);
    out(0x20, 0x63);
    ck_assert_uint_eq(read_isr(0x20), 0x00);

    out(0x20, 0xc4);                            /* IR4 lowest: IR5 highest */
    pic_set_irq(&pic, 3, 0);
    pic_set_irq(&pic, 3, 1);
    pic_set_irq(&pic, 6, 0);
    pic_set_irq(&pic, 6, 1);
    ck_assert_int_eq(pic_ack(&pic), 0x26);      /* 6 before 3 now */
    ck_assert_int_eq(intr_level, 0);            /* 3 is below 6 */
    out(0x20, 0x20);
    ck_assert_int_eq(pic_ack(&pic), 0x23);
}
END_TEST

START_TEST(rotate_on_nonspecific_eoi)
{
    /* Equal-priority devices taking turns (datasheet "Automatic Rotation"). */
    pic_set_irq(&pic, 0, 1);
    pic_set_irq(&pic, 1, 1);
    ck_assert_int_eq(pic_ack(&pic), 0x20);
    out(0x20, 0xa0);                            /* IR0 becomes the lowest */
    ck_assert_uint_eq(pic.chip[0].lowest, 0);
    pic_set_irq(&pic, 0, 0);
    pic_set_irq(&pic, 0, 1);
    ck_assert_int_eq(pic_ack(&pic), 0x21);      /* IR1 is the highest now */
    out(0x20, 0xe1);                            /* rotate on specific EOI 1 */
    ck_assert_uint_eq(pic.chip[0].lowest, 1);
    ck_assert_int_eq(pic_ack(&pic), 0x20);
}
END_TEST

START_TEST(auto_eoi_leaves_isr_clear)
{
    init_pair(0x11, 0x03);
    pic_set_irq(&pic, 5, 1);
    ck_assert_int_eq(pic_ack(&pic), 0x25);
    ck_assert_uint_eq(read_isr(0x20), 0x00);
    pic_set_irq(&pic, 7, 1);
    ck_assert_int_eq(intr_level, 1);            /* nothing in service */
    out(0x20, 0x80);                            /* rotate in AEOI mode */
    ck_assert_int_eq(pic_ack(&pic), 0x27);
    ck_assert_uint_eq(pic.chip[0].lowest, 7);
    out(0x20, 0x00);
    ck_assert_uint_eq(pic.chip[0].rotate_aeoi, 0);
}
END_TEST

START_TEST(spurious_irq7_when_level_request_goes_away)
{
    out(0x4d0, 0x20);                           /* IRQ5 level-triggered */
    pic_set_irq(&pic, 5, 1);
    ck_assert_int_eq(intr_level, 1);
    pic_set_irq(&pic, 5, 0);                    /* gone before INTA */
    ck_assert_int_eq(intr_level, 0);
    ck_assert_int_eq(pic_ack(&pic), 0x27);      /* default IR7 */
    ck_assert_uint_eq(read_isr(0x20), 0x00);    /* ISR7 not set */
    ck_assert_uint_eq(pic.spurious, 1);

    /* An edge request masked between INTR and INTA: the same. */
    pic_set_irq(&pic, 3, 1);
    out(0x21, 0x08);
    ck_assert_int_eq(pic_ack(&pic), 0x27);
    ck_assert_uint_eq(read_isr(0x20), 0x00);
}
END_TEST

START_TEST(spurious_irq15_sets_only_the_master_cascade)
{
    out(0x4d1, 0x10);                           /* IRQ12 level-triggered */
    pic_set_irq(&pic, 12, 1);
    ck_assert_int_eq(intr_level, 1);
    pic_set_irq(&pic, 12, 0);                   /* the slave's request goes */
    ck_assert_int_eq(intr_level, 1);            /* master IR2 is latched (edge) */
    ck_assert_int_eq(pic_ack(&pic), 0x2f);      /* default IR7 of the slave */
    ck_assert_uint_eq(read_isr(0xa0), 0x00);
    ck_assert_uint_eq(read_isr(0x20), 0x04);    /* the master must get its EOI */
    out(0x20, 0x20);
    ck_assert_uint_eq(read_isr(0x20), 0x00);
}
END_TEST

START_TEST(cascade_ack_vectors)
{
    pic_set_irq(&pic, 14, 1);
    ck_assert_int_eq(intr_level, 1);
    ck_assert_uint_eq(read_irr(0x20), 0x04);
    ck_assert_int_eq(pic_ack(&pic), 0x2e);
    ck_assert_uint_eq(read_isr(0xa0), 0x40);
    ck_assert_uint_eq(read_isr(0x20), 0x04);
    pic_set_irq(&pic, 8, 1);
    ck_assert_int_eq(intr_level, 0);            /* master IR2 in service */
    out(0xa0, 0x20);
    out(0x20, 0x20);
    ck_assert_int_eq(intr_level, 1);
    ck_assert_int_eq(pic_ack(&pic), 0x28);
    out(0xa0, 0x20);
    out(0x20, 0x20);
    /* IRQ2 on the ISA bus is IRQ9. */
    pic_set_irq(&pic, 2, 1);
    ck_assert_int_eq(pic_ack(&pic), 0x29);
    /* The slave masked at the master: nothing gets through. */
    out(0xa0, 0x20); out(0x20, 0x20);
    out(0x21, 0x04);
    pic_set_irq(&pic, 10, 1);
    ck_assert_int_eq(intr_level, 0);
}
END_TEST

START_TEST(cascade_with_slave_auto_eoi_keeps_requesting)
{
    out(0xa0, 0x11); out(0xa1, 0x28); out(0xa1, 0x02); out(0xa1, 0x03);
    out(0xa1, 0x00);
    pic_set_irq(&pic, 8, 1);
    pic_set_irq(&pic, 12, 1);
    ck_assert_int_eq(pic_ack(&pic), 0x28);
    out(0x20, 0x20);
    ck_assert_int_eq(intr_level, 1);            /* IRQ12 is still there */
    ck_assert_int_eq(pic_ack(&pic), 0x2c);
}
END_TEST

START_TEST(level_triggered_requests_again_while_high)
{
    init_pair(0x19, 0x01);                      /* ICW1.LTIM */
    pic_set_irq(&pic, 3, 1);
    ck_assert_int_eq(pic_ack(&pic), 0x23);
    ck_assert_uint_eq(read_irr(0x20), 0x08);    /* still high: still requested */
    ck_assert_int_eq(intr_level, 0);            /* but in service */
    out(0x20, 0x20);
    ck_assert_int_eq(intr_level, 1);
    ck_assert_int_eq(pic_ack(&pic), 0x23);
    out(0x20, 0x20);
    pic_set_irq(&pic, 3, 0);
    ck_assert_int_eq(intr_level, 0);

    /* Edge: held high after EOI, nothing more until the next edge. */
    init_pair(0x11, 0x01);
    pic_set_irq(&pic, 3, 1);                    /* was low: an edge */
    ck_assert_int_eq(pic_ack(&pic), 0x23);
    out(0x20, 0x20);
    ck_assert_int_eq(intr_level, 0);
    pic_set_irq(&pic, 3, 0);
    pic_set_irq(&pic, 3, 1);
    ck_assert_int_eq(intr_level, 1);
}
END_TEST

START_TEST(icw1_resets_the_edge_sense)
{
    pic_set_irq(&pic, 6, 1);
    init_pair(0x11, 0x01);
    ck_assert_int_eq(intr_level, 0);            /* must go low to high again */
    pic_set_irq(&pic, 6, 0);
    pic_set_irq(&pic, 6, 1);
    ck_assert_int_eq(pic_ack(&pic), 0x26);
}
END_TEST

START_TEST(elcr_sets_level_per_irq)
{
    out(0x4d0, 0xff);
    out(0x4d1, 0xff);
    ck_assert_uint_eq(in(0x4d0), 0xf8);         /* IRQ0-2 edge only */
    ck_assert_uint_eq(in(0x4d1), 0xde);         /* IRQ8, IRQ13 edge only */
    ck_assert_uint_eq(iobus_read(&bus, 0x4d0, 2), 0xdef8);
    out(0x4d1, 0x08);                           /* IRQ11 level */
    pic_set_irq(&pic, 11, 1);
    ck_assert_int_eq(pic_ack(&pic), 0x2b);
    out(0xa0, 0x20); out(0x20, 0x20);
    ck_assert_int_eq(pic_ack(&pic), 0x2b);      /* requests again */
    out(0xa0, 0x20); out(0x20, 0x20);
    out(0x4d1, 0x00);                           /* back to edge */
    ck_assert_int_eq(intr_level, 1);            /* the level latched stays */
    ck_assert_int_eq(pic_ack(&pic), 0x2b);
    out(0xa0, 0x20); out(0x20, 0x20);
    ck_assert_int_eq(intr_level, 0);
}
END_TEST

START_TEST(ocw3_selects_irr_or_isr)
{
    pic_set_irq(&pic, 1, 1);
    pic_set_irq(&pic, 4, 1);
    pic_ack(&pic);
    ck_assert_uint_eq(read_irr(0x20), 0x10);
    ck_assert_uint_eq(in(0x20), 0x10);          /* selection persists */
    ck_assert_uint_eq(read_isr(0x20), 0x02);
    out(0x20, 0x08);                            /* RR=0: no change */
    ck_assert_uint_eq(in(0x20), 0x02);
    ck_assert_uint_eq(in(0x21), 0x00);          /* A0=1 reads IMR */
}
END_TEST

START_TEST(poll_command_acknowledges)
{
    out(0x20, 0x0c);                            /* poll, nothing pending */
    ck_assert_uint_eq(in(0x20), 0x00);
    pic_set_irq(&pic, 5, 1);
    pic_set_irq(&pic, 6, 1);
    out(0x20, 0x0c);
    ck_assert_uint_eq(in(0x20), 0x85);          /* I=1, level 5 */
    ck_assert_uint_eq(read_isr(0x20), 0x20);
    ck_assert_uint_eq(read_irr(0x20), 0x40);
    out(0x20, 0x20);
    out(0x20, 0x0c);
    ck_assert_uint_eq(in(0x20), 0x86);
    /* Polling the slave. */
    pic_set_irq(&pic, 13, 1);
    out(0xa0, 0x0c);
    ck_assert_uint_eq(in(0xa0), 0x85);
}
END_TEST

START_TEST(special_mask_mode_lets_lower_levels_in)
{
    pic_set_irq(&pic, 3, 1);
    ck_assert_int_eq(pic_ack(&pic), 0x23);
    pic_set_irq(&pic, 5, 1);
    ck_assert_int_eq(intr_level, 0);            /* below IR3 in service */
    out(0x21, 0x08);                            /* mask IR3 */
    out(0x20, 0x68);                            /* ESMM + SMM */
    ck_assert_int_eq(intr_level, 1);
    ck_assert_int_eq(pic_ack(&pic), 0x25);
    out(0x20, 0x20);                            /* skips masked IR3 */
    ck_assert_uint_eq(read_isr(0x20), 0x08);
    out(0x20, 0x48);                            /* SMM off */
    out(0x20, 0x20);
    ck_assert_uint_eq(read_isr(0x20), 0x00);
}
END_TEST

START_TEST(special_fully_nested_lets_the_slave_nest)
{
    init_pair(0x11, 0x11);                      /* ICW4.SFNM */
    pic_set_irq(&pic, 12, 1);
    ck_assert_int_eq(pic_ack(&pic), 0x2c);
    pic_set_irq(&pic, 9, 1);                    /* higher on the same slave */
    ck_assert_int_eq(intr_level, 1);
    ck_assert_int_eq(pic_ack(&pic), 0x29);
}
END_TEST

START_TEST(wide_accesses_split_into_bytes)
{
    iobus_write(&bus, 0x20, 2, 0x5a0a);         /* OCW3 read IRR; IMR=5a */
    ck_assert_uint_eq(in(0x21), 0x5a);
    ck_assert_uint_eq(iobus_read(&bus, 0xa0, 2) >> 8, 0x00);
}
END_TEST

START_TEST(save_and_load_round_trip)
{
    out(0x4d1, 0x10);
    out(0x21, 0x80);
    pic_set_irq(&pic, 3, 1);
    pic_set_irq(&pic, 12, 1);
    pic_set_irq(&pic, 6, 1);
    ck_assert_int_eq(pic_ack(&pic), 0x2c);
    out(0x20, 0xc5);                            /* rotate priority */
    out(0xa0, 0x0b);

    size_t need = pic_save(&pic, NULL, 0);
    ck_assert_uint_gt(need, 0);
    uint8_t buf[128];
    ck_assert_uint_le(need, sizeof(buf));
    ck_assert_uint_eq(pic_save(&pic, buf, 3), 0);
    ck_assert_uint_eq(pic_save(&pic, buf, sizeof(buf)), need);

    struct pic copy;
    struct irq_line intr;
    irq_line_connect(&intr, cpu_intr, NULL, 0);
    pic_init(&copy, intr);
    intr_level = -1;
    ck_assert_int_eq(pic_load(&copy, buf, need), 0);
    ck_assert_int_eq(intr_level, 1);            /* driven to the saved level */
    ck_assert_mem_eq(copy.chip, pic.chip, sizeof(pic.chip));
    /* It goes on the same: IR6 first after the rotation (IR5 lowest). */
    ck_assert_int_eq(pic_ack(&copy), pic_ack(&pic));
    ck_assert_int_eq(pic_ack(&copy), pic_ack(&pic));
    ck_assert_uint_eq(pic_read(&copy, 1, PIC_A0_0), pic_read(&pic, 1, PIC_A0_0));

    buf[1] = 99;
    ck_assert_int_eq(pic_load(&copy, buf, need), -EINVAL);
    buf[1] = 1;
    buf[2 + 9] = 7;                             /* init_step out of range */
    ck_assert_int_eq(pic_load(&copy, buf, need), -EINVAL);
    ck_assert_int_eq(pic_load(&copy, buf, 4), -EINVAL);
}
END_TEST

START_TEST(random_guest_writes_never_break_it)
{
    unsigned seed = 12345;
    static const uint16_t ports[] = { 0x20, 0x21, 0xa0, 0xa1, 0x4d0, 0x4d1 };
    for (int i = 0; i < 200000; i++) {
        unsigned r = rand_r(&seed);
        uint16_t port = ports[r % 6];
        switch ((r >> 4) % 5) {
        case 0: case 1:
            out(port, (uint8_t)(r >> 8));
            break;
        case 2:
            in(port);
            break;
        case 3:
            pic_set_irq(&pic, (int)((r >> 8) % 20) - 2, (r >> 16) & 1);
            break;
        default: {
            int v = pic_ack(&pic);
            ck_assert(v >= 0 && v <= 255);
            break;
        }
        }
        ck_assert_int_eq(intr_level, pic_intr_pending(&pic));
    }
}
END_TEST

int main(void)
{
    Suite *s = suite_create("pic8259");
    TCase *tc = tcase_create("registers");
    tcase_add_checked_fixture(tc, setup, NULL);
    tcase_add_test(tc, power_on_state_is_the_bios_one);
    tcase_add_test(tc, icw1_starts_the_sequence_and_clears_imr);
    tcase_add_test(tc, request_ack_eoi);
    tcase_add_test(tc, imr_masks_requests);
    tcase_add_test(tc, fully_nested_priorities);
    tcase_add_test(tc, specific_eoi_and_set_priority);
    tcase_add_test(tc, rotate_on_nonspecific_eoi);
    tcase_add_test(tc, auto_eoi_leaves_isr_clear);
    tcase_add_test(tc, spurious_irq7_when_level_request_goes_away);
    tcase_add_test(tc, spurious_irq15_sets_only_the_master_cascade);
    tcase_add_test(tc, cascade_ack_vectors);
    tcase_add_test(tc, cascade_with_slave_auto_eoi_keeps_requesting);
    tcase_add_test(tc, level_triggered_requests_again_while_high);
    tcase_add_test(tc, icw1_resets_the_edge_sense);
    tcase_add_test(tc, elcr_sets_level_per_irq);
    tcase_add_test(tc, ocw3_selects_irr_or_isr);
    tcase_add_test(tc, poll_command_acknowledges);
    tcase_add_test(tc, special_mask_mode_lets_lower_levels_in);
    tcase_add_test(tc, special_fully_nested_lets_the_slave_nest);
    tcase_add_test(tc, wide_accesses_split_into_bytes);
    tcase_add_test(tc, save_and_load_round_trip);
    tcase_add_test(tc, random_guest_writes_never_break_it);
    suite_add_tcase(s, tc);
    return run_suite(s);
}
