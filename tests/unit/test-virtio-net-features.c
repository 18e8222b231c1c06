/*
 * virtio-net-pci's feature decision (virtio_net_offered_features, the one
 * the device makes at creation): property masks, what the data path
 * carries, the spec's prerequisites; and what SET_FEATURES then carries.
 */
#include <glib.h>

#include "hw/net/virtio-net.h"
#include "hw/virtio/vhost.h"

#define B(bit) VIRTIO_NET_BIT(bit)

/* Every property on, as QEMU's defaults are, plus MAC. */
static const uint64_t all_on = B(VIRTIO_NET_F_CSUM) |
    B(VIRTIO_NET_F_GUEST_CSUM) | B(VIRTIO_NET_F_GSO) |
    B(VIRTIO_NET_F_GUEST_TSO4) | B(VIRTIO_NET_F_GUEST_TSO6) |
    B(VIRTIO_NET_F_GUEST_ECN) | B(VIRTIO_NET_F_GUEST_UFO) |
    B(VIRTIO_NET_F_HOST_TSO4) | B(VIRTIO_NET_F_HOST_TSO6) |
    B(VIRTIO_NET_F_HOST_ECN) | B(VIRTIO_NET_F_HOST_UFO) |
    B(VIRTIO_NET_F_MRG_RXBUF) | B(VIRTIO_NET_F_STATUS) |
    B(VIRTIO_NET_F_CTRL_VQ) | B(VIRTIO_NET_F_CTRL_RX) |
    B(VIRTIO_NET_F_CTRL_VLAN) | B(VIRTIO_NET_F_CTRL_RX_EXTRA) |
    B(VIRTIO_NET_F_CTRL_GUEST_OFFLOADS) | B(VIRTIO_NET_F_GUEST_ANNOUNCE) |
    B(VIRTIO_NET_F_CTRL_MAC_ADDR) | B(VIRTIO_RING_F_EVENT_IDX) |
    B(VIRTIO_RING_F_INDIRECT_DESC) | B(VIRTIO_F_ANY_LAYOUT) |
    B(VIRTIO_F_NOTIFY_ON_EMPTY) | B(VIRTIO_NET_F_MAC);

/* A DPDK-like vhost-user back-end: checksums and TSO, no UFO, no ECN. */
static const uint64_t dpdk_like = B(VIRTIO_F_VERSION_1) |
    B(VIRTIO_NET_F_CSUM) | B(VIRTIO_NET_F_GUEST_CSUM) |
    B(VIRTIO_NET_F_HOST_TSO4) | B(VIRTIO_NET_F_HOST_TSO6) |
    B(VIRTIO_NET_F_GUEST_TSO4) | B(VIRTIO_NET_F_GUEST_TSO6) |
    B(VIRTIO_NET_F_MRG_RXBUF) | B(VIRTIO_RING_F_EVENT_IDX) |
    B(VIRTIO_NET_F_CTRL_RX_EXTRA) | (1ULL << 30 /* PROTOCOL_FEATURES */);

static void test_frame_netdev(void)
{
    uint64_t f = virtio_net_offered_features(all_on,
                                             VIRTIO_NET_FRAME_FEATURES);

    /* vmu's own rings: every ring feature; the offloads it does in
     * software (sent checksums and TSO) and receive checksums */
    g_assert_cmphex(f & VIRTIO_NET_RING_FEATURES, ==, VIRTIO_NET_RING_FEATURES);
    g_assert_cmphex(f & VIRTIO_NET_OFFLOAD_FEATURES, ==,
                    B(VIRTIO_NET_F_CSUM) | B(VIRTIO_NET_F_HOST_TSO4) |
                    B(VIRTIO_NET_F_HOST_TSO6) | B(VIRTIO_NET_F_HOST_ECN) |
                    B(VIRTIO_NET_F_GUEST_CSUM) |
                    B(VIRTIO_NET_F_CTRL_GUEST_OFFLOADS));
    g_assert_true(f & B(VIRTIO_NET_F_MAC));
    g_assert_true(f & B(VIRTIO_NET_F_STATUS));
    g_assert_true(f & B(VIRTIO_NET_F_CTRL_RX));
    /* not implemented, never offered; legacy bits never on a modern device */
    g_assert_false(f & B(VIRTIO_NET_F_CTRL_RX_EXTRA));
    g_assert_false(f & B(VIRTIO_F_ANY_LAYOUT));
    g_assert_false(f & B(VIRTIO_F_NOTIFY_ON_EMPTY));
    /* TSO needs the checksum offload; offload control the control queue */
    f = virtio_net_offered_features(all_on & ~B(VIRTIO_NET_F_CSUM) &
                                    ~B(VIRTIO_NET_F_CTRL_VQ),
                                    VIRTIO_NET_FRAME_FEATURES);
    g_assert_false(f & B(VIRTIO_NET_F_HOST_TSO4));
    g_assert_false(f & B(VIRTIO_NET_F_HOST_TSO6));
    g_assert_false(f & B(VIRTIO_NET_F_HOST_ECN));
    g_assert_false(f & B(VIRTIO_NET_F_CTRL_GUEST_OFFLOADS));
    g_assert_true(f & B(VIRTIO_NET_F_GUEST_CSUM));
    /* rss=on: with mq only */
    f = virtio_net_offered_features(all_on | B(VIRTIO_NET_F_RSS),
                                    VIRTIO_NET_FRAME_FEATURES);
    g_assert_false(f & B(VIRTIO_NET_F_RSS));
    f = virtio_net_offered_features(all_on | B(VIRTIO_NET_F_RSS) |
                                    B(VIRTIO_NET_F_MQ),
                                    VIRTIO_NET_FRAME_FEATURES);
    g_assert_true(f & B(VIRTIO_NET_F_RSS));
}

