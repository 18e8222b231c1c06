/*
 * -netdev socket,fd=N: QEMU's stream socket netdev on an inherited fd.
 * Each frame goes with its length in 4 big-endian bytes in front.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <glib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "net/net.h"
#include "system/main-loop.h"
#include "system/options.h"
#include "system/registry.h"
#include "util/trace.h"

#define NET_SOCKET_MAX_FRAME    (65536 + 4096)
#define NET_SOCKET_MAX_BACKLOG  (8u << 20)

typedef struct NetSocket {
    NetClientState *nc;
    int fd;
    guint rwatch, wwatch;
    GByteArray *rx;             /* bytes read, not yet a whole frame */
    GByteArray *tx;             /* frames the socket did not take yet */
    bool held;                  /* rx holds a frame the NIC refused */
} NetSocket;

static void socket_close(NetSocket *s, const char *why)
{
    if (s->fd < 0) {
        return;
    }
    error_report("netdev %s: %s; the link is down", s->nc->name, why);
    if (s->rwatch) {
        g_source_remove(s->rwatch);
    }
    if (s->wwatch) {
        g_source_remove(s->wwatch);
    }
    s->rwatch = s->wwatch = 0;
    close(s->fd);
    s->fd = -1;
    net_set_link(s->nc, false);
    net_peer_event(s->nc, NET_PEER_GONE);
}

static gboolean socket_readable(int fd, GIOCondition cond, void *opaque);

/* Hand whole frames to the NIC; stop reading while it is full. */
static void socket_deliver(NetSocket *s)
{
    while (s->rx->len >= 4) {
        uint32_t len;
        memcpy(&len, s->rx->data, 4);
        len = ntohl(len);
        if (len > NET_SOCKET_MAX_FRAME) {
            socket_close(s, "the peer sent a frame longer than 69632 bytes");
            return;
        }
        if (s->rx->len < 4 + len) {
            break;
        }
        if (!net_deliver(s->nc, s->rx->data + 4, len)) {
            s->held = true;
            if (s->rwatch) {
                g_source_remove(s->rwatch);
                s->rwatch = 0;
            }
            return;
        }
        g_byte_array_remove_range(s->rx, 0, 4 + len);
    }
    s->held = false;
    if (s->fd >= 0 && !s->rwatch) {
        s->rwatch = main_loop_add_fd(s->fd, G_IO_IN | G_IO_HUP,
                                     socket_readable, s);
    }
}

static gboolean socket_readable(int fd, GIOCondition cond, void *opaque)
{
    NetSocket *s = opaque;
    uint8_t buf[65536];
    ssize_t n = read(fd, buf, sizeof(buf));
    if (n < 0 && (errno == EAGAIN || errno == EINTR)) {
        return G_SOURCE_CONTINUE;
    }
    if (n <= 0) {
        s->rwatch = 0;
        socket_close(s, n < 0 ? strerror(errno) : "the peer closed the "
                     "socket");
        return G_SOURCE_REMOVE;
    }
    g_byte_array_append(s->rx, buf, n);
    socket_deliver(s);
    return s->rwatch ? G_SOURCE_CONTINUE : G_SOURCE_REMOVE;
}

static void socket_resume(NetClientState *nc)
{
    NetSocket *s = nc->opaque;
    if (s->held) {
        socket_deliver(s);
    }
}

static void socket_flush(NetSocket *s);

static gboolean socket_writable(int fd, GIOCondition cond, void *opaque)
{
    NetSocket *s = opaque;
    socket_flush(s);
    if (s->tx->len && s->fd >= 0) {
        return G_SOURCE_CONTINUE;
    }
    s->wwatch = 0;
    return G_SOURCE_REMOVE;
}

