/* Control-register writes with their checks (SDM Vol. 3, 2.5 and Vol. 2,
 * "MOV—Move to/from Control Registers"), shared by MOV CRn, LMSW, CLTS and
 * anything else that must change CR0/CR3/CR4/CR8 the way the guest would
 * (the debugger, tests).  Each returns 0, or -1 when the value would raise
 * #GP(0) (the register is then unchanged).  They flush the TLB as needed and
 * keep EFER.LMA in step with CR0.PG. */
#ifndef GLASS_CPU_SYS_REGS_H
#define GLASS_CPU_SYS_REGS_H

#include <stdint.h>

#include "cpu/exception.h"
#include "cpu/x86_cpu.h"

/* CR4 bits glass supports; setting any other is #GP(0). */
#define CR4_SUPPORTED (CR4_TSD | CR4_DE | CR4_PSE | CR4_PAE | CR4_PGE \
    | CR4_OSFXSR | CR4_OSXMMEXCPT | CR4_UMIP | CR4_FSGSBASE)

int x86_set_cr0(struct x86_cpu *cpu, uint64_t val);
int x86_set_cr3(struct x86_cpu *cpu, uint64_t val);
int x86_set_cr4(struct x86_cpu *cpu, uint64_t val);
int x86_set_cr8(struct x86_cpu *cpu, uint64_t val);

/* Privilege helpers of the system instructions. */
static inline int x86_iopl(const struct x86_cpu *cpu)
{
    return (int)((cpu->rflags & FL_IOPL) >> 12);
}
/* Instructions allowed only at CPL 0 (never in vm86): #GP(0). */
static inline void x86_require_cpl0(struct x86_cpu *cpu)
{
    if (cpu->cpl != 0 || x86_vm86(cpu))
        x86_raise(cpu, X86_GP, 0);
}
/* CR4.UMIP: SGDT, SIDT, SLDT, SMSW, STR at CPL > 0 give #GP(0). */
static inline void x86_check_umip(struct x86_cpu *cpu)
{
    if ((cpu->cr4 & CR4_UMIP) && cpu->cpl > 0)
        x86_raise(cpu, X86_GP, 0);
}
/* Instructions that exist only in protected mode outside vm86: #UD. */
static inline void x86_require_protected(struct x86_cpu *cpu)
{
    if (!x86_protected(cpu) || x86_vm86(cpu))
        x86_raise(cpu, X86_UD, X86_NO_ERRCODE);
}

#endif
