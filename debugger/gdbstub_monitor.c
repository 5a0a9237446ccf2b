/* `monitor CMD` from gdb: REPL commands on the stub's session
 * (debugger/gdbstub_monitor.h). */
#include "debugger/gdbstub_monitor.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "debugger/session.h"

/* The command line names (its first word), or NULL; *rest: what follows. */
static const struct dbg_command *command_of(const char *line, const char **rest)
{
    char name[64];
    line += strspn(line, " \t");
    size_t n = strcspn(line, " \t/");
    *rest = line + n + strspn(line + n, " \t");
    if (n >= sizeof(name))
        return NULL;
    memcpy(name, line, n);
    name[n] = '\0';
    return dbg_find_command(name);
}

/* Why gdb must not run command c (arguments rest) through the monitor, or NULL. */
static const char *refused(const struct dbg_command *c, const char *rest)
{
    if (!c)
        return NULL;            /* dbg_execute says it is unknown */
    if (c->run == cmd_continue || c->run == cmd_stepi || c->run == cmd_next ||
        c->run == cmd_finish || c->run == cmd_until)
        return "this runs the guest, and gdb would not know it moved: use gdb's own "
               "continue, stepi, nexti, finish or advance";
    if (c->run == cmd_quit)
        return "use gdb's detach (the guest runs on) or kill (glass ends)";
    if (c->run == cmd_trace)
        return "the REPL prints traced exits after its own run commands: after a stop, "
               "`monitor info exits N` shows the last N";
    if (c->run == cmd_cpu && *rest)
        return "gdb keeps its own current thread: use gdb's `thread N+1` (thread 1 is vCPU 0)";
    return NULL;
}

int gdb_monitor_run(struct dbg_session *s, const char *line, char **text, size_t *len)
{
    *text = NULL;
    *len = 0;
    FILE *f = open_memstream(text, len);
    if (!f)
        return -1;
    FILE *saved = s->out;
    s->out = f;
    const char *rest;
    const struct dbg_command *c = command_of(line, &rest);
    const char *why = refused(c, rest);
    int rc = -1;
    if (why) {
        fprintf(f, "monitor %s: %s\n", line, why);
    } else {
        rc = dbg_execute(s, line);
        if (rc == 0 && c && c->run == cmd_set && strncmp(rest, "step-irq", 8))
            fprintf(f, "(gdb keeps the registers it has read: `maintenance flush "
                    "register-cache` shows the new value)\n");
    }
    s->out = saved;
    fclose(f);
    return rc;
}
