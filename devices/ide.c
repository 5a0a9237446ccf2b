/* The legacy IDE controller and its ATA disks, after ATA/ATAPI-6.
 * References name ATA-6's clauses (T13/1410D): "ATA-6, <clause title>". */
#include "devices/ide.h"

#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "devices/disk_image.h"
#include "devices/iobus.h"

#define SECTOR 512u
#define BUF_BYTES (IDE_BUF_SECTORS * SECTOR)
#define LBA28_MAX 0x0fffffffull
#define LBA48_MAX 0xffffffffffffull

/* The default CHS translation (identify words 1, 3, 6): 16 heads, 63
 * sectors a track, as many cylinders as fit, at most 16383 (ATA-6,
 * IDENTIFY DEVICE, words 1-6). */
#define DEFAULT_HEADS 16
#define DEFAULT_SPT 63
#define MAX_CYLINDERS 16383

/* The diagnostic code in the Error register after a reset or EXECUTE DEVICE
 * DIAGNOSTIC: 01h, device 0 passed and device 1 passed or absent (ATA-6,
 * EXECUTE DEVICE DIAGNOSTIC, diagnostic codes). */
#define DIAG_PASSED 0x01

static struct ide_drive *selected(struct ide_channel *ch)
{
    return &ch->drive[(ch->drive[0].device & ATA_DEV_DEV) ? 1 : 0];
}

static bool channel_empty(const struct ide_channel *ch)
{
    return !ch->drive[0].img && !ch->drive[1].img;
}

static uint32_t min_u32(uint32_t a, uint32_t b)
{
    return a < b ? a : b;
}

/* --- interrupts (ATA-6, signal descriptions: INTRQ) --- */

/* INTRQ follows the selected device's interrupt pending, unless nIEN. */
static void update_irq(struct ide_channel *ch)
{
    struct ide_drive *d = selected(ch);
    uint8_t level = d->img && d->irq_pending && !(ch->device_control & ATA_DC_NIEN);
    if (level != ch->irq_level) {
        ch->irq_level = level;
        irq_set_level(&ch->irq, level);
    }
}

static void raise_irq(struct ide_channel *ch, struct ide_drive *d)
{
    d->irq_pending = 1;
    update_irq(ch);
}

/* --- geometry --- */

static uint32_t default_cylinders(const struct ide_drive *d)
{
    uint64_t c = disk_image_sectors(d->img) / (DEFAULT_HEADS * DEFAULT_SPT);
    if (c > MAX_CYLINDERS)
        c = MAX_CYLINDERS;
    return c ? (uint32_t)c : 1;
}

/* Cylinders of the current translation (identify word 54). */
static uint32_t current_cylinders(const struct ide_drive *d)
{
    if (!d->cur_heads || !d->cur_spt)
        return 0;
    uint64_t c = disk_image_sectors(d->img) / ((uint64_t)d->cur_heads * d->cur_spt);
    return c > 65535 ? 65535 : c ? (uint32_t)c : 1;
}

/* --- resets and signatures --- */

/* The ATA device signature (ATA-6, signature and persistence): Sector
 * Count 01h, LBA Low 01h, LBA Mid and LBA High 00h, Device 00h (so device 0
 * is selected afterwards). */
static void set_signature(struct ide_drive *d)
{
    d->sector_count = 1;
    d->lba_low = 1;
    d->lba_mid = 0;
    d->lba_high = 0;
    d->device = 0;
    d->hob_sector_count = d->hob_lba_low = d->hob_lba_mid = d->hob_lba_high = 0;
    d->error = DIAG_PASSED;
}

static void transfer_end(struct ide_drive *d)
{
    d->xfer = IDE_XFER_NONE;
    d->pos = d->block_end = d->buf_len = 0;
    d->xfer_remaining = 0;
}

/* A command cut short (a new command, a reset): the DRQ blocks a write had
 * completed are on their way to the medium on a real disk; write them. */
static void transfer_abandon(struct ide_drive *d)
{
    if (d->xfer == IDE_XFER_OUT && d->img) {
        uint32_t cur = min_u32(d->xfer_block, d->xfer_remaining) * SECTOR;
        uint32_t done = d->block_end >= cur ? d->block_end - cur : 0;
        if (done >= SECTOR)
            disk_image_write(d->img, d->xfer_lba, done / SECTOR, d->buf);
    }
    transfer_end(d);
}

/* After a reset the device is ready with its signature (ATA-6, software
 * reset protocol; signature and persistence). */
static void drive_ready(struct ide_drive *d)
{
    transfer_abandon(d);
    set_signature(d);
    d->status = d->img ? ATA_SR_DRDY | ATA_SR_DSC : 0;
    d->irq_pending = 0;
}

/* Power-on defaults of the settings. */
static void drive_power_on(struct ide_drive *d)
{
    d->features = d->hob_features = 0;
    d->multiple = IDE_MAX_MULTIPLE;     /* as QEMU: multiple mode on */
    d->write_cache = 1;
    d->cur_heads = DEFAULT_HEADS;
    d->cur_spt = DEFAULT_SPT;
    drive_ready(d);
}

