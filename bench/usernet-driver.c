/*
 * The guest side of the usernet benchmark: a qtest virtio-net driver on
 * -netdev user (libslirp) that sends UDP datagrams from 10.0.2.15 to
 * 10.0.2.2:PORT, which slirp delivers to 127.0.0.1:PORT, where this
 * process echoes each back; slirp hands the echo to the guest.  The same
 * compiled steps under vmu or QEMU (QTEST_QEMU_BINARY).  Usage:
 *   usernet-driver "VMM ARGS" latency|pps SIZE SECONDS
 * latency: one datagram in flight, guest tx -> host -> guest rx; prints
 *   "n=N median_ns=N p90_ns=N lost=0"
 * pps: WINDOW datagrams in flight; prints "frames=N ns=N lost=N" (lost:
 *   written off after 1 s without an echo)
 * Rings are polled without sleeping (each look is one qtest message).
 */
#include <arpa/inet.h>
#include <errno.h>
#include <glib.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "libqos.h"
#include "libqtest.h"

#define HDR         12          /* virtio_net_hdr, VERSION_1 */
#define QSIZE       256
#define BUF         2048
#define WINDOW      32
#define GUEST_PORT  4242
#define WAIT_NS     (10 * 1000000000LL)  /* one answer: a loaded machine */

typedef struct Net {
    QTestState *s;
    QVirtioPCI dev;
    QVirtQueue *rx, *tx;
    uint8_t mac[6], gw[6];
    uint64_t txpool;
    unsigned tx_slot, tx_inflight;
    int host;                   /* the echoing host socket */
    uint16_t port;
} Net;

static long long now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

static void put16(uint8_t *p, uint16_t v)
{
    p[0] = v >> 8;
    p[1] = v;
}

static uint16_t get16(const uint8_t *p)
{
    return p[0] << 8 | p[1];
}

/* A used element of vq if there is one now (no waiting). */
static bool used_now(QVirtQueue *vq, uint32_t *id, uint32_t *len)
{
    if (qtest_readw(vq->dev->qts, vq->used + 2) == vq->last_used) {
        return false;
    }
    return qvirtqueue_get_used(vq, id, len, 0);
}

static void tx_reap(Net *n)
{
    while (n->tx_inflight && used_now(n->tx, NULL, NULL)) {
        n->tx_inflight--;
    }
}

static void tx_frame(Net *n, const uint8_t *f, size_t len)
{
    while (n->tx_inflight >= QSIZE / 2) {
        tx_reap(n);
    }
    uint64_t buf = n->txpool + (n->tx_slot++ % QSIZE) * BUF;
    uint8_t b[BUF] = { 0 };
    memcpy(b + HDR, f, len);
    qtest_memwrite(n->s, buf, b, HDR + len);
    QVirtBuf vb = { buf, HDR + len, false };
    qvirtqueue_add(n->tx, &vb, 1, false);
    qvirtqueue_kick(n->tx);
    n->tx_inflight++;
}

/* The next received frame now, its buffer given back; -1: none yet. */
static int rx_frame(Net *n, uint8_t *f)
{
    uint32_t id, len;
    if (!used_now(n->rx, &id, &len)) {
        return -1;
    }
    uint64_t addr = qtest_readq(n->s, n->rx->desc + 16 * id);
    if (len > HDR && len <= BUF) {
        qtest_memread(n->s, addr + HDR, f, len - HDR);
    }
    QVirtBuf b = { addr, BUF, true };
    qvirtqueue_add(n->rx, &b, 1, false);
    qvirtqueue_kick(n->rx);
    return len > HDR && len <= BUF ? (int)(len - HDR) : 0;
}

/* Echo what waits on the host socket; how many. */
static unsigned host_echo(Net *n)
{
    unsigned k = 0;
    for (;;) {
        uint8_t d[BUF];
        struct sockaddr_in from;
        socklen_t fl = sizeof(from);
        ssize_t r = recvfrom(n->host, d, sizeof(d), MSG_DONTWAIT,
                             (struct sockaddr *)&from, &fl);
        if (r < 0) {
            return k;
        }
        sendto(n->host, d, r, 0, (struct sockaddr *)&from, fl);
        k++;
    }
}

