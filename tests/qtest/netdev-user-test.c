/*
 * -netdev user (libslirp) seen from a qtest guest driver on virtio-net:
 * DHCP leases, ARP for the gateway, a DNS query relayed by slirp, a host
 * connection to a hostfwd port, guestfwd to a command, IPv6 router adverts.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <glib.h>
#include <netinet/in.h>
#include <net/if.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <sched.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/socket.h>
#include <unistd.h>

#include "libqos.h"

#define HDR 12                  /* virtio_net_hdr with VERSION_1 */
#define RXBUF 2048
#define NRX 32
#define WAIT_MS 30000           /* per awaited frame: a loaded machine */

typedef struct Guest {
    QTestState *s;
    QVirtioPCI dev;
    QVirtQueue *rx, *tx;
    uint8_t mac[6];
    uint8_t gw_mac[6];          /* slirp's, from its DHCP or ARP frames */
    uint32_t ip;                /* leased, network order; 0 before */
} Guest;

/* ---- the device ---- */

static uint64_t start_features;  /* more features for the next start */

/* args: the netdev and NIC options, in any of their spellings. */
static void guest_start_args(Guest *g, const char *args)
{
    memset(g, 0, sizeof(*g));
    /* QEMU's -nic/-net NIC is transitional; vmu's is modern only. */
    g->s = qtest_initf("%s%s", args, qtest_using_qemu() ?
                       " -global virtio-net-pci.disable-legacy=on" : "");
    g_assert_true(qvirtio_pci_probe(g->s, 1, &g->dev));
    g_assert_true(qvirtio_negotiate(&g->dev, 1ULL << VIRTIO_F_VERSION_1 |
                                    start_features));
    /* No MSI-X: the test polls the used rings. */
    g->rx = qvirtqueue_setup(&g->dev, 0, 256, VIRTIO_MSI_NO_VECTOR);
    g->tx = qvirtqueue_setup(&g->dev, 1, 256, VIRTIO_MSI_NO_VECTOR);
    qvirtio_set_status(&g->dev, qvirtio_get_status(&g->dev) |
                       VIRTIO_STATUS_DRIVER_OK);
    for (unsigned i = 0; i < 6; i++) {
        g->mac[i] = qvirtio_config_readb(&g->dev, i);
    }
    uint64_t pool = guest_alloc(&g->dev.alloc, NRX * RXBUF, 64);
    for (unsigned i = 0; i < NRX; i++) {
        QVirtBuf b = { pool + i * RXBUF, RXBUF, true };
        qvirtqueue_add(g->rx, &b, 1, false);
    }
    qvirtqueue_kick(g->rx);
}

static void guest_start(Guest *g, const char *netdev_opts)
{
    g_autofree char *args = g_strdup_printf(
        "-netdev user,id=n0%s -device virtio-net-pci,netdev=n0,"
        "disable-legacy=on,mac=52:54:00:12:34:56", netdev_opts);
    guest_start_args(g, args);
}

static void guest_stop(Guest *g)
{
    g_free(g->rx);
    g_free(g->tx);
    qtest_quit(g->s);
}

/* A frame with this virtio-net header (NULL: all zeros). */
static void guest_send_hdr(Guest *g, const uint8_t *hdr, const uint8_t *frame,
                           size_t len)
{
    uint64_t buf = guest_alloc(&g->dev.alloc, HDR + len, 64);
    qtest_memset(g->s, buf, 0, HDR);
    if (hdr) {
        qtest_memwrite(g->s, buf, hdr, HDR);
    }
    qtest_memwrite(g->s, buf + HDR, frame, len);
    QVirtBuf b = { buf, HDR + len, false };
    qvirtqueue_add(g->tx, &b, 1, false);
    qvirtqueue_kick(g->tx);
    g_assert_true(qvirtqueue_get_used(g->tx, NULL, NULL, WAIT_MS));
}

static void guest_send(Guest *g, const uint8_t *frame, size_t len)
{
    guest_send_hdr(g, NULL, frame, len);
}

/* The next frame from the rx ring (its buffer goes back); -1: none came. */
static int guest_recv(Guest *g, uint8_t *frame, gint64 deadline)
{
    gint64 left = (deadline - g_get_monotonic_time()) / 1000;
    uint32_t id, len;
    if (left <= 0 || !qvirtqueue_get_used(g->rx, &id, &len, left)) {
        return -1;
    }
    uint64_t addr = qtest_readq(g->s, g->rx->desc + 16 * id);
    g_assert_cmpuint(len, >=, HDR);
    g_assert_cmpuint(len, <=, RXBUF);
    qtest_memread(g->s, addr + HDR, frame, len - HDR);
    QVirtBuf b = { addr, RXBUF, true };
    qvirtqueue_add(g->rx, &b, 1, false);
    qvirtqueue_kick(g->rx);
    return len - HDR;
}

typedef bool (*FrameMatch)(Guest *g, const uint8_t *f, int len, void *opaque);

/* Frames until one matches; false at the deadline. */
static bool guest_wait(Guest *g, FrameMatch match, void *opaque,
                       uint8_t *frame, int *len)
{
    gint64 deadline = g_get_monotonic_time() + WAIT_MS * 1000LL;
    for (;;) {
        int n = guest_recv(g, frame, deadline);
        if (n < 0) {
            return false;
        }
        if (match(g, frame, n, opaque)) {
            *len = n;
            return true;
        }
    }
}

