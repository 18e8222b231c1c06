/*
 * The back-end's answer to every front-end request a net device can get:
 * features, memory, rings, status.  A request that cannot be honoured is
 * refused (an error ack when one is asked for) and the session goes on;
 * only a broken byte stream ends it.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <glib.h>
#include <linux/virtio_config.h>
#include <linux/virtio_net.h>

#include "libvhost-user.h"
#include "vu-internal.h"
#include "util/fdpass.h"
#include "util/trace.h"

static void vq_init(VuVirtq *vq, unsigned idx)
{
    memset(vq, 0, sizeof(*vq));
    vq->idx = idx;
    vq->kick_fd = vq->call_fd = vq->err_fd = -1;
}

static void close_fd(int *fd)
{
    if (*fd >= 0) {
        close(*fd);
        *fd = -1;
    }
}

static void vq_set_kick(VuDev *dev, VuVirtq *vq, int fd)
{
    int old = vq->kick_fd;

    if (old == fd) {
        return;
    }
    vq->kick_fd = fd;
    if (dev->iface && dev->iface->kick_changed) {
        dev->iface->kick_changed(dev, vq->idx, old, fd);
    }
    if (old >= 0) {
        close(old);
    }
}

/* Stop a ring and drop everything the front-end gave for it. */
static void vq_reset(VuDev *dev, VuVirtq *vq)
{
    bool was_started = vq->started;

    vq_set_kick(dev, vq, -1);
    close_fd(&vq->call_fd);
    close_fd(&vq->err_fd);
    vq_init(vq, vq->idx);
    if (was_started && dev->iface && dev->iface->ring_stopped) {
        dev->iface->ring_stopped(dev, vq->idx);
    }
}

void vu_dev_init(VuDev *dev, const char *name, int sock,
                 uint64_t features, uint64_t protocol_features,
                 unsigned queue_pairs, const VuDevIface *iface, void *opaque)
{
    memset(dev, 0, sizeof(*dev));
    dev->name = g_strdup(name);
    dev->sock = sock;
    dev->iface = iface;
    dev->opaque = opaque;
    dev->features_offered = features | (1ull << VHOST_USER_F_PROTOCOL_FEATURES);
    dev->protocol_features_offered = protocol_features;
    dev->queue_pairs = queue_pairs < 1 ? 1 :
                       queue_pairs > VU_MAX_QUEUE_PAIRS ? VU_MAX_QUEUE_PAIRS :
                       queue_pairs;
    dev->vnet_hdr_len = sizeof(struct virtio_net_hdr);
    dev->backend_fd = -1;
    for (unsigned i = 0; i < VU_MAX_QUEUES; i++) {
        vq_init(&dev->vq[i], i);
    }
}

void vu_dev_cleanup(VuDev *dev)
{
    for (unsigned i = 0; i < VU_MAX_QUEUES; i++) {
        vq_reset(dev, &dev->vq[i]);
    }
    vu_mem_unmap_all(dev);
    close_fd(&dev->backend_fd);
    close_fd(&dev->sock);
    g_free(dev->name);
    dev->name = NULL;
}

bool vu_virtq_map(VuDev *dev, VuVirtq *vq, Error **errp)
{
    const VhostUserVringAddr *a = &vq->addr;
    uint64_t num = vq->num;
    void *desc, *avail, *used;

    vq->desc = NULL;
    vq->avail = NULL;
    vq->used = NULL;
    if (!num || !vq->addr_set) {
        error_setg(errp, "the ring was started before its size and addresses "
                   "were set");
        return false;
    }
    if (a->desc_user_addr % 16 || a->avail_user_addr % 2 ||
        a->used_user_addr % 4) {
        error_setg(errp, "ring addresses desc 0x%" PRIx64 " avail 0x%" PRIx64
                   " used 0x%" PRIx64 " are misaligned", a->desc_user_addr,
                   a->avail_user_addr, a->used_user_addr);
        return false;
    }
    desc = vu_uva_to_va(dev, a->desc_user_addr, num * 16);
    avail = vu_uva_to_va(dev, a->avail_user_addr, 6 + 2 * num);
    used = vu_uva_to_va(dev, a->used_user_addr, 6 + 8 * num);
    if (!desc || !avail || !used) {
        error_setg(errp, "ring %s at front-end address 0x%" PRIx64 " (ring "
                   "size %u) is outside the memory table",
                   !desc ? "descriptor table" : !avail ? "avail ring" :
                   "used ring", !desc ? a->desc_user_addr :
                   !avail ? a->avail_user_addr : a->used_user_addr, vq->num);
        return false;
    }
    vq->desc = desc;
    vq->avail = avail;
    vq->used = used;
    vq->used_idx = __atomic_load_n(&vq->used->idx, __ATOMIC_RELAXED);
    vq->signalled_used_valid = false;
    return true;
}