static void socket_flush(NetSocket *s)
{
    while (s->tx->len && s->fd >= 0) {
        ssize_t n = send(s->fd, s->tx->data, s->tx->len,
                         MSG_DONTWAIT | MSG_NOSIGNAL);
        if (n < 0 && errno == EINTR) {
            continue;
        }
        if (n < 0 && errno == EAGAIN) {
            if (!s->wwatch) {
                s->wwatch = main_loop_add_fd(s->fd, G_IO_OUT,
                                             socket_writable, s);
            }
            return;
        }
        if (n < 0) {
            socket_close(s, strerror(errno));
            return;
        }
        g_byte_array_remove_range(s->tx, 0, n);
    }
}

static bool socket_receive(NetClientState *nc, const uint8_t *buf,
                           size_t len)
{
    NetSocket *s = nc->opaque;
    static RateLimit rl;
    if (s->fd < 0) {
        return true;
    }
    if (s->tx->len > NET_SOCKET_MAX_BACKLOG) {
        error_report_ratelimited(&rl, "netdev %s: the peer does not read; "
                                 "frames dropped", nc->name);
        return true;
    }
    uint32_t be = htonl(len);
    g_byte_array_append(s->tx, (uint8_t *)&be, 4);
    g_byte_array_append(s->tx, buf, len);
    trace(net_socket_send, "%s len %zu", nc->name, len);
    socket_flush(s);
    return true;
}

static const NetClientOps socket_ops = {
    .type = "socket",
    .receive = socket_receive,
    .resume = socket_resume,
};

static const OptDesc socket_desc[] = {
    { "fd", OPT_NUMBER, "an inherited connected stream socket" },
    { "listen", OPT_STRING, "not supported yet" },
    { "connect", OPT_STRING, "not supported yet" },
    { "mcast", OPT_STRING, "not supported yet" },
    { "udp", OPT_STRING, "not supported yet" },
    { "localaddr", OPT_STRING, "not supported yet" },
    { NULL },
};

static bool socket_check(const Opts *opts, Error **errp)
{
    static const char *const other[] = { "listen", "connect", "mcast", "udp",
                                         "localaddr" };
    for (unsigned i = 0; i < G_N_ELEMENTS(other); i++) {
        if (opts_has(opts, other[i])) {
            opts_error(opts, errp, "%s= is not supported yet; pass a "
                       "connected stream socket with fd=N", other[i]);
            return false;
        }
    }
    if (!opts_has(opts, "fd")) {
        opts_error(opts, errp, "give fd=N, a connected stream socket this "
                   "process inherited");
        return false;
    }
    return true;
}

static bool socket_create(const Opts *opts, Error **errp)
{
    int fd = opts_get_number(opts, "fd", 0);
    int type;
    socklen_t tl = sizeof(type);
    if (fcntl(fd, F_GETFD) < 0) {
        opts_error(opts, errp, "fd=%d is not open in this process", fd);
        return false;
    }
    if (getsockopt(fd, SOL_SOCKET, SO_TYPE, &type, &tl) < 0 ||
        type != SOCK_STREAM) {
        opts_error(opts, errp, "fd=%d is not a stream socket", fd);
        return false;
    }
    fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK);
    fcntl(fd, F_SETFD, FD_CLOEXEC);
    NetSocket *s = g_new0(NetSocket, 1);
    s->fd = fd;
    s->rx = g_byte_array_new();
    s->tx = g_byte_array_new();
    s->nc = net_client_new(&socket_ops, "socket", opts_get(opts, "id"), 1, s);
    s->rwatch = main_loop_add_fd(fd, G_IO_IN | G_IO_HUP, socket_readable, s);
    return true;
}

static const TypeInfo socket_info = {
    .kind = TYPE_KIND_NETDEV,
    .name = "socket",
    .help = "a stream socket on an inherited fd (fd=N)",
    .opts = socket_desc,
    .needs_id = true,
    .check = socket_check,
    .create = socket_create,
};

static void net_socket_register(void)
{
    type_register(&socket_info);
}
type_init(net_socket_register)
