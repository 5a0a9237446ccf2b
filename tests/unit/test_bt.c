/* The binary translator against the interpreter: each guest program (bytes
 * assembled with nasm, source in the comments or in the test's name) runs
 * once on the interpreter and once on the translator, each on a fresh CPU
 * and memory, and the final registers, RIP, RFLAGS, exit reason and guest
 * memory must agree.  Plus self-modifying code, faults, the budget, and a
 * speed measurement (printed, never asserted). */
#include <check.h>
#include <pthread.h>
#include <time.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cpu/exec.h"
#include "cpu/interp.h"
#include "translate/bt.h"
#include "translate/ir.h"
#include "tests/unit/descriptor_fixture.h"
#include "tests/unit/guest_fixture.h"
#include "tests/unit/guest_programs.h"
#include "tests/unit/run_suite.h"

#define CODE 0x1000ull   /* where guest_programs.h is assembled to run */
#define CMP_BYTES 0x30000u

/* mov esi, 0x7000 / mov dword [esi], 0x12345678 / mov ecx, [esi+3] /
 * mov edx, [0x1ffd] (crosses a page) / mov [0x2fff], eax (crosses) /
 * mov word [0x3ffe], 0x1234 / add dword [0x4ffe], 0x55 (crosses) / hlt */
static const uint8_t prog_edges[] = { 0xbe, 0x00, 0x70, 0x00, 0x00, 0xc7, 0x06, 0x78, 0x56, 0x34, 0x12, 0x8b, 0x4e, 0x03, 0x8b, 0x15, 0xfd, 0x1f, 0x00, 0x00, 0xa3, 0xff, 0x2f, 0x00, 0x00, 0x66, 0xc7, 0x05, 0xfe, 0x3f, 0x00, 0x00, 0x34, 0x12, 0x83, 0x05, 0xfe, 0x4f, 0x00, 0x00, 0x55, 0xf4 };
/* jmp $ */
static const uint8_t prog_spin[] = { 0xeb, 0xfe };
/* mix32 and mix64: every natively translated instruction in its forms and
 * sizes, flags read by Jcc, SETcc, CMOVcc, ADC/SBB (through the
 * interpreter's handlers), a call, a RIP-relative store into the code page
 * (64-bit), a computed jump.  Sources in docs/translator.md. */
static const uint8_t prog_mix32[] = {
    0xbc, 0x00, 0x90, 0x00, 0x00, 0xbe, 0x00, 0x40, 0x00, 0x00, 0xb8, 0x78, 0x56, 0x34, 0x12,
    0xbb, 0xf0, 0xde, 0xbc, 0x9a, 0xb9, 0xc8, 0x00, 0x00, 0x00, 0x01, 0xd8, 0x11, 0xc2, 0x89,
    0x06, 0x80, 0x46, 0x01, 0x7f, 0x66, 0x29, 0xd8, 0x30, 0xdc, 0x20, 0xc7, 0x08, 0xeb, 0xfe,
    0x46, 0x02, 0x4a, 0x66, 0xf7, 0xdb, 0xf6, 0xd4, 0xc1, 0xe0, 0x03, 0xc1, 0xeb, 0x05, 0xc1,
    0xfa, 0x07, 0x69, 0xf8, 0x39, 0x30, 0x00, 0x00, 0x0f, 0xaf, 0x3e, 0x0f, 0xb6, 0x6e, 0x01,
    0x0f, 0xbf, 0x56, 0x02, 0x8d, 0xac, 0x95, 0x00, 0x01, 0x00, 0x00, 0x55, 0xff, 0x36, 0x5a,
    0x5b, 0x39, 0xd8, 0x0f, 0x9c, 0xc0, 0x0f, 0x96, 0x46, 0x03, 0x0f, 0x4f, 0xda, 0x0f, 0x43,
    0x16, 0xf7, 0xc3, 0x00, 0x10, 0x00, 0x00, 0x74, 0x03, 0x83, 0xc3, 0x07, 0x80, 0xfb, 0x80,
    0x77, 0x01, 0x43, 0x2b, 0x06, 0x19, 0xcb, 0x89, 0x44, 0x8e, 0x08, 0x83, 0xc6, 0x04, 0x81,
    0xe6, 0xff, 0x4f, 0x00, 0x00, 0x81, 0xce, 0x00, 0x40, 0x00, 0x00, 0x49, 0x75, 0x84, 0x9c,
    0x5a, 0xf4
};
static const uint8_t prog_mix64[] = {
    0xbc, 0x00, 0x90, 0x00, 0x00, 0xbe, 0x00, 0x40, 0x00, 0x00, 0x48, 0xb8, 0xf0, 0xde, 0xbc,
    0x9a, 0x78, 0x56, 0x34, 0x12, 0x48, 0xc7, 0xc3, 0xb3, 0xff, 0xff, 0xff, 0xb9, 0x2c, 0x01,
    0x00, 0x00, 0x49, 0xb8, 0x0f, 0x0f, 0x0f, 0x0f, 0x0f, 0x0f, 0x0f, 0x0f, 0x48, 0x01, 0xd8,
    0x48, 0x89, 0x06, 0x48, 0x81, 0x06, 0xff, 0xff, 0xff, 0x7f, 0x4c, 0x2b, 0x06, 0x41, 0x31,
    0xc1, 0x4d, 0x21, 0xc2, 0x66, 0x41, 0x09, 0xc3, 0x48, 0xff, 0x46, 0x08, 0x49, 0xff, 0xc9,
    0x49, 0xf7, 0xda, 0x49, 0xf7, 0xd3, 0x48, 0xc1, 0xe0, 0x0d, 0x48, 0xc1, 0xeb, 0x03, 0x49,
    0xc1, 0xf8, 0x11, 0x4c, 0x6b, 0xe0, 0xfd, 0x4c, 0x0f, 0xaf, 0x26, 0x44, 0x0f, 0xb6, 0x6e,
    0x01, 0x4c, 0x0f, 0xbf, 0x76, 0x02, 0x4c, 0x63, 0x7e, 0x04, 0x4f, 0x8d, 0xac, 0xf5, 0x00,
    0xff, 0xff, 0xff, 0x43, 0x8d, 0x54, 0x3d, 0x00, 0x41, 0x55, 0xff, 0x36, 0x5a, 0x5b, 0xe8,
    0x5d, 0x00, 0x00, 0x00, 0x48, 0x39, 0xd8, 0x40, 0x0f, 0x9f, 0xc7, 0x0f, 0x98, 0x46, 0x03,
    0x48, 0x0f, 0x4c, 0xda, 0x0f, 0x46, 0x16, 0xf6, 0xc3, 0x10, 0x74, 0x04, 0x48, 0x83, 0xc3,
    0x07, 0x41, 0x80, 0xfc, 0x80, 0x73, 0x03, 0x48, 0xff, 0xc3, 0x48, 0x8b, 0x3d, 0x37, 0x00,
    0x00, 0x00, 0x48, 0x01, 0x3d, 0x30, 0x00, 0x00, 0x00, 0x48, 0x89, 0x44, 0xce, 0x10, 0x48,
    0x83, 0xc6, 0x08, 0x48, 0x81, 0xe6, 0xff, 0x4f, 0x00, 0x00, 0x48, 0x81, 0xce, 0x00, 0x40,
    0x00, 0x00, 0x48, 0x8d, 0x15, 0x02, 0x00, 0x00, 0x00, 0xff, 0xe2, 0xff, 0xc9, 0x0f, 0x85,
    0x45, 0xff, 0xff, 0xff, 0x9c, 0x5a, 0xf4, 0x48, 0x83, 0xc0, 0x03, 0xc3, 0x11, 0x11, 0x11,
    0x11, 0x11, 0x11, 0x11, 0x11
};

