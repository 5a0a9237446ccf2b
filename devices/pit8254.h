/* The 8254 programmable interval timer (Intel 8254 datasheet, order no.
 * 231164), as on the PC: three 16-bit counters clocked at 1.193182 MHz.
 * Counter 0's OUT drives IRQ0, counter 1 (DRAM refresh) is left to itself,
 * counter 2's GATE is port 61h bit 0 and its OUT is port 61h bit 5
 * (devices/port61.h).
 *
 *   40h  counter 0   read / write the count (LSB, MSB, or LSB then MSB)
 *   41h  counter 1
 *   42h  counter 2
 *   43h  control word (write only): SC1 SC0 RW1 RW0 M2 M1 M0 BCD
 *        SC=11 is the read-back command; RW=00 the counter latch command
 *
 * Time: glass does not tick.  Each counter remembers the CLK at which its
 * counting element was loaded and computes its count and OUT from the
 * vclock when asked (CLK n is the n-th 1/1193182 s since vclock 0).  For
 * IRQ0 a vtimer is armed at counter 0's next OUT transition, so a mode 2 or
 * 3 counter raises IRQ0 at its programmed rate.  When the run loop fires
 * that timer late, the rising edges missed meanwhile are coalesced into one
 * IRQ0 (counted in irq0_coalesced) rather than delivered as a burst.
 *
 * Simplifications, all invisible to a guest that does not count single CLKs:
 *   - A count written is loaded into the counting element at once rather
 *     than on the next CLK pulse, so mode 0 OUT rises N CLKs after the
 *     write (the datasheet: N+1).
 *   - A new count written in mode 3 takes effect at the end of the current
 *     period (the datasheet: the current half-cycle).
 *   - Mode 3 with an odd count reads N, N-2, ... per half-cycle (the chip
 *     reads N-1 first on the high half).
 *   - A count of 1 in modes 2 and 3 (illegal per the datasheet) holds OUT
 *     high.
 *
 * Board wiring (machine/board.c):
 *     struct irq_line irq0;
 *     irq_line_connect(&irq0, pic_irq_handler, &m->pic, 0);
 *     pit_init(&m->pit, &m->clock, irq0);
 *     pit_attach(&m->pit, &m->iobus);          // 40h-43h
 *     port61_init(&m->port61, &m->pit);
 *     port61_attach(&m->port61, &m->iobus);    // 61h
 * The run loop must call vclock_run_expired() (the PIT arms one vtimer,
 * named "pit"). */
#ifndef GLASS_DEVICES_PIT8254_H
#define GLASS_DEVICES_PIT8254_H

#include <stddef.h>
#include <stdint.h>

#include "devices/irq.h"
#include "machine/vclock.h"

struct iobus;

#define PIT_BASE 0x40
#define PIT_HZ 1193182ull       /* CLK input of every counter */
#define PIT_CHANNELS 3

enum pit8254_reg {
    PIT_COUNTER0 = 0,
    PIT_COUNTER1 = 1,
    PIT_COUNTER2 = 2,
    PIT_CONTROL = 3,
};

/* Control word */
#define PIT_CW_BCD 0x01
#define PIT_CW_MODE(cw) (((cw) >> 1) & 7)   /* M2-M0 */
#define PIT_CW_RW(cw) (((cw) >> 4) & 3)     /* RW1-RW0 */
#define PIT_CW_SC(cw) (((cw) >> 6) & 3)     /* SC1-SC0 */
enum pit_rw {
    PIT_RW_LATCH = 0,       /* counter latch command */
    PIT_RW_LSB = 1,
    PIT_RW_MSB = 2,
    PIT_RW_LSB_MSB = 3,
};
#define PIT_SC_READ_BACK 3
/* Read-back command (SC=11): D5 = /COUNT, D4 = /STATUS, D3-D1 = CNT2-CNT0 */
#define PIT_RB_NO_COUNT  0x20
#define PIT_RB_NO_STATUS 0x10
#define PIT_RB_CNT(i) (2u << (i))
/* Status byte: OUT, NULL COUNT, RW1 RW0, M2 M1 M0, BCD */
#define PIT_STATUS_OUT  0x80
#define PIT_STATUS_NULL 0x40

enum pit_run_state {
    PIT_NO_COUNT = 0,       /* control word written, no count yet */
    PIT_WAIT_GATE,          /* count written, waiting for GATE (or paused by it) */
    PIT_COUNTING,
};

struct pit_channel {
    /* programmed by the control word */
    uint8_t cw_mode;        /* M2-M0 as written (6, 7 are 2, 3) */
    uint8_t mode;           /* 0-5 */
    uint8_t rw;             /* enum pit_rw, never LATCH */
    uint8_t bcd;
    uint16_t cr;            /* count register as written; 0 is the maximum */
    uint8_t write_msb;      /* write flip-flop: the next byte is the MSB */
    uint8_t read_msb;       /* read flip-flop: the next byte is the MSB */
    uint8_t count_latched;  /* output latch holds ol */
    uint16_t ol;
    uint8_t status_latched;
    uint8_t status;
    uint8_t null_count;     /* CR written but not yet loaded into CE */
    uint8_t gate;
    uint8_t has_count;      /* a count was written since the control word */
    /* the counting element, in CLKs */
    uint8_t state;          /* enum pit_run_state */
    uint32_t n;             /* initial count of the CE: 1..65536 (10000 BCD) */
    uint64_t t0;            /* CLK at which the CE was loaded with n */
    uint64_t frozen;        /* modes 0, 4 with GATE low: CLKs counted */
    uint16_t hold;          /* CE value while not counting (binary) */
    uint8_t reload_pending; /* modes 2, 3: a new count waits for the period end */
    uint32_t next_n;
    uint64_t reload_tick;
};

struct pit {
    struct pit_channel ch[PIT_CHANNELS];
    struct vclock *clock;
    struct vtimer timer;    /* counter 0's next OUT transition */
    struct irq_line irq0;
    uint8_t irq0_level;     /* last level driven on irq0 */
    uint64_t irq0_tick;     /* OUT0 rising edges up to this CLK were delivered */
    uint64_t tick_offset;   /* CLK numbering offset (set by pit_load) */
    uint64_t irq0_raises, irq0_coalesced;
};

/* Power-on as the PC BIOS leaves it (glass has no BIOS): every counter in
 * mode 3, LSB then MSB, count 0 (65536: 18.2 Hz), counters 0 and 1 gated
 * on and running, counter 2 gated off. */
void pit_init(struct pit *p, struct vclock *clock, struct irq_line irq0);
/* Claim 40h-43h; 0 or a negative errno. */
int pit_attach(struct pit *p, struct iobus *bus);

/* GATE input of a counter (0-2). */
void pit_set_gate(struct pit *p, int channel, int level);
/* OUT of a counter (0-2) now: 0 or 1. */
int pit_get_out(struct pit *p, int channel);

/* Register access (enum pit8254_reg, one byte). */
uint8_t pit_read(struct pit *p, int reg);
void pit_write(struct pit *p, int reg, uint8_t val);

/* Snapshot: times are saved relative to the vclock's now, so a restore on
 * another clock continues where the save left off.  pit_save returns the
 * size written (buf NULL: the size needed; 0 when len is too small);
 * pit_load returns 0 or -EINVAL and re-arms the IRQ0 timer.  pit_init
 * must have run on p (clock, irq0 and timer are kept). */
size_t pit_save(const struct pit *p, uint8_t *buf, size_t len);
int pit_load(struct pit *p, const uint8_t *buf, size_t len);

#endif
