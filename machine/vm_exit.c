/* Exit-reason names as Intel SDM Vol. 3, Appendix C ("VMX Basic Exit
 * Reasons") spells them, without the "EXIT_REASON_" prefix. */
#include "machine/vm_exit.h"

#include <stddef.h>

static const char *const vmx_reason_name[EXIT_REASON_MAX] = {
    [0] = "EXCEPTION_NMI",
    [1] = "EXTERNAL_INTERRUPT",
    [2] = "TRIPLE_FAULT",
    [3] = "INIT_SIGNAL",
    [4] = "SIPI",
    [5] = "IO_SMI",
    [6] = "OTHER_SMI",
    [7] = "INTERRUPT_WINDOW",
    [8] = "NMI_WINDOW",
    [9] = "TASK_SWITCH",
    [10] = "CPUID",
    [11] = "GETSEC",
    [12] = "HLT",
    [13] = "INVD",
    [14] = "INVLPG",
    [15] = "RDPMC",
    [16] = "RDTSC",
    [17] = "RSM",
    [18] = "VMCALL",
    [19] = "VMCLEAR",
    [20] = "VMLAUNCH",
    [21] = "VMPTRLD",
    [22] = "VMPTRST",
    [23] = "VMREAD",
    [24] = "VMRESUME",
    [25] = "VMWRITE",
    [26] = "VMXOFF",
    [27] = "VMXON",
    [28] = "CR_ACCESS",
    [29] = "DR_ACCESS",
    [30] = "IO_INSTRUCTION",
    [31] = "RDMSR",
    [32] = "WRMSR",
    [33] = "ENTRY_FAIL_GUEST_STATE",
    [34] = "ENTRY_FAIL_MSR_LOADING",
    [36] = "MWAIT",
    [37] = "MONITOR_TRAP_FLAG",
    [39] = "MONITOR",
    [40] = "PAUSE",
    [41] = "ENTRY_FAIL_MACHINE_CHECK",
    [43] = "TPR_BELOW_THRESHOLD",
    [44] = "APIC_ACCESS",
    [45] = "VIRTUALIZED_EOI",
    [46] = "GDTR_IDTR_ACCESS",
    [47] = "LDTR_TR_ACCESS",
    [48] = "EPT_VIOLATION",
    [49] = "EPT_MISCONFIG",
    [50] = "INVEPT",
    [51] = "RDTSCP",
    [52] = "VMX_PREEMPTION_TIMER",
    [53] = "INVVPID",
    [54] = "WBINVD",
    [55] = "XSETBV",
    [56] = "APIC_WRITE",
    [57] = "RDRAND",
    [58] = "INVPCID",
    [59] = "VMFUNC",
    [60] = "ENCLS",
    [61] = "RDSEED",
    [62] = "PML_FULL",
    [63] = "XSAVES",
    [64] = "XRSTORS",
    [65] = "PCONFIG",
    [66] = "SPP_EVENT",
    [67] = "UMWAIT",
    [68] = "TPAUSE",
    [69] = "LOADIWKEY",
    [70] = "ENCLV",
    [72] = "ENQCMD_PASID_FAILURE",
    [73] = "ENQCMDS_PASID_FAILURE",
    [74] = "BUS_LOCK",
    [75] = "NOTIFY",
    [76] = "SEAMCALL",
    [77] = "TDCALL",
};

const char *vm_exit_reason_name(uint32_t reason)
{
    switch (reason) {
    case EXIT_GLASS_DEBUG: return "GLASS_DEBUG";
    case EXIT_GLASS_STOP: return "GLASS_STOP";
    case EXIT_GLASS_INTERNAL_ERROR: return "GLASS_INTERNAL_ERROR";
    default: break;
    }
    if (reason < EXIT_REASON_MAX && vmx_reason_name[reason])
        return vmx_reason_name[reason];
    return "UNKNOWN";
}
