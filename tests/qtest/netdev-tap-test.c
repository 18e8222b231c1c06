/*
 * -netdev tap seen from both ends: a qtest guest driver on virtio-net and
 * the host side of the tap (an AF_PACKET socket, the kernel's ARP), in a
 * network namespace of the test's own that vanishes with the test process.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <glib.h>
#include <glib/gstdio.h>
#include <linux/if_packet.h>
#include <net/if_arp.h>
#include <linux/if_tun.h>
#include <net/ethernet.h>
#include <net/if.h>
#include <netinet/in.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "libqos.h"

#define HDR 12                  /* virtio_net_hdr with VERSION_1 */
#define RXBUF 2048
#define NRX 32
#define WAIT_MS 30000           /* per awaited frame: a loaded machine */
#define ETH_TEST 0x88b5         /* IEEE local experimental ethertype */
#define F_CTRL_VQ 17
#define F_MQ 22

#define HOST_IP "192.168.77.1"
#define GUEST_IP "192.168.77.2"

static const uint8_t guest_mac[6] = { 0x52, 0x54, 0x00, 0x77, 0x00, 0x02 };
static const uint8_t peer_mac[6] = { 0x52, 0x54, 0x00, 0x77, 0x00, 0x99 };

/* Why the namespace could not be made (NULL: it was). */
static const char *no_netns;

typedef struct Guest {
    QTestState *s;
    QVirtioPCI dev;
    unsigned pairs;
    QVirtQueue *rx[2], *tx[2], *ctrl;
    char ifname[IFNAMSIZ];
    int pkt;                    /* AF_PACKET socket on the host side */
    uint8_t last_hdr[HDR];      /* the header of the last frame received */
    unsigned last_queue;        /* and its rx queue pair */
    char *log;                  /* the machine's stderr */
} Guest;

/* ---- the host side ---- */

static int host_sock(void)
{
    int s = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    g_assert_cmpint(s, >=, 0);
    return s;
}

static void host_set_addr(int s, const char *ifname, unsigned long req,
                          const char *addr)
{
    struct ifreq ifr = { 0 };
    struct sockaddr_in *sin = (struct sockaddr_in *)&ifr.ifr_addr;
    g_strlcpy(ifr.ifr_name, ifname, IFNAMSIZ);
    sin->sin_family = AF_INET;
    g_assert_cmpint(inet_pton(AF_INET, addr, &sin->sin_addr), ==, 1);
    g_assert_cmpint(ioctl(s, req, &ifr), ==, 0);
}

/* The interface the machine made: wait for it, give it an address, up. */
static void host_if_up(const char *ifname)
{
    gint64 deadline = g_get_monotonic_time() + WAIT_MS * 1000LL;
    while (!if_nametoindex(ifname)) {
        g_assert_cmpint(g_get_monotonic_time(), <, deadline);
        g_usleep(10 * 1000);
    }
    int s = host_sock();
    host_set_addr(s, ifname, SIOCSIFADDR, HOST_IP);
    host_set_addr(s, ifname, SIOCSIFNETMASK, "255.255.255.0");
    struct ifreq ifr = { 0 };
    g_strlcpy(ifr.ifr_name, ifname, IFNAMSIZ);
    g_assert_cmpint(ioctl(s, SIOCGIFFLAGS, &ifr), ==, 0);
    ifr.ifr_flags |= IFF_UP;
    g_assert_cmpint(ioctl(s, SIOCSIFFLAGS, &ifr), ==, 0);
    close(s);
}

static int packet_open(const char *ifname)
{
    int fd = socket(AF_PACKET, SOCK_RAW | SOCK_CLOEXEC, htons(ETH_P_ALL));
    g_assert_cmpint(fd, >=, 0);
    struct sockaddr_ll sll = { .sll_family = AF_PACKET,
                               .sll_protocol = htons(ETH_P_ALL),
                               .sll_ifindex = if_nametoindex(ifname) };
    g_assert_cmpint(bind(fd, (struct sockaddr *)&sll, sizeof(sll)), ==, 0);
    return fd;
}

/* The next frame the host received on the tap equal to want (the guest's
 * frames arrive as PACKET_HOST/BROADCAST/OTHERHOST; its own go out). */
static bool host_wait_frame(Guest *g, const uint8_t *want, size_t len)
{
    gint64 deadline = g_get_monotonic_time() + WAIT_MS * 1000LL;
    uint8_t buf[4096];
    for (;;) {
        int left = (deadline - g_get_monotonic_time()) / 1000;
        struct pollfd p = { .fd = g->pkt, .events = POLLIN };
        if (left <= 0 || poll(&p, 1, left) != 1) {
            return false;
        }
        struct sockaddr_ll from;
        socklen_t fl = sizeof(from);
        ssize_t n = recvfrom(g->pkt, buf, sizeof(buf), 0,
                             (struct sockaddr *)&from, &fl);
        g_assert_cmpint(n, >=, 0);
        if (from.sll_pkttype != PACKET_OUTGOING && (size_t)n == len &&
            !memcmp(buf, want, len)) {
            return true;
        }
    }
}

static void host_send(Guest *g, const uint8_t *frame, size_t len)
{
    g_assert_cmpint(send(g->pkt, frame, len, 0), ==, len);
}

/* ---- the guest ---- */

/* Start the machine with this netdev (its stderr to g->log), drive the
 * NIC to DRIVER_OK with rx buffers on every pair.  No MSI-X: the test
 * polls the used rings. */
static uint64_t boot_features;  /* more features for the next boot */
static const char *boot_devopts = "";   /* and device properties */

