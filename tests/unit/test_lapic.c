/* The local APIC and the APIC bus, register by register (Intel SDM Vol. 3,
 * ch. 11). */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "devices/apic_bus.h"
#include "devices/ioapic.h"
#include "devices/lapic.h"
#include "machine/vclock.h"
#include "tests/unit/run_suite.h"

#define NCPU 4

/* What a vCPU saw through its lapic_cpu_ops. */
struct fake_cpu {
    int kicks, nmis, inits, sipis, sipi_vector;
};

static void cpu_kick(void *o) { ((struct fake_cpu *)o)->kicks++; }
static void cpu_nmi(void *o) { ((struct fake_cpu *)o)->nmis++; }
static void cpu_init(void *o) { ((struct fake_cpu *)o)->inits++; }
static void cpu_sipi(void *o, int v)
{
    struct fake_cpu *c = o;
    c->sipis++;
    c->sipi_vector = v;
}

static const struct lapic_cpu_ops ops = {
    .kick = cpu_kick, .nmi = cpu_nmi, .init = cpu_init, .sipi = cpu_sipi,
};

static struct vclock clk;
static struct apic_bus bus;
static struct lapic l[NCPU];
static struct fake_cpu cpu[NCPU];

static void setup(void)
{
    vclock_init(&clk);
    vclock_set_fake(&clk, 0);
    apic_bus_init(&bus);
    memset(cpu, 0, sizeof(cpu));
    for (int i = 0; i < NCPU; i++) {
        lapic_init(&l[i], (uint8_t)i, i == 0, &clk, 0);
        lapic_set_cpu_ops(&l[i], &ops, &cpu[i]);
        ck_assert_int_eq(apic_bus_add_lapic(&bus, &l[i]), i);
    }
}

static uint32_t rd(struct lapic *a, uint32_t reg) { return (uint32_t)lapic_mmio_read(a, reg, 4); }
static void wr(struct lapic *a, uint32_t reg, uint32_t v) { lapic_mmio_write(a, reg, 4, v); }

static void enable_all(void)
{
    for (int i = 0; i < NCPU; i++)
        wr(&l[i], LAPIC_SVR, LAPIC_SVR_ENABLE | 0xff);
}

static bool irr_has(struct lapic *a, int v)
{
    return (rd(a, LAPIC_IRR + 0x10 * (uint32_t)(v / 32)) >> (v % 32)) & 1;
}

static bool isr_has(struct lapic *a, int v)
{
    return (rd(a, LAPIC_ISR + 0x10 * (uint32_t)(v / 32)) >> (v % 32)) & 1;
}

static bool tmr_has(struct lapic *a, int v)
{
    return (rd(a, LAPIC_TMR + 0x10 * (uint32_t)(v / 32)) >> (v % 32)) & 1;
}

static void send_ipi(struct lapic *from, uint8_t dest, uint32_t lo)
{
    wr(from, LAPIC_ICR_HI, (uint32_t)dest << 24);
    wr(from, LAPIC_ICR_LO, lo);
}

#define DM(x) ((uint32_t)APIC_DM_##x << 8)
#define SH(x) ((uint32_t)APIC_SH_##x << LAPIC_ICR_SHORTHAND_SHIFT)

/* --- registers --- */

START_TEST(power_on_state)
{
    ck_assert_uint_eq(rd(&l[2], LAPIC_ID), 2u << 24);
    ck_assert_uint_eq(rd(&l[0], LAPIC_VER), 0x00060014u);
    ck_assert_uint_eq(rd(&l[0], LAPIC_TPR), 0);
    ck_assert_uint_eq(rd(&l[0], LAPIC_PPR), 0);
    ck_assert_uint_eq(rd(&l[0], LAPIC_LDR), 0);
    ck_assert_uint_eq(rd(&l[0], LAPIC_DFR), 0xffffffffu);
    ck_assert_uint_eq(rd(&l[0], LAPIC_SVR), 0xff);
    for (uint32_t r = LAPIC_LVT_TIMER; r <= LAPIC_LVT_ERROR; r += 0x10)
        ck_assert_uint_eq(rd(&l[0], r), LAPIC_LVT_MASKED);
    ck_assert_uint_eq(rd(&l[0], LAPIC_LVT_CMCI), LAPIC_LVT_MASKED);
    ck_assert_uint_eq(rd(&l[0], LAPIC_TIMER_ICR), 0);
    ck_assert_uint_eq(rd(&l[0], LAPIC_TIMER_CCR), 0);
    ck_assert_uint_eq(rd(&l[0], LAPIC_TIMER_DCR), 0);
    ck_assert(lapic_apic_base(&l[0]) == (0xfee00000ull | (1 << 11) | (1 << 8)));
    ck_assert(lapic_apic_base(&l[1]) == (0xfee00000ull | (1 << 11)));
    ck_assert(!lapic_enabled(&l[0]));
}
END_TEST

