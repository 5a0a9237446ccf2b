/* The loaders: multiboot v1 kernels (ELF32 and the a.out kludge) with
 * modules, the information structure and the CPU state they get; the boot
 * sector path; and every broken input, each an error naming the problem. */
#include <check.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cpu/x86_cpu.h"
#include "machine/loader.h"
#include "machine/multiboot.h"
#include "machine/options.h"
#include "mem/memmap.h"
#include "tests/unit/run_suite.h"

#define RAM_SIZE (16ull << 20)
#define TOP_RESERVED (128ull << 10)

static struct memmap mem;
static struct x86_cpu cpu;
static struct options opt;
static char err_text[4096];
static char *temp_files[8];
static int ntemp;

/* The board's layout: low RAM, the legacy hole (RAM for now), the rest. */
static void setup(void)
{
    ck_assert_int_eq(memmap_init(&mem, RAM_SIZE), 0);
    ck_assert_int_eq(memmap_add_ram(&mem, "ram-low", 0, 0xa0000), 0);
    ck_assert_int_eq(memmap_add_ram(&mem, "legacy-hole", 0xa0000, 0x60000), 0);
    ck_assert_int_eq(memmap_add_ram(&mem, "ram", 0x100000, RAM_SIZE - 0x100000), 0);
    memset(&cpu, 0, sizeof(cpu));
    char *argv[] = { "glass", NULL };
    ck_assert_int_eq(options_parse(&opt, 1, argv), 0);
    opt.ram_size = RAM_SIZE;
    ntemp = 0;
}

static void teardown(void)
{
    for (int i = 0; i < ntemp; i++) {
        unlink(temp_files[i]);
        free(temp_files[i]);
    }
    memmap_destroy(&mem);
}

static const char *temp_file(const void *data, size_t len)
{
    char path[] = "/tmp/glass-test-mb-XXXXXX";
    int fd = mkstemp(path);
    ck_assert_int_ge(fd, 0);
    ck_assert_int_eq(write(fd, data, len), (ssize_t)len);
    close(fd);
    ck_assert_int_lt(ntemp, 8);
    temp_files[ntemp] = strdup(path);
    return temp_files[ntemp++];
}

/* loader_load with stderr captured into err_text. */
static int load(void)
{
    FILE *err = tmpfile();
    ck_assert_ptr_nonnull(err);
    fflush(stderr);
    int saved = dup(2);
    dup2(fileno(err), 2);
    int r = loader_load(&mem, &cpu, &opt);
    fflush(stderr);
    dup2(saved, 2);
    close(saved);
    rewind(err);
    size_t n = fread(err_text, 1, sizeof(err_text) - 1, err);
    err_text[n] = '\0';
    fclose(err);
    return r;
}

static void assert_fails_with(const char *frag1, const char *frag2)
{
    ck_assert_int_eq(load(), -1);
    ck_assert_msg(strstr(err_text, frag1), "'%s' not in '%s'", frag1, err_text);
    if (frag2)
        ck_assert_msg(strstr(err_text, frag2), "'%s' not in '%s'", frag2, err_text);
    ck_assert_msg(strchr(err_text, '\n') == err_text + strlen(err_text) - 1,
                  "not one line: '%s'", err_text);
}

static uint8_t *guest(uint64_t gpa, uint64_t len)
{
    uint8_t *p = memmap_host_ptr(&mem, gpa, len);
    ck_assert_ptr_nonnull(p);
    return p;
}

static uint32_t guest32(uint64_t gpa)
{
    uint32_t v;
    memcpy(&v, guest(gpa, 4), 4);
    return v;
}

static void put32(uint8_t *p, uint32_t v) { memcpy(p, &v, 4); }
static void put16(uint8_t *p, uint16_t v) { memcpy(p, &v, 2); }

static void put_mb_header(uint8_t *p, uint32_t flags)
{
    put32(p, MULTIBOOT_HEADER_MAGIC);
    put32(p + 4, flags);
    put32(p + 8, (uint32_t)-(MULTIBOOT_HEADER_MAGIC + flags));
}

