/* --debug-script FILE: debugger commands from a file, no terminal; each
 * command is echoed after "(glass) " so a transcript reads like a session. */
#include <stdio.h>
#include <string.h>

#include "debugger/repl.h"
#include "debugger/session.h"

int dbg_run_script(struct dbg_session *s, const char *path)
{
    FILE *f = strcmp(path, "-") ? fopen(path, "r") : stdin;
    if (!f) {
        fprintf(stderr, "glass: --debug-script %s: cannot open: %m\n", path);
        return -1;
    }
    char line[1024];
    unsigned lineno = 0;
    while (!s->quit && fgets(line, sizeof(line), f)) {
        lineno++;
        line[strcspn(line, "\r\n")] = 0;
        const char *p = line + strspn(line, " \t");
        if (!*p || *p == '#')
            continue;
        fprintf(s->out, "(glass) %s\n", p);
        s->d.interrupt = 0;
        dbg_execute(s, p);
        fflush(s->out);
    }
    if (f != stdin)
        fclose(f);
    return 0;
}
