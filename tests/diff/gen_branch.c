/* Generator template (gen_internal.h): branch (Jcc JMP CALL RET JCXZ LOOP,
 * relative and indirect), with targets inside the code page. */
#include "tests/diff/gen_internal.h"

/* Jcc JMP CALL RET JCXZ LOOP, relative and indirect, inside the code page. */
void t_branch(struct bld *b)
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
