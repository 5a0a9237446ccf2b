/* Multiboot v1: the structures a boot loader and a kernel share (The
 * Multiboot Specification 0.6.96, section 3).  All little-endian, 32-bit. */
#ifndef GLASS_MACHINE_MULTIBOOT_H
#define GLASS_MACHINE_MULTIBOOT_H

#include <stdint.h>

/* 3.1: the header, 4-byte aligned within the first 8192 bytes. */
#define MULTIBOOT_HEADER_MAGIC   0x1BADB002u
#define MULTIBOOT_SEARCH         8192
#define MULTIBOOT_BOOTLOADER_MAGIC 0x2BADB002u   /* EAX at entry (3.2) */

/* 3.1.2 header flags. */
#define MB_HDR_PAGE_ALIGN  (1u << 0)   /* modules on 4 KiB boundaries */
#define MB_HDR_MEMORY_INFO (1u << 1)   /* mem_* and mmap_* wanted */
#define MB_HDR_VIDEO_MODE  (1u << 2)   /* video mode fields valid */
#define MB_HDR_AOUT_KLUDGE (1u << 16)  /* address fields valid: use them, not ELF */
/* Bits 0-15 are requirements: a loader that does not know one must refuse
 * the kernel (3.1.2).  glass knows 0, 1 and 2. */
#define MB_HDR_REQUIRED_KNOWN 0x0007u

struct multiboot_header {
    uint32_t magic;
    uint32_t flags;
    uint32_t checksum;        /* magic + flags + checksum == 0 (mod 2^32) */
    /* valid with MB_HDR_AOUT_KLUDGE (3.1.3) */
    uint32_t header_addr;     /* physical address of the magic field */
    uint32_t load_addr;       /* physical address of the text start */
    uint32_t load_end_addr;   /* end of the data to load; 0 = to file end */
    uint32_t bss_end_addr;    /* end of bss; 0 = no bss */
    uint32_t entry_addr;
    /* valid with MB_HDR_VIDEO_MODE (3.1.4) */
    uint32_t mode_type;
    uint32_t width;
    uint32_t height;
    uint32_t depth;
};

/* 3.3: boot information flags. */
#define MB_INFO_MEMORY      (1u << 0)  /* mem_lower, mem_upper */
#define MB_INFO_BOOTDEV     (1u << 1)
#define MB_INFO_CMDLINE     (1u << 2)
#define MB_INFO_MODS        (1u << 3)
#define MB_INFO_AOUT_SYMS   (1u << 4)
#define MB_INFO_ELF_SHDR    (1u << 5)
#define MB_INFO_MEM_MAP     (1u << 6)
#define MB_INFO_DRIVES      (1u << 7)
#define MB_INFO_CONFIG      (1u << 8)
#define MB_INFO_LOADER_NAME (1u << 9)
#define MB_INFO_APM         (1u << 10)
#define MB_INFO_VBE         (1u << 11)

struct multiboot_info {
    uint32_t flags;
    uint32_t mem_lower;       /* KiB from 0 */
    uint32_t mem_upper;       /* KiB from 1 MiB to the first hole */
    uint32_t boot_device;
    uint32_t cmdline;
    uint32_t mods_count;
    uint32_t mods_addr;
    uint32_t syms[4];
    uint32_t mmap_length;     /* bytes */
    uint32_t mmap_addr;       /* points at the first entry's size field */
    uint32_t drives_length;
    uint32_t drives_addr;
    uint32_t config_table;
    uint32_t boot_loader_name;
    uint32_t apm_table;
    uint32_t vbe_control_info;
    uint32_t vbe_mode_info;
    uint16_t vbe_mode;
    uint16_t vbe_interface_seg;
    uint16_t vbe_interface_off;
    uint16_t vbe_interface_len;
};
_Static_assert(sizeof(struct multiboot_info) == 88, "multiboot_info is 88 bytes");

struct multiboot_module {
    uint32_t mod_start;
    uint32_t mod_end;         /* first byte after the module */
    uint32_t string;
    uint32_t reserved;
};

/* A memory map entry; size (bytes after itself, 20) comes first, so the
 * next entry is at &size + size + 4. */
struct multiboot_mmap_entry {
    uint32_t size;
    uint64_t addr;
    uint64_t len;
    uint32_t type;            /* 1 = RAM, other = reserved */
} __attribute__((packed));
_Static_assert(sizeof(struct multiboot_mmap_entry) == 24, "mmap entry is 24 bytes");

#endif
