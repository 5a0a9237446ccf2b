/* Raising and delivering exceptions and interrupts (SDM Vol. 3, ch. 6). */
#ifndef GLASS_CPU_EXCEPTION_H
#define GLASS_CPU_EXCEPTION_H

#include <stdbool.h>
#include <stdint.h>

#include "cpu/x86_cpu.h"

/* Raise a fault from inside an instruction: records it in cpu->pending
 * (EV_HW_EXCEPTION) and longjmps to *cpu->fault_jmp.  RIP must still point
 * at the faulting instruction (handlers raise before they commit anything).
 * error_code is X86_NO_ERRCODE for vectors without one. */
_Noreturn void x86_raise(struct x86_cpu *cpu, int vector, uint32_t error_code);

/* Raise a software interrupt / trap event (INT n, INT3, INTO, INT1): RIP must
 * already point at the next instruction.  type is EV_SOFT_INT etc. */
_Noreturn void x86_raise_event(struct x86_cpu *cpu, int type, int vector);

/* Was the pending event raised by an instruction that retired (INT n, INT3,
 * INTO, INT1: RIP already after it), not a fault (RIP at it)?  The run
 * loops count it then. */
static inline bool x86_pending_retired(const struct x86_cpu *cpu)
{
    int t = cpu->pending.type;
    return t == EV_SOFT_INT || t == EV_SOFT_EXCEPTION || t == EV_PRIV_SOFT_EXCEPTION;
}

/* Deliver cpu->pending through the IVT (real mode) or the IDT (protected,
 * long mode): privilege checks, stack switch through the TSS, error code,
 * RFLAGS changes.  A fault during delivery becomes #DF, a fault delivering
 * #DF sets cpu->shutdown (triple fault).  Called outside any instruction
 * (sets up its own fault_jmp).  Clears cpu->pending and cpu->halted. */
void x86_deliver_pending(struct x86_cpu *cpu);

/* Deliver an external interrupt or NMI (vector) now. */
void x86_deliver_interrupt(struct x86_cpu *cpu, int type, int vector);

/* Between instructions: deliver a pending NMI, or an external interrupt if
 * RFLAGS.IF allows it (asking env.intr_ack for the vector), unless the
 * interrupt shadow of STI / MOV SS blocks both (SDM Vol. 3, 6.8.3).  The
 * run loops of the interpreter and the translator both call this. */
void x86_take_interrupts(struct x86_cpu *cpu);

#endif
