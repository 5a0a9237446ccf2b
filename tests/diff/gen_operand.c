/* The generator's builder (gen_internal.h): the pieces a template makes
 * its instruction of, each drawing its random choices from g->rng.
 * Values, registers, prefixes, ModRM/SIB addressing and memory targets,
 * immediates, patches of the data pages, stack pointers, branch targets. */
#include <stdbool.h>
#include <string.h>

#include "tests/diff/gen_internal.h"

/* ---------------------------------------------------------------- values */

/* A value with interesting low `size` bytes: 0, -1, sign boundaries, small
 * numbers, or random; the bytes above are random or a sign extension. */
uint64_t edge_value(struct bld *b, int size)
{
    uint64_t m = size_mask(size), top = 1ull << (size * 8 - 1), v;
    switch (below(b, 12)) {
    case 0: v = 0; break;
    case 1: v = m; break;
    case 2: v = 1; break;
    case 3: v = top; break;
    case 4: v = top - 1; break;
    case 5: v = top + 1; break;
    case 6: v = below(b, 64); break;
    case 7: v = (uint64_t)-(int64_t)below(b, 64); break;
    default: v = rnd(b); break;
    }
    v &= m;
    if (size < 8) {
        uint64_t hi = rnd(b);
        if (chance(b, 30))
            hi = (v & top) ? ~0ull : 0;
        v |= hi & ~m;
    }
    return v;
}

/* ------------------------------------------------------------- registers */

void pin(struct bld *b, int reg, uint64_t val)
{
    b->c->gpr[reg] = b->mode == 32 ? (uint32_t)val : val;
    b->pinned |= (uint16_t)(1u << reg);
}

static bool pinned(struct bld *b, int reg) { return (b->pinned >> reg) & 1; }

static int nregs(struct bld *b) { return b->mode == 64 ? 16 : 8; }

/* A register number for an operand (any register; may be pinned). */
int any_reg(struct bld *b) { return (int)below(b, (uint64_t)nregs(b)); }

/* A register not pinned yet, or -1. */
int free_reg(struct bld *b, uint16_t also_avoid)
{
    for (int tries = 0; tries < 32; tries++) {
        int r = any_reg(b);
        if (!pinned(b, r) && !((also_avoid >> r) & 1))
            return r;
    }
    return -1;
}

/* ------------------------------------------------------------- prefixes */

void prefix(struct bld *b, uint8_t p)
{
    if (b->npfx < (int)sizeof b->pfx)
        b->pfx[b->npfx++] = p;
}

/* Operand size: 66 for 16 bits, REX.W for 64.  Bytes need no prefix. */
void opsize(struct bld *b, int size)
{
    if (size == 2)
        prefix(b, 0x66);
    if (size == 8)
        b->rex |= 8;
    if (size == 8 && chance(b, 3))
        prefix(b, 0x66);  /* 66 with REX.W: REX.W wins */
    if (b->mode == 64 && chance(b, 15))
        b->want_rex = true;
}

int rand_size(struct bld *b, bool bytes)
{
    for (;;) {
        int s = 1 << below(b, 4);
        if (s == 1 && !bytes)
            continue;
        if (s == 8 && b->mode != 64)
            continue;
        return s;
    }
}

void maybe_lock(struct bld *b, bool mem, bool lockable)
{
    if (mem && lockable && chance(b, 10))
        prefix(b, 0xf0);
    else if (chance(b, 1))
        prefix(b, 0xf0);   /* #UD: register destination or not lockable */
}

/* ---------------------------------------------------------- ModRM forms */

void modrm_reg(struct bld *b, int reg)
{
    b->has_modrm = true;
    b->reg = (uint8_t)reg;
    if (reg >= 8)
        b->rex |= 4;
}

void rm_reg(struct bld *b, int reg)
{
    b->has_modrm = true;
    b->mod = 3;
    b->rm = (uint8_t)reg;
    if (reg >= 8)
        b->rex |= 1;
}

/* Where a memory operand of `size` bytes should point. */
uint64_t mem_target(struct bld *b, int size, bool allow_fault)
{
    unsigned k = (unsigned)below(b, 100);
    uint64_t t;
    if (!allow_fault)
        k = 0;
    if (k < 80) {
        t = DIFF_DATA + below(b, DIFF_DATA_SIZE - (unsigned)size + 1);
        if (chance(b, 50))
            t &= ~(uint64_t)(size - 1);
    } else if (k < 87 && size > 1) {
        t = DIFF_DATA + DIFF_PAGE - 1 - below(b, (uint64_t)size - 1);
    } else if (k < 92 && size > 1) {
        t = DIFF_GUARD - 1 - below(b, (uint64_t)size - 1);
    } else if (k < 96) {
        t = DIFF_GUARD + below(b, DIFF_PAGE - (unsigned)size);
    } else {
        t = DIFF_RO + below(b, DIFF_PAGE - (unsigned)size);
    }
    return t;
}

