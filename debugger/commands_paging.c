/* Paging commands: info pagewalk VA, info mem, info tlb, info ept [GPA]. */
#include <inttypes.h>
#include <string.h>

#include "debugger/session.h"
#include "machine/board.h"
#include "mem/ept.h"
#include "mem/pagewalk.h"
#include "mem/tlb.h"

static struct pagewalk_regs walk_regs(struct x86_cpu *cpu)
{
    struct pagewalk_regs r = { cpu->cr0, cpu->cr3, cpu->cr4, cpu->efer };
    return r;
}

static void explain_ept(struct dbg_session *s, uint64_t gpa)
{
    struct ept_walk_result r;
    static const char *const names[4] = { "EPT PML4E", "EPT PDPTE", "EPT PDE", "EPT PTE" };
    int rc = ept_walk(&s->m->ept, gpa, &r);
    fprintf(s->out, "EPT walk of GPA 0x%" PRIx64 " (EPTP 0x%" PRIx64 "):\n", gpa, s->m->ept.eptp);
    for (int i = 0; i < r.nlevels; i++) {
        uint64_t e = r.level[i].entry;
        fprintf(s->out, "  %-9s table 0x%" PRIx64 "[%3u] = 0x%016" PRIx64 " %c%c%c%s", names[i],
                r.level[i].table, r.level[i].index, e, (e & EPT_R) ? 'R' : '-', (e & EPT_W) ? 'W' : '-',
                (e & EPT_X) ? 'X' : '-', (e & EPT_LARGE) ? " large" : "");
        if ((e & EPT_LARGE) || i == 3)
            fprintf(s->out, " memtype %s", ept_memtype_name((unsigned)((e & EPT_MT_MASK) >> EPT_MT_SHIFT)));
        fprintf(s->out, "\n");
    }
    const struct mem_region *reg = memmap_find(&s->m->mem, gpa);
    if (rc < 0) {
        fprintf(s->out, "  not present at level %d: an access is an EPT violation", r.stop_level);
        if (reg && reg->kind == MEM_MMIO)
            fprintf(s->out, " -> MMIO region '%s' (offset 0x%" PRIx64 ")", reg->name, gpa - reg->gpa);
        else if (!reg)
            fprintf(s->out, " (no region: reads give all ones)");
        fprintf(s->out, "\n");
        return;
    }
    fprintf(s->out, "  -> host-physical 0x%" PRIx64 " (offset in the guest-RAM memfd), %s page, %c%c%c",
            r.hpa, r.page_size >= (1ull << 30) ? "1 GiB" : r.page_size >= (2ull << 20) ? "2 MiB" : "4 KiB",
            (r.perm & EPT_R) ? 'R' : '-', (r.perm & EPT_W) ? 'W' : '-', (r.perm & EPT_X) ? 'X' : '-');
    if (reg)
        fprintf(s->out, ", region '%s' (%s)", reg->name, mem_kind_name(reg->kind));
    fprintf(s->out, "; host pointer %p\n", (void *)(s->m->mem.ram + r.hpa));
}

