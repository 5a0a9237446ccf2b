/* The translator's rooms talk through this header; nothing outside
 * translate/ includes it (translate/bt.h is the door).
 *
 *   frontend.c     decoded guest instructions -> IR (translate/ir.h)
 *   backend_*.c    IR -> x86-64 in the code cache (backend_x64.h)
 *   x64_emit.c     the x86-64 encoder
 *   codecache.c    the code cache: one memfd mapped twice, RW and RX (W^X)
 *   bt_cache.c     blocks: lookup by host pointer + RIP + mode, build,
 *                  invalidation by guest-physical page (the index is
 *                  cpu/block_index.c, shared with the interpreter), flush
 *   bt_run.c       the dispatcher: interrupts, budget, chaining, faults
 *   bt_helpers.c   the C functions translated code calls
 *   bt_accel.c     struct accel_ops accel_bt
 *   ir.c           IR names and printing */
#ifndef GLASS_TRANSLATE_BT_INTERNAL_H
#define GLASS_TRANSLATE_BT_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "cpu/block_index.h"
#include "cpu/break_cut.h"
#include "cpu/decode.h"
#include "cpu/interp.h"
#include "cpu/x86_cpu.h"
#include "machine/accel.h"
#include "translate/ir.h"

/* Block mode: what decoding and the generated code assume. */
#define BT_MODE_BITS 0x7f   /* 16, 32, 64 */
#define BT_MODE_FLAT 0x80   /* CS DS ES SS flat (always in 64-bit mode) */
#define BT_MODE_USER 0x100  /* CPL 3: the user half of the soft TLB */
/* 32-bit code outside long mode: linear addresses, and so the soft TLB's
 * tags, are below 4 GiB (backend_alu.c folds 32-bit addresses on that) */
#define BT_MODE_LEGACY 0x200

#define BT_MAX_INSNS 64
#define BT_MAX_SIDE_EXITS 7 /* conditional branches a block goes on after */
#define BT_MAX_FOLLOWS 2    /* ... of them backward, going on at the target */
#define BT_MAX_LINKS (2 * (2 + BT_MAX_SIDE_EXITS)) /* twice: a loop's copy has its own */
#define BT_PAGE BLOCK_INDEX_PAGE   /* a block never crosses one (the index relies on it) */

struct bt_block;

/* The words of a site (backend_mem.c, "sites"): two entries, each base,
 * addend and limit - in a BT_SITE_PAGE site base is a page, compared as a
 * tag (SITE_INVALID: empty), in a BT_SITE_WIDE site the entry is a range
 * of up to two adjacent pages one addend serves, the access's offset from
 * base below limit (0: empty); its access's size and kind; a count of its
 * misses that cost (changes of entry, refills) and the instruction count
 * it started from.  What the fast path reads is kept apart from the rest:
 * b->site, 64-byte aligned, two sites a cache line; the rest in
 * b->site_more (bt_site_word). */
enum { SITE_BASE, SITE_ADDEND, SITE_LIMIT, SITE_SIZE, BT_SITE_HOT };
enum {
    SITE_BASE2 = BT_SITE_HOT, SITE_LIMIT2, SITE_ADDEND2, SITE_COUNT, SITE_SINCE, SITE_KIND,
    BT_SITE_WORDS
};
/* What a memory instruction's site is (bt_site_kind): one page an entry,
 * compared as a tag (mov / and / cmp / jne, what most need); up to two
 * pages an entry, compared as a range (mov / sub / cmp / jae: one load
 * more), for an instruction that went back and forth between two adjacent
 * pages; none, the TLB lookup inline, for one that thrashed otherwise
 * (pages apart, three pages or more). */
enum bt_site_kind { BT_SITE_PAGE, BT_SITE_WIDE, BT_SITE_NONE };
/* The empty tag of a BT_SITE_PAGE entry: the fast path's value has bits
 * 3-11 clear. */
#define SITE_INVALID 0x800
/* Misses of a site that cost (changes of entry, refills) after which it
 * changes kind (bt_helpers.c: site_judge), if they came one every
 * SITE_THRASH_GAP guest instructions or faster. */
#define SITE_THRASH 64
#define SITE_THRASH_GAP 256

/* A direct branch at the end of a block, patchable to jump straight to
 * the target block (only within the block's own 4 KiB page: see
 * docs/translator.md, "Chaining"). */
