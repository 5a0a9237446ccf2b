/* The MC146818A real-time clock and the PC's CMOS RAM, as the datasheet
 * orders it: the address map, the update cycle, the interrupts, the four
 * status registers, then the bus and the snapshot. */
#include "devices/rtc_cmos.h"

#include <errno.h>
#include <string.h>

#include "devices/device_state.h"
#include "devices/iobus.h"

#define NS_PER_SEC 1000000000ull
#define RTC_TIME_BASE_HZ 32768ull

/* At most this many skipped seconds are replayed one by one (each checks
 * the alarm); a longer gap (the host slept) jumps by calendar arithmetic. */
#define RTC_MAX_REPLAYED_SECONDS (2 * 86400ull)

static uint64_t now_ns(const struct rtc *r)
{
    return vclock_now(r->clock);
}

/* --- the time registers, in the format register B chose --- */

static bool binary_mode(const struct rtc *r) { return r->cmos[RTC_REG_B] & RTC_B_DM; }
static bool mode_24h(const struct rtc *r) { return r->cmos[RTC_REG_B] & RTC_B_24H; }

static int from_reg(const struct rtc *r, uint8_t v)
{
    return binary_mode(r) ? v : (v >> 4) * 10 + (v & 0x0f);
}

static uint8_t to_reg(const struct rtc *r, int v)
{
    if (binary_mode(r))
        return (uint8_t)v;
    return (uint8_t)((((v / 10) % 10) << 4) | (v % 10));
}

/* Hours: 0-23 in 24-hour mode; 1-12 with bit 7 = PM in 12-hour mode
 * (datasheet Table 2). */
static int hour_from_reg(const struct rtc *r, uint8_t v)
{
    if (mode_24h(r))
        return from_reg(r, v);
    int h = from_reg(r, v & 0x7f);
    if (h == 12)
        h = 0;
    return h + ((v & RTC_HOUR_PM) ? 12 : 0);
}

static uint8_t hour_to_reg(const struct rtc *r, int h24)
{
    if (mode_24h(r))
        return to_reg(r, h24);
    int h12 = h24 % 12 == 0 ? 12 : h24 % 12;
    return to_reg(r, h12) | (h24 >= 12 ? RTC_HOUR_PM : 0);
}

/* The clock's fields in plain numbers. */
struct rtc_fields {
    int sec, min, hour, wday, mday, mon, year, century;
};

static void read_fields(const struct rtc *r, struct rtc_fields *f)
{
    f->sec = from_reg(r, r->cmos[RTC_SECONDS]);
    f->min = from_reg(r, r->cmos[RTC_MINUTES]);
    f->hour = hour_from_reg(r, r->cmos[RTC_HOURS]);
    f->wday = from_reg(r, r->cmos[RTC_DAY_OF_WEEK]);
    f->mday = from_reg(r, r->cmos[RTC_DAY_OF_MONTH]);
    f->mon = from_reg(r, r->cmos[RTC_MONTH]);
    f->year = from_reg(r, r->cmos[RTC_YEAR]);
    f->century = from_reg(r, r->cmos[CMOS_CENTURY]);
}

/* Write back only the fields that changed: a byte the guest wrote with an
 * impossible value (0xff in BCD) stays as written until the count rolls it. */
static void write_fields(struct rtc *r, const struct rtc_fields *old, const struct rtc_fields *f)
{
    if (f->sec != old->sec) r->cmos[RTC_SECONDS] = to_reg(r, f->sec);
    if (f->min != old->min) r->cmos[RTC_MINUTES] = to_reg(r, f->min);
    if (f->hour != old->hour) r->cmos[RTC_HOURS] = hour_to_reg(r, f->hour);
    if (f->wday != old->wday) r->cmos[RTC_DAY_OF_WEEK] = to_reg(r, f->wday);
    if (f->mday != old->mday) r->cmos[RTC_DAY_OF_MONTH] = to_reg(r, f->mday);
    if (f->mon != old->mon) r->cmos[RTC_MONTH] = to_reg(r, f->mon);
    if (f->year != old->year) r->cmos[RTC_YEAR] = to_reg(r, f->year);
    if (f->century != old->century) r->cmos[CMOS_CENTURY] = to_reg(r, f->century);
}

