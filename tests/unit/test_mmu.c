/* Linear accesses as instructions see them (cpu/mmu.c): paging off and on,
 * RAM/ROM/MMIO/holes, page-crossing accesses, #PF with CR2, the TLB and its
 * invalidation, global pages, the code-page write hook. */
#include <check.h>
#include <setjmp.h>
#include <stdlib.h>
#include <string.h>

#include "cpu/mmu.h"
#include "cpu/x86_cpu.h"
#include "machine/vm_exit.h"
#include "mem/ept.h"
#include "mem/memmap.h"
#include "mem/pagewalk.h"
#include "mem/tlb.h"
#include "tests/unit/descriptor_fixture.h"
#include "tests/unit/run_suite.h"

static struct memmap mm;
static struct ept ept;
static struct x86_cpu *cpu;

/* The machine side of MMIO: a fake exit function. */
static struct vm_exit last_exit;
static int nexits;
static int fake_exit(void *opaque, struct vm_exit *e)
{
    ck_assert_ptr_eq(opaque, &nexits);
    last_exit = *e;
    nexits++;
    if (e->reason == EXIT_EPT_VIOLATION && !e->mmio.write)
        e->mmio.data = 0x1122334455667788ull;
    return 0;
}

/* A device reached directly when env.exit is NULL. */
static uint64_t dev_val;
static uint64_t dev_read(void *opaque, uint64_t off, int size)
{
    (void)opaque;
    (void)size;
    return 0xab00 | off;
}
static void dev_write(void *opaque, uint64_t off, int size, uint64_t val)
{
    (void)opaque;
    (void)off;
    (void)size;
    dev_val = val;
}
static const struct mmio_ops dev_ops = { dev_read, dev_write };

#define PD 0x10000ull   /* 32-bit page directory */
#define PT 0x11000ull   /* page table for linear 0x400000-0x7fffff */

static void put32(uint64_t gpa, uint32_t v) { guest_put(&mm, gpa, v, 4); }
static uint32_t get32(uint64_t gpa) { return (uint32_t)guest_get(&mm, gpa, 4); }
static uint8_t *host(uint64_t gpa)
{
    return memmap_host_ptr(&mm, gpa, 1);
}

#define U  (PTE_P | PTE_RW | PTE_US)
#define S  (PTE_P | PTE_RW)

static void setup(void)
{
    ck_assert_int_eq(memmap_init(&mm, 32 << 20), 0);
    ck_assert_int_eq(memmap_add_ram(&mm, "low", 0, 0xa0000), 0);
    ck_assert_int_eq(memmap_add_rom(&mm, "bios", 0xf0000, 0x10000), 0);
    ck_assert_int_eq(memmap_add_ram(&mm, "high", 0x100000, 0xf00000), 0);
    ck_assert_int_eq(memmap_add_mmio(&mm, "lapic", 0xfee00000, 0x1000, &dev_ops, NULL), 0);
    ck_assert_int_eq(ept_build(&ept, &mm), 0);
    cpu = calloc(1, sizeof(*cpu));
    cpu->env.mem = &mm;
    cpu->env.ept = &ept;
    cpu->env.tlb = tlb_create(&mm);
    cpu->env.exit = fake_exit;
    cpu->env.opaque = &nexits;
    cpu->cr0 = CR0_PE;
    nexits = 0;

    /* 32-bit paging tables (used once CR0.PG is set). */
    put32(PD + 1 * 4, (uint32_t)PT | U);
    put32(PT + 0 * 4, 0x200000 | U);         /* 0x400000 -> 0x200000 */
    put32(PT + 1 * 4, 0x201000 | U);         /* 0x401000 -> 0x201000 */
    put32(PT + 2 * 4, 0);                    /* 0x402000 not present */
    put32(PT + 3 * 4, 0xfee00000u | S);      /* 0x403000 -> MMIO */
    put32(PT + 4 * 4, 0xf0000 | U);          /* 0x404000 -> ROM */
    put32(PT + 5 * 4, 0x205000 | U | PTE_G); /* 0x405000 global */
    put32(PT + 6 * 4, 0x206000 | S);         /* 0x406000 supervisor */
    put32(PT + 7 * 4, 0x207000 | PTE_P | PTE_US); /* 0x407000 user read-only */
    put32(PD + 2 * 4, 0x400000 | S | PTE_PS);/* 0x800000: 4 MiB page -> 0x400000 */
}

