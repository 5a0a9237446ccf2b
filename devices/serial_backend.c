/* Serial backends: stdio (optionally with the Ctrl-A monitor escapes), file,
 * null. */
#include "devices/serial_backend.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <termios.h>
#include <unistd.h>

#define INPUT_RING_SIZE 4096
#define CTRL_A 0x01

struct serial_backend {
    enum serial_kind kind;
    int out_fd;                 /* -1: output dropped */
    bool close_out_fd;
    bool monitor_keys;          /* mon:stdio: Ctrl-A escapes */

    bool reader_running;
    pthread_t reader;
    int wake_pipe[2];           /* written to stop the reader */

    pthread_mutex_t lock;       /* guards the ring */
    uint8_t ring[INPUT_RING_SIZE];
    unsigned ring_head, ring_count;
    bool escape;                /* Ctrl-A seen, waiting for the command key */
    volatile int quit;

    void (*on_input)(void *opaque);
    void (*on_quit)(void *opaque);
    void *notify_opaque;
};

/* --- the terminal (one stdin per process, so file-scope state) --- */

static struct termios saved_termios;
static volatile sig_atomic_t terminal_is_raw;

void serial_terminal_restore(void)
{
    if (terminal_is_raw) {
        tcsetattr(STDIN_FILENO, TCSANOW, &saved_termios);
        terminal_is_raw = 0;
    }
}

static void restore_on_signal(int sig)
{
    /* tcsetattr is async-signal-safe (POSIX.1 2.4.3). */
    serial_terminal_restore();
    signal(sig, SIG_DFL);
    raise(sig);
}

/* Raw mode as QEMU's stdio chardev: no echo, no line editing, no CR/NL
 * translation on input; output post-processing stays on so "\n" still
 * returns the carriage.  With keep_signals, Ctrl-C still interrupts glass
 * (-serial stdio); mon:stdio passes it to the guest. */
static void terminal_make_raw(bool keep_signals)
{
    if (!isatty(STDIN_FILENO) || tcgetpgrp(STDIN_FILENO) != getpgrp())
        return;     /* not a terminal, or we are in the background */
    if (tcgetattr(STDIN_FILENO, &saved_termios) < 0)
        return;
    struct termios raw = saved_termios;
    raw.c_iflag &= ~(IGNBRK | BRKINT | PARMRK | ISTRIP | INLCR | IGNCR | ICRNL | IXON);
    raw.c_lflag &= ~(ECHO | ECHONL | ICANON | IEXTEN | ISIG);
    if (keep_signals)
        raw.c_lflag |= ISIG;
    raw.c_cflag &= ~(CSIZE | PARENB);
    raw.c_cflag |= CS8;
    raw.c_cc[VMIN] = 1;
    raw.c_cc[VTIME] = 0;
    static bool hooks_installed;
    if (!hooks_installed) {
        hooks_installed = true;
        atexit(serial_terminal_restore);
        /* Only where nobody else handles the signal: the sanitizers keep
         * their SIGSEGV reports, the board its clean stop on SIGINT. */
        static const int sigs[] = { SIGINT, SIGTERM, SIGHUP, SIGQUIT, SIGABRT,
                                    SIGSEGV, SIGBUS, SIGFPE, SIGILL };
        for (size_t i = 0; i < sizeof(sigs) / sizeof(sigs[0]); i++) {
            struct sigaction cur;
            if (sigaction(sigs[i], NULL, &cur) == 0 && cur.sa_handler == SIG_DFL &&
                !(cur.sa_flags & SA_SIGINFO))
                signal(sigs[i], restore_on_signal);
        }
    }
    if (tcsetattr(STDIN_FILENO, TCSANOW, &raw) == 0)
        terminal_is_raw = 1;
}

/* --- output --- */

static void write_all(int fd, const void *buf, size_t len)
{
    const uint8_t *p = buf;
    while (len > 0) {
        ssize_t n = write(fd, p, len);
        if (n < 0) {
            if (errno == EINTR)
                continue;
            return;     /* a closed pipe or a full disk: drop the byte */
        }
        p += n;
        len -= (size_t)n;
    }
}

void serial_backend_write(void *backend, uint8_t byte)
{
    struct serial_backend *b = backend;
    if (b && b->out_fd >= 0)
        write_all(b->out_fd, &byte, 1);
}

/* --- input --- */

static void ring_put(struct serial_backend *b, uint8_t byte)
{
    pthread_mutex_lock(&b->lock);
    if (b->ring_count < INPUT_RING_SIZE) {
        b->ring[(b->ring_head + b->ring_count) % INPUT_RING_SIZE] = byte;
        b->ring_count++;
    }   /* else: the guest is not reading; drop, as a line without flow control */
    pthread_mutex_unlock(&b->lock);
}

int serial_backend_read(void *backend, uint8_t *byte)
{
    struct serial_backend *b = backend;
    int got = 0;
    if (!b || !b->reader_running)
        return 0;
    pthread_mutex_lock(&b->lock);
    if (b->ring_count > 0) {
        *byte = b->ring[b->ring_head];
        b->ring_head = (b->ring_head + 1) % INPUT_RING_SIZE;
        b->ring_count--;
        got = 1;
    }
    pthread_mutex_unlock(&b->lock);
    return got;
}

static void print_escape_help(void)
{
    static const char help[] =
        "\n"
        "C-a h    print this help\n"
        "C-a x    exit emulator\n"
        "C-a c    switch between console and monitor (no monitor yet)\n"
        "C-a C-a  sends C-a\n";
    write_all(STDERR_FILENO, help, sizeof(help) - 1);
}