/* Flags that translated code keeps pending (not stored) must be exact
 * where a fault exposes them, here a #DE (no IDT: a triple fault, with
 * the state of the faulting DIV compared).
 * cmp: mov eax, 5 / mov ebx, 7 / xor ecx, ecx / xor edx, edx / cmp eax, ebx /
 *      div ecx / hlt
 * add: the same with add eax, ebx before the div
 * loop: mov ecx, 3 / mov ebx, 100 / xor edx, edx / L: mov eax, ebx / div ecx /
 *      sub ecx, 1 / cmp ebx, 50 / jne L / hlt (the 4th DIV faults, with the
 *      flags of the CMP of the iteration before) */
static const uint8_t prog_flags_cmp[] = { 0xb8, 0x05, 0x00, 0x00, 0x00, 0xbb, 0x07, 0x00, 0x00, 0x00, 0x31, 0xc9, 0x31, 0xd2, 0x39, 0xd8, 0xf7, 0xf1, 0xf4 };
static const uint8_t prog_flags_add[] = { 0xb8, 0x05, 0x00, 0x00, 0x00, 0xbb, 0x07, 0x00, 0x00, 0x00, 0x31, 0xc9, 0x31, 0xd2, 0x01, 0xd8, 0xf7, 0xf1, 0xf4 };
/* and64 (64-bit): mov rax, 0x0e3b1700da540894 / and rax, -0x4d5f21e0 /
 * mov eax, [0x8f21ac58044cfed2] (non-canonical: #GP) / cmp al, 0 / hlt:
 * the AND's record is needed at the load's fault, though the CMP replaces
 * it right after (PF of 0x...00). */
static const uint8_t prog_flags_and64[] = { 0x48, 0xb8, 0x94, 0x08, 0x54, 0xda, 0x00, 0x17, 0x3b, 0x0e, 0x4d, 0x25, 0x20, 0xde, 0xa0, 0xb2, 0xa1, 0xd2, 0xfe, 0x4c, 0x04, 0x58, 0xac, 0x21, 0x8f, 0x3c, 0x00, 0xf4 };
static const uint8_t prog_flags_loop[] = { 0xb9, 0x03, 0x00, 0x00, 0x00, 0xbb, 0x64, 0x00, 0x00, 0x00, 0x31, 0xd2, 0x89, 0xd8, 0xf7, 0xf1, 0x83, 0xe9, 0x01, 0x83, 0xfb, 0x32, 0x75, 0xf4, 0xf4 };

/* A data page becomes code, with a write entry for it in the TLB: the
 * entry must go (mem/tlb.h), or the patch below would not reach the
 * translated function.  mov esp, 0x9000 / write "mov eax, 1 / ret" to
 * 0x3000 / call 0x3000 / mov byte [0x3001], 2 / call 0x3000 / hlt */
static const uint8_t prog_new_code[] = { 0xbc, 0x00, 0x90, 0x00, 0x00, 0xc7, 0x05, 0x00, 0x30, 0x00, 0x00, 0xb8, 0x01, 0x00, 0x00, 0xc7, 0x05, 0x04, 0x30, 0x00, 0x00, 0x00, 0xc3, 0x00, 0x00, 0xe8, 0xe2, 0x1f, 0x00, 0x00, 0xc6, 0x05, 0x01, 0x30, 0x00, 0x00, 0x02, 0xe8, 0xd6, 0x1f, 0x00, 0x00, 0xf4 };

/* One guest machine: memory, a CPU, and the interpreter or the translator. */
struct world {
    struct memmap mm;
    struct x86_cpu *cpu;
    struct interp_cache *ic;
    struct bt_vcpu *bt;
};

static struct world W[2];   /* [0] interpreter, [1] translator */

static void code_written(void *opaque, uint64_t gpa, uint64_t len)
{
    struct world *w = opaque;
    if (w->bt)
        bt_invalidate_phys(w->bt, gpa, len);
    if (w->ic)
        interp_invalidate_phys(w->ic, gpa, len);
}

static void world_init(struct world *w, bool bt)
{
    memset(w, 0, sizeof(*w));
    w->cpu = guest_cpu_create(&w->mm, CODE);
    if (bt) {
        w->bt = bt_vcpu_create(w->cpu);
        ck_assert_ptr_nonnull(w->bt);
    } else {
        w->ic = interp_cache_create();
        ck_assert_ptr_nonnull(w->ic);
    }
    memmap_set_code_hook(&w->mm, code_written, w);
}

static void world_fini(struct world *w)
{
    bt_vcpu_destroy(w->bt);
    interp_cache_destroy(w->ic);
    guest_cpu_destroy(&w->mm, w->cpu);
}

static void setup(void)
{
    world_init(&W[0], false);
    world_init(&W[1], true);
}

static void teardown(void)
{
    world_fini(&W[0]);
    world_fini(&W[1]);
}

static void load_both(uint64_t gpa, const void *p, size_t n)
{
    for (int i = 0; i < 2; i++)
        guest_write(&W[i].mm, gpa, p, n);
}

/* 64-bit mode with the first 2 MiB identity-mapped by one large page. */
static void long_mode_both(void)
{
    for (int i = 0; i < 2; i++) {
        guest_map_low_2m(&W[i].mm, 0x10000);
        guest_long_mode(W[i].cpu, 0x10000);
    }
}

static struct vm_exit run_one(struct world *w, uint64_t max)
{
    struct vm_exit e;
    memset(&e, 0, sizeof(e));
    if (w->bt)
        ck_assert_int_eq(bt_run(w->bt, &e, max), 0);
    else
        ck_assert_int_eq(interp_run_cache(w->cpu, w->ic, &e, max), 0);
    return e;
}

/* What differs between the two worlds after a run (the exits e0, e1):
 * false when nothing architectural does, nor the instructions and faults
 * they counted; else true with the first difference in why. */
static bool worlds_differ(const struct vm_exit *e0, const struct vm_exit *e1, char *why,
                          size_t len)
{
    const struct x86_cpu *a = W[0].cpu, *b = W[1].cpu;
    static uint8_t ma[CMP_BYTES], mb[CMP_BYTES];
    struct { const char *name; uint64_t i, t; } v[] = {
        { "exit reason", e0->reason, e1->reason },
        { "rip", a->rip, b->rip },
        { "rflags", x86_get_rflags(W[0].cpu), x86_get_rflags(W[1].cpu) },
        { "shutdown", a->shutdown, b->shutdown },
        { "interrupt shadow", a->interrupt_shadow, b->interrupt_shadow },
        { "halted", a->halted, b->halted },
        { "cr2", a->cr2, b->cr2 },
        /* Both count every retired instruction, also those of a block
         * before an instruction in it faulted. */
        { "instructions", a->insn_count, b->insn_count },
        { "faults delivered", a->fault_count, b->fault_count },
    };
    for (size_t k = 0; k < sizeof(v) / sizeof(v[0]); k++) {
        if (v[k].i != v[k].t) {
            snprintf(why, len, "%s: interp %#llx bt %#llx", v[k].name,
                     (unsigned long long)v[k].i, (unsigned long long)v[k].t);
            return true;
        }
    }
    for (int r = 0; r < 16; r++) {
        if (a->gpr[r] != b->gpr[r]) {
            snprintf(why, len, "gpr %d: interp %#llx bt %#llx", r,
                     (unsigned long long)a->gpr[r], (unsigned long long)b->gpr[r]);
            return true;
        }
    }
    if (memmap_read(&W[0].mm, 0, ma, sizeof(ma)) || memmap_read(&W[1].mm, 0, mb, sizeof(mb))) {
        snprintf(why, len, "guest memory unreadable");
        return true;
    }
    if (memcmp(ma, mb, sizeof(ma)) == 0)
        return false;
    unsigned i = 0;
    while (ma[i] == mb[i])
        i++;
    snprintf(why, len, "memory at %#x: interp %#x bt %#x", i, ma[i], mb[i]);
    return true;
}

