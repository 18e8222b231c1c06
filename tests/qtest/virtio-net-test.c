/*
 * virtio-net-pci driven by a qtest "driver": probe, feature negotiation,
 * config space, queue setup, frames through a socket netdev both ways,
 * the control queue, and a malicious driver that must not crash vmu.
 */
#include <arpa/inet.h>
#include <glib.h>
#include <glib/gstdio.h>
#include <stdio.h>
#include <poll.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "libqos.h"

#define F(bit) (1ULL << (bit))
#define NET_F_MTU 3
#define NET_F_MAC 5
#define NET_F_MRG_RXBUF 15
#define NET_F_STATUS 16
#define NET_F_CTRL_VQ 17
#define NET_F_CTRL_RX 18
#define NET_F_CSUM 0
#define NET_F_GUEST_CSUM 1
#define NET_F_GUEST_TSO4 7
#define NET_F_HOST_TSO4 11
#define NET_F_HOST_TSO6 12
#define NET_F_HOST_ECN 13
#define NET_F_CTRL_GUEST_OFFLOADS 2
#define NET_F_CTRL_VLAN 19
#define NET_F_GUEST_ANNOUNCE 21
#define NET_F_MQ 22
#define NET_F_CTRL_MAC_ADDR 23
#define RING_F_INDIRECT_DESC 28
#define RING_F_EVENT_IDX 29
#define NET_F_SPEED_DUPLEX 63
#define HDR 12
#define MSI_ADDR 0x00f00000ULL      /* MSI-X vectors write into guest RAM */

typedef struct Ctx {
    QTestState *s;
    QVirtioPCI dev;
    int sock;                       /* our end of the socket netdev */
} Ctx;

static void start(Ctx *c, const char *devopts)
{
    int sv[2];
    g_assert_cmpint(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), ==, 0);
    int bufsz = 4 << 20;
    setsockopt(sv[0], SOL_SOCKET, SO_RCVBUF, &bufsz, sizeof(bufsz));
    setsockopt(sv[0], SOL_SOCKET, SO_SNDBUF, &bufsz, sizeof(bufsz));
    c->s = qtest_initf("-netdev socket,id=n0,fd=%d -device virtio-net-pci,"
                       "netdev=n0,disable-legacy=on%s", sv[1],
                       devopts ? devopts : "");
    close(sv[1]);
    c->sock = sv[0];
    g_assert_true(qvirtio_pci_probe(c->s, 1, &c->dev));
}

static void stop(Ctx *c)
{
    close(c->sock);
    qtest_quit(c->s);
}

static void test_probe(void)
{
    Ctx c;
    start(&c, NULL);
    QPCIDevice *p = &c.dev.pci;
    g_assert_cmphex(qpci_config_read(c.s, p->devfn, 0, 4), ==, 0x10411af4);
    g_assert_cmphex(qpci_config_read(c.s, p->devfn, 0x09, 4) >> 8, ==,
                    0x020000);
    g_assert_cmphex(qpci_config_read(c.s, p->devfn, 0x2c, 2), ==, 0x1af4);
    g_assert_cmpuint((p->devfn >> 3), ==, 2);
    /* common, notify, ISR and device caps, plus MSI-X. */
    g_assert_cmphex(c.dev.caps_found, ==, 0x1e);
    g_assert_cmpuint(c.dev.notify_mult, >=, 4);
    g_assert_cmpuint(qpci_find_capability(p, 0x11, 0), !=, 0);
    g_assert_cmpuint(qpci_config_read(c.s, p->devfn, 0x3d, 1), ==, 1);
    g_assert_cmpuint(qtest_readw(c.s, c.dev.common + VPCI_NUM_QUEUES), ==, 3);
    stop(&c);
}

static void test_features(void)
{
    Ctx c;
    start(&c, NULL);
    uint64_t f = qvirtio_get_features(&c.dev);
    g_assert_true(f & F(VIRTIO_F_VERSION_1));
    g_assert_true(f & F(NET_F_MAC));
    g_assert_true(f & F(NET_F_STATUS));
    g_assert_true(f & F(NET_F_CTRL_VQ));
    g_assert_true(f & F(NET_F_MRG_RXBUF));
    g_assert_false(f & F(NET_F_MQ));
    /* What it offers: kept. */
    g_assert_true(qvirtio_negotiate(&c.dev, f));
    g_assert_true(qvirtio_negotiate(&c.dev, F(VIRTIO_F_VERSION_1)));
    if (qtest_using_qemu()) {
        /* QEMU 7.2 keeps FEATURES_OK without VERSION_1, and masks bits it
         * did not offer instead of refusing them. */
        stop(&c);
        g_test_skip("QEMU does not refuse these feature sets");
        return;
    }
    /* VERSION_1 missing: refused. */
    g_assert_false(qvirtio_negotiate(&c.dev, F(NET_F_MAC)));
    /* A bit the device did not offer: refused. */
    uint64_t bad = F(VIRTIO_F_VERSION_1);
    for (unsigned b = 0; b < 64; b++) {
        if (!(f & F(b)) && b != 30) {
            bad |= F(b);
            break;
        }
    }
    g_assert_false(qvirtio_negotiate(&c.dev, bad));
    /* CTRL_RX without CTRL_VQ: refused. */
    g_assert_false(qvirtio_negotiate(&c.dev, F(VIRTIO_F_VERSION_1) |
                                     F(NET_F_CTRL_RX)));
    stop(&c);
}

static void test_config(void)
{
    Ctx c;
    start(&c, ",mac=52:54:00:ab:cd:ef,host_mtu=1400");
    static const uint8_t mac[6] = { 0x52, 0x54, 0x00, 0xab, 0xcd, 0xef };
    for (unsigned i = 0; i < 6; i++) {
        g_assert_cmphex(qvirtio_config_readb(&c.dev, i), ==, mac[i]);
    }
    g_assert_cmphex(qvirtio_config_readw(&c.dev, 6) & 1, ==, 1); /* LINK_UP */
    g_assert_cmpuint(qvirtio_config_readw(&c.dev, 8), ==, 1);
    g_assert_true(qvirtio_get_features(&c.dev) & F(NET_F_MTU));
    g_assert_cmpuint(qvirtio_config_readw(&c.dev, 10), ==, 1400);
    stop(&c);
}

