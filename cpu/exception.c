/* Raising and delivering exceptions and interrupts (SDM Vol. 3, ch. 6).
 *
 * Delivery is written so that a fault in the middle of it leaves the CPU as
 * it was: everything that can fault (IDT, GDT and TSS reads, the pushes on
 * the handler's stack) happens before the first register is changed, and
 * the commit at the end cannot fault.  The fault then combines with the
 * event being delivered by Table 6-5 (#DF) and is delivered in its place.
 *
 * Not modelled: task gates and task switches (a task gate in the IDT gives
 * #GP(vector*8+2+EXT), as a malformed gate would), virtual-8086 mode
 * extensions (CR4.VME). */
#include "cpu/exception.h"

#include <stdio.h>
#include <stdlib.h>

#include "cpu/mmu.h"
#include "cpu/seg.h"

_Noreturn void x86_raise(struct x86_cpu *cpu, int vector, uint32_t error_code)
{
    cpu->pending.type = EV_HW_EXCEPTION;
    cpu->pending.vector = (uint8_t)vector;
    cpu->pending.has_error = error_code != X86_NO_ERRCODE;
    cpu->pending.error_code = cpu->pending.has_error ? error_code : 0;
    if (!cpu->fault_jmp) {
        fprintf(stderr, "glass: exception %d at rip %#llx raised outside any instruction\n",
                vector, (unsigned long long)cpu->rip);
        abort();
    }
    longjmp(*cpu->fault_jmp, 1);
}

_Noreturn void x86_raise_event(struct x86_cpu *cpu, int type, int vector)
{
    cpu->pending.type = (uint8_t)type;
    cpu->pending.vector = (uint8_t)vector;
    cpu->pending.has_error = 0;
    cpu->pending.error_code = 0;
    if (!cpu->fault_jmp) {
        fprintf(stderr, "glass: event %d/%d raised outside any instruction\n", type, vector);
        abort();
    }
    longjmp(*cpu->fault_jmp, 1);
}

/* --- classes (SDM Vol. 3, 6.15, Tables 6-4 and 6-5) ---------------------- */

enum event_class { CLASS_BENIGN, CLASS_CONTRIBUTORY, CLASS_PAGE_FAULT, CLASS_DOUBLE_FAULT };

static enum event_class event_class(const struct x86_event *ev)
{
    if (ev->type != EV_HW_EXCEPTION)
        return CLASS_BENIGN;
    switch (ev->vector) {
    case X86_DE: case X86_TS: case X86_NP: case X86_SS: case X86_GP:
        return CLASS_CONTRIBUTORY;
    case X86_PF:
        return CLASS_PAGE_FAULT;
    case X86_DF:
        return CLASS_DOUBLE_FAULT;
    default:
        return CLASS_BENIGN;
    }
}

/* The event to deliver after `second` happened while delivering `first`. */
static struct x86_event combine_events(const struct x86_event *first,
                                       const struct x86_event *second)
{
    enum event_class c1 = event_class(first), c2 = event_class(second);
    if ((c1 == CLASS_CONTRIBUTORY && c2 == CLASS_CONTRIBUTORY)
        || (c1 == CLASS_PAGE_FAULT && (c2 == CLASS_CONTRIBUTORY || c2 == CLASS_PAGE_FAULT)))
        return (struct x86_event){ .type = EV_HW_EXCEPTION, .vector = X86_DF,
                                   .has_error = 1, .error_code = 0 };
    return *second;
}

/* Fault-class exceptions push RF = 1 (SDM Vol. 3, 18.3.1.1). */
static bool is_fault(const struct x86_event *ev)
{
    if (ev->type != EV_HW_EXCEPTION)
        return false;
    switch (ev->vector) {
    case X86_DE: case X86_BR: case X86_UD: case X86_NM: case X86_TS: case X86_NP:
    case X86_SS: case X86_GP: case X86_PF: case X86_MF: case X86_AC: case X86_XM:
        return true;
    default:
        return false;
    }
}

/* EXT bit of error codes raised while delivering ev (SDM Vol. 3, 6.13):
 * set unless ev is INT n, INT3 or INTO. */