/* After a run of both: they must agree (what names the run in a failure). */
static void compare_worlds(const struct vm_exit *e0, const struct vm_exit *e1, const char *what)
{
    char why[160];
    bool differ = worlds_differ(e0, e1, why, sizeof(why));
    ck_assert_msg(!differ, "%s%s", what, why);
}

/* Run both with the same budget; they must agree, and stop for want_reason. */
static void run_compare(uint64_t max, uint32_t want_reason)
{
    struct vm_exit e0 = run_one(&W[0], max), e1 = run_one(&W[1], max);
    ck_assert_uint_eq(e0.reason, want_reason);
    compare_worlds(&e0, &e1, "");
}

START_TEST(test_sum_loop)
{
    load_both(CODE, prog_p32, sizeof(prog_p32));
    run_compare(0, EXIT_HLT);
    ck_assert_uint_eq(W[1].cpu->gpr[R_RAX], 500500);
    ck_assert_uint_eq(W[1].cpu->insn_count, W[0].cpu->insn_count);
}
END_TEST

START_TEST(test_rep_string)
{
    uint8_t src[10000];
    for (size_t i = 0; i < sizeof(src); i++)
        src[i] = (uint8_t)(i * 7 + 3);
    load_both(0x3000, src, sizeof(src));
    load_both(CODE, prog_movs, sizeof(prog_movs));
    run_compare(0, EXIT_HLT);
}
END_TEST

START_TEST(test_call_ret)
{
    load_both(CODE, prog_call, sizeof(prog_call));
    run_compare(0, EXIT_HLT);
    ck_assert_uint_eq(W[1].cpu->gpr[R_RAX], 42);
    ck_assert_uint_eq(W[1].cpu->gpr[R_RBX], 41);
}
END_TEST

/* Programs whose test is that both agree, run from flat 32-bit mode (or
 * 64-bit mode) with only their code loaded; reg, unless -1, must end
 * holding want. */
static const struct agree_case {
    const uint8_t *code;
    size_t len;
    bool long_mode;
    uint32_t reason;
    int reg;
    uint64_t want;
} agree_cases[] = {
    /* #DE with no IDT: #DF, then a triple fault, the same on both. */
    { prog_divz, sizeof(prog_divz), false, EXIT_TRIPLE_FAULT, .reg = -1 },
    /* A store into the running block changes an instruction later in it. */
    { prog_smc, sizeof(prog_smc), false, EXIT_HLT, .reg = R_RBX, .want = 5 + 100 + 100 },
    { prog_mix32, sizeof(prog_mix32), false, EXIT_HLT, .reg = -1 },
    { prog_p64, sizeof(prog_p64), true, EXIT_HLT, .reg = R_RSI, .want = 0xdeadbeefcafef00dull },
    { prog_mix64, sizeof(prog_mix64), true, EXIT_HLT, .reg = -1 },
    /* Accesses crossing pages take the slow path; a #PF in the middle of a
     * block names its instruction. */
    { prog_edges, sizeof(prog_edges), false, EXIT_HLT, .reg = -1 },
    { prog_new_code, sizeof(prog_new_code), false, EXIT_HLT, .reg = R_RAX, .want = 2 },
    { prog_flags_cmp, sizeof(prog_flags_cmp), false, EXIT_TRIPLE_FAULT, .reg = -1 },
    { prog_flags_add, sizeof(prog_flags_add), false, EXIT_TRIPLE_FAULT, .reg = -1 },
    { prog_flags_loop, sizeof(prog_flags_loop), false, EXIT_TRIPLE_FAULT, .reg = R_RCX, .want = 0 },
    { prog_flags_and64, sizeof(prog_flags_and64), true, EXIT_TRIPLE_FAULT, .reg = -1 },
};

START_TEST(test_agree)
{
    const struct agree_case *c = &agree_cases[_i];
    if (c->long_mode)
        long_mode_both();
    load_both(CODE, c->code, c->len);
    run_compare(0, c->reason);
    if (c->reg >= 0)
        ck_assert_uint_eq(W[1].cpu->gpr[c->reg], c->want);
}
END_TEST

/* 32-bit paging on both: the first 2 MiB identity-mapped, the page
 * directory at 0x20000, the page table at 0x21000; page `hole`, if not
 * -1, not present. */
static void paging_both(int hole)
{
    uint32_t pd[1024] = { 0 }, pt[1024] = { 0 };
    pd[0] = 0x21000 | PTE_P | PTE_RW;
    for (int i = 0; i < 512; i++)
        pt[i] = i == hole ? 0 : (uint32_t)(i << 12) | PTE_P | PTE_RW;
    load_both(0x20000, pd, sizeof(pd));
    load_both(0x21000, pt, sizeof(pt));
    for (int i = 0; i < 2; i++) {
        W[i].cpu->cr3 = 0x20000;
        W[i].cpu->cr0 |= CR0_PG;
    }
}

START_TEST(test_page_fault)
{
    /* 32-bit paging: page 0x7000 not present; the store faults, no IDT:
     * triple fault with CR2 = 0x7000 and RIP at the store. */
    paging_both(7);
    load_both(CODE, prog_edges, sizeof(prog_edges));
    run_compare(0, EXIT_TRIPLE_FAULT);
    ck_assert_uint_eq(W[1].cpu->cr2, 0x7000);
    ck_assert_uint_eq(W[1].cpu->rip, CODE + 5);
}
END_TEST

/* Sites (translate/backend_mem.c): a memory instruction's own copy of a
 * TLB entry.  remap: mov esi, 2 / L: mov ecx, 2 / M: mov eax, [0x7000] /
 * add ebx, eax / dec ecx / jnz M / mov dword [PTE of 0x7000], 0x8000 | P |
 * RW / invlpg [0x7000] / dec esi / jnz L / hlt: the loads after the INVLPG
 * must see the new mapping, also the one whose site has the old. */
static const uint8_t prog_remap[] = { 0xbe, 0x02, 0x00, 0x00, 0x00, 0xb9, 0x02, 0x00, 0x00, 0x00, 0xa1, 0x00, 0x70, 0x00, 0x00, 0x01, 0xc3, 0x49, 0x75, 0xf6, 0xc7, 0x05, 0x1c, 0x10, 0x02, 0x00, 0x03, 0x80, 0x00, 0x00, 0x0f, 0x01, 0x3d, 0x00, 0x70, 0x00, 0x00, 0x4e, 0x75, 0xdd, 0xf4 };
/* thrash: mov ecx, 300 / L: mov eax, ecx / and eax, 1 / shl eax, 12 /
 * mov edx, [eax + 0x5000] / add ebx, edx / add ebx, ecx / dec ecx / jnz L /
 * hlt: one load going back and forth between two pages. */
static const uint8_t prog_thrash[] = { 0xb9, 0x2c, 0x01, 0x00, 0x00, 0x89, 0xc8, 0x83, 0xe0, 0x01, 0xc1, 0xe0, 0x0c, 0x8b, 0x90, 0x00, 0x50, 0x00, 0x00, 0x01, 0xd3, 0x01, 0xcb, 0x49, 0x75, 0xeb, 0xf4 };

START_TEST(test_site_remap)
{
    uint32_t v1 = 5, v2 = 100;
    paging_both(-1);
    load_both(0x7000, &v1, 4);
    load_both(0x8000, &v2, 4);
    load_both(CODE, prog_remap, sizeof(prog_remap));
    run_compare(0, EXIT_HLT);
    ck_assert_uint_eq(W[1].cpu->gpr[R_RBX], 210);
}
END_TEST

/* A site that misses at random (two adjacent pages): its block is
 * translated again with a wide site, and the results are the same. */
