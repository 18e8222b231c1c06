/*
 * Offloads in software for frame netdevs: partial checksums filled, TSO
 * frames cut into MSS-sized segments; the RSS (Toeplitz) flow hash.
 * Facts from virtio 1.2 (5.1.6.2), RFC 791/793/8200 and Microsoft's RSS
 * specification (the key and the hash input order).
 */
#include <glib.h>
#include <string.h>

#include "hw/net/virtio-net-offload.h"
#include "util/trace.h"

#define ETH_P_IPV4      0x0800
#define ETH_P_IPV6      0x86dd
#define ETH_P_VLAN      0x8100
#define IPPROTO_TCP_    6
#define IPPROTO_UDP_    17
#define TCP_FIN         0x01
#define TCP_PSH         0x08
#define TCP_CWR         0x80

static uint16_t be16(const uint8_t *p)
{
    return p[0] << 8 | p[1];
}

static uint32_t be32(const uint8_t *p)
{
    return (uint32_t)p[0] << 24 | p[1] << 16 | p[2] << 8 | p[3];
}

static void put_be16(uint8_t *p, uint16_t v)
{
    p[0] = v >> 8;
    p[1] = v;
}

static void put_be32(uint8_t *p, uint32_t v)
{
    put_be16(p, v >> 16);
    put_be16(p + 2, v);
}

void virtio_net_hdr_parse(VirtioNetHdr *h, const uint8_t *raw)
{
    /* VERSION_1: little-endian fields */
    h->flags = raw[0];
    h->gso_type = raw[1];
    h->hdr_len = raw[2] | raw[3] << 8;
    h->gso_size = raw[4] | raw[5] << 8;
    h->csum_start = raw[6] | raw[7] << 8;
    h->csum_offset = raw[8] | raw[9] << 8;
}

/* The Internet checksum's running sum (RFC 1071). */
static uint64_t csum_add(uint64_t sum, const uint8_t *p, size_t len)
{
    for (size_t i = 0; i + 1 < len; i += 2) {
        sum += be16(p + i);
    }
    if (len & 1) {
        sum += p[len - 1] << 8;
    }
    return sum;
}

static uint16_t csum_fold(uint64_t sum)
{
    while (sum >> 16) {
        sum = (sum & 0xffff) + (sum >> 16);
    }
    return ~sum & 0xffff;
}

bool virtio_net_fill_csum(const VirtioNetHdr *h, uint8_t *frame, size_t len,
                          Error **errp)
{
    size_t start = h->csum_start, field = start + h->csum_offset;
    if (field + 2 > len) {
        error_setg(errp, "a %zu-byte frame whose partial checksum at "
                   "%zu+%u is past the end", len, start, h->csum_offset);
        return false;
    }
    /* The driver left the pseudo-header's sum in the field. */
    uint16_t c = csum_fold(csum_add(0, frame + start, len - start));
    if (c == 0 && h->csum_offset == 6) {
        c = 0xffff;                     /* UDP: 0 means "no checksum" */
    }
    put_be16(frame + field, c);
    return true;
}

typedef struct TcpFrame {
    size_t l3;                  /* IP header offset */
    size_t l4;                  /* TCP header offset */
    size_t hlen;                /* all headers */
    bool v6;
} TcpFrame;

static bool parse_tcp(const uint8_t *f, size_t len, TcpFrame *t, Error **errp)
{
    size_t l3 = 14;
    if (len < 14) {
        goto bad;
    }
    uint16_t type = be16(f + 12);
    if (type == ETH_P_VLAN && len >= 18) {
        l3 = 18;
        type = be16(f + 16);
    }
    t->l3 = l3;
    if (type == ETH_P_IPV4 && len >= l3 + 20 && (f[l3] >> 4) == 4) {
        size_t ihl = (f[l3] & 15) * 4;
        if (ihl < 20 || f[l3 + 9] != IPPROTO_TCP_) {
            goto bad;
        }
        t->v6 = false;
        t->l4 = l3 + ihl;
    } else if (type == ETH_P_IPV6 && len >= l3 + 40 && (f[l3] >> 4) == 6 &&
               f[l3 + 6] == IPPROTO_TCP_) {
        t->v6 = true;
        t->l4 = l3 + 40;
    } else {
        goto bad;
    }
    if (len < t->l4 + 20 || (f[t->l4 + 12] >> 4) < 5) {
        goto bad;
    }
    t->hlen = t->l4 + (f[t->l4 + 12] >> 4) * 4;
    if (t->hlen > len) {
        goto bad;
    }
    return true;
bad:
    error_setg(errp, "a %zu-byte TSO frame that is not Ethernet + IPv4 or "
               "IPv6 (no extension headers) + TCP", len);
    return false;
}

