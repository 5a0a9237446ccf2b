/* The 16550A UART, register by register as in the PC16550D datasheet. */
#include "devices/uart16550.h"

#include <errno.h>
#include <stdbool.h>
#include <string.h>

#include "devices/device_state.h"
#include "devices/iobus.h"

/* Modem input lines when not in loopback: the backend is "a terminal that is
 * there": clear to send, data set ready, carrier detect. */
#define UART_MSR_LINES_CONNECTED (UART_MSR_CTS | UART_MSR_DSR | UART_MSR_DCD)

static bool fifo_enabled(const struct uart16550 *u)
{
    return (u->fcr & UART_FCR_ENABLE) != 0;
}

static int rx_capacity(const struct uart16550 *u)
{
    return fifo_enabled(u) ? UART_FIFO_SIZE : 1;
}

/* FCR bits 7-6: receiver FIFO trigger level 1, 4, 8 or 14 bytes. */
static int rx_trigger_level(const struct uart16550 *u)
{
    static const int level[4] = { 1, 4, 8, 14 };
    return fifo_enabled(u) ? level[u->fcr >> 6] : 1;
}

static void rx_clear(struct uart16550 *u)
{
    u->rx_head = 0;
    u->rx_count = 0;
}

/* A byte arrives at the receiver.  A full FIFO (or full RBR without FIFOs)
 * is an overrun: with FIFOs the new byte is lost, without them it overwrites
 * RBR (datasheet, LSR bit 1). */
static void rx_push(struct uart16550 *u, uint8_t byte)
{
    if (u->rx_count >= rx_capacity(u)) {
        u->lsr |= UART_LSR_OE;
        if (!fifo_enabled(u))
            u->rx_fifo[u->rx_head] = byte;
        return;
    }
    u->rx_fifo[(u->rx_head + u->rx_count) % UART_FIFO_SIZE] = byte;
    u->rx_count++;
    u->rx_bytes++;
}

static uint8_t rx_pop(struct uart16550 *u)
{
    if (u->rx_count == 0)
        return u->rx_fifo[u->rx_head];  /* RBR keeps its last byte */
    uint8_t byte = u->rx_fifo[u->rx_head];
    if (u->rx_count > 1)
        u->rx_head = (u->rx_head + 1) % UART_FIFO_SIZE;
    u->rx_count--;
    return byte;
}

/* Which interrupt IIR reports, by priority (datasheet Table IV). */
static uint8_t pending_interrupt(const struct uart16550 *u)
{
    if ((u->ier & UART_IER_ELSI) && (u->lsr & UART_LSR_ERRORS))
        return UART_IIR_RLS;
    if ((u->ier & UART_IER_ERBFI) && u->rx_count > 0) {
        if (u->rx_count >= rx_trigger_level(u))
            return UART_IIR_RDA;
        /* Fewer bytes than the trigger level: the chip raises a timeout
         * after four character times without activity.  glass has no
         * character clock, so the timeout is reported at once. */
        return UART_IIR_TIMEOUT;
    }
    if ((u->ier & UART_IER_ETBEI) && u->thr_ipending)
        return UART_IIR_THRE;
    if ((u->ier & UART_IER_EDSSI) && (u->msr & UART_MSR_DELTAS))
        return UART_IIR_MSR;
    return UART_IIR_NO_INT;
}

static void update_irq(struct uart16550 *u)
{
    uint8_t level = pending_interrupt(u) != UART_IIR_NO_INT;
    if (level != u->irq_level) {
        u->irq_level = level;
        if (u->irq)
            u->irq(u->irq_opaque, level);
    }
}

/* Input is pulled from the backend only when the guest can see it: when it
 * reads RBR, LSR or IIR, or when received-data interrupts are enabled.
 * Bytes typed (or piped) before the guest set the UART up therefore wait
 * in the backend, and the FIFO resets of its initialisation cannot drop
 * them. */
static void pull_input(struct uart16550 *u)
{
    if (u->mcr & UART_MCR_LOOP || !u->rx)
        return;     /* loopback disconnects the serial input (datasheet MCR bit 4) */
    uint8_t byte;
    while (u->rx_count < rx_capacity(u) && u->rx(u->backend, &byte) == 1)
        rx_push(u, byte);
}

/* Modem status inputs and their deltas.  In loopback the outputs are wired
 * back: RTS->CTS, DTR->DSR, OUT1->RI, OUT2->DCD (datasheet MCR bit 4). */