static void guest_boot(Guest *g, const char *ifname, unsigned pairs,
                       const char *netdev)
{
    memset(g, 0, sizeof(*g));
    g->pairs = pairs;
    g->pkt = -1;
    g_strlcpy(g->ifname, ifname, sizeof(g->ifname));
    g->log = g_build_filename(g_get_tmp_dir(), "vmu-tap-log-XXXXXX", NULL);
    int fd = g_mkstemp(g->log);
    g_assert_cmpint(fd, >=, 0);
    fflush(stderr);
    int saved = dup(2);
    dup2(fd, 2);
    close(fd);
    g->s = qtest_initf("-netdev %s -device virtio-net-pci,netdev=n0,"
                       "disable-legacy=on,mac=52:54:00:77:00:02%s%s", netdev,
                       pairs > 1 ? ",mq=on" : "", boot_devopts);
    dup2(saved, 2);
    close(saved);
    g_assert_true(qvirtio_pci_probe(g->s, 1, &g->dev));
    uint64_t f = 1ULL << VIRTIO_F_VERSION_1 | boot_features;
    if (pairs > 1) {
        f |= 1ULL << F_CTRL_VQ | 1ULL << F_MQ;
        g_assert_true(qvirtio_get_features(&g->dev) & (1ULL << F_MQ));
    }
    g_assert_true(qvirtio_negotiate(&g->dev, f));
    if (pairs > 1) {
        g_assert_cmpuint(qvirtio_config_readw(&g->dev, 8), ==, pairs);
    }
    for (unsigned i = 0; i < pairs; i++) {
        g->rx[i] = qvirtqueue_setup(&g->dev, 2 * i, 256, VIRTIO_MSI_NO_VECTOR);
        g->tx[i] = qvirtqueue_setup(&g->dev, 2 * i + 1, 256,
                                    VIRTIO_MSI_NO_VECTOR);
    }
    if (f & 1ULL << F_CTRL_VQ) {
        g->ctrl = qvirtqueue_setup(&g->dev, 2 * pairs, 64,
                                   VIRTIO_MSI_NO_VECTOR);
    }
    qvirtio_set_status(&g->dev, qvirtio_get_status(&g->dev) |
                       VIRTIO_STATUS_DRIVER_OK);
    for (unsigned q = 0; q < pairs; q++) {
        uint64_t pool = guest_alloc(&g->dev.alloc, NRX * RXBUF, 64);
        for (unsigned i = 0; i < NRX; i++) {
            QVirtBuf b = { pool + i * RXBUF, RXBUF, true };
            qvirtqueue_add(g->rx[q], &b, 1, false);
        }
        qvirtqueue_kick(g->rx[q]);
    }
}

/* The host side: an address, up, an AF_PACKET socket on it. */
static void guest_host_up(Guest *g)
{
    host_if_up(g->ifname);
    g->pkt = packet_open(g->ifname);
}

static void guest_start(Guest *g, const char *ifname, unsigned pairs,
                        const char *netdev)
{
    guest_boot(g, ifname, pairs, netdev);
    guest_host_up(g);
}

static char *guest_log(Guest *g)
{
    char *text = NULL;
    g_assert_true(g_file_get_contents(g->log, &text, NULL, NULL));
    return text;
}

/* The machine's stderr goes to a file: a sanitizer report there fails. */
static void assert_no_sanitizer(const char *text)
{
    if (strstr(text, "Sanitizer") || strstr(text, "runtime error")) {
        g_test_message("stderr: %s", text);
        g_assert_not_reached();
    }
}

static void guest_stop(Guest *g)
{
    qtest_quit(g->s);
    g_autofree char *log = guest_log(g);
    assert_no_sanitizer(log);
    for (unsigned i = 0; i < 2; i++) {
        g_free(g->rx[i]);
        g_free(g->tx[i]);
    }
    g_free(g->ctrl);
    if (g->pkt >= 0) {
        close(g->pkt);
    }
    g_unlink(g->log);
    g_free(g->log);
}

/* A control command; returns the device's ack (0: OK). */
static uint8_t guest_ctrl(Guest *g, const uint8_t *cmd, size_t len)
{
    uint64_t out = guest_alloc(&g->dev.alloc, len, 8);
    uint64_t ack = guest_alloc(&g->dev.alloc, 1, 8);
    qtest_memwrite(g->s, out, cmd, len);
    qtest_writeb(g->s, ack, 0xee);
    QVirtBuf b[2] = { { out, len, false }, { ack, 1, true } };
    qvirtqueue_add(g->ctrl, b, 2, false);
    qvirtqueue_kick(g->ctrl);
    g_assert_true(qvirtqueue_get_used(g->ctrl, NULL, NULL, WAIT_MS));
    return qtest_readb(g->s, ack);
}

static void guest_send_hdr(Guest *g, unsigned q, const uint8_t *hdr,
                           const uint8_t *frame, size_t len)
{
    static const uint8_t zero[HDR];
    uint64_t buf = guest_alloc(&g->dev.alloc, HDR + len, 64);
    qtest_memwrite(g->s, buf, hdr ? hdr : zero, HDR);
    qtest_memwrite(g->s, buf + HDR, frame, len);
    QVirtBuf b = { buf, HDR + len, false };
    qvirtqueue_add(g->tx[q], &b, 1, false);
    qvirtqueue_kick(g->tx[q]);
    g_assert_true(qvirtqueue_get_used(g->tx[q], NULL, NULL, WAIT_MS));
}

static void guest_send(Guest *g, unsigned q, const uint8_t *frame,
                       size_t len)
{
    guest_send_hdr(g, q, NULL, frame, len);
}

/* The next frame on any rx ring (its buffer goes back); -1: none came. */
static int guest_recv(Guest *g, uint8_t *frame, gint64 deadline)
{
    for (unsigned q = 0;; q = (q + 1) % g->pairs) {
        uint32_t id, len;
        gint64 left = (deadline - g_get_monotonic_time()) / 1000;
        if (left <= 0) {
            return -1;
        }
        if (!qvirtqueue_get_used(g->rx[q], &id, &len,
                                 g->pairs > 1 ? MIN(left, 20) : left)) {
            continue;
        }
        QVirtQueue *vq = g->rx[q];
        uint64_t addr = qtest_readq(g->s, vq->desc + 16 * id);
        g_assert_cmpuint(len, >=, HDR);
        g_assert_cmpuint(len, <=, RXBUF);
        qtest_memread(g->s, addr, g->last_hdr, HDR);
        qtest_memread(g->s, addr + HDR, frame, len - HDR);
        g->last_queue = q;
        QVirtBuf b = { addr, RXBUF, true };
        qvirtqueue_add(vq, &b, 1, false);
        qvirtqueue_kick(vq);
        return len - HDR;
    }
}

typedef bool (*FrameMatch)(const uint8_t *f, int len, const void *opaque);

/* Frames until one matches (the host's own IPv6 chatter is skipped). */
static bool guest_wait(Guest *g, FrameMatch match, const void *opaque,
                       uint8_t *frame, int *len)
{
    gint64 deadline = g_get_monotonic_time() + WAIT_MS * 1000LL;
    for (;;) {
        int n = guest_recv(g, frame, deadline);
        if (n < 0) {
            return false;
        }
        if (match(frame, n, opaque)) {
            *len = n;
            return true;
        }
    }
}

/* ---- frames ---- */

typedef struct Want {
    const uint8_t *frame;
    size_t len;
} Want;

