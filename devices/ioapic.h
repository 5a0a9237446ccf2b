/* The I/O APIC (Intel 82093AA I/O Advanced Programmable Interrupt
 * Controller datasheet): 24 interrupt input pins, each with a 64-bit
 * redirection table entry that turns the pin into a message on the APIC bus
 * (devices/apic_bus.h).  Two registers in memory, IOREGSEL at base+0x00
 * (selects an indirect register) and IOWIN at base+0x10 (reads/writes it);
 * the indirect registers are IOAPICID (0), IOAPICVER (1), IOAPICARB (2) and
 * the redirection table, two 32-bit halves per entry at 0x10-0x3F.
 *
 * Version 0x11 (the 82093AA): no EOI register at base+0x40; a level-
 * triggered entry's remote IRR is cleared by the EOI message the LAPIC
 * broadcasts (ioapic_eoi, called through apic_bus_eoi).
 *
 * Input pins carry the asserted state (1 = asserted), as every irq_line in
 * glass does: the polarity bit (INTPOL) is stored for the guest to read but
 * not applied, the board's wiring already speaks "asserted".
 *
 * ---- How the board wires it ----
 *   ioapic_init(&io, 0);   apic_bus_add_ioapic(&bus, &io);   (ID = number of CPUs
 *                           is what the MP table usually says; any ID works)
 *   memmap_add_mmio(mem, "ioapic", IOAPIC_DEFAULT_BASE, IOAPIC_MMIO_SIZE,
 *                   &ioapic_mmio_ops, &io);
 *   ISA IRQ n -> pin n (IRQ0, the PIT, -> pin 2 as the MP table's
 *   interrupt-source override usually says; the board chooses and must tell
 *   the firmware tables the same): irq_line_connect(&line, ioapic_set_irq, &io, pin).
 *   Snapshots: ioapic_save / ioapic_load. */
#ifndef GLASS_DEVICES_IOAPIC_H
#define GLASS_DEVICES_IOAPIC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "devices/apic_bus.h"
#include "mem/memmap.h"

#define IOAPIC_DEFAULT_BASE 0xfec00000ull
#define IOAPIC_MMIO_SIZE 0x1000
#define IOAPIC_PINS 24
#define IOAPIC_VERSION 0x11

/* Memory-mapped registers, offsets from the base (datasheet 3.0). */
enum ioapic_mmio_reg {
    IOAPIC_IOREGSEL = 0x00,
    IOAPIC_IOWIN = 0x10,
};

/* Indirect registers, selected by IOREGSEL (datasheet 3.2). */
enum ioapic_reg {
    IOAPIC_ID = 0x00,       /* bits 27:24 */
    IOAPIC_VER = 0x01,      /* version, max redirection entry in 23:16 */
    IOAPIC_ARB = 0x02,      /* arbitration ID, bits 27:24 (read only) */
    IOAPIC_REDTBL = 0x10,   /* entry n: low half 0x10 + 2n, high half 0x11 + 2n */
};

/* Redirection table entry fields (datasheet 3.2.4). */
#define IOAPIC_RTE_VECTOR 0xffull
#define IOAPIC_RTE_DM_SHIFT 8
#define IOAPIC_RTE_DEST_LOGICAL (1ull << 11)
#define IOAPIC_RTE_DELIVS (1ull << 12)      /* read only */
#define IOAPIC_RTE_POLARITY (1ull << 13)    /* 1: active low */
#define IOAPIC_RTE_REMOTE_IRR (1ull << 14)  /* read only */
#define IOAPIC_RTE_LEVEL (1ull << 15)       /* trigger mode: 1 level */
#define IOAPIC_RTE_MASKED (1ull << 16)
#define IOAPIC_RTE_DEST_SHIFT 56

struct ioapic {
    struct apic_bus *bus;   /* wiring, set by apic_bus_add_ioapic */

    uint32_t id;            /* IOAPICID: bits 27:24 */
    uint32_t arb;           /* IOAPICARB: bits 27:24 */
    uint8_t ioregsel;
    uint64_t redtbl[IOAPIC_PINS];
    uint32_t pin_level;     /* bit n: pin n asserted */
};

/* Power-on state: every entry masked, ID as given (bits 3:0). */
void ioapic_init(struct ioapic *io, uint8_t id);
void ioapic_reset(struct ioapic *io);

/* Pin input (an irq_handler_fn; opaque is the struct ioapic). */
void ioapic_set_irq(void *opaque, int pin, int level);
/* EOI for vector from a LAPIC: clear remote IRR of level entries with that
 * vector, and deliver again if the pin is still asserted. */
void ioapic_eoi(struct ioapic *io, int vector);

/* MMIO, offset from the base, size 1, 2, 4 or 8: IOREGSEL takes the low byte
 * of any write at offset 0; IOWIN is read in any width at 0x10-0x13 and
 * written by 4- or 8-byte (low half) writes at 0x10; everything else reads 0
 * and ignores writes. */
uint64_t ioapic_mmio_read(struct ioapic *io, uint64_t offset, int size);
void ioapic_mmio_write(struct ioapic *io, uint64_t offset, int size, uint64_t val);
/* The same pair as struct mmio_ops (opaque = the struct ioapic). */
extern const struct mmio_ops ioapic_mmio_ops;

/* Indirect register access, for the debugger and tests. */
uint32_t ioapic_read_reg(struct ioapic *io, uint8_t reg);
void ioapic_write_reg(struct ioapic *io, uint8_t reg, uint32_t val);

size_t ioapic_save(const struct ioapic *io, uint8_t *buf, size_t len);
int ioapic_load(struct ioapic *io, const uint8_t *buf, size_t len);

#endif