static uint32_t ext_bit(const struct x86_event *ev)
{
    return ev->type == EV_SOFT_INT || ev->type == EV_SOFT_EXCEPTION ? 0 : 1;
}

static bool is_software(const struct x86_event *ev)
{
    return ev->type == EV_SOFT_INT || ev->type == EV_SOFT_EXCEPTION;
}

static uint64_t pushed_rflags(struct x86_cpu *cpu, const struct x86_event *ev)
{
    uint64_t fl = x86_get_rflags(cpu);
    return is_fault(ev) ? fl | FL_RF : fl;
}

/* --- real mode (SDM Vol. 3, 21.1.4) --------------------------------------- */

static void deliver_real(struct x86_cpu *cpu, const struct x86_event *ev)
{
    uint64_t entry = (uint64_t)ev->vector * 4;
    if (entry + 3 > cpu->idtr.limit)
        x86_raise(cpu, X86_GP, 0);
    uint32_t vec = (uint32_t)x86_lin_read(cpu, (cpu->idtr.base + entry) & 0xffffffffull, 4,
                                          ACC_READ | ACC_IMPLICIT_SV);
    struct x86_stack st;
    x86_stack_current(cpu, &st);
    x86_stack_push(cpu, &st, 2, pushed_rflags(cpu, ev));
    x86_stack_push(cpu, &st, 2, cpu->seg[S_CS].selector);
    x86_stack_push(cpu, &st, 2, cpu->rip);

    x86_stack_commit(cpu, &st);
    x86_load_seg_real(cpu, S_CS, (uint16_t)(vec >> 16));
    cpu->rip = vec & 0xffff;
    cpu->rflags &= ~(uint64_t)(FL_IF | FL_TF | FL_AC | FL_RF);
}

/* --- protected mode gates: shared checks ---------------------------------- */

/* Check the gate type, DPL (software events only) and presence. */
static void check_gate(struct x86_cpu *cpu, const struct x86_event *ev, const struct x86_gate *g,
                       bool long_mode)
{
    uint32_t idt_err = (uint32_t)ev->vector * 8 + 2 + ext_bit(ev);
    bool ok;
    if (long_mode)
        ok = !g->s && (g->type == SYS_INT32 || g->type == SYS_TRAP32);
    else
        ok = !g->s && (g->type == SYS_INT16 || g->type == SYS_TRAP16
                       || g->type == SYS_INT32 || g->type == SYS_TRAP32);
    if (!ok)   /* includes task gates: task switching is not modelled */
        x86_raise(cpu, X86_GP, idt_err);
    /* INT n, INT3, INTO: gate DPL >= CPL (SDM Vol. 3, 6.12.1.1). */
    if (is_software(ev) && g->dpl < cpu->cpl)
        x86_raise(cpu, X86_GP, (uint32_t)ev->vector * 8 + 2);
    if (!g->present)
        x86_raise(cpu, X86_NP, idt_err);
}

/* The handler's code segment: checks, returns its raw descriptor. */
static uint64_t check_handler_cs(struct x86_cpu *cpu, uint16_t sel, uint32_t ext,
                                 bool long_mode, struct x86_segment *cs)
{
    uint64_t raw;
    if (SEL_INDEX(sel) == 0 && !(sel & SEL_TI))
        x86_raise(cpu, X86_GP, ext);
    if (x86_read_descriptor(cpu, sel, &raw) < 0)
        x86_raise(cpu, X86_GP, SEL_ERR(sel) | ext);
    x86_desc_to_segment(raw, sel, cs);
    if (!x86_desc_is_code(cs) || cs->dpl > cpu->cpl)
        x86_raise(cpu, X86_GP, SEL_ERR(sel) | ext);
    if (long_mode && (!cs->l || cs->db))
        x86_raise(cpu, X86_GP, SEL_ERR(sel) | ext);
    if (!cs->present)
        x86_raise(cpu, X86_NP, SEL_ERR(sel) | ext);
    return raw;
}