START_TEST(test_site_thrash)
{
    uint32_t a = 7, b = 1000;
    load_both(0x5000, &a, 4);
    load_both(0x6000, &b, 4);
    load_both(CODE, prog_thrash, sizeof(prog_thrash));
    run_compare(0, EXIT_HLT);
    ck_assert_uint_eq(W[1].cpu->gpr[R_RBX], 150 * 7 + 150 * 1000 + 300 * 301 / 2);
}
END_TEST

/* Two-entry sites: a load going back and forth among pages, at random or
 * in runs, and after each of its three rounds one of the pages remapped
 * (PTE + INVLPG: its frame goes to 0xa000 and back): the loads after the
 * INVLPG must see the new mapping through either entry.
 * mov esi, 3 / L: mov ecx, 400 / M: mov eax, ecx / shr eax, RUN /
 * and eax, MASK / shl eax, SHIFT / mov edx, [eax + 0x5000] / add ebx, edx /
 * dec ecx / jnz M / xor dword [PTE], (PAGE ^ 0xa) << 12 / invlpg [PAGE] /
 * dec esi / jnz L / hlt */
static const uint8_t prog_pages[] = { 0xbe, 0x03, 0x00, 0x00, 0x00, 0xb9, 0x90, 0x01, 0x00, 0x00, 0x89, 0xc8, 0xc1, 0xe8, 0x07, 0x83, 0xe0, 0x01, 0xc1, 0xe0, 0x0c, 0x8b, 0x90, 0x00, 0x50, 0x00, 0x00, 0x01, 0xd3, 0x49, 0x75, 0xea, 0x81, 0x35, 0x18, 0x10, 0x02, 0x00, 0x00, 0xc0, 0x00, 0x00, 0x0f, 0x01, 0x3d, 0x00, 0x60, 0x00, 0x00, 0x4e, 0x75, 0xd1, 0xf4 };
enum { PAGES_RUN = 14, PAGES_MASK = 17, PAGES_SHIFT = 20, PAGES_PTE = 34, PAGES_XOR = 39, PAGES_PAGE = 46 };
static const struct pages_case {
    uint8_t run, mask, shift; /* page 5 + ((i >> run) & mask) << (shift - 12) */
    uint8_t page;           /* the one remapped (to 0xa000 and back) */
    bool wide, none;        /* its site becomes wide / the TLB inline */
} pages_cases[] = {
    /* two adjacent pages at random: a range (then, remapped apart, the
     * TLB inline) */
    { 0, 1, 12, 0x6, true, true },
    { 0, 1, 13, 0x7, false, true },    /* two pages apart at random */
    { 0, 3, 12, 0x6, true, true },     /* four pages: two a range, then none */
    /* runs of 128 on one page, then on the other: a two-entry site all
     * along, across the remaps */
    { 7, 1, 13, 0x7, false, false },
    { 7, 1, 12, 0x6, false, false },
};

START_TEST(test_site_pages)
{
    const struct pages_case *c = &pages_cases[_i];
    static const uint32_t val[16] = { [5] = 7, [6] = 1000, [7] = 50000, [8] = 3, [10] = 200000 };
    uint8_t prog[sizeof(prog_pages)];
    memcpy(prog, prog_pages, sizeof(prog));
    prog[PAGES_RUN] = c->run;
    prog[PAGES_MASK] = c->mask;
    prog[PAGES_SHIFT] = c->shift;
    prog[PAGES_PTE] = (uint8_t)(4 * c->page);   /* the page table is at 0x21000 */
    prog[PAGES_XOR] = (uint8_t)((c->page ^ 0xa) << 4);
    prog[PAGES_PAGE] = (uint8_t)(c->page << 4);
    paging_both(-1);
    for (int p = 5; p < 16; p++)
        load_both((uint64_t)p << 12, &val[p], 4);
    load_both(CODE, prog, sizeof(prog));
    run_compare(0, EXIT_HLT);

    uint32_t want = 0;
    for (int round = 0; round < 3; round++)
        for (uint32_t i = 400; i > 0; i--) {
            uint32_t p = 5 + ((i >> c->run & c->mask) << (c->shift - 12));
            want += val[round == 1 && p == c->page ? 10 : p];
        }
    ck_assert_uint_eq(W[1].cpu->gpr[R_RBX], want);
    struct bt_info in;
    bt_get_info(W[1].bt, &in);
    if (in.sites) {     /* none out of rbx's reach (under ASan) */
        ck_assert_uint_eq(in.sites_wide > 0, c->wide);
        ck_assert_uint_eq(in.sites_none > 0, c->none);
    }
}
END_TEST

/* An endless loop stops at the budget, and at a stop request. */
START_TEST(test_budget)
{
    load_both(CODE, prog_spin, sizeof(prog_spin));
    struct vm_exit e = run_one(&W[1], 100000);
    ck_assert_uint_eq(e.reason, EXIT_GLASS_STOP);
    ck_assert_uint_ge(W[1].cpu->insn_count, 100000);
    ck_assert_uint_le(W[1].cpu->insn_count, 100000 + 64);
    ck_assert_uint_eq(W[1].cpu->rip, CODE);
    W[1].cpu->env.stop_request = 1;
    e = run_one(&W[1], 0);
    ck_assert_uint_eq(e.reason, EXIT_GLASS_STOP);
}
END_TEST

/* 32-bit addresses folded into their access (computed at 64 bits,
 * backend_alu.c) must still wrap at 4 GiB and ignore the registers' upper
 * halves: mov ebx, 0xfffffff0 / mov eax, [ebx + 0x1010] (wraps to 0x1000)
 * / mov ecx, [ebx + 0x1014] / mov edx, [esi + 0x10] / mov [esi + 0x20],
 * eax / mov edi, [esi + 0x20] / hlt, with ESI's upper half not zero. */
static const uint8_t prog_fold32[] = { 0xbb, 0xf0, 0xff, 0xff, 0xff, 0x8b, 0x83, 0x10, 0x10, 0x00, 0x00, 0x8b, 0x8b, 0x14, 0x10, 0x00, 0x00, 0x8b, 0x56, 0x10, 0x89, 0x46, 0x20, 0x8b, 0x7e, 0x20, 0xf4 };

START_TEST(test_fold32)
{
    load_both(CODE, prog_fold32, sizeof(prog_fold32));
    for (int i = 0; i < 2; i++) {
        W[i].cpu->gpr[R_RSI] = 0xdeadbeef00003000ull;
        guest_write(&W[i].mm, 0x3010, "\x11\x22\x33\x44", 4);
    }
    run_compare(0, EXIT_HLT);
    ck_assert_uint_eq(W[1].cpu->gpr[R_RAX], 0xfffff0bb);    /* the code's first bytes */
    ck_assert_uint_eq(W[1].cpu->gpr[R_RDX], 0x44332211);
    ck_assert_uint_eq(W[1].cpu->gpr[R_RDI], 0xfffff0bb);
}
END_TEST

/* A 32-bit stack's PUSH and POP change ESP and keep RSP's upper half
 * (backend_regs.c set_part): push dword 0x12345678 / pop ecx / hlt. */
START_TEST(test_esp_upper)
{
    static const uint8_t prog[] = { 0x68, 0x78, 0x56, 0x34, 0x12, 0x59, 0xf4 };
    load_both(CODE, prog, sizeof(prog));
    for (int i = 0; i < 2; i++)
        W[i].cpu->gpr[R_RSP] = 0xdeadbeef00009000ull;
    run_compare(0, EXIT_HLT);
    ck_assert_uint_eq(W[1].cpu->gpr[R_RSP], 0xdeadbeef00009000ull);
    ck_assert_uint_eq(W[1].cpu->gpr[R_RCX], 0x12345678);
}
END_TEST

