/* The translator as an accelerator (machine/accel.h): "bt".  Each vCPU gets
 * a translator (code cache, blocks, an interpreter cache for what runs on
 * the interpreter); the memory map's code hook drops translated blocks and
 * the interpreter's decoded blocks when the guest writes to code.  The
 * memory map has one code hook: bt installs its own, which serves both
 * caches, so the interpreter's hook is not needed while bt runs. */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>

#include "cpu/flags.h"
#include "machine/accel.h"
#include "machine/board.h"
#include "mem/memmap.h"
#include "translate/bt.h"

/* Instructions per run() when called without a budget: run() must come
 * back now and then for the board's timers (machine/smp.c). */
#define BT_RUN_SLICE 200000

static int bt_probe(char *why, size_t len)
{
#if defined(__x86_64__)
    (void)why;
    (void)len;
    return 0;
#else
    snprintf(why, len, "the binary translator emits x86-64 code and this host is not x86-64");
    return -1;
#endif
}

static void bt_code_written(void *opaque, uint64_t gpa, uint64_t len)
{
    struct machine *m = opaque;
    for (int i = 0; i < m->nvcpus; i++) {
        if (m->vcpu[i].accel_state)
            bt_invalidate_phys(m->vcpu[i].accel_state, gpa, len);
    }
}

static int bt_init(struct machine *m)
{
    memmap_set_code_hook(&m->mem, bt_code_written, m);
    return 0;
}

static int bt_vcpu_init(struct vcpu *v)
{
    struct bt_vcpu *bt = bt_vcpu_create(&v->cpu);
    if (!bt)
        return -ENOMEM;
    v->accel_state = bt;
    return 0;
}

int bt_run_slice(struct vcpu *v, struct vm_exit *exit, uint64_t max_insns)
{
    return bt_run(v->accel_state, exit, max_insns);
}

static int bt_accel_run(struct vcpu *v, struct vm_exit *exit)
{
    return bt_run(v->accel_state, exit, BT_RUN_SLICE);
}

static void bt_state_out(struct vcpu *v)
{
    x86_set_rflags(&v->cpu, x86_get_rflags(&v->cpu));
}

static void bt_state_in(struct vcpu *v)
{
    if (v->accel_state)
        bt_flush(v->accel_state);
}

static int bt_set_debug_ctl(struct vcpu *v, const struct debug_ctl *d)
{
    if (!v->accel_state)
        return -EINVAL;
    bt_set_debug(v->accel_state, d);
    return 0;
}

static int bt_dirty_pages(struct machine *m, uint64_t *bitmap)
{
    (void)m;
    (void)bitmap;
    return -ENOSYS;
}

static void bt_accel_vcpu_destroy(struct vcpu *v)
{
    /* GLASS_BT_STATS=1: what the translator did, for measuring. */
    if (getenv("GLASS_BT_STATS") && v->accel_state) {
        struct bt_info in;
        bt_get_info(v->accel_state, &in);
        fprintf(stderr, "glass: bt vCPU %d: %" PRIu64 " instructions; %" PRIu64 " blocks (%"
                PRIu64 " instructions native, %" PRIu64 " through the interpreter's handlers), %"
                PRIu64 " run on the interpreter, %" PRIu64 " dispatches, %" PRIu64 " links, %"
                PRIu64 " invalidated, %" PRIu64 " flushes, %" PRIu64 " KiB of code; sites of %"
                PRIu64 " instructions made wide, %" PRIu64 " given up\n",
                v->index, v->cpu.insn_count, in.blocks, in.native_insns, in.helper_insns,
                in.interp_insns, in.dispatches, in.links, in.invalidations, in.flushes,
                in.code_bytes / 1024, in.sites_wide, in.sites_none);
    }
    bt_vcpu_destroy(v->accel_state);
    v->accel_state = NULL;
}

static void bt_destroy(struct machine *m)
{
    memmap_set_code_hook(&m->mem, NULL, NULL);
}

const struct accel_ops accel_bt = {
    .name = "bt",
    .probe = bt_probe,
    .init = bt_init,
    .vcpu_init = bt_vcpu_init,
    .run = bt_accel_run,
    .state_out = bt_state_out,
    .state_in = bt_state_in,
    .set_debug = bt_set_debug_ctl,
    .dirty_pages = bt_dirty_pages,
    .vcpu_destroy = bt_accel_vcpu_destroy,
    .destroy = bt_destroy,
};
