/* The x86-64 backend's own header (nothing outside translate/backend_*.c
 * includes it): its state while translating one block, and what its files
 * call of each other.  IR (translate/ir.h) -> host code in the code cache.
 *
 *   backend_x64.c    the ops, block exits, stubs, prologue, the loop head
 *                    copy, bt_backend; chaining patches; global stubs
 *   backend_regs.c   virtual registers and their aliases, the register
 *                    cache, stubs, calls to C, instruction counting
 *   backend_flags.c  lazy-flags records kept pending (struct pend)
 *   backend_mem.c    loads and stores: sites, the soft TLB inline
 *   backend_alu.c    arithmetic, in place where it can
 *
 * Host registers while translated code runs:
 *   rbx  struct x86_cpu *
 *   rbp  cpu->insn_count, live: written back on the way out (the exit
 *        stubs) and before every call to C
 *   r12-r15  the IR's virtual registers v0-v3 (callee-saved: they survive
 *            the helper calls of slow paths)
 *   rsi rdi r8-r11 rdx  the block's register cache: guest registers kept
 *            in host registers from the prologue to the block's exits
 *   rax rcx  scratch
 * rsp is 16-byte aligned inside a block, so helpers are called directly.
 *
 * A block's code:
 *   entry:  leave if an interrupt / stop is pending or the budget is spent
 *           (the first 6-byte instruction is what invalidation overwrites
 *           with a jump to the bounce stub); count the block's instructions;
 *           forget the sites if the TLB moved on
 *   body:   the IR ops; memory accesses go through their sites (or the
 *           soft TLB inline); lazy-flags records stay pending
 *   stubs:  slow paths (store RIP, call the helper, jump back), the bounce
 *           stub, one stub per chainable exit (returns its struct bt_link
 *           so the dispatcher can patch the jump once the target exists) */
#ifndef GLASS_TRANSLATE_BACKEND_X64_H
#define GLASS_TRANSLATE_BACKEND_X64_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "cpu/exec.h"
#include "cpu/flags.h"
#include "mem/tlb.h"
#include "translate/bt_internal.h"
#include "translate/x64_emit.h"

#define CPU X_RBX
#define ICOUNT X_RBP
#define HV(v) (X_R12 + (v))
#define OFF(f) ((int32_t)offsetof(struct x86_cpu, f))
#define MAX_STUBS 640
#define TLB_ENTRY_SHIFT 6
_Static_assert(sizeof(struct tlb_entry) == 1u << TLB_ENTRY_SHIFT, "TLB entries are 64 bytes");

_Static_assert(offsetof(struct x86_lazy_flags, size) == offsetof(struct x86_lazy_flags, op) + 1,
               "lazy op and size are stored as one 16-bit value");

enum stub_kind { ST_LOAD, ST_STORE, ST_CANON, ST_SMC, ST_GOTO, ST_LOOP, ST_SIDE, ST_SITES };

/* The register cache.  Which guest registers live in host registers is
 * decided once per block (plan_cache): the most used, up to NCACHE, minus
 * any accessed as AH..BH.  They are loaded in the prologue and written back
 * ("flushed") wherever the block's code leaves or calls C that reads the
 * CPU state: block exits, slow-path stubs, interpreter handlers.  Which
 * ones to write back is static too: every cached register the block writes
 * anywhere (writing back a register not yet changed stores the value the
 * struct has already, which is harmless), so no state needs tracking
 * along the way.  Host registers are caller-saved, so after a call they
 * are reloaded from the struct, which the flush made the truth. */
#define NCACHE 7
#define NSLOTS 16

/* A lazy-flags record (IR_LAZY) not stored yet ("pending").  Its three
 * values (res, src1, src2) are where they already are - guest registers
 * (whose host registers or slots are read when the record is stored), an
 * immediate, a field of cpu->lazy written already - or follow from the
 * other two (res = src1 op src2 for a CMP; src1 from res and src2 for an
 * ADD/SUB/INC/DEC whose result went to a register).  It is stored
 * wherever something may read it: in the slow-path and exit stubs, before
 * calls to C, at the block's exits.  On the fast path it usually never is:
 * the next flag-setting instruction replaces it first.  A write to a
 * register it reads either drops it (the next record comes before any
 * reader: flags_live) or stores that one value first ("spills" it). */
enum { PV_NONE, PV_SLOT, PV_IMM, PV_STORED, PV_DERIVED };
enum { PF_RES, PF_SRC1, PF_SRC2 };

struct pv {
    uint8_t kind;           /* PV_* */
    int8_t slot;            /* PV_SLOT: the guest register */
};

