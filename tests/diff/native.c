/* Starting the native runner and handing it batches (see runner_proto.h). */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#include "tests/diff/native.h"

static int spawn(struct native *n)
{
    int cmd[2], reply[2];
    if (pipe(cmd) < 0 || pipe(reply) < 0) {
        perror("diff: pipe");
        return -1;
    }
    pid_t pid = fork();
    if (pid < 0) {
        perror("diff: fork");
        return -1;
    }
    if (pid == 0) {
        char a[3][16];
        snprintf(a[0], sizeof a[0], "%d", n->shm_fd);
        snprintf(a[1], sizeof a[1], "%d", cmd[0]);
        snprintf(a[2], sizeof a[2], "%d", reply[1]);
        close(cmd[1]);
        close(reply[0]);
        execl(n->path, n->path, a[0], a[1], a[2], (char *)NULL);
        fprintf(stderr, "diff: cannot run %s: %s\n", n->path, strerror(errno));
        _exit(127);
    }
    close(cmd[0]);
    close(reply[1]);
    n->pid = pid;
    n->cmd_fd = cmd[1];
    n->reply_fd = reply[0];
    return 0;
}

static void reap(struct native *n)
{
    if (n->pid <= 0)
        return;
    close(n->cmd_fd);
    close(n->reply_fd);
    waitpid(n->pid, NULL, 0);
    n->pid = 0;
}

int native_start(struct native *n, const char *runner_path)
{
    memset(n, 0, sizeof *n);
    snprintf(n->path, sizeof n->path, "%s", runner_path);
    signal(SIGPIPE, SIG_IGN);
    n->shm_fd = memfd_create("diff-shm", 0);    /* inherited by the runner */
    if (n->shm_fd < 0 || ftruncate(n->shm_fd, sizeof *n->shm) < 0) {
        perror("diff: memfd");
        return -1;
    }
    n->shm = mmap(NULL, sizeof *n->shm, PROT_READ | PROT_WRITE, MAP_SHARED, n->shm_fd, 0);
    if (n->shm == MAP_FAILED) {
        perror("diff: mmap");
        return -1;
    }
    if (spawn(n) < 0)
        return -1;
    /* One empty batch: the runner has set up (and filled host_features). */
    return native_run(n, 0);
}

int native_run(struct native *n, uint32_t count)
{
    uint32_t start = 0;
    for (;;) {
        struct diff_cmd cmd = { start, count };
        n->shm->progress = start;
        ssize_t w = write(n->cmd_fd, &cmd, sizeof cmd);
        struct diff_cmd done;
        ssize_t r = w == (ssize_t)sizeof cmd ? read(n->reply_fd, &done, sizeof done) : -1;
        if (r == (ssize_t)sizeof done)
            return 0;
        /* The runner died: blame the case it was running, go on after it. */
        uint32_t dead = n->shm->progress;
        reap(n);
        if (++n->restarts > 1000) {
            fprintf(stderr, "diff: the native runner keeps dying\n");
            return -1;
        }
        if (count == 0 || dead >= count) {
            fprintf(stderr, "diff: the native runner %s died before running anything\n", n->path);
            return -1;
        }
        n->shm->results[dead].status = DIFF_ST_CRASH;
        if (spawn(n) < 0)
            return -1;
        start = dead + 1;
        if (start >= count)
            return 0;
    }
}

void native_stop(struct native *n)
{
    reap(n);
    if (n->shm && n->shm != MAP_FAILED)
        munmap(n->shm, sizeof *n->shm);
    if (n->shm_fd > 0)
        close(n->shm_fd);
}
