/* Unit tests for the debugger core: breakpoint/watchpoint tables, register
 * names and conditions, the symbol table and the ELF parser's errors. */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "cpu/x86_cpu.h"
#include "debugger/debugger.h"
#include "debugger/symbols.h"

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

int main(void)
{
    Suite *s = suite_create("debugger");
    TCase *tc = tcase_create("core");
    tcase_add_test(tc, test_break_table);
    tcase_add_test(tc, test_regs_and_conditions);
    tcase_add_test(tc, test_modes);
    tcase_add_test(tc, test_symtab);
    suite_add_tcase(s, tc);
    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
