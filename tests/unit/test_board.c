/* The board: exits reach the devices; a tiny real-mode guest runs end to end
 * (OUT to COM1, OUT to isa-debug-exit) when the interpreter is built. */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "tests/unit/board_fixture.h"
#include "tests/unit/run_suite.h"

struct captured {
    char text[64];
    int len;
};

static void capture_tx(void *opaque, uint8_t byte)
{
    struct captured *c = opaque;
    if (c->len < (int)sizeof(c->text) - 1)
        c->text[c->len++] = (char)byte;
}

static void stop_machine(void *opaque, int status)
{
    machine_request_stop(opaque, status);
}

static struct vm_exit io(uint16_t port, int in, uint32_t data)
{
    struct vm_exit e;
    memset(&e, 0, sizeof(e));
    e.reason = EXIT_IO_INSTRUCTION;
    e.io.port = port;
    e.io.size = 1;
    e.io.in = (uint8_t)in;
    e.io.data = data;
    return e;
}

START_TEST(io_exits_reach_the_devices_and_debug_exit_stops)
{
    struct machine *m = calloc(1, sizeof(*m));
    struct captured out = { .len = 0 };
    m->nvcpus = 1;
    m->vcpu[0].m = m;
    iobus_init(&m->io);
    uart_init(&m->com1, UART_COM1_BASE);
    uart_set_backend(&m->com1, capture_tx, NULL, &out);
    ck_assert_int_eq(uart_attach(&m->com1, &m->io), 0);
    ck_assert_int_eq(port80_init(&m->post, &m->io), 0);
    ck_assert_int_eq(debug_exit_init(&m->debug_exit, &m->io, 0xf4, 4,
                                     stop_machine, m), 0);

    struct vm_exit e = io(0x3f8, 0, 'G');
    ck_assert_int_eq(machine_handle_exit(&m->vcpu[0], &e), 0);
    e = io(0x80, 0, 0x42);
    ck_assert_int_eq(machine_handle_exit(&m->vcpu[0], &e), 0);
    ck_assert_uint_eq(m->post.last, 0x42);
    e = io(0x3fd, 1, 0);
    ck_assert_int_eq(machine_handle_exit(&m->vcpu[0], &e), 0);
    ck_assert_uint_eq(e.io.data & UART_LSR_THRE, UART_LSR_THRE);
    e = io(0x60, 1, 0);     /* nobody there: all ones */
    ck_assert_int_eq(machine_handle_exit(&m->vcpu[0], &e), 0);
    ck_assert_uint_eq(e.io.data, 0xff);
    ck_assert_int_eq(out.len, 1);
    ck_assert_int_eq(out.text[0], 'G');

    e = io(0xf6, 0, 7);     /* inside iobase..iobase+iosize */
    ck_assert_int_lt(machine_handle_exit(&m->vcpu[0], &e), 0);
    ck_assert_int_eq(m->stop, 1);
    ck_assert_int_eq(m->exit_status, 15);
    ck_assert_int_eq(m->vcpu[0].cpu.env.stop_request, 1);

    ck_assert_uint_eq(exit_log_count(&m->exits, EXIT_IO_INSTRUCTION), 5);
    ck_assert_uint_eq(exit_log_recent(&m->exits, 2)->exit.io.data & UART_LSR_THRE,
                      UART_LSR_THRE); /* IN logged with the value read */
    free(m);
}
END_TEST

/* A fake accelerator: each run() returns the next scripted exit; a scripted
 * EXIT_IO_INSTRUCTION is sent through env.exit as an accelerator does. */
static struct vm_exit script[4];
static int script_len, script_pos;

static int scripted_run(struct vcpu *v, struct vm_exit *exit)
{
    while (script_pos < script_len) {
        struct vm_exit e = script[script_pos++];
        if (e.reason == EXIT_IO_INSTRUCTION) {
            if (v->cpu.env.exit(v->cpu.env.opaque, &e) < 0) {
                exit->reason = EXIT_GLASS_STOP;
                return 0;
            }
            continue;
        }
        *exit = e;
        return e.reason == EXIT_GLASS_INTERNAL_ERROR ? -1 : 0;
    }
    exit->reason = EXIT_GLASS_STOP;
    return 0;
}

