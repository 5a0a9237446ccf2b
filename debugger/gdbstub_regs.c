/* The gdb stub's register views and target descriptions: see
 * gdbstub_regs.h.  The register names, order and types are gdb's own
 * (gdb/features/i386/32bit-core.xml, 64bit-core.xml, *-sse.xml,
 * 64bit-segments.xml), which gdb's i386 code checks by name; glass adds
 * its system registers as one more feature, shown by `info registers all`. */
#include "debugger/gdbstub_regs.h"

#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "cpu/x86_cpu.h"

/* Offsets in the FXSAVE image (SDM Vol. 1, 10.5.1, Table 10-2). */
enum {
    FX_FCW = 0, FX_FSW = 2, FX_FTW = 4, FX_FOP = 6, FX_FIP = 8, FX_FCS = 12,
    FX_FDP = 16, FX_FDS = 20, FX_MXCSR = 24, FX_ST0 = 32, FX_XMM0 = 160,
};

enum reg_kind {
    RK_GPR, RK_PC, RK_FLAGS, RK_SEG, RK_ST, RK_FX16, RK_FX32, RK_FTAG,
    RK_XMM, RK_MXCSR, RK_SEGBASE, RK_CR, RK_EFER,
};

struct reg_def {
    const char *name;
    uint8_t size;           /* bytes */
    uint8_t kind;           /* enum reg_kind */
    uint8_t index;          /* GPR / segment / st / xmm / CR number, FXSAVE offset */
    const char *type;
    const char *feature;    /* a new <feature> starts where this changes */
};

#define CORE "org.gnu.gdb.i386.core"
#define SSE "org.gnu.gdb.i386.sse"
#define SEGS "org.gnu.gdb.i386.segments"
#define SYS "org.glass.x86.system"

#define X87_REGS(F) \
    { "st0", 10, RK_ST, 0, "i387_ext", F }, { "st1", 10, RK_ST, 1, "i387_ext", F }, \
    { "st2", 10, RK_ST, 2, "i387_ext", F }, { "st3", 10, RK_ST, 3, "i387_ext", F }, \
    { "st4", 10, RK_ST, 4, "i387_ext", F }, { "st5", 10, RK_ST, 5, "i387_ext", F }, \
    { "st6", 10, RK_ST, 6, "i387_ext", F }, { "st7", 10, RK_ST, 7, "i387_ext", F }, \
    { "fctrl", 4, RK_FX16, FX_FCW, "int", F }, { "fstat", 4, RK_FX16, FX_FSW, "int", F }, \
    { "ftag", 4, RK_FTAG, 0, "int", F }, { "fiseg", 4, RK_FX16, FX_FCS, "int", F }, \
    { "fioff", 4, RK_FX32, FX_FIP, "int", F }, { "foseg", 4, RK_FX16, FX_FDS, "int", F }, \
    { "fooff", 4, RK_FX32, FX_FDP, "int", F }, { "fop", 4, RK_FX16, FX_FOP, "int", F }

#define SEG_REGS(F) \
    { "cs", 4, RK_SEG, S_CS, "int32", F }, { "ss", 4, RK_SEG, S_SS, "int32", F }, \
    { "ds", 4, RK_SEG, S_DS, "int32", F }, { "es", 4, RK_SEG, S_ES, "int32", F }, \
    { "fs", 4, RK_SEG, S_FS, "int32", F }, { "gs", 4, RK_SEG, S_GS, "int32", F }

#define XMM(n) { "xmm" #n, 16, RK_XMM, n, "vec128", SSE }

