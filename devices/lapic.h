/* The local APIC in xAPIC mode (Intel SDM Vol. 3, ch. 11 "Advanced
 * Programmable Interrupt Controller (APIC)"; ch. 12 in newer editions).
 * One per vCPU, every one at the same guest-physical page 0xFEE00000: the
 * board routes an MMIO access to the LAPIC of the vCPU that made it.
 *
 * Version 0x14 with 7 LVT entries (max LVT entry 6: CMCI, timer, thermal,
 * performance counters, LINT0, LINT1, error), no EOI-broadcast suppression
 * (version bit 24 clear, so SVR bit 12 is reserved), no x2APIC.
 *
 * The timer counts at LAPIC_TIMER_HZ (1 GHz: one tick a nanosecond) divided
 * by the divide configuration; TSC-deadline mode converts the guest TSC to
 * vclock time with the TSC frequency given at init.
 *
 * ---- How the board wires a LAPIC (per vCPU i) ----
 *   struct apic_bus bus;  apic_bus_init(&bus);           once
 *   lapic_init(&l[i], apic_id = i, bsp = (i == 0), &clock, tsc_hz);
 *   lapic_set_cpu_ops(&l[i], &ops, vcpu_i);   kick / nmi / init / sipi / read_tsc
 *   apic_bus_add_lapic(&bus, &l[i]);
 *   if (i == 0) lapic_firmware_setup(&l[0]);  what the BIOS leaves (see below)
 *   MMIO: memmap_add_mmio(mem, "lapic", LAPIC_DEFAULT_BASE, LAPIC_MMIO_SIZE,
 *         ops, ...) with handlers that pick the current vCPU's LAPIC and call
 *         lapic_mmio_read(l, offset, size) / lapic_mmio_write(l, offset, size, val).
 *   WRMSR IA32_APIC_BASE (after cpu/msr.c accepted it): lapic_set_apic_base(l, val);
 *     RDMSR may keep using cpu->msr.apic_base (same value), or lapic_apic_base().
 *   WRMSR IA32_TSC_DEADLINE: lapic_set_tsc_deadline(l, val);
 *   RDMSR IA32_TSC_DEADLINE: lapic_get_tsc_deadline(l) (0 once it fired, and
 *     0 outside TSC-deadline mode, SDM 11.5.4.1).
 *   MOV to/from CR8 (64-bit mode): lapic_set_tpr(l, cr8 << 4) / lapic_get_tpr(l) >> 4.
 *   CPUID.1: EDX.APIC (bit 9) and ECX.TSC_DEADLINE (bit 24) may be set.
 *   Interrupt acknowledge (cpu->env.intr_ack) and intr_pending, per vCPU:
 *     if (lapic_has_interrupt(l))                    return lapic_ack(l);
 *     if (pic INTR && lapic_accepts_pic_intr(l))     return pic's ack vector;
 *     return -1;
 *   ops.kick sets cpu->env.intr_pending (and wakes a halted vCPU); the
 *   board recomputes "something pending" from the two tests above.
 *   The PIC's INTR output: "virtual wire" rule (SDM 11.4.3, MP spec 3.6.2):
 *     lapic_accepts_pic_intr(l) is true when the LAPIC is globally disabled
 *     (IA32_APIC_BASE bit 11 clear: the CPU's INTR pin is the PIC's, as on a
 *     CPU without an APIC) or when LVT LINT0 is unmasked in ExtINT mode.  Only
 *     the BSP's LINT0 is wired to the PIC; the board asks l[0] only.
 *   LINT1 (NMI from the board, if any): lapic_lint_irq(l, 1, level), an
 *     irq_handler_fn.
 *   Snapshots: lapic_save / lapic_load per vCPU.
 *
 * lapic_firmware_setup: glass has no BIOS; a PC BIOS (SeaBIOS under QEMU)
 * leaves the BSP's LAPIC software-enabled (SVR = 0x1FF) with LINT0 = ExtINT
 * and LINT1 = NMI, so the 8259A reaches the CPU through the LAPIC
 * ("virtual wire mode A").  Without it the power-on state (SVR bit 8 clear,
 * all LVTs masked) would block PIC interrupts until the kernel programs the
 * LAPIC.
 *
 * Not modelled: APIC base relocation (the page stays at 0xFEE00000 whatever
 * IA32_APIC_BASE[35:12] says), x2APIC, SMI (messages and LVT entries in SMI
 * mode are dropped), ExtINT messages from an IOAPIC (dropped), focus
 * processor checking, the thermal/perf/CMCI sources (the LVTs are there to
 * program). */
#ifndef GLASS_DEVICES_LAPIC_H
#define GLASS_DEVICES_LAPIC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "devices/apic_bus.h"
#include "machine/vclock.h"

#define LAPIC_DEFAULT_BASE 0xfee00000ull
#define LAPIC_MMIO_SIZE 0x1000
#define LAPIC_VERSION 0x14
#define LAPIC_TIMER_HZ 1000000000ull    /* timer input clock, before the divider */
/* Guest TSC frequency used when the board passes 0 to lapic_init. */
#ifndef GLASS_TSC_HZ
#define GLASS_TSC_HZ 1000000000ull
#endif

