/* Port 61h, the NMI status and control register of the PC/AT, as the PIIX
 * has it (Intel 82371AB PIIX4 datasheet, 4.1.13 NMISC):
 *
 *   bit 7  SERR# NMI source status (read only; glass has none: 0)
 *   bit 6  IOCHK# NMI source status (read only; 0)
 *   bit 5  timer counter 2 OUT status (read only)
 *   bit 4  refresh cycle toggle (read only)
 *   bit 3  IOCHK# NMI enable (0 = enabled)
 *   bit 2  PCI SERR# enable (0 = enabled)
 *   bit 1  speaker data enable (glass makes no sound; the bit is kept)
 *   bit 0  timer counter 2 enable: the 8254's GATE2
 *
 * The refresh toggle flips on the chip every 15 us (the DRAM refresh of
 * counter 1); glass flips it on every read, so a firmware delay loop that
 * counts toggles always makes progress and never depends on host speed.
 *
 * Board wiring: after pit_init,
 *     port61_init(&m->port61, &m->pit);
 *     port61_attach(&m->port61, &m->iobus);    // 61h
 * port61_init sets GATE2 low (the register's reset value 00h). */
#ifndef GLASS_DEVICES_PORT61_H
#define GLASS_DEVICES_PORT61_H

#include <stddef.h>
#include <stdint.h>

struct iobus;
struct pit;

#define PORT61_PORT 0x61

#define PORT61_TIM2_GATE   0x01
#define PORT61_SPKR_DATA   0x02
#define PORT61_SERR_EN_N   0x04
#define PORT61_IOCHK_EN_N  0x08
#define PORT61_REFRESH     0x10
#define PORT61_OUT2        0x20
#define PORT61_IOCHK_NMI   0x40
#define PORT61_SERR_NMI    0x80
#define PORT61_WRITABLE    0x0f

struct port61 {
    struct pit *pit;        /* counter 2: GATE from bit 0, OUT to bit 5 */
    uint8_t control;        /* bits 3-0 as written */
    uint8_t refresh;        /* bit 4's current value: 0 or 1 */
};

void port61_init(struct port61 *d, struct pit *pit);
int port61_attach(struct port61 *d, struct iobus *bus);

uint8_t port61_read(struct port61 *d);
void port61_write(struct port61 *d, uint8_t val);

/* Snapshot (the PIT saves GATE2 itself; loading does not touch the PIT).
 * port61_save returns the size (buf NULL: size needed; 0 if len too small);
 * port61_load returns 0 or -EINVAL. */
size_t port61_save(const struct port61 *d, uint8_t *buf, size_t len);
int port61_load(struct port61 *d, const uint8_t *buf, size_t len);

#endif
