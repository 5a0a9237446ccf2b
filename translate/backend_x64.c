/* The x86-64 backend: IR (translate/ir.h) -> host code in the code cache.
 *
 * Host registers while translated code runs:
 *   rbx  struct x86_cpu *
 *   rbp  cpu->insn_count, live: written back on the way out (the exit
 *        stubs) and before every call to C
 *   r12-r15  the IR's virtual registers v0-v3 (callee-saved: they survive
 *            the helper calls of slow paths)
 *   rsi rdi r8-r11  the block's register cache: guest registers kept in
 *            host registers from the prologue to the block's exits
 *   rax rcx rdx  scratch
 * rsp is 16-byte aligned inside a block, so helpers are called directly.
 *
 * A block's code:
 *   entry:  leave if an interrupt / stop is pending or the budget is spent
 *           (the first 6-byte instruction is what invalidation overwrites
 *           with a jump to the bounce stub); count the block's instructions
 *   body:   the IR ops; memory accesses inline the soft-TLB lookup
 *   stubs:  slow paths (store RIP, call the helper, jump back), the bounce
 *           stub, one stub per chainable exit (returns its struct bt_link
 *           so the dispatcher can patch the jump once the target exists) */
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "cpu/exec.h"
#include "cpu/flags.h"
#include "mem/tlb.h"
#include "translate/bt_internal.h"
#include "translate/x64_emit.h"

#define CPU X_RBX
#define ICOUNT X_RBP
#define HV(v) (X_R12 + (v))
#define OFF(f) ((int32_t)offsetof(struct x86_cpu, f))
#define MAX_STUBS 640
#define TLB_ENTRY_SHIFT 6
_Static_assert(sizeof(struct tlb_entry) == 1u << TLB_ENTRY_SHIFT, "TLB entries are 64 bytes");

_Static_assert(offsetof(struct x86_lazy_flags, size) == offsetof(struct x86_lazy_flags, op) + 1,
               "lazy op and size are stored as one 16-bit value");
_Static_assert(offsetof(struct x86_cpu, env.stop_request) ==
                   offsetof(struct x86_cpu, env.intr_pending) + 4 &&
               sizeof(int) == 4,
               "intr_pending and stop_request are tested as one 8-byte value");

enum stub_kind { ST_LOAD, ST_STORE, ST_CANON, ST_SMC, ST_GOTO, ST_LOOP, ST_EVENT, ST_SIDE, ST_SITES };

/* The register cache.  Which guest registers live in host registers is
 * decided once per block (plan_cache): the most used, up to NCACHE, minus
 * any accessed as AH..BH.  They are loaded in the prologue and written back
 * ("flushed") wherever the block's code leaves or calls C that reads the
 * CPU state: block exits, slow-path stubs, interpreter handlers.  Which
 * ones to write back is static too: every cached register the block writes
 * anywhere (writing back a register not yet changed stores the value the
 * struct has already, which is harmless), so no state needs tracking
 * along the way.  Host registers are caller-saved, so after a call they
 * are reloaded from the struct, which the flush made the truth. */
#define NCACHE 7
#define NSLOTS 16
/* rdx last: a block with a DIV (which writes rdx) or whose TLB is out of
 * rbx's reach (rdx holds the table's address) keeps six. */
static const int cache_host[NCACHE] = { X_RSI, X_RDI, X_R8, X_R9, X_R10, X_R11, X_RDX };

/* A lazy-flags record (IR_LAZY) not stored yet ("pending").  Its three
 * values (res, src1, src2) are where they already are - guest registers
 * (whose host registers or slots are read when the record is stored), an
 * immediate, a field of cpu->lazy written already - or follow from the
 * other two (res = src1 op src2 for a CMP; src1 from res and src2 for an
 * ADD/SUB/INC/DEC whose result went to a register).  It is stored
 * wherever something may read it: in the slow-path and exit stubs, before
 * calls to C, at the block's exits.  On the fast path it usually never is:
 * the next flag-setting instruction replaces it first.  A write to a
 * register it reads either drops it (the next record comes before any
 * reader: flags_live) or stores that one value first ("spills" it). */
enum { PV_NONE, PV_SLOT, PV_IMM, PV_STORED, PV_DERIVED };
enum { PF_RES, PF_SRC1, PF_SRC2 };

struct pv {
    uint8_t kind;           /* PV_* */
    int8_t slot;            /* PV_SLOT: the guest register */
};

struct pend {
    bool on;
    bool written;           /* res is the register the next op (an STS) writes:
                               the record is pending from that op on */
    bool src1_early;        /* src1 is stored by the op computing res, which
                               overwrites it (shifts) */
    uint8_t lf, size;
    struct pv v[3];         /* PF_* */
    uint64_t imm2;          /* src2 when PV_IMM */
};

struct stub {
    struct pend pend;       /* stored first thing in the stub */
    int kind;
    size_t branch_end;      /* the jcc into the stub */
    size_t resume;          /* where the stub jumps back to */
    const struct ir_op *o;
    int8_t ra, rb;          /* host registers of o->a and o->b there */
    int8_t dst;             /* ST_LOAD: where the value goes */
    bool smc;               /* ST_STORE: the SMC check of the store is here */
    int site;               /* ST_LOAD/STORE from a site's miss: its index, else -1 */
    int kind2;              /* ... the TLB kind it looks up */
    size_t access;          /* ... where the access itself is (rax = addend) */
    size_t retry;           /* ... where its TLB lookup starts */
    uint64_t smc_rip;       /* ... leaving with this RIP */
};

struct be {
    struct bt_vcpu *bt;
    struct bt_block *b;
    struct x64 x;
    int hf_lf;              /* host flags = guest flags of this lazy op; LF_NONE: no */
    struct stub stub[MAX_STUBS];
    int nstubs;
    int nlinks;
    size_t bounce_branch[4];   /* the budget's, ST_EVENT's three */
    int nbounce;
    int8_t host_of[NSLOTS]; /* host register of a cached slot, else X_NONE */
    uint32_t cached;        /* slots in host registers */
    uint32_t written;       /* cached slots the block writes: flushed on exits */
    bool self_loop;         /* a branch back to the block's start */
    /* Virtual register v is read from alias[v] rather than HV(v): a guest
     * register loaded from the cache is not copied (X_NONE: HV(v)).  An
     * alias from a 4-byte load is not exact: only its low 32 bits are v. */
    int8_t alias[IR_VREGS];
    bool alias_exact[IR_VREGS];
    /* Known upper halves, so that 4-byte aliases can be exact: zx[v], the
     * value in HV(v) is below 2^32; upper_zero, bit h: host register h's
     * upper half is zero (a 32-bit result was written back into it). */
    bool zx[IR_VREGS];
    uint32_t upper_zero;
    int8_t sra, srb;        /* the next stub's a and b (stub_regs) */
    const struct ir_block *ir;
    int cur;                /* the op being translated */
    bool skip_next;         /* the next op was done with this one */
    int8_t fwd;             /* LOAD/ADDR: write the result straight into this
                               cache register (the next op stores it there) */
    size_t loop_head;       /* where the back edge jumps (after the prologue) */
    struct pend pend;       /* the lazy record not stored yet, if on */
    struct pend arm;        /* ... and the one that becomes it at op arm_at */
    int arm_at;             /* (the STS of its result), or -1 */
    struct pend planned;    /* pend_plan's answer for the LAZY at planned_at */
    int planned_at;
    int skip_sts;           /* an STS done by the op before it, or -1 */
    int8_t vslot[IR_VREGS]; /* guest register slot v is a copy of, or -1 */
    uint8_t vsize[IR_VREGS];
    size_t gi_pos[BT_MAX_INSNS];    /* where each guest instruction's code starts */
    struct pend gi_pend[BT_MAX_INSNS]; /* ... and the record pending there */
    bool has_head2;         /* emit_loop_head2 made a copy of the loop head */
    size_t head2;
    struct pend head2_pend; /* ... for back edges with this record pending */
    bool sites;             /* the block's sites and the TLB in rbx's reach */
    int16_t site_of[IR_MAX_OPS]; /* a LOAD / STORE op's site */
};

/* Count block entries (b->execs) for `info tbstats`: off unless asked for,
 * since it costs a read-modify-write of memory in every block. */
static bool profiling;

void bt_set_profiling(bool on)
{
    profiling = on;
}

static uint64_t rip_of(const struct be *e, const struct ir_op *o)
{
    return e->b->insn_rip[o->gi];
}

static uint64_t next_of(const struct be *e, const struct ir_op *o)
{
    unsigned bits = e->b->mode & BT_MODE_BITS;
    uint64_t next = e->b->insn_rip[o->gi] + e->b->insn[o->gi].len;
    return bits == 64 ? next : next & 0xffffffffull;
}

/* --- virtual registers and their aliases --- */

/* The host register to read virtual register v from.  full: all 64 bits
 * must be v's (else the low 32 are enough). */
/* Aliased v gets its own register again: a copy of the alias (an inexact
 * one zero-extended). */
static void copy_out(struct be *e, int v)
{
    int h = e->alias[v];
    if (e->alias_exact[v]) {
        x64_mov_rr(&e->x, HV(v), h);
        e->zx[v] = (e->upper_zero >> h & 1) != 0;
    } else {
        x64_zext(&e->x, 4, HV(v), h);
        e->zx[v] = true;
    }
    e->alias[v] = X_NONE;
}

static int rd(struct be *e, int v, bool full)
{
    int h = e->alias[v];
    if (h == X_NONE)
        return HV(v);
    if (e->alias_exact[v] || !full)
        return h;
    copy_out(e, v);
    return HV(v);
}

/* v gets a new value in HV(v). */
static void def(struct be *e, int v)
{
    e->alias[v] = X_NONE;
    e->vslot[v] = -1;
}

/* Is v read by the op being translated or a later one of the same guest
 * instruction (virtual registers die at the instruction's end, ir.h)? */
static bool live_from(const struct be *e, int v, bool this_op)
{
    const struct ir_op *o = &e->ir->op[e->cur];
    if (this_op && (o->a == v || o->b == v || o->c == v))
        return true;
    for (int i = e->cur + 1; i < e->ir->n && e->ir->op[i].gi == o->gi; i++) {
        const struct ir_op *p = &e->ir->op[i];
        if (i == e->planned_at && e->planned.on)
            continue;       /* a LAZY kept pending reads guest registers */
        if (p->a == v || p->b == v || p->c == v)
            return true;
        if (p->d == v)
            return false;
    }
    return false;
}

/* Host register h is about to change: copy what aliases it out.  this_op:
 * the change comes before the current op reads its operands (else only
 * at its very end, so its own reads of h need nothing). */
