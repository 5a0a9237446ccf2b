/* The interpreter's block runner (cpu/interp_chain.c, cpu/exec_fast*.c):
 * random programs of the forms the specialised and fused handlers take,
 * run three ways — block after block at full speed, one instruction at a
 * time through the block cache, and decoded afresh through the general
 * handlers (interp_step) — must end in the same registers, flags and
 * memory, in flat 32-bit protected mode and in 64-bit mode.  Plus the
 * things a chain of blocks must still notice: a stop request or an
 * interrupt in an endless loop, code changed under the running block, a
 * page remapped under a link to another page, and a bounded stack; and the
 * count-0 shifts and ENTER the differential test caught.  The programs come
 * from tests/unit/test_interp_gen.h. */
#include <check.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define CODE 0x1f00ull          /* the program crosses into the next page */
#define DATA 0x10000ull         /* rSI points here, 256 bytes */
#define STACK 0x9000ull
#define PT_BASE 0x20000ull      /* page tables for 64-bit mode */

#include "tests/unit/interp_fixture.h"
#include "tests/unit/test_interp_gen.h"
#include "tests/unit/run_suite.h"

/* 64-bit mode: the first 2 MiB identity-mapped by 4 KiB pages (so one can
 * be remapped or made read-only: set_pte). */
static void enter_long_mode(void)
{
    put64(PT_BASE, (PT_BASE + 0x1000) | PTE_P | PTE_RW);          /* PML4[0] */
    put64(PT_BASE + 0x1000, (PT_BASE + 0x2000) | PTE_P | PTE_RW); /* PDPT[0] */
    put64(PT_BASE + 0x2000, (PT_BASE + 0x3000) | PTE_P | PTE_RW); /* PD[0] */
    for (uint64_t i = 0; i < 512; i++)
        put64(PT_BASE + 0x3000 + i * 8, (i << 12) | PTE_P | PTE_RW);
    guest_long_mode(cpu, PT_BASE);
}

static void set_pte(uint64_t lin, uint64_t pte)
{
    put64(PT_BASE + 0x3000 + (lin >> 12) * 8, pte);
    x86_tlb_flush(cpu, 1);
}

/* --- three ways to run it --- */

struct outcome {
    uint64_t gpr[16], rip, rflags, insns;
    uint8_t data[256], stack[256];
};

static void start_state(uint64_t seed)
{
    struct gen g = { .rng = seed * 0x2545f4914f6cdd1dull + 7 };
    for (int r = 0; r < 16; r++)
        cpu->gpr[r] = (uint64_t)rnd(&g) << 32 | rnd(&g);
    if (!x86_long_mode(cpu))
        for (int r = 0; r < 16; r++)
            cpu->gpr[r] &= 0xffffffffull;
    cpu->gpr[R_RSI] = DATA;
    cpu->gpr[R_RSP] = STACK;
    cpu->rip = CODE;
    cpu->halted = 0;
    cpu->insn_count = 0;
    x86_set_rflags(cpu, FL_FIXED1 | (rnd(&g) & FL_STATUS));
    uint8_t data[256];
    for (size_t i = 0; i < sizeof(data); i++)
        data[i] = (uint8_t)rnd(&g);
    load(DATA, data, sizeof(data));
    uint8_t zero[256] = { 0 };
    load(STACK - sizeof(zero), zero, sizeof(zero));
}

static void finish(struct outcome *o)
{
    memcpy(o->gpr, cpu->gpr, sizeof(o->gpr));
    o->rip = cpu->rip;
    o->rflags = x86_get_rflags(cpu);
    o->insns = cpu->insn_count;
    ck_assert_int_eq(memmap_read(&mm, DATA, o->data, sizeof(o->data)), 0);
    ck_assert_int_eq(memmap_read(&mm, STACK - sizeof(o->stack), o->stack, sizeof(o->stack)), 0);
}

enum how { FULL_SPEED, STEPWISE, GENERAL };

static void run_how(enum how how, uint64_t seed, struct outcome *o)
{
    start_state(seed);
    switch (how) {
    case FULL_SPEED: {
        struct vm_exit e = run(0);
        ck_assert_uint_eq(e.reason, EXIT_HLT);
        break;
    }
    case STEPWISE: /* through the block cache, one instruction a run */
        for (int i = 0; i < 10000000 && !cpu->halted; i++)
            run(1);
        break;
    default: /* decoded afresh, general handlers only */
        for (int i = 0; i < 10000000 && !cpu->halted; i++)
            ck_assert_int_eq(interp_step(cpu), 0);
        break;
    }
    ck_assert(cpu->halted);
    finish(o);
}

