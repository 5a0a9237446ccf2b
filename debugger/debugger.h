/* The debugger's core: breakpoints, watchpoints, run control and guest
 * memory access, shared by the REPL (debugger/repl*.c) and the gdb remote
 * stub (debugger/gdbstub*.c).  Every view reads struct x86_cpu (after the
 * accelerator's state_out), the mem/ walkers, device state and the exit log,
 * so it works the same on every accelerator.
 *
 * Run control (debugger/runctl.c) drives the board: it sets the
 * accelerator's debug controls (struct debug_ctl: single step, linear
 * breakpoints) and runs the machine until something the debugger asked for
 * happens, then returns a struct dbg_stop saying what. */
#ifndef GLASS_DEBUGGER_DEBUGGER_H
#define GLASS_DEBUGGER_DEBUGGER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "machine/vm_exit.h"

struct machine;
struct x86_cpu;

#define DBG_MAX_BREAKPOINTS 64
#define DBG_MAX_WATCHPOINTS 16

enum dbg_break_kind {
    BK_LINEAR,      /* instruction at a linear address (CS.base + RIP) */
    BK_PHYSICAL,    /* instruction at a guest-physical address */
    BK_MODE,        /* a switch into mode `value`: 16 (real), 32 (protected), 64 (long) */
    BK_EXIT,        /* a VM exit with reason `value` (VMX numbering) */
    BK_VECTOR,      /* an exception or interrupt with vector `value` */
    BK_PORT,        /* an IN/OUT on port `value` */
};

/* An optional condition: the breakpoint fires only when gpr/rip/... `reg`
 * (a register name as the REPL spells it: "rax", "eax", "cs", "rip"...)
 * compares with value by op ("==", "!=", "<", ">", "<=", ">="). */
struct dbg_cond {
    bool active;
    char reg[8];
    char op[3];
    uint64_t value;
};

struct dbg_breakpoint {
    int id;                 /* 1, 2, ... (0 = free slot) */
    enum dbg_break_kind kind;
    uint64_t value;         /* address, mode, reason, vector or port */
    struct dbg_cond cond;
    bool temporary;         /* tbreak: deleted when hit */
    bool enabled;
    uint64_t hits;
    bool from_gdb;          /* set by the gdb stub (Z0/Z1), not shown as user's */
};

enum dbg_watch_access { WATCH_WRITE = 1, WATCH_READ = 2, WATCH_ACCESS = 3 };

struct dbg_watchpoint {
    int id;
    bool physical;          /* guest-physical range, else linear */
    uint64_t start, len;
    enum dbg_watch_access access;
    bool enabled;
    uint64_t hits;
    bool from_gdb;
};

enum dbg_stop_reason {
    STOP_STEP_DONE,         /* stepi/next/finish/until finished */
    STOP_BREAKPOINT,        /* bp_id says which */
    STOP_WATCHPOINT,        /* wp_id, addr (the accessed address), access */
    STOP_INTERRUPTED,       /* Ctrl-C / gdb 0x03 */
    STOP_MACHINE_EXIT,      /* the guest ended (debug-exit, triple fault with -no-reboot, ...) */
    STOP_HALTED,            /* every vCPU halted with nothing to wake it */
    STOP_ERROR,             /* accelerator error; exit.error.message */
};

struct dbg_stop {
    enum dbg_stop_reason reason;
    int vcpu;               /* the vCPU that stopped */
    int bp_id, wp_id;
    uint64_t addr;          /* watchpoint: accessed address */
    int access;             /* watchpoint: WATCH_READ or WATCH_WRITE */
    struct vm_exit exit;    /* BK_EXIT / BK_PORT / BK_VECTOR details, or the error */
    int exit_status;        /* STOP_MACHINE_EXIT: glass's exit status */
};

struct debugger {
    struct machine *m;
    int cur_vcpu;                           /* the vCPU commands act on */
    struct dbg_breakpoint bp[DBG_MAX_BREAKPOINTS];
    struct dbg_watchpoint wp[DBG_MAX_WATCHPOINTS];
    int next_id;
    bool step_irqs_masked;                  /* stepping with interrupts masked (default) */
    volatile int interrupt;                 /* Ctrl-C pending */
};

void debugger_init(struct debugger *d, struct machine *m);

/* Breakpoints and watchpoints: the new id, or -1 (table full / bad). */
int dbg_break_add(struct debugger *d, const struct dbg_breakpoint *bp);
int dbg_watch_add(struct debugger *d, const struct dbg_watchpoint *wp);
int dbg_delete(struct debugger *d, int id);          /* either kind; 0 or -1 */
int dbg_enable(struct debugger *d, int id, bool on);  /* 0 or -1 */

