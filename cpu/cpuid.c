/* The CPUID model of glass (SDM Vol. 2, CPUID).
 *
 * Vendor "GlassVirtCPU": no real vendor's string, so no guest applies a real
 * part's errata workarounds to glass.  Family 6 model 1 stepping 0.  The
 * feature bits are exactly what the interpreter implements; notably absent
 * for now: x87 FPU, MMX, SSE*, FXSR, XSAVE (x87/SSE come later), VME, MCE/
 * MCA, MTRR, PSE-36, x2APIC, PCID, SMEP/SMAP, RDRAND.  Every vCPU has a
 * local APIC (devices/lapic.c) with the TSC-deadline timer; CPUID.1
 * EBX[31:24] is the vCPU's initial APIC ID (x86_cpuid_cpu).
 * Leaf 0x40000000 carries the hypervisor signature "glass".
 * A leaf beyond the maximum returns zeros (real Intel parts repeat the
 * highest basic leaf instead). */
#include "cpu/cpuid.h"
#include "cpu/x86_cpu.h"

#include <string.h>

static const uint32_t leaf1_ecx = CPUID_1_ECX_CX16 | CPUID_1_ECX_MOVBE
    | CPUID_1_ECX_POPCNT | CPUID_1_ECX_HYPERVISOR | CPUID_1_ECX_TSC_DEADLINE;
static const uint32_t leaf1_edx = CPUID_1_EDX_APIC | CPUID_1_EDX_DE | CPUID_1_EDX_PSE | CPUID_1_EDX_TSC
    | CPUID_1_EDX_MSR | CPUID_1_EDX_PAE | CPUID_1_EDX_CX8 | CPUID_1_EDX_SEP
    | CPUID_1_EDX_PGE | CPUID_1_EDX_CMOV | CPUID_1_EDX_PAT | CPUID_1_EDX_CLFSH;
/* BMI1 is set for TZCNT; ANDN/BEXTR/BLS* (VEX-encoded) are not decoded yet. */
static const uint32_t leaf7_ebx = CPUID_7_EBX_FSGSBASE | CPUID_7_EBX_BMI1;
static const uint32_t leaf7_ecx = CPUID_7_ECX_UMIP;
static const uint32_t ext1_ecx = CPUID_81_ECX_LAHF_LM | CPUID_81_ECX_ABM;
static const uint32_t ext1_edx = CPUID_81_EDX_SYSCALL | CPUID_81_EDX_NX
    | CPUID_81_EDX_PAGE1GB | CPUID_81_EDX_RDTSCP | CPUID_81_EDX_LM;

static const char brand[48] = "Glass virtual x86-64 CPU";

/* Four characters of a string as a little-endian register. */
static uint32_t str4(const char *s)
{
    uint32_t v;
    memcpy(&v, s, 4);
    return v;
}

void x86_cpuid(uint32_t leaf, uint32_t subleaf, uint32_t out[4])
{
    out[0] = out[1] = out[2] = out[3] = 0;
    switch (leaf) {
    case 0:
        out[0] = GLASS_CPUID_MAX_BASIC;
        out[1] = str4(GLASS_CPUID_VENDOR);
        out[3] = str4(GLASS_CPUID_VENDOR + 4);
        out[2] = str4(GLASS_CPUID_VENDOR + 8);
        break;
    case 1:
        out[0] = GLASS_CPUID_SIGNATURE;
        /* CLFLUSH line size 8 * 8 = 64 bytes, 1 logical processor, APIC
         * ID 0 (bits 31:24). */
        out[1] = (8u << 8) | (1u << 16);
        out[2] = leaf1_ecx;
        out[3] = leaf1_edx;
        break;
    case 7:
        if (subleaf == 0) {
            out[1] = leaf7_ebx;
            out[2] = leaf7_ecx;
        }
        break;
    case 0x40000000: {
        char sig[12] = GLASS_CPUID_HV_SIGNATURE;
        out[0] = 0x40000000;
        out[1] = str4(sig);
        out[2] = str4(sig + 4);
        out[3] = str4(sig + 8);
        break;
    }
    case 0x80000000:
        out[0] = GLASS_CPUID_MAX_EXT;
        break;
    case 0x80000001:
        out[2] = ext1_ecx;
        out[3] = ext1_edx;
        break;
    case 0x80000002: case 0x80000003: case 0x80000004: {
        const char *p = brand + (leaf - 0x80000002) * 16;
        for (int i = 0; i < 4; i++)
            out[i] = str4(p + 4 * i);
        break;
    }
    case 0x80000008:
        out[0] = GLASS_PHYS_ADDR_BITS | (GLASS_LIN_ADDR_BITS << 8);
        break;
    default:
        break;
    }
}

void x86_cpuid_cpu(const struct x86_cpu *cpu, uint32_t leaf, uint32_t subleaf, uint32_t out[4])
{
    x86_cpuid(leaf, subleaf, out);
    if (leaf == 1)
        out[1] = (out[1] & 0x00ffffffu) | (cpu->apic_id << 24);
}
