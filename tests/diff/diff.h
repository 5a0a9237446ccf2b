/* The differential test: one random instruction run on the host CPU (the
 * oracle, in tests/diff/runner.c) and on glass's interpreter from the same
 * registers, flags and memory; everything architectural is compared.
 *
 * This header is shared by the test (built with the glass objects, maybe
 * under ASan) and the native runner (built without sanitizers), so it holds
 * only plain data and inline helpers.
 *
 * Address space, identical on both sides (all below 2 GiB so that absolute
 * disp32 addressing reaches it, and below 4 GiB for 32-bit code):
 *   DIFF_CODE   one page: 0xCC everywhere except the instruction; read,
 *               write, execute (the runner writes the instruction through
 *               the same mapping: through a second, writable alias of the
 *               page the host CPU sometimes fetched stale bytes).
 *   DIFF_RO     one page of fixed bytes, read-only, not executable: writes
 *               there raise #PF (present, write) on both sides.
 *   DIFF_DATA   two pages of random bytes, read/write, where memory operands
 *               and the stack point.
 *   DIFF_GUARD  not mapped: accesses there raise #PF on both sides. */
#ifndef GLASS_TESTS_DIFF_DIFF_H
#define GLASS_TESTS_DIFF_DIFF_H

#include <stdint.h>
#include <string.h>

#define DIFF_CODE   0x10000000ull
#define DIFF_RO     0x10001000ull
#define DIFF_DATA   0x10002000ull
#define DIFF_DATA_SIZE 0x2000u
#define DIFF_GUARD  0x10004000ull
#define DIFF_PAGE   0x1000u
/* Where the instruction sits in the code page: room for branches both ways. */
#define DIFF_INSN_OFF 0x800u
#define DIFF_INSN_ADDR (DIFF_CODE + DIFF_INSN_OFF)

#define DIFF_MAX_PATCH 4
#define DIFF_NO_VECTOR (-1)

/* The oracle of a case: what the host CPU runs for it. */
#define DIFF_ORACLE_SAME 0      /* insn itself, in the same mode as glass */
#define DIFF_ORACLE_ADDR32 1    /* a 32-bit case's 64-bit equivalent (gen.c) */

/* One test case: what both sides start from. */
struct diff_case {
    uint64_t gpr[16];
    uint64_t rflags;
    uint64_t data_seed;     /* DIFF_DATA contents: diff_fill_data() */
    uint8_t mode;           /* glass: 64 = 64-bit code, 32 = compatibility mode */
    uint8_t len;
    uint8_t insn[15];       /* what glass runs */
    uint8_t oracle;         /* DIFF_ORACLE_* */
    uint8_t nmode;          /* the host: 64 or 32, */
    uint8_t nlen;           /* and the nlen bytes of ninsn it runs; for */
    uint8_t ninsn[15];      /* DIFF_ORACLE_SAME, mode, len and insn */
    uint8_t npatch;
    struct {                /* bytes written over the random data */
        uint16_t off;       /* from DIFF_DATA */
        uint8_t len;
        uint8_t bytes[16];
    } patch[DIFF_MAX_PATCH];
    uint32_t flag_mask;     /* RFLAGS bits defined after the instruction */
    uint16_t gpr_ignore;    /* registers left undefined by the instruction */
    uint16_t tmpl;          /* generator template, for statistics */
};

/* What one side ended with. */
struct diff_result {
    uint64_t gpr[16];
    uint64_t rip;
    uint64_t rflags;
    int32_t vector;         /* exception raised, or DIFF_NO_VECTOR */
    uint32_t error_code;
    uint64_t cr2;
    uint32_t status;        /* DIFF_ST_* */
    int32_t signo, si_code; /* native only: the signal that ended the case */
    uint8_t data[DIFF_DATA_SIZE];
};

#define DIFF_ST_OK 0
#define DIFF_ST_CRASH 1     /* the native runner died on this case */
#define DIFF_ST_UNKNOWN 2   /* an outcome the side could not classify */

/* splitmix64: small, fast, good enough for test generation. */
static inline uint64_t diff_rand_next(uint64_t *s)
{
    uint64_t z = (*s += 0x9e3779b97f4a7c15ull);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
}

/* The initial DIFF_DATA contents of a case: random bytes, sometimes with
 * long runs of 0 or 0xff so that zero and all-ones operands are common. */
static inline void diff_fill_data(const struct diff_case *c, uint8_t *data)
{
    uint64_t s = c->data_seed;
    uint64_t kind = diff_rand_next(&s) & 7;
    for (unsigned i = 0; i < DIFF_DATA_SIZE; i += 8) {
        uint64_t v = diff_rand_next(&s);
        if (kind == 0 && (v & 3) == 0)
            v = 0;
        else if (kind == 1 && (v & 3) == 0)
            v = ~0ull;
        memcpy(data + i, &v, 8);
    }
    for (unsigned p = 0; p < c->npatch; p++)
        memcpy(data + c->patch[p].off, c->patch[p].bytes, c->patch[p].len);
}

/* The fixed contents of DIFF_RO. */
static inline void diff_fill_ro(uint8_t *ro)
{
    for (unsigned i = 0; i < 0x1000; i++)
        ro[i] = (uint8_t)(i * 7 + 0x5a);
}

#endif
