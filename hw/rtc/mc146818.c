/*
 * MC146818 RTC and its CMOS RAM: the index port 0x70 (bit 7 masks NMI),
 * the data port 0x71.  The clock is the host's UTC plus an offset that
 * guest writes to the time registers move; the other bytes are the CMOS
 * layout QEMU's pc fills for SeaBIOS.
 */
#include <glib.h>
#include <string.h>
#include <time.h>

#include "hw/rtc/mc146818rtc.h"
#include "system/memory.h"
#include "util/trace.h"

enum {
    RTC_SECONDS = 0x00, RTC_MINUTES = 0x02, RTC_HOURS = 0x04,
    RTC_DAY_OF_WEEK = 0x06, RTC_DAY_OF_MONTH = 0x07, RTC_MONTH = 0x08,
    RTC_YEAR = 0x09, RTC_REG_A = 0x0a, RTC_REG_B = 0x0b, RTC_REG_C = 0x0c,
    RTC_REG_D = 0x0d, RTC_CENTURY = 0x32,
};
#define REG_B_SET    0x80
#define REG_B_24H    0x02
#define REG_B_BINARY 0x04
#define REG_D_VRT    0x80

static struct {
    uint8_t cmos[128];
    uint8_t index;
    bool nmi_masked;
    int64_t offset;             /* guest time - host time, seconds */
    IORegion io;
} rtc;

static uint8_t to_bcd(unsigned v)
{
    return rtc.cmos[RTC_REG_B] & REG_B_BINARY ? v : (v / 10) << 4 | v % 10;
}

static unsigned from_bcd(uint8_t v)
{
    return rtc.cmos[RTC_REG_B] & REG_B_BINARY ? v : (v >> 4) * 10 + (v & 15);
}

static bool rtc_is_clock(unsigned index)
{
    return index <= RTC_YEAR || index == RTC_CENTURY;
}

static struct tm rtc_now(void)
{
    time_t t = time(NULL) + rtc.offset;
    struct tm tm;
    gmtime_r(&t, &tm);
    return tm;
}

static uint8_t rtc_clock_read(unsigned index)
{
    struct tm tm = rtc_now();
    switch (index) {
    case RTC_SECONDS:
        return to_bcd(tm.tm_sec);
    case RTC_MINUTES:
        return to_bcd(tm.tm_min);
    case RTC_HOURS:
        if (rtc.cmos[RTC_REG_B] & REG_B_24H) {
            return to_bcd(tm.tm_hour);
        }
        /* 12-hour mode: 12, 1..11, bit 7 for PM. */
        return to_bcd(tm.tm_hour % 12 ? tm.tm_hour % 12 : 12) |
               (tm.tm_hour >= 12 ? 0x80 : 0);
    case RTC_DAY_OF_WEEK:
        return to_bcd(tm.tm_wday + 1);
    case RTC_DAY_OF_MONTH:
        return to_bcd(tm.tm_mday);
    case RTC_MONTH:
        return to_bcd(tm.tm_mon + 1);
    case RTC_YEAR:
        return to_bcd(tm.tm_year % 100);
    case RTC_CENTURY:
        return to_bcd((tm.tm_year + 1900) / 100);
    }
    return rtc.cmos[index];     /* alarm registers */
}

/* The guest set one field: move the offset so the clock reads it. */
static void rtc_clock_write(unsigned index, uint8_t value)
{
    struct tm tm = rtc_now();
    unsigned v = from_bcd(value & (index == RTC_HOURS ? 0x7f : 0xff));
    switch (index) {
    case RTC_SECONDS:
        tm.tm_sec = v;
        break;
    case RTC_MINUTES:
        tm.tm_min = v;
        break;
    case RTC_HOURS:
        if (!(rtc.cmos[RTC_REG_B] & REG_B_24H)) {
            v = v % 12 + (value & 0x80 ? 12 : 0);
        }
        tm.tm_hour = v;
        break;
    case RTC_DAY_OF_MONTH:
        tm.tm_mday = v;
        break;
    case RTC_MONTH:
        tm.tm_mon = v - 1;
        break;
    case RTC_YEAR:
        tm.tm_year = tm.tm_year / 100 * 100 + v;
        break;
    case RTC_CENTURY:
        tm.tm_year = (v * 100 + tm.tm_year % 100) - 1900;
        break;
    default:
        rtc.cmos[index] = value;    /* day of week, alarms: kept as is */
        return;
    }
    rtc.offset = (int64_t)timegm(&tm) - time(NULL);
    trace(rtc_set_time, "register 0x%x = 0x%x: offset %" G_GINT64_FORMAT
          " s", index, value, rtc.offset);
}

