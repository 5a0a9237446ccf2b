/*
 * smp.c - finding the CPUs and I/O APIC through the MP tables, the local
 * APIC, the I/O APIC, and starting the other CPUs.
 *
 * Intel MultiProcessor Specification 1.4:
 *   4.1 the floating pointer "_MP_", searched for in the first KiB of the
 *       EBDA, the last KiB of base memory, and 0xF0000-0xFFFFF;
 *   4.2 the configuration table "PCMP" it points to, then its entries:
 *       processor (type 0, 20 bytes), bus (1), I/O APIC (2), I/O interrupt
 *       assignment (3), local interrupt assignment (4), 8 bytes each;
 *   B.4 starting an AP: INIT, wait 10 ms, STARTUP (SIPI), wait 200 us,
 *       STARTUP again.  The AP starts in real mode at vector * 4096.
 */
#include "kernel.h"

#define MAX_CPUS 16
int ncpu = 1;                   /* CPUs listed as enabled */
int use_ioapic;
static uint8_t cpu_apic_id[MAX_CPUS];
static int bsp_index;
static volatile uint32_t *lapic;        /* 0xFEE00000, normally */
static volatile uint32_t *ioapic;       /* 0xFEC00000, normally */
static int isa_bus = -1;
static uint8_t irq_pin[16];     /* ISA IRQ -> I/O APIC input (INTIN) */

struct mp_fp {                  /* the floating pointer structure */
    char sig[4];                /* "_MP_" */
    uint32_t config;            /* physical address of "PCMP" */
    uint8_t length;             /* in 16-byte units: 1 */
    uint8_t rev, checksum, feature[5];
} __attribute__((packed));

struct mp_config {
    char sig[4];                /* "PCMP" */
    uint16_t length;
    uint8_t rev, checksum;
    char oem[20];
    uint32_t oem_table;
    uint16_t oem_length, entries;
    uint32_t lapic_addr;
    uint16_t ext_length;
    uint8_t ext_checksum, reserved;
} __attribute__((packed));      /* the entries follow */

static uint8_t sum(const void *p, uint32_t len)
{
    uint8_t s = 0;
    for (uint32_t i = 0; i < len; i++)
        s += ((const uint8_t *)p)[i];
    return s;
}

static struct mp_fp *mp_search(uint32_t a, uint32_t len)
{
    for (uint32_t p = a; p + 16 <= a + len; p += 16)
        if (memcmp((void *)p, "_MP_", 4) == 0 && sum((void *)p, 16) == 0)
            return (struct mp_fp *)p;
    return 0;
}

/* A 16-bit word of the BIOS data area.  (The empty asm hides the small
 * constant address from gcc, which would otherwise call it out of bounds.) */
static uint16_t bda_word(uint32_t addr)
{
    __asm__("" : "+r"(addr));
    return *(volatile uint16_t *)addr;
}

/* ---- ACPI (ACPI 6.x, 5.2): the MP table may list only one CPU per
 * package (SeaBIOS does so when a package has several cores, and QEMU's
 * "-smp 2" means one package with two cores).  The ACPI MADT lists every
 * logical CPU, so when there is one, take the CPUs from it:
 *   RSDP "RSD PTR " (EBDA's first KiB or 0xE0000-0xFFFFF, 16-byte aligned)
 *     -> RSDT (32-bit pointers to tables) -> "APIC", the MADT, whose
 *   type 0 entries are processor local APICs: [3] APIC ID, [4] flags bit 0
 *   enabled.  This runs before paging, so any physical address is fine. */
struct acpi_header {
    char sig[4];
    uint32_t length;
    uint8_t rev, checksum;
    char oem[6], oem_table[8];
    uint32_t oem_rev, creator, creator_rev;
} __attribute__((packed));

static void *acpi_rsdp_search(uint32_t a, uint32_t len)
{
    for (uint32_t p = a; p + 20 <= a + len; p += 16)
        if (memcmp((void *)p, "RSD PTR ", 8) == 0 && sum((void *)p, 20) == 0)
            return (void *)p;
    return 0;
}

