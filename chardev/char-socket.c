/*
 * The socket chardev: a UNIX or TCP stream socket, as client (connect, retry
 * every reconnect-ms) or server (listen, accept one client at a time).
 * Owners such as vhost-user take the connected fd and do their own I/O;
 * stream owners (a serial port) write through socket_write, which never
 * blocks: bytes the peer does not take are dropped.
 */
#include <errno.h>
#include <fcntl.h>
#include <glib.h>
#include <limits.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "chardev/char.h"
#include "system/main-loop.h"
#include "system/registry.h"
#include "util/trace.h"
#include "util/unix-socket.h"

typedef struct SocketChardev {
    Chardev parent;
    char *path;                 /* UNIX path, or "tcp:HOST:PORT" for TCP */
    char *host, *port;          /* TCP only (host NULL: UNIX) */
    bool nodelay;
    bool telnet;                /* strip the client's IAC sequences */
    int telnet_state;           /* where in an IAC sequence the input is */
    int connecting_fd;          /* TCP client: connect in progress */
    guint connecting_watch;
    bool server;
    unsigned reconnect_ms;      /* client: 0 = no retry */
    int listen_fd;
    int fd;                     /* the connection, -1 when none */
    guint listen_watch;
    guint conn_watch;
    guint retry_timer;
    bool created_file;
    ExitNotifier exit_n;
    RateLimit retry_rl;
    RateLimit drop_rl;
    uint64_t dropped;
} SocketChardev;

static gboolean socket_conn_event(int fd, GIOCondition cond, void *opaque);
static gboolean socket_accept_event(int fd, GIOCondition cond, void *opaque);
static void socket_schedule_retry(SocketChardev *s);

/* HOST:PORT to addresses; an empty host is every address for a server. */
static struct addrinfo *socket_tcp_resolve(SocketChardev *s, bool passive,
                                           Error **errp)
{
    struct addrinfo hints = { .ai_socktype = SOCK_STREAM,
                              .ai_flags = passive ? AI_PASSIVE : 0 };
    struct addrinfo *res = NULL;
    const char *host = s->host && *s->host ? s->host : NULL;
    int r = getaddrinfo(host ? host : (passive ? NULL : "localhost"),
                        s->port, &hints, &res);
    if (r) {
        error_setg(errp, "chardev '%s': cannot resolve %s: %s", s->parent.id,
                   s->path, gai_strerror(r));
        return NULL;
    }
    return res;
}

/*
 * Telnet (telnet=on): vmu negotiates nothing; the client's commands
 * (IAC verb option, IAC SB ... IAC SE) are taken out of the byte stream and
 * IAC IAC is a literal 0xff.  Returns the new length.
 */
enum { TN_DATA, TN_IAC, TN_OPTION, TN_SB, TN_SB_IAC };
static size_t socket_telnet_strip(SocketChardev *s, uint8_t *buf, size_t len)
{
    size_t out = 0;
    for (size_t i = 0; i < len; i++) {
        uint8_t c = buf[i];
        switch (s->telnet_state) {
        case TN_DATA:
            if (c == 255) {
                s->telnet_state = TN_IAC;
            } else {
                buf[out++] = c;
            }
            break;
        case TN_IAC:
            if (c == 255) {
                buf[out++] = c;
                s->telnet_state = TN_DATA;
            } else if (c == 250) {
                s->telnet_state = TN_SB;
            } else if (c >= 251) {
                s->telnet_state = TN_OPTION;    /* WILL WONT DO DONT */
            } else {
                s->telnet_state = TN_DATA;      /* a two-byte command */
            }
            break;
        case TN_OPTION:
            s->telnet_state = TN_DATA;
            break;
        case TN_SB:
            if (c == 255) {
                s->telnet_state = TN_SB_IAC;
            }
            break;
        case TN_SB_IAC:
            s->telnet_state = c == 240 ? TN_DATA : TN_SB;
            break;
        }
    }
    return out;
}

