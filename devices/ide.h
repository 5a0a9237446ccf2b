/* The PC's IDE controller in legacy mode (as the PIIX's, ISA-compatible
 * ports) with ATA hard disks behind it, after ATA/ATAPI-6 (ANSI INCITS
 * 361-2002, "ATA-6" below).
 *
 *   primary channel    command block 0x1F0-0x1F7, control block 0x3F6, IRQ 14
 *   secondary channel  command block 0x170-0x177, control block 0x376, IRQ 15
 *
 * Each channel has device 0 (master) and device 1 (slave), selected by the
 * DEV bit of the Device register.  A disk is a raw image (disk_image.h).
 * Transfers are PIO only; there is no bus-master DMA (the identify data
 * says so: word 49 bit 8 clear, words 63 and 88 zero).  Commands complete
 * at once: BSY is never seen set except during a software reset.
 *
 * Missing devices (a choice: ATA-6 lets device 0 answer for an absent
 * device 1 with Status 00h, and QEMU does the same; a floating bus reads
 * FFh, BSY set, forever): the Status and Alternate Status of an absent
 * device read 00h, so a driver waiting for BSY to clear or DRDY to set
 * sees "no device" instead of hanging, and commands written while it is
 * selected are ignored.  A channel with no
 * device at all reads 00h from every register.
 *
 * Board wiring (machine/board.c):
 *
 *     static struct ide ide;             // ~260 KiB: keep it off the stack
 *     struct disk_image disk[4];         // -drive index=i -> disk[i]
 *     ide_init(&ide);
 *     for (int i = 0; i < MAX_DRIVES; i++) {
 *         if (!opt->drive[i].file)
 *             continue;
 *         char err[256];
 *         if (disk_image_open(&disk[i], opt->drive[i].file,
 *                             opt->drive[i].readonly, err, sizeof err) < 0) {
 *             fprintf(stderr, "glass: %s\n", err);
 *             return -1;
 *         }
 *         // QEMU's numbering: index 0 = primary master, 1 = primary slave,
 *         // 2 = secondary master, 3 = secondary slave.
 *         ide_attach_disk(&ide, i / 2, i % 2, &disk[i]);
 *     }
 *     irq_line_connect(&ide.channel[0].irq, <isa irq handler>, <router>, 14);
 *     irq_line_connect(&ide.channel[1].irq, <isa irq handler>, <router>, 15);
 *     ide_attach(&ide, &bus);            // claims the four port ranges
 *     ...on machine reset: ide_reset(&ide); at exit: disk_image_close(&disk[i]).
 *
 * The INTRQ line is a level (ATA-6, INTRQ: asserted while the selected
 * device has an interrupt pending and nIEN is clear); on the ISA bus it
 * feeds an edge-triggered 8259A input, so each new interrupt is a 0 -> 1
 * edge after the guest read Status (which clears the pending interrupt). */
#ifndef GLASS_DEVICES_IDE_H
#define GLASS_DEVICES_IDE_H

#include <stddef.h>
#include <stdint.h>

#include "devices/irq.h"

struct iobus;
struct disk_image;

#define IDE_PRIMARY_CMD    0x1f0
#define IDE_PRIMARY_CTL    0x3f6
#define IDE_PRIMARY_IRQ    14
#define IDE_SECONDARY_CMD  0x170
#define IDE_SECONDARY_CTL  0x376
#define IDE_SECONDARY_IRQ  15

/* Command block registers, offsets from the command block base (ATA-6
 * I/O register descriptions).  In CHS addressing LBA Low/Mid/High are the Sector
 * Number and Cylinder Low/High, and Device is Device/Head. */
