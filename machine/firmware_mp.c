/* The Intel MultiProcessor Specification 1.4 tables (May 1997):
 *
 *   FIRMWARE_MP_FLOAT_ADDR   the MP floating pointer structure (4.1)
 *   FIRMWARE_MP_CONFIG_ADDR  the MP configuration table (4.2): header, then
 *                            the base table entries in the order 4.3 asks
 *                            (processors, buses, I/O APICs, I/O interrupt
 *                            assignments, local interrupt assignments)
 *
 * Against SeaBIOS (src/fw/mptable.c) there is one difference: SeaBIOS lists
 * one processor a package (QEMU's "-smp 2" is one package with two cores,
 * so its MP table shows one CPU); glass lists every vCPU as its own
 * processor entry, which the specification allows (each is an APIC). */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "machine/firmware.h"

/* The host is little-endian x86-64: the packed structs are the byte layout
 * of the specification's tables. */

/* 4.1: MP floating pointer structure, 16 bytes. */
struct mp_floating_pointer {
    char signature[4];          /* "_MP_" */
    uint32_t physical_address;  /* of the configuration table */
    uint8_t length;             /* in 16-byte paragraphs: 1 */
    uint8_t spec_rev;           /* 4 = version 1.4 */
    uint8_t checksum;
    uint8_t feature1;           /* 0: a configuration table is present */
    uint8_t feature2;           /* bit 7 IMCRP: 0 = virtual wire mode */
    uint8_t feature3_5[3];
} __attribute__((packed));
_Static_assert(sizeof(struct mp_floating_pointer) == 16, "MP 4.1");

/* 4.2: configuration table header, 44 bytes. */
struct mp_config_header {
    char signature[4];          /* "PCMP" */
    uint16_t base_table_length; /* header + base entries */
    uint8_t spec_rev;
    uint8_t checksum;           /* of the base table */
    char oem_id[8];
    char product_id[12];
    uint32_t oem_table_pointer;
    uint16_t oem_table_size;
    uint16_t entry_count;
    uint32_t local_apic_address;
    uint16_t extended_table_length;
    uint8_t extended_table_checksum;
    uint8_t reserved;
} __attribute__((packed));
_Static_assert(sizeof(struct mp_config_header) == 44, "MP 4.2");

enum mp_entry_type {            /* 4.3 */
    MP_PROCESSOR = 0,
    MP_BUS = 1,
    MP_IOAPIC = 2,
    MP_IO_INTERRUPT = 3,
    MP_LOCAL_INTERRUPT = 4,
};

/* 4.3.1: processor entry, 20 bytes. */
struct mp_processor {
    uint8_t type;
    uint8_t local_apic_id;
    uint8_t local_apic_version;
    uint8_t cpu_flags;          /* bit 0 EN, bit 1 BP */
    uint32_t cpu_signature;     /* CPUID.1:EAX (stepping, model, family) */
    uint32_t feature_flags;     /* CPUID.1:EDX */
    uint32_t reserved[2];
} __attribute__((packed));
_Static_assert(sizeof(struct mp_processor) == 20, "MP 4.3.1");
#define MP_CPU_EN 0x01
#define MP_CPU_BP 0x02

/* 4.3.2: bus entry. */
struct mp_bus {
    uint8_t type;
    uint8_t bus_id;
    char bus_type[6];           /* "ISA   " */
} __attribute__((packed));
_Static_assert(sizeof(struct mp_bus) == 8, "MP 4.3.2");
#define MP_ISA_BUS_ID 0

/* 4.3.3: I/O APIC entry. */
struct mp_ioapic {
    uint8_t type;
    uint8_t ioapic_id;
    uint8_t ioapic_version;
    uint8_t flags;              /* bit 0 EN */
    uint32_t address;
} __attribute__((packed));
_Static_assert(sizeof(struct mp_ioapic) == 8, "MP 4.3.3");
#define MP_IOAPIC_EN 0x01

/* 4.3.4 and 4.3.5: I/O and local interrupt
 * assignment entries share one layout. */
struct mp_interrupt {
    uint8_t type;
    uint8_t interrupt_type;     /* INT, NMI, SMI, ExtINT */
    uint16_t flags;             /* PO bits 1:0, EL bits 3:2; 0 = as the bus */
    uint8_t source_bus_id;
    uint8_t source_bus_irq;
    uint8_t dest_apic_id;       /* I/O APIC, or local APIC (0xFF: all) */
    uint8_t dest_intin;         /* I/O APIC pin, or LINTIN 0/1 */
} __attribute__((packed));
_Static_assert(sizeof(struct mp_interrupt) == 8, "MP 4.3.4");
#define MP_INT 0                /* vectored through the I/O APIC */
#define MP_NMI 1
#define MP_EXTINT 3             /* 8259-compatible, the PIC's INTR */
#define MP_ALL_LOCAL_APICS 0xFF

/* The largest table: header, FIRMWARE_MAX_CPUS processors, one bus, one
 * I/O APIC, 15 ISA IRQs (IRQ2 has no pin), two local interrupts. */
#define MP_ISA_IRQS 15
#define MP_CONFIG_MAX (sizeof(struct mp_config_header) + \
                       FIRMWARE_MAX_CPUS * sizeof(struct mp_processor) + \
                       sizeof(struct mp_bus) + sizeof(struct mp_ioapic) + \
                       (MP_ISA_IRQS + 2) * sizeof(struct mp_interrupt))
