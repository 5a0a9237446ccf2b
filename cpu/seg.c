/* Segmentation (SDM Vol. 3, ch. 3 and 5): offset -> linear address with the
 * limit and type checks, descriptor tables, segment register loads. */
#include "cpu/seg.h"

#include "cpu/exception.h"
#include "cpu/mmu.h"

/* --- offset -> linear --------------------------------------------------- */

bool x86_seg_offset_ok(const struct x86_segment *s, uint64_t off, int size)
{
    uint64_t last = off + (uint64_t)size - 1;
    if (s->s && !(s->type & DESC_TYPE_CODE) && (s->type & DESC_TYPE_EXPDOWN)) {
        /* Expand-down: valid offsets are limit+1 .. 0xffff or 0xffffffff
         * (by the B flag), SDM Vol. 3, 5.3. */
        uint64_t top = s->db ? 0xffffffffull : 0xffffull;
        return off > s->limit && last <= top && last >= off;
    }
    return last <= s->limit && last >= off;
}

static _Noreturn void seg_fault(struct x86_cpu *cpu, int seg)
{
    x86_raise(cpu, seg == S_SS ? X86_SS : X86_GP, 0);
}

/* Type check for protected mode (SDM Vol. 3, 5.4 and 5.5): no writes to
 * code or read-only data, no reads of execute-only code. */
static inline bool seg_type_allows(const struct x86_segment *s, int kind)
{
    if (kind == ACC_WRITE)
        return !(s->type & DESC_TYPE_CODE) && (s->type & DESC_TYPE_RW);
    if (kind == ACC_READ)
        return !(s->type & DESC_TYPE_CODE) || (s->type & DESC_TYPE_RW);
    return true;
}

uint64_t x86_seg_linear(struct x86_cpu *cpu, int seg, uint64_t offset, int size, int acc)
{
    const struct x86_segment *s = &cpu->seg[seg];

    if (x86_code64(cpu)) {
        /* 64-bit mode: no limits; only FS and GS have a base (SDM 3.2.4). */
        uint64_t lin = offset;
        if (seg == S_FS || seg == S_GS)
            lin += s->base;
        if (!x86_canonical(lin) || !x86_canonical(lin + (uint64_t)size - 1))
            seg_fault(cpu, seg);
        return lin;
    }

    /* Fast path: expand-up, 4 GiB limit, base 0 — the flat model every OS
     * uses.  Only the type matters then. */
    if (s->limit == 0xffffffffu && s->base == 0 && !s->unusable) {
        int kind = acc & ACC_KIND_MASK;
        if (!x86_protected(cpu) || x86_vm86(cpu) || seg_type_allows(s, kind))
            return offset & 0xffffffffull;
    }

    if (!x86_protected(cpu) || x86_vm86(cpu)) {
        /* Real mode and vm86 check the cached limit only (so "unreal mode"
         * with a 4 GiB limit works); a word at 0xffff faults. */
        if (offset + (uint64_t)size - 1 > s->limit)
            seg_fault(cpu, seg);
        return (s->base + offset) & 0xffffffffull;
    }
    if (s->unusable || !seg_type_allows(s, acc & ACC_KIND_MASK)
        || !x86_seg_offset_ok(s, offset, size))
        seg_fault(cpu, seg);
    return (s->base + offset) & 0xffffffffull;
}

/* --- descriptors --------------------------------------------------------- */

void x86_desc_to_segment(uint64_t raw, uint16_t selector, struct x86_segment *s)
{
    uint32_t limit = (uint32_t)(raw & 0xffff) | (uint32_t)((raw >> 32) & 0xf0000);
    s->base = ((raw >> 16) & 0xffffff) | (((raw >> 56) & 0xff) << 24);
    s->type = (raw >> 40) & 0xf;
    s->s = (raw >> 44) & 1;
    s->dpl = (raw >> 45) & 3;
    s->present = (raw >> 47) & 1;
    s->avl = (raw >> 52) & 1;
    s->l = (raw >> 53) & 1;
    s->db = (raw >> 54) & 1;
    s->g = (raw >> 55) & 1;
    s->limit = s->g ? (limit << 12) | 0xfff : limit;
    s->selector = selector;
    s->unusable = 0;
}

void x86_desc_to_gate(uint64_t lo, uint64_t hi, struct x86_gate *g)
{
    g->offset = (lo & 0xffff) | ((lo >> 32) & 0xffff0000ull) | ((hi & 0xffffffffull) << 32);
    g->selector = (lo >> 16) & 0xffff;
    g->param_count = (lo >> 32) & 0x1f;
    g->ist = (lo >> 32) & 7;
    g->type = (lo >> 40) & 0xf;
    g->s = (lo >> 44) & 1;
    g->dpl = (lo >> 45) & 3;
    g->present = (lo >> 47) & 1;
}

