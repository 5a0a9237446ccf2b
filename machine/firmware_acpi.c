/* The ACPI tables a kernel looks at to find the CPUs and the interrupt
 * controllers (ACPI 2.0 (2000), section numbers as in ACPI 6.x where they
 * are the same):
 *
 *   FIRMWARE_ACPI_RSDP_ADDR  RSDP "RSD PTR ", revision 2 (5.2.5.3)
 *   FIRMWARE_ACPI_RSDT_ADDR  RSDT, 32-bit pointers (5.2.7)
 *   FIRMWARE_ACPI_XSDT_ADDR  XSDT, 64-bit pointers (5.2.8)
 *   FIRMWARE_ACPI_MADT_ADDR  MADT "APIC" (5.2.12)
 *
 * The RSDP lies 16-byte aligned in 0xE0000-0xFFFFF, where an OS searches
 * (5.2.5.1).  Both RSDT and XSDT list the MADT only.
 *
 * No FADT ("FACP") and so no DSDT: glass models no ACPI hardware (no PM
 * timer, no SCI, no sleep states), and the MADT alone is what kernels read
 * to find the CPUs.  An OS that wants the full ACPI model (Linux does)
 * finds no FADT and falls back on the MP table for what it needs; a FADT
 * must come with a DSDT and valid PM register blocks, so it waits for the
 * first guest that needs it. */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "machine/firmware.h"

#define ACPI_OEM_ID "GLASS "            /* 6 bytes */
#define ACPI_OEM_TABLE_ID "GLASSPC "    /* 8 bytes */
#define ACPI_OEM_REVISION 1
#define ACPI_CREATOR_ID "GLAS"
#define ACPI_CREATOR_REVISION 1

/* 5.2.5.3: Root System Description Pointer, revision 2. */
struct acpi_rsdp {
    char signature[8];          /* "RSD PTR " */
    uint8_t checksum;           /* of the first 20 bytes (ACPI 1.0 part) */
    char oem_id[6];
    uint8_t revision;           /* 2: ACPI 2.0 and later, has the XSDT */
    uint32_t rsdt_address;
    uint32_t length;            /* 36 */
    uint64_t xsdt_address;
    uint8_t extended_checksum;  /* of all 36 bytes */
    uint8_t reserved[3];
} __attribute__((packed));
_Static_assert(sizeof(struct acpi_rsdp) == 36, "ACPI 5.2.5.3");
#define ACPI_RSDP_V1_LENGTH 20

/* 5.2.6: the header of every description table. */
struct acpi_header {
    char signature[4];
    uint32_t length;            /* of the whole table */
    uint8_t revision;
    uint8_t checksum;           /* of the whole table */
    char oem_id[6];
    char oem_table_id[8];
    uint32_t oem_revision;
    char creator_id[4];
    uint32_t creator_revision;
} __attribute__((packed));
_Static_assert(sizeof(struct acpi_header) == 36, "ACPI 5.2.6");

/* 5.2.7 / 5.2.8: RSDT and XSDT with their one entry. */
struct acpi_rsdt {
    struct acpi_header h;
    uint32_t entry[1];
} __attribute__((packed));
struct acpi_xsdt {
    struct acpi_header h;
    uint64_t entry[1];
} __attribute__((packed));

/* 5.2.12: the MADT's fixed part; its entries follow. */
struct acpi_madt {
    struct acpi_header h;
    uint32_t local_apic_address;
    uint32_t flags;             /* bit 0 PCAT_COMPAT: there are 8259s too */
} __attribute__((packed));
#define MADT_PCAT_COMPAT 1

enum madt_entry_type {          /* 5.2.12, the entry types */
    MADT_LOCAL_APIC = 0,
    MADT_IO_APIC = 1,
    MADT_INTERRUPT_OVERRIDE = 2,
    MADT_LOCAL_APIC_NMI = 4,
};

/* 5.2.12.2: Processor Local APIC. */
struct madt_local_apic {
    uint8_t type, length;       /* 0, 8 */
    uint8_t acpi_processor_id;
    uint8_t apic_id;
    uint32_t flags;             /* bit 0 Enabled */
} __attribute__((packed));
_Static_assert(sizeof(struct madt_local_apic) == 8, "ACPI 5.2.12.2");
#define MADT_LAPIC_ENABLED 1