static void channel_reset(struct ide_channel *ch)
{
    ch->device_control = 0;
    for (int u = 0; u < 2; u++)
        drive_power_on(&ch->drive[u]);
    update_irq(ch);
}

void ide_reset(struct ide *c)
{
    for (int i = 0; i < 2; i++)
        channel_reset(&c->channel[i]);
}

void ide_init(struct ide *c)
{
    memset(c, 0, sizeof(*c));
    c->channel[0].cmd_base = IDE_PRIMARY_CMD;
    c->channel[0].ctl_base = IDE_PRIMARY_CTL;
    c->channel[1].cmd_base = IDE_SECONDARY_CMD;
    c->channel[1].ctl_base = IDE_SECONDARY_CTL;
    c->channel[1].index = 1;
    ide_reset(c);
}

int ide_attach_disk(struct ide *c, int channel, int unit, struct disk_image *img)
{
    if (channel < 0 || channel > 1 || unit < 0 || unit > 1)
        return -EINVAL;
    struct ide_drive *d = &c->channel[channel].drive[unit];
    transfer_abandon(d);
    d->img = img;
    drive_power_on(d);
    update_irq(&c->channel[channel]);
    return 0;
}

/* --- IDENTIFY DEVICE data (ATA-6, IDENTIFY DEVICE) --- */

/* ATA strings: two characters a word, the first in the high byte. */
static void put_string(uint16_t *w, int first, int nwords, const char *s)
{
    size_t len = strlen(s);
    for (int i = 0; i < nwords * 2; i++) {
        uint8_t ch = (size_t)i < len ? (uint8_t)s[i] : ' ';
        if (i & 1)
            w[first + i / 2] |= ch;
        else
            w[first + i / 2] = (uint16_t)(ch << 8);
    }
}

static void identify_data(const struct ide_channel *ch, const struct ide_drive *d,
                          uint8_t out[SECTOR])
{
    uint16_t w[256];
    memset(w, 0, sizeof(w));
    uint64_t sectors = disk_image_sectors(d->img);
    uint64_t lba28 = sectors > LBA28_MAX ? LBA28_MAX : sectors;
    uint64_t lba48 = sectors > LBA48_MAX ? LBA48_MAX : sectors;
    uint32_t cur_cyl = current_cylinders(d);
    uint32_t cur_cap = cur_cyl * d->cur_heads * d->cur_spt;
    char serial[21];
    snprintf(serial, sizeof(serial), "GLASS%04d", ch->index * 2 + (int)(d - ch->drive));

    w[0] = 0x0040;                      /* fixed device, ATA */
    w[1] = (uint16_t)default_cylinders(d);
    w[3] = DEFAULT_HEADS;
    w[6] = DEFAULT_SPT;
    put_string(w, 10, 10, serial);
    put_string(w, 23, 4, "1.0");        /* firmware revision */
    put_string(w, 27, 20, "GLASS HARDDISK");
    w[47] = 0x8000 | IDE_MAX_MULTIPLE;  /* READ/WRITE MULTIPLE up to 16 */
    w[49] = (1 << 11) | (1 << 9);       /* IORDY, LBA; no DMA (bit 8) */
    w[50] = 0x4000;
    w[51] = 0x0200;                     /* PIO mode 2 timing (obsolete) */
    w[53] = 0x0003;                     /* words 54-58 and 64-70 valid */
    w[54] = (uint16_t)cur_cyl;
    w[55] = d->cur_heads;
    w[56] = d->cur_spt;
    w[57] = (uint16_t)cur_cap;
    w[58] = (uint16_t)(cur_cap >> 16);
    w[59] = d->multiple ? 0x0100 | d->multiple : 0;
    w[60] = (uint16_t)lba28;
    w[61] = (uint16_t)(lba28 >> 16);
    w[64] = 0x0003;                     /* PIO modes 3 and 4 */
    w[65] = w[66] = w[67] = w[68] = 120;
    w[80] = 0x007e;                     /* ATA-1 .. ATA-6 */
    w[82] = (1 << 5);                   /* write cache */
    w[83] = 0x4000 | (1 << 13) | (1 << 12) | (1 << 10); /* FLUSH EXT, FLUSH, 48-bit */
    w[84] = 0x4000;
    w[85] = d->write_cache ? (1 << 5) : 0;
    w[86] = (1 << 13) | (1 << 12) | (1 << 10);
    w[87] = 0x4000;
    w[100] = (uint16_t)lba48;
    w[101] = (uint16_t)(lba48 >> 16);
    w[102] = (uint16_t)(lba48 >> 32);
    w[103] = 0;

    for (int i = 0; i < 256; i++) {
        out[2 * i] = (uint8_t)w[i];
        out[2 * i + 1] = (uint8_t)(w[i] >> 8);
    }
    /* Word 255: signature A5h and a checksum making all 512 bytes sum to
     * zero (ATA-6, IDENTIFY DEVICE, word 255 integrity word). */
    uint8_t sum = 0xa5;
    for (int i = 0; i < 510; i++)
        sum += out[i];
    out[510] = 0xa5;
    out[511] = (uint8_t)-sum;
}