static bool is_frame(const uint8_t *f, int len, const void *opaque)
{
    const Want *w = opaque;
    return (size_t)len == w->len && !memcmp(f, w->frame, w->len);
}

/* A 200-byte test frame whose payload says which way and queue it went. */
static size_t test_frame(uint8_t *f, const uint8_t *dst, const uint8_t *src,
                         const char *tag)
{
    memcpy(f, dst, 6);
    memcpy(f + 6, src, 6);
    f[12] = ETH_TEST >> 8;
    f[13] = ETH_TEST & 0xff;
    for (unsigned i = 14; i < 200; i++) {
        f[i] = i * 7;
    }
    g_strlcpy((char *)f + 14, tag, 64);
    return 200;
}

static bool is_arp_reply(const uint8_t *f, int len, const void *opaque)
{
    struct in_addr host, guest;
    inet_pton(AF_INET, HOST_IP, &host);
    inet_pton(AF_INET, GUEST_IP, &guest);
    return len >= 42 && f[12] == 0x08 && f[13] == 0x06 && f[20] == 0 &&
           f[21] == 2 && !memcmp(f + 28, &host, 4) &&
           !memcmp(f + 32, guest_mac, 6) && !memcmp(f + 38, &guest, 4);
}

/* The guest asks who has the host's address; the host's kernel answers. */
static void check_arp(Guest *g)
{
    static const uint8_t bcast[6] = { 0xff, 0xff, 0xff, 0xff, 0xff, 0xff };
    static const uint8_t arp_req[8] = { 0, 1, 8, 0, 6, 4, 0, 1 };
    uint8_t f[RXBUF];
    struct in_addr host, guest;
    inet_pton(AF_INET, HOST_IP, &host);
    inet_pton(AF_INET, GUEST_IP, &guest);
    memset(f, 0, 60);
    memcpy(f, bcast, 6);
    memcpy(f + 6, guest_mac, 6);
    f[12] = 0x08;
    f[13] = 0x06;
    memcpy(f + 14, arp_req, 8);
    memcpy(f + 22, guest_mac, 6);
    memcpy(f + 28, &guest, 4);
    memcpy(f + 38, &host, 4);
    guest_send(g, 0, f, 60);
    int len;
    g_assert_true(guest_wait(g, is_arp_reply, NULL, f, &len));
    /* The reply comes from the tap's own MAC. */
    struct ifreq ifr = { 0 };
    int s = host_sock();
    g_strlcpy(ifr.ifr_name, g->ifname, IFNAMSIZ);
    g_assert_cmpint(ioctl(s, SIOCGIFHWADDR, &ifr), ==, 0);
    close(s);
    g_assert_cmpmem(f + 22, 6, ifr.ifr_hwaddr.sa_data, 6);
}

/* A frame from each tx queue reaches the host intact; one from the host
 * reaches the guest intact; the kernel answers the guest's ARP. */
static void check_both_ways(Guest *g)
{
    static const uint8_t bcast[6] = { 0xff, 0xff, 0xff, 0xff, 0xff, 0xff };
    uint8_t out[256], in[RXBUF];
    for (unsigned q = 0; q < g->pairs; q++) {
        g_autofree char *tag = g_strdup_printf("guest to host, tx queue %u",
                                               q);
        size_t len = test_frame(out, bcast, guest_mac, tag);
        guest_send(g, q, out, len);
        g_assert_true(host_wait_frame(g, out, len));
    }
    size_t len = test_frame(out, guest_mac, peer_mac, "host to guest");
    host_send(g, out, len);
    Want w = { out, len };
    int n;
    g_assert_true(guest_wait(g, is_frame, &w, in, &n));
    check_arp(g);
}

/* ---- the tests ---- */

static bool need_netns(void)
{
    if (no_netns) {
        qtest_skip_missing(no_netns);
        return false;
    }
    return true;
}

/* One tap made by -netdev tap,ifname=: frames both ways. */
typedef struct TapCase {
    const char *path;
    const char *opts;           /* after ifname= */
} TapCase;

static const TapCase tap_cases[] = {
    { "/netdev-tap/ifname/frames-both-ways", "" },
    { "/netdev-tap/ifname/vnet_hdr-off", ",vnet_hdr=off" },
    { "/netdev-tap/ifname/vnet_hdr-on-sndbuf", ",vnet_hdr=on,sndbuf=1M" },
};

static void test_ifname(gconstpointer opaque)
{
    const TapCase *c = opaque;
    if (!need_netns()) {
        return;
    }
    Guest g;
    g_autofree char *nd = g_strdup_printf("tap,id=n0,ifname=vmut0,script=no,"
                                          "downscript=no%s", c->opts);
    guest_start(&g, "vmut0", 1, nd);
    check_both_ways(&g);
    guest_stop(&g);
    /* The tap was the machine's: it goes with it. */
    g_assert_cmpuint(if_nametoindex("vmut0"), ==, 0);
}

/* More frames than the guest has rx buffers: vmu stops reading the tap
 * while the ring is full and goes on when buffers come back, so every
 * frame arrives, in order; the other way, every frame too. */
static void test_burst(void)
{
    static const uint8_t bcast[6] = { 0xff, 0xff, 0xff, 0xff, 0xff, 0xff };
    enum { N = 3 * NRX };
    if (!need_netns()) {
        return;
    }
    Guest g;
    guest_start(&g, "vmutbu", 1, "tap,id=n0,ifname=vmutbu,script=no,"
                "downscript=no");
    uint8_t out[N][256], in[RXBUF];
    size_t len = 0;
    for (unsigned i = 0; i < N; i++) {
        g_autofree char *tag = g_strdup_printf("host to guest %u", i);
        len = test_frame(out[i], guest_mac, peer_mac, tag);
        host_send(&g, out[i], len);
    }
    for (unsigned i = 0; i < N; i++) {
        Want w = { out[i], len };
        int n;
        /* A match on frame i skips only the host's own chatter: the test
         * frames before it have arrived already, and none after it. */
        g_assert_true(guest_wait(&g, is_frame, &w, in, &n));
    }
    for (unsigned i = 0; i < N; i++) {
        g_autofree char *tag = g_strdup_printf("guest to host %u", i);
        len = test_frame(out[i], bcast, guest_mac, tag);
        guest_send(&g, 0, out[i], len);
    }
    for (unsigned i = 0; i < N; i++) {
        g_assert_true(host_wait_frame(&g, out[i], len));
    }
    guest_stop(&g);
}

/* Frames the guest sends while the host side is down are dropped, said
 * once (not per frame), and the machine goes on: once the interface is
 * up, frames flow. */
