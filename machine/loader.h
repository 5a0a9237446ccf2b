/* Guest loaders: put what the user asked to boot into guest memory and set
 * the CPU to the state the boot protocol promises, the way QEMU with SeaBIOS
 * leaves it (glass has no BIOS; docs/usage.md, "What the guest finds").
 *
 *   -kernel F   a multiboot v1 kernel (machine/loader_multiboot.c)
 *   otherwise   the boot sector of drive 0 at 0x7C00 (machine/loader_bootsector.c)
 *
 * Files are opened read-only and never written. */
#ifndef GLASS_MACHINE_LOADER_H
#define GLASS_MACHINE_LOADER_H

#include <stddef.h>
#include <stdint.h>

struct memmap;
struct x86_cpu;
struct options;

/* Reset cpu (x86_cpu_reset), load the guest, set the boot state.  0, or -1
 * after one line on stderr naming the file and what is wrong.  RAM must
 * already be mapped in mem (RAM at 0..opt->ram_size) and zeroed.  Also
 * checks every -drive image opens and warns when its size is not a multiple
 * of 512. */
int loader_load(struct memmap *mem, struct x86_cpu *cpu, const struct options *opt);

/* The BIOS e820 memory map QEMU 7.2 with SeaBIOS reports on the pc machine
 * for ram_size bytes of RAM (all below 4 GiB), which glass hands to
 * multiboot kernels and will serve from INT 15h once it has a BIOS:
 *   0 - 0x9FC00 RAM, 0x9FC00 - 0xA0000 reserved (EBDA), 0xF0000 - 0x100000
 *   reserved (BIOS), 1 MiB - ram_size-128K RAM, the top 128 KiB reserved
 *   (SeaBIOS's tables), 0xFFFC0000 - 4G reserved (the flash), 0xFD00000000
 *   + 12 GiB reserved (AMD HyperTransport range, QEMU >= 7.1). */
struct e820_entry {
    uint64_t addr;
    uint64_t len;
    uint32_t type;
};
#define E820_RAM 1
#define E820_RESERVED 2
#define PC_E820_MAX 8
/* Fills out[] (room for PC_E820_MAX) and returns the number of entries. */
int pc_e820_map(uint64_t ram_size, struct e820_entry *out);

/* Where the multiboot loader puts its structures: the same addresses as
 * QEMU's multiboot option ROM, except the GDT, which QEMU keeps in the ROM
 * itself (at 0xCB2B8) and glass, having no ROM, puts between the two. */
#define MB_MMAP_ADDR 0x9000   /* e820 entries, multiboot format */
#define MB_GDT_ADDR  0x9400   /* null, code 0x08, data 0x10, code16 0x18, data16 0x20 */
#define MB_INFO_ADDR 0x9500   /* struct multiboot_info */
#define MB_BOOT_ESP  0x6F08   /* where QEMU's option ROM leaves ESP */

#define BOOTSECTOR_ADDR 0x7C00
#define BOOTSECTOR_SIZE 512

/* ---- shared between the loader files; not for other modules ---------- */

/* Read a whole file (at most max_len bytes, else an error saying how big it
 * is) into a malloc'd buffer.  what names it in messages ("-kernel"). */
int loader_read_file(const char *what, const char *path, uint64_t max_len,
                     uint8_t **data, size_t *len);
/* Copy into guest RAM; fails (message naming what and the range) when any
 * byte of [gpa, gpa+len) is not RAM. */
int loader_write_ram(struct memmap *mem, const char *what, uint64_t gpa,
                     const void *buf, uint64_t len);
int loader_zero_ram(struct memmap *mem, const char *what, uint64_t gpa, uint64_t len);
/* Is [gpa, gpa+len) all RAM? */
int loader_is_ram(struct memmap *mem, uint64_t gpa, uint64_t len);

int loader_multiboot(struct memmap *mem, struct x86_cpu *cpu, const struct options *opt);
int loader_bootsector(struct memmap *mem, struct x86_cpu *cpu, const struct options *opt);

#endif
