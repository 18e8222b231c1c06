/*
 * INTx with -kernel, where vmu is the firmware, without a vCPU: the MP
 * table in guest memory read as Linux's mpparse.c and io_apic.c read it
 * (the bus named "PCI", the I/O interrupt entry for slot << 2 | pin - 1),
 * the PIIX3's PIRQ register and the NIC's INTERRUPT_LINE agreeing with it,
 * and a NIC with vectors=0 raising that IOAPIC input for a used TX buffer
 * until the driver reads ISR.  The guest firmware is only loaded (a
 * -kernel to boot is what makes vmu route the PIRQs), never run.  vmu
 * only: QEMU's pc leaves the routing to SeaBIOS, which qtest does not run.
 */
#include <glib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "libqos.h"

typedef struct Route {
    bool found;
    uint8_t pin;                /* IOAPIC input */
    uint16_t flags;             /* polarity, trigger */
} Route;

static uint8_t sum8(const uint8_t *p, size_t n)
{
    uint8_t s = 0;
    while (n--) {
        s += *p++;
    }
    return s;
}

static uint32_t le32(const uint8_t *p)
{
    return p[0] | p[1] << 8 | p[2] << 16 | (uint32_t)p[3] << 24;
}

/* The BIOS area's floating pointer, then the configuration table. */
static Route mp_lookup(QTestState *s, unsigned slot, unsigned pin)
{
    uint8_t *bios = g_malloc(0x10000), *cfg = NULL;
    Route r = { false, 0, 0 };
    bool pci[256] = { false };
    qtest_memread(s, 0xf0000, bios, 0x10000);
    for (unsigned off = 0; off + 16 <= 0x10000; off += 16) {
        const uint8_t *fp = bios + off;
        if (!memcmp(fp, "_MP_", 4) && fp[8] == 1 && sum8(fp, 16) == 0) {
            uint32_t at = le32(fp + 4);
            uint8_t hdr[44];
            qtest_memread(s, at, hdr, sizeof(hdr));
            g_assert_cmpmem(hdr, 4, "PCMP", 4);
            unsigned len = hdr[4] | hdr[5] << 8;
            cfg = g_malloc(len);
            qtest_memread(s, at, cfg, len);
            g_assert_cmpuint(sum8(cfg, len), ==, 0);
            for (int pass = 0; pass < 2; pass++) {
                for (unsigned e = 44; e < len; e += cfg[e] == 0 ? 20 : 8) {
                    const uint8_t *x = cfg + e;
                    g_assert_cmpuint(x[0], <=, 4);
                    if (pass == 0 && x[0] == 1) {
                        pci[x[1]] = !memcmp(x + 2, "PCI   ", 6);
                    } else if (pass == 1 && x[0] == 3 && x[1] == 0 &&
                               pci[x[4]] && (x[5] >> 2) == slot &&
                               (x[5] & 3) == pin - 1) {
                        r.found = true;
                        r.flags = x[2] | x[3] << 8;
                        r.pin = x[7];
                    }
                }
            }
            break;
        }
    }
    g_assert_nonnull(cfg);
    g_free(cfg);
    g_free(bios);
    return r;
}

static bool irq_is(QTestState *s, void *opaque)
{
    return qtest_get_irq(s, GPOINTER_TO_UINT(opaque));
}

static void test_mp_route_and_delivery(void)
{
    const char *fw = g_getenv("QTEST_GUEST_FIRMWARE");
    int sv[2];
    QVirtioPCI dev;
    if (qtest_using_qemu()) {
        g_test_skip("QEMU's pc leaves PIRQ routing and the MP table to "
                    "SeaBIOS, which a qtest machine does not run");
        return;
    }
    g_assert_nonnull(fw);
    g_assert_cmpint(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), ==, 0);
    QTestState *s = qtest_initf("-kernel %s -netdev socket,id=n0,fd=%d "
                                "-device virtio-net-pci,netdev=n0,"
                                "disable-legacy=on,vectors=0,addr=3", fw,
                                sv[1]);
    close(sv[1]);
    g_assert_true(qvirtio_pci_probe(s, 1, &dev));

    /* Slot 3 INTA: PIRQ C on QEMU's pc wiring, IRQ 11 as SeaBIOS routes. */
    uint8_t ipin = qpci_config_read(s, dev.pci.devfn, 0x3d, 1);
    g_assert_cmpuint(ipin, ==, 1);
    Route r = mp_lookup(s, 3, ipin);
    g_assert_true(r.found);
    g_assert_cmpuint(r.pin, ==, 11);
    g_assert_cmphex(r.flags & 0xf, ==, 0xd);        /* level, active high */
    uint8_t piix_pirq = qpci_config_read(s, 0x08, 0x60 + 2, 1);  /* 00:01.0 */
    g_assert_cmpuint(piix_pirq, ==, r.pin);
    g_assert_cmpuint(qpci_config_read(s, dev.pci.devfn, 0x3c, 1), ==,
                     r.pin);

    /* A frame sent with MSI-X absent: the line goes up, ISR brings it
     * down. */
    qtest_irq_intercept_in(s, "ioapic");
    g_assert_true(qvirtio_negotiate(&dev, 1ULL << VIRTIO_F_VERSION_1));
    QVirtQueue *rx = qvirtqueue_setup(&dev, 0, 256, VIRTIO_MSI_NO_VECTOR);
    QVirtQueue *tx = qvirtqueue_setup(&dev, 1, 256, VIRTIO_MSI_NO_VECTOR);
    qvirtio_set_status(&dev, qvirtio_get_status(&dev) |
                       VIRTIO_STATUS_DRIVER_OK);
    g_assert_false(qtest_get_irq(s, r.pin));
    uint64_t buf = guest_alloc(&dev.alloc, 12 + 60, 16);
    qtest_memset(s, buf, 0, 12 + 60);
    QVirtBuf b = { buf, 12 + 60, false };
    qvirtqueue_add(tx, &b, 1, false);
    qvirtqueue_kick(tx);
    uint32_t id, len;
    g_assert_true(qvirtqueue_get_used(tx, &id, &len, 10000));
    g_assert_true(qtest_wait_until(s, irq_is, GUINT_TO_POINTER(r.pin),
                                   10000));
    g_assert_cmphex(qtest_readb(s, dev.isr) & 1, ==, 1);
    g_assert_false(qtest_get_irq(s, r.pin));
    g_free(rx);
    g_free(tx);
    close(sv[0]);
    qtest_quit(s);
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    g_test_add_func("/pci/intx/mp-route-and-delivery",
                    test_mp_route_and_delivery);
    return g_test_run();
}
