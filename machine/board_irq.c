/* Interrupt routing on the PC board (machine/board.h):
 *
 *   device -> isa_irq[n] -> 8259A input n           -> INTR -> BSP (virtual wire)
 *                        -> IOAPIC pin n (IRQ0: pin 2) -> APIC bus -> LAPIC i -> vCPU i
 *   LAPIC IPIs (ICR)     -> APIC bus -> LAPIC j: fixed, NMI, INIT, SIPI
 *
 * IRQ0 goes to IOAPIC pin 2 because that is what the MP and ACPI tables
 * (machine/firmware_*.c) say in their interrupt-source override, as on
 * QEMU's pc machine; every other ISA IRQ n goes to pin n.
 *
 * The PIC's INTR output follows the virtual-wire rule of lapic.h: it reaches
 * the BSP when the BSP's LAPIC is globally disabled or has LINT0 unmasked in
 * ExtINT mode; the board asks lapic[0] and acknowledges through pic_ack.
 *
 * What each vCPU has pending is recomputed (board_update_intr) after every
 * exit, timer and input event: cheap (a few words per LAPIC) and simpler
 * to trust than tracking every path that can raise or lower a request.
 * INIT and SIPI are recorded here and applied by the run loop just before
 * the target vCPU runs, never in the middle of another vCPU's instruction
 * (a CPU may even send INIT to itself). */
#include "machine/board.h"

#include <stdint.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include "cpu/msr.h"
#include "cpu/x86_cpu.h"

/* --- the ISA interrupt router --- */

static int ioapic_pin_of_isa_irq(int irq)
{
    return irq == 0 ? 2 : irq;
}

void board_isa_irq(void *opaque, int irq, int level)
{
    struct machine *m = opaque;
    if (irq < 0 || irq > 15)
        return;
    pic_set_irq(&m->pic, irq, level);
    ioapic_set_irq(&m->ioapic, ioapic_pin_of_isa_irq(irq), level);
    board_update_intr(m);
}

/* The 8259A's INT output. */
static void pic_intr_changed(void *opaque, int n, int level)
{
    (void)n;
    (void)level;
    board_update_intr(opaque);
}

/* --- what the vCPUs have pending --- */

static bool pic_reaches_cpu(struct machine *m, int i)
{
    return i == 0 && pic_intr_pending(&m->pic) && lapic_accepts_pic_intr(&m->lapic[0]);
}

void board_update_intr(struct machine *m)
{
    /* A pending NMI counts too.  Whatever is pending kicks a running
     * translated loop (x86_kick): its budget test sees it. */
    for (int i = 0; i < m->nvcpus; i++) {
        m->vcpu[i].cpu.env.intr_pending =
            lapic_has_interrupt(&m->lapic[i]) || pic_reaches_cpu(m, i) || m->vcpu[i].cpu.nmi_pending;
        if (m->vcpu[i].cpu.env.intr_pending)
            x86_kick(&m->vcpu[i].cpu);
    }
}

/* env.intr_ack: in lapic.h's order, the LAPIC first, then the PIC through
 * the virtual wire. */
static int vcpu_intr_ack(void *opaque)
{
    struct vcpu *v = opaque;
    struct machine *m = v->m;
    int vec = -1;
    if (lapic_has_interrupt(&m->lapic[v->index]))
        vec = lapic_ack(&m->lapic[v->index]);
    else if (pic_reaches_cpu(m, v->index))
        vec = pic_ack(&m->pic);
    board_update_intr(m);
    return vec;
}

bool board_vcpu_runnable(struct machine *m, int i)
{
    struct x86_cpu *cpu = &m->vcpu[i].cpu;
    if (m->sched[i].init_pending || m->sched[i].sipi_pending)
        return true;
    if (m->sched[i].wait_sipi)
        return false;
    if (!cpu->halted)
        return true;
    if (cpu->nmi_pending && !cpu->nmi_blocked)
        return true;
    return cpu->env.intr_pending && (cpu->rflags & FL_IF);
}

/* --- the LAPIC's view of its CPU (struct lapic_cpu_ops) --- */

static void cpu_kick(void *opaque)
{
    struct vcpu *v = opaque;
    board_update_intr(v->m);
}