START_TEST(register_write_masks)
{
    enable_all();
    wr(&l[0], LAPIC_ID, 0xffffffff);
    ck_assert_uint_eq(rd(&l[0], LAPIC_ID), 0xff000000u);
    wr(&l[0], LAPIC_ID, 0);
    wr(&l[0], LAPIC_TPR, 0xffffffff);
    ck_assert_uint_eq(rd(&l[0], LAPIC_TPR), 0xff);
    wr(&l[0], LAPIC_LDR, 0x12345678);
    ck_assert_uint_eq(rd(&l[0], LAPIC_LDR), 0x12000000u);
    wr(&l[0], LAPIC_DFR, 0);
    ck_assert_uint_eq(rd(&l[0], LAPIC_DFR), 0x0fffffffu);
    wr(&l[0], LAPIC_SVR, 0xffffffff);
    ck_assert_uint_eq(rd(&l[0], LAPIC_SVR), 0x3ff);
    wr(&l[0], LAPIC_LVT_LINT0, 0xffffffff);
    ck_assert_uint_eq(rd(&l[0], LAPIC_LVT_LINT0), 0x1a7ff);
    wr(&l[0], LAPIC_LVT_TIMER, 0xffffffff);
    ck_assert_uint_eq(rd(&l[0], LAPIC_LVT_TIMER), 0x700ff);
    wr(&l[0], LAPIC_LVT_ERROR, 0xffffffff);
    ck_assert_uint_eq(rd(&l[0], LAPIC_LVT_ERROR), 0x100ff);
    wr(&l[0], LAPIC_LVT_THERMAL, 0xffffffff);
    ck_assert_uint_eq(rd(&l[0], LAPIC_LVT_THERMAL), 0x107ff);
    wr(&l[0], LAPIC_TIMER_DCR, 0xffffffff);
    ck_assert_uint_eq(rd(&l[0], LAPIC_TIMER_DCR), 0xb);
    wr(&l[0], LAPIC_ICR_HI, 0xffffffff);
    ck_assert_uint_eq(rd(&l[0], LAPIC_ICR_HI), 0xff000000u);
    /* read-only registers ignore writes */
    wr(&l[0], LAPIC_VER, 0);
    ck_assert_uint_eq(rd(&l[0], LAPIC_VER), 0x00060014u);
    wr(&l[0], LAPIC_PPR, 0xff);
    ck_assert_uint_eq(rd(&l[0], LAPIC_PPR), 0xff);   /* = TPR */
    wr(&l[0], LAPIC_IRR + 0x10, 0xffffffff);
    ck_assert_uint_eq(rd(&l[0], LAPIC_IRR + 0x10), 0);
}
END_TEST

START_TEST(software_disable_keeps_lvts_masked)
{
    wr(&l[0], LAPIC_LVT_LINT0, 0x700);
    ck_assert_uint_eq(rd(&l[0], LAPIC_LVT_LINT0), 0x700 | LAPIC_LVT_MASKED);
    wr(&l[0], LAPIC_SVR, LAPIC_SVR_ENABLE | 0xff);
    ck_assert_uint_eq(rd(&l[0], LAPIC_LVT_LINT0), 0x700 | LAPIC_LVT_MASKED);
    wr(&l[0], LAPIC_LVT_LINT0, 0x700);
    ck_assert_uint_eq(rd(&l[0], LAPIC_LVT_LINT0), 0x700);
    wr(&l[0], LAPIC_SVR, 0xff);     /* disabling masks every LVT */
    ck_assert_uint_eq(rd(&l[0], LAPIC_LVT_LINT0), 0x700 | LAPIC_LVT_MASKED);
}
END_TEST

START_TEST(esr_write_then_read)
{
    enable_all();
    lapic_mmio_read(&l[0], 0x040, 4);       /* reserved */
    ck_assert_uint_eq(rd(&l[0], LAPIC_ESR), 0);     /* not yet visible */
    wr(&l[0], LAPIC_ESR, 0);
    ck_assert_uint_eq(rd(&l[0], LAPIC_ESR), LAPIC_ESR_ILLEGAL_REG);
    wr(&l[0], LAPIC_ESR, 0);
    ck_assert_uint_eq(rd(&l[0], LAPIC_ESR), 0);
    lapic_set_irq(&l[0], 5, 0);             /* illegal vector received */
    send_ipi(&l[0], 1, DM(FIXED) | 3);      /* illegal vector sent */
    ck_assert(!irr_has(&l[1], 3));
    wr(&l[0], LAPIC_ESR, 0);
    ck_assert_uint_eq(rd(&l[0], LAPIC_ESR),
                      LAPIC_ESR_RECV_ILLEGAL_VECTOR | LAPIC_ESR_SEND_ILLEGAL_VECTOR);
}
END_TEST

START_TEST(error_lvt_interrupts)
{
    enable_all();
    wr(&l[0], LAPIC_LVT_ERROR, 0xfe);
    wr(&l[0], 0x3f0, 1);                    /* reserved */
    ck_assert(irr_has(&l[0], 0xfe));
    /* An illegal error vector does not loop. */
    wr(&l[1], LAPIC_LVT_ERROR, 0x02);
    lapic_set_irq(&l[1], 1, 0);
    wr(&l[1], LAPIC_ESR, 0);
    ck_assert_uint_eq(rd(&l[1], LAPIC_ESR), LAPIC_ESR_RECV_ILLEGAL_VECTOR);
}
END_TEST

/* --- priority, acceptance, EOI (SDM 11.8) --- */

START_TEST(ack_order_by_priority_class)
{
    enable_all();
    struct lapic *a = &l[0];
    lapic_set_irq(a, 0x31, 0);
    lapic_set_irq(a, 0x52, 0);
    lapic_set_irq(a, 0x40, 1);
    ck_assert(tmr_has(a, 0x40) && !tmr_has(a, 0x52));
    ck_assert(lapic_has_interrupt(a));
    ck_assert_int_eq(lapic_ack(a), 0x52);
    ck_assert(isr_has(a, 0x52) && !irr_has(a, 0x52));
    ck_assert_uint_eq(rd(a, LAPIC_PPR), 0x50);
    ck_assert(!lapic_has_interrupt(a));     /* 0x40 is below the ISR class */
    lapic_set_irq(a, 0x5f, 0);
    ck_assert(!lapic_has_interrupt(a));     /* same class: must wait */
    lapic_set_irq(a, 0x61, 0);
    ck_assert(lapic_has_interrupt(a));      /* higher class nests */
    ck_assert_int_eq(lapic_ack(a), 0x61);
    wr(a, LAPIC_EOI, 0);                    /* ends 0x61 */
    ck_assert(!isr_has(a, 0x61) && isr_has(a, 0x52));
    wr(a, LAPIC_EOI, 0);                    /* ends 0x52 */
    ck_assert_int_eq(lapic_ack(a), 0x5f);
    wr(a, LAPIC_EOI, 0);
    ck_assert_int_eq(lapic_ack(a), 0x40);
    wr(a, LAPIC_EOI, 0);
    ck_assert_int_eq(lapic_ack(a), 0x31);
    wr(a, LAPIC_EOI, 0);
    ck_assert(!lapic_has_interrupt(a));
    ck_assert_uint_eq(rd(a, LAPIC_PPR), 0);
    wr(a, LAPIC_EOI, 0);                    /* nothing in service: harmless */
}
END_TEST