/* Register offsets in the APIC page (SDM Table 11-1). */
enum lapic_reg {
    LAPIC_ID = 0x020,
    LAPIC_VER = 0x030,
    LAPIC_TPR = 0x080,      /* task priority */
    LAPIC_APR = 0x090,      /* arbitration priority (read only) */
    LAPIC_PPR = 0x0a0,      /* processor priority (read only) */
    LAPIC_EOI = 0x0b0,      /* write only */
    LAPIC_RRD = 0x0c0,      /* remote read (read only) */
    LAPIC_LDR = 0x0d0,      /* logical destination */
    LAPIC_DFR = 0x0e0,      /* destination format */
    LAPIC_SVR = 0x0f0,      /* spurious interrupt vector */
    LAPIC_ISR = 0x100,      /* in-service, 8 registers 0x100-0x170 */
    LAPIC_TMR = 0x180,      /* trigger mode, 0x180-0x1f0 */
    LAPIC_IRR = 0x200,      /* interrupt request, 0x200-0x270 */
    LAPIC_ESR = 0x280,      /* error status */
    LAPIC_LVT_CMCI = 0x2f0,
    LAPIC_ICR_LO = 0x300,   /* interrupt command, bits 31:0 */
    LAPIC_ICR_HI = 0x310,   /* interrupt command, bits 63:32 */
    LAPIC_LVT_TIMER = 0x320,
    LAPIC_LVT_THERMAL = 0x330,
    LAPIC_LVT_PERF = 0x340,
    LAPIC_LVT_LINT0 = 0x350,
    LAPIC_LVT_LINT1 = 0x360,
    LAPIC_LVT_ERROR = 0x370,
    LAPIC_TIMER_ICR = 0x380,    /* initial count */
    LAPIC_TIMER_CCR = 0x390,    /* current count (read only) */
    LAPIC_TIMER_DCR = 0x3e0,    /* divide configuration */
};

/* The LVT entries, in the order of the state's lvt[] array. */
enum lapic_lvt {
    LVT_CMCI, LVT_TIMER, LVT_THERMAL, LVT_PERF, LVT_LINT0, LVT_LINT1, LVT_ERROR,
    LAPIC_LVT_COUNT
};

/* SVR */
#define LAPIC_SVR_ENABLE (1u << 8)      /* APIC software enable */
#define LAPIC_SVR_FOCUS_DISABLE (1u << 9)
/* LVT fields (SDM Figure 11-8) */
#define LAPIC_LVT_VECTOR 0xffu
#define LAPIC_LVT_DM_SHIFT 8
#define LAPIC_LVT_DELIVS (1u << 12)
#define LAPIC_LVT_POLARITY (1u << 13)   /* LINT0/1: 1 active low */
#define LAPIC_LVT_REMOTE_IRR (1u << 14) /* LINT0/1, read only */
#define LAPIC_LVT_LEVEL (1u << 15)      /* LINT0/1 trigger mode */
#define LAPIC_LVT_MASKED (1u << 16)
#define LAPIC_TIMER_MODE_SHIFT 17
enum lapic_timer_mode {
    LAPIC_TIMER_ONESHOT = 0, LAPIC_TIMER_PERIODIC = 1, LAPIC_TIMER_TSC_DEADLINE = 2,
};
/* ICR fields (SDM Figure 11-12) */
#define LAPIC_ICR_DEST_LOGICAL (1u << 11)
#define LAPIC_ICR_DELIVS (1u << 12)
#define LAPIC_ICR_LEVEL_ASSERT (1u << 14)
#define LAPIC_ICR_TRIGGER_LEVEL (1u << 15)
#define LAPIC_ICR_SHORTHAND_SHIFT 18
/* ESR bits (SDM Figure 11-9) */
#define LAPIC_ESR_SEND_CS 0x01
#define LAPIC_ESR_RECV_CS 0x02
#define LAPIC_ESR_SEND_ACCEPT 0x04
#define LAPIC_ESR_RECV_ACCEPT 0x08
#define LAPIC_ESR_REDIR_IPI 0x10
#define LAPIC_ESR_SEND_ILLEGAL_VECTOR 0x20
#define LAPIC_ESR_RECV_ILLEGAL_VECTOR 0x40
#define LAPIC_ESR_ILLEGAL_REG 0x80

/* What the LAPIC asks of its vCPU.  All may be NULL. */
struct lapic_cpu_ops {
    void (*kick)(void *opaque);     /* something may be pending: flag/wake the vCPU */
    void (*nmi)(void *opaque);      /* deliver an NMI */
    void (*init)(void *opaque);     /* INIT: reset the CPU (x86 INIT state); an
                                       AP then stays halted until sipi (the LAPIC
                                       has set wait_for_sipi; the BSP restarts) */
    void (*sipi)(void *opaque, int vector); /* start at vector << 12 (CS = vector << 8, IP = 0) */
    uint64_t (*read_tsc)(void *opaque);     /* the vCPU's guest TSC now;
                                               NULL: derived from the vclock */
};

