/* The decoded-instruction cache of the interpreter (cpu/interp.h): blocks
 * of decoded instructions keyed by host pointer + code size, a second index
 * by guest-physical page for invalidation, and bump allocation from two
 * arenas that are emptied together when either fills. */
#include "cpu/interp.h"

#include <stdlib.h>
#include <string.h>

#include "cpu/exception.h"
#include "cpu/exec_fast.h"
#include "cpu/mmu.h"
#include "mem/memmap.h"

#define IC_BLOCKS 16384
#define IC_INSNS (IC_BLOCKS * 16)
#define IC_MAX_BLOCK_INSNS 64
#define IC_PAGE 4096u

static unsigned host_hash(const uint8_t *host, int bits)
{
    uintptr_t h = (uintptr_t)host;
    h ^= h >> IC_HASH_BITS;
    h ^= (uintptr_t)bits;
    return (unsigned)(h & ((1u << IC_HASH_BITS) - 1));
}

static unsigned page_hash(uint64_t gpa)
{
    uint64_t p = gpa / IC_PAGE;
    return (unsigned)((p ^ (p >> IC_PAGE_HASH_BITS)) & ((1u << IC_PAGE_HASH_BITS) - 1));
}

struct interp_cache *interp_cache_create(void)
{
    struct interp_cache *c = calloc(1, sizeof(*c));
    if (!c)
        return NULL;
    c->blocks = calloc(IC_BLOCKS, sizeof(*c->blocks));
    c->insns = calloc(IC_INSNS, sizeof(*c->insns));
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
    memset(c->hash, 0, sizeof(c->hash));
    memset(c->page_hash, 0, sizeof(c->page_hash));
    c->nblocks = 0;
    c->ninsns = 0;
    c->gen++;
    c->stats.flushes++;
}

static void unlink_hash(struct interp_cache *c, struct ic_block *b)
{
    struct ic_block **pp = &c->hash[host_hash(b->host, b->bits)];
    while (*pp) {
        if (*pp == b) {
            *pp = b->hash_next;
            return;
        }
        pp = &(*pp)->hash_next;
    }
}

void interp_invalidate_phys(struct interp_cache *c, uint64_t gpa, uint64_t len)
{
    if (!c || len == 0)
        return;
    uint64_t end = gpa + len;
    for (uint64_t page = gpa & ~(uint64_t)(IC_PAGE - 1); page < end; page += IC_PAGE) {
        struct ic_block **pp = &c->page_hash[page_hash(page)];
        while (*pp) {
            struct ic_block *b = *pp;
            if (b->gpa < end && b->gpa + b->bytes > gpa) {
                b->valid = 0;
                unlink_hash(c, b);
                *pp = b->page_next;
                c->gen++;
                c->stats.invalidations++;
            } else {
                pp = &b->page_next;
            }
        }
        if (page + IC_PAGE < page) /* wrapped at the top of the address space */
            break;
    }
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

static struct ic_block *build(struct interp_cache *c, struct x86_cpu *cpu,
                              const uint8_t *host, uint64_t lin, int bits)
{
    size_t avail = IC_PAGE - (lin & (IC_PAGE - 1));
    size_t off = 0;
    uint64_t gpa = 0;
    uint32_t pfec;
    struct ic_block *b;

    /* Outside 64-bit mode nothing past the CS limit is decoded. */
    if (bits != 64) {
        uint64_t room = (uint64_t)cpu->seg[S_CS].limit - cpu->rip + 1;
        if (cpu->rip > cpu->seg[S_CS].limit)
            x86_raise(cpu, X86_GP, 0);
        if (room < avail)
            avail = (size_t)room;
    }
    if (c->nblocks == IC_BLOCKS || c->ninsns + IC_MAX_BLOCK_INSNS > IC_INSNS)
        interp_cache_flush(c);
    if (x86_translate(cpu, lin, ACC_EXEC, &gpa, &pfec) < 0)
        return NULL; /* cannot happen after a successful fetch; be safe */

    /* Specialised handlers add to RIP without wrapping it: not in 16-bit
     * code, nor where EIP could wrap within this page. */
    bool fast = bits == 64 || (bits == 32 && cpu->rip < 0xffffe000ull);

    b = &c->blocks[c->nblocks];
    b->insn = &c->insns[c->ninsns];
    b->n = 0;
    while (b->n < IC_MAX_BLOCK_INSNS) {
        struct ic_insn *e = &b->insn[b->n];
        int len = x86_decode(&e->in, host + off, avail - off, bits);
        if (len == X86_DECODE_TOO_LONG && b->n == 0)
            x86_raise(cpu, X86_GP, 0);
        if (len <= 0)
            break; /* crosses the page or the limit: the next block's problem */
        e->fn = fast ? exec_fast_select(&e->in) : NULL;
        if (!e->fn)
            e->fn = x86_exec_table[e->in.op];
        b->n++;
        off += (size_t)len;
        if (ends_block(e->in.op) || off >= avail)
            break;
    }
    if (b->n == 0)
        return NULL;
    b->host = host;
    b->gpa = gpa;
    b->bits = (uint8_t)bits;
    b->bytes = (uint16_t)off;
    b->valid = 1;
    b->chain_ok = !ends_block_sys(b->insn[b->n - 1].in.op);
    b->succ_host[0] = b->succ_host[1] = NULL;
    b->succ[0] = b->succ[1] = NULL;
    c->nblocks++;
    c->ninsns += b->n;
    c->stats.blocks_built++;

    unsigned h = host_hash(host, bits);
    b->hash_next = c->hash[h];
    c->hash[h] = b;
    unsigned p = page_hash(gpa);
    b->page_next = c->page_hash[p];
    c->page_hash[p] = b;
    if (cpu->env.mem && !memmap_is_code(cpu->env.mem, gpa))
        memmap_mark_code(cpu->env.mem, gpa);
    return b;
}

struct ic_block *interp_cache_get(struct interp_cache *c, struct x86_cpu *cpu,
                                  const uint8_t *host, uint64_t lin, int bits)
{
    for (struct ic_block *b = c->hash[host_hash(host, bits)]; b; b = b->hash_next)
        if (b->host == host && b->bits == bits)
            return b;
    return build(c, cpu, host, lin, bits);
}

void interp_cache_stats(const struct interp_cache *c, struct interp_stats *s)
{
    *s = c->stats;
}

void interp_set_debug(struct interp_cache *c, const struct debug_ctl *d)
{
    c->dbg = *d;
    if (c->dbg.nbreak > 16)
        c->dbg.nbreak = 16;
    if (c->dbg.nbreak < 0)
        c->dbg.nbreak = 0;
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
