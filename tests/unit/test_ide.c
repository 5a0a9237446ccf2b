/* The IDE controller and its ATA disks, through the ports as a driver
 * sees them, against temporary image files (ATA/ATAPI-6 behaviour). */
#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "devices/disk_image.h"
#include "devices/ide.h"
#include "devices/iobus.h"
#include "tests/unit/run_suite.h"

#define P 0x1f0         /* primary command block */
#define CTL 0x3f6       /* primary control block */
#define S 0x170         /* secondary */
#define SCTL 0x376

#define ST_READY 0x50   /* DRDY | DSC */
#define ST_DRQ 0x58     /* DRDY | DSC | DRQ */
#define ST_ERR 0x51     /* DRDY | DSC | ERR */

static char dir[64], path[128], path2[128];
static struct disk_image img, img2;
static struct ide ide;
static struct iobus bus;

struct irq_rec {
    int level, rises;
};
static struct irq_rec irqrec[2];

static void irq_handler(void *opaque, int n, int level)
{
    (void)n;
    struct irq_rec *r = opaque;
    if (level && !r->level)
        r->rises++;
    r->level = level;
}

/* The image's byte at offset off, before the guest writes. */
static uint8_t pattern(uint64_t off)
{
    return (uint8_t)((off >> 9) * 31 + (off & 511) * 7 + 1);
}

static void make_image(const char *p, size_t size)
{
    uint8_t *buf = malloc(size ? size : 1);
    for (size_t i = 0; i < size; i++)
        buf[i] = pattern(i);
    int fd = open(p, O_WRONLY | O_CREAT | O_TRUNC, 0644);
    ck_assert_int_ge(fd, 0);
    ck_assert_int_eq(write(fd, buf, size), (ssize_t)size);
    close(fd);
    free(buf);
}

static void file_bytes(const char *p, uint64_t off, void *buf, size_t n)
{
    int fd = open(p, O_RDONLY);
    ck_assert_int_ge(fd, 0);
    ck_assert_int_eq(pread(fd, buf, n, (off_t)off), (ssize_t)n);
    close(fd);
}

static off_t file_size(const char *p)
{
    struct stat st;
    ck_assert_int_eq(stat(p, &st), 0);
    return st.st_size;
}

static void open_image(struct disk_image *im, const char *p, bool readonly)
{
    char err[256];
    ck_assert_msg(disk_image_open(im, p, readonly, err, sizeof(err)) == 0, "%s", err);
    im->quiet = true;
}

static void setup(void)
{
    snprintf(dir, sizeof(dir), "/tmp/glass-ide-XXXXXX");
    ck_assert_ptr_nonnull(mkdtemp(dir));
    snprintf(path, sizeof(path), "%s/disk0.img", dir);
    snprintf(path2, sizeof(path2), "%s/disk1.img", dir);
    make_image(path, 300 * 512);
    open_image(&img, path, false);
    img2.fd = -1;
    memset(irqrec, 0, sizeof(irqrec));
    iobus_init(&bus);
    ide_init(&ide);
    irq_line_connect(&ide.channel[0].irq, irq_handler, &irqrec[0], IDE_PRIMARY_IRQ);
    irq_line_connect(&ide.channel[1].irq, irq_handler, &irqrec[1], IDE_SECONDARY_IRQ);
    ck_assert_int_eq(ide_attach_disk(&ide, 0, 0, &img), 0);
    ck_assert_int_eq(ide_attach(&ide, &bus), 0);
}

static void teardown(void)
{
    disk_image_close(&img);
    if (img2.fd >= 0)
        disk_image_close(&img2);
    char cmd[160];
    snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
    ck_assert_int_eq(system(cmd), 0);
}

static uint8_t inb(uint16_t p) { return (uint8_t)iobus_read(&bus, p, 1); }
static uint16_t inw(uint16_t p) { return (uint16_t)iobus_read(&bus, p, 2); }
static uint32_t inl(uint16_t p) { return iobus_read(&bus, p, 4); }
static void outb(uint16_t p, uint8_t v) { iobus_write(&bus, p, 1, v); }
static void outw(uint16_t p, uint16_t v) { iobus_write(&bus, p, 2, v); }

/* LBA28 task file for device dev (0/1). */
static void task_lba28(uint16_t base, int dev, uint32_t lba, uint8_t count)
{
    outb(base + 2, count);
    outb(base + 3, (uint8_t)lba);
    outb(base + 4, (uint8_t)(lba >> 8));
    outb(base + 5, (uint8_t)(lba >> 16));
    outb(base + 6, (uint8_t)(0xe0 | dev << 4 | ((lba >> 24) & 0x0f)));
}

/* LBA48 task file: each register written twice, high byte first. */
static void task_lba48(uint64_t lba, uint16_t count)
{
    outb(P + 2, (uint8_t)(count >> 8));
    outb(P + 3, (uint8_t)(lba >> 24));
    outb(P + 4, (uint8_t)(lba >> 32));
    outb(P + 5, (uint8_t)(lba >> 40));
    outb(P + 2, (uint8_t)count);
    outb(P + 3, (uint8_t)lba);
    outb(P + 4, (uint8_t)(lba >> 8));
    outb(P + 5, (uint8_t)(lba >> 16));
    outb(P + 6, 0x40);
}

static void read_sector(uint16_t base, uint8_t *buf)
{
    for (int i = 0; i < 256; i++) {
        uint16_t w = inw(base);
        buf[2 * i] = (uint8_t)w;
        buf[2 * i + 1] = (uint8_t)(w >> 8);
    }
}

static void write_sector(uint16_t base, const uint8_t *buf)
{
    for (int i = 0; i < 256; i++)
        outw(base, (uint16_t)(buf[2 * i] | buf[2 * i + 1] << 8));
}

static void check_pattern(const uint8_t *buf, uint64_t lba, int sectors)
{
    for (int i = 0; i < sectors * 512; i++)
        ck_assert_msg(buf[i] == pattern(lba * 512 + i), "byte %d of LBA %llu", i,
                      (unsigned long long)lba);
}

