/* POST code port 0x80. */
#include "devices/port80.h"

#include <errno.h>

#include "devices/iobus.h"

static uint32_t port80_read(void *opaque, uint16_t port, int size)
{
    const struct port80 *p = opaque;
    (void)port; (void)size;
    return p->last;
}

static void port80_write(void *opaque, uint16_t port, int size, uint32_t val)
{
    struct port80 *p = opaque;
    (void)port; (void)size;
    p->last = (uint8_t)val;
    p->writes++;
}

int port80_init(struct port80 *p, struct iobus *bus)
{
    p->last = 0;
    p->writes = 0;
    return iobus_register(bus, "post-code", PORT80_PORT, 1, port80_read, port80_write, p);
}

/* Saved as: magic, version, last code, writes (8 bytes little-endian). */
#define PORT80_STATE_MAGIC 0x80
#define PORT80_STATE_VERSION 1
#define PORT80_SAVED_SIZE 11

size_t port80_save(const struct port80 *p, uint8_t *buf, size_t len)
{
    if (!buf)
        return PORT80_SAVED_SIZE;
    if (len < PORT80_SAVED_SIZE)
        return 0;
    buf[0] = PORT80_STATE_MAGIC;
    buf[1] = PORT80_STATE_VERSION;
    buf[2] = p->last;
    for (int i = 0; i < 8; i++)
        buf[3 + i] = (uint8_t)(p->writes >> (8 * i));
    return PORT80_SAVED_SIZE;
}

int port80_load(struct port80 *p, const uint8_t *buf, size_t len)
{
    if (len < PORT80_SAVED_SIZE || buf[0] != PORT80_STATE_MAGIC ||
        buf[1] != PORT80_STATE_VERSION)
        return -EINVAL;
    p->last = buf[2];
    p->writes = 0;
    for (int i = 0; i < 8; i++)
        p->writes |= (uint64_t)buf[3 + i] << (8 * i);
    return 0;
}
