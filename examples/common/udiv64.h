/*
 * udiv64.h - unsigned 64-bit division without libgcc.
 *
 * gcc -m32 turns "a / b" on 64-bit operands into a call to __udivdi3,
 * which lives in libgcc; the examples link without it (-nostdlib), so they
 * divide with this instead: schoolbook binary long division, one quotient
 * bit per step.
 */
#ifndef EXAMPLES_UDIV64_H
#define EXAMPLES_UDIV64_H

#include <stdint.h>

/* Returns n / d and stores n % d in *rem (if rem is not NULL).  d != 0. */
uint64_t udivmod64(uint64_t n, uint64_t d, uint64_t *rem);

#endif