static void cpu_nmi(void *opaque)
{
    struct vcpu *v = opaque;
    v->cpu.nmi_pending = 1;
    v->cpu.env.intr_pending = 1;    /* see board_update_intr */
    x86_kick(&v->cpu);
}

/* The target may be the vCPU running now (INIT to self): make it leave
 * run() so the run loop applies the change between instructions. */
static void stop_if_running(struct vcpu *v)
{
    if (v->m->running == v->index)
        x86_request_stop(&v->cpu);
}

static void cpu_init(void *opaque)
{
    struct vcpu *v = opaque;
    v->m->sched[v->index].init_pending = true;
    v->m->sched[v->index].sipi_pending = false;
    stop_if_running(v);
}

static void cpu_sipi(void *opaque, int vector)
{
    struct vcpu *v = opaque;
    v->m->sched[v->index].sipi_pending = true;
    v->m->sched[v->index].sipi_vector = (uint8_t)vector;
    stop_if_running(v);
}

static const struct lapic_cpu_ops lapic_ops = {
    .kick = cpu_kick,
    .nmi = cpu_nmi,
    .init = cpu_init,
    .sipi = cpu_sipi,
    .read_tsc = NULL,
};

/* The CPU in its INIT state (SDM Vol. 3, 10.1, Table 10-1), keeping what
 * INIT keeps: the wiring, the APIC ID, IA32_APIC_BASE (the LAPIC has it). */
static void vcpu_init_state(struct machine *m, int i)
{
    struct vcpu *v = &m->vcpu[i];
    x86_cpu_reset(&v->cpu);     /* keeps env */
    v->cpu.apic_id = lapic_apic_id(&m->lapic[i]);
    v->cpu.msr.apic_base = lapic_apic_base(&m->lapic[i]);
    v->cpu.env.stop_request = 0;
    if (m->accel && m->accel->state_in && v->accel_state)
        m->accel->state_in(v);
}

void board_apply_startup(struct machine *m, int i)
{
    struct vcpu_sched *s = &m->sched[i];
    struct x86_cpu *cpu = &m->vcpu[i].cpu;
    if (s->init_pending) {
        s->init_pending = false;
        vcpu_init_state(m, i);
        /* An AP waits for SIPI; the BSP restarts at the reset vector. */
        s->wait_sipi = m->lapic[i].wait_for_sipi;
        cpu->halted = s->wait_sipi;
    }
    if (s->sipi_pending) {
        s->sipi_pending = false;
        s->wait_sipi = false;
        /* Real mode at vector:0000 (SDM 8.4.4.1 / MP spec B.4.2). */
        cpu->seg[S_CS].selector = (uint16_t)(s->sipi_vector << 8);
        cpu->seg[S_CS].base = (uint64_t)s->sipi_vector << 12;
        cpu->rip = 0;
        cpu->halted = 0;
        if (m->accel && m->accel->state_in && m->vcpu[i].accel_state)
            m->accel->state_in(&m->vcpu[i]);
    }
}

void board_vcpu_power_on(struct machine *m, int i)
{
    m->sched[i] = (struct vcpu_sched){ .wait_sipi = i != 0 };
    vcpu_init_state(m, i);
    m->vcpu[i].cpu.halted = i != 0;
}

/* --- MSRs and CR8 reach the LAPIC --- */

static int vcpu_msr_hook(void *opaque, uint32_t msr, uint64_t *val, int write)
{
    struct vcpu *v = opaque;
    struct lapic *l = &v->m->lapic[v->index];
    switch (msr) {
    case MSR_IA32_APIC_BASE:
        if (write)
            lapic_set_apic_base(l, *val);
        else
            *val = lapic_apic_base(l);
        break;
    case MSR_IA32_TSC_DEADLINE:
        if (write)
            lapic_set_tsc_deadline(l, *val);
        else
            *val = lapic_get_tsc_deadline(l);
        break;
    default:
        return 1;
    }
    board_update_intr(v->m);
    return 0;
}

static void vcpu_cr8_hook(void *opaque, uint64_t *val, int write)
{
    struct vcpu *v = opaque;
    struct lapic *l = &v->m->lapic[v->index];
    if (write) {
        lapic_set_tpr(l, (uint8_t)(*val << 4));
        board_update_intr(v->m);
    } else {
        *val = lapic_get_tpr(l) >> 4;
    }
}

