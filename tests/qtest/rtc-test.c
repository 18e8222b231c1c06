/*
 * The CMOS RTC at 0x70/0x71 as a BIOS reads it: the host's UTC date and
 * time in BCD, a guest-set time that sticks, the memory-size bytes for
 * several -m, the CPU count and the -boot order; -rtc base= and clock=;
 * register B's SET mode; the three interrupt sources on IRQ 8 (periodic at
 * register A's rate, update-ended, alarm), as the MC146818 data sheet
 * describes them.  Runs against vmu and QEMU's pc.
 */
#include <glib.h>
#include <glib/gstdio.h>
#include <stdlib.h>
#include <time.h>

#include "libqos.h"
#include "libqtest.h"

static uint8_t cmos_read(QTestState *s, uint8_t index)
{
    qtest_outb(s, 0x70, index);
    return qtest_inb(s, 0x71);
}

static void cmos_write(QTestState *s, uint8_t index, uint8_t v)
{
    qtest_outb(s, 0x70, index);
    qtest_outb(s, 0x71, v);
}

static unsigned bcd(uint8_t v)
{
    return (v >> 4) * 10 + (v & 15);
}

static unsigned cmos16(QTestState *s, uint8_t index)
{
    return cmos_read(s, index) | cmos_read(s, index + 1) << 8;
}

/* The RTC's date and time as seconds since the epoch (UTC). */
static time_t rtc_time(QTestState *s)
{
    struct tm tm = { 0 };
    tm.tm_sec = bcd(cmos_read(s, 0x00));
    tm.tm_min = bcd(cmos_read(s, 0x02));
    tm.tm_hour = bcd(cmos_read(s, 0x04));
    tm.tm_mday = bcd(cmos_read(s, 0x07));
    tm.tm_mon = bcd(cmos_read(s, 0x08)) - 1;
    tm.tm_year = bcd(cmos_read(s, 0x32)) * 100 + bcd(cmos_read(s, 0x09)) -
                 1900;
    return timegm(&tm);
}

static void test_time_is_host_utc(void)
{
    QTestState *s = qtest_init("");
    /* BCD and 24-hour by default; the battery is good. */
    g_assert_cmphex(cmos_read(s, 0x0b) & 0x06, ==, 0x02);
    g_assert_cmphex(cmos_read(s, 0x0d) & 0x80, ==, 0x80);
    time_t before = time(NULL);
    time_t t = rtc_time(s);
    time_t after = time(NULL);
    g_assert_cmpint(t, >=, before - 2);
    g_assert_cmpint(t, <=, after + 2);
    /* The NMI mask bit in the index does not change what is read. */
    g_assert_cmphex(cmos_read(s, 0x80 | 0x0d) & 0x80, ==, 0x80);
    qtest_quit(s);
}

static void test_set_year(void)
{
    QTestState *s = qtest_init("");
    cmos_write(s, 0x09, 0x35);          /* BCD 35: the year 2035 */
    g_assert_cmphex(cmos_read(s, 0x09), ==, 0x35);
    /* The rest of the date and the time run on from the host's. */
    time_t now = time(NULL);
    struct tm tm;
    gmtime_r(&now, &tm);
    tm.tm_year = 2035 - 1900;
    time_t want = timegm(&tm);
    time_t t = rtc_time(s);
    g_assert_cmpint(t, >=, want - 2);
    g_assert_cmpint(t, <=, want + 2);
    qtest_quit(s);
}

static void test_memory_128m(void)
{
    QTestState *s = qtest_init("-m 128 -smp 2");
    g_assert_cmpuint(cmos16(s, 0x15), ==, 640);
    /* KiB above 1 MiB, at most 0xffff. */
    g_assert_cmpuint(cmos16(s, 0x17), ==, 0xffff);
    g_assert_cmpuint(cmos16(s, 0x30), ==, 0xffff);
    /* 64 KiB blocks above 16 MiB: 112 MiB. */
    g_assert_cmpuint(cmos16(s, 0x34), ==, (112 << 20) >> 16);
    g_assert_cmpuint(cmos_read(s, 0x5b) | cmos_read(s, 0x5c) << 8 |
                     cmos_read(s, 0x5d) << 16, ==, 0);
    g_assert_cmpuint(cmos_read(s, 0x5f), ==, 1);    /* CPUs - 1 */
    qtest_quit(s);
}