struct pend {
    bool on;
    bool written;           /* res is the register the next op (an STS) writes:
                               the record is pending from that op on */
    bool src1_early;        /* src1 is stored by the op computing res, which
                               overwrites it (shifts) */
    uint8_t lf, size;
    struct pv v[3];         /* PF_* */
    uint64_t imm2;          /* src2 when PV_IMM */
};

/* The low `size` bytes. */
static inline uint64_t be_size_mask(int size)
{
    return size == 8 ? ~0ull : (1ull << (size * 8)) - 1;
}

struct stub {
    struct pend pend;       /* stored first thing in the stub */
    int kind;
    size_t branch_end;      /* the jcc into the stub */
    size_t resume;          /* where the stub jumps back to */
    const struct ir_op *o;
    int8_t ra, rb;          /* host registers of o->a and o->b there */
    struct x64_mem addr;    /* a memory op's address: [ra], or a folded ADDR */
    bool addr32;            /* ... a 32-bit one, computed at 64 bits: truncate it */
    bool b_imm;             /* ST_STORE: the value is the immediate imm, not rb */
    int32_t imm;
    int8_t dst;             /* ST_LOAD: where the value goes */
    bool smc;               /* ST_STORE: the SMC check of the store is here */
    int site;               /* ST_LOAD/STORE from a site's miss: its index, else -1 */
    int kind2;              /* ... the TLB kind it looks up */
    size_t access;          /* ... where the access itself is (rax = addend) */
    uint64_t smc_rip;       /* ... leaving with this RIP */
};

struct be {
    struct bt_vcpu *bt;
    struct bt_block *b;
    struct x64 x;
    int hf_lf;              /* host flags = guest flags of this lazy op; LF_NONE: no */
    struct stub stub[MAX_STUBS];
    int nstubs;
    int nlinks;
    size_t bounce_branch[1];   /* the entry's budget test */
    int nbounce;
    int8_t host_of[NSLOTS]; /* host register of a cached slot, else X_NONE */
    uint32_t cached;        /* slots in host registers */
    uint32_t written;       /* cached slots the block writes: flushed on exits */
    bool self_loop;         /* a branch back to the block's start */
    /* Virtual register v is read from alias[v] rather than HV(v): a guest
     * register loaded from the cache is not copied (X_NONE: HV(v)).  An
     * alias from a 4-byte load is not exact: only its low 32 bits are v. */
    int8_t alias[IR_VREGS];
    bool alias_exact[IR_VREGS];
    /* Known upper halves, so that 4-byte aliases can be exact: zx[v], the
     * value in HV(v) is below 2^32; upper_zero, bit h: host register h's
     * upper half is zero (a 32-bit result was written back into it). */
    bool zx[IR_VREGS];
    uint32_t upper_zero;
    int8_t sra, srb;        /* the next stub's a and b (stub_regs) */
    struct x64_mem saddr;   /* ... a memory op's address (stub_regs) */
    bool saddr32;           /* ... folded from a 32-bit ADDR (struct stub's addr32) */
    /* The STS at op st_at stored host register st_host, whole, into the
     * uncached slot at st_off: an LDS of it right after takes the register
     * (be_emit_lds). */
    int st_at;
    int st_host;
    uint64_t st_off;
    /* A MOVI whose only reader is the STORE at op imm_store: not emitted,
     * the store writes the immediate imm_value itself (be_emit_movi). */
    int imm_store;
    int32_t imm_value;
    bool simm;              /* ... the memory op being translated is it */
    /* An ADDR (base + disp or index * scale + disp) whose only reader is
     * the memory op fold_op right after it: not computed, the access
     * addresses it itself, with the addend as the other register
     * (be_emit_addr, be_stub_regs); fold32: a 32-bit one. */
    int fold_op;
    struct x64_mem fold;
    bool fold32;
    const struct ir_block *ir;
    int cur;                /* the op being translated */
    bool skip_next;         /* the next op was done with this one */
    int8_t fwd;             /* LOAD/ADDR: write the result straight into this
                               cache register (the next op stores it there) */
    size_t loop_head;       /* where the back edge jumps (after the prologue) */
    struct pend pend;       /* the lazy record not stored yet, if on */
    struct pend arm;        /* ... and the one that becomes it at op arm_at */
    int arm_at;             /* (the STS of its result), or -1 */
    struct pend planned;    /* pend_plan's answer for the LAZY at planned_at */
    int planned_at;
    int skip_sts;           /* an STS done by the op before it, or -1 */
    int8_t vslot[IR_VREGS]; /* guest register slot v is a copy of, or -1 */
    uint8_t vsize[IR_VREGS];
    size_t gi_pos[BT_MAX_INSNS];    /* where each guest instruction's code starts */
    struct pend gi_pend[BT_MAX_INSNS]; /* ... and the record pending there */
    /* The copy of the loop head (emit_loop_head2), made when head2_stub is
     * set: the back edge whose budget test sits just before the copy and
     * falls into it (its branch goes to head2_check, the test's way out, a
     * jae to patch, is head2_leave); the copy starts at head2 with that
     * back edge's record (head2_stub->pend) pending. */
    const struct stub *head2_stub;
    size_t head2, head2_check, head2_leave;
    bool sites;             /* the block's sites and the TLB in rbx's reach */
    int16_t site_of[IR_MAX_OPS]; /* a LOAD / STORE op's site */
    int8_t site_kind[IR_MAX_OPS];   /* a site's kind (bt_site_kind), -1 if unused */
};

