/* The 8254 PIT, counter by counter as in the Intel 8254 datasheet (231164). */
#include "devices/pit8254.h"

#include <errno.h>
#include <stdbool.h>
#include <string.h>

#include "devices/device_state.h"
#include "devices/iobus.h"

#define NEVER UINT64_MAX

/* --- time: CLK pulses of the vclock --- */

static uint64_t ns_to_tick(uint64_t ns)
{
    return (uint64_t)((unsigned __int128)ns * PIT_HZ / 1000000000u);
}

/* The first nanosecond at which CLK `tick` has happened. */
static uint64_t tick_to_ns(uint64_t tick)
{
    return (uint64_t)(((unsigned __int128)tick * 1000000000u + PIT_HZ - 1) / PIT_HZ);
}

static uint64_t now_tick(const struct pit *p)
{
    return ns_to_tick(vclock_now(p->clock)) + p->tick_offset;
}

/* --- counting element --- */

/* The counter wraps at 2^16 in binary, 10^4 in BCD. */
static uint32_t modulus(const struct pit_channel *c)
{
    return c->bcd ? 10000 : 65536;
}

/* The count register as a number of CLKs: 0 is the maximum (datasheet
 * "Write Operations": 0 means 2^16 binary, 10^4 BCD).  A BCD digit above 9
 * (the guest's mistake) weighs what its place says. */
static uint32_t count_clks(const struct pit_channel *c)
{
    uint32_t m = modulus(c), n = c->cr;
    if (c->bcd)
        n = ((n >> 12) & 15) * 1000 + ((n >> 8) & 15) * 100 + ((n >> 4) & 15) * 10 + (n & 15);
    n %= m;
    return n ? n : m;
}

static uint16_t to_bcd(uint32_t v)
{
    v %= 10000;
    return (uint16_t)((v / 1000) << 12 | (v / 100 % 10) << 8 | (v / 10 % 10) << 4 | v % 10);
}

static bool gate_pauses(int mode)
{
    return mode == 0 || mode == 4;  /* GATE low suspends counting */
}

/* CLKs counted since the CE was loaded. */
static uint64_t elapsed(const struct pit_channel *c, uint64_t tick)
{
    return c->state == PIT_COUNTING ? tick - c->t0 : c->frozen;
}

/* Whether count and OUT follow from n and the elapsed CLKs. */
static bool ce_running(const struct pit_channel *c)
{
    return c->state == PIT_COUNTING ||
           (c->state == PIT_WAIT_GATE && gate_pauses(c->mode));
}

/* The counting element's value, binary, 0..modulus-1. */
static uint32_t ce_value(const struct pit_channel *c, uint64_t tick)
{
    if (!ce_running(c))
        return c->hold;
    uint32_t m = modulus(c), n = c->n;
    uint64_t e = elapsed(c, tick);
    switch (c->mode) {
    case 2:         /* N, N-1, ... 1, reload */
        return (uint32_t)(n - e % n) % m;
    case 3: {       /* by twos through each half of the period */
        uint32_t high = (n + 1) / 2, phase = (uint32_t)(e % n);
        uint32_t q = phase < high ? phase : phase - high;
        return (n - 2 * q) % m;
    }
    default:        /* modes 0, 1, 4, 5: down through 0 and on, wrapping */
        return (uint32_t)((n + m - e % m) % m);
    }
}

/* OUT (datasheet "Mode Definitions"). */
static int out_at(const struct pit_channel *c, uint64_t tick)
{
    if (c->state == PIT_NO_COUNT)
        return c->mode != 0;        /* mode 0: low after the control word */
    if (!ce_running(c))
        return 1;   /* 1, 5 before the trigger; 2, 3 with GATE low: high */
    uint64_t e = elapsed(c, tick), n = c->n;
    switch (c->mode) {
    case 0:         /* interrupt on terminal count: high at 0, stays */
    case 1:         /* one-shot: low from the trigger to terminal count */
        return e >= n;
    case 2:         /* rate generator: low for one CLK when the count is 1 */
        return n < 2 || e % n != n - 1;
    case 3:         /* square wave: high for ceil(N/2), low for floor(N/2) */
        return n < 2 || e % n < (n + 1) / 2;
    default:        /* 4, 5: strobe, low for one CLK at terminal count */
        return e != n;
    }
}