static void teardown(void)
{
    tlb_destroy(cpu->env.tlb);
    free(cpu);
    ept_destroy(&ept);
    memmap_destroy(&mm);
}

static void paging_on(void)
{
    cpu->cr3 = PD;
    cpu->cr4 = CR4_PSE;
    cpu->cr0 = CR0_PE | CR0_PG | CR0_WP;
    x86_tlb_flush(cpu, 1);
}

/* Run an access that may fault: returns 0, or the vector it raised. */
#define TRY(stmt) ({                                   \
    jmp_buf jb;                                        \
    volatile int vec_ = 0;                             \
    cpu->fault_jmp = &jb;                              \
    if (setjmp(jb) == 0) {                             \
        stmt;                                          \
    } else {                                           \
        vec_ = cpu->pending.vector;                    \
    }                                                  \
    cpu->fault_jmp = NULL;                             \
    vec_;                                              \
})

static uint64_t mask_of(int size)
{
    return size == 8 ? ~0ull : (1ull << (size * 8)) - 1;
}

START_TEST(test_paging_off_ram_rom_hole)
{
    static const int sizes[] = { 1, 2, 4, 8 };
    for (int i = 0; i < 4; i++) {
        uint64_t v = 0x8877665544332211ull & mask_of(sizes[i]);
        uint64_t lin = 0x3000 + (uint64_t)i * 16;
        x86_lin_write(cpu, lin, sizes[i], 0x8877665544332211ull, ACC_WRITE);
        ck_assert_uint_eq(x86_lin_read(cpu, lin, sizes[i], ACC_READ), v);
        ck_assert_uint_eq(host(lin)[0], 0x11);
        /* Nothing beyond the size was written. */
        ck_assert_uint_eq(host(lin)[sizes[i]], 0);
    }
    /* Crossing a page (also a TLB miss path on both sides). */
    x86_lin_write(cpu, 0x4ffd, 8, 0x0102030405060708ull, ACC_WRITE);
    ck_assert_uint_eq(x86_lin_read(cpu, 0x4ffd, 8, ACC_READ), 0x0102030405060708ull);
    ck_assert_uint_eq(host(0x5000)[0], 0x05);

    /* ROM: readable, guest writes are dropped. */
    host(0xf0010)[0] = 0x5a;
    x86_lin_write(cpu, 0xf0010, 1, 0xa5, ACC_WRITE);
    ck_assert_uint_eq(x86_lin_read(cpu, 0xf0010, 1, ACC_READ), 0x5a);
    ck_assert_ptr_null(x86_lin_ptr(cpu, 0xf0010, 1, ACC_WRITE));
    ck_assert_ptr_eq(x86_lin_ptr(cpu, 0xf0010, 1, ACC_READ), host(0xf0010));

    /* A hole: all ones, writes vanish, no exit. */
    ck_assert_uint_eq(x86_lin_read(cpu, 0xa0000, 4, ACC_READ), 0xffffffffu);
    x86_lin_write(cpu, 0xa0000, 4, 0, ACC_WRITE);
    ck_assert_uint_eq(x86_lin_read(cpu, 0xa0000, 8, ACC_READ), ~0ull);
    ck_assert_int_eq(nexits, 0);

    /* Linear addresses wrap at 4 GiB outside long mode: an access at
     * 0xffffffff reaches 0 for its second byte. */
    host(0)[0] = 0x77;
    ck_assert_uint_eq(x86_lin_read(cpu, 0xffffffffull, 2, ACC_READ) >> 8, 0x77);
}
END_TEST

