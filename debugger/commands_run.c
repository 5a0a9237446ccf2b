/* Run control commands: continue, stepi, next, finish, until. */
#include <inttypes.h>
#include <stdlib.h>

#include "debugger/session.h"

static bool can_run(struct dbg_session *s)
{
    if (s->ended) {
        fprintf(s->out, "The machine has stopped (exit status %d); it cannot run any more\n",
                s->exit_status);
        return false;
    }
    return true;
}

DBG_CMD(cmd_continue)
{
    (void)argc; (void)argv; (void)suffix;
    struct dbg_stop why;
    if (!can_run(s))
        return -1;
    fprintf(s->out, "Continuing.\n");
    fflush(s->out);
    dbg_continue(&s->d, &why);
    dbg_report_stop(s, &why);
    return 0;
}

DBG_CMD(cmd_stepi)
{
    (void)suffix;
    uint64_t n = 1;
    struct dbg_stop why;
    if (!can_run(s))
        return -1;
    if (argc > 1 && dbg_eval(s, argv[1], &n) < 0)
        return -1;
    dbg_stepi(&s->d, n, &why);
    dbg_report_stop(s, &why);
    return 0;
}

DBG_CMD(cmd_next)
{
    (void)argc; (void)argv; (void)suffix;
    struct dbg_stop why;
    if (!can_run(s))
        return -1;
    dbg_next(&s->d, &why);
    dbg_report_stop(s, &why);
    return 0;
}

DBG_CMD(cmd_finish)
{
    (void)argc; (void)argv; (void)suffix;
    struct dbg_stop why;
    if (!can_run(s))
        return -1;
    fprintf(s->out, "Run till exit\n");
    dbg_finish(&s->d, &why);
    dbg_report_stop(s, &why);
    return 0;
}

DBG_CMD(cmd_until)
{
    (void)suffix;
    char buf[256];
    uint64_t a;
    struct dbg_stop why;
    if (!can_run(s))
        return -1;
    if (argc < 2) {
        fprintf(s->out, "usage: until ADDR\n");
        return -1;
    }
    if (dbg_eval_address(s, dbg_join(argc, argv, 1, buf, sizeof(buf)), &a) < 0)
        return -1;
    dbg_until(&s->d, a, &why);
    dbg_report_stop(s, &why);
    return 0;
}
