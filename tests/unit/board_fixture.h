/* A whole board booted from a temporary disk, shared by the board tests
 * (test_board.c, test_board_irq.c, test_board_debug.c, test_board_fuzz.c):
 * the disk image, the QEMU-style command line, COM1's output in a file.
 * Each test file is its own program: everything here is static. */
#ifndef GLASS_TESTS_BOARD_FIXTURE_H
#define GLASS_TESTS_BOARD_FIXTURE_H

#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "machine/board.h"
#include "machine/options.h"

/* Writes a new temporary disk image (path from the mkstemp template tmpl,
 * at most 63 characters) whose first sector holds code and the boot
 * signature, sized to size bytes (at least one sector). */
static inline void board_make_disk(char path[64], const char *tmpl, const uint8_t *code,
                                   size_t len, size_t size)
{
    uint8_t sector[512] = { 0 };
    ck_assert_uint_le(len, 510);
    memcpy(sector, code, len);
    sector[510] = 0x55;
    sector[511] = 0xaa;
    snprintf(path, 64, "%s", tmpl);
    int fd = mkstemp(path);
    ck_assert_int_ge(fd, 0);
    ck_assert_int_eq(write(fd, sector, sizeof(sector)), (ssize_t)sizeof(sector));
    if (size > sizeof(sector))
        ck_assert_int_eq(ftruncate(fd, (off_t)size), 0);
    close(fd);
}

/* A new empty temporary file (path from the mkstemp template tmpl). */
static inline void board_make_file(char path[64], const char *tmpl)
{
    snprintf(path, 64, "%s", tmpl);
    int fd = mkstemp(path);
    ck_assert_int_ge(fd, 0);
    close(fd);
}

/* Reads a whole (small) file as a string. */
static inline void board_read_file(const char *path, char *buf, size_t len)
{
    FILE *f = fopen(path, "rb");
    ck_assert_ptr_nonnull(f);
    size_t n = fread(buf, 1, len - 1, f);
    buf[n] = '\0';
    fclose(f);
}

/* One booted board.  The options and the argument strings they point into
 * live here, as long as the machine does. */
struct board_guest {
    char disk[64], serial[64];
    char drive_arg[128], serial_arg[96];
    struct options opt;
    struct machine *m;
};

/* Boots a machine with -smp vcpus on the interpreter (16 MiB, -no-reboot,
 * isa-debug-exit at 0xf4) from a disk holding code at 0x7c00, COM1 writing
 * to a new temporary file.  tmpl names the test's temporary files. */
static inline struct machine *board_boot(struct board_guest *g, const char *tmpl,
                                         const uint8_t *code, size_t len, const char *vcpus)
{
    char t[64];
    memset(g, 0, sizeof(*g));
    snprintf(t, sizeof(t), "/tmp/glass-test-%sXXXXXX", tmpl);
    board_make_disk(g->disk, t, code, len, 512);
    snprintf(t, sizeof(t), "/tmp/glass-test-%s-serialXXXXXX", tmpl);
    board_make_file(g->serial, t);
    snprintf(g->drive_arg, sizeof(g->drive_arg), "file=%s,format=raw,index=0,media=disk", g->disk);
    snprintf(g->serial_arg, sizeof(g->serial_arg), "file:%s", g->serial);
    char *argv[] = { "glass", "-accel", "interp", "-no-reboot", "-m", "16", "-smp", (char *)vcpus,
                     "-device", "isa-debug-exit,iobase=0xf4,iosize=0x04",
                     "-serial", g->serial_arg, "-drive", g->drive_arg, NULL };
    ck_assert_int_eq(options_parse(&g->opt, (int)(sizeof(argv) / sizeof(argv[0])) - 1, argv), 0);
    g->m = machine_create(&g->opt);
    ck_assert_ptr_nonnull(g->m);
    return g->m;
}

/* What the guest wrote to COM1. */
static inline void board_serial_text(const struct board_guest *g, char *buf, size_t len)
{
    board_read_file(g->serial, buf, len);
}

static inline void board_shutdown(struct board_guest *g)
{
    machine_destroy(g->m);
    unlink(g->disk);
    unlink(g->serial);
}

#endif
