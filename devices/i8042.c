/* The 8042 keyboard controller: status and command registers, the output
 * buffer, the command byte and output port, then keys from the host. */
#include "devices/i8042.h"

#include <errno.h>
#include <string.h>

#include "devices/device_state.h"
#include "devices/iobus.h"

static uint8_t command_byte(const struct i8042 *k)
{
    return k->ram[0];
}

/* IRQ1 follows "output buffer holds keyboard data and INT is set", IRQ12
 * the same for aux data and INT2 (PS/2 reference, command byte bits 0-1). */
static void update_irq(struct i8042 *k)
{
    int kbd = k->obuf_full && !k->obuf_aux && (command_byte(k) & I8042_CMD_INT);
    int aux = k->obuf_full && k->obuf_aux && (command_byte(k) & I8042_CMD_INT2);
    if (kbd != k->irq1_level) {
        k->irq1_level = kbd;
        irq_set_level(&k->irq1, kbd);
    }
    if (aux != k->irq12_level) {
        k->irq12_level = aux;
        irq_set_level(&k->irq12, aux);
    }
}

/* A reply of the controller's own, or a byte it puts in the buffer for
 * D2/D3; dropped when its small queue is full (a guest not reading). */
static void queue_reply(struct i8042 *k, uint8_t byte, bool aux)
{
    if (k->reply_count >= I8042_REPLY_QUEUE)
        return;
    k->reply[(k->reply_head + k->reply_count) % I8042_REPLY_QUEUE] = byte | (aux ? 0x100 : 0);
    k->reply_count++;
}

/* Fill an empty output buffer: controller replies first, then the keyboard
 * when its interface is enabled, translated when XLATE is set. */
static void refill(struct i8042 *k)
{
    if (k->obuf_full)
        return;
    if (k->reply_count) {
        uint16_t r = k->reply[k->reply_head];
        k->reply_head = (uint8_t)((k->reply_head + 1) % I8042_REPLY_QUEUE);
        k->reply_count--;
        k->obuf = (uint8_t)r;
        k->obuf_aux = (r & 0x100) != 0;
        k->obuf_full = true;
    } else if (!(command_byte(k) & I8042_CMD_DISABLE_KBD)) {
        int byte;
        while ((byte = ps2_kbd_read(&k->kbd)) >= 0) {
            if (command_byte(k) & I8042_CMD_XLATE) {
                if (byte == 0xF0) {         /* break prefix: swallowed */
                    k->xlate_break = true;
                    continue;
                }
                byte = ps2_translate_set2((uint8_t)byte) | (k->xlate_break ? 0x80 : 0);
                k->xlate_break = false;
            }
            k->obuf = (uint8_t)byte;
            k->obuf_aux = false;
            k->obuf_full = true;
            break;
        }
    }
    update_irq(k);
}

static void set_outport(struct i8042 *k, uint8_t val)
{
    uint8_t old = k->outport;
    k->outport = val & (uint8_t)~(I8042_OUT_OBF | I8042_OUT_MOBF);
    if (((old ^ val) & I8042_OUT_A20) && k->a20_change)
        k->a20_change(k->opaque, (val & I8042_OUT_A20) != 0);
    /* Bit 0 drives the processor's reset line, active low (AT Technical
     * Reference, 8042 output port). */
    if (!(val & I8042_OUT_RESET) && k->reset_request)
        k->reset_request(k->opaque);
}

static void write_command_byte(struct i8042 *k, uint8_t val)
{
    k->ram[0] = val;
    k->status = (uint8_t)((k->status & ~I8042_STR_SYS) | (val & I8042_CMD_SYS));
    refill(k);          /* the keyboard may just have been enabled */
    update_irq(k);      /* INT may have changed */
}

