/*
 * kernel.c - the fuzzports example (issue 3): a guest that pokes random
 * values at every device register of the PC, one million accesses, and
 * must leave the emulator running.
 *
 * A fixed-seed xorshift32 drives exactly FUZZ_ACCESSES accesses, each one
 * of:
 *   - an IN or OUT of 8, 16 or 32 bits at a random port of a device
 *     (ports[] below: PIC, ELCR, PIT, port 61h, RTC/CMOS, i8042, port 92h,
 *     VGA, both IDE channels, COM1, POST), with a random value; a wide
 *     access stays inside the device's ports (fuzz_port says why);
 *   - a 32-bit read or write of a random 32-bit-aligned offset in the
 *     LAPIC page (0xFEE00000);
 *   - a 32-bit read or write of the IOAPIC's IOREGSEL or IOWIN
 *     (0xFEC00000, 0xFEC00010).
 * Every 100000 accesses it prints a progress line on COM1; at the end
 * "fuzz: done, glass still running", and it leaves via isa-debug-exit.
 *
 * Interrupts stay off the whole time (IF = 0; the multiboot loader enters
 * with IF = 0, entry.asm clears EFLAGS, and nothing here sets it): the
 * fuzzed devices may well raise interrupt requests, but none is taken.  The
 * 8259s are masked first, though the fuzzing unmasks them again at random.
 *
 * What is left out, or changed before it is written, and why - only what
 * would end the run, reset the machine, or otherwise break the guest
 * itself rather than the emulator:
 *   - isa-debug-exit (0xF4-0xF7): it ends the run.  No port of ports[]
 *     reaches it, even with a 32-bit access.
 *   - i8042 commands (bytes written to port 0x64) 0xD1 (write output port:
 *     bit 0 is the CPU reset line, bit 1 the A20 gate), 0xDD (disable A20,
 *     which QEMU implements) and 0xF0-0xFF (pulse output port lines; 0xFE
 *     resets): bit 7 is cleared, turning them into 0x51, 0x5D, 0x70-0x7F
 *     (0x60-0x7F write controller RAM, the rest is unknown and ignored).
 *   - port 0x92 writes: bit 0 (fast reset) is cleared and bit 1 (A20) set -
 *     with A20 off, QEMU would fold every fetch of this kernel, which runs
 *     at 1 MiB, onto low memory.
 *   - COM1: fuzzed like the rest, but with the MCR loopback bit (bit 4)
 *     forced on in every byte written to the MCR (0x3FC), so random bytes
 *     written to the THR go back into the receiver instead of onto the
 *     serial output that the test compares.  Before each progress line the
 *     UART is re-initialised (uart_reinit: DLAB off, 115200 8N1, FIFOs
 *     cleared, loopback off); after it, once the transmitter is empty,
 *     loopback goes back on.
 *   - LAPIC ICR (0x300-0x31F, the whole 16-byte slots: QEMU decodes the
 *     register from offset bits 11:4 alone): written, but only as a fixed-
 *     delivery IPI, no shorthand, logical destination mode, destination 0
 *     (ICR high is always written with bits 31:24 = 0).  A logical
 *     destination of 0 matches no APIC in either the flat or the cluster
 *     model, so the IPI reaches nobody.  INIT (101) would reset the CPU,
 *     SIPI (110) / NMI (100) / SMI (010) would need handlers, and a
 *     shorthand (self, all) would reach this CPU.
 *   - LAPIC LVT entries (CMCI 0x2F0, timer, thermal, perf, LINT0, LINT1,
 *     error 0x320-0x37F): written with the delivery mode (bits 10:8)
 *     cleared to fixed.  Fixed interrupts wait on IF; an LVT in NMI, SMI or
 *     INIT mode would not (LINT0 sees the 8259's INTR, the timer fires on
 *     its own).
 *   - IOAPIC redirection entries (low dwords, IOREGSEL 0x10, 0x12, ...,
 *     0x3E): written through IOWIN with the delivery mode cleared to
 *     fixed, for the same reason (the PIT, RTC, COM1 and IDE pins fire).
 *     IOREGSEL is only ever written by this file, with a value below
 *     0x100, so the guest knows which register IOWIN reaches.
 * Everything else goes through unchanged: the SVR, TPR, timer counts and
 * divide, LDR/DFR/ID, EOI, the IOAPIC ID, the PIT and RTC rates, IDE
 * commands (no -drive is attached), VGA registers, the 8259 ICWs/OCWs.
 *
 * The output contains only the progress lines, which depend on no device.
 * An exception (there should be none) prints "FAIL" and exits with 3.
 */
