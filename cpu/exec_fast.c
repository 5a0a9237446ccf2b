/* Choosing the handler of each instruction of a block when it is decoded
 * (cpu/exec_fast.h): a specialised one from cpu/exec_fast_*.c when one
 * fits the instruction and the block's mode, else the general one. */
#include "cpu/exec_fast.h"

#include "cpu/decode.h"

ic_fn exec_fast_select(const struct ic_insn *e, int mode, bool tlb)
{
    ic_fn fn;

    if (e->in.flags & (INSN_REP | INSN_REPNE)) {
        /* REP only means something to the string instructions, which
         * have no specialised handler; elsewhere it is ignored. */
        switch (e->in.op) {
        case X86_OP_MOVS: case X86_OP_CMPS: case X86_OP_STOS: case X86_OP_LODS:
        case X86_OP_SCAS: case X86_OP_INS: case X86_OP_OUTS:
            return NULL;
        default:
            break;
        }
    }
    if ((fn = fast_alu_select(e, mode, tlb)) != NULL)
        return fn;
    if ((fn = fast_mem_select(e, mode, tlb)) != NULL)
        return fn;
    return fast_branch_select(e, mode, tlb);
}

ic_fn exec_fast_chain(const struct ic_insn *e, int mode, bool tlb)
{
    return fast_branch_chain(e, mode, tlb);
}

ic_fn exec_fast_fuse(const struct ic_insn *e, int mode, bool tlb)
{
    return fast_fused_select(e, mode, tlb);
}
