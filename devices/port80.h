/* Port 0x80: the POST code port.  Firmware and boot code write progress
 * codes here (a POST card shows them on its LEDs); glass keeps the last one
 * and how many were written, for the debugger.  Reads return the last code. */
#ifndef GLASS_DEVICES_PORT80_H
#define GLASS_DEVICES_PORT80_H

#include <stddef.h>
#include <stdint.h>

struct iobus;

#define PORT80_PORT 0x80

struct port80 {
    uint8_t last;           /* last POST code written */
    uint64_t writes;        /* how many were written */
};

int port80_init(struct port80 *p, struct iobus *bus);

/* Snapshot: as uart_save / uart_load (size with buf NULL; -EINVAL on a
 * buffer that is not a port80 state of this version). */
size_t port80_save(const struct port80 *p, uint8_t *buf, size_t len);
int port80_load(struct port80 *p, const uint8_t *buf, size_t len);

#endif