enum ata_reg {
    ATA_DATA = 0,
    ATA_ERROR = 1,          /* read */
    ATA_FEATURES = 1,       /* write */
    ATA_SECTOR_COUNT = 2,
    ATA_LBA_LOW = 3,
    ATA_LBA_MID = 4,
    ATA_LBA_HIGH = 5,
    ATA_DEVICE = 6,
    ATA_STATUS = 7,         /* read */
    ATA_COMMAND = 7,        /* write */
};
/* Control block register, at the control block base (one port). */
enum ata_ctl_reg {
    ATA_ALT_STATUS = 0,     /* read: Status without clearing the interrupt */
    ATA_DEVICE_CONTROL = 0, /* write */
};

/* Status (ATA-6, Status register) */
#define ATA_SR_BSY  0x80
#define ATA_SR_DRDY 0x40
#define ATA_SR_DF   0x20
#define ATA_SR_DSC  0x10    /* device seek complete (obsolete, still set) */
#define ATA_SR_DRQ  0x08
#define ATA_SR_CORR 0x04
#define ATA_SR_IDX  0x02
#define ATA_SR_ERR  0x01
/* Error (ATA-6, Error register) */
#define ATA_ER_ICRC  0x80
#define ATA_ER_UNC   0x40
#define ATA_ER_MC    0x20
#define ATA_ER_IDNF  0x10
#define ATA_ER_MCR   0x08
#define ATA_ER_ABRT  0x04
#define ATA_ER_TK0NF 0x02
#define ATA_ER_AMNF  0x01
/* Device (ATA-6, Device register) */
#define ATA_DEV_LBA  0x40
#define ATA_DEV_DEV  0x10
#define ATA_DEV_HEAD 0x0f
/* Device Control (ATA-6, Device Control register) */
#define ATA_DC_HOB   0x80
#define ATA_DC_SRST  0x04
#define ATA_DC_NIEN  0x02

/* Commands (ATA-6, command descriptions) */
enum ata_command {
    ATA_CMD_RECALIBRATE        = 0x10,  /* ATA-1..3, accepted for old drivers */
    ATA_CMD_READ_SECTORS       = 0x20,
    ATA_CMD_READ_SECTORS_NR    = 0x21,  /* "without retry" (obsolete) */
    ATA_CMD_READ_SECTORS_EXT   = 0x24,
    ATA_CMD_READ_MULTIPLE_EXT  = 0x29,
    ATA_CMD_WRITE_SECTORS      = 0x30,
    ATA_CMD_WRITE_SECTORS_NR   = 0x31,
    ATA_CMD_WRITE_SECTORS_EXT  = 0x34,
    ATA_CMD_WRITE_MULTIPLE_EXT = 0x39,
    ATA_CMD_READ_VERIFY        = 0x40,
    ATA_CMD_READ_VERIFY_NR     = 0x41,
    ATA_CMD_READ_VERIFY_EXT    = 0x42,
    ATA_CMD_SEEK               = 0x70,
    ATA_CMD_EXECUTE_DIAGNOSTIC = 0x90,
    ATA_CMD_INITIALIZE_PARAMS  = 0x91,
    ATA_CMD_PACKET             = 0xa0,
    ATA_CMD_IDENTIFY_PACKET    = 0xa1,
    ATA_CMD_READ_MULTIPLE      = 0xc4,
    ATA_CMD_WRITE_MULTIPLE     = 0xc5,
    ATA_CMD_SET_MULTIPLE_MODE  = 0xc6,
    ATA_CMD_STANDBY_IMMEDIATE  = 0xe0,
    ATA_CMD_IDLE_IMMEDIATE     = 0xe1,
    ATA_CMD_CHECK_POWER_MODE   = 0xe5,
    ATA_CMD_FLUSH_CACHE        = 0xe7,
    ATA_CMD_FLUSH_CACHE_EXT    = 0xea,
    ATA_CMD_IDENTIFY           = 0xec,
    ATA_CMD_SET_FEATURES       = 0xef,
};

#define IDE_MAX_MULTIPLE 16     /* identify word 47: sectors per DRQ block */
#define IDE_BUF_SECTORS 128     /* one pread/pwrite moves up to 64 KiB */