#include <stddef.h>
#include <stdint.h>

#include "io.h"
#include "uart.h"

#ifndef FUZZ_ACCESSES
#define FUZZ_ACCESSES   1000000u
#endif
#define FUZZ_PROGRESS   100000u
#define FUZZ_SEED       0x2545F491u

#define EXIT_SUCCESS_CODE 0x15      /* the emulator exits with 0x2B = 43 */
#define EXIT_FAILURE_CODE 0x01      /* ... with 3 */

#define LAPIC_BASE      0xFEE00000u
#define IOAPIC_BASE     0xFEC00000u
#define IOAPIC_IOREGSEL 0x00u
#define IOAPIC_IOWIN    0x10u

#define COM1_LCR 0x3FB
#define COM1_MCR 0x3FC
#define COM1_LSR 0x3FD
#define MCR_LOOP 0x10
#define LSR_TEMT 0x40

/* ---- a GDT and an IDT of our own: an unexpected exception must print a
 * failure, not triple-fault on whatever the loader left in GDTR/IDTR ---- */

struct gdt_ptr {
    uint16_t limit;
    uint32_t base;
} __attribute__((packed));

#define SEL_CODE 0x08
#define SEL_DATA 0x10

/* Flat 4 GiB ring-0 code (0x9A) and data (0x92), 4 KiB granular, 32-bit. */
static const uint64_t gdt[3] = {
    0,
    0x00CF9A000000FFFFull,
    0x00CF92000000FFFFull,
};

void gdt_load(const struct gdt_ptr *ptr, uint16_t code_sel, uint16_t data_sel);

struct idt_gate {
    uint16_t offset_low;
    uint16_t selector;
    uint8_t zero;
    uint8_t type_attr;
    uint16_t offset_high;
} __attribute__((packed));

/* What isr_common in examples/protected/entry.asm leaves on the stack. */
struct trap_frame {
    uint32_t edi, esi, ebp, esp_unused, ebx, edx, ecx, eax;
    uint32_t vector, error_code;
    uint32_t eip, cs, eflags;
};

extern const uint32_t isr_stubs[32];
static struct idt_gate idt[32];

static void setup_descriptor_tables(void)
{
    static const struct gdt_ptr gptr = { sizeof(gdt) - 1, (uint32_t)gdt };
    struct gdt_ptr iptr = { sizeof(idt) - 1, (uint32_t)idt };

    gdt_load(&gptr, SEL_CODE, SEL_DATA);
    for (int v = 0; v < 32; v++) {
        idt[v].offset_low = isr_stubs[v] & 0xFFFF;
        idt[v].selector = SEL_CODE;
        idt[v].zero = 0;
        idt[v].type_attr = 0x8E;        /* present, ring 0, 32-bit interrupt gate */
        idt[v].offset_high = isr_stubs[v] >> 16;
    }
    __asm__ volatile("lidt %0" : : "m"(iptr));
}

static void uart_reinit(void);

/* Called by entry.asm's stubs; never expected. */
void isr_dispatch(struct trap_frame *f)
{
    uart_reinit();
    kprintf("FAIL: exception %u at %08x, error code %08x\n", f->vector, f->eip,
            f->error_code);
    debug_exit(EXIT_FAILURE_CODE);
}

/* ---- port I/O of every width ---- */

static inline void outw(uint16_t port, uint16_t value)
{
    __asm__ volatile("outw %0, %1" : : "a"(value), "Nd"(port));
}

static inline uint16_t inw(uint16_t port)
{
    uint16_t value;
    __asm__ volatile("inw %1, %0" : "=a"(value) : "Nd"(port));
    return value;
}

static inline uint32_t inl(uint16_t port)
{
    uint32_t value;
    __asm__ volatile("inl %1, %0" : "=a"(value) : "Nd"(port));
    return value;
}