/* Tell the owner and watch the connection for hang-up (and bytes). */
static void socket_connected(SocketChardev *s, int fd)
{
    GIOCondition cond = G_IO_HUP | G_IO_ERR;

    s->fd = fd;
    s->telnet_state = TN_DATA;
    if (s->host && s->nodelay) {
        int one = 1;
        setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
    }
    if (s->parent.handlers && s->parent.handlers->read) {
        cond |= G_IO_IN;
    }
    s->conn_watch = main_loop_add_fd(fd, cond, socket_conn_event, s);
    trace(chardev_socket_connected, "%s fd %d", s->path, fd);
    chardev_event(&s->parent, CHR_EVENT_OPENED);
}

static void socket_drop(SocketChardev *s)
{
    if (s->fd < 0) {
        return;
    }
    if (s->conn_watch) {
        g_source_remove(s->conn_watch);
        s->conn_watch = 0;
    }
    close(s->fd);
    s->fd = -1;
    trace(chardev_socket_closed, "%s", s->path);
    chardev_event(&s->parent, CHR_EVENT_CLOSED);
    if (s->server) {
        if (!s->listen_watch && s->listen_fd >= 0) {
            s->listen_watch = main_loop_add_fd(s->listen_fd, G_IO_IN,
                                               socket_accept_event, s);
        }
    } else {
        socket_schedule_retry(s);
    }
}

static gboolean socket_conn_event(int fd, GIOCondition cond, void *opaque)
{
    SocketChardev *s = opaque;

    if (cond & G_IO_IN) {
        uint8_t buf[4096];
        ssize_t n = recv(fd, buf, sizeof(buf), MSG_DONTWAIT);
        if (n > 0) {
            size_t len = s->telnet ? socket_telnet_strip(s, buf, n) : (size_t)n;
            if (len) {
                chardev_received(&s->parent, buf, len);
            }
            return G_SOURCE_CONTINUE;
        }
        if (n < 0 && (errno == EAGAIN || errno == EINTR)) {
            return G_SOURCE_CONTINUE;
        }
    } else if (!(cond & (G_IO_HUP | G_IO_ERR))) {
        return G_SOURCE_CONTINUE;
    }
    s->conn_watch = 0;
    socket_drop(s);
    return G_SOURCE_REMOVE;
}

static gboolean socket_connect_done(int fd, GIOCondition cond, void *opaque)
{
    SocketChardev *s = opaque;
    int err = 0;
    socklen_t len = sizeof(err);

    s->connecting_watch = 0;
    s->connecting_fd = -1;
    if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len) < 0) {
        err = errno;
    }
    if (err) {
        close(fd);
        trace(chardev_socket_retry, "%s: %s", s->path, strerror(err));
        socket_schedule_retry(s);
    } else {
        socket_connected(s, fd);
    }
    return G_SOURCE_REMOVE;
}

/*
 * TCP: a non-blocking connect to the first address that answers.  At
 * start-up (@wait_ms) an attempt in progress is waited for; later the main
 * loop finishes it, so a slow peer never holds the guest.
 */
static int socket_tcp_connect(SocketChardev *s, unsigned wait_ms)
{
    struct addrinfo *res = socket_tcp_resolve(s, false, NULL), *ai;
    int err = -EHOSTUNREACH;

    for (ai = res; ai; ai = ai->ai_next) {
        int fd = socket(ai->ai_family, ai->ai_socktype | SOCK_CLOEXEC |
                        SOCK_NONBLOCK, ai->ai_protocol);
        if (fd < 0) {
            err = -errno;
            continue;
        }
        if (connect(fd, ai->ai_addr, ai->ai_addrlen) == 0) {
            freeaddrinfo(res);
            socket_connected(s, fd);
            return 0;
        }
        err = -errno;
        if (errno == EINPROGRESS && wait_ms) {
            struct pollfd p = { .fd = fd, .events = POLLOUT };
            int e = 0;
            socklen_t len = sizeof(e);
            if (poll(&p, 1, wait_ms) == 1 &&
                getsockopt(fd, SOL_SOCKET, SO_ERROR, &e, &len) == 0 && !e) {
                freeaddrinfo(res);
                socket_connected(s, fd);
                return 0;
            }
            err = e ? -e : -ETIMEDOUT;
        } else if (errno == EINPROGRESS) {
            freeaddrinfo(res);
            s->connecting_fd = fd;
            s->connecting_watch = main_loop_add_fd(fd, G_IO_OUT | G_IO_ERR |
                                                   G_IO_HUP,
                                                   socket_connect_done, s);
            return -EINPROGRESS;
        }
        close(fd);
    }
    if (res) {
        freeaddrinfo(res);
    }
    return err;
}

