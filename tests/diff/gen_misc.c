/* Generator templates (gen_internal.h): misc (CBW/CWD families, LAHF SAHF,
 * CLC STC CMC CLD STD, NOPs, PAUSE), invalid (UD2 and the opcodes 64-bit
 * code does not have) and legacy32 (DAA DAS AAA AAS AAM AAD SALC PUSHA POPA,
 * 32-bit cases with the direct oracle only). */
#include "tests/diff/gen_internal.h"

void t_misc(struct bld *b)
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

/* #UD: UD2, and opcodes invalid in 64-bit mode. */
void t_invalid(struct bld *b)
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
void t_legacy32(struct bld *b)
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
