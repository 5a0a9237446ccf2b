/* The guest's clock and its timers (machine/vclock.h). */
#include "machine/vclock.h"

#include <stddef.h>
#include <time.h>

static uint64_t host_now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

void vclock_init(struct vclock *c)
{
    c->host_base_ns = host_now_ns();
    c->fake = false;
    c->fake_now_ns = 0;
    c->armed = NULL;
}

uint64_t vclock_now(const struct vclock *c)
{
    if (c->fake)
        return c->fake_now_ns;
    return host_now_ns() - c->host_base_ns;
}

void vclock_set_fake(struct vclock *c, uint64_t now_ns)
{
    c->fake = true;
    c->fake_now_ns = now_ns;
}

void vtimer_init(struct vtimer *t, const char *name, void (*fire)(void *), void *opaque)
{
    t->deadline_ns = 0;
    t->fire = fire;
    t->opaque = opaque;
    t->name = name;
    t->armed = false;
    t->next = NULL;
}

void vtimer_cancel(struct vclock *c, struct vtimer *t)
{
    if (!t->armed)
        return;
    for (struct vtimer **p = &c->armed; *p; p = &(*p)->next) {
        if (*p == t) {
            *p = t->next;
            break;
        }
    }
    t->armed = false;
    t->next = NULL;
}

void vtimer_arm(struct vclock *c, struct vtimer *t, uint64_t deadline_ns)
{
    vtimer_cancel(c, t);
    t->deadline_ns = deadline_ns;
    struct vtimer **p = &c->armed;
    while (*p && (*p)->deadline_ns <= deadline_ns)
        p = &(*p)->next;
    t->next = *p;
    *p = t;
    t->armed = true;
}

uint64_t vclock_next_deadline(const struct vclock *c)
{
    return c->armed ? c->armed->deadline_ns : VCLOCK_NEVER;
}

uint64_t vclock_run_expired(struct vclock *c)
{
    uint64_t now = vclock_now(c);
    /* Take one expired timer at a time: a fire function may arm or cancel
     * any timer, itself included, so the list is re-read after each. */
    while (c->armed && c->armed->deadline_ns <= now) {
        struct vtimer *t = c->armed;
        c->armed = t->next;
        t->next = NULL;
        t->armed = false;
        t->fire(t->opaque);
    }
    return vclock_next_deadline(c);
}