static void clobber_host_when(struct be *e, int h, bool this_op)
{
    const struct ir_op *o = &e->ir->op[e->cur];
    for (int v = 0; v < IR_VREGS; v++) {
        if (e->alias[v] != h)
            continue;
        if (!this_op && o->d == v && o->a != v && o->b != v && o->c != v) {
            e->alias[v] = X_NONE;   /* the op gives v a new value, unread */
            continue;
        }
        if (live_from(e, v, this_op))
            copy_out(e, v);
        else if (this_op)
            e->alias[v] = X_NONE;   /* dead: nothing reads it any more */
        /* else the current op still reads it, before h changes */
    }
}

static void clobber_host(struct be *e, int h)
{
    clobber_host_when(e, h, true);
}

static void add_stub(struct be *e, int kind, size_t branch_end, const struct ir_op *o)
{
    if (e->nstubs == MAX_STUBS) {
        e->x.overflow = true;
        return;
    }
    e->stub[e->nstubs++] = (struct stub){ .pend = e->pend, .kind = kind, .site = -1, .branch_end = branch_end,
                                          .resume = e->x.pos, .o = o, .ra = e->sra, .rb = e->srb,
                                          .dst = (int8_t)(e->fwd != X_NONE ? e->fwd
                                                          : o && o->d != IR_NOREG ? HV(o->d)
                                                                                  : X_NONE) };
}

/* Before the code of an op with a stub: where its stub finds a and b. */
static void stub_regs(struct be *e, const struct ir_op *o)
{
    /* a is an address or a RIP; b a value stored at o->size bytes */
    e->sra = (int8_t)(o->a == IR_NOREG ? X_NONE : rd(e, o->a, true));
    e->srb = (int8_t)(o->b == IR_NOREG ? X_NONE : rd(e, o->b, o->size == 8));
}

static bool fits32(uint64_t v)
{
    return (int64_t)v >= INT32_MIN && (int64_t)v <= INT32_MAX;
}

/* 8 bytes at m = v. */
static void store_imm64(struct be *e, uint64_t v, struct x64_mem m)
{
    if (fits32(v)) {
        x64_store_i(&e->x, 8, (int32_t)v, m);
    } else {
        x64_mov_ri(&e->x, X_RAX, v);
        x64_store(&e->x, 8, X_RAX, m);
    }
}

static void set_rip(struct be *e, uint64_t rip)
{
    store_imm64(e, rip, xm(CPU, OFF(rip)));
}

static void call_helper(struct be *e, const void *fn)
{
    x64_call(&e->x, fn);
    e->hf_lf = LF_NONE;
}

/* --- the register cache --- */

static int32_t slot_off(int s)
{
    return OFF(gpr) + 8 * s;
}

/* Where translated code finds a field of the vCPU's translator state (the
 * code cache is the vCPU's own, so its address is a constant here): rbx
 * plus a displacement when in reach (both structs are usually in the same
 * heap), else through rax. */
static struct x64_mem bt_field(struct be *e, const void *p)
{
    int64_t rel = (int64_t)((uintptr_t)p - (uintptr_t)e->bt->cpu);
    if (rel > INT32_MIN && rel < INT32_MAX)
        return xm(CPU, (int32_t)rel);
    x64_mov_ri(&e->x, X_RAX, (uint64_t)(uintptr_t)p);
    return xm(X_RAX, 0);
}

/* cmp byte [bt->invalidated], 0 */
static void test_invalidated(struct be *e)
{
    x64_alu_mi(&e->x, XA_CMP, 1, bt_field(e, &e->bt->hot->invalidated), 0);
}

/* intr_pending or stop_request is set (the 8-byte test): jump to `leave`
 * for a stop, or for an interrupt the guest accepts (IF = 1); an interrupt
 * pending while IF = 0 waits for the STI/IRET/POPF, which end their block,
 * so blocks go on running meanwhile.  Returns the two branches to patch. */
static void event_slow_check(struct be *e, size_t branch[3])
{
    struct x64 *x = &e->x;
    x64_alu_mi(x, XA_CMP, 4, xm(CPU, OFF(env.stop_request)), 0);
    branch[0] = x64_jcc(x, CC_NE, x64_here(x));
    x64_test_mi8(x, xm(CPU, OFF(rflags) + 1), (uint8_t)(FL_IF >> 8));
    branch[1] = x64_jcc(x, CC_NE, x64_here(x));
    /* An NMI sets intr_pending too (machine/board_irq.c), so that this
     * one test finds it; it ignores IF, but waits while NMIs are blocked. */
    x64_alu_mi(x, XA_CMP, 1, xm(CPU, OFF(nmi_pending)), 0);
    size_t none = x64_jcc(x, CC_E, x64_here(x));
    x64_alu_mi(x, XA_CMP, 1, xm(CPU, OFF(nmi_blocked)), 0);
    branch[2] = x64_jcc(x, CC_E, x64_here(x));
    x64_patch(x, none, x64_here(x));
}

/* insn_count += delta.  The prologue counts the whole block; a way out
 * after guest instruction gi takes back what did not run, and a call that
 * may fault first takes back gi itself, so insn_count is exact. */
static void icount_add(struct be *e, int delta)
{
    if (delta > 0)
        x64_alu_ri(&e->x, XA_ADD, 8, ICOUNT, delta);
    else if (delta < 0)
        x64_alu_ri(&e->x, XA_SUB, 8, ICOUNT, -delta);
}

/* Instructions from o's (included) to the block's end. */
static int from_here(const struct be *e, const struct ir_op *o)
{
    return e->b->n - o->gi;
}

static void uncount_rest(struct be *e, const struct ir_op *o)
{
    icount_add(e, -(from_here(e, o) - 1));
}

/* The struct's insn_count from rbp, for C that may read it (MMIO, a fault). */
static void sync_icount(struct be *e)
{
    x64_store(&e->x, 8, ICOUNT, xm(CPU, OFF(insn_count)));
}

/* The guest register a state offset falls in, or -1; *sub = the byte in it. */
static int gpr_slot(uint64_t off, int *sub)
{
    uint64_t base = offsetof(struct x86_cpu, gpr);
    if (off < base || off >= base + 16 * 8)
        return -1;
    *sub = (int)((off - base) & 7);
    return (int)((off - base) / 8);
}

/* The cached host register of state offset off (at byte 0 of its slot),
 * or X_NONE. */
static int cached_reg(const struct be *e, uint64_t off)
{
    int sub, s = gpr_slot(off, &sub);
    return s >= 0 && sub == 0 ? e->host_of[s] : X_NONE;
}

/* Is the TLB (both tables) within a 32-bit displacement of rbx? */
static bool tlb_in_reach(const struct be *e)
{
    const struct tlb *t = e->bt->cpu->env.tlb;
    if (!t)
        return true;    /* no inline lookups */
    int64_t lo = (int64_t)((uintptr_t)&t->entry[0][0] - (uintptr_t)e->bt->cpu);
    int64_t hi = (int64_t)((uintptr_t)&t->entry[1][TLB_SIZE] - (uintptr_t)e->bt->cpu);
    return lo > INT32_MIN / 2 && hi < INT32_MAX / 2;
}

static void plan_cache(struct be *e, const struct ir_block *ir)
{
    int uses[16] = { 0 };
    uint32_t bad = 0, written = 0;

    for (int i = 0; i < NSLOTS; i++)
        e->host_of[i] = X_NONE;
    e->cached = e->written = 0;
    e->self_loop = false;
    for (int i = 0; i < ir->n; i++) {
        const struct ir_op *o = &ir->op[i];
        int sub, s;
        switch (o->op) {
        case IR_LDS: case IR_STS: case IR_STSI:
            s = gpr_slot(o->imm, &sub);
            if (s < 0)
                break;
            if (sub)
                bad |= 1u << s;     /* AH..BH: that register stays in memory */
            uses[s]++;
            if (o->op != IR_LDS)
                written |= 1u << s;
            break;
        case IR_GOTO: case IR_BRCOND:
            if (o->imm == e->b->rip)
                e->self_loop = true;
            break;
        default:
            break;
        }
    }
    int n = 0, ncache = NCACHE;
    for (int i = 0; i < ir->n; i++)
        if (ir->op[i].op == IR_UDIV)
            ncache = NCACHE - 1;
    if (!tlb_in_reach(e))
        ncache = NCACHE - 1;
    while (n < ncache) {
        int best = -1;
        for (int r = 0; r < 16; r++)
            if (uses[r] && !(bad & 1u << r) && (best < 0 || uses[r] > uses[best]))
                best = r;
        if (best < 0)
            break;
        uses[best] = 0;
        e->host_of[best] = (int8_t)cache_host[n++];
        e->cached |= 1u << best;
    }
    e->written = written & e->cached;
}

/* Write the cached registers the block changes back to the struct. */
static void cache_flush(struct be *e)
{
    for (int s = 0; s < NSLOTS; s++)
        if (e->written & 1u << s)
            x64_store(&e->x, 8, e->host_of[s], xm(CPU, slot_off(s)));
}

/* Load every cached register from the struct (the prologue; after a call). */
static void cache_reload(struct be *e)
{
    e->upper_zero = 0;
    for (int s = 0; s < NSLOTS; s++)
        if (e->cached & 1u << s)
            x64_load(&e->x, 8, e->host_of[s], xm(CPU, slot_off(s)));
}

/* --- lazy records kept pending (struct pend) --- */

static struct x64_mem lazy_field(int f)
{
    static const int32_t off[] = { offsetof(struct x86_lazy_flags, res),
                                   offsetof(struct x86_lazy_flags, src1),
                                   offsetof(struct x86_lazy_flags, src2) };
    return xm(CPU, OFF(lazy) + off[f]);
}

/* Register r = the low size bytes of slot s (zero-extended). */
static void slot_value(struct be *e, int size, int r, int s)
{
    if (e->host_of[s] != X_NONE) {
        if (size == 8)
            x64_mov_rr(&e->x, r, e->host_of[s]);
        else
            x64_zext(&e->x, 4, r, e->host_of[s]);
    } else {
        x64_load(&e->x, size, r, xm(CPU, slot_off(s)));
    }
}

/* Register r = value f of record p (not PV_DERIVED / PV_NONE). */
static void pv_load(struct be *e, const struct pend *p, int f, int r)
{
    switch (p->v[f].kind) {
    case PV_SLOT: slot_value(e, p->size, r, p->v[f].slot); break;
    case PV_IMM: x64_mov_ri(&e->x, r, p->imm2 & lf_mask(p->size)); break;
    default: x64_load(&e->x, 8, r, lazy_field(f)); break;     /* PV_STORED */
    }
}

/* Store record p into cpu->lazy, with rax and rcx, and without changing
 * the host flags (mov, not, lea): a branch may still read them. */