static inline void mmio_write(uint32_t addr, uint32_t value)
{
    *(volatile uint32_t *)addr = value;
}

static inline uint32_t mmio_read(uint32_t addr)
{
    return *(volatile uint32_t *)addr;
}

/* ---- COM1, which the fuzzing also reprograms ---- */

/* Make COM1 usable again whatever the fuzzing left in it: DLAB off first,
 * so that uart_init's IER write reaches the IER, then the usual set-up
 * (which also clears the FIFOs and turns loopback off). */
static void uart_reinit(void)
{
    outb(COM1_LCR, 0x03);
    uart_init();
}

/* Back to fuzzing: once the last byte has left the transmitter (LSR TEMT),
 * turn loopback on, so nothing the fuzzing writes reaches the output. */
static void uart_loopback_on(void)
{
    while (!(inb(COM1_LSR) & LSR_TEMT))
        ;
    outb(COM1_MCR, 0x03 | MCR_LOOP);
}

/* ---- the random numbers: xorshift32 (Marsaglia 2003), fixed seed ---- */

static uint32_t rng_state = FUZZ_SEED;

static uint32_t rnd(void)
{
    uint32_t x = rng_state;
    x ^= x << 13;
    x ^= x >> 17;
    x ^= x << 5;
    return rng_state = x;
}

/* ---- the ports: every device's, as in tests/unit/test_board_fuzz.c ---- */

static const struct { uint16_t first, count; } ports[] = {
    { 0x20, 2 }, { 0xA0, 2 }, { 0x4D0, 2 },         /* 8259A pair, ELCR */
    { 0x40, 4 }, { 0x61, 1 },                       /* 8254, port 61h */
    { 0x70, 2 },                                    /* RTC/CMOS */
    { 0x60, 1 }, { 0x64, 1 }, { 0x92, 1 },          /* i8042, port 92h */
    { 0x3B0, 0x30 },                                /* VGA */
    { 0x1F0, 8 }, { 0x3F6, 1 }, { 0x170, 8 }, { 0x376, 1 }, /* IDE */
    { 0x3F8, 8 }, { 0x80, 1 },                      /* COM1, POST */
};
#define NPORTS (sizeof(ports) / sizeof(ports[0]))

/* Make byte b harmless if it is written to port p (the exclusions at the
 * top of this file). */
static uint8_t sanitize_byte(uint16_t p, uint8_t b)
{
    if (p == 0x64 && (b == 0xD1 || b == 0xDD || b >= 0xF0))
        return b & 0x7F;                /* no output-port write, A20 off, reset */
    if (p == 0x92)
        return (uint8_t)((b & ~1u) | 2u);   /* no fast reset; A20 stays on */
    if (p == COM1_MCR)
        return b | MCR_LOOP;            /* THR writes stay inside the UART */
    return b;
}

/* Make an OUT of size bytes at port harmless to the run: each byte goes
 * to its own port (fuzz_port keeps the access inside one device's range,
 * where QEMU and glass agree on that). */
static uint32_t sanitize_out(uint16_t port, int size, uint32_t val)
{
    for (int i = 0; i < size; i++) {
        uint32_t shift = 8u * (uint32_t)i;
        uint8_t b = sanitize_byte((uint16_t)(port + i), (uint8_t)(val >> shift));
        val = (val & ~(0xFFu << shift)) | ((uint32_t)b << shift);
    }
    return val;
}

static void fuzz_port(uint32_t r)
{
    static const int sizes[] = { 1, 1, 2, 4 };
    unsigned k = (r >> 4) % NPORTS;
    int size = sizes[(r >> 24) & 3];

    /* The access stays inside the device's ports: a one-port device gets
     * only byte accesses, a two-port one at most 16 bits.  Past the end,
     * emulators disagree on where the extra bytes go (a real bus and glass
     * split them over the next ports; QEMU hands them all to the first
     * port's device), and QEMU 7.2 even aborts on an IN of 16 or 32 bits
     * at 0x3FE or 0x3FF (hw/char/serial.c: assertion "addr < 8"). */
    while (size > ports[k].count)
        size >>= 1;
    uint16_t port = (uint16_t)(ports[k].first +
                               (r >> 12) % (unsigned)(ports[k].count - size + 1));
    int in = (r >> 26) & 1;

    if (in) {
        switch (size) {
        case 1: (void)inb(port); break;
        case 2: (void)inw(port); break;
        default: (void)inl(port); break;
        }
        return;
    }
    uint32_t val = sanitize_out(port, size, rnd());
    switch (size) {
    case 1: outb(port, (uint8_t)val); break;
    case 2: outw(port, (uint16_t)val); break;
    default: outl(port, val); break;
    }
}

