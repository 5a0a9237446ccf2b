/* RDMSR/WRMSR semantics of the MSRs glass models (SDM Vol. 4, ch. 2, and
 * Vol. 3 for EFER, PAT, SYSENTER, SYSCALL).  Unknown MSRs fault with #GP(0),
 * as on hardware, so a guest probing for features learns the truth. */
#include "cpu/msr.h"

#include <time.h>

#include "cpu/cpuid.h"
#include "cpu/mmu.h"
#include "cpu/seg.h"

uint64_t x86_host_tsc(void)
{
#if defined(__x86_64__) || defined(__i386__)
    return __builtin_ia32_rdtsc();
#else
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
#endif
}

uint64_t x86_guest_tsc(const struct x86_cpu *cpu)
{
    return x86_host_tsc() + (uint64_t)cpu->tsc_offset;
}

/* PAT entries must each be a valid memory type: UC, WC, WT, WP, WB, UC-
 * (SDM Vol. 3, 13.12.2). */
static bool pat_valid(uint64_t pat)
{
    for (int i = 0; i < 8; i++) {
        unsigned t = (pat >> (8 * i)) & 0xff;
        if (t == 2 || t == 3 || t > 7)
            return false;
    }
    return true;
}

static const uint64_t phys_mask = (1ull << GLASS_PHYS_ADDR_BITS) - 1;

static int msr_read_arch(struct x86_cpu *cpu, uint32_t index, uint64_t *val)
{
    struct x86_msrs *m = &cpu->msr;
    switch (index) {
    case MSR_IA32_TSC:            *val = x86_guest_tsc(cpu); return 0;
    case MSR_IA32_APIC_BASE:      *val = m->apic_base; return 0;
    case MSR_IA32_FEATURE_CONTROL: *val = 1; return 0; /* locked, VMX off */
    case MSR_IA32_TSC_ADJUST:     *val = 0; return 0;
    case MSR_IA32_BIOS_SIGN_ID:   *val = 0; return 0; /* no microcode */
    case MSR_IA32_MTRRCAP:        *val = 0; return 0; /* no MTRRs */
    case MSR_IA32_SYSENTER_CS:    *val = m->sysenter_cs; return 0;
    case MSR_IA32_SYSENTER_ESP:   *val = m->sysenter_esp; return 0;
    case MSR_IA32_SYSENTER_EIP:   *val = m->sysenter_eip; return 0;
    case MSR_IA32_MCG_CAP:        *val = 0; return 0;
    case MSR_IA32_MCG_STATUS:     *val = 0; return 0;
    case MSR_IA32_MISC_ENABLE:    *val = m->misc_enable; return 0;
    case MSR_IA32_PAT:            *val = m->pat; return 0;
    case MSR_IA32_MTRR_DEF_TYPE:  *val = m->mtrr_def_type; return 0;
    case MSR_IA32_TSC_DEADLINE:   *val = m->tsc_deadline; return 0;
    case MSR_EFER:                *val = cpu->efer; return 0;
    case MSR_STAR:                *val = m->star; return 0;
    case MSR_LSTAR:               *val = m->lstar; return 0;
    case MSR_CSTAR:               *val = m->cstar; return 0;
    case MSR_SFMASK:              *val = m->sfmask; return 0;
    case MSR_FS_BASE:             *val = cpu->seg[S_FS].base; return 0;
    case MSR_GS_BASE:             *val = cpu->seg[S_GS].base; return 0;
    case MSR_KERNEL_GS_BASE:      *val = m->kernel_gs_base; return 0;
    case MSR_TSC_AUX:             *val = m->tsc_aux; return 0;
    default:                      return -1;
    }
}

/* WRMSR to EFER (SDM Vol. 3, 2.2.1 and 10.8.5): reserved bits #GP; LME may
 * not change while paging is on; LMA keeps its value. */
static int write_efer(struct x86_cpu *cpu, uint64_t val)
{
    if (val & ~(uint64_t)(EFER_WRITABLE | EFER_LMA))
        return -1;
    if ((cpu->cr0 & CR0_PG) && ((val ^ cpu->efer) & EFER_LME))
        return -1;
    uint64_t old = cpu->efer;
    cpu->efer = (val & EFER_WRITABLE) | (old & EFER_LMA);
    if ((old ^ cpu->efer) & EFER_NXE)
        x86_tlb_flush(cpu, 1);
    return 0;
}