/* --- addressing --- */

static bool is_ext(uint8_t cmd)
{
    switch (cmd) {
    case ATA_CMD_READ_SECTORS_EXT: case ATA_CMD_READ_MULTIPLE_EXT:
    case ATA_CMD_WRITE_SECTORS_EXT: case ATA_CMD_WRITE_MULTIPLE_EXT:
    case ATA_CMD_READ_VERIFY_EXT:
        return true;
    default:
        return false;
    }
}

/* The command's first sector: 48-bit LBA from the register pairs (ATA-6,
 * 48-bit Address feature set), 28-bit LBA, or CHS through the current
 * translation (ATA-6, CHS to LBA translation):
 * LBA = (cylinder * heads + head) * sectors per track + sector - 1.
 * -1 for a CHS address outside the translation. */
static int command_lba(const struct ide_drive *d, bool ext, uint64_t *lba)
{
    if (ext) {
        *lba = (uint64_t)d->hob_lba_high << 40 | (uint64_t)d->hob_lba_mid << 32 |
               (uint64_t)d->hob_lba_low << 24 | (uint64_t)d->lba_high << 16 |
               (uint64_t)d->lba_mid << 8 | d->lba_low;
        return 0;
    }
    if (d->device & ATA_DEV_LBA) {
        *lba = (uint64_t)(d->device & ATA_DEV_HEAD) << 24 |
               (uint64_t)d->lba_high << 16 | (uint64_t)d->lba_mid << 8 | d->lba_low;
        return 0;
    }
    uint32_t cyl = (uint32_t)d->lba_high << 8 | d->lba_mid;
    uint32_t head = d->device & ATA_DEV_HEAD, sec = d->lba_low;
    /* A cylinder past the end is caught by the range check, as IDNF too. */
    if (!d->cur_heads || !d->cur_spt || head >= d->cur_heads || sec == 0 ||
        sec > d->cur_spt)
        return -1;
    *lba = ((uint64_t)cyl * d->cur_heads + head) * d->cur_spt + sec - 1;
    return 0;
}

/* A count of 0 means 256 sectors, or 65536 for 48-bit commands. */
static uint32_t command_count(const struct ide_drive *d, bool ext)
{
    if (ext) {
        uint32_t n = (uint32_t)d->hob_sector_count << 8 | d->sector_count;
        return n ? n : 65536;
    }
    return d->sector_count ? d->sector_count : 256;
}

/* On an error the LBA registers hold the first sector in error (ATA-6, READ SECTORS
 * error outputs), in LBA modes; a CHS address is left as written. */
static void report_lba(struct ide_drive *d, bool ext, uint64_t lba)
{
    if (!ext && !(d->device & ATA_DEV_LBA))
        return;
    d->lba_low = (uint8_t)lba;
    d->lba_mid = (uint8_t)(lba >> 8);
    d->lba_high = (uint8_t)(lba >> 16);
    if (ext) {
        d->hob_lba_low = (uint8_t)(lba >> 24);
        d->hob_lba_mid = (uint8_t)(lba >> 32);
        d->hob_lba_high = (uint8_t)(lba >> 40);
    } else {
        d->device = (uint8_t)((d->device & ~ATA_DEV_HEAD) | ((lba >> 24) & ATA_DEV_HEAD));
    }
}

/* --- command completion --- */

static void command_done(struct ide_channel *ch, struct ide_drive *d)
{
    transfer_end(d);
    d->status = ATA_SR_DRDY | ATA_SR_DSC;
    raise_irq(ch, d);
}

static void command_error(struct ide_channel *ch, struct ide_drive *d, uint8_t error)
{
    transfer_end(d);
    d->error = error;
    d->status = ATA_SR_DRDY | ATA_SR_DSC | ATA_SR_ERR;
    raise_irq(ch, d);
}

/* --- PIO data-in (ATA-6, PIO data-in protocol): DRQ and an interrupt for
 * each block; after the last block DRQ clears and there is no interrupt --- */

static void data_in_block(struct ide_channel *ch, struct ide_drive *d)
{
    uint32_t cur = min_u32(d->xfer_block, d->xfer_remaining);
    if (d->pos + cur * SECTOR > d->buf_len) {
        /* The buffer is used up: one pread for the next run of sectors. */
        d->xfer_lba += d->pos / SECTOR;
        uint32_t n = min_u32(d->xfer_remaining, IDE_BUF_SECTORS);
        int r = disk_image_read(d->img, d->xfer_lba, n, d->buf);
        if (r < 0) {
            report_lba(d, is_ext(d->xfer_cmd), d->xfer_lba);
            command_error(ch, d, r == -ERANGE ? ATA_ER_IDNF : ATA_ER_UNC);
            return;
        }
        d->pos = 0;
        d->buf_len = n * SECTOR;
    }
    d->block_end = d->pos + cur * SECTOR;
    d->status = ATA_SR_DRDY | ATA_SR_DSC | ATA_SR_DRQ;
    raise_irq(ch, d);
}

