/*
 * MC146818 RTC and its CMOS RAM: the index port 0x70 (bit 7 masks NMI),
 * the data port 0x71.  The clock is a host clock (-rtc clock=host: the
 * wall clock; rt and vm: the monotonic clock) plus an offset that -rtc
 * base= and guest writes to the time registers move.  Its interrupt (IRQ
 * 8) has the three sources of the part: the periodic rate of register A,
 * the update-ended interrupt each second and the alarm; register C tells
 * which and its read clears them.  The other bytes are the CMOS layout
 * QEMU's pc fills for SeaBIOS.
 */
#include <errno.h>
#include <glib.h>
#include <string.h>
#include <sys/timerfd.h>
#include <stdio.h>
#include <time.h>
#include <unistd.h>

#include "hw/rtc/mc146818rtc.h"
#include "system/accel.h"
#include "system/compat-options.h"
#include "system/main-loop.h"
#include "system/memory.h"
#include "system/reset.h"
#include "system/runstate.h"
#include "util/trace.h"

enum {
    RTC_SECONDS = 0x00, RTC_SECONDS_ALARM = 0x01, RTC_MINUTES = 0x02,
    RTC_MINUTES_ALARM = 0x03, RTC_HOURS = 0x04, RTC_HOURS_ALARM = 0x05,
    RTC_DAY_OF_WEEK = 0x06, RTC_DAY_OF_MONTH = 0x07, RTC_MONTH = 0x08,
    RTC_YEAR = 0x09, RTC_REG_A = 0x0a, RTC_REG_B = 0x0b, RTC_REG_C = 0x0c,
    RTC_REG_D = 0x0d, RTC_CENTURY = 0x32,
};
#define RTC_IRQ      8
#define REG_A_UIP    0x80
#define REG_A_DV     0x70       /* divider: 010 runs the 32.768 kHz base */
#define REG_A_DV_ON  0x20
#define REG_A_RS     0x0f       /* periodic rate select */
#define REG_B_SET    0x80
#define REG_B_PIE    0x40
#define REG_B_AIE    0x20
#define REG_B_UIE    0x10
#define REG_B_BINARY 0x04
#define REG_B_24H    0x02
#define REG_C_IRQF   0x80
#define REG_C_PF     0x40
#define REG_C_AF     0x20
#define REG_C_UF     0x10
#define REG_D_VRT    0x80
#define ALARM_ANY    0xc0       /* an alarm byte >= 0xc0 matches anything */
#define NS           INT64_C(1000000000)
#define UIP_NS       244000     /* UIP is set this long before an update */
#define COALESCED_MAX 1000      /* driftfix=slew catches up at most this */

static struct {
    uint8_t cmos[128];
    uint8_t index;
    bool nmi_masked;
    clockid_t clock;            /* CLOCK_REALTIME or CLOCK_MONOTONIC */
    int64_t offset_ns;          /* guest time - host clock */
    bool set_mode;              /* REG_B SET: the clock is stopped */
    struct tm frozen;           /* its time meanwhile */
    bool slew;                  /* -rtc driftfix=slew */
    bool vm_clock;              /* -rtc clock=vm: stops while paused */
    int64_t paused_at;          /* guest time when it stopped, or -1 */
    unsigned coalesced;         /* periodic ticks the guest missed */
    bool irq_level;
    int periodic_fd, second_fd;
    IORegion io;
} rtc;

static int64_t rtc_host_ns(void)
{
    struct timespec ts;
    clock_gettime(rtc.clock, &ts);
    return ts.tv_sec * NS + ts.tv_nsec;
}

static int64_t rtc_guest_ns(void)
{
    return rtc.paused_at >= 0 ? rtc.paused_at : rtc_host_ns() + rtc.offset_ns;
}

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
    if (rtc.set_mode) {
        return rtc.frozen;
    }
    time_t t = rtc_guest_ns() / NS;
    struct tm tm;
    gmtime_r(&t, &tm);
    return tm;
}

