/*
 * -netdev tap: a host TAP interface (made with TUNSETIFF on /dev/net/tun, or
 * inherited fds), one fd per queue pair.  Frames go through virtio-net's
 * user-space path, as with -netdev socket; kernel vhost-net is not driven.
 */
#include <errno.h>
#include <fcntl.h>
#include <glib.h>
#include <inttypes.h>
#include <limits.h>
#include <linux/ethtool.h>
#include <linux/if_tun.h>
#include <linux/sockios.h>
#include <net/if.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "hw/net/virtio-net.h"
#include "net/net.h"
#include "system/main-loop.h"
#include "system/registry.h"
#include "util/trace.h"

#define TAP_MAX_QUEUES      VIRTIO_NET_MAX_PAIRS
#define TAP_VNET_HDR_LEN    VIRTIO_NET_HDR_LEN  /* what the NIC's guest uses */
#define TAP_BUF_LEN         (TAP_VNET_HDR_LEN + 65536 + 256)
#define TAP_READ_BUDGET     64      /* frames per wake-up: others get a turn */
#define TAP_SCRIPT_WAIT_S   60
#define TAP_DEFAULT_UP      "/etc/qemu-ifup"
#define TAP_DEFAULT_DOWN    "/etc/qemu-ifdown"
#define TAP_VHOST_DEV       "/dev/vhost-net"

/* Everything the options say, checked; nothing created. */
typedef struct TapConfig {
    char ifname[IFNAMSIZ];      /* "" : the kernel picks tapN */
    bool ifname_exists;         /* a persistent tap of that name is there */
    bool multi_queue;           /* open with IFF_MULTI_QUEUE */
    const char *script;         /* NULL: none */
    const char *downscript;
    int fds[TAP_MAX_QUEUES];    /* inherited (fd=, fds=) */
    unsigned nfds;              /* 0: open /dev/net/tun */
    unsigned queues;
    bool vnet_hdr;
    int sndbuf;
    bool vhost;                 /* vhost=on asked: warn, user space path */
} TapConfig;

typedef struct NetTap NetTap;

typedef struct TapQueue {
    NetTap *t;
    unsigned index;
    int fd;
    bool owned;                 /* opened here (not inherited) */
    guint rwatch;
} TapQueue;

struct NetTap {
    NetClientState *nc;
    char ifname[IFNAMSIZ];
    char *downscript;
    bool vnet_hdr;
    unsigned nq;
    TapQueue q[TAP_MAX_QUEUES];
    uint8_t *buf;               /* a read frame; kept while the NIC is full */
    size_t held_len;            /* 0: nothing held */
    RateLimit rl_tx, rl_rx;
    ExitNotifier exit;
};

/* ---- options ---- */

/* What an existing interface is, by its driver (ethtool works in this
 * network namespace; /sys/class/net shows the one sysfs was mounted in). */
typedef enum TapKind { TAP_KIND_OTHER, TAP_KIND_TUN, TAP_KIND_TAP } TapKind;

static TapKind tap_kind(const char *ifname)
{
    struct ethtool_drvinfo info = { .cmd = ETHTOOL_GDRVINFO };
    struct ifreq ifr = { .ifr_data = (void *)&info };
    int s = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    TapKind kind = TAP_KIND_OTHER;
    g_strlcpy(ifr.ifr_name, ifname, IFNAMSIZ);
    if (s >= 0 && ioctl(s, SIOCETHTOOL, &ifr) == 0 &&
        !strcmp(info.driver, "tun")) {
        /* The tun driver's bus_info is "tap" or "tun". */
        kind = !strcmp(info.bus_info, "tap") ? TAP_KIND_TAP : TAP_KIND_TUN;
    }
    if (s >= 0) {
        close(s);
    }
    return kind;
}