/* One non-blocking connect; 0 or -errno. */
static int socket_try_connect(SocketChardev *s)
{
    int fd;

    if (s->host) {
        return socket_tcp_connect(s, 0);
    }
    fd = unix_socket_connect(s->path, NULL);
    if (fd < 0) {
        return fd;
    }
    socket_connected(s, fd);
    return 0;
}

static gboolean socket_retry(void *opaque)
{
    SocketChardev *s = opaque;
    int r;

    s->retry_timer = 0;
    if (s->fd >= 0) {
        return G_SOURCE_REMOVE;
    }
    r = socket_try_connect(s);
    trace(chardev_socket_retry, "%s: %s", s->path, r ? strerror(-r) : "ok");
    if (r < 0 && r != -EINPROGRESS) {
        socket_schedule_retry(s);
    }
    return G_SOURCE_REMOVE;
}

static void socket_schedule_retry(SocketChardev *s)
{
    if (s->server || !s->reconnect_ms || s->retry_timer) {
        return;
    }
    s->retry_timer = main_loop_add_timer_ms(s->reconnect_ms, socket_retry, s);
}

static gboolean socket_accept_event(int fd, GIOCondition cond, void *opaque)
{
    SocketChardev *s = opaque;
    int conn = accept4(fd, NULL, NULL, SOCK_CLOEXEC | SOCK_NONBLOCK);

    if (conn < 0) {
        if (errno != EAGAIN && errno != EINTR && errno != ECONNABORTED) {
            error_report_ratelimited(&s->retry_rl, "chardev '%s': cannot "
                                     "accept a connection on %s: %s",
                                     s->parent.id, s->path, strerror(errno));
        }
        return G_SOURCE_CONTINUE;
    }
    if (s->fd >= 0) {
        /* One client at a time, as QEMU: the listen watch is off then. */
        close(conn);
        return G_SOURCE_CONTINUE;
    }
    s->listen_watch = 0;
    socket_connected(s, conn);
    return G_SOURCE_REMOVE;
}

static void socket_unlink(SocketChardev *s)
{
    if (s->created_file) {
        unlink(s->path);
        s->created_file = false;
    }
}

static void socket_close(Chardev *chr)
{
    SocketChardev *s = (SocketChardev *)chr;

    if (s->connecting_watch) {
        g_source_remove(s->connecting_watch);
        s->connecting_watch = 0;
    }
    if (s->connecting_fd >= 0) {
        close(s->connecting_fd);
        s->connecting_fd = -1;
    }
    if (s->retry_timer) {
        g_source_remove(s->retry_timer);
        s->retry_timer = 0;
    }
    if (s->listen_watch) {
        g_source_remove(s->listen_watch);
        s->listen_watch = 0;
    }
    if (s->conn_watch) {
        g_source_remove(s->conn_watch);
        s->conn_watch = 0;
    }
    if (s->fd >= 0) {
        close(s->fd);
        s->fd = -1;
    }
    if (s->listen_fd >= 0) {
        close(s->listen_fd);
        s->listen_fd = -1;
    }
    socket_unlink(s);
}

static void socket_exit(void *opaque)
{
    socket_close(opaque);
}