/* backend_regs.c: virtual registers, aliases, the register cache, stubs, calls */
uint64_t be_rip_of(const struct be *e, const struct ir_op *o);
uint64_t be_next_of(const struct be *e, const struct ir_op *o);
int be_rd(struct be *e, int v, bool full);
void be_def(struct be *e, int v);
bool be_read_after(const struct be *e, int j, int v);
void be_clobber_host_when(struct be *e, int h, bool this_op);
int be_result_reg(struct be *e, const struct ir_op *o);
struct stub *be_add_stub(struct be *e, int kind, size_t branch_end, const struct ir_op *o);
void be_stub_regs(struct be *e, const struct ir_op *o);
void be_addr_to(struct be *e, int r, struct x64_mem a);
struct x64_mem be_host_mem(struct x64_mem a);
struct x64_mem be_addr_plus(struct x64_mem a, int32_t d);
bool be_fits32(uint64_t v);
void be_store_imm64(struct be *e, uint64_t v, struct x64_mem m);
void be_set_rip(struct be *e, uint64_t rip);
void be_call_helper(struct be *e, const void *fn);
int32_t be_slot_off(int s);
int32_t be_rbx_disp(const struct be *e, const void *p);
bool be_in_reach(const struct be *e, const void *p);
struct x64_mem be_bt_field(struct be *e, const void *p);
void be_test_invalidated(struct be *e);
void be_icount_add(struct be *e, int delta);
int be_from_here(const struct be *e, const struct ir_op *o);
void be_uncount_rest(struct be *e, const struct ir_op *o);
void be_sync_icount(struct be *e);
int be_gpr_slot(uint64_t off, int *sub);
int be_cached_reg(const struct be *e, uint64_t off);
bool be_tlb_in_reach(const struct be *e);
void be_plan_cache(struct be *e, const struct ir_block *ir);
void be_cache_flush(struct be *e);
void be_cache_reload(struct be *e);
void be_call_synced(struct be *e, const void *fn, uint64_t arg);
void be_emit_lds(struct be *e, const struct ir_op *o);
void be_sts_done(struct be *e);
int be_slot_of_host(const struct be *e, int h);
void be_emit_sts(struct be *e, const struct ir_op *o);
void be_emit_stsi(struct be *e, const struct ir_op *o);

/* backend_flags.c: lazy-flags records, kept pending */
struct x64_mem be_lazy_field(int f);
void be_pend_store(struct be *e, const struct pend *p);
bool be_pend_eq(const struct pend *a, const struct pend *b);
void be_pend_flush(struct be *e);
void be_slot_written(struct be *e, int s);
bool be_plan_lazy_at(struct be *e, int i);
bool be_hf_ok(int lf, int cc);
void be_emit_lazy(struct be *e, const struct ir_op *o);
void be_emit_foldcf(struct be *e, const struct ir_op *o);
void be_cond_helper(struct be *e, int cc);
void be_emit_setcc(struct be *e, const struct ir_op *o);

/* backend_mem.c: guest memory accesses (sites, the soft TLB inline) */
bool be_sites_in_reach(const struct be *e);
void be_sites_check(struct be *e);
int32_t be_site_disp(const struct be *e, int site, int word);
size_t be_site_refill(struct be *e, struct stub *s);
void be_emit_load(struct be *e, const struct ir_op *o);
void be_emit_store(struct be *e, const struct ir_op *o);

/* backend_alu.c: arithmetic */
void be_emit_alu(struct be *e, const struct ir_op *o);
void be_emit_unary(struct be *e, const struct ir_op *o);
void be_emit_shift(struct be *e, const struct ir_op *o);
void be_emit_imul(struct be *e, const struct ir_op *o);
void be_emit_udiv(struct be *e, const struct ir_op *o);
void be_emit_addr(struct be *e, const struct ir_op *o);
void be_emit_select(struct be *e, const struct ir_op *o);

#endif