static void pend_store(struct be *e, const struct pend *p)
{
    struct x64 *x = &e->x;
    if (!p->on)
        return;
    int der = p->v[PF_RES].kind == PV_DERIVED ? PF_RES : p->v[PF_SRC1].kind == PV_DERIVED ? PF_SRC1 : -1;
    if (der >= 0) {
        /* res = src1 + src2 or src1 - src2 (= src1 + ~src2 + 1); src1 =
         * res - src2 or res + src2 */
        bool plus = p->lf == LF_ADD || p->lf == LF_INC;
        bool add = der == PF_RES ? plus : !plus;
        int a = der == PF_RES ? PF_SRC1 : PF_RES;
        pv_load(e, p, a, X_RAX);
        if (p->v[a].kind == PV_SLOT)
            x64_store(x, 8, X_RAX, lazy_field(a));
        pv_load(e, p, PF_SRC2, X_RCX);
        if (p->v[PF_SRC2].kind != PV_STORED)
            x64_store(x, 8, X_RCX, lazy_field(PF_SRC2));
        if (!add)
            x64_not(x, 8, X_RCX);
        x64_lea(x, p->size, X_RAX, (struct x64_mem){ X_RAX, X_RCX, 1, add ? 0 : 1 });
        x64_store(x, 8, X_RAX, lazy_field(der));
    } else {
        for (int f = 0; f < 3; f++) {
            if (p->v[f].kind == PV_SLOT) {
                pv_load(e, p, f, X_RAX);
                x64_store(x, 8, X_RAX, lazy_field(f));
            } else if (p->v[f].kind == PV_IMM) {
                store_imm64(e, p->imm2 & lf_mask(p->size), lazy_field(f));
            }
        }
    }
    x64_store_i(x, 2, (int32_t)(p->lf | p->size << 8),
                xm(CPU, OFF(lazy) + (int32_t)offsetof(struct x86_lazy_flags, op)));
}

static bool pend_eq(const struct pend *a, const struct pend *b)
{
    if (!a->on || !b->on)
        return a->on == b->on;
    if (a->lf != b->lf || a->size != b->size)
        return false;
    for (int f = 0; f < 3; f++)
        if (a->v[f].kind != b->v[f].kind ||
            (a->v[f].kind == PV_SLOT && a->v[f].slot != b->v[f].slot) ||
            (a->v[f].kind == PV_IMM && a->imm2 != b->imm2))
            return false;
    return true;
}

/* Store the pending record here (something may read it): it is stored. */
static void pend_flush(struct be *e)
{
    pend_store(e, &e->pend);
    e->pend.on = false;
}

/* May the lazy record be read after op i, before a later IR_LAZY
 * replaces it? */
static bool flags_live(const struct be *e, int i)
{
    for (int j = i + 1; j < e->ir->n; j++) {
        if (e->ir->op[j].op == IR_LAZY)
            return false;
        if (ir_reads_lazy(e->ir->op[j].op))
            return true;
    }
    return true;    /* the block's end */
}

/* Guest register slot s is about to change (op e->cur writes it). */
static void slot_written(struct be *e, int s)
{
    struct pend *p = &e->pend;
    if (s < 0)
        return;
    for (int v = 0; v < IR_VREGS; v++)
        if (e->vslot[v] == s)
            e->vslot[v] = -1;
    if (!p->on)
        return;
    bool live = false, reads = false;
    for (int f = 0; f < 3; f++) {
        if (p->v[f].kind != PV_SLOT || p->v[f].slot != s)
            continue;
        if (!reads) {
            reads = true;
            live = flags_live(e, e->cur);
            if (!live) {
                p->on = false;
                return;
            }
        }
        /* spill: the value as it is now into its field */
        slot_value(e, p->size, X_RAX, s);
        x64_store(&e->x, 8, X_RAX, lazy_field(f));
        p->v[f].kind = PV_STORED;
    }
}

/* Can the IR_LAZY at op i be kept pending, and as what? */
static bool pend_plan(struct be *e, int i, struct pend *p)
{
    const struct ir_block *ir = e->ir;
    const struct ir_op *o = &ir->op[i];
    const struct ir_op *n = i + 1 < ir->n ? &ir->op[i + 1] : NULL;
    bool arith = o->lf == LF_ADD || o->lf == LF_SUB || o->lf == LF_INC || o->lf == LF_DEC;
    bool shift = o->lf == LF_SHL || o->lf == LF_SHR || o->lf == LF_SAR;
    struct pv src2 = { PV_IMM, -1 };
    int sub;

    *p = (struct pend){ .lf = o->lf, .size = o->size, .imm2 = o->imm2 };
    if ((o->size != 4 && o->size != 8) || !(arith || shift || o->lf == LF_LOGIC))
        return false;
    if (o->c != IR_NOREG) {
        int s2 = e->vslot[o->c];
        if (s2 < 0 || e->vsize[o->c] < o->size || shift)
            return false;
        src2 = (struct pv){ PV_SLOT, (int8_t)s2 };
    }
    /* The result written to a guest register by the next op (whole: a
     * 4-byte result is zero-extended into 8). */
    if (n && n->op == IR_STS && n->gi == o->gi && n->a == o->a && n->size == 8) {
        int sd = gpr_slot(n->imm, &sub);
        if (sd >= 0 && !sub && !(src2.kind == PV_SLOT && src2.slot == sd)) {
            p->written = true;
            p->v[PF_RES] = (struct pv){ PV_SLOT, (int8_t)sd };
            if (o->lf != LF_LOGIC) {
                p->v[PF_SRC1].kind = shift ? PV_STORED : PV_DERIVED;
                p->src1_early = shift;
                p->v[PF_SRC2] = src2;
            }
            p->on = true;
            return true;
        }
    }
    if (o->lf == LF_INC || o->lf == LF_DEC || shift || o->b == IR_NOREG)
        return false;
    int s1 = e->vslot[o->b];
    if (s1 < 0 || e->vsize[o->b] < o->size)
        return false;
    if (o->lf == LF_LOGIC) {    /* TEST r, r (AND/OR of a register with itself) */
        const struct ir_op *d = i > 0 ? &ir->op[i - 1] : NULL;
        if (!d || d->d != o->a || (d->op != IR_AND && d->op != IR_OR) || d->b == IR_NOREG ||
            src2.kind != PV_SLOT || src2.slot != s1)
            return false;
        p->v[PF_RES] = (struct pv){ PV_SLOT, (int8_t)s1 };
    } else {
        p->v[PF_RES].kind = PV_DERIVED;
        p->v[PF_SRC1] = (struct pv){ PV_SLOT, (int8_t)s1 };
        p->v[PF_SRC2] = src2;
    }
    p->on = true;
    return true;
}

/* pend_plan for the LAZY at op i, remembered for when it comes. */
static bool plan_lazy_at(struct be *e, int i)
{
    if (e->planned_at != i) {
        e->planned_at = i;
        pend_plan(e, i, &e->planned);
    }
    return e->planned.on;
}

/* fn(cpu): C that reads the CPU state (and clobbers the cache). */
static void call_synced(struct be *e, const void *fn)
{
    pend_flush(e);
    cache_flush(e);
    sync_icount(e);
    x64_mov_rr(&e->x, X_RDI, CPU);
    call_helper(e, fn);
    cache_reload(e);
}

static void emit_lds(struct be *e, const struct ir_op *o)
{
    int h = cached_reg(e, o->imm), d = HV(o->d), sub, s = gpr_slot(o->imm, &sub);
    def(e, o->d);
    if (s >= 0 && !sub && o->size >= 4) {
        e->vslot[o->d] = (int8_t)s;
        e->vsize[o->d] = o->size;
    }
    if (h == X_NONE) {
        x64_load(&e->x, o->size, d, xm(CPU, (int32_t)o->imm));
    } else if (o->size >= 4) {      /* no copy: read it where it is */
        e->alias[o->d] = (int8_t)h;
        e->alias_exact[o->d] = o->size == 8 || (e->upper_zero >> h & 1);
    } else {
        x64_zext(&e->x, o->size, d, h);
    }
}

/* The low size bytes of cached register h = those of s (in rax or a
 * virtual register); the rest of h unchanged. */
static void set_part(struct be *e, int size, int h, int s)
{
    struct x64 *x = &e->x;
    if (size == 8) {
        x64_mov_rr(x, h, s);
    } else if (size == 4) {     /* a 4-byte store keeps the upper half */
        x64_zext(x, 4, X_RAX, s);   /* s may be h itself: read it first */
        x64_shift_i(x, 5, 8, h, 32);
        x64_shift_i(x, 4, 8, h, 32);
        x64_alu_rr(x, XA_OR, 8, h, X_RAX);
    } else {
        x64_mov_part(x, size, h, s);
    }
}

/* The STS at op e->cur is done (emitted, or done by the op before it):
 * a record waiting for it becomes the pending one. */
static void sts_done(struct be *e)
{
    if (e->arm_at == e->cur) {
        e->pend = e->arm;
        e->arm_at = -1;
    }
}

static int slot_of(uint64_t off)
{
    int sub;
    return gpr_slot(off, &sub);
}

/* The slot cached in host register h, or -1. */
static int slot_of_host(const struct be *e, int h)
{
    for (int s = 0; s < NSLOTS; s++)
        if (e->host_of[s] == h)
            return s;
    return -1;
}

static void emit_sts(struct be *e, const struct ir_op *o)
{
    int h = cached_reg(e, o->imm);
    slot_written(e, slot_of(o->imm));
    if (h == X_NONE) {
        x64_store(&e->x, o->size, rd(e, o->a, o->size == 8), xm(CPU, (int32_t)o->imm));
    } else {
        clobber_host(e, h);
        int v = o->a;
        bool zero;
        if (e->alias[v] != X_NONE)
            zero = !e->alias_exact[v] || (e->upper_zero >> e->alias[v] & 1);
        else
            zero = e->zx[v];
        if (o->size == 8 && e->alias[v] != X_NONE && !e->alias_exact[v])
            x64_zext(&e->x, 4, h, e->alias[v]);     /* mov ecx, esi: one instruction */
        else
            set_part(e, o->size, h, rd(e, v, o->size == 8));
        if (o->size == 8)   /* smaller writes keep the upper half as it was */
            e->upper_zero = zero ? e->upper_zero | 1u << h : e->upper_zero & ~(1u << h);
    }
    sts_done(e);
}

