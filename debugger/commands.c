/* The command table, the dispatcher and `help` (debugger/session.h). */
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "debugger/disas.h"
#include "debugger/session.h"
#include "machine/board.h"

const struct dbg_command dbg_commands[] = {
    { "continue", "c", "continue",
      "Run the guest until a breakpoint, a watchpoint, Ctrl-C or the end of the machine.", cmd_continue },
    { "stepi", "si", "stepi [N]",
      "Execute N (default 1) guest instructions, in any mode, external interrupts masked\n"
      "while stepping unless `set step-irq on`.", cmd_stepi },
    { "next", "n", "next",
      "Execute one instruction, running over CALL, INT n and REP string instructions\n"
      "(stops when the instruction after it is reached with the stack no deeper).", cmd_next },
    { "finish", NULL, "finish",
      "Run until the current function returns (RET/RETF/IRET at this call depth).", cmd_finish },
    { "until", "u", "until ADDR",
      "Run until the instruction at ADDR (linear, symbol or SEG:OFF) is reached.", cmd_until },
    { "break", "b", "break ADDR | break *phys ADDR | break mode real|protected|long |\n"
      "       break exit REASON | break vector N | break port N   [if REG OP VALUE]",
      "Set a breakpoint.  ADDR is a linear address, a symbol, SEG:OFF or $reg.\n"
      "`*phys ADDR` stops at the instruction at that guest-physical address; `mode`\n"
      "when the guest enters real, protected or long (64-bit code) mode; `exit` on a VM exit\n"
      "of that reason (name as in `info exits`, or VMX number); `vector` when exception or\n"
      "interrupt N is delivered; `port` on an IN/OUT touching port N.  `if REG OP VALUE`\n"
      "(OP one of == != < > <= >=) makes it conditional.  Breakpoints are addresses kept\n"
      "by glass, not INT3 bytes in guest memory: a kernel loaded over them keeps them.", cmd_break },
    { "tbreak", NULL, "tbreak (same arguments as break)",
      "Set a temporary breakpoint: deleted when it is hit.", cmd_tbreak },
    { "delete", "d", "delete [N]", "Delete breakpoint or watchpoint N, or all of them.", cmd_delete },
    { "disable", NULL, "disable N", "Disable breakpoint or watchpoint N.", cmd_disable },
    { "enable", NULL, "enable N", "Enable breakpoint or watchpoint N.", cmd_enable },
    { "watch", NULL, "watch [phys] ADDR [LEN]",
      "Stop after an instruction that changes LEN (default 4, at most 256) bytes at ADDR\n"
      "(linear, or guest-physical with `phys`).  Exact: the bytes are compared after every\n"
      "instruction (the guest is single-stepped while a watchpoint exists).", cmd_watch },
    { "rwatch", NULL, "rwatch [phys] ADDR [LEN]",
      "Stop after an instruction that reads the range: found by decoding each instruction's\n"
      "memory operand (and string source, stack pops) before it runs; hardware reads (page\n"
      "walks, descriptor loads) are not seen.", cmd_rwatch },
    { "awatch", NULL, "awatch [phys] ADDR [LEN]", "Read or write watchpoint (rwatch + watch).", cmd_awatch },
    { "regs", NULL, "regs", "General registers, RIP and RFLAGS with the flags decoded.", cmd_regs },
    { "sregs", NULL, "sregs",
      "Segment registers with their descriptor caches, CR0/CR2/CR3/CR4/CR8 with their bits\n"
      "named, EFER, GDTR, IDTR, LDTR and TR.", cmd_sregs },
    { "x", NULL, "x/FMT ADDR",
      "Examine linear memory.  FMT is [COUNT][FORMAT][SIZE] as in gdb: FORMAT x (hex),\n"
      "d (signed), u (unsigned), c (char), s (string), i (instructions); SIZE b (1), h (2),\n"
      "w (4), g (8).  ADDR: linear, symbol, SEG:OFF.  `x` alone continues after the last.", cmd_x },
    { "xp", NULL, "xp/FMT ADDR", "Examine guest-physical memory (as x).", cmd_xp },
    { "disas", NULL, "disas [ADDR] [N]",
      "Disassemble N (default 10) instructions at ADDR (default CS:RIP) in the guest's\n"
      "current mode (16, 32 or 64-bit), with symbols.", cmd_disas },
    { "print", "p", "print EXPR", "Evaluate an expression: numbers, $reg, symbols, + and -.", cmd_print },
    { "info", "i", "info WHAT",
      "Show state: info breakpoints | registers | gdt | idt | ldt | tss | msr | pagewalk VA\n"
      "| mem | tlb | ept [GPA] | exits [N] | pic | pit | lapic | ioapic | uart | ide | rtc\n"
      "| irq | symbol ADDR.  `help info WHAT` for each.", cmd_info },
    { "trace", NULL, "trace exits on|off",
      "Print every VM exit (reason, RIP, details) as the guest runs under the debugger.", cmd_trace },
    { "symbol-file", NULL, "symbol-file FILE [OFFSET]",
      "Load the symbols of an ELF file (32 or 64-bit), moved by OFFSET.  The -kernel ELF's\n"
      "symbols are loaded at start.", cmd_symbol_file },
    { "accel", NULL, "accel [NAME]", "Show or switch the accelerator.", cmd_accel },
    { "cpu", NULL, "cpu [N]",
      "List the vCPUs, or make vCPU N the current one.  The list: index, APIC id,\n"
      "state (running, halted, waiting for SIPI), mode and CS:RIP; * marks the current\n"
      "vCPU.  The current vCPU is the one regs, sregs, x/i, disas, info pagewalk, info\n"
      "lapic and set show or change (memory goes through its page tables), and the one\n"
      "stepi, next, finish and until step, while the others run in slices.  The\n"
      "breakpoint table is shared, but linear, physical and mode breakpoints and read\n"
      "watchpoints are checked on the current vCPU only; exit, port and vector\n"
      "breakpoints fire on any vCPU, which then becomes current.", cmd_cpu },
    { "set", NULL, "set step-irq on|off | set REG = VALUE | set var $REG = VALUE",
      "step-irq on lets external interrupts in while single-stepping (off, the default,\n"
      "holds them back).  REG = VALUE writes a register.", cmd_set },
    { "echo", NULL, "echo TEXT", "Print TEXT (for scripts).", cmd_echo },
    { "help", "h", "help [COMMAND]", "List the commands, or explain one.", cmd_help },
    { "quit", "q", "quit", "Leave the debugger and glass.", cmd_quit },
    { NULL, NULL, NULL, NULL, NULL },
};

