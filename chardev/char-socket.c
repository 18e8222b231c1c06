/*
 * The socket chardev: a UNIX stream socket, as client (connect, retry every
 * reconnect-ms) or server (listen, accept one client at a time).  Owners
 * such as vhost-user take the connected fd and do their own I/O.
 */
#include <errno.h>
#include <fcntl.h>
#include <glib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "chardev/char.h"
#include "system/main-loop.h"
#include "system/options.h"
#include "system/registry.h"
#include "util/trace.h"

typedef struct SocketChardev {
    Chardev parent;
    char *path;
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
} SocketChardev;

static gboolean socket_conn_event(int fd, GIOCondition cond, void *opaque);
static gboolean socket_accept_event(int fd, GIOCondition cond, void *opaque);
static void socket_schedule_retry(SocketChardev *s);

static bool socket_addr(const char *path, struct sockaddr_un *sa,
                        Error **errp)
{
    memset(sa, 0, sizeof(*sa));
    sa->sun_family = AF_UNIX;
    if (strlen(path) >= sizeof(sa->sun_path)) {
        error_setg(errp, "socket path %s is %zu bytes long, the limit is %zu; "
                   "use a shorter path", path, strlen(path),
                   sizeof(sa->sun_path) - 1);
        return false;
    }
    strcpy(sa->sun_path, path);
    return true;
}

