/* The x86-64 encoder (translate/x64_emit.h).  Encodings from the SDM Vol. 2,
 * chapter 2 (REX, ModRM, SIB) and each instruction's opcode table. */
#include "translate/x64_emit.h"

#include <string.h>

void x64_nop5(struct x64 *e)
{
    static const uint8_t nop[5] = { 0x0f, 0x1f, 0x44, 0x00, 0x00 };
    for (int i = 0; i < 5; i++)
        x64_byte(e, nop[i]);
}

void x64_byte(struct x64 *e, uint8_t b)
{
    if (e->pos >= e->cap) {
        e->overflow = true;
        return;
    }
    e->buf[e->pos++] = b;
}

void x64_u32(struct x64 *e, uint32_t v)
{
    for (int i = 0; i < 4; i++)
        x64_byte(e, (uint8_t)(v >> (8 * i)));
}

void x64_u64(struct x64 *e, uint64_t v)
{
    for (int i = 0; i < 8; i++)
        x64_byte(e, (uint8_t)(v >> (8 * i)));
}

static bool fits8(int64_t v)
{
    return v >= -128 && v <= 127;
}

static bool fits32(int64_t v)
{
    return v >= INT32_MIN && v <= INT32_MAX;
}

/* One instruction: [66] [REX] opcode ModRM [SIB] [disp].  rm is a register
 * when m is NULL.  byteop: 8-bit operands, where registers 4-7 need a REX
 * prefix to mean SPL..DIL rather than AH..BH. */
static void emit(struct x64 *e, int size, bool byteop, const uint8_t *opc, int nopc, int reg,
                 int rm, const struct x64_mem *m)
{
    uint8_t rex = 0x40;
    bool force = false;

    if (size == 2)
        x64_byte(e, 0x66);
    if (size == 8)
        rex |= 8;
    if (reg >= 8)
        rex |= 4;
    if (m) {
        if (m->index >= 8)
            rex |= 2;
        if (m->base >= 8)
            rex |= 1;
    } else if (rm >= 8) {
        rex |= 1;
    }
    if (byteop && ((reg >= 4 && reg < 8) || (!m && rm >= 4 && rm < 8)))
        force = true;
    if (rex != 0x40 || force)
        x64_byte(e, rex);
    for (int i = 0; i < nopc; i++)
        x64_byte(e, opc[i]);
    if (!m) {
        x64_byte(e, (uint8_t)(0xc0 | (reg & 7) << 3 | (rm & 7)));
        return;
    }
    if (m->base == X_NONE) {                /* [index*scale + disp32] */
        int ss = m->scale == 8 ? 3 : m->scale == 4 ? 2 : m->scale == 2 ? 1 : 0;
        x64_byte(e, (uint8_t)((reg & 7) << 3 | 4));
        x64_byte(e, (uint8_t)(ss << 6 | (m->index & 7) << 3 | 5));
        x64_u32(e, (uint32_t)m->disp);
        return;
    }
    int mod = (m->disp == 0 && (m->base & 7) != 5) ? 0 : fits8(m->disp) ? 1 : 2;
    if (m->index == X_NONE && (m->base & 7) != 4) {
        x64_byte(e, (uint8_t)(mod << 6 | (reg & 7) << 3 | (m->base & 7)));
    } else {
        int ss = m->scale == 8 ? 3 : m->scale == 4 ? 2 : m->scale == 2 ? 1 : 0;
        int idx = m->index == X_NONE ? 4 : m->index & 7;
        x64_byte(e, (uint8_t)(mod << 6 | (reg & 7) << 3 | 4));
        x64_byte(e, (uint8_t)(ss << 6 | idx << 3 | (m->base & 7)));
    }
    if (mod == 1)
        x64_byte(e, (uint8_t)m->disp);
    else if (mod == 2)
        x64_u32(e, (uint32_t)m->disp);
}

static void emit1(struct x64 *e, int size, bool byteop, uint8_t opc, int reg, int rm,
                  const struct x64_mem *m)
{
    emit(e, size, byteop, &opc, 1, reg, rm, m);
}

void x64_mov_rr(struct x64 *e, int d, int s)
{
    if (d != s)
        emit1(e, 8, false, 0x89, s, d, NULL);
}

void x64_mov_part(struct x64 *e, int size, int d, int s)
{
    emit1(e, size, size == 1, size == 1 ? 0x88 : 0x89, s, d, NULL);
}

