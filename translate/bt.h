/* The binary translator: guest x86 basic blocks -> IR -> x86-64 host code,
 * run from a code cache (docs/translator.md).  "bt" in -accel.
 *
 * Only on an x86-64 host.  It translates 32-bit flat protected mode and
 * 64-bit mode natively; other modes, single-stepping and breakpoints run
 * on the interpreter (cpu/interp.h), which is also what every instruction
 * the translator does not know calls, one at a time. */
#ifndef GLASS_TRANSLATE_BT_H
#define GLASS_TRANSLATE_BT_H

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

struct bt_info {
    uint64_t blocks, flushes, invalidations, native_insns, helper_insns;
    uint64_t interp_insns, dispatches, links, code_bytes;
};
void bt_get_info(const struct bt_vcpu *bt, struct bt_info *info);

/* The budgeted entry for machine/accel.c's accel_run_slice. */
int bt_run_slice(struct vcpu *v, struct vm_exit *exit, uint64_t max_insns);

#endif