START_TEST(test_buf_access)
{
    uint8_t in[300], out[300];
    for (int i = 0; i < 300; i++)
        in[i] = (uint8_t)(i * 7);
    x86_lin_write_buf(cpu, 0x7f00, in, 300, ACC_WRITE);
    ck_assert_mem_eq(host(0x7f00), in, 300);
    x86_lin_read_buf(cpu, 0x7f00, out, 300, ACC_READ);
    ck_assert_mem_eq(out, in, 300);
    /* Spanning more pages than one chunk of the slow path. */
    size_t big = 70000;
    uint8_t *b = malloc(big), *c = malloc(big);
    for (size_t i = 0; i < big; i++)
        b[i] = (uint8_t)(i ^ (i >> 8));
    x86_lin_write_buf(cpu, 0x200123, b, (int)big, ACC_WRITE);
    x86_lin_read_buf(cpu, 0x200123, c, (int)big, ACC_READ);
    ck_assert_mem_eq(b, c, big);
    ck_assert_mem_eq(host(0x200123), b, big);
    free(b);
    free(c);
}
END_TEST

START_TEST(test_mmio_exit)
{
    cpu->rip = 0x1234;
    ck_assert_uint_eq(x86_lin_read(cpu, 0xfee00020, 4, ACC_READ), 0x55667788u);
    ck_assert_int_eq(nexits, 1);
    ck_assert_uint_eq(last_exit.reason, EXIT_EPT_VIOLATION);
    ck_assert_uint_eq(last_exit.rip, 0x1234);
    ck_assert_uint_eq(last_exit.mmio.gpa, 0xfee00020);
    ck_assert_uint_eq(last_exit.mmio.size, 4);
    ck_assert_uint_eq(last_exit.mmio.write, 0);

    x86_lin_write(cpu, 0xfee000b0, 8, 0xcafef00d12345678ull, ACC_WRITE);
    ck_assert_int_eq(nexits, 2);
    ck_assert_uint_eq(last_exit.mmio.gpa, 0xfee000b0);
    ck_assert_uint_eq(last_exit.mmio.size, 8);
    ck_assert_uint_eq(last_exit.mmio.write, 1);
    ck_assert_uint_eq(last_exit.mmio.data, 0xcafef00d12345678ull);

    /* MMIO is never in the fast path: every access exits. */
    x86_lin_read(cpu, 0xfee00020, 4, ACC_READ);
    ck_assert_int_eq(nexits, 3);
    ck_assert_ptr_null(x86_lin_ptr(cpu, 0xfee00020, 4, ACC_READ));

    /* Without an exit function the region's handlers answer directly. */
    cpu->env.exit = NULL;
    ck_assert_uint_eq(x86_lin_read(cpu, 0xfee00030, 2, ACC_READ), 0xab30);
    x86_lin_write(cpu, 0xfee00030, 4, 0x99, ACC_WRITE);
    ck_assert_uint_eq(dev_val, 0x99);
    ck_assert_int_eq(nexits, 3);
}
END_TEST

START_TEST(test_no_ept_no_tlb)
{
    /* The map alone (no EPT, no TLB) gives the same answers. */
    tlb_destroy(cpu->env.tlb);
    cpu->env.tlb = NULL;
    cpu->env.ept = NULL;
    x86_lin_write(cpu, 0x100000, 4, 0xfeedbeef, ACC_WRITE);
    ck_assert_uint_eq(get32(0x100000), 0xfeedbeef);
    x86_lin_write(cpu, 0xf0000, 1, 0x42, ACC_WRITE);
    ck_assert_uint_ne(host(0xf0000)[0], 0x42);
    ck_assert_uint_eq(x86_lin_read(cpu, 0xfee00000, 4, ACC_READ), 0x55667788u);
    ck_assert_int_eq(nexits, 1);
    ck_assert_uint_eq(x86_lin_read(cpu, 0xc0000000, 1, ACC_READ), 0xff);
    paging_on();
    x86_lin_write(cpu, 0x400004, 4, 0x1234, ACC_WRITE);
    ck_assert_uint_eq(get32(0x200004), 0x1234);
    ck_assert_uint_eq(get32(PT) & (PTE_A | PTE_D), PTE_A | PTE_D);
    ck_assert_uint_eq(x86_lin_read(cpu, 0x403000, 4, ACC_READ), 0x55667788u);
    ck_assert_int_eq(nexits, 2);
    cpu->env.tlb = tlb_create(&mm); /* for teardown */
}
END_TEST