/* Linear address of the descriptor, or -1 beyond the table. */
static int desc_address(struct x86_cpu *cpu, uint16_t sel, int len, uint64_t *lin)
{
    uint64_t base, limit;
    if (sel & SEL_TI) {
        const struct x86_segment *ldt = &cpu->seg[S_LDTR];
        if (ldt->unusable || !ldt->present)
            return -1;
        base = ldt->base;
        limit = ldt->limit;
    } else {
        base = cpu->gdtr.base;
        limit = cpu->gdtr.limit;
    }
    if ((uint64_t)SEL_INDEX(sel) + (uint64_t)len - 1 > limit)
        return -1;
    *lin = base + SEL_INDEX(sel);
    if (!x86_long_mode(cpu))
        *lin &= 0xffffffffull;
    return 0;
}

int x86_read_descriptor(struct x86_cpu *cpu, uint16_t sel, uint64_t *raw)
{
    uint64_t lin;
    if (desc_address(cpu, sel, 8, &lin) < 0)
        return -1;
    *raw = x86_lin_read(cpu, lin, 8, ACC_READ | ACC_IMPLICIT_SV);
    return 0;
}

int x86_read_descriptor16(struct x86_cpu *cpu, uint16_t sel, uint64_t *lo, uint64_t *hi)
{
    uint64_t lin;
    if (desc_address(cpu, sel, 16, &lin) < 0)
        return -1;
    *lo = x86_lin_read(cpu, lin, 8, ACC_READ | ACC_IMPLICIT_SV);
    *hi = x86_lin_read(cpu, lin + 8, 8, ACC_READ | ACC_IMPLICIT_SV);
    return 0;
}

void x86_desc_set_type_bits(struct x86_cpu *cpu, uint16_t sel, uint64_t raw, uint8_t bits)
{
    uint64_t lin;
    uint8_t access = (raw >> 40) & 0xff;
    if ((access & bits) == bits || desc_address(cpu, sel, 8, &lin) < 0)
        return;
    x86_lin_write(cpu, lin + 5, 1, access | bits, ACC_WRITE | ACC_IMPLICIT_SV);
}

/* --- loading segment registers ------------------------------------------ */

void x86_load_seg_real(struct x86_cpu *cpu, int sreg, uint16_t selector)
{
    struct x86_segment *s = &cpu->seg[sreg];
    s->selector = selector;
    s->base = (uint64_t)selector << 4;
    s->unusable = 0;
    s->present = 1;
    s->s = 1;
    if (x86_vm86(cpu)) {
        /* vm86: every segment is a 64 KiB read/write data segment at DPL 3
         * (SDM Vol. 3, 20.1.1); CS is code. */
        s->limit = 0xffff;
        s->type = sreg == S_CS ? 0xb : 0x3;
        s->dpl = 3;
        s->db = 0;
        s->g = 0;
        s->l = 0;
    } else if (sreg == S_CS) {
        /* Real mode keeps the cached limit and attributes (unreal mode), but
         * CS always behaves as a 16-bit code segment. */
        s->type |= DESC_TYPE_CODE | DESC_TYPE_RW;
        s->db = 0;
        s->l = 0;
    }
}

void x86_load_seg_null(struct x86_cpu *cpu, int sreg, uint16_t selector)
{
    struct x86_segment *s = &cpu->seg[sreg];
    /* Intel clears the base as well (the null descriptor is all zero). */
    *s = (struct x86_segment){ .selector = selector, .unusable = 1 };
    if (sreg == S_SS)
        s->dpl = SEL_RPL(selector);
}

void x86_load_cs_checked(struct x86_cpu *cpu, uint16_t sel, uint64_t raw, int cpl)
{
    x86_desc_to_segment(raw | (1ull << 40), (uint16_t)((sel & ~3u) | (unsigned)cpl),
                        &cpu->seg[S_CS]);
    cpu->cpl = (uint8_t)cpl;
}

int x86_check_stack_desc(struct x86_cpu *cpu, uint16_t sel, int cpl, uint64_t *raw)
{
    struct x86_segment d;
    if (x86_read_descriptor(cpu, sel, raw) < 0)
        return -1;
    if ((int)SEL_RPL(sel) != cpl)
        return -2;
    x86_desc_to_segment(*raw, sel, &d);
    if (!x86_desc_is_data(&d) || !(d.type & DESC_TYPE_RW) || d.dpl != cpl)
        return -3;
    if (!d.present)
        return -4;
    return 0;
}

