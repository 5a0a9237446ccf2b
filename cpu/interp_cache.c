/* The decoded-instruction cache of the interpreter (cpu/interp.h): blocks
 * of decoded instructions keyed by host pointer + RIP + mode, a second
 * index by guest-physical page for invalidation (both cpu/block_index.h,
 * shared with the translator), and bump allocation from two arenas that
 * are emptied together when either fills.
 *
 * RIP is part of the key so that each instruction knows the RIP after it
 * and its branch target when it is decoded; the same code run at another
 * RIP (or under another mode) is another block. */
#include "cpu/interp.h"

#include <stdlib.h>

#include "cpu/exception.h"
#include "cpu/exec_fast.h"
#include "cpu/flags.h"
#include "cpu/interp_block.h"
#include "cpu/mmu.h"
#include "mem/memmap.h"

#define IC_BLOCKS 16384
#define IC_INSNS (IC_BLOCKS * 16)
#define IC_MAX_BLOCK_INSNS 64
#define IC_PAGE BLOCK_INDEX_PAGE    /* a block never crosses one (the index relies on it) */

struct interp_cache *interp_cache_create(void)
{
    struct interp_cache *c = calloc(1, sizeof(*c));
    if (!c)
        return NULL;
    c->blocks = calloc(IC_BLOCKS, sizeof(*c->blocks));
    c->insns = calloc(IC_INSNS + IC_BLOCKS, sizeof(*c->insns)); /* + terminators */
    if (!c->blocks || !c->insns) {
        interp_cache_destroy(c);
        return NULL;
    }
    return c;
}

void interp_cache_destroy(struct interp_cache *c)
{
    if (!c)
        return;
    free(c->blocks);
    free(c->insns);
    free(c);
}

void interp_cache_flush(struct interp_cache *c)
{
    block_index_clear(&c->index);
    c->nblocks = 0;
    c->ninsns = 0;
    c->stats.flushes++;
}

void interp_invalidate_phys(struct interp_cache *c, uint64_t gpa, uint64_t len)
{
    if (c)
        c->stats.invalidations += block_index_invalidate(&c->index, gpa, len, NULL, NULL);
}

/* Operations after which a block ends: every control transfer, and every
 * system instruction, since those may change the mode, paging, CS or the
 * interrupt flag (the run loop must look at the world again). */
static bool ends_block(int op)
{
    switch (op) {
    case X86_OP_JMP: case X86_OP_JMP_IND: case X86_OP_CALL: case X86_OP_CALL_IND:
    case X86_OP_RET: case X86_OP_JCC: case X86_OP_JCXZ: case X86_OP_LOOP:
    case X86_OP_LOOPE: case X86_OP_LOOPNE: case X86_OP_UD:
        return true;
#define X86_SYS_ENDS(name, owner) case X86_OP_##name: return #owner[0] == 's';
    default:
        switch (op) {
            X86_OPS(X86_SYS_ENDS)
        }
        return false;
#undef X86_SYS_ENDS
    }
}

static bool ends_block_sys(int op)
{
    switch (op) {
#define X86_SYS_OP(name, owner) case X86_OP_##name: return #owner[0] == 's';
        X86_OPS(X86_SYS_OP)
#undef X86_SYS_OP
    default:
        return true;
    }
}

/* What the block's copy of an instruction can know in advance: the RIP
 * after it, a relative branch's target, a RIP-relative address. */
static void resolve(struct ic_insn *e, uint64_t rip, uint64_t code_mask)
{
    e->next_rip = (rip + e->in.len) & code_mask;
    e->target = 0;
    e->cc_mask = e->in.op == X86_OP_JCC ? lf_cond_mask(e->in.cond) : 0;
    if (e->in.form == FORM_REL)
        e->target = (e->next_rip + e->in.imm) & lf_mask(e->in.opsize);
    if (e->in.mem.rip_rel) {
        e->in.mem.disp = (int64_t)(e->next_rip + (uint64_t)e->in.mem.disp);
        e->in.mem.rip_rel = 0;
    }
}

/* The successor slots of a new block (struct ic_block). */
static void init_succ(struct ic_block *b)
{
    const struct ic_insn *last = &b->insn[b->n - 1];

    b->succ[0] = b->succ[1] = NULL;
    b->succ_direct[0] = b->succ_direct[1] = 0;
    b->succ_rip[0] = b->succ_rip[1] = 0;
    b->succ_fixed = 0;
    if (last->in.form != FORM_REL)
        return;
    switch (last->in.op) {
    case X86_OP_JCC:
        b->succ_rip[0] = last->target;
        b->succ_rip[1] = last->next_rip;
        b->succ_fixed = 1;
        break;
    case X86_OP_JMP:
    case X86_OP_CALL:
        b->succ_rip[0] = b->succ_rip[1] = last->target;
        b->succ_fixed = 1;
        break;
    default:
        break;
    }
}

