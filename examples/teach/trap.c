/*
 * trap.c - segmentation (GDT and TSS), the IDT, the 8259A PICs, and trap(),
 * where every interrupt, exception and system call arrives.
 */
#include "kernel.h"

/* ---- GDT (SDM Vol. 3A, 3.4.5 "Segment Descriptors") ----
 * A descriptor packs a 32-bit base, a 20-bit limit and flags:
 *   access: P(7) DPL(6:5) S(4) type(3:0);  flags: G(3) D/B(2). */
static uint64_t gdt[6];

static uint64_t seg_desc(uint32_t base, uint32_t limit, uint8_t access,
                         uint8_t flags)
{
    return (uint64_t)(limit & 0xFFFF) | (uint64_t)(base & 0xFFFFFF) << 16 |
           (uint64_t)access << 40 | (uint64_t)((limit >> 16) & 0xF) << 48 |
           (uint64_t)(flags & 0xF) << 52 | (uint64_t)(base >> 24) << 56;
}

/* The TSS (SDM 7.7): in this kernel only SS0:ESP0 matter, the stack the
 * CPU switches to when an interrupt arrives in ring 3. */
struct tss {
    uint32_t link, esp0, ss0, unused[23];
    uint16_t trap, iomap_base;
} __attribute__((packed));
static struct tss tss;

struct dtr {
    uint16_t limit;
    uint32_t base;
} __attribute__((packed));

void gdt_init(void)
{
    gdt[0] = 0;
    gdt[1] = seg_desc(0, 0xFFFFF, 0x9A, 0xC);  /* kernel code, DPL 0 */
    gdt[2] = seg_desc(0, 0xFFFFF, 0x92, 0xC);  /* kernel data */
    gdt[3] = seg_desc(0, 0xFFFFF, 0xFA, 0xC);  /* user code, DPL 3 */
    gdt[4] = seg_desc(0, 0xFFFFF, 0xF2, 0xC);  /* user data, DPL 3 */
    tss.ss0 = SEG_KDATA;
    tss.iomap_base = sizeof(tss);              /* no I/O permission map */
    gdt[5] = seg_desc((uint32_t)&tss, sizeof(tss) - 1, 0x89, 0x0); /* TSS */
    gdt_load();
    __asm__ volatile("ltr %w0" : : "r"(SEG_TSS));
}

/* Load the GDT and reload every segment register (CS with a far jump).
 * The other CPUs call this too. */
void gdt_load(void)
{
    struct dtr d = { sizeof(gdt) - 1, (uint32_t)gdt };
    __asm__ volatile("lgdt %0\n\t"
                     "ljmp %1, $1f\n"
                     "1:\n\t"
                     "mov %2, %%ds\n\t"
                     "mov %2, %%es\n\t"
                     "mov %2, %%fs\n\t"
                     "mov %2, %%gs\n\t"
                     "mov %2, %%ss"
                     : : "m"(d), "i"(SEG_KCODE), "r"(SEG_KDATA) : "memory");
}

void tss_set_kstack(uint32_t esp0) { tss.esp0 = esp0; }

/* ---- IDT (SDM 6.11): 256 gates.  Interrupt gates (type 0xE) clear IF, so
 * the kernel never takes an interrupt while handling one.  The system-call
 * gate has DPL 3 so that ring 3 may use INT 0x40; the others DPL 0, so a
 * user "int 0x20" raises #GP instead. ---- */
static uint64_t idt[256];

static uint64_t gate(uint32_t handler, int dpl)
{
    return (uint64_t)(handler & 0xFFFF) | (uint64_t)SEG_KCODE << 16 |
           (uint64_t)(0x8E | dpl << 5) << 40 |
           (uint64_t)(handler >> 16) << 48;
}

void idt_init(void)
{
    for (int i = 0; i < 256; i++)
        idt[i] = gate(vectors[i], i == T_SYSCALL ? 3 : 0);
    idt_load();
}

void idt_load(void)
{
    struct dtr d = { sizeof(idt) - 1, (uint32_t)idt };
    __asm__ volatile("lidt %0" : : "m"(d));
}

/* ---- the 8259A pair: master at ports 0x20/0x21, slave at 0xA0/0xA1.
 * After reset they deliver IRQ 0-7 at vectors 8-15, on top of the CPU's
 * exceptions, so we move them to 0x20-0x2F (ICW2).  When the IOAPIC does
 * the routing, both PICs are then masked entirely. ---- */
void pic_init(int unmask_legacy)
{
    outb(0x20, 0x11);           /* ICW1: edge, cascade, ICW4 follows */
    outb(0xA0, 0x11);
    outb(0x21, T_IRQ0);         /* ICW2: master vectors 0x20-0x27 */
    outb(0xA1, T_IRQ0 + 8);     /*       slave vectors 0x28-0x2F */
    outb(0x21, 0x04);           /* ICW3: slave on master's IRQ2 */
    outb(0xA1, 0x02);           /*       slave's cascade identity */
    outb(0x21, 0x01);           /* ICW4: 8086 mode, normal EOI */
    outb(0xA1, 0x01);
    if (unmask_legacy) {        /* OCW1: the mask, 1 = masked */
        outb(0x21, (uint8_t)~(1 << IRQ_TIMER | 1 << IRQ_KBD | 1 << IRQ_COM1));
        outb(0xA1, 0xFF);
    } else {
        outb(0x21, 0xFF);
        outb(0xA1, 0xFF);
    }
}

/* End of interrupt: to the local APIC, or to the master PIC (OCW2). */
void irq_eoi(void)
{
    if (use_ioapic)
        lapic_eoi();
    else
        outb(0x20, 0x20);
}

/* ---- trap(): the C side of every interrupt ---- */
volatile uint32_t ticks;

static const char *const exception_names[32] = {
    "divide error", "debug", "NMI", "breakpoint", "overflow",
    "BOUND range", "invalid opcode", "device not available",
    "double fault", "coprocessor overrun", "invalid TSS",
    "segment not present", "stack fault", "general protection",
    "page fault", "reserved", "x87 error", "alignment check",
    "machine check", "SIMD error",
};

void trap(struct trapframe *tf)
{
    switch (tf->vector) {
    case T_SYSCALL:
        syscall(tf);
        return;
    case T_IRQ0 + IRQ_TIMER:
        ticks++;
        irq_eoi();
        proc_timer_tick(tf);    /* may switch to another process */
        return;
    case T_IRQ0 + IRQ_KBD:
        input_irq_kbd();
        irq_eoi();
        return;
    case T_IRQ0 + IRQ_COM1:
        input_irq_com1();
        irq_eoi();
        return;
    case T_IRQ0 + 7:            /* a spurious IRQ7 from the 8259A: no EOI */
    case T_SPURIOUS:            /* the local APIC's spurious vector: no EOI */
        return;
    }
    /* Anything else is unexpected: describe it and stop. */
    if (tf->vector < 32)
        kprintf("exception %u (%s), error code %x, at eip %x, cs %x\n",
                tf->vector,
                exception_names[tf->vector] ? exception_names[tf->vector] : "?",
                tf->error, tf->eip, tf->cs);
    else
        kprintf("unexpected interrupt %u at eip %x\n", tf->vector, tf->eip);
    if (tf->vector == 14)
        kprintf("page fault address %x\n", rcr2());
    kexit(EXIT_FAIL);
}