static void test_memory_5g(void)
{
    QTestState *s = qtest_init("-m 5G");
    /* 3 GiB below 4 GiB, 2 GiB above. */
    g_assert_cmpuint(cmos16(s, 0x34), ==, ((3ULL << 30) - (16 << 20)) >> 16);
    g_assert_cmpuint(cmos_read(s, 0x5b) | cmos_read(s, 0x5c) << 8 |
                     cmos_read(s, 0x5d) << 16, ==, (2ULL << 30) >> 16);
    qtest_quit(s);
}

/* The boot order in CMOS 0x3d (1st, 2nd) and 0x38 (3rd): a=1 c=2 d=3 n=4. */
static void test_boot_order(void)
{
    QTestState *s = qtest_init("");
    g_assert_cmphex(cmos_read(s, 0x3d), ==, 0x12);      /* default cad */
    g_assert_cmphex(cmos_read(s, 0x38) & 0xf0, ==, 0x30);
    qtest_quit(s);
    s = qtest_init("-boot order=nc");
    g_assert_cmphex(cmos_read(s, 0x3d), ==, 0x24);
    g_assert_cmphex(cmos_read(s, 0x38) & 0xf0, ==, 0x00);
    qtest_quit(s);
}

static double now_s(void)
{
    return g_get_monotonic_time() / 1e6;
}

/* -rtc base=DATE: the clock starts there and runs on. */
static void test_base_date(void)
{
    struct tm tm = { .tm_year = 106, .tm_mon = 5, .tm_mday = 17,
                     .tm_hour = 16, .tm_min = 1, .tm_sec = 21 };
    time_t want = timegm(&tm);
    QTestState *s = qtest_init("-rtc base=2006-06-17T16:01:21");
    time_t t = rtc_time(s);
    g_assert_cmpint(t, >=, want);
    g_assert_cmpint(t, <=, want + 5);
    qtest_quit(s);
}

/* base=localtime follows the TZ the VMM runs in (+05:30 here). */
static void test_base_localtime(void)
{
    g_setenv("TZ", "<+0530>-5:30", TRUE);
    QTestState *s = qtest_init("-rtc base=localtime");
    g_unsetenv("TZ");
    time_t t = rtc_time(s);
    time_t host = time(NULL);
    g_assert_cmpint(t, >=, host + 19800 - 2);
    g_assert_cmpint(t, <=, host + 19800 + 2);
    qtest_quit(s);
}

/* clock=rt starts at the host's time, as host does. */
static void test_clock_rt(void)
{
    QTestState *s = qtest_init("-rtc base=utc,clock=rt");
    time_t t = rtc_time(s);
    time_t host = time(NULL);
    g_assert_cmpint(t, >=, host - 2);
    g_assert_cmpint(t, <=, host + 2);
    qtest_quit(s);
}

typedef struct HostWait {
    time_t until;
} HostWait;

static bool host_time_reached(QTestState *s, void *opaque)
{
    return time(NULL) >= ((HostWait *)opaque)->until;
}

/* Two host seconds or more pass (the host's clock is the event). */
static void host_seconds_pass(QTestState *s, unsigned n)
{
    HostWait w = { time(NULL) + n };
    g_assert_true(qtest_wait_until(s, host_time_reached, &w, (n + 5) * 1000));
}

static bool rtc_moved_past(QTestState *s, void *opaque)
{
    return rtc_time(s) > *(time_t *)opaque;
}

/*
 * clock=vm: the clock stands while the VM does (-S, then stop) and runs
 * from cont.  vmu only: under qtest QEMU's vm clock is the one the test
 * steps by hand (clock_step), so it never runs there by itself.
 */
static void test_clock_vm(void)
{
    char *dir = g_dir_make_tmp("rtc-test-XXXXXX", NULL);
    char *qmp = g_build_filename(dir, "qmp.sock", NULL);
    QTestState *s = qtest_initf("-S -rtc clock=vm -qmp unix:%s,server=on,"
                                "wait=off", qmp);
    QmpClient q;
    qmp_connect(&q, qmp);
    time_t t1 = rtc_time(s);
    host_seconds_pass(s, 2);
    g_assert_cmpint(rtc_time(s), ==, t1);       /* prelaunch: it stands */
    g_free(qmp_cmd(&q, "{\"execute\":\"cont\"}\n"));
    g_assert_true(qtest_wait_until(s, rtc_moved_past, &t1, 10000));
    g_free(qmp_cmd(&q, "{\"execute\":\"stop\"}\n"));
    time_t t3 = rtc_time(s);
    host_seconds_pass(s, 2);
    g_assert_cmpint(rtc_time(s), ==, t3);       /* stopped: it stands */
    qmp_close(&q);
    qtest_quit(s);
    g_unlink(qmp);
    g_rmdir(dir);
    g_free(qmp);
    g_free(dir);
}

