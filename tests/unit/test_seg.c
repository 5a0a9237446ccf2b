/* Segmentation (cpu/seg.c): descriptor decoding, limit and type checks of
 * x86_seg_linear in every mode, and segment register loads against a GDT in
 * guest memory with every error code. */
#include <check.h>
#include <setjmp.h>
#include <stdlib.h>
#include <string.h>

#include "cpu/exception.h"
#include "cpu/mmu.h"
#include "cpu/seg.h"
#include "cpu/x86_cpu.h"
#include "mem/memmap.h"
#include "tests/unit/descriptor_fixture.h"
#include "tests/unit/run_suite.h"

static struct memmap mm;
static struct x86_cpu *cpu;

#define GDT 0x1000


static void put64(uint64_t gpa, uint64_t v) { guest_put(&mm, gpa, v, 8); }
static uint64_t get64(uint64_t gpa) { return guest_get(&mm, gpa, 8); }

/* Each helper runs one operation that may fault: 0 if it completed, else 1
 * with the fault in cpu->pending.  setjmp lives in these small functions so
 * no test variable is live across it. */
static int try_linear(int seg, uint64_t off, int size, int acc, uint64_t *lin)
{
    jmp_buf jb;
    cpu->fault_jmp = &jb;
    if (setjmp(jb)) {
        cpu->fault_jmp = NULL;
        return 1;
    }
    uint64_t v = x86_seg_linear(cpu, seg, off, size, acc);
    if (lin)
        *lin = v;
    cpu->fault_jmp = NULL;
    return 0;
}

static int try_load(int sreg, uint16_t sel)
{
    jmp_buf jb;
    cpu->fault_jmp = &jb;
    if (setjmp(jb)) {
        cpu->fault_jmp = NULL;
        return 1;
    }
    x86_load_seg(cpu, sreg, sel);
    cpu->fault_jmp = NULL;
    return 0;
}

static int try_push(struct x86_stack *st, int size, uint64_t val)
{
    jmp_buf jb;
    cpu->fault_jmp = &jb;
    if (setjmp(jb)) {
        cpu->fault_jmp = NULL;
        return 1;
    }
    x86_stack_push(cpu, st, size, val);
    cpu->fault_jmp = NULL;
    return 0;
}

static void expect_fault(int vector, uint32_t error)
{
    ck_assert_int_eq(cpu->pending.vector, vector);
    ck_assert_uint_eq(cpu->pending.error_code, error);
}

static void setup(void)
{
    ck_assert_int_eq(memmap_init(&mm, 1 << 20), 0);
    ck_assert_int_eq(memmap_add_ram(&mm, "ram", 0, 1 << 20), 0);
    cpu = calloc(1, sizeof(*cpu));
    cpu->env.mem = &mm;
    x86_cpu_reset(cpu);
    put64(GDT + 0x08, seg_desc(0, 0xfffff, 0x9b, 0xc));   /* code, DPL 0 */
    put64(GDT + 0x10, seg_desc(0, 0xfffff, 0x92, 0xc));   /* data, not accessed */
    put64(GDT + 0x18, seg_desc(0, 0xfffff, 0x12, 0xc));   /* data, not present */
    put64(GDT + 0x20, seg_desc(0, 0xfffff, 0xf3, 0xc));   /* data, DPL 3 */
    put64(GDT + 0x28, seg_desc(0, 0xfffff, 0x98, 0xc));   /* execute-only code */
    put64(GDT + 0x30, seg_desc(0, 0xfffff, 0x90, 0xc));   /* read-only data */
    put64(GDT + 0x38, seg_desc(0x10000, 0xfff, 0x96, 0x4)); /* expand-down */
    put64(GDT + 0x40, seg_desc(0x2000, 0x67, 0x89, 0));   /* TSS: system */
    cpu->gdtr = (struct x86_dtable){ GDT, 0x47 };
}

static void teardown(void)
{
    free(cpu);
    memmap_destroy(&mm);
}

static void protected_mode(int cpl)
{
    cpu->cr0 = CR0_PE | CR0_ET;
    cpu->cpl = (uint8_t)cpl;
    x86_desc_to_segment(seg_desc(0, 0xfffff, cpl ? 0xfb : 0x9b, 0xc), (uint16_t)(8 | cpl),
                        &cpu->seg[S_CS]);
}

