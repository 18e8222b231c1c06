/* net-slirp.c - net-slirp: ARP and ping of -netdev user's gateway (see
 * README.md). The guest takes slirp's first DHCP address without asking,
 * as slirp answers ARP and ICMP echo for its own addresses to anyone on
 * its network. */
#include "virtio.h"

#define GUEST_IP    0x0a00020f  /* 10.0.2.15: slirp's first lease */
#define ROUNDS      8           /* bounded waits (~1.2 s each) per answer */

static struct vnet net;
static uint32_t arp_answered;   /* slirp's requests for GUEST_IP */
static const uint8_t bcast[6] = { 0xff, 0xff, 0xff, 0xff, 0xff, 0xff };

static void put16(uint8_t *p, uint16_t v)
{
    p[0] = v >> 8;
    p[1] = v & 0xff;
}

static void put32(uint8_t *p, uint32_t v)
{
    put16(p, v >> 16);
    put16(p + 2, v & 0xffff);
}

static uint16_t get16(const uint8_t *p)
{
    return p[0] << 8 | p[1];
}

static uint32_t get32(const uint8_t *p)
{
    return (uint32_t)get16(p) << 16 | get16(p + 2);
}

static uint16_t csum(const uint8_t *p, uint32_t len)
{
    uint32_t s = 0;

    for (uint32_t i = 0; i + 1 < len; i += 2) {
        s += get16(p + i);
    }
    if (len & 1) {
        s += p[len - 1] << 8;
    }
    while (s >> 16) {
        s = (s & 0xffff) + (s >> 16);
    }
    return ~s & 0xffff;
}

/* The TX buffer of the next free id, its virtio-net header zeroed. */
static uint8_t *tx_frame(void)
{
    vnet_tx_reap(&net);         /* before the id is chosen: it may change */
    uint8_t *buf = vnet_tx_buf(net.tx.free_ids[net.tx.nfree - 1]);

    memset(buf, 0, VNET_HDR_LEN);
    return buf + VNET_HDR_LEN;
}

static void tx_send(uint32_t len)
{
    uint16_t id;

    vnet_tx_post(&net, len < ETH_MIN ? ETH_MIN : len, &id);
    vnet_tx_kick(&net);
}

static void eth(uint8_t *f, const uint8_t *dst, uint16_t type)
{
    memcpy(f, dst, 6);
    memcpy(f + 6, net.mac, 6);
    put16(f + 12, type);
}

static void send_arp_request(uint32_t ip)
{
    uint8_t *f = tx_frame();

    memset(f, 0, ETH_MIN);
    eth(f, bcast, 0x0806);
    put16(f + 14, 1);           /* Ethernet */
    put16(f + 16, 0x0800);      /* IPv4 */
    f[18] = 6;
    f[19] = 4;
    put16(f + 20, 1);           /* request */
    memcpy(f + 22, net.mac, 6);
    put32(f + 28, GUEST_IP);
    put32(f + 38, ip);
    tx_send(ETH_MIN);
}

#define PING_ID     0x7f01
#define PING_LEN    32          /* ICMP payload bytes */

static void send_ping(const uint8_t *gw_mac, uint32_t ip, uint16_t seq)
{
    uint8_t *f = tx_frame();
    uint8_t *iph = f + ETH_HLEN, *icmp = iph + 20;

    eth(f, gw_mac, 0x0800);
    memset(iph, 0, 20);
    iph[0] = 0x45;
    put16(iph + 2, 20 + 8 + PING_LEN);
    put16(iph + 4, seq);
    iph[8] = 64;
    iph[9] = 1;                 /* ICMP */
    put32(iph + 12, GUEST_IP);
    put32(iph + 16, ip);
    put16(iph + 10, csum(iph, 20));
    memset(icmp, 0, 8);
    icmp[0] = 8;                /* echo request */
    put16(icmp + 4, PING_ID);
    put16(icmp + 6, seq);
    for (unsigned i = 0; i < PING_LEN; i++) {
        icmp[8 + i] = (uint8_t)(seq + i);
    }
    put16(icmp + 2, csum(icmp, 8 + PING_LEN));
    tx_send(ETH_HLEN + 20 + 8 + PING_LEN);
}

/* slirp asks who has the guest's address before it sends to it: answer
 * as any host does. True if f was such a request. */
static bool answer_arp_request(const uint8_t *f, uint32_t len)
{
    if (len < 42 || get16(f + 12) != 0x0806 || get16(f + 20) != 1 ||
        get32(f + 38) != GUEST_IP) {
        return false;
    }
    uint8_t *r = tx_frame();

    memset(r, 0, ETH_MIN);
    eth(r, f + 22, 0x0806);
    memcpy(r + 14, f + 14, 6);  /* Ethernet, IPv4, 6, 4 */
    put16(r + 20, 2);           /* reply */
    memcpy(r + 22, net.mac, 6);
    put32(r + 28, GUEST_IP);
    memcpy(r + 32, f + 22, 10); /* the asker's MAC and IP */
    tx_send(ETH_MIN);
    return true;
}

