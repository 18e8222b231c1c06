/*
 * -netdev vhost-user: the NIC's rings served by a back-end over a UNIX
 * socket chardev.  The back-end may come, go and come back at any time;
 * the guest sees the link go down and up, never a link that carries nothing.
 */
#include <errno.h>
#include <glib.h>
#include <inttypes.h>
#include <string.h>
#include <unistd.h>

#include <linux/virtio_config.h>
#include <linux/virtio_net.h>
#include <linux/virtio_ring.h>

#include "chardev/char.h"
#include "hw/virtio/vhost-user-conn.h"
#include "hw/virtio/vhost-user.h"
#include "hw/virtio/vhost.h"
#include "net/net.h"
#include "system/hostmem.h"
#include "system/main-loop.h"
#include "system/memory.h"
#include "system/options.h"
#include "system/registry.h"
#include "util/trace.h"

#define VHOST_USER_NET_MAX_PAIRS    8
/* file=PATH: the implicit client socket retries this often. */
#define VHOST_USER_NET_FILE_RETRY   1000
/* A back-end that keeps failing is mentioned again this often. */
#define VHOST_USER_NET_REMIND_NS    (60 * 1000000000LL)
/* A back-end that comes and goes (each time working) is reported at most
 * this often: the rest goes to traces. */
#define VHOST_USER_NET_FLAP_NS      (5 * 1000000000LL)

/*
 * Ring features offered to the guest when no back-end is there at
 * start-up (every back-end in the field has them); a back-end that comes
 * later without a feature the guest acked is refused.
 */
#define VHOST_USER_NET_DEFAULT_FEATURES                                     \
    ((1ULL << VIRTIO_NET_F_MRG_RXBUF) | (1ULL << VIRTIO_RING_F_EVENT_IDX) |  \
     (1ULL << VIRTIO_RING_F_INDIRECT_DESC) | (1ULL << VIRTIO_F_VERSION_1))

typedef struct VhostUserNet {
    NetClientState *nc;
    Chardev *chr;
    const char *path;           /* the socket path (chr->label) */
    unsigned queues;            /* queue pairs asked with queues= */

    VhostUserConn conn;         /* the connection's state and timer */
    VhostUser *u;               /* from NEGOTIATING until DISCONNECTED */
    VhostDev dev;               /* works on the NIC's rings, in place */
    unsigned pairs;             /* active pairs (MQ) */

    char *last_error;           /* the error printed; quiet while set */
    long long last_report_ns;
    unsigned suppressed;
    long long gone_ns;          /* when the back-end went (reconnect time) */
    long long back_report_ns;   /* the last "is back" line */
} VhostUserNet;

/*
 * One error, then quiet: while the back-end keeps failing, later errors go
 * to traces, with a reminder now and then.  A working link resets it.
 */
static void vun_report(VhostUserNet *s, const char *msg, const char *hint)
{
    long long now = clock_ns();

    if (s->last_error) {
        s->suppressed++;
        trace(vhost_user_net_error_repeated, "%s: %s", s->nc->name, msg);
        if (now - s->last_report_ns < VHOST_USER_NET_REMIND_NS) {
            return;
        }
        error_report("%s: vhost-user back-end %s still fails (%u attempts "
                     "since the first error); latest: %s", s->nc->label,
                     s->path, s->suppressed, msg);
        s->last_report_ns = now;
        return;
    }
    s->last_error = g_strdup(msg);
    if (s->last_report_ns && now - s->last_report_ns < VHOST_USER_NET_FLAP_NS) {
        /* It worked in between, briefly: a flapping back-end. */
        s->suppressed++;
        trace(vhost_user_net_error_repeated, "%s: %s", s->nc->name, msg);
        return;
    }
    s->last_report_ns = now;
    s->suppressed = 0;
    if (hint) {
        error_report("%s: %s (%s)", s->nc->label, msg, hint);
    } else {
        error_report("%s: %s", s->nc->label, msg);
    }
}

static void vun_report_clear(VhostUserNet *s)
{
    g_free(s->last_error);
    s->last_error = NULL;
}

static void vun_report_err(VhostUserNet *s, Error *err)
{
    vun_report(s, error_get_pretty(err), error_get_hint(err));
    error_free(err);
}

static void vun_conn_fail(VhostUserNet *s, const char *why);