/* MOV/POP to SS in protected mode (SDM Vol. 2, MOV: "IF SS is loaded"). */
static void load_ss_protected(struct x86_cpu *cpu, uint16_t sel)
{
    uint64_t raw;
    int cpl = cpu->cpl;
    if (SEL_INDEX(sel) == 0 && !(sel & SEL_TI)) {
        /* A null SS is allowed only in 64-bit mode at CPL < 3 with
         * RPL = CPL (SDM Vol. 3, 5.4.1.1). */
        if (x86_code64(cpu) && cpl < 3 && (int)SEL_RPL(sel) == cpl) {
            x86_load_seg_null(cpu, S_SS, sel);
            return;
        }
        x86_raise(cpu, X86_GP, 0);
    }
    switch (x86_check_stack_desc(cpu, sel, cpl, &raw)) {
    case 0:
        break;
    case -4:
        x86_raise(cpu, X86_SS, SEL_ERR(sel));
    default:
        x86_raise(cpu, X86_GP, SEL_ERR(sel));
    }
    x86_desc_set_type_bits(cpu, sel, raw, DESC_TYPE_ACCESSED);
    x86_desc_to_segment(raw | (1ull << 40), sel, &cpu->seg[S_SS]);
}

/* MOV to DS, ES, FS, GS in protected mode (SDM Vol. 2, MOV). */
static void load_data_seg_protected(struct x86_cpu *cpu, int sreg, uint16_t sel)
{
    uint64_t raw;
    struct x86_segment d;
    if (SEL_INDEX(sel) == 0 && !(sel & SEL_TI)) {
        x86_load_seg_null(cpu, sreg, sel);
        return;
    }
    if (x86_read_descriptor(cpu, sel, &raw) < 0)
        x86_raise(cpu, X86_GP, SEL_ERR(sel));
    x86_desc_to_segment(raw, sel, &d);
    /* Data, or readable code. */
    if (!d.s || ((d.type & DESC_TYPE_CODE) && !(d.type & DESC_TYPE_RW)))
        x86_raise(cpu, X86_GP, SEL_ERR(sel));
    /* Data and non-conforming code: RPL and CPL must both be <= DPL. */
    if (!((d.type & DESC_TYPE_CODE) && (d.type & DESC_TYPE_CONFORM))
        && (SEL_RPL(sel) > d.dpl || cpu->cpl > d.dpl))
        x86_raise(cpu, X86_GP, SEL_ERR(sel));
    if (!d.present)
        x86_raise(cpu, X86_NP, SEL_ERR(sel));
    x86_desc_set_type_bits(cpu, sel, raw, DESC_TYPE_ACCESSED);
    d.type |= DESC_TYPE_ACCESSED;
    cpu->seg[sreg] = d;
}

void x86_load_seg(struct x86_cpu *cpu, int sreg, uint16_t selector)
{
    if (!x86_protected(cpu) || x86_vm86(cpu)) {
        x86_load_seg_real(cpu, sreg, selector);
        return;
    }
    if (sreg == S_SS)
        load_ss_protected(cpu, selector);
    else
        load_data_seg_protected(cpu, sreg, selector);
}

uint64_t x86_check_return_cs(struct x86_cpu *cpu, uint16_t sel, struct x86_segment *cs)
{
    uint64_t raw;
    if (SEL_INDEX(sel) == 0 && !(sel & SEL_TI))
        x86_raise(cpu, X86_GP, 0);
    if (x86_read_descriptor(cpu, sel, &raw) < 0)
        x86_raise(cpu, X86_GP, SEL_ERR(sel));
    x86_desc_to_segment(raw, sel, cs);
    unsigned rpl = SEL_RPL(sel);
    if (!x86_desc_is_code(cs) || rpl < cpu->cpl)
        x86_raise(cpu, X86_GP, SEL_ERR(sel));
    if ((cs->type & DESC_TYPE_CONFORM) ? cs->dpl > rpl : cs->dpl != rpl)
        x86_raise(cpu, X86_GP, SEL_ERR(sel));
    if (x86_long_mode(cpu) && cs->l && cs->db)
        x86_raise(cpu, X86_GP, SEL_ERR(sel));
    if (!cs->present)
        x86_raise(cpu, X86_NP, SEL_ERR(sel));
    return raw;
}