/* 5.2.12.3: I/O APIC. */
struct madt_io_apic {
    uint8_t type, length;       /* 1, 12 */
    uint8_t io_apic_id;
    uint8_t reserved;
    uint32_t io_apic_address;
    uint32_t global_system_interrupt_base;
} __attribute__((packed));
_Static_assert(sizeof(struct madt_io_apic) == 12, "ACPI 5.2.12.3");

/* 5.2.12.5: Interrupt Source Override. */
struct madt_interrupt_override {
    uint8_t type, length;       /* 2, 10 */
    uint8_t bus;                /* 0: ISA */
    uint8_t source;             /* the ISA IRQ */
    uint32_t global_system_interrupt;
    uint16_t flags;             /* MPS INTI flags; 0 = as the bus */
} __attribute__((packed));
_Static_assert(sizeof(struct madt_interrupt_override) == 10, "ACPI 5.2.12.5");

/* 5.2.12.7: Local APIC NMI. */
struct madt_local_apic_nmi {
    uint8_t type, length;       /* 4, 6 */
    uint8_t acpi_processor_id;  /* 0xFF: all processors */
    uint16_t flags;             /* MPS INTI flags */
    uint8_t local_apic_lint;
} __attribute__((packed));
_Static_assert(sizeof(struct madt_local_apic_nmi) == 6, "ACPI 5.2.12.7");
#define MADT_ALL_PROCESSORS 0xFF

#define MADT_MAX (sizeof(struct acpi_madt) + \
                  FIRMWARE_MAX_CPUS * sizeof(struct madt_local_apic) + \
                  sizeof(struct madt_io_apic) + \
                  sizeof(struct madt_interrupt_override) + \
                  sizeof(struct madt_local_apic_nmi))

_Static_assert(FIRMWARE_ACPI_RSDP_ADDR % 16 == 0, "ACPI 5.2.5.1: 16-byte aligned");
_Static_assert(FIRMWARE_ACPI_RSDP_ADDR + sizeof(struct acpi_rsdp) <= FIRMWARE_ACPI_RSDT_ADDR,
               "RSDP overlaps the RSDT");
_Static_assert(FIRMWARE_ACPI_RSDT_ADDR + sizeof(struct acpi_rsdt) <= FIRMWARE_ACPI_XSDT_ADDR,
               "RSDT overlaps the XSDT");
_Static_assert(FIRMWARE_ACPI_XSDT_ADDR + sizeof(struct acpi_xsdt) <= FIRMWARE_ACPI_MADT_ADDR,
               "XSDT overlaps the MADT");
_Static_assert(FIRMWARE_ACPI_MADT_ADDR + MADT_MAX <= FIRMWARE_AREA_END,
               "MADT runs past the firmware area");

static void acpi_header_init(struct acpi_header *h, const char *signature,
                             uint32_t length, uint8_t revision)
{
    memset(h, 0, sizeof(*h));
    memcpy(h->signature, signature, 4);
    h->length = length;
    h->revision = revision;
    memcpy(h->oem_id, ACPI_OEM_ID, 6);
    memcpy(h->oem_table_id, ACPI_OEM_TABLE_ID, 8);
    h->oem_revision = ACPI_OEM_REVISION;
    memcpy(h->creator_id, ACPI_CREATOR_ID, 4);
    h->creator_revision = ACPI_CREATOR_REVISION;
}