static void emit_stsi(struct be *e, const struct ir_op *o)
{
    int h = cached_reg(e, o->imm);
    slot_written(e, slot_of(o->imm));
    if (h != X_NONE)
        clobber_host(e, h);
    if (h != X_NONE && o->size == 8) {
        x64_mov_ri(&e->x, h, o->imm2);
        e->upper_zero = o->imm2 <= 0xffffffffull ? e->upper_zero | 1u << h
                                                 : e->upper_zero & ~(1u << h);
    } else if (h != X_NONE) {
        x64_mov_ri(&e->x, X_RAX, o->imm2);
        set_part(e, o->size, h, X_RAX);
    } else if (o->size == 8) {
        store_imm64(e, o->imm2, xm(CPU, (int32_t)o->imm));
    } else {
        x64_store_i(&e->x, o->size, (int32_t)o->imm2, xm(CPU, (int32_t)o->imm));
    }
}

/* Can condition cc be read from the host flags after host code for lazy
 * op lf?  The host instruction is the same operation at the same size,
 * so its flags are the guest's except where the guest's are undefined or
 * kept elsewhere (INC/DEC keep CF; IMUL defines only CF and OF). */
static bool hf_ok(int lf, int cc)
{
    int k = cc >> 1;
    switch (lf) {
    case LF_ADD: case LF_SUB: case LF_LOGIC: return true;
    case LF_INC: case LF_DEC: return k != 1 && k != 3;
    case LF_SHL: case LF_SHR: case LF_SAR: return k == 2 || k == 4 || k == 5;
    case LF_MUL: return k == 0 || k == 1;
    default: return false;
    }
}

/* --- the soft TLB inline (mem/tlb.h: tlb_lookup) --- */

/* rcx = the TLB entry for the page of HV(a); jump to a stub unless it
 * allows `kind` for all `size` bytes; then rax = the addend. */
static void tlb_inline(struct be *e, const struct ir_op *o, int kind, int stub_kind)
{
    struct x64 *x = &e->x;
    struct tlb *t = e->bt->cpu->env.tlb;
    int user = (e->b->mode & BT_MODE_USER) != 0;
    int a = e->sra;

    /* rcx = index * sizeof(entry) = (a >> (12 - 6)) & ((TLB_SIZE - 1) << 6) */
    x64_mov_rr(x, X_RCX, a);
    x64_shift_i(x, 5, 8, X_RCX, GUEST_PAGE_SHIFT - TLB_ENTRY_SHIFT);
    x64_alu_ri(x, XA_AND, 4, X_RCX, (int32_t)((TLB_SIZE - 1) << TLB_ENTRY_SHIFT));
    /* The table's base: rbx plus a displacement when the table is within
     * reach of 32 bits (both usually live in the same heap), else rdx
     * loaded with the table's address.  A write tag needs no generation
     * check: the TLB drops its write tags when the generation changes
     * (mem/tlb.h). */
    uintptr_t table = (uintptr_t)&t->entry[user][0];
    int64_t rel = (int64_t)(table - (uintptr_t)e->bt->cpu);
    int base = CPU;
    if (!tlb_in_reach(e)) {
        base = X_RDX;
        rel = 0;
        x64_mov_ri(x, X_RDX, (uint64_t)table);
    }
    int32_t tag = (int32_t)(rel + (int64_t)offsetof(struct tlb_entry, tag) + 8 * kind);
    int32_t addend = (int32_t)(rel + (int64_t)offsetof(struct tlb_entry, addend));
    x64_lea(x, 8, X_RAX, xm(a, o->size - 1));
    x64_alu_ri(x, XA_AND, 8, X_RAX, (int32_t)GUEST_PAGE_MASK);
    x64_alu_rm(x, XA_CMP, 8, X_RAX, (struct x64_mem){ base, X_RCX, 1, tag });
    add_stub(e, stub_kind, x64_jcc(x, CC_NE, x64_here(x)), o);
    x64_load(x, 8, X_RAX, (struct x64_mem){ base, X_RCX, 1, addend });
}

/* --- sites: a memory access's own copy of the TLB entry it used last ---
 *
 * Most memory instructions touch one page over and over (a stack slot, an
 * array walked in order, a table).  Each has a site, {tag, addend} in its
 * block: tag = the page.  The fast path compares the page of the address
 * and its low bits up to the access's size (so a misaligned access, which
 * might cross pages, never matches) with the tag in one compare, and takes
 * the addend from the site: the address goes straight into the access,
 * with no index to compute and no entry to find first.  A miss looks in
 * the TLB (as tlb_inline) and refills the site, or takes the slow path.
 * Stale sites: the block's entry compares the TLB's site_gen with the one
 * its sites were made under and, if it moved on (a flush), forgets them
 * all (tag SITE_INVALID) first.  Within a block it cannot move: what
 * flushes the TLB ends the block. */

/* Does memory op o (being translated) get a site?  Not when one of its
 * instruction's missed too often before (a table or an array indexed at
 * random across two pages: each miss a mispredicted branch, where the TLB
 * holds both pages). */
static bool use_site(const struct be *e, const struct ir_op *o)
{
    if (!e->sites)
        return false;
    return !bt_nosite(e->bt, rip_of(e, o));
}

/* A tag no address matches: the fast path's value has bits 3-11 clear. */
#define SITE_INVALID 0x800
/* Misses of a site after which its instruction goes without (use_site). */
#define SITE_THRASH 64

static int32_t rbx_disp(const struct be *e, const void *p)
{
    return (int32_t)((intptr_t)p - (intptr_t)e->bt->cpu);
}

static bool in_reach(const struct be *e, const void *p)
{
    int64_t d = (int64_t)((intptr_t)p - (intptr_t)e->bt->cpu);
    return d > INT32_MIN / 2 && d < INT32_MAX / 2;
}

/* Are block b's sites, its stamp and the TLB within rbx's reach? */
static bool sites_in_reach(const struct be *e)
{
    const struct bt_block *b = e->b;
    const struct tlb *t = e->bt->cpu->env.tlb;
    return t && tlb_in_reach(e) && b->nsites && in_reach(e, &b->site[0][0]) &&
           in_reach(e, &b->site[b->nsites][0]) && in_reach(e, &b->site_stamp) &&
           in_reach(e, &t->site_gen);
}

/* The block's entry: its sites are of the TLB's current generation, else
 * a stub forgets them (ST_SITES). */
static void sites_check(struct be *e)
{
    struct x64 *x = &e->x;
    x64_load(x, 8, X_RAX, xm(CPU, rbx_disp(e, &e->bt->cpu->env.tlb->site_gen)));
    x64_alu_rm(x, XA_CMP, 8, X_RAX, xm(CPU, rbx_disp(e, &e->b->site_stamp)));
    add_stub(e, ST_SITES, x64_jcc(x, CC_NE, x64_here(x)), NULL);
}

static int32_t site_disp(const struct be *e, int site, int word)
{
    return rbx_disp(e, &e->b->site[site][word]);
}

/* rax = the addend of the page of HV(a) from its site, else to a stub
 * (ST_LOAD / ST_STORE with the site) that refills it or goes slow. */
static void site_inline(struct be *e, const struct ir_op *o, int kind, int stub_kind)
{
    struct x64 *x = &e->x;
    int site = e->site_of[e->cur];
    x64_mov_rr(x, X_RCX, e->sra);
    x64_alu_ri(x, XA_AND, 8, X_RCX, (int32_t)(GUEST_PAGE_MASK | (uint64_t)(o->size - 1)));
    x64_alu_rm(x, XA_CMP, 8, X_RCX, xm(CPU, site_disp(e, site, 0)));
    add_stub(e, stub_kind, x64_jcc(x, CC_NE, x64_here(x)), o);
    e->stub[e->nstubs - 1].site = site;
    e->stub[e->nstubs - 1].kind2 = kind;
    x64_load(x, 8, X_RAX, xm(CPU, site_disp(e, site, 1)));
    e->stub[e->nstubs - 1].access = x->pos;
}

/* In a site's miss stub: the TLB lookup; found, refill the site and go
 * back to the access; else on to the slow path (returns the branch). */
static size_t site_refill(struct be *e, struct stub *s)
{
    struct x64 *x = &e->x;
    const struct tlb *t = e->bt->cpu->env.tlb;
    int user = (e->b->mode & BT_MODE_USER) != 0;
    int64_t rel = (int64_t)((uintptr_t)&t->entry[user][0] - (uintptr_t)e->bt->cpu);
    int32_t tag = (int32_t)(rel + (int64_t)offsetof(struct tlb_entry, tag) + 8 * s->kind2);
    int32_t addend = (int32_t)(rel + (int64_t)offsetof(struct tlb_entry, addend));
    s->retry = x->pos;
    x64_mov_rr(x, X_RCX, s->ra);
    x64_shift_i(x, 5, 8, X_RCX, GUEST_PAGE_SHIFT - TLB_ENTRY_SHIFT);
    x64_alu_ri(x, XA_AND, 4, X_RCX, (int32_t)((TLB_SIZE - 1) << TLB_ENTRY_SHIFT));
    x64_lea(x, 8, X_RAX, xm(s->ra, s->o->size - 1));
    x64_alu_ri(x, XA_AND, 8, X_RAX, (int32_t)GUEST_PAGE_MASK);
    x64_alu_rm(x, XA_CMP, 8, X_RAX, (struct x64_mem){ CPU, X_RCX, 1, tag });
    size_t slow = x64_jcc(x, CC_NE, x64_here(x));
    /* The TLB has it: refill the site (remembering the page it had), back
     * to the access.  A site that keeps going back to the page it had
     * before (an array or table across two pages, used at random) misses
     * at random, each miss a mispredicted branch, where the TLB would hit:
     * a count goes up at each such return and down at each new page (a
     * walk restarting near where it began), and at SITE_THRASH its
     * instruction goes without. */
    x64_alu_rm(x, XA_CMP, 8, X_RAX, xm(CPU, site_disp(e, s->site, 3)));
    size_t fresh = x64_jcc(x, CC_NE, x64_here(x));
    x64_alu_mi(x, XA_ADD, 4, xm(CPU, site_disp(e, s->site, 2)), 1);
    x64_alu_mi(x, XA_CMP, 4, xm(CPU, site_disp(e, s->site, 2)), SITE_THRASH);
    size_t fine = x64_jcc(x, CC_NE, x64_here(x));
    cache_flush(e);
    sync_icount(e);
    x64_mov_ri(x, X_RDI, (uint64_t)(uintptr_t)e->bt);
    x64_mov_ri(x, X_RSI, (uint64_t)(uintptr_t)e->b);
    x64_mov_ri(x, X_RDX, rip_of(e, s->o));
    call_helper(e, (const void *)bt_helper_site_thrash);
    cache_reload(e);
    x64_jmp(x, x->run + s->retry);      /* the TLB lookup again: rax, rcx are gone */
    x64_patch(x, fresh, x64_here(x));
    /* a new page (an array walked in order): the count goes down again */
    x64_alu_mi(x, XA_CMP, 4, xm(CPU, site_disp(e, s->site, 2)), 0);
    size_t zero = x64_jcc(x, CC_E, x64_here(x));
    x64_alu_mi(x, XA_SUB, 4, xm(CPU, site_disp(e, s->site, 2)), 1);
    x64_patch(x, zero, x64_here(x));
    x64_patch(x, fine, x64_here(x));
    x64_load(x, 8, X_RCX, (struct x64_mem){ CPU, X_RCX, 1, addend });
    x64_push(x, X_RCX);
    x64_load(x, 8, X_RCX, xm(CPU, site_disp(e, s->site, 0)));
    x64_store(x, 8, X_RCX, xm(CPU, site_disp(e, s->site, 3)));
    x64_store(x, 8, X_RAX, xm(CPU, site_disp(e, s->site, 0)));
    x64_pop(x, X_RAX);
    x64_store(x, 8, X_RAX, xm(CPU, site_disp(e, s->site, 1)));
    x64_jmp(x, x->run + s->access);
    return slow;
}

