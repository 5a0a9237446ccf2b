/*
 * cpuheavy_native.c - the cpuheavy benchmark's workload as a host program:
 * the same workload.c and the same string routines (REP MOVSB/STOSB) the
 * guest kernels run, compiled for the host and run natively.  bench/run.sh
 * times it as the "host-native" row: the speed a translator could reach at
 * best on this host, so a translator's ratio to the interpreter can be read
 * against what the hardware allows.
 *
 * usage: cpuheavy-native [ITERATIONS]   (default 8000, as the guests)
 * Prints "iterations: N" and "checksum: XXXXXXXX" like the guests do.
 */
#include <stdio.h>
#include <stdlib.h>

#include "examples/cpuheavy/workload.h"

int main(int argc, char **argv)
{
    unsigned long iters = 8000;
    struct workload_result result;

    if (argc > 2) {
        fprintf(stderr, "usage: %s [ITERATIONS]\n", argv[0]);
        return 2;
    }
    if (argc == 2) {
        char *end;
        iters = strtoul(argv[1], &end, 10);
        if (*argv[1] == '\0' || *end != '\0' || iters > 0xFFFFFFFFul) {
            fprintf(stderr, "%s: '%s' is not an iteration count\n",
                    argv[0], argv[1]);
            return 2;
        }
    }
    workload_init();
    printf("iterations: %lu\n", iters);
    workload_run((uint32_t)iters, &result);
    printf("primes in the first sieve: %u\n", result.primes);
    printf("checksum: %08x\n", result.checksum);
    return 0;
}
