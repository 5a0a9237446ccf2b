/* The board's interrupt wiring and vCPU start-up, end to end on the
 * interpreter: a real-mode guest takes IRQ0 from the 8254 through the 8259A
 * (virtual wire to the BSP's LAPIC), a halted vCPU is woken by it, and an AP
 * is started with INIT-SIPI-SIPI through the BSP's LAPIC. */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cpu/cpuid.h"
#include "cpu/msr.h"
#include "tests/unit/board_fixture.h"
#include "tests/unit/run_suite.h"

START_TEST(pit_irq0_reaches_a_halted_bsp_through_the_8259a)
{
    if (!accel_find("interp"))
        return;
    static const uint8_t code[] = {
        0x31, 0xc0,                         /* 00 xor ax, ax */
        0x8e, 0xd8,                         /* 02 mov ds, ax */
        0xc7, 0x06, 0x20, 0x00, 0x24, 0x7c, /* 04 mov word [8*4], handler */
        0xc7, 0x06, 0x22, 0x00, 0x00, 0x00, /* 10 mov word [8*4+2], 0 */
        0xb0, 0x34, 0xe6, 0x43,             /* 16 PIT: counter 0, lo/hi, mode 2 */
        0xb0, 0x00, 0xe6, 0x40,             /* 20 count 0x1000 (3.4 ms) */
        0xb0, 0x10, 0xe6, 0x40,             /* 24 */
        0xb0, 0xfe, 0xe6, 0x21,             /* 28 PIC: unmask IRQ0 only */
        0xfb,                               /* 32 sti */
        0xf4,                               /* 33 hlt */
        0xeb, 0xfd,                         /* 34 jmp 33 */
        /* 36 = 0x7c24: the IRQ0 handler (vector 8, as the BIOS sets the 8259A) */
        0xba, 0xf8, 0x03,                   /* mov dx, 0x3f8 */
        0xb0, 'T', 0xee,                    /* out 'T' */
        0xb0, 0x20, 0xe6, 0x20,             /* EOI */
        0xb0, 0x21, 0xe6, 0xf4,             /* debug exit: (0x21 << 1) | 1 = 67 */
        0xfa, 0xf4,                         /* cli; hlt */
    };
    struct board_guest g;
    struct machine *m = board_boot(&g, "irq", code, sizeof(code), "1");
    ck_assert_int_eq(machine_run(m), 67);
    char text[16];
    board_serial_text(&g, text, sizeof(text));
    ck_assert_str_eq(text, "T");
    ck_assert_uint_ge(m->pit.irq0_raises, 1);
    board_shutdown(&g);
}
END_TEST