static void test_reset(void)
{
    Ctx c;
    start(&c, NULL);
    g_assert_true(qvirtio_negotiate(&c.dev, F(VIRTIO_F_VERSION_1)));
    QVirtQueue *vq = qvirtqueue_setup(&c.dev, 0, 128, VIRTIO_MSI_NO_VECTOR);
    g_assert_cmpuint(qtest_readw(c.s, c.dev.common + VPCI_Q_ENABLE), ==, 1);
    qvirtio_reset(&c.dev);
    qtest_writew(c.s, c.dev.common + VPCI_Q_SELECT, 0);
    g_assert_cmpuint(qtest_readw(c.s, c.dev.common + VPCI_Q_ENABLE), ==, 0);
    g_assert_cmpuint(qtest_readw(c.s, c.dev.common + VPCI_Q_SIZE), ==, 256);
    g_assert_cmphex(qtest_readl(c.s, c.dev.common + VPCI_Q_DESCLO), ==, 0);
    g_assert_cmphex(qtest_readw(c.s, c.dev.common + VPCI_Q_MSIX), ==,
                    VIRTIO_MSI_NO_VECTOR);
    qtest_writel(c.s, c.dev.common + VPCI_GFSELECT, 0);
    g_assert_cmphex(qtest_readl(c.s, c.dev.common + VPCI_GF), ==, 0);
    g_free(vq);
    stop(&c);
}

static void test_queue_sizes(void)
{
    Ctx c;
    start(&c, NULL);
    uint64_t q = c.dev.common;
    for (unsigned size = 64; size <= 1024; size *= 2) {
        qtest_writew(c.s, q + VPCI_Q_SELECT, 1);
        qtest_writew(c.s, q + VPCI_Q_SIZE, size);
        g_assert_cmpuint(qtest_readw(c.s, q + VPCI_Q_SIZE), ==, size);
    }
    if (qtest_using_qemu()) {
        /* QEMU 7.2 takes any size up to 1024 and enables any address. */
        stop(&c);
        g_test_skip("QEMU accepts invalid queue sizes and addresses");
        return;
    }
    static const unsigned bad[] = { 0, 100, 2048, 4096 };
    for (unsigned i = 0; i < G_N_ELEMENTS(bad); i++) {
        qtest_writew(c.s, q + VPCI_Q_SIZE, 256);
        qtest_writew(c.s, q + VPCI_Q_SIZE, bad[i]);
        g_assert_cmpuint(qtest_readw(c.s, q + VPCI_Q_SIZE), ==, 256);
    }
    /* Rings outside RAM: the queue stays disabled. */
    g_assert_true(qvirtio_negotiate(&c.dev, F(VIRTIO_F_VERSION_1)));
    qtest_writew(c.s, q + VPCI_Q_SELECT, 0);
    qtest_writel(c.s, q + VPCI_Q_DESCLO, 0xd0000000);
    qtest_writel(c.s, q + VPCI_Q_AVAILLO, 0x100000);
    qtest_writel(c.s, q + VPCI_Q_USEDLO, 0x200000);
    qtest_writew(c.s, q + VPCI_Q_ENABLE, 1);
    g_assert_cmpuint(qtest_readw(c.s, q + VPCI_Q_ENABLE), ==, 0);
    qtest_writel(c.s, q + VPCI_Q_DESCLO, 0x300000);
    qtest_writel(c.s, q + VPCI_Q_USEDHI, 0x10);    /* 64 GiB: no RAM */
    qtest_writew(c.s, q + VPCI_Q_ENABLE, 1);
    g_assert_cmpuint(qtest_readw(c.s, q + VPCI_Q_ENABLE), ==, 0);
    stop(&c);
}

/* ---- frames ---- */

typedef struct Net {
    Ctx c;
    QVirtQueue *rx, *tx;
    bool msix;
} Net;

static void net_up(Net *n, uint64_t features, const char *devopts)
{
    start(&n->c, devopts);
    QVirtioPCI *d = &n->c.dev;
    g_assert_true(qvirtio_negotiate(d, F(VIRTIO_F_VERSION_1) | features));
    qpci_msix_enable(&d->pci);
    qpci_msix_set_vector(&d->pci, 0, MSI_ADDR, 0x1000);
    qpci_msix_set_vector(&d->pci, 1, MSI_ADDR + 4, 0x1001);
    qtest_writel(n->c.s, MSI_ADDR, 0);
    qtest_writel(n->c.s, MSI_ADDR + 4, 0);
    n->rx = qvirtqueue_setup(d, 0, 256, 0);
    n->tx = qvirtqueue_setup(d, 1, 256, 1);
    qvirtio_set_status(d, qvirtio_get_status(d) | VIRTIO_STATUS_DRIVER_OK);
}

static void net_down(Net *n)
{
    g_free(n->rx);
    g_free(n->tx);
    stop(&n->c);
}

static void fill_frame(uint8_t *f, size_t len, unsigned seed)
{
    memset(f, 0xff, 6);                 /* broadcast passes any filter */
    memcpy(f + 6, "\x52\x54\x00\x00\x00\x01", 6);
    f[12] = 0x08;
    f[13] = 0x00;
    for (size_t i = 14; i < len; i++) {
        f[i] = (i * 7 + seed) & 0xff;
    }
}

static bool sock_read_all(int fd, void *buf, size_t len)
{
    size_t done = 0;
    while (done < len) {
        struct pollfd p = { .fd = fd, .events = POLLIN };
        if (poll(&p, 1, 10000) != 1) {
            return false;
        }
        ssize_t k = read(fd, (char *)buf + done, len - done);
        if (k <= 0) {
            return false;
        }
        done += k;
    }
    return true;
}

static void check_tx(Net *n, size_t len)
{
    QTestState *s = n->c.s;
    uint8_t *frame = g_malloc(HDR + len);
    memset(frame, 0, HDR);
    fill_frame(frame + HDR, len, len);
    uint64_t buf = guest_alloc(&n->c.dev.alloc, HDR + len, 64);
    qtest_memwrite(s, buf, frame, HDR + len);
    /* Header and payload in separate descriptors. */
    QVirtBuf b[2] = { { buf, HDR, false }, { buf + HDR, len, false } };
    qvirtqueue_add(n->tx, b, 2, false);
    qvirtqueue_kick(n->tx);
    uint32_t be;
    g_assert_true(sock_read_all(n->c.sock, &be, 4));
    g_assert_cmpuint(ntohl(be), ==, len);
    uint8_t *got = g_malloc(len);
    g_assert_true(sock_read_all(n->c.sock, got, len));
    g_assert_cmpmem(got, len, frame + HDR, len);
    g_assert_true(qvirtqueue_get_used(n->tx, NULL, NULL, 10000));
    g_free(got);
    g_free(frame);
}

static bool msi_arrived(QTestState *s, void *opaque)
{
    return qtest_readl(s, MSI_ADDR) == 0x1000;
}