static const struct dbg_command *find(const struct dbg_command *table, const char *name);

const struct dbg_command *dbg_find_command(const char *name)
{
    return find(dbg_commands, name);
}

static const struct dbg_command *find(const struct dbg_command *table, const char *name)
{
    const struct dbg_command *prefix = NULL;
    int nprefix = 0;
    for (const struct dbg_command *c = table; c->name; c++) {
        if (!strcmp(c->name, name) || (c->alias && !strcmp(c->alias, name)))
            return c;
        if (!strncmp(c->name, name, strlen(name))) {
            prefix = c;
            nprefix++;
        }
    }
    return nprefix == 1 ? prefix : NULL;
}

DBG_CMD(cmd_info)
{
    (void)suffix;
    if (argc < 2) {
        fprintf(s->out, "info what?  ");
        for (const struct dbg_command *c = dbg_info_commands; c->name; c++)
            fprintf(s->out, "%s%s", c->name, c[1].name ? " " : "\n");
        return -1;
    }
    const struct dbg_command *c = find(dbg_info_commands, argv[1]);
    if (!c) {
        fprintf(s->out, "unknown info command '%s' (try `help info`)\n", argv[1]);
        return -1;
    }
    return c->run(s, argc - 1, argv + 1, suffix);
}

#define HELP_INDENT 15
#define HELP_WIDTH 79

