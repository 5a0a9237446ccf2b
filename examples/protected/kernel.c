/*
 * kernel.c - the protected-mode example: a multiboot kernel that reads
 * what the boot loader gives it, installs its own GDT and IDT, turns on
 * 32-bit paging and takes page faults on purpose.
 *
 * References: Multiboot Specification 0.6.96 (section 3.3, boot
 * information); Intel SDM Vol. 3A: 3.4.5 segment descriptors, 6.11 IDT
 * descriptors, 6.15 exception 14 (#PF), 4.3 32-bit paging, 4.8 accessed
 * and dirty flags, 4.10.4 invalidation of TLBs.
 */
#include <stddef.h>
#include <stdint.h>

#include "io.h"
#include "multiboot.h"
#include "string.h"
#include "uart.h"
#include "udiv64.h"

#define EXIT_SUCCESS_CODE 0x11      /* the emulator exits with 0x23 = 35 */
#define EXIT_FAILURE_CODE 0x01      /* ... with 3 */

static void fail(const char *why)
{
    kprintf("FAIL: %s\n", why);
    debug_exit(EXIT_FAILURE_CODE);
}

/* ---- multiboot information -------------------------------------------- */

static void show_multiboot(uint32_t magic, const struct multiboot_info *mbi)
{
    kprintf("multiboot magic: %08X\n", magic);
    if (magic != MULTIBOOT_BOOTLOADER_MAGIC)
        fail("not started by a multiboot loader");

    if (mbi->flags & MBI_FLAG_MEM)
        kprintf("mem_lower: %u KiB, mem_upper: %u KiB\n",
                mbi->mem_lower, mbi->mem_upper);
    kprintf("command line arguments: \"%s\"\n", multiboot_args(mbi));
    if (mbi->flags & MBI_FLAG_MODS)
        kprintf("modules: %u\n", mbi->mods_count);

    /* The memory map's exact entries come from the firmware, so print a
     * fact about it instead: is the RAM we were loaded into listed as
     * available? */
    if (mbi->flags & MBI_FLAG_MMAP) {
        extern char __kernel_start[], __kernel_end[];
        uint32_t lo = (uint32_t)__kernel_start, hi = (uint32_t)__kernel_end;
        uint32_t at = mbi->mmap_addr, end = mbi->mmap_addr + mbi->mmap_length;
        int covered = 0;

        while (at < end) {
            const struct multiboot_mmap_entry *e = (const void *)at;
            if (e->type == MMAP_TYPE_AVAILABLE && e->addr <= lo &&
                e->addr + e->len >= hi)
                covered = 1;
            at += e->size + sizeof(e->size);    /* size excludes itself */
        }
        kprintf("memory map: the kernel's RAM is listed as available: %s\n",
                covered ? "yes" : "no");
    }
    if (mbi->flags & MBI_FLAG_LOADER)
        kprintf("boot loader name: present (%s)\n",
                strlen((const char *)mbi->boot_loader_name) ? "non-empty"
                                                             : "empty");
}

/* ---- GDT: SDM Vol. 3A 3.4.5, Figure 3-8 -------------------------------- */

struct gdt_ptr {
    uint16_t limit;
    uint32_t base;
} __attribute__((packed));

#define SEL_CODE 0x08
#define SEL_DATA 0x10

/* access byte: P (bit 7), DPL (6:5), S (4), type (3:0)
 * flags nibble: G (bit 3), D/B (bit 2), L (bit 1), AVL (bit 0) */
#define ACCESS_CODE 0x9A        /* present, ring 0, code, execute/read */
#define ACCESS_DATA 0x92        /* present, ring 0, data, read/write */
#define FLAGS_4K_32 0xC         /* 4 KiB granularity, 32-bit */

static uint64_t gdt[3];

static uint64_t gdt_entry(uint32_t base, uint32_t limit, uint8_t access,
                          uint8_t flags)
{
    return (uint64_t)(limit & 0xFFFF)
         | (uint64_t)(base & 0xFFFFFF) << 16
         | (uint64_t)access << 40
         | (uint64_t)((limit >> 16) & 0xF) << 48
         | (uint64_t)(flags & 0xF) << 52
         | (uint64_t)(base >> 24) << 56;
}

void gdt_load(const struct gdt_ptr *ptr, uint16_t code_sel, uint16_t data_sel);

