/* Issue 3's robustness test: a million random accesses to every device
 * register of the PC board, through the same exit handler the vCPUs use
 * (machine_handle_exit): IN/OUT of size 1, 2 and 4 to every port a device
 * claims, and MMIO reads/writes of size 1, 2, 4 and 8 to the LAPIC and
 * IOAPIC pages, with the vclock timers firing in between.  glass must keep
 * running: no crash (ASan/UBSan builds check the memory), no stop, and the
 * machine still answers afterwards.
 *
 * Left out on purpose, and only these: what legitimately ends or resets the
 * machine — the isa-debug-exit ports (0xf4-0xf7), and the reset commands:
 * i8042 commands 0xd1 (write output port, whose bit 0 is the reset line)
 * and 0xf0-0xff (pulse output lines) to port 0x64, and port 0x92 writes with
 * bit 0 (fast reset) set.  0xcf9 has no device on this board.  The test
 * checks that no reset was requested. */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "tests/unit/board_fixture.h"
#include "tests/unit/run_suite.h"

#define ACCESSES 1000000

static uint64_t rng_state = 0x9e3779b97f4a7c15ull;

static uint64_t rnd(void)
{
    /* xorshift64*: deterministic, so a failure can be replayed. */
    rng_state ^= rng_state >> 12;
    rng_state ^= rng_state << 25;
    rng_state ^= rng_state >> 27;
    return rng_state * 0x2545f4914f6cdd1dull;
}

/* The ports of every device on the board. */
static const struct { uint16_t first, count; } ranges[] = {
    { 0x20, 2 }, { 0xa0, 2 }, { 0x4d0, 2 },         /* 8259A pair, ELCR */
    { 0x40, 4 }, { 0x61, 1 },                       /* 8254, port 61h */
    { 0x70, 2 },                                    /* RTC/CMOS */
    { 0x60, 1 }, { 0x64, 1 }, { 0x92, 1 },          /* i8042, port 92h */
    { 0x3b0, 0x30 },                                /* VGA */
    { 0x1f0, 8 }, { 0x3f6, 1 }, { 0x170, 8 }, { 0x376, 1 }, /* IDE */
    { 0x3f8, 8 }, { 0x80, 1 },                      /* COM1, POST */
};

static bool resets_or_ends(uint16_t port, int size, uint32_t val)
{
    for (int i = 0; i < size; i++) {
        uint8_t b = (uint8_t)(val >> (8 * i));
        uint16_t p = (uint16_t)(port + i);
        if (p >= 0xf4 && p <= 0xf7)
            return true;
        if (p == 0x64 && (b == 0xd1 || b >= 0xf0))
            return true;
        if (p == 0x92 && (b & 1))
            return true;
    }
    return false;
}

START_TEST(a_million_random_device_accesses_leave_glass_running)
{
    /* Two disks to give the IDE channels something to do. */
    char disk[2][64];
    static char drive[2][160];
    for (int d = 0; d < 2; d++) {
        static const uint8_t code[2] = { 0xfa, 0xf4 };  /* bootable: cli; hlt */
        board_make_disk(disk[d], "/tmp/glass-test-fuzzXXXXXX", code, sizeof(code), 64 * 512);
        snprintf(drive[d], sizeof(drive[d]), "file=%s,format=raw,index=%d,media=disk",
                 disk[d], d == 0 ? 0 : 3);
    }
    char *argv[] = { "glass", "-accel", "interp", "-no-reboot", "-m", "16", "-smp", "2",
                     "-device", "isa-debug-exit,iobase=0xf4,iosize=0x04",
                     "-serial", "null", "-drive", drive[0], "-drive", drive[1], NULL };
    static struct options opt;
    ck_assert_int_eq(options_parse(&opt, 16, argv), 0);
    struct machine *m = machine_create(&opt);
    ck_assert_ptr_nonnull(m);

    const int nranges = (int)(sizeof(ranges) / sizeof(ranges[0]));
    for (int n = 0; n < ACCESSES; n++) {
        struct vm_exit e;
        memset(&e, 0, sizeof(e));
        uint64_t r = rnd();
        struct vcpu *v = &m->vcpu[r & 1];
        if ((r >> 1) % 8 == 0) {
            /* MMIO: a LAPIC or the IOAPIC. */
            static const int sizes[] = { 1, 2, 4, 8 };
            e.reason = EXIT_EPT_VIOLATION;
            e.mmio.gpa = ((r >> 4) & 1 ? LAPIC_DEFAULT_BASE : IOAPIC_DEFAULT_BASE) +
                         ((r >> 8) & 0xff8) + ((r >> 5) & 7 ? 0 : (r >> 20) & 7);
            e.mmio.size = (uint8_t)sizes[(r >> 24) & 3];
            e.mmio.write = (r >> 26) & 1;
            e.mmio.data = rnd();
        } else {
            static const int sizes[] = { 1, 1, 2, 4 };
            int k = (int)((r >> 4) % (uint64_t)nranges);
            e.reason = EXIT_IO_INSTRUCTION;
            e.io.port = (uint16_t)(ranges[k].first + (r >> 12) % ranges[k].count);
            e.io.size = (uint8_t)sizes[(r >> 24) & 3];
            e.io.in = (r >> 26) & 1;
            e.io.data = (uint32_t)rnd();
            if (!e.io.in && resets_or_ends(e.io.port, e.io.size, e.io.data))
                continue;
        }
        ck_assert_int_eq(machine_handle_exit(v, &e), 0);
        if (n % 1024 == 0)
            vclock_run_expired(&m->clock);
    }
    ck_assert_int_eq(m->stop, 0);
    ck_assert_int_eq(m->reset_pending, 0);
    /* Still answering: COM1's LSR reads with THR empty. */
    struct vm_exit e = { .reason = EXIT_IO_INSTRUCTION,
                         .io = { .port = 0x3fd, .size = 1, .in = 1 } };
    ck_assert_int_eq(machine_handle_exit(&m->vcpu[0], &e), 0);
    ck_assert_uint_eq(e.io.data & UART_LSR_THRE, UART_LSR_THRE);
    machine_destroy(m);
    unlink(disk[0]);
    unlink(disk[1]);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("board_fuzz");
    TCase *tc = tcase_create("board_fuzz");
    tcase_set_timeout(tc, 300);
    tcase_add_test(tc, a_million_random_device_accesses_leave_glass_running);
    suite_add_tcase(s, tc);
    return run_suite(s);
}