/* A request failed: report it once, and drop the connection later. */
static void vun_fail(VhostUserNet *s, Error *err)
{
    error_append_hint(&err, "%sthe link stays down; vmu retries the "
                      "connection", error_get_hint(err) ? "; " : "");
    vun_report_err(s, err);
    vun_conn_fail(s, "request failed");
}

/* Leaving STOPPING: the reset that waited for the back-end completes. */
static void vun_left_stopping(VhostUserNet *s, VhostUserConnState old)
{
    if (old == VHOST_USER_CONN_STOPPING &&
        s->conn.state != VHOST_USER_CONN_STOPPING) {
        net_peer_event(s->nc, NET_PEER_STOPPED);
    }
}

static void vun_set_state(VhostUserNet *s, VhostUserConnState st,
                          const char *why)
{
    VhostUserConnState old = s->conn.state;
    vhost_user_conn_set_state(&s->conn, st, why);
    vun_left_stopping(s, old);
}

static void vun_conn_fail(VhostUserNet *s, const char *why)
{
    VhostUserConnState old = s->conn.state;
    vhost_user_conn_fail(&s->conn, why);
    vun_left_stopping(s, old);
}

/*
 * FAILED's back-off ran out: drop the connection (a client reconnects, a
 * server takes the next client); the chardev's close brings us to
 * DISCONNECTED.
 */
static void vun_drop(void *opaque)
{
    VhostUserNet *s = opaque;
    trace(vhost_user_net_drop, "%s: %s", s->nc->name, s->path);
    chardev_disconnect(s->chr);
}

static const VhostUserConnOps vun_conn_ops = {
    .drop = vun_drop,
};

/* The back-end is gone (closed, or the connection failed): link down. */
static void vun_backend_gone(VhostUserNet *s, const char *why)
{
    bool was_ready = vhost_user_conn_is_ready(&s->conn);
    bool negotiating = s->conn.state == VHOST_USER_CONN_NEGOTIATING;

    vun_set_state(s, VHOST_USER_CONN_DISCONNECTED, why);
    if (!s->u) {
        return;
    }
    trace(vhost_user_net_gone, "%s: %s: %s", s->nc->name, s->path, why);
    if (s->dev.started) {
        /* No GET_VRING_BASE possible: resume from used->idx. */
        vhost_dev_backend_lost(&s->dev);
    }
    vhost_user_free(s->u);
    s->u = NULL;
    if (was_ready && !s->gone_ns) {
        s->gone_ns = clock_ns();    /* for "is back after N ms" */
    }
    if (was_ready) {
        char *msg = g_strdup_printf("vhost-user back-end %s %s; the link is "
                                    "down until it is back", s->path, why);
        vun_report(s, msg, NULL);
        g_free(msg);
    } else if (negotiating) {
        char *msg = g_strdup_printf("vhost-user back-end %s %s during the "
                                    "handshake", s->path, why);
        vun_report(s, msg, "the link stays down; vmu retries the connection");
        g_free(msg);
    }
    s->nc->link_down = true;
    net_peer_event(s->nc, NET_PEER_GONE);
}

static void vun_config_change(void *opaque)
{
    VhostUserNet *s = opaque;
    trace(vhost_user_net_config_change, "%s", s->nc->name);
    net_peer_event(s->nc, NET_PEER_CONFIG);
}

static const VhostUserBackendHandlers vun_handlers = {
    .config_change = vun_config_change,
};

/* A reply went wrong, or none came in time. */
static void vun_async_failed(void *opaque, Error *err)
{
    vun_fail(opaque, err);
}

static const VhostUserAsyncOps vun_async_ops = {
    .failed = vun_async_failed,
};

/* testpmd touches all of guest RAM while it takes the memory table. */
static int vun_mem_timeout_ms(void)
{
    unsigned nram;
    const RAMRange *ram = memory_map_ram(&nram);
    uint64_t mib = 0;
    for (unsigned i = 0; i < nram; i++) {
        mib += ram[i].size >> 20;
    }
    return 2 * VHOST_USER_DEFAULT_TIMEOUT_MS + mib * 16;
}

