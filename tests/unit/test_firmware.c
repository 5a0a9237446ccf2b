/* The firmware tables, read back the way a kernel reads them: the MP
 * floating pointer found by xv6's mpsearch order (MP 1.4, 4.1), the RSDP by
 * the ACPI search (5.2.5.1), every checksum, every entry; the BDA values;
 * and that nothing lands outside the BDA, the EBDA and the firmware area. */
#include <check.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cpu/cpuid.h"
#include "machine/firmware.h"
#include "machine/loader.h"
#include "mem/memmap.h"
#include "tests/unit/run_suite.h"

#define RAM_SIZE (2u << 20)

static struct memmap mm;
static uint8_t *ram;            /* guest-physical 0 .. RAM_SIZE */

static void setup(void)
{
    ck_assert_int_eq(memmap_init(&mm, RAM_SIZE), 0);
    /* As the board maps it: low RAM, the legacy hole as RAM, then RAM. */
    ck_assert_int_eq(memmap_add_ram(&mm, "ram-low", 0, 0xa0000), 0);
    ck_assert_int_eq(memmap_add_ram(&mm, "legacy-hole", 0xa0000, 0x60000), 0);
    ck_assert_int_eq(memmap_add_ram(&mm, "ram", 0x100000, RAM_SIZE - 0x100000), 0);
    ram = memmap_host_ptr(&mm, 0, 0xa0000);
    ck_assert_ptr_nonnull(ram);
    /* The regions were added in order, so the memfd is guest RAM 0..2M. */
    ck_assert_ptr_eq(memmap_host_ptr(&mm, 0xa0000, 1), ram + 0xa0000);
    ck_assert_ptr_eq(memmap_host_ptr(&mm, 0x100000, 1), ram + 0x100000);
}

static void teardown(void)
{
    memmap_destroy(&mm);
}

static struct firmware_config config(int ncpus)
{
    uint32_t r[4];
    x86_cpuid(1, 0, r);
    return (struct firmware_config){
        .ncpus = ncpus, .cpu_signature = r[0], .cpu_features_edx = r[3],
        .ioapic_id = (uint8_t)ncpus, .ram_size = RAM_SIZE, .nhard_disks = 2,
    };
}

static uint16_t rd16(uint32_t a) { return (uint16_t)(ram[a] | ram[a + 1] << 8); }
static uint32_t rd32(uint32_t a) { return rd16(a) | (uint32_t)rd16(a + 2) << 16; }
static uint64_t rd64(uint32_t a) { return rd32(a) | (uint64_t)rd32(a + 4) << 32; }

static uint8_t sum(uint32_t a, uint32_t len)
{
    uint8_t s = 0;
    for (uint32_t i = 0; i < len; i++)
        s = (uint8_t)(s + ram[a + i]);
    return s;
}

/* ---- the MP tables, as xv6's mpsearch and mpconfig read them ---------- */

static uint32_t mp_search1(uint32_t a, uint32_t len)
{
    for (uint32_t p = a; p + 16 <= a + len; p += 16)
        if (memcmp(ram + p, "_MP_", 4) == 0 && sum(p, 16) == 0)
            return p;
    return 0;
}

static uint32_t mp_search(void)
{
    uint32_t p, ebda = (uint32_t)rd16(0x40e) << 4;
    if (ebda && (p = mp_search1(ebda, 1024)))
        return p;
    uint32_t base = (uint32_t)rd16(0x413) * 1024;
    if ((p = mp_search1(base - 1024, 1024)))
        return p;
    return mp_search1(0xf0000, 0x10000);
}

