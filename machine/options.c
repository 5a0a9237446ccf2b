/* The command line: the subset of QEMU's options glass understands, with
 * QEMU's spelling and semantics, so a qemu-system-x86_64 command line works
 * unchanged where glass has the feature (docs/usage.md lists them all).
 *
 * Every error is one line on stderr naming the option and the bad value, and
 * options_parse returns -1; nothing here exits. */
#include "machine/options.h"

#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define GLASS_VERSION "0.1"

/* ---- strings copied out of argv -------------------------------------- */

/* Copies live until the program ends: struct options holds plain pointers
 * and may be copied around freely, so they never move or get freed.  They
 * stay reachable through this list (no leak reports under ASan). */
static char **copied_strings;
static size_t ncopied, copied_cap;

static char *keep_string(const char *s, size_t len)
{
    if (ncopied == copied_cap) {
        size_t cap = copied_cap ? copied_cap * 2 : 32;
        char **grown = realloc(copied_strings, cap * sizeof(*grown));
        if (!grown)
            return NULL;
        copied_strings = grown;
        copied_cap = cap;
    }
    char *copy = malloc(len + 1);
    if (!copy)
        return NULL;
    memcpy(copy, s, len);
    copy[len] = '\0';
    copied_strings[ncopied++] = copy;
    return copy;
}