static struct ic_block *build(struct interp_cache *c, struct x86_cpu *cpu,
                              const uint8_t *host, uint64_t lin, int mode)
{
    int bits = mode & IC_MODE_BITS;
    size_t avail = IC_PAGE - (lin & (IC_PAGE - 1));
    size_t off = 0;
    uint64_t gpa = 0, rip = cpu->rip;
    uint64_t code_mask = bits == 64 ? ~0ull : bits == 32 ? 0xffffffffull : 0xffffull;
    uint32_t pfec;
    struct ic_block *b;

    /* Outside 64-bit mode nothing past the CS limit is decoded, nor, in
     * 16-bit code, past the 64 KiB where IP wraps. */
    if (bits != 64) {
        uint64_t room = (uint64_t)cpu->seg[S_CS].limit - rip + 1;
        if (rip > cpu->seg[S_CS].limit)
            x86_raise(cpu, X86_GP, 0);
        if (bits == 16 && 0x10000 - rip < room)
            room = 0x10000 - rip;
        if (room < avail)
            avail = (size_t)room;
    }
    if (c->nblocks == IC_BLOCKS || c->ninsns + IC_MAX_BLOCK_INSNS + 1 > IC_INSNS + IC_BLOCKS)
        interp_cache_flush(c);
    if (x86_translate(cpu, lin, ACC_EXEC, &gpa, &pfec) < 0)
        return NULL; /* cannot happen after a successful fetch; be safe */

    b = &c->blocks[c->nblocks];
    b->insn = &c->insns[c->ninsns];
    b->n = 0;
    while (b->n < IC_MAX_BLOCK_INSNS) {
        /* A breakpoint ends the block before it (cpu/break_cut.h). */
        if (b->n > 0 && c->cut.n && break_cut_has(&c->cut, lin + off))
            break;
        struct ic_insn *e = &b->insn[b->n];
        int len = x86_decode(&e->in, host + off, avail - off, bits);
        if (len == X86_DECODE_TOO_LONG && b->n == 0)
            x86_raise(cpu, X86_GP, 0);
        if (len <= 0)
            break; /* crosses the page or the limit: the next block's problem */
        e->blk = b;
        e->idx = (uint8_t)b->n;
        resolve(e, (rip + off) & code_mask, code_mask);
        b->n++;
        off += (size_t)len;
        if (ends_block(e->in.op) || off >= avail)
            break;
    }
    if (b->n == 0)
        return NULL;
    bool tlb = cpu->env.tlb != NULL;
    for (int i = 0; i < b->n; i++) {
        struct ic_insn *e = &b->insn[i];
        e->fn1 = exec_fast_select(e, mode, tlb);
        if (!e->fn1)
            e->fn1 = ic_generic;
        e->fn = exec_fast_chain(e, mode, tlb);
        if (!e->fn)
            e->fn = e->fn1;
    }
    for (int i = 0; i + 1 < b->n; i++) {
        ic_fn fused = exec_fast_fuse(&b->insn[i], mode, tlb);
        if (fused)
            b->insn[i].fn = fused;
    }
    b->insn[b->n] = (struct ic_insn){ .fn = ic_block_end, .blk = b };
    b->host = host;
    b->rip = rip;
    b->gpa = gpa;
    b->cache = c;
    b->mode = (unsigned)mode;
    b->bytes = (uint16_t)off;
    b->valid = 1;
    b->chain_ok = !ends_block_sys(b->insn[b->n - 1].in.op);
    init_succ(b);
    c->nblocks++;
    c->ninsns += (size_t)b->n + 1;
    c->stats.blocks_built++;

    block_index_insert(&c->index, &b->key);
    if (cpu->env.mem && !memmap_is_code(cpu->env.mem, gpa))
        memmap_mark_code(cpu->env.mem, gpa);
    return b;
}

struct ic_block *interp_cache_get(struct interp_cache *c, struct x86_cpu *cpu,
                                  const uint8_t *host, uint64_t lin, int mode)
{
    if (c->cut.n && break_cut_has(&c->cut, lin))
        return NULL;
    struct block_key *k = block_index_find(&c->index, host, cpu->rip, (unsigned)mode);
    if (k)
        return block_of(k, struct ic_block);
    return build(c, cpu, host, lin, mode);
}

void interp_cache_stats(const struct interp_cache *c, struct interp_stats *s)
{
    *s = c->stats;
}

void interp_set_debug(struct interp_cache *c, const struct debug_ctl *d)
{
    c->dbg = *d;
    c->dbg.nbreak = break_cut_count(d);
    if (break_cut_update(&c->cut, d))
        interp_cache_flush(c);
}

const struct debug_ctl *interp_cache_debug(const struct interp_cache *c)
{
    return &c->dbg;
}

int interp_cache_take_resume(struct interp_cache *c, uint64_t lin)
{
    int r = c->resume_valid && c->resume_lin == lin;
    c->resume_valid = 0;
    return r;
}

void interp_cache_set_resume(struct interp_cache *c, uint64_t lin)
{
    c->resume_lin = lin;
    c->resume_valid = 1;
}

void interp_cache_count_uncached(struct interp_cache *c)
{
    c->stats.uncached_insns++;
}
