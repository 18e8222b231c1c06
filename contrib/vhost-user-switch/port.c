/*
 * Switch ports: one vhost-user connection each, as server (listen, accept
 * again after a hang-up) or client (connect, retry with capped backoff).
 * A port going away never disturbs the others.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <sys/epoll.h>
#include <unistd.h>
#include <linux/virtio_config.h>
#include <linux/virtio_net.h>

#include "switch.h"
#include "util/trace.h"
#include "util/unix-socket.h"

bool epoll_watch(int fd, EvTag *tag, Error **errp)
{
    struct epoll_event ev = { .events = EPOLLIN, .data.ptr = tag };

    if (epoll_ctl(sw.epfd, EPOLL_CTL_ADD, fd, &ev) < 0) {
        error_setg_errno(errp, errno, "cannot watch fd %d", fd);
        return false;
    }
    return true;
}

void epoll_unwatch(int fd)
{
    epoll_ctl(sw.epfd, EPOLL_CTL_DEL, fd, NULL);
}

static void on_kick_changed(VuDev *dev, unsigned qidx, int old_fd, int new_fd)
{
    Port *p = dev->opaque;
    Error *err = NULL;

    if (old_fd >= 0) {
        epoll_unwatch(old_fd);
    }
    if (new_fd >= 0 && !epoll_watch(new_fd, &p->kick_tag[qidx], &err)) {
        error_report("port %u (%s): ring %u: %s", p->id, p->path, qidx,
                     error_get_pretty(err));
        error_free(err);
    }
}

static void on_ring_stopped(VuDev *dev, unsigned qidx)
{
    Port *p = dev->opaque;
    p->tx_pending[qidx] = false;
    p->rx_dirty[qidx] = false;
}

static const VuDevIface port_iface = {
    .kick_changed = on_kick_changed,
    .ring_stopped = on_ring_stopped,
};

static uint64_t offered_features(void)
{
    uint64_t f = (1ull << VIRTIO_F_VERSION_1) |
                 (1ull << VIRTIO_NET_F_MRG_RXBUF) |
                 (1ull << VIRTIO_RING_F_EVENT_IDX) |
                 (1ull << VIRTIO_RING_F_INDIRECT_DESC) |
                 (1ull << VHOST_USER_F_PROTOCOL_FEATURES);
    if (sw.queue_pairs > 1) {
        f |= 1ull << VIRTIO_NET_F_MQ;
    }
    return f;
}

static uint64_t offered_protocol_features(void)
{
    return (1ull << VHOST_USER_PROTOCOL_F_MQ) |
           (1ull << VHOST_USER_PROTOCOL_F_REPLY_ACK) |
           (1ull << VHOST_USER_PROTOCOL_F_NET_MTU) |
           (1ull << VHOST_USER_PROTOCOL_F_CONFIGURE_MEM_SLOTS) |
           (1ull << VHOST_USER_PROTOCOL_F_STATUS);
}

static void port_attach(Port *p, int fd)
{
    g_autofree char *name = g_strdup_printf("port %u (%s)", p->id, p->path);
    Error *err = NULL;

    vu_dev_init(&p->dev, name, fd, offered_features(),
                offered_protocol_features(), sw.queue_pairs, &port_iface, p);
    p->sock_tag = (EvTag){ EV_SOCK, p, 0 };
    if (!epoll_watch(fd, &p->sock_tag, &err)) {
        error_report("%s: %s", name, error_get_pretty(err));
        error_free(err);
        vu_dev_cleanup(&p->dev);
        return;
    }
    p->connected = true;
    p->retry_ms = SWITCH_RETRY_MIN_MS;
    memset(p->rx_dirty, 0, sizeof(p->rx_dirty));
    memset(p->tx_pending, 0, sizeof(p->tx_pending));
    info_report("port %u (%s): front-end connected", p->id, p->path);
    trace(vmu_switch_connect, "port %u (%s) %s", p->id, p->path,
          p->server ? "accepted" : "connected");
}

bool port_open(Port *p, Error **errp)
{
    for (unsigned q = 0; q < VU_MAX_QUEUES; q++) {
        p->kick_tag[q] = (EvTag){ EV_KICK, p, q };
    }
    p->listen_fd = -1;
    p->retry_ms = SWITCH_RETRY_MIN_MS;
    if (!p->server) {
        p->next_retry_ms = 0;
        port_try_connect(p);
        return true;
    }
    p->listen_fd = unix_socket_listen(p->path, UNIX_SOCKET_REPLACE_STALE, errp);
    if (p->listen_fd < 0) {
        error_prepend(errp, "port %u: ", p->id);
        p->listen_fd = -1;
        return false;
    }
    p->listen_tag = (EvTag){ EV_LISTEN, p, 0 };
    return epoll_watch(p->listen_fd, &p->listen_tag, errp);
}

void port_try_connect(Port *p)
{
    Error *err = NULL;
    int fd;

    if (p->connected || p->server) {
        return;
    }
    fd = unix_socket_connect(p->path, &err);
    if (fd < 0) {
        trace(vmu_switch_retry, "port %u: %s; next try in %u ms", p->id,
              error_get_pretty(err), p->retry_ms);
        error_free(err);
        p->next_retry_ms = switch_now_ms() + p->retry_ms;
        p->retry_ms = p->retry_ms * 2 > SWITCH_RETRY_MAX_MS ?
                      SWITCH_RETRY_MAX_MS : p->retry_ms * 2;
        return;
    }
    port_attach(p, fd);
}

void port_accept(Port *p)
{
    Error *err = NULL;
    int fd = unix_socket_accept(p->listen_fd, &err);

    if (fd < 0) {
        if (err) {
            error_report("port %u (%s): %s", p->id, p->path,
                         error_get_pretty(err));
            error_free(err);
        }
        return;
    }
    if (p->connected) {
        warn_report("port %u (%s): a second front-end tried to connect; "
                    "refused, the port is in use", p->id, p->path);
        close(fd);
        return;
    }
    port_attach(p, fd);
}

void port_disconnect(Port *p, const char *why)
{
    if (!p->connected) {
        return;
    }
    epoll_unwatch(p->dev.sock);
    vu_dev_cleanup(&p->dev);
    p->connected = false;
    fdb_forget_port(p->id);
    if (why) {
        error_report("port %u (%s): %s; connection closed, %s", p->id,
                     p->path, why, p->server ? "waiting for the front-end "
                     "to connect again" : "reconnecting");
    } else {
        info_report("port %u (%s): front-end disconnected, %s", p->id,
                    p->path, p->server ? "waiting for it to connect again"
                    : "reconnecting");
    }
    trace(vmu_switch_disconnect, "port %u (%s)", p->id, p->path);
    if (!p->server) {
        p->retry_ms = SWITCH_RETRY_MIN_MS;
        p->next_retry_ms = switch_now_ms() + p->retry_ms;
    }
}

void port_close(Port *p)
{
    port_disconnect(p, NULL);
    if (p->listen_fd >= 0) {
        epoll_unwatch(p->listen_fd);
        close(p->listen_fd);
        p->listen_fd = -1;
        unlink(p->path);
    }
}

void port_stats_print(const Port *p)
{
    info_report("port %u (%s): rx %" PRIu64 " frames %" PRIu64 " bytes, tx %"
                PRIu64 " frames %" PRIu64 " bytes, drops %" PRIu64 ", errors %"
                PRIu64, p->id, p->path, p->st.rx_frames, p->st.rx_bytes,
                p->st.tx_frames, p->st.tx_bytes, p->st.drops, p->st.errors);
}

/* Take transmitted frames from one ring and forward them. */
void port_process_tx(Port *p, unsigned qidx)
{
    VuDev *dev = &p->dev;
    VuVirtq *vq = &dev->vq[qidx];
    unsigned done = 0;

    p->tx_pending[qidx] = false;
    if (!p->connected || !vu_virtq_usable(vq) || !(qidx & 1)) {
        return;
    }
    for (;;) {
        VuElem elem;
        long len;
        int r;

        vu_virtq_set_notification(dev, vq, false);
        while (done < SWITCH_TX_BUDGET &&
               (r = vu_virtq_pop(dev, vq, &elem)) > 0) {
            len = vu_net_tx_frame(dev, &elem, sw.frame, sizeof(sw.frame));
            vu_virtq_push(vq, elem.head, 0);
            done++;
            if (len < 14) {
                p->st.errors++;
                continue;
            }
            p->st.rx_frames++;
            p->st.rx_bytes += len;
            if (!vq->enabled) {
                p->st.drops++;      /* started but disabled: discard */
                continue;
            }
            switch_forward(p, qidx, sw.frame, len);
        }
        if (vq->broken) {
            p->st.errors++;
            break;
        }
        vu_virtq_notify(dev, vq);
        port_flush_rx();
        if (done >= SWITCH_TX_BUDGET) {
            p->tx_pending[qidx] = true;   /* be fair: come back later */
            break;
        }
        if (sw.poll || vu_virtq_set_notification(dev, vq, true)) {
            break;
        }
    }
    if (vq->broken) {
        vu_virtq_notify(dev, vq);
    }
}

void port_flush_rx(void)
{
    for (unsigned i = 0; i < sw.nports; i++) {
        Port *p = &sw.ports[i];
        for (unsigned q = 0; q < VU_MAX_QUEUES; q += 2) {
            if (p->rx_dirty[q]) {
                p->rx_dirty[q] = false;
                if (p->connected) {
                    vu_virtq_notify(&p->dev, &p->dev.vq[q]);
                }
            }
        }
    }
}
