/* accel_ops.run for kvm: inject what glass's devices raised, KVM_RUN, turn
 * each KVM exit into a struct vm_exit (api.rst 4.10 KVM_RUN, 5 "The kvm_run
 * structure").  I/O and MMIO exits are answered synchronously through
 * env.exit, as the interpreter does, and the loop goes on; run() returns
 * only when the vCPU must stop. */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>

#include "machine/board.h"
#include "vmx/kvm_internal.h"

/* RIP at the exit: from kvm_run (KVM_CAP_SYNC_REGS) or one KVM_GET_REGS.
 * For I/O and MMIO it names the instruction, which KVM finishes on the
 * next KVM_RUN. */
static uint64_t exit_rip(struct kvm_vcpu_state *st)
{
    if (st->vm->has_sync_regs)
        return st->run->s.regs.regs.rip;
    struct kvm_regs r;
    return ioctl(st->fd, KVM_GET_REGS, &r) == 0 ? r.rip : 0;
}

static int report_exit(struct vcpu *v, struct vm_exit *e)
{
    struct x86_cpu_env *env = &v->cpu.env;
    return env->exit ? env->exit(env->opaque, e) : 0;
}

/* KVM_EXIT_IO (api.rst 5): count elements of size bytes at data_offset in
 * the kvm_run page; count > 1 for INS/OUTS with REP.  One EXIT_IO_INSTRUCTION
 * per element, as the interpreter reports a string instruction. */
static int handle_io(struct vcpu *v, struct kvm_vcpu_state *st)
{
    struct kvm_run *run = st->run;
    uint32_t size = run->io.size, count = run->io.count;
    if (size == 0 || size > 4 || run->io.data_offset + (uint64_t)size * count > (uint64_t)st->vm->run_size)
        return -2;
    uint8_t *data = (uint8_t *)run + run->io.data_offset;
    uint64_t rip = exit_rip(st);
    int rc = 0;
    for (uint32_t i = 0; i < count; i++) {
        struct vm_exit e;
        memset(&e, 0, sizeof(e));
        e.reason = EXIT_IO_INSTRUCTION;
        e.vcpu = (uint32_t)v->index;
        e.rip = rip;
        e.io.port = run->io.port;
        e.io.size = (uint8_t)size;
        e.io.in = run->io.direction == KVM_EXIT_IO_IN;
        uint8_t *p = data + (size_t)i * size;
        if (!e.io.in)
            memcpy(&e.io.data, p, size);
        if (report_exit(v, &e) < 0)
            rc = -1;    /* finish the string anyway: KVM counts it done */
        if (e.io.in)
            memcpy(p, &e.io.data, size);
    }
    return rc;
}

/* KVM_EXIT_MMIO: an access to guest-physical memory no slot holds (an MMIO
 * region, unmapped space, or a write to a read-only ROM slot).  Reported
 * as the hardware would: EXIT_EPT_VIOLATION. */
static int handle_mmio(struct vcpu *v, struct kvm_vcpu_state *st)
{
    struct kvm_run *run = st->run;
    uint32_t len = run->mmio.len;
    if (len == 0 || len > 8)
        return -2;
    struct vm_exit e;
    memset(&e, 0, sizeof(e));
    e.reason = EXIT_EPT_VIOLATION;
    e.vcpu = (uint32_t)v->index;
    e.rip = exit_rip(st);
    e.mmio.gpa = run->mmio.phys_addr;
    e.mmio.size = (uint8_t)len;
    e.mmio.write = run->mmio.is_write;
    if (e.mmio.write)
        memcpy(&e.mmio.data, run->mmio.data, len);
    int rc = report_exit(v, &e);
    if (!e.mmio.write)
        memcpy(run->mmio.data, &e.mmio.data, len);
    return rc;
}

/* An external interrupt from glass's PIC/APIC: inject it when the guest
 * can take it (api.rst 4.16 KVM_INTERRUPT; kvm_run.ready_for_interrupt_
 * injection and if_flag), else ask KVM to exit as soon as it can
 * (request_interrupt_window -> KVM_EXIT_IRQ_WINDOW_OPEN).  The same
 * protocol as the interpreter's take_interrupts: clear intr_pending, ack,
 * set it again when a vector came (there may be more). */
static void inject_interrupt(struct vcpu *v, struct kvm_vcpu_state *st)
{
    struct x86_cpu_env *env = &v->cpu.env;
    struct kvm_run *run = st->run;
    run->request_interrupt_window = 0;
    if (!env->intr_pending || !env->intr_ack)
        return;
    /* A halted vCPU has no interrupt shadow (HLT ended any), and KVM has
     * not run since it halted: IF alone says whether it can take one. */
    bool can_take = st->halted ? st->halt_if
                               : run->ready_for_interrupt_injection && run->if_flag;
    if (can_take) {
        env->intr_pending = 0;
        int vec = env->intr_ack(env->opaque);
        if (vec < 0)
            return;
        env->intr_pending = 1;
        struct kvm_interrupt irq = { .irq = (uint32_t)vec };
        if (ioctl(st->fd, KVM_INTERRUPT, &irq) < 0)
            fprintf(stderr, "glass: kvm: vCPU %d: KVM_INTERRUPT vector %d: %s\n", v->index, vec,
                    strerror(errno));
        else
            st->halted = false;     /* the interrupt wakes a HLT */
    }
    run->request_interrupt_window = 1;
}

