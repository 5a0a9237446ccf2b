/* CPUID, time-stamp counter, MSRs, and the instructions of features glass
 * does not model yet (XSAVE, RDRAND, x87/SSE), which fault as a processor
 * without them would (SDM Vol. 2). */
#include "cpu/cpuid.h"
#include "cpu/exception.h"
#include "cpu/exec.h"
#include "cpu/msr.h"
#include "cpu/sys_regs.h"

static void set_edx_eax(struct x86_cpu *cpu, uint64_t v)
{
    cpu->gpr[R_RAX] = v & 0xffffffffull;
    cpu->gpr[R_RDX] = v >> 32;
}

void exec_CPUID(struct x86_cpu *cpu, const struct x86_insn *in)
{
    uint32_t r[4];
    x86_cpuid_cpu(cpu, (uint32_t)cpu->gpr[R_RAX], (uint32_t)cpu->gpr[R_RCX], r);
    cpu->gpr[R_RAX] = r[0];
    cpu->gpr[R_RBX] = r[1];
    cpu->gpr[R_RCX] = r[2];
    cpu->gpr[R_RDX] = r[3];
    cpu->rip = x86_next_rip(cpu, in);
}

/* CR4.TSD makes RDTSC/RDTSCP privileged. */
static void check_tsd(struct x86_cpu *cpu)
{
    if ((cpu->cr4 & CR4_TSD) && cpu->cpl != 0 && x86_protected(cpu))
        x86_raise(cpu, X86_GP, 0);
}

void exec_RDTSC(struct x86_cpu *cpu, const struct x86_insn *in)
{
    check_tsd(cpu);
    set_edx_eax(cpu, x86_guest_tsc(cpu));
    cpu->rip = x86_next_rip(cpu, in);
}

void exec_RDTSCP(struct x86_cpu *cpu, const struct x86_insn *in)
{
    check_tsd(cpu);
    set_edx_eax(cpu, x86_guest_tsc(cpu));
    cpu->gpr[R_RCX] = cpu->msr.tsc_aux & 0xffffffffull;
    cpu->rip = x86_next_rip(cpu, in);
}

/* No performance counters exist, so every counter number is invalid. */
void exec_RDPMC(struct x86_cpu *cpu, const struct x86_insn *in)
{
    (void)in;
    x86_raise(cpu, X86_GP, 0);
}

void exec_RDMSR(struct x86_cpu *cpu, const struct x86_insn *in)
{
    uint64_t v;
    x86_require_cpl0(cpu);
    if (x86_msr_read(cpu, (uint32_t)cpu->gpr[R_RCX], &v) < 0)
        x86_raise(cpu, X86_GP, 0);
    set_edx_eax(cpu, v);
    cpu->rip = x86_next_rip(cpu, in);
}

void exec_WRMSR(struct x86_cpu *cpu, const struct x86_insn *in)
{
    x86_require_cpl0(cpu);
    uint64_t v = (cpu->gpr[R_RDX] << 32) | (cpu->gpr[R_RAX] & 0xffffffffull);
    if (x86_msr_write(cpu, (uint32_t)cpu->gpr[R_RCX], v) < 0)
        x86_raise(cpu, X86_GP, 0);
    cpu->rip = x86_next_rip(cpu, in);
}

static _Noreturn void undefined(struct x86_cpu *cpu)
{
    x86_raise(cpu, X86_UD, X86_NO_ERRCODE);
}

/* No XSAVE (CPUID.1:ECX.XSAVE = 0) and no RDRAND/RDSEED in CPUID: #UD. */
void exec_XGETBV(struct x86_cpu *cpu, const struct x86_insn *in) { (void)in; undefined(cpu); }
void exec_XSETBV(struct x86_cpu *cpu, const struct x86_insn *in) { (void)in; undefined(cpu); }
void exec_RDRAND(struct x86_cpu *cpu, const struct x86_insn *in) { (void)in; undefined(cpu); }
void exec_RDSEED(struct x86_cpu *cpu, const struct x86_insn *in) { (void)in; undefined(cpu); }

/* x87 and SSE state are not modelled yet.  The device-not-available checks
 * come first, as on a processor with an FPU (SDM Vol. 3, 2.5, CR0.EM/TS):
 * an x87 instruction faults #NM when EM or TS is set; FXSAVE/FXRSTOR #NM
 * when TS is set; everything else is #UD for now. */
void exec_FPU(struct x86_cpu *cpu, const struct x86_insn *in)
{
    (void)in;
    if (cpu->cr0 & (CR0_EM | CR0_TS))
        x86_raise(cpu, X86_NM, X86_NO_ERRCODE);
    undefined(cpu);
}

static void fxsave_checks(struct x86_cpu *cpu)
{
    if (cpu->cr0 & CR0_TS)
        x86_raise(cpu, X86_NM, X86_NO_ERRCODE);
    undefined(cpu);
}

void exec_FXSAVE(struct x86_cpu *cpu, const struct x86_insn *in) { (void)in; fxsave_checks(cpu); }
void exec_FXRSTOR(struct x86_cpu *cpu, const struct x86_insn *in) { (void)in; fxsave_checks(cpu); }
