/* Generator template (gen_internal.h): string (MOVS CMPS STOS LODS SCAS,
 * with and without REP, short counts, pointers sometimes running into the
 * guard or the read-only page). */
#include "tests/diff/gen_internal.h"

/* MOVS CMPS STOS LODS SCAS, with and without REP, short counts. */
void t_string(struct bld *b)
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