static int days_in_month(int mon, int full_year)
{
    static const int days[12] = { 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31 };
    if (mon < 1 || mon > 12)
        return 31;
    if (mon == 2 && ((full_year % 4 == 0 && full_year % 100 != 0) || full_year % 400 == 0))
        return 29;
    return days[mon - 1];
}

/* One second of the count chain (datasheet "Update Cycle").  Every field
 * rolls with >= so an out-of-range value the guest wrote rolls over too. */
static void count_one_second(struct rtc *r, struct rtc_fields *f)
{
    bool at_1_59_59 = f->hour == 1 && f->min == 59 && f->sec == 59;
    if (++f->sec < 60)
        return;
    f->sec = 0;
    if (++f->min < 60)
        return;
    f->min = 0;
    /* Daylight savings (datasheet, DSE): the last Sunday in April goes
     * from 1:59:59 AM to 3:00:00 AM; the last Sunday in October goes from
     * 1:59:59 AM back to 1:00:00 AM, the first time only. */
    if ((r->cmos[RTC_REG_B] & RTC_B_DSE) && at_1_59_59 && f->wday == 1) {
        if (f->mon == 4 && f->mday + 7 > 30) {
            f->hour = 3;
            return;
        }
        if (f->mon == 10 && f->mday + 7 > 31 && !r->dse_fell_back) {
            r->dse_fell_back = true;
            f->hour = 1;
            return;
        }
    }
    if (++f->hour < 24)
        return;
    f->hour = 0;
    r->dse_fell_back = false;
    if (++f->wday > 7 || f->wday < 1)
        f->wday = 1;
    if (++f->mday <= days_in_month(f->mon, f->century * 100 + f->year))
        return;
    f->mday = 1;
    if (++f->mon <= 12)
        return;
    f->mon = 1;
    if (++f->year < 100)
        return;
    f->year = 0;
    if (++f->century >= 100)
        f->century = 0;
}

/* Alarm bytes 0xC0-0xFF match any value (datasheet "Alarm"). */
static bool alarm_matches(const struct rtc *r)
{
    static const uint8_t pairs[3][2] = {
        { RTC_SECONDS_ALARM, RTC_SECONDS },
        { RTC_MINUTES_ALARM, RTC_MINUTES },
        { RTC_HOURS_ALARM, RTC_HOURS },
    };
    for (int i = 0; i < 3; i++) {
        uint8_t alarm = r->cmos[pairs[i][0]];
        if (alarm < RTC_ALARM_DONT_CARE && alarm != r->cmos[pairs[i][1]])
            return false;
    }
    return true;
}

/* --- interrupts --- */

/* IRQF = PF.PIE + AF.AIE + UF.UIE (datasheet, register C); the IRQ pin
 * (active low on the chip, active high after the PC's inverter) follows. */
static void update_irq(struct rtc *r)
{
    uint8_t b = r->cmos[RTC_REG_B], c = r->cmos[RTC_REG_C] & (RTC_C_PF | RTC_C_AF | RTC_C_UF);
    bool irqf = ((c & RTC_C_PF) && (b & RTC_B_PIE)) ||
                ((c & RTC_C_AF) && (b & RTC_B_AIE)) ||
                ((c & RTC_C_UF) && (b & RTC_B_UIE));
    r->cmos[RTC_REG_C] = c | (irqf ? RTC_C_IRQF : 0);
    if (irqf != r->irq_level) {
        r->irq_level = irqf;
        irq_set_level(&r->irq, irqf);
    }
}

/* The divider chain runs with DV2-0 = 010 (32.768 kHz, the PC's crystal);
 * 11x holds it in reset, and the other time bases do not fit the crystal:
 * glass stops the clock for them too. */
static bool divider_running(const struct rtc *r)
{
    return (r->cmos[RTC_REG_A] & RTC_A_DV_MASK) == RTC_A_DV_32K;
}

