/* Breakpoint and watchpoint commands. */
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "debugger/session.h"
#include "machine/board.h"

static const char *kind_name(enum dbg_break_kind k)
{
    static const char *const n[] = { "linear", "physical", "mode", "exit", "vector", "port" };
    return k <= BK_PORT ? n[k] : "?";
}

static const char *mode_name(uint64_t v)
{
    return v == 16 ? "real" : v == 32 ? "protected" : v == 64 ? "long" : "?";
}

/* A VM exit reason by name (any case, with or without EXIT_) or number. */
static int parse_reason(const char *t, uint64_t *r)
{
    char *end;
    unsigned long v = strtoul(t, &end, 0);
    if (end != t && !*end) {
        *r = v;
        return 0;
    }
    if (!strncasecmp(t, "EXIT_", 5))
        t += 5;
    for (uint32_t i = 0; i < EXIT_REASON_MAX + 3 + 1000; i++) {
        uint32_t reason = i < EXIT_REASON_MAX ? i : 1000 + (i - EXIT_REASON_MAX);
        if (reason > EXIT_GLASS_INTERNAL_ERROR)
            break;
        const char *n = vm_exit_reason_name(reason);
        if (strcmp(n, "UNKNOWN") && !strcasecmp(n, t)) {
            *r = reason;
            return 0;
        }
    }
    return -1;
}

static int break_common(struct dbg_session *s, int argc, char **argv, bool temporary)
{
    struct dbg_breakpoint bp;
    char buf[256];
    memset(&bp, 0, sizeof(bp));
    bp.enabled = true;
    bp.temporary = temporary;
    int end = argc;
    for (int i = 1; i < argc; i++)
        if (!strcmp(argv[i], "if")) {
            end = i;
            if (dbg_cond_parse(dbg_join(argc, argv, i + 1, buf, sizeof(buf)), &bp.cond) < 0) {
                fprintf(s->out, "bad condition '%s': use REG OP VALUE, OP one of == != < > <= >=\n", buf);
                return -1;
            }
            break;
        }
    if (end < 2) {
        struct x86_cpu *cpu = dbg_cpu(&s->d);
        bp.kind = BK_LINEAR;
        bp.value = dbg_pc_linear(cpu);
    } else if (!strcmp(argv[1], "mode") || !strcmp(argv[1], "exit") || !strcmp(argv[1], "vector") ||
               !strcmp(argv[1], "port") || !strcmp(argv[1], "*phys") ||
               (!strcmp(argv[1], "*") && end > 2 && !strcmp(argv[2], "phys"))) {
        int a = !strcmp(argv[1], "*") ? 3 : 2;
        if (end <= a) {
            fprintf(s->out, "missing argument after '%s'\n", argv[a - 1]);
            return -1;
        }
        const char *what = argv[a - 1];
        dbg_join(end, argv, a, buf, sizeof(buf));
        if (!strcmp(argv[1], "mode")) {
            bp.kind = BK_MODE;
            if (!strcmp(buf, "real") || !strcmp(buf, "16"))
                bp.value = 16;
            else if (!strcmp(buf, "protected") || !strcmp(buf, "32"))
                bp.value = 32;
            else if (!strcmp(buf, "long") || !strcmp(buf, "64"))
                bp.value = 64;
            else {
                fprintf(s->out, "mode must be real, protected or long\n");
                return -1;
            }
        } else if (!strcmp(argv[1], "exit")) {
            bp.kind = BK_EXIT;
            if (parse_reason(buf, &bp.value) < 0) {
                fprintf(s->out, "unknown exit reason '%s' (names as in `info exits`, or a number)\n", buf);
                return -1;
            }
        } else {
            bp.kind = !strcmp(argv[1], "vector") ? BK_VECTOR : !strcmp(argv[1], "port") ? BK_PORT
                                                                                      : BK_PHYSICAL;
            if (dbg_eval(s, buf, &bp.value) < 0)
                return -1;
            if ((bp.kind == BK_VECTOR && bp.value > 255) || (bp.kind == BK_PORT && bp.value > 0xffff)) {
                fprintf(s->out, "%s %" PRIu64 " is out of range\n", what, bp.value);
                return -1;
            }
        }
    } else {
        bp.kind = BK_LINEAR;
        const char *t = dbg_join(end, argv, 1, buf, sizeof(buf));
        if (*t == '*')
            t++;
        if (dbg_eval_address(s, t, &bp.value) < 0)
            return -1;
    }
    int id = dbg_break_add(&s->d, &bp);
    if (id < 0) {
        fprintf(s->out, "breakpoint table full (%d)\n", DBG_MAX_BREAKPOINTS);
        return -1;
    }
    fprintf(s->out, "%s %d: ", temporary ? "Temporary breakpoint" : "Breakpoint", id);
    char sym[128];
    switch (bp.kind) {
    case BK_LINEAR:
        symtab_describe(&s->syms, bp.value, sym, sizeof(sym));
        fprintf(s->out, "linear 0x%" PRIx64 "%s%s%s", bp.value, *sym ? " <" : "", sym, *sym ? ">" : "");
        break;
    case BK_PHYSICAL: fprintf(s->out, "physical 0x%" PRIx64, bp.value); break;
    case BK_MODE: fprintf(s->out, "entering %s mode", mode_name(bp.value)); break;
    case BK_EXIT: fprintf(s->out, "exit %s (%" PRIu64 ")", vm_exit_reason_name((uint32_t)bp.value), bp.value); break;
    case BK_VECTOR: fprintf(s->out, "vector %" PRIu64, bp.value); break;
    case BK_PORT: fprintf(s->out, "port 0x%" PRIx64, bp.value); break;
    }
    if (bp.cond.active)
        fprintf(s->out, " if %s %s 0x%" PRIx64, bp.cond.reg, bp.cond.op, bp.cond.value);
    fprintf(s->out, "\n");
    return 0;
}