void vu_virtq_remap_all(VuDev *dev)
{
    for (unsigned i = 0; i < VU_MAX_QUEUES; i++) {
        VuVirtq *vq = &dev->vq[i];
        Error *err = NULL;
        uint16_t used_idx = vq->used_idx;

        if (!vq->addr_set || !vq->num) {
            continue;
        }
        if (!vu_virtq_map(dev, vq, &err)) {
            if (vq->started) {
                vu_virtq_fail(dev, vq, "%s", error_get_pretty(err));
            }
            error_free(err);
            continue;
        }
        if (vq->started) {
            vq->used_idx = used_idx;   /* ours is the truth while running */
        }
    }
}

/* ---- replies ---- */

static bool send_reply(VuDev *dev, const VhostUserHeader *req,
                       const void *payload, uint32_t size, int *fds,
                       size_t nfds)
{
    VhostUserHeader h;
    Error *err = NULL;

    vhost_user_reply_header(&h, req, size);
    vhost_user_trace_msg(true, dev->name, VHOST_USER_CHANNEL_FRONTEND, &h,
                         payload, nfds);
    if (fdpass_send_msg(dev->sock, &h, payload, fds, nfds, &err) < 0) {
        error_report("%s: cannot reply to %s: %s", dev->name,
                     vhost_user_request_name(req->request),
                     error_get_pretty(err));
        error_free(err);
        return false;
    }
    return true;
}

static bool reply_u64(VuDev *dev, const VhostUserHeader *req, uint64_t v)
{
    return send_reply(dev, req, &v, sizeof(v), NULL, 0);
}

/* ---- handlers: return false to refuse (err set) ---- */

typedef struct Req {
    VhostUserHeader *hdr;
    VhostUserPayload *p;
    int *fds;
    size_t nfds;
    bool replied;              /* the handler sent the request's own reply */
} Req;

static VuVirtq *ring_of(VuDev *dev, uint32_t idx, const char *what,
                        Error **errp)
{
    if (idx >= 2 * dev->queue_pairs) {
        error_setg(errp, "%s names ring %u, but this back-end has %u rings "
                   "(%u queue pair%s)", what, idx, 2 * dev->queue_pairs,
                   dev->queue_pairs, dev->queue_pairs == 1 ? "" : "s");
        return NULL;
    }
    return &dev->vq[idx];
}

static bool h_get_features(VuDev *dev, Req *r, Error **errp)
{
    r->replied = reply_u64(dev, r->hdr, dev->features_offered);
    return true;
}

static bool h_set_features(VuDev *dev, Req *r, Error **errp)
{
    uint64_t f = r->p->u64;

    if (f & ~dev->features_offered) {
        char buf[256];
        error_setg(errp, "SET_FEATURES acks features that were not offered: "
                   "%s", vhost_user_format_features(f & ~dev->features_offered,
                                                    false, buf, sizeof(buf)));
        return false;
    }
    dev->features = f;
    dev->vnet_hdr_len = (f & ((1ull << VIRTIO_F_VERSION_1) |
                              (1ull << VIRTIO_NET_F_MRG_RXBUF))) ?
                        sizeof(struct virtio_net_hdr_mrg_rxbuf) :
                        sizeof(struct virtio_net_hdr);
    if (!(f & (1ull << VHOST_USER_F_PROTOCOL_FEATURES))) {
        /* Without SET_VRING_ENABLE, rings are enabled from the start. */
        for (unsigned i = 0; i < VU_MAX_QUEUES; i++) {
            dev->vq[i].enabled = true;
        }
    }
    return true;
}