static void tcp_csum(uint8_t *seg, size_t len, const TcpFrame *t)
{
    uint8_t *tcp = seg + t->l4;
    size_t tlen = len - t->l4;
    uint64_t sum;
    put_be16(tcp + 16, 0);
    if (t->v6) {
        sum = csum_add(0, seg + t->l3 + 8, 32);
    } else {
        sum = csum_add(0, seg + t->l3 + 12, 8);
    }
    sum += IPPROTO_TCP_ + tlen;
    put_be16(tcp + 16, csum_fold(csum_add(sum, tcp, tlen)));
}

static bool segment(const VirtioNetHdr *h, const uint8_t *frame, size_t len,
                    VirtioNetFrameOut *out, void *opaque, Error **errp)
{
    TcpFrame t;
    unsigned type = h->gso_type & ~VIRTIO_NET_HDR_GSO_ECN;
    if (!parse_tcp(frame, len, &t, errp)) {
        return false;
    }
    if (t.v6 != (type == VIRTIO_NET_HDR_GSO_TCPV6)) {
        error_setg(errp, "a TSO frame whose gso_type %s does not match its "
                   "IPv%u header", type == VIRTIO_NET_HDR_GSO_TCPV6 ?
                   "TCPV6" : "TCPV4", t.v6 ? 6 : 4);
        return false;
    }
    size_t mss = h->gso_size, payload = len - t.hlen;
    if (mss < 8) {
        error_setg(errp, "a TSO frame with gso_size %zu (the MSS must be "
                   "at least 8 bytes)", mss);
        return false;
    }
    uint8_t *seg = g_malloc(t.hlen + MIN(mss, payload));
    uint32_t seq = be32(frame + t.l4 + 4);
    uint16_t ip_id = t.v6 ? 0 : be16(frame + t.l3 + 4);
    uint8_t flags = frame[t.l4 + 13];
    unsigned count = 0;
    size_t off = 0;
    bool last;
    do {
        size_t n = MIN(mss, payload - off);
        last = off + n >= payload;
        memcpy(seg, frame, t.hlen);
        memcpy(seg + t.hlen, frame + t.hlen + off, n);
        uint8_t *ip = seg + t.l3, *tcp = seg + t.l4;
        if (t.v6) {
            put_be16(ip + 4, t.hlen - t.l4 + n);
        } else {
            put_be16(ip + 2, t.hlen - t.l3 + n);
            put_be16(ip + 4, ip_id + count);
            put_be16(ip + 10, 0);
            put_be16(ip + 10, csum_fold(csum_add(0, ip, t.l4 - t.l3)));
        }
        put_be32(tcp + 4, seq + off);
        tcp[13] = flags;
        if (!last) {
            tcp[13] &= ~(TCP_FIN | TCP_PSH);
        }
        if (count) {
            tcp[13] &= ~TCP_CWR;        /* ECN: CWR on the first only */
        }
        tcp_csum(seg, t.hlen + n, &t);
        out(opaque, seg, t.hlen + n);
        off += n;
        count++;
    } while (!last);
    trace(virtio_net_offload_segment, "%zu bytes mss %zu -> %u segments",
          len, mss, count);
    g_free(seg);
    return true;
}

bool virtio_net_tx_offload(const VirtioNetHdr *h, uint8_t *frame, size_t len,
                           bool tso4, bool tso6, bool ecn,
                           VirtioNetFrameOut *out, void *opaque,
                           Error **errp)
{
    if (h->gso_type == VIRTIO_NET_HDR_GSO_NONE) {
        if ((h->flags & VIRTIO_NET_HDR_F_NEEDS_CSUM) &&
            !virtio_net_fill_csum(h, frame, len, errp)) {
            return false;
        }
        out(opaque, frame, len);
        return true;
    }
    if (virtio_net_gso_ok(h->gso_type, tso4, tso6, ecn)) {
        return segment(h, frame, len, out, opaque, errp);
    }
    error_setg(errp, "a frame with gso_type 0x%x, which the driver did not "
               "negotiate (vmu segments TCPv4 and TCPv6, with or without "
               "ECN, only)", h->gso_type);
    return false;
}