/* The budget running out at a loop's back edge, with the DEC's flags
 * pending (the copy of the loop head keeps them; the budget test sits
 * before it, backend_x64.c): the block leaves at the loop's start with
 * the record stored, so ZF, SF, PF and AF are those of ECX's DEC.  Then
 * on to the HLT. */
START_TEST(test_loop_budget)
{
    load_both(CODE, prog_p32, sizeof(prog_p32));
    struct x86_cpu *c = W[1].cpu;
    int stops = 0;
    for (;;) {
        struct vm_exit e = run_one(&W[1], 997);
        if (e.reason == EXIT_HLT)
            break;
        ck_assert_uint_eq(e.reason, EXIT_GLASS_STOP);
        if (c->rip != CODE + 7)
            continue;   /* left before the loop or at a block's start */
        stops++;
        uint64_t fl = x86_get_rflags(c);
        uint32_t ecx = (uint32_t)c->gpr[R_RCX];
        ck_assert_uint_eq(!!(fl & FL_ZF), ecx == 0);
        ck_assert_uint_eq(!!(fl & FL_SF), ecx >> 31);
        ck_assert_uint_eq(!!(fl & FL_PF), !(__builtin_popcount(ecx & 0xff) & 1));
        ck_assert_uint_eq(!!(fl & FL_AF), (ecx & 0xf) == 0xf);
    }
    ck_assert_int_gt(stops, 0);
    run_one(&W[0], 0);
    run_compare(0, EXIT_HLT);
}
END_TEST

/* An interrupt pending while IF = 0 must not send every block back to the
 * dispatcher: blocks go on until the guest accepts it.  (No intr_ack: the
 * interrupt is never taken; the sum loop runs to its HLT.) */
/* The sum loop run with IF = 0 and an event pending that it cannot take
 * (an interrupt; with nmi, a blocked NMI): both engines run it to its HLT,
 * bt with few trips to the dispatcher (1000 iterations). */
static void sum_loop_event_waits(bool nmi)
{
    load_both(CODE, prog_p32, sizeof(prog_p32));
    for (int i = 0; i < 2; i++) {
        W[i].cpu->rflags &= ~(uint64_t)FL_IF;
        W[i].cpu->env.intr_pending = 1;
        W[i].cpu->nmi_pending = nmi;
        W[i].cpu->nmi_blocked = nmi;
    }
    run_compare(0, EXIT_HLT);
    struct bt_info info;
    bt_get_info(W[1].bt, &info);
    ck_assert_uint_le(info.dispatches, 10);
}

START_TEST(test_masked_interrupt)
{
    sum_loop_event_waits(false);
    /* A stop request still stops it. */
    W[1].cpu->halted = 0;
    W[1].cpu->rip = CODE;
    W[1].cpu->env.stop_request = 1;
    struct vm_exit e = run_one(&W[1], 0);
    ck_assert_uint_eq(e.reason, EXIT_GLASS_STOP);
}
END_TEST

/* An NMI: it sets intr_pending too (machine/board_irq.c), which is all a
 * block's entry looks at.  Blocked (an NMI handler runs), it waits and the
 * loop runs on to its HLT with few trips to the dispatcher, IF = 0 or not;
 * unblocked, it is taken at once whatever IF says (here: no IDT, so the
 * delivery ends in a triple fault, on both engines alike). */
START_TEST(test_nmi)
{
    sum_loop_event_waits(true);
    for (int i = 0; i < 2; i++) {
        W[i].cpu->halted = 0;
        W[i].cpu->rip = CODE;
        W[i].cpu->nmi_blocked = 0;
    }
    uint64_t before = W[1].cpu->insn_count;
    run_compare(0, EXIT_TRIPLE_FAULT);
    ck_assert_uint_lt(W[1].cpu->insn_count, before + 20);
}
END_TEST

/* Another thread asks a translated endless loop to stop, as the debugger's
 * Ctrl-C and the board do: x86_request_stop (stop_request, then x86_kick,
 * which zeroes the budget the loop's back edge tests).  No budget of its
 * own (max 0). */
static void *stop_later(void *arg)
{
    struct x86_cpu *cpu = arg;
    struct timespec ts = { 0, 50 * 1000000L };
    nanosleep(&ts, NULL);
    x86_request_stop(cpu);
    return NULL;
}

START_TEST(test_kick_loop)
{
    /* l: add eax, 1 / jmp l */
    static const uint8_t prog[] = { 0x83, 0xc0, 0x01, 0xeb, 0xfb };
    load_both(CODE, prog, sizeof(prog));
    pthread_t t;
    ck_assert_int_eq(pthread_create(&t, NULL, stop_later, W[1].cpu), 0);
    struct vm_exit e = run_one(&W[1], 0);
    pthread_join(t, NULL);
    ck_assert_uint_eq(e.reason, EXIT_GLASS_STOP);
    ck_assert_uint_gt(W[1].cpu->insn_count, 1000);
}
END_TEST

/* Real mode runs on the interpreter: mov ax, 0x1234 / add ax, ax / hlt. */
START_TEST(test_real_mode)
{
    static const uint8_t prog[] = { 0xb8, 0x34, 0x12, 0x01, 0xc0, 0xf4 };
    for (int i = 0; i < 2; i++) {
        x86_cpu_reset(W[i].cpu);
        W[i].cpu->seg[S_CS].selector = 0;
        W[i].cpu->seg[S_CS].base = 0;
        W[i].cpu->rip = CODE;
    }
    load_both(CODE, prog, sizeof(prog));
    run_compare(0, EXIT_HLT);
    ck_assert_uint_eq(W[1].cpu->gpr[R_RAX] & 0xffff, 0x2468);
}
END_TEST

/* STI's interrupt shadow covers one instruction: sti / inc eax / sti /
 * hlt, then an interrupt would be taken (the shadow is over). */
START_TEST(test_sti_shadow)
{
    static const uint8_t prog[] = { 0xfb, 0x40, 0xfb, 0xf4 };
    load_both(CODE, prog, sizeof(prog));
    run_compare(0, EXIT_HLT);
    ck_assert_uint_eq(W[1].cpu->interrupt_shadow, 0);
}
END_TEST

/* Single-stepping goes through the interpreter one instruction a time. */
START_TEST(test_single_step)
{
    load_both(CODE, prog_p32, sizeof(prog_p32));
    struct debug_ctl d = { .single_step = 1 };
    bt_set_debug(W[1].bt, &d);
    struct vm_exit e = run_one(&W[1], 0);
    ck_assert_uint_eq(e.reason, EXIT_GLASS_DEBUG);
    ck_assert_uint_eq(W[1].cpu->rip, CODE + 5);
    d.single_step = 0;
    bt_set_debug(W[1].bt, &d);
    e = run_one(&W[1], 0);
    ck_assert_uint_eq(e.reason, EXIT_HLT);
    ck_assert_uint_eq(W[1].cpu->gpr[R_RAX], 500500);
}
END_TEST

/* Breakpoints stay on translated code (cpu/break_cut.h): a block ends
 * before one, the instruction at it runs alone.  prog_p32's loop is add /
 * dec / jnz at CODE+7, +9, +10.  Stopping at the JNZ first builds a block
 * holding the DEC, so arming the DEC (mid-block) must drop it; each stop is
 * compared with the interpreter's (which runs blocks between stops too),
 * and the loop runs translated between the stops.  Then back to the JNZ
 * for a while and to the DEC once more. */
static void stop_at(uint64_t rip0, uint64_t rip1, int nstops)
{
    struct debug_ctl d = { .nbreak = 1, .breaks = { rip0, rip1 } };
    d.nbreak = rip1 ? 2 : 1;
    bt_set_debug(W[1].bt, &d);
    interp_set_debug(W[0].ic, &d);
    for (int i = 0; i < nstops; i++) {
        run_compare(0, EXIT_GLASS_DEBUG);
        ck_assert_uint_eq(W[1].cpu->rip, rip0);
    }
}

