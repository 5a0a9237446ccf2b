/* The command line: a QEMU-compatible subset (docs/usage.md). */
#ifndef GLASS_MACHINE_OPTIONS_H
#define GLASS_MACHINE_OPTIONS_H

#include <stdbool.h>
#include <stdint.h>

#define MAX_DRIVES 4
#define MAX_INITRDS 16

/* Guest RAM limits for -m.  All RAM sits below the 4 GiB PCI hole for now,
 * so the top is 3 GiB; the bottom leaves room for a kernel at 1 MiB and the
 * 128 KiB QEMU's firmware reserves at the top of low RAM (see loader.h). */
#define OPTIONS_MIN_RAM (2ull << 20)
#define OPTIONS_MAX_RAM (3ull << 30)
#define OPTIONS_DEFAULT_RAM (128ull << 20)
#define OPTIONS_MAX_SMP 8

enum serial_kind { SERIAL_STDIO, SERIAL_MON_STDIO, SERIAL_FILE, SERIAL_NULL, SERIAL_NONE };

struct drive_opt {
    const char *file;     /* NULL = no drive at this index */
    bool readonly;
};

struct options {
    uint64_t ram_size;            /* bytes, a multiple of 8 KiB; default 128 MiB */
    int smp;                      /* default 1 */
    const char *kernel;           /* -kernel */
    const char *append;           /* -append ("" if none) */
    const char *initrd[MAX_INITRDS]; /* -initrd a,b,...: "file args" each */
    int ninitrd;
    struct drive_opt drive[MAX_DRIVES]; /* index 0..3 (-hda = 0, -hdb = 1) */
    enum serial_kind serial;      /* default: mon:stdio with -nographic, else stdio */
    const char *serial_path;      /* for SERIAL_FILE */
    bool nographic;
    bool display_none;
    bool no_reboot;
    bool debug_exit;              /* -device isa-debug-exit */
    uint16_t debug_exit_port;     /* iobase; QEMU's default 0x501 */
    uint8_t debug_exit_size;      /* iosize; QEMU's default 2 */
    const char *accel;            /* "interp", "bt", "kvm", "auto"; default "auto" */

    /* Added by the parser; nothing above changed meaning. */
    const char *machine;          /* -machine type as given; default "pc" */
    bool serial_given;            /* -serial appeared (else the default applies) */

    /* The debugger (debugger/repl.h). */
    bool debug;                   /* -S / --debug: start stopped at the debugger prompt */
    const char *debug_script;     /* --debug-script FILE: run debugger commands from FILE */

    /* The gdb stub (-s = -gdb tcp::1234, -gdb tcp:[HOST]:PORT): glass
     * listens for gdb when gdb_port is nonzero (debugger/gdbstub.h). */
    const char *gdb_host;         /* address to listen on; default "127.0.0.1" */
    uint16_t gdb_port;            /* 0 = no gdb stub */
    bool start_stopped;           /* -S: the guest waits for the debugger */
};

/* Parse argv into opt (it is fully initialised first).  The strings opt
 * points to are argv's own or copies that live until the program ends.
 * Returns 0; 1 when --help/--version (or "-device help", "-machine help") was
 * handled, output on stdout, and the caller exits 0; or -1 after printing one
 * line naming the bad option to stderr ("glass: -m: invalid size '0'"). */
int options_parse(struct options *opt, int argc, char **argv);

/* The usage text (what --help prints). */
void options_print_usage(void);

#endif