/* mon:stdio: Ctrl-A starts a command (QEMU's escape keys). */
static void monitor_key(struct serial_backend *b, uint8_t key)
{
    if (!b->escape) {
        if (key == CTRL_A)
            b->escape = true;
        else
            ring_put(b, key);
        return;
    }
    b->escape = false;
    switch (key) {
    case 'x': {
        static const char msg[] = "\nglass: terminated (Ctrl-A x)\n";
        write_all(STDERR_FILENO, msg, sizeof(msg) - 1);
        b->quit = 1;
        if (b->on_quit)
            b->on_quit(b->notify_opaque);
        break;
    }
    case 'h': case '?':
        print_escape_help();
        break;
    case 'c': {
        static const char msg[] = "\nglass: the monitor is not built yet in this version\n";
        write_all(STDERR_FILENO, msg, sizeof(msg) - 1);
        break;
    }
    case CTRL_A:
        ring_put(b, CTRL_A);
        break;
    default:
        break;      /* unknown command keys are ignored, as QEMU does */
    }
}

static void *input_reader(void *arg)
{
    struct serial_backend *b = arg;
    struct pollfd fds[2] = {
        { .fd = STDIN_FILENO, .events = POLLIN },
        { .fd = b->wake_pipe[0], .events = POLLIN },
    };
    for (;;) {
        if (poll(fds, 2, -1) < 0) {
            if (errno == EINTR)
                continue;
            break;
        }
        if (fds[1].revents)
            break;
        if (!fds[0].revents)
            continue;
        uint8_t buf[256];
        ssize_t n = read(STDIN_FILENO, buf, sizeof(buf));
        if (n < 0 && (errno == EINTR || errno == EAGAIN))
            continue;
        if (n <= 0)
            break;  /* end of input: the guest just receives nothing more */
        for (ssize_t i = 0; i < n && !b->quit; i++) {
            if (b->monitor_keys)
                monitor_key(b, buf[i]);
            else
                ring_put(b, buf[i]);
        }
        if (b->on_input)
            b->on_input(b->notify_opaque);
        if (b->quit)
            break;
    }
    return NULL;
}

static int start_reader(struct serial_backend *b)
{
    if (pipe2(b->wake_pipe, O_CLOEXEC) < 0)
        return -errno;
    /* The reader must not take the process's signals (SIGINT and friends
     * belong to the main thread, which restores the terminal). */
    sigset_t all, old;
    sigfillset(&all);
    pthread_sigmask(SIG_BLOCK, &all, &old);
    int err = pthread_create(&b->reader, NULL, input_reader, b);
    pthread_sigmask(SIG_SETMASK, &old, NULL);
    if (err) {
        close(b->wake_pipe[0]);
        close(b->wake_pipe[1]);
        return -err;
    }
    b->reader_running = true;
    return 0;
}

/* Reading the terminal from a background process group would stop glass
 * with SIGTTIN; then the guest gets no input. */
static bool stdin_readable_here(void)
{
    if (!isatty(STDIN_FILENO))
        return fcntl(STDIN_FILENO, F_GETFD) >= 0;
    return tcgetpgrp(STDIN_FILENO) == getpgrp();
}

struct serial_backend *serial_backend_open(enum serial_kind kind, const char *path)
{
    struct serial_backend *b = calloc(1, sizeof(*b));
    if (!b) {
        fprintf(stderr, "glass: out of memory for the serial port\n");
        return NULL;
    }
    b->kind = kind;
    b->out_fd = -1;
    pthread_mutex_init(&b->lock, NULL);

    switch (kind) {
    case SERIAL_STDIO:
    case SERIAL_MON_STDIO:
        b->out_fd = STDOUT_FILENO;
        b->monitor_keys = kind == SERIAL_MON_STDIO;
        if (stdin_readable_here()) {
            terminal_make_raw(kind == SERIAL_STDIO);
            int err = start_reader(b);
            if (err < 0)
                fprintf(stderr, "glass: serial input from stdin disabled: %s\n", strerror(-err));
        }
        break;
    case SERIAL_FILE:
        b->out_fd = open(path ? path : "", O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
        if (b->out_fd < 0) {
            fprintf(stderr, "glass: -serial file:%s: %s\n", path ? path : "", strerror(errno));
            pthread_mutex_destroy(&b->lock);
            free(b);
            return NULL;
        }
        b->close_out_fd = true;
        break;
    case SERIAL_NULL:
    case SERIAL_NONE:
        break;
    }
    return b;
}

void serial_backend_set_notify(struct serial_backend *b,
                               void (*on_input)(void *opaque),
                               void (*on_quit)(void *opaque), void *opaque)
{
    b->notify_opaque = opaque;
    b->on_input = on_input;
    b->on_quit = on_quit;
}

int serial_backend_quit_requested(const struct serial_backend *b)
{
    return b && b->quit;
}

void serial_backend_close(struct serial_backend *b)
{
    if (!b)
        return;
    if (b->reader_running) {
        char wake = 1;
        write_all(b->wake_pipe[1], &wake, 1);
        pthread_join(b->reader, NULL);
        close(b->wake_pipe[0]);
        close(b->wake_pipe[1]);
        b->reader_running = false;
    }
    serial_terminal_restore();
    if (b->close_out_fd)
        close(b->out_fd);
    pthread_mutex_destroy(&b->lock);
    free(b);
}
