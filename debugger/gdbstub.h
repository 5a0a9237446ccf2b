/* The gdb remote stub: `glass -s` (= -gdb tcp::1234) or -gdb tcp:HOST:PORT
 * lets Debian's gdb in over the GDB Remote Serial Protocol.  It serves the
 * registers with a target description that matches the guest's mode
 * (i8086, i386, x86-64), memory by linear address through the guest's page
 * tables, breakpoints and watchpoints kept by the debugger core (never
 * patched into guest memory), single step with interrupts masked, and
 * Ctrl-C.  docs/gdb.md tells how to use it and what it chose where gdb
 * and a PC disagree. */
#ifndef GLASS_DEBUGGER_GDBSTUB_H
#define GLASS_DEBUGGER_GDBSTUB_H

struct machine;
struct options;

/* Listen on opt->gdb_host:opt->gdb_port, serve one gdb at a time until one
 * kills the machine or the guest ends; with -S the guest waits for gdb
 * first, else it runs until gdb connects.  After gdb detaches (or before
 * it connects) the guest runs on and another gdb may connect.  Returns
 * glass's exit status (the guest's isa-debug-exit status, 0 after `kill`,
 * 1 when the socket cannot be opened). */
int gdbstub_main(struct machine *m, const struct options *opt);

#endif
