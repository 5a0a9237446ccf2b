/* The KVM accelerator ("kvm"): the guest runs on the host CPU through
 * /dev/kvm (Documentation/virt/kvm/api.rst), behind the same struct
 * accel_ops as the interpreter.  What other rooms may use:
 *   - accel_kvm, for machine/accel.c's accel_all;
 *   - the state conversions (pure: struct x86_cpu <-> the kvm structs), for
 *     tests and for anyone who needs to read a kvm state dump;
 *   - kvm_stats_read, the in-kernel counters for the debugger's `info exits`;
 *   - kvm_slots, the memory slots for `info ept`;
 *   - kvm_vcpu_kick, to make a vCPU thread inside KVM_RUN look at its flags. */
#ifndef GLASS_VMX_KVM_H
#define GLASS_VMX_KVM_H

#include <linux/kvm.h>
#include <stddef.h>
#include <stdint.h>

#include "cpu/x86_cpu.h"
#include "machine/accel.h"

struct vcpu;
struct machine;

extern const struct accel_ops accel_kvm;

/* --- struct x86_cpu <-> kvm structs (vmx/kvm_state.c), pure --- */

/* GPRs, RIP, RFLAGS (lazy flags folded in, hence not const). */
void kvm_regs_from_cpu(struct x86_cpu *cpu, struct kvm_regs *r);
void kvm_regs_to_cpu(struct x86_cpu *cpu, const struct kvm_regs *r);
/* Segments, GDTR/IDTR, CR0-4/CR8, EFER, APIC base, and the interrupt bitmap
 * (bit n: external interrupt n acknowledged but not yet delivered). */
void kvm_sregs_from_cpu(const struct x86_cpu *cpu, struct kvm_sregs *s);
void kvm_sregs_to_cpu(struct x86_cpu *cpu, const struct kvm_sregs *s);
/* x87/SSE from/to the FXSAVE area (MXCSR_MASK and the reserved bytes of the
 * area are not in kvm_fpu: kvm_fpu_to_cpu leaves them alone). */
void kvm_fpu_from_cpu(const struct x86_cpu *cpu, struct kvm_fpu *f);
void kvm_fpu_to_cpu(struct x86_cpu *cpu, const struct kvm_fpu *f);
/* DR0-3, DR6, DR7. */
void kvm_debugregs_from_cpu(const struct x86_cpu *cpu, struct kvm_debugregs *d);
void kvm_debugregs_to_cpu(struct x86_cpu *cpu, const struct kvm_debugregs *d);
/* Pending/injected event, interrupt shadow, NMI state.  from_cpu fills the
 * flags KVM_SET_VCPU_EVENTS needs to take the shadow and NMI pending. */
void kvm_events_from_cpu(const struct x86_cpu *cpu, struct kvm_vcpu_events *e);
void kvm_events_to_cpu(struct x86_cpu *cpu, const struct kvm_vcpu_events *e);

/* The MSRs moved at the boundary, in a fixed order (SYSENTER_CS/ESP/EIP,
 * STAR, LSTAR, CSTAR, SFMASK, KERNEL_GS_BASE, TSC, PAT, TSC_AUX,
 * MISC_ENABLE).  EFER and FS/GS base travel in kvm_sregs instead. */
#define KVM_GLASS_NMSRS 12
extern const uint32_t kvm_glass_msrs[KVM_GLASS_NMSRS];
/* Fill e[0..KVM_GLASS_NMSRS-1].  The TSC is carried as an offset in
 * x86_cpu and as a value in KVM: value = host_tsc + tsc_offset, where
 * host_tsc is the host TSC read at the moment of the transfer. */
void kvm_msrs_from_cpu(const struct x86_cpu *cpu, uint64_t host_tsc, struct kvm_msr_entry *e);
/* Take the n entries back (any order, unknown indices ignored). */
void kvm_msrs_to_cpu(struct x86_cpu *cpu, uint64_t host_tsc, const struct kvm_msr_entry *e,
                     int n);

/* glass's CPUID model as this vCPU sees it (cpu/cpuid.c x86_cpuid_cpu:
 * leaf 1 carries cpu->apic_id) as KVM_SET_CPUID2 entries: every leaf
 * 0..max basic, 0x40000000, 0x80000000..max extended.  Returns the number
 * of entries written (at most max). */
int kvm_cpuid_from_model(const struct x86_cpu *cpu, struct kvm_cpuid_entry2 *e, int max);

/* --- in-kernel statistics (vmx/kvm_stats.c) --- */

struct kvm_stat_value {
    char name[48];          /* KVM's name: "exits", "io_exits", "halt_exits" ... */
    uint64_t value;         /* histograms: the sum of their buckets */
    uint32_t flags;         /* KVM_STATS_TYPE_* | KVM_STATS_UNIT_* | KVM_STATS_BASE_* */
    int16_t exponent;       /* value * base^exponent in the unit */
};

/* The vCPU's binary statistics (KVM_GET_STATS_FD, api.rst 4.133): up to max
 * values, returns how many, or -ENOTSUP (not on kvm, or the host's KVM has
 * no KVM_CAP_BINARY_STATS_FD), or -errno. */
int kvm_stats_read(struct vcpu *v, struct kvm_stat_value *out, int max);
/* Parse a whole stats file (header, descriptors, data) already read into
 * buf: the pure half of kvm_stats_read.  -EINVAL if it is malformed. */
int kvm_stats_parse(const void *buf, size_t len, struct kvm_stat_value *out, int max);

/* --- memory slots (for `info ept`) --- */

struct kvm_slot_info {
    uint32_t slot;
    uint32_t flags;         /* KVM_MEM_READONLY, KVM_MEM_LOG_DIRTY_PAGES */
    uint64_t gpa, size;
    uint64_t memfd_offset;  /* where the slot's bytes live in the memfd */
    uint64_t host_va;       /* userspace_addr handed to KVM */
};
/* The slots of the machine's VM; how many, or -ENOTSUP when m is not on kvm. */
int kvm_slots(struct machine *m, struct kvm_slot_info *out, int max);

/* Make a vCPU that may be inside KVM_RUN return to glass and look at
 * env.stop_request / env.intr_pending (set them first).  Any thread. */
void kvm_vcpu_kick(struct vcpu *v);

#endif