static void check_mp(int ncpus)
{
    struct firmware_config cfg = config(ncpus);
    uint32_t fp = mp_search();
    ck_assert_uint_eq(fp, FIRMWARE_MP_FLOAT_ADDR);
    ck_assert_uint_eq(fp % 16, 0);
    ck_assert_uint_eq(ram[fp + 8], 1);          /* length, paragraphs */
    ck_assert_uint_eq(ram[fp + 9], 4);          /* spec rev 1.4 */
    ck_assert_uint_eq(ram[fp + 11], 0);         /* feature 1: table present */
    ck_assert_uint_eq(ram[fp + 12], 0);         /* virtual wire mode */
    uint32_t c = rd32(fp + 4);
    ck_assert_uint_eq(c, FIRMWARE_MP_CONFIG_ADDR);
    ck_assert_int_eq(memcmp(ram + c, "PCMP", 4), 0);
    uint16_t len = rd16(c + 4);
    ck_assert_uint_eq(sum(c, len), 0);
    ck_assert_uint_eq(ram[c + 6], 4);
    ck_assert_int_eq(memcmp(ram + c + 8, "GLASS   ", 8), 0);
    ck_assert_uint_eq(rd32(c + 36), 0xfee00000u);
    ck_assert_uint_eq(rd16(c + 40), 0);         /* no extended table */
    uint16_t count = rd16(c + 34);
    ck_assert_uint_eq(count, ncpus + 1 + 1 + 15 + 2);
    ck_assert_uint_le(c + len, FIRMWARE_ACPI_RSDP_ADDR);

    int cpus = 0, buses = 0, ioapics = 0, locals = 0, ioints = 0;
    int isa_bus = -1, pin[16];
    int last_type = 0;
    for (int i = 0; i < 16; i++)
        pin[i] = -1;
    uint32_t e = c + 44;
    for (int i = 0; i < count; i++) {
        uint8_t type = ram[e];
        ck_assert_int_ge(type, last_type);      /* 4.3: ordered by type */
        last_type = type;
        switch (type) {
        case 0:
            ck_assert_uint_eq(ram[e + 1], cpus);                /* APIC ID */
            ck_assert_uint_eq(ram[e + 2], 0x14);
            ck_assert_uint_eq(ram[e + 3], cpus == 0 ? 3 : 1);   /* EN, BP */
            ck_assert_uint_eq(rd32(e + 4), cfg.cpu_signature);
            ck_assert_uint_eq(rd32(e + 8), cfg.cpu_features_edx);
            cpus++;
            e += 20;
            continue;
        case 1:
            ck_assert_int_eq(memcmp(ram + e + 2, "ISA   ", 6), 0);
            isa_bus = ram[e + 1];
            buses++;
            break;
        case 2:
            ck_assert_uint_eq(ram[e + 1], ncpus);
            ck_assert_uint_eq(ram[e + 2], 0x11);
            ck_assert_uint_eq(ram[e + 3], 1);
            ck_assert_uint_eq(rd32(e + 4), 0xfec00000u);
            ioapics++;
            break;
        case 3:
            ck_assert_uint_eq(ram[e + 1], 0);                   /* INT */
            ck_assert_uint_eq(rd16(e + 2), 0);
            ck_assert_int_eq(ram[e + 4], isa_bus);
            ck_assert_uint_lt(ram[e + 5], 16);
            ck_assert_uint_eq(ram[e + 6], ncpus);               /* the I/O APIC */
            ck_assert_int_eq(pin[ram[e + 5]], -1);
            pin[ram[e + 5]] = ram[e + 7];
            ioints++;
            break;
        case 4:
            ck_assert_uint_eq(ram[e + 6], 0xff);                /* every LAPIC */
            if (ram[e + 1] == 3)                                /* ExtINT */
                ck_assert_uint_eq(ram[e + 7], 0);               /* LINT0 */
            else if (ram[e + 1] == 1)                           /* NMI */
                ck_assert_uint_eq(ram[e + 7], 1);               /* LINT1 */
            else
                ck_abort_msg("local interrupt type %u", ram[e + 1]);
            locals++;
            break;
        default:
            ck_abort_msg("entry type %u", type);
        }
        e += 8;
    }
    ck_assert_uint_eq(e, c + len);
    ck_assert_int_eq(cpus, ncpus);
    ck_assert_int_eq(buses, 1);
    ck_assert_int_eq(isa_bus, 0);
    ck_assert_int_eq(ioapics, 1);
    ck_assert_int_eq(ioints, 15);
    ck_assert_int_eq(locals, 2);
    ck_assert_int_eq(pin[0], 2);
    ck_assert_int_eq(pin[2], -1);
    for (int i = 1; i < 16; i++)
        if (i != 2)
            ck_assert_int_eq(pin[i], i);
}

/* ---- ACPI ------------------------------------------------------------- */