static void data_in_block_done(struct ide_channel *ch, struct ide_drive *d)
{
    d->xfer_remaining -= min_u32(d->xfer_block, d->xfer_remaining);
    if (d->xfer_remaining == 0) {
        transfer_end(d);
        d->status = ATA_SR_DRDY | ATA_SR_DSC;
        return;
    }
    data_in_block(ch, d);
}

/* --- PIO data-out (ATA-6, PIO data-out protocol): DRQ without an
 * interrupt for the first block; an interrupt for each further block and at
 * completion --- */

static void data_out_block_done(struct ide_channel *ch, struct ide_drive *d)
{
    d->xfer_remaining -= min_u32(d->xfer_block, d->xfer_remaining);
    uint32_t next = min_u32(d->xfer_block, d->xfer_remaining);
    if (d->xfer_remaining == 0 || d->pos + next * SECTOR > BUF_BYTES) {
        /* One pwrite for the buffered blocks: on the file before the
         * command completes. */
        int r = disk_image_write(d->img, d->xfer_lba, d->pos / SECTOR, d->buf);
        if (r < 0) {
            report_lba(d, is_ext(d->xfer_cmd), d->xfer_lba);
            command_error(ch, d, r == -ERANGE ? ATA_ER_IDNF : ATA_ER_ABRT);
            return;
        }
        d->xfer_lba += d->pos / SECTOR;
        d->pos = 0;
    }
    if (d->xfer_remaining == 0) {
        if (!d->write_cache && disk_image_flush(d->img) < 0) {
            command_error(ch, d, ATA_ER_ABRT);
            return;
        }
        command_done(ch, d);
        return;
    }
    d->block_end = d->pos + next * SECTOR;
    d->status = ATA_SR_DRDY | ATA_SR_DSC | ATA_SR_DRQ;
    raise_irq(ch, d);
}

static uint32_t data_read(struct ide_channel *ch, struct ide_drive *d, int size)
{
    if (d->xfer != IDE_XFER_IN || !(d->status & ATA_SR_DRQ))
        return 0xffffffff;      /* nobody drives the bus */
    uint32_t n = min_u32((uint32_t)size, d->block_end - d->pos), val = 0xffffffff;
    for (uint32_t i = 0; i < n; i++) {
        val &= ~(0xffu << (8 * i));
        val |= (uint32_t)d->buf[d->pos + i] << (8 * i);
    }
    d->pos += n;
    if (d->pos >= d->block_end)
        data_in_block_done(ch, d);
    return val;
}

static void data_write(struct ide_channel *ch, struct ide_drive *d, int size,
                       uint32_t val)
{
    if (d->xfer != IDE_XFER_OUT || !(d->status & ATA_SR_DRQ))
        return;
    uint32_t n = min_u32((uint32_t)size, d->block_end - d->pos);
    for (uint32_t i = 0; i < n; i++)
        d->buf[d->pos + i] = (uint8_t)(val >> (8 * i));
    d->pos += n;
    if (d->pos >= d->block_end)
        data_out_block_done(ch, d);
}

/* --- commands (ATA-6, command descriptions) --- */

/* READ SECTORS / MULTIPLE (EXT) and READ VERIFY: the address checks. */
static int command_range(struct ide_channel *ch, struct ide_drive *d, bool ext,
                         uint64_t *lba, uint32_t *count)
{
    *count = command_count(d, ext);
    if (command_lba(d, ext, lba) < 0) {
        command_error(ch, d, ATA_ER_IDNF);
        return -1;
    }
    if (disk_image_check_range(d->img, *lba, *count) < 0) {
        /* IDNF: the address is past the last sector (ATA-6, READ SECTORS error outputs);
         * report the first sector that is not there. */
        uint64_t end = disk_image_sectors(d->img);
        uint64_t bad = *lba > end ? *lba : end;
        report_lba(d, ext, bad);
        command_error(ch, d, ATA_ER_IDNF);
        return -1;
    }
    return 0;
}

static void cmd_read(struct ide_channel *ch, struct ide_drive *d, uint8_t cmd,
                     uint8_t block)
{
    uint64_t lba;
    uint32_t count;
    if (command_range(ch, d, is_ext(cmd), &lba, &count) < 0)
        return;
    d->xfer = IDE_XFER_IN;
    d->xfer_cmd = cmd;
    d->xfer_block = block;
    d->xfer_remaining = count;
    d->xfer_lba = lba;
    d->pos = d->buf_len = 0;
    data_in_block(ch, d);
}

static void cmd_write(struct ide_channel *ch, struct ide_drive *d, uint8_t cmd,
                      uint8_t block)
{
    uint64_t lba;
    uint32_t count;
    if (command_range(ch, d, is_ext(cmd), &lba, &count) < 0)
        return;
    if (disk_image_writable(d->img) < 0) {
        command_error(ch, d, ATA_ER_ABRT);   /* read-only image */
        return;
    }
    d->xfer = IDE_XFER_OUT;
    d->xfer_cmd = cmd;
    d->xfer_block = block;
    d->xfer_remaining = count;
    d->xfer_lba = lba;
    d->pos = 0;
    d->buf_len = 0;
    d->block_end = min_u32(block, count) * SECTOR;
    d->status = ATA_SR_DRDY | ATA_SR_DSC | ATA_SR_DRQ;   /* no interrupt yet */
}