static void acpi_cpus(void)
{
    uint32_t ebda = (uint32_t)bda_word(0x40E) << 4;
    uint8_t *rsdp = ebda ? acpi_rsdp_search(ebda, 1024) : 0;
    if (!rsdp)
        rsdp = acpi_rsdp_search(0xE0000, 0x20000);
    if (!rsdp)
        return;
    struct acpi_header *rsdt = (void *)*(uint32_t *)(rsdp + 16);
    if (memcmp(rsdt->sig, "RSDT", 4) != 0)
        return;
    uint32_t *tables = (uint32_t *)(rsdt + 1);
    uint32_t ntables = (rsdt->length - sizeof(*rsdt)) / 4;
    for (uint32_t t = 0; t < ntables; t++) {
        struct acpi_header *h = (void *)tables[t];
        if (memcmp(h->sig, "APIC", 4) != 0 || sum(h, h->length) != 0)
            continue;
        int n = 0;
        uint8_t *e = (uint8_t *)h + sizeof(*h) + 8; /* + LAPIC addr, flags */
        uint8_t *end = (uint8_t *)h + h->length;
        uint8_t bsp = cpu_apic_id[bsp_index];
        for (; e < end && e[1] >= 2; e += e[1])
            if (e[0] == 0 && (e[4] & 1) && n < MAX_CPUS)
                cpu_apic_id[n++] = e[3];
        if (n == 0)
            return;
        ncpu = n;
        bsp_index = 0;
        for (int i = 0; i < n; i++)
            if (cpu_apic_id[i] == bsp)
                bsp_index = i;
        kprintf("acpi: the MADT lists the CPUs\n");
        return;
    }
}

int mp_init(void)
{
    uint32_t ebda = (uint32_t)bda_word(0x40E) << 4;     /* EBDA segment */
    uint32_t basemem = (uint32_t)bda_word(0x413) * 1024; /* KiB of base RAM */
    struct mp_fp *fp = 0;
    if (ebda)
        fp = mp_search(ebda, 1024);
    if (!fp && basemem >= 1024)
        fp = mp_search(basemem - 1024, 1024);
    if (!fp)
        fp = mp_search(0xF0000, 0x10000);
    if (!fp || !fp->config) {
        kprintf("mp: no MP table\n");
        return 0;
    }
    struct mp_config *c = (struct mp_config *)fp->config;
    if (memcmp(c->sig, "PCMP", 4) != 0 || sum(c, c->length) != 0) {
        kprintf("mp: bad MP configuration table\n");
        return 0;
    }
    lapic = (volatile uint32_t *)c->lapic_addr;
    for (int i = 0; i < 16; i++)
        irq_pin[i] = (uint8_t)i;        /* identity unless the table says */

    int n = 0, nioapic = 0;
    uint8_t *e = (uint8_t *)(c + 1);
    for (int i = 0; i < c->entries; i++) {
        switch (e[0]) {
        case 0:                         /* processor */
            if ((e[3] & 1) && n < MAX_CPUS) {   /* enabled */
                if (e[3] & 2)                   /* the bootstrap processor */
                    bsp_index = n;
                cpu_apic_id[n++] = e[1];
            }
            e += 20;
            continue;
        case 1:                         /* bus: remember which one is ISA */
            if (memcmp(e + 2, "ISA   ", 6) == 0)
                isa_bus = e[1];
            break;
        case 2:                         /* I/O APIC */
            if ((e[3] & 1) && !nioapic++)
                ioapic = (volatile uint32_t *)*(uint32_t *)(e + 4);
            break;
        case 3:                         /* I/O interrupt assignment */
            if (e[1] == 0 && e[4] == isa_bus && e[5] < 16)  /* INT type */
                irq_pin[e[5]] = e[7];
            break;
        }
        e += 8;
    }
    ncpu = n ? n : 1;
    kprintf("mp: MP table found: %d I/O APIC, ISA bus %s\n", nioapic,
            isa_bus >= 0 ? "found" : "missing");
    acpi_cpus();
    kprintf("cpus: %d\n", ncpu);
    return ioapic != 0;
}

/* ---- the local APIC: 32-bit registers 16 bytes apart ---- */
#define LAPIC_ID    (0x020 / 4)
#define LAPIC_TPR   (0x080 / 4)
#define LAPIC_EOI   (0x0B0 / 4)
#define LAPIC_SVR   (0x0F0 / 4)
#define LAPIC_ICRLO (0x300 / 4)
#define LAPIC_ICRHI (0x310 / 4)
#define ICR_INIT    0x00000500
#define ICR_STARTUP 0x00000600
#define ICR_ASSERT  0x00004000
#define ICR_BUSY    0x00001000  /* delivery status: send pending */

