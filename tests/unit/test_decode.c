/* Tests of the x86 decoder (cpu/decode.c):
 *  - hand-written encodings with every field checked, for the tricky cases;
 *  - length agreement with Capstone over systematic and random encodings in
 *    16, 32 and 64-bit code. */
/* Capstone's x86.h names an enum x86_insn, which clashes with glass's
 * struct x86_insn (one tag namespace in C): rename it while including. */
#define x86_insn capstone_x86_insn
#include <capstone/capstone.h>
#undef x86_insn
#include <check.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cpu/decode.h"
#include "cpu/x86_cpu.h"
#include "tests/unit/run_suite.h"

/* ------------------------------------------------------------------------ */
/* Helpers */

/* Parse "66 0f 1f 44 00 00" into bytes; returns the count. */
static size_t parse_hex(const char *hex, uint8_t *out, size_t max)
{
    size_t n = 0;
    while (*hex) {
        if (*hex == ' ') {
            hex++;
            continue;
        }
        unsigned v;
        ck_assert_msg(sscanf(hex, "%2x", &v) == 1, "bad hex near '%s'", hex);
        ck_assert(n < max);
        out[n++] = (uint8_t)v;
        hex += 2;
    }
    return n;
}

/* Decode hex in `bits` mode; the instruction must use all the bytes. */
static struct x86_insn dec(int bits, const char *hex)
{
    uint8_t buf[32];
    struct x86_insn in;
    size_t n = parse_hex(hex, buf, sizeof(buf));
    int len = x86_decode(&in, buf, n, bits);
    ck_assert_msg(len == (int)n, "%d-bit '%s': length %d, want %zu", bits, hex, len, n);
    ck_assert_int_eq(in.len, n);
    return in;
}

#define OP(name) X86_OP_##name

/* ------------------------------------------------------------------------ */
/* Hand-written cases */

START_TEST(test_alu_forms)
{
    struct x86_insn in = dec(32, "01 d8");           /* add eax, ebx */
    ck_assert_int_eq(in.op, OP(ADD));
    ck_assert_int_eq(in.form, FORM_RM_REG);
    ck_assert_int_eq(in.opsize, 4);
    ck_assert_int_eq(in.rm, R_RAX);
    ck_assert_int_eq(in.reg, R_RBX);
    ck_assert(!(in.flags & INSN_MEM));
    ck_assert(in.flags & INSN_MODRM);

    in = dec(16, "04 7f");                          /* add al, 0x7f */
    ck_assert_int_eq(in.op, OP(ADD));
    ck_assert_int_eq(in.form, FORM_RM_IMM);
    ck_assert_int_eq(in.opsize, 1);
    ck_assert_int_eq(in.rm, R_RAX);
    ck_assert_int_eq(in.imm, 0x7f);
    ck_assert(!(in.flags & INSN_MEM));

    in = dec(64, "48 83 c1 ff");                    /* add rcx, -1 */
    ck_assert_int_eq(in.op, OP(ADD));
    ck_assert_int_eq(in.opsize, 8);
    ck_assert_int_eq(in.rm, R_RCX);
    ck_assert_uint_eq(in.imm, ~0ull);

    in = dec(64, "48 81 c1 00 00 00 80");           /* add rcx, imm32 sx */
    ck_assert_uint_eq(in.imm, 0xffffffff80000000ull);
    in = dec(32, "81 c1 00 00 00 80");              /* 32-bit: as is */
    ck_assert_uint_eq(in.imm, 0x80000000ull);

    in = dec(64, "66 48 05 34 12 00 00");           /* REX.W beats 66 */
    ck_assert_int_eq(in.opsize, 8);
    ck_assert(in.flags & INSN_OPSIZE);
    in = dec(64, "66 05 34 12");                    /* add ax, 0x1234 */
    ck_assert_int_eq(in.opsize, 2);
    ck_assert_uint_eq(in.imm, 0x1234);
    in = dec(16, "66 05 78 56 34 12");              /* add eax in 16-bit */
    ck_assert_int_eq(in.opsize, 4);
    ck_assert_uint_eq(in.imm, 0x12345678);

    in = dec(32, "f6 c3 05");                       /* test bl, 5 */
    ck_assert_int_eq(in.op, OP(TEST));
    ck_assert_int_eq(in.form, FORM_RM_IMM);
    in = dec(32, "f7 d8");                          /* neg eax */
    ck_assert_int_eq(in.op, OP(NEG));
    ck_assert_int_eq(in.form, FORM_RM);
    in = dec(32, "6b c0 fe");                       /* imul eax, eax, -2 */
    ck_assert_int_eq(in.op, OP(IMUL));
    ck_assert_int_eq(in.form, FORM_REG_RM_IMM);
    ck_assert_uint_eq(in.imm, (uint64_t)-2);
}
END_TEST

START_TEST(test_addressing16)
{
    struct x86_insn in = dec(16, "8b 42 10");       /* mov ax, [bp+si+0x10] */
    ck_assert(in.flags & INSN_MEM);
    ck_assert_int_eq(in.addrsize, 2);
    ck_assert_int_eq(in.mem.base, R_RBP);
    ck_assert_int_eq(in.mem.index, R_RSI);
    ck_assert_int_eq(in.mem.scale, 1);
    ck_assert_int_eq(in.mem.disp, 0x10);
    ck_assert_int_eq(in.mem.seg, S_SS);
    ck_assert_int_eq(in.reg, R_RAX);

    in = dec(16, "8b 40 f0");                       /* [bx+si-0x10] DS */
    ck_assert_int_eq(in.mem.base, R_RBX);
    ck_assert_int_eq(in.mem.disp, -0x10);
    ck_assert_int_eq(in.mem.seg, S_DS);

    in = dec(16, "8b 06 34 12");                    /* [0x1234] */
    ck_assert_int_eq(in.mem.base, -1);
    ck_assert_int_eq(in.mem.index, -1);
    ck_assert_int_eq(in.mem.disp, 0x1234);
    ck_assert_int_eq(in.mem.seg, S_DS);

    in = dec(16, "8b 86 00 80");                    /* [bp-0x8000] SS */
    ck_assert_int_eq(in.mem.base, R_RBP);
    ck_assert_int_eq(in.mem.index, -1);
    ck_assert_int_eq(in.mem.disp, -0x8000);
    ck_assert_int_eq(in.mem.seg, S_SS);

    in = dec(16, "26 8b 46 00");                    /* es: [bp+0] */
    ck_assert_int_eq(in.mem.seg, S_ES);
    ck_assert_int_eq(in.seg_override, S_ES);

    in = dec(16, "67 8b 04 24");                    /* 67: 32-bit [esp] */
    ck_assert_int_eq(in.addrsize, 4);
    ck_assert_int_eq(in.mem.base, R_RSP);
    ck_assert_int_eq(in.mem.seg, S_SS);
    in = dec(32, "67 8b 07");                       /* 67: 16-bit [bx] */
    ck_assert_int_eq(in.addrsize, 2);
    ck_assert_int_eq(in.mem.base, R_RBX);
}
END_TEST

