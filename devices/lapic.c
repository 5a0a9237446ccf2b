/* The local APIC, xAPIC mode, register by register as in Intel SDM Vol. 3,
 * ch. 11 (section numbers below are those of ch. 11; ch. 12 in editions
 * from 2023 on). */
#include "devices/lapic.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "devices/device_state.h"

/* IA32_APIC_BASE bits (SDM 11.4.4, Figure 11-5). */
#define APIC_BASE_BSP (1ull << 8)
#define APIC_BASE_ENABLE (1ull << 11)

/* Writable bits of each LVT entry (SDM Figure 11-8): delivery status and
 * remote IRR are read only; only LINT0/1 have polarity and trigger mode;
 * only the timer has a mode; timer and error have no delivery mode. */
static const uint32_t lvt_writable[LAPIC_LVT_COUNT] = {
    [LVT_CMCI] = 0x107ff,
    [LVT_TIMER] = 0x700ff,
    [LVT_THERMAL] = 0x107ff,
    [LVT_PERF] = 0x107ff,
    [LVT_LINT0] = 0x1a7ff,
    [LVT_LINT1] = 0x1a7ff,
    [LVT_ERROR] = 0x100ff,
};

/* ICR bits 31:0 that software can set (SDM Figure 11-12). */
#define ICR_LO_WRITABLE 0x000ccfffu

/* --- 256-bit vector registers (IRR, ISR, TMR) --- */

static bool vec_test(const uint32_t *r, int v) { return (r[v >> 5] >> (v & 31)) & 1; }
static void vec_set(uint32_t *r, int v) { r[v >> 5] |= 1u << (v & 31); }
static void vec_clear(uint32_t *r, int v) { r[v >> 5] &= ~(1u << (v & 31)); }

/* The highest vector set, or -1. */
static int vec_highest(const uint32_t *r)
{
    for (int i = 7; i >= 0; i--)
        if (r[i])
            return i * 32 + 31 - __builtin_clz(r[i]);
    return -1;
}

static bool hw_enabled(const struct lapic *l) { return (l->apic_base & APIC_BASE_ENABLE) != 0; }
static bool sw_enabled(const struct lapic *l) { return (l->svr & LAPIC_SVR_ENABLE) != 0; }

bool lapic_enabled(const struct lapic *l)
{
    return hw_enabled(l) && sw_enabled(l);
}

uint8_t lapic_apic_id(const struct lapic *l)
{
    return (uint8_t)(l->id >> 24);
}

static void kick(struct lapic *l)
{
    if (l->ops && l->ops->kick)
        l->ops->kick(l->opaque);
}

/* --- priorities (SDM 11.8.3.1 "Task and Processor Priorities") --- */

/* PPR: the TPR if its class is at least that of the highest in-service
 * vector, else that vector's class with sub-class 0. */
uint8_t lapic_ppr(const struct lapic *l)
{
    int isrv = vec_highest(l->isr);
    uint8_t isr_class = isrv < 0 ? 0 : (uint8_t)(isrv & 0xf0);
    uint8_t tpr = (uint8_t)l->tpr;
    return (tpr & 0xf0) >= isr_class ? tpr : isr_class;
}

/* APR (SDM 11.6.2.4, P6 family): the TPR when its class is at least the
 * highest requested and above the highest in service, else the highest of
 * the three classes. */
static uint8_t apr(const struct lapic *l)
{
    int isrv = vec_highest(l->isr), irrv = vec_highest(l->irr);
    uint8_t tc = l->tpr & 0xf0;
    uint8_t ic = isrv < 0 ? 0 : (uint8_t)(isrv & 0xf0);
    uint8_t rc = irrv < 0 ? 0 : (uint8_t)(irrv & 0xf0);
    if (tc >= rc && tc > ic)
        return (uint8_t)l->tpr;
    uint8_t m = tc > ic ? tc : ic;
    return m > rc ? m : rc;
}

/* --- errors (SDM 11.5.3 "Error Handling") --- */

static void lvt_deliver(struct lapic *l, int lvt);

/* Log an error; when it is new and the error LVT is unmasked, interrupt.
 * (An error caused by the error LVT itself is then already logged, so this
 * does not recurse.) */
static void error(struct lapic *l, uint32_t bits)
{
    if ((l->esr_pending & bits) == bits)
        return;
    l->esr_pending |= bits;
    lvt_deliver(l, LVT_ERROR);
}

