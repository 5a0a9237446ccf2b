/* Unit tests for the debugger core: breakpoint/watchpoint tables, register
 * names and conditions, the symbol table (absolute symbols too) and the ELF
 * parser's errors, the `help` summaries. */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "cpu/x86_cpu.h"
#include "debugger/debugger.h"
#include "debugger/session.h"
#include "debugger/symbols.h"

#include <elf.h>    /* after x86_cpu.h: elf.h #defines EV_NONE, an enum name there */

START_TEST(test_break_table)
{
    struct debugger d;
    debugger_init(&d, NULL);
    ck_assert(d.step_irqs_masked);
    struct dbg_breakpoint bp = { .kind = BK_LINEAR, .value = 0x7c00, .enabled = true };
    int a = dbg_break_add(&d, &bp);
    struct dbg_watchpoint wp = { .start = 0x500, .len = 4, .access = WATCH_WRITE, .enabled = true };
    int b = dbg_watch_add(&d, &wp);
    ck_assert_int_eq(a, 1);
    ck_assert_int_eq(b, 2);
    ck_assert_ptr_nonnull(dbg_break_find(&d, 1));
    ck_assert_ptr_nonnull(dbg_watch_find(&d, 2));
    ck_assert_int_eq(dbg_enable(&d, 1, false), 0);
    ck_assert(!dbg_break_find(&d, 1)->enabled);
    ck_assert_int_eq(dbg_delete(&d, 2), 0);
    ck_assert_int_eq(dbg_delete(&d, 2), -1);
    ck_assert_ptr_null(dbg_watch_find(&d, 2));
    wp.len = 0;
    ck_assert_int_eq(dbg_watch_add(&d, &wp), -1);
    wp.len = DBG_WATCH_MAX_LEN + 1;
    ck_assert_int_eq(dbg_watch_add(&d, &wp), -1);
    for (int i = 1; i < DBG_MAX_BREAKPOINTS; i++)
        ck_assert_int_gt(dbg_break_add(&d, &bp), 0);
    ck_assert_int_eq(dbg_break_add(&d, &bp), -1);   /* full */
}
END_TEST

START_TEST(test_regs_and_conditions)
{
    struct x86_cpu cpu;
    memset(&cpu, 0, sizeof(cpu));
    cpu.gpr[R_RAX] = 0x1122334455667788ull;
    cpu.seg[S_CS].selector = 0x8;
    uint64_t v;
    ck_assert_int_eq(dbg_reg_read(&cpu, "eax", &v), 0);
    ck_assert_uint_eq(v, 0x55667788);
    ck_assert_int_eq(dbg_reg_read(&cpu, "ah", &v), 0);
    ck_assert_uint_eq(v, 0x77);
    ck_assert_int_eq(dbg_reg_read(&cpu, "$CS", &v), 0);
    ck_assert_uint_eq(v, 8);
    ck_assert_int_eq(dbg_reg_read(&cpu, "xyz", &v), -1);
    ck_assert_int_eq(dbg_reg_write(&cpu, "ax", 0xbeef), 0);
    ck_assert_uint_eq(cpu.gpr[R_RAX], 0x112233445566beefull);
    ck_assert_int_eq(dbg_reg_write(&cpu, "eax", 1), 0);
    ck_assert_uint_eq(cpu.gpr[R_RAX], 1);   /* 32-bit writes zero-extend */

    struct dbg_cond c;
    ck_assert_int_eq(dbg_cond_parse("eax == 1", &c), 0);
    ck_assert(dbg_cond_true(&cpu, &c));
    ck_assert_int_eq(dbg_cond_parse("$rax>=0x2", &c), 0);
    ck_assert(!dbg_cond_true(&cpu, &c));
    ck_assert_int_eq(dbg_cond_parse("nope == 1", &c), -1);
    ck_assert_int_eq(dbg_cond_parse("eax = 1", &c), -1);
    ck_assert_int_eq(dbg_cond_parse("eax == x", &c), -1);
    c.active = false;
    ck_assert(dbg_cond_true(&cpu, &c));
}
END_TEST

START_TEST(test_modes)
{
    struct x86_cpu cpu;
    memset(&cpu, 0, sizeof(cpu));
    ck_assert_int_eq(dbg_cpu_mode(&cpu), 16);
    cpu.seg[S_CS].base = 0xf0000;
    cpu.rip = 0xfff0;
    ck_assert_uint_eq(dbg_pc_linear(&cpu), 0xffff0);
    cpu.cr0 = CR0_PE;
    ck_assert_int_eq(dbg_cpu_mode(&cpu), 32);
    cpu.efer = EFER_LMA | EFER_LME;
    ck_assert_int_eq(dbg_cpu_mode(&cpu), 32);   /* compatibility mode */
    cpu.seg[S_CS].l = 1;
    ck_assert_int_eq(dbg_cpu_mode(&cpu), 64);
}
END_TEST