static void identify(uint16_t base, uint16_t *w)
{
    outb(base + 7, ATA_CMD_IDENTIFY);
    ck_assert_uint_eq(inb(base + 7), ST_DRQ);
    for (int i = 0; i < 256; i++)
        w[i] = inw(base);
    ck_assert_uint_eq(inb(base + 7), ST_READY);
}

static void ata_string(const uint16_t *w, int first, int nwords, char *out)
{
    for (int i = 0; i < nwords; i++) {
        out[2 * i] = (char)(w[first + i] >> 8);
        out[2 * i + 1] = (char)w[first + i];
    }
    out[2 * nwords] = 0;
}

START_TEST(identify_fields)
{
    uint16_t w[256];
    char s[64];
    outb(P + 6, 0xa0);
    outb(P + 7, ATA_CMD_IDENTIFY);
    ck_assert_int_eq(irqrec[0].level, 1);
    ck_assert_uint_eq(inb(CTL), ST_DRQ);
    for (int i = 0; i < 256; i++)
        w[i] = inw(P);
    ck_assert_uint_eq(inb(P + 7), ST_READY);
    ck_assert_int_eq(irqrec[0].level, 0);

    ck_assert_uint_eq(w[0], 0x0040);
    ck_assert_uint_eq(w[1], 1);         /* 300 sectors: one cylinder of 16 x 63 */
    ck_assert_uint_eq(w[3], 16);
    ck_assert_uint_eq(w[6], 63);
    ata_string(w, 27, 20, s);
    ck_assert_str_eq(s, "GLASS HARDDISK                          ");
    ata_string(w, 10, 10, s);
    ck_assert_msg(strncmp(s, "GLASS", 5) == 0, "serial '%s'", s);
    ata_string(w, 23, 4, s);
    ck_assert_str_eq(s, "1.0     ");
    ck_assert_uint_eq(w[47], 0x8010);
    ck_assert(w[49] & (1 << 9));        /* LBA */
    ck_assert(!(w[49] & (1 << 8)));     /* no DMA */
    ck_assert_uint_eq(w[59], 0x0110);   /* multiple mode 16 on */
    ck_assert_uint_eq(w[60] | (uint32_t)w[61] << 16, 300);
    ck_assert(w[83] & (1 << 10));
    ck_assert(w[86] & (1 << 10));
    ck_assert(w[83] & (1 << 12));
    ck_assert(w[83] & (1 << 13));
    ck_assert_uint_eq(w[100] | (uint64_t)w[101] << 16 | (uint64_t)w[102] << 32 |
                      (uint64_t)w[103] << 48, 300);
    uint8_t sum = 0;
    for (int i = 0; i < 256; i++)
        sum += (uint8_t)(w[i] + (w[i] >> 8));
    ck_assert_uint_eq(sum, 0);
    ck_assert_uint_eq(w[255] & 0xff, 0xa5);
}
END_TEST

START_TEST(lba28_read_interrupts_per_block)
{
    uint8_t buf[512];
    task_lba28(P, 0, 5, 3);
    outb(P + 7, ATA_CMD_READ_SECTORS);
    for (int s = 0; s < 3; s++) {
        ck_assert_int_eq(irqrec[0].level, 1);
        ck_assert_uint_eq(inb(P + 7), ST_DRQ);
        ck_assert_int_eq(irqrec[0].level, 0);
        read_sector(P, buf);
        check_pattern(buf, 5 + s, 1);
    }
    /* After the last block of a data-in command: no interrupt (§9.7). */
    ck_assert_int_eq(irqrec[0].level, 0);
    ck_assert_int_eq(irqrec[0].rises, 3);
    ck_assert_uint_eq(inb(CTL), ST_READY);
    ck_assert_uint_eq(inb(P + 1), 0);
}
END_TEST

START_TEST(lba28_write_reaches_the_file)
{
    uint8_t data[1024], back[1024], before[512];
    for (int i = 0; i < 1024; i++)
        data[i] = (uint8_t)(i * 13 + 5);
    file_bytes(path, 12 * 512, before, 512);
    task_lba28(P, 0, 10, 2);
    outb(P + 7, ATA_CMD_WRITE_SECTORS);
    ck_assert_uint_eq(inb(CTL), ST_DRQ);
    ck_assert_int_eq(irqrec[0].level, 0);       /* no interrupt for the first block */
    write_sector(P, data);
    ck_assert_int_eq(irqrec[0].level, 1);       /* ready for the second */
    ck_assert_uint_eq(inb(P + 7), ST_DRQ);
    write_sector(P, data + 512);
    ck_assert_int_eq(irqrec[0].level, 1);       /* completion */
    ck_assert_uint_eq(inb(P + 7), ST_READY);
    file_bytes(path, 10 * 512, back, 1024);
    ck_assert_mem_eq(back, data, 1024);
    file_bytes(path, 12 * 512, back, 512);
    ck_assert_mem_eq(back, before, 512);        /* the neighbour untouched */
    ck_assert_int_eq(file_size(path), 300 * 512);

    /* And read back through the controller. */
    task_lba28(P, 0, 10, 2);
    outb(P + 7, ATA_CMD_READ_SECTORS);
    inb(P + 7);
    read_sector(P, back);
    inb(P + 7);
    read_sector(P, back + 512);
    ck_assert_mem_eq(back, data, 1024);
}
END_TEST

START_TEST(dword_data_access_and_count_zero_is_256)
{
    static uint8_t buf[256 * 512];
    task_lba28(P, 0, 0, 0);     /* count 0: 256 sectors */
    outb(P + 7, ATA_CMD_READ_SECTORS);
    for (int s = 0; s < 256; s++) {
        ck_assert_uint_eq(inb(P + 7), ST_DRQ);
        for (int i = 0; i < 128; i++) {
            uint32_t v = inl(P);
            memcpy(buf + s * 512 + i * 4, &v, 4);
        }
    }
    ck_assert_uint_eq(inb(P + 7), ST_READY);
    check_pattern(buf, 0, 256);
}
END_TEST

