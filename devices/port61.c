/* Port 61h: NMI status and control (PIIX4 datasheet 4.1.13 NMISC). */
#include "devices/port61.h"

#include <errno.h>
#include <string.h>

#include "devices/device_state.h"
#include "devices/iobus.h"
#include "devices/pit8254.h"

uint8_t port61_read(struct port61 *d)
{
    uint8_t val = d->control & PORT61_WRITABLE;
    d->refresh ^= 1;                /* see the header: toggles per read */
    if (d->refresh)
        val |= PORT61_REFRESH;
    if (d->pit && pit_get_out(d->pit, 2))
        val |= PORT61_OUT2;
    return val;                     /* no NMI sources: bits 7, 6 clear */
}

void port61_write(struct port61 *d, uint8_t val)
{
    d->control = val & PORT61_WRITABLE;     /* bits 7-4 are read only */
    if (d->pit)
        pit_set_gate(d->pit, 2, val & PORT61_TIM2_GATE);
}

void port61_init(struct port61 *d, struct pit *pit)
{
    memset(d, 0, sizeof(*d));
    d->pit = pit;
    port61_write(d, 0);
}

static uint32_t port61_port_read(void *opaque, uint16_t port, int size)
{
    (void)port;
    uint32_t val = port61_read(opaque);
    for (int i = 1; i < size && i < 4; i++)
        val |= 0xffu << (8 * i);    /* 62h and up: nobody there */
    return val;
}

static void port61_port_write(void *opaque, uint16_t port, int size, uint32_t val)
{
    (void)port;
    (void)size;
    port61_write(opaque, (uint8_t)val);
}

int port61_attach(struct port61 *d, struct iobus *bus)
{
    return iobus_register(bus, "port61", PORT61_PORT, 1, port61_port_read,
                          port61_port_write, d);
}

static const struct dev_state_head port61_state = {
    .magic = { 0x61 }, .magic_len = 1, .version = 1,
};
enum { PORT61_SAVED_SIZE = 4 };

size_t port61_save(const struct port61 *d, uint8_t *buf, size_t len)
{
    uint8_t *q;
    size_t n = dev_state_save_open(&port61_state, PORT61_SAVED_SIZE, buf, len, &q);
    if (!q)
        return n;
    q[0] = d->control;
    q[1] = d->refresh;
    return n;
}

int port61_load(struct port61 *d, const uint8_t *buf, size_t len)
{
    if (!dev_state_load_ok(&port61_state, PORT61_SAVED_SIZE, buf, len) ||
        (buf[2] & ~PORT61_WRITABLE) || buf[3] > 1)
        return -EINVAL;
    d->control = buf[2];
    d->refresh = buf[3];
    return 0;
}