static void cmd_identify(struct ide_channel *ch, struct ide_drive *d)
{
    identify_data(ch, d, d->buf);
    d->xfer = IDE_XFER_IN;
    d->xfer_cmd = ATA_CMD_IDENTIFY;
    d->xfer_block = 1;
    d->xfer_remaining = 1;
    d->xfer_lba = 0;
    d->pos = 0;
    d->buf_len = d->block_end = SECTOR;
    d->status = ATA_SR_DRDY | ATA_SR_DSC | ATA_SR_DRQ;
    raise_irq(ch, d);
}

/* EXECUTE DEVICE DIAGNOSTIC: both devices run it whichever is selected;
 * device 0 reports with an interrupt (ATA-6, EXECUTE DEVICE DIAGNOSTIC). */
static void cmd_execute_diagnostic(struct ide_channel *ch)
{
    for (int u = 0; u < 2; u++)
        drive_ready(&ch->drive[u]);
    struct ide_drive *d = ch->drive[0].img ? &ch->drive[0] : &ch->drive[1];
    raise_irq(ch, d);
}

static void execute(struct ide_channel *ch, uint8_t cmd)
{
    if (channel_empty(ch))
        return;
    if (cmd == ATA_CMD_EXECUTE_DIAGNOSTIC) {
        cmd_execute_diagnostic(ch);
        return;
    }
    struct ide_drive *d = selected(ch);
    if (!d->img)
        return;                 /* no device answers */
    transfer_abandon(d);
    d->irq_pending = 0;         /* writing Command clears it (ATA-6, INTRQ) */
    update_irq(ch);
    d->error = 0;

    uint64_t lba;
    uint32_t count;
    switch (cmd) {
    case ATA_CMD_READ_SECTORS:
    case ATA_CMD_READ_SECTORS_NR:
    case ATA_CMD_READ_SECTORS_EXT:
        cmd_read(ch, d, cmd, 1);
        break;
    case ATA_CMD_READ_MULTIPLE:
    case ATA_CMD_READ_MULTIPLE_EXT:
        if (!d->multiple)       /* multiple mode disabled (ATA-6, READ MULTIPLE) */
            command_error(ch, d, ATA_ER_ABRT);
        else
            cmd_read(ch, d, cmd, d->multiple);
        break;
    case ATA_CMD_WRITE_SECTORS:
    case ATA_CMD_WRITE_SECTORS_NR:
    case ATA_CMD_WRITE_SECTORS_EXT:
        cmd_write(ch, d, cmd, 1);
        break;
    case ATA_CMD_WRITE_MULTIPLE:
    case ATA_CMD_WRITE_MULTIPLE_EXT:
        if (!d->multiple)
            command_error(ch, d, ATA_ER_ABRT);
        else
            cmd_write(ch, d, cmd, d->multiple);
        break;
    case ATA_CMD_READ_VERIFY:
    case ATA_CMD_READ_VERIFY_NR:
    case ATA_CMD_READ_VERIFY_EXT:
        if (command_range(ch, d, is_ext(cmd), &lba, &count) == 0)
            command_done(ch, d);
        break;
    case ATA_CMD_SET_MULTIPLE_MODE: {
        /* A block size the device does not support aborts (ATA-6, SET MULTIPLE MODE); 0
         * disables multiple mode.  Powers of two up to word 47's 16. */
        uint8_t n = d->sector_count;
        if (n > IDE_MAX_MULTIPLE || (n & (n - 1))) {
            command_error(ch, d, ATA_ER_ABRT);
        } else {
            d->multiple = n;
            command_done(ch, d);
        }
        break;
    }
    case ATA_CMD_INITIALIZE_PARAMS:
        /* Any translation is taken; one that makes no sense (0 sectors a
         * track) fails later CHS commands with IDNF (ATA-6, INITIALIZE
         * DEVICE PARAMETERS). */
        d->cur_spt = d->sector_count;
        d->cur_heads = (uint16_t)((d->device & ATA_DEV_HEAD) + 1);
        command_done(ch, d);
        break;
    case ATA_CMD_IDENTIFY:
        cmd_identify(ch, d);
        break;
    case ATA_CMD_FLUSH_CACHE:
    case ATA_CMD_FLUSH_CACHE_EXT:
        if (disk_image_flush(d->img) < 0)
            command_error(ch, d, ATA_ER_ABRT);
        else
            command_done(ch, d);
        break;
    case ATA_CMD_SET_FEATURES:
        if (d->features == 0x02)
            d->write_cache = 1;
        else if (d->features == 0x82)
            d->write_cache = 0;
        command_done(ch, d);    /* transfer modes and the rest: accepted */
        break;
    case ATA_CMD_CHECK_POWER_MODE:
        d->sector_count = 0xff; /* active or idle (ATA-6, CHECK POWER MODE) */
        command_done(ch, d);
        break;
    case ATA_CMD_RECALIBRATE ... ATA_CMD_RECALIBRATE + 0x0f:
    case ATA_CMD_SEEK ... ATA_CMD_SEEK + 0x0f:
    case ATA_CMD_STANDBY_IMMEDIATE:
    case ATA_CMD_IDLE_IMMEDIATE:
        command_done(ch, d);    /* nothing moves in a file */
        break;
    /* A device without the PACKET feature set aborts these (ATA-6,
     * IDENTIFY PACKET DEVICE). */
    case ATA_CMD_IDENTIFY_PACKET:
    case ATA_CMD_PACKET:
    default:
        command_error(ch, d, ATA_ER_ABRT);
        break;
    }
}

