/* What the files of vmx/ share and nobody else needs: the VM and the
 * per-vCPU state of the kvm accelerator. */
#ifndef GLASS_VMX_KVM_INTERNAL_H
#define GLASS_VMX_KVM_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "mem/memmap.h"
#include "vmx/kvm.h"

/* Where KVM on Intel keeps the pages it needs to run real mode without
 * unrestricted guest (api.rst 4.41 KVM_SET_TSS_ADDR: three pages; 4.57
 * KVM_SET_IDENTITY_MAP_ADDR: one page).  Just below the top 256 KiB of the
 * 4 GiB space (where a BIOS ROM would go) and inside the PCI hole, so no
 * RAM region of the board can sit there. */
#define KVM_IDENTITY_MAP_ADDR 0xfffbc000ull
#define KVM_TSS_ADDR          0xfffbd000ull
#define KVM_RESERVED_END      0xfffc0000ull

/* The VM: one per machine. */
struct kvm_vm {
    struct machine *m;
    int kvm_fd;             /* /dev/kvm */
    int vm_fd;
    int run_size;           /* KVM_GET_VCPU_MMAP_SIZE */
    bool has_readonly_mem, has_sync_regs, has_debugregs, has_stats;
    bool dirty_logging;     /* KVM_MEM_LOG_DIRTY_PAGES on the RAM slots */
    int nslots;
    struct kvm_slot_info slot[MEMMAP_MAX_REGIONS];
};

/* One vCPU, in struct vcpu.accel_state. */
struct kvm_vcpu_state {
    struct kvm_vm *vm;
    int fd;
    struct kvm_run *run;    /* mmap of the vCPU fd, run_size bytes */
    int stats_fd;           /* KVM_GET_STATS_FD, opened on first use; -1 */
    bool halted;            /* after KVM_EXIT_HLT until an interrupt wakes it */
    bool shutdown;          /* after KVM_EXIT_SHUTDOWN until state_in */
    bool halt_if;           /* RFLAGS.IF while halted: may an interrupt wake it */
    /* MSRs of kvm_glass_msrs this host's KVM refused (bit i): skipped. */
    uint32_t msr_refused;
    char message[320];      /* what vm_exit.error.message points to */
};

/* /dev/kvm opened read/write at API version 12, or -1 with why filled
 * ("/dev/kvm missing", "... not accessible ..."). */
int kvm_open_dev(char *why, size_t len);
/* How many of the capabilities glass needs the host lacks; their names in
 * why ("lacks KVM_CAP_IMMEDIATE_EXIT, ..."). */
int kvm_missing_caps(int kvm_fd, char *why, size_t len);
/* accel_ops.run (vmx/kvm_run.c). */
int kvm_vcpu_run(struct vcpu *v, struct vm_exit *exit);

#endif