START_TEST(lba48_read_write_above_28_bits)
{
    /* A sparse 128 GiB image: LBAs beyond 2^28 exist. */
    uint64_t sectors = (1ull << 28) + 4096;
    int fd = open(path2, O_RDWR | O_CREAT | O_TRUNC, 0644);
    ck_assert_int_ge(fd, 0);
    ck_assert_int_eq(ftruncate(fd, (off_t)(sectors * 512)), 0);
    close(fd);
    open_image(&img2, path2, false);
    ide_attach_disk(&ide, 0, 0, &img2);

    uint16_t w[256];
    outb(P + 6, 0x40);
    identify(P, w);
    ck_assert_uint_eq(w[60] | (uint32_t)w[61] << 16, 0x0fffffff);
    ck_assert_uint_eq(w[100] | (uint64_t)w[101] << 16 | (uint64_t)w[102] << 32, sectors);

    uint64_t lba = (1ull << 28) + 0x123;
    uint8_t data[1024], back[1024];
    for (int i = 0; i < 1024; i++)
        data[i] = (uint8_t)(i * 3 + 1);
    task_lba48(lba, 2);
    /* HOB reads the high-order bytes; any register write clears it. */
    outb(CTL, ATA_DC_HOB);
    ck_assert_uint_eq(inb(P + 3), (uint8_t)(lba >> 24));
    ck_assert_uint_eq(inb(P + 2), 0);
    outb(CTL, 0);
    ck_assert_uint_eq(inb(P + 3), (uint8_t)lba);
    outb(CTL, ATA_DC_HOB);
    outb(P + 6, 0x40);
    ck_assert_uint_eq(inb(P + 3), (uint8_t)lba);

    outb(P + 7, ATA_CMD_WRITE_SECTORS_EXT);
    write_sector(P, data);
    ck_assert_uint_eq(inb(P + 7), ST_DRQ);
    write_sector(P, data + 512);
    ck_assert_uint_eq(inb(P + 7), ST_READY);
    file_bytes(path2, lba * 512, back, 1024);
    ck_assert_mem_eq(back, data, 1024);

    memset(back, 0, sizeof(back));
    task_lba48(lba, 2);
    outb(P + 7, ATA_CMD_READ_SECTORS_EXT);
    ck_assert_uint_eq(inb(P + 7), ST_DRQ);
    read_sector(P, back);
    ck_assert_uint_eq(inb(P + 7), ST_DRQ);
    read_sector(P, back + 512);
    ck_assert_mem_eq(back, data, 1024);

    /* READ MULTIPLE EXT, the last sectors of the disk. */
    task_lba48(sectors - 2, 2);
    outb(P + 7, ATA_CMD_READ_MULTIPLE_EXT);
    ck_assert_uint_eq(inb(P + 7), ST_DRQ);
    read_sector(P, back);
    read_sector(P, back + 512);
    ck_assert_uint_eq(inb(P + 7), ST_READY);

    /* One past the end: IDNF, the LBA registers at the first missing one. */
    task_lba48(sectors - 1, 2);
    outb(P + 7, ATA_CMD_READ_SECTORS_EXT);
    ck_assert_uint_eq(inb(P + 7), ST_ERR);
    ck_assert_uint_eq(inb(P + 1), ATA_ER_IDNF);
    ck_assert_uint_eq(inb(P + 3), (uint8_t)sectors);
    outb(CTL, ATA_DC_HOB);
    ck_assert_uint_eq(inb(P + 3), (uint8_t)(sectors >> 24));
    outb(CTL, 0);
    ide_attach_disk(&ide, 0, 0, &img);
}
END_TEST

START_TEST(chs_through_the_translation)
{
    uint8_t buf[512], data[512], back[512];
    uint16_t w[256];
    /* INITIALIZE DEVICE PARAMETERS: 4 heads, 17 sectors a track. */
    outb(P + 2, 17);
    outb(P + 6, 0xa0 | 3);
    outb(P + 7, ATA_CMD_INITIALIZE_PARAMS);
    ck_assert_uint_eq(inb(P + 7), ST_READY);
    outb(P + 6, 0xa0);
    identify(P, w);
    ck_assert_uint_eq(w[54], 300 / 68);
    ck_assert_uint_eq(w[55], 4);
    ck_assert_uint_eq(w[56], 17);
    ck_assert_uint_eq(w[57] | (uint32_t)w[58] << 16, 4 * 4 * 17);

    /* C=1 H=2 S=3 -> (1 * 4 + 2) * 17 + 2 = 104 */
    outb(P + 2, 1);
    outb(P + 3, 3);
    outb(P + 4, 1);
    outb(P + 5, 0);
    outb(P + 6, 0xa0 | 2);
    outb(P + 7, ATA_CMD_READ_SECTORS);
    ck_assert_uint_eq(inb(P + 7), ST_DRQ);
    read_sector(P, buf);
    check_pattern(buf, 104, 1);

    /* C=0 H=1 S=1 -> 17 */
    memset(data, 0x77, sizeof(data));
    outb(P + 2, 1);
    outb(P + 3, 1);
    outb(P + 4, 0);
    outb(P + 5, 0);
    outb(P + 6, 0xa0 | 1);
    outb(P + 7, ATA_CMD_WRITE_SECTORS);
    write_sector(P, data);
    ck_assert_uint_eq(inb(P + 7), ST_READY);
    file_bytes(path, 17 * 512, back, 512);
    ck_assert_mem_eq(back, data, 512);

    /* Sector 0 and a head past the translation: IDNF. */
    outb(P + 3, 0);
    outb(P + 7, ATA_CMD_READ_SECTORS);
    ck_assert_uint_eq(inb(P + 7), ST_ERR);
    ck_assert_uint_eq(inb(P + 1), ATA_ER_IDNF);
    outb(P + 3, 1);
    outb(P + 6, 0xa0 | 5);
    outb(P + 7, ATA_CMD_READ_SECTORS);
    ck_assert_uint_eq(inb(P + 1), ATA_ER_IDNF);
    /* A cylinder past the end of the disk: IDNF too. */
    outb(P + 6, 0xa0);
    outb(P + 4, 200);
    outb(P + 7, ATA_CMD_READ_SECTORS);
    ck_assert_uint_eq(inb(P + 7), ST_ERR);
    ck_assert_uint_eq(inb(P + 1), ATA_ER_IDNF);
}
END_TEST

