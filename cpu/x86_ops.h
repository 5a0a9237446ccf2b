/* Every operation the decoder can name, as an X-macro:
 *   X(NAME, owner)  owner: core = cpu/exec_*.c integer ISA,
 *                          sys  = cpu/sys_*.c system ISA.
 * The decoder maps opcodes to these; the interpreter has one handler a name,
 * exec_NAME (cpu/exec.h).  Operand size, condition code and so on are in the
 * decoded instruction, not in the name (ADD covers 8/16/32/64 bits; JCC all
 * sixteen conditions; MOVS all element sizes). */
#ifndef GLASS_CPU_X86_OPS_H
#define GLASS_CPU_X86_OPS_H

#define X86_OPS(X) \
    X(UD, core)          /* invalid opcode, UD0/UD1/UD2, unsupported: #UD */ \
    X(ADD, core) X(OR, core) X(ADC, core) X(SBB, core) \
    X(AND, core) X(SUB, core) X(XOR, core) X(CMP, core) \
    X(INC, core) X(DEC, core) X(NOT, core) X(NEG, core) X(TEST, core) \
    X(MOV, core)         /* all MOV r/m, imm, moffs forms; MOVNTI */ \
    X(MOVZX, core) X(MOVSX, core) X(MOVSXD, core) \
    X(LEA, core) X(XCHG, core) \
    X(PUSH, core) X(POP, core) X(PUSHA, core) X(POPA, core) \
    X(PUSHF, sys) X(POPF, sys)  /* IOPL/VM checks */ \
    X(LAHF, core) X(SAHF, core) \
    X(CBW, core)         /* CBW/CWDE/CDQE by operand size */ \
    X(CWD, core)         /* CWD/CDQ/CQO by operand size */ \
    X(ROL, core) X(ROR, core) X(RCL, core) X(RCR, core) \
    X(SHL, core) X(SHR, core) X(SAR, core) X(SHLD, core) X(SHRD, core) \
    X(MUL, core) X(IMUL1, core)  /* one-operand MUL/IMUL: rDX:rAX */ \
    X(IMUL, core)        /* two/three-operand IMUL r, r/m[, imm] */ \
    X(DIV, core) X(IDIV, core) \
    X(DAA, core) X(DAS, core) X(AAA, core) X(AAS, core) X(AAM, core) X(AAD, core) \
    X(SALC, core) X(XLAT, core) \
    X(JMP, core)         /* near relative: target in imm */ \
    X(JMP_IND, core)     /* near absolute indirect r/m */ \
    X(CALL, core) X(CALL_IND, core) \
    X(RET, core)         /* near RET [imm16] */ \
    X(JCC, core) X(JCXZ, core) X(LOOP, core) X(LOOPE, core) X(LOOPNE, core) \
    X(SETCC, core) X(CMOVCC, core) \
    X(MOVS, core) X(CMPS, core) X(STOS, core) X(LODS, core) X(SCAS, core) \
    X(XADD, core) X(CMPXCHG, core) \
    X(CMPXCHG8B, core)   /* CMPXCHG16B with REX.W */ \
    X(BSWAP, core) X(BT, core) X(BTS, core) X(BTR, core) X(BTC, core) \
    X(BSF, core) X(BSR, core) X(TZCNT, core) X(LZCNT, core) X(POPCNT, core) \
    X(MOVBE, core) X(ENTER, core) X(LEAVE, core) \
    X(NOP, core)         /* NOP, multi-byte NOP, PAUSE, hints, fences, prefetch, CLFLUSH */ \
    X(CLC, core) X(STC, core) X(CMC, core) X(CLD, core) X(STD, core) \
    X(BOUND, core) \
    X(CPUID, sys) X(RDTSC, sys) X(RDTSCP, sys) X(RDPMC, sys) \
    X(RDMSR, sys) X(WRMSR, sys) \
    X(JMPF, sys)         /* far JMP ptr16:16/32 (selector in imm2, offset in imm) */ \
    X(JMPF_IND, sys)     /* far JMP m16:16/32/64 */ \
    X(CALLF, sys) X(CALLF_IND, sys) \
    X(RETF, sys)         /* far RET [imm16] */ \
    X(INT, sys) X(INT3, sys) X(INTO, sys) X(INT1, sys) X(IRET, sys) \
    X(CLI, sys) X(STI, sys) X(HLT, sys) \
    X(IN, sys) X(OUT, sys)  /* imm8 port (in imm) or DX (imm unused, see flag) */ \
    X(INS, sys) X(OUTS, sys) \
    X(LGDT, sys) X(LIDT, sys) X(SGDT, sys) X(SIDT, sys) \
    X(LLDT, sys) X(SLDT, sys) X(LTR, sys) X(STR, sys) \
    X(LMSW, sys) X(SMSW, sys) X(CLTS, sys) \
    X(LAR, sys) X(LSL, sys) X(VERR, sys) X(VERW, sys) X(ARPL, sys) \
    X(INVLPG, sys) X(WBINVD, sys) X(INVD, sys) \
    X(MOV_TO_CR, sys) X(MOV_FROM_CR, sys) X(MOV_TO_DR, sys) X(MOV_FROM_DR, sys) \
    X(MOV_TO_SREG, sys) X(MOV_FROM_SREG, sys) \
    X(PUSH_SREG, sys) X(POP_SREG, sys)  /* segment in insn.sreg */ \
    X(LDS, sys) X(LES, sys) X(LFS, sys) X(LGS, sys) X(LSS, sys) \
    X(SYSCALL, sys) X(SYSRET, sys) X(SYSENTER, sys) X(SYSEXIT, sys) \
    X(SWAPGS, sys) X(RDFSBASE, sys) X(RDGSBASE, sys) X(WRFSBASE, sys) X(WRGSBASE, sys) \
    X(XGETBV, sys) X(XSETBV, sys) X(RDRAND, sys) X(RDSEED, sys) \
    X(FXSAVE, sys) X(FXRSTOR, sys) X(FPU, sys)  /* x87/SSE: #NM/#UD until modelled */

enum x86_op {
#define X86_OP_ENUM(name, owner) X86_OP_##name,
    X86_OPS(X86_OP_ENUM)
#undef X86_OP_ENUM
    X86_OP_COUNT
};

/* "ADD", "JCC", ... */
const char *x86_op_name(int op);

#endif
