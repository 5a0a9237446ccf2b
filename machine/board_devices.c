/* The PC's devices: created from the options, their ports claimed on the
 * io bus, their interrupt lines connected to the ISA router (board_irq.c).
 * Each device's header says how it wants to be wired; this file does
 * exactly that, in the order of the board's port map (machine/board.h). */
#include "machine/board.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* --- callbacks from devices --- */

static void guest_debug_exit(void *opaque, int status)
{
    machine_request_stop(opaque, status);
}

static void serial_quit(void *opaque)
{
    machine_request_stop(opaque, 0);
}

/* From the serial input thread: the run loop pulls the bytes into the UART
 * between slices (devices are only touched by the run loop's thread). */
static void serial_input(void *opaque)
{
    struct machine *m = opaque;
    __atomic_store_n(&m->input_pending, 1, __ATOMIC_RELEASE);
    board_wake(m);
}

static void com1_irq(void *opaque, int level)
{
    board_isa_irq(opaque, 4, level);
}

/* A20 is ignored (machine/board.h says why). */
static void a20_change(void *opaque, bool enabled)
{
    (void)opaque;
    (void)enabled;
}

static int claimed(int err, const char *what)
{
    if (err < 0)
        fprintf(stderr, "glass: cannot attach %s to the io bus: %s\n", what,
                err == -EEXIST ? "ports already taken by another device" : strerror(-err));
    return err;
}

/* --- the pieces --- */

static int create_serial(struct machine *m)
{
    const struct options *opt = m->opt;
    if (opt->serial == SERIAL_NONE)
        return 0;
    m->serial = serial_backend_open(opt->serial, opt->serial_path);
    if (!m->serial)
        return -1;
    serial_backend_set_notify(m->serial, serial_input, serial_quit, m);
    uart_init(&m->com1, UART_COM1_BASE);
    uart_set_backend(&m->com1, serial_backend_write, serial_backend_read, m->serial);
    uart_set_irq(&m->com1, com1_irq, m);
    if (claimed(uart_attach(&m->com1, &m->io), "COM1") < 0)
        return -1;
    m->has_com1 = true;
    return 0;
}

static int open_disks(struct machine *m)
{
    m->ide = calloc(1, sizeof(*m->ide));
    if (!m->ide) {
        fprintf(stderr, "glass: out of memory for the IDE controller\n");
        return -1;
    }
    ide_init(m->ide);
    for (int i = 0; i < MAX_DRIVES; i++) {
        const struct drive_opt *d = &m->opt->drive[i];
        if (!d->file)
            continue;
        char err[256];
        if (disk_image_open(&m->disk[i], d->file, d->readonly, err, sizeof(err)) < 0) {
            fprintf(stderr, "glass: -drive index=%d: %s\n", i, err);
            return -1;
        }
        if (m->disk[i].readonly && !d->readonly)
            fprintf(stderr, "glass: warning: disk image '%s' is not writable: the guest "
                    "gets it read-only\n", d->file);
        /* QEMU's numbering: 0 primary master, 1 primary slave, 2 secondary
         * master, 3 secondary slave. */
        ide_attach_disk(m->ide, i / 2, i % 2, &m->disk[i]);
    }
    m->ide->channel[0].irq = m->isa_irq[IDE_PRIMARY_IRQ];
    m->ide->channel[1].irq = m->isa_irq[IDE_SECONDARY_IRQ];
    return claimed(ide_attach(m->ide, &m->io), "the IDE controller");
}

static void rtc_memory(struct machine *m)
{
    uint64_t ram = m->opt->ram_size;
    uint64_t below = ram < PC_PCI_HOLE ? ram : PC_PCI_HOLE;
    rtc_set_memory_layout(&m->rtc, below, ram - below);
}

int board_devices_create(struct machine *m)
{
    const struct options *opt = m->opt;
    for (int i = 0; i < MAX_DRIVES; i++)
        m->disk[i].fd = -1;
    iobus_init(&m->io);
    vclock_init(&m->clock);
    board_irq_init(m);
    if (claimed(port80_init(&m->post, &m->io), "the POST port") < 0 ||
        claimed(pic_attach(&m->pic, &m->io), "the 8259A PICs") < 0)
        return -1;

    pit_init(&m->pit, &m->clock, m->isa_irq[0]);
    port61_init(&m->port61, &m->pit);
    if (claimed(pit_attach(&m->pit, &m->io), "the 8254 PIT") < 0 ||
        claimed(port61_attach(&m->port61, &m->io), "port 0x61") < 0)
        return -1;

    rtc_init(&m->rtc, &m->clock);
    m->rtc.irq = m->isa_irq[RTC_IRQ];
    rtc_memory(m);
    if (claimed(rtc_attach(&m->rtc, &m->io), "the RTC") < 0)
        return -1;

    i8042_init(&m->kbc, true);
    m->kbc.irq1 = m->isa_irq[I8042_IRQ_KBD];
    m->kbc.irq12 = m->isa_irq[I8042_IRQ_AUX];
    m->kbc.reset_request = board_request_reset;
    m->kbc.a20_change = a20_change;
    m->kbc.opaque = m;
    port92_init(&m->port92, true);
    m->port92.reset_request = board_request_reset;
    m->port92.a20_change = a20_change;
    m->port92.opaque = m;
    vga_text_init(&m->vga);
    if (claimed(i8042_attach(&m->kbc, &m->io), "the i8042") < 0 ||
        claimed(port92_attach(&m->port92, &m->io), "port 0x92") < 0 ||
        claimed(vga_text_attach(&m->vga, &m->io), "the VGA") < 0)
        return -1;

    if (open_disks(m) < 0 || create_serial(m) < 0)
        return -1;

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

/* A reboot: every device as at power-on (disks and backends kept). */
void board_devices_reset(struct machine *m)
{
    if (m->has_com1)
        uart_reset(&m->com1);
    vtimer_cancel(&m->clock, &m->pit.timer);
    pit_init(&m->pit, &m->clock, m->isa_irq[0]);
    port61_init(&m->port61, &m->pit);
    vtimer_cancel(&m->clock, &m->rtc.update_timer);
    vtimer_cancel(&m->clock, &m->rtc.periodic_timer);
    rtc_init(&m->rtc, &m->clock);
    m->rtc.irq = m->isa_irq[RTC_IRQ];
    rtc_memory(m);
    i8042_reset(&m->kbc);
    port92_reset(&m->port92);
    vga_text_init(&m->vga);
    if (m->ide)
        ide_reset(m->ide);
    board_irq_reset(m);
}

void board_devices_destroy(struct machine *m)
{
    for (int i = 0; i < MAX_DRIVES; i++)
        if (m->disk[i].fd >= 0)
            disk_image_close(&m->disk[i]);
    free(m->ide);
    m->ide = NULL;
}
