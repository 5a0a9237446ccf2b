/*
 * kernel.h - everything the teaching kernel's C files share: x86 helpers,
 * memory layout, and each file's public functions.
 */
#ifndef TEACH_KERNEL_H
#define TEACH_KERNEL_H

#include <stddef.h>
#include <stdint.h>

/* ---- exit codes (isa-debug-exit: the emulator exits with code*2+1) ---- */
#define EXIT_OK       0x10      /* -> 33: a line was typed and echoed */
#define EXIT_NO_INPUT 0x11      /* -> 35: nothing typed before the timeout */
#define EXIT_FAIL     0x31      /* -> 99: an unexpected fault or error */

/* ---- segment selectors (the GDT is in trap.c) ---- */
#define SEG_KCODE 0x08
#define SEG_KDATA 0x10
#define SEG_UCODE (0x18 | 3)    /* RPL 3: user */
#define SEG_UDATA (0x20 | 3)
#define SEG_TSS   0x28

/* ---- interrupt vectors ---- */
#define T_IRQ0    0x20          /* ISA IRQ n arrives at vector 0x20 + n */
#define IRQ_TIMER 0
#define IRQ_KBD   1
#define IRQ_COM1  4
#define T_SYSCALL 0x40
#define T_SPURIOUS 0xFF         /* the local APIC's spurious vector */

/* ---- memory layout ---- */
#define PGSIZE      4096
#define KERNEL_BASE 0x100000    /* the kernel, loaded by the boot sector */
#define FREE_START  0x200000    /* page frames handed out by alloc_page() */
#define FREE_END    0x800000
#define USER_BASE   0x40000000  /* user code is mapped here */
#define USER_STACK  0x40400000  /* top of the user stack (one page below) */
#define AP_TRAMPOLINE 0x8000    /* real-mode start of the other CPUs */

/* ---- port and control-register access ---- */
static inline void outb(uint16_t port, uint8_t v)
{
    __asm__ volatile("outb %0, %1" : : "a"(v), "Nd"(port));
}
static inline void outl(uint16_t port, uint32_t v)
{
    __asm__ volatile("outl %0, %1" : : "a"(v), "Nd"(port));
}
static inline uint8_t inb(uint16_t port)
{
    uint8_t v;
    __asm__ volatile("inb %1, %0" : "=a"(v) : "Nd"(port));
    return v;
}
static inline void insw(uint16_t port, void *dst, uint32_t words)
{
    __asm__ volatile("cld; rep insw"
                     : "+D"(dst), "+c"(words) : "d"(port) : "memory");
}
static inline void outsw(uint16_t port, const void *src, uint32_t words)
{
    __asm__ volatile("cld; rep outsw"
                     : "+S"(src), "+c"(words) : "d"(port) : "memory");
}
static inline void cli(void) { __asm__ volatile("cli" ::: "memory"); }
static inline void sti(void) { __asm__ volatile("sti" ::: "memory"); }
static inline void hlt(void) { __asm__ volatile("hlt" ::: "memory"); }
/* Enable interrupts and wait for one, atomically (STI's one-instruction
 * interrupt shadow means no interrupt can slip in between the two). */
static inline void sti_hlt(void) { __asm__ volatile("sti; hlt" ::: "memory"); }
static inline void pause(void) { __asm__ volatile("pause"); }
static inline void lcr3(uint32_t v)
{
    __asm__ volatile("mov %0, %%cr3" : : "r"(v) : "memory");
}
static inline uint32_t rcr2(void)
{
    uint32_t v;
    __asm__ volatile("mov %%cr2, %0" : "=r"(v));
    return v;
}
/* Atomically swap *p and v; the old *p comes back (XCHG locks the bus). */
static inline uint32_t xchg(volatile uint32_t *p, uint32_t v)
{
    __asm__ volatile("xchg %0, %1" : "+m"(*p), "+r"(v) : : "memory");
    return v;
}

/* ---- the trap frame: what entry.asm pushes on every interrupt ---- */
struct trapframe {
    uint32_t edi, esi, ebp, esp_unused, ebx, edx, ecx, eax;   /* PUSHA */
    uint32_t gs, fs, es, ds;
    uint32_t vector, error;
    uint32_t eip, cs, eflags;   /* pushed by the CPU */
    uint32_t esp, ss;           /* ... only when coming from ring 3 */
};

/* ---- string.c-like helpers (lib.c) ---- */
void *memset(void *d, int c, size_t n);
void *memcpy(void *d, const void *s, size_t n);
int memcmp(const void *a, const void *b, size_t n);
size_t strlen(const char *s);
int strcmp(const char *a, const char *b);

/* ---- console.c ---- */
void console_init(void);
void kputs(const char *s);
void kputc(char c);
void kprintf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
__attribute__((noreturn)) void kexit(uint32_t code);
__attribute__((noreturn)) void panic(const char *msg);

/* ---- trap.c ---- */
void gdt_init(void);
void idt_init(void);
void idt_load(void);
void gdt_load(void);
void tss_set_kstack(uint32_t esp0);
void pic_init(int unmask_legacy);
void irq_eoi(void);
extern volatile uint32_t ticks;

/* ---- vm.c + proc.c ---- */
void *alloc_page(void);
void paging_init(void);
uint32_t kernel_pgdir_phys(void);
void proc_create(const uint8_t *code, uint32_t size);
void scheduler(void);
void proc_timer_tick(struct trapframe *tf);
void syscall(struct trapframe *tf);
void proc_report(void);
extern volatile uint32_t preemptions;

/* ---- disk.c ---- */
int ide_read(int drive, uint32_t lba, void *buf);
int ide_write(int drive, uint32_t lba, const void *buf);
int fs_mount(void);
int fs_read(const char *name, void *buf, uint32_t max);
int fs_boot_record(void);

/* ---- smp.c ---- */
int mp_init(void);                      /* 1 if an MP table was found */
void lapic_init(void);
void lapic_eoi(void);
void ioapic_route(int isa_irq, int vector);
void smp_start_aps(void);
extern int ncpu;
extern int use_ioapic;

/* ---- input.c ---- */
void input_init(void);
void input_irq_kbd(void);
void input_irq_com1(void);
int input_getc(void);                   /* -1 when nothing is waiting */

/* ---- entry.asm ---- */
void swtch(uint32_t **old_sp, uint32_t *new_sp);
extern void trapret(void);
extern uint32_t vectors[256];
extern const uint8_t trampoline_start[], trampoline_end[];
extern const uint8_t user_start[], user_end[];

#endif
