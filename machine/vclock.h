/* The guest's clock and its timers.  Devices (PIT, RTC, LAPIC timer) read
 * time only through vclock_now() and arm vtimers; the run loop fires the
 * expired ones between vCPU slices and sleeps until the next deadline when
 * every vCPU is halted.  Tests drive a fake clock (vclock_set_fake). */
#ifndef GLASS_MACHINE_VCLOCK_H
#define GLASS_MACHINE_VCLOCK_H

#include <stdbool.h>
#include <stdint.h>

#define VCLOCK_NEVER UINT64_MAX

struct vtimer {
    uint64_t deadline_ns;       /* on the vclock; meaningful when armed */
    void (*fire)(void *opaque); /* called once at (or after) the deadline */
    void *opaque;
    const char *name;           /* for the debugger: "pit", "lapic0" ... */
    bool armed;
    struct vtimer *next;        /* the clock's list, sorted by deadline */
};

struct vclock {
    uint64_t host_base_ns;      /* host CLOCK_MONOTONIC at vclock 0 */
    bool fake;                  /* tests: time moves only by vclock_set_fake */
    uint64_t fake_now_ns;
    struct vtimer *armed;       /* sorted by deadline */
};

/* Start the clock at 0 now. */
void vclock_init(struct vclock *c);
/* Nanoseconds since vclock_init (or the fake time). */
uint64_t vclock_now(const struct vclock *c);
/* Tests: freeze the clock and set it. */
void vclock_set_fake(struct vclock *c, uint64_t now_ns);

void vtimer_init(struct vtimer *t, const char *name, void (*fire)(void *), void *opaque);
/* (Re)arm t to fire at deadline_ns on c. */
void vtimer_arm(struct vclock *c, struct vtimer *t, uint64_t deadline_ns);
void vtimer_cancel(struct vclock *c, struct vtimer *t);

/* Fire every timer whose deadline has passed (a timer may re-arm itself from
 * its fire function).  Returns the next deadline, or VCLOCK_NEVER. */
uint64_t vclock_run_expired(struct vclock *c);
/* The earliest deadline, or VCLOCK_NEVER. */
uint64_t vclock_next_deadline(const struct vclock *c);

#endif
