/* Inline versions of the operand helpers of cpu/exec.h, for the handlers of
 * the interpreter (cpu/exec_*.c), where a call per register access would
 * cost more than the access.  cpu/operand.c exports the same functions out of
 * line for everyone else. */
#ifndef GLASS_CPU_EXEC_INLINE_H
#define GLASS_CPU_EXEC_INLINE_H

#include <string.h>

#include "cpu/exception.h"
#include "cpu/exec.h"
#include "cpu/flags.h"
#include "cpu/mmu.h"
#include "mem/tlb.h"

static inline uint64_t ix_get_reg(const struct x86_cpu *cpu, int reg, int size, bool rex)
{
    switch (size) {
    case 1:
        if (!rex && reg >= 4 && reg < 8)
            return (cpu->gpr[reg - 4] >> 8) & 0xff; /* AH CH DH BH */
        return cpu->gpr[reg] & 0xff;
    case 2:
        return cpu->gpr[reg] & 0xffff;
    case 4:
        return cpu->gpr[reg] & 0xffffffffu;
    default:
        return cpu->gpr[reg];
    }
}

/* SDM Vol. 1, 3.4.1.1: 32-bit results zero-extend into the 64-bit register;
 * 8- and 16-bit results leave the upper bits alone. */
static inline void ix_set_reg(struct x86_cpu *cpu, int reg, int size, bool rex, uint64_t val)
{
    switch (size) {
    case 1:
        if (!rex && reg >= 4 && reg < 8)
            cpu->gpr[reg - 4] = (cpu->gpr[reg - 4] & ~0xff00ull) | ((val & 0xff) << 8);
        else
            cpu->gpr[reg] = (cpu->gpr[reg] & ~0xffull) | (val & 0xff);
        break;
    case 2:
        cpu->gpr[reg] = (cpu->gpr[reg] & ~0xffffull) | (val & 0xffff);
        break;
    case 4:
        cpu->gpr[reg] = val & 0xffffffffu;
        break;
    default:
        cpu->gpr[reg] = val;
        break;
    }
}

static inline bool ix_rex(const struct x86_insn *in)
{
    return (in->flags & INSN_REX) != 0;
}

static inline bool ix_is_mem(const struct x86_insn *in)
{
    return (in->flags & INSN_MEM) != 0;
}

/* Mask of an address or IP of `bytes` bytes. */
static inline uint64_t ix_addr_mask(int bytes)
{
    return bytes >= 8 ? ~0ull : (1ull << (bytes * 8)) - 1;
}

static inline uint64_t ix_code_mask(const struct x86_cpu *cpu)
{
    int bits = x86_code_bits(cpu);
    return bits == 64 ? ~0ull : bits == 32 ? 0xffffffffull : 0xffffull;
}

static inline uint64_t ix_next_rip(const struct x86_cpu *cpu, const struct x86_insn *in)
{
    return (cpu->rip + in->len) & ix_code_mask(cpu);
}

static inline uint64_t ix_ea(const struct x86_cpu *cpu, const struct x86_insn *in)
{
    const struct x86_mem_operand *m = &in->mem;
    uint64_t a = (uint64_t)m->disp;

    if (m->base >= 0)
        a += cpu->gpr[m->base];
    if (m->index >= 0)
        a += cpu->gpr[m->index] * m->scale;
    if (m->rip_rel)
        a += cpu->rip + in->len;
    return a & ix_addr_mask(in->addrsize);
}

static inline uint64_t host_load(const void *p, int size)
{
    switch (size) {
    case 1: return *(const uint8_t *)p;
    case 2: { uint16_t v; memcpy(&v, p, 2); return v; }
    case 4: { uint32_t v; memcpy(&v, p, 4); return v; }
    default: { uint64_t v; memcpy(&v, p, 8); return v; }
    }
}