/* No breakpoints any more: both run to their HLT, compared. */
static void finish_free(void)
{
    struct debug_ctl none = { .nbreak = 0 };
    bt_set_debug(W[1].bt, &none);
    interp_set_debug(W[0].ic, &none);
    run_compare(0, EXIT_HLT);
}

START_TEST(test_breakpoint)
{
    load_both(CODE, prog_p32, sizeof(prog_p32));
    stop_at(CODE + 10, 0, 3);
    stop_at(CODE + 9, 0, 5);
    struct bt_info info;
    bt_get_info(W[1].bt, &info);
    ck_assert_uint_gt(info.blocks, 0);
    ck_assert_uint_le(info.interp_insns, 8);    /* only the resumes */
    struct interp_stats is;
    interp_cache_stats(W[0].ic, &is);
    ck_assert_uint_le(is.uncached_insns, 8);    /* the interpreter ran blocks too */
    stop_at(CODE + 10, 0, 2);
    stop_at(CODE + 9, 0, 1);
    stop_at(CODE + 7, CODE + 9, 1);
    finish_free();
    ck_assert_uint_eq(W[1].cpu->gpr[R_RAX], 500500);
}
END_TEST

/* A block goes on at a backward Jcc's target (bt_cache.c decode_block),
 * the branch turned round: mov ecx, 100 / xor eax, eax / xor ebx, ebx /
 * jmp l2 / l1: add eax, ecx / test ecx, 1 / jz l2 / add ebx, ecx / l2: dec
 * ecx / jnz l1 / hlt.  The block at l2 runs dec, jnz (taken: on at l1),
 * add, test, jz, add, dec again, ...  Then with a breakpoint on the add at
 * l1, inside that block's second part. */
static const uint8_t prog_trace[] = { 0xb9, 0x64, 0x00, 0x00, 0x00, 0x31, 0xc0, 0x31, 0xdb, 0xeb, 0x0c, 0x01, 0xc8, 0xf7, 0xc1, 0x01, 0x00, 0x00, 0x00, 0x74, 0x02, 0x01, 0xcb, 0x49, 0x75, 0xf1, 0xf4 };

START_TEST(test_trace)
{
    load_both(CODE, prog_trace, sizeof(prog_trace));
    run_compare(0, EXIT_HLT);
    ck_assert_uint_eq(W[1].cpu->gpr[R_RAX], 4950);
    ck_assert_uint_eq(W[1].cpu->gpr[R_RBX], 2500);
    struct bt_block_info bi;    /* dec, jnz, then on at l1: add ... */
    ck_assert_int_eq(bt_block_lookup(W[1].bt, CODE + 0x17, &bi), 0);
    ck_assert_int_gt(bi.insns, 3);
    ck_assert_uint_eq(bi.insn_rip[2], CODE + 0xb);
}
END_TEST

START_TEST(test_trace_breakpoint)
{
    load_both(CODE, prog_trace, sizeof(prog_trace));
    stop_at(CODE + 0xb, 0, 3);
    finish_free();
    ck_assert_uint_eq(W[1].cpu->gpr[R_RAX], 4950);
}
END_TEST

/* --- a guest doing nonsense --- */

/* The environment variable name as a number, or def. */
static uint64_t env_or(const char *name, uint64_t def)
{
    const char *v = getenv(name);
    return v && *v ? strtoull(v, NULL, 0) : def;
}

/* xorshift64*: the random guests are the same on every run. */
static uint64_t rnd_state;

static uint64_t rnd(void)
{
    rnd_state ^= rnd_state >> 12;
    rnd_state ^= rnd_state << 25;
    rnd_state ^= rnd_state >> 27;
    return rnd_state * 0x2545f4914f6cdd1dull;
}

#define GDT_AT 0x15000ull
#define IDT_AT 0x14000ull
#define TSS_AT 0x13000ull

/* A GDT (flat 32-bit code 0x08, data 0x10, 64-bit code 0x18; for ring 3
 * code32 0x23, data 0x2b, code64 0x33, and a TSS at 0x38, 16 bytes in long
 * mode) and an IDT of 256 interrupt gates, each to where handler(vector)
 * says: exceptions and INT n are delivered, not triple faults. */
static void idt_both(bool lm, uint64_t (*handler)(int vector))
{
    uint64_t gdt[9] = { 0, seg_desc(0, 0xfffff, 0x9b, 0xc), seg_desc(0, 0xfffff, 0x93, 0xc),
                        seg_desc(0, 0xfffff, 0x9b, 0xa), seg_desc(0, 0xfffff, 0xfb, 0xc),
                        seg_desc(0, 0xfffff, 0xf3, 0xc), seg_desc(0, 0xfffff, 0xfb, 0xa),
                        seg_desc(TSS_AT, 0x67, 0x8b, 0), 0 };
    uint16_t cs = lm ? 0x18 : 0x08;
    int esize = lm ? 16 : 8;
    load_both(GDT_AT, gdt, sizeof(gdt));
    for (int v = 0; v < 256; v++) {
        uint64_t off = handler(v);
        /* SDM Vol. 3, 6.11 / 6.14.1: offset 15:0, selector, P DPL=0 type
         * 0xe, offset 31:16; in long mode offset 63:32 in the next 8 bytes. */
        uint64_t g[2] = { (off & 0xffff) | ((uint64_t)cs << 16) | (0x8eull << 40) |
                          ((off >> 16 & 0xffff) << 48), off >> 32 };
        load_both(IDT_AT + (uint64_t)v * (uint64_t)esize, g, (size_t)esize);
    }
    for (int i = 0; i < 2; i++) {
        struct x86_cpu *c = W[i].cpu;
        c->gdtr.base = GDT_AT;
        c->gdtr.limit = sizeof(gdt) - 1;
        c->idtr.base = IDT_AT;
        c->idtr.limit = (uint16_t)(256 * esize - 1);
        for (int sg = S_ES; sg <= S_GS; sg++)
            c->seg[sg].selector = sg == S_CS ? cs : 0x10;
    }
}

static uint64_t handler_random(int vector)
{
    (void)vector;
    return CODE + (rnd() & 0xfff);
}

/* Paging for the random code, 4 KiB pages mapping the first 2 MiB one to
 * one (32-bit paging, or 4-level in long mode), but: the paging
 * structures' own pages not present (random stores cannot rewrite them,
 * which would leave stale TLB entries that an engine may keep or not: both
 * right); a random eighth of the data pages not present, another read-only
 * (CR0.WP), in long mode another not executable (EFER.NXE); linear
 * 0x2d000-0x2ffff aliases of the code page and two data pages (code
 * written through another mapping). */
#define RANDOM_TABLES 0x16000u      /* PD, PT; or PML4, PDPT, PD, PT */

static uint64_t random_pte(uint64_t i, int ntables, bool lm)
{
    static const uint64_t alias[3] = { CODE, 0x20000, 0x21000 };
    uint64_t pte = i << 12 | PTE_P | PTE_RW | PTE_US;
    if (i >= 0x20 && i < 0x2d) {
        uint64_t r = rnd() & 7;
        if (r == 0)
            pte &= ~PTE_P;
        else if (r == 1)
            pte &= ~PTE_RW;
        else if (r == 2 && lm)
            pte |= PTE_XD;
    }
    if (i >= 0x2d && i < 0x30)
        pte = alias[i - 0x2d] | PTE_P | PTE_RW | PTE_US;
    if (i >= RANDOM_TABLES >> 12 && i < (RANDOM_TABLES >> 12) + (uint64_t)ntables)
        pte = 0;
    return pte;
}

