/* The PC board: builds the machine from the options, answers the exits of
 * its vCPUs, resets it.  The run loop is machine/smp.c. */
#include "machine/board.h"

#include <errno.h>
#include <sys/eventfd.h>
#include <unistd.h>
#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cpu/cpuid.h"
#include "cpu/x86_cpu.h"
#include "machine/firmware.h"
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
        x86_request_stop(&m->vcpu[i].cpu);
    board_wake(m);  /* the run loop may be asleep (all vCPUs halted) */
}

/* SIGINT/SIGTERM/SIGHUP: the first stops the machine cleanly (terminal
 * restored, output flushed); a second one, if the vCPU does not stop,
 * kills glass the default way after restoring the terminal. */
static struct machine *signal_machine;
volatile sig_atomic_t board_signal_seen;
#define signal_seen board_signal_seen

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
    m->running = v->index;      /* whose LAPIC the page at 0xfee00000 is */
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
    /* A device may have raised or lowered a request, an EOI or a TPR write
     * may have unblocked one. */
    board_update_intr(m);
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
        /* VGA text buffer, option ROMs, BIOS tables: plain RAM. */
        add_ram(m, "legacy-hole", PC_LOW_RAM_END, PC_HOLE_END - PC_LOW_RAM_END) < 0)
        return -1;
    if (below_4g > PC_HOLE_END && add_ram(m, "ram", PC_HOLE_END, below_4g - PC_HOLE_END) < 0)
        return -1;
    if (ram > below_4g && add_ram(m, "ram-above-4g", PC_HIGH_RAM_BASE, ram - below_4g) < 0)
        return -1;
    err = board_irq_map_mmio(m);
    if (err < 0) {
        fprintf(stderr, "glass: memory map: cannot add the APIC pages: %s\n", strerror(-err));
        return -1;
    }
    err = ept_build(&m->ept, &m->mem);
    if (err < 0) {
        fprintf(stderr, "glass: cannot build the EPT: %s\n", strerror(-err));
        return -1;
    }
    return 0;
}

static int build_vcpus(struct machine *m)
{
    for (int i = 0; i < m->nvcpus; i++) {
        struct vcpu *v = &m->vcpu[i];
        v->index = i;
        v->m = m;
        board_vcpu_wire(m, v);
        board_vcpu_power_on(m, i);
        v->cpu.env.tlb = tlb_create(&m->mem);
        if (!v->cpu.env.tlb) {
            fprintf(stderr, "glass: out of memory for the TLB of vCPU %d\n", i);
            return -1;
        }
    }
    return 0;
}

/* The BSP gets the guest; the APs wait for SIPI (board_vcpu_power_on). */
static int load_guest(struct machine *m)
{
    uint32_t id[4];
    x86_cpuid(1, 0, id);
    int ndisks = 0;
    for (int i = 0; i < MAX_DRIVES; i++)
        ndisks += m->opt->drive[i].file != NULL;
    struct firmware_config fw = {
        .ncpus = m->nvcpus,
        .cpu_signature = id[0],
        .cpu_features_edx = id[3],
        .ioapic_id = (uint8_t)m->nvcpus,    /* as board_irq_init gives the IOAPIC */
        .ram_size = m->opt->ram_size,
        .nhard_disks = ndisks,
    };
    if (firmware_build(&m->mem, &fw) < 0)
        return -1;
    if (loader_load(&m->mem, &m->vcpu[0].cpu, m->opt) < 0)
        return -1;
    m->vcpu[0].cpu.apic_id = lapic_apic_id(&m->lapic[0]);
    m->vcpu[0].cpu.msr.apic_base = lapic_apic_base(&m->lapic[0]);
    return 0;
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
    m->running = -1;
    m->nvcpus = opt->smp < 1 ? 1 : opt->smp > MAX_VCPUS ? MAX_VCPUS : opt->smp;
    m->wake_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
    exit_log_clear(&m->exits);
    /* The accelerator first: a bad -accel is reported before anything
     * else is opened. */
    m->accel = accel_choose(opt->accel);
    if (!m->accel || build_memory(m) < 0 || board_devices_create(m) < 0 ||
        build_vcpus(m) < 0 || load_guest(m) < 0 || start_accel(m) < 0) {
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
    board_devices_destroy(m);
    if (m->wake_fd >= 0)
        close(m->wake_fd);
    ept_destroy(&m->ept);
    memmap_destroy(&m->mem);
    free(m);
}

int machine_reset(struct machine *m)
{
    board_devices_reset(m);
    for (int i = 0; i < m->nvcpus; i++) {
        board_vcpu_power_on(m, i);
        m->vcpu[i].cpu.env.intr_pending = 0;
        if (m->vcpu[i].cpu.env.tlb)
            tlb_flush_all(m->vcpu[i].cpu.env.tlb);
    }
    m->reset_pending = 0;
    if (load_guest(m) < 0)
        return -1;
    for (int i = 0; i < m->nvcpus; i++)
        if (m->accel->state_in)
            m->accel->state_in(&m->vcpu[i]);
    m->reboots++;
    return 0;
}
