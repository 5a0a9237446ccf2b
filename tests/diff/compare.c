/* Comparing and reporting (compare.h). */
#include "tests/diff/compare.h"

#include <capstone/capstone.h>
#include <inttypes.h>
#include <string.h>

#define STATUS_FLAGS 0x8d5u     /* CF PF AF ZF SF OF */
#define FLAG_DF 0x400u

static const char *const gpr_name[16] = {
    "rax", "rcx", "rdx", "rbx", "rsp", "rbp", "rsi", "rdi",
    "r8", "r9", "r10", "r11", "r12", "r13", "r14", "r15",
};

/* Registers and their width that are architectural in the case's mode:
 * compatibility mode has eight 32-bit registers (the upper halves and
 * R8-R15 are undefined after a mode switch).  With DIFF_ORACLE_ADDR32 the
 * host's 64-bit equivalent zero-extends its 32-bit results where glass's
 * compatibility-mode instruction leaves bits 63:32 alone: the low halves
 * are what both define. */
static int nregs(const struct diff_case *c) { return c->mode == 64 ? 16 : 8; }
static uint64_t reg_mask(const struct diff_case *c) { return c->mode == 64 ? ~0ull : 0xffffffffull; }

/* Flags compared: the defined ones, DF, or all status flags on a fault
 * (nothing was done, so nothing may change). */
static uint64_t flags_compared(const struct diff_case *c, const struct diff_result *native)
{
    if (native->vector != DIFF_NO_VECTOR)
        return STATUS_FLAGS | FLAG_DF;
    return (c->flag_mask & STATUS_FLAGS) | FLAG_DF;
}

uint64_t diff_native_rip(const struct diff_case *c, const struct diff_result *n)
{
    if (n->vector != DIFF_NO_VECTOR)
        return n->rip;
    return n->rip - ((uint64_t)c->nlen - c->len);
}

unsigned diff_compare(const struct diff_case *c, const struct diff_result *n, const struct diff_result *g)
{
    unsigned d = 0;
    if (n->status != DIFF_ST_OK || g->status != DIFF_ST_OK)
        return DIFF_D_STATUS;
    uint16_t ignore = n->vector == DIFF_NO_VECTOR ? c->gpr_ignore : 0;
    for (int i = 0; i < nregs(c); i++)
        if (!((ignore >> i) & 1) && ((n->gpr[i] ^ g->gpr[i]) & reg_mask(c)))
            d |= DIFF_D_GPR;
    if ((diff_native_rip(c, n) ^ g->rip) & reg_mask(c))
        d |= DIFF_D_RIP;
    if ((n->rflags ^ g->rflags) & flags_compared(c, n))
        d |= DIFF_D_FLAGS;
    if (n->vector != g->vector)
        d |= DIFF_D_VECTOR;
    else if (n->vector == 14 && (n->error_code & 0x1f) != (g->error_code & 0x1f))
        d |= DIFF_D_ERROR;
    else if (n->vector >= 0 && n->vector != 14 && n->error_code != g->error_code)
        d |= DIFF_D_ERROR;
    if (n->vector == 14 && g->vector == 14 && n->cr2 != g->cr2)
        d |= DIFF_D_CR2;
    if (memcmp(n->data, g->data, DIFF_DATA_SIZE))
        d |= DIFF_D_MEM;
    return d;
}

static csh cs[2];
static bool cs_ok[2], cs_tried[2];

void diff_disasm(int mode, const uint8_t *bytes, int len, char *buf, size_t buflen)
{
    int k = mode == 64;
    if (!cs_tried[k]) {
        cs_tried[k] = true;
        cs_ok[k] = cs_open(CS_ARCH_X86, k ? CS_MODE_64 : CS_MODE_32, &cs[k]) == CS_ERR_OK;
    }
    cs_insn *insn = NULL;
    size_t n = cs_ok[k] ? cs_disasm(cs[k], bytes, (size_t)len, DIFF_INSN_ADDR, 1, &insn) : 0;
    if (n == 0) {
        snprintf(buf, buflen, "(capstone: not an instruction)");
        return;
    }
    snprintf(buf, buflen, "%s %s%s", insn[0].mnemonic, insn[0].op_str,
             insn[0].size != (size_t)len ? " (capstone length differs)" : "");
    cs_free(insn, n);
}

void diff_disasm_close(void)
{
    for (int k = 0; k < 2; k++)
        if (cs_ok[k])
            cs_close(&cs[k]);
}