static void random_paging(bool lm)
{
    int ntables = lm ? 4 : 2;
    uint64_t t[4] = { RANDOM_TABLES, RANDOM_TABLES + 0x1000, RANDOM_TABLES + 0x2000,
                      RANDOM_TABLES + 0x3000 };
    if (lm) {
        static uint64_t pml4[512], pdpt[512], pd[512], pt[512];
        memset(pml4, 0, sizeof(pml4));
        memset(pdpt, 0, sizeof(pdpt));
        memset(pd, 0, sizeof(pd));
        pml4[0] = t[1] | PTE_P | PTE_RW | PTE_US;
        pdpt[0] = t[2] | PTE_P | PTE_RW | PTE_US;
        pd[0] = t[3] | PTE_P | PTE_RW | PTE_US;
        for (uint64_t i = 0; i < 512; i++)
            pt[i] = random_pte(i, ntables, true);
        load_both(t[0], pml4, sizeof(pml4));
        load_both(t[1], pdpt, sizeof(pdpt));
        load_both(t[2], pd, sizeof(pd));
        load_both(t[3], pt, sizeof(pt));
    } else {
        static uint32_t pd[1024], pt[1024];
        memset(pd, 0, sizeof(pd));
        pd[0] = (uint32_t)(t[1] | PTE_P | PTE_RW | PTE_US);
        for (uint64_t i = 0; i < 1024; i++)
            pt[i] = (uint32_t)random_pte(i, ntables, false);
        load_both(t[0], pd, sizeof(pd));
        load_both(t[1], pt, sizeof(pt));
    }
    for (int i = 0; i < 2; i++) {
        W[i].cpu->cr3 = t[0];
        W[i].cpu->cr0 |= CR0_PG | CR0_WP;
        if (lm)
            W[i].cpu->efer |= EFER_NXE;
    }
}

/* Ring 3: user segments (idt_both's GDT), TR on a TSS whose ring-0 stack
 * is 0x27000 (in the data: it may be missing or read-only, then #DF). */
static void random_user(bool lm)
{
    uint64_t tss[13] = { 0 };
    tss[0] = 0x27000ull << 32;      /* RSP0 (ESP0) at offset 4 */
    if (!lm)
        tss[1] = 0x10;              /* SS0 */
    load_both(TSS_AT, tss, sizeof(tss));
    for (int i = 0; i < 2; i++) {
        struct x86_cpu *c = W[i].cpu;
        guest_flat_seg(&c->seg[S_CS], 0xb, lm);
        c->seg[S_CS].selector = lm ? 0x33 : 0x23;
        c->seg[S_CS].dpl = 3;
        for (int sg = S_ES; sg <= S_GS; sg++) {
            if (sg == S_CS)
                continue;
            c->seg[sg].selector = 0x2b;
            c->seg[sg].dpl = 3;
        }
        c->seg[S_TR] = (struct x86_segment){ .base = TSS_AT, .limit = 0x67, .selector = 0x38,
                                             .type = 0xb, .present = 1 };
        c->cpl = 3;
    }
}

static void random_guest(uint64_t seed, int bits, bool paged, bool user)
{
    static uint8_t bytes[0xe000];
    bool lm = bits == 64;
    rnd_state = (seed + 1) * 0x9e3779b97f4a7c15ull;
    if (lm)
        long_mode_both();
    for (size_t i = 0; i < sizeof(bytes); i++)
        bytes[i] = (uint8_t)rnd();
    /* RDTSC and RDTSCP read the host's clock, which no two runs share:
     * UD2 instead. */
    for (size_t i = 0; i + 2 < 0x1000; i++) {
        if (bytes[i] == 0x0f && (bytes[i + 1] == 0x31 ||
                                 (bytes[i + 1] == 0x01 && bytes[i + 2] == 0xf9)))
            bytes[i + 1] = 0x0b;
    }
    load_both(CODE, bytes, 0x1000);
    load_both(0x20000, bytes + 0x1000, 0xd000);
    for (int r = 0; r < 16; r++) {
        uint64_t v = rnd();
        switch (v & 3) {
        case 0: v = v >> 8 & 0xffff; break;
        case 1: v = 0x20000 + (v >> 8 & 0xcfff); break;
        default: v >>= 2; break;
        }
        W[0].cpu->gpr[r] = W[1].cpu->gpr[r] = lm ? v : v & 0xffffffffu;
    }
    W[0].cpu->gpr[R_RSP] = W[1].cpu->gpr[R_RSP] = 0x28000;
    if (bits != 16) {
        idt_both(lm, handler_random);
        if (paged)
            random_paging(lm);
        if (user)
            random_user(lm);
        return;
    }
    /* Real mode at 0000:CODE, the stack at 2000:8000, an IVT of handlers
     * in the code. */
    for (int v = 0; v < 256; v++) {
        uint32_t far = (uint32_t)(CODE + (rnd() & 0xfff));
        load_both((uint64_t)v * 4, &far, 4);
    }
    for (int i = 0; i < 2; i++) {
        struct x86_cpu *c = W[i].cpu;
        uint64_t gpr[16];
        memcpy(gpr, c->gpr, sizeof(gpr));
        x86_cpu_reset(c);
        memcpy(c->gpr, gpr, sizeof(gpr));
        c->seg[S_CS].selector = 0;
        c->seg[S_CS].base = 0;
        c->seg[S_SS].selector = 0x2000;
        c->seg[S_SS].base = 0x20000;
        c->gpr[R_RSP] = 0x8000;
        c->rip = CODE;
    }
}

/* Random bytes run as code: the seven kinds below (real mode; 32-bit and
 * 64-bit, flat or paged, ring 0 or ring 3).  4 KiB at
 * CODE, random data at 0x20000-0x2cfff with the stack in it, registers
 * random (small numbers, pointers into the data, anything), the IDT's
 * gates (the IVT's vectors) into the code.  Invalid opcodes, faults of
 * every kind, INT n, string instructions with huge counts, writes over the
 * code and the tables, mode switches.  bt runs a slice of 3000; it ends
 * slices at a block's end, so the interpreter gets the budget bt used
 * (instructions and fault deliveries, one unit each), or none when bt
 * stopped for another reason.  Both must end in the same state.
 * RANDOM_SEEDS seeds per loop index, each on fresh worlds (no fork per
 * seed: a fork under ASan costs more than the run).  A longer campaign:
 * RANDOM_CHUNKS=100 RANDOM_BUDGET=100000 build/tests/test_bt (the loop
 * indexes, the slice); one seed again: RANDOM_ONLY=SEED (RANDOM_KIND=K). */
#ifdef __SANITIZE_ADDRESS__
#define RANDOM_SEEDS 10     /* ASan's calloc touches every page of a world */
#else
#define RANDOM_SEEDS 50
#endif

START_TEST(test_random_code)
{
    for (int k = 0; k < RANDOM_SEEDS; k++) {
        static const struct { int bits; bool paged, user; const char *name; } kinds[] = {
            { 16, false, false, "real mode" }, { 32, false, false, "32-bit" },
            { 32, true, false, "32-bit paged" }, { 64, false, false, "64-bit" },
            { 64, true, false, "64-bit, 4 KiB pages" }, { 32, true, true, "32-bit ring 3" },
            { 64, true, true, "64-bit ring 3" },
        };
        uint64_t seed = (uint64_t)_i * RANDOM_SEEDS + (uint64_t)k;
        int kind = (int)(seed % 7);
        if (getenv("RANDOM_ONLY")) {
            if (_i || k)
                return;
            seed = env_or("RANDOM_ONLY", 0);
            kind = (int)env_or("RANDOM_KIND", seed % 7);
        }
        char what[80];
        if (k) {
            teardown();
            setup();
        }
        random_guest(seed, kinds[kind].bits, kinds[kind].paged, kinds[kind].user);
        struct vm_exit e1 = run_one(&W[1], env_or("RANDOM_BUDGET", 3000));
        uint64_t used = W[1].cpu->insn_count + W[1].cpu->fault_count;
        struct vm_exit e0 = run_one(&W[0], e1.reason == EXIT_GLASS_STOP ? used : 0);
        snprintf(what, sizeof(what), "random code, seed %llu (%s): ",
                 (unsigned long long)seed, kinds[kind].name);
        compare_worlds(&e0, &e1, what);
    }
}
END_TEST