START_TEST(test_symtab)
{
    struct symtab t;
    char buf[64], err[128];
    uint64_t off;
    symtab_init(&t);
    ck_assert_int_eq(symtab_add(&t, "kmain", 0x1000, 0x100), 0);
    ck_assert_int_eq(symtab_add(&t, "_start", 0x800, 0), 0);
    ck_assert_int_eq(symtab_add(&t, "after", 0x2000, 0x10), 0);
    ck_assert_str_eq(symtab_describe(&t, 0x1000, buf, sizeof(buf)), "kmain");
    ck_assert_str_eq(symtab_describe(&t, 0x1010, buf, sizeof(buf)), "kmain+0x10");
    ck_assert_str_eq(symtab_describe(&t, 0x1100, buf, sizeof(buf)), "");   /* past its size */
    ck_assert_str_eq(symtab_describe(&t, 0x900, buf, sizeof(buf)), "_start+0x100");
    ck_assert_ptr_null(symtab_by_addr(&t, 0x10, &off));
    ck_assert_uint_eq(symtab_by_name(&t, "after")->addr, 0x2000);
    ck_assert_ptr_null(symtab_by_name(&t, "none"));

    static const uint8_t junk[] = "not an elf at all";
    ck_assert_int_eq(symtab_load_elf_image(&t, junk, sizeof(junk), 0, err, sizeof(err)), -1);
    ck_assert(strstr(err, "not an ELF") != NULL);
    uint8_t hdr[64];
    memset(hdr, 0, sizeof(hdr));
    memcpy(hdr, "\x7f" "ELF", 4);
    hdr[4] = 1;
    hdr[5] = 1;
    ck_assert_int_eq(symtab_load_elf_image(&t, hdr, 20, 0, err, sizeof(err)), -1);
    ck_assert(strstr(err, "truncated") != NULL);
    ck_assert_int_eq(symtab_load_elf(&t, "/nonexistent/file", 0, err, sizeof(err)), -1);
    ck_assert(strstr(err, "/nonexistent/file") != NULL);
    symtab_free(&t);
}
END_TEST

/* A little ELF32 image: .text, .symtab, .strtab; symbols as given. */
struct tiny_sym {
    const char *name;
    uint32_t value, size;
    unsigned type, shndx;
};

static size_t tiny_elf(uint8_t *img, size_t cap, const struct tiny_sym *syms, int n)
{
    char strtab[256] = "";
    size_t strlen_used = 1;
    Elf32_Sym st[8];
    memset(st, 0, sizeof(st));
    ck_assert_int_lt(n, 8);
    for (int i = 0; i < n; i++) {
        st[i + 1].st_name = (uint32_t)strlen_used;
        strcpy(strtab + strlen_used, syms[i].name);
        strlen_used += strlen(syms[i].name) + 1;
        st[i + 1].st_value = syms[i].value;
        st[i + 1].st_size = syms[i].size;
        st[i + 1].st_info = ELF32_ST_INFO(STB_GLOBAL, syms[i].type);
        st[i + 1].st_shndx = (uint16_t)syms[i].shndx;
    }
    size_t symoff = sizeof(Elf32_Ehdr), symsize = (size_t)(n + 1) * sizeof(Elf32_Sym);
    size_t stroff = symoff + symsize, shoff = (stroff + strlen_used + 3) & ~(size_t)3;
    size_t total = shoff + 4 * sizeof(Elf32_Shdr);
    ck_assert_uint_le(total, cap);
    memset(img, 0, total);
    Elf32_Ehdr eh = { .e_type = ET_EXEC, .e_machine = EM_386, .e_version = EV_CURRENT,
                      .e_shoff = (uint32_t)shoff, .e_ehsize = sizeof(Elf32_Ehdr),
                      .e_shentsize = sizeof(Elf32_Shdr), .e_shnum = 4, .e_shstrndx = 0 };
    memcpy(eh.e_ident, ELFMAG, SELFMAG);
    eh.e_ident[EI_CLASS] = ELFCLASS32;
    eh.e_ident[EI_DATA] = ELFDATA2LSB;
    eh.e_ident[EI_VERSION] = EV_CURRENT;
    memcpy(img, &eh, sizeof(eh));
    memcpy(img + symoff, st, symsize);
    memcpy(img + stroff, strtab, strlen_used);
    Elf32_Shdr sh[4];
    memset(sh, 0, sizeof(sh));
    sh[1] = (Elf32_Shdr){ .sh_type = SHT_PROGBITS, .sh_flags = SHF_ALLOC | SHF_EXECINSTR,
                          .sh_addr = 0x1000, .sh_size = 0x2000 };
    sh[2] = (Elf32_Shdr){ .sh_type = SHT_SYMTAB, .sh_offset = (uint32_t)symoff,
                          .sh_size = (uint32_t)symsize, .sh_link = 3,
                          .sh_entsize = sizeof(Elf32_Sym) };
    sh[3] = (Elf32_Shdr){ .sh_type = SHT_STRTAB, .sh_offset = (uint32_t)stroff,
                          .sh_size = (uint32_t)strlen_used };
    memcpy(img + shoff, sh, sizeof(sh));
    return total;
}

/* SHN_ABS symbols (sizes, magic numbers, flags from `equ`) are constants:
 * `print NAME` finds them, but no address is named after one. */