static void say(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void say(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    fputs("glass: ", stderr);
    vfprintf(stderr, fmt, ap);
    fputc('\n', stderr);
    va_end(ap);
}

/* ---- QEMU's "a,key=value,key2=value2" syntax --------------------------- */

/* One element of a comma list.  QEMU writes a literal comma inside a value
 * as ",," (util/qemu-option.c, get_opt_value); the copies here have it
 * unescaped. */
static const char *next_list_item(const char *p, char **item)
{
    size_t cap = strlen(p) + 1, n = 0;
    char *buf = malloc(cap);
    if (!buf) {
        *item = NULL;
        return p + strlen(p);
    }
    while (*p) {
        if (*p == ',') {
            if (p[1] != ',')
                break;
            p++;              /* ",," is one literal comma */
        }
        buf[n++] = *p++;
    }
    *item = keep_string(buf, n);
    free(buf);
    return p;                 /* at ',' or the end */
}

#define MAX_KV 16

struct kv {
    const char *key;
    const char *value;        /* NULL for a bare key */
};

/* Split "a,k=v,..." into pairs.  A first element without '=' gets
 * implied_key (QEMU's "implied" parameter, e.g. -m 128 = -m size=128) when
 * one is given; later bare keys are booleans ("readonly" = "readonly=on"). */
static int split_kv(const char *optname, const char *arg, const char *implied_key,
                    struct kv *out, int *count)
{
    const char *p = arg;
    int n = 0;

    for (;;) {
        char *item;
        p = next_list_item(p, &item);
        if (!item) {
            say("%s: out of memory", optname);
            return -1;
        }
        if (n == MAX_KV) {
            say("%s: too many parameters in '%s'", optname, arg);
            return -1;
        }
        char *eq = strchr(item, '=');
        if (eq) {
            *eq = '\0';
            out[n].key = item;
            out[n].value = eq + 1;
        } else if (n == 0 && implied_key) {
            out[n].key = implied_key;
            out[n].value = item;
        } else {
            out[n].key = item;
            out[n].value = NULL;
        }
        if (out[n].key[0] == '\0') {
            say("%s: empty parameter name in '%s'", optname, arg);
            return -1;
        }
        n++;
        if (*p == '\0')
            break;
        p++;                  /* the separating comma */
    }
    *count = n;
    return 0;
}

/* ---- numbers ------------------------------------------------------------ */

/* An unsigned integer in C syntax (decimal, 0x hex, 0 octal), the whole
 * string, no sign, no overflow. */
static int parse_uint(const char *s, uint64_t *out)
{
    if (!s || !isdigit((unsigned char)s[0]))
        return -1;
    errno = 0;
    char *end;
    unsigned long long v = strtoull(s, &end, 0);
    if (errno || *end != '\0')
        return -1;
    *out = v;
    return 0;
}

/* A size as QEMU's -m takes it (qemu_strtosz_MiB): a decimal number,
 * optionally with a fraction, and an optional suffix B K M G T (either
 * case); no suffix means MiB. */
static int parse_size_mib(const char *s, uint64_t *bytes)
{
    const char *p = s;
    uint64_t whole = 0, frac_num = 0, frac_den = 1;

    if (!isdigit((unsigned char)*p))
        return -1;
    while (isdigit((unsigned char)*p)) {
        if (whole > (UINT64_MAX - 9) / 10)
            return -1;
        whole = whole * 10 + (uint64_t)(*p++ - '0');
    }
    if (*p == '.') {
        p++;
        if (!isdigit((unsigned char)*p))
            return -1;
        while (isdigit((unsigned char)*p)) {
            if (frac_den < 1000000000ull) {   /* nine digits are plenty */
                frac_num = frac_num * 10 + (uint64_t)(*p - '0');
                frac_den *= 10;
            }
            p++;
        }
    }
    int shift;
    switch (toupper((unsigned char)*p)) {
    case '\0': shift = 20; break;
    case 'B': shift = 0; break;
    case 'K': shift = 10; break;
    case 'M': shift = 20; break;
    case 'G': shift = 30; break;
    case 'T': shift = 40; break;
    default: return -1;
    }
    if (*p && p[1] != '\0')
        return -1;
    if (whole > (UINT64_MAX >> shift) >> 1)  /* keep clear of overflow */
        return -1;
    *bytes = (whole << shift) + (uint64_t)(((unsigned __int128)frac_num << shift) / frac_den);
    return 0;
}

static int parse_onoff(const char *v, bool *out)
{
    if (!v || !strcmp(v, "on") || !strcmp(v, "yes") || !strcmp(v, "true")) {
        *out = true;
        return 0;
    }
    if (!strcmp(v, "off") || !strcmp(v, "no") || !strcmp(v, "false")) {
        *out = false;
        return 0;
    }
    return -1;
}

/* ---- the options, one handler each --------------------------------------
 * A handler returns 0, 1 (handled help/version: stop, exit 0) or -1. */

static int opt_memory(struct options *o, const char *arg)
{
    struct kv kv[MAX_KV];
    int n;
    const char *size = NULL;

    if (split_kv("-m", arg, "size", kv, &n) < 0)
        return -1;
    for (int i = 0; i < n; i++) {
        if (!strcmp(kv[i].key, "size")) {
            size = kv[i].value;
        } else {
            say("-m: '%s' is not supported (only size)", kv[i].key);
            return -1;
        }
    }
    uint64_t bytes;
    if (!size || parse_size_mib(size, &bytes) < 0 || bytes == 0) {
        say("-m: invalid size '%s'", size ? size : arg);
        return -1;
    }
    /* QEMU rounds the RAM size up to 8 KiB (hw/core/machine.c). */
    bytes = (bytes + 8191) & ~8191ull;
    if (bytes < OPTIONS_MIN_RAM) {
        say("-m: size '%s' is below the minimum of %llu MiB", size,
            (unsigned long long)(OPTIONS_MIN_RAM >> 20));
        return -1;
    }
    if (bytes > OPTIONS_MAX_RAM) {
        say("-m: size '%s' is above the maximum of %llu MiB (all RAM is below 4 GiB for now)",
            size, (unsigned long long)(OPTIONS_MAX_RAM >> 20));
        return -1;
    }
    o->ram_size = bytes;
    return 0;
}

static int opt_smp(struct options *o, const char *arg)
{
    struct kv kv[MAX_KV];
    int n;
    const char *cpus = NULL;

    if (split_kv("-smp", arg, "cpus", kv, &n) < 0)
        return -1;
    for (int i = 0; i < n; i++) {
        if (!strcmp(kv[i].key, "cpus")) {
            cpus = kv[i].value;
        } else {
            say("-smp: '%s' is not supported yet (only cpus)", kv[i].key);
            return -1;
        }
    }
    uint64_t v;
    if (!cpus || parse_uint(cpus, &v) < 0 || v < 1 || v > OPTIONS_MAX_SMP) {
        say("-smp: invalid CPU count '%s' (1 to %d)", cpus ? cpus : arg, OPTIONS_MAX_SMP);
        return -1;
    }
    o->smp = (int)v;
    return 0;
}

static int opt_kernel(struct options *o, const char *arg)
{
    o->kernel = arg;
    return 0;
}

static int opt_append(struct options *o, const char *arg)
{
    o->append = arg;
    return 0;
}

/* -initrd "a args,b": QEMU's multiboot loader takes each comma-separated
 * entry as one module; text after the first space is the module's
 * arguments and the whole entry is its string (hw/i386/multiboot.c). */
static int opt_initrd(struct options *o, const char *arg)
{
    const char *p = arg;
    o->ninitrd = 0;
    for (;;) {
        char *item;
        p = next_list_item(p, &item);
        if (!item) {
            say("-initrd: out of memory");
            return -1;
        }
        if (item[0] == '\0' || item[0] == ' ') {
            say("-initrd: empty module file name in '%s'", arg);
            return -1;
        }
        if (o->ninitrd == MAX_INITRDS) {
            say("-initrd: more than %d modules", MAX_INITRDS);
            return -1;
        }
        o->initrd[o->ninitrd++] = item;
        if (*p == '\0')
            break;
        p++;
    }
    return 0;
}

static int set_drive(struct options *o, const char *optname, int index,
                     const char *file, bool readonly)
{
    if (index < 0) {
        for (index = 0; index < MAX_DRIVES && o->drive[index].file; index++)
            ;
        if (index == MAX_DRIVES) {
            say("%s: all %d drive slots are in use", optname, MAX_DRIVES);
            return -1;
        }
    }
    if (o->drive[index].file) {
        say("%s: drive index %d is already in use by '%s'", optname, index,
            o->drive[index].file);
        return -1;
    }
    if (!file || !file[0]) {
        say("%s: empty file name", optname);
        return -1;
    }
    o->drive[index].file = file;
    o->drive[index].readonly = readonly;
    return 0;
}

static int opt_drive(struct options *o, const char *arg)
{
    struct kv kv[MAX_KV];
    int n;
    const char *file = NULL;
    int index = -1;
    bool readonly = false;

    if (split_kv("-drive", arg, NULL, kv, &n) < 0)
        return -1;
    for (int i = 0; i < n; i++) {
        const char *k = kv[i].key, *v = kv[i].value;
        if (!strcmp(k, "readonly")) {
            if (parse_onoff(v, &readonly) < 0) {
                say("-drive: invalid readonly value '%s' (on or off)", v);
                return -1;
            }
            continue;
        }
        if (!v) {
            say("-drive: parameter '%s' needs a value", k);
            return -1;
        }
        if (!strcmp(k, "file")) {
            file = v;
        } else if (!strcmp(k, "format")) {
            if (strcmp(v, "raw")) {
                say("-drive: format '%s' is not supported (only raw)", v);
                return -1;
            }
        } else if (!strcmp(k, "index")) {
            uint64_t idx;
            if (parse_uint(v, &idx) < 0 || idx >= MAX_DRIVES) {
                say("-drive: invalid index '%s' (0 to %d)", v, MAX_DRIVES - 1);
                return -1;
            }
            index = (int)idx;
        } else if (!strcmp(k, "media")) {
            if (strcmp(v, "disk")) {
                say("-drive: media '%s' is not supported (only disk)", v);
                return -1;
            }
        } else if (!strcmp(k, "if")) {
            if (strcmp(v, "ide")) {
                say("-drive: interface if=%s is not supported (only ide)", v);
                return -1;
            }
        } else {
            say("-drive: unknown parameter '%s'", k);
            return -1;
        }
    }
    if (!file) {
        say("-drive: no file= given in '%s'", arg);
        return -1;
    }
    return set_drive(o, "-drive", index, file, readonly);
}

static int opt_hda(struct options *o, const char *arg) { return set_drive(o, "-hda", 0, arg, false); }
static int opt_hdb(struct options *o, const char *arg) { return set_drive(o, "-hdb", 1, arg, false); }
static int opt_hdc(struct options *o, const char *arg) { return set_drive(o, "-hdc", 2, arg, false); }
static int opt_hdd(struct options *o, const char *arg) { return set_drive(o, "-hdd", 3, arg, false); }

static int opt_serial(struct options *o, const char *arg)
{
    if (o->serial_given) {
        say("-serial: only one serial port (COM1) is supported yet");
        return -1;
    }
    if (!strcmp(arg, "stdio")) {
        o->serial = SERIAL_STDIO;
    } else if (!strcmp(arg, "mon:stdio")) {
        o->serial = SERIAL_MON_STDIO;
    } else if (!strcmp(arg, "null")) {
        o->serial = SERIAL_NULL;
    } else if (!strcmp(arg, "none")) {
        o->serial = SERIAL_NONE;
    } else if (!strncmp(arg, "file:", 5)) {
        if (arg[5] == '\0') {
            say("-serial: file: needs a path ('file:PATH')");
            return -1;
        }
        o->serial = SERIAL_FILE;
        o->serial_path = arg + 5;
    } else {
        say("-serial: '%s' is not supported (stdio, mon:stdio, file:PATH, null, none)", arg);
        return -1;
    }
    o->serial_given = true;
    return 0;
}

static int opt_nographic(struct options *o, const char *arg)
{
    (void)arg;
    o->nographic = true;
    return 0;
}

static int opt_display(struct options *o, const char *arg)
{
    size_t len = strcspn(arg, ",");
    if (len == 4 && !strncmp(arg, "none", 4)) {
        o->display_none = true;
        return 0;
    }
    say("-display: '%.*s' is not supported yet (only none: glass has no display)",
        (int)len, arg);
    return -1;
}

static int opt_no_reboot(struct options *o, const char *arg)
{
    (void)arg;
    o->no_reboot = true;
    return 0;
}

static int opt_device(struct options *o, const char *arg)
{
    struct kv kv[MAX_KV];
    int n;

    if (split_kv("-device", arg, "driver", kv, &n) < 0)
        return -1;
    if (strcmp(kv[0].key, "driver")) {
        say("-device: no device name in '%s'", arg);
        return -1;
    }
    const char *driver = kv[0].value;
    if (!strcmp(driver, "help")) {
        printf("Devices glass can add with -device:\n"
               "  isa-debug-exit  iobase=PORT (default 0x501), iosize=N (default 2)\n");
        return 1;
    }
    if (strcmp(driver, "isa-debug-exit")) {
        say("-device: unknown device '%s' (glass has isa-debug-exit)", driver);
        return -1;
    }
    if (o->debug_exit) {
        say("-device: isa-debug-exit given twice");
        return -1;
    }
    uint64_t iobase = 0x501, iosize = 2;  /* QEMU's defaults */
    for (int i = 1; i < n; i++) {
        const char *k = kv[i].key, *v = kv[i].value;
        uint64_t *dst;
        if (!strcmp(k, "iobase")) {
            dst = &iobase;
        } else if (!strcmp(k, "iosize")) {
            dst = &iosize;
        } else {
            say("-device isa-debug-exit: unknown parameter '%s' (iobase, iosize)", k);
            return -1;
        }
        if (parse_uint(v, dst) < 0) {
            say("-device isa-debug-exit: invalid %s '%s'", k, v ? v : "");
            return -1;
        }
    }
    if (iobase > 0xffff) {
        say("-device isa-debug-exit: iobase 0x%llx is beyond the 64 KiB I/O space",
            (unsigned long long)iobase);
        return -1;
    }
    if (iosize < 1 || iosize > 0xff || iobase + iosize > 0x10000) {
        say("-device isa-debug-exit: invalid iosize %llu", (unsigned long long)iosize);
        return -1;
    }
    o->debug_exit = true;
    o->debug_exit_port = (uint16_t)iobase;
    o->debug_exit_size = (uint8_t)iosize;
    return 0;
}

/* The accelerator by name.  QEMU's "tcg" is its software emulator; glass's
 * software paths are "bt" and "interp", and a QEMU command line with
 * "-accel tcg" should just run, so tcg means auto (docs/usage.md). */
static int set_accel(struct options *o, const char *optname, const char *name, size_t len)
{
    static const char *const known[] = { "interp", "bt", "kvm", "auto" };
    if (len == 3 && !strncmp(name, "tcg", 3)) {
        o->accel = "auto";
        return 0;
    }
    for (size_t i = 0; i < sizeof(known) / sizeof(known[0]); i++) {
        if (strlen(known[i]) == len && !strncmp(name, known[i], len)) {
            o->accel = known[i];
            return 0;
        }
    }
    say("%s: unknown accelerator '%.*s' (interp, bt, kvm, auto, tcg)", optname, (int)len, name);
    return -1;
}

static int opt_accel(struct options *o, const char *arg)
{
    size_t len = strcspn(arg, ",");
    if (arg[len] == ',') {
        say("-accel: accelerator options ('%s') are not supported", arg + len + 1);
        return -1;
    }
    return set_accel(o, "-accel", arg, len);
}

static int opt_enable_kvm(struct options *o, const char *arg)
{
    (void)arg;
    o->accel = "kvm";
    return 0;
}

static bool is_pc_machine(const char *type)
{
    return !strcmp(type, "pc") || !strncmp(type, "pc-i440fx-", 10);
}

static int opt_machine(struct options *o, const char *arg)
{
    struct kv kv[MAX_KV];
    int n;

    if (split_kv("-machine", arg, "type", kv, &n) < 0)
        return -1;
    for (int i = 0; i < n; i++) {
        const char *k = kv[i].key, *v = kv[i].value;
        if (!strcmp(k, "type") && v) {
            if (!strcmp(v, "help")) {
                printf("Machines glass emulates:\n"
                       "  pc  the i440fx PC (pc-i440fx-* are taken as pc)\n");
                return 1;
            }
            if (!is_pc_machine(v))
                say("-machine: '%s' is not emulated; glass models only the 'pc' board, continuing with it", v);
            o->machine = v;
        } else if (!strcmp(k, "accel") && v) {
            /* QEMU's fallback list "kvm:tcg": glass's auto does that. */
            if (strchr(v, ':')) {
                o->accel = "auto";
            } else if (set_accel(o, "-machine accel", v, strlen(v)) < 0) {
                return -1;
            }
        } else {
            say("-machine: parameter '%s' is not supported (type, accel)", k);
            return -1;
        }
    }
    return 0;
}

static int opt_monitor(struct options *o, const char *arg)
{
    (void)o;
    if (!strcmp(arg, "none"))
        return 0;
    say("-monitor: '%s' is not supported (only none; the glass debugger comes later)", arg);
    return -1;
}

/* -S: do not start the guest; wait for the debugger (gdb with -s/-gdb,
 * else the REPL). */
static int opt_S(struct options *o, const char *arg)
{
    (void)arg;
    o->start_stopped = true;
    return 0;
}

/* -gdb DEV: QEMU's character-device spelling, of which glass takes
 * tcp::PORT (listen on 127.0.0.1), tcp:HOST:PORT and none. */
static int opt_gdb(struct options *o, const char *arg)
{
    if (!strcmp(arg, "none")) {
        o->gdb_port = 0;
        return 0;
    }
    if (strncmp(arg, "tcp:", 4)) {
        say("-gdb: '%s' is not supported (tcp::PORT, tcp:HOST:PORT or none)", arg);
        return -1;
    }
    const char *host = arg + 4, *colon = strrchr(host, ':');
    uint64_t port;
    if (!colon || parse_uint(colon + 1, &port) < 0 || port == 0 || port > 65535) {
        say("-gdb: invalid port in '%s' (tcp:[HOST]:PORT, PORT 1 to 65535)", arg);
        return -1;
    }
    if (colon == host) {
        o->gdb_host = "127.0.0.1";
    } else {
        o->gdb_host = keep_string(host, (size_t)(colon - host));
        if (!o->gdb_host) {
            say("-gdb: out of memory");
            return -1;
        }
    }
    o->gdb_port = (uint16_t)port;
    return 0;
}

/* --debug: the debugger REPL, the guest stopped at its first instruction;
 * --debug-script FILE: debugger commands from FILE (debugger/repl.h). */
static int opt_debug(struct options *o, const char *arg)
{
    (void)arg;
    o->debug = true;
    o->start_stopped = true;
    return 0;
}

static int opt_debug_script(struct options *o, const char *arg)
{
    o->debug_script = arg;
    return 0;
}

static int opt_s(struct options *o, const char *arg)
{
    (void)arg;
    return opt_gdb(o, "tcp::1234");
}

void options_print_usage(void)
{
    printf("usage: glass [options] [disk-image]\n"
           "A see-through x86 PC emulator; options follow qemu-system-x86_64.\n"
           "\n"
           "  -m [size=]N[M|G]   guest RAM (bare number = MiB; 2M to 3G; default 128M)\n"
           "  -smp [cpus=]N      vCPUs, 1 to 8\n"
           "  -kernel FILE       boot a multiboot v1 kernel\n"
           "  -append STRING     the kernel's command line\n"
           "  -initrd 'F1 ARGS,F2'  multiboot modules, comma-separated (',,' = a comma)\n"
           "  -drive file=F[,format=raw][,index=N][,media=disk][,if=ide][,readonly=on]\n"
           "  -hda F, -hdb F, -hdc F, -hdd F   disk image at index 0..3\n"
           "  -serial stdio|mon:stdio|file:PATH|null|none\n"
           "  -nographic         no display; serial on stdio\n"
           "  -display none      no display\n"
           "  -no-reboot         exit instead of rebooting\n"
           "  -device isa-debug-exit[,iobase=0xf4][,iosize=0x04]\n"
           "  -accel interp|bt|kvm|auto|tcg   (tcg means auto)\n"
           "  -enable-kvm        = -accel kvm\n"
           "  -machine pc[,accel=A], -M pc\n"
           "  -monitor none\n"
           "  -S                 start stopped, waiting for the debugger\n"
           "  --debug            start stopped at the debugger prompt (docs/debugger.md)\n"
           "  --debug-script F   run the debugger commands of file F, output on stdout\n"
           "  -s                 = -gdb tcp::1234\n"
           "  -gdb tcp:[HOST]:PORT  wait for gdb there (HOST default 127.0.0.1; docs/gdb.md)\n"
           "  -h, --help         this text\n"
           "  -version           the version\n"
           "See docs/usage.md for the details and the QEMU differences.\n");
}

static int opt_help(struct options *o, const char *arg)
{
    (void)o;
    (void)arg;
    options_print_usage();
    return 1;
}

static int opt_version(struct options *o, const char *arg)
{
    (void)o;
    (void)arg;
    printf("glass " GLASS_VERSION "\n");
    return 1;
}

struct option_def {
    const char *name;         /* without the leading dash */
    bool has_arg;
    int (*handle)(struct options *o, const char *arg);
};

static const struct option_def option_table[] = {
    { "m", true, opt_memory },
    { "smp", true, opt_smp },
    { "kernel", true, opt_kernel },
    { "append", true, opt_append },
    { "initrd", true, opt_initrd },
    { "drive", true, opt_drive },
    { "hda", true, opt_hda },
    { "hdb", true, opt_hdb },
    { "hdc", true, opt_hdc },
    { "hdd", true, opt_hdd },
    { "serial", true, opt_serial },
    { "nographic", false, opt_nographic },
    { "display", true, opt_display },
    { "no-reboot", false, opt_no_reboot },
    { "device", true, opt_device },
    { "accel", true, opt_accel },
    { "enable-kvm", false, opt_enable_kvm },
    { "machine", true, opt_machine },
    { "M", true, opt_machine },
    { "monitor", true, opt_monitor },
    { "S", false, opt_S },
    { "debug", false, opt_debug },
    { "debug-script", true, opt_debug_script },
    { "s", false, opt_s },
    { "gdb", true, opt_gdb },
    { "h", false, opt_help },
    { "help", false, opt_help },
    { "version", false, opt_version },
};

static const struct option_def *find_option(const char *name)
{
    for (size_t i = 0; i < sizeof(option_table) / sizeof(option_table[0]); i++)
        if (!strcmp(option_table[i].name, name))
            return &option_table[i];
    return NULL;
}

static void set_defaults(struct options *o)
{
    memset(o, 0, sizeof(*o));
    o->ram_size = OPTIONS_DEFAULT_RAM;
    o->smp = 1;
    o->append = "";
    o->serial = SERIAL_STDIO;
    o->debug_exit_port = 0x501;
    o->debug_exit_size = 2;
    o->accel = "auto";
    o->machine = "pc";
}

int options_parse(struct options *o, int argc, char **argv)
{
    set_defaults(o);
    for (int i = 1; i < argc; i++) {
        const char *arg = argv[i];
        if (arg[0] != '-') {
            /* QEMU: a bare argument is the first hard disk image. */
            if (set_drive(o, "disk image", 0, arg, false) < 0)
                return -1;
            continue;
        }
        /* QEMU accepts --opt for -opt. */
        const char *name = arg + 1;
        if (name[0] == '-')
            name++;
        const struct option_def *def = find_option(name);
        if (!def) {
            say("unknown option '%s'", arg);
            return -1;
        }
        const char *value = NULL;
        if (def->has_arg) {
            if (i + 1 >= argc) {
                say("-%s: missing argument", def->name);
                return -1;
            }
            value = argv[++i];
        }
        int r = def->handle(o, value);
        if (r != 0)
            return r;
    }
    /* QEMU's checks (vl.c), in its words. */
    if (!o->kernel && o->append[0]) {
        say("-append only allowed with -kernel option");
        return -1;
    }
    if (!o->kernel && o->ninitrd) {
        say("-initrd only allowed with -kernel option");
        return -1;
    }
    /* QEMU: with -nographic and no -serial, the serial port shares stdio
     * with the monitor (mon:stdio). */
    if (!o->serial_given && o->nographic)
        o->serial = SERIAL_MON_STDIO;
    return 0;
}
