/* The glass side of the differential test (interp_side.h).
 *
 * Guest-physical memory holds the code page, the two data pages and the
 * page tables; the page tables identity-map the code page (user, read-only,
 * executable) and the data pages (user, writable, not executable) at the
 * runner's addresses, and leave DIFF_GUARD unmapped.  Segments are what
 * 64-bit Linux gives a user process: CS 0x33 (64-bit) or 0x23 (32-bit),
 * SS/DS/ES 0x2b flat.
 *
 * Two ways to run one instruction, both compared with the host:
 *  - interp_step(): decoded afresh, general handlers; a fault is left in
 *    cpu->pending, so vector, error code and CR2 are read directly;
 *  - interp_run() with max_insns = 1: the block cache and its specialised
 *    handlers, and real exception delivery through an IDT whose vector n
 *    points at SYS_HANDLERS + 16 n, where a HLT stops the run; the vector
 *    comes from RIP, the error code and the faulting state from the frame
 *    on the TSS.RSP0 stack. */
#include "tests/diff/interp_side.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cpu/exception.h"
#include "cpu/interp.h"
#include "cpu/mmu.h"
#include "cpu/x86_cpu.h"
#include "machine/vm_exit.h"
#include "mem/ept.h"
#include "mem/memmap.h"
#include "mem/pagewalk.h"
#include "mem/tlb.h"
#include "translate/bt.h"

#define PT_GPA 0x20000000ull    /* five page-table pages */
#define SYS_GPA 0x20200000ull   /* GDT, IDT, TSS, handlers, kernel stack */
#define SYS_GDT (SYS_GPA + 0x0000)
#define SYS_IDT (SYS_GPA + 0x1000)
#define SYS_TSS (SYS_GPA + 0x2000)
#define SYS_HANDLERS (SYS_GPA + 0x3000)
#define SYS_STACK_TOP (SYS_GPA + 0x5000)
#define SYS_SIZE 0x5000u
#define KERNEL_CS 0x10
#define TSS_SEL 0x40

struct interp_side {
    struct interp_cache *cache;
    struct memmap mem;
    struct ept ept;
    struct tlb *tlb;
    struct x86_cpu cpu;
    uint8_t *code, *data;       /* host views of the guest pages */
    int unexpected_exits;
    struct bt_vcpu *bt;         /* the translator's path, NULL until used */
};

/* Nothing the generator produces talks to devices: an exit is a bug. */
static int unexpected_exit(void *opaque, struct vm_exit *e)
{
    struct interp_side *s = opaque;
    s->unexpected_exits++;
    fprintf(stderr, "diff: unexpected VM exit %u (%s) at %#llx\n", e->reason,
            vm_exit_reason_name(e->reason), (unsigned long long)e->rip);
    return -1;
}

static void build_page_tables(struct interp_side *s)
{
    uint64_t *pml4 = memmap_host_ptr(&s->mem, PT_GPA, 5 * DIFF_PAGE);
    uint64_t *pdpt = pml4 + 512, *pd = pml4 + 1024, *pt = pml4 + 1536, *pt_sys = pml4 + 2048;
    const uint64_t up = PTE_P | PTE_RW | PTE_US;
    memset(pml4, 0, 5 * DIFF_PAGE);
    pd[(SYS_GPA >> 21) & 511] = (PT_GPA + 4 * DIFF_PAGE) | up;
    for (uint64_t a = SYS_GPA; a < SYS_GPA + SYS_SIZE; a += DIFF_PAGE)   /* supervisor only */
        pt_sys[(a >> 12) & 511] = a | PTE_P | PTE_RW | (a == SYS_HANDLERS ? 0 : PTE_XD);
    pml4[0] = (PT_GPA + 1 * DIFF_PAGE) | up;
    pdpt[(DIFF_CODE >> 30) & 511] = (PT_GPA + 2 * DIFF_PAGE) | up;
    pd[(DIFF_CODE >> 21) & 511] = (PT_GPA + 3 * DIFF_PAGE) | up;
    pt[(DIFF_CODE >> 12) & 511] = DIFF_CODE | PTE_P | PTE_RW | PTE_US;
    pt[(DIFF_RO >> 12) & 511] = DIFF_RO | PTE_P | PTE_US | PTE_XD;
    for (uint64_t a = DIFF_DATA; a < DIFF_DATA + DIFF_DATA_SIZE; a += DIFF_PAGE)
        pt[(a >> 12) & 511] = a | PTE_P | PTE_RW | PTE_US | PTE_XD;
}

