/* A PS/2 keyboard (IBM Personal System/2 Hardware Interface Technical
 * Reference, "Keyboard and Auxiliary Device Controller" and "101/102-Key
 * Keyboard": the commands, the replies, scan code sets 1 and 2).  It sits
 * behind the i8042 (devices/i8042.h), which owns it: the controller hands it
 * the bytes the guest writes to port 0x60 and takes its output bytes one at a
 * time into its output buffer.
 *
 * Keys come from the host as set-1 (XT) make codes, 0xE0xx for the extended
 * keys (right Ctrl, arrows, keypad Enter ...).  The keyboard keeps a table of
 * each key's set-1 and set-2 codes and sends the set the guest selected:
 * set 2 (the default: make "xx", break "F0 xx") or set 1 (make "xx", break
 * "xx|0x80"); set 3 may be selected and read back but is sent as set 2.
 * The controller's set 2 -> set 1 translation (command byte bit 6) uses the
 * inverse of the same table (ps2_translate_set2), so the two cannot disagree.
 * Print Screen is sent as E0 37 / E0 7C alone (no fake shifts); Pause is not
 * in the table.
 *
 * The output queue holds PS2_KBD_QUEUE bytes; key events use all but the
 * last PS2_KBD_REPLY_ROOM of them, so replies to commands always fit.  A key
 * event that does not fit, or arrives while scanning is disabled (F5), is
 * refused whole (-EAGAIN): a host feeding text retries later. */
#ifndef GLASS_DEVICES_PS2_KBD_H
#define GLASS_DEVICES_PS2_KBD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define PS2_KBD_QUEUE 256
#define PS2_KBD_REPLY_ROOM 8

/* Commands (host -> keyboard). */
enum ps2_kbd_cmd {
    KBD_CMD_SET_LEDS      = 0xED,
    KBD_CMD_ECHO          = 0xEE,
    KBD_CMD_SCANCODE_SET  = 0xF0,
    KBD_CMD_IDENTIFY      = 0xF2,
    KBD_CMD_TYPEMATIC     = 0xF3,
    KBD_CMD_ENABLE        = 0xF4,
    KBD_CMD_DEFAULT_DISABLE = 0xF5,
    KBD_CMD_SET_DEFAULT   = 0xF6,
    KBD_CMD_SET3_FIRST    = 0xF7,   /* F7-FD: set-3 key types, acknowledged */
    KBD_CMD_SET3_LAST     = 0xFD,
    KBD_CMD_RESEND        = 0xFE,
    KBD_CMD_RESET         = 0xFF,
};

/* Replies (keyboard -> host). */
enum ps2_kbd_reply {
    KBD_REPLY_BAT_OK  = 0xAA,   /* basic assurance test passed */
    KBD_REPLY_ECHO    = 0xEE,
    KBD_REPLY_ACK     = 0xFA,
    KBD_REPLY_RESEND  = 0xFE,
    KBD_REPLY_ID1     = 0xAB,   /* identify: AB 83, an MF2 keyboard */
    KBD_REPLY_ID2     = 0x83,
};

#define KBD_DEFAULT_TYPEMATIC 0x2B  /* 10.9 characters/s after 500 ms */

struct ps2_kbd {
    uint8_t queue[PS2_KBD_QUEUE];
    uint16_t head, count;
    uint8_t scancode_set;   /* 1, 2 or 3 */
    uint8_t leds;           /* bit 0 Scroll, 1 Num, 2 Caps Lock */
    uint8_t typematic;
    bool scanning;          /* F4 enables, F5 disables */
    uint8_t pending_cmd;    /* ED, F0 or F3 awaiting its argument; 0 none */
    uint8_t last_sent;      /* for Resend */
};

/* Power-on: set 2, scanning, queue empty (the BAT's AA is not queued). */
void ps2_kbd_init(struct ps2_kbd *k);

/* A byte from the host (the controller passes on port 0x60 writes). */
void ps2_kbd_command(struct ps2_kbd *k, uint8_t byte);

/* A key pressed or released, by set-1 make code (0xE0xx for E0 keys).
 * 0, -EINVAL (no such key), -EAGAIN (not scanning or no room). */
int ps2_kbd_key(struct ps2_kbd *k, int set1_code, bool pressed);
/* Bytes free for key events. */
size_t ps2_kbd_room(const struct ps2_kbd *k);

/* The next output byte, or -1 when the queue is empty. */
int ps2_kbd_read(struct ps2_kbd *k);
static inline bool ps2_kbd_has_data(const struct ps2_kbd *k) { return k->count > 0; }

/* The i8042's set 2 -> set 1 translation of one byte (F0 is the caller's:
 * it ORs 0x80 into the next translated byte).  Codes no key sends map to
 * the values the 8042 table has for them where they are observable (00 ->
 * FF, 02 -> 41), otherwise to themselves. */
uint8_t ps2_translate_set2(uint8_t code);

size_t ps2_kbd_save(const struct ps2_kbd *k, uint8_t *buf, size_t len);
int ps2_kbd_load(struct ps2_kbd *k, const uint8_t *buf, size_t len);

#endif