/* --- registers --- */

uint32_t ide_read(struct ide_channel *ch, int reg, int size)
{
    if (channel_empty(ch))
        return 0;
    struct ide_drive *d = selected(ch);
    bool hob = ch->device_control & ATA_DC_HOB;
    switch (reg) {
    case ATA_DATA:
        return data_read(ch, d, size);
    case ATA_ERROR:
        return d->img ? d->error : 0;
    case ATA_SECTOR_COUNT:
        return hob ? d->hob_sector_count : d->sector_count;
    case ATA_LBA_LOW:
        return hob ? d->hob_lba_low : d->lba_low;
    case ATA_LBA_MID:
        return hob ? d->hob_lba_mid : d->lba_mid;
    case ATA_LBA_HIGH:
        return hob ? d->hob_lba_high : d->lba_high;
    case ATA_DEVICE:
        return d->device | 0xa0;    /* bits 7 and 5: obsolete, read as 1 */
    case ATA_STATUS: {
        if (!d->img)
            return 0;
        uint8_t val = d->status;
        d->irq_pending = 0;     /* reading Status acknowledges (ATA-6, Status register) */
        update_irq(ch);
        return val;
    }
    default:
        return 0xff;
    }
}

/* Command block registers are written to both devices (ATA-6, I/O register
 * descriptions), each write pushing the old byte into the high-order half
 * (ATA-6, 48-bit Address feature set). */
static void latch(struct ide_channel *ch, int reg, uint8_t val)
{
    for (int u = 0; u < 2; u++) {
        struct ide_drive *d = &ch->drive[u];
        switch (reg) {
        case ATA_FEATURES:
            d->hob_features = d->features;
            d->features = val;
            break;
        case ATA_SECTOR_COUNT:
            d->hob_sector_count = d->sector_count;
            d->sector_count = val;
            break;
        case ATA_LBA_LOW:
            d->hob_lba_low = d->lba_low;
            d->lba_low = val;
            break;
        case ATA_LBA_MID:
            d->hob_lba_mid = d->lba_mid;
            d->lba_mid = val;
            break;
        case ATA_LBA_HIGH:
            d->hob_lba_high = d->lba_high;
            d->lba_high = val;
            break;
        case ATA_DEVICE:
            d->device = val & (ATA_DEV_LBA | ATA_DEV_DEV | ATA_DEV_HEAD);
            break;
        }
    }
}

void ide_write(struct ide_channel *ch, int reg, int size, uint32_t val)
{
    if (reg == ATA_DATA) {
        data_write(ch, selected(ch), size, val);
        return;
    }
    /* A write to any command block register clears HOB (ATA-6, Device
     * Control register). */
    ch->device_control &= (uint8_t)~ATA_DC_HOB;
    switch (reg) {
    case ATA_FEATURES:
    case ATA_SECTOR_COUNT:
    case ATA_LBA_LOW:
    case ATA_LBA_MID:
    case ATA_LBA_HIGH:
        latch(ch, reg, (uint8_t)val);
        break;
    case ATA_DEVICE:
        latch(ch, reg, (uint8_t)val);
        update_irq(ch);         /* INTRQ belongs to the selected device */
        break;
    case ATA_COMMAND:
        execute(ch, (uint8_t)val);
        break;
    }
}

uint8_t ide_read_alt_status(struct ide_channel *ch)
{
    struct ide_drive *d = selected(ch);
    /* No interrupt acknowledge (ATA-6, Alternate Status register). */
    return d->img ? d->status : 0;
}

/* SRST (ATA-6, software reset protocol): set, both devices go busy;
 * cleared, they finish the reset with their signature, ready, and no
 * interrupt.  Settings (multiple mode,
 * translation, write cache) are kept as by a software reset. */
void ide_write_device_control(struct ide_channel *ch, uint8_t val)
{
    uint8_t old = ch->device_control;
    ch->device_control = val & (ATA_DC_HOB | ATA_DC_SRST | ATA_DC_NIEN);
    if ((val & ATA_DC_SRST) && !(old & ATA_DC_SRST)) {
        for (int u = 0; u < 2; u++) {
            struct ide_drive *d = &ch->drive[u];
            transfer_abandon(d);
            d->irq_pending = 0;
            d->status = d->img ? ATA_SR_BSY : 0;
        }
    } else if (!(val & ATA_DC_SRST) && (old & ATA_DC_SRST)) {
        for (int u = 0; u < 2; u++)
            drive_ready(&ch->drive[u]);
    }
    update_irq(ch);
}

