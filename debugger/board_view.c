/* The board's devices for the debugger (debugger/board_view.h). */
#include "debugger/board_view.h"

#include "machine/board.h"

struct pic *dbg_board_pic(struct machine *m) { return &m->pic; }
struct pit *dbg_board_pit(struct machine *m) { return &m->pit; }
struct lapic *dbg_board_lapic(struct machine *m, int vcpu)
{
    return vcpu >= 0 && vcpu < m->nvcpus ? &m->lapic[vcpu] : NULL;
}
struct ioapic *dbg_board_ioapic(struct machine *m) { return &m->ioapic; }
struct ide *dbg_board_ide(struct machine *m) { return m->ide; }
struct rtc *dbg_board_rtc(struct machine *m) { return &m->rtc; }
bool dbg_board_vcpu_waits_sipi(struct machine *m, int vcpu)
{
    return vcpu >= 0 && vcpu < m->nvcpus && m->sched[vcpu].wait_sipi &&
           !m->sched[vcpu].sipi_pending;
}