static inline void host_store(void *p, int size, uint64_t val)
{
    switch (size) {
    case 1: *(uint8_t *)p = (uint8_t)val; break;
    case 2: { uint16_t v = (uint16_t)val; memcpy(p, &v, 2); break; }
    case 4: { uint32_t v = (uint32_t)val; memcpy(p, &v, 4); break; }
    default: memcpy(p, &val, 8); break;
    }
}

static inline bool ix_canonical(uint64_t a)
{
    return (uint64_t)((int64_t)(a << 16) >> 16) == a;
}

/* --- memory: an inline fast path for the flat segments every OS uses and
 * the TLB (mem/tlb.h), falling back to x86_seg_linear / x86_lin_read. --- */

/* A protected-mode segment with base 0 and a 4 GiB limit whose type allows
 * this kind of access: the offset is the linear address (cpu/seg.c does the
 * same).  Anything else takes x86_seg_linear. */
static inline bool ix_seg_flat(const struct x86_segment *s, int kind)
{
    if ((s->limit ^ 0xffffffffu) | s->base | s->unusable)
        return false;
    /* Type bits (SDM Vol. 3, 3.4.5.1): 8 code, 4 expand-down (data) or
     * conforming (code), 2 writable (data) or readable (code).  An
     * expand-down segment with a 4 GiB limit holds no offset at all. */
    if (kind == ACC_WRITE)
        return (s->type & 0xe) == 0x2;          /* writable expand-up data */
    return (s->type & 8) ? (s->type & 2) != 0 : !(s->type & 4);
}

static inline uint64_t ix_linear(struct x86_cpu *cpu, int seg, uint64_t off, int size, int kind)
{
    if (x86_code64(cpu)) {
        if (seg < S_FS && ix_canonical(off) && ix_canonical(off + (uint64_t)size - 1))
            return off;
    } else if (ix_seg_flat(&cpu->seg[seg], kind) && off + (uint64_t)size - 1 <= 0xffffffffull) {
        return off; /* an access past 4 GiB - 1 breaks the limit: x86_seg_linear */
    }
    return x86_seg_linear(cpu, seg, off, size, kind);
}

static inline void *ix_tlb(struct x86_cpu *cpu, uint64_t lin, int size, int kind)
{
    struct tlb *t = cpu->env.tlb;
    return t ? tlb_lookup(t, lin, (unsigned)size, kind, cpu->cpl == 3) : NULL;
}

static inline uint64_t ix_mem_read(struct x86_cpu *cpu, int seg, uint64_t off, int size)
{
    uint64_t lin = ix_linear(cpu, seg, off, size, ACC_READ);
    void *p = ix_tlb(cpu, lin, size, TLB_READ);
    if (p)
        return host_load(p, size);
    return x86_lin_read(cpu, lin, size, ACC_READ);
}

static inline void ix_mem_write(struct x86_cpu *cpu, int seg, uint64_t off, int size, uint64_t val)
{
    uint64_t lin = ix_linear(cpu, seg, off, size, ACC_WRITE);
    void *p = ix_tlb(cpu, lin, size, TLB_WRITE);
    if (p)
        host_store(p, size, val);
    else
        x86_lin_write(cpu, lin, size, val, ACC_WRITE);
}

/* Check that `size` bytes at seg:off may be written, raising the fault the
 * write would (#GP/#SS, #PF), without writing them. */
static inline void ix_probe_write(struct x86_cpu *cpu, int seg, uint64_t off, int size)
{
    uint64_t lin = ix_linear(cpu, seg, off, size, ACC_WRITE);
    if (ix_tlb(cpu, lin, size, TLB_WRITE))
        return;
    /* x86_lin_ptr checks one page: probe the first byte and the last. */
    x86_lin_ptr(cpu, lin, 1, ACC_WRITE);
    uint64_t last = lin + (uint64_t)size - 1;
    if (!x86_long_mode(cpu))
        last &= 0xffffffffull;
    if ((last ^ lin) & ~(uint64_t)(GUEST_PAGE_SIZE - 1))
        x86_lin_ptr(cpu, last, 1, ACC_WRITE);
}