/* The back-end has everything but the rings: tell the NIC. */
static void vun_ready(VhostUser *u, void *opaque)
{
    VhostUserNet *s = opaque;

    vhost_user_set_timeout(u, VHOST_USER_DEFAULT_TIMEOUT_MS);
    vun_set_state(s, VHOST_USER_CONN_READY,
                              "handshake done");
    trace(vhost_user_net_ready, "%s: %s features 0x%" PRIx64 " protocol 0x%"
          PRIx64 " queues %u", s->nc->name, s->path, s->u->features,
          s->u->protocol_features, s->u->queue_num);
    s->nc->link_down = false;
    net_peer_event(s->nc, NET_PEER_READY);
}

/* The handshake answered: check the queues, hand over guest RAM. */
static void vun_negotiated(VhostUser *u, void *opaque)
{
    VhostUserNet *s = opaque;
    Error *err = NULL;

    if (!vhost_dev_init(&s->dev, &vhost_user_backend_ops, s->u, s->nc->label,
                        NULL, 0, &err)) {
        vun_fail(s, err);
        return;
    }
    if (s->queues > s->u->queue_num) {
        /* A configuration mismatch: keep the connection, link down. */
        char *msg = g_strdup_printf(
            "vhost-user back-end %s serves %u queue pair%s, queues=%u asks "
            "for more; the link stays down", s->path, s->u->queue_num,
            s->u->queue_num == 1 ? "" : "s", s->queues);
        vun_report(s, msg, vhost_user_has_protocol(s->u,
                   VHOST_USER_PROTOCOL_F_MQ) ? "start the back-end with more "
                   "queues, or lower queues=" : "the back-end does not offer "
                   "multiqueue (protocol feature MQ): use queues=1");
        g_free(msg);
        vun_set_state(s, VHOST_USER_CONN_REFUSED,
                                  "too few queue pairs");
        return;
    }
    /* Hand over guest RAM now rather than at DRIVER_OK: a back-end that
     * maps and pre-faults it (DPDK takes ~1 s per GiB) does so while the
     * guest boots, not while its driver waits. */
    unsigned nram;
    const RAMRange *ram = memory_map_ram(&nram);
    vhost_user_set_timeout(s->u, vun_mem_timeout_ms());
    if (!vhost_user_set_mem_table(s->u, ram, nram, &err)) {
        vun_fail(s, err);
        return;
    }
    vhost_user_when_idle(s->u, vun_ready, s);
}

/* A back-end connected: start the handshake; nothing here waits for it. */
static void vun_connect(VhostUserNet *s)
{
    Error *err = NULL;
    int fd = chardev_get_fd(s->chr);

    if (fd < 0 || s->u) {
        return;
    }
    trace(vhost_user_net_connected, "%s: %s fd %d", s->nc->name, s->path, fd);
    vun_set_state(s, VHOST_USER_CONN_NEGOTIATING,
                              "connected");
    s->u = vhost_user_new(fd, s->path);
    vhost_user_set_backend_handlers(s->u, &vun_handlers, s);
    vhost_user_set_async(s->u, &vun_async_ops, s);
    if (!vhost_user_handshake_async(s->u,
                                    VHOST_USER_FRONTEND_PROTOCOL_FEATURES,
                                    vun_negotiated, s, &err)) {
        vun_fail(s, err);
    }
}

static void vun_connect_cb(VhostUserConn *c)
{
    vun_connect(c->opaque);
}

static void vun_chr_event(void *opaque, ChrEvent ev)
{
    VhostUserNet *s = opaque;

    if (ev == CHR_EVENT_OPENED) {
        /* Not from inside the chardev's own callback. */
        if (s->conn.state == VHOST_USER_CONN_DISCONNECTED) {
            vun_set_state(s, VHOST_USER_CONN_CONNECTING,
                                      "socket open");
            vhost_user_conn_timer_arm(&s->conn, 0, vun_connect_cb);
        }
    } else {
        vun_backend_gone(s, "closed the connection");
    }
}

static const ChardevHandlers vun_chr_handlers = {
    .event = vun_chr_event,
};

/* ---- the NIC's side ---- */

static uint64_t vun_vhost_features(NetClientState *nc)
{
    VhostUserNet *s = nc->opaque;
    return vhost_user_conn_is_ready(&s->conn) ? s->u->features :
           VHOST_USER_NET_DEFAULT_FEATURES;
}