static void test_down(void)
{
    static const uint8_t bcast[6] = { 0xff, 0xff, 0xff, 0xff, 0xff, 0xff };
    if (!need_netns()) {
        return;
    }
    Guest g;
    guest_boot(&g, "vmutdn", 1, "tap,id=n0,ifname=vmutdn,script=no,"
               "downscript=no");
    uint8_t f[256];
    for (unsigned i = 0; i < 20; i++) {
        guest_send(&g, 0, f, test_frame(f, bcast, guest_mac, "dropped"));
    }
    guest_host_up(&g);
    check_both_ways(&g);
    if (!qtest_using_qemu()) {
        g_autofree char *log = guest_log(&g);
        g_test_message("stderr: %s", log);
        g_auto(GStrv) lines = g_strsplit(log, "\n", -1);
        unsigned said = 0;
        for (char **l = lines; *l; l++) {
            said += strstr(*l, "tap vmutdn is down (ip link set vmutdn up); "
                           "frames dropped") != NULL;
        }
        /* Rate-limited: one line per 5 s, however many frames. */
        g_assert_cmpuint(said, >=, 1);
        g_assert_cmpuint(said, <, 20);
    }
    guest_stop(&g);
}

/* A tap queue the test makes, inherited by the machine (no CLOEXEC). */
static int tap_open(const char *ifname, bool multi_queue)
{
    struct ifreq ifr = { 0 };
    int fd = open("/dev/net/tun", O_RDWR);
    g_assert_cmpint(fd, >=, 0);
    g_strlcpy(ifr.ifr_name, ifname, IFNAMSIZ);
    ifr.ifr_flags = IFF_TAP | IFF_NO_PI | IFF_VNET_HDR |
                    (multi_queue ? IFF_MULTI_QUEUE : 0);
    g_assert_cmpint(ioctl(fd, TUNSETIFF, &ifr), ==, 0);
    return fd;
}

static void test_fd(void)
{
    if (!need_netns()) {
        return;
    }
    int fd = tap_open("vmutfd", false);
    g_autofree char *nd = g_strdup_printf("tap,id=n0,fd=%d", fd);
    Guest g;
    guest_start(&g, "vmutfd", 1, nd);
    close(fd);
    check_both_ways(&g);
    guest_stop(&g);
}

static void check_mq(Guest *g)
{
    static const uint8_t pairs_set[4] = { 4, 0, 2, 0 };  /* MQ, 2 pairs */
    g_assert_cmpuint(guest_ctrl(g, pairs_set, sizeof(pairs_set)), ==, 0);
    check_both_ways(g);
}

static void test_queues(void)
{
    if (!need_netns()) {
        return;
    }
    Guest g;
    guest_start(&g, "vmutmq", 2, "tap,id=n0,ifname=vmutmq,script=no,"
                "downscript=no,queues=2");
    check_mq(&g);
    guest_stop(&g);
}

static void test_fds(void)
{
    if (!need_netns()) {
        return;
    }
    int fd0 = tap_open("vmutfds", true), fd1 = tap_open("vmutfds", true);
    g_autofree char *nd = g_strdup_printf("tap,id=n0,fds=%d:%d", fd0, fd1);
    Guest g;
    guest_start(&g, "vmutfds", 2, nd);
    close(fd0);
    close(fd1);
    check_mq(&g);
    guest_stop(&g);
}

static void test_vhost_fallback(void)
{
    if (!need_netns()) {
        return;
    }
    if (qtest_using_qemu()) {
        /* qemu-system-x86_64 7.2 warns "open vhost char device failed",
         * then aborts: Assertion `nc' failed in net_client_init1. */
        g_test_skip("QEMU 7.2 aborts on vhost=on without /dev/vhost-net");
        return;
    }
    Guest g;
    guest_start(&g, "vmutvh", 1, "tap,id=n0,ifname=vmutvh,script=no,"
                "downscript=no,vhost=on");
    check_both_ways(&g);
    g_autofree char *log = guest_log(&g);
    g_test_message("stderr: %s", log);
    g_auto(GStrv) lines = g_strsplit(log, "\n", -1);
    unsigned warnings = 0;
    for (char **l = lines; *l; l++) {
        warnings += strstr(*l, "vhost=on") != NULL;
    }
    g_assert_cmpuint(warnings, ==, 1);
    if (access("/dev/vhost-net", F_OK)) {
        g_assert_nonnull(strstr(log, "/dev/vhost-net is missing"));
    }
    g_assert_nonnull(strstr(log, "user-space data path"));
    guest_stop(&g);
}

/* Run the machine to its end (it must fail at start-up); its stderr. */
static int machine_fails(const char *netdev, char **err)
{
    g_autofree char *dir = g_dir_make_tmp("vmu-tap-XXXXXX", NULL);
    g_autofree char *log = g_build_filename(dir, "stderr", NULL);
    g_autofree char *cmd = NULL;
    if (qtest_using_qemu()) {
        /* QEMU connects -qtest before it makes netdevs: none here. */
        cmd = g_strdup_printf("%s -machine pc,accel=tcg -display none "
                              "-nodefaults -m 128M -S -netdev %s",
                              g_getenv("QTEST_QEMU_BINARY"), netdev);
    } else {
        const char *bin = g_getenv("QTEST_VMU_BINARY");
        cmd = g_strdup_printf("%s -machine pc,accel=qtest -qtest "
                              "unix:%s/none -display none -nodefaults "
                              "-m 128M -netdev %s", bin && *bin ? bin : "vmu",
                              dir, netdev);
    }
    g_auto(GStrv) argv = NULL;
    g_assert_true(g_shell_parse_argv(cmd, NULL, &argv, NULL));
    int fd = open(log, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    g_assert_cmpint(fd, >=, 0);
    fflush(stderr);
    pid_t pid = fork();
    g_assert_cmpint(pid, >=, 0);
    if (pid == 0) {
        dup2(fd, 2);
        execvp(argv[0], argv);
        _exit(127);
    }
    close(fd);
    int status = 0;
    gint64 deadline = g_get_monotonic_time() + WAIT_MS * 1000LL;
    while (waitpid(pid, &status, WNOHANG) != pid) {
        if (g_get_monotonic_time() > deadline) {
            kill(pid, SIGKILL);
            waitpid(pid, &status, 0);
            g_test_message("the machine did not stop within %d ms", WAIT_MS);
            status = -1;
            break;
        }
        g_usleep(10 * 1000);
    }
    g_assert_true(g_file_get_contents(log, err, NULL, NULL));
    g_test_message("stderr: %s", *err);
    assert_no_sanitizer(*err);
    g_unlink(log);
    g_rmdir(dir);
    return status;
}

static void test_vhostforce(void)
{
    if (!need_netns()) {
        return;
    }
    bool have = !access("/dev/vhost-net", F_OK);
    if (have && qtest_using_qemu()) {
        g_test_skip("with /dev/vhost-net QEMU serves the rings in the "
                    "kernel; this case is the error without it");
        return;
    }
    g_autofree char *err = NULL;
    int status = machine_fails("tap,id=n0,ifname=vmutvf,script=no,"
                               "downscript=no,vhostforce=on", &err);
    g_assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 1);
    g_assert_nonnull(strstr(err, "vhost"));
    if (!qtest_using_qemu()) {
        g_assert_nonnull(strstr(err, have ? "vhostforce=on: vmu does not "
                                "drive kernel vhost-net" :
                                "vhostforce=on: /dev/vhost-net is missing"));
        g_assert_nonnull(strstr(err, have ? "drop vhostforce=on" :
                                "modprobe vhost_net"));
    }
    /* Nothing was made. */
    g_assert_cmpuint(if_nametoindex("vmutvf"), ==, 0);
}

