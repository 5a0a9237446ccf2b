/* Port I/O dispatch: a sorted table of claimed ranges, binary searched. */
#include "devices/iobus.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

void iobus_init(struct iobus *bus)
{
    memset(bus, 0, sizeof(*bus));
}

static uint32_t size_mask(int size)
{
    return size >= 4 ? 0xffffffffu : (1u << (size * 8)) - 1;
}

int iobus_register(struct iobus *bus, const char *name, uint16_t first, uint32_t count,
                   iobus_read_fn read, iobus_write_fn write, void *opaque)
{
    if (count == 0 || (uint32_t)first + count > 0x10000)
        return -EINVAL;
    if (bus->nhandlers >= IOBUS_MAX_HANDLERS)
        return -ENOSPC;
    uint32_t last = (uint32_t)first + count - 1;
    int at = 0;
    while (at < bus->nhandlers && bus->handler[at].first < first)
        at++;
    /* Overlap with the neighbour below or above. */
    if (at > 0) {
        const struct iobus_handler *below = &bus->handler[at - 1];
        if ((uint32_t)below->first + below->count > first)
            return -EEXIST;
    }
    if (at < bus->nhandlers && bus->handler[at].first <= last)
        return -EEXIST;

    memmove(&bus->handler[at + 1], &bus->handler[at],
            (size_t)(bus->nhandlers - at) * sizeof(bus->handler[0]));
    struct iobus_handler *h = &bus->handler[at];
    memset(h, 0, sizeof(*h));
    snprintf(h->name, sizeof(h->name), "%s", name);
    h->first = first;
    h->count = count;
    h->read = read;
    h->write = write;
    h->opaque = opaque;
    bus->nhandlers++;
    return 0;
}

static struct iobus_handler *find(const struct iobus *bus, uint16_t port)
{
    int lo = 0, hi = bus->nhandlers - 1;
    while (lo <= hi) {
        int mid = (lo + hi) / 2;
        const struct iobus_handler *h = &bus->handler[mid];
        if (port < h->first)
            hi = mid - 1;
        else if ((uint32_t)port >= (uint32_t)h->first + h->count)
            lo = mid + 1;
        else
            return (struct iobus_handler *)h;
    }
    return NULL;
}

const struct iobus_handler *iobus_find(const struct iobus *bus, uint16_t port)
{
    return find(bus, port);
}

uint32_t iobus_read(struct iobus *bus, uint16_t port, int size)
{
    struct iobus_handler *h = find(bus, port);
    if (!h || !h->read) {
        bus->unclaimed_reads++;
        bus->last_unclaimed_port = port;
        return size_mask(size);
    }
    h->reads++;
    return h->read(h->opaque, port, size) & size_mask(size);
}

void iobus_write(struct iobus *bus, uint16_t port, int size, uint32_t val)
{
    struct iobus_handler *h = find(bus, port);
    if (!h || !h->write) {
        bus->unclaimed_writes++;
        bus->last_unclaimed_port = port;
        return;
    }
    h->writes++;
    h->write(h->opaque, port, size, val & size_mask(size));
}