/* --- interrupt acceptance (SDM 11.8.3, 11.8.4) --- */

void lapic_set_irq(struct lapic *l, int vector, int level_triggered)
{
    if (vector < 16 || vector > 255) {
        /* Vectors 0-15 are reserved (SDM 11.5.2): "received illegal vector". */
        error(l, LAPIC_ESR_RECV_ILLEGAL_VECTOR);
        return;
    }
    vec_set(l->irr, vector);
    if (level_triggered)
        vec_set(l->tmr, vector);
    else
        vec_clear(l->tmr, vector);
    kick(l);
}

bool lapic_has_interrupt(const struct lapic *l)
{
    if (!lapic_enabled(l))
        return false;
    int irrv = vec_highest(l->irr);
    return irrv >= 0 && (irrv & 0xf0) > (lapic_ppr(l) & 0xf0);
}

/* INTA: the highest IRR vector moves to ISR.  If it no longer beats the
 * PPR (the TPR was raised in between) the CPU gets the spurious vector,
 * which sets no ISR bit (SDM 11.9 "Spurious Interrupt"). */
int lapic_ack(struct lapic *l)
{
    int irrv = vec_highest(l->irr);
    if (!lapic_enabled(l) || irrv < 0 || (irrv & 0xf0) <= (lapic_ppr(l) & 0xf0))
        return l->svr & 0xff;
    vec_clear(l->irr, irrv);
    vec_set(l->isr, irrv);
    return irrv;
}

/* --- the local vector table (SDM 11.5.1) --- */

static int lvt_delivery_mode(uint32_t e) { return (e >> LAPIC_LVT_DM_SHIFT) & 7; }

static int timer_mode(const struct lapic *l)
{
    int m = (l->lvt[LVT_TIMER] >> LAPIC_TIMER_MODE_SHIFT) & 3;
    return m == 3 ? LAPIC_TIMER_ONESHOT : m;    /* 11b is reserved */
}

static void do_init(struct lapic *l);

/* A local interrupt source fires through its LVT entry. */
static void lvt_deliver(struct lapic *l, int lvt)
{
    uint32_t e = l->lvt[lvt];
    if ((e & LAPIC_LVT_MASKED) || !hw_enabled(l))
        return;
    bool lint = lvt == LVT_LINT0 || lvt == LVT_LINT1;
    int dm = (lvt == LVT_TIMER || lvt == LVT_ERROR) ? APIC_DM_FIXED : lvt_delivery_mode(e);
    switch (dm) {
    case APIC_DM_FIXED:
        lapic_set_irq(l, e & LAPIC_LVT_VECTOR, lint && (e & LAPIC_LVT_LEVEL));
        break;
    case APIC_DM_NMI:
        if (l->ops && l->ops->nmi)
            l->ops->nmi(l->opaque);
        break;
    case APIC_DM_INIT:
        do_init(l);
        break;
    case APIC_DM_EXTINT:
        /* The PIC's INTR: the board asks lapic_accepts_pic_intr. */
        kick(l);
        break;
    default:    /* SMI: not modelled; 001b, 011b, 110b: reserved */
        break;
    }
}

/* LINT0/LINT1.  The irq line carries the asserted state (1 = asserted),
 * so the polarity bit is kept for the guest to read but not applied.
 * Level-triggered fixed interrupts set the entry's remote IRR when
 * accepted; the EOI of that vector clears it (SDM 11.5.1, "Remote IRR"). */
static void lint_update(struct lapic *l, int pin, bool rising)
{
    int lvt = pin ? LVT_LINT1 : LVT_LINT0;
    uint32_t e = l->lvt[lvt];
    if (e & LAPIC_LVT_MASKED)
        return;
    if (lvt_delivery_mode(e) == APIC_DM_FIXED && (e & LAPIC_LVT_LEVEL)) {
        if (l->lint_level[pin] && !(e & LAPIC_LVT_REMOTE_IRR)) {
            l->lvt[lvt] |= LAPIC_LVT_REMOTE_IRR;
            lvt_deliver(l, lvt);
        }
    } else if (rising) {
        lvt_deliver(l, lvt);
    }
}

void lapic_lint_irq(void *opaque, int pin, int level)
{
    struct lapic *l = opaque;
    if (pin < 0 || pin > 1)
        return;
    bool rising = level && !l->lint_level[pin];
    l->lint_level[pin] = level != 0;
    lint_update(l, pin, rising);
}