static void rtc_update_irq(void)
{
    uint8_t c = rtc.cmos[RTC_REG_C] & ~REG_C_IRQF;
    uint8_t b = rtc.cmos[RTC_REG_B];
    bool level = (c & REG_C_PF && b & REG_B_PIE) ||
                 (c & REG_C_AF && b & REG_B_AIE) ||
                 (c & REG_C_UF && b & REG_B_UIE);
    rtc.cmos[RTC_REG_C] = c | (level ? REG_C_IRQF : 0);
    if (level != rtc.irq_level) {
        rtc.irq_level = level;
        accel_set_irq(RTC_IRQ, level);
    }
}

static bool rtc_running(void)
{
    return (rtc.cmos[RTC_REG_A] & REG_A_DV) == REG_A_DV_ON && !rtc.set_mode &&
           rtc.paused_at < 0;
}

/* Register A's rate: 32768 >> (RS - 1) Hz, with 1 and 2 as 256 and 128. */
static int64_t rtc_period_ns(void)
{
    unsigned rs = rtc.cmos[RTC_REG_A] & REG_A_RS;
    if (!rs) {
        return 0;
    }
    if (rs <= 2) {
        rs += 7;
    }
    return NS * (1 << (rs - 1)) / 32768;
}

static void timerfd_arm(int fd, clockid_t clock, int64_t first_ns,
                        int64_t interval_ns, bool absolute)
{
    struct itimerspec its = {
        .it_value = { first_ns / NS, first_ns % NS },
        .it_interval = { interval_ns / NS, interval_ns % NS },
    };
    timerfd_settime(fd, absolute ? TFD_TIMER_ABSTIME : 0, &its, NULL);
}

/* Re-arm both timers after a change to registers A/B or the time. */
static void rtc_timers_update(void)
{
    int64_t period = rtc_running() &&
                     rtc.cmos[RTC_REG_B] & REG_B_PIE ? rtc_period_ns() : 0;
    timerfd_arm(rtc.periodic_fd, CLOCK_MONOTONIC, period, period, false);
    int64_t next = 0;
    if (rtc_running() && rtc.cmos[RTC_REG_B] & (REG_B_UIE | REG_B_AIE)) {
        /* The next guest second boundary, in host clock time. */
        int64_t g = rtc_guest_ns();
        next = (g / NS + 1) * NS - rtc.offset_ns;
    }
    timerfd_arm(rtc.second_fd, rtc.clock, next, next ? NS : 0, true);
    trace(rtc_timers, "periodic %" G_GINT64_FORMAT " ns, seconds %s",
          period, next ? "on" : "off");
}

static uint64_t timerfd_ticks(int fd)
{
    uint64_t n = 0;
    if (read(fd, &n, sizeof(n)) != sizeof(n)) {
        return 0;
    }
    return n;
}

static gboolean rtc_periodic_tick(int fd, GIOCondition cond, void *opaque)
{
    uint64_t n = timerfd_ticks(fd);
    if (!n) {
        return G_SOURCE_CONTINUE;
    }
    /* Ticks that found the last one unacknowledged, or that the host did
     * not run us for, are lost; driftfix=slew hands them over later. */
    uint64_t lost = n - 1 + !!(rtc.cmos[RTC_REG_C] & REG_C_IRQF);
    if (rtc.slew) {
        rtc.coalesced = MIN(rtc.coalesced + lost, COALESCED_MAX);
    }
    rtc.cmos[RTC_REG_C] |= REG_C_PF;
    rtc_update_irq();
    return G_SOURCE_CONTINUE;
}

static bool alarm_match(uint8_t alarm, uint8_t now)
{
    return alarm >= ALARM_ANY || alarm == now;
}