START_TEST(test_paging_read_write_ad)
{
    paging_on();
    x86_lin_write(cpu, 0x400010, 4, 0xabcdef01, ACC_WRITE);
    ck_assert_uint_eq(get32(0x200010), 0xabcdef01);
    ck_assert_uint_eq(x86_lin_read(cpu, 0x400010, 4, ACC_READ), 0xabcdef01);
    ck_assert_uint_eq(get32(PD + 4) & (PTE_A | PTE_D), PTE_A);
    ck_assert_uint_eq(get32(PT) & (PTE_A | PTE_D), PTE_A | PTE_D);
    /* A read leaves D clear. */
    ck_assert_uint_eq(x86_lin_read(cpu, 0x401000, 4, ACC_READ), 0);
    ck_assert_uint_eq(get32(PT + 4) & (PTE_A | PTE_D), PTE_A);
    /* And a later write through the same TLB entry still sets D: a read
     * fill never grants the fast write path on a clean page. */
    x86_lin_write(cpu, 0x401000, 1, 1, ACC_WRITE);
    ck_assert_uint_eq(get32(PT + 4) & (PTE_A | PTE_D), PTE_A | PTE_D);

    uint64_t gpa = 0;
    uint32_t pfec = 0;
    ck_assert_int_eq(x86_translate(cpu, 0x401abc, ACC_READ, &gpa, &pfec), 0);
    ck_assert_uint_eq(gpa, 0x201abc);
    ck_assert_int_eq(x86_translate(cpu, 0x402000, ACC_WRITE, &gpa, &pfec), -1);
    ck_assert_uint_eq(pfec, PFEC_W);
    /* x86_translate has no side effects: A stays clear. */
    ck_assert_uint_eq(get32(PT + 5 * 4) & PTE_A, 0);
    ck_assert_int_eq(x86_translate(cpu, 0x405000, ACC_READ, &gpa, &pfec), 0);
    ck_assert_uint_eq(get32(PT + 5 * 4) & PTE_A, 0);

    /* The 4 MiB page. */
    x86_lin_write(cpu, 0xbffffc, 4, 0x600d, ACC_WRITE);
    ck_assert_uint_eq(get32(0x7ffffc), 0x600d);
}
END_TEST

