/*
 * virtio-net: RX/TX queues and the control queue in vmu, or the RX/TX
 * rings handed to a vhost back-end at DRIVER_OK and taken back at reset.
 */
#include <errno.h>
#include <glib.h>
#include <inttypes.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "hw/net/virtio-net.h"
#include "hw/net/virtio-net-offload.h"

#include "hw/virtio/vhost.h"
#include "system/options.h"
#include "system/bootdevice.h"
#include "system/registry.h"
#include "util/trace.h"

#define MAC_TABLE_ENTRIES   64
#define RSS_TABLE_MAX       128     /* indirection table entries */
#define CONFIG_LEN          17      /* up to duplex */
#define CONFIG_LEN_RSS      24      /* and the RSS limits */
#define CTRL_MAX_LEN        512     /* every command but MAC_TABLE_SET */

enum { CTRL_RX = 0, CTRL_MAC = 1, CTRL_VLAN = 2, CTRL_ANNOUNCE = 3,
       CTRL_MQ = 4, CTRL_GUEST_OFFLOADS = 5 };
enum { CTRL_MQ_PAIRS_SET = 0, CTRL_MQ_RSS_CONFIG = 1 };

/* What the driver set with CTRL_MQ_RSS_CONFIG. */
typedef struct NetRss {
    bool enabled;
    uint32_t types;
    uint16_t mask;              /* table entries - 1 */
    uint16_t unclassified;      /* rx queue pair */
    uint16_t table[RSS_TABLE_MAX];
    uint8_t key[VIRTIO_NET_RSS_KEY_LEN];
} NetRss;

/* The receive offloads CTRL_GUEST_OFFLOADS may turn on and off. */
#define GUEST_OFFLOADS                                                      \
    (VIRTIO_NET_BIT(VIRTIO_NET_F_GUEST_CSUM) |                             \
     VIRTIO_NET_BIT(VIRTIO_NET_F_GUEST_TSO4) |                             \
     VIRTIO_NET_BIT(VIRTIO_NET_F_GUEST_TSO6) |                             \
     VIRTIO_NET_BIT(VIRTIO_NET_F_GUEST_ECN) |                              \
     VIRTIO_NET_BIT(VIRTIO_NET_F_GUEST_UFO))

struct VirtIONet {
    VirtIODevice vdev;
    VirtIOPCIProxy proxy;
    NetClientState nic;
    char *name;
    uint8_t mac[6];
    uint8_t perm_mac[6];
    uint16_t status;
    uint16_t max_pairs, curr_pairs;
    uint16_t mtu;
    int32_t speed;              /* Mb/s, -1: unknown */
    uint8_t duplex;             /* 0 half, 1 full, 0xff unknown */
    bool promisc, allmulti;
    bool uni_overflow, multi_overflow;
    unsigned uni_count, multi_count;
    uint8_t macs[MAC_TABLE_ENTRIES][6];     /* unicast first, then multi */
    uint32_t vlans[4096 / 32];
    uint64_t guest_offloads;    /* receive offloads the guest takes now */
    bool peer_hdr;              /* the netdev's frames carry the header */
    NetRss rss;
    bool vhost_started;
    uint64_t tx_dropped;        /* frames sent while the link was down */
    RateLimit start_error;      /* a guest may loop on DRIVER_OK */
    VhostRing rings[2 * VIRTIO_NET_MAX_PAIRS];     /* while vhost has them */
};

static bool is_ctrl(VirtIONet *n, unsigned qi)
{
    return qi == 2u * n->max_pairs;
}

static void get_config(VirtIODevice *vdev, uint8_t *cfg)
{
    VirtIONet *n = (VirtIONet *)vdev;
    memcpy(cfg, n->mac, 6);
    pci_set_word(cfg + 6, n->status);
    pci_set_word(cfg + 8, n->max_pairs);
    pci_set_word(cfg + 10, n->mtu);
    pci_set_long(cfg + 12, (uint32_t)n->speed);
    cfg[16] = n->duplex;
    if (vdev->host_features & VIRTIO_NET_BIT(VIRTIO_NET_F_RSS)) {
        cfg[17] = VIRTIO_NET_RSS_KEY_LEN;
        pci_set_word(cfg + 18, RSS_TABLE_MAX);
        pci_set_long(cfg + 20, VIRTIO_NET_RSS_HASH_TYPES);
    }
}

static bool validate_features(VirtIODevice *vdev, uint64_t f)
{
    /* The control queue features need the control queue. */
    uint64_t need_ctrl = 1ULL << VIRTIO_NET_F_CTRL_RX |
                         1ULL << VIRTIO_NET_F_CTRL_VLAN |
                         1ULL << VIRTIO_NET_F_GUEST_ANNOUNCE |
                         1ULL << VIRTIO_NET_F_MQ |
                         1ULL << VIRTIO_NET_F_CTRL_MAC_ADDR |
                         1ULL << VIRTIO_NET_F_CTRL_GUEST_OFFLOADS |
                         1ULL << VIRTIO_NET_F_RSS;
    return !(f & need_ctrl) || (f & (1ULL << VIRTIO_NET_F_CTRL_VQ));
}

/* ---- vhost: hand the rings over ---- */

/* False: the back-end lets go of the rings later (NET_PEER_STOPPED). */
static bool vhost_stop(VirtIONet *n)
{
    if (!n->vhost_started) {
        return true;
    }
    unsigned nr = 2 * n->max_pairs;
    bool done = n->nic.peer->ops->vhost_stop(n->nic.peer, n->rings, nr);
    for (unsigned i = 0; i < nr; i++) {
        VirtQueue *vq = virtio_get_queue(&n->vdev, i);
        virtio_queue_set_last_avail_idx(vq, n->rings[i].last_avail_idx);
        virtio_queue_set_vhost(vq, false);
    }
    n->vhost_started = false;
    trace(virtio_net_vhost_stop, "%s%s", n->name, done ? "" : " (pending)");
    return done;
}

