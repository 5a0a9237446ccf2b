/* options_parse: every option glass takes, its QEMU spellings, and every
 * error path (one line on stderr naming the option and the value). */
#include <check.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "machine/options.h"
#include "tests/unit/run_suite.h"

static char err_text[4096];
static char out_text[4096];

/* Read back what a redirected fd received. */
static void slurp(FILE *f, char *buf, size_t size)
{
    fflush(f);
    rewind(f);
    size_t n = fread(buf, 1, size - 1, f);
    buf[n] = '\0';
}

/* options_parse on "glass" + the NULL-terminated arguments, with stdout
 * and stderr captured into out_text / err_text. */
static int parse(struct options *o, ...)
{
    char *argv[64];
    int argc = 0;
    va_list ap;
    argv[argc++] = "glass";
    va_start(ap, o);
    for (char *a; (a = va_arg(ap, char *)) != NULL;)
        argv[argc++] = a;
    va_end(ap);
    argv[argc] = NULL;

    FILE *err = tmpfile(), *out = tmpfile();
    ck_assert_ptr_nonnull(err);
    ck_assert_ptr_nonnull(out);
    fflush(stdout);
    fflush(stderr);
    int saved_err = dup(2), saved_out = dup(1);
    dup2(fileno(err), 2);
    dup2(fileno(out), 1);
    int r = options_parse(o, argc, argv);
    fflush(stdout);
    fflush(stderr);
    dup2(saved_err, 2);
    dup2(saved_out, 1);
    close(saved_err);
    close(saved_out);
    slurp(err, err_text, sizeof(err_text));
    slurp(out, out_text, sizeof(out_text));
    fclose(err);
    fclose(out);
    return r;
}

/* The error is exactly one line and contains every given fragment. */
static void assert_error(const char *frag1, const char *frag2)
{
    ck_assert_msg(strncmp(err_text, "glass: ", 7) == 0, "stderr: '%s'", err_text);
    size_t len = strlen(err_text);
    ck_assert_msg(len > 0 && err_text[len - 1] == '\n' && strchr(err_text, '\n') == err_text + len - 1,
                  "not one line: '%s'", err_text);
    ck_assert_msg(strstr(err_text, frag1), "'%s' not in '%s'", frag1, err_text);
    if (frag2)
        ck_assert_msg(strstr(err_text, frag2), "'%s' not in '%s'", frag2, err_text);
}

#define FAILS(frag1, frag2, ...) do { \
        struct options o_; \
        ck_assert_int_eq(parse(&o_, __VA_ARGS__, NULL), -1); \
        assert_error(frag1, frag2); \
    } while (0)

START_TEST(defaults)
{
    struct options o;
    ck_assert_int_eq(parse(&o, NULL), 0);
    ck_assert_uint_eq(o.ram_size, 128ull << 20);
    ck_assert_int_eq(o.smp, 1);
    ck_assert_ptr_null(o.kernel);
    ck_assert_str_eq(o.append, "");
    ck_assert_int_eq(o.ninitrd, 0);
    for (int i = 0; i < MAX_DRIVES; i++)
        ck_assert_ptr_null(o.drive[i].file);
    ck_assert_int_eq(o.serial, SERIAL_STDIO);
    ck_assert(!o.nographic && !o.display_none && !o.no_reboot && !o.debug_exit);
    ck_assert_str_eq(o.accel, "auto");
    ck_assert_str_eq(o.machine, "pc");
    ck_assert_str_eq(err_text, "");
}
END_TEST

START_TEST(memory_sizes)
{
    static const struct {
        const char *opt, *arg;
        uint64_t size;
    } cases[] = {
        { "-m", "64", 64ull << 20 },
        { "-m", "256M", 256ull << 20 },
        { "-m", "1G", 1ull << 30 },
        { "-m", "3g", 3ull << 30 },
        { "-m", "size=32", 32ull << 20 },
        { "-m", "1.5G", 3ull << 29 },
        { "-m", "4096K", 4ull << 20 },
        { "-m", "2049K", (2ull << 20) + 8192 },     /* rounded up to 8 KiB, as QEMU does */
        { "--m", "16", 16ull << 20 },
    };
    struct options o;
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        ck_assert_int_eq(parse(&o, cases[i].opt, cases[i].arg, NULL), 0);
        ck_assert_msg(o.ram_size == cases[i].size, "%s %s: ram_size %llu, want %llu",
                      cases[i].opt, cases[i].arg, (unsigned long long)o.ram_size,
                      (unsigned long long)cases[i].size);
    }
}
END_TEST

