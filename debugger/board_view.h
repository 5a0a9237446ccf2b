/* Where the debugger finds the board's devices.  struct machine is being
 * extended device by device; these accessors keep debugger/ compiling
 * whatever it holds today.  debugger/board_view.c gives weak defaults that
 * return NULL ("no PIC on this machine yet"); the board overrides each one
 * with a strong definition returning its device once it has it, e.g. in
 * machine/board_debug.c:
 *     struct pic *dbg_board_pic(struct machine *m) { return &m->pic; } */
#ifndef GLASS_DEBUGGER_BOARD_VIEW_H
#define GLASS_DEBUGGER_BOARD_VIEW_H

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

#endif
