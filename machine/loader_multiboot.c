/* Booting a multiboot v1 kernel (-kernel), as QEMU 7.2 does it
 * (hw/i386/multiboot.c plus its option ROM pc-bios/optionrom/multiboot.S),
 * so a kernel sees the same addresses and values under glass and QEMU:
 *
 *   kernel        at its ELF p_paddr / a.out-kludge load_addr (usually 1 MiB)
 *   after it, from the next 4 KiB boundary: the module list (16 bytes a
 *                 module), the strings (each module's, then the kernel's
 *                 command line "KERNEL-PATH APPEND", then "glass"), then
 *                 each module on its own 4 KiB boundary
 *   0x9000        the e820 memory map (pc_e820_map), multiboot format
 *   0x9400        a GDT: 0x08 flat 32-bit code, 0x10 flat data (QEMU's
 *                 selectors; QEMU keeps its copy in ROM at 0xCB2B8)
 *   0x9500        struct multiboot_info
 *
 * Machine state (Multiboot Specification 0.6.96, 3.2): EAX = 0x2BADB002,
 * EBX = 0x9500, CS = 0x08, DS = ES = FS = GS = SS = 0x10, all flat 4 GiB,
 * CR0 = PE|ET, paging off, EFLAGS = 0x6 (IF = 0, VM = 0; PF as QEMU's ROM
 * leaves it), ESP = 0x6F08, ECX = the entry point (QEMU jumps through ECX),
 * IDTR = 0/0x3FF.  The A20 gate is the board's: glass's memory never wraps
 * at 1 MiB. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cpu/seg.h"
#include "cpu/x86_cpu.h"
#include "machine/elf_load.h"
#include "machine/loader.h"
#include "machine/multiboot.h"
#include "machine/options.h"
#include "mem/memmap.h"

#define PAGE_ALIGN(x) (((x) + 0xfffull) & ~0xfffull)
#define MB_LOADER_NAME "glass"
#define MB_BOOT_DEVICE 0x8000ffffu    /* first hard disk, no partition (as QEMU) */
#define MB_MEM_LOWER_KB 639           /* 0x9FC00 / 1024, what SeaBIOS reports */
#define MB_LOW_AREA_END 0xa000        /* MB_MMAP_ADDR .. here holds glass's data */

/* GDT descriptors, byte for byte QEMU's multiboot.S table. */
static const uint64_t mb_gdt[5] = {
    0,
    0x00cf9a000000ffffull,   /* 0x08: code, base 0, limit 4 GiB, 32-bit, execute/read */
    0x00cf93000000ffffull,   /* 0x10: data, base 0, limit 4 GiB, read/write */
    0x00009e000000ffffull,   /* 0x18: 16-bit code, limit 64 KiB */
    0x000092000000ffffull,   /* 0x20: 16-bit data, limit 64 KiB */
};
#define MB_CODE_SEL 0x08
#define MB_DATA_SEL 0x10

/* The kernel image as it will lie in guest memory. */
struct mb_kernel {
    uint32_t low, high;       /* [low, high) covers every loaded byte */
    uint32_t entry;
};