/* Feature names for errors. */
static char *feature_names(uint64_t f)
{
    static const struct { unsigned bit; const char *name; } names[] = {
        { VIRTIO_NET_F_CSUM, "CSUM" }, { VIRTIO_NET_F_GUEST_CSUM,
        "GUEST_CSUM" }, { VIRTIO_NET_F_MRG_RXBUF, "MRG_RXBUF" },
        { VIRTIO_NET_F_MQ, "MQ" }, { VIRTIO_RING_F_INDIRECT_DESC,
        "INDIRECT_DESC" }, { VIRTIO_RING_F_EVENT_IDX, "EVENT_IDX" },
        { VIRTIO_F_VERSION_1, "VERSION_1" }, { VIRTIO_F_ANY_LAYOUT,
        "ANY_LAYOUT" }, { VIRTIO_F_NOTIFY_ON_EMPTY, "NOTIFY_ON_EMPTY" },
    };
    GString *s = g_string_new(NULL);
    for (unsigned i = 0; i < G_N_ELEMENTS(names); i++) {
        if (f & (1ULL << names[i].bit)) {
            g_string_append_printf(s, "%s%s", s->len ? " " : "",
                                   names[i].name);
            f &= ~(1ULL << names[i].bit);
        }
    }
    for (unsigned b = 0; b < 64; b++) {
        if (f & (1ULL << b)) {
            g_string_append_printf(s, "%sbit %u", s->len ? " " : "", b);
        }
    }
    return g_string_free(s, FALSE);
}

static void vun_started(VhostUser *u, void *opaque);
static bool vun_running(VhostUserNet *s);

static bool vun_vhost_start(NetClientState *nc, uint64_t features,
                            VhostRing *rings, unsigned n, unsigned mtu,
                            Error **errp)
{
    VhostUserNet *s = nc->opaque;
    unsigned nram, nr;
    const RAMRange *ram;

    if (s->conn.state == VHOST_USER_CONN_FAILED) {
        error_setg(errp, "vhost-user back-end %s: the connection failed "
                   "earlier; the link stays down until vmu has replaced it",
                   s->path);
        return false;
    }
    /* A start right after a reset queues behind the stop's answers. */
    if (s->conn.state != VHOST_USER_CONN_READY &&
        s->conn.state != VHOST_USER_CONN_STOPPING) {
        error_setg(errp, "vhost-user back-end %s is not connected", s->path);
        return false;
    }
    uint64_t missing = features & ~s->u->features;
    if (missing) {
        char *names = feature_names(missing);
        error_setg(errp, "vhost-user back-end %s lacks features the guest "
                   "driver uses (%s); the link stays down", s->path, names);
        error_append_hint(errp, "use a back-end that offers them, or reset "
                          "the guest's driver");
        g_free(names);
        return false;
    }
    nr = (features & (1ULL << VIRTIO_NET_F_MQ)) ? n : 2;
    nr = MIN(nr, 2 * VHOST_USER_NET_MAX_PAIRS);
    nr = MIN(nr, 2 * s->u->queue_num);
    for (unsigned i = 0; i < nr; i++) {
        rings[i].disabled = i >= 2;     /* pairs past the first wait for MQ */
    }
    s->dev.rings = rings;
    s->dev.nrings = nr;
    s->pairs = 1;
    vun_set_state(s, VHOST_USER_CONN_STARTING,
                              "driver ready");
    ram = memory_map_ram(&nram);
    vhost_dev_set_memory(&s->dev, ram, nram);
    vhost_user_set_timeout(s->u, vun_mem_timeout_ms());

    bool ok = true;
    if (mtu && vhost_user_has_protocol(s->u,
                                       VHOST_USER_PROTOCOL_F_NET_MTU)) {
        ok = vhost_user_net_set_mtu(s->u, mtu, errp);
    }
    /* Sent, not answered yet: vun_started follows when it is. */
    ok = ok && vhost_dev_start(&s->dev, features, errp);
    if (!ok) {
        error_append_hint(errp, "%sthe link stays down; vmu retries the "
                          "connection", error_get_hint(*errp) ? "; " : "");
        /* Whatever the back-end took is unknown: start over. */
        vun_conn_fail(s, "start failed");
        return false;
    }
    if (!vhost_user_busy(s->u)) {
        /* Nothing to wait for (no acks, no barriers): running now, and
         * the NIC sees the link as it returns. */
        vun_running(s);
        return true;
    }
    /* The link comes up when the back-end has taken everything. */
    s->nc->link_down = true;
    vhost_user_when_idle(s->u, vun_started, s);
    return true;
}

