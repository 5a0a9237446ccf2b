/* Firmware tables in guest memory: what a PC BIOS leaves behind for the
 * operating system, so a kernel that never calls the BIOS still finds the
 * machine described the way SeaBIOS under QEMU describes it.
 *
 *   0x00400 - 0x004FF  BIOS data area (machine/firmware_bda.c)
 *   0x9FC00 - 0x9FFFF  extended BIOS data area, 1 KiB (size byte only)
 *   0xF5B00            Intel MP floating pointer "_MP_", 16 bytes
 *   0xF5B10            MP configuration table "PCMP" (machine/firmware_mp.c)
 *   0xF5E00            ACPI RSDP "RSD PTR ", revision 2, 36 bytes
 *   0xF5E40            RSDT       (machine/firmware_acpi.c)
 *   0xF5E80            XSDT
 *   0xF5F00            MADT "APIC"
 *   all of it ends before FIRMWARE_AREA_END (0xF6000).
 *
 * Every table lies in 0xF0000-0xFFFFF, the range the e820 map reserves
 * (pc_e820_map in machine/loader.h), where the MP specification (4.1) and
 * the ACPI specification (5.2.5.1) tell the OS to search, and clear of what
 * the loaders place (boot sector 0x7C00, multiboot 0x9000-0x9FFF, kernel at
 * 1 MiB).  The EBDA at 0x9FC00 is the e820 map's reserved 0x9FC00-0xA0000.
 *
 * The tables describe the board as glass builds it: one local APIC per vCPU
 * at 0xFEE00000 with APIC ID = vCPU index, one I/O APIC (24 pins) at
 * 0xFEC00000, ISA IRQ n on I/O APIC pin n except IRQ0 (the PIT) on pin 2,
 * the 8259 on LINT0 (ExtINT) and NMI on LINT1 of every local APIC. */
#ifndef GLASS_MACHINE_FIRMWARE_H
#define GLASS_MACHINE_FIRMWARE_H

#include <stddef.h>
#include <stdint.h>

struct memmap;

#define FIRMWARE_MAX_CPUS 16

struct firmware_config {
    int ncpus;                  /* 1..FIRMWARE_MAX_CPUS; APIC IDs 0..ncpus-1 */
    uint32_t cpu_signature;     /* CPUID.1:EAX */
    uint32_t cpu_features_edx;  /* CPUID.1:EDX */
    uint8_t ioapic_id;          /* 0..15 (4-bit ID register), as the device's
                                 * IOAPICID; ncpus is the usual choice */
    uint64_t ram_size;          /* bytes; at least 1 MiB */
    int nhard_disks;            /* 0..255, for the BDA byte at 0x475 */
};

/* Write the BDA, the EBDA, the MP tables and the ACPI tables into guest
 * memory (which must be RAM or ROM at those addresses).  Call after the
 * memory map exists and before the loader runs (the loader's writes then
 * win should a kernel ask for those bytes, which no real PC allows).
 * 0, or -EINVAL / -EFAULT after one line on stderr saying what is wrong. */
int firmware_build(struct memmap *mem, const struct firmware_config *cfg);

/* Addresses (see the picture above). */
#define FIRMWARE_BDA_ADDR       0x00400u
#define FIRMWARE_BDA_SIZE       0x100u
#define FIRMWARE_EBDA_SEGMENT   0x9FC0u
#define FIRMWARE_EBDA_ADDR      0x9FC00u
#define FIRMWARE_EBDA_SIZE      0x400u
#define FIRMWARE_AREA_START     0xF5B00u
#define FIRMWARE_MP_FLOAT_ADDR  0xF5B00u
#define FIRMWARE_MP_CONFIG_ADDR 0xF5B10u
#define FIRMWARE_ACPI_RSDP_ADDR 0xF5E00u
#define FIRMWARE_ACPI_RSDT_ADDR 0xF5E40u
#define FIRMWARE_ACPI_XSDT_ADDR 0xF5E80u
#define FIRMWARE_ACPI_MADT_ADDR 0xF5F00u
#define FIRMWARE_AREA_END       0xF6000u

#define FIRMWARE_LAPIC_ADDR     0xFEE00000u
#define FIRMWARE_IOAPIC_ADDR    0xFEC00000u
#define FIRMWARE_LAPIC_VERSION  0x14
#define FIRMWARE_IOAPIC_VERSION 0x11
#define FIRMWARE_IOAPIC_PINS    24
/* ISA IRQ -> I/O APIC pin: IRQ0 -> 2, IRQ2 unused, others identity. */
#define FIRMWARE_IRQ0_PIN       2

/* ---- shared between the firmware files; not for other modules ---------- */

/* The byte that makes the sum of len bytes zero, given their sum now
 * (MP 4.1 and 4.2, ACPI 5.2.5.3 and 5.2.6: every checksum is "all bytes,
 * checksum included, add to zero"). */
uint8_t firmware_checksum(const void *p, size_t len);
/* Copy into guest memory; -EFAULT with a message naming what when the range
 * is not RAM/ROM. */
int firmware_write(struct memmap *mem, const char *what, uint64_t gpa,
                   const void *buf, size_t len);

int firmware_build_bda(struct memmap *mem, const struct firmware_config *cfg);
int firmware_build_mp(struct memmap *mem, const struct firmware_config *cfg);
int firmware_build_acpi(struct memmap *mem, const struct firmware_config *cfg);

#endif