/* ---- an ELF32 kernel -------------------------------------------------- */

#define ELF_TEXT_OFF 0x1000
#define ELF_TEXT_ADDR 0x100000
#define ELF_TEXT_FILESZ 0x40
#define ELF_TEXT_MEMSZ 0x2000   /* the rest is bss */
#define ELF_DATA_OFF 0x1040
#define ELF_DATA_ADDR 0x180000
#define ELF_ENTRY 0x10000c
#define ELF_FILE_SIZE 0x1050

/* Two PT_LOAD segments, a PT_NOTE between them; the multiboot header at
 * the start of the text (file offset 0x1000, inside the first 8 KiB). */
static void build_elf(uint8_t *f)
{
    memset(f, 0, ELF_FILE_SIZE);
    memcpy(f, "\x7f" "ELF", 4);
    f[4] = 1;                       /* ELFCLASS32 */
    f[5] = 1;                       /* little-endian */
    f[6] = 1;                       /* EV_CURRENT */
    put16(f + 16, 2);               /* ET_EXEC */
    put16(f + 18, 3);               /* EM_386 */
    put32(f + 20, 1);
    put32(f + 24, ELF_ENTRY);
    put32(f + 28, 52);              /* e_phoff */
    put16(f + 40, 52);              /* e_ehsize */
    put16(f + 42, 32);              /* e_phentsize */
    put16(f + 44, 3);               /* e_phnum */
    uint8_t *ph = f + 52;
    put32(ph + 0, 1);               /* PT_LOAD */
    put32(ph + 4, ELF_TEXT_OFF);
    put32(ph + 8, ELF_TEXT_ADDR);
    put32(ph + 12, ELF_TEXT_ADDR);
    put32(ph + 16, ELF_TEXT_FILESZ);
    put32(ph + 20, ELF_TEXT_MEMSZ);
    ph += 32;
    put32(ph + 0, 4);               /* PT_NOTE: not loaded */
    put32(ph + 4, 0);
    put32(ph + 12, 0x50000);
    put32(ph + 16, 0x10);
    put32(ph + 20, 0x10);
    ph += 32;
    put32(ph + 0, 1);
    put32(ph + 4, ELF_DATA_OFF);
    put32(ph + 8, ELF_DATA_ADDR);
    put32(ph + 12, ELF_DATA_ADDR);
    put32(ph + 16, 0x10);
    put32(ph + 20, 0x10);
    put_mb_header(f + ELF_TEXT_OFF, MB_HDR_PAGE_ALIGN | MB_HDR_MEMORY_INFO);
    for (int i = 12; i < ELF_TEXT_FILESZ; i++)
        f[ELF_TEXT_OFF + i] = (uint8_t)(0x90 + i);
    memcpy(f + ELF_DATA_OFF, "data segment!!!", 16);
}

static void check_flat(const struct x86_segment *s, uint16_t sel, uint8_t type)
{
    ck_assert_uint_eq(s->selector, sel);
    ck_assert_uint_eq(s->base, 0);
    ck_assert_uint_eq(s->limit, 0xffffffffu);
    ck_assert_uint_eq(s->type, type);
    ck_assert_uint_eq(s->s, 1);
    ck_assert_uint_eq(s->present, 1);
    ck_assert_uint_eq(s->db, 1);
    ck_assert_uint_eq(s->dpl, 0);
}

