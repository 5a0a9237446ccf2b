/* Names of the decoded operations, from the X-macro in cpu/x86_ops.h. */
#include "cpu/x86_ops.h"

static const char *const x86_op_names[X86_OP_COUNT] = {
#define X86_OP_NAME(name, owner) [X86_OP_##name] = #name,
    X86_OPS(X86_OP_NAME)
#undef X86_OP_NAME
};

const char *x86_op_name(int op)
{
    if (op < 0 || op >= X86_OP_COUNT)
        return "?";
    return x86_op_names[op];
}