/* Every request of the start sequence was answered: the link is up. */
static void vun_started(VhostUser *u, void *opaque)
{
    VhostUserNet *s = opaque;

    if (vun_running(s)) {
        s->nc->link_down = false;
        net_peer_event(s->nc, NET_PEER_READY);
    }
}

/* The back-end has the rings: kick them, apply the MQ pairs. */
static bool vun_running(VhostUserNet *s)
{
    Error *err = NULL;

    vhost_user_set_timeout(s->u, VHOST_USER_DEFAULT_TIMEOUT_MS);
    vun_set_state(s, VHOST_USER_CONN_RUNNING,
                              "rings started");
    /* Pairs the driver enabled while the rings were being handed over. */
    for (unsigned i = 2; i < s->dev.nrings && s->pairs > 1; i++) {
        if (!vhost_dev_enable_ring(&s->dev, i, i / 2 < s->pairs, &err)) {
            vun_fail(s, err);
            return false;
        }
    }
    /*
     * A ring starts on a kick; the guest kicked before (or the back-end
     * restarted) and will not again for buffers it already posted.
     */
    for (unsigned i = 0; i < s->dev.nrings; i++) {
        uint64_t one = 1;
        if (s->dev.rings[i].kick_fd >= 0 &&
            write(s->dev.rings[i].kick_fd, &one, sizeof(one)) < 0) {
            trace(vhost_user_net_kick_error, "%s: ring %u: %s", s->nc->name,
                  i, strerror(errno));
        }
    }
    vhost_user_conn_started(&s->conn);
    if (s->gone_ns) {
        long long now = clock_ns();
        if (now - s->back_report_ns >= VHOST_USER_NET_FLAP_NS) {
            info_report("%s: vhost-user back-end %s is back after %lld ms",
                        s->nc->label, s->path, (now - s->gone_ns) / 1000000);
            s->back_report_ns = now;
        }
        trace(vhost_user_net_back, "%s: after %lld ms", s->nc->name,
              (now - s->gone_ns) / 1000000);
        s->gone_ns = 0;
    }
    vun_report_clear(s);
    trace(vhost_user_net_start, "%s: %s rings %u features 0x%" PRIx64,
          s->nc->name, s->path, s->dev.nrings, s->dev.acked_features);
    return true;
}

/* GET_VRING_BASE answered for every ring. */
static void vun_stopped(VhostUser *u, void *opaque)
{
    VhostUserNet *s = opaque;
    vun_set_state(s, VHOST_USER_CONN_READY, "rings back");
}

static bool vun_vhost_stop(NetClientState *nc, VhostRing *rings,
                           unsigned n)
{
    VhostUserNet *s = nc->opaque;
    Error *err = NULL;

    if (s->conn.state == VHOST_USER_CONN_RUNNING ||
        s->conn.state == VHOST_USER_CONN_STARTING) {
        vun_set_state(s, VHOST_USER_CONN_STOPPING,
                                  "driver reset");
        /* SET_STATUS(0) and GET_VRING_BASE, answered later. */
        if (vhost_dev_stop(&s->dev, &err)) {
            vhost_user_when_idle(s->u, vun_stopped, s);
        } else {
            vun_fail(s, err);
        }
    }
    /*
     * The indices are in the NIC's rings already (the vhost device works
     * on them): after a reset they do not matter (the rings start from
     * 0); after a loss they came from used->idx (vhost_dev_backend_lost).
     */
    trace(vhost_user_net_stop, "%s: %s", nc->name, s->path);
    return s->conn.state != VHOST_USER_CONN_STOPPING;
}

static void vun_vhost_set_queue_pairs(NetClientState *nc, unsigned pairs)
{
    VhostUserNet *s = nc->opaque;
    Error *err = NULL;

    trace(vhost_user_net_queue_pairs, "%s: %u", nc->name, pairs);
    s->pairs = pairs;
    if (s->conn.state != VHOST_USER_CONN_RUNNING) {
        return;     /* STARTING applies them when it is done */
    }
    for (unsigned i = 2; i < s->dev.nrings; i++) {
        if (!vhost_dev_enable_ring(&s->dev, i, i / 2 < pairs, &err)) {
            vun_fail(s, err);
            return;
        }
    }
}