static uint32_t rsdp_search1(uint32_t a, uint32_t len)
{
    for (uint32_t p = a; p + 20 <= a + len; p += 16)
        if (memcmp(ram + p, "RSD PTR ", 8) == 0 && sum(p, 20) == 0)
            return p;
    return 0;
}

static void check_table(uint32_t a, const char *sig)
{
    ck_assert_int_eq(memcmp(ram + a, sig, 4), 0);
    ck_assert_uint_eq(sum(a, rd32(a + 4)), 0);
    ck_assert_int_eq(memcmp(ram + a + 10, "GLASS ", 6), 0);
}

static void check_madt(uint32_t m, int ncpus)
{
    check_table(m, "APIC");
    uint32_t len = rd32(m + 4);
    ck_assert_uint_eq(rd32(m + 36), 0xfee00000u);
    ck_assert_uint_eq(rd32(m + 40), 1);         /* PCAT_COMPAT */
    int cpus = 0, ioapics = 0, isos = 0, nmis = 0;
    uint32_t e = m + 44;
    while (e < m + len) {
        uint8_t type = ram[e], elen = ram[e + 1];
        ck_assert_uint_ge(elen, 2);
        switch (type) {
        case 0:
            ck_assert_uint_eq(elen, 8);
            ck_assert_uint_eq(ram[e + 2], cpus);
            ck_assert_uint_eq(ram[e + 3], cpus);
            ck_assert_uint_eq(rd32(e + 4), 1);
            cpus++;
            break;
        case 1:
            ck_assert_uint_eq(elen, 12);
            ck_assert_uint_eq(ram[e + 2], ncpus);
            ck_assert_uint_eq(rd32(e + 4), 0xfec00000u);
            ck_assert_uint_eq(rd32(e + 8), 0);
            ioapics++;
            break;
        case 2:
            ck_assert_uint_eq(elen, 10);
            ck_assert_uint_eq(ram[e + 2], 0);   /* ISA */
            ck_assert_uint_eq(ram[e + 3], 0);   /* IRQ0 */
            ck_assert_uint_eq(rd32(e + 4), 2);  /* GSI 2 */
            ck_assert_uint_eq(rd16(e + 8), 0);
            isos++;
            break;
        case 4:
            ck_assert_uint_eq(elen, 6);
            ck_assert_uint_eq(ram[e + 2], 0xff);
            ck_assert_uint_eq(rd16(e + 3), 0);
            ck_assert_uint_eq(ram[e + 5], 1);   /* LINT1 */
            nmis++;
            break;
        default:
            ck_abort_msg("MADT entry type %u", type);
        }
        e += elen;
    }
    ck_assert_uint_eq(e, m + len);
    ck_assert_int_eq(cpus, ncpus);
    ck_assert_int_eq(ioapics, 1);
    ck_assert_int_eq(isos, 1);
    ck_assert_int_eq(nmis, 1);
    ck_assert_uint_le(m + len, FIRMWARE_AREA_END);
}

static void check_acpi(int ncpus)
{
    uint32_t ebda = (uint32_t)rd16(0x40e) << 4;
    uint32_t r = rsdp_search1(ebda, 1024);
    if (!r)
        r = rsdp_search1(0xe0000, 0x20000);
    ck_assert_uint_eq(r, FIRMWARE_ACPI_RSDP_ADDR);
    ck_assert_uint_eq(ram[r + 15], 2);          /* revision */
    ck_assert_int_eq(memcmp(ram + r + 9, "GLASS ", 6), 0);
    ck_assert_uint_eq(rd32(r + 20), 36);
    ck_assert_uint_eq(sum(r, 36), 0);           /* extended checksum */

    uint32_t rsdt = rd32(r + 16);
    check_table(rsdt, "RSDT");
    ck_assert_uint_eq(rd32(rsdt + 4), 36 + 4);
    int found = 0;
    for (uint32_t i = 0; i < (rd32(rsdt + 4) - 36) / 4; i++) {
        uint32_t t = rd32(rsdt + 36 + 4 * i);
        if (memcmp(ram + t, "APIC", 4) == 0) {
            check_madt(t, ncpus);
            found++;
        }
    }
    ck_assert_int_eq(found, 1);

    uint64_t xsdt = rd64(r + 24);
    ck_assert_uint_lt(xsdt, 0x100000);
    check_table((uint32_t)xsdt, "XSDT");
    ck_assert_uint_eq(rd32((uint32_t)xsdt + 4), 36 + 8);
    found = 0;
    for (uint32_t i = 0; i < (rd32((uint32_t)xsdt + 4) - 36) / 8; i++) {
        uint64_t t = rd64((uint32_t)xsdt + 36 + 8 * i);
        ck_assert_uint_lt(t, 0x100000);
        if (memcmp(ram + t, "APIC", 4) == 0) {
            check_madt((uint32_t)t, ncpus);
            found++;
        }
    }
    ck_assert_int_eq(found, 1);
}