static void finish_handler_entry(struct x86_cpu *cpu, uint16_t cs_sel, uint64_t cs_raw,
                                 int new_cpl, uint64_t rip, bool interrupt_gate)
{
    x86_load_cs_checked(cpu, cs_sel, cs_raw, new_cpl);
    cpu->rip = rip;
    cpu->rflags &= ~(uint64_t)(FL_TF | FL_NT | FL_RF | FL_VM);
    if (interrupt_gate)
        cpu->rflags &= ~(uint64_t)FL_IF;
}

/* --- legacy protected mode (SDM Vol. 3, 6.12.1) --------------------------- */

/* SS:ESP for privilege level dpl from the current 16- or 32-bit TSS. */
static void tss_stack_legacy(struct x86_cpu *cpu, int dpl, uint32_t ext,
                             uint16_t *ss, uint32_t *esp)
{
    const struct x86_segment *tr = &cpu->seg[S_TR];
    bool tss32 = (tr->type & 8) != 0;
    int width = tss32 ? 4 : 2;
    uint32_t off = tss32 ? 4 + 8 * (uint32_t)dpl : 2 + 4 * (uint32_t)dpl;
    if (off + 2u * (uint32_t)width - 1 > tr->limit)
        x86_raise(cpu, X86_TS, SEL_ERR(tr->selector) | ext);
    uint64_t lin = (tr->base + off) & 0xffffffffull;
    *esp = (uint32_t)x86_lin_read(cpu, lin, width, ACC_READ | ACC_IMPLICIT_SV);
    *ss = (uint16_t)x86_lin_read(cpu, (lin + (uint64_t)width) & 0xffffffffull, 2,
                                 ACC_READ | ACC_IMPLICIT_SV);
}

static void deliver_protected(struct x86_cpu *cpu, const struct x86_event *ev)
{
    uint32_t ext = ext_bit(ev);
    uint64_t entry = (uint64_t)ev->vector * 8;
    if (entry + 7 > cpu->idtr.limit)
        x86_raise(cpu, X86_GP, (uint32_t)entry + 2 + ext);
    uint64_t lo = x86_lin_read(cpu, (cpu->idtr.base + entry) & 0xffffffffull, 8,
                               ACC_READ | ACC_IMPLICIT_SV);
    struct x86_gate g;
    x86_desc_to_gate(lo, 0, &g);
    check_gate(cpu, ev, &g, false);

    struct x86_segment cs;
    uint64_t cs_raw = check_handler_cs(cpu, g.selector, ext, false, &cs);
    bool inner = !(cs.type & DESC_TYPE_CONFORM) && cs.dpl < cpu->cpl;
    bool from_vm86 = x86_vm86(cpu);
    /* From vm86 only a ring-0 non-conforming handler will do (6.12.1.1). */
    if (from_vm86 && (!inner || cs.dpl != 0))
        x86_raise(cpu, X86_GP, SEL_ERR(g.selector) | ext);
    int new_cpl = inner ? cs.dpl : cpu->cpl;
    int size = (g.type & 8) ? 4 : 2;
    uint64_t rip = size == 4 ? (g.offset & 0xffffffffull) : (g.offset & 0xffff);

    struct x86_stack st;
    struct x86_segment new_ss;
    uint16_t ss_sel = 0;
    uint64_t ss_raw = 0;
    uint32_t esp = 0;
    if (inner) {
        tss_stack_legacy(cpu, new_cpl, ext, &ss_sel, &esp);
        if (SEL_INDEX(ss_sel) == 0 && !(ss_sel & SEL_TI))
            x86_raise(cpu, X86_TS, ext);
        switch (x86_check_stack_desc(cpu, ss_sel, new_cpl, &ss_raw)) {
        case 0: break;
        case -4: x86_raise(cpu, X86_SS, SEL_ERR(ss_sel) | ext);
        default: x86_raise(cpu, X86_TS, SEL_ERR(ss_sel) | ext);
        }
        x86_desc_to_segment(ss_raw | (1ull << 40), ss_sel, &new_ss);
        x86_stack_other(&st, &new_ss, esp, false, SEL_ERR(ss_sel) | ext, ACC_IMPLICIT_SV);
        if (from_vm86) {
            x86_stack_push(cpu, &st, size, cpu->seg[S_GS].selector);
            x86_stack_push(cpu, &st, size, cpu->seg[S_FS].selector);
            x86_stack_push(cpu, &st, size, cpu->seg[S_DS].selector);
            x86_stack_push(cpu, &st, size, cpu->seg[S_ES].selector);
        }
        x86_stack_push(cpu, &st, size, cpu->seg[S_SS].selector);
        x86_stack_push(cpu, &st, size, cpu->gpr[R_RSP]);
    } else {
        x86_stack_current(cpu, &st);
        st.err = ext;
    }
    x86_stack_push(cpu, &st, size, pushed_rflags(cpu, ev));
    x86_stack_push(cpu, &st, size, cpu->seg[S_CS].selector);
    x86_stack_push(cpu, &st, size, cpu->rip);
    if (ev->type == EV_HW_EXCEPTION && ev->has_error)
        x86_stack_push(cpu, &st, size, ev->error_code);
    if (rip > cs.limit)
        x86_raise(cpu, X86_GP, ext);
    x86_desc_set_type_bits(cpu, g.selector, cs_raw, DESC_TYPE_ACCESSED);
    if (inner)
        x86_desc_set_type_bits(cpu, ss_sel, ss_raw, DESC_TYPE_ACCESSED);

    /* Commit: nothing below faults. */
    if (inner) {
        cpu->seg[S_SS] = new_ss;
        cpu->gpr[R_RSP] = esp;
    }
    x86_stack_commit(cpu, &st);
    if (from_vm86) {
        x86_load_seg_null(cpu, S_ES, 0);
        x86_load_seg_null(cpu, S_DS, 0);
        x86_load_seg_null(cpu, S_FS, 0);
        x86_load_seg_null(cpu, S_GS, 0);
    }
    finish_handler_entry(cpu, g.selector, cs_raw, new_cpl, rip, !(g.type & 1));
}

