/*
 * vhost-user front-end, asynchronous mode: replies are read without
 * waiting (a message is assembled from whatever the socket has), matched
 * against the queue of expected replies, and handed to their handlers;
 * the oldest expected reply is bounded by a timer.  Nothing here blocks
 * the main loop, whatever the back-end sends or fails to send.
 */
#include <errno.h>
#include <inttypes.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "hw/virtio/vhost-user.h"
#include "hw/virtio/vhost-user-loop.h"
#include "util/trace.h"

static void pending_free(void *p)
{
    g_free(p);
}

static void async_stop(VhostUser *u)
{
    if (u->reply_watch) {
        vhost_user_loop_remove(u->reply_watch);
        u->reply_watch = 0;
    }
    if (u->reply_timer) {
        vhost_user_loop_remove(u->reply_timer);
        u->reply_timer = 0;
    }
    g_queue_clear_full(&u->pending, pending_free);
    fdpass_close_fds(u->rx.fds, u->rx.nfds);
    u->rx.nfds = 0;
    u->rx.have = 0;
    u->idle_fn = NULL;
    u->handshake_done = NULL;
}

void vhost_user_async_cleanup(VhostUser *u)
{
    async_stop(u);
}

/* The connection is broken: forget what was pending, tell the owner. */
static void async_fail_as_is(VhostUser *u, Error *err)
{
    u->broken = true;
    async_stop(u);
    trace(vhost_user_async_failed, "%s: %s", u->label,
          error_get_pretty(err));
    u->async_ops->failed(u->async_opaque, err);
}

/* The same for errors found here, which do not name the socket yet. */
static void async_fail(VhostUser *u, Error *err)
{
    error_prepend(&err, "vhost-user back-end %s: ", u->label);
    async_fail_as_is(u, err);
}

static gboolean reply_timeout_cb(void *opaque)
{
    VhostUser *u = opaque;
    VhostUserPending *p = g_queue_peek_head(&u->pending);
    Error *err = NULL;

    u->reply_timer = 0;
    error_setg(&err, "no answer to %s within %d ms",
               vhost_user_request_name(p ? p->request : 0), u->timeout_ms);
    error_append_hint(&err, "is the back-end stuck? vmu gives up on this "
                      "connection and waits for a new one");
    async_fail(u, err);
    return G_SOURCE_REMOVE;
}

/* The oldest expected reply gets timeout_ms from now. */
static void reply_timer_restart(VhostUser *u)
{
    if (u->reply_timer) {
        vhost_user_loop_remove(u->reply_timer);
        u->reply_timer = 0;
    }
    if (!g_queue_is_empty(&u->pending)) {
        u->reply_timer = vhost_user_loop_add_timer_ms(u->timeout_ms,
                                                reply_timeout_cb, u);
    }
}

void vhost_user_rx_reset(VhostUserRx *rx)
{
    rx->have = 0;
    rx->nfds = 0;
    rx->too_many_fds = false;
}

void vhost_user_expect(VhostUser *u, uint32_t request, bool ack,
                       VhostUserReplyFn *fn, void *opaque)
{
    VhostUserPending *p = g_new(VhostUserPending, 1);

    *p = (VhostUserPending) { request, ack, fn, opaque };
    g_queue_push_tail(&u->pending, p);
    trace(vhost_user_expect, "%s: %s%s, %u pending", u->label,
          vhost_user_request_name(request), ack ? " ack" : "",
          g_queue_get_length(&u->pending));
    if (g_queue_get_length(&u->pending) == 1) {
        reply_timer_restart(u);
    }
}

void vhost_user_when_idle(VhostUser *u, VhostUserIdleFn *fn, void *opaque)
{
    if (g_queue_is_empty(&u->pending)) {
        u->idle_fn = NULL;
        fn(u, opaque);
        return;
    }
    u->idle_fn = fn;
    u->idle_opaque = opaque;
}

