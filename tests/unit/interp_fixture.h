/* The fixture of the one-CPU interpreter tests (test_interp.c,
 * test_interp_block.c): the CPU and RAM of guest_fixture.h, in flat 32-bit
 * protected mode at CODE (which the test file defines before including
 * this), with the interpreter and its decoded-instruction cache attached.
 * The state is in file-scope statics because Check's fixtures take no
 * argument; each test file is its own program. */
#ifndef GLASS_TESTS_INTERP_FIXTURE_H
#define GLASS_TESTS_INTERP_FIXTURE_H

#include <string.h>

#include "cpu/interp.h"
#include "tests/unit/guest_fixture.h"

#ifndef CODE
#error "define CODE (where the guest runs from after setup) before including interp_fixture.h"
#endif

static struct memmap mm;
static struct x86_cpu *cpu;
static struct interp_cache *cache;

static inline void code_written(void *opaque, uint64_t gpa, uint64_t len)
{
    interp_invalidate_phys(opaque, gpa, len);
}

static inline void setup(void)
{
    cpu = guest_cpu_create(&mm, CODE);
    cache = interp_cache_create();
    ck_assert_ptr_nonnull(cache);
    memmap_set_code_hook(&mm, code_written, cache);
    interp_attach(cpu, cache);
}

static inline void teardown(void)
{
    interp_attach(cpu, NULL);
    interp_cache_destroy(cache);
    guest_cpu_destroy(&mm, cpu);
}

static inline void load(uint64_t gpa, const void *p, size_t n)
{
    guest_write(&mm, gpa, p, n);
}

static inline void put64(uint64_t gpa, uint64_t v)
{
    guest_write64(&mm, gpa, v);
}

/* interp_run for at most max instructions (0: no limit), which must not fail. */
static inline struct vm_exit run(uint64_t max)
{
    struct vm_exit e;
    memset(&e, 0, sizeof(e));
    ck_assert_int_eq(interp_run(cpu, &e, max), 0);
    return e;
}

#endif
