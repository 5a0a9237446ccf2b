/* Generator templates (gen_internal.h): arithmetic and logic.  alu (ADD OR
 * ADC SBB AND SUB XOR CMP in all four forms), test, unary (INC DEC NOT NEG),
 * mul (MUL and the three IMULs), div (DIV IDIV, mostly with a quotient that
 * fits). */
#include "tests/diff/gen_internal.h"

static const uint32_t alu_mask[8] = {
    F_ALL, F_ALL & ~F_AF, F_ALL, F_ALL, F_ALL & ~F_AF, F_ALL, F_ALL & ~F_AF, F_ALL,
};

void t_alu(struct bld *b)
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

void t_test(struct bld *b)
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
void t_unary(struct bld *b)
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

/* MUL, IMUL one operand (F6/F7 /4 /5); IMUL r, r/m (0F AF); IMUL r, r/m, imm. */
void t_mul(struct bld *b)
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
void t_div(struct bld *b)
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
