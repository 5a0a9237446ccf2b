/* Ring buffer of the last exits and per-reason counters. */
#include "machine/exit_log.h"

#include <inttypes.h>
#include <stdio.h>
#include <string.h>

void exit_log_clear(struct exit_log *log)
{
    memset(log, 0, sizeof(*log));
}

size_t exit_log_counter_index(uint32_t reason)
{
    if (reason < EXIT_REASON_MAX)
        return reason;
    if (reason >= EXIT_GLASS_DEBUG && reason < EXIT_GLASS_DEBUG + EXIT_LOG_GLASS_REASONS)
        return EXIT_REASON_MAX + (reason - EXIT_GLASS_DEBUG);
    return EXIT_LOG_NCOUNTERS - 1;
}

uint32_t exit_log_counter_reason(size_t i)
{
    if (i < EXIT_REASON_MAX)
        return (uint32_t)i;
    if (i < EXIT_REASON_MAX + EXIT_LOG_GLASS_REASONS)
        return EXIT_GLASS_DEBUG + (uint32_t)(i - EXIT_REASON_MAX);
    return UINT32_MAX;
}

void exit_log_push(struct exit_log *log, const struct vm_exit *e)
{
    struct exit_log_entry *slot = &log->ring[log->total % EXIT_LOG_SIZE];
    log->total++;
    slot->seq = log->total;
    slot->exit = *e;
    log->count[exit_log_counter_index(e->reason)]++;
}

size_t exit_log_len(const struct exit_log *log)
{
    return log->total < EXIT_LOG_SIZE ? (size_t)log->total : EXIT_LOG_SIZE;
}

const struct exit_log_entry *exit_log_recent(const struct exit_log *log, size_t i)
{
    if (i >= exit_log_len(log))
        return NULL;
    return &log->ring[(log->total - 1 - i) % EXIT_LOG_SIZE];
}

uint64_t exit_log_count(const struct exit_log *log, uint32_t reason)
{
    return log->count[exit_log_counter_index(reason)];
}

char *exit_log_describe(const struct vm_exit *e, char *buf, size_t len)
{
    const char *name = vm_exit_reason_name(e->reason);
    switch (e->reason) {
    case EXIT_IO_INSTRUCTION:
        snprintf(buf, len, "%s %s port 0x%x size %u data 0x%" PRIx32, name,
                 e->io.in ? "in" : "out", e->io.port, e->io.size, e->io.data);
        break;
    case EXIT_EPT_VIOLATION:
        snprintf(buf, len, "%s mmio %s gpa 0x%" PRIx64 " size %u data 0x%" PRIx64, name,
                 e->mmio.write ? "write" : "read", e->mmio.gpa, e->mmio.size, e->mmio.data);
        break;
    case EXIT_EXCEPTION_NMI:
        snprintf(buf, len, "%s vector %u error 0x%" PRIx32, name, e->exc.vector,
                 e->exc.error_code);
        break;
    case EXIT_CR_ACCESS:
    case EXIT_RDMSR:
    case EXIT_WRMSR:
        snprintf(buf, len, "%s index 0x%" PRIx32 " value 0x%" PRIx64, name,
                 e->reg.index, e->reg.value);
        break;
    case EXIT_GLASS_INTERNAL_ERROR:
        snprintf(buf, len, "%s: %s", name, e->error.message ? e->error.message : "?");
        break;
    default:
        snprintf(buf, len, "%s", name);
        break;
    }
    return buf;
}