static bool tap_check_ifname(const Opts *o, TapConfig *c, Error **errp)
{
    const char *name = opts_get(o, "ifname");
    if (!name) {
        return true;
    }
    if (!*name || strlen(name) >= IFNAMSIZ || !strcmp(name, ".") ||
        !strcmp(name, "..") || strpbrk(name, "/: \t\n")) {
        opts_error(o, errp, "ifname=%s: an interface name has 1 to %d "
                   "characters and no '/', ':' or spaces", name,
                   IFNAMSIZ - 1);
        return false;
    }
    g_strlcpy(c->ifname, name, sizeof(c->ifname));
    if (!if_nametoindex(name)) {
        return true;
    }
    switch (tap_kind(name)) {
    case TAP_KIND_OTHER:
        opts_error(o, errp, "ifname=%s: an interface of that name exists and "
                   "is not a tap; choose another name", name);
        return false;
    case TAP_KIND_TUN:
        opts_error(o, errp, "ifname=%s is a tun (layer 3) device; vmu needs "
                   "a tap: ip tuntap add NAME mode tap", name);
        return false;
    case TAP_KIND_TAP:
        break;
    }
    c->ifname_exists = true;
    return true;
}

/* An inherited fd: open, a tap without packet information.  @what names
 * it in errors ("fd=3", "fds=3:4: fd 4"). */
static bool tap_check_fd(const Opts *o, const char *what, const char *text,
                         int *fd, unsigned *flags, char *name, Error **errp)
{
    uint64_t v;
    struct ifreq ifr = { 0 };
    if (!*text || !g_ascii_isdigit(*text) || !parse_uint(text, &v) ||
        v > INT_MAX) {
        opts_error(o, errp, "%s: '%s' is not an fd number", what, text);
        return false;
    }
    *fd = v;
    if (fcntl(*fd, F_GETFD) < 0) {
        opts_error(o, errp, "%s is not open in this process; pass the tap's "
                   "fd to vmu", what);
        return false;
    }
    if (ioctl(*fd, TUNGETIFF, &ifr) < 0) {
        opts_error(o, errp, "%s is not a tap device (TUNGETIFF: %s); pass an "
                   "fd of /dev/net/tun after TUNSETIFF", what,
                   strerror(errno));
        return false;
    }
    if (!(ifr.ifr_flags & IFF_TAP) || !(ifr.ifr_flags & IFF_NO_PI)) {
        opts_error(o, errp, "%s (%.*s) is %s; vmu needs IFF_TAP | IFF_NO_PI",
                   what, IFNAMSIZ, ifr.ifr_name,
                   ifr.ifr_flags & IFF_TAP ? "a tap with packet information"
                   : "a tun (layer 3) device");
        return false;
    }
    *flags = ifr.ifr_flags;
    memcpy(name, ifr.ifr_name, IFNAMSIZ);
    name[IFNAMSIZ - 1] = 0;
    return true;
}