START_TEST(multiple_blocks)
{
    uint8_t buf[10 * 512], data[6 * 512], back[6 * 512];
    outb(P + 2, 4);
    outb(P + 6, 0xe0);
    outb(P + 7, ATA_CMD_SET_MULTIPLE_MODE);
    ck_assert_uint_eq(inb(P + 7), ST_READY);

    /* 10 sectors in blocks of 4, 4, 2: an interrupt each. */
    irqrec[0].rises = 0;
    task_lba28(P, 0, 20, 10);
    outb(P + 7, ATA_CMD_READ_MULTIPLE);
    int at = 0;
    for (int b = 0; b < 3; b++) {
        int n = b < 2 ? 4 : 2;
        ck_assert_int_eq(irqrec[0].level, 1);
        ck_assert_uint_eq(inb(P + 7), ST_DRQ);
        for (int s = 0; s < n; s++, at++) {
            read_sector(P, buf + at * 512);
            if (s < n - 1)
                ck_assert_uint_eq(inb(CTL), ST_DRQ);  /* DRQ through the block */
        }
        ck_assert_int_eq(irqrec[0].level, b < 2);   /* next block, or the end */
    }
    ck_assert_int_eq(irqrec[0].rises, 3);
    ck_assert_uint_eq(inb(P + 7), ST_READY);
    check_pattern(buf, 20, 10);

    /* WRITE MULTIPLE 6 sectors: blocks 4 and 2. */
    for (int i = 0; i < (int)sizeof(data); i++)
        data[i] = (uint8_t)(i * 11);
    irqrec[0].rises = 0;
    task_lba28(P, 0, 40, 6);
    outb(P + 7, ATA_CMD_WRITE_MULTIPLE);
    ck_assert_uint_eq(inb(CTL), ST_DRQ);
    for (int s = 0; s < 4; s++) {
        ck_assert_int_eq(irqrec[0].level, 0);
        write_sector(P, data + s * 512);
    }
    ck_assert_int_eq(irqrec[0].level, 1);
    ck_assert_uint_eq(inb(P + 7), ST_DRQ);
    write_sector(P, data + 4 * 512);
    ck_assert_int_eq(irqrec[0].level, 0);
    write_sector(P, data + 5 * 512);
    ck_assert_int_eq(irqrec[0].level, 1);
    ck_assert_uint_eq(inb(P + 7), ST_READY);
    ck_assert_int_eq(irqrec[0].rises, 2);
    file_bytes(path, 40 * 512, back, sizeof(back));
    ck_assert_mem_eq(back, data, sizeof(data));

    /* Block sizes the device does not have: ABRT; 0 disables, and then
     * READ/WRITE MULTIPLE abort (§8.24). */
    outb(P + 2, 3);
    outb(P + 7, ATA_CMD_SET_MULTIPLE_MODE);
    ck_assert_uint_eq(inb(P + 7), ST_ERR);
    ck_assert_uint_eq(inb(P + 1), ATA_ER_ABRT);
    outb(P + 2, 32);
    outb(P + 7, ATA_CMD_SET_MULTIPLE_MODE);
    ck_assert_uint_eq(inb(P + 1), ATA_ER_ABRT);
    outb(P + 2, 0);
    outb(P + 7, ATA_CMD_SET_MULTIPLE_MODE);
    ck_assert_uint_eq(inb(P + 7), ST_READY);
    task_lba28(P, 0, 20, 2);
    outb(P + 7, ATA_CMD_READ_MULTIPLE);
    ck_assert_uint_eq(inb(P + 7), ST_ERR);
    ck_assert_uint_eq(inb(P + 1), ATA_ER_ABRT);
    outb(P + 7, ATA_CMD_WRITE_MULTIPLE);
    ck_assert_uint_eq(inb(P + 7), ST_ERR);
    uint16_t w[256];
    identify(P, w);
    ck_assert_uint_eq(w[59], 0);
}
END_TEST

START_TEST(past_the_end_is_idnf)
{
    uint8_t before[512], back[512], data[512];
    memset(data, 0xab, sizeof(data));
    file_bytes(path, 299 * 512, before, 512);

    task_lba28(P, 0, 299, 2);
    outb(P + 7, ATA_CMD_READ_SECTORS);
    ck_assert_int_eq(irqrec[0].level, 1);
    ck_assert_uint_eq(inb(P + 7), ST_ERR);
    ck_assert_uint_eq(inb(P + 1), ATA_ER_IDNF);
    ck_assert_uint_eq(inb(P + 3), 300 & 0xff);     /* first missing sector */
    ck_assert_uint_eq(inb(P + 4), 300 >> 8);
    ck_assert_uint_eq(inw(P), 0xffff);             /* no data */

    task_lba28(P, 0, 299, 2);
    outb(P + 7, ATA_CMD_WRITE_SECTORS);
    ck_assert_uint_eq(inb(P + 7), ST_ERR);
    ck_assert_uint_eq(inb(P + 1), ATA_ER_IDNF);
    write_sector(P, data);                          /* dropped */
    file_bytes(path, 299 * 512, back, 512);
    ck_assert_mem_eq(back, before, 512);
    ck_assert_int_eq(file_size(path), 300 * 512);

    task_lba28(P, 0, 100, 0);                       /* 256 sectors from 100 */
    outb(P + 7, ATA_CMD_READ_SECTORS);
    ck_assert_uint_eq(inb(P + 1), ATA_ER_IDNF);
    task_lba28(P, 0, 0x0fffffff, 1);
    outb(P + 7, ATA_CMD_READ_VERIFY);
    ck_assert_uint_eq(inb(P + 1), ATA_ER_IDNF);
    task_lba48(0xffffffffffffull, 0);               /* 65536 from the top */
    outb(P + 7, ATA_CMD_WRITE_SECTORS_EXT);
    ck_assert_uint_eq(inb(P + 7), ST_ERR);
    ck_assert_uint_eq(inb(P + 1), ATA_ER_IDNF);

    task_lba28(P, 0, 296, 4);                       /* the last four: fine */
    outb(P + 7, ATA_CMD_READ_VERIFY);
    ck_assert_uint_eq(inb(P + 7), ST_READY);
    ck_assert_uint_eq(inb(P + 1), 0);
}
END_TEST