/* ---- building frames ---- */

static uint16_t ip_checksum(const uint8_t *p, size_t len)
{
    uint32_t sum = 0;
    for (size_t i = 0; i + 1 < len; i += 2) {
        sum += p[i] << 8 | p[i + 1];
    }
    if (len & 1) {
        sum += p[len - 1] << 8;
    }
    while (sum >> 16) {
        sum = (sum & 0xffff) + (sum >> 16);
    }
    return ~sum;
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

static size_t eth_hdr(uint8_t *f, const uint8_t *dst, const uint8_t *src,
                      uint16_t type)
{
    memcpy(f, dst, 6);
    memcpy(f + 6, src, 6);
    put16(f + 12, type);
    return 14;
}

/* Ethernet + IPv4 + UDP around payload (UDP checksum 0: none). */
static size_t udp_frame(Guest *g, uint8_t *f, const uint8_t *dmac,
                        uint32_t sip, uint32_t dip, uint16_t sport,
                        uint16_t dport, const uint8_t *payload, size_t plen)
{
    size_t o = eth_hdr(f, dmac, g->mac, 0x0800);
    uint8_t *ip = f + o;
    memset(ip, 0, 28);
    ip[0] = 0x45;
    put16(ip + 2, 28 + plen);
    ip[8] = 64;
    ip[9] = 17;
    memcpy(ip + 12, &sip, 4);
    memcpy(ip + 16, &dip, 4);
    put16(ip + 10, ip_checksum(ip, 20));
    put16(ip + 20, sport);
    put16(ip + 22, dport);
    put16(ip + 24, 8 + plen);
    memcpy(ip + 28, payload, plen);
    return o + 28 + plen;
}

/* The UDP payload of an IPv4 frame to dport, or NULL. */
static const uint8_t *udp_payload(const uint8_t *f, int len, uint16_t dport,
                                  int *plen)
{
    if (len < 42 || get16(f + 12) != 0x0800 || f[23] != 17) {
        return NULL;
    }
    unsigned ihl = (f[14] & 0xf) * 4;
    if (len < (int)(14 + ihl + 8) || get16(f + 14 + ihl + 2) != dport) {
        return NULL;
    }
    *plen = len - 14 - ihl - 8;
    return f + 14 + ihl + 8;
}

/* ---- DHCP ---- */

#define BOOTP_LEN 548           /* fixed part 236 + 312 bytes of options */
#define DHCP_XID 0x5ca1ab1e

static void dhcp_send(Guest *g, uint8_t type, uint32_t req_ip,
                      uint32_t server)
{
    static const uint8_t bcast[6] = { 0xff, 0xff, 0xff, 0xff, 0xff, 0xff };
    uint8_t bp[BOOTP_LEN] = { 1, 1, 6, 0 };
    uint32_t xid = htonl(DHCP_XID);
    memcpy(bp + 4, &xid, 4);
    put16(bp + 10, 0x8000);                     /* broadcast replies */
    memcpy(bp + 28, g->mac, 6);
    uint8_t *o = bp + 236;
    static const uint8_t cookie[4] = { 99, 130, 83, 99 };
    memcpy(o, cookie, 4);
    o += 4;
    *o++ = 53;
    *o++ = 1;
    *o++ = type;
    if (req_ip) {
        *o++ = 50;
        *o++ = 4;
        memcpy(o, &req_ip, 4);
        o += 4;
        *o++ = 54;
        *o++ = 4;
        memcpy(o, &server, 4);
        o += 4;
    }
    static const uint8_t params[] = { 55, 4, 1, 3, 6, 12 };
    memcpy(o, params, sizeof(params));
    o += sizeof(params);
    *o = 255;
    uint8_t frame[1024];
    size_t len = udp_frame(g, frame, bcast, 0, 0xffffffff, 68, 67, bp,
                           sizeof(bp));
    guest_send(g, frame, len);
}

/* Option code's value in a BOOTP reply, or NULL. */
static const uint8_t *dhcp_option(const uint8_t *bp, int len, uint8_t code,
                                  unsigned *olen)
{
    for (int i = 240; i + 1 < len && bp[i] != 255;) {
        if (bp[i] == 0) {
            i++;
            continue;
        }
        if (i + 2 + bp[i + 1] > len) {
            return NULL;
        }
        if (bp[i] == code) {
            *olen = bp[i + 1];
            return bp + i + 2;
        }
        i += 2 + bp[i + 1];
    }
    return NULL;
}

static bool is_dhcp_reply(Guest *g, const uint8_t *f, int len, void *opaque)
{
    int plen;
    const uint8_t *bp = udp_payload(f, len, 68, &plen);
    uint32_t xid;
    unsigned olen;
    if (!bp || plen < 240 || bp[0] != 2) {
        return false;
    }
    memcpy(&xid, bp + 4, 4);
    const uint8_t *type = dhcp_option(bp, plen, 53, &olen);
    return ntohl(xid) == DHCP_XID && type && olen == 1 &&
           *type == GPOINTER_TO_UINT(opaque);
}

typedef struct Lease {
    uint32_t yiaddr, router, dns, mask, server;
    char hostname[256];
} Lease;

static void lease_read(const uint8_t *f, int len, Lease *l)
{
    int plen;
    const uint8_t *bp = udp_payload(f, len, 68, &plen);
    unsigned olen;
    const uint8_t *v;
    memset(l, 0, sizeof(*l));
    memcpy(&l->yiaddr, bp + 16, 4);
    if ((v = dhcp_option(bp, plen, 3, &olen)) && olen >= 4) {
        memcpy(&l->router, v, 4);
    }
    if ((v = dhcp_option(bp, plen, 6, &olen)) && olen >= 4) {
        memcpy(&l->dns, v, 4);
    }
    if ((v = dhcp_option(bp, plen, 1, &olen)) && olen == 4) {
        memcpy(&l->mask, v, 4);
    }
    if ((v = dhcp_option(bp, plen, 54, &olen)) && olen == 4) {
        memcpy(&l->server, v, 4);
    }
    if ((v = dhcp_option(bp, plen, 12, &olen))) {
        memcpy(l->hostname, v, olen);
    }
}

static uint32_t ip4(const char *s)
{
    struct in_addr a;
    g_assert_cmpint(inet_pton(AF_INET, s, &a), ==, 1);
    return a.s_addr;
}

static void assert_ip(uint32_t got, const char *want)
{
    char buf[INET_ADDRSTRLEN];
    inet_ntop(AF_INET, &got, buf, sizeof(buf));
    g_assert_cmpstr(buf, ==, want);
}

/* DISCOVER, OFFER, REQUEST, ACK: the guest has an address. */
static void guest_dhcp(Guest *g, Lease *ack)
{
    uint8_t f[2048];
    int len;
    Lease offer;
    dhcp_send(g, 1, 0, 0);
    g_assert_true(guest_wait(g, is_dhcp_reply, GUINT_TO_POINTER(2), f, &len));
    lease_read(f, len, &offer);
    memcpy(g->gw_mac, f + 6, 6);
    dhcp_send(g, 3, offer.yiaddr, offer.server);
    g_assert_true(guest_wait(g, is_dhcp_reply, GUINT_TO_POINTER(5), f, &len));
    lease_read(f, len, ack);
    g_assert_cmphex(ack->yiaddr, ==, offer.yiaddr);
    g->ip = ack->yiaddr;
}

/* ---- the tests ---- */

/* One DHCP exchange: what the lease must say (NULL: not checked). */
typedef struct DhcpCase {
    const char *path;
    const char *args;           /* the netdev and NIC, any spelling */
    const char *yiaddr, *router, *dns, *mask, *hostname;
} DhcpCase;

#define USER_NIC(opts) "-netdev user,id=n0" opts " -device virtio-net-pci," \
                       "netdev=n0,disable-legacy=on,mac=52:54:00:ab:cd:01"

static const DhcpCase dhcp_cases[] = {
    { "/netdev-user/dhcp/default-lease", USER_NIC(""),
      "10.0.2.15", "10.0.2.2", "10.0.2.3", "255.255.255.0", NULL },
    { "/netdev-user/dhcp/net-host-dns-dhcpstart-hostname",
      USER_NIC(",net=192.168.76.0/24,host=192.168.76.1,dns=192.168.76.53,"
               "dhcpstart=192.168.76.100,hostname=vmuguest,ipv6=off"),
      "192.168.76.100", "192.168.76.1", "192.168.76.53", NULL, "vmuguest" },
    /* Without /LEN the class decides and host bits go, as in QEMU. */
    { "/netdev-user/dhcp/classful-net-without-len", USER_NIC(",net=10.0.3.0"),
      "10.0.2.15", "10.0.2.2", NULL, "255.0.0.0", NULL },
    /* The older spellings: the same NIC on the same kind of netdev. */
    { "/netdev-user/nic-option/dhcp-lease",
      "-nic user,net=10.0.3.0/24,model=virtio-net-pci,mac=52:54:00:ab:cd:01",
      "10.0.3.15", "10.0.3.2", "10.0.3.3", NULL, NULL },
    { "/netdev-user/net-nic-pair/dhcp-lease",
      "-net nic,model=virtio,macaddr=52:54:00:ab:cd:01 "
      "-net user,net=10.0.3.0/24", "10.0.3.15", "10.0.3.2", NULL, NULL, NULL },
};

static void test_dhcp(gconstpointer opaque)
{
    const DhcpCase *c = opaque;
    static const uint8_t mac[6] = { 0x52, 0x54, 0x00, 0xab, 0xcd, 0x01 };
    Guest g;
    Lease l;
    guest_start_args(&g, c->args);
    g_assert_cmpmem(g.mac, 6, mac, 6);
    guest_dhcp(&g, &l);
    assert_ip(l.yiaddr, c->yiaddr);
    assert_ip(l.router, c->router);
    if (c->dns) {
        assert_ip(l.dns, c->dns);
    }
    if (c->mask) {
        assert_ip(l.mask, c->mask);
    }
    if (c->hostname) {
        g_assert_cmpstr(l.hostname, ==, c->hostname);
    }
    guest_stop(&g);
}

typedef struct ArpWant {
    uint32_t ip;
} ArpWant;

static bool is_arp_reply(Guest *g, const uint8_t *f, int len, void *opaque)
{
    const ArpWant *w = opaque;
    return len >= 42 && get16(f + 12) == 0x0806 && get16(f + 20) == 2 &&
           !memcmp(f + 28, &w->ip, 4) && !memcmp(f + 32, g->mac, 6) &&
           !memcmp(f + 38, &g->ip, 4);
}

static void test_arp_gateway(void)
{
    static const uint8_t bcast[6] = { 0xff, 0xff, 0xff, 0xff, 0xff, 0xff };
    Guest g;
    Lease l;
    guest_start(&g, "");
    guest_dhcp(&g, &l);
    uint8_t f[2048];
    size_t o = eth_hdr(f, bcast, g.mac, 0x0806);
    static const uint8_t arp_req[8] = { 0, 1, 8, 0, 6, 4, 0, 1 };
    memcpy(f + o, arp_req, 8);
    memcpy(f + o + 8, g.mac, 6);
    memcpy(f + o + 14, &g.ip, 4);
    memset(f + o + 18, 0, 6);
    ArpWant w = { ip4("10.0.2.2") };
    memcpy(f + o + 24, &w.ip, 4);
    memset(f + o + 28, 0, 18);                  /* pad to 60 bytes */
    guest_send(&g, f, 60);
    int len;
    g_assert_true(guest_wait(&g, is_arp_reply, &w, f, &len));
    /* The sender hardware address is the one the gateway's frames carry. */
    g_assert_cmpmem(f + 22, 6, g.gw_mac, 6);
    guest_stop(&g);
}

/* The host's first IPv4 resolver, as libslirp reads it. */
static bool host_resolver(struct sockaddr_in *sa)
{
    g_autofree char *text = NULL;
    if (!g_file_get_contents("/etc/resolv.conf", &text, NULL, NULL)) {
        return false;
    }
    g_auto(GStrv) lines = g_strsplit(text, "\n", -1);
    for (char **l = lines; *l; l++) {
        char addr[64];
        if (sscanf(*l, " nameserver %63s", addr) == 1 &&
            inet_pton(AF_INET, addr, &sa->sin_addr) == 1) {
            sa->sin_family = AF_INET;
            sa->sin_port = htons(53);
            return true;
        }
    }
    return false;
}

#define DNS_ID 0xbeef

static size_t dns_query(uint8_t *q)
{
    static const uint8_t name[] = "\x09localhost";
    uint8_t *p = q;
    put16(p, DNS_ID);
    put16(p + 2, 0x0100);                       /* recursion desired */
    put16(p + 4, 1);
    memset(p + 6, 0, 6);
    p += 12;
    memcpy(p, name, sizeof(name));              /* with its root label */
    p += sizeof(name);
    put16(p, 1);                                /* A */
    put16(p + 2, 1);                            /* IN */
    return p + 4 - q;
}

/* A reply from the host's resolver itself, without vmu: is there one? */
static bool host_resolver_answers(void)
{
    struct sockaddr_in sa = { 0 };
    uint8_t q[64], r[512];
    if (!host_resolver(&sa)) {
        return false;
    }
    int fd = socket(AF_INET, SOCK_DGRAM, 0);
    size_t len = dns_query(q);
    bool ok = false;
    if (sendto(fd, q, len, 0, (struct sockaddr *)&sa, sizeof(sa)) ==
        (ssize_t)len) {
        struct pollfd p = { .fd = fd, .events = POLLIN };
        ok = poll(&p, 1, 10000) == 1 && recv(fd, r, sizeof(r), 0) >= 12 &&
             get16(r) == DNS_ID;
    }
    close(fd);
    return ok;
}

static bool is_dns_reply(Guest *g, const uint8_t *f, int len, void *opaque)
{
    int plen;
    const uint8_t *d = udp_payload(f, len, 4242, &plen);
    return d && plen >= 12 && get16(d) == DNS_ID && !memcmp(f + 26,
           opaque, 4);
}

static void test_dns(void)
{
    if (!host_resolver_answers()) {
        g_test_skip("the host's resolver in /etc/resolv.conf does not "
                    "answer, so slirp's DNS relay has nobody to ask");
        return;
    }
    Guest g;
    Lease l;
    guest_start(&g, "");
    guest_dhcp(&g, &l);
    uint8_t q[64], f[2048];
    size_t qlen = dns_query(q);
    size_t len = udp_frame(&g, f, g.gw_mac, g.ip, l.dns, 4242, 53, q, qlen);
    guest_send(&g, f, len);
    int n;
    g_assert_true(guest_wait(&g, is_dns_reply, &l.dns, f, &n));
    int plen;
    const uint8_t *d = udp_payload(f, n, 4242, &plen);
    g_assert_true(d[2] & 0x80);                 /* a response */
    g_assert_cmpuint(get16(d + 4), ==, 1);      /* our question back */
    g_assert_cmpmem(d + 12, qlen - 12, q + 12, qlen - 12);
    g_assert_cmpuint(get16(f + 14 + 20), ==, 53);
    guest_stop(&g);
}

/*
 * DNS without the host's resolver: in a private mount and network
 * namespace (a subprocess; root) /etc/resolv.conf names 127.0.0.1, where
 * a resolver written for the test answers one name and NXDOMAIN for the
 * rest.  slirp relays the guest's query to it and its reply back.  (With
 * nobody at 127.0.0.1:53 neither vmu nor QEMU 7.2 sends the guest
 * anything: libslirp 4.7 gets no ICMP error on its unconnected socket, so
 * the guest's resolver times out.)
 */
#define PRIVATE_NAME "vmu-dns.test"
#define PRIVATE_ADDR "192.0.2.53"

/* A query for name (dotted) with this id; its length. */
static size_t dns_query_for(uint8_t *q, uint16_t id, const char *name)
{
    uint8_t *p = q + 12;
    put16(q, id);
    put16(q + 2, 0x0100);                       /* recursion desired */
    put16(q + 4, 1);
    memset(q + 6, 0, 6);
    g_auto(GStrv) labels = g_strsplit(name, ".", -1);
    for (char **l = labels; *l; l++) {
        *p++ = strlen(*l);
        memcpy(p, *l, strlen(*l));
        p += strlen(*l);
    }
    *p++ = 0;
    put16(p, 1);                                /* A */
    put16(p + 2, 1);                            /* IN */
    return p + 4 - q;
}

/* The test's resolver: PRIVATE_NAME has PRIVATE_ADDR, others NXDOMAIN. */
static gpointer private_resolver(gpointer opaque)
{
    int fd = GPOINTER_TO_INT(opaque);
    uint8_t q[512], r[600], want[512];
    size_t wlen = dns_query_for(want, 0, PRIVATE_NAME);
    for (;;) {
        struct sockaddr_in from;
        socklen_t fl = sizeof(from);
        ssize_t n = recvfrom(fd, q, sizeof(q), 0, (struct sockaddr *)&from,
                             &fl);
        if (n < 12) {
            continue;
        }
        bool known = (size_t)n == wlen && !memcmp(q + 12, want + 12,
                                                   wlen - 12);
        memcpy(r, q, n);
        put16(r + 2, known ? 0x8180 : 0x8183);  /* response, RA; NXDOMAIN */
        put16(r + 6, known ? 1 : 0);
        size_t len = n;
        if (known) {
            uint8_t *a = r + n;
            put16(a, 0xc00c);                   /* the question's name */
            put16(a + 2, 1);
            put16(a + 4, 1);
            put16(a + 6, 0);
            put16(a + 8, 60);                   /* TTL */
            put16(a + 10, 4);
            uint32_t addr = ip4(PRIVATE_ADDR);
            memcpy(a + 12, &addr, 4);
            len += 16;
        }
        sendto(fd, r, len, 0, (struct sockaddr *)&from, fl);
    }
    return NULL;
}

/* In the subprocess: its own namespaces, lo up, resolv.conf at 127.0.0.1,
 * and the test's resolver on port 53 when serve is set. */
static void private_dns_setup(bool serve)
{
    g_assert_cmpint(unshare(CLONE_NEWNS | CLONE_NEWNET), ==, 0);
    g_assert_cmpint(mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL), ==, 0);
    int s = socket(AF_INET, SOCK_DGRAM, 0);
    struct ifreq ifr = { 0 };
    strcpy(ifr.ifr_name, "lo");
    g_assert_cmpint(ioctl(s, SIOCGIFFLAGS, &ifr), ==, 0);
    ifr.ifr_flags |= IFF_UP;
    g_assert_cmpint(ioctl(s, SIOCSIFFLAGS, &ifr), ==, 0);
    close(s);
    g_autofree char *conf = g_build_filename(g_get_tmp_dir(),
                                             "vmu-dns-XXXXXX", NULL);
    int cfd = g_mkstemp(conf);
    g_assert_cmpint(cfd, >=, 0);
    const char text[] = "nameserver 127.0.0.1\n";
    g_assert_cmpint(write(cfd, text, strlen(text)), ==, strlen(text));
    close(cfd);
    g_assert_cmpint(mount(conf, "/etc/resolv.conf", NULL, MS_BIND, NULL),
                    ==, 0);
    unlink(conf);               /* the mount keeps it while we run */
    if (serve) {
        int fd = socket(AF_INET, SOCK_DGRAM, 0);
        struct sockaddr_in sa = { .sin_family = AF_INET,
                                  .sin_port = htons(53),
                                  .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
        g_assert_cmpint(bind(fd, (struct sockaddr *)&sa, sizeof(sa)), ==, 0);
        g_thread_unref(g_thread_new("resolver", private_resolver,
                                    GINT_TO_POINTER(fd)));
    }
}

typedef struct DnsAwait {
    uint32_t from;              /* slirp's DNS address */
    uint16_t id;
} DnsAwait;

static bool is_dns_reply_to(Guest *g, const uint8_t *f, int len, void *opaque)
{
    DnsAwait *w = opaque;
    int plen;
    const uint8_t *d = udp_payload(f, len, 4242, &plen);
    return d && plen >= 12 && get16(d) == w->id && !memcmp(f + 26,
           &w->from, 4);
}

/* Send a query for name from the leased guest; the reply's payload. */
static const uint8_t *guest_resolve(Guest *g, const Lease *l, uint16_t id,
                                    const char *name, uint8_t *f, int *plen)
{
    uint8_t q[512];
    size_t qlen = dns_query_for(q, id, name);
    size_t len = udp_frame(g, f, g->gw_mac, g->ip, l->dns, 4242, 53, q,
                           qlen);
    guest_send(g, f, len);
    DnsAwait w = { l->dns, id };
    int n;
    g_assert_true(guest_wait(g, is_dns_reply_to, &w, f, &n));
    g_assert_cmpuint(get16(f + 14 + 20), ==, 53);
    const uint8_t *d = udp_payload(f, n, 4242, plen);
    g_assert_true(d[2] & 0x80);                 /* a response */
    g_assert_cmpuint(get16(d + 4), ==, 1);      /* our question back */
    g_assert_cmpmem(d + 12, qlen - 12, q + 12, qlen - 12);
    return d;
}

static void private_dns_body(void)
{
    private_dns_setup(true);
    Guest g;
    Lease l;
    uint8_t f[2048];
    int plen;
    guest_start(&g, "");
    guest_dhcp(&g, &l);
    assert_ip(l.dns, "10.0.2.3");
    const uint8_t *d = guest_resolve(&g, &l, 0x5101, PRIVATE_NAME, f, &plen);
    g_assert_cmpuint(d[3] & 0xf, ==, 0);        /* NOERROR */
    g_assert_cmpuint(get16(d + 6), ==, 1);      /* one answer */
    uint32_t addr;
    memcpy(&addr, d + plen - 4, 4);
    assert_ip(addr, PRIVATE_ADDR);
    d = guest_resolve(&g, &l, 0x5102, "missing.test", f, &plen);
    g_assert_cmpuint(d[3] & 0xf, ==, 3);        /* NXDOMAIN, relayed */
    g_assert_cmpuint(get16(d + 6), ==, 0);
    guest_stop(&g);
}

static void test_dns_private(void)
{
    if (geteuid() != 0) {
        qtest_skip_missing("root (a private mount and network namespace)");
        return;
    }
    if (g_test_subprocess()) {
        private_dns_body();
        return;
    }
    g_test_trap_subprocess(NULL, 120 * G_USEC_PER_SEC,
                           G_TEST_SUBPROCESS_INHERIT_STDERR);
    g_test_trap_assert_passed();
}

static int free_port(void)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in sa = { .sin_family = AF_INET };
    socklen_t sl = sizeof(sa);
    sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    g_assert_cmpint(bind(fd, (struct sockaddr *)&sa, sizeof(sa)), ==, 0);
    g_assert_cmpint(getsockname(fd, (struct sockaddr *)&sa, &sl), ==, 0);
    close(fd);
    return ntohs(sa.sin_port);
}