static void update_msr_lines(struct uart16550 *u)
{
    uint8_t lines;
    if (u->mcr & UART_MCR_LOOP) {
        lines = 0;
        if (u->mcr & UART_MCR_RTS) lines |= UART_MSR_CTS;
        if (u->mcr & UART_MCR_DTR) lines |= UART_MSR_DSR;
        if (u->mcr & UART_MCR_OUT1) lines |= UART_MSR_RI;
        if (u->mcr & UART_MCR_OUT2) lines |= UART_MSR_DCD;
    } else {
        lines = UART_MSR_LINES_CONNECTED;
    }
    uint8_t old = u->msr & 0xf0, changed = old ^ lines;
    uint8_t deltas = u->msr & UART_MSR_DELTAS;
    if (changed & UART_MSR_CTS) deltas |= UART_MSR_DCTS;
    if (changed & UART_MSR_DSR) deltas |= UART_MSR_DDSR;
    if (changed & UART_MSR_DCD) deltas |= UART_MSR_DDCD;
    if ((old & UART_MSR_RI) && !(lines & UART_MSR_RI))
        deltas |= UART_MSR_TERI;    /* trailing edge of ring indicator only */
    u->msr = lines | deltas;
}

void uart_reset(struct uart16550 *u)
{
    u->ier = 0;
    u->lcr = 0;
    u->mcr = 0;
    u->fcr = 0;
    u->lsr = UART_LSR_THRE | UART_LSR_TEMT;
    u->msr = UART_MSR_LINES_CONNECTED;  /* lines present, no deltas at reset */
    u->scr = 0;
    u->dll = 0x0c;      /* divisor 12: 9600 baud (undefined on the chip) */
    u->dlm = 0;
    u->thr_ipending = 0;
    rx_clear(u);
    memset(u->rx_fifo, 0, sizeof(u->rx_fifo));
    update_irq(u);
}

void uart_init(struct uart16550 *u, uint16_t iobase)
{
    memset(u, 0, sizeof(*u));
    u->iobase = iobase;
    uart_reset(u);
}

void uart_set_backend(struct uart16550 *u, void (*tx)(void *, uint8_t),
                      int (*rx)(void *, uint8_t *), void *backend)
{
    u->tx = tx;
    u->rx = rx;
    u->backend = backend;
}

void uart_set_irq(struct uart16550 *u, void (*irq)(void *, int), void *opaque)
{
    u->irq = irq;
    u->irq_opaque = opaque;
    u->irq_level = 0;
    update_irq(u);
}

void uart_poll(struct uart16550 *u)
{
    pull_input(u);
    update_irq(u);
}

static void transmit(struct uart16550 *u, uint8_t byte)
{
    u->tx_bytes++;
    if (u->mcr & UART_MCR_LOOP)
        rx_push(u, byte);   /* loopback: the transmitter feeds the receiver */
    else if (u->tx)
        u->tx(u->backend, byte);
}

static void write_fcr(struct uart16550 *u, uint8_t val)
{
    /* FCR0 must be set for the other bits to be written; changing FCR0
     * clears both FIFOs (datasheet, FCR description). */
    if ((val ^ u->fcr) & UART_FCR_ENABLE)
        rx_clear(u);
    if (!(val & UART_FCR_ENABLE)) {
        u->fcr = 0;
        return;
    }
    if (val & UART_FCR_RX_RESET)
        rx_clear(u);
    /* The transmitter FIFO is always empty: TX reset has nothing to do. */
    u->fcr = val & (UART_FCR_ENABLE | UART_FCR_DMA | UART_FCR_TRIGGER);
}

uint8_t uart_read(struct uart16550 *u, int reg)
{
    uint8_t val = 0;
    bool dlab = u->lcr & UART_LCR_DLAB;
    if ((reg & 7) == UART_LSR || (reg & 7) == UART_IIR || ((reg & 7) == UART_RBR && !dlab) ||
        (u->ier & UART_IER_ERBFI))
        pull_input(u);
    switch (reg & 7) {
    case UART_RBR:
        if (dlab) {
            val = u->dll;
        } else {
            val = rx_pop(u);
            pull_input(u);
        }
        break;
    case UART_IER:
        val = dlab ? u->dlm : u->ier;
        break;
    case UART_IIR: {
        uint8_t id = pending_interrupt(u);
        val = id | (fifo_enabled(u) ? UART_IIR_FIFO_ENABLED : 0);
        /* Reading IIR while THRE is the source clears it (datasheet
         * Table IV, "reset control" of the THRE interrupt). */
        if (id == UART_IIR_THRE)
            u->thr_ipending = 0;
        break;
    }
    case UART_LCR:
        val = u->lcr;
        break;
    case UART_MCR:
        val = u->mcr;
        break;
    case UART_LSR:
        val = u->lsr | (u->rx_count ? UART_LSR_DR : 0);
        u->lsr &= ~(UART_LSR_ERRORS | UART_LSR_RXFE);  /* cleared by reading */
        break;
    case UART_MSR:
        val = u->msr;
        u->msr &= ~UART_MSR_DELTAS;
        break;
    case UART_SCR:
        val = u->scr;
        break;
    }
    update_irq(u);
    return val;
}

