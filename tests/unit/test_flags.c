/* Flags of the integer instructions (cpu/flags.c and the handlers), for every
 * operand size: against hand-computed values, and against the host CPU
 * itself (x86-64) running the same instruction on a table of operands.
 * Only the flags the SDM defines for each instruction are compared. */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "cpu/exec.h"
#include "cpu/flags.h"
#include "tests/unit/run_suite.h"

#define ARITH (FL_CF | FL_PF | FL_AF | FL_ZF | FL_SF | FL_OF)
#define LOGIC (FL_CF | FL_PF | FL_ZF | FL_SF | FL_OF)  /* AF undefined */

static const uint64_t values[] = {
    0, 1, 2, 3, 7, 8, 0xf, 0x10, 0x1f, 0x3f, 0x40, 0x7e, 0x7f, 0x80, 0x81, 0xfe, 0xff,
    0x100, 0x7fff, 0x8000, 0x8001, 0xffff, 0x10000, 0x7fffffff, 0x80000000, 0x80000001,
    0xffffffff, 0x100000000ull, 0x7fffffffffffffffull, 0x8000000000000000ull,
    0xffffffffffffffffull, 0x123456789abcdef0ull, 0xfedcba9876543210ull, 0x5555aaaa5555aaaaull,
};
#define NVALUES (sizeof(values) / sizeof(values[0]))

/* --- the host side: run one instruction, return the flags --- */

/* lahf + seto give SF ZF AF PF CF and OF without touching the stack (no
 * pushf in inline asm: the red zone).  The carry-in is set with bt. */
#define HOST_FLAGS_OUT "lahf\n\tseto %%al\n\t"
static uint64_t host_status(uint32_t ax)
{
    uint64_t ah = (ax >> 8) & 0xff;
    return (ah & (FL_SF | FL_ZF | FL_AF | FL_PF | FL_CF)) | ((ax & 1) ? FL_OF : 0);
}

#define DEF_HOST_BIN(name, insn, T, sfx) \
    static uint64_t host_##name##sfx(uint64_t a, uint64_t b, unsigned cin, uint64_t *fl) \
    { \
        T x = (T)a, y = (T)b; \
        uint32_t ax; \
        __asm__("bt $0, %k[c]\n\t" insn #sfx " %[y], %[x]\n\t" HOST_FLAGS_OUT \
                : [x] "+r"(x), "=&a"(ax) : [y] "r"(y), [c] "r"(cin) : "cc"); \
        *fl = host_status(ax); \
        return (uint64_t)x; \
    }
#define DEF_HOST_BIN_ALL(name, insn) \
    DEF_HOST_BIN(name, insn, uint8_t, b) DEF_HOST_BIN(name, insn, uint16_t, w) \
    DEF_HOST_BIN(name, insn, uint32_t, l) DEF_HOST_BIN(name, insn, uint64_t, q)
DEF_HOST_BIN_ALL(add, "add")
DEF_HOST_BIN_ALL(adc, "adc")
DEF_HOST_BIN_ALL(sub, "sub")
DEF_HOST_BIN_ALL(sbb, "sbb")
DEF_HOST_BIN_ALL(and, "and")
DEF_HOST_BIN_ALL(or, "or")
DEF_HOST_BIN_ALL(xor, "xor")

/* Shifts and rotates by CL. */
#define DEF_HOST_SH(name, insn, T, sfx) \
    static uint64_t host_##name##sfx(uint64_t a, uint64_t count, unsigned cin, uint64_t *fl) \
    { \
        T x = (T)a; \
        uint32_t ax; \
        uint8_t cl = (uint8_t)count; \
        __asm__("bt $0, %k[c]\n\t" insn #sfx " %%cl, %[x]\n\t" HOST_FLAGS_OUT \
                : [x] "+r"(x), "=&a"(ax) : "c"(cl), [c] "r"(cin) : "cc"); \
        *fl = host_status(ax); \
        return (uint64_t)x; \
    }
