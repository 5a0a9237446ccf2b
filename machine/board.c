/* The PC board: builds the machine from the options and runs it. */
#include "machine/board.h"

#include <errno.h>
#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cpu/x86_cpu.h"
#include "machine/loader.h"
#include "mem/tlb.h"

/* --- stopping: from devices, the serial console and signals --- */

void machine_request_stop(struct machine *m, int status)
{
    /* The first reason to stop wins (a debug exit racing Ctrl-A x). */
    int expected = 0;
    if (__atomic_compare_exchange_n(&m->stop_claimed, &expected, 1, false,
                                    __ATOMIC_ACQ_REL, __ATOMIC_ACQUIRE)) {
        m->exit_status = status;
        __atomic_store_n(&m->stop, 1, __ATOMIC_RELEASE);
    }
    for (int i = 0; i < m->nvcpus; i++)
        m->vcpu[i].cpu.env.stop_request = 1;
}

static void guest_debug_exit(void *opaque, int status)
{
    machine_request_stop(opaque, status);
}

static void serial_quit(void *opaque)
{
    machine_request_stop(opaque, 0);
}

/* SIGINT/SIGTERM/SIGHUP: the first stops the machine cleanly (terminal
 * restored, output flushed); a second one, if the vCPU does not stop,
 * kills glass the default way after restoring the terminal. */
static struct machine *signal_machine;
static volatile sig_atomic_t signal_seen;

static void stop_on_signal(int sig)
{
    if (signal_seen || !signal_machine) {
        serial_terminal_restore();
        signal(sig, SIG_DFL);
        raise(sig);
        return;
    }
    signal_seen = sig;
    /* Lock-free atomics and plain stores only: safe in a handler.  Status 0
     * as QEMU ("terminating on signal N"). */
    machine_request_stop(signal_machine, 0);
}

static void install_signal_handlers(struct machine *m)
{
    signal_machine = m;
    struct sigaction sa;
    memset(&sa, 0, sizeof(sa));
    sa.sa_handler = stop_on_signal;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
    sigaction(SIGHUP, &sa, NULL);
}

/* --- the exit handler --- */

int machine_handle_exit(void *opaque, struct vm_exit *e)
{
    struct vcpu *v = opaque;
    struct machine *m = v->m;
    e->vcpu = (uint32_t)v->index;
    switch (e->reason) {
    case EXIT_IO_INSTRUCTION:
        if (e->io.in)
            e->io.data = iobus_read(&m->io, e->io.port, e->io.size);
        else
            iobus_write(&m->io, e->io.port, e->io.size, e->io.data);
        break;
    case EXIT_EPT_VIOLATION: {
        uint64_t data = e->mmio.data;
        if (memmap_mmio_access(&m->mem, e->mmio.gpa, e->mmio.size, e->mmio.write, &data) < 0 &&
            !e->mmio.write)
            data = e->mmio.size >= 8 ? ~0ull : (1ull << (e->mmio.size * 8)) - 1;
        if (!e->mmio.write)
            e->mmio.data = data;
        break;
    }
    default:
        break;
    }
    /* Logged after the device answered, so an IN shows the value read. */
    exit_log_push(&m->exits, e);
    return m->stop ? -1 : 0;
}

/* --- building the machine --- */

static int add_ram(struct machine *m, const char *name, uint64_t gpa, uint64_t size)
{
    int err = memmap_add_ram(&m->mem, name, gpa, size);
    if (err < 0)
        fprintf(stderr, "glass: memory map: cannot add %s at 0x%" PRIx64 " size 0x%" PRIx64
                ": %s\n", name, gpa, size, strerror(-err));
    return err;
}

static int build_memory(struct machine *m)
{
    uint64_t ram = m->opt->ram_size;
    if (ram < PC_HOLE_END) {
        fprintf(stderr, "glass: -m: %" PRIu64 " KiB is too small: the PC needs at least 1 MiB\n",
                ram >> 10);
        return -1;
    }
    ram = (ram + GUEST_PAGE_SIZE - 1) & GUEST_PAGE_MASK;
    int err = memmap_init(&m->mem, ram);
    if (err < 0) {
        fprintf(stderr, "glass: cannot allocate %" PRIu64 " MiB of guest RAM: %s\n",
                ram >> 20, strerror(-err));
        return -1;
    }
    uint64_t below_4g = ram < PC_PCI_HOLE ? ram : PC_PCI_HOLE;
    if (add_ram(m, "ram-low", 0, PC_LOW_RAM_END) < 0 ||
        /* VGA window, option ROMs, BIOS: RAM until those devices exist. */
        add_ram(m, "legacy-hole", PC_LOW_RAM_END, PC_HOLE_END - PC_LOW_RAM_END) < 0)
        return -1;
    if (below_4g > PC_HOLE_END && add_ram(m, "ram", PC_HOLE_END, below_4g - PC_HOLE_END) < 0)
        return -1;
    if (ram > below_4g && add_ram(m, "ram-above-4g", PC_HIGH_RAM_BASE, ram - below_4g) < 0)
        return -1;
    err = ept_build(&m->ept, &m->mem);
    if (err < 0) {
        fprintf(stderr, "glass: cannot build the EPT: %s\n", strerror(-err));
        return -1;
    }
    return 0;
}

