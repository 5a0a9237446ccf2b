/* The "-accel auto" decision (see host_probe.h). */
#include "vmx/host_probe.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <linux/kvm.h>

#include "machine/accel.h"
#include "vmx/kvm_internal.h"

/* "2.1" below 10 M, "850" above: the order of magnitude is the point. */
static void format_mips(double ips, char *buf, size_t len)
{
    double m = ips / 1e6;
    snprintf(buf, len, m < 10 ? "%.1f" : "%.0f", m);
}

void host_probe_decide(const struct host_facts *f, struct host_decision *d)
{
    const char *fallback = f->has_bt ? "bt" : "interp";
    char mips[32] = "";
    if (f->calib_ips > 0)
        format_mips(f->calib_ips, mips, sizeof(mips));
    d->accel = fallback;

    if (!f->kvm_present) {
        snprintf(d->reason, sizeof(d->reason), "kvm: /dev/kvm missing, using %s", fallback);
    } else if (!f->kvm_accessible) {
        snprintf(d->reason, sizeof(d->reason), "kvm: /dev/kvm not accessible (no read/write "
                 "permission; group kvm?), using %s", fallback);
    } else if (f->kvm_api_version != KVM_API_VERSION) {
        snprintf(d->reason, sizeof(d->reason), "kvm: /dev/kvm speaks API version %d, glass "
                 "needs %d, using %s", f->kvm_api_version, KVM_API_VERSION, fallback);
    } else if (f->kvm_missing[0]) {
        snprintf(d->reason, sizeof(d->reason), "kvm: /dev/kvm %s, using %s", f->kvm_missing,
                 fallback);
    } else if (f->kvm_is_pvm) {
        /* PVM runs only 64-bit ring-3 code natively; a guest kernel would
         * run at the speed of its in-kernel emulator. */
        if (mips[0])
            snprintf(d->reason, sizeof(d->reason), "kvm: /dev/kvm is PVM-emulated (ring 0 at "
                     "~%s M instr/s), using %s", mips, fallback);
        else
            snprintf(d->reason, sizeof(d->reason), "kvm: /dev/kvm is PVM-emulated (%s; ring 0 "
                     "runs at a few M instr/s), using %s", f->pvm_evidence, fallback);
    } else if (f->calib_error[0]) {
        snprintf(d->reason, sizeof(d->reason), "kvm: the calibration guest failed (%s), "
                 "using %s", f->calib_error, fallback);
    } else if (f->calib_ips > 0 && f->calib_ips < HOST_KVM_SLOW_IPS) {
        snprintf(d->reason, sizeof(d->reason), "kvm: /dev/kvm is slow (ring 0 at ~%s M "
                 "instr/s: emulated, not VT-x/AMD-V), using %s", mips, fallback);
    } else if (f->calib_ips <= 0 && !f->cpu_vmx && !f->cpu_svm) {
        snprintf(d->reason, sizeof(d->reason), "kvm: /dev/kvm without VT-x/AMD-V (no vmx or "
                 "svm cpu flag%s), using %s", f->cpu_hypervisor ? ", under a hypervisor" : "",
                 fallback);
    } else {
        const char *hw = f->cpu_vmx ? "VT-x" : f->cpu_svm ? "AMD-V" : "hardware virtualization";
        d->accel = "kvm";
        if (mips[0])
            snprintf(d->reason, sizeof(d->reason), "kvm: /dev/kvm works with %s (ring 0 at ~%s "
                     "M instr/s), using kvm", hw, mips);
        else
            snprintf(d->reason, sizeof(d->reason), "kvm: /dev/kvm works with %s, using kvm", hw);
    }
}

/* --- gathering the facts --- */

/* The "flags" line of the first processor in /proc/cpuinfo. */
static void read_cpu_flags(struct host_facts *f)
{
    FILE *fp = fopen("/proc/cpuinfo", "r");
    char line[8192];
    if (!fp)
        return;
    while (fgets(line, sizeof(line), fp)) {
        if (strncmp(line, "flags", 5) != 0)
            continue;
        char *save = NULL, *colon = strchr(line, ':');
        for (char *t = strtok_r(colon ? colon + 1 : line, " \t\n", &save); t;
             t = strtok_r(NULL, " \t\n", &save)) {
            f->cpu_vmx |= strcmp(t, "vmx") == 0;
            f->cpu_svm |= strcmp(t, "svm") == 0;
            f->cpu_hypervisor |= strcmp(t, "hypervisor") == 0;
        }
        break;
    }
    fclose(fp);
}

/* PVM ("Pagetable-based Virtual Machine") is a kvm vendor module, kvm_pvm,
 * beside kvm_intel/kvm_amd: its module directory or its line in
 * /proc/modules gives it away. */
static void detect_pvm(struct host_facts *f)
{
    struct stat sb;
    if (stat("/sys/module/kvm_pvm", &sb) == 0) {
        f->kvm_is_pvm = true;
        snprintf(f->pvm_evidence, sizeof(f->pvm_evidence), "/sys/module/kvm_pvm exists");
        return;
    }
    FILE *fp = fopen("/proc/modules", "r");
    char line[512];
    if (!fp)
        return;
    while (fgets(line, sizeof(line), fp))
        if (strncmp(line, "kvm_pvm ", 8) == 0) {
            f->kvm_is_pvm = true;
            snprintf(f->pvm_evidence, sizeof(f->pvm_evidence), "module kvm_pvm is loaded");
            break;
        }
    fclose(fp);
}

void host_probe_gather(struct host_facts *f, bool calibrate)
{
    memset(f, 0, sizeof(*f));
    f->has_bt = accel_find("bt") != NULL;
    read_cpu_flags(f);
    detect_pvm(f);
    f->kvm_present = access("/dev/kvm", F_OK) == 0;
    if (!f->kvm_present)
        return;
    int fd = open("/dev/kvm", O_RDWR | O_CLOEXEC);
    if (fd < 0)
        return;
    f->kvm_accessible = true;
    f->kvm_api_version = ioctl(fd, KVM_GET_API_VERSION, 0);
    if (f->kvm_api_version == KVM_API_VERSION)
        kvm_missing_caps(fd, f->kvm_missing, sizeof(f->kvm_missing));
    if (calibrate && f->kvm_api_version == KVM_API_VERSION && !f->kvm_missing[0] &&
        kvm_calibrate(fd, &f->calib_ips, f->calib_error, sizeof(f->calib_error)) < 0)
        f->calib_ips = 0;
    close(fd);
}

const char *host_probe_auto(char *reason, size_t len)
{
    struct host_facts f;
    struct host_decision d;
    const char *env = getenv("GLASS_KVM_CALIBRATE");
    host_probe_gather(&f, !(env && strcmp(env, "0") == 0));
    host_probe_decide(&f, &d);
    snprintf(reason, len, "%s", d.reason);
    return d.accel;
}
