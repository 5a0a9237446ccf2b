/*
 * io.h - port I/O and the two "devices" every example guest uses to finish:
 * the isa-debug-exit port and the POST code port.  Works in 32- and 64-bit
 * code.  IN/OUT: Intel SDM Vol. 2A, "IN", "OUT".
 */
#ifndef EXAMPLES_IO_H
#define EXAMPLES_IO_H

#include <stdint.h>

#define DEBUG_EXIT_PORT 0xf4    /* isa-debug-exit: status = (value << 1) | 1 */
#define POST_PORT       0x80    /* POST diagnostic code; writes are ignored */

static inline void outb(uint16_t port, uint8_t value)
{
    __asm__ volatile("outb %0, %1" : : "a"(value), "Nd"(port));
}

static inline void outl(uint16_t port, uint32_t value)
{
    __asm__ volatile("outl %0, %1" : : "a"(value), "Nd"(port));
}

static inline uint8_t inb(uint16_t port)
{
    uint8_t value;
    __asm__ volatile("inb %1, %0" : "=a"(value) : "Nd"(port));
    return value;
}

/* Stop the machine: the emulator exits with status (code << 1) | 1.  If no
 * isa-debug-exit device is there, halt forever with interrupts off. */
static inline __attribute__((noreturn)) void debug_exit(uint32_t code)
{
    outl(DEBUG_EXIT_PORT, code);
    for (;;)
        __asm__ volatile("cli; hlt");
}

#endif