/* A single-queue tap another process holds: the kernel says EBUSY, and
 * the error says what to do. */
static void test_busy(void)
{
    if (!need_netns()) {
        return;
    }
    int fd = tap_open("vmutbsy", false);
    fcntl(fd, F_SETFD, FD_CLOEXEC);
    g_autofree char *err = NULL;
    int status = machine_fails("tap,id=n0,ifname=vmutbsy,script=no,"
                               "downscript=no", &err);
    close(fd);
    g_assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 1);
    g_assert_nonnull(strstr(err, "vmutbsy"));
    g_assert_nonnull(strstr(err, qtest_using_qemu() ?
                            "Device or resource busy" :
                            "ifname=vmutbsy is busy (TUNSETIFF: Device or "
                            "resource busy): another process has it open"));
}

/* script=: run with the interface's name once it is made; downscript= at
 * exit, while it still exists. */
static void test_scripts(void)
{
    if (!need_netns()) {
        return;
    }
    g_autofree char *dir = g_dir_make_tmp("vmu-tap-XXXXXX", NULL);
    g_autofree char *up = g_build_filename(dir, "ifup", NULL);
    g_autofree char *down = g_build_filename(dir, "ifdown", NULL);
    g_autofree char *up_out = g_build_filename(dir, "up.out", NULL);
    g_autofree char *down_out = g_build_filename(dir, "down.out", NULL);
    g_autofree char *up_text = g_strdup_printf(
        "#!/bin/sh\nip link show \"$1\" >/dev/null && echo \"up $1\" > %s\n",
        up_out);
    g_autofree char *down_text = g_strdup_printf(
        "#!/bin/sh\nip link show \"$1\" >/dev/null && echo \"down $1\" > %s\n",
        down_out);
    g_assert_true(g_file_set_contents(up, up_text, -1, NULL));
    g_assert_true(g_file_set_contents(down, down_text, -1, NULL));
    g_assert_cmpint(chmod(up, 0755), ==, 0);
    g_assert_cmpint(chmod(down, 0755), ==, 0);

    g_autofree char *nd = g_strdup_printf("tap,id=n0,ifname=vmutsc,"
                                          "script=%s,downscript=%s", up,
                                          down);
    Guest g;
    guest_start(&g, "vmutsc", 1, nd);
    /* The up script ran before the machine went on. */
    g_autofree char *text = NULL;
    g_assert_true(g_file_get_contents(up_out, &text, NULL, NULL));
    g_assert_cmpstr(text, ==, "up vmutsc\n");
    g_assert_false(g_file_test(down_out, G_FILE_TEST_EXISTS));
    check_both_ways(&g);
    guest_stop(&g);
    g_autofree char *dtext = NULL;
    g_assert_true(g_file_get_contents(down_out, &dtext, NULL, NULL));
    g_assert_cmpstr(dtext, ==, "down vmutsc\n");

    /* A script that fails stops start-up, named with its status. */
    g_assert_true(g_file_set_contents(up, "#!/bin/sh\nexit 3\n", -1, NULL));
    g_assert_cmpint(chmod(up, 0755), ==, 0);
    g_autofree char *nd2 = g_strdup_printf("tap,id=n0,ifname=vmutsc,"
                                           "script=%s,downscript=no", up);
    g_autofree char *err = NULL;
    int status = machine_fails(nd2, &err);
    g_assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 1);
    g_assert_nonnull(strstr(err, up));
    /* QEMU: "network script ... failed with status 768" (a wait status) */
    g_assert_nonnull(strstr(err, qtest_using_qemu() ? "failed with status" :
                            "failed with exit status 3"));
    g_assert_cmpuint(if_nametoindex("vmutsc"), ==, 0);
    g_unlink(up);
    g_unlink(down);
    g_unlink(up_out);
    g_unlink(down_out);
    g_rmdir(dir);
}

/* ---- offloads through the tap's virtio-net header ---- */

#define F_CSUM 0
#define F_GUEST_CSUM 1
#define F_CTRL_GUEST_OFFLOADS 2
#define F_GUEST_TSO4 7
#define F_HOST_TSO4 11
#define TCP_PORT 5001
#define GUEST_PORT 40001

/* The host knows the guest's MAC without asking (the test answers no
 * ARP): a permanent neighbour entry. */
static void host_add_neigh(const char *ifname)
{
    struct arpreq r = { 0 };
    struct sockaddr_in *sin = (struct sockaddr_in *)&r.arp_pa;
    sin->sin_family = AF_INET;
    inet_pton(AF_INET, GUEST_IP, &sin->sin_addr);
    r.arp_ha.sa_family = ARPHRD_ETHER;
    memcpy(r.arp_ha.sa_data, guest_mac, 6);
    r.arp_flags = ATF_COM | ATF_PERM;
    g_strlcpy(r.arp_dev, ifname, sizeof(r.arp_dev));
    int s = host_sock();
    g_assert_cmpint(ioctl(s, SIOCSARP, &r), ==, 0);
    close(s);
}

static int host_listen(void)
{
    int s = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    struct sockaddr_in a = { .sin_family = AF_INET,
                             .sin_port = htons(TCP_PORT) };
    inet_pton(AF_INET, HOST_IP, &a.sin_addr);
    g_assert_cmpint(bind(s, (struct sockaddr *)&a, sizeof(a)), ==, 0);
    g_assert_cmpint(listen(s, 1), ==, 0);
    return s;
}