bool lapic_accepts_pic_intr(const struct lapic *l)
{
    if (!hw_enabled(l))
        return true;    /* no APIC: INTR is the CPU's pin (SDM 11.4.3) */
    uint32_t e = l->lvt[LVT_LINT0];
    return !(e & LAPIC_LVT_MASKED) && lvt_delivery_mode(e) == APIC_DM_EXTINT;
}

/* --- EOI (SDM 11.8.5 "Signaling Interrupt Servicing Completion") --- */

static void eoi(struct lapic *l)
{
    int v = vec_highest(l->isr);
    if (v < 0)
        return;
    vec_clear(l->isr, v);
    /* Level-triggered: the EOI goes to the IOAPICs, which clear remote
     * IRR (no EOI-broadcast suppression in this version). */
    if (vec_test(l->tmr, v) && l->bus)
        apic_bus_eoi(l->bus, v);
    for (int pin = 0; pin < 2; pin++) {
        uint32_t *e = &l->lvt[pin ? LVT_LINT1 : LVT_LINT0];
        if ((*e & LAPIC_LVT_REMOTE_IRR) && (int)(*e & LAPIC_LVT_VECTOR) == v) {
            *e &= ~LAPIC_LVT_REMOTE_IRR;
            lint_update(l, pin, false);     /* still asserted: again */
        }
    }
    kick(l);
}

/* --- the timer (SDM 11.5.4) --- */

static uint32_t divide_value(const struct lapic *l)
{
    /* DCR bits 3, 1:0: 000b = 2, 001b = 4, ... 110b = 128, 111b = 1. */
    uint32_t code = ((l->timer_divide >> 1) & 4) | (l->timer_divide & 3);
    return code == 7 ? 1 : 2u << code;
}

/* Nanoseconds for `counts` timer counts at the current divider. */
static uint64_t counts_to_ns(const struct lapic *l, uint64_t counts)
{
    unsigned __int128 ns = (unsigned __int128)counts * divide_value(l) * 1000000000ull;
    ns /= LAPIC_TIMER_HZ;
    return ns > UINT64_MAX / 2 ? UINT64_MAX / 2 : (uint64_t)ns;
}

static uint64_t ns_to_counts(const struct lapic *l, uint64_t ns)
{
    unsigned __int128 c = (unsigned __int128)ns * LAPIC_TIMER_HZ;
    c /= (unsigned __int128)divide_value(l) * 1000000000ull;
    return (uint64_t)c;
}

static void timer_arm(struct lapic *l, uint64_t deadline_ns)
{
    l->timer_deadline_ns = deadline_ns;
    l->timer_armed = 1;
    if (l->clock)
        vtimer_arm(l->clock, &l->timer, deadline_ns);
}

static void timer_disarm(struct lapic *l)
{
    l->timer_armed = 0;
    if (l->clock)
        vtimer_cancel(l->clock, &l->timer);
}

static uint64_t now_ns(const struct lapic *l)
{
    return l->clock ? vclock_now(l->clock) : 0;
}

uint32_t lapic_timer_current_count(const struct lapic *l)
{
    if (timer_mode(l) == LAPIC_TIMER_TSC_DEADLINE || !l->timer_armed || !l->timer_initial)
        return 0;
    uint64_t now = now_ns(l);
    uint64_t elapsed = now > l->timer_start_ns ? ns_to_counts(l, now - l->timer_start_ns) : 0;
    if (timer_mode(l) == LAPIC_TIMER_PERIODIC)
        return l->timer_initial - (uint32_t)(elapsed % l->timer_initial);
    return elapsed >= l->timer_initial ? 0 : l->timer_initial - (uint32_t)elapsed;
}

/* A write of the initial count starts counting down from it (0 stops). */
static void timer_start(struct lapic *l)
{
    timer_disarm(l);
    if (!l->timer_initial)
        return;
    l->timer_start_ns = now_ns(l);
    timer_arm(l, l->timer_start_ns + counts_to_ns(l, l->timer_initial));
}

static void timer_fire(void *opaque)
{
    struct lapic *l = opaque;
    l->timer_armed = 0;
    switch (timer_mode(l)) {
    case LAPIC_TIMER_TSC_DEADLINE:
        l->tsc_deadline = 0;    /* SDM 11.5.4.1: the MSR reads 0 once it fired */
        break;
    case LAPIC_TIMER_PERIODIC:
        if (l->timer_initial) {
            /* Start the next period; periods missed while glass was not
             * running are skipped (one interrupt, not a burst). */
            uint64_t period = counts_to_ns(l, l->timer_initial);
            if (period == 0)
                period = 1;
            uint64_t now = now_ns(l);
            if (now > l->timer_start_ns)
                l->timer_start_ns += (now - l->timer_start_ns) / period * period;
            timer_arm(l, l->timer_start_ns + period);
        }
        break;
    default:
        break;
    }
    lvt_deliver(l, LVT_TIMER);
}