/* Choose an addressing form for effective address `t` and set the base and
 * index registers so that it comes out; pins them.  avoid: registers that
 * must not be base or index.  any_value: LEA-like, t may be anything. */
void rm_mem_at(struct bld *b, uint64_t t, uint16_t avoid, bool noncanon_ok)
{
    uint64_t amask = b->addrsize == 8 ? ~0ull : 0xffffffffull;
    b->has_modrm = true;
    for (int tries = 0; tries < 8; tries++) {
        int form = (int)below(b, 9);
        int base = -1, index = -1, scale = 1 << below(b, 4);
        int64_t disp = 0;
        int disp_len = 0;
        if (form == 8 && b->mode == 64 && b->addrsize == 8 && noncanon_ok) {
            /* Non-canonical: #GP (or #SS through RSP/RBP) on both sides. */
            t += chance(b, 50) ? 0x0000800000000000ull : 0xffff000000000000ull;
            form = 1;
        } else if (form == 8) {
            form = 2;
        }
        switch (form) {
        case 0: case 1: case 2: /* [base], [base+disp8], [base+disp32] */
            base = free_reg(b, avoid);
            disp_len = form == 0 ? 0 : form == 1 ? 1 : 4;
            break;
        case 3: /* [base+index*scale+disp] */
            base = free_reg(b, avoid);
            index = free_reg(b, avoid | (uint16_t)(base >= 0 ? 1u << base : 0) | (1u << RSP));
            disp_len = (int)below(b, 3);
            disp_len = disp_len == 2 ? 4 : disp_len;
            break;
        case 4: /* [index*scale+disp32] */
            index = free_reg(b, avoid | (1u << RSP));
            disp_len = 4;
            break;
        case 5: /* RIP-relative (64-bit) or [disp32] (32-bit) */
        case 6: /* SIB with neither base nor index: [disp32] */
            disp_len = 4;
            break;
        default: /* 7: [base] through SIB with no index */
            base = free_reg(b, avoid);
            disp_len = (int)below(b, 2);
            break;
        }
        if ((form != 5 && form != 6 && base < 0 && index < 0) || (form == 3 && (base < 0 || index < 0)))
            continue;
        if (disp_len == 1)
            disp = (int8_t)rnd(b);
        else if (disp_len == 4)
            disp = chance(b, 50) ? (int32_t)rnd(b) : (int64_t)below(b, 0x2000) - 0x1000;
        /* RBP/R13 as base with no displacement is not encodable: disp8 0. */
        if (base >= 0 && (base & 7) == 5 && disp_len == 0)
            disp_len = 1, disp = 0;
        if (form == 5 || form == 6) {
            if (form == 5 && b->mode == 64) {
                b->rip_rel = true;
                b->rip_target = t;
                b->mod = 0, b->rm = 5;
                b->disp_len = 4;
                return;
            }
            /* Absolute: the disp32 is sign-extended (64-bit addressing) or
             * wraps (32-bit): t below 2 GiB works for both. */
            if ((t & amask) != t || t >= 0x80000000ull)
                continue;
            disp = (int64_t)t;
            if (form == 5) { /* 32-bit mode: mod 00 rm 101 */
                b->mod = 0, b->rm = 5;
            } else {
                b->mod = 0, b->rm = 4, b->has_sib = true;
                b->base = 5, b->index = 4, b->scale = 1;
            }
            b->disp = disp;
            b->disp_len = 4;
            return;
        }
        uint64_t ival = 0;
        if (index >= 0) {
            if (base >= 0) {
                ival = chance(b, 50) ? rnd(b) : below(b, 256) - 128;
            } else {
                /* No base: index*scale + disp32 = t, so index ~ t/scale. */
                uint64_t rem = (t - (uint64_t)disp) % (uint64_t)scale;
                disp += (int64_t)rem;
                if (disp > INT32_MAX)
                    disp -= scale;
                ival = (t - (uint64_t)disp) / (uint64_t)scale;
                if (b->addrsize == 4 || chance(b, 20))
                    ival = (ival & 0xffffffffull) | (b->addrsize == 4 ? rnd(b) << 32 : 0);
            }
        }
        if (base >= 0) {
            uint64_t bval = t - (uint64_t)disp - ival * (uint64_t)scale;
            if (b->addrsize == 4)
                bval = (bval & 0xffffffffull) | (b->mode == 64 ? rnd(b) << 32 : 0);
            pin(b, base, bval);
        }
        if (index >= 0) {
            if (b->addrsize == 4 && b->mode == 64)
                ival = (ival & 0xffffffffull) | (rnd(b) << 32);
            pin(b, index, ival);
        }
        b->disp = disp;
        b->disp_len = disp_len;
        b->mod = disp_len == 0 ? 0 : disp_len == 1 ? 1 : 2;
        if (form == 3 || form == 4 || form == 7 || (base & 7) == 4) {
            b->has_sib = true;
            b->rm = 4;
            b->scale = (uint8_t)(index >= 0 ? scale : 1 << below(b, 4));
            if (index >= 0) {
                b->index = (uint8_t)index;
                if (index >= 8)
                    b->rex |= 2;
            } else {
                b->index = 4;   /* none; REX.X set would make it R12 */
            }
            if (base >= 0) {
                b->base = (uint8_t)base;
                if (base >= 8)
                    b->rex |= 1;
            } else {
                b->base = 5, b->mod = 0;
            }
        } else {
            b->rm = (uint8_t)base;
            if (base >= 8)
                b->rex |= 1;
        }
        return;
    }
    b->skip = true;
}