/* The guest's end of one TCP connection, frame by frame. */
typedef struct Tcp {
    uint8_t host_mac[6];
    uint32_t seq;               /* the guest's next sequence number */
    uint32_t ack;               /* the host's next one */
} Tcp;

static uint32_t get_be32(const uint8_t *p)
{
    return (uint32_t)p[0] << 24 | p[1] << 16 | p[2] << 8 | p[3];
}

/* A TCP segment from the guest; partial: the checksum field holds the
 * pseudo-header's sum and *hdr asks for NEEDS_CSUM, as Linux sends. */
static size_t tcp_out(Tcp *t, uint8_t *f, uint8_t flags, size_t n,
                      bool partial, uint8_t *hdr)
{
    size_t len = 54 + n, tl = 20 + n;
    uint8_t *ip = f + 14, *tcp = f + 34;
    memcpy(f, t->host_mac, 6);
    memcpy(f + 6, guest_mac, 6);
    f[12] = 0x08, f[13] = 0x00;
    memset(ip, 0, 40);
    ip[0] = 0x45;
    ip[2] = (len - 14) >> 8, ip[3] = len - 14;
    ip[6] = 0x40, ip[8] = 64, ip[9] = 6;
    inet_pton(AF_INET, GUEST_IP, ip + 12);
    inet_pton(AF_INET, HOST_IP, ip + 16);
    uint16_t c = ~qnet_fold(qnet_sum(0, ip, 20));
    ip[10] = c >> 8, ip[11] = c;
    tcp[0] = GUEST_PORT >> 8, tcp[1] = GUEST_PORT & 0xff;
    tcp[2] = TCP_PORT >> 8, tcp[3] = TCP_PORT & 0xff;
    for (unsigned i = 0; i < 4; i++) {
        tcp[4 + i] = t->seq >> (24 - 8 * i);
        tcp[8 + i] = t->ack >> (24 - 8 * i);
    }
    tcp[12] = 5 << 4;
    tcp[13] = flags;
    tcp[14] = 0xfa, tcp[15] = 0xf0;             /* window 64240 */
    uint32_t ph = qnet_sum(0, ip + 12, 8) + 6 + tl;
    c = partial ? qnet_fold(ph) : ~qnet_fold(qnet_sum(ph, tcp, tl));
    tcp[16] = c >> 8, tcp[17] = c;
    memset(hdr, 0, HDR);
    if (partial) {
        hdr[0] = 1;                             /* NEEDS_CSUM */
        hdr[6] = 34;                            /* csum_start */
        hdr[8] = 16;                            /* csum_offset */
    }
    return len;
}

typedef struct TcpWant {
    uint8_t flags;              /* all of these set */
    uint32_t seq;               /* with data: this sequence number */
    bool data;
} TcpWant;

static bool is_tcp_from_host(const uint8_t *f, int len, const void *opaque)
{
    const TcpWant *w = opaque;
    if (len < 54 || f[12] != 0x08 || f[13] != 0x00 || f[23] != 6 ||
        (f[34] << 8 | f[35]) != TCP_PORT ||
        (f[36] << 8 | f[37]) != GUEST_PORT ||
        (f[47] & w->flags) != w->flags) {
        return false;
    }
    size_t data = (f[16] << 8 | f[17]) - 20 - (f[46] >> 4) * 4;
    return !w->data || (data > 0 && get_be32(f + 38) == w->seq);
}

static void host_recv_all(int fd, uint8_t *buf, size_t len)
{
    gint64 deadline = g_get_monotonic_time() + WAIT_MS * 1000LL;
    size_t done = 0;
    while (done < len) {
        int left = (deadline - g_get_monotonic_time()) / 1000;
        struct pollfd p = { .fd = fd, .events = POLLIN };
        g_assert_cmpint(left, >, 0);
        g_assert_cmpint(poll(&p, 1, left), ==, 1);
        ssize_t k = recv(fd, buf + done, len - done, 0);
        g_assert_cmpint(k, >, 0);
        done += k;
    }
}

/* The host's next n bytes to the guest, in as many segments as it
 * takes, each acked; each segment's header flags must be @flags, and a
 * whole checksum must check out. */
static void guest_tcp_recv(Guest *g, Tcp *t, uint8_t *data, size_t n,
                           uint8_t flags)
{
    uint8_t f[RXBUF], out[64], hdr[HDR];
    size_t done = 0;
    while (done < n) {
        TcpWant w = { 0x10, t->ack, true };
        int len = 0;
        g_assert_true(guest_wait(g, is_tcp_from_host, &w, f, &len));
        size_t k = (f[16] << 8 | f[17]) - 20 - (f[46] >> 4) * 4;
        g_assert_cmpuint(done + k, <=, n);
        g_assert_cmphex(g->last_hdr[0], ==, flags);
        if (flags & 1) {                        /* NEEDS_CSUM */
            g_assert_cmpuint(g->last_hdr[6], ==, 34);
            g_assert_cmpuint(g->last_hdr[8], ==, 16);
        } else {
            uint32_t ph = qnet_sum(0, f + 26, 8) + 6 + (len - 34);
            g_assert_cmphex(qnet_fold(qnet_sum(ph, f + 34, len - 34)), ==,
                            0xffff);
        }
        memcpy(data + done, f + len - k, k);
        done += k;
        t->ack += k;
        guest_send_hdr(g, 0, hdr, out, tcp_out(t, out, 0x10, 0, false, hdr));
    }
}

