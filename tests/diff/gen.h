/* The differential test's instruction generator: a fixed-seed PRNG picks a
 * template of the user-level integer ISA, encodes one instruction with
 * random prefixes, operands and addressing, and prepares the registers and
 * memory it needs (memory operands inside DIFF_DATA, or deliberately in the
 * guard page, across pages, non-canonical ...). */
#ifndef GLASS_TESTS_DIFF_GEN_H
#define GLASS_TESTS_DIFF_GEN_H

#include <stdbool.h>
#include <stdint.h>

#include "tests/diff/diff.h"

struct gen {
    uint64_t rng;
    uint32_t host;      /* DIFF_HOST_* the native CPU has */
    int only_mode;      /* 0 = both (alternating), else 32 or 64 */
    int only_tmpl;      /* -1 = all templates, else this one */
    int oracle32;       /* 32-bit cases: DIFF_ORACLE_SAME (the host runs
                         * them in a compatibility-mode segment) or
                         * DIFF_ORACLE_ADDR32 (their 64-bit equivalents) */
    uint64_t ncases;    /* made so far */
};

/* oracle32 follows DIFF_HOST_COMPAT32; the caller may change it after. */
void gen_init(struct gen *g, uint64_t seed, uint32_t host_features);
/* Fill c with the next case. */
void gen_case(struct gen *g, struct diff_case *c);

int gen_tmpl_count(void);
const char *gen_tmpl_name(int tmpl);
/* The template called name, or -1. */
int gen_tmpl_find(const char *name);
/* Whether template tmpl makes cases in mode (64 or 32) with g's oracle
 * and host. */
bool gen_tmpl_available(const struct gen *g, int tmpl, int mode);

#endif
