/*
 * workload.c - one benchmark iteration:
 *   1. fill 8 KiB with a linear congruential generator
 *   2. CRC-32 of those 8 KiB, table-driven, in software
 *   3. copy them with memcpy (REP MOVSB) and heap-sort 1024 of the words
 *   4. a sieve of Eratosthenes up to about 16384
 *   5. a chain of 32-bit multiplications, divisions and remainders
 * and fold every result into one checksum.  Each iteration is seeded by
 * the checksum so far, so no iteration can be skipped or hoisted.  All
 * arithmetic is on uint32_t, so the 32-bit and 64-bit builds agree.
 */
#include <stddef.h>
#include <stdint.h>

#include "string.h"
#include "workload.h"

#define FILL_WORDS  2048        /* 8 KiB */
#define SORT_WORDS  1024
#define SIEVE_MAX   16384
#define MIX_STEPS   1024

static uint32_t crc_table[256];
static uint32_t fill_buf[FILL_WORDS];
static uint32_t sort_buf[FILL_WORDS];
static uint8_t sieve[SIEVE_MAX];

void workload_init(void)
{
    /* The reflected CRC-32 polynomial 0xEDB88320, one bit at a time. */
    for (uint32_t i = 0; i < 256; i++) {
        uint32_t c = i;
        for (int k = 0; k < 8; k++)
            c = c & 1 ? (c >> 1) ^ 0xEDB88320u : c >> 1;
        crc_table[i] = c;
    }
}

uint32_t crc32(const uint8_t *p, uint32_t n)
{
    uint32_t c = 0xFFFFFFFFu;

    while (n--)
        c = crc_table[(c ^ *p++) & 0xFF] ^ (c >> 8);
    return ~c;
}

static uint32_t lcg_fill(uint32_t *buf, uint32_t n, uint32_t seed)
{
    /* Numerical Recipes' LCG: x = 1664525 x + 1013904223 (mod 2^32). */
    for (uint32_t i = 0; i < n; i++) {
        seed = seed * 1664525u + 1013904223u;
        buf[i] = seed ^ (seed >> 16);
    }
    return seed;
}

static void sift_down(uint32_t *a, uint32_t root, uint32_t n)
{
    for (;;) {
        uint32_t child = 2 * root + 1;
        if (child >= n)
            return;
        if (child + 1 < n && a[child + 1] > a[child])
            child++;
        if (a[root] >= a[child])
            return;
        uint32_t t = a[root];
        a[root] = a[child];
        a[child] = t;
        root = child;
    }
}

static void heap_sort(uint32_t *a, uint32_t n)
{
    for (uint32_t i = n / 2; i-- > 0;)
        sift_down(a, i, n);
    for (uint32_t end = n - 1; end > 0; end--) {
        uint32_t t = a[0];
        a[0] = a[end];
        a[end] = t;
        sift_down(a, 0, end);
    }
}

static uint32_t count_primes(uint32_t limit)
{
    uint32_t count = 0;

    memset(sieve, 1, limit);
    sieve[0] = sieve[1] = 0;
    for (uint32_t i = 2; i * i < limit; i++)
        if (sieve[i])
            for (uint32_t j = i * i; j < limit; j += i)
                sieve[j] = 0;
    for (uint32_t i = 0; i < limit; i++)
        count += sieve[i];
    return count;
}

static uint32_t mul_div_mix(uint32_t x)
{
    uint32_t acc = 0;

    for (uint32_t k = 1; k <= MIX_STEPS; k++) {
        x = x * 2654435761u + k;                /* Knuth's multiplicative hash */
        uint32_t d = (x >> 7) | 1;              /* a divisor that is never 0 */
        acc += (0xFFFFFFFFu - k) / d;           /* a 32-bit DIV */
        acc ^= x % (k + 7);                     /* and another */
        acc = acc * 31 + (x >> 13);
    }
    return acc;
}

static inline uint32_t rotl32(uint32_t x, unsigned n)
{
    return x << n | x >> (32 - n);
}

void workload_run(uint32_t iterations, struct workload_result *out)
{
    uint32_t checksum = 0x12345678u;

    out->primes = 0;
    for (uint32_t i = 0; i < iterations; i++) {
        uint32_t seed = checksum ^ i;

        lcg_fill(fill_buf, FILL_WORDS, seed);
        uint32_t crc = crc32((const uint8_t *)fill_buf, sizeof(fill_buf));

        memcpy(sort_buf, fill_buf, sizeof(sort_buf));
        heap_sort(sort_buf, SORT_WORDS);
        uint32_t sorted = sort_buf[0] ^ sort_buf[SORT_WORDS / 2]
                        ^ sort_buf[SORT_WORDS - 1];

        uint32_t primes = count_primes(SIEVE_MAX - (seed & 255));
        if (i == 0)
            out->primes = primes;

        uint32_t mix = mul_div_mix(seed);

        checksum = rotl32(checksum, 5) ^ crc;
        checksum = rotl32(checksum, 5) ^ sorted;
        checksum = rotl32(checksum, 5) ^ primes;
        checksum = rotl32(checksum, 5) ^ mix;
    }
    out->checksum = checksum;
}
