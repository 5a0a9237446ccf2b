/* Translated blocks: lookup by (host pointer of the code, RIP, mode) as the
 * interpreter's cache does, building on a miss (decode -> frontend ->
 * backend); a second index by guest-physical page for invalidation (both
 * cpu/block_index.h, shared with the interpreter's cache); and
 * the flush that empties the code cache when it fills. */
#include <stdlib.h>
#include <string.h>

#include "cpu/exception.h"
#include "cpu/flags.h"
#include "cpu/mmu.h"
#include "mem/memmap.h"
#include "translate/bt.h"
#include "translate/bt_internal.h"

#define BT_CODE_MARGIN (256u * 1024u)   /* room one block can need, at most */

void bt_jc_clear(struct bt_vcpu *bt)
{
    for (unsigned i = 0; i < BT_JC_SIZE; i++)
        bt->jc[i] = (struct bt_jc_entry){ .rip = 0, .code = bt->exit0 };
}

void bt_cache_flush(struct bt_vcpu *bt)
{
    struct bt_block *b = bt->all;
    while (b) {
        struct bt_block *next = b->all_next;
        free(b);
        b = next;
    }
    bt->all = NULL;
    block_index_clear(&bt->index);
    bt->code.used = bt->code.stubs_end;
    bt->gen++;
    bt->stats.flushes++;
    bt_jc_clear(bt);
}

/* A block the index dropped (invalidated): chained jumps into it bounce. */
static void unlink_entry(struct block_key *k, void *bt)
{
    struct bt_block *b = block_of(k, struct bt_block);
    bt_backend_unlink_entry(bt, b);
    for (struct bt_link *l = b->in; l; l = l->next_in)
        bt_backend_patch(bt, l, l->stub);
    b->in = NULL;
}

void bt_cache_invalidate(struct bt_vcpu *bt, uint64_t gpa, uint64_t len)
{
    if (!bt)
        return;
    size_t n = block_index_invalidate(&bt->index, gpa, len, unlink_entry, bt);
    if (n) {
        bt->hot->invalidated = 1;
        bt->stats.invalidations += n;
    }
}

/* Operations after which a block ends: control transfers and system
 * instructions (which may change the mode, paging, CS, IF or TF). */
static bool ends_block(int op)
{
    switch (op) {
    case X86_OP_JMP: case X86_OP_JMP_IND: case X86_OP_CALL: case X86_OP_CALL_IND:
    case X86_OP_RET: case X86_OP_JCC: case X86_OP_JCXZ: case X86_OP_LOOP:
    case X86_OP_LOOPE: case X86_OP_LOOPNE: case X86_OP_UD:
        return true;
    default:
        return bt_op_changes_context(op);
    }
}

/* A Jcc's target the block may go on at instead of its next instruction
 * (decode_block): backward in the same page (a loop's way round, which is
 * usually taken), not the block's start (that is the block's own loop), not
 * an instruction the block has already. */
static bool follow_jcc(uint64_t t, uint64_t at, uint64_t page_rip, const uint64_t *rips, int n)
{
    if (t >= at || t < page_rip)
        return false;
    for (int i = 0; i < n; i++)
        if (rips[i] == t)
            return false;
    return true;
}

/* Decode the block at host (CS:RIP, linear lin) into the scratch arrays;
 * returns the number of instructions, and the page offsets of the code
 * they cover (*lo, *hi).  A block is straight-line code, except that at up
 * to BT_MAX_FOLLOWS backward conditional branches it goes on at the
 * target (the frontend turns the branch round: not taken, it leaves):
 * the heap sort's inner loop runs through three blocks otherwise. */
static int decode_block(const struct bt_vcpu *bt, const uint8_t *host, uint64_t lin,
                        unsigned mode, struct x86_insn *insn, uint64_t *rips, size_t *lo,
                        size_t *hi)
{
    struct x86_cpu *cpu = bt->cpu;
    int bits = (int)(mode & BT_MODE_BITS);
    size_t start = lin & (BT_PAGE - 1), cur = start;
    const uint8_t *page = host - start;
    uint64_t rip = cpu->rip, mask = bits == 64 ? ~0ull : 0xffffffffull;
    uint64_t page_rip = (rip - start) & mask;
    int n = 0, side_exits = 0, follows = 0;

    *lo = *hi = start;
    while (n < BT_MAX_INSNS) {
        uint64_t at = (page_rip + cur) & mask;
        /* A breakpoint ends the block before it (cpu/break_cut.h). */
        if (n > 0 && bt->cut.n && break_cut_has(&bt->cut, at))
            break;
        int len = x86_decode(&insn[n], page + cur, BT_PAGE - cur, bits);
        if (len == X86_DECODE_TOO_LONG && n == 0)
            x86_raise(cpu, X86_GP, 0);
        if (len <= 0)
            break;      /* crosses the page: the next block's problem */
        rips[n] = at;
        cur += (size_t)len;
        if (cur > *hi)
            *hi = cur;
        /* A Jcc becomes a side exit and the block goes on (a few times). */
        if (insn[n].op == X86_OP_JCC && side_exits < BT_MAX_SIDE_EXITS && cur < BT_PAGE) {
            uint64_t t = (at + (uint64_t)len + insn[n].imm) & lf_mask(insn[n].opsize);
            side_exits++;
            n++;
            if (follows < BT_MAX_FOLLOWS && follow_jcc(t, at, page_rip, rips, n)) {
                follows++;
                cur = (size_t)(t - page_rip);
                if (cur < *lo)
                    *lo = cur;
            }
            continue;
        }
        if (ends_block(insn[n++].op) || cur >= BT_PAGE)
            break;
    }
    return n;
}