static bool h_get_protocol_features(VuDev *dev, Req *r, Error **errp)
{
    r->replied = reply_u64(dev, r->hdr, dev->protocol_features_offered);
    return true;
}

static bool h_set_protocol_features(VuDev *dev, Req *r, Error **errp)
{
    uint64_t f = r->p->u64;

    dev->protocol_features = f & dev->protocol_features_offered;
    if (f & ~dev->protocol_features_offered) {
        char buf[256];
        warn_report("%s: front-end set protocol features that were not "
                    "offered, ignored: %s", dev->name,
                    vhost_user_format_features(
                        f & ~dev->protocol_features_offered, true, buf,
                        sizeof(buf)));
    }
    return true;
}

static bool h_set_owner(VuDev *dev, Req *r, Error **errp)
{
    dev->owner = true;
    return true;
}

static bool h_reset_owner(VuDev *dev, Req *r, Error **errp)
{
    /* Deprecated; the spec's advice is to disable the rings. */
    for (unsigned i = 0; i < VU_MAX_QUEUES; i++) {
        dev->vq[i].enabled = false;
    }
    return true;
}

static bool h_reset_device(VuDev *dev, Req *r, Error **errp)
{
    for (unsigned i = 0; i < VU_MAX_QUEUES; i++) {
        vq_reset(dev, &dev->vq[i]);
    }
    dev->features = 0;
    dev->status = 0;
    dev->vnet_hdr_len = sizeof(struct virtio_net_hdr);
    return true;
}

static bool h_set_mem_table(VuDev *dev, Req *r, Error **errp)
{
    return vu_mem_set_table(dev, &r->p->memory, r->fds, r->nfds, errp);
}

static bool h_get_max_mem_slots(VuDev *dev, Req *r, Error **errp)
{
    r->replied = reply_u64(dev, r->hdr, VU_MAX_MEM_SLOTS);
    return true;
}

static bool h_add_mem_reg(VuDev *dev, Req *r, Error **errp)
{
    return vu_mem_add_region(dev, &r->p->memreg.region, r->fds, r->nfds,
                             errp);
}

static bool h_rem_mem_reg(VuDev *dev, Req *r, Error **errp)
{
    return vu_mem_remove_region(dev, &r->p->memreg.region, errp);
}

static bool h_set_vring_num(VuDev *dev, Req *r, Error **errp)
{
    VuVirtq *vq = ring_of(dev, r->p->state.index, "SET_VRING_NUM", errp);
    uint32_t num = r->p->state.num;

    if (!vq) {
        return false;
    }
    if (num == 0 || num > VHOST_USER_MAX_QUEUE_SIZE || (num & (num - 1))) {
        vq->num = 0;
        vq->desc = NULL;
        vq->avail = NULL;
        vq->used = NULL;
        vu_virtq_fail(dev, vq, "size %u is not a power of 2 between 1 and %u",
                      num, VHOST_USER_MAX_QUEUE_SIZE);
        return false;
    }
    vq->num = num;
    vq->desc = NULL;   /* remapped with the new size on first use */
    vq->broken = false;
    return true;
}

static bool h_set_vring_addr(VuDev *dev, Req *r, Error **errp)
{
    VuVirtq *vq = ring_of(dev, r->p->addr.index, "SET_VRING_ADDR", errp);
    Error *err = NULL;

    if (!vq) {
        return false;
    }
    vq->addr = r->p->addr;
    vq->addr_set = true;
    vq->broken = false;
    if (dev->nregions && vq->num && !vu_virtq_map(dev, vq, &err)) {
        vu_virtq_fail(dev, vq, "%s", error_get_pretty(err));
        error_free(err);
        return false;
    }
    error_free(err);
    return true;
}