/* The system structures Linux has for its user processes, reduced: a GDT
 * with the same selectors, a 64-bit TSS with RSP0, an IDT of interrupt
 * gates to one HLT each. */
static void build_system(struct interp_side *s)
{
    uint8_t *sys = memmap_host_ptr(&s->mem, SYS_GPA, SYS_SIZE);
    memset(sys, 0, SYS_SIZE);
    uint64_t *gdt = (uint64_t *)(sys + (SYS_GDT - SYS_GPA));
    gdt[KERNEL_CS >> 3] = 0x00af9b000000ffffull;   /* 64-bit code, DPL 0 */
    gdt[3] = 0x00cf93000000ffffull;                /* 0x18 data, DPL 0 */
    gdt[4] = 0x00cffb000000ffffull;                /* 0x23 32-bit code, DPL 3 */
    gdt[5] = 0x00cff3000000ffffull;                /* 0x2b data, DPL 3 */
    gdt[6] = 0x00affb000000ffffull;                /* 0x33 64-bit code, DPL 3 */
    uint64_t tb = SYS_TSS;
    gdt[TSS_SEL >> 3] = 0x67 | (tb & 0xffffff) << 16 | 0x8bull << 40 | ((tb >> 24) & 0xff) << 56;
    gdt[(TSS_SEL >> 3) + 1] = tb >> 32;
    uint64_t rsp0 = SYS_STACK_TOP;
    memcpy(sys + (SYS_TSS - SYS_GPA) + 4, &rsp0, 8);
    uint64_t *idt = (uint64_t *)(sys + (SYS_IDT - SYS_GPA));
    for (int v = 0; v < 256; v++) {
        uint64_t h = SYS_HANDLERS + 16u * (unsigned)v;
        /* #BP's gate has DPL 3, as Linux's: the bt path ends on an INT3 */
        uint64_t attr = v == X86_BP ? 0xeeull : 0x8eull;
        idt[2 * v] = (h & 0xffff) | (uint64_t)KERNEL_CS << 16 | attr << 40 | ((h >> 16) & 0xffff) << 48;
        idt[2 * v + 1] = h >> 32;
        sys[SYS_HANDLERS - SYS_GPA + 16u * (unsigned)v] = 0xf4;    /* HLT */
    }
    struct x86_cpu *cpu = &s->cpu;
    cpu->gdtr = (struct x86_dtable){ .base = SYS_GDT, .limit = 0x5f };
    cpu->idtr = (struct x86_dtable){ .base = SYS_IDT, .limit = 0xfff };
    cpu->seg[S_TR] = (struct x86_segment){ .base = SYS_TSS, .limit = 0x67, .selector = TSS_SEL,
                                           .type = 0xb, .present = 1 };
}

static struct x86_segment flat(uint16_t sel, uint8_t type, uint8_t l, uint8_t db)
{
    return (struct x86_segment){ .base = 0, .limit = 0xffffffffu, .selector = sel, .type = type,
                                 .s = 1, .dpl = 3, .present = 1, .l = l, .db = db, .g = 1 };
}