static const uint8_t *tcp_of(const uint8_t *f)
{
    return f + 14 + (f[14] & 0xf) * 4;
}

/* A TCP segment to the guest's port (opaque), with these flags set. */
static bool is_tcp_to(Guest *g, const uint8_t *f, int len, void *opaque)
{
    return len >= 54 && get16(f + 12) == 0x0800 && f[23] == 6 &&
           !memcmp(f + 30, &g->ip, 4) &&
           get16(tcp_of(f) + 2) == GPOINTER_TO_UINT(opaque);
}

static bool is_syn_to(Guest *g, const uint8_t *f, int len, void *opaque)
{
    return is_tcp_to(g, f, len, opaque) && (tcp_of(f)[13] & 0x12) == 0x02;
}

static bool is_synack_to(Guest *g, const uint8_t *f, int len, void *opaque)
{
    return is_tcp_to(g, f, len, opaque) && (tcp_of(f)[13] & 0x12) == 0x12;
}

static bool is_data_to(Guest *g, const uint8_t *f, int len, void *opaque)
{
    if (!is_tcp_to(g, f, len, opaque)) {
        return false;
    }
    unsigned ihl = (f[14] & 0xf) * 4;
    return get16(f + 16) > ihl + (tcp_of(f)[12] >> 4) * 4;
}

