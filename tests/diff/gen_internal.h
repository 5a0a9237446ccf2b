/* What the generator's files share (gen.h is what the rest of the test
 * sees).
 *
 * A template builds one instruction in a struct bld: prefixes, REX bits,
 * opcode, ModRM/SIB/displacement, immediate.  Registers start random (with
 * edge values); a template "pins" the registers whose values matter (stack
 * pointer, count in CL, string pointers, the base and index of a memory
 * operand) so that no later choice overwrites them.  Each template also says
 * which flags the SDM defines after the instruction (flag_mask), so only
 * those are compared.
 *
 *   gen.c          the driver: the template table, the choice of mode and
 *                  template, a case's start state, and the encoding of the
 *                  built instruction (with, for 32-bit cases whose oracle is
 *                  DIFF_ORACLE_ADDR32, its 64-bit equivalent for the host)
 *   gen_operand.c  what templates build with: random values, registers,
 *                  prefixes, ModRM/SIB addressing, memory targets,
 *                  immediates, patches of the data pages, stack and branch
 *                  targets
 *   gen_alu.c gen_shift.c gen_bits.c gen_move.c gen_stack.c gen_string.c
 *   gen_branch.c gen_misc.c
 *                  the templates, by family (declared at the end)
 *
 * Every random choice comes from the one stream g->rng, in the order the
 * code makes it: moving a call changes every case after it. */
#ifndef GLASS_TESTS_DIFF_GEN_INTERNAL_H
#define GLASS_TESTS_DIFF_GEN_INTERNAL_H

#include <stdbool.h>
#include <stdint.h>

#include "tests/diff/gen.h"
#include "tests/diff/runner_proto.h"

/* RFLAGS bits, as in diff_case.flag_mask */
#define F_CF 0x001u
#define F_PF 0x004u
#define F_AF 0x010u
#define F_ZF 0x040u
#define F_SF 0x080u
#define F_DF 0x400u
#define F_OF 0x800u
#define F_ALL (F_CF | F_PF | F_AF | F_ZF | F_SF | F_OF)

/* Register numbers, in ModRM order (8-15: R8-R15) */
enum { RAX, RCX, RDX, RBX, RSP, RBP, RSI, RDI };

/* One instruction being built (the comment at the top) */
struct bld {
    struct gen *g;
    struct diff_case *c;
    int mode;               /* 64 or 32 */
    uint8_t pfx[8];
    int npfx;
    int rex;                /* REX bits WRXB */
    bool want_rex;          /* emit a REX byte even if rex == 0 */
    uint8_t op[3];
    int nop;
    bool has_modrm;
    uint8_t mod, reg, rm;   /* reg and rm with their REX bit (0-15) */
    bool has_sib;
    uint8_t scale, index, base; /* index/base 0-15; low 3 bits go in SIB */
    int disp_len;           /* 0, 1, 4 (8 for 64-bit moffs) */
    int64_t disp;
    bool rip_rel;
    uint64_t rip_target;
    int imm_len;
    uint64_t imm;
    int rel_len;            /* branch displacement, chosen at assembly */
    int64_t rel;
    uint16_t pinned;
    int addrsize;
    bool addr32;            /* a 32-bit case whose oracle is DIFF_ORACLE_ADDR32 */
    bool implicit_addr;     /* addresses memory or counts in ECX without ModRM */
    bool skip;              /* template cannot do this combination: retry */
};

/* ---------------------------------------------------------------- random */

static inline uint64_t rnd(struct bld *b) { return diff_rand_next(&b->g->rng); }
static inline uint64_t below(struct bld *b, uint64_t n) { return n ? rnd(b) % n : 0; }
static inline bool chance(struct bld *b, unsigned percent) { return below(b, 100) < percent; }

static inline uint64_t size_mask(int size)
{
    return size >= 8 ? ~0ull : (1ull << (size * 8)) - 1;
}

/* ------------------------------------------- gen_operand.c: the builder */

uint64_t edge_value(struct bld *b, int size);

/* Registers */
void pin(struct bld *b, int reg, uint64_t val);
int any_reg(struct bld *b);
int free_reg(struct bld *b, uint16_t also_avoid);

/* Prefixes and operand size */
void prefix(struct bld *b, uint8_t p);
void opsize(struct bld *b, int size);
int rand_size(struct bld *b, bool bytes);
void maybe_lock(struct bld *b, bool mem, bool lockable);

/* Opcode and ModRM */
static inline void op1(struct bld *b, uint8_t o) { b->op[b->nop++] = o; }
static inline void op2(struct bld *b, uint8_t o) { op1(b, 0x0f); op1(b, o); }
void modrm_reg(struct bld *b, int reg);
void rm_reg(struct bld *b, int reg);

/* Memory operands */
uint64_t mem_target(struct bld *b, int size, bool allow_fault);
void rm_mem_at(struct bld *b, uint64_t t, uint16_t avoid, bool noncanon_ok);
void addrsize_maybe(struct bld *b);
uint64_t rm_mem(struct bld *b, int size, bool allow_fault);
int rm_any(struct bld *b, int size, uint64_t *ea);
void patch(struct bld *b, uint64_t t, int size, uint64_t val);

/* Immediates, the stack, branch targets */
void imm(struct bld *b, int len, uint64_t v);
void imm_z(struct bld *b, int size);
void pin_stack(struct bld *b, int room);
uint64_t code_target(struct bld *b);

/* ------------------------------------------------------------- templates
 * Each builds one instruction of its kind in b, or sets b->skip. */

/* gen_alu.c: ADD OR ADC SBB AND SUB XOR CMP, TEST, INC DEC NOT NEG, MUL
 * IMUL, DIV IDIV */
void t_alu(struct bld *b);
void t_test(struct bld *b);
void t_unary(struct bld *b);
void t_mul(struct bld *b);
void t_div(struct bld *b);

/* gen_shift.c: rotates and shifts, SHLD SHRD */
void t_shift(struct bld *b);
void t_shxd(struct bld *b);

/* gen_bits.c: BT BTS BTR BTC, BSF BSR TZCNT LZCNT POPCNT */
void t_bt(struct bld *b);
void t_bitscan(struct bld *b);

/* gen_move.c: BSWAP, MOVZX MOVSX MOVSXD, CMOVcc, SETcc, XCHG XADD CMPXCHG,
 * CMPXCHG8B/16B, LEA, MOV, MOVBE, XLAT */
void t_bswap(struct bld *b);
void t_movx(struct bld *b);
void t_cmov(struct bld *b);
void t_setcc(struct bld *b);
void t_xchg(struct bld *b);
void t_cmpxchg8b(struct bld *b);
void t_lea(struct bld *b);
void t_mov(struct bld *b);
void t_movbe(struct bld *b);
void t_xlat(struct bld *b);

/* gen_stack.c: PUSH POP, ENTER LEAVE */
void t_pushpop(struct bld *b);
void t_enter_leave(struct bld *b);

/* gen_string.c: MOVS CMPS STOS LODS SCAS */
void t_string(struct bld *b);

/* gen_branch.c: Jcc JMP CALL RET JCXZ LOOP */
void t_branch(struct bld *b);

/* gen_misc.c: flag and conversion one-byte instructions, NOPs; #UD; the
 * 32-bit-only DAA ... POPA */
void t_misc(struct bld *b);
void t_invalid(struct bld *b);
void t_legacy32(struct bld *b);

#endif
