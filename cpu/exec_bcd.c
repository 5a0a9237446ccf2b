/* Decimal arithmetic on AL/AX: DAA DAS AAA AAS AAM AAD (SDM Vol. 2, the
 * pseudo-code of each).  Flags the SDM leaves undefined: OF = 0, and for
 * AAA/AAS SF ZF PF from AL.  These are rare; flags are materialised. */
#include "cpu/exec_inline.h"

static uint64_t get_al(const struct x86_cpu *cpu) { return cpu->gpr[R_RAX] & 0xff; }
static void set_al(struct x86_cpu *cpu, uint64_t v) { ix_set_reg(cpu, R_RAX, 1, false, v); }

void exec_DAA(struct x86_cpu *cpu, const struct x86_insn *in)
{
    uint64_t f = x86_get_rflags(cpu);
    uint64_t al = get_al(cpu), old_al = al, nf = 0;
    bool old_cf = f & FL_CF;

    if ((al & 0xf) > 9 || (f & FL_AF)) {
        if (old_cf || al + 6 > 0xff)
            nf |= FL_CF;
        al = (al + 6) & 0xff;
        nf |= FL_AF;
    }
    if (old_al > 0x99 || old_cf) {
        al = (al + 0x60) & 0xff;
        nf |= FL_CF;
    } else {
        nf &= ~(uint64_t)FL_CF;
    }
    set_al(cpu, al);
    lf_set_status(cpu, nf | lf_szp(al, 1));
    cpu->rip = ix_next_rip(cpu, in);
}

void exec_DAS(struct x86_cpu *cpu, const struct x86_insn *in)
{
    uint64_t f = x86_get_rflags(cpu);
    uint64_t al = get_al(cpu), old_al = al, nf = 0;
    bool old_cf = f & FL_CF;

    if ((al & 0xf) > 9 || (f & FL_AF)) {
        if (old_cf || al < 6)
            nf |= FL_CF;
        al = (al - 6) & 0xff;
        nf |= FL_AF;
    }
    if (old_al > 0x99 || old_cf) {
        al = (al - 0x60) & 0xff;
        nf |= FL_CF;
    }
    set_al(cpu, al);
    lf_set_status(cpu, nf | lf_szp(al, 1));
    cpu->rip = ix_next_rip(cpu, in);
}

/* AAA: AX = AX + 106H when the low digit overflowed (SDM AAA, P6 and
 * later), then AL keeps only its low nibble. */
void exec_AAA(struct x86_cpu *cpu, const struct x86_insn *in)
{
    uint64_t f = x86_get_rflags(cpu), nf = 0;
    uint64_t ax = cpu->gpr[R_RAX] & 0xffff;

    if ((ax & 0xf) > 9 || (f & FL_AF)) {
        ax = (ax + 0x106) & 0xffff;
        nf = FL_AF | FL_CF;
    }
    ax &= 0xff0f;
    ix_set_reg(cpu, R_RAX, 2, false, ax);
    lf_set_status(cpu, nf | lf_szp(ax & 0xff, 1));
    cpu->rip = ix_next_rip(cpu, in);
}

void exec_AAS(struct x86_cpu *cpu, const struct x86_insn *in)
{
    uint64_t f = x86_get_rflags(cpu), nf = 0;
    uint64_t ax = cpu->gpr[R_RAX] & 0xffff;

    if ((ax & 0xf) > 9 || (f & FL_AF)) {
        ax = (ax - 6) & 0xffff;
        ax = (ax - 0x100) & 0xffff; /* AH = AH - 1 */
        nf = FL_AF | FL_CF;
    }
    ax &= 0xff0f;
    ix_set_reg(cpu, R_RAX, 2, false, ax);
    lf_set_status(cpu, nf | lf_szp(ax & 0xff, 1));
    cpu->rip = ix_next_rip(cpu, in);
}

/* AAM imm8: AH = AL / imm8, AL = AL mod imm8; #DE when imm8 = 0. */
void exec_AAM(struct x86_cpu *cpu, const struct x86_insn *in)
{
    uint64_t base = in->imm & 0xff, al = get_al(cpu);

    if (base == 0)
        x86_raise(cpu, X86_DE, X86_NO_ERRCODE);
    ix_set_reg(cpu, R_RAX, 2, false, ((al / base) << 8) | (al % base));
    lf_set_status(cpu, lf_szp(al % base, 1));
    cpu->rip = ix_next_rip(cpu, in);
}

/* AAD imm8: AL = (AL + AH * imm8) & FFH, AH = 0. */
void exec_AAD(struct x86_cpu *cpu, const struct x86_insn *in)
{
    uint64_t base = in->imm & 0xff;
    uint64_t al = get_al(cpu), ah = (cpu->gpr[R_RAX] >> 8) & 0xff;
    uint64_t res = (al + ah * base) & 0xff;

    ix_set_reg(cpu, R_RAX, 2, false, res);
    lf_set_status(cpu, lf_szp(res, 1));
    cpu->rip = ix_next_rip(cpu, in);
}