#define DEF_HOST_SH_ALL(name, insn) \
    DEF_HOST_SH(name, insn, uint8_t, b) DEF_HOST_SH(name, insn, uint16_t, w) \
    DEF_HOST_SH(name, insn, uint32_t, l) DEF_HOST_SH(name, insn, uint64_t, q)
DEF_HOST_SH_ALL(shl, "shl")
DEF_HOST_SH_ALL(shr, "shr")
DEF_HOST_SH_ALL(sar, "sar")
DEF_HOST_SH_ALL(rol, "rol")
DEF_HOST_SH_ALL(ror, "ror")
DEF_HOST_SH_ALL(rcl, "rcl")
DEF_HOST_SH_ALL(rcr, "rcr")

/* One-operand: INC DEC NEG (CF-in matters to INC/DEC). */
#define DEF_HOST_UN(name, insn, T, sfx) \
    static uint64_t host_##name##sfx(uint64_t a, uint64_t unused, unsigned cin, uint64_t *fl) \
    { \
        T x = (T)a; \
        uint32_t ax; \
        (void)unused; \
        __asm__("bt $0, %k[c]\n\t" insn #sfx " %[x]\n\t" HOST_FLAGS_OUT \
                : [x] "+r"(x), "=&a"(ax) : [c] "r"(cin) : "cc"); \
        *fl = host_status(ax); \
        return (uint64_t)x; \
    }
#define DEF_HOST_UN_ALL(name, insn) \
    DEF_HOST_UN(name, insn, uint8_t, b) DEF_HOST_UN(name, insn, uint16_t, w) \
    DEF_HOST_UN(name, insn, uint32_t, l) DEF_HOST_UN(name, insn, uint64_t, q)
DEF_HOST_UN_ALL(inc, "inc")
DEF_HOST_UN_ALL(dec, "dec")
DEF_HOST_UN_ALL(neg, "neg")

/* Two-operand IMUL (no 8-bit form). */
#define DEF_HOST_IMUL(T, sfx) \
    static uint64_t host_imul##sfx(uint64_t a, uint64_t b, unsigned cin, uint64_t *fl) \
    { \
        T x = (T)a, y = (T)b; \
        uint32_t ax; \
        (void)cin; \
        __asm__("imul" #sfx " %[y], %[x]\n\t" HOST_FLAGS_OUT \
                : [x] "+r"(x), "=&a"(ax) : [y] "r"(y) : "cc"); \
        *fl = host_status(ax); \
        return (uint64_t)x; \
    }
DEF_HOST_IMUL(uint16_t, w)
DEF_HOST_IMUL(uint32_t, l)
DEF_HOST_IMUL(uint64_t, q)

typedef uint64_t (*host_fn)(uint64_t, uint64_t, unsigned, uint64_t *);

/* --- the glass side --- */

static struct x86_cpu *new_cpu(void)
{
    struct x86_cpu *cpu = calloc(1, sizeof(*cpu));
    ck_assert_ptr_nonnull(cpu);
    cpu->rflags = FL_FIXED1;
    cpu->seg[S_CS].limit = 0xffffffff;
    return cpu;
}

/* Make CF = cin through a lazy op (SUB 0 - cin), so ADC/RCL read it the
 * lazy way. */
static void set_lazy_cf(struct x86_cpu *cpu, unsigned cin)
{
    lf_record(cpu, LF_SUB, 1, (0 - (uint64_t)cin) & 0xff, 0, cin);
}

/* Run handler `fn` on a register operand of `size` bytes: RAX is the
 * destination, RCX the source (or the count, in CL). */
