/* The APIC bus: destination resolution and delivery (SDM Vol. 3, 11.6.2). */
#include "devices/apic_bus.h"

#include <errno.h>
#include <string.h>

#include "devices/ioapic.h"
#include "devices/lapic.h"

void apic_bus_init(struct apic_bus *bus)
{
    memset(bus, 0, sizeof(*bus));
}

int apic_bus_add_lapic(struct apic_bus *bus, struct lapic *l)
{
    if (bus->nlapics >= APIC_BUS_MAX_LAPICS)
        return -ENOSPC;
    l->bus = bus;
    l->bus_index = bus->nlapics;
    bus->lapic[bus->nlapics] = l;
    return bus->nlapics++;
}

int apic_bus_add_ioapic(struct apic_bus *bus, struct ioapic *io)
{
    if (bus->nioapics >= APIC_BUS_MAX_IOAPICS)
        return -ENOSPC;
    io->bus = bus;
    bus->ioapic[bus->nioapics++] = io;
    return 0;
}

/* SDM 11.6.2.1 (physical) and 11.6.2.2 (logical: flat and cluster models). */
bool apic_bus_match(const struct lapic *l, uint8_t dest, bool logical)
{
    if (!logical)
        return dest == APIC_BROADCAST || dest == lapic_apic_id(l);
    uint8_t ldr = (uint8_t)(l->ldr >> 24);
    switch (l->dfr >> 28) {
    case 0xf:   /* flat: the 8 bits are a bitmap of up to 8 APICs */
        return (ldr & dest) != 0;
    case 0x0:   /* cluster: cluster ID in 7:4, bitmap of 4 in 3:0 */
        if ((dest >> 4) != 0xf && (dest >> 4) != (ldr >> 4))
            return false;
        return (ldr & dest & 0xf) != 0;
    default:    /* a model the SDM does not define */
        return false;
    }
}

static bool addressed(const struct apic_bus *bus, int i, const struct apic_msg *msg)
{
    switch (msg->shorthand) {
    case APIC_SH_SELF:   return i == msg->source;
    case APIC_SH_ALL:    return true;
    case APIC_SH_OTHERS: return i != msg->source;
    default:             return apic_bus_match(bus->lapic[i], msg->dest, msg->dest_logical);
    }
}

int apic_bus_deliver(struct apic_bus *bus, const struct apic_msg *msg)
{
    if (msg->delivery_mode == APIC_DM_LOWEST) {
        /* Lowest priority: the lowest PPR among the enabled targets; ties
         * go round robin from bus->lowest_rr. */
        int best = -1;
        uint8_t best_ppr = 0;
        for (int k = 0; k < bus->nlapics; k++) {
            int i = (int)((bus->lowest_rr + (unsigned)k) % (unsigned)bus->nlapics);
            struct lapic *l = bus->lapic[i];
            if (!addressed(bus, i, msg) || !lapic_enabled(l))
                continue;
            uint8_t ppr = lapic_ppr(l);
            if (best < 0 || ppr < best_ppr) {
                best = i;
                best_ppr = ppr;
            }
        }
        if (best < 0)
            return 0;
        bus->lowest_rr = (unsigned)best + 1;
        return lapic_deliver(bus->lapic[best], msg);
    }
    int accepted = 0;
    for (int i = 0; i < bus->nlapics; i++)
        if (addressed(bus, i, msg))
            accepted += lapic_deliver(bus->lapic[i], msg);
    return accepted;
}

void apic_bus_eoi(struct apic_bus *bus, int vector)
{
    for (int i = 0; i < bus->nioapics; i++)
        ioapic_eoi(bus->ioapic[i], vector);
}
