/* Far transfers: JMP, CALL and RET through code segments and call gates
 * (SDM Vol. 2, JMP, CALL, RET; Vol. 3, 5.8).  Every check and every push
 * happens before anything is committed, so a fault leaves the CPU as it was.
 * Task switches (a TSS or task gate as the target) are not modelled: they
 * give #GP(selector). */
#include "cpu/exception.h"
#include "cpu/exec.h"
#include "cpu/mmu.h"
#include "cpu/seg.h"
#include "cpu/sys_regs.h"

enum far_kind { FAR_JMP, FAR_CALL };

/* The far pointer of a JMP/CALL: immediate ptr16:16/32, or m16:16/32/64. */
static void far_pointer(struct x86_cpu *cpu, const struct x86_insn *in, bool indirect,
                        uint16_t *sel, uint64_t *off)
{
    int size = in->opsize;
    if (!indirect) {
        *sel = (uint16_t)in->imm2;
        *off = in->imm & x86_size_mask(size);
        return;
    }
    if (!(in->flags & INSN_MEM))
        x86_raise(cpu, X86_UD, X86_NO_ERRCODE);
    uint64_t ea = x86_ea(cpu, in);
    *off = x86_read(cpu, in->mem.seg, ea, size);
    *sel = (uint16_t)x86_read(cpu, in->mem.seg, (ea + (uint64_t)size) & x86_size_mask(in->addrsize), 2);
}

/* Is the new RIP inside the target code segment (or canonical if 64-bit)? */
static void check_target_rip(struct x86_cpu *cpu, const struct x86_segment *cs, uint64_t rip)
{
    bool code64 = x86_long_mode(cpu) && cs->l;
    if (code64 ? !x86_canonical(rip) : rip > cs->limit)
        x86_raise(cpu, X86_GP, 0);
}

static void far_real(struct x86_cpu *cpu, const struct x86_insn *in, uint16_t sel, uint64_t off,
                     enum far_kind kind)
{
    struct x86_stack st;
    x86_stack_current(cpu, &st);
    if (off > cpu->seg[S_CS].limit)
        x86_raise(cpu, X86_GP, 0);
    if (kind == FAR_CALL) {
        x86_stack_push(cpu, &st, in->opsize, cpu->seg[S_CS].selector);
        x86_stack_push(cpu, &st, in->opsize, x86_next_rip(cpu, in));
        x86_stack_commit(cpu, &st);
    }
    x86_load_seg_real(cpu, S_CS, sel);
    cpu->rip = off;
}

/* JMP/CALL to a code segment at the same privilege (5.8.1, 5.8.2). */
static void far_direct(struct x86_cpu *cpu, const struct x86_insn *in, uint16_t sel, uint64_t raw,
                       const struct x86_segment *cs, uint64_t off, enum far_kind kind)
{
    if ((cs->type & DESC_TYPE_CONFORM) ? cs->dpl > cpu->cpl
                                       : (SEL_RPL(sel) > cpu->cpl || cs->dpl != cpu->cpl))
        x86_raise(cpu, X86_GP, SEL_ERR(sel));
    if (!cs->present)
        x86_raise(cpu, X86_NP, SEL_ERR(sel));
    if (x86_long_mode(cpu) && cs->l && cs->db)
        x86_raise(cpu, X86_GP, SEL_ERR(sel));
    check_target_rip(cpu, cs, off);
    struct x86_stack st;
    x86_stack_current(cpu, &st);
    if (kind == FAR_CALL) {
        x86_stack_push(cpu, &st, in->opsize, cpu->seg[S_CS].selector);
        x86_stack_push(cpu, &st, in->opsize, x86_next_rip(cpu, in));
    }
    x86_desc_set_type_bits(cpu, sel, raw, DESC_TYPE_ACCESSED);
    x86_stack_commit(cpu, &st);
    x86_load_cs_checked(cpu, sel, raw, cpu->cpl);
    cpu->rip = off;
}

/* SS:ESP for a privilege level from the TSS (legacy), #TS(TR) if the TSS is
 * too short. */
static void tss_stack(struct x86_cpu *cpu, int dpl, uint16_t *ss, uint64_t *sp)
{
    const struct x86_segment *tr = &cpu->seg[S_TR];
    if (x86_long_mode(cpu)) {
        uint32_t off = 4 + 8u * (uint32_t)dpl;
        if (off + 7 > tr->limit)
            x86_raise(cpu, X86_TS, SEL_ERR(tr->selector));
        *sp = x86_lin_read(cpu, tr->base + off, 8, ACC_READ | ACC_IMPLICIT_SV);
        *ss = (uint16_t)dpl;   /* a null selector with RPL = new CPL */
        return;
    }
    bool tss32 = (tr->type & 8) != 0;
    int width = tss32 ? 4 : 2;
    uint32_t off = tss32 ? 4 + 8u * (uint32_t)dpl : 2 + 4u * (uint32_t)dpl;
    if (off + 2u * (uint32_t)width - 1 > tr->limit)
        x86_raise(cpu, X86_TS, SEL_ERR(tr->selector));
    uint64_t lin = (tr->base + off) & 0xffffffffull;
    *sp = x86_lin_read(cpu, lin, width, ACC_READ | ACC_IMPLICIT_SV);
    *ss = (uint16_t)x86_lin_read(cpu, (lin + (uint64_t)width) & 0xffffffffull, 2,
                                 ACC_READ | ACC_IMPLICIT_SV);
}

