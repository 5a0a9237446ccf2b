/* The Intel 8042 keyboard controller of the PC/AT and PS/2, with a PS/2
 * keyboard on its first port (IBM PS/2 Hardware Interface Technical
 * Reference, "Keyboard/Auxiliary Device Controller"; the AT Technical
 * Reference for the output port).  Port 0x60 is the data port (output buffer
 * on read, input buffer on write), port 0x64 the status register on read and
 * the command register on write.
 *
 * The controller answers at once: IBF never reads 1.  Its output buffer
 * holds one byte; behind it wait, in order, the controller's own replies
 * (0x20, 0xAA, 0xD2 ...) and then the keyboard's queue (devices/ps2_kbd.h),
 * which it reads only while the keyboard interface is enabled (command byte
 * bit 4 clear).  With translation on (command byte bit 6) each keyboard byte
 * goes through the set 2 -> set 1 table on its way into the output buffer, an
 * F0 being swallowed and ORing 0x80 into the next byte, as the 8042 does.
 *
 * Keys from the host: i8042_key_event takes a set-1 (XT) make code, 0xE0xx
 * for extended keys; the keyboard sends set 2 (or set 1 if the guest chose
 * it) and the controller translates.  i8042_type_ascii types one character
 * of a US layout, with Shift for capitals and symbols and Ctrl for control
 * characters.  Both return 0, -EINVAL (no such key) or -EAGAIN (the keyboard
 * is not scanning or its queue is full: retry after the guest reads).
 *
 * The auxiliary (mouse) port has nothing plugged in: A7/A8 set and clear the
 * command byte's disable bit, A9 (aux interface test) answers 0x00 (the
 * controller's lines are fine), D3 echoes a byte as aux data (MOBF, IRQ12),
 * and a byte sent to the device with D4 times out: TO is set in the status
 * register and 0xFE is returned as aux data, as an AT-style controller does
 * when no device answers.  CMOS equipment byte bit 2 (mouse) stays 0.
 *
 * Power-on state: glass has no BIOS, so the controller starts as the BIOS
 * leaves it after POST: command byte 0x45 (IRQ1 enabled, system flag set,
 * translation on, IRQ12 off), SYS set in the status register, A20 as the
 * board says, the keyboard in set 2 and scanning.
 *
 * Output port (D0/D1): bit 0 is the system reset line, active low: writing it
 * as 0 resets the machine (reset_request); bit 1 is the A20 gate
 * (a20_change on every change); bits 4/5 read as OBF/MOBF.  0xFE (and any
 * 0xF0-0xFE with bit 0 clear) pulses the reset line.  0xDD/0xDF clear/set
 * A20.
 *
 * Board wiring (machine/board.c):
 *     i8042_init(&kbc, a20_at_power_on);
 *     irq_line_connect(&kbc.irq1, isa_irq_handler, router, 1);
 *     irq_line_connect(&kbc.irq12, isa_irq_handler, router, 12);  (optional)
 *     kbc.reset_request = board_request_reset;        (void *opaque)
 *     kbc.a20_change = board_set_a20;                 (void *opaque, bool)
 *     kbc.opaque = machine;
 *     i8042_attach(&kbc, &iobus);     claims 0x60 and 0x64 only (0x61 is the
 *                                     PIT/speaker port, not the 8042's)
 * The A20 callback is the same function port 0x92 calls (devices/port92.h):
 * the last change from either source is what the bus sees (as QEMU).  Host
 * keyboard input (SDL, or stdin text) goes through i8042_key_event or
 * i8042_type_ascii; on -EAGAIN keep the rest for later.  On a machine reset
 * the board calls i8042_reset. */
#ifndef GLASS_DEVICES_I8042_H
#define GLASS_DEVICES_I8042_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "devices/irq.h"
#include "devices/ps2_kbd.h"

struct iobus;

#define I8042_DATA_PORT    0x60
#define I8042_COMMAND_PORT 0x64   /* status on read */
#define I8042_IRQ_KBD      1
#define I8042_IRQ_AUX      12

/* Status register (port 0x64, read). */
#define I8042_STR_OBF   0x01    /* output buffer full */
#define I8042_STR_IBF   0x02    /* input buffer full (never: commands run at once) */
#define I8042_STR_SYS   0x04    /* system flag, from command byte bit 2 */
#define I8042_STR_A2    0x08    /* 1: last write was to 0x64 (command) */
#define I8042_STR_INH   0x10    /* 1: keyboard not inhibited (the keylock) */
#define I8042_STR_MOBF  0x20    /* output buffer holds aux data */
#define I8042_STR_TO    0x40    /* timeout */
#define I8042_STR_PERR  0x80    /* parity error */