static uint64_t glass_run(x86_exec_fn fn, int form, int size, uint64_t a, uint64_t b,
                          unsigned cin, uint64_t *fl)
{
    struct x86_cpu *cpu = new_cpu();
    struct x86_insn in;
    memset(&in, 0, sizeof(in));
    in.len = 3;
    in.form = (uint8_t)form;
    in.opsize = (uint8_t)size;
    in.addrsize = 8;
    in.reg = R_RCX;
    in.rm = R_RAX;
    in.flags = INSN_REX;
    if (form == FORM_REG_RM) { /* IMUL r, r/m: dest reg = RAX, src rm = RCX */
        in.reg = R_RAX;
        in.rm = R_RCX;
    }
    in.seg_override = S_NONE;
    cpu->gpr[R_RAX] = a;
    cpu->gpr[R_RCX] = b;
    set_lazy_cf(cpu, cin);
    fn(cpu, &in);
    *fl = x86_get_rflags(cpu) & FL_STATUS;
    uint64_t r = cpu->gpr[R_RAX] & x86_size_mask(size);
    free(cpu);
    return r;
}

struct case_def {
    const char *name;
    x86_exec_fn fn;
    int form;
    host_fn host[4];     /* b w l q; NULL: that size does not exist */
    uint64_t defined;    /* flags the SDM defines */
    int kind;            /* 0 binary, 1 shift/rotate by CL, 2 unary */
};

enum { K_BIN, K_SHIFT, K_UN, K_ROT };

static const struct case_def cases[] = {
    { "add", exec_ADD, FORM_RM_REG, { host_addb, host_addw, host_addl, host_addq }, ARITH, K_BIN },
    { "adc", exec_ADC, FORM_RM_REG, { host_adcb, host_adcw, host_adcl, host_adcq }, ARITH, K_BIN },
    { "sub", exec_SUB, FORM_RM_REG, { host_subb, host_subw, host_subl, host_subq }, ARITH, K_BIN },
    { "sbb", exec_SBB, FORM_RM_REG, { host_sbbb, host_sbbw, host_sbbl, host_sbbq }, ARITH, K_BIN },
    { "and", exec_AND, FORM_RM_REG, { host_andb, host_andw, host_andl, host_andq }, LOGIC, K_BIN },
    { "or", exec_OR, FORM_RM_REG, { host_orb, host_orw, host_orl, host_orq }, LOGIC, K_BIN },
    { "xor", exec_XOR, FORM_RM_REG, { host_xorb, host_xorw, host_xorl, host_xorq }, LOGIC, K_BIN },
    { "inc", exec_INC, FORM_RM, { host_incb, host_incw, host_incl, host_incq }, ARITH, K_UN },
    { "dec", exec_DEC, FORM_RM, { host_decb, host_decw, host_decl, host_decq }, ARITH, K_UN },
    { "neg", exec_NEG, FORM_RM, { host_negb, host_negw, host_negl, host_negq }, ARITH, K_UN },
    { "imul", exec_IMUL, FORM_REG_RM, { NULL, host_imulw, host_imull, host_imulq }, FL_CF | FL_OF, K_BIN },
    { "shl", exec_SHL, FORM_RM_CL, { host_shlb, host_shlw, host_shll, host_shlq }, LOGIC, K_SHIFT },
    { "shr", exec_SHR, FORM_RM_CL, { host_shrb, host_shrw, host_shrl, host_shrq }, LOGIC, K_SHIFT },
    { "sar", exec_SAR, FORM_RM_CL, { host_sarb, host_sarw, host_sarl, host_sarq }, LOGIC, K_SHIFT },
    { "rol", exec_ROL, FORM_RM_CL, { host_rolb, host_rolw, host_roll, host_rolq }, FL_CF | FL_OF, K_ROT },
    { "ror", exec_ROR, FORM_RM_CL, { host_rorb, host_rorw, host_rorl, host_rorq }, FL_CF | FL_OF, K_ROT },
    { "rcl", exec_RCL, FORM_RM_CL, { host_rclb, host_rclw, host_rcll, host_rclq }, FL_CF | FL_OF, K_ROT },
    { "rcr", exec_RCR, FORM_RM_CL, { host_rcrb, host_rcrw, host_rcrl, host_rcrq }, FL_CF | FL_OF, K_ROT },
};
#define NCASES (sizeof(cases) / sizeof(cases[0]))