/* The first CLK after tick at which OUT changes (or a pending reload
 * happens), or NEVER. */
static uint64_t next_event(const struct pit_channel *c, uint64_t tick)
{
    uint64_t next = NEVER;
    if (c->state == PIT_COUNTING) {
        uint64_t e = tick - c->t0, n = c->n;
        switch (c->mode) {
        case 0: case 1:
            if (e < n)
                next = c->t0 + n;
            break;
        case 2:
            if (n >= 2)
                next = e % n < n - 1 ? tick + (n - 1 - e % n) : tick + 1;
            break;
        case 3:
            if (n >= 2) {
                uint64_t high = (n + 1) / 2, phase = e % n;
                next = phase < high ? tick + (high - phase) : tick + (n - phase);
            }
            break;
        default:
            if (e < n)
                next = c->t0 + n;
            else if (e == n)
                next = c->t0 + n + 1;
            break;
        }
    }
    if (c->reload_pending && c->reload_tick > tick && c->reload_tick < next)
        next = c->reload_tick;
    return next;
}

/* Rising edges of OUT at CLKs in (a, b]. */
static uint64_t rising_edges(const struct pit_channel *c, uint64_t a, uint64_t b)
{
    if (c->state != PIT_COUNTING || (int64_t)(b - a) <= 0)
        return 0;
    int64_t sa = (int64_t)(a - c->t0), sb = (int64_t)(b - c->t0);
    if (sb <= 0)
        return 0;
    uint64_t ea = sa < 0 ? 0 : (uint64_t)sa, eb = (uint64_t)sb, n = c->n;
    switch (c->mode) {
    case 0: case 1:
        return ea < n && n <= eb;
    case 2: case 3:             /* OUT rises at each period's end */
        return n < 2 ? 0 : eb / n - ea / n;
    default:
        return ea < n + 1 && n + 1 <= eb;
    }
}

/* --- IRQ0 --- */

/* Deliver counter 0's rising edges up to tick (at most one: a late timer
 * coalesces what it missed), then leave the line at OUT's level. */
static void irq0_catch_up(struct pit *p, uint64_t tick)
{
    const struct pit_channel *c = &p->ch[0];
    uint64_t edges = rising_edges(c, p->irq0_tick, tick);
    if ((int64_t)(tick - p->irq0_tick) > 0)
        p->irq0_tick = tick;
    if (edges) {
        if (p->irq0_level)
            irq_lower(&p->irq0);
        irq_raise(&p->irq0);
        p->irq0_level = 1;
        p->irq0_raises++;
        p->irq0_coalesced += edges - 1;
    }
    int out = out_at(c, tick);
    if (out != p->irq0_level) {
        p->irq0_level = (uint8_t)out;
        irq_set_level(&p->irq0, out);
        if (out)
            p->irq0_raises++;
    }
}

static void irq0_rearm(struct pit *p, uint64_t tick)
{
    uint64_t next = next_event(&p->ch[0], tick);
    if (next == NEVER)
        vtimer_cancel(p->clock, &p->timer);
    else
        vtimer_arm(p->clock, &p->timer, tick_to_ns(next - p->tick_offset));
}

/* Bring counter i up to tick: a mode 2/3 reload whose period ended happens
 * (and IRQ0 edges before it are delivered under the old count). */
static void channel_sync(struct pit *p, int i, uint64_t tick)
{
    struct pit_channel *c = &p->ch[i];
    if (c->reload_pending && (int64_t)(tick - c->reload_tick) >= 0) {
        if (i == 0)
            irq0_catch_up(p, c->reload_tick);
        c->t0 = c->reload_tick;
        c->n = c->next_n;
        c->reload_pending = 0;
        c->null_count = 0;
    }
    if (i == 0)
        irq0_catch_up(p, tick);
}

/* After a change to counter i: IRQ0 follows OUT0 and its timer moves. */
static void channel_changed(struct pit *p, int i, uint64_t tick)
{
    if (i != 0)
        return;
    irq0_catch_up(p, tick);
    irq0_rearm(p, tick);
}

