/* The debugger's core: the breakpoint and watchpoint tables and the vCPU
 * state the commands act on (debugger/debugger.h).
 *
 * Breakpoints are addresses (linear, physical), modes, exit reasons,
 * vectors or ports kept in a table here, never bytes patched into guest
 * memory: a kernel loaded over a breakpoint's address keeps the breakpoint,
 * and the guest never sees an INT3 it did not write. */
#include "debugger/debugger.h"

#include <string.h>

#include "machine/board.h"

void debugger_init(struct debugger *d, struct machine *m)
{
    memset(d, 0, sizeof(*d));
    d->m = m;
    d->next_id = 1;
    d->step_irqs_masked = true;
}

int dbg_break_add(struct debugger *d, const struct dbg_breakpoint *bp)
{
    if (bp->kind > BK_PORT)
        return -1;
    for (int i = 0; i < DBG_MAX_BREAKPOINTS; i++) {
        if (d->bp[i].id)
            continue;
        d->bp[i] = *bp;
        d->bp[i].id = d->next_id++;
        d->bp[i].hits = 0;
        return d->bp[i].id;
    }
    return -1;
}

int dbg_watch_add(struct debugger *d, const struct dbg_watchpoint *wp)
{
    if (wp->len == 0 || wp->len > DBG_WATCH_MAX_LEN || wp->access < WATCH_WRITE ||
        wp->access > WATCH_ACCESS)
        return -1;
    for (int i = 0; i < DBG_MAX_WATCHPOINTS; i++) {
        if (d->wp[i].id)
            continue;
        d->wp[i] = *wp;
        d->wp[i].id = d->next_id++;
        d->wp[i].hits = 0;
        return d->wp[i].id;
    }
    return -1;
}

struct dbg_breakpoint *dbg_break_find(struct debugger *d, int id)
{
    for (int i = 0; id > 0 && i < DBG_MAX_BREAKPOINTS; i++)
        if (d->bp[i].id == id)
            return &d->bp[i];
    return NULL;
}

struct dbg_watchpoint *dbg_watch_find(struct debugger *d, int id)
{
    for (int i = 0; id > 0 && i < DBG_MAX_WATCHPOINTS; i++)
        if (d->wp[i].id == id)
            return &d->wp[i];
    return NULL;
}

int dbg_delete(struct debugger *d, int id)
{
    struct dbg_breakpoint *bp = dbg_break_find(d, id);
    if (bp) {
        memset(bp, 0, sizeof(*bp));
        return 0;
    }
    struct dbg_watchpoint *wp = dbg_watch_find(d, id);
    if (wp) {
        memset(wp, 0, sizeof(*wp));
        return 0;
    }
    return -1;
}

int dbg_enable(struct debugger *d, int id, bool on)
{
    struct dbg_breakpoint *bp = dbg_break_find(d, id);
    if (bp) {
        bp->enabled = on;
        return 0;
    }
    struct dbg_watchpoint *wp = dbg_watch_find(d, id);
    if (wp) {
        wp->enabled = on;
        return 0;
    }
    return -1;
}

struct x86_cpu *dbg_vcpu_cpu(struct debugger *d, int i)
{
    struct machine *m = d->m;
    if (i < 0 || i >= m->nvcpus)
        return NULL;
    struct vcpu *v = &m->vcpu[i];
    if (m->accel && m->accel->state_out)
        m->accel->state_out(v);
    return &v->cpu;
}

struct x86_cpu *dbg_cpu(struct debugger *d)
{
    if (d->cur_vcpu < 0 || d->cur_vcpu >= d->m->nvcpus)
        d->cur_vcpu = 0;
    return dbg_vcpu_cpu(d, d->cur_vcpu);
}

int dbg_select_vcpu(struct debugger *d, int i)
{
    if (i < 0 || i >= d->m->nvcpus)
        return -1;
    d->cur_vcpu = i;
    return 0;
}

void dbg_cpu_changed(struct debugger *d)
{
    struct machine *m = d->m;
    struct vcpu *v = &m->vcpu[d->cur_vcpu];
    if (m->accel && m->accel->state_in)
        m->accel->state_in(v);
}

int dbg_cpu_mode(const struct x86_cpu *cpu)
{
    if (!x86_protected(cpu) || x86_vm86(cpu))
        return 16;
    return x86_code64(cpu) ? 64 : 32;
}

const char *dbg_cpu_mode_name(const struct x86_cpu *cpu)
{
    if (x86_code64(cpu))
        return "long mode";
    if (x86_long_mode(cpu))
        return "compatibility mode";
    if (x86_vm86(cpu))
        return "virtual-8086 mode";
    return x86_protected(cpu) ? "protected mode" : "real mode";
}

uint64_t dbg_pc_linear(const struct x86_cpu *cpu)
{
    uint64_t lin = cpu->seg[S_CS].base + cpu->rip;
    return x86_code64(cpu) ? lin : (lin & 0xffffffffull);
}
