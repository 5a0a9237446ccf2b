/* Segmentation: descriptor tables, descriptor parsing, loading segment
 * registers with the protected-mode checks (SDM Vol. 3, ch. 3 and 5), and
 * stacks addressed through a segment cache without touching RSP until the
 * caller commits (what far transfers and event delivery need to stay
 * precise).  x86_seg_linear itself is declared in cpu/mmu.h. */
#ifndef GLASS_CPU_SEG_H
#define GLASS_CPU_SEG_H

#include <stdbool.h>
#include <stdint.h>

#include "cpu/x86_cpu.h"

/* Descriptor type field values (SDM Vol. 3, 3.4.5.1 and 3.5). */
#define DESC_TYPE_ACCESSED 0x1
#define DESC_TYPE_RW       0x2   /* data: writable; code: readable */
#define DESC_TYPE_EXPDOWN  0x4   /* data: expand-down */
#define DESC_TYPE_CONFORM  0x4   /* code: conforming */
#define DESC_TYPE_CODE     0x8
/* System types (S = 0).  In IA-32e mode 0xC/0xE/0xF are the 64-bit gates and
 * 0x9/0xB the 64-bit TSS. */
#define SYS_TSS16_AVAIL 0x1
#define SYS_LDT         0x2
#define SYS_TSS16_BUSY  0x3
#define SYS_CALL16      0x4
#define SYS_TASK_GATE   0x5
#define SYS_INT16       0x6
#define SYS_TRAP16      0x7
#define SYS_TSS32_AVAIL 0x9
#define SYS_TSS32_BUSY  0xb
#define SYS_CALL32      0xc
#define SYS_INT32       0xe
#define SYS_TRAP32      0xf

/* Selector fields. */
#define SEL_RPL(sel)   ((sel) & 3u)
#define SEL_TI         0x4u
#define SEL_INDEX(sel) ((sel) & 0xfff8u)
#define SEL_ERR(sel)   ((uint32_t)((sel) & 0xfffcu)) /* #GP/#NP/#TS/#SS error code */

/* A gate descriptor (call, interrupt, trap, task), SDM Vol. 3, 5.8.3 / 6.11
 * / 6.14.1.  hi is the second quadword of a 16-byte IA-32e gate (0 if none). */
struct x86_gate {
    uint64_t offset;
    uint16_t selector;
    uint8_t type;
    uint8_t s;
    uint8_t dpl;
    uint8_t present;
    uint8_t param_count;  /* call gates: dwords/words to copy */
    uint8_t ist;          /* IA-32e interrupt/trap gates */
};

/* Pure decoding of an 8-byte code/data/system descriptor into a segment
 * cache (base, scaled limit, attributes); selector as given. */
void x86_desc_to_segment(uint64_t raw, uint16_t selector, struct x86_segment *s);
/* The upper 32 bits of base of a 16-byte IA-32e system descriptor (LDT/TSS). */
static inline uint64_t x86_desc_base_hi(uint64_t raw_hi)
{
    return (raw_hi & 0xffffffffull) << 32;
}
void x86_desc_to_gate(uint64_t lo, uint64_t hi, struct x86_gate *g);

static inline bool x86_desc_is_code(const struct x86_segment *s)
{
    return s->s && (s->type & DESC_TYPE_CODE);
}
static inline bool x86_desc_is_data(const struct x86_segment *s)
{
    return s->s && !(s->type & DESC_TYPE_CODE);
}

/* Does [off, off+size) lie within the segment (limit, expand-down, B)? */
bool x86_seg_offset_ok(const struct x86_segment *s, uint64_t off, int size);

/* Read the 8-byte descriptor a selector names from the GDT or the LDT (TI).
 * Returns 0, or -1 when the selector lies beyond the table limit (or the LDT
 * is unusable): callers raise the fault their instruction specifies.  May
 * raise #PF (the read is an implicit supervisor access). */
int x86_read_descriptor(struct x86_cpu *cpu, uint16_t sel, uint64_t *raw);
/* The same for a 16-byte IA-32e system descriptor (LDT, TSS, call gate). */
int x86_read_descriptor16(struct x86_cpu *cpu, uint16_t sel, uint64_t *lo, uint64_t *hi);
/* Set the Accessed bit (or another type bit, e.g. TSS busy) of a descriptor
 * in its table, if not already set. */
void x86_desc_set_type_bits(struct x86_cpu *cpu, uint16_t sel, uint64_t raw, uint8_t bits);

