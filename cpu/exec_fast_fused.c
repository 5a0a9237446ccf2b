/* Fused pairs: ADD SUB CMP AND OR XOR TEST followed by the Jcc that ends
 * the block, run by one handler.  The pair does exactly what the two do
 * one after the other (the flags are recorded as the first leaves them,
 * RIP goes to the Jcc's target or past it), with the condition taken from
 * the operands at hand instead of from the recorded flags, and goes
 * straight on to the next block (ic_goto).  When the first
 * instruction cannot take its fast path it runs alone (ic_generic) and the
 * Jcc runs by itself next. */
#include "cpu/exec_fast_inline.h"

#define FX_FUSED_HANDLER(OP, FORM, SZ) \
    FX_HANDLER(fused_##OP##_##FORM##_##SZ) \
    { \
        uint64_t a, b, res; \
        if (!fx_alu_run(cpu, e, FX_##OP, FXF_##FORM, SZ, &a, &b, &res)) \
            return ic_generic(cpu, e); \
        const struct ic_insn *j = e + 1; \
        if ((j->cc_mask >> fx_flags_index(FX_##OP, SZ, a, b, res)) & 1) { \
            cpu->rip = j->target; \
            return ic_goto(cpu, j, 0); \
        } \
        cpu->rip = j->next_rip; \
        return ic_goto(cpu, j, 1); \
    }
FX_FOR_ALL(FX_FUSED_HANDLER)

#define FX_FUSED_ENTRY(OP, FORM, SZ) FX_TABLE_ENTRY(fused, OP, FORM, SZ)
static const ic_fn fused_table[FX_TEST + 1][FXF_COUNT][3] = { FX_FOR_ALL(FX_FUSED_ENTRY) };

ic_fn fast_fused_select(const struct ic_insn *e, int mode, bool tlb)
{
    const struct x86_insn *in = &e->in;
    const struct ic_insn *j = e + 1;
    int op = fx_op_of(in->op), form = fx_form_of(in), si = fx_size_index(in->opsize);

    if (j->in.op != X86_OP_JCC || !fx_target_ok(j, mode) || (j->in.cond >> 1) == 5)
        return NULL; /* P/NP: the index of fx_flags_index has no PF */
    if (op < 0 || form < 0 || si < 0 || (in->flags & INSN_LOCK))
        return NULL;
    if (ix_is_mem(in) && !fx_mem_ok(in, mode, tlb))
        return NULL;
    return fused_table[op][form][si];
}
