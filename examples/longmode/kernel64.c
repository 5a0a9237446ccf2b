/*
 * kernel64.c - the long-mode example, in 64-bit mode: entry.asm has built
 * 4-level page tables, enabled PAE, EFER.LME and paging and jumped here.
 *
 * It prints the mode it is in, does 64-bit arithmetic, reads memory through
 * a second, higher-half mapping, and installs a 64-bit IDT to take three
 * exceptions on purpose: #BP (INT3), #UD (UD2) and #GP (a non-canonical
 * address).  References: Intel SDM Vol. 3A 2.2.1 (IA32_EFER), 3.3.7.1
 * (canonical addresses), 6.14 (64-bit mode exception handling), Vol. 2A
 * "MUL", "DIV", "IDIV".
 */
#include <stddef.h>
#include <stdint.h>

#include "io.h"
#include "multiboot.h"
#include "uart.h"

#define EXIT_SUCCESS_CODE 0x12      /* the emulator exits with 0x25 = 37 */
#define EXIT_FAILURE_CODE 0x01

#define HIGHER_HALF 0xFFFFFFFF80000000ull   /* the second view of 0..1 GiB */

static void fail(const char *why)
{
    kprintf("FAIL: %s\n", why);
    debug_exit(EXIT_FAILURE_CODE);
}

static inline uint64_t rdmsr(uint32_t msr)
{
    uint32_t lo, hi;
    __asm__ volatile("rdmsr" : "=a"(lo), "=d"(hi) : "c"(msr));
    return (uint64_t)hi << 32 | lo;
}

#define READ_CR(n) ({ uint64_t v_; __asm__ volatile("mov %%cr" #n ", %0" : "=r"(v_)); v_; })

static void show_mode(void)
{
    uint64_t efer = rdmsr(0xC0000080);
    uint16_t cs;

    __asm__ volatile("mov %%cs, %0" : "=r"(cs));
    /* EFER.LME (bit 8) we set; EFER.LMA (bit 10) the CPU set when paging
     * came on with LME = 1 (SDM 3A 10.8.5). */
    kprintf("EFER.LME=%u EFER.LMA=%u CR4.PAE=%u CR0.PG=%u CS=%04x\n",
            (unsigned)(efer >> 8) & 1, (unsigned)(efer >> 10) & 1,
            (unsigned)(READ_CR(4) >> 5) & 1, (unsigned)(READ_CR(0) >> 31) & 1,
            cs);
}

/* ---- 64-bit arithmetic -------------------------------------------------- */

/* Bit tricks that need no POPCNT/LZCNT/TZCNT instructions. */
static unsigned popcount64(uint64_t x)          /* SWAR: sum bits in place */
{
    x = x - ((x >> 1) & 0x5555555555555555ull);
    x = (x & 0x3333333333333333ull) + ((x >> 2) & 0x3333333333333333ull);
    x = (x + (x >> 4)) & 0x0F0F0F0F0F0F0F0Full;
    return (unsigned)((x * 0x0101010101010101ull) >> 56);
}

static uint64_t reverse_bits64(uint64_t x)
{
    x = (x >> 1 & 0x5555555555555555ull) | (x & 0x5555555555555555ull) << 1;
    x = (x >> 2 & 0x3333333333333333ull) | (x & 0x3333333333333333ull) << 2;
    x = (x >> 4 & 0x0F0F0F0F0F0F0F0Full) | (x & 0x0F0F0F0F0F0F0F0Full) << 4;
    x = (x >> 8 & 0x00FF00FF00FF00FFull) | (x & 0x00FF00FF00FF00FFull) << 8;
    x = (x >> 16 & 0x0000FFFF0000FFFFull) | (x & 0x0000FFFF0000FFFFull) << 16;
    return x >> 32 | x << 32;
}

