/* Random programs for the interpreter's tests (tests/unit/test_interp_block.c):
 * loops over the instruction forms the specialised and fused handlers take
 * (and a few they do not), for 32-bit or 64-bit code, in machine code.
 * The body never writes rCX (the loop count), rSI (the data base) or rSP
 * (pushes and pops come in pairs); memory operands stay within the first
 * 128 bytes at rSI. */
#ifndef GLASS_TESTS_UNIT_TEST_INTERP_GEN_H
#define GLASS_TESTS_UNIT_TEST_INTERP_GEN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

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

#endif