/* Register B's SET bit stops the clock for writing; clearing it restarts
 * the clock from what was written. */
static void test_set_mode(void)
{
    QTestState *s = qtest_init("");
    uint8_t b = cmos_read(s, 0x0b);
    cmos_write(s, 0x0b, b | 0x80);
    cmos_write(s, 0x00, 0x56);
    cmos_write(s, 0x02, 0x34);
    cmos_write(s, 0x04, 0x12);
    cmos_write(s, 0x07, 0x02);
    cmos_write(s, 0x08, 0x01);
    cmos_write(s, 0x09, 0x30);
    struct tm tm = { .tm_year = 130, .tm_mon = 0, .tm_mday = 2,
                     .tm_hour = 12, .tm_min = 34, .tm_sec = 56 };
    time_t want = timegm(&tm);
    /* Stopped: it reads what was written, however long we take. */
    g_assert_cmpint(rtc_time(s), ==, want);
    g_assert_cmphex(cmos_read(s, 0x0a) & 0x80, ==, 0);
    g_assert_cmpint(rtc_time(s), ==, want);
    cmos_write(s, 0x0b, b);
    time_t t = rtc_time(s);
    g_assert_cmpint(t, >=, want);
    g_assert_cmpint(t, <=, want + 2);
    qtest_quit(s);
}

typedef struct FlagWait {
    uint8_t mask;
    uint8_t seen;
    bool fast;          /* a rate at which the next tick may come at once */
} FlagWait;

/* IRQ 8 is up and register C holds the flags; reading C lowers it. */
static bool rtc_irq_flags(QTestState *s, void *opaque)
{
    FlagWait *w = opaque;
    if (!qtest_get_irq(s, 8)) {
        return false;
    }
    w->seen = cmos_read(s, 0x0c);
    if (!w->fast) {
        g_assert_false(qtest_get_irq(s, 8));
    }
    return (w->seen & w->mask) == w->mask;
}

static QTestState *rtc_irq_init(void)
{
    QTestState *s = qtest_init("");
    qtest_irq_intercept_in(s, "ioapic");
    cmos_read(s, 0x0c);                 /* clear what is pending */
    return s;
}

/* Periodic: PF and IRQF at register A's rate (RS 0xf: 2 Hz, RS 3: 8 kHz);
 * never faster than the rate, and going on as long as it is enabled. */
static void test_periodic(void)
{
    QTestState *s = rtc_irq_init();
    cmos_write(s, 0x0a, 0x2f);          /* 2 Hz */
    cmos_write(s, 0x0b, cmos_read(s, 0x0b) | 0x40);
    FlagWait w = { .mask = 0xc0 };
    double t0 = now_s();
    unsigned ticks = 0;
    while (ticks < 3) {
        g_assert_true(qtest_wait_until(s, rtc_irq_flags, &w, 10000));
        ticks++;
    }
    /* 3 ticks at 2 Hz take at least 1 s (the first may come at once). */
    g_assert_cmpfloat(now_s() - t0, >=, 0.9);
    /* A fast rate gives many ticks soon. */
    cmos_write(s, 0x0a, 0x23);          /* 8192 Hz */
    w.fast = true;
    t0 = now_s();
    for (ticks = 0; ticks < 50; ticks++) {
        g_assert_true(qtest_wait_until(s, rtc_irq_flags, &w, 10000));
    }
    g_assert_cmpfloat(now_s() - t0, <, 10.0);
    /* Disabled: no more periodic flags. */
    cmos_write(s, 0x0b, cmos_read(s, 0x0b) & ~0x40);
    cmos_read(s, 0x0c);
    g_assert_false(qtest_get_irq(s, 8));
    qtest_quit(s);
}

typedef struct SecondsWait {
    unsigned start;
} SecondsWait;

