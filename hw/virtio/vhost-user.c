/*
 * vhost-user, front-end side: one synchronous request at a time over the
 * connected socket, every reply checked and bounded by a timeout, and the
 * back-end's request channel served on the main loop.
 */
#include <errno.h>
#include <inttypes.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "hw/virtio/vhost-user.h"
#include "system/hostmem.h"
#include "hw/virtio/vhost-user-loop.h"
#include "util/fdpass.h"
#include "util/trace.h"

VhostUser *vhost_user_new(int fd, const char *label)
{
    VhostUser *u = g_new0(VhostUser, 1);
    u->fd = fd;
    u->label = g_strdup(label);
    u->timeout_ms = VHOST_USER_DEFAULT_TIMEOUT_MS;
    u->backend_fd = -1;
    u->queue_num = 1;
    u->max_mem_slots = VHOST_USER_MEMORY_MAX_NREGIONS;
    return u;
}

static void vhost_user_backend_close(VhostUser *u)
{
    if (u->backend_watch) {
        vhost_user_loop_remove(u->backend_watch);
        u->backend_watch = 0;
    }
    if (u->backend_fd >= 0) {
        close(u->backend_fd);
        u->backend_fd = -1;
    }
    fdpass_close_fds(u->backend_rx.fds, u->backend_rx.nfds);
    vhost_user_rx_reset(&u->backend_rx);
}

void vhost_user_free(VhostUser *u)
{
    if (!u) {
        return;
    }
    if (u->async) {
        vhost_user_async_cleanup(u);
    }
    vhost_user_backend_close(u);
    g_free(u->label);
    g_free(u);
}

void vhost_user_set_backend_handlers(VhostUser *u,
                                     const VhostUserBackendHandlers *h,
                                     void *opaque)
{
    u->handlers = h;
    u->opaque = opaque;
}

/* A failure that leaves the stream in an unknown state. */
static bool vhost_user_broken(VhostUser *u, Error **errp, Error *local)
{
    u->broken = true;
    error_prepend(&local, "vhost-user back-end %s: ", u->label);
    error_propagate(errp, local);
    return false;
}

static bool vhost_user_recv_reply(VhostUser *u, uint32_t request,
                                  VhostUserMsg *reply, Error **errp)
{
    const char *name = vhost_user_request_name(request);
    Error *local = NULL;
    int fds[FDPASS_MAX_FDS];
    size_t nfds = 0;
    int r = fdpass_recv_msg(u->fd, &reply->hdr, &reply->payload,
                            VHOST_USER_PAYLOAD_MAX, fds, &nfds,
                            u->timeout_ms, &local);

    if (r == 0) {
        error_setg(&local, "closed the connection instead of answering %s",
                   name);
        return vhost_user_broken(u, errp, local);
    }
    if (r == -ETIMEDOUT) {
        error_free(local);
        local = NULL;
        error_setg(&local, "no answer to %s within %d ms", name,
                   u->timeout_ms);
        error_append_hint(&local, "is the back-end stuck? vmu gives up on "
                          "this connection and waits for a new one");
        return vhost_user_broken(u, errp, local);
    }
    if (r < 0) {
        error_prepend(&local, "waiting for the reply to %s: ", name);
        return vhost_user_broken(u, errp, local);
    }
    vhost_user_trace_msg(false, u->label, VHOST_USER_CHANNEL_FRONTEND,
                         &reply->hdr, &reply->payload, nfds);
    if (nfds) {
        fdpass_close_fds(fds, nfds);
        error_setg(&local, "the reply to %s came with %zu file descriptors, "
                   "none belong there", name, nfds);
        return vhost_user_broken(u, errp, local);
    }
    if (!vhost_user_check_reply(request, &reply->hdr, reply->hdr.size,
                                &local)) {
        return vhost_user_broken(u, errp, local);
    }
    return true;
}

