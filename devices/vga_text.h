/* VGA in 80x25 colour text mode (IBM VGA Technical Reference; register
 * names as in the "VGA registers" chapter): the registers a text-mode guest
 * touches, and a text view of the screen for the debugger and the tests.
 * The window showing the screen comes in a later issue.
 *
 * The text buffer, 0xB8000-0xBFFFF, is plain guest RAM that the board maps
 * (one word a cell: character, then attribute).  This device adds no MMIO
 * there, so guest writes to the screen stay on the fast RAM path; it reads
 * the cells through memmap_read when asked for a snapshot.  The base of the
 * view follows Graphics Controller register 6 (memory map select: B8000 for
 * 11, B0000 for 10, A0000 otherwise) and the CRTC start address; a glass
 * board maps RAM at B8000 at least.
 *
 * Ports: 0x3C0-0x3CF always, and the CRTC plus Input Status 1 at 0x3D4/
 * 0x3D5/0x3DA while the Miscellaneous Output register's I/O Address Select
 * (bit 0) is 1, at 0x3B4/0x3B5/0x3BA while it is 0; the other pair then
 * reads 0xFF and ignores writes.  Input Status 1 (0x3DA) toggles Vertical
 * Retrace (bit 3) and Display Enable (bit 0) on every read, so both
 * "wait for retrace" loops end; reading it resets the attribute
 * controller's index/data flip-flop.  Every register of the CRTC, the
 * sequencer, the graphics and the attribute controller and the DAC is
 * stored and reads back; the CRTC honours the write protect bit (CR11 bit 7
 * guards CR00-CR07, except CR07 bit 4).
 *
 * Board wiring (machine/board.c):
 *     vga_text_init(&vga);             registers as the BIOS leaves mode 3
 *     vga_text_attach(&vga, &iobus);   claims 0x3B0-0x3DF
 * and keep RAM mapped at 0xB8000-0xBFFFF.  The debugger (and tests) call
 * vga_text_snapshot(&vga, &memmap, buf, len) and vga_text_cursor(). */
#ifndef GLASS_DEVICES_VGA_TEXT_H
#define GLASS_DEVICES_VGA_TEXT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct iobus;
struct memmap;

#define VGA_COLS 80
#define VGA_ROWS 25
#define VGA_TEXT_BASE 0xB8000
#define VGA_PORT_FIRST 0x3B0
#define VGA_PORT_COUNT 0x30

/* Ports (colour addresses; the mono CRTC is at 0x3B4/0x3B5/0x3BA). */
enum vga_port {
    VGA_CRTC_INDEX_MONO = 0x3B4,
    VGA_CRTC_DATA_MONO  = 0x3B5,
    VGA_INPUT_STATUS_1_MONO = 0x3BA,   /* write: feature control */
    VGA_ATTR_INDEX      = 0x3C0,       /* write: index or data by flip-flop */
    VGA_ATTR_DATA_READ  = 0x3C1,
    VGA_MISC_WRITE      = 0x3C2,       /* read: input status 0 */
    VGA_SEQ_INDEX       = 0x3C4,
    VGA_SEQ_DATA        = 0x3C5,
    VGA_DAC_MASK        = 0x3C6,
    VGA_DAC_READ_INDEX  = 0x3C7,       /* read: DAC state */
    VGA_DAC_WRITE_INDEX = 0x3C8,
    VGA_DAC_DATA        = 0x3C9,
    VGA_FEATURE_READ    = 0x3CA,
    VGA_MISC_READ       = 0x3CC,
    VGA_GC_INDEX        = 0x3CE,
    VGA_GC_DATA         = 0x3CF,
    VGA_CRTC_INDEX      = 0x3D4,
    VGA_CRTC_DATA       = 0x3D5,
    VGA_INPUT_STATUS_1  = 0x3DA,       /* write: feature control */
};

/* CRT controller registers (index at 0x3D4). */
enum vga_crtc_reg {
    CRTC_HORIZONTAL_DISPLAY_END = 0x01,
    CRTC_OVERFLOW           = 0x07,
    CRTC_MAX_SCAN_LINE      = 0x09,
    CRTC_CURSOR_START       = 0x0A,    /* bit 5: cursor off */
    CRTC_CURSOR_END         = 0x0B,
    CRTC_START_ADDRESS_HIGH = 0x0C,
    CRTC_START_ADDRESS_LOW  = 0x0D,
    CRTC_CURSOR_LOCATION_HIGH = 0x0E,
    CRTC_CURSOR_LOCATION_LOW  = 0x0F,
    CRTC_VERTICAL_RETRACE_END = 0x11,  /* bit 7: protect CR00-CR07 */
    CRTC_OFFSET             = 0x13,
    CRTC_MODE_CONTROL       = 0x17,
    CRTC_LINE_COMPARE       = 0x18,
};
#define CRTC_CURSOR_DISABLE 0x20
#define CRTC_PROTECT 0x80

#define GC_MISC 0x06                 /* graphics controller: memory map select */
#define MISC_IO_ADDRESS_SELECT 0x01  /* 1: CRTC at 0x3Dx */

#define ST1_DISPLAY_DISABLED 0x01    /* input status 1 bit 0 */
#define ST1_VERTICAL_RETRACE 0x08

struct vga_text {
    uint8_t misc;               /* miscellaneous output */
    uint8_t feature;            /* feature control */
    uint8_t crtc_index, crtc[256];
    uint8_t seq_index, seq[256];
    uint8_t gc_index, gc[256];
    uint8_t attr_index;         /* bits 4-0 index, bit 5 palette address source */
    uint8_t attr[32];
    bool attr_flipflop;         /* false: next 0x3C0 write is an index */
    uint8_t dac_mask, dac_read_index, dac_write_index, dac_component;
    bool dac_reading;           /* last index written was the read index */
    uint8_t dac[256 * 3];
    uint8_t status_toggle;      /* input status 1 retrace bits, flipped per read */
};

void vga_text_init(struct vga_text *v);

uint8_t vga_text_read(struct vga_text *v, uint16_t port);
void vga_text_write(struct vga_text *v, uint16_t port, uint8_t val);

int vga_text_attach(struct vga_text *v, struct iobus *bus);

/* The screen as 25 lines of text, each ended by '\n', trailing spaces
 * trimmed; characters 0x20-0x7E as themselves, 0x00 and 0xFF (blank glyphs
 * in code page 437) as spaces, anything else as '.'.  out is always NUL
 * terminated when len > 0 (truncated if short).  Returns the length of the
 * whole text (as snprintf), or -EINVAL. */
int vga_text_snapshot(struct vga_text *v, struct memmap *m, char *out, size_t len);

/* The cursor's row and column on the screen (from the cursor location
 * minus the start address); true when it is shown: CR0A bit 5 clear and
 * the location on the screen. */
bool vga_text_cursor(const struct vga_text *v, int *row, int *col);

size_t vga_text_save(const struct vga_text *v, uint8_t *buf, size_t len);
int vga_text_load(struct vga_text *v, const uint8_t *buf, size_t len);

#endif