static const int cpu_counts[] = { 1, 2, 4, 8 };

START_TEST(test_mp_tables)
{
    int n = cpu_counts[_i];
    struct firmware_config cfg = config(n);
    ck_assert_int_eq(firmware_build(&mm, &cfg), 0);
    check_mp(n);
}
END_TEST

START_TEST(test_acpi_tables)
{
    int n = cpu_counts[_i];
    struct firmware_config cfg = config(n);
    ck_assert_int_eq(firmware_build(&mm, &cfg), 0);
    check_acpi(n);
}
END_TEST

/* Building again with fewer CPUs leaves no stale entry that a search finds. */
START_TEST(test_rebuild)
{
    struct firmware_config cfg = config(8);
    ck_assert_int_eq(firmware_build(&mm, &cfg), 0);
    cfg = config(2);
    ck_assert_int_eq(firmware_build(&mm, &cfg), 0);
    check_mp(2);
    check_acpi(2);
}
END_TEST

START_TEST(test_bda)
{
    struct firmware_config cfg = config(2);
    ck_assert_int_eq(firmware_build(&mm, &cfg), 0);
    ck_assert_uint_eq(rd16(0x400), 0x3f8);              /* COM1 */
    ck_assert_uint_eq(rd16(0x402), 0);
    ck_assert_uint_eq(rd16(0x408), 0);                  /* no LPT1 */
    ck_assert_uint_eq(rd16(0x40e), 0x9fc0);             /* EBDA segment */
    uint16_t equip = rd16(0x410);
    ck_assert_uint_eq((equip >> 9) & 7, 1);             /* one serial port */
    ck_assert_uint_eq((equip >> 4) & 3, 2);             /* 80x25 colour */
    ck_assert_uint_eq(equip & 1, 0);                    /* no floppy */
    ck_assert_uint_eq((equip >> 1) & 1, cfg.cpu_features_edx & 1);
    ck_assert_uint_eq(equip >> 14, 0);                  /* no printer */
    ck_assert_uint_eq(rd16(0x413), 639);
    ck_assert_uint_eq(rd16(0x41a), 0x1e);
    ck_assert_uint_eq(rd16(0x41c), 0x1e);
    ck_assert_uint_eq(rd16(0x480), 0x1e);
    ck_assert_uint_eq(rd16(0x482), 0x3e);
    ck_assert_uint_eq(ram[0x449], 3);
    ck_assert_uint_eq(rd16(0x44a), 80);
    ck_assert_uint_eq(rd16(0x463), 0x3d4);
    ck_assert_uint_eq(ram[0x484], 24);
    ck_assert_uint_eq(rd32(0x46c), 0);                  /* timer ticks */
    ck_assert_uint_eq(ram[0x475], 2);                   /* hard disks */
    ck_assert_uint_eq(ram[0x9fc00], 1);                 /* EBDA: 1 KiB */
    /* The last KiB of base memory is the EBDA. */
    ck_assert_uint_eq((uint32_t)rd16(0x413) * 1024, (uint32_t)rd16(0x40e) << 4);
}
END_TEST

static int in(uint32_t a, uint32_t lo, uint32_t hi) { return a >= lo && a < hi; }

/* Only the BDA, the EBDA and the firmware area change; the boot sector and
 * the multiboot area never; and the EBDA and the tables are reserved in
 * the e820 map the loaders hand out. */