static bool updates_running(const struct rtc *r)
{
    return divider_running(r) && !(r->cmos[RTC_REG_B] & RTC_B_SET);
}

/* Periodic interrupt rate, datasheet Table 3 (32.768 kHz time base):
 * RS = 1, 2 give 3.90625 and 7.8125 ms; RS = 3..15 give 2^(RS-1) cycles of
 * 32.768 kHz, 122.070 us .. 500 ms; RS = 0 none. */
static uint64_t periodic_ns(const struct rtc *r)
{
    int rs = r->cmos[RTC_REG_A] & RTC_A_RS_MASK;
    if (rs == 0 || !divider_running(r))
        return 0;
    int shift = rs <= 2 ? rs + 6 : rs - 1;
    return ((uint64_t)1 << shift) * NS_PER_SEC / RTC_TIME_BASE_HZ;
}

/* Calendar jump of n seconds for a long gap (fields normalised by timegm). */
static void jump_seconds(struct rtc_fields *f, uint64_t n)
{
    struct tm tm = {
        .tm_sec = f->sec, .tm_min = f->min, .tm_hour = f->hour,
        .tm_mday = f->mday, .tm_mon = f->mon - 1,
        .tm_year = f->century * 100 + f->year - 1900,
    };
    time_t t = timegm(&tm);
    if (t == (time_t)-1)
        return;
    t += (time_t)n;
    if (!gmtime_r(&t, &tm))
        return;
    int year = tm.tm_year + 1900;
    f->sec = tm.tm_sec; f->min = tm.tm_min; f->hour = tm.tm_hour;
    f->mday = tm.tm_mday; f->mon = tm.tm_mon + 1; f->wday = tm.tm_wday + 1;
    f->year = ((year % 100) + 100) % 100;
    f->century = ((year / 100) % 100 + 100) % 100;
}

/* Catch the clock up with the vclock: every update cycle due by now. */
static void sync_updates(struct rtc *r, uint64_t now)
{
    if (!updates_running(r) || now < r->next_update_ns)
        return;
    uint64_t n = (now - r->next_update_ns) / NS_PER_SEC + 1;
    r->next_update_ns += n * NS_PER_SEC;

    struct rtc_fields f;
    read_fields(r, &f);
    bool alarm = false;
    if (n > RTC_MAX_REPLAYED_SECONDS) {
        struct rtc_fields before = f;
        jump_seconds(&f, n - 1);
        write_fields(r, &before, &f);
        n = 1;
    }
    while (n-- > 0) {
        struct rtc_fields before = f;
        count_one_second(r, &f);
        write_fields(r, &before, &f);
        if (alarm_matches(r))
            alarm = true;
    }
    /* The end of an update cycle sets UF; an alarm match during one sets AF
     * (datasheet "Update-ended interrupt", "Alarm interrupt"). */
    r->cmos[RTC_REG_C] |= RTC_C_UF | (alarm ? RTC_C_AF : 0);
    update_irq(r);
}

/* PF is set at every edge of the selected divider tap, whether PIE is set
 * or not (datasheet, register C bit 6).  Edges missed while nobody looked
 * set PF once. */
static void sync_periodic(struct rtc *r, uint64_t now)
{
    uint64_t period = periodic_ns(r);
    if (!period || now < r->next_periodic_ns)
        return;
    r->next_periodic_ns += ((now - r->next_periodic_ns) / period + 1) * period;
    r->cmos[RTC_REG_C] |= RTC_C_PF;
    update_irq(r);
}

static void sync(struct rtc *r)
{
    uint64_t now = now_ns(r);
    sync_updates(r, now);
    sync_periodic(r, now);
}

/* Arm the timers the current state needs: the update timer while the clock
 * counts and UF or AF could interrupt, the periodic one while PIE is set. */