/* LAPIC: a random 32-bit-aligned offset of the 4 KiB page. */
static void fuzz_lapic(uint32_t r)
{
    uint32_t off = (r >> 6) & 0xFFC;
    uint32_t slot = off & 0xFF0;        /* the register, as QEMU decodes it */

    if ((r >> 18) & 1) {
        (void)mmio_read(LAPIC_BASE + off);
        return;
    }
    uint32_t val = rnd();
    if (slot == 0x300)
        /* ICR low: keep the vector (7:0), level (14) and trigger (15);
         * delivery mode fixed (10:8 = 0), logical (11 = 1), no shorthand
         * (19:18 = 0).  With ICR high's destination 0: nobody. */
        val = (val & 0x0000C0FFu) | 0x00000800u;
    else if (slot == 0x310)
        val &= 0x00FFFFFFu;             /* ICR high: destination 0 */
    else if (slot == 0x2F0 || (slot >= 0x320 && slot <= 0x370))
        val &= ~0x00000700u;            /* LVT: delivery mode fixed */
    mmio_write(LAPIC_BASE + off, val);
}

/* IOAPIC: IOREGSEL or IOWIN, read or written.  IOREGSEL is one byte in
 * both QEMU and glass; ioregsel shadows it. */
static uint32_t ioregsel;

static void fuzz_ioapic(uint32_t r)
{
    int write = (r >> 6) & 1;

    if ((r >> 7) & 1) {                 /* IOREGSEL */
        if (!write) {
            (void)mmio_read(IOAPIC_BASE + IOAPIC_IOREGSEL);
            return;
        }
        /* Mostly the registers that exist (0x00-0x3F), sometimes any byte. */
        ioregsel = (r >> 8) & ((r >> 16) & 7 ? 0x3F : 0xFF);
        mmio_write(IOAPIC_BASE + IOAPIC_IOREGSEL, ioregsel);
        return;
    }
    if (!write) {
        (void)mmio_read(IOAPIC_BASE + IOAPIC_IOWIN);
        return;
    }
    uint32_t val = rnd();
    if (ioregsel >= 0x10 && ioregsel < 0x40 && !(ioregsel & 1))
        val &= ~0x00000700u;            /* redirection entry: fixed delivery */
    mmio_write(IOAPIC_BASE + IOAPIC_IOWIN, val);
}

static void fuzz_one(void)
{
    uint32_t r = rnd();

    switch (r & 7) {                    /* 6 in 8 ports, 1 LAPIC, 1 IOAPIC */
    case 0: fuzz_lapic(r); break;
    case 1: fuzz_ioapic(r); break;
    default: fuzz_port(r); break;
    }
}

void kmain(uint32_t magic, uint32_t mbi)
{
    (void)magic;
    (void)mbi;

    __asm__ volatile("cli");
    outb(0x21, 0xFF);                   /* mask both 8259s */
    outb(0xA1, 0xFF);
    setup_descriptor_tables();

    uart_reinit();
    kprintf("fuzz: %u random accesses to the device registers, seed %08x\n",
            FUZZ_ACCESSES, FUZZ_SEED);
    uart_loopback_on();
    /* ICR high starts at 0 after reset; make sure, through the filter. */
    mmio_write(LAPIC_BASE + 0x310, 0);

    for (uint32_t n = 1; n <= FUZZ_ACCESSES; n++) {
        fuzz_one();
        if (n % FUZZ_PROGRESS == 0) {
            uart_reinit();
            kprintf("fuzz: %u accesses\n", n);
            uart_loopback_on();
        }
    }

    uart_reinit();
    kprintf("fuzz: done, glass still running\n");
    debug_exit(EXIT_SUCCESS_CODE);
}