static void controller_command(struct i8042 *k, uint8_t cmd)
{
    k->pending = 0;     /* a new command abandons one awaiting data */
    if (cmd >= I8042_READ_RAM_FIRST && cmd <= I8042_READ_RAM_LAST) {
        queue_reply(k, k->ram[cmd & 0x1f], false);
    } else if (cmd >= I8042_WRITE_RAM_FIRST && cmd <= I8042_WRITE_RAM_LAST) {
        k->pending = cmd;
    } else if (cmd >= I8042_PULSE_FIRST) {
        /* Bits 3-0 clear: pulse those output lines for 6 us.  Only bit 0
         * (reset) has an effect that outlasts the pulse. */
        if (!(cmd & I8042_OUT_RESET) && k->reset_request)
            k->reset_request(k->opaque);
    } else {
        switch (cmd) {
        case I8042_PASSWORD_CHECK:
            queue_reply(k, 0xF1, false);
            break;
        case I8042_DISABLE_AUX:
            k->ram[0] |= I8042_CMD_DISABLE_AUX;
            break;
        case I8042_ENABLE_AUX:
            k->ram[0] &= (uint8_t)~I8042_CMD_DISABLE_AUX;
            break;
        case I8042_TEST_AUX:
        case I8042_TEST_KBD:
            queue_reply(k, 0x00, false);    /* no clock or data line stuck */
            break;
        case I8042_SELF_TEST:
            k->status |= I8042_STR_SYS;
            queue_reply(k, 0x55, false);
            break;
        case I8042_DISABLE_KBD:
            k->ram[0] |= I8042_CMD_DISABLE_KBD;
            break;
        case I8042_ENABLE_KBD:
            k->ram[0] &= (uint8_t)~I8042_CMD_DISABLE_KBD;
            break;
        case I8042_READ_INPUT:
            queue_reply(k, I8042_INPUT_PORT, false);
            break;
        case I8042_READ_OUTPUT:
            queue_reply(k, k->outport | (k->obuf_full && !k->obuf_aux ? I8042_OUT_OBF : 0) |
                               (k->obuf_full && k->obuf_aux ? I8042_OUT_MOBF : 0), false);
            break;
        case I8042_WRITE_OUTPUT:
        case I8042_WRITE_KBD_OBUF:
        case I8042_WRITE_AUX_OBUF:
        case I8042_WRITE_AUX:
            k->pending = cmd;
            break;
        case I8042_A20_OFF:
            set_outport(k, k->outport & (uint8_t)~I8042_OUT_A20);
            break;
        case I8042_A20_ON:
            set_outport(k, k->outport | I8042_OUT_A20);
            break;
        case I8042_READ_TEST_INPUTS:
            queue_reply(k, 0x00, false);
            break;
        default:
            break;      /* undefined commands are ignored */
        }
    }
    refill(k);
}

/* A byte written to 0x60: the data of a pending command, else for the
 * keyboard. */
static void data_write(struct i8042 *k, uint8_t val)
{
    uint8_t cmd = k->pending;
    k->pending = 0;
    if (cmd >= I8042_WRITE_RAM_FIRST && cmd <= I8042_WRITE_RAM_LAST) {
        if (cmd == I8042_WRITE_RAM_FIRST)
            write_command_byte(k, val);
        else
            k->ram[cmd & 0x1f] = val;
        return;
    }
    switch (cmd) {
    case I8042_WRITE_OUTPUT:
        set_outport(k, val);
        break;
    case I8042_WRITE_KBD_OBUF:
        queue_reply(k, val, false);     /* as if from the keyboard, untranslated */
        break;
    case I8042_WRITE_AUX_OBUF:
        queue_reply(k, val, true);
        break;
    case I8042_WRITE_AUX:
        /* No auxiliary device: the transmission times out. */
        k->status |= I8042_STR_TO;
        queue_reply(k, 0xFE, true);
        break;
    default:
        k->status &= (uint8_t)~I8042_STR_TO;
        ps2_kbd_command(&k->kbd, val);
        break;
    }
    refill(k);
}

uint8_t i8042_read(struct i8042 *k, uint16_t port)
{
    if (port == I8042_COMMAND_PORT) {
        return (uint8_t)((k->status & (I8042_STR_SYS | I8042_STR_A2 | I8042_STR_TO | I8042_STR_PERR)) |
                         I8042_STR_INH |
                         (k->obuf_full ? I8042_STR_OBF : 0) |
                         (k->obuf_full && k->obuf_aux ? I8042_STR_MOBF : 0));
    }
    /* Reading the data port empties the buffer (the byte stays readable). */
    uint8_t val = k->obuf;
    if (k->obuf_full) {
        k->obuf_full = false;
        update_irq(k);  /* the line falls before the next byte raises it */
        refill(k);
    }
    return val;
}