START_TEST(decode_scattered_base_and_limit)
{
    struct x86_segment s;
    x86_desc_to_segment(0x12cf9a345678abcdull, 0x10, &s);
    ck_assert_uint_eq(s.base, 0x12345678);
    ck_assert_uint_eq(s.limit, 0xfabcdfff);      /* G: 4 KiB units */
    ck_assert_uint_eq(s.type, 0xa);
    ck_assert_uint_eq(s.s, 1);
    ck_assert_uint_eq(s.dpl, 0);
    ck_assert_uint_eq(s.present, 1);
    ck_assert_uint_eq(s.db, 1);
    ck_assert_uint_eq(s.g, 1);
    ck_assert_uint_eq(s.l, 0);
    x86_desc_to_segment(seg_desc(0x1000, 0x2345, 0xf2, 0x2), 0x23, &s);
    ck_assert_uint_eq(s.limit, 0x2345);          /* byte granular */
    ck_assert_uint_eq(s.dpl, 3);
    ck_assert_uint_eq(s.l, 1);
    ck_assert_uint_eq(s.selector, 0x23);
}
END_TEST

START_TEST(decode_gates)
{
    struct x86_gate g;
    uint64_t lo = 0x5678ull | (0x08ull << 16) | (3ull << 32) | (0xeeull << 40) | (0x1234ull << 48);
    x86_desc_to_gate(lo, 0xffffffffull, &g);
    ck_assert_uint_eq(g.offset, 0xffffffff12345678ull);
    ck_assert_uint_eq(g.selector, 8);
    ck_assert_uint_eq(g.type, SYS_INT32);
    ck_assert_uint_eq(g.dpl, 3);
    ck_assert_uint_eq(g.present, 1);
    ck_assert_uint_eq(g.ist, 3);
    ck_assert_uint_eq(g.param_count, 3);
}
END_TEST

START_TEST(offset_checks_expand_up_and_down)
{
    struct x86_segment s;
    x86_desc_to_segment(seg_desc(0, 0xfff, 0x92, 0x4), 0x10, &s);
    ck_assert(x86_seg_offset_ok(&s, 0xffc, 4));
    ck_assert(!x86_seg_offset_ok(&s, 0xffd, 4));
    x86_desc_to_segment(seg_desc(0, 0xfff, 0x96, 0x4), 0x10, &s);   /* expand-down, B */
    ck_assert(!x86_seg_offset_ok(&s, 0xfff, 1));
    ck_assert(x86_seg_offset_ok(&s, 0x1000, 4));
    ck_assert(x86_seg_offset_ok(&s, 0xfffffffc, 4));
    ck_assert(!x86_seg_offset_ok(&s, 0xfffffffd, 4));
    x86_desc_to_segment(seg_desc(0, 0xfff, 0x96, 0x0), 0x10, &s);   /* 16-bit top */
    ck_assert(x86_seg_offset_ok(&s, 0xfffe, 2));
    ck_assert(!x86_seg_offset_ok(&s, 0xffff, 2));
}
END_TEST

START_TEST(real_mode_linear_and_limit)
{
    uint64_t lin = 0;
    x86_load_seg_real(cpu, S_DS, 0x1234);
    ck_assert_int_eq(try_linear(S_DS, 0x10, 2, ACC_READ, &lin), 0);
    ck_assert_uint_eq(lin, 0x12350);
    ck_assert_int_eq(try_linear(S_DS, 0xffff, 2, ACC_READ, NULL), 1);
    expect_fault(X86_GP, 0);
    ck_assert_int_eq(try_linear(S_SS, 0xffff, 2, ACC_WRITE, NULL), 1);
    expect_fault(X86_SS, 0);
    /* Unreal mode: a 4 GiB cached limit stays usable in real mode. */
    cpu->seg[S_ES].limit = 0xffffffff;
    ck_assert_int_eq(try_linear(S_ES, 0x200000, 4, ACC_WRITE, &lin), 0);
    ck_assert_uint_eq(lin, 0x200000);
}
END_TEST

