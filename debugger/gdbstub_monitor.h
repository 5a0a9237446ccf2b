/* gdb's `monitor CMD` (the qRcmd packet) for the gdb stub: any command of
 * the REPL (`monitor info registers`, `monitor info tbstats`, `monitor
 * accel bt`, `monitor help`) run through the REPL's own command table on
 * the stub's debugger session, its output captured for gdb's console.
 * Commands that would move the guest or the selected vCPU behind gdb's
 * back (continue, stepi, next, finish, until, quit, cpu N) are refused with
 * a line naming gdb's own command for it; so is trace (it prints after the
 * REPL's run commands only). */
#ifndef GLASS_DEBUGGER_GDBSTUB_MONITOR_H
#define GLASS_DEBUGGER_GDBSTUB_MONITOR_H

#include <stddef.h>

struct dbg_session;

/* Run one command line on s.  *text gets what it printed (malloc'd,
 * NUL-terminated, *len bytes; the caller frees it, also on failure).
 * 0, or -1 when the command failed or was refused. */
int gdb_monitor_run(struct dbg_session *s, const char *line, char **text, size_t *len);

#endif
