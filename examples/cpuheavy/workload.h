/*
 * workload.h - the cpuheavy benchmark's work: deterministic integer code
 * that gives the same answers compiled for 32-bit or 64-bit x86.
 */
#ifndef CPUHEAVY_WORKLOAD_H
#define CPUHEAVY_WORKLOAD_H

#include <stdint.h>

struct workload_result {
    uint32_t checksum;          /* everything, folded together */
    uint32_t primes;            /* primes counted in the first iteration */
};

void workload_init(void);                       /* builds the CRC table */
uint32_t crc32(const uint8_t *p, uint32_t n);   /* IEEE 802.3, reflected */
void workload_run(uint32_t iterations, struct workload_result *out);

#endif
