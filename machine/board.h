/* The PC board: memory map, devices, vCPUs, an accelerator, and the run
 * loop that answers its exits.  Split by job:
 *   machine/board.c          build / destroy / reset, the exit handler
 *   machine/board_devices.c  device creation and the io-bus / MMIO wiring
 *   machine/board_irq.c      interrupt routing: ISA lines -> 8259A + IOAPIC,
 *                            LAPICs, what each vCPU has pending, INIT/SIPI
 *   machine/smp.c            the run loop: vCPUs interleaved on one thread
 *
 *   0x00000000-0x0009ffff  RAM (640 KiB conventional memory)
 *   0x000a0000-0x000fffff  the VGA / option ROM / BIOS hole: plain RAM (the
 *                          VGA text buffer at 0xb8000, the firmware tables
 *                          in 0xf0000-0xfffff)
 *   0x00100000-top         RAM up to -m (above 0xe0000000 it continues at
 *                          4 GiB, leaving the PCI hole)
 *   0xfec00000             IOAPIC (MMIO)
 *   0xfee00000             LAPIC (MMIO), each vCPU sees its own
 *   ports: PIC 0x20/0x21/0xa0/0xa1/0x4d0/0x4d1, PIT 0x40-0x43, 0x61, RTC
 *   0x70/0x71, i8042 0x60/0x64, 0x92, VGA 0x3b0-0x3df, IDE 0x1f0-0x1f7/0x3f6
 *   and 0x170-0x177/0x376, POST 0x80, COM1 0x3f8, isa-debug-exit when asked.
 *
 * A20: glass ignores the A20 gate (port 0x92 bit 1, the i8042 output port):
 * address line 20 always passes, as on every CPU since Haswell's "A20M#
 * removed" and as every guest that enables A20 expects.  A guest relying on
 * the 1 MiB wrap-around in real mode would see a difference. */
#ifndef GLASS_MACHINE_BOARD_H
#define GLASS_MACHINE_BOARD_H

#include <stdbool.h>
#include <stdint.h>

#include "devices/apic_bus.h"
#include "devices/debug_exit.h"
#include "devices/disk_image.h"
#include "devices/i8042.h"
#include "devices/ide.h"
#include "devices/ioapic.h"
#include "devices/iobus.h"
#include "devices/irq.h"
#include "devices/lapic.h"
#include "devices/pic8259.h"
#include "devices/pit8254.h"
#include "devices/port61.h"
#include "devices/port80.h"
#include "devices/port92.h"
#include "devices/rtc_cmos.h"
#include "devices/serial_backend.h"
#include "devices/uart16550.h"
#include "devices/vga_text.h"
#include "machine/exit_log.h"
#include "machine/machine.h"
#include "machine/options.h"
#include "machine/vclock.h"
#include "mem/ept.h"
#include "mem/memmap.h"

#define PC_LOW_RAM_END   0x000a0000ull
#define PC_HOLE_END      0x00100000ull
#define PC_PCI_HOLE      0xe0000000ull
#define PC_HIGH_RAM_BASE 0x100000000ull

struct machine {
    const struct options *opt;
    struct memmap mem;
    struct ept ept;
    struct iobus io;

    /* Devices. */
    struct port80 post;
    struct uart16550 com1;
    bool has_com1;              /* -serial none: no serial port at all */
    struct serial_backend *serial;
    struct debug_exit debug_exit;
    struct vclock clock;
    struct pic pic;
    struct pit pit;
    struct port61 port61;
    struct rtc rtc;
    struct i8042 kbc;
    struct port92 port92;
    struct vga_text vga;
    struct ide *ide;                    /* ~260 KiB: on the heap */
    struct disk_image disk[MAX_DRIVES]; /* -drive index=i; fd -1: none */
    struct apic_bus apic_bus;
    struct ioapic ioapic;
    struct lapic lapic[MAX_VCPUS];
    struct irq_line isa_irq[16];        /* ISA IRQ n -> PIC input n + IOAPIC pin */

    struct vcpu vcpu[MAX_VCPUS];
    int nvcpus;
    struct vcpu_sched {
        bool wait_sipi;                 /* AP after INIT: not runnable */
        bool init_pending;              /* INIT arrived: applied before it runs */
        bool sipi_pending;
        uint8_t sipi_vector;
    } sched[MAX_VCPUS];
    int running;                        /* index of the vCPU in run(), or -1 */
    int wake_fd;                        /* eventfd: input arrived, stop asked */
    volatile int input_pending;         /* set by the serial input thread */
    volatile int reset_pending;         /* i8042 / port 0x92 asked for a reset */
    const struct accel_ops *accel;
    struct exit_log exits;
    /* machine_run_debug: vCPUs whose accelerator has debug controls set,
     * and the selected vCPU's steps since the others last ran. */
    bool debug_armed[MAX_VCPUS];
    uint64_t debug_steps;

    /* Why the machine is stopping, set from exit handlers or signals. */
    volatile int stop;
    int stop_claimed;           /* machine_request_stop: first caller wins */
    int exit_status;
    uint64_t reboots;
};

/* Build the machine for the options: memory, devices, vCPU 0, accelerator,
 * then load the guest.  NULL after printing one line saying what failed. */
struct machine *machine_create(const struct options *opt);
void machine_destroy(struct machine *m);

/* Run until the machine stops; returns glass's exit status: the guest's
 * isa-debug-exit status if it used it, 0 after a normal stop, 1 on an error. */
int machine_run(struct machine *m);