struct bt_link {
    struct bt_block *from;
    size_t site_end;        /* code-cache offset of the end of the jmp/jcc */
    uint64_t target;        /* guest RIP */
    uintptr_t stub;         /* where the jump goes unpatched (to the dispatcher) */
    struct bt_link *next_in;/* the next link patched to the same block */
};

struct bt_block {
    /* host, rip, mode (BT_MODE_*): the key; gpa, bytes, valid, the links
     * (cpu/block_index.h). */
    BLOCK_KEY_HEADER;
    uint16_t n;             /* guest instructions */
    uint8_t native;         /* instructions translated natively (stats) */
    uint64_t execs;         /* entries into the block (counted in its prologue) */
    struct bt_block *all_next;
    uintptr_t entry;        /* where the host code starts (RX address) */
    size_t entry_off;       /* ... as a code-cache offset */
    size_t code_bytes;
    uintptr_t bounce;       /* stub: leave with RIP = rip (invalidation) */
    struct bt_link *in;     /* links patched to jump here: unpatched again
                               when the block is invalidated, so the
                               dispatcher can link them to its successor */
    struct bt_link link[BT_MAX_LINKS];
    uint64_t *insn_rip;     /* n */
    struct x86_insn *insn;  /* n: what IR_INSN hands the interpreter */
    /* One per memory access: copies of the TLB entries it used last
     * (backend_mem.c: "sites"; the words above), made under TLB site_gen
     * site_stamp (the block's entry empties them when it moved on). */
    uint64_t (*site)[BT_SITE_HOT];
    uint64_t (*site_more)[BT_SITE_WORDS - BT_SITE_HOT];
    uint32_t nsites;
    uint64_t site_stamp;
};

/* Word `word` of block b's site i. */
static inline uint64_t *bt_site_word(const struct bt_block *b, uint32_t i, int word)
{
    return word < BT_SITE_HOT ? &b->site[i][word] : &b->site_more[i][word - BT_SITE_HOT];
}

/* The code cache (codecache.c). */
struct bt_code {
    int fd;
    uint8_t *rw;            /* written here */
    uint8_t *rx;            /* run from here */
    size_t size;
    size_t used;            /* bump allocation; the stubs first */
    size_t stubs_end;       /* code below this survives a flush */
};

int bt_code_init(struct bt_code *c, size_t size);
void bt_code_destroy(struct bt_code *c);

#define BT_NOSITE_SIZE 1024u
#define BT_JC_BITS 12
#define BT_JC_SIZE (1u << BT_JC_BITS)

struct bt_jc_entry {
    uint64_t rip;
    uintptr_t code;
};

struct bt_stats {
    uint64_t blocks, flushes, invalidations, native_insns, helper_insns;
    uint64_t interp_insns, dispatches, links;
    uint64_t sites;                     /* accesses translated with one */
    uint64_t sites_wide, sites_none;    /* site kind changes (bt_helpers.c) */
};

/* What translated code tests on every back edge, allocated on its own: a
 * small allocation usually lands in the heap next to the vCPU, within a
 * 32-bit displacement of rbx (backend_regs.c: be_bt_field), which the large
 * struct bt_vcpu (mapped by itself) is not. */
struct bt_hot {
    uint64_t end_count;     /* the run's budget: no block starts past it */
    uint8_t invalidated;    /* a block was invalidated during this entry */
};

/* One vCPU's translator state.  Generated code reaches hot and jc at
 * their absolute addresses (each vCPU has its own code cache). */
struct bt_vcpu {
    struct bt_hot *hot;
    struct bt_jc_entry jc[BT_JC_SIZE]; /* guest RIP -> host code */

    struct x86_cpu *cpu;
    struct bt_code code;
    uint64_t gen;           /* incremented by every flush */
    struct block_index index; /* the blocks by key and by guest page */
    struct bt_block *all;   /* every block, for the flush */
    /* Global stubs in the code cache. */
    uintptr_t enter;        /* uintptr_t enter(cpu, bt, code) */
    uintptr_t exit0;        /* leave, returning 0 (RIP already stored) */
    uintptr_t epilogue;     /* leave, returning rax */
    uintptr_t jc_lookup;    /* rax = RIP (stored): jump cache, else exit0 */
    /* Instructions whose sites changed kind from BT_SITE_PAGE (open
     * addressing: rip + 1, 0 = empty; full: no more are added), and to
     * what. */
    uint64_t site_note[BT_NOSITE_SIZE];
    uint8_t site_note_kind[BT_NOSITE_SIZE];
    /* The context the jump cache was filled in. */
    unsigned jc_mode;
    uint64_t jc_tlb_gen;

