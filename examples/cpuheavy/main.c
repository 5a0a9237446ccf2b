/*
 * main.c - the cpuheavy benchmark kernel, built twice: as a 32-bit
 * multiboot ELF (cpuheavy, entry.asm here) and as a 64-bit long-mode
 * kernel (cpuheavy64, entered through examples/longmode/entry.asm).
 *
 * The multiboot command line chooses the amount of work: "iters=N"
 * (QEMU: -append iters=N).  It prints a checksum of the work, never a time.
 */
#include <stdint.h>

#include "io.h"
#include "multiboot.h"
#include "string.h"
#include "uart.h"
#include "workload.h"

/* About 4.3 billion guest instructions: QEMU TCG needs 3-5 s of CPU on
 * a 2020s x86 host (see docs/examples/cpuheavy.md). */
#define ITERS_DEFAULT 8000

#ifdef __x86_64__
#define KMAIN      kmain64
#define BANNER     "glass cpuheavy64 benchmark (64-bit long mode)"
#define EXIT_SUCCESS_CODE 0x14      /* status 0x29 = 41 */
#else
#define KMAIN      kmain
#define BANNER     "glass cpuheavy benchmark (32-bit protected mode)"
#define EXIT_SUCCESS_CODE 0x13      /* status 0x27 = 39 */
#endif
#define EXIT_FAILURE_CODE 0x01

/* "iters=N" anywhere in the arguments, else the default. */
static uint32_t parse_iters(const char *args)
{
    for (const char *s = args; *s; s++) {
        if ((s == args || s[-1] == ' ' || s[-1] == ',') &&
            strncmp(s, "iters=", 6) == 0) {
            uint32_t n = 0;
            for (s += 6; *s >= '0' && *s <= '9'; s++)
                n = n * 10 + (uint32_t)(*s - '0');
            return n;
        }
    }
    return ITERS_DEFAULT;
}

#ifdef __x86_64__
struct trap_frame64;
/* longmode/entry.asm's interrupt stubs call this; no IDT is loaded here,
 * so it is never reached, but the symbol must exist. */
void isr_dispatch64(struct trap_frame64 *frame)
{
    (void)frame;
    kprintf("FAIL: unexpected exception\n");
    debug_exit(EXIT_FAILURE_CODE);
}
#endif

void KMAIN(uint32_t magic, uint32_t mbi_phys)
{
    const struct multiboot_info *mbi = (const void *)(uintptr_t)mbi_phys;
    struct workload_result result;

    outb(POST_PORT, 0x01);
    uart_init();
    kprintf(BANNER "\n");
    if (magic != MULTIBOOT_BOOTLOADER_MAGIC) {
        kprintf("FAIL: not started by a multiboot loader\n");
        debug_exit(EXIT_FAILURE_CODE);
    }

    uint32_t iters = parse_iters(multiboot_args(mbi));
    workload_init();
    kprintf("self-test: crc32(\"123456789\") = %08x (expect cbf43926)\n",
            crc32((const uint8_t *)"123456789", 9));
    kprintf("iterations: %u\n", iters);

    outb(POST_PORT, 0x02);                  /* the timed part starts */
    workload_run(iters, &result);
    outb(POST_PORT, 0x03);                  /* ... and ends */

    kprintf("primes in the first sieve: %u\n", result.primes);
    kprintf("checksum: %08x\n", result.checksum);
    kprintf("cpuheavy done, exiting with 0x%x\n", EXIT_SUCCESS_CODE);
    debug_exit(EXIT_SUCCESS_CODE);
}
