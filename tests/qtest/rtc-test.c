/*
 * The CMOS RTC at 0x70/0x71 as a BIOS reads it: the host's UTC date and
 * time in BCD, a guest-set time that sticks, the memory-size bytes for
 * several -m, the CPU count and the -boot order.  Runs against vmu and QEMU's pc.
 */
#include <glib.h>
#include <time.h>

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

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    g_test_add_func("/rtc/time-is-host-utc", test_time_is_host_utc);
    g_test_add_func("/rtc/set-year", test_set_year);
    g_test_add_func("/rtc/memory-128m", test_memory_128m);
    g_test_add_func("/rtc/memory-5g", test_memory_5g);
    g_test_add_func("/rtc/boot-order", test_boot_order);
    return g_test_run();
}
