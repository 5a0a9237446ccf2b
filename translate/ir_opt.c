/* Clean-ups on a block's IR before the backend sees it (translate/ir.h).
 *
 * Dead lazy-flags records: IR_LAZY writes cpu->lazy, which only something
 * outside the straight-line code reads: an interpreter handler, a helper
 * computing a condition, the dispatcher after the block, or the guest's
 * state at a fault.  A record that the next one overwrites before any such
 * reader can run is never seen and is dropped.  Every op that can leave
 * the block, call C or fault counts as a reader (memory accesses fault;
 * conditions may be computed from the record), so the record a block ends
 * with, and the one before each memory access, are always kept. */
#include "translate/ir.h"

int ir_reads_lazy(int op)
{
    switch (op) {
    case IR_MOVI: case IR_MOV: case IR_LDS: case IR_STS: case IR_STSI:
    case IR_ADD: case IR_SUB: case IR_AND: case IR_OR: case IR_XOR:
    case IR_NEG: case IR_NOT: case IR_INC: case IR_DEC:
    case IR_SHL: case IR_SHR: case IR_SAR: case IR_IMUL:
    case IR_ZEXT: case IR_SEXT: case IR_ADDR: case IR_SELECT:
        return 0;
    default:
        return 1;       /* LOAD STORE FOLDCF SETCC CHECK_* INSN, block ends */
    }
}

void ir_drop_dead_lazy(struct ir_block *ir)
{
    int n = 0;
    for (int i = 0; i < ir->n; i++) {
        if (ir->op[i].op == IR_LAZY) {
            int j = i + 1;
            while (j < ir->n && ir->op[j].op != IR_LAZY && !ir_reads_lazy(ir->op[j].op))
                j++;
            if (j < ir->n && ir->op[j].op == IR_LAZY)
                continue;       /* overwritten unseen */
        }
        ir->op[n++] = ir->op[i];
    }
    ir->n = n;
}
