/* The 8259A programmable interrupt controller pair of the PC/AT (Intel 8259A
 * datasheet, order no. 231468), with the edge/level control registers of the
 * PIIX (Intel 82371AB PIIX4 datasheet, 4.1.12 ELCR1/ELCR2).
 *
 * Two chips: the master at 20h/21h takes IRQ0-7; the slave at A0h/A1h takes
 * IRQ8-15 and its INT output drives the master's IR2.  Each chip has two
 * ports, told apart by the A0 address line:
 *
 *   A0=0 write  ICW1 (D4=1), OCW2 (D4=0, D3=0), OCW3 (D4=0, D3=1)
 *   A0=0 read   IRR or ISR (OCW3 RR/RIS), or the poll word after OCW3 P=1
 *   A0=1 write  ICW2, ICW3, ICW4 during initialization, else OCW1 (IMR)
 *   A0=1 read   IMR
 *
 * A request is edge-triggered unless ICW1.LTIM or the ELCR bit of its IRQ
 * makes it level-triggered.  Two choices glass makes where the datasheet
 * leaves room:
 *   - Edge mode latches the request in IRR on the rising edge and keeps it
 *     when the input falls again: glass devices may pulse a line in zero time
 *     (irq_pulse), where the chip wants it held until INTA.  A request that
 *     goes away before INTA still gives the default IR7 ("spurious") vector
 *     when the input is level-triggered, or when the guest masks it first.
 *   - 8086 mode only (ICW4.uPM=0, the 8080 CALL sequence, is accepted and
 *     treated as 8086 mode): the vector is ICW2 T7-T3 plus the IR number.
 *
 * Board wiring (machine/board.c):
 *     struct irq_line intr;
 *     irq_line_connect(&intr, <fn setting cpu->env.intr_pending>, vcpu, 0);
 *     pic_init(&m->pic, intr);
 *     pic_attach(&m->pic, &m->iobus);        // 20h-21h, A0h-A1h, 4D0h-4D1h
 *     // each ISA interrupt line of a device:
 *     irq_line_connect(&uart_irq, pic_irq_handler, &m->pic, 4);
 *     // the intr handler sets cpu->env.intr_pending while level is 1;
 *     // cpu->env.intr_ack (called once the CPU took INTR with IF=1):
 *     //     return pic_ack(&m->pic);   // always a vector: a request that
 *     //     went away in between gives the spurious IR7, as on hardware
 *     // (for LAPIC virtual-wire mode, route intr to LINT0 instead).
 * Devices and run loop touch the PIC from several vCPU threads under SMP:
 * the board must serialize calls into it (one device lock), as for every
 * device here.
 * When an IOAPIC is added, an ISA router fans each device line out to
 * pic_set_irq() and the IOAPIC input of the same number (IRQ0 goes to IOAPIC
 * pin 2 per the MP table's interrupt override). */
#ifndef GLASS_DEVICES_PIC8259_H
#define GLASS_DEVICES_PIC8259_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "devices/irq.h"

struct iobus;

#define PIC_MASTER_BASE 0x20
#define PIC_SLAVE_BASE 0xa0
#define PIC_ELCR_BASE 0x4d0     /* ELCR1 (IRQ0-7) at 4D0h, ELCR2 (IRQ8-15) at 4D1h */
#define PIC_CASCADE_IR 2        /* the master input the slave's INT drives */

/* The two registers a chip decodes, by address line A0. */
enum pic8259_reg {
    PIC_A0_0 = 0,   /* ICW1, OCW2, OCW3; read IRR / ISR / poll word */
    PIC_A0_1 = 1,   /* ICW2-ICW4, OCW1; read IMR */
};

