/* The backend (translate/backend_x64.h): virtual registers and their
 * aliases, the register cache, stubs, calls to C, instruction counting. */
#include "translate/backend_x64.h"

/* rdx last: a block with a DIV (which writes rdx) or whose TLB is out of
 * rbx's reach (rdx holds the table's address) keeps six. */
static const int cache_host[NCACHE] = { X_RSI, X_RDI, X_R8, X_R9, X_R10, X_R11, X_RDX };

uint64_t be_rip_of(const struct be *e, const struct ir_op *o)
{
    return e->b->insn_rip[o->gi];
}

uint64_t be_next_of(const struct be *e, const struct ir_op *o)
{
    unsigned bits = e->b->mode & BT_MODE_BITS;
    uint64_t next = e->b->insn_rip[o->gi] + e->b->insn[o->gi].len;
    return bits == 64 ? next : next & 0xffffffffull;
}

/* --- virtual registers and their aliases --- */

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

/* The host register to read virtual register v from.  full: all 64 bits
 * must be v's (else the low 32 are enough). */
int be_rd(struct be *e, int v, bool full)
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
void be_def(struct be *e, int v)
{
    e->alias[v] = X_NONE;
    e->vslot[v] = -1;
}

/* Is virtual register v read after op j by the rest of its guest
 * instruction (virtual registers die at the instruction's end, ir.h)? */
bool be_read_after(const struct be *e, int j, int v)
{
    const struct ir_block *ir = e->ir;
    for (int i = j + 1; i < ir->n && ir->op[i].gi == ir->op[j].gi; i++) {
        const struct ir_op *p = &ir->op[i];
        if (i == e->planned_at && e->planned.on)
            continue;       /* a LAZY kept pending reads guest registers */
        if (p->a == v || p->b == v || p->c == v)
            return true;
        if (p->d == v)
            return false;
    }
    return false;
}

/* Is v read by the op being translated or a later one? */
static bool live_from(const struct be *e, int v, bool this_op)
{
    const struct ir_op *o = &e->ir->op[e->cur];
    return (this_op && (o->a == v || o->b == v || o->c == v)) || be_read_after(e, e->cur, v);
}

/* Host register h is about to change: copy what aliases it out.  this_op:
 * the change comes before the current op reads its operands (else only
 * at its very end, so its own reads of h need nothing). */
void be_clobber_host_when(struct be *e, int h, bool this_op)
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
    be_clobber_host_when(e, h, true);
}

/* A stub for the branch ending at branch_end; returns it, for the fields
 * its kind adds (when the table is full: a scratch one, and the block
 * overflows, so it is translated shorter). */
struct stub *be_add_stub(struct be *e, int kind, size_t branch_end, const struct ir_op *o)
{
    static struct stub scratch;
    if (e->nstubs == MAX_STUBS) {
        e->x.overflow = true;
        return &scratch;
    }
    e->stub[e->nstubs++] = (struct stub){ .pend = e->pend, .kind = kind, .site = -1, .branch_end = branch_end,
                                          .resume = e->x.pos, .o = o, .ra = e->sra, .rb = e->srb, .addr = e->saddr,
                                          .addr32 = e->saddr32, .b_imm = e->simm, .imm = e->imm_value,
                                          .dst = (int8_t)(e->fwd != X_NONE ? e->fwd
                                                          : o && o->d != IR_NOREG ? HV(o->d)
                                                                                  : X_NONE) };
    return &e->stub[e->nstubs - 1];
}

/* Before the code of an op with a stub: where its stub finds a and b. */
void be_stub_regs(struct be *e, const struct ir_op *o)
{
    /* a is an address or a RIP; b a value stored at o->size bytes */
    if (e->fold_op == e->cur) {     /* the address is e->fold */
        e->saddr = e->fold;
        e->saddr32 = e->fold32;
        e->sra = X_NONE;
        e->fold_op = -1;
    } else {
        e->sra = (int8_t)(o->a == IR_NOREG ? X_NONE : be_rd(e, o->a, true));
        e->saddr = xm(e->sra, 0);
        e->saddr32 = false;
    }
    e->simm = e->imm_store == e->cur;
    if (e->simm) {
        e->srb = X_NONE;
        e->imm_store = -1;
    } else
        e->srb = (int8_t)(o->b == IR_NOREG ? X_NONE : be_rd(e, o->b, o->size == 8));
}

