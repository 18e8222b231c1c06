/*
 * -netdev user: user-mode networking with libslirp.  The guest's frames go
 * to libslirp (a NAT, DHCP and DNS relay in this process); libslirp's
 * sockets and timers are driven from vmu's main loop, under the machine lock.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <glib.h>
#include <limits.h>
#include <netinet/in.h>
#include <slirp/libslirp.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include "net/net.h"
#include "system/main-loop.h"
#include "system/registry.h"
#include "util/trace.h"

/* One hostfwd= or guestfwd= rule, parsed. */
typedef struct UserFwd {
    const char *text;           /* as the user wrote it, for errors */
    bool udp;
    struct in_addr host_addr;   /* hostfwd: where vmu listens */
    int host_port;
    struct in_addr guest_addr;  /* 0: libslirp picks (dhcpstart, or .4) */
    int guest_port;
    const char *cmd;            /* guestfwd: the command (points into text) */
} UserFwd;

/* Everything the options say, checked; nothing created. */
typedef struct UserConfig {
    SlirpConfig sc;
    GArray *hostfwd;            /* UserFwd */
    GArray *guestfwd;           /* UserFwd */
    GPtrArray *dnssearch;       /* NULL-terminated for libslirp */
} UserConfig;

typedef struct NetUser NetUser;

/* Our GSource: libslirp's sockets polled as part of the main loop. */
typedef struct UserSource {
    GSource base;
    NetUser *u;
} UserSource;

struct NetUser {
    NetClientState *nc;
    Slirp *slirp;
    GSource *source;
    GArray *pollfds;            /* GPollFD, as given to the source */
    gint64 deadline;            /* libslirp's next timeout (µs), 0: none */
    ExitNotifier exit;
};

typedef struct UserTimer {
    SlirpTimerCb cb;
    void *cb_opaque;
    guint source;
} UserTimer;

/* ---- options ---- */

static void user_config_free(UserConfig *c)
{
    g_array_free(c->hostfwd, true);
    g_array_free(c->guestfwd, true);
    g_ptr_array_free(c->dnssearch, true);
}

static bool user_parse_port(const char *s, int *out)
{
    uint64_t v;
    if (!*s || !g_ascii_isdigit(*s) || !parse_uint(s, &v) || v < 1 ||
        v > 65535) {
        return false;
    }
    *out = v;
    return true;
}

/* "a.b.c.d" only: libslirp takes IPv4 addresses, no names. */
static bool user_parse_ipv4(const char *s, struct in_addr *out)
{
    return inet_pton(AF_INET, s, out) == 1;
}

static bool user_in_net(const UserConfig *c, struct in_addr a)
{
    return (a.s_addr & c->sc.vnetmask.s_addr) == c->sc.vnetwork.s_addr;
}

/* net=ADDR[/LEN|/MASK]; without a mask the address's class decides. */
static bool user_parse_net(const Opts *o, UserConfig *c, Error **errp)
{
    const char *text = opts_get(o, "net");
    if (!text) {
        inet_pton(AF_INET, "10.0.2.0", &c->sc.vnetwork);
        inet_pton(AF_INET, "255.255.255.0", &c->sc.vnetmask);
        return true;
    }
    g_autofree char *addr = g_strdup(text);
    char *slash = strchr(addr, '/');
    if (slash) {
        *slash++ = 0;
    }
    if (!user_parse_ipv4(addr, &c->sc.vnetwork)) {
        opts_error(o, errp, "net=%s: '%s' is not an IPv4 address; write "
                   "net=A.B.C.D/LEN such as net=10.0.2.0/24", text, addr);
        return false;
    }
    uint32_t mask;
    uint32_t net = ntohl(c->sc.vnetwork.s_addr);
    if (!slash) {
        mask = !(net & 0x80000000) ? 0xff000000 :
               (net & 0xfff00000) == 0xac100000 ? 0xfff00000 :
               (net & 0xc0000000) == 0x80000000 ? 0xffff0000 :
               (net & 0xffff0000) == 0xc0a80000 ? 0xffff0000 : 0xffffff00;
    } else if (strchr(slash, '.')) {
        struct in_addr m;
        if (!user_parse_ipv4(slash, &m) ||
            (~ntohl(m.s_addr) & (~ntohl(m.s_addr) + 1))) {
            opts_error(o, errp, "net=%s: '%s' is not a network mask",
                       text, slash);
            return false;
        }
        mask = ntohl(m.s_addr);
    } else {
        uint64_t len;
        if (!*slash || !g_ascii_isdigit(*slash) || !parse_uint(slash, &len) ||
            len < 8 || len > 29) {
            opts_error(o, errp, "net=%s: the prefix length must be a number "
                       "from 8 to 29", text);
            return false;
        }
        mask = 0xffffffffu << (32 - len);
    }
    if ((~mask + 1u) < 8) {
        opts_error(o, errp, "net=%s: the network is too small for the host, "
                   "DNS and DHCP addresses", text);
        return false;
    }
    /* Host bits are dropped, as QEMU does (net=10.0.2.0 is 10.0.0.0/8). */
    c->sc.vnetwork.s_addr = htonl(net & mask);
    c->sc.vnetmask.s_addr = htonl(mask);
    return true;
}