static void vun_cleanup(NetClientState *nc)
{
    VhostUserNet *s = nc->opaque;
    vhost_user_conn_cleanup(&s->conn);
    vhost_user_free(s->u);
    s->u = NULL;
}

static const NetClientOps vun_ops = {
    .type = "vhost-user",
    .vhost_features = vun_vhost_features,
    .vhost_start = vun_vhost_start,
    .vhost_stop = vun_vhost_stop,
    .vhost_set_queue_pairs = vun_vhost_set_queue_pairs,
    .cleanup = vun_cleanup,
};

/* ---- -netdev vhost-user ---- */

static const OptDesc vhost_user_desc[] = {
    { "chardev", OPT_STRING, "id of a socket chardev to the back-end" },
    { "queues", OPT_NUMBER, "queue pairs (1 to 8)" },
    { "vhostforce", OPT_BOOL, "accepted (vhost-user is always vhost)" },
    { "file", OPT_STRING, "the original spelling: a socket path (an "
      "implicit client socket that retries every second)" },
    { NULL },
};

static char *implicit_chardev_id(const char *netdev_id)
{
    return g_strdup_printf("vhost-user-%s", netdev_id);
}

static bool vhost_user_check(const Opts *o, Error **errp)
{
    const char *chr = opts_get(o, "chardev");
    const char *file = opts_get(o, "file");
    const char *id = opts_get(o, "id");

    if (chr && file) {
        opts_error(o, errp, "give chardev=ID or file=SOCKET, not both");
        return false;
    }
    if (!chr && !file) {
        opts_error(o, errp, "the back-end's socket is missing: add "
                   "-chardev socket,id=chr0,path=SOCKET and chardev=chr0");
        return false;
    }
    if (file && !*file) {
        opts_error(o, errp, "file= needs the back-end's socket path");
        return false;
    }
    if (file) {
        char *cid = implicit_chardev_id(id);
        bool taken = options_find(TYPE_KIND_CHARDEV, cid) != NULL;
        if (taken) {
            opts_error(o, errp, "file= creates chardev '%s', but a -chardev "
                       "with that id exists; use chardev=%s instead", cid,
                       cid);
        }
        g_free(cid);
        if (taken) {
            return false;
        }
    }
    if (chr) {
        const Opts *co = options_find(TYPE_KIND_CHARDEV, chr);
        if (!co) {
            opts_error(o, errp, "chardev=%s: there is no -chardev with id "
                       "'%s'; add -chardev socket,id=%s,path=SOCKET", chr,
                       chr, chr);
            return false;
        }
        const char *type = options_type(TYPE_KIND_CHARDEV, co);
        if (!type || strcmp(type, "socket")) {
            opts_error(o, errp, "chardev=%s is a '%s' chardev; vhost-user "
                       "needs a UNIX socket: -chardev socket,id=%s,"
                       "path=SOCKET", chr, type ? type : "?", chr);
            return false;
        }
        if (!chardev_socket_opts_unix(co)) {
            opts_error(o, errp, "chardev=%s: TCP sockets (host=, port=) "
                       "cannot carry vhost-user: it passes file descriptors, "
                       "which needs a UNIX socket; use path=PATH", chr);
            return false;
        }
        /* Start-up never waits on a back-end: a client retries every
         * second, a server does not wait (unless the user says so). */
        chardev_socket_set_policy(chr, VHOST_USER_NET_FILE_RETRY, false);
    }
    if (opts_has(o, "queues")) {
        uint64_t q = opts_get_number(o, "queues", 1);
        if (q < 1 || q > VHOST_USER_NET_MAX_PAIRS) {
            opts_error(o, errp, "queues=%" PRIu64 ": allowed values are 1 to "
                       "%u", q, VHOST_USER_NET_MAX_PAIRS);
            return false;
        }
    }
    return true;
}

