/* Lazy arithmetic flags (SDM Vol. 1, 3.4.3.1 and Appendix A).
 *
 * A flag-setting instruction records {res, src1, src2, op, size} in
 * cpu->lazy instead of computing CF PF AF ZF SF OF; x86_get_rflags() and
 * x86_cond() compute them when something reads them.  Every value stored is
 * already truncated to `size` bytes.
 *
 * Rare operations whose flags need more than res/src1/src2 (rotates, BT,
 * BCD, BSF...) materialise the flags into cpu->rflags with lf_set_status()
 * and leave op = LF_NONE. */
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

#endif