/* The state the Multiboot Specification (3.2) promises, plus QEMU's extras. */
static void check_machine_state(uint32_t entry)
{
    ck_assert_uint_eq(cpu.gpr[R_RAX], 0x2BADB002);
    ck_assert_uint_eq(cpu.gpr[R_RBX], MB_INFO_ADDR);
    ck_assert_uint_eq(cpu.rip, entry);
    check_flat(&cpu.seg[S_CS], 0x08, 0xb);
    check_flat(&cpu.seg[S_DS], 0x10, 0x3);
    check_flat(&cpu.seg[S_ES], 0x10, 0x3);
    check_flat(&cpu.seg[S_SS], 0x10, 0x3);
    check_flat(&cpu.seg[S_FS], 0x10, 0x3);
    check_flat(&cpu.seg[S_GS], 0x10, 0x3);
    ck_assert(cpu.cr0 & CR0_PE);
    ck_assert(!(cpu.cr0 & CR0_PG));
    uint64_t fl = x86_get_rflags(&cpu);
    ck_assert(!(fl & FL_IF));
    ck_assert(!(fl & FL_VM));
    ck_assert(fl & FL_FIXED1);
    ck_assert_int_eq(x86_code_bits(&cpu), 32);
    ck_assert_uint_eq(cpu.gpr[R_RSP], MB_BOOT_ESP);
    /* A GDT whose selectors 0x08 / 0x10 reload to the same flat segments. */
    ck_assert_uint_eq(cpu.gdtr.base, MB_GDT_ADDR);
    ck_assert_uint_eq(cpu.gdtr.limit, 0x27);
    ck_assert_uint_eq(guest32(MB_GDT_ADDR + 8), 0x0000ffff);
    ck_assert_uint_eq(guest32(MB_GDT_ADDR + 12), 0x00cf9a00);
    ck_assert_uint_eq(guest32(MB_GDT_ADDR + 16), 0x0000ffff);
    ck_assert_uint_eq(guest32(MB_GDT_ADDR + 20), 0x00cf9300);
}

/* QEMU 7.2's e820 for ram_size, read back through mmap_addr/length. */
static void check_mmap(const struct multiboot_info *info)
{
    const uint64_t want[7][3] = {
        { 0, 0x9fc00, 1 }, { 0x9fc00, 0x400, 2 }, { 0xf0000, 0x10000, 2 },
        { 0x100000, RAM_SIZE - TOP_RESERVED - 0x100000, 1 },
        { RAM_SIZE - TOP_RESERVED, TOP_RESERVED, 2 },
        { 0xfffc0000, 0x40000, 2 }, { 0xfd00000000ull, 0x300000000ull, 2 },
    };
    ck_assert_uint_eq(info->flags & MB_INFO_MEM_MAP, MB_INFO_MEM_MAP);
    ck_assert_uint_eq(info->mmap_addr, MB_MMAP_ADDR);
    ck_assert_uint_eq(info->mmap_length, 7 * 24);
    uint64_t at = info->mmap_addr;
    for (int i = 0; i < 7; i++) {
        struct multiboot_mmap_entry e;
        memcpy(&e, guest(at, sizeof(e)), sizeof(e));
        ck_assert_uint_eq(e.size, 20);
        ck_assert_uint_eq(e.addr, want[i][0]);
        ck_assert_uint_eq(e.len, want[i][1]);
        ck_assert_uint_eq(e.type, want[i][2]);
        at += e.size + 4;
    }
    ck_assert_uint_eq(info->mem_lower, 639);
    ck_assert_uint_eq(info->mem_upper, (RAM_SIZE - TOP_RESERVED - 0x100000) >> 10);
}

static struct multiboot_info read_info(void)
{
    struct multiboot_info info;
    memcpy(&info, guest(MB_INFO_ADDR, sizeof(info)), sizeof(info));
    return info;
}

static const char *guest_string(uint32_t gpa)
{
    return (const char *)guest(gpa, 1);
}

