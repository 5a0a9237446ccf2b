/* The exit log: the last EXIT_LOG_SIZE VM exits of the machine, with where
 * they happened and what they carried, plus a counter per reason.  It is how
 * a student sees the conversation between the guest and the board ("the
 * guest did 1200 OUTs to 0x3f8, then HLT"); the debugger prints it. */
#ifndef GLASS_MACHINE_EXIT_LOG_H
#define GLASS_MACHINE_EXIT_LOG_H

#include <stddef.h>
#include <stdint.h>

#include "machine/vm_exit.h"

#define EXIT_LOG_SIZE 256
/* Counters: VMX reasons 0..EXIT_REASON_MAX-1 index directly; glass's own
 * reasons (1000...) follow them. */
#define EXIT_LOG_GLASS_REASONS 3
#define EXIT_LOG_NCOUNTERS (EXIT_REASON_MAX + EXIT_LOG_GLASS_REASONS + 1)

struct exit_log_entry {
    uint64_t seq;           /* 1 for the first exit ever logged */
    struct vm_exit exit;    /* a copy; error.message is not owned */
};

struct exit_log {
    struct exit_log_entry ring[EXIT_LOG_SIZE];
    uint64_t total;         /* exits logged since the last clear */
    uint64_t count[EXIT_LOG_NCOUNTERS]; /* by exit_log_counter_index() */
};

void exit_log_clear(struct exit_log *log);
void exit_log_push(struct exit_log *log, const struct vm_exit *e);

/* How many entries the ring holds now (<= EXIT_LOG_SIZE). */
size_t exit_log_len(const struct exit_log *log);
/* The i-th newest entry: 0 = the last exit; NULL past the end. */
const struct exit_log_entry *exit_log_recent(const struct exit_log *log, size_t i);

/* Exits of one reason since the last clear. */
uint64_t exit_log_count(const struct exit_log *log, uint32_t reason);

/* Index of reason in count[] (the last slot collects unknown reasons). */
size_t exit_log_counter_index(uint32_t reason);
/* The reason counted in slot i (inverse of the above). */
uint32_t exit_log_counter_reason(size_t i);

/* One line describing an exit ("IO_INSTRUCTION out port 0x3f8 size 1 data
 * 0x48"); returns buf. */
char *exit_log_describe(const struct vm_exit *e, char *buf, size_t len);

#endif