/* 67 prefix in 64-bit mode: 32-bit addressing. */
void addrsize_maybe(struct bld *b)
{
    b->addrsize = b->mode == 64 ? 8 : 4;
    if (b->mode == 64 && chance(b, 15)) {
        prefix(b, 0x67);
        b->addrsize = 4;
    }
}

uint64_t rm_mem(struct bld *b, int size, bool allow_fault)
{
    uint64_t t = mem_target(b, size, allow_fault);
    addrsize_maybe(b);
    rm_mem_at(b, t, 0, allow_fault);
    return t;
}

/* The r/m operand: a register (returned as 0-15) or memory (-1; *ea). */
int rm_any(struct bld *b, int size, uint64_t *ea)
{
    if (chance(b, 55)) {
        int r = any_reg(b);
        rm_reg(b, r);
        return r;
    }
    uint64_t t = rm_mem(b, size, true);
    if (ea)
        *ea = t;
    return -1;
}

/* Write `size` bytes of val at guest address t when they are in DIFF_DATA. */
void patch(struct bld *b, uint64_t t, int size, uint64_t val)
{
    struct diff_case *c = b->c;
    if (t < DIFF_DATA || t + (uint64_t)size > DIFF_DATA + DIFF_DATA_SIZE || c->npatch >= DIFF_MAX_PATCH)
        return;
    c->patch[c->npatch].off = (uint16_t)(t - DIFF_DATA);
    c->patch[c->npatch].len = (uint8_t)size;
    memcpy(c->patch[c->npatch].bytes, &val, (size_t)(size > 8 ? 8 : size));
    c->npatch++;
}

/* ------------------------------------------- immediates, stack, targets */

void imm(struct bld *b, int len, uint64_t v)
{
    b->imm_len = len;
    b->imm = v;
}

/* imm of an operand of `size` (iz: imm32 for 64-bit operands). */
void imm_z(struct bld *b, int size)
{
    int len = size == 8 ? 4 : size;
    imm(b, len, edge_value(b, len));
}

/* A stack pointer in DIFF_DATA with `room` bytes below and above it;
 * sometimes near an edge, so the push or pop faults. */
void pin_stack(struct bld *b, int room)
{
    uint64_t sp;
    int align = b->mode == 64 ? 8 : 4;
    if (chance(b, 5))
        sp = DIFF_DATA + below(b, 16);          /* push into the read-only page */
    else if (chance(b, 5))
        sp = DIFF_GUARD - below(b, 16);         /* pop from the guard page */
    else
        sp = DIFF_DATA + (uint64_t)room + below(b, DIFF_DATA_SIZE - 2 * (unsigned)room);
    if (chance(b, 85))
        sp &= ~(uint64_t)(align - 1);
    pin(b, RSP, sp);
}

/* A branch target inside the code page, away from the instruction. */
uint64_t code_target(struct bld *b)
{
    if (chance(b, 50))
        return DIFF_INSN_ADDR - 16 - below(b, 0x700);
    return DIFF_INSN_ADDR + 16 + below(b, 0x700);
}