static const uint8_t *tcp_data(const uint8_t *f)
{
    const uint8_t *tcp = tcp_of(f);
    return tcp + (tcp[12] >> 4) * 4;
}

static uint32_t get32(const uint8_t *p)
{
    return (uint32_t)get16(p) << 16 | get16(p + 2);
}

static void put32(uint8_t *p, uint32_t v)
{
    put16(p, v >> 16);
    put16(p + 2, v);
}

typedef struct TcpPeer {
    uint32_t ip;                /* network order */
    uint16_t port, our_port;
} TcpPeer;

/* A TCP segment from the guest's our_port to the peer, built in f (room
 * for 54 + dlen bytes) with its checksum field 0; its length. */
static size_t tcp_frame(Guest *g, const TcpPeer *to, uint32_t seq,
                        uint32_t ack, uint8_t flags, const uint8_t *data,
                        size_t dlen, uint8_t *f)
{
    size_t o = eth_hdr(f, g->gw_mac, g->mac, 0x0800);
    uint8_t *ip = f + o, *tcp = ip + 20;
    memset(ip, 0, 40);
    ip[0] = 0x45;
    put16(ip + 2, 40 + dlen);
    ip[8] = 64;
    ip[9] = 6;
    memcpy(ip + 12, &g->ip, 4);
    memcpy(ip + 16, &to->ip, 4);
    put16(ip + 10, ip_checksum(ip, 20));
    put16(tcp, to->our_port);
    put16(tcp + 2, to->port);
    put32(tcp + 4, seq);
    put32(tcp + 8, ack);
    tcp[12] = 5 << 4;
    tcp[13] = flags;
    put16(tcp + 14, 65535);
    memcpy(tcp + 20, data, dlen);
    return o + 40 + dlen;
}

