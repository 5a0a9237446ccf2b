/* The interpreter end to end: small machine-code programs (assembled with
 * nasm, bytes and source in guest_programs.h) run by interp_run on a flat
 * 32-bit protected-mode CPU and a 64-bit one, with real memory (mem/), the
 * decoder and the MMU.  Plus the decoded-instruction cache under
 * self-modifying code, faults, the instruction budget, and a speed
 * measurement (printed, never asserted). */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define CODE 0x1000ull   /* where guest_programs.h is assembled to run */
#include "tests/unit/guest_programs.h"
#include "tests/unit/interp_fixture.h"
#include "tests/unit/run_suite.h"

/* 64-bit mode with the first 2 MiB identity-mapped by one large page. */
static void enter_long_mode(void)
{
    guest_map_low_2m(&mm, 0x10000);
    guest_long_mode(cpu, 0x10000);
}

START_TEST(test_sum_loop)
{
    load(CODE, prog_p32, sizeof(prog_p32));
    struct vm_exit e = run(0);
    ck_assert_uint_eq(e.reason, EXIT_HLT);
    ck_assert_uint_eq(cpu->gpr[R_RAX], 500500);
    ck_assert_uint_eq(cpu->gpr[R_RCX], 0);
    ck_assert_uint_eq(cpu->rip, CODE + sizeof(prog_p32));
    ck_assert_uint_eq(cpu->insn_count, 2 + 3 * 1000 + 1);
    ck_assert(x86_get_rflags(cpu) & FL_ZF);
}
END_TEST

START_TEST(test_rep_movs_stos)
{
    uint8_t src[10000], dst[10000];
    for (size_t i = 0; i < sizeof(src); i++)
        src[i] = (uint8_t)(i * 7 + 3);
    load(0x3000, src, sizeof(src));
    load(CODE, prog_movs, sizeof(prog_movs));
    struct vm_exit e = run(0);
    ck_assert_uint_eq(e.reason, EXIT_HLT);
    ck_assert_int_eq(memmap_read(&mm, 0x5000, dst, sizeof(dst)), 0);
    ck_assert_mem_eq(src, dst, sizeof(src));
    ck_assert_uint_eq(cpu->gpr[R_RSI], 0x3000 + 10000);
    ck_assert_uint_eq(cpu->gpr[R_RDI], 0x8000 + 400);
    ck_assert_uint_eq(cpu->gpr[R_RCX], 0);
    uint32_t w[101];
    ck_assert_int_eq(memmap_read(&mm, 0x8000, w, sizeof(w)), 0);
    ck_assert_uint_eq(w[0], 0x11223344);
    ck_assert_uint_eq(w[99], 0x11223344);
    ck_assert_uint_eq(w[100], 0);
}
END_TEST

/* A long REP stops part way with RIP still at it, and resumes. */
START_TEST(test_rep_interruptible)
{
    load(CODE, prog_movs, sizeof(prog_movs));
    struct vm_exit e = run(5); /* cld, 3 movs, then one slice of rep movsb */
    ck_assert_uint_eq(e.reason, EXIT_GLASS_STOP);
    ck_assert_uint_eq(cpu->rip, CODE + 16);           /* at the rep movsb */
    ck_assert_uint_lt(cpu->gpr[R_RCX], 10000);
    ck_assert_uint_gt(cpu->gpr[R_RCX], 0);
    ck_assert_uint_eq(cpu->gpr[R_RSI] - 0x3000, 10000 - cpu->gpr[R_RCX]);
    e = run(0);
    ck_assert_uint_eq(e.reason, EXIT_HLT);
    ck_assert_uint_eq(cpu->gpr[R_RSI], 0x3000 + 10000);
}
END_TEST

START_TEST(test_call_ret)
{
    load(CODE, prog_call, sizeof(prog_call));
    struct vm_exit e = run(0);
    ck_assert_uint_eq(e.reason, EXIT_HLT);
    ck_assert_uint_eq(cpu->gpr[R_RAX], 42);
    ck_assert_uint_eq(cpu->gpr[R_RBX], 41);
    ck_assert_uint_eq(cpu->gpr[R_RSP], 0x9000);
    uint32_t ret;
    ck_assert_int_eq(memmap_read(&mm, 0x9000 - 4, &ret, 4), 0);
    ck_assert_uint_eq(ret, CODE + 10); /* the return address pushed */
}
END_TEST

/* DIV by zero: #DE left pending by interp_step, RIP at the DIV. */
START_TEST(test_div_zero_pending)
{
    load(CODE, prog_divz, sizeof(prog_divz));
    ck_assert_int_eq(interp_step(cpu), 0);
    ck_assert_int_eq(interp_step(cpu), 0);
    ck_assert_int_eq(interp_step(cpu), 1);
    ck_assert_uint_eq(cpu->pending.type, EV_HW_EXCEPTION);
    ck_assert_uint_eq(cpu->pending.vector, X86_DE);
    ck_assert_uint_eq(cpu->rip, CODE + 7);
    ck_assert_uint_eq(cpu->gpr[R_RAX], 7); /* nothing committed */
}
END_TEST

/* With no IDT, #DE becomes #GP, #DF, then a triple fault. */
START_TEST(test_div_zero_triple_fault)
{
    load(CODE, prog_divz, sizeof(prog_divz));
    struct vm_exit e = run(0);
    ck_assert_uint_eq(e.reason, EXIT_TRIPLE_FAULT);
    ck_assert(cpu->shutdown);
}
END_TEST