/* --- IA-32e mode (SDM Vol. 3, 6.14) --------------------------------------- */

static uint64_t tss_read64(struct x86_cpu *cpu, uint32_t off, uint32_t ext)
{
    const struct x86_segment *tr = &cpu->seg[S_TR];
    if (off + 7 > tr->limit)
        x86_raise(cpu, X86_TS, SEL_ERR(tr->selector) | ext);
    return x86_lin_read(cpu, tr->base + off, 8, ACC_READ | ACC_IMPLICIT_SV);
}

static void deliver_long(struct x86_cpu *cpu, const struct x86_event *ev)
{
    uint32_t ext = ext_bit(ev);
    uint64_t entry = (uint64_t)ev->vector * 16;
    if (entry + 15 > cpu->idtr.limit)
        x86_raise(cpu, X86_GP, (uint32_t)ev->vector * 8 + 2 + ext);
    uint64_t lo = x86_lin_read(cpu, cpu->idtr.base + entry, 8, ACC_READ | ACC_IMPLICIT_SV);
    uint64_t hi = x86_lin_read(cpu, cpu->idtr.base + entry + 8, 8, ACC_READ | ACC_IMPLICIT_SV);
    struct x86_gate g;
    x86_desc_to_gate(lo, hi, &g);
    check_gate(cpu, ev, &g, true);

    struct x86_segment cs;
    uint64_t cs_raw = check_handler_cs(cpu, g.selector, ext, true, &cs);
    bool inner = !(cs.type & DESC_TYPE_CONFORM) && cs.dpl < cpu->cpl;
    int new_cpl = inner ? cs.dpl : cpu->cpl;

    /* The new RSP: IST if the gate names one, else TSS.RSPn on a privilege
     * change, else the current one; then aligned to 16 (6.14.2). */
    uint64_t rsp = cpu->gpr[R_RSP];
    if (g.ist)
        rsp = tss_read64(cpu, 0x24 + 8u * (g.ist - 1u), ext);
    else if (inner)
        rsp = tss_read64(cpu, 4 + 8u * (uint32_t)new_cpl, ext);
    rsp &= ~0xfull;

    struct x86_stack st;
    x86_stack_other(&st, &cpu->seg[S_SS], rsp, true, ext, inner ? ACC_IMPLICIT_SV : 0);
    x86_stack_push(cpu, &st, 8, cpu->seg[S_SS].selector);
    x86_stack_push(cpu, &st, 8, cpu->gpr[R_RSP]);
    x86_stack_push(cpu, &st, 8, pushed_rflags(cpu, ev));
    x86_stack_push(cpu, &st, 8, cpu->seg[S_CS].selector);
    x86_stack_push(cpu, &st, 8, cpu->rip);
    if (ev->type == EV_HW_EXCEPTION && ev->has_error)
        x86_stack_push(cpu, &st, 8, ev->error_code);
    if (!x86_canonical(g.offset))
        x86_raise(cpu, X86_GP, ext);
    x86_desc_set_type_bits(cpu, g.selector, cs_raw, DESC_TYPE_ACCESSED);

    /* Commit. */
    if (inner)   /* SS = NULL with RPL = new CPL (6.14.4) */
        x86_load_seg_null(cpu, S_SS, (uint16_t)new_cpl);
    cpu->gpr[R_RSP] = st.sp;
    finish_handler_entry(cpu, g.selector, cs_raw, new_cpl, g.offset, !(g.type & 1));
}