bool vhost_user_call(VhostUser *u, VhostUserMsg *msg, const int *fds,
                     size_t nfds, bool need_reply, VhostUserMsg *reply,
                     Error **errp)
{
    const char *name = vhost_user_request_name(msg->hdr.request);
    Error *local = NULL;
    VhostUserMsg ack;
    int r;

    if (u->broken) {
        error_setg(errp, "vhost-user back-end %s: not sending %s, the "
                   "connection failed earlier and must be re-established",
                   u->label, name);
        return false;
    }
    if (u->fd < 0) {
        error_setg(errp, "vhost-user back-end %s is not connected (%s not "
                   "sent)", u->label, name);
        return false;
    }
    msg->hdr.flags = VHOST_USER_VERSION |
                     (need_reply ? VHOST_USER_NEED_REPLY_MASK : 0);
    vhost_user_trace_msg(true, u->label, VHOST_USER_CHANNEL_FRONTEND,
                         &msg->hdr, &msg->payload, nfds);
    r = fdpass_send_msg(u->fd, &msg->hdr, msg->hdr.size ? &msg->payload :
                        NULL, fds, nfds, &local);
    if (r < 0) {
        error_prepend(&local, "sending %s: ", name);
        return vhost_user_broken(u, errp, local);
    }
    if (u->async) {
        /* Checked when it comes; getters queue their own handler. */
        if (need_reply || reply) {
            vhost_user_expect(u, msg->hdr.request, need_reply && !reply,
                              NULL, NULL);
        }
        return true;
    }
    if (reply && !vhost_user_recv_reply(u, msg->hdr.request, reply, errp)) {
        return false;
    }
    if (need_reply && !reply) {
        if (!vhost_user_recv_reply(u, msg->hdr.request, &ack, errp)) {
            return false;
        }
        if (ack.payload.u64 != 0) {
            error_setg(errp, "vhost-user back-end %s refused %s (status %"
                       PRIu64 ")", u->label, name, ack.payload.u64);
            return false;
        }
    }
    return true;
}

static void msg_init(VhostUserMsg *m, uint32_t request, uint32_t size)
{
    memset(m, 0, sizeof(m->hdr) + size);
    m->hdr.request = request;
    m->hdr.size = size;
}

static bool vhost_user_get_u64(VhostUser *u, uint32_t request, uint64_t *out,
                               Error **errp)
{
    VhostUserMsg m, reply;
    msg_init(&m, request, 0);
    if (u->async) {
        return vhost_user_call(u, &m, NULL, 0, false, NULL, errp) &&
               vhost_user_expect_u64(u, request, out);
    }
    if (!vhost_user_call(u, &m, NULL, 0, false, &reply, errp)) {
        return false;
    }
    *out = reply.payload.u64;
    return true;
}

/*
 * A message whose effect must be complete before we go on (kicks follow):
 * REPLY_ACK when negotiated, else a GET_FEATURES round trip, which a
 * back-end handling its socket in order answers only after this one.
 */
static bool vhost_user_send_sync(VhostUser *u, VhostUserMsg *m,
                                 const int *fds, size_t nfds, Error **errp)
{
    static uint64_t dummy;      /* a barrier's answer, unused */
    if (vhost_user_has_protocol(u, VHOST_USER_PROTOCOL_F_REPLY_ACK)) {
        return vhost_user_call(u, m, fds, nfds, true, NULL, errp);
    }
    return vhost_user_call(u, m, fds, nfds, false, NULL, errp) &&
           vhost_user_get_u64(u, VHOST_USER_GET_FEATURES, &dummy, errp);
}

/* Acked when REPLY_ACK is there, else sent and forgotten. */
static bool vhost_user_send_acked(VhostUser *u, VhostUserMsg *m,
                                  const int *fds, size_t nfds, Error **errp)
{
    return vhost_user_call(u, m, fds, nfds,
                           vhost_user_has_protocol(
                               u, VHOST_USER_PROTOCOL_F_REPLY_ACK),
                           NULL, errp);
}

static bool vhost_user_set_u64(VhostUser *u, uint32_t request, uint64_t v,
                               Error **errp)
{
    VhostUserMsg m;
    msg_init(&m, request, 8);
    m.payload.u64 = v;
    return vhost_user_call(u, &m, NULL, 0, false, NULL, errp);
}

bool vhost_user_get_features(VhostUser *u, uint64_t *features, Error **errp)
{
    return vhost_user_get_u64(u, VHOST_USER_GET_FEATURES, features, errp);
}