static int socket_get_fd(Chardev *chr)
{
    return ((SocketChardev *)chr)->fd;
}

static void socket_disconnect(Chardev *chr)
{
    socket_drop((SocketChardev *)chr);
}

static long socket_write(Chardev *chr, const void *buf, size_t len)
{
    SocketChardev *s = (SocketChardev *)chr;
    ssize_t n;

    if (s->fd < 0) {
        return (long)len;       /* nobody there: the bytes are dropped */
    }
    n = send(s->fd, buf, len, MSG_NOSIGNAL | MSG_DONTWAIT);
    if (n < (ssize_t)len) {
        /* The peer does not read: drop rather than hold the guest. */
        s->dropped += len - (n < 0 ? 0 : n);
        error_report_ratelimited(&s->drop_rl, "chardev '%s': the peer on %s "
                                 "does not read; output dropped so far: %"
                                 G_GUINT64_FORMAT " byte%s", s->parent.id ?
                                 s->parent.id : s->parent.label, s->path,
                                 s->dropped, s->dropped == 1 ? "" : "s");
    }
    return n < 0 ? 0 : n;
}

static void socket_start_read(Chardev *chr)
{
    SocketChardev *s = (SocketChardev *)chr;

    if (s->fd >= 0 && s->conn_watch) {
        g_source_remove(s->conn_watch);
        s->conn_watch = main_loop_add_fd(s->fd, G_IO_IN | G_IO_HUP | G_IO_ERR,
                                         socket_conn_event, s);
    }
}

static const ChardevOps socket_ops = {
    .write = socket_write,
    .start_read = socket_start_read,
    .get_fd = socket_get_fd,
    .disconnect = socket_disconnect,
    .close = socket_close,
};

static bool socket_tcp_listen(SocketChardev *s, Error **errp)
{
    struct addrinfo *res = socket_tcp_resolve(s, true, errp), *ai;
    int fd = -1, err = 0;

    if (!res) {
        return false;
    }
    for (ai = res; ai && fd < 0; ai = ai->ai_next) {
        int one = 1;
        fd = socket(ai->ai_family, ai->ai_socktype | SOCK_CLOEXEC |
                    SOCK_NONBLOCK, ai->ai_protocol);
        if (fd < 0) {
            err = errno;
            continue;
        }
        /* A port a previous run left in TIME_WAIT is free to take. */
        setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
        if (bind(fd, ai->ai_addr, ai->ai_addrlen) < 0 || listen(fd, 1) < 0) {
            err = errno;
            close(fd);
            fd = -1;
        }
    }
    freeaddrinfo(res);
    if (fd < 0) {
        error_setg_errno(errp, err, "chardev '%s': cannot listen on %s",
                         s->parent.id, s->path);
        error_append_hint(errp, "choose a free port");
        return false;
    }
    s->listen_fd = fd;
    s->listen_watch = main_loop_add_fd(fd, G_IO_IN, socket_accept_event, s);
    return true;
}

static bool socket_listen(SocketChardev *s, Error **errp)
{
    int fd;

    if (s->host) {
        return socket_tcp_listen(s, errp);
    }
    /* A socket file already there (left by a process that died): take its
     * place, as QEMU does. */
    fd = unix_socket_listen(s->path, UNIX_SOCKET_REPLACE_ANY, errp);
    if (fd < 0) {
        error_prepend(errp, "chardev '%s': ", s->parent.id);
        return false;
    }
    s->created_file = true;
    s->listen_fd = fd;
    s->listen_watch = main_loop_add_fd(fd, G_IO_IN, socket_accept_event, s);
    return true;
}