static void check_rx(Net *n, size_t len, bool mrg)
{
    QTestState *s = n->c.s;
    uint8_t *frame = g_malloc(len);
    fill_frame(frame, len, len + 1);
    unsigned nbufs = mrg ? (HDR + len + 4095) / 4096 : 1;
    size_t bufsz = mrg ? 4096 : HDR + len;
    uint64_t base = guest_alloc(&n->c.dev.alloc, nbufs * bufsz, 64);
    for (unsigned i = 0; i < nbufs; i++) {
        QVirtBuf b = { base + i * bufsz, bufsz, true };
        qvirtqueue_add(n->rx, &b, 1, false);
    }
    qvirtqueue_kick(n->rx);
    qtest_writel(s, MSI_ADDR, 0);
    uint32_t be = htonl(len);
    g_assert_cmpint(write(n->c.sock, &be, 4), ==, 4);
    g_assert_cmpint(write(n->c.sock, frame, len), ==, (ssize_t)len);
    uint8_t *got = g_malloc(nbufs * bufsz);
    size_t total = 0;
    for (unsigned i = 0; i < nbufs; i++) {
        uint32_t id, ulen;
        g_assert_true(qvirtqueue_get_used(n->rx, &id, &ulen, 10000));
        qtest_memread(s, base + i * bufsz, got + total, ulen);
        total += ulen;
    }
    g_assert_cmpuint(total, ==, HDR + len);
    /* num_buffers: without MRG_RXBUF vmu writes 1, QEMU 7.2 leaves 0. */
    g_assert_cmpuint(got[10] | got[11] << 8, ==,
                     mrg || !qtest_using_qemu() ? nbufs : 0);
    g_assert_cmpmem(got + HDR, len, frame, len);
    /* The MSI-X vector wrote its data into guest RAM. */
    g_assert_true(qtest_wait_until(s, msi_arrived, NULL, 10000));
    g_free(got);
    g_free(frame);
}

static const size_t sizes[] = { 60, 61, 1514, 4096, 9000, 32768, 65535 };

static void test_frames(gconstpointer opaque)
{
    bool mrg = GPOINTER_TO_INT(opaque);
    Net n;
    net_up(&n, mrg ? F(NET_F_MRG_RXBUF) : 0, NULL);
    for (unsigned i = 0; i < G_N_ELEMENTS(sizes); i++) {
        check_tx(&n, sizes[i]);
        check_rx(&n, sizes[i], mrg);
    }
    net_down(&n);
}

/* ---- control queue ---- */

static uint8_t ctrl(Net *n, QVirtQueue *cq, const uint8_t *cmd, size_t len)
{
    QTestState *s = n->c.s;
    uint64_t out = guest_alloc(&n->c.dev.alloc, len, 8);
    uint64_t ack = guest_alloc(&n->c.dev.alloc, 1, 8);
    qtest_memwrite(s, out, cmd, len);
    qtest_writeb(s, ack, 0xee);
    QVirtBuf b[2] = { { out, len, false }, { ack, 1, true } };
    qvirtqueue_add(cq, b, 2, false);
    qvirtqueue_kick(cq);
    g_assert_true(qvirtqueue_get_used(cq, NULL, NULL, 10000));
    return qtest_readb(s, ack);
}

static void test_ctrl(void)
{
    Net n;
    start(&n.c, NULL);
    QVirtioPCI *d = &n.c.dev;
    g_assert_true(qvirtio_negotiate(d, F(VIRTIO_F_VERSION_1) |
                                    F(NET_F_CTRL_VQ) | F(NET_F_CTRL_RX) |
                                    F(23)));
    QVirtQueue *cq = qvirtqueue_setup(d, 2, 64, VIRTIO_MSI_NO_VECTOR);
    qvirtio_set_status(d, qvirtio_get_status(d) | VIRTIO_STATUS_DRIVER_OK);
    static const uint8_t promisc_off[] = { 0, 0, 0 };
    static const uint8_t allmulti_on[] = { 0, 1, 1 };
    static const uint8_t bad_class[] = { 99, 0, 0 };
    static const uint8_t mac_set[] = { 1, 1, 0x52, 0x54, 0, 1, 2, 3 };
    static const uint8_t mac_table[] = { 1, 0, 1, 0, 0, 0, 0x52, 0x54, 0, 9,
                                         9, 9, 0, 0, 0, 0 };
    static const uint8_t mq_set[] = { 4, 0, 1, 0 };
    g_assert_cmpuint(ctrl(&n, cq, promisc_off, 3), ==, 0);
    g_assert_cmpuint(ctrl(&n, cq, allmulti_on, 3), ==, 0);
    g_assert_cmpuint(ctrl(&n, cq, bad_class, 3), ==, 1);
    g_assert_cmpuint(ctrl(&n, cq, mac_set, sizeof(mac_set)), ==, 0);
    g_assert_cmphex(qvirtio_config_readb(d, 5), ==, 3);
    g_assert_cmpuint(ctrl(&n, cq, mac_table, sizeof(mac_table)), ==, 0);
    /* MQ was not negotiated. */
    g_assert_cmpuint(ctrl(&n, cq, mq_set, sizeof(mq_set)), ==, 1);
    g_free(cq);
    stop(&n.c);
}

/* ---- MAC filter: a table longer than the filter means accept all ---- */

static void sock_send(int fd, const uint8_t *f, size_t len)
{
    uint32_t be = htonl(len);
    g_assert_cmpint(write(fd, &be, 4), ==, 4);
    g_assert_cmpint(write(fd, f, len), ==, (ssize_t)len);
}

/* Queue one rx buffer per frame to come, send them, and return the
 * destination MACs of what arrived up to and including the last frame,
 * a broadcast marker that every filter passes (frames stay in order). */
static unsigned rx_dests(Net *n, const uint8_t (*dst)[6], unsigned k,
                         uint8_t (*got)[6])
{
    static uint64_t addr_of[256];       /* rx buffer by head */
    QTestState *s = n->c.s;
    uint64_t base = guest_alloc(&n->c.dev.alloc, (k + 1) * 256, 64);
    uint8_t f[64];
    for (unsigned i = 0; i <= k; i++) {
        QVirtBuf b = { base + i * 256, 256, true };
        addr_of[qvirtqueue_add(n->rx, &b, 1, false) % 256] = b.addr;
    }
    qvirtqueue_kick(n->rx);
    for (unsigned i = 0; i <= k; i++) {
        fill_frame(f, sizeof(f), i);
        if (i < k) {
            memcpy(f, dst[i], 6);
        }
        sock_send(n->c.sock, f, sizeof(f));
    }
    for (unsigned i = 0; i <= k; i++) {
        uint32_t id, len;
        g_assert_true(qvirtqueue_get_used(n->rx, &id, &len, 10000));
        g_assert_cmpuint(len, ==, HDR + sizeof(f));
        uint8_t d[6];
        qtest_memread(s, addr_of[id % 256] + HDR, d, 6);
        if (!memcmp(d, "\xff\xff\xff\xff\xff\xff", 6)) {
            return i;
        }
        memcpy(got[i], d, 6);
    }
    g_assert_not_reached();
}