START_TEST(memory_errors)
{
    FAILS("-m: invalid size '0'", NULL, "-m", "0");
    FAILS("-m: invalid size 'abc'", NULL, "-m", "abc");
    FAILS("-m: invalid size '12X'", NULL, "-m", "12X");
    FAILS("-m: invalid size '12MB'", NULL, "-m", "12MB");
    FAILS("-m: invalid size ''", NULL, "-m", "");
    FAILS("-m: invalid size '-5'", NULL, "-m", "-5");
    FAILS("-m", "maximum of 3072 MiB", "-m", "4G");
    FAILS("-m: invalid size '99999999999999999999'", NULL, "-m", "99999999999999999999");
    FAILS("-m", "maximum", "-m", "5000000T");
    FAILS("-m", "minimum of 2 MiB", "-m", "1");
    FAILS("-m: 'maxmem' is not supported", NULL, "-m", "128,maxmem=1G");
    FAILS("-m: missing argument", NULL, "-m");
}
END_TEST

START_TEST(smp)
{
    struct options o;
    ck_assert_int_eq(parse(&o, "-smp", "1", NULL), 0);
    ck_assert_int_eq(o.smp, 1);
    ck_assert_str_eq(err_text, "");
    ck_assert_int_eq(parse(&o, "-smp", "cpus=4", NULL), 0);
    ck_assert_int_eq(o.smp, 4);
    ck_assert_str_eq(err_text, "");    /* -smp N runs N vCPUs: nothing to warn */
    ck_assert_int_eq(parse(&o, "-smp", "8", NULL), 0);
    ck_assert_int_eq(o.smp, 8);
    FAILS("-smp: invalid CPU count '0'", NULL, "-smp", "0");
    FAILS("-smp: invalid CPU count '9'", NULL, "-smp", "9");
    FAILS("-smp: invalid CPU count 'two'", NULL, "-smp", "two");
    FAILS("-smp: 'sockets' is not supported", NULL, "-smp", "2,sockets=2");
}
END_TEST

START_TEST(kernel_append_initrd)
{
    struct options o;
    ck_assert_int_eq(parse(&o, "-kernel", "k.elf", "-append", "console=ttyS0 x=1",
                           "-initrd", "a.bin arg1 arg2,b.bin", NULL), 0);
    ck_assert_str_eq(o.kernel, "k.elf");
    ck_assert_str_eq(o.append, "console=ttyS0 x=1");
    ck_assert_int_eq(o.ninitrd, 2);
    ck_assert_str_eq(o.initrd[0], "a.bin arg1 arg2");
    ck_assert_str_eq(o.initrd[1], "b.bin");
    /* ",," is a literal comma (QEMU's escape). */
    ck_assert_int_eq(parse(&o, "-kernel", "k", "-initrd", "a,,b.bin,c", NULL), 0);
    ck_assert_int_eq(o.ninitrd, 2);
    ck_assert_str_eq(o.initrd[0], "a,b.bin");
    ck_assert_str_eq(o.initrd[1], "c");
    FAILS("-initrd: empty module file name", NULL, "-initrd", "a,");
    FAILS("-initrd: empty module file name", NULL, "-initrd", "");
    FAILS("-initrd: more than 16 modules", NULL, "-initrd",
          "1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16,17");
    FAILS("-kernel: missing argument", NULL, "-kernel");
    FAILS("-append only allowed with -kernel option", NULL, "-append", "x");
    FAILS("-initrd only allowed with -kernel option", NULL, "-initrd", "m.bin");
    FAILS("-append: missing argument", NULL, "-append");
}
END_TEST