bool vhost_user_set_features(VhostUser *u, uint64_t features, Error **errp)
{
    if (u->features & (1ULL << VHOST_USER_F_PROTOCOL_FEATURES)) {
        features |= 1ULL << VHOST_USER_F_PROTOCOL_FEATURES;
    }
    return vhost_user_set_u64(u, VHOST_USER_SET_FEATURES, features, errp);
}

bool vhost_user_get_protocol_features(VhostUser *u, uint64_t *features,
                                      Error **errp)
{
    return vhost_user_get_u64(u, VHOST_USER_GET_PROTOCOL_FEATURES, features,
                              errp);
}

bool vhost_user_set_protocol_features(VhostUser *u, uint64_t features,
                                      Error **errp)
{
    if (!vhost_user_set_u64(u, VHOST_USER_SET_PROTOCOL_FEATURES, features,
                            errp)) {
        return false;
    }
    u->protocol_features = features;
    return true;
}

bool vhost_user_set_owner(VhostUser *u, Error **errp)
{
    VhostUserMsg m;
    msg_init(&m, VHOST_USER_SET_OWNER, 0);
    return vhost_user_call(u, &m, NULL, 0, false, NULL, errp);
}

bool vhost_user_get_queue_num(VhostUser *u, uint64_t *num, Error **errp)
{
    return vhost_user_get_u64(u, VHOST_USER_GET_QUEUE_NUM, num, errp);
}

bool vhost_user_get_max_mem_slots(VhostUser *u, uint64_t *num, Error **errp)
{
    return vhost_user_get_u64(u, VHOST_USER_GET_MAX_MEM_SLOTS, num, errp);
}

/* The back-end's request channel: served on the main loop. */
static gboolean backend_readable(int fd, GIOCondition cond, void *opaque)
{
    VhostUser *u = opaque;
    VhostUserMsg reply;
    VhostUserMsg *mp = &u->backend_rx.msg;
    int *fds = u->backend_rx.fds;
    Error *err = NULL;
    uint64_t status = 0;
    static RateLimit rl;
    /* Never waits: a message that is not complete yet comes back here. */
    int r = vhost_user_rx_read(fd, &u->backend_rx, &err);
    size_t nfds = u->backend_rx.nfds;

    if (r == 0) {
        return G_SOURCE_CONTINUE;
    }
    if (r < 0) {
        if (r == -1) {
            error_report_ratelimited(&rl, "vhost-user back-end %s: its "
                                     "request channel failed: %s", u->label,
                                     error_get_pretty(err));
        }
        error_free(err);
        fdpass_close_fds(fds, nfds);
        vhost_user_rx_reset(&u->backend_rx);
        u->backend_watch = 0;
        close(u->backend_fd);
        u->backend_fd = -1;
        return G_SOURCE_REMOVE;
    }
    bool too_many = u->backend_rx.too_many_fds;
    vhost_user_rx_reset(&u->backend_rx);
    vhost_user_trace_msg(false, u->label, VHOST_USER_CHANNEL_BACKEND, &mp->hdr,
                         &mp->payload, nfds);
    if (too_many) {
        error_setg(&err, "more than %d file descriptors came along",
                   FDPASS_MAX_FDS);
    }
    if (err || !vhost_user_check_request(VHOST_USER_CHANNEL_BACKEND,
                                         &mp->hdr, &mp->payload,
                                         mp->hdr.size, &err)) {
        error_report_ratelimited(&rl, "vhost-user back-end %s: %s", u->label,
                                 error_get_pretty(err));
        error_free(err);
        err = NULL;     /* reused if the answer cannot be sent */
        status = 1;
    } else {
        switch (mp->hdr.request) {
        case VHOST_USER_BACKEND_CONFIG_CHANGE_MSG:
            if (u->handlers && u->handlers->config_change) {
                u->handlers->config_change(u->opaque);
            }
            break;
        default:
            error_report_ratelimited(&rl, "vhost-user back-end %s: request "
                                     "%s (%u) is not supported by vmu",
                                     u->label, vhost_user_backend_request_name(
                                         mp->hdr.request), mp->hdr.request);
            status = 1;
            break;
        }
    }
    fdpass_close_fds(fds, nfds);
    if (mp->hdr.flags & VHOST_USER_NEED_REPLY_MASK) {
        vhost_user_reply_header(&reply.hdr, &mp->hdr, 8);
        reply.payload.u64 = status;
        vhost_user_trace_msg(true, u->label, VHOST_USER_CHANNEL_BACKEND,
                             &reply.hdr, &reply.payload, 0);
        if (fdpass_send_msg(fd, &reply.hdr, &reply.payload, NULL, 0,
                            &err) < 0) {
            error_report_ratelimited(&rl, "vhost-user back-end %s: cannot "
                                     "answer its request: %s", u->label,
                                     error_get_pretty(err));
            error_free(err);
        }
    }
    return G_SOURCE_CONTINUE;
}

