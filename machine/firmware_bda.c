/* firmware_build, and the low-memory part of it: the BIOS data area at
 * 0x400 and the extended BIOS data area at 0x9FC00.
 *
 * The BDA layout is the IBM PC/AT BIOS's (IBM PC AT Technical Reference,
 * BIOS listing, "DATA AREAS"; the same offsets as SeaBIOS's struct
 * bios_data_area_s in src/std/bda.h).  glass has no BIOS code, so these are
 * the values a BIOS would have left after POST on this board, as SeaBIOS
 * leaves them under QEMU where the board is the same:
 *
 *   0x400  COM1-COM4 base ports   0x3F8, 0, 0, 0 (one 16550 UART)
 *   0x408  LPT1-LPT3 base ports   0 (no parallel port)
 *   0x40E  EBDA segment           0x9FC0
 *   0x410  equipment word         bit 1 x87 (CPUID.1:EDX.FPU), bits 5:4 = 10b
 *                                 80x25 colour, bits 11:9 one serial port;
 *                                 no floppy, no PS/2 mouse, no printer
 *   0x413  base memory in KiB     639: 640 KiB less the EBDA's 1 KiB
 *   0x417  keyboard flags         0
 *   0x41A  keyboard buffer head   0x1E, tail (0x41C) 0x1E: empty
 *   0x449  video mode             3 (80x25 text, colour), 80 columns (0x44A),
 *                                 page size 0x1000 (0x44C), cursor shape
 *                                 0x0607 (0x460), CRTC at 0x3D4 (0x463),
 *                                 24 = rows - 1 (0x484), 16-line font (0x485)
 *   0x46C  timer ticks            0 (no INT 8 handler counts them)
 *   0x475  hard disks             cfg->nhard_disks
 *   0x480  keyboard buffer start  0x1E, end (0x482) 0x3E
 *
 * EBDA: byte 0 is its size in KiB (1); the rest is zero.  The e820 map
 * reserves 0x9FC00-0xA0000 for it (machine/loader.c). */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "machine/firmware.h"
#include "mem/memmap.h"

/* Offsets from 0x400. */
enum bda_field {
    BDA_COM_PORTS = 0x00,       /* 4 words */
    BDA_LPT_PORTS = 0x08,       /* 3 words */
    BDA_EBDA_SEGMENT = 0x0E,
    BDA_EQUIPMENT = 0x10,
    BDA_MEMORY_SIZE_KB = 0x13,
    BDA_KBD_FLAGS = 0x17,
    BDA_KBD_HEAD = 0x1A,
    BDA_KBD_TAIL = 0x1C,
    BDA_KBD_BUFFER = 0x1E,      /* 16 words, to 0x3E */
    BDA_VIDEO_MODE = 0x49,
    BDA_VIDEO_COLUMNS = 0x4A,
    BDA_VIDEO_PAGE_SIZE = 0x4C,
    BDA_VIDEO_PAGE_START = 0x4E,
    BDA_CURSOR_POS = 0x50,      /* 8 words, one a page */
    BDA_CURSOR_TYPE = 0x60,
    BDA_VIDEO_PAGE = 0x62,
    BDA_CRTC_ADDRESS = 0x63,
    BDA_TIMER_TICKS = 0x6C,     /* dword */
    BDA_TIMER_ROLLOVER = 0x70,
    BDA_HARD_DISKS = 0x75,
    BDA_KBD_BUF_START = 0x80,
    BDA_KBD_BUF_END = 0x82,
    BDA_VIDEO_ROWS = 0x84,      /* rows - 1 */
    BDA_CHAR_HEIGHT = 0x85,
};

#define EQUIP_FPU 0x0002
#define EQUIP_VIDEO_80X25_COLOR 0x0020
#define EQUIP_SERIAL_SHIFT 9
#define COM1_PORT 0x3F8
#define CRTC_COLOR_PORT 0x3D4
#define KBD_BUFFER_END 0x3E

static void put16(uint8_t *bda, enum bda_field off, uint16_t v)
{
    bda[off] = (uint8_t)v;
    bda[off + 1] = (uint8_t)(v >> 8);
}

uint8_t firmware_checksum(const void *p, size_t len)
{
    uint8_t sum = 0;
    for (size_t i = 0; i < len; i++)
        sum = (uint8_t)(sum + ((const uint8_t *)p)[i]);
    return (uint8_t)-sum;
}

/* [gpa, gpa+len) all RAM or ROM (across regions)? */
static int is_memory(struct memmap *mem, uint64_t gpa, uint64_t len)
{
    while (len) {
        const struct mem_region *r = memmap_find(mem, gpa);
        if (!r || r->kind == MEM_MMIO)
            return 0;
        uint64_t avail = r->size - (gpa - r->gpa);
        uint64_t n = len < avail ? len : avail;
        gpa += n;
        len -= n;
    }
    return 1;
}

