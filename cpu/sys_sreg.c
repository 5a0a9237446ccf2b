/* Segment register moves: MOV Sreg, PUSH/POP Sreg, LDS/LES/LFS/LGS/LSS (SDM
 * Vol. 2).  The checks of a load live in cpu/seg.c (x86_load_seg). */
#include "cpu/exception.h"
#include "cpu/exec.h"
#include "cpu/mmu.h"
#include "cpu/seg.h"

/* A segment register number an instruction may name (ES..GS), else #UD. */
static int sreg_operand(struct x86_cpu *cpu, int sreg)
{
    if (sreg > S_GS)
        x86_raise(cpu, X86_UD, X86_NO_ERRCODE);
    return sreg;
}

void exec_MOV_TO_SREG(struct x86_cpu *cpu, const struct x86_insn *in)
{
    int sreg = sreg_operand(cpu, in->reg);
    if (sreg == S_CS)   /* MOV CS, r/m is invalid */
        x86_raise(cpu, X86_UD, X86_NO_ERRCODE);
    uint16_t sel = (uint16_t)x86_read_rm(cpu, in, 2);
    x86_load_seg(cpu, sreg, sel);
    if (sreg == S_SS)   /* blocks interrupts for one instruction (6.8.3) */
        cpu->interrupt_shadow = 2;
    cpu->rip = x86_next_rip(cpu, in);
}

/* To a register: zero-extended to the operand size; to memory: 16 bits. */
void exec_MOV_FROM_SREG(struct x86_cpu *cpu, const struct x86_insn *in)
{
    int sreg = sreg_operand(cpu, in->reg);
    int size = (in->flags & INSN_MEM) ? 2 : in->opsize;
    x86_write_rm(cpu, in, size, cpu->seg[sreg].selector);
    cpu->rip = x86_next_rip(cpu, in);
}

void exec_PUSH_SREG(struct x86_cpu *cpu, const struct x86_insn *in)
{
    int sreg = sreg_operand(cpu, in->sreg);
    /* A zero-extended selector fills a 32/64-bit slot (one of the two
     * behaviours the SDM allows). */
    x86_push(cpu, in->opsize, cpu->seg[sreg].selector);
    cpu->rip = x86_next_rip(cpu, in);
}

void exec_POP_SREG(struct x86_cpu *cpu, const struct x86_insn *in)
{
    int sreg = sreg_operand(cpu, in->sreg);
    if (sreg == S_CS)
        x86_raise(cpu, X86_UD, X86_NO_ERRCODE);
    /* Read the selector without moving rSP, load it (which may fault), then
     * commit rSP: a faulting POP leaves rSP alone. */
    struct x86_stack st;
    x86_stack_current(cpu, &st);
    uint16_t sel = (uint16_t)x86_stack_pop(cpu, &st, in->opsize);
    x86_load_seg(cpu, sreg, sel);
    x86_stack_commit(cpu, &st);
    if (sreg == S_SS)
        cpu->interrupt_shadow = 2;
    cpu->rip = x86_next_rip(cpu, in);
}

/* LDS/LES/LFS/LGS/LSS r, m16:16/32/64: the offset first, then the selector. */
static void load_far_pointer(struct x86_cpu *cpu, const struct x86_insn *in, int sreg)
{
    if (!(in->flags & INSN_MEM))
        x86_raise(cpu, X86_UD, X86_NO_ERRCODE);
    int size = in->opsize;
    uint64_t ea = x86_ea(cpu, in);
    uint64_t off = x86_read(cpu, in->mem.seg, ea, size);
    uint16_t sel = (uint16_t)x86_read(cpu, in->mem.seg,
                                      (ea + (uint64_t)size) & x86_size_mask(in->addrsize), 2);
    x86_load_seg(cpu, sreg, sel);
    x86_write_reg_op(cpu, in, size, off);
    cpu->rip = x86_next_rip(cpu, in);
}

void exec_LDS(struct x86_cpu *cpu, const struct x86_insn *in) { load_far_pointer(cpu, in, S_DS); }
void exec_LES(struct x86_cpu *cpu, const struct x86_insn *in) { load_far_pointer(cpu, in, S_ES); }
void exec_LFS(struct x86_cpu *cpu, const struct x86_insn *in) { load_far_pointer(cpu, in, S_FS); }
void exec_LGS(struct x86_cpu *cpu, const struct x86_insn *in) { load_far_pointer(cpu, in, S_GS); }
void exec_LSS(struct x86_cpu *cpu, const struct x86_insn *in) { load_far_pointer(cpu, in, S_SS); }