/* One TCP segment from the guest's our_port to the peer. */
static void tcp_send(Guest *g, const TcpPeer *to, uint32_t seq, uint32_t ack,
                     uint8_t flags, const char *data)
{
    size_t dlen = strlen(data);
    uint8_t f[256];
    size_t len = tcp_frame(g, to, seq, ack, flags, (const uint8_t *)data,
                           dlen, f);
    uint8_t *ip = f + 14, *tcp = ip + 20;
    /* The checksum covers a pseudo header: addresses, protocol, length. */
    uint8_t pseudo[12 + 20 + 64];
    memcpy(pseudo, ip + 12, 8);
    pseudo[8] = 0;
    pseudo[9] = 6;
    put16(pseudo + 10, 20 + dlen);
    memcpy(pseudo + 12, tcp, 20 + dlen);
    put16(tcp + 16, ip_checksum(pseudo, 12 + 20 + dlen));
    guest_send(g, f, len);
}

/* A host connection to the hostfwd port, accepted by the guest on port
 * 22 (its SYN answered); the host's socket. */
static int hostfwd_open(Guest *g, int port, TcpPeer *peer,
                        uint32_t *peer_seq)
{
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
    struct sockaddr_in sa = { .sin_family = AF_INET,
                              .sin_port = htons(port) };
    sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    int r = connect(fd, (struct sockaddr *)&sa, sizeof(sa));
    g_assert_true(r == 0 || errno == EINPROGRESS);
    uint8_t syn[2048];
    int len;
    g_assert_true(guest_wait(g, is_syn_to, GUINT_TO_POINTER(22), syn, &len));
    uint32_t dst;
    memcpy(&dst, syn + 30, 4);      /* the frame has no 4-byte alignment */
    assert_ip(dst, "10.0.2.15");
    *peer = (TcpPeer) { .port = get16(tcp_of(syn)), .our_port = 22 };
    memcpy(&peer->ip, syn + 26, 4);
    *peer_seq = get32(tcp_of(syn) + 4) + 1;
    tcp_send(g, peer, 1000, *peer_seq, 0x12, "");
    struct pollfd p = { .fd = fd, .events = POLLOUT };
    g_assert_cmpint(poll(&p, 1, WAIT_MS), ==, 1);
    return fd;
}