static int stop_with(struct vm_exit *exit, uint32_t reason, uint64_t rip)
{
    exit->reason = reason;
    exit->rip = rip;
    return 0;
}

static int internal_error(struct kvm_vcpu_state *st, struct vm_exit *exit)
{
    exit->reason = EXIT_GLASS_INTERNAL_ERROR;
    struct kvm_regs r;
    exit->rip = ioctl(st->fd, KVM_GET_REGS, &r) == 0 ? r.rip : 0;
    exit->error.message = st->message;
    return -EIO;
}

static const char *suberror_name(uint32_t sub)
{
    switch (sub) {
    case KVM_INTERNAL_ERROR_EMULATION: return "EMULATION";
    case KVM_INTERNAL_ERROR_SIMUL_EX: return "SIMUL_EX";
    case KVM_INTERNAL_ERROR_DELIVERY_EV: return "DELIVERY_EV";
    case KVM_INTERNAL_ERROR_UNEXPECTED_EXIT_REASON: return "UNEXPECTED_EXIT_REASON";
    default: return "unknown";
    }
}

static const char *suberror_hint(uint32_t sub)
{
    switch (sub) {
    case KVM_INTERNAL_ERROR_EMULATION:
        return "KVM's instruction emulator could not do the instruction at RIP (big real "
               "mode, a task switch, MMIO by an unusual instruction); -accel interp can";
    case KVM_INTERNAL_ERROR_SIMUL_EX:
        return "an exception came while KVM delivered another: the guest's IDT, GDT or "
               "stack is likely broken";
    case KVM_INTERNAL_ERROR_DELIVERY_EV:
        return "delivering an interrupt or exception touched MMIO or unmapped memory: "
               "check the IDT, GDT and stack addresses";
    case KVM_INTERNAL_ERROR_UNEXPECTED_EXIT_REASON:
        return "the CPU exited for a reason this host's KVM does not handle (data[0] is "
               "the hardware exit reason)";
    default:
        return "see Documentation/virt/kvm/api.rst, KVM_EXIT_INTERNAL_ERROR";
    }
}

/* KVM_EXIT_INTERNAL_ERROR (api.rst 5): suberror plus up to 16 data words. */
static int internal_error_exit(struct kvm_vcpu_state *st, struct vm_exit *exit)
{
    struct kvm_run *run = st->run;
    uint32_t sub = run->internal.suberror;
    char data[120] = "";
    size_t used = 0;
    for (uint32_t i = 0; i < run->internal.ndata && i < 4 && used < sizeof(data); i++) {
        int n = snprintf(data + used, sizeof(data) - used, " 0x%llx",
                         (unsigned long long)run->internal.data[i]);
        if (n > 0)
            used += (size_t)n;
    }
    snprintf(st->message, sizeof(st->message), "KVM_EXIT_INTERNAL_ERROR suberror %u (%s), "
             "data%s; hint: %s", sub, suberror_name(sub), used ? data : " none",
             suberror_hint(sub));
    return internal_error(st, exit);
}

/* KVM_EXIT_FAIL_ENTRY: the CPU refused VM entry.  On Intel the reason is a
 * VMX exit reason with bit 31 set (SDM Vol. 3, 27.8: 33 = invalid guest
 * state, 34 = MSR loading); on AMD an SVM exit code (-1: VMEXIT_INVALID). */
static int fail_entry_exit(struct kvm_vcpu_state *st, struct vm_exit *exit)
{
    uint64_t hw = st->run->fail_entry.hardware_entry_failure_reason;
    snprintf(st->message, sizeof(st->message), "KVM_EXIT_FAIL_ENTRY: VM entry failed, hardware "
             "reason 0x%llx (VMX: %s) on host CPU %u; hint: the guest state broke a VM-entry "
             "check (SDM Vol. 3, 27.3: segment attributes, CR0/CR4 fixed bits, EFER.LMA vs "
             "CS.L); the registers below are what KVM was given",
             (unsigned long long)hw, vm_exit_reason_name((uint32_t)(hw & 0xffff)),
             st->run->fail_entry.cpu);
    return internal_error(st, exit);
}

static int kvm_run_failed(struct kvm_vcpu_state *st, struct vm_exit *exit, int err)
{
    snprintf(st->message, sizeof(st->message), "ioctl KVM_RUN failed: %s; hint: %s",
             strerror(err),
             err == EFAULT ? "a memory slot or the kvm_run page is not accessible" :
             err == EINVAL || err == ENOEXEC ? "KVM rejected the vCPU state (run on "
             "-accel interp to see what the guest did last)" :
             "the host's KVM refused to run this vCPU");
    return internal_error(st, exit);
}

