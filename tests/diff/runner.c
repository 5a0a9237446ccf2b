/* The native runner: runs differential-test cases on the host CPU, the
 * oracle.  A separate executable, built without sanitizers: it executes
 * random instructions with every register loaded from the case (RSP too)
 * and gets its results from signal handlers, which ASan would not survive.
 *
 * Usage (by tests/diff/native.c only): diff-runner SHM_FD CMD_FD REPLY_FD.
 *
 * Each case: the code page is 0xCC (INT3) everywhere except the
 * instruction (the case's native encoding, ninsn: glass's own bytes, or
 * for a 32-bit case on a host without 32-bit user code their 64-bit
 * equivalent, see gen.c), so whichever way it ends (fall through, branch,
 * fault) a signal arrives; the handler copies the registers from the
 * ucontext --
 * the architectural state right after the instruction (INT3 trap, RIP one
 * past the 0xCC) or at the fault (RIP at the instruction) -- and
 * siglongjmps back. */
#include <cpuid.h>
#include <errno.h>
#include <setjmp.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <ucontext.h>
#include <unistd.h>

#include "tests/diff/diff.h"
#include "tests/diff/runner_proto.h"

void diff_native_enter(void);
void diff_native_go32(void);

#define USER_CS32 0x23      /* Linux x86-64: 32-bit user code segment */
#define USER_DS 0x2b

static uint8_t *code_rw;    /* the code page (read, write, execute) */
static struct diff_ctl *ctl;
static sigjmp_buf back;
static volatile sig_atomic_t in_case;
static struct diff_result *cur;

static void die(const char *what)
{
    fprintf(stderr, "diff-runner: %s: %s\n", what, strerror(errno));
    exit(2);
}

/* ucontext register numbers in x86 encoding order. */
static const int greg_of[16] = {
    REG_RAX, REG_RCX, REG_RDX, REG_RBX, REG_RSP, REG_RBP, REG_RSI, REG_RDI,
    REG_R8, REG_R9, REG_R10, REG_R11, REG_R12, REG_R13, REG_R14, REG_R15,
};

static void on_signal(int sig, siginfo_t *si, void *ucv)
{
    if (!in_case) {         /* the runner itself crashed: die visibly */
        signal(sig, SIG_DFL);
        raise(sig);
        return;
    }
    in_case = 0;
    ucontext_t *uc = ucv;
    greg_t *g = uc->uc_mcontext.gregs;
    for (int i = 0; i < 16; i++)
        cur->gpr[i] = (uint64_t)g[greg_of[i]];
    cur->rip = (uint64_t)g[REG_RIP];
    cur->rflags = (uint64_t)g[REG_EFL];
    cur->error_code = (uint32_t)g[REG_ERR];
    cur->cr2 = (uint64_t)g[REG_CR2];
    cur->vector = (int32_t)g[REG_TRAPNO];
    cur->status = DIFF_ST_OK;
    cur->signo = sig;
    cur->si_code = si->si_code;
    uint64_t at = cur->rip - 1;
    if (sig == SIGTRAP && cur->vector == 3 && at >= DIFF_CODE &&
        at < DIFF_CODE + DIFF_PAGE && code_rw[at - DIFF_CODE] == 0xcc) {
        cur->rip = at;          /* our INT3: the instruction completed */
        cur->vector = DIFF_NO_VECTOR;
        cur->error_code = 0;
        cur->cr2 = 0;
    } else if (cur->vector != 14) {
        cur->cr2 = 0;
    }
    if (cur->vector != 14 && cur->vector != 13 && cur->vector != 12 &&
        cur->vector != 17 && cur->vector != 10 && cur->vector != 11)
        cur->error_code = 0;
    siglongjmp(back, 1);
}

/* The host runs the case's native encoding (ninsn, in nmode): the glass
 * instruction itself, or its 64-bit equivalent (DIFF_ORACLE_ADDR32). */