/* Guest RAM must be mappable by another process: shared, with an fd. */
static bool check_guest_ram(const char *netdev, Error **errp)
{
    unsigned n;
    const RAMRange *ram = memory_map_ram(&n);

    for (unsigned i = 0; i < n; i++) {
        const HostMemoryBackend *be = ram[i].backend;
        if (!be || host_memory_backend_is_shareable(be)) {
            continue;
        }
        if (be->kind == HOSTMEM_RAM) {
            error_setg(errp, "netdev %s: vhost-user needs guest RAM that "
                       "the back-end can map, but memory backend '%s' is "
                       "memory-backend-ram (private, no file descriptor)",
                       netdev, be->id);
            error_append_hint(errp, "use -object memory-backend-memfd,id=%s,"
                              "size=...,share=on instead", be->id);
        } else if (be->mem_path && !strcmp(be->id, "pc.ram")) {
            error_setg(errp, "netdev %s: vhost-user needs guest RAM that "
                       "the back-end can map, but -mem-path %s maps it "
                       "private", netdev, be->mem_path);
            error_append_hint(errp, "write -mem-path %s,share=on, or use "
                              "-object memory-backend-file,id=mem,mem-path="
                              "%s,size=...,share=on -machine memory-backend="
                              "mem", be->mem_path, be->mem_path);
        } else {
            error_setg(errp, "netdev %s: vhost-user needs guest RAM that "
                       "the back-end can map, but memory backend '%s' (%s) "
                       "has share=off", netdev, be->id,
                       host_memory_backend_type(be));
            error_append_hint(errp, "add share=on to -object %s,id=%s",
                              host_memory_backend_type(be), be->id);
        }
        return false;
    }
    return true;
}

static Chardev *implicit_chardev(const Opts *o, Error **errp)
{
    const char *id = opts_get(o, "id");
    char *cid = implicit_chardev_id(id);
    char **parts = g_strsplit(opts_get(o, "file"), ",", -1);
    char *path = g_strjoinv(",,", parts);
    char *text = g_strdup_printf("socket,id=%s,path=%s,reconnect-ms=%u", cid,
                                 path, VHOST_USER_NET_FILE_RETRY);
    const TypeInfo *ti = type_lookup(TYPE_KIND_CHARDEV, "socket");
    Opts *co = opts_parse("-netdev vhost-user,file=", text, "backend", errp);
    Chardev *chr = NULL;

    if (co && ti && ti->create(co, errp)) {
        chr = chardev_find(cid);
    }
    opts_free(co);
    g_free(text);
    g_free(path);
    g_strfreev(parts);
    g_free(cid);
    return chr;
}

static bool vhost_user_create(const Opts *o, Error **errp)
{
    const char *id = opts_get(o, "id");
    const char *chr_id = opts_get(o, "chardev");
    Chardev *chr;

    if (!check_guest_ram(id, errp)) {
        return false;
    }
    chr = chr_id ? chardev_find(chr_id) : implicit_chardev(o, errp);
    if (!chr) {
        if (chr_id) {
            opts_error(o, errp, "chardev=%s was not created", chr_id);
        }
        return false;
    }
    if (strcmp(chr->type, "socket")) {
        opts_error(o, errp, "chardev=%s is a '%s' chardev; vhost-user needs "
                   "-chardev socket", chr->id, chr->type);
        return false;
    }

    VhostUserNet *s = g_new0(VhostUserNet, 1);
    s->queues = opts_get_number(o, "queues", 1);
    s->nc = net_client_new(&vun_ops, "vhost-user", id, s->queues, s);
    s->nc->link_down = true;
    s->chr = chr;
    s->path = chr->label;
    vhost_user_conn_init(&s->conn, s->nc->label, &vun_conn_ops, s);
    if (!chardev_claim(chr, s->nc->label, errp)) {
        return false;
    }
    chardev_set_handlers(chr, &vun_chr_handlers, s);
    trace(vhost_user_net_new, "%s: %s queues %u", id, s->path, s->queues);
    /* Connected already (client, or server with wait=on): handshake now,
     * so that the NIC offers the back-end's own features. */
    vun_connect(s);
    return true;
}

static const TypeInfo vhost_user_info = {
    .kind = TYPE_KIND_NETDEV,
    .name = "vhost-user",
    .help = "rings served by a vhost-user back-end",
    .opts = vhost_user_desc,
    .needs_id = true,
    .check = vhost_user_check,
    .create = vhost_user_create,
};

static void net_vhost_user_register(void)
{
    type_register(&vhost_user_info);
}
type_init(net_vhost_user_register)