static void check_same(const struct outcome *a, const struct outcome *b, const char *what,
                       uint64_t seed)
{
    for (int r = 0; r < 16; r++)
        ck_assert_msg(a->gpr[r] == b->gpr[r], "%s seed %llu: r%d %#llx != %#llx", what,
                      (unsigned long long)seed, r, (unsigned long long)a->gpr[r],
                      (unsigned long long)b->gpr[r]);
    ck_assert_msg(a->rflags == b->rflags, "%s seed %llu: rflags %#llx != %#llx", what,
                  (unsigned long long)seed, (unsigned long long)a->rflags,
                  (unsigned long long)b->rflags);
    ck_assert_uint_eq(a->rip, b->rip);
    ck_assert_uint_eq(a->insns, b->insns);
    ck_assert_msg(!memcmp(a->data, b->data, sizeof(a->data)), "%s seed %llu: data differs",
                  what, (unsigned long long)seed);
    ck_assert_msg(!memcmp(a->stack, b->stack, sizeof(a->stack)), "%s seed %llu: stack differs",
                  what, (unsigned long long)seed);
}

/* GLASS_TEST_SEEDS=n runs n programs instead (for a long hunt). */
static void equivalence(int bits, int seeds)
{
    static uint8_t prog[16384];
    if (getenv("GLASS_TEST_SEEDS"))
        seeds = atoi(getenv("GLASS_TEST_SEEDS"));
    for (int s = 1; s <= seeds; s++) {
        uint64_t seed = (uint64_t)s * 1000003u + (uint64_t)bits;
        size_t n = gen_program(prog, bits, seed, 60 + s % 200, 20);
        ck_assert_uint_lt(n, sizeof(prog));
        load(CODE, prog, n);
        struct outcome general, fast, step;
        run_how(GENERAL, seed, &general);
        run_how(FULL_SPEED, seed, &fast);
        run_how(STEPWISE, seed, &step);
        check_same(&general, &fast, "full speed vs general", seed);
        check_same(&general, &step, "stepwise vs general", seed);
    }
}

START_TEST(test_equivalence_32)
{
    equivalence(32, 100);
}
END_TEST

START_TEST(test_equivalence_64)
{
    enter_long_mode();
    equivalence(64, 100);
}
END_TEST

/* --- what a chain of blocks must notice --- */

struct poke {
    volatile int *flag;
    int delay_ms;
};

static void *poke_later(void *arg)
{
    struct poke *p = arg;
    struct timespec ts = { 0, (long)p->delay_ms * 1000000L };
    nanosleep(&ts, NULL);
    *p->flag = 1;
    return NULL;
}

/* run(0) while another thread sets *flag after 50 ms. */
static struct vm_exit run_poked(volatile int *flag)
{
    pthread_t t;
    struct poke p = { flag, 50 };
    ck_assert_int_eq(pthread_create(&t, NULL, poke_later, &p), 0);
    struct vm_exit e = run(0);
    pthread_join(t, NULL);
    return e;
}

/* l: add eax, 1 / cmp eax, ebx / jne l — never leaves (ebx = eax). */
static const uint8_t prog_forever[] = { 0x83, 0xc0, 0x01, 0x39, 0xd8, 0x75, 0xf9, 0xf4 };

START_TEST(test_stop_in_endless_loop)
{
    load(CODE, prog_forever, sizeof(prog_forever));
    cpu->gpr[R_RAX] = 0;
    cpu->gpr[R_RBX] = 0;
    struct vm_exit e = run_poked(&cpu->env.stop_request);
    ck_assert_uint_eq(e.reason, EXIT_GLASS_STOP);
    ck_assert_uint_gt(cpu->gpr[R_RAX], 1000);
    /* Stopped between blocks, each one round of the loop. */
    ck_assert_uint_eq(cpu->rip, CODE);
    ck_assert_uint_eq(cpu->insn_count, 3 * cpu->gpr[R_RAX]);
}
END_TEST

static volatile int acks;

