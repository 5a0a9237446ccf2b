/* POST code port 0x80. */
#include "devices/port80.h"

#include <errno.h>

#include "devices/device_state.h"
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
static const struct dev_state_head port80_state = {
    .magic = { 0x80 }, .magic_len = 1, .version = 1,
};
#define PORT80_SAVED_SIZE 11

size_t port80_save(const struct port80 *p, uint8_t *buf, size_t len)
{
    uint8_t *q;
    size_t n = dev_state_save_open(&port80_state, PORT80_SAVED_SIZE, buf, len, &q);
    if (!q)
        return n;
    *q++ = p->last;
    dev_state_put(q, p->writes, 8);
    return n;
}

int port80_load(struct port80 *p, const uint8_t *buf, size_t len)
{
    if (!dev_state_load_ok(&port80_state, PORT80_SAVED_SIZE, buf, len))
        return -EINVAL;
    const uint8_t *q = buf + 2;
    p->last = *q++;
    p->writes = dev_state_get(&q, 8);
    return 0;
}
