/*
 * console.c - output to COM1 (a 16550 UART) and to the VGA text buffer,
 * and a small kprintf.  Several CPUs may print, so one spinlock guards it.
 */
#include <stdarg.h>
#include "kernel.h"

/* ---- COM1 ---- */
#define COM1     0x3F8
#define UART_THR (COM1 + 0)     /* transmit holding (DLAB 0) / divisor low */
#define UART_IER (COM1 + 1)     /* interrupt enable / divisor high */
#define UART_FCR (COM1 + 2)     /* FIFO control */
#define UART_LCR (COM1 + 3)     /* line control; bit 7 = DLAB */
#define UART_MCR (COM1 + 4)     /* modem control; bit 3 = OUT2 (IRQ gate) */
#define UART_LSR (COM1 + 5)     /* line status; bit 5 = THR empty */

static void uart_init(void)
{
    outb(UART_IER, 0x00);       /* no interrupts (input.c enables them) */
    outb(UART_LCR, 0x80);       /* DLAB = 1: program the baud rate */
    outb(UART_THR, 0x01);       /* divisor 1: 115200 baud */
    outb(UART_IER, 0x00);
    outb(UART_LCR, 0x03);       /* 8 data bits, no parity, 1 stop bit */
    /* FIFOs off: the receiver holds one byte.  (Changing FCR bit 0 would
     * also clear the receive FIFO, losing what was typed before now.) */
    outb(UART_FCR, 0x00);
    outb(UART_MCR, 0x0B);       /* DTR, RTS, OUT2 */
}

static void uart_putc(char c)
{
    while (!(inb(UART_LSR) & 0x20))
        pause();
    outb(UART_THR, (uint8_t)c);
}

/* ---- VGA text mode: 80x25 cells of (character, attribute) at 0xB8000 ---- */
#define VGA_COLS 80
#define VGA_ROWS 25
#define VGA_ATTR 0x07           /* light grey on black */
static volatile uint16_t *const vga = (volatile uint16_t *)0xB8000;
static int vga_pos;             /* the cursor, as row * 80 + column */

/* Move the hardware cursor: CRTC registers 0x0E/0x0F through the index
 * port 0x3D4 and the data port 0x3D5. */
static void vga_cursor(void)
{
    outb(0x3D4, 0x0E);
    outb(0x3D5, (uint8_t)(vga_pos >> 8));
    outb(0x3D4, 0x0F);
    outb(0x3D5, (uint8_t)vga_pos);
}

static void vga_putc(char c)
{
    if (c == '\n') {
        vga_pos += VGA_COLS - vga_pos % VGA_COLS;
    } else if (c == '\b') {
        if (vga_pos % VGA_COLS)
            vga[--vga_pos] = (VGA_ATTR << 8) | ' ';
    } else {
        vga[vga_pos++] = (VGA_ATTR << 8) | (uint8_t)c;
    }
    if (vga_pos >= VGA_COLS * VGA_ROWS) {   /* scroll up one line */
        for (int i = 0; i < VGA_COLS * (VGA_ROWS - 1); i++)
            vga[i] = vga[i + VGA_COLS];
        for (int i = VGA_COLS * (VGA_ROWS - 1); i < VGA_COLS * VGA_ROWS; i++)
            vga[i] = (VGA_ATTR << 8) | ' ';
        vga_pos -= VGA_COLS;
    }
}

void console_init(void)
{
    uart_init();
    for (int i = 0; i < VGA_COLS * VGA_ROWS; i++)
        vga[i] = (VGA_ATTR << 8) | ' ';
    vga_pos = 0;
    vga_cursor();
}

/* ---- the lock: XCHG returns the old value; 0 means we got it ---- */
static volatile uint32_t console_lock;

static void lock(void)
{
    while (xchg(&console_lock, 1))
        pause();
}
static void unlock(void) { xchg(&console_lock, 0); }

static void putc_unlocked(char c)
{
    uart_putc(c);
    vga_putc(c);
}

void kputc(char c)
{
    lock();
    putc_unlocked(c);
    vga_cursor();
    unlock();
}

void kputs(const char *s)
{
    lock();
    while (*s)
        putc_unlocked(*s++);
    vga_cursor();
    unlock();
}

static void put_num(uint32_t v, unsigned base, int width, char pad, int neg)
{
    char buf[12];
    int n = 0;
    do {
        buf[n++] = "0123456789abcdef"[v % base];
        v /= base;
    } while (v);
    if (neg)
        buf[n++] = '-';
    while (width-- > n)
        putc_unlocked(pad);
    while (n)
        putc_unlocked(buf[--n]);
}

/* %s %c %d %u %x, with an optional '0' flag and a width: "%08x". */
void kprintf(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    lock();
    for (; *fmt; fmt++) {
        if (*fmt != '%') {
            putc_unlocked(*fmt);
            continue;
        }
        char pad = ' ';
        int width = 0;
        if (*++fmt == '0')
            pad = '0', fmt++;
        while (*fmt >= '0' && *fmt <= '9')
            width = width * 10 + (*fmt++ - '0');
        switch (*fmt) {
        case 's': {
            const char *s = va_arg(ap, const char *);
            while (*s)
                putc_unlocked(*s++);
            break;
        }
        case 'c': putc_unlocked((char)va_arg(ap, int)); break;
        case 'u': put_num(va_arg(ap, uint32_t), 10, width, pad, 0); break;
        case 'x': put_num(va_arg(ap, uint32_t), 16, width, pad, 0); break;
        case 'd': {
            int v = va_arg(ap, int);
            put_num(v < 0 ? -(uint32_t)v : (uint32_t)v, 10, width, pad, v < 0);
            break;
        }
        default: putc_unlocked(*fmt); break;
        }
    }
    vga_cursor();
    unlock();
    va_end(ap);
}

/* Leave through isa-debug-exit: the emulator exits with (code << 1) | 1. */
void kexit(uint32_t code)
{
    outl(0xF4, code);
    for (;;)
        __asm__ volatile("cli; hlt");
}

void panic(const char *msg)
{
    kprintf("panic: %s\n", msg);
    kexit(EXIT_FAIL);
}
