/*
 * input.c - keyboard input from two places, like xv6's console:
 *   - the PS/2 keyboard behind the i8042 (IRQ 1): scancode set 1, which
 *     the i8042 translates to by default; a key's "make" code when pressed,
 *     the same code | 0x80 when released;
 *   - COM1's receiver (IRQ 4): with -serial stdio, what is typed (or piped)
 *     into the emulator's standard input arrives here.
 * Both interrupt handlers put characters in one ring buffer; main.c takes
 * them out.
 */
#include "kernel.h"

static char ring[64];
static volatile uint32_t ring_head, ring_tail;

static void ring_put(char c)
{
    if (ring_head - ring_tail < sizeof(ring))
        ring[ring_head++ % sizeof(ring)] = c;
}

int input_getc(void)
{
    if (ring_tail == ring_head)
        return -1;
    return (uint8_t)ring[ring_tail++ % sizeof(ring)];
}

/* Scancode set 1 -> ASCII, for the keys a line of text needs. */
static const char normal[0x3A] = {
    0, 27, '1', '2', '3', '4', '5', '6', '7', '8', '9', '0', '-', '=', '\b',
    '\t', 'q', 'w', 'e', 'r', 't', 'y', 'u', 'i', 'o', 'p', '[', ']', '\n',
    0, 'a', 's', 'd', 'f', 'g', 'h', 'j', 'k', 'l', ';', '\'', '`',
    0, '\\', 'z', 'x', 'c', 'v', 'b', 'n', 'm', ',', '.', '/', 0, '*',
    0, ' ',
};
static const char shifted[0x3A] = {
    0, 27, '!', '@', '#', '$', '%', '^', '&', '*', '(', ')', '_', '+', '\b',
    '\t', 'Q', 'W', 'E', 'R', 'T', 'Y', 'U', 'I', 'O', 'P', '{', '}', '\n',
    0, 'A', 'S', 'D', 'F', 'G', 'H', 'J', 'K', 'L', ':', '"', '~',
    0, '|', 'Z', 'X', 'C', 'V', 'B', 'N', 'M', '<', '>', '?', 0, '*',
    0, ' ',
};
static int shift;

void input_irq_kbd(void)
{
    while (inb(0x64) & 0x01) {          /* status: output buffer full */
        uint8_t sc = inb(0x60);
        if (sc == 0x2A || sc == 0x36)           /* left/right shift down */
            shift = 1;
        else if (sc == 0xAA || sc == 0xB6)      /* ... up */
            shift = 0;
        else if (sc < 0x3A && normal[sc])
            ring_put(shift ? shifted[sc] : normal[sc]);
    }
}

void input_irq_com1(void)
{
    while (inb(0x3F8 + 5) & 0x01)       /* LSR: data ready */
        ring_put((char)inb(0x3F8));
}

void input_init(void)
{
    while (inb(0x64) & 0x01)            /* drop what the keyboard had */
        inb(0x60);
    if (use_ioapic) {
        ioapic_route(IRQ_KBD, T_IRQ0 + IRQ_KBD);
        ioapic_route(IRQ_COM1, T_IRQ0 + IRQ_COM1);
    }
    outb(0x3F8 + 1, 0x01);              /* IER: interrupt on received data */
}