/* r = address a (a mov when it is a register alone). */
void be_addr_to(struct be *e, int r, struct x64_mem a)
{
    if (a.disp || a.index != X_NONE)
        x64_lea(&e->x, 8, r, a);
    else
        x64_mov_rr(&e->x, r, a.base);
}

/* The host memory operand of guest address a plus the addend in rax. */
struct x64_mem be_host_mem(struct x64_mem a)
{
    if (a.index == X_NONE)
        return (struct x64_mem){ a.base, X_RAX, 1, a.disp };
    return (struct x64_mem){ X_RAX, a.index, a.scale, a.disp };   /* no base */
}

/* Address a + d. */
struct x64_mem be_addr_plus(struct x64_mem a, int32_t d)
{
    a.disp += d;
    return a;
}

bool be_fits32(uint64_t v)
{
    return (int64_t)v >= INT32_MIN && (int64_t)v <= INT32_MAX;
}

/* 8 bytes at m = v. */
void be_store_imm64(struct be *e, uint64_t v, struct x64_mem m)
{
    if (be_fits32(v)) {
        x64_store_i(&e->x, 8, (int32_t)v, m);
    } else {
        x64_mov_ri(&e->x, X_RAX, v);
        x64_store(&e->x, 8, X_RAX, m);
    }
}

void be_set_rip(struct be *e, uint64_t rip)
{
    be_store_imm64(e, rip, xm(CPU, OFF(rip)));
}

void be_call_helper(struct be *e, const void *fn)
{
    x64_call(&e->x, fn);
    e->hf_lf = LF_NONE;
}

/* --- the register cache --- */

int32_t be_slot_off(int s)
{
    return OFF(gpr) + 8 * s;
}

/* The displacement of p from rbx (the vCPU). */
int32_t be_rbx_disp(const struct be *e, const void *p)
{
    return (int32_t)((intptr_t)p - (intptr_t)e->bt->cpu);
}

/* Is p within a 32-bit displacement of rbx, with room to spare for the
 * offsets added to it (fields of an entry, a site's words)? */
bool be_in_reach(const struct be *e, const void *p)
{
    int64_t d = (int64_t)((intptr_t)p - (intptr_t)e->bt->cpu);
    return d > INT32_MIN / 2 && d < INT32_MAX / 2;
}

/* Where translated code finds a field of the vCPU's translator state (the
 * code cache is the vCPU's own, so its address is a constant here): rbx
 * plus a displacement when in reach (both structs are usually in the same
 * heap), else through rax. */
struct x64_mem be_bt_field(struct be *e, const void *p)
{
    if (be_in_reach(e, p))
        return xm(CPU, be_rbx_disp(e, p));
    x64_mov_ri(&e->x, X_RAX, (uint64_t)(uintptr_t)p);
    return xm(X_RAX, 0);
}

/* cmp byte [bt->invalidated], 0 */
void be_test_invalidated(struct be *e)
{
    x64_alu_mi(&e->x, XA_CMP, 1, be_bt_field(e, &e->bt->hot->invalidated), 0);
}

/* insn_count += delta.  The prologue counts the whole block; a way out
 * after guest instruction gi takes back what did not run, and a call that
 * may fault first takes back gi itself, so insn_count is exact. */
void be_icount_add(struct be *e, int delta)
{
    if (delta > 0)
        x64_alu_ri(&e->x, XA_ADD, 8, ICOUNT, delta);
    else if (delta < 0)
        x64_alu_ri(&e->x, XA_SUB, 8, ICOUNT, -delta);
}

/* Instructions from o's (included) to the block's end. */
int be_from_here(const struct be *e, const struct ir_op *o)
{
    return e->b->n - o->gi;
}