START_TEST(tpr_blocks_and_ppr)
{
    enable_all();
    struct lapic *a = &l[0];
    wr(a, LAPIC_TPR, 0x53);
    ck_assert_uint_eq(rd(a, LAPIC_PPR), 0x53);
    lapic_set_irq(a, 0x55, 0);
    ck_assert(!lapic_has_interrupt(a));
    ck_assert_uint_eq(rd(a, LAPIC_APR), 0x53);
    lapic_set_irq(a, 0x61, 0);
    ck_assert(lapic_has_interrupt(a));
    ck_assert_uint_eq(rd(a, LAPIC_APR), 0x60);
    ck_assert_int_eq(lapic_ack(a), 0x61);
    ck_assert_uint_eq(rd(a, LAPIC_PPR), 0x60);
    wr(a, LAPIC_EOI, 0);
    lapic_set_tpr(a, 0);
    ck_assert_uint_eq(lapic_get_tpr(a), 0);
    ck_assert_int_eq(lapic_ack(a), 0x55);
}
END_TEST

START_TEST(spurious_when_masked_by_tpr)
{
    enable_all();
    wr(&l[0], LAPIC_SVR, LAPIC_SVR_ENABLE | 0xe7);
    lapic_set_irq(&l[0], 0x40, 0);
    ck_assert(lapic_has_interrupt(&l[0]));
    wr(&l[0], LAPIC_TPR, 0x50);             /* raised between INTR and INTA */
    ck_assert_int_eq(lapic_ack(&l[0]), 0xe7);
    ck_assert(!isr_has(&l[0], 0xe7));
    ck_assert(irr_has(&l[0], 0x40));
}
END_TEST

START_TEST(disabled_apic_delivers_nothing)
{
    lapic_set_irq(&l[0], 0x40, 0);
    ck_assert(!lapic_has_interrupt(&l[0]));
    ck_assert_int_eq(lapic_ack(&l[0]), 0xff);
    /* fixed IPIs to a software-disabled LAPIC are not accepted */
    wr(&l[1], LAPIC_SVR, LAPIC_SVR_ENABLE | 0xff);
    send_ipi(&l[1], 0, DM(FIXED) | 0x41);
    ck_assert(!irr_has(&l[0], 0x41));
}
END_TEST

START_TEST(level_eoi_reaches_ioapic)
{
    enable_all();
    struct ioapic io;
    ioapic_init(&io, 0);
    apic_bus_add_ioapic(&bus, &io);
    ioapic_write_reg(&io, IOAPIC_REDTBL + 2 * 5, 0x45 | (uint32_t)IOAPIC_RTE_LEVEL);
    ioapic_write_reg(&io, IOAPIC_REDTBL + 2 * 5 + 1, 1u << 24);   /* to APIC ID 1 */
    ioapic_set_irq(&io, 5, 1);
    ck_assert(irr_has(&l[1], 0x45) && tmr_has(&l[1], 0x45));
    ck_assert(io.redtbl[5] & IOAPIC_RTE_REMOTE_IRR);
    ck_assert_int_eq(lapic_ack(&l[1]), 0x45);
    ioapic_set_irq(&io, 5, 0);
    wr(&l[1], LAPIC_EOI, 0);
    ck_assert(!(io.redtbl[5] & IOAPIC_RTE_REMOTE_IRR));
    ck_assert(!irr_has(&l[1], 0x45));
}
END_TEST

/* --- the timer (SDM 11.5.4) --- */

START_TEST(timer_one_shot_divide_1)
{
    enable_all();
    struct lapic *a = &l[0];
    wr(a, LAPIC_TIMER_DCR, 0xb);            /* divide by 1 */
    wr(a, LAPIC_LVT_TIMER, 0x30);
    wr(a, LAPIC_TIMER_ICR, 1000);
    ck_assert_uint_eq(rd(a, LAPIC_TIMER_CCR), 1000);
    vclock_set_fake(&clk, 400);
    ck_assert_uint_eq(rd(a, LAPIC_TIMER_CCR), 600);
    ck_assert_uint_eq(vclock_run_expired(&clk), 1000);
    ck_assert(!irr_has(a, 0x30));
    vclock_set_fake(&clk, 1000);
    ck_assert_uint_eq(rd(a, LAPIC_TIMER_CCR), 0);
    ck_assert_uint_eq(vclock_run_expired(&clk), VCLOCK_NEVER);
    ck_assert(irr_has(a, 0x30));
    ck_assert(lapic_has_interrupt(a));
    vclock_set_fake(&clk, 5000);
    ck_assert_uint_eq(rd(a, LAPIC_TIMER_CCR), 0);
    ck_assert_uint_eq(rd(a, LAPIC_TIMER_ICR), 1000);
}
END_TEST