START_TEST(test_page_faults)
{
    paging_on();
    put32(0x201ffc, 0x11111111);
    /* A write crossing into a not-present page: nothing written, CR2 is the
     * first byte of the faulting page. */
    ck_assert_int_eq(TRY(x86_lin_write(cpu, 0x401ffe, 4, 0x22222222, ACC_WRITE)), X86_PF);
    ck_assert_uint_eq(cpu->cr2, 0x402000);
    ck_assert_uint_eq(cpu->pending.error_code, PFEC_W);
    ck_assert_uint_eq(get32(0x201ffc), 0x11111111);
    ck_assert_int_eq(TRY(x86_lin_read(cpu, 0x402abc, 1, ACC_READ)), X86_PF);
    ck_assert_uint_eq(cpu->cr2, 0x402abc);
    ck_assert_uint_eq(cpu->pending.error_code, 0);

    /* User mode. */
    cpu->cpl = 3;
    ck_assert_int_eq(TRY(x86_lin_read(cpu, 0x406000, 4, ACC_READ)), X86_PF);
    ck_assert_uint_eq(cpu->pending.error_code, PFEC_P | PFEC_U);
    ck_assert_int_eq(TRY(x86_lin_write(cpu, 0x406000, 4, 0, ACC_WRITE)), X86_PF);
    ck_assert_uint_eq(cpu->pending.error_code, PFEC_P | PFEC_W | PFEC_U);
    ck_assert_int_eq(TRY(x86_lin_write(cpu, 0x407000, 4, 0, ACC_WRITE)), X86_PF);
    ck_assert_uint_eq(cpu->pending.error_code, PFEC_P | PFEC_W | PFEC_U);
    ck_assert_int_eq(TRY(x86_lin_read(cpu, 0x407000, 4, ACC_READ)), 0);
    /* Implicit supervisor accesses (GDT, TSS...) from CPL 3 pass. */
    ck_assert_int_eq(TRY(x86_lin_write(cpu, 0x406000, 4, 0x5, ACC_WRITE | ACC_IMPLICIT_SV)), 0);
    ck_assert_uint_eq(get32(0x206000), 5);
    /* A supervisor TLB entry does not serve user mode. */
    ck_assert_int_eq(TRY(x86_lin_read(cpu, 0x406000, 4, ACC_READ)), X86_PF);

    /* Supervisor write to a read-only page: faults with CR0.WP... */
    cpu->cpl = 0;
    ck_assert_int_eq(TRY(x86_lin_write(cpu, 0x407000, 4, 7, ACC_WRITE)), X86_PF);
    ck_assert_uint_eq(cpu->pending.error_code, PFEC_P | PFEC_W);
    /* ...and succeeds without. */
    cpu->cr0 &= ~(uint64_t)CR0_WP;
    x86_tlb_flush(cpu, 1);
    ck_assert_int_eq(TRY(x86_lin_write(cpu, 0x407000, 4, 7, ACC_WRITE)), 0);
    ck_assert_uint_eq(get32(0x207000), 7);
}
END_TEST

START_TEST(test_tlb_invlpg_and_global)
{
    paging_on();
    put32(0x200000, 0xaaaa);
    put32(0x208000, 0xbbbb);
    ck_assert_uint_eq(x86_lin_read(cpu, 0x400000, 4, ACC_READ), 0xaaaa);
    /* Change the PTE without invalidating: the TLB still says 0x200000. */
    put32(PT, 0x208000 | U);
    ck_assert_uint_eq(x86_lin_read(cpu, 0x400000, 4, ACC_READ), 0xaaaa);
    x86_tlb_flush_page(cpu, 0x400abc);
    ck_assert_uint_eq(x86_lin_read(cpu, 0x400000, 4, ACC_READ), 0xbbbb);

    /* Global pages survive a non-global flush (MOV CR3) with CR4.PGE. */
    cpu->cr4 |= CR4_PGE;
    x86_tlb_flush(cpu, 1);
    put32(0x205000, 0xcccc);
    ck_assert_uint_eq(x86_lin_read(cpu, 0x405000, 4, ACC_READ), 0xcccc);
    ck_assert_uint_eq(x86_lin_read(cpu, 0x400000, 4, ACC_READ), 0xbbbb);
    put32(PT + 5 * 4, 0x208000 | U | PTE_G);
    put32(PT, 0x200000 | U);
    x86_tlb_flush(cpu, 0);
    ck_assert_uint_eq(x86_lin_read(cpu, 0x405000, 4, ACC_READ), 0xcccc); /* kept */
    ck_assert_uint_eq(x86_lin_read(cpu, 0x400000, 4, ACC_READ), 0xaaaa); /* dropped */
    x86_tlb_flush(cpu, 1);
    ck_assert_uint_eq(x86_lin_read(cpu, 0x405000, 4, ACC_READ), 0xbbbb);

    /* INVLPG anywhere in a large page drops every 4 KiB piece of it. */
    put32(0x400000, 0x1111);
    put32(0x401000, 0x2222);
    put32(0x800000, 0x3333);
    put32(0x801000, 0x4444);
    ck_assert_uint_eq(x86_lin_read(cpu, 0x800000, 4, ACC_READ), 0x1111);
    ck_assert_uint_eq(x86_lin_read(cpu, 0x801000, 4, ACC_READ), 0x2222);
    put32(PD + 2 * 4, 0x800000 | S | PTE_PS);
    x86_tlb_flush_page(cpu, 0x9ff000);
    ck_assert_uint_eq(x86_lin_read(cpu, 0x800000, 4, ACC_READ), 0x3333);
    ck_assert_uint_eq(x86_lin_read(cpu, 0x801000, 4, ACC_READ), 0x4444);
}
END_TEST

