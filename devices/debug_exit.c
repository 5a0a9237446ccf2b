/* isa-debug-exit (QEMU hw/misc/debugexit behaviour): any write ends the run. */
#include "devices/debug_exit.h"

#include "devices/iobus.h"

static uint32_t debug_exit_read(void *opaque, uint16_t port, int size)
{
    (void)opaque; (void)port; (void)size;
    return 0;   /* QEMU's device reads as 0 */
}

static void debug_exit_write(void *opaque, uint16_t port, int size, uint32_t val)
{
    struct debug_exit *d = opaque;
    (void)port; (void)size;
    /* The status is an int for exit(); only its low 8 bits reach the shell. */
    d->status = (int)((val << 1) | 1);
    d->fired = true;
    if (d->on_exit)
        d->on_exit(d->opaque, d->status);
}

int debug_exit_init(struct debug_exit *d, struct iobus *bus, uint16_t iobase, uint8_t iosize,
                    void (*on_exit)(void *opaque, int status), void *opaque)
{
    d->iobase = iobase;
    d->iosize = iosize ? iosize : 1;
    d->fired = false;
    d->status = 0;
    d->on_exit = on_exit;
    d->opaque = opaque;
    return iobus_register(bus, "isa-debug-exit", iobase, d->iosize,
                          debug_exit_read, debug_exit_write, d);
}