static const unsigned counts[] = { 0, 1, 2, 3, 7, 8, 9, 15, 16, 17, 31, 32, 33, 63, 64, 65 };

/* Flags the SDM defines for a shift/rotate of this (masked) count: none for
 * 0 (unchanged: glass must keep them, compared separately), OF only for 1,
 * CF only while the count is within the operand. */
static uint64_t shift_defined(const struct case_def *c, int size, unsigned count)
{
    unsigned masked = count & (size == 8 ? 63 : 31);
    uint64_t d = c->defined;
    if (masked == 0)
        return FL_STATUS; /* nothing changes: everything must match */
    if (masked != 1)
        d &= ~(uint64_t)FL_OF;
    if (c->kind == K_SHIFT && masked > (unsigned)size * 8)
        d &= ~(uint64_t)FL_CF;
    if (c->kind == K_SHIFT)
        d &= ~(uint64_t)FL_AF;
    return d;
}

static void compare_one(const struct case_def *c, int si, uint64_t a, uint64_t b, unsigned cin)
{
    static const int sizes[4] = { 1, 2, 4, 8 };
    int size = sizes[si];
    uint64_t hf, gf, defined = c->defined;
    uint64_t hr = c->host[si](a, b, cin, &hf);
    uint64_t gr = glass_run(c->fn, c->form, size, a, b, cin, &gf);

    if (c->kind == K_SHIFT || c->kind == K_ROT) {
        defined = shift_defined(c, size, (unsigned)b);
        if ((b & (size == 8 ? 63 : 31)) == 0) {
            /* Count 0: flags unchanged from before (CF = cin, from SUB 0-cin). */
            uint64_t before;
            struct x86_cpu *cpu = new_cpu();
            set_lazy_cf(cpu, cin);
            before = x86_get_rflags(cpu) & FL_STATUS;
            free(cpu);
            ck_assert_msg(gf == before, "%s%d count 0 changed flags", c->name, size * 8);
            hf = gf;
        }
    }
    ck_assert_msg(hr == gr, "%s%d a=%#llx b=%#llx cin=%u: result host %#llx glass %#llx",
                  c->name, size * 8, (unsigned long long)a, (unsigned long long)b, cin,
                  (unsigned long long)hr, (unsigned long long)gr);
    ck_assert_msg((hf & defined) == (gf & defined),
                  "%s%d a=%#llx b=%#llx cin=%u: flags host %#llx glass %#llx (defined %#llx)",
                  c->name, size * 8, (unsigned long long)a, (unsigned long long)b, cin,
                  (unsigned long long)hf, (unsigned long long)gf, (unsigned long long)defined);
}

START_TEST(test_against_host)
{
    const struct case_def *c = &cases[_i];
    for (int si = 0; si < 4; si++) {
        if (!c->host[si])
            continue;
        for (unsigned cin = 0; cin < 2; cin++) {
            for (size_t i = 0; i < NVALUES; i++) {
                if (c->kind == K_SHIFT || c->kind == K_ROT) {
                    for (size_t k = 0; k < sizeof(counts) / sizeof(counts[0]); k++)
                        compare_one(c, si, values[i], counts[k], cin);
                } else {
                    for (size_t j = 0; j < NVALUES; j++)
                        compare_one(c, si, values[i], values[j], cin);
                }
            }
        }
    }
}
END_TEST

/* --- hand-computed cases --- */

static uint64_t flags_of(struct x86_cpu *cpu)
{
    return x86_get_rflags(cpu) & FL_STATUS;
}

/* A one-operand instruction on register rm, of opsize bytes. */
static struct x86_insn reg_operand(int opsize, int rm)
{
    return (struct x86_insn){ .form = FORM_RM, .opsize = (uint8_t)opsize, .rm = (uint8_t)rm,
                              .len = 2 };
}