START_TEST(elf_kernel_loads)
{
    static uint8_t f[ELF_FILE_SIZE];
    build_elf(f);
    opt.kernel = temp_file(f, sizeof(f));
    opt.append = "console=ttyS0 debug";
    /* Dirty the bss first: the loader must zero it. */
    memset(guest(ELF_TEXT_ADDR, ELF_TEXT_MEMSZ), 0xcc, ELF_TEXT_MEMSZ);

    ck_assert_int_eq(load(), 0);
    ck_assert_str_eq(err_text, "");
    ck_assert_int_eq(memcmp(guest(ELF_TEXT_ADDR, ELF_TEXT_FILESZ), f + ELF_TEXT_OFF,
                            ELF_TEXT_FILESZ), 0);
    const uint8_t *bss = guest(ELF_TEXT_ADDR + ELF_TEXT_FILESZ, ELF_TEXT_MEMSZ - ELF_TEXT_FILESZ);
    for (int i = 0; i < ELF_TEXT_MEMSZ - ELF_TEXT_FILESZ; i++)
        ck_assert_uint_eq(bss[i], 0);
    ck_assert_str_eq(guest_string(ELF_DATA_ADDR), "data segment!!!");
    /* The PT_NOTE was not loaded. */
    ck_assert_uint_eq(guest32(0x50000), 0);

    check_machine_state(ELF_ENTRY);
    ck_assert_uint_eq(cpu.gpr[R_RCX], ELF_ENTRY);

    struct multiboot_info info = read_info();
    ck_assert_uint_eq(info.flags, 0x24f);
    ck_assert_uint_eq(info.boot_device, 0x8000ffff);
    /* QEMU: "<kernel path> <append>". */
    char want[256];
    snprintf(want, sizeof(want), "%s console=ttyS0 debug", opt.kernel);
    ck_assert_str_eq(guest_string(info.cmdline), want);
    ck_assert_str_eq(guest_string(info.boot_loader_name), "glass");
    ck_assert_uint_eq(info.mods_count, 0);
    /* The info area starts at the page after the kernel's last byte. */
    ck_assert_uint_eq(info.mods_addr, 0x181000);
    ck_assert_uint_eq(info.cmdline, 0x181000);
    check_mmap(&info);
}
END_TEST

/* ---- an a.out-kludge kernel with modules ---------------------------- */

#define AOUT_ADDR 0x100000
#define AOUT_SIZE 0x200
#define AOUT_BSS_END (AOUT_ADDR + 0x3000)
#define AOUT_ENTRY (AOUT_ADDR + 0x20)

static void build_aout(uint8_t *f, uint32_t load_end, uint32_t bss_end)
{
    memset(f, 0, AOUT_SIZE);
    /* Header at file offset 0x10, so header_addr = load_addr + 0x10. */
    uint8_t *h = f + 0x10;
    put_mb_header(h, MB_HDR_PAGE_ALIGN | MB_HDR_MEMORY_INFO | MB_HDR_AOUT_KLUDGE);
    put32(h + 12, AOUT_ADDR + 0x10);
    put32(h + 16, AOUT_ADDR);
    put32(h + 20, load_end);
    put32(h + 24, bss_end);
    put32(h + 28, AOUT_ENTRY);
    for (int i = 0x40; i < AOUT_SIZE; i++)
        f[i] = (uint8_t)i;
}