static void vhost_start(VirtIONet *n)
{
    Error *err = NULL;
    unsigned nr = 2 * n->max_pairs;
    if (n->vhost_started || !net_peer_can_vhost(&n->nic) ||
        n->nic.peer->link_down ||
        !(n->vdev.status & VIRTIO_CONFIG_S_DRIVER_OK)) {
        return;
    }
    for (unsigned i = 0; i < nr; i++) {
        VirtQueue *vq = virtio_get_queue(&n->vdev, i);
        VirtioRingInfo info;
        virtio_queue_get_ring(vq, &info);
        n->rings[i] = (VhostRing) {
            .num = info.num,
            .desc = info.desc,
            .avail = info.avail,
            .used = info.used,
            .last_avail_idx = info.last_avail_idx,
            .kick_fd = virtio_queue_get_host_notifier_fd(vq),
            .call_fd = virtio_queue_get_guest_notifier_fd(vq),
        };
        virtio_queue_set_vhost(vq, true);
    }
    /* The back-end gets the data-path features; the NIC emulates the
     * rest.  The MTU only when the driver took it. */
    uint64_t carried = virtio_net_vhost_features(n->vdev.guest_features,
                                                 ~0ULL);
    unsigned mtu = virtio_has_feature(&n->vdev, VIRTIO_NET_F_MTU) ? n->mtu
                                                                  : 0;
    if (!n->nic.peer->ops->vhost_start(n->nic.peer, carried, n->rings, nr,
                                       mtu, &err)) {
        error_report_ratelimited(&n->start_error, "%s: %s", n->name,
                                 error_get_pretty(err));
        error_free(err);
        for (unsigned i = 0; i < nr; i++) {
            virtio_queue_set_vhost(virtio_get_queue(&n->vdev, i), false);
        }
        /* A link that carries nothing is not up. */
        virtio_net_set_link(n, false);
        return;
    }
    n->vhost_started = true;
    trace(virtio_net_vhost_start, "%s rings %u", n->name, nr);
    /* The back-end may still be taking the rings (link down until then). */
    virtio_net_set_link(n, !n->nic.link_down && !n->nic.peer->link_down);
    if (n->curr_pairs > 1 && n->nic.peer->ops->vhost_set_queue_pairs) {
        /* A restarted back-end learns the pairs the driver enabled. */
        n->nic.peer->ops->vhost_set_queue_pairs(n->nic.peer, n->curr_pairs);
    }
}

static void set_guest_offloads(VirtIONet *n, uint64_t off)
{
    n->guest_offloads = off;
    if (n->peer_hdr) {
        net_peer_set_offload(&n->nic, off);
    }
}

static void set_status(VirtIODevice *vdev, uint8_t old, uint8_t status)
{
    VirtIONet *n = (VirtIONet *)vdev;
    if ((status & VIRTIO_CONFIG_S_FEATURES_OK) &&
        !(old & VIRTIO_CONFIG_S_FEATURES_OK)) {
        /* every negotiated receive offload is on (virtio 1.2, 5.1.6.5.6) */
        set_guest_offloads(n, vdev->guest_features & GUEST_OFFLOADS);
    }
    if (status & VIRTIO_CONFIG_S_DRIVER_OK) {
        vhost_start(n);
        net_resume(&n->nic);
    } else if (!vhost_stop(n) && !status) {
        /* The reset completes when the back-end has let go. */
        virtio_reset_hold(vdev, old);
    }
}

static void reset(VirtIODevice *vdev)
{
    VirtIONet *n = (VirtIONet *)vdev;
    /* Promiscuous until the driver says otherwise, as QEMU does. */
    n->promisc = true;
    n->allmulti = false;
    n->uni_overflow = n->multi_overflow = false;
    n->uni_count = n->multi_count = 0;
    n->curr_pairs = 1;
    memcpy(n->mac, n->perm_mac, 6);
    memset(n->vlans, 0, sizeof(n->vlans));
    set_guest_offloads(n, 0);
    memset(&n->rss, 0, sizeof(n->rss));
    n->status &= ~VIRTIO_NET_S_ANNOUNCE;
}

void virtio_net_set_link(VirtIONet *n, bool up)
{
    uint16_t old = n->status;
    if (up) {
        n->status |= VIRTIO_NET_S_LINK_UP;
    } else {
        n->status &= ~VIRTIO_NET_S_LINK_UP;
    }
    if (old != n->status) {
        trace(virtio_net_set_link, "%s %s", n->name, up ? "up" : "down");
        if (virtio_has_feature(&n->vdev, VIRTIO_NET_F_STATUS)) {
            virtio_notify_config(&n->vdev);
        }
    }
}

/* ---- receive: a frame from the netdev into RX queue 0 ---- */

static bool rx_filter(VirtIONet *n, const uint8_t *buf, size_t len)
{
    static const uint8_t bcast[6] = { 0xff, 0xff, 0xff, 0xff, 0xff, 0xff };
    if (n->promisc) {
        return true;
    }
    if (len >= 16 && buf[12] == 0x81 && buf[13] == 0x00 &&
        virtio_has_feature(&n->vdev, VIRTIO_NET_F_CTRL_VLAN)) {
        unsigned vid = (buf[14] << 8 | buf[15]) & 0xfff;
        if (!(n->vlans[vid / 32] & (1u << (vid % 32)))) {
            return false;
        }
    }
    if (!memcmp(buf, bcast, 6)) {
        return true;
    }
    if (buf[0] & 1) {
        if (n->allmulti || n->multi_overflow) {
            return true;
        }
        for (unsigned i = n->uni_count; i < n->uni_count + n->multi_count;
             i++) {
            if (!memcmp(buf, n->macs[i], 6)) {
                return true;
            }
        }
        return false;
    }
    if (!memcmp(buf, n->mac, 6) || n->uni_overflow) {
        return true;
    }
    for (unsigned i = 0; i < n->uni_count; i++) {
        if (!memcmp(buf, n->macs[i], 6)) {
            return true;
        }
    }
    return false;
}

/*
 * With more than one pair in use, a frame goes to the RX queue its flow's
 * RSS hash picks (IPv4/IPv6 addresses and TCP/UDP ports), so one flow
 * stays on one queue, in order, and flows spread over the pairs.
 */
static VirtQueue *rx_queue(VirtIONet *n, const uint8_t *buf, size_t len)
{
    unsigned pair = 0;
    if (n->rss.enabled) {
        /* the driver's key, hash types and indirection table */
        bool classified;
        uint32_t h = virtio_net_rss_hash(buf, len, n->rss.key, n->rss.types,
                                         &classified);
        pair = classified ? n->rss.table[h & n->rss.mask] :
                            n->rss.unclassified;
    } else if (n->curr_pairs > 1) {
        pair = virtio_net_flow_hash(buf, len) % n->curr_pairs;
    }
    return virtio_get_queue(&n->vdev, 2 * pair);
}

/*
 * The header a vnet_hdr netdev gave, made fit for what the guest takes:
 * a partial checksum it did not take is filled here (into *copy), a TSO
 * frame it did not take is dropped (false).
 */
