/* The C functions translated code calls: the slow paths of memory
 * accesses (segment checks, page walks, MMIO exits, faults, code-page
 * writes), conditions from the lazy flags, and CF before INC/DEC.  They
 * may raise a guest fault (x86_raise longjmps to bt_run); the generated
 * code has stored RIP before calling, so the fault names the instruction. */
#include "cpu/exception.h"
#include "cpu/flags.h"
#include "cpu/mmu.h"
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

/* The nosite slot holding rip, or the empty one where it would go; -1
 * when neither is found (the table is full). */
static int nosite_find(const struct bt_vcpu *bt, uint64_t rip)
{
    uint64_t key = rip + 1;     /* 0 is an empty slot */
    unsigned i = (unsigned)((rip * 0x9e3779b97f4a7c15ull) >> 54) & (BT_NOSITE_SIZE - 1);
    for (unsigned n = 0; n < BT_NOSITE_SIZE; n++, i = (i + 1) % BT_NOSITE_SIZE)
        if (bt->nosite[i] == key || !bt->nosite[i])
            return (int)i;
    return -1;
}

bool bt_nosite(const struct bt_vcpu *bt, uint64_t rip)
{
    int i = nosite_find(bt, rip);
    return i >= 0 && bt->nosite[i] == rip + 1;
}

void bt_helper_site_thrash(struct bt_vcpu *bt, struct bt_block *b, uint64_t rip)
{
    int i = nosite_find(bt, rip);
    if (i >= 0)
        bt->nosite[i] = rip + 1;
    /* This run of b goes on (its code stays until the cache is flushed);
     * the next entry translates it again. */
    bt_cache_invalidate(bt, b->gpa, b->bytes);
}