START_TEST(aout_kernel_with_modules)
{
    static uint8_t f[AOUT_SIZE];
    build_aout(f, 0, AOUT_BSS_END);
    opt.kernel = temp_file(f, sizeof(f));
    const char mod1[] = "first module";
    static uint8_t mod2[5000];
    memset(mod2, 0x5a, sizeof(mod2));
    char e1[128], e2[128];
    snprintf(e1, sizeof(e1), "%s arg1 arg2", temp_file(mod1, sizeof(mod1)));
    snprintf(e2, sizeof(e2), "%s", temp_file(mod2, sizeof(mod2)));
    opt.initrd[0] = e1;
    opt.initrd[1] = e2;
    opt.ninitrd = 2;
    memset(guest(AOUT_ADDR, 0x3000), 0xcc, 0x3000);

    ck_assert_int_eq(load(), 0);
    ck_assert_str_eq(err_text, "");
    ck_assert_int_eq(memcmp(guest(AOUT_ADDR, AOUT_SIZE), f, AOUT_SIZE), 0);
    for (uint64_t a = AOUT_ADDR + AOUT_SIZE; a < AOUT_BSS_END; a++)
        ck_assert_uint_eq(*guest(a, 1), 0);
    check_machine_state(AOUT_ENTRY);

    struct multiboot_info info = read_info();
    ck_assert_uint_eq(info.flags, 0x24f);
    ck_assert_uint_eq(info.mods_count, 2);
    /* QEMU's layout: list at the page after bss, then the strings (module
     * strings first, then the command line, then the loader name), then
     * the modules on page boundaries. */
    ck_assert_uint_eq(info.mods_addr, AOUT_BSS_END);
    struct multiboot_module m[2];
    memcpy(m, guest(info.mods_addr, sizeof(m)), sizeof(m));
    ck_assert_uint_eq(m[0].string, AOUT_BSS_END + 32);
    ck_assert_str_eq(guest_string(m[0].string), e1);
    ck_assert_str_eq(guest_string(m[1].string), e2);
    ck_assert_uint_eq(info.cmdline, m[1].string + strlen(e2) + 1);
    char want[256];
    snprintf(want, sizeof(want), "%s ", opt.kernel);   /* no -append: a trailing space */
    ck_assert_str_eq(guest_string(info.cmdline), want);
    ck_assert_uint_eq(m[0].mod_start, AOUT_BSS_END + 0x1000);
    ck_assert_uint_eq(m[0].mod_end, m[0].mod_start + sizeof(mod1));
    ck_assert_str_eq(guest_string(m[0].mod_start), mod1);
    ck_assert_uint_eq(m[1].mod_start, m[0].mod_start + 0x1000);
    ck_assert_uint_eq(m[1].mod_end - m[1].mod_start, sizeof(mod2));
    ck_assert_int_eq(memcmp(guest(m[1].mod_start, sizeof(mod2)), mod2, sizeof(mod2)), 0);
    check_mmap(&info);
}
END_TEST

START_TEST(aout_load_end_limits_the_copy)
{
    static uint8_t f[AOUT_SIZE];
    build_aout(f, AOUT_ADDR + 0x100, 0);
    opt.kernel = temp_file(f, sizeof(f));
    memset(guest(AOUT_ADDR, 0x200), 0xcc, 0x200);
    ck_assert_int_eq(load(), 0);
    ck_assert_int_eq(memcmp(guest(AOUT_ADDR, 0x100), f, 0x100), 0);
    ck_assert_uint_eq(*guest(AOUT_ADDR + 0x100, 1), 0xcc);  /* beyond load_end: untouched */
    ck_assert_uint_eq(read_info().mods_addr, AOUT_ADDR + 0x1000);
}
END_TEST

/* ---- broken kernels --------------------------------------------------- */

START_TEST(missing_kernel)
{
    opt.kernel = "/nonexistent/kernel.elf";
    assert_fails_with("-kernel /nonexistent/kernel.elf", "No such file or directory");
}
END_TEST

START_TEST(no_header)
{
    static uint8_t f[10000];
    for (size_t i = 0; i < sizeof(f); i++)
        f[i] = (uint8_t)(i * 7);
    put_mb_header(f + 8192, MB_HDR_AOUT_KLUDGE);   /* too late: not searched */
    opt.kernel = temp_file(f, sizeof(f));
    assert_fails_with("no multiboot header in the first 8 KiB", opt.kernel);
}
END_TEST

START_TEST(bad_checksum)
{
    static uint8_t f[AOUT_SIZE];
    build_aout(f, 0, 0);
    f[0x10 + 8] ^= 1;
    opt.kernel = temp_file(f, sizeof(f));
    assert_fails_with("bad checksum", "offset 0x10");
}
END_TEST

START_TEST(header_cut_short)
{
    uint8_t f[24] = { 0 };
    put_mb_header(f + 4, MB_HDR_AOUT_KLUDGE);
    opt.kernel = temp_file(f, sizeof(f));
    assert_fails_with("cut short", "a.out address fields need 32 bytes");
}
END_TEST

START_TEST(truncated_elf_header)
{
    uint8_t f[40] = { 0x7f, 'E', 'L', 'F', 1, 1, 1 };
    put_mb_header(f + 16, 0);
    opt.kernel = temp_file(f, sizeof(f));
    assert_fails_with("truncated ELF header", "40 bytes");
}
END_TEST

