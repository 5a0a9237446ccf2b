/* The 82093AA I/O APIC, register by register as in its datasheet. */
#include "devices/ioapic.h"

#include <errno.h>
#include <string.h>

#include "devices/device_state.h"

/* Writable bits of a redirection entry: all but delivery status (12),
 * remote IRR (14) and the reserved bits 55:17. */
#define RTE_WRITABLE 0xff0000000001afffull

static bool masked(uint64_t rte) { return (rte & IOAPIC_RTE_MASKED) != 0; }
static bool level_triggered(uint64_t rte) { return (rte & IOAPIC_RTE_LEVEL) != 0; }

/* Send pin's interrupt message.  A level-triggered entry sets remote IRR
 * when a LAPIC accepted it (datasheet 3.2.4, bit 14), and sends nothing
 * more until the EOI clears it. */
static void deliver(struct ioapic *io, int pin)
{
    uint64_t rte = io->redtbl[pin];
    if (!io->bus)
        return;
    struct apic_msg msg = {
        .dest = (uint8_t)(rte >> IOAPIC_RTE_DEST_SHIFT),
        .dest_logical = (rte & IOAPIC_RTE_DEST_LOGICAL) != 0,
        .delivery_mode = (rte >> IOAPIC_RTE_DM_SHIFT) & 7,
        .vector = (uint8_t)(rte & IOAPIC_RTE_VECTOR),
        .level_triggered = level_triggered(rte),
        .level = 1,
        .shorthand = APIC_SH_NONE,
        .source = -1,
    };
    /* Physical mode uses destination bits 59:56 on the 82093AA; glass's
     * LAPICs have 8-bit IDs, so all of 63:56 is compared (as later
     * chipsets do). */
    int accepted = apic_bus_deliver(io->bus, &msg);
    if (level_triggered(rte) && accepted > 0)
        io->redtbl[pin] |= IOAPIC_RTE_REMOTE_IRR;
}

/* A level-triggered pin that is asserted, unmasked and not waiting for an
 * EOI sends (again). */
static void service_level(struct ioapic *io, int pin)
{
    uint64_t rte = io->redtbl[pin];
    if (level_triggered(rte) && !masked(rte) && !(rte & IOAPIC_RTE_REMOTE_IRR) &&
        (io->pin_level >> pin & 1))
        deliver(io, pin);
}

void ioapic_set_irq(void *opaque, int pin, int level)
{
    struct ioapic *io = opaque;
    if (pin < 0 || pin >= IOAPIC_PINS)
        return;
    uint32_t bit = 1u << pin;
    bool rising = level && !(io->pin_level & bit);
    if (level)
        io->pin_level |= bit;
    else
        io->pin_level &= ~bit;
    uint64_t rte = io->redtbl[pin];
    /* Masked pins: "Edge-sensitive interrupts signaled on a masked
     * interrupt pin are ignored (i.e., not delivered or held pending).
     * Level-asserts or negates occurring on a masked level-sensitive pin
     * are also ignored" (datasheet 3.2.4, bit 16). */
    if (masked(rte))
        return;
    if (level_triggered(rte))
        service_level(io, pin);
    else if (rising)
        deliver(io, pin);
}

void ioapic_eoi(struct ioapic *io, int vector)
{
    for (int pin = 0; pin < IOAPIC_PINS; pin++) {
        uint64_t rte = io->redtbl[pin];
        if ((rte & IOAPIC_RTE_REMOTE_IRR) && (int)(rte & IOAPIC_RTE_VECTOR) == vector) {
            io->redtbl[pin] &= ~IOAPIC_RTE_REMOTE_IRR;
            service_level(io, pin);
        }
    }
}

void ioapic_reset(struct ioapic *io)
{
    io->ioregsel = 0;
    for (int pin = 0; pin < IOAPIC_PINS; pin++)
        io->redtbl[pin] = IOAPIC_RTE_MASKED;
}

void ioapic_init(struct ioapic *io, uint8_t id)
{
    memset(io, 0, sizeof(*io));
    io->id = (uint32_t)(id & 0xf) << 24;
    io->arb = io->id;
    ioapic_reset(io);
}

/* --- the indirect registers (datasheet 3.2) --- */

uint32_t ioapic_read_reg(struct ioapic *io, uint8_t reg)
{
    switch (reg) {
    case IOAPIC_ID:  return io->id;
    case IOAPIC_VER: return IOAPIC_VERSION | (IOAPIC_PINS - 1) << 16;
    case IOAPIC_ARB: return io->arb;
    case IOAPIC_REDTBL ... IOAPIC_REDTBL + 2 * IOAPIC_PINS - 1: {
        uint64_t rte = io->redtbl[(reg - IOAPIC_REDTBL) / 2];
        return (reg & 1) ? (uint32_t)(rte >> 32) : (uint32_t)rte;
    }
    default:
        return 0;   /* reserved */
    }
}

