/*
 * PCI bus 0 as a scan sees it: the i440FX host bridge and PIIX3 at the
 * addresses QEMU's pc uses, configuration mechanism 1, absent slots.
 */
#include <glib.h>

#include "libqos.h"

static void test_host_bridge(void)
{
    QTestState *s = qtest_init("");
    g_assert_cmphex(qpci_config_read(s, 0, 0, 4), ==, 0x12378086);
    g_assert_cmphex(qpci_config_read(s, 0, 0x0a, 2), ==, 0x0600);
    g_assert_cmphex(qpci_config_read(s, 0x08, 0, 4), ==, 0x70008086);
    g_assert_cmphex(qpci_config_read(s, 0x08, 0x0a, 2), ==, 0x0601);
    /* PIIX3 PIRQ routes start disabled (no firmware has run). */
    g_assert_cmphex(qpci_config_read(s, 0x08, 0x60, 4), ==, 0x80808080);
    qtest_quit(s);
}

static void test_config_access_widths(void)
{
    QTestState *s = qtest_init("");
    qtest_outl(s, 0xcf8, 0x80000000);
    g_assert_cmphex(qtest_inl(s, 0xcf8), ==, 0x80000000);
    g_assert_cmphex(qtest_inw(s, 0xcfc), ==, 0x8086);
    g_assert_cmphex(qtest_inw(s, 0xcfe), ==, 0x1237);
    g_assert_cmphex(qtest_inb(s, 0xcfc), ==, 0x86);
    g_assert_cmphex(qtest_inb(s, 0xcfd), ==, 0x80);
    g_assert_cmphex(qtest_inb(s, 0xcfe), ==, 0x37);
    g_assert_cmphex(qtest_inb(s, 0xcff), ==, 0x12);
    /* Without the enable bit, the data port decodes nothing. */
    qtest_outl(s, 0xcf8, 0x00000000);
    g_assert_cmphex(qtest_inl(s, 0xcfc), ==, 0xffffffff);
    qtest_quit(s);
}

static void test_absent_slots(void)
{
    QTestState *s = qtest_init("");
    unsigned found = 0;
    for (unsigned slot = 0; slot < 32; slot++) {
        uint32_t id = qpci_config_read(s, slot << 3, 0, 4);
        if (id != 0xffffffff) {
            found++;
        }
    }
    /* Host bridge and PIIX3 only; every other slot reads all-ones. */
    g_assert_cmpuint(found, ==, 2);
    g_assert_cmphex(qpci_config_read(s, 31 << 3, 0, 4), ==, 0xffffffff);
    /* Bus 1 does not exist. */
    qtest_outl(s, 0xcf8, 0x80010000);
    g_assert_cmphex(qtest_inl(s, 0xcfc), ==, 0xffffffff);
    qtest_quit(s);
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    g_test_add_func("/pci/host-bridge", test_host_bridge);
    g_test_add_func("/pci/config-access-widths", test_config_access_widths);
    g_test_add_func("/pci/absent-slots-read-all-ones", test_absent_slots);
    return g_test_run();
}