static void test_offload(void)
{
    if (!need_netns()) {
        return;
    }
    Guest g;
    boot_features = 1ULL << F_CSUM | 1ULL << F_HOST_TSO4 |
                    1ULL << F_GUEST_CSUM | 1ULL << F_CTRL_VQ |
                    1ULL << F_CTRL_GUEST_OFFLOADS;
    guest_start(&g, "vmutof", 1, "tap,id=n0,ifname=vmutof,script=no,"
                "downscript=no");
    boot_features = 0;
    /* vnet_hdr: the kernel does checksums and segmentation both ways */
    uint64_t need = 1ULL << F_CSUM | 1ULL << F_HOST_TSO4 |
                    1ULL << F_GUEST_CSUM | 1ULL << F_GUEST_TSO4 |
                    1ULL << F_CTRL_GUEST_OFFLOADS;
    g_assert_cmphex(qvirtio_get_features(&g.dev) & need, ==, need);
    host_add_neigh(g.ifname);
    int lfd = host_listen();
    Tcp t = { .seq = 0x10000000 };
    struct ifreq ifr = { 0 };
    int s = host_sock();
    g_strlcpy(ifr.ifr_name, g.ifname, IFNAMSIZ);
    g_assert_cmpint(ioctl(s, SIOCGIFHWADDR, &ifr), ==, 0);
    close(s);
    memcpy(t.host_mac, ifr.ifr_hwaddr.sa_data, 6);

    /* A SYN whose checksum the guest left partial: the host's stack
     * answers only if the offload reached it (a checksum that is only
     * the pseudo-header's is wrong, and dropped). */
    uint8_t *f = g_malloc(65536), hdr[HDR], in[RXBUF];
    int len;
    guest_send_hdr(&g, 0, hdr, f, tcp_out(&t, f, 0x02, 0, true, hdr));
    TcpWant synack = { 0x12, 0, false };
    g_assert_true(guest_wait(&g, is_tcp_from_host, &synack, in, &len));
    t.ack = get_be32(in + 38) + 1;
    t.seq++;
    guest_send_hdr(&g, 0, hdr, f, tcp_out(&t, f, 0x10, 0, true, hdr));
    struct pollfd p = { .fd = lfd, .events = POLLIN };
    g_assert_cmpint(poll(&p, 1, WAIT_MS), ==, 1);
    int cfd = accept(lfd, NULL, NULL);
    g_assert_cmpint(cfd, >=, 0);

    /* A 64 KiB TSO frame (MSS 1448): the host's socket reads every byte
     * of it, in order. */
    size_t payload = 65536 - 54;
    size_t flen = tcp_out(&t, f, 0x18, payload, true, hdr);
    for (size_t i = 0; i < payload; i++) {
        f[54 + i] = i * 7 + (i >> 9);
    }
    hdr[1] = 1;                                 /* GSO_TCPV4 */
    hdr[2] = 54;                                /* hdr_len */
    hdr[4] = 1448 & 0xff, hdr[5] = 1448 >> 8;   /* gso_size */
    guest_send_hdr(&g, 0, hdr, f, flen);
    uint8_t *got = g_malloc(payload);
    host_recv_all(cfd, got, payload);
    g_assert_cmpmem(got, payload, f + 54, payload);
    t.seq += payload;

    /* The host's data to the guest, which took guest_csum: the header
     * passes through, the checksum left partial for the guest to trust. */
    uint8_t back[2000];
    g_assert_cmpint(send(cfd, got, 1000, 0), ==, 1000);
    guest_tcp_recv(&g, &t, back, 1000, 1);
    g_assert_cmpmem(back, 1000, got, 1000);

    /* The guest turns receive offloads off: whole checksums again. */
    static const uint8_t off[10] = { 5, 0 };
    g_assert_cmpuint(guest_ctrl(&g, off, sizeof(off)), ==, 0);
    g_assert_cmpint(send(cfd, got + 1000, 1000, 0), ==, 1000);
    guest_tcp_recv(&g, &t, back, 1000, 0);
    g_assert_cmpmem(back, 1000, got + 1000, 1000);
    close(cfd);
    close(lfd);
    g_free(got);
    g_free(f);
    guest_stop(&g);
}

/* mq=on, 2 pairs: the frames of one flow come on one rx queue, and the
 * flows spread over both. */
typedef struct FlowWant {
    unsigned flow, seq;
} FlowWant;

static bool is_flow_frame(const uint8_t *f, int len, const void *opaque)
{
    const FlowWant *w = opaque;
    return len >= 46 && f[12] == 0x08 && f[13] == 0x00 && f[23] == 17 &&
           f[36] == 0x27 && f[37] == 0x0f &&            /* port 9999 */
           f[42] == w->flow && f[43] == w->seq;
}

/* A frame of UDP flow fl (10.9.0.<fl>:<1000+fl> -> GUEST_IP:9999) from
 * the host; the rx queue pair it arrived on. */
static unsigned flow_queue(Guest *g, unsigned fl, unsigned i)
{
    uint8_t f[64] = { 0 }, in[RXBUF];
    memcpy(f, guest_mac, 6);
    memcpy(f + 6, peer_mac, 6);
    f[12] = 0x08, f[14] = 0x45, f[17] = 50, f[22] = 64, f[23] = 17;
    f[26] = 10, f[27] = 9, f[29] = fl;
    inet_pton(AF_INET, GUEST_IP, f + 30);
    f[34] = (1000 + fl) >> 8, f[35] = (1000 + fl) & 0xff;
    f[36] = 0x27, f[37] = 0x0f, f[39] = 30;
    f[42] = fl, f[43] = i;
    host_send(g, f, sizeof(f));
    FlowWant w = { fl, i };
    int len;
    g_assert_true(guest_wait(g, is_flow_frame, &w, in, &len));
    return g->last_queue;
}

/* 16 flows of 4 frames: each flow on one queue; how many on each. */
static void flows_spread(Guest *g, unsigned used[2])
{
    static unsigned round;
    used[0] = used[1] = 0;
    for (unsigned fl = 0; fl < 16; fl++) {
        unsigned queue = flow_queue(g, fl, round * 4);
        for (unsigned i = 1; i < 4; i++) {
            g_assert_cmpuint(flow_queue(g, fl, round * 4 + i), ==, queue);
        }
        used[queue]++;
    }
    round++;
    g_test_message("%u flows on rx queue 0, %u on rx queue 1", used[0],
                   used[1]);
}

static void test_flow_hash(void)
{
    if (!need_netns()) {
        return;
    }
    Guest g;
    guest_start(&g, "vmutrs", 2, "tap,id=n0,ifname=vmutrs,script=no,"
                "downscript=no,queues=2");
    static const uint8_t pairs_set[4] = { 4, 0, 2, 0 };
    g_assert_cmpuint(guest_ctrl(&g, pairs_set, sizeof(pairs_set)), ==, 0);
    unsigned used[2];
    flows_spread(&g, used);
    g_assert_cmpuint(used[0], >, 0);
    g_assert_cmpuint(used[1], >, 0);
    guest_stop(&g);
}