int vhost_user_rx_read(int fd, VhostUserRx *rx, Error **errp)
{
    const size_t hsz = sizeof(rx->msg.hdr);
    char cbuf[CMSG_SPACE(FDPASS_MAX_FDS * sizeof(int))];

    for (;;) {
        size_t want = rx->have < hsz ? hsz - rx->have
                                     : hsz + rx->msg.hdr.size - rx->have;
        if (rx->have >= hsz && rx->msg.hdr.size > VHOST_USER_PAYLOAD_MAX) {
            error_setg(errp, "its message %s (%u) announces a %u-byte "
                       "payload, more than any valid message carries",
                       vhost_user_request_name(rx->msg.hdr.request),
                       rx->msg.hdr.request, rx->msg.hdr.size);
            return -1;
        }
        if (!want) {
            return 1;
        }
        /* The payload is aligned: it does not follow the header. */
        uint8_t *at = rx->have < hsz ?
                      (uint8_t *)&rx->msg.hdr + rx->have :
                      (uint8_t *)&rx->msg.payload + (rx->have - hsz);
        struct iovec iov = { at, want };
        struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1,
                             .msg_control = cbuf,
                             .msg_controllen = sizeof(cbuf) };
        ssize_t n = recvmsg(fd, &mh, MSG_DONTWAIT | MSG_CMSG_CLOEXEC);
        if (n < 0 && errno == EINTR) {
            continue;
        }
        if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
            return 0;
        }
        if (n < 0) {
            error_setg_errno(errp, errno, "reading its message");
            return -1;
        }
        for (struct cmsghdr *c = CMSG_FIRSTHDR(&mh); c;
             c = CMSG_NXTHDR(&mh, c)) {
            if (c->cmsg_level != SOL_SOCKET || c->cmsg_type != SCM_RIGHTS) {
                continue;
            }
            size_t k = (c->cmsg_len - CMSG_LEN(0)) / sizeof(int);
            int *fds = (int *)CMSG_DATA(c);
            for (size_t i = 0; i < k; i++) {
                if (rx->nfds < FDPASS_MAX_FDS) {
                    rx->fds[rx->nfds++] = fds[i];
                } else {
                    close(fds[i]);
                    rx->too_many_fds = true;
                }
            }
        }
        if (mh.msg_flags & MSG_CTRUNC) {
            rx->too_many_fds = true;
        }
        if (n == 0) {
            error_setg(errp, rx->have ? "hung up in the middle of a message"
                       : "closed the connection");
            return rx->have ? -1 : -2;
        }
        rx->have += n;
    }
}

/* One complete reply: check it against the oldest expected one. */
static bool rx_dispatch(VhostUser *u, Error **errp)
{
    VhostUserMsg *m = &u->rx.msg;
    VhostUserPending *p = g_queue_peek_head(&u->pending);
    const char *name;

    vhost_user_trace_msg(false, u->label, VHOST_USER_CHANNEL_FRONTEND,
                         &m->hdr, &m->payload, u->rx.nfds);
    if (u->rx.nfds || u->rx.too_many_fds) {
        error_setg(errp, "its message %s came with file descriptors, none "
                   "belong there", vhost_user_request_name(m->hdr.request));
        return false;
    }
    if (!p) {
        error_setg(errp, "it sent %s (%u) when no answer was due",
                   vhost_user_request_name(m->hdr.request), m->hdr.request);
        error_append_hint(errp, "a back-end only answers requests");
        return false;
    }
    name = vhost_user_request_name(p->request);
    if (!vhost_user_check_reply(p->request, &m->hdr, m->hdr.size, errp)) {
        return false;
    }
    if (p->ack && m->payload.u64 != 0) {
        error_setg(errp, "it refused %s (status %" PRIu64 ")", name,
                   m->payload.u64);
        return false;
    }
    g_queue_pop_head(&u->pending);
    reply_timer_restart(u);
    if (p->fn) {
        p->fn(u, m, p->opaque);
    }
    g_free(p);
    return true;
}

static gboolean reply_readable(int fd, GIOCondition cond, void *opaque)
{
    VhostUser *u = opaque;
    Error *err = NULL;
    int r;

    /* A bounded number per wake-up: a flood cannot hold the loop. */
    for (unsigned i = 0; i < 64; i++) {
        r = vhost_user_rx_read(u->fd, &u->rx, &err);
        if (r == 0) {
            return G_SOURCE_CONTINUE;
        }
        if (r < 0 || !rx_dispatch(u, &err)) {     /* -2 is an error too */
            u->reply_watch = 0;     /* this source goes with the return */
            async_fail(u, err);
            return G_SOURCE_REMOVE;
        }
        vhost_user_rx_reset(&u->rx);
        if (g_queue_is_empty(&u->pending) && u->idle_fn) {
            VhostUserIdleFn *fn = u->idle_fn;
            u->idle_fn = NULL;
            fn(u, u->idle_opaque);
            if (!u->reply_watch) {
                return G_SOURCE_REMOVE;     /* fn failed the connection */
            }
        }
    }
    return G_SOURCE_CONTINUE;
}

