/* The test's handle on the native runner process (tests/diff/runner.c). */
#ifndef GLASS_TESTS_DIFF_NATIVE_H
#define GLASS_TESTS_DIFF_NATIVE_H

#include <stdint.h>
#include <sys/types.h>

#include "tests/diff/runner_proto.h"

struct native {
    char path[4096];        /* the runner executable */
    pid_t pid;
    int cmd_fd, reply_fd;   /* our ends of the two pipes */
    int shm_fd;
    struct diff_shm *shm;   /* cases in, results out */
    uint64_t restarts;      /* runner deaths survived */
};

/* Create the shared memory and start the runner.  0, or -1 with a message. */
int native_start(struct native *n, const char *runner_path);
/* Run shm->cases[0..count) natively; results land in shm->results.  A case
 * that kills the runner gets status DIFF_ST_CRASH.  0, or -1 if the runner
 * cannot be (re)started. */
int native_run(struct native *n, uint32_t count);
void native_stop(struct native *n);

#endif
