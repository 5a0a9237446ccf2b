/* A VM exit: why an accelerator stopped running guest code and what the
 * outside world must do about it.  Reasons carry the VMX basic exit-reason
 * numbers (Intel SDM Vol. 3, Appendix C) whichever accelerator ran, so what a
 * student sees in glass is what the manual says. */
#ifndef GLASS_MACHINE_VM_EXIT_H
#define GLASS_MACHINE_VM_EXIT_H

#include <stdint.h>

enum vm_exit_reason {
    EXIT_EXCEPTION_NMI = 0,
    EXIT_EXTERNAL_INTERRUPT = 1,
    EXIT_TRIPLE_FAULT = 2,
    EXIT_INIT_SIGNAL = 3,
    EXIT_SIPI = 4,
    EXIT_INTERRUPT_WINDOW = 7,
    EXIT_NMI_WINDOW = 8,
    EXIT_TASK_SWITCH = 9,
    EXIT_CPUID = 10,
    EXIT_HLT = 12,
    EXIT_INVLPG = 14,
    EXIT_RDTSC = 16,
    EXIT_VMCALL = 18,
    EXIT_CR_ACCESS = 28,
    EXIT_DR_ACCESS = 29,
    EXIT_IO_INSTRUCTION = 30,
    EXIT_RDMSR = 31,
    EXIT_WRMSR = 32,
    EXIT_ENTRY_FAIL_GUEST_STATE = 33,
    EXIT_MONITOR_TRAP_FLAG = 37,
    EXIT_PAUSE = 40,
    EXIT_APIC_ACCESS = 44,
    EXIT_GDTR_IDTR_ACCESS = 46,
    EXIT_LDTR_TR_ACCESS = 47,
    EXIT_EPT_VIOLATION = 48,
    EXIT_EPT_MISCONFIG = 49,
    EXIT_RDTSCP = 51,
    EXIT_XSETBV = 55,
    EXIT_REASON_MAX = 80,
    /* Not VMX reasons: glass's own, numbered above every VMX one. */
    EXIT_GLASS_DEBUG = 1000,   /* breakpoint, watchpoint or single step */
    EXIT_GLASS_STOP,           /* stop requested (debugger, Ctrl-C, quit) */
    EXIT_GLASS_INTERNAL_ERROR, /* accelerator failure, see message */
};

/* The VMX name of a reason ("IO_INSTRUCTION"), or "UNKNOWN". */
const char *vm_exit_reason_name(uint32_t reason);

struct vm_exit {
    uint32_t reason;        /* enum vm_exit_reason */
    uint32_t vcpu;          /* index of the vCPU that exited */
    uint64_t rip;           /* guest RIP of the instruction */
    union {
        struct {            /* EXIT_IO_INSTRUCTION */
            uint16_t port;
            uint8_t size;   /* 1, 2 or 4 */
            uint8_t in;     /* 1 = IN/INS: machine/ fills data */
            uint32_t data;
        } io;
        struct {            /* EXIT_EPT_VIOLATION for MMIO */
            uint64_t gpa;
            uint8_t size;   /* 1, 2, 4 or 8 */
            uint8_t write;  /* 0 = read: machine/ fills data */
            uint64_t data;
        } mmio;
        struct {            /* EXIT_EXCEPTION_NMI */
            uint8_t vector;
            uint32_t error_code;
        } exc;
        struct {            /* EXIT_CR_ACCESS, EXIT_RDMSR, EXIT_WRMSR */
            uint32_t index; /* CR number or MSR number */
            uint64_t value;
        } reg;
        struct {            /* EXIT_GLASS_INTERNAL_ERROR */
            const char *message;
        } error;
    };
};

#endif
