/* loader_load: check the disk images, then hand over to the multiboot loader
 * (-kernel) or the boot-sector loader; plus what both need: reading a file
 * safely and copying into guest RAM with a clear message when it does not
 * fit, and the PC's e820 memory map. */
#include "machine/loader.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cpu/x86_cpu.h"
#include "machine/options.h"
#include "mem/memmap.h"

int loader_read_file(const char *what, const char *path, uint64_t max_len,
                     uint8_t **data, size_t *len)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        fprintf(stderr, "glass: %s %s: %s\n", what, path, strerror(errno));
        return -1;
    }
    struct stat st;
    if (fstat(fd, &st) < 0) {
        fprintf(stderr, "glass: %s %s: %s\n", what, path, strerror(errno));
        close(fd);
        return -1;
    }
    if (!S_ISREG(st.st_mode)) {
        fprintf(stderr, "glass: %s %s: not a regular file\n", what, path);
        close(fd);
        return -1;
    }
    if ((uint64_t)st.st_size > max_len) {
        fprintf(stderr, "glass: %s %s: %llu bytes, larger than guest RAM (%llu bytes)\n",
                what, path, (unsigned long long)st.st_size, (unsigned long long)max_len);
        close(fd);
        return -1;
    }
    size_t size = (size_t)st.st_size;
    uint8_t *buf = malloc(size ? size : 1);
    if (!buf) {
        fprintf(stderr, "glass: %s %s: out of memory for %zu bytes\n", what, path, size);
        close(fd);
        return -1;
    }
    size_t got = 0;
    while (got < size) {
        ssize_t n = read(fd, buf + got, size - got);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0) {
            fprintf(stderr, "glass: %s %s: %s\n", what, path, strerror(errno));
            free(buf);
            close(fd);
            return -1;
        }
        if (n == 0)
            break;          /* the file shrank under us: take what is there */
        got += (size_t)n;
    }
    close(fd);
    *data = buf;
    *len = got;
    return 0;
}

int loader_is_ram(struct memmap *mem, uint64_t gpa, uint64_t len)
{
    if (len && gpa + len < gpa)
        return 0;
    while (len) {
        const struct mem_region *r = memmap_find(mem, gpa);
        if (!r || r->kind != MEM_RAM)
            return 0;
        uint64_t avail = r->size - (gpa - r->gpa);
        uint64_t n = len < avail ? len : avail;
        gpa += n;
        len -= n;
    }
    return 1;
}

static int check_ram(struct memmap *mem, const char *what, uint64_t gpa, uint64_t len)
{
    if (!loader_is_ram(mem, gpa, len)) {
        fprintf(stderr, "glass: %s: [0x%llx, 0x%llx) is outside guest RAM\n", what,
                (unsigned long long)gpa, (unsigned long long)(gpa + len));
        return -1;
    }
    return 0;
}

int loader_write_ram(struct memmap *mem, const char *what, uint64_t gpa,
                     const void *buf, uint64_t len)
{
    if (check_ram(mem, what, gpa, len) < 0)
        return -1;
    return memmap_write(mem, gpa, buf, len) < 0 ? -1 : 0;
}

int loader_zero_ram(struct memmap *mem, const char *what, uint64_t gpa, uint64_t len)
{
    static const uint8_t zeros[4096];
    if (check_ram(mem, what, gpa, len) < 0)
        return -1;
    while (len) {
        uint64_t n = len < sizeof(zeros) ? len : sizeof(zeros);
        memmap_write(mem, gpa, zeros, n);
        gpa += n;
        len -= n;
    }
    return 0;
}

/* The values were read off a multiboot kernel under qemu-system-x86_64 7.2
 * (SeaBIOS 1.16) with -m 2, 64, 128, 1000, 3072: always these seven. */
int pc_e820_map(uint64_t ram_size, struct e820_entry *out)
{
    const uint64_t top_reserved = 128 << 10;   /* SeaBIOS's high tables */
    int n = 0;
    out[n++] = (struct e820_entry){ 0, 0x9fc00, E820_RAM };
    out[n++] = (struct e820_entry){ 0x9fc00, 0x400, E820_RESERVED };
    out[n++] = (struct e820_entry){ 0xf0000, 0x10000, E820_RESERVED };
    if (ram_size > 0x100000 + top_reserved) {   /* -m guarantees it; be safe */
        out[n++] = (struct e820_entry){ 0x100000, ram_size - top_reserved - 0x100000, E820_RAM };
        out[n++] = (struct e820_entry){ ram_size - top_reserved, top_reserved, E820_RESERVED };
    }
    out[n++] = (struct e820_entry){ 0xfffc0000, 0x40000, E820_RESERVED };
    out[n++] = (struct e820_entry){ 0xfd00000000ull, 0x300000000ull, E820_RESERVED };
    return n;
}

/* Every disk image must open; an odd size only gets a warning, as the disk
 * still works (the last partial sector reads as zeros).  Read-only: glass
 * never writes an image at this stage. */
static int check_drives(const struct options *opt)
{
    for (int i = 0; i < MAX_DRIVES; i++) {
        const char *path = opt->drive[i].file;
        if (!path)
            continue;
        int fd = open(path, O_RDONLY | O_CLOEXEC);
        if (fd < 0) {
            fprintf(stderr, "glass: drive %d (%s): %s\n", i, path, strerror(errno));
            return -1;
        }
        struct stat st;
        int r = fstat(fd, &st);
        close(fd);
        if (r < 0) {
            fprintf(stderr, "glass: drive %d (%s): %s\n", i, path, strerror(errno));
            return -1;
        }
        if (!S_ISREG(st.st_mode) && !S_ISBLK(st.st_mode)) {
            fprintf(stderr, "glass: drive %d (%s): not a regular file or block device\n",
                    i, path);
            return -1;
        }
        if (S_ISREG(st.st_mode) && st.st_size % BOOTSECTOR_SIZE)
            fprintf(stderr, "glass: warning: drive %d (%s) is %lld bytes, not a multiple "
                    "of 512; the last partial sector reads as zeros\n",
                    i, path, (long long)st.st_size);
    }
    return 0;
}

int loader_load(struct memmap *mem, struct x86_cpu *cpu, const struct options *opt)
{
    x86_cpu_reset(cpu);
    if (check_drives(opt) < 0)
        return -1;
    if (opt->kernel)
        return loader_multiboot(mem, cpu, opt);
    if (opt->drive[0].file)
        return loader_bootsector(mem, cpu, opt);
    fprintf(stderr, "glass: nothing to boot: give -kernel or a disk "
            "(-drive file=...,index=0 / -hda)\n");
    return -1;
}
