/* Where the debugger finds the board's devices (debugger/board_view.c):
 * one accessor per device, so that when struct machine changes shape only
 * board_view.c follows it.  NULL: the board has no such device (the
 * command then says "no PIC on this machine yet"). */
#ifndef GLASS_DEBUGGER_BOARD_VIEW_H
#define GLASS_DEBUGGER_BOARD_VIEW_H

#include <stdbool.h>

struct machine;
struct pic;
struct pit;
struct lapic;
struct ioapic;
struct ide;
struct rtc;

struct pic *dbg_board_pic(struct machine *m);
struct pit *dbg_board_pit(struct machine *m);
struct lapic *dbg_board_lapic(struct machine *m, int vcpu);
struct ioapic *dbg_board_ioapic(struct machine *m);
struct ide *dbg_board_ide(struct machine *m);
struct rtc *dbg_board_rtc(struct machine *m);
/* vCPU `vcpu` is an AP that has not been started (waits for INIT/SIPI). */
bool dbg_board_vcpu_waits_sipi(struct machine *m, int vcpu);

#endif