static gboolean rtc_second_tick(int fd, GIOCondition cond, void *opaque)
{
    if (!timerfd_ticks(fd)) {
        return G_SOURCE_CONTINUE;
    }
    struct tm tm = rtc_now();
    uint8_t hour = rtc.cmos[RTC_REG_B] & REG_B_24H ? to_bcd(tm.tm_hour) :
                   to_bcd(tm.tm_hour % 12 ? tm.tm_hour % 12 : 12) |
                   (tm.tm_hour >= 12 ? 0x80 : 0);
    uint8_t flags = REG_C_UF;
    if (alarm_match(rtc.cmos[RTC_SECONDS_ALARM], to_bcd(tm.tm_sec)) &&
        alarm_match(rtc.cmos[RTC_MINUTES_ALARM], to_bcd(tm.tm_min)) &&
        alarm_match(rtc.cmos[RTC_HOURS_ALARM], hour)) {
        flags |= REG_C_AF;
    }
    rtc.cmos[RTC_REG_C] |= flags;
    rtc_update_irq();
    return G_SOURCE_CONTINUE;
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

/* The clock reads tm from now on (whole seconds). */
static void rtc_clock_set(struct tm *tm)
{
    rtc.offset_ns = (int64_t)timegm(tm) * NS - rtc_host_ns();
    if (rtc.paused_at >= 0) {
        rtc.paused_at = (int64_t)timegm(tm) * NS;
    }
    trace(rtc_set_time, "offset %" G_GINT64_FORMAT " s",
          rtc.offset_ns / NS);
}

/* The guest set one field: in SET mode of the stopped clock, else of the
 * running one, whose offset moves so it reads the field. */
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
    if (rtc.set_mode) {
        rtc.frozen = tm;
        return;
    }
    rtc_clock_set(&tm);
    rtc_timers_update();
}

uint8_t rtc_cmos_read(unsigned index)
{
    index &= 0x7f;
    if (rtc_is_clock(index)) {
        return rtc_clock_read(index);
    }
    uint8_t v = rtc.cmos[index];
    if (index == RTC_REG_A && rtc_running() &&
        rtc_guest_ns() % NS >= NS - UIP_NS) {
        v |= REG_A_UIP;
    }
    if (index == RTC_REG_C) {
        rtc.cmos[RTC_REG_C] = 0;    /* read clears the flags */
        rtc_update_irq();
        if (rtc.coalesced && rtc.cmos[RTC_REG_B] & REG_B_PIE) {
            rtc.coalesced--;        /* slew: a lost tick, now */
            rtc.cmos[RTC_REG_C] |= REG_C_PF;
            rtc_update_irq();
        }
    }
    return v;
}

void rtc_cmos_set(unsigned index, uint8_t value)
{
    rtc.cmos[index & 0x7f] = value;
}