void x86_check_return_ss(struct x86_cpu *cpu, uint16_t sel, int rpl, bool target64,
                         struct x86_segment *ss)
{
    uint64_t raw;
    if (SEL_INDEX(sel) == 0 && !(sel & SEL_TI)) {
        if (!target64 || rpl == 3)
            x86_raise(cpu, X86_GP, 0);
        *ss = (struct x86_segment){ .selector = sel, .unusable = 1, .dpl = (uint8_t)rpl };
        return;
    }
    switch (x86_check_stack_desc(cpu, sel, rpl, &raw)) {
    case 0: break;
    case -4: x86_raise(cpu, X86_SS, SEL_ERR(sel));
    default: x86_raise(cpu, X86_GP, SEL_ERR(sel));
    }
    x86_desc_set_type_bits(cpu, sel, raw, DESC_TYPE_ACCESSED);
    x86_desc_to_segment(raw | (1ull << 40), sel, ss);
}

void x86_null_inaccessible_segs(struct x86_cpu *cpu)
{
    static const int data_segs[] = { S_ES, S_DS, S_FS, S_GS };
    for (unsigned i = 0; i < sizeof data_segs / sizeof data_segs[0]; i++) {
        struct x86_segment *s = &cpu->seg[data_segs[i]];
        bool conforming_code = (s->type & DESC_TYPE_CODE) && (s->type & DESC_TYPE_CONFORM);
        if (s->unusable || conforming_code)
            continue;
        if (s->dpl < cpu->cpl)
            x86_load_seg_null(cpu, data_segs[i], 0);
    }
}

void x86_flat_segment(struct x86_segment *s, uint16_t sel, bool code, int dpl, bool l64)
{
    *s = (struct x86_segment){
        .base = 0, .limit = 0xffffffffu, .selector = sel,
        .type = code ? 0xb : 0x3, .s = 1, .dpl = (uint8_t)dpl, .present = 1,
        .l = code && l64, .db = !(code && l64), .g = 1,
    };
}

/* --- stacks -------------------------------------------------------------- */

static uint64_t stack_mask_of(const struct x86_segment *ss, bool flat64)
{
    if (flat64)
        return ~0ull;
    return ss->db ? 0xffffffffull : 0xffffull;
}

void x86_stack_current(struct x86_cpu *cpu, struct x86_stack *st)
{
    x86_stack_other(st, &cpu->seg[S_SS], cpu->gpr[R_RSP], x86_code64(cpu), 0, 0);
}

void x86_stack_other(struct x86_stack *st, const struct x86_segment *ss, uint64_t sp,
                     bool flat64, uint32_t err, int acc)
{
    st->ss = *ss;
    st->flat64 = flat64;
    st->mask = stack_mask_of(ss, flat64);
    st->sp = sp & st->mask;
    st->err = err;
    st->acc = acc;
}

static uint64_t stack_linear(struct x86_cpu *cpu, struct x86_stack *st, uint64_t off, int size)
{
    if (st->flat64) {
        if (!x86_canonical(off) || !x86_canonical(off + (uint64_t)size - 1))
            x86_raise(cpu, X86_SS, st->err);
        return off;
    }
    if (x86_protected(cpu) && !x86_vm86(cpu)) {
        if (st->ss.unusable || !x86_seg_offset_ok(&st->ss, off, size))
            x86_raise(cpu, X86_SS, st->err);
    } else if (off + (uint64_t)size - 1 > st->ss.limit) {
        x86_raise(cpu, X86_SS, st->err);
    }
    return (st->ss.base + off) & 0xffffffffull;
}

void x86_stack_push(struct x86_cpu *cpu, struct x86_stack *st, int size, uint64_t val)
{
    uint64_t sp = (st->sp - (uint64_t)size) & st->mask;
    uint64_t lin = stack_linear(cpu, st, sp, size);
    x86_lin_write(cpu, lin, size, val, ACC_WRITE | st->acc);
    st->sp = sp;
}

uint64_t x86_stack_pop(struct x86_cpu *cpu, struct x86_stack *st, int size)
{
    uint64_t lin = stack_linear(cpu, st, st->sp, size);
    uint64_t val = x86_lin_read(cpu, lin, size, ACC_READ | st->acc);
    st->sp = (st->sp + (uint64_t)size) & st->mask;
    return val;
}

void x86_stack_commit(struct x86_cpu *cpu, const struct x86_stack *st)
{
    cpu->gpr[R_RSP] = (cpu->gpr[R_RSP] & ~st->mask) | (st->sp & st->mask);
}
