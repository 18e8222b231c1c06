/*
 * The vhost-user front-end: requests over a connected UNIX socket, each
 * reply checked and waited for with a timeout, and the back-end's own
 * request channel (SET_BACKEND_REQ_FD) served on the main loop.  Used by
 * the vhost-user netdev and by vmu-vhost-client.
 */
#ifndef VMU_HW_VIRTIO_VHOST_USER_H
#define VMU_HW_VIRTIO_VHOST_USER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <glib.h>

#include "hw/virtio/vhost-backend.h"
#include "net/vhost-user-proto.h"
#include "system/memory.h"
#include "util/error.h"
#include "util/fdpass.h"

#define VHOST_USER_DEFAULT_TIMEOUT_MS 5000
/* Memory slots we track for ADD/REM_MEM_REG (CONFIGURE_MEM_SLOTS). */
#define VHOST_USER_MAX_RAM_SLOTS 32
/* Rings a connection may describe (GET_QUEUE_NUM pairs times two). */
#define VHOST_USER_MAX_RINGS 64

/* The protocol features vmu asks for when the back-end offers them. */
#define VHOST_USER_FRONTEND_PROTOCOL_FEATURES                               \
    ((1ULL << VHOST_USER_PROTOCOL_F_MQ) |                                   \
     (1ULL << VHOST_USER_PROTOCOL_F_REPLY_ACK) |                            \
     (1ULL << VHOST_USER_PROTOCOL_F_NET_MTU) |                              \
     (1ULL << VHOST_USER_PROTOCOL_F_BACKEND_REQ) |                          \
     (1ULL << VHOST_USER_PROTOCOL_F_BACKEND_SEND_FD) |                      \
     (1ULL << VHOST_USER_PROTOCOL_F_CONFIGURE_MEM_SLOTS) |                  \
     (1ULL << VHOST_USER_PROTOCOL_F_STATUS))

/* Requests the back-end makes of us (SET_BACKEND_REQ_FD channel). */
typedef struct VhostUserBackendHandlers {
    /* CONFIG_CHANGE_MSG: the device config (link, MTU...) changed. */
    void (*config_change)(void *opaque);
} VhostUserBackendHandlers;

typedef struct VhostUser VhostUser;

/*
 * Asynchronous mode (vmu): requests are sent at once and never waited
 * for; each expected reply is queued and handled when it arrives on the
 * main loop, the oldest one bounded by timeout_ms.
 */
typedef void VhostUserReplyFn(VhostUser *u, const VhostUserMsg *reply,
                              void *opaque);
typedef void VhostUserIdleFn(VhostUser *u, void *opaque);

typedef struct VhostUserAsyncOps {
    /* A reply was wrong, refused or late, or the socket failed: the
     * connection is broken (u stays valid until vhost_user_free). */
    void (*failed)(void *opaque, Error *err);
} VhostUserAsyncOps;

typedef struct VhostUserPending {
    uint32_t request;
    bool ack;                   /* a REPLY_ACK u64, else the reply proper */
    VhostUserReplyFn *fn;       /* NULL: checked and dropped */
    void *opaque;
} VhostUserPending;

/* A message being read without waiting (async mode). */
typedef struct VhostUserRx {
    VhostUserMsg msg;
    size_t have;                /* bytes of msg read so far */
    int fds[FDPASS_MAX_FDS];
    size_t nfds;
    bool too_many_fds;
} VhostUserRx;

struct VhostUser {
    int fd;                     /* the connected socket (not owned) */
    char *label;                /* socket path, for errors and traces */
    int timeout_ms;             /* every wait for a reply */
    bool broken;                /* a request failed: reconnect first */

    uint64_t features;          /* GET_FEATURES */
    uint64_t protocol_offered;  /* GET_PROTOCOL_FEATURES */
    uint64_t protocol_features; /* negotiated (0 without bit 30) */
    unsigned queue_num;         /* GET_QUEUE_NUM with MQ, else 1 */
    unsigned max_mem_slots;     /* GET_MAX_MEM_SLOTS, else 8 */

