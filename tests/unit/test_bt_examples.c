/* glass with the binary translator, before machine/accel.c lists it:
 *     test_bt_examples [glass options]        (-accel bt is accepted)
 * builds the machine with the interpreter, then hands every vCPU to bt
 * (accel_bt) and runs it, so tests/guest/run_examples.sh can boot the
 * example guests on bt:
 *     BUILD=build-bt bash tests/guest/run_examples.sh \
 *         ./build-bt/tests/test_bt_examples bt
 * Without arguments (make check-unit) it does nothing and succeeds. */
#include <signal.h>
#include <stdio.h>
#include <string.h>

#include "machine/board.h"
#include "machine/options.h"
#include "translate/bt.h"

static int switch_to_bt(struct machine *m)
{
    for (int i = 0; i < m->nvcpus; i++)
        if (m->vcpu[i].accel_state && m->accel->vcpu_destroy)
            m->accel->vcpu_destroy(&m->vcpu[i]);
    if (m->accel->destroy)
        m->accel->destroy(m);
    m->accel = &accel_bt;
    if (accel_bt.init(m) < 0)
        return -1;
    for (int i = 0; i < m->nvcpus; i++) {
        if (accel_bt.vcpu_init(&m->vcpu[i]) < 0)
            return -1;
        accel_bt.state_in(&m->vcpu[i]);
    }
    return 0;
}

int main(int argc, char **argv)
{
    if (argc < 2)
        return 0;
    setvbuf(stderr, NULL, _IONBF, 0);
    signal(SIGPIPE, SIG_IGN);
    for (int i = 1; i + 1 < argc; i++)
        if (strcmp(argv[i], "-accel") == 0 && strcmp(argv[i + 1], "bt") == 0)
            argv[i + 1] = (char *)"interp";

    struct options opt;
    int r = options_parse(&opt, argc, argv);
    if (r == 1)
        return 0;
    if (r < 0)
        return 1;
    struct machine *m = machine_create(&opt);
    if (!m)
        return 1;
    if (switch_to_bt(m) < 0) {
        fprintf(stderr, "glass: could not start the binary translator\n");
        machine_destroy(m);
        return 1;
    }
    int status = machine_run(m);
    machine_destroy(m);
    return status;
}
