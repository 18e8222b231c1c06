/*
 * virtio-net-pci: the NIC.  Frames go through vmu (socket, user, tap
 * netdevs) or the rings go to a vhost back-end (vhost-user).
 */
#ifndef VMU_HW_NET_VIRTIO_NET_H
#define VMU_HW_NET_VIRTIO_NET_H

#include "hw/virtio/virtio-pci.h"
#include "net/net.h"

#define VIRTIO_ID_NET                   1
#define VIRTIO_NET_F_CSUM               0
#define VIRTIO_NET_F_GUEST_CSUM         1
#define VIRTIO_NET_F_CTRL_GUEST_OFFLOADS 2
#define VIRTIO_NET_F_MTU                3
#define VIRTIO_NET_F_MAC                5
#define VIRTIO_NET_F_GSO                6
#define VIRTIO_NET_F_GUEST_TSO4         7
#define VIRTIO_NET_F_GUEST_TSO6         8
#define VIRTIO_NET_F_GUEST_ECN          9
#define VIRTIO_NET_F_GUEST_UFO          10
#define VIRTIO_NET_F_HOST_TSO4          11
#define VIRTIO_NET_F_HOST_TSO6          12
#define VIRTIO_NET_F_HOST_ECN           13
#define VIRTIO_NET_F_HOST_UFO           14
#define VIRTIO_NET_F_MRG_RXBUF          15
#define VIRTIO_NET_F_STATUS             16
#define VIRTIO_NET_F_CTRL_VQ            17
#define VIRTIO_NET_F_CTRL_RX            18
#define VIRTIO_NET_F_CTRL_VLAN          19
#define VIRTIO_NET_F_CTRL_RX_EXTRA      20
#define VIRTIO_NET_F_GUEST_ANNOUNCE     21
#define VIRTIO_NET_F_MQ                 22
#define VIRTIO_NET_F_CTRL_MAC_ADDR      23
#define VIRTIO_NET_F_RSS                60
#define VIRTIO_NET_F_SPEED_DUPLEX       63

#define VIRTIO_NET_S_LINK_UP            1
#define VIRTIO_NET_S_ANNOUNCE           2

#define VIRTIO_NET_HDR_LEN              12
#define VIRTIO_NET_MAX_PAIRS            8

#define VIRTIO_NET_BIT(b)               (1ULL << (b))

/* What the device emulates itself, whatever serves its rings. */
#define VIRTIO_NET_EMULATED_FEATURES                                        \
    (VIRTIO_NET_BIT(VIRTIO_NET_F_MTU) | VIRTIO_NET_BIT(VIRTIO_NET_F_MAC) |  \
     VIRTIO_NET_BIT(VIRTIO_NET_F_STATUS) |                                 \
     VIRTIO_NET_BIT(VIRTIO_NET_F_CTRL_VQ) |                                \
     VIRTIO_NET_BIT(VIRTIO_NET_F_CTRL_RX) |                                \
     VIRTIO_NET_BIT(VIRTIO_NET_F_CTRL_VLAN) |                              \
     VIRTIO_NET_BIT(VIRTIO_NET_F_GUEST_ANNOUNCE) |                         \
     VIRTIO_NET_BIT(VIRTIO_NET_F_MQ) |                                     \
     VIRTIO_NET_BIT(VIRTIO_NET_F_CTRL_MAC_ADDR) |                          \
     VIRTIO_NET_BIT(VIRTIO_NET_F_SPEED_DUPLEX))

/* Ring features a back-end may carry; vmu's own rings have them all. */
#define VIRTIO_NET_RING_FEATURES                                          \
    ((1ULL << VIRTIO_NET_F_MRG_RXBUF) | (1ULL << VIRTIO_RING_F_EVENT_IDX) | \
     (1ULL << VIRTIO_RING_F_INDIRECT_DESC))

/* Offloads (and the receive steering and offload control that go with
 * them): only a data path that handles the virtio-net header's checksum
 * and segmentation fields (a vhost back-end, or vmu's own frame path for
 * those in VIRTIO_NET_FRAME_FEATURES) carries them. */
