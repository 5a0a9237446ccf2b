/* Generator templates (gen_internal.h): bt (BT BTS BTR BTC, with register
 * offsets that reach around the memory operand) and bitscan (BSF BSR TZCNT
 * LZCNT POPCNT). */
#include "tests/diff/gen_internal.h"

/* BT BTS BTR BTC with a register offset (reaching far in memory) or imm8. */
void t_bt(struct bld *b)
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
void t_bitscan(struct bld *b)
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
