/* The I/O port bus: the 64 Ki x86 I/O ports (SDM Vol. 1, ch. 19), each range
 * claimed by at most one device.  An IN from a port nobody claims reads all
 * ones (the ISA bus floats high); an OUT to one is dropped.  Both are counted
 * so the debugger can show a guest poking at hardware glass does not have. */
#ifndef GLASS_DEVICES_IOBUS_H
#define GLASS_DEVICES_IOBUS_H

#include <stdint.h>

#define IOBUS_MAX_HANDLERS 64
#define IOBUS_NAME_LEN 32

/* size is 1, 2 or 4 bytes; port is the port the instruction named (not an
 * offset: a device covering 0x3f8-0x3ff sees 0x3f8..0x3ff). */
typedef uint32_t (*iobus_read_fn)(void *opaque, uint16_t port, int size);
typedef void (*iobus_write_fn)(void *opaque, uint16_t port, int size, uint32_t val);

struct iobus_handler {
    char name[IOBUS_NAME_LEN];
    uint16_t first;         /* first port claimed */
    uint32_t count;         /* number of ports claimed (1..65536) */
    iobus_read_fn read;     /* NULL: reads as all ones */
    iobus_write_fn write;   /* NULL: writes dropped */
    void *opaque;
    uint64_t reads, writes; /* accesses served */
};

struct iobus {
    struct iobus_handler handler[IOBUS_MAX_HANDLERS]; /* sorted by first */
    int nhandlers;
    uint64_t unclaimed_reads, unclaimed_writes;
    uint16_t last_unclaimed_port;
};

void iobus_init(struct iobus *bus);

/* Claim ports [first, first + count).  0, -EINVAL (count 0 or past 0xffff),
 * -EEXIST (overlaps a claimed range), -ENOSPC (table full). */
int iobus_register(struct iobus *bus, const char *name, uint16_t first, uint32_t count,
                   iobus_read_fn read, iobus_write_fn write, void *opaque);

/* The handler claiming port, or NULL. */
const struct iobus_handler *iobus_find(const struct iobus *bus, uint16_t port);

/* One IN / OUT of size 1, 2 or 4.  The access goes whole to the handler of
 * its first port (devices here decode their own registers). */
uint32_t iobus_read(struct iobus *bus, uint16_t port, int size);
void iobus_write(struct iobus *bus, uint16_t port, int size, uint32_t val);

#endif
