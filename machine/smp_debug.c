/* The run loop under the debugger (machine_run_debug, machine/board.h).
 *
 * The same machine as machine_run (machine/smp.c): every vCPU runs in
 * slices, timers fire between them, serial input reaches the UART, halted
 * vCPUs wait for their interrupts, INIT/SIPI start the APs, a reset request
 * or a triple fault reboots.  On top of that, the selected vCPU runs with
 * the debugger's controls (struct debug_ctl) and the loop returns as soon
 * as the debugger must look.  A separate loop so that machine_run keeps no
 * per-slice debugger work.
 *
 * Single steps: the selected vCPU runs one instruction per slice; the
 * others get one slice of SLICE_INSNS every SLICE_INSNS steps (and every
 * round while the selected vCPU cannot run), so stepping a CPU that spins
 * on another still lets the other move, at the same instruction ratio as a
 * free run.  The selected vCPU runs with the debugger's controls (its
 * breakpoints, the steps, the targets of next/finish/until); the others
 * with the user's breakpoints alone, so that a breakpoint stops whichever
 * vCPU reaches it (*why names it) - all-stop: the others stop when one
 * stops. */
#include "machine/board.h"

#include <stdio.h>
#include <string.h>

#include "cpu/x86_cpu.h"

static bool progressed(const struct x86_cpu *cpu, uint64_t count, uint64_t rip, uint16_t cs)
{
    return cpu->insn_count != count || cpu->rip != rip || cpu->seg[S_CS].selector != cs;
}

/* Arm vCPU sel with c and every other vCPU with others (NULL: disarm the
 * ones the debugger armed before).  Arming a vCPU with the breakpoints it
 * has already costs nothing: the accelerators keep their blocks when the
 * breakpoint set is the same (cpu/break_cut.h). */
static void arm(struct machine *m, int sel, const struct debug_ctl *c,
                const struct debug_ctl *others)
{
    static const struct debug_ctl none;
    if (!m->accel->set_debug)
        return;
    for (int i = 0; i < m->nvcpus; i++) {
        struct vcpu *v = &m->vcpu[i];
        const struct debug_ctl *want = i == sel ? c : others;
        if (!want && !m->debug_armed[i])
            continue;
        if (!v->accel_state)
            continue;
        m->accel->set_debug(v, want ? want : &none);
        m->debug_armed[i] = want != NULL;
    }
}

static bool stop_asked(const struct machine *m, const volatile int *interrupt)
{
    return m->stop || (interrupt && *interrupt);
}

/* One slice for every runnable vCPU but sel, round robin from sel + 1.
 * 0 to go on (*ran: one of them ran), 1 when the debugger must look (*why
 * filled: a breakpoint, an exit the board does not handle), -1 on an
 * accelerator error. */
static int run_others(struct machine *m, int sel, struct vm_exit *why, bool *ran)
{
    for (int k = 1; k < m->nvcpus && !m->reset_pending; k++) {
        int j = (sel + k) % m->nvcpus;
        if (!board_vcpu_runnable(m, j))
            continue;
        board_apply_startup(m, j);
        if (!board_vcpu_runnable(m, j))
            continue;
        *ran = true;
        struct vm_exit e;
        int rc = board_slice(m, &m->vcpu[j], SLICE_INSNS, &e);
        if (rc >= 0 && e.reason == EXIT_GLASS_DEBUG) {
            *why = e;   /* at one of the breakpoints of every vCPU */
            why->vcpu = (uint32_t)j;
            return 1;
        }
        if (board_act_on_exit(m, &m->vcpu[j], rc, &e) == RUN_CONTINUE)
            continue;
        *why = e;
        if (m->stop) {
            why->reason = EXIT_GLASS_STOP;
            return 1;
        }
        return rc < 0 || e.reason == EXIT_GLASS_INTERNAL_ERROR ? -1 : 1;
    }
    return 0;
}

/* Between slices.  0 to go on, 1 when the machine ended (*why), -1 when a
 * reboot failed. */
static int service(struct machine *m, int sel, struct vm_exit *why)
{
    if (board_service(m) == RUN_CONTINUE)
        return 0;
    memset(why, 0, sizeof(*why));
    why->vcpu = (uint32_t)sel;
    if (m->exit_status == 0) {
        why->reason = EXIT_TRIPLE_FAULT;    /* a reset with -no-reboot: the end */
        return 1;
    }
    why->reason = EXIT_GLASS_INTERNAL_ERROR;
    why->error.message = "the reboot failed";
    return -1;
}

