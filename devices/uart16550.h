/* The 16550A UART (National Semiconductor / TI PC16550D datasheet), as on
 * the PC's COM1 at 0x3f8.  Eight registers, three of them sharing an offset
 * chosen by LCR.DLAB or by the direction of the access.
 *
 * Transmission is instant: a byte written to THR goes to the backend at once,
 * so THR and the transmitter are always empty again by the next access
 * (LSR.THRE = LSR.TEMT = 1).  Received bytes are pulled from the backend
 * only while the receive FIFO has room, so the guest never sees an overrun
 * from the host side; in loopback mode the transmitter feeds the receiver and
 * overruns happen as on the chip. */
#ifndef GLASS_DEVICES_UART16550_H
#define GLASS_DEVICES_UART16550_H

#include <stddef.h>
#include <stdint.h>

struct iobus;

#define UART_COM1_BASE 0x3f8
#define UART_FIFO_SIZE 16

/* Register offsets from the base (datasheet Table II). */
enum uart_reg {
    UART_RBR = 0,   /* read, DLAB=0: receiver buffer */
    UART_THR = 0,   /* write, DLAB=0: transmitter holding */
    UART_DLL = 0,   /* DLAB=1: divisor latch, low byte */
    UART_IER = 1,   /* DLAB=0: interrupt enable */
    UART_DLM = 1,   /* DLAB=1: divisor latch, high byte */
    UART_IIR = 2,   /* read: interrupt identification */
    UART_FCR = 2,   /* write: FIFO control */
    UART_LCR = 3,   /* line control */
    UART_MCR = 4,   /* modem control */
    UART_LSR = 5,   /* line status */
    UART_MSR = 6,   /* modem status */
    UART_SCR = 7,   /* scratch */
};

/* IER */
#define UART_IER_ERBFI 0x01   /* received data available */
#define UART_IER_ETBEI 0x02   /* transmitter holding register empty */
#define UART_IER_ELSI  0x04   /* receiver line status */
#define UART_IER_EDSSI 0x08   /* modem status */
/* IIR: bit 0 is 0 when an interrupt is pending; bits 3-1 say which. */
#define UART_IIR_NO_INT  0x01
#define UART_IIR_MSR     0x00 /* priority 4: modem status */
#define UART_IIR_THRE    0x02 /* priority 3: THR empty */
#define UART_IIR_RDA     0x04 /* priority 2: received data available */
#define UART_IIR_RLS     0x06 /* priority 1: receiver line status */
#define UART_IIR_TIMEOUT 0x0c /* priority 2: character timeout (FIFO mode) */
#define UART_IIR_FIFO_ENABLED 0xc0
/* FCR */
#define UART_FCR_ENABLE   0x01
#define UART_FCR_RX_RESET 0x02
#define UART_FCR_TX_RESET 0x04
#define UART_FCR_DMA      0x08
#define UART_FCR_TRIGGER  0xc0
/* LCR */
#define UART_LCR_DLAB 0x80
#define UART_LCR_BREAK 0x40
/* MCR */
#define UART_MCR_DTR  0x01
#define UART_MCR_RTS  0x02
#define UART_MCR_OUT1 0x04
#define UART_MCR_OUT2 0x08
#define UART_MCR_LOOP 0x10
/* LSR */
#define UART_LSR_DR   0x01
#define UART_LSR_OE   0x02
#define UART_LSR_PE   0x04
#define UART_LSR_FE   0x08
#define UART_LSR_BI   0x10
#define UART_LSR_THRE 0x20
#define UART_LSR_TEMT 0x40
#define UART_LSR_RXFE 0x80    /* error in receiver FIFO */
#define UART_LSR_ERRORS (UART_LSR_OE | UART_LSR_PE | UART_LSR_FE | UART_LSR_BI)
/* MSR */
#define UART_MSR_DCTS 0x01
#define UART_MSR_DDSR 0x02
#define UART_MSR_TERI 0x04
#define UART_MSR_DDCD 0x08
#define UART_MSR_CTS  0x10
#define UART_MSR_DSR  0x20
#define UART_MSR_RI   0x40
#define UART_MSR_DCD  0x80
#define UART_MSR_DELTAS 0x0f

struct uart16550 {
    uint16_t iobase;

    /* Registers (RBR, IIR and LSR's DR/THRE/TEMT are derived). */
    uint8_t ier, lcr, mcr, lsr, msr, scr, dll, dlm, fcr;
    uint8_t rx_fifo[UART_FIFO_SIZE]; /* one byte deep when FIFOs are off */
    uint8_t rx_head, rx_count;
    uint8_t thr_ipending;   /* THRE interrupt armed (cleared by IIR read, THR write) */
    uint8_t irq_level;      /* last level driven on INTR */

    /* Backend: tx takes a transmitted byte; rx gives the next received byte
     * (returns 1) or says there is none (0).  Either may be NULL. */
    void (*tx)(void *opaque, uint8_t byte);
    int (*rx)(void *opaque, uint8_t *byte);
    void *backend;

    /* The INTR pin, told on every change of level; may be NULL. */
    void (*irq)(void *opaque, int level);
    void *irq_opaque;

    uint64_t tx_bytes, rx_bytes;
};

/* Power-on state (datasheet "Reset" table), backend and irq left unset. */
void uart_init(struct uart16550 *u, uint16_t iobase);
void uart_set_backend(struct uart16550 *u, void (*tx)(void *, uint8_t),
                      int (*rx)(void *, uint8_t *), void *backend);
void uart_set_irq(struct uart16550 *u, void (*irq)(void *, int), void *opaque);
/* Master reset: registers to their reset values (backend, irq kept). */
void uart_reset(struct uart16550 *u);

/* Register access by offset 0-7 (one byte). */
uint8_t uart_read(struct uart16550 *u, int reg);
void uart_write(struct uart16550 *u, int reg, uint8_t val);

/* Pull pending input from the backend into the FIFO and update INTR; for the
 * board to call when input may have arrived. */
void uart_poll(struct uart16550 *u);

/* Claim iobase..iobase+7 on the bus. */
int uart_attach(struct uart16550 *u, struct iobus *bus);

/* Snapshot: uart_save writes the state into buf and returns its size (call
 * with buf NULL to learn the size); uart_load restores it, 0 or -EINVAL when
 * the buffer is not a UART state of this version. */
size_t uart_save(const struct uart16550 *u, uint8_t *buf, size_t len);
int uart_load(struct uart16550 *u, const uint8_t *buf, size_t len);

#endif