static bool rx_peer_hdr(VirtIONet *n, const uint8_t **buf, size_t *len,
                        uint8_t ghdr[VIRTIO_NET_HDR_LEN], uint8_t **copy)
{
    static RateLimit rl;
    uint64_t off = n->guest_offloads;
    VirtioNetHdr h;
    Error *err = NULL;

    if (*len < VIRTIO_NET_HDR_LEN) {
        return false;
    }
    virtio_net_hdr_parse(&h, *buf);
    trace(virtio_net_receive_hdr, "%s flags 0x%x gso 0x%x offloads 0x%"
          PRIx64, n->name, h.flags, h.gso_type, off);
    memcpy(ghdr, *buf, VIRTIO_NET_HDR_LEN);
    *buf += VIRTIO_NET_HDR_LEN;
    *len -= VIRTIO_NET_HDR_LEN;
    if (!virtio_net_gso_ok(h.gso_type,
                           off & VIRTIO_NET_BIT(VIRTIO_NET_F_GUEST_TSO4),
                           off & VIRTIO_NET_BIT(VIRTIO_NET_F_GUEST_TSO6),
                           off & VIRTIO_NET_BIT(VIRTIO_NET_F_GUEST_ECN))) {
        error_report_ratelimited(&rl, "%s: dropped a %zu-byte frame with "
                                 "gso_type 0x%x from the netdev: the guest "
                                 "did not take that offload", n->name, *len,
                                 h.gso_type);
        return false;
    }
    if ((h.flags & VIRTIO_NET_HDR_F_NEEDS_CSUM) &&
        !(off & VIRTIO_NET_BIT(VIRTIO_NET_F_GUEST_CSUM))) {
        *copy = g_memdup2(*buf, *len);
        if (!virtio_net_fill_csum(&h, *copy, *len, &err)) {
            error_report_ratelimited(&rl, "%s: dropped %s (from the netdev)",
                                     n->name, error_get_pretty(err));
            error_free(err);
            return false;
        }
        *buf = *copy;
        ghdr[0] &= ~VIRTIO_NET_HDR_F_NEEDS_CSUM;
    }
    if (!virtio_has_feature(&n->vdev, VIRTIO_NET_F_GUEST_CSUM)) {
        memset(ghdr, 0, VIRTIO_NET_HDR_LEN);    /* flags must be 0 */
    }
    return true;
}

static bool nic_receive_frame(VirtIONet *n, const uint8_t *buf, size_t len,
                              const uint8_t *ghdr);

static bool nic_receive(NetClientState *nc, const uint8_t *buf, size_t len)
{
    VirtIONet *n = nc->opaque;
    uint8_t ghdr[VIRTIO_NET_HDR_LEN] = { 0 };
    uint8_t *copy = NULL;
    bool ret = true;
    if (!n->peer_hdr || rx_peer_hdr(n, &buf, &len, ghdr, &copy)) {
        ret = nic_receive_frame(n, buf, len, ghdr);
    }
    g_free(copy);
    return ret;
}

static bool nic_receive_frame(VirtIONet *n, const uint8_t *buf, size_t len,
                              const uint8_t *ghdr)
{
    VirtQueue *vq = rx_queue(n, buf, len);
    static RateLimit rl;
    bool mrg = virtio_has_feature(&n->vdev, VIRTIO_NET_F_MRG_RXBUF);
    VirtQueueElement *elems[VIRTQUEUE_MAX_SIZE];
    size_t lens[VIRTQUEUE_MAX_SIZE];
    unsigned count = 0;
    size_t done = 0;

    if (n->vhost_started || !(n->status & VIRTIO_NET_S_LINK_UP) ||
        len < 14) {
        return true;                    /* dropped */
    }
    if (!virtio_queue_ready(vq)) {
        return n->vdev.broken;          /* wait for the driver */
    }
    if (!rx_filter(n, buf, len)) {
        return true;
    }
    while (done < len || count == 0) {
        VirtQueueElement *e = count < virtio_queue_get_num(vq) ?
                              virtqueue_pop(vq) : NULL;
        if (!e || !e->in_num || e->out_num ||
            (!count && e->in_len < VIRTIO_NET_HDR_LEN) ||
            (!mrg && e->in_len < VIRTIO_NET_HDR_LEN + len)) {
            bool keep = !e && !n->vdev.broken;
            if (e && !n->vdev.broken) {
                if (!mrg && e->in_num && !e->out_num &&
                    e->in_len >= VIRTIO_NET_HDR_LEN) {
                    error_report_ratelimited(&rl, "%s: a %zu-byte frame "
                        "does not fit a %zu-byte receive buffer (no "
                        "MRG_RXBUF); dropped", n->name, len, e->in_len);
                } else {
                    virtio_error(&n->vdev, "receive buffer without room "
                                 "for the header, or device-readable");
                }
            }
            if (e) {
                virtqueue_unpop(vq, e);
            }
            while (count) {
                virtqueue_unpop(vq, elems[--count]);
            }
            return !keep;
        }
        size_t off = count ? 0 : VIRTIO_NET_HDR_LEN;
        size_t k = iov_from_buf(e->in_sg, e->in_num, off, buf + done,
                                len - done);
        done += k;
        lens[count] = off + k;
        elems[count++] = e;
    }
    uint8_t hdr[VIRTIO_NET_HDR_LEN];
    memcpy(hdr, ghdr, VIRTIO_NET_HDR_LEN);
    pci_set_word(hdr + 10, count);
    iov_from_buf(elems[0]->in_sg, elems[0]->in_num, 0, hdr, sizeof(hdr));
    for (unsigned i = 0; i < count; i++) {
        virtqueue_fill(vq, elems[i], lens[i], i);
        virtqueue_element_free(elems[i]);
    }
    virtqueue_flush(vq, count);
    trace(virtio_net_receive, "%s queue %u len %zu buffers %u", n->name,
          virtio_queue_index(vq), len, count);
    virtio_notify(&n->vdev, vq);
    return true;
}

static void rx_kick(VirtIODevice *vdev, VirtQueue *vq)
{
    VirtIONet *n = (VirtIONet *)vdev;
    net_resume(&n->nic);
}

static bool tx_out(void *opaque, const uint8_t *frame, size_t len)
{
    VirtIONet *n = opaque;
    trace(virtio_net_transmit, "%s len %zu", n->name, len);
    return net_send(&n->nic, frame, len);
}

/* One frame the guest sent, with its header, to a netdev that does the
 * offloads (the kernel, for a tap): only those the driver negotiated. */
static void tx_frame_hdr(VirtIONet *n, const VirtQueueElement *e,
                         size_t flen)
{
    static RateLimit rl;
    VirtIODevice *vdev = &n->vdev;
    uint8_t *buf = g_malloc(VIRTIO_NET_HDR_LEN + flen);
    VirtioNetHdr h;

    iov_to_buf(e->out_sg, e->out_num, 0, buf, VIRTIO_NET_HDR_LEN + flen);
    virtio_net_hdr_parse(&h, buf);
    if (!virtio_net_gso_ok(h.gso_type,
                           virtio_has_feature(vdev, VIRTIO_NET_F_HOST_TSO4),
                           virtio_has_feature(vdev, VIRTIO_NET_F_HOST_TSO6),
                           virtio_has_feature(vdev, VIRTIO_NET_F_HOST_ECN))) {
        error_report_ratelimited(&rl, "%s: dropped a frame with gso_type "
                                 "0x%x, which the driver did not negotiate",
                                 n->name, h.gso_type);
    } else {
        /* NEEDS_CSUM is the only flag a driver sends, with CSUM only */
        buf[0] &= virtio_has_feature(vdev, VIRTIO_NET_F_CSUM) ?
                  VIRTIO_NET_HDR_F_NEEDS_CSUM : 0;
        buf[10] = buf[11] = 0;          /* num_buffers: receive only */
        trace(virtio_net_transmit_hdr, "%s len %zu gso 0x%x", n->name, flen,
              h.gso_type);
        net_send(&n->nic, buf, VIRTIO_NET_HDR_LEN + flen);
    }
    g_free(buf);
}

