/* VGA text mode: the registers, port by port, then the screen view and the
 * snapshot. */
#include "devices/vga_text.h"

#include <errno.h>
#include <string.h>

#include "devices/device_state.h"
#include "devices/iobus.h"
#include "mem/memmap.h"

/* Mode 3 as the IBM VGA BIOS programs it (VGA Technical Reference,
 * "BIOS video mode 3+" register table). */
static const uint8_t mode3_crtc[25] = {
    0x5F, 0x4F, 0x50, 0x82, 0x55, 0x81, 0xBF, 0x1F, 0x00, 0x4F, 0x0D, 0x0E, 0x00,
    0x00, 0x00, 0x00, 0x9C, 0x8E, 0x8F, 0x28, 0x1F, 0x96, 0xB9, 0xA3, 0xFF,
};
static const uint8_t mode3_seq[5] = { 0x03, 0x00, 0x03, 0x00, 0x02 };
static const uint8_t mode3_gc[9] = { 0x00, 0x00, 0x00, 0x00, 0x00, 0x10, 0x0E, 0x00, 0xFF };
static const uint8_t mode3_attr[21] = {
    0x00, 0x01, 0x02, 0x03, 0x04, 0x05, 0x14, 0x07, 0x38, 0x39, 0x3A, 0x3B, 0x3C,
    0x3D, 0x3E, 0x3F, 0x0C, 0x00, 0x0F, 0x08, 0x00,
};

#define ATTR_INDEX_MASK 0x1f
#define ATTR_PAS 0x20       /* palette address source: 1 = display on */

void vga_text_init(struct vga_text *v)
{
    memset(v, 0, sizeof(*v));
    v->misc = 0x67;
    memcpy(v->crtc, mode3_crtc, sizeof(mode3_crtc));
    memcpy(v->seq, mode3_seq, sizeof(mode3_seq));
    memcpy(v->gc, mode3_gc, sizeof(mode3_gc));
    memcpy(v->attr, mode3_attr, sizeof(mode3_attr));
    v->attr_index = ATTR_PAS;
    v->dac_mask = 0xff;
}

static bool color_io(const struct vga_text *v)
{
    return v->misc & MISC_IO_ADDRESS_SELECT;
}

/* CR11 bit 7 write-protects CR00-CR07, except the line compare bit 8 in
 * CR07 bit 4 (VGA Technical Reference, Vertical Retrace End register). */
static void crtc_write(struct vga_text *v, uint8_t val)
{
    uint8_t i = v->crtc_index;
    if ((v->crtc[CRTC_VERTICAL_RETRACE_END] & CRTC_PROTECT) && i <= CRTC_OVERFLOW) {
        if (i == CRTC_OVERFLOW)
            v->crtc[i] = (uint8_t)((v->crtc[i] & ~0x10) | (val & 0x10));
        return;
    }
    v->crtc[i] = val;
}

/* Input Status 1: no raster here, so the retrace and display-enable bits
 * flip on every read; both polarities of a polling loop see their edge.
 * Reading it also sets the attribute flip-flop to "index". */
static uint8_t input_status_1(struct vga_text *v)
{
    v->attr_flipflop = false;
    v->status_toggle ^= ST1_VERTICAL_RETRACE | ST1_DISPLAY_DISABLED;
    return v->status_toggle;
}

static uint8_t dac_read(struct vga_text *v)
{
    uint8_t val = v->dac[v->dac_read_index * 3 + v->dac_component];
    if (++v->dac_component == 3) {
        v->dac_component = 0;
        v->dac_read_index++;
    }
    return val;
}

static void dac_write(struct vga_text *v, uint8_t val)
{
    v->dac[v->dac_write_index * 3 + v->dac_component] = val & 0x3f;
    if (++v->dac_component == 3) {
        v->dac_component = 0;
        v->dac_write_index++;
    }
}

uint8_t vga_text_read(struct vga_text *v, uint16_t port)
{
    switch (port) {
    case VGA_CRTC_INDEX_MONO:
    case VGA_CRTC_INDEX:
        return color_io(v) == (port == VGA_CRTC_INDEX) ? v->crtc_index : 0xff;
    case VGA_CRTC_DATA_MONO:
    case VGA_CRTC_DATA:
        return color_io(v) == (port == VGA_CRTC_DATA) ? v->crtc[v->crtc_index] : 0xff;
    case VGA_INPUT_STATUS_1_MONO:
    case VGA_INPUT_STATUS_1:
        return color_io(v) == (port == VGA_INPUT_STATUS_1) ? input_status_1(v) : 0xff;
    case VGA_ATTR_INDEX:
        return v->attr_index;
    case VGA_ATTR_DATA_READ:
        return v->attr[v->attr_index & ATTR_INDEX_MASK];
    case VGA_MISC_WRITE:
        return 0x00;                /* input status 0: no interrupt pending */
    case 0x3C3:
        return 0x01;                /* VGA enable */
    case VGA_SEQ_INDEX:
        return v->seq_index;
    case VGA_SEQ_DATA:
        return v->seq[v->seq_index];
    case VGA_DAC_MASK:
        return v->dac_mask;
    case VGA_DAC_READ_INDEX:
        return v->dac_reading ? 0x03 : 0x00;   /* DAC state */
    case VGA_DAC_WRITE_INDEX:
        return v->dac_write_index;
    case VGA_DAC_DATA:
        return dac_read(v);
    case VGA_FEATURE_READ:
        return v->feature;
    case VGA_MISC_READ:
        return v->misc;
    case VGA_GC_INDEX:
        return v->gc_index;
    case VGA_GC_DATA:
        return v->gc[v->gc_index];
    default:
        return 0xff;
    }
}