START_TEST(drives)
{
    struct options o;
    ck_assert_int_eq(parse(&o, "-drive", "file=d0.img,format=raw,index=0,media=disk",
                           "-drive", "file=d2.img,if=ide,index=2,readonly=on",
                           "-drive", "file=dx.img", NULL), 0);
    ck_assert_str_eq(o.drive[0].file, "d0.img");
    ck_assert(!o.drive[0].readonly);
    ck_assert_str_eq(o.drive[2].file, "d2.img");
    ck_assert(o.drive[2].readonly);
    ck_assert_str_eq(o.drive[1].file, "dx.img");   /* first free index */
    ck_assert_ptr_null(o.drive[3].file);

    ck_assert_int_eq(parse(&o, "-hdb", "b.img", "-hda", "a.img", "-drive", "file=a,,b.img", NULL), 0);
    ck_assert_str_eq(o.drive[0].file, "a.img");
    ck_assert_str_eq(o.drive[1].file, "b.img");
    ck_assert_str_eq(o.drive[2].file, "a,b.img");

    /* QEMU: a bare argument is the first disk. */
    ck_assert_int_eq(parse(&o, "disk.img", NULL), 0);
    ck_assert_str_eq(o.drive[0].file, "disk.img");

    FAILS("-drive: format 'qcow2' is not supported", NULL, "-drive", "file=x,format=qcow2");
    FAILS("-drive: unknown parameter 'cache'", NULL, "-drive", "file=x,cache=none");
    FAILS("-drive: media 'cdrom' is not supported", NULL, "-drive", "file=x,media=cdrom");
    FAILS("-drive: interface if=virtio is not supported", NULL, "-drive", "file=x,if=virtio");
    FAILS("-drive: invalid index '4'", NULL, "-drive", "file=x,index=4");
    FAILS("-drive: invalid index 'one'", NULL, "-drive", "file=x,index=one");
    FAILS("-drive: invalid readonly value 'maybe'", NULL, "-drive", "file=x,readonly=maybe");
    FAILS("-drive: no file= given", NULL, "-drive", "format=raw");
    FAILS("-drive: empty file name", NULL, "-drive", "file=");
    FAILS("-drive: parameter 'x.img' needs a value", NULL, "-drive", "x.img");
    FAILS("-hda: drive index 0 is already in use by 'a'", NULL, "-hda", "a", "-hda", "b");
    FAILS("-drive: all 4 drive slots are in use", NULL, "-hda", "a", "-hdb", "b", "-hdc", "c",
          "-hdd", "d", "-drive", "file=e");
}
END_TEST

START_TEST(serial)
{
    struct options o;
    ck_assert_int_eq(parse(&o, "-serial", "mon:stdio", NULL), 0);
    ck_assert_int_eq(o.serial, SERIAL_MON_STDIO);
    ck_assert_int_eq(parse(&o, "-serial", "null", NULL), 0);
    ck_assert_int_eq(o.serial, SERIAL_NULL);
    ck_assert_int_eq(parse(&o, "-serial", "none", NULL), 0);
    ck_assert_int_eq(o.serial, SERIAL_NONE);
    ck_assert_int_eq(parse(&o, "-serial", "file:/tmp/out.txt", NULL), 0);
    ck_assert_int_eq(o.serial, SERIAL_FILE);
    ck_assert_str_eq(o.serial_path, "/tmp/out.txt");
    /* -nographic alone puts the serial port on mon:stdio (QEMU) ... */
    ck_assert_int_eq(parse(&o, "-nographic", NULL), 0);
    ck_assert(o.nographic);
    ck_assert_int_eq(o.serial, SERIAL_MON_STDIO);
    /* ... but an explicit -serial wins, in either order. */
    ck_assert_int_eq(parse(&o, "-serial", "stdio", "-nographic", NULL), 0);
    ck_assert_int_eq(o.serial, SERIAL_STDIO);
    FAILS("-serial: 'pty' is not supported", NULL, "-serial", "pty");
    FAILS("-serial: file: needs a path", NULL, "-serial", "file:");
    FAILS("-serial: only one serial port", NULL, "-serial", "stdio", "-serial", "null");
}
END_TEST