/* JMP/CALL through a call gate (5.8.3 - 5.8.6). */
static void far_gate(struct x86_cpu *cpu, const struct x86_insn *in, uint16_t gate_sel,
                     uint64_t lo, enum far_kind kind)
{
    bool lm = x86_long_mode(cpu);
    uint64_t hi = 0;
    struct x86_gate g;
    if (lm) {
        if (x86_read_descriptor16(cpu, gate_sel, &lo, &hi) < 0 || ((hi >> 40) & 0x1f))
            x86_raise(cpu, X86_GP, SEL_ERR(gate_sel));
    }
    x86_desc_to_gate(lo, hi, &g);
    if (g.dpl < cpu->cpl || g.dpl < SEL_RPL(gate_sel))
        x86_raise(cpu, X86_GP, SEL_ERR(gate_sel));
    if (!g.present)
        x86_raise(cpu, X86_NP, SEL_ERR(gate_sel));

    uint16_t sel = g.selector;
    uint64_t raw;
    struct x86_segment cs;
    if (SEL_INDEX(sel) == 0 && !(sel & SEL_TI))
        x86_raise(cpu, X86_GP, 0);
    if (x86_read_descriptor(cpu, sel, &raw) < 0)
        x86_raise(cpu, X86_GP, SEL_ERR(sel));
    x86_desc_to_segment(raw, sel, &cs);
    bool conforming = (cs.type & DESC_TYPE_CONFORM) != 0;
    if (!x86_desc_is_code(&cs) || cs.dpl > cpu->cpl)
        x86_raise(cpu, X86_GP, SEL_ERR(sel));
    if (lm && (!cs.l || cs.db))
        x86_raise(cpu, X86_GP, SEL_ERR(sel));
    if (kind == FAR_JMP && !conforming && cs.dpl != cpu->cpl)
        x86_raise(cpu, X86_GP, SEL_ERR(sel));
    if (!cs.present)
        x86_raise(cpu, X86_NP, SEL_ERR(sel));

    int size = lm ? 8 : (g.type == SYS_CALL32 ? 4 : 2);
    uint64_t rip = size == 2 ? g.offset & 0xffff : size == 4 ? g.offset & 0xffffffffull : g.offset;
    check_target_rip(cpu, &cs, rip);
    bool inner = kind == FAR_CALL && !conforming && cs.dpl < cpu->cpl;
    int new_cpl = inner ? cs.dpl : cpu->cpl;

    struct x86_stack st;
    struct x86_segment new_ss;
    uint16_t ss_sel = 0;
    uint64_t new_sp = 0;
    if (inner) {
        tss_stack(cpu, new_cpl, &ss_sel, &new_sp);
        if (lm) {
            new_ss = (struct x86_segment){ .selector = ss_sel, .unusable = 1,
                                           .dpl = (uint8_t)new_cpl };
            x86_stack_other(&st, &new_ss, new_sp, true, 0, ACC_IMPLICIT_SV);
        } else {
            uint64_t ss_raw;
            if (SEL_INDEX(ss_sel) == 0 && !(ss_sel & SEL_TI))
                x86_raise(cpu, X86_TS, 0);
            switch (x86_check_stack_desc(cpu, ss_sel, new_cpl, &ss_raw)) {
            case 0: break;
            case -4: x86_raise(cpu, X86_SS, SEL_ERR(ss_sel));
            default: x86_raise(cpu, X86_TS, SEL_ERR(ss_sel));
            }
            x86_desc_set_type_bits(cpu, ss_sel, ss_raw, DESC_TYPE_ACCESSED);
            x86_desc_to_segment(ss_raw | (1ull << 40), ss_sel, &new_ss);
            x86_stack_other(&st, &new_ss, new_sp, false, SEL_ERR(ss_sel), ACC_IMPLICIT_SV);
        }
        x86_stack_push(cpu, &st, size, cpu->seg[S_SS].selector);
        x86_stack_push(cpu, &st, size, cpu->gpr[R_RSP]);
        /* Copy the parameters from the old stack, deepest first (5.8.5). */
        if (!lm && g.param_count) {
            struct x86_stack old;
            x86_stack_current(cpu, &old);
            old.sp = (old.sp + (uint64_t)g.param_count * (uint64_t)size) & old.mask;
            for (int i = 0; i < g.param_count; i++) {
                old.sp = (old.sp - (uint64_t)size) & old.mask;
                struct x86_stack peek = old;
                x86_stack_push(cpu, &st, size, x86_stack_pop(cpu, &peek, size));
            }
        }
    } else {
        x86_stack_current(cpu, &st);
    }
    if (kind == FAR_CALL) {
        x86_stack_push(cpu, &st, size, cpu->seg[S_CS].selector);
        x86_stack_push(cpu, &st, size, x86_next_rip(cpu, in));
    }
    x86_desc_set_type_bits(cpu, sel, raw, DESC_TYPE_ACCESSED);

    /* Commit. */
    if (inner) {
        cpu->seg[S_SS] = new_ss;
        cpu->gpr[R_RSP] = new_sp;
    }
    if (kind == FAR_CALL)
        x86_stack_commit(cpu, &st);
    x86_load_cs_checked(cpu, sel, raw, new_cpl);
    cpu->rip = rip;
}

