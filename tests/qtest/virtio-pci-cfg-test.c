/*
 * The VIRTIO_PCI_CAP_PCI_CFG capability (virtio 1.2, 4.1.4.9), used the way
 * SeaBIOS does when it cannot reach a BAR: write bar, offset and length
 * into the capability, then read or write its data field.  The common
 * configuration in BAR 4 and the MSI-X table in BAR 1 are read and written
 * through it, before the BARs are placed and after, and checked against
 * the same registers through memory.  Runs against vmu and QEMU's pc.
 */
#include <glib.h>

#include "libqos.h"

#define PCI_CAP_VNDR    0x09
#define CAP_PCI_CFG     5
#define CFG_BAR         4
#define CFG_OFFSET      8
#define CFG_LENGTH      12
#define CFG_DATA        16

typedef struct Window {
    QTestState *s;
    uint8_t devfn, cap;
} Window;

static void start(QTestState **s, QPCIDevice *dev, Window *w)
{
    *s = qtest_init("-netdev user,id=n0 -device virtio-net-pci,netdev=n0,"
                    "disable-legacy=on");
    g_assert_true(qpci_find(*s, 0x1af4, 0x1041, dev));
    w->s = *s;
    w->devfn = dev->devfn;
    w->cap = 0;
    /* The spec: the device MUST present at least one (4.1.4.9). */
    for (uint8_t c = qpci_find_capability(dev, PCI_CAP_VNDR, 0); c;
         c = qpci_find_capability(dev, PCI_CAP_VNDR, c)) {
        if (qpci_config_read(*s, dev->devfn, c + 3, 1) == CAP_PCI_CFG) {
            g_assert_cmpuint(qpci_config_read(*s, dev->devfn, c + 2, 1), >=,
                             20);
            w->cap = c;
            break;
        }
    }
    g_assert_cmpuint(w->cap, !=, 0);
}

static void window_set(Window *w, uint8_t bar, uint32_t off, uint32_t len)
{
    qpci_config_write(w->s, w->devfn, w->cap + CFG_BAR, bar, 1);
    qpci_config_write(w->s, w->devfn, w->cap + CFG_OFFSET, off, 4);
    qpci_config_write(w->s, w->devfn, w->cap + CFG_LENGTH, len, 4);
}

static uint32_t window_read(Window *w, uint8_t bar, uint32_t off,
                            uint32_t len)
{
    window_set(w, bar, off, len);
    return qpci_config_read(w->s, w->devfn, w->cap + CFG_DATA, len);
}

static void window_write(Window *w, uint8_t bar, uint32_t off, uint32_t len,
                         uint32_t v)
{
    window_set(w, bar, off, len);
    qpci_config_write(w->s, w->devfn, w->cap + CFG_DATA, v, len);
}

static uint64_t window_features(Window *w)
{
    window_write(w, 4, VPCI_DFSELECT, 4, 1);
    uint64_t hi = window_read(w, 4, VPCI_DF, 4);
    window_write(w, 4, VPCI_DFSELECT, 4, 0);
    return hi << 32 | window_read(w, 4, VPCI_DF, 4);
}

/* As SeaBIOS: BARs not placed, decoding off; the window still works. */
static void test_common_before_bars(void)
{
    QTestState *s;
    QPCIDevice dev;
    Window w;
    start(&s, &dev, &w);
    g_assert_cmphex(qpci_config_read(s, dev.devfn, 0x04, 2) & 2, ==, 0);

    uint64_t f = window_features(&w);
    g_assert_true(f & (1ULL << VIRTIO_F_VERSION_1));
    g_assert_true(f & (1ULL << 5));                     /* MAC */
    g_assert_cmpuint(window_read(&w, 4, VPCI_NUM_QUEUES, 2), >=, 2);
    g_assert_cmpuint(window_read(&w, 4, VPCI_STATUS, 1), ==, 0);
    window_write(&w, 4, VPCI_STATUS, 1, VIRTIO_STATUS_ACKNOWLEDGE);
    g_assert_cmpuint(window_read(&w, 4, VPCI_STATUS, 1), ==,
                     VIRTIO_STATUS_ACKNOWLEDGE);
    /* The queue size of queue 1, selected through the window too. */
    window_write(&w, 4, VPCI_Q_SELECT, 2, 1);
    g_assert_cmpuint(window_read(&w, 4, VPCI_Q_SELECT, 2), ==, 1);
    g_assert_cmpuint(window_read(&w, 4, VPCI_Q_SIZE, 2), >, 0);
    qtest_quit(s);
}