/* An ARP reply from ip to us: its sender MAC into mac. */
static bool is_arp_reply(const uint8_t *f, uint32_t len, uint32_t ip, uint8_t *mac)
{
    if (len < 42 || get16(f + 12) != 0x0806 || get16(f + 20) != 2 ||
        get32(f + 28) != ip || get32(f + 38) != GUEST_IP) {
        return false;
    }
    memcpy(mac, f + 22, 6);
    return true;
}

/* NULL if f is the echo reply to seq from ip, else what differs ("" if
 * it is not an ICMP echo reply to us at all). */
static const char *ping_check(const uint8_t *f, uint32_t len, uint32_t ip, uint16_t seq)
{
    const uint8_t *iph = f + ETH_HLEN;
    uint32_t ihl;

    if (len < ETH_HLEN + 20 || get16(f + 12) != 0x0800 || iph[9] != 1 ||
        get32(iph + 12) != ip || get32(iph + 16) != GUEST_IP) {
        return "";
    }
    ihl = (iph[0] & 0xf) * 4u;
    const uint8_t *icmp = iph + ihl;
    if (len < ETH_HLEN + ihl + 8 || icmp[0] != 0 || get16(icmp + 4) != PING_ID) {
        return "";
    }
    if (get16(icmp + 6) != seq) {
        return "sequence";
    }
    if (len < ETH_HLEN + ihl + 8 + PING_LEN) {
        return "length";
    }
    for (unsigned i = 0; i < PING_LEN; i++) {
        if (icmp[8 + i] != (uint8_t)(seq + i)) {
            return "payload";
        }
    }
    if (csum(iph, ihl) || csum(icmp, get16(iph + 2) - ihl)) {
        return "checksum";
    }
    return 0;
}

/* Frames until one answers (arp: fills mac; else the ping seq); each
 * round that ends without one sends the question again. */
static bool await(bool arp, uint32_t ip, uint8_t *mac, uint16_t seq, uint32_t *other)
{
    for (unsigned round = 0; round < ROUNDS; round++) {
        uint8_t *f;
        uint16_t id;
        uint32_t len;
        bool done = false;
        const char *bad = "";

        while (!done && (f = vnet_rx_get(&net, &id, &len))) {
            if (answer_arp_request(f, len)) {
                arp_answered++;
            } else if (arp) {
                done = is_arp_reply(f, len, ip, mac);
            } else if (!(bad = ping_check(f, len, ip, seq))) {
                done = true;
            } else if (*bad) {
                printf("vmu-fw: net slirp echo reply %u: bad %s\n", seq, bad);
                vnet_rx_recycle(&net, id);
                vnet_rx_kick(&net);
                return false;
            }
            *other += !done;
            vnet_rx_recycle(&net, id);
        }
        vnet_rx_kick(&net);
        if (done) {
            return true;
        }
        if (!vq_has_used(&net.rx) && !vnet_wait(&net, true, false)) {
            if (arp) {
                send_arp_request(ip);
            } else {
                send_ping(mac, ip, seq);
            }
        }
    }
    return false;
}

int test_net_slirp(void)
{
    uint32_t gw = 0x0a000202;   /* 10.0.2.2 */
    uint64_t count = cmdline_u64("count", 3);
    uint32_t other = 0, replies = 0;
    uint8_t gw_mac[6];
    int r;

    if ((r = vnet_open(&net)) != FW_EXIT_PASS) {
        return r;
    }
    send_arp_request(gw);
    if (!await(true, gw, gw_mac, 0, &other)) {
        printf("vmu-fw: net slirp no ARP reply for 10.0.2.2\n");
        return FW_EXIT_FAIL;
    }
    printf("vmu-fw: net slirp arp 10.0.2.2 is %02x:%02x:%02x:%02x:%02x:%02x\n",
           gw_mac[0], gw_mac[1], gw_mac[2], gw_mac[3], gw_mac[4], gw_mac[5]);
    for (uint16_t seq = 1; seq <= count; seq++) {
        send_ping(gw_mac, gw, seq);
        if (!await(false, gw, gw_mac, seq, &other)) {
            printf("vmu-fw: net slirp no echo reply %u from 10.0.2.2\n", seq);
            break;
        }
        replies++;
    }
    printf("vmu-fw: net slirp ping 10.0.2.2 %u/%lu replies, arp requests answered %u, "
           "other frames %u\n", replies, count, arp_answered, other);
    return replies == count ? FW_EXIT_PASS : FW_EXIT_FAIL;
}
