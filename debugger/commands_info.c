/* `info` subcommands, exits and devices. */
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "debugger/board_view.h"
#include "debugger/session.h"
#include "devices/ide.h"
#include "devices/ioapic.h"
#include "devices/lapic.h"
#include "devices/pic8259.h"
#include "devices/pit8254.h"
#include "devices/rtc_cmos.h"
#include "machine/board.h"

const struct dbg_command dbg_info_commands[] = {
    { "breakpoints", "b", "breakpoints", "List breakpoints and watchpoints with hit counts.", cmd_info_breakpoints },
    { "registers", "r", "registers", "Same as `regs`.", cmd_info_registers },
    { "gdt", NULL, "gdt", "The GDT's descriptors decoded (base, limit, type, DPL, flags).", cmd_info_gdt },
    { "idt", NULL, "idt [N]",
      "The IDT's gates (type, selector:offset with symbols, DPL, IST), or the real-mode IVT.", cmd_info_idt },
    { "ldt", NULL, "ldt", "The LDT's descriptors, if one is loaded.", cmd_info_ldt },
    { "tss", NULL, "tss", "The task register and the TSS's fields (stacks, IST, I/O map base).", cmd_info_tss },
    { "msr", NULL, "msr", "The MSRs glass models, with their values.", cmd_info_msr },
    { "pagewalk", "pw", "pagewalk VA",
      "Walk VA through the guest's page tables level by level (each table, index, entry and\n"
      "its bits named, why it would fault), then the guest-physical address through the EPT\n"
      "down to the host (offset in the guest-RAM memfd).", cmd_info_pagewalk },
    { "mem", NULL, "mem", "The mapped linear ranges with R/W, U/S and NX.", cmd_info_mem },
    { "tlb", NULL, "tlb", "The current vCPU's software TLB entries and statistics.", cmd_info_tlb },
    { "ept", NULL, "ept [GPA]", "The memory map as the software EPT maps it, or the EPT walk of GPA.", cmd_info_ept },
    { "exits", NULL, "exits [N]",
      "VM exits: the count per reason, then the last N (default 10) with RIP, reason and\n"
      "details (port, size, data; MMIO address; vector).", cmd_info_exits },
    { "pic", NULL, "pic", "The two 8259A PICs: IRR, ISR, IMR, vector base, mode.", cmd_info_pic },
    { "pit", NULL, "pit", "The 8254 PIT's three counters.", cmd_info_pit },
    { "lapic", NULL, "lapic", "The current vCPU's local APIC.", cmd_info_lapic },
    { "ioapic", NULL, "ioapic", "The IOAPIC's redirection table.", cmd_info_ioapic },
    { "uart", NULL, "uart", "COM1's 16550A registers.", cmd_info_uart },
    { "ide", NULL, "ide", "The IDE channels and drives.", cmd_info_ide },
    { "rtc", NULL, "rtc", "The MC146818 RTC/CMOS registers.", cmd_info_rtc },
    { "irq", NULL, "irq", "Interrupt lines: what the PIC and IOAPIC see.", cmd_info_irq },
    { "symbol", NULL, "symbol ADDR", "The symbol containing ADDR.", cmd_info_symbol },
    DBG_TB_INFO_COMMANDS,   /* tb, tbstats: debugger/commands_tb.c */
    { NULL, NULL, NULL, NULL, NULL },
};

DBG_CMD(cmd_info_exits)
{
    (void)suffix;
    struct exit_log *log = &s->m->exits;
    uint64_t n = 10;
    if (argc > 1 && dbg_eval(s, argv[1], &n) < 0)
        return -1;
    fprintf(s->out, "%" PRIu64 " exits logged\n", log->total);
    for (size_t i = 0; i < EXIT_LOG_NCOUNTERS; i++)
        if (log->count[i]) {
            uint32_t r = exit_log_counter_reason(i);
            fprintf(s->out, "  %-24s (%4u) %10" PRIu64 "\n", vm_exit_reason_name(r), r, log->count[i]);
        }
    size_t len = exit_log_len(log);
    if (n > len)
        n = len;
    if (n)
        fprintf(s->out, "last %" PRIu64 ":\n", n);
    for (size_t i = (size_t)n; i-- > 0;) {
        const struct exit_log_entry *e = exit_log_recent(log, i);
        char d[160];
        if (e)
            fprintf(s->out, "  #%-8" PRIu64 " vcpu %u rip 0x%08" PRIx64 " %s\n", e->seq, e->exit.vcpu,
                    e->exit.rip, exit_log_describe(&e->exit, d, sizeof(d)));
    }
    return 0;
}

static int missing(struct dbg_session *s, const char *what)
{
    fprintf(s->out, "no %s on this machine yet\n", what);
    return 0;
}

