/*
 * virtio-net-pci: the NIC.  Frames go through vmu (socket, user, tap
 * netdevs) or the rings go to a vhost back-end (vhost-user).
 */
#ifndef VMU_HW_NET_VIRTIO_NET_H
#define VMU_HW_NET_VIRTIO_NET_H

#include "hw/virtio/virtio-pci.h"
#include "net/net.h"

#define VIRTIO_ID_NET                   1
#define VIRTIO_NET_F_MTU                3
#define VIRTIO_NET_F_MAC                5
#define VIRTIO_NET_F_MRG_RXBUF          15
#define VIRTIO_NET_F_STATUS             16
#define VIRTIO_NET_F_CTRL_VQ            17
#define VIRTIO_NET_F_CTRL_RX            18
#define VIRTIO_NET_F_CTRL_VLAN          19
#define VIRTIO_NET_F_GUEST_ANNOUNCE     21
#define VIRTIO_NET_F_MQ                 22
#define VIRTIO_NET_F_CTRL_MAC_ADDR      23

#define VIRTIO_NET_S_LINK_UP            1
#define VIRTIO_NET_S_ANNOUNCE           2

#define VIRTIO_NET_HDR_LEN              12
#define VIRTIO_NET_MAX_PAIRS            8

/* Ring features a back-end may carry; vmu's own rings have them all. */
#define VIRTIO_NET_RING_FEATURES                                          \
    ((1ULL << VIRTIO_NET_F_MRG_RXBUF) | (1ULL << VIRTIO_RING_F_EVENT_IDX) | \
     (1ULL << VIRTIO_RING_F_INDIRECT_DESC))

typedef struct VirtIONet VirtIONet;

/*
 * The features virtio-net-pci offers the guest (VERSION_1 is added by the
 * transport): its emulated control plane, MQ and MTU when configured, and
 * the ring features in @backend (what the vhost back-end carries).
 */
uint64_t virtio_net_offered_features(bool mq, bool mtu, uint64_t backend);

/* Link up or down, with a config interrupt when the driver is up. */
void virtio_net_set_link(VirtIONet *n, bool up);

#endif