START_TEST(timer_divide_values)
{
    static const struct { uint32_t dcr, div; } t[] = {
        { 0x0, 2 }, { 0x1, 4 }, { 0x2, 8 }, { 0x3, 16 },
        { 0x8, 32 }, { 0x9, 64 }, { 0xa, 128 }, { 0xb, 1 },
    };
    enable_all();
    struct lapic *a = &l[0];
    wr(a, LAPIC_LVT_TIMER, 0x30);
    for (unsigned i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
        vclock_set_fake(&clk, 1000000 * i);
        wr(a, LAPIC_TIMER_DCR, t[i].dcr);
        wr(a, LAPIC_TIMER_ICR, 100);
        ck_assert_uint_eq(vclock_next_deadline(&clk), 1000000 * i + 100 * t[i].div);
        vclock_set_fake(&clk, 1000000 * i + 50 * t[i].div);
        ck_assert_uint_eq(rd(a, LAPIC_TIMER_CCR), 50);
    }
    /* changing the divider mid-count goes on from the current count */
    vclock_set_fake(&clk, 10000000);
    wr(a, LAPIC_TIMER_DCR, 0xb);
    wr(a, LAPIC_TIMER_ICR, 1000);
    vclock_set_fake(&clk, 10000400);
    wr(a, LAPIC_TIMER_DCR, 0x0);            /* now divide by 2 */
    ck_assert_uint_eq(rd(a, LAPIC_TIMER_CCR), 600);
    vclock_set_fake(&clk, 10000600);
    ck_assert_uint_eq(rd(a, LAPIC_TIMER_CCR), 500);
    ck_assert_uint_eq(vclock_next_deadline(&clk), 10000400 + 1200);
}
END_TEST

START_TEST(timer_periodic)
{
    enable_all();
    struct lapic *a = &l[0];
    wr(a, LAPIC_TIMER_DCR, 0xb);
    wr(a, LAPIC_LVT_TIMER, (LAPIC_TIMER_PERIODIC << LAPIC_TIMER_MODE_SHIFT) | 0x31);
    wr(a, LAPIC_TIMER_ICR, 100);
    vclock_set_fake(&clk, 100);
    ck_assert_uint_eq(vclock_run_expired(&clk), 200);
    ck_assert_int_eq(lapic_ack(a), 0x31);
    wr(a, LAPIC_EOI, 0);
    vclock_set_fake(&clk, 150);
    ck_assert_uint_eq(rd(a, LAPIC_TIMER_CCR), 50);
    vclock_set_fake(&clk, 230);
    ck_assert_uint_eq(vclock_run_expired(&clk), 300);
    ck_assert_int_eq(lapic_ack(a), 0x31);
    ck_assert_uint_eq(rd(a, LAPIC_TIMER_CCR), 70);
    /* missed periods: one interrupt, next deadline on the period grid */
    vclock_set_fake(&clk, 1050);
    ck_assert_uint_eq(vclock_run_expired(&clk), 1100);
    /* writing 0 stops it */
    wr(a, LAPIC_TIMER_ICR, 0);
    ck_assert_uint_eq(vclock_next_deadline(&clk), VCLOCK_NEVER);
    ck_assert_uint_eq(rd(a, LAPIC_TIMER_CCR), 0);
}
END_TEST

START_TEST(timer_masked_sets_nothing)
{
    enable_all();
    wr(&l[0], LAPIC_TIMER_DCR, 0xb);
    wr(&l[0], LAPIC_LVT_TIMER, LAPIC_LVT_MASKED | 0x30);
    wr(&l[0], LAPIC_TIMER_ICR, 10);
    vclock_set_fake(&clk, 10);
    vclock_run_expired(&clk);
    ck_assert(!irr_has(&l[0], 0x30));
}
END_TEST

START_TEST(timer_tsc_deadline)
{
    enable_all();
    struct lapic *a = &l[0];    /* TSC at GLASS_TSC_HZ = 1 GHz from the vclock */
    lapic_set_tsc_deadline(a, 5000);        /* not in deadline mode: ignored */
    ck_assert_uint_eq(lapic_get_tsc_deadline(a), 0);
    wr(a, LAPIC_LVT_TIMER, (LAPIC_TIMER_TSC_DEADLINE << LAPIC_TIMER_MODE_SHIFT) | 0x32);
    wr(a, LAPIC_TIMER_ICR, 10);             /* ignored in deadline mode */
    ck_assert_uint_eq(rd(a, LAPIC_TIMER_ICR), 0);
    vclock_set_fake(&clk, 1000);
    lapic_set_tsc_deadline(a, 5000);
    ck_assert_uint_eq(lapic_get_tsc_deadline(a), 5000);
    ck_assert_uint_eq(vclock_next_deadline(&clk), 5000);
    ck_assert_uint_eq(rd(a, LAPIC_TIMER_CCR), 0);
    vclock_set_fake(&clk, 5000);
    vclock_run_expired(&clk);
    ck_assert(irr_has(a, 0x32));
    ck_assert_uint_eq(lapic_get_tsc_deadline(a), 0);
    /* a deadline in the past fires at once; 0 disarms */
    lapic_set_tsc_deadline(a, 10);
    ck_assert_uint_eq(vclock_next_deadline(&clk), 5000);
    lapic_set_tsc_deadline(a, 0);
    ck_assert_uint_eq(vclock_next_deadline(&clk), VCLOCK_NEVER);
    /* leaving deadline mode disarms */
    lapic_set_tsc_deadline(a, 9000);
    wr(a, LAPIC_LVT_TIMER, 0x32);
    ck_assert_uint_eq(vclock_next_deadline(&clk), VCLOCK_NEVER);
}
END_TEST

static uint64_t tsc_value;
static uint64_t fake_tsc(void *o) { (void)o; return tsc_value; }