static bool h_set_vring_base(VuDev *dev, Req *r, Error **errp)
{
    VuVirtq *vq = ring_of(dev, r->p->state.index, "SET_VRING_BASE", errp);

    if (!vq) {
        return false;
    }
    if (r->p->state.num > 0xffff) {
        error_setg(errp, "ring %u: base %u does not fit a 16-bit index",
                   vq->idx, r->p->state.num);
        return false;
    }
    vq->last_avail_idx = vq->shadow_avail_idx = r->p->state.num;
    vq->broken = false;
    return true;
}

static bool h_get_vring_base(VuDev *dev, Req *r, Error **errp)
{
    VuVirtq *vq = ring_of(dev, r->p->state.index, "GET_VRING_BASE", errp);
    VhostUserVringState st = { r->p->state.index, 0 };

    if (vq) {
        bool was_started = vq->started;
        st.num = vq->last_avail_idx;
        vq->started = false;
        vq->broken = false;
        vq_set_kick(dev, vq, -1);
        close_fd(&vq->call_fd);
        close_fd(&vq->err_fd);
        vq->poll_kick = false;
        trace(libvhost_user_ring_stopped, "%s: ring %u stopped at avail %u",
              dev->name, vq->idx, st.num);
        if (was_started && dev->iface && dev->iface->ring_stopped) {
            dev->iface->ring_stopped(dev, vq->idx);
        }
    }
    /* The front-end waits for this reply whatever happens. */
    r->replied = send_reply(dev, r->hdr, &st, sizeof(st), NULL, 0);
    return vq != NULL;
}

/* KICK/CALL/ERR: ring index in bits 0-7, NOFD in bit 8, else one fd. */
static int vring_fd_arg(VuDev *dev, Req *r, VuVirtq **vqp, Error **errp)
{
    const char *name = vhost_user_request_name(r->hdr->request);
    uint64_t v = r->p->u64;
    bool nofd = v & VHOST_USER_VRING_NOFD_MASK;
    int fd;

    *vqp = ring_of(dev, v & VHOST_USER_VRING_IDX_MASK, name, errp);
    if (!*vqp) {
        return -2;
    }
    if (v & ~(uint64_t)(VHOST_USER_VRING_IDX_MASK | VHOST_USER_VRING_NOFD_MASK)) {
        error_setg(errp, "%s: unknown bits in 0x%" PRIx64, name, v);
        return -2;
    }
    if (nofd) {
        return -1;      /* vhost_user_check_fds saw that no fd came */
    }
    fd = r->fds[0];
    r->fds[0] = -1;
    return fd;
}

static bool h_set_vring_kick(VuDev *dev, Req *r, Error **errp)
{
    VuVirtq *vq;
    int fd = vring_fd_arg(dev, r, &vq, errp);

    if (fd == -2) {
        return false;
    }
    vq->poll_kick = fd < 0;
    vq_set_kick(dev, vq, fd);
    if (vq->poll_kick) {
        vu_virtq_kick_drain(dev, vq);   /* polled rings start at once */
    }
    return true;
}

static bool h_set_vring_call(VuDev *dev, Req *r, Error **errp)
{
    VuVirtq *vq;
    int fd = vring_fd_arg(dev, r, &vq, errp);

    if (fd == -2) {
        return false;
    }
    close_fd(&vq->call_fd);
    vq->call_fd = fd;
    vq->signalled_used_valid = false;
    return true;
}

static bool h_set_vring_err(VuDev *dev, Req *r, Error **errp)
{
    VuVirtq *vq;
    int fd = vring_fd_arg(dev, r, &vq, errp);

    if (fd == -2) {
        return false;
    }
    close_fd(&vq->err_fd);
    vq->err_fd = fd;
    return true;
}

static bool h_get_queue_num(VuDev *dev, Req *r, Error **errp)
{
    r->replied = reply_u64(dev, r->hdr, dev->queue_pairs);
    return true;
}

