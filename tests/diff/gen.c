/* The instruction generator (see gen.h).
 *
 * A template builds one instruction in a struct bld: prefixes, REX bits,
 * opcode, ModRM/SIB/displacement, immediate.  Registers start random (with
 * edge values); a template "pins" the registers whose values matter (stack
 * pointer, count in CL, string pointers, the base and index of a memory
 * operand) so that no later choice overwrites them.  Each template also says
 * which flags the SDM defines after the instruction (flag_mask), so only
 * those are compared.
 *
 * 32-bit cases and their oracle.  Glass runs a 32-bit case in a
 * compatibility-mode code segment (long mode, CS.L=0, CS.D=1, flat data
 * segments).  Where the host can run 32-bit user code (a far jump to
 * selector 0x23 works: gen->oracle32 == DIFF_ORACLE_SAME) it runs the same
 * bytes the same way.  Where it cannot (some virtual machines), the host
 * runs a 64-bit instruction with exactly the same meaning instead
 * (DIFF_ORACLE_ADDR32), which exists for the mode-independent part of the
 * ISA: with no REX prefix and a 0x67 (address-size) prefix, a 64-bit-mode
 * instruction has the same operand size (32, or 16 with 0x66), the same
 * registers (the low halves; they start with zero upper halves) and the
 * same 32-bit address arithmetic (wrapping at 4 GiB) as in a flat 32-bit
 * segment.  encode() translates:
 *   - 0x67 goes before the other prefixes when the instruction addresses memory:
 *     a ModRM memory operand (LEA and NOP 0F 1F included), a moffs (A0-A3),
 *     or implicitly: string ops (ESI/EDI/ECX), XLAT (EBX), LOOPcc and JECXZ
 *     (ECX as the count);
 *   - ModRM mod=00 rm=101 is [disp32] in 32-bit code but [RIP+disp32] in
 *     64-bit code: it becomes mod=00 rm=100 with SIB 0x25 (no base, no
 *     index), which with 0x67 is the same absolute [disp32];
 *   - INC/DEC r32 (0x40-0x4F; REX prefixes in 64-bit code) become FF /0 and
 *     FF /1 with a register operand (mod=11), 0x66 kept;
 *   - 0x82 (an alias of 0x80, #UD in 64-bit code) becomes 0x80;
 *   - branch displacements are kept, so a taken branch lands as far from
 *     the end of the native instruction as from the end of glass's: RIP is
 *     compared relative to each side's instruction (compare.c).
 * Left out of such cases because their meaning depends on the mode: the
 * stack (PUSH POP CALL RET ENTER LEAVE, templates pushpop and enter: the
 * stack width differs), JMP through memory (8 bytes read in 64-bit code),
 * and what 64-bit code does not have (DAA DAS AAA AAS AAM AAD SALC PUSHA
 * POPA: template legacy32; BOUND ARPL LES LDS are not generated at all).
 * They are covered only by the unit tests and, on hosts that run 32-bit
 * code, by the direct oracle.  Segment overrides in 32-bit cases are DS ES
 * SS (flat on both sides, null prefixes in 64-bit code) and, on string
 * sources only (a read), CS. */
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "tests/diff/gen.h"
#include "tests/diff/runner_proto.h"

#define F_CF 0x001u
#define F_PF 0x004u
#define F_AF 0x010u
#define F_ZF 0x040u
#define F_SF 0x080u
#define F_DF 0x400u
#define F_OF 0x800u
#define F_ALL (F_CF | F_PF | F_AF | F_ZF | F_SF | F_OF)

enum { RAX, RCX, RDX, RBX, RSP, RBP, RSI, RDI };

struct bld {
    struct gen *g;
    struct diff_case *c;
    int mode;               /* 64 or 32 */
    uint8_t pfx[8];
    int npfx;
    int rex;                /* REX bits WRXB */
    bool want_rex;          /* emit a REX byte even if rex == 0 */
    uint8_t op[3];
    int nop;
    bool has_modrm;
    uint8_t mod, reg, rm;   /* reg and rm with their REX bit (0-15) */
    bool has_sib;
    uint8_t scale, index, base; /* index/base 0-15; low 3 bits go in SIB */
    int disp_len;           /* 0, 1, 4 (8 for 64-bit moffs) */
    int64_t disp;
    bool rip_rel;
    uint64_t rip_target;
    int imm_len;
    uint64_t imm;
    int rel_len;            /* branch displacement, chosen at assembly */
    int64_t rel;
    uint16_t pinned;
    int addrsize;
    bool addr32;            /* a 32-bit case whose oracle is DIFF_ORACLE_ADDR32 */
    bool implicit_addr;     /* addresses memory or counts in ECX without ModRM */
    bool skip;              /* template cannot do this combination: retry */
};

/* ---------------------------------------------------------------- random */

static uint64_t rnd(struct bld *b) { return diff_rand_next(&b->g->rng); }
static uint64_t below(struct bld *b, uint64_t n) { return n ? rnd(b) % n : 0; }
static bool chance(struct bld *b, unsigned percent) { return below(b, 100) < percent; }

static uint64_t size_mask(int size)
{
    return size >= 8 ? ~0ull : (1ull << (size * 8)) - 1;
}

/* A value with interesting low `size` bytes: 0, -1, sign boundaries, small
 * numbers, or random; the bytes above are random or a sign extension. */
static uint64_t edge_value(struct bld *b, int size)
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

static uint64_t rand_reg_value(struct bld *b)
{
    static const int sizes[4] = { 1, 2, 4, 8 };
    return edge_value(b, sizes[below(b, 4)]);
}

/* ------------------------------------------------------------- registers */

static void pin(struct bld *b, int reg, uint64_t val)
{
    b->c->gpr[reg] = b->mode == 32 ? (uint32_t)val : val;
    b->pinned |= (uint16_t)(1u << reg);
}

static bool pinned(struct bld *b, int reg) { return (b->pinned >> reg) & 1; }

static int nregs(struct bld *b) { return b->mode == 64 ? 16 : 8; }

/* A register number for an operand (any register; may be pinned). */
static int any_reg(struct bld *b) { return (int)below(b, (uint64_t)nregs(b)); }

/* A register not pinned yet, or -1. */
static int free_reg(struct bld *b, uint16_t also_avoid)
{
    for (int tries = 0; tries < 32; tries++) {
        int r = any_reg(b);
        if (!pinned(b, r) && !((also_avoid >> r) & 1))
            return r;
    }
    return -1;
}

/* The 64-bit register a byte register number names: without REX, 4-7 are
 * AH CH DH BH, the second bytes of RAX RCX RDX RBX. */
static int byte_reg_phys(struct bld *b, int reg, int size)
{
    if (size == 1 && reg >= 4 && reg < 8 && !b->want_rex && !b->rex)
        return reg - 4;
    return reg;
}

/* ------------------------------------------------------------- prefixes */

