/*
 * vmu-vhost-client's connection: the UNIX socket (connect, or --server),
 * and the negotiation and ring start-up through vmu's own front-end code
 * (hw/virtio/vhost-user.c, hw/virtio/vhost.c).  The only file that calls
 * that code, besides check.c's direct protocol probes and main.c's stop.
 */
#include <errno.h>
#include <glib.h>
#include <poll.h>
#include <stdio.h>
#include <unistd.h>

#include <linux/virtio_config.h>
#include <linux/virtio_net.h>

#include "client.h"
#include "util/unix-socket.h"

/* --server: listen once, then wait for a back-end (until a signal). */
static bool client_accept(Client *c, Error **errp)
{
    if (c->listen_fd < 0) {
        c->listen_fd = unix_socket_listen(c->path, UNIX_SOCKET_REPLACE_ANY,
                                          errp);
        if (c->listen_fd < 0) {
            c->listen_fd = -1;
            return false;
        }
        fprintf(stderr, "vmu-vhost-client: waiting for a back-end on %s\n",
                c->path);
    }
    for (;;) {
        struct pollfd p = { .fd = c->listen_fd, .events = POLLIN };
        int fd;

        if (stop_flag) {
            error_setg(errp, "stopped while waiting for a back-end on %s",
                       c->path);
            return false;
        }
        poll(&p, 1, 200);       /* a signal ends it early */
        fd = unix_socket_accept(c->listen_fd, errp);
        if (fd >= 0) {
            c->fd = fd;
            return true;
        }
        if (fd != -EAGAIN) {
            error_prepend(errp, "%s: ", c->path);
            return false;
        }
    }
}

/* Connect, retrying for 5 s while the back-end's socket is not there. */
bool client_connect(Client *c, Error **errp)
{
    double deadline = now_s() + 5;

    if (c->server) {
        return client_accept(c, errp);
    }
    for (;;) {
        Error *err = NULL;
        int fd = unix_socket_connect(c->path, &err);

        if (fd >= 0) {
            c->fd = fd;
            return true;
        }
        if (fd == -ENAMETOOLONG) {
            error_propagate(errp, err);
            return false;
        }
        error_free(err);
        if (now_s() > deadline || stop_flag) {
            error_setg_errno(errp, -fd, "cannot connect to %s", c->path);
            error_append_hint(errp, "start the back-end first (its socket "
                              "must exist), or use --server");
            return false;
        }
        g_usleep(100 * 1000);
    }
}

void client_disconnect(Client *c)
{
    vhost_user_free(c->u);
    c->u = NULL;
    if (c->fd >= 0) {
        close(c->fd);
        c->fd = -1;
    }
}

/* Features, memory table, both rings started, RX full of buffers. */
static bool client_rings_start(Client *c, Error **errp)
{
    uint64_t want = (1ULL << VIRTIO_F_VERSION_1);

    if (!c->no_mrg) {
        want |= 1ULL << VIRTIO_NET_F_MRG_RXBUF;
    }
    vhost_dev_set_memory(&c->dev, &c->ram, 1);
    want &= c->dev.backend_features;
    c->mrg = want & (1ULL << VIRTIO_NET_F_MRG_RXBUF);
    c->hdr_len = want ? 12 : 10;
    queues_reset(c);
    if (!vhost_dev_start(&c->dev, want, errp)) {
        return false;
    }
    kick(c, RX);
    return true;
}

/* A front-end on the connection, negotiated as vmu does. */
bool client_handshake(Client *c, Error **errp)
{
    c->u = vhost_user_new(c->fd, c->path);
    c->u->timeout_ms = c->timeout_ms;
    return vhost_user_handshake(c->u, VHOST_USER_FRONTEND_PROTOCOL_FEATURES,
                                errp);
}

/* The vhost device on the negotiated connection, both rings started. */
bool client_dev_start(Client *c, Error **errp)
{
    return vhost_dev_init(&c->dev, &vhost_user_backend_ops, c->u,
                          "vmu-vhost-client", c->rings, 2, errp) &&
           client_rings_start(c, errp);
}

/* Connect, negotiate as vmu does, start both rings. */
bool client_start(Client *c, Error **errp)
{
    return client_connect(c, errp) && client_handshake(c, errp) &&
           client_dev_start(c, errp);
}

bool ring_restart(Client *c, unsigned i, unsigned base, Error **errp)
{
    VhostRing *r = &c->rings[i];
    VhostUser *u = c->u;
    return vhost_user_set_vring_num(u, i, r->num, errp) &&
           vhost_user_set_vring_base(u, i, base, errp) &&
           vhost_user_set_vring_addr(u, i, (uintptr_t)c->mem + r->desc,
                                     (uintptr_t)c->mem + r->used,
                                     (uintptr_t)c->mem + r->avail, errp) &&
           vhost_user_set_vring_kick(u, i, r->kick_fd, errp) &&
           vhost_user_set_vring_call(u, i, r->call_fd, errp) &&
           vhost_user_set_vring_enable(u, i, true, errp);
}