START_TEST(absent_slave_and_empty_channel)
{
    outb(P + 6, 0xb0);                      /* the slave, absent */
    ck_assert_uint_eq(inb(P + 7), 0);
    ck_assert_uint_eq(inb(CTL), 0);
    outb(P + 7, ATA_CMD_IDENTIFY);
    ck_assert_uint_eq(inb(P + 7), 0);
    ck_assert_int_eq(irqrec[0].level, 0);
    outb(P + 7, ATA_CMD_READ_SECTORS);
    ck_assert_uint_eq(inb(P + 7), 0);
    outb(P + 6, 0xa0);                      /* the master is still there */
    ck_assert_uint_eq(inb(P + 7), ST_READY);

    for (int r = 0; r < 8; r++)
        ck_assert_uint_eq(inb(S + r), 0);
    ck_assert_uint_eq(inb(SCTL), 0);
    outb(S + 7, ATA_CMD_IDENTIFY);
    ck_assert_uint_eq(inb(S + 7), 0);
    ck_assert_int_eq(irqrec[1].level, 0);
    ck_assert_int_eq(irqrec[1].rises, 0);
}
END_TEST

START_TEST(slave_and_secondary_disks)
{
    make_image(path2, 64 * 512);
    open_image(&img2, path2, false);
    ide_attach_disk(&ide, 0, 1, &img2);
    uint16_t w[256];
    outb(P + 6, 0xb0);
    ck_assert_uint_eq(inb(P + 7), ST_READY);
    identify(P, w);
    ck_assert_uint_eq(w[60], 64);
    ck_assert_uint_eq(w[10] >> 8, 'G');

    /* The master's pending interrupt shows only while it is selected. */
    uint8_t buf[512];
    task_lba28(P, 0, 1, 1);
    outb(P + 7, ATA_CMD_READ_SECTORS);
    ck_assert_int_eq(irqrec[0].level, 1);
    outb(P + 6, 0xb0);
    ck_assert_int_eq(irqrec[0].level, 0);
    ck_assert_uint_eq(inb(P + 7), ST_READY);    /* the slave's */
    outb(P + 6, 0xe0);
    ck_assert_int_eq(irqrec[0].level, 1);
    ck_assert_uint_eq(inb(P + 7), ST_DRQ);
    read_sector(P, buf);
    check_pattern(buf, 1, 1);

    /* EXECUTE DEVICE DIAGNOSTIC: both devices, device 0 reports. */
    outb(P + 6, 0xb0);
    outb(P + 7, ATA_CMD_EXECUTE_DIAGNOSTIC);
    ck_assert_int_eq(irqrec[0].level, 1);
    ck_assert_uint_eq(inb(P + 6) & ATA_DEV_DEV, 0);
    ck_assert_uint_eq(inb(P + 1), 0x01);
    ck_assert_uint_eq(inb(P + 2), 1);
    ck_assert_uint_eq(inb(P + 3), 1);
    ck_assert_uint_eq(inb(P + 4), 0);
    ck_assert_uint_eq(inb(P + 5), 0);
    ck_assert_uint_eq(inb(P + 7), ST_READY);
    ck_assert_int_eq(irqrec[0].level, 0);

    /* The same disk on the secondary channel raises IRQ 15. */
    ide_attach_disk(&ide, 0, 1, NULL);
    ide_attach_disk(&ide, 1, 0, &img2);
    task_lba28(S, 0, 63, 1);
    outb(S + 7, ATA_CMD_READ_SECTORS);
    ck_assert_int_eq(irqrec[1].level, 1);
    ck_assert_int_eq(irqrec[0].level, 0);
    ck_assert_uint_eq(inb(S + 7), ST_DRQ);
    read_sector(S, buf);
    check_pattern(buf, 63, 1);
    ck_assert_uint_eq(inb(SCTL), ST_READY);
}
END_TEST

START_TEST(nien_masks_the_line)
{
    outb(CTL, ATA_DC_NIEN);
    outb(P + 6, 0xe0);
    outb(P + 7, ATA_CMD_IDENTIFY);
    ck_assert_int_eq(irqrec[0].level, 0);
    ck_assert_uint_eq(inb(CTL), ST_DRQ);        /* polled */
    /* Clearing nIEN lets the pending interrupt through (§5.2.9). */
    outb(CTL, 0);
    ck_assert_int_eq(irqrec[0].level, 1);
    ck_assert_uint_eq(inb(P + 7), ST_DRQ);
    ck_assert_int_eq(irqrec[0].level, 0);
    for (int i = 0; i < 256; i++)
        inw(P);
    outb(CTL, ATA_DC_NIEN);
    outb(P + 7, ATA_CMD_FLUSH_CACHE);
    ck_assert_int_eq(irqrec[0].level, 0);
    ck_assert_uint_eq(inb(P + 7), ST_READY);
    outb(CTL, 0);
    ck_assert_int_eq(irqrec[0].level, 0);       /* acknowledged by the read */
}
END_TEST

START_TEST(alternate_status_does_not_acknowledge)
{
    outb(P + 6, 0xe0);
    outb(P + 7, ATA_CMD_FLUSH_CACHE);
    ck_assert_int_eq(irqrec[0].level, 1);
    ck_assert_uint_eq(inb(CTL), ST_READY);
    ck_assert_uint_eq(inb(CTL), ST_READY);
    ck_assert_int_eq(irqrec[0].level, 1);
    ck_assert_uint_eq(inb(P + 7), ST_READY);
    ck_assert_int_eq(irqrec[0].level, 0);
    /* A new command clears a pending interrupt before it starts. */
    outb(P + 7, ATA_CMD_FLUSH_CACHE);
    ck_assert_int_eq(irqrec[0].level, 1);
    int rises = irqrec[0].rises;
    outb(P + 7, ATA_CMD_FLUSH_CACHE_EXT);
    ck_assert_int_eq(irqrec[0].rises, rises + 1);
}
END_TEST

