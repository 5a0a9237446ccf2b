/* Fast system calls and the 64-bit segment-base instructions: SYSCALL,
 * SYSRET, SYSENTER, SYSEXIT, SWAPGS, RD/WR FS/GS BASE (SDM Vol. 2; Vol. 3,
 * 5.8.7 and 5.8.8).  These load flat segments without reading the GDT, as
 * the hardware does. */
#include "cpu/exception.h"
#include "cpu/exec.h"
#include "cpu/seg.h"
#include "cpu/sys_regs.h"

static _Noreturn void undefined(struct x86_cpu *cpu)
{
    x86_raise(cpu, X86_UD, X86_NO_ERRCODE);
}

/* SYSCALL: IA-32e mode (RIP from LSTAR, or CSTAR in compatibility mode,
 * RFLAGS masked by SFMASK, the old RFLAGS in R11) and, as AMD defines it,
 * legacy protected mode (EIP from STAR[31:0], IF/VM/RF cleared).  CS from
 * STAR[47:32], SS = CS + 8. */
void exec_SYSCALL(struct x86_cpu *cpu, const struct x86_insn *in)
{
    if (!(cpu->efer & EFER_SCE) || !x86_protected(cpu) || x86_vm86(cpu))
        undefined(cpu);
    uint64_t next = x86_next_rip(cpu, in);
    uint16_t sel = (uint16_t)((cpu->msr.star >> 32) & 0xfffc);
    uint64_t fl = x86_get_rflags(cpu);
    bool lm = x86_long_mode(cpu);
    if (lm) {
        cpu->gpr[R_RCX] = next;
        cpu->gpr[R_R11] = fl & ~(uint64_t)FL_RF;
        cpu->rip = x86_code64(cpu) ? cpu->msr.lstar : cpu->msr.cstar;
        x86_set_rflags(cpu, (fl & ~(cpu->msr.sfmask | FL_RF)) | FL_FIXED1);
    } else {
        cpu->gpr[R_RCX] = next & 0xffffffffull;
        cpu->rip = cpu->msr.star & 0xffffffffull;
        x86_set_rflags(cpu, fl & ~(uint64_t)(FL_IF | FL_VM | FL_RF));
    }
    x86_flat_segment(&cpu->seg[S_CS], sel, true, 0, lm);
    x86_flat_segment(&cpu->seg[S_SS], (uint16_t)(sel + 8), false, 0, false);
    cpu->cpl = 0;
}

/* SYSRET: back to CPL 3; CS = STAR[63:48] (+16 for a 64-bit return with
 * REX.W), SS = STAR[63:48] + 8, both with RPL 3. */
void exec_SYSRET(struct x86_cpu *cpu, const struct x86_insn *in)
{
    if (!(cpu->efer & EFER_SCE))
        undefined(cpu);
    if (!x86_protected(cpu) || x86_vm86(cpu) || cpu->cpl != 0)
        x86_raise(cpu, X86_GP, 0);
    uint16_t base = (uint16_t)(cpu->msr.star >> 48);
    bool to64 = x86_code64(cpu) && in->opsize == 8;
    if (to64 && !x86_canonical(cpu->gpr[R_RCX]))
        x86_raise(cpu, X86_GP, 0);
    if (x86_long_mode(cpu)) {
        cpu->rip = to64 ? cpu->gpr[R_RCX] : cpu->gpr[R_RCX] & 0xffffffffull;
        x86_set_rflags(cpu, (cpu->gpr[R_R11] & 0x3c7fd7ull) | FL_FIXED1);
    } else {
        cpu->rip = cpu->gpr[R_RCX] & 0xffffffffull;
        cpu->rflags |= FL_IF;
    }
    uint16_t cs = (uint16_t)((to64 ? base + 16 : base) | 3);
    x86_flat_segment(&cpu->seg[S_CS], cs, true, 3, to64);
    x86_flat_segment(&cpu->seg[S_SS], (uint16_t)((base + 8) | 3), false, 3, false);
    cpu->cpl = 3;
}