static void flags_str(uint64_t f, char *buf)
{
    static const struct { uint64_t bit; char c; } fl[] = {
        { 0x800, 'O' }, { 0x400, 'D' }, { 0x80, 'S' }, { 0x40, 'Z' }, { 0x10, 'A' }, { 0x4, 'P' }, { 0x1, 'C' },
    };
    for (int i = 0; i < 7; i++)
        buf[i] = (f & fl[i].bit) ? fl[i].c : '-';
    buf[7] = 0;
}

static void print_outcome(FILE *f, const char *who, const struct diff_case *c, const struct diff_result *r,
                          const struct diff_result *other, bool native)
{
    char fl[8];
    flags_str(r->rflags, fl);
    fprintf(f, "  %-6s rip=%#" PRIx64, who, r->rip);
    if (native && diff_native_rip(c, r) != r->rip)
        fprintf(f, " (%#" PRIx64 " for glass's instruction)", diff_native_rip(c, r));
    fprintf(f, " flags=%s (%#" PRIx64 ")", fl, r->rflags);
    if (r->status == DIFF_ST_CRASH)
        fprintf(f, " NATIVE RUNNER CRASHED");
    else if (r->status != DIFF_ST_OK)
        fprintf(f, " UNEXPECTED VM EXIT");
    if (r->vector >= 0)
        fprintf(f, " exception=%d err=%#x cr2=%#" PRIx64, r->vector, r->error_code, r->cr2);
    else
        fprintf(f, " no exception");
    if (r->signo)
        fprintf(f, " (signal %d code %d)", r->signo, r->si_code);
    fprintf(f, "\n");
    for (int i = 0; i < nregs(c); i++) {
        bool differs = (r->gpr[i] ^ other->gpr[i]) & reg_mask(c);
        fprintf(f, "%s%4s=%016" PRIx64 "%s", i % 4 ? "" : "        ", gpr_name[i], r->gpr[i],
                differs ? "*" : " ");
        if (i % 4 == 3)
            fprintf(f, "\n");
    }
}

void diff_report(FILE *f, uint64_t index, const struct diff_case *c, const struct diff_result *n,
                 const struct diff_result *g, unsigned what, const char *tmpl_name, const char *glass_name)
{
    char dis[160], fl[8];
    diff_disasm(c->mode, c->insn, c->len, dis, sizeof dis);
    fprintf(f, "DIVERGENCE #%" PRIu64 " (%d-bit, template %s, %s):", index, c->mode, tmpl_name, glass_name);
    for (int i = 0; i < c->len; i++)
        fprintf(f, " %02x", c->insn[i]);
    fprintf(f, "   %s\n", dis);
    if (c->oracle == DIFF_ORACLE_ADDR32) {
        diff_disasm(c->nmode, c->ninsn, c->nlen, dis, sizeof dis);
        fprintf(f, "  oracle: the host ran its 64-bit equivalent:");
        for (int i = 0; i < c->nlen; i++)
            fprintf(f, " %02x", c->ninsn[i]);
        fprintf(f, "   %s\n", dis);
    }
    fprintf(f, "  differs:%s%s%s%s%s%s%s%s   (flags compared: %#" PRIx64 ")\n",
            what & DIFF_D_GPR ? " registers" : "", what & DIFF_D_RIP ? " rip" : "",
            what & DIFF_D_FLAGS ? " flags" : "", what & DIFF_D_VECTOR ? " exception" : "",
            what & DIFF_D_ERROR ? " error-code" : "", what & DIFF_D_CR2 ? " cr2" : "",
            what & DIFF_D_MEM ? " memory" : "", what & DIFF_D_STATUS ? " status" : "",
            flags_compared(c, n));
    flags_str(c->rflags, fl);
    fprintf(f, "  start  rip=%#llx flags=%s (%#" PRIx64 ")\n", (unsigned long long)DIFF_INSN_ADDR, fl, c->rflags);
    for (int i = 0; i < nregs(c); i++)
        fprintf(f, "%s%4s=%016" PRIx64 " %s", i % 4 ? "" : "        ", gpr_name[i], c->gpr[i],
                i % 4 == 3 ? "\n" : "");
    print_outcome(f, "native", c, n, g, true);
    print_outcome(f, "glass", c, g, n, false);
    if (what & DIFF_D_MEM) {
        int shown = 0;
        for (unsigned i = 0; i < DIFF_DATA_SIZE && shown < 16; i++) {
            if (n->data[i] != g->data[i]) {
                fprintf(f, "  memory %#llx: native %02x glass %02x\n",
                        (unsigned long long)(DIFF_DATA + i), n->data[i], g->data[i]);
                shown++;
            }
        }
    }
}