static uint8_t *mac_table_cmd(unsigned uni, unsigned multi, size_t *len)
{
    *len = 2 + 4 + 6 * uni + 4 + 6 * multi;
    uint8_t *c = g_malloc0(*len), *p = c + 2;
    c[0] = 1;                           /* VIRTIO_NET_CTRL_MAC */
    c[1] = 0;                           /* MAC_TABLE_SET */
    memcpy(p, &uni, 4);
    for (unsigned i = 0; i < uni; i++) {
        memcpy(p + 4 + 6 * i, "\x52\x54\x00\x77", 4);
        p[4 + 6 * i + 4] = i >> 8;
        p[4 + 6 * i + 5] = i;
    }
    p += 4 + 6 * uni;
    memcpy(p, &multi, 4);
    for (unsigned i = 0; i < multi; i++) {
        memcpy(p + 4 + 6 * i, "\x33\x33\xff\x00", 4);
        p[4 + 6 * i + 4] = i >> 8;
        p[4 + 6 * i + 5] = i;
    }
    return c;
}

static uint8_t ctrl_big(Net *n, QVirtQueue *cq, const uint8_t *cmd,
                        size_t len)
{
    /* As Linux's virtnet_set_rx_mode: header, each table, ack apart. */
    QTestState *s = n->c.s;
    uint64_t out = guest_alloc(&n->c.dev.alloc, len, 8);
    uint64_t ack = guest_alloc(&n->c.dev.alloc, 1, 8);
    qtest_memwrite(s, out, cmd, len);
    qtest_writeb(s, ack, 0xee);
    uint32_t uni;
    memcpy(&uni, cmd + 2, 4);
    uint32_t t1 = 4 + 6 * uni;
    QVirtBuf b[4] = { { out, 2, false }, { out + 2, t1, false },
                      { out + 2 + t1, len - 2 - t1, false },
                      { ack, 1, true } };
    qvirtqueue_add(cq, b, 4, false);
    qvirtqueue_kick(cq);
    g_assert_true(qvirtqueue_get_used(cq, NULL, NULL, 10000));
    return qtest_readb(s, ack);
}

static void test_mac_table_overflow(void)
{
    Net n;
    net_up(&n, F(NET_F_CTRL_VQ) | F(NET_F_CTRL_RX), NULL);
    QVirtioPCI *d = &n.c.dev;
    QVirtQueue *cq = qvirtqueue_setup(d, 2, 64, VIRTIO_MSI_NO_VECTOR);
    static const uint8_t promisc_off[] = { 0, 0, 0 };
    /* the device's own MAC, a listed multicast group past the 64th entry,
     * an unlisted group, an unlisted unicast address */
    static const uint8_t dst[4][6] = {
        { 0x52, 0x54, 0x00, 0x12, 0x34, 0x56 },
        { 0x33, 0x33, 0xff, 0x00, 0x02, 0x57 },
        { 0x33, 0x33, 0x00, 0x00, 0x00, 0x01 },
        { 0x52, 0x54, 0x00, 0x99, 0x99, 0x99 },
    };
    uint8_t got[5][6];
    size_t len;
    uint8_t *cmd;

    g_assert_cmpuint(ctrl(&n, cq, promisc_off, 3), ==, 0);
    /* A table that fits: only the own MAC and the listed groups pass. */
    cmd = mac_table_cmd(1, 600 - 1 - 540, &len);    /* 1 + 59 entries */
    g_assert_cmpuint(ctrl_big(&n, cq, cmd, len), ==, 0);
    g_free(cmd);
    g_assert_cmpuint(rx_dests(&n, dst, 4, got), ==, 1);
    g_assert_cmpmem(got[0], 6, dst[0], 6);

    /* 600 multicast groups (IPv6 neighbour discovery on a busy host):
     * accepted, and every multicast frame passes from now on. */
    cmd = mac_table_cmd(0, 600, &len);
    g_assert_cmpuint(ctrl_big(&n, cq, cmd, len), ==, 0);
    g_free(cmd);
    g_assert_cmpuint(rx_dests(&n, dst, 4, got), ==, 3);
    g_assert_cmpmem(got[0], 6, dst[0], 6);
    g_assert_cmpmem(got[1], 6, dst[1], 6);
    g_assert_cmpmem(got[2], 6, dst[2], 6);

    /* 600 unicast addresses: every unicast frame passes; the one-entry
     * multicast table is a filter again. */
    cmd = mac_table_cmd(600, 1, &len);
    g_assert_cmpuint(ctrl_big(&n, cq, cmd, len), ==, 0);
    g_free(cmd);
    g_assert_cmpuint(rx_dests(&n, dst, 4, got), ==, 2);
    g_assert_cmpmem(got[0], 6, dst[0], 6);
    g_assert_cmpmem(got[1], 6, dst[3], 6);

    /* A malformed table (counts longer than the buffer): refused. */
    cmd = mac_table_cmd(0, 600, &len);
    g_assert_cmpuint(ctrl(&n, cq, cmd, len - 6), ==, 1);
    g_free(cmd);
    g_free(cq);
    net_down(&n);
}

/* ---- offloads on a socket netdev: done in software by vmu ---- */

/* The TCP pseudo-header's sum (RFC 793, RFC 8200 8.1). */
static uint32_t pseudo(const uint8_t *f, bool v6, size_t tcp_len)
{
    uint32_t s = v6 ? qnet_sum(0, f + 14 + 8, 32) :
                      qnet_sum(0, f + 14 + 12, 8);
    return s + 6 + tcp_len;
}