int machine_run_debug(struct machine *m, const struct debug_ctl *ctl,
                      const struct debug_ctl *others, int sel, uint64_t max_insns,
                      const volatile int *interrupt, struct vm_exit *why)
{
    struct vcpu *v = &m->vcpu[sel];
    struct debug_ctl c = *ctl;
    uint64_t done = 0;
    if (max_insns)
        c.single_step = 1;
    arm(m, sel, &c, others);
    for (;;) {
        memset(why, 0, sizeof(*why));
        why->vcpu = (uint32_t)sel;
        why->rip = v->cpu.rip;
        if (stop_asked(m, interrupt)) {
            why->reason = EXIT_GLASS_STOP;
            return 0;
        }
        int r = service(m, sel, why);
        if (r)
            return r < 0 ? -1 : 0;
        bool ran = false;
        if (board_vcpu_runnable(m, sel))
            board_apply_startup(m, sel);
        if (board_vcpu_runnable(m, sel)) {
            ran = true;
            uint64_t count = v->cpu.insn_count, rip = v->cpu.rip;
            uint16_t cs = v->cpu.seg[S_CS].selector;
            bool was_halted = v->cpu.halted;
            int rc = board_slice(m, v, max_insns ? 1 : SLICE_INSNS, why);
            if (rc < 0 || why->reason == EXIT_GLASS_INTERNAL_ERROR)
                return -1;
            /* A HLT run as the last instruction of a step (or before a stop
             * request) ends the slice with a debug / stop exit instead of
             * EXIT_HLT: log the HLT exit all the same, as machine_run would
             * see it, for `info exits` and `break exit HLT`. */
            if (!was_halted && v->cpu.halted && why->reason != EXIT_HLT) {
                struct vm_exit h;
                memset(&h, 0, sizeof(h));
                h.reason = EXIT_HLT;
                h.vcpu = (uint32_t)sel;
                h.rip = v->cpu.rip;
                exit_log_push(&m->exits, &h);
            }
            switch (why->reason) {
            case EXIT_GLASS_DEBUG:
                /* Stopped at a breakpoint before running anything: the one
                 * we resume from (the accelerator now lets it pass). */
                if (!progressed(&v->cpu, count, rip, cs))
                    continue;
                if (!max_insns || ++done >= max_insns)
                    return 0;
                break;
            case EXIT_HLT:
                v->cpu.halted = 1;  /* the loop runs it again when it can */
                /* A step of a halted vCPU whose interrupts the debugger
                 * holds back (step-irq off: no intr_ack) cannot complete:
                 * the pending interrupt wakes it but is never taken.  Stop
                 * and report it halted instead of spinning. */
                if (max_insns && !v->cpu.env.intr_ack)
                    return 0;
                break;
            case EXIT_TRIPLE_FAULT:
                if (m->opt->no_reboot) {
                    m->exit_status = 0;
                    return 0;
                }
                fprintf(stderr, "glass: triple fault; rebooting (use -no-reboot to stop "
                        "instead)\n");
                m->reset_pending = 1;
                continue;
            case EXIT_GLASS_STOP:   /* end of slice, INIT/SIPI, a stop request */
                if (stop_asked(m, interrupt))
                    return 0;
                if (max_insns && progressed(&v->cpu, count, rip, cs) && ++done >= max_insns) {
                    why->reason = EXIT_GLASS_DEBUG;
                    return 0;
                }
                break;
            default:
                return 0;
            }
        }
        bool others = false;
        if (m->nvcpus > 1 && (!max_insns || !ran || ++m->debug_steps >= SLICE_INSNS)) {
            m->debug_steps = 0;
            r = run_others(m, sel, why, &others);
            if (r)
                return r < 0 ? -1 : 0;
        }
        if (ran || others || m->reset_pending || stop_asked(m, interrupt))
            continue;
        int which = -1;
        if (board_nothing_can_wake(m, &which)) {
            memset(why, 0, sizeof(*why));
            why->reason = EXIT_HLT;
            why->vcpu = (uint32_t)(which < 0 ? sel : which);
            why->rip = m->vcpu[which < 0 ? sel : which].cpu.rip;
            return 0;
        }
        board_wait_for_event(m);
    }
}
