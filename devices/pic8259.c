/* The 8259A PIC pair, as in the Intel 8259A datasheet (231468), plus the
 * PIIX ELCR registers. */
#include "devices/pic8259.h"

#include <errno.h>
#include <string.h>

#include "devices/device_state.h"
#include "devices/iobus.h"

enum { PIC_MASTER = 0, PIC_SLAVE = 1 };

/* PIIX4 4.1.12: IRQ0, 1, 2, 8 and 13 are edge-only; their ELCR bits are
 * reserved and read 0. */
static const uint8_t elcr_writable[2] = { 0xf8, 0xde };

/* --- priority resolution --- */

/* Priority 0 is the highest.  The IR after `lowest` has the highest
 * priority, cycling (datasheet "Rotation" and "Specific rotation"). */
static int priority_of(const struct pic8259 *c, int ir)
{
    return (ir - c->lowest - 1) & 7;
}

/* The IR of highest priority among the bits of mask, or -1. */
static int highest_in(const struct pic8259 *c, uint8_t mask)
{
    for (int k = 0; k < 8; k++) {
        int ir = (c->lowest + 1 + k) & 7;
        if (mask & (1u << ir))
            return ir;
    }
    return -1;
}

static uint8_t level_triggered(const struct pic8259 *c)
{
    return (c->icw1 & PIC_ICW1_LTIM) ? 0xff : c->elcr;
}

static bool is_cascade_input(const struct pic8259 *c, int ir)
{
    return !(c->icw1 & PIC_ICW1_SNGL) && (c->icw3 & (1u << ir));
}

/* A level-triggered request is its input: it is there while the input is
 * high and gone when it falls (datasheet "Level triggered mode"). */
static void sample_levels(struct pic8259 *c)
{
    uint8_t lvl = level_triggered(c);
    c->irr = (uint8_t)((c->irr & ~lvl) | (c->lines & lvl));
}

static void chip_set_input(struct pic8259 *c, int ir, int level)
{
    uint8_t bit = (uint8_t)(1u << ir);
    if (level) {
        if (!(c->lines & bit))
            c->irr |= bit;          /* rising edge */
        c->lines |= bit;
    } else {
        c->lines &= (uint8_t)~bit;
    }
    sample_levels(c);
}

/* The IR this chip would interrupt with, or -1: the highest-priority
 * unmasked request, if it has a higher priority than every level in
 * service (fully nested mode).  In special mask mode a masked level in
 * service does not hold back the others (OCW3 SMM); in special fully nested
 * mode a cascade input in service does not hold back its own slave's new
 * requests (ICW4 SFNM). */
static int chip_request(const struct pic8259 *c, bool master)
{
    if (c->init_step != PIC_READY)
        return -1;
    int ir = highest_in(c, c->irr & (uint8_t)~c->imr);
    if (ir < 0)
        return -1;
    uint8_t in_service = c->isr;
    if (c->special_mask)
        in_service &= (uint8_t)~c->imr;
    if (master && (c->icw4 & PIC_ICW4_SFNM) && is_cascade_input(c, ir))
        in_service &= (uint8_t)~(1u << ir);
    int cur = highest_in(c, in_service);
    if (cur >= 0 && priority_of(c, ir) >= priority_of(c, cur))
        return -1;
    return ir;
}

/* --- end of interrupt (OCW2) --- */

static void eoi_level(struct pic8259 *c, int ir, bool rotate)
{
    c->isr &= (uint8_t)~(1u << ir);
    if (rotate)
        c->lowest = (uint8_t)ir;    /* the serviced level goes to the bottom */
}

/* A non-specific EOI resets the highest-priority ISR bit; in special mask
 * mode it skips levels masked by IMR (datasheet "End of Interrupt"). */
static void eoi_nonspecific(struct pic8259 *c, bool rotate)
{
    uint8_t in_service = c->isr;
    if (c->special_mask)
        in_service &= (uint8_t)~c->imr;
    int ir = highest_in(c, in_service);
    if (ir >= 0)
        eoi_level(c, ir, rotate);
}

/* The INTA sequence on one chip for level ir: IRR bit reset, ISR bit set;
 * with AEOI the ISR bit is reset again at the end of the sequence.  A
 * level-triggered input still high requests again at once. */
static void chip_acknowledge(struct pic8259 *c, int ir)
{
    c->irr &= (uint8_t)~(1u << ir);
    c->isr |= (uint8_t)(1u << ir);
    if (c->icw4 & PIC_ICW4_AEOI)
        eoi_level(c, ir, c->rotate_aeoi);
    sample_levels(c);
}

