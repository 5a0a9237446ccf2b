/* The instruction generator (see gen.h): the driver.  It picks a mode and
 * a template, sets a case's start state, lets the template build its
 * instruction (gen_internal.h: the builder in gen_operand.c, the templates
 * in gen_alu.c, gen_shift.c, gen_bits.c, gen_move.c, gen_stack.c,
 * gen_string.c, gen_branch.c, gen_misc.c) and encodes it.
 *
 * 32-bit cases and their oracle.  Glass runs a 32-bit case in a
 * compatibility-mode code segment (long mode, CS.L=0, CS.D=1, flat data
 * segments).  Where the host can run 32-bit user code (a far jump to
 * selector 0x23 works: gen->oracle32 == DIFF_ORACLE_SAME) it runs the same
 * bytes the same way.  Where it cannot (some virtual machines), the host
 * runs a 64-bit instruction with exactly the same meaning instead
 * (DIFF_ORACLE_ADDR32), which exists for the mode-independent part of the
 * ISA: with no REX prefix and a 0x67 (address-size) prefix, a 64-bit-mode
 * instruction has the same operand size (32, or 16 with 0x66), the same
 * registers (the low halves; they start with zero upper halves) and the
 * same 32-bit address arithmetic (wrapping at 4 GiB) as in a flat 32-bit
 * segment.  encode() translates:
 *   - 0x67 goes before the other prefixes when the instruction addresses memory:
 *     a ModRM memory operand (LEA and NOP 0F 1F included), a moffs (A0-A3),
 *     or implicitly: string ops (ESI/EDI/ECX), XLAT (EBX), LOOPcc and JECXZ
 *     (ECX as the count);
 *   - ModRM mod=00 rm=101 is [disp32] in 32-bit code but [RIP+disp32] in
 *     64-bit code: it becomes mod=00 rm=100 with SIB 0x25 (no base, no
 *     index), which with 0x67 is the same absolute [disp32];
 *   - INC/DEC r32 (0x40-0x4F; REX prefixes in 64-bit code) become FF /0 and
 *     FF /1 with a register operand (mod=11), 0x66 kept;
 *   - 0x82 (an alias of 0x80, #UD in 64-bit code) becomes 0x80;
 *   - branch displacements are kept, so a taken branch lands as far from
 *     the end of the native instruction as from the end of glass's: RIP is
 *     compared relative to each side's instruction (compare.c).
 * Left out of such cases because their meaning depends on the mode: the
 * stack (PUSH POP CALL RET ENTER LEAVE, templates pushpop and enter: the
 * stack width differs), JMP through memory (8 bytes read in 64-bit code),
 * and what 64-bit code does not have (DAA DAS AAA AAS AAM AAD SALC PUSHA
 * POPA: template legacy32; BOUND ARPL LES LDS are not generated at all).
 * They are covered only by the unit tests and, on hosts that run 32-bit
 * code, by the direct oracle.  Segment overrides in 32-bit cases are DS ES
 * SS (flat on both sides, null prefixes in 64-bit code) and, on string
 * sources only (a read), CS. */
#include <stdbool.h>
#include <string.h>

#include "tests/diff/gen_internal.h"

/* ------------------------------------------------------------- templates */

/* Where a template can run: 64-bit code, 32-bit code run natively by the
 * host (DIFF_ORACLE_SAME), 32-bit code whose oracle is its 64-bit
 * equivalent (DIFF_ORACLE_ADDR32). */
#define M64 1u
#define M32 2u
#define M32X 4u
#define MALL (M64 | M32 | M32X)

struct tmpl {
    const char *name;
    void (*fn)(struct bld *b);
    unsigned weight;
    unsigned modes;
    uint32_t needs;     /* DIFF_HOST_* without which it makes nothing */
};

static const struct tmpl tmpls[] = {
    { "alu",       t_alu,           14, MALL,      0 },
    { "test",      t_test,           3, MALL,      0 },
    { "unary",     t_unary,          5, MALL,      0 },
    { "shift",     t_shift,         10, MALL,      0 },
    { "shxd",      t_shxd,           4, MALL,      0 },
    { "mul",       t_mul,            5, MALL,      0 },
    { "div",       t_div,            5, MALL,      0 },
    { "bt",        t_bt,             5, MALL,      0 },
    { "bitscan",   t_bitscan,        4, MALL,      0 },
    { "bswap",     t_bswap,          1, MALL,      0 },
    { "movx",      t_movx,           3, MALL,      0 },
    { "cmov",      t_cmov,           3, MALL,      0 },
    { "setcc",     t_setcc,          2, MALL,      0 },
    { "xchg",      t_xchg,           5, MALL,      0 },
    { "cmpxchg8b", t_cmpxchg8b,      2, MALL,      0 },
    { "lea",       t_lea,            4, MALL,      0 },
    { "mov",       t_mov,            5, MALL,      0 },
    { "pushpop",   t_pushpop,        4, M64 | M32, 0 },
    { "misc",      t_misc,           3, MALL,      0 },
    { "string",    t_string,         6, MALL,      0 },
    { "movbe",     t_movbe,          1, MALL,      DIFF_HOST_MOVBE },
    { "enter",     t_enter_leave,    2, M64 | M32, 0 },
    { "branch",    t_branch,         6, MALL,      0 },
    { "xlat",      t_xlat,           1, MALL,      0 },
    { "invalid",   t_invalid,        1, MALL,      0 },
    { "legacy32",  t_legacy32,       2, M32,       0 },
};
#define NTMPL ((int)(sizeof tmpls / sizeof tmpls[0]))

