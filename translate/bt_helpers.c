/* The C functions translated code calls: the slow paths of memory
 * accesses (segment checks, page walks, MMIO exits, faults, code-page
 * writes), conditions from the lazy flags, and CF before INC/DEC.  They
 * may raise a guest fault (x86_raise longjmps to bt_run); the generated
 * code has stored RIP before calling, so the fault names the instruction. */
#include "cpu/exception.h"
#include "cpu/flags.h"
#include "cpu/mmu.h"
#include "mem/memmap.h"
#include "translate/bt_internal.h"

uint64_t bt_helper_load(struct x86_cpu *cpu, uint64_t off, uint32_t info)
{
    int seg = (int)(info & 0xff), size = (int)(info >> 8 & 0xff);
    return x86_read(cpu, seg, off, size);
}

/* The read of a read-modify-write checks write access (cpu/exec.h). */
uint64_t bt_helper_load_rmw(struct x86_cpu *cpu, uint64_t off, uint32_t info)
{
    int seg = (int)(info & 0xff), size = (int)(info >> 8 & 0xff);
    uint64_t lin = x86_seg_linear(cpu, seg, off, size, ACC_WRITE);
    return x86_lin_read(cpu, lin, size, ACC_WRITE);
}

void bt_helper_store(struct x86_cpu *cpu, uint64_t off, uint32_t info, uint64_t val)
{
    int seg = (int)(info & 0xff), size = (int)(info >> 8 & 0xff);
    x86_write(cpu, seg, off, size, val);
}

uint64_t bt_helper_cond(struct x86_cpu *cpu, uint64_t cc)
{
    return lf_cond(cpu, (int)cc);
}

void bt_helper_fold_cf(struct x86_cpu *cpu)
{
    if (cpu->lazy.op != LF_NONE)
        cpu->rflags = (cpu->rflags & ~(uint64_t)FL_CF) | x86_get_cf(cpu);
}

/* The site note slot holding rip, or the empty one where it would go; -1
 * when neither is found (the table is full). */
static int note_find(const struct bt_vcpu *bt, uint64_t rip)
{
    uint64_t key = rip + 1;     /* 0 is an empty slot */
    unsigned i = (unsigned)((rip * 0x9e3779b97f4a7c15ull) >> 54) & (BT_NOSITE_SIZE - 1);
    for (unsigned n = 0; n < BT_NOSITE_SIZE; n++, i = (i + 1) % BT_NOSITE_SIZE)
        if (bt->site_note[i] == key || !bt->site_note[i])
            return (int)i;
    return -1;
}

int bt_site_kind(const struct bt_vcpu *bt, uint64_t rip)
{
    int i = note_find(bt, rip);
    return i >= 0 && bt->site_note[i] == rip + 1 ? bt->site_note_kind[i] : BT_SITE_PAGE;
}

/* The instruction at rip gets sites of `kind` from now on, and b, which
 * has one of another kind, is translated again.  This run of b goes on
 * (its code stays until the cache is flushed); the next entry translates
 * it again. */
static void site_rekind(struct bt_vcpu *bt, struct bt_block *b, uint64_t rip, int kind)
{
    int i = note_find(bt, rip);
    if (i >= 0) {
        bt->site_note[i] = rip + 1;
        bt->site_note_kind[i] = (uint8_t)kind;
    }
    if (kind == BT_SITE_WIDE)
        bt->stats.sites_wide++;
    else
        bt->stats.sites_none++;
    bt_cache_invalidate(bt, b->gpa, b->bytes);
}

/* Word `to` of block b's site i becomes what word `from` is. */
static void site_move(struct bt_block *b, uint32_t i, int to, int from)
{
    *bt_site_word(b, i, to) = *bt_site_word(b, i, from);
}

/* The first entry of block b's site i (BT_SITE_WIDE) grows to the page
 * next to it when one addend serves both (the host pages are contiguous
 * too: an array or a table across the boundary), or, covering two
 * already, slides along (an array walked in order).  Did it? */