/* One frame the guest sent, its offloads done here (the netdev takes
 * plain frames). */
static void tx_frame(VirtIONet *n, const VirtQueueElement *e, size_t flen)
{
    static RateLimit rl;
    uint8_t raw[VIRTIO_NET_HDR_LEN];
    VirtioNetHdr h;
    Error *err = NULL;

    if (n->peer_hdr) {
        tx_frame_hdr(n, e, flen);
        return;
    }
    uint8_t *buf = g_malloc(flen);

    iov_to_buf(e->out_sg, e->out_num, 0, raw, sizeof(raw));
    iov_to_buf(e->out_sg, e->out_num, VIRTIO_NET_HDR_LEN, buf, flen);
    virtio_net_hdr_parse(&h, raw);
    if (!virtio_has_feature(&n->vdev, VIRTIO_NET_F_CSUM)) {
        h.flags &= ~VIRTIO_NET_HDR_F_NEEDS_CSUM;    /* nothing to fill */
    }
    if (!virtio_net_tx_offload(&h, buf, flen,
                               virtio_has_feature(&n->vdev,
                                                  VIRTIO_NET_F_HOST_TSO4),
                               virtio_has_feature(&n->vdev,
                                                  VIRTIO_NET_F_HOST_TSO6),
                               virtio_has_feature(&n->vdev,
                                                  VIRTIO_NET_F_HOST_ECN),
                               tx_out, n, &err)) {
        error_report_ratelimited(&rl, "%s: dropped %s", n->name,
                                 error_get_pretty(err));
        error_free(err);
    }
    g_free(buf);
}

static void tx_handle(VirtIODevice *vdev, VirtQueue *vq)
{
    VirtIONet *n = (VirtIONet *)vdev;
    static RateLimit rl;
    unsigned budget = 256;
    VirtQueueElement *e;

    while (budget && (e = virtqueue_pop(vq))) {
        budget--;
        if (e->out_len < VIRTIO_NET_HDR_LEN) {
            virtio_error(vdev, "a transmit chain of %zu bytes is shorter "
                         "than the virtio-net header", e->out_len);
            virtqueue_element_free(e);
            return;
        }
        size_t flen = e->out_len - VIRTIO_NET_HDR_LEN;
        if (flen > 65536 || flen < 14) {
            error_report_ratelimited(&rl, "%s: dropped a %zu-byte frame "
                                     "(14 to 65536 bytes)", n->name, flen);
        } else {
            /* An unplugged cable: the frame goes nowhere, counted. */
            n->tx_dropped += !n->nic.peer || n->nic.peer->link_down;
            tx_frame(n, e, flen);
        }
        virtqueue_push(vq, e, 0);
        virtqueue_element_free(e);
    }
    virtio_notify(vdev, vq);
    if (!budget && !virtio_queue_empty(vq)) {
        /* More to do: come back after others had their turn. */
        uint64_t one = 1;
        if (write(virtio_queue_get_host_notifier_fd(vq), &one,
                  sizeof(one)) < 0) {
            trace(virtio_net_tx_rekick_error, "%s", n->name);
        }
    }
}

/* ---- the control queue ---- */

/*
 * MAC_TABLE_SET: two tables (unicast, then multicast), each a 32-bit count
 * and that many addresses, read straight from the guest's buffers (a
 * guest with many multicast groups sends them all).  A table longer than
 * the filter holds means "accept all of that kind" (QEMU's overflow
 * flags), not an error: the old table must not stay in force.
 */
static uint8_t ctrl_mac_table(VirtIONet *n, const VirtQueueElement *e,
                              size_t off)
{
    size_t len = e->out_len - off;
    uint32_t uni, multi;
    if (len < 8 ||
        iov_to_buf(e->out_sg, e->out_num, off, &uni, 4) != 4 ||
        6ULL * uni + 8 > len ||
        iov_to_buf(e->out_sg, e->out_num, off + 4 + 6ULL * uni, &multi,
                   4) != 4 ||
        8 + 6ULL * uni + 6ULL * multi != len) {
        return 1;
    }
    n->uni_count = n->multi_count = 0;
    n->uni_overflow = uni > MAC_TABLE_ENTRIES;
    if (!n->uni_overflow) {
        iov_to_buf(e->out_sg, e->out_num, off + 4, n->macs, 6 * uni);
        n->uni_count = uni;
    }
    n->multi_overflow = n->uni_count + multi > MAC_TABLE_ENTRIES;
    if (!n->multi_overflow) {
        iov_to_buf(e->out_sg, e->out_num, off + 8 + 6ULL * uni,
                   n->macs[n->uni_count], 6 * multi);
        n->multi_count = multi;
    }
    trace(virtio_net_mac_table, "%s unicast %u%s multicast %u%s", n->name,
          uni, n->uni_overflow ? " (overflow: all)" : "", multi,
          n->multi_overflow ? " (overflow: all)" : "");
    return 0;
}

static uint16_t get_le16(const uint8_t *p)
{
    return p[0] | p[1] << 8;
}

/*
 * VIRTIO_NET_CTRL_MQ_RSS_CONFIG (virtio 1.2, 5.1.6.5.7.1): hash types,
 * indirection table (a power of two, at most RSS_TABLE_MAX), the queue for
 * what no type covers, the pairs the driver uses, the key.  Checked whole
 * before anything changes.
 */
static uint8_t ctrl_rss_config(VirtIONet *n, const uint8_t *d, size_t len)
{
    NetRss r = { .enabled = true };
    if (len < 8) {
        return 1;
    }
    r.types = d[0] | d[1] << 8 | d[2] << 16 | (uint32_t)d[3] << 24;
    r.mask = get_le16(d + 4);
    r.unclassified = get_le16(d + 6);
    size_t entries = (size_t)r.mask + 1, at = 8 + 2 * entries;
    if (entries > RSS_TABLE_MAX || (entries & r.mask) ||
        (r.types & ~VIRTIO_NET_RSS_HASH_TYPES) || len < at + 3) {
        return 1;
    }
    unsigned used = r.unclassified + 1;
    for (size_t i = 0; i < entries; i++) {
        r.table[i] = get_le16(d + 8 + 2 * i);
        used = MAX(used, r.table[i] + 1u);
    }
    uint16_t max_tx = get_le16(d + at);
    uint8_t key_len = d[at + 2];
    if (key_len > VIRTIO_NET_RSS_KEY_LEN || len != at + 3 + key_len ||
        max_tx < 1 || used > n->max_pairs || max_tx > n->max_pairs) {
        return 1;
    }
    memcpy(r.key, d + at + 3, key_len);     /* the rest stays 0 */
    trace(virtio_net_rss_config, "%s types 0x%x table %zu unclassified %u "
          "tx %u key %u", n->name, r.types, entries, r.unclassified, max_tx,
          key_len);
    n->rss = r;
    n->curr_pairs = MAX(max_tx, used);
    if (n->vhost_started && n->nic.peer->ops->vhost_set_queue_pairs) {
        n->nic.peer->ops->vhost_set_queue_pairs(n->nic.peer, n->curr_pairs);
    }
    return 0;
}