static void prefix(struct bld *b, uint8_t p)
{
    if (b->npfx < (int)sizeof b->pfx)
        b->pfx[b->npfx++] = p;
}

/* Operand size: 66 for 16 bits, REX.W for 64.  Bytes need no prefix. */
static void opsize(struct bld *b, int size)
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

static int rand_size(struct bld *b, bool bytes)
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

/* Segment prefixes now and then: ignored in 64-bit mode (decoder
 * coverage); in 32-bit code ES SS DS, flat like the default segments (not
 * CS: a write through it raises #GP in 32-bit code, not in 64-bit code). */
static void noise_prefix(struct bld *b)
{
    static const uint8_t segs[4] = { 0x26, 0x36, 0x3e, 0x2e };
    if (chance(b, 4))
        prefix(b, segs[below(b, b->mode == 64 ? 4 : 3)]);
}

/* ---------------------------------------------------------- ModRM forms */

static void op1(struct bld *b, uint8_t o) { b->op[b->nop++] = o; }
static void op2(struct bld *b, uint8_t o) { op1(b, 0x0f); op1(b, o); }

static void modrm_reg(struct bld *b, int reg)
{
    b->has_modrm = true;
    b->reg = (uint8_t)reg;
    if (reg >= 8)
        b->rex |= 4;
}

static void rm_reg(struct bld *b, int reg)
{
    b->has_modrm = true;
    b->mod = 3;
    b->rm = (uint8_t)reg;
    if (reg >= 8)
        b->rex |= 1;
}

/* Where a memory operand of `size` bytes should point. */
static uint64_t mem_target(struct bld *b, int size, bool allow_fault)
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
static void rm_mem_at(struct bld *b, uint64_t t, uint16_t avoid, bool noncanon_ok)
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
static void addrsize_maybe(struct bld *b)
{
    b->addrsize = b->mode == 64 ? 8 : 4;
    if (b->mode == 64 && chance(b, 15)) {
        prefix(b, 0x67);
        b->addrsize = 4;
    }
}

static uint64_t rm_mem(struct bld *b, int size, bool allow_fault)
{
    uint64_t t = mem_target(b, size, allow_fault);
    addrsize_maybe(b);
    rm_mem_at(b, t, 0, allow_fault);
    return t;
}

/* The r/m operand: a register (returned as 0-15) or memory (-1; *ea). */
static int rm_any(struct bld *b, int size, uint64_t *ea)
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
static void patch(struct bld *b, uint64_t t, int size, uint64_t val)
{
    struct diff_case *c = b->c;
    if (t < DIFF_DATA || t + (uint64_t)size > DIFF_DATA + DIFF_DATA_SIZE || c->npatch >= DIFF_MAX_PATCH)
        return;
    c->patch[c->npatch].off = (uint16_t)(t - DIFF_DATA);
    c->patch[c->npatch].len = (uint8_t)size;
    memcpy(c->patch[c->npatch].bytes, &val, (size_t)(size > 8 ? 8 : size));
    c->npatch++;
}

static void imm(struct bld *b, int len, uint64_t v)
{
    b->imm_len = len;
    b->imm = v;
}

/* imm of an operand of `size` (iz: imm32 for 64-bit operands). */
static void imm_z(struct bld *b, int size)
{
    int len = size == 8 ? 4 : size;
    imm(b, len, edge_value(b, len));
}

/* A stack pointer in DIFF_DATA with `room` bytes below and above it;
 * sometimes near an edge, so the push or pop faults. */
static void pin_stack(struct bld *b, int room)
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
static uint64_t code_target(struct bld *b)
{
    if (chance(b, 50))
        return DIFF_INSN_ADDR - 16 - below(b, 0x700);
    return DIFF_INSN_ADDR + 16 + below(b, 0x700);
}

/* ------------------------------------------------------------- templates */

static const uint32_t alu_mask[8] = {
    F_ALL, F_ALL & ~F_AF, F_ALL, F_ALL, F_ALL & ~F_AF, F_ALL, F_ALL & ~F_AF, F_ALL,
};

static void maybe_lock(struct bld *b, bool mem, bool lockable)
{
    if (mem && lockable && chance(b, 10))
        prefix(b, 0xf0);
    else if (chance(b, 1))
        prefix(b, 0xf0);   /* #UD: register destination or not lockable */
}

static void t_alu(struct bld *b)
{
    int op = (int)below(b, 8), size = rand_size(b, true), form = (int)below(b, 4);
    uint64_t ea;
    opsize(b, size);
    b->c->flag_mask = alu_mask[op];
    switch (form) {
    case 0: /* op r/m, reg */
        op1(b, (uint8_t)(op * 8 + (size == 1 ? 0 : 1)));
        modrm_reg(b, any_reg(b));
        maybe_lock(b, rm_any(b, size, &ea) < 0, op != 7);
        break;
    case 1: /* op reg, r/m */
        op1(b, (uint8_t)(op * 8 + (size == 1 ? 2 : 3)));
        modrm_reg(b, any_reg(b));
        rm_any(b, size, &ea);
        break;
    case 2: /* op AL/eAX, imm */
        op1(b, (uint8_t)(op * 8 + (size == 1 ? 4 : 5)));
        imm_z(b, size);
        break;
    default: { /* 80/81/83 /op */
        bool ib = size == 1 || chance(b, 50);
        uint8_t o = size == 1 ? (b->mode == 32 && chance(b, 10) ? 0x82 : 0x80) : ib ? 0x83 : 0x81;
        op1(b, o);
        modrm_reg(b, op);
        maybe_lock(b, rm_any(b, size, &ea) < 0, op != 7);
        if (ib)
            imm(b, 1, edge_value(b, 1));
        else
            imm_z(b, size);
    }
    }
}

static void t_test(struct bld *b)
{
    int size = rand_size(b, true), form = (int)below(b, 3);
    opsize(b, size);
    b->c->flag_mask = F_ALL & ~F_AF;
    if (form == 0) {
        op1(b, size == 1 ? 0x84 : 0x85);
        modrm_reg(b, any_reg(b));
        rm_any(b, size, NULL);
    } else if (form == 1) {
        op1(b, size == 1 ? 0xa8 : 0xa9);
        imm_z(b, size);
    } else {
        op1(b, size == 1 ? 0xf6 : 0xf7);
        modrm_reg(b, chance(b, 10) ? 1 : 0);  /* /1 is an alias of /0 */
        rm_any(b, size, NULL);
        imm_z(b, size);
    }
}

/* INC DEC NOT NEG: FE/FF /0 /1, F6/F7 /2 /3; 40-4F in 32-bit code. */
static void t_unary(struct bld *b)
{
    int size = rand_size(b, true), which = (int)below(b, 4);
    opsize(b, size);
    b->c->flag_mask = F_ALL;
    if (b->mode == 32 && which < 2 && size != 1 && chance(b, 30)) {
        op1(b, (uint8_t)(0x40 + which * 8 + any_reg(b)));
        return;
    }
    if (which < 2) {
        op1(b, size == 1 ? 0xfe : 0xff);
        modrm_reg(b, which);
    } else {
        op1(b, size == 1 ? 0xf6 : 0xf7);
        modrm_reg(b, which);
    }
    maybe_lock(b, rm_any(b, size, NULL) < 0, true);
}

