/* Software interrupts and IRET (SDM Vol. 2, INT n/INTO/INT3/INT1, IRET).
 * The interrupt instructions only raise the event (RIP already at the next
 * instruction); cpu/exception.c delivers it. */
#include "cpu/exception.h"
#include "cpu/exec.h"
#include "cpu/mmu.h"
#include "cpu/seg.h"
#include "cpu/sys_regs.h"

void exec_INT(struct x86_cpu *cpu, const struct x86_insn *in)
{
    /* INT n in vm86 is IOPL-sensitive (no VME): #GP(0) below IOPL 3. */
    if (x86_vm86(cpu) && x86_iopl(cpu) < 3)
        x86_raise(cpu, X86_GP, 0);
    cpu->rip = x86_next_rip(cpu, in);
    x86_raise_event(cpu, EV_SOFT_INT, (int)(in->imm & 0xff));
}

void exec_INT3(struct x86_cpu *cpu, const struct x86_insn *in)
{
    cpu->rip = x86_next_rip(cpu, in);
    x86_raise_event(cpu, EV_SOFT_EXCEPTION, X86_BP);
}

void exec_INTO(struct x86_cpu *cpu, const struct x86_insn *in)
{
    if (x86_code64(cpu))
        x86_raise(cpu, X86_UD, X86_NO_ERRCODE);
    uint64_t next = x86_next_rip(cpu, in);
    bool of = (x86_get_rflags(cpu) & FL_OF) != 0;
    cpu->rip = next;
    if (of)
        x86_raise_event(cpu, EV_SOFT_EXCEPTION, X86_OF);
}

/* INT1 (ICEBP, F1): a #DB trap delivered like an external event: no gate
 * DPL check, EXT = 1. */
void exec_INT1(struct x86_cpu *cpu, const struct x86_insn *in)
{
    cpu->rip = x86_next_rip(cpu, in);
    x86_raise_event(cpu, EV_PRIV_SOFT_EXCEPTION, X86_DB);
}

/* --- IRET ----------------------------------------------------------------- */

#define FL_ALWAYS_WRITABLE (FL_STATUS | FL_TF | FL_DF | FL_NT | FL_RF | FL_AC | FL_ID)

/* RFLAGS after IRET in protected mode: which bits the popped image may
 * change depends on CPL (before the return) and IOPL; 16-bit IRET changes
 * only the low 16 bits; VM is never taken here. */
static uint64_t iret_flags(const struct x86_cpu *cpu, uint64_t old, uint64_t popped, int size)
{
    uint64_t writable = FL_ALWAYS_WRITABLE;
    if (cpu->cpl <= x86_iopl(cpu))
        writable |= FL_IF;
    if (cpu->cpl == 0)
        writable |= FL_IOPL | FL_VIF | FL_VIP;
    if (size == 2)
        writable &= 0xffff;
    return ((old & ~writable) | (popped & writable)) | FL_FIXED1;
}

static void iret_real(struct x86_cpu *cpu, int size)
{
    if (x86_vm86(cpu) && x86_iopl(cpu) < 3)
        x86_raise(cpu, X86_GP, 0);
    struct x86_stack st;
    x86_stack_current(cpu, &st);
    uint64_t ip = x86_stack_pop(cpu, &st, size);
    uint16_t cs = (uint16_t)x86_stack_pop(cpu, &st, size);
    uint64_t fl = x86_stack_pop(cpu, &st, size);
    if (ip > cpu->seg[S_CS].limit)
        x86_raise(cpu, X86_GP, 0);
    uint64_t old = x86_get_rflags(cpu);
    /* Real mode: everything but VM, VIF, VIP; vm86 also keeps IOPL. */
    uint64_t keep = FL_VM | FL_VIF | FL_VIP | (x86_vm86(cpu) ? FL_IOPL : 0);
    uint64_t writable = (size == 2 ? 0xffffull : 0x3fffffull) & ~keep & ~(uint64_t)FL_FIXED1;
    x86_stack_commit(cpu, &st);
    x86_load_seg_real(cpu, S_CS, cs);
    cpu->rip = ip;
    x86_set_rflags(cpu, (old & ~writable) | (fl & writable) | FL_FIXED1);
}

/* IRET from CPL 0 with VM set in the image: back to virtual-8086 mode
 * (SDM Vol. 2, IRET: RETURN-TO-VIRTUAL-8086-MODE). */
