/* x86_decode(): bytes -> struct x86_insn (see cpu/decode.h).
 *
 * The shape of an instruction (SDM Vol. 2, 2.1):
 *   legacy prefixes, REX (64-bit mode only, last before the opcode),
 *   opcode (1-3 bytes), ModRM, SIB, displacement, immediate(s).
 * Each step is a table lookup (cpu/decode_tables.c); the few opcodes whose
 * meaning depends on ModRM.mod, a mandatory prefix or the mode are finished
 * by decode_special() below.  No allocation, never a read past `avail`. */
#include "cpu/decode.h"

#include <string.h>

#include "cpu/decode_tables.h"
#include "cpu/x86_cpu.h"

#define REX_B 0x1
#define REX_X 0x2
#define REX_R 0x4
#define REX_W 0x8

/* Where the decoder is within the instruction bytes. */
struct decode_cursor {
    const uint8_t *bytes;
    size_t avail;
    unsigned pos;
};

/* 0 if n more bytes can be read; else why not.  An instruction longer than
 * 15 bytes raises #GP whatever follows (SDM Vol. 2, 2.3.11), so that is
 * checked before running out of input. */
static inline int cursor_need(const struct decode_cursor *c, unsigned n)
{
    if (c->pos + n > X86_MAX_INSN_LEN)
        return X86_DECODE_TOO_LONG;
    if (c->pos + n > c->avail)
        return X86_DECODE_NEED_MORE;
    return 0;
}

#define NEED(c, n) do { int need_err_ = cursor_need((c), (n)); \
                        if (need_err_) return need_err_; } while (0)

/* Little-endian unsigned read of n bytes (1, 2, 4, 8); NEED() first. */
static inline uint64_t cursor_take(struct decode_cursor *c, unsigned n)
{
    uint64_t v = 0;
    const uint8_t *p = c->bytes + c->pos;
    for (unsigned i = 0; i < n; i++)
        v |= (uint64_t)p[i] << (8 * i);
    c->pos += n;
    return v;
}

static inline uint64_t sign_extend(uint64_t v, unsigned bytes)
{
    unsigned shift = 64 - 8 * bytes;
    return (uint64_t)((int64_t)(v << shift) >> shift);
}

/* Descriptors for the three-byte maps (0F 38, 0F 3A): only MOVBE is
 * modelled; the SSSE3/SSE4 rest decodes for length as #UD. */
static const struct x86_opdesc movbe_load = {
    X86_OP_MOVBE, FORM_REG_RM, IMM_NONE, 0, A_MODRM | A_MEMONLY };
static const struct x86_opdesc movbe_store = {
    X86_OP_MOVBE, FORM_RM_REG, IMM_NONE, 0, A_MODRM | A_MEMONLY };
static const struct x86_opdesc map38_other = {
    X86_OP_UD, FORM_NONE, IMM_NONE, 0, A_MODRM };
static const struct x86_opdesc map3a_any = {
    X86_OP_UD, FORM_NONE, IMM_IB, 0, A_MODRM };

/* Operations that accept LOCK, on a memory destination only (SDM Vol. 2,
 * LOCK: "ADD, ADC, AND, BTC, BTR, BTS, CMPXCHG, CMPXCH8B, CMPXCHG16B, DEC,
 * INC, NEG, NOT, OR, SBB, SUB, XOR, XADD, and XCHG"). */
static const uint8_t lockable[X86_OP_COUNT] = {
    [X86_OP_ADD] = 1, [X86_OP_ADC] = 1, [X86_OP_AND] = 1, [X86_OP_BTC] = 1,
    [X86_OP_BTR] = 1, [X86_OP_BTS] = 1, [X86_OP_CMPXCHG] = 1,
    [X86_OP_CMPXCHG8B] = 1, [X86_OP_DEC] = 1, [X86_OP_INC] = 1,
    [X86_OP_NEG] = 1, [X86_OP_NOT] = 1, [X86_OP_OR] = 1, [X86_OP_SBB] = 1,
    [X86_OP_SUB] = 1, [X86_OP_XOR] = 1, [X86_OP_XADD] = 1, [X86_OP_XCHG] = 1,
};