static bool tap_check_fds(const Opts *o, TapConfig *c, Error **errp)
{
    const char *fd = opts_get(o, "fd"), *fds = opts_get(o, "fds");
    const char *key = fd ? "fd" : "fds";
    static const char *const not_with_fd[] = { "ifname", "script",
        "downscript", "vnet_hdr", "helper", "br" };
    for (unsigned i = 0; i < G_N_ELEMENTS(not_with_fd); i++) {
        if (opts_has(o, not_with_fd[i])) {
            opts_error(o, errp, "%s= and %s= exclude each other: %s= is a "
                       "tap made elsewhere; drop %s=", key, not_with_fd[i],
                       key, not_with_fd[i]);
            return false;
        }
    }
    if (fd && fds) {
        opts_error(o, errp, "fd= and fds= exclude each other: give fd=N for "
                   "one queue or fds=N:M:... for several");
        return false;
    }
    g_auto(GStrv) list = g_strsplit(fd ? fd : fds, ":", -1);
    unsigned n = g_strv_length(list);
    if (fd && c->queues > 1) {
        opts_error(o, errp, "fd= is one queue, but queues=%u; give fds= "
                   "with %u fds", c->queues, c->queues);
        return false;
    }
    if (fds && (n < 1 || n > TAP_MAX_QUEUES)) {
        opts_error(o, errp, "fds=%s: give 1 to %u fds, one per queue pair",
                   fds, TAP_MAX_QUEUES);
        return false;
    }
    if (fds && opts_has(o, "queues") && n != c->queues) {
        opts_error(o, errp, "fds=%s has %u fds but queues=%u; give one fd "
                   "per queue pair", fds, n, c->queues);
        return false;
    }
    unsigned flags0 = 0;
    for (unsigned i = 0; i < n; i++) {
        unsigned flags;
        char name[IFNAMSIZ];
        g_autofree char *what = fd ? g_strdup_printf("fd=%s", fd) :
                                g_strdup_printf("fds=%s: fd %s", fds, list[i]);
        if (!tap_check_fd(o, what, list[i], &c->fds[i], &flags, name,
                          errp)) {
            return false;
        }
        for (unsigned j = 0; j < i; j++) {
            if (c->fds[j] == c->fds[i]) {
                opts_error(o, errp, "fds=%s names fd %d twice; each queue "
                           "needs its own fd", fds, c->fds[i]);
                return false;
            }
        }
        if (i == 0) {
            flags0 = flags;
            memcpy(c->ifname, name, IFNAMSIZ);
        } else if (strcmp(name, c->ifname) || !(flags & IFF_MULTI_QUEUE)) {
            opts_error(o, errp, "fds=%s: fd %d is not another queue of %s "
                       "(each fd must be the same tap, opened with "
                       "IFF_MULTI_QUEUE)", fds, c->fds[i], c->ifname);
            return false;
        }
    }
    if (n > 1 && !(flags0 & IFF_MULTI_QUEUE)) {
        opts_error(o, errp, "fds=%s: %s was not opened with IFF_MULTI_QUEUE, "
                   "so it has one queue", fds, c->ifname);
        return false;
    }
    c->nfds = n;
    c->queues = n;
    c->vnet_hdr = flags0 & IFF_VNET_HDR;
    return true;
}

/* script=/downscript=: "no" or empty is none; unset is QEMU's default
 * script when it is there. */
static bool tap_check_script(const Opts *o, const char *key, const char *def,
                             const char **out, Error **errp)
{
    const char *path = opts_get(o, key);
    *out = NULL;
    if (!path) {
        if (access(def, X_OK) == 0) {
            *out = def;
        }
        return true;
    }
    if (!*path || !strcmp(path, "no")) {
        return true;
    }
    struct stat st;
    if (stat(path, &st) < 0) {
        opts_error(o, errp, "%s=%s: %s; give an executable script, or "
                   "%s=no", key, path, strerror(errno), key);
        return false;
    }
    if (!S_ISREG(st.st_mode) || access(path, X_OK) < 0) {
        opts_error(o, errp, "%s=%s is not an executable file; chmod +x it, "
                   "or give %s=no", key, path, key);
        return false;
    }
    *out = path;
    return true;
}

static bool tap_check_vhost(const Opts *o, TapConfig *c, Error **errp)
{
    static const char *const fds[] = { "vhostfd", "vhostfds" };
    bool present = access(TAP_VHOST_DEV, F_OK) == 0;
    for (unsigned i = 0; i < G_N_ELEMENTS(fds); i++) {
        if (opts_has(o, fds[i])) {
            opts_error(o, errp, "%s= is not supported: vmu does not drive "
                       "kernel vhost-net; drop it (frames then go through "
                       "vmu)", fds[i]);
            return false;
        }
    }
    bool force = opts_get_bool(o, "vhostforce", false);
    /* As in QEMU: vhostforce=on implies vhost=on unless vhost= says off. */
    c->vhost = opts_get_bool(o, "vhost", force);
    if (c->vhost && force) {
        if (!present) {
            opts_error(o, errp, "vhostforce=on: " TAP_VHOST_DEV " is "
                       "missing; load the module with modprobe vhost_net, "
                       "or drop vhostforce=on to use vmu's user-space data "
                       "path");
        } else {
            opts_error(o, errp, "vhostforce=on: vmu does not drive kernel "
                       "vhost-net yet; drop vhostforce=on to use vmu's "
                       "user-space data path");
        }
        return false;
    }
    return true;
}