    int backend_fd;             /* our end of SET_BACKEND_REQ_FD, or -1 */
    guint backend_watch;
    const VhostUserBackendHandlers *handlers;
    void *opaque;

    /* The regions the back-end has (by ADD_MEM_REG, or the last
     * SET_MEM_TABLE). */
    VhostUserMemRegion slots[VHOST_USER_MAX_RAM_SLOTS];
    unsigned nslots;
    bool mem_table_sent;

    /* async mode */
    bool async;
    const VhostUserAsyncOps *async_ops;
    void *async_opaque;
    GQueue pending;             /* VhostUserPending, oldest first */
    guint reply_watch;
    guint reply_timer;
    VhostUserIdleFn *idle_fn;   /* runs once nothing is pending */
    void *idle_opaque;
    VhostUserRx rx;
    VhostUserRx backend_rx;     /* the back-end channel's (both modes) */
    uint64_t want_protocol;     /* the asynchronous handshake's */
    uint64_t raw_queue_num, raw_mem_slots;
    VhostUserIdleFn *handshake_done;
    void *handshake_opaque;
};

/* fd stays the caller's (the chardev's); label names the socket. */
VhostUser *vhost_user_new(int fd, const char *label);
/* Closes the back-end channel; not fd. */
void vhost_user_free(VhostUser *u);
/* How long each reply may take from now on (ms). */
static inline void vhost_user_set_timeout(VhostUser *u, int ms)
{
    u->timeout_ms = ms;
}
void vhost_user_set_backend_handlers(VhostUser *u,
                                     const VhostUserBackendHandlers *h,
                                     void *opaque);

static inline bool vhost_user_has_protocol(const VhostUser *u, unsigned bit)
{
    return u->protocol_features & (1ULL << bit);
}

/*
 * The connect-time handshake: GET_FEATURES, GET/SET_PROTOCOL_FEATURES
 * (only when bit 30 is offered; we ask offered & want), GET_QUEUE_NUM
 * (MQ), GET_MAX_MEM_SLOTS (CONFIGURE_MEM_SLOTS), SET_BACKEND_REQ_FD
 * (BACKEND_REQ), SET_OWNER.
 */
bool vhost_user_handshake(VhostUser *u, uint64_t want_protocol,
                          Error **errp);

/* One request each; false with one error naming the socket. */
bool vhost_user_get_features(VhostUser *u, uint64_t *features, Error **errp);
/* Adds bit 30 by itself when protocol features were negotiated. */
bool vhost_user_set_features(VhostUser *u, uint64_t features, Error **errp);
bool vhost_user_get_protocol_features(VhostUser *u, uint64_t *features,
                                      Error **errp);
bool vhost_user_set_protocol_features(VhostUser *u, uint64_t features,
                                      Error **errp);
bool vhost_user_set_owner(VhostUser *u, Error **errp);
bool vhost_user_get_queue_num(VhostUser *u, uint64_t *num, Error **errp);
bool vhost_user_get_max_mem_slots(VhostUser *u, uint64_t *num, Error **errp);
/*
 * The memory table from RAM ranges (each needs an fd and shared memory).
 * With CONFIGURE_MEM_SLOTS: REM_MEM_REG/ADD_MEM_REG for the difference
 * from what was sent before; else SET_MEM_TABLE (at most 8 regions).
 */
bool vhost_user_set_mem_table(VhostUser *u, const RAMRange *ram, unsigned n,
                              Error **errp);
bool vhost_user_set_vring_num(VhostUser *u, unsigned idx, unsigned num,
                              Error **errp);
bool vhost_user_set_vring_base(VhostUser *u, unsigned idx, unsigned base,
                               Error **errp);
bool vhost_user_get_vring_base(VhostUser *u, unsigned idx, unsigned *base,
                               Error **errp);
