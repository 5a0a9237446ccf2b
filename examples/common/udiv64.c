/* udiv64.c - see udiv64.h. */
#include "udiv64.h"

uint64_t udivmod64(uint64_t n, uint64_t d, uint64_t *rem)
{
    uint64_t quotient = 0, remainder = 0;

    /* Walk the dividend from its top bit down, like long division on paper:
     * bring down one bit, subtract the divisor when it fits. */
    for (int bit = 63; bit >= 0; bit--) {
        remainder = (remainder << 1) | ((n >> bit) & 1);
        if (remainder >= d) {
            remainder -= d;
            quotient |= (uint64_t)1 << bit;
        }
    }
    if (rem)
        *rem = remainder;
    return quotient;
}