static void iret_to_vm86(struct x86_cpu *cpu, struct x86_stack *st, uint64_t ip, uint16_t cs,
                         uint64_t fl)
{
    uint64_t esp = x86_stack_pop(cpu, st, 4);
    uint16_t ss = (uint16_t)x86_stack_pop(cpu, st, 4);
    uint16_t es = (uint16_t)x86_stack_pop(cpu, st, 4);
    uint16_t ds = (uint16_t)x86_stack_pop(cpu, st, 4);
    uint16_t fs = (uint16_t)x86_stack_pop(cpu, st, 4);
    uint16_t gs = (uint16_t)x86_stack_pop(cpu, st, 4);
    x86_set_rflags(cpu, (fl & 0x3fffffull) | FL_FIXED1);   /* VM = 1 from here */
    x86_load_seg_real(cpu, S_CS, cs);
    x86_load_seg_real(cpu, S_SS, ss);
    x86_load_seg_real(cpu, S_ES, es);
    x86_load_seg_real(cpu, S_DS, ds);
    x86_load_seg_real(cpu, S_FS, fs);
    x86_load_seg_real(cpu, S_GS, gs);
    cpu->gpr[R_RSP] = esp & 0xffffffffull;
    cpu->rip = ip & 0xffff;
    cpu->cpl = 3;
}

static void iret_protected(struct x86_cpu *cpu, int size)
{
    uint64_t old = x86_get_rflags(cpu);
    /* NT: return to the previous task — task switches are not modelled; in
     * IA-32e mode NT gives #GP(0) anyway. */
    if (old & FL_NT)
        x86_raise(cpu, X86_GP, 0);
    struct x86_stack st;
    x86_stack_current(cpu, &st);
    uint64_t ip = x86_stack_pop(cpu, &st, size);
    uint16_t sel = (uint16_t)x86_stack_pop(cpu, &st, size);
    uint64_t fl = x86_stack_pop(cpu, &st, size);

    if ((fl & FL_VM) && cpu->cpl == 0 && size == 4 && !x86_long_mode(cpu)) {
        iret_to_vm86(cpu, &st, ip, sel, fl);
        return;
    }
    struct x86_segment cs;
    uint64_t raw = x86_check_return_cs(cpu, sel, &cs);
    int rpl = SEL_RPL(sel);
    bool target64 = x86_long_mode(cpu) && cs.l;
    /* 64-bit mode always pops SS:RSP (SDM Vol. 3, 6.14.3). */
    bool pop_stack = rpl > cpu->cpl || x86_code64(cpu);
    struct x86_segment ss;
    uint64_t new_sp = 0;
    if (pop_stack) {
        new_sp = x86_stack_pop(cpu, &st, size);
        uint16_t ss_sel = (uint16_t)x86_stack_pop(cpu, &st, size);
        x86_check_return_ss(cpu, ss_sel, rpl, target64, &ss);
    }
    if (target64 ? !x86_canonical(ip) : ip > cs.limit)
        x86_raise(cpu, X86_GP, 0);
    x86_desc_set_type_bits(cpu, sel, raw, DESC_TYPE_ACCESSED);

    /* Commit. */
    uint64_t newfl = iret_flags(cpu, old, fl, size);
    bool outer = rpl > cpu->cpl;
    if (pop_stack) {
        cpu->seg[S_SS] = ss;
        uint64_t mask = target64 ? ~0ull : ss.db ? 0xffffffffull : 0xffffull;
        cpu->gpr[R_RSP] = (cpu->gpr[R_RSP] & ~mask) | (new_sp & mask);
    } else {
        x86_stack_commit(cpu, &st);
    }
    x86_load_cs_checked(cpu, sel, raw, rpl);
    cpu->rip = ip;
    x86_set_rflags(cpu, newfl);
    if (outer)
        x86_null_inaccessible_segs(cpu);
}

void exec_IRET(struct x86_cpu *cpu, const struct x86_insn *in)
{
    if (!x86_protected(cpu) || x86_vm86(cpu))
        iret_real(cpu, in->opsize);
    else
        iret_protected(cpu, in->opsize);
    cpu->nmi_blocked = 0;   /* IRET ends NMI blocking (SDM Vol. 3, 6.7.1) */
}