static const struct accel_ops scripted_accel = { .name = "scripted", .run = scripted_run };

static struct machine *scripted_machine(struct options *opt)
{
    struct machine *m = calloc(1, sizeof(*m));
    memset(opt, 0, sizeof(*opt));
    opt->no_reboot = true;
    m->opt = opt;
    m->accel = &scripted_accel;
    m->nvcpus = 1;
    m->vcpu[0].m = m;
    m->vcpu[0].cpu.env.exit = machine_handle_exit;
    m->vcpu[0].cpu.env.opaque = &m->vcpu[0];
    iobus_init(&m->io);
    ck_assert_int_eq(debug_exit_init(&m->debug_exit, &m->io, 0xf4, 4, stop_machine, m), 0);
    script_len = script_pos = 0;
    return m;
}

static void script_add(uint32_t reason)
{
    memset(&script[script_len], 0, sizeof(script[0]));
    script[script_len++].reason = reason;
}

START_TEST(run_loop_stops_as_each_exit_asks)
{
    struct options opt;
    struct machine *m = scripted_machine(&opt);
    script_add(EXIT_HLT);   /* IF = 0 after the memset: nothing can wake it */
    ck_assert_int_eq(machine_run(m), 0);
    ck_assert_uint_eq(exit_log_count(&m->exits, EXIT_HLT), 1);
    free(m);

    m = scripted_machine(&opt);
    script_add(EXIT_TRIPLE_FAULT);  /* -no-reboot: stop with status 0 */
    ck_assert_int_eq(machine_run(m), 0);
    ck_assert_uint_eq(exit_log_count(&m->exits, EXIT_TRIPLE_FAULT), 1);
    free(m);

    m = scripted_machine(&opt);
    script_add(EXIT_GLASS_INTERNAL_ERROR);
    script[0].error.message = "scripted failure";
    ck_assert_int_eq(machine_run(m), 1);
    free(m);

    m = scripted_machine(&opt);
    script_add(EXIT_IO_INSTRUCTION);
    script[0].io.port = 0xf4;
    script[0].io.size = 1;
    script[0].io.data = 0x10;
    script_add(EXIT_HLT);   /* never reached: the debug exit stopped the run */
    ck_assert_int_eq(machine_run(m), 33);
    ck_assert_int_eq(script_pos, 1);
    free(m);

    m = scripted_machine(&opt);
    script_add(EXIT_RDMSR); /* not one the board handles: an error */
    ck_assert_int_eq(machine_run(m), 1);
    free(m);
}
END_TEST

START_TEST(serial_file_backend_truncates_and_names_a_bad_path)
{
    char path[] = "/tmp/glass-test-serialXXXXXX";
    int fd = mkstemp(path);
    ck_assert_int_ge(fd, 0);
    ck_assert_int_eq(write(fd, "old contents", 12), 12);
    close(fd);
    struct serial_backend *b = serial_backend_open(SERIAL_FILE, path);
    ck_assert_ptr_nonnull(b);
    serial_backend_write(b, 'h');
    serial_backend_write(b, 'i');
    uint8_t byte;
    ck_assert_int_eq(serial_backend_read(b, &byte), 0);  /* a file gives no input */
    serial_backend_close(b);
    char text[32];
    board_read_file(path, text, sizeof(text));
    ck_assert_str_eq(text, "hi");
    unlink(path);

    ck_assert_ptr_null(serial_backend_open(SERIAL_FILE, "/nonexistent-dir/serial.log"));
    b = serial_backend_open(SERIAL_NULL, NULL);
    ck_assert_ptr_nonnull(b);
    serial_backend_write(b, 'x');   /* dropped */
    serial_backend_close(b);
}
END_TEST