static void pic_chip(FILE *out, const char *name, const struct pic8259 *c)
{
    fprintf(out, "  %s: IRR 0x%02x ISR 0x%02x IMR 0x%02x ELCR 0x%02x vector base 0x%02x%s%s%s init-step %u\n",
            name, c->irr, c->isr, c->imr, c->elcr, c->icw2 & 0xf8, (c->icw4 & 2) ? " auto-EOI" : "",
            (c->icw1 & 8) ? " level" : " edge", c->special_mask ? " special-mask" : "", c->init_step);
}

DBG_CMD(cmd_info_pic)
{
    (void)argc; (void)argv; (void)suffix;
    struct pic *p = dbg_board_pic(s->m);
    if (!p)
        return missing(s, "PIC");
    pic_chip(s->out, "master (IRQ 0-7) ", &p->chip[0]);
    pic_chip(s->out, "slave  (IRQ 8-15)", &p->chip[1]);
    fprintf(s->out, "  INTR %s; %" PRIu64 " acknowledged, %" PRIu64 " spurious\n",
            p->intr_level ? "asserted" : "low", p->acks, p->spurious);
    return 0;
}

DBG_CMD(cmd_info_pit)
{
    (void)argc; (void)argv; (void)suffix;
    struct pit *p = dbg_board_pit(s->m);
    if (!p)
        return missing(s, "PIT");
    for (int i = 0; i < PIT_CHANNELS; i++) {
        const struct pit_channel *c = &p->ch[i];
        fprintf(s->out, "  counter %d: mode %u%s count %u (reload 0x%04x) gate %u out %d%s\n", i, c->mode,
                c->bcd ? " BCD" : "", c->n, c->cr, c->gate, pit_get_out(p, i),
                c->null_count ? " null-count" : "");
    }
    fprintf(s->out, "  IRQ0: %" PRIu64 " raised, %" PRIu64 " coalesced\n", p->irq0_raises, p->irq0_coalesced);
    return 0;
}

static void bits256(FILE *out, const char *name, const uint32_t *r)
{
    fprintf(out, "  %s:", name);
    bool any = false;
    for (int v = 0; v < 256; v++)
        if (r[v / 32] >> (v % 32) & 1) {
            fprintf(out, " 0x%02x", v);
            any = true;
        }
    fprintf(out, "%s\n", any ? "" : " none");
}

DBG_CMD(cmd_info_lapic)
{
    (void)argc; (void)argv; (void)suffix;
    struct lapic *l = dbg_board_lapic(s->m, s->d.cur_vcpu);
    if (!l)
        return missing(s, "local APIC");
    fprintf(s->out, "  APIC base 0x%" PRIx64 " ID 0x%08x TPR 0x%02x SVR 0x%03x%s LDR 0x%08x DFR 0x%08x ESR 0x%x\n",
            l->apic_base, l->id, l->tpr, l->svr, (l->svr & 0x100) ? " (enabled)" : " (software-disabled)",
            l->ldr, l->dfr, l->esr);
    fprintf(s->out, "  ICR 0x%08x%08x\n", l->icr_hi, l->icr_lo);
    static const char *const lvt[] = { "CMCI", "timer", "thermal", "perf", "LINT0", "LINT1", "error" };
    for (int i = 0; i < LAPIC_LVT_COUNT; i++)
        fprintf(s->out, "  LVT %-8s 0x%08x vector 0x%02x%s\n", i < 7 ? lvt[i] : "?", l->lvt[i],
                l->lvt[i] & 0xff, (l->lvt[i] & 0x10000) ? " masked" : "");
    fprintf(s->out, "  timer initial 0x%x divide 0x%x %s\n", l->timer_initial, l->timer_divide,
            l->timer_armed ? "armed" : "idle");
    bits256(s->out, "IRR", l->irr);
    bits256(s->out, "ISR", l->isr);
    return 0;
}

DBG_CMD(cmd_info_ioapic)
{
    (void)argc; (void)argv; (void)suffix;
    struct ioapic *io = dbg_board_ioapic(s->m);
    if (!io)
        return missing(s, "IOAPIC");
    fprintf(s->out, "  IOAPIC ID 0x%x, pins asserted 0x%06x\n", io->id >> 24, io->pin_level);
    for (int i = 0; i < IOAPIC_PINS; i++) {
        uint64_t r = io->redtbl[i];
        fprintf(s->out, "  pin %2d: 0x%016" PRIx64 " vector 0x%02x delivery %u %s %s %s dest 0x%02x%s\n", i, r,
                (unsigned)(r & 0xff), (unsigned)(r >> 8) & 7, (r >> 11) & 1 ? "logical" : "physical",
                (r >> 13) & 1 ? "active-low" : "active-high", (r >> 15) & 1 ? "level" : "edge",
                (unsigned)(r >> 56), (r >> 16) & 1 ? " masked" : "");
    }
    return 0;
}