static void schedule(struct rtc *r)
{
    uint8_t b = r->cmos[RTC_REG_B];
    if (updates_running(r) && (b & (RTC_B_UIE | RTC_B_AIE)))
        vtimer_arm(r->clock, &r->update_timer, r->next_update_ns);
    else
        vtimer_cancel(r->clock, &r->update_timer);
    if (periodic_ns(r) && (b & RTC_B_PIE))
        vtimer_arm(r->clock, &r->periodic_timer, r->next_periodic_ns);
    else
        vtimer_cancel(r->clock, &r->periodic_timer);
}

static void update_timer_fired(void *opaque)
{
    struct rtc *r = opaque;
    sync(r);
    schedule(r);
}

static void periodic_timer_fired(void *opaque)
{
    struct rtc *r = opaque;
    sync(r);
    schedule(r);
}

/* --- set-up and the host-side API --- */

void rtc_set_time(struct rtc *r, time_t t)
{
    struct tm tm;
    if (!gmtime_r(&t, &tm))
        return;
    int year = tm.tm_year + 1900;
    r->cmos[RTC_SECONDS] = to_reg(r, tm.tm_sec % 60);
    r->cmos[RTC_MINUTES] = to_reg(r, tm.tm_min);
    r->cmos[RTC_HOURS] = hour_to_reg(r, tm.tm_hour);
    r->cmos[RTC_DAY_OF_WEEK] = to_reg(r, tm.tm_wday + 1);
    r->cmos[RTC_DAY_OF_MONTH] = to_reg(r, tm.tm_mday);
    r->cmos[RTC_MONTH] = to_reg(r, tm.tm_mon + 1);
    r->cmos[RTC_YEAR] = to_reg(r, ((year % 100) + 100) % 100);
    r->cmos[CMOS_CENTURY] = to_reg(r, ((year / 100) % 100 + 100) % 100);
    r->dse_fell_back = false;
    r->next_update_ns = now_ns(r) + NS_PER_SEC;
    schedule(r);
}

time_t rtc_get_time(struct rtc *r)
{
    sync(r);
    struct rtc_fields f;
    read_fields(r, &f);
    struct tm tm = {
        .tm_sec = f.sec, .tm_min = f.min, .tm_hour = f.hour,
        .tm_mday = f.mday, .tm_mon = f.mon - 1,
        .tm_year = f.century * 100 + f.year - 1900,
    };
    return timegm(&tm);
}

void rtc_init(struct rtc *r, struct vclock *clock)
{
    memset(r, 0, sizeof(*r));
    r->clock = clock;
    vtimer_init(&r->update_timer, "rtc-update", update_timer_fired, r);
    vtimer_init(&r->periodic_timer, "rtc-periodic", periodic_timer_fired, r);
    r->cmos[RTC_REG_A] = RTC_A_DV_32K | 0x06;   /* 1024 Hz, as the AT BIOS sets it */
    r->cmos[RTC_REG_B] = RTC_B_24H;
    r->cmos[RTC_REG_C] = 0;
    r->cmos[RTC_REG_D] = RTC_D_VRT;
    r->next_periodic_ns = now_ns(r) + periodic_ns(r);
    rtc_set_time(r, time(NULL));
}

static void put16(struct rtc *r, int lo, uint32_t v)
{
    r->cmos[lo] = (uint8_t)v;
    r->cmos[lo + 1] = (uint8_t)(v >> 8);
}

void rtc_set_memory_layout(struct rtc *r, uint64_t below_4g, uint64_t above_4g)
{
    const uint64_t KiB = 1024, MiB = 1024 * KiB;
    put16(r, CMOS_BASE_MEM_LO, 640);
    uint64_t ext = below_4g > MiB ? below_4g / KiB - 1024 : 0;
    if (ext > 0xffff)
        ext = 0xffff;
    put16(r, CMOS_EXT_MEM_LO, (uint32_t)ext);
    put16(r, CMOS_EXT_MEM2_LO, (uint32_t)ext);
    uint64_t above16 = below_4g > 16 * MiB ? (below_4g - 16 * MiB) / (64 * KiB) : 0;
    if (above16 > 0xffff)
        above16 = 0xffff;
    put16(r, CMOS_MEM_ABOVE_16M_LO, (uint32_t)above16);
    uint64_t above4g = above_4g / (64 * KiB);
    if (above4g > 0xffffff)
        above4g = 0xffffff;
    r->cmos[CMOS_MEM_ABOVE_4G_LO] = (uint8_t)above4g;
    r->cmos[CMOS_MEM_ABOVE_4G_MID] = (uint8_t)(above4g >> 8);
    r->cmos[CMOS_MEM_ABOVE_4G_HI] = (uint8_t)(above4g >> 16);
    r->cmos[CMOS_FLOPPY_TYPES] = 0;
    r->cmos[CMOS_EQUIPMENT] = 0x02;     /* bit 1: math coprocessor present */
    r->cmos[CMOS_SHUTDOWN_STATUS] = 0;
}