/* Rewrite the resume point of the stubs just added for o. */
static void stubs_resume_here(struct be *e, const struct ir_op *o)
{
    for (int i = e->nstubs - 1; i >= 0 && e->stub[i].o == o; i--)
        e->stub[i].resume = e->x.pos;
}

static void emit_load(struct be *e, const struct ir_op *o)
{
    struct x64 *x = &e->x;
    int dst = e->fwd != X_NONE ? e->fwd : HV(o->d);
    if (e->fwd != X_NONE) {
        clobber_host_when(e, e->fwd, false);    /* written by the last instruction */
        slot_written(e, slot_of_host(e, e->fwd));
    }
    stub_regs(e, o);
    def(e, o->d);
    if (!e->bt->cpu->env.tlb) {
        add_stub(e, ST_LOAD, x64_jmp(x, x64_here(x)), o);
    } else {
        bool rmw = (o->flags & IRF_RMW) != 0;
        if (use_site(e, o))
            site_inline(e, o, rmw ? TLB_WRITE : TLB_READ, ST_LOAD);
        else
            tlb_inline(e, o, rmw ? TLB_WRITE : TLB_READ, ST_LOAD);
        x64_load(x, o->size, dst, (struct x64_mem){ e->sra, X_RAX, 1, 0 });
    }
    stubs_resume_here(e, o);
    e->hf_lf = LF_NONE;
}

/* A store whose fast path succeeds cannot have written translated code:
 * pages holding code never have write tags (mem/tlb.h).  So when the
 * store's instruction checks for SMC right after it, the check moves into
 * the slow path's stub. */
static void emit_store(struct be *e, const struct ir_op *o)
{
    struct x64 *x = &e->x;
    const struct ir_op *next = e->cur + 1 < e->ir->n ? &e->ir->op[e->cur + 1] : NULL;
    bool fold = next && next->op == IR_CHECK_SMC && next->gi == o->gi && next->a == IR_NOREG;
    int first = e->nstubs;
    stub_regs(e, o);
    if (!e->bt->cpu->env.tlb) {
        add_stub(e, ST_STORE, x64_jmp(x, x64_here(x)), o);
    } else {
        if (use_site(e, o))
            site_inline(e, o, TLB_WRITE, ST_STORE);
        else
            tlb_inline(e, o, TLB_WRITE, ST_STORE);
        x64_store(x, o->size, e->srb, (struct x64_mem){ e->sra, X_RAX, 1, 0 });
    }
    if (fold) {
        for (int i = first; i < e->nstubs; i++) {
            e->stub[i].smc = true;
            e->stub[i].smc_rip = next->imm;
        }
        e->skip_next = true;
    }
    stubs_resume_here(e, o);
    e->hf_lf = LF_NONE;
}

/* --- arithmetic --- */

/* Is v read after op j by the rest of its guest instruction? */
static bool read_after(const struct be *e, int j, int v)
{
    const struct ir_block *ir = e->ir;
    for (int k = j + 1; k < ir->n && ir->op[k].gi == ir->op[j].gi; k++) {
        const struct ir_op *p = &ir->op[k];
        if (p->a == v || p->b == v || p->c == v)
            return true;
        if (p->d == v)
            return false;
    }
    return false;
}

/* The op being translated computes what the same instruction then only
 * stores, whole, into the cached guest register its operand a came from
 * (add eax, edx): returns that host register, to compute in place, and
 * marks the STS done; else X_NONE.  A LAZY in between must be one kept
 * pending with its result in that register. */
static int inplace_target(struct be *e, const struct ir_op *o)
{
    const struct ir_block *ir = e->ir;
    int j = e->cur + 1;
    if ((o->size != 4 && o->size != 8) || o->a == IR_NOREG)
        return X_NONE;
    if (j < ir->n && ir->op[j].op == IR_LAZY && ir->op[j].gi == o->gi) {
        if (ir->op[j].a != o->d || !plan_lazy_at(e, j) || !e->planned.written)
            return X_NONE;
        j++;
    }
    if (j >= ir->n)
        return X_NONE;
    const struct ir_op *n = &ir->op[j];
    if (n->op != IR_STS || n->gi != o->gi || n->a != o->d || n->size != 8)
        return X_NONE;
    int h = cached_reg(e, n->imm);
    if (h == X_NONE || e->alias[o->a] != h || read_after(e, j, o->d))
        return X_NONE;
    e->skip_sts = j;
    return h;
}

/* Before computing in place in h: the guest register changes. */
static void inplace_begin(struct be *e, int h)
{
    slot_written(e, slot_of_host(e, h));
    clobber_host_when(e, h, false);     /* the op reads h, then writes it */
}

/* After: the result, in h, is d's (exact: a 4-byte op zero-extends). */
static void inplace_end(struct be *e, const struct ir_op *o, int h)
{
    def(e, o->d);
    e->alias[o->d] = (int8_t)h;
    e->alias_exact[o->d] = true;
    e->upper_zero = o->size == 4 ? e->upper_zero | 1u << h : e->upper_zero & ~(1u << h);
}

/* Is the result of the op being translated read only by the LAZY right
 * after it, which stays pending as a comparison (CMP, TEST)? */
static bool result_unused(struct be *e, const struct ir_op *o)
{
    const struct ir_block *ir = e->ir;
    int j = e->cur + 1;
    return (o->size == 4 || o->size == 8) && j < ir->n && ir->op[j].op == IR_LAZY &&
           ir->op[j].gi == o->gi && ir->op[j].a == o->d && plan_lazy_at(e, j) &&
           !e->planned.written && !read_after(e, j, o->d);
}

static void emit_alu(struct be *e, const struct ir_op *o)
{
    static const int xop[] = {
        [IR_ADD] = XA_ADD, [IR_SUB] = XA_SUB, [IR_AND] = XA_AND, [IR_OR] = XA_OR,
        [IR_XOR] = XA_XOR,
    };
    struct x64 *x = &e->x;
    int d = HV(o->d), src = X_NONE, a = rd(e, o->a, o->size == 8);

    if (o->b != IR_NOREG) {
        src = rd(e, o->b, o->size == 8);
        if (src == d && a != d) {
            x64_mov_rr(x, X_RCX, src);
            src = X_RCX;
        }
    } else if (o->size == 8 && !fits32(o->imm)) {
        x64_mov_ri(x, X_RCX, o->imm);
        src = X_RCX;
    }
    e->hf_lf = o->lf;
    if ((o->op == IR_SUB || (o->op == IR_AND && src != X_NONE)) && result_unused(e, o)) {
        /* CMP / TEST: the flags alone */
        if (o->op == IR_AND)
            x64_test_rr(x, o->size, a, src);
        else if (src != X_NONE)
            x64_alu_rr(x, XA_CMP, o->size, a, src);
        else
            x64_alu_ri(x, XA_CMP, o->size, a, (int32_t)o->imm);
        def(e, o->d);
        return;
    }
    int h = inplace_target(e, o);
    if (h != X_NONE) {
        inplace_begin(e, h);
        if (src != X_NONE)
            x64_alu_rr(x, xop[o->op], o->size, h, src);
        else
            x64_alu_ri(x, xop[o->op], o->size, h, (int32_t)o->imm);
        inplace_end(e, o, h);
        return;
    }
    def(e, o->d);
    x64_mov_rr(x, d, a);
    if (src != X_NONE)
        x64_alu_rr(x, xop[o->op], o->size, d, src);
    else
        x64_alu_ri(x, xop[o->op], o->size, d, (int32_t)o->imm);
    if (o->size < 4)
        x64_zext(x, o->size, d, d);
}

static void emit_unary(struct be *e, const struct ir_op *o)
{
    struct x64 *x = &e->x;
    int d = HV(o->d), a = rd(e, o->a, o->size == 8);
    int h = inplace_target(e, o);
    if (h != X_NONE) {
        inplace_begin(e, h);
        d = h;
    } else {
        def(e, o->d);
        x64_mov_rr(x, d, a);
    }
    switch (o->op) {
    case IR_NEG: x64_neg(x, o->size, d); break;
    case IR_NOT: x64_not(x, o->size, d); break;     /* no flags */
    case IR_INC: x64_inc(x, o->size, d); break;
    default: x64_dec(x, o->size, d); break;
    }
    if (o->op != IR_NOT)
        e->hf_lf = o->lf;
    if (h != X_NONE) {
        inplace_end(e, o, h);
        return;
    }
    if (o->size < 4)
        x64_zext(x, o->size, d, d);
}

static void emit_shift(struct be *e, const struct ir_op *o)
{
    int digit = o->op == IR_SHL ? 4 : o->op == IR_SHR ? 5 : 7;
    int d = HV(o->d), a = rd(e, o->a, o->size == 8);
    int j = e->cur + 1;
    if (j < e->ir->n && e->ir->op[j].op == IR_LAZY && e->ir->op[j].a == o->d &&
        e->ir->op[j].gi == o->gi && plan_lazy_at(e, j) && e->planned.src1_early) {
        /* src1 = the value shifted, which the shift overwrites: stored
         * now (the LAZY right after replaces the record pending before) */
        x64_zext(&e->x, o->size, X_RAX, a);
        x64_store(&e->x, 8, X_RAX, lazy_field(PF_SRC1));
    }
    int h = inplace_target(e, o);
    if (h != X_NONE) {
        inplace_begin(e, h);
        x64_shift_i(&e->x, digit, o->size, h, (uint8_t)o->imm);
        e->hf_lf = o->lf;
        inplace_end(e, o, h);
        return;
    }
    def(e, o->d);
    x64_mov_rr(&e->x, d, a);
    x64_shift_i(&e->x, digit, o->size, d, (uint8_t)o->imm);
    if (o->size < 4)
        x64_zext(&e->x, o->size, d, d);
    e->hf_lf = o->lf;
}

