/* Data movement: MOV MOVZX MOVSX MOVSXD LEA XCHG CMOVcc SETcc BSWAP MOVBE
 * CBW CWD LAHF SAHF XLAT SALC, and the flag instructions CLC STC CMC CLD STD,
 * NOP and UD (SDM Vol. 2). */
#include "cpu/exec_inline.h"

void exec_MOV(struct x86_cpu *cpu, const struct x86_insn *in)
{
    int size = in->opsize;
    bool rex = ix_rex(in);

    switch (in->form) {
    case FORM_RM_REG:
        ix_write_rm(cpu, in, size, ix_get_reg(cpu, in->reg, size, rex));
        break;
    case FORM_REG_RM:
        ix_set_reg(cpu, in->reg, size, rex, ix_read_rm(cpu, in, size));
        break;
    case FORM_RM_IMM:
        ix_write_rm(cpu, in, size, in->imm);
        break;
    default: /* FORM_REG_IMM */
        ix_set_reg(cpu, in->reg, size, rex, in->imm);
        break;
    }
    cpu->rip = ix_next_rip(cpu, in);
}

void exec_MOVZX(struct x86_cpu *cpu, const struct x86_insn *in)
{
    uint64_t v = ix_read_rm(cpu, in, in->src_size);
    ix_set_reg(cpu, in->reg, in->opsize, ix_rex(in), v);
    cpu->rip = ix_next_rip(cpu, in);
}

void exec_MOVSX(struct x86_cpu *cpu, const struct x86_insn *in)
{
    uint64_t v = (uint64_t)lf_sext(ix_read_rm(cpu, in, in->src_size), in->src_size);
    ix_set_reg(cpu, in->reg, in->opsize, ix_rex(in), v);
    cpu->rip = ix_next_rip(cpu, in);
}

/* MOVSXD without REX.W reads and writes opsize bytes, like MOV (SDM MOVSXD). */
void exec_MOVSXD(struct x86_cpu *cpu, const struct x86_insn *in)
{
    int src = in->src_size && in->src_size < in->opsize ? in->src_size : in->opsize;
    uint64_t v = (uint64_t)lf_sext(ix_read_rm(cpu, in, src), src);
    ix_set_reg(cpu, in->reg, in->opsize, ix_rex(in), v);
    cpu->rip = ix_next_rip(cpu, in);
}

/* LEA: the offset is computed at the address size, then truncated or
 * zero-extended to the operand size (SDM LEA, Table 3-54). */
void exec_LEA(struct x86_cpu *cpu, const struct x86_insn *in)
{
    if (!ix_is_mem(in))
        ix_ud(cpu);
    ix_set_reg(cpu, in->reg, in->opsize, ix_rex(in), ix_ea(cpu, in));
    cpu->rip = ix_next_rip(cpu, in);
}

/* XCHG with a memory operand is locked whether or not LOCK is given (SDM
 * XCHG); the compare-and-swap of rmw_commit makes it so. */
void exec_XCHG(struct x86_cpu *cpu, const struct x86_insn *in)
{
    int size = in->opsize;
    bool rex = ix_rex(in);
    uint64_t regv = ix_get_reg(cpu, in->reg, size, rex), old;
    struct rmw r;

    rmw_begin(cpu, in, size, &r);
    r.locked = r.ptr && ((uintptr_t)r.ptr & (uintptr_t)(size - 1)) == 0;
    do {
        old = rmw_read(cpu, in, &r);
    } while (!rmw_commit(cpu, in, &r, old, regv));
    ix_set_reg(cpu, in->reg, size, rex, old);
    cpu->rip = ix_next_rip(cpu, in);
}

/* CMOVcc reads its source whatever the condition, and a 32-bit CMOV clears
 * the upper half of the destination even when the condition is false. */
void exec_CMOVCC(struct x86_cpu *cpu, const struct x86_insn *in)
{
    uint64_t v = ix_read_rm(cpu, in, in->opsize);

    if (lf_cond(cpu, in->cond))
        ix_set_reg(cpu, in->reg, in->opsize, ix_rex(in), v);
    else if (in->opsize == 4)
        cpu->gpr[in->reg] &= 0xffffffffull;
    cpu->rip = ix_next_rip(cpu, in);
}

void exec_SETCC(struct x86_cpu *cpu, const struct x86_insn *in)
{
    ix_write_rm(cpu, in, 1, lf_cond(cpu, in->cond) ? 1 : 0);
    cpu->rip = ix_next_rip(cpu, in);
}

/* BSWAP of a 16-bit register is undefined (SDM BSWAP); glass does what
 * Intel and AMD parts do: the low word becomes 0. */
void exec_BSWAP(struct x86_cpu *cpu, const struct x86_insn *in)
{
    int size = in->opsize;
    uint64_t v = cpu->gpr[in->reg];

    if (size == 8)
        v = __builtin_bswap64(v);
    else if (size == 4)
        v = __builtin_bswap32((uint32_t)v);
    else
        v = 0;
    ix_set_reg(cpu, in->reg, size, true, v);
    cpu->rip = ix_next_rip(cpu, in);
}