static uint64_t shift_count(struct bld *b, int size)
{
    static const uint8_t edges[] = { 0, 1, 2, 7, 8, 9, 15, 16, 17, 31, 32, 33, 63, 64, 65, 255 };
    (void)size;
    return chance(b, 70) ? edges[below(b, sizeof edges)] : rnd(b) & 0xff;
}

/* ROL ROR RCL RCR SHL SHR SAL(alias) SAR by 1, CL or imm8. */
static void t_shift(struct bld *b)
{
    int size = rand_size(b, true), ext = (int)below(b, 8), form = (int)below(b, 3);
    uint64_t count = 1;
    if (ext == 6 && chance(b, 70))
        ext = 4;
    opsize(b, size);
    if (form == 0) {
        op1(b, size == 1 ? 0xd0 : 0xd1);
    } else if (form == 1) {
        op1(b, size == 1 ? 0xd2 : 0xd3);
        count = shift_count(b, size);
        pin(b, RCX, (rnd(b) & ~0xffull) | count);
    } else {
        op1(b, size == 1 ? 0xc0 : 0xc1);
        count = shift_count(b, size);
        imm(b, 1, count);
    }
    modrm_reg(b, ext);
    rm_any(b, size, NULL);     /* may be CL itself: the count is read first */
    unsigned cnt = (unsigned)(count & (size == 8 ? 63 : 31));
    uint32_t m;
    if (cnt == 0) {
        m = F_ALL;
    } else if (ext < 4) { /* rotates: CF, OF for 1; the rest unaffected */
        m = F_CF | F_PF | F_AF | F_ZF | F_SF | (cnt == 1 ? F_OF : 0);
    } else {
        m = F_PF | F_ZF | F_SF | (cnt == 1 ? F_OF : 0);
        if (ext == 7 || cnt < (unsigned)size * 8)
            m |= F_CF;
    }
    b->c->flag_mask = m;
}

/* SHLD SHRD by imm8 or CL. */
static void t_shxd(struct bld *b)
{
    int size = rand_size(b, false), right = (int)below(b, 2);
    bool by_cl = chance(b, 50);
    uint64_t count = shift_count(b, size);
    unsigned cnt = (unsigned)(count & (size == 8 ? 63 : 31));
    if (size == 2 && cnt > 16) {        /* result undefined: avoid */
        count &= 15;
        cnt = (unsigned)count;
    }
    opsize(b, size);
    op2(b, (uint8_t)(0xa4 + right * 8 + by_cl));
    if (by_cl)
        pin(b, RCX, (rnd(b) & ~0xffull) | count);
    else
        imm(b, 1, count);
    modrm_reg(b, any_reg(b));
    rm_any(b, size, NULL);
    b->c->flag_mask = cnt == 0 ? F_ALL : F_CF | F_PF | F_ZF | F_SF | (cnt == 1 ? F_OF : 0);
}

/* MUL, IMUL one operand (F6/F7 /4 /5); IMUL r, r/m (0F AF); IMUL r, r/m, imm. */
static void t_mul(struct bld *b)
{
    int size = rand_size(b, true), form = (int)below(b, 4);
    if (form >= 2 && size == 1)
        size = 4;
    opsize(b, size);
    b->c->flag_mask = F_CF | F_OF;
    if (form < 2) {
        op1(b, size == 1 ? 0xf6 : 0xf7);
        modrm_reg(b, 4 + form);
        rm_any(b, size, NULL);
    } else if (form == 2) {
        op2(b, 0xaf);
        modrm_reg(b, any_reg(b));
        rm_any(b, size, NULL);
    } else {
        bool ib = chance(b, 50);
        op1(b, ib ? 0x6b : 0x69);
        modrm_reg(b, any_reg(b));
        rm_any(b, size, NULL);
        if (ib)
            imm(b, 1, edge_value(b, 1));
        else
            imm_z(b, size);
    }
}

static uint64_t divisor_value(struct bld *b, int size)
{
    unsigned k = (unsigned)below(b, 10);
    if (k == 0)
        return 0;
    if (k == 1)
        return size_mask(size);  /* -1: IDIV overflow with INT_MIN */
    if (k < 5)
        return 1 + below(b, 20);
    return edge_value(b, size) & size_mask(size);
}

/* DIV IDIV: dividend set so the quotient fits most of the time. */
static void t_div(struct bld *b)
{
    int size = rand_size(b, true), sign = (int)below(b, 2);
    opsize(b, size);
    b->c->flag_mask = 0;
    op1(b, size == 1 ? 0xf6 : 0xf7);
    modrm_reg(b, 6 + sign);
    /* Choose the dividend registers' fate before the operand. */
    uint64_t d = divisor_value(b, size);
    int bits = size * 8;
    unsigned __int128 dividend;
    if (chance(b, 75) && d != 0) {
        if (!sign) {
            uint64_t q = edge_value(b, size) & size_mask(size);
            uint64_t r = rnd(b) % d;
            dividend = (unsigned __int128)q * d + r;
        } else {
            int64_t sd = (int64_t)(d << (64 - bits)) >> (64 - bits);
            int64_t q = (int64_t)(edge_value(b, size) << (64 - bits)) >> (64 - bits);
            uint64_t ad = sd < 0 ? -(uint64_t)sd : (uint64_t)sd;
            int64_t r = (int64_t)(rnd(b) % ad);
            __int128 prod = (__int128)q * sd;
            if (prod < 0 || (prod == 0 && chance(b, 50)))
                r = -r;
            dividend = (unsigned __int128)(prod + r);
        }
    } else {
        dividend = ((unsigned __int128)rnd(b) << 64) | rnd(b);
    }
    uint64_t lo = (uint64_t)dividend, hi = (uint64_t)(dividend >> bits);
    if (bits == 64)
        hi = (uint64_t)(dividend >> 64);
    if (size == 1) {
        pin(b, RAX, (rnd(b) & ~0xffffull) | (uint64_t)(dividend & 0xffff));
    } else {
        uint64_t m = size_mask(size);
        pin(b, RAX, (rnd(b) & ~m) | (lo & m));
        pin(b, RDX, (rnd(b) & ~m) | (hi & m));
    }
    uint64_t ea;
    if (chance(b, 60)) {
        int r = free_reg(b, 0);
        if (r < 0) {
            b->skip = true;
            return;
        }
        if (size == 1 && r >= 4 && r < 8) {
            if (b->mode == 64)
                b->want_rex = true;     /* SPL..DIL, not AH..BH */
            else
                r = RBX;                /* AH..BH: part of the dividend */
        }
        if (size == 1 && r == RAX)
            r = RBX;
        rm_reg(b, r);
        pin(b, r, (rnd(b) & ~size_mask(size)) | d);
    } else {
        ea = rm_mem(b, size, true);
        patch(b, ea, size, d);
    }
}