/* --- the pair --- */

static void pic_update(struct pic *p)
{
    struct pic8259 *m = &p->chip[PIC_MASTER];
    int slave_int = chip_request(&p->chip[PIC_SLAVE], false) >= 0;
    chip_set_input(m, PIC_CASCADE_IR, slave_int);
    uint8_t level = chip_request(m, true) >= 0;
    if (level != p->intr_level) {
        p->intr_level = level;
        irq_set_level(&p->intr, level);
    }
}

void pic_set_irq(struct pic *p, int irq, int level)
{
    if (irq < 0 || irq > 15)
        return;
    if (irq == PIC_CASCADE_IR)
        irq = 9;                    /* PC/AT: ISA IRQ2 pin goes to IRQ9 */
    chip_set_input(&p->chip[irq >> 3], irq & 7, level != 0);
    pic_update(p);
}

void pic_irq_handler(void *opaque, int n, int level)
{
    pic_set_irq(opaque, n, level);
}

bool pic_intr_pending(const struct pic *p)
{
    return chip_request(&p->chip[PIC_MASTER], true) >= 0;
}

int pic_ack(struct pic *p)
{
    struct pic8259 *m = &p->chip[PIC_MASTER], *s = &p->chip[PIC_SLAVE];
    int vector;
    int ir = chip_request(m, true);
    if (ir < 0) {
        p->spurious++;
        vector = (m->icw2 & 0xf8) | 7;  /* default IR7, no ISR bit */
    } else if (is_cascade_input(m, ir)) {
        chip_acknowledge(m, ir);
        int sir = chip_request(s, false);
        if (sir < 0) {
            p->spurious++;
            vector = (s->icw2 & 0xf8) | 7;
        } else {
            chip_acknowledge(s, sir);
            vector = (s->icw2 & 0xf8) | sir;
        }
        /* The slave's INT falls during its INTA sequence; a request still
         * pending raises it again, a fresh edge for the master's IR2. */
        chip_set_input(m, ir, 0);
    } else {
        chip_acknowledge(m, ir);
        vector = (m->icw2 & 0xf8) | ir;
    }
    p->acks++;
    pic_update(p);
    return vector;
}

/* --- registers --- */

/* ICW1 starts the initialization sequence (datasheet "Initialization
 * Command Words"): the edge sense circuit is reset (an input must go low to
 * high again), IMR is cleared, IR7 gets the lowest priority, special mask
 * mode is cleared, status read is set to IRR, and without IC4 every ICW4
 * function is zero.  ISR is cleared too: the datasheet leaves it alone but
 * a re-initialized chip with a stale in-service level would block forever. */
static void write_icw1(struct pic8259 *c, uint8_t val)
{
    c->icw1 = val;
    c->init_step = PIC_WANT_ICW2;
    c->irr = 0;
    c->isr = 0;
    c->imr = 0;
    c->lowest = 7;
    c->special_mask = 0;
    c->read_isr = 0;
    c->poll = 0;
    c->rotate_aeoi = 0;
    if (!(val & PIC_ICW1_IC4))
        c->icw4 = 0;
    sample_levels(c);
}

static void write_ocw2(struct pic8259 *c, uint8_t val)
{
    int level = val & 7;
    switch (val & (PIC_OCW2_R | PIC_OCW2_SL | PIC_OCW2_EOI)) {
    case PIC_OCW2_NONSPECIFIC_EOI:
        eoi_nonspecific(c, false);
        break;
    case PIC_OCW2_SPECIFIC_EOI:
        eoi_level(c, level, false);
        break;
    case PIC_OCW2_ROTATE_NONSPECIFIC_EOI:
        eoi_nonspecific(c, true);
        break;
    case PIC_OCW2_ROTATE_AEOI_SET:
        c->rotate_aeoi = 1;
        break;
    case PIC_OCW2_ROTATE_AEOI_CLEAR:
        c->rotate_aeoi = 0;
        break;
    case PIC_OCW2_ROTATE_SPECIFIC_EOI:
        eoi_level(c, level, true);
        break;
    case PIC_OCW2_SET_PRIORITY:
        c->lowest = (uint8_t)level;
        break;
    default:        /* 010: no operation */
        break;
    }
}

