/* The handler of every operation, in enum x86_op order (cpu/x86_ops.h). */
#include "cpu/exec.h"

const x86_exec_fn x86_exec_table[X86_OP_COUNT] = {
#define X86_EXEC_ENTRY(name, owner) [X86_OP_##name] = exec_##name,
    X86_OPS(X86_EXEC_ENTRY)
#undef X86_EXEC_ENTRY
};