START_TEST(timer_tsc_deadline_uses_board_tsc_and_frequency)
{
    static const struct lapic_cpu_ops tsc_ops = { .read_tsc = fake_tsc };
    struct lapic a;
    lapic_init(&a, 7, true, &clk, 2000000000ull);   /* 2 GHz */
    lapic_set_cpu_ops(&a, &tsc_ops, NULL);
    wr(&a, LAPIC_SVR, LAPIC_SVR_ENABLE | 0xff);
    wr(&a, LAPIC_LVT_TIMER, (LAPIC_TIMER_TSC_DEADLINE << LAPIC_TIMER_MODE_SHIFT) | 0x32);
    vclock_set_fake(&clk, 100);
    tsc_value = 1000000;
    lapic_set_tsc_deadline(&a, 1000000 + 4000);     /* 2 us at 2 GHz */
    ck_assert_uint_eq(vclock_next_deadline(&clk), 100 + 2000);
    vtimer_cancel(&clk, &a.timer);
}
END_TEST

/* --- IPIs through the ICR (SDM 11.6) --- */

START_TEST(fixed_ipi_physical)
{
    enable_all();
    send_ipi(&l[0], 2, DM(FIXED) | 0x40);
    ck_assert(irr_has(&l[2], 0x40));
    ck_assert(!irr_has(&l[0], 0x40) && !irr_has(&l[1], 0x40) && !irr_has(&l[3], 0x40));
    ck_assert_int_eq(cpu[2].kicks > 0, 1);
    ck_assert_uint_eq(rd(&l[0], LAPIC_ICR_LO) & LAPIC_ICR_DELIVS, 0);
    ck_assert_uint_eq(rd(&l[0], LAPIC_ICR_LO), 0x40);
    ck_assert_uint_eq(rd(&l[0], LAPIC_ICR_HI), 2u << 24);
    send_ipi(&l[0], 9, DM(FIXED) | 0x41);   /* nobody there */
    for (int i = 0; i < NCPU; i++)
        ck_assert(!irr_has(&l[i], 0x41));
    send_ipi(&l[3], 0xff, DM(FIXED) | 0x42);    /* physical broadcast */
    for (int i = 0; i < NCPU; i++)
        ck_assert(irr_has(&l[i], 0x42));
}
END_TEST

START_TEST(logical_flat)
{
    enable_all();
    for (int i = 0; i < NCPU; i++)
        wr(&l[i], LAPIC_LDR, (1u << i) << 24);
    send_ipi(&l[0], 0x06, DM(FIXED) | LAPIC_ICR_DEST_LOGICAL | 0x50);
    ck_assert(!irr_has(&l[0], 0x50) && irr_has(&l[1], 0x50) && irr_has(&l[2], 0x50) &&
              !irr_has(&l[3], 0x50));
    send_ipi(&l[0], 0xff, DM(FIXED) | LAPIC_ICR_DEST_LOGICAL | 0x51);
    for (int i = 0; i < NCPU; i++)
        ck_assert(irr_has(&l[i], 0x51));
}
END_TEST

START_TEST(logical_cluster)
{
    enable_all();
    static const uint8_t ldr[NCPU] = { 0x11, 0x12, 0x21, 0x24 };
    for (int i = 0; i < NCPU; i++) {
        wr(&l[i], LAPIC_DFR, 0x0fffffff);
        wr(&l[i], LAPIC_LDR, (uint32_t)ldr[i] << 24);
    }
    send_ipi(&l[0], 0x13, DM(FIXED) | LAPIC_ICR_DEST_LOGICAL | 0x60);
    ck_assert(irr_has(&l[0], 0x60) && irr_has(&l[1], 0x60));
    ck_assert(!irr_has(&l[2], 0x60) && !irr_has(&l[3], 0x60));
    send_ipi(&l[0], 0x21, DM(FIXED) | LAPIC_ICR_DEST_LOGICAL | 0x61);
    ck_assert(!irr_has(&l[0], 0x61) && !irr_has(&l[1], 0x61));
    ck_assert(irr_has(&l[2], 0x61) && !irr_has(&l[3], 0x61));
    send_ipi(&l[0], 0xf1, DM(FIXED) | LAPIC_ICR_DEST_LOGICAL | 0x62);  /* all clusters */
    ck_assert(irr_has(&l[0], 0x62) && !irr_has(&l[1], 0x62));
    ck_assert(irr_has(&l[2], 0x62) && !irr_has(&l[3], 0x62));
    ck_assert(apic_bus_match(&l[3], 0x24, true) && !apic_bus_match(&l[3], 0x14, true));
}
END_TEST

START_TEST(shorthands)
{
    enable_all();
    send_ipi(&l[1], 0, SH(SELF) | 0x70);
    for (int i = 0; i < NCPU; i++)
        ck_assert_int_eq(irr_has(&l[i], 0x70), i == 1);
    send_ipi(&l[1], 0, SH(ALL) | 0x71);
    for (int i = 0; i < NCPU; i++)
        ck_assert(irr_has(&l[i], 0x71));
    send_ipi(&l[1], 1, SH(OTHERS) | 0x72);
    for (int i = 0; i < NCPU; i++)
        ck_assert_int_eq(irr_has(&l[i], 0x72), i != 1);
    /* a level-triggered fixed IPI sets TMR */
    send_ipi(&l[0], 3, DM(FIXED) | LAPIC_ICR_TRIGGER_LEVEL | LAPIC_ICR_LEVEL_ASSERT | 0x73);
    ck_assert(irr_has(&l[3], 0x73) && tmr_has(&l[3], 0x73));
}
END_TEST