uint8_t rtc_cmos_read(unsigned index)
{
    index &= 0x7f;
    if (rtc_is_clock(index)) {
        return rtc_clock_read(index);
    }
    uint8_t v = rtc.cmos[index];
    if (index == RTC_REG_C) {
        rtc.cmos[RTC_REG_C] = 0;    /* read clears the flags */
    }
    return v;
}

void rtc_cmos_set(unsigned index, uint8_t value)
{
    rtc.cmos[index & 0x7f] = value;
}

static uint64_t rtc_io_read(void *opaque, uint64_t offset, unsigned size)
{
    return offset == 1 ? rtc_cmos_read(rtc.index) : 0xff;
}

static void rtc_io_write(void *opaque, uint64_t offset, uint64_t value,
                         unsigned size)
{
    if (offset == 0) {
        rtc.index = value & 0x7f;
        rtc.nmi_masked = value & 0x80;
        return;
    }
    unsigned i = rtc.index;
    if (rtc_is_clock(i)) {
        rtc_clock_write(i, value);
    } else if (i == RTC_REG_A) {
        rtc.cmos[i] = value & 0x7f;         /* UIP is read-only */
    } else if (i != RTC_REG_C && i != RTC_REG_D) {
        rtc.cmos[i] = value;
    }
}

static const MemoryRegionOps rtc_io_ops = {
    .read = rtc_io_read,
    .write = rtc_io_write,
};

static void cmos_set16(unsigned index, uint64_t v)
{
    v = MIN(v, 0xffff);
    rtc.cmos[index] = v;
    rtc.cmos[index + 1] = v >> 8;
}

/* The memory bytes in QEMU's pc layout (what SeaBIOS falls back on). */
static void rtc_cmos_memory(const MachineState *ms)
{
    cmos_set16(0x15, 640);                          /* base memory, KiB */
    uint64_t ext = ms->below_4g > (1 << 20) ?
                   (ms->below_4g >> 10) - 1024 : 0; /* KiB above 1 MiB */
    cmos_set16(0x17, ext);
    cmos_set16(0x30, ext);
    uint64_t above16 = ms->below_4g > (16 << 20) ?
                       (ms->below_4g - (16 << 20)) >> 16 : 0;
    cmos_set16(0x34, above16);                      /* 64 KiB units */
    uint64_t high = ms->above_4g >> 16;
    rtc.cmos[0x5b] = high;
    rtc.cmos[0x5c] = high >> 8;
    rtc.cmos[0x5d] = high >> 16;
    rtc.cmos[0x5f] = ms->smp_cpus - 1;
}

bool rtc_init(const MachineState *ms, Error **errp)
{
    memset(rtc.cmos, 0, sizeof(rtc.cmos));
    rtc.cmos[RTC_REG_A] = 0x26;         /* 32.768 kHz, 1024 Hz rate */
    rtc.cmos[RTC_REG_B] = REG_B_24H;    /* BCD, 24-hour */
    rtc.cmos[RTC_REG_D] = REG_D_VRT;    /* battery good */
    rtc.cmos[0x14] = 0x02;              /* equipment: FPU; no floppy, mouse */
    rtc_cmos_memory(ms);
    io_region_init(&rtc.io, "mc146818rtc", AS_IO, 2, &rtc_io_ops, NULL);
    return io_region_map(&rtc.io, RTC_IO_BASE, errp);
}