/* VIRTIO_NET_CTRL_MQ_RSS_CONFIG (virtio 1.2, 5.1.6.5.7.1). */
static size_t rss_cmd(uint8_t *c, uint32_t types, const uint16_t *table,
                      unsigned n, uint16_t unclassified, const uint8_t *key,
                      unsigned key_len)
{
    size_t at = 10 + 2 * n;
    c[0] = 4, c[1] = 1;
    for (unsigned i = 0; i < 4; i++) {
        c[2 + i] = types >> (8 * i);
    }
    c[6] = (n - 1) & 0xff, c[7] = (n - 1) >> 8;
    c[8] = unclassified, c[9] = 0;
    for (unsigned i = 0; i < n; i++) {
        c[10 + 2 * i] = table[i], c[11 + 2 * i] = 0;
    }
    c[at] = 2, c[at + 1] = 0;                   /* max_tx_vq */
    c[at + 2] = key_len;
    memcpy(c + at + 3, key, key_len);
    return at + 3 + key_len;
}

static void test_rss(void)
{
    enum { IPV4 = 1, TCPV4 = 2, UDPV4 = 4 };
    static const uint8_t ms_key[40] = {
        0x6d, 0x5a, 0x56, 0xda, 0x25, 0x5b, 0x0e, 0xc2, 0x41, 0x67,
        0x25, 0x3d, 0x43, 0xa3, 0x8f, 0xb0, 0xd0, 0xca, 0x2b, 0xcb,
        0xae, 0x7b, 0x30, 0xb4, 0x77, 0xcb, 0x2d, 0xa3, 0x80, 0x30,
        0xf2, 0x0c, 0x6a, 0x42, 0xb7, 0x3b, 0xbe, 0xac, 0x01, 0xfa,
    };
    static const uint8_t zero_key[41];
    static const uint16_t to1[2] = { 1, 0 }, to0[2] = { 0, 1 };
    static const uint16_t bad_q[2] = { 0, 5 };
    if (!need_netns()) {
        return;
    }
    Guest g;
    boot_features = 1ULL << 60;                 /* VIRTIO_NET_F_RSS */
    boot_devopts = ",rss=on";
    guest_start(&g, "vmutrss", 2, "tap,id=n0,ifname=vmutrss,script=no,"
                "downscript=no,queues=2");
    boot_features = 0;
    boot_devopts = "";
    g_assert_cmpuint(qvirtio_config_readb(&g.dev, 17), ==, 40);
    g_assert_cmpuint(qvirtio_config_readw(&g.dev, 18), ==, 128);
    g_assert_cmphex(qvirtio_config_readl(&g.dev, 20) & 0x3f, ==, 0x3f);
    uint8_t c[512];
    unsigned used[2];

    /* An all-zero key hashes everything to 0: table[0] takes it all. */
    g_assert_cmpuint(guest_ctrl(&g, c, rss_cmd(c, IPV4 | UDPV4, to1, 2, 0,
                                               zero_key, 40)), ==, 0);
    flows_spread(&g, used);
    g_assert_cmpuint(used[1], ==, 16);
    g_assert_cmpuint(guest_ctrl(&g, c, rss_cmd(c, IPV4 | UDPV4, to0, 2, 1,
                                               zero_key, 40)), ==, 0);
    flows_spread(&g, used);
    g_assert_cmpuint(used[0], ==, 16);
    /* No hash type covers UDP over IPv4: the unclassified queue. */
    g_assert_cmpuint(guest_ctrl(&g, c, rss_cmd(c, TCPV4, to0, 2, 1,
                                               ms_key, 40)), ==, 0);
    flows_spread(&g, used);
    g_assert_cmpuint(used[1], ==, 16);
    /* Microsoft's key over the UDP ports: the flows spread. */
    g_assert_cmpuint(guest_ctrl(&g, c, rss_cmd(c, UDPV4, to0, 2, 1,
                                               ms_key, 40)), ==, 0);
    flows_spread(&g, used);
    g_assert_cmpuint(used[0], >, 0);
    g_assert_cmpuint(used[1], >, 0);

    /* Refused, and the table in force stays: a table that is not a power
     * of two, a queue past the pairs, a key longer than 40 bytes. */
    if (!qtest_using_qemu()) {
        size_t len = rss_cmd(c, UDPV4, to1, 2, 0, zero_key, 40);
        c[6] = 2;                               /* 3 entries */
        g_assert_cmpuint(guest_ctrl(&g, c, len), ==, 1);
        g_assert_cmpuint(guest_ctrl(&g, c, rss_cmd(c, UDPV4, bad_q, 2, 0,
                                                   zero_key, 40)), ==, 1);
        g_assert_cmpuint(guest_ctrl(&g, c, rss_cmd(c, UDPV4, to1, 2, 0,
                                                   zero_key, 41)), ==, 1);
        g_assert_cmpuint(guest_ctrl(&g, c, rss_cmd(c, UDPV4, to1, 2, 0,
                                                   zero_key, 40) - 1), ==, 1);
        flows_spread(&g, used);
        g_assert_cmpuint(used[0], >, 0);
        g_assert_cmpuint(used[1], >, 0);
    }
    guest_stop(&g);
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    /* A namespace of our own: the taps, addresses and routes the cases
     * make are nobody else's business, and go when this process does,
     * whichever way it ends. */
    if (geteuid() != 0) {
        no_netns = "root (CAP_NET_ADMIN) for a network namespace and tap "
                   "devices";
    } else if (unshare(CLONE_NEWNET) < 0) {
        no_netns = "unshare(CLONE_NEWNET) failed: no network namespaces";
    }
    for (unsigned i = 0; i < G_N_ELEMENTS(tap_cases); i++) {
        g_test_add_data_func(tap_cases[i].path, &tap_cases[i], test_ifname);
    }
    g_test_add_func("/netdev-tap/ifname/bursts-beyond-the-rx-ring",
                    test_burst);
    g_test_add_func("/netdev-tap/ifname/guest-frames-while-down-dropped",
                    test_down);
    g_test_add_func("/netdev-tap/fd/inherited-tap", test_fd);
    g_test_add_func("/netdev-tap/multiqueue/queues-2", test_queues);
    g_test_add_func("/netdev-tap/multiqueue/fds-2", test_fds);
    g_test_add_func("/netdev-tap/vhost/on-without-vhost-net-falls-back",
                    test_vhost_fallback);
    g_test_add_func("/netdev-tap/vhost/vhostforce-refused", test_vhostforce);
    g_test_add_func("/netdev-tap/scripts/up-and-down", test_scripts);
    g_test_add_func("/netdev-tap/ifname/busy-tap-refused", test_busy);
    g_test_add_func("/netdev-tap/offload/csum-tso-guest-offloads",
                    test_offload);
    g_test_add_func("/netdev-tap/multiqueue/flows-spread-by-hash",
                    test_flow_hash);
    g_test_add_func("/netdev-tap/multiqueue/rss-key-table-types", test_rss);
    return g_test_run();
}