void be_uncount_rest(struct be *e, const struct ir_op *o)
{
    be_icount_add(e, -(be_from_here(e, o) - 1));
}

/* The struct's insn_count from rbp, for C that may read it (MMIO, a fault). */
void be_sync_icount(struct be *e)
{
    x64_store(&e->x, 8, ICOUNT, xm(CPU, OFF(insn_count)));
}

/* The guest register a state offset falls in, or -1; *sub = the byte in it. */
int be_gpr_slot(uint64_t off, int *sub)
{
    uint64_t base = offsetof(struct x86_cpu, gpr);
    if (off < base || off >= base + 16 * 8)
        return -1;
    *sub = (int)((off - base) & 7);
    return (int)((off - base) / 8);
}

/* The cached host register of state offset off (at byte 0 of its slot),
 * or X_NONE. */
int be_cached_reg(const struct be *e, uint64_t off)
{
    int sub, s = be_gpr_slot(off, &sub);
    return s >= 0 && sub == 0 ? e->host_of[s] : X_NONE;
}

/* Is the TLB (both tables) within a 32-bit displacement of rbx? */
bool be_tlb_in_reach(const struct be *e)
{
    const struct tlb *t = e->bt->cpu->env.tlb;
    if (!t)
        return true;    /* no inline lookups */
    return be_in_reach(e, &t->entry[0][0]) && be_in_reach(e, &t->entry[1][TLB_SIZE]);
}