/*
 * Nothing moved: wait up to 100 us for the host socket rather than send
 * the VMM another ring poll at once (a spinning qtest driver would keep
 * the VMM answering it; a real guest's polling costs its VMM nothing).
 */
static void host_wait(Net *n)
{
    struct pollfd p = { .fd = n->host, .events = POLLIN };
    struct timespec t = { 0, 100000 };
    ppoll(&p, 1, &t, NULL);
}

static uint32_t ip4(const char *s)
{
    struct in_addr a;
    inet_pton(AF_INET, s, &a);
    return a.s_addr;
}

static void arp_gateway(Net *n)
{
    uint8_t f[60] = { 0 }, r[BUF];
    uint32_t me = ip4("10.0.2.15"), gw = ip4("10.0.2.2");
    memset(f, 0xff, 6);
    memcpy(f + 6, n->mac, 6);
    put16(f + 12, 0x0806);
    put16(f + 14, 1);
    put16(f + 16, 0x0800);
    f[18] = 6;
    f[19] = 4;
    put16(f + 20, 1);
    memcpy(f + 22, n->mac, 6);
    memcpy(f + 28, &me, 4);
    memcpy(f + 38, &gw, 4);
    tx_frame(n, f, sizeof(f));
    long long end = now_ns() + WAIT_NS;
    while (now_ns() < end) {
        int len = rx_frame(n, r);
        if (len >= 42 && get16(r + 12) == 0x0806 && get16(r + 20) == 2 &&
            !memcmp(r + 28, &gw, 4)) {
            memcpy(n->gw, r + 22, 6);
            return;
        }
    }
    fprintf(stderr, "usernet-driver: no ARP reply from 10.0.2.2\n");
    exit(1);
}

/* Ethernet + IPv4 + UDP from 10.0.2.15:GUEST_PORT to 10.0.2.2:port. */
static size_t udp_build(Net *n, uint8_t *f, uint32_t seq, size_t size)
{
    uint32_t me = ip4("10.0.2.15"), gw = ip4("10.0.2.2");
    memcpy(f, n->gw, 6);
    memcpy(f + 6, n->mac, 6);
    put16(f + 12, 0x0800);
    uint8_t *ip = f + 14;
    memset(ip, 0, 28);
    ip[0] = 0x45;
    put16(ip + 2, 28 + size);
    ip[8] = 64;
    ip[9] = 17;
    memcpy(ip + 12, &me, 4);
    memcpy(ip + 16, &gw, 4);
    put16(ip + 10, ~qnet_fold(qnet_sum(0, ip, 20)));
    put16(ip + 20, GUEST_PORT);
    put16(ip + 22, n->port);
    put16(ip + 24, 8 + size);
    memset(ip + 28, 0x5a, size);
    memcpy(ip + 28, &seq, 4);
    return 14 + 28 + size;
}

/* The sequence number of an echo to GUEST_PORT, or -1 for another frame. */
static long long echo_seq(const uint8_t *f, int len)
{
    if (len < 14 + 28 + 4 || get16(f + 12) != 0x0800 || f[23] != 17) {
        return -1;
    }
    unsigned ihl = (f[14] & 0xf) * 4;
    if (len < (int)(14 + ihl + 12) || get16(f + 14 + ihl + 2) != GUEST_PORT) {
        return -1;
    }
    uint32_t seq;
    memcpy(&seq, f + 14 + ihl + 8, 4);
    return seq;
}

static int cmp_ll(const void *a, const void *b)
{
    long long x = *(const long long *)a, y = *(const long long *)b;
    return x < y ? -1 : x > y;
}

static void run_latency(Net *n, size_t size, double seconds)
{
    GArray *rtt = g_array_new(FALSE, FALSE, sizeof(long long));
    long long stop = now_ns() + (long long)(seconds * 1e9);
    uint8_t f[BUF];
    for (uint32_t seq = 0; now_ns() < stop; seq++) {
        size_t len = udp_build(n, f, seq, size);
        long long t0 = now_ns();
        tx_frame(n, f, len);
        for (;;) {
            host_echo(n);
            int r = rx_frame(n, f);
            if (r >= 0 && echo_seq(f, r) == seq) {
                break;
            }
            if (now_ns() - t0 > WAIT_NS) {
                printf("n=%u median_ns=0 p90_ns=0 lost=1\n", rtt->len);
                exit(1);
            }
        }
        long long d = now_ns() - t0;
        g_array_append_val(rtt, d);
        tx_reap(n);
    }
    g_array_sort(rtt, cmp_ll);
    long long *v = (long long *)rtt->data;
    printf("n=%u median_ns=%lld p90_ns=%lld lost=0\n", rtt->len,
           v[rtt->len / 2], v[rtt->len * 9 / 10]);
}

