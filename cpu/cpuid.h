/* The CPUID model of glass: one fixed, documented processor, the same on
 * every accelerator (under KVM it is handed to KVM_SET_CPUID2), so a guest
 * can move between them.  See cpu/cpuid.c for what each leaf says. */
#ifndef GLASS_CPU_CPUID_H
#define GLASS_CPU_CPUID_H

#include <stdint.h>

/* Vendor string (leaf 0, EBX EDX ECX): honest, not a real vendor's. */
#define GLASS_CPUID_VENDOR "GlassVirtCPU"
/* Hypervisor signature (leaf 0x40000000, EBX ECX EDX), zero-padded. */
#define GLASS_CPUID_HV_SIGNATURE "glass"
/* Family 6, model 1, stepping 0: CPUID.1:EAX, also EDX after reset. */
#define GLASS_CPUID_SIGNATURE 0x00000610u
#define GLASS_CPUID_MAX_BASIC 0x7u
#define GLASS_CPUID_MAX_EXT   0x80000008u
#define GLASS_PHYS_ADDR_BITS 40
#define GLASS_LIN_ADDR_BITS  48

/* Feature bits glass implements (SDM Vol. 2, CPUID, Tables 3-10, 3-11). */
#define CPUID_1_EDX_DE     (1u << 2)
#define CPUID_1_EDX_PSE    (1u << 3)
#define CPUID_1_EDX_TSC    (1u << 4)
#define CPUID_1_EDX_MSR    (1u << 5)
#define CPUID_1_EDX_PAE    (1u << 6)
#define CPUID_1_EDX_CX8    (1u << 8)
#define CPUID_1_EDX_APIC   (1u << 9)
#define CPUID_1_EDX_SEP    (1u << 11)
#define CPUID_1_EDX_PGE    (1u << 13)
#define CPUID_1_EDX_CMOV   (1u << 15)
#define CPUID_1_EDX_PAT    (1u << 16)
#define CPUID_1_EDX_CLFSH  (1u << 19)
#define CPUID_1_ECX_CX16   (1u << 13)
#define CPUID_1_ECX_MOVBE  (1u << 22)
#define CPUID_1_ECX_POPCNT (1u << 23)
#define CPUID_1_ECX_HYPERVISOR (1u << 31)
#define CPUID_7_EBX_FSGSBASE (1u << 0)
#define CPUID_7_EBX_BMI1   (1u << 3)
#define CPUID_7_ECX_UMIP   (1u << 2)
#define CPUID_81_ECX_LAHF_LM (1u << 0)
#define CPUID_81_ECX_ABM   (1u << 5)
#define CPUID_81_EDX_SYSCALL (1u << 11)
#define CPUID_81_EDX_NX    (1u << 20)
#define CPUID_81_EDX_PAGE1GB (1u << 26)
#define CPUID_81_EDX_RDTSCP (1u << 27)
#define CPUID_81_EDX_LM    (1u << 29)

#ifndef CPUID_1_ECX_TSC_DEADLINE
#define CPUID_1_ECX_TSC_DEADLINE (1u << 24)
#endif

/* The four registers of leaf/subleaf: out[0..3] = EAX, EBX, ECX, EDX. */
void x86_cpuid(uint32_t leaf, uint32_t subleaf, uint32_t out[4]);
/* The same as CPUID executed on cpu: leaf 1 carries its initial APIC ID in
 * EBX[31:24] (cpu->apic_id). */
struct x86_cpu;
void x86_cpuid_cpu(const struct x86_cpu *cpu, uint32_t leaf, uint32_t subleaf,
                   uint32_t out[4]);

#endif