static uint8_t ctrl_command(VirtIONet *n, uint8_t cls, uint8_t cmd,
                            const uint8_t *d, size_t len)
{
    VirtIODevice *vdev = &n->vdev;
    switch (cls) {
    case CTRL_RX:
        if (!virtio_has_feature(vdev, VIRTIO_NET_F_CTRL_RX) || len != 1 ||
            cmd > 1) {
            return 1;
        }
        if (cmd == 0) {
            n->promisc = d[0];
        } else {
            n->allmulti = d[0];
        }
        return 0;
    case CTRL_MAC:
        if (cmd == 1 && len == 6 &&
            virtio_has_feature(vdev, VIRTIO_NET_F_CTRL_MAC_ADDR)) {
            memcpy(n->mac, d, 6);
            return 0;
        }
        return 1;
    case CTRL_VLAN: {
        uint16_t vid;
        if (!virtio_has_feature(vdev, VIRTIO_NET_F_CTRL_VLAN) || len != 2 ||
            cmd > 1) {
            return 1;
        }
        memcpy(&vid, d, 2);
        if (vid >= 4096) {
            return 1;
        }
        if (cmd == 0) {
            n->vlans[vid / 32] |= 1u << (vid % 32);
        } else {
            n->vlans[vid / 32] &= ~(1u << (vid % 32));
        }
        return 0;
    }
    case CTRL_ANNOUNCE:
        if (!virtio_has_feature(vdev, VIRTIO_NET_F_GUEST_ANNOUNCE) ||
            cmd != 0) {
            return 1;
        }
        n->status &= ~VIRTIO_NET_S_ANNOUNCE;
        return 0;
    case CTRL_MQ: {
        uint16_t pairs;
        if (cmd == CTRL_MQ_RSS_CONFIG &&
            virtio_has_feature(vdev, VIRTIO_NET_F_RSS)) {
            return ctrl_rss_config(n, d, len);
        }
        if (!virtio_has_feature(vdev, VIRTIO_NET_F_MQ) ||
            cmd != CTRL_MQ_PAIRS_SET || len != 2) {
            return 1;
        }
        memcpy(&pairs, d, 2);
        if (pairs < 1 || pairs > n->max_pairs) {
            return 1;
        }
        n->rss.enabled = false;         /* the plain flow hash again */
        n->curr_pairs = pairs;
        if (n->vhost_started && n->nic.peer->ops->vhost_set_queue_pairs) {
            n->nic.peer->ops->vhost_set_queue_pairs(n->nic.peer, pairs);
        }
        return 0;
    }
    case CTRL_GUEST_OFFLOADS: {
        uint64_t off;
        if (!virtio_has_feature(vdev, VIRTIO_NET_F_CTRL_GUEST_OFFLOADS) ||
            cmd != 0 || len != 8) {
            return 1;
        }
        memcpy(&off, d, 8);
        /* Only offloads the driver negotiated (virtio 1.2, 5.1.6.5.6.1).
         * A vnet_hdr tap is told (TUNSETOFFLOAD); what arrives anyway is
         * made whole or dropped (rx_peer_hdr); the other frame netdevs
         * only ever give whole frames. */
        if (off & ~(vdev->guest_features & GUEST_OFFLOADS)) {
            return 1;
        }
        set_guest_offloads(n, off);
        return 0;
    }
    }
    return 1;
}

static void ctrl_handle(VirtIODevice *vdev, VirtQueue *vq)
{
    VirtIONet *n = (VirtIONet *)vdev;
    VirtQueueElement *e;
    while ((e = virtqueue_pop(vq))) {
        if (e->out_len < 2 || e->in_len < 1) {
            virtio_error(vdev, "a control command without its header or its "
                         "ack byte");
            virtqueue_element_free(e);
            return;
        }
        uint8_t hdr[2], ack;
        iov_to_buf(e->out_sg, e->out_num, 0, hdr, 2);
        trace(virtio_net_ctrl, "%s class %u cmd %u len %zu", n->name,
              hdr[0], hdr[1], e->out_len - 2);
        if (hdr[0] == CTRL_MAC && hdr[1] == 0) {
            ack = virtio_has_feature(vdev, VIRTIO_NET_F_CTRL_RX) ?
                  ctrl_mac_table(n, e, 2) : 1;
        } else if (e->out_len > CTRL_MAX_LEN) {
            ack = 1;
        } else {
            uint8_t *buf = g_malloc(e->out_len);
            size_t len = iov_to_buf(e->out_sg, e->out_num, 0, buf,
                                    e->out_len);
            ack = ctrl_command(n, buf[0], buf[1], buf + 2, len - 2);
            g_free(buf);
        }
        iov_from_buf(e->in_sg, e->in_num, 0, &ack, 1);
        virtqueue_push(vq, e, 1);
        virtqueue_element_free(e);
    }
    virtio_notify(vdev, vq);
}

static void queue_handle(VirtIODevice *vdev, VirtQueue *vq)
{
    VirtIONet *n = (VirtIONet *)vdev;
    unsigned i = virtio_queue_index(vq);
    if (is_ctrl(n, i)) {
        ctrl_handle(vdev, vq);
    } else if (i % 2) {
        tx_handle(vdev, vq);
    } else {
        rx_kick(vdev, vq);
    }
}

/* ---- the peer ---- */

static void nic_peer_event(NetClientState *nc, NetPeerEvent ev)
{
    VirtIONet *n = nc->opaque;
    if (ev == NET_PEER_STOPPED) {
        virtio_reset_release(&n->vdev);
        return;
    }
    if (ev == NET_PEER_CONFIG) {
        /* The driver reads the config again (link, MTU). */
        if (n->vdev.status & VIRTIO_CONFIG_S_DRIVER_OK) {
            virtio_notify_config(&n->vdev);
        }
        return;
    }
    if (ev == NET_PEER_GONE) {
        virtio_reset_release(&n->vdev);
        bool had_rings = n->vhost_started;
        vhost_stop(n);
        virtio_net_set_link(n, false);
        /* What the guest queued (without a kick, if the back-end had
         * turned kicks off) goes now, as on an unplugged cable; later
         * buffers are kicked to vmu until a back-end returns. */
        for (unsigned i = 1; had_rings && i < 2u * n->max_pairs; i += 2) {
            virtio_queue_notify(virtio_get_queue(&n->vdev, i));
        }
        trace(virtio_net_tx_dropped, "%s: %" PRIu64 " frames so far",
              n->name, n->tx_dropped);
    } else {
        /* Link up only once the back-end has the rings (or the driver
         * has not started them yet). */
        vhost_start(n);
        virtio_net_set_link(n, !nc->peer->link_down &&
                            (n->vhost_started || !net_peer_can_vhost(nc) ||
                             !(n->vdev.status & VIRTIO_CONFIG_S_DRIVER_OK)));
    }
}