START_TEST(init_sipi_sipi)
{
    /* the AP is software-disabled, as after power-on: INIT and SIPI still arrive */
    wr(&l[0], LAPIC_SVR, LAPIC_SVR_ENABLE | 0xff);
    wr(&l[1], LAPIC_LDR, 0x5au << 24);
    wr(&l[1], LAPIC_SVR, LAPIC_SVR_ENABLE | 0xff);
    lapic_set_irq(&l[1], 0x80, 0);
    send_ipi(&l[0], 1, DM(INIT) | LAPIC_ICR_LEVEL_ASSERT | LAPIC_ICR_TRIGGER_LEVEL);
    ck_assert_int_eq(cpu[1].inits, 1);
    ck_assert_int_eq(cpu[0].inits + cpu[2].inits + cpu[3].inits, 0);
    /* INIT reset the LAPIC but not its ID */
    ck_assert_uint_eq(rd(&l[1], LAPIC_ID), 1u << 24);
    ck_assert_uint_eq(rd(&l[1], LAPIC_LDR), 0);
    ck_assert_uint_eq(rd(&l[1], LAPIC_SVR), 0xff);
    ck_assert(!irr_has(&l[1], 0x80));
    /* INIT level de-assert does nothing */
    send_ipi(&l[0], 1, DM(INIT) | LAPIC_ICR_TRIGGER_LEVEL);
    ck_assert_int_eq(cpu[1].inits, 1);
    send_ipi(&l[0], 1, DM(STARTUP) | 0x08);
    ck_assert_int_eq(cpu[1].sipis, 1);
    ck_assert_int_eq(cpu[1].sipi_vector, 0x08);
    send_ipi(&l[0], 1, DM(STARTUP) | 0x09);     /* the second SIPI: already running */
    ck_assert_int_eq(cpu[1].sipis, 1);
    /* broadcast INIT-SIPI to all others, as kernels do */
    send_ipi(&l[0], 0, SH(OTHERS) | DM(INIT) | LAPIC_ICR_LEVEL_ASSERT);
    send_ipi(&l[0], 0, SH(OTHERS) | DM(STARTUP) | 0x10);
    for (int i = 1; i < NCPU; i++) {
        ck_assert_int_eq(cpu[i].sipi_vector, 0x10);
        ck_assert_int_eq(cpu[i].inits, i == 1 ? 2 : 1);
    }
    ck_assert_int_eq(cpu[0].inits + cpu[0].sipis, 0);
    /* the BSP starts running: a SIPI to it is ignored */
    send_ipi(&l[1], 0, DM(STARTUP) | 0x10);
    ck_assert_int_eq(cpu[0].sipis, 0);
}
END_TEST

START_TEST(nmi_ipi_and_lint1)
{
    enable_all();
    send_ipi(&l[0], 2, DM(NMI));
    ck_assert_int_eq(cpu[2].nmis, 1);
    send_ipi(&l[0], 0, DM(SMI));            /* not modelled, dropped */
    ck_assert_int_eq(cpu[0].nmis, 0);
    lapic_firmware_setup(&l[0]);
    lapic_lint_irq(&l[0], 1, 1);
    ck_assert_int_eq(cpu[0].nmis, 1);
    lapic_lint_irq(&l[0], 1, 1);            /* no new edge */
    ck_assert_int_eq(cpu[0].nmis, 1);
    lapic_lint_irq(&l[0], 1, 0);
    lapic_lint_irq(&l[0], 1, 1);
    ck_assert_int_eq(cpu[0].nmis, 2);
    lapic_lint_irq(&l[0], 7, 1);            /* no such pin */
}
END_TEST

START_TEST(lint0_level_fixed_remote_irr)
{
    enable_all();
    struct lapic *a = &l[0];
    wr(a, LAPIC_LVT_LINT0, LAPIC_LVT_LEVEL | 0x90);
    lapic_lint_irq(a, 0, 1);
    ck_assert(irr_has(a, 0x90) && tmr_has(a, 0x90));
    ck_assert(rd(a, LAPIC_LVT_LINT0) & LAPIC_LVT_REMOTE_IRR);
    ck_assert_int_eq(lapic_ack(a), 0x90);
    wr(a, LAPIC_EOI, 0);                    /* still asserted: again */
    ck_assert(irr_has(a, 0x90));
    ck_assert_int_eq(lapic_ack(a), 0x90);
    lapic_lint_irq(a, 0, 0);
    wr(a, LAPIC_EOI, 0);
    ck_assert(!irr_has(a, 0x90));
    ck_assert(!(rd(a, LAPIC_LVT_LINT0) & LAPIC_LVT_REMOTE_IRR));
}
END_TEST

START_TEST(lowest_priority)
{
    enable_all();
    wr(&l[0], LAPIC_TPR, 0x20);
    wr(&l[1], LAPIC_TPR, 0x10);
    wr(&l[2], LAPIC_TPR, 0x30);
    wr(&l[3], LAPIC_TPR, 0x40);
    send_ipi(&l[0], 0xff, DM(LOWEST) | 0x80);
    for (int i = 0; i < NCPU; i++)
        ck_assert_int_eq(irr_has(&l[i], 0x80), i == 1);
    /* ties go round robin */
    for (int i = 0; i < NCPU; i++)
        wr(&l[i], LAPIC_TPR, 0);
    int hits[NCPU] = { 0 };
    for (int k = 0; k < 8; k++) {
        send_ipi(&l[0], 0xff, DM(LOWEST) | 0x81);
        for (int i = 0; i < NCPU; i++)
            if (irr_has(&l[i], 0x81)) {
                hits[i]++;
                l[i].irr[0x81 / 32] &= ~(1u << (0x81 % 32));
            }
    }
    for (int i = 0; i < NCPU; i++)
        ck_assert_int_eq(hits[i], 2);
    /* disabled LAPICs do not take part */
    for (int i = 1; i < NCPU; i++)
        wr(&l[i], LAPIC_SVR, 0xff);
    send_ipi(&l[1], 0xff, DM(LOWEST) | 0x82);
    ck_assert(irr_has(&l[0], 0x82));
}
END_TEST

/* --- the virtual wire and IA32_APIC_BASE --- */