/* 16-bit addressing (SDM Vol. 2, Table 2-1): base and index of ModRM.rm. */
static const int8_t base16[8] = { R_RBX, R_RBX, R_RBP, R_RBP, R_RSI, R_RDI, R_RBP, R_RBX };
static const int8_t index16[8] = { R_RSI, R_RDI, R_RSI, R_RDI, -1, -1, -1, -1 };

/* The memory operand of a ModRM byte with mod != 3: SIB, displacement,
 * default segment.  seg_eff is the override that applies, or S_NONE. */
static int decode_modrm_mem(struct x86_insn *in, struct decode_cursor *c,
                            int bits, uint8_t rex, uint8_t seg_eff)
{
    unsigned mod = in->modrm >> 6, rm = in->modrm & 7;
    struct x86_mem_operand *m = &in->mem;
    uint8_t seg = S_DS;
    unsigned disp_bytes;

    in->flags |= INSN_MEM;
    if (in->addrsize == 2) {
        if (mod == 0 && rm == 6) {
            disp_bytes = 2;                 /* [disp16] */
        } else {
            m->base = base16[rm];
            m->index = index16[rm];
            if (m->base == R_RBP)
                seg = S_SS;                 /* [BP+...] is stack-relative */
            disp_bytes = mod == 0 ? 0 : mod == 1 ? 1 : 2;
        }
    } else {
        if (rm == 4) {                      /* SIB follows */
            NEED(c, 1);
            uint8_t sib = (uint8_t)cursor_take(c, 1);
            unsigned idx = ((sib >> 3) & 7) | (rex & REX_X ? 8 : 0);
            unsigned base = sib & 7;
            if (idx != 4)                   /* 100 without REX.X: no index */
                m->index = (int8_t)idx;
            m->scale = (uint8_t)(1u << (sib >> 6));
            if (base == 5 && mod == 0) {
                disp_bytes = 4;             /* no base, disp32 (even R13) */
            } else {
                m->base = (int8_t)(base | (rex & REX_B ? 8 : 0));
                disp_bytes = mod == 0 ? 0 : mod == 1 ? 1 : 4;
            }
        } else if (rm == 5 && mod == 0) {
            disp_bytes = 4;
            /* 64-bit mode: RIP-relative (EIP-relative with 67), Table 2-7 */
            m->rip_rel = bits == 64;
        } else {
            m->base = (int8_t)(rm | (rex & REX_B ? 8 : 0));
            disp_bytes = mod == 0 ? 0 : mod == 1 ? 1 : 4;
        }
        if (m->base == R_RSP || m->base == R_RBP)
            seg = S_SS;
    }
    if (disp_bytes) {
        NEED(c, disp_bytes);
        m->disp = (int64_t)sign_extend(cursor_take(c, disp_bytes), disp_bytes);
    }
    m->seg = seg_eff != S_NONE ? seg_eff : seg;
    return 0;
}

/* 0F 01 (group 7, SDM Vol. 2, Table A-6): memory forms by ModRM.reg, the
 * register forms by the whole ModRM byte. */
