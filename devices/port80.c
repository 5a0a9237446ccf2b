/* POST code port 0x80. */
#include "devices/port80.h"

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