START_TEST(test_symtab_absolute)
{
    static const struct tiny_sym syms[] = {
        { "kmain", 0x1000, 0x40, STT_FUNC, 1 },
        { "MB_FLAGS", 0x3, 0, STT_NOTYPE, SHN_ABS },
        { "INSIDE_KMAIN", 0x1010, 0, STT_NOTYPE, SHN_ABS },
        { "loop", 0x2000, 0, STT_NOTYPE, 1 },
        { "AFTER_LOOP", 0x2008, 0, STT_NOTYPE, SHN_ABS },
    };
    uint8_t img[1024];
    char buf[64], err[128];
    uint64_t off;
    size_t len = tiny_elf(img, sizeof(img), syms, 5);
    struct symtab t;
    symtab_init(&t);
    ck_assert_int_eq(symtab_load_elf_image(&t, img, len, 0x100, err, sizeof(err)), 5);
    /* By name: all of them; the constants are not moved by the offset. */
    ck_assert_uint_eq(symtab_by_name(&t, "MB_FLAGS")->addr, 0x3);
    ck_assert(symtab_by_name(&t, "MB_FLAGS")->absolute);
    ck_assert_uint_eq(symtab_by_name(&t, "kmain")->addr, 0x1100);
    ck_assert(!symtab_by_name(&t, "kmain")->absolute);
    /* By address: never a constant. */
    ck_assert_ptr_null(symtab_by_addr(&t, 0x3, &off));
    ck_assert_str_eq(symtab_describe(&t, 0x3, buf, sizeof(buf)), "");
    ck_assert_str_eq(symtab_describe(&t, 0x1010, buf, sizeof(buf)), "");  /* INSIDE_KMAIN */
    ck_assert_str_eq(symtab_describe(&t, 0x1110, buf, sizeof(buf)), "kmain+0x10");
    ck_assert_str_eq(symtab_describe(&t, 0x2008, buf, sizeof(buf)), "");
    ck_assert_str_eq(symtab_describe(&t, 0x2108, buf, sizeof(buf)), "loop+0x8");
    symtab_free(&t);

    /* Without the offset a constant sits inside kmain: kmain still names it. */
    symtab_init(&t);
    ck_assert_int_eq(symtab_load_elf_image(&t, img, len, 0, err, sizeof(err)), 5);
    ck_assert_str_eq(symtab_describe(&t, 0x1010, buf, sizeof(buf)), "kmain+0x10");
    ck_assert_str_eq(symtab_describe(&t, 0x2008, buf, sizeof(buf)), "loop+0x8");
    symtab_free(&t);
}
END_TEST

/* `help`: every summary whole (the first sentence, word-wrapped to 79
 * columns under the command's name), not cut at 79 characters. */
START_TEST(test_help_summaries)
{
    char *text = NULL;
    size_t len = 0;
    FILE *out = open_memstream(&text, &len);
    ck_assert_ptr_nonnull(out);
    struct dbg_session *s = calloc(1, sizeof(*s));
    dbg_session_init(s, NULL, NULL, out);
    ck_assert_int_eq(dbg_execute(s, "help"), 0);
    dbg_session_free(s);
    free(s);
    fclose(out);

    /* Join each command's indented summary lines. */
    char summary[4][512] = { "", "", "", "" };
    static const char *const names[4] = { "  continue ", "  stepi ", "  rwatch", "  cpu" };
    int which = -1;
    for (char *line = strtok(text, "\n"); line; line = strtok(NULL, "\n")) {
        if (strncmp(line, "info subcommands:", 17))
            ck_assert_msg(strlen(line) <= 79, "help line longer than 79: %s", line);
        if (!strncmp(line, "               ", 15)) {
            if (which >= 0) {
                if (*summary[which])
                    strcat(summary[which], " ");
                strcat(summary[which], line + 15);
            }
            continue;
        }
        which = -1;
        for (int i = 0; i < 4; i++)
            if (!strncmp(line, names[i], strlen(names[i])))
                which = i;
    }
    free(text);
    ck_assert_str_eq(summary[0], "Run the guest until a breakpoint, a watchpoint, Ctrl-C or the "
                                 "end of the machine.");
    ck_assert_str_eq(summary[1], "Execute N (default 1) guest instructions, in any mode, "
                                 "external interrupts masked while stepping unless `set "
                                 "step-irq on`.");
    ck_assert(strstr(summary[2], "hardware reads (page walks, descriptor loads) are not seen."));
    ck_assert_str_eq(summary[3], "List the vCPUs, or make vCPU N the current one.");
}
END_TEST

int main(void)
{
    Suite *s = suite_create("debugger");
    TCase *tc = tcase_create("core");
    tcase_add_test(tc, test_break_table);
    tcase_add_test(tc, test_regs_and_conditions);
    tcase_add_test(tc, test_modes);
    tcase_add_test(tc, test_symtab);
    tcase_add_test(tc, test_symtab_absolute);
    tcase_add_test(tc, test_help_summaries);
    suite_add_tcase(s, tc);
    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