static const struct reg_def regs32[] = {
    { "eax", 4, RK_GPR, R_RAX, "int32", CORE }, { "ecx", 4, RK_GPR, R_RCX, "int32", CORE },
    { "edx", 4, RK_GPR, R_RDX, "int32", CORE }, { "ebx", 4, RK_GPR, R_RBX, "int32", CORE },
    { "esp", 4, RK_GPR, R_RSP, "data_ptr", CORE }, { "ebp", 4, RK_GPR, R_RBP, "data_ptr", CORE },
    { "esi", 4, RK_GPR, R_RSI, "int32", CORE }, { "edi", 4, RK_GPR, R_RDI, "int32", CORE },
    { "eip", 4, RK_PC, 0, "code_ptr", CORE }, { "eflags", 4, RK_FLAGS, 0, "i386_eflags", CORE },
    SEG_REGS(CORE), X87_REGS(CORE),
    XMM(0), XMM(1), XMM(2), XMM(3), XMM(4), XMM(5), XMM(6), XMM(7),
    { "mxcsr", 4, RK_MXCSR, 0, "i386_mxcsr", SSE },
    { "cr0", 4, RK_CR, 0, "uint32", SYS }, { "cr2", 4, RK_CR, 2, "uint32", SYS },
    { "cr3", 4, RK_CR, 3, "uint32", SYS }, { "cr4", 4, RK_CR, 4, "uint32", SYS },
    { "efer", 8, RK_EFER, 0, "uint64", SYS },
};

static const struct reg_def regs64[] = {
    { "rax", 8, RK_GPR, R_RAX, "int64", CORE }, { "rbx", 8, RK_GPR, R_RBX, "int64", CORE },
    { "rcx", 8, RK_GPR, R_RCX, "int64", CORE }, { "rdx", 8, RK_GPR, R_RDX, "int64", CORE },
    { "rsi", 8, RK_GPR, R_RSI, "int64", CORE }, { "rdi", 8, RK_GPR, R_RDI, "int64", CORE },
    { "rbp", 8, RK_GPR, R_RBP, "data_ptr", CORE }, { "rsp", 8, RK_GPR, R_RSP, "data_ptr", CORE },
    { "r8", 8, RK_GPR, R_R8, "int64", CORE }, { "r9", 8, RK_GPR, R_R9, "int64", CORE },
    { "r10", 8, RK_GPR, R_R10, "int64", CORE }, { "r11", 8, RK_GPR, R_R11, "int64", CORE },
    { "r12", 8, RK_GPR, R_R12, "int64", CORE }, { "r13", 8, RK_GPR, R_R13, "int64", CORE },
    { "r14", 8, RK_GPR, R_R14, "int64", CORE }, { "r15", 8, RK_GPR, R_R15, "int64", CORE },
    { "rip", 8, RK_PC, 0, "code_ptr", CORE }, { "eflags", 4, RK_FLAGS, 0, "i386_eflags", CORE },
    SEG_REGS(CORE), X87_REGS(CORE),
    XMM(0), XMM(1), XMM(2), XMM(3), XMM(4), XMM(5), XMM(6), XMM(7),
    XMM(8), XMM(9), XMM(10), XMM(11), XMM(12), XMM(13), XMM(14), XMM(15),
    { "mxcsr", 4, RK_MXCSR, 0, "i386_mxcsr", SSE },
    { "fs_base", 8, RK_SEGBASE, S_FS, "int64", SEGS },
    { "gs_base", 8, RK_SEGBASE, S_GS, "int64", SEGS },
    { "cr0", 8, RK_CR, 0, "uint64", SYS }, { "cr2", 8, RK_CR, 2, "uint64", SYS },
    { "cr3", 8, RK_CR, 3, "uint64", SYS }, { "cr4", 8, RK_CR, 4, "uint64", SYS },
    { "cr8", 8, RK_CR, 8, "uint64", SYS }, { "efer", 8, RK_EFER, 0, "uint64", SYS },
};

#define COUNT(a) ((int)(sizeof(a) / sizeof((a)[0])))

static const struct reg_def *table(enum gdb_arch a, int *count)
{
    if (a == GDB_AMD64) {
        *count = COUNT(regs64);
        return regs64;
    }
    *count = COUNT(regs32);
    return regs32;
}

enum gdb_arch gdb_arch_for_cpu(const struct x86_cpu *cpu)
{
    /* By the code the CPU runs: 16-bit protected mode (the instructions
     * between setting CR0.PE and the far jump) is i8086 for gdb, and
     * compatibility mode i386. */
    switch (x86_code_bits(cpu)) {
    case 64: return GDB_AMD64;
    case 32: return GDB_I386;
    default: return GDB_I8086;
    }
}

const char *gdb_arch_name(enum gdb_arch a)
{
    switch (a) {
    case GDB_I8086: return "i8086";
    case GDB_I386: return "i386";
    case GDB_AMD64: return "i386:x86-64";
    }
    return "?";
}

