/* How the test talks to its native runner (tests/diff/runner.c): a shared
 * memory file holds a batch of cases and their results; a pipe each way
 * carries "run cases [start, count)" and "done".  If the runner dies on a
 * case, `progress` names it; the test marks it and restarts the runner
 * after it. */
#ifndef GLASS_TESTS_DIFF_RUNNER_PROTO_H
#define GLASS_TESTS_DIFF_RUNNER_PROTO_H

#include <stdint.h>

#include "tests/diff/diff.h"

#define DIFF_BATCH 1024
/* The runner's control block (registers to load, where to jump), and its
 * layout as runner_stub.S reads it. */
#define DIFF_CTL 0x10010000ull

struct diff_ctl {
    uint64_t gpr[16];       /* 0 */
    uint64_t rflags;        /* 128 */
    uint64_t go;            /* 136: the instruction, or diff_native_go32 */
    uint32_t far_off;       /* 144: m16:32 far pointer for 32-bit code */
    uint16_t far_sel;
};

struct diff_shm {
    volatile uint32_t progress;     /* index of the case being run */
    uint32_t host_features;         /* DIFF_HOST_* found by the runner */
    /* The probe for DIFF_HOST_COMPAT32 (a NOP at selector 0x23): its
     * exception vector (DIFF_NO_VECTOR if it ran) and signal. */
    int32_t compat32_vector, compat32_signo;
    struct diff_case cases[DIFF_BATCH];
    struct diff_result results[DIFF_BATCH];
};

struct diff_cmd {
    uint32_t start, count;
};

#define DIFF_HOST_LZCNT  (1u << 0)
#define DIFF_HOST_BMI1   (1u << 1)
#define DIFF_HOST_MOVBE  (1u << 2)
#define DIFF_HOST_POPCNT (1u << 3)
#define DIFF_HOST_CX16   (1u << 4)
#define DIFF_HOST_LAHF64 (1u << 5)
#define DIFF_HOST_COMPAT32 (1u << 6) /* 32-bit user code (selector 0x23) runs */

#endif
