/* Lazy arithmetic flags (SDM Vol. 1, 3.4.3.1 and Appendix A).
 *
 * A flag-setting instruction records {res, src1, src2, op, size} in
 * cpu->lazy instead of computing CF PF AF ZF SF OF; x86_get_rflags() and
 * x86_cond() compute them when something reads them.  Every value stored is
 * already truncated to `size` bytes.
 *
 * Rare operations whose flags need more than res/src1/src2 (rotates, BT,
 * BCD, BSF...) materialise the flags into cpu->rflags with lf_set_status()
 * and leave op = LF_NONE.
 *
 * The binary translator may store an ADD, SUB, INC or DEC record without
 * its result and with its sources as whole host registers (op |
 * LF_RES_LATER: only their low `size` bytes count); every reader first
 * settles such a record into the usual form (lf_settle). */
#ifndef GLASS_CPU_FLAGS_H
#define GLASS_CPU_FLAGS_H

#include <stdbool.h>
#include <stdint.h>

#include "cpu/x86_cpu.h"

enum lazy_op {
    LF_NONE = 0, /* cpu->rflags holds every flag */
    LF_ADD,      /* res = src1 + src2 */
    LF_ADC,      /* res = src1 + src2 + cin; cin recovered as res - src1 - src2 */
    LF_SUB,      /* res = src1 - src2 (also CMP, NEG with src1 = 0, CMPXCHG) */
    LF_SBB,      /* res = src1 - src2 - cin */
    LF_LOGIC,    /* AND OR XOR TEST: CF = OF = 0 */
    LF_INC,      /* res = src1 + 1; CF kept in cpu->rflags */
    LF_DEC,      /* res = src1 - 1; CF kept in cpu->rflags */
    LF_SHL,      /* res = src1 << src2 (src2 = masked count, nonzero) */
    LF_SHR,      /* res = src1 >> src2 (logical) */
    LF_SAR,      /* res = src1 >> src2 (arithmetic) */
    LF_MUL,      /* MUL/IMUL: res = low half, src1 = 1 if CF = OF = 1 */
};

static inline uint64_t lf_mask(int size)
{
    return size >= 8 ? ~0ull : (1ull << (size * 8)) - 1;
}

#define LF_RES_LATER 0x80   /* op flag: res to compute, sources to truncate */

/* A record stored with LF_RES_LATER becomes an ordinary one. */
static inline void lf_settle(struct x86_cpu *cpu)
{
    struct x86_lazy_flags *l = &cpu->lazy;
    if (__builtin_expect(!(l->op & LF_RES_LATER), 1))
        return;
    uint64_t m = lf_mask(l->size);
    l->op &= (uint8_t)~LF_RES_LATER;
    l->src1 &= m;
    l->src2 &= m;
    l->res = (l->op == LF_SUB || l->op == LF_DEC ? l->src1 - l->src2 : l->src1 + l->src2) & m;
}

/* The sign bit of a value of `size` bytes, as 0 or 1. */
static inline unsigned lf_sign(uint64_t v, int size)
{
    return (unsigned)(v >> (size * 8 - 1)) & 1;
}

/* Sign-extend a value of `size` bytes to 64 bits. */
static inline int64_t lf_sext(uint64_t v, int size)
{
    int sh = 64 - size * 8;
    return (int64_t)(v << sh) >> sh;
}

static inline void lf_record(struct x86_cpu *cpu, int op, int size,
                             uint64_t res, uint64_t src1, uint64_t src2)
{
    cpu->lazy.res = res;
    cpu->lazy.src1 = src1;
    cpu->lazy.src2 = src2;
    cpu->lazy.op = (uint8_t)op;
    cpu->lazy.size = (uint8_t)size;
}

/* The carry flag alone (0 or 1), cheaper than the whole of RFLAGS. */
unsigned x86_get_cf(struct x86_cpu *cpu);

/* Replace the six status flags (CF PF AF ZF SF OF) with `status` (a mask of
 * FL_* bits), keeping every other RFLAGS bit; clears the lazy state. */
void lf_set_status(struct x86_cpu *cpu, uint64_t status);