int gen_tmpl_count(void) { return NTMPL; }
const char *gen_tmpl_name(int t) { return t >= 0 && t < NTMPL ? tmpls[t].name : "?"; }
int gen_tmpl_find(const char *name)
{
    for (int i = 0; i < NTMPL; i++)
        if (!strcmp(tmpls[i].name, name))
            return i;
    return -1;
}

static unsigned mode_bit(const struct gen *g, int mode)
{
    return mode == 64 ? M64 : g->oracle32 == DIFF_ORACLE_ADDR32 ? M32X : M32;
}

bool gen_tmpl_available(const struct gen *g, int tmpl, int mode)
{
    return tmpl >= 0 && tmpl < NTMPL && (tmpls[tmpl].modes & mode_bit(g, mode)) &&
           (g->host & tmpls[tmpl].needs) == tmpls[tmpl].needs;
}

/* ------------------------------------------------------------- assembly */

/* Encode b into p: the instruction glass runs, or (native, for a case with
 * b->addr32) its 64-bit equivalent for the host, as the comment at the top
 * explains.  The length, or -1 if over 15 bytes; *disp_at and *rel_at:
 * where the displacement and the branch displacement go. */
static int encode(const struct bld *b, uint8_t *p, bool native, int *disp_at, int *rel_at)
{
    bool x = native && b->addr32;
    uint8_t op[3];
    int nop = b->nop;
    memcpy(op, b->op, sizeof op);
    bool has_modrm = b->has_modrm, has_sib = b->has_sib;
    uint8_t mod = b->mod, reg = b->reg, rm = b->rm, scale = b->scale, index = b->index, base = b->base;
    int n = 0;
    if (x && ((has_modrm && mod != 3) || (!has_modrm && b->disp_len) || b->implicit_addr))
        p[n++] = 0x67;  /* first: mandatory prefixes (F3 0F B8) stay next to the opcode */
    for (int i = 0; i < b->npfx; i++)
        p[n++] = b->pfx[i];
    if (x) {
        if (nop == 1 && op[0] >= 0x40 && op[0] <= 0x4f) {     /* INC/DEC r32: FF /0, FF /1 */
            has_modrm = true;
            mod = 3, reg = (op[0] >> 3) & 1, rm = op[0] & 7;
            op[0] = 0xff;
        } else if (nop == 1 && op[0] == 0x82) {
            op[0] = 0x80;
        }
        if (has_modrm && mod == 0 && rm == 5 && !has_sib) {  /* [disp32] without RIP */
            rm = 4, has_sib = true;
            base = 5, index = 4, scale = 1;
        }
    }
    if (b->mode == 64 && (b->rex || b->want_rex))
        p[n++] = (uint8_t)(0x40 | b->rex);
    for (int i = 0; i < nop; i++)
        p[n++] = op[i];
    if (has_modrm) {
        p[n++] = (uint8_t)(mod << 6 | (reg & 7) << 3 | (rm & 7));
        if (has_sib && mod != 3) {
            int ss = scale == 8 ? 3 : scale == 4 ? 2 : scale == 2 ? 1 : 0;
            p[n++] = (uint8_t)(ss << 6 | (index & 7) << 3 | (base & 7));
        }
    }
    *disp_at = n;
    if (!has_modrm || mod != 3)     /* ModRM displacement, or moffs */
        for (int i = 0; i < b->disp_len; i++)
            p[n++] = (uint8_t)((uint64_t)b->disp >> (8 * i));
    for (int i = 0; i < b->imm_len; i++)
        p[n++] = (uint8_t)(b->imm >> (8 * i));
    *rel_at = n;
    n += b->rel_len;
    return n > 15 ? -1 : n;
}

/* Both encodings of the case, with the RIP-relative and branch
 * displacements filled in.  -1 if either is too long. */