/* SYSENTER: to CPL 0 at SYSENTER_CS:SYSENTER_EIP with SYSENTER_ESP. */
void exec_SYSENTER(struct x86_cpu *cpu, const struct x86_insn *in)
{
    (void)in;
    uint16_t sel = (uint16_t)(cpu->msr.sysenter_cs & 0xfffc);
    if (!x86_protected(cpu) || sel == 0)
        x86_raise(cpu, X86_GP, 0);
    bool lm = x86_long_mode(cpu);
    cpu->rflags &= ~(uint64_t)(FL_VM | FL_IF | FL_RF);
    x86_flat_segment(&cpu->seg[S_CS], sel, true, 0, lm);
    x86_flat_segment(&cpu->seg[S_SS], (uint16_t)(sel + 8), false, 0, false);
    cpu->cpl = 0;
    cpu->gpr[R_RSP] = lm ? cpu->msr.sysenter_esp : cpu->msr.sysenter_esp & 0xffffffffull;
    cpu->rip = lm ? cpu->msr.sysenter_eip : cpu->msr.sysenter_eip & 0xffffffffull;
}

/* SYSEXIT: to CPL 3; CS = SYSENTER_CS + 16 (+32 for 64-bit with REX.W),
 * SS = CS + 8; RIP = RDX, RSP = RCX. */
void exec_SYSEXIT(struct x86_cpu *cpu, const struct x86_insn *in)
{
    uint16_t base = (uint16_t)(cpu->msr.sysenter_cs & 0xfffc);
    if (!x86_protected(cpu) || x86_vm86(cpu) || base == 0 || cpu->cpl != 0)
        x86_raise(cpu, X86_GP, 0);
    bool to64 = x86_code64(cpu) && in->opsize == 8;
    if (to64 && (!x86_canonical(cpu->gpr[R_RDX]) || !x86_canonical(cpu->gpr[R_RCX])))
        x86_raise(cpu, X86_GP, 0);
    uint16_t cs = (uint16_t)((base + (to64 ? 32 : 16)) | 3);
    x86_flat_segment(&cpu->seg[S_CS], cs, true, 3, to64);
    x86_flat_segment(&cpu->seg[S_SS], (uint16_t)(cs + 8), false, 3, false);
    cpu->cpl = 3;
    cpu->rip = to64 ? cpu->gpr[R_RDX] : cpu->gpr[R_RDX] & 0xffffffffull;
    cpu->gpr[R_RSP] = to64 ? cpu->gpr[R_RCX] : cpu->gpr[R_RCX] & 0xffffffffull;
}

void exec_SWAPGS(struct x86_cpu *cpu, const struct x86_insn *in)
{
    if (!x86_code64(cpu))
        undefined(cpu);
    if (cpu->cpl != 0)
        x86_raise(cpu, X86_GP, 0);
    uint64_t t = cpu->seg[S_GS].base;
    cpu->seg[S_GS].base = cpu->msr.kernel_gs_base;
    cpu->msr.kernel_gs_base = t;
    cpu->rip = x86_next_rip(cpu, in);
}

/* RD/WR FS/GS BASE: 64-bit mode with CR4.FSGSBASE only; the register is the
 * ModRM r/m operand, 32 or 64 bits. */
static void check_fsgsbase(struct x86_cpu *cpu)
{
    if (!x86_code64(cpu) || !(cpu->cr4 & CR4_FSGSBASE))
        undefined(cpu);
}

static void read_base(struct x86_cpu *cpu, const struct x86_insn *in, int sreg)
{
    check_fsgsbase(cpu);
    int size = in->opsize == 8 ? 8 : 4;
    x86_set_reg(cpu, in->rm, size, false, cpu->seg[sreg].base);
    cpu->rip = x86_next_rip(cpu, in);
}

static void write_base(struct x86_cpu *cpu, const struct x86_insn *in, int sreg)
{
    check_fsgsbase(cpu);
    int size = in->opsize == 8 ? 8 : 4;
    uint64_t v = x86_get_reg(cpu, in->rm, size, false);
    if (!x86_canonical(v))
        x86_raise(cpu, X86_GP, 0);
    cpu->seg[sreg].base = v;
    cpu->rip = x86_next_rip(cpu, in);
}

void exec_RDFSBASE(struct x86_cpu *cpu, const struct x86_insn *in) { read_base(cpu, in, S_FS); }
void exec_RDGSBASE(struct x86_cpu *cpu, const struct x86_insn *in) { read_base(cpu, in, S_GS); }
void exec_WRFSBASE(struct x86_cpu *cpu, const struct x86_insn *in) { write_base(cpu, in, S_FS); }
void exec_WRGSBASE(struct x86_cpu *cpu, const struct x86_insn *in) { write_base(cpu, in, S_GS); }
