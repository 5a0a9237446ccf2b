/* The PC board: options -> memory map, devices, loader, vCPUs, run loop. */
#ifndef GLASS_MACHINE_MACHINE_H
#define GLASS_MACHINE_MACHINE_H

#include <pthread.h>
#include <stdint.h>

#include "cpu/x86_cpu.h"
#include "machine/accel.h"
#include "machine/vm_exit.h"

#define MAX_VCPUS 8

struct machine;

struct vcpu {
    int index;
    struct machine *m;
    struct x86_cpu cpu;
    void *accel_state;        /* the accelerator's own per-vCPU data */
    pthread_t thread;
};

/* The rest of struct machine and its functions: machine/board.h etc. */

#endif