/* A command's summary: the first sentence of its help, which may run over
 * several lines of the text (up to a '.' before a space, a newline or the
 * end; the whole text if it has no such '.'). */
static size_t summary_len(const char *help)
{
    for (const char *p = help; *p; p++)
        if (*p == '.' && (p[1] == ' ' || p[1] == '\n' || !p[1]))
            return (size_t)(p - help) + 1;
    return strlen(help);
}

static bool is_space(char c)
{
    return c == ' ' || c == '\n';
}

/* text[0..len) word-wrapped to HELP_WIDTH columns, every line indented. */
static void print_wrapped(FILE *out, const char *text, size_t len, int indent)
{
    size_t i = 0;
    while (i < len) {
        int col = indent;
        fprintf(out, "%*s", indent, "");
        bool first = true;
        for (;;) {
            while (i < len && is_space(text[i]))
                i++;
            size_t w = i;
            while (w < len && !is_space(text[w]))
                w++;
            if (i >= len || (!first && col + 1 + (int)(w - i) > HELP_WIDTH))
                break;
            fprintf(out, "%s%.*s", first ? "" : " ", (int)(w - i), text + i);
            col += (first ? 0 : 1) + (int)(w - i);
            first = false;
            i = w;
        }
        fprintf(out, "\n");
    }
}

DBG_CMD(cmd_help)
{
    (void)suffix;
    if (argc < 2) {
        fprintf(s->out, "Commands (`help COMMAND` for details):\n");
        for (const struct dbg_command *c = dbg_commands; c->name; c++) {
            if (c->alias)
                fprintf(s->out, "  %-12s (%s)\n", c->name, c->alias);
            else
                fprintf(s->out, "  %s\n", c->name);
            print_wrapped(s->out, c->help, summary_len(c->help), HELP_INDENT);
        }
        fprintf(s->out, "info subcommands:");
        for (const struct dbg_command *c = dbg_info_commands; c->name; c++)
            fprintf(s->out, " %s", c->name);
        fprintf(s->out, "\n");
        return 0;
    }
    const struct dbg_command *c;
    if (!strcmp(argv[1], "info") && argc > 2) {
        c = find(dbg_info_commands, argv[2]);
        if (!c) {
            fprintf(s->out, "no info command '%s'\n", argv[2]);
            return -1;
        }
        fprintf(s->out, "usage: info %s\n%s\n", c->usage, c->help);
        return 0;
    }
    char name[64];
    snprintf(name, sizeof(name), "%s", argv[1]);
    char *slash = strchr(name, '/');
    if (slash)
        *slash = 0;
    c = find(dbg_commands, name);
    if (!c) {
        fprintf(s->out, "no command '%s' (try `help`)\n", argv[1]);
        return -1;
    }
    fprintf(s->out, "usage: %s\n%s\n", c->usage, c->help);
    if (c->alias)
        fprintf(s->out, "alias: %s\n", c->alias);
    return 0;
}

#define MAX_ARGS 32

int dbg_execute(struct dbg_session *s, const char *line)
{
    char buf[1024];
    char *argv[MAX_ARGS];
    int argc = 0;
    snprintf(buf, sizeof(buf), "%s", line);
    char *hash = buf;
    while (*hash == ' ' || *hash == '\t')
        hash++;
    if (*hash == '#' || !*hash)
        return 0;
    for (char *p = strtok(buf, " \t\r\n"); p && argc < MAX_ARGS; p = strtok(NULL, " \t\r\n"))
        argv[argc++] = p;
    if (!argc)
        return 0;
    char name[64];
    snprintf(name, sizeof(name), "%s", argv[0]);
    const char *suffix = "";
    char *slash = strchr(name, '/');
    if (slash) {
        *slash = 0;
        suffix = argv[0] + (slash - name) + 1;
    }
    const struct dbg_command *c = find(dbg_commands, name);
    if (!c) {
        fprintf(s->out, "unknown command '%s' (try `help`)\n", name);
        return -1;
    }
    int r = c->run(s, argc, argv, suffix);
    fflush(s->out);
    return r;
}