/* --- the ports --- */

/* The Data register moves size bytes; the 8-bit registers take wider
 * accesses as byte cycles on consecutive ports, as the ISA bus does. */
static uint32_t ide_cmd_port_read(void *opaque, uint16_t port, int size)
{
    struct ide_channel *ch = opaque;
    int reg = port - ch->cmd_base;
    if (reg == ATA_DATA)
        return ide_read(ch, ATA_DATA, size);
    uint32_t val = 0;
    for (int i = 0; i < size; i++) {
        uint32_t b = reg + i <= ATA_STATUS ? ide_read(ch, reg + i, 1) & 0xff : 0xff;
        val |= b << (8 * i);
    }
    return val;
}

static void ide_cmd_port_write(void *opaque, uint16_t port, int size, uint32_t val)
{
    struct ide_channel *ch = opaque;
    int reg = port - ch->cmd_base;
    if (reg == ATA_DATA) {
        ide_write(ch, ATA_DATA, size, val);
        return;
    }
    for (int i = 0; i < size && reg + i <= ATA_COMMAND; i++)
        ide_write(ch, reg + i, 1, (uint8_t)(val >> (8 * i)));
}

static uint32_t ide_ctl_port_read(void *opaque, uint16_t port, int size)
{
    (void)port;
    (void)size;
    return 0xffffff00u | ide_read_alt_status(opaque);
}

static void ide_ctl_port_write(void *opaque, uint16_t port, int size, uint32_t val)
{
    (void)port;
    (void)size;
    ide_write_device_control(opaque, (uint8_t)val);
}

int ide_attach(struct ide *c, struct iobus *bus)
{
    static const char *const names[2][2] = {
        { "ide0", "ide0-control" }, { "ide1", "ide1-control" },
    };
    for (int i = 0; i < 2; i++) {
        struct ide_channel *ch = &c->channel[i];
        int r = iobus_register(bus, names[i][0], ch->cmd_base, 8,
                               ide_cmd_port_read, ide_cmd_port_write, ch);
        if (r < 0)
            return r;
        /* One port: the next one (0x3F7) is the floppy controller's. */
        r = iobus_register(bus, names[i][1], ch->ctl_base, 1,
                           ide_ctl_port_read, ide_ctl_port_write, ch);
        if (r < 0)
            return r;
    }
    return 0;
}

/* --- snapshot --- */

#define IDE_STATE_MAGIC0 'I'
#define IDE_STATE_MAGIC1 'D'
#define IDE_STATE_VERSION 1

/* Serialisation cursor: writes when out is set, checks room either way. */
struct cursor {
    uint8_t *out;
    const uint8_t *in;
    size_t len, at;
    bool bad;
};

static void put(struct cursor *c, uint64_t v, int bytes)
{
    if (c->out && c->at + (size_t)bytes <= c->len)
        for (int i = 0; i < bytes; i++)
            c->out[c->at + i] = (uint8_t)(v >> (8 * i));
    c->at += (size_t)bytes;
}

static uint64_t get(struct cursor *c, int bytes)
{
    if (c->bad || c->at + (size_t)bytes > c->len) {
        c->bad = true;
        return 0;
    }
    uint64_t v = 0;
    for (int i = 0; i < bytes; i++)
        v |= (uint64_t)c->in[c->at + i] << (8 * i);
    c->at += (size_t)bytes;
    return v;
}

static uint32_t saved_buffer_bytes(const struct ide_drive *d)
{
    if (d->xfer == IDE_XFER_IN)
        return d->buf_len;
    if (d->xfer == IDE_XFER_OUT)
        return d->pos;
    return 0;
}

static void save_drive(struct cursor *c, const struct ide_drive *d)
{
    put(c, d->img != NULL, 1);
    put(c, d->img ? disk_image_sectors(d->img) : 0, 8);
    const uint8_t regs[] = {
        d->features, d->sector_count, d->lba_low, d->lba_mid, d->lba_high, d->device,
        d->hob_features, d->hob_sector_count, d->hob_lba_low, d->hob_lba_mid,
        d->hob_lba_high, d->status, d->error, d->irq_pending, d->multiple,
        d->write_cache, d->xfer, d->xfer_cmd, d->xfer_block,
    };
    for (size_t i = 0; i < sizeof(regs); i++)
        put(c, regs[i], 1);
    put(c, d->cur_heads, 2);
    put(c, d->cur_spt, 2);
    put(c, d->xfer_remaining, 4);
    put(c, d->xfer_lba, 8);
    put(c, d->pos, 4);
    put(c, d->block_end, 4);
    put(c, d->buf_len, 4);
    uint32_t n = saved_buffer_bytes(d);
    put(c, n, 4);
    if (c->out && c->at + n <= c->len)
        memcpy(c->out + c->at, d->buf, n);
    c->at += n;
}

