/* The interpreter as an accelerator (machine/accel.h): "interp".  Always
 * usable; each vCPU gets its own decoded-instruction cache, and the memory
 * map's code hook drops cached blocks when the guest writes to code. */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>

#include "cpu/interp.h"
#include "machine/accel.h"
#include "machine/board.h"
#include "mem/memmap.h"

/* Instructions per interp_run call: run() loops, so this only bounds how
 * long a stop request that nobody signalled through env can wait. */
#define INTERP_SLICE 0

static int interp_probe(char *why, size_t len)
{
    (void)why;
    (void)len;
    return 0;
}

/* The memory map's code-write hook: every vCPU's cache forgets the code. */
static void interp_code_written(void *opaque, uint64_t gpa, uint64_t len)
{
    struct machine *m = opaque;
    for (int i = 0; i < m->nvcpus; i++)
        if (m->vcpu[i].accel_state)
            interp_invalidate_phys(m->vcpu[i].accel_state, gpa, len);
}

static int interp_init(struct machine *m)
{
    memmap_set_code_hook(&m->mem, interp_code_written, m);
    return 0;
}

static int interp_vcpu_init(struct vcpu *v)
{
    struct interp_cache *c = interp_cache_create();
    if (!c) {
        fprintf(stderr, "glass: out of memory for the interpreter cache of vCPU %d\n", v->index);
        return -ENOMEM;
    }
    v->accel_state = c;
    interp_attach(&v->cpu, c);
    return 0;
}

static int interp_accel_run(struct vcpu *v, struct vm_exit *exit)
{
    return interp_run_cache(&v->cpu, v->accel_state, exit, INTERP_SLICE);
}

/* Fold the lazy flags into RFLAGS so every reader sees plain state. */
static void interp_state_out(struct vcpu *v)
{
    x86_set_rflags(&v->cpu, x86_get_rflags(&v->cpu));
}

/* The state may have been replaced wholesale (snapshot, reset, another
 * accelerator): nothing cached about the code can be trusted. */
static void interp_state_in(struct vcpu *v)
{
    if (v->accel_state)
        interp_cache_flush(v->accel_state);
}

static int interp_set_debug_ctl(struct vcpu *v, const struct debug_ctl *d)
{
    if (!v->accel_state)
        return -EINVAL;
    interp_set_debug(v->accel_state, d);
    return 0;
}

static int interp_dirty_pages(struct machine *m, uint64_t *bitmap)
{
    (void)m;
    (void)bitmap;
    return -ENOSYS;
}

static void interp_vcpu_destroy(struct vcpu *v)
{
    /* GLASS_INTERP_STATS=1: what the interpreter did, for measuring. */
    if (getenv("GLASS_INTERP_STATS") && v->accel_state) {
        struct interp_stats st;
        interp_cache_stats(v->accel_state, &st);
        fprintf(stderr, "glass: interp vCPU %d: %" PRIu64 " instructions, %" PRIu64
                " blocks decoded, %" PRIu64 " invalidated, %" PRIu64 " cache flushes, %" PRIu64
                " uncached instructions\n", v->index, v->cpu.insn_count, st.blocks_built,
                st.invalidations, st.flushes, st.uncached_insns);
    }
    interp_attach(&v->cpu, NULL);
    interp_cache_destroy(v->accel_state);
    v->accel_state = NULL;
}

static void interp_destroy(struct machine *m)
{
    memmap_set_code_hook(&m->mem, NULL, NULL);
}

const struct accel_ops accel_interp = {
    .name = "interp",
    .probe = interp_probe,
    .init = interp_init,
    .vcpu_init = interp_vcpu_init,
    .run = interp_accel_run,
    .state_out = interp_state_out,
    .state_in = interp_state_in,
    .set_debug = interp_set_debug_ctl,
    .dirty_pages = interp_dirty_pages,
    .vcpu_destroy = interp_vcpu_destroy,
    .destroy = interp_destroy,
};