static bool tap_parse(const Opts *o, TapConfig *c, Error **errp)
{
    static const char *const refused[] = { "helper", "br" };
    memset(c, 0, sizeof(*c));
    for (unsigned i = 0; i < G_N_ELEMENTS(refused); i++) {
        if (opts_has(o, refused[i])) {
            opts_error(o, errp, "%s= is not supported: vmu runs no bridge "
                       "helper; make the tap yourself (ip tuntap add NAME "
                       "mode tap; ip link set NAME master BRIDGE) and give "
                       "ifname=NAME,script=no", refused[i]);
            return false;
        }
    }
    uint64_t queues = opts_get_number(o, "queues", 1);
    if (queues < 1 || queues > TAP_MAX_QUEUES) {
        opts_error(o, errp, "queues=%" PRIu64 ": allowed values are 1 to %u "
                   "(vmu's virtio-net has at most %u queue pairs)", queues,
                   TAP_MAX_QUEUES, TAP_MAX_QUEUES);
        return false;
    }
    c->queues = queues;
    if (opts_has(o, "fd") || opts_has(o, "fds")) {
        if (!tap_check_fds(o, c, errp)) {
            return false;
        }
    } else {
        c->multi_queue = c->queues > 1;
        c->vnet_hdr = opts_get_bool(o, "vnet_hdr", true);
        if (access("/dev/net/tun", R_OK | W_OK) < 0) {
            opts_error(o, errp, "/dev/net/tun: %s; load the tun module "
                       "(modprobe tun)", strerror(errno));
            return false;
        }
        if (!tap_check_ifname(o, c, errp) ||
            !tap_check_script(o, "script", TAP_DEFAULT_UP, &c->script,
                              errp) ||
            !tap_check_script(o, "downscript", TAP_DEFAULT_DOWN,
                              &c->downscript, errp)) {
            return false;
        }
    }
    uint64_t sndbuf = opts_get_size(o, "sndbuf", 0);
    c->sndbuf = sndbuf && sndbuf < INT_MAX ? (int)sndbuf : INT_MAX;
    return tap_check_vhost(o, c, errp);
}

static bool tap_check(const Opts *opts, Error **errp)
{
    TapConfig c;
    return tap_parse(opts, &c, errp);
}

/* ---- the interface scripts ---- */

/* Run @script IFNAME and wait for it (bounded); false: it failed. */
static bool tap_run_script(const char *script, const char *ifname,
                           Error **errp)
{
    char *argv[] = { (char *)script, (char *)ifname, NULL };
    GError *gerr = NULL;
    GPid pid;
    int status;
    trace(net_tap_script, "%s %s", script, ifname);
    /* GLib closes every fd but 0-2 in the child, as QEMU does. */
    if (!g_spawn_async(NULL, argv, NULL, G_SPAWN_DO_NOT_REAP_CHILD, NULL,
                       NULL, &pid, &gerr)) {
        error_setg(errp, "cannot run %s %s: %s", script, ifname,
                   gerr->message);
        g_error_free(gerr);
        return false;
    }
    gint64 deadline = g_get_monotonic_time() +
                      TAP_SCRIPT_WAIT_S * G_USEC_PER_SEC;
    for (;;) {
        pid_t r = waitpid(pid, &status, WNOHANG);
        if (r == pid) {
            break;
        }
        if (r < 0 && errno != EINTR) {
            error_setg(errp, "%s %s: waitpid: %s", script, ifname,
                       strerror(errno));
            return false;
        }
        if (g_get_monotonic_time() > deadline) {
            kill(pid, SIGKILL);
            waitpid(pid, &status, 0);
            error_setg(errp, "%s %s did not finish within %d s and was "
                       "killed; fix the script or give script=no", script,
                       ifname, TAP_SCRIPT_WAIT_S);
            return false;
        }
        g_usleep(10 * 1000);
    }
    if (WIFEXITED(status) && WEXITSTATUS(status) == 0) {
        return true;
    }
    if (WIFEXITED(status)) {
        error_setg(errp, "%s %s failed with exit status %d", script, ifname,
                   WEXITSTATUS(status));
    } else {
        error_setg(errp, "%s %s was killed by signal %d", script, ifname,
                   WTERMSIG(status));
    }
    return false;
}