static struct bt_block *build(struct bt_vcpu *bt, const uint8_t *host, uint64_t lin,
                              unsigned mode)
{
    struct x86_cpu *cpu = bt->cpu;
    struct x86_insn insn[BT_MAX_INSNS];
    uint64_t rips[BT_MAX_INSNS], gpa;
    uint32_t pfec;
    size_t lo, hi;

    int n = decode_block(bt, host, lin, mode, insn, rips, &lo, &hi);
    if (n == 0)
        return NULL;
    if (x86_translate(cpu, lin, ACC_EXEC, &gpa, &pfec) < 0)
        return NULL;
    int nat;
    for (;;) {
        nat = bt_frontend(&bt->ir, insn, rips, n, mode);
        if (!bt->ir.overflow || n == 1)
            break;
        n /= 2;         /* too many IR ops: a shorter block (what it covers is
                           still within lo..hi) */
    }
    if (bt->ir.overflow)
        return NULL;
    gpa -= (lin & (BT_PAGE - 1)) - lo;  /* the block covers [gpa, gpa + hi - lo) */

    uint32_t nsites = 0;
    for (int i = 0; i < bt->ir.n; i++)
        if (bt->ir.op[i].op == IR_LOAD || bt->ir.op[i].op == IR_STORE)
            nsites++;
    /* The sites' hot words start a cache line: a site's fast path reads one. */
    size_t head = (sizeof(struct bt_block) + 63) & ~(size_t)63;
    size_t size = head + (size_t)nsites * 8 * BT_SITE_WORDS + (size_t)n * (sizeof(struct x86_insn) + 8);
    size = (size + 63) & ~(size_t)63;
    struct bt_block *b = aligned_alloc(64, size);
    if (!b)
        return NULL;
    memset(b, 0, size);
    b->site = (uint64_t (*)[BT_SITE_HOT])((char *)b + head);
    b->site_more = (uint64_t (*)[BT_SITE_WORDS - BT_SITE_HOT])(b->site + nsites);
    b->nsites = nsites;
    b->insn = (struct x86_insn *)(b->site_more + nsites);
    b->insn_rip = (uint64_t *)(b->insn + n);
    memcpy(b->insn, insn, (size_t)n * sizeof(*insn));
    memcpy(b->insn_rip, rips, (size_t)n * sizeof(*rips));
    b->host = host;
    b->rip = cpu->rip;
    b->mode = mode;
    b->gpa = gpa;
    b->n = (uint16_t)n;
    b->bytes = (uint16_t)(hi - lo);
    b->native = (uint8_t)nat;

    if (bt->code.size - bt->code.used < BT_CODE_MARGIN)
        bt_cache_flush(bt);
    if (bt_backend(bt, b, &bt->ir) < 0) {
        bt_cache_flush(bt);     /* full after all: empty it and try once more */
        if (bt_backend(bt, b, &bt->ir) < 0) {
            free(b);
            return NULL;
        }
    }
    b->valid = 1;
    bt_perfmap_note(b);
    b->all_next = bt->all;
    bt->all = b;
    block_index_insert(&bt->index, &b->key);
    if (cpu->env.mem && !memmap_is_code(cpu->env.mem, gpa))
        memmap_mark_code(cpu->env.mem, gpa);
    bt->stats.blocks++;
    bt->stats.native_insns += (uint64_t)nat;
    bt->stats.helper_insns += (uint64_t)(n - nat);
    return b;
}

struct bt_block *bt_block_get(struct bt_vcpu *bt, const uint8_t *host, uint64_t lin,
                              unsigned mode)
{
    struct block_key *k = block_index_find(&bt->index, host, bt->cpu->rip, mode);
    if (k)
        return block_of(k, struct bt_block);
    return build(bt, host, lin, mode);
}
