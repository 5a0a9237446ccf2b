/* The code cache: one memfd mapped twice, once read-write (the backend
 * writes and patches there) and once read-execute (the host runs it), so
 * no page is ever writable and executable in the same mapping (W^X) and
 * patching a chained jump needs no mprotect. */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "translate/bt_internal.h"

int bt_code_init(struct bt_code *c, size_t size)
{
    memset(c, 0, sizeof(*c));
    c->fd = memfd_create("glass-bt-code", MFD_CLOEXEC);
    if (c->fd < 0) {
        fprintf(stderr, "glass: bt: memfd_create for the code cache: %s\n", strerror(errno));
        return -errno;
    }
    if (ftruncate(c->fd, (off_t)size) < 0) {
        int err = errno;
        fprintf(stderr, "glass: bt: sizing the code cache to %zu bytes: %s\n", size, strerror(err));
        close(c->fd);
        return -err;
    }
    c->rw = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED, c->fd, 0);
    c->rx = mmap(NULL, size, PROT_READ | PROT_EXEC, MAP_SHARED, c->fd, 0);
    if (c->rw == MAP_FAILED || c->rx == MAP_FAILED) {
        int err = errno;
        fprintf(stderr, "glass: bt: mapping the code cache %s: %s\n",
                c->rw == MAP_FAILED ? "read-write" : "executable", strerror(err));
        if (c->rw != MAP_FAILED)
            munmap(c->rw, size);
        if (c->rx != MAP_FAILED)
            munmap(c->rx, size);
        close(c->fd);
        c->fd = -1;
        return -err;
    }
    c->size = size;
    return 0;
}

void bt_code_destroy(struct bt_code *c)
{
    if (c->size) {
        munmap(c->rw, c->size);
        munmap(c->rx, c->size);
    }
    if (c->fd >= 0)
        close(c->fd);
    memset(c, 0, sizeof(*c));
    c->fd = -1;
}