/*
 * host=, dns=, dhcpstart=: an address in net, or by default QEMU's
 * x.x.2.2, .2.3 and .2.15 within the network (.2, .3, .15 in a /24).
 */
static bool user_parse_addr(const Opts *o, UserConfig *c, const char *key,
                            uint32_t offset, struct in_addr *out,
                            Error **errp)
{
    const char *text = opts_get(o, key);
    if (!text) {
        out->s_addr = c->sc.vnetwork.s_addr |
                      (htonl(offset) & ~c->sc.vnetmask.s_addr);
        return true;
    }
    if (!user_parse_ipv4(text, out)) {
        opts_error(o, errp, "%s=%s is not an IPv4 address", key, text);
        return false;
    }
    uint32_t host = ntohl(out->s_addr & ~c->sc.vnetmask.s_addr);
    if (!user_in_net(c, *out) || !host ||
        host == ntohl(~c->sc.vnetmask.s_addr)) {
        opts_error(o, errp, "%s=%s is not a host address in the guest "
                   "network (net=%s)", key, text,
                   opts_get_str(o, "net", "10.0.2.0/24"));
        return false;
    }
    return true;
}

/* [tcp|udp]:[HOSTADDR]:HOSTPORT-[GUESTADDR]:GUESTPORT */
static bool user_parse_hostfwd(const Opts *o, UserConfig *c,
                               const char *text, Error **errp)
{
    UserFwd f = { .text = text };
    g_autofree char *s = g_strdup(text);
    const char *syntax = "write [tcp|udp]:[HOSTADDR]:HOSTPORT-"
                         "[GUESTADDR]:GUESTPORT, e.g. tcp::10022-:22";
    char *p = strchr(s, ':');
    char *dash = p ? strchr(p, '-') : NULL;
    char *hport = dash ? g_strrstr_len(p + 1, dash - p - 1, ":") : NULL;
    char *gport = dash ? strrchr(dash, ':') : NULL;
    if (!p || !dash || !hport || !gport) {
        opts_error(o, errp, "hostfwd '%s': %s", text, syntax);
        return false;
    }
    *p++ = *dash++ = *hport++ = *gport++ = 0;
    if (*s && strcmp(s, "tcp") && strcmp(s, "udp")) {
        opts_error(o, errp, "hostfwd '%s': protocol '%s' is neither tcp nor "
                   "udp", text, s);
        return false;
    }
    f.udp = !strcmp(s, "udp");
    if (*p == '[') {
        opts_error(o, errp, "hostfwd '%s': IPv6 host addresses are not "
                   "supported; give an IPv4 address or none", text);
        return false;
    }
    if (*p && !user_parse_ipv4(p, &f.host_addr)) {
        opts_error(o, errp, "hostfwd '%s': host address '%s' is not an IPv4 "
                   "address (leave it empty for all addresses)", text, p);
        return false;
    }
    if (!user_parse_port(hport, &f.host_port)) {
        opts_error(o, errp, "hostfwd '%s': host port '%s' is not a number "
                   "from 1 to 65535", text, hport);
        return false;
    }
    if (*dash && !user_parse_ipv4(dash, &f.guest_addr)) {
        opts_error(o, errp, "hostfwd '%s': guest address '%s' is not an IPv4 "
                   "address (leave it empty for the first DHCP address)",
                   text, dash);
        return false;
    }
    if (*dash && !user_in_net(c, f.guest_addr)) {
        opts_error(o, errp, "hostfwd '%s': guest address %s is outside the "
                   "guest network (net=%s)", text, dash,
                   opts_get_str(o, "net", "10.0.2.0/24"));
        return false;
    }
    if (!user_parse_port(gport, &f.guest_port)) {
        opts_error(o, errp, "hostfwd '%s': guest port '%s' is not a number "
                   "from 1 to 65535", text, gport);
        return false;
    }
    for (unsigned i = 0; i < c->hostfwd->len; i++) {
        UserFwd *e = &g_array_index(c->hostfwd, UserFwd, i);
        if (e->udp == f.udp && e->host_port == f.host_port &&
            (!e->host_addr.s_addr || !f.host_addr.s_addr ||
             e->host_addr.s_addr == f.host_addr.s_addr)) {
            opts_error(o, errp, "hostfwd '%s': host port %d is already "
                       "forwarded by hostfwd '%s'; give each rule its own "
                       "port", text, f.host_port, e->text);
            return false;
        }
    }
    g_array_append_val(c->hostfwd, f);
    return true;
}