START_TEST(truncated_program_headers)
{
    static uint8_t f[ELF_FILE_SIZE];
    build_elf(f);
    /* Cut inside the program header table (it ends at 52 + 3 * 32 = 148),
     * keeping a multiboot header in what is left. */
    put_mb_header(f + 120, 0);
    opt.kernel = temp_file(f, 132);
    assert_fails_with("truncated program header table", "the file has 132");
}
END_TEST

START_TEST(segment_beyond_file)
{
    static uint8_t f[ELF_FILE_SIZE];
    build_elf(f);
    put32(f + 52 + 64 + 16, 0x100);    /* data segment filesz: past the end */
    put32(f + 52 + 64 + 20, 0x100);
    opt.kernel = temp_file(f, sizeof(f));
    assert_fails_with("program header 2", "beyond the end of the file");
}
END_TEST

START_TEST(segment_outside_ram)
{
    static uint8_t f[ELF_FILE_SIZE];
    build_elf(f);
    put32(f + 52 + 64 + 12, 0x2000000);  /* 32 MiB: above the 16 MiB of RAM */
    opt.kernel = temp_file(f, sizeof(f));
    assert_fails_with("program header 2 [0x2000000, 0x2000010) is outside guest RAM", NULL);
}
END_TEST

START_TEST(segment_over_info_area)
{
    static uint8_t f[ELF_FILE_SIZE];
    build_elf(f);
    put32(f + 52 + 64 + 12, 0x9400);
    opt.kernel = temp_file(f, sizeof(f));
    assert_fails_with("overlaps the multiboot information", NULL);
}
END_TEST

START_TEST(elf64_kernel)
{
    static uint8_t f[ELF_FILE_SIZE];
    build_elf(f);
    f[4] = 2;    /* ELFCLASS64 */
    opt.kernel = temp_file(f, sizeof(f));
    assert_fails_with("64-bit ELF", NULL);
}
END_TEST

START_TEST(not_elf_without_kludge)
{
    uint8_t f[64] = { 0 };
    put_mb_header(f, 0);
    opt.kernel = temp_file(f, sizeof(f));
    assert_fails_with("not ELF", "flag bit 16");
}
END_TEST

START_TEST(aout_load_end_beyond_file)
{
    static uint8_t f[AOUT_SIZE];
    build_aout(f, AOUT_ADDR + 0x1000, 0);
    opt.kernel = temp_file(f, sizeof(f));
    assert_fails_with("load_end_addr 0x101000 is beyond the end of the file", NULL);
}
END_TEST

START_TEST(aout_bad_addresses)
{
    static uint8_t f[AOUT_SIZE];
    build_aout(f, 0, AOUT_ADDR + 0x10);   /* bss_end below the loaded data */
    opt.kernel = temp_file(f, sizeof(f));
    assert_fails_with("bss_end_addr 0x100010 is below", NULL);
}
END_TEST

START_TEST(aout_outside_ram)
{
    static uint8_t f[AOUT_SIZE];
    build_aout(f, 0, 0x1000000 + 0x1000);   /* bss runs past 16 MiB */
    opt.kernel = temp_file(f, sizeof(f));
    assert_fails_with("the kernel image", "outside guest RAM");
}
END_TEST

START_TEST(missing_module)
{
    static uint8_t f[AOUT_SIZE];
    build_aout(f, 0, 0);
    opt.kernel = temp_file(f, sizeof(f));
    opt.initrd[0] = "/nonexistent/module.bin some args";
    opt.ninitrd = 1;
    assert_fails_with("-initrd /nonexistent/module.bin: No such file or directory", NULL);
}
END_TEST

/* ---- the boot sector ---------------------------------------------------- */

