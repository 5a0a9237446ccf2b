/* glass: a see-through x86 PC emulator.  Parse the command line, build the
 * machine, run it, and exit with the guest's isa-debug-exit status when it
 * used it, 0 after a normal stop, 1 on an error of glass's. */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>

#include "debugger/gdbstub.h"
#include "debugger/repl.h"
#include "machine/board.h"
#include "machine/options.h"
#include "translate/bt.h"

int main(int argc, char **argv)
{
    /* Guest serial output goes out unbuffered with write(2); glass's own
     * messages go to stderr, unbuffered too, so the two stay in order. */
    setvbuf(stderr, NULL, _IONBF, 0);
    /* As QEMU: a reader of the serial output that goes away (glass | head)
     * must not kill glass with the terminal left in raw mode; the write
     * fails with EPIPE instead and the byte is dropped. */
    signal(SIGPIPE, SIG_IGN);

    struct options opt;
    int r = options_parse(&opt, argc, argv);
    if (r == 1)
        return 0;   /* --help or --version */
    if (r < 0)
        return 1;

    /* The debugger shows the translator's hottest blocks; counting them
     * costs time, so only when someone may look. */
    bt_set_profiling(opt.gdb_port || opt.debug || opt.debug_script || opt.start_stopped ||
                     getenv("GLASS_BT_STATS"));
    struct machine *m = machine_create(&opt);
    if (!m)
        return 1;
    /* Who drives the machine: the gdb stub (-s, -gdb), the debugger's REPL
     * or script (-S, --debug, --debug-script), or the plain run loop. */
    int status;
    if (opt.gdb_port)
        status = gdbstub_main(m, &opt);
    else if (opt.debug || opt.debug_script || opt.start_stopped)
        status = debugger_main(m, &opt);
    else
        status = machine_run(m);
    machine_destroy(m);
    return status;
}