/* A data transfer in progress through the Data register. */
enum ide_xfer { IDE_XFER_NONE, IDE_XFER_IN, IDE_XFER_OUT };

struct ide_drive {
    struct disk_image *img;     /* NULL: no device here */

    /* The task file as this device latched it.  Writes to the command block
     * go to both devices (ATA-6, I/O register descriptions); hob_* hold the
     * previous byte written to each register, the high-order half for
     * 48-bit commands (ATA-6, 48-bit Address feature set). */
    uint8_t features, sector_count, lba_low, lba_mid, lba_high, device;
    uint8_t hob_features, hob_sector_count, hob_lba_low, hob_lba_mid, hob_lba_high;
    uint8_t status, error;
    uint8_t irq_pending;        /* the device's interrupt pending (ATA-6, INTRQ) */

    /* Settings. */
    uint8_t multiple;           /* SET MULTIPLE MODE block size, 0 = disabled */
    uint8_t write_cache;        /* SET FEATURES 02h/82h */
    uint16_t cur_heads, cur_spt; /* INITIALIZE DEVICE PARAMETERS, for CHS */

    /* The transfer: buf holds whole sectors starting at LBA xfer_lba; the
     * guest moves bytes pos..block_end of the current DRQ block;
     * xfer_remaining counts the command's sectors not yet through the Data
     * register, the current block included. */
    uint8_t xfer;               /* enum ide_xfer */
    uint8_t xfer_cmd;           /* the command being served */
    uint8_t xfer_block;         /* sectors per DRQ block: 1 or multiple */
    uint32_t xfer_remaining;
    uint64_t xfer_lba;
    uint32_t pos, block_end, buf_len;
    uint8_t buf[IDE_BUF_SECTORS * 512];
};

struct ide_channel {
    uint16_t cmd_base, ctl_base;
    uint8_t index;              /* 0 primary, 1 secondary */
    uint8_t device_control;     /* last write: nIEN, SRST, HOB */
    uint8_t irq_level;          /* what INTRQ drives now */
    struct irq_line irq;        /* IRQ 14 / 15: the board connects it */
    struct ide_drive drive[2];
};

struct ide {
    struct ide_channel channel[2];
};

/* Both channels at the legacy ports, no disks, irq lines unconnected. */
void ide_init(struct ide *c);
/* Put a disk (or NULL: none) at channel 0/1, unit 0 (master) / 1 (slave).
 * The image stays the caller's.  0 or -EINVAL. */
int ide_attach_disk(struct ide *c, int channel, int unit, struct disk_image *img);
/* Claim the command and control block ports of both channels.  0 or the
 * iobus_register error. */
int ide_attach(struct ide *c, struct iobus *bus);
/* Hardware reset (power-on defaults, disks kept). */
void ide_reset(struct ide *c);

/* Register access, for tests and the debugger (the iobus handlers call
 * these).  reg is an enum ata_reg; size 1, 2 or 4 matters for ATA_DATA. */
uint32_t ide_read(struct ide_channel *ch, int reg, int size);
void ide_write(struct ide_channel *ch, int reg, int size, uint32_t val);
uint8_t ide_read_alt_status(struct ide_channel *ch);
void ide_write_device_control(struct ide_channel *ch, uint8_t val);

/* Snapshot of both channels, transfers in progress included (the buffered
 * sectors are saved, so the size depends on the state: ask with buf NULL
 * right before saving).  ide_save returns the size, or 0 if len is too
 * small.  ide_load returns 0, or -EINVAL when buf is not an IDE state of
 * this version or its disks do not match the attached ones (presence and
 * size).  Disks are not saved: they are files. */
size_t ide_save(const struct ide *c, uint8_t *buf, size_t len);
int ide_load(struct ide *c, const uint8_t *buf, size_t len);

#endif