static void pit_timer_fire(void *opaque)
{
    struct pit *p = opaque;
    uint64_t tick = now_tick(p);
    channel_sync(p, 0, tick);
    irq0_rearm(p, tick);
}

/* --- writing a count: when CR goes to CE, per mode --- */

static void load_count(struct pit_channel *c, uint64_t tick)
{
    uint32_t n = count_clks(c);
    c->has_count = 1;
    c->null_count = 1;
    switch (c->mode) {
    case 0: case 4:
        /* Loaded at once; counting runs while GATE is high.  Rewriting the
         * count restarts the counter (mode 0: OUT low again). */
        c->n = n;
        c->null_count = 0;
        c->frozen = 0;
        c->reload_pending = 0;
        if (c->gate) {
            c->state = PIT_COUNTING;
            c->t0 = tick;
        } else {
            c->state = PIT_WAIT_GATE;
        }
        break;
    case 1: case 5:
        /* Waits for a GATE rising edge; a running one-shot goes on. */
        if (c->state == PIT_NO_COUNT)
            c->state = PIT_WAIT_GATE;
        break;
    case 2: case 3:
        if (c->state == PIT_COUNTING) {
            /* The current period ends first (datasheet mode 2: "the new
             * count will be loaded at the end of the current period"). */
            uint64_t e = tick - c->t0;
            c->reload_tick = c->t0 + (e / c->n + 1) * c->n;
            c->next_n = n;
            c->reload_pending = 1;
        } else if (c->gate) {
            c->state = PIT_COUNTING;
            c->t0 = tick;
            c->n = n;
            c->null_count = 0;
        } else {
            c->state = PIT_WAIT_GATE;
        }
        break;
    }
}

static void write_count(struct pit *p, int i, uint8_t val)
{
    struct pit_channel *c = &p->ch[i];
    uint64_t tick = now_tick(p);
    channel_sync(p, i, tick);
    switch (c->rw) {
    case PIT_RW_LSB:
        c->cr = val;
        load_count(c, tick);
        break;
    case PIT_RW_MSB:
        c->cr = (uint16_t)(val << 8);
        load_count(c, tick);
        break;
    default:
        if (!c->write_msb) {
            c->cr = (uint16_t)((c->cr & 0xff00) | val);
            c->write_msb = 1;
            /* Mode 0: writing the first byte stops the count and sets OUT
             * low at once (datasheet mode 0). */
            if (c->mode == 0) {
                c->hold = (uint16_t)ce_value(c, tick);
                c->state = PIT_NO_COUNT;
                c->reload_pending = 0;
            }
        } else {
            c->cr = (uint16_t)((c->cr & 0x00ff) | val << 8);
            c->write_msb = 0;
            load_count(c, tick);
        }
        break;
    }
    channel_changed(p, i, tick);
}

/* --- reading --- */

static uint16_t read_value(const struct pit_channel *c, uint64_t tick)
{
    uint32_t v = ce_value(c, tick);
    return c->bcd ? to_bcd(v) : (uint16_t)v;
}

static uint8_t status_byte(const struct pit_channel *c, uint64_t tick)
{
    return (uint8_t)((out_at(c, tick) ? PIT_STATUS_OUT : 0) |
                     (c->null_count ? PIT_STATUS_NULL : 0) |
                     c->rw << 4 | c->cw_mode << 1 | c->bcd);
}

/* Latching again before the latched count is read does nothing (datasheet
 * "Counter Latch Command"). */
static void latch_count(struct pit_channel *c, uint64_t tick)
{
    if (c->count_latched)
        return;
    c->ol = read_value(c, tick);
    c->count_latched = 1;
}

/* A byte of a 16-bit value as the RW mode and the read flip-flop say. */
static uint8_t read_byte_of(struct pit_channel *c, uint16_t v, bool *done)
{
    switch (c->rw) {
    case PIT_RW_LSB:
        *done = true;
        return (uint8_t)v;
    case PIT_RW_MSB:
        *done = true;
        return (uint8_t)(v >> 8);
    default:
        c->read_msb ^= 1;
        *done = !c->read_msb;
        return (uint8_t)(c->read_msb ? v : v >> 8);
    }
}

