/*
 * virtio-net's offloads done in software, for a netdev that takes plain
 * frames (socket, user): the checksum a driver left partial, TCP
 * segmentation of a TSO frame; and the flow hash that spreads received
 * frames over the queue pairs.
 */
#ifndef VMU_HW_NET_VIRTIO_NET_OFFLOAD_H
#define VMU_HW_NET_VIRTIO_NET_OFFLOAD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "util/error.h"

#define VIRTIO_NET_HDR_F_NEEDS_CSUM     1
#define VIRTIO_NET_HDR_F_DATA_VALID     2
#define VIRTIO_NET_HDR_GSO_NONE         0
#define VIRTIO_NET_HDR_GSO_TCPV4        1
#define VIRTIO_NET_HDR_GSO_UDP          3
#define VIRTIO_NET_HDR_GSO_TCPV6        4
#define VIRTIO_NET_HDR_GSO_ECN          0x80

/* The header's fields (virtio 1.2, 5.1.6), host byte order. */
typedef struct VirtioNetHdr {
    uint8_t flags;
    uint8_t gso_type;
    uint16_t hdr_len;
    uint16_t gso_size;
    uint16_t csum_start;
    uint16_t csum_offset;
} VirtioNetHdr;

void virtio_net_hdr_parse(VirtioNetHdr *h, const uint8_t *raw);

/* Where a finished frame goes; false: the netdev cannot take more now. */
typedef bool VirtioNetFrameOut(void *opaque, const uint8_t *frame,
                               size_t len);

/*
 * Carry out what header @h asks of @frame (modified in place): fill the
 * partial checksum (NEEDS_CSUM), or cut a TCPv4/TCPv6 GSO frame into
 * gso_size segments, each with its IP and TCP headers and checksums, and
 * hand each result to @out (with ECN, CWR stays on the first segment
 * only).  @tso4/@tso6/@ecn: what the driver negotiated (HOST_TSO4/6,
 * HOST_ECN).  false with @errp: a header the frame does not match.
 */
bool virtio_net_tx_offload(const VirtioNetHdr *h, uint8_t *frame, size_t len,
                           bool tso4, bool tso6, bool ecn,
                           VirtioNetFrameOut *out, void *opaque,
                           Error **errp);

/* Fill the partial checksum @h names (NEEDS_CSUM) in @frame. */
bool virtio_net_fill_csum(const VirtioNetHdr *h, uint8_t *frame, size_t len,
                          Error **errp);

/* A GSO type that these negotiated offloads allow (TCPv4, TCPv6, ECN). */
bool virtio_net_gso_ok(uint8_t gso_type, bool tso4, bool tso6, bool ecn);

/* RSS (virtio 1.2, 5.1.6.5.7): the hash types vmu supports. */
#define VIRTIO_NET_RSS_HASH_TYPE_IPV4   (1u << 0)
#define VIRTIO_NET_RSS_HASH_TYPE_TCPV4  (1u << 1)
#define VIRTIO_NET_RSS_HASH_TYPE_UDPV4  (1u << 2)
#define VIRTIO_NET_RSS_HASH_TYPE_IPV6   (1u << 3)
#define VIRTIO_NET_RSS_HASH_TYPE_TCPV6  (1u << 4)
#define VIRTIO_NET_RSS_HASH_TYPE_UDPV6  (1u << 5)
#define VIRTIO_NET_RSS_HASH_TYPES       0x3f
#define VIRTIO_NET_RSS_KEY_LEN          40

/* Microsoft's RSS key, which vmu uses until a driver sets its own. */
extern const uint8_t virtio_net_rss_default_key[VIRTIO_NET_RSS_KEY_LEN];

/*
 * The Toeplitz hash (Microsoft RSS) of a frame with a 40-byte @key: the
 * IPv4/IPv6 source and destination addresses and, for TCP or UDP when
 * @types has that type, the ports; the addresses alone when @types has the
 * IP type.  *classified false (and 0) when no type in @types applies.
 */
uint32_t virtio_net_rss_hash(const uint8_t *frame, size_t len,
                             const uint8_t *key, uint32_t types,
                             bool *classified);

/* The same with the default key and every type: one direction of a flow
 * always hashes the same. */
uint32_t virtio_net_flow_hash(const uint8_t *frame, size_t len);

#endif