static int build_devices(struct machine *m)
{
    const struct options *opt = m->opt;
    iobus_init(&m->io);
    if (port80_init(&m->post, &m->io) < 0)
        return -1;

    if (opt->serial != SERIAL_NONE) {
        m->serial = serial_backend_open(opt->serial, opt->serial_path);
        if (!m->serial)
            return -1;
        serial_backend_set_notify(m->serial, NULL, serial_quit, m);
        uart_init(&m->com1, UART_COM1_BASE);
        uart_set_backend(&m->com1, serial_backend_write, serial_backend_read, m->serial);
        /* INTR is not wired: the PIC arrives in the next version. */
        if (uart_attach(&m->com1, &m->io) < 0)
            return -1;
        m->has_com1 = true;
    }

    if (opt->debug_exit) {
        int err = debug_exit_init(&m->debug_exit, &m->io, opt->debug_exit_port,
                                  opt->debug_exit_size, guest_debug_exit, m);
        if (err < 0) {
            fprintf(stderr, "glass: -device isa-debug-exit,iobase=0x%x,iosize=0x%x: %s\n",
                    opt->debug_exit_port, opt->debug_exit_size,
                    err == -EEXIST ? "ports already taken by another device" : strerror(-err));
            return -1;
        }
    }
    return 0;
}

static void vcpu_wire(struct machine *m, struct vcpu *v)
{
    struct x86_cpu_env *env = &v->cpu.env;
    env->mem = &m->mem;
    env->ept = &m->ept;
    env->exit = machine_handle_exit;
    env->intr_ack = NULL;   /* no interrupt controller yet */
    env->opaque = v;
}

static int build_vcpus(struct machine *m)
{
    m->nvcpus = 1;  /* -smp > 1 waits for the LAPIC (options_parse says so) */
    for (int i = 0; i < m->nvcpus; i++) {
        struct vcpu *v = &m->vcpu[i];
        v->index = i;
        v->m = m;
        x86_cpu_reset(&v->cpu);
        vcpu_wire(m, v);
        v->cpu.env.tlb = tlb_create(&m->mem);
        if (!v->cpu.env.tlb) {
            fprintf(stderr, "glass: out of memory for the TLB of vCPU %d\n", i);
            return -1;
        }
    }
    return 0;
}

static int load_guest(struct machine *m)
{
    return loader_load(&m->mem, &m->vcpu[0].cpu, m->opt) < 0 ? -1 : 0;
}

static int start_accel(struct machine *m)
{
    if (m->accel->init && m->accel->init(m) < 0) {
        fprintf(stderr, "glass: accelerator %s failed to start\n", m->accel->name);
        return -1;
    }
    for (int i = 0; i < m->nvcpus; i++) {
        struct vcpu *v = &m->vcpu[i];
        if (m->accel->vcpu_init && m->accel->vcpu_init(v) < 0) {
            fprintf(stderr, "glass: accelerator %s failed to set up vCPU %d\n",
                    m->accel->name, i);
            return -1;
        }
        if (m->accel->state_in)
            m->accel->state_in(v);
    }
    return 0;
}

struct machine *machine_create(const struct options *opt)
{
    struct machine *m = calloc(1, sizeof(*m));
    if (!m) {
        fprintf(stderr, "glass: out of memory\n");
        return NULL;
    }
    m->opt = opt;
    m->mem.fd = -1;
    exit_log_clear(&m->exits);
    /* The accelerator first: a bad -accel is reported before anything
     * else is opened. */
    m->accel = accel_choose(opt->accel);
    if (!m->accel || build_memory(m) < 0 || build_devices(m) < 0 || build_vcpus(m) < 0 ||
        load_guest(m) < 0 || start_accel(m) < 0) {
        machine_destroy(m);
        return NULL;
    }
    install_signal_handlers(m);
    return m;
}

void machine_destroy(struct machine *m)
{
    if (!m)
        return;
    if (signal_machine == m)
        signal_machine = NULL;
    for (int i = 0; i < m->nvcpus; i++) {
        struct vcpu *v = &m->vcpu[i];
        if (v->accel_state && m->accel && m->accel->vcpu_destroy)
            m->accel->vcpu_destroy(v);
        if (v->cpu.env.tlb)
            tlb_destroy(v->cpu.env.tlb);
    }
    if (m->accel && m->accel->destroy)
        m->accel->destroy(m);
    serial_backend_close(m->serial);
    ept_destroy(&m->ept);
    memmap_destroy(&m->mem);
    free(m);
}

