/* The architectural state of one x86 CPU: the one truth every accelerator
 * reads and writes at its boundary (see docs/architecture.md). */
#ifndef GLASS_CPU_X86_CPU_H
#define GLASS_CPU_X86_CPU_H

#include <setjmp.h>
#include <stdbool.h>
#include <stdint.h>

/* General-purpose registers in encoding order (ModRM reg/rm + REX). */
enum x86_gpr {
    R_RAX, R_RCX, R_RDX, R_RBX, R_RSP, R_RBP, R_RSI, R_RDI,
    R_R8, R_R9, R_R10, R_R11, R_R12, R_R13, R_R14, R_R15,
};

/* Segment registers in encoding order (ModRM reg of MOV Sreg), then the two
 * system segments, so seg[] indexes by the same numbers. */
enum x86_sreg { S_ES, S_CS, S_SS, S_DS, S_FS, S_GS, S_LDTR, S_TR, S_COUNT };
#define S_NONE 0xff /* "no segment override" in a decoded instruction */

/* A segment register with its hidden descriptor cache (SDM Vol. 3, 3.4.3).
 * Field names follow the descriptor bits, as struct kvm_segment does. */
struct x86_segment {
    uint64_t base;
    uint32_t limit;     /* byte granular: already scaled by G */
    uint16_t selector;
    uint8_t type;       /* 4-bit type field */
    uint8_t s;          /* 1 = code/data, 0 = system */
    uint8_t dpl;
    uint8_t present;
    uint8_t avl;
    uint8_t l;          /* 64-bit code segment */
    uint8_t db;         /* default operation size / big */
    uint8_t g;
    uint8_t unusable;   /* null selector loaded (VMX "unusable") */
};

struct x86_dtable {
    uint64_t base;
    uint16_t limit;
};

/* RFLAGS bits (SDM Vol. 1, 3.4.3). */
#define FL_CF   (1u << 0)
#define FL_FIXED1 (1u << 1)
#define FL_PF   (1u << 2)
#define FL_AF   (1u << 4)
#define FL_ZF   (1u << 6)
#define FL_SF   (1u << 7)
#define FL_TF   (1u << 8)
#define FL_IF   (1u << 9)
#define FL_DF   (1u << 10)
#define FL_OF   (1u << 11)
#define FL_IOPL (3u << 12)
#define FL_NT   (1u << 14)
#define FL_RF   (1u << 16)
#define FL_VM   (1u << 17)
#define FL_AC   (1u << 18)
#define FL_VIF  (1u << 19)
#define FL_VIP  (1u << 20)
#define FL_ID   (1u << 21)
#define FL_STATUS (FL_CF | FL_PF | FL_AF | FL_ZF | FL_SF | FL_OF)

/* Control register bits (SDM Vol. 3, 2.5). */
#define CR0_PE (1u << 0)
#define CR0_MP (1u << 1)
#define CR0_EM (1u << 2)
#define CR0_TS (1u << 3)
#define CR0_ET (1u << 4)
#define CR0_NE (1u << 5)
#define CR0_WP (1u << 16)
#define CR0_AM (1u << 18)
#define CR0_NW (1u << 29)
#define CR0_CD (1u << 30)
#define CR0_PG (1u << 31)
#define CR4_VME (1u << 0)
#define CR4_PVI (1u << 1)
#define CR4_TSD (1u << 2)
#define CR4_DE  (1u << 3)
#define CR4_PSE (1u << 4)
#define CR4_PAE (1u << 5)
#define CR4_MCE (1u << 6)
#define CR4_PGE (1u << 7)
#define CR4_PCE (1u << 8)
#define CR4_OSFXSR (1u << 9)
#define CR4_OSXMMEXCPT (1u << 10)
#define CR4_UMIP (1u << 11)
#define CR4_FSGSBASE (1u << 16)
#define CR4_PCIDE (1u << 17)
#define CR4_OSXSAVE (1u << 18)
#define CR4_SMEP (1u << 20)
#define CR4_SMAP (1u << 21)
#define EFER_SCE (1u << 0)
#define EFER_LME (1u << 8)
#define EFER_LMA (1u << 10)
#define EFER_NXE (1u << 11)

/* Exception vectors (SDM Vol. 3, 6.3.1). */
enum x86_vector {
    X86_DE = 0, X86_DB = 1, X86_NMI = 2, X86_BP = 3, X86_OF = 4, X86_BR = 5,
    X86_UD = 6, X86_NM = 7, X86_DF = 8, X86_TS = 10, X86_NP = 11, X86_SS = 12,
    X86_GP = 13, X86_PF = 14, X86_MF = 16, X86_AC = 17, X86_MC = 18,
    X86_XM = 19,
};
#define X86_NO_ERRCODE 0xffffffffu