static void nic_link_changed(NetClientState *nc)
{
    VirtIONet *n = nc->opaque;
    virtio_net_set_link(n, !nc->link_down && nc->peer &&
                        !nc->peer->link_down);
}

static const NetClientOps nic_ops = {
    .type = "virtio-net",
    .receive = nic_receive,
    .peer_event = nic_peer_event,
    .link_changed = nic_link_changed,
};

static const VirtioDeviceOps virtio_net_ops = {
    .get_config = get_config,
    .validate_features = validate_features,
    .set_status = set_status,
    .reset = reset,
};

/* ---- -device virtio-net-pci ---- */

/*
 * The feature properties, with QEMU's names and defaults: X(name, bit,
 * default, help).  Each masks what the device offers; see
 * virtio_net_offered_features for what can actually be met.
 */
#define VIRTIO_NET_FEATURE_PROPS(X)                                         \
    X("csum", VIRTIO_NET_F_CSUM, true, "checksum offload of sent frames")  \
    X("guest_csum", VIRTIO_NET_F_GUEST_CSUM, true,                         \
      "frames received with partial checksums")                            \
    X("gso", VIRTIO_NET_F_GSO, true, "legacy any-GSO-type bit")            \
    X("guest_tso4", VIRTIO_NET_F_GUEST_TSO4, true, "guest receives TSOv4") \
    X("guest_tso6", VIRTIO_NET_F_GUEST_TSO6, true, "guest receives TSOv6") \
    X("guest_ecn", VIRTIO_NET_F_GUEST_ECN, true, "guest receives TSO+ECN") \
    X("guest_ufo", VIRTIO_NET_F_GUEST_UFO, true, "guest receives UFO")     \
    X("host_tso4", VIRTIO_NET_F_HOST_TSO4, true, "guest sends TSOv4")      \
    X("host_tso6", VIRTIO_NET_F_HOST_TSO6, true, "guest sends TSOv6")      \
    X("host_ecn", VIRTIO_NET_F_HOST_ECN, true, "guest sends TSO+ECN")      \
    X("host_ufo", VIRTIO_NET_F_HOST_UFO, true, "guest sends UFO")          \
    X("mrg_rxbuf", VIRTIO_NET_F_MRG_RXBUF, true, "mergeable rx buffers")   \
    X("status", VIRTIO_NET_F_STATUS, true, "link status in config space")  \
    X("ctrl_vq", VIRTIO_NET_F_CTRL_VQ, true, "the control queue")          \
    X("ctrl_rx", VIRTIO_NET_F_CTRL_RX, true, "rx modes (promiscuous...)")  \
    X("ctrl_vlan", VIRTIO_NET_F_CTRL_VLAN, true, "VLAN filtering")         \
    X("ctrl_rx_extra", VIRTIO_NET_F_CTRL_RX_EXTRA, true,                   \
      "extra rx modes (vmu never offers them)")                          \
    X("ctrl_guest_offloads", VIRTIO_NET_F_CTRL_GUEST_OFFLOADS, true,       \
      "the driver turns receive offloads on and off")                      \
    X("guest_announce", VIRTIO_NET_F_GUEST_ANNOUNCE, true,                 \
      "the guest announces itself after migration")                        \
    X("ctrl_mac_addr", VIRTIO_NET_F_CTRL_MAC_ADDR, true,                   \
      "MAC address set over the control queue")                            \
    X("rss", VIRTIO_NET_F_RSS, false,                                      \
      "receive-side scaling: the driver's key and table (mq=on)")          \
    X("event_idx", VIRTIO_RING_F_EVENT_IDX, true, "ring event index")      \
    X("indirect_desc", VIRTIO_RING_F_INDIRECT_DESC, true,                  \
      "indirect descriptors")                                              \
    X("any_layout", VIRTIO_F_ANY_LAYOUT, true,                             \
      "implied by VERSION_1 (modern only)")                                \
    X("notify_on_empty", VIRTIO_F_NOTIFY_ON_EMPTY, true,                   \
      "legacy only: never offered")

#define FEATURE_OPT(name, bit, def, help) { name, OPT_BOOL, help },
#define FEATURE_DEFAULT(name, bit, def, help) | ((def) ? 1ULL << (bit) : 0)

static const struct {
    const char *name;
    unsigned bit;
} feature_props[] = {
#define FEATURE_ENTRY(name, bit, def, help) { name, bit },
    VIRTIO_NET_FEATURE_PROPS(FEATURE_ENTRY)
};

static const OptDesc virtio_net_pci_desc[] = {
    VIRTIO_NET_FEATURE_PROPS(FEATURE_OPT)
    { "speed", OPT_STRING, "link speed in Mb/s, -1 (unknown, the default) "
      "to 2147483647" },
    { "duplex", OPT_STRING, "half or full (default unknown)" },
    { "page-per-vq", OPT_BOOL, "each queue's notify address on its own page" },
    { "rombar", OPT_NUMBER, "accepted and ignored (no option ROM)" },
    { "x-*", OPT_STRING, "QEMU's experimental properties: ignored, with a "
      "warning" },
    { "netdev", OPT_STRING, "id of the -netdev" },
    { "mac", OPT_STRING, "MAC address, 52:54:00:12:34:56" },
    { "mq", OPT_BOOL, "multiqueue: on|off" },
    { "vectors", OPT_NUMBER, "MSI-X vectors, 0 (INTx only) to 128" },
    { "mtu", OPT_NUMBER, "MTU offered to the guest, 68 to 65535" },
    { "host_mtu", OPT_NUMBER, "QEMU's name for mtu" },
    { "disable-legacy", OPT_STRING, "on (vmu's virtio-net-pci is modern "
      "only)" },
    { "disable-modern", OPT_BOOL, "off" },
    { "addr", OPT_STRING, "PCI slot[.function], e.g. 0x3 or 03.0" },
    { "bus", OPT_STRING, "pci.0" },
    { "rx_queue_size", OPT_NUMBER, "256, 512 or 1024" },
    { "tx_queue_size", OPT_NUMBER, "256, 512 or 1024" },
    { "romfile", OPT_STRING, "accepted and ignored (no option ROM)" },
    { "bootindex", OPT_STRING, "place in the firmware's boot order, 0 first "
      "(-1: none)" },
    { NULL, 0, NULL },
};

static bool parse_mac(const char *s, uint8_t mac[6])
{
    unsigned v[6];
    char end;
    if (sscanf(s, "%2x:%2x:%2x:%2x:%2x:%2x%c", &v[0], &v[1], &v[2], &v[3],
               &v[4], &v[5], &end) != 6 || strlen(s) != 17) {
        return false;
    }
    for (unsigned i = 0; i < 6; i++) {
        mac[i] = v[i];
    }
    return true;
}