static void emit_imul(struct be *e, const struct ir_op *o)
{
    struct x64 *x = &e->x;
    int d = HV(o->d), src = rd(e, o->b, o->size == 8), a = rd(e, o->a, o->size == 8);
    if (src == d && a != d) {
        x64_mov_rr(x, X_RCX, src);
        src = X_RCX;
    }
    def(e, o->d);
    x64_mov_rr(x, d, a);
    x64_imul_rr(x, o->size, d, src);
    if (o->size < 4)
        x64_zext(x, o->size, d, d);
    e->hf_lf = LF_MUL;
}

/* The host's DIV, once it cannot fault: a zero divisor or a quotient too
 * large (high half >= divisor covers both) is the interpreter's #DE. */
static void emit_udiv(struct be *e, const struct ir_op *o)
{
    struct x64 *x = &e->x;
    int sz = o->size;
    int a = rd(e, o->a, sz == 8), b = rd(e, o->b, sz == 8), c = rd(e, o->c, sz == 8);
    x64_alu_rr(x, XA_CMP, sz, b, c);
    add_stub(e, ST_CANON, x64_jcc(x, CC_AE, x64_here(x)), o);
    x64_zext(x, sz, X_RAX, a);
    x64_zext(x, sz, X_RDX, b);
    x64_div(x, sz, c);
    def(e, o->d);
    def(e, o->b);
    x64_mov_rr(x, HV(o->d), X_RAX);
    x64_mov_rr(x, HV(o->b), X_RDX);
    e->hf_lf = LF_NONE;
}

static void emit_addr(struct be *e, const struct ir_op *o)
{
    uint64_t mask = o->size == 8 ? ~0ull : 0xffffffffull;
    bool full = o->size == 8;   /* a 32-bit lea reads the low halves only */
    int dst = e->fwd != X_NONE ? e->fwd : HV(o->d);
    if (e->fwd != X_NONE) {
        clobber_host_when(e, e->fwd, false);    /* lea reads, then writes */
        slot_written(e, slot_of_host(e, e->fwd));
    }
    if (o->a == IR_NOREG && o->b == IR_NOREG) {
        def(e, o->d);
        x64_mov_ri(&e->x, dst, o->imm & mask);
        return;
    }
    struct x64_mem m = {
        .base = o->a == IR_NOREG ? X_NONE : rd(e, o->a, full),
        .index = o->b == IR_NOREG ? X_NONE : rd(e, o->b, full),
        .scale = o->scale ? o->scale : 1,
        .disp = (int32_t)o->imm,
    };
    def(e, o->d);
    x64_lea(&e->x, o->size == 8 ? 8 : 4, dst, m);
}

static void emit_lazy(struct be *e, const struct ir_op *o)
{
    struct x64 *x = &e->x;
    int32_t base = OFF(lazy);
    e->pend.on = false;         /* replaced */
    if (plan_lazy_at(e, e->cur)) {
        if (e->planned.written) {   /* from the STS of its result on */
            e->arm = e->planned;
            e->arm_at = e->cur + 1;
        } else {
            e->pend = e->planned;
        }
        return;
    }
    x64_store(x, 8, rd(e, o->a, true),
              xm(CPU, base + (int32_t)offsetof(struct x86_lazy_flags, res)));
    if (o->lf != LF_LOGIC) {    /* LF_LOGIC reads res alone */
        struct x64_mem m1 = xm(CPU, base + (int32_t)offsetof(struct x86_lazy_flags, src1));
        struct x64_mem m2 = xm(CPU, base + (int32_t)offsetof(struct x86_lazy_flags, src2));
        if (o->b != IR_NOREG)
            x64_store(x, 8, rd(e, o->b, true), m1);
        else
            store_imm64(e, o->imm, m1);
        if (o->c != IR_NOREG)
            x64_store(x, 8, rd(e, o->c, true), m2);
        else
            store_imm64(e, o->imm2, m2);
    }
    x64_store_i(x, 2, (int32_t)(o->lf | o->size << 8),
                xm(CPU, base + (int32_t)offsetof(struct x86_lazy_flags, op)));
}

static void emit_foldcf(struct be *e, const struct ir_op *o)
{
    struct x64 *x = &e->x;
    switch (o->lf) {
    case LF_INC:
    case LF_DEC:
        break;                  /* CF is in rflags already */
    case LF_LOGIC:
        x64_alu_mi(x, XA_AND, 8, xm(CPU, OFF(rflags)), ~(int32_t)FL_CF);
        e->hf_lf = LF_NONE;
        break;
    default:
        call_synced(e, (const void *)bt_helper_fold_cf);
        break;
    }
}

/* rax = condition cc (0/1) through the lazy record, when the host flags
 * do not have it. */
static void cond_helper(struct be *e, int cc)
{
    pend_flush(e);
    cache_flush(e);
    sync_icount(e);
    x64_mov_rr(&e->x, X_RDI, CPU);
    x64_mov_ri(&e->x, X_RSI, (uint64_t)cc);
    call_helper(e, (const void *)bt_helper_cond);
    cache_reload(e);
}

static void emit_setcc(struct be *e, const struct ir_op *o)
{
    int d = HV(o->d);
    def(e, o->d);
    if (hf_ok(e->hf_lf, o->cc)) {
        x64_setcc(&e->x, o->cc, d);
        x64_zext(&e->x, 1, d, d);
    } else {
        cond_helper(e, o->cc);
        x64_zext(&e->x, 4, d, X_RAX);
    }
}

static void emit_select(struct be *e, const struct ir_op *o)
{
    struct x64 *x = &e->x;
    int a = rd(e, o->a, true), b = rd(e, o->b, true), c = rd(e, o->c, true);
    x64_mov_rr(x, X_RAX, a);
    x64_test_rr(x, 8, c, c);
    x64_cmov(x, CC_NE, X_RAX, b);
    def(e, o->d);
    x64_mov_rr(x, HV(o->d), X_RAX);
    e->hf_lf = LF_NONE;
}

/* --- leaving the block --- */

/* Go to guest RIP `target` (if cc >= 0: when cc holds, else fall through):
 * a chainable jump within the block's page, else the jump cache. */
static void emit_goto(struct be *e, int cc, uint64_t target, const struct ir_op *o)
{
    struct x64 *x = &e->x;
    bool same_page = ((target ^ e->b->rip) & ~(uint64_t)(BT_PAGE - 1)) == 0;

    if (same_page && e->nlinks < BT_MAX_LINKS) {
        size_t end = cc >= 0 ? x64_jcc(x, cc, x64_here(x)) : x64_jmp(x, x64_here(x));
        e->b->link[e->nlinks++] = (struct bt_link){ .from = e->b, .site_end = end, .target = target };
        return;
    }
    if (cc >= 0) {
        add_stub(e, ST_GOTO, x64_jcc(x, cc, x64_here(x)), o);
        e->stub[e->nstubs - 1].resume = (size_t)target; /* the stub's target RIP */
        return;
    }
    set_rip(e, target);
    x64_mov_ri(x, X_RAX, target);
    x64_jmp(x, e->bt->jc_lookup);
}

/* The back edge of a block that loops to itself: the checks of the
 * prologue, then straight to the loop head with the cache as it is. */
static void emit_back_edge(struct be *e, int cc, const struct ir_op *o)
{
    size_t end = cc >= 0 ? x64_jcc(&e->x, cc, x64_here(&e->x)) : x64_jmp(&e->x, x64_here(&e->x));
    add_stub(e, ST_LOOP, end, o);
}

/* A conditional branch that is not the block's last instruction is a side
 * exit: taken, it leaves through a stub; not taken, the block goes on with
 * its registers where they are. */
static void emit_brcond(struct be *e, const struct ir_op *o)
{
    int cc = o->cc;
    bool side = o->gi + 1 < e->b->n;
    if (!hf_ok(e->hf_lf, cc)) {
        cond_helper(e, cc);
        x64_test_rr(&e->x, 4, X_RAX, X_RAX);
        cc = CC_NE;
    }
    /* The flush is plain stores: the flags survive it. */
    if (e->self_loop && o->imm == e->b->rip) {
        emit_back_edge(e, cc, o);
        if (side)
            return;
        pend_flush(e);      /* no flags changed: mov, lea, not */
        cache_flush(e);
    } else if (side) {
        add_stub(e, ST_SIDE, x64_jcc(&e->x, cc, x64_here(&e->x)), o);
        return;
    } else {
        pend_flush(e);
        cache_flush(e);
        emit_goto(e, cc, o->imm, o);
    }
    emit_goto(e, -1, o->imm2, o);
}

/* Before C that may fault in guest instruction o->gi (a slow-path access,
 * an interpreter handler): the struct is the truth, RIP names the
 * instruction, and insn_count leaves it and the rest of the block out (if
 * it faults, it did not run; the caller adds back what did). */
static void sync_for_fault(struct be *e, const struct ir_op *o)
{
    cache_flush(e);
    icount_add(e, -from_here(e, o));
    sync_icount(e);
    set_rip(e, rip_of(e, o));
}

/* Guest instruction o->gi on the interpreter's handler. */
static void call_interp_handler(struct be *e, const struct ir_op *o)
{
    const struct x86_insn *in = &e->b->insn[o->gi];
    sync_for_fault(e, o);
    x64_mov_rr(&e->x, X_RDI, CPU);
    x64_mov_ri(&e->x, X_RSI, (uint64_t)(uintptr_t)in);
    call_helper(e, (const void *)x86_exec_table[in->op]);
}

static void emit_insn(struct be *e, const struct ir_op *o)
{
    struct x64 *x = &e->x;
    int k = from_here(e, o);

    pend_flush(e);
    call_interp_handler(e, o);
    icount_add(e, 1);           /* it ran (an unfinished REP: a part of it) */
    if (o->flags & IRF_ENDS) {
        x64_jmp(x, e->bt->exit0);
        return;
    }
    /* Went elsewhere (a branch, an unfinished REP), or changed this code:
     * the struct is the truth, nothing to flush. */
    x64_mov_ri(x, X_RAX, next_of(e, o));
    x64_alu_rm(x, XA_CMP, 8, X_RAX, xm(CPU, OFF(rip)));
    x64_jcc(x, CC_NE, e->bt->exit0);
    test_invalidated(e);
    x64_jcc(x, CC_NE, e->bt->exit0);
    icount_add(e, k - 1);
    cache_reload(e);
}

