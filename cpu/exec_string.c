/* String instructions: MOVS CMPS STOS LODS SCAS with REP/REPE/REPNE
 * (SDM Vol. 2, and Vol. 1, 7.3.9).  The source is seg:rSI with DS unless
 * overridden, the destination always ES:rDI; rSI/rDI/rCX are used at the
 * address size; DF chooses the direction.
 *
 * A repeated instruction runs at most REP_BUDGET (cpu/exec.h) elements
 * per execution; if the count is not exhausted it leaves RIP at itself,
 * with rCX rSI rDI updated, so the run loop can take interrupts between
 * the pieces and then executes it again. */
#include "cpu/exec_inline.h"
#define PAGE_SIZE 4096

enum str_kind { STR_MOVS, STR_CMPS, STR_STOS, STR_LODS, STR_SCAS };

static inline int src_seg(const struct x86_insn *in)
{
    return in->seg_override != S_NONE ? in->seg_override : S_DS;
}

/* One element; returns the result of the comparison for CMPS/SCAS (0 when
 * equal), 0 otherwise. */
static inline uint64_t str_once(struct x86_cpu *cpu, const struct x86_insn *in, enum str_kind k)
{
    int size = in->opsize, as = in->addrsize;
    uint64_t am = ix_addr_mask(as);
    uint64_t step = (cpu->rflags & FL_DF) ? (uint64_t)-(int64_t)size : (uint64_t)size;
    uint64_t si = cpu->gpr[R_RSI] & am, di = cpu->gpr[R_RDI] & am;
    uint64_t a, b, res = 0;

    switch (k) {
    case STR_MOVS:
        a = ix_mem_read(cpu, src_seg(in), si, size);
        ix_mem_write(cpu, S_ES, di, size, a);
        ix_set_areg(cpu, R_RSI, as, si + step);
        ix_set_areg(cpu, R_RDI, as, di + step);
        break;
    case STR_CMPS:
        a = ix_mem_read(cpu, src_seg(in), si, size);
        b = ix_mem_read(cpu, S_ES, di, size);
        res = (a - b) & lf_mask(size);
        lf_record(cpu, LF_SUB, size, res, a, b);
        ix_set_areg(cpu, R_RSI, as, si + step);
        ix_set_areg(cpu, R_RDI, as, di + step);
        break;
    case STR_STOS:
        ix_mem_write(cpu, S_ES, di, size, cpu->gpr[R_RAX] & lf_mask(size));
        ix_set_areg(cpu, R_RDI, as, di + step);
        break;
    case STR_LODS:
        a = ix_mem_read(cpu, src_seg(in), si, size);
        ix_set_reg(cpu, R_RAX, size, false, a);
        ix_set_areg(cpu, R_RSI, as, si + step);
        break;
    default: /* STR_SCAS */
        a = cpu->gpr[R_RAX] & lf_mask(size);
        b = ix_mem_read(cpu, S_ES, di, size);
        res = (a - b) & lf_mask(size);
        lf_record(cpu, LF_SUB, size, res, a, b);
        ix_set_areg(cpu, R_RDI, as, di + step);
        break;
    }
    return res;
}

/* Whether the range [off, off+len) of a segment lies within its limit with
 * no wrap, so one check of the whole range stands for the per-element
 * checks.  Expand-up data segments only; 64-bit mode has no limits. */
static bool seg_range_ok(const struct x86_cpu *cpu, int seg, uint64_t off, uint64_t len, uint64_t am)
{
    if (off + len - 1 > am)
        return false;
    if (x86_code64(cpu))
        return true;
    const struct x86_segment *s = &cpu->seg[seg];
    if (s->s && !(s->type & 8) && (s->type & 4)) /* expand-down data */
        return false;
    return off + len - 1 <= s->limit;
}

/* REP MOVS / REP STOS forward, a page-sized piece at a time through host
 * pointers.  Returns the number of elements done (0: take the slow path). */
