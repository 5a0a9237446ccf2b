/* The interpreter end to end: small machine-code programs (assembled with
 * nasm, bytes below, source in the comments) run by interp_run on a flat
 * 32-bit protected-mode CPU and a 64-bit one, with real memory (mem/), the
 * decoder and the MMU.  Plus the decoded-instruction cache under
 * self-modifying code, faults, the instruction budget, and a speed
 * measurement (printed, never asserted). */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cpu/exec.h"
#include "cpu/interp.h"
#include "cpu/mmu.h"
#include "mem/memmap.h"
#include "mem/pagewalk.h"
#include "mem/tlb.h"

#define CODE 0x1000ull

/* mov ecx, 1000 / xor eax, eax / l: add eax, ecx / dec ecx / jnz l / hlt */
static const uint8_t prog_p32[] = { 0xb9, 0xe8, 0x03, 0x00, 0x00, 0x31, 0xc0, 0x01, 0xc8, 0x49, 0x75, 0xfb, 0xf4 };
/* cld / mov esi, 0x3000 / mov edi, 0x5000 / mov ecx, 10000 / rep movsb /
 * mov edi, 0x8000 / mov eax, 0x11223344 / mov ecx, 100 / rep stosd / hlt */
static const uint8_t prog_movs[] = { 0xfc, 0xbe, 0x00, 0x30, 0x00, 0x00, 0xbf, 0x00, 0x50, 0x00, 0x00, 0xb9, 0x10, 0x27, 0x00, 0x00, 0xf3, 0xa4, 0xbf, 0x00, 0x80, 0x00, 0x00, 0xb8, 0x44, 0x33, 0x22, 0x11, 0xb9, 0x64, 0x00, 0x00, 0x00, 0xf3, 0xab, 0xf4 };
/* mov esp, 0x9000 / call f / add eax, 1 / hlt / f: mov eax, 41 / push eax / pop ebx / ret */
static const uint8_t prog_call[] = { 0xbc, 0x00, 0x90, 0x00, 0x00, 0xe8, 0x04, 0x00, 0x00, 0x00, 0x83, 0xc0, 0x01, 0xf4, 0xb8, 0x29, 0x00, 0x00, 0x00, 0x50, 0x5b, 0xc3 };
/* xor ecx, ecx / mov eax, 7 / div ecx / hlt */
static const uint8_t prog_divz[] = { 0x31, 0xc9, 0xb8, 0x07, 0x00, 0x00, 0x00, 0xf7, 0xf1, 0xf4 };
/* mov ecx, 3 / xor ebx, ebx / l: mov eax, 5 / add ebx, eax /
 * mov dword [l+1], 100 / dec ecx / jnz l / hlt */
static const uint8_t prog_smc[] = { 0xb9, 0x03, 0x00, 0x00, 0x00, 0x31, 0xdb, 0xb8, 0x05, 0x00, 0x00, 0x00, 0x01, 0xc3, 0xc7, 0x05, 0x08, 0x10, 0x00, 0x00, 0x64, 0x00, 0x00, 0x00, 0x49, 0x75, 0xec, 0xf4 };
/* mov rax, 0x123456789abcdef0 / mov esp, 0x9000 / push rax / pop rbx /
 * shl rbx, 4 / mov ecx, -1 / add ecx, 1 / mov r8, -1 / mov r8d, 5 /
 * lea rdx, [rel data] / mov rsi, [rdx] / hlt / data: dq 0xdeadbeefcafef00d */
static const uint8_t prog_p64[] = { 0x48, 0xb8, 0xf0, 0xde, 0xbc, 0x9a, 0x78, 0x56, 0x34, 0x12, 0xbc, 0x00, 0x90, 0x00, 0x00, 0x50, 0x5b, 0x48, 0xc1, 0xe3, 0x04, 0xb9, 0xff, 0xff, 0xff, 0xff, 0x83, 0xc1, 0x01, 0x49, 0xc7, 0xc0, 0xff, 0xff, 0xff, 0xff, 0x41, 0xb8, 0x05, 0x00, 0x00, 0x00, 0x48, 0x8d, 0x15, 0x04, 0x00, 0x00, 0x00, 0x48, 0x8b, 0x32, 0xf4, 0x0d, 0xf0, 0xfe, 0xca, 0xef, 0xbe, 0xad, 0xde };
/* The benchmark loop, 10M iterations of 11-12 instructions:
 *   mov ecx, 10000000 / xor eax, eax / mov ebx, 12345 / mov esi, 0x4000
 * l: add eax, ebx / xor ebx, eax / mov edx, [esi] / lea ebx, [ebx+edx*2+1]
 *   shr edx, 3 / mov [esi], eax / sub eax, edx / cmp eax, ebx / jb s
 *   inc eax / s: dec ecx / jnz l / hlt */