DBG_CMD(cmd_break)
{
    (void)suffix;
    return break_common(s, argc, argv, false);
}

DBG_CMD(cmd_tbreak)
{
    (void)suffix;
    return break_common(s, argc, argv, true);
}

static int id_arg(struct dbg_session *s, int argc, char **argv, int *id)
{
    if (argc < 2) {
        fprintf(s->out, "usage: %s N\n", argv[0]);
        return -1;
    }
    char *end;
    *id = (int)strtol(argv[1], &end, 10);
    if (*end || *id <= 0) {
        fprintf(s->out, "bad breakpoint number '%s'\n", argv[1]);
        return -1;
    }
    return 0;
}

DBG_CMD(cmd_delete)
{
    (void)suffix;
    int id;
    if (argc < 2) {
        for (int i = 0; i < DBG_MAX_BREAKPOINTS; i++)
            if (s->d.bp[i].id && !s->d.bp[i].from_gdb)
                dbg_delete(&s->d, s->d.bp[i].id);
        for (int i = 0; i < DBG_MAX_WATCHPOINTS; i++)
            if (s->d.wp[i].id && !s->d.wp[i].from_gdb)
                dbg_delete(&s->d, s->d.wp[i].id);
        fprintf(s->out, "Deleted all breakpoints and watchpoints\n");
        return 0;
    }
    for (int i = 1; i < argc; i++) {
        char *one[2] = { argv[0], argv[i] };
        if (id_arg(s, 2, one, &id) < 0)
            return -1;
        const struct dbg_breakpoint *b = dbg_break_find(&s->d, id);
        const struct dbg_watchpoint *w = dbg_watch_find(&s->d, id);
        if ((b && b->from_gdb) || (w && w->from_gdb)) {
            fprintf(s->out, "Breakpoint %d is gdb's: delete it in gdb\n", id);
            return -1;
        }
        if (dbg_delete(&s->d, id) < 0) {
            fprintf(s->out, "No breakpoint number %d\n", id);
            return -1;
        }
    }
    return 0;
}

static int enable_common(struct dbg_session *s, int argc, char **argv, bool on)
{
    int id;
    if (id_arg(s, argc, argv, &id) < 0)
        return -1;
    if (dbg_enable(&s->d, id, on) < 0) {
        fprintf(s->out, "No breakpoint number %d\n", id);
        return -1;
    }
    return 0;
}

DBG_CMD(cmd_disable)
{
    (void)suffix;
    return enable_common(s, argc, argv, false);
}

DBG_CMD(cmd_enable)
{
    (void)suffix;
    return enable_common(s, argc, argv, true);
}

