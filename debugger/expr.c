/* Expressions for addresses and values: NUMBER (0x hex, 0 octal-free:
 * plain decimal), $REG or a register name, SYMBOL, joined by + and -;
 * and SEG:OFF addresses. */
#include <ctype.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "cpu/seg.h"
#include "debugger/session.h"
#include "machine/board.h"

static int term(struct dbg_session *s, const char *t, uint64_t *v)
{
    char *end;
    if (!*t) {
        fprintf(s->out, "missing value\n");
        return -1;
    }
    if (isdigit((unsigned char)t[0])) {
        *v = strtoull(t, &end, t[0] == '0' && (t[1] == 'x' || t[1] == 'X') ? 16 : 10);
        if (!*end)
            return 0;
        fprintf(s->out, "bad number '%s'\n", t);
        return -1;
    }
    struct x86_cpu *cpu = dbg_cpu(&s->d);
    if (t[0] == '$') {
        if (dbg_reg_read(cpu, t + 1, v) == 0)
            return 0;
        fprintf(s->out, "no register '%s'\n", t);
        return -1;
    }
    const struct symbol *sym = symtab_by_name(&s->syms, t);
    if (sym) {
        *v = sym->addr;
        return 0;
    }
    if (dbg_reg_read(cpu, t, v) == 0)
        return 0;
    fprintf(s->out, "no symbol or register '%s'\n", t);
    return -1;
}

int dbg_eval(struct dbg_session *s, const char *text, uint64_t *val)
{
    char buf[256], tok[128];
    snprintf(buf, sizeof(buf), "%s", text);
    uint64_t acc = 0;
    int sign = 1;
    const char *p = buf;
    bool any = false;
    while (*p) {
        while (*p == ' ')
            p++;
        if (*p == '+' || *p == '-') {
            sign = *p == '-' ? -1 : 1;
            p++;
            continue;
        }
        size_t n = 0;
        while (*p && *p != '+' && *p != '-' && *p != ' ' && n < sizeof(tok) - 1)
            tok[n++] = *p++;
        tok[n] = 0;
        if (!n)
            break;
        uint64_t v;
        if (term(s, tok, &v) < 0)
            return -1;
        acc = sign > 0 ? acc + v : acc - v;
        sign = 1;
        any = true;
    }
    if (!any) {
        fprintf(s->out, "missing expression\n");
        return -1;
    }
    *val = acc;
    return 0;
}

static const char *const seg_names[6] = { "es", "cs", "ss", "ds", "fs", "gs" };

int dbg_eval_address(struct dbg_session *s, const char *text, uint64_t *lin)
{
    const char *colon = strchr(text, ':');
    if (!colon)
        return dbg_eval(s, text, lin);
    char segtext[64];
    snprintf(segtext, sizeof(segtext), "%.*s", (int)(colon - text), text);
    uint64_t off;
    if (dbg_eval(s, colon + 1, &off) < 0)
        return -1;
    struct x86_cpu *cpu = dbg_cpu(&s->d);
    const char *sn = segtext[0] == '$' ? segtext + 1 : segtext;
    for (int i = 0; i < 6; i++)
        if (!strcasecmp(sn, seg_names[i])) {
            /* The segment register's cache: what the CPU would use. */
            *lin = cpu->seg[i].base + off;
            if (!x86_code64(cpu))
                *lin &= 0xffffffffull;
            return 0;
        }
    uint64_t sel;
    if (dbg_eval(s, segtext, &sel) < 0)
        return -1;
    if (!x86_protected(cpu) || x86_vm86(cpu)) {
        *lin = ((sel & 0xffff) << 4) + (off & 0xffff);
        return 0;
    }
    /* A selector in protected mode: its descriptor's base. */
    uint64_t table = (sel & SEL_TI) ? cpu->seg[S_LDTR].base : cpu->gdtr.base;
    uint64_t raw;
    if (dbg_read_linear(&s->d, table + SEL_INDEX(sel), &raw, 8) != 8) {
        fprintf(s->out, "cannot read the descriptor of selector 0x%" PRIx64 "\n", sel);
        return -1;
    }
    struct x86_segment seg;
    x86_desc_to_segment(raw, (uint16_t)sel, &seg);
    *lin = (seg.base + off) & 0xffffffffull;
    return 0;
}