static void setup_gdt(void)
{
    static struct gdt_ptr ptr;
    uint16_t cs, ds;

    gdt[0] = 0;                                     /* the null descriptor */
    gdt[1] = gdt_entry(0, 0xFFFFF, ACCESS_CODE, FLAGS_4K_32);
    gdt[2] = gdt_entry(0, 0xFFFFF, ACCESS_DATA, FLAGS_4K_32);
    ptr.limit = sizeof(gdt) - 1;
    ptr.base = (uint32_t)gdt;
    gdt_load(&ptr, SEL_CODE, SEL_DATA);

    __asm__ volatile("mov %%cs, %0; mov %%ds, %1" : "=r"(cs), "=r"(ds));
    kprintf("GDT loaded: %u descriptors, CS=%04x DS=%04x\n",
            (unsigned)(sizeof(gdt) / sizeof(gdt[0])), cs, ds);
}

/* ---- IDT: SDM Vol. 3A 6.11, Figure 6-2 --------------------------------- */

struct idt_gate {
    uint16_t offset_low;
    uint16_t selector;
    uint8_t zero;
    uint8_t type_attr;          /* P, DPL, 0, D=1 (32-bit), type 110 = interrupt */
    uint16_t offset_high;
} __attribute__((packed));

#define GATE_INTERRUPT_32 0x8E

/* What isr_common in entry.asm leaves on the stack, lowest address first. */
struct trap_frame {
    uint32_t edi, esi, ebp, esp_unused, ebx, edx, ecx, eax;  /* PUSHAD */
    uint32_t vector, error_code;
    uint32_t eip, cs, eflags;                                /* by the CPU */
};

extern const uint32_t isr_stubs[32];
static struct idt_gate idt[32];

static void setup_idt(void)
{
    struct {
        uint16_t limit;
        uint32_t base;
    } __attribute__((packed)) ptr = { sizeof(idt) - 1, (uint32_t)idt };

    for (int v = 0; v < 32; v++) {
        idt[v].offset_low = isr_stubs[v] & 0xFFFF;
        idt[v].selector = SEL_CODE;
        idt[v].zero = 0;
        idt[v].type_attr = GATE_INTERRUPT_32;
        idt[v].offset_high = isr_stubs[v] >> 16;
    }
    __asm__ volatile("lidt %0" : : "m"(ptr));
    kprintf("IDT loaded: %u exception vectors\n", 32u);
}

/* ---- a few CPU things -------------------------------------------------- */

static uint8_t copy_src[4096], copy_dst[4096];

static uint32_t fletcher32(const uint8_t *p, size_t n)
{
    uint32_t a = 1, b = 0;

    for (size_t i = 0; i < n; i++) {
        a = (a + p[i]) % 65521;
        b = (b + a) % 65521;
    }
    return b << 16 | a;
}

/* Towers of Hanoi: the number of moves, counted by really recursing. */
static uint32_t hanoi(int disks, int from, int to, int via)
{
    if (disks == 0)
        return 0;
    return hanoi(disks - 1, from, via, to) + 1 + hanoi(disks - 1, via, to, from);
}

/* Partitions of n into parts of at most max, recursively: p(30) = 5604. */
static uint32_t partitions(int n, int max)
{
    if (n == 0)
        return 1;
    if (n < 0 || max == 0)
        return 0;
    return partitions(n - max, max) + partitions(n, max - 1);
}

/* 64-bit by 32-bit division with two hardware DIVs (SDM Vol. 2A "DIV"):
 * first the high half, then the remainder:low half, so no step can
 * overflow the 32-bit quotient. */
static uint64_t div64_by32(uint64_t n, uint32_t d, uint32_t *rem)
{
    uint32_t hi = n >> 32, lo = (uint32_t)n, q_hi, q_lo, r;

    __asm__("divl %[d]" : "=a"(q_hi), "=d"(r) : "a"(hi), "d"(0), [d] "rm"(d));
    __asm__("divl %[d]" : "=a"(q_lo), "=d"(r) : "a"(lo), "d"(r), [d] "rm"(d));
    *rem = r;
    return (uint64_t)q_hi << 32 | q_lo;
}

