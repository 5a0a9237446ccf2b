/* Descriptor-table instructions: LGDT, LIDT, SGDT, SIDT, LLDT, SLDT, LTR, STR,
 * and the descriptor probes LAR, LSL, VERR, VERW, ARPL (SDM Vol. 2). */
#include "cpu/exception.h"
#include "cpu/exec.h"
#include "cpu/flags.h"
#include "cpu/mmu.h"
#include "cpu/seg.h"
#include "cpu/sys_regs.h"

static void require_memory_operand(struct x86_cpu *cpu, const struct x86_insn *in)
{
    if (!(in->flags & INSN_MEM))
        x86_raise(cpu, X86_UD, X86_NO_ERRCODE);
}

/* The offset `plus` bytes into the memory operand, wrapped to the address
 * size. */
static uint64_t operand_offset(const struct x86_cpu *cpu, const struct x86_insn *in, int plus)
{
    return (x86_ea(cpu, in) + (uint64_t)plus) & x86_size_mask(in->addrsize);
}

/* LGDT/LIDT m16&32 (m16&64 in 64-bit mode).  With a 16-bit operand size only
 * 24 bits of base are used. */
static void load_dtable(struct x86_cpu *cpu, const struct x86_insn *in, struct x86_dtable *dt)
{
    require_memory_operand(cpu, in);
    x86_require_cpl0(cpu);
    int seg = in->mem.seg;
    uint16_t limit = (uint16_t)x86_read(cpu, seg, operand_offset(cpu, in, 0), 2);
    uint64_t base;
    if (x86_code64(cpu)) {
        base = x86_read(cpu, seg, operand_offset(cpu, in, 2), 8);
        if (!x86_canonical(base))
            x86_raise(cpu, X86_GP, 0);
    } else {
        base = x86_read(cpu, seg, operand_offset(cpu, in, 2), 4);
        if (in->opsize == 2)
            base &= 0xffffff;
    }
    dt->base = base;
    dt->limit = limit;
    cpu->rip = x86_next_rip(cpu, in);
}

/* SGDT/SIDT: limit, then a 32-bit base (64-bit in 64-bit mode). */
static void store_dtable(struct x86_cpu *cpu, const struct x86_insn *in, const struct x86_dtable *dt)
{
    require_memory_operand(cpu, in);
    x86_check_umip(cpu);
    int seg = in->mem.seg;
    int base_size = x86_code64(cpu) ? 8 : 4;
    /* Check both parts are writable before storing either. */
    x86_seg_linear(cpu, seg, operand_offset(cpu, in, 2), base_size, ACC_WRITE);
    x86_write(cpu, seg, operand_offset(cpu, in, 0), 2, dt->limit);
    x86_write(cpu, seg, operand_offset(cpu, in, 2), base_size, dt->base);
    cpu->rip = x86_next_rip(cpu, in);
}

void exec_LGDT(struct x86_cpu *cpu, const struct x86_insn *in) { load_dtable(cpu, in, &cpu->gdtr); }
void exec_LIDT(struct x86_cpu *cpu, const struct x86_insn *in) { load_dtable(cpu, in, &cpu->idtr); }
void exec_SGDT(struct x86_cpu *cpu, const struct x86_insn *in) { store_dtable(cpu, in, &cpu->gdtr); }
void exec_SIDT(struct x86_cpu *cpu, const struct x86_insn *in) { store_dtable(cpu, in, &cpu->idtr); }

/* Read the system descriptor an LLDT/LTR selector names (GDT only; 16 bytes
 * in IA-32e mode) into a segment cache; #GP(sel) if it is not there. */