int gdb_reg_count(enum gdb_arch a)
{
    int n;
    table(a, &n);
    return n;
}

size_t gdb_regs_size(enum gdb_arch a)
{
    int n;
    const struct reg_def *t = table(a, &n);
    size_t size = 0;
    for (int i = 0; i < n; i++)
        size += t[i].size;
    return size;
}

/* ---- values ---------------------------------------------------------- */

static void put_le(uint8_t *buf, uint64_t v, int size)
{
    for (int i = 0; i < size; i++)
        buf[i] = (uint8_t)(v >> (8 * i));
}

static uint64_t get_le(const uint8_t *buf, int size)
{
    uint64_t v = 0;
    for (int i = size - 1; i >= 0; i--)
        v = v << 8 | buf[i];
    return v;
}

/* The PC gdb sees: RIP in 64-bit mode, else the linear CS.base + EIP. */
static uint64_t pc_get(const struct x86_cpu *cpu)
{
    if (x86_code64(cpu))
        return cpu->rip;
    return (uint32_t)(cpu->seg[S_CS].base + (uint32_t)cpu->rip);
}

static void pc_set(struct x86_cpu *cpu, uint64_t lin)
{
    struct x86_segment *cs = &cpu->seg[S_CS];
    if (x86_code64(cpu)) {
        cpu->rip = lin;
    } else if (!x86_protected(cpu) || x86_vm86(cpu)) {
        /* Real mode: keep CS when the address is in its 64 KiB, else
         * pick the segment that holds it (CS = lin >> 4 rounded down). */
        if (lin < cs->base || lin - cs->base > 0xffff) {
            cs->selector = (uint16_t)((lin >> 4) & 0xf000);
            cs->base = (uint64_t)cs->selector << 4;
        }
        cpu->rip = (lin - cs->base) & 0xffff;
    } else {
        cpu->rip = (uint32_t)(lin - cs->base);
    }
}

/* The x87 tag word in FSAVE form from FXSAVE's abridged one: a non-empty
 * register reads as "valid" (00), an empty one as "empty" (11). */
static uint16_t ftag_full(const uint8_t *fx)
{
    uint16_t tag = 0;
    for (int i = 0; i < 8; i++)
        if (!(fx[FX_FTW] & (1u << i)))
            tag |= (uint16_t)(3u << (2 * i));
    return tag;
}

static uint8_t ftag_abridged(uint16_t tag)
{
    uint8_t ab = 0;
    for (int i = 0; i < 8; i++)
        if (((tag >> (2 * i)) & 3) != 3)
            ab |= (uint8_t)(1u << i);
    return ab;
}

int gdb_reg_get(enum gdb_arch a, struct x86_cpu *cpu, int regno, uint8_t *buf)
{
    int n;
    const struct reg_def *t = table(a, &n);
    if (regno < 0 || regno >= n)
        return -1;
    const struct reg_def *r = &t[regno];
    const uint8_t *fx = cpu->fxsave;
    uint64_t v = 0;

    switch (r->kind) {
    case RK_GPR: v = cpu->gpr[r->index]; break;
    case RK_PC: v = pc_get(cpu); break;
    case RK_FLAGS: v = x86_get_rflags(cpu); break;
    case RK_SEG: v = cpu->seg[r->index].selector; break;
    case RK_ST: memcpy(buf, fx + FX_ST0 + 16 * r->index, 10); return r->size;
    case RK_FX16: v = get_le(fx + r->index, 2); break;
    case RK_FX32: v = get_le(fx + r->index, 4); break;
    case RK_FTAG: v = ftag_full(fx); break;
    case RK_XMM: memcpy(buf, fx + FX_XMM0 + 16 * r->index, 16); return r->size;
    case RK_MXCSR: v = get_le(fx + FX_MXCSR, 4); break;
    case RK_SEGBASE: v = cpu->seg[r->index].base; break;
    case RK_CR:
        v = r->index == 0 ? cpu->cr0 : r->index == 2 ? cpu->cr2 :
            r->index == 3 ? cpu->cr3 : r->index == 4 ? cpu->cr4 : cpu->cr8;
        break;
    case RK_EFER: v = cpu->efer; break;
    }
    put_le(buf, v, r->size);
    return r->size;
}