/* fd=N (libvirt's monitor): a socket the caller bound and listens on. */
static bool socket_listen_fd(SocketChardev *s, int fd, Error **errp)
{
    int listening = 0;
    socklen_t len = sizeof(listening);
    if (getsockopt(fd, SOL_SOCKET, SO_ACCEPTCONN, &listening, &len) < 0 ||
        !listening) {
        error_setg(errp, "chardev '%s': fd=%d is not a listening socket; "
                   "pass a bound socket after listen(), or use path=",
                   s->parent.id, fd);
        return false;
    }
    fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK);
    fcntl(fd, F_SETFD, FD_CLOEXEC);
    s->listen_fd = fd;
    s->listen_watch = main_loop_add_fd(fd, G_IO_IN, socket_accept_event, s);
    return true;
}

/* wait=on: run the main loop (signals still work) until a client comes. */
static bool socket_wait_client(SocketChardev *s, Error **errp)
{
    info_report("waiting for connection on %s", s->path);
    while (s->fd < 0) {
        if (shutdown_requested()) {
            error_setg(errp, "chardev '%s': interrupted while waiting for a "
                       "connection on %s", s->parent.id, s->path);
            return false;
        }
        g_main_context_iteration(NULL, TRUE);
    }
    return true;
}

/* @host non-NULL: TCP to host:port (@path is then "tcp:HOST:PORT"). */
static Chardev *socket_chardev_open(const char *id, const char *path,
                                    const char *host, const char *port,
                                    bool server, bool wait,
                                    unsigned reconnect_ms, int fd,
                                    Error **errp)
{
    SocketChardev *s = (SocketChardev *)chardev_new(id, "socket", path,
                                                    &socket_ops,
                                                    sizeof(SocketChardev));
    s->path = g_strdup(path);
    s->host = g_strdup(host);
    s->port = g_strdup(port);
    s->connecting_fd = -1;
    s->server = server;
    s->reconnect_ms = server ? 0 : reconnect_ms;
    s->listen_fd = -1;
    s->fd = -1;
    s->exit_n.fn = socket_exit;
    s->exit_n.opaque = s;
    exit_notifier_add(&s->exit_n);

    if (server) {
        if (fd >= 0 ? !socket_listen_fd(s, fd, errp) :
            !socket_listen(s, errp)) {
            socket_close(&s->parent);
            return NULL;
        }
        if (wait && !socket_wait_client(s, errp)) {
            socket_close(&s->parent);
            return NULL;
        }
        return &s->parent;
    }

    int r = s->host ? socket_tcp_connect(s, 10000) : socket_try_connect(s);
    if (r < 0) {
        if (!s->reconnect_ms) {
            error_setg(errp, "chardev '%s': cannot connect to %s: %s", id,
                       path, strerror(-r));
            error_append_hint(errp, "start the back-end first, or add "
                              "reconnect-ms=1000 to keep trying");
            socket_close(&s->parent);
            return NULL;
        }
        trace(chardev_socket_retry, "%s: %s", path, strerror(-r));
        socket_schedule_retry(s);
    }
    return &s->parent;
}

static const OptDesc socket_desc[] = {
    { "path", OPT_STRING, "the UNIX socket path" },
    { "host", OPT_STRING, "TCP: the host to connect to or listen on" },
    { "port", OPT_STRING, "TCP: the port" },
    { "nodelay", OPT_BOOL, "TCP: send each write at once (TCP_NODELAY)" },
    { "telnet", OPT_BOOL, "strip the telnet commands a client sends" },
    { "server", OPT_BOOL, "listen instead of connecting (default off)" },
    { "wait", OPT_BOOL, "server: wait for a client before starting "
      "(default on)" },
    { "reconnect", OPT_NUMBER, "client: retry every S seconds" },
    { "reconnect-ms", OPT_NUMBER, "client: retry every MS milliseconds" },
    { "abstract", OPT_BOOL, "not supported" },
    { "tight", OPT_BOOL, "not supported" },
    { "to", OPT_NUMBER, "not supported (TCP)" },
    { "ipv4", OPT_BOOL, "not supported (TCP)" },
    { "ipv6", OPT_BOOL, "not supported (TCP)" },
    { "fd", OPT_STRING, "server: an inherited listening socket (libvirt's)" },
    { "websocket", OPT_BOOL, "not supported" },
    { "tls-creds", OPT_STRING, "not supported" },
    { "tls-authz", OPT_STRING, "not supported" },
    { "mux", OPT_BOOL, "off only" },
    { "logfile", OPT_STRING, "not supported" },
    { "logappend", OPT_BOOL, "not supported" },
    { 0 },
};

