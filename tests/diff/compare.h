/* Comparing the two sides' outcomes of a case, and printing a divergence. */
#ifndef GLASS_TESTS_DIFF_COMPARE_H
#define GLASS_TESTS_DIFF_COMPARE_H

#include <stdbool.h>
#include <stdio.h>

#include "tests/diff/diff.h"

/* What differs, as DIFF_D_* bits (0 = the sides agree). */
#define DIFF_D_GPR    (1u << 0)
#define DIFF_D_RIP    (1u << 1)
#define DIFF_D_FLAGS  (1u << 2)
#define DIFF_D_VECTOR (1u << 3)
#define DIFF_D_ERROR  (1u << 4)
#define DIFF_D_CR2    (1u << 5)
#define DIFF_D_MEM    (1u << 6)
#define DIFF_D_STATUS (1u << 7)

unsigned diff_compare(const struct diff_case *c, const struct diff_result *native,
                      const struct diff_result *glass);

/* The native RIP where glass's would be: with DIFF_ORACLE_ADDR32 the host's
 * instruction is longer (0x67, SIB), so after it completes (fall through
 * or a taken branch, whose displacement is the same on both sides) its RIP
 * is nlen - len further on; at a fault both point at the instruction. */
uint64_t diff_native_rip(const struct diff_case *c, const struct diff_result *native);

/* "add qword ptr [rax + 8], rbx" (Capstone) for the len bytes of insn run
 * at DIFF_INSN_ADDR in mode (64 or 32), into buf. */
void diff_disasm(int mode, const uint8_t *insn, int len, char *buf, size_t buflen);

/* The full report of a divergence: encoding, disassembly, initial state,
 * both outcomes with the differences marked. */
void diff_report(FILE *f, uint64_t index, const struct diff_case *c, const struct diff_result *native,
                 const struct diff_result *glass, unsigned what, const char *tmpl_name,
                 const char *glass_name);

void diff_disasm_close(void);

#endif