const char *dbg_join(int argc, char **argv, int from, char *buf, size_t len)
{
    size_t n = 0;
    buf[0] = 0;
    for (int i = from; i < argc && n < len; i++)
        n += (size_t)snprintf(buf + n, len - n, "%s%s", i > from ? " " : "", argv[i]);
    return buf;
}

void dbg_session_init(struct dbg_session *s, struct machine *m, const struct options *opt, FILE *out)
{
    memset(s, 0, sizeof(*s));
    debugger_init(&s->d, m);
    s->m = m;
    s->opt = opt;
    s->out = out;
    s->last_x_count = 1;
    s->last_x_size = 4;
    s->last_x_fmt = 'x';
    symtab_init(&s->syms);
    if (opt && opt->kernel) {
        char err[256];
        long n = symtab_load_elf(&s->syms, opt->kernel, 0, err, sizeof(err));
        if (n > 0 && out)
            fprintf(out, "Reading symbols from %s: %ld symbols\n", opt->kernel, n);
    }
}

void dbg_session_free(struct dbg_session *s)
{
    symtab_free(&s->syms);
}

uint64_t dbg_disas(struct dbg_session *s, uint64_t lin, int n, int bits)
{
    for (int i = 0; i < n; i++) {
        uint8_t bytes[16];
        long got = dbg_read_linear(&s->d, lin, bytes, sizeof(bytes));
        if (got <= 0) {
            fprintf(s->out, "0x%" PRIx64 ": cannot read memory (not mapped)\n", lin);
            return lin;
        }
        char text[160], sym[128];
        int len = disas_one(bits, bytes, (size_t)got, lin, &s->syms, text, sizeof(text));
        if (len <= 0)
            len = 1;
        symtab_describe(&s->syms, lin, sym, sizeof(sym));
        char hex[64] = "";
        for (int k = 0; k < len && k < 10; k++)
            snprintf(hex + 3 * k, sizeof(hex) - 3 * (size_t)k, "%02x ", bytes[k]);
        fprintf(s->out, "%s0x%0*" PRIx64 "%s%s%s:  %-24s %s\n", i == 0 && 0 ? "=> " : "  ",
                bits == 64 ? 16 : 8, lin, *sym ? " <" : "", sym, *sym ? ">" : "", hex, text);
        lin += (uint64_t)len;
    }
    return lin;
}

void dbg_print_location(struct dbg_session *s)
{
    struct x86_cpu *cpu = dbg_cpu(&s->d);
    int bits = x86_code_bits(cpu);
    uint64_t pc = dbg_pc_linear(cpu);
    uint8_t bytes[16];
    char text[160] = "(cannot read memory)", sym[128];
    long got = dbg_read_linear(&s->d, pc, bytes, sizeof(bytes));
    if (got > 0)
        disas_one(bits, bytes, (size_t)got, pc, &s->syms, text, sizeof(text));
    symtab_describe(&s->syms, pc, sym, sizeof(sym));
    const char *mode = dbg_cpu_mode(cpu) == 16 ? "real" : dbg_cpu_mode(cpu) == 64 ? "long" : "protected";
    if (bits == 16 && !x86_protected(cpu))
        fprintf(s->out, "=> %04x:%04" PRIx64 " (linear 0x%05" PRIx64 ")", cpu->seg[S_CS].selector,
                cpu->rip & 0xffff, pc);
    else
        fprintf(s->out, "=> %04x:%0*" PRIx64, cpu->seg[S_CS].selector, bits == 64 ? 16 : 8, cpu->rip);
    fprintf(s->out, "%s%s%s [%s, %d-bit]: %s\n", *sym ? " <" : "", sym, *sym ? ">" : "", mode,
            bits, text);
}

static void print_trace(struct dbg_session *s);