static void run_once(const struct diff_case *c, struct diff_result *r)
{
    memset(code_rw + DIFF_INSN_OFF, 0xcc, 16);
    memcpy(code_rw + DIFF_INSN_OFF, c->ninsn, c->nlen);
    diff_fill_data(c, (uint8_t *)(uintptr_t)DIFF_DATA);
    memcpy(ctl->gpr, c->gpr, sizeof ctl->gpr);
    ctl->rflags = c->rflags;
    if (c->nmode == 32) {
        ctl->go = (uint64_t)(uintptr_t)diff_native_go32;
        ctl->far_off = (uint32_t)DIFF_INSN_ADDR;
        ctl->far_sel = USER_CS32;
    } else {
        ctl->go = DIFF_INSN_ADDR;
    }
    cur = r;
    r->status = DIFF_ST_UNKNOWN;
    if (sigsetjmp(back, 0) == 0) {
        in_case = 1;
        diff_native_enter();
    }
    memcpy(r->data, (void *)(uintptr_t)DIFF_DATA, DIFF_DATA_SIZE);
}

/* Once in some 50,000 cases the test host (AMD, under KVM) raised #UD on
 * the INT3 right after a correctly executed instruction, as if it fetched
 * stale bytes there; a serializing CPUID after writing the code did not
 * help (and costs 60 us in a VM).  Such a #UD cannot be the instruction's
 * own: run the case again. */
static void run_case(const struct diff_case *c, struct diff_result *r)
{
    for (int tries = 0; tries < 4; tries++) {
        run_once(c, r);
        if (!(r->vector == 6 && r->rip != DIFF_INSN_ADDR))
            return;
    }
}

static void *map_fixed(uint64_t addr, size_t len, int prot, int flags, int fd)
{
    void *p = mmap((void *)(uintptr_t)addr, len, prot, flags | MAP_FIXED_NOREPLACE, fd, 0);
    if (p == MAP_FAILED || p != (void *)(uintptr_t)addr)
        die("mmap at a fixed address");
    return p;
}

static void setup(void)
{
    int fd = memfd_create("diff-code", 0);
    if (fd < 0 || ftruncate(fd, DIFF_PAGE) < 0)
        die("memfd");
    code_rw = map_fixed(DIFF_CODE, DIFF_PAGE, PROT_READ | PROT_WRITE | PROT_EXEC, MAP_SHARED, fd);
    memset(code_rw, 0xcc, DIFF_PAGE);
    uint8_t *ro = map_fixed(DIFF_RO, DIFF_PAGE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1);
    diff_fill_ro(ro);
    if (mprotect(ro, DIFF_PAGE, PROT_READ) < 0)
        die("mprotect");
    map_fixed(DIFF_DATA, DIFF_DATA_SIZE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1);
    ctl = map_fixed(DIFF_CTL, DIFF_PAGE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1);

    /* Signals arrive with RSP anywhere (the case set it): use our own stack. */
    stack_t ss = { .ss_sp = malloc(1 << 16), .ss_size = 1 << 16 };
    if (!ss.ss_sp || sigaltstack(&ss, NULL) < 0)
        die("sigaltstack");
    struct sigaction sa = { .sa_sigaction = on_signal,
                            .sa_flags = SA_SIGINFO | SA_ONSTACK | SA_NODEFER };
    sigemptyset(&sa.sa_mask);
    static const int sigs[] = { SIGSEGV, SIGBUS, SIGFPE, SIGILL, SIGTRAP };
    for (unsigned i = 0; i < sizeof sigs / sizeof sigs[0]; i++)
        if (sigaction(sigs[i], &sa, NULL) < 0)
            die("sigaction");
    /* DS and ES are null in 64-bit Linux processes; compatibility-mode code
     * would fault on them, so load the flat user data segment. */
    __asm__ volatile("mov %0, %%ds; mov %0, %%es" : : "r"(USER_DS));
}

/* Whether a far jump to the 32-bit user code segment works: not in every
 * virtual machine (a PVM guest kernel, for one, raises #GP on it).  The
 * probe, XOR EAX, EAX; INC EAX; NOP, must run as 32-bit code (in 64-bit
 * code 0x40 would be a REX prefix of the NOP, leaving EAX 0) and trap on
 * the INT3 after it. */