/* Ethernet + IPv4 (or IPv6) + TCP with 12 bytes of options + payload. */
static size_t tcp_frame(uint8_t *f, bool v6, size_t payload)
{
    size_t l4 = v6 ? 54 : 34, len = l4 + 32 + payload;
    memset(f, 0, l4 + 32);
    memcpy(f, "\x52\x54\x00\x12\x34\x56\x52\x54\x00\x00\x00\x01", 12);
    uint8_t *ip = f + 14, *tcp = f + l4;
    if (v6) {
        f[12] = 0x86, f[13] = 0xdd;
        ip[0] = 0x60;
        ip[4] = (32 + payload) >> 8, ip[5] = 32 + payload;
        ip[6] = 6, ip[7] = 64;
        ip[8] = 0xfd, ip[23] = 1;
        ip[24] = 0xfd, ip[39] = 2;
    } else {
        f[12] = 0x08, f[13] = 0x00;
        ip[0] = 0x45;
        ip[2] = (len - 14) >> 8, ip[3] = len - 14;
        ip[4] = 0x12, ip[5] = 0x34;
        ip[6] = 0x40;                   /* DF */
        ip[8] = 64, ip[9] = 6;
        memcpy(ip + 12, "\x0a\x00\x02\x0f\x0a\x00\x02\x02", 8);
        uint16_t c = ~qnet_fold(qnet_sum(0, ip, 20));
        ip[10] = c >> 8, ip[11] = c;
    }
    tcp[0] = 0x9c, tcp[1] = 0x40;       /* port 40000 -> 22 */
    tcp[3] = 22;
    memcpy(tcp + 4, "\xff\xff\xf0\x00", 4);     /* seq wraps mid-frame */
    tcp[12] = 8 << 4;                   /* 32-byte header */
    tcp[13] = 0x18 | 0x01;              /* PSH ACK FIN */
    tcp[14] = 0xff, tcp[15] = 0xff;
    memcpy(tcp + 20, "\x01\x01\x08\x0a\0\0\0\1\0\0\0\2", 12);  /* TS */
    for (size_t i = 0; i < payload; i++) {
        f[l4 + 32 + i] = i * 13 + (i >> 8);
    }
    return len;
}

static void send_with_hdr(Net *n, const uint8_t *hdr, const uint8_t *f,
                          size_t len)
{
    QTestState *s = n->c.s;
    uint64_t buf = guest_alloc(&n->c.dev.alloc, HDR + len, 64);
    qtest_memwrite(s, buf, hdr, HDR);
    qtest_memwrite(s, buf + HDR, f, len);
    QVirtBuf b[2] = { { buf, HDR, false }, { buf + HDR, len, false } };
    qvirtqueue_add(n->tx, b, 2, false);
    qvirtqueue_kick(n->tx);
}

static size_t sock_frame(Net *n, uint8_t *buf, size_t max)
{
    uint32_t be;
    g_assert_true(sock_read_all(n->c.sock, &be, 4));
    g_assert_cmpuint(ntohl(be), <=, max);
    g_assert_true(sock_read_all(n->c.sock, buf, ntohl(be)));
    return ntohl(be);
}

static void check_tcp_csums(const uint8_t *f, size_t len, bool v6)
{
    size_t l4 = v6 ? 54 : 34;
    if (!v6) {
        g_assert_cmphex(qnet_fold(qnet_sum(0, f + 14, 20)), ==, 0xffff);
        g_assert_cmpuint(f[16] << 8 | f[17], ==, len - 14);
    } else {
        g_assert_cmpuint(f[18] << 8 | f[19], ==, len - l4);
    }
    g_assert_cmphex(qnet_fold(qnet_sum(pseudo(f, v6, len - l4), f + l4,
                                       len - l4)), ==, 0xffff);
}

static void test_offload_csum(void)
{
    if (qtest_using_qemu()) {
        g_test_skip("QEMU 7.2 offers no offload on a socket netdev");
        return;
    }
    Net n;
    net_up(&n, F(NET_F_CSUM), NULL);
    static uint8_t f[2000], got[2000];
    for (unsigned v6 = 0; v6 < 2; v6++) {
        size_t l4 = v6 ? 54 : 34, len = tcp_frame(f, v6, 1000 + v6);
        /* CHECKSUM_PARTIAL as Linux leaves it: the pseudo-header's sum in
         * the field, csum_start at the TCP header, csum_offset 16. */
        uint16_t ph = qnet_fold(pseudo(f, v6, len - l4));
        f[l4 + 16] = ph >> 8, f[l4 + 17] = ph;
        uint8_t hdr[HDR] = { 1 /* NEEDS_CSUM */, 0, 0, 0, 0, 0,
                             l4, 0, 16, 0 };
        send_with_hdr(&n, hdr, f, len);
        g_assert_cmpuint(sock_frame(&n, got, sizeof(got)), ==, len);
        check_tcp_csums(got, len, v6);
        /* only the checksum changed */
        g_assert_cmpmem(got, l4 + 16, f, l4 + 16);
        g_assert_cmpmem(got + l4 + 18, len - l4 - 18, f + l4 + 18,
                        len - l4 - 18);
        g_assert_true(qvirtqueue_get_used(n.tx, NULL, NULL, 10000));
    }
    /* A checksum position past the frame: dropped, the queue goes on. */
    size_t len = tcp_frame(f, false, 100);
    uint8_t bad[HDR] = { 1, 0, 0, 0, 0, 0, 0xf0, 0xff, 16, 0 };
    send_with_hdr(&n, bad, f, len);
    g_assert_true(qvirtqueue_get_used(n.tx, NULL, NULL, 10000));
    check_tx(&n, 100);
    net_down(&n);
}