START_TEST(display_reboot_monitor)
{
    struct options o;
    ck_assert_int_eq(parse(&o, "-display", "none", "-no-reboot", "-monitor", "none", NULL), 0);
    ck_assert(o.display_none);
    ck_assert(o.no_reboot);
    FAILS("-display: 'sdl' is not supported yet", NULL, "-display", "sdl");
    FAILS("-display: 'gtk' is not supported yet", NULL, "-display", "gtk,zoom-to-fit=on");
    FAILS("-monitor: 'stdio' is not supported", NULL, "-monitor", "stdio");
}
END_TEST

START_TEST(debug_exit_device)
{
    struct options o;
    ck_assert_int_eq(parse(&o, "-device", "isa-debug-exit,iobase=0xf4,iosize=0x04", NULL), 0);
    ck_assert(o.debug_exit);
    ck_assert_uint_eq(o.debug_exit_port, 0xf4);
    ck_assert_uint_eq(o.debug_exit_size, 4);
    ck_assert_int_eq(parse(&o, "-device", "isa-debug-exit,iobase=244,iosize=1", NULL), 0);
    ck_assert_uint_eq(o.debug_exit_port, 244);
    ck_assert_uint_eq(o.debug_exit_size, 1);
    ck_assert_int_eq(parse(&o, "-device", "isa-debug-exit", NULL), 0);
    ck_assert_uint_eq(o.debug_exit_port, 0x501);   /* QEMU's defaults */
    ck_assert_uint_eq(o.debug_exit_size, 2);
    ck_assert_int_eq(parse(&o, "-device", "driver=isa-debug-exit,iobase=0x10", NULL), 0);
    ck_assert_uint_eq(o.debug_exit_port, 0x10);
    FAILS("-device: unknown device 'e1000'", NULL, "-device", "e1000,netdev=n0");
    FAILS("-device isa-debug-exit: invalid iobase 'zz'", NULL, "-device", "isa-debug-exit,iobase=zz");
    FAILS("-device isa-debug-exit: iobase 0x10000 is beyond", NULL, "-device", "isa-debug-exit,iobase=0x10000");
    FAILS("-device isa-debug-exit: invalid iosize 0", NULL, "-device", "isa-debug-exit,iosize=0");
    FAILS("-device isa-debug-exit: unknown parameter 'irq'", NULL, "-device", "isa-debug-exit,irq=3");
    FAILS("-device: isa-debug-exit given twice", NULL, "-device", "isa-debug-exit", "-device", "isa-debug-exit");
    FAILS("-device: no device name", NULL, "-device", "iobase=0xf4");
}
END_TEST

START_TEST(accelerators)
{
    struct options o;
    const char *names[] = { "interp", "bt", "kvm", "auto" };
    for (int i = 0; i < 4; i++) {
        ck_assert_int_eq(parse(&o, "-accel", names[i], NULL), 0);
        ck_assert_str_eq(o.accel, names[i]);
    }
    ck_assert_int_eq(parse(&o, "-accel", "tcg", NULL), 0);
    ck_assert_str_eq(o.accel, "auto");
    ck_assert_int_eq(parse(&o, "-enable-kvm", NULL), 0);
    ck_assert_str_eq(o.accel, "kvm");
    ck_assert_int_eq(parse(&o, "--accel", "bt", NULL), 0);
    ck_assert_str_eq(o.accel, "bt");
    ck_assert_int_eq(parse(&o, "-machine", "pc,accel=interp", NULL), 0);
    ck_assert_str_eq(o.accel, "interp");
    ck_assert_int_eq(parse(&o, "-machine", "accel=kvm:tcg", NULL), 0);
    ck_assert_str_eq(o.accel, "auto");
    FAILS("-accel: unknown accelerator 'bogus'", NULL, "-accel", "bogus");
    FAILS("-accel: accelerator options ('thread=single') are not supported", NULL,
          "-accel", "tcg,thread=single");
    FAILS("-machine accel: unknown accelerator 'hvf'", NULL, "-machine", "accel=hvf");
}
END_TEST

