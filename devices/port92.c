/* System Control Port A (0x92): fast A20 and fast reset. */
#include "devices/port92.h"

#include <errno.h>

#include "devices/device_state.h"
#include "devices/iobus.h"

void port92_init(struct port92 *p, bool a20_enabled)
{
    p->value = a20_enabled ? PORT92_ALT_A20_GATE : 0;
    p->a20_change = NULL;
    p->reset_request = NULL;
    p->opaque = NULL;
}

void port92_reset(struct port92 *p)
{
    p->value &= (uint8_t)~PORT92_ALT_HOT_RESET;
}

uint8_t port92_read(const struct port92 *p)
{
    return p->value;
}

bool port92_a20(const struct port92 *p)
{
    return (p->value & PORT92_ALT_A20_GATE) != 0;
}

void port92_write(struct port92 *p, uint8_t val)
{
    uint8_t old = p->value;
    p->value = val;
    if (((old ^ val) & PORT92_ALT_A20_GATE) && p->a20_change)
        p->a20_change(p->opaque, (val & PORT92_ALT_A20_GATE) != 0);
    /* The hot reset happens on the rising edge of bit 0 (PS/2 Technical
     * Reference: "writing a 1 to bit 0 ... resets the system"; PIIX4 4.1.x:
     * "a 0-to-1 transition of INIT_NOW"). */
    if (!(old & PORT92_ALT_HOT_RESET) && (val & PORT92_ALT_HOT_RESET) && p->reset_request)
        p->reset_request(p->opaque);
}

/* One 8-bit register: a wider IN reads the floating ISA bus (all ones) in
 * the upper bytes, a wider OUT writes its low byte. */
static uint32_t port92_port_read(void *opaque, uint16_t port, int size)
{
    (void)port;
    uint32_t ones = size >= 4 ? 0xffffffffu : ((1u << (8 * size)) - 1);
    return (ones & ~0xffu) | port92_read(opaque);
}

static void port92_port_write(void *opaque, uint16_t port, int size, uint32_t val)
{
    (void)port;
    (void)size;
    port92_write(opaque, (uint8_t)val);
}

int port92_attach(struct port92 *p, struct iobus *bus)
{
    return iobus_register(bus, "port92", PORT92_PORT, 1, port92_port_read,
                          port92_port_write, p);
}

/* --- snapshot --- */

static const struct dev_state_head port92_state = {
    .magic = { 0x92 }, .magic_len = 1, .version = 1,
};
#define PORT92_SAVED_SIZE 3

size_t port92_save(const struct port92 *p, uint8_t *buf, size_t len)
{
    uint8_t *q;
    size_t n = dev_state_save_open(&port92_state, PORT92_SAVED_SIZE, buf, len, &q);
    if (!q)
        return n;
    *q = p->value;
    return n;
}

int port92_load(struct port92 *p, const uint8_t *buf, size_t len)
{
    if (!dev_state_load_ok(&port92_state, PORT92_SAVED_SIZE, buf, len))
        return -EINVAL;
    p->value = buf[2];
    return 0;
}