static void run_pps(Net *n, size_t size, double seconds)
{
    uint8_t f[BUF];
    uint32_t sent = 0, got = 0, lost = 0;
    long long t0 = now_ns(), stop = t0 + (long long)(seconds * 1e9);
    long long last = t0;
    while (now_ns() < stop) {
        while (sent - got - lost < WINDOW) {
            tx_frame(n, f, udp_build(n, f, sent++, size));
        }
        bool idle = !host_echo(n);
        int r;
        while ((r = rx_frame(n, f)) >= 0) {
            idle = false;
            if (echo_seq(f, r) >= 0) {
                got++;
                last = now_ns();
            }
        }
        if (idle) {
            host_wait(n);
        }
        tx_reap(n);
        if (now_ns() - last > WAIT_NS / 10) {
            lost = sent - got;  /* written off: the window refills */
            last = now_ns();
        }
    }
    printf("frames=%u ns=%lld lost=%u\n", got, now_ns() - t0, lost);
}

int main(int argc, char **argv)
{
    if (argc != 5 || (strcmp(argv[2], "latency") && strcmp(argv[2], "pps"))) {
        fprintf(stderr, "usage: usernet-driver \"VMM ARGS\" latency|pps SIZE "
                "SECONDS\n");
        return 2;
    }
    size_t size = strtoull(argv[3], NULL, 0);
    double seconds = atof(argv[4]);
    if (size < 4 || size > 1472) {
        fprintf(stderr, "usernet-driver: SIZE 4 to 1472 bytes\n");
        return 2;
    }
    Net n = { 0 };
    n.host = socket(AF_INET, SOCK_DGRAM, 0);
    struct sockaddr_in sa = { .sin_family = AF_INET,
                              .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
    socklen_t sl = sizeof(sa);
    if (bind(n.host, (struct sockaddr *)&sa, sizeof(sa)) < 0 ||
        getsockname(n.host, (struct sockaddr *)&sa, &sl) < 0) {
        fprintf(stderr, "usernet-driver: host socket: %s\n", strerror(errno));
        return 1;
    }
    n.port = ntohs(sa.sin_port);
    n.s = qtest_init(argv[1]);
    if (!qvirtio_pci_probe(n.s, 1, &n.dev) ||
        !qvirtio_negotiate(&n.dev, 1ULL << VIRTIO_F_VERSION_1)) {
        fprintf(stderr, "usernet-driver: no modern virtio-net-pci\n");
        return 1;
    }
    n.rx = qvirtqueue_setup(&n.dev, 0, QSIZE, VIRTIO_MSI_NO_VECTOR);
    n.tx = qvirtqueue_setup(&n.dev, 1, QSIZE, VIRTIO_MSI_NO_VECTOR);
    qvirtio_set_status(&n.dev, qvirtio_get_status(&n.dev) |
                       VIRTIO_STATUS_DRIVER_OK);
    for (unsigned i = 0; i < 6; i++) {
        n.mac[i] = qvirtio_config_readb(&n.dev, i);
    }
    uint64_t rxpool = guest_alloc(&n.dev.alloc, QSIZE * BUF, 64);
    n.txpool = guest_alloc(&n.dev.alloc, QSIZE * BUF, 64);
    for (unsigned i = 0; i < QSIZE; i++) {
        QVirtBuf b = { rxpool + i * BUF, BUF, true };
        qvirtqueue_add(n.rx, &b, 1, false);
    }
    qvirtqueue_kick(n.rx);
    arp_gateway(&n);
    if (!strcmp(argv[2], "latency")) {
        run_latency(&n, size, seconds);
    } else {
        run_pps(&n, size, seconds);
    }
    qtest_quit(n.s);
    return 0;
}
