/* The binary translator: guest x86 basic blocks -> IR -> x86-64 host code,
 * run from a code cache (docs/translator.md).  "bt" in -accel.
 *
 * Only on an x86-64 host.  It translates 32-bit flat protected mode and
 * 64-bit mode natively; other modes, single-stepping and breakpoints run
 * on the interpreter (cpu/interp.h), which is also what every instruction
 * the translator does not know calls, one at a time. */
#ifndef GLASS_TRANSLATE_BT_H
#define GLASS_TRANSLATE_BT_H

#include <stdbool.h>
#include <stdint.h>

#include "cpu/x86_cpu.h"
#include "machine/accel.h"
#include "machine/vm_exit.h"

struct bt_vcpu;
struct vcpu;

extern const struct accel_ops accel_bt;

/* One vCPU's translator (code cache, blocks, its interpreter cache).  NULL
 * on failure (out of memory, no executable mapping), with a message. */
struct bt_vcpu *bt_vcpu_create(struct x86_cpu *cpu);
void bt_vcpu_destroy(struct bt_vcpu *bt);

/* Run like interp_run_cache: until HLT, a triple fault, a stop request,
 * a debug event or max_insns instructions (0 = no limit; the budget may
 * be overrun by the rest of a block).  Returns 0. */
int bt_run(struct bt_vcpu *bt, struct vm_exit *exit, uint64_t max_insns);

/* Guest code in [gpa, gpa+len) changed: drop the blocks over it, translated
 * and interpreted (what the memory map's code hook calls). */
void bt_invalidate_phys(struct bt_vcpu *bt, uint64_t gpa, uint64_t len);
/* Drop every block (the state was replaced). */
void bt_flush(struct bt_vcpu *bt);
void bt_set_debug(struct bt_vcpu *bt, const struct debug_ctl *d);
/* Count how often each block is entered (`info tbstats`' hottest blocks,
 * GLASS_BT_STATS); off by default, since it costs time in every block.
 * Applies to blocks translated from now on. */
void bt_set_profiling(bool on);

struct bt_info {
    uint64_t blocks, flushes, invalidations, native_insns, helper_insns;
    uint64_t interp_insns, dispatches, links, code_bytes;
    uint64_t sites;                     /* memory accesses translated with a site */
    uint64_t sites_wide, sites_none;    /* memory instructions whose sites changed kind */
};
void bt_get_info(const struct bt_vcpu *bt, struct bt_info *info);

/* For the debugger (`info tb`, `info tbstats`): one translated block. */
struct bt_block_info {
    uint64_t rip;               /* guest RIP of its first instruction */
    uint64_t gpa;               /* guest-physical address of its first byte */
    unsigned bits;              /* 32 or 64 */
    int user;                   /* translated for CPL 3 */
    int insns, native, guest_bytes;
    uint64_t execs;             /* times entered */
    const uint8_t *guest_code;  /* host view of the guest bytes at rip */
    const uint64_t *insn_rip;   /* each instruction's RIP: a block may go on
                                   at a branch's target (same page) */
    const uint8_t *host_code;   /* the translation (readable copy) */
    size_t host_bytes;
    uint64_t host_addr;         /* where it runs */
};
/* The valid block starting at rip, else one containing it: 0, or -1. */
int bt_block_lookup(struct bt_vcpu *bt, uint64_t rip, struct bt_block_info *out);
/* The block's IR, rebuilt by the frontend, one op a call: gi is the guest
 * instruction index, text from ir_format.  0, or -1 (no such block). */
int bt_block_ir(struct bt_vcpu *bt, uint64_t rip,
                void (*line)(void *opaque, int gi, const char *text), void *opaque);
/* The up to n most executed valid blocks, hottest first; returns how many. */
int bt_hot_blocks(struct bt_vcpu *bt, struct bt_block_info *out, int n);
/* Valid blocks now and the code cache's size. */
void bt_cache_usage(struct bt_vcpu *bt, uint64_t *valid_blocks, uint64_t *cache_size);

/* The budgeted entry for machine/accel.c's accel_run_slice. */
int bt_run_slice(struct vcpu *v, struct vm_exit *exit, uint64_t max_insns);

#endif