DBG_CMD(cmd_info_uart)
{
    (void)argc; (void)argv; (void)suffix;
    if (!s->m->has_com1)
        return missing(s, "UART (-serial none)");
    const struct uart16550 *u = &s->m->com1;
    unsigned div = (unsigned)u->dlm << 8 | u->dll;
    fprintf(s->out, "  COM1 at 0x%03x: IER 0x%02x LCR 0x%02x MCR 0x%02x LSR 0x%02x MSR 0x%02x SCR 0x%02x FCR 0x%02x\n",
            u->iobase, u->ier, u->lcr, u->mcr, u->lsr, u->msr, u->scr, u->fcr);
    fprintf(s->out, "  divisor %u (%u baud), %u data bits, %s stop, parity %s; rx fifo %u bytes; "
            "%" PRIu64 " bytes sent, %" PRIu64 " received; INTR %s\n", div, div ? 115200 / div : 0,
            5 + (u->lcr & 3), (u->lcr & 4) ? "2" : "1", (u->lcr & 8) ? "on" : "none", u->rx_count,
            u->tx_bytes, u->rx_bytes, u->irq_level ? "asserted" : "low");
    return 0;
}

DBG_CMD(cmd_info_ide)
{
    (void)argc; (void)argv; (void)suffix;
    struct ide *c = dbg_board_ide(s->m);
    if (!c)
        return missing(s, "IDE controller");
    for (int ch = 0; ch < 2; ch++) {
        const struct ide_channel *k = &c->channel[ch];
        fprintf(s->out, "  channel %d (0x%03x/0x%03x) control 0x%02x INTRQ %s\n", ch, k->cmd_base,
                k->ctl_base, k->device_control, k->irq_level ? "asserted" : "low");
        for (int d = 0; d < 2; d++) {
            const struct ide_drive *dr = &k->drive[d];
            if (!dr->img) {
                fprintf(s->out, "    %s: none\n", d ? "slave " : "master");
                continue;
            }
            fprintf(s->out, "    %s: status 0x%02x error 0x%02x count %u lba %02x%02x%02x device 0x%02x"
                    " command 0x%02x remaining %u\n", d ? "slave " : "master", dr->status, dr->error,
                    dr->sector_count, dr->lba_high, dr->lba_mid, dr->lba_low, dr->device, dr->xfer_cmd,
                    dr->xfer_remaining);
        }
    }
    return 0;
}

DBG_CMD(cmd_info_rtc)
{
    (void)argc; (void)argv; (void)suffix;
    struct rtc *r = dbg_board_rtc(s->m);
    if (!r)
        return missing(s, "RTC");
    const uint8_t *c = r->cmos;
    fprintf(s->out, "  time %02x:%02x:%02x date %02x-%02x-%02x (as stored: BCD unless B.DM)\n",
            c[4], c[2], c[0], c[9], c[8], c[7]);
    fprintf(s->out, "  A 0x%02x B 0x%02x C 0x%02x D 0x%02x index 0x%02x NMI %s IRQ8 %s\n", c[10], c[11],
            c[12], c[13], r->index, r->nmi_masked ? "masked" : "enabled", r->irq_level ? "asserted" : "low");
    return 0;
}

DBG_CMD(cmd_info_irq)
{
    (void)argc; (void)argv; (void)suffix;
    struct pic *p = dbg_board_pic(s->m);
    struct ioapic *io = dbg_board_ioapic(s->m);
    if (!p && !io)
        return missing(s, "interrupt controller");
    if (p) {
        fprintf(s->out, "  PIC lines:");
        for (int i = 0; i < 16; i++) {
            const struct pic8259 *c = &p->chip[i / 8];
            int b = i % 8;
            fprintf(s->out, " %d:%s%s%s", i, (c->lines >> b) & 1 ? "H" : "L", (c->irr >> b) & 1 ? "r" : "",
                    (c->imr >> b) & 1 ? "m" : "");
        }
        fprintf(s->out, "\n  (H/L level, r requested, m masked)\n");
    }
    if (io)
        fprintf(s->out, "  IOAPIC pins asserted: 0x%06x\n", io->pin_level);
    struct x86_cpu *cpu = dbg_cpu(&s->d);
    fprintf(s->out, "  vCPU %d: IF %u, interrupt pending flag %d, NMI pending %u, shadow %u\n",
            s->d.cur_vcpu, (x86_get_rflags(cpu) & FL_IF) ? 1 : 0, cpu->env.intr_pending, cpu->nmi_pending,
            cpu->interrupt_shadow);
    return 0;
}
