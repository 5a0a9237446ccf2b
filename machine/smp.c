/* The run loop: every vCPU on one host thread, interleaved round robin.
 *
 * Each runnable vCPU runs a slice of SLICE_INSNS instructions (or until it
 * halts, or until something asks it to stop), then the next one.  Between
 * slices the loop fires the expired vclock timers (PIT, RTC, LAPIC timers),
 * pulls serial input into the UART, and acts on reset requests.  When no
 * vCPU can run (all halted, or waiting for SIPI) it sleeps in ppoll until
 * the next timer deadline or until input or a stop request arrives
 * (board_wake); when every vCPU is halted with interrupts disabled nothing
 * can wake the machine, and it stops saying so.
 *
 * Why one thread (docs/architecture.md, "vCPU scheduling and interrupts"):
 * the interleaving is deterministic for a given sequence of timer events,
 * devices need no locks, and the interpreter's decoded-block caches and the
 * memory map's code bitmap are single-threaded.  KVM will run one thread a
 * vCPU instead and call the same board code under one device lock. */
#include "machine/board.h"

#include <errno.h>
#include <inttypes.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cpu/x86_cpu.h"



/* "CS:RIP" with the width of the current code size. */
const char *board_cs_rip(const struct x86_cpu *cpu, char *buf, size_t len)
{
    int bits = x86_code_bits(cpu);
    snprintf(buf, len, "%04x:%0*" PRIx64, cpu->seg[S_CS].selector, bits / 4, cpu->rip);
    return buf;
}

static void print_registers(struct x86_cpu *cpu)
{
    static const char *const gpr[16] = {
        "rax", "rcx", "rdx", "rbx", "rsp", "rbp", "rsi", "rdi",
        "r8", "r9", "r10", "r11", "r12", "r13", "r14", "r15",
    };
    static const char *const sreg[S_COUNT] = { "es", "cs", "ss", "ds", "fs", "gs", "ldtr", "tr" };
    for (int i = 0; i < 16; i++)
        fprintf(stderr, "  %-3s %016" PRIx64 "%s", gpr[i], cpu->gpr[i], i % 4 == 3 ? "\n" : "");
    fprintf(stderr, "  rip %016" PRIx64 "  rflags %08" PRIx64 "  cpl %u\n",
            cpu->rip, x86_get_rflags(cpu), cpu->cpl);
    for (int s = 0; s < S_COUNT; s++)
        fprintf(stderr, "  %-4s %04x base %016" PRIx64 " limit %08x type %x s %u dpl %u p %u "
                "db %u l %u g %u\n", sreg[s], cpu->seg[s].selector, cpu->seg[s].base,
                cpu->seg[s].limit, cpu->seg[s].type, cpu->seg[s].s, cpu->seg[s].dpl,
                cpu->seg[s].present, cpu->seg[s].db, cpu->seg[s].l, cpu->seg[s].g);
    fprintf(stderr, "  cr0 %08" PRIx64 " cr2 %016" PRIx64 " cr3 %016" PRIx64 " cr4 %08" PRIx64
            " efer %" PRIx64 "\n", cpu->cr0, cpu->cr2, cpu->cr3, cpu->cr4, cpu->efer);
    fprintf(stderr, "  gdtr %016" PRIx64 "/%04x idtr %016" PRIx64 "/%04x\n",
            cpu->gdtr.base, cpu->gdtr.limit, cpu->idtr.base, cpu->idtr.limit);
}


/* What to do after a vCPU's slice ended with *exit. */
enum run_verdict board_act_on_exit(struct machine *m, struct vcpu *v, int rc,
                                    const struct vm_exit *exit)
{
    struct x86_cpu *cpu = &v->cpu;
    char where[40];
    if (m->stop)
        return RUN_STOP;    /* isa-debug-exit, Ctrl-A x, signal */
    if (rc < 0 || exit->reason == EXIT_GLASS_INTERNAL_ERROR) {
        fprintf(stderr, "glass: internal error in accelerator %s at %s: %s\n", m->accel->name,
                board_cs_rip(cpu, where, sizeof(where)),
                exit->reason == EXIT_GLASS_INTERNAL_ERROR && exit->error.message
                    ? exit->error.message : "(no message)");
        print_registers(cpu);
        m->exit_status = 1;
        return RUN_STOP;
    }
    switch (exit->reason) {
    case EXIT_HLT:          /* the loop decides when it runs again */
        cpu->halted = 1;    /* (the interpreter has set it already) */
        return RUN_CONTINUE;
    case EXIT_GLASS_STOP:   /* end of slice, INIT/SIPI, reset request */
    case EXIT_GLASS_DEBUG:  /* no debugger attached yet */
        return RUN_CONTINUE;
    case EXIT_TRIPLE_FAULT:
        fprintf(stderr, "glass: triple fault on vCPU %d at %s\n", v->index,
                board_cs_rip(cpu, where, sizeof(where)));
        if (m->opt->no_reboot) {
            m->exit_status = 0;     /* as QEMU with -no-reboot */
            return RUN_STOP;
        }
        fprintf(stderr, "glass: rebooting (use -no-reboot to stop instead)\n");
        m->reset_pending = 1;
        return RUN_CONTINUE;
    default:
        fprintf(stderr, "glass: accelerator %s stopped with exit %s (%u) at %s, which the "
                "board does not handle\n", m->accel->name, vm_exit_reason_name(exit->reason),
                exit->reason, board_cs_rip(cpu, where, sizeof(where)));
        print_registers(cpu);
        m->exit_status = 1;
        return RUN_STOP;
    }
}