START_TEST(test_addressing32_64)
{
    /* SIB with no base: mod 00, base 101 -> disp32 (+ index) */
    struct x86_insn in = dec(32, "8b 04 8d 00 10 00 00");  /* [ecx*4+0x1000] */
    ck_assert_int_eq(in.mem.base, -1);
    ck_assert_int_eq(in.mem.index, R_RCX);
    ck_assert_int_eq(in.mem.scale, 4);
    ck_assert_int_eq(in.mem.disp, 0x1000);
    ck_assert_int_eq(in.mem.seg, S_DS);

    in = dec(32, "8b 05 78 56 34 12");              /* [disp32] in 32-bit */
    ck_assert_int_eq(in.mem.base, -1);
    ck_assert_int_eq(in.mem.rip_rel, 0);
    ck_assert_int_eq(in.mem.disp, 0x12345678);

    in = dec(64, "8b 05 f0 ff ff ff");              /* [rip-0x10] */
    ck_assert_int_eq(in.mem.rip_rel, 1);
    ck_assert_int_eq(in.mem.base, -1);
    ck_assert_int_eq(in.mem.disp, -0x10);
    ck_assert_int_eq(in.addrsize, 8);
    in = dec(64, "67 8b 05 10 00 00 00");           /* [eip+0x10] */
    ck_assert_int_eq(in.mem.rip_rel, 1);
    ck_assert_int_eq(in.addrsize, 4);

    in = dec(64, "8b 04 25 00 10 00 00");           /* SIB no base no index: absolute */
    ck_assert_int_eq(in.mem.rip_rel, 0);
    ck_assert_int_eq(in.mem.base, -1);
    ck_assert_int_eq(in.mem.index, -1);
    ck_assert_int_eq(in.mem.disp, 0x1000);

    in = dec(64, "8b 04 24");                       /* [rsp] SS */
    ck_assert_int_eq(in.mem.base, R_RSP);
    ck_assert_int_eq(in.mem.index, -1);
    ck_assert_int_eq(in.mem.seg, S_SS);
    in = dec(64, "41 8b 04 24");                    /* [r12]: needs SIB too */
    ck_assert_int_eq(in.mem.base, R_R12);
    ck_assert_int_eq(in.mem.index, -1);
    ck_assert_int_eq(in.mem.seg, S_DS);
    in = dec(64, "42 8b 04 24");                    /* REX.X: index r12 */
    ck_assert_int_eq(in.mem.base, R_RSP);
    ck_assert_int_eq(in.mem.index, R_R12);

    in = dec(64, "41 8b 45 00");                    /* [r13+0]: needs mod 01 */
    ck_assert_int_eq(in.mem.base, R_R13);
    ck_assert_int_eq(in.mem.disp, 0);
    ck_assert_int_eq(in.mem.rip_rel, 0);
    in = dec(64, "41 8b 05 44 33 22 11");           /* mod 00 rm 101: RIP-rel even with REX.B */
    ck_assert_int_eq(in.mem.rip_rel, 1);
    ck_assert_int_eq(in.mem.base, -1);
    in = dec(64, "41 8b 04 25 00 10 00 00");        /* SIB base 101 mod 00: no base, not r13 */
    ck_assert_int_eq(in.mem.base, -1);
    ck_assert_int_eq(in.mem.rip_rel, 0);
    in = dec(64, "41 8b 44 25 08");                 /* mod 01: r13 base */
    ck_assert_int_eq(in.mem.base, R_R13);
    ck_assert_int_eq(in.mem.disp, 8);

    in = dec(64, "4f 8b 84 c8 80 00 00 00");        /* mov r8, [r8+r9*8+0x80] */
    ck_assert_int_eq(in.reg, R_R8);
    ck_assert_int_eq(in.mem.base, R_R8);
    ck_assert_int_eq(in.mem.index, R_R9);
    ck_assert_int_eq(in.mem.scale, 8);
    ck_assert_int_eq(in.mem.disp, 0x80);
    ck_assert_int_eq(in.opsize, 8);

    in = dec(32, "8b 45 fc");                       /* [ebp-4] SS */
    ck_assert_int_eq(in.mem.seg, S_SS);
    ck_assert_int_eq(in.mem.disp, -4);
}
END_TEST

START_TEST(test_segments64)
{
    /* ES/CS/SS/DS overrides are decoded but ignored in 64-bit mode */
    struct x86_insn in = dec(64, "26 8b 00");
    ck_assert_int_eq(in.seg_override, S_ES);
    ck_assert_int_eq(in.mem.seg, S_DS);
    in = dec(64, "3e 8b 45 00");                    /* ds: [rbp]: stays SS */
    ck_assert_int_eq(in.mem.seg, S_SS);
    in = dec(64, "64 8b 04 25 28 00 00 00");        /* fs:[0x28] */
    ck_assert_int_eq(in.mem.seg, S_FS);
    ck_assert_int_eq(in.seg_override, S_FS);
    in = dec(64, "65 48 8b 04 24");                 /* gs:[rsp] */
    ck_assert_int_eq(in.mem.seg, S_GS);
    in = dec(32, "26 8b 00");                       /* 32-bit: es applies */
    ck_assert_int_eq(in.mem.seg, S_ES);
    in = dec(32, "8b 00");
    ck_assert_int_eq(in.seg_override, S_NONE);
}
END_TEST

START_TEST(test_rex_rules)
{
    /* REX followed by a legacy prefix is ignored */
    struct x86_insn in = dec(64, "48 66 01 c0");    /* add ax, ax */
    ck_assert_int_eq(in.opsize, 2);
    ck_assert(!(in.flags & INSN_REX));
    in = dec(64, "41 f3 89 c0");
    ck_assert_int_eq(in.rm, R_RAX);
    ck_assert_int_eq(in.opsize, 4);
    in = dec(64, "f3 41 89 c0");                    /* REX last counts */
    ck_assert_int_eq(in.rm, R_R8);
    ck_assert(in.flags & INSN_REX);
    in = dec(64, "41 48 89 c0");                    /* the last REX counts */
    ck_assert_int_eq(in.rm, R_RAX);
    ck_assert_int_eq(in.opsize, 8);

    /* AH vs SPL: byte register 4 is AH without REX, SPL with */
    in = dec(64, "88 e0");                          /* mov al, ah */
    ck_assert_int_eq(in.reg, 4);
    ck_assert(!(in.flags & INSN_REX));
    in = dec(64, "40 88 e0");                       /* mov al, spl */
    ck_assert_int_eq(in.reg, 4);
    ck_assert(in.flags & INSN_REX);
    ck_assert_int_eq(in.opsize, 1);

    /* 40-4F are INC/DEC outside 64-bit mode */
    in = dec(32, "41");
    ck_assert_int_eq(in.op, OP(INC));
    ck_assert_int_eq(in.form, FORM_REG);
    ck_assert_int_eq(in.reg, R_RCX);
    in = dec(16, "4f");
    ck_assert_int_eq(in.op, OP(DEC));
    ck_assert_int_eq(in.reg, R_RDI);
    ck_assert_int_eq(in.opsize, 2);

    /* MOV r64, imm64 and the REX.B register */
    in = dec(64, "49 b8 88 77 66 55 44 33 22 11");
    ck_assert_int_eq(in.op, OP(MOV));
    ck_assert_int_eq(in.form, FORM_REG_IMM);
    ck_assert_int_eq(in.reg, R_R8);
    ck_assert_int_eq(in.opsize, 8);
    ck_assert_uint_eq(in.imm, 0x1122334455667788ull);
    in = dec(64, "b8 88 77 66 55");                 /* mov eax, imm32 */
    ck_assert_int_eq(in.opsize, 4);
    ck_assert_uint_eq(in.imm, 0x55667788);
    in = dec(64, "48 c7 c0 ff ff ff ff");           /* mov rax, -1 (imm32 sx) */
    ck_assert_uint_eq(in.imm, ~0ull);

    /* 90 with REX.B is XCHG r8, rax, not NOP */
    in = dec(64, "41 90");
    ck_assert_int_eq(in.op, OP(XCHG));
    ck_assert_int_eq(in.reg, R_R8);
    ck_assert_int_eq(in.rm, R_RAX);
    in = dec(64, "90");
    ck_assert_int_eq(in.op, OP(NOP));
    in = dec(64, "f3 90");                          /* PAUSE */
    ck_assert_int_eq(in.op, OP(NOP));
    in = dec(32, "93");                             /* xchg ebx, eax */
    ck_assert_int_eq(in.op, OP(XCHG));
    ck_assert_int_eq(in.reg, R_RBX);
    ck_assert_int_eq(in.rm, R_RAX);
}
END_TEST

