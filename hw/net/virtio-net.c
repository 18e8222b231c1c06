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
#include "hw/virtio/vhost.h"
#include "system/options.h"
#include "system/registry.h"
#include "util/trace.h"

#define MAC_TABLE_ENTRIES   64
#define CTRL_MAX_LEN        (8 + 2 * (4 + 6 * 256))

enum { CTRL_RX = 0, CTRL_MAC = 1, CTRL_VLAN = 2, CTRL_ANNOUNCE = 3,
       CTRL_MQ = 4 };

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
}

static bool validate_features(VirtIODevice *vdev, uint64_t f)
{
    /* The control queue features need the control queue. */
    uint64_t need_ctrl = 1ULL << VIRTIO_NET_F_CTRL_RX |
                         1ULL << VIRTIO_NET_F_CTRL_VLAN |
                         1ULL << VIRTIO_NET_F_GUEST_ANNOUNCE |
                         1ULL << VIRTIO_NET_F_MQ |
                         1ULL << VIRTIO_NET_F_CTRL_MAC_ADDR;
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

static void set_status(VirtIODevice *vdev, uint8_t old, uint8_t status)
{
    VirtIONet *n = (VirtIONet *)vdev;
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

static bool nic_receive(NetClientState *nc, const uint8_t *buf, size_t len)
{
    VirtIONet *n = nc->opaque;
    VirtQueue *vq = virtio_get_queue(&n->vdev, 0);
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
    uint8_t hdr[VIRTIO_NET_HDR_LEN] = { 0 };
    pci_set_word(hdr + 10, count);
    iov_from_buf(elems[0]->in_sg, elems[0]->in_num, 0, hdr, sizeof(hdr));
    for (unsigned i = 0; i < count; i++) {
        virtqueue_fill(vq, elems[i], lens[i], i);
        virtqueue_element_free(elems[i]);
    }
    virtqueue_flush(vq, count);
    trace(virtio_net_receive, "%s len %zu buffers %u", n->name, len, count);
    virtio_notify(&n->vdev, vq);
    return true;
}

static void rx_kick(VirtIODevice *vdev, VirtQueue *vq)
{
    VirtIONet *n = (VirtIONet *)vdev;
    net_resume(&n->nic);
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
            uint8_t *buf = g_malloc(flen);
            /* An unplugged cable: the frame goes nowhere, counted. */
            n->tx_dropped += !n->nic.peer || n->nic.peer->link_down;
            iov_to_buf(e->out_sg, e->out_num, VIRTIO_NET_HDR_LEN, buf, flen);
            trace(virtio_net_transmit, "%s len %zu", n->name, flen);
            net_send(&n->nic, buf, flen);
            g_free(buf);
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

static uint8_t ctrl_mac_table(VirtIONet *n, const uint8_t *d, size_t len)
{
    uint32_t uni, multi;
    if (len < 4) {
        return 1;
    }
    memcpy(&uni, d, 4);
    if ((uint64_t)uni * 6 + 8 > len) {
        return 1;
    }
    memcpy(&multi, d + 4 + 6 * uni, 4);
    if (4 + 6ULL * uni + 4 + 6ULL * multi != len) {
        return 1;
    }
    n->uni_count = n->multi_count = 0;
    n->uni_overflow = uni > MAC_TABLE_ENTRIES;
    n->multi_overflow = multi > MAC_TABLE_ENTRIES ||
                        uni + multi > MAC_TABLE_ENTRIES;
    if (!n->uni_overflow) {
        memcpy(n->macs, d + 4, 6 * uni);
        n->uni_count = uni;
    }
    if (!n->multi_overflow) {
        memcpy(n->macs[n->uni_count], d + 8 + 6 * uni, 6 * multi);
        n->multi_count = multi;
    }
    return 0;
}

static uint8_t ctrl_command(VirtIONet *n, uint8_t cls, uint8_t cmd,
                            const uint8_t *d, size_t len)
{
    VirtIODevice *vdev = &n->vdev;
    trace(virtio_net_ctrl, "%s class %u cmd %u len %zu", n->name, cls, cmd,
          len);
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
        if (cmd == 0 && virtio_has_feature(vdev, VIRTIO_NET_F_CTRL_RX)) {
            return ctrl_mac_table(n, d, len);
        }
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
        if (!virtio_has_feature(vdev, VIRTIO_NET_F_MQ) || cmd != 0 ||
            len != 2) {
            return 1;
        }
        memcpy(&pairs, d, 2);
        if (pairs < 1 || pairs > n->max_pairs) {
            return 1;
        }
        n->curr_pairs = pairs;
        if (n->vhost_started && n->nic.peer->ops->vhost_set_queue_pairs) {
            n->nic.peer->ops->vhost_set_queue_pairs(n->nic.peer, pairs);
        }
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
        uint8_t *buf = g_malloc(MIN(e->out_len, CTRL_MAX_LEN));
        size_t len = iov_to_buf(e->out_sg, e->out_num, 0, buf,
                                MIN(e->out_len, CTRL_MAX_LEN));
        uint8_t ack = e->out_len > CTRL_MAX_LEN ? 1 :
                      ctrl_command(n, buf[0], buf[1], buf + 2, len - 2);
        g_free(buf);
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
      "offload control (vmu never offers it)")                        \
    X("guest_announce", VIRTIO_NET_F_GUEST_ANNOUNCE, true,                 \
      "the guest announces itself after migration")                        \
    X("ctrl_mac_addr", VIRTIO_NET_F_CTRL_MAC_ADDR, true,                   \
      "MAC address set over the control queue")                            \
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

static bool parse_addr(const char *s, int *devfn)
{
    char *end;
    unsigned long slot = strtoul(s, &end, 16), fn = 0;
    if (end == s) {
        return false;
    }
    if (*end == '.') {
        const char *f = end + 1;
        fn = strtoul(f, &end, 16);
        if (end == f) {
            return false;
        }
    }
    if (*end || slot > 31 || fn > 7) {
        return false;
    }
    *devfn = PCI_DEVFN(slot, fn);
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
    int devfn;

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
    if (opts_get_number(o, "vectors", 0) > 128) {
        opts_error(o, errp, "vectors=%" PRIu64 ": allowed values are 0 "
                   "(INTx only) to 128", opts_get_number(o, "vectors", 0));
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
    const char *dl = opts_get(o, "disable-legacy");
    if (dl) {
        bool on;
        if (!strcmp(dl, "auto")) {
            on = true;
        } else if (!parse_bool(dl, &on)) {
            opts_error(o, errp, "disable-legacy=%s: allowed values are on, "
                       "off and auto", dl);
            return false;
        }
        if (!on) {
            opts_error(o, errp, "disable-legacy=off: the legacy virtio "
                       "interface is not supported; use disable-legacy=on");
            return false;
        }
    }
    if (opts_get_bool(o, "disable-modern", false)) {
        opts_error(o, errp, "disable-modern=on: vmu's virtio-net-pci is "
                   "modern only; use disable-modern=off");
        return false;
    }
    const char *addr = opts_get(o, "addr");
    if (addr && (!parse_addr(addr, &devfn) || PCI_SLOT(devfn) < 2)) {
        opts_error(o, errp, "addr=%s: allowed values are PCI slots 0x2 to "
                   "0x1f, with an optional .function 0-7 (e.g. 0x3 or "
                   "03.0)", addr);
        return false;
    }
    const char *bus = opts_get(o, "bus");
    if (bus && strcmp(bus, "pci.0")) {
        opts_error(o, errp, "bus=%s: the only bus is pci.0", bus);
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
                  "its data path does not carry this offload (only a vhost "
                  "back-end that offers it does)" :
                  "its back-end did not offer it when the device was "
                  "created";
        } else {
            why = "a feature it needs is off (e.g. csum for host_*, "
                  "guest_csum for guest_*, ctrl_vq for ctrl_*)";
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
    if (opts_has(o, "addr")) {
        parse_addr(opts_get(o, "addr"), &devfn);
    }
    bool mq = opts_get_bool(o, "mq", false);
    n->max_pairs = mq ? MIN(peer->queue_pairs, VIRTIO_NET_MAX_PAIRS) : 1;
    n->mtu = opts_get_number(o, "mtu", opts_get_number(o, "host_mtu", 0));
    unsigned nq = 2 * n->max_pairs + 1;
    unsigned vectors = opts_get_number(o, "vectors", 2 * n->max_pairs + 2);

    /* the config space up to duplex (SPEED_DUPLEX is always offered) */
    if (!virtio_init(&n->vdev, n->name, VIRTIO_ID_NET, 17, nq,
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
                       VIRTIO_NET_RING_FEATURES;
    n->vdev.host_features = virtio_net_offered_features(requested, carried);
    warn_unmet(n, netdev, asked, n->vdev.host_features, carried);
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
    return true;
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
