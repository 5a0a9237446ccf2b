/* A PS/2 MF2 keyboard: the key table, the output queue, the commands. */
#include "devices/ps2_kbd.h"

#include <errno.h>
#include <string.h>

#include "devices/device_state.h"

/* Every key by its set-1 and set-2 make codes (IBM PS/2 Technical
 * Reference, 101/102-key keyboard, scan code tables for sets 1 and 2).
 * 0xE0xx: the key is sent with an E0 prefix in both sets. */
static const struct key_codes {
    uint16_t set1, set2;
} key_table[] = {
    { 0x01, 0x76 }, /* Esc */
    { 0x02, 0x16 }, { 0x03, 0x1E }, { 0x04, 0x26 }, { 0x05, 0x25 }, /* 1-4 */
    { 0x06, 0x2E }, { 0x07, 0x36 }, { 0x08, 0x3D }, { 0x09, 0x3E }, /* 5-8 */
    { 0x0A, 0x46 }, { 0x0B, 0x45 }, /* 9 0 */
    { 0x0C, 0x4E }, { 0x0D, 0x55 }, /* - = */
    { 0x0E, 0x66 }, /* Backspace */
    { 0x0F, 0x0D }, /* Tab */
    { 0x10, 0x15 }, { 0x11, 0x1D }, { 0x12, 0x24 }, { 0x13, 0x2D }, /* Q W E R */
    { 0x14, 0x2C }, { 0x15, 0x35 }, { 0x16, 0x3C }, { 0x17, 0x43 }, /* T Y U I */
    { 0x18, 0x44 }, { 0x19, 0x4D }, /* O P */
    { 0x1A, 0x54 }, { 0x1B, 0x5B }, /* [ ] */
    { 0x1C, 0x5A }, /* Enter */
    { 0x1D, 0x14 }, /* Left Ctrl */
    { 0x1E, 0x1C }, { 0x1F, 0x1B }, { 0x20, 0x23 }, { 0x21, 0x2B }, /* A S D F */
    { 0x22, 0x34 }, { 0x23, 0x33 }, { 0x24, 0x3B }, { 0x25, 0x42 }, /* G H J K */
    { 0x26, 0x4B }, /* L */
    { 0x27, 0x4C }, { 0x28, 0x52 }, { 0x29, 0x0E }, /* ; ' ` */
    { 0x2A, 0x12 }, /* Left Shift */
    { 0x2B, 0x5D }, /* \ */
    { 0x2C, 0x1A }, { 0x2D, 0x22 }, { 0x2E, 0x21 }, { 0x2F, 0x2A }, /* Z X C V */
    { 0x30, 0x32 }, { 0x31, 0x31 }, { 0x32, 0x3A }, /* B N M */
    { 0x33, 0x41 }, { 0x34, 0x49 }, { 0x35, 0x4A }, /* , . / */
    { 0x36, 0x59 }, /* Right Shift */
    { 0x37, 0x7C }, /* Keypad * */
    { 0x38, 0x11 }, /* Left Alt */
    { 0x39, 0x29 }, /* Space */
    { 0x3A, 0x58 }, /* Caps Lock */
    { 0x3B, 0x05 }, { 0x3C, 0x06 }, { 0x3D, 0x04 }, { 0x3E, 0x0C }, /* F1-F4 */
    { 0x3F, 0x03 }, { 0x40, 0x0B }, { 0x41, 0x83 }, { 0x42, 0x0A }, /* F5-F8 */
    { 0x43, 0x01 }, { 0x44, 0x09 }, /* F9 F10 */
    { 0x45, 0x77 }, /* Num Lock */
    { 0x46, 0x7E }, /* Scroll Lock */
    { 0x47, 0x6C }, { 0x48, 0x75 }, { 0x49, 0x7D }, { 0x4A, 0x7B }, /* KP 7 8 9 - */
    { 0x4B, 0x6B }, { 0x4C, 0x73 }, { 0x4D, 0x74 }, { 0x4E, 0x79 }, /* KP 4 5 6 + */
    { 0x4F, 0x69 }, { 0x50, 0x72 }, { 0x51, 0x7A }, /* KP 1 2 3 */
    { 0x52, 0x70 }, { 0x53, 0x71 }, /* KP 0 . */
    { 0x54, 0x84 }, /* Alt+SysRq */
    { 0x56, 0x61 }, /* the 102nd key (ISO \|) */
    { 0x57, 0x78 }, { 0x58, 0x07 }, /* F11 F12 */
    { 0xE01C, 0xE05A }, /* Keypad Enter */
    { 0xE01D, 0xE014 }, /* Right Ctrl */
    { 0xE035, 0xE04A }, /* Keypad / */
    { 0xE037, 0xE07C }, /* Print Screen (without its fake shifts) */
    { 0xE038, 0xE011 }, /* Right Alt */
    { 0xE047, 0xE06C }, /* Home */
    { 0xE048, 0xE075 }, /* Up */
    { 0xE049, 0xE07D }, /* Page Up */
    { 0xE04B, 0xE06B }, /* Left */
    { 0xE04D, 0xE074 }, /* Right */
    { 0xE04F, 0xE069 }, /* End */
    { 0xE050, 0xE072 }, /* Down */
    { 0xE051, 0xE07A }, /* Page Down */
    { 0xE052, 0xE070 }, /* Insert */
    { 0xE053, 0xE071 }, /* Delete */
    { 0xE05B, 0xE01F }, /* Left Windows */
    { 0xE05C, 0xE027 }, /* Right Windows */
    { 0xE05D, 0xE02F }, /* Menu */
};

