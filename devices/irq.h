/* Interrupt lines.  A device drives a line to a level; whoever listens at
 * the other end (the ISA router feeding the 8259A pair and the IOAPIC, or a
 * LAPIC LINT pin) sees the level change.  Edge-triggered inputs act on the
 * 0 -> 1 transition; a device that "pulses" raises then lowers.
 * Path of an interrupt: device -> irq_line -> PIC or IOAPIC -> LAPIC -> vCPU. */
#ifndef GLASS_DEVICES_IRQ_H
#define GLASS_DEVICES_IRQ_H

typedef void (*irq_handler_fn)(void *opaque, int n, int level);

struct irq_line {
    irq_handler_fn handler;  /* NULL: the line is not connected */
    void *opaque;
    int n;                   /* input number at the receiving end */
};

static inline void irq_line_connect(struct irq_line *l, irq_handler_fn handler,
                                    void *opaque, int n)
{
    l->handler = handler;
    l->opaque = opaque;
    l->n = n;
}

static inline void irq_set_level(const struct irq_line *l, int level)
{
    if (l->handler)
        l->handler(l->opaque, l->n, level);
}

static inline void irq_raise(const struct irq_line *l) { irq_set_level(l, 1); }
static inline void irq_lower(const struct irq_line *l) { irq_set_level(l, 0); }
static inline void irq_pulse(const struct irq_line *l)
{
    irq_set_level(l, 1);
    irq_set_level(l, 0);
}

#endif
