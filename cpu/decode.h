/* The x86 instruction decoder: bytes -> struct x86_insn, for every mode
 * (real, 16/32-bit protected, compatibility, 64-bit).  Table-driven; shared
 * by the interpreter, the translator and the debugger. */
#ifndef GLASS_CPU_DECODE_H
#define GLASS_CPU_DECODE_H

#include <stddef.h>
#include <stdint.h>

#include "cpu/x86_ops.h"

#define X86_MAX_INSN_LEN 15

/* How the operands of an instruction are laid out.  "rm" is the ModRM r/m
 * operand: a register (rm field) or memory (mem), see INSN_MEM.  "reg" is the
 * ModRM reg operand, or the register coded in the opcode's low bits.  Forms
 * with an implicit accumulator (ADD AL, imm8; MOV AL, moffs; XCHG eAX, r) are
 * normalised: the accumulator is a register rm or reg operand. */
enum x86_form {
    FORM_NONE,       /* no explicit operands (or all implicit: MOVS, CWD...) */
    FORM_RM_REG,     /* rm <- rm op reg */
    FORM_REG_RM,     /* reg <- reg op rm (also MOVZX/MOVSX/LEA/BSF..., CMOVcc) */
    FORM_RM_IMM,     /* rm <- rm op imm */
    FORM_REG_IMM,    /* reg <- imm (MOV r, imm; ENTER uses imm and imm2) */
    FORM_RM,         /* one rm operand (INC, NOT, PUSH r/m, JMP r/m, SETcc...) */
    FORM_REG,        /* one reg operand (PUSH r, POP r, BSWAP, INC r in 16/32) */
    FORM_IMM,        /* one immediate (PUSH imm, INT n, RET imm16, IN/OUT imm8) */
    FORM_REL,        /* relative branch: target = next RIP + (int64_t)imm */
    FORM_RM_1,       /* shift/rotate rm by 1 */
    FORM_RM_CL,      /* shift/rotate rm by CL */
    FORM_REG_RM_IMM, /* IMUL reg, rm, imm; SHLD/SHRD rm, reg, imm8 (dest rm) */
    FORM_RM_REG_CL,  /* SHLD/SHRD rm, reg, CL */
    FORM_DX,         /* IN/OUT with the port in DX */
    FORM_FAR,        /* far pointer: selector in imm2, offset in imm */
};

/* Flags of a decoded instruction. */
#define INSN_LOCK   (1u << 0)  /* F0 */
#define INSN_REP    (1u << 1)  /* F3: REP / REPE */
#define INSN_REPNE  (1u << 2)  /* F2: REPNE */
#define INSN_REX    (1u << 3)  /* a REX prefix was present (byte regs 4-7 = SPL..DIL) */
#define INSN_MEM    (1u << 4)  /* the rm operand is memory (ModRM.mod != 3 or moffs) */
#define INSN_OPSIZE (1u << 5)  /* 66 prefix present */
#define INSN_ADSIZE (1u << 6)  /* 67 prefix present */
#define INSN_MODRM  (1u << 7)  /* the instruction has a ModRM byte */

struct x86_mem_operand {
    int64_t disp;     /* sign-extended displacement (or moffs) */
    int8_t base;      /* GPR number, or -1 */
    int8_t index;     /* GPR number, or -1 */
    uint8_t scale;    /* 1, 2, 4, 8 */
    uint8_t seg;      /* effective segment (default or override), enum x86_sreg */
    uint8_t rip_rel;  /* 64-bit RIP-relative: EA = next RIP + disp */
};

struct x86_insn {
    uint16_t op;       /* enum x86_op */
    uint8_t len;       /* total length in bytes, prefixes included */
    uint8_t form;      /* enum x86_form */
    uint8_t opsize;    /* operand size in bytes: 1, 2, 4 or 8 */
    uint8_t addrsize;  /* address size in bytes: 2, 4 or 8 */
    uint8_t flags;     /* INSN_* */
    uint8_t map;       /* 0 = one-byte, 1 = 0F, 2 = 0F38, 3 = 0F3A */
    uint8_t opcode;    /* the opcode byte within its map */
    uint8_t modrm;     /* the ModRM byte, if INSN_MODRM */
    uint8_t reg;       /* reg operand (REX.R applied); CRn/DRn/Sreg number */
    uint8_t rm;        /* rm register (REX.B applied) when not INSN_MEM */
    uint8_t cond;      /* condition code 0-15 of Jcc/SETcc/CMOVcc */
    uint8_t sreg;      /* segment of PUSH/POP/MOV Sreg, LDS..LSS */
    uint8_t src_size;  /* source size of MOVZX/MOVSX/MOVSXD, bytes */
    uint8_t seg_override; /* S_* from a prefix, or S_NONE */
    struct x86_mem_operand mem;
    uint64_t imm;      /* immediate, sign-extended to 64 bits where the
                        * architecture sign-extends it; rel displacement */
    uint64_t imm2;     /* second immediate: ENTER nesting level, far selector */
};

#define X86_DECODE_NEED_MORE (-1)  /* the bytes ran out before the end */
#define X86_DECODE_TOO_LONG  (-2)  /* more than 15 bytes: #GP(0) */

/* Decode one instruction for code of `bits` (16, 32 or 64) from
 * bytes[0..avail).  Returns its length (> 0), or X86_DECODE_NEED_MORE, or
 * X86_DECODE_TOO_LONG.  An invalid or unsupported opcode decodes as
 * X86_OP_UD with its length, so #UD is raised when it executes; so does a
 * LOCK prefix where LOCK is not allowed (SDM Vol. 2, LOCK). */
int x86_decode(struct x86_insn *in, const uint8_t *bytes, size_t avail, int bits);

#endif