/* BT BTS BTR BTC with a register offset (reaching far in memory) or imm8. */
static void t_bt(struct bld *b)
{
    int size = rand_size(b, false), which = (int)below(b, 4);
    opsize(b, size);
    b->c->flag_mask = F_CF;
    if (chance(b, 40)) {
        op2(b, 0xba);
        modrm_reg(b, 4 + which);
        maybe_lock(b, rm_any(b, size, NULL) < 0, which != 0);
        imm(b, 1, rnd(b) & 0xff);
        return;
    }
    op2(b, (uint8_t)(0xa3 + which * 8));
    int offreg = any_reg(b);
    if (chance(b, 50)) {
        modrm_reg(b, offreg);
        int r = any_reg(b);
        rm_reg(b, r);
        return;
    }
    /* Memory: the offset is signed and selects any bit near the operand. */
    if (offreg == RSP)
        offreg = RBX;
    addrsize_maybe(b);
    uint64_t t = DIFF_DATA + 0x800 + below(b, 0x1000 - (unsigned)size);
    int64_t lo = (int64_t)DIFF_RO - (int64_t)t, hi = (int64_t)(DIFF_GUARD + DIFF_PAGE) - (int64_t)t - size;
    if (!chance(b, 10)) /* mostly inside the data pages */
        lo = (int64_t)DIFF_DATA - (int64_t)t, hi = (int64_t)(DIFF_DATA + DIFF_DATA_SIZE) - (int64_t)t - size;
    int64_t bytes = lo + (int64_t)below(b, (uint64_t)(hi - lo));
    int64_t bitoff = bytes * 8 + (int64_t)below(b, 8);
    int64_t lim = size == 2 ? 32767 : INT32_MAX;
    if (bitoff > lim || bitoff < -lim - 1)
        bitoff = (int64_t)below(b, 256) - 128;
    pin(b, offreg, (rnd(b) & ~size_mask(size)) | ((uint64_t)bitoff & size_mask(size)));
    modrm_reg(b, offreg);
    rm_mem_at(b, t, 0, false);
    maybe_lock(b, true, which != 0);
}

/* BSF BSR (ZF only; destination undefined for a zero source), TZCNT LZCNT
 * POPCNT. */
static void t_bitscan(struct bld *b)
{
    int size = rand_size(b, false), which = (int)below(b, 5);
    if ((which == 2 && !(b->g->host & DIFF_HOST_BMI1)) || (which == 3 && !(b->g->host & DIFF_HOST_LZCNT)) ||
        (which == 4 && !(b->g->host & DIFF_HOST_POPCNT))) {
        b->skip = true;
        return;
    }
    static const uint8_t opc[5] = { 0xbc, 0xbd, 0xbc, 0xbd, 0xb8 };
    static const uint32_t masks[5] = { F_ZF, F_ZF, F_CF | F_ZF, F_CF | F_ZF, F_ALL };
    if (which >= 2)
        prefix(b, 0xf3);
    opsize(b, size);
    op2(b, opc[which]);
    b->c->flag_mask = masks[which];
    int dst = any_reg(b);
    modrm_reg(b, dst);
    bool zero = chance(b, 20);
    uint64_t src = zero ? 0 : edge_value(b, size) & size_mask(size);
    if (chance(b, 50)) {
        int r = free_reg(b, 0);
        if (r < 0) {
            b->skip = true;
            return;
        }
        rm_reg(b, r);
        pin(b, r, (rnd(b) & ~size_mask(size)) | src);
        if (r == dst)
            src = b->c->gpr[r] & size_mask(size);
    } else {
        uint64_t ea = rm_mem(b, size, true);
        patch(b, ea, size, src);
    }
    if (which < 2)
        b->c->gpr_ignore |= (uint16_t)(1u << dst);  /* if the source is 0 */
    if (which < 2 && src != 0 && !zero)
        b->c->gpr_ignore = 0;
}

static void t_bswap(struct bld *b)
{
    int size = chance(b, 50) || b->mode == 32 ? 4 : 8;
    opsize(b, size);
    int r = any_reg(b);
    if (r >= 8)
        b->rex |= 1;
    op2(b, (uint8_t)(0xc8 + (r & 7)));
    b->c->flag_mask = F_ALL;
}

/* MOVZX MOVSX (0F B6 B7 BE BF), MOVSXD (63, 64-bit only). */
static void t_movx(struct bld *b)
{
    int k = (int)below(b, 5);
    b->c->flag_mask = F_ALL;
    if (k == 4) {
        if (b->mode != 64) {
            b->skip = true;
            return;
        }
        int size = chance(b, 80) ? 8 : 4;
        opsize(b, size);
        op1(b, 0x63);
        modrm_reg(b, any_reg(b));
        rm_any(b, 4, NULL);
        return;
    }
    int src = (k & 1) ? 2 : 1, size = rand_size(b, false);
    opsize(b, size);
    op2(b, (uint8_t)(0xb6 + (k & 1) + (k & 2) * 4));
    modrm_reg(b, any_reg(b));
    rm_any(b, src, NULL);
}

static void t_cmov(struct bld *b)
{
    int size = rand_size(b, false);
    opsize(b, size);
    op2(b, (uint8_t)(0x40 + below(b, 16)));
    modrm_reg(b, any_reg(b));
    rm_any(b, size, NULL);
    b->c->flag_mask = F_ALL;
}

static void t_setcc(struct bld *b)
{
    if (b->mode == 64 && chance(b, 20))
        b->want_rex = true;
    op2(b, (uint8_t)(0x90 + below(b, 16)));
    modrm_reg(b, (int)below(b, 8));     /* reg field ignored */
    rm_any(b, 1, NULL);
    b->c->flag_mask = F_ALL;
}

/* XCHG (86/87, 90+r), XADD, CMPXCHG. */
static void t_xchg(struct bld *b)
{
    int size = rand_size(b, true), k = (int)below(b, 4);
    opsize(b, size);
    b->c->flag_mask = F_ALL;
    if (k == 0 && size != 1) {
        int r = any_reg(b);
        if (r >= 8)
            b->rex |= 1;
        op1(b, (uint8_t)(0x90 + (r & 7)));
        return;
    }
    if (k <= 1)
        op1(b, size == 1 ? 0x86 : 0x87);
    else if (k == 2)
        op2(b, size == 1 ? 0xc0 : 0xc1);
    else
        op2(b, size == 1 ? 0xb0 : 0xb1);
    modrm_reg(b, any_reg(b));
    /* CMPXCHG: often make the compare succeed.  The accumulator is pinned
     * before the operand so that it is not the memory operand's base. */
    bool equal = k == 3 && chance(b, 50);
    uint64_t v = edge_value(b, size);
    if (equal)
        pin(b, RAX, v);
    uint64_t ea = 0;
    int r = rm_any(b, size, &ea);
    maybe_lock(b, r < 0, true);
    if (equal && r < 0)
        patch(b, ea, size, v);
    if (equal && r >= 0 && byte_reg_phys(b, r, size) != RAX) {
        int phys = byte_reg_phys(b, r, size);
        uint64_t rv = b->c->gpr[phys] >> (phys != r ? 8 : 0);
        pin(b, RAX, (v & ~size_mask(size)) | (rv & size_mask(size)));
    }
}

