/*
 * main.c - the teaching kernel's main line: bring the machine up, run two
 * user processes, echo a line of input, exit.
 */
#include "kernel.h"

#define HZ 100                  /* timer interrupts per second */
#define INPUT_TIMEOUT (5 * HZ)  /* "no input" after 5 s */

/* The 8254 PIT's channel 0 at HZ: mode 2 (rate generator), divisor
 * 1193182 / HZ, written low byte then high byte.  Its output is ISA IRQ 0. */
static void pit_init(void)
{
    uint32_t divisor = 1193182 / HZ;
    outb(0x43, 0x34);           /* channel 0, lo/hi byte, mode 2, binary */
    outb(0x40, (uint8_t)divisor);
    outb(0x40, (uint8_t)(divisor >> 8));
}

/* Read one line, echoing it, until newline or the timeout.  The line goes
 * to buf; returns its length or -1 on timeout. */
static int read_line(char *buf, int max)
{
    int n = 0;
    uint32_t deadline = ticks + INPUT_TIMEOUT;
    for (;;) {
        cli();
        int c = input_getc();
        if (c < 0) {
            if ((int32_t)(ticks - deadline) >= 0)
                return -1;
            sti_hlt();          /* sleep until the next interrupt */
            continue;
        }
        sti();
        if (c == '\r' || c == '\n') {
            kputc('\n');
            buf[n] = 0;
            return n;
        }
        if (c == '\b' || c == 0x7F) {
            if (n > 0) {
                n--;
                kputs("\b \b");
            }
        } else if (c >= ' ' && c < 0x7F && n < max - 1) {
            buf[n++] = (char)c;
            kputc((char)c);
        }
    }
}

void kmain(void)
{
    console_init();
    kprintf("teach: a small teaching kernel\n");

    gdt_init();
    kprintf("gdt: kernel and user code/data segments, TSS loaded\n");
    idt_init();
    kprintf("idt: 256 vectors, system calls at int 0x%x\n", T_SYSCALL);
    /* The MP and ACPI tables, read while paging is still off: ACPI's may
     * be anywhere in RAM. */
    use_ioapic = mp_init();
    paging_init();
    kprintf("paging: on, 0-16 MiB identity-mapped with 4 MiB pages\n");

    /* Interrupt controllers: the I/O APIC if the MP table lists one, else
     * the 8259A pair alone. */
    pic_init(!use_ioapic);
    if (use_ioapic) {
        lapic_init();
        ioapic_route(IRQ_TIMER, T_IRQ0 + IRQ_TIMER);
        kprintf("interrupts: 8259A masked, I/O APIC routes IRQs to cpu 0\n");
    } else {
        kprintf("interrupts: through the 8259A\n");
    }
    pit_init();
    sti();
    while (ticks < 10)          /* 10 interrupts = 100 ms */
        sti_hlt();
    kprintf("timer: ok, interrupts arrive\n");

    smp_start_aps();

    if (fs_mount() == 0) {
        int boots = fs_boot_record();
        if (boots < 0)
            kprintf("fs: could not update boot.log\n");
        else
            kprintf("fs: boot.log updated: this is boot %d\n", boots);
    }

    /* Two processes running the same program (user/user.c). */
    cli();
    proc_create(user_start, (uint32_t)(user_end - user_start));
    proc_create(user_start, (uint32_t)(user_end - user_start));
    kprintf("kernel: starting 2 user processes\n");
    scheduler();
    proc_report();
    sti();

    /* The processes wait for each other without yielding, so only timer
     * interrupts can have switched between them. */
    kprintf("scheduler: the timer preempted the processes: %s\n",
            preemptions > 0 ? "yes" : "no");

    input_init();
    kprintf("type a line: ");
    char line[80];
    if (read_line(line, sizeof(line)) < 0) {
        kprintf("\nno input\n");
        kexit(EXIT_NO_INPUT);
    }
    kprintf("you typed: %s\n", line);
    kprintf("teach: done\n");
    kexit(EXIT_OK);
}