START_TEST(test_placement)
{
    memset(ram, 0xa5, RAM_SIZE);
    struct firmware_config cfg = config(FIRMWARE_MAX_CPUS);
    cfg.ioapic_id = 0;                  /* allowed: xAPIC parts keep IDs apart */
    ck_assert_int_eq(firmware_build(&mm, &cfg), 0);
    for (uint32_t a = 0; a < RAM_SIZE; a++) {
        if (ram[a] == 0xa5)
            continue;
        ck_assert_msg(in(a, FIRMWARE_BDA_ADDR, FIRMWARE_BDA_ADDR + FIRMWARE_BDA_SIZE) ||
                      in(a, FIRMWARE_EBDA_ADDR, FIRMWARE_EBDA_ADDR + FIRMWARE_EBDA_SIZE) ||
                      in(a, FIRMWARE_AREA_START, FIRMWARE_AREA_END),
                      "byte 0x%x written outside the firmware's ranges", a);
    }
    for (uint32_t a = BOOTSECTOR_ADDR; a < BOOTSECTOR_ADDR + BOOTSECTOR_SIZE; a++)
        ck_assert_uint_eq(ram[a], 0xa5);
    for (uint32_t a = MB_MMAP_ADDR; a < 0xa000; a++)
        ck_assert_uint_eq(ram[a], 0xa5);

    struct e820_entry map[PC_E820_MAX];
    int n = pc_e820_map(512u << 20, map);
    int ebda_reserved = 0, area_reserved = 0;
    for (int i = 0; i < n; i++) {
        if (map[i].type != E820_RESERVED)
            continue;
        if (map[i].addr <= FIRMWARE_EBDA_ADDR &&
            FIRMWARE_EBDA_ADDR + FIRMWARE_EBDA_SIZE <= map[i].addr + map[i].len)
            ebda_reserved = 1;
        if (map[i].addr <= FIRMWARE_AREA_START && FIRMWARE_AREA_END <= map[i].addr + map[i].len)
            area_reserved = 1;
    }
    ck_assert(ebda_reserved);
    ck_assert(area_reserved);
}
END_TEST

START_TEST(test_bad_config)
{
    struct firmware_config cfg = config(1);
    cfg.ncpus = 0;
    ck_assert_int_eq(firmware_build(&mm, &cfg), -EINVAL);
    cfg.ncpus = FIRMWARE_MAX_CPUS + 1;
    ck_assert_int_eq(firmware_build(&mm, &cfg), -EINVAL);
    cfg = config(1);
    cfg.ioapic_id = 16;
    ck_assert_int_eq(firmware_build(&mm, &cfg), -EINVAL);
    cfg = config(1);
    cfg.nhard_disks = -1;
    ck_assert_int_eq(firmware_build(&mm, &cfg), -EINVAL);
    cfg = config(1);
    cfg.ram_size = 0x80000;
    ck_assert_int_eq(firmware_build(&mm, &cfg), -EINVAL);
    /* Nothing was written. */
    uint32_t written = 0;
    for (uint32_t a = 0; a < 0x100000; a++)
        written += ram[a] != 0;
    ck_assert_uint_eq(written, 0);
}
END_TEST

/* A memory map without RAM under the F-segment: a clear -EFAULT. */
START_TEST(test_no_ram)
{
    struct memmap small;
    ck_assert_int_eq(memmap_init(&small, 0xa0000), 0);
    ck_assert_int_eq(memmap_add_ram(&small, "ram-low", 0, 0xa0000), 0);
    struct firmware_config cfg = config(1);
    ck_assert_int_eq(firmware_build(&small, &cfg), -EFAULT);
    memmap_destroy(&small);
}
END_TEST

static Suite *firmware_suite(void)
{
    Suite *s = suite_create("firmware");
    TCase *tc = tcase_create("tables");
    tcase_add_checked_fixture(tc, setup, teardown);
    int ncounts = (int)(sizeof(cpu_counts) / sizeof(cpu_counts[0]));
    tcase_add_loop_test(tc, test_mp_tables, 0, ncounts);
    tcase_add_loop_test(tc, test_acpi_tables, 0, ncounts);
    tcase_add_test(tc, test_rebuild);
    tcase_add_test(tc, test_bda);
    tcase_add_test(tc, test_placement);
    tcase_add_test(tc, test_bad_config);
    tcase_add_test(tc, test_no_ram);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    return run_suite(firmware_suite());
}
