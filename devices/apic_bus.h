/* The APIC bus: the message path between the IOAPICs and the local APICs,
 * and between local APICs (IPIs).  Intel SDM Vol. 3, ch. 11 ("Advanced
 * Programmable Interrupt Controller"; ch. 12 in newer editions), 11.6
 * "Issuing Interprocessor Interrupts" and 11.6.2 "Determining IPI
 * Destination".
 *
 * A message names its destination in one of three ways:
 *   - a shorthand (ICR bits 19:18): self, all including self, all excluding
 *     self; the destination field is then ignored;
 *   - physical mode: the 8-bit destination is an APIC ID; 0xFF is a
 *     broadcast to every local APIC;
 *   - logical mode: the destination is a Message Destination Address (MDA)
 *     compared with each LAPIC's LDR under its DFR model (11.6.2.2):
 *       flat    (DFR[31:28] = 1111b): match when LDR[31:24] & MDA != 0;
 *       cluster (DFR[31:28] = 0000b): MDA[7:4] is the cluster, MDA[3:0] a
 *         bitmap of up to 4 APICs in it: match when LDR[31:28] == MDA[7:4]
 *         and LDR[27:24] & MDA[3:0] != 0; cluster 1111b addresses every
 *         cluster (broadcast).
 *     Each receiver applies its own DFR (the SDM asks software to program
 *     all of them alike).
 *
 * Lowest-priority delivery (11.6.2.4): of the LAPICs that match, the one
 * whose processor priority (PPR) is lowest accepts the interrupt; ties are
 * broken round robin (a rotating start index in the bus), so equal-priority
 * CPUs share the load.  Focus-processor checking (SVR bit 9) is not
 * modelled: it is stored in SVR and otherwise ignored.
 *
 * Delivery is synchronous: apic_bus_deliver has updated every receiver's IRR
 * (or called its INIT/SIPI/NMI callback) when it returns, so the ICR's
 * delivery-status bit always reads "idle".
 *
 * Locking: none here.  The board must call every apic_bus/lapic/ioapic
 * function under one lock (the board's device lock) when vCPUs run on
 * threads; the lapic_cpu_ops callbacks are called with that lock held. */
#ifndef GLASS_DEVICES_APIC_BUS_H
#define GLASS_DEVICES_APIC_BUS_H

#include <stdbool.h>
#include <stdint.h>

struct lapic;
struct ioapic;

#define APIC_BUS_MAX_LAPICS 16
#define APIC_BUS_MAX_IOAPICS 4

/* Delivery modes (ICR bits 10:8, LVT bits 10:8, IOAPIC redirection bits
 * 10:8), SDM 11.6.1 and the 82093AA datasheet. */
enum apic_delivery_mode {
    APIC_DM_FIXED = 0,
    APIC_DM_LOWEST = 1,     /* lowest priority */
    APIC_DM_SMI = 2,
    APIC_DM_NMI = 4,
    APIC_DM_INIT = 5,       /* level 0 + trigger level: INIT level de-assert */
    APIC_DM_STARTUP = 6,    /* SIPI: vector = page number of the start address */
    APIC_DM_EXTINT = 7,
};

/* Destination shorthands (ICR bits 19:18). */
enum apic_shorthand {
    APIC_SH_NONE = 0,
    APIC_SH_SELF = 1,
    APIC_SH_ALL = 2,        /* all including self */
    APIC_SH_OTHERS = 3,     /* all excluding self */
};

#define APIC_BROADCAST 0xff

/* One interrupt message on the bus. */
struct apic_msg {
    uint8_t dest;           /* APIC ID (physical) or MDA (logical) */
    uint8_t dest_logical;   /* 1: logical destination mode */
    uint8_t delivery_mode;  /* enum apic_delivery_mode */
    uint8_t vector;
    uint8_t level_triggered;/* trigger mode: 1 level, 0 edge */
    uint8_t level;          /* ICR bit 14: 1 assert, 0 de-assert (INIT only) */
    uint8_t shorthand;      /* enum apic_shorthand */
    int8_t source;          /* bus index of the sending LAPIC, -1: an IOAPIC */
};

struct apic_bus {
    struct lapic *lapic[APIC_BUS_MAX_LAPICS];   /* by bus index */
    int nlapics;
    struct ioapic *ioapic[APIC_BUS_MAX_IOAPICS];
    int nioapics;
    unsigned lowest_rr;     /* round-robin start for lowest-priority ties */
};

void apic_bus_init(struct apic_bus *bus);
/* Attach a LAPIC (sets its bus and bus index).  Returns the bus index, or
 * -ENOSPC. */
int apic_bus_add_lapic(struct apic_bus *bus, struct lapic *l);
/* Attach an IOAPIC (sets its bus).  0 or -ENOSPC. */
int apic_bus_add_ioapic(struct apic_bus *bus, struct ioapic *io);

/* Deliver a message to every LAPIC it addresses.  Returns how many LAPICs
 * accepted it (0: nobody is there, or every target is disabled). */
int apic_bus_deliver(struct apic_bus *bus, const struct apic_msg *msg);

/* A LAPIC's EOI of a level-triggered vector, broadcast to every IOAPIC
 * (clears the remote IRR of the entries with that vector). */
void apic_bus_eoi(struct apic_bus *bus, int vector);

/* Does LAPIC l match destination dest in the given mode (no shorthand)? */
bool apic_bus_match(const struct lapic *l, uint8_t dest, bool logical);

#endif