static uint8_t read_counter(struct pit *p, int i)
{
    struct pit_channel *c = &p->ch[i];
    uint64_t tick = now_tick(p);
    channel_sync(p, i, tick);
    bool done;
    /* Status latched with the count comes out first (datasheet "Read-Back
     * Command"). */
    if (c->status_latched) {
        c->status_latched = 0;
        return c->status;
    }
    if (c->count_latched) {
        uint8_t val = read_byte_of(c, c->ol, &done);
        if (done)
            c->count_latched = 0;
        return val;
    }
    return read_byte_of(c, read_value(c, tick), &done);
}

/* --- control word --- */

static void read_back(struct pit *p, uint8_t cw)
{
    uint64_t tick = now_tick(p);
    for (int i = 0; i < PIT_CHANNELS; i++) {
        if (!(cw & PIT_RB_CNT(i)))
            continue;
        struct pit_channel *c = &p->ch[i];
        channel_sync(p, i, tick);
        if (!(cw & PIT_RB_NO_COUNT))
            latch_count(c, tick);
        if (!(cw & PIT_RB_NO_STATUS) && !c->status_latched) {
            c->status = status_byte(c, tick);
            c->status_latched = 1;
        }
    }
}

/* A control word resets the counter's control logic; OUT goes to its
 * mode's initial state and the counter waits for a count. */
static void write_control(struct pit *p, uint8_t cw)
{
    int sc = PIT_CW_SC(cw);
    if (sc == PIT_SC_READ_BACK) {
        read_back(p, cw);
        return;
    }
    struct pit_channel *c = &p->ch[sc];
    uint64_t tick = now_tick(p);
    channel_sync(p, sc, tick);
    if (PIT_CW_RW(cw) == PIT_RW_LATCH) {
        latch_count(c, tick);
        return;
    }
    c->hold = (uint16_t)ce_value(c, tick);
    c->cw_mode = (uint8_t)PIT_CW_MODE(cw);
    c->mode = c->cw_mode >= 6 ? c->cw_mode - 4 : c->cw_mode;
    c->rw = (uint8_t)PIT_CW_RW(cw);
    c->bcd = cw & PIT_CW_BCD;
    c->hold %= modulus(c);
    c->state = PIT_NO_COUNT;
    c->has_count = 0;
    c->null_count = 1;
    c->write_msb = 0;
    c->read_msb = 0;
    c->count_latched = 0;
    c->status_latched = 0;
    c->reload_pending = 0;
    channel_changed(p, sc, tick);
}

uint8_t pit_read(struct pit *p, int reg)
{
    switch (reg & 3) {
    case PIT_COUNTER0: case PIT_COUNTER1: case PIT_COUNTER2:
        return read_counter(p, reg & 3);
    case PIT_CONTROL:
    default:
        return 0xff;        /* the control word register cannot be read */
    }
}

void pit_write(struct pit *p, int reg, uint8_t val)
{
    switch (reg & 3) {
    case PIT_COUNTER0: case PIT_COUNTER1: case PIT_COUNTER2:
        write_count(p, reg & 3, val);
        break;
    case PIT_CONTROL:
        write_control(p, val);
        break;
    }
}

/* --- GATE and OUT --- */

void pit_set_gate(struct pit *p, int channel, int level)
{
    if (channel < 0 || channel >= PIT_CHANNELS)
        return;
    struct pit_channel *c = &p->ch[channel];
    uint64_t tick = now_tick(p);
    channel_sync(p, channel, tick);
    level = level != 0;
    if (level == c->gate)
        return;
    c->gate = (uint8_t)level;
    if (level) {
        switch (c->mode) {
        case 0: case 4:     /* counting resumes */
            if (c->state == PIT_WAIT_GATE) {
                c->t0 = tick - c->frozen;
                c->state = PIT_COUNTING;
            }
            break;
        default:
            /* 1, 5: the rising edge triggers (and retriggers) the counter;
             * 2, 3: it reloads the counter and restarts the period. */
            if (c->has_count) {
                c->n = count_clks(c);
                c->t0 = tick;
                c->state = PIT_COUNTING;
                c->null_count = 0;
                c->reload_pending = 0;
            }
            break;
        }
    } else {
        switch (c->mode) {
        case 0: case 4:     /* counting is suspended */
            if (c->state == PIT_COUNTING) {
                c->frozen = tick - c->t0;
                c->state = PIT_WAIT_GATE;
            }
            break;
        case 2: case 3:     /* counting stops and OUT goes high at once */
            if (c->state == PIT_COUNTING) {
                c->hold = (uint16_t)ce_value(c, tick);
                c->state = PIT_WAIT_GATE;
                c->reload_pending = 0;
            }
            break;
        default:            /* 1, 5: GATE low does not affect OUT */
            break;
        }
    }
    channel_changed(p, channel, tick);
}