START_TEST(software_reset_signature)
{
    task_lba28(P, 0, 0x55, 7);
    outb(P + 7, ATA_CMD_READ_SECTORS);          /* a transfer in progress */
    ck_assert_int_eq(irqrec[0].level, 1);
    outb(CTL, ATA_DC_SRST);
    ck_assert_uint_eq(inb(CTL), ATA_SR_BSY);
    ck_assert_int_eq(irqrec[0].level, 0);
    outb(CTL, 0);
    ck_assert_int_eq(irqrec[0].level, 0);       /* no interrupt after SRST */
    ck_assert_uint_eq(inb(P + 7), ST_READY);
    ck_assert_uint_eq(inb(P + 1), 0x01);
    ck_assert_uint_eq(inb(P + 2), 0x01);
    ck_assert_uint_eq(inb(P + 3), 0x01);
    ck_assert_uint_eq(inb(P + 4), 0x00);
    ck_assert_uint_eq(inb(P + 5), 0x00);
    ck_assert_uint_eq(inb(P + 6) & ATA_DEV_DEV, 0);
    ck_assert_uint_eq(inw(P), 0xffff);          /* the transfer is gone */
}
END_TEST

START_TEST(read_only_image_aborts_writes)
{
    uint8_t before[300 * 512], after[300 * 512], data[512], buf[512];
    file_bytes(path, 0, before, sizeof(before));
    disk_image_close(&img);
    open_image(&img, path, true);
    ide_attach_disk(&ide, 0, 0, &img);
    memset(data, 0xcc, sizeof(data));

    task_lba28(P, 0, 3, 1);
    outb(P + 7, ATA_CMD_WRITE_SECTORS);
    ck_assert_int_eq(irqrec[0].level, 1);
    ck_assert_uint_eq(inb(P + 7), ST_ERR);
    ck_assert_uint_eq(inb(P + 1), ATA_ER_ABRT);
    write_sector(P, data);
    task_lba28(P, 0, 3, 2);
    outb(P + 7, ATA_CMD_WRITE_MULTIPLE);
    ck_assert_uint_eq(inb(P + 1), ATA_ER_ABRT);
    task_lba48(3, 1);
    outb(P + 7, ATA_CMD_WRITE_SECTORS_EXT);
    ck_assert_uint_eq(inb(P + 1), ATA_ER_ABRT);
    ck_assert(img.warned_readonly);

    task_lba28(P, 0, 3, 1);                     /* reads work */
    outb(P + 7, ATA_CMD_READ_SECTORS);
    ck_assert_uint_eq(inb(P + 7), ST_DRQ);
    read_sector(P, buf);
    check_pattern(buf, 3, 1);
    outb(P + 7, ATA_CMD_FLUSH_CACHE);
    ck_assert_uint_eq(inb(P + 7), ST_READY);

    file_bytes(path, 0, after, sizeof(after));
    ck_assert_mem_eq(after, before, sizeof(before));
}
END_TEST

START_TEST(flush_cache_and_write_cache_off)
{
    uint8_t data[512], back[512];
    outb(P + 6, 0xe0);
    outb(P + 7, ATA_CMD_FLUSH_CACHE);
    ck_assert_uint_eq(inb(P + 7), ST_READY);
    ck_assert_uint_eq(inb(P + 1), 0);
    outb(P + 7, ATA_CMD_FLUSH_CACHE_EXT);
    ck_assert_uint_eq(inb(P + 7), ST_READY);

    outb(P + 1, 0x82);                          /* SET FEATURES: write cache off */
    outb(P + 7, ATA_CMD_SET_FEATURES);
    ck_assert_uint_eq(inb(P + 7), ST_READY);
    uint16_t w[256];
    identify(P, w);
    ck_assert(!(w[85] & (1 << 5)));
    memset(data, 0x3c, sizeof(data));
    task_lba28(P, 0, 7, 1);
    outb(P + 7, ATA_CMD_WRITE_SECTORS);
    write_sector(P, data);
    ck_assert_uint_eq(inb(P + 7), ST_READY);
    file_bytes(path, 7 * 512, back, 512);
    ck_assert_mem_eq(back, data, 512);
    outb(P + 1, 0x03);                          /* set transfer mode: accepted */
    outb(P + 2, 0x0c);
    outb(P + 7, ATA_CMD_SET_FEATURES);
    ck_assert_uint_eq(inb(P + 7), ST_READY);
}
END_TEST

START_TEST(partial_last_sector)
{
    disk_image_close(&img);
    make_image(path, 1000);
    open_image(&img, path, false);
    ide_attach_disk(&ide, 0, 0, &img);
    uint16_t w[256];
    outb(P + 6, 0xe0);
    identify(P, w);
    ck_assert_uint_eq(w[60], 2);
    uint8_t buf[512];
    task_lba28(P, 0, 1, 1);
    outb(P + 7, ATA_CMD_READ_SECTORS);
    ck_assert_uint_eq(inb(P + 7), ST_DRQ);
    read_sector(P, buf);
    for (int i = 0; i < 488; i++)
        ck_assert_uint_eq(buf[i], pattern(512 + i));
    for (int i = 488; i < 512; i++)
        ck_assert_uint_eq(buf[i], 0);
}
END_TEST

START_TEST(other_commands_abort)
{
    static const uint8_t cmds[] = {
        0x00, ATA_CMD_IDENTIFY_PACKET, ATA_CMD_PACKET, 0x25, 0xc8, 0xca, 0xff, 0x08,
    };
    outb(P + 6, 0xe0);
    for (size_t i = 0; i < sizeof(cmds); i++) {
        outb(P + 7, cmds[i]);
        ck_assert_int_eq(irqrec[0].level, 1);
        ck_assert_uint_eq(inb(P + 7), ST_ERR);
        ck_assert_uint_eq(inb(P + 1), ATA_ER_ABRT);
    }
    outb(P + 7, ATA_CMD_CHECK_POWER_MODE);
    ck_assert_uint_eq(inb(P + 7), ST_READY);
    ck_assert_uint_eq(inb(P + 2), 0xff);
    outb(P + 7, ATA_CMD_RECALIBRATE);
    ck_assert_uint_eq(inb(P + 7), ST_READY);
}
END_TEST