void rtc_set_memory_size(struct rtc *r, uint64_t ram_bytes)
{
    if (ram_bytes <= RTC_LOWMEM_LIMIT)
        rtc_set_memory_layout(r, ram_bytes, 0);
    else
        rtc_set_memory_layout(r, RTC_LOWMEM_LIMIT, ram_bytes - RTC_LOWMEM_LIMIT);
}

bool rtc_nmi_masked(const struct rtc *r)
{
    return r->nmi_masked;
}

/* --- the registers --- */

static uint8_t read_register(struct rtc *r, uint8_t reg)
{
    uint64_t now = now_ns(r);
    sync_updates(r, now);
    sync_periodic(r, now);
    uint8_t val;
    switch (reg) {
    case RTC_REG_A:
        /* UIP: 1 from 244 us before an update to its end (datasheet
         * Figure 15); the update itself takes no time here. */
        val = r->cmos[RTC_REG_A] & (uint8_t)~RTC_A_UIP;
        if (updates_running(r) && r->next_update_ns - now <= RTC_UIP_WINDOW_NS)
            val |= RTC_A_UIP;
        break;
    case RTC_REG_C:
        /* Reading C clears every flag and releases IRQ. */
        val = r->cmos[RTC_REG_C];
        r->cmos[RTC_REG_C] = 0;
        update_irq(r);
        break;
    case RTC_REG_D:
        val = RTC_D_VRT;    /* the battery never runs down */
        break;
    default:
        val = r->cmos[reg];
        break;
    }
    return val;
}

static void write_register(struct rtc *r, uint8_t reg, uint8_t val)
{
    uint64_t now = now_ns(r);
    sync_updates(r, now);
    sync_periodic(r, now);
    switch (reg) {
    case RTC_REG_A: {
        uint8_t old = r->cmos[RTC_REG_A];
        bool was_running = divider_running(r);
        r->cmos[RTC_REG_A] = val & (uint8_t)~RTC_A_UIP;   /* UIP is read only */
        /* Out of divider reset, the first update comes half a second
         * later (datasheet, DV2-0). */
        if (!was_running && divider_running(r))
            r->next_update_ns = now + NS_PER_SEC / 2;
        if ((old ^ val) & (RTC_A_RS_MASK | RTC_A_DV_MASK))
            r->next_periodic_ns = now + periodic_ns(r);
        break;
    }
    case RTC_REG_B: {
        uint8_t old = r->cmos[RTC_REG_B];
        /* SET stops updates and clears UIE (datasheet, register B bit 7). */
        if (val & RTC_B_SET)
            val &= (uint8_t)~RTC_B_UIE;
        r->cmos[RTC_REG_B] = val;
        if ((old & RTC_B_SET) && !(val & RTC_B_SET))
            r->next_update_ns = now + NS_PER_SEC;
        update_irq(r);
        break;
    }
    case RTC_REG_C:
    case RTC_REG_D:
        break;  /* read only */
    default:
        r->cmos[reg] = val;
        break;
    }
    schedule(r);
}

uint8_t rtc_read(struct rtc *r, uint16_t port)
{
    if (port == RTC_INDEX_PORT)
        return 0xff;    /* write only on the AT: the bus floats */
    return read_register(r, r->index);
}