/* Tell the owner and watch the connection for hang-up (and bytes). */
static void socket_connected(SocketChardev *s, int fd)
{
    GIOCondition cond = G_IO_HUP | G_IO_ERR;

    s->fd = fd;
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
            chardev_received(&s->parent, buf, n);
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

/* One non-blocking connect; 0 or -errno. */
static int socket_try_connect(SocketChardev *s)
{
    struct sockaddr_un sa;
    int fd;

    if (!socket_addr(s->path, &sa, NULL)) {
        return -ENAMETOOLONG;
    }
    fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
    if (fd < 0) {
        return -errno;
    }
    if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
        int err = errno;
        close(fd);
        return -err;
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
    if (r < 0) {
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

static bool socket_listen(SocketChardev *s, Error **errp)
{
    struct sockaddr_un sa;
    struct stat st;
    int fd;

    if (!socket_addr(s->path, &sa, errp)) {
        return false;
    }
    /* A socket file left by a process that died: take its place. */
    if (lstat(s->path, &st) == 0) {
        if (!S_ISSOCK(st.st_mode)) {
            error_setg(errp, "chardev '%s': %s exists and is not a socket; "
                       "remove it or choose another path", s->parent.id,
                       s->path);
            return false;
        }
        unlink(s->path);
    }
    fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
    if (fd < 0) {
        error_setg_errno(errp, errno, "chardev '%s': cannot create a socket "
                         "for %s", s->parent.id, s->path);
        return false;
    }
    if (bind(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
        error_setg_errno(errp, errno, "chardev '%s': cannot bind to %s",
                         s->parent.id, s->path);
        error_append_hint(errp, "check that the directory exists and is "
                          "writable");
        close(fd);
        return false;
    }
    s->created_file = true;
    if (listen(fd, 1) < 0) {
        error_setg_errno(errp, errno, "chardev '%s': cannot listen on %s",
                         s->parent.id, s->path);
        close(fd);
        return false;
    }
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

static Chardev *socket_chardev_open(const char *id, const char *path,
                                    bool server, bool wait,
                                    unsigned reconnect_ms, Error **errp)
{
    SocketChardev *s = (SocketChardev *)chardev_new(id, "socket", path,
                                                    &socket_ops,
                                                    sizeof(SocketChardev));
    s->path = g_strdup(path);
    s->server = server;
    s->reconnect_ms = server ? 0 : reconnect_ms;
    s->listen_fd = -1;
    s->fd = -1;
    s->exit_n.fn = socket_exit;
    s->exit_n.opaque = s;
    exit_notifier_add(&s->exit_n);

    if (server) {
        if (!socket_listen(s, errp)) {
            socket_close(&s->parent);
            return NULL;
        }
        if (wait && !socket_wait_client(s, errp)) {
            socket_close(&s->parent);
            return NULL;
        }
        return &s->parent;
    }

    int r = socket_try_connect(s);
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
    { "server", OPT_BOOL, "listen instead of connecting (default off)" },
    { "wait", OPT_BOOL, "server: wait for a client before starting "
      "(default on)" },
    { "reconnect", OPT_NUMBER, "client: retry every S seconds" },
    { "reconnect-ms", OPT_NUMBER, "client: retry every MS milliseconds" },
    { "abstract", OPT_BOOL, "not supported" },
    { "tight", OPT_BOOL, "not supported" },
    { "host", OPT_STRING, "not supported (TCP)" },
    { "port", OPT_STRING, "not supported (TCP)" },
    { "to", OPT_NUMBER, "not supported (TCP)" },
    { "ipv4", OPT_BOOL, "not supported (TCP)" },
    { "ipv6", OPT_BOOL, "not supported (TCP)" },
    { "nodelay", OPT_BOOL, "not supported (TCP)" },
    { "fd", OPT_STRING, "not supported" },
    { "telnet", OPT_BOOL, "not supported" },
    { "websocket", OPT_BOOL, "not supported" },
    { "tls-creds", OPT_STRING, "not supported" },
    { "tls-authz", OPT_STRING, "not supported" },
    { "mux", OPT_BOOL, "off only" },
    { "logfile", OPT_STRING, "not supported" },
    { "logappend", OPT_BOOL, "not supported" },
    { 0 },
};

static bool socket_check(const Opts *opts, Error **errp)
{
    static const char *const tcp[] = { "host", "port", "to", "ipv4", "ipv6",
                                       "nodelay" };
    static const char *const refused[] = { "fd", "telnet", "websocket",
                                           "tls-creds", "tls-authz",
                                           "logfile", "logappend", "tight" };
    bool server = opts_get_bool(opts, "server", false);

    for (unsigned i = 0; i < G_N_ELEMENTS(tcp); i++) {
        if (opts_has(opts, tcp[i])) {
            opts_error(opts, errp, "TCP sockets (%s=) are not supported: "
                       "vhost-user passes file descriptors, which needs a "
                       "UNIX socket; use path=PATH", tcp[i]);
            return false;
        }
    }
    for (unsigned i = 0; i < G_N_ELEMENTS(refused); i++) {
        if (opts_has(opts, refused[i])) {
            opts_error(opts, errp, "'%s' is not supported by vmu's socket "
                       "chardev (it takes path=, server=, wait=, reconnect= "
                       "and reconnect-ms=)", refused[i]);
            return false;
        }
    }
    if (opts_get_bool(opts, "abstract", false)) {
        opts_error(opts, errp, "abstract sockets are not supported; use a "
                   "path in the file system");
        return false;
    }
    if (opts_get_bool(opts, "mux", false)) {
        opts_error(opts, errp, "mux=on is not supported: vmu has no monitor "
                   "to share the chardev with");
        return false;
    }
    if (!opts_get(opts, "path") || !*opts_get(opts, "path")) {
        opts_error(opts, errp, "a socket chardev needs path=PATH (a UNIX "
                   "socket)");
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

/*
 * Is this chardev a vhost-user netdev's socket?  Such a netdev must never
 * hold start-up for its back-end: its client socket retries (every second
 * unless reconnect= says otherwise) and its server does not wait unless
 * wait=on is written out.
 */
static bool socket_for_vhost_user(const char *id)
{
    GPtrArray *nds = options_lists()[TYPE_KIND_NETDEV];
    for (unsigned i = 0; id && nds && i < nds->len; i++) {
        const Opts *o = g_ptr_array_index(nds, i);
        const char *type = options_type(TYPE_KIND_NETDEV, o);
        const char *chr = opts_get(o, "chardev");
        if (type && !strcmp(type, "vhost-user") && chr && !strcmp(chr, id)) {
            return true;
        }
    }
    return false;
}

static bool socket_create(const Opts *opts, Error **errp)
{
    bool server = opts_get_bool(opts, "server", false);
    bool vu = socket_for_vhost_user(opts_get(opts, "id"));
    unsigned ms = opts_has(opts, "reconnect-ms") ?
        opts_get_number(opts, "reconnect-ms", 0) :
        opts_get_number(opts, "reconnect", 0) * 1000;

    if (vu && !server && !opts_has(opts, "reconnect") &&
        !opts_has(opts, "reconnect-ms")) {
        ms = 1000;
    }
    return socket_chardev_open(opts_get(opts, "id"), opts_get(opts, "path"),
                               server, opts_get_bool(opts, "wait", !vu), ms,
                               errp) != NULL;
}

static const TypeInfo socket_type = {
    .kind = TYPE_KIND_CHARDEV,
    .name = "socket",
    .help = "a UNIX stream socket (client or server); carries vhost-user",
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