/* A new divider while counting: the count goes on from where it is, at the
 * new rate. */
static void write_divide(struct lapic *l, uint32_t val)
{
    uint32_t current = lapic_timer_current_count(l);
    bool counting = l->timer_armed && timer_mode(l) != LAPIC_TIMER_TSC_DEADLINE;
    l->timer_divide = val & 0xb;
    if (!counting)
        return;
    uint64_t now = now_ns(l), done = counts_to_ns(l, l->timer_initial - current);
    l->timer_start_ns = now > done ? now - done : 0;
    timer_arm(l, l->timer_start_ns + counts_to_ns(l, l->timer_initial));
}

static uint64_t guest_tsc(const struct lapic *l)
{
    if (l->ops && l->ops->read_tsc)
        return l->ops->read_tsc(l->opaque);
    return (uint64_t)((unsigned __int128)now_ns(l) * l->tsc_hz / 1000000000ull);
}

/* IA32_TSC_DEADLINE (SDM 11.5.4.1): ignored outside TSC-deadline mode; 0
 * disarms; a deadline already past fires at once. */
void lapic_set_tsc_deadline(struct lapic *l, uint64_t tsc)
{
    if (timer_mode(l) != LAPIC_TIMER_TSC_DEADLINE)
        return;
    timer_disarm(l);
    l->tsc_deadline = tsc;
    if (!tsc)
        return;
    uint64_t now = now_ns(l), tsc_now = guest_tsc(l);
    uint64_t delta = 0;
    if (tsc > tsc_now) {
        unsigned __int128 d = ((unsigned __int128)(tsc - tsc_now) * 1000000000ull
                               + l->tsc_hz - 1) / l->tsc_hz;
        delta = d > UINT64_MAX / 2 ? UINT64_MAX / 2 : (uint64_t)d;
    }
    timer_arm(l, now + delta);
}

uint64_t lapic_get_tsc_deadline(const struct lapic *l)
{
    return timer_mode(l) == LAPIC_TIMER_TSC_DEADLINE ? l->tsc_deadline : 0;
}

/* --- register writes with side effects --- */

static void write_lvt(struct lapic *l, int lvt, uint32_t val)
{
    uint32_t old = l->lvt[lvt];
    uint32_t e = val & lvt_writable[lvt];
    /* Software-disabled: the mask bits stay set (SDM 11.4.7.2). */
    if (!sw_enabled(l))
        e |= LAPIC_LVT_MASKED;
    if ((lvt == LVT_LINT0 || lvt == LVT_LINT1) && (e & LAPIC_LVT_LEVEL))
        e |= old & LAPIC_LVT_REMOTE_IRR;
    l->lvt[lvt] = e;

    if (lvt == LVT_TIMER) {
        /* Moving into or out of TSC-deadline mode disarms the timer
         * (SDM 11.5.4.1). */
        bool was_deadline = ((old >> LAPIC_TIMER_MODE_SHIFT) & 3) == LAPIC_TIMER_TSC_DEADLINE;
        if (was_deadline != (timer_mode(l) == LAPIC_TIMER_TSC_DEADLINE)) {
            timer_disarm(l);
            l->timer_initial = 0;
            l->tsc_deadline = 0;
        }
    } else if (lvt == LVT_LINT0 || lvt == LVT_LINT1) {
        lint_update(l, lvt == LVT_LINT1, false);
        kick(l);    /* LINT0 ExtINT may have changed the virtual wire */
    }
}

static void write_svr(struct lapic *l, uint32_t val)
{
    /* Bits 7:0 vector, 8 enable, 9 focus processor checking; bit 12 (EOI
     * broadcast suppression) is reserved: version bit 24 is clear. */
    l->svr = val & 0x3ff;
    if (!sw_enabled(l))
        for (int i = 0; i < LAPIC_LVT_COUNT; i++)
            l->lvt[i] |= LAPIC_LVT_MASKED;
    kick(l);
}