/* A new command during a write: the DRQ blocks already taken reach the
 * file, the partial one does not. */
START_TEST(interrupted_write_keeps_completed_blocks)
{
    uint8_t data[512], back[512], before[512];
    memset(data, 0x5e, sizeof(data));
    file_bytes(path, 61 * 512, before, 512);
    task_lba28(P, 0, 60, 3);
    outb(P + 7, ATA_CMD_WRITE_SECTORS);
    write_sector(P, data);
    for (int i = 0; i < 100; i++)
        outw(P, 0x1111);
    outb(P + 7, ATA_CMD_FLUSH_CACHE);
    ck_assert_uint_eq(inb(P + 7), ST_READY);
    file_bytes(path, 60 * 512, back, 512);
    ck_assert_mem_eq(back, data, 512);
    file_bytes(path, 61 * 512, back, 512);
    ck_assert_mem_eq(back, before, 512);
}
END_TEST

static struct ide *fresh_ide_with_disk(struct disk_image *im, struct irq_rec *rec)
{
    struct ide *c = malloc(sizeof(*c));
    ck_assert_ptr_nonnull(c);
    ide_init(c);
    irq_line_connect(&c->channel[0].irq, irq_handler, rec, IDE_PRIMARY_IRQ);
    if (im)
        ide_attach_disk(c, 0, 0, im);
    return c;
}

/* The whole state of c, in a buffer of *need bytes for the caller to free. */
static uint8_t *save_state(const struct ide *c, size_t *need)
{
    *need = ide_save(c, NULL, 0);
    uint8_t *state = malloc(*need);
    ck_assert_ptr_nonnull(state);
    ck_assert_uint_eq(ide_save(c, state, *need), *need);
    return state;
}

/* A new controller with img as its primary master, loaded from state. */
static struct ide *load_copy(const uint8_t *state, size_t need, struct irq_rec *rec)
{
    struct ide *copy = fresh_ide_with_disk(&img, rec);
    ck_assert_int_eq(ide_load(copy, state, need), 0);
    return copy;
}

START_TEST(save_load_mid_read)
{
    uint8_t buf[3 * 512];
    task_lba28(P, 0, 7, 3);
    outb(P + 7, ATA_CMD_READ_SECTORS);
    inb(P + 7);
    read_sector(P, buf);
    for (int i = 0; i < 100; i++) {
        uint16_t v = inw(P);
        memcpy(buf + 512 + 2 * i, &v, 2);
    }
    size_t need;
    uint8_t *state = save_state(&ide, &need);
    ck_assert_uint_gt(need, 512);
    uint8_t tiny[4];
    ck_assert_uint_eq(ide_save(&ide, tiny, sizeof(tiny)), 0);   /* too small */

    struct irq_rec rec = { 0, 0 };
    struct ide *copy = load_copy(state, need, &rec);
    ck_assert_int_eq(rec.level, 1);         /* the second block's interrupt */
    struct ide_channel *ch = &copy->channel[0];
    ck_assert_uint_eq(ide_read(ch, ATA_STATUS, 1), ST_DRQ);
    for (int i = 100; i < 256; i++) {
        uint16_t v = (uint16_t)ide_read(ch, ATA_DATA, 2);
        memcpy(buf + 512 + 2 * i, &v, 2);
    }
    ck_assert_uint_eq(ide_read(ch, ATA_STATUS, 1), ST_DRQ);
    for (int i = 0; i < 256; i++) {
        uint16_t v = (uint16_t)ide_read(ch, ATA_DATA, 2);
        memcpy(buf + 1024 + 2 * i, &v, 2);
    }
    ck_assert_uint_eq(ide_read(ch, ATA_STATUS, 1), ST_READY);
    check_pattern(buf, 7, 3);

    /* Broken states are refused and leave the device as it was. */
    ck_assert_int_eq(ide_load(copy, state, need - 1), -EINVAL);
    ck_assert_int_eq(ide_load(copy, state, 2), -EINVAL);
    ck_assert_int_eq(ide_load(copy, NULL, 0), -EINVAL);
    state[2] = 99;
    ck_assert_int_eq(ide_load(copy, state, need), -EINVAL);
    state[2] = 1;
    struct ide *diskless = fresh_ide_with_disk(NULL, &rec);
    ck_assert_int_eq(ide_load(diskless, state, need), -EINVAL);
    ck_assert_uint_eq(ide_read(ch, ATA_STATUS, 1), ST_READY);
    free(diskless);
    free(copy);
    free(state);
}
END_TEST

START_TEST(save_load_mid_write)
{
    uint8_t data[5 * 512], back[5 * 512];
    for (int i = 0; i < (int)sizeof(data); i++)
        data[i] = (uint8_t)(i * 5 + 2);
    outb(P + 2, 2);
    outb(P + 6, 0xe0);
    outb(P + 7, ATA_CMD_SET_MULTIPLE_MODE);
    inb(P + 7);
    task_lba28(P, 0, 50, 5);
    outb(P + 7, ATA_CMD_WRITE_MULTIPLE);
    write_sector(P, data);
    write_sector(P, data + 512);
    inb(P + 7);
    for (int i = 0; i < 128; i++)
        outw(P, (uint16_t)(data[1024 + 2 * i] | data[1024 + 2 * i + 1] << 8));

    size_t need;
    uint8_t *state = save_state(&ide, &need);
    struct irq_rec rec = { 0, 0 };
    struct ide *copy = load_copy(state, need, &rec);
    struct ide_channel *ch = &copy->channel[0];
    for (int i = 128; i < 256; i++)
        ide_write(ch, ATA_DATA, 2, (uint16_t)(data[1024 + 2 * i] | data[1025 + 2 * i] << 8));
    for (int i = 0; i < 2 * 256; i++)
        ide_write(ch, ATA_DATA, 2, (uint16_t)(data[1536 + 2 * i] | data[1537 + 2 * i] << 8));
    ck_assert_int_eq(rec.level, 1);
    ck_assert_uint_eq(ide_read(ch, ATA_STATUS, 1), ST_READY);
    file_bytes(path, 50 * 512, back, sizeof(back));
    ck_assert_mem_eq(back, data, sizeof(data));
    free(copy);
    free(state);
}
END_TEST

