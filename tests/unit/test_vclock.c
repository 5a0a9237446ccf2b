/* The virtual clock's timers: order, re-arming from a fire function, cancel. */
#include <check.h>
#include <stdlib.h>

#include "machine/vclock.h"
#include "tests/unit/run_suite.h"

struct log { int fired[8]; int n; struct vclock *c; struct vtimer *rearm; uint64_t period; };
struct probe { struct log *log; int id; };

static void fire(void *opaque)
{
    struct probe *p = opaque;
    p->log->fired[p->log->n++] = p->id;
    if (p->log->rearm && p->id == 9)
        vtimer_arm(p->log->c, p->log->rearm, vclock_now(p->log->c) + p->log->period);
}

START_TEST(fires_in_deadline_order_only_when_due)
{
    struct vclock c;
    vclock_init(&c);
    vclock_set_fake(&c, 100);
    struct log log = {.c = &c};
    struct probe pa = {&log, 1}, pb = {&log, 2}, pc = {&log, 3};
    struct vtimer a, b, t3;
    vtimer_init(&a, "a", fire, &pa);
    vtimer_init(&b, "b", fire, &pb);
    vtimer_init(&t3, "c", fire, &pc);
    vtimer_arm(&c, &a, 300);
    vtimer_arm(&c, &b, 200);
    vtimer_arm(&c, &t3, 1000);
    ck_assert_uint_eq(vclock_next_deadline(&c), 200);
    ck_assert_uint_eq(vclock_run_expired(&c), 200);
    ck_assert_int_eq(log.n, 0);
    vclock_set_fake(&c, 300);
    ck_assert_uint_eq(vclock_run_expired(&c), 1000);
    ck_assert_int_eq(log.n, 2);
    ck_assert_int_eq(log.fired[0], 2);
    ck_assert_int_eq(log.fired[1], 1);
    vtimer_cancel(&c, &t3);
    ck_assert_uint_eq(vclock_next_deadline(&c), VCLOCK_NEVER);
}
END_TEST

START_TEST(periodic_timer_rearms_itself)
{
    struct vclock c;
    vclock_init(&c);
    vclock_set_fake(&c, 0);
    struct vtimer t;
    struct log log = {.c = &c, .rearm = &t, .period = 50};
    struct probe p = {&log, 9};
    vtimer_init(&t, "periodic", fire, &p);
    vtimer_arm(&c, &t, 50);
    vclock_set_fake(&c, 50);
    ck_assert_uint_eq(vclock_run_expired(&c), 100);
    vclock_set_fake(&c, 100);
    ck_assert_uint_eq(vclock_run_expired(&c), 150);
    ck_assert_int_eq(log.n, 2);
}
END_TEST

START_TEST(real_clock_moves_forward)
{
    struct vclock c;
    vclock_init(&c);
    uint64_t a = vclock_now(&c), b = vclock_now(&c);
    ck_assert_uint_ge(b, a);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("vclock");
    TCase *tc = tcase_create("timers");
    tcase_add_test(tc, fires_in_deadline_order_only_when_due);
    tcase_add_test(tc, periodic_timer_rearms_itself);
    tcase_add_test(tc, real_clock_moves_forward);
    suite_add_tcase(s, tc);
    return run_suite(s);
}
