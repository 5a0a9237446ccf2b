/* Generator templates (gen_internal.h): moving and exchanging data.
 * bswap, movx (MOVZX MOVSX MOVSXD), cmov, setcc, xchg (XCHG XADD CMPXCHG),
 * cmpxchg8b (and 16B), lea, mov (every integer form, moffs too), movbe,
 * xlat. */
#include "tests/diff/gen_internal.h"

void t_bswap(struct bld *b)
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
void t_movx(struct bld *b)
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

void t_cmov(struct bld *b)
{
    int size = rand_size(b, false);
    opsize(b, size);
    op2(b, (uint8_t)(0x40 + below(b, 16)));
    modrm_reg(b, any_reg(b));
    rm_any(b, size, NULL);
    b->c->flag_mask = F_ALL;
}

void t_setcc(struct bld *b)
{
    if (b->mode == 64 && chance(b, 20))
        b->want_rex = true;
    op2(b, (uint8_t)(0x90 + below(b, 16)));
    modrm_reg(b, (int)below(b, 8));     /* reg field ignored */
    rm_any(b, 1, NULL);
    b->c->flag_mask = F_ALL;
}

/* The 64-bit register a byte register number names: without REX, 4-7 are
 * AH CH DH BH, the second bytes of RAX RCX RDX RBX. */
static int byte_reg_phys(struct bld *b, int reg, int size)
{
    if (size == 1 && reg >= 4 && reg < 8 && !b->want_rex && !b->rex)
        return reg - 4;
    return reg;
}

/* XCHG (86/87, 90+r), XADD, CMPXCHG. */
void t_xchg(struct bld *b)
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
void t_cmpxchg8b(struct bld *b)
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
void t_lea(struct bld *b)
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
void t_mov(struct bld *b)
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

void t_movbe(struct bld *b)
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

void t_xlat(struct bld *b)
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