bool vhost_user_set_backend_req_fd(VhostUser *u, Error **errp)
{
    int sv[2];
    VhostUserMsg m;
    bool ok;

    if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) < 0) {
        error_setg_errno(errp, errno, "vhost-user back-end %s: cannot create "
                         "the back-end request channel", u->label);
        return false;
    }
    msg_init(&m, VHOST_USER_SET_BACKEND_REQ_FD, 0);
    ok = vhost_user_send_acked(u, &m, &sv[1], 1, errp);
    close(sv[1]);
    if (!ok) {
        close(sv[0]);
        return false;
    }
    vhost_user_backend_close(u);
    u->backend_fd = sv[0];
    u->backend_watch = vhost_user_loop_add_fd(sv[0], G_IO_IN | G_IO_HUP |
                                              G_IO_ERR, backend_readable, u);
    return true;
}

void vhost_user_handshake_reset(VhostUser *u)
{
    u->protocol_features = 0;
    u->protocol_offered = 0;
    u->queue_num = 1;
    u->max_mem_slots = VHOST_USER_MEMORY_MAX_NREGIONS;
    u->nslots = 0;
    u->mem_table_sent = false;
}

bool vhost_user_handshake(VhostUser *u, uint64_t want_protocol, Error **errp)
{
    uint64_t v;

    vhost_user_handshake_reset(u);
    if (!vhost_user_get_features(u, &u->features, errp)) {
        return false;
    }
    if (u->features & (1ULL << VHOST_USER_F_PROTOCOL_FEATURES)) {
        if (!vhost_user_get_protocol_features(u, &u->protocol_offered,
                                              errp) ||
            !vhost_user_set_protocol_features(u, u->protocol_offered &
                                              want_protocol, errp)) {
            return false;
        }
    }
    if (vhost_user_has_protocol(u, VHOST_USER_PROTOCOL_F_MQ)) {
        if (!vhost_user_get_queue_num(u, &v, errp)) {
            return false;
        }
        if (v == 0) {
            error_setg(errp, "vhost-user back-end %s offers MQ but reports "
                       "0 queue pairs", u->label);
            return false;
        }
        /* DPDK reports its maximum (128): we use what we can describe. */
        u->queue_num = MIN(v, VHOST_USER_MAX_RINGS / 2);
    }
    if (vhost_user_has_protocol(u,
                                VHOST_USER_PROTOCOL_F_CONFIGURE_MEM_SLOTS)) {
        if (!vhost_user_get_max_mem_slots(u, &v, errp)) {
            return false;
        }
        u->max_mem_slots = MIN(v, VHOST_USER_MAX_RAM_SLOTS);
    }
    if (vhost_user_has_protocol(u, VHOST_USER_PROTOCOL_F_BACKEND_REQ) &&
        !vhost_user_set_backend_req_fd(u, errp)) {
        return false;
    }
    if (!vhost_user_set_owner(u, errp)) {
        return false;
    }
    trace(vhost_user_handshake_done, "%s: features 0x%" PRIx64 " protocol 0x%"
          PRIx64 " queues %u slots %u", u->label, u->features,
          u->protocol_features, u->queue_num, u->max_mem_slots);
    return true;
}

