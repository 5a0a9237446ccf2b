/* Model-specific registers glass models (SDM Vol. 4), for RDMSR/WRMSR and
 * for accelerators that move MSRs in and out of struct x86_cpu. */
#ifndef GLASS_CPU_MSR_H
#define GLASS_CPU_MSR_H

#include <stdint.h>

#include "cpu/x86_cpu.h"

/* Read MSR index into *val: 0, or -1 if the MSR does not exist (#GP(0)). */
int x86_msr_read(struct x86_cpu *cpu, uint32_t index, uint64_t *val);
/* Write MSR index: 0, or -1 for an unknown MSR, a reserved bit set or a
 * value the MSR does not accept (#GP(0)). */
int x86_msr_write(struct x86_cpu *cpu, uint32_t index, uint64_t val);

/* The guest's time-stamp counter: host TSC + cpu->tsc_offset. */
uint64_t x86_guest_tsc(const struct x86_cpu *cpu);
/* The host's TSC (RDTSC on x86 hosts). */
uint64_t x86_host_tsc(void);

/* EFER bits a guest may set (SCE, LME, NXE; LMA is read-only). */
#define EFER_WRITABLE (EFER_SCE | EFER_LME | EFER_NXE)

/* Reset values. */
#define MSR_PAT_RESET 0x0007040600070406ull
#define MSR_APIC_BASE_BSP (1ull << 8)
#define MSR_APIC_BASE_ENABLE (1ull << 11)
#define MSR_APIC_BASE_RESET (0xfee00000ull | MSR_APIC_BASE_ENABLE | MSR_APIC_BASE_BSP)
#define MSR_MISC_ENABLE_RESET ((1ull << 0) | (1ull << 11) | (1ull << 12))

#endif
