/* The interpreter's block runner (cpu/interp_chain.c, cpu/exec_fast*.c):
 * random programs of the forms the specialised and fused handlers take,
 * run three ways — block after block at full speed, one instruction at a
 * time through the block cache, and decoded afresh through the general
 * handlers (interp_step) — must end in the same registers, flags and
 * memory, in flat 32-bit protected mode and in 64-bit mode.  Plus the
 * things a chain of blocks must still notice: a stop request or an
 * interrupt in an endless loop, code changed under the running block, a
 * page remapped under a link to another page, and a bounded stack. */
#include <check.h>
#include <pthread.h>
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

#define CODE 0x1f00ull          /* the program crosses into the next page */
#define DATA 0x10000ull         /* rSI points here, 256 bytes */
#define STACK 0x9000ull
#define PT_BASE 0x20000ull      /* page tables for 64-bit mode */

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

/* 64-bit mode: the first 2 MiB identity-mapped by 4 KiB pages (so one can
 * be remapped or made read-only: set_pte). */
static void enter_long_mode(void)
{
    put64(PT_BASE, (PT_BASE + 0x1000) | PTE_P | PTE_RW);          /* PML4[0] */
    put64(PT_BASE + 0x1000, (PT_BASE + 0x2000) | PTE_P | PTE_RW); /* PDPT[0] */
    put64(PT_BASE + 0x2000, (PT_BASE + 0x3000) | PTE_P | PTE_RW); /* PD[0] */
    for (uint64_t i = 0; i < 512; i++)
        put64(PT_BASE + 0x3000 + i * 8, (i << 12) | PTE_P | PTE_RW);
    cpu->cr3 = PT_BASE;
    cpu->cr4 = CR4_PAE;
    cpu->efer = EFER_LME | EFER_LMA;
    cpu->cr0 = CR0_PE | CR0_PG | CR0_ET;
    flat_seg(&cpu->seg[S_CS], 0xb, true);
}

static void set_pte(uint64_t lin, uint64_t pte)
{
    put64(PT_BASE + 0x3000 + (lin >> 12) * 8, pte);
    x86_tlb_flush(cpu, 1);
}

static struct vm_exit run(uint64_t max)
{
    struct vm_exit e;
    memset(&e, 0, sizeof(e));
    ck_assert_int_eq(interp_run(cpu, &e, max), 0);
    return e;
}

/* --- a generator of random programs --- */

struct gen {
    uint8_t *p;
    int bits;
    uint64_t rng;
};

static uint32_t rnd(struct gen *g)
{
    g->rng ^= g->rng << 13;
    g->rng ^= g->rng >> 7;
    g->rng ^= g->rng << 17;
    return (uint32_t)(g->rng >> 11);
}

static void b1(struct gen *g, unsigned v)
{
    *g->p++ = (uint8_t)v;
}

static void b4(struct gen *g, uint32_t v)
{
    memcpy(g->p, &v, 4);
    g->p += 4;
}

/* Destinations: never rCX (the loop count), rSP or rSI (the data base). */
static int pick_reg(struct gen *g)
{
    static const int r32[] = { 0, 2, 3, 5, 7 };
    static const int r64[] = { 0, 2, 3, 5, 7, 8, 9, 10, 11 };
    return g->bits == 64 ? r64[rnd(g) % 9] : r32[rnd(g) % 5];
}

/* Any register as a source (rCX, rSI, rSP too). */
static int pick_src(struct gen *g)
{
    return (int)(rnd(g) % (g->bits == 64 ? 16 : 8));
}

/* REX for operand width w (64-bit only), ModRM reg, rm and SIB index. */
static void rex(struct gen *g, int w, int reg, int rm, int index)
{
    if (g->bits != 64)
        return;
    unsigned r = 0x40 | (unsigned)w << 3 | (unsigned)(reg >> 3) << 2 |
                 (unsigned)(index >> 3) << 1 | (unsigned)(rm >> 3);
    if (r != 0x40 || (rnd(g) & 7) == 0)
        b1(g, r);
}