/* ICR bits 31:0 written: send the IPI (SDM 11.6.1). */
static void send_ipi(struct lapic *l)
{
    uint32_t lo = l->icr_lo;
    struct apic_msg msg = {
        .dest = (uint8_t)(l->icr_hi >> 24),
        .dest_logical = (lo & LAPIC_ICR_DEST_LOGICAL) != 0,
        .delivery_mode = (lo >> 8) & 7,
        .vector = lo & 0xff,
        .level_triggered = (lo & LAPIC_ICR_TRIGGER_LEVEL) != 0,
        .level = (lo & LAPIC_ICR_LEVEL_ASSERT) != 0,
        .shorthand = (lo >> LAPIC_ICR_SHORTHAND_SHIFT) & 3,
        .source = (int8_t)l->bus_index,
    };
    switch (msg.delivery_mode) {
    case APIC_DM_FIXED:
    case APIC_DM_LOWEST:
        if (msg.vector < 16) {
            error(l, LAPIC_ESR_SEND_ILLEGAL_VECTOR);
            return;
        }
        break;
    case APIC_DM_NMI:
    case APIC_DM_INIT:
    case APIC_DM_STARTUP:
        msg.level_triggered = msg.delivery_mode == APIC_DM_INIT && msg.level_triggered;
        break;
    default:    /* SMI: not modelled; 011b, 111b: reserved for IPIs */
        return;
    }
    if (l->bus) {
        apic_bus_deliver(l->bus, &msg);
    } else if (msg.shorthand == APIC_SH_SELF || msg.shorthand == APIC_SH_ALL ||
               (msg.shorthand == APIC_SH_NONE && apic_bus_match(l, msg.dest, msg.dest_logical))) {
        lapic_deliver(l, &msg); /* alone, not on a bus: only self is there */
    }
}

/* --- delivery of a bus message to this LAPIC --- */

int lapic_deliver(struct lapic *l, const struct apic_msg *msg)
{
    if (!hw_enabled(l))
        return 0;
    switch (msg->delivery_mode) {
    case APIC_DM_FIXED:
    case APIC_DM_LOWEST:
        /* A software-disabled LAPIC takes only NMI, INIT, SIPI (and SMI)
         * (SDM 11.4.7.2). */
        if (!sw_enabled(l))
            return 0;
        lapic_set_irq(l, msg->vector, msg->level_triggered);
        return 1;
    case APIC_DM_NMI:
        if (l->ops && l->ops->nmi)
            l->ops->nmi(l->opaque);
        return 1;
    case APIC_DM_INIT:
        /* INIT level de-assert (level 0, trigger level) only synchronises
         * arbitration IDs on P6; nothing to do (SDM 11.6.1). */
        if (!msg->level && msg->level_triggered)
            return 1;
        do_init(l);
        return 1;
    case APIC_DM_STARTUP:
        /* Only a CPU in wait-for-SIPI starts; a second SIPI is ignored
         * (SDM 8.4.4.1 / 9.4.4.1, the MP initialization protocol). */
        if (l->wait_for_sipi) {
            l->wait_for_sipi = 0;
            if (l->ops && l->ops->sipi)
                l->ops->sipi(l->opaque, msg->vector);
        }
        return 1;
    default:    /* SMI, ExtINT: not modelled */
        return 0;
    }
}

/* --- reset, INIT, the MSR --- */

void lapic_reset(struct lapic *l)
{
    timer_disarm(l);
    l->tpr = 0;
    l->ldr = 0;
    l->dfr = 0xffffffffu;
    l->svr = 0xff;
    l->esr = l->esr_pending = 0;
    l->icr_lo = l->icr_hi = 0;
    for (int i = 0; i < LAPIC_LVT_COUNT; i++)
        l->lvt[i] = LAPIC_LVT_MASKED;
    memset(l->isr, 0, sizeof(l->isr));
    memset(l->tmr, 0, sizeof(l->tmr));
    memset(l->irr, 0, sizeof(l->irr));
    l->timer_initial = 0;
    l->timer_divide = 0;
    l->timer_start_ns = 0;
    l->timer_deadline_ns = 0;
    l->tsc_deadline = 0;
}

/* INIT (SDM 11.4.7.3): every register to its power-on value except the
 * APIC ID; the BSP restarts at the reset vector, an AP waits for SIPI. */
static void do_init(struct lapic *l)
{
    lapic_reset(l);
    l->wait_for_sipi = !(l->apic_base & APIC_BASE_BSP);
    if (l->ops && l->ops->init)
        l->ops->init(l->opaque);
}