START_TEST(bootsector_loads)
{
    uint8_t disk[1024];
    for (int i = 0; i < 1024; i++)
        disk[i] = (uint8_t)i;
    disk[510] = 0x55;
    disk[511] = 0xaa;
    opt.drive[0].file = temp_file(disk, sizeof(disk));
    ck_assert_int_eq(load(), 0);
    ck_assert_str_eq(err_text, "");
    ck_assert_int_eq(memcmp(guest(0x7c00, 512), disk, 512), 0);
    ck_assert_uint_eq(*guest(0x7e00, 1), 0);   /* only one sector */
    ck_assert_uint_eq(cpu.rip, 0x7c00);
    ck_assert_uint_eq(cpu.seg[S_CS].selector, 0);
    ck_assert_uint_eq(cpu.seg[S_CS].base, 0);
    ck_assert_uint_eq(cpu.seg[S_SS].base, 0);
    ck_assert_uint_eq(cpu.gpr[R_RSP], 0x6f04);  /* where SeaBIOS leaves it */
    ck_assert_uint_eq(cpu.gpr[R_RDX], 0x80);
    ck_assert_uint_eq(cpu.gpr[R_RAX], 0xaa55);
    ck_assert(!(x86_get_rflags(&cpu) & FL_IF));
    ck_assert_int_eq(x86_code_bits(&cpu), 16);
    ck_assert(!x86_protected(&cpu));
}
END_TEST

START_TEST(bootsector_without_signature)
{
    uint8_t disk[512] = { 0xeb, 0xfe };
    opt.drive[0].file = temp_file(disk, sizeof(disk));
    assert_fails_with("no boot signature 0x55AA at offset 510", opt.drive[0].file);
}
END_TEST

START_TEST(bootsector_odd_size_warns)
{
    uint8_t disk[1000] = { 0 };
    disk[510] = 0x55;
    disk[511] = 0xaa;
    opt.drive[0].file = temp_file(disk, sizeof(disk));
    ck_assert_int_eq(load(), 0);
    ck_assert_ptr_nonnull(strstr(err_text, "is 1000 bytes, not a multiple of 512"));
    ck_assert_ptr_nonnull(strstr(err_text, opt.drive[0].file));
}
END_TEST

START_TEST(short_disk_has_no_signature)
{
    uint8_t disk[100] = { 0 };
    opt.drive[0].file = temp_file(disk, sizeof(disk));
    ck_assert_int_eq(load(), -1);
    ck_assert_ptr_nonnull(strstr(err_text, "no boot signature"));
}
END_TEST

START_TEST(missing_disk)
{
    opt.drive[1].file = "/nonexistent/disk.img";
    assert_fails_with("drive 1 (/nonexistent/disk.img): No such file or directory", NULL);
}
END_TEST

START_TEST(nothing_to_boot)
{
    assert_fails_with("nothing to boot: give -kernel or a disk", NULL);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("loader");
    TCase *tc = tcase_create("multiboot");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, elf_kernel_loads);
    tcase_add_test(tc, aout_kernel_with_modules);
    tcase_add_test(tc, aout_load_end_limits_the_copy);
    tcase_add_test(tc, missing_kernel);
    tcase_add_test(tc, no_header);
    tcase_add_test(tc, bad_checksum);
    tcase_add_test(tc, header_cut_short);
    tcase_add_test(tc, truncated_elf_header);
    tcase_add_test(tc, truncated_program_headers);
    tcase_add_test(tc, segment_beyond_file);
    tcase_add_test(tc, segment_outside_ram);
    tcase_add_test(tc, segment_over_info_area);
    tcase_add_test(tc, elf64_kernel);
    tcase_add_test(tc, not_elf_without_kludge);
    tcase_add_test(tc, aout_load_end_beyond_file);
    tcase_add_test(tc, aout_bad_addresses);
    tcase_add_test(tc, aout_outside_ram);
    tcase_add_test(tc, missing_module);
    tcase_add_test(tc, bootsector_loads);
    tcase_add_test(tc, bootsector_without_signature);
    tcase_add_test(tc, bootsector_odd_size_warns);
    tcase_add_test(tc, short_disk_has_no_signature);
    tcase_add_test(tc, missing_disk);
    tcase_add_test(tc, nothing_to_boot);
    suite_add_tcase(s, tc);
    return run_suite(s);
}