static void test_offload_tso(gconstpointer opaque)
{
    bool v6 = GPOINTER_TO_INT(opaque);
    if (qtest_using_qemu()) {
        g_test_skip("QEMU 7.2 offers no offload on a socket netdev");
        return;
    }
    /* TCPv4 with ECN: the frame has CWR, which only the first segment
     * may carry (RFC 3168, 6.1.2) */
    bool ecn = !v6;
    Net n;
    net_up(&n, F(NET_F_CSUM) | F(v6 ? NET_F_HOST_TSO6 : NET_F_HOST_TSO4) |
           (ecn ? F(NET_F_HOST_ECN) : 0), NULL);
    /* a 64 KiB frame, MSS 1448 as over a 1500-byte path with timestamps */
    size_t l4 = v6 ? 54 : 34, hl = l4 + 32, mss = 1448;
    uint8_t *f = g_malloc(65536), *got = g_malloc(65536);
    size_t len = tcp_frame(f, v6, 65536 - hl);
    uint16_t ph = qnet_fold(pseudo(f, v6, 0));   /* GSO: no length in it */
    f[l4 + 16] = ph >> 8, f[l4 + 17] = ph;
    if (ecn) {
        f[l4 + 13] |= 0x80;                     /* CWR */
    }
    uint8_t hdr[HDR] = { 1, (v6 ? 4 : 1) | (ecn ? 0x80 : 0), hl, 0,
                         mss & 0xff, mss >> 8, l4, 0, 16, 0 };
    send_with_hdr(&n, hdr, f, len);
    size_t payload = len - hl, off = 0;
    unsigned segs = 0;
    uint32_t seq0 = 0xfffff000;
    while (off < payload) {
        size_t k = sock_frame(&n, got, 65536);
        size_t want = MIN(mss, payload - off);
        g_assert_cmpuint(k, ==, hl + want);
        check_tcp_csums(got, k, v6);
        const uint8_t *tcp = got + l4;
        uint32_t seq = (uint32_t)tcp[4] << 24 | tcp[5] << 16 | tcp[6] << 8 |
                       tcp[7];
        g_assert_cmphex(seq, ==, (uint32_t)(seq0 + off));
        bool last = off + want == payload;
        /* FIN and PSH on the last segment only, ACK on all */
        g_assert_cmphex(tcp[13], ==, (last ? 0x19 : 0x10) |
                        (ecn && !segs ? 0x80 : 0));
        g_assert_cmpmem(got + l4 + 20, 12, f + l4 + 20, 12);
        g_assert_cmpmem(got + hl, want, f + hl + off, want);
        if (!v6) {
            /* IP id counts up from the frame's */
            g_assert_cmpuint(got[18] << 8 | got[19], ==, 0x1234 + segs);
        }
        off += want;
        segs++;
    }
    g_assert_cmpuint(segs, ==, (payload + mss - 1) / mss);
    g_assert_true(qvirtqueue_get_used(n.tx, NULL, NULL, 10000));
    /* and the next ordinary frame follows them */
    check_tx(&n, 200);
    g_free(f);
    g_free(got);
    net_down(&n);
}

static void test_ctrl_guest_offloads(void)
{
    Net n;
    net_up(&n, F(NET_F_CTRL_VQ) | F(NET_F_GUEST_CSUM) |
           F(NET_F_CTRL_GUEST_OFFLOADS), NULL);
    if (!(qvirtio_get_features(&n.c.dev) & F(NET_F_GUEST_CSUM))) {
        net_down(&n);
        g_test_skip("QEMU 7.2 offers no offload on a socket netdev");
        return;
    }
    QVirtQueue *cq = qvirtqueue_setup(&n.c.dev, 2, 64, VIRTIO_MSI_NO_VECTOR);
    uint8_t set[10] = { 5, 0 };
    set[2] = 1 << NET_F_GUEST_CSUM;
    g_assert_cmpuint(ctrl(&n, cq, set, sizeof(set)), ==, 0);
    set[2] = 0;
    g_assert_cmpuint(ctrl(&n, cq, set, sizeof(set)), ==, 0);
    /* an offload the driver did not negotiate, a bad length */
    set[2] = 1 << NET_F_GUEST_TSO4;
    g_assert_cmpuint(ctrl(&n, cq, set, sizeof(set)), ==, 1);
    g_assert_cmpuint(ctrl(&n, cq, set, 6), ==, 1);
    /* frames still arrive whole */
    check_rx(&n, 1514, false);
    g_free(cq);
    net_down(&n);
}

/* ---- EVENT_IDX: the driver kicks only when avail_event says so ---- */

/* Linux's virtqueue_kick_prepare_split: kick if the device asked for an
 * index in (old, new] (vring_need_event). */
static void kick_if_needed(Net *n, QVirtQueue *vq, uint16_t old)
{
    uint16_t new = vq->avail_idx;
    uint16_t event = qtest_readw(n->c.s, vq->used + 4 + 8 * vq->size);
    if ((uint16_t)(new - event - 1) < (uint16_t)(new - old)) {
        qvirtqueue_kick(vq);
    }
}

/*
 * Bursts of 1 to 7 frames each way with kicks suppressed as Linux does:
 * when the device stops on an empty ring it must have published
 * avail_event = where it stopped, or a burst goes unkicked and stalls.
 * (The two-CPU race behind the same rule is test-virtio-ring's.)
 */
static void test_event_idx_kicks(void)
{
    Net n;
    net_up(&n, F(RING_F_EVENT_IDX), NULL);
    QTestState *s = n.c.s;
    uint8_t f[128], got[128];
    uint64_t rxb = guest_alloc(&n.c.dev.alloc, 8 * 256, 64);
    uint64_t txb = guest_alloc(&n.c.dev.alloc, 8 * 256, 64);
    for (unsigned round = 0; round < 40; round++) {
        unsigned burst = 1 + round % 7;
        /* rx: the frames wait in the socket until buffers come */
        for (unsigned i = 0; i < burst; i++) {
            fill_frame(f, sizeof(f), round * 8 + i);
            sock_send(n.c.sock, f, sizeof(f));
        }
        uint16_t old = n.rx->avail_idx;
        for (unsigned i = 0; i < burst; i++) {
            QVirtBuf b = { rxb + i * 256, 256, true };
            qvirtqueue_add(n.rx, &b, 1, false);
        }
        kick_if_needed(&n, n.rx, old);
        for (unsigned i = 0; i < burst; i++) {
            uint32_t id, len;
            g_assert_true(qvirtqueue_get_used(n.rx, &id, &len, 10000));
            g_assert_cmpuint(len, ==, HDR + sizeof(f));
        }
        /* tx */
        old = n.tx->avail_idx;
        for (unsigned i = 0; i < burst; i++) {
            fill_frame(f, sizeof(f), 1000 + round * 8 + i);
            qtest_memset(s, txb + i * 256, 0, HDR);
            qtest_memwrite(s, txb + i * 256 + HDR, f, sizeof(f));
            QVirtBuf b = { txb + i * 256, HDR + sizeof(f), false };
            qvirtqueue_add(n.tx, &b, 1, false);
        }
        kick_if_needed(&n, n.tx, old);
        for (unsigned i = 0; i < burst; i++) {
            uint32_t be;
            fill_frame(f, sizeof(f), 1000 + round * 8 + i);
            g_assert_true(sock_read_all(n.c.sock, &be, 4));
            g_assert_cmpuint(ntohl(be), ==, sizeof(f));
            g_assert_true(sock_read_all(n.c.sock, got, sizeof(f)));
            g_assert_cmpmem(got, sizeof(f), f, sizeof(f));
            g_assert_true(qvirtqueue_get_used(n.tx, NULL, NULL, 10000));
        }
    }
    net_down(&n);
}

/* ---- a malicious driver ---- */