void vhost_user_set_async(VhostUser *u, const VhostUserAsyncOps *ops,
                          void *opaque)
{
    u->async = true;
    u->async_ops = ops;
    u->async_opaque = opaque;
    g_queue_init(&u->pending);
    u->reply_watch = vhost_user_loop_add_fd(u->fd, G_IO_IN, reply_readable,
                                            u);
}

/* ---- the handshake, one round trip per phase ---- */

static void store_u64(VhostUser *u, const VhostUserMsg *reply, void *opaque)
{
    *(uint64_t *)opaque = reply->payload.u64;
}

static void handshake_done(VhostUser *u, void *opaque)
{
    VhostUserIdleFn *done = u->handshake_done;
    Error *err = NULL;

    if (vhost_user_has_protocol(u, VHOST_USER_PROTOCOL_F_MQ)) {
        if (!u->raw_queue_num) {
            error_setg(&err, "it offers MQ but reports 0 queue pairs");
            async_fail(u, err);
            return;
        }
        u->queue_num = MIN(u->raw_queue_num, VHOST_USER_MAX_RINGS / 2);
    }
    if (vhost_user_has_protocol(u,
                                VHOST_USER_PROTOCOL_F_CONFIGURE_MEM_SLOTS)) {
        u->max_mem_slots = MIN(u->raw_mem_slots, VHOST_USER_MAX_RAM_SLOTS);
    }
    trace(vhost_user_handshake_done, "%s: features 0x%" PRIx64 " protocol 0x%"
          PRIx64 " queues %u slots %u", u->label, u->features,
          u->protocol_features, u->queue_num, u->max_mem_slots);
    u->handshake_done = NULL;
    done(u, u->handshake_opaque);
}

static bool handshake_rest(VhostUser *u, Error **errp)
{
    if (u->features & (1ULL << VHOST_USER_F_PROTOCOL_FEATURES) &&
        !vhost_user_set_protocol_features(u, u->protocol_offered &
                                          u->want_protocol, errp)) {
        return false;
    }
    if (vhost_user_has_protocol(u, VHOST_USER_PROTOCOL_F_MQ) &&
        !vhost_user_get_queue_num(u, &u->raw_queue_num, errp)) {
        return false;
    }
    if (vhost_user_has_protocol(u,
                                VHOST_USER_PROTOCOL_F_CONFIGURE_MEM_SLOTS) &&
        !vhost_user_get_max_mem_slots(u, &u->raw_mem_slots, errp)) {
        return false;
    }
    if (vhost_user_has_protocol(u, VHOST_USER_PROTOCOL_F_BACKEND_REQ) &&
        !vhost_user_set_backend_req_fd(u, errp)) {
        return false;
    }
    if (!vhost_user_set_owner(u, errp)) {
        return false;
    }
    vhost_user_when_idle(u, handshake_done, NULL);
    return true;
}

static void handshake_protocol(VhostUser *u, void *opaque)
{
    Error *err = NULL;
    if (!handshake_rest(u, &err)) {
        async_fail_as_is(u, err);
    }
}

static void handshake_features(VhostUser *u, void *opaque)
{
    Error *err = NULL;

    if (!(u->features & (1ULL << VHOST_USER_F_PROTOCOL_FEATURES))) {
        handshake_protocol(u, NULL);
        return;
    }
    if (!vhost_user_get_protocol_features(u, &u->protocol_offered, &err)) {
        async_fail_as_is(u, err);
        return;
    }
    vhost_user_when_idle(u, handshake_protocol, NULL);
}

bool vhost_user_handshake_async(VhostUser *u, uint64_t want_protocol,
                                VhostUserIdleFn *done, void *opaque,
                                Error **errp)
{
    vhost_user_handshake_reset(u);
    u->want_protocol = want_protocol;
    u->handshake_done = done;
    u->handshake_opaque = opaque;
    if (!vhost_user_get_features(u, &u->features, errp)) {
        return false;
    }
    vhost_user_when_idle(u, handshake_features, NULL);
    return true;
}

/* For getters in async mode: the value lands in *out when it arrives. */
bool vhost_user_expect_u64(VhostUser *u, uint32_t request, uint64_t *out)
{
    vhost_user_expect(u, request, false, store_u64, out);
    return true;
}