static const uint8_t prog_bench[] = { 0xb9, 0x80, 0x96, 0x98, 0x00, 0x31, 0xc0, 0xbb, 0x39, 0x30, 0x00, 0x00, 0xbe, 0x00, 0x40, 0x00, 0x00, 0x01, 0xd8, 0x31, 0xc3, 0x8b, 0x16, 0x8d, 0x5c, 0x53, 0x01, 0xc1, 0xea, 0x03, 0x89, 0x06, 0x29, 0xd0, 0x39, 0xd8, 0x72, 0x01, 0x40, 0x49, 0x75, 0xe7, 0xf4 };

static struct memmap mm;
static struct x86_cpu *cpu;
static struct interp_cache *cache;

static void code_written(void *opaque, uint64_t gpa, uint64_t len)
{
    interp_invalidate_phys(opaque, gpa, len);
}

static void flat_seg(struct x86_segment *s, uint8_t type, bool l64)
{
    *s = (struct x86_segment){ .base = 0, .limit = 0xffffffff, .type = type, .s = 1,
                               .present = 1, .db = l64 ? 0 : 1, .l = l64, .g = 1 };
}

static void setup(void)
{
    ck_assert_int_eq(memmap_init(&mm, 4 << 20), 0);
    ck_assert_int_eq(memmap_add_ram(&mm, "ram", 0, 2 << 20), 0);
    cpu = calloc(1, sizeof(*cpu));
    ck_assert_ptr_nonnull(cpu);
    cpu->env.mem = &mm;
    cpu->env.tlb = tlb_create(&mm);
    ck_assert_ptr_nonnull(cpu->env.tlb);
    cache = interp_cache_create();
    ck_assert_ptr_nonnull(cache);
    memmap_set_code_hook(&mm, code_written, cache);
    interp_attach(cpu, cache);

    /* Flat 32-bit protected mode, CPL 0, no IDT. */
    cpu->cr0 = CR0_PE | CR0_ET;
    cpu->rflags = FL_FIXED1;
    flat_seg(&cpu->seg[S_CS], 0xb, false);
    for (int s = S_ES; s <= S_GS; s++)
        if (s != S_CS)
            flat_seg(&cpu->seg[s], 0x3, false);
    cpu->rip = CODE;
}

static void teardown(void)
{
    interp_attach(cpu, NULL);
    interp_cache_destroy(cache);
    tlb_destroy(cpu->env.tlb);
    free(cpu);
    memmap_destroy(&mm);
}

static void load(uint64_t gpa, const void *p, size_t n)
{
    ck_assert_int_eq(memmap_write(&mm, gpa, p, n), 0);
}

static void put64(uint64_t gpa, uint64_t v)
{
    load(gpa, &v, 8);
}

/* 64-bit mode with the first 2 MiB identity-mapped by one large page. */
static void enter_long_mode(void)
{
    put64(0x10000, 0x11000 | PTE_P | PTE_RW);          /* PML4[0] -> PDPT */
    put64(0x11000, 0x12000 | PTE_P | PTE_RW);          /* PDPT[0] -> PD */
    put64(0x12000, 0x0 | PTE_P | PTE_RW | PTE_PS);     /* PD[0]: 2 MiB at 0 */
    cpu->cr3 = 0x10000;
    cpu->cr4 = CR4_PAE;
    cpu->efer = EFER_LME | EFER_LMA;
    cpu->cr0 = CR0_PE | CR0_PG | CR0_ET;
    flat_seg(&cpu->seg[S_CS], 0xb, true);
}

static struct vm_exit run(uint64_t max)
{
    struct vm_exit e;
    memset(&e, 0, sizeof(e));
    ck_assert_int_eq(interp_run(cpu, &e, max), 0);
    return e;
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

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

/* Speed: printed, not asserted (machines differ; sanitizers are slow). */
START_TEST(test_speed)
{
    load(CODE, prog_bench, sizeof(prog_bench));
    double t0 = now();
    struct vm_exit e = run(0);
    double t1 = now();
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
    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? 1 : 0;
}