void x64_mov_ri(struct x64 *e, int d, uint64_t imm)
{
    if (imm <= 0xffffffffull) {             /* mov r32, imm32 zero-extends */
        if (d >= 8)
            x64_byte(e, 0x41);
        x64_byte(e, (uint8_t)(0xb8 + (d & 7)));
        x64_u32(e, (uint32_t)imm);
    } else if (fits32((int64_t)imm)) {      /* mov r/m64, imm32 sign-extends */
        emit1(e, 8, false, 0xc7, 0, d, NULL);
        x64_u32(e, (uint32_t)imm);
    } else {                                /* movabs */
        x64_byte(e, (uint8_t)(0x48 | (d >= 8)));
        x64_byte(e, (uint8_t)(0xb8 + (d & 7)));
        x64_u64(e, imm);
    }
}

void x64_load(struct x64 *e, int size, int d, struct x64_mem m)
{
    static const uint8_t movzx8[] = { 0x0f, 0xb6 }, movzx16[] = { 0x0f, 0xb7 };
    switch (size) {
    case 1: emit(e, 4, false, movzx8, 2, d, 0, &m); break;
    case 2: emit(e, 4, false, movzx16, 2, d, 0, &m); break;
    case 4: emit1(e, 4, false, 0x8b, d, 0, &m); break;
    default: emit1(e, 8, false, 0x8b, d, 0, &m); break;
    }
}

void x64_load_rax_abs(struct x64 *e, uint64_t addr)
{
    x64_byte(e, 0x48);
    x64_byte(e, 0xa1);
    x64_u64(e, addr);
}

void x64_store(struct x64 *e, int size, int s, struct x64_mem m)
{
    emit1(e, size, size == 1, size == 1 ? 0x88 : 0x89, s, 0, &m);
}

void x64_store_i(struct x64 *e, int size, int32_t imm, struct x64_mem m)
{
    emit1(e, size, false, size == 1 ? 0xc6 : 0xc7, 0, 0, &m);
    if (size == 1)
        x64_byte(e, (uint8_t)imm);
    else if (size == 2)
        x64_byte(e, (uint8_t)imm), x64_byte(e, (uint8_t)(imm >> 8));
    else
        x64_u32(e, (uint32_t)imm);
}

void x64_alu_rr(struct x64 *e, int op, int size, int d, int s)
{
    emit1(e, size, size == 1, (uint8_t)(op * 8 + (size == 1 ? 0 : 1)), s, d, NULL);
}

void x64_alu_ri(struct x64 *e, int op, int size, int d, int32_t imm)
{
    if (size == 1) {
        emit1(e, 1, true, 0x80, op, d, NULL);
        x64_byte(e, (uint8_t)imm);
    } else if (fits8(imm)) {
        emit1(e, size, false, 0x83, op, d, NULL);
        x64_byte(e, (uint8_t)imm);
    } else {
        emit1(e, size, false, 0x81, op, d, NULL);
        if (size == 2)
            x64_byte(e, (uint8_t)imm), x64_byte(e, (uint8_t)(imm >> 8));
        else
            x64_u32(e, (uint32_t)imm);
    }
}

void x64_alu_rm(struct x64 *e, int op, int size, int d, struct x64_mem m)
{
    emit1(e, size, size == 1, (uint8_t)(op * 8 + (size == 1 ? 2 : 3)), d, 0, &m);
}

void x64_alu_mi(struct x64 *e, int op, int size, struct x64_mem m, int32_t imm)
{
    if (size == 1) {
        emit1(e, 1, false, 0x80, op, 0, &m);
        x64_byte(e, (uint8_t)imm);
    } else if (fits8(imm)) {
        emit1(e, size, false, 0x83, op, 0, &m);
        x64_byte(e, (uint8_t)imm);
    } else {
        emit1(e, size, false, 0x81, op, 0, &m);
        if (size == 2)
            x64_byte(e, (uint8_t)imm), x64_byte(e, (uint8_t)(imm >> 8));
        else
            x64_u32(e, (uint32_t)imm);
    }
}

void x64_test_rr(struct x64 *e, int size, int a, int b)
{
    emit1(e, size, size == 1, size == 1 ? 0x84 : 0x85, b, a, NULL);
}

static void unary(struct x64 *e, uint8_t opc8, uint8_t opc, int digit, int size, int d)
{
    emit1(e, size, size == 1, size == 1 ? opc8 : opc, digit, d, NULL);
}

