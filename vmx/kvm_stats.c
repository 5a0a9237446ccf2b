/* KVM's binary statistics of a vCPU (api.rst 4.133 KVM_GET_STATS_FD): the
 * in-kernel counters ("exits", "io_exits", "halt_exits", "irq_window_exits"
 * ...) the debugger's `info exits` shows beside glass's own exit log.
 *
 * The file: a struct kvm_stats_header; at desc_offset num_desc descriptors,
 * each a struct kvm_stats_desc followed by name_size bytes of name; at
 * data_offset the values, desc->size u64 each at desc->offset. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "machine/board.h"
#include "vmx/kvm_internal.h"

#define STATS_MAX_FILE (1u << 20)

int kvm_stats_parse(const void *buf, size_t len, struct kvm_stat_value *out, int max)
{
    const uint8_t *b = buf;
    struct kvm_stats_header h;
    if (len < sizeof(h))
        return -EINVAL;
    memcpy(&h, b, sizeof(h));
    size_t desc_size = sizeof(struct kvm_stats_desc) + h.name_size;
    if (h.name_size == 0 || h.name_size > 1024 || h.desc_offset > len ||
        (uint64_t)h.num_desc * desc_size > len - h.desc_offset || h.data_offset > len)
        return -EINVAL;
    int n = 0;
    for (uint32_t i = 0; i < h.num_desc && n < max; i++) {
        const uint8_t *p = b + h.desc_offset + (size_t)i * desc_size;
        struct kvm_stats_desc d;
        memcpy(&d, p, sizeof(d));
        uint64_t first = (uint64_t)h.data_offset + d.offset;
        if (d.size == 0 || first + (uint64_t)d.size * 8 > len)
            return -EINVAL;
        struct kvm_stat_value *v = &out[n++];
        memset(v, 0, sizeof(*v));
        size_t nl = strnlen((const char *)p + sizeof(d), h.name_size);
        if (nl >= sizeof(v->name))
            nl = sizeof(v->name) - 1;
        memcpy(v->name, p + sizeof(d), nl);
        v->flags = d.flags;
        v->exponent = d.exponent;
        for (uint16_t k = 0; k < d.size; k++) {     /* histograms: the sum */
            uint64_t x;
            memcpy(&x, b + first + (uint64_t)k * 8, 8);
            v->value += x;
        }
    }
    return n;
}

/* The whole stats file (it ends where pread returns 0). */
static void *read_all(int fd, size_t *len)
{
    size_t cap = 4096, used = 0;
    uint8_t *buf = malloc(cap);
    while (buf) {
        ssize_t r = pread(fd, buf + used, cap - used, (off_t)used);
        if (r < 0) {
            free(buf);
            return NULL;
        }
        if (r == 0)
            break;
        used += (size_t)r;
        if (used == cap) {
            if (cap >= STATS_MAX_FILE) {
                free(buf);
                errno = EFBIG;
                return NULL;
            }
            uint8_t *nb = realloc(buf, cap * 2);
            if (!nb)
                free(buf);
            buf = nb;
            cap *= 2;
        }
    }
    *len = used;
    return buf;
}

int kvm_stats_read(struct vcpu *v, struct kvm_stat_value *out, int max)
{
    struct machine *m = v->m;
    if (!m || m->accel != &accel_kvm || !v->accel_state)
        return -ENOTSUP;
    struct kvm_vcpu_state *st = v->accel_state;
    if (!st->vm->has_stats)
        return -ENOTSUP;
    if (st->stats_fd < 0) {
        st->stats_fd = ioctl(st->fd, KVM_GET_STATS_FD, 0);
        if (st->stats_fd < 0) {
            st->stats_fd = -1;
            return -errno;
        }
    }
    size_t len = 0;
    void *buf = read_all(st->stats_fd, &len);
    if (!buf)
        return -errno;
    int n = kvm_stats_parse(buf, len, out, max);
    free(buf);
    return n;
}