int pit_get_out(struct pit *p, int channel)
{
    if (channel < 0 || channel >= PIT_CHANNELS)
        return 0;
    uint64_t tick = now_tick(p);
    channel_sync(p, channel, tick);
    return out_at(&p->ch[channel], tick);
}

void pit_init(struct pit *p, struct vclock *clock, struct irq_line irq0)
{
    memset(p, 0, sizeof(*p));
    p->clock = clock;
    p->irq0 = irq0;
    vtimer_init(&p->timer, "pit", pit_timer_fire, p);
    p->irq0_tick = now_tick(p);
    for (int i = 0; i < PIT_CHANNELS; i++) {
        p->ch[i].gate = i != 2;
        p->ch[i].rw = PIT_RW_LSB_MSB;
        pit_write(p, PIT_CONTROL, (uint8_t)(i << 6 | PIT_RW_LSB_MSB << 4 | 3 << 1));
        pit_write(p, i, 0);
        pit_write(p, i, 0);
    }
}

/* --- the bus: a wider access is split into byte cycles --- */

static uint32_t pit_port_read(void *opaque, uint16_t port, int size)
{
    uint32_t val = 0;
    for (int i = 0; i < size && i < 4; i++)
        val |= (uint32_t)pit_read(opaque, (port + i - PIT_BASE) & 3) << (8 * i);
    return val;
}

static void pit_port_write(void *opaque, uint16_t port, int size, uint32_t val)
{
    for (int i = 0; i < size && i < 4; i++)
        pit_write(opaque, (port + i - PIT_BASE) & 3, (uint8_t)(val >> (8 * i)));
}

int pit_attach(struct pit *p, struct iobus *bus)
{
    return iobus_register(bus, "pit8254", PIT_BASE, 4, pit_port_read, pit_port_write, p);
}

/* --- snapshot: little-endian, times as CLKs before (or after) now --- */

static const struct dev_state_head pit_state = {
    .magic = { 0x54 }, .magic_len = 1, .version = 1,
};

enum {
    PIT_SAVED_HEADER = 2,
    PIT_SAVED_CHANNEL = 19 + 2 + 2 + 4 + 8 + 8 + 2 + 4 + 8,
    PIT_SAVED_SIZE = PIT_SAVED_HEADER + PIT_CHANNELS * PIT_SAVED_CHANNEL + 1 + 8,
};

size_t pit_save(const struct pit *p, uint8_t *buf, size_t len)
{
    uint8_t *q;
    size_t n = dev_state_save_open(&pit_state, PIT_SAVED_SIZE, buf, len, &q);
    if (!q)
        return n;
    uint64_t tick = now_tick(p);
    for (int i = 0; i < PIT_CHANNELS; i++) {
        const struct pit_channel *c = &p->ch[i];
        const uint8_t flags[19] = {
            c->cw_mode, c->mode, c->rw, c->bcd, c->write_msb, c->read_msb,
            c->count_latched, c->status_latched, c->status, c->null_count,
            c->gate, c->has_count, c->state, c->reload_pending, 0, 0, 0, 0, 0,
        };
        memcpy(q, flags, sizeof(flags));
        q += sizeof(flags);
        q = dev_state_put(q, c->cr, 2);
        q = dev_state_put(q, c->ol, 2);
        q = dev_state_put(q, c->n, 4);
        q = dev_state_put(q, c->state == PIT_COUNTING ? tick - c->t0 : 0, 8);
        q = dev_state_put(q, c->frozen, 8);
        q = dev_state_put(q, c->hold, 2);
        q = dev_state_put(q, c->next_n, 4);
        q = dev_state_put(q, c->reload_pending ? c->reload_tick - tick : 0, 8);  /* signed */
    }
    *q++ = p->irq0_level;
    dev_state_put(q, tick - p->irq0_tick, 8);
    return n;
}

