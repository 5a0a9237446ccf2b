/* Generator templates (gen_internal.h): shift (ROL ROR RCL RCR SHL SHR SAL
 * SAR by 1, CL or imm8) and shxd (SHLD SHRD), with counts at the edges of
 * the masking and the operand width. */
#include "tests/diff/gen_internal.h"

static uint64_t shift_count(struct bld *b, int size)
{
    static const uint8_t edges[] = { 0, 1, 2, 7, 8, 9, 15, 16, 17, 31, 32, 33, 63, 64, 65, 255 };
    (void)size;
    return chance(b, 70) ? edges[below(b, sizeof edges)] : rnd(b) & 0xff;
}

/* ROL ROR RCL RCR SHL SHR SAL(alias) SAR by 1, CL or imm8. */
void t_shift(struct bld *b)
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
void t_shxd(struct bld *b)
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
