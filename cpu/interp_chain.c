/* The handlers every block uses (cpu/interp_block.h): the general-handler
 * wrapper, and the terminator that goes from one block to the next without
 * the run loop.
 *
 * Going on directly is allowed when the block ended in a core instruction
 * (which cannot change the mode, CS, IF or TF: those end the chain), no
 * interrupt or stop is pending, and the run's budget has room for the whole
 * next block; so an endless loop still looks at interrupts once a block.
 * Each block remembers two successors by RIP; a successor is used when it
 * is still valid and its code is still what CS:RIP names: in the same
 * linear page as this block (same mapping), or found through the TLB.  In a
 * flat block (CS base 0) a successor in the same page is always what
 * CS:RIP names, since the block itself is: such a link is direct, and the
 * branch handlers follow it themselves (ic_goto). */
#include "cpu/interp_block.h"

#include "cpu/exec.h"
#include "mem/tlb.h"

/* Leave the block early, after e: count what ran. */
static const struct ic_insn *leave_after(struct x86_cpu *cpu, const struct ic_insn *e)
{
    const struct ic_block *b = e->blk;
    if (e->idx == b->n - 1 && b->valid)
        return ic_go(cpu, e + 1); /* a jump from the last instruction: the terminator chains */
    cpu->insn_count += (uint64_t)e->idx + 1;
    return NULL;
}

const struct ic_insn *ic_generic(struct x86_cpu *cpu, const struct ic_insn *e)
{
    x86_exec_table[e->in.op](cpu, &e->in);
    if (__builtin_expect(cpu->rip == e->next_rip && e->blk->valid, 1))
        return ic_go(cpu, e + 1);
    return leave_after(cpu, e);
}

/* The linear address of CS:rip for a block of `bytes` bytes at rip, or
 * false when it is not all within the CS limit. */
static inline bool code_lin(const struct x86_cpu *cpu, int mode, uint64_t rip, unsigned bytes,
                            uint64_t *lin)
{
    if ((mode & IC_MODE_BITS) == 64) {
        *lin = rip;
        return true;
    }
    const struct x86_segment *cs = &cpu->seg[S_CS];
    if (rip + bytes - 1 > cs->limit)
        return false;
    *lin = cs->base + rip;
    if (!x86_long_mode(cpu))
        *lin &= 0xffffffffull;
    return true;
}

/* Host pointer of the code at linear address nlin: by offset from block b
 * (at blin) when in the same page, else through the TLB, else NULL. */
static inline const uint8_t *code_host_near(struct x86_cpu *cpu, const struct ic_block *b,
                                            uint64_t blin, uint64_t nlin)
{
    if (((nlin ^ blin) & GUEST_PAGE_MASK) == 0)
        return b->host + (nlin - blin);
    if (!cpu->env.tlb)
        return NULL;
    return tlb_lookup(cpu->env.tlb, nlin, 1, TLB_EXEC, cpu->cpl == 3);
}

/* The successor nb of b is what CS:RIP names now. */
static inline bool succ_ok(struct x86_cpu *cpu, const struct ic_block *b, const struct ic_block *nb)
{
    uint64_t blin, nlin;
    if (!nb->valid || !code_lin(cpu, b->mode, b->rip, 1, &blin) ||
        !code_lin(cpu, b->mode, nb->rip, nb->bytes, &nlin))
        return false;
    return code_host_near(cpu, b, blin, nlin) == nb->host;
}

/* Remember nb as the successor of b at rip. */
static void link_succ(struct ic_block *b, struct ic_block *nb, uint64_t rip)
{
    int slot;
    if (b->succ_fixed) {
        if (rip == b->succ_rip[0])
            slot = 0;
        else if (rip == b->succ_rip[1])
            slot = 1;
        else
            return; /* a branch handled by its general handler went elsewhere */
    } else {
        b->succ_rip[1] = b->succ_rip[0];
        b->succ[1] = b->succ[0];
        b->succ_direct[1] = b->succ_direct[0];
        slot = 0;
    }
    b->succ_rip[slot] = rip;
    b->succ[slot] = nb;
    b->succ_direct[slot] = (b->mode & IC_MODE_FLAT) && b->chain_ok &&
                           ((rip ^ b->rip) & GUEST_PAGE_MASK) == 0;
}

/* No remembered successor fits: look the block up (or build it) and
 * remember it. */
static const struct ic_insn *chain_lookup(struct x86_cpu *cpu, struct ic_block *b)
{
    struct interp_cache *c = b->cache;
    uint64_t blin, nlin, rip = cpu->rip;
    int mode = b->mode;

    if ((mode & IC_MODE_BITS) == 64 && (uint64_t)((int64_t)(rip << 16) >> 16) != rip)
        return NULL; /* non-canonical: the run loop raises #GP */
    if (!code_lin(cpu, mode, b->rip, 1, &blin) || !code_lin(cpu, mode, rip, 1, &nlin))
        return NULL;
    const uint8_t *host = code_host_near(cpu, b, blin, nlin);
    if (!host)
        return NULL;
    uint64_t flushes = c->stats.flushes;
    struct ic_block *nb = interp_cache_get(c, cpu, host, nlin, mode);
    if (!nb)
        return NULL;
    if (flushes == c->stats.flushes) /* b is still b: remember the way */
        link_succ(b, nb, rip);
    if (cpu->insn_count + nb->n > c->end_count)
        return NULL;
    c->cur = nb;
    return ic_go(cpu, nb->insn);
}

const struct ic_insn *ic_block_end(struct x86_cpu *cpu, const struct ic_insn *e)
{
    struct ic_block *b = e->blk, *nb;
    uint64_t rip = cpu->rip;
    int i;

    cpu->insn_count += b->n;
    if (!b->chain_ok || ic_pending(cpu) || ic_stack_deep(b->cache))
        return NULL;
    if (rip == b->succ_rip[0] && b->succ[0])
        i = 0;
    else if (rip == b->succ_rip[1] && b->succ[1])
        i = 1;
    else
        return chain_lookup(cpu, b);
    nb = b->succ[i];
    if (!(b->succ_direct[i] ? nb->valid : succ_ok(cpu, b, nb)))
        return chain_lookup(cpu, b);
    if (cpu->insn_count + nb->n > b->cache->end_count)
        return NULL;
    b->cache->cur = nb;
    return ic_go(cpu, nb->insn);
}