void vga_text_write(struct vga_text *v, uint16_t port, uint8_t val)
{
    switch (port) {
    case VGA_CRTC_INDEX_MONO:
    case VGA_CRTC_INDEX:
        if (color_io(v) == (port == VGA_CRTC_INDEX))
            v->crtc_index = val;
        break;
    case VGA_CRTC_DATA_MONO:
    case VGA_CRTC_DATA:
        if (color_io(v) == (port == VGA_CRTC_DATA))
            crtc_write(v, val);
        break;
    case VGA_INPUT_STATUS_1_MONO:
    case VGA_INPUT_STATUS_1:
        if (color_io(v) == (port == VGA_INPUT_STATUS_1))
            v->feature = val;       /* feature control */
        break;
    case VGA_ATTR_INDEX:
        /* One port, two registers: a flip-flop alternates index and data
         * (VGA Technical Reference, Attribute Controller). */
        if (!v->attr_flipflop)
            v->attr_index = val & (ATTR_INDEX_MASK | ATTR_PAS);
        else
            v->attr[v->attr_index & ATTR_INDEX_MASK] = val;
        v->attr_flipflop = !v->attr_flipflop;
        break;
    case VGA_MISC_WRITE:
        v->misc = val;
        break;
    case VGA_SEQ_INDEX:
        v->seq_index = val;
        break;
    case VGA_SEQ_DATA:
        v->seq[v->seq_index] = val;
        break;
    case VGA_DAC_MASK:
        v->dac_mask = val;
        break;
    case VGA_DAC_READ_INDEX:
        v->dac_read_index = val;
        v->dac_component = 0;
        v->dac_reading = true;
        break;
    case VGA_DAC_WRITE_INDEX:
        v->dac_write_index = val;
        v->dac_component = 0;
        v->dac_reading = false;
        break;
    case VGA_DAC_DATA:
        dac_write(v, val);
        break;
    case VGA_GC_INDEX:
        v->gc_index = val;
        break;
    case VGA_GC_DATA:
        v->gc[v->gc_index] = val;
        break;
    default:
        break;                      /* read-only or unused */
    }
}

/* Byte registers; a word OUT to an index port writes index then data (the
 * usual "out dx, ax" to 0x3D4), so wider accesses are split into bytes. */
static uint32_t vga_port_read(void *opaque, uint16_t port, int size)
{
    uint32_t val = 0;
    for (int i = 0; i < size; i++) {
        uint16_t p = (uint16_t)(port + i);
        uint8_t b = p < VGA_PORT_FIRST + VGA_PORT_COUNT ? vga_text_read(opaque, p) : 0xff;
        val |= (uint32_t)b << (8 * i);
    }
    return val;
}

static void vga_port_write(void *opaque, uint16_t port, int size, uint32_t val)
{
    for (int i = 0; i < size; i++) {
        uint16_t p = (uint16_t)(port + i);
        if (p < VGA_PORT_FIRST + VGA_PORT_COUNT)
            vga_text_write(opaque, p, (uint8_t)(val >> (8 * i)));
    }
}

int vga_text_attach(struct vga_text *v, struct iobus *bus)
{
    return iobus_register(bus, "vga", VGA_PORT_FIRST, VGA_PORT_COUNT, vga_port_read,
                          vga_port_write, v);
}

/* --- the screen --- */

static uint16_t start_address(const struct vga_text *v)
{
    return (uint16_t)(v->crtc[CRTC_START_ADDRESS_HIGH] << 8 | v->crtc[CRTC_START_ADDRESS_LOW]);
}

/* GR06 bits 3-2, memory map select: where the CPU sees video memory. */
static void memory_window(const struct vga_text *v, uint64_t *base, uint32_t *size)
{
    switch ((v->gc[GC_MISC] >> 2) & 3) {
    case 0: *base = 0xA0000; *size = 0x20000; break;
    case 1: *base = 0xA0000; *size = 0x10000; break;
    case 2: *base = 0xB0000; *size = 0x8000; break;
    default: *base = VGA_TEXT_BASE; *size = 0x8000; break;
    }
}

