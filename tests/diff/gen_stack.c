/* Generator templates (gen_internal.h): the stack.  pushpop (PUSH POP of
 * registers, immediates and r/m) and enter (ENTER LEAVE), with the stack
 * pointer sometimes at the edge of the data pages.  64-bit cases and direct
 * 32-bit ones only: the stack width depends on the mode (gen.c). */
#include "tests/diff/gen_internal.h"

/* PUSH POP: registers, imm, r/m. */
void t_pushpop(struct bld *b)
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

void t_enter_leave(struct bld *b)
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