START_TEST(protected_type_checks)
{
    protected_mode(0);
    x86_load_seg(cpu, S_DS, 0x30);            /* read-only data */
    ck_assert_int_eq(try_linear(S_DS, 0, 4, ACC_READ, NULL), 0);
    ck_assert_int_eq(try_linear(S_DS, 0, 4, ACC_WRITE, NULL), 1);
    expect_fault(X86_GP, 0);
    ck_assert_int_eq(try_linear(S_CS, 0, 4, ACC_WRITE, NULL), 1);
    x86_desc_to_segment(seg_desc(0, 0xfffff, 0x98, 0xc), 0x28, &cpu->seg[S_ES]);
    ck_assert_int_eq(try_linear(S_ES, 0, 4, ACC_READ, NULL), 1);
    /* A null selector can be loaded, but not used. */
    x86_load_seg(cpu, S_FS, 0);
    ck_assert_int_eq(try_linear(S_FS, 0, 1, ACC_READ, NULL), 1);
    expect_fault(X86_GP, 0);
}
END_TEST

START_TEST(protected_expand_down_and_base)
{
    uint64_t lin = 0;
    protected_mode(0);
    x86_load_seg(cpu, S_ES, 0x38);            /* base 0x10000, limit 0xfff, down */
    ck_assert_int_eq(try_linear(S_ES, 0x800, 4, ACC_READ, NULL), 1);
    ck_assert_int_eq(try_linear(S_ES, 0x2000, 4, ACC_WRITE, &lin), 0);
    ck_assert_uint_eq(lin, 0x12000);
    /* The 32-bit linear address wraps. */
    ck_assert_int_eq(try_linear(S_ES, 0xffff8000, 4, ACC_READ, &lin), 0);
    ck_assert_uint_eq(lin, 0x8000);
}
END_TEST

START_TEST(long_mode_canonical_and_fs_base)
{
    uint64_t lin = 0;
    cpu->cr0 = CR0_PE | CR0_PG | CR0_ET;
    cpu->efer = EFER_LME | EFER_LMA;
    cpu->seg[S_CS].l = 1;
    cpu->seg[S_CS].db = 0;
    cpu->seg[S_DS].base = 0x5000;             /* ignored in 64-bit mode */
    cpu->seg[S_FS].base = 0x7fff00000000ull;
    ck_assert_int_eq(try_linear(S_DS, 0x123456789ull, 8, ACC_READ, &lin), 0);
    ck_assert_uint_eq(lin, 0x123456789ull);
    ck_assert_int_eq(try_linear(S_FS, 0x10, 8, ACC_READ, &lin), 0);
    ck_assert_uint_eq(lin, 0x7fff00000010ull);
    ck_assert_int_eq(try_linear(S_DS, 0x8000000000000000ull, 1, ACC_READ, NULL), 1);
    expect_fault(X86_GP, 0);
    ck_assert_int_eq(try_linear(S_SS, 0x00007ffffffffffcull, 8, ACC_WRITE, NULL), 1);
    expect_fault(X86_SS, 0);
}
END_TEST

START_TEST(load_sets_accessed_bit)
{
    protected_mode(0);
    ck_assert_int_eq(try_load(S_DS, 0x10), 0);
    ck_assert_uint_eq(cpu->seg[S_DS].selector, 0x10);
    ck_assert_uint_eq(cpu->seg[S_DS].limit, 0xffffffff);
    ck_assert_uint_eq((get64(GDT + 0x10) >> 40) & 0xff, 0x93);
}
END_TEST

START_TEST(load_not_present_is_np)
{
    protected_mode(0);
    ck_assert_int_eq(try_load(S_DS, 0x18), 1);
    expect_fault(X86_NP, 0x18);
    /* SS: not present is #SS(sel). */
    ck_assert_int_eq(try_load(S_SS, 0x18), 1);
    expect_fault(X86_SS, 0x18);
}
END_TEST