/* Is the value an op leaves in HV(d) below 2^32? */
static bool result_zx(const struct ir_op *o)
{
    switch (o->op) {
    case IR_MOVI: return o->imm <= 0xffffffffull;
    case IR_LDS: case IR_LOAD: case IR_ZEXT:
    case IR_ADD: case IR_SUB: case IR_AND: case IR_OR: case IR_XOR:
    case IR_NEG: case IR_NOT: case IR_INC: case IR_DEC:
    case IR_SHL: case IR_SHR: case IR_SAR: case IR_IMUL: case IR_UDIV:
        return o->size <= 4;
    case IR_ADDR: return o->size == 4;
    case IR_SETCC: return true;
    default: return false;
    }
}

static void emit_op_body(struct be *e, const struct ir_op *o);

static void emit_op(struct be *e, const struct ir_op *o)
{
    emit_op_body(e, o);
    if (o->d != IR_NOREG && e->alias[o->d] == X_NONE)
        e->zx[o->d] = result_zx(o);
    if (o->op == IR_UDIV)
        e->zx[o->b] = o->size <= 4;
}

static void emit_op_body(struct be *e, const struct ir_op *o)
{
    struct x64 *x = &e->x;
    switch (o->op) {
    case IR_MOVI:
        def(e, o->d);
        x64_mov_ri(x, HV(o->d), o->imm);
        break;
    case IR_MOV: {
        int a = rd(e, o->a, true);
        def(e, o->d);
        x64_mov_rr(x, HV(o->d), a);
        break;
    }
    case IR_LDS: emit_lds(e, o); break;
    case IR_STS: emit_sts(e, o); break;
    case IR_STSI: emit_stsi(e, o); break;
    case IR_ADD: case IR_SUB: case IR_AND: case IR_OR: case IR_XOR: emit_alu(e, o); break;
    case IR_NEG: case IR_NOT: case IR_INC: case IR_DEC: emit_unary(e, o); break;
    case IR_SHL: case IR_SHR: case IR_SAR: emit_shift(e, o); break;
    case IR_IMUL: emit_imul(e, o); break;
    case IR_UDIV: emit_udiv(e, o); break;
    case IR_ZEXT: case IR_SEXT: {
        int a = rd(e, o->a, o->size == 8);
        def(e, o->d);
        if (o->op == IR_ZEXT)
            x64_zext(x, o->size, HV(o->d), a);
        else
            x64_sext(x, o->size, HV(o->d), a);
        break;
    }
    case IR_ADDR: emit_addr(e, o); break;
    case IR_LOAD: emit_load(e, o); break;
    case IR_STORE: emit_store(e, o); break;
    case IR_LAZY: emit_lazy(e, o); break;
    case IR_FOLDCF: emit_foldcf(e, o); break;
    case IR_SETCC: emit_setcc(e, o); break;
    case IR_SELECT: emit_select(e, o); break;
    case IR_CHECK_CANON:
        stub_regs(e, o);
        x64_mov_rr(x, X_RAX, e->sra);
        x64_shift_i(x, 4, 8, X_RAX, 16);
        x64_shift_i(x, 7, 8, X_RAX, 16);
        x64_alu_rr(x, XA_CMP, 8, X_RAX, e->sra);
        add_stub(e, ST_CANON, x64_jcc(x, CC_NE, x64_here(x)), o);
        e->hf_lf = LF_NONE;
        break;
    case IR_CHECK_SMC:
        stub_regs(e, o);
        test_invalidated(e);
        add_stub(e, ST_SMC, x64_jcc(x, CC_NE, x64_here(x)), o);
        e->hf_lf = LF_NONE;
        break;
    case IR_INSN: emit_insn(e, o); break;
    case IR_GOTO:
        if (e->self_loop && o->imm == e->b->rip) {
            emit_back_edge(e, -1, o);
        } else {
            pend_flush(e);
            cache_flush(e);
            emit_goto(e, -1, o->imm, o);
        }
        break;
    case IR_BRCOND: emit_brcond(e, o); break;
    case IR_GOTO_IND:
        pend_flush(e);      /* neither changes a or the cache registers */
        cache_flush(e);
        x64_mov_rr(x, X_RAX, rd(e, o->a, true));
        x64_store(x, 8, X_RAX, xm(CPU, OFF(rip)));
        x64_jmp(x, e->bt->jc_lookup);
        break;
    case IR_EXIT:
        pend_flush(e);
        cache_flush(e);
        x64_jmp(x, e->bt->exit0);
        break;
    default: break;
    }
}

/* The budget check of a block entry (prologue, back edge): returns the
 * branch taken when the budget is spent; then counts the block's
 * instructions (and, profiling, its entry). */
static size_t count_block(struct be *e)
{
    struct x64 *x = &e->x;
    x64_alu_rm(x, XA_CMP, 8, ICOUNT, bt_field(e, &e->bt->hot->end_count));
    size_t spent = x64_jcc(x, CC_AE, x64_here(x));
    x64_alu_ri(x, XA_ADD, 8, ICOUNT, e->b->n);
    if (profiling) {    /* b->execs++, for `info tbstats`' hottest blocks */
        x64_mov_ri(x, X_RCX, (uint64_t)(uintptr_t)&e->b->execs);
        x64_alu_mi(x, XA_ADD, 8, xm(X_RCX, 0), 1);
    }
    return spent;
}

/* The out-of-line code of one stub. */
static void emit_stub(struct be *e, struct stub *s)
{
    struct x64 *x = &e->x;
    const struct ir_op *o = s->o;       /* NULL for ST_EVENT */
    uint32_t info = o ? o->seg | (uint32_t)o->size << 8 : 0;

    x64_patch(x, s->branch_end, x64_here(x));
    if (s->kind != ST_LOOP)
        pend_store(e, &s->pend);    /* C or the next block may read it */
    switch (s->kind) {
    case ST_LOAD:
    case ST_STORE:
        if (s->site >= 0) {
            size_t slow = site_refill(e, s);
            x64_patch(x, slow, x64_here(x));
        }
        sync_for_fault(e, o);       /* a fault, MMIO */
        /* a and b may be in cache registers: before rsi and rdi change */
        if (s->kind == ST_STORE)
            x64_mov_rr(x, X_RCX, s->rb);
        x64_mov_rr(x, X_RSI, s->ra);
        x64_mov_rr(x, X_RDI, CPU);
        x64_mov_ri(x, X_RDX, info);
        if (s->kind == ST_STORE) {
            x64_call(x, (const void *)bt_helper_store);
        } else {
            x64_call(x, (const void *)((o->flags & IRF_RMW) ? bt_helper_load_rmw : bt_helper_load));
        }
        icount_add(e, from_here(e, o));
        cache_reload(e);
        if (s->kind == ST_LOAD)     /* after the reload: it may be a cache register */
            x64_mov_rr(x, s->dst, X_RAX);
        if (s->smc) {
            test_invalidated(e);
            x64_jcc(x, CC_E, x->run + s->resume);
            uncount_rest(e, o);
            cache_flush(e);
            set_rip(e, s->smc_rip);
            x64_jmp(x, e->bt->exit0);
            break;
        }
        x64_jmp(x, x->run + s->resume);
        break;
    case ST_CANON:
        /* Not canonical, or a DIV that faults: the interpreter's handler
         * raises #GP(0) / #DE. */
        call_interp_handler(e, o);
        x64_jmp(x, e->bt->exit0);
        break;
    case ST_SMC:
        uncount_rest(e, o);
        cache_flush(e);
        if (o->a != IR_NOREG)
            x64_store(x, 8, s->ra, xm(CPU, OFF(rip)));
        else
            set_rip(e, o->imm);
        x64_jmp(x, e->bt->exit0);
        break;
    case ST_GOTO:                   /* flushed before the jcc */
        set_rip(e, s->resume);
        x64_mov_ri(x, X_RAX, s->resume);
        x64_jmp(x, e->bt->jc_lookup);
        break;
    case ST_SIDE:       /* a side exit taken */
        uncount_rest(e, o);
        cache_flush(e);
        emit_goto(e, -1, o->imm, o);
        break;
    case ST_SITES:      /* from the prologue: rax = the TLB's site_gen */
        for (uint32_t i = 0; i < e->b->nsites; i++)
            x64_store_i(x, 8, SITE_INVALID, xm(CPU, site_disp(e, (int)i, 0)));
        x64_store(x, 8, X_RAX, xm(CPU, rbx_disp(e, &e->b->site_stamp)));
        x64_jmp(x, x->run + s->resume);
        break;
    case ST_EVENT:      /* from the prologue: bounce, or go on (IF = 0) */
        event_slow_check(e, &e->bounce_branch[e->nbounce]);
        e->nbounce += 3;
        x64_jmp(x, x->run + s->resume);
        break;
    case ST_LOOP: {
        /* The prologue's checks; leaving, the block's start is where the
         * guest is.  insn_count still counts the instructions after the
         * branch (u of them): the budget test sees a count at most u too
         * high, which only leaves a little early; going on adds the block
         * less u, leaving takes u back. */
        size_t leave[4];
        int u = from_here(e, o) - 1;
        x64_alu_mi(x, XA_CMP, 8, xm(CPU, OFF(env.intr_pending)), 0);  /* + stop_request */
        size_t event = x64_jcc(x, CC_NE, x64_here(x));
        /* No invalidation check: what can invalidate code in the loop is
         * checked where it happens (after every store's slow path, after
         * every interpreter handler) and leaves the block then. */
        size_t checks = x->pos;
        x64_alu_rm(x, XA_CMP, 8, ICOUNT, bt_field(e, &e->bt->hot->end_count));
        leave[0] = x64_jcc(x, CC_AE, x64_here(x));
        icount_add(e, e->b->n - u);
        if (profiling) {
            x64_mov_ri(x, X_RCX, (uint64_t)(uintptr_t)&e->b->execs);
            x64_alu_mi(x, XA_ADD, 8, xm(X_RCX, 0), 1);
        }
        if (e->has_head2 && pend_eq(&s->pend, &e->head2_pend)) {
            x64_jmp(x, x->run + e->head2);  /* the head that has it pending */
        } else {
            pend_store(e, &s->pend);
            x64_jmp(x, x->run + e->loop_head);
        }
        x64_patch(x, event, x64_here(x));
        event_slow_check(e, &leave[1]);
        x64_jmp(x, x->run + checks);       /* IF = 0: go on */
        for (int i = 0; i < 4; i++)
            x64_patch(x, leave[i], x64_here(x));
        icount_add(e, -u);
        pend_store(e, &s->pend);
        cache_flush(e);
        set_rip(e, e->b->rip);
        x64_jmp(x, e->bt->exit0);
        break;
    }
    default:
        break;
    }
}