static bool h_set_vring_enable(VuDev *dev, Req *r, Error **errp)
{
    VuVirtq *vq = ring_of(dev, r->p->state.index, "SET_VRING_ENABLE", errp);

    if (!vq) {
        return false;
    }
    if (r->p->state.num > 1) {
        error_setg(errp, "SET_VRING_ENABLE: ring %u: %u is neither 0 nor 1",
                   vq->idx, r->p->state.num);
        return false;
    }
    vq->enabled = r->p->state.num;
    return true;
}

static bool h_net_set_mtu(VuDev *dev, Req *r, Error **errp)
{
    if (r->p->u64 < 68 || r->p->u64 > 65535) {
        error_setg(errp, "NET_SET_MTU: MTU %" PRIu64 " is outside 68..65535",
                   r->p->u64);
        return false;
    }
    dev->mtu = r->p->u64;
    return true;
}

static bool h_set_backend_req_fd(VuDev *dev, Req *r, Error **errp)
{
    /* vhost_user_check_fds saw that one fd came. */
    close_fd(&dev->backend_fd);
    dev->backend_fd = r->fds[0];
    r->fds[0] = -1;
    return true;
}

static bool h_set_status(VuDev *dev, Req *r, Error **errp)
{
    dev->status = r->p->u64;
    return true;
}

static bool h_get_status(VuDev *dev, Req *r, Error **errp)
{
    r->replied = reply_u64(dev, r->hdr, dev->status);
    return true;
}

static bool h_get_config(VuDev *dev, Req *r, Error **errp)
{
    /* Not offered: an empty reply is the spec's way to say "error". */
    r->replied = send_reply(dev, r->hdr, NULL, 0, NULL, 0);
    error_setg(errp, "GET_CONFIG: this back-end has no config space (the "
               "CONFIG protocol feature is not offered)");
    return false;
}

static bool h_get_inflight_fd(VuDev *dev, Req *r, Error **errp)
{
    VhostUserInflight none = { 0 };

    r->replied = send_reply(dev, r->hdr, &none, sizeof(none), NULL, 0);
    error_setg(errp, "GET_INFLIGHT_FD: inflight tracking is not offered");
    return false;
}

typedef bool (*Handler)(VuDev *dev, Req *r, Error **errp);

static const Handler handlers[VHOST_USER_REQUEST_MAX] = {
    [VHOST_USER_GET_FEATURES] = h_get_features,
    [VHOST_USER_SET_FEATURES] = h_set_features,
    [VHOST_USER_SET_OWNER] = h_set_owner,
    [VHOST_USER_RESET_OWNER] = h_reset_owner,
    [VHOST_USER_SET_MEM_TABLE] = h_set_mem_table,
    [VHOST_USER_SET_VRING_NUM] = h_set_vring_num,
    [VHOST_USER_SET_VRING_ADDR] = h_set_vring_addr,
    [VHOST_USER_SET_VRING_BASE] = h_set_vring_base,
    [VHOST_USER_GET_VRING_BASE] = h_get_vring_base,
    [VHOST_USER_SET_VRING_KICK] = h_set_vring_kick,
    [VHOST_USER_SET_VRING_CALL] = h_set_vring_call,
    [VHOST_USER_SET_VRING_ERR] = h_set_vring_err,
    [VHOST_USER_GET_PROTOCOL_FEATURES] = h_get_protocol_features,
    [VHOST_USER_SET_PROTOCOL_FEATURES] = h_set_protocol_features,
    [VHOST_USER_GET_QUEUE_NUM] = h_get_queue_num,
    [VHOST_USER_SET_VRING_ENABLE] = h_set_vring_enable,
    [VHOST_USER_NET_SET_MTU] = h_net_set_mtu,
    [VHOST_USER_SET_BACKEND_REQ_FD] = h_set_backend_req_fd,
    [VHOST_USER_GET_CONFIG] = h_get_config,
    [VHOST_USER_GET_INFLIGHT_FD] = h_get_inflight_fd,
    [VHOST_USER_RESET_DEVICE] = h_reset_device,
    [VHOST_USER_GET_MAX_MEM_SLOTS] = h_get_max_mem_slots,
    [VHOST_USER_ADD_MEM_REG] = h_add_mem_reg,
    [VHOST_USER_REM_MEM_REG] = h_rem_mem_reg,
    [VHOST_USER_SET_STATUS] = h_set_status,
    [VHOST_USER_GET_STATUS] = h_get_status,
};