START_TEST(init_sipi_sipi_starts_the_second_vcpu)
{
    if (!accel_find("interp"))
        return;
    /* The BSP waits with interrupts on (the PIT keeps it ticking: masked
     * at the PIC, so it never gets them, and the AP has all the work). */
    static const uint8_t bsp[] = {
        0xfb,               /* sti */
        0xf4,               /* hlt */
        0xeb, 0xfd,         /* jmp hlt */
    };
    /* The AP, started at 0800:0000: prints 'A' and ends the run. */
    static const uint8_t ap[] = {
        0xba, 0xf8, 0x03,   /* mov dx, 0x3f8 */
        0xb0, 'A', 0xee,    /* out 'A' */
        0xb0, 0x05, 0xe6, 0xf4, /* debug exit 11 */
        0xfa, 0xf4,
    };
    struct board_guest g;
    struct machine *m = board_boot(&g, "irq", bsp, sizeof(bsp), "2");
    ck_assert_int_eq(m->nvcpus, 2);
    ck_assert(!board_vcpu_runnable(m, 1));      /* an AP waits for SIPI */
    ck_assert_int_eq(memmap_write(&m->mem, 0x8000, ap, sizeof(ap)), 0);
    /* Unmask IRQ0 at the PIC's view?  No: the BSP must stay halted, woken
     * only by the timer if unmasked; leave the PIC as the BIOS left it. */
    struct lapic *l = &m->lapic[0];
    lapic_mmio_write(l, LAPIC_ICR_HI, 4, 1u << 24);
    lapic_mmio_write(l, LAPIC_ICR_LO, 4, 0x4500);     /* INIT, assert */
    ck_assert(m->sched[1].init_pending);
    board_apply_startup(m, 1);
    ck_assert(m->sched[1].wait_sipi);
    ck_assert(!board_vcpu_runnable(m, 1));
    lapic_mmio_write(l, LAPIC_ICR_LO, 4, 0x4608);     /* SIPI, vector 8 */
    lapic_mmio_write(l, LAPIC_ICR_LO, 4, 0x4608);     /* the second is ignored */
    ck_assert(board_vcpu_runnable(m, 1));
    board_apply_startup(m, 1);
    ck_assert_uint_eq(m->vcpu[1].cpu.seg[S_CS].selector, 0x0800);
    ck_assert_uint_eq(m->vcpu[1].cpu.seg[S_CS].base, 0x8000);
    ck_assert_uint_eq(m->vcpu[1].cpu.rip, 0);
    ck_assert_uint_eq(m->vcpu[1].cpu.apic_id, 1);
    ck_assert_int_eq(machine_run(m), 11);
    char text[16];
    board_serial_text(&g, text, sizeof(text));
    ck_assert_str_eq(text, "A");
    board_shutdown(&g);
}
END_TEST

START_TEST(all_vcpus_halted_with_interrupts_off_stops_the_machine)
{
    if (!accel_find("interp"))
        return;
    static const uint8_t code[] = { 0xfa, 0xf4 };   /* cli; hlt */
    struct board_guest g;
    struct machine *m = board_boot(&g, "irq", code, sizeof(code), "4");
    ck_assert_int_eq(machine_run(m), 0);            /* APs wait for SIPI */
    board_shutdown(&g);
}
END_TEST

START_TEST(cpuid_and_msrs_reach_the_lapic)
{
    static const uint8_t code[] = { 0xfa, 0xf4 };
    struct board_guest g;
    struct machine *m = board_boot(&g, "irq", code, sizeof(code), "2");
    struct x86_cpu *cpu = &m->vcpu[1].cpu;
    board_apply_startup(m, 1);
    uint32_t r[4];
    x86_cpuid_cpu(cpu, 1, 0, r);
    ck_assert_uint_eq(r[1] >> 24, 1);
    ck_assert(r[3] & CPUID_1_EDX_APIC);
    uint64_t v;
    ck_assert_int_eq(x86_msr_read(cpu, MSR_IA32_APIC_BASE, &v), 0);
    ck_assert_uint_eq(v & MSR_APIC_BASE_BSP, 0);            /* an AP */
    ck_assert_uint_eq(v & ~0xfffull, LAPIC_DEFAULT_BASE);
    /* Globally disabling the LAPIC reaches the device. */
    ck_assert_int_eq(x86_msr_write(cpu, MSR_IA32_APIC_BASE, v & ~MSR_APIC_BASE_ENABLE), 0);
    ck_assert(!lapic_enabled(&m->lapic[1]));
    /* CR8 is the TPR's high nibble. */
    uint64_t cr8 = 5;
    cpu->env.cr8_hook(cpu->env.opaque, &cr8, 1);
    ck_assert_uint_eq(lapic_get_tpr(&m->lapic[1]), 0x50);
    board_shutdown(&g);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("board_irq");
    TCase *tc = tcase_create("board_irq");
    tcase_set_timeout(tc, 30);
    tcase_add_test(tc, pit_irq0_reaches_a_halted_bsp_through_the_8259a);
    tcase_add_test(tc, init_sipi_sipi_starts_the_second_vcpu);
    tcase_add_test(tc, all_vcpus_halted_with_interrupts_off_stops_the_machine);
    tcase_add_test(tc, cpuid_and_msrs_reach_the_lapic);
    suite_add_tcase(s, tc);
    return run_suite(s);
}