void ioapic_write_reg(struct ioapic *io, uint8_t reg, uint32_t val)
{
    switch (reg) {
    case IOAPIC_ID:
        io->id = val & 0x0f000000u;
        io->arb = io->id;   /* the arbitration ID is loaded from the ID */
        break;
    case IOAPIC_REDTBL ... IOAPIC_REDTBL + 2 * IOAPIC_PINS - 1: {
        int pin = (reg - IOAPIC_REDTBL) / 2;
        uint64_t rte = io->redtbl[pin];
        if (reg & 1)
            rte = (rte & 0xffffffffull) | (uint64_t)val << 32;
        else
            rte = (rte & ~0xffffffffull) | val;
        uint64_t ro = io->redtbl[pin] & IOAPIC_RTE_REMOTE_IRR;
        rte = (rte & RTE_WRITABLE) | ro;
        if (!level_triggered(rte))
            rte &= ~IOAPIC_RTE_REMOTE_IRR;  /* only level entries wait for EOI */
        io->redtbl[pin] = rte;
        service_level(io, pin);     /* unmasked with the line high: send now */
        break;
    }
    default:
        break;      /* IOAPICVER, IOAPICARB are read only; others reserved */
    }
}

/* --- MMIO --- */

uint64_t ioapic_mmio_read(struct ioapic *io, uint64_t offset, int size)
{
    if (size < 1 || size > 8)
        return 0;
    uint64_t result = 0;
    for (int i = 0; i < size; i++) {
        uint64_t off = (offset + (uint64_t)i) & (IOAPIC_MMIO_SIZE - 1);
        uint8_t byte = 0;
        if (off == IOAPIC_IOREGSEL)
            byte = io->ioregsel;
        else if (off >= IOAPIC_IOWIN && off < IOAPIC_IOWIN + 4)
            byte = (uint8_t)(ioapic_read_reg(io, io->ioregsel) >> (8 * (off - IOAPIC_IOWIN)));
        result |= (uint64_t)byte << (8 * i);
    }
    return result;
}

void ioapic_mmio_write(struct ioapic *io, uint64_t offset, int size, uint64_t val)
{
    offset &= IOAPIC_MMIO_SIZE - 1;
    if (size < 1 || size > 8)
        return;
    if (offset == IOAPIC_IOREGSEL)
        io->ioregsel = (uint8_t)val;
    else if (offset == IOAPIC_IOWIN && size >= 4)
        ioapic_write_reg(io, io->ioregsel, (uint32_t)val);
}

static uint64_t mmio_read(void *opaque, uint64_t offset, int size)
{
    return ioapic_mmio_read(opaque, offset, size);
}

static void mmio_write(void *opaque, uint64_t offset, int size, uint64_t val)
{
    ioapic_mmio_write(opaque, offset, size, val);
}

const struct mmio_ops ioapic_mmio_ops = { .read = mmio_read, .write = mmio_write };

/* --- snapshot --- */

static const struct dev_state_head ioapic_state = {
    .magic = { 'I', 'O' }, .magic_len = 2, .version = 1,
};

enum {
    IOAPIC_SAVED_SIZE = 3 + 4 + 4 + 1 + 4 + IOAPIC_PINS * 8,
};

size_t ioapic_save(const struct ioapic *io, uint8_t *buf, size_t len)
{
    uint8_t *p;
    size_t n = dev_state_save_open(&ioapic_state, IOAPIC_SAVED_SIZE, buf, len, &p);
    if (!p)
        return n;
    p = dev_state_put(p, io->id, 4);
    p = dev_state_put(p, io->arb, 4);
    p = dev_state_put(p, io->ioregsel, 1);
    p = dev_state_put(p, io->pin_level, 4);
    for (int i = 0; i < IOAPIC_PINS; i++)
        p = dev_state_put(p, io->redtbl[i], 8);
    return n;
}

int ioapic_load(struct ioapic *io, const uint8_t *buf, size_t len)
{
    if (!dev_state_load_ok(&ioapic_state, IOAPIC_SAVED_SIZE, buf, len))
        return -EINVAL;
    const uint8_t *p = buf + 3;
    io->id = (uint32_t)dev_state_get(&p, 4) & 0x0f000000u;
    io->arb = (uint32_t)dev_state_get(&p, 4) & 0x0f000000u;
    io->ioregsel = (uint8_t)dev_state_get(&p, 1);
    io->pin_level = (uint32_t)dev_state_get(&p, 4) & ((1u << IOAPIC_PINS) - 1);
    for (int i = 0; i < IOAPIC_PINS; i++)
        io->redtbl[i] = dev_state_get(&p, 8) & (RTE_WRITABLE | IOAPIC_RTE_REMOTE_IRR);
    return 0;
}