/* CMPXCHG8B / CMPXCHG16B (REX.W): memory only; 16B needs 16-byte alignment. */
static void t_cmpxchg8b(struct bld *b)
{
    bool wide = b->mode == 64 && chance(b, 40);
    if (wide && !(b->g->host & DIFF_HOST_CX16)) {
        b->skip = true;
        return;
    }
    int size = wide ? 16 : 8;
    if (wide)
        b->rex |= 8;
    op2(b, 0xc7);
    modrm_reg(b, 1);
    b->c->flag_mask = F_ALL;
    if (chance(b, 3)) {
        rm_reg(b, any_reg(b));          /* #UD */
        return;
    }
    uint64_t t = mem_target(b, size, true);
    if (chance(b, 80))
        t &= ~(uint64_t)(size - 1);
    addrsize_maybe(b);
    /* Misaligned and non-canonical at once: #GP or #SS is a matter of
     * priority the manuals do not settle; do not ask. */
    rm_mem_at(b, t, (1u << RAX) | (1u << RDX) | (1u << RBX) | (1u << RCX), !wide || !(t & 15));
    maybe_lock(b, true, true);
    uint64_t lo = rnd(b), hi = rnd(b);
    if (chance(b, 50)) {
        if (wide) {
            patch(b, t, 8, lo);
            patch(b, t + 8, 8, hi);
        } else {
            patch(b, t, 8, lo);
        }
    }
    if (wide) {
        pin(b, RAX, lo);
        pin(b, RDX, hi);
    } else {
        pin(b, RAX, (rnd(b) & ~0xffffffffull) | (uint32_t)lo);
        pin(b, RDX, (rnd(b) & ~0xffffffffull) | (lo >> 32));
    }
}

/* LEA with every addressing form and arbitrary register values. */
static void t_lea(struct bld *b)
{
    int size = rand_size(b, false);
    opsize(b, size);
    op1(b, 0x8d);
    modrm_reg(b, any_reg(b));
    addrsize_maybe(b);
    uint64_t t = chance(b, 50) ? rnd(b) : DIFF_DATA + below(b, DIFF_DATA_SIZE);
    if (b->addrsize == 4)
        t &= 0xffffffffull;
    rm_mem_at(b, t, 0, false);
    b->c->flag_mask = F_ALL;
    if (chance(b, 3)) {  /* LEA with a register operand: #UD */
        b->has_sib = false, b->rip_rel = false, b->disp_len = 0;
        rm_reg(b, any_reg(b));
    }
}

/* MOV in all its integer forms. */
static void t_mov(struct bld *b)
{
    int size = rand_size(b, true), form = (int)below(b, 6);
    opsize(b, size);
    b->c->flag_mask = F_ALL;
    switch (form) {
    case 0: case 1:
        op1(b, (uint8_t)(0x88 + form * 2 + (size != 1)));
        modrm_reg(b, any_reg(b));
        rm_any(b, size, NULL);
        break;
    case 2:
        op1(b, size == 1 ? 0xc6 : 0xc7);
        modrm_reg(b, 0);
        rm_any(b, size, NULL);
        imm_z(b, size);
        break;
    case 3: case 4: {
        int r = any_reg(b);
        if (r >= 8)
            b->rex |= 1;
        op1(b, (uint8_t)((size == 1 ? 0xb0 : 0xb8) + (r & 7)));
        imm(b, size, edge_value(b, size));
        break;
    }
    default: { /* moffs: A0-A3 */
        op1(b, (uint8_t)(0xa0 + (chance(b, 50) ? 2 : 0) + (size != 1)));
        addrsize_maybe(b);
        uint64_t t = mem_target(b, size, true);
        b->disp = (int64_t)t;
        b->disp_len = b->addrsize;
        break;
    }
    }
}

/* PUSH POP: registers, imm, r/m. */
static void t_pushpop(struct bld *b)
{
    int k = (int)below(b, 6);
    int size = b->mode == 64 ? 8 : 4;
    if (chance(b, 10))
        size = 2;
    if (size == 2)
        prefix(b, 0x66);
    if (b->mode == 64 && chance(b, 10))
        b->rex |= 8;    /* REX.W: still 64 */
    if (b->mode == 64 && size == 2 && chance(b, 50))
        b->rex &= ~8;
    pin_stack(b, 32);
    b->c->flag_mask = F_ALL;
    int r = any_reg(b);
    switch (k) {
    case 0: case 1:
        if (r >= 8)
            b->rex |= 1;
        op1(b, (uint8_t)(0x50 + k * 8 + (r & 7)));
        break;
    case 2:
        op1(b, 0x6a);
        imm(b, 1, rnd(b) & 0xff);
        break;
    case 3:
        op1(b, 0x68);
        imm(b, size == 2 && !(b->rex & 8) ? 2 : 4, edge_value(b, 4));
        break;
    case 4: case 5: {
        op1(b, k == 4 ? 0xff : 0x8f);
        modrm_reg(b, k == 4 ? 6 : 0);
        if (chance(b, 40)) {
            rm_reg(b, r);
        } else {
            uint64_t t = mem_target(b, size, true);
            addrsize_maybe(b);
            rm_mem_at(b, t, 1u << RSP, true);
        }
        break;
    }
    }
}

static void t_misc(struct bld *b)
{
    /* CBW family, CWD family, LAHF, SAHF, CLC STC CMC CLD STD, NOP, PAUSE. */
    static const uint8_t ops[] = { 0x98, 0x99, 0x9f, 0x9e, 0xf8, 0xf9, 0xf5, 0xfc, 0xfd, 0x90 };
    int k = (int)below(b, sizeof ops + 2);
    b->c->flag_mask = F_ALL;
    if (k == sizeof ops) {              /* multi-byte NOP 0F 1F /0 */
        opsize(b, rand_size(b, false));
        op2(b, 0x1f);
        modrm_reg(b, 0);
        addrsize_maybe(b);
        rm_mem_at(b, rnd(b) & (b->addrsize == 4 ? 0xffffffffull : ~0ull), 0, false);
        return;
    }
    if (k == sizeof ops + 1) {          /* PAUSE */
        prefix(b, 0xf3);
        op1(b, 0x90);
        return;
    }
    /* LAHF SAHF in 64-bit code (the host's, for ADDR32) need CPUID LAHF64. */
    if ((ops[k] == 0x9f || ops[k] == 0x9e) && (b->mode == 64 || b->addr32) && !(b->g->host & DIFF_HOST_LAHF64)) {
        b->skip = true;
        return;
    }
    if (ops[k] == 0x98 || ops[k] == 0x99)
        opsize(b, rand_size(b, false));
    op1(b, ops[k]);
}