static void test_vhost_backend(void)
{
    uint64_t f = virtio_net_offered_features(all_on, dpdk_like);

    /* what the back-end carries, nothing more */
    g_assert_true(f & B(VIRTIO_NET_F_CSUM));
    g_assert_true(f & B(VIRTIO_NET_F_GUEST_TSO4));
    g_assert_true(f & B(VIRTIO_NET_F_HOST_TSO6));
    g_assert_false(f & B(VIRTIO_NET_F_HOST_UFO));
    g_assert_false(f & B(VIRTIO_NET_F_GUEST_ECN));
    g_assert_false(f & B(VIRTIO_RING_F_INDIRECT_DESC));
    g_assert_false(f & (1ULL << 30));
    /* the back-end cannot switch on what the NIC does not implement */
    g_assert_false(f & B(VIRTIO_NET_F_CTRL_RX_EXTRA));

    /* SET_FEATURES carries the acked data-path bits, no emulated ones */
    uint64_t acked = f | B(VIRTIO_F_VERSION_1);
    uint64_t sent = virtio_net_vhost_features(acked, dpdk_like);
    g_assert_cmphex(sent & B(VIRTIO_NET_F_MAC), ==, 0);
    g_assert_cmphex(sent & B(VIRTIO_NET_F_CTRL_VQ), ==, 0);
    g_assert_true(sent & B(VIRTIO_NET_F_CSUM));
    g_assert_true(sent & B(VIRTIO_F_VERSION_1));
}

static void test_property_masks(void)
{
    /* a property off removes its bit, carried or not */
    uint64_t f = virtio_net_offered_features(
        all_on & ~B(VIRTIO_NET_F_MRG_RXBUF) & ~B(VIRTIO_NET_F_GUEST_TSO6),
        dpdk_like);
    g_assert_false(f & B(VIRTIO_NET_F_MRG_RXBUF));
    g_assert_false(f & B(VIRTIO_NET_F_GUEST_TSO6));
    g_assert_true(f & B(VIRTIO_NET_F_GUEST_TSO4));

    /* prerequisites: no TSO without the checksum it needs */
    f = virtio_net_offered_features(all_on & ~B(VIRTIO_NET_F_CSUM), dpdk_like);
    g_assert_false(f & B(VIRTIO_NET_F_HOST_TSO4));
    g_assert_false(f & B(VIRTIO_NET_F_HOST_TSO6));
    g_assert_true(f & B(VIRTIO_NET_F_GUEST_TSO4));
    f = virtio_net_offered_features(all_on & ~B(VIRTIO_NET_F_GUEST_CSUM),
                                    dpdk_like);
    g_assert_false(f & B(VIRTIO_NET_F_GUEST_TSO4));
    g_assert_true(f & B(VIRTIO_NET_F_HOST_TSO4));

    /* ... and no ECN without TSO */
    uint64_t ecn = dpdk_like | B(VIRTIO_NET_F_HOST_ECN);
    f = virtio_net_offered_features(all_on, ecn);
    g_assert_true(f & B(VIRTIO_NET_F_HOST_ECN));
    f = virtio_net_offered_features(all_on & ~B(VIRTIO_NET_F_HOST_TSO4) &
                                    ~B(VIRTIO_NET_F_HOST_TSO6), ecn);
    g_assert_false(f & B(VIRTIO_NET_F_HOST_ECN));

    /* the control queue's features need the control queue */
    f = virtio_net_offered_features((all_on & ~B(VIRTIO_NET_F_CTRL_VQ)) |
                                    B(VIRTIO_NET_F_MQ), dpdk_like);
    g_assert_false(f & B(VIRTIO_NET_F_CTRL_VQ));
    g_assert_false(f & B(VIRTIO_NET_F_CTRL_RX));
    g_assert_false(f & B(VIRTIO_NET_F_CTRL_VLAN));
    g_assert_false(f & B(VIRTIO_NET_F_MQ));
    g_assert_false(f & B(VIRTIO_NET_F_GUEST_ANNOUNCE));
    g_assert_false(f & B(VIRTIO_NET_F_CTRL_MAC_ADDR));
    g_assert_true(f & B(VIRTIO_NET_F_STATUS));

    /* MQ, MTU and SPEED_DUPLEX when requested */
    f = virtio_net_offered_features(all_on | B(VIRTIO_NET_F_MQ) |
                                    B(VIRTIO_NET_F_MTU) |
                                    B(VIRTIO_NET_F_SPEED_DUPLEX), dpdk_like);
    g_assert_true(f & B(VIRTIO_NET_F_MQ));
    g_assert_true(f & B(VIRTIO_NET_F_MTU));
    g_assert_true(f & B(VIRTIO_NET_F_SPEED_DUPLEX));
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    g_test_add_func("/virtio-net/features/frame-netdev", test_frame_netdev);
    g_test_add_func("/virtio-net/features/vhost-backend", test_vhost_backend);
    g_test_add_func("/virtio-net/features/property-masks",
                    test_property_masks);
    return g_test_run();
}