void rtc_write(struct rtc *r, uint16_t port, uint8_t val)
{
    if (port == RTC_INDEX_PORT) {
        r->index = val & 0x7f;
        r->nmi_masked = (val & 0x80) != 0;   /* AT: bit 7 gates NMI */
        return;
    }
    write_register(r, r->index, val);
}

/* Byte-wide ports: a wider access is split into byte cycles. */
static uint32_t rtc_port_read(void *opaque, uint16_t port, int size)
{
    uint32_t val = 0;
    for (int i = 0; i < size; i++) {
        uint16_t p = (uint16_t)(port + i);
        uint8_t b = (p == RTC_INDEX_PORT || p == RTC_DATA_PORT) ? rtc_read(opaque, p) : 0xff;
        val |= (uint32_t)b << (8 * i);
    }
    return val;
}

static void rtc_port_write(void *opaque, uint16_t port, int size, uint32_t val)
{
    for (int i = 0; i < size; i++) {
        uint16_t p = (uint16_t)(port + i);
        if (p == RTC_INDEX_PORT || p == RTC_DATA_PORT)
            rtc_write(opaque, p, (uint8_t)(val >> (8 * i)));
    }
}

int rtc_attach(struct rtc *r, struct iobus *bus)
{
    return iobus_register(bus, "rtc-cmos", RTC_INDEX_PORT, 2, rtc_port_read, rtc_port_write, r);
}

/* --- snapshot --- */

static const struct dev_state_head rtc_state = {
    .magic = { 0x70 }, .magic_len = 1, .version = 1,
};

enum {
    RTC_SAVED_HEADER = 2,
    RTC_SAVED_SIZE = RTC_SAVED_HEADER + RTC_CMOS_SIZE + 3 + 8 + 8,
};

size_t rtc_save(const struct rtc *r, uint8_t *buf, size_t len)
{
    uint8_t *p;
    size_t n = dev_state_save_open(&rtc_state, RTC_SAVED_SIZE, buf, len, &p);
    if (!p)
        return n;
    uint64_t now = now_ns(r);
    memcpy(p, r->cmos, RTC_CMOS_SIZE);
    p += RTC_CMOS_SIZE;
    *p++ = r->index;
    *p++ = r->nmi_masked;
    *p++ = r->dse_fell_back;
    p = dev_state_put(p, r->next_update_ns - now, 8);   /* two's complement: may be "past" */
    dev_state_put(p, r->next_periodic_ns - now, 8);
    return n;
}

static uint64_t from_delta(uint64_t now, int64_t delta)
{
    if (delta < 0 && (uint64_t)-delta > now)
        return 0;
    return now + (uint64_t)delta;
}

int rtc_load(struct rtc *r, const uint8_t *buf, size_t len)
{
    if (!dev_state_load_ok(&rtc_state, RTC_SAVED_SIZE, buf, len))
        return -EINVAL;
    const uint8_t *p = buf + RTC_SAVED_HEADER;
    uint64_t now = now_ns(r);
    memcpy(r->cmos, p, RTC_CMOS_SIZE);
    p += RTC_CMOS_SIZE;
    r->cmos[RTC_REG_A] &= (uint8_t)~RTC_A_UIP;
    r->cmos[RTC_REG_D] = RTC_D_VRT;
    r->index = p[0] & 0x7f;
    r->nmi_masked = p[1] != 0;
    r->dse_fell_back = p[2] != 0;
    p += 3;
    int64_t du = (int64_t)dev_state_get(&p, 8);
    int64_t dp = (int64_t)dev_state_get(&p, 8);
    /* A delta longer than a period is nonsense from a broken file; clamp. */
    if (du > (int64_t)NS_PER_SEC) du = NS_PER_SEC;
    if (dp > (int64_t)NS_PER_SEC) dp = NS_PER_SEC;
    r->next_update_ns = from_delta(now, du);
    r->next_periodic_ns = from_delta(now, dp);
    r->irq_level = -1;      /* drive the line to whatever C says */
    update_irq(r);
    schedule(r);
    return 0;
}