bool virtio_net_gso_ok(uint8_t gso_type, bool tso4, bool tso6, bool ecn)
{
    unsigned type = gso_type & ~VIRTIO_NET_HDR_GSO_ECN;
    if ((gso_type & VIRTIO_NET_HDR_GSO_ECN) && !ecn) {
        return false;
    }
    return type == VIRTIO_NET_HDR_GSO_NONE ||
           (type == VIRTIO_NET_HDR_GSO_TCPV4 && tso4) ||
           (type == VIRTIO_NET_HDR_GSO_TCPV6 && tso6);
}

/* ---- the RSS hash ---- */

const uint8_t virtio_net_rss_default_key[VIRTIO_NET_RSS_KEY_LEN] = {
    0x6d, 0x5a, 0x56, 0xda, 0x25, 0x5b, 0x0e, 0xc2, 0x41, 0x67,
    0x25, 0x3d, 0x43, 0xa3, 0x8f, 0xb0, 0xd0, 0xca, 0x2b, 0xcb,
    0xae, 0x7b, 0x30, 0xb4, 0x77, 0xcb, 0x2d, 0xa3, 0x80, 0x30,
    0xf2, 0x0c, 0x6a, 0x42, 0xb7, 0x3b, 0xbe, 0xac, 0x01, 0xfa,
};

static uint32_t toeplitz(const uint8_t *key, const uint8_t *in, size_t n)
{
    uint32_t result = 0, window = be32(key);
    for (size_t i = 0; i < n; i++) {
        for (int b = 7; b >= 0; b--) {
            if (in[i] & (1u << b)) {
                result ^= window;
            }
            size_t next = 32 + i * 8 + (7 - b);     /* next key bit */
            window = window << 1 |
                     ((key[next / 8 % VIRTIO_NET_RSS_KEY_LEN] >>
                       (7 - next % 8)) & 1);
        }
    }
    return result;
}

uint32_t virtio_net_rss_hash(const uint8_t *f, size_t len, const uint8_t *key,
                             uint32_t types, bool *classified)
{
    uint8_t in[36];
    size_t n, l3 = 14, l4;
    unsigned proto;
    uint32_t ip_type, tcp_type, udp_type;
    *classified = false;
    if (len < 14) {
        return 0;
    }
    uint16_t type = be16(f + 12);
    if (type == ETH_P_VLAN && len >= 18) {
        l3 = 18;
        type = be16(f + 16);
    }
    if (type == ETH_P_IPV4 && len >= l3 + 20) {
        memcpy(in, f + l3 + 12, 8);
        n = 8;
        proto = f[l3 + 9];
        l4 = l3 + (f[l3] & 15) * 4;
        /* a fragment after the first has no ports */
        if (be16(f + l3 + 6) & 0x1fff) {
            proto = 0;
        }
        ip_type = VIRTIO_NET_RSS_HASH_TYPE_IPV4;
        tcp_type = VIRTIO_NET_RSS_HASH_TYPE_TCPV4;
        udp_type = VIRTIO_NET_RSS_HASH_TYPE_UDPV4;
    } else if (type == ETH_P_IPV6 && len >= l3 + 40) {
        memcpy(in, f + l3 + 8, 32);
        n = 32;
        proto = f[l3 + 6];
        l4 = l3 + 40;
        ip_type = VIRTIO_NET_RSS_HASH_TYPE_IPV6;
        tcp_type = VIRTIO_NET_RSS_HASH_TYPE_TCPV6;
        udp_type = VIRTIO_NET_RSS_HASH_TYPE_UDPV6;
    } else {
        return 0;
    }
    if (len >= l4 + 4 &&
        ((proto == IPPROTO_TCP_ && (types & tcp_type)) ||
         (proto == IPPROTO_UDP_ && (types & udp_type)))) {
        memcpy(in + n, f + l4, 4);
        n += 4;
    } else if (!(types & ip_type)) {
        return 0;
    }
    *classified = true;
    return toeplitz(key, in, n);
}

uint32_t virtio_net_flow_hash(const uint8_t *f, size_t len)
{
    bool classified;
    return virtio_net_rss_hash(f, len, virtio_net_rss_default_key,
                               VIRTIO_NET_RSS_HASH_TYPES, &classified);
}
