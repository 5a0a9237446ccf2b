/* kernel.c - the self-modifying-code example (examples/smc/README below).
 *
 * A multiboot kernel that rewrites code and runs it again, the ways real
 * programs do (JITs, loaders, patching): each check calls a function many
 * times first, so an emulator has translated or cached it, then changes
 * its bytes with ordinary stores (or a device transfer) and calls again.
 * x86 keeps code and data coherent: the next execution sees the new bytes
 * (Intel SDM Vol. 3A, 11.6 "Self-modifying code").
 *
 *   1. a patched immediate (MOV EAX, imm32)
 *   2. a patched call target (CALL rel32)
 *   3. a store into the next instruction of the running block
 *   4. a loop whose body patches an instruction further down the loop
 *   5. with paging: writes through a second virtual mapping (an alias at
 *      1 GiB) of the same physical page, and a call through the alias
 *   6. an instruction crossing a 4 KiB page boundary, patched on each side
 *   7. code loaded from the disk by IDE PIO (REP INSW) into a buffer and
 *      called; then another sector over it, and the first again
 *
 * Prints one line a check and exits through isa-debug-exit with 0x10
 * (status 33) when all passed, 1 (status 3) otherwise. */
#include <stdint.h>

#include "io.h"
#include "uart.h"

typedef uint32_t (*fn0)(void);
typedef uint32_t (*fn1)(uint32_t);

extern uint32_t imm_fn(void), call_site(void), fn_a(void), fn_b(void);
extern uint32_t next_insn(uint32_t v), loop_patch(void), cross_fn(void);
extern uint8_t imm_fn_imm[], call_site_rel[], cross_fn_imm[];

#define ALIAS 0x40000000u       /* the second mapping of the first 4 MiB */

static int failures;

static void check(const char *what, uint32_t got, uint32_t want)
{
    kprintf("smc: %s: %08x %s\n", what, got, got == want ? "ok" : "FAIL");
    if (got != want)
        failures++;
}

/* Call f n times (so it is hot), return the last result. */
static uint32_t hot0(fn0 f, int n)
{
    uint32_t r = 0;
    for (int i = 0; i < n; i++)
        r = f();
    return r;
}

static void put32(uint8_t *p, uint32_t v)
{
    for (int i = 0; i < 4; i++)
        *(volatile uint8_t *)(p + i) = (uint8_t)(v >> (8 * i));
}

/* ---- paging: identity 0-4 MiB, and the same page table at 1 GiB ---- */

static uint32_t page_dir[1024] __attribute__((aligned(4096)));
static uint32_t page_table[1024] __attribute__((aligned(4096)));

static void paging_on(void)
{
    for (uint32_t i = 0; i < 1024; i++)
        page_table[i] = (i << 12) | 3;              /* present, writable */
    page_dir[0] = (uint32_t)page_table | 3;
    page_dir[ALIAS >> 22] = (uint32_t)page_table | 3;
    __asm__ volatile("mov %0, %%cr3\n\t"
                     "mov %%cr0, %%eax\n\t"
                     "or $0x80000000, %%eax\n\t"
                     "mov %%eax, %%cr0\n\t"
                     "jmp 1f\n1:"
                     : : "r"(page_dir) : "eax", "memory");
}

/* ---- IDE PIO, primary master (ATA-6 READ SECTORS, 20h) ---- */

#define ATA_DATA    0x1f0
#define ATA_COUNT   0x1f2
#define ATA_LBA0    0x1f3
#define ATA_LBA1    0x1f4
#define ATA_LBA2    0x1f5
#define ATA_DEVICE  0x1f6
#define ATA_CMD     0x1f7       /* Status on read */
#define ATA_CTRL    0x3f6
#define ST_BSY 0x80
#define ST_DRQ 0x08
#define ST_ERR 0x01