/* Run control (debugger/runctl.c).  Each returns 0 with *why filled, or -1. */
int dbg_continue(struct debugger *d, struct dbg_stop *why);
int dbg_stepi(struct debugger *d, uint64_t n, struct dbg_stop *why);
int dbg_next(struct debugger *d, struct dbg_stop *why);     /* over CALL/INT */
int dbg_finish(struct debugger *d, struct dbg_stop *why);   /* to the return */
int dbg_until(struct debugger *d, uint64_t lin, struct dbg_stop *why);
/* Ask a running dbg_continue to stop (async-signal-safe). */
void dbg_interrupt(struct debugger *d);

/* The current vCPU's state, brought up to date from the accelerator. */
struct x86_cpu *dbg_cpu(struct debugger *d);
/* vCPU i's state, brought up to date; NULL when the machine has no vCPU i. */
struct x86_cpu *dbg_vcpu_cpu(struct debugger *d, int i);
/* Make vCPU i the current one (the one the state commands show and change,
 * that steps, and on which linear breakpoints are armed): 0, or -1 when the
 * machine has no vCPU i. */
int dbg_select_vcpu(struct debugger *d, int i);
/* After the debugger changed registers: push them to the accelerator. */
void dbg_cpu_changed(struct debugger *d);

/* Guest memory for the debugger: never raises guest faults.  Linear reads
 * go through the guest page tables of the current vCPU.  Return the number
 * of bytes done (short at the first unmapped page), or -1. */
long dbg_read_linear(struct debugger *d, uint64_t lin, void *buf, size_t len);
long dbg_write_linear(struct debugger *d, uint64_t lin, const void *buf, size_t len);
long dbg_read_phys(struct debugger *d, uint64_t gpa, void *buf, size_t len);
long dbg_write_phys(struct debugger *d, uint64_t gpa, const void *buf, size_t len);

/* --- Additions (debugger/core.c, regs.c, memory.c, runctl.c) --- */

/* Longest watched range: write watchpoints compare the bytes after every
 * instruction with a copy taken before it. */
#define DBG_WATCH_MAX_LEN 256

struct dbg_breakpoint *dbg_break_find(struct debugger *d, int id);
struct dbg_watchpoint *dbg_watch_find(struct debugger *d, int id);

/* The guest's mode as breakpoints name it: 16 (real or virtual-8086),
 * 32 (protected, including compatibility mode), 64 (64-bit code). */
int dbg_cpu_mode(const struct x86_cpu *cpu);
/* "real mode", "virtual-8086 mode", "protected mode", "compatibility mode"
 * or "long mode" (64-bit code). */
const char *dbg_cpu_mode_name(const struct x86_cpu *cpu);
/* CS.base + RIP, truncated to 32 bits outside 64-bit code. */
uint64_t dbg_pc_linear(const struct x86_cpu *cpu);

/* Registers by the names the REPL and conditions use ("rax", "eax", "ax",
 * "al", "ah", "r8d", "rip", "eip", "ip", "rflags", "eflags", "cs".."gs",
 * "cr0".."cr4", "cr8", "efer", "dr0".."dr7"), case-insensitive.
 * 0 and *val (zero-extended), or -1 for an unknown name. */
int dbg_reg_read(struct x86_cpu *cpu, const char *name, uint64_t *val);
/* Write one (segment registers: only the selector, the cache is left). */
int dbg_reg_write(struct x86_cpu *cpu, const char *name, uint64_t val);
/* Is the condition true on this CPU?  An inactive condition is true; an
 * unknown register or operator makes it false. */
bool dbg_cond_true(struct x86_cpu *cpu, const struct dbg_cond *c);
/* Parse "REG OP VALUE" (VALUE in C syntax: 0x.., decimal) into c.  0 or -1. */
int dbg_cond_parse(const char *text, struct dbg_cond *c);

/* Guest-physical address of a linear one, like dbg_read_linear sees it
 * (no permission checks, no A/D updates).  0 or -1 (not mapped). */
int dbg_linear_to_phys(struct debugger *d, uint64_t lin, uint64_t *gpa);

/* Linear address of the handler of a vector (IVT in real mode, IDT gate
 * otherwise); 0, or -1 when the table does not have it. */
int dbg_vector_handler(struct debugger *d, int vec, uint64_t *lin);

/* "breakpoint", "watchpoint", ... */
const char *dbg_stop_reason_name(enum dbg_stop_reason r);

#endif