void i8042_write(struct i8042 *k, uint16_t port, uint8_t val)
{
    if (port == I8042_COMMAND_PORT) {
        k->status |= I8042_STR_A2;
        controller_command(k, val);
    } else {
        k->status &= (uint8_t)~I8042_STR_A2;
        data_write(k, val);
    }
}

bool i8042_a20(const struct i8042 *k)
{
    return (k->outport & I8042_OUT_A20) != 0;
}

static void power_on_state(struct i8042 *k, bool a20_enabled)
{
    memset(k->ram, 0, sizeof(k->ram));
    k->ram[0] = I8042_CMD_DEFAULT;
    k->status = I8042_STR_SYS;
    /* Keyboard clock and data high, reset inactive. */
    k->outport = 0xC0 | I8042_OUT_RESET | (a20_enabled ? I8042_OUT_A20 : 0);
    k->pending = 0;
    k->obuf = 0;
    k->obuf_full = false;
    k->obuf_aux = false;
    k->reply_head = 0;
    k->reply_count = 0;
    k->xlate_break = false;
    ps2_kbd_init(&k->kbd);
    update_irq(k);
}

void i8042_init(struct i8042 *k, bool a20_enabled)
{
    memset(k, 0, sizeof(*k));
    power_on_state(k, a20_enabled);
}

void i8042_reset(struct i8042 *k)
{
    power_on_state(k, i8042_a20(k));
}

/* --- keys from the host --- */

int i8042_key_event(struct i8042 *k, int keycode, bool pressed)
{
    int ret = ps2_kbd_key(&k->kbd, keycode, pressed);
    refill(k);
    return ret;
}

#define KEY_LSHIFT 0x2A
#define KEY_LCTRL  0x1D

/* US layout: the keys of the four rows, unshifted and shifted, from their
 * first set-1 code. */
static const struct {
    uint8_t first;
    const char *plain, *shifted;
} key_rows[] = {
    { 0x02, "1234567890-=", "!@#$%^&*()_+" },
    { 0x10, "qwertyuiop[]", "QWERTYUIOP{}" },
    { 0x1E, "asdfghjkl;'`", "ASDFGHJKL:\"~" },
    { 0x2B, "\\zxcvbnm,./", "|ZXCVBNM<>?" },
};

static int ascii_key(char c, bool *shift, bool *ctrl)
{
    *shift = *ctrl = false;
    switch (c) {
    case ' ': return 0x39;
    case '\n': case '\r': return 0x1C;
    case '\t': return 0x0F;
    case '\b': case 0x7f: return 0x0E;
    case 0x1b: return 0x01;
    default: break;
    }
    for (size_t r = 0; r < sizeof(key_rows) / sizeof(key_rows[0]); r++) {
        const char *p = c ? strchr(key_rows[r].plain, c) : NULL;
        if (p)
            return key_rows[r].first + (int)(p - key_rows[r].plain);
        p = c ? strchr(key_rows[r].shifted, c) : NULL;
        if (p) {
            *shift = true;
            return key_rows[r].first + (int)(p - key_rows[r].shifted);
        }
    }
    if (c >= 1 && c <= 26) {    /* Ctrl-A .. Ctrl-Z */
        bool unused;
        *ctrl = true;
        return ascii_key((char)('a' + c - 1), &unused, &unused);
    }
    return -EINVAL;
}

int i8042_type_ascii(struct i8042 *k, char c)
{
    bool shift, ctrl;
    int code = ascii_key(c, &shift, &ctrl);
    if (code < 0)
        return code;
    /* All or nothing: a modifier's make and break (1 + 2 bytes in set 2)
     * and the key's (1 + 2) fit in 6 bytes. */
    if (!k->kbd.scanning || ps2_kbd_room(&k->kbd) < 6)
        return -EAGAIN;
    int mod = shift ? KEY_LSHIFT : ctrl ? KEY_LCTRL : 0;
    if (mod)
        ps2_kbd_key(&k->kbd, mod, true);
    ps2_kbd_key(&k->kbd, code, true);
    ps2_kbd_key(&k->kbd, code, false);
    if (mod)
        ps2_kbd_key(&k->kbd, mod, false);
    refill(k);
    return 0;
}