static void test_hostfwd(void)
{
    Guest g;
    Lease l;
    int port = free_port();
    g_autofree char *opts = g_strdup_printf(",hostfwd=tcp:127.0.0.1:%d-:22",
                                            port);
    guest_start(&g, opts);
    guest_dhcp(&g, &l);
    TcpPeer peer;
    uint32_t peer_seq;
    int fd = hostfwd_open(&g, port, &peer, &peer_seq);

    /* The guest accepted; now bytes go host -> guest and back. */
    uint8_t f[2048];
    int len;
    g_assert_cmpint(send(fd, "hello", 5, 0), ==, 5);
    g_assert_true(guest_wait(&g, is_data_to, GUINT_TO_POINTER(22), f, &len));
    g_assert_cmpuint(get32(tcp_of(f) + 4), ==, peer_seq);
    g_assert_cmpmem(tcp_data(f), 5, "hello", 5);
    tcp_send(&g, &peer, 1001, peer_seq + 5, 0x18, "world");
    char buf[16];
    struct pollfd p = { .fd = fd, .events = POLLIN };
    g_assert_cmpint(poll(&p, 1, WAIT_MS), ==, 1);
    g_assert_cmpint(recv(fd, buf, sizeof(buf), 0), ==, 5);
    g_assert_cmpmem(buf, 5, "world", 5);
    close(fd);
    guest_stop(&g);
}