/* Host virtual addresses of this process. */
bool vhost_user_set_vring_addr(VhostUser *u, unsigned idx, uint64_t desc,
                               uint64_t used, uint64_t avail, Error **errp);
/* fd < 0 sends the NOFD bit. */
bool vhost_user_set_vring_kick(VhostUser *u, unsigned idx, int fd,
                               Error **errp);
bool vhost_user_set_vring_call(VhostUser *u, unsigned idx, int fd,
                               Error **errp);
bool vhost_user_set_vring_err(VhostUser *u, unsigned idx, int fd,
                              Error **errp);
/* Synchronous (REPLY_ACK or a GET_FEATURES barrier): kicks may follow. */
bool vhost_user_set_vring_enable(VhostUser *u, unsigned idx, bool enable,
                                 Error **errp);
/* Only with NET_MTU; acked with REPLY_ACK. */
bool vhost_user_net_set_mtu(VhostUser *u, unsigned mtu, Error **errp);
/* Only with STATUS (a no-op otherwise). */
bool vhost_user_set_status(VhostUser *u, uint8_t status, Error **errp);
bool vhost_user_get_status(VhostUser *u, uint8_t *status, Error **errp);

/*
 * The request/reply engine, for callers that speak to a back-end
 * directly (the conformance check).  msg->hdr.size bytes of payload are
 * sent with nfds fds.  need_reply asks for a REPLY_ACK u64 (it must have
 * been negotiated).  With reply != NULL the answer is read (checked
 * against the request) into it.  Every wait is bounded by timeout_ms.
 */
bool vhost_user_call(VhostUser *u, VhostUserMsg *msg, const int *fds,
                     size_t nfds, bool need_reply, VhostUserMsg *reply,
                     Error **errp);

/*
 * Switch u to asynchronous mode: from now on no function waits for the
 * back-end.  Requests that need an answer queue it (getters store the
 * value when it arrives, in the place given); errors that arrive later go
 * to ops->failed.
 */
void vhost_user_set_async(VhostUser *u, const VhostUserAsyncOps *ops,
                          void *opaque);
/* fn runs when every queued reply has arrived (at once when none is). */
void vhost_user_when_idle(VhostUser *u, VhostUserIdleFn *fn, void *opaque);
static inline bool vhost_user_busy(const VhostUser *u)
{
    return !g_queue_is_empty((GQueue *)&u->pending);
}
/*
 * The handshake of vhost_user_handshake() in async mode: done runs when it
 * is complete; a failure goes to the async ops.  False: a request could
 * not even be sent (errp set).
 */
bool vhost_user_handshake_async(VhostUser *u, uint64_t want_protocol,
                                VhostUserIdleFn *done, void *opaque,
                                Error **errp);
/*
 * Read what fd has towards one message, without waiting.  1: rx->msg is
 * complete (its fds in rx->fds, the caller's); 0: more is to come; -1:
 * errp set (hang-up mid-message, oversized payload); -2: errp set, the
 * peer hung up between messages.  vhost_user_rx_reset() before
 * the next message.
 */
int vhost_user_rx_read(int fd, VhostUserRx *rx, Error **errp);
void vhost_user_rx_reset(VhostUserRx *rx);
/* Internal to the front-end: queue an expected reply. */
void vhost_user_expect(VhostUser *u, uint32_t request, bool ack,
                       VhostUserReplyFn *fn, void *opaque);
bool vhost_user_expect_u64(VhostUser *u, uint32_t request, uint64_t *out);
void vhost_user_async_cleanup(VhostUser *u);
bool vhost_user_set_backend_req_fd(VhostUser *u, Error **errp);
/* What a handshake learns, back to "nothing negotiated". */
void vhost_user_handshake_reset(VhostUser *u);

/* The VhostBackendOps for vhost.c; the back-end pointer is a VhostUser. */
extern const VhostBackendOps vhost_user_backend_ops;

#endif
