/* A raw disk image: sector N of the disk at byte N * 512 of the file. */
#include "devices/disk_image.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static void set_err(char *err, size_t errlen, const char *path, const char *fmt, ...)
{
    if (!err || errlen == 0)
        return;
    char what[160];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(what, sizeof(what), fmt, ap);
    va_end(ap);
    snprintf(err, errlen, "disk image '%s': %s", path, what);
}

static void warn_once(struct disk_image *img, bool *given, const char *fmt, ...)
{
    if (*given)
        return;
    *given = true;
    if (img->quiet)
        return;
    va_list ap;
    va_start(ap, fmt);
    fprintf(stderr, "glass: disk image '%s': ", img->path);
    vfprintf(stderr, fmt, ap);
    fputc('\n', stderr);
    va_end(ap);
}

int disk_image_open(struct disk_image *img, const char *path, bool readonly,
                    char *err, size_t errlen)
{
    memset(img, 0, sizeof(*img));
    img->fd = -1;

    int fd = -1;
    if (!readonly) {
        fd = open(path, O_RDWR | O_CLOEXEC);
        if (fd < 0 && (errno == EACCES || errno == EROFS || errno == EPERM ||
                       errno == ETXTBSY))
            readonly = true;    /* try again read-only, below */
        else if (fd < 0 && errno == EISDIR) {
            set_err(err, errlen, path, "is a directory");
            return -EISDIR;
        } else if (fd < 0) {
            int e = errno;
            set_err(err, errlen, path, "%s", strerror(e));
            return -e;
        }
    }
    if (fd < 0) {
        fd = open(path, O_RDONLY | O_CLOEXEC);
        if (fd < 0) {
            int e = errno;
            set_err(err, errlen, path, "%s", strerror(e));
            return -e;
        }
    }

    struct stat st;
    if (fstat(fd, &st) < 0) {
        int e = errno;
        set_err(err, errlen, path, "%s", strerror(e));
        close(fd);
        return -e;
    }
    if (S_ISDIR(st.st_mode)) {
        set_err(err, errlen, path, "is a directory");
        close(fd);
        return -EISDIR;
    }
    if (!S_ISREG(st.st_mode) && !S_ISBLK(st.st_mode)) {
        set_err(err, errlen, path, "not a regular file or block device");
        close(fd);
        return -EINVAL;
    }
    off_t end = lseek(fd, 0, SEEK_END);     /* a block device's st_size is 0 */
    if (end < 0) {
        int e = errno;
        set_err(err, errlen, path, "%s", strerror(e));
        close(fd);
        return -e;
    }
    if (end == 0) {
        set_err(err, errlen, path, "is empty (0 bytes)");
        close(fd);
        return -EINVAL;
    }
    img->path = strdup(path);
    if (!img->path) {
        set_err(err, errlen, path, "%s", strerror(ENOMEM));
        close(fd);
        return -ENOMEM;
    }
    img->fd = fd;
    img->readonly = readonly;
    img->size = (uint64_t)end;
    img->sectors = (img->size + DISK_SECTOR_SIZE - 1) / DISK_SECTOR_SIZE;
    return 0;
}

void disk_image_close(struct disk_image *img)
{
    if (img->fd >= 0)
        close(img->fd);
    img->fd = -1;
    free(img->path);
    img->path = NULL;
}

int disk_image_check_range(struct disk_image *img, uint64_t lba, uint64_t count)
{
    if (lba <= img->sectors && count <= img->sectors - lba)
        return 0;
    warn_once(img, &img->warned_range,
              "the guest asked for sectors %" PRIu64 "..%" PRIu64
              " but the image has %" PRIu64 " (too small; the guest sees ID not found)",
              lba, lba + count - 1, img->sectors);
    return -ERANGE;
}

int disk_image_read(struct disk_image *img, uint64_t lba, uint32_t count, void *buf)
{
    if (disk_image_check_range(img, lba, count) < 0)
        return -ERANGE;
    uint8_t *p = buf;
    size_t want = (size_t)count * DISK_SECTOR_SIZE, got = 0;
    uint64_t off = lba * DISK_SECTOR_SIZE;
    while (got < want) {
        ssize_t n = pread(img->fd, p + got, want - got, (off_t)(off + got));
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0) {
            int e = errno;
            warn_once(img, &img->warned_io, "read at offset %" PRIu64 ": %s",
                      off + got, strerror(e));
            return -e;
        }
        if (n == 0)
            break;      /* end of file: the partial last sector */
        got += (size_t)n;
    }
    memset(p + got, 0, want - got);
    return 0;
}

int disk_image_writable(struct disk_image *img)
{
    if (!img->readonly)
        return 0;
    warn_once(img, &img->warned_readonly,
              "read-only: the guest's writes fail (the guest sees command aborted)");
    return -EROFS;
}

int disk_image_write(struct disk_image *img, uint64_t lba, uint32_t count,
                     const void *buf)
{
    if (disk_image_writable(img) < 0)
        return -EROFS;
    if (disk_image_check_range(img, lba, count) < 0)
        return -ERANGE;
    const uint8_t *p = buf;
    size_t want = (size_t)count * DISK_SECTOR_SIZE, done = 0;
    uint64_t off = lba * DISK_SECTOR_SIZE;
    while (done < want) {
        ssize_t n = pwrite(img->fd, p + done, want - done, (off_t)(off + done));
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0) {
            int e = n < 0 ? errno : EIO;
            warn_once(img, &img->warned_io, "write at offset %" PRIu64 ": %s",
                      off + done, strerror(e));
            return -e;
        }
        done += (size_t)n;
    }
    if (off + want > img->size)
        img->size = off + want;     /* the partial last sector, now whole */
    return 0;
}

int disk_image_flush(struct disk_image *img)
{
    if (img->readonly)
        return 0;
    while (fdatasync(img->fd) < 0) {
        if (errno == EINTR)
            continue;
        int e = errno;
        if (e == EINVAL)
            return 0;   /* a file that cannot be synced (a pipe-like special) */
        warn_once(img, &img->warned_io, "flush: %s", strerror(e));
        return -e;
    }
    return 0;
}
