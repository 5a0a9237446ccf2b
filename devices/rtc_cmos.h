/* The real-time clock and CMOS RAM of the PC: a Motorola MC146818A at ports
 * 0x70 (index) and 0x71 (data), as on every AT since 1984 (MC146818A
 * datasheet; the PC's use of the RAM bytes: IBM AT Technical Reference,
 * "CMOS RAM address map", and what SeaBIOS reads in src/fw/paravirt.c).
 *
 * Bytes 0x00-0x0D are the clock: time, alarm and the four status registers
 * A-D; 0x0E-0x7F are battery-backed RAM the BIOS owns (the memory-size bytes
 * that rtc_set_memory_size fills, the century at 0x32 ...).
 *
 * Time: the clock is started from the host's real time (UTC, gmtime) at
 * rtc_init, or from a fixed time (rtc_set_time) for reproducible runs, and
 * then advances with the guest clock (vclock): one update cycle per vclock
 * second, each done at once at the second's boundary.  UIP (register A
 * bit 7) reads 1 in the 244 us before each update (datasheet "Update Cycle",
 * the tBUC window), so the classic "wait for UIP to fall, then read" loop
 * ends and reads a coherent time.  The registers hold the time in the format
 * register B selects when they are written (BCD or binary, 12 or 24 hour),
 * and the update cycle counts in that format, as the chip does: changing DM
 * or 24/12 does not convert what is there.
 *
 * The century byte (0x32, BIOS RAM, not part of the MC146818A) is counted
 * by the update cycle when the year wraps from 99 to 00, as PC chipsets with
 * a century register (and QEMU) do.
 *
 * Interrupts: periodic (PF, rate from register A's RS3-0), alarm (AF) and
 * update-ended (UF) set their flag in register C; IRQF and the IRQ8 line
 * follow (PF & PIE) | (AF & AIE) | (UF & UIE); reading C clears the flags and
 * lowers the line.  A periodic vtimer runs only while PIE is set (PF is also
 * seen by polling C without it); an update vtimer runs while the clock
 * counts, so UF and AF arrive on time.  Missed periodic ticks (the host was
 * busy) are coalesced into one, never replayed.
 *
 * Board wiring (machine/board.c):
 *     rtc_init(&rtc, &vclock);                  time from the host clock
 *     (or rtc_set_time(&rtc, t) after init, for a fixed start time)
 *     irq_line_connect(&rtc.irq, isa_irq_handler, router, 8);   IRQ8
 *     rtc_set_memory_size(&rtc, ram_bytes);     or rtc_set_memory_layout()
 *     rtc_attach(&rtc, &iobus);                 claims ports 0x70-0x71
 * and the NMI path asks rtc_nmi_masked(&rtc) before delivering an NMI
 * (port 0x70 bit 7 set = NMI masked).  The vtimers live on that vclock: the
 * run loop's vclock_run_expired() fires them. */
#ifndef GLASS_DEVICES_RTC_CMOS_H
#define GLASS_DEVICES_RTC_CMOS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "devices/irq.h"
#include "machine/vclock.h"

struct iobus;

#define RTC_INDEX_PORT 0x70
#define RTC_DATA_PORT  0x71
#define RTC_CMOS_SIZE  128
#define RTC_IRQ        8

/* The address map (MC146818A Figure 3, then the PC's BIOS bytes). */
enum rtc_reg {
    RTC_SECONDS        = 0x00,
    RTC_SECONDS_ALARM  = 0x01,
    RTC_MINUTES        = 0x02,
    RTC_MINUTES_ALARM  = 0x03,
    RTC_HOURS          = 0x04,
    RTC_HOURS_ALARM    = 0x05,
    RTC_DAY_OF_WEEK    = 0x06,  /* 1-7, Sunday = 1 */
    RTC_DAY_OF_MONTH   = 0x07,
    RTC_MONTH          = 0x08,
    RTC_YEAR           = 0x09,  /* 0-99 */
    RTC_REG_A          = 0x0A,
    RTC_REG_B          = 0x0B,
    RTC_REG_C          = 0x0C,
    RTC_REG_D          = 0x0D,
    /* PC BIOS bytes. */
    CMOS_SHUTDOWN_STATUS = 0x0F,
    CMOS_FLOPPY_TYPES    = 0x10,
    CMOS_EQUIPMENT       = 0x14,
    CMOS_BASE_MEM_LO     = 0x15,  /* KiB below 1 MiB: 640 */
    CMOS_BASE_MEM_HI     = 0x16,
    CMOS_EXT_MEM_LO      = 0x17,  /* KiB from 1 MiB, at most 65535 */
    CMOS_EXT_MEM_HI      = 0x18,
    CMOS_EXT_MEM2_LO     = 0x30,  /* the same, as POST found it */
    CMOS_EXT_MEM2_HI     = 0x31,
    CMOS_CENTURY         = 0x32,
    CMOS_MEM_ABOVE_16M_LO = 0x34, /* 64 KiB blocks from 16 MiB to the 4 GiB hole */
    CMOS_MEM_ABOVE_16M_HI = 0x35,
    CMOS_MEM_ABOVE_4G_LO  = 0x5B, /* 64 KiB blocks above 4 GiB, 24 bits */
    CMOS_MEM_ABOVE_4G_MID = 0x5C,
    CMOS_MEM_ABOVE_4G_HI  = 0x5D,
};