/* One TSO frame of dlen bytes from the guest, its TCP checksum left
 * partial (the pseudo header's sum), as Linux hands it to the NIC. */
static void tcp_send_tso(Guest *g, const TcpPeer *to, uint32_t seq,
                         uint32_t ack, const uint8_t *data, size_t dlen,
                         uint16_t mss)
{
    uint8_t *f = g_malloc(54 + dlen);
    size_t len = tcp_frame(g, to, seq, ack, 0x18, data, dlen, f);
    put16(f + 50, qnet_fold(qnet_sum(0, f + 26, 8) + 6 + 20 + dlen));
    uint8_t hdr[HDR] = { 1 /* NEEDS_CSUM */, 1 /* GSO_TCPV4 */, 54, 0,
                         mss & 0xff, mss >> 8, 34, 0, 16, 0 };
    guest_send_hdr(g, hdr, f, len);
    g_free(f);
}

/* csum and host_tso4 on -netdev user: slirp checks every checksum, so the
 * host's socket reads the whole TSO frame only if vmu filled them in each
 * MSS-sized segment it cut. */
static void test_hostfwd_tso(void)
{
    if (qtest_using_qemu()) {
        g_test_skip("QEMU 7.2 offers no offload on a user netdev");
        return;
    }
    Guest g;
    Lease l;
    int port = free_port();
    g_autofree char *opts = g_strdup_printf(",hostfwd=tcp:127.0.0.1:%d-:22",
                                            port);
    start_features = 1ULL << 0 | 1ULL << 11;    /* CSUM, HOST_TSO4 */
    guest_start(&g, opts);
    start_features = 0;
    guest_dhcp(&g, &l);
    TcpPeer peer;
    uint32_t peer_seq;
    int fd = hostfwd_open(&g, port, &peer, &peer_seq);
    struct pollfd p = { .fd = fd, .events = POLLIN };
    enum { N = 8000 };
    uint8_t data[N], got[N];
    for (unsigned i = 0; i < N; i++) {
        data[i] = i * 31 + (i >> 8);
    }
    tcp_send_tso(&g, &peer, 1001, peer_seq, data, N, 1000);
    size_t done = 0;
    while (done < N) {
        g_assert_cmpint(poll(&p, 1, WAIT_MS), ==, 1);
        ssize_t k = recv(fd, got + done, N - done, 0);
        g_assert_cmpint(k, >, 0);
        done += k;
    }
    g_assert_cmpmem(got, N, data, N);
    close(fd);
    guest_stop(&g);
}

