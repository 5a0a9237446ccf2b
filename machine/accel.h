/* The one accelerator interface.  kvm (vmx/), bt (translate/) and interp
 * (cpu/) each fill one struct accel_ops; machine/ drives them all the same.
 *
 * Exits: an accelerator reports each VM exit through cpu->env.exit(), which
 * machine/ answers synchronously (logs it, runs the device), and then it
 * resumes the guest.  run() itself returns only when the vCPU must stop
 * (halted with interrupts off, shutdown, debug event, stop request).  Why
 * synchronous: the interpreter and the translator meet MMIO in the middle of
 * an instruction, where returning out of run() would need every instruction
 * to be restartable; KVM simply calls the same function after KVM_RUN. */
#ifndef GLASS_MACHINE_ACCEL_H
#define GLASS_MACHINE_ACCEL_H

#include <stddef.h>
#include <stdint.h>

#include "machine/vm_exit.h"

struct machine;
struct vcpu;

/* What the debugger asks of an accelerator (filled in by debugger/). */
struct debug_ctl {
    int single_step;            /* stop after one instruction */
    int nbreak;                 /* number of breakpoints below */
    uint64_t breaks[16];        /* linear addresses */
};

struct accel_ops {
    const char *name;           /* "kvm", "bt", "interp" */
    /* Usable on this host?  0 if yes; otherwise negative, with the reason
     * written to why. */
    int (*probe)(char *why, size_t len);
    int (*init)(struct machine *m);
    int (*vcpu_init)(struct vcpu *v);
    /* Run until the vCPU must stop; exit says why (EXIT_HLT, EXIT_TRIPLE_FAULT,
     * EXIT_GLASS_DEBUG, EXIT_GLASS_STOP, ...).  Returns 0, or negative on an
     * internal error (exit->error.message says what). */
    int (*run)(struct vcpu *v, struct vm_exit *exit);
    void (*state_out)(struct vcpu *v);  /* accelerator -> struct x86_cpu */
    void (*state_in)(struct vcpu *v);   /* struct x86_cpu -> accelerator */
    int (*set_debug)(struct vcpu *v, const struct debug_ctl *d);
    int (*dirty_pages)(struct machine *m, uint64_t *bitmap);
    void (*vcpu_destroy)(struct vcpu *v);
    void (*destroy)(struct machine *m);
};

/* The accelerators this build has; NULL-terminated. */
extern const struct accel_ops *const accel_all[];
const struct accel_ops *accel_find(const char *name);
/* -accel: the accelerator for the name ("auto" or NULL: the best usable,
 * with one line on stderr saying which and why).  NULL after printing why
 * the one asked for cannot be used. */
const struct accel_ops *accel_choose(const char *requested);

#endif