int firmware_write(struct memmap *mem, const char *what, uint64_t gpa,
                   const void *buf, size_t len)
{
    if (!is_memory(mem, gpa, len) || memmap_write(mem, gpa, buf, len) < 0) {
        fprintf(stderr, "glass: firmware: no RAM for the %s at [0x%llx, 0x%llx)\n", what,
                (unsigned long long)gpa, (unsigned long long)(gpa + len));
        return -EFAULT;
    }
    return 0;
}

int firmware_build_bda(struct memmap *mem, const struct firmware_config *cfg)
{
    uint8_t bda[FIRMWARE_BDA_SIZE];
    memset(bda, 0, sizeof(bda));

    put16(bda, BDA_COM_PORTS, COM1_PORT);
    put16(bda, BDA_EBDA_SEGMENT, FIRMWARE_EBDA_SEGMENT);
    put16(bda, BDA_EQUIPMENT, (uint16_t)((cfg->cpu_features_edx & 1 ? EQUIP_FPU : 0) |
                                         EQUIP_VIDEO_80X25_COLOR |
                                         1u << EQUIP_SERIAL_SHIFT));
    put16(bda, BDA_MEMORY_SIZE_KB, (uint16_t)(FIRMWARE_EBDA_ADDR / 1024));
    put16(bda, BDA_KBD_HEAD, BDA_KBD_BUFFER);
    put16(bda, BDA_KBD_TAIL, BDA_KBD_BUFFER);
    put16(bda, BDA_KBD_BUF_START, BDA_KBD_BUFFER);
    put16(bda, BDA_KBD_BUF_END, KBD_BUFFER_END);
    bda[BDA_VIDEO_MODE] = 3;
    put16(bda, BDA_VIDEO_COLUMNS, 80);
    put16(bda, BDA_VIDEO_PAGE_SIZE, 0x1000);
    put16(bda, BDA_CURSOR_TYPE, 0x0607);
    put16(bda, BDA_CRTC_ADDRESS, CRTC_COLOR_PORT);
    bda[BDA_VIDEO_ROWS] = 24;
    bda[BDA_CHAR_HEIGHT] = 16;
    bda[BDA_HARD_DISKS] = (uint8_t)cfg->nhard_disks;
    /* BDA_TIMER_TICKS, BDA_TIMER_ROLLOVER, BDA_KBD_FLAGS, the LPT ports,
     * the cursor positions and the active page stay 0. */

    uint8_t ebda[FIRMWARE_EBDA_SIZE];
    memset(ebda, 0, sizeof(ebda));
    ebda[0] = FIRMWARE_EBDA_SIZE / 1024;

    int err = firmware_write(mem, "BIOS data area", FIRMWARE_BDA_ADDR, bda, sizeof(bda));
    if (err < 0)
        return err;
    return firmware_write(mem, "extended BIOS data area", FIRMWARE_EBDA_ADDR, ebda, sizeof(ebda));
}

int firmware_build(struct memmap *mem, const struct firmware_config *cfg)
{
    if (cfg->ncpus < 1 || cfg->ncpus > FIRMWARE_MAX_CPUS) {
        fprintf(stderr, "glass: firmware: %d CPUs; the tables describe 1 to %d\n",
                cfg->ncpus, FIRMWARE_MAX_CPUS);
        return -EINVAL;
    }
    /* The 82093AA's ID register has 4 bits.  An ID equal to a CPU's is
     * allowed (xAPIC parts keep the two apart); ncpus is the usual choice,
     * SeaBIOS's. */
    if (cfg->ioapic_id > 15) {
        fprintf(stderr, "glass: firmware: I/O APIC ID %u does not fit its 4-bit ID "
                "register\n", cfg->ioapic_id);
        return -EINVAL;
    }
    if (cfg->nhard_disks < 0 || cfg->nhard_disks > 255) {
        fprintf(stderr, "glass: firmware: %d hard disks does not fit the BDA byte\n",
                cfg->nhard_disks);
        return -EINVAL;
    }
    if (cfg->ram_size < 0x100000) {
        fprintf(stderr, "glass: firmware: %llu bytes of RAM; the tables need 1 MiB\n",
                (unsigned long long)cfg->ram_size);
        return -EINVAL;
    }
    int err;
    if ((err = firmware_build_bda(mem, cfg)) < 0 ||
        (err = firmware_build_mp(mem, cfg)) < 0 ||
        (err = firmware_build_acpi(mem, cfg)) < 0)
        return err;
    return 0;
}