/* --- the bus --- */

/* Byte registers: a wider IN gives all ones above the low byte. */
static uint32_t i8042_port_read(void *opaque, uint16_t port, int size)
{
    uint32_t ones = size >= 4 ? 0xffffffffu : ((1u << (8 * size)) - 1);
    return (ones & ~0xffu) | i8042_read(opaque, port);
}

static void i8042_port_write(void *opaque, uint16_t port, int size, uint32_t val)
{
    (void)size;
    i8042_write(opaque, port, (uint8_t)val);
}

int i8042_attach(struct i8042 *k, struct iobus *bus)
{
    int ret = iobus_register(bus, "i8042-data", I8042_DATA_PORT, 1, i8042_port_read,
                             i8042_port_write, k);
    if (ret < 0)
        return ret;
    return iobus_register(bus, "i8042-cmd", I8042_COMMAND_PORT, 1, i8042_port_read,
                          i8042_port_write, k);
}

/* --- snapshot --- */

static const struct dev_state_head i8042_state = {
    .magic = { 0x42 }, .magic_len = 1, .version = 1,
};

enum {
    I8042_SAVED_HEADER = 2,
    I8042_SAVED_FIELDS = I8042_RAM_SIZE + 9 + 2 * I8042_REPLY_QUEUE,
    I8042_SAVED_OWN = I8042_SAVED_HEADER + I8042_SAVED_FIELDS,
};

size_t i8042_save(const struct i8042 *k, uint8_t *buf, size_t len)
{
    size_t total = I8042_SAVED_OWN + ps2_kbd_save(&k->kbd, NULL, 0);
    uint8_t *p;
    size_t n = dev_state_save_open(&i8042_state, total, buf, len, &p);
    if (!p)
        return n;
    memcpy(p, k->ram, I8042_RAM_SIZE);
    p += I8042_RAM_SIZE;
    *p++ = k->status;
    *p++ = k->outport;
    *p++ = k->pending;
    *p++ = k->obuf;
    *p++ = k->obuf_full;
    *p++ = k->obuf_aux;
    *p++ = k->reply_count;
    *p++ = k->xlate_break;
    *p++ = 0;   /* reserved */
    for (int i = 0; i < I8042_REPLY_QUEUE; i++) {
        uint16_t r = k->reply[(k->reply_head + i) % I8042_REPLY_QUEUE];
        *p++ = (uint8_t)r;
        *p++ = (uint8_t)(r >> 8);
    }
    ps2_kbd_save(&k->kbd, p, len - I8042_SAVED_OWN);
    return n;
}

int i8042_load(struct i8042 *k, const uint8_t *buf, size_t len)
{
    if (!dev_state_load_ok(&i8042_state, I8042_SAVED_OWN, buf, len))
        return -EINVAL;
    const uint8_t *p = buf + I8042_SAVED_HEADER;
    const uint8_t *f = p + I8042_RAM_SIZE;
    if (f[6] > I8042_REPLY_QUEUE)
        return -EINVAL;
    struct ps2_kbd kbd;
    if (ps2_kbd_load(&kbd, buf + I8042_SAVED_OWN, len - I8042_SAVED_OWN) < 0)
        return -EINVAL;
    memcpy(k->ram, p, I8042_RAM_SIZE);
    k->status = f[0] & (I8042_STR_SYS | I8042_STR_A2 | I8042_STR_TO | I8042_STR_PERR);
    k->outport = f[1] & (uint8_t)~(I8042_OUT_OBF | I8042_OUT_MOBF);
    k->pending = f[2];
    k->obuf = f[3];
    k->obuf_full = f[4] != 0;
    k->obuf_aux = f[5] != 0;
    k->reply_count = f[6];
    k->xlate_break = f[7] != 0;
    k->reply_head = 0;
    const uint8_t *q = f + 9;
    for (int i = 0; i < I8042_REPLY_QUEUE; i++)
        k->reply[i] = (uint16_t)((q[2 * i] | q[2 * i + 1] << 8) & 0x1ff);
    k->kbd = kbd;
    k->irq1_level = -1;     /* drive both lines to the restored levels */
    k->irq12_level = -1;
    update_irq(k);
    return 0;
}