DBG_CMD(cmd_info_pagewalk)
{
    (void)suffix;
    char buf[256];
    uint64_t va;
    if (argc < 2) {
        fprintf(s->out, "usage: info pagewalk VA\n");
        return -1;
    }
    if (dbg_eval_address(s, dbg_join(argc, argv, 1, buf, sizeof(buf)), &va) < 0)
        return -1;
    struct x86_cpu *cpu = dbg_cpu(&s->d);
    struct pagewalk_regs regs = walk_regs(cpu);
    struct pagewalk_trace t;
    unsigned flags = PW_READ | (cpu->cpl == 3 ? PW_USER : 0);
    pagewalk_explain(&s->m->mem, &regs, va, flags, &t);
    fprintf(s->out, "linear 0x%" PRIx64 ": paging mode %s (CR0 0x%" PRIx64 " CR3 0x%" PRIx64 " CR4 0x%"
            PRIx64 " EFER 0x%" PRIx64 ")\n", va, pagewalk_mode_name(t.mode), cpu->cr0, cpu->cr3,
            cpu->cr4, cpu->efer);
    for (int i = 0; i < t.nlevels; i++) {
        const struct pagewalk_level *l = &t.level[i];
        char bits[96];
        pagewalk_entry_bits(l->entry, bits, sizeof(bits));
        fprintf(s->out, "  %-6s table 0x%" PRIx64 "[%3u] at 0x%" PRIx64 " = 0x%016" PRIx64 " [%s]%s",
                l->name, l->table_gpa, l->index, l->entry_gpa, l->entry, bits, l->leaf ? " leaf" : "");
        if (l->rsvd)
            fprintf(s->out, " RESERVED BITS 0x%" PRIx64, l->rsvd);
        fprintf(s->out, "\n");
    }
    if (t.fault) {
        fprintf(s->out, "  fault: %s (#PF error code 0x%x)\n", t.why, t.result.pfec);
        return 0;
    }
    const struct pagewalk_result *r = &t.result;
    fprintf(s->out, "  -> guest-physical 0x%" PRIx64 " (%" PRIu64 " KiB page) %s %s%s%s%s\n", r->gpa,
            r->page_size >> 10, r->writable ? "R/W" : "R/O", r->user ? "U" : "S", r->nx ? " NX" : "",
            r->global ? " G" : "", r->dirty ? " D" : "");
    explain_ept(s, r->gpa);
    return 0;
}

DBG_CMD(cmd_info_ept)
{
    (void)suffix;
    uint64_t gpa;
    if (argc > 1) {
        if (dbg_eval(s, argv[1], &gpa) < 0)
            return -1;
        explain_ept(s, gpa);
        return 0;
    }
    fprintf(s->out, "software EPT (accelerator %s): EPTP 0x%" PRIx64 ", %zu table pages\n",
            s->m->accel->name, s->m->ept.eptp, s->m->ept.npages);
    fprintf(s->out, "memory map (GPA -> host offset in the memfd):\n");
    for (int i = 0; i < s->m->mem.nregions; i++) {
        const struct mem_region *r = &s->m->mem.region[i];
        fprintf(s->out, "  0x%010" PRIx64 "-0x%010" PRIx64 " %-5s %-16s", r->gpa, r->gpa + r->size - 1,
                mem_kind_name(r->kind), r->name);
        if (r->kind != MEM_MMIO)
            fprintf(s->out, " -> host 0x%" PRIx64 " %s", r->offset, r->kind == MEM_ROM ? "R-X" : "RWX");
        else
            fprintf(s->out, " not mapped in the EPT: accesses exit");
        fprintf(s->out, "\n");
    }
    return 0;
}

/* info mem: walk the linear space in page-table order, merging pages with
 * the same permissions and contiguous guest-physical addresses. */
struct range {
    bool open;
    uint64_t start, end, gpa;
    bool w, u, nx;
};

static void flush_range(struct dbg_session *s, struct range *r)
{
    if (!r->open)
        return;
    fprintf(s->out, "  0x%016" PRIx64 "-0x%016" PRIx64 " -> 0x%010" PRIx64 " %6" PRIu64 " KiB %s %s %s\n",
            r->start, r->end - 1, r->gpa, (r->end - r->start) >> 10, r->w ? "RW" : "R-",
            r->u ? "U" : "S", r->nx ? "NX" : "X");
    r->open = false;
}

static void add_page(struct dbg_session *s, struct range *r, uint64_t lin, uint64_t gpa, uint64_t size,
                     bool w, bool u, bool nx)
{
    if (r->open && r->end == lin && r->gpa + (r->end - r->start) == gpa && r->w == w && r->u == u &&
        r->nx == nx) {
        r->end += size;
        return;
    }
    flush_range(s, r);
    *r = (struct range){ true, lin, lin + size, gpa, w, u, nx };
}

/* Walk [lin, end) (end 0: to the top of the address space), skipping what
 * a non-present entry covers. */