static unsigned trailing_zeros64(uint64_t x)    /* de Bruijn multiply, x != 0 */
{
    static const uint8_t table[64] = {
        0, 1, 2, 53, 3, 7, 54, 27, 4, 38, 41, 8, 34, 55, 48, 28,
        62, 5, 39, 46, 44, 42, 22, 9, 24, 35, 59, 56, 49, 18, 29, 11,
        63, 52, 6, 26, 37, 40, 33, 47, 61, 45, 43, 21, 23, 58, 17, 10,
        51, 25, 36, 32, 60, 20, 57, 16, 50, 31, 19, 15, 30, 14, 13, 12,
    };
    return table[((x & -x) * 0x022FDD63CC95386Dull) >> 58];
}

static void arithmetic(void)
{
    volatile uint64_t va = 0x0123456789ABCDEFull, vb = 0xFEDCBA9876543210ull;
    uint64_t a = va, b = vb;   /* volatile: keep gcc from folding it all */

    /* 64 x 64 -> 128-bit product: one MUL, RDX:RAX. */
    unsigned __int128 p = (unsigned __int128)a * b;
    uint64_t hi = (uint64_t)(p >> 64), lo = (uint64_t)p;
    kprintf("%016llx * %016llx =\n  %016llx%016llx\n",
            (unsigned long long)a, (unsigned long long)b,
            (unsigned long long)hi, (unsigned long long)lo);

    /* ... and back: RDX:RAX / b with one DIV.  hi < b, so no #DE. */
    uint64_t q, r;
    __asm__("divq %[d]" : "=a"(q), "=d"(r) : "a"(lo), "d"(hi), [d] "rm"(b));
    kprintf("  128-bit / 64-bit DIV gives back %016llx remainder %llu\n",
            (unsigned long long)q, (unsigned long long)r);

    volatile uint64_t vn = ~0ull, vd = 0x123456789ull;
    kprintf("%016llx / %llx = %llx remainder %llx\n",
            (unsigned long long)vn, (unsigned long long)vd,
            (unsigned long long)(vn / vd), (unsigned long long)(vn % vd));
    volatile int64_t sn = -1234567890123456789ll, sd = 1000;
    kprintf("%lld / %lld = %lld remainder %lld (IDIV truncates toward 0)\n",
            (long long)sn, (long long)sd, (long long)(sn / sd),
            (long long)(sn % sd));

    kprintf("popcount(%016llx) = %u, bit-reversed %016llx\n",
            (unsigned long long)a, popcount64(a),
            (unsigned long long)reverse_bits64(a));
    kprintf("trailing zeros of 1 << 44: %u, of %016llx: %u\n",
            trailing_zeros64((uint64_t)1 << 44), (unsigned long long)b,
            trailing_zeros64(b));
    uint64_t rot = a << 13 | a >> 51;
    kprintf("rotate left 13: %016llx, byte-swapped: %016llx\n",
            (unsigned long long)rot,
            (unsigned long long)__builtin_bswap64(a));
}

/* ---- the higher-half mapping ------------------------------------------- */

static volatile uint64_t probe = 0x1122334455667788ull;

static void higher_half(void)
{
    volatile uint64_t *low = &probe;
    volatile uint64_t *high = (volatile uint64_t *)((uintptr_t)&probe + HIGHER_HALF);

    kprintf("through 0xffffffff80000000 + its address: %016llx (%s)\n",
            (unsigned long long)*high, *high == *low ? "same" : "different");
    *high = 0x8877665544332211ull;
    kprintf("  wrote through the high view, the low view reads %016llx\n",
            (unsigned long long)*low);
}

/* ---- the 64-bit IDT: SDM Vol. 3A 6.14.1, Figure 6-8 ------------------- */

struct idt_gate64 {
    uint16_t offset_0_15;
    uint16_t selector;
    uint8_t ist;                /* bits 2:0: the IST slot, 0 = none */
    uint8_t type_attr;          /* P, DPL, 0, type 1110 = 64-bit interrupt gate */
    uint16_t offset_16_31;
    uint32_t offset_32_63;
    uint32_t reserved;
} __attribute__((packed));

/* What isr_common64 leaves on the stack, lowest address first. */
struct trap_frame64 {
    uint64_t r15, r14, r13, r12, r11, r10, r9, r8;
    uint64_t rbp, rdi, rsi, rdx, rcx, rbx, rax;
    uint64_t vector, error_code;
    uint64_t rip, cs, rflags, rsp, ss;          /* pushed by the CPU */
};