static uint64_t handler_at_3000(int vector)
{
    (void)vector;
    return 0x3000;
}

/* Every handler faults at once (UD2: #UD, delivered to UD2 again ...): no
 * instruction ever retires, the stack grows down without end.  The slice
 * must still end (each delivery takes one unit of the budget), on both,
 * with the same state; INT3 before it counts as an instruction on both.
 * mov eax, 1 / int3 */
static const uint8_t prog_int3[] = { 0xb8, 0x01, 0x00, 0x00, 0x00, 0xcc };

START_TEST(test_fault_storm)
{
    static const uint8_t ud2[] = { 0x0f, 0x0b };
    load_both(0x3000, ud2, sizeof(ud2));
    load_both(CODE, prog_int3, sizeof(prog_int3));
    idt_both(false, handler_at_3000);
    for (int i = 0; i < 2; i++)
        W[i].cpu->gpr[R_RSP] = 0x28000;
    run_compare(1000, EXIT_GLASS_STOP);
    ck_assert_uint_eq(W[1].cpu->insn_count, 2);     /* mov, int3 */
    ck_assert_uint_eq(W[1].cpu->fault_count, 998);  /* #BP, then #UD after #UD */
    ck_assert_uint_eq(W[1].cpu->rip, 0x3000);
    ck_assert_uint_eq(W[1].cpu->gpr[R_RSP], 0x28000 - 998 * 12);   /* EFLAGS, CS, EIP */
}
END_TEST

/* Flags pending from an AND when the next instruction, a load into the
 * register the record reads, faults (#GP: a non-canonical address), with
 * a CMP after it: the record must reach the load's slow path, not be
 * dropped as replaced (found by test_random_code).  RFLAGS at the
 * handler's HLT.  and rax, -0x4d5f21e0 / mov eax, [moffs64] / cmp al, 0 */
START_TEST(test_flags_at_delivery)
{
    static const uint8_t hlt[] = { 0xf4 };
    long_mode_both();
    load_both(0x3000, hlt, sizeof(hlt));
    load_both(CODE, prog_flags_and64 + 10, sizeof(prog_flags_and64) - 10);
    idt_both(true, handler_at_3000);
    for (int i = 0; i < 2; i++) {
        W[i].cpu->gpr[R_RSP] = 0x28000;
        W[i].cpu->gpr[R_RAX] = 0x0e3b1700da540894ull;
    }
    run_compare(0, EXIT_HLT);
    ck_assert_uint_eq(x86_get_rflags(W[1].cpu) & FL_PF, FL_PF);   /* 0x...00: even */
}
END_TEST

/* System instructions that change no mode run mid-block (a kernel's trap
 * entry pushes its segment registers): mov esp, 0x9000 / push ds /
 * push es / pushf / xor eax, eax / cpuid / inc ebx / hlt is one block. */
static const uint8_t prog_sys_midblock[] = { 0xbc, 0x00, 0x90, 0x00, 0x00, 0x1e, 0x06, 0x9c, 0x31, 0xc0, 0x0f, 0xa2, 0x43, 0xf4 };

START_TEST(test_sys_midblock)
{
    load_both(CODE, prog_sys_midblock, sizeof(prog_sys_midblock));
    for (int i = 0; i < 2; i++) {
        W[i].cpu->seg[S_DS].selector = 0x10;
        W[i].cpu->seg[S_ES].selector = 0x18;
    }
    run_compare(0, EXIT_HLT);
    struct bt_block_info bi;
    ck_assert_int_eq(bt_block_lookup(W[1].bt, CODE, &bi), 0);
    ck_assert_int_eq(bi.insns, 8);
}
END_TEST

/* A REP OUTSB of 4 billion bytes ends its slice: REP_BUDGET elements an
 * execution, RIP left at it (cpu/exec.h).  mov ecx, 0xffffffff /
 * mov esi, 0x20000 / mov dx, 0x80 / rep outsb / hlt */
static const uint8_t prog_rep_outs[] = { 0xb9, 0xff, 0xff, 0xff, 0xff, 0xbe, 0x00, 0x00, 0x02, 0x00, 0x66, 0xba, 0x80, 0x00, 0xf3, 0x6e, 0xf4 };

START_TEST(test_rep_outs_budget)
{
    load_both(CODE, prog_rep_outs, sizeof(prog_rep_outs));
    run_compare(10, EXIT_GLASS_STOP);
    ck_assert_uint_eq(W[1].cpu->rip, CODE + 14);
    ck_assert_uint_eq(W[1].cpu->gpr[R_RCX], 0xffffffffull - 7 * REP_BUDGET);
}
END_TEST

/* Guest MIPS of the interpreter's benchmark loop on both (printed). */
START_TEST(test_speed)
{
    load_both(CODE, prog_bench, sizeof(prog_bench));
    double t[2];
    for (int i = 0; i < 2; i++) {
        double t0 = guest_seconds();
        run_one(&W[i], 0);
        t[i] = guest_seconds() - t0;
    }
    run_compare(0, EXIT_HLT);   /* both halted already: compares the state */
    struct bt_info info;
    bt_get_info(W[1].bt, &info);
    printf("bench loop: interp %.0f MIPS, bt %.0f MIPS (%llu blocks, %llu native, %llu helper, "
           "%llu dispatches)\n", (double)W[0].cpu->insn_count / t[0] / 1e6,
           (double)W[1].cpu->insn_count / t[1] / 1e6, (unsigned long long)info.blocks,
           (unsigned long long)info.native_insns, (unsigned long long)info.helper_insns,
           (unsigned long long)info.dispatches);
}
END_TEST


static Suite *bt_suite(void)
{
    Suite *s = suite_create("bt");
    TCase *tc = tcase_create("core");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, test_sum_loop);
    tcase_add_test(tc, test_rep_string);
    tcase_add_test(tc, test_call_ret);
    tcase_add_loop_test(tc, test_agree, 0, (int)(sizeof(agree_cases) / sizeof(agree_cases[0])));
    tcase_add_test(tc, test_page_fault);
    tcase_add_test(tc, test_budget);
    tcase_add_test(tc, test_loop_budget);
    tcase_add_test(tc, test_fold32);
    tcase_add_test(tc, test_esp_upper);
    tcase_add_test(tc, test_trace);
    tcase_add_test(tc, test_trace_breakpoint);
    tcase_add_test(tc, test_masked_interrupt);
    tcase_add_test(tc, test_nmi);
    tcase_add_test(tc, test_kick_loop);
    tcase_add_test(tc, test_site_remap);
    tcase_add_test(tc, test_site_thrash);
    tcase_add_loop_test(tc, test_site_pages, 0, (int)(sizeof(pages_cases) / sizeof(pages_cases[0])));
    tcase_add_test(tc, test_real_mode);
    tcase_add_test(tc, test_sti_shadow);
    tcase_add_test(tc, test_single_step);
    tcase_add_test(tc, test_breakpoint);
    tcase_add_loop_test(tc, test_random_code, 0, (int)env_or("RANDOM_CHUNKS", 6));
    tcase_add_test(tc, test_fault_storm);
    tcase_add_test(tc, test_flags_at_delivery);
    tcase_add_test(tc, test_sys_midblock);
    tcase_add_test(tc, test_rep_outs_budget);
    tcase_add_test(tc, test_speed);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    return run_suite(bt_suite());
}