static void rtc_reg_b_write(uint8_t value)
{
    bool set = value & REG_B_SET;
    if (set && !rtc.set_mode) {
        rtc.frozen = rtc_now();
        rtc.set_mode = true;
    } else if (!set && rtc.set_mode) {
        rtc.set_mode = false;
        rtc_clock_set(&rtc.frozen);
    }
    if (set) {
        value &= ~REG_B_UIE;        /* SET also clears UIE */
    }
    rtc.cmos[RTC_REG_B] = value;
    rtc_update_irq();
    rtc_timers_update();
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
        rtc.cmos[i] = value & ~REG_A_UIP;   /* UIP is read-only */
        rtc_timers_update();
    } else if (i == RTC_REG_B) {
        rtc_reg_b_write(value);
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

/*
 * clock=vm: the guest's clock stops while the VM is stopped (stop, -S,
 * an I/O error) and runs on from there at cont, as QEMU's vm clock.
 */
static void rtc_runstate_changed(RunState old_state, RunState new_state,
                                 void *opaque)
{
    bool running = new_state == RUN_STATE_RUNNING;
    if (!running && rtc.paused_at < 0) {
        rtc.paused_at = rtc_host_ns() + rtc.offset_ns;
    } else if (running && rtc.paused_at >= 0) {
        rtc.offset_ns = rtc.paused_at - rtc_host_ns();
        rtc.paused_at = -1;
    }
    rtc_timers_update();
}

static void rtc_runstate_first(void *opaque)
{
    RunState now = runstate_get();
    rtc_runstate_changed(now, now, NULL);
}

/* Power-on and reset: the interrupt enables and flags go, the time stays. */
static void rtc_reset(void *opaque)
{
    rtc.cmos[RTC_REG_B] &= ~(REG_B_PIE | REG_B_AIE | REG_B_UIE | 0x08);
    rtc.cmos[RTC_REG_C] = 0;
    rtc.coalesced = 0;
    rtc_update_irq();
    rtc_timers_update();
}

/*
 * -rtc base= and clock=: where the clock starts and what it follows.  The
 * offset puts the chosen start on the chosen host clock.
 */
static void rtc_base_init(void)
{
    const FirmwareOptions *fw = firmware_options();
    const char *clock = fw->rtc_clock ? fw->rtc_clock : "host";
    const char *base = fw->rtc_base ? fw->rtc_base : "utc";
    rtc.clock = strcmp(clock, "host") ? CLOCK_MONOTONIC : CLOCK_REALTIME;
    rtc.slew = fw->rtc_driftfix && !strcmp(fw->rtc_driftfix, "slew");
    rtc.vm_clock = !strcmp(clock, "vm");
    rtc.paused_at = -1;
    struct timespec wall;
    clock_gettime(CLOCK_REALTIME, &wall);
    int64_t start = wall.tv_sec * NS + wall.tv_nsec;
    if (!strcmp(base, "localtime")) {
        struct tm lt;
        localtime_r(&wall.tv_sec, &lt);
        start += (int64_t)lt.tm_gmtoff * NS;
    } else if (strcmp(base, "utc")) {
        struct tm tm = { 0 };
        /* Checked in phase 1: YYYY-MM-DD or YYYY-MM-DDTHH:MM:SS. */
        sscanf(base, "%4d-%2d-%2dT%2d:%2d:%2d", &tm.tm_year, &tm.tm_mon,
               &tm.tm_mday, &tm.tm_hour, &tm.tm_min, &tm.tm_sec);
        tm.tm_year -= 1900;
        tm.tm_mon -= 1;
        start = (int64_t)timegm(&tm) * NS;
    }
    rtc.offset_ns = start - rtc_host_ns();
    trace(rtc_base, "base %s clock %s: offset %" G_GINT64_FORMAT " s%s",
          base, clock, rtc.offset_ns / NS, rtc.slew ? ", slew" : "");
}

bool rtc_init(const MachineState *ms, Error **errp)
{
    memset(rtc.cmos, 0, sizeof(rtc.cmos));
    rtc.cmos[RTC_REG_A] = 0x26;         /* 32.768 kHz, 1024 Hz rate */
    rtc.cmos[RTC_REG_B] = REG_B_24H;    /* BCD, 24-hour */
    rtc.cmos[RTC_REG_D] = REG_D_VRT;    /* battery good */
    rtc.cmos[0x14] = 0x02;              /* equipment: FPU; no floppy, mouse */
    rtc_cmos_memory(ms);
    rtc_base_init();
    rtc.periodic_fd = timerfd_create(CLOCK_MONOTONIC,
                                     TFD_NONBLOCK | TFD_CLOEXEC);
    rtc.second_fd = timerfd_create(rtc.clock, TFD_NONBLOCK | TFD_CLOEXEC);
    if (rtc.periodic_fd < 0 || rtc.second_fd < 0) {
        error_setg_errno(errp, errno, "cannot create the RTC's timers");
        return false;
    }
    main_loop_add_fd(rtc.periodic_fd, G_IO_IN, rtc_periodic_tick, NULL);
    main_loop_add_fd(rtc.second_fd, G_IO_IN, rtc_second_tick, NULL);
    reset_handler_add(rtc_reset, NULL);
    if (rtc.vm_clock) {
        runstate_listener_add(rtc_runstate_changed, NULL);
        /* The first state (-S: prelaunch) is set without listeners. */
        main_loop_call(rtc_runstate_first, NULL);
    }
    io_region_init(&rtc.io, "mc146818rtc", AS_IO, 2, &rtc_io_ops, NULL);
    return io_region_map(&rtc.io, RTC_IO_BASE, errp);
}