/* Builds the MADT into buf (MADT_MAX bytes); returns its length. */
static size_t build_madt(uint8_t *buf, const struct firmware_config *cfg)
{
    size_t len = sizeof(struct acpi_madt);

    /* 5.2.12.2: one enabled Processor Local APIC a vCPU, processor ID =
     * APIC ID = index, the BSP first (as OSes expect). */
    for (int i = 0; i < cfg->ncpus; i++) {
        struct madt_local_apic e = {
            .type = MADT_LOCAL_APIC, .length = sizeof(e),
            .acpi_processor_id = (uint8_t)i, .apic_id = (uint8_t)i,
            .flags = MADT_LAPIC_ENABLED,
        };
        memcpy(buf + len, &e, sizeof(e));
        len += sizeof(e);
    }
    /* 5.2.12.3: the I/O APIC, its pins are GSIs 0-23. */
    struct madt_io_apic io = {
        .type = MADT_IO_APIC, .length = sizeof(io),
        .io_apic_id = cfg->ioapic_id,
        .io_apic_address = FIRMWARE_IOAPIC_ADDR,
        .global_system_interrupt_base = 0,
    };
    memcpy(buf + len, &io, sizeof(io));
    len += sizeof(io);
    /* 5.2.12.5: ISA IRQ0 (the PIT) is GSI 2; every other ISA IRQ n is GSI
     * n, which needs no entry (5.2.12.5: identity is assumed).  No SCI, so
     * no IRQ9 override. */
    struct madt_interrupt_override iso = {
        .type = MADT_INTERRUPT_OVERRIDE, .length = sizeof(iso),
        .bus = 0, .source = 0,
        .global_system_interrupt = FIRMWARE_IRQ0_PIN,
        .flags = 0,
    };
    memcpy(buf + len, &iso, sizeof(iso));
    len += sizeof(iso);
    /* 5.2.12.7: NMI on LINT1 of every processor. */
    struct madt_local_apic_nmi nmi = {
        .type = MADT_LOCAL_APIC_NMI, .length = sizeof(nmi),
        .acpi_processor_id = MADT_ALL_PROCESSORS,
        .flags = 0,
        .local_apic_lint = 1,
    };
    memcpy(buf + len, &nmi, sizeof(nmi));
    len += sizeof(nmi);

    struct acpi_madt m;
    /* Revision 1: the MADT of ACPI 1.0 and 2.0. */
    acpi_header_init(&m.h, "APIC", (uint32_t)len, 1);
    m.local_apic_address = FIRMWARE_LAPIC_ADDR;
    m.flags = MADT_PCAT_COMPAT;
    memcpy(buf, &m, sizeof(m));
    buf[offsetof(struct acpi_header, checksum)] = firmware_checksum(buf, len);
    return len;
}

int firmware_build_acpi(struct memmap *mem, const struct firmware_config *cfg)
{
    uint8_t madt[MADT_MAX];
    size_t madt_len = build_madt(madt, cfg);

    struct acpi_rsdt rsdt;
    acpi_header_init(&rsdt.h, "RSDT", sizeof(rsdt), 1);
    rsdt.entry[0] = FIRMWARE_ACPI_MADT_ADDR;
    rsdt.h.checksum = firmware_checksum(&rsdt, sizeof(rsdt));

    struct acpi_xsdt xsdt;
    acpi_header_init(&xsdt.h, "XSDT", sizeof(xsdt), 1);
    xsdt.entry[0] = FIRMWARE_ACPI_MADT_ADDR;
    xsdt.h.checksum = firmware_checksum(&xsdt, sizeof(xsdt));

    struct acpi_rsdp rsdp;
    memset(&rsdp, 0, sizeof(rsdp));
    memcpy(rsdp.signature, "RSD PTR ", 8);
    memcpy(rsdp.oem_id, ACPI_OEM_ID, 6);
    rsdp.revision = 2;
    rsdp.rsdt_address = FIRMWARE_ACPI_RSDT_ADDR;
    rsdp.length = sizeof(rsdp);
    rsdp.xsdt_address = FIRMWARE_ACPI_XSDT_ADDR;
    /* 5.2.5.3: the checksum covers the ACPI 1.0 part (20 bytes), the
     * extended checksum the whole structure, the first checksum included. */
    rsdp.checksum = firmware_checksum(&rsdp, ACPI_RSDP_V1_LENGTH);
    rsdp.extended_checksum = firmware_checksum(&rsdp, sizeof(rsdp));

    int err;
    if ((err = firmware_write(mem, "ACPI MADT", FIRMWARE_ACPI_MADT_ADDR, madt, madt_len)) < 0 ||
        (err = firmware_write(mem, "ACPI XSDT", FIRMWARE_ACPI_XSDT_ADDR, &xsdt, sizeof(xsdt))) < 0 ||
        (err = firmware_write(mem, "ACPI RSDT", FIRMWARE_ACPI_RSDT_ADDR, &rsdt, sizeof(rsdt))) < 0)
        return err;
    return firmware_write(mem, "ACPI RSDP", FIRMWARE_ACPI_RSDP_ADDR, &rsdp, sizeof(rsdp));
}