/* ---- the data path ---- */

static gboolean tap_readable(int fd, GIOCondition cond, void *opaque);

/* Stop reading every queue (the NIC is full); @current is dispatching. */
static void tap_pause(NetTap *t, TapQueue *current)
{
    for (unsigned i = 0; i < t->nq; i++) {
        if (t->q[i].rwatch && &t->q[i] != current) {
            g_source_remove(t->q[i].rwatch);
        }
        t->q[i].rwatch = 0;
    }
}

static void tap_watch(NetTap *t)
{
    for (unsigned i = 0; i < t->nq; i++) {
        if (t->q[i].fd >= 0 && !t->q[i].rwatch) {
            t->q[i].rwatch = main_loop_add_fd(t->q[i].fd, G_IO_IN,
                                              tap_readable, &t->q[i]);
        }
    }
}

/* The frame in t->buf to the NIC; false: the NIC is full, it stays.
 * With vnet_hdr the header goes too: the NIC checks it against the
 * offloads the guest took (set_offload). */
static bool tap_deliver(NetTap *t)
{
    size_t len = t->held_len;
    if (t->vnet_hdr && len < TAP_VNET_HDR_LEN) {
        t->held_len = 0;
        return true;
    }
    trace(net_tap_receive, "%s len %zu", t->nc->name, len);
    if (!net_deliver(t->nc, t->buf, len)) {
        return false;
    }
    t->held_len = 0;
    return true;
}

static void tap_queue_stop(TapQueue *q, int err)
{
    NetTap *t = q->t;
    error_report("netdev %s: reading tap %s (queue %u) failed: %s; that "
                 "queue stops", t->nc->name, t->ifname, q->index,
                 strerror(err));
    q->rwatch = 0;
    close(q->fd);
    q->fd = -1;
    for (unsigned i = 0; i < t->nq; i++) {
        if (t->q[i].fd >= 0) {
            return;
        }
    }
    net_set_link(t->nc, false);
}

static gboolean tap_readable(int fd, GIOCondition cond, void *opaque)
{
    TapQueue *q = opaque;
    NetTap *t = q->t;
    for (unsigned budget = TAP_READ_BUDGET; budget; budget--) {
        ssize_t n = read(fd, t->buf, TAP_BUF_LEN);
        if (n < 0 && errno == EINTR) {
            continue;
        }
        if (n < 0 && errno == EAGAIN) {
            break;
        }
        if (n <= 0) {
            tap_queue_stop(q, n < 0 ? errno : EIO);
            return G_SOURCE_REMOVE;
        }
        t->held_len = n;
        if (!tap_deliver(t)) {
            tap_pause(t, q);
            return G_SOURCE_REMOVE;
        }
    }
    return G_SOURCE_CONTINUE;
}

static void tap_resume(NetClientState *nc)
{
    NetTap *t = nc->opaque;
    if (t->held_len && !tap_deliver(t)) {
        return;
    }
    tap_watch(t);
}

/* A frame from the guest (with vnet_hdr, its virtio-net header in
 * front: the kernel fills checksums and segments).  A tap write does not
 * wait: what the kernel refuses (sndbuf full, interface down, a header
 * it does not take) is dropped, and said. */