/* Page-fault error code bits (SDM Vol. 3, 4.7). */
#define PFEC_P    (1u << 0)
#define PFEC_W    (1u << 1)
#define PFEC_U    (1u << 2)
#define PFEC_RSVD (1u << 3)
#define PFEC_I    (1u << 4)

/* MSR numbers glass models (SDM Vol. 4). */
#define MSR_IA32_TSC            0x10
#define MSR_IA32_APIC_BASE      0x1b
#define MSR_IA32_FEATURE_CONTROL 0x3a
#define MSR_IA32_TSC_ADJUST     0x3b
#define MSR_IA32_BIOS_SIGN_ID   0x8b
#define MSR_IA32_MTRRCAP        0xfe
#define MSR_IA32_SYSENTER_CS    0x174
#define MSR_IA32_SYSENTER_ESP   0x175
#define MSR_IA32_SYSENTER_EIP   0x176
#define MSR_IA32_MCG_CAP        0x179
#define MSR_IA32_MCG_STATUS     0x17a
#define MSR_IA32_MISC_ENABLE    0x1a0
#define MSR_IA32_PAT            0x277
#define MSR_IA32_MTRR_DEF_TYPE  0x2ff
#define MSR_IA32_TSC_DEADLINE   0x6e0
#define MSR_EFER                0xc0000080
#define MSR_STAR                0xc0000081
#define MSR_LSTAR               0xc0000082
#define MSR_CSTAR               0xc0000083
#define MSR_SFMASK              0xc0000084
#define MSR_FS_BASE             0xc0000100
#define MSR_GS_BASE             0xc0000101
#define MSR_KERNEL_GS_BASE      0xc0000102
#define MSR_TSC_AUX             0xc0000103

/* The MSRs glass models, other than those held elsewhere in x86_cpu
 * (EFER, FS/GS base live in efer and seg[]). */
struct x86_msrs {
    uint64_t sysenter_cs, sysenter_esp, sysenter_eip;
    uint64_t star, lstar, cstar, sfmask, kernel_gs_base;
    uint64_t tsc_aux;
    uint64_t pat;
    uint64_t apic_base;
    uint64_t misc_enable;
    uint64_t mtrr_def_type;
    uint64_t tsc_deadline;
};

/* An event waiting to be delivered (exception, interrupt, NMI). */
enum x86_event_type {
    EV_NONE = 0,
    EV_EXTINT,      /* external interrupt (maskable, from the PIC/LAPIC) */
    EV_NMI,
    EV_HW_EXCEPTION,/* fault or trap raised by an instruction */
    EV_SOFT_INT,    /* INT n */
    EV_SOFT_EXCEPTION, /* INT3, INTO */
    EV_PRIV_SOFT_EXCEPTION, /* INT1 (ICEBP) */
};

struct x86_event {
    uint8_t type;       /* enum x86_event_type */
    uint8_t vector;
    uint8_t has_error;
    uint32_t error_code;
};

/* Lazy arithmetic flags: the interpreter records the last flag-setting
 * operation and computes CF..OF only when something reads them.  Accelerators
 * other than the interpreter leave op == LF_NONE, and then rflags holds every
 * flag.  Always read RFLAGS through x86_get_rflags(). */
struct x86_lazy_flags {
    uint64_t res;       /* result */
    uint64_t src1;      /* first operand */
    uint64_t src2;      /* second operand (or carry-in, shift count ...) */
    uint8_t op;         /* enum lazy_op in cpu/flags.h; 0 = LF_NONE */
    uint8_t size;       /* operand size in bytes */
};

struct vm_exit;

/* How the CPU reaches the world outside it.  Not architectural state: it is
 * wired by machine/ and never saved in a snapshot. */
struct x86_cpu_env {
    struct memmap *mem;   /* guest-physical memory map (mem/memmap.h) */
    struct ept *ept;      /* software EPT built from the map (mem/ept.h) */
    struct tlb *tlb;      /* this vCPU's software TLB (mem/tlb.h) */
    /* Report a VM exit (I/O, MMIO, ...) to machine/ and let it answer it
     * synchronously; returns 0, or negative to stop the vCPU. */
    int (*exit)(void *opaque, struct vm_exit *e);
    /* Interrupt acknowledge: the vector of the highest pending external
     * interrupt, or -1 if none is pending any more. */
    int (*intr_ack)(void *opaque);
    void *opaque;
    /* Set (from any thread) when an external interrupt may be pending or the
     * vCPU must stop; the interpreter polls it between instructions. */
    volatile int intr_pending;
    volatile int stop_request;
    /* Zeroed by x86_kick whenever one of the two above is set: the budget
     * the binary translator's blocks compare with at their entry and at a
     * loop's back edge (translate/bt_run.c), so translated code that never
     * returns to the dispatcher still notices; NULL when no translator
     * runs this vCPU. */
    uint64_t *volatile kick;
    /* The local APIC's share of the CPU (NULL: no LAPIC).  msr_hook sees
     * RDMSR before cpu/msr.c and WRMSR after cpu/msr.c accepted the value;
     * it returns 0 (handled: for a read *val is the value), 1 (not mine:
     * cpu/msr.c's answer stands) or -1 (#GP).  cr8_hook is MOV to/from CR8
     * (the TPR's bits 7:4, SDM 10.8.6.1): write passes *val, read fills it. */
    int (*msr_hook)(void *opaque, uint32_t msr, uint64_t *val, int write);
    void (*cr8_hook)(void *opaque, uint64_t *val, int write);
};