int pit_load(struct pit *p, const uint8_t *buf, size_t len)
{
    if (!dev_state_load_ok(&pit_state, PIT_SAVED_SIZE, buf, len))
        return -EINVAL;
    struct pit_channel ch[PIT_CHANNELS];
    uint64_t since_t0[PIT_CHANNELS];
    int64_t until_reload[PIT_CHANNELS];
    const uint8_t *q = buf + PIT_SAVED_HEADER;
    uint64_t max_back = 0;
    memset(ch, 0, sizeof(ch));
    for (int i = 0; i < PIT_CHANNELS; i++) {
        struct pit_channel *c = &ch[i];
        const uint8_t *f = q;
        q += 19;
        c->cw_mode = f[0]; c->mode = f[1]; c->rw = f[2]; c->bcd = f[3];
        c->write_msb = f[4]; c->read_msb = f[5]; c->count_latched = f[6];
        c->status_latched = f[7]; c->status = f[8]; c->null_count = f[9];
        c->gate = f[10]; c->has_count = f[11]; c->state = f[12];
        c->reload_pending = f[13];
        c->cr = (uint16_t)dev_state_get(&q, 2);
        c->ol = (uint16_t)dev_state_get(&q, 2);
        c->n = (uint32_t)dev_state_get(&q, 4);
        since_t0[i] = dev_state_get(&q, 8);
        c->frozen = dev_state_get(&q, 8);
        c->hold = (uint16_t)dev_state_get(&q, 2);
        c->next_n = (uint32_t)dev_state_get(&q, 4);
        until_reload[i] = (int64_t)dev_state_get(&q, 8);
        if (c->cw_mode > 7 || c->mode != (c->cw_mode >= 6 ? c->cw_mode - 4 : c->cw_mode) ||
            c->rw < PIT_RW_LSB || c->rw > PIT_RW_LSB_MSB || c->bcd > 1 ||
            c->write_msb > 1 || c->read_msb > 1 || c->count_latched > 1 ||
            c->status_latched > 1 || c->null_count > 1 || c->gate > 1 ||
            c->has_count > 1 || c->state > PIT_COUNTING || c->reload_pending > 1 ||
            c->n < 1 || c->n > 65536 || c->next_n > 65536 ||
            (c->reload_pending && c->next_n < 1) || c->hold >= modulus(c) ||
            since_t0[i] > (UINT64_MAX >> 2) || until_reload[i] < -(INT64_MAX >> 2) ||
            until_reload[i] > (INT64_MAX >> 2))
            return -EINVAL;
        if (since_t0[i] > max_back)
            max_back = since_t0[i];
        if (until_reload[i] < 0 && (uint64_t)-until_reload[i] > max_back)
            max_back = (uint64_t)-until_reload[i];
    }
    uint8_t irq0_level = *q++;
    uint64_t since_irq0 = dev_state_get(&q, 8);
    if (irq0_level > 1 || since_irq0 > (UINT64_MAX >> 2))
        return -EINVAL;
    if (since_irq0 > max_back)
        max_back = since_irq0;

    /* Number CLKs so that every saved time lands at or after CLK 0. */
    uint64_t raw = ns_to_tick(vclock_now(p->clock));
    p->tick_offset = raw < max_back ? max_back - raw : 0;
    uint64_t tick = raw + p->tick_offset;
    for (int i = 0; i < PIT_CHANNELS; i++) {
        ch[i].t0 = tick - since_t0[i];
        ch[i].reload_tick = tick + (uint64_t)until_reload[i];
        if (!ch[i].reload_pending)
            ch[i].reload_tick = 0;
    }
    memcpy(p->ch, ch, sizeof(ch));
    p->irq0_level = irq0_level;
    p->irq0_tick = tick - since_irq0;
    channel_sync(p, 0, tick);
    irq0_rearm(p, tick);
    return 0;
}