static uint64_t read_system_descriptor(struct x86_cpu *cpu, uint16_t sel, struct x86_segment *s)
{
    uint64_t lo, hi = 0;
    int r;
    if (sel & SEL_TI)
        x86_raise(cpu, X86_GP, SEL_ERR(sel));
    if (x86_long_mode(cpu))
        r = x86_read_descriptor16(cpu, sel, &lo, &hi);
    else
        r = x86_read_descriptor(cpu, sel, &lo);
    if (r < 0)
        x86_raise(cpu, X86_GP, SEL_ERR(sel));
    x86_desc_to_segment(lo, sel, s);
    /* The type field of the upper half of a 16-byte descriptor must be 0. */
    if (x86_long_mode(cpu) && ((hi >> 40) & 0x1f))
        x86_raise(cpu, X86_GP, SEL_ERR(sel));
    s->base |= x86_desc_base_hi(hi);
    return lo;
}

void exec_LLDT(struct x86_cpu *cpu, const struct x86_insn *in)
{
    x86_require_protected(cpu);
    x86_require_cpl0(cpu);
    uint16_t sel = (uint16_t)x86_read_rm(cpu, in, 2);
    if (SEL_INDEX(sel) == 0 && !(sel & SEL_TI)) {
        x86_load_seg_null(cpu, S_LDTR, sel);
        cpu->rip = x86_next_rip(cpu, in);
        return;
    }
    struct x86_segment s;
    read_system_descriptor(cpu, sel, &s);
    if (s.s || s.type != SYS_LDT)
        x86_raise(cpu, X86_GP, SEL_ERR(sel));
    if (!s.present)
        x86_raise(cpu, X86_NP, SEL_ERR(sel));
    cpu->seg[S_LDTR] = s;
    cpu->rip = x86_next_rip(cpu, in);
}

void exec_LTR(struct x86_cpu *cpu, const struct x86_insn *in)
{
    x86_require_protected(cpu);
    x86_require_cpl0(cpu);
    uint16_t sel = (uint16_t)x86_read_rm(cpu, in, 2);
    if (SEL_INDEX(sel) == 0 && !(sel & SEL_TI))
        x86_raise(cpu, X86_GP, 0);
    struct x86_segment s;
    uint64_t raw = read_system_descriptor(cpu, sel, &s);
    /* An available TSS: 32/64-bit, or 16-bit outside IA-32e mode. */
    bool ok = !s.s && (s.type == SYS_TSS32_AVAIL
                       || (s.type == SYS_TSS16_AVAIL && !x86_long_mode(cpu)));
    if (!ok)
        x86_raise(cpu, X86_GP, SEL_ERR(sel));
    if (!s.present)
        x86_raise(cpu, X86_NP, SEL_ERR(sel));
    x86_desc_set_type_bits(cpu, sel, raw, 0x2);   /* busy */
    s.type |= 0x2;
    cpu->seg[S_TR] = s;
    cpu->rip = x86_next_rip(cpu, in);
}

/* SLDT/STR: a register gets the selector zero-extended to the operand size;
 * memory gets 16 bits. */
static void store_selector(struct x86_cpu *cpu, const struct x86_insn *in, uint16_t sel)
{
    x86_require_protected(cpu);
    x86_check_umip(cpu);
    x86_write_rm(cpu, in, (in->flags & INSN_MEM) ? 2 : in->opsize, sel);
    cpu->rip = x86_next_rip(cpu, in);
}

void exec_SLDT(struct x86_cpu *cpu, const struct x86_insn *in)
{
    store_selector(cpu, in, cpu->seg[S_LDTR].selector);
}

void exec_STR(struct x86_cpu *cpu, const struct x86_insn *in)
{
    store_selector(cpu, in, cpu->seg[S_TR].selector);
}

/* --- LAR, LSL, VERR, VERW (SDM Vol. 2): ZF says whether it worked --------- */

enum probe { PROBE_LAR, PROBE_LSL, PROBE_VERR, PROBE_VERW };

/* System types LAR and LSL accept (legacy; IA-32e mode in the comment). */
static bool system_type_ok(const struct x86_cpu *cpu, int type, enum probe p)
{
    bool lm = x86_long_mode(cpu);
    switch (type) {
    case SYS_LDT: case SYS_TSS32_AVAIL: case SYS_TSS32_BUSY:
        return true;
    case SYS_TSS16_AVAIL: case SYS_TSS16_BUSY:
        return !lm;
    case SYS_CALL16: case SYS_TASK_GATE:
        return p == PROBE_LAR && !lm;
    case SYS_CALL32:
        return p == PROBE_LAR;
    default:
        return false;
    }
}