_Static_assert(FIRMWARE_MP_CONFIG_ADDR + MP_CONFIG_MAX <= FIRMWARE_ACPI_RSDP_ADDR,
               "the MP configuration table runs into the ACPI tables");
_Static_assert(FIRMWARE_MP_FLOAT_ADDR % 16 == 0, "MP 4.1: paragraph aligned");

/* Appends entries to the table being built. */
struct mp_builder {
    uint8_t buf[MP_CONFIG_MAX];
    size_t len;
    uint16_t count;
};

static void mp_add(struct mp_builder *b, const void *entry, size_t size)
{
    memcpy(b->buf + b->len, entry, size);
    b->len += size;
    b->count++;
}

static void mp_add_interrupt(struct mp_builder *b, uint8_t type, uint8_t irq,
                             uint8_t dest_apic, uint8_t dest_pin)
{
    struct mp_interrupt e = {
        .type = type == MP_INT ? MP_IO_INTERRUPT : MP_LOCAL_INTERRUPT,
        .interrupt_type = type,
        .flags = 0,                     /* conforms to the ISA bus: edge, high */
        .source_bus_id = MP_ISA_BUS_ID,
        .source_bus_irq = irq,
        .dest_apic_id = dest_apic,
        .dest_intin = dest_pin,
    };
    mp_add(b, &e, sizeof(e));
}

int firmware_build_mp(struct memmap *mem, const struct firmware_config *cfg)
{
    struct mp_builder b;
    memset(&b, 0, sizeof(b));
    b.len = sizeof(struct mp_config_header);

    /* 4.3.1: one entry a vCPU, APIC ID = index, the BSP is vCPU 0. */
    for (int i = 0; i < cfg->ncpus; i++) {
        struct mp_processor p = {
            .type = MP_PROCESSOR,
            .local_apic_id = (uint8_t)i,
            .local_apic_version = FIRMWARE_LAPIC_VERSION,
            .cpu_flags = MP_CPU_EN | (i == 0 ? MP_CPU_BP : 0),
            .cpu_signature = cfg->cpu_signature,
            .feature_flags = cfg->cpu_features_edx,
        };
        mp_add(&b, &p, sizeof(p));
    }

    /* 4.3.2: the ISA bus; 4.3.3: the I/O APIC. */
    struct mp_bus bus = { .type = MP_BUS, .bus_id = MP_ISA_BUS_ID };
    memcpy(bus.bus_type, "ISA   ", 6);
    mp_add(&b, &bus, sizeof(bus));
    struct mp_ioapic io = {
        .type = MP_IOAPIC,
        .ioapic_id = cfg->ioapic_id,
        .ioapic_version = FIRMWARE_IOAPIC_VERSION,
        .flags = MP_IOAPIC_EN,
        .address = FIRMWARE_IOAPIC_ADDR,
    };
    mp_add(&b, &io, sizeof(io));

    /* 4.3.4: ISA IRQs 0-15 on the I/O APIC.  As SeaBIOS does with QEMU's
     * "etc/irq0-override": IRQ0 (the PIT) on pin 2, and no entry for IRQ2
     * (the cascade, whose pin IRQ0 took); every other IRQ n on pin n. */
    for (uint8_t irq = 0; irq < 16; irq++) {
        if (irq == 2)
            continue;
        mp_add_interrupt(&b, MP_INT, irq, cfg->ioapic_id,
                         irq == 0 ? FIRMWARE_IRQ0_PIN : irq);
    }

    /* 4.3.5: the 8259's INTR on LINTIN0 (ExtINT) and NMI on LINTIN1, of
     * every local APIC, as in the default configurations (5.1).  (SeaBIOS
     * names APIC 0 for the ExtINT entry; on the board every LINT0 is
     * wired alike and only the BSP leaves it unmasked.) */
    mp_add_interrupt(&b, MP_EXTINT, 0, MP_ALL_LOCAL_APICS, 0);
    mp_add_interrupt(&b, MP_NMI, 0, MP_ALL_LOCAL_APICS, 1);

    /* 4.2: the header, checksummed over the whole base table. */
    struct mp_config_header h = {
        .base_table_length = (uint16_t)b.len,
        .spec_rev = 4,
        .entry_count = b.count,
        .local_apic_address = FIRMWARE_LAPIC_ADDR,
    };
    memcpy(h.signature, "PCMP", 4);
    memcpy(h.oem_id, "GLASS   ", 8);
    memcpy(h.product_id, "GLASS PC    ", 12);
    memcpy(b.buf, &h, sizeof(h));
    b.buf[offsetof(struct mp_config_header, checksum)] = firmware_checksum(b.buf, b.len);

    /* 4.1: the floating pointer. */
    struct mp_floating_pointer fp = {
        .physical_address = FIRMWARE_MP_CONFIG_ADDR,
        .length = 1,
        .spec_rev = 4,
    };
    memcpy(fp.signature, "_MP_", 4);
    fp.checksum = firmware_checksum(&fp, sizeof(fp));

    int err = firmware_write(mem, "MP configuration table", FIRMWARE_MP_CONFIG_ADDR, b.buf, b.len);
    if (err < 0)
        return err;
    return firmware_write(mem, "MP floating pointer", FIRMWARE_MP_FLOAT_ADDR, &fp, sizeof(fp));
}
