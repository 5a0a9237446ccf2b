/* A raw disk image: the file is the disk, sector N at byte offset N * 512.
 *
 * The backend of the IDE disks (devices/ide.h).  It is opened read-write,
 * or read-only when asked (-drive ...,readonly=on) or when the file itself
 * cannot be opened for writing (mode 0444, a read-only mount); a guest write
 * to a read-only image fails (-EROFS, the IDE controller reports ABRT) and
 * glass warns once.
 *
 * Size: a file whose size is not a multiple of 512 has a partial last
 * sector; it counts as a sector, its missing bytes read as zeros, and a
 * guest write to it extends the file to the full sector (as QEMU's raw
 * format does: it rounds the size up to whole sectors too).
 *
 * Writes go to the file with pwrite before the guest's command completes;
 * they sit in the host's page cache until disk_image_flush (fdatasync),
 * which is what the guest's FLUSH CACHE asks for. */
#ifndef GLASS_DEVICES_DISK_IMAGE_H
#define GLASS_DEVICES_DISK_IMAGE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define DISK_SECTOR_SIZE 512

struct disk_image {
    int fd;                 /* -1 when closed */
    char *path;             /* a copy, for messages */
    uint64_t size;          /* bytes in the file at open (or after it grew) */
    uint64_t sectors;       /* size / 512, rounded up */
    bool readonly;          /* asked for, or the file could not be written */
    bool quiet;             /* no warnings on stderr (tests) */
    bool warned_readonly;   /* the one-time warnings, given */
    bool warned_range;
    bool warned_io;
};

/* Open path as a disk.  0, or a negative errno with a one-line message in
 * err (when err is not NULL) that names the file, for the caller to print
 * as "glass: <err>":
 *   "disk image 'x.img': No such file or directory"
 *   "disk image 'x.img': Permission denied" (unreadable)
 *   "disk image 'dir': is a directory" (-EISDIR)
 *   "disk image 'x.img': is empty (0 bytes)" (-EINVAL)
 *   "disk image 'x.img': not a regular file or block device" (-EINVAL)
 * readonly asks for a read-only disk; a file that cannot be opened for
 * writing (EACCES, EROFS, EPERM) is opened read-only and img->readonly set. */
int disk_image_open(struct disk_image *img, const char *path, bool readonly,
                    char *err, size_t errlen);
void disk_image_close(struct disk_image *img);

static inline uint64_t disk_image_sectors(const struct disk_image *img)
{
    return img->sectors;
}

/* Is [lba, lba + count) on the disk?  0, or -ERANGE with a one-time warning
 * naming the file ("too small for what the guest asks"). */
int disk_image_check_range(struct disk_image *img, uint64_t lba, uint64_t count);

/* May the guest write?  0, or -EROFS with the one-time warning. */
int disk_image_writable(struct disk_image *img);

/* count sectors at lba to / from buf (count * 512 bytes), one pread or
 * pwrite (restarted on EINTR and short transfers).  0, -ERANGE past the end,
 * -EROFS (write to a read-only image, warned once), or the errno of the
 * failed system call (warned once, naming the file and the offset). */
int disk_image_read(struct disk_image *img, uint64_t lba, uint32_t count, void *buf);
int disk_image_write(struct disk_image *img, uint64_t lba, uint32_t count,
                     const void *buf);

/* Make the writes so far durable (fdatasync).  0 or a negative errno; a
 * read-only image has nothing to flush and returns 0. */
int disk_image_flush(struct disk_image *img);

#endif