START_TEST(idle_state_round_trip)
{
    outb(P + 2, 8);
    outb(P + 6, 0xe0);
    outb(P + 7, ATA_CMD_SET_MULTIPLE_MODE);
    outb(CTL, ATA_DC_NIEN);
    size_t need;
    uint8_t *state = save_state(&ide, &need);
    struct irq_rec rec = { 0, 0 };
    struct ide *copy = load_copy(state, need, &rec);
    ck_assert_uint_eq(copy->channel[0].drive[0].multiple, 8);
    ck_assert_uint_eq(copy->channel[0].device_control, ATA_DC_NIEN);
    ck_assert_int_eq(rec.level, 0);
    size_t again;
    uint8_t *state2 = save_state(copy, &again);
    ck_assert_uint_eq(again, need);
    ck_assert_mem_eq(state, state2, need);
    free(state2);
    free(copy);
    free(state);
}
END_TEST

/* Any value to any register, in any order: glass survives (under ASan in
 * the SAN build) and the device stays coherent. */
START_TEST(random_guest_never_crashes)
{
    make_image(path2, 40 * 512 + 100);
    open_image(&img2, path2, false);
    ide_attach_disk(&ide, 0, 1, &img2);
    static const uint16_t ports[] = {
        P, P + 1, P + 2, P + 3, P + 4, P + 5, P + 6, P + 7, CTL,
        S, S + 1, S + 2, S + 3, S + 4, S + 5, S + 6, S + 7, SCTL,
    };
    static const uint8_t cmds[] = {
        0x20, 0x24, 0x29, 0x30, 0x34, 0x39, 0x40, 0x90, 0x91, 0xc4, 0xc5, 0xc6,
        0xe7, 0xea, 0xec, 0xef, 0xa1,
    };
    unsigned seed = 12345;
    for (int i = 0; i < 400000; i++) {
        seed = seed * 1103515245u + 12345u;
        unsigned r = seed >> 8;
        uint16_t port = ports[r % 18];
        int size = 1 << ((r >> 5) % 3);
        uint32_t val = seed * 2654435761u;
        if ((r >> 8) % 64 == 0)
            val = cmds[(r >> 14) % sizeof(cmds)];
        if ((port & 7) == 6 && port != CTL && port != SCTL && (r >> 20) % 2)
            val = (val & 0x1f) | 0xe0;      /* mostly LBA addressing */
        if ((port == CTL || port == SCTL) && (r >> 20) % 4)
            val &= ~(uint32_t)ATA_DC_SRST;
        if ((r >> 12) % 3 == 0)
            iobus_write(&bus, port, size, val);
        else
            iobus_read(&bus, port, size);
    }
    size_t need;
    uint8_t *state = save_state(&ide, &need);
    ck_assert_int_eq(ide_load(&ide, state, need), 0);
    free(state);
    /* A reset brings it back to a known state. */
    outb(CTL, ATA_DC_SRST);
    outb(CTL, 0);
    ck_assert_uint_eq(inb(P + 7), ST_READY);
    ck_assert_int_eq(file_size(path), 300 * 512);
}
END_TEST

/* Loading random bytes as a state: refused or accepted, never a crash. */
START_TEST(random_states_never_crash)
{
    size_t need = ide_save(&ide, NULL, 0);
    uint8_t *state = malloc(need);
    unsigned seed = 99;
    for (int i = 0; i < 2000; i++) {
        ide_save(&ide, state, need);
        for (int k = 0; k < 4; k++) {
            seed = seed * 1103515245u + 12345u;
            state[3 + (seed >> 8) % (need - 3)] = (uint8_t)(seed >> 3);
        }
        if (ide_load(&ide, state, need) == 0) {
            for (int k = 0; k < 600; k++) {
                inw(P);
                outw(P, (uint16_t)k);
            }
            inb(P + 7);
        }
        ide_reset(&ide);
    }
    free(state);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("ide");
    TCase *tc = tcase_create("ata");
    tcase_set_timeout(tc, 60);
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, identify_fields);
    tcase_add_test(tc, lba28_read_interrupts_per_block);
    tcase_add_test(tc, lba28_write_reaches_the_file);
    tcase_add_test(tc, dword_data_access_and_count_zero_is_256);
    tcase_add_test(tc, lba48_read_write_above_28_bits);
    tcase_add_test(tc, chs_through_the_translation);
    tcase_add_test(tc, multiple_blocks);
    tcase_add_test(tc, past_the_end_is_idnf);
    tcase_add_test(tc, absent_slave_and_empty_channel);
    tcase_add_test(tc, slave_and_secondary_disks);
    tcase_add_test(tc, nien_masks_the_line);
    tcase_add_test(tc, alternate_status_does_not_acknowledge);
    tcase_add_test(tc, software_reset_signature);
    tcase_add_test(tc, read_only_image_aborts_writes);
    tcase_add_test(tc, flush_cache_and_write_cache_off);
    tcase_add_test(tc, partial_last_sector);
    tcase_add_test(tc, other_commands_abort);
    tcase_add_test(tc, interrupted_write_keeps_completed_blocks);
    tcase_add_test(tc, save_load_mid_read);
    tcase_add_test(tc, save_load_mid_write);
    tcase_add_test(tc, idle_state_round_trip);
    tcase_add_test(tc, random_guest_never_crashes);
    tcase_add_test(tc, random_states_never_crash);
    suite_add_tcase(s, tc);
    return run_suite(s);
}