struct interp_side *interp_side_create(void)
{
    struct interp_side *s = calloc(1, sizeof *s);
    if (!s)
        return NULL;
    int rc = memmap_init(&s->mem, 1 << 20);
    if (rc == 0)
        rc = memmap_add_ram(&s->mem, "code", DIFF_CODE, DIFF_PAGE);
    if (rc == 0)
        rc = memmap_add_ram(&s->mem, "read-only", DIFF_RO, DIFF_PAGE);
    if (rc == 0)
        rc = memmap_add_ram(&s->mem, "data", DIFF_DATA, DIFF_DATA_SIZE);
    if (rc == 0)
        rc = memmap_add_ram(&s->mem, "page tables", PT_GPA, 5 * DIFF_PAGE);
    if (rc == 0)
        rc = memmap_add_ram(&s->mem, "system", SYS_GPA, SYS_SIZE);
    if (rc == 0)
        rc = ept_build(&s->ept, &s->mem);
    if (rc != 0) {
        fprintf(stderr, "diff: cannot set up guest memory: %s\n", strerror(-rc));
        free(s);
        return NULL;
    }
    s->tlb = tlb_create(&s->mem);
    s->code = memmap_host_ptr(&s->mem, DIFF_CODE, DIFF_PAGE);
    s->data = memmap_host_ptr(&s->mem, DIFF_DATA, DIFF_DATA_SIZE);
    memset(s->code, 0xcc, DIFF_PAGE);
    diff_fill_ro(memmap_host_ptr(&s->mem, DIFF_RO, DIFF_PAGE));
    build_page_tables(s);

    struct x86_cpu *cpu = &s->cpu;
    x86_cpu_reset(cpu);
    cpu->env.mem = &s->mem;
    cpu->env.ept = &s->ept;
    cpu->env.tlb = s->tlb;
    cpu->env.exit = unexpected_exit;
    cpu->env.opaque = s;
    cpu->cr0 = CR0_PE | CR0_MP | CR0_ET | CR0_NE | CR0_WP | CR0_AM | CR0_PG;
    cpu->cr4 = CR4_PAE | CR4_PGE | CR4_OSFXSR | CR4_OSXMMEXCPT;
    cpu->efer = EFER_SCE | EFER_LME | EFER_LMA | EFER_NXE;
    cpu->cr3 = PT_GPA;
    cpu->seg[S_SS] = flat(0x2b, 0x3, 0, 1);
    cpu->seg[S_DS] = flat(0x2b, 0x3, 0, 1);
    cpu->seg[S_ES] = flat(0x2b, 0x3, 0, 1);
    cpu->seg[S_FS] = flat(0, 0x3, 0, 1);
    cpu->seg[S_GS] = flat(0, 0x3, 0, 1);
    cpu->cpl = 3;
    build_system(s);
    x86_tlb_flush(cpu, 1);
    s->cache = interp_cache_create();
    if (!s->cache) {
        interp_side_destroy(s);
        return NULL;
    }
    interp_attach(cpu, s->cache);
    return s;
}

void interp_side_destroy(struct interp_side *s)
{
    if (!s)
        return;
    if (s->cache) {
        interp_attach(&s->cpu, NULL);
        interp_cache_destroy(s->cache);
    }
    if (s->bt) {
        memmap_set_code_hook(&s->mem, NULL, NULL);
        bt_vcpu_destroy(s->bt);
    }
    if (s->tlb)
        tlb_destroy(s->tlb);
    ept_destroy(&s->ept);
    memmap_destroy(&s->mem);
    free(s);
}