static int assemble(struct bld *b)
{
    struct diff_case *c = b->c;
    int disp_at, rel_at;
    int n = encode(b, c->insn, false, &disp_at, &rel_at);
    if (n < 0)
        return -1;
    uint8_t *p = c->insn;
    uint64_t next = DIFF_INSN_ADDR + (uint64_t)n;
    if (b->rip_rel) {
        int64_t d = (int64_t)(b->rip_target - next);
        for (int i = 0; i < 4; i++)
            p[disp_at + i] = (uint8_t)((uint64_t)d >> (8 * i));
    }
    if (b->rel_len) {
        /* Targets stay 16 bytes or more away from the instruction, so
         * that RIP after it never looks like a fault's (compare.c). */
        uint64_t target = code_target(b);
        if (b->rel_len == 1)
            target = chance(b, 50) ? next + below(b, 128) : next - 16 - below(b, 112);
        int64_t d = (int64_t)(target - next);
        for (int i = 0; i < b->rel_len; i++)
            p[rel_at + i] = (uint8_t)((uint64_t)d >> (8 * i));
    }
    c->len = (uint8_t)n;
    if (!b->addr32) {
        c->oracle = DIFF_ORACLE_SAME;
        c->nmode = c->mode;
        c->nlen = c->len;
        memcpy(c->ninsn, c->insn, sizeof c->ninsn);
        return n;
    }
    int ndisp_at, nrel_at;
    int nn = encode(b, c->ninsn, true, &ndisp_at, &nrel_at);
    if (nn < 0)
        return -1;
    memcpy(c->ninsn + nrel_at, p + rel_at, (size_t)b->rel_len);     /* the same displacement */
    c->oracle = DIFF_ORACLE_ADDR32;
    c->nmode = 64;
    c->nlen = (uint8_t)nn;
    return n;
}

/* ----------------------------------------------------------------- cases */

static uint64_t rand_reg_value(struct bld *b)
{
    static const int sizes[4] = { 1, 2, 4, 8 };
    return edge_value(b, sizes[below(b, 4)]);
}

/* Segment prefixes now and then: ignored in 64-bit mode (decoder
 * coverage); in 32-bit code ES SS DS, flat like the default segments (not
 * CS: a write through it raises #GP in 32-bit code, not in 64-bit code). */
static void noise_prefix(struct bld *b)
{
    static const uint8_t segs[4] = { 0x26, 0x36, 0x3e, 0x2e };
    if (chance(b, 4))
        prefix(b, segs[below(b, b->mode == 64 ? 4 : 3)]);
}

void gen_init(struct gen *g, uint64_t seed, uint32_t host_features)
{
    memset(g, 0, sizeof *g);
    g->rng = seed;
    g->host = host_features;
    g->only_tmpl = -1;
    g->oracle32 = (host_features & DIFF_HOST_COMPAT32) ? DIFF_ORACLE_SAME : DIFF_ORACLE_ADDR32;
}

static int pick_template(struct gen *g, int mode)
{
    unsigned total = 0;
    for (int i = 0; i < NTMPL; i++)
        total += gen_tmpl_available(g, i, mode) ? tmpls[i].weight : 0;
    unsigned x = (unsigned)(diff_rand_next(&g->rng) % total);
    for (int i = 0; i < NTMPL; i++) {
        unsigned w = gen_tmpl_available(g, i, mode) ? tmpls[i].weight : 0;
        if (x < w)
            return i;
        x -= w;
    }
    return 0;
}

/* 64-bit and 32-bit cases alternate, unless only_mode says; a template that
 * cannot run in one of them gets only the other. */
static int pick_mode(struct gen *g)
{
    if (g->only_mode)
        return g->only_mode;
    int mode = (g->ncases & 1) ? 32 : 64;
    if (g->only_tmpl >= 0 && !gen_tmpl_available(g, g->only_tmpl, mode))
        mode = 96 - mode;
    return mode;
}

void gen_case(struct gen *g, struct diff_case *c)
{
    int mode = pick_mode(g);
    g->ncases++;
    for (;;) {
        struct bld b = { .g = g, .c = c, .mode = mode };
        memset(c, 0, sizeof *c);
        b.addrsize = b.mode == 64 ? 8 : 4;
        b.addr32 = b.mode == 32 && g->oracle32 == DIFF_ORACLE_ADDR32;
        c->mode = (uint8_t)b.mode;
        for (int i = 0; i < 16; i++)
            c->gpr[i] = b.mode == 32 ? (i < 8 ? (uint32_t)rand_reg_value(&b) : 0) : rand_reg_value(&b);
        c->rflags = 0x2 | (rnd(&b) & F_ALL) | (chance(&b, 20) ? F_DF : 0);
        c->data_seed = rnd(&b);
        int t = g->only_tmpl >= 0 ? g->only_tmpl : pick_template(g, b.mode);
        c->tmpl = (uint16_t)t;
        noise_prefix(&b);
        tmpls[t].fn(&b);
        if (b.skip || assemble(&b) < 0)
            continue;
        return;
    }
}