struct lapic {
    /* Wiring, not state. */
    struct vclock *clock;
    struct apic_bus *bus;
    int bus_index;
    const struct lapic_cpu_ops *ops;
    void *opaque;
    uint64_t tsc_hz;
    struct vtimer timer;
    char timer_name[16];

    /* State: the registers. */
    uint64_t apic_base;     /* IA32_APIC_BASE as last set */
    uint32_t id;            /* ID register: APIC ID in bits 31:24 */
    uint32_t tpr, ldr, dfr, svr;
    uint32_t esr;           /* what ESR reads (errors up to the last ESR write) */
    uint32_t esr_pending;   /* errors since the last ESR write */
    uint32_t icr_lo, icr_hi;
    uint32_t lvt[LAPIC_LVT_COUNT];
    uint32_t isr[8], tmr[8], irr[8];    /* 256 bits each, as the registers */
    uint32_t timer_initial, timer_divide;
    uint64_t timer_start_ns;    /* vclock when the count was (would be) initial */
    uint64_t timer_deadline_ns; /* when the vtimer fires; meaningful if armed */
    uint8_t timer_armed;
    uint64_t tsc_deadline;      /* IA32_TSC_DEADLINE, 0 = disarmed */
    uint8_t lint_level[2];      /* input level of LINT0, LINT1 */
    uint8_t wait_for_sipi;      /* after INIT: the next SIPI starts the CPU */
};

/* Power-on state (SDM 11.4.7.1).  apic_id goes to ID[31:24]; bsp sets
 * IA32_APIC_BASE.BSP; an AP starts in wait-for-SIPI.  tsc_hz 0 means
 * GLASS_TSC_HZ. */
void lapic_init(struct lapic *l, uint8_t apic_id, bool bsp, struct vclock *clock,
                uint64_t tsc_hz);
void lapic_set_cpu_ops(struct lapic *l, const struct lapic_cpu_ops *ops, void *opaque);
/* Reset to the power-on register state except the APIC ID and
 * IA32_APIC_BASE (what INIT does, SDM 11.4.7.3). */
void lapic_reset(struct lapic *l);
/* What a PC BIOS leaves in the BSP's LAPIC (see the top of this file). */
void lapic_firmware_setup(struct lapic *l);

/* The APIC page, offset 0..0xfff from the base; size 1, 2, 4 or 8.
 * Registers are 32 bits at 16-byte boundaries: narrower reads give the
 * bytes of that register, bytes 4-15 of each slot read 0; writes must be 4
 * (or 8, low half used) bytes at the start of a slot, others are ignored. */
uint64_t lapic_mmio_read(struct lapic *l, uint64_t offset, int size);
void lapic_mmio_write(struct lapic *l, uint64_t offset, int size, uint64_t val);

/* CPU side. */
bool lapic_has_interrupt(const struct lapic *l);
/* Accept the highest pending interrupt: IRR -> ISR; its vector, or the
 * spurious vector when nothing above the PPR is pending any more. */
int lapic_ack(struct lapic *l);
/* A fixed interrupt arrives (from the bus, an LVT): set IRR, TMR. */
void lapic_set_irq(struct lapic *l, int vector, int level_triggered);
/* LINT0 (pin 0) / LINT1 (pin 1) input level; an irq_handler_fn. */
void lapic_lint_irq(void *opaque, int pin, int level);
/* The virtual-wire rule: does the PIC's INTR reach this CPU? */
bool lapic_accepts_pic_intr(const struct lapic *l);

/* MSRs and CR8. */
void lapic_set_apic_base(struct lapic *l, uint64_t val);
uint64_t lapic_apic_base(const struct lapic *l);
void lapic_set_tsc_deadline(struct lapic *l, uint64_t tsc);
uint64_t lapic_get_tsc_deadline(const struct lapic *l);
void lapic_set_tpr(struct lapic *l, uint8_t tpr);
uint8_t lapic_get_tpr(const struct lapic *l);

/* Computed registers, for the debugger and the bus. */
uint8_t lapic_ppr(const struct lapic *l);
uint8_t lapic_apic_id(const struct lapic *l);
/* Globally (IA32_APIC_BASE) and software (SVR) enabled. */
bool lapic_enabled(const struct lapic *l);
uint32_t lapic_timer_current_count(const struct lapic *l);

/* A message from the bus for this LAPIC.  Returns 1 when it was accepted. */
int lapic_deliver(struct lapic *l, const struct apic_msg *msg);

/* Snapshot (no pointers): size with buf NULL; 0 when len is too small. */
size_t lapic_save(const struct lapic *l, uint8_t *buf, size_t len);
int lapic_load(struct lapic *l, const uint8_t *buf, size_t len);

#endif