static int width(struct gen *g)
{
    return g->bits == 64 ? (int)(rnd(g) & 1) : 0;
}

static void modrm_rr(struct gen *g, int reg, int rm)
{
    b1(g, 0xc0 | (unsigned)(reg & 7) << 3 | (unsigned)(rm & 7));
}

/* [rSI + disp8], 8-byte aligned within the first 128 bytes of the data
 * area (a disp8 of 128 or more would be negative). */
static void modrm_mem(struct gen *g, int reg)
{
    b1(g, 0x46 | (unsigned)(reg & 7) << 3);
    b1(g, (rnd(g) % 16) * 8);
}

static const uint8_t alu_rm_reg[] = { 0x01, 0x29, 0x39, 0x21, 0x09, 0x31, 0x85, 0x11, 0x19 };
static const uint8_t alu_reg_rm[] = { 0x03, 0x2b, 0x3b, 0x23, 0x0b, 0x33 };
static const uint8_t alu_sub[] = { 0, 1, 4, 5, 6, 7, 2, 3 }; /* ADD OR AND SUB XOR CMP ADC SBB */

/* A flag-setting ALU instruction on registers or memory. */
static void gen_alu(struct gen *g)
{
    int w = width(g), reg = pick_reg(g), rm = pick_reg(g), src = pick_src(g);
    switch (rnd(g) % 8) {
    case 0:
        rex(g, w, src, rm, 0);
        b1(g, alu_rm_reg[rnd(g) % sizeof(alu_rm_reg)]);
        modrm_rr(g, src, rm);
        break;
    case 1:
        rex(g, w, reg, src, 0);
        b1(g, alu_reg_rm[rnd(g) % sizeof(alu_reg_rm)]);
        modrm_rr(g, reg, src);
        break;
    case 2: /* op r, imm8 */
        rex(g, w, 0, rm, 0);
        b1(g, 0x83);
        modrm_rr(g, alu_sub[rnd(g) % 8], rm);
        b1(g, rnd(g));
        break;
    case 3: /* op r, imm32 / TEST r, imm32 */
        rex(g, w, 0, rm, 0);
        if (rnd(g) & 1) {
            b1(g, 0x81);
            modrm_rr(g, alu_sub[rnd(g) % 6], rm);
        } else {
            b1(g, 0xf7);
            modrm_rr(g, 0, rm);
        }
        b4(g, rnd(g) * 2654435761u);
        break;
    case 4: /* op r, [mem] */
        rex(g, w, reg, 0, 0);
        b1(g, alu_reg_rm[rnd(g) % sizeof(alu_reg_rm)]);
        modrm_mem(g, reg);
        break;
    case 5: /* op [mem], r */
        rex(g, w, src, 0, 0);
        b1(g, alu_rm_reg[rnd(g) % sizeof(alu_rm_reg)]);
        modrm_mem(g, src);
        break;
    case 6: /* op [mem], imm8 */
        rex(g, w, 0, 0, 0);
        b1(g, 0x83);
        modrm_mem(g, alu_sub[rnd(g) % 8]);
        b1(g, rnd(g));
        break;
    default: /* CMP/ADD byte [mem], imm8 */
        b1(g, 0x80);
        modrm_mem(g, (rnd(g) & 1) ? 7 : 0);
        b1(g, rnd(g) & 3);
        break;
    }
}