START_TEST(test_branches)
{
    struct x86_insn in = dec(64, "e9 00 01 00 00"); /* jmp rel32 */
    ck_assert_int_eq(in.op, OP(JMP));
    ck_assert_int_eq(in.form, FORM_REL);
    ck_assert_int_eq(in.opsize, 8);
    ck_assert_uint_eq(in.imm, 0x100);
    in = dec(64, "66 e9 fe ff");                    /* 66: rel16, opsize 16 */
    ck_assert_int_eq(in.opsize, 2);
    ck_assert_uint_eq(in.imm, (uint64_t)-2);
    in = dec(64, "48 e9 00 00 00 80");              /* REX.W: still rel32 */
    ck_assert_int_eq(in.opsize, 8);
    ck_assert_uint_eq(in.imm, 0xffffffff80000000ull);
    in = dec(16, "e8 fd ff");                       /* call rel16 */
    ck_assert_int_eq(in.op, OP(CALL));
    ck_assert_int_eq(in.opsize, 2);
    ck_assert_uint_eq(in.imm, (uint64_t)-3);
    in = dec(16, "66 e8 00 00 01 00");              /* call rel32 in 16-bit */
    ck_assert_int_eq(in.opsize, 4);
    ck_assert_uint_eq(in.imm, 0x10000);
    in = dec(32, "0f 84 80 00 00 00");              /* je rel32 */
    ck_assert_int_eq(in.op, OP(JCC));
    ck_assert_int_eq(in.cond, 4);
    ck_assert_uint_eq(in.imm, 0x80);
    ck_assert_int_eq(in.map, 1);
    ck_assert_int_eq(in.opcode, 0x84);
    in = dec(32, "7f 80");                          /* jg -128 */
    ck_assert_int_eq(in.cond, 15);
    ck_assert_uint_eq(in.imm, (uint64_t)-128);
    in = dec(64, "ff d0");                          /* call rax */
    ck_assert_int_eq(in.op, OP(CALL_IND));
    ck_assert_int_eq(in.opsize, 8);
    in = dec(64, "ff 20");                          /* jmp [rax] */
    ck_assert_int_eq(in.op, OP(JMP_IND));
    ck_assert_int_eq(in.opsize, 8);
    in = dec(32, "ff 2d 00 10 00 00");              /* jmp far [0x1000] */
    ck_assert_int_eq(in.op, OP(JMPF_IND));
    in = dec(32, "ff e8");                          /* jmp far reg: #UD */
    ck_assert_int_eq(in.op, OP(UD));
    in = dec(32, "67 e3 10");                       /* jcxz (16-bit count) */
    ck_assert_int_eq(in.op, OP(JCXZ));
    ck_assert_int_eq(in.addrsize, 2);
    in = dec(64, "e2 fe");                          /* loop: rcx */
    ck_assert_int_eq(in.op, OP(LOOP));
    ck_assert_int_eq(in.addrsize, 8);
    in = dec(16, "ea 00 7c 00 00");                 /* jmp 0000:7c00 */
    ck_assert_int_eq(in.op, OP(JMPF));
    ck_assert_int_eq(in.form, FORM_FAR);
    ck_assert_uint_eq(in.imm, 0x7c00);
    ck_assert_uint_eq(in.imm2, 0);
    in = dec(32, "9a 78 56 34 12 08 00");           /* call 0008:12345678 */
    ck_assert_int_eq(in.op, OP(CALLF));
    ck_assert_uint_eq(in.imm, 0x12345678);
    ck_assert_uint_eq(in.imm2, 8);
    in = dec(64, "ea 00 00 00 00 08 00");           /* #UD in 64-bit */
    ck_assert_int_eq(in.op, OP(UD));
    in = dec(64, "c2 08 00");                       /* ret 8 */
    ck_assert_int_eq(in.op, OP(RET));
    ck_assert_int_eq(in.form, FORM_IMM);
    ck_assert_uint_eq(in.imm, 8);
    ck_assert_int_eq(in.opsize, 8);
    in = dec(64, "48 cf");                          /* iretq */
    ck_assert_int_eq(in.op, OP(IRET));
    ck_assert_int_eq(in.opsize, 8);
    in = dec(64, "cf");                             /* iretd */
    ck_assert_int_eq(in.opsize, 4);
}
END_TEST

START_TEST(test_stack)
{
    struct x86_insn in = dec(64, "41 57");          /* push r15 */
    ck_assert_int_eq(in.op, OP(PUSH));
    ck_assert_int_eq(in.form, FORM_REG);
    ck_assert_int_eq(in.reg, R_R15);
    ck_assert_int_eq(in.opsize, 8);
    in = dec(64, "66 50");                          /* push ax */
    ck_assert_int_eq(in.opsize, 2);
    in = dec(32, "50");
    ck_assert_int_eq(in.opsize, 4);
    in = dec(64, "6a ff");                          /* push -1 */
    ck_assert_int_eq(in.op, OP(PUSH));
    ck_assert_int_eq(in.form, FORM_IMM);
    ck_assert_uint_eq(in.imm, ~0ull);
    ck_assert_int_eq(in.opsize, 8);
    in = dec(64, "68 00 00 00 80");                 /* push imm32 sx */
    ck_assert_uint_eq(in.imm, 0xffffffff80000000ull);
    in = dec(16, "68 34 12");
    ck_assert_uint_eq(in.imm, 0x1234);
    in = dec(64, "0f a8");                          /* push gs */
    ck_assert_int_eq(in.op, OP(PUSH_SREG));
    ck_assert_int_eq(in.sreg, S_GS);
    ck_assert_int_eq(in.opsize, 8);
    in = dec(32, "1f");                             /* pop ds */
    ck_assert_int_eq(in.op, OP(POP_SREG));
    ck_assert_int_eq(in.sreg, S_DS);
    in = dec(64, "1f");
    ck_assert_int_eq(in.op, OP(UD));
    in = dec(16, "c8 10 00 02");                    /* enter 0x10, 2 */
    ck_assert_int_eq(in.op, OP(ENTER));
    ck_assert_uint_eq(in.imm, 0x10);
    ck_assert_uint_eq(in.imm2, 2);
    in = dec(64, "8f 00");                          /* pop [rax] */
    ck_assert_int_eq(in.op, OP(POP));
    ck_assert_int_eq(in.form, FORM_RM);
    ck_assert_int_eq(in.opsize, 8);
    in = dec(32, "60");
    ck_assert_int_eq(in.op, OP(PUSHA));
    in = dec(64, "60");
    ck_assert_int_eq(in.op, OP(UD));
}
END_TEST

START_TEST(test_lock)
{
    struct x86_insn in = dec(32, "f0 01 03");       /* lock add [ebx], eax */
    ck_assert_int_eq(in.op, OP(ADD));
    ck_assert(in.flags & INSN_LOCK);
    in = dec(32, "f0 01 c3");                       /* register dest: #UD */
    ck_assert_int_eq(in.op, OP(UD));
    in = dec(32, "f0 03 03");                       /* reg <- mem: #UD */
    ck_assert_int_eq(in.op, OP(UD));
    in = dec(32, "f0 39 03");                       /* lock cmp: #UD */
    ck_assert_int_eq(in.op, OP(UD));
    in = dec(32, "f0 89 03");                       /* lock mov: #UD */
    ck_assert_int_eq(in.op, OP(UD));
    in = dec(32, "f0 87 03");                       /* lock xchg [ebx], eax */
    ck_assert_int_eq(in.op, OP(XCHG));
    in = dec(32, "f0 0f c7 0e");                    /* lock cmpxchg8b [esi] */
    ck_assert_int_eq(in.op, OP(CMPXCHG8B));
    ck_assert_int_eq(in.opsize, 4);
    in = dec(64, "f0 48 0f c7 0e");                 /* lock cmpxchg16b */
    ck_assert_int_eq(in.op, OP(CMPXCHG8B));
    ck_assert_int_eq(in.opsize, 8);
    in = dec(32, "f0 0f ba 28 03");                 /* lock bts [eax], 3 */
    ck_assert_int_eq(in.op, OP(BTS));
    in = dec(32, "f0 0f ba 20 03");                 /* lock bt: #UD */
    ck_assert_int_eq(in.op, OP(UD));
    in = dec(32, "f0 ff 00");                       /* lock inc [eax] */
    ck_assert_int_eq(in.op, OP(INC));
    in = dec(32, "f0 40");                          /* lock inc eax: #UD */
    ck_assert_int_eq(in.op, OP(UD));
    in = dec(32, "f0 f7 18");                       /* lock neg [eax] */
    ck_assert_int_eq(in.op, OP(NEG));
    in = dec(32, "f0 f7 00 01 00 00 00");           /* lock test: #UD */
    ck_assert_int_eq(in.op, OP(UD));
    in = dec(32, "f0 83 00 01");                    /* lock add [eax], 1 */
    ck_assert_int_eq(in.op, OP(ADD));
    in = dec(32, "f0 90");
    ck_assert_int_eq(in.op, OP(UD));
    in = dec(32, "f0 0f 20 c0");                    /* AMD's CR8 alias: #UD */
    ck_assert_int_eq(in.op, OP(UD));
}
END_TEST