static bool check_queue_size(const Opts *o, const char *key, Error **errp)
{
    uint64_t v = opts_get_number(o, key, 256);
    if (v < 256 || v > 1024 || (v & (v - 1))) {
        opts_error(o, errp, "%s=%" PRIu64 ": allowed values are 256, 512 "
                   "and 1024", key, v);
        return false;
    }
    return true;
}

static bool virtio_net_pci_check(const Opts *o, Error **errp)
{
    const char *netdev = opts_get(o, "netdev");
    uint8_t mac[6];

    if (!netdev) {
        opts_error(o, errp, "netdev= is required: add -netdev TYPE,id=ID "
                   "and netdev=ID");
        return false;
    }
    if (!options_find(TYPE_KIND_NETDEV, netdev)) {
        opts_error(o, errp, "netdev=%s: there is no -netdev with id '%s'",
                   netdev, netdev);
        return false;
    }
    GPtrArray *devs = options_lists()[TYPE_KIND_DEVICE];
    for (unsigned i = 0; i < devs->len; i++) {
        const Opts *other = g_ptr_array_index(devs, i);
        const char *od = opts_get(other, "netdev");
        if (other != o && od && !strcmp(od, netdev)) {
            opts_error(o, errp, "netdev=%s is already used by another "
                       "device; a netdev has one device", netdev);
            return false;
        }
        if (other == o) {
            break;
        }
    }
    const char *m = opts_get(o, "mac");
    if (m && (!parse_mac(m, mac) || (mac[0] & 1))) {
        opts_error(o, errp, "mac=%s: give a unicast MAC address as six "
                   "hex pairs, e.g. 52:54:00:12:34:56", m);
        return false;
    }
    for (unsigned i = 0; i < 2; i++) {
        const char *key = i ? "host_mtu" : "mtu";
        if (opts_has(o, key)) {
            uint64_t mtu = opts_get_number(o, key, 0);
            if (mtu < 68 || mtu > 65535) {
                opts_error(o, errp, "%s=%" PRIu64 ": allowed values are 68 "
                           "to 65535", key, mtu);
                return false;
            }
        }
    }
    if (!virtio_pci_opts_check(o, "virtio-net-pci", errp)) {
        return false;
    }
    const char *speed = opts_get(o, "speed");
    char *end;
    if (speed) {
        errno = 0;
        long long v = strtoll(speed, &end, 0);
        if (errno || *end || end == speed || v < -1 || v > INT32_MAX) {
            opts_error(o, errp, "speed=%s: allowed values are -1 (unknown) "
                       "and 0 to 2147483647 (Mb/s)", speed);
            return false;
        }
    }
    int32_t bootindex;
    if (!bootindex_get(o, &bootindex, errp)) {
        return false;
    }
    const char *duplex = opts_get(o, "duplex");
    if (duplex && strcmp(duplex, "half") && strcmp(duplex, "full")) {
        opts_error(o, errp, "duplex=%s: allowed values are half and full",
                   duplex);
        return false;
    }
    return check_queue_size(o, "rx_queue_size", errp) &&
           check_queue_size(o, "tx_queue_size", errp);
}

/* A feature the spec lets a device offer only beside one of @needs. */
static const struct {
    unsigned bit;
    uint64_t needs;
} feature_deps[] = {
    /* parents before children: TSO goes before the ECN that needs it */
    { VIRTIO_NET_F_GUEST_TSO4, VIRTIO_NET_BIT(VIRTIO_NET_F_GUEST_CSUM) },
    { VIRTIO_NET_F_GUEST_TSO6, VIRTIO_NET_BIT(VIRTIO_NET_F_GUEST_CSUM) },
    { VIRTIO_NET_F_GUEST_UFO, VIRTIO_NET_BIT(VIRTIO_NET_F_GUEST_CSUM) },
    { VIRTIO_NET_F_GUEST_ECN, VIRTIO_NET_BIT(VIRTIO_NET_F_GUEST_TSO4) |
                              VIRTIO_NET_BIT(VIRTIO_NET_F_GUEST_TSO6) },
    { VIRTIO_NET_F_HOST_TSO4, VIRTIO_NET_BIT(VIRTIO_NET_F_CSUM) },
    { VIRTIO_NET_F_HOST_TSO6, VIRTIO_NET_BIT(VIRTIO_NET_F_CSUM) },
    { VIRTIO_NET_F_HOST_UFO, VIRTIO_NET_BIT(VIRTIO_NET_F_CSUM) },
    { VIRTIO_NET_F_HOST_ECN, VIRTIO_NET_BIT(VIRTIO_NET_F_HOST_TSO4) |
                             VIRTIO_NET_BIT(VIRTIO_NET_F_HOST_TSO6) },
    { VIRTIO_NET_F_CTRL_RX, VIRTIO_NET_BIT(VIRTIO_NET_F_CTRL_VQ) },
    { VIRTIO_NET_F_CTRL_VLAN, VIRTIO_NET_BIT(VIRTIO_NET_F_CTRL_VQ) },
    { VIRTIO_NET_F_GUEST_ANNOUNCE, VIRTIO_NET_BIT(VIRTIO_NET_F_CTRL_VQ) },
    { VIRTIO_NET_F_MQ, VIRTIO_NET_BIT(VIRTIO_NET_F_CTRL_VQ) },
    { VIRTIO_NET_F_CTRL_MAC_ADDR, VIRTIO_NET_BIT(VIRTIO_NET_F_CTRL_VQ) },
    { VIRTIO_NET_F_CTRL_GUEST_OFFLOADS,
      VIRTIO_NET_BIT(VIRTIO_NET_F_CTRL_VQ) },
    /* RSS steers over the pairs: only with mq=on (MQ after CTRL_VQ) */
    { VIRTIO_NET_F_RSS, VIRTIO_NET_BIT(VIRTIO_NET_F_MQ) },
};

uint64_t virtio_net_offered_features(uint64_t requested, uint64_t carried)
{
    uint64_t f = (requested & VIRTIO_NET_EMULATED_FEATURES) |
                 (requested & carried & (VIRTIO_NET_RING_FEATURES |
                                         VIRTIO_NET_OFFLOAD_FEATURES));
    for (unsigned i = 0; i < G_N_ELEMENTS(feature_deps); i++) {
        if (!(f & feature_deps[i].needs)) {
            f &= ~VIRTIO_NET_BIT(feature_deps[i].bit);
        }
    }
    return f;
}

