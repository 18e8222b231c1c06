/*
 * virtio-net's feature policy towards a vhost back-end: which of the
 * guest's features the back-end implements (it moves the packets), and
 * which the NIC emulates itself and never sends.
 */
#include <linux/virtio_config.h>
#include <linux/virtio_net.h>
#include <linux/virtio_ring.h>

#include "hw/net/virtio-net.h"

#define BIT(n) (1ULL << (n))

uint64_t virtio_net_vhost_carried_features(void)
{
    return BIT(VIRTIO_NET_F_CSUM) | BIT(VIRTIO_NET_F_GUEST_CSUM) |
           BIT(VIRTIO_NET_F_CTRL_GUEST_OFFLOADS) |
           BIT(VIRTIO_NET_F_GUEST_TSO4) | BIT(VIRTIO_NET_F_GUEST_TSO6) |
           BIT(VIRTIO_NET_F_GUEST_ECN) | BIT(VIRTIO_NET_F_GUEST_UFO) |
           BIT(VIRTIO_NET_F_HOST_TSO4) | BIT(VIRTIO_NET_F_HOST_TSO6) |
           BIT(VIRTIO_NET_F_HOST_ECN) | BIT(VIRTIO_NET_F_HOST_UFO) |
           BIT(VIRTIO_NET_F_MRG_RXBUF) | BIT(VIRTIO_NET_F_MQ) |
           BIT(VIRTIO_F_NOTIFY_ON_EMPTY) | BIT(VIRTIO_F_ANY_LAYOUT) |
           BIT(VIRTIO_RING_F_INDIRECT_DESC) | BIT(VIRTIO_RING_F_EVENT_IDX) |
           BIT(VIRTIO_F_VERSION_1) | BIT(VIRTIO_F_RING_PACKED) |
           BIT(VIRTIO_F_IN_ORDER);
}

uint64_t virtio_net_vhost_features(uint64_t acked, uint64_t backend)
{
    return acked & backend & virtio_net_vhost_carried_features();
}