START_TEST(test_system)
{
    /* MOV CR: always a register, whatever ModRM.mod says */
    struct x86_insn in = dec(32, "0f 20 00");       /* mov eax, cr0 */
    ck_assert_int_eq(in.op, OP(MOV_FROM_CR));
    ck_assert(!(in.flags & INSN_MEM));
    ck_assert_int_eq(in.reg, 0);
    ck_assert_int_eq(in.rm, R_RAX);
    ck_assert_int_eq(in.opsize, 4);
    in = dec(64, "0f 22 d8");                       /* mov cr3, rax */
    ck_assert_int_eq(in.op, OP(MOV_TO_CR));
    ck_assert_int_eq(in.form, FORM_REG_RM);
    ck_assert_int_eq(in.reg, 3);
    ck_assert_int_eq(in.opsize, 8);
    in = dec(64, "44 0f 22 c1");                    /* mov cr8, rcx */
    ck_assert_int_eq(in.reg, 8);
    ck_assert_int_eq(in.rm, R_RCX);
    ck_assert_int_eq(in.op, OP(MOV_TO_CR));
    in = dec(64, "0f 20 e8");                       /* cr5: #UD */
    ck_assert_int_eq(in.op, OP(UD));
    in = dec(32, "0f 23 f8");                       /* mov dr7, eax */
    ck_assert_int_eq(in.op, OP(MOV_TO_DR));
    ck_assert_int_eq(in.reg, 7);
    in = dec(64, "44 0f 21 c0");                    /* dr8: #UD */
    ck_assert_int_eq(in.op, OP(UD));

    in = dec(16, "8e d8");                          /* mov ds, ax */
    ck_assert_int_eq(in.op, OP(MOV_TO_SREG));
    ck_assert_int_eq(in.sreg, S_DS);
    ck_assert_int_eq(in.opsize, 2);
    in = dec(16, "8e c8");                          /* mov cs, ax: #UD */
    ck_assert_int_eq(in.op, OP(UD));
    in = dec(16, "8c f0");                          /* sreg 6: #UD */
    ck_assert_int_eq(in.op, OP(UD));
    in = dec(32, "8c 18");                          /* mov [eax], ds */
    ck_assert_int_eq(in.op, OP(MOV_FROM_SREG));
    ck_assert_int_eq(in.sreg, S_DS);
    ck_assert_int_eq(in.opsize, 2);

    in = dec(32, "0f 01 15 00 10 00 00");           /* lgdt [0x1000] */
    ck_assert_int_eq(in.op, OP(LGDT));
    ck_assert_int_eq(in.form, FORM_RM);
    in = dec(64, "0f 01 18");                       /* lidt [rax] */
    ck_assert_int_eq(in.op, OP(LIDT));
    ck_assert_int_eq(in.opsize, 8);
    in = dec(64, "0f 01 f8");
    ck_assert_int_eq(in.op, OP(SWAPGS));
    in = dec(32, "0f 01 f8");
    ck_assert_int_eq(in.op, OP(UD));
    in = dec(32, "0f 01 f9");
    ck_assert_int_eq(in.op, OP(RDTSCP));
    in = dec(32, "0f 01 d0");
    ck_assert_int_eq(in.op, OP(XGETBV));
    in = dec(32, "0f 01 3b");                       /* invlpg [ebx] */
    ck_assert_int_eq(in.op, OP(INVLPG));
    in = dec(32, "0f 01 f0");                       /* lmsw ax */
    ck_assert_int_eq(in.op, OP(LMSW));
    ck_assert_int_eq(in.opsize, 2);
    in = dec(32, "0f 01 e0");                       /* smsw eax */
    ck_assert_int_eq(in.op, OP(SMSW));
    in = dec(32, "0f 01 c8");                       /* monitor: not modelled */
    ck_assert_int_eq(in.op, OP(UD));
    in = dec(32, "0f 00 d8");                       /* ltr ax */
    ck_assert_int_eq(in.op, OP(LTR));
    ck_assert_int_eq(in.opsize, 2);
    in = dec(32, "0f 00 00");                       /* sldt [eax]: m16 */
    ck_assert_int_eq(in.op, OP(SLDT));
    ck_assert_int_eq(in.opsize, 2);
    in = dec(64, "48 0f 00 c8");                    /* str rax */
    ck_assert_int_eq(in.op, OP(STR));
    ck_assert_int_eq(in.opsize, 8);

    in = dec(64, "f3 48 0f ae c0");                 /* rdfsbase rax */
    ck_assert_int_eq(in.op, OP(RDFSBASE));
    ck_assert_int_eq(in.opsize, 8);
    ck_assert_int_eq(in.rm, R_RAX);
    in = dec(64, "f3 0f ae d9");                    /* wrgsbase ecx */
    ck_assert_int_eq(in.op, OP(WRGSBASE));
    ck_assert_int_eq(in.opsize, 4);
    in = dec(32, "f3 0f ae c0");                    /* not outside 64-bit */
    ck_assert_int_eq(in.op, OP(UD));
    in = dec(64, "0f ae f0");                       /* mfence */
    ck_assert_int_eq(in.op, OP(NOP));
    in = dec(64, "0f ae 38");                       /* clflush [rax] */
    ck_assert_int_eq(in.op, OP(NOP));
    in = dec(64, "48 0f ae 00");                    /* fxsave64 [rax] */
    ck_assert_int_eq(in.op, OP(FXSAVE));
    ck_assert_int_eq(in.opsize, 8);
    in = dec(32, "0f ae 08");
    ck_assert_int_eq(in.op, OP(FXRSTOR));

    in = dec(64, "0f c7 f0");                       /* rdrand eax */
    ck_assert_int_eq(in.op, OP(RDRAND));
    ck_assert_int_eq(in.form, FORM_RM);
    in = dec(64, "48 0f c7 f9");                    /* rdseed rcx */
    ck_assert_int_eq(in.op, OP(RDSEED));
    ck_assert_int_eq(in.rm, R_RCX);
    ck_assert_int_eq(in.opsize, 8);
    in = dec(32, "0f c7 c8");                       /* cmpxchg8b reg: #UD */
    ck_assert_int_eq(in.op, OP(UD));

    in = dec(32, "0f 0b");
    ck_assert_int_eq(in.op, OP(UD));
    in = dec(32, "0f a2");
    ck_assert_int_eq(in.op, OP(CPUID));
    in = dec(64, "0f 05");
    ck_assert_int_eq(in.op, OP(SYSCALL));
    in = dec(64, "48 0f 07");                       /* sysretq */
    ck_assert_int_eq(in.op, OP(SYSRET));
    ck_assert_int_eq(in.opsize, 8);
    in = dec(32, "63 c8");                          /* arpl ax, cx */
    ck_assert_int_eq(in.op, OP(ARPL));
    ck_assert_int_eq(in.form, FORM_RM_REG);
    ck_assert_int_eq(in.opsize, 2);
    in = dec(64, "48 63 c8");                       /* movsxd rcx, eax */
    ck_assert_int_eq(in.op, OP(MOVSXD));
    ck_assert_int_eq(in.form, FORM_REG_RM);
    ck_assert_int_eq(in.reg, R_RCX);
    ck_assert_int_eq(in.src_size, 4);
    ck_assert_int_eq(in.opsize, 8);
    in = dec(16, "c4 1e 00 10");                    /* les bx, [0x1000] */
    ck_assert_int_eq(in.op, OP(LES));
    ck_assert_int_eq(in.sreg, S_ES);
    in = dec(32, "0f b2 03");                       /* lss eax, [ebx] */
    ck_assert_int_eq(in.op, OP(LSS));
    ck_assert_int_eq(in.sreg, S_SS);
}
END_TEST

