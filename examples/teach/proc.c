/*
 * proc.c - paging, processes, the round-robin scheduler and system calls.
 *
 * Paging (SDM Vol. 3A, 4.3 "32-bit paging"): one page directory per
 * process.  Its kernel half is the same in all of them: 0-16 MiB and the
 * APIC window at 0xFEC00000 mapped 1:1 with 4 MiB pages (CR4.PSE),
 * supervisor-only.  Its user part is one page table for 0x40000000-
 * 0x403FFFFF: the program's pages at the bottom, one stack page at the top.
 */
#include "kernel.h"

#define PTE_P   0x001           /* present */
#define PTE_W   0x002           /* writable */
#define PTE_U   0x004           /* user may access */
#define PTE_PWT 0x008
#define PTE_PCD 0x010           /* cache disable: device memory */
#define PTE_PS  0x080           /* in a PDE: a 4 MiB page */

/* ---- physical page frames: a bump allocator, never freed ---- */
static uint32_t next_free = FREE_START;

void *alloc_page(void)
{
    if (next_free >= FREE_END)
        panic("out of memory");
    void *p = (void *)next_free;
    next_free += PGSIZE;
    memset(p, 0, PGSIZE);       /* physical == virtual in the kernel */
    return p;
}

static uint32_t *kpgdir;        /* the kernel's own page directory */

uint32_t kernel_pgdir_phys(void) { return (uint32_t)kpgdir; }

void paging_init(void)
{
    kpgdir = alloc_page();
    for (uint32_t a = 0; a < 0x1000000; a += 0x400000)
        kpgdir[a >> 22] = a | PTE_PS | PTE_W | PTE_P;
    kpgdir[0xFEC00000 >> 22] = 0xFEC00000 | PTE_PS | PTE_PCD | PTE_PWT |
                               PTE_W | PTE_P;
    uint32_t cr0, cr4;
    __asm__ volatile("mov %%cr4, %0" : "=r"(cr4));
    __asm__ volatile("mov %0, %%cr4" : : "r"(cr4 | 0x10));     /* PSE */
    lcr3((uint32_t)kpgdir);
    __asm__ volatile("mov %%cr0, %0" : "=r"(cr0));
    __asm__ volatile("mov %0, %%cr0" : : "r"(cr0 | 0x80010000)); /* PG, WP */
}

/* ---- processes ---- */
enum state { UNUSED, RUNNABLE, EXITED };

struct proc {
    int pid;
    enum state state;
    int exit_status;
    uint32_t *pgdir;            /* its page directory */
    uint32_t *upt;              /* the page table behind USER_BASE */
    uint8_t *kstack;            /* one page: its kernel stack */
    uint32_t *sp;               /* saved kernel stack pointer (swtch) */
};

#define NPROC 2
static struct proc procs[NPROC];
static struct proc *current;    /* NULL while the scheduler runs */
static uint32_t *scheduler_sp;
volatile uint32_t preemptions;

/* Make a process that will start at USER_BASE in ring 3 with the given
 * program copied into its own pages. */
void proc_create(const uint8_t *code, uint32_t size)
{
    struct proc *p = 0;
    for (int i = 0; i < NPROC; i++)
        if (procs[i].state == UNUSED) {
            p = &procs[i];
            p->pid = i + 1;
            break;
        }
    if (!p)
        panic("too many processes");

    /* The address space: the kernel's PDEs plus one user page table. */
    p->pgdir = alloc_page();
    memcpy(p->pgdir, kpgdir, PGSIZE);
    p->upt = alloc_page();
    p->pgdir[USER_BASE >> 22] = (uint32_t)p->upt | PTE_U | PTE_W | PTE_P;
    for (uint32_t off = 0; off < size; off += PGSIZE) {
        uint8_t *page = alloc_page();
        uint32_t n = size - off < PGSIZE ? size - off : PGSIZE;
        memcpy(page, code + off, n);
        p->upt[off >> 12] = (uint32_t)page | PTE_U | PTE_W | PTE_P;
    }
    p->upt[1023] = (uint32_t)alloc_page() | PTE_U | PTE_W | PTE_P; /* stack */

    /* The kernel stack, built so that swtch() "returns" into trapret,
     * which "returns" (IRET) into ring 3 at USER_BASE. */
    p->kstack = alloc_page();
    uint32_t *sp = (uint32_t *)(p->kstack + PGSIZE);
    struct trapframe *tf = (struct trapframe *)sp - 1;
    memset(tf, 0, sizeof(*tf));
    tf->cs = SEG_UCODE;
    tf->ds = tf->es = tf->fs = tf->gs = tf->ss = SEG_UDATA;
    tf->eflags = 0x202;         /* IF = 1: the timer can preempt it */
    tf->eip = USER_BASE;
    tf->esp = USER_STACK;
    sp = (uint32_t *)tf;
    *--sp = (uint32_t)trapret;  /* swtch's RET goes here */
    *--sp = 0;                  /* ebp */
    *--sp = 0;                  /* ebx */
    *--sp = 0;                  /* esi */
    *--sp = 0;                  /* edi */
    p->sp = sp;
    p->state = RUNNABLE;
}