int kvm_vcpu_run(struct vcpu *v, struct vm_exit *exit)
{
    struct kvm_vcpu_state *st = v->accel_state;
    struct x86_cpu *cpu = &v->cpu;
    if (!st) {
        exit->reason = EXIT_GLASS_INTERNAL_ERROR;
        exit->error.message = "kvm: vCPU not initialised";
        return -EINVAL;
    }
    struct kvm_run *run = st->run;
    bool stopping = false;
    for (;;) {
        /* Cleared before the flags are read: see kvm_vcpu_kick. */
        __atomic_store_n(&run->immediate_exit, 0, __ATOMIC_SEQ_CST);
        if (cpu->env.stop_request || stopping) {
            /* An I/O or MMIO exit is finished only by the next KVM_RUN
             * (api.rst 4.10): with immediate_exit KVM completes it and
             * returns -EINTR without running the guest, so the state
             * state_out reads is at an instruction boundary. */
            run->immediate_exit = 1;
            (void)ioctl(st->fd, KVM_RUN, 0);
            run->immediate_exit = 0;
            return stop_with(exit, EXIT_GLASS_STOP, exit_rip(st));
        }
        if (st->shutdown)
            return stop_with(exit, EXIT_TRIPLE_FAULT, exit_rip(st));
        inject_interrupt(v, st);
        if (st->halted)
            return stop_with(exit, EXIT_HLT, exit_rip(st));

        if (ioctl(st->fd, KVM_RUN, 0) < 0) {
            int err = errno;
            if (err == EINTR || err == EAGAIN)
                continue;   /* a signal or a kick: look at the flags */
            return kvm_run_failed(st, exit, err);
        }
        switch (run->exit_reason) {
        case KVM_EXIT_IO: {
            int rc = handle_io(v, st);
            if (rc == -2) {
                snprintf(st->message, sizeof(st->message), "KVM_EXIT_IO with size %u count %u "
                         "at offset %llu does not fit the kvm_run page", run->io.size,
                         run->io.count, (unsigned long long)run->io.data_offset);
                return internal_error(st, exit);
            }
            stopping |= rc < 0;
            break;
        }
        case KVM_EXIT_MMIO: {
            int rc = handle_mmio(v, st);
            if (rc == -2) {
                snprintf(st->message, sizeof(st->message), "KVM_EXIT_MMIO of %u bytes at 0x%llx",
                         run->mmio.len, (unsigned long long)run->mmio.phys_addr);
                return internal_error(st, exit);
            }
            stopping |= rc < 0;
            break;
        }
        case KVM_EXIT_HLT:
            /* RIP is past the HLT; the vCPU sleeps until an interrupt
             * (the loop's top injects one if it can, else returns). */
            st->halted = true;
            st->halt_if = run->if_flag;
            break;
        case KVM_EXIT_IRQ_WINDOW_OPEN: {
            struct vm_exit e;
            memset(&e, 0, sizeof(e));
            e.reason = EXIT_INTERRUPT_WINDOW;
            e.vcpu = (uint32_t)v->index;
            e.rip = exit_rip(st);
            stopping |= report_exit(v, &e) < 0;
            break;
        }
        case KVM_EXIT_INTR:
            break;
        case KVM_EXIT_SHUTDOWN:
            /* Triple fault (or an exit KVM cannot survive): the state is
             * for the debugger only until the board resets the vCPU. */
            st->shutdown = true;
            return stop_with(exit, EXIT_TRIPLE_FAULT, exit_rip(st));
        case KVM_EXIT_DEBUG:
            /* api.rst 5: kvm_debug_exit_arch: #DB (1) for single-step and
             * hardware breakpoints, #BP (3) for software ones. */
            exit->exc.vector = (uint8_t)run->debug.arch.exception;
            return stop_with(exit, EXIT_GLASS_DEBUG, run->debug.arch.pc);
        case KVM_EXIT_FAIL_ENTRY:
            return fail_entry_exit(st, exit);
        case KVM_EXIT_INTERNAL_ERROR:
            return internal_error_exit(st, exit);
        case KVM_EXIT_UNKNOWN:
            snprintf(st->message, sizeof(st->message), "KVM_EXIT_UNKNOWN, hardware exit reason "
                     "0x%llx (VMX: %s); hint: the host's KVM did not handle this exit",
                     (unsigned long long)run->hw.hardware_exit_reason,
                     vm_exit_reason_name((uint32_t)(run->hw.hardware_exit_reason & 0xffff)));
            return internal_error(st, exit);
        default:
            snprintf(st->message, sizeof(st->message), "unexpected KVM exit %u; hint: glass "
                     "enables no capability that produces it (see api.rst, struct kvm_run)",
                     run->exit_reason);
            return internal_error(st, exit);
        }
    }
}