START_TEST(test_misc_ops)
{
    struct x86_insn in = dec(32, "0f b6 c3");       /* movzx eax, bl */
    ck_assert_int_eq(in.op, OP(MOVZX));
    ck_assert_int_eq(in.src_size, 1);
    ck_assert_int_eq(in.opsize, 4);
    in = dec(64, "48 0f bf 03");                    /* movsx rax, word [rbx] */
    ck_assert_int_eq(in.op, OP(MOVSX));
    ck_assert_int_eq(in.src_size, 2);
    ck_assert_int_eq(in.opsize, 8);
    in = dec(32, "0f 94 c0");                       /* sete al */
    ck_assert_int_eq(in.op, OP(SETCC));
    ck_assert_int_eq(in.cond, 4);
    ck_assert_int_eq(in.opsize, 1);
    ck_assert_int_eq(in.form, FORM_RM);
    in = dec(32, "0f 4c c1");                       /* cmovl eax, ecx */
    ck_assert_int_eq(in.op, OP(CMOVCC));
    ck_assert_int_eq(in.cond, 0xc);
    ck_assert_int_eq(in.form, FORM_REG_RM);
    in = dec(32, "f3 0f bc c1");
    ck_assert_int_eq(in.op, OP(TZCNT));
    in = dec(32, "0f bc c1");
    ck_assert_int_eq(in.op, OP(BSF));
    in = dec(32, "f3 0f bd c1");
    ck_assert_int_eq(in.op, OP(LZCNT));
    in = dec(32, "f3 0f b8 c1");
    ck_assert_int_eq(in.op, OP(POPCNT));
    in = dec(32, "0f a4 d8 04");                    /* shld eax, ebx, 4 */
    ck_assert_int_eq(in.op, OP(SHLD));
    ck_assert_int_eq(in.form, FORM_REG_RM_IMM);
    ck_assert_int_eq(in.rm, R_RAX);
    ck_assert_int_eq(in.reg, R_RBX);
    ck_assert_uint_eq(in.imm, 4);
    in = dec(32, "0f ad d8");                       /* shrd eax, ebx, cl */
    ck_assert_int_eq(in.op, OP(SHRD));
    ck_assert_int_eq(in.form, FORM_RM_REG_CL);
    in = dec(64, "41 0f c9");                       /* bswap r9d */
    ck_assert_int_eq(in.op, OP(BSWAP));
    ck_assert_int_eq(in.reg, R_R9);
    in = dec(32, "0f 38 f0 03");                    /* movbe eax, [ebx] */
    ck_assert_int_eq(in.op, OP(MOVBE));
    ck_assert_int_eq(in.map, 2);
    ck_assert_int_eq(in.form, FORM_REG_RM);
    in = dec(32, "0f 38 f1 03");
    ck_assert_int_eq(in.form, FORM_RM_REG);
    in = dec(32, "f2 0f 38 f1 c3");                 /* crc32: not modelled */
    ck_assert_int_eq(in.op, OP(UD));
    in = dec(64, "0f c3 03");                       /* movnti [rbx], eax */
    ck_assert_int_eq(in.op, OP(MOV));
    ck_assert_int_eq(in.form, FORM_RM_REG);
    in = dec(32, "66 0f 1f 44 00 00");              /* multi-byte NOP */
    ck_assert_int_eq(in.op, OP(NOP));
    in = dec(32, "0f 18 08");                       /* prefetcht0 */
    ck_assert_int_eq(in.op, OP(NOP));
    in = dec(32, "d9 ee");                          /* fldz */
    ck_assert_int_eq(in.op, OP(FPU));
    in = dec(32, "dd 84 24 00 01 00 00");           /* fld qword [esp+0x100] */
    ck_assert_int_eq(in.op, OP(FPU));
    in = dec(32, "c0 e0 03");                       /* shl al, 3 */
    ck_assert_int_eq(in.op, OP(SHL));
    ck_assert_int_eq(in.form, FORM_RM_IMM);
    ck_assert_uint_eq(in.imm, 3);
    in = dec(32, "d1 f8");                          /* sar eax, 1 */
    ck_assert_int_eq(in.op, OP(SAR));
    ck_assert_int_eq(in.form, FORM_RM_1);
    in = dec(32, "d3 e8");                          /* shr eax, cl */
    ck_assert_int_eq(in.op, OP(SHR));
    ck_assert_int_eq(in.form, FORM_RM_CL);
    in = dec(32, "8d 04 40");                       /* lea eax, [eax+eax*2] */
    ck_assert_int_eq(in.op, OP(LEA));
    in = dec(32, "8d c0");                          /* lea reg: #UD */
    ck_assert_int_eq(in.op, OP(UD));
    in = dec(32, "cd 80");
    ck_assert_int_eq(in.op, OP(INT));
    ck_assert_uint_eq(in.imm, 0x80);
    in = dec(16, "d4 0a");
    ck_assert_int_eq(in.op, OP(AAM));
    ck_assert_uint_eq(in.imm, 10);
}
END_TEST

START_TEST(test_io_and_strings)
{
    struct x86_insn in = dec(16, "e4 60");          /* in al, 0x60 */
    ck_assert_int_eq(in.op, OP(IN));
    ck_assert_int_eq(in.form, FORM_IMM);
    ck_assert_int_eq(in.opsize, 1);
    ck_assert_uint_eq(in.imm, 0x60);
    in = dec(32, "ef");                             /* out dx, eax */
    ck_assert_int_eq(in.op, OP(OUT));
    ck_assert_int_eq(in.form, FORM_DX);
    ck_assert_int_eq(in.opsize, 4);
    in = dec(64, "48 ed");                          /* REX.W ignored */
    ck_assert_int_eq(in.opsize, 4);
    in = dec(16, "66 ed");
    ck_assert_int_eq(in.opsize, 4);

    in = dec(32, "f3 a5");                          /* rep movsd */
    ck_assert_int_eq(in.op, OP(MOVS));
    ck_assert(in.flags & INSN_REP);
    ck_assert_int_eq(in.opsize, 4);
    ck_assert_int_eq(in.mem.seg, S_DS);
    ck_assert_int_eq(in.addrsize, 4);
    in = dec(32, "2e 67 a4");                       /* movsb cs:[si] */
    ck_assert_int_eq(in.mem.seg, S_CS);
    ck_assert_int_eq(in.addrsize, 2);
    ck_assert_int_eq(in.opsize, 1);
    in = dec(64, "f2 48 af");                       /* repne scasq */
    ck_assert_int_eq(in.op, OP(SCAS));
    ck_assert(in.flags & INSN_REPNE);
    ck_assert(!(in.flags & INSN_REP));
    ck_assert_int_eq(in.opsize, 8);
    in = dec(64, "f2 f3 aa");                       /* the last of F2/F3 wins */
    ck_assert(in.flags & INSN_REP);
    ck_assert(!(in.flags & INSN_REPNE));
    in = dec(64, "64 ac");                          /* lods fs:[rsi] */
    ck_assert_int_eq(in.mem.seg, S_FS);
    in = dec(16, "f3 6c");                          /* rep insb */
    ck_assert_int_eq(in.op, OP(INS));
    ck_assert_int_eq(in.opsize, 1);

    /* moffs: the offset has the address size */
    in = dec(16, "a0 34 12");                       /* mov al, [0x1234] */
    ck_assert_int_eq(in.op, OP(MOV));
    ck_assert_int_eq(in.form, FORM_REG_RM);
    ck_assert_int_eq(in.reg, R_RAX);
    ck_assert(in.flags & INSN_MEM);
    ck_assert_int_eq(in.mem.disp, 0x1234);
    ck_assert_int_eq(in.mem.base, -1);
    ck_assert_int_eq(in.mem.seg, S_DS);
    ck_assert_int_eq(in.opsize, 1);
    in = dec(32, "a3 78 56 34 12");                 /* mov [0x12345678], eax */
    ck_assert_int_eq(in.form, FORM_RM_REG);
    ck_assert_int_eq(in.mem.disp, 0x12345678);
    in = dec(64, "48 a1 88 77 66 55 44 33 22 11");  /* mov rax, [imm64] */
    ck_assert_int_eq(in.mem.disp, 0x1122334455667788ll);
    ck_assert_int_eq(in.opsize, 8);
    ck_assert_int_eq(in.mem.rip_rel, 0);
    in = dec(64, "67 a1 78 56 34 12");              /* 32-bit moffs */
    ck_assert_int_eq(in.mem.disp, 0x12345678);
    in = dec(32, "67 a1 34 12");                    /* 16-bit moffs */
    ck_assert_int_eq(in.mem.disp, 0x1234);
    in = dec(32, "65 a1 00 00 00 00");
    ck_assert_int_eq(in.mem.seg, S_GS);
}
END_TEST