/* The loop patches its own MOV immediate: the cached block must go. */
START_TEST(test_self_modifying_code)
{
    load(CODE, prog_smc, sizeof(prog_smc));
    struct vm_exit e = run(0);
    ck_assert_uint_eq(e.reason, EXIT_HLT);
    ck_assert_uint_eq(cpu->gpr[R_RBX], 5 + 100 + 100);
    struct interp_stats st;
    interp_cache_stats(cache, &st);
    ck_assert_uint_gt(st.invalidations, 0);
}
END_TEST

/* Code written from outside (a loader, DMA) after it ran once. */
START_TEST(test_external_code_write)
{
    load(CODE, prog_p32, sizeof(prog_p32));
    run(0);
    ck_assert_uint_eq(cpu->gpr[R_RAX], 500500);
    uint32_t ten = 10;
    load(CODE + 1, &ten, 4); /* mov ecx, 10 */
    cpu->rip = CODE;
    cpu->halted = 0;
    run(0);
    ck_assert_uint_eq(cpu->gpr[R_RAX], 55);
}
END_TEST

START_TEST(test_budget_and_stop)
{
    load(CODE, prog_p32, sizeof(prog_p32));
    struct vm_exit e = run(100);
    ck_assert_uint_eq(e.reason, EXIT_GLASS_STOP);
    ck_assert_uint_eq(cpu->insn_count, 100);
    cpu->env.stop_request = 1;
    e = run(0);
    ck_assert_uint_eq(e.reason, EXIT_GLASS_STOP);
    ck_assert_uint_eq(cpu->insn_count, 100);
    cpu->env.stop_request = 0;
    e = run(0);
    ck_assert_uint_eq(e.reason, EXIT_HLT);
    ck_assert_uint_eq(cpu->gpr[R_RAX], 500500);
}
END_TEST

START_TEST(test_breakpoint_and_step)
{
    load(CODE, prog_p32, sizeof(prog_p32));
    struct debug_ctl d = { .nbreak = 1, .breaks = { CODE + 7 } };
    interp_set_debug(cache, &d);
    struct vm_exit e = run(0);
    ck_assert_uint_eq(e.reason, EXIT_GLASS_DEBUG);
    ck_assert_uint_eq(cpu->rip, CODE + 7);
    ck_assert_uint_eq(cpu->gpr[R_RAX], 0);
    e = run(0); /* resumes past it, stops there again next iteration */
    ck_assert_uint_eq(e.reason, EXIT_GLASS_DEBUG);
    ck_assert_uint_eq(cpu->gpr[R_RAX], 1000);
    d = (struct debug_ctl){ .single_step = 1 };
    interp_set_debug(cache, &d);
    e = run(0);
    ck_assert_uint_eq(e.reason, EXIT_GLASS_DEBUG);
    ck_assert_uint_eq(cpu->rip, CODE + 7 + 2);
    ck_assert_uint_eq(cpu->gpr[R_RAX], 1000 + 999);
}
END_TEST

START_TEST(test_long_mode)
{
    enter_long_mode();
    load(CODE, prog_p64, sizeof(prog_p64));
    cpu->gpr[R_RCX] = 0xffffffff00000000ull;
    struct vm_exit e = run(0);
    ck_assert_uint_eq(e.reason, EXIT_HLT);
    ck_assert_uint_eq(cpu->gpr[R_RAX], 0x123456789abcdef0ull);
    ck_assert_uint_eq(cpu->gpr[R_RBX], 0x23456789abcdef00ull);
    ck_assert_uint_eq(cpu->gpr[R_RCX], 0);           /* 32-bit write zero-extends */
    ck_assert(x86_get_rflags(cpu) & FL_CF);           /* 0xffffffff + 1 */
    ck_assert_uint_eq(cpu->gpr[R_R8], 5);
    ck_assert_uint_eq(cpu->gpr[R_RDX], CODE + sizeof(prog_p64) - 8);
    ck_assert_uint_eq(cpu->gpr[R_RSI], 0xdeadbeefcafef00dull);
    ck_assert_uint_eq(cpu->gpr[R_RSP], 0x9000);
}
END_TEST

/* Speed: printed, not asserted (machines differ; sanitizers are slow). */
START_TEST(test_speed)
{
    load(CODE, prog_bench, sizeof(prog_bench));
    double t0 = guest_seconds();
    struct vm_exit e = run(0);
    double t1 = guest_seconds();
    ck_assert_uint_eq(e.reason, EXIT_HLT);
    ck_assert_uint_eq(cpu->gpr[R_RCX], 0);
    printf("interp speed: %.1f M guest instructions/s (%llu instructions in %.3f s)\n",
           (double)cpu->insn_count / (t1 - t0) / 1e6, (unsigned long long)cpu->insn_count,
           t1 - t0);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("interp");
    TCase *tc = tcase_create("programs");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_set_timeout(tc, 120);
    tcase_add_test(tc, test_sum_loop);
    tcase_add_test(tc, test_rep_movs_stos);
    tcase_add_test(tc, test_rep_interruptible);
    tcase_add_test(tc, test_call_ret);
    tcase_add_test(tc, test_div_zero_pending);
    tcase_add_test(tc, test_div_zero_triple_fault);
    tcase_add_test(tc, test_self_modifying_code);
    tcase_add_test(tc, test_external_code_write);
    tcase_add_test(tc, test_budget_and_stop);
    tcase_add_test(tc, test_breakpoint_and_step);
    tcase_add_test(tc, test_long_mode);
    tcase_add_test(tc, test_speed);
    suite_add_tcase(s, tc);
    return run_suite(s);
}
