/* Symbols, accelerator, quit. */
#include <inttypes.h>
#include <string.h>

#include "debugger/session.h"
#include "machine/board.h"

DBG_CMD(cmd_symbol_file)
{
    (void)suffix;
    uint64_t off = 0;
    char err[300];
    if (argc < 2) {
        fprintf(s->out, "usage: symbol-file FILE [OFFSET]\n");
        return -1;
    }
    if (argc > 2 && dbg_eval(s, argv[2], &off) < 0)
        return -1;
    long n = symtab_load_elf(&s->syms, argv[1], off, err, sizeof(err));
    if (n < 0) {
        fprintf(s->out, "symbol-file: %s\n", err);
        return -1;
    }
    fprintf(s->out, "Reading symbols from %s: %ld symbols", argv[1], n);
    if (off)
        fprintf(s->out, " (moved by 0x%" PRIx64 ")", off);
    fprintf(s->out, "\n");
    return 0;
}

DBG_CMD(cmd_info_symbol)
{
    (void)suffix;
    char buf[256], sym[128];
    uint64_t a;
    if (argc < 2) {
        fprintf(s->out, "usage: info symbol ADDR\n");
        return -1;
    }
    if (dbg_eval_address(s, dbg_join(argc, argv, 1, buf, sizeof(buf)), &a) < 0)
        return -1;
    symtab_describe(&s->syms, a, sym, sizeof(sym));
    if (*sym)
        fprintf(s->out, "0x%" PRIx64 " is %s\n", a, sym);
    else
        fprintf(s->out, "No symbol matches 0x%" PRIx64 " (%zu symbols loaded)\n", a, s->syms.n);
    return 0;
}

/* accel: which accelerator runs the guest; accel NAME: move the guest to
 * another one (machine_switch_accel), which it goes on with as if nothing
 * happened. */
DBG_CMD(cmd_accel)
{
    (void)suffix;
    const struct accel_ops *from = s->m->accel;
    if (argc < 2 || !strcmp(argv[1], from->name)) {
        fprintf(s->out, "accelerator: %s\n", from->name);
        return 0;
    }
    const struct accel_ops *to = accel_find(argv[1]);
    char why[300];
    if (!to) {
        fprintf(s->out, "cannot switch to '%s': unknown accelerator (this build has:", argv[1]);
        for (size_t i = 0; accel_all[i]; i++)
            fprintf(s->out, " %s", accel_all[i]->name);
        fprintf(s->out, ")\n");
        return -1;
    }
    if (machine_switch_accel(s->m, to, why, sizeof(why)) < 0) {
        fprintf(s->out, "cannot switch to '%s': %s\n", argv[1], why);
        return -1;
    }
    fprintf(s->out, "accelerator: %s -> %s\n", from->name, to->name);
    return 0;
}

DBG_CMD(cmd_quit)
{
    (void)argc; (void)argv; (void)suffix;
    s->quit = true;
    return 0;
}
