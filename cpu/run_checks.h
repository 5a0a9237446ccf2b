/* What a run loop looks at before it starts the next block: the same for
 * the interpreter's (cpu/interp.c) and the translator's dispatcher
 * (translate/bt_run.c).  Inline: both loops pass here once a block. */
#ifndef GLASS_CPU_RUN_CHECKS_H
#define GLASS_CPU_RUN_CHECKS_H

#include <stdbool.h>
#include <stdint.h>

#include "cpu/exception.h"
#include "cpu/x86_cpu.h"
#include "machine/vm_exit.h"

/* Stop at CS:RIP for `reason`.  Returns 0, the run loops' return value. */
static inline int run_stop(const struct x86_cpu *cpu, struct vm_exit *exit, uint32_t reason)
{
    exit->reason = reason;
    exit->rip = cpu->rip;
    return 0;
}

/* A triple fault, a stop request, HLT or the end of the budget (end_count
 * in cpu->insn_count) ends the run: true, *exit filled.  A pending NMI or
 * takeable interrupt is delivered first (x86_take_interrupts), which may
 * itself end in a triple fault, or wake a halted CPU.  The order and the
 * second look at shutdown only after delivery are the loops' own (an
 * unconditional second look costs two instructions a dispatch). */
static inline bool run_must_stop(struct x86_cpu *cpu, struct vm_exit *exit, uint64_t end_count)
{
    uint32_t reason;

    if (cpu->shutdown) {
        reason = EXIT_TRIPLE_FAULT;
    } else if (cpu->env.stop_request) {
        reason = EXIT_GLASS_STOP;
    } else {
        if (cpu->env.intr_pending || cpu->nmi_pending) {
            x86_take_interrupts(cpu);
            if (cpu->shutdown) {
                run_stop(cpu, exit, EXIT_TRIPLE_FAULT);
                return true;
            }
        }
        if (cpu->halted)
            reason = EXIT_HLT;
        else if (cpu->insn_count >= end_count)
            reason = EXIT_GLASS_STOP;
        else
            return false;
    }
    run_stop(cpu, exit, reason);
    return true;
}

/* The run loops' landing after an instruction raised an event (x86_raise,
 * with the event's count done): deliver it.  The delivery takes one unit
 * of the run's budget (*end_count, when the run has one), so that a guest
 * whose every handler faults at once, retiring no instruction, still ends
 * its slice; and a step onto a faulting instruction stops at the handler,
 * as KVM's does. */
static inline void run_deliver_raised(struct x86_cpu *cpu, volatile uint64_t *end_count,
                                      bool budget)
{
    if (budget && *end_count > cpu->insn_count)
        (*end_count)--;
    cpu->fault_count++;
    x86_deliver_pending(cpu);
}

#endif