static void emit_prologue(struct be *e)
{
    struct x64 *x = &e->x;
    /* cmp qword [rbx + disp32], 0 (intr_pending and stop_request): 8
     * bytes, room for the invalidation jump. */
    x64_alu_mi(x, XA_CMP, 8, xm(CPU, OFF(env.intr_pending)), 0);
    add_stub(e, ST_EVENT, x64_jcc(x, CC_NE, x64_here(x)), NULL);
    e->b->checked_off = x->pos;     /* the dispatcher enters here */
    e->bounce_branch[e->nbounce++] = count_block(e);
    if (e->sites)
        sites_check(e);
    cache_reload(e);
    e->loop_head = x->pos;
}

/* Op i is a LOAD or an ADDR whose result the next op only stores, whole,
 * into a cached guest register: the cache register, to write directly;
 * else X_NONE. */
static int forward_target(const struct be *e, int i)
{
    const struct ir_block *ir = e->ir;
    const struct ir_op *o = &ir->op[i], *n = i + 1 < ir->n ? &ir->op[i + 1] : NULL;
    if ((o->op != IR_LOAD && o->op != IR_ADDR) || !n || n->op != IR_STS || n->size != 8 ||
        n->a != o->d || n->gi != o->gi)
        return X_NONE;
    int h = cached_reg(e, n->imm);
    if (h == X_NONE)
        return X_NONE;
    for (int j = i + 2; j < ir->n && ir->op[j].gi == o->gi; j++) {
        const struct ir_op *p = &ir->op[j];
        if (p->a == o->d || p->b == o->d || p->c == o->d)
            return X_NONE;      /* read again later */
        if (p->d == o->d)
            break;
    }
    return h;
}

/* Translate op i (and what it does of the ops after it); returns the
 * next op to translate. */
static int emit_step(struct be *e, int i)
{
    const struct ir_block *ir = e->ir;
    if (i == 0 || ir->op[i].gi != ir->op[i - 1].gi)
        for (int v = 0; v < IR_VREGS; v++) {
            e->alias[v] = X_NONE;   /* the last instruction's are dead */
            e->vslot[v] = -1;
        }
    e->cur = i;
    if (i == e->skip_sts) {         /* done in place by an op before */
        e->skip_sts = -1;
        sts_done(e);
        return i + 1;
    }
    e->fwd = (int8_t)forward_target(e, i);
    emit_op(e, &ir->op[i]);
    if (e->fwd != X_NONE) {         /* the STS it did */
        const struct ir_op *o = &ir->op[i];
        bool zero = o->op == IR_LOAD ? o->size <= 4
                  : o->a == IR_NOREG && o->b == IR_NOREG ? (o->imm & (o->size == 8 ? ~0ull
                                                                     : 0xffffffffull)) <= 0xffffffffull
                  : o->size == 4;
        e->upper_zero = zero ? e->upper_zero | 1u << e->fwd : e->upper_zero & ~(1u << e->fwd);
        e->fwd = X_NONE;
        e->skip_next = true;
    }
    if (e->skip_next) {
        e->skip_next = false;
        return i + 2;
    }
    return i + 1;
}

/* A loop's back edge with a pending lazy record would have to store it
 * on every iteration, since the loop head expects the record stored (as
 * it is on entry from outside).  Instead the first instructions of the
 * block are translated a second time, starting with that record pending,
 * up to where it is gone (replaced, or dropped unread): from there the
 * two translations are the same, and the copy jumps into the first.  At
 * most PEEL_MAX instructions; if the record lives longer, no copy. */
#define PEEL_MAX 8

static void emit_loop_head2(struct be *e)
{
    const struct ir_block *ir = e->ir;
    const struct stub *loop = NULL;
    for (int i = 0; i < e->nstubs && !loop; i++)
        if (e->stub[i].kind == ST_LOOP && e->stub[i].pend.on)
            loop = &e->stub[i];
    if (!loop || e->x.overflow)
        return;
    size_t pos = e->x.pos;
    int nstubs = e->nstubs, nlinks = e->nlinks;
    e->head2_pend = loop->pend;
    /* The state the loop head is translated in (as after the prologue),
     * with the record pending. */
    e->pend = loop->pend;
    e->upper_zero = 0;
    e->hf_lf = LF_NONE;
    e->arm_at = e->planned_at = e->skip_sts = -1;
    e->fwd = X_NONE;
    e->skip_next = false;
    e->head2 = pos;
    for (int i = 0; i < ir->n && !e->x.overflow;) {
        int gi = ir->op[i].gi;
        if (i == 0 || gi != ir->op[i - 1].gi) {
            if (gi > 0 && e->arm_at < 0 && e->skip_sts < 0 && pend_eq(&e->pend, &e->gi_pend[gi])) {
                x64_jmp(&e->x, e->x.run + e->gi_pos[gi]);
                e->has_head2 = true;
                return;
            }
            if (gi >= PEEL_MAX || gi + 1 >= e->b->n)
                break;
        }
        i = emit_step(e, i);
    }
    e->x.pos = pos;     /* no copy */
    e->nstubs = nstubs;
    e->nlinks = nlinks;
}

int bt_backend(struct bt_vcpu *bt, struct bt_block *b, const struct ir_block *ir)
{
    struct bt_code *c = &bt->code;
    static struct be e;     /* large; the translator runs on one thread */

    memset(&e, 0, sizeof(e));
    e.fwd = X_NONE;
    e.bt = bt;
    e.b = b;
    e.x = (struct x64){ .buf = c->rw + c->used, .run = (uintptr_t)c->rx + c->used,
                        .cap = c->size - c->used };
    e.hf_lf = LF_NONE;
    for (int i = 0; i < BT_MAX_LINKS; i++)
        b->link[i].from = NULL;

    e.arm_at = e.planned_at = e.skip_sts = -1;
    e.ir = ir;
    e.sites = sites_in_reach(&e) && !getenv("GLASS_BT_NOSITES");
    for (int i = 0, n = 0; i < ir->n; i++)
        e.site_of[i] = (int16_t)(ir->op[i].op == IR_LOAD || ir->op[i].op == IR_STORE ? n++ : -1);
    plan_cache(&e, ir);
    emit_prologue(&e);
    e.ir = ir;
    for (int i = 0; i < ir->n && !e.x.overflow;) {
        if (i == 0 || ir->op[i].gi != ir->op[i - 1].gi) {
            e.gi_pos[ir->op[i].gi] = e.x.pos;
            e.gi_pend[ir->op[i].gi] = e.pend;
        }
        i = emit_step(&e, i);
    }
    emit_loop_head2(&e);
    for (int i = 0; i < e.nstubs && !e.x.overflow; i++)
        emit_stub(&e, &e.stub[i]);
    /* Bounce: leave with RIP = the block's start. */
    b->bounce = x64_here(&e.x);
    for (int i = 0; i < e.nbounce; i++)
        x64_patch(&e.x, e.bounce_branch[i], b->bounce);
    set_rip(&e, b->rip);
    x64_jmp(&e.x, bt->exit0);
    /* Chainable exits: until patched, leave returning the link. */
    for (int i = 0; i < e.nlinks; i++) {
        b->link[i].stub = x64_here(&e.x);
        x64_patch(&e.x, b->link[i].site_end, x64_here(&e.x));
        set_rip(&e, b->link[i].target);
        x64_mov_ri(&e.x, X_RAX, (uint64_t)(uintptr_t)&b->link[i]);
        x64_jmp(&e.x, bt->epilogue);
        b->link[i].site_end += c->used;  /* buffer offset -> cache offset */
    }
    if (e.x.overflow)
        return -1;
    b->entry = (uintptr_t)c->rx + c->used;
    b->entry_checked = b->entry + b->checked_off;
    b->entry_off = c->used;
    b->code_bytes = e.x.pos;
    c->used += (e.x.pos + 15) & ~(size_t)15;
    if (c->used > c->size)
        c->used = c->size;
    return 0;
}

void bt_backend_patch(struct bt_vcpu *bt, const struct bt_link *l, uintptr_t target)
{
    struct x64 x = { .buf = bt->code.rw, .run = (uintptr_t)bt->code.rx, .cap = bt->code.size };
    x64_patch(&x, l->site_end, target);
}

void bt_backend_unlink_entry(struct bt_vcpu *bt, struct bt_block *b)
{
    struct x64 x = { .buf = bt->code.rw, .run = (uintptr_t)bt->code.rx, .cap = bt->code.size,
                     .pos = b->entry_off };
    x64_jmp(&x, b->bounce);
}

void bt_backend_stubs(struct bt_vcpu *bt)
{
    struct bt_code *c = &bt->code;
    struct x64 x = { .buf = c->rw, .run = (uintptr_t)c->rx, .cap = c->size };
    static const int saved[] = { X_RBX, X_RBP, X_R12, X_R13, X_R14, X_R15 };

    /* uintptr_t enter(struct x86_cpu *cpu, struct bt_vcpu *bt, void *code) */
    bt->enter = x64_here(&x);
    for (int i = 0; i < 6; i++)
        x64_push(&x, saved[i]);
    x64_alu_ri(&x, XA_SUB, 8, X_RSP, 8);        /* 16-byte aligned inside */
    x64_mov_rr(&x, CPU, X_RDI);
    x64_load(&x, 8, ICOUNT, xm(CPU, OFF(insn_count)));
    x64_jmp_r(&x, X_RDX);

    bt->exit0 = x64_here(&x);
    x64_alu_rr(&x, XA_XOR, 4, X_RAX, X_RAX);
    bt->epilogue = x64_here(&x);
    x64_store(&x, 8, ICOUNT, xm(CPU, OFF(insn_count)));
    x64_alu_ri(&x, XA_ADD, 8, X_RSP, 8);
    for (int i = 5; i >= 0; i--)
        x64_pop(&x, saved[i]);
    x64_ret(&x);

    /* rax = RIP (already in cpu->rip): the jump cache (bt_jc_hash). */
    bt->jc_lookup = x64_here(&x);
    x64_mov_rr(&x, X_RCX, X_RAX);
    x64_shift_i(&x, 5, 8, X_RCX, BT_JC_BITS);
    x64_alu_rr(&x, XA_XOR, 8, X_RCX, X_RAX);
    x64_alu_ri(&x, XA_AND, 4, X_RCX, BT_JC_SIZE - 1);
    x64_shift_i(&x, 4, 4, X_RCX, 4);
    x64_mov_ri(&x, X_RDX, (uint64_t)(uintptr_t)&bt->jc[0]);
    x64_alu_rm(&x, XA_CMP, 8, X_RAX, (struct x64_mem){ X_RDX, X_RCX, 1, 0 });
    x64_jcc(&x, CC_NE, bt->exit0);
    x64_jmp_m(&x, (struct x64_mem){ X_RDX, X_RCX, 1, 8 });

    c->used = c->stubs_end = (x.pos + 63) & ~(size_t)63;
}