START_TEST(pic_virtual_wire)
{
    ck_assert(!lapic_accepts_pic_intr(&l[0]));      /* power on: LINT0 masked */
    lapic_firmware_setup(&l[0]);
    ck_assert(lapic_enabled(&l[0]));
    ck_assert_uint_eq(rd(&l[0], LAPIC_LVT_LINT0), 0x700);
    ck_assert_uint_eq(rd(&l[0], LAPIC_LVT_LINT1), 0x400);
    ck_assert(lapic_accepts_pic_intr(&l[0]));
    wr(&l[0], LAPIC_LVT_LINT0, 0x700 | LAPIC_LVT_MASKED);
    ck_assert(!lapic_accepts_pic_intr(&l[0]));
    wr(&l[0], LAPIC_LVT_LINT0, 0x700);
    wr(&l[0], LAPIC_SVR, 0xff);             /* software disable masks LINT0 */
    ck_assert(!lapic_accepts_pic_intr(&l[0]));
    /* global disable: the PIC's INTR goes straight to the CPU */
    lapic_set_apic_base(&l[0], 0xfee00000ull);
    ck_assert(lapic_accepts_pic_intr(&l[0]));
}
END_TEST

START_TEST(apic_base_global_disable)
{
    lapic_firmware_setup(&l[0]);
    wr(&l[0], LAPIC_TPR, 0x20);
    lapic_set_apic_base(&l[0], 0xfee00000ull);      /* clear bit 11; BSP stays */
    ck_assert(lapic_apic_base(&l[0]) == (0xfee00000ull | (1 << 8)));
    ck_assert_uint_eq(lapic_mmio_read(&l[0], LAPIC_ID, 4), 0xffffffffu);
    ck_assert_uint_eq(lapic_mmio_read(&l[0], LAPIC_ID, 1), 0xff);
    lapic_mmio_write(&l[0], LAPIC_TPR, 4, 0x30);
    send_ipi(&l[1], 0, DM(NMI));            /* not decoded, so nothing sent */
    ck_assert_int_eq(cpu[0].nmis, 0);
    /* re-enabled: power-on register state */
    lapic_set_apic_base(&l[0], 0xfee00000ull | (1 << 11));
    ck_assert_uint_eq(rd(&l[0], LAPIC_TPR), 0);
    ck_assert_uint_eq(rd(&l[0], LAPIC_SVR), 0xff);
    ck_assert_uint_eq(rd(&l[0], LAPIC_ID), 0);
}
END_TEST

/* --- MMIO widths and bad input --- */

START_TEST(mmio_widths)
{
    enable_all();
    wr(&l[3], LAPIC_LDR, 0xab000000);
    ck_assert_uint_eq(lapic_mmio_read(&l[3], LAPIC_ID + 3, 1), 3);
    ck_assert_uint_eq(lapic_mmio_read(&l[3], LAPIC_LDR + 2, 2), 0xab00);
    ck_assert_uint_eq(lapic_mmio_read(&l[3], LAPIC_ID, 8), 3u << 24);
    ck_assert_uint_eq(lapic_mmio_read(&l[3], LAPIC_ID + 4, 4), 0);
    lapic_mmio_write(&l[3], LAPIC_TPR + 1, 4, 0xffffffff);  /* misaligned: ignored */
    lapic_mmio_write(&l[3], LAPIC_TPR, 1, 0xff);            /* narrow: ignored */
    ck_assert_uint_eq(rd(&l[3], LAPIC_TPR), 0);
    lapic_mmio_write(&l[3], LAPIC_TPR, 8, 0xffffffff00000042ull);
    ck_assert_uint_eq(rd(&l[3], LAPIC_TPR), 0x42);
    ck_assert_uint_eq(lapic_mmio_read(&l[3], 0xffe, 4), 0);  /* wraps in the page */
    ck_assert_uint_eq(lapic_mmio_read(&l[3], LAPIC_ID, 3), 0);
    ck_assert_uint_eq(lapic_mmio_read(&l[3], LAPIC_ID, 0), 0);
    lapic_mmio_write(&l[3], LAPIC_ID, 16, 0);
}
END_TEST

START_TEST(random_guest_writes_do_not_crash)
{
    struct ioapic io;
    ioapic_init(&io, 0);
    apic_bus_add_ioapic(&bus, &io);
    srand(12345);
    static const int sizes[] = { 1, 2, 4, 8, 3, 0 };
    for (int n = 0; n < 200000; n++) {
        struct lapic *a = &l[rand() % NCPU];
        uint64_t off = (uint64_t)(rand() % 0x1000);
        if (rand() & 1)
            off &= 0x3f0;
        int size = sizes[rand() % 6];
        uint64_t val = (uint64_t)rand() << 32 | (uint32_t)rand();
        if (rand() % 3)
            lapic_mmio_write(a, off, size, val);
        else
            lapic_mmio_read(a, off, size);
        if (rand() % 64 == 0)
            lapic_set_apic_base(a, (rand() & 1) ? 0xfee00800ull : 0xfee00000ull);
        if (rand() % 16 == 0)
            lapic_set_tsc_deadline(a, (uint64_t)rand());
        if (rand() % 16 == 0 && lapic_has_interrupt(a))
            lapic_ack(a);
        if (rand() % 8 == 0)
            vclock_set_fake(&clk, vclock_now(&clk) + (uint64_t)(rand() % 5000));
        vclock_run_expired(&clk);
        lapic_lint_irq(a, rand() % 3, rand() & 1);
        ioapic_mmio_write(&io, (uint64_t)(rand() % 0x20), sizes[rand() % 6], val);
        ioapic_set_irq(&io, rand() % 26 - 1, rand() & 1);
    }
    for (int i = 0; i < NCPU; i++)
        vtimer_cancel(&clk, &l[i].timer);
}
END_TEST

/* --- snapshot --- */

