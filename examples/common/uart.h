/*
 * uart.h - a polled driver for the COM1 16550 UART and a small printf.
 */
#ifndef EXAMPLES_UART_H
#define EXAMPLES_UART_H

#include <stdint.h>

void uart_init(void);
void uart_putc(char c);
void uart_puts(const char *s);

/*
 * kprintf understands: %s %c %d %u %x %X and, with an "ll" length, %lld
 * %llu %llx; an optional '0' flag and width ("%08x", "%16llx").  "%%".
 * It never divides 64-bit numbers with libgcc: see udiv64.h.
 */
void kprintf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

#endif
