/*
 * multiboot.h - the parts of the Multiboot Specification version 0.6.96
 * the examples use.  Section numbers refer to that specification.
 */
#ifndef EXAMPLES_MULTIBOOT_H
#define EXAMPLES_MULTIBOOT_H

#include <stdint.h>

/* 3.1.1: the header a kernel carries in its first 8192 bytes. */
#define MULTIBOOT_HEADER_MAGIC      0x1BADB002
/* 3.2: what the boot loader leaves in EAX. */
#define MULTIBOOT_BOOTLOADER_MAGIC  0x2BADB002

/* 3.3: flags in struct multiboot_info saying which fields are valid. */
#define MBI_FLAG_MEM        (1u << 0)   /* mem_lower, mem_upper */
#define MBI_FLAG_CMDLINE    (1u << 2)
#define MBI_FLAG_MODS       (1u << 3)
#define MBI_FLAG_MMAP       (1u << 6)
#define MBI_FLAG_LOADER     (1u << 9)   /* boot_loader_name */

/* 3.3: the boot information structure, at the address in EBX. */
struct multiboot_info {
    uint32_t flags;
    uint32_t mem_lower;         /* KiB of memory from 0, at most 640 */
    uint32_t mem_upper;         /* KiB of memory from 1 MiB to the first hole */
    uint32_t boot_device;
    uint32_t cmdline;           /* physical address of a C string */
    uint32_t mods_count;
    uint32_t mods_addr;
    uint32_t syms[4];
    uint32_t mmap_length;       /* bytes of memory map */
    uint32_t mmap_addr;
    uint32_t drives_length;
    uint32_t drives_addr;
    uint32_t config_table;
    uint32_t boot_loader_name;  /* physical address of a C string */
    uint32_t apm_table;
    uint32_t vbe[6];
};

/* 3.3: one memory map entry; size does not count the size field itself. */
struct multiboot_mmap_entry {
    uint32_t size;
    uint64_t addr;
    uint64_t len;
    uint32_t type;              /* 1 = available RAM */
} __attribute__((packed));

#define MMAP_TYPE_AVAILABLE 1

/*
 * The kernel's arguments.  Boot loaders put the kernel's own path first on
 * the command line (GRUB: "/boot/kernel args", QEMU: "<-kernel file>
 * <-append string>"), so the first word is skipped: it depends on where
 * the image was built, the rest is what the user asked for.
 */
static inline const char *multiboot_args(const struct multiboot_info *mbi)
{
    const char *s;

    if (!(mbi->flags & MBI_FLAG_CMDLINE) || !mbi->cmdline)
        return "";
    s = (const char *)(uintptr_t)mbi->cmdline;
    while (*s && *s != ' ')
        s++;
    while (*s == ' ')
        s++;
    return s;
}

#endif