/* Is the descriptor visible to this probe?  Returns its raw bits. */
static bool probe_descriptor(struct x86_cpu *cpu, uint16_t sel, enum probe p, uint64_t *raw,
                             struct x86_segment *s)
{
    if (SEL_INDEX(sel) == 0 && !(sel & SEL_TI))
        return false;
    if (x86_read_descriptor(cpu, sel, raw) < 0)
        return false;
    x86_desc_to_segment(*raw, sel, s);
    bool conforming_code = x86_desc_is_code(s) && (s->type & DESC_TYPE_CONFORM);
    if (!s->s) {
        if (p == PROBE_VERR || p == PROBE_VERW || !system_type_ok(cpu, s->type, p))
            return false;
    }
    /* Privilege: DPL >= CPL and DPL >= RPL, except conforming code. */
    if (!conforming_code && (s->dpl < cpu->cpl || s->dpl < SEL_RPL(sel)))
        return false;
    if (p == PROBE_VERR)
        return s->s && (!x86_desc_is_code(s) || (s->type & DESC_TYPE_RW));
    if (p == PROBE_VERW)
        return x86_desc_is_data(s) && (s->type & DESC_TYPE_RW);
    return true;
}

static void set_zf(struct x86_cpu *cpu, bool zf)
{
    lf_set_some(cpu, FL_ZF, zf ? FL_ZF : 0);
}

static void exec_probe(struct x86_cpu *cpu, const struct x86_insn *in, enum probe p)
{
    x86_require_protected(cpu);
    uint16_t sel = (uint16_t)x86_read_rm(cpu, in, 2);
    uint64_t raw = 0;
    struct x86_segment s;
    bool ok = probe_descriptor(cpu, sel, p, &raw, &s);
    if (ok && p == PROBE_LAR) {
        /* Access rights: bits 8-23 of the descriptor's high dword.  The SDM
         * leaves bits 19:16 undefined (mask 00FxFF00H); processors return
         * the limit bits there, and so does glass. */
        uint64_t ar = (raw >> 32) & (in->opsize == 2 ? 0xff00 : 0xffff00);
        x86_write_reg_op(cpu, in, in->opsize == 2 ? 2 : 4, ar);
    } else if (ok && p == PROBE_LSL) {
        x86_write_reg_op(cpu, in, in->opsize == 2 ? 2 : 4, s.limit);
    }
    set_zf(cpu, ok);
    cpu->rip = x86_next_rip(cpu, in);
}

void exec_LAR(struct x86_cpu *cpu, const struct x86_insn *in) { exec_probe(cpu, in, PROBE_LAR); }
void exec_LSL(struct x86_cpu *cpu, const struct x86_insn *in) { exec_probe(cpu, in, PROBE_LSL); }
void exec_VERR(struct x86_cpu *cpu, const struct x86_insn *in) { exec_probe(cpu, in, PROBE_VERR); }
void exec_VERW(struct x86_cpu *cpu, const struct x86_insn *in) { exec_probe(cpu, in, PROBE_VERW); }

/* ARPL r/m16, r16: raise the destination's RPL to the source's. */
void exec_ARPL(struct x86_cpu *cpu, const struct x86_insn *in)
{
    x86_require_protected(cpu);
    uint16_t dst = (uint16_t)x86_read_rm(cpu, in, 2);
    uint16_t src = (uint16_t)x86_read_reg_op(cpu, in, 2);
    bool adjust = SEL_RPL(dst) < SEL_RPL(src);
    if (adjust)
        x86_write_rm(cpu, in, 2, (dst & ~3u) | SEL_RPL(src));
    set_zf(cpu, adjust);
    cpu->rip = x86_next_rip(cpu, in);
}