static void decode_grp7(struct x86_insn *in, int bits)
{
    unsigned reg3 = (in->modrm >> 3) & 7;
    in->form = FORM_RM;
    if (in->flags & INSN_MEM) {
        static const uint8_t mem_ops[8] = {
            X86_OP_SGDT, X86_OP_SIDT, X86_OP_LGDT, X86_OP_LIDT,
            X86_OP_SMSW, X86_OP_UD, X86_OP_LMSW, X86_OP_INVLPG };
        in->op = mem_ops[reg3];
        if (reg3 <= 3)          /* pseudo-descriptor: 10 bytes in 64-bit mode */
            in->opsize = bits == 64 ? 8 : in->opsize;
        else if (reg3 == 4 || reg3 == 6)
            in->opsize = 2;
        return;
    }
    switch (in->modrm) {
    case 0xd0: in->op = X86_OP_XGETBV; in->form = FORM_NONE; return;
    case 0xd1: in->op = X86_OP_XSETBV; in->form = FORM_NONE; return;
    case 0xf8:
        in->op = bits == 64 ? X86_OP_SWAPGS : X86_OP_UD;
        in->form = FORM_NONE;
        return;
    case 0xf9: in->op = X86_OP_RDTSCP; in->form = FORM_NONE; return;
    }
    if (reg3 == 4) {
        in->op = X86_OP_SMSW;                  /* SMSW r16/r32/r64 */
    } else if (reg3 == 6) {
        in->op = X86_OP_LMSW;
        in->opsize = 2;
    } else {
        in->op = X86_OP_UD;   /* VMX, SVM, MONITOR/MWAIT, CLAC/STAC, ... */
        in->form = FORM_NONE;
    }
}

/* 0F AE (group 15): FXSAVE/FXRSTOR, SSE control, XSAVE family, CLFLUSH and
 * fences; with F3 and a register, RD/WR FS/GS BASE (64-bit mode only). */
static void decode_grp15(struct x86_insn *in, int bits, uint8_t rex, uint8_t last_rep)
{
    unsigned reg3 = (in->modrm >> 3) & 7;
    bool opsize_prefix = in->flags & INSN_OPSIZE;
    in->op = X86_OP_UD;
    in->form = FORM_RM;
    if (in->flags & INSN_MEM) {
        if (last_rep)
            return;
        if (opsize_prefix) {             /* 66: CLWB, CLFLUSHOPT */
            if (reg3 >= 6)
                in->op = X86_OP_NOP;
            return;
        }
        switch (reg3) {
        case 0: in->op = X86_OP_FXSAVE; break;
        case 1: in->op = X86_OP_FXRSTOR; break;
        case 7: in->op = X86_OP_NOP; break;  /* CLFLUSH */
        default: in->op = X86_OP_FPU; break; /* LDMXCSR STMXCSR XSAVE* */
        }
        in->opsize = rex & REX_W ? 8 : 4;    /* FXSAVE64 with REX.W */
        return;
    }
    in->form = FORM_NONE;
    if (last_rep == 0xf3) {
        static const uint8_t base_ops[4] = {
            X86_OP_RDFSBASE, X86_OP_RDGSBASE, X86_OP_WRFSBASE, X86_OP_WRGSBASE };
        if (reg3 < 4 && bits == 64 && !opsize_prefix) {
            in->op = base_ops[reg3];
            in->form = FORM_RM;
            in->opsize = rex & REX_W ? 8 : 4;
        }
        return;
    }
    if (!last_rep && !opsize_prefix && reg3 >= 5)
        in->op = X86_OP_NOP;                 /* LFENCE, MFENCE, SFENCE */
}

/* 0F C7 (group 9): CMPXCHG8B/16B, RDRAND, RDSEED. */
static void decode_grp9(struct x86_insn *in, uint8_t rex, uint8_t last_rep)
{
    unsigned reg3 = (in->modrm >> 3) & 7;
    in->op = X86_OP_UD;
    in->form = FORM_RM;
    if (in->flags & INSN_MEM) {
        if (reg3 == 1) {
            in->op = X86_OP_CMPXCHG8B;
            /* opsize is the size of each half: 4 (EDX:EAX) or 8 (RDX:RAX,
             * CMPXCHG16B with REX.W) */
            in->opsize = rex & REX_W ? 8 : 4;
        }
        return;
    }
    if (!last_rep && reg3 == 6)
        in->op = X86_OP_RDRAND;
    else if (!last_rep && reg3 == 7)
        in->op = X86_OP_RDSEED;              /* F3 /7 would be RDPID */
}