/* Load a data or stack segment register (ES, SS, DS, FS, GS) as MOV/POP/LxS
 * do, with every check of SDM Vol. 2 "MOV—Move" (protected mode): raises
 * #GP(sel), #NP(sel), #SS(sel) for SS, #GP(0) for a null SS.  Real mode and
 * vm86 set base = selector << 4. */
void x86_load_seg(struct x86_cpu *cpu, int sreg, uint16_t selector);
/* Real-mode / vm86 load (no checks). */
void x86_load_seg_real(struct x86_cpu *cpu, int sreg, uint16_t selector);
/* Load a null selector (protected mode): unusable. */
void x86_load_seg_null(struct x86_cpu *cpu, int sreg, uint16_t selector);
/* Install an already checked code descriptor as CS with RPL = cpl, and make
 * cpl the CPL.  Cannot fault: the caller sets the descriptor's Accessed bit
 * first (x86_desc_set_type_bits), before it commits anything. */
void x86_load_cs_checked(struct x86_cpu *cpu, uint16_t sel, uint64_t raw, int cpl);
/* Check a stack-segment descriptor for SS at privilege `cpl` (SDM: IRET,
 * RETF, interrupt delivery).  Returns 0 or the #GP/#TS-style problem: callers
 * pick the vector.  Reads the descriptor into *raw.
 *   -1: beyond table  -2: RPL != cpl  -3: not writable data or DPL != cpl
 *   -4: not present */
int x86_check_stack_desc(struct x86_cpu *cpu, uint16_t sel, int cpl, uint64_t *raw);
/* The code segment RETF/IRET return to (SDM Vol. 2, RET, IRET): null ->
 * #GP(0); beyond the table, not code, RPL < CPL, conforming with DPL > RPL,
 * non-conforming with DPL != RPL, L and D both set -> #GP(sel); not present
 * -> #NP(sel).  Fills *cs (selector as given) and returns the raw bits. */
uint64_t x86_check_return_cs(struct x86_cpu *cpu, uint16_t sel, struct x86_segment *cs);
/* The SS a return to outer privilege `rpl` loads: the checks of RET/IRET
 * (#GP(0) for null unless target64 and rpl < 3, #GP(sel), #SS(sel)).  Fills
 * *ss (accessed set in memory) ready to be installed. */
void x86_check_return_ss(struct x86_cpu *cpu, uint16_t sel, int rpl, bool target64,
                         struct x86_segment *ss);
/* After a return to an outer privilege level: data segment registers that
 * the new CPL may not use become null (SDM Vol. 2, RET / IRET). */
void x86_null_inaccessible_segs(struct x86_cpu *cpu);

/* Segment cache for a flat 32/64-bit segment (SYSCALL, SYSENTER). */
void x86_flat_segment(struct x86_segment *s, uint16_t sel, bool code, int dpl, bool l64);

static inline bool x86_canonical(uint64_t a)
{
    return (uint64_t)((int64_t)(a << 16) >> 16) == a;
}

/* A stack addressed through a copy of a segment cache, pushed and popped
 * without touching RSP: the caller commits sp when nothing can fault any
 * more.  A limit violation raises #SS(err). */
struct x86_stack {
    struct x86_segment ss;
    uint64_t sp;
    uint64_t mask;   /* 0xffff, 0xffffffff or ~0 */
    int acc;         /* extra ACC_ bits, e.g. ACC_IMPLICIT_SV */
    uint32_t err;    /* error code of #SS */
    bool flat64;     /* 64-bit mode: no base, no limit, canonical check */
};
/* The current stack (SS:rSP), #SS(0) on faults. */
void x86_stack_current(struct x86_cpu *cpu, struct x86_stack *st);
/* A new stack: seg cache and sp, 16/32/64-bit by the cache (flat64 given). */
void x86_stack_other(struct x86_stack *st, const struct x86_segment *ss, uint64_t sp,
                     bool flat64, uint32_t err, int acc);
void x86_stack_push(struct x86_cpu *cpu, struct x86_stack *st, int size, uint64_t val);
uint64_t x86_stack_pop(struct x86_cpu *cpu, struct x86_stack *st, int size);
/* Write the stack pointer back into RSP (only the stack-size bits, as SP
 * or ESP updates do outside 64-bit mode). */
void x86_stack_commit(struct x86_cpu *cpu, const struct x86_stack *st);

#endif