static int ack_spurious(void *opaque)
{
    (void)opaque;
    acks++;
    cpu->env.stop_request = 1; /* seen: stop the test */
    return -1;
}

START_TEST(test_interrupt_in_endless_loop)
{
    load(CODE, prog_forever, sizeof(prog_forever));
    cpu->rflags |= FL_IF;
    cpu->env.intr_ack = ack_spurious;
    acks = 0;
    struct vm_exit e = run_poked(&cpu->env.intr_pending);
    ck_assert_uint_eq(e.reason, EXIT_GLASS_STOP);
    ck_assert_int_eq(acks, 1);
}
END_TEST

/* mov byte [n+1], 5 / n: mov eax, 1 / hlt: the store patches the next
 * instruction of its own block. */
START_TEST(test_code_changed_under_block)
{
    const uint8_t prog[] = { 0xc6, 0x05, (uint8_t)(CODE + 8), (uint8_t)((CODE + 8) >> 8), 0, 0, 5,
                             0xb8, 0x01, 0x00, 0x00, 0x00, 0xf4 };
    load(CODE, prog, sizeof(prog));
    struct vm_exit e = run(0);
    ck_assert_uint_eq(e.reason, EXIT_HLT);
    ck_assert_uint_eq(cpu->gpr[R_RAX], 5);
    /* Again, from the cache: the same (the new code is cached now). */
    load(CODE, prog, sizeof(prog));
    cpu->rip = CODE;
    cpu->halted = 0;
    e = run(0);
    ck_assert_uint_eq(cpu->gpr[R_RAX], 5);
}
END_TEST

/* A jump to the next page, which is then mapped elsewhere: the link from
 * the first block must not outlive the mapping. */
START_TEST(test_remap_under_link)
{
    enter_long_mode();
    const uint64_t a = 0x40000, b = 0x41000, p1 = 0x50000, p2 = 0x51000;
    const uint8_t jmp[] = { 0xe9, 0xfb, 0x0f, 0x00, 0x00 }; /* jmp a + 0x1000 */
    const uint8_t one[] = { 0xb8, 0x01, 0x00, 0x00, 0x00, 0xf4 };
    const uint8_t two[] = { 0xb8, 0x02, 0x00, 0x00, 0x00, 0xf4 };
    load(a, jmp, sizeof(jmp));
    load(p1, one, sizeof(one));
    load(p2, two, sizeof(two));
    set_pte(b, p1 | PTE_P | PTE_RW);
    for (int round = 0; round < 4; round++) {
        set_pte(b, ((round & 1) ? p2 : p1) | PTE_P | PTE_RW);
        cpu->rip = a;
        cpu->halted = 0;
        struct vm_exit e = run(0);
        ck_assert_uint_eq(e.reason, EXIT_HLT);
        ck_assert_uint_eq(cpu->gpr[R_RAX], (round & 1) ? 2 : 1);
    }
}
END_TEST

/* Task-1 regressions.  In 64-bit mode a shift or rotate of a 32-bit
 * register by a masked count of 0 still zero-extends it, flags unchanged:
 * shl eax, 0x20 / rol r12d, 0 / shld ecx, ebx, cl (cl = 0) / hlt. */
START_TEST(test_count_zero_zero_extends)
{
    enter_long_mode();
    const uint8_t prog[] = { 0xc1, 0xe0, 0x20, 0x41, 0xc1, 0xc4, 0x00, 0x0f, 0xa5, 0xd9, 0xf4 };
    load(CODE, prog, sizeof(prog));
    for (int how = 0; how < 2; how++) {
        cpu->rip = CODE;
        cpu->halted = 0;
        cpu->gpr[R_RAX] = 0xaaaaaaaa12345678ull;
        cpu->gpr[R_R12] = 0xbbbbbbbb87654321ull;
        cpu->gpr[R_RCX] = 0xcccccccc00000000ull;
        x86_set_rflags(cpu, FL_FIXED1 | FL_CF | FL_OF | FL_ZF);
        if (how == 0) {
            run(0);
        } else {
            for (int i = 0; i < 4; i++)
                ck_assert_int_eq(interp_step(cpu), 0);
        }
        ck_assert(cpu->halted);
        ck_assert_uint_eq(cpu->gpr[R_RAX], 0x12345678);
        ck_assert_uint_eq(cpu->gpr[R_R12], 0x87654321);
        ck_assert_uint_eq(cpu->gpr[R_RCX], 0);
        ck_assert_uint_eq(x86_get_rflags(cpu) & FL_STATUS, FL_CF | FL_OF | FL_ZF);
    }
}
END_TEST