void lapic_init(void)
{
    lapic[LAPIC_SVR] = 0x100 | T_SPURIOUS;  /* software enable */
    lapic[LAPIC_TPR] = 0;                   /* accept every priority */
}

void lapic_eoi(void) { lapic[LAPIC_EOI] = 0; }

static void lapic_ipi(uint8_t apic_id, uint32_t low)
{
    lapic[LAPIC_ICRHI] = (uint32_t)apic_id << 24;
    lapic[LAPIC_ICRLO] = low;           /* writing the low half sends it */
    while (lapic[LAPIC_ICRLO] & ICR_BUSY)
        pause();
}

/* ---- the I/O APIC: an index register (IOREGSEL, +0x00) and a data
 * window (IOWIN, +0x10).  Redirection entry n: registers 0x10 + 2n (low:
 * vector, mask bit 16, trigger, polarity) and 0x11 + 2n (high: destination
 * APIC ID in bits 31:24). ---- */
static void ioapic_write(uint32_t reg, uint32_t v)
{
    ioapic[0] = reg;
    ioapic[4] = v;
}

/* Send ISA IRQ irq to the bootstrap processor at the given vector: edge
 * triggered, active high, fixed delivery, unmasked. */
void ioapic_route(int irq, int vector)
{
    int pin = irq_pin[irq];
    ioapic_write(0x11 + 2 * pin, (uint32_t)cpu_apic_id[bsp_index] << 24);
    ioapic_write(0x10 + 2 * pin, (uint32_t)vector);
}

/* ---- starting the other CPUs ---- */
static volatile uint32_t ap_running;

/* Where the trampoline finds its arguments (just below it). */
#define AP_ARG_CR3   (AP_TRAMPOLINE - 12)
#define AP_ARG_ENTRY (AP_TRAMPOLINE - 8)
#define AP_ARG_STACK (AP_TRAMPOLINE - 4)

static int ap_index;

/* An AP arrives here from the trampoline: protected mode, paging on, on
 * its own stack.  It loads the kernel's GDT and IDT, enables its local
 * APIC, says hello, tells the BSP, and idles with interrupts off. */
static void ap_main(void)
{
    gdt_load();
    idt_load();
    lapic_init();
    kprintf("cpu %d: online\n", ap_index);
    xchg(&ap_running, 1);
    for (;;)
        __asm__ volatile("cli; hlt");
}

/* Busy-wait n timer ticks (interrupts must be on). */
static void wait_ticks(uint32_t n)
{
    uint32_t end = ticks + n;
    while ((int32_t)(ticks - end) < 0)
        sti_hlt();
}

void smp_start_aps(void)
{
    int online = 1;
    kprintf("cpu 0: online (the bootstrap processor)\n");
    memcpy((void *)AP_TRAMPOLINE, trampoline_start,
           (uint32_t)(trampoline_end - trampoline_start));
    for (int i = 0; i < ncpu && use_ioapic; i++) {
        if (i == bsp_index)
            continue;
        /* One at a time, in table order, so the output is deterministic. */
        ap_index = online;
        ap_running = 0;
        *(volatile uint32_t *)AP_ARG_CR3 = kernel_pgdir_phys();
        *(volatile uint32_t *)AP_ARG_ENTRY = (uint32_t)ap_main;
        *(volatile uint32_t *)AP_ARG_STACK = (uint32_t)alloc_page() + PGSIZE;
        lapic_ipi(cpu_apic_id[i], ICR_INIT | ICR_ASSERT);
        wait_ticks(2);                                  /* >= 10 ms */
        for (int k = 0; k < 2; k++) {
            lapic_ipi(cpu_apic_id[i],
                      ICR_STARTUP | ICR_ASSERT | (AP_TRAMPOLINE >> 12));
            wait_ticks(1);                              /* >= 200 us */
            if (ap_running)
                break;
        }
        for (int t = 0; t < 100 && !ap_running; t++)    /* up to 1 s */
            wait_ticks(1);
        if (!ap_running) {
            kprintf("cpu %d: did not start\n", online);
            continue;
        }
        online++;
    }
    kprintf("cpus online: %d\n", online);
}