START_TEST(test_limits)
{
    struct x86_insn in;
    uint8_t buf[32];
    size_t n = parse_hex("48 b8 88 77 66 55 44 33 22 11", buf, sizeof(buf));
    /* every truncation of a valid instruction asks for more bytes */
    for (size_t i = 0; i < n; i++)
        ck_assert_int_eq(x86_decode(&in, buf, i, 64), X86_DECODE_NEED_MORE);
    ck_assert_int_eq(x86_decode(&in, buf, n, 64), 10);
    n = parse_hex("8b 84 8d 00 10 00 00", buf, sizeof(buf));
    for (size_t i = 0; i < n; i++)
        ck_assert_int_eq(x86_decode(&in, buf, i, 32), X86_DECODE_NEED_MORE);

    /* 14 prefixes + 1-byte opcode = 15 bytes: fine; one more is too long */
    memset(buf, 0x66, sizeof(buf));
    buf[14] = 0x90;
    ck_assert_int_eq(x86_decode(&in, buf, 32, 32), 15);
    buf[14] = 0x66;
    buf[15] = 0x90;
    ck_assert_int_eq(x86_decode(&in, buf, 32, 32), X86_DECODE_TOO_LONG);
    /* too long even when the input ends early */
    ck_assert_int_eq(x86_decode(&in, buf, 15, 32), X86_DECODE_TOO_LONG);
    memset(buf, 0x26, sizeof(buf));
    ck_assert_int_eq(x86_decode(&in, buf, 20, 16), X86_DECODE_TOO_LONG);
    ck_assert_int_eq(x86_decode(&in, buf, 10, 16), X86_DECODE_NEED_MORE);
    /* 11 prefixes + 48 b8 imm64: 21 bytes */
    n = parse_hex("66 66 66 66 66 66 66 66 66 66 66 48 b8 00 00 00 00 00 00 00 00", buf, sizeof(buf));
    ck_assert_int_eq(x86_decode(&in, buf, n, 64), X86_DECODE_TOO_LONG);
    ck_assert_int_eq(x86_decode(&in, buf, 0, 64), X86_DECODE_NEED_MORE);
}
END_TEST

/* Truncation: every prefix of a decodable encoding is NEED_MORE, the exact
 * bytes decode the same as with more after them, and the decoder never
 * reads past `avail` (each try gets an exact-size heap copy, so ASan
 * catches an over-read). */
static uint64_t trunc_rng = 0x2545f4914f6cdd1dull;

START_TEST(test_truncation)
{
    static const uint8_t legacy[] = { 0x66, 0x67, 0xf2, 0xf3, 0xf0, 0x2e, 0x65 };
    long bad = 0;
    for (int bits = 16; bits <= 64; bits *= 2) {
        for (int i = 0; i < 20000; i++) {
            uint8_t buf[16];
            size_t n = 0;
            for (int k = (int)(trunc_rng % 3); k > 0; k--) {
                trunc_rng = trunc_rng * 6364136223846793005ull + 1442695040888963407ull;
                buf[n++] = legacy[(trunc_rng >> 33) % sizeof(legacy)];
            }
            while (n < sizeof(buf)) {
                trunc_rng = trunc_rng * 6364136223846793005ull + 1442695040888963407ull;
                buf[n++] = (uint8_t)(trunc_rng >> 40);
            }
            struct x86_insn full, part;
            int len = x86_decode(&full, buf, sizeof(buf), bits);
            if (len < 0)
                continue;
            for (int avail = 0; avail <= len; avail++) {
                uint8_t *copy = malloc(avail ? (size_t)avail : 1);
                memcpy(copy, buf, (size_t)avail);
                int got = x86_decode(&part, copy, (size_t)avail, bits);
                free(copy);
                if (avail < len ? got != X86_DECODE_NEED_MORE
                                : got != len || memcmp(&full, &part, sizeof(full)) != 0) {
                    if (++bad <= 10)
                        fprintf(stderr, "  truncation: %d-bit len %d avail %d got %d\n",
                                bits, len, avail, got);
                }
            }
        }
    }
    ck_assert_int_eq(bad, 0);
}
END_TEST

START_TEST(test_op_names)
{
    ck_assert_str_eq(x86_op_name(X86_OP_ADD), "ADD");
    ck_assert_str_eq(x86_op_name(X86_OP_FPU), "FPU");
    ck_assert_str_eq(x86_op_name(X86_OP_UD), "UD");
    ck_assert_str_eq(x86_op_name(X86_OP_COUNT), "?");
    ck_assert_str_eq(x86_op_name(-1), "?");
}
END_TEST

/* ------------------------------------------------------------------------ */
/* Agreement with Capstone on length
 *
 * For every encoding that glass decodes as a real operation (not UD),
 * Capstone must decode it too and to the same length; for the length-only
 * FPU decode (x87, SSE, MMX) the lengths must agree where Capstone decodes.
 * Where glass says UD, Capstone may still decode it: glass is stricter on
 * purpose (LOCK rules, unmodelled extensions), counted but not failed. */

struct cs_stats {
    long total;      /* encodings generated */
    long compared;   /* glass decoded a real operation */
    long agreed;     /* ... and Capstone gave the same length */
    long known;      /* ... or a listed, explained disagreement */
    long bad;        /* unexplained disagreement */
    long glass_ud;   /* glass UD or error, or FPU Capstone rejects: not compared */
    long cs_only;    /* ... of which glass UD and Capstone decodes */
};

/* Disagreements where Capstone 4.0.2 is wrong or decodes for a different
 * CPU than glass models.  Each returns the reason, or NULL.  cs_len is -1
 * when Capstone calls the bytes invalid. */
static bool is_legacy_prefix(uint8_t b)
{
    return b == 0x66 || b == 0x67 || b == 0xf0 || b == 0xf2 || b == 0xf3 ||
           b == 0x26 || b == 0x2e || b == 0x36 || b == 0x3e || b == 0x64 ||
           b == 0x65;
}

