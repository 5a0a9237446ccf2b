/* Bit instructions: BT BTS BTR BTC, BSF BSR, TZCNT LZCNT POPCNT (SDM Vol. 2). */
#include "cpu/exec_inline.h"

enum bt_kind { BT_TEST, BT_SET, BT_RESET, BT_COMPLEMENT };

/* BT*: CF = the selected bit; the other status flags are left unchanged
 * (OF SF AF PF are undefined, ZF is kept).  With a register bit offset and
 * a memory operand the offset is signed and may reach outside the operand:
 * the access is at EA + (offset SAR log2(bits)) * size (SDM BT, "bit
 * offset addressing").  An immediate offset is taken mod the size. */
static inline void bit_test(struct x86_cpu *cpu, const struct x86_insn *in, enum bt_kind k)
{
    int size = in->opsize, bits = size * 8;
    bool far_bit = ix_is_mem(in) && in->form != FORM_RM_IMM;
    uint64_t a, res, bit, ea = 0;
    int64_t off;
    struct rmw r;

    if (in->form == FORM_RM_IMM)
        off = (int64_t)(in->imm & (uint64_t)(bits - 1));
    else
        off = lf_sext(ix_get_reg(cpu, in->reg, size, ix_rex(in)), size);
    bit = (uint64_t)off & (uint64_t)(bits - 1);
    if (far_bit) {
        int64_t elem = off >> (bits == 64 ? 6 : bits == 32 ? 5 : 4);
        ea = (ix_ea(cpu, in) + (uint64_t)(elem * size)) & ix_addr_mask(in->addrsize);
    }

    if (k == BT_TEST) {
        a = far_bit ? ix_mem_read(cpu, in->mem.seg, ea, size) : ix_read_rm(cpu, in, size);
    } else {
        if (far_bit)
            rmw_begin_at(cpu, in, in->mem.seg, ea, size, &r);
        else
            rmw_begin(cpu, in, size, &r);
        do {
            a = rmw_read(cpu, in, &r);
            switch (k) {
            case BT_SET: res = a | (1ull << bit); break;
            case BT_RESET: res = a & ~(1ull << bit); break;
            default: res = a ^ (1ull << bit); break;
            }
        } while (!rmw_commit(cpu, in, &r, a, res));
    }
    lf_set_some(cpu, FL_CF, ((a >> bit) & 1) ? FL_CF : 0);
    cpu->rip = ix_next_rip(cpu, in);
}

void exec_BT(struct x86_cpu *cpu, const struct x86_insn *in) { bit_test(cpu, in, BT_TEST); }
void exec_BTS(struct x86_cpu *cpu, const struct x86_insn *in) { bit_test(cpu, in, BT_SET); }
void exec_BTR(struct x86_cpu *cpu, const struct x86_insn *in) { bit_test(cpu, in, BT_RESET); }
void exec_BTC(struct x86_cpu *cpu, const struct x86_insn *in) { bit_test(cpu, in, BT_COMPLEMENT); }

/* BSF/BSR: ZF = (source == 0), and then the destination is left unchanged
 * (documented by AMD, done by Intel parts); CF OF SF AF PF undefined (kept). */
void exec_BSF(struct x86_cpu *cpu, const struct x86_insn *in)
{
    uint64_t v = ix_read_rm(cpu, in, in->opsize);

    if (v == 0) {
        lf_set_some(cpu, FL_ZF, FL_ZF);
    } else {
        ix_set_reg(cpu, in->reg, in->opsize, ix_rex(in), (uint64_t)__builtin_ctzll(v));
        lf_set_some(cpu, FL_ZF, 0);
    }
    cpu->rip = ix_next_rip(cpu, in);
}

void exec_BSR(struct x86_cpu *cpu, const struct x86_insn *in)
{
    uint64_t v = ix_read_rm(cpu, in, in->opsize);

    if (v == 0) {
        lf_set_some(cpu, FL_ZF, FL_ZF);
    } else {
        ix_set_reg(cpu, in->reg, in->opsize, ix_rex(in), (uint64_t)(63 - __builtin_clzll(v)));
        lf_set_some(cpu, FL_ZF, 0);
    }
    cpu->rip = ix_next_rip(cpu, in);
}

/* TZCNT/LZCNT: CF = (source == 0), ZF = (result == 0); OF SF AF PF
 * undefined (kept). */
void exec_TZCNT(struct x86_cpu *cpu, const struct x86_insn *in)
{
    int size = in->opsize;
    uint64_t v = ix_read_rm(cpu, in, size);
    uint64_t n = v ? (uint64_t)__builtin_ctzll(v) : (uint64_t)size * 8;

    ix_set_reg(cpu, in->reg, size, ix_rex(in), n);
    lf_set_some(cpu, FL_CF | FL_ZF, (v == 0 ? FL_CF : 0) | (n == 0 ? FL_ZF : 0));
    cpu->rip = ix_next_rip(cpu, in);
}

void exec_LZCNT(struct x86_cpu *cpu, const struct x86_insn *in)
{
    int size = in->opsize;
    uint64_t v = ix_read_rm(cpu, in, size);
    uint64_t n = v ? (uint64_t)(__builtin_clzll(v) - (64 - size * 8)) : (uint64_t)size * 8;

    ix_set_reg(cpu, in->reg, size, ix_rex(in), n);
    lf_set_some(cpu, FL_CF | FL_ZF, (v == 0 ? FL_CF : 0) | (n == 0 ? FL_ZF : 0));
    cpu->rip = ix_next_rip(cpu, in);
}

/* POPCNT: ZF = (source == 0); OF SF AF CF PF cleared (SDM POPCNT). */
void exec_POPCNT(struct x86_cpu *cpu, const struct x86_insn *in)
{
    uint64_t v = ix_read_rm(cpu, in, in->opsize);

    ix_set_reg(cpu, in->reg, in->opsize, ix_rex(in), (uint64_t)__builtin_popcountll(v));
    lf_set_status(cpu, v == 0 ? FL_ZF : 0);
    cpu->rip = ix_next_rip(cpu, in);
}