void uart_write(struct uart16550 *u, int reg, uint8_t val)
{
    bool dlab = u->lcr & UART_LCR_DLAB;
    switch (reg & 7) {
    case UART_THR:
        if (dlab) {
            u->dll = val;
        } else {
            u->thr_ipending = 0;
            transmit(u, val);
            /* Sent at once: THR is empty again and its interrupt re-arms. */
            u->thr_ipending = 1;
        }
        break;
    case UART_IER:
        if (dlab) {
            u->dlm = val;
        } else {
            uint8_t old = u->ier;
            u->ier = val & 0x0f;
            /* Enabling ETBEI with THR empty raises THRE at once. */
            if (!(old & UART_IER_ETBEI) && (u->ier & UART_IER_ETBEI) &&
                (u->lsr & UART_LSR_THRE))
                u->thr_ipending = 1;
        }
        break;
    case UART_FCR:
        write_fcr(u, val);
        break;
    case UART_LCR:
        u->lcr = val;
        break;
    case UART_MCR:
        u->mcr = val & 0x1f;
        update_msr_lines(u);
        break;
    case UART_LSR:
        break;  /* the datasheet leaves LSR writes for factory test: ignore */
    case UART_MSR:
        break;  /* read-only inputs */
    case UART_SCR:
        u->scr = val;
        break;
    }
    if (u->ier & UART_IER_ERBFI)
        pull_input(u);
    update_irq(u);
}

/* The UART is an 8-bit device: a wider access is split into byte cycles on
 * consecutive ports, as the ISA bus does. */
static uint32_t uart_port_read(void *opaque, uint16_t port, int size)
{
    struct uart16550 *u = opaque;
    uint32_t val = 0;
    for (int i = 0; i < size; i++)
        val |= (uint32_t)uart_read(u, (port + i - u->iobase) & 7) << (8 * i);
    return val;
}

static void uart_port_write(void *opaque, uint16_t port, int size, uint32_t val)
{
    struct uart16550 *u = opaque;
    for (int i = 0; i < size; i++)
        uart_write(u, (port + i - u->iobase) & 7, (uint8_t)(val >> (8 * i)));
}

int uart_attach(struct uart16550 *u, struct iobus *bus)
{
    return iobus_register(bus, "uart16550", u->iobase, 8, uart_port_read, uart_port_write, u);
}

/* --- snapshot --- */

static const struct dev_state_head uart_state = {
    .magic = { 0x55 }, .magic_len = 1, .version = 1,
};

enum {
    UART_SAVED_HEADER = 2,
    UART_SAVED_REGS = 12,
    UART_SAVED_SIZE = UART_SAVED_HEADER + UART_SAVED_REGS + UART_FIFO_SIZE,
};

size_t uart_save(const struct uart16550 *u, uint8_t *buf, size_t len)
{
    uint8_t *p;
    size_t n = dev_state_save_open(&uart_state, UART_SAVED_SIZE, buf, len, &p);
    if (!p)
        return n;
    *p++ = u->ier; *p++ = u->lcr; *p++ = u->mcr; *p++ = u->lsr;
    *p++ = u->msr; *p++ = u->scr; *p++ = u->dll; *p++ = u->dlm;
    *p++ = u->fcr; *p++ = u->rx_head; *p++ = u->rx_count; *p++ = u->thr_ipending;
    memcpy(p, u->rx_fifo, UART_FIFO_SIZE);
    return n;
}

int uart_load(struct uart16550 *u, const uint8_t *buf, size_t len)
{
    if (!dev_state_load_ok(&uart_state, UART_SAVED_SIZE, buf, len))
        return -EINVAL;
    const uint8_t *p = buf + UART_SAVED_HEADER;
    if (p[9] >= UART_FIFO_SIZE || p[10] > UART_FIFO_SIZE)
        return -EINVAL;
    u->ier = p[0] & 0x0f; u->lcr = p[1]; u->mcr = p[2] & 0x1f; u->lsr = p[3];
    u->msr = p[4]; u->scr = p[5]; u->dll = p[6]; u->dlm = p[7];
    u->fcr = p[8]; u->rx_head = p[9]; u->rx_count = p[10]; u->thr_ipending = p[11] & 1;
    memcpy(u->rx_fifo, p + UART_SAVED_REGS, UART_FIFO_SIZE);
    update_irq(u);
    return 0;
}