static uint64_t byte_reverse(uint64_t v, int size)
{
    switch (size) {
    case 2: return __builtin_bswap16((uint16_t)v);
    case 4: return __builtin_bswap32((uint32_t)v);
    default: return __builtin_bswap64(v);
    }
}

/* MOVBE: a load (reg <- m) or a store (m <- reg) with the bytes reversed. */
void exec_MOVBE(struct x86_cpu *cpu, const struct x86_insn *in)
{
    int size = in->opsize;

    if (!ix_is_mem(in))
        ix_ud(cpu);
    if (in->form == FORM_RM_REG)
        ix_write_rm(cpu, in, size, byte_reverse(ix_get_reg(cpu, in->reg, size, ix_rex(in)), size));
    else
        ix_set_reg(cpu, in->reg, size, ix_rex(in), byte_reverse(ix_read_rm(cpu, in, size), size));
    cpu->rip = ix_next_rip(cpu, in);
}

/* CBW / CWDE / CDQE: sign-extend the lower half of rAX into rAX. */
void exec_CBW(struct x86_cpu *cpu, const struct x86_insn *in)
{
    int size = in->opsize, half = size / 2;
    ix_set_reg(cpu, R_RAX, size, false, (uint64_t)lf_sext(cpu->gpr[R_RAX], half));
    cpu->rip = ix_next_rip(cpu, in);
}

/* CWD / CDQ / CQO: rDX = the sign of rAX, repeated. */
void exec_CWD(struct x86_cpu *cpu, const struct x86_insn *in)
{
    int size = in->opsize;
    ix_set_reg(cpu, R_RDX, size, false, lf_sign(cpu->gpr[R_RAX], size) ? ~0ull : 0);
    cpu->rip = ix_next_rip(cpu, in);
}

/* LAHF: AH = SF:ZF:0:AF:0:PF:1:CF (SDM LAHF). */
void exec_LAHF(struct x86_cpu *cpu, const struct x86_insn *in)
{
    uint64_t f = x86_get_rflags(cpu);
    uint64_t ah = (f & (FL_SF | FL_ZF | FL_AF | FL_PF | FL_CF)) | FL_FIXED1;
    ix_set_reg(cpu, 4, 1, false, ah);
    cpu->rip = ix_next_rip(cpu, in);
}

void exec_SAHF(struct x86_cpu *cpu, const struct x86_insn *in)
{
    uint64_t ah = (cpu->gpr[R_RAX] >> 8) & 0xff;
    lf_set_some(cpu, FL_SF | FL_ZF | FL_AF | FL_PF | FL_CF, ah);
    cpu->rip = ix_next_rip(cpu, in);
}

/* The source segment of an instruction without ModRM (XLAT, string ops):
 * DS unless overridden. */
static int src_seg(const struct x86_insn *in)
{
    return in->seg_override != S_NONE ? in->seg_override : S_DS;
}

/* XLAT: AL = [seg:rBX + AL], rBX at the address size. */
void exec_XLAT(struct x86_cpu *cpu, const struct x86_insn *in)
{
    uint64_t off = (cpu->gpr[R_RBX] + (cpu->gpr[R_RAX] & 0xff)) & ix_addr_mask(in->addrsize);
    ix_set_reg(cpu, R_RAX, 1, false, ix_mem_read(cpu, src_seg(in), off, 1));
    cpu->rip = ix_next_rip(cpu, in);
}

/* SALC (undocumented D6): AL = CF ? FF : 00. */
void exec_SALC(struct x86_cpu *cpu, const struct x86_insn *in)
{
    ix_set_reg(cpu, R_RAX, 1, false, x86_get_cf(cpu) ? 0xff : 0);
    cpu->rip = ix_next_rip(cpu, in);
}

void exec_CLC(struct x86_cpu *cpu, const struct x86_insn *in)
{
    lf_set_some(cpu, FL_CF, 0);
    cpu->rip = ix_next_rip(cpu, in);
}

void exec_STC(struct x86_cpu *cpu, const struct x86_insn *in)
{
    lf_set_some(cpu, FL_CF, FL_CF);
    cpu->rip = ix_next_rip(cpu, in);
}

void exec_CMC(struct x86_cpu *cpu, const struct x86_insn *in)
{
    lf_set_some(cpu, FL_CF, x86_get_cf(cpu) ? 0 : FL_CF);
    cpu->rip = ix_next_rip(cpu, in);
}

/* DF is not a status flag: it lives in cpu->rflags whatever lazy holds. */
void exec_CLD(struct x86_cpu *cpu, const struct x86_insn *in)
{
    cpu->rflags &= ~(uint64_t)FL_DF;
    cpu->rip = ix_next_rip(cpu, in);
}

void exec_STD(struct x86_cpu *cpu, const struct x86_insn *in)
{
    cpu->rflags |= FL_DF;
    cpu->rip = ix_next_rip(cpu, in);
}

void exec_NOP(struct x86_cpu *cpu, const struct x86_insn *in)
{
    cpu->rip = ix_next_rip(cpu, in);
}

void exec_UD(struct x86_cpu *cpu, const struct x86_insn *in)
{
    (void)in;
    ix_ud(cpu);
}