static void expect_needs_reset(Ctx *c)
{
    gint64 end = g_get_monotonic_time() + 20 * G_USEC_PER_SEC;

    while (g_get_monotonic_time() < end) {
        if (qvirtio_get_status(&c->dev) & VIRTIO_STATUS_NEEDS_RESET) {
            return;
        }
        g_usleep(1000);
    }
    g_assert_not_reached();
}

static void malicious(unsigned kind)
{
    Net n;
    net_up(&n, 0, NULL);
    QTestState *s = n.c.s;
    QVirtQueue *tx = n.tx;
    uint64_t d0 = tx->desc;
    switch (kind) {
    case 0: /* a descriptor loop */
        qtest_writeq(s, d0, 0x100000);
        qtest_writel(s, d0 + 8, 64);
        qtest_writew(s, d0 + 12, VRING_DESC_F_NEXT);
        qtest_writew(s, d0 + 14, 0);
        break;
    case 1: /* a head index past the ring */
        qtest_writew(s, tx->avail + 4, 5000);
        break;
    case 2: /* a buffer outside RAM */
        qtest_writeq(s, d0, 0xd0000000);
        qtest_writel(s, d0 + 8, 64);
        qtest_writew(s, d0 + 12, 0);
        break;
    case 3: /* a length past the end of RAM (and past 4 GiB in all) */
        qtest_writeq(s, d0, 0x100000);
        qtest_writel(s, d0 + 8, 0xffffffff);
        qtest_writew(s, d0 + 12, 0);
        break;
    case 4: /* the avail index runs far ahead */
        qtest_writew(s, tx->avail + 2, 0x8000);
        qtest_writew(s, tx->notify_addr, 1);
        expect_needs_reset(&n.c);
        net_down(&n);
        return;
    }
    if (kind != 1) {
        qtest_writew(s, tx->avail + 4, 0);
    }
    qtest_writew(s, tx->avail + 2, 1);
    qvirtqueue_kick(tx);
    expect_needs_reset(&n.c);
    /* Still answering, and a reset brings the device back. */
    qvirtio_reset(&n.c.dev);
    g_assert_cmpuint(qvirtio_get_status(&n.c.dev), ==, 0);
    net_down(&n);
}

static void test_malicious(gconstpointer opaque)
{
    if (qtest_using_qemu()) {
        g_test_skip("QEMU's answers to a broken ring differ (it may exit)");
        return;
    }
    malicious(GPOINTER_TO_UINT(opaque));
}

static void test_masked_vector(void)
{
    Net n;
    net_up(&n, 0, NULL);
    QTestState *s = n.c.s;
    qpci_msix_mask(&n.c.dev.pci, 1, true);
    qtest_writel(s, MSI_ADDR + 4, 0);
    check_tx(&n, 100);
    /* Masked: pending, nothing written. */
    for (gint64 end = g_get_monotonic_time() + 20 * G_USEC_PER_SEC;
         !qpci_msix_pending(&n.c.dev.pci, 1) &&
         g_get_monotonic_time() < end;) {
        g_usleep(1000);
    }
    g_assert_true(qpci_msix_pending(&n.c.dev.pci, 1));
    g_assert_cmphex(qtest_readl(s, MSI_ADDR + 4), ==, 0);
    qpci_msix_mask(&n.c.dev.pci, 1, false);
    g_assert_cmphex(qtest_readl(s, MSI_ADDR + 4), ==, 0x1001);
    g_assert_false(qpci_msix_pending(&n.c.dev.pci, 1));
    net_down(&n);
}

/* ---- feature properties (QEMU's names; both VMMs mask the same way) ---- */

static const struct {
    const char *prop;
    unsigned bit;
    uint64_t dependents;        /* offered only beside this one */
} feature_props[] = {
    { "mrg_rxbuf", NET_F_MRG_RXBUF, 0 },
    { "status", NET_F_STATUS, 0 },
    { "ctrl_vq", NET_F_CTRL_VQ, F(NET_F_CTRL_RX) | F(NET_F_CTRL_VLAN) |
      F(NET_F_GUEST_ANNOUNCE) | F(NET_F_CTRL_MAC_ADDR) |
      F(NET_F_CTRL_GUEST_OFFLOADS) },
    { "ctrl_rx", NET_F_CTRL_RX, 0 },
    { "ctrl_vlan", NET_F_CTRL_VLAN, 0 },
    { "guest_announce", NET_F_GUEST_ANNOUNCE, 0 },
    { "ctrl_mac_addr", NET_F_CTRL_MAC_ADDR, 0 },
    { "event_idx", RING_F_EVENT_IDX, 0 },
    { "indirect_desc", RING_F_INDIRECT_DESC, 0 },
};

static uint64_t features_with(const char *devopts)
{
    Ctx c;
    start(&c, devopts);
    uint64_t f = qvirtio_get_features(&c.dev);
    stop(&c);
    return f;
}

static void test_feature_properties(void)
{
    uint64_t def = features_with(NULL);
    for (unsigned i = 0; i < G_N_ELEMENTS(feature_props); i++) {
        uint64_t bit = F(feature_props[i].bit);
        g_assert_true(def & bit);
        g_autofree char *off = g_strdup_printf(",%s=off",
                                               feature_props[i].prop);
        uint64_t f = features_with(off);
        g_test_message("%s=off: features 0x%" G_GINT64_MODIFIER "x", off + 1,
                       f);
        g_assert_cmphex(f & bit, ==, 0);
        if (!qtest_using_qemu()) {
            /* QEMU 7.2 still offers CTRL_RX & co. with ctrl_vq=off (the
             * spec says a device must not; testing.md's table) */
            g_assert_cmphex(f & feature_props[i].dependents, ==, 0);
        }
        /* nothing else changes */
        g_assert_cmphex(f | bit | feature_props[i].dependents, ==, def);
    }
    /* A socket netdev: vmu checksums and segments what the guest sends
     * in software, so it offers csum, host_tso4/6 and guest_csum (not
     * guest_tso4/6: it never hands the guest a TSO frame); QEMU 7.2 offers
     * no offload without a vnet_hdr peer. */
    uint64_t offloads = F(NET_F_CSUM) | F(NET_F_GUEST_CSUM) |
                        F(NET_F_GUEST_TSO4) | F(NET_F_HOST_TSO4) |
                        F(NET_F_HOST_TSO6);
    uint64_t soft = qtest_using_qemu() ? 0 : F(NET_F_CSUM) |
                    F(NET_F_GUEST_CSUM) | F(NET_F_HOST_TSO4) |
                    F(NET_F_HOST_TSO6);
    g_assert_cmphex(def & offloads, ==, soft);
    g_assert_cmphex(features_with(",csum=off") & offloads, ==,
                    soft & F(NET_F_GUEST_CSUM));
}

