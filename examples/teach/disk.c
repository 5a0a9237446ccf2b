/*
 * disk.c - the IDE (ATA) disk driver and a tiny file system.
 *
 * IDE: the primary channel's command block at 0x1F0-0x1F7, its control
 * register at 0x3F6.  Drive 0 is the master (the boot disk, kernel.img),
 * drive 1 the slave (QEMU's -drive index=1: fs.img).  Programmed I/O, one
 * sector per command, polling the status register; no interrupts (nIEN).
 *
 * The file system, "teachfs", is laid out by fs.asm:
 *   sector 0: the superblock: "TEACHFS1", u32 file count, u32 disk size in
 *             sectors, 16 reserved bytes, then up to 15 directory entries
 *             of 32 bytes: name[24] (NUL-padded), u32 first sector, u32
 *             length in bytes;
 *   then each file's contents, starting on a sector boundary.
 */
#include "kernel.h"

#define IDE_DATA    0x1F0
#define IDE_ERROR   0x1F1
#define IDE_COUNT   0x1F2
#define IDE_LBA0    0x1F3
#define IDE_LBA1    0x1F4
#define IDE_LBA2    0x1F5
#define IDE_DRIVE   0x1F6
#define IDE_STATUS  0x1F7       /* read */
#define IDE_COMMAND 0x1F7       /* write */
#define IDE_CONTROL 0x3F6       /* bit 1: nIEN, no interrupts */

#define ST_BSY 0x80
#define ST_DRDY 0x40
#define ST_DF  0x20
#define ST_DRQ 0x08
#define ST_ERR 0x01

#define CMD_READ_SECTORS  0x20
#define CMD_WRITE_SECTORS 0x30
#define CMD_FLUSH_CACHE   0xE7

/* Wait until not busy; then return the status, or -1 on an error. */
static int ide_wait(void)
{
    uint8_t st;
    while ((st = inb(IDE_STATUS)) & ST_BSY)
        pause();
    return (st & (ST_ERR | ST_DF)) ? -1 : st;
}

/* Select the drive and sector, then issue cmd. */
static void ide_command(int drive, uint32_t lba, uint8_t cmd)
{
    outb(IDE_CONTROL, 0x02);
    ide_wait();
    outb(IDE_DRIVE, 0xE0 | drive << 4 | ((lba >> 24) & 0x0F));
    for (int i = 0; i < 4; i++)     /* ~400 ns for the drive to answer */
        inb(IDE_CONTROL);
    ide_wait();
    outb(IDE_COUNT, 1);
    outb(IDE_LBA0, (uint8_t)lba);
    outb(IDE_LBA1, (uint8_t)(lba >> 8));
    outb(IDE_LBA2, (uint8_t)(lba >> 16));
    outb(IDE_COMMAND, cmd);
}

int ide_read(int drive, uint32_t lba, void *buf)
{
    ide_command(drive, lba, CMD_READ_SECTORS);
    int st = ide_wait();
    if (st < 0 || !(st & ST_DRQ))
        return -1;
    insw(IDE_DATA, buf, 256);
    return 0;
}

int ide_write(int drive, uint32_t lba, const void *buf)
{
    ide_command(drive, lba, CMD_WRITE_SECTORS);
    int st = ide_wait();
    if (st < 0 || !(st & ST_DRQ))
        return -1;
    outsw(IDE_DATA, buf, 256);
    if (ide_wait() < 0)             /* the drive writes the sector */
        return -1;
    outb(IDE_COMMAND, CMD_FLUSH_CACHE);
    return ide_wait() < 0 ? -1 : 0;
}

/* ---- teachfs ---- */
#define FS_DRIVE 1
#define FS_MAX_FILES 15

struct dirent {
    char name[24];
    uint32_t start;             /* first sector */
    uint32_t length;            /* bytes */
};

struct superblock {
    char magic[8];              /* "TEACHFS1" */
    uint32_t nfiles;
    uint32_t nsectors;
    uint8_t reserved[16];
    struct dirent files[FS_MAX_FILES];
};

static struct superblock sb;
static uint8_t sector[512];

int fs_mount(void)
{
    if (ide_read(FS_DRIVE, 0, &sb) < 0) {
        kprintf("fs: cannot read the superblock of disk 1\n");
        return -1;
    }
    if (memcmp(sb.magic, "TEACHFS1", 8) != 0 || sb.nfiles > FS_MAX_FILES) {
        kprintf("fs: disk 1 holds no teachfs\n");
        return -1;
    }
    kprintf("fs: disk 1: teachfs, %u sectors, %u files:\n", sb.nsectors,
            sb.nfiles);
    for (uint32_t i = 0; i < sb.nfiles; i++)
        kprintf("fs:   %s  %u bytes at sector %u\n", sb.files[i].name,
                sb.files[i].length, sb.files[i].start);
    return 0;
}

static struct dirent *fs_lookup(const char *name)
{
    for (uint32_t i = 0; i < sb.nfiles; i++)
        if (strcmp(sb.files[i].name, name) == 0)
            return &sb.files[i];
    return 0;
}

/* Read up to max bytes of a file into buf; its length, or -1. */
int fs_read(const char *name, void *buf, uint32_t max)
{
    struct dirent *d = fs_lookup(name);
    if (!d)
        return -1;
    uint32_t len = d->length < max ? d->length : max;
    for (uint32_t off = 0; off < len; off += 512) {
        if (ide_read(FS_DRIVE, d->start + off / 512, sector) < 0)
            return -1;
        memcpy((uint8_t *)buf + off, sector, len - off < 512 ? len - off : 512);
    }
    return (int)len;
}

/* "boot.log" holds the text "boots: NNNNNN\n": count this boot and write
 * it back, so the disk remembers.  Returns the new count, or -1. */
int fs_boot_record(void)
{
    struct dirent *d = fs_lookup("boot.log");
    if (!d || d->length < 14 || ide_read(FS_DRIVE, d->start, sector) < 0)
        return -1;
    if (memcmp(sector, "boots: ", 7) != 0)
        return -1;
    uint32_t n = 0;
    for (int i = 7; i < 13; i++)
        n = n * 10 + (uint32_t)(sector[i] - '0');
    n++;
    for (int i = 12, v = (int)n; i >= 7; i--, v /= 10)
        sector[i] = (uint8_t)('0' + v % 10);
    if (ide_write(FS_DRIVE, d->start, sector) < 0)
        return -1;
    return (int)n;
}
