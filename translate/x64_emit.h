/* An x86-64 instruction encoder for the translator's backend: just the
 * instructions translate/backend_x64.c emits, each one function, writing
 * into a buffer (the RW view of the code cache) while branch offsets are
 * computed against where the code will run (the RX view).
 *
 * Registers are host register numbers 0-15 (X_RAX ... X_R15).  Memory
 * operands are [base + index*scale + disp32]; base or index X_NONE for
 * none (not both; no RIP-relative). */
#ifndef GLASS_TRANSLATE_X64_EMIT_H
#define GLASS_TRANSLATE_X64_EMIT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum {
    X_RAX, X_RCX, X_RDX, X_RBX, X_RSP, X_RBP, X_RSI, X_RDI,
    X_R8, X_R9, X_R10, X_R11, X_R12, X_R13, X_R14, X_R15,
    X_NONE = -1,
};

/* x86 condition codes (the low nibble of Jcc), the same for guest and host. */
enum { CC_O, CC_NO, CC_B, CC_AE, CC_E, CC_NE, CC_BE, CC_A,
       CC_S, CC_NS, CC_P, CC_NP, CC_L, CC_GE, CC_LE, CC_G };

struct x64 {
    uint8_t *buf;       /* where bytes are written (RW) */
    uintptr_t run;      /* address buf[0] has when it runs (RX) */
    size_t pos, cap;
    bool overflow;      /* ran out of room: the caller discards the code */
};

struct x64_mem {
    int base, index, scale;
    int32_t disp;
};

static inline struct x64_mem xm(int base, int32_t disp)
{
    return (struct x64_mem){ base, X_NONE, 1, disp };
}

static inline uintptr_t x64_here(const struct x64 *e)
{
    return e->run + e->pos;
}

void x64_byte(struct x64 *e, uint8_t b);
void x64_nop5(struct x64 *e);      /* one 5-byte NOP */
void x64_u32(struct x64 *e, uint32_t v);
void x64_u64(struct x64 *e, uint64_t v);

/* ALU operation numbers: the /digit of 81 /n and the opcode row of op r/m, r. */
enum { XA_ADD = 0, XA_OR = 1, XA_AND = 4, XA_SUB = 5, XA_XOR = 6, XA_CMP = 7 };

void x64_mov_rr(struct x64 *e, int d, int s);                   /* 64-bit */
void x64_mov_ri(struct x64 *e, int d, uint64_t imm);            /* shortest form */
/* The low size (1, 2) bytes of d = those of s; the rest of d unchanged. */
void x64_mov_part(struct x64 *e, int size, int d, int s);
/* d = zero-extended size bytes at m (size 1, 2, 4, 8). */
void x64_load(struct x64 *e, int size, int d, struct x64_mem m);
void x64_store(struct x64 *e, int size, int s, struct x64_mem m);
/* rax = the 8 bytes at the absolute address addr (movabs rax, [moffs64]). */
void x64_load_rax_abs(struct x64 *e, uint64_t addr);
/* size bytes at m = imm (sign-extended 32-bit immediate for size 8). */
void x64_store_i(struct x64 *e, int size, int32_t imm, struct x64_mem m);
void x64_alu_rr(struct x64 *e, int op, int size, int d, int s);     /* d op= s */
void x64_alu_ri(struct x64 *e, int op, int size, int d, int32_t imm);
void x64_alu_rm(struct x64 *e, int op, int size, int d, struct x64_mem m); /* d op= [m] */
void x64_alu_mi(struct x64 *e, int op, int size, struct x64_mem m, int32_t imm);
void x64_test_rr(struct x64 *e, int size, int a, int b);
void x64_not(struct x64 *e, int size, int d);
void x64_neg(struct x64 *e, int size, int d);
void x64_inc(struct x64 *e, int size, int d);
void x64_dec(struct x64 *e, int size, int d);
/* digit 4 SHL, 5 SHR, 7 SAR. */
void x64_shift_i(struct x64 *e, int digit, int size, int d, uint8_t count);
void x64_imul_rr(struct x64 *e, int size, int d, int s);         /* size 2, 4, 8 */
void x64_div(struct x64 *e, int size, int s);   /* rdx:rax / s (unsigned), size 4, 8 */
void x64_imul_ri(struct x64 *e, int size, int d, int s, int32_t imm); /* d = s * imm */
/* d = s zero- / sign-extended from size (1, 2, 4) to 64 bits. */
void x64_zext(struct x64 *e, int size, int d, int s);
void x64_sext(struct x64 *e, int size, int d, int s);
void x64_setcc(struct x64 *e, int cc, int d);                   /* low byte only */
void x64_cmov(struct x64 *e, int cc, int d, int s);             /* 64-bit */
void x64_lea(struct x64 *e, int size, int d, struct x64_mem m); /* size 4 or 8 */
void x64_push(struct x64 *e, int r);
void x64_pop(struct x64 *e, int r);
void x64_ret(struct x64 *e);
void x64_call(struct x64 *e, const void *fn);                   /* through rax */
void x64_jmp_r(struct x64 *e, int r);
void x64_jmp_m(struct x64 *e, struct x64_mem m);
/* Branches with a 32-bit displacement; return the offset in the buffer of
 * the end of the instruction (the displacement is the 4 bytes before it),
 * for x64_patch. */
size_t x64_jmp(struct x64 *e, uintptr_t target);
size_t x64_jcc(struct x64 *e, int cc, uintptr_t target);
/* Point the branch ending at buffer offset `end` to target. */
void x64_patch(struct x64 *e, size_t end, uintptr_t target);

#endif
