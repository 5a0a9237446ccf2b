/* System Control Port A at 0x92, the "fast A20" port of PS/2 and every PC
 * chipset since (IBM PS/2 Hardware Interface Technical Reference, "System
 * Control Port A"; Intel 82371 PIIX4 datasheet, "Port 92h").
 *
 *   bit 1  ALT_A20_GATE  1 = address line 20 passes, 0 = forced to 0
 *   bit 0  ALT_HOT_RESET a 0 -> 1 write resets the processor
 *   bits 7-2 stored as written (HDD activity LEDs, password lock on PS/2)
 *
 * Board wiring (machine/board.c):
 *     port92_init(&p, a20_at_power_on);
 *     p.a20_change = board_set_a20;   p.reset_request = board_request_reset;
 *     p.opaque = machine;
 *     port92_attach(&p, &iobus);      claims port 0x92 only
 * A20 has two sources on a PC, this port and the i8042 output port bit 1.
 * glass does what QEMU does: both devices call the same board function, and
 * the last change made by either is what the address bus sees.  After a
 * machine reset the board calls port92_reset() (bit 0 back to 0, so the next
 * 0 -> 1 write resets again). */
#ifndef GLASS_DEVICES_PORT92_H
#define GLASS_DEVICES_PORT92_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct iobus;

#define PORT92_PORT 0x92

enum port92_bits {
    PORT92_ALT_HOT_RESET = 0x01,
    PORT92_ALT_A20_GATE  = 0x02,
};

struct port92 {
    uint8_t value;          /* the register as last written (bit 0 as well) */

    /* Board callbacks, each may be NULL. */
    void (*a20_change)(void *opaque, bool enabled);   /* on every change of bit 1 */
    void (*reset_request)(void *opaque);              /* bit 0 written 0 -> 1 */
    void *opaque;
};

/* Register reset to 0 except A20 as given; callbacks left NULL (not called). */
void port92_init(struct port92 *p, bool a20_enabled);
/* Machine reset: bit 0 cleared, A20 kept (the board re-syncs it if it wants). */
void port92_reset(struct port92 *p);

uint8_t port92_read(const struct port92 *p);
void port92_write(struct port92 *p, uint8_t val);
bool port92_a20(const struct port92 *p);

int port92_attach(struct port92 *p, struct iobus *bus);

/* Snapshot, as uart_save/uart_load: the size (buf NULL), 0 or -EINVAL.  Load
 * does not call the callbacks: the board restores A20 from its own state. */
size_t port92_save(const struct port92 *p, uint8_t *buf, size_t len);
int port92_load(struct port92 *p, const uint8_t *buf, size_t len);

#endif
