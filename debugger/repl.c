/* The REPL: readline with history and tab completion of commands, `info`
 * subcommands and symbols; Ctrl-C while the guest runs drops back to the
 * prompt (SIGINT -> dbg_interrupt). */
#include "debugger/repl.h"

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <readline/history.h>
#include <readline/readline.h>

#include "debugger/session.h"
#include "devices/serial_backend.h"
#include "machine/board.h"
#include "machine/options.h"

static struct dbg_session *the_session;

static void on_sigint(int sig)
{
    (void)sig;
    if (the_session)
        dbg_interrupt(&the_session->d);
}

static void install_sigint(struct dbg_session *s)
{
    the_session = s;
    struct sigaction sa;
    memset(&sa, 0, sizeof(sa));
    sa.sa_handler = on_sigint;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGINT, &sa, NULL);
}

/* --- completion --- */

static int complete_index;
static size_t complete_len;
static int complete_what;   /* 0 commands, 1 info subcommands, 2 symbols */

static char *completion_generator(const char *text, int state)
{
    if (!state) {
        complete_index = 0;
        complete_len = strlen(text);
    }
    if (complete_what == 0) {
        while (dbg_commands[complete_index].name) {
            const char *n = dbg_commands[complete_index++].name;
            if (!strncmp(n, text, complete_len))
                return strdup(n);
        }
    } else if (complete_what == 1) {
        while (dbg_info_commands[complete_index].name) {
            const char *n = dbg_info_commands[complete_index++].name;
            if (!strncmp(n, text, complete_len))
                return strdup(n);
        }
    } else if (the_session) {
        const struct symtab *t = &the_session->syms;
        const char *prefix = text[0] == '*' ? text + 1 : text;
        size_t plen = strlen(prefix);
        while ((size_t)complete_index < t->n) {
            const char *n = t->sym[complete_index++].name;
            if (!strncmp(n, prefix, plen)) {
                if (prefix == text)
                    return strdup(n);
                char *r = malloc(strlen(n) + 2);
                if (r)
                    sprintf(r, "*%s", n);
                return r;
            }
        }
    }
    return NULL;
}

static char **complete(const char *text, int start, int end)
{
    (void)end;
    rl_attempted_completion_over = 1;
    if (start == 0)
        complete_what = 0;
    else if (!strncmp(rl_line_buffer, "info ", 5) && !strchr(rl_line_buffer + 5, ' ') &&
             start == 5)
        complete_what = 1;
    else if (!strncmp(rl_line_buffer, "help ", 5) && start == 5)
        complete_what = 0;
    else
        complete_what = 2;
    return rl_completion_matches(text, completion_generator);
}

static void repl(struct dbg_session *s)
{
    rl_attempted_completion_function = complete;
    const char *home = getenv("HOME");
    char histfile[1024] = "";
    if (home) {
        snprintf(histfile, sizeof(histfile), "%s/.glass_history", home);
        read_history(histfile);
    }
    char last[1024] = "";
    while (!s->quit) {
        char *line = readline("(glass) ");
        if (!line) {
            fprintf(s->out, "quit\n");
            break;
        }
        /* An empty line repeats the last run-control or x command, as gdb. */
        const char *cmd = line;
        if (!*line && *last)
            cmd = last;
        else if (*line) {
            add_history(line);
            snprintf(last, sizeof(last), "%s", line);
        }
        s->d.interrupt = 0;
        dbg_execute(s, cmd);
        free(line);
    }
    if (*histfile)
        write_history(histfile);
}

int debugger_main(struct machine *m, const struct options *opt)
{
    struct dbg_session *s = calloc(1, sizeof(*s));
    if (!s) {
        fprintf(stderr, "glass: out of memory for the debugger\n");
        return 1;
    }
    setvbuf(stdout, NULL, _IOLBF, 0);
    dbg_session_init(s, m, opt, stdout);
    install_sigint(s);
    int rc = 0;
    if (opt->debug_script) {
        s->interactive = false;
        rc = dbg_run_script(s, opt->debug_script);
    } else {
        s->interactive = true;
        if (opt->serial == SERIAL_STDIO || opt->serial == SERIAL_MON_STDIO) {
            serial_terminal_restore();
            fprintf(stderr, "glass: the debugger and the guest's serial port share the terminal; "
                    "keys typed at the prompt may reach the guest (use -serial file:F or -serial null)\n");
        }
        fprintf(s->out, "glass debugger: `help` lists the commands; the guest is stopped at:\n");
        dbg_print_location(s);
        repl(s);
    }
    int status = rc < 0 ? 1 : s->ended ? s->exit_status : m->exit_status;
    the_session = NULL;
    signal(SIGINT, SIG_DFL);
    dbg_session_free(s);
    free(s);
    return status;
}