static uint64_t hook_gpa, hook_len;
static int hook_calls;
static void code_hook(void *opaque, uint64_t gpa, uint64_t len)
{
    (void)opaque;
    /* Called after the write: the new bytes are there. */
    ck_assert_uint_eq(host(gpa)[0], 0x90);
    hook_gpa = gpa;
    hook_len = len;
    hook_calls++;
}

START_TEST(test_code_page_writes)
{
    paging_on();
    hook_calls = 0;
    memmap_set_code_hook(&mm, code_hook, NULL);
    /* Fill a fast write path for 0x400000 first... */
    x86_lin_write(cpu, 0x400100, 1, 0x90, ACC_WRITE);
    ck_assert_ptr_eq(x86_lin_ptr(cpu, 0x400100, 1, ACC_WRITE), host(0x200100));
    ck_assert_int_eq(hook_calls, 0);
    /* ...then the translator marks the page: the old write entry must not
     * be used any more. */
    memmap_mark_code(&mm, 0x200000);
    x86_lin_write(cpu, 0x400104, 2, 0x9090, ACC_WRITE);
    ck_assert_int_eq(hook_calls, 1);
    ck_assert_uint_eq(hook_gpa, 0x200104);
    ck_assert_uint_eq(hook_len, 2);
    ck_assert_ptr_null(x86_lin_ptr(cpu, 0x400100, 1, ACC_WRITE));
    ck_assert_ptr_eq(x86_lin_ptr(cpu, 0x400100, 1, ACC_READ), host(0x200100));
    x86_lin_write_buf(cpu, 0x400ffe, "\x90\x90\x90\x90", 4, ACC_WRITE);
    ck_assert_int_eq(hook_calls, 2);
    ck_assert_uint_eq(hook_gpa, 0x200ffe);
    /* Writes elsewhere are quiet. */
    x86_lin_write(cpu, 0x401100, 4, 0x90, ACC_WRITE);
    ck_assert_int_eq(hook_calls, 2);
    /* DMA into the page fires too. */
    uint8_t nop = 0x90;
    memmap_write(&mm, 0x200800, &nop, 1);
    ck_assert_int_eq(hook_calls, 3);
}
END_TEST

static bool page_dirty(const uint64_t *bm, uint64_t gpa)
{
    const struct mem_region *r = memmap_find(&mm, gpa);
    uint64_t page = (r->offset + (gpa - r->gpa)) >> 12;
    return (bm[page / 64] >> (page % 64)) & 1;
}