struct x86_cpu {
    uint64_t gpr[16];
    uint64_t rip;
    uint64_t rflags;                /* see lazy below */
    struct x86_segment seg[S_COUNT];/* ES CS SS DS FS GS LDTR TR */
    struct x86_dtable gdtr, idtr;
    uint64_t cr0, cr2, cr3, cr4, cr8;
    uint64_t efer;
    uint64_t dr[8];                 /* DR4/DR5 unused (aliases of 6/7) */
    struct x86_msrs msr;
    int64_t tsc_offset;             /* guest TSC = host TSC + tsc_offset */
    uint8_t fxsave[512] __attribute__((aligned(16))); /* x87/SSE, FXSAVE layout */

    /* Interrupt shadow after STI / MOV SS / POP SS (SDM Vol. 3, 6.8.3):
     * nonzero blocks external interrupts and debug traps for one instruction. */
    uint8_t interrupt_shadow;
    uint8_t halted;                 /* HLT executed, waiting for an interrupt */
    uint8_t nmi_pending;
    uint8_t nmi_blocked;            /* between NMI delivery and IRET */
    uint8_t shutdown;               /* triple fault happened */
    uint8_t cpl;                    /* current privilege level, cached */
    uint32_t apic_id;               /* initial APIC ID (CPUID.1 EBX[31:24]),
                                       set by machine/ per vCPU; kept by INIT */
    struct x86_event pending;       /* event being / to be delivered */

    struct x86_lazy_flags lazy;     /* interpreter only; see x86_get_rflags */

    /* --- not architectural below this line --- */
    struct x86_cpu_env env;
    jmp_buf *fault_jmp;             /* where x86_raise() longjmps to */
    uint64_t insn_count;            /* instructions retired (statistics) */
    /* Events raised by instructions (faults, INT n) and delivered by the
     * run loops, each taking one unit of their budget (run_deliver_raised,
     * cpu/run_checks.h). */
    uint64_t fault_count;
};

/* RFLAGS with the lazy arithmetic flags folded in (cpu/flags.c). */
uint64_t x86_get_rflags(struct x86_cpu *cpu);
/* Set RFLAGS exactly (clears the lazy state). */
void x86_set_rflags(struct x86_cpu *cpu, uint64_t rflags);

/* Put the CPU in its power-on / INIT state (SDM Vol. 3, 10.1.1, Table 10-1):
 * real mode, CS:IP = F000:FFF0 with CS.base FFFF0000. */
void x86_cpu_reset(struct x86_cpu *cpu);

/* Mode queries used everywhere. */
static inline bool x86_long_mode(const struct x86_cpu *cpu)
{
    return (cpu->efer & EFER_LMA) != 0;
}
static inline bool x86_code64(const struct x86_cpu *cpu)
{
    return x86_long_mode(cpu) && cpu->seg[S_CS].l;
}
static inline bool x86_protected(const struct x86_cpu *cpu)
{
    return (cpu->cr0 & CR0_PE) != 0;
}
static inline bool x86_vm86(const struct x86_cpu *cpu)
{
    return (cpu->rflags & FL_VM) != 0;
}
/* Code size in bits: 16, 32 or 64 (what the decoder needs). */
static inline int x86_code_bits(const struct x86_cpu *cpu)
{
    if (x86_code64(cpu))
        return 64;
    if (!x86_protected(cpu) || x86_vm86(cpu))
        return 16;
    return cpu->seg[S_CS].db ? 32 : 16;
}

/* intr_pending or stop_request was just set: make a running translated
 * loop look (env.kick). */
static inline void x86_kick(struct x86_cpu *cpu)
{
    uint64_t *k = cpu->env.kick;
    if (k)
        *(volatile uint64_t *)k = 0;
}

/* Make the vCPU's run() return soon (any thread). */
static inline void x86_request_stop(struct x86_cpu *cpu)
{
    cpu->env.stop_request = 1;
    x86_kick(cpu);
}

#endif