bool vga_text_cursor(const struct vga_text *v, int *row, int *col)
{
    int loc = v->crtc[CRTC_CURSOR_LOCATION_HIGH] << 8 | v->crtc[CRTC_CURSOR_LOCATION_LOW];
    int off = loc - start_address(v);
    if (off < 0 || off >= VGA_COLS * VGA_ROWS) {
        *row = *col = -1;
        return false;
    }
    *row = off / VGA_COLS;
    *col = off % VGA_COLS;
    return !(v->crtc[CRTC_CURSOR_START] & CRTC_CURSOR_DISABLE);
}

int vga_text_snapshot(struct vga_text *v, struct memmap *m, char *out, size_t len)
{
    if (!v || !m || (!out && len))
        return -EINVAL;
    char text[VGA_ROWS * (VGA_COLS + 1) + 1];
    size_t n = 0;
    uint64_t base;
    uint32_t size;
    memory_window(v, &base, &size);
    uint32_t cell = start_address(v);
    for (int row = 0; row < VGA_ROWS; row++) {
        size_t end = n;
        for (int col = 0; col < VGA_COLS; col++, cell++) {
            uint8_t ch = 0;
            /* Cells wrap inside the window (two bytes a cell). */
            memmap_read(m, base + ((uint64_t)cell * 2) % size, &ch, 1);
            char c = (ch >= 0x20 && ch < 0x7f) ? (char)ch : (ch == 0 || ch == 0xff) ? ' ' : '.';
            text[n++] = c;
            if (c != ' ')
                end = n;
        }
        n = end;        /* trim trailing spaces */
        text[n++] = '\n';
    }
    text[n] = '\0';
    if (len) {
        size_t copy = n < len - 1 ? n : len - 1;
        memcpy(out, text, copy);
        out[copy] = '\0';
    }
    return (int)n;
}

/* --- snapshot --- */

static const struct dev_state_head vga_state = {
    .magic = { 0xB8 }, .magic_len = 1, .version = 1,
};

enum {
    VGA_SAVED_HEADER = 2,
    VGA_SAVED_SIZE = VGA_SAVED_HEADER + 2 + 3 * 257 + 1 + 32 + 1 + 5 + 256 * 3 + 1,
};

size_t vga_text_save(const struct vga_text *v, uint8_t *buf, size_t len)
{
    uint8_t *p;
    size_t n = dev_state_save_open(&vga_state, VGA_SAVED_SIZE, buf, len, &p);
    if (!p)
        return n;
    *p++ = v->misc;
    *p++ = v->feature;
    *p++ = v->crtc_index;
    memcpy(p, v->crtc, 256); p += 256;
    *p++ = v->seq_index;
    memcpy(p, v->seq, 256); p += 256;
    *p++ = v->gc_index;
    memcpy(p, v->gc, 256); p += 256;
    *p++ = v->attr_index;
    memcpy(p, v->attr, 32); p += 32;
    *p++ = v->attr_flipflop;
    *p++ = v->dac_mask;
    *p++ = v->dac_read_index;
    *p++ = v->dac_write_index;
    *p++ = v->dac_component;
    *p++ = v->dac_reading;
    memcpy(p, v->dac, sizeof(v->dac)); p += sizeof(v->dac);
    *p++ = v->status_toggle;
    return n;
}

int vga_text_load(struct vga_text *v, const uint8_t *buf, size_t len)
{
    if (!dev_state_load_ok(&vga_state, VGA_SAVED_SIZE, buf, len))
        return -EINVAL;
    const uint8_t *p = buf + VGA_SAVED_HEADER;
    if (p[2 + 3 * 257 + 1 + 32 + 1 + 3] > 2)    /* DAC component 0-2 */
        return -EINVAL;
    v->misc = *p++;
    v->feature = *p++;
    v->crtc_index = *p++;
    memcpy(v->crtc, p, 256); p += 256;
    v->seq_index = *p++;
    memcpy(v->seq, p, 256); p += 256;
    v->gc_index = *p++;
    memcpy(v->gc, p, 256); p += 256;
    v->attr_index = *p++ & (ATTR_INDEX_MASK | ATTR_PAS);
    memcpy(v->attr, p, 32); p += 32;
    v->attr_flipflop = *p++ != 0;
    v->dac_mask = *p++;
    v->dac_read_index = *p++;
    v->dac_write_index = *p++;
    v->dac_component = *p++;
    v->dac_reading = *p++ != 0;
    memcpy(v->dac, p, sizeof(v->dac)); p += sizeof(v->dac);
    v->status_toggle = *p++ & (ST1_VERTICAL_RETRACE | ST1_DISPLAY_DISABLED);
    return 0;
}