static void far_transfer(struct x86_cpu *cpu, const struct x86_insn *in, bool indirect,
                         enum far_kind kind)
{
    uint16_t sel;
    uint64_t off;
    far_pointer(cpu, in, indirect, &sel, &off);
    if (!x86_protected(cpu) || x86_vm86(cpu)) {
        far_real(cpu, in, sel, off, kind);
        return;
    }
    if (SEL_INDEX(sel) == 0 && !(sel & SEL_TI))
        x86_raise(cpu, X86_GP, 0);
    uint64_t raw;
    if (x86_read_descriptor(cpu, sel, &raw) < 0)
        x86_raise(cpu, X86_GP, SEL_ERR(sel));
    struct x86_segment d;
    x86_desc_to_segment(raw, sel, &d);
    if (d.s) {
        if (!x86_desc_is_code(&d))
            x86_raise(cpu, X86_GP, SEL_ERR(sel));
        far_direct(cpu, in, sel, raw, &d, off, kind);
        return;
    }
    bool gate = x86_long_mode(cpu) ? d.type == SYS_CALL32
                                   : (d.type == SYS_CALL16 || d.type == SYS_CALL32);
    if (!gate)   /* TSS, task gate (task switch not modelled), or junk */
        x86_raise(cpu, X86_GP, SEL_ERR(sel));
    far_gate(cpu, in, sel, raw, kind);
}

void exec_JMPF(struct x86_cpu *cpu, const struct x86_insn *in) { far_transfer(cpu, in, false, FAR_JMP); }
void exec_JMPF_IND(struct x86_cpu *cpu, const struct x86_insn *in) { far_transfer(cpu, in, true, FAR_JMP); }
void exec_CALLF(struct x86_cpu *cpu, const struct x86_insn *in) { far_transfer(cpu, in, false, FAR_CALL); }
void exec_CALLF_IND(struct x86_cpu *cpu, const struct x86_insn *in) { far_transfer(cpu, in, true, FAR_CALL); }

/* RETF [imm16] (SDM Vol. 2, RET: far return). */
void exec_RETF(struct x86_cpu *cpu, const struct x86_insn *in)
{
    int size = in->opsize;
    uint64_t release = in->form == FORM_IMM ? in->imm & 0xffff : 0;
    struct x86_stack st;
    x86_stack_current(cpu, &st);
    uint64_t off = x86_stack_pop(cpu, &st, size);
    uint16_t sel = (uint16_t)x86_stack_pop(cpu, &st, size);

    if (!x86_protected(cpu) || x86_vm86(cpu)) {
        off &= 0xffffffffull;
        if (off > cpu->seg[S_CS].limit)
            x86_raise(cpu, X86_GP, 0);
        st.sp = (st.sp + release) & st.mask;
        x86_stack_commit(cpu, &st);
        x86_load_seg_real(cpu, S_CS, sel);
        cpu->rip = off;
        return;
    }

    struct x86_segment cs;
    uint64_t raw = x86_check_return_cs(cpu, sel, &cs);
    int rpl = SEL_RPL(sel);
    bool target64 = x86_long_mode(cpu) && cs.l;
    check_target_rip(cpu, &cs, off);
    if (rpl == cpu->cpl) {
        x86_desc_set_type_bits(cpu, sel, raw, DESC_TYPE_ACCESSED);
        st.sp = (st.sp + release) & st.mask;
        x86_stack_commit(cpu, &st);
        x86_load_cs_checked(cpu, sel, raw, rpl);
        cpu->rip = off;
        return;
    }
    /* Return to an outer privilege level: SS:rSP follow the parameters. */
    st.sp = (st.sp + release) & st.mask;
    uint64_t new_sp = x86_stack_pop(cpu, &st, size);
    uint16_t ss_sel = (uint16_t)x86_stack_pop(cpu, &st, size);
    struct x86_segment ss;
    x86_check_return_ss(cpu, ss_sel, rpl, target64, &ss);
    x86_desc_set_type_bits(cpu, sel, raw, DESC_TYPE_ACCESSED);

    /* Commit. */
    x86_load_cs_checked(cpu, sel, raw, rpl);
    cpu->rip = off;
    cpu->seg[S_SS] = ss;
    uint64_t mask = target64 ? ~0ull : ss.db ? 0xffffffffull : 0xffffull;
    cpu->gpr[R_RSP] = (new_sp & ~mask) | ((new_sp + release) & mask);
    x86_null_inaccessible_segs(cpu);
}
