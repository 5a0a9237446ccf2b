/* Registers by name, and breakpoint conditions over them. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "cpu/x86_cpu.h"
#include "debugger/debugger.h"

static const char *const gpr64[16] = {
    "rax", "rcx", "rdx", "rbx", "rsp", "rbp", "rsi", "rdi",
    "r8", "r9", "r10", "r11", "r12", "r13", "r14", "r15",
};
static const char *const gpr32[8] = { "eax", "ecx", "edx", "ebx", "esp", "ebp", "esi", "edi" };
static const char *const gpr16[8] = { "ax", "cx", "dx", "bx", "sp", "bp", "si", "di" };
static const char *const gpr8l[4] = { "al", "cl", "dl", "bl" };
static const char *const gpr8h[4] = { "ah", "ch", "dh", "bh" };
static const char *const sregs[6] = { "es", "cs", "ss", "ds", "fs", "gs" };

/* Where a name lives: a pointer into cpu, a shift and a width in bytes. */
struct reg_ref {
    uint64_t *p;
    int shift, size;
    int sreg;           /* >= 0: a segment selector */
    bool rflags;
};

static int lookup(struct x86_cpu *cpu, const char *n, struct reg_ref *r)
{
    memset(r, 0, sizeof(*r));
    r->sreg = -1;
    r->size = 8;
    if (*n == '$')
        n++;
    for (int i = 0; i < 16; i++) {
        char b[8];
        if (!strcasecmp(n, gpr64[i])) { r->p = &cpu->gpr[i]; return 0; }
        if (i >= 8) {
            snprintf(b, sizeof(b), "r%dd", i);
            if (!strcasecmp(n, b)) { r->p = &cpu->gpr[i]; r->size = 4; return 0; }
            snprintf(b, sizeof(b), "r%dw", i);
            if (!strcasecmp(n, b)) { r->p = &cpu->gpr[i]; r->size = 2; return 0; }
            snprintf(b, sizeof(b), "r%db", i);
            if (!strcasecmp(n, b)) { r->p = &cpu->gpr[i]; r->size = 1; return 0; }
        }
    }
    for (int i = 0; i < 8; i++) {
        if (!strcasecmp(n, gpr32[i])) { r->p = &cpu->gpr[i]; r->size = 4; return 0; }
        if (!strcasecmp(n, gpr16[i])) { r->p = &cpu->gpr[i]; r->size = 2; return 0; }
    }
    for (int i = 0; i < 4; i++) {
        if (!strcasecmp(n, gpr8l[i])) { r->p = &cpu->gpr[i]; r->size = 1; return 0; }
        if (!strcasecmp(n, gpr8h[i])) { r->p = &cpu->gpr[i]; r->size = 1; r->shift = 8; return 0; }
    }
    if (!strcasecmp(n, "rip") || !strcasecmp(n, "pc")) { r->p = &cpu->rip; return 0; }
    if (!strcasecmp(n, "eip")) { r->p = &cpu->rip; r->size = 4; return 0; }
    if (!strcasecmp(n, "ip")) { r->p = &cpu->rip; r->size = 2; return 0; }
    if (!strcasecmp(n, "rflags") || !strcasecmp(n, "eflags") || !strcasecmp(n, "flags")) {
        r->rflags = true;
        return 0;
    }
    for (int i = 0; i < 6; i++)
        if (!strcasecmp(n, sregs[i])) { r->sreg = i; r->size = 2; return 0; }
    static const struct { const char *name; size_t off; } ctl[] = {
        { "cr0", offsetof(struct x86_cpu, cr0) }, { "cr2", offsetof(struct x86_cpu, cr2) },
        { "cr3", offsetof(struct x86_cpu, cr3) }, { "cr4", offsetof(struct x86_cpu, cr4) },
        { "cr8", offsetof(struct x86_cpu, cr8) }, { "efer", offsetof(struct x86_cpu, efer) },
    };
    for (size_t i = 0; i < sizeof(ctl) / sizeof(ctl[0]); i++)
        if (!strcasecmp(n, ctl[i].name)) { r->p = (uint64_t *)((char *)cpu + ctl[i].off); return 0; }
    if (!strncasecmp(n, "dr", 2) && n[2] >= '0' && n[2] <= '7' && !n[3]) {
        r->p = &cpu->dr[n[2] - '0'];
        return 0;
    }
    return -1;
}

