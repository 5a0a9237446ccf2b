/* The debugger session entry point, for machine/main.c. */
#ifndef GLASS_DEBUGGER_REPL_H
#define GLASS_DEBUGGER_REPL_H

struct machine;
struct options;
struct dbg_session;

/* Run the whole debug session on a built machine: the REPL on the terminal
 * (-S / --debug), or the commands of opt->debug_script.  Returns glass's
 * exit status (the guest's, if it ended with isa-debug-exit). */
int debugger_main(struct machine *m, const struct options *opt);

/* Run the commands of a file, echoing each after "(glass) " on the
 * session's output; stops at `quit`.  0, or -1 when the file cannot be read. */
int dbg_run_script(struct dbg_session *s, const char *path);

#endif