/* [tcp]:[SERVER]:PORT-cmd:COMMAND (a chardev target is refused). */
static bool user_parse_guestfwd(const Opts *o, UserConfig *c,
                                const char *text, Error **errp)
{
    UserFwd f = { .text = text };
    g_autofree char *s = g_strdup(text);
    char *server = strchr(s, ':');
    char *port = server ? strchr(server + 1, ':') : NULL;
    char *target = port ? strchr(port + 1, '-') : NULL;
    if (!server || !port || !target) {
        opts_error(o, errp, "guestfwd '%s': write [tcp]:[SERVER]:PORT-"
                   "cmd:COMMAND, e.g. tcp:10.0.2.100:1234-cmd:netcat "
                   "localhost 22", text);
        return false;
    }
    *server++ = *port++ = *target++ = 0;
    if (*s && strcmp(s, "tcp")) {
        opts_error(o, errp, "guestfwd '%s': only tcp can be forwarded, not "
                   "'%s'", text, s);
        return false;
    }
    if (*server && (!user_parse_ipv4(server, &f.guest_addr) ||
                    !user_in_net(c, f.guest_addr))) {
        opts_error(o, errp, "guestfwd '%s': server '%s' is not an IPv4 "
                   "address in the guest network (net=%s)", text, server,
                   opts_get_str(o, "net", "10.0.2.0/24"));
        return false;
    }
    if (!user_parse_port(port, &f.guest_port)) {
        opts_error(o, errp, "guestfwd '%s': port '%s' is not a number from "
                   "1 to 65535", text, port);
        return false;
    }
    if (!g_str_has_prefix(target, "cmd:") || !target[4]) {
        opts_error(o, errp, "guestfwd '%s': a chardev target ('%s') is not "
                   "supported; forward to a command with -cmd:COMMAND", text,
                   target);
        return false;
    }
    f.cmd = text + (target - s) + 4;
    g_array_append_val(c->guestfwd, f);
    return true;
}

/* prefix/len for ipv6-net=, and the addresses inside it. */
static bool user_parse_ipv6(const Opts *o, UserConfig *c, Error **errp)
{
    const char *net = opts_get_str(o, "ipv6-net", "fec0::/64");
    g_autofree char *prefix = g_strdup(net);
    char *slash = strchr(prefix, '/');
    uint64_t len = 64;
    if (slash) {
        *slash++ = 0;
    }
    if (inet_pton(AF_INET6, prefix, &c->sc.vprefix_addr6) != 1 ||
        (slash && (!g_ascii_isdigit(*slash) || !parse_uint(slash, &len) ||
                   len > 126))) {
        opts_error(o, errp, "ipv6-net=%s: write PREFIX/LEN such as "
                   "fec0::/64 (LEN up to 126)", net);
        return false;
    }
    c->sc.vprefix_len = len;
    static const char *const keys[] = { "ipv6-host", "ipv6-dns" };
    struct in6_addr *out[] = { &c->sc.vhost6, &c->sc.vnameserver6 };
    for (unsigned k = 0; k < 2; k++) {
        const char *text = opts_get(o, keys[k]);
        if (!text) {
            *out[k] = c->sc.vprefix_addr6;
            out[k]->s6_addr[15] |= k + 2;
            continue;
        }
        bool inside = inet_pton(AF_INET6, text, out[k]) == 1;
        for (unsigned b = 0; inside && b < len; b++) {
            unsigned bit = 0x80 >> (b % 8);
            inside = (out[k]->s6_addr[b / 8] & bit) ==
                     (c->sc.vprefix_addr6.s6_addr[b / 8] & bit);
        }
        if (!inside) {
            opts_error(o, errp, "%s=%s is not an IPv6 address inside "
                       "ipv6-net=%s", keys[k], text, net);
            return false;
        }
    }
    return true;
}