static uint32_t rd32(const uint8_t *p)
{
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

/* 3.1.1: the header must lie 32-bit aligned in the first 8192 bytes, and
 * magic + flags + checksum must be 0.  Returns its offset, or -1. */
static long find_header(const char *path, const uint8_t *data, size_t len)
{
    size_t limit = len < MULTIBOOT_SEARCH ? len : MULTIBOOT_SEARCH;
    long bad_checksum_at = -1, cut_short_at = -1;

    for (size_t off = 0; off + 4 <= limit; off += 4) {
        if (rd32(data + off) != MULTIBOOT_HEADER_MAGIC)
            continue;
        if (off + 12 > len) {
            cut_short_at = (long)off;
            continue;
        }
        if ((uint32_t)(rd32(data + off) + rd32(data + off + 4) + rd32(data + off + 8)) == 0)
            return (long)off;
        if (bad_checksum_at < 0)
            bad_checksum_at = (long)off;
    }
    if (bad_checksum_at >= 0)
        fprintf(stderr, "glass: -kernel %s: the multiboot header at offset 0x%lx has a bad checksum\n",
                path, bad_checksum_at);
    else if (cut_short_at >= 0)
        fprintf(stderr, "glass: -kernel %s: the multiboot header at offset 0x%lx is cut short by the end of the file (%zu bytes)\n",
                path, cut_short_at, len);
    else
        fprintf(stderr, "glass: -kernel %s: no multiboot header in the first 8 KiB "
                "(Linux bzImage loading comes later)\n", path);
    return -1;
}

static int overlaps(uint64_t a, uint64_t alen, uint64_t b, uint64_t blen)
{
    return a < b + blen && b < a + alen;
}

/* Every loaded byte must be RAM and clear of glass's structures at 0x9000. */
static int check_placement(struct memmap *mem, const char *path, const char *part,
                           uint64_t gpa, uint64_t len, uint64_t ram_size)
{
    if (!loader_is_ram(mem, gpa, len)) {
        fprintf(stderr, "glass: -kernel %s: %s [0x%llx, 0x%llx) is outside guest RAM "
                "(0 to 0x%llx, -m)\n", path, part, (unsigned long long)gpa,
                (unsigned long long)(gpa + len), (unsigned long long)ram_size);
        return -1;
    }
    if (overlaps(gpa, len, MB_MMAP_ADDR, MB_LOW_AREA_END - MB_MMAP_ADDR)) {
        fprintf(stderr, "glass: -kernel %s: %s [0x%llx, 0x%llx) overlaps the multiboot "
                "information at [0x%x, 0x%x)\n", path, part, (unsigned long long)gpa,
                (unsigned long long)(gpa + len), MB_MMAP_ADDR, MB_LOW_AREA_END);
        return -1;
    }
    return 0;
}

/* ELF kernel (header flag 16 clear): each PT_LOAD at p_paddr, bss zeroed. */
static int load_elf_kernel(struct memmap *mem, const struct options *opt,
                           const uint8_t *data, size_t len, struct mb_kernel *k)
{
    struct elf32_image img;
    char part[48];

    if (!elf_is_elf(data, len)) {
        fprintf(stderr, "glass: -kernel %s: the multiboot header does not set the "
                "a.out kludge (flag bit 16) and the file is not ELF\n", opt->kernel);
        return -1;
    }
    if (elf32_parse("-kernel", opt->kernel, data, len, &img) < 0)
        return -1;
    k->low = UINT32_MAX;
    k->high = 0;
    for (int i = 0; i < img.nseg; i++) {
        const struct elf32_segment *s = &img.seg[i];
        snprintf(part, sizeof(part), "program header %d", s->phdr_index);
        if (check_placement(mem, opt->kernel, part, s->paddr, s->memsz, opt->ram_size) < 0)
            return -1;
        if (s->paddr < k->low)
            k->low = s->paddr;
        if (s->paddr + s->memsz > k->high)
            k->high = s->paddr + s->memsz;
    }
    for (int i = 0; i < img.nseg; i++) {
        const struct elf32_segment *s = &img.seg[i];
        loader_write_ram(mem, "-kernel", s->paddr, data + s->offset, s->filesz);
        loader_zero_ram(mem, "-kernel", s->paddr + s->filesz, s->memsz - s->filesz);
    }
    /* e_entry is a virtual address; when it lies in a segment whose physical
     * address differs, enter at the physical one, as GRUB 2 does (for the
     * usual kernel, linked where it loads, this changes nothing). */
    k->entry = img.entry;
    for (int i = 0; i < img.nseg; i++) {
        const struct elf32_segment *s = &img.seg[i];
        if (img.entry >= s->vaddr && img.entry - s->vaddr < s->memsz) {
            k->entry = img.entry - s->vaddr + s->paddr;
            break;
        }
    }
    return 0;
}

/* a.out kludge (flag 16, spec 3.1.3): the header's own address fields say
 * which bytes of the file go where.  Checks as QEMU's, with messages. */
static int load_aout_kernel(struct memmap *mem, const struct options *opt,
                            const uint8_t *data, size_t len, size_t hdr_off,
                            struct mb_kernel *k)
{
    const char *path = opt->kernel;
    if (hdr_off + 32 > len) {
        fprintf(stderr, "glass: -kernel %s: the multiboot header at offset 0x%zx is cut "
                "short: its a.out address fields need 32 bytes, the file ends after %zu\n",
                path, hdr_off, len - hdr_off);
        return -1;
    }
    const uint8_t *h = data + hdr_off;
    uint32_t header_addr = rd32(h + 12), load_addr = rd32(h + 16);
    uint32_t load_end_addr = rd32(h + 20), bss_end_addr = rd32(h + 24);
    uint32_t entry_addr = rd32(h + 28);

    if (header_addr < load_addr || header_addr - load_addr > hdr_off) {
        fprintf(stderr, "glass: -kernel %s: multiboot header_addr 0x%x and load_addr 0x%x "
                "do not fit the header's file offset 0x%zx\n", path, header_addr, load_addr, hdr_off);
        return -1;
    }
    /* The file offset that lands at load_addr. */
    uint64_t text_off = hdr_off - (header_addr - load_addr);
    uint64_t load_size;
    if (load_end_addr) {
        if (load_end_addr < load_addr) {
            fprintf(stderr, "glass: -kernel %s: multiboot load_end_addr 0x%x is below load_addr 0x%x\n",
                    path, load_end_addr, load_addr);
            return -1;
        }
        load_size = load_end_addr - load_addr;
        if (text_off + load_size > len) {
            fprintf(stderr, "glass: -kernel %s: multiboot load_end_addr 0x%x is beyond the "
                    "end of the file (needs %llu bytes from offset 0x%llx, the file has %zu)\n",
                    path, load_end_addr, (unsigned long long)load_size,
                    (unsigned long long)text_off, len);
            return -1;
        }
    } else {
        load_size = len - text_off;
    }
    uint64_t image_size = load_size;
    if (bss_end_addr) {
        if (bss_end_addr < load_addr + load_size) {
            fprintf(stderr, "glass: -kernel %s: multiboot bss_end_addr 0x%x is below the end "
                    "of the loaded data 0x%llx\n", path, bss_end_addr,
                    (unsigned long long)(load_addr + load_size));
            return -1;
        }
        image_size = bss_end_addr - load_addr;
    }
    if ((uint64_t)load_addr + image_size > 0x100000000ull) {
        fprintf(stderr, "glass: -kernel %s: the kernel does not fit below 4 GiB\n", path);
        return -1;
    }
    if (check_placement(mem, path, "the kernel image", load_addr, image_size, opt->ram_size) < 0)
        return -1;
    loader_write_ram(mem, "-kernel", load_addr, data + text_off, load_size);
    loader_zero_ram(mem, "-kernel", load_addr + load_size, image_size - load_size);
    k->low = load_addr;
    k->high = (uint32_t)(load_addr + image_size);
    k->entry = entry_addr;
    return 0;
}

/* The information area after the kernel, laid out as QEMU does: module list,
 * strings, then the modules, each on a page boundary. */
struct mb_layout {
    uint64_t mods_addr;       /* module list */
    uint64_t str_next;        /* where the next string goes */
    uint64_t mod_next;        /* where the next module goes */
};

static int put_string(struct memmap *mem, const struct options *opt, struct mb_layout *l,
                      const char *s, uint32_t *addr)
{
    size_t n = strlen(s) + 1;
    if (check_placement(mem, opt->kernel, "the multiboot strings", l->str_next, n,
                        opt->ram_size) < 0)
        return -1;
    loader_write_ram(mem, "-kernel", l->str_next, s, n);
    *addr = (uint32_t)l->str_next;
    l->str_next += n;
    return 0;
}

static int load_modules(struct memmap *mem, const struct options *opt, struct mb_layout *l,
                        struct multiboot_info *info)
{
    for (int i = 0; i < opt->ninitrd; i++) {
        const char *entry = opt->initrd[i];
        struct multiboot_module mod = { 0 };

        /* The module's string is the whole entry; its file, the part up to
         * the first space (QEMU). */
        if (put_string(mem, opt, l, entry, &mod.string) < 0)
            return -1;
        size_t name_len = strcspn(entry, " ");
        char *file = strndup(entry, name_len);
        if (!file) {
            fprintf(stderr, "glass: -initrd: out of memory\n");
            return -1;
        }
        uint8_t *data;
        size_t len;
        if (loader_read_file("-initrd", file, opt->ram_size, &data, &len) < 0) {
            free(file);
            return -1;
        }
        if (!loader_is_ram(mem, l->mod_next, len ? len : 1) || l->mod_next + len > UINT32_MAX) {
            fprintf(stderr, "glass: -initrd %s: %zu bytes at 0x%llx do not fit in guest RAM "
                    "(0x%llx bytes, -m)\n", file, len, (unsigned long long)l->mod_next,
                    (unsigned long long)opt->ram_size);
            free(data);
            free(file);
            return -1;
        }
        loader_write_ram(mem, "-initrd", l->mod_next, data, len);
        free(data);
        free(file);
        mod.mod_start = (uint32_t)l->mod_next;
        mod.mod_end = (uint32_t)(l->mod_next + len);
        loader_write_ram(mem, "-initrd", l->mods_addr + (uint64_t)i * sizeof(mod), &mod, sizeof(mod));
        l->mod_next = PAGE_ALIGN(l->mod_next + len);
        info->mods_count++;
    }
    return 0;
}

static uint32_t mem_upper_kb(const struct e820_entry *map, int n)
{
    /* As QEMU's option ROM: RAM contiguous from 1 MiB, in KiB. */
    uint64_t end = 0x100000;
    for (int i = 0; i < n; i++)
        if (map[i].type == E820_RAM && map[i].addr <= end && end < map[i].addr + map[i].len)
            end = map[i].addr + map[i].len;
    return (uint32_t)((end - 0x100000) >> 10);
}

static void write_mmap(struct memmap *mem, struct multiboot_info *info, uint64_t ram_size)
{
    struct e820_entry map[PC_E820_MAX];
    int n = pc_e820_map(ram_size, map);
    for (int i = 0; i < n; i++) {
        struct multiboot_mmap_entry e = {
            .size = sizeof(e) - 4, .addr = map[i].addr, .len = map[i].len, .type = map[i].type,
        };
        loader_write_ram(mem, "multiboot", MB_MMAP_ADDR + (uint64_t)i * sizeof(e), &e, sizeof(e));
    }
    info->mem_lower = MB_MEM_LOWER_KB;
    info->mem_upper = mem_upper_kb(map, n);
    info->mmap_addr = MB_MMAP_ADDR;
    info->mmap_length = (uint32_t)(n * sizeof(struct multiboot_mmap_entry));
}

static void set_machine_state(struct x86_cpu *cpu, uint32_t entry)
{
    x86_desc_to_segment(mb_gdt[1], MB_CODE_SEL, &cpu->seg[S_CS]);
    cpu->seg[S_CS].type |= DESC_TYPE_ACCESSED;   /* set by the load on hardware */
    for (int s = S_ES; s <= S_GS; s++)
        if (s != S_CS)
            x86_desc_to_segment(mb_gdt[2], MB_DATA_SEL, &cpu->seg[s]);
    cpu->gdtr.base = MB_GDT_ADDR;
    cpu->gdtr.limit = sizeof(mb_gdt) - 1;
    cpu->idtr.base = 0;
    cpu->idtr.limit = 0x3ff;
    cpu->cr0 = CR0_PE | CR0_ET;
    cpu->cpl = 0;
    x86_set_rflags(cpu, FL_FIXED1 | FL_PF);
    cpu->gpr[R_RAX] = MULTIBOOT_BOOTLOADER_MAGIC;
    cpu->gpr[R_RBX] = MB_INFO_ADDR;
    cpu->gpr[R_RCX] = entry;
    cpu->gpr[R_RDX] = 0;
    cpu->gpr[R_RSP] = MB_BOOT_ESP;
    cpu->rip = entry;
}

int loader_multiboot(struct memmap *mem, struct x86_cpu *cpu, const struct options *opt)
{
    const char *path = opt->kernel;
    uint8_t *data;
    size_t len;
    struct mb_kernel k;
    int ret = -1;

    if (!loader_is_ram(mem, MB_MMAP_ADDR, MB_LOW_AREA_END - MB_MMAP_ADDR)) {
        fprintf(stderr, "glass: -kernel %s: no RAM at 0x%x for the multiboot information\n",
                path, MB_MMAP_ADDR);
        return -1;
    }
    if (loader_read_file("-kernel", path, opt->ram_size, &data, &len) < 0)
        return -1;
    long hdr = find_header(path, data, len);
    if (hdr < 0)
        goto out;
    uint32_t flags = rd32(data + hdr + 4);
    if (flags & MB_HDR_VIDEO_MODE)
        fprintf(stderr, "glass: -kernel %s: the kernel asks for a video mode; glass has no "
                "display, ignored\n", path);
    if (flags & 0xfff8u)
        fprintf(stderr, "glass: -kernel %s: unknown required multiboot flags 0x%x, ignored "
                "(as QEMU does)\n", path, flags & 0xfff8u);

    if (flags & MB_HDR_AOUT_KLUDGE)
        ret = load_aout_kernel(mem, opt, data, len, (size_t)hdr, &k);
    else
        ret = load_elf_kernel(mem, opt, data, len, &k);
    if (ret < 0)
        goto out;
    ret = -1;

    /* Room QEMU reserves for the list and strings, so the modules land
     * where QEMU puts them (its count covers the whole -initrd argument,
     * the kernel path, the -append string and the loader name). */
    size_t strings = strlen(path) + 1 + strlen(opt->append) + 1 + strlen(MB_LOADER_NAME) + 1;
    for (int i = 0; i < opt->ninitrd; i++)
        strings += strlen(opt->initrd[i]) + 1;
    struct mb_layout l;
    l.mods_addr = PAGE_ALIGN((uint64_t)k.high - k.low) + k.low;
    l.str_next = l.mods_addr + (uint64_t)opt->ninitrd * sizeof(struct multiboot_module);
    l.mod_next = PAGE_ALIGN(l.str_next + strings);

    struct multiboot_info info = { 0 };
    info.flags = MB_INFO_MEMORY | MB_INFO_BOOTDEV | MB_INFO_CMDLINE | MB_INFO_MODS |
                 MB_INFO_MEM_MAP | MB_INFO_LOADER_NAME;
    info.boot_device = MB_BOOT_DEVICE;
    info.mods_addr = (uint32_t)l.mods_addr;
    if (load_modules(mem, opt, &l, &info) < 0)
        goto out;

    /* QEMU passes the kernel's file name, a space, then -append. */
    size_t cmdline_len = strlen(path) + 1 + strlen(opt->append) + 1;
    char *cmdline = malloc(cmdline_len);
    if (!cmdline) {
        fprintf(stderr, "glass: -kernel %s: out of memory\n", path);
        goto out;
    }
    snprintf(cmdline, cmdline_len, "%s %s", path, opt->append);
    int r = put_string(mem, opt, &l, cmdline, &info.cmdline);
    free(cmdline);
    if (r < 0 || put_string(mem, opt, &l, MB_LOADER_NAME, &info.boot_loader_name) < 0)
        goto out;

    write_mmap(mem, &info, opt->ram_size);
    loader_write_ram(mem, "multiboot", MB_GDT_ADDR, mb_gdt, sizeof(mb_gdt));
    loader_write_ram(mem, "multiboot", MB_INFO_ADDR, &info, sizeof(info));
    set_machine_state(cpu, k.entry);
    ret = 0;
out:
    free(data);
    return ret;
}