/* RAM ranges into regions; refuses what a back-end could never map. */
static bool mem_regions(VhostUser *u, const RAMRange *ram, unsigned n,
                        VhostUserMemRegion *regs, int *fds, Error **errp)
{
    for (unsigned i = 0; i < n; i++) {
        const RAMRange *r = &ram[i];
        if (r->fd < 0 || (r->backend && !r->backend->share)) {
            error_setg(errp, "vhost-user back-end %s cannot map guest RAM at "
                       "0x%" PRIx64 " (%" PRIu64 " MiB): it is private memory "
                       "%s", u->label, r->gpa, r->size >> 20,
                       r->fd < 0 ? "without a file descriptor" :
                       "(share=off)");
            error_append_hint(errp, "give guest RAM with -object "
                              "memory-backend-memfd,id=mem,size=...,share=on "
                              "-machine memory-backend=mem (plain -m is "
                              "shared already)");
            return false;
        }
        regs[i].guest_phys_addr = r->gpa;
        regs[i].memory_size = r->size;
        regs[i].userspace_addr = (uintptr_t)r->hva;
        regs[i].mmap_offset = r->fd_offset;
        fds[i] = r->fd;
    }
    return true;
}

static bool region_equal(const VhostUserMemRegion *a,
                         const VhostUserMemRegion *b)
{
    return !memcmp(a, b, sizeof(*a));
}

static bool vhost_user_update_slots(VhostUser *u, const VhostUserMemRegion *regs,
                                    const int *fds, unsigned n, Error **errp)
{
    VhostUserMsg m;

    /* Remove what went away first: slots are scarce. */
    for (unsigned i = 0; i < u->nslots;) {
        bool keep = false;
        for (unsigned j = 0; j < n && !keep; j++) {
            keep = region_equal(&u->slots[i], &regs[j]);
        }
        if (keep) {
            i++;
            continue;
        }
        msg_init(&m, VHOST_USER_REM_MEM_REG, sizeof(VhostUserMemRegMsg));
        m.payload.memreg.region = u->slots[i];
        if (!vhost_user_send_acked(u, &m, NULL, 0, errp)) {
            return false;
        }
        u->slots[i] = u->slots[--u->nslots];
    }
    for (unsigned j = 0; j < n; j++) {
        bool have = false;
        for (unsigned i = 0; i < u->nslots && !have; i++) {
            have = region_equal(&u->slots[i], &regs[j]);
        }
        if (have) {
            continue;
        }
        msg_init(&m, VHOST_USER_ADD_MEM_REG, sizeof(VhostUserMemRegMsg));
        m.payload.memreg.region = regs[j];
        if (!vhost_user_send_acked(u, &m, &fds[j], 1, errp)) {
            return false;
        }
        u->slots[u->nslots++] = regs[j];
    }
    return true;
}

bool vhost_user_set_mem_table(VhostUser *u, const RAMRange *ram, unsigned n,
                              Error **errp)
{
    VhostUserMemRegion regs[VHOST_USER_MAX_RAM_SLOTS];
    int fds[VHOST_USER_MAX_RAM_SLOTS];
    bool slots = vhost_user_has_protocol(
        u, VHOST_USER_PROTOCOL_F_CONFIGURE_MEM_SLOTS);
    unsigned limit = slots ? u->max_mem_slots : VHOST_USER_MEMORY_MAX_NREGIONS;
    VhostUserMsg m;

    if (n > limit) {
        error_setg(errp, "vhost-user back-end %s takes at most %u memory "
                   "regions, guest RAM has %u", u->label, limit, n);
        error_append_hint(errp, "keep guest RAM in one memory backend");
        return false;
    }
    if (!mem_regions(u, ram, n, regs, fds, errp)) {
        return false;
    }
    if (slots) {
        if (!vhost_user_update_slots(u, regs, fds, n, errp)) {
            return false;
        }
        u->mem_table_sent = true;
        return true;
    }
    /* Sent already on this connection (at connect time): the back-end
     * has mapped it, so DRIVER_OK need not wait for it again. */
    if (u->mem_table_sent && u->nslots == n &&
        !memcmp(u->slots, regs, n * sizeof(regs[0]))) {
        trace(vhost_user_mem_table_unchanged, "%s: %u regions", u->label, n);
        return true;
    }
    msg_init(&m, VHOST_USER_SET_MEM_TABLE,
             8 + n * sizeof(VhostUserMemRegion));
    m.payload.memory.nregions = n;
    memcpy(m.payload.memory.regions, regs, n * sizeof(regs[0]));
    if (!vhost_user_send_acked(u, &m, fds, n, errp)) {
        return false;
    }
    memcpy(u->slots, regs, n * sizeof(regs[0]));
    u->nslots = n;
    u->mem_table_sent = true;
    return true;
}