/* A shift of memory by a masked count of 0 is still a write access:
 * shl dword [rbx], 0 on a read-only page faults, writing nothing. */
START_TEST(test_count_zero_memory_faults)
{
    enter_long_mode();
    const uint8_t prog[] = { 0xc1, 0x23, 0x00, 0xf4 };
    load(CODE, prog, sizeof(prog));
    cpu->cr0 |= CR0_WP; /* read-only pages bind the kernel too */
    set_pte(DATA, DATA | PTE_P);
    cpu->gpr[R_RBX] = DATA;
    ck_assert_int_eq(interp_step(cpu), 1);
    ck_assert_uint_eq(cpu->pending.vector, X86_PF);
    ck_assert_uint_eq(cpu->pending.error_code & (PFEC_P | PFEC_W), PFEC_P | PFEC_W);
    ck_assert_uint_eq(cpu->cr2, DATA);
    ck_assert_uint_eq(cpu->rip, CODE);
}
END_TEST

/* ENTER checks the write at the final rSP after its pushes and before
 * changing rBP and rSP: enter 0x22, 0 with the frame reaching a read-only
 * page faults at the final rSP. */
START_TEST(test_enter_checks_final_rsp)
{
    enter_long_mode();
    const uint8_t prog[] = { 0xc8, 0x22, 0x00, 0x00, 0xf4 };
    load(CODE, prog, sizeof(prog));
    cpu->cr0 |= CR0_WP;
    set_pte(0x8000, 0x8000 | PTE_P); /* the page below the stack: read-only */
    cpu->gpr[R_RSP] = 0x9010;
    cpu->gpr[R_RBP] = 0x1234;
    ck_assert_int_eq(interp_step(cpu), 1);
    ck_assert_uint_eq(cpu->pending.vector, X86_PF);
    ck_assert_uint_eq(cpu->cr2, 0x9010 - 8 - 0x22);
    ck_assert_uint_eq(cpu->gpr[R_RSP], 0x9010);
    ck_assert_uint_eq(cpu->gpr[R_RBP], 0x1234);
    ck_assert_uint_eq(cpu->rip, CODE);
}
END_TEST

/* --- the stack a chain of blocks uses stays bounded --- */

struct long_run {
    uint64_t insns;
    int reason;
};

static void *run_long(void *arg)
{
    struct long_run *r = arg;
    struct vm_exit e;
    memset(&e, 0, sizeof(e));
    interp_run(cpu, &e, 0);
    r->insns = cpu->insn_count;
    r->reason = (int)e.reason;
    return NULL;
}

START_TEST(test_stack_bounded)
{
    static uint8_t prog[16384];
    size_t n = gen_program(prog, 32, 99, 200, 2000); /* ~400,000 instructions */
    load(CODE, prog, n);
    start_state(99);
    pthread_attr_t attr;
    pthread_t t;
    struct long_run r = { 0, -1 };
    pthread_attr_init(&attr);
    pthread_attr_setstacksize(&attr, 512 * 1024);
    ck_assert_int_eq(pthread_create(&t, &attr, run_long, &r), 0);
    pthread_join(t, NULL);
    pthread_attr_destroy(&attr);
    ck_assert_int_eq(r.reason, EXIT_HLT);
    ck_assert_uint_gt(r.insns, 200000);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("interp_block");
    TCase *tc = tcase_create("blocks");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_set_timeout(tc, 300);
    tcase_add_test(tc, test_equivalence_32);
    tcase_add_test(tc, test_equivalence_64);
    tcase_add_test(tc, test_stop_in_endless_loop);
    tcase_add_test(tc, test_interrupt_in_endless_loop);
    tcase_add_test(tc, test_code_changed_under_block);
    tcase_add_test(tc, test_remap_under_link);
    tcase_add_test(tc, test_count_zero_zero_extends);
    tcase_add_test(tc, test_count_zero_memory_faults);
    tcase_add_test(tc, test_enter_checks_final_rsp);
    tcase_add_test(tc, test_stack_bounded);
    suite_add_tcase(s, tc);
    return run_suite(s);
}
