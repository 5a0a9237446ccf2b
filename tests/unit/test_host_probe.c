/* The "-accel auto" decision (vmx/host_probe.c) with the host faked: which
 * accelerator, and the one line that says why. */
#include <check.h>

#include "machine/accel.h"
#include <stdlib.h>
#include <string.h>

#include "vmx/host_probe.h"
#include "tests/unit/run_suite.h"

/* A host with real VT-x and a working /dev/kvm. */
static struct host_facts vtx_host(void)
{
    struct host_facts f;
    memset(&f, 0, sizeof(f));
    f.kvm_present = true;
    f.kvm_accessible = true;
    f.kvm_api_version = 12;
    f.cpu_vmx = true;
    f.calib_ips = 850e6;
    return f;
}

/* This machine's sibling: /dev/kvm is PVM, we are a guest without vmx. */
static struct host_facts pvm_host(void)
{
    struct host_facts f = vtx_host();
    f.cpu_vmx = false;
    f.cpu_hypervisor = true;
    f.kvm_is_pvm = true;
    strcpy(f.pvm_evidence, "/sys/module/kvm_pvm exists");
    f.calib_ips = 2.1e6;
    return f;
}

/* host_probe_decide on f must choose accel, and say reason (NULL: any). */
static void expect(const struct host_facts *f, const char *accel, const char *reason)
{
    struct host_decision d;
    memset(&d, 0, sizeof(d));
    host_probe_decide(f, &d);
    ck_assert_str_eq(d.accel, accel);
    if (reason)
        ck_assert_str_eq(d.reason, reason);
}

START_TEST(real_vtx_host_takes_kvm)
{
    struct host_facts f = vtx_host();
    expect(&f, "kvm", "kvm: /dev/kvm works with VT-x (ring 0 at ~850 M instr/s), using kvm");
    f.cpu_vmx = false;
    f.cpu_svm = true;
    f.calib_ips = 0;    /* not calibrated: the cpu flag is enough */
    expect(&f, "kvm", "kvm: /dev/kvm works with AMD-V, using kvm");
}
END_TEST

START_TEST(pvm_host_takes_the_interpreter_and_says_why)
{
    struct host_facts f = pvm_host();
    expect(&f, "interp", "kvm: /dev/kvm is PVM-emulated (ring 0 at ~2.1 M instr/s), "
                         "using interp");
    f.calib_ips = 0;    /* detected without calibrating */
    expect(&f, "interp", "kvm: /dev/kvm is PVM-emulated (/sys/module/kvm_pvm exists; "
                         "ring 0 runs at a few M instr/s), using interp");
}
END_TEST

START_TEST(pvm_host_prefers_the_translator_when_built)
{
    struct host_facts f = pvm_host();
    f.has_bt = true;
    expect(&f, "bt", "kvm: /dev/kvm is PVM-emulated (ring 0 at ~2.1 M instr/s), "
                     "using bt");
}
END_TEST

START_TEST(no_dev_kvm)
{
    struct host_facts f;
    memset(&f, 0, sizeof(f));
    expect(&f, "interp", "kvm: /dev/kvm missing, using interp");
    f.has_bt = true;
    expect(&f, "bt", "kvm: /dev/kvm missing, using bt");
}
END_TEST

START_TEST(dev_kvm_not_accessible)
{
    struct host_facts f = vtx_host();
    f.kvm_accessible = false;
    f.kvm_api_version = 0;
    f.calib_ips = 0;
    expect(&f, "interp", "kvm: /dev/kvm not accessible (no read/write permission; group "
                         "kvm?), using interp");
}
END_TEST

START_TEST(wrong_api_version)
{
    struct host_facts f = vtx_host();
    f.kvm_api_version = 11;
    expect(&f, "interp", "kvm: /dev/kvm speaks API version 11, glass needs 12, using interp");
}
END_TEST

START_TEST(missing_capability_is_named)
{
    struct host_facts f = vtx_host();
    strcpy(f.kvm_missing, "lacks KVM_CAP_IMMEDIATE_EXIT");
    expect(&f, "interp", "kvm: /dev/kvm lacks KVM_CAP_IMMEDIATE_EXIT, using interp");
}
END_TEST

START_TEST(calibrated_slow_without_pvm_evidence)
{
    struct host_facts f = vtx_host();
    f.calib_ips = 3.4e6;    /* e.g. an emulating KVM nobody told us about */
    expect(&f, "interp", "kvm: /dev/kvm is slow (ring 0 at ~3.4 M instr/s: emulated, "
                         "not VT-x/AMD-V), using interp");
    f.calib_ips = HOST_KVM_SLOW_IPS * 2;    /* fast enough */
    expect(&f, "kvm", NULL);
}
END_TEST

START_TEST(calibration_failure_falls_back)
{
    struct host_facts f = vtx_host();
    f.calib_ips = 0;
    strcpy(f.calib_error, "32-bit ring-0 loop ended with KVM exit 8, not HLT");
    expect(&f, "interp", "kvm: the calibration guest failed (32-bit ring-0 loop ended "
                         "with KVM exit 8, not HLT), using interp");
}
END_TEST

START_TEST(no_vmx_flag_uncalibrated_is_not_trusted)
{
    struct host_facts f = vtx_host();
    f.cpu_vmx = false;
    f.cpu_hypervisor = true;
    f.calib_ips = 0;
    expect(&f, "interp", "kvm: /dev/kvm without VT-x/AMD-V (no vmx or svm cpu flag, "
                         "under a hypervisor), using interp");
    /* ... but a fast calibration is proof enough (nested VT-x may hide the flag). */
    f.calib_ips = 600e6;
    expect(&f, "kvm", "kvm: /dev/kvm works with hardware virtualization (ring 0 at ~600 M "
                      "instr/s), using kvm");
}
END_TEST

START_TEST(gather_on_this_host_is_consistent)
{
    /* Whatever this host is, gather + decide give a name and one line. */
    struct host_facts f;
    struct host_decision d;
    host_probe_gather(&f, true);
    host_probe_decide(&f, &d);
    ck_assert_ptr_nonnull(d.accel);
    ck_assert_ptr_null(strchr(d.reason, '\n'));
    ck_assert(strncmp(d.reason, "kvm: ", 5) == 0);
    if (!f.kvm_present)   /* the translator when this build has it */
        ck_assert_str_eq(d.accel, accel_find("bt") ? "bt" : "interp");
    char reason[240];
    ck_assert_str_eq(host_probe_auto(reason, sizeof(reason)), d.accel);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("host_probe");
    TCase *tc = tcase_create("host_probe");
    tcase_add_test(tc, real_vtx_host_takes_kvm);
    tcase_add_test(tc, pvm_host_takes_the_interpreter_and_says_why);
    tcase_add_test(tc, pvm_host_prefers_the_translator_when_built);
    tcase_add_test(tc, no_dev_kvm);
    tcase_add_test(tc, dev_kvm_not_accessible);
    tcase_add_test(tc, wrong_api_version);
    tcase_add_test(tc, missing_capability_is_named);
    tcase_add_test(tc, calibrated_slow_without_pvm_evidence);
    tcase_add_test(tc, calibration_failure_falls_back);
    tcase_add_test(tc, no_vmx_flag_uncalibrated_is_not_trusted);
    tcase_add_test(tc, gather_on_this_host_is_consistent);
    suite_add_tcase(s, tc);
    return run_suite(s);
}