static void write_ocw3(struct pic8259 *c, uint8_t val)
{
    if (val & PIC_OCW3_ESMM)
        c->special_mask = (val & PIC_OCW3_SMM) != 0;
    if (val & PIC_OCW3_RR)
        c->read_isr = (val & PIC_OCW3_RIS) != 0;
    if (val & PIC_OCW3_P)
        c->poll = 1;
}

/* ICW2 carries T7-T3 of the vector; ICW3 (cascade mode only) the slave
 * inputs of a master or the ID of a slave; ICW4 only when ICW1.IC4. */
static void write_icw(struct pic8259 *c, uint8_t val)
{
    switch (c->init_step) {
    case PIC_WANT_ICW2:
        c->icw2 = val & 0xf8;
        if (!(c->icw1 & PIC_ICW1_SNGL))
            c->init_step = PIC_WANT_ICW3;
        else
            c->init_step = (c->icw1 & PIC_ICW1_IC4) ? PIC_WANT_ICW4 : PIC_READY;
        break;
    case PIC_WANT_ICW3:
        c->icw3 = val;
        c->init_step = (c->icw1 & PIC_ICW1_IC4) ? PIC_WANT_ICW4 : PIC_READY;
        break;
    case PIC_WANT_ICW4:
        c->icw4 = val & 0x1f;
        c->init_step = PIC_READY;
        break;
    }
}

/* The poll command: the read is an interrupt acknowledge without INTA,
 * giving I (D7) and the level W2-W0 (datasheet "The Poll Command"). */
static uint8_t read_poll(struct pic *p, int chip)
{
    struct pic8259 *c = &p->chip[chip];
    c->poll = 0;
    int ir = chip_request(c, chip == PIC_MASTER);
    if (ir < 0)
        return 0;
    chip_acknowledge(c, ir);
    return (uint8_t)(PIC_POLL_I | ir);
}

uint8_t pic_read(struct pic *p, int chip, int reg)
{
    struct pic8259 *c = &p->chip[chip & 1];
    uint8_t val = 0;
    switch (reg & 1) {
    case PIC_A0_0:
        if (c->poll)
            val = read_poll(p, chip & 1);
        else
            val = c->read_isr ? c->isr : c->irr;
        break;
    case PIC_A0_1:
        val = c->imr;
        break;
    }
    pic_update(p);
    return val;
}

void pic_write(struct pic *p, int chip, int reg, uint8_t val)
{
    struct pic8259 *c = &p->chip[chip & 1];
    switch (reg & 1) {
    case PIC_A0_0:
        if (val & PIC_ICW1_INIT)
            write_icw1(c, val);
        else if (val & PIC_OCW3_SEL)
            write_ocw3(c, val);
        else
            write_ocw2(c, val);
        break;
    case PIC_A0_1:
        if (c->init_step != PIC_READY)
            write_icw(c, val);
        else
            c->imr = val;           /* OCW1 */
        break;
    }
    pic_update(p);
}

static void write_elcr(struct pic *p, int chip, uint8_t val)
{
    struct pic8259 *c = &p->chip[chip];
    c->elcr = val & elcr_writable[chip];
    sample_levels(c);
    pic_update(p);
}

void pic_init(struct pic *p, struct irq_line intr)
{
    memset(p, 0, sizeof(*p));
    p->intr = intr;
    static const uint8_t vector[2] = { 0x08, 0x70 };
    static const uint8_t icw3[2] = { 1u << PIC_CASCADE_IR, PIC_CASCADE_IR };
    static const uint8_t mask[2] = { (uint8_t)~(1u << PIC_CASCADE_IR), 0xff };
    for (int i = 0; i < 2; i++) {
        pic_write(p, i, PIC_A0_0, PIC_ICW1_INIT | PIC_ICW1_IC4);
        pic_write(p, i, PIC_A0_1, vector[i]);
        pic_write(p, i, PIC_A0_1, icw3[i]);
        pic_write(p, i, PIC_A0_1, PIC_ICW4_UPM);
        pic_write(p, i, PIC_A0_1, mask[i]);
    }
}

/* --- the bus: 8-bit registers; a wider access is split into byte cycles
 * on consecutive ports, as the ISA bus does --- */

static uint8_t port_read_byte(struct pic *p, uint16_t port)
{
    switch (port) {
    case PIC_MASTER_BASE: case PIC_MASTER_BASE + 1:
        return pic_read(p, PIC_MASTER, port & 1);
    case PIC_SLAVE_BASE: case PIC_SLAVE_BASE + 1:
        return pic_read(p, PIC_SLAVE, port & 1);
    case PIC_ELCR_BASE: case PIC_ELCR_BASE + 1:
        return p->chip[port & 1].elcr;
    }
    return 0xff;
}