static inline uint64_t ix_read_rm(struct x86_cpu *cpu, const struct x86_insn *in, int size)
{
    if (ix_is_mem(in))
        return ix_mem_read(cpu, in->mem.seg, ix_ea(cpu, in), size);
    return ix_get_reg(cpu, in->rm, size, ix_rex(in));
}

static inline void ix_write_rm(struct x86_cpu *cpu, const struct x86_insn *in, int size, uint64_t val)
{
    if (ix_is_mem(in))
        ix_mem_write(cpu, in->mem.seg, ix_ea(cpu, in), size, val);
    else
        ix_set_reg(cpu, in->rm, size, ix_rex(in), val);
}

/* --- the stack --- */

static inline uint64_t ix_stack_mask(const struct x86_cpu *cpu)
{
    if (x86_code64(cpu))
        return ~0ull;
    return cpu->seg[S_SS].db ? 0xffffffffull : 0xffffull;
}

/* The write happens before RSP changes, so a fault leaves RSP intact. */
static inline void ix_push(struct x86_cpu *cpu, int size, uint64_t val)
{
    uint64_t mask = ix_stack_mask(cpu);
    uint64_t sp = (cpu->gpr[R_RSP] - (uint64_t)size) & mask;
    ix_mem_write(cpu, S_SS, sp, size, val);
    cpu->gpr[R_RSP] = (cpu->gpr[R_RSP] & ~mask) | sp;
}

static inline uint64_t ix_pop(struct x86_cpu *cpu, int size)
{
    uint64_t mask = ix_stack_mask(cpu);
    uint64_t sp = cpu->gpr[R_RSP] & mask;
    uint64_t val = ix_mem_read(cpu, S_SS, sp, size);
    cpu->gpr[R_RSP] = (cpu->gpr[R_RSP] & ~mask) | ((sp + (uint64_t)size) & mask);
    return val;
}

/* --- read-modify-write of the rm operand ---
 * The write permission is checked at the read (exec.h conventions).  With a
 * host pointer and LOCK, the write is a compare-and-swap against the value
 * read: if another vCPU changed the memory in between, rmw_commit fails and
 * the handler recomputes (SDM Vol. 3, 8.1.2.2: locked RMW is atomic). */
struct rmw {
    uint64_t lin;     /* linear address of the memory operand */
    void *ptr;        /* host pointer, or NULL: x86_lin_read/x86_lin_write */
    int size;
    int reg;          /* the register, when not memory */
    bool mem;
    bool locked;
};

static inline void rmw_begin(struct x86_cpu *cpu, const struct x86_insn *in, int size, struct rmw *r)
{
    r->size = size;
    r->reg = in->rm;
    r->lin = 0;
    r->mem = ix_is_mem(in);
    r->ptr = NULL;
    r->locked = false;
    if (r->mem) {
        r->lin = ix_linear(cpu, in->mem.seg, ix_ea(cpu, in), size, ACC_WRITE);
        r->ptr = ix_tlb(cpu, r->lin, size, TLB_WRITE);
        if (!r->ptr)
            r->ptr = x86_lin_ptr(cpu, r->lin, size, ACC_WRITE);
        r->locked = (in->flags & INSN_LOCK) && r->ptr &&
                    ((uintptr_t)r->ptr & (uintptr_t)(size - 1)) == 0;
    }
}

/* A memory destination at seg:off (BTS with a bit offset beyond the
 * operand, CMPXCHG8B...). */
static inline void rmw_begin_at(struct x86_cpu *cpu, const struct x86_insn *in, int seg,
                                uint64_t off, int size, struct rmw *r)
{
    r->size = size;
    r->reg = 0;
    r->mem = true;
    r->lin = x86_seg_linear(cpu, seg, off, size, ACC_WRITE);
    r->ptr = x86_lin_ptr(cpu, r->lin, size, ACC_WRITE);
    r->locked = (in->flags & INSN_LOCK) && r->ptr &&
                ((uintptr_t)r->ptr & (uintptr_t)(size - 1)) == 0;
}

