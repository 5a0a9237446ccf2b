/* The exit log: ring order, wrap-around, counters, descriptions. */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "machine/exit_log.h"
#include "tests/unit/run_suite.h"

static struct vm_exit io_exit(uint64_t rip, uint16_t port, uint32_t data)
{
    struct vm_exit e;
    memset(&e, 0, sizeof(e));
    e.reason = EXIT_IO_INSTRUCTION;
    e.rip = rip;
    e.io.port = port;
    e.io.size = 1;
    e.io.data = data;
    return e;
}

START_TEST(recent_returns_newest_first)
{
    static struct exit_log log;
    exit_log_clear(&log);
    ck_assert_uint_eq(exit_log_len(&log), 0);
    ck_assert_ptr_null(exit_log_recent(&log, 0));
    for (int i = 0; i < 3; i++) {
        struct vm_exit e = io_exit(0x7c00 + i, 0x3f8, 'a' + i);
        exit_log_push(&log, &e);
    }
    ck_assert_uint_eq(exit_log_len(&log), 3);
    ck_assert_uint_eq(exit_log_recent(&log, 0)->exit.rip, 0x7c02);
    ck_assert_uint_eq(exit_log_recent(&log, 0)->seq, 3);
    ck_assert_uint_eq(exit_log_recent(&log, 2)->exit.io.data, 'a');
    ck_assert_ptr_null(exit_log_recent(&log, 3));
}
END_TEST

START_TEST(ring_keeps_the_last_entries_after_wrapping)
{
    static struct exit_log log;
    exit_log_clear(&log);
    int n = EXIT_LOG_SIZE * 2 + 5;
    for (int i = 0; i < n; i++) {
        struct vm_exit e = io_exit((uint64_t)i, 0x80, (uint32_t)i);
        exit_log_push(&log, &e);
    }
    ck_assert_uint_eq(exit_log_len(&log), EXIT_LOG_SIZE);
    ck_assert_uint_eq(log.total, (uint64_t)n);
    ck_assert_uint_eq(exit_log_recent(&log, 0)->exit.rip, (uint64_t)(n - 1));
    ck_assert_uint_eq(exit_log_recent(&log, EXIT_LOG_SIZE - 1)->exit.rip,
                      (uint64_t)(n - EXIT_LOG_SIZE));
    ck_assert_uint_eq(exit_log_recent(&log, EXIT_LOG_SIZE - 1)->seq,
                      (uint64_t)(n - EXIT_LOG_SIZE + 1));
}
END_TEST

START_TEST(counters_by_reason_including_glass_reasons)
{
    static struct exit_log log;
    exit_log_clear(&log);
    struct vm_exit e;
    memset(&e, 0, sizeof(e));
    e.reason = EXIT_HLT;
    exit_log_push(&log, &e);
    exit_log_push(&log, &e);
    e.reason = EXIT_GLASS_STOP;
    exit_log_push(&log, &e);
    e.reason = 4242;    /* unknown: counted in the last slot */
    exit_log_push(&log, &e);
    ck_assert_uint_eq(exit_log_count(&log, EXIT_HLT), 2);
    ck_assert_uint_eq(exit_log_count(&log, EXIT_GLASS_STOP), 1);
    ck_assert_uint_eq(exit_log_count(&log, EXIT_GLASS_DEBUG), 0);
    ck_assert_uint_eq(exit_log_count(&log, EXIT_IO_INSTRUCTION), 0);
    ck_assert_uint_eq(log.count[EXIT_LOG_NCOUNTERS - 1], 1);
    for (size_t i = 0; i + 1 < EXIT_LOG_NCOUNTERS; i++)
        ck_assert_uint_eq(exit_log_counter_index(exit_log_counter_reason(i)), i);
    exit_log_clear(&log);
    ck_assert_uint_eq(exit_log_count(&log, EXIT_HLT), 0);
}
END_TEST

START_TEST(describe_names_the_reason_and_details)
{
    char buf[128];
    struct vm_exit e = io_exit(0, 0x3f8, 0x48);
    ck_assert_str_eq(exit_log_describe(&e, buf, sizeof(buf)),
                     "IO_INSTRUCTION out port 0x3f8 size 1 data 0x48");
    memset(&e, 0, sizeof(e));
    e.reason = EXIT_EPT_VIOLATION;
    e.mmio.gpa = 0xfee00030;
    e.mmio.size = 4;
    ck_assert_str_eq(exit_log_describe(&e, buf, sizeof(buf)),
                     "EPT_VIOLATION mmio read gpa 0xfee00030 size 4 data 0x0");
    e.reason = EXIT_TRIPLE_FAULT;
    ck_assert_str_eq(exit_log_describe(&e, buf, sizeof(buf)), "TRIPLE_FAULT");
}
END_TEST

START_TEST(reason_names_follow_the_sdm)
{
    ck_assert_str_eq(vm_exit_reason_name(EXIT_EXCEPTION_NMI), "EXCEPTION_NMI");
    ck_assert_str_eq(vm_exit_reason_name(EXIT_HLT), "HLT");
    ck_assert_str_eq(vm_exit_reason_name(EXIT_IO_INSTRUCTION), "IO_INSTRUCTION");
    ck_assert_str_eq(vm_exit_reason_name(EXIT_EPT_VIOLATION), "EPT_VIOLATION");
    ck_assert_str_eq(vm_exit_reason_name(EXIT_XSETBV), "XSETBV");
    ck_assert_str_eq(vm_exit_reason_name(35), "UNKNOWN");
    ck_assert_str_eq(vm_exit_reason_name(EXIT_GLASS_INTERNAL_ERROR), "GLASS_INTERNAL_ERROR");
    ck_assert_str_eq(vm_exit_reason_name(999), "UNKNOWN");
}
END_TEST

int main(void)
{
    Suite *s = suite_create("exit_log");
    TCase *tc = tcase_create("exit_log");
    tcase_add_test(tc, recent_returns_newest_first);
    tcase_add_test(tc, ring_keeps_the_last_entries_after_wrapping);
    tcase_add_test(tc, counters_by_reason_including_glass_reasons);
    tcase_add_test(tc, describe_names_the_reason_and_details);
    tcase_add_test(tc, reason_names_follow_the_sdm);
    suite_add_tcase(s, tc);
    return run_suite(s);
}