void lapic_init(struct lapic *l, uint8_t apic_id, bool bsp, struct vclock *clock,
                uint64_t tsc_hz)
{
    memset(l, 0, sizeof(*l));
    l->clock = clock;
    l->bus_index = -1;
    l->tsc_hz = tsc_hz ? tsc_hz : GLASS_TSC_HZ;
    snprintf(l->timer_name, sizeof(l->timer_name), "lapic%u", apic_id);
    vtimer_init(&l->timer, l->timer_name, timer_fire, l);
    l->apic_base = LAPIC_DEFAULT_BASE | APIC_BASE_ENABLE | (bsp ? APIC_BASE_BSP : 0);
    l->id = (uint32_t)apic_id << 24;
    lapic_reset(l);
    l->wait_for_sipi = !bsp;
}

void lapic_set_cpu_ops(struct lapic *l, const struct lapic_cpu_ops *ops, void *opaque)
{
    l->ops = ops;
    l->opaque = opaque;
}

void lapic_firmware_setup(struct lapic *l)
{
    write_svr(l, LAPIC_SVR_ENABLE | 0xff);
    write_lvt(l, LVT_LINT0, APIC_DM_EXTINT << LAPIC_LVT_DM_SHIFT);
    write_lvt(l, LVT_LINT1, APIC_DM_NMI << LAPIC_LVT_DM_SHIFT);
}

/* IA32_APIC_BASE (SDM 11.4.4): BSP is read only; clearing the global
 * enable returns the LAPIC to its power-on state (11.4.3).  The base
 * address is kept but not acted on (no relocation). */
void lapic_set_apic_base(struct lapic *l, uint64_t val)
{
    bool was = hw_enabled(l);
    l->apic_base = (val & ~APIC_BASE_BSP) | (l->apic_base & APIC_BASE_BSP);
    if (was && !hw_enabled(l))
        lapic_reset(l);
    kick(l);
}

uint64_t lapic_apic_base(const struct lapic *l)
{
    return l->apic_base;
}

void lapic_set_tpr(struct lapic *l, uint8_t tpr)
{
    l->tpr = tpr;
    kick(l);
}

uint8_t lapic_get_tpr(const struct lapic *l)
{
    return (uint8_t)l->tpr;
}

/* --- the register page (SDM Table 11-1) --- */

static uint32_t reg_read(struct lapic *l, uint32_t reg)
{
    switch (reg) {
    case LAPIC_ID:          return l->id;
    case LAPIC_VER:         return LAPIC_VERSION | (LAPIC_LVT_COUNT - 1) << 16;
    case LAPIC_TPR:         return l->tpr;
    case LAPIC_APR:         return apr(l);
    case LAPIC_PPR:         return lapic_ppr(l);
    case LAPIC_EOI:         return 0;   /* write only */
    case LAPIC_RRD:         return 0;   /* remote read is not supported */
    case LAPIC_LDR:         return l->ldr;
    case LAPIC_DFR:         return l->dfr;
    case LAPIC_SVR:         return l->svr;
    case LAPIC_ISR ... LAPIC_ISR + 0x70: return l->isr[(reg - LAPIC_ISR) >> 4];
    case LAPIC_TMR ... LAPIC_TMR + 0x70: return l->tmr[(reg - LAPIC_TMR) >> 4];
    case LAPIC_IRR ... LAPIC_IRR + 0x70: return l->irr[(reg - LAPIC_IRR) >> 4];
    case LAPIC_ESR:         return l->esr;
    case LAPIC_LVT_CMCI:    return l->lvt[LVT_CMCI];
    case LAPIC_ICR_LO:      return l->icr_lo;   /* delivery status: always idle */
    case LAPIC_ICR_HI:      return l->icr_hi;
    case LAPIC_LVT_TIMER:   return l->lvt[LVT_TIMER];
    case LAPIC_LVT_THERMAL: return l->lvt[LVT_THERMAL];
    case LAPIC_LVT_PERF:    return l->lvt[LVT_PERF];
    case LAPIC_LVT_LINT0:   return l->lvt[LVT_LINT0];
    case LAPIC_LVT_LINT1:   return l->lvt[LVT_LINT1];
    case LAPIC_LVT_ERROR:   return l->lvt[LVT_ERROR];
    case LAPIC_TIMER_ICR:   return l->timer_initial;
    case LAPIC_TIMER_CCR:   return lapic_timer_current_count(l);
    case LAPIC_TIMER_DCR:   return l->timer_divide;
    default:
        error(l, LAPIC_ESR_ILLEGAL_REG);    /* reserved (SDM 11.5.3) */
        return 0;
    }
}