/* Opcodes the tables leave to code; runs after the ModRM operand is known. */
static void decode_special(struct x86_insn *in, unsigned special, int bits,
                           uint8_t rex, uint8_t last_rep)
{
    unsigned reg3 = (in->modrm >> 3) & 7;
    switch (special) {
    case SP_ARPL_MOVSXD:
        if (bits == 64) {
            in->op = X86_OP_MOVSXD;
            in->form = FORM_REG_RM;
            in->src_size = in->opsize >= 4 ? 4 : 2;
        } else {
            in->op = X86_OP_ARPL;
            in->form = FORM_RM_REG;
            in->opsize = 2;
        }
        break;
    case SP_NOP90:
        if (rex & REX_B) {                   /* XCHG r8, rax */
            in->op = X86_OP_XCHG;
            in->form = FORM_RM_REG;
            in->reg = R_R8;
            in->rm = R_RAX;
        } else {
            in->op = X86_OP_NOP;             /* NOP, F3 90 PAUSE */
        }
        break;
    case SP_MOV_FROM_SREG:
    case SP_MOV_TO_SREG:
        /* Sreg is ModRM.reg; REX.R is ignored.  6, 7 and MOV to CS are #UD */
        in->reg = (uint8_t)reg3;
        in->sreg = (uint8_t)reg3;
        if (special == SP_MOV_FROM_SREG) {
            in->op = X86_OP_MOV_FROM_SREG;
            if (in->flags & INSN_MEM)
                in->opsize = 2;              /* a store is always 16 bits */
        } else {
            in->op = X86_OP_MOV_TO_SREG;
        }
        if (reg3 > S_GS || (special == SP_MOV_TO_SREG && reg3 == S_CS))
            in->op = X86_OP_UD;
        break;
    case SP_GRP7:
        decode_grp7(in, bits);
        break;
    case SP_MOV_CR:
        in->op = in->opcode == 0x20 ? X86_OP_MOV_FROM_CR : X86_OP_MOV_TO_CR;
        /* CR0, CR2-CR4 and CR8 exist; the rest are #UD (SDM Vol. 2, MOV CR) */
        if (!(in->reg == 0 || in->reg == 2 || in->reg == 3 || in->reg == 4 ||
              in->reg == 8))
            in->op = X86_OP_UD;
        break;
    case SP_MOV_DR:
        in->op = in->opcode == 0x21 ? X86_OP_MOV_FROM_DR : X86_OP_MOV_TO_DR;
        if (in->reg > 7)                     /* DR8-15 with REX.R: #UD */
            in->op = X86_OP_UD;
        break;
    case SP_MAP38:
        /* MOVBE is 0F 38 F0/F1 without F2 (F2 is CRC32, not modelled);
         * the rest of the map is already UD */
        if (in->op == X86_OP_MOVBE && last_rep == 0xf2)
            in->op = X86_OP_UD;
        break;
    case SP_GRP15:
        decode_grp15(in, bits, rex, last_rep);
        break;
    case SP_F3_ALT:
        if (last_rep == 0xf3)
            in->op = in->opcode == 0xb8 ? X86_OP_POPCNT :
                     in->opcode == 0xbc ? X86_OP_TZCNT : X86_OP_LZCNT;
        else
            in->op = in->opcode == 0xb8 ? X86_OP_UD :   /* JMPE (IA-64) */
                     in->opcode == 0xbc ? X86_OP_BSF : X86_OP_BSR;
        break;
    case SP_MOVNTI:
        /* a MOV with a non-temporal hint; m32 or m64 only (66 ignored) */
        in->op = X86_OP_MOV;
        in->opsize = rex & REX_W ? 8 : 4;
        break;
    case SP_GRP9:
        decode_grp9(in, rex, last_rep);
        break;
    }
}

