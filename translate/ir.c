/* IR names and one op as text (translate/ir.h), for the debugger's view of
 * a block and for the tests. */
#include <stdio.h>

#include "translate/ir.h"

static const char *const names[] = {
    [IR_MOVI] = "movi", [IR_MOV] = "mov", [IR_LDS] = "lds", [IR_STS] = "sts",
    [IR_STSI] = "stsi", [IR_ADD] = "add", [IR_SUB] = "sub", [IR_AND] = "and",
    [IR_OR] = "or", [IR_XOR] = "xor", [IR_NEG] = "neg", [IR_NOT] = "not", [IR_INC] = "inc",
    [IR_DEC] = "dec", [IR_SHL] = "shl", [IR_SHR] = "shr", [IR_SAR] = "sar",
    [IR_IMUL] = "imul", [IR_UDIV] = "udiv", [IR_ZEXT] = "zext", [IR_SEXT] = "sext", [IR_ADDR] = "addr",
    [IR_LOAD] = "load", [IR_STORE] = "store", [IR_LAZY] = "lazy", [IR_FOLDCF] = "foldcf",
    [IR_SETCC] = "setcc", [IR_SELECT] = "select", [IR_CHECK_CANON] = "check_canon",
    [IR_CHECK_SMC] = "check_smc", [IR_INSN] = "insn", [IR_GOTO] = "goto",
    [IR_BRCOND] = "brcond", [IR_GOTO_IND] = "goto_ind", [IR_EXIT] = "exit",
};

const char *ir_opcode_name(int op)
{
    if (op < 0 || op >= (int)(sizeof(names) / sizeof(names[0])) || !names[op])
        return "?";
    return names[op];
}

static int reg(char *buf, unsigned len, const char *sep, int v)
{
    return v == IR_NOREG ? 0 : snprintf(buf, len, "%sv%d", sep, v);
}

int ir_format(const struct ir_op *o, char *buf, unsigned len)
{
    int n = snprintf(buf, len, "%3u: %-11s", o->gi, ir_opcode_name(o->op));
    if (n < 0 || (unsigned)n >= len)
        return n;
    n += reg(buf + n, len - (unsigned)n, " ", o->d);
    if ((unsigned)n < len)
        n += reg(buf + n, len - (unsigned)n, o->d == IR_NOREG ? " " : " <- ", o->a);
    if ((unsigned)n < len)
        n += reg(buf + n, len - (unsigned)n, ", ", o->b);
    if ((unsigned)n < len)
        n += reg(buf + n, len - (unsigned)n, ", ", o->c);
    if ((unsigned)n < len)
        n += snprintf(buf + n, len - (unsigned)n, "  size %u imm %#llx imm2 %#llx cc %u lf %u",
                      o->size, (unsigned long long)o->imm, (unsigned long long)o->imm2, o->cc,
                      o->lf);
    return n;
}