void dbg_report_stop(struct dbg_session *s, const struct dbg_stop *why)
{
    char desc[160];
    print_trace(s);
    switch (why->reason) {
    case STOP_STEP_DONE:
        break;
    case STOP_BREAKPOINT: {
        fprintf(s->out, "Breakpoint %d", why->bp_id);
        const struct dbg_breakpoint *b = dbg_break_find(&s->d, why->bp_id);
        bool detail = b ? (b->kind == BK_EXIT || b->kind == BK_PORT || b->kind == BK_VECTOR)
                        : why->exit.reason < EXIT_GLASS_DEBUG;   /* a tbreak, now deleted */
        if (detail) {
            if (why->exit.reason == EXIT_EXCEPTION_NMI)
                fprintf(s->out, ", vector %u", why->exit.exc.vector);
            else
                fprintf(s->out, ", exit %s", exit_log_describe(&why->exit, desc, sizeof(desc)));
        }
        fprintf(s->out, "\n");
        break;
    }
    case STOP_WATCHPOINT:
        fprintf(s->out, "Watchpoint %d: %s at 0x%" PRIx64 "\n", why->wp_id,
                why->access == WATCH_READ ? "read" : "write", why->addr);
        break;
    case STOP_INTERRUPTED:
        fprintf(s->out, "Interrupted\n");
        break;
    case STOP_MACHINE_EXIT:
        fprintf(s->out, "The machine stopped (exit status %d)\n", why->exit_status);
        s->ended = true;
        s->exit_status = why->exit_status;
        return;
    case STOP_HALTED: {
        struct x86_cpu *cpu = dbg_vcpu_cpu(&s->d, why->vcpu);
        if (cpu && (x86_get_rflags(cpu) & FL_IF))   /* a step with interrupts held back */
            fprintf(s->out, "vCPU %d halted (HLT with IF=1): the interrupt that wakes it is held "
                    "back while stepping (`set step-irq on`, or `continue`)\n", why->vcpu);
        else
            fprintf(s->out, "vCPU %d halted (HLT with IF=0); nothing can wake it in the debugger "
                    "yet\n", why->vcpu);
        break;
    }
    case STOP_ERROR:
        fprintf(s->out, "Accelerator error: %s (exit %s)\n",
                why->exit.reason == EXIT_GLASS_INTERNAL_ERROR && why->exit.error.message
                    ? why->exit.error.message : "no message",
                vm_exit_reason_name(why->exit.reason));
        s->ended = true;
        s->exit_status = 1;
        return;
    }
    if (s->d.cur_vcpu != s->shown_vcpu) {  /* stopped by another vCPU (all-stop) */
        fprintf(s->out, "[Switching to vCPU %d]\n", s->d.cur_vcpu);
        s->shown_vcpu = s->d.cur_vcpu;
    }
    dbg_print_location(s);
}

/* trace exits: every exit logged since the last look. */
static uint64_t trace_seen;
static void print_trace(struct dbg_session *s)
{
    struct exit_log *log = &s->m->exits;
    if (!s->trace_exits) {
        trace_seen = log->total;
        return;
    }
    uint64_t n = log->total - trace_seen;
    if (n > EXIT_LOG_SIZE) {
        fprintf(s->out, "[trace: %" PRIu64 " exits not shown]\n", n - EXIT_LOG_SIZE);
        n = EXIT_LOG_SIZE;
    }
    for (uint64_t i = n; i-- > 0;) {
        const struct exit_log_entry *e = exit_log_recent(log, (size_t)i);
        char d[160];
        if (e)
            fprintf(s->out, "[exit #%" PRIu64 " rip 0x%" PRIx64 "] %s\n", e->seq, e->exit.rip,
                    exit_log_describe(&e->exit, d, sizeof(d)));
    }
    trace_seen = log->total;
}

DBG_CMD(cmd_trace)
{
    (void)suffix;
    if (argc != 3 || strcmp(argv[1], "exits") || (strcmp(argv[2], "on") && strcmp(argv[2], "off"))) {
        fprintf(s->out, "usage: trace exits on|off\n");
        return -1;
    }
    s->trace_exits = !strcmp(argv[2], "on");
    trace_seen = s->m->exits.total;
    fprintf(s->out, "trace exits %s\n", argv[2]);
    return 0;
}