static bool tap_receive(NetClientState *nc, const uint8_t *buf, size_t len)
{
    NetTap *t = nc->opaque;
    int fd = -1, err = 0;
    ssize_t n;
    /* Any queue takes any frame: the first one still open. */
    for (unsigned i = 0; i < t->nq && fd < 0; i++) {
        fd = t->q[i].fd;
    }
    if (fd < 0) {
        return true;
    }
    do {
        n = write(fd, buf, len);
        err = n < 0 ? errno : 0;
    } while (err == EINTR);
    trace(net_tap_send, "%s len %zu ret %zd", nc->name, len, n);
    if (n >= 0) {
        return true;
    }
    if (err == EAGAIN) {
        error_report_ratelimited(&t->rl_tx, "netdev %s: the kernel does not "
                                 "take frames on tap %s (its send buffer is "
                                 "full; see sndbuf=); frames dropped",
                                 nc->name, t->ifname);
    } else if (err == EIO) {
        error_report_ratelimited(&t->rl_tx, "netdev %s: tap %s is down "
                                 "(ip link set %s up); frames dropped",
                                 nc->name, t->ifname, t->ifname);
    } else {
        error_report_ratelimited(&t->rl_tx, "netdev %s: writing to tap %s "
                                 "failed: %s; frames dropped", nc->name,
                                 t->ifname, strerror(err));
    }
    return true;
}

static bool tap_vnet_hdr(NetClientState *nc)
{
    NetTap *t = nc->opaque;
    return t->vnet_hdr;
}

/* TUNSETOFFLOAD on every queue: what the kernel may hand us (partial
 * checksums, TSO frames), as the guest takes them. */
static void tap_set_offload(NetClientState *nc, uint64_t guest)
{
    NetTap *t = nc->opaque;
    unsigned flags = 0;
    if (guest & VIRTIO_NET_BIT(VIRTIO_NET_F_GUEST_CSUM)) {
        flags |= TUN_F_CSUM;
        flags |= guest & VIRTIO_NET_BIT(VIRTIO_NET_F_GUEST_TSO4) ?
                 TUN_F_TSO4 : 0;
        flags |= guest & VIRTIO_NET_BIT(VIRTIO_NET_F_GUEST_TSO6) ?
                 TUN_F_TSO6 : 0;
        if (flags & (TUN_F_TSO4 | TUN_F_TSO6)) {
            flags |= guest & VIRTIO_NET_BIT(VIRTIO_NET_F_GUEST_ECN) ?
                     TUN_F_TSO_ECN : 0;
        }
    }
    trace(net_tap_set_offload, "%s flags 0x%x", nc->name, flags);
    for (unsigned i = 0; i < t->nq; i++) {
        if (t->q[i].fd >= 0 && ioctl(t->q[i].fd, TUNSETOFFLOAD, flags) < 0) {
            error_report_ratelimited(&t->rl_rx, "netdev %s: tap %s: "
                                     "TUNSETOFFLOAD 0x%x failed: %s; the "
                                     "guest gets what the kernel sends",
                                     nc->name, t->ifname, flags,
                                     strerror(errno));
        }
    }
}

static const NetClientOps tap_ops = {
    .type = "tap",
    .receive = tap_receive,
    .resume = tap_resume,
    .vnet_hdr = tap_vnet_hdr,
    .set_offload = tap_set_offload,
};

/* ---- creation ---- */

static void tap_close_fds(NetTap *t)
{
    for (unsigned i = 0; i < t->nq; i++) {
        if (t->q[i].rwatch) {
            g_source_remove(t->q[i].rwatch);
            t->q[i].rwatch = 0;
        }
        if (t->q[i].fd >= 0) {
            close(t->q[i].fd);
            t->q[i].fd = -1;
        }
    }
}

static void tap_free(NetTap *t)
{
    tap_close_fds(t);
    g_free(t->downscript);
    g_free(t->buf);
    g_free(t);
}

/* At exit: the down script sees the interface still there, as in QEMU. */
static void tap_cleanup(void *opaque)
{
    NetTap *t = opaque;
    Error *err = NULL;
    for (unsigned i = 0; i < t->nq; i++) {
        if (t->q[i].rwatch) {
            g_source_remove(t->q[i].rwatch);
            t->q[i].rwatch = 0;
        }
    }
    if (t->downscript && !tap_run_script(t->downscript, t->ifname, &err)) {
        error_prepend(&err, "netdev %s: ", t->nc->name);
        error_report_err(err);
    }
    tap_close_fds(t);
}