/* With the BARs placed, the window and memory see the same registers. */
static void test_common_same_as_memory(void)
{
    QTestState *s;
    QPCIDevice dev;
    Window w;
    QVirtioPCI v;
    start(&s, &dev, &w);
    g_assert_true(qvirtio_pci_probe(s, 1, &v));

    g_assert_cmphex(window_features(&w), ==, qvirtio_get_features(&v));
    qvirtio_set_status(&v, VIRTIO_STATUS_ACKNOWLEDGE);
    g_assert_cmpuint(window_read(&w, 4, VPCI_STATUS, 1), ==,
                     VIRTIO_STATUS_ACKNOWLEDGE);
    window_write(&w, 4, VPCI_STATUS, 1,
                 VIRTIO_STATUS_ACKNOWLEDGE | VIRTIO_STATUS_DRIVER);
    g_assert_cmpuint(qvirtio_get_status(&v), ==,
                     VIRTIO_STATUS_ACKNOWLEDGE | VIRTIO_STATUS_DRIVER);
    /* 4 bytes of the MAC in the device config, both ways. */
    uint32_t off = v.device - v.pci.bar[4];
    g_assert_cmphex(window_read(&w, 4, off, 4), ==,
                    qvirtio_config_readl(&v, 0));
    qtest_quit(s);
}

/* Another BAR: the MSI-X table (BAR 1), entry 0. */
static void test_msix_table(void)
{
    QTestState *s;
    QPCIDevice dev;
    Window w;
    if (qtest_using_qemu()) {
        g_test_skip("QEMU 7.2's window reaches only the virtio structures "
                    "in BAR 4 (virtio_address_space_lookup), not BAR 1");
        return;
    }
    start(&s, &dev, &w);
    g_assert_cmpuint(window_read(&w, 1, 12, 4) & 1, ==, 1);   /* masked */
    window_write(&w, 1, 8, 4, 0x4142);                          /* data */
    g_assert_cmphex(window_read(&w, 1, 8, 4), ==, 0x4142);
    qtest_quit(s);
}

/* A driver's bad window (length 3, outside the BAR, no such BAR) does
 * nothing; vmu keeps running and the next good access works. */
static void test_bad_window(void)
{
    QTestState *s;
    QPCIDevice dev;
    Window w;
    if (qtest_using_qemu()) {
        g_test_skip("QEMU: what a bad window does is unspecified");
        return;
    }
    start(&s, &dev, &w);
    window_write(&w, 4, VPCI_STATUS, 3, 0xff);
    g_assert_cmpuint(window_read(&w, 4, VPCI_STATUS, 3), ==, 0);
    g_assert_cmpuint(window_read(&w, 4, 0x100000, 4), ==, 0);
    g_assert_cmpuint(window_read(&w, 3, 0, 4), ==, 0);
    g_assert_cmpuint(window_read(&w, 4, VPCI_STATUS + 1, 2), ==, 0);
    g_assert_cmpuint(window_read(&w, 4, VPCI_STATUS, 1), ==, 0);
    qtest_quit(s);
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    g_test_add_func("/virtio-pci/pci-cfg/common-before-bars",
                    test_common_before_bars);
    g_test_add_func("/virtio-pci/pci-cfg/same-as-memory",
                    test_common_same_as_memory);
    g_test_add_func("/virtio-pci/pci-cfg/msix-table", test_msix_table);
    g_test_add_func("/virtio-pci/pci-cfg/bad-window", test_bad_window);
    return g_test_run();
}
