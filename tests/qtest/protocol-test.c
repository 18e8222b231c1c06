/*
 * The qtest protocol itself: reply formats as QEMU gives them, memory and
 * port access, and malformed commands that must not take vmu down.
 */
#include <glib.h>
#include <string.h>

#include "libqos.h"

static void expect_reply(QTestState *s, const char *cmd, const char *want)
{
    char *r = qtest_rsp(s, "%s", cmd);
    g_assert_cmpstr(r, ==, want);
    g_free(r);
}

static void test_reply_formats(void)
{
    QTestState *s = qtest_init("");
    expect_reply(s, "writeq 0x1000 0x1122334455667788", "OK");
    expect_reply(s, "readq 0x1000", "OK 0x1122334455667788");
    expect_reply(s, "readl 0x1000", "OK 0x0000000055667788");
    expect_reply(s, "readb 0x1000", "OK 0x0000000000000088");
    expect_reply(s, "read 0x1000 4", "OK 0x88776655");
    expect_reply(s, "write 0x1000 3 0xab", "OK");
    expect_reply(s, "read 0x1000 4", "OK 0xab000055");
    expect_reply(s, "b64write 0x1000 4 AQIDBA==", "OK");
    expect_reply(s, "b64read 0x1000 4", "OK AQIDBA==");
    expect_reply(s, "memset 0x1000 4 0x5a", "OK");
    expect_reply(s, "read 0x1000 4", "OK 0x5a5a5a5a");
    expect_reply(s, "outl 0xcf8 0x80000000", "OK");
    expect_reply(s, "inb 0xcfc", "OK 0x0086");
    expect_reply(s, "inl 0xcfc", "OK 0x12378086");
    expect_reply(s, "endianness", "OK little");
    expect_reply(s, "quit", "FAIL Unknown command 'quit'");
    expect_reply(s, "irq_intercept_in nosuchdevice", "FAIL Unknown device");
    expect_reply(s, "irq_intercept_in ioapic", "OK");
    expect_reply(s, "write 0x1000 1 0", "ERR invalid argument size");
    qtest_quit(s);
}

static void test_malformed(void)
{
    if (qtest_using_qemu()) {
        g_test_skip("QEMU 7.2 aborts on these (g_assert in qtest.c)");
        return;
    }
    QTestState *s = qtest_init("");
    static const char *const bad[] = {
        "", "readl", "readl zzz", "outb 0x80", "inl 0x10000", "read 0x1000 0",
        "read 0x1000", "write 0x1000 4 0xzz", "b64write 0x1000",
        "memset 0x1000", "clock_set", "clock_step abc", "irq_intercept_in",
        "read 0 0xffffffffffffffff", "writel", "outl 0xcf8",
    };
    for (unsigned i = 0; i < G_N_ELEMENTS(bad); i++) {
        char *r = qtest_rsp(s, "%s", bad[i]);
        g_assert_true(g_str_has_prefix(r, "FAIL") ||
                      g_str_has_prefix(r, "ERR"));
        g_free(r);
    }
    /* Still answering. */
    expect_reply(s, "endianness", "OK little");
    qtest_quit(s);
}

static void test_clock(void)
{
    if (qtest_using_qemu()) {
        g_test_skip("QEMU 7.2 under TCG has no qtest clock (FAIL Unknown "
                    "command 'clock_step')");
        return;
    }
    QTestState *s = qtest_init("");
    expect_reply(s, "clock_step 100", "OK 100");
    expect_reply(s, "clock_set 5000", "OK 5000");
    expect_reply(s, "clock_step", "OK 5000");
    qtest_quit(s);
}

static void test_holes_read_ones(void)
{
    if (qtest_using_qemu()) {
        g_test_skip("QEMU reads unassigned memory as 0, vmu as all-ones");
        return;
    }
    QTestState *s = qtest_init("");
    expect_reply(s, "readl 0xd0000000", "OK 0x00000000ffffffff");
    expect_reply(s, "inw 0x1234", "OK 0xffff");
    /* RAM ends at 128 MiB. */
    expect_reply(s, "readb 0x8000000", "OK 0x00000000000000ff");
    qtest_quit(s);
}

/*
 * The last byte of the address space and accesses that wrap past 2^64 must
 * each get an answer (they once spun vmu forever).  A hole reads as
 * all-ones in vmu and as 0 in QEMU; nothing wraps round to address 0.
 */
static void test_top_of_address_space(void)
{
    QTestState *s = qtest_init("");
    bool qemu = qtest_using_qemu();
    const char *b = qemu ? "00" : "ff";
    char *want;

    expect_reply(s, "writeq 0x0 0x1122334455667788", "OK");
    want = g_strdup_printf("OK 0x00000000000000%s", b);
    expect_reply(s, "readb 0xffffffffffffffff", want);
    g_free(want);
    expect_reply(s, "writeb 0xffffffffffffffff 0x5a", "OK");
    expect_reply(s, "writeq 0xffffffffffffffff 0x5a5a5a5a5a5a5a5a", "OK");
    expect_reply(s, "writeq 0xfffffffffffffffc 0x5a5a5a5a5a5a5a5a", "OK");
    expect_reply(s, "write 0xfffffffffffffffe 4 0x5a5a5a5a", "OK");
    expect_reply(s, "b64write 0xfffffffffffffffd 8 WlpaWlpaWlo=", "OK");
    expect_reply(s, "memset 0xffffffffffffffff 1 0x5a", "OK");
    expect_reply(s, "memset 0xfffffffffffff000 0x2000 0x5a", "OK");
    if (qemu) {
        /* QEMU 7.2 wraps these round to address 0; vmu cuts them at 2^64. */
        qtest_quit(s);
        return;
    }
    expect_reply(s, "read 0xfffffffffffffffe 4", "OK 0xffffffff");
    expect_reply(s, "readq 0xfffffffffffffffc", "OK 0xffffffffffffffff");
    /* Nothing above reached address 0. */
    expect_reply(s, "readq 0x0", "OK 0x1122334455667788");
    qtest_quit(s);
}

static void test_memset_bounded(void)
{
    if (qtest_using_qemu()) {
        g_test_skip("QEMU 7.2 has no memset bound: it tries to allocate the "
                    "whole size and aborts");
        return;
    }
    QTestState *s = qtest_init("");
    expect_reply(s, "memset 0x0 0xffffffffffff0000 0x0",
                 "FAIL size must be 0 to 268435456");
    expect_reply(s, "memset 0x0 -1 0x0", "FAIL size must be 0 to 268435456");
    expect_reply(s, "memset 0x0 0x10000001 0x0",
                 "FAIL size must be 0 to 268435456");
    expect_reply(s, "memset 0x1000 0 0x5a", "OK");
    expect_reply(s, "memset 0x1000 4 0x5a", "OK");
    expect_reply(s, "read 0x1000 4", "OK 0x5a5a5a5a");
    qtest_quit(s);
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    g_test_add_func("/qtest/reply-formats", test_reply_formats);
    g_test_add_func("/qtest/malformed-commands-do-not-crash", test_malformed);
    g_test_add_func("/qtest/virtual-clock", test_clock);
    g_test_add_func("/qtest/holes-read-all-ones", test_holes_read_ones);
    g_test_add_func("/qtest/top-of-address-space", test_top_of_address_space);
    g_test_add_func("/qtest/memset-bounded", test_memset_bounded);
    return g_test_run();
}