void board_vcpu_wire(struct machine *m, struct vcpu *v)
{
    struct x86_cpu_env *env = &v->cpu.env;
    env->mem = &m->mem;
    env->ept = &m->ept;
    env->exit = machine_handle_exit;
    env->intr_ack = vcpu_intr_ack;
    env->msr_hook = vcpu_msr_hook;
    env->cr8_hook = vcpu_cr8_hook;
    env->opaque = v;
}

/* --- LAPIC MMIO: the page at 0xfee00000 is every vCPU's own LAPIC --- */

static struct lapic *current_lapic(struct machine *m)
{
    return &m->lapic[m->running >= 0 ? m->running : 0];
}

static uint64_t lapic_page_read(void *opaque, uint64_t offset, int size)
{
    return lapic_mmio_read(current_lapic(opaque), offset, size);
}

static void lapic_page_write(void *opaque, uint64_t offset, int size, uint64_t val)
{
    lapic_mmio_write(current_lapic(opaque), offset, size, val);
}

static const struct mmio_ops lapic_page_ops = {
    .read = lapic_page_read,
    .write = lapic_page_write,
};

/* --- building it --- */

void board_irq_init(struct machine *m)
{
    for (int n = 0; n < 16; n++)
        irq_line_connect(&m->isa_irq[n], board_isa_irq, m, n);
    struct irq_line intr;
    irq_line_connect(&intr, pic_intr_changed, m, 0);
    pic_init(&m->pic, intr);

    apic_bus_init(&m->apic_bus);
    /* IOAPIC ID = the number of CPUs, as the MP table says (firmware_mp.c). */
    ioapic_init(&m->ioapic, (uint8_t)m->nvcpus);
    apic_bus_add_ioapic(&m->apic_bus, &m->ioapic);
    for (int i = 0; i < m->nvcpus; i++) {
        m->vcpu[i].index = i;
        m->vcpu[i].m = m;
        lapic_init(&m->lapic[i], (uint8_t)i, i == 0, &m->clock, 0);
        lapic_set_cpu_ops(&m->lapic[i], &lapic_ops, &m->vcpu[i]);
        apic_bus_add_lapic(&m->apic_bus, &m->lapic[i]);
    }
    lapic_firmware_setup(&m->lapic[0]);
}

/* Reboot: the controllers to their power-on (as the BIOS leaves them) state. */
void board_irq_reset(struct machine *m)
{
    struct irq_line intr = m->pic.intr;
    pic_init(&m->pic, intr);
    ioapic_reset(&m->ioapic);
    for (int i = 0; i < m->nvcpus; i++) {
        vtimer_cancel(&m->clock, &m->lapic[i].timer);
        struct apic_bus *bus = m->lapic[i].bus;
        int index = m->lapic[i].bus_index;
        lapic_init(&m->lapic[i], (uint8_t)i, i == 0, &m->clock, 0);
        lapic_set_cpu_ops(&m->lapic[i], &lapic_ops, &m->vcpu[i]);
        m->lapic[i].bus = bus;
        m->lapic[i].bus_index = index;
    }
    lapic_firmware_setup(&m->lapic[0]);
}

int board_irq_map_mmio(struct machine *m)
{
    int err = memmap_add_mmio(&m->mem, "ioapic", IOAPIC_DEFAULT_BASE, IOAPIC_MMIO_SIZE,
                              &ioapic_mmio_ops, &m->ioapic);
    if (err == 0)
        err = memmap_add_mmio(&m->mem, "lapic", LAPIC_DEFAULT_BASE, LAPIC_MMIO_SIZE,
                              &lapic_page_ops, m);
    return err;
}

void board_wake(struct machine *m)
{
    if (m->wake_fd >= 0) {
        uint64_t one = 1;
        ssize_t r = write(m->wake_fd, &one, sizeof(one));
        (void)r;
    }
}

void board_request_reset(void *opaque)
{
    struct machine *m = opaque;
    m->reset_pending = 1;
    for (int i = 0; i < m->nvcpus; i++)
        x86_request_stop(&m->vcpu[i].cpu);
}
