/*
 * user.c - the user program.  The kernel starts two copies, pid 1 and
 * pid 2, each in ring 3 in its own address space at 0x40000000.
 *
 * Timer interrupts switch between them at unpredictable moments, so to
 * print in a fixed order they take turns: a shared counter in the kernel
 * (system calls turn and next_turn).  A process whose turn it is not
 * spins, WITHOUT yielding: only a timer interrupt can let the other one
 * run.  (yield() would be kinder; spinning shows the preemption.)
 */
#include <stdarg.h>
#include "ulib.h"

static void wait_turn(int t)
{
    while (turn() != t)
        ;
}

static int count_primes(int below)
{
    int n = 0;
    for (int i = 2; i < below; i++) {
        int prime = 1;
        for (int d = 2; d * d <= i; d++)
            if (i % d == 0) {
                prime = 0;
                break;
            }
        n += prime;
    }
    return n;
}

static uint32_t fib(int n)
{
    uint32_t a = 0, b = 1;
    while (n--) {
        uint32_t t = a + b;
        a = b;
        b = t;
    }
    return a;
}

static char file[1024];

static void umain(void)
{
    int pid = getpid();

    /* Three rounds: in round r, pid 1 speaks at turn 2r, pid 2 at 2r+1. */
    for (int r = 0; r < 3; r++) {
        wait_turn(2 * r + pid - 1);
        if (pid == 1)
            printf("pid 1: primes below %d: %d\n", 1000 * (r + 1),
                   count_primes(1000 * (r + 1)));
        else
            printf("pid 2: fib(%d) = %u\n", 10 * (r + 1), fib(10 * (r + 1)));
        next_turn();
    }

    /* Then each reads a file from the second disk. */
    wait_turn(6 + pid - 1);
    const char *name = pid == 1 ? "hello.txt" : "missing.txt";
    int n = read_file(name, file, sizeof(file) - 1);
    if (n < 0) {
        printf("pid %d: read_file(\"%s\") failed, as it should\n", pid, name);
    } else {
        file[n] = 0;
        uint32_t a = 1, b = 0;  /* Adler-32 */
        for (int i = 0; i < n; i++) {
            a = (a + (uint8_t)file[i]) % 65521;
            b = (b + a) % 65521;
        }
        printf("pid %d: read_file(\"%s\"): %d bytes, adler32 %x:\n", pid,
               name, n, b << 16 | a);
        /* write() takes up to 255 bytes at a time: one line a call. */
        char *line = file;
        for (char *p = file; *p; p++)
            if (*p == '\n') {
                *p = 0;
                printf("  | %s\n", line);
                line = p + 1;
            }
    }
    next_turn();
    exit(pid);
}

/* The first byte of the program (user.ld puts .text.start first). */
__attribute__((section(".text.start"), used, noreturn)) void _start(void)
{
    umain();
    exit(0);
    __builtin_unreachable();
}

/* ---- printf: %s %c %d %u %x into a buffer, then one write() ---- */
static char out[256];
static int outn;

static void put(char c)
{
    if (outn < (int)sizeof(out) - 1)
        out[outn++] = c;
}

static void put_num(uint32_t v, unsigned base)
{
    char buf[12];
    int n = 0;
    do {
        buf[n++] = "0123456789abcdef"[v % base];
        v /= base;
    } while (v);
    while (n)
        put(buf[--n]);
}

void printf(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    outn = 0;
    for (; *fmt; fmt++) {
        if (*fmt != '%') {
            put(*fmt);
            continue;
        }
        switch (*++fmt) {
        case 's':
            for (const char *s = va_arg(ap, const char *); *s; s++)
                put(*s);
            break;
        case 'c': put((char)va_arg(ap, int)); break;
        case 'u': put_num(va_arg(ap, uint32_t), 10); break;
        case 'x': put_num(va_arg(ap, uint32_t), 16); break;
        case 'd': {
            int v = va_arg(ap, int);
            if (v < 0)
                put('-');
            put_num(v < 0 ? -(uint32_t)v : (uint32_t)v, 10);
            break;
        }
        default: put(*fmt); break;
        }
    }
    out[outn] = 0;
    write(out);
    va_end(ap);
}