START_TEST(test_dirty_log)
{
    paging_on();
    uint64_t *bm = calloc(memmap_dirty_words(&mm), sizeof(uint64_t));
    /* A fast write path exists before logging starts... */
    x86_lin_write(cpu, 0x400000, 4, 1, ACC_WRITE);
    ck_assert_ptr_nonnull(x86_lin_ptr(cpu, 0x400000, 4, ACC_WRITE));
    ck_assert_int_eq(memmap_dirty_log_start(&mm), 0);
    /* ...and is not used once it has: the write is logged. */
    x86_lin_write(cpu, 0x400000, 4, 2, ACC_WRITE);
    ck_assert_int_eq(memmap_dirty_log_sync(&mm, bm), 1);
    ck_assert(page_dirty(bm, 0x200000));
    /* Reading fills no write entry while logging, so a later write is seen. */
    x86_lin_read(cpu, 0x401000, 4, ACC_READ);
    x86_lin_write(cpu, 0x400000, 4, 3, ACC_WRITE); /* again after the sync */
    x86_lin_write(cpu, 0x401000, 4, 3, ACC_WRITE);
    ck_assert_int_eq(memmap_dirty_log_sync(&mm, bm), 3); /* + the PTE's page (D bit) */
    ck_assert(page_dirty(bm, 0x200000));
    ck_assert(page_dirty(bm, 0x201000));
    ck_assert(page_dirty(bm, PT));
    /* A write through the fast path made in this round needs no new bit. */
    x86_lin_write(cpu, 0x401004, 4, 3, ACC_WRITE);
    ck_assert_int_eq(memmap_dirty_log_sync(&mm, bm), 1);
    ck_assert(page_dirty(bm, 0x201000));
    ck_assert_uint_eq(get32(0x201004), 3);
    memmap_dirty_log_stop(&mm);
    free(bm);
}
END_TEST

START_TEST(test_fetch_and_ptr)
{
    paging_on();
    memset(host(0x201ff8), 0xcc, 8);
    uint8_t buf[15];
    /* The second page is not present: the fetch stops there, no fault. */
    ck_assert_int_eq(x86_lin_fetch(cpu, 0x401ff8, buf, 15), 8);
    ck_assert_uint_eq(buf[7], 0xcc);
    ck_assert_int_eq(TRY(x86_lin_fetch(cpu, 0x402000, buf, 15)), X86_PF);
    ck_assert_uint_eq(cpu->cr2, 0x402000);
    ck_assert_uint_eq(cpu->pending.error_code, 0); /* no I/D without NXE */
    ck_assert_int_eq(x86_lin_fetch(cpu, 0x404000, buf, 4), 4); /* from ROM */

    ck_assert_ptr_eq(x86_lin_ptr(cpu, 0x400ff8, 8, ACC_READ), host(0x200ff8));
    ck_assert_ptr_null(x86_lin_ptr(cpu, 0x400ffc, 8, ACC_READ)); /* crosses */
    ck_assert_ptr_null(x86_lin_ptr(cpu, 0x403000, 4, ACC_READ)); /* MMIO */
    ck_assert_ptr_null(x86_lin_ptr(cpu, 0x404000, 4, ACC_WRITE)); /* ROM */
    ck_assert_int_eq(TRY(x86_lin_ptr(cpu, 0x402000, 4, ACC_READ)), X86_PF);
    /* x86_lin_ptr sets D as the write would. */
    ck_assert_uint_eq(get32(PT + 6 * 4) & PTE_D, 0);
    ck_assert_ptr_nonnull(x86_lin_ptr(cpu, 0x406000, 4, ACC_WRITE));
    ck_assert_uint_eq(get32(PT + 6 * 4) & PTE_D, PTE_D);
    /* MMIO through a linear mapping. */
    ck_assert_uint_eq(x86_lin_read(cpu, 0x403010, 2, ACC_READ), 0x7788);
    ck_assert_uint_eq(last_exit.mmio.gpa, 0xfee00010);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("mmu");
    TCase *tc = tcase_create("mmu");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, test_paging_off_ram_rom_hole);
    tcase_add_test(tc, test_buf_access);
    tcase_add_test(tc, test_mmio_exit);
    tcase_add_test(tc, test_no_ept_no_tlb);
    tcase_add_test(tc, test_paging_read_write_ad);
    tcase_add_test(tc, test_page_faults);
    tcase_add_test(tc, test_tlb_invlpg_and_global);
    tcase_add_test(tc, test_code_page_writes);
    tcase_add_test(tc, test_dirty_log);
    tcase_add_test(tc, test_fetch_and_ptr);
    suite_add_tcase(s, tc);
    return run_suite(s);
}
