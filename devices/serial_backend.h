/* Where a serial port's bytes go and come from on the host: stdout/stdin
 * (-serial stdio), the same with QEMU's Ctrl-A escape keys (mon:stdio), a
 * file, or nowhere.
 *
 * Input is read by a thread blocked in poll() on stdin (stdin itself stays
 * blocking: it is shared with the shell), into a ring the UART pulls from.
 * When stdin is the foreground terminal it is put in raw mode, and restored
 * at exit and on fatal signals. */
#ifndef GLASS_DEVICES_SERIAL_BACKEND_H
#define GLASS_DEVICES_SERIAL_BACKEND_H

#include <stdint.h>

#include "machine/options.h"

struct serial_backend;

/* Open the backend of kind (path for SERIAL_FILE).  NULL after printing one
 * line naming the problem ("glass: -serial file:/x/y: No such file ..."). */
struct serial_backend *serial_backend_open(enum serial_kind kind, const char *path);
void serial_backend_close(struct serial_backend *b);

/* Transmit one byte (unbuffered: it is written before this returns). */
void serial_backend_write(void *backend, uint8_t byte);
/* Next received byte: 1 and *byte, or 0 when none is waiting. */
int serial_backend_read(void *backend, uint8_t *byte);

/* Told (from the input thread) when input arrives, or when the user typed
 * Ctrl-A x in mon:stdio.  Either may be NULL. */
void serial_backend_set_notify(struct serial_backend *b,
                               void (*on_input)(void *opaque),
                               void (*on_quit)(void *opaque), void *opaque);
/* The user asked to quit (Ctrl-A x). */
int serial_backend_quit_requested(const struct serial_backend *b);

/* Put the terminal back as it was (idempotent; also done at exit). */
void serial_terminal_restore(void);

#endif