START_TEST(test_add_hand)
{
    struct x86_cpu *cpu = new_cpu();
    /* 0x7f + 1 = 0x80 (8-bit): OF SF AF, no CF. */
    lf_record(cpu, LF_ADD, 1, 0x80, 0x7f, 1);
    ck_assert_uint_eq(flags_of(cpu), FL_OF | FL_SF | FL_AF);
    /* 0xffff + 1 = 0 (16-bit): CF ZF AF PF. */
    lf_record(cpu, LF_ADD, 2, 0, 0xffff, 1);
    ck_assert_uint_eq(flags_of(cpu), FL_CF | FL_ZF | FL_AF | FL_PF);
    /* 3 - 5 (32-bit) = 0xfffffffe: CF SF AF, PF? low byte fe = 7 ones -> odd. */
    lf_record(cpu, LF_SUB, 4, 0xfffffffe, 3, 5);
    ck_assert_uint_eq(flags_of(cpu), FL_CF | FL_SF | FL_AF);
    free(cpu);
}
END_TEST

START_TEST(test_inc_keeps_cf)
{
    struct x86_cpu *cpu = new_cpu();
    struct x86_insn in = reg_operand(4, R_RBX);
    cpu->gpr[R_RBX] = 0xffffffff;
    lf_record(cpu, LF_ADD, 1, 0, 0xff, 1); /* CF = 1 */
    exec_INC(cpu, &in);
    ck_assert_uint_eq(cpu->gpr[R_RBX], 0);
    ck_assert_uint_eq(flags_of(cpu), FL_CF | FL_ZF | FL_AF | FL_PF);
    exec_DEC(cpu, &in);
    ck_assert_uint_eq(cpu->gpr[R_RBX], 0xffffffff);
    ck_assert_uint_eq(flags_of(cpu), FL_CF | FL_SF | FL_AF | FL_PF);
    free(cpu);
}
END_TEST

START_TEST(test_mul_flags)
{
    struct x86_cpu *cpu = new_cpu();
    struct x86_insn in = reg_operand(1, R_RCX);
    cpu->gpr[R_RAX] = 0x10;
    cpu->gpr[R_RCX] = 0x10;
    exec_MUL(cpu, &in); /* 0x100: AH != 0 -> CF OF */
    ck_assert_uint_eq(cpu->gpr[R_RAX], 0x100);
    ck_assert_uint_eq(flags_of(cpu) & (FL_CF | FL_OF), FL_CF | FL_OF);
    cpu->gpr[R_RAX] = 0xff; /* -1 * 0x10 signed = -16 fits in AL: no CF/OF */
    exec_IMUL1(cpu, &in);
    ck_assert_uint_eq(cpu->gpr[R_RAX] & 0xffff, 0xfff0);
    ck_assert_uint_eq(flags_of(cpu) & (FL_CF | FL_OF), 0);
    in.opsize = 8;
    cpu->gpr[R_RAX] = 0x8000000000000000ull;
    cpu->gpr[R_RCX] = 2;
    exec_MUL(cpu, &in);
    ck_assert_uint_eq(cpu->gpr[R_RAX], 0);
    ck_assert_uint_eq(cpu->gpr[R_RDX], 1);
    ck_assert_uint_eq(flags_of(cpu) & (FL_CF | FL_OF), FL_CF | FL_OF);
    free(cpu);
}
END_TEST