/* The state of case c, in the CPU and guest memory. */
static void load_case(struct interp_side *s, const struct diff_case *c)
{
    struct x86_cpu *cpu = &s->cpu;
    memset(s->code + DIFF_INSN_OFF, 0xcc, 16);
    memcpy(s->code + DIFF_INSN_OFF, c->insn, c->len);
    interp_invalidate_phys(s->cache, DIFF_INSN_ADDR, 16);
    if (s->bt)
        bt_invalidate_phys(s->bt, DIFF_INSN_ADDR, 16);
    diff_fill_data(c, s->data);

    memcpy(cpu->gpr, c->gpr, sizeof cpu->gpr);
    cpu->rip = DIFF_INSN_ADDR;
    x86_set_rflags(cpu, c->rflags);
    cpu->seg[S_CS] = c->mode == 64 ? flat(0x33, 0xb, 1, 0) : flat(0x23, 0xb, 0, 1);
    cpu->seg[S_SS] = flat(0x2b, 0x3, 0, 1);
    cpu->cpl = 3;
    cpu->cr2 = 0;
    cpu->pending = (struct x86_event){ 0 };
    cpu->interrupt_shadow = 0;
    cpu->halted = 0;
    cpu->shutdown = 0;
    s->unexpected_exits = 0;
}

/* The state a path ended with: registers, RIP, RFLAGS. */
static void take_state(struct x86_cpu *cpu, struct diff_result *r)
{
    memcpy(r->gpr, cpu->gpr, sizeof r->gpr);
    r->rip = cpu->rip;
    r->rflags = x86_get_rflags(cpu);
}

/* Whether to run once more after run n (0-63) of the instruction ended at
 * rip.  An unfinished REP leaves RIP on the instruction: run again.  A
 * branch out of the code page would fault on the next fetch natively (the
 * runner sees the fault, not the branch): run once more too. */
static bool run_again(uint64_t rip, int n)
{
    if (rip == DIFF_INSN_ADDR && n < 63)
        return true;
    return n == 0 && (rip < DIFF_CODE || rip >= DIFF_CODE + DIFF_PAGE);
}

static void step_path(struct interp_side *s, struct diff_result *r)
{
    struct x86_cpu *cpu = &s->cpu;
    for (int steps = 0; steps < 64; steps++) {
        if (interp_step(cpu)) {
            r->vector = cpu->pending.vector;
            r->error_code = cpu->pending.has_error ? cpu->pending.error_code : 0;
            if (r->vector == X86_PF)
                r->cr2 = cpu->cr2;
            cpu->pending = (struct x86_event){ 0 };
            break;
        }
        if (!run_again(cpu->rip, steps))
            break;
    }
    take_state(cpu, r);
}

static uint64_t sys_read64(struct interp_side *s, uint64_t gpa)
{
    uint64_t v = 0;
    if (gpa >= SYS_GPA && gpa + 8 <= SYS_GPA + SYS_SIZE)
        memcpy(&v, (uint8_t *)memmap_host_ptr(&s->mem, SYS_GPA, SYS_SIZE) + (gpa - SYS_GPA), 8);
    return v;
}

/* The exception that stopped a run through the IDT: the CPU is halted in
 * its handler (the HLT at SYS_HANDLERS + 16 * vector has run), and the
 * frame on the TSS.RSP0 stack holds the error code, if the CPU pushed one,
 * and RIP, RFLAGS and RSP where it was raised.  Sets r's vector, error
 * code, RIP, RFLAGS and RSP; false (r->status DIFF_ST_UNKNOWN) if the CPU
 * is anywhere else. */
static bool take_exception_frame(struct interp_side *s, struct diff_result *r)
{
    struct x86_cpu *cpu = &s->cpu;
    uint64_t h = cpu->rip - 1 - SYS_HANDLERS;
    if (!cpu->halted || cpu->rip - 1 < SYS_HANDLERS || h >= 256 * 16 || h % 16) {
        r->status = DIFF_ST_UNKNOWN;
        return false;
    }
    r->vector = (int32_t)(h / 16);
    uint64_t sp = cpu->gpr[R_RSP];
    bool has_error = sp == SYS_STACK_TOP - 48;
    if (has_error)
        r->error_code = (uint32_t)sys_read64(s, sp);
    uint64_t frame = has_error ? sp + 8 : sp;
    r->rip = sys_read64(s, frame);
    r->rflags = sys_read64(s, frame + 16);
    r->gpr[R_RSP] = sys_read64(s, frame + 24);
    return true;
}

