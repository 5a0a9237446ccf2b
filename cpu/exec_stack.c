/* The stack: PUSH POP PUSHA POPA ENTER LEAVE (SDM Vol. 2).  Each computes
 * its stack addresses locally and commits RSP last, so a fault in the middle
 * leaves the registers as they were (precise). */
#include "cpu/exec_inline.h"

static void set_sp(struct x86_cpu *cpu, uint64_t mask, uint64_t sp)
{
    cpu->gpr[R_RSP] = (cpu->gpr[R_RSP] & ~mask) | (sp & mask);
}

/* PUSH r, PUSH r/m, PUSH imm.  PUSH rSP pushes the value before the push
 * (SDM PUSH): the source is read first. */
void exec_PUSH(struct x86_cpu *cpu, const struct x86_insn *in)
{
    int size = in->opsize;
    uint64_t v;

    switch (in->form) {
    case FORM_REG:
        v = ix_get_reg(cpu, in->reg, size, true);
        break;
    case FORM_IMM:
        v = in->imm & lf_mask(size);
        break;
    default:
        v = ix_read_rm(cpu, in, size);
        break;
    }
    ix_push(cpu, size, v);
    cpu->rip = ix_next_rip(cpu, in);
}

/* POP r, POP r/m.  For a memory destination addressed through rSP, the
 * address is computed with rSP already incremented (SDM POP). */
void exec_POP(struct x86_cpu *cpu, const struct x86_insn *in)
{
    int size = in->opsize;
    uint64_t mask = ix_stack_mask(cpu);
    uint64_t sp = cpu->gpr[R_RSP] & mask;
    uint64_t v = ix_mem_read(cpu, S_SS, sp, size);

    if (in->form == FORM_REG || !ix_is_mem(in)) {
        set_sp(cpu, mask, sp + (uint64_t)size);
        ix_set_reg(cpu, in->form == FORM_REG ? in->reg : in->rm, size, true, v);
    } else {
        uint64_t old_rsp = cpu->gpr[R_RSP], ea;
        set_sp(cpu, mask, sp + (uint64_t)size);
        ea = ix_ea(cpu, in);
        cpu->gpr[R_RSP] = old_rsp;
        ix_mem_write(cpu, in->mem.seg, ea, size, v);
        set_sp(cpu, mask, sp + (uint64_t)size);
    }
    cpu->rip = ix_next_rip(cpu, in);
}

/* PUSHA/PUSHAD: AX CX DX BX, the original SP, BP SI DI. */
void exec_PUSHA(struct x86_cpu *cpu, const struct x86_insn *in)
{
    int size = in->opsize;
    uint64_t mask = ix_stack_mask(cpu);
    uint64_t sp = cpu->gpr[R_RSP];

    for (int r = R_RAX; r <= R_RDI; r++) {
        sp = (sp - (uint64_t)size) & mask;
        ix_mem_write(cpu, S_SS, sp, size, cpu->gpr[r] & lf_mask(size));
    }
    set_sp(cpu, mask, sp);
    cpu->rip = ix_next_rip(cpu, in);
}

/* POPA/POPAD: DI SI BP (SP skipped) BX DX CX AX. */
void exec_POPA(struct x86_cpu *cpu, const struct x86_insn *in)
{
    int size = in->opsize;
    uint64_t mask = ix_stack_mask(cpu);
    uint64_t sp = cpu->gpr[R_RSP], v[8];

    for (int r = R_RDI; r >= R_RAX; r--) {
        v[r] = ix_mem_read(cpu, S_SS, sp & mask, size);
        sp += (uint64_t)size;
    }
    for (int r = R_RAX; r <= R_RDI; r++)
        if (r != R_RSP)
            ix_set_reg(cpu, r, size, true, v[r]);
    set_sp(cpu, mask, sp);
    cpu->rip = ix_next_rip(cpu, in);
}

/* ENTER imm16, imm8 (SDM ENTER, the nesting level taken mod 32). */
void exec_ENTER(struct x86_cpu *cpu, const struct x86_insn *in)
{
    int size = in->opsize;
    uint64_t mask = ix_stack_mask(cpu);
    uint64_t alloc = in->imm & 0xffff;
    unsigned level = (unsigned)(in->imm2 & 31);
    uint64_t sp = cpu->gpr[R_RSP], bp = cpu->gpr[R_RBP], frame;

    sp = (sp - (uint64_t)size) & mask;
    ix_mem_write(cpu, S_SS, sp, size, bp & lf_mask(size));
    frame = sp;
    if (level > 0) {
        for (unsigned i = 1; i < level; i++) {
            bp = (bp - (uint64_t)size) & mask;
            uint64_t v = ix_mem_read(cpu, S_SS, bp, size);
            sp = (sp - (uint64_t)size) & mask;
            ix_mem_write(cpu, S_SS, sp, size, v);
        }
        sp = (sp - (uint64_t)size) & mask;
        ix_mem_write(cpu, S_SS, sp, size, frame);
    }
    sp = (sp - alloc) & mask;
    /* After the pushes, the processor checks that it may write at the final
     * rSP, so a frame that runs into a read-only or absent page faults (CR2
     * = the final rSP) with rBP and rSP unchanged, though the pushes are in
     * memory (what hardware does; the SDM's ENTER pseudo-code leaves the
     * check out). */
    ix_probe_write(cpu, S_SS, sp, size);
    /* rBP gets the frame pointer at the operand size; rSP at the stack size. */
    ix_set_reg(cpu, R_RBP, size, true, frame);
    set_sp(cpu, mask, sp);
    cpu->rip = ix_next_rip(cpu, in);
}

/* LEAVE: rSP = rBP (stack size), then POP rBP (operand size). */
void exec_LEAVE(struct x86_cpu *cpu, const struct x86_insn *in)
{
    int size = in->opsize;
    uint64_t mask = ix_stack_mask(cpu);
    uint64_t sp = cpu->gpr[R_RBP] & mask;
    uint64_t v = ix_mem_read(cpu, S_SS, sp, size);

    set_sp(cpu, mask, sp + (uint64_t)size);
    ix_set_reg(cpu, R_RBP, size, true, v);
    cpu->rip = ix_next_rip(cpu, in);
}