int dbg_reg_read(struct x86_cpu *cpu, const char *name, uint64_t *val)
{
    struct reg_ref r;
    if (lookup(cpu, name, &r) < 0)
        return -1;
    if (r.rflags)
        *val = x86_get_rflags(cpu);
    else if (r.sreg >= 0)
        *val = cpu->seg[r.sreg].selector;
    else {
        uint64_t v = *r.p >> r.shift;
        *val = r.size == 8 ? v : v & ((1ull << (r.size * 8)) - 1);
    }
    return 0;
}

int dbg_reg_write(struct x86_cpu *cpu, const char *name, uint64_t val)
{
    struct reg_ref r;
    if (lookup(cpu, name, &r) < 0)
        return -1;
    if (r.rflags) {
        x86_set_rflags(cpu, (val & 0x3f7fd7ull) | FL_FIXED1);
    } else if (r.sreg >= 0) {
        cpu->seg[r.sreg].selector = (uint16_t)val;
    } else if (r.size == 4 && r.p != &cpu->rip) {
        *r.p = (uint32_t)val;       /* as a 32-bit write: zero-extends */
    } else if (r.size == 8) {
        *r.p = val;
    } else {
        uint64_t mask = ((1ull << (r.size * 8)) - 1) << r.shift;
        *r.p = (*r.p & ~mask) | ((val << r.shift) & mask);
    }
    return 0;
}

bool dbg_cond_true(struct x86_cpu *cpu, const struct dbg_cond *c)
{
    uint64_t v;
    if (!c->active)
        return true;
    if (dbg_reg_read(cpu, c->reg, &v) < 0)
        return false;
    if (!strcmp(c->op, "=="))
        return v == c->value;
    if (!strcmp(c->op, "!="))
        return v != c->value;
    if (!strcmp(c->op, "<"))
        return v < c->value;
    if (!strcmp(c->op, ">"))
        return v > c->value;
    if (!strcmp(c->op, "<="))
        return v <= c->value;
    if (!strcmp(c->op, ">="))
        return v >= c->value;
    return false;
}

int dbg_cond_parse(const char *text, struct dbg_cond *c)
{
    static const char *const ops[] = { "==", "!=", "<=", ">=", "<", ">" };
    char buf[128];
    memset(c, 0, sizeof(*c));
    snprintf(buf, sizeof(buf), "%s", text);
    for (size_t i = 0; i < sizeof(ops) / sizeof(ops[0]); i++) {
        char *at = strstr(buf, ops[i]);
        if (!at)
            continue;
        char *val = at + strlen(ops[i]);
        *at = 0;
        char reg[16];
        if (sscanf(buf, " %15s", reg) != 1)
            return -1;
        const char *rn = reg[0] == '$' ? reg + 1 : reg;
        struct x86_cpu probe;
        uint64_t v;
        memset(&probe, 0, sizeof(probe));
        if (strlen(rn) >= sizeof(c->reg) || dbg_reg_read(&probe, rn, &v) < 0)
            return -1;
        while (*val == ' ')
            val++;
        char *end;
        c->value = strtoull(val, &end, 0);
        if (end == val)
            return -1;
        while (*end == ' ')
            end++;
        if (*end)
            return -1;
        memcpy(c->reg, rn, strlen(rn) + 1);   /* fits: checked above */
        snprintf(c->op, sizeof(c->op), "%s", ops[i]);
        c->active = true;
        return 0;
    }
    return -1;
}

const char *dbg_stop_reason_name(enum dbg_stop_reason r)
{
    switch (r) {
    case STOP_STEP_DONE: return "step done";
    case STOP_BREAKPOINT: return "breakpoint";
    case STOP_WATCHPOINT: return "watchpoint";
    case STOP_INTERRUPTED: return "interrupted";
    case STOP_MACHINE_EXIT: return "machine exit";
    case STOP_HALTED: return "halted";
    case STOP_ERROR: return "error";
    }
    return "?";
}