static void run_path(struct interp_side *s, struct diff_result *r)
{
    struct x86_cpu *cpu = &s->cpu;
    struct vm_exit exit;
    for (int runs = 0; runs < 64 && !cpu->halted; runs++) {
        interp_run(cpu, &exit, 1);
        if (cpu->halted)
            break;
        /* A fault's delivery takes the run's budget of one: the run ended
         * on the handler's first instruction, its HLT. */
        if (cpu->cpl != 3) {
            interp_run(cpu, &exit, 1);
            break;
        }
        if (!run_again(cpu->rip, runs))
            break;
    }
    take_state(cpu, r);
    /* Halted: an exception went through the IDT to its handler. */
    if (cpu->halted && take_exception_frame(s, r) && r->vector == X86_PF)
        r->cr2 = cpu->cr2;
}

/* A guest store to a page holding translated code (the code page is
 * user-writable, as the runner's is). */
static void code_written(void *opaque, uint64_t gpa, uint64_t len)
{
    struct interp_side *s = opaque;
    bt_invalidate_phys(s->bt, gpa, len);
    interp_invalidate_phys(s->cache, gpa, len);
}

/* The translator: the instruction and the INT3 after it (or at a branch
 * target) make translated blocks, run by bt_run with a budget of many
 * instructions, so the instruction runs as translated code, not on the
 * interpreter's single-step path.  Every outcome ends in a handler's HLT:
 * #BP from one of the code page's INT3s is the runner's "completed" (RIP
 * taken back to the INT3), any other vector is the instruction's fault. */
static void bt_path(struct interp_side *s, struct diff_result *r)
{
    struct x86_cpu *cpu = &s->cpu;
    struct vm_exit exit;
    for (int runs = 0; runs < 64 && !cpu->halted && !cpu->shutdown; runs++)
        bt_run(s->bt, &exit, 100000);
    x86_set_rflags(cpu, x86_get_rflags(cpu));
    take_state(cpu, r);
    if (!take_exception_frame(s, r))
        return;
    uint64_t at = r->rip - 1;
    if (r->vector == X86_BP && at >= DIFF_CODE && at < DIFF_CODE + DIFF_PAGE &&
        s->code[at - DIFF_CODE] == 0xcc) {
        r->rip = at;            /* our INT3: the instruction completed */
        r->vector = DIFF_NO_VECTOR;
        r->error_code = 0;
    } else if (r->vector == X86_PF) {
        r->cr2 = cpu->cr2;
    }
}

int interp_side_bt_start(struct interp_side *s)
{
    if (s->bt)
        return 0;
    s->bt = bt_vcpu_create(&s->cpu);
    if (!s->bt)
        return -1;
    memmap_set_code_hook(&s->mem, code_written, s);
    return 0;
}

void interp_side_bt_info(struct interp_side *s, uint64_t *native, uint64_t *helper, uint64_t *interp)
{
    struct bt_info in = { 0 };
    if (s->bt)
        bt_get_info(s->bt, &in);
    *native = in.native_insns;
    *helper = in.helper_insns;
    *interp = in.interp_insns;
}

void interp_side_run(struct interp_side *s, const struct diff_case *c, struct diff_result *r,
                     enum diff_path path)
{
    load_case(s, c);
    r->vector = DIFF_NO_VECTOR;
    r->error_code = 0;
    r->cr2 = 0;
    r->status = DIFF_ST_OK;
    r->signo = r->si_code = 0;
    if (path == DIFF_PATH_BT)
        bt_path(s, r);
    else if (path == DIFF_PATH_RUN)
        run_path(s, r);
    else
        step_path(s, r);
    if (s->unexpected_exits)
        r->status = DIFF_ST_UNKNOWN;
    memcpy(r->data, s->data, DIFF_DATA_SIZE);
}