static bool vring_state(VhostUser *u, uint32_t request, unsigned idx,
                        unsigned num, bool sync, Error **errp)
{
    VhostUserMsg m;
    msg_init(&m, request, sizeof(VhostUserVringState));
    m.payload.state.index = idx;
    m.payload.state.num = num;
    return sync ? vhost_user_send_sync(u, &m, NULL, 0, errp)
                : vhost_user_call(u, &m, NULL, 0, false, NULL, errp);
}

bool vhost_user_set_vring_num(VhostUser *u, unsigned idx, unsigned num,
                              Error **errp)
{
    return vring_state(u, VHOST_USER_SET_VRING_NUM, idx, num, false, errp);
}

bool vhost_user_set_vring_base(VhostUser *u, unsigned idx, unsigned base,
                               Error **errp)
{
    return vring_state(u, VHOST_USER_SET_VRING_BASE, idx, base, false, errp);
}

/* Async mode: the ring's base lands in *opaque (an unsigned). */
static void store_vring_base(VhostUser *u, const VhostUserMsg *reply,
                             void *opaque)
{
    *(unsigned *)opaque = reply->payload.state.num;
}

bool vhost_user_get_vring_base(VhostUser *u, unsigned idx, unsigned *base,
                               Error **errp)
{
    VhostUserMsg m, reply;
    msg_init(&m, VHOST_USER_GET_VRING_BASE, sizeof(VhostUserVringState));
    m.payload.state.index = idx;
    if (u->async) {
        if (!vhost_user_call(u, &m, NULL, 0, false, NULL, errp)) {
            return false;
        }
        vhost_user_expect(u, VHOST_USER_GET_VRING_BASE, false,
                          store_vring_base, base);
        return true;
    }
    if (!vhost_user_call(u, &m, NULL, 0, false, &reply, errp)) {
        return false;
    }
    if (reply.payload.state.index != idx) {
        static RateLimit rl;
        error_report_ratelimited(&rl, "vhost-user back-end %s answered "
                                 "GET_VRING_BASE for ring %u with ring %u",
                                 u->label, idx, reply.payload.state.index);
    }
    *base = reply.payload.state.num;
    return true;
}

bool vhost_user_set_vring_addr(VhostUser *u, unsigned idx, uint64_t desc,
                               uint64_t used, uint64_t avail, Error **errp)
{
    VhostUserMsg m;
    msg_init(&m, VHOST_USER_SET_VRING_ADDR, sizeof(VhostUserVringAddr));
    m.payload.addr.index = idx;
    m.payload.addr.desc_user_addr = desc;
    m.payload.addr.used_user_addr = used;
    m.payload.addr.avail_user_addr = avail;
    return vhost_user_call(u, &m, NULL, 0, false, NULL, errp);
}

static bool vring_fd(VhostUser *u, uint32_t request, unsigned idx, int fd,
                     Error **errp)
{
    VhostUserMsg m;
    msg_init(&m, request, 8);
    m.payload.u64 = (idx & VHOST_USER_VRING_IDX_MASK) |
                    (fd < 0 ? VHOST_USER_VRING_NOFD_MASK : 0);
    return vhost_user_call(u, &m, fd < 0 ? NULL : &fd, fd < 0 ? 0 : 1, false,
                           NULL, errp);
}

bool vhost_user_set_vring_kick(VhostUser *u, unsigned idx, int fd,
                               Error **errp)
{
    return vring_fd(u, VHOST_USER_SET_VRING_KICK, idx, fd, errp);
}

bool vhost_user_set_vring_call(VhostUser *u, unsigned idx, int fd,
                               Error **errp)
{
    return vring_fd(u, VHOST_USER_SET_VRING_CALL, idx, fd, errp);
}

bool vhost_user_set_vring_err(VhostUser *u, unsigned idx, int fd,
                              Error **errp)
{
    return vring_fd(u, VHOST_USER_SET_VRING_ERR, idx, fd, errp);
}

