/* The board's debugger run loop (machine_run_debug) and accelerator
 * switching (machine_switch_accel) on a tiny real-mode guest: steps,
 * breakpoints, Ctrl-C, the end of the machine, HLT with interrupts off, and
 * moving the guest between accelerators on the way. */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "tests/unit/board_fixture.h"
#include "tests/unit/run_suite.h"

/* At 0x7c00: count 100 in AX, print "OK\n", exit with status 43. */
static const uint8_t counting_guest[] = {
    0xb9, 0x64, 0x00,   /* 7c00 mov cx, 100 */
    0x40,               /* 7c03 inc ax */
    0xe2, 0xfd,         /* 7c04 loop 7c03 */
    0xba, 0xf8, 0x03,   /* 7c06 mov dx, 0x3f8 */
    0xb0, 'O', 0xee,    /* 7c09 */
    0xb0, 'K', 0xee,    /* 7c0c */
    0xb0, '\n', 0xee,   /* 7c0f */
    0xb0, 0x15,         /* 7c12 mov al, 0x15 */
    0xe6, 0xf4,         /* 7c14 out 0xf4, al: status (0x15 << 1) | 1 = 43 */
    0xf4,               /* 7c16 hlt (not reached) */
};

static const uint8_t cli_hlt_guest[] = { 0xfa, 0xf4 };

static struct board_guest g;

static struct machine *boot(const uint8_t *code, size_t len)
{
    return board_boot(&g, "bdbg", code, len, "1");
}

static uint64_t pc(const struct machine *m)
{
    const struct x86_cpu *cpu = &m->vcpu[0].cpu;
    return cpu->seg[S_CS].base + cpu->rip;
}

START_TEST(steps_breakpoints_and_the_end)
{
    struct machine *m = boot(counting_guest, sizeof(counting_guest));
    struct debug_ctl none, at_print;
    memset(&none, 0, sizeof(none));
    memset(&at_print, 0, sizeof(at_print));
    at_print.nbreak = 1;
    at_print.breaks[0] = 0x7c06;
    struct vm_exit why;
    int stop = 0;

    uint64_t before = m->vcpu[0].cpu.insn_count;
    ck_assert_int_eq(machine_run_debug(m, &none, NULL, 0, 5, &stop, &why), 0);
    ck_assert_int_eq(why.reason, EXIT_GLASS_DEBUG);
    ck_assert_uint_eq(m->vcpu[0].cpu.insn_count - before, 5);

    stop = 1;   /* Ctrl-C before anything runs */
    ck_assert_int_eq(machine_run_debug(m, &none, NULL, 0, 0, &stop, &why), 0);
    ck_assert_int_eq(why.reason, EXIT_GLASS_STOP);
    ck_assert(!m->stop);
    stop = 0;

    ck_assert_int_eq(machine_run_debug(m, &at_print, NULL, 0, 0, &stop, &why), 0);
    ck_assert_int_eq(why.reason, EXIT_GLASS_DEBUG);
    ck_assert_uint_eq(pc(m), 0x7c06);
    ck_assert_uint_eq(m->vcpu[0].cpu.gpr[R_RCX] & 0xffff, 0);

    ck_assert_int_eq(machine_run_debug(m, &none, NULL, 0, 0, &stop, &why), 0);
    ck_assert_int_eq(why.reason, EXIT_GLASS_STOP);
    ck_assert(m->stop);
    ck_assert_int_eq(m->exit_status, 43);
    board_shutdown(&g);
}
END_TEST

START_TEST(switching_accelerators_keeps_the_guest_going)
{
    struct machine *m = boot(counting_guest, sizeof(counting_guest));
    struct debug_ctl none;
    memset(&none, 0, sizeof(none));
    struct vm_exit why;
    int stop = 0;
    char msg[300];

    ck_assert_int_eq(machine_run_debug(m, &none, NULL, 0, 40, &stop, &why), 0);
    uint64_t rcx = m->vcpu[0].cpu.gpr[R_RCX], rip = m->vcpu[0].cpu.rip;
    const struct accel_ops *bt = accel_find("bt");
    char probe_why[160];
    if (bt && (!bt->probe || bt->probe(probe_why, sizeof(probe_why)) == 0)) {
        ck_assert_int_eq(machine_switch_accel(m, bt, msg, sizeof(msg)), 0);
        ck_assert_ptr_eq(m->accel, bt);
        ck_assert_uint_eq(m->vcpu[0].cpu.gpr[R_RCX], rcx);
        ck_assert_uint_eq(m->vcpu[0].cpu.rip, rip);
        ck_assert_int_eq(machine_run_debug(m, &none, NULL, 0, 40, &stop, &why), 0);
        ck_assert_int_eq(why.reason, EXIT_GLASS_DEBUG);
    }
    /* kvm: either it moves there, or it says why not and nothing changes. */
    const struct accel_ops *kvm = accel_find("kvm"), *was = m->accel;
    if (kvm) {
        msg[0] = 0;
        if (machine_switch_accel(m, kvm, msg, sizeof(msg)) < 0) {
            ck_assert(msg[0] != 0);
            ck_assert_ptr_eq(m->accel, was);
        }
    }
    ck_assert_int_eq(machine_switch_accel(m, accel_find("interp"), msg, sizeof(msg)), 0);
    ck_assert_int_eq(machine_switch_accel(m, NULL, msg, sizeof(msg)), -1);
    ck_assert_int_eq(machine_run_debug(m, &none, NULL, 0, 0, &stop, &why), 0);
    ck_assert_int_eq(why.reason, EXIT_GLASS_STOP);
    ck_assert_int_eq(m->exit_status, 43);
    ck_assert_uint_eq(m->vcpu[0].cpu.gpr[R_RCX] & 0xffff, 0);  /* the loop ran out */
    char text[16];
    board_serial_text(&g, text, sizeof(text));
    ck_assert_str_eq(text, "OK\n");
    board_shutdown(&g);
}
END_TEST

START_TEST(cli_hlt_is_reported_as_halted)
{
    struct machine *m = boot(cli_hlt_guest, sizeof(cli_hlt_guest));
    struct debug_ctl none;
    memset(&none, 0, sizeof(none));
    struct vm_exit why;
    int stop = 0;
    ck_assert_int_eq(machine_run_debug(m, &none, NULL, 0, 0, &stop, &why), 0);
    ck_assert_int_eq(why.reason, EXIT_HLT);
    ck_assert(!m->stop);
    board_shutdown(&g);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("board_debug");
    TCase *tc = tcase_create("board_debug");
    tcase_set_timeout(tc, 20);
    tcase_add_test(tc, steps_breakpoints_and_the_end);
    tcase_add_test(tc, switching_accelerators_keeps_the_guest_going);
    tcase_add_test(tc, cli_hlt_is_reported_as_halted);
    suite_add_tcase(s, tc);
    return run_suite(s);
}