int machine_reset(struct machine *m)
{
    if (m->has_com1)
        uart_reset(&m->com1);
    for (int i = 0; i < m->nvcpus; i++) {
        struct vcpu *v = &m->vcpu[i];
        struct x86_cpu_env env = v->cpu.env;
        x86_cpu_reset(&v->cpu);    /* keeps env (cpu/reset.c) */
        v->cpu.env = env;
        v->cpu.env.stop_request = 0;
        v->cpu.env.intr_pending = 0;
        if (env.tlb)
            tlb_flush_all(env.tlb);
    }
    if (load_guest(m) < 0)
        return -1;
    for (int i = 0; i < m->nvcpus; i++)
        if (m->accel->state_in)
            m->accel->state_in(&m->vcpu[i]);
    m->reboots++;
    return 0;
}

/* --- the run loop --- */

/* "CS:RIP" with the width of the current code size. */
static const char *cs_rip(const struct x86_cpu *cpu, char *buf, size_t len)
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

enum run_verdict { RUN_CONTINUE, RUN_STOP };

/* What to do after accel->run returned with *exit. */
static enum run_verdict act_on_exit(struct machine *m, struct vcpu *v, int rc,
                                    const struct vm_exit *exit)
{
    struct x86_cpu *cpu = &v->cpu;
    char where[40];
    if (m->stop)
        return RUN_STOP;    /* isa-debug-exit, Ctrl-A x, signal */
    if (rc < 0 || exit->reason == EXIT_GLASS_INTERNAL_ERROR) {
        fprintf(stderr, "glass: internal error in accelerator %s at %s: %s\n", m->accel->name,
                cs_rip(cpu, where, sizeof(where)),
                exit->reason == EXIT_GLASS_INTERNAL_ERROR && exit->error.message
                    ? exit->error.message : "(no message)");
        print_registers(cpu);
        m->exit_status = 1;
        return RUN_STOP;
    }
    switch (exit->reason) {
    case EXIT_HLT:
        if (!(x86_get_rflags(cpu) & FL_IF))
            fprintf(stderr, "glass: vCPU %d halted with interrupts disabled at %s, "
                    "nothing can wake it; stopping\n", v->index, cs_rip(cpu, where, sizeof(where)));
        else
            fprintf(stderr, "glass: vCPU %d halted at %s waiting for an interrupt, but this "
                    "machine has no interrupt controller yet, so none can come; stopping\n",
                    v->index, cs_rip(cpu, where, sizeof(where)));
        m->exit_status = 0;
        return RUN_STOP;
    case EXIT_TRIPLE_FAULT:
        fprintf(stderr, "glass: triple fault at %s\n", cs_rip(cpu, where, sizeof(where)));
        if (m->opt->no_reboot) {
            m->exit_status = 0;     /* as QEMU with -no-reboot */
            return RUN_STOP;
        }
        fprintf(stderr, "glass: rebooting (use -no-reboot to stop instead)\n");
        if (machine_reset(m) < 0) {
            m->exit_status = 1;
            return RUN_STOP;
        }
        return RUN_CONTINUE;
    case EXIT_GLASS_STOP:
        m->exit_status = 0;
        return RUN_STOP;
    case EXIT_GLASS_DEBUG:
        return RUN_CONTINUE;    /* no debugger attached yet */
    default:
        fprintf(stderr, "glass: accelerator %s stopped with exit %s (%u) at %s, which the "
                "board does not handle\n", m->accel->name, vm_exit_reason_name(exit->reason),
                exit->reason, cs_rip(cpu, where, sizeof(where)));
        print_registers(cpu);
        m->exit_status = 1;
        return RUN_STOP;
    }
}

int machine_run(struct machine *m)
{
    struct vcpu *v = &m->vcpu[0];
    for (;;) {
        if (m->stop)
            break;
        struct vm_exit exit;
        memset(&exit, 0, sizeof(exit));
        int rc = m->accel->run(v, &exit);
        if (m->accel->state_out)
            m->accel->state_out(v);
        exit.vcpu = (uint32_t)v->index;
        if (exit.reason != EXIT_IO_INSTRUCTION && exit.reason != EXIT_EPT_VIOLATION)
            exit_log_push(&m->exits, &exit);
        if (act_on_exit(m, v, rc, &exit) == RUN_STOP)
            break;
    }
    if (signal_seen)
        fprintf(stderr, "glass: terminating on signal %d\n", (int)signal_seen);
    return m->exit_status;
}
