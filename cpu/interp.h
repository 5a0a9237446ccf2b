/* The interpreter: the run loop and its decoded-instruction cache.
 *
 * The cache holds blocks of pre-decoded instructions (each with its handler
 * resolved), keyed by where the first byte lives in host memory (one to one
 * with the guest-physical address for RAM and ROM), the RIP of the first
 * instruction and the block mode (the code size, and whether the segments
 * are flat: IC_MODE_*).  A block never crosses a 4 KiB page and ends after
 * a control transfer or a system instruction.  Pages that hold blocks are
 * marked in mem/'s code bitmap; a write to one calls
 * interp_invalidate_phys() (through the memmap code hook that
 * cpu/interp_accel.c installs) and drops the blocks it touches.
 *
 * The files: interp.c the run loop; interp_cache.c the cache and decoding
 * a block; block_index.c its index by key and by guest page (shared with
 * the translator); interp_chain.c going from block to block; exec_fast*.c
 * the specialised and fused handlers; interp_accel.c the accelerator;
 * run_checks.h what the run loop checks between blocks (also shared). */
#ifndef GLASS_CPU_INTERP_H
#define GLASS_CPU_INTERP_H

#include <stdint.h>

#include "cpu/block_index.h"
#include "cpu/break_cut.h"
#include "cpu/decode.h"
#include "cpu/exec.h"
#include "cpu/x86_cpu.h"
#include "machine/accel.h"
#include "machine/vm_exit.h"

struct interp_cache;

/* One cached instruction as a block runs it.
 *
 * A handler (ic_fn) executes the instruction at e — a fused one also the
 * next — sets cpu->rip to the next instruction or the branch target, and
 * goes on to the entry to run next: e + 1 (e + 2 after a fused pair) or
 * the first of the next block, or returns NULL to go back to the run loop
 * (how it goes on: ic_go in cpu/interp_block.h).  After the last
 * instruction comes the block's terminator entry, whose handler chains to
 * the next block (cpu/interp_chain.c).  A handler that faults longjmps out
 * (x86_raise) with RIP still at its instruction. */
struct ic_insn;
typedef const struct ic_insn *(*ic_fn)(struct x86_cpu *cpu, const struct ic_insn *e);

struct ic_insn {
    ic_fn fn;                   /* as the block runs it (maybe fused) */
    ic_fn fn1;                  /* this instruction alone (stepping) */
    struct ic_block *blk;       /* the block it belongs to */
    uint64_t next_rip;          /* RIP of the next instruction (wrapped) */
    uint64_t target;            /* relative branches: the target (wrapped) */
    uint16_t cc_mask;           /* Jcc: lf_cond_mask(cond) */
    uint8_t idx;                /* its index in the block */
    struct x86_insn in;         /* RIP-relative operands made absolute */
};

/* What a block's decoding and its handlers assume about the CPU besides
 * the code bytes: the code size, and whether CS, DS, ES and SS are flat
 * (base 0, limit 4 GiB, usable, SS 32-bit) so an offset is the linear
 * address.  Core instructions cannot change either, so a chain of blocks
 * keeps the mode of its first; the run loop computes it afresh. */
#define IC_MODE_BITS 0x7f           /* 16, 32 or 64 */
#define IC_MODE_FLAT 0x80           /* 32-bit flat, or 64-bit */

struct ic_block {
    /* host, rip, mode (IC_MODE_*): the key; gpa, bytes, valid, the links
     * (cpu/block_index.h). */
    BLOCK_KEY_HEADER;
    struct interp_cache *cache;
    struct ic_insn *insn;       /* n instructions, then the terminator */
    uint16_t n;                 /* instructions */
    uint8_t chain_ok;           /* ends in a core op: may go on to the next block */
    /* Blocks run after this one (check ->valid before use), by their RIP.
     * A block ending in a Jcc keeps its target in slot 0 and the
     * fall-through in slot 1, one ending in JMP or CALL its target in
     * slot 0 (succ_fixed); others keep the last two.  succ_direct: the
     * successor is in the same page of a flat block, so CS:RIP names it
     * whenever this block runs and it is valid (cpu/interp_chain.c). */
    uint8_t succ_direct[2];
    uint8_t succ_fixed;
    uint64_t succ_rip[2];
    struct ic_block *succ[2];
};

/* Private to cpu/interp*.c; here so the run loop can inline its lookups. */
struct interp_stats {
    uint64_t blocks_built, flushes, invalidations, uncached_insns;
};
struct interp_cache {
    struct block_index index;  /* the blocks by key and by guest page */
    struct ic_block *blocks;
    size_t nblocks;
    struct ic_insn *insns;
    size_t ninsns;
    uint64_t end_count;        /* the run's budget: chain no block past it */
    uintptr_t stack_limit;     /* the chain's stack guard (interp_block.h) */
    /* The block running (set on entering one, NULL between runs): a fault
     * in it counts the instructions before the faulting one as retired. */
    const struct ic_block *cur;
    struct debug_ctl dbg;
    struct break_cut cut;      /* breakpoints blocks avoid (cpu/break_cut.h) */
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

/* The block for the code at host pointer `host` (CS:RIP, linear address
 * `lin`) in `mode` (IC_MODE_*): from the cache, or decoded now.  NULL when
 * the first instruction crosses the end of the page or the CS limit, or
 * is at an address of the breakpoint cut (the caller then decodes it
 * alone).  May raise #GP (instruction too long). */
struct ic_block *interp_cache_get(struct interp_cache *c, struct x86_cpu *cpu,
                                  const uint8_t *host, uint64_t lin, int mode);

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
