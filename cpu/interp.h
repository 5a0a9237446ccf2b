/* The interpreter: the run loop and its decoded-instruction cache.
 *
 * The cache holds blocks of pre-decoded instructions (each with its handler
 * resolved), keyed by where the first byte lives in host memory (one to one
 * with the guest-physical address for RAM and ROM) and the code size
 * (16/32/64), which is all that changes decoding.  A block never crosses a
 * 4 KiB page and ends after a control transfer or a system instruction.
 * Pages that hold blocks are marked in mem/'s code bitmap; a write to one
 * calls interp_invalidate_phys() (through the memmap code hook that
 * cpu/interp_accel.c installs) and drops the blocks it touches. */
#ifndef GLASS_CPU_INTERP_H
#define GLASS_CPU_INTERP_H

#include <stdint.h>

#include "cpu/decode.h"
#include "cpu/exec.h"
#include "cpu/x86_cpu.h"
#include "machine/accel.h"
#include "machine/vm_exit.h"

struct interp_cache;

/* One cached instruction: the handler and the decoded instruction. */
struct ic_insn {
    x86_exec_fn fn;
    struct x86_insn in;
};

struct ic_block {
    const uint8_t *host;        /* host pointer of the first byte: the key */
    uint64_t gpa;               /* its guest-physical address */
    struct ic_block *hash_next; /* lookup chain */
    struct ic_block *page_next; /* blocks of the same guest page */
    struct ic_insn *insn;
    uint16_t n;                 /* instructions */
    uint16_t bytes;             /* bytes of guest code covered */
    uint8_t bits;               /* code size it was decoded for */
    uint8_t valid;
    uint8_t chain_ok;           /* ends in a core op: may go on to the next block */
    /* The last blocks run after this one within its page: host pointer of
     * the successor and the block (check ->valid before use). */
    const uint8_t *succ_host[2];
    struct ic_block *succ[2];
};

/* Private to cpu/interp*.c; here so the run loop can inline its lookups. */
#define IC_HASH_BITS 15
#define IC_PAGE_HASH_BITS 12
struct interp_stats {
    uint64_t blocks_built, flushes, invalidations, uncached_insns;
};
struct interp_cache {
    struct ic_block *hash[1u << IC_HASH_BITS];
    struct ic_block *page_hash[1u << IC_PAGE_HASH_BITS];
    struct ic_block *blocks;
    size_t nblocks;
    struct ic_insn *insns;
    size_t ninsns;
    uint64_t gen;              /* bumped by every invalidation and flush */
    struct debug_ctl dbg;
    uint64_t resume_lin;       /* breakpoint to step over once on resume */
    int resume_valid;
    struct interp_stats stats;
};

struct interp_cache *interp_cache_create(void);
void interp_cache_destroy(struct interp_cache *c);
/* Drop every block. */
void interp_cache_flush(struct interp_cache *c);
/* Guest code in [gpa, gpa+len) changed: drop the blocks that cover it. */
void interp_invalidate_phys(struct interp_cache *c, uint64_t gpa, uint64_t len);

/* The block for the code at host pointer `host`, linear address `lin`, of
 * `bits`: from the cache, or decoded now.  NULL when the first instruction
 * crosses the end of the page or the CS limit (the caller then decodes it
 * alone).  May raise #GP (instruction too long). */
struct ic_block *interp_cache_get(struct interp_cache *c, struct x86_cpu *cpu,
                                  const uint8_t *host, uint64_t lin, int bits);
/* Bumped by every invalidation (a block being run may have been dropped). */
static inline uint64_t interp_cache_gen(const struct interp_cache *c)
{
    return c->gen;
}

/* Statistics, for the debugger and the tests. */
void interp_cache_stats(const struct interp_cache *c, struct interp_stats *s);

/* For the run loop (cpu/interp.c): the debug settings, the breakpoint to
 * step over once when resuming from it, statistics. */
const struct debug_ctl *interp_cache_debug(const struct interp_cache *c);
int interp_cache_take_resume(struct interp_cache *c, uint64_t lin);
void interp_cache_set_resume(struct interp_cache *c, uint64_t lin);
void interp_cache_count_uncached(struct interp_cache *c);

/* Associate a cache (and debug settings) with a CPU for interp_run;
 * NULL detaches.  Without a cache interp_run decodes every instruction. */
void interp_attach(struct x86_cpu *cpu, struct interp_cache *c);
/* Breakpoints and single-step for interp_run (see struct debug_ctl). */
void interp_set_debug(struct interp_cache *c, const struct debug_ctl *d);

/* Run the CPU until it must stop: exit->reason is EXIT_HLT (halted; the
 * machine decides whether to wait), EXIT_TRIPLE_FAULT, EXIT_GLASS_STOP
 * (env.stop_request, or max_insns instructions retired; 0 = no limit) or
 * EXIT_GLASS_DEBUG (breakpoint or single step).  Faults inside instructions
 * are delivered to the guest (x86_deliver_pending).  Returns 0. */
int interp_run(struct x86_cpu *cpu, struct vm_exit *exit, uint64_t max_insns);
int interp_run_cache(struct x86_cpu *cpu, struct interp_cache *c, struct vm_exit *exit,
                     uint64_t max_insns);

/* Execute exactly one instruction at CS:RIP, decoded afresh; a fault is left
 * in cpu->pending, not delivered (returns 1 then, else 0).  For tests and
 * for the translator's calls into the interpreter. */
int interp_step(struct x86_cpu *cpu);

#endif