/* Register A */
#define RTC_A_UIP     0x80      /* update in progress (read only) */
#define RTC_A_DV_MASK 0x70      /* DV2-0: time base and divider reset */
#define RTC_A_DV_32K  0x20      /* 32.768 kHz time base, counting */
#define RTC_A_RS_MASK 0x0f      /* RS3-0: periodic rate */
/* Register B */
#define RTC_B_SET   0x80        /* 1: updates stopped, time may be set */
#define RTC_B_PIE   0x40
#define RTC_B_AIE   0x20
#define RTC_B_UIE   0x10
#define RTC_B_SQWE  0x08
#define RTC_B_DM    0x04        /* 1: binary, 0: BCD */
#define RTC_B_24H   0x02        /* 1: 24 hour, 0: 12 hour with bit 7 = PM */
#define RTC_B_DSE   0x01        /* daylight savings (US rules of 1984) */
/* Register C (read only, cleared by reading) */
#define RTC_C_IRQF  0x80
#define RTC_C_PF    0x40
#define RTC_C_AF    0x20
#define RTC_C_UF    0x10
/* Register D */
#define RTC_D_VRT   0x80        /* valid RAM and time: the battery is good */

#define RTC_HOUR_PM 0x80        /* 12-hour mode: bit 7 of the hours byte */
#define RTC_ALARM_DONT_CARE 0xC0 /* an alarm byte >= 0xC0 matches any value */

/* The 244 us window before an update in which UIP reads 1. */
#define RTC_UIP_WINDOW_NS 244000ull

struct rtc {
    uint8_t cmos[RTC_CMOS_SIZE];  /* clock registers and RAM; C and the UIP bit
                                     of A are kept here too, D is always VRT */
    uint8_t index;                /* last write to 0x70, bits 6-0 */
    bool nmi_masked;              /* bit 7 of the last write to 0x70 */
    bool dse_fell_back;           /* the October fall-back hour already done */

    uint64_t next_update_ns;      /* vclock time of the next update cycle */
    uint64_t next_periodic_ns;    /* vclock time of the next PF edge */
    int irq_level;                /* last level driven on irq */

    struct vclock *clock;
    struct vtimer update_timer, periodic_timer;
    struct irq_line irq;          /* IRQ8, connected by the board */
};

/* Registers as the AT BIOS leaves them (A = 0x26: 32.768 kHz, 1024 Hz;
 * B = 0x02: 24 hour, BCD, no interrupts), time from the host (UTC), the
 * memory bytes at 0 until rtc_set_memory_size.  irq left unconnected. */
void rtc_init(struct rtc *r, struct vclock *clock);

/* Set the clock to t (seconds since 1970, UTC) in the current format; the
 * next update is one second from now. */
void rtc_set_time(struct rtc *r, time_t t);
/* The time the registers show now (decoded per register B), UTC. */
time_t rtc_get_time(struct rtc *r);

/* The memory-size bytes, as SeaBIOS and QEMU's pc machine read them:
 * 0x15/0x16 = 640; 0x17/0x18 = 0x30/0x31 = KiB from 1 MiB below the 4 GiB
 * hole, at most 65535; 0x34/0x35 = 64 KiB blocks from 16 MiB below the hole;
 * 0x5B-0x5D = 64 KiB blocks above 4 GiB; 0x10 = 0 (no floppy); 0x14 = 0x02
 * (FPU present, no floppy, display 00 = EGA/VGA, no PS/2 mouse);
 * 0x0F = 0.  rtc_set_memory_size splits ram_bytes as QEMU's pc machine does:
 * everything below 3 GiB (RTC_LOWMEM_LIMIT) when it fits, else 3 GiB below
 * and the rest from 4 GiB; a board with another split calls
 * rtc_set_memory_layout with its own numbers. */
#define RTC_LOWMEM_LIMIT 0xC0000000ull
void rtc_set_memory_size(struct rtc *r, uint64_t ram_bytes);
void rtc_set_memory_layout(struct rtc *r, uint64_t below_4g_bytes, uint64_t above_4g_bytes);

/* Port 0x70 bit 7: NMI masked. */
bool rtc_nmi_masked(const struct rtc *r);

/* Register access as the guest does it: the index port then the data port. */
uint8_t rtc_read(struct rtc *r, uint16_t port);
void rtc_write(struct rtc *r, uint16_t port, uint8_t val);

/* Claim 0x70-0x71. */
int rtc_attach(struct rtc *r, struct iobus *bus);

/* Snapshot: the CMOS bytes, index, NMI mask and the time to the next update
 * and periodic edge (relative to vclock_now, so a restore onto another clock
 * keeps the phase).  Size with buf NULL; load 0 or -EINVAL; load re-arms the
 * timers and drives the IRQ line to the restored level. */
size_t rtc_save(const struct rtc *r, uint8_t *buf, size_t len);
int rtc_load(struct rtc *r, const uint8_t *buf, size_t len);

#endif
