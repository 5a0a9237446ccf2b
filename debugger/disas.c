/* Capstone wrapper (debugger/disas.h).  Capstone's <capstone/x86.h> has an
 * `enum x86_insn` that would clash with glass's `struct x86_insn` in a file
 * that includes both; this file includes only Capstone. */
#include "debugger/disas.h"

#include <capstone/capstone.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "debugger/symbols.h"

static csh handle[3];
static bool opened[3];

static csh handle_for(int bits)
{
    int i = bits == 16 ? 0 : bits == 32 ? 1 : 2;
    if (!opened[i]) {
        cs_mode mode = bits == 16 ? CS_MODE_16 : bits == 32 ? CS_MODE_32 : CS_MODE_64;
        if (cs_open(CS_ARCH_X86, mode, &handle[i]) != CS_ERR_OK)
            return 0;
        cs_option(handle[i], CS_OPT_DETAIL, CS_OPT_ON);
        opened[i] = true;
    }
    return handle[i];
}

int disas_one(int bits, const uint8_t *bytes, size_t len, uint64_t addr,
              const struct symtab *syms, char *text, size_t textlen)
{
    csh h = handle_for(bits);
    cs_insn *insn = NULL;
    if (!h || cs_disasm(h, bytes, len, addr, 1, &insn) != 1) {
        snprintf(text, textlen, "(bad)");
        return -1;
    }
    int n = insn->size;
    char sym[128] = "";
    if (syms && insn->detail) {
        const cs_x86 *x = &insn->detail->x86;
        bool branch = false;
        for (int g = 0; g < insn->detail->groups_count; g++)
            if (insn->detail->groups[g] == CS_GRP_JUMP || insn->detail->groups[g] == CS_GRP_CALL)
                branch = true;
        if (branch && x->op_count == 1 && x->operands[0].type == X86_OP_IMM) {
            char d[112];
            symtab_describe(syms, (uint64_t)x->operands[0].imm, d, sizeof(d));
            if (*d)
                snprintf(sym, sizeof(sym), " <%s>", d);
        }
    }
    snprintf(text, textlen, "%s%s%s%s", insn->mnemonic, insn->op_str[0] ? " " : "",
             insn->op_str, sym);
    cs_free(insn, 1);
    return n;
}