/* Anything else the specialised handlers take (and a few they do not). */
static void gen_other(struct gen *g)
{
    int w = width(g), reg = pick_reg(g), src = pick_src(g);
    switch (rnd(g) % 18) {
    case 0: /* MOV r, r */
        rex(g, w, src, reg, 0);
        b1(g, 0x89);
        modrm_rr(g, src, reg);
        break;
    case 1: /* MOV r, [mem] / MOV [mem], r */
        rex(g, w, reg, 0, 0);
        b1(g, (rnd(g) & 1) ? 0x8b : 0x89);
        modrm_mem(g, reg);
        break;
    case 2: /* MOV [mem], imm32 / MOV byte [mem], imm8 */
        if (rnd(g) & 1) {
            rex(g, w, 0, 0, 0);
            b1(g, 0xc7);
            modrm_mem(g, 0);
            b4(g, rnd(g));
        } else {
            b1(g, 0xc6);
            modrm_mem(g, 0);
            b1(g, rnd(g));
        }
        break;
    case 3: /* MOVZX/MOVSX r, byte/word [mem] */
        rex(g, w, reg, 0, 0);
        b1(g, 0x0f);
        b1(g, (const uint8_t[]){ 0xb6, 0xb7, 0xbe, 0xbf }[rnd(g) & 3]);
        modrm_mem(g, reg);
        break;
    case 4: /* MOV r8, [mem] / MOV [mem], r8: AL DL BL AH DH BH (not CL, CH) */
        b1(g, (rnd(g) & 1) ? 0x8a : 0x88);
        modrm_mem(g, (const int[]){ 0, 2, 3, 4, 6, 7 }[rnd(g) % 6]);
        break;
    case 5: /* INC/DEC r */
        rex(g, w, 0, reg, 0);
        b1(g, 0xff);
        modrm_rr(g, rnd(g) & 1, reg);
        break;
    case 6: /* SHL/SHR/SAR r, imm8 (count 0 included) */
        rex(g, w, 0, reg, 0);
        b1(g, 0xc1);
        modrm_rr(g, (const int[]){ 4, 5, 7 }[rnd(g) % 3], reg);
        b1(g, rnd(g) % 70);
        break;
    case 7: { /* LEA r, [base + index * scale + disp8] */
        int base = pick_src(g), index = pick_src(g);
        if ((index & 7) == 4)
            index = 0;
        rex(g, w, reg, base, index);
        b1(g, 0x8d);
        b1(g, 0x44 | (unsigned)(reg & 7) << 3);
        b1(g, (rnd(g) & 3) << 6 | (unsigned)(index & 7) << 3 | (unsigned)(base & 7));
        b1(g, rnd(g));
        break;
    }
    case 8: /* MOV r, imm32 */
        rex(g, 0, 0, reg, 0);
        b1(g, 0xb8 + (reg & 7));
        b4(g, rnd(g));
        break;
    case 9: /* IMUL r, r, imm8 / IMUL r, r */
        rex(g, w, reg, src, 0);
        if (rnd(g) & 1) {
            b1(g, 0x6b);
            modrm_rr(g, reg, src);
            b1(g, rnd(g));
        } else {
            b1(g, 0x0f);
            b1(g, 0xaf);
            modrm_rr(g, reg, src);
        }
        break;
    case 10: /* CMOVcc r, r */
        rex(g, w, reg, src, 0);
        b1(g, 0x0f);
        b1(g, 0x40 + (rnd(g) & 15));
        modrm_rr(g, reg, src);
        break;
    case 11: { /* PUSH r / POP r */
        int r2 = pick_reg(g);
        rex(g, 0, 0, src, 0);
        b1(g, 0x50 + (src & 7));
        rex(g, 0, 0, r2, 0);
        b1(g, 0x58 + (r2 & 7));
        break;
    }
    case 12: /* NOT/NEG r */
        rex(g, w, 0, reg, 0);
        b1(g, 0xf7);
        modrm_rr(g, 2 + (rnd(g) & 1), reg);
        break;
    case 13: /* MOVZX r, r8 */
        rex(g, w, reg, src, 0);
        b1(g, 0x0f);
        b1(g, 0xb6);
        modrm_rr(g, reg, src);
        break;
    case 14: /* ROL r, imm8 / SHL r, 1 (general handlers) */
        rex(g, w, 0, reg, 0);
        if (rnd(g) & 1) {
            b1(g, 0xc1);
            modrm_rr(g, 0, reg);
            b1(g, rnd(g) & 63);
        } else {
            b1(g, 0xd1);
            modrm_rr(g, 4, reg);
        }
        break;
    case 15: /* PUSH imm8 / POP r */
        b1(g, 0x6a);
        b1(g, rnd(g));
        rex(g, 0, 0, reg, 0);
        b1(g, 0x58 + (reg & 7));
        break;
    case 16: /* NOP forms */
        if (rnd(g) & 1) {
            b1(g, 0x90);
        } else {
            b1(g, 0x0f);
            b1(g, 0x1f);
            b1(g, 0x40);
            b1(g, 0);
        }
        break;
    default: /* SETcc AL/DL/BL */
        b1(g, 0x0f);
        b1(g, 0x90 + (rnd(g) & 15));
        modrm_rr(g, 0, (const int[]){ 0, 2, 3 }[rnd(g) % 3]);
        break;
    }
}