/* Create or attach queue @i of the tap named in c->ifname (after queue 0,
 * the name the kernel gave). */
static int tap_open_queue(const Opts *o, const TapConfig *c, char *ifname,
                          Error **errp)
{
    struct ifreq ifr = { 0 };
    int fd = open("/dev/net/tun", O_RDWR | O_CLOEXEC | O_NONBLOCK);
    if (fd < 0) {
        opts_error(o, errp, "/dev/net/tun: %s; load the tun module "
                   "(modprobe tun)", strerror(errno));
        return -1;
    }
    ifr.ifr_flags = IFF_TAP | IFF_NO_PI | (c->vnet_hdr ? IFF_VNET_HDR : 0) |
                    (c->multi_queue ? IFF_MULTI_QUEUE : 0);
    g_strlcpy(ifr.ifr_name, ifname, IFNAMSIZ);
    int r = ioctl(fd, TUNSETIFF, &ifr);
    if (r < 0 && errno == EINVAL && c->ifname_exists && c->queues == 1) {
        /* The kernel attaches only with the flag the tap was made with:
         * one queue of a multi_queue tap is fine. */
        ifr.ifr_flags |= IFF_MULTI_QUEUE;
        r = ioctl(fd, TUNSETIFF, &ifr);
    }
    if (r == 0) {
        g_strlcpy(ifname, ifr.ifr_name, IFNAMSIZ);
        return fd;
    }
    int err = errno;
    const char *name = *ifname ? ifname : "NAME";
    close(fd);
    if (err == EPERM) {
        opts_error(o, errp, "%s: the kernel refused to %s the tap (TUNSETIFF: "
                   "%s); run vmu with CAP_NET_ADMIN, or make it once as root "
                   "with ip tuntap add %s mode tap user $USER%s and give "
                   "ifname=%s", *ifname ? ifname : "tap",
                   c->ifname_exists ? "attach" : "create", strerror(err),
                   name, c->multi_queue ? " multi_queue" : "", name);
    } else if (err == EBUSY) {
        opts_error(o, errp, "ifname=%s is busy (TUNSETIFF: %s): another "
                   "process has it open; close that process or choose "
                   "another ifname", name, strerror(err));
    } else if (err == EINVAL && c->ifname_exists) {
        opts_error(o, errp, "ifname=%s: the kernel refused to attach "
                   "(TUNSETIFF: %s): the existing tap was made without "
                   "multi_queue, which queues=%u needs; recreate it with ip "
                   "tuntap add %s mode tap multi_queue", name, strerror(err),
                   c->queues, name);
    } else {
        opts_error(o, errp, "ifname=%s: TUNSETIFF: %s", name, strerror(err));
    }
    return -1;
}

/* The ioctls every queue gets, inherited or not. */
static bool tap_setup_fd(const Opts *o, NetTap *t, int fd, int sndbuf,
                         Error **errp)
{
    int hdr = TAP_VNET_HDR_LEN;
    fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK);
    fcntl(fd, F_SETFD, FD_CLOEXEC);
    /* No offload until the guest takes some (tap_set_offload). */
    if (ioctl(fd, TUNSETOFFLOAD, 0) < 0 ||
        (t->vnet_hdr && ioctl(fd, TUNSETVNETHDRSZ, &hdr) < 0) ||
        ioctl(fd, TUNSETSNDBUF, &sndbuf) < 0) {
        opts_error(o, errp, "tap %s: setting up fd %d failed: %s", t->ifname,
                   fd, strerror(errno));
        return false;
    }
    return true;
}