static void cpu_things(void)
{
    /* memcpy with REP MOVSB, memset with REP STOSD. */
    for (size_t i = 0; i < sizeof(copy_src); i++)
        copy_src[i] = (uint8_t)(i * 7 + 3);
    memcpy(copy_dst, copy_src, sizeof(copy_dst));
    kprintf("rep movsb: copied %u bytes, fletcher32 %08x, equal: %s\n",
            (unsigned)sizeof(copy_dst), fletcher32(copy_dst, sizeof(copy_dst)),
            memcmp(copy_src, copy_dst, sizeof(copy_dst)) == 0 ? "yes" : "no");
    memset32((uint32_t *)copy_dst, 0xA5A5A5A5, sizeof(copy_dst) / 4);
    kprintf("rep stosd: filled %u dwords, fletcher32 %08x\n",
            (unsigned)(sizeof(copy_dst) / 4),
            fletcher32(copy_dst, sizeof(copy_dst)));

    /* 64-bit division, two ways, without libgcc. */
    uint64_t n = 0xFEDCBA9876543210ull, r64;
    uint32_t r32;
    uint64_t q = udivmod64(n, 0x12345, &r64);
    uint64_t q2 = div64_by32(n, 0x12345, &r32);
    kprintf("64-bit division: %016llx / 12345 = %llx remainder %llx\n",
            n, q, r64);
    kprintf("  same with two DIVs: %s; q * d + r == n: %s\n",
            q == q2 && r64 == r32 ? "yes" : "no",
            q * 0x12345 + r64 == n ? "yes" : "no");
    kprintf("  2^64 - 1 in decimal: %llu\n", ~0ull);

    /* Recursion. */
    kprintf("recursion: hanoi(12) = %u moves, partitions(30) = %u\n",
            hanoi(12, 1, 3, 2), partitions(30, 30));
}

/* ---- 32-bit paging: SDM Vol. 3A 4.3, Tables 4-4, 4-5, 4-6 -------------- */

#define PG_P   (1u << 0)        /* present */
#define PG_RW  (1u << 1)        /* writable */
#define PG_A   (1u << 5)        /* accessed: set by the CPU (4.8) */
#define PG_D   (1u << 6)        /* dirty: set by the CPU on a write (4.8) */
#define PG_PS  (1u << 7)        /* in a PDE: this maps a 4 MiB page */

#define CR0_WP (1u << 16)       /* supervisor writes honour R/W (4.1.3) */
#define CR0_PG (1u << 31)
#define CR4_PSE (1u << 4)       /* allow 4 MiB pages (4.3) */

#define PDE_INDEX(va) ((uint32_t)(va) >> 22)
#define PTE_INDEX(va) (((uint32_t)(va) >> 12) & 0x3FF)

/* The virtual addresses this example plays with. */
#define ALIAS_4K    0x40000000u /* a 4 KiB page: a second view of alias_frame */
#define ALIAS_4M    0xC0000000u /* a 4 MiB page: a second view of 4..8 MiB */
#define FAULT_VA    0x80001234u /* unmapped until the #PF handler maps it */
#define FAULT_FRAME 0x00800000u /* the 4 MiB frame the handler maps there */

static uint32_t page_dir[1024] __attribute__((aligned(4096)));
static uint32_t pt_low[1024] __attribute__((aligned(4096)));    /* 0..4 MiB */
static uint32_t pt_alias[1024] __attribute__((aligned(4096)));
static volatile uint32_t alias_frame[1024] __attribute__((aligned(4096)));

static volatile int page_faults;   /* changed by the #PF handler */

static inline uint32_t read_cr0(void)
{
    uint32_t v;
    __asm__ volatile("mov %%cr0, %0" : "=r"(v));
    return v;
}

static inline uint32_t read_cr4(void)
{
    uint32_t v;
    __asm__ volatile("mov %%cr4, %0" : "=r"(v));
    return v;
}

static inline void invlpg(uint32_t va)
{
    __asm__ volatile("invlpg (%0)" : : "r"(va) : "memory");
}

static void setup_paging(void)
{
    /* 0..4 MiB: identity, 4 KiB pages.  The kernel and its stack live here. */
    for (uint32_t i = 0; i < 1024; i++)
        pt_low[i] = (i << 12) | PG_RW | PG_P;
    page_dir[0] = (uint32_t)pt_low | PG_RW | PG_P;

    /* 4..8 MiB: identity, one 4 MiB page. */
    page_dir[1] = 0x00400000u | PG_PS | PG_RW | PG_P;

    /* ALIAS_4K -> the frame of alias_frame, through a page table. */
    pt_alias[PTE_INDEX(ALIAS_4K)] = (uint32_t)alias_frame | PG_RW | PG_P;
    page_dir[PDE_INDEX(ALIAS_4K)] = (uint32_t)pt_alias | PG_RW | PG_P;

    /* ALIAS_4M -> 4..8 MiB again, as a second 4 MiB page. */
    page_dir[PDE_INDEX(ALIAS_4M)] = 0x00400000u | PG_PS | PG_RW | PG_P;

    /* CR4.PSE before CR3 and CR0.PG; CR3 holds the directory's physical
     * address (4.3, Table 4-3).  WP makes ring 0 respect read-only pages. */
    __asm__ volatile("mov %0, %%cr4" : : "r"(read_cr4() | CR4_PSE));
    __asm__ volatile("mov %0, %%cr3" : : "r"(page_dir) : "memory");
    __asm__ volatile("mov %0, %%cr0" : : "r"(read_cr0() | CR0_PG | CR0_WP)
                     : "memory");
    kprintf("paging on: CR0.PG=%u CR0.WP=%u CR4.PSE=%u\n",
            read_cr0() >> 31, (read_cr0() >> 16) & 1, (read_cr4() >> 4) & 1);
}

