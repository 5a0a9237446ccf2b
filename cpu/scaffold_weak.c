/* Temporary scaffolding while the pieces of the first version land in
 * parallel: weak definitions of every cross-module function, so that any
 * part links and its tests run before its neighbours exist.  A real
 * definition anywhere overrides these.  To be deleted once all exist. */
#include <stdio.h>
#include <stdlib.h>

#include "cpu/decode.h"
#include "cpu/exception.h"
#include "cpu/exec.h"
#include "cpu/mmu.h"
#include "cpu/x86_cpu.h"
#include "machine/accel.h"
#include "machine/vm_exit.h"

#define WEAK __attribute__((weak))
#define MISSING(name) do { fprintf(stderr, "glass: %s is not implemented yet\n", name); abort(); } while (0)

#define X86_EXEC_WEAK(name, owner) \
    WEAK void exec_##name(struct x86_cpu *cpu, const struct x86_insn *in) \
    { (void)in; x86_raise(cpu, X86_UD, X86_NO_ERRCODE); }
X86_OPS(X86_EXEC_WEAK)
#undef X86_EXEC_WEAK

WEAK uint64_t x86_get_rflags(struct x86_cpu *cpu) { return cpu->rflags; }
WEAK void x86_set_rflags(struct x86_cpu *cpu, uint64_t v) { cpu->rflags = v; cpu->lazy.op = 0; }
WEAK void x86_cpu_reset(struct x86_cpu *cpu) { (void)cpu; MISSING("x86_cpu_reset"); }
WEAK int x86_decode(struct x86_insn *in, const uint8_t *b, size_t n, int bits) { (void)in; (void)b; (void)n; (void)bits; MISSING("x86_decode"); }
WEAK const char *x86_op_name(int op) { (void)op; return "?"; }
WEAK uint64_t x86_seg_linear(struct x86_cpu *cpu, int seg, uint64_t off, int size, int acc)
{ (void)size; (void)acc; return x86_code64(cpu) && seg < S_FS ? off : (cpu->seg[seg].base + off) & 0xffffffffull; }
WEAK uint64_t x86_lin_read(struct x86_cpu *cpu, uint64_t lin, int size, int acc) { (void)cpu; (void)lin; (void)size; (void)acc; MISSING("x86_lin_read"); }
WEAK void x86_lin_write(struct x86_cpu *cpu, uint64_t lin, int size, uint64_t val, int acc) { (void)cpu; (void)lin; (void)size; (void)val; (void)acc; MISSING("x86_lin_write"); }
WEAK void x86_lin_read_buf(struct x86_cpu *cpu, uint64_t lin, void *buf, int len, int acc) { (void)cpu; (void)lin; (void)buf; (void)len; (void)acc; MISSING("x86_lin_read_buf"); }
WEAK void x86_lin_write_buf(struct x86_cpu *cpu, uint64_t lin, const void *buf, int len, int acc) { (void)cpu; (void)lin; (void)buf; (void)len; (void)acc; MISSING("x86_lin_write_buf"); }
WEAK void *x86_lin_ptr(struct x86_cpu *cpu, uint64_t lin, int size, int acc) { (void)cpu; (void)lin; (void)size; (void)acc; return NULL; }
WEAK int x86_lin_fetch(struct x86_cpu *cpu, uint64_t lin, uint8_t *buf, int len) { (void)cpu; (void)lin; (void)buf; (void)len; MISSING("x86_lin_fetch"); }
WEAK int x86_translate(struct x86_cpu *cpu, uint64_t lin, int acc, uint64_t *gpa, uint32_t *pfec) { (void)cpu; (void)acc; (void)pfec; *gpa = lin; return 0; }
WEAK void x86_tlb_flush(struct x86_cpu *cpu, int all) { (void)cpu; (void)all; }
WEAK void x86_tlb_flush_page(struct x86_cpu *cpu, uint64_t lin) { (void)cpu; (void)lin; }
WEAK void x86_raise(struct x86_cpu *cpu, int vector, uint32_t error_code)
{
    cpu->pending.type = EV_HW_EXCEPTION; cpu->pending.vector = (uint8_t)vector;
    cpu->pending.has_error = error_code != X86_NO_ERRCODE; cpu->pending.error_code = error_code;
    if (cpu->fault_jmp) longjmp(*cpu->fault_jmp, 1);
    MISSING("x86_raise without fault_jmp");
}
WEAK void x86_raise_event(struct x86_cpu *cpu, int type, int vector)
{
    cpu->pending.type = (uint8_t)type; cpu->pending.vector = (uint8_t)vector; cpu->pending.has_error = 0;
    if (cpu->fault_jmp) longjmp(*cpu->fault_jmp, 1);
    MISSING("x86_raise_event without fault_jmp");
}
WEAK void x86_deliver_pending(struct x86_cpu *cpu) { (void)cpu; MISSING("x86_deliver_pending"); }
WEAK void x86_deliver_interrupt(struct x86_cpu *cpu, int type, int vector) { (void)cpu; (void)type; (void)vector; MISSING("x86_deliver_interrupt"); }
WEAK const char *vm_exit_reason_name(uint32_t reason) { (void)reason; return "UNKNOWN"; }
