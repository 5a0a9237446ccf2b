/* PUSHF, POPF, CLI, STI, HLT: the flags an OS guards (SDM Vol. 2; Vol. 1,
 * 3.4.3; Vol. 3, 20.2.5 for vm86 without VME). */
#include "cpu/exception.h"
#include "cpu/exec.h"
#include "cpu/seg.h"
#include "cpu/sys_regs.h"

/* In vm86 without VME, PUSHF/POPF/CLI/STI/INT n/IRET fault below IOPL 3. */
static void check_vm86_iopl(struct x86_cpu *cpu)
{
    if (x86_vm86(cpu) && x86_iopl(cpu) < 3)
        x86_raise(cpu, X86_GP, 0);
}

void exec_PUSHF(struct x86_cpu *cpu, const struct x86_insn *in)
{
    check_vm86_iopl(cpu);
    /* The image has VM and RF clear (SDM Vol. 2, PUSHF). */
    uint64_t fl = x86_get_rflags(cpu) & ~(uint64_t)(FL_VM | FL_RF);
    x86_push(cpu, in->opsize, fl & x86_size_mask(in->opsize));
    cpu->rip = x86_next_rip(cpu, in);
}

/* POPF: which flags change depends on the mode, CPL and IOPL; RF is cleared,
 * VM/VIF/VIP never change (SDM Vol. 2, POPF, Table "Effect of POPF"). */
void exec_POPF(struct x86_cpu *cpu, const struct x86_insn *in)
{
    check_vm86_iopl(cpu);
    int size = in->opsize;
    uint64_t val = x86_pop(cpu, size);
    uint64_t old = x86_get_rflags(cpu);
    uint64_t writable = FL_STATUS | FL_TF | FL_DF | FL_NT | FL_AC | FL_ID;
    bool real = !x86_protected(cpu);
    if (x86_vm86(cpu)) {
        writable |= FL_IF;   /* IOPL 3 here; IOPL itself is kept */
    } else {
        if (real || cpu->cpl <= x86_iopl(cpu))
            writable |= FL_IF;
        if (real || cpu->cpl == 0)
            writable |= FL_IOPL;
    }
    if (size == 2)
        writable &= 0xffff;
    uint64_t fl = (old & ~writable) | (val & writable);
    x86_set_rflags(cpu, (fl & ~(uint64_t)FL_RF) | FL_FIXED1);
    cpu->rip = x86_next_rip(cpu, in);
}

/* CLI/STI: allowed when CPL <= IOPL (protected mode), IOPL = 3 (vm86),
 * always in real mode; else #GP(0) (no PVI/VME). */
static void check_if_privilege(struct x86_cpu *cpu)
{
    if (!x86_protected(cpu))
        return;
    if (x86_vm86(cpu) ? x86_iopl(cpu) < 3 : cpu->cpl > x86_iopl(cpu))
        x86_raise(cpu, X86_GP, 0);
}

void exec_CLI(struct x86_cpu *cpu, const struct x86_insn *in)
{
    check_if_privilege(cpu);
    cpu->rflags &= ~(uint64_t)FL_IF;
    cpu->rip = x86_next_rip(cpu, in);
}

void exec_STI(struct x86_cpu *cpu, const struct x86_insn *in)
{
    check_if_privilege(cpu);
    /* Interrupts stay blocked until after the next instruction when STI
     * sets IF (SDM Vol. 3, 6.8.3); the run loop counts the shadow down. */
    if (!(cpu->rflags & FL_IF))
        cpu->interrupt_shadow = 2;
    cpu->rflags |= FL_IF;
    cpu->rip = x86_next_rip(cpu, in);
}

void exec_HLT(struct x86_cpu *cpu, const struct x86_insn *in)
{
    if (cpu->cpl != 0)   /* CPL is 3 in vm86, 0 in real mode */
        x86_raise(cpu, X86_GP, 0);
    cpu->rip = x86_next_rip(cpu, in);
    cpu->halted = 1;
}
