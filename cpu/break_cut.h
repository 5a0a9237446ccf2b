/* The breakpoint cut of a block cache (the interpreter's and the
 * translator's): the linear addresses no cached block starts at or runs
 * into, so that code chained from block to block, which does not come back
 * to the run loop, never passes an armed breakpoint.  A block ends before
 * a cut address; an instruction at one runs alone, through the run loop,
 * which stops there when it is armed.
 *
 * The cut is the set of breakpoints armed when the cache was last flushed.
 * A run without single-stepping whose breakpoints are another set needs
 * the cache flushed (blocks may start at or contain a new address) and the
 * cut becomes that set.  Single steps leave it alone: they stop after one
 * instruction anyway, and the debugger disarms its breakpoints for the
 * step off the current instruction at every `continue`, then arms the same
 * set again, which must not cost a flush. */
#ifndef GLASS_CPU_BREAK_CUT_H
#define GLASS_CPU_BREAK_CUT_H

#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#include "machine/accel.h"

#define BREAK_CUT_MAX 16

struct break_cut {
    int n;
    uint64_t addr[BREAK_CUT_MAX];
};

static inline bool break_cut_has(const struct break_cut *c, uint64_t lin)
{
    for (int i = 0; i < c->n; i++)
        if (c->addr[i] == lin)
            return true;
    return false;
}

/* The breakpoints of d, clamped to what debug_ctl holds. */
static inline int break_cut_count(const struct debug_ctl *d)
{
    return d->nbreak < 0 ? 0 : d->nbreak > BREAK_CUT_MAX ? BREAK_CUT_MAX : d->nbreak;
}

/* New debug settings: true when the caller must flush its cache (the cut
 * is then already d's breakpoints). */
static inline bool break_cut_update(struct break_cut *c, const struct debug_ctl *d)
{
    int n = break_cut_count(d);
    if (d->single_step)
        return false;
    bool same = true;
    for (int i = 0; i < n && same; i++)
        same = break_cut_has(c, d->breaks[i]);
    for (int i = 0; i < c->n && same; i++) {
        same = false;
        for (int j = 0; j < n && !same; j++)
            same = d->breaks[j] == c->addr[i];
    }
    if (same)
        return false;
    c->n = n;
    memcpy(c->addr, d->breaks, (size_t)n * sizeof(d->breaks[0]));
    return true;
}

#endif