/* The immediate operand(s) of kind `kind`. */
static int decode_imm(struct x86_insn *in, struct decode_cursor *c, unsigned kind)
{
    unsigned n;
    switch (kind) {
    case IMM_NONE:
        return 0;
    case IMM_IB:
        NEED(c, 1);
        in->imm = cursor_take(c, 1);
        return 0;
    case IMM_IBS:
    case IMM_REL8:
        NEED(c, 1);
        in->imm = sign_extend(cursor_take(c, 1), 1);
        return 0;
    case IMM_IW:
        NEED(c, 2);
        in->imm = cursor_take(c, 2);
        return 0;
    case IMM_IZ:
        n = in->opsize > 4 ? 4 : in->opsize;
        NEED(c, n);
        in->imm = cursor_take(c, n);
        if (in->opsize == 8)
            in->imm = sign_extend(in->imm, 4);
        return 0;
    case IMM_IV:
        NEED(c, in->opsize);
        in->imm = cursor_take(c, in->opsize);
        return 0;
    case IMM_RELZ:
        n = in->opsize == 2 ? 2 : 4;
        NEED(c, n);
        in->imm = sign_extend(cursor_take(c, n), n);
        return 0;
    case IMM_ENTER:
        NEED(c, 3);
        in->imm = cursor_take(c, 2);
        in->imm2 = cursor_take(c, 1);
        return 0;
    case IMM_FAR:
        n = in->opsize == 2 ? 2 : 4;
        NEED(c, n + 2);
        in->imm = cursor_take(c, n);
        in->imm2 = cursor_take(c, 2);
        return 0;
    case IMM_MOFFS:
        NEED(c, in->addrsize);
        in->mem.disp = (int64_t)cursor_take(c, in->addrsize);
        in->flags |= INSN_MEM;
        return 0;
    }
    return 0;
}

