/*
 * Netdevs and their peers.  A netdev (-netdev) and a NIC (-device) are
 * both NetClientStates, connected one to one.  A netdev either takes
 * frames (receive; it hands frames to the NIC with net_deliver) or takes
 * the NIC's rings (vhost_start/vhost_stop), as a vhost-user back-end does.
 */
#ifndef VMU_NET_NET_H
#define VMU_NET_NET_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "util/error.h"

typedef struct NetClientState NetClientState;

/*
 * The NIC's rings as a vhost back-end takes them: the one description,
 * hw/virtio/vhost.h's VhostRing (rx0 0, tx0 1, rx1 2 ...), the NIC's own
 * array; the back-end's vhost device works on it in place, so the ring
 * indices it returns at a stop are there for the NIC.
 */
typedef struct VhostRing VhostRing;

typedef enum NetPeerEvent {
    NET_PEER_READY,             /* back-end (re)connected: rings may start */
    NET_PEER_GONE,              /* back-end lost: rings stopped, link down */
    NET_PEER_STOPPED,           /* a stop completed: the back-end let go */
    NET_PEER_CONFIG,            /* the back-end's device config changed */
} NetPeerEvent;

typedef struct NetClientOps {
    const char *type;           /* "socket", "vhost-user", "virtio-net" */

    /* Frame path.  A frame for this client; false: cannot take it now
     * (the sender keeps it and waits for net_resume). */
    bool (*receive)(NetClientState *nc, const uint8_t *buf, size_t len);
    /* The peer can take frames again. */
    void (*resume)(NetClientState *nc);

    /* Ring path (netdevs only; NULL for frame netdevs).  Device features
     * the back-end carries itself (the rest are emulated by the NIC). */
    uint64_t (*vhost_features)(NetClientState *nc);
    /* DRIVER_OK: take these rings; features are what the back-end is to
     * implement (the NIC's choice of the guest's), mtu the NIC's (0: none
     * or not taken by the driver), for a back-end told it (NET_SET_MTU). */
    bool (*vhost_start)(NetClientState *nc, uint64_t features,
                        VhostRing *rings, unsigned n, unsigned mtu,
                        Error **errp);
    /* Reset/stop: give the rings back, filling in last_avail_idx.  False:
     * the back-end lets go later (NET_PEER_STOPPED, or NET_PEER_GONE). */
    bool (*vhost_stop)(NetClientState *nc, VhostRing *rings, unsigned n);
    /* MQ: the guest changed the number of active queue pairs. */
    void (*vhost_set_queue_pairs)(NetClientState *nc, unsigned pairs);

    /* Frame netdevs whose frames, both ways, start with the 12-byte
     * virtio-net header (a tap with IFF_VNET_HDR): the NIC passes the
     * guest's header out and the netdev's in, instead of doing offloads
     * itself.  NULL or false: plain frames. */
    bool (*vnet_hdr)(NetClientState *nc);
    /* With vnet_hdr: the receive offloads the guest takes now
     * (VIRTIO_NET_F_GUEST_* feature bits). */
    void (*set_offload)(NetClientState *nc, uint64_t guest_offloads);

    /* NIC side: the netdev came or went; the link changed. */
    void (*peer_event)(NetClientState *nc, NetPeerEvent ev);
    void (*link_changed)(NetClientState *nc);

    void (*cleanup)(NetClientState *nc);
} NetClientOps;

struct NetClientState {
    const NetClientOps *ops;
    char *name;                 /* netdev id or device id */
    char *label;                /* "netdev net0", for errors */
    NetClientState *peer;
    unsigned queue_pairs;       /* what a netdev can serve (1 for frames) */
    bool link_down;
    void *opaque;
};

/* A new netdev, registered under id. */
NetClientState *net_client_new(const NetClientOps *ops, const char *type,
                               const char *id, unsigned queue_pairs,
                               void *opaque);
NetClientState *net_find(const char *id);
/* Every netdev, in the order created (the monitor's info network). */
void net_foreach(void (*fn)(NetClientState *nc, void *opaque), void *opaque);
/* Connect a NIC to its netdev; a netdev has one NIC. */
bool net_attach(NetClientState *netdev, NetClientState *nic, Error **errp);

/* netdev -> NIC: a frame from the outside.  False: the NIC is full. */
bool net_deliver(NetClientState *netdev, const void *buf, size_t len);
/* NIC -> netdev: a frame from the guest.  False: the netdev is full. */
bool net_send(NetClientState *nic, const void *buf, size_t len);
/* The sender told false may try again. */
void net_resume(NetClientState *nc);
/* netdev side: tell the NIC the back-end came or went. */
void net_peer_event(NetClientState *netdev, NetPeerEvent ev);
/* Link state as the user or back-end sets it; the NIC hears of it. */
void net_set_link(NetClientState *nc, bool up);
bool net_peer_can_vhost(NetClientState *nic);
/* The netdev's frames carry the virtio-net header (see vnet_hdr). */
bool net_has_vnet_hdr(NetClientState *netdev);
/* NIC -> netdev: the receive offloads the guest takes now. */
void net_peer_set_offload(NetClientState *nic, uint64_t guest_offloads);

#endif