static void seg_set(struct x86_cpu *cpu, int s, uint16_t sel)
{
    /* Real mode: a selector is a paragraph number.  In protected mode a
     * selector means a descriptor load, which gdb cannot ask for: the
     * write is ignored (docs/gdb.md). */
    if (!x86_protected(cpu) || x86_vm86(cpu)) {
        cpu->seg[s].selector = sel;
        cpu->seg[s].base = (uint64_t)sel << 4;
    }
}

int gdb_reg_set(enum gdb_arch a, struct x86_cpu *cpu, int regno,
                const uint8_t *buf, size_t len)
{
    int n;
    const struct reg_def *t = table(a, &n);
    if (regno < 0 || regno >= n || len != t[regno].size)
        return -1;
    const struct reg_def *r = &t[regno];
    uint8_t *fx = cpu->fxsave;
    uint64_t v = r->size <= 8 ? get_le(buf, r->size) : 0;

    switch (r->kind) {
    case RK_GPR:
        if (r->size == 4)   /* a 32-bit view keeps the upper half */
            v |= cpu->gpr[r->index] & ~0xffffffffull;
        cpu->gpr[r->index] = v;
        break;
    case RK_PC: pc_set(cpu, v); break;
    case RK_FLAGS: x86_set_rflags(cpu, (uint32_t)v | FL_FIXED1); break;
    case RK_SEG: seg_set(cpu, r->index, (uint16_t)v); break;
    case RK_ST: memcpy(fx + FX_ST0 + 16 * r->index, buf, 10); break;
    case RK_FX16: put_le(fx + r->index, v, 2); break;
    case RK_FX32: put_le(fx + r->index, v, 4); break;
    case RK_FTAG: fx[FX_FTW] = ftag_abridged((uint16_t)v); break;
    case RK_XMM: memcpy(fx + FX_XMM0 + 16 * r->index, buf, 16); break;
    case RK_MXCSR: put_le(fx + FX_MXCSR, v, 4); break;
    case RK_SEGBASE: cpu->seg[r->index].base = v; break;
    case RK_CR: case RK_EFER:
        break;      /* read-only here: changing modes under gdb is not supported */
    }
    return 0;
}

size_t gdb_regs_pack(enum gdb_arch a, struct x86_cpu *cpu, uint8_t *buf)
{
    int n;
    table(a, &n);
    size_t off = 0;
    for (int i = 0; i < n; i++)
        off += (size_t)gdb_reg_get(a, cpu, i, buf + off);
    return off;
}

int gdb_regs_unpack(enum gdb_arch a, struct x86_cpu *cpu, const uint8_t *buf, size_t len)
{
    int n;
    const struct reg_def *t = table(a, &n);
    if (len != gdb_regs_size(a))
        return -1;
    size_t off = 0;
    for (int i = 0; i < n; i++) {
        gdb_reg_set(a, cpu, i, buf + off, t[i].size);
        off += t[i].size;
    }
    return 0;
}

/* ---- target descriptions -------------------------------------------- */

static const char eflags_type[] =
    "<flags id=\"i386_eflags\" size=\"4\">"
    "<field name=\"CF\" start=\"0\" end=\"0\"/><field name=\"\" start=\"1\" end=\"1\"/>"
    "<field name=\"PF\" start=\"2\" end=\"2\"/><field name=\"AF\" start=\"4\" end=\"4\"/>"
    "<field name=\"ZF\" start=\"6\" end=\"6\"/><field name=\"SF\" start=\"7\" end=\"7\"/>"
    "<field name=\"TF\" start=\"8\" end=\"8\"/><field name=\"IF\" start=\"9\" end=\"9\"/>"
    "<field name=\"DF\" start=\"10\" end=\"10\"/><field name=\"OF\" start=\"11\" end=\"11\"/>"
    "<field name=\"NT\" start=\"14\" end=\"14\"/><field name=\"RF\" start=\"16\" end=\"16\"/>"
    "<field name=\"VM\" start=\"17\" end=\"17\"/><field name=\"AC\" start=\"18\" end=\"18\"/>"
    "<field name=\"VIF\" start=\"19\" end=\"19\"/><field name=\"VIP\" start=\"20\" end=\"20\"/>"
    "<field name=\"ID\" start=\"21\" end=\"21\"/></flags>\n";