#define NKEYS (sizeof(key_table) / sizeof(key_table[0]))

uint8_t ps2_translate_set2(uint8_t code)
{
    for (size_t i = 0; i < NKEYS; i++)
        if ((key_table[i].set2 & 0xff) == code)
            return (uint8_t)(key_table[i].set1 & 0xff);
    /* Observable entries of the 8042's table no key sends: the set-2
     * overrun code, and "set 2" in the reply to F0 00. */
    if (code == 0x00)
        return 0xFF;
    if (code == 0x02)
        return 0x41;
    return code;
}

/* --- the output queue --- */

static void queue_clear(struct ps2_kbd *k)
{
    k->head = 0;
    k->count = 0;
}

/* Replies may use the whole queue; a full queue drops the reply. */
static void reply(struct ps2_kbd *k, uint8_t byte)
{
    if (k->count >= PS2_KBD_QUEUE)
        return;
    k->queue[(k->head + k->count) % PS2_KBD_QUEUE] = byte;
    k->count++;
}

int ps2_kbd_read(struct ps2_kbd *k)
{
    if (k->count == 0)
        return -1;
    uint8_t byte = k->queue[k->head];
    k->head = (uint16_t)((k->head + 1) % PS2_KBD_QUEUE);
    k->count--;
    k->last_sent = byte;
    return byte;
}

size_t ps2_kbd_room(const struct ps2_kbd *k)
{
    size_t limit = PS2_KBD_QUEUE - PS2_KBD_REPLY_ROOM;
    return k->count >= limit ? 0 : limit - k->count;
}

/* --- keys --- */

int ps2_kbd_key(struct ps2_kbd *k, int set1_code, bool pressed)
{
    const struct key_codes *key = NULL;
    for (size_t i = 0; i < NKEYS; i++)
        if (key_table[i].set1 == set1_code)
            key = &key_table[i];
    if (!key)
        return -EINVAL;
    if (!k->scanning)
        return -EAGAIN;
    uint8_t bytes[3];
    size_t n = 0;
    bool extended = (key->set1 >> 8) == 0xE0;
    if (extended)
        bytes[n++] = 0xE0;
    if (k->scancode_set == 1) {
        bytes[n++] = (uint8_t)((key->set1 & 0x7f) | (pressed ? 0 : 0x80));
    } else {
        if (!pressed)
            bytes[n++] = 0xF0;
        bytes[n++] = (uint8_t)key->set2;
    }
    if (ps2_kbd_room(k) < n)
        return -EAGAIN;
    for (size_t i = 0; i < n; i++)
        reply(k, bytes[i]);
    return 0;
}

/* --- commands --- */

static void set_defaults(struct ps2_kbd *k)
{
    k->scancode_set = 2;
    k->typematic = KBD_DEFAULT_TYPEMATIC;
}

void ps2_kbd_init(struct ps2_kbd *k)
{
    memset(k, 0, sizeof(*k));
    set_defaults(k);
    k->scanning = true;
}

/* The argument of ED, F0 or F3. */
static void command_argument(struct ps2_kbd *k, uint8_t cmd, uint8_t arg)
{
    switch (cmd) {
    case KBD_CMD_SET_LEDS:
        k->leds = arg & 0x07;
        reply(k, KBD_REPLY_ACK);
        break;
    case KBD_CMD_TYPEMATIC:
        k->typematic = arg & 0x7f;
        reply(k, KBD_REPLY_ACK);
        break;
    case KBD_CMD_SCANCODE_SET:
        if (arg == 0) {
            reply(k, KBD_REPLY_ACK);
            reply(k, k->scancode_set);
        } else if (arg <= 3) {
            k->scancode_set = arg;
            reply(k, KBD_REPLY_ACK);
        } else {
            reply(k, KBD_REPLY_RESEND);     /* not a set: ask again */
        }
        break;
    }
}