static bool tap_create(const Opts *opts, Error **errp)
{
    TapConfig c;
    if (!tap_parse(opts, &c, errp)) {
        return false;
    }
    NetTap *t = g_new0(NetTap, 1);
    const char *id = opts_get(opts, "id");
    t->nq = c.queues;
    t->vnet_hdr = c.vnet_hdr;
    t->buf = g_malloc(TAP_BUF_LEN);
    g_strlcpy(t->ifname, c.ifname, sizeof(t->ifname));
    for (unsigned i = 0; i < t->nq; i++) {
        t->q[i] = (TapQueue) { .t = t, .index = i, .fd = -1 };
    }
    for (unsigned i = 0; i < t->nq; i++) {
        TapQueue *q = &t->q[i];
        q->owned = !c.nfds;
        q->fd = c.nfds ? c.fds[i] : tap_open_queue(opts, &c, t->ifname, errp);
        if (q->fd < 0 || !tap_setup_fd(opts, t, q->fd, c.sndbuf, errp)) {
            goto fail;
        }
    }
    if (c.script) {
        Error *err = NULL;
        if (!tap_run_script(c.script, t->ifname, &err)) {
            opts_error(opts, errp, "%s", error_get_pretty(err));
            error_free(err);
            goto fail;
        }
    }
    t->downscript = g_strdup(c.downscript);
    if (c.vhost) {
        warn_report("netdev %s: vhost=on: %s; frames go through vmu's "
                    "user-space data path instead", id,
                    access(TAP_VHOST_DEV, F_OK) ?
                    TAP_VHOST_DEV " is missing (modprobe vhost_net)" :
                    "vmu does not drive kernel vhost-net yet");
    }
    if (opts_has(opts, "poll-us")) {
        warn_report("netdev %s: poll-us ignored: it tunes kernel vhost-net "
                    "busy polling, which vmu does not use", id);
    }
    t->nc = net_client_new(&tap_ops, "tap", id, t->nq, t);
    trace(net_tap_create, "%s ifname %s queues %u vnet_hdr %d", id,
          t->ifname, t->nq, t->vnet_hdr);
    tap_watch(t);
    t->exit.fn = tap_cleanup;
    t->exit.opaque = t;
    exit_notifier_add(&t->exit);
    return true;

fail:
    /* Inherited fds stay the caller's: the process exits on this error. */
    for (unsigned i = 0; i < t->nq; i++) {
        if (!t->q[i].owned) {
            t->q[i].fd = -1;
        }
    }
    tap_free(t);
    return false;
}

static const OptDesc tap_desc[] = {
    { "ifname", OPT_STRING, "TAP interface name (default: the kernel's "
      "tapN)" },
    { "script", OPT_STRING, "run with IFNAME once the tap is made (default "
      TAP_DEFAULT_UP " when it exists; no: none)" },
    { "downscript", OPT_STRING, "run with IFNAME at exit (default "
      TAP_DEFAULT_DOWN " when it exists; no: none)" },
    { "fd", OPT_STRING, "an inherited TAP fd" },
    { "fds", OPT_STRING, "inherited TAP fds, one per queue, ':'-separated" },
    { "br", OPT_STRING, "not supported (no bridge helper)" },
    { "helper", OPT_STRING, "not supported (no bridge helper)" },
    { "vhost", OPT_BOOL, "kernel vhost-net: vmu warns and uses its own data "
      "path" },
    { "vhostfd", OPT_STRING, "not supported (no kernel vhost-net)" },
    { "vhostfds", OPT_STRING, "not supported (no kernel vhost-net)" },
    { "vhostforce", OPT_BOOL, "vhost-net or fail: refused" },
    { "queues", OPT_NUMBER, "queue pairs, 1 to 8 (IFF_MULTI_QUEUE)" },
    { "sndbuf", OPT_SIZE, "the kernel's send buffer limit (default no "
      "limit)" },
    { "vnet_hdr", OPT_BOOL, "the virtio-net header on the tap (default on)" },
    { "poll-us", OPT_NUMBER, "vhost-net busy polling: ignored" },
    { NULL, 0, NULL },
};

static const TypeInfo tap_info = {
    .kind = TYPE_KIND_NETDEV,
    .name = "tap",
    .help = "a host TAP interface",
    .opts = tap_desc,
    .needs_id = true,
    .check = tap_check,
    .create = tap_create,
};

static void net_tap_register(void)
{
    type_register(&tap_info);
}
type_init(net_tap_register)