extern const uint64_t isr_stubs64[32];
static struct idt_gate64 idt[32];

static void setup_idt(void)
{
    struct {
        uint16_t limit;
        uint64_t base;
    } __attribute__((packed)) ptr = { sizeof(idt) - 1, (uint64_t)idt };

    for (int v = 0; v < 32; v++) {
        uint64_t handler = isr_stubs64[v];
        idt[v].offset_0_15 = (uint16_t)handler;
        idt[v].selector = 0x08;
        idt[v].ist = 0;
        idt[v].type_attr = 0x8E;
        idt[v].offset_16_31 = (uint16_t)(handler >> 16);
        idt[v].offset_32_63 = (uint32_t)(handler >> 32);
        idt[v].reserved = 0;
    }
    __asm__ volatile("lidt %0" : : "m"(ptr));
    kprintf("64-bit IDT loaded: 32 gates of 16 bytes\n");
}

/* Each deliberate exception: the instruction's address and where to resume. */
extern const char int3_site[], int3_resume[];
extern const char ud2_site[], ud2_resume[];
extern const char gp_site[], gp_resume[];
static volatile int exceptions_seen;

void isr_dispatch64(struct trap_frame64 *f)
{
    exceptions_seen++;
    switch (f->vector) {
    case 3:
        /* #BP is a trap: the saved RIP is already past the INT3. */
        kprintf("  #BP (vector 3): saved RIP is just after the int3: %s\n",
                f->rip == (uint64_t)int3_resume ? "yes" : "no");
        return;
    case 6:
        /* #UD is a fault: RIP points at UD2; skip its two bytes. */
        kprintf("  #UD (vector 6): saved RIP is the ud2: %s\n",
                f->rip == (uint64_t)ud2_site ? "yes" : "no");
        f->rip = (uint64_t)ud2_resume;
        return;
    case 13:
        /* #GP(0): a memory operand with a non-canonical address. */
        kprintf("  #GP (vector 13): error code %llu, saved RIP is the load: %s\n",
                (unsigned long long)f->error_code,
                f->rip == (uint64_t)gp_site ? "yes" : "no");
        f->rip = (uint64_t)gp_resume;
        return;
    }
    kprintf("unexpected exception %llu, error code %llx\n",
            (unsigned long long)f->vector, (unsigned long long)f->error_code);
    fail("unexpected exception");
}

static __attribute__((noinline)) void exceptions(void)
{
    uint64_t value = 0x5A5A;

    kprintf("int3:\n");
    __asm__ volatile("int3_site: int3\n"
                     "int3_resume:");
    kprintf("ud2:\n");
    __asm__ volatile("ud2_site: ud2\n"
                     "ud2_resume:");
    /* Bits 63:47 of a 4-level-paging address must all equal bit 47
     * (SDM 3A 3.3.7.1); 0x8000000000000000 breaks that rule. */
    kprintf("load from 0x8000000000000000:\n");
    __asm__ volatile("gp_site: movq (%1), %0\n"
                     "gp_resume:"
                     : "+r"(value)
                     : "r"(0x8000000000000000ull)
                     : "memory");
    kprintf("  the load was skipped, the register kept %llx\n",
            (unsigned long long)value);
    kprintf("exceptions handled: %d\n", exceptions_seen);
}

void kmain64(uint32_t magic, uint32_t mbi_phys)
{
    const struct multiboot_info *mbi = (const void *)(uintptr_t)mbi_phys;

    outb(POST_PORT, 0x01);
    uart_init();
    kprintf("glass long-mode example (multiboot, 64-bit)\n");
    if (magic != MULTIBOOT_BOOTLOADER_MAGIC)
        fail("not started by a multiboot loader");
    kprintf("multiboot magic: %08X, arguments: \"%s\"\n", magic,
            multiboot_args(mbi));
    show_mode();
    arithmetic();
    higher_half();
    setup_idt();
    exceptions();
    kprintf("long mode done, exiting with 0x%x\n", EXIT_SUCCESS_CODE);
    debug_exit(EXIT_SUCCESS_CODE);
}