START_TEST(load_privilege_and_type_errors)
{
    protected_mode(3);
    ck_assert_int_eq(try_load(S_DS, 0x13), 1);    /* DPL 0 < CPL 3 */
    expect_fault(X86_GP, 0x10);
    ck_assert_int_eq(try_load(S_DS, 0x23), 0);
    ck_assert_int_eq(try_load(S_SS, 0x20), 1);    /* RPL 0 != CPL 3 */
    expect_fault(X86_GP, 0x20);
    ck_assert_int_eq(try_load(S_SS, 0x23), 0);
    ck_assert_int_eq(try_load(S_SS, 3), 1);       /* null SS */
    expect_fault(X86_GP, 0);
    protected_mode(0);
    ck_assert_int_eq(try_load(S_DS, 0x28), 1);    /* execute-only */
    expect_fault(X86_GP, 0x28);
    ck_assert_int_eq(try_load(S_DS, 0x40), 1);    /* system */
    expect_fault(X86_GP, 0x40);
    ck_assert_int_eq(try_load(S_SS, 0x30), 1);    /* read-only */
    expect_fault(X86_GP, 0x30);
    ck_assert_int_eq(try_load(S_DS, 0x4b), 1);    /* beyond limit */
    expect_fault(X86_GP, 0x48);
    ck_assert_int_eq(try_load(S_DS, 0x0c), 1);    /* LDT unusable */
    expect_fault(X86_GP, 0x0c);
}
END_TEST

START_TEST(null_ss_allowed_in_64bit_ring0)
{
    cpu->cr0 = CR0_PE | CR0_PG | CR0_ET;
    cpu->efer = EFER_LME | EFER_LMA;
    cpu->seg[S_CS].l = 1;
    cpu->seg[S_CS].db = 0;
    cpu->cpl = 0;
    ck_assert_int_eq(try_load(S_SS, 0), 0);
    ck_assert_int_eq(cpu->seg[S_SS].unusable, 1);
}
END_TEST

START_TEST(vm86_loads)
{
    cpu->cr0 = CR0_PE | CR0_ET;
    cpu->rflags |= FL_VM;
    cpu->cpl = 3;
    x86_load_seg(cpu, S_DS, 0xb800);
    ck_assert_uint_eq(cpu->seg[S_DS].base, 0xb8000);
    ck_assert_uint_eq(cpu->seg[S_DS].limit, 0xffff);
    ck_assert_uint_eq(cpu->seg[S_DS].dpl, 3);
}
END_TEST

START_TEST(stack_helper_is_precise)
{
    protected_mode(0);
    x86_load_seg(cpu, S_SS, 0x10);
    cpu->gpr[R_RSP] = 0x8000;
    struct x86_stack st;
    x86_stack_current(cpu, &st);
    ck_assert_int_eq(try_push(&st, 4, 0xdeadbeef), 0);
    ck_assert_uint_eq(cpu->gpr[R_RSP], 0x8000);     /* not yet committed */
    x86_stack_commit(cpu, &st);
    ck_assert_uint_eq(cpu->gpr[R_RSP], 0x7ffc);
    x86_stack_current(cpu, &st);
    ck_assert_uint_eq(x86_stack_pop(cpu, &st, 4), 0xdeadbeef);
    /* A 16-bit stack wraps SP and keeps the upper half of ESP. */
    cpu->seg[S_SS].db = 0;
    cpu->gpr[R_RSP] = 0x12340000;
    x86_stack_current(cpu, &st);
    ck_assert_int_eq(try_push(&st, 2, 0x55aa), 0);
    x86_stack_commit(cpu, &st);
    ck_assert_uint_eq(cpu->gpr[R_RSP], 0x1234fffe);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("seg");
    TCase *tc = tcase_create("seg");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, decode_scattered_base_and_limit);
    tcase_add_test(tc, decode_gates);
    tcase_add_test(tc, offset_checks_expand_up_and_down);
    tcase_add_test(tc, real_mode_linear_and_limit);
    tcase_add_test(tc, protected_type_checks);
    tcase_add_test(tc, protected_expand_down_and_base);
    tcase_add_test(tc, long_mode_canonical_and_fs_base);
    tcase_add_test(tc, load_sets_accessed_bit);
    tcase_add_test(tc, load_not_present_is_np);
    tcase_add_test(tc, load_privilege_and_type_errors);
    tcase_add_test(tc, null_ss_allowed_in_64bit_ring0);
    tcase_add_test(tc, vm86_loads);
    tcase_add_test(tc, stack_helper_is_precise);
    suite_add_tcase(s, tc);
    return run_suite(s);
}
