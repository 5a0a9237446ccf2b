/* The minimal PC: memory map, devices on the io bus, one vCPU, an
 * accelerator, and the run loop that answers its exits.
 *
 *   0x00000000-0x0009ffff  RAM (640 KiB conventional memory)
 *   0x000a0000-0x000fffff  the VGA / option ROM / BIOS hole: mapped as plain
 *                          RAM for now so nothing faults there (no VGA, no
 *                          firmware yet); becomes MMIO/ROM when they arrive
 *   0x00100000-top         RAM up to -m (above 0xe0000000 it continues at
 *                          4 GiB, leaving the PCI hole)
 *   ports: 0x80 POST code, 0x3f8 COM1 16550A, isa-debug-exit when asked */
#ifndef GLASS_MACHINE_BOARD_H
#define GLASS_MACHINE_BOARD_H

#include <stdbool.h>
#include <stdint.h>

#include "devices/debug_exit.h"
#include "devices/iobus.h"
#include "devices/port80.h"
#include "devices/serial_backend.h"
#include "devices/uart16550.h"
#include "machine/exit_log.h"
#include "machine/machine.h"
#include "machine/options.h"
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

    struct vcpu vcpu[MAX_VCPUS];
    int nvcpus;
    const struct accel_ops *accel;
    struct exit_log exits;

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

/* Ask every vCPU to stop with this exit status (any thread; also signals). */
void machine_request_stop(struct machine *m, int status);

/* The synchronous exit handler wired into each vCPU's env.exit. */
int machine_handle_exit(void *vcpu, struct vm_exit *e);

/* Reset the board and the vCPUs and load the guest again (a reboot). */
int machine_reset(struct machine *m);


#endif