static uint64_t rep_fast(struct x86_cpu *cpu, const struct x86_insn *in, enum str_kind k, uint64_t count)
{
    int size = in->opsize;
    uint64_t am = ix_addr_mask(in->addrsize);
    uint64_t di = cpu->gpr[R_RDI] & am, si = cpu->gpr[R_RSI] & am;
    uint64_t dlin, slin = 0, n, bytes;
    uint8_t *dp, *sp = NULL;

    if (cpu->rflags & FL_DF)
        return 0;
    dlin = x86_seg_linear(cpu, S_ES, di, size, ACC_WRITE);
    n = (PAGE_SIZE - (dlin & (PAGE_SIZE - 1))) / (uint64_t)size;
    if (k == STR_MOVS) {
        slin = x86_seg_linear(cpu, src_seg(in), si, size, ACC_READ);
        uint64_t sn = (PAGE_SIZE - (slin & (PAGE_SIZE - 1))) / (uint64_t)size;
        if (sn < n)
            n = sn;
    }
    if (n > count)
        n = count;
    if (n < 2)
        return 0;
    bytes = n * (uint64_t)size;
    if (!seg_range_ok(cpu, S_ES, di, bytes, am))
        return 0;
    if (k == STR_MOVS) {
        if (!seg_range_ok(cpu, src_seg(in), si, bytes, am))
            return 0;
        /* Overlap where the destination follows the source: the element
         * by element copy replicates a pattern, memmove would not. */
        if (dlin > slin && dlin < slin + bytes)
            return 0;
        sp = x86_lin_ptr(cpu, slin, (int)bytes, ACC_READ);
        if (!sp)
            return 0;
    }
    dp = x86_lin_ptr(cpu, dlin, (int)bytes, ACC_WRITE);
    if (!dp)
        return 0;
    if (k == STR_MOVS) {
        memmove(dp, sp, bytes);
        ix_set_areg(cpu, R_RSI, in->addrsize, si + bytes);
    } else if (size == 1) {
        memset(dp, (int)(cpu->gpr[R_RAX] & 0xff), bytes);
    } else {
        for (uint64_t i = 0; i < n; i++)
            host_store(dp + i * (uint64_t)size, size, cpu->gpr[R_RAX]);
    }
    ix_set_areg(cpu, R_RDI, in->addrsize, di + bytes);
    return n;
}

static inline void string_op(struct x86_cpu *cpu, const struct x86_insn *in, enum str_kind k)
{
    int as = in->addrsize;
    uint64_t count, budget = REP_BUDGET;

    if (!(in->flags & (INSN_REP | INSN_REPNE))) {
        str_once(cpu, in, k);
        cpu->rip = ix_next_rip(cpu, in);
        return;
    }
    count = ix_get_areg(cpu, R_RCX, as);
    while (count && budget) {
        if (k == STR_MOVS || k == STR_STOS) {
            uint64_t n = rep_fast(cpu, in, k, count < budget ? count : budget);
            if (n) {
                count -= n;
                budget = n < budget ? budget - n : 0;
                ix_set_areg(cpu, R_RCX, as, count);
                continue;
            }
        }
        uint64_t res = str_once(cpu, in, k);
        count--;
        budget--;
        ix_set_areg(cpu, R_RCX, as, count);
        if (k == STR_CMPS || k == STR_SCAS) {
            /* REPE stops on not-equal, REPNE on equal. */
            bool stop = (in->flags & INSN_REPNE) ? res == 0 : res != 0;
            if (stop) {
                cpu->rip = ix_next_rip(cpu, in);
                return;
            }
        }
    }
    if (count == 0)
        cpu->rip = ix_next_rip(cpu, in);
}

void exec_MOVS(struct x86_cpu *cpu, const struct x86_insn *in) { string_op(cpu, in, STR_MOVS); }
void exec_CMPS(struct x86_cpu *cpu, const struct x86_insn *in) { string_op(cpu, in, STR_CMPS); }
void exec_STOS(struct x86_cpu *cpu, const struct x86_insn *in) { string_op(cpu, in, STR_STOS); }
void exec_LODS(struct x86_cpu *cpu, const struct x86_insn *in) { string_op(cpu, in, STR_LODS); }
void exec_SCAS(struct x86_cpu *cpu, const struct x86_insn *in) { string_op(cpu, in, STR_SCAS); }