/* Command byte (controller RAM byte 0). */
#define I8042_CMD_INT   0x01    /* IRQ1 on keyboard data */
#define I8042_CMD_INT2  0x02    /* IRQ12 on aux data */
#define I8042_CMD_SYS   0x04    /* system flag */
#define I8042_CMD_DISABLE_KBD 0x10
#define I8042_CMD_DISABLE_AUX 0x20
#define I8042_CMD_XLATE 0x40    /* translate set 2 to set 1 */
#define I8042_CMD_DEFAULT (I8042_CMD_INT | I8042_CMD_SYS | I8042_CMD_XLATE)

/* Output port. */
#define I8042_OUT_RESET 0x01    /* 0 = system reset asserted */
#define I8042_OUT_A20   0x02
#define I8042_OUT_OBF   0x10
#define I8042_OUT_MOBF  0x20

/* Controller commands (port 0x64, write). */
enum i8042_command {
    I8042_READ_RAM_FIRST  = 0x20,   /* 0x20: read command byte; 0x21-0x3F: RAM */
    I8042_READ_RAM_LAST   = 0x3F,
    I8042_WRITE_RAM_FIRST = 0x60,   /* 0x60: write command byte; 0x61-0x7F: RAM */
    I8042_WRITE_RAM_LAST  = 0x7F,
    I8042_PASSWORD_CHECK  = 0xA4,   /* F1: no password installed */
    I8042_DISABLE_AUX     = 0xA7,
    I8042_ENABLE_AUX      = 0xA8,
    I8042_TEST_AUX        = 0xA9,   /* 00: OK */
    I8042_SELF_TEST       = 0xAA,   /* 55: OK */
    I8042_TEST_KBD        = 0xAB,   /* 00: OK */
    I8042_DISABLE_KBD     = 0xAD,
    I8042_ENABLE_KBD      = 0xAE,
    I8042_READ_INPUT      = 0xC0,
    I8042_READ_OUTPUT     = 0xD0,
    I8042_WRITE_OUTPUT    = 0xD1,
    I8042_WRITE_KBD_OBUF  = 0xD2,
    I8042_WRITE_AUX_OBUF  = 0xD3,
    I8042_WRITE_AUX       = 0xD4,
    I8042_A20_OFF         = 0xDD,
    I8042_A20_ON          = 0xDF,
    I8042_READ_TEST_INPUTS = 0xE0,
    I8042_PULSE_FIRST     = 0xF0,   /* F0-FF: pulse output bits 3-0 that are 0 */
};

#define I8042_RAM_SIZE 32
#define I8042_REPLY_QUEUE 8
/* Input port (C0): keyboard not inhibited, no manufacturing jumper,
 * 256K on the board, colour display. */
#define I8042_INPUT_PORT 0xB0

struct i8042 {
    uint8_t ram[I8042_RAM_SIZE];    /* ram[0] is the command byte */
    uint8_t status;                 /* SYS, A2, TO, PERR as set; OBF/MOBF/INH derived */
    uint8_t outport;                /* bits 4/5 derived on read */
    uint8_t pending;                /* command awaiting its data byte, or 0 */

    uint8_t obuf;                   /* the output buffer */
    bool obuf_full, obuf_aux;
    uint16_t reply[I8042_REPLY_QUEUE]; /* controller replies, bit 8 = aux data */
    uint8_t reply_head, reply_count;
    bool xlate_break;               /* translation saw F0 */

    struct ps2_kbd kbd;

    struct irq_line irq1, irq12;
    int irq1_level, irq12_level;

    void (*reset_request)(void *opaque);
    void (*a20_change)(void *opaque, bool enabled);
    void *opaque;
};

void i8042_init(struct i8042 *k, bool a20_enabled);
/* Machine reset: as init, keeping the callbacks, lines and A20. */
void i8042_reset(struct i8042 *k);

uint8_t i8042_read(struct i8042 *k, uint16_t port);
void i8042_write(struct i8042 *k, uint16_t port, uint8_t val);
bool i8042_a20(const struct i8042 *k);

int i8042_key_event(struct i8042 *k, int keycode, bool pressed);
int i8042_type_ascii(struct i8042 *k, char c);

int i8042_attach(struct i8042 *k, struct iobus *bus);

/* Snapshot (controller and keyboard); load does not call the callbacks and
 * drives the IRQ lines to the restored levels. */
size_t i8042_save(const struct i8042 *k, uint8_t *buf, size_t len);
int i8042_load(struct i8042 *k, const uint8_t *buf, size_t len);

#endif
