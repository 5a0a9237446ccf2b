/* isa-debug-exit: QEMU's test device.  A guest write of value v to its port
 * asks the emulator to end with exit status (v << 1) | 1, so a guest status
 * can never be mistaken for the emulator's own 0. */
#ifndef GLASS_DEVICES_DEBUG_EXIT_H
#define GLASS_DEVICES_DEBUG_EXIT_H

#include <stdbool.h>
#include <stdint.h>

struct iobus;

struct debug_exit {
    uint16_t iobase;
    uint8_t iosize;
    bool fired;             /* the guest wrote: stop the machine */
    int status;             /* (v << 1) | 1 */
    /* Told when the guest writes, so the board can stop the vCPUs. */
    void (*on_exit)(void *opaque, int status);
    void *opaque;
};

/* Claim [iobase, iobase + iosize) on the bus.  0 or -errno. */
int debug_exit_init(struct debug_exit *d, struct iobus *bus, uint16_t iobase, uint8_t iosize,
                    void (*on_exit)(void *opaque, int status), void *opaque);

#endif