/* A program: mov ecx, iters / top: body / dec ecx / jnz top / hlt.  The
 * body mixes flag setters, other instructions, Jcc and JMP over the next
 * instruction, and a CALL of a two-instruction function. */
static size_t gen_program(uint8_t *buf, int bits, uint64_t seed, int body, uint32_t iters)
{
    struct gen g = { .p = buf, .bits = bits, .rng = seed * 0x9e3779b97f4a7c15ull + 1 };
    b1(&g, 0xb9);
    b4(&g, iters);
    uint8_t *top = g.p;
    uint8_t *call_sites[8];
    int ncalls = 0;
    for (int i = 0; i < body; i++) {
        uint32_t k = rnd(&g) % 16;
        if (k < 6) {
            gen_alu(&g);
        } else if (k < 12) {
            gen_other(&g);
        } else if (k < 15) {
            /* a flag setter, then Jcc or JMP over the next instruction */
            gen_alu(&g);
            bool jmp = (rnd(&g) % 8) == 0;
            b1(&g, jmp ? 0xeb : 0x70 + (rnd(&g) & 15));
            uint8_t *rel = g.p++;
            uint8_t *start = g.p;
            gen_other(&g);
            *rel = (uint8_t)(g.p - start);
        } else if (ncalls < 8) {
            b1(&g, 0xe8); /* CALL f, patched below */
            call_sites[ncalls++] = g.p;
            b4(&g, 0);
        }
    }
    b1(&g, 0xff); /* DEC ECX */
    b1(&g, 0xc9);
    b1(&g, 0x0f); /* JNZ top */
    b1(&g, 0x85);
    b4(&g, (uint32_t)(top - (g.p + 4)));
    b1(&g, 0xf4); /* HLT */
    /* f: add eax, ebx / ret */
    uint8_t *f = g.p;
    b1(&g, 0x01);
    b1(&g, 0xd8);
    b1(&g, 0xc3);
    for (int i = 0; i < ncalls; i++) {
        uint32_t rel = (uint32_t)(f - (call_sites[i] + 4));
        memcpy(call_sites[i], &rel, 4);
    }
    return (size_t)(g.p - buf);
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
    equivalence(32, 150);
}
END_TEST

START_TEST(test_equivalence_64)
{
    enter_long_mode();
    equivalence(64, 150);
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

/* l: add eax, 1 / cmp eax, ebx / jne l — never leaves (ebx = eax). */
static const uint8_t prog_forever[] = { 0x83, 0xc0, 0x01, 0x39, 0xd8, 0x75, 0xf9, 0xf4 };

START_TEST(test_stop_in_endless_loop)
{
    load(CODE, prog_forever, sizeof(prog_forever));
    cpu->gpr[R_RAX] = 0;
    cpu->gpr[R_RBX] = 0;
    pthread_t t;
    struct poke p = { &cpu->env.stop_request, 50 };
    ck_assert_int_eq(pthread_create(&t, NULL, poke_later, &p), 0);
    struct vm_exit e = run(0);
    pthread_join(t, NULL);
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
    pthread_t t;
    struct poke p = { &cpu->env.intr_pending, 50 };
    ck_assert_int_eq(pthread_create(&t, NULL, poke_later, &p), 0);
    struct vm_exit e = run(0);
    pthread_join(t, NULL);
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
    size_t n = gen_program(prog, 32, 99, 200, 20000);
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
    ck_assert_uint_gt(r.insns, 2000000);
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
    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? 1 : 0;
}