static bool seconds_passed_3(QTestState *s, void *opaque)
{
    SecondsWait *w = opaque;
    return (bcd(cmos_read(s, 0x00)) + 60 - w->start) % 60 >= 3;
}

/*
 * driftfix=slew: periodic ticks the guest did not acknowledge are handed
 * over later.  At 2 Hz, more than 2 s without reading register C lose 3
 * ticks or more; then 4 interrupts come quickly (the pending one and 3
 * lost), where without slew the last 3 wait for ticks: 1 s at least.
 */
static double slew_catch_up(const char *args)
{
    QTestState *s = qtest_init(args);
    qtest_irq_intercept_in(s, "ioapic");
    cmos_write(s, 0x0a, 0x2f);
    cmos_write(s, 0x0b, cmos_read(s, 0x0b) | 0x40);
    FlagWait w = { .mask = 0xc0, .fast = true };    /* lost ticks follow */
    g_assert_true(qtest_wait_until(s, rtc_irq_flags, &w, 10000));
    SecondsWait sw = { bcd(cmos_read(s, 0x00)) };
    g_assert_true(qtest_wait_until(s, seconds_passed_3, &sw, 10000));
    double t0 = now_s();
    for (unsigned i = 0; i < 4; i++) {
        g_assert_true(qtest_wait_until(s, rtc_irq_flags, &w, 10000));
    }
    double took = now_s() - t0;
    qtest_quit(s);
    return took;
}

static void test_slew(void)
{
    g_assert_cmpfloat(slew_catch_up("-rtc driftfix=slew"), <, 0.9);
    g_assert_cmpfloat(slew_catch_up("-rtc driftfix=none"), >=, 0.9);
}

/* Update-ended: UF and IRQF once a second. */
static void test_update_ended(void)
{
    QTestState *s = rtc_irq_init();
    cmos_write(s, 0x0b, cmos_read(s, 0x0b) | 0x10);
    FlagWait w = { .mask = 0x90 };
    double t0 = now_s();
    g_assert_true(qtest_wait_until(s, rtc_irq_flags, &w, 10000));
    g_assert_true(qtest_wait_until(s, rtc_irq_flags, &w, 10000));
    /* Two updates are a second apart at least (the first may be soon). */
    g_assert_cmpfloat(now_s() - t0, >=, 0.9);
    qtest_quit(s);
}

/* Alarm: AF and IRQF when the time matches the alarm bytes, 0xc0 and up
 * matching any value: here, any hour and minute at second now+2. */
static void test_alarm(void)
{
    QTestState *s = rtc_irq_init();
    unsigned sec = bcd(cmos_read(s, 0x00));
    unsigned at = (sec + 2) % 60;
    cmos_write(s, 0x01, (at / 10) << 4 | at % 10);
    cmos_write(s, 0x03, 0xff);
    cmos_write(s, 0x05, 0xff);
    cmos_write(s, 0x0b, cmos_read(s, 0x0b) | 0x20);
    FlagWait w = { .mask = 0xa0 };
    g_assert_true(qtest_wait_until(s, rtc_irq_flags, &w, 10000));
    unsigned now = bcd(cmos_read(s, 0x00));
    g_assert_true(now == at || now == (at + 1) % 60);
    qtest_quit(s);
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    g_test_add_func("/rtc/time-is-host-utc", test_time_is_host_utc);
    g_test_add_func("/rtc/set-year", test_set_year);
    g_test_add_func("/rtc/memory-128m", test_memory_128m);
    g_test_add_func("/rtc/memory-5g", test_memory_5g);
    g_test_add_func("/rtc/boot-order", test_boot_order);
    g_test_add_func("/rtc/base-date", test_base_date);
    g_test_add_func("/rtc/base-localtime", test_base_localtime);
    g_test_add_func("/rtc/clock-rt", test_clock_rt);
    if (!qtest_using_qemu()) {
        g_test_add_func("/rtc/clock-vm", test_clock_vm);
    }
    g_test_add_func("/rtc/set-mode", test_set_mode);
    g_test_add_func("/rtc/irq/periodic", test_periodic);
    g_test_add_func("/rtc/irq/update-ended", test_update_ended);
    g_test_add_func("/rtc/irq/alarm", test_alarm);
    g_test_add_func("/rtc/irq/slew", test_slew);
    return g_test_run();
}