void be_plan_cache(struct be *e, const struct ir_block *ir)
{
    int uses[16] = { 0 };
    uint32_t bad = 0, written = 0;
    bool rdx_busy = false;

    for (int i = 0; i < NSLOTS; i++)
        e->host_of[i] = X_NONE;
    e->cached = e->written = 0;
    e->self_loop = false;
    /* A loop to the block's own start runs its instructions many times:
     * their uses count eight times. */
    int loop_end = -1;
    for (int i = 0; i < ir->n; i++)
        if ((ir->op[i].op == IR_GOTO || ir->op[i].op == IR_BRCOND) && ir->op[i].imm == e->b->rip)
            loop_end = ir->op[i].gi;
    for (int i = 0; i < ir->n; i++) {
        const struct ir_op *o = &ir->op[i];
        int sub, s;
        switch (o->op) {
        case IR_LDS: case IR_STS: case IR_STSI:
            s = be_gpr_slot(o->imm, &sub);
            if (s < 0)
                break;
            if (sub)
                bad |= 1u << s;     /* AH..BH: that register stays in memory */
            uses[s] += o->gi <= loop_end ? 8 : 1;
            if (o->op != IR_LDS)
                written |= 1u << s;
            break;
        case IR_GOTO: case IR_BRCOND:
            if (o->imm == e->b->rip)
                e->self_loop = true;
            break;
        case IR_UDIV:
            rdx_busy = true;    /* DIV writes rdx */
            break;
        default:
            break;
        }
    }
    int n = 0, ncache = rdx_busy || !be_tlb_in_reach(e) ? NCACHE - 1 : NCACHE;
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
void be_cache_flush(struct be *e)
{
    for (int s = 0; s < NSLOTS; s++)
        if (e->written & 1u << s)
            x64_store(&e->x, 8, e->host_of[s], xm(CPU, be_slot_off(s)));
}

/* Load every cached register from the struct (the prologue; after a call). */
void be_cache_reload(struct be *e)
{
    e->upper_zero = 0;
    for (int s = 0; s < NSLOTS; s++)
        if (e->cached & 1u << s)
            x64_load(&e->x, 8, e->host_of[s], xm(CPU, be_slot_off(s)));
}


/* fn(cpu, arg): C that reads the CPU state (and clobbers the cache).  The
 * arguments go into rdi and rsi after the flush: rsi caches a register. */
void be_call_synced(struct be *e, const void *fn, uint64_t arg)
{
    be_pend_flush(e);
    be_cache_flush(e);
    be_sync_icount(e);
    x64_mov_rr(&e->x, X_RDI, CPU);
    x64_mov_ri(&e->x, X_RSI, arg);
    be_call_helper(e, fn);
    be_cache_reload(e);
}

/* Where op o's result goes: the cache register it is forwarded to
 * (e->fwd: it changes now, so what aliases it is copied out and its slot
 * counts as written), else HV(o->d). */
int be_result_reg(struct be *e, const struct ir_op *o)
{
    if (e->fwd == X_NONE)
        return HV(o->d);
    be_clobber_host_when(e, e->fwd, false);
    be_slot_written(e, be_slot_of_host(e, e->fwd));
    return e->fwd;
}

void be_emit_lds(struct be *e, const struct ir_op *o)
{
    int h = be_cached_reg(e, o->imm), sub, s = be_gpr_slot(o->imm, &sub);
    int d = be_result_reg(e, o);
    if (e->fwd != X_NONE)
        s = -1;                 /* d is not a copy of the slot to keep */
    be_def(e, o->d);
    if (s >= 0 && !sub && o->size >= 4) {
        e->vslot[o->d] = (int8_t)s;
        e->vsize[o->d] = o->size;
    }
    if (h == X_NONE && e->st_at == e->cur - 1 && e->cur > 0 && e->st_off == o->imm &&
        o->size >= 4) {
        /* stored by the op just before: still in that register */
        if (o->size == 4)
            x64_zext(&e->x, 4, d, e->st_host);
        else if (d != e->st_host)
            x64_mov_rr(&e->x, d, e->st_host);
    } else if (h == X_NONE) {
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
    } else if (size == 4 && (e->upper_zero >> h & 1)) {
        x64_zext(x, 4, h, s);       /* the upper half is 0 and stays 0 */
    } else if (size == 4) {     /* a 4-byte store keeps the upper half */
        /* h ^= (low(h) ^ low(s)), low halves zero-extended: the low half
         * becomes s's, the upper one stays (s may be h itself) */
        x64_zext(x, 4, X_RAX, s);
        x64_alu_rr(x, XA_XOR, 4, X_RAX, h);
        x64_alu_rr(x, XA_XOR, 8, h, X_RAX);
    } else {
        x64_mov_part(x, size, h, s);
    }
}

/* The STS at op e->cur is done (emitted, or done by the op before it):
 * a record waiting for it becomes the pending one. */
void be_sts_done(struct be *e)
{
    if (e->arm_at == e->cur) {
        e->pend = e->arm;
        e->arm_at = -1;
    }
}

static int slot_of(uint64_t off)
{
    int sub;
    return be_gpr_slot(off, &sub);
}

/* The slot cached in host register h, or -1. */
int be_slot_of_host(const struct be *e, int h)
{
    for (int s = 0; s < NSLOTS; s++)
        if (e->host_of[s] == h)
            return s;
    return -1;
}

void be_emit_sts(struct be *e, const struct ir_op *o)
{
    int h = be_cached_reg(e, o->imm);
    be_slot_written(e, slot_of(o->imm));
    if (h == X_NONE) {
        int r = be_rd(e, o->a, o->size == 8);
        x64_store(&e->x, o->size, r, xm(CPU, (int32_t)o->imm));
        if (o->size == 8) {
            e->st_at = e->cur;
            e->st_host = r;
            e->st_off = o->imm;
        }
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
            set_part(e, o->size, h, be_rd(e, v, o->size == 8));
        if (o->size == 8)   /* smaller writes keep the upper half as it was */
            e->upper_zero = zero ? e->upper_zero | 1u << h : e->upper_zero & ~(1u << h);
    }
    be_sts_done(e);
}

void be_emit_stsi(struct be *e, const struct ir_op *o)
{
    int h = be_cached_reg(e, o->imm);
    be_slot_written(e, slot_of(o->imm));
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
        be_store_imm64(e, o->imm2, xm(CPU, (int32_t)o->imm));
    } else {
        x64_store_i(&e->x, o->size, (int32_t)o->imm2, xm(CPU, (int32_t)o->imm));
    }
}