static void reg_write(struct lapic *l, uint32_t reg, uint32_t val)
{
    switch (reg) {
    case LAPIC_ID:          l->id = val & 0xff000000u; break;
    case LAPIC_TPR:         lapic_set_tpr(l, (uint8_t)val); break;
    case LAPIC_EOI:         eoi(l); break;
    case LAPIC_LDR:         l->ldr = val & 0xff000000u; break;
    case LAPIC_DFR:         l->dfr = (val & 0xf0000000u) | 0x0fffffffu; break;
    case LAPIC_SVR:         write_svr(l, val); break;
    case LAPIC_ESR:
        /* Write, then read: the write moves the errors logged since the
         * last write into the register (SDM 11.5.3). */
        l->esr = l->esr_pending;
        l->esr_pending = 0;
        break;
    case LAPIC_LVT_CMCI:    write_lvt(l, LVT_CMCI, val); break;
    case LAPIC_ICR_LO:
        l->icr_lo = val & ICR_LO_WRITABLE;
        send_ipi(l);
        break;
    case LAPIC_ICR_HI:      l->icr_hi = val & 0xff000000u; break;
    case LAPIC_LVT_TIMER:   write_lvt(l, LVT_TIMER, val); break;
    case LAPIC_LVT_THERMAL: write_lvt(l, LVT_THERMAL, val); break;
    case LAPIC_LVT_PERF:    write_lvt(l, LVT_PERF, val); break;
    case LAPIC_LVT_LINT0:   write_lvt(l, LVT_LINT0, val); break;
    case LAPIC_LVT_LINT1:   write_lvt(l, LVT_LINT1, val); break;
    case LAPIC_LVT_ERROR:   write_lvt(l, LVT_ERROR, val); break;
    case LAPIC_TIMER_ICR:
        /* Ignored in TSC-deadline mode (SDM 11.5.4.1). */
        if (timer_mode(l) != LAPIC_TIMER_TSC_DEADLINE) {
            l->timer_initial = val;
            timer_start(l);
        }
        break;
    case LAPIC_TIMER_DCR:   write_divide(l, val); break;
    case LAPIC_VER: case LAPIC_APR: case LAPIC_PPR: case LAPIC_RRD:
    case LAPIC_ISR ... LAPIC_ISR + 0x70:
    case LAPIC_TMR ... LAPIC_TMR + 0x70:
    case LAPIC_IRR ... LAPIC_IRR + 0x70:
    case LAPIC_TIMER_CCR:
        break;  /* read only */
    default:
        error(l, LAPIC_ESR_ILLEGAL_REG);
        break;
    }
}

uint64_t lapic_mmio_read(struct lapic *l, uint64_t offset, int size)
{
    if (size < 1 || size > 8)
        return 0;
    uint64_t ones = size == 8 ? UINT64_MAX : (1ull << (8 * size)) - 1;
    if (!hw_enabled(l))
        return ones;    /* globally disabled: the page is not decoded */
    uint64_t result = 0;
    uint32_t slot = UINT32_MAX, val = 0;
    for (int i = 0; i < size; i++) {
        uint64_t off = (offset + (uint64_t)i) & (LAPIC_MMIO_SIZE - 1);
        if ((off & 0xf) >= 4)
            continue;   /* bytes 4-15 of each 16-byte slot read 0 */
        if ((off & ~0xfull) != slot) {
            slot = (uint32_t)(off & ~0xfull);
            val = reg_read(l, slot);
        }
        result |= (uint64_t)((val >> (8 * (off & 3))) & 0xff) << (8 * i);
    }
    return result;
}

void lapic_mmio_write(struct lapic *l, uint64_t offset, int size, uint64_t val)
{
    /* SDM 11.4.1: 32-bit accesses at 16-byte boundaries; anything else is
     * undefined on hardware and ignored here. */
    if (!hw_enabled(l) || (size != 4 && size != 8) || (offset & 0xf))
        return;
    reg_write(l, (uint32_t)(offset & (LAPIC_MMIO_SIZE - 1)), (uint32_t)val);
}

/* --- snapshot --- */

static const struct dev_state_head lapic_state = {
    .magic = { 'L', 'A' }, .magic_len = 2, .version = 1,
};