/* Why a property set to on explicitly is not offered (one line each). */
static void warn_unmet(const VirtIONet *n, const char *netdev,
                       uint64_t asked, uint64_t offered, uint64_t carried)
{
    for (unsigned i = 0; i < G_N_ELEMENTS(feature_props); i++) {
        uint64_t bit = VIRTIO_NET_BIT(feature_props[i].bit);
        if (!(asked & bit) || (offered & bit)) {
            continue;
        }
        const char *why;
        if (bit == VIRTIO_NET_BIT(VIRTIO_F_ANY_LAYOUT)) {
            continue;   /* every modern device has any layout */
        } else if (!(bit & (VIRTIO_NET_EMULATED_FEATURES |
                            VIRTIO_NET_RING_FEATURES |
                            VIRTIO_NET_OFFLOAD_FEATURES))) {
            why = "vmu does not implement it";
        } else if (!(bit & VIRTIO_NET_EMULATED_FEATURES) &&
                   !(bit & carried)) {
            why = bit & VIRTIO_NET_OFFLOAD_FEATURES ?
                  "its data path does not carry this offload (socket, "
                  "user: csum, guest_csum, host_tso4/6, host_ecn, "
                  "ctrl_guest_offloads, rss; a vnet_hdr tap adds "
                  "guest_tso4/6, guest_ecn; "
                  "vhost-user: what the back-end offers)" :
                  "its back-end did not offer it when the device was "
                  "created";
        } else {
            why = "a feature it needs is off (e.g. csum for host_*, "
                  "guest_csum for guest_*, ctrl_vq for ctrl_*, mq for rss)";
        }
        warn_report("%s: %s=on is not offered to the guest on netdev %s: %s",
                    n->name, feature_props[i].name, netdev, why);
    }
}

static bool virtio_net_pci_create(const Opts *o, Error **errp)
{
    static unsigned nics;
    const char *netdev = opts_get(o, "netdev");
    const char *id = opts_get(o, "id");
    NetClientState *peer = net_find(netdev);
    VirtIONet *n = g_new0(VirtIONet, 1);
    int devfn = -1;

    if (!peer) {
        opts_error(o, errp, "netdev=%s was not created", netdev);
        return false;
    }
    n->name = id ? g_strdup_printf("virtio-net-pci %s", id) :
              g_strdup_printf("virtio-net-pci (netdev %s)", netdev);
    static const uint8_t def_mac[6] = { 0x52, 0x54, 0x00, 0x12, 0x34, 0x56 };
    memcpy(n->perm_mac, def_mac, 6);
    n->perm_mac[5] += nics++;
    if (opts_has(o, "mac")) {
        parse_mac(opts_get(o, "mac"), n->perm_mac);
    }
    devfn = virtio_pci_opts_devfn(o);
    bool mq = opts_get_bool(o, "mq", false);
    n->max_pairs = mq ? MIN(peer->queue_pairs, VIRTIO_NET_MAX_PAIRS) : 1;
    n->mtu = opts_get_number(o, "mtu", opts_get_number(o, "host_mtu", 0));
    unsigned nq = 2 * n->max_pairs + 1;
    unsigned vectors = opts_get_number(o, "vectors", 2 * n->max_pairs + 2);

    /* the config space up to duplex (SPEED_DUPLEX is always offered) */
    if (!virtio_init(&n->vdev, n->name, VIRTIO_ID_NET, CONFIG_LEN, nq,
                     &virtio_net_ops, errp)) {
        return false;
    }
    for (unsigned i = 0; i < nq; i++) {
        uint16_t size = i == nq - 1 ? 64 :
                        opts_get_number(o, i % 2 ? "tx_queue_size" :
                                        "rx_queue_size", 256);
        virtio_add_queue(&n->vdev, i, size, queue_handle);
    }
    uint64_t requested = 0 VIRTIO_NET_FEATURE_PROPS(FEATURE_DEFAULT);
    uint64_t asked = 0;
    for (unsigned i = 0; i < G_N_ELEMENTS(feature_props); i++) {
        uint64_t bit = VIRTIO_NET_BIT(feature_props[i].bit);
        if (opts_has(o, feature_props[i].name)) {
            bool on = opts_get_bool(o, feature_props[i].name, true);
            requested = on ? requested | bit : requested & ~bit;
            asked |= on ? bit : 0;
        }
    }
    requested |= VIRTIO_NET_BIT(VIRTIO_NET_F_MAC) |
                 VIRTIO_NET_BIT(VIRTIO_NET_F_SPEED_DUPLEX) |
                 (mq ? VIRTIO_NET_BIT(VIRTIO_NET_F_MQ) : 0) |
                 (n->mtu ? VIRTIO_NET_BIT(VIRTIO_NET_F_MTU) : 0);
    asked |= mq ? VIRTIO_NET_BIT(VIRTIO_NET_F_MQ) : 0;
    uint64_t carried = peer->ops->vhost_features ?
                       peer->ops->vhost_features(peer) :
                       net_has_vnet_hdr(peer) ?
                       VIRTIO_NET_VNET_HDR_FEATURES :
                       VIRTIO_NET_FRAME_FEATURES;
    n->peer_hdr = !peer->ops->vhost_features && net_has_vnet_hdr(peer);
    n->vdev.host_features = virtio_net_offered_features(requested, carried);
    warn_unmet(n, netdev, asked, n->vdev.host_features, carried);
    if (n->vdev.host_features & VIRTIO_NET_BIT(VIRTIO_NET_F_RSS)) {
        n->vdev.config_len = CONFIG_LEN_RSS;
    }
    n->speed = opts_has(o, "speed") ?
               (int32_t)strtoll(opts_get(o, "speed"), NULL, 0) : -1;
    n->duplex = !opts_has(o, "duplex") ? 0xff :
                !strcmp(opts_get(o, "duplex"), "full");
    for (unsigned i = 0; i < o->n_entries; i++) {
        if (g_str_has_prefix(o->entries[i].key, "x-")) {
            warn_report("%s: %s ignored: vmu has no such experimental "
                        "property", n->name, o->entries[i].key);
        }
    }

    n->nic.ops = &nic_ops;
    n->nic.name = g_strdup(id ? id : netdev);
    n->nic.label = g_strdup(n->name);
    n->nic.opaque = n;
    if (!net_attach(peer, &n->nic, errp)) {
        return false;
    }
    n->status = peer->link_down ? 0 : VIRTIO_NET_S_LINK_UP;
    reset(&n->vdev);
    if (!virtio_pci_realize(&n->proxy, &n->vdev, devfn, vectors, 0x020000,
                            opts_get_bool(o, "page-per-vq", false), errp)) {
        error_prepend(errp, "-device virtio-net-pci: ");
        return false;
    }
    int32_t bootindex;
    bootindex_get(o, &bootindex, NULL);
    char *dev = pci_device_fw_path(&n->proxy.pci);
    char *path = g_strdup_printf("%s/ethernet-phy@0", dev);
    bool ok = boot_device_add(bootindex, path, n->name, errp);
    g_free(path);
    g_free(dev);
    return ok;
}

static const TypeInfo virtio_net_pci_info = {
    .kind = TYPE_KIND_DEVICE,
    .name = "virtio-net-pci",
    .help = "virtio 1.x network card on PCI",
    .opts = virtio_net_pci_desc,
    .check = virtio_net_pci_check,
    .create = virtio_net_pci_create,
};

static void virtio_net_register(void)
{
    type_register(&virtio_net_pci_info);
}
type_init(virtio_net_register)