/* The debugger's run (machine/smp_debug.c): every vCPU runs as in
 * machine_run (slices, timers, serial input, halts, INIT/SIPI, reboots);
 * vCPU `vcpu` runs with the debug controls ctl (linear breakpoints; with
 * max_insns > 0, single steps: the call returns after that many of its
 * instructions, the others getting a slice every SLICE_INSNS steps), every
 * other vCPU with `others` (linear breakpoints, no steps; NULL: none).
 * Returns when the debugger must look, with *why:
 *   EXIT_GLASS_DEBUG   a breakpoint or the steps on vCPU `vcpu`, or a
 *                      breakpoint of `others` on vCPU why->vcpu
 *   EXIT_GLASS_STOP    *interrupt became non-zero, or the machine stops
 *                      (m->stop: debug-exit, signal, Ctrl-A x)
 *   EXIT_TRIPLE_FAULT  the machine ended by a triple fault or a reset with
 *                      -no-reboot (m->exit_status says how)
 *   EXIT_HLT           every vCPU halted with interrupts off
 *   other reasons      an exit the board does not handle
 * 0, or -1 on an accelerator error (why->error.message). */
int machine_run_debug(struct machine *m, const struct debug_ctl *ctl,
                      const struct debug_ctl *others, int vcpu, uint64_t max_insns,
                      const volatile int *interrupt, struct vm_exit *why);

/* Move the running guest to accelerator `to` (machine/board_accel.c):
 * state_out + vcpu_destroy + destroy on the current one, then init +
 * vcpu_init + state_in on the new one, same struct x86_cpu and devices.
 * 0; or -1 with the reason in why (the old accelerator still runs). */
int machine_switch_accel(struct machine *m, const struct accel_ops *to, char *why, size_t len);

/* Ask every vCPU to stop with this exit status (any thread; also signals). */
void machine_request_stop(struct machine *m, int status);

/* The synchronous exit handler wired into each vCPU's env.exit. */
int machine_handle_exit(void *vcpu, struct vm_exit *e);

/* Reset the board and the vCPUs and load the guest again (a reboot). */
int machine_reset(struct machine *m);

/* --- between the board's files (not for devices or accelerators) --- */

/* board_devices.c: create every device and claim its ports / MMIO; reset
 * them (a reboot); close the disks. */
int board_devices_create(struct machine *m);
void board_devices_reset(struct machine *m);
void board_devices_destroy(struct machine *m);

/* board_irq.c */
void board_irq_init(struct machine *m);             /* ISA lines, APIC bus, LAPICs */
void board_irq_reset(struct machine *m);
int board_irq_map_mmio(struct machine *m);           /* IOAPIC and LAPIC pages */
void board_vcpu_wire(struct machine *m, struct vcpu *v); /* env hooks */
void board_isa_irq(void *machine, int irq, int level);   /* an irq_handler_fn */
/* Recompute env.intr_pending of every vCPU from its LAPIC and the PIC. */
void board_update_intr(struct machine *m);
/* Can vCPU i run now (not waiting for SIPI, not halted, or halted with an
 * interrupt or NMI to take)? */
bool board_vcpu_runnable(struct machine *m, int i);
/* Apply a pending INIT / SIPI to vCPU i (before it runs). */
void board_apply_startup(struct machine *m, int i);
/* Put vCPU i in its power-on state: BSP runs, APs wait for SIPI. */
void board_vcpu_power_on(struct machine *m, int i);
/* Wake the run loop if it sleeps (any thread, signal handlers too). */
void board_wake(struct machine *m);
/* i8042 / port 0x92 reset line. */
void board_request_reset(void *machine);

/* smp.c: what to do after a vCPU's slice; RUN_STOP ends the run. */
enum run_verdict { RUN_CONTINUE, RUN_STOP };

/* Instructions a vCPU runs before the next one gets its turn: about 0.1 ms
 * of the interpreter, short enough for timers to fire on time and for a
 * spinning CPU to let the one it waits for make progress. */
#define SLICE_INSNS 20000

/* smp.c, shared with smp_debug.c (the debugger's run loop):
 *   board_slice        run v for at most max_insns, bring its state out,
 *                      log the exit; the accelerator's return code
 *   board_act_on_exit  what machine_run does with that exit (messages,
 *                      reboot after a triple fault, errors)
 *   board_service      between slices: reset, serial input, timers, IRQs
 *   board_nothing_can_wake  every vCPU halted with interrupts off (*which:
 *                      the first such vCPU)
 *   board_wait_for_event    sleep to the next timer, input or board_wake
 *   board_cs_rip       "CS:RIP" for messages */
int board_slice(struct machine *m, struct vcpu *v, uint64_t max_insns, struct vm_exit *exit);
enum run_verdict board_act_on_exit(struct machine *m, struct vcpu *v, int rc,
                                   const struct vm_exit *exit);
enum run_verdict board_service(struct machine *m);
bool board_nothing_can_wake(struct machine *m, int *which);
void board_wait_for_event(struct machine *m);
const char *board_cs_rip(const struct x86_cpu *cpu, char *buf, size_t len);

/* accel.c: run v for at most max_insns instructions (the interpreter), or
 * until its next stop (accelerators without an instruction budget). */
int accel_run_slice(const struct accel_ops *a, struct vcpu *v, struct vm_exit *exit,
                    uint64_t max_insns);

/* board.c: the first SIGINT/SIGTERM/SIGHUP seen, for the run loop's goodbye. */
#include <signal.h>
extern volatile sig_atomic_t board_signal_seen;


#endif