bool vhost_user_set_vring_enable(VhostUser *u, unsigned idx, bool enable,
                                 Error **errp)
{
    if (!(u->features & (1ULL << VHOST_USER_F_PROTOCOL_FEATURES))) {
        return true;    /* rings are enabled when they start */
    }
    return vring_state(u, VHOST_USER_SET_VRING_ENABLE, idx, enable, true,
                       errp);
}

bool vhost_user_net_set_mtu(VhostUser *u, unsigned mtu, Error **errp)
{
    VhostUserMsg m;
    if (!vhost_user_has_protocol(u, VHOST_USER_PROTOCOL_F_NET_MTU)) {
        return true;
    }
    msg_init(&m, VHOST_USER_NET_SET_MTU, 8);
    m.payload.u64 = mtu;
    return vhost_user_send_acked(u, &m, NULL, 0, errp);
}

bool vhost_user_set_status(VhostUser *u, uint8_t status, Error **errp)
{
    VhostUserMsg m;
    if (!vhost_user_has_protocol(u, VHOST_USER_PROTOCOL_F_STATUS)) {
        return true;
    }
    msg_init(&m, VHOST_USER_SET_STATUS, 8);
    m.payload.u64 = status;
    return vhost_user_send_sync(u, &m, NULL, 0, errp);
}

bool vhost_user_get_status(VhostUser *u, uint8_t *status, Error **errp)
{
    uint64_t v = 0;
    if (!vhost_user_has_protocol(u, VHOST_USER_PROTOCOL_F_STATUS)) {
        *status = 0;
        return true;
    }
    if (!vhost_user_get_u64(u, VHOST_USER_GET_STATUS, &v, errp)) {
        return false;
    }
    *status = v;
    return true;
}

/* VhostBackendOps over a VhostUser. */
static bool ops_get_features(void *be, uint64_t *f, Error **errp)
{
    return vhost_user_get_features(be, f, errp);
}

static bool ops_set_features(void *be, uint64_t f, Error **errp)
{
    return vhost_user_set_features(be, f, errp);
}

static bool ops_set_mem_table(void *be, const RAMRange *ram, unsigned n,
                              Error **errp)
{
    return vhost_user_set_mem_table(be, ram, n, errp);
}

static bool ops_set_vring_num(void *be, unsigned idx, unsigned num,
                              Error **errp)
{
    return vhost_user_set_vring_num(be, idx, num, errp);
}

static bool ops_set_vring_base(void *be, unsigned idx, unsigned base,
                               Error **errp)
{
    return vhost_user_set_vring_base(be, idx, base, errp);
}

static bool ops_get_vring_base(void *be, unsigned idx, unsigned *base,
                               Error **errp)
{
    return vhost_user_get_vring_base(be, idx, base, errp);
}

static bool ops_set_vring_addr(void *be, unsigned idx, uint64_t desc,
                               uint64_t used, uint64_t avail, Error **errp)
{
    return vhost_user_set_vring_addr(be, idx, desc, used, avail, errp);
}

static bool ops_set_vring_kick(void *be, unsigned idx, int fd, Error **errp)
{
    return vhost_user_set_vring_kick(be, idx, fd, errp);
}

static bool ops_set_vring_call(void *be, unsigned idx, int fd, Error **errp)
{
    return vhost_user_set_vring_call(be, idx, fd, errp);
}

static bool ops_set_vring_enable(void *be, unsigned idx, bool enable,
                                 Error **errp)
{
    return vhost_user_set_vring_enable(be, idx, enable, errp);
}

static bool ops_set_status(void *be, uint8_t status, Error **errp)
{
    return vhost_user_set_status(be, status, errp);
}

const VhostBackendOps vhost_user_backend_ops = {
    .name = "vhost-user",
    .get_features = ops_get_features,
    .set_features = ops_set_features,
    .set_mem_table = ops_set_mem_table,
    .set_vring_num = ops_set_vring_num,
    .set_vring_base = ops_set_vring_base,
    .get_vring_base = ops_get_vring_base,
    .set_vring_addr = ops_set_vring_addr,
    .set_vring_kick = ops_set_vring_kick,
    .set_vring_call = ops_set_vring_call,
    .set_vring_enable = ops_set_vring_enable,
    .set_status = ops_set_status,
};