static bool user_parse(const Opts *o, UserConfig *c, Error **errp)
{
    memset(c, 0, sizeof(*c));
    c->hostfwd = g_array_new(false, true, sizeof(UserFwd));
    c->guestfwd = g_array_new(false, true, sizeof(UserFwd));
    c->dnssearch = g_ptr_array_new();
    c->sc.version = 1;
    c->sc.restricted = opts_get_bool(o, "restrict", false);
    c->sc.in_enabled = opts_get_bool(o, "ipv4", true);
    c->sc.in6_enabled = opts_get_bool(o, "ipv6", true);
    if (!c->sc.in_enabled && !c->sc.in6_enabled) {
        opts_error(o, errp, "ipv4=off and ipv6=off leave the guest no "
                   "network; turn one on");
        return false;
    }
    if (opts_has(o, "smb") || opts_has(o, "smbserver")) {
        opts_error(o, errp, "smb= is not supported: vmu starts no Samba "
                   "server; reach a file server on the host at the host "
                   "address (10.0.2.2) instead");
        return false;
    }
    if (!user_parse_net(o, c, errp) ||
        !user_parse_addr(o, c, "host", 0x202, &c->sc.vhost, errp) ||
        !user_parse_addr(o, c, "dns", 0x203, &c->sc.vnameserver, errp) ||
        !user_parse_addr(o, c, "dhcpstart", 0x20f, &c->sc.vdhcp_start, errp)) {
        return false;
    }
    if (c->sc.vhost.s_addr == c->sc.vnameserver.s_addr ||
        c->sc.vdhcp_start.s_addr == c->sc.vhost.s_addr ||
        c->sc.vdhcp_start.s_addr == c->sc.vnameserver.s_addr) {
        opts_error(o, errp, "host=, dns= and dhcpstart= must be three "
                   "different addresses");
        return false;
    }
    if (c->sc.in6_enabled && !user_parse_ipv6(o, c, errp)) {
        return false;
    }
    const char *hostname = opts_get(o, "hostname");
    if (hostname && strlen(hostname) > 255) {
        opts_error(o, errp, "hostname= is longer than 255 characters");
        return false;
    }
    c->sc.vhostname = hostname && *hostname ? hostname : NULL;
    const char *tftp = opts_get(o, "tftp");
    struct stat st;
    if (tftp && (stat(tftp, &st) < 0 || !S_ISDIR(st.st_mode))) {
        opts_error(o, errp, "tftp=%s is not a directory", tftp);
        return false;
    }
    c->sc.tftp_path = tftp;
    c->sc.tftp_server_name = opts_get(o, "tftp-server-name");
    c->sc.bootfile = opts_get(o, "bootfile");
    c->sc.vdomainname = opts_get(o, "domainname");
    for (unsigned i = 0; i < o->n_entries; i++) {
        const OptEntry *e = &o->entries[i];
        if (!e->value) {
            continue;
        }
        bool ok = true;
        if (!strcmp(e->key, "hostfwd")) {
            ok = user_parse_hostfwd(o, c, e->value, errp);
        } else if (!strcmp(e->key, "guestfwd")) {
            ok = user_parse_guestfwd(o, c, e->value, errp);
        } else if (!strcmp(e->key, "dnssearch")) {
            g_ptr_array_add(c->dnssearch, e->value);
        }
        if (!ok) {
            return false;
        }
    }
    if (c->dnssearch->len) {
        g_ptr_array_add(c->dnssearch, NULL);
        c->sc.vdnssearch = (const char **)c->dnssearch->pdata;
    }
    return true;
}

