/* Weak defaults of debugger/board_view.h: the board does not have the
 * device (yet).  A strong definition elsewhere replaces each. */
#include "debugger/board_view.h"

#include <stddef.h>

__attribute__((weak)) struct pic *dbg_board_pic(struct machine *m) { (void)m; return NULL; }
__attribute__((weak)) struct pit *dbg_board_pit(struct machine *m) { (void)m; return NULL; }
__attribute__((weak)) struct lapic *dbg_board_lapic(struct machine *m, int vcpu)
{
    (void)m;
    (void)vcpu;
    return NULL;
}
__attribute__((weak)) struct ioapic *dbg_board_ioapic(struct machine *m) { (void)m; return NULL; }
__attribute__((weak)) struct ide *dbg_board_ide(struct machine *m) { (void)m; return NULL; }
__attribute__((weak)) struct rtc *dbg_board_rtc(struct machine *m) { (void)m; return NULL; }