void x64_not(struct x64 *e, int size, int d) { unary(e, 0xf6, 0xf7, 2, size, d); }
void x64_neg(struct x64 *e, int size, int d) { unary(e, 0xf6, 0xf7, 3, size, d); }
void x64_inc(struct x64 *e, int size, int d) { unary(e, 0xfe, 0xff, 0, size, d); }
void x64_dec(struct x64 *e, int size, int d) { unary(e, 0xfe, 0xff, 1, size, d); }

void x64_shift_i(struct x64 *e, int digit, int size, int d, uint8_t count)
{
    unary(e, 0xc0, 0xc1, digit, size, d);
    x64_byte(e, count);
}

void x64_imul_ri(struct x64 *e, int size, int d, int s, int32_t imm)
{
    emit1(e, size, false, 0x69, d, s, NULL);
    x64_u32(e, (uint32_t)imm);
}

void x64_div(struct x64 *e, int size, int s)
{
    unary(e, 0xf6, 0xf7, 6, size, s);
}

void x64_imul_rr(struct x64 *e, int size, int d, int s)
{
    static const uint8_t op[] = { 0x0f, 0xaf };
    emit(e, size, false, op, 2, d, s, NULL);
}

void x64_zext(struct x64 *e, int size, int d, int s)
{
    static const uint8_t movzx8[] = { 0x0f, 0xb6 }, movzx16[] = { 0x0f, 0xb7 };
    if (size == 1)
        emit(e, 4, true, movzx8, 2, d, s, NULL);
    else if (size == 2)
        emit(e, 4, false, movzx16, 2, d, s, NULL);
    else if (size == 4)
        emit1(e, 4, false, 0x89, s, d, NULL);   /* mov r32, r32 */
    else
        x64_mov_rr(e, d, s);
}

void x64_sext(struct x64 *e, int size, int d, int s)
{
    static const uint8_t movsx8[] = { 0x0f, 0xbe }, movsx16[] = { 0x0f, 0xbf };
    if (size == 1)
        emit(e, 8, true, movsx8, 2, d, s, NULL);
    else if (size == 2)
        emit(e, 8, false, movsx16, 2, d, s, NULL);
    else if (size == 4)
        emit1(e, 8, false, 0x63, d, s, NULL);   /* movsxd */
    else
        x64_mov_rr(e, d, s);
}

void x64_setcc(struct x64 *e, int cc, int d)
{
    uint8_t op[] = { 0x0f, (uint8_t)(0x90 + cc) };
    emit(e, 1, true, op, 2, 0, d, NULL);
}

void x64_cmov(struct x64 *e, int cc, int d, int s)
{
    uint8_t op[] = { 0x0f, (uint8_t)(0x40 + cc) };
    emit(e, 8, false, op, 2, d, s, NULL);
}

void x64_lea(struct x64 *e, int size, int d, struct x64_mem m)
{
    emit1(e, size, false, 0x8d, d, 0, &m);
}

void x64_push(struct x64 *e, int r)
{
    if (r >= 8)
        x64_byte(e, 0x41);
    x64_byte(e, (uint8_t)(0x50 + (r & 7)));
}

void x64_pop(struct x64 *e, int r)
{
    if (r >= 8)
        x64_byte(e, 0x41);
    x64_byte(e, (uint8_t)(0x58 + (r & 7)));
}

void x64_ret(struct x64 *e)
{
    x64_byte(e, 0xc3);
}

void x64_call(struct x64 *e, const void *fn)
{
    x64_mov_ri(e, X_RAX, (uint64_t)(uintptr_t)fn);
    emit1(e, 4, false, 0xff, 2, X_RAX, NULL);
}

void x64_jmp_r(struct x64 *e, int r)
{
    emit1(e, 4, false, 0xff, 4, r, NULL);
}

void x64_jmp_m(struct x64 *e, struct x64_mem m)
{
    emit1(e, 4, false, 0xff, 4, 0, &m);
}

size_t x64_jmp(struct x64 *e, uintptr_t target)
{
    x64_byte(e, 0xe9);
    x64_u32(e, 0);
    x64_patch(e, e->pos, target);
    return e->pos;
}

size_t x64_jcc(struct x64 *e, int cc, uintptr_t target)
{
    x64_byte(e, 0x0f);
    x64_byte(e, (uint8_t)(0x80 + cc));
    x64_u32(e, 0);
    x64_patch(e, e->pos, target);
    return e->pos;
}

void x64_patch(struct x64 *e, size_t end, uintptr_t target)
{
    if (e->overflow || end < 4 || end > e->cap)
        return;
    int32_t rel = (int32_t)(int64_t)(target - (e->run + end));
    memcpy(e->buf + end - 4, &rel, 4);
}
