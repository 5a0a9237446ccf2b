/* Moving a machine from one accelerator to another (machine_switch_accel,
 * machine/board.h): the debugger's `accel NAME`, and the path snapshots and
 * migration take (state out of one accelerator, into another).
 *
 * What moves: struct x86_cpu of every vCPU (registers, descriptor caches,
 * MSRs, halted / pending state) after the old accelerator's state_out, and
 * everything else the board owns (memory, devices, timers, the exit log),
 * which no accelerator keeps a copy of.  What is dropped: each
 * accelerator's caches (decoded blocks, translations, KVM's vCPUs), the
 * debug controls (the debugger sets them again before it runs) and the
 * software TLBs (flushed: after KVM ran, the guest's tables may differ). */
#include "machine/board.h"

#include <stdio.h>
#include <string.h>

#include "mem/tlb.h"

/* Take the machine's current accelerator down: state out, vCPUs, VM. */
static void stop_accel(struct machine *m)
{
    const struct accel_ops *a = m->accel;
    for (int i = 0; i < m->nvcpus; i++) {
        struct vcpu *v = &m->vcpu[i];
        if (v->accel_state && a->state_out)
            a->state_out(v);
    }
    for (int i = 0; i < m->nvcpus; i++) {
        struct vcpu *v = &m->vcpu[i];
        if (v->accel_state && a->vcpu_destroy)
            a->vcpu_destroy(v);
        v->accel_state = NULL;
        m->debug_armed[i] = false;
    }
    if (a->destroy)
        a->destroy(m);
}

/* Bring accelerator a up on the machine's state.  0, or -1 with why (and
 * whatever was set up taken down again). */
static int start_accel(struct machine *m, const struct accel_ops *a, char *why, size_t len)
{
    m->accel = a;
    if (a->init && a->init(m) < 0) {
        snprintf(why, len, "accelerator %s failed to start", a->name);
        if (a->destroy)
            a->destroy(m);
        return -1;
    }
    for (int i = 0; i < m->nvcpus; i++) {
        struct vcpu *v = &m->vcpu[i];
        if (a->vcpu_init && a->vcpu_init(v) < 0) {
            snprintf(why, len, "accelerator %s failed to set up vCPU %d", a->name, i);
            stop_accel(m);
            return -1;
        }
        if (v->cpu.env.tlb)
            tlb_flush_all(v->cpu.env.tlb);
        if (a->state_in)
            a->state_in(v);
    }
    return 0;
}

int machine_switch_accel(struct machine *m, const struct accel_ops *to, char *why, size_t len)
{
    if (!to) {
        snprintf(why, len, "no such accelerator in this build");
        return -1;
    }
    if (to == m->accel)
        return 0;
    char reason[200];
    if (to->probe && to->probe(reason, sizeof(reason)) < 0) {
        snprintf(why, len, "%s is not usable here: %s", to->name, reason);
        return -1;
    }
    const struct accel_ops *from = m->accel;
    stop_accel(m);
    if (start_accel(m, to, reason, sizeof(reason)) == 0)
        return 0;
    /* Back to where we were: the state is all in struct x86_cpu. */
    char again[160];
    if (start_accel(m, from, again, sizeof(again)) < 0) {
        snprintf(why, len, "%s; and going back to %s failed too: %s", reason, from->name,
                 again);
        machine_request_stop(m, 1);
        return -1;
    }
    snprintf(why, len, "%s (still on %s)", reason, from->name);
    return -1;
}