START_TEST(port80_remembers_the_last_code_and_saves_it)
{
    struct iobus bus;
    struct port80 post, copy;
    iobus_init(&bus);
    ck_assert_int_eq(port80_init(&post, &bus), 0);
    iobus_write(&bus, 0x80, 1, 0x12);
    iobus_write(&bus, 0x80, 1, 0xab);
    ck_assert_uint_eq(post.last, 0xab);
    ck_assert_uint_eq(post.writes, 2);
    ck_assert_uint_eq(iobus_read(&bus, 0x80, 1), 0xab);
    uint8_t buf[32];
    size_t n = port80_save(&post, buf, sizeof(buf));
    ck_assert_uint_eq(n, port80_save(&post, NULL, 0));
    memset(&copy, 0, sizeof(copy));
    ck_assert_int_eq(port80_load(&copy, buf, n), 0);
    ck_assert_uint_eq(copy.last, 0xab);
    ck_assert_uint_eq(copy.writes, 2);
    buf[0] = 0;
    ck_assert_int_lt(port80_load(&copy, buf, n), 0);
}
END_TEST

START_TEST(unknown_accelerators_are_refused)
{
    ck_assert_ptr_null(accel_choose("nonsense"));
    if (access("/dev/kvm", R_OK | W_OK) != 0)
        ck_assert_ptr_null(accel_choose("kvm"));
#if defined(__x86_64__)
    ck_assert_ptr_nonnull(accel_choose("bt"));
#endif
    ck_assert_ptr_nonnull(accel_choose("interp"));
}
END_TEST

START_TEST(tiny_guest_prints_and_exits_through_isa_debug_exit)
{
    if (!accel_find("interp")) {
        fprintf(stderr, "test_board: interp not built yet, end-to-end test skipped\n");
        return;
    }
    static const uint8_t code[] = {
        0xba, 0xf8, 0x03,   /* mov dx, 0x3f8 */
        0xb0, 'O', 0xee,    /* mov al, 'O'; out dx, al */
        0xb0, 'K', 0xee,    /* mov al, 'K'; out dx, al */
        0xb0, '\n', 0xee,   /* mov al, 10;  out dx, al */
        0xb0, 0x15,         /* mov al, 0x15 */
        0xe6, 0xf4,         /* out 0xf4, al: exit (0x15 << 1) | 1 = 43 */
        0xf4,               /* hlt (not reached) */
    };
    struct board_guest g;
    struct machine *m = board_boot(&g, "board", code, sizeof(code), "1");
    ck_assert_int_eq(machine_run(m), 43);
    char text[64];
    board_serial_text(&g, text, sizeof(text));
    ck_assert_str_eq(text, "OK\n");
    board_shutdown(&g);
}
END_TEST

START_TEST(cli_hlt_stops_with_status_zero)
{
    if (!accel_find("interp"))
        return;
    static const uint8_t code[] = {
        0xfa,               /* cli */
        0xf4,               /* hlt: nothing can wake it */
    };
    struct board_guest g;
    struct machine *m = board_boot(&g, "board", code, sizeof(code), "1");
    ck_assert_int_eq(machine_run(m), 0);
    board_shutdown(&g);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("board");
    TCase *tc = tcase_create("board");
    tcase_set_timeout(tc, 20);
    tcase_add_test(tc, io_exits_reach_the_devices_and_debug_exit_stops);
    tcase_add_test(tc, run_loop_stops_as_each_exit_asks);
    tcase_add_test(tc, serial_file_backend_truncates_and_names_a_bad_path);
    tcase_add_test(tc, port80_remembers_the_last_code_and_saves_it);
    tcase_add_test(tc, unknown_accelerators_are_refused);
    tcase_add_test(tc, tiny_guest_prints_and_exits_through_isa_debug_exit);
    tcase_add_test(tc, cli_hlt_stops_with_status_zero);
    suite_add_tcase(s, tc);
    return run_suite(s);
}