/* ICW1 (A0=0, D4=1) */
#define PIC_ICW1_IC4  0x01      /* ICW4 needed */
#define PIC_ICW1_SNGL 0x02      /* single 8259A: no ICW3 */
#define PIC_ICW1_ADI  0x04      /* call address interval (8080 mode only) */
#define PIC_ICW1_LTIM 0x08      /* level-triggered mode */
#define PIC_ICW1_INIT 0x10      /* D4: this is ICW1 */
/* ICW4 */
#define PIC_ICW4_UPM  0x01      /* 8086/8088 mode */
#define PIC_ICW4_AEOI 0x02      /* automatic end of interrupt */
#define PIC_ICW4_MS   0x04      /* buffered mode: master (1) / slave (0) */
#define PIC_ICW4_BUF  0x08      /* buffered mode */
#define PIC_ICW4_SFNM 0x10      /* special fully nested mode */
/* OCW2 (A0=0, D4=0, D3=0): R SL EOI in D7-D5, level L2-L0 in D2-D0 */
#define PIC_OCW2_EOI  0x20
#define PIC_OCW2_SL   0x40
#define PIC_OCW2_R    0x80
#define PIC_OCW2_NONSPECIFIC_EOI 0x20
#define PIC_OCW2_SPECIFIC_EOI    0x60
#define PIC_OCW2_ROTATE_NONSPECIFIC_EOI 0xa0
#define PIC_OCW2_ROTATE_AEOI_SET   0x80
#define PIC_OCW2_ROTATE_AEOI_CLEAR 0x00
#define PIC_OCW2_ROTATE_SPECIFIC_EOI 0xe0
#define PIC_OCW2_SET_PRIORITY 0xc0
/* OCW3 (A0=0, D4=0, D3=1) */
#define PIC_OCW3_RIS  0x01      /* read ISR (1) or IRR (0) ... */
#define PIC_OCW3_RR   0x02      /* ... when RR is set */
#define PIC_OCW3_P    0x04      /* poll command */
#define PIC_OCW3_SEL  0x08      /* D3: this is OCW3 */
#define PIC_OCW3_SMM  0x20      /* special mask mode on (1) / off (0) ... */
#define PIC_OCW3_ESMM 0x40      /* ... when ESMM is set */
/* Poll word */
#define PIC_POLL_I    0x80      /* an interrupt was pending */

enum pic8259_init_step {
    PIC_READY = 0,              /* initialized: A0=1 writes are OCW1 */
    PIC_WANT_ICW2,
    PIC_WANT_ICW3,
    PIC_WANT_ICW4,
};

/* One 8259A. */
struct pic8259 {
    uint8_t irr;            /* interrupt request register */
    uint8_t isr;            /* in-service register */
    uint8_t imr;            /* interrupt mask register (OCW1) */
    uint8_t lines;          /* IR input levels, for edge detection */
    uint8_t elcr;           /* PIIX edge/level control: 1 = level */
    uint8_t icw1, icw2, icw3, icw4;
    uint8_t init_step;      /* enum pic8259_init_step */
    uint8_t lowest;         /* IR with the lowest priority (7 after ICW1) */
    uint8_t read_isr;       /* OCW3: A0=0 reads ISR (1) or IRR (0) */
    uint8_t poll;           /* OCW3 P: the next A0=0 read is a poll */
    uint8_t special_mask;   /* OCW3 special mask mode */
    uint8_t rotate_aeoi;    /* OCW2 rotate in automatic EOI mode */
};

/* The cascaded pair. */
struct pic {
    struct pic8259 chip[2]; /* [0] master (IRQ0-7), [1] slave (IRQ8-15) */
    struct irq_line intr;   /* the master's INT output, to the CPU's INTR */
    uint8_t intr_level;     /* last level driven on intr */
    uint64_t acks, spurious;
};

/* The pair as a PC BIOS leaves it (glass has no BIOS): initialized in
 * cascade mode, 8086 mode, vectors 08h (master) and 70h (slave), edge
 * triggered, every IRQ masked but the cascade.  intr may be unconnected. */
void pic_init(struct pic *p, struct irq_line intr);
/* Claim 20h-21h, A0h-A1h and 4D0h-4D1h on the bus; 0 or a negative errno. */
int pic_attach(struct pic *p, struct iobus *bus);

/* Drive ISA interrupt input irq (0-15) to level.  IRQ2 is the cascade: the
 * ISA bus's IRQ2 pin is wired to IRQ9 as on the PC/AT.  Out of range: ignored. */
void pic_set_irq(struct pic *p, int irq, int level);
/* The same as an irq_handler_fn: opaque is the struct pic, n the IRQ. */
void pic_irq_handler(void *opaque, int n, int level);

/* The INTR output: a request the CPU should acknowledge is pending. */
bool pic_intr_pending(const struct pic *p);
/* The INTA cycle: the vector of the highest-priority request, setting its
 * ISR bit (unless auto-EOI) and clearing its IRR bit, through the slave when
 * the master's request is the cascade.  If the request went away, the chip
 * answers the default IR7 vector (ICW2 | 7, master or slave) without
 * setting that ISR bit ("spurious IRQ7 / IRQ15"); the master's IR2 ISR bit
 * is still set for a spurious IRQ15, as on the chip. */
int pic_ack(struct pic *p);

/* Register access of one chip (0 master, 1 slave), reg a pic8259_reg. */
uint8_t pic_read(struct pic *p, int chip, int reg);
void pic_write(struct pic *p, int chip, int reg, uint8_t val);

/* Snapshot: pic_save returns the size written (buf NULL: the size needed;
 * 0 when len is too small); pic_load returns 0 or -EINVAL.  The intr line
 * is driven to the loaded level. */
size_t pic_save(const struct pic *p, uint8_t *buf, size_t len);
int pic_load(struct pic *p, const uint8_t *buf, size_t len);

#endif
