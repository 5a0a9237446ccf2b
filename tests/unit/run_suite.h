/* The end of a unit test's main(): run the suite, let Check print its
 * summary, and exit non-zero if any check failed (make check-unit counts
 * the programs that fail). */
#ifndef GLASS_TESTS_RUN_SUITE_H
#define GLASS_TESTS_RUN_SUITE_H

#include <check.h>
#include <stdlib.h>

static inline int run_suite(Suite *s)
{
    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}

#endif