static int watch_common(struct dbg_session *s, int argc, char **argv, enum dbg_watch_access acc)
{
    struct dbg_watchpoint w;
    memset(&w, 0, sizeof(w));
    w.enabled = true;
    w.access = acc;
    w.len = 4;
    int i = 1;
    if (argc > i && !strcmp(argv[i], "phys")) {
        w.physical = true;
        i++;
    }
    if (argc <= i) {
        fprintf(s->out, "usage: %s [phys] ADDR [LEN]\n", argv[0]);
        return -1;
    }
    if ((w.physical ? dbg_eval(s, argv[i], &w.start) : dbg_eval_address(s, argv[i], &w.start)) < 0)
        return -1;
    if (argc > i + 1 && dbg_eval(s, argv[i + 1], &w.len) < 0)
        return -1;
    if (!w.len || w.len > DBG_WATCH_MAX_LEN) {
        fprintf(s->out, "LEN must be 1..%d\n", DBG_WATCH_MAX_LEN);
        return -1;
    }
    int id = dbg_watch_add(&s->d, &w);
    if (id < 0) {
        fprintf(s->out, "watchpoint table full (%d)\n", DBG_MAX_WATCHPOINTS);
        return -1;
    }
    fprintf(s->out, "%s %d: %s 0x%" PRIx64 " len %" PRIu64 "\n",
            acc == WATCH_WRITE ? "Watchpoint" : acc == WATCH_READ ? "Read watchpoint" : "Access watchpoint",
            id, w.physical ? "physical" : "linear", w.start, w.len);
    return 0;
}

DBG_CMD(cmd_watch)
{
    (void)suffix;
    return watch_common(s, argc, argv, WATCH_WRITE);
}

DBG_CMD(cmd_rwatch)
{
    (void)suffix;
    return watch_common(s, argc, argv, WATCH_READ);
}

DBG_CMD(cmd_awatch)
{
    (void)suffix;
    return watch_common(s, argc, argv, WATCH_ACCESS);
}

DBG_CMD(cmd_info_breakpoints)
{
    (void)argc; (void)argv; (void)suffix;
    int n = 0;
    fprintf(s->out, "Num  Type        Disp Enb What\n");
    for (int i = 0; i < DBG_MAX_BREAKPOINTS; i++) {
        const struct dbg_breakpoint *b = &s->d.bp[i];
        if (!b->id)
            continue;
        char what[160], sym[128];
        switch (b->kind) {
        case BK_LINEAR:
            symtab_describe(&s->syms, b->value, sym, sizeof(sym));
            snprintf(what, sizeof(what), "0x%" PRIx64 "%s%s%s", b->value, *sym ? " <" : "", sym, *sym ? ">" : "");
            break;
        case BK_PHYSICAL: snprintf(what, sizeof(what), "phys 0x%" PRIx64, b->value); break;
        case BK_MODE: snprintf(what, sizeof(what), "mode %s", mode_name(b->value)); break;
        case BK_EXIT: snprintf(what, sizeof(what), "exit %s", vm_exit_reason_name((uint32_t)b->value)); break;
        case BK_VECTOR: snprintf(what, sizeof(what), "vector %" PRIu64, b->value); break;
        case BK_PORT: snprintf(what, sizeof(what), "port 0x%" PRIx64, b->value); break;
        }
        fprintf(s->out, "%-4d break/%-8s %-4s %-3s %s%s", b->id, kind_name(b->kind), b->temporary ? "del" : "keep",
                b->enabled ? "y" : "n", what, b->from_gdb ? " (gdb)" : "");
        if (b->cond.active)
            fprintf(s->out, " if %s %s 0x%" PRIx64, b->cond.reg, b->cond.op, b->cond.value);
        fprintf(s->out, "  hits %" PRIu64 "\n", b->hits);
        n++;
    }
    for (int i = 0; i < DBG_MAX_WATCHPOINTS; i++) {
        const struct dbg_watchpoint *w = &s->d.wp[i];
        if (!w->id)
            continue;
        fprintf(s->out, "%-4d %-11s keep %-3s %s 0x%" PRIx64 " len %" PRIu64 "%s  hits %" PRIu64 "\n", w->id,
                w->access == WATCH_WRITE ? "watch" : w->access == WATCH_READ ? "rwatch" : "awatch",
                w->enabled ? "y" : "n", w->physical ? "phys" : "linear", w->start, w->len,
                w->from_gdb ? " (gdb)" : "", w->hits);
        n++;
    }
    if (!n)
        fprintf(s->out, "No breakpoints or watchpoints.\n");
    return 0;
}