/* MOVS CMPS STOS LODS SCAS, with and without REP, short counts. */
static void t_string(struct bld *b)
{
    int k = (int)below(b, 5), size = rand_size(b, true);
    static const uint8_t base_op[5] = { 0xa4, 0xa6, 0xaa, 0xac, 0xae };
    bool cmp = k == 1 || k == 4;
    opsize(b, size);
    b->c->flag_mask = F_ALL;
    int rep = (int)below(b, 3);     /* 0 none, 1 F3, 2 F2 (compares only) */
    if (rep == 2 && !cmp)
        rep = 1;
    if (rep)
        prefix(b, rep == 1 ? 0xf3 : 0xf2);
    addrsize_maybe(b);
    b->implicit_addr = true;
    op1(b, (uint8_t)(base_op[k] + (size != 1)));
    if (chance(b, 10)) {
        static const uint8_t segs[4] = { 0x26, 0x2e, 0x36, 0x3e };
        prefix(b, segs[below(b, 4)]);
    }
    uint64_t count = chance(b, 80) ? below(b, 9) : below(b, 40);
    int span = (int)count * size + 16;
    uint64_t upper = b->addrsize == 4 && b->mode == 64 ? rnd(b) << 32 : 0;
    pin(b, RCX, rep ? (upper | count) : rnd(b));
    for (int i = 0; i < 2; i++) {
        uint64_t p;
        if (chance(b, 8))
            p = DIFF_GUARD - below(b, (uint64_t)span);     /* runs into the guard */
        else if (chance(b, 5))
            p = DIFF_DATA + below(b, (uint64_t)span);      /* DF=1: into the read-only page */
        else
            p = DIFF_DATA + (uint64_t)span + below(b, DIFF_DATA_SIZE - 2 * (uint64_t)span);
        if (chance(b, 60))
            p &= ~(uint64_t)(size - 1);
        pin(b, i ? RDI : RSI, p | upper);
    }
    if (cmp && chance(b, 40)) {
        /* Make source and destination mostly equal so REPE runs on. */
        uint64_t s = b->c->gpr[RSI] & 0xffffffff, d = b->c->gpr[RDI] & 0xffffffff;
        if (k == 1 && s >= DIFF_DATA && d >= DIFF_DATA && s + 16 <= DIFF_DATA + DIFF_DATA_SIZE &&
            d + 16 <= DIFF_DATA + DIFF_DATA_SIZE) {
            uint64_t v = rnd(b);
            patch(b, s, 8, v);
            patch(b, d, 8, v);
        }
        if (k == 4)
            b->c->gpr[RAX] = 0;
    }
}

static void t_movbe(struct bld *b)
{
    if (!(b->g->host & DIFF_HOST_MOVBE)) {
        b->skip = true;
        return;
    }
    int size = rand_size(b, false);
    opsize(b, size);
    op1(b, 0x0f);
    op1(b, 0x38);
    op1(b, (uint8_t)(0xf0 + below(b, 2)));
    modrm_reg(b, any_reg(b));
    b->c->flag_mask = F_ALL;
    if (chance(b, 3))
        rm_reg(b, any_reg(b));          /* #UD */
    else
        rm_mem(b, size, true);
}

static void t_enter_leave(struct bld *b)
{
    b->c->flag_mask = F_ALL;
    int size = b->mode == 64 ? 8 : 4;
    if (chance(b, 10)) {
        size = 2;
        prefix(b, 0x66);
    }
    pin_stack(b, 0x400);
    uint64_t sp = b->c->gpr[RSP];
    if (chance(b, 40)) {
        op1(b, 0xc9);   /* LEAVE: RSP <- RBP, pop RBP */
        pin(b, RBP, sp + below(b, 64) * (uint64_t)size);
        return;
    }
    op1(b, 0xc8);
    uint64_t frame = chance(b, 50) ? below(b, 64) : below(b, 0x300);
    uint64_t level = chance(b, 50) ? 0 : chance(b, 60) ? 1 + below(b, 3) : rnd(b) & 0xff;
    b->imm_len = 3;
    b->imm = frame | (level << 16);
    pin(b, RBP, sp + (below(b, 0x100) & ~(uint64_t)(size - 1)));
}

/* Jcc JMP CALL RET JCXZ LOOP, relative and indirect, inside the code page. */
static void t_branch(struct bld *b)
{
    int k = (int)below(b, 9);
    b->c->flag_mask = F_ALL;
    if (b->addr32 && (k == 3 || k == 4 || k == 8)) {    /* the stack: see the top */
        b->skip = true;
        return;
    }
    int ptr = b->mode == 64 ? 8 : 4;
    switch (k) {
    case 0: /* Jcc rel8 */
        op1(b, (uint8_t)(0x70 + below(b, 16)));
        b->rel_len = 1;
        break;
    case 1: /* Jcc rel32 */
        op2(b, (uint8_t)(0x80 + below(b, 16)));
        b->rel_len = 4;
        break;
    case 2: /* JMP rel8 / rel32 */
        if (chance(b, 50)) {
            op1(b, 0xeb);
            b->rel_len = 1;
        } else {
            op1(b, 0xe9);
            b->rel_len = 4;
        }
        break;
    case 3: /* CALL rel32 */
        pin_stack(b, 32);
        op1(b, 0xe8);
        b->rel_len = 4;
        break;
    case 4: { /* RET, RET imm16 */
        pin_stack(b, 32);
        uint64_t sp = b->c->gpr[RSP];
        patch(b, sp, ptr, code_target(b));
        if (chance(b, 30)) {
            op1(b, 0xc2);
            imm(b, 2, chance(b, 50) ? below(b, 64) : rnd(b) & 0xffff);
        } else {
            op1(b, 0xc3);
        }
        break;
    }
    case 5: /* JCXZ / JECXZ / JRCXZ */
    case 6: /* LOOP LOOPE LOOPNE */
        addrsize_maybe(b);
        b->implicit_addr = true;    /* ECX in 32-bit code: 0x67 in 64-bit code */
        op1(b, k == 5 ? 0xe3 : (uint8_t)(0xe0 + below(b, 3)));
        pin(b, RCX, (rnd(b) & ~0xffffffffull) | (chance(b, 30) ? below(b, 3) : chance(b, 50) ? 0x100000000ull : rnd(b)));
        if (chance(b, 50))
            b->c->gpr[RCX] = chance(b, 50) ? 0 : 1;
        b->rel_len = 1;
        break;
    default: { /* JMP / CALL indirect through a register or memory */
        bool call = k == 8;
        if (call)
            pin_stack(b, 32);
        if (b->mode == 64 && chance(b, 10))
            b->rex |= 8;
        op1(b, 0xff);
        modrm_reg(b, call ? 2 : 4);
        uint64_t target = code_target(b);
        if (chance(b, 50) || b->addr32) {   /* ADDR32: the pointer is 8 bytes natively */
            int r = free_reg(b, 0);
            if (r < 0) {
                b->skip = true;
                return;
            }
            rm_reg(b, r);
            pin(b, r, target);
        } else {
            /* A CALL whose pointer is unreadable as a target (read-only
             * page, non-canonical) and whose push faults too: Intel's
             * pseudo-code checks the target first, AMD pushes first.  Keep
             * CALL's pointer in the data pages, where it is patched. */
            uint64_t t = mem_target(b, ptr, !call);
            addrsize_maybe(b);
            rm_mem_at(b, t, 0, !call);
            patch(b, t, ptr, target);
        }
    }
    }
}

