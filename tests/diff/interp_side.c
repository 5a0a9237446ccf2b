/* The glass side of the differential test (interp_side.h).
 *
 * Guest-physical memory holds the code page, the two data pages and the
 * page tables; the page tables identity-map the code page (user, read-only,
 * executable) and the data pages (user, writable, not executable) at the
 * runner's addresses, and leave DIFF_GUARD unmapped.  Segments are what
 * 64-bit Linux gives a user process: CS 0x33 (64-bit) or 0x23 (32-bit),
 * SS/DS/ES 0x2b flat.
 *
 * One instruction runs through interp_step(), which leaves a fault in
 * cpu->pending instead of delivering it, so the vector, error code and CR2
 * are read directly. */
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

#define PT_GPA 0x20000000ull    /* four page-table pages */

struct interp_side {
    struct memmap mem;
    struct ept ept;
    struct tlb *tlb;
    struct x86_cpu cpu;
    uint8_t *code, *data;       /* host views of the guest pages */
    int unexpected_exits;
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
    uint64_t *pml4 = memmap_host_ptr(&s->mem, PT_GPA, 4 * DIFF_PAGE);
    uint64_t *pdpt = pml4 + 512, *pd = pml4 + 1024, *pt = pml4 + 1536;
    const uint64_t up = PTE_P | PTE_RW | PTE_US;
    memset(pml4, 0, 4 * DIFF_PAGE);
    pml4[0] = (PT_GPA + 1 * DIFF_PAGE) | up;
    pdpt[(DIFF_CODE >> 30) & 511] = (PT_GPA + 2 * DIFF_PAGE) | up;
    pd[(DIFF_CODE >> 21) & 511] = (PT_GPA + 3 * DIFF_PAGE) | up;
    pt[(DIFF_CODE >> 12) & 511] = DIFF_CODE | PTE_P | PTE_US;
    for (uint64_t a = DIFF_DATA; a < DIFF_DATA + DIFF_DATA_SIZE; a += DIFF_PAGE)
        pt[(a >> 12) & 511] = a | PTE_P | PTE_RW | PTE_US | PTE_XD;
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
        rc = memmap_add_ram(&s->mem, "data", DIFF_DATA, DIFF_DATA_SIZE);
    if (rc == 0)
        rc = memmap_add_ram(&s->mem, "page tables", PT_GPA, 4 * DIFF_PAGE);
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
    x86_tlb_flush(cpu, 1);
    return s;
}

void interp_side_destroy(struct interp_side *s)
{
    if (!s)
        return;
    if (s->tlb)
        tlb_destroy(s->tlb);
    ept_destroy(&s->ept);
    memmap_destroy(&s->mem);
    free(s);
}

void interp_side_run(struct interp_side *s, const struct diff_case *c, struct diff_result *r)
{
    struct x86_cpu *cpu = &s->cpu;
    memset(s->code + DIFF_INSN_OFF, 0xcc, 16);
    memcpy(s->code + DIFF_INSN_OFF, c->insn, c->len);
    diff_fill_data(c, s->data);

    memcpy(cpu->gpr, c->gpr, sizeof cpu->gpr);
    cpu->rip = DIFF_INSN_ADDR;
    x86_set_rflags(cpu, c->rflags);
    cpu->seg[S_CS] = c->mode == 64 ? flat(0x33, 0xb, 1, 0) : flat(0x23, 0xb, 0, 1);
    cpu->cr2 = 0;
    cpu->pending = (struct x86_event){ 0 };
    cpu->interrupt_shadow = 0;
    s->unexpected_exits = 0;

    r->vector = DIFF_NO_VECTOR;
    r->error_code = 0;
    r->cr2 = 0;
    r->status = DIFF_ST_OK;
    /* An unfinished REP leaves RIP on the instruction: step again.  A
     * branch out of the code page would fault on the next fetch natively
     * (the runner sees the fault, not the branch): step once more too. */
    for (int steps = 0; steps < 64; steps++) {
        if (interp_step(cpu)) {
            r->vector = cpu->pending.vector;
            r->error_code = cpu->pending.has_error ? cpu->pending.error_code : 0;
            if (r->vector == X86_PF)
                r->cr2 = cpu->cr2;
            cpu->pending = (struct x86_event){ 0 };
            break;
        }
        uint64_t rip = cpu->rip;
        if (rip == DIFF_INSN_ADDR && steps < 63)
            continue;
        if (steps == 0 && (rip < DIFF_CODE || rip >= DIFF_CODE + DIFF_PAGE))
            continue;
        break;
    }
    if (s->unexpected_exits)
        r->status = DIFF_ST_UNKNOWN;
    memcpy(r->gpr, cpu->gpr, sizeof r->gpr);
    r->rip = cpu->rip;
    r->rflags = x86_get_rflags(cpu);
    memcpy(r->data, s->data, DIFF_DATA_SIZE);
}