static const char *known_disagreement(int bits, const uint8_t *b, int len,
                                      int cs_len, const struct x86_insn *in)
{
    (void)len;
    int npfx = 0, has66 = 0, has67 = 0;
    while (is_legacy_prefix(b[npfx]) || (bits == 64 && (b[npfx] & 0xf0) == 0x40)) {
        has66 |= b[npfx] == 0x66;
        has67 |= b[npfx] == 0x67;
        npfx++;
    }
    bool cs_invalid = cs_len < 0;
    bool mod3 = (in->modrm >> 6) == 3;

    if (in->map == 1 && in->opcode == 0x0d)
        return "0F 0D PREFETCH group: unknown to Capstone 4";
    if (in->map == 1 && in->opcode >= 0x18 && in->opcode <= 0x1f && cs_invalid)
        return "0F 18-1F hint NOPs (SDM Table A-3, NOP Ev): Capstone 4 "
               "knows only PREFETCHh m8 and 0F 1F /0";
    if (in->map == 1 && in->opcode == 0xae && in->op == X86_OP_NOP && mod3 && cs_invalid)
        return "LFENCE/MFENCE/SFENCE with r/m != 0 (ignored by the CPU): "
               "Capstone 4 accepts only E8/F0/F8";
    if ((in->op == X86_OP_MOV_FROM_SREG || in->op == X86_OP_MOV_TO_SREG) &&
        cs_invalid && (in->flags & INSN_REX) && (b[npfx - 1] & 4))
        return "MOV Sreg with REX.R: REX.R is ignored, Capstone 4 rejects it";
    if ((in->op == X86_OP_POPCNT || (in->op >= X86_OP_RDFSBASE && in->op <= X86_OP_WRGSBASE)) &&
        cs_invalid) {
        int last = npfx - 1;
        if (bits == 64 && (b[last] & 0xf0) == 0x40)
            last--;
        if (bits == 16 || b[last] != 0xf3)
            return "mandatory F3 not next to 0F, or POPCNT in 16-bit code: "
                   "Capstone 4 rejects both";
    }
    if (in->map == 0 && npfx >= 2 && (has66 || has67) &&
        (in->opcode == 0xc2 || in->opcode == 0xe8 || in->opcode == 0x68 ||
         (in->opcode >= 0xa0 && in->opcode <= 0xa3)))
        return "66/67 with another prefix before C2/E8/68/A0-A3: Capstone 4 "
               "takes the wrong immediate size (67 48 E8 as rel16, 66 F3 E8 as "
               "rel32, 66 48 C2 with imm32) or rejects it";
    return NULL;
}

/* How often each known disagreement was seen, over the whole run. */
static struct { const char *why; long n; } reasons[16];

static void count_reason(const char *why)
{
    for (unsigned i = 0; i < sizeof(reasons) / sizeof(reasons[0]); i++) {
        if (reasons[i].why == why || !reasons[i].why) {
            reasons[i].why = why;
            reasons[i].n++;
            return;
        }
    }
}

static void print_reasons(void)
{
    for (unsigned i = 0; i < sizeof(reasons) / sizeof(reasons[0]) && reasons[i].why; i++)
        fprintf(stderr, "  known (%ld): %s\n", reasons[i].n, reasons[i].why);
}

static void compare_one(csh h, cs_insn *ci, int bits, const uint8_t *buf,
                        struct cs_stats *st)
{
    struct x86_insn in;
    int len = x86_decode(&in, buf, 16, bits);
    st->total++;
    const uint8_t *code = buf;
    size_t size = 15;
    uint64_t addr = 0;
    if (len < 0 || in.op == X86_OP_UD) {
        st->glass_ud++;
        if (len > 0 && cs_disasm_iter(h, &code, &size, &addr, ci)) {
            st->cs_only++;
            if (getenv("DEC_CSONLY")) {
                fprintf(stderr, "  cs-only %d-bit", bits);
                for (int i = 0; i < (int)ci->size; i++)
                    fprintf(stderr, " %02x", buf[i]);
                fprintf(stderr, " : %s %s\n", ci->mnemonic, ci->op_str);
            }
        }
        return;
    }
    int cs_len = cs_disasm_iter(h, &code, &size, &addr, ci) ? (int)ci->size : -1;
    if (in.op == X86_OP_FPU && cs_len < 0) {
        /* x87/SSE/MMX decode for length only: glass does not check their
         * mandatory-prefix rules, so only lengths are compared */
        st->glass_ud++;
        return;
    }
    st->compared++;
    if (cs_len == len) {
        st->agreed++;
        return;
    }
    const char *why = known_disagreement(bits, buf, len, cs_len, &in);
    if (why) {
        st->known++;
        count_reason(why);
        return;
    }
    st->bad++;
    if (st->bad <= (getenv("DEC_VERBOSE") ? 100000000 : 40)) {
        char hex[64] = "";
        for (int i = 0; i < 15 && i < (len > cs_len ? len : cs_len) + 2; i++)
            sprintf(hex + strlen(hex), "%02x ", buf[i]);
        fprintf(stderr, "  %d-bit %s: glass %s len %d, capstone %s %s len %d\n",
                bits, hex, x86_op_name(in.op), len,
                cs_len < 0 ? "(invalid)" : ci->mnemonic,
                cs_len < 0 ? "" : ci->op_str, cs_len);
    }
}

static csh cs_open_bits(int bits)
{
    csh h;
    cs_mode mode = bits == 16 ? CS_MODE_16 : bits == 32 ? CS_MODE_32 : CS_MODE_64;
    ck_assert_int_eq(cs_open(CS_ARCH_X86, mode, &h), CS_ERR_OK);
    return h;
}

static void report(const char *what, int bits, const struct cs_stats *st)
{
    fprintf(stderr, "capstone %s %d-bit: %ld encodings, %ld compared, %ld agree, "
            "%ld known disagreements, %ld bad; %ld not compared (%ld glass UD that "
            "Capstone decodes)\n",
            what, bits, st->total, st->compared, st->agreed, st->known, st->bad,
            st->glass_ud, st->cs_only);
}

START_TEST(test_capstone_systematic)
{
    static const char *const prefixes_common[] = {
        "", "66", "67", "f3", "f2", "f0", "2e", "66 67", "66 f3", "f2 66",
        "36 66", "f0 67", NULL };
    static const char *const prefixes_64[] = {
        "", "66", "67", "f3", "f2", "f0", "64", "48", "41", "4d", "66 48",
        "f3 48", "48 66", "f0 48", "44", "66 f3", "f2 66", "67 48", "66 67 4c",
        "26 42", "f0 66 41", NULL };
    static const uint8_t sibs[] = { 0x00, 0x25, 0x65, 0xe4, 0x2d, 0x9c, 0xed };
    long bad = 0;
    for (int bits = 16; bits <= 64; bits *= 2) {
        csh h = cs_open_bits(bits);
        cs_insn *ci = cs_malloc(h);
        struct cs_stats st = { 0 };
        const char *const *pfx = bits == 64 ? prefixes_64 : prefixes_common;
        for (; *pfx; pfx++) {
            uint8_t buf[32];
            size_t np = parse_hex(*pfx, buf, sizeof(buf));
            for (int map = 0; map < 2; map++) {
                for (int op = 0; op < 256; op++) {
                    /* every ModRM byte where glass sees one; where it sees
                     * none a few tails suffice (Capstone would disagree on
                     * the length if there were a ModRM after all) */
                    struct x86_insn probe;
                    size_t m = np;
                    uint8_t pb[32] = { 0 };
                    memcpy(pb, buf, np);
                    if (map)
                        pb[m++] = 0x0f;
                    pb[m++] = (uint8_t)op;
                    int nmodrm = x86_decode(&probe, pb, sizeof(pb), bits) > 0 &&
                                 !(probe.flags & INSN_MODRM) ? 8 : 256;
                    for (int modrm = 0; modrm < nmodrm; modrm++) {
                        size_t n = np;
                        if (map)
                            buf[n++] = 0x0f;
                        buf[n++] = (uint8_t)op;
                        buf[n++] = (uint8_t)modrm;
                        buf[n++] = sibs[modrm % sizeof(sibs)];
                        for (uint8_t k = 1; n < sizeof(buf); k++)
                            buf[n++] = (uint8_t)(0x11 * k + modrm);
                        compare_one(h, ci, bits, buf, &st);
                    }
                }
            }
        }
        report("systematic", bits, &st);
        bad += st.bad;
        cs_free(ci, 1);
        cs_close(&h);
    }
    print_reasons();
    ck_assert_int_eq(bad, 0);
}
END_TEST