static const char sse_types[] =
    "<vector id=\"v4f\" type=\"ieee_single\" count=\"4\"/>"
    "<vector id=\"v2d\" type=\"ieee_double\" count=\"2\"/>"
    "<vector id=\"v16i8\" type=\"int8\" count=\"16\"/>"
    "<vector id=\"v8i16\" type=\"int16\" count=\"8\"/>"
    "<vector id=\"v4i32\" type=\"int32\" count=\"4\"/>"
    "<vector id=\"v2i64\" type=\"int64\" count=\"2\"/>"
    "<union id=\"vec128\"><field name=\"v4_float\" type=\"v4f\"/>"
    "<field name=\"v2_double\" type=\"v2d\"/><field name=\"v16_int8\" type=\"v16i8\"/>"
    "<field name=\"v8_int16\" type=\"v8i16\"/><field name=\"v4_int32\" type=\"v4i32\"/>"
    "<field name=\"v2_int64\" type=\"v2i64\"/><field name=\"uint128\" type=\"uint128\"/></union>"
    "<flags id=\"i386_mxcsr\" size=\"4\">"
    "<field name=\"IE\" start=\"0\" end=\"0\"/><field name=\"DE\" start=\"1\" end=\"1\"/>"
    "<field name=\"ZE\" start=\"2\" end=\"2\"/><field name=\"OE\" start=\"3\" end=\"3\"/>"
    "<field name=\"UE\" start=\"4\" end=\"4\"/><field name=\"PE\" start=\"5\" end=\"5\"/>"
    "<field name=\"DAZ\" start=\"6\" end=\"6\"/><field name=\"IM\" start=\"7\" end=\"7\"/>"
    "<field name=\"DM\" start=\"8\" end=\"8\"/><field name=\"ZM\" start=\"9\" end=\"9\"/>"
    "<field name=\"OM\" start=\"10\" end=\"10\"/><field name=\"UM\" start=\"11\" end=\"11\"/>"
    "<field name=\"PM\" start=\"12\" end=\"12\"/><field name=\"FZ\" start=\"15\" end=\"15\"/>"
    "</flags>\n";

static char xml_text[3][16384];

static void build_xml(enum gdb_arch a, char *out, size_t cap)
{
    int n;
    const struct reg_def *t = table(a, &n);
    size_t len = 0;
#define EMIT(...) (len += (size_t)snprintf(out + len, len < cap ? cap - len : 0, __VA_ARGS__))
    EMIT("<?xml version=\"1.0\"?>\n<!DOCTYPE target SYSTEM \"gdb-target.dtd\">\n"
         "<target version=\"1.0\">\n<architecture>%s</architecture>\n", gdb_arch_name(a));
    const char *feature = NULL;
    for (int i = 0; i < n; i++) {
        if (!feature || strcmp(feature, t[i].feature)) {
            if (feature)
                EMIT("</feature>\n");
            feature = t[i].feature;
            EMIT("<feature name=\"%s\">\n", feature);
            if (!strcmp(feature, CORE))
                EMIT("%s", eflags_type);
            else if (!strcmp(feature, SSE))
                EMIT("%s", sse_types);
        }
        const char *group = t[i].kind == RK_FX16 || t[i].kind == RK_FX32 ||
                            t[i].kind == RK_FTAG ? " group=\"float\"" :
                            t[i].kind == RK_MXCSR ? " group=\"vector\"" :
                            t[i].kind == RK_CR || t[i].kind == RK_EFER ? " group=\"system\"" : "";
        EMIT("<reg name=\"%s\" bitsize=\"%d\" type=\"%s\" regnum=\"%d\"%s/>\n",
             t[i].name, t[i].size * 8, t[i].type, i, group);
    }
    EMIT("</feature>\n</target>\n");
#undef EMIT
}

const char *gdb_target_xml(enum gdb_arch a)
{
    char *text = xml_text[a];
    if (!text[0])
        build_xml(a, text, sizeof(xml_text[a]));
    return text;
}