void ps2_kbd_command(struct ps2_kbd *k, uint8_t byte)
{
    /* A byte after ED/F0/F3 is their argument, unless it is itself a
     * command (>= ED): then the pending command is abandoned. */
    if (k->pending_cmd && byte < KBD_CMD_SET_LEDS) {
        uint8_t cmd = k->pending_cmd;
        k->pending_cmd = 0;
        command_argument(k, cmd, byte);
        return;
    }
    k->pending_cmd = 0;
    switch (byte) {
    case KBD_CMD_SET_LEDS:
    case KBD_CMD_SCANCODE_SET:
    case KBD_CMD_TYPEMATIC:
        reply(k, KBD_REPLY_ACK);
        k->pending_cmd = byte;
        break;
    case KBD_CMD_ECHO:
        reply(k, KBD_REPLY_ECHO);       /* no ACK */
        break;
    case KBD_CMD_IDENTIFY:
        reply(k, KBD_REPLY_ACK);
        reply(k, KBD_REPLY_ID1);
        reply(k, KBD_REPLY_ID2);
        break;
    case KBD_CMD_ENABLE:                /* clears the output buffer */
        queue_clear(k);
        k->scanning = true;
        reply(k, KBD_REPLY_ACK);
        break;
    case KBD_CMD_DEFAULT_DISABLE:
        queue_clear(k);
        set_defaults(k);
        k->scanning = false;
        reply(k, KBD_REPLY_ACK);
        break;
    case KBD_CMD_SET_DEFAULT:
        queue_clear(k);
        set_defaults(k);
        k->scanning = true;
        reply(k, KBD_REPLY_ACK);
        break;
    case KBD_CMD_RESEND:
        reply(k, k->last_sent);
        break;
    case KBD_CMD_RESET:
        queue_clear(k);
        set_defaults(k);
        k->leds = 0;
        k->scanning = true;
        reply(k, KBD_REPLY_ACK);
        reply(k, KBD_REPLY_BAT_OK);     /* the BAT takes no time here */
        break;
    default:
        if (byte >= KBD_CMD_SET3_FIRST && byte <= KBD_CMD_SET3_LAST)
            reply(k, KBD_REPLY_ACK);    /* set-3 key types: nothing to do */
        else
            reply(k, KBD_REPLY_RESEND); /* not a command */
        break;
    }
}

/* --- snapshot --- */

static const struct dev_state_head ps2_kbd_state = {
    .magic = { 0x4b }, .magic_len = 1, .version = 1,
};

enum {
    PS2_KBD_SAVED_HEADER = 2,
    PS2_KBD_SAVED_FIELDS = 8,
    PS2_KBD_SAVED_SIZE = PS2_KBD_SAVED_HEADER + PS2_KBD_SAVED_FIELDS + PS2_KBD_QUEUE,
};

size_t ps2_kbd_save(const struct ps2_kbd *k, uint8_t *buf, size_t len)
{
    uint8_t *p;
    size_t n = dev_state_save_open(&ps2_kbd_state, PS2_KBD_SAVED_SIZE, buf, len, &p);
    if (!p)
        return n;
    *p++ = (uint8_t)k->count;
    *p++ = (uint8_t)(k->count >> 8);
    *p++ = k->scancode_set;
    *p++ = k->leds;
    *p++ = k->typematic;
    *p++ = k->scanning;
    *p++ = k->pending_cmd;
    *p++ = k->last_sent;
    /* The queue in order, from its head. */
    for (int i = 0; i < PS2_KBD_QUEUE; i++)
        *p++ = i < k->count ? k->queue[(k->head + i) % PS2_KBD_QUEUE] : 0;
    return n;
}

int ps2_kbd_load(struct ps2_kbd *k, const uint8_t *buf, size_t len)
{
    if (!dev_state_load_ok(&ps2_kbd_state, PS2_KBD_SAVED_SIZE, buf, len))
        return -EINVAL;
    const uint8_t *p = buf + PS2_KBD_SAVED_HEADER;
    unsigned count = p[0] | p[1] << 8;
    if (count > PS2_KBD_QUEUE || p[2] < 1 || p[2] > 3)
        return -EINVAL;
    uint8_t pending = p[6];
    if (pending != 0 && pending != KBD_CMD_SET_LEDS && pending != KBD_CMD_SCANCODE_SET &&
        pending != KBD_CMD_TYPEMATIC)
        return -EINVAL;
    k->count = (uint16_t)count;
    k->head = 0;
    k->scancode_set = p[2];
    k->leds = p[3] & 0x07;
    k->typematic = p[4] & 0x7f;
    k->scanning = p[5] != 0;
    k->pending_cmd = pending;
    k->last_sent = p[7];
    memcpy(k->queue, p + PS2_KBD_SAVED_FIELDS, PS2_KBD_QUEUE);
    return 0;
}