static void port_write_byte(struct pic *p, uint16_t port, uint8_t val)
{
    switch (port) {
    case PIC_MASTER_BASE: case PIC_MASTER_BASE + 1:
        pic_write(p, PIC_MASTER, port & 1, val);
        break;
    case PIC_SLAVE_BASE: case PIC_SLAVE_BASE + 1:
        pic_write(p, PIC_SLAVE, port & 1, val);
        break;
    case PIC_ELCR_BASE: case PIC_ELCR_BASE + 1:
        write_elcr(p, port & 1, val);
        break;
    }
}

static uint32_t pic_port_read(void *opaque, uint16_t port, int size)
{
    uint32_t val = 0;
    for (int i = 0; i < size && i < 4; i++)
        val |= (uint32_t)port_read_byte(opaque, (uint16_t)(port + i)) << (8 * i);
    return val;
}

static void pic_port_write(void *opaque, uint16_t port, int size, uint32_t val)
{
    for (int i = 0; i < size && i < 4; i++)
        port_write_byte(opaque, (uint16_t)(port + i), (uint8_t)(val >> (8 * i)));
}

int pic_attach(struct pic *p, struct iobus *bus)
{
    int r = iobus_register(bus, "pic-master", PIC_MASTER_BASE, 2, pic_port_read,
                           pic_port_write, p);
    if (r == 0)
        r = iobus_register(bus, "pic-slave", PIC_SLAVE_BASE, 2, pic_port_read,
                           pic_port_write, p);
    if (r == 0)
        r = iobus_register(bus, "pic-elcr", PIC_ELCR_BASE, 2, pic_port_read,
                           pic_port_write, p);
    return r;
}

/* --- snapshot --- */

static const struct dev_state_head pic_state = {
    .magic = { 0x59 }, .magic_len = 1, .version = 1,
};

enum {
    PIC_SAVED_HEADER = 2,
    PIC_SAVED_CHIP = 15,
    PIC_SAVED_SIZE = PIC_SAVED_HEADER + 2 * PIC_SAVED_CHIP + 1,
};

size_t pic_save(const struct pic *p, uint8_t *buf, size_t len)
{
    uint8_t *q;
    size_t n = dev_state_save_open(&pic_state, PIC_SAVED_SIZE, buf, len, &q);
    if (!q)
        return n;
    for (int i = 0; i < 2; i++) {
        const struct pic8259 *c = &p->chip[i];
        *q++ = c->irr; *q++ = c->isr; *q++ = c->imr; *q++ = c->lines;
        *q++ = c->elcr; *q++ = c->icw1; *q++ = c->icw2; *q++ = c->icw3;
        *q++ = c->icw4; *q++ = c->init_step; *q++ = c->lowest; *q++ = c->read_isr;
        *q++ = c->poll; *q++ = c->special_mask; *q++ = c->rotate_aeoi;
    }
    *q++ = p->intr_level;
    return n;
}

int pic_load(struct pic *p, const uint8_t *buf, size_t len)
{
    if (!dev_state_load_ok(&pic_state, PIC_SAVED_SIZE, buf, len))
        return -EINVAL;
    const uint8_t *q = buf + PIC_SAVED_HEADER;
    for (int i = 0; i < 2; i++) {
        const uint8_t *s = q + i * PIC_SAVED_CHIP;
        if (s[9] > PIC_WANT_ICW4 || s[10] > 7 || s[11] > 1 || s[12] > 1 ||
            s[13] > 1 || s[14] > 1)
            return -EINVAL;
    }
    for (int i = 0; i < 2; i++) {
        struct pic8259 *c = &p->chip[i];
        const uint8_t *s = q + i * PIC_SAVED_CHIP;
        c->irr = s[0]; c->isr = s[1]; c->imr = s[2]; c->lines = s[3];
        c->elcr = s[4] & elcr_writable[i]; c->icw1 = s[5]; c->icw2 = s[6] & 0xf8;
        c->icw3 = s[7]; c->icw4 = s[8] & 0x1f; c->init_step = s[9]; c->lowest = s[10];
        c->read_isr = s[11]; c->poll = s[12]; c->special_mask = s[13];
        c->rotate_aeoi = s[14];
    }
    p->intr_level = q[2 * PIC_SAVED_CHIP] != 0;
    pic_update(p);
    irq_set_level(&p->intr, p->intr_level);
    return 0;
}