static int msr_write_arch(struct x86_cpu *cpu, uint32_t index, uint64_t val)
{
    struct x86_msrs *m = &cpu->msr;
    switch (index) {
    case MSR_IA32_TSC:
        cpu->tsc_offset = (int64_t)(val - x86_host_tsc());
        return 0;
    case MSR_IA32_APIC_BASE:
        /* BSP (bit 8) is read-only; bits 10 (x2APIC) and 0-7, 9 reserved. */
        if (val & ~(MSR_APIC_BASE_ENABLE | MSR_APIC_BASE_BSP | (phys_mask & ~0xfffull)))
            return -1;
        m->apic_base = (val & ~MSR_APIC_BASE_BSP) | (m->apic_base & MSR_APIC_BASE_BSP);
        return 0;
    case MSR_IA32_TSC_ADJUST:
    case MSR_IA32_MCG_STATUS:
    case MSR_IA32_BIOS_SIGN_ID:
        return val == 0 || index == MSR_IA32_BIOS_SIGN_ID ? 0 : -1;
    case MSR_IA32_SYSENTER_CS:
        m->sysenter_cs = val & 0xffffffffull;
        return 0;
    case MSR_IA32_SYSENTER_ESP:
    case MSR_IA32_SYSENTER_EIP:
        if (!x86_canonical(val))
            return -1;
        if (index == MSR_IA32_SYSENTER_ESP)
            m->sysenter_esp = val;
        else
            m->sysenter_eip = val;
        return 0;
    case MSR_IA32_MISC_ENABLE:
        m->misc_enable = val;
        return 0;
    case MSR_IA32_PAT:
        if (!pat_valid(val))
            return -1;
        m->pat = val;
        return 0;
    case MSR_IA32_MTRR_DEF_TYPE:
        if (val & ~0xcffull)
            return -1;
        m->mtrr_def_type = val;
        return 0;
    case MSR_IA32_TSC_DEADLINE:
        m->tsc_deadline = val;
        return 0;
    case MSR_EFER:
        return write_efer(cpu, val);
    case MSR_STAR:
        m->star = val;
        return 0;
    case MSR_LSTAR:
    case MSR_CSTAR:
    case MSR_FS_BASE:
    case MSR_GS_BASE:
    case MSR_KERNEL_GS_BASE:
        if (!x86_canonical(val))
            return -1;
        if (index == MSR_LSTAR) m->lstar = val;
        else if (index == MSR_CSTAR) m->cstar = val;
        else if (index == MSR_FS_BASE) cpu->seg[S_FS].base = val;
        else if (index == MSR_GS_BASE) cpu->seg[S_GS].base = val;
        else m->kernel_gs_base = val;
        return 0;
    case MSR_SFMASK:
        if (val >> 32)
            return -1;
        m->sfmask = val;
        return 0;
    case MSR_TSC_AUX:
        if (val >> 32)
            return -1;
        m->tsc_aux = val;
        return 0;
    default:
        return -1;
    }
}

/* The local APIC owns IA32_APIC_BASE's effect and IA32_TSC_DEADLINE: the
 * board's hook (env.msr_hook) answers reads first and hears every write
 * cpu/msr.c accepted, so the checks of reserved bits stay here, in one
 * place, and the LAPIC sees only legal values. */
int x86_msr_read(struct x86_cpu *cpu, uint32_t index, uint64_t *val)
{
    if (cpu->env.msr_hook) {
        int r = cpu->env.msr_hook(cpu->env.opaque, index, val, 0);
        if (r <= 0)
            return r;
    }
    return msr_read_arch(cpu, index, val);
}

int x86_msr_write(struct x86_cpu *cpu, uint32_t index, uint64_t val)
{
    if (msr_write_arch(cpu, index, val) < 0)
        return -1;
    if (cpu->env.msr_hook) {
        uint64_t v = index == MSR_IA32_APIC_BASE ? cpu->msr.apic_base : val;
        if (cpu->env.msr_hook(cpu->env.opaque, index, &v, 1) < 0)
            return -1;
    }
    return 0;
}