/* The destination is the reg operand (FORM_REG: INC r, BSWAP...). */
static inline void rmw_begin_reg(const struct x86_insn *in, int size, struct rmw *r)
{
    r->size = size;
    r->reg = in->reg;
    r->lin = 0;
    r->mem = false;
    r->ptr = NULL;
    r->locked = false;
}

static inline uint64_t rmw_read(struct x86_cpu *cpu, const struct x86_insn *in, struct rmw *r)
{
    if (!r->mem)
        return ix_get_reg(cpu, r->reg, r->size, ix_rex(in));
    if (r->locked) {
        switch (r->size) {
        case 1: return __atomic_load_n((uint8_t *)r->ptr, __ATOMIC_SEQ_CST);
        case 2: return __atomic_load_n((uint16_t *)r->ptr, __ATOMIC_SEQ_CST);
        case 4: return __atomic_load_n((uint32_t *)r->ptr, __ATOMIC_SEQ_CST);
        default: return __atomic_load_n((uint64_t *)r->ptr, __ATOMIC_SEQ_CST);
        }
    }
    if (r->ptr)
        return host_load(r->ptr, r->size);
    return x86_lin_read(cpu, r->lin, r->size, ACC_WRITE);
}

/* Write the result; false if a locked compare-and-swap lost a race. */
static inline bool rmw_commit(struct x86_cpu *cpu, const struct x86_insn *in, struct rmw *r,
                              uint64_t old, uint64_t val)
{
    if (!r->mem) {
        ix_set_reg(cpu, r->reg, r->size, ix_rex(in), val);
        return true;
    }
    if (r->locked) {
        switch (r->size) {
        case 1: { uint8_t e = (uint8_t)old; return __atomic_compare_exchange_n((uint8_t *)r->ptr, &e, (uint8_t)val, false, __ATOMIC_SEQ_CST, __ATOMIC_SEQ_CST); }
        case 2: { uint16_t e = (uint16_t)old; return __atomic_compare_exchange_n((uint16_t *)r->ptr, &e, (uint16_t)val, false, __ATOMIC_SEQ_CST, __ATOMIC_SEQ_CST); }
        case 4: { uint32_t e = (uint32_t)old; return __atomic_compare_exchange_n((uint32_t *)r->ptr, &e, (uint32_t)val, false, __ATOMIC_SEQ_CST, __ATOMIC_SEQ_CST); }
        default: { uint64_t e = old; return __atomic_compare_exchange_n((uint64_t *)r->ptr, &e, val, false, __ATOMIC_SEQ_CST, __ATOMIC_SEQ_CST); }
        }
    }
    if (r->ptr)
        host_store(r->ptr, r->size, val);
    else
        x86_lin_write(cpu, r->lin, r->size, val, ACC_WRITE);
    return true;
}

/* Raise #UD (also for a register operand where memory is required). */
static inline _Noreturn void ix_ud(struct x86_cpu *cpu)
{
    x86_raise(cpu, X86_UD, X86_NO_ERRCODE);
}

/* rCX, rSI, rDI by address size, for string instructions and LOOP. */
static inline uint64_t ix_get_areg(const struct x86_cpu *cpu, int reg, int asize)
{
    return cpu->gpr[reg] & ix_addr_mask(asize);
}
static inline void ix_set_areg(struct x86_cpu *cpu, int reg, int asize, uint64_t val)
{
    if (asize == 2)
        cpu->gpr[reg] = (cpu->gpr[reg] & ~0xffffull) | (val & 0xffff);
    else if (asize == 4)
        cpu->gpr[reg] = val & 0xffffffffull; /* 32-bit address writes zero-extend */
    else
        cpu->gpr[reg] = val;
}

#endif