/* A fixed-seed xorshift generator, so failures reproduce. */
static uint64_t rng_state = 0x9e3779b97f4a7c15ull;
static uint32_t rng_next(void)
{
    rng_state ^= rng_state << 13;
    rng_state ^= rng_state >> 7;
    rng_state ^= rng_state << 17;
    return (uint32_t)(rng_state >> 16);
}

START_TEST(test_capstone_random)
{
    static const uint8_t legacy[] = {
        0x66, 0x67, 0xf2, 0xf3, 0xf0, 0x26, 0x2e, 0x36, 0x3e, 0x64, 0x65 };
    long bad = 0;
    for (int bits = 16; bits <= 64; bits *= 2) {
        csh h = cs_open_bits(bits);
        cs_insn *ci = cs_malloc(h);
        struct cs_stats st = { 0 };
        for (int i = 0; i < 200000; i++) {
            uint8_t buf[32];
            size_t n = 0;
            unsigned npfx = rng_next() % 4;
            for (unsigned k = 0; k < npfx; k++)
                buf[n++] = legacy[rng_next() % sizeof(legacy)];
            if (bits == 64 && rng_next() % 2)
                buf[n++] = (uint8_t)(0x40 | (rng_next() & 15));
            unsigned r = rng_next() % 8;
            if (r < 3)
                buf[n++] = 0x0f;
            while (n < sizeof(buf))
                buf[n++] = (uint8_t)rng_next();
            compare_one(h, ci, bits, buf, &st);
        }
        report("random", bits, &st);
        bad += st.bad;
        cs_free(ci, 1);
        cs_close(&h);
    }
    ck_assert_int_eq(bad, 0);
}
END_TEST

/* Memory operands field by field against Capstone's detail: every ModRM and
 * SIB byte of MOV r, r/m under a few address-size and REX prefixes. */
static const char *gpr_name(int reg, int size)
{
    static const char *const n64[16] = { "rax", "rcx", "rdx", "rbx", "rsp", "rbp",
        "rsi", "rdi", "r8", "r9", "r10", "r11", "r12", "r13", "r14", "r15" };
    static const char *const n32[16] = { "eax", "ecx", "edx", "ebx", "esp", "ebp",
        "esi", "edi", "r8d", "r9d", "r10d", "r11d", "r12d", "r13d", "r14d", "r15d" };
    static const char *const n16[8] = { "ax", "cx", "dx", "bx", "sp", "bp", "si", "di" };
    if (reg < 0)
        return "";
    return size == 8 ? n64[reg] : size == 4 ? n32[reg] : n16[reg & 7];
}

START_TEST(test_capstone_mem_operands)
{
    static const char *const prefixes_common[] = { "", "67", "26", "64 67", NULL };
    static const char *const prefixes_64[] = {
        "", "67", "41", "42", "43", "4b", "67 43", "65 4a", "26", NULL };
    static const char *const seg_names[] = { "es", "cs", "ss", "ds", "fs", "gs" };
    long compared = 0, bad = 0;
    for (int bits = 16; bits <= 64; bits *= 2) {
        csh h = cs_open_bits(bits);
        cs_option(h, CS_OPT_DETAIL, CS_OPT_ON);
        cs_insn *ci = cs_malloc(h);
        const char *const *pfx = bits == 64 ? prefixes_64 : prefixes_common;
        for (; *pfx; pfx++) {
            uint8_t pbytes[8];
            size_t np = parse_hex(*pfx, pbytes, sizeof(pbytes));
            for (int modrm = 0; modrm < 0xc0; modrm++) {
                for (int sib = 0; sib < 256; sib++) {
                    uint8_t buf[32];
                    size_t n = np;
                    memcpy(buf, pbytes, np);
                    buf[n++] = 0x8b;
                    buf[n++] = (uint8_t)modrm;
                    buf[n++] = (uint8_t)sib;
                    for (uint8_t k = 0; n < sizeof(buf); k++)
                        buf[n++] = (uint8_t)(0x80 + k + sib);
                    struct x86_insn in;
                    int len = x86_decode(&in, buf, sizeof(buf), bits);
                    const uint8_t *code = buf;
                    size_t size = 15;
                    uint64_t addr = 0;
                    /* (no ck_assert in this loop: each one costs a write) */
                    if (len <= 0 || !cs_disasm_iter(h, &code, &size, &addr, ci) ||
                        ci->size != len) {
                        bad++;
                        continue;
                    }
                    const cs_x86 *x = &ci->detail->x86;
                    const cs_x86_op *mem = NULL;
                    for (int i = 0; i < x->op_count; i++)
                        if (x->operands[i].type == X86_OP_MEM)
                            mem = &x->operands[i];
                    if (!mem) {
                        bad++;
                        continue;
                    }
                    compared++;
                    const char *base = in.mem.rip_rel ? (in.addrsize == 8 ? "rip" : "eip")
                                                      : gpr_name(in.mem.base, in.addrsize);
                    const char *cs_base = mem->mem.base ? cs_reg_name(h, mem->mem.base) : "";
                    const char *index = gpr_name(in.mem.index, in.addrsize);
                    const char *cs_index = mem->mem.index ? cs_reg_name(h, mem->mem.index) : "";
                    uint64_t amask = in.addrsize == 8 ? ~0ull : (1ull << (8 * in.addrsize)) - 1;
                    bool ok = strcmp(base, cs_base) == 0 && strcmp(index, cs_index) == 0 &&
                              (in.mem.index < 0 || in.mem.scale == mem->mem.scale) &&
                              (((uint64_t)in.mem.disp - (uint64_t)mem->mem.disp) & amask) == 0;
                    if (mem->mem.segment != X86_REG_INVALID)
                        ok = ok && in.seg_override != S_NONE &&
                             strcmp(seg_names[in.seg_override],
                                    cs_reg_name(h, mem->mem.segment)) == 0;
                    if (!ok && ++bad <= 20)
                        fprintf(stderr, "  %d-bit [%s] 8b %02x %02x: glass base '%s' index "
                                "'%s' scale %d disp %lld; capstone %s %s\n", bits, *pfx,
                                modrm, sib, base, index, in.mem.scale,
                                (long long)in.mem.disp, ci->mnemonic, ci->op_str);
                }
            }
        }
        cs_free(ci, 1);
        cs_close(&h);
    }
    fprintf(stderr, "capstone memory operands: %ld compared field by field, %ld bad\n",
            compared, bad);
    ck_assert_int_eq(bad, 0);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("decode");
    TCase *tc = tcase_create("fields");
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, test_alu_forms);
    tcase_add_test(tc, test_addressing16);
    tcase_add_test(tc, test_addressing32_64);
    tcase_add_test(tc, test_segments64);
    tcase_add_test(tc, test_rex_rules);
    tcase_add_test(tc, test_branches);
    tcase_add_test(tc, test_stack);
    tcase_add_test(tc, test_lock);
    tcase_add_test(tc, test_system);
    tcase_add_test(tc, test_misc_ops);
    tcase_add_test(tc, test_io_and_strings);
    tcase_add_test(tc, test_limits);
    tcase_add_test(tc, test_truncation);
    tcase_add_test(tc, test_op_names);
    suite_add_tcase(s, tc);

    TCase *cs = tcase_create("capstone");
    tcase_set_timeout(cs, 600);
    tcase_add_test(cs, test_capstone_systematic);
    tcase_add_test(cs, test_capstone_random);
    tcase_add_test(cs, test_capstone_mem_operands);
    suite_add_tcase(s, cs);

    return run_suite(s);
}