static bool site_widen(struct bt_block *b, uint32_t i, uint64_t page, uint64_t addend)
{
    uint64_t *base = bt_site_word(b, i, SITE_BASE), *limit = bt_site_word(b, i, SITE_LIMIT);
    uint64_t size = *bt_site_word(b, i, SITE_SIZE), bytes = *limit + size - 1, lo = *base;
    if (*bt_site_word(b, i, SITE_KIND) != BT_SITE_WIDE || !*limit ||
        *bt_site_word(b, i, SITE_ADDEND) != addend)
        return false;
    if (page == lo - GUEST_PAGE_SIZE)
        lo = page;
    else if (page == lo + bytes)
        lo = page - GUEST_PAGE_SIZE;
    else
        return false;
    *base = lo;
    *limit = 2 * GUEST_PAGE_SIZE - size + 1;
    return true;
}

/* Site i of block b (its instruction at rip) has counted SITE_THRASH
 * misses that cost (changes of entry, refills).  If they came fast (one
 * every SITE_THRASH_GAP guest instructions or more often), its instruction
 * gets another kind of site: BT_SITE_WIDE if its entries are adjacent
 * pages one addend serves, else BT_SITE_NONE.  If not (an array walked
 * again and again, two arrays used in turn for long stretches), the count
 * starts again from now. */
static void site_judge(struct bt_vcpu *bt, struct bt_block *b, uint64_t rip, uint32_t i)
{
    uint64_t now = bt->cpu->insn_count, *since = bt_site_word(b, i, SITE_SINCE);
    bool fast = now - *since < (uint64_t)SITE_THRASH * SITE_THRASH_GAP;
    *since = now;
    *bt_site_word(b, i, SITE_COUNT) = 0;
    /* Not if it came slowly, nor in a block already replaced (its run
     * goes on, and so do its misses). */
    if (!fast || bt_site_kind(bt, rip) != (int)*bt_site_word(b, i, SITE_KIND))
        return;
    uint64_t lo = *bt_site_word(b, i, SITE_BASE), hi = *bt_site_word(b, i, SITE_BASE2);
    bool pair = *bt_site_word(b, i, SITE_KIND) == BT_SITE_PAGE &&
                *bt_site_word(b, i, SITE_ADDEND) == *bt_site_word(b, i, SITE_ADDEND2) &&
                (lo - hi == GUEST_PAGE_SIZE || hi - lo == GUEST_PAGE_SIZE);
    site_rekind(bt, b, rip, pair ? BT_SITE_WIDE : BT_SITE_NONE);
}

uint64_t bt_helper_site_fill(struct bt_vcpu *bt, struct bt_block *b, uint64_t rip, uint64_t site,
                             uint64_t page, uint64_t addend)
{
    uint32_t i = (uint32_t)site;
    if (!site_widen(b, i, page, addend)) {
        /* A new first entry; the first becomes the second. */
        site_move(b, i, SITE_BASE2, SITE_BASE);
        site_move(b, i, SITE_LIMIT2, SITE_LIMIT);
        site_move(b, i, SITE_ADDEND2, SITE_ADDEND);
        *bt_site_word(b, i, SITE_BASE) = page;
        *bt_site_word(b, i, SITE_LIMIT) = GUEST_PAGE_SIZE - *bt_site_word(b, i, SITE_SIZE) + 1;
        *bt_site_word(b, i, SITE_ADDEND) = addend;
    }
    if (++*bt_site_word(b, i, SITE_COUNT) == SITE_THRASH)
        site_judge(bt, b, rip, i);
    return addend;
}

uint64_t bt_helper_site_switch(struct bt_vcpu *bt, struct bt_block *b, uint64_t rip, uint64_t site)
{
    site_judge(bt, b, rip, (uint32_t)site);
    return *bt_site_word(b, (uint32_t)site, SITE_ADDEND);
}