enum {
    LAPIC_SAVED_SIZE = 3                    /* magic, version */
        + 8                                 /* apic_base */
        + 9 * 4                             /* id .. icr_hi */
        + LAPIC_LVT_COUNT * 4
        + 3 * 8 * 4                         /* isr, tmr, irr */
        + 2 * 4                             /* timer initial, divide */
        + 3 * 8                             /* timer start, deadline, tsc deadline */
        + 4,                                /* timer armed, lint levels, wait for SIPI */
};

size_t lapic_save(const struct lapic *l, uint8_t *buf, size_t len)
{
    uint8_t *p;
    size_t n = dev_state_save_open(&lapic_state, LAPIC_SAVED_SIZE, buf, len, &p);
    if (!p)
        return n;
    p = dev_state_put(p, l->apic_base, 8);
    const uint32_t regs[9] = { l->id, l->tpr, l->ldr, l->dfr, l->svr, l->esr,
                               l->esr_pending, l->icr_lo, l->icr_hi };
    for (int i = 0; i < 9; i++)
        p = dev_state_put(p, regs[i], 4);
    for (int i = 0; i < LAPIC_LVT_COUNT; i++)
        p = dev_state_put(p, l->lvt[i], 4);
    for (int i = 0; i < 8; i++)
        p = dev_state_put(p, l->isr[i], 4);
    for (int i = 0; i < 8; i++)
        p = dev_state_put(p, l->tmr[i], 4);
    for (int i = 0; i < 8; i++)
        p = dev_state_put(p, l->irr[i], 4);
    p = dev_state_put(p, l->timer_initial, 4);
    p = dev_state_put(p, l->timer_divide, 4);
    p = dev_state_put(p, l->timer_start_ns, 8);
    p = dev_state_put(p, l->timer_deadline_ns, 8);
    p = dev_state_put(p, l->tsc_deadline, 8);
    *p++ = l->timer_armed;
    *p++ = l->lint_level[0];
    *p++ = l->lint_level[1];
    *p++ = l->wait_for_sipi;
    return n;
}

int lapic_load(struct lapic *l, const uint8_t *buf, size_t len)
{
    if (!dev_state_load_ok(&lapic_state, LAPIC_SAVED_SIZE, buf, len))
        return -EINVAL;
    const uint8_t *p = buf + 3;
    timer_disarm(l);
    uint64_t base = dev_state_get(&p, 8);
    l->apic_base = (base & ~APIC_BASE_BSP) | (l->apic_base & APIC_BASE_BSP);
    l->id = dev_state_get(&p, 4) & 0xff000000u;
    l->tpr = dev_state_get(&p, 4) & 0xff;
    l->ldr = dev_state_get(&p, 4) & 0xff000000u;
    l->dfr = (dev_state_get(&p, 4) & 0xf0000000u) | 0x0fffffffu;
    l->svr = dev_state_get(&p, 4) & 0x3ff;
    l->esr = dev_state_get(&p, 4) & 0xff;
    l->esr_pending = dev_state_get(&p, 4) & 0xff;
    l->icr_lo = dev_state_get(&p, 4) & ICR_LO_WRITABLE;
    l->icr_hi = dev_state_get(&p, 4) & 0xff000000u;
    for (int i = 0; i < LAPIC_LVT_COUNT; i++) {
        uint32_t keep = (i == LVT_LINT0 || i == LVT_LINT1) ? LAPIC_LVT_REMOTE_IRR : 0;
        l->lvt[i] = dev_state_get(&p, 4) & (lvt_writable[i] | keep);
    }
    for (int i = 0; i < 8; i++)
        l->isr[i] = dev_state_get(&p, 4);
    for (int i = 0; i < 8; i++)
        l->tmr[i] = dev_state_get(&p, 4);
    for (int i = 0; i < 8; i++)
        l->irr[i] = dev_state_get(&p, 4);
    l->timer_initial = dev_state_get(&p, 4);
    l->timer_divide = dev_state_get(&p, 4) & 0xb;
    l->timer_start_ns = dev_state_get(&p, 8);
    l->timer_deadline_ns = dev_state_get(&p, 8);
    l->tsc_deadline = dev_state_get(&p, 8);
    bool armed = *p++ != 0;
    l->lint_level[0] = *p++ != 0;
    l->lint_level[1] = *p++ != 0;
    l->wait_for_sipi = *p++ != 0;
    if (armed)
        timer_arm(l, l->timer_deadline_ns);
    kick(l);
    return 0;
}