int board_slice(struct machine *m, struct vcpu *v, uint64_t max_insns, struct vm_exit *exit)
{
    memset(exit, 0, sizeof(*exit));
    m->running = v->index;
    int rc = accel_run_slice(m->accel, v, exit, max_insns);
    m->running = -1;
    if (m->accel->state_out)
        m->accel->state_out(v);
    if (!m->stop)
        v->cpu.env.stop_request = 0;
    exit->vcpu = (uint32_t)v->index;
    if (exit->reason != EXIT_IO_INSTRUCTION && exit->reason != EXIT_EPT_VIOLATION &&
        exit->reason != EXIT_GLASS_STOP && exit->reason != EXIT_GLASS_DEBUG)
        exit_log_push(&m->exits, exit);
    return rc;
}

static enum run_verdict run_slice(struct machine *m, struct vcpu *v)
{
    struct vm_exit exit;
    int rc = board_slice(m, v, SLICE_INSNS, &exit);
    return board_act_on_exit(m, v, rc, &exit);
}

/* Every vCPU is halted with interrupts disabled (or waits for a SIPI that
 * no running CPU can send): only an NMI could wake one, and no device of
 * this board raises NMIs. */
bool board_nothing_can_wake(struct machine *m, int *which)
{
    for (int i = 0; i < m->nvcpus; i++) {
        const struct x86_cpu *cpu = &m->vcpu[i].cpu;
        if (m->sched[i].wait_sipi)
            continue;
        if (!cpu->halted || (cpu->rflags & FL_IF) || cpu->nmi_pending)
            return false;
        if (*which < 0)
            *which = i;
    }
    return true;
}

/* Sleep until the next timer deadline, input, or a stop request. */
void board_wait_for_event(struct machine *m)
{
    uint64_t next = vclock_next_deadline(&m->clock);
    struct timespec ts, *timeout = NULL;
    if (next != VCLOCK_NEVER) {
        uint64_t now = vclock_now(&m->clock);
        uint64_t ns = next > now ? next - now : 0;
        if (ns == 0)
            return;
        ts.tv_sec = (time_t)(ns / 1000000000ull);
        ts.tv_nsec = (long)(ns % 1000000000ull);
        timeout = &ts;
    }
    struct pollfd p = { .fd = m->wake_fd, .events = POLLIN };
    if (ppoll(&p, m->wake_fd >= 0 ? 1 : 0, timeout, NULL) > 0) {
        uint64_t count;
        ssize_t r = read(m->wake_fd, &count, sizeof(count));
        (void)r;
    }
}

/* Between slices: what other threads and devices asked for. */
enum run_verdict board_service(struct machine *m)
{
    if (m->reset_pending) {
        if (m->opt->no_reboot) {
            m->exit_status = 0;     /* QEMU -no-reboot: a guest reset ends the run */
            return RUN_STOP;
        }
        if (machine_reset(m) < 0) {
            m->exit_status = 1;
            return RUN_STOP;
        }
    }
    /* Serial input: into the UART only once the guest enabled received-data
     * interrupts (a polling guest pulls it by reading LSR / RBR), so bytes
     * that arrive before the guest set the UART up wait in the backend
     * instead of being dropped by its FIFO resets. */
    if (__atomic_exchange_n(&m->input_pending, 0, __ATOMIC_ACQ_REL) && m->has_com1 &&
        (m->com1.ier & UART_IER_ERBFI))
        uart_poll(&m->com1);
    vclock_run_expired(&m->clock);
    board_update_intr(m);
    return RUN_CONTINUE;
}

int machine_run(struct machine *m)
{
    int first = 0;  /* round robin: who goes first in the next round */
    while (!m->stop) {
        if (board_service(m) == RUN_STOP)
            break;
        bool ran = false;
        enum run_verdict verdict = RUN_CONTINUE;
        for (int k = 0; k < m->nvcpus && verdict == RUN_CONTINUE; k++) {
            int i = (first + k) % m->nvcpus;
            if (!board_vcpu_runnable(m, i))
                continue;
            board_apply_startup(m, i);
            if (!board_vcpu_runnable(m, i))
                continue;
            ran = true;
            verdict = run_slice(m, &m->vcpu[i]);
            if (m->reset_pending)
                break;
        }
        first = (first + 1) % m->nvcpus;
        if (verdict == RUN_STOP)
            break;
        if (ran || m->reset_pending || m->stop)
            continue;
        int which = -1;
        if (board_nothing_can_wake(m, &which)) {
            char where[40];
            fprintf(stderr, "glass: vCPU %d halted with interrupts disabled at %s, "
                    "nothing can wake it; stopping\n", which < 0 ? 0 : which,
                    board_cs_rip(&m->vcpu[which < 0 ? 0 : which].cpu, where, sizeof(where)));
            m->exit_status = 0;
            break;
        }
        board_wait_for_event(m);
    }
    if (board_signal_seen)
        fprintf(stderr, "glass: terminating on signal %d\n", (int)board_signal_seen);
    return m->exit_status;
}