static int ata_read(uint32_t lba, void *buf)
{
    outb(ATA_CTRL, 0x02);                   /* nIEN: no interrupt */
    while (inb(ATA_CMD) & ST_BSY)
        ;
    outb(ATA_DEVICE, 0xe0 | ((lba >> 24) & 0x0f));
    outb(ATA_COUNT, 1);
    outb(ATA_LBA0, (uint8_t)lba);
    outb(ATA_LBA1, (uint8_t)(lba >> 8));
    outb(ATA_LBA2, (uint8_t)(lba >> 16));
    outb(ATA_CMD, 0x20);
    uint8_t st;
    while ((st = inb(ATA_CMD)) & ST_BSY)
        ;
    if ((st & ST_ERR) || !(st & ST_DRQ))
        return -1;
    void *d = buf;
    uint32_t n = 256;
    __asm__ volatile("cld\n\trep insw" : "+D"(d), "+c"(n) : "d"(ATA_DATA) : "memory");
    return 0;
}

static uint8_t load_buf[4096] __attribute__((aligned(4096)));

static uint32_t hot1(fn1 f, uint32_t x, int n)
{
    uint32_t r = 0;
    for (int i = 0; i < n; i++)
        r = f(x);
    return r;
}

void kmain(uint32_t magic, uint32_t mbi)
{
    (void)mbi;
    uart_init();
    kprintf("smc: self-modifying code, multiboot magic %08x\n", magic);

    /* 1. a patched immediate */
    check("immediate before", hot0(imm_fn, 100), 0x11111111);
    put32(imm_fn_imm, 0x22222222);
    check("immediate patched", hot0(imm_fn, 100), 0x22222222);

    /* 2. a patched call target */
    check("call target before (fn_a)", hot0(call_site, 100), 0x10a);
    put32(call_site_rel, (uint32_t)fn_b - ((uint32_t)call_site_rel + 4));
    check("call target patched (fn_b)", hot0(call_site, 100), 0x10b);
    put32(call_site_rel, (uint32_t)fn_a - ((uint32_t)call_site_rel + 4));
    check("call target patched back (fn_a)", hot0(call_site, 100), 0x10a);

    /* 3. a store into the next instruction of the running block */
    uint32_t r = 0;
    for (uint32_t i = 1; i <= 100; i++)
        r += next_insn(i);
    check("store into the next instruction (sum)", r, 100 * 0x1000 + 5050);

    /* 4. a loop patching its own body */
    check("loop patching its body", hot0(loop_patch, 50), 55);

    /* 5. paging, a second mapping of the same page */
    paging_on();
    check("immediate after paging on", hot0(imm_fn, 100), 0x22222222);
    put32(imm_fn_imm + ALIAS, 0x33333333);
    check("immediate patched through the alias", hot0(imm_fn, 100), 0x33333333);
    fn0 alias_fn = (fn0)((uint32_t)imm_fn + ALIAS);
    check("called through the alias", hot0(alias_fn, 100), 0x33333333);
    put32(imm_fn_imm, 0x44444444);
    check("patched directly, called through the alias", hot0(alias_fn, 100), 0x44444444);
    check("... and directly", hot0(imm_fn, 100), 0x44444444);

    /* 6. an instruction across a page boundary */
    check("page-crossing instruction", hot0(cross_fn, 100), 0x01020304);
    cross_fn_imm[3] = 0xee;                     /* the second page only */
    check("patched on the second page", hot0(cross_fn, 100), 0xee020304);
    cross_fn_imm[0] = 0x77;                     /* the first page only */
    check("patched on the first page", hot0(cross_fn, 100), 0xee020377);
    put32(cross_fn_imm + ALIAS, 0xa1b2c3d4);    /* both, through the alias */
    check("patched on both pages through the alias", hot0(cross_fn, 100), 0xa1b2c3d4);

    /* 7. code from the disk by PIO */
    fn1 loaded = (fn1)(uint32_t)load_buf;
    if (ata_read(0, load_buf) < 0)
        check("disk sector 0 read", 0, 1);
    check("disk code, sector 0: 5 * 3 + 7", hot1(loaded, 5, 100), 22);
    if (ata_read(1, load_buf) < 0)
        check("disk sector 1 read", 0, 1);
    check("disk code, sector 1: (5 << 4) ^ 0x5555", hot1(loaded, 5, 100), 0x5505);
    if (ata_read(0, load_buf) < 0)
        check("disk sector 0 read again", 0, 1);
    check("disk code, sector 0 again", hot1(loaded, 9, 100), 34);

    if (failures) {
        kprintf("smc: %d checks FAILED\n", failures);
        debug_exit(1);
    }
    kprintf("smc: all checks passed\n");
    debug_exit(0x10);
}
