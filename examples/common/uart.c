/*
 * uart.c - COM1, a 16550 UART, driven by polling; and kprintf on top of it.
 *
 * Registers (16550 datasheet; offsets from the base port 0x3f8):
 *   0 THR  transmit holding register (write, DLAB = 0)
 *   0 DLL  divisor latch, low byte    (DLAB = 1)
 *   1 IER  interrupt enable           (DLAB = 0)
 *   1 DLM  divisor latch, high byte   (DLAB = 1)
 *   2 FCR  FIFO control (write)
 *   3 LCR  line control; bit 7 is DLAB
 *   4 MCR  modem control
 *   5 LSR  line status; bit 5 THRE = the transmitter can take a byte
 */
#include <stdarg.h>

#include "io.h"
#include "uart.h"
#include "udiv64.h"

enum {
    COM1 = 0x3f8,
    UART_THR = 0, UART_DLL = 0, UART_IER = 1, UART_DLM = 1,
    UART_FCR = 2, UART_LCR = 3, UART_MCR = 4, UART_LSR = 5,
};

#define LCR_DLAB  0x80
#define LCR_8N1   0x03
#define FCR_ENABLE_CLEAR 0x07   /* enable FIFOs, clear receive and transmit */
#define MCR_DTR_RTS 0x03
#define LSR_THRE  0x20

void uart_init(void)
{
    outb(COM1 + UART_IER, 0);               /* no interrupts: we poll */
    outb(COM1 + UART_LCR, LCR_DLAB);        /* ports 0 and 1 become the divisor */
    outb(COM1 + UART_DLL, 1);               /* 115200 / 1 = 115200 baud */
    outb(COM1 + UART_DLM, 0);
    outb(COM1 + UART_LCR, LCR_8N1);         /* DLAB off, 8 bits, no parity, 1 stop */
    outb(COM1 + UART_FCR, FCR_ENABLE_CLEAR);
    outb(COM1 + UART_MCR, MCR_DTR_RTS);
}

void uart_putc(char c)
{
    while (!(inb(COM1 + UART_LSR) & LSR_THRE))
        ;
    outb(COM1 + UART_THR, (uint8_t)c);
}

void uart_puts(const char *s)
{
    while (*s)
        uart_putc(*s++);
}

/* Print value in base 10 or 16, at least width digits, padded with pad. */
static void put_number(uint64_t value, unsigned base, int width, char pad,
                       int upper)
{
    const char *digits = upper ? "0123456789ABCDEF" : "0123456789abcdef";
    char buf[24];
    int n = 0;

    do {
        uint64_t rem;
        value = udivmod64(value, base, &rem);
        buf[n++] = digits[rem];
    } while (value);
    while (n < width && n < (int)sizeof(buf))
        buf[n++] = pad;
    while (n)
        uart_putc(buf[--n]);
}

void kprintf(const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    for (; *fmt; fmt++) {
        if (*fmt != '%') {
            uart_putc(*fmt);
            continue;
        }
        fmt++;
        char pad = ' ';
        int width = 0, longlong = 0;
        if (*fmt == '0') {
            pad = '0';
            fmt++;
        }
        while (*fmt >= '0' && *fmt <= '9')
            width = width * 10 + (*fmt++ - '0');
        if (fmt[0] == 'l' && fmt[1] == 'l') {
            longlong = 1;
            fmt += 2;
        }
        switch (*fmt) {
        case 's':
            uart_puts(va_arg(ap, const char *));
            break;
        case 'c':
            uart_putc((char)va_arg(ap, int));
            break;
        case 'd': {
            int64_t v = longlong ? va_arg(ap, long long) : va_arg(ap, int);
            uint64_t magnitude = (uint64_t)v;
            if (v < 0) {
                uart_putc('-');
                magnitude = 0 - magnitude;      /* also right for INT64_MIN */
            }
            put_number(magnitude, 10, width, pad, 0);
            break;
        }
        case 'u':
        case 'x':
        case 'X': {
            uint64_t v = longlong ? va_arg(ap, unsigned long long)
                                  : va_arg(ap, unsigned int);
            put_number(v, *fmt == 'u' ? 10 : 16, width, pad, *fmt == 'X');
            break;
        }
        case '%':
            uart_putc('%');
            break;
        case '\0':
            fmt--;                          /* a lone '%' at the end */
            break;
        default:
            uart_putc('%');
            uart_putc(*fmt);
            break;
        }
    }
    va_end(ap);
}
