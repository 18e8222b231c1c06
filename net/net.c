/*
 * The netdev registry and the plumbing between a netdev and its NIC.
 */
#include <glib.h>
#include <string.h>

#include "net/net.h"
#include "util/trace.h"

static GPtrArray *netdevs;

NetClientState *net_client_new(const NetClientOps *ops, const char *type,
                               const char *id, unsigned queue_pairs,
                               void *opaque)
{
    NetClientState *nc = g_new0(NetClientState, 1);
    nc->ops = ops;
    nc->name = g_strdup(id);
    nc->label = g_strdup_printf("netdev %s", id);
    nc->queue_pairs = queue_pairs ? queue_pairs : 1;
    nc->opaque = opaque;
    if (!netdevs) {
        netdevs = g_ptr_array_new();
    }
    g_ptr_array_add(netdevs, nc);
    trace(net_client_new, "%s type %s pairs %u", id, type, nc->queue_pairs);
    return nc;
}

NetClientState *net_find(const char *id)
{
    for (unsigned i = 0; netdevs && i < netdevs->len; i++) {
        NetClientState *nc = g_ptr_array_index(netdevs, i);
        if (!strcmp(nc->name, id)) {
            return nc;
        }
    }
    return NULL;
}

void net_foreach(void (*fn)(NetClientState *nc, void *opaque), void *opaque)
{
    for (unsigned i = 0; netdevs && i < netdevs->len; i++) {
        fn(g_ptr_array_index(netdevs, i), opaque);
    }
}

bool net_attach(NetClientState *netdev, NetClientState *nic, Error **errp)
{
    if (netdev->peer) {
        error_setg(errp, "%s is already used by %s; give each device its "
                   "own -netdev", netdev->label, netdev->peer->label);
        return false;
    }
    netdev->peer = nic;
    nic->peer = netdev;
    return true;
}

bool net_deliver(NetClientState *netdev, const void *buf, size_t len)
{
    NetClientState *nic = netdev->peer;
    if (!nic || !nic->ops->receive) {
        return true;            /* nobody listens: dropped */
    }
    return nic->ops->receive(nic, buf, len);
}

bool net_send(NetClientState *nic, const void *buf, size_t len)
{
    NetClientState *nd = nic->peer;
    if (!nd || !nd->ops->receive || nd->link_down) {
        return true;
    }
    return nd->ops->receive(nd, buf, len);
}

void net_resume(NetClientState *nc)
{
    if (nc->peer && nc->peer->ops->resume) {
        nc->peer->ops->resume(nc->peer);
    }
}

void net_peer_event(NetClientState *netdev, NetPeerEvent ev)
{
    trace(net_peer_event, "%s %s", netdev->name,
          ev == NET_PEER_READY ? "ready" :
          ev == NET_PEER_GONE ? "gone" :
          ev == NET_PEER_STOPPED ? "stopped" : "config");
    if (netdev->peer && netdev->peer->ops->peer_event) {
        netdev->peer->ops->peer_event(netdev->peer, ev);
    }
}

void net_set_link(NetClientState *nc, bool up)
{
    nc->link_down = !up;
    if (nc->ops->link_changed) {
        nc->ops->link_changed(nc);
    }
    if (nc->peer && nc->peer->ops->link_changed) {
        nc->peer->ops->link_changed(nc->peer);
    }
}

bool net_peer_can_vhost(NetClientState *nic)
{
    return nic->peer && nic->peer->ops->vhost_start;
}

bool net_has_vnet_hdr(NetClientState *netdev)
{
    return netdev->ops->vnet_hdr && netdev->ops->vnet_hdr(netdev);
}

void net_peer_set_offload(NetClientState *nic, uint64_t guest_offloads)
{
    NetClientState *nd = nic->peer;
    if (nd && nd->ops->set_offload) {
        nd->ops->set_offload(nd, guest_offloads);
    }
}