size_t ide_save(const struct ide *ide, uint8_t *buf, size_t len)
{
    struct cursor c = { .out = NULL, .len = 0 };
    for (int pass = 0; pass < 2; pass++) {
        c.at = 0;
        put(&c, IDE_STATE_MAGIC0, 1);
        put(&c, IDE_STATE_MAGIC1, 1);
        put(&c, IDE_STATE_VERSION, 1);
        for (int i = 0; i < 2; i++) {
            const struct ide_channel *ch = &ide->channel[i];
            put(&c, ch->device_control, 1);
            put(&c, ch->irq_level, 1);
            for (int u = 0; u < 2; u++)
                save_drive(&c, &ch->drive[u]);
        }
        if (pass == 0) {
            if (!buf)
                return c.at;
            if (len < c.at)
                return 0;
            c.out = buf;
            c.len = len;
        }
    }
    return c.at;
}

/* Read one drive's state; store it only when apply (the first pass checks
 * the whole buffer so a bad one leaves the device untouched). */
static void load_drive(struct cursor *c, struct ide_drive *d, bool apply)
{
    bool present = get(c, 1);
    uint64_t sectors = get(c, 8);
    uint8_t r[19];
    for (size_t i = 0; i < sizeof(r); i++)
        r[i] = (uint8_t)get(c, 1);
    uint16_t heads = (uint16_t)get(c, 2), spt = (uint16_t)get(c, 2);
    uint32_t remaining = (uint32_t)get(c, 4);
    uint64_t lba = get(c, 8);
    uint32_t pos = (uint32_t)get(c, 4), block_end = (uint32_t)get(c, 4);
    uint32_t buf_len = (uint32_t)get(c, 4), n = (uint32_t)get(c, 4);
    if (c->bad)
        return;
    uint8_t xfer = r[16], block = r[18], multiple = r[14];
    bool ok = present == (d->img != NULL) &&
              (!present || sectors == disk_image_sectors(d->img)) &&
              multiple <= IDE_MAX_MULTIPLE && !(multiple & (multiple - 1)) &&
              xfer <= IDE_XFER_OUT;
    if (ok && xfer != IDE_XFER_NONE) {
        ok = present && block >= 1 && block <= IDE_MAX_MULTIPLE &&
             remaining >= 1 && remaining <= 65536 &&
             pos < block_end && block_end % SECTOR == 0;
        if (xfer == IDE_XFER_IN)
            ok = ok && buf_len <= BUF_BYTES && buf_len % SECTOR == 0 &&
                 block_end <= buf_len && n == buf_len;
        else
            ok = ok && block_end <= BUF_BYTES && n == pos;
    } else if (ok) {
        ok = n == 0;
    }
    if (!ok || c->at + n > c->len) {
        c->bad = true;
        return;
    }
    if (apply) {
        d->features = r[0]; d->sector_count = r[1]; d->lba_low = r[2];
        d->lba_mid = r[3]; d->lba_high = r[4];
        d->device = r[5] & (ATA_DEV_LBA | ATA_DEV_DEV | ATA_DEV_HEAD);
        d->hob_features = r[6]; d->hob_sector_count = r[7]; d->hob_lba_low = r[8];
        d->hob_lba_mid = r[9]; d->hob_lba_high = r[10];
        d->status = r[11]; d->error = r[12]; d->irq_pending = r[13] & 1;
        d->multiple = multiple; d->write_cache = r[15] & 1;
        d->xfer = xfer; d->xfer_cmd = r[17]; d->xfer_block = block;
        d->cur_heads = heads; d->cur_spt = spt;
        d->xfer_remaining = remaining; d->xfer_lba = lba;
        d->pos = pos; d->block_end = block_end; d->buf_len = buf_len;
        memcpy(d->buf, c->in + c->at, n);
    }
    c->at += n;
}

int ide_load(struct ide *ide, const uint8_t *buf, size_t len)
{
    if (!buf || len < 3 || buf[0] != IDE_STATE_MAGIC0 || buf[1] != IDE_STATE_MAGIC1 ||
        buf[2] != IDE_STATE_VERSION)
        return -EINVAL;
    for (int apply = 0; apply < 2; apply++) {
        struct cursor c = { .in = buf, .len = len, .at = 3 };
        for (int i = 0; i < 2 && !c.bad; i++) {
            struct ide_channel *ch = &ide->channel[i];
            uint8_t dc = (uint8_t)get(&c, 1), level = (uint8_t)get(&c, 1);
            if (apply) {
                ch->device_control = dc & (ATA_DC_HOB | ATA_DC_SRST | ATA_DC_NIEN);
                ch->irq_level = level & 1;
            }
            for (int u = 0; u < 2; u++)
                load_drive(&c, &ch->drive[u], apply);
        }
        if (c.bad)
            return -EINVAL;
    }
    /* Drive the line to the loaded level (the receiver restores its own
     * edge state), then let it follow the registers. */
    for (int i = 0; i < 2; i++) {
        struct ide_channel *ch = &ide->channel[i];
        irq_set_level(&ch->irq, ch->irq_level);
        update_irq(ch);
    }
    return 0;
}