static bool compat32_works(struct diff_shm *shm)
{
    static struct diff_case c;
    static struct diff_result r;
    static const uint8_t probe[] = { 0x31, 0xc0, 0x40, 0x90 };
    c.mode = c.nmode = 32;
    c.len = c.nlen = sizeof probe;
    memcpy(c.insn, probe, sizeof probe);
    memcpy(c.ninsn, probe, sizeof probe);
    c.rflags = 0x2;
    c.gpr[4] = DIFF_DATA + 0x100;
    run_case(&c, &r);
    shm->compat32_vector = r.vector;
    shm->compat32_signo = r.signo;
    return r.status == DIFF_ST_OK && r.vector == DIFF_NO_VECTOR && r.rip == DIFF_INSN_ADDR + sizeof probe &&
           (uint32_t)r.gpr[0] == 1;
}

static uint32_t host_features(void)
{
    unsigned a, b, c, d, f = 0;
    if (__get_cpuid(1, &a, &b, &c, &d)) {
        if (c & (1u << 22)) f |= DIFF_HOST_MOVBE;
        if (c & (1u << 23)) f |= DIFF_HOST_POPCNT;
        if (c & (1u << 13)) f |= DIFF_HOST_CX16;
    }
    if (__get_cpuid_count(7, 0, &a, &b, &c, &d) && (b & (1u << 3)))
        f |= DIFF_HOST_BMI1;
    if (__get_cpuid(0x80000001, &a, &b, &c, &d)) {
        if (c & (1u << 5)) f |= DIFF_HOST_LZCNT;
        if (c & (1u << 0)) f |= DIFF_HOST_LAHF64;
    }
    return f;
}

static int read_full(int fd, void *buf, size_t len)
{
    uint8_t *p = buf;
    while (len) {
        ssize_t n = read(fd, p, len);
        if (n <= 0) {
            if (n < 0 && errno == EINTR)
                continue;
            return -1;
        }
        p += n;
        len -= (size_t)n;
    }
    return 0;
}

/* diff-runner --self-test: a few fixed cases, printed (for debugging). */
static int self_test(void)
{
    static struct diff_case c;
    static struct diff_result r;
    static const uint8_t insns[][4] = { { 0x90 }, { 0x49, 0x0f, 0x4e, 0xde }, { 0x48, 0x01, 0xd8 } };
    setup();
    for (int round = 0; round < 2; round++) {
        for (unsigned k = 0; k < sizeof insns / sizeof insns[0]; k++) {
            memset(&c, 0, sizeof c);
            c.mode = c.nmode = 64;
            c.len = c.nlen = insns[k][0] == 0x90 ? 1 : insns[k][0] == 0x49 ? 4 : 3;
            memcpy(c.insn, insns[k], c.len);
            memcpy(c.ninsn, insns[k], c.len);
            c.rflags = 0x4d3;
            for (int i = 0; i < 16; i++)
                c.gpr[i] = 0x1111111111111111ull * (uint64_t)i;
            run_case(&c, &r);
            printf("insn %u: status %u sig %d code %d vector %d rip %#llx rflags %#llx rbx %#llx\n", k, r.status,
                   r.signo, r.si_code, r.vector, (unsigned long long)r.rip, (unsigned long long)r.rflags,
                   (unsigned long long)r.gpr[3]);
        }
    }
    return 0;
}

int main(int argc, char **argv)
{
    if (argc == 2 && !strcmp(argv[1], "--self-test"))
        return self_test();
    if (argc != 4) {
        fprintf(stderr, "usage: diff-runner SHM_FD CMD_FD REPLY_FD (run by the diff test)\n");
        return 2;
    }
    int shm_fd = atoi(argv[1]), cmd_fd = atoi(argv[2]), reply_fd = atoi(argv[3]);
    struct diff_shm *shm = mmap(NULL, sizeof *shm, PROT_READ | PROT_WRITE, MAP_SHARED, shm_fd, 0);
    if (shm == MAP_FAILED)
        die("mmap shared memory");
    setup();
    shm->host_features = host_features() | (compat32_works(shm) ? DIFF_HOST_COMPAT32 : 0);
    struct diff_cmd cmd;
    while (read_full(cmd_fd, &cmd, sizeof cmd) == 0) {
        for (uint32_t i = cmd.start; i < cmd.count && i < DIFF_BATCH; i++) {
            shm->progress = i;
            run_case(&shm->cases[i], &shm->results[i]);
        }
        if (write(reply_fd, &cmd, sizeof cmd) != (ssize_t)sizeof cmd)
            die("reply");
    }
    return 0;
}