static void test_speed_duplex(void)
{
    Ctx c;
    start(&c, ",speed=10000,duplex=full");
    g_assert_true(qvirtio_get_features(&c.dev) & F(NET_F_SPEED_DUPLEX));
    g_assert_cmpuint(qvirtio_config_readl(&c.dev, 12), ==, 10000);
    g_assert_cmpuint(qvirtio_config_readb(&c.dev, 16), ==, 1);
    stop(&c);
    start(&c, NULL);
    g_assert_cmphex(qvirtio_config_readl(&c.dev, 12), ==, 0xffffffff);
    g_assert_cmphex(qvirtio_config_readb(&c.dev, 16), ==, 0xff);
    stop(&c);
}

static void test_page_per_vq(void)
{
    Net n;
    net_up(&n, 0, ",page-per-vq=on");
    g_assert_cmpuint(n.c.dev.notify_mult, ==, 4096);
    check_tx(&n, 60);
    check_tx(&n, 1514);
    net_down(&n);
}

/* What vmu cannot honour is said on stderr, one line per property. */
static void test_property_warnings(void)
{
    if (qtest_using_qemu()) {
        g_test_skip("checks vmu's own warnings");
        return;
    }
    g_autofree char *log = g_build_filename(g_get_tmp_dir(),
                                            "vmu-vnet-warn-XXXXXX", NULL);
    int fd = g_mkstemp(log);
    g_assert_cmpint(fd, >=, 0);
    fflush(stderr);
    int saved = dup(2);
    dup2(fd, 2);
    Ctx c;
    start(&c, ",guest_tso4=on,ctrl_rx_extra=on,x-txburst=256,any_layout=on");
    stop(&c);
    fflush(stderr);
    dup2(saved, 2);
    close(saved);
    close(fd);
    g_autofree char *text = NULL;
    g_assert_true(g_file_get_contents(log, &text, NULL, NULL));
    g_unlink(log);
    g_test_message("stderr: %s", text);
    g_assert_nonnull(strstr(text, "guest_tso4=on is not offered to the guest "
                                  "on netdev n0: its data path does not "
                                  "carry"));
    g_assert_nonnull(strstr(text, "ctrl_rx_extra=on is not offered to the "
                                  "guest on netdev n0: vmu does not "
                                  "implement it"));
    g_assert_nonnull(strstr(text, "x-txburst ignored"));
    g_assert_null(strstr(text, "any_layout"));
}

static void test_bad_property(void)
{
    if (qtest_using_qemu()) {
        g_test_skip("checks vmu's own error messages");
        return;
    }
    const char *bin = g_getenv("QTEST_VMU_BINARY");
    char *out = NULL, *err = NULL;
    int status;
    char *argv[] = { (char *)(bin ? bin : "vmu"), "-machine", "pc,accel=qtest",
                     "-qtest", "unix:/nonexistent", "-netdev",
                     "socket,id=n0,fd=0", "-device",
                     "virtio-net-pci,netdev=n0,vectors=500", NULL };
    g_assert_true(g_spawn_sync(NULL, argv, NULL, G_SPAWN_DEFAULT, NULL, NULL,
                               &out, &err, &status, NULL));
    g_assert_nonnull(strstr(err, "vectors=500"));
    g_assert_nonnull(strstr(err, "allowed values"));
    g_free(out);
    g_free(err);
    char *argv2[] = { (char *)(bin ? bin : "vmu"), "-machine",
                      "pc,accel=qtest", "-qtest", "unix:/nonexistent",
                      "-device", "virtio-net-pci,netdev=nope", NULL };
    g_assert_true(g_spawn_sync(NULL, argv2, NULL, G_SPAWN_DEFAULT, NULL, NULL,
                               &out, &err, &status, NULL));
    g_assert_nonnull(strstr(err, "no -netdev with id 'nope'"));
    g_free(out);
    g_free(err);
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    g_test_add_func("/virtio-net/probe", test_probe);
    g_test_add_func("/virtio-net/features/negotiation-and-refusal",
                    test_features);
    g_test_add_func("/virtio-net/config/mac-status-mtu", test_config);
    g_test_add_func("/virtio-net/reset-clears-queues", test_reset);
    g_test_add_func("/virtio-net/queue-sizes-and-addresses",
                    test_queue_sizes);
    g_test_add_data_func("/virtio-net/frames/mrg-rxbuf-off",
                         GINT_TO_POINTER(0), test_frames);
    g_test_add_data_func("/virtio-net/frames/mrg-rxbuf-on",
                         GINT_TO_POINTER(1), test_frames);
    g_test_add_func("/virtio-net/ctrl-queue", test_ctrl);
    g_test_add_func("/virtio-net/ctrl-queue/mac-table-600-accepts-all",
                    test_mac_table_overflow);
    g_test_add_func("/virtio-net/ctrl-queue/guest-offloads",
                    test_ctrl_guest_offloads);
    g_test_add_func("/virtio-net/offload/csum-filled", test_offload_csum);
    g_test_add_func("/virtio-net/event-idx/kicks-as-linux-decides",
                    test_event_idx_kicks);
    g_test_add_data_func("/virtio-net/offload/tso4-ecn-64k-segmented",
                         GINT_TO_POINTER(0), test_offload_tso);
    g_test_add_data_func("/virtio-net/offload/tso6-64k-segmented",
                         GINT_TO_POINTER(1), test_offload_tso);
    g_test_add_func("/virtio-net/msix/masked-vector-keeps-interrupt",
                    test_masked_vector);
    static const char *const bad[] = { "descriptor-loop", "head-past-ring",
                                       "buffer-outside-ram",
                                       "length-past-ram", "avail-index-ahead" };
    for (unsigned i = 0; i < G_N_ELEMENTS(bad); i++) {
        char *name = g_strdup_printf("/virtio-net/malicious/%s", bad[i]);
        g_test_add_data_func(name, GUINT_TO_POINTER(i), test_malicious);
        g_free(name);
    }
    g_test_add_func("/virtio-net/properties/feature-bits",
                    test_feature_properties);
    g_test_add_func("/virtio-net/properties/speed-duplex", test_speed_duplex);
    g_test_add_func("/virtio-net/properties/page-per-vq", test_page_per_vq);
    g_test_add_func("/virtio-net/properties/warnings",
                    test_property_warnings);
    g_test_add_func("/virtio-net/bad-property-names-allowed-values",
                    test_bad_property);
    return g_test_run();
}