/* TCP keys: host= and port= together, never with path=. */
static bool socket_check_tcp(const Opts *opts, Error **errp)
{
    static const char *const later[] = { "to", "ipv4", "ipv6" };

    for (unsigned i = 0; i < G_N_ELEMENTS(later); i++) {
        if (opts_has(opts, later[i])) {
            opts_error(opts, errp, "'%s' is not supported by vmu's TCP "
                       "socket chardev (it takes host=, port=, server=, "
                       "wait=, nodelay= and telnet=)", later[i]);
            return false;
        }
    }
    if (!opts_has(opts, "host") && !opts_has(opts, "port")) {
        if (opts_has(opts, "nodelay")) {
            opts_error(opts, errp, "nodelay is for TCP sockets (host=, "
                       "port=)");
            return false;
        }
        return true;
    }
    if (opts_has(opts, "path")) {
        opts_error(opts, errp, "give path= (a UNIX socket) or host= and "
                   "port= (TCP), not both");
        return false;
    }
    const char *port = opts_get(opts, "port");
    char *end = NULL;
    unsigned long n = port && *port ? strtoul(port, &end, 10) : 0;
    if (!port || !*port || *end || n > 65535 || (n == 0 &&
        !opts_get_bool(opts, "server", false))) {
        opts_error(opts, errp, "a TCP socket chardev needs port=N (1 to "
                   "65535; 0 lets a server pick one)");
        return false;
    }
    return true;
}

static bool socket_check(const Opts *opts, Error **errp)
{
    static const char *const refused[] = { "websocket",
                                           "tls-creds", "tls-authz",
                                           "logfile", "logappend", "tight" };
    bool server = opts_get_bool(opts, "server", false);
    bool tcp = opts_has(opts, "host") || opts_has(opts, "port");

    if (!socket_check_tcp(opts, errp)) {
        return false;
    }
    if (opts_has(opts, "fd")) {
        const char *fd = opts_get(opts, "fd");
        char *end;
        long n = strtol(fd, &end, 10);
        if (!*fd || *end || n < 0 || n > INT_MAX) {
            opts_error(opts, errp, "fd=%s: give the number of an inherited "
                       "listening socket", fd);
            return false;
        }
        if (!server || tcp || opts_has(opts, "path")) {
            opts_error(opts, errp, "fd= is a listening socket passed in: "
                       "use it with server=on and without path=, host= or "
                       "port=");
            return false;
        }
        if (fcntl((int)n, F_GETFD) < 0) {
            opts_error(opts, errp, "fd=%ld is not open in this process", n);
            return false;
        }
        return true;
    }
    for (unsigned i = 0; i < G_N_ELEMENTS(refused); i++) {
        if (opts_has(opts, refused[i])) {
            opts_error(opts, errp, "'%s' is not supported by vmu's socket "
                       "chardev (it takes path= or host= and port=, server=, "
                       "wait=, reconnect=, reconnect-ms=, nodelay= and "
                       "telnet=)", refused[i]);
            return false;
        }
    }
    if (opts_get_bool(opts, "abstract", false)) {
        opts_error(opts, errp, "abstract sockets are not supported; use a "
                   "path in the file system");
        return false;
    }
    if (opts_get_bool(opts, "mux", false)) {
        opts_error(opts, errp, "mux=on is not supported on a socket; a "
                   "monitor gets its own chardev (-serial mon:stdio shares "
                   "the terminal)");
        return false;
    }
    if (!tcp && (!opts_get(opts, "path") || !*opts_get(opts, "path"))) {
        opts_error(opts, errp, "a socket chardev needs path=PATH (a UNIX "
                   "socket) or host=HOST,port=PORT (TCP)");
        return false;
    }
    if (server && (opts_has(opts, "reconnect") ||
                   opts_has(opts, "reconnect-ms"))) {
        opts_error(opts, errp, "reconnect is for clients; a server "
                   "(server=on) accepts the next client by itself");
        return false;
    }
    if (!server && opts_has(opts, "wait")) {
        opts_error(opts, errp, "wait= is for servers (server=on); a client "
                   "never waits, use reconnect-ms=MS to retry");
        return false;
    }
    if (opts_has(opts, "reconnect") && opts_has(opts, "reconnect-ms")) {
        opts_error(opts, errp, "give reconnect= or reconnect-ms=, not both");
        return false;
    }
    if (opts_get_number(opts, "reconnect", 0) > 24 * 3600 ||
        opts_get_number(opts, "reconnect-ms", 0) > 24 * 3600 * 1000ULL) {
        opts_error(opts, errp, "reconnect interval is too long (at most a "
                   "day)");
        return false;
    }
    return true;
}