static void walk_span(struct dbg_session *s, const struct pagewalk_regs *regs, enum pagewalk_mode mode,
                      uint64_t lin, uint64_t end, struct range *r)
{
    static const unsigned shift4[4] = { 39, 30, 21, 12 };
    static const unsigned shiftpae[3] = { 30, 21, 12 };
    static const unsigned shift32[2] = { 22, 12 };
    do {
        struct pagewalk_trace t;
        uint64_t skip;
        pagewalk_explain(&s->m->mem, regs, lin, PW_READ, &t);
        if (!t.fault) {
            skip = t.result.page_size;
            lin &= ~(skip - 1);
            add_page(s, r, lin, t.result.gpa & ~(skip - 1), skip, t.result.writable, t.result.user,
                     t.result.nx);
        } else {
            flush_range(s, r);
            int lvl = t.nlevels > 0 ? t.nlevels - 1 : 0;
            unsigned sh = mode == PW_MODE_4LEVEL ? shift4[lvl < 4 ? lvl : 3]
                        : mode == PW_MODE_PAE ? shiftpae[lvl < 3 ? lvl : 2]
                                              : shift32[lvl < 2 ? lvl : 1];
            skip = 1ull << sh;
            lin &= ~(skip - 1);
        }
        lin += skip;
    } while (lin != end && lin != 0);
}

DBG_CMD(cmd_info_mem)
{
    (void)argc; (void)argv; (void)suffix;
    struct x86_cpu *cpu = dbg_cpu(&s->d);
    struct pagewalk_regs regs = walk_regs(cpu);
    enum pagewalk_mode mode = pagewalk_mode_of(&regs);
    if (mode == PW_MODE_NONE) {
        fprintf(s->out, "paging is off: linear addresses are physical\n");
        return 0;
    }
    fprintf(s->out, "mapped linear ranges (%s): linear -> physical, size, R/W, U/S, NX\n",
            pagewalk_mode_name(mode));
    struct range r = { 0 };
    if (mode == PW_MODE_4LEVEL) {
        walk_span(s, &regs, mode, 0, 1ull << 47, &r);
        flush_range(s, &r);
        walk_span(s, &regs, mode, 0xffff800000000000ull, 0, &r);
    } else {
        walk_span(s, &regs, mode, 0, 1ull << 32, &r);
    }
    flush_range(s, &r);
    return 0;
}

DBG_CMD(cmd_info_tlb)
{
    (void)argc; (void)argv; (void)suffix;
    struct x86_cpu *cpu = dbg_cpu(&s->d);
    struct tlb *t = cpu->env.tlb;
    if (!t) {
        fprintf(s->out, "this vCPU has no software TLB (accelerator %s)\n", s->m->accel->name);
        return 0;
    }
    fprintf(s->out, "software TLB of vCPU %d: %u sets x 2 (supervisor/user); %" PRIu64 " fills, %" PRIu64
            " flushes, %" PRIu64 " page flushes\n", s->d.cur_vcpu, TLB_SIZE, t->fills, t->flushes,
            t->page_flushes);
    int n = 0;
    for (int u = 0; u < 2; u++)
        for (unsigned i = 0; i < TLB_SIZE; i++) {
            const struct tlb_entry *e = &t->entry[u][i];
            uint64_t page = TLB_INVALID;
            for (int k = 0; k < 3; k++)
                if (e->tag[k] != TLB_INVALID)
                    page = e->tag[k];
            if (page == TLB_INVALID)
                continue;
            fprintf(s->out, "  %s linear 0x%016" PRIx64 " -> gpa 0x%010" PRIx64 " %c%c%c%s%s\n",
                    u ? "user" : "sup ", page, e->gpa, e->tag[0] != TLB_INVALID ? 'R' : '-',
                    e->tag[1] != TLB_INVALID ? 'W' : '-', e->tag[2] != TLB_INVALID ? 'X' : '-',
                    e->global ? " G" : "", e->page_mask != ~0xfffull ? " (large page)" : "");
            n++;
        }
    fprintf(s->out, "%d entries\n", n);
    return 0;
}
