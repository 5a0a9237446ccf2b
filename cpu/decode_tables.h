/* The opcode tables behind x86_decode() (cpu/decode.c): one descriptor an
 * opcode per map, and one row of eight a ModRM.reg group.  Private to the
 * decoder; nothing outside cpu/decode*.c includes this. */
#ifndef GLASS_CPU_DECODE_TABLES_H
#define GLASS_CPU_DECODE_TABLES_H

#include <stdint.h>

#include "cpu/decode.h"

/* Immediate kinds (SDM Vol. 2, Appendix A.2.2 operand codes). */
enum x86_imm_kind {
    IMM_NONE,
    IMM_IB,    /* imm8, zero-extended (ports, INT n, shift counts, AL ops) */
    IMM_IBS,   /* imm8, sign-extended to the operand size (83, 6A, 6B) */
    IMM_IW,    /* imm16 (RET/RETF imm16) */
    IMM_IZ,    /* byte op: imm8; else imm16/imm32; imm32 sign-extended to 64 */
    IMM_IV,    /* byte op: imm8; else imm16/32/64 by operand size (B8+r) */
    IMM_REL8,  /* rel8, sign-extended */
    IMM_RELZ,  /* rel16 or rel32 by operand size, sign-extended */
    IMM_ENTER, /* iw then ib (ENTER) */
    IMM_FAR,   /* ptr16:16 / ptr16:32 (9A, EA) */
    IMM_MOFFS, /* moffs of the address size (A0-A3) */
};

/* Attributes of an opcode. */
#define A_MODRM    (1u << 0)  /* has a ModRM byte */
#define A_BYTE     (1u << 1)  /* operand size 1 */
#define A_D64      (1u << 2)  /* 64-bit mode: operand size 64 (66 -> 16) */
#define A_I64      (1u << 3)  /* invalid in 64-bit mode */
#define A_MEMONLY  (1u << 4)  /* ModRM.mod = 3 is #UD */
#define A_COND     (1u << 5)  /* cond = low nibble of the opcode */
#define A_OPREG    (1u << 6)  /* reg = low 3 bits of the opcode + REX.B */
#define A_SREG     (1u << 7)  /* sreg = arg */
#define A_GROUP    (1u << 8)  /* ModRM.reg selects the row of group arg */
#define A_SPECIAL  (1u << 9)  /* decoded by code in decode.c: special arg */
#define A_SRC      (1u << 10) /* src_size = arg */
#define A_W16MEM   (1u << 11) /* memory operand is 16 bits (SLDT, STR) */
#define A_W16      (1u << 12) /* operand size is always 16 */
#define A_SZ32     (1u << 13) /* REX.W ignored: at most 32 bits (IN, OUT) */
#define A_STRING   (1u << 14) /* string instruction: mem.seg is the source */

struct x86_opdesc {
    uint8_t op;     /* enum x86_op */
    uint8_t form;   /* enum x86_form; in a group row 0 = the opcode's form */
    uint8_t imm;    /* enum x86_imm_kind; in a group row 0 = the opcode's */
    uint8_t arg;    /* group, special, sreg or source size (see attr) */
    uint16_t attr;  /* A_* */
};

enum x86_group {
    GRP1, GRP2, GRP3, GRP4, GRP5, GRP1A, GRP11, GRP6, GRP8,
    GRP_COUNT
};

/* Opcodes whose decoding does not fit a table row. */
enum x86_special {
    SP_NONE,
    SP_ARPL_MOVSXD,  /* 63 */
    SP_NOP90,        /* 90: NOP, PAUSE, or XCHG r8, rax with REX.B */
    SP_MOV_FROM_SREG,/* 8C */
    SP_MOV_TO_SREG,  /* 8E */
    SP_GRP7,         /* 0F 01 */
    SP_MOV_CR,       /* 0F 20, 0F 22 */
    SP_MOV_DR,       /* 0F 21, 0F 23 */
    SP_MAP38,        /* 0F 38 xx (the decoder looks at the third byte) */
    SP_MAP3A,        /* 0F 3A xx: all UD, ModRM + imm8 */
    SP_GRP15,        /* 0F AE */
    SP_F3_ALT,       /* 0F B8, BC, BD: POPCNT, TZCNT, LZCNT with F3 */
    SP_MOVNTI,       /* 0F C3 */
    SP_GRP9,         /* 0F C7 */
};

extern const struct x86_opdesc x86_map_onebyte[256];
extern const struct x86_opdesc x86_map_0f[256];
extern const struct x86_opdesc x86_group_rows[GRP_COUNT][8];

#endif