/* Round robin: run each runnable process in turn until it gives the CPU
 * back (timer, yield or exit); return when all have exited. */
void scheduler(void)
{
    int next = 0;
    for (;;) {
        struct proc *p = 0;
        for (int i = 0; i < NPROC; i++) {
            struct proc *q = &procs[(next + i) % NPROC];
            if (q->state == RUNNABLE) {
                p = q;
                next = (int)(q - procs) + 1;
                break;
            }
        }
        if (!p)
            return;
        current = p;
        tss_set_kstack((uint32_t)(p->kstack + PGSIZE));
        lcr3((uint32_t)p->pgdir);
        swtch(&scheduler_sp, p->sp);
        lcr3((uint32_t)kpgdir);
        current = 0;
    }
}

/* Give the CPU back to the scheduler; we resume here when picked again. */
static void yield(void)
{
    swtch(&current->sp, scheduler_sp);
}

/* Timer interrupt: if it interrupted a user process, switch. */
void proc_timer_tick(struct trapframe *tf)
{
    if (current && (tf->cs & 3) == 3) {
        preemptions++;
        yield();
    }
}

void proc_report(void)
{
    for (int i = 0; i < NPROC; i++)
        if (procs[i].state == EXITED)
            kprintf("kernel: pid %d exited with status %d\n", procs[i].pid,
                    procs[i].exit_status);
}

/* ---- system calls: INT 0x40, number in EAX, arguments in EBX, ECX, EDX,
 * result in EAX ---- */
#define SYS_write     1         /* write(const char *s) */
#define SYS_getpid    2         /* getpid() */
#define SYS_yield     3         /* yield() */
#define SYS_exit      4         /* exit(int status) */
#define SYS_read_file 5         /* read_file(name, buf, max): length or -1 */
#define SYS_turn      6         /* turn(): the shared turn counter */
#define SYS_next_turn 7         /* next_turn(): increment it */

static volatile uint32_t turn;

/* Is [va, va+len) inside the current process's mapped user pages?  The
 * kernel must never trust a pointer from user space. */
static int user_ok(uint32_t va, uint32_t len)
{
    if (va < USER_BASE || len > USER_STACK - USER_BASE ||
        va + len > USER_STACK || va + len < va)
        return 0;
    for (uint32_t a = va & ~(PGSIZE - 1); a < va + len; a += PGSIZE)
        if (!(current->upt[(a >> 12) & 1023] & PTE_P))
            return 0;
    return 1;
}

/* A NUL-terminated user string of at most max bytes, checked. */
static const char *user_str(uint32_t va, uint32_t max)
{
    for (uint32_t n = 0; n < max; n++) {
        if (!user_ok(va + n, 1))
            return 0;
        if (((const char *)va)[n] == 0)
            return (const char *)va;
    }
    return 0;
}

void syscall(struct trapframe *tf)
{
    const char *s;
    switch (tf->eax) {
    case SYS_write:
        if (!(s = user_str(tf->ebx, 256))) {
            tf->eax = (uint32_t)-1;
            return;
        }
        kputs(s);
        tf->eax = strlen(s);
        return;
    case SYS_getpid:
        tf->eax = current->pid;
        return;
    case SYS_yield:
        tf->eax = 0;
        yield();
        return;
    case SYS_exit:
        current->exit_status = (int)tf->ebx;
        current->state = EXITED;
        yield();                /* never comes back */
        panic("exited process ran");
    case SYS_read_file:
        if (!(s = user_str(tf->ebx, 24)) || !user_ok(tf->ecx, tf->edx)) {
            tf->eax = (uint32_t)-1;
            return;
        }
        tf->eax = (uint32_t)fs_read(s, (void *)tf->ecx, tf->edx);
        return;
    case SYS_turn:
        tf->eax = turn;
        return;
    case SYS_next_turn:
        tf->eax = ++turn;
        return;
    }
    kprintf("kernel: pid %d: unknown system call %u\n", current->pid, tf->eax);
    tf->eax = (uint32_t)-1;
}