    struct interp_cache *icache; /* the interpreter, for what bt leaves to it */
    bool no_sites;          /* GLASS_BT_NOSITES: memory accesses without sites */
    bool stepping;          /* single steps go to the interpreter */
    struct break_cut cut;   /* breakpoints blocks avoid (cpu/break_cut.h) */
    struct ir_block ir;     /* scratch for the frontend */
    struct bt_stats stats;
};

/* A system instruction (x86_ops.h owner "sys"; unknown ops count as one)
 * that may change the mode, CS, paging, IF or TF, so that its block ends
 * after it.  Some system instructions change none of those and run
 * mid-block through the interpreter's handler like any other: PUSH of a
 * segment register (a kernel's trap entry pushes four), PUSHF, CPUID,
 * RDTSC, RDTSCP. */
static inline bool bt_op_changes_context(int op)
{
    if (op == X86_OP_PUSH_SREG || op == X86_OP_PUSHF || op == X86_OP_CPUID ||
        op == X86_OP_RDTSC || op == X86_OP_RDTSCP)
        return false;
    switch (op) {
#define X86_SYS(name, owner) case X86_OP_##name: return #owner[0] == 's';
        X86_OPS(X86_SYS)
#undef X86_SYS
    default:
        return true;
    }
}

/* frontend.c: the IR of insns[0..n) (RIPs in rips) for mode.  Returns the
 * number of guest instructions translated natively. */
int bt_frontend(struct ir_block *ir, const struct x86_insn *insns, const uint64_t *rips, int n,
                unsigned mode);

/* backend_x64.c: host code for block b from ir at the end of the code
 * cache; fills b->entry, bounce, links.  0, or -1 when the cache is full. */
int bt_backend(struct bt_vcpu *bt, struct bt_block *b, const struct ir_block *ir);
/* The global stubs at the start of the code cache. */
void bt_backend_stubs(struct bt_vcpu *bt);
/* Make b's entry leave for the dispatcher (b invalidated). */
void bt_backend_unlink_entry(struct bt_vcpu *bt, struct bt_block *b);
/* Point link l at the host code `target`. */
void bt_backend_patch(struct bt_vcpu *bt, const struct bt_link *l, uintptr_t target);

/* bt_cache.c */
struct bt_block *bt_block_get(struct bt_vcpu *bt, const uint8_t *host, uint64_t lin,
                              unsigned mode);
void bt_cache_flush(struct bt_vcpu *bt);
void bt_cache_invalidate(struct bt_vcpu *bt, uint64_t gpa, uint64_t len);
void bt_jc_clear(struct bt_vcpu *bt);
static inline unsigned bt_jc_hash(uint64_t rip)
{
    return (unsigned)((rip ^ (rip >> BT_JC_BITS)) & (BT_JC_SIZE - 1));
}

/* bt_debug.c: a new block, for the perf map (GLASS_BT_PERFMAP). */
void bt_perfmap_note(const struct bt_block *b);

/* bt_helpers.c: called from translated code.  info = seg | size << 8. */
uint64_t bt_helper_load(struct x86_cpu *cpu, uint64_t off, uint32_t info);
uint64_t bt_helper_load_rmw(struct x86_cpu *cpu, uint64_t off, uint32_t info);
void bt_helper_store(struct x86_cpu *cpu, uint64_t off, uint32_t info, uint64_t val);
uint64_t bt_helper_cond(struct x86_cpu *cpu, uint64_t cc);
void bt_helper_fold_cf(struct x86_cpu *cpu);
/* BT_SITE_WIDE site `site` of block b (its instruction at rip) missed
 * both its entries and the TLB has the access's page, host = linear +
 * addend: the site's entries take it (backend_mem.c, "sites").  Returns
 * addend.  A site that refills too often changes kind, and b is
 * translated again. */
uint64_t bt_helper_site_fill(struct bt_vcpu *bt, struct bt_block *b, uint64_t rip, uint64_t site,
                             uint64_t page, uint64_t addend);
/* Site `site` of block b changed between its entries SITE_THRASH times: if
 * that came fast, its instruction's site changes kind and b is translated
 * again.  Returns the addend of its first entry. */
uint64_t bt_helper_site_switch(struct bt_vcpu *bt, struct bt_block *b, uint64_t rip, uint64_t site);
/* The kind of site the instruction at rip gets (enum bt_site_kind). */
int bt_site_kind(const struct bt_vcpu *bt, uint64_t rip);

#endif