/* Consumers' defaults by chardev id (chardev_socket_set_policy). */
typedef struct SocketPolicy {
    unsigned reconnect_ms;
    bool wait;
} SocketPolicy;
static GHashTable *socket_policies;

void chardev_socket_set_policy(const char *id, unsigned reconnect_ms,
                               bool wait)
{
    SocketPolicy *p = g_new(SocketPolicy, 1);
    *p = (SocketPolicy) { reconnect_ms, wait };
    if (!socket_policies) {
        socket_policies = g_hash_table_new_full(g_str_hash, g_str_equal,
                                                g_free, g_free);
    }
    g_hash_table_replace(socket_policies, g_strdup(id), p);
}

bool chardev_socket_opts_unix(const Opts *opts)
{
    return !opts_has(opts, "host") && !opts_has(opts, "port");
}

static bool socket_create(const Opts *opts, Error **errp)
{
    bool server = opts_get_bool(opts, "server", false);
    const char *id = opts_get(opts, "id");
    const SocketPolicy *pol = socket_policies && id ?
                              g_hash_table_lookup(socket_policies, id) : NULL;
    unsigned ms = opts_has(opts, "reconnect-ms") ?
        opts_get_number(opts, "reconnect-ms", 0) :
        opts_get_number(opts, "reconnect", 0) * 1000;

    if (pol && !server && !opts_has(opts, "reconnect") &&
        !opts_has(opts, "reconnect-ms")) {
        ms = pol->reconnect_ms;
    }
    const char *host = opts_get(opts, "host");
    const char *port = opts_get(opts, "port");
    char *label = NULL;
    Chardev *chr;

    int fd = -1;
    if (port) {
        host = host ? host : "";
        label = g_strdup_printf("tcp:%s:%s", host, port);
    } else if (opts_has(opts, "fd")) {
        fd = atoi(opts_get(opts, "fd"));
        label = g_strdup_printf("fd:%d", fd);
    }
    chr = socket_chardev_open(opts_get(opts, "id"), label ? label :
                              opts_get(opts, "path"), port ? host : NULL,
                              port, server, opts_get_bool(opts, "wait",
                                                          pol ? pol->wait :
                                                          true),
                              ms, fd, errp);
    g_free(label);
    if (chr) {
        SocketChardev *s = (SocketChardev *)chr;
        s->nodelay = opts_get_bool(opts, "nodelay", false);
        s->telnet = opts_get_bool(opts, "telnet", false);
    }
    return chr != NULL;
}

static const TypeInfo socket_type = {
    .kind = TYPE_KIND_CHARDEV,
    .name = "socket",
    .help = "a UNIX or TCP stream socket (client or server); a UNIX one "
            "carries vhost-user",
    .opts = socket_desc,
    .needs_id = true,
    .check = socket_check,
    .create = socket_create,
};

static void chardev_register_socket(void)
{
    type_register(&socket_type);
}
type_init(chardev_register_socket)