static void page_fault(struct trap_frame *f)
{
    uint32_t cr2, err = f->error_code;

    __asm__ volatile("mov %%cr2, %0" : "=r"(cr2));
    page_faults++;
    /* Error code bits (6.15, Figure 6-11): P = 0 not-present / 1 protection,
     * W/R = write, U/S = user mode. */
    kprintf("page fault #%d: CR2=%08x error=%08x (%s, %s, %s)\n",
            page_faults, cr2, err,
            err & 1 ? "protection" : "not present",
            err & 2 ? "write" : "read",
            err & 4 ? "user" : "supervisor");

    if (cr2 == FAULT_VA && !(err & 1)) {
        kprintf("  handler: mapping a 4 MiB page at %08x\n",
                cr2 & ~0x3FFFFFu);
        page_dir[PDE_INDEX(FAULT_VA)] = FAULT_FRAME | PG_PS | PG_RW | PG_P;
    } else if (cr2 == ALIAS_4K && (err & 3) == 3) {
        kprintf("  handler: making the page writable again\n");
        pt_alias[PTE_INDEX(ALIAS_4K)] |= PG_RW;
    } else {
        fail("unexpected page fault");
    }
    invlpg(cr2);
    /* Returning re-executes the faulting instruction (a fault, not a trap). */
}

void isr_dispatch(struct trap_frame *f)
{
    if (f->vector == 14) {
        page_fault(f);
        return;
    }
    kprintf("unexpected exception %u, error code %08x\n", f->vector,
            f->error_code);
    fail("unexpected exception");
}

static void paging_demo(void)
{
    volatile uint32_t *via_4k = (volatile uint32_t *)ALIAS_4K;
    volatile uint32_t *via_4m = (volatile uint32_t *)(ALIAS_4M + 0x120);
    volatile uint32_t *ident_4m = (volatile uint32_t *)(0x00400000u + 0x120);
    volatile uint32_t *faulting = (volatile uint32_t *)FAULT_VA;

    /* Two virtual pages, one physical frame: a write through one is a
     * write through the other. */
    *via_4k = 0xCAFEF00D;
    kprintf("4 KiB alias: wrote %08x at %08x, read %08x through the identity map\n",
            0xCAFEF00Du, ALIAS_4K, alias_frame[0]);
    alias_frame[1] = 0x0BADF00D;
    kprintf("  and back: wrote %08x through the identity map, read %08x at %08x\n",
            0x0BADF00Du, via_4k[1], ALIAS_4K + 4);
    uint32_t pte = pt_alias[PTE_INDEX(ALIAS_4K)];
    kprintf("  its PTE: accessed=%u dirty=%u\n", (pte >> 5) & 1, (pte >> 6) & 1);

    *via_4m = 0x600DCAFE;
    kprintf("4 MiB alias: wrote %08x at %08x, read %08x at %08x\n",
            0x600DCAFEu, ALIAS_4M + 0x120, *ident_4m, 0x00400000u + 0x120);

    /* A not-present fault: the handler maps the page, the write retries. */
    *faulting = 0x12345678;
    kprintf("after the fault: %08x holds %08x\n", FAULT_VA, *faulting);

    /* A protection fault: the page is present but read-only, CR0.WP is set.
     * The PTE changed, so the stale TLB entry must go (4.10.4.1). */
    pt_alias[PTE_INDEX(ALIAS_4K)] &= ~PG_RW;
    invlpg(ALIAS_4K);
    *via_4k = 0xFEEDFACE;
    kprintf("after the fault: %08x holds %08x\n", ALIAS_4K, alias_frame[0]);
    kprintf("page faults taken: %d\n", page_faults);
}

/* ---- the entry from entry.asm ------------------------------------------ */

void kmain(uint32_t magic, const struct multiboot_info *mbi)
{
    outb(POST_PORT, 0x01);
    uart_init();
    kprintf("glass protected-mode example (multiboot, 32-bit)\n");
    show_multiboot(magic, mbi);
    setup_gdt();
    setup_idt();
    cpu_things();
    setup_paging();
    paging_demo();
    kprintf("protected mode done, exiting with 0x%x\n", EXIT_SUCCESS_CODE);
    debug_exit(EXIT_SUCCESS_CODE);
}