/* A guest connection to the guestfwd address runs the command (cat). */
static void test_guestfwd(void)
{
    Guest g;
    Lease l;
    guest_start(&g, ",guestfwd=tcp:10.0.2.100:1234-cmd:cat");
    guest_dhcp(&g, &l);
    TcpPeer peer = { .ip = ip4("10.0.2.100"), .port = 1234,
                     .our_port = 40000 };
    uint8_t f[2048];
    int len;
    tcp_send(&g, &peer, 5000, 0, 0x02, "");
    g_assert_true(guest_wait(&g, is_synack_to, GUINT_TO_POINTER(40000), f,
                             &len));
    uint32_t peer_seq = get32(tcp_of(f) + 4) + 1;
    g_assert_cmpuint(get32(tcp_of(f) + 8), ==, 5001);
    tcp_send(&g, &peer, 5001, peer_seq, 0x18, "ping\n");
    g_assert_true(guest_wait(&g, is_data_to, GUINT_TO_POINTER(40000), f,
                             &len));
    g_assert_cmpmem(tcp_data(f), 5, "ping\n", 5);
    guest_stop(&g);
}

static bool is_router_advert(Guest *g, const uint8_t *f, int len,
                             void *opaque)
{
    return len >= 70 && get16(f + 12) == 0x86dd && f[20] == 58 &&
           f[54] == 134;
}

/* A router solicitation gets slirp's advertisement of ipv6-net. */
static void test_ipv6_router_advert(void)
{
    static const uint8_t all_routers_mac[6] = { 0x33, 0x33, 0, 0, 0, 2 };
    Guest g;
    guest_start(&g, ",ipv6-net=fd00:1234:5678::/64");
    uint8_t f[2048];
    size_t o = eth_hdr(f, all_routers_mac, g.mac, 0x86dd);
    uint8_t *ip6 = f + o, *icmp = ip6 + 40;
    memset(ip6, 0, 40 + 16);
    ip6[0] = 0x60;
    put16(ip6 + 4, 16);
    ip6[6] = 58;
    ip6[7] = 255;
    /* fe80::5054:ff:fe12:3456 (from the MAC) to ff02::2 */
    ip6[8] = 0xfe;
    ip6[9] = 0x80;
    memcpy(ip6 + 16 + 8, (const uint8_t[]){ g.mac[0] ^ 2, g.mac[1], g.mac[2],
                                             0xff, 0xfe, g.mac[3], g.mac[4],
                                             g.mac[5] }, 8);
    ip6[24] = 0xff;
    ip6[25] = 0x02;
    ip6[39] = 2;
    icmp[0] = 133;                              /* router solicitation */
    icmp[8] = 1;                                /* source link-layer addr */
    icmp[9] = 1;
    memcpy(icmp + 10, g.mac, 6);
    uint8_t pseudo[40 + 16];
    memcpy(pseudo, ip6 + 8, 32);
    memset(pseudo + 32, 0, 8);
    pseudo[35] = 16;
    pseudo[39] = 58;
    memcpy(pseudo + 40, icmp, 16);
    put16(icmp + 2, ip_checksum(pseudo, sizeof(pseudo)));
    guest_send(&g, f, o + 56);
    int len;
    g_assert_true(guest_wait(&g, is_router_advert, NULL, f, &len));
    /* Find the prefix information option (type 3). */
    const uint8_t *want = (const uint8_t[]){ 0xfd, 0, 0x12, 0x34, 0x56, 0x78,
                                             0, 0 };
    bool found = false;
    for (int i = 70; i + 8 <= len && f[i + 1]; i += f[i + 1] * 8) {
        if (f[i] == 3 && i + 32 <= len) {
            g_assert_cmpuint(f[i + 2], ==, 64);
            g_assert_cmpmem(f + i + 16, 8, want, 8);
            found = true;
        }
    }
    g_assert_true(found);
    guest_stop(&g);
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    for (unsigned i = 0; i < G_N_ELEMENTS(dhcp_cases); i++) {
        g_test_add_data_func(dhcp_cases[i].path, &dhcp_cases[i], test_dhcp);
    }
    g_test_add_func("/netdev-user/arp/gateway-answers", test_arp_gateway);
    g_test_add_func("/netdev-user/dns/query-relayed", test_dns);
    g_test_add_func("/netdev-user/dns/private-resolver-answer-and-nxdomain",
                    test_dns_private);
    g_test_add_func("/netdev-user/hostfwd/tcp-connection-both-ways",
                    test_hostfwd);
    g_test_add_func("/netdev-user/hostfwd/tso-frame-segmented",
                    test_hostfwd_tso);
    g_test_add_func("/netdev-user/guestfwd/cmd-echoes", test_guestfwd);
    g_test_add_func("/netdev-user/ipv6/router-advert-has-ipv6-net",
                    test_ipv6_router_advert);
    return g_test_run();
}