START_TEST(machine_types)
{
    struct options o;
    ck_assert_int_eq(parse(&o, "-machine", "pc", NULL), 0);
    ck_assert_str_eq(o.machine, "pc");
    ck_assert_str_eq(err_text, "");
    ck_assert_int_eq(parse(&o, "-M", "pc-i440fx-7.2", NULL), 0);
    ck_assert_str_eq(err_text, "");
    ck_assert_int_eq(parse(&o, "-M", "q35", NULL), 0);
    ck_assert_str_eq(o.machine, "q35");
    ck_assert_ptr_nonnull(strstr(err_text, "'q35' is not emulated"));
    ck_assert_int_eq(parse(&o, "-machine", "help", NULL), 1);
    ck_assert_ptr_nonnull(strstr(out_text, "pc"));
    FAILS("-machine: parameter 'smm' is not supported", NULL, "-machine", "pc,smm=off");
}
END_TEST

START_TEST(debugger_options)
{
    struct options o;
    ck_assert_int_eq(parse(&o, "-S", NULL), 0);
    ck_assert(o.start_stopped);
    ck_assert_uint_eq(o.gdb_port, 0);
    ck_assert_int_eq(parse(&o, "-s", NULL), 0);
    ck_assert_uint_eq(o.gdb_port, 1234);
    ck_assert_int_eq(parse(&o, "-gdb", "tcp::4321", NULL), 0);
    ck_assert_uint_eq(o.gdb_port, 4321);
    ck_assert_int_eq(parse(&o, "--debug-script", "cmds.txt", NULL), 0);
    ck_assert_str_eq(o.debug_script, "cmds.txt");
    FAILS("-gdb: missing argument", NULL, "-gdb");
}
END_TEST

START_TEST(help_and_version)
{
    struct options o;
    ck_assert_int_eq(parse(&o, "--help", NULL), 1);
    ck_assert_ptr_nonnull(strstr(out_text, "usage: glass"));
    ck_assert_str_eq(err_text, "");
    ck_assert_int_eq(parse(&o, "-h", NULL), 1);
    ck_assert_ptr_nonnull(strstr(out_text, "-kernel"));
    ck_assert_int_eq(parse(&o, "-version", NULL), 1);
    ck_assert_str_eq(out_text, "glass 0.1\n");
    ck_assert_int_eq(parse(&o, "--version", NULL), 1);
    ck_assert_str_eq(out_text, "glass 0.1\n");
    ck_assert_int_eq(parse(&o, "-device", "help", NULL), 1);
    ck_assert_ptr_nonnull(strstr(out_text, "isa-debug-exit"));
}
END_TEST

START_TEST(unknown_options)
{
    FAILS("unknown option '-foo'", NULL, "-foo");
    FAILS("unknown option '--bar'", NULL, "--bar");
    FAILS("unknown option '-'", NULL, "-");
    FAILS("unknown option '---m'", NULL, "---m", "64");
    /* Parsing stops at the first error: nothing after it is looked at. */
    FAILS("unknown option '-x'", NULL, "-m", "64", "-x", "-m", "0");
}
END_TEST

START_TEST(full_qemu_line)
{
    struct options o;
    ck_assert_int_eq(parse(&o, "-nographic", "-no-reboot", "-m", "128",
                           "-device", "isa-debug-exit,iobase=0xf4,iosize=0x04",
                           "-drive", "file=boot.img,format=raw,index=0,media=disk", NULL), 0);
    ck_assert_uint_eq(o.ram_size, 128ull << 20);
    ck_assert_str_eq(o.drive[0].file, "boot.img");
    ck_assert(o.debug_exit && o.nographic && o.no_reboot);
    ck_assert_str_eq(err_text, "");
}
END_TEST

int main(void)
{
    Suite *s = suite_create("options");
    TCase *tc = tcase_create("parse");
    tcase_add_test(tc, defaults);
    tcase_add_test(tc, memory_sizes);
    tcase_add_test(tc, memory_errors);
    tcase_add_test(tc, smp);
    tcase_add_test(tc, kernel_append_initrd);
    tcase_add_test(tc, drives);
    tcase_add_test(tc, serial);
    tcase_add_test(tc, display_reboot_monitor);
    tcase_add_test(tc, debug_exit_device);
    tcase_add_test(tc, accelerators);
    tcase_add_test(tc, machine_types);
    tcase_add_test(tc, debugger_options);
    tcase_add_test(tc, help_and_version);
    tcase_add_test(tc, unknown_options);
    tcase_add_test(tc, full_qemu_line);
    suite_add_tcase(s, tc);
    return run_suite(s);
}
