/* The "-accel auto" decision: which accelerator is fastest on this host,
 * and one line saying why.  Split in two so the decision is a pure
 * function of facts a unit test can fake (tests/unit/test_host_probe.c):
 *   host_probe_gather  reads /dev/kvm, /proc/cpuinfo, /sys/module and may
 *                      calibrate KVM with a tiny throwaway guest;
 *   host_probe_decide  facts -> { accelerator, reason }. */
#ifndef GLASS_VMX_HOST_PROBE_H
#define GLASS_VMX_HOST_PROBE_H

#include <stdbool.h>
#include <stddef.h>

/* Ring-0 speed below which a /dev/kvm is taken for an emulator, not for
 * VT-x/AMD-V: hardware runs the calibration loop at hundreds of millions
 * of instructions a second, PVM's in-kernel emulation at about 2 million. */
#define HOST_KVM_SLOW_IPS 20e6

struct host_facts {
    bool kvm_present;           /* /dev/kvm exists */
    bool kvm_accessible;        /* opened read/write */
    int kvm_api_version;        /* KVM_GET_API_VERSION; 0 when not asked */
    char kvm_missing[160];      /* "lacks KVM_CAP_X, ..." or "" */
    bool cpu_vmx, cpu_svm;      /* /proc/cpuinfo flags: VT-x, AMD-V */
    bool cpu_hypervisor;        /* /proc/cpuinfo flag: we are a guest */
    bool kvm_is_pvm;            /* the kvm module is PVM (pagetable-based) */
    char pvm_evidence[80];      /* what said so: "/sys/module/kvm_pvm" ... */
    double calib_ips;           /* ring-0 instructions/s measured; 0: not run */
    char calib_error[120];      /* the calibration guest failed: why; "" */
    bool has_bt;                /* the translator is built */
};

struct host_decision {
    const char *accel;          /* "kvm", "bt" or "interp" */
    char reason[240];           /* one line, e.g. "kvm: /dev/kvm missing, using interp" */
};

/* Pure: the facts -> the choice. */
void host_probe_decide(const struct host_facts *f, struct host_decision *d);

/* Look at this host.  calibrate: also run the tiny guest when /dev/kvm is
 * otherwise usable (a few milliseconds).  Always fills f. */
void host_probe_gather(struct host_facts *f, bool calibrate);

/* Both, for accel_choose("auto"): returns the accelerator's name and
 * writes the reason line.  GLASS_KVM_CALIBRATE=0 skips the calibration. */
const char *host_probe_auto(char *reason, size_t len);

/* vmx/kvm_calibrate.c: run `mov ecx, n; 1: dec ecx; jnz 1b; hlt` in 32-bit
 * ring 0 (no paging) in a throwaway VM on the open /dev/kvm fd and measure
 * instructions per second.  0 and *ips, or -1 with why. */
int kvm_calibrate(int kvm_fd, double *ips, char *why, size_t len);

#endif