bool vu_dev_dispatch(VuDev *dev, Error **errp)
{
    VhostUserMsg msg;
    int fds[FDPASS_MAX_FDS];
    size_t nfds = 0;
    Error *err = NULL;
    bool ok, has_reply = false, need_ack;
    uint32_t rmin, rmax;
    Req r = { &msg.hdr, &msg.payload, fds, 0, false };
    int ret;

    ret = fdpass_recv_msg(dev->sock, &msg.hdr, &msg.payload,
                          sizeof(msg.payload), fds, &nfds, VU_RECV_TIMEOUT_MS,
                          &err);
    if (ret == 0) {
        trace(libvhost_user_hangup, "%s: front-end hung up", dev->name);
        return false;
    }
    if (ret == -EAGAIN) {
        error_free(err);
        return true;   /* a spurious wake-up */
    }
    if (ret == -EBADMSG) {
        /* The message itself was read whole: refuse it, stay in sync. */
        error_report("%s: %s", dev->name, error_get_pretty(err));
        error_free(err);
        if ((msg.hdr.flags & VHOST_USER_NEED_REPLY_MASK) &&
            vu_has_protocol_feature(dev, VHOST_USER_PROTOCOL_F_REPLY_ACK)) {
            reply_u64(dev, &msg.hdr, 1);
        }
        return true;
    }
    if (ret < 0) {
        error_propagate(errp, err);
        return false;
    }
    r.nfds = nfds;
    vhost_user_trace_msg(false, dev->name, VHOST_USER_CHANNEL_FRONTEND,
                         &msg.hdr, &msg.payload, nfds);
    vhost_user_reply_size(msg.hdr.request, &has_reply, &rmin, &rmax);
    need_ack = (msg.hdr.flags & VHOST_USER_NEED_REPLY_MASK) &&
               vu_has_protocol_feature(dev, VHOST_USER_PROTOCOL_F_REPLY_ACK);

    if (!vhost_user_check_request(VHOST_USER_CHANNEL_FRONTEND, &msg.hdr,
                                  &msg.payload, msg.hdr.size, &err)) {
        ok = false;
    } else if (!vhost_user_check_fds(VHOST_USER_CHANNEL_FRONTEND, &msg.hdr,
                                     &msg.payload, nfds, &err)) {
        ok = false;
    } else if (msg.hdr.request < VHOST_USER_REQUEST_MAX &&
               handlers[msg.hdr.request]) {
        ok = handlers[msg.hdr.request](dev, &r, &err);
    } else if (msg.hdr.request >= VHOST_USER_REQUEST_MAX ||
               msg.hdr.request == VHOST_USER_NONE) {
        error_report_ratelimited(&dev->unknown_rl, "%s: unknown request code "
                                 "%u (%u payload bytes) ignored", dev->name,
                                 msg.hdr.request, msg.hdr.size);
        ok = true;
        if (need_ack) {
            reply_u64(dev, &msg.hdr, 1);
        }
        goto out;
    } else {
        error_setg(&err, "%s is not supported by this back-end (its feature "
                   "was not offered)", vhost_user_request_name(
                       msg.hdr.request));
        ok = false;
    }

    if (!ok && err) {
        error_report("%s: %s", dev->name, error_get_pretty(err));
        error_free(err);
        err = NULL;
    }
    if (has_reply && !r.replied) {
        /* The front-end is blocked on this reply: give it an error one. */
        uint8_t zero[sizeof(VhostUserPayload)] = { 0 };
        uint64_t fail = 1;
        if (rmin == 8) {
            send_reply(dev, &msg.hdr, &fail, 8, NULL, 0);
        } else {
            send_reply(dev, &msg.hdr, zero, rmin, NULL, 0);
        }
    } else if (!has_reply && need_ack) {
        reply_u64(dev, &msg.hdr, ok ? 0 : 1);
    }
out:
    fdpass_close_fds(fds, nfds);
    return true;
}
