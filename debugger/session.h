/* A debugger session: the REPL's and --debug-script's shared state, the
 * command table and the helpers commands use.  Private to debugger/. */
#ifndef GLASS_DEBUGGER_SESSION_H
#define GLASS_DEBUGGER_SESSION_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "debugger/debugger.h"
#include "debugger/symbols.h"

struct options;

struct dbg_session {
    struct debugger d;
    struct machine *m;
    const struct options *opt;
    FILE *out;
    struct symtab syms;
    bool trace_exits;           /* print each new exit after a run */
    bool ended;                 /* the guest is gone: only state commands work */
    int exit_status;            /* glass's exit status when ended */
    bool quit;
    bool interactive;
    uint64_t last_x_addr;       /* where the next bare `x` continues */
    int last_x_count, last_x_size;
    char last_x_fmt;
    bool last_x_phys;
    int shown_vcpu;             /* the current vCPU as last reported to the user */
};

struct dbg_command {
    const char *name;
    const char *alias;          /* or NULL */
    const char *usage;
    const char *help;
    int (*run)(struct dbg_session *s, int argc, char **argv, const char *suffix);
};

/* The table (debugger/commands.c), NULL-terminated name. */
extern const struct dbg_command dbg_commands[];
/* `info` subcommands (debugger/commands_info.c). */
extern const struct dbg_command dbg_info_commands[];

/* The command of dbg_commands called name (or alias, or unique prefix), or NULL. */
const struct dbg_command *dbg_find_command(const char *name);

/* Run one command line; 0, or -1 after printing what was wrong. */
int dbg_execute(struct dbg_session *s, const char *line);
/* out NULL: no "Reading symbols from" line (set s->out before commands). */
void dbg_session_init(struct dbg_session *s, struct machine *m, const struct options *opt, FILE *out);
void dbg_session_free(struct dbg_session *s);

/* Print where the vCPU is: "CS:RIP <sym+off>: instruction" */
void dbg_print_location(struct dbg_session *s);
/* Print why a run stopped, then the location. */
void dbg_report_stop(struct dbg_session *s, const struct dbg_stop *why);

/* Expressions (debugger/expr.c): numbers (0x.. hex, decimal), $reg or reg
 * names, symbols, + and -.  0 and *val, or -1 after printing why. */
int dbg_eval(struct dbg_session *s, const char *text, uint64_t *val);
/* An address: an expression, or SEG:OFF (SEG a register name or a
 * selector value) turned into a linear address. */
int dbg_eval_address(struct dbg_session *s, const char *text, uint64_t *lin);
/* Join argv[from..argc) with spaces into buf. */
const char *dbg_join(int argc, char **argv, int from, char *buf, size_t len);

/* Disassemble n instructions from linear address lin in the current mode. */
/* Disassemble n instructions from lin; returns the address after the last. */
uint64_t dbg_disas(struct dbg_session *s, uint64_t lin, int n, int bits);

/* Command handlers, by file. */
#define DBG_CMD(name) int name(struct dbg_session *s, int argc, char **argv, const char *suffix)
DBG_CMD(cmd_continue); DBG_CMD(cmd_stepi); DBG_CMD(cmd_next); DBG_CMD(cmd_finish);
DBG_CMD(cmd_until); DBG_CMD(cmd_set);
DBG_CMD(cmd_break); DBG_CMD(cmd_tbreak); DBG_CMD(cmd_delete); DBG_CMD(cmd_disable);
DBG_CMD(cmd_enable); DBG_CMD(cmd_watch); DBG_CMD(cmd_rwatch); DBG_CMD(cmd_awatch);
DBG_CMD(cmd_info_breakpoints);
DBG_CMD(cmd_regs); DBG_CMD(cmd_sregs); DBG_CMD(cmd_info_gdt); DBG_CMD(cmd_info_idt);
DBG_CMD(cmd_info_ldt); DBG_CMD(cmd_info_tss); DBG_CMD(cmd_info_msr);
DBG_CMD(cmd_x); DBG_CMD(cmd_xp); DBG_CMD(cmd_disas); DBG_CMD(cmd_print);
DBG_CMD(cmd_info_pagewalk); DBG_CMD(cmd_info_mem); DBG_CMD(cmd_info_tlb); DBG_CMD(cmd_info_ept);
DBG_CMD(cmd_info_exits); DBG_CMD(cmd_trace);
DBG_CMD(cmd_info_pic); DBG_CMD(cmd_info_pit); DBG_CMD(cmd_info_lapic); DBG_CMD(cmd_info_ioapic);
DBG_CMD(cmd_info_uart); DBG_CMD(cmd_info_ide); DBG_CMD(cmd_info_rtc); DBG_CMD(cmd_info_irq);
DBG_CMD(cmd_symbol_file); DBG_CMD(cmd_info_symbol); DBG_CMD(cmd_accel); DBG_CMD(cmd_quit);
DBG_CMD(cmd_help); DBG_CMD(cmd_info); DBG_CMD(cmd_info_registers); DBG_CMD(cmd_echo);
DBG_CMD(cmd_cpu);

/* The translator's views (debugger/commands_tb.c), entries of dbg_info_commands. */
DBG_CMD(cmd_info_tb); DBG_CMD(cmd_info_tbstats);
#define DBG_TB_INFO_COMMANDS \
    { "tb", NULL, "tb [ADDR]", \
      "The translated block at ADDR (default CS:RIP) three ways: guest code, the\n" \
      "translator's IR and the x86-64 host code (accel bt only).", cmd_info_tb }, \
    { "tbstats", NULL, "tbstats", \
      "The translator: blocks, code cache use, chain links, flushes, the hottest\n" \
      "blocks (accel bt only).", cmd_info_tbstats }

#endif