/* --- delivery loop --------------------------------------------------------- */

static void deliver_event(struct x86_cpu *cpu, const struct x86_event *ev)
{
    if (!x86_protected(cpu))
        deliver_real(cpu, ev);
    else if (x86_long_mode(cpu))
        deliver_long(cpu, ev);
    else
        deliver_protected(cpu, ev);
    if (ev->type == EV_NMI)
        cpu->nmi_blocked = 1;   /* until the next IRET (6.7.1) */
}

/* One attempt; 0 if delivered, 1 if it faulted (the fault in cpu->pending).
 * Kept apart so that no local of the caller lives across setjmp. */
static int try_deliver(struct x86_cpu *cpu, const struct x86_event *ev)
{
    jmp_buf jb;
    cpu->fault_jmp = &jb;
    if (setjmp(jb))
        return 1;
    deliver_event(cpu, ev);
    return 0;
}

void x86_deliver_pending(struct x86_cpu *cpu)
{
    jmp_buf *saved = cpu->fault_jmp;
    struct x86_event cur = cpu->pending;
    cpu->pending.type = EV_NONE;
    if (cur.type == EV_NONE || cpu->shutdown)
        return;
    cpu->halted = 0;
    cpu->interrupt_shadow = 0;
    while (try_deliver(cpu, &cur)) {
        struct x86_event second = cpu->pending;
        cpu->pending.type = EV_NONE;
        if (event_class(&cur) == CLASS_DOUBLE_FAULT) {
            cpu->shutdown = 1;   /* triple fault (6.15, interrupt 8) */
            break;
        }
        cur = combine_events(&cur, &second);
    }
    cpu->fault_jmp = saved;
}

void x86_deliver_interrupt(struct x86_cpu *cpu, int type, int vector)
{
    cpu->pending = (struct x86_event){ .type = (uint8_t)type, .vector = (uint8_t)vector };
    x86_deliver_pending(cpu);
}

void x86_take_interrupts(struct x86_cpu *cpu)
{
    if (cpu->interrupt_shadow)
        return;
    if (cpu->nmi_pending && !cpu->nmi_blocked) {
        cpu->nmi_pending = 0;
        x86_deliver_interrupt(cpu, EV_NMI, X86_NMI);
        return;
    }
    if (cpu->env.intr_pending && (cpu->rflags & FL_IF) && cpu->env.intr_ack) {
        /* Clear first: a device raising a line meanwhile sets it again. */
        cpu->env.intr_pending = 0;
        int vec = cpu->env.intr_ack(cpu->env.opaque);
        if (vec >= 0) {
            cpu->env.intr_pending = 1; /* there may be more: look again */
            x86_deliver_interrupt(cpu, EV_EXTINT, vec);
        }
    }
}