static void t_xlat(struct bld *b)
{
    addrsize_maybe(b);
    b->implicit_addr = true;
    op1(b, 0xd7);
    uint64_t t = DIFF_DATA + below(b, DIFF_DATA_SIZE);
    uint64_t al = rnd(b) & 0xff;
    pin(b, RAX, (rnd(b) & ~0xffull) | al);
    pin(b, RBX, t - al);
    b->c->flag_mask = F_ALL;
}

/* #UD: UD2, and opcodes invalid in 64-bit mode. */
static void t_invalid(struct bld *b)
{
    static const uint8_t inv64[] = { 0x06, 0x07, 0x0e, 0x16, 0x17, 0x1e, 0x1f, 0x27, 0x2f,
                                     0x37, 0x3f, 0x60, 0x61, 0xce, 0xd4, 0xd5, 0xd6 };
    b->c->flag_mask = F_ALL;
    if (b->mode == 64 && chance(b, 70)) {
        op1(b, inv64[below(b, sizeof inv64)]);
        if (b->op[0] == 0xd4 || b->op[0] == 0xd5)
            imm(b, 1, 10);
        return;
    }
    op2(b, 0x0b);
}

/* 32-bit only: DAA DAS AAA AAS AAM AAD SALC, PUSHA POPA. */
static void t_legacy32(struct bld *b)
{
    if (b->mode != 32) {
        b->skip = true;
        return;
    }
    static const uint8_t ops[] = { 0x27, 0x2f, 0x37, 0x3f, 0xd4, 0xd5, 0xd6, 0x60, 0x61 };
    static const uint32_t masks[] = { F_CF | F_AF | F_SF | F_ZF | F_PF, F_CF | F_AF | F_SF | F_ZF | F_PF,
                                      F_AF | F_CF, F_AF | F_CF, F_SF | F_ZF | F_PF, F_SF | F_ZF | F_PF,
                                      F_ALL, F_ALL, F_ALL };
    int k = (int)below(b, sizeof ops);
    op1(b, ops[k]);
    b->c->flag_mask = masks[k];
    if (ops[k] == 0xd4 || ops[k] == 0xd5)
        imm(b, 1, chance(b, 50) ? 10 : rnd(b) & 0xff);
    if (ops[k] == 0x60 || ops[k] == 0x61) {
        if (chance(b, 15))
            prefix(b, 0x66);
        pin_stack(b, 64);
    }
}

/* Where a template can run: 64-bit code, 32-bit code run natively by the
 * host (DIFF_ORACLE_SAME), 32-bit code whose oracle is its 64-bit
 * equivalent (DIFF_ORACLE_ADDR32). */
#define M64 1u
#define M32 2u
#define M32X 4u
#define MALL (M64 | M32 | M32X)

struct tmpl {
    const char *name;
    void (*fn)(struct bld *b);
    unsigned weight;
    unsigned modes;
    uint32_t needs;     /* DIFF_HOST_* without which it makes nothing */
};

static const struct tmpl tmpls[] = {
    { "alu",       t_alu,           14, MALL,      0 },
    { "test",      t_test,           3, MALL,      0 },
    { "unary",     t_unary,          5, MALL,      0 },
    { "shift",     t_shift,         10, MALL,      0 },
    { "shxd",      t_shxd,           4, MALL,      0 },
    { "mul",       t_mul,            5, MALL,      0 },
    { "div",       t_div,            5, MALL,      0 },
    { "bt",        t_bt,             5, MALL,      0 },
    { "bitscan",   t_bitscan,        4, MALL,      0 },
    { "bswap",     t_bswap,          1, MALL,      0 },
    { "movx",      t_movx,           3, MALL,      0 },
    { "cmov",      t_cmov,           3, MALL,      0 },
    { "setcc",     t_setcc,          2, MALL,      0 },
    { "xchg",      t_xchg,           5, MALL,      0 },
    { "cmpxchg8b", t_cmpxchg8b,      2, MALL,      0 },
    { "lea",       t_lea,            4, MALL,      0 },
    { "mov",       t_mov,            5, MALL,      0 },
    { "pushpop",   t_pushpop,        4, M64 | M32, 0 },
    { "misc",      t_misc,           3, MALL,      0 },
    { "string",    t_string,         6, MALL,      0 },
    { "movbe",     t_movbe,          1, MALL,      DIFF_HOST_MOVBE },
    { "enter",     t_enter_leave,    2, M64 | M32, 0 },
    { "branch",    t_branch,         6, MALL,      0 },
    { "xlat",      t_xlat,           1, MALL,      0 },
    { "invalid",   t_invalid,        1, MALL,      0 },
    { "legacy32",  t_legacy32,       2, M32,       0 },
};
#define NTMPL ((int)(sizeof tmpls / sizeof tmpls[0]))

int gen_tmpl_count(void) { return NTMPL; }
const char *gen_tmpl_name(int t) { return t >= 0 && t < NTMPL ? tmpls[t].name : "?"; }
int gen_tmpl_find(const char *name)
{
    for (int i = 0; i < NTMPL; i++)
        if (!strcmp(tmpls[i].name, name))
            return i;
    return -1;
}

static unsigned mode_bit(const struct gen *g, int mode)
{
    return mode == 64 ? M64 : g->oracle32 == DIFF_ORACLE_ADDR32 ? M32X : M32;
}

bool gen_tmpl_available(const struct gen *g, int tmpl, int mode)
{
    return tmpl >= 0 && tmpl < NTMPL && (tmpls[tmpl].modes & mode_bit(g, mode)) &&
           (g->host & tmpls[tmpl].needs) == tmpls[tmpl].needs;
}

/* ------------------------------------------------------------- assembly */

/* Encode b into p: the instruction glass runs, or (native, for a case with
 * b->addr32) its 64-bit equivalent for the host, as the comment at the top
 * explains.  The length, or -1 if over 15 bytes; *disp_at and *rel_at:
 * where the displacement and the branch displacement go. */