#define VIRTIO_NET_OFFLOAD_FEATURES                                         \
    (VIRTIO_NET_BIT(VIRTIO_NET_F_CSUM) |                                   \
     VIRTIO_NET_BIT(VIRTIO_NET_F_CTRL_GUEST_OFFLOADS) |                    \
     VIRTIO_NET_BIT(VIRTIO_NET_F_GUEST_CSUM) |                             \
     VIRTIO_NET_BIT(VIRTIO_NET_F_GSO) |                                    \
     VIRTIO_NET_BIT(VIRTIO_NET_F_GUEST_TSO4) |                             \
     VIRTIO_NET_BIT(VIRTIO_NET_F_GUEST_TSO6) |                             \
     VIRTIO_NET_BIT(VIRTIO_NET_F_GUEST_ECN) |                              \
     VIRTIO_NET_BIT(VIRTIO_NET_F_GUEST_UFO) |                              \
     VIRTIO_NET_BIT(VIRTIO_NET_F_HOST_TSO4) |                              \
     VIRTIO_NET_BIT(VIRTIO_NET_F_HOST_TSO6) |                              \
     VIRTIO_NET_BIT(VIRTIO_NET_F_HOST_ECN) |                               \
     VIRTIO_NET_BIT(VIRTIO_NET_F_HOST_UFO) |                               \
     VIRTIO_NET_BIT(VIRTIO_NET_F_RSS))

/*
 * What vmu's own rings carry for a netdev that takes plain frames (socket,
 * user, tap): the ring features; checksums and TCP segmentation of what the
 * guest sends, done in software (hw/net/virtio-net-offload.c); GUEST_CSUM
 * (frames reach the guest with complete checksums, which a driver that
 * negotiated it accepts) and the control of it; RSS over the rx queues.
 */
#define VIRTIO_NET_FRAME_FEATURES                                           \
    (VIRTIO_NET_RING_FEATURES | VIRTIO_NET_BIT(VIRTIO_NET_F_CSUM) |         \
     VIRTIO_NET_BIT(VIRTIO_NET_F_HOST_TSO4) |                              \
     VIRTIO_NET_BIT(VIRTIO_NET_F_HOST_TSO6) |                              \
     VIRTIO_NET_BIT(VIRTIO_NET_F_HOST_ECN) |                               \
     VIRTIO_NET_BIT(VIRTIO_NET_F_GUEST_CSUM) |                             \
     VIRTIO_NET_BIT(VIRTIO_NET_F_CTRL_GUEST_OFFLOADS) |                    \
     VIRTIO_NET_BIT(VIRTIO_NET_F_RSS))

/* ... and what it adds for a netdev whose frames carry the virtio-net
 * header (a tap with vnet_hdr): the kernel takes the guest's TSO frames
 * and hands over its own. */
#define VIRTIO_NET_VNET_HDR_FEATURES                                        \
    (VIRTIO_NET_FRAME_FEATURES | VIRTIO_NET_BIT(VIRTIO_NET_F_GUEST_TSO4) |  \
     VIRTIO_NET_BIT(VIRTIO_NET_F_GUEST_TSO6) |                             \
     VIRTIO_NET_BIT(VIRTIO_NET_F_GUEST_ECN))

typedef struct VirtIONet VirtIONet;

/*
 * The features virtio-net-pci offers the guest (VERSION_1 is added by the
 * transport): of those its properties @requested, the ones it emulates and
 * the ring and offload features its data path @carried (what a vhost
 * back-end offers; VIRTIO_NET_FRAME_FEATURES for vmu's own rings), less any
 * whose prerequisite is then missing (virtio 1.2, 5.1.3.1).
 */
uint64_t virtio_net_offered_features(uint64_t requested, uint64_t carried);

/*
 * Towards a vhost back-end (hw/net/virtio-net-vhost.c): the features the
 * back-end must implement ("carried"; the NIC emulates the control-plane
 * ones itself), and what SET_FEATURES carries for guest-acked features.
 */
uint64_t virtio_net_vhost_carried_features(void);
uint64_t virtio_net_vhost_features(uint64_t acked, uint64_t backend);

/* Link up or down, with a config interrupt when the driver is up. */
void virtio_net_set_link(VirtIONet *n, bool up);

#endif