/* Change only the flags in `which` to the values in `status`. */
void lf_set_some(struct x86_cpu *cpu, uint64_t which, uint64_t status);

/* PF, ZF and SF of a result of `size` bytes, as FL_* bits. */
static inline uint64_t lf_szp(uint64_t res, int size)
{
    uint64_t f = 0;
    res &= lf_mask(size);
    if (!__builtin_parity((unsigned)(res & 0xff)))
        f |= FL_PF;
    if (res == 0)
        f |= FL_ZF;
    if (lf_sign(res, size))
        f |= FL_SF;
    return f;
}

uint64_t x86_get_rflags(struct x86_cpu *cpu);

static inline bool lf_cond_from_rflags(uint64_t f, int cc)
{
    bool r;
    switch (cc >> 1) {
    case 0: r = f & FL_OF; break;
    case 1: r = f & FL_CF; break;
    case 2: r = f & FL_ZF; break;
    case 3: r = f & (FL_CF | FL_ZF); break;
    case 4: r = f & FL_SF; break;
    case 5: r = f & FL_PF; break;
    case 6: r = !(f & FL_SF) != !(f & FL_OF); break;
    default: r = (f & FL_ZF) || (!(f & FL_SF) != !(f & FL_OF)); break;
    }
    return (cc & 1) ? !r : r;
}

/* The flags that decide every condition but P/NP, as a 4-bit index:
 * CF = bit 0, ZF = bit 1, SF = bit 2, OF = bit 3. */
#define LF_IDX_CF 1u
#define LF_IDX_ZF 2u
#define LF_IDX_SF 4u
#define LF_IDX_OF 8u

/* Bit i set when condition cc (not P/NP) holds for the flags of index i. */
static inline uint16_t lf_cond_mask(int cc)
{
    uint16_t m = 0;
    for (unsigned i = 0; i < 16; i++) {
        uint64_t f = ((i & LF_IDX_CF) ? FL_CF : 0) | ((i & LF_IDX_ZF) ? FL_ZF : 0) |
                     ((i & LF_IDX_SF) ? FL_SF : 0) | ((i & LF_IDX_OF) ? FL_OF : 0);
        if (lf_cond_from_rflags(f, cc))
            m |= (uint16_t)(1u << i);
    }
    return m;
}

/* x86_cond, inline for the handlers: the common cases straight from the
 * recorded operands, the rest from the computed flags. */
static inline bool lf_cond(struct x86_cpu *cpu, int cc)
{
    const struct x86_lazy_flags *l = &cpu->lazy;
    bool r;

    lf_settle(cpu);
    if (l->op == LF_NONE)
        return lf_cond_from_rflags(cpu->rflags, cc);
    switch (cc >> 1) {
    case 2: /* E/NE: ZF = (res == 0) for every recorded operation */
        r = l->res == 0;
        return (cc & 1) ? !r : r;
    case 4: /* S/NS */
        r = lf_sign(l->res, l->size);
        return (cc & 1) ? !r : r;
    default:
        break;
    }
    if (l->op == LF_SUB) { /* CMP: compare the operands directly */
        int64_t a = lf_sext(l->src1, l->size), b = lf_sext(l->src2, l->size);
        switch (cc >> 1) {
        case 1: r = l->src1 < l->src2; break;
        case 3: r = l->src1 <= l->src2; break;
        case 6: r = a < b; break;
        case 7: r = a <= b; break;
        default: return lf_cond_from_rflags(x86_get_rflags(cpu), cc);
        }
        return (cc & 1) ? !r : r;
    }
    if (l->op == LF_LOGIC) { /* CF = OF = 0 */
        switch (cc >> 1) {
        case 0: case 1: r = false; break;
        case 3: r = l->res == 0; break;
        case 6: r = lf_sign(l->res, l->size); break;
        case 7: r = l->res == 0 || lf_sign(l->res, l->size); break;
        default: return lf_cond_from_rflags(x86_get_rflags(cpu), cc);
        }
        return (cc & 1) ? !r : r;
    }
    return lf_cond_from_rflags(x86_get_rflags(cpu), cc);
}

#endif
