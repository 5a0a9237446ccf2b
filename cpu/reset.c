/* Power-on / INIT state (SDM Vol. 3, 10.1.1, Table 10-1). */
#include <string.h>

#include "cpu/cpuid.h"
#include "cpu/msr.h"
#include "cpu/x86_cpu.h"

/* FXSAVE-layout offsets of the x87 control word and MXCSR (SDM Vol. 1,
 * 10.5.1, Table 10-2). */
#define FXSAVE_FCW   0
#define FXSAVE_MXCSR 24

static void real_segment(struct x86_segment *s, uint16_t sel, uint64_t base, uint8_t type)
{
    *s = (struct x86_segment){
        .base = base, .limit = 0xffff, .selector = sel, .type = type,
        .s = 1, .present = 1,
    };
}

void x86_cpu_reset(struct x86_cpu *cpu)
{
    /* Keep what machine/ wired: env, the fault target, statistics. */
    struct x86_cpu_env env = cpu->env;
    jmp_buf *fault_jmp = cpu->fault_jmp;
    uint64_t insn_count = cpu->insn_count;
    memset(cpu, 0, sizeof *cpu);
    cpu->env = env;
    cpu->fault_jmp = fault_jmp;
    cpu->insn_count = insn_count;

    cpu->gpr[R_RDX] = GLASS_CPUID_SIGNATURE;
    cpu->rip = 0xfff0;
    cpu->rflags = FL_FIXED1;   /* lazy.op is LF_NONE (0) after the memset */

    real_segment(&cpu->seg[S_CS], 0xf000, 0xffff0000ull, 0xb); /* code, R, A */
    for (int s = S_ES; s <= S_GS; s++)
        if (s != S_CS)
            real_segment(&cpu->seg[s], 0, 0, 0x3);          /* data, RW, A */
    real_segment(&cpu->seg[S_LDTR], 0, 0, 0x2);
    cpu->seg[S_LDTR].s = 0;
    real_segment(&cpu->seg[S_TR], 0, 0, 0xb);   /* busy 32-bit TSS */
    cpu->seg[S_TR].s = 0;
    cpu->gdtr.limit = 0xffff;
    cpu->idtr.limit = 0xffff;

    cpu->cr0 = CR0_CD | CR0_NW | CR0_ET;       /* 0x60000010 */
    cpu->dr[6] = 0xffff0ff0;
    cpu->dr[7] = 0x400;

    cpu->msr.pat = MSR_PAT_RESET;
    cpu->msr.apic_base = MSR_APIC_BASE_RESET;  /* BSP; machine/ clears bit 8 on APs */
    cpu->msr.misc_enable = MSR_MISC_ENABLE_RESET;
    cpu->tsc_offset = -(int64_t)x86_host_tsc(); /* TSC starts at 0 */

    /* x87 control word 0x40 at power-on, MXCSR 0x1f80 (Table 10-1). */
    cpu->fxsave[FXSAVE_FCW] = 0x40;
    cpu->fxsave[FXSAVE_MXCSR] = 0x80;
    cpu->fxsave[FXSAVE_MXCSR + 1] = 0x1f;
    cpu->cpl = 0;
}