/* Can libslirp listen there?  0, or the errno of a trial bind. */
static int user_hostfwd_probe(const UserFwd *f)
{
    struct sockaddr_in sa = {
        .sin_family = AF_INET,
        .sin_port = htons(f->host_port),
        .sin_addr = f->host_addr,
    };
    int fd = socket(AF_INET, (f->udp ? SOCK_DGRAM : SOCK_STREAM) |
                    SOCK_CLOEXEC, 0);
    int one = 1;
    int err = 0;
    if (fd >= 0) {
        /* As libslirp binds: a port in TIME_WAIT is free. */
        setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
        err = bind(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0 ? errno : 0;
        close(fd);
    }
    return err;
}

/* Why a host port cannot be bound, in words with the fix. */
static void user_hostfwd_error(const Opts *o, const UserFwd *f, int err,
                               Error **errp)
{
    if (err == EADDRINUSE) {
        opts_error(o, errp, "hostfwd '%s': host port %d is in use; choose "
                   "another host port", f->text, f->host_port);
    } else if (err == EACCES) {
        opts_error(o, errp, "hostfwd '%s': host port %d needs privileges; "
                   "choose a port from 1024 up", f->text, f->host_port);
    } else if (err == EADDRNOTAVAIL) {
        opts_error(o, errp, "hostfwd '%s': %s is not an address of this "
                   "host; give one of its addresses or none", f->text,
                   inet_ntoa(f->host_addr));
    } else {
        opts_error(o, errp, "hostfwd '%s': libslirp could not listen on "
                   "host port %d (%s); choose another host port", f->text,
                   f->host_port, err ? strerror(err) : "refused");
    }
}

/*
 * Phase 1: every option checked, nothing created.  A hostfwd port that
 * cannot be bound is found here too (a bind, closed at once), so a busy
 * port stops start-up before any device exists.
 */
static bool user_check(const Opts *opts, Error **errp)
{
    UserConfig c;
    bool ok = user_parse(opts, &c, errp);
    for (unsigned i = 0; ok && i < c.hostfwd->len; i++) {
        UserFwd *f = &g_array_index(c.hostfwd, UserFwd, i);
        int err = user_hostfwd_probe(f);
        if (err) {
            user_hostfwd_error(opts, f, err, errp);
            ok = false;
        }
    }
    user_config_free(&c);
    return ok;
}

/* ---- libslirp's callbacks ---- */

static ssize_t user_send_packet(const void *buf, size_t len, void *opaque)
{
    NetUser *u = opaque;
    if (!net_deliver(u->nc, buf, len)) {
        /* The NIC is full: libslirp expects a drop (TCP resends). */
        trace(net_user_rx_drop, "%s len %zu", u->nc->name, len);
    }
    return len;
}

static void user_guest_error(const char *msg, void *opaque)
{
    NetUser *u = opaque;
    trace(net_user_guest_error, "%s: %s", u->nc->name, msg);
}

static int64_t user_clock_get_ns(void *opaque)
{
    return clock_ns();
}

static gboolean user_timer_fire(void *opaque)
{
    UserTimer *t = opaque;
    t->source = 0;
    t->cb(t->cb_opaque);
    return G_SOURCE_REMOVE;
}

static void *user_timer_new(SlirpTimerCb cb, void *cb_opaque, void *opaque)
{
    UserTimer *t = g_new0(UserTimer, 1);
    t->cb = cb;
    t->cb_opaque = cb_opaque;
    return t;
}

static void user_timer_free(void *timer, void *opaque)
{
    UserTimer *t = timer;
    if (t->source) {
        g_source_remove(t->source);
    }
    g_free(t);
}

/* expire_time is in ms on the clock_get_ns clock. */
static void user_timer_mod(void *timer, int64_t expire_time, void *opaque)
{
    UserTimer *t = timer;
    int64_t delay = expire_time - clock_ns() / 1000000;
    if (t->source) {
        g_source_remove(t->source);
    }
    t->source = main_loop_add_timer_ms(delay < 0 ? 0 :
                                       delay > INT_MAX ? INT_MAX : delay,
                                       user_timer_fire, t);
}

/* We poll every socket afresh in prepare(); no per-fd registration. */
static void user_register_poll_fd(int fd, void *opaque)
{
}

static void user_notify(void *opaque)
{
    g_main_context_wakeup(NULL);
}

static const SlirpCb user_callbacks = {
    .send_packet = user_send_packet,
    .guest_error = user_guest_error,
    .clock_get_ns = user_clock_get_ns,
    .timer_new = user_timer_new,
    .timer_free = user_timer_free,
    .timer_mod = user_timer_mod,
    .register_poll_fd = user_register_poll_fd,
    .unregister_poll_fd = user_register_poll_fd,
    .notify = user_notify,
};

/* ---- the main-loop source ---- */

static int user_add_poll(int fd, int events, void *opaque)
{
    NetUser *u = opaque;
    GPollFD p = {
        .fd = fd,
        .events = (events & SLIRP_POLL_IN ? G_IO_IN : 0) |
                  (events & SLIRP_POLL_OUT ? G_IO_OUT : 0) |
                  (events & SLIRP_POLL_PRI ? G_IO_PRI : 0) |
                  (events & SLIRP_POLL_ERR ? G_IO_ERR : 0) |
                  (events & SLIRP_POLL_HUP ? G_IO_HUP : 0),
    };
    g_array_append_val(u->pollfds, p);
    return u->pollfds->len - 1;
}

static int user_get_revents(int idx, void *opaque)
{
    NetUser *u = opaque;
    if (idx < 0 || (unsigned)idx >= u->pollfds->len) {
        return 0;
    }
    int r = g_array_index(u->pollfds, GPollFD, idx).revents;
    return (r & G_IO_IN ? SLIRP_POLL_IN : 0) |
           (r & G_IO_OUT ? SLIRP_POLL_OUT : 0) |
           (r & G_IO_PRI ? SLIRP_POLL_PRI : 0) |
           (r & (G_IO_ERR | G_IO_NVAL) ? SLIRP_POLL_ERR : 0) |
           (r & G_IO_HUP ? SLIRP_POLL_HUP : 0);
}

static void user_drop_polls(NetUser *u)
{
    for (unsigned i = 0; i < u->pollfds->len; i++) {
        g_source_remove_poll(u->source,
                             &g_array_index(u->pollfds, GPollFD, i));
    }
    g_array_set_size(u->pollfds, 0);
}

static gboolean user_prepare(GSource *src, gint *timeout)
{
    NetUser *u = ((UserSource *)src)->u;
    uint32_t t = UINT32_MAX;
    /* The array is complete before GLib gets pointers into it. */
    user_drop_polls(u);
    slirp_pollfds_fill(u->slirp, &t, user_add_poll, u);
    for (unsigned i = 0; i < u->pollfds->len; i++) {
        g_source_add_poll(src, &g_array_index(u->pollfds, GPollFD, i));
    }
    if (t == UINT32_MAX) {
        u->deadline = 0;
        *timeout = -1;
    } else {
        u->deadline = g_source_get_time(src) + (gint64)t * 1000;
        *timeout = t > INT_MAX ? INT_MAX : (gint)t;
    }
    return t == 0;
}

static gboolean user_check_source(GSource *src)
{
    NetUser *u = ((UserSource *)src)->u;
    for (unsigned i = 0; i < u->pollfds->len; i++) {
        if (g_array_index(u->pollfds, GPollFD, i).revents) {
            return true;
        }
    }
    return u->deadline && g_source_get_time(src) >= u->deadline;
}

static gboolean user_dispatch(GSource *src, GSourceFunc cb, void *data)
{
    NetUser *u = ((UserSource *)src)->u;
    slirp_pollfds_poll(u->slirp, 0, user_get_revents, u);
    return G_SOURCE_CONTINUE;
}

static GSourceFuncs user_source_funcs = {
    .prepare = user_prepare,
    .check = user_check_source,
    .dispatch = user_dispatch,
};

/* ---- the netdev ---- */

static bool user_receive(NetClientState *nc, const uint8_t *buf, size_t len)
{
    NetUser *u = nc->opaque;
    if (len <= INT_MAX) {
        slirp_input(u->slirp, buf, len);
    }
    /* From a vCPU thread the main loop is in poll() with the old fd set:
     * a socket this frame opened must be polled from now on. */
    if (!g_main_context_is_owner(g_main_context_default())) {
        g_main_context_wakeup(NULL);
    }
    return true;
}

static const NetClientOps user_ops = {
    .type = "user",
    .receive = user_receive,
};

static void user_cleanup(void *opaque)
{
    NetUser *u = opaque;
    user_drop_polls(u);
    g_source_destroy(u->source);
    g_source_unref(u->source);
    slirp_cleanup(u->slirp);
    u->slirp = NULL;
}

static bool user_create(const Opts *opts, Error **errp)
{
    UserConfig c;
    if (!user_parse(opts, &c, errp)) {
        user_config_free(&c);
        return false;
    }
    NetUser *u = g_new0(NetUser, 1);
    u->slirp = slirp_new(&c.sc, &user_callbacks, u);
    if (!u->slirp) {
        opts_error(opts, errp, "libslirp refused this configuration");
        goto fail;
    }
    for (unsigned i = 0; i < c.hostfwd->len; i++) {
        UserFwd *f = &g_array_index(c.hostfwd, UserFwd, i);
        if (slirp_add_hostfwd(u->slirp, f->udp, f->host_addr, f->host_port,
                              f->guest_addr, f->guest_port) < 0) {
            user_hostfwd_error(opts, f, user_hostfwd_probe(f), errp);
            goto fail;
        }
    }
    for (unsigned i = 0; i < c.guestfwd->len; i++) {
        UserFwd *f = &g_array_index(c.guestfwd, UserFwd, i);
        if (slirp_add_exec(u->slirp, f->cmd, &f->guest_addr,
                           f->guest_port) < 0) {
            opts_error(opts, errp, "guestfwd '%s': libslirp refused it "
                       "(is that address and port forwarded twice?)",
                       f->text);
            goto fail;
        }
    }
    user_config_free(&c);
    u->pollfds = g_array_new(false, true, sizeof(GPollFD));
    u->nc = net_client_new(&user_ops, "user", opts_get(opts, "id"), 1, u);
    u->source = g_source_new(&user_source_funcs, sizeof(UserSource));
    ((UserSource *)u->source)->u = u;
    g_source_attach(u->source, NULL);
    u->exit.fn = user_cleanup;
    u->exit.opaque = u;
    exit_notifier_add(&u->exit);
    return true;

fail:
    if (u->slirp) {
        slirp_cleanup(u->slirp);
    }
    g_free(u);
    user_config_free(&c);
    return false;
}

static const OptDesc user_desc[] = {
    { "net", OPT_STRING, "guest network, ADDR[/LEN] (10.0.2.0/24)" },
    { "host", OPT_STRING, "the host's address as the guest sees it (.2)" },
    { "hostfwd", OPT_STRING, "[tcp|udp]:[HOSTADDR]:HOSTPORT-[GUESTADDR]:"
      "GUESTPORT (repeatable)" },
    { "guestfwd", OPT_STRING, "[tcp]:[SERVER]:PORT-cmd:COMMAND" },
    { "restrict", OPT_BOOL, "isolate the guest from the host and outside" },
    { "ipv4", OPT_BOOL, "IPv4 on (default on)" },
    { "ipv6", OPT_BOOL, "IPv6 on (default on)" },
    { "ipv6-net", OPT_STRING, "guest IPv6 prefix (fec0::/64)" },
    { "ipv6-host", OPT_STRING, "the host's IPv6 address (prefix::2)" },
    { "ipv6-dns", OPT_STRING, "the DNS server's IPv6 address (prefix::3)" },
    { "hostname", OPT_STRING, "host name given by DHCP" },
    { "dhcpstart", OPT_STRING, "first DHCP address (.15)" },
    { "dns", OPT_STRING, "DNS server address (.3)" },
    { "dnssearch", OPT_STRING, "DNS search domain (repeatable)" },
    { "domainname", OPT_STRING, "DHCP domain name" },
    { "tftp", OPT_STRING, "TFTP root directory" },
    { "tftp-server-name", OPT_STRING, "TFTP server name" },
    { "bootfile", OPT_STRING, "BOOTP file name" },
    { "smb", OPT_STRING, "not supported" },
    { "smbserver", OPT_STRING, "not supported" },
    { NULL, 0, NULL },
};

static const TypeInfo user_info = {
    .kind = TYPE_KIND_NETDEV,
    .name = "user",
    .help = "user-mode networking (libslirp)",
    .opts = user_desc,
    .needs_id = true,
    .check = user_check,
    .create = user_create,
};

static void net_user_register(void)
{
    type_register(&user_info);
}
type_init(net_user_register)
