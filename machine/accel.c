/* The accelerators this build has, and how -accel picks one. */
#include "machine/accel.h"

#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "cpu/interp.h"
#include "machine/board.h"
#include "vmx/host_probe.h"
#include "translate/bt.h"
#include "vmx/kvm.h"

/* The interpreter lives in cpu/interp_accel.c. */
extern const struct accel_ops accel_interp;

/* Preference order for -accel auto: kvm, bt, interp (vmx/host_probe.c
 * decides). */
const struct accel_ops *const accel_all[] = {
    &accel_interp,
    &accel_kvm,
    &accel_bt,
    NULL,
};

const struct accel_ops *accel_find(const char *name)
{
    for (size_t i = 0; accel_all[i]; i++)
        if (strcmp(accel_all[i]->name, name) == 0)
            return accel_all[i];
    return NULL;
}

/* Accelerators glass knows of (built in this version or not). */
static bool accel_is_known(const char *name)
{
    return strcmp(name, "kvm") == 0 || strcmp(name, "bt") == 0 || strcmp(name, "interp") == 0;
}

static const struct accel_ops *usable(const char *name, char *why, size_t len)
{
    const struct accel_ops *a = accel_find(name);
    if (!a) {
        snprintf(why, len, "not built yet");
        return NULL;
    }
    if (a->probe && a->probe(why, len) < 0)
        return NULL;
    return a;
}

const struct accel_ops *accel_choose(const char *requested)
{
    char why[160];
    if (!requested || strcmp(requested, "auto") == 0) {
        /* auto: vmx/host_probe.c looks at /dev/kvm (present, accessible,
         * capabilities, PVM or real VT-x/AMD-V, a few-ms calibration) and
         * names the fastest accelerator with one line saying why. */
        char reason[240];
        const char *name = host_probe_auto(reason, sizeof(reason));
        const struct accel_ops *a = usable(name, why, sizeof(why));
        if (a) {
            fprintf(stderr, "glass: accel auto: %s\n", reason);
            return a;
        }
        a = usable("interp", why, sizeof(why));
        if (!a) {
            fprintf(stderr, "glass: accel auto: no accelerator is usable (%s; interp: %s)\n",
                    reason, why);
            return NULL;
        }
        fprintf(stderr, "glass: accel auto: using interp (%s; but %s: %s)\n", reason, name, why);
        return a;
    }
    const struct accel_ops *a = usable(requested, why, sizeof(why));
    if (a)
        return a;
    if (accel_find(requested) || accel_is_known(requested))
        fprintf(stderr, "glass: -accel %s: %s%s%s\n", requested, why,
                accel_find(requested) ? "" : " in this version",
                strcmp(requested, "interp") == 0 ? "" : "; use -accel interp");
    else
        fprintf(stderr, "glass: -accel %s: unknown accelerator (known: kvm, bt, interp, auto)\n",
                requested);
    return NULL;
}

/* The run loop interleaves vCPUs in slices (machine/smp.c); accel_ops.run
 * has no instruction budget, so for the interpreter the board calls its
 * budgeted entry directly (what interp_accel_run does with no limit).
 * Accelerators that run on their own threads (KVM) ignore the budget. */
int accel_run_slice(const struct accel_ops *a, struct vcpu *v, struct vm_exit *exit,
                    uint64_t max_insns)
{
    if (a == &accel_interp && v->accel_state)
        return interp_run_cache(&v->cpu, v->accel_state, exit, max_insns);
    if (a == &accel_bt && v->accel_state)
        return bt_run_slice(v, exit, max_insns);   /* budgeted, like interp */
    return a->run(v, exit);
}