START_TEST(save_and_load_round_trip)
{
    enable_all();
    struct lapic *a = &l[1];
    wr(a, LAPIC_TPR, 0x21);
    wr(a, LAPIC_LDR, 0x02000000);
    wr(a, LAPIC_DFR, 0x0fffffff);
    wr(a, LAPIC_LVT_LINT0, LAPIC_LVT_LEVEL | 0x90);
    lapic_lint_irq(a, 0, 1);
    lapic_set_irq(a, 0x66, 1);
    ck_assert_int_eq(lapic_ack(a), 0x90);
    lapic_mmio_read(a, 0x050, 4);           /* a pending error */
    wr(a, LAPIC_TIMER_DCR, 0x3);
    wr(a, LAPIC_LVT_TIMER, (LAPIC_TIMER_PERIODIC << LAPIC_TIMER_MODE_SHIFT) | 0x35);
    wr(a, LAPIC_TIMER_ICR, 1000);
    send_ipi(a, 2, DM(FIXED) | 0x44);
    vclock_set_fake(&clk, 3000);

    size_t need = lapic_save(a, NULL, 0);
    uint8_t buf[1024];
    ck_assert_uint_le(need, sizeof(buf));
    ck_assert_uint_eq(lapic_save(a, buf, sizeof(buf)), need);
    ck_assert_uint_eq(lapic_save(a, buf, need - 1), 0);
    uint32_t ccr = rd(a, LAPIC_TIMER_CCR);

    struct lapic copy;
    struct vclock clk2;
    vclock_init(&clk2);
    vclock_set_fake(&clk2, 3000);
    lapic_init(&copy, 1, false, &clk2, 0);
    ck_assert_int_eq(lapic_load(&copy, buf, need), 0);
    for (uint32_t reg = 0; reg < 0x400; reg += 0x10) {
        if (reg == LAPIC_ESR)
            continue;
        ck_assert_uint_eq(rd(&copy, reg), rd(a, reg));
    }
    ck_assert_uint_eq(rd(&copy, LAPIC_TIMER_CCR), ccr);
    ck_assert_uint_eq(vclock_next_deadline(&clk2), a->timer_deadline_ns);
    wr(a, LAPIC_ESR, 0);
    wr(&copy, LAPIC_ESR, 0);
    ck_assert_uint_eq(rd(&copy, LAPIC_ESR), rd(a, LAPIC_ESR));
    ck_assert_uint_eq(lapic_save(&copy, NULL, 0), need);

    /* bad buffers */
    ck_assert_int_eq(lapic_load(&copy, buf, need - 1), -22);
    buf[0] ^= 0xff;
    ck_assert_int_eq(lapic_load(&copy, buf, need), -22);
    buf[0] ^= 0xff;
    buf[2] = 99;
    ck_assert_int_eq(lapic_load(&copy, buf, need), -22);
    ck_assert_int_eq(lapic_load(&copy, NULL, need), -22);
    vtimer_cancel(&clk2, &copy.timer);
}
END_TEST

START_TEST(load_sanitises_garbage)
{
    size_t need = lapic_save(&l[0], NULL, 0);
    uint8_t buf[1024];
    memset(buf, 0xff, sizeof(buf));
    buf[0] = 'L';
    buf[1] = 'A';
    buf[2] = 1;
    ck_assert_int_eq(lapic_load(&l[0], buf, need), 0);
    ck_assert_uint_eq(rd(&l[0], LAPIC_LVT_TIMER), 0x700ff);
    ck_assert_uint_eq(rd(&l[0], LAPIC_SVR), 0x3ff);
    ck_assert_uint_eq(rd(&l[0], LAPIC_TIMER_DCR), 0xb);
    lapic_ack(&l[0]);
    wr(&l[0], LAPIC_EOI, 0);
    vtimer_cancel(&clk, &l[0].timer);
}
END_TEST

static Suite *lapic_suite(void)
{
    Suite *s = suite_create("lapic");
    TCase *tc = tcase_create("lapic");
    tcase_add_checked_fixture(tc, setup, NULL);
    tcase_add_test(tc, power_on_state);
    tcase_add_test(tc, register_write_masks);
    tcase_add_test(tc, software_disable_keeps_lvts_masked);
    tcase_add_test(tc, esr_write_then_read);
    tcase_add_test(tc, error_lvt_interrupts);
    tcase_add_test(tc, ack_order_by_priority_class);
    tcase_add_test(tc, tpr_blocks_and_ppr);
    tcase_add_test(tc, spurious_when_masked_by_tpr);
    tcase_add_test(tc, disabled_apic_delivers_nothing);
    tcase_add_test(tc, level_eoi_reaches_ioapic);
    tcase_add_test(tc, timer_one_shot_divide_1);
    tcase_add_test(tc, timer_divide_values);
    tcase_add_test(tc, timer_periodic);
    tcase_add_test(tc, timer_masked_sets_nothing);
    tcase_add_test(tc, timer_tsc_deadline);
    tcase_add_test(tc, timer_tsc_deadline_uses_board_tsc_and_frequency);
    tcase_add_test(tc, fixed_ipi_physical);
    tcase_add_test(tc, logical_flat);
    tcase_add_test(tc, logical_cluster);
    tcase_add_test(tc, shorthands);
    tcase_add_test(tc, init_sipi_sipi);
    tcase_add_test(tc, nmi_ipi_and_lint1);
    tcase_add_test(tc, lint0_level_fixed_remote_irr);
    tcase_add_test(tc, lowest_priority);
    tcase_add_test(tc, pic_virtual_wire);
    tcase_add_test(tc, apic_base_global_disable);
    tcase_add_test(tc, mmio_widths);
    tcase_add_test(tc, random_guest_writes_do_not_crash);
    tcase_add_test(tc, save_and_load_round_trip);
    tcase_add_test(tc, load_sanitises_garbage);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    return run_suite(lapic_suite());
}
