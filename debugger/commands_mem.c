/* Memory commands: x/FMT (linear, SEG:OFF), xp/FMT (physical), disas. */
#include <ctype.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "debugger/session.h"
#include "machine/board.h"

/* FMT = [COUNT][FORMAT][SIZE] in any order after the count, as in gdb. */
static int parse_fmt(struct dbg_session *s, const char *f)
{
    char *end;
    if (isdigit((unsigned char)*f)) {
        s->last_x_count = (int)strtol(f, &end, 10);
        f = end;
    } else {
        s->last_x_count = 1;
    }
    for (; *f; f++) {
        switch (*f) {
        case 'x': case 'd': case 'u': case 'c': case 's': case 'i': case 'o': case 't':
            s->last_x_fmt = *f;
            if (*f == 'c')
                s->last_x_size = 1;
            break;
        case 'b': s->last_x_size = 1; break;
        case 'h': s->last_x_size = 2; break;
        case 'w': s->last_x_size = 4; break;
        case 'g': s->last_x_size = 8; break;
        default:
            fprintf(s->out, "bad format letter '%c' (use x d u c s i and b h w g)\n", *f);
            return -1;
        }
    }
    if (s->last_x_count <= 0 || s->last_x_count > 4096) {
        fprintf(s->out, "count must be 1..4096\n");
        return -1;
    }
    return 0;
}

static long rd(struct dbg_session *s, uint64_t a, void *buf, size_t n)
{
    return s->last_x_phys ? dbg_read_phys(&s->d, a, buf, n) : dbg_read_linear(&s->d, a, buf, n);
}

static void examine(struct dbg_session *s)
{
    uint64_t a = s->last_x_addr;
    int n = s->last_x_count, size = s->last_x_size;
    char fmt = s->last_x_fmt;
    if (fmt == 'i') {
        if (s->last_x_phys) {
            fprintf(s->out, "xp/i is not supported: disassemble linear addresses (x/i, disas)\n");
            return;
        }
        s->last_x_addr = dbg_disas(s, a, n, x86_code_bits(dbg_cpu(&s->d)));
        return;
    }
    if (fmt == 's') {
        for (int k = 0; k < n; k++) {
            char str[256];
            size_t len = 0;
            uint8_t c;
            fprintf(s->out, "0x%08" PRIx64 ": \"", a);
            while (len < sizeof(str) && rd(s, a + len, &c, 1) == 1 && c) {
                fprintf(s->out, isprint(c) ? "%c" : "\\x%02x", c);
                len++;
            }
            fprintf(s->out, "\"\n");
            a += len + 1;
        }
        s->last_x_addr = a;
        return;
    }
    int per_line = size == 8 ? 2 : size == 4 ? 4 : size == 2 ? 8 : 8;
    for (int k = 0; k < n; k++) {
        if (k % per_line == 0) {
            char sym[128];
            symtab_describe(&s->syms, a, sym, sizeof(sym));
            fprintf(s->out, "%s0x%08" PRIx64 "%s%s%s:", k ? "\n" : "", a, *sym ? " <" : "", sym,
                    *sym ? ">" : "");
        }
        uint64_t v = 0;
        if (rd(s, a, &v, (size_t)size) != size) {
            fprintf(s->out, "\ncannot read memory at 0x%" PRIx64 " (%s)", a,
                    s->last_x_phys ? "not RAM, ROM or MMIO" : "not mapped");
            break;
        }
        switch (fmt) {
        case 'd': {
            int64_t sv = size == 1 ? (int8_t)v : size == 2 ? (int16_t)v : size == 4 ? (int32_t)v : (int64_t)v;
            fprintf(s->out, "\t%" PRId64, sv);
            break;
        }
        case 'u': fprintf(s->out, "\t%" PRIu64, v); break;
        case 'o': fprintf(s->out, "\t0%" PRIo64, v); break;
        case 'c': fprintf(s->out, isprint((int)v) ? "\t'%c'" : "\t'\\x%02x'", (int)v); break;
        case 't': {
            fprintf(s->out, "\t");
            for (int b = size * 8 - 1; b >= 0; b--)
                fputc((v >> b) & 1 ? '1' : '0', s->out);
            break;
        }
        default: fprintf(s->out, "\t0x%0*" PRIx64, size * 2, v); break;
        }
        a += (uint64_t)size;
    }
    fprintf(s->out, "\n");
    s->last_x_addr = a;
}

static int x_common(struct dbg_session *s, int argc, char **argv, const char *suffix, bool phys)
{
    char buf[256];
    if (*suffix && parse_fmt(s, suffix) < 0)
        return -1;
    if (argc > 1) {
        uint64_t a;
        if ((phys ? dbg_eval(s, dbg_join(argc, argv, 1, buf, sizeof(buf)), &a)
                  : dbg_eval_address(s, dbg_join(argc, argv, 1, buf, sizeof(buf)), &a)) < 0)
            return -1;
        s->last_x_addr = a;
    }
    s->last_x_phys = phys;
    examine(s);
    return 0;
}

DBG_CMD(cmd_x)
{
    return x_common(s, argc, argv, suffix, false);
}

DBG_CMD(cmd_xp)
{
    return x_common(s, argc, argv, suffix, true);
}

DBG_CMD(cmd_disas)
{
    (void)suffix;
    struct x86_cpu *cpu = dbg_cpu(&s->d);
    uint64_t a = dbg_pc_linear(cpu), n = 10;
    int bits = x86_code_bits(cpu);
    int i = 1;
    if (argc > i && (!strcmp(argv[i], "/16") || !strcmp(argv[i], "/32") || !strcmp(argv[i], "/64")))
        bits = atoi(argv[i++] + 1);
    if (argc > i && dbg_eval_address(s, argv[i++], &a) < 0)
        return -1;
    if (argc > i && dbg_eval(s, argv[i++], &n) < 0)
        return -1;
    if (n == 0 || n > 1000) {
        fprintf(s->out, "N must be 1..1000\n");
        return -1;
    }
    dbg_disas(s, a, (int)n, bits);
    return 0;
}