static int encode(const struct bld *b, uint8_t *p, bool native, int *disp_at, int *rel_at)
{
    bool x = native && b->addr32;
    uint8_t op[3];
    int nop = b->nop;
    memcpy(op, b->op, sizeof op);
    bool has_modrm = b->has_modrm, has_sib = b->has_sib;
    uint8_t mod = b->mod, reg = b->reg, rm = b->rm, scale = b->scale, index = b->index, base = b->base;
    int n = 0;
    if (x && ((has_modrm && mod != 3) || (!has_modrm && b->disp_len) || b->implicit_addr))
        p[n++] = 0x67;  /* first: mandatory prefixes (F3 0F B8) stay next to the opcode */
    for (int i = 0; i < b->npfx; i++)
        p[n++] = b->pfx[i];
    if (x) {
        if (nop == 1 && op[0] >= 0x40 && op[0] <= 0x4f) {     /* INC/DEC r32: FF /0, FF /1 */
            has_modrm = true;
            mod = 3, reg = (op[0] >> 3) & 1, rm = op[0] & 7;
            op[0] = 0xff;
        } else if (nop == 1 && op[0] == 0x82) {
            op[0] = 0x80;
        }
        if (has_modrm && mod == 0 && rm == 5 && !has_sib) {  /* [disp32] without RIP */
            rm = 4, has_sib = true;
            base = 5, index = 4, scale = 1;
        }
    }
    if (b->mode == 64 && (b->rex || b->want_rex))
        p[n++] = (uint8_t)(0x40 | b->rex);
    for (int i = 0; i < nop; i++)
        p[n++] = op[i];
    if (has_modrm) {
        p[n++] = (uint8_t)(mod << 6 | (reg & 7) << 3 | (rm & 7));
        if (has_sib && mod != 3) {
            int ss = scale == 8 ? 3 : scale == 4 ? 2 : scale == 2 ? 1 : 0;
            p[n++] = (uint8_t)(ss << 6 | (index & 7) << 3 | (base & 7));
        }
    }
    *disp_at = n;
    if (!has_modrm || mod != 3)     /* ModRM displacement, or moffs */
        for (int i = 0; i < b->disp_len; i++)
            p[n++] = (uint8_t)((uint64_t)b->disp >> (8 * i));
    for (int i = 0; i < b->imm_len; i++)
        p[n++] = (uint8_t)(b->imm >> (8 * i));
    *rel_at = n;
    n += b->rel_len;
    return n > 15 ? -1 : n;
}

/* Both encodings of the case, with the RIP-relative and branch
 * displacements filled in.  -1 if either is too long. */
static int assemble(struct bld *b)
{
    struct diff_case *c = b->c;
    int disp_at, rel_at;
    int n = encode(b, c->insn, false, &disp_at, &rel_at);
    if (n < 0)
        return -1;
    uint8_t *p = c->insn;
    uint64_t next = DIFF_INSN_ADDR + (uint64_t)n;
    if (b->rip_rel) {
        int64_t d = (int64_t)(b->rip_target - next);
        for (int i = 0; i < 4; i++)
            p[disp_at + i] = (uint8_t)((uint64_t)d >> (8 * i));
    }
    if (b->rel_len) {
        /* Targets stay 16 bytes or more away from the instruction, so
         * that RIP after it never looks like a fault's (compare.c). */
        uint64_t target = code_target(b);
        if (b->rel_len == 1)
            target = chance(b, 50) ? next + below(b, 128) : next - 16 - below(b, 112);
        int64_t d = (int64_t)(target - next);
        for (int i = 0; i < b->rel_len; i++)
            p[rel_at + i] = (uint8_t)((uint64_t)d >> (8 * i));
    }
    c->len = (uint8_t)n;
    if (!b->addr32) {
        c->oracle = DIFF_ORACLE_SAME;
        c->nmode = c->mode;
        c->nlen = c->len;
        memcpy(c->ninsn, c->insn, sizeof c->ninsn);
        return n;
    }
    int ndisp_at, nrel_at;
    int nn = encode(b, c->ninsn, true, &ndisp_at, &nrel_at);
    if (nn < 0)
        return -1;
    memcpy(c->ninsn + nrel_at, p + rel_at, (size_t)b->rel_len);     /* the same displacement */
    c->oracle = DIFF_ORACLE_ADDR32;
    c->nmode = 64;
    c->nlen = (uint8_t)nn;
    return n;
}

void gen_init(struct gen *g, uint64_t seed, uint32_t host_features)
{
    memset(g, 0, sizeof *g);
    g->rng = seed;
    g->host = host_features;
    g->only_tmpl = -1;
    g->oracle32 = (host_features & DIFF_HOST_COMPAT32) ? DIFF_ORACLE_SAME : DIFF_ORACLE_ADDR32;
}

static int pick_template(struct gen *g, int mode)
{
    unsigned total = 0;
    for (int i = 0; i < NTMPL; i++)
        total += gen_tmpl_available(g, i, mode) ? tmpls[i].weight : 0;
    unsigned x = (unsigned)(diff_rand_next(&g->rng) % total);
    for (int i = 0; i < NTMPL; i++) {
        unsigned w = gen_tmpl_available(g, i, mode) ? tmpls[i].weight : 0;
        if (x < w)
            return i;
        x -= w;
    }
    return 0;
}

/* 64-bit and 32-bit cases alternate, unless only_mode says; a template that
 * cannot run in one of them gets only the other. */
static int pick_mode(struct gen *g)
{
    if (g->only_mode)
        return g->only_mode;
    int mode = (g->ncases & 1) ? 32 : 64;
    if (g->only_tmpl >= 0 && !gen_tmpl_available(g, g->only_tmpl, mode))
        mode = 96 - mode;
    return mode;
}

void gen_case(struct gen *g, struct diff_case *c)
{
    int mode = pick_mode(g);
    g->ncases++;
    for (;;) {
        struct bld b = { .g = g, .c = c, .mode = mode };
        memset(c, 0, sizeof *c);
        b.addrsize = b.mode == 64 ? 8 : 4;
        b.addr32 = b.mode == 32 && g->oracle32 == DIFF_ORACLE_ADDR32;
        c->mode = (uint8_t)b.mode;
        for (int i = 0; i < 16; i++)
            c->gpr[i] = b.mode == 32 ? (i < 8 ? (uint32_t)rand_reg_value(&b) : 0) : rand_reg_value(&b);
        c->rflags = 0x2 | (rnd(&b) & F_ALL) | (chance(&b, 20) ? F_DF : 0);
        c->data_seed = rnd(&b);
        int t = g->only_tmpl >= 0 ? g->only_tmpl : pick_template(g, b.mode);
        c->tmpl = (uint16_t)t;
        noise_prefix(&b);
        tmpls[t].fn(&b);
        if (b.skip || assemble(&b) < 0)
            continue;
        return;
    }
}
