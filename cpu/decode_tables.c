/* The opcode maps of x86 (SDM Vol. 2, Appendix A, Tables ),
 * one descriptor an opcode.  An entry not listed is zero: X86_OP_UD with no
 * ModRM and no immediate.  Operand-size letters in the comments follow the
 * SDM: b byte, v 16/32/64, z 16/32, w word. */
#include "cpu/decode_tables.h"

#include "cpu/x86_cpu.h"

_Static_assert(X86_OP_COUNT <= 256, "x86_opdesc.op is a byte");

/* op, form, immediate, attributes [, argument] */
#define E(op_, form_, imm_, attr_) \
    { X86_OP_##op_, FORM_##form_, IMM_##imm_, 0, (attr_) }
#define EA(op_, form_, imm_, attr_, arg_) \
    { X86_OP_##op_, FORM_##form_, IMM_##imm_, (arg_), (attr_) }
#define GROUP(form_, imm_, attr_, grp_) \
    { X86_OP_UD, FORM_##form_, IMM_##imm_, (grp_), (attr_) | A_MODRM | A_GROUP }
#define SPECIAL(form_, imm_, attr_, sp_) \
    { X86_OP_UD, FORM_##form_, IMM_##imm_, (sp_), (attr_) | A_SPECIAL }

#define M A_MODRM
#define B A_BYTE

/* The eight classic ALU operations: Eb,Gb  Ev,Gv  Gb,Eb  Gv,Ev  AL,Ib  rAX,Iz */
#define ALU(base, OP) \
    [(base) + 0] = E(OP, RM_REG, NONE, M | B), \
    [(base) + 1] = E(OP, RM_REG, NONE, M), \
    [(base) + 2] = E(OP, REG_RM, NONE, M | B), \
    [(base) + 3] = E(OP, REG_RM, NONE, M), \
    [(base) + 4] = E(OP, RM_IMM, IZ, B), \
    [(base) + 5] = E(OP, RM_IMM, IZ, 0)

const struct x86_opdesc x86_map_onebyte[256] = {
    ALU(0x00, ADD), ALU(0x08, OR), ALU(0x10, ADC), ALU(0x18, SBB),
    ALU(0x20, AND), ALU(0x28, SUB), ALU(0x30, XOR), ALU(0x38, CMP),
    [0x06] = EA(PUSH_SREG, NONE, NONE, A_I64 | A_SREG, S_ES),
    [0x07] = EA(POP_SREG, NONE, NONE, A_I64 | A_SREG, S_ES),
    [0x0e] = EA(PUSH_SREG, NONE, NONE, A_I64 | A_SREG, S_CS),
    /* 0x0f: two-byte escape, handled by the decoder */
    [0x16] = EA(PUSH_SREG, NONE, NONE, A_I64 | A_SREG, S_SS),
    [0x17] = EA(POP_SREG, NONE, NONE, A_I64 | A_SREG, S_SS),
    [0x1e] = EA(PUSH_SREG, NONE, NONE, A_I64 | A_SREG, S_DS),
    [0x1f] = EA(POP_SREG, NONE, NONE, A_I64 | A_SREG, S_DS),
    [0x27] = E(DAA, NONE, NONE, A_I64 | B),
    [0x2f] = E(DAS, NONE, NONE, A_I64 | B),
    [0x37] = E(AAA, NONE, NONE, A_I64 | B),
    [0x3f] = E(AAS, NONE, NONE, A_I64 | B),
    /* 40-4F are REX prefixes in 64-bit mode and never reach the table there */
    [0x40 ... 0x47] = E(INC, REG, NONE, A_OPREG),
    [0x48 ... 0x4f] = E(DEC, REG, NONE, A_OPREG),
    [0x50 ... 0x57] = E(PUSH, REG, NONE, A_OPREG | A_D64),
    [0x58 ... 0x5f] = E(POP, REG, NONE, A_OPREG | A_D64),
    [0x60] = E(PUSHA, NONE, NONE, A_I64),
    [0x61] = E(POPA, NONE, NONE, A_I64),
    [0x62] = E(BOUND, REG_RM, NONE, M | A_MEMONLY | A_I64),  /* EVEX in 64 */
    [0x63] = SPECIAL(NONE, NONE, M, SP_ARPL_MOVSXD),
    [0x68] = E(PUSH, IMM, IZ, A_D64),
    [0x69] = E(IMUL, REG_RM_IMM, IZ, M),
    [0x6a] = E(PUSH, IMM, IBS, A_D64),
    [0x6b] = E(IMUL, REG_RM_IMM, IBS, M),
    [0x6c] = E(INS, NONE, NONE, B | A_STRING),
    [0x6d] = E(INS, NONE, NONE, A_SZ32 | A_STRING),
    [0x6e] = E(OUTS, NONE, NONE, B | A_STRING),
    [0x6f] = E(OUTS, NONE, NONE, A_SZ32 | A_STRING),
    [0x70 ... 0x7f] = E(JCC, REL, REL8, A_D64 | A_COND),
    [0x80] = GROUP(RM_IMM, IZ, B, GRP1),
    [0x81] = GROUP(RM_IMM, IZ, 0, GRP1),
    [0x82] = GROUP(RM_IMM, IZ, B | A_I64, GRP1),
    [0x83] = GROUP(RM_IMM, IBS, 0, GRP1),
    [0x84] = E(TEST, RM_REG, NONE, M | B),
    [0x85] = E(TEST, RM_REG, NONE, M),
    [0x86] = E(XCHG, RM_REG, NONE, M | B),
    [0x87] = E(XCHG, RM_REG, NONE, M),
    [0x88] = E(MOV, RM_REG, NONE, M | B),
    [0x89] = E(MOV, RM_REG, NONE, M),
    [0x8a] = E(MOV, REG_RM, NONE, M | B),
    [0x8b] = E(MOV, REG_RM, NONE, M),
    [0x8c] = SPECIAL(RM_REG, NONE, M, SP_MOV_FROM_SREG),
    [0x8d] = E(LEA, REG_RM, NONE, M | A_MEMONLY),
    [0x8e] = SPECIAL(REG_RM, NONE, M | A_W16, SP_MOV_TO_SREG),
    [0x8f] = GROUP(RM, NONE, A_D64, GRP1A),
    [0x90] = SPECIAL(NONE, NONE, 0, SP_NOP90),
    [0x91 ... 0x97] = E(XCHG, RM_REG, NONE, A_OPREG),  /* rm = rAX */
    [0x98] = E(CBW, NONE, NONE, 0),
    [0x99] = E(CWD, NONE, NONE, 0),
    [0x9a] = E(CALLF, FAR, FAR, A_I64),
    [0x9b] = E(FPU, NONE, NONE, 0),                    /* FWAIT */
    [0x9c] = E(PUSHF, NONE, NONE, A_D64),
    [0x9d] = E(POPF, NONE, NONE, A_D64),
    [0x9e] = E(SAHF, NONE, NONE, B),
    [0x9f] = E(LAHF, NONE, NONE, B),
    [0xa0] = E(MOV, REG_RM, MOFFS, B),
    [0xa1] = E(MOV, REG_RM, MOFFS, 0),
    [0xa2] = E(MOV, RM_REG, MOFFS, B),
    [0xa3] = E(MOV, RM_REG, MOFFS, 0),
    [0xa4] = E(MOVS, NONE, NONE, B | A_STRING),
    [0xa5] = E(MOVS, NONE, NONE, A_STRING),
    [0xa6] = E(CMPS, NONE, NONE, B | A_STRING),
    [0xa7] = E(CMPS, NONE, NONE, A_STRING),
    [0xa8] = E(TEST, RM_IMM, IZ, B),
    [0xa9] = E(TEST, RM_IMM, IZ, 0),
    [0xaa] = E(STOS, NONE, NONE, B | A_STRING),
    [0xab] = E(STOS, NONE, NONE, A_STRING),
    [0xac] = E(LODS, NONE, NONE, B | A_STRING),
    [0xad] = E(LODS, NONE, NONE, A_STRING),
    [0xae] = E(SCAS, NONE, NONE, B | A_STRING),
    [0xaf] = E(SCAS, NONE, NONE, A_STRING),
    [0xb0 ... 0xb7] = E(MOV, REG_IMM, IV, B | A_OPREG),
    [0xb8 ... 0xbf] = E(MOV, REG_IMM, IV, A_OPREG),
    [0xc0] = GROUP(RM_IMM, IB, B, GRP2),
    [0xc1] = GROUP(RM_IMM, IB, 0, GRP2),
    [0xc2] = E(RET, IMM, IW, A_D64),
    [0xc3] = E(RET, NONE, NONE, A_D64),
    [0xc4] = EA(LES, REG_RM, NONE, M | A_MEMONLY | A_I64 | A_SREG, S_ES), /* VEX in 64 */
    [0xc5] = EA(LDS, REG_RM, NONE, M | A_MEMONLY | A_I64 | A_SREG, S_DS),
    [0xc6] = GROUP(RM_IMM, IZ, B, GRP11),
    [0xc7] = GROUP(RM_IMM, IZ, 0, GRP11),
    [0xc8] = E(ENTER, REG_IMM, ENTER, A_D64),
    [0xc9] = E(LEAVE, NONE, NONE, A_D64),
    [0xca] = E(RETF, IMM, IW, 0),
    [0xcb] = E(RETF, NONE, NONE, 0),
    [0xcc] = E(INT3, NONE, NONE, 0),
    [0xcd] = E(INT, IMM, IB, 0),
    [0xce] = E(INTO, NONE, NONE, A_I64),
    [0xcf] = E(IRET, NONE, NONE, 0),
    [0xd0] = GROUP(RM_1, NONE, B, GRP2),
    [0xd1] = GROUP(RM_1, NONE, 0, GRP2),
    [0xd2] = GROUP(RM_CL, NONE, B, GRP2),
    [0xd3] = GROUP(RM_CL, NONE, 0, GRP2),
    [0xd4] = E(AAM, IMM, IB, A_I64 | B),
    [0xd5] = E(AAD, IMM, IB, A_I64 | B),
    [0xd6] = E(SALC, NONE, NONE, A_I64 | B),
    [0xd7] = E(XLAT, NONE, NONE, B),
    [0xd8 ... 0xdf] = E(FPU, NONE, NONE, M),           /* x87 */
    [0xe0] = E(LOOPNE, REL, REL8, A_D64),
    [0xe1] = E(LOOPE, REL, REL8, A_D64),
    [0xe2] = E(LOOP, REL, REL8, A_D64),
    [0xe3] = E(JCXZ, REL, REL8, A_D64),
    [0xe4] = E(IN, IMM, IB, B),
    [0xe5] = E(IN, IMM, IB, A_SZ32),
    [0xe6] = E(OUT, IMM, IB, B),
    [0xe7] = E(OUT, IMM, IB, A_SZ32),
    [0xe8] = E(CALL, REL, RELZ, A_D64),
    [0xe9] = E(JMP, REL, RELZ, A_D64),
    [0xea] = E(JMPF, FAR, FAR, A_I64),
    [0xeb] = E(JMP, REL, REL8, A_D64),
    [0xec] = E(IN, DX, NONE, B),
    [0xed] = E(IN, DX, NONE, A_SZ32),
    [0xee] = E(OUT, DX, NONE, B),
    [0xef] = E(OUT, DX, NONE, A_SZ32),
    /* F0 F2 F3 are prefixes */
    [0xf1] = E(INT1, NONE, NONE, 0),
    [0xf4] = E(HLT, NONE, NONE, 0),
    [0xf5] = E(CMC, NONE, NONE, 0),
    [0xf6] = GROUP(RM, NONE, B, GRP3),
    [0xf7] = GROUP(RM, NONE, 0, GRP3),
    [0xf8] = E(CLC, NONE, NONE, 0),
    [0xf9] = E(STC, NONE, NONE, 0),
    [0xfa] = E(CLI, NONE, NONE, 0),
    [0xfb] = E(STI, NONE, NONE, 0),
    [0xfc] = E(CLD, NONE, NONE, 0),
    [0xfd] = E(STD, NONE, NONE, 0),
    [0xfe] = GROUP(RM, NONE, B, GRP4),
    [0xff] = GROUP(RM, NONE, 0, GRP5),
};

const struct x86_opdesc x86_map_0f[256] = {
    [0x00] = GROUP(RM, NONE, 0, GRP6),
    [0x01] = SPECIAL(RM, NONE, M, SP_GRP7),
    [0x02] = E(LAR, REG_RM, NONE, M),
    [0x03] = E(LSL, REG_RM, NONE, M),
    [0x05] = E(SYSCALL, NONE, NONE, 0),
    [0x06] = E(CLTS, NONE, NONE, 0),
    [0x07] = E(SYSRET, NONE, NONE, 0),
    [0x08] = E(INVD, NONE, NONE, 0),
    [0x09] = E(WBINVD, NONE, NONE, 0),
    [0x0b] = E(UD, NONE, NONE, 0),                     /* UD2 */
    [0x0d] = E(NOP, RM, NONE, M),                      /* PREFETCHW */
    [0x0f] = E(UD, NONE, IB, M),                       /* 3DNow! */
    [0x10 ... 0x17] = E(FPU, NONE, NONE, M),           /* SSE moves */
    [0x18 ... 0x1f] = E(NOP, RM, NONE, M),             /* hints, NOP Ev */
    [0x20] = SPECIAL(RM_REG, NONE, M, SP_MOV_CR),
    [0x21] = SPECIAL(RM_REG, NONE, M, SP_MOV_DR),
    [0x22] = SPECIAL(REG_RM, NONE, M, SP_MOV_CR),
    [0x23] = SPECIAL(REG_RM, NONE, M, SP_MOV_DR),
    [0x28 ... 0x2f] = E(FPU, NONE, NONE, M),
    [0x30] = E(WRMSR, NONE, NONE, 0),
    [0x31] = E(RDTSC, NONE, NONE, 0),
    [0x32] = E(RDMSR, NONE, NONE, 0),
    [0x33] = E(RDPMC, NONE, NONE, 0),
    [0x34] = E(SYSENTER, NONE, NONE, 0),
    [0x35] = E(SYSEXIT, NONE, NONE, 0),
    [0x38] = SPECIAL(NONE, NONE, 0, SP_MAP38),
    [0x3a] = SPECIAL(NONE, NONE, 0, SP_MAP3A),
    [0x40 ... 0x4f] = E(CMOVCC, REG_RM, NONE, M | A_COND),
    [0x50 ... 0x6f] = E(FPU, NONE, NONE, M),           /* SSE, MMX */
    [0x70 ... 0x73] = E(FPU, NONE, IB, M),             /* PSHUF*, shifts */
    [0x74 ... 0x76] = E(FPU, NONE, NONE, M),
    [0x77] = E(FPU, NONE, NONE, 0),                    /* EMMS */
    [0x78 ... 0x79] = E(UD, NONE, NONE, M),            /* VMREAD, VMWRITE */
    [0x7c ... 0x7f] = E(FPU, NONE, NONE, M),
    [0x80 ... 0x8f] = E(JCC, REL, RELZ, A_D64 | A_COND),
    [0x90 ... 0x9f] = E(SETCC, RM, NONE, M | B | A_COND),
    [0xa0] = EA(PUSH_SREG, NONE, NONE, A_D64 | A_SREG, S_FS),
    [0xa1] = EA(POP_SREG, NONE, NONE, A_D64 | A_SREG, S_FS),
    [0xa2] = E(CPUID, NONE, NONE, 0),
    [0xa3] = E(BT, RM_REG, NONE, M),
    [0xa4] = E(SHLD, REG_RM_IMM, IB, M),
    [0xa5] = E(SHLD, RM_REG_CL, NONE, M),
    [0xa8] = EA(PUSH_SREG, NONE, NONE, A_D64 | A_SREG, S_GS),
    [0xa9] = EA(POP_SREG, NONE, NONE, A_D64 | A_SREG, S_GS),
    [0xaa] = E(UD, NONE, NONE, 0),                     /* RSM: #UD outside SMM */
    [0xab] = E(BTS, RM_REG, NONE, M),
    [0xac] = E(SHRD, REG_RM_IMM, IB, M),
    [0xad] = E(SHRD, RM_REG_CL, NONE, M),
    [0xae] = SPECIAL(RM, NONE, M, SP_GRP15),
    [0xaf] = E(IMUL, REG_RM, NONE, M),
    [0xb0] = E(CMPXCHG, RM_REG, NONE, M | B),
    [0xb1] = E(CMPXCHG, RM_REG, NONE, M),
    [0xb2] = EA(LSS, REG_RM, NONE, M | A_MEMONLY | A_SREG, S_SS),
    [0xb3] = E(BTR, RM_REG, NONE, M),
    [0xb4] = EA(LFS, REG_RM, NONE, M | A_MEMONLY | A_SREG, S_FS),
    [0xb5] = EA(LGS, REG_RM, NONE, M | A_MEMONLY | A_SREG, S_GS),
    [0xb6] = EA(MOVZX, REG_RM, NONE, M | A_SRC, 1),
    [0xb7] = EA(MOVZX, REG_RM, NONE, M | A_SRC, 2),
    [0xb8] = SPECIAL(REG_RM, NONE, M, SP_F3_ALT),
    [0xb9] = E(UD, NONE, NONE, M),                     /* UD1 */
    [0xba] = GROUP(RM_IMM, IB, 0, GRP8),
    [0xbb] = E(BTC, RM_REG, NONE, M),
    [0xbc] = SPECIAL(REG_RM, NONE, M, SP_F3_ALT),
    [0xbd] = SPECIAL(REG_RM, NONE, M, SP_F3_ALT),
    [0xbe] = EA(MOVSX, REG_RM, NONE, M | A_SRC, 1),
    [0xbf] = EA(MOVSX, REG_RM, NONE, M | A_SRC, 2),
    [0xc0] = E(XADD, RM_REG, NONE, M | B),
    [0xc1] = E(XADD, RM_REG, NONE, M),
    [0xc2] = E(FPU, NONE, IB, M),                      /* CMPPS ... */
    [0xc3] = SPECIAL(RM_REG, NONE, M | A_MEMONLY, SP_MOVNTI),
    [0xc4 ... 0xc6] = E(FPU, NONE, IB, M),             /* PINSRW, PEXTRW, SHUFPS */
    [0xc7] = SPECIAL(RM, NONE, M, SP_GRP9),
    [0xc8 ... 0xcf] = E(BSWAP, REG, NONE, A_OPREG),
    [0xd0 ... 0xfe] = E(FPU, NONE, NONE, M),           /* SSE2, MMX */
    [0xff] = E(UD, NONE, NONE, M),                     /* UD0 */
};

/* Group rows: form and immediate 0 mean "as the opcode says"; attributes are
 * added to the opcode's. */
#define G(op_) E(op_, NONE, NONE, 0)
#define GF(op_, form_, imm_, attr_) E(op_, form_, imm_, attr_)
#define GUD E(UD, NONE, NONE, 0)

const struct x86_opdesc x86_group_rows[GRP_COUNT][8] = {
    /* 80-83 */
    [GRP1] = { G(ADD), G(OR), G(ADC), G(SBB), G(AND), G(SUB), G(XOR), G(CMP) },
    /* C0 C1 D0-D3; /6 is an undocumented alias of SHL (SAL) */
    [GRP2] = { G(ROL), G(ROR), G(RCL), G(RCR), G(SHL), G(SHR), G(SHL), G(SAR) },
    /* F6 F7; /1 is an alias of TEST */
    [GRP3] = { GF(TEST, RM_IMM, IZ, 0), GF(TEST, RM_IMM, IZ, 0),
               G(NOT), G(NEG), G(MUL), G(IMUL1), G(DIV), G(IDIV) },
    /* FE */
    [GRP4] = { G(INC), G(DEC), GUD, GUD, GUD, GUD, GUD, GUD },
    /* FF */
    [GRP5] = { G(INC), G(DEC), GF(CALL_IND, RM, NONE, A_D64),
               GF(CALLF_IND, RM, NONE, A_MEMONLY), GF(JMP_IND, RM, NONE, A_D64),
               GF(JMPF_IND, RM, NONE, A_MEMONLY), GF(PUSH, RM, NONE, A_D64), GUD },
    /* 8F (the rest is AMD XOP) */
    [GRP1A] = { G(POP), GUD, GUD, GUD, GUD, GUD, GUD, GUD },
    /* C6 C7 (C6 F8 / C7 F8 are XABORT / XBEGIN: not modelled) */
    [GRP11] = { G(MOV), GUD, GUD, GUD, GUD, GUD, GUD, GUD },
    /* 0F 00 */
    [GRP6] = { GF(SLDT, RM, NONE, A_W16MEM), GF(STR, RM, NONE, A_W16MEM),
               GF(LLDT, RM, NONE, A_W16), GF(LTR, RM, NONE, A_W16),
               GF(VERR, RM, NONE, A_W16), GF(VERW, RM, NONE, A_W16), GUD, GUD },
    /* 0F BA */
    [GRP8] = { GUD, GUD, GUD, GUD, G(BT), G(BTS), G(BTR), G(BTC) },
};