int x86_decode(struct x86_insn *in, const uint8_t *bytes, size_t avail, int bits)
{
    struct decode_cursor c = { bytes, avail, 0 };
    uint8_t rex = 0, last_rep = 0, b;
    const struct x86_opdesc *d;
    struct x86_opdesc desc;

    memset(in, 0, sizeof(*in));
    in->seg_override = S_NONE;
    in->mem.base = -1;
    in->mem.index = -1;
    in->mem.scale = 1;

    /* Legacy prefixes in any order, any number (up to 15 bytes in all);
     * a REX counts only when the opcode follows it (SDM Vol. 2, 2.2.1). */
    for (;;) {
        NEED(&c, 1);
        b = bytes[c.pos];
        switch (b) {
        case 0x26: in->seg_override = S_ES; break;
        case 0x2e: in->seg_override = S_CS; break;
        case 0x36: in->seg_override = S_SS; break;
        case 0x3e: in->seg_override = S_DS; break;
        case 0x64: in->seg_override = S_FS; break;
        case 0x65: in->seg_override = S_GS; break;
        case 0x66: in->flags |= INSN_OPSIZE; break;
        case 0x67: in->flags |= INSN_ADSIZE; break;
        case 0xf0: in->flags |= INSN_LOCK; break;
        case 0xf2: case 0xf3: last_rep = b; break;
        case 0x40 ... 0x4f:
            if (bits != 64)
                goto opcode;
            c.pos++;
            rex = b;
            continue;
        default:
            goto opcode;
        }
        c.pos++;
        rex = 0;                             /* a legacy prefix after REX */
    }

opcode:
    if (rex)
        in->flags |= INSN_REX;
    if (last_rep)
        in->flags |= last_rep == 0xf3 ? INSN_REP : INSN_REPNE;

    /* Operand and address size (SDM Vol. 1, 3.6; Vol. 2, 2.2.1.2). */
    bool p66 = in->flags & INSN_OPSIZE, p67 = in->flags & INSN_ADSIZE;
    if (bits == 64) {
        in->opsize = rex & REX_W ? 8 : p66 ? 2 : 4;
        in->addrsize = p67 ? 4 : 8;
    } else if (bits == 32) {
        in->opsize = p66 ? 2 : 4;
        in->addrsize = p67 ? 2 : 4;
    } else {
        in->opsize = p66 ? 4 : 2;
        in->addrsize = p67 ? 4 : 2;
    }

    /* In 64-bit mode only FS and GS overrides change the segment. */
    uint8_t seg_eff = in->seg_override;
    if (bits == 64 && seg_eff != S_FS && seg_eff != S_GS)
        seg_eff = S_NONE;
    in->mem.seg = seg_eff != S_NONE ? seg_eff : S_DS;

    b = bytes[c.pos++];
    d = &x86_map_onebyte[b];
    if (b == 0x0f) {
        NEED(&c, 1);
        b = bytes[c.pos++];
        in->map = 1;
        d = &x86_map_0f[b];
        if (b == 0x38 || b == 0x3a) {
            NEED(&c, 1);
            uint8_t b3 = bytes[c.pos++];
            in->map = b == 0x38 ? 2 : 3;
            if (b == 0x3a)
                d = &map3a_any;
            else
                d = b3 == 0xf0 ? &movbe_load : b3 == 0xf1 ? &movbe_store
                                                          : &map38_other;
            b = b3;
        }
    }
    in->opcode = b;
    desc = *d;
    unsigned special = desc.attr & A_SPECIAL ? desc.arg : SP_NONE;
    if (in->map == 2)
        special = SP_MAP38;

    if (desc.attr & A_MODRM) {
        NEED(&c, 1);
        in->modrm = bytes[c.pos++];
        in->flags |= INSN_MODRM;
        in->reg = ((in->modrm >> 3) & 7) | (rex & REX_R ? 8 : 0);
        if (desc.attr & A_GROUP) {
            const struct x86_opdesc *row = &x86_group_rows[desc.arg][(in->modrm >> 3) & 7];
            desc.op = row->op;
            if (row->form)
                desc.form = row->form;
            if (row->imm)
                desc.imm = row->imm;
            desc.attr |= row->attr;
        }
    } else if (desc.attr & A_OPREG) {
        in->reg = (b & 7) | (rex & REX_B ? 8 : 0);
    }
    in->op = desc.op;
    in->form = desc.form;

    /* Operand size rules of the opcode. */
    if (desc.attr & A_BYTE)
        in->opsize = 1;
    else if (desc.attr & A_W16)
        in->opsize = 2;
    else if (bits == 64 && (desc.attr & A_D64))
        in->opsize = p66 && !(rex & REX_W) ? 2 : 8;
    else if ((desc.attr & A_SZ32) && in->opsize == 8)
        in->opsize = 4;

    if (desc.attr & A_MODRM) {
        if (special == SP_MOV_CR || special == SP_MOV_DR) {
            /* Always a register, whatever mod says (SDM Vol. 2, MOV CR) */
            in->rm = (in->modrm & 7) | (rex & REX_B ? 8 : 0);
            in->opsize = bits == 64 ? 8 : 4;
        } else if ((in->modrm >> 6) != 3) {
            int err = decode_modrm_mem(in, &c, bits, rex, seg_eff);
            if (err)
                return err;
        } else {
            in->rm = (in->modrm & 7) | (rex & REX_B ? 8 : 0);
        }
    }
    if (desc.attr & A_COND)
        in->cond = b & 15;
    if (desc.attr & A_SREG)
        in->sreg = desc.arg;
    if (desc.attr & A_SRC)
        in->src_size = desc.arg;
    if ((desc.attr & A_W16MEM) && (in->flags & INSN_MEM))
        in->opsize = 2;
    if (special)
        decode_special(in, special, bits, rex, last_rep);

    int err = decode_imm(in, &c, desc.imm);
    if (err)
        return err;

    /* Validity, checked once the length is known. */
    if ((desc.attr & A_I64) && bits == 64)
        in->op = X86_OP_UD;
    if ((desc.attr & A_MEMONLY) && !(in->flags & INSN_MEM))
        in->op = X86_OP_UD;
    if ((in->flags & INSN_LOCK) &&
        !(lockable[in->op] && (in->flags & INSN_MEM) &&
          (in->form == FORM_RM_REG || in->form == FORM_RM_IMM || in->form == FORM_RM)))
        in->op = X86_OP_UD;

    in->len = (uint8_t)c.pos;
    return (int)c.pos;
}