/* x86_cond against the flags computed in full, for every op and condition. */
START_TEST(test_cond_matches_rflags)
{
    struct x86_cpu *cpu = new_cpu();
    static const uint8_t ops[] = { LF_ADD, LF_SUB, LF_LOGIC, LF_INC, LF_DEC, LF_SHL, LF_SHR, LF_SAR, LF_MUL };
    for (size_t o = 0; o < sizeof(ops); o++) {
        for (size_t i = 0; i < NVALUES; i++) {
            for (size_t j = 0; j < NVALUES; j += 3) {
                int size = 1 << (j % 4);
                uint64_t m = x86_size_mask(size);
                uint64_t a = values[i] & m, b = values[j] & m;
                uint64_t res = ops[o] == LF_SUB ? (a - b) & m : (a + b) & m;
                if (ops[o] >= LF_SHL && ops[o] <= LF_SAR)
                    b = (b & 7) + 1;
                lf_record(cpu, ops[o], size, res, a, b);
                uint64_t f = x86_get_rflags(cpu);
                for (int cc = 0; cc < 16; cc++) {
                    struct x86_cpu ref = *cpu;
                    x86_set_rflags(&ref, f);
                    ck_assert_msg(x86_cond(cpu, cc) == x86_cond(&ref, cc),
                                  "op %u cc %d a %#llx b %#llx", ops[o], cc,
                                  (unsigned long long)a, (unsigned long long)b);
                }
            }
        }
    }
    free(cpu);
}
END_TEST

/* A record stored without its result and with junk above `size` in its
 * sources (LF_RES_LATER, as the translator stores ADD/SUB/INC/DEC) reads
 * as the ordinary record: RFLAGS, CF alone and every condition. */
START_TEST(test_res_later)
{
    struct x86_cpu *cpu = new_cpu(), *ref = new_cpu();
    static const uint8_t ops[] = { LF_ADD, LF_SUB, LF_INC, LF_DEC };
    for (size_t o = 0; o < sizeof(ops); o++) {
        for (size_t i = 0; i < NVALUES; i++) {
            for (size_t j = 0; j < NVALUES; j += 3) {
                int size = 1 << (j % 4);
                uint64_t m = x86_size_mask(size);
                uint64_t a = values[i] & m, b = ops[o] >= LF_INC ? 1 : values[j] & m;
                bool sub = ops[o] == LF_SUB || ops[o] == LF_DEC;
                lf_record(ref, ops[o], size, (sub ? a - b : a + b) & m, a, b);
                uint64_t junk = size == 8 ? 0 : values[(i + j) % NVALUES] & ~m;
                for (int cc = 0; cc < 17; cc++) {
                    lf_record(cpu, ops[o] | LF_RES_LATER, size, 0x5a5a5a5a, a | junk, b | junk);
                    cpu->rflags = ref->rflags = FL_FIXED1 | (i & 1 ? FL_CF : 0);
                    if (cc == 16) {
                        ck_assert_uint_eq(x86_get_rflags(cpu), x86_get_rflags(ref));
                        lf_record(cpu, ops[o] | LF_RES_LATER, size, 0, a | junk, b | junk);
                        ck_assert_uint_eq(x86_get_cf(cpu), x86_get_cf(ref));
                    } else {
                        ck_assert_msg(x86_cond(cpu, cc) == x86_cond(ref, cc), "op %u cc %d a %#llx b %#llx",
                                      ops[o], cc, (unsigned long long)a, (unsigned long long)b);
                    }
                }
            }
        }
    }
    free(cpu);
    free(ref);
}
END_TEST

START_TEST(test_set_rflags_exact)
{
    struct x86_cpu *cpu = new_cpu();
    lf_record(cpu, LF_ADD, 1, 0, 0xff, 1);
    x86_set_rflags(cpu, 0x202 | FL_OF);
    ck_assert_uint_eq(x86_get_rflags(cpu), 0x202 | FL_OF);
    ck_assert(x86_cond(cpu, 0));   /* O */
    ck_assert(!x86_cond(cpu, 2));  /* B */
    free(cpu);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("flags");
    TCase *tc = tcase_create("flags");
    tcase_set_timeout(tc, 60);
    tcase_add_loop_test(tc, test_against_host, 0, (int)NCASES);
    tcase_add_test(tc, test_add_hand);
    tcase_add_test(tc, test_inc_keeps_cf);
    tcase_add_test(tc, test_mul_flags);
    tcase_add_test(tc, test_cond_matches_rflags);
    tcase_add_test(tc, test_set_rflags_exact);
    tcase_add_test(tc, test_res_later);
    suite_add_tcase(s, tc);
    return run_suite(s);
}
