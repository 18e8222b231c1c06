/*
 * The chardev registry and the simple types: stdio, file, null, pty; and
 * -serial's back-end spellings turned into -chardev options.
 */
#include <errno.h>
#include <fcntl.h>
#include <glib.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <termios.h>
#include <unistd.h>

#include "chardev/char.h"
#include "system/main-loop.h"
#include "system/options.h"
#include "system/registry.h"
#include "util/fdset.h"
#include "util/trace.h"

static GPtrArray *chardevs;

Chardev *chardev_new(const char *id, const char *type, const char *label,
                     const ChardevOps *ops, size_t size)
{
    Chardev *chr = g_malloc0(MAX(size, sizeof(Chardev)));
    chr->id = g_strdup(id);
    chr->type = type;
    chr->label = g_strdup(label);
    chr->ops = ops;
    if (!chardevs) {
        chardevs = g_ptr_array_new();
    }
    g_ptr_array_add(chardevs, chr);
    return chr;
}

Chardev *chardev_find(const char *id)
{
    for (unsigned i = 0; chardevs && i < chardevs->len; i++) {
        Chardev *chr = g_ptr_array_index(chardevs, i);
        if (chr->id && !strcmp(chr->id, id)) {
            return chr;
        }
    }
    return NULL;
}

void chardev_foreach(void (*fn)(Chardev *chr, void *opaque), void *opaque)
{
    for (unsigned i = 0; chardevs && i < chardevs->len; i++) {
        fn(g_ptr_array_index(chardevs, i), opaque);
    }
}

bool chardev_claim(Chardev *chr, const char *owner, Error **errp)
{
    if (chr->owner) {
        error_setg(errp, "chardev '%s' is already used by %s; give each user "
                   "its own -chardev", chr->id, chr->owner);
        return false;
    }
    chr->owner = owner;
    return true;
}

void chardev_set_handlers(Chardev *chr, const ChardevHandlers *h,
                          void *opaque)
{
    chr->handlers = h;
    chr->opaque = opaque;
    if (h && h->read && chr->ops->start_read) {
        chr->ops->start_read(chr);
    }
    if (h && h->event && chr->connected) {
        h->event(opaque, CHR_EVENT_OPENED);
    }
}

long chardev_write(Chardev *chr, const void *buf, size_t len)
{
    return chr->ops->write ? chr->ops->write(chr, buf, len) : (long)len;
}

int chardev_get_fd(Chardev *chr)
{
    return chr->ops->get_fd ? chr->ops->get_fd(chr) : -1;
}

void chardev_disconnect(Chardev *chr)
{
    if (chr->ops->disconnect) {
        chr->ops->disconnect(chr);
    }
}

void chardev_event(Chardev *chr, ChrEvent event)
{
    chr->connected = event == CHR_EVENT_OPENED;
    trace(chardev_event, "%s %s", chr->id ? chr->id : chr->label,
          event == CHR_EVENT_OPENED ? "opened" : "closed");
    if (chr->handlers && chr->handlers->event) {
        chr->handlers->event(chr->opaque, event);
    }
}

void chardev_received(Chardev *chr, const uint8_t *buf, size_t len)
{
    if (chr->handlers && chr->handlers->read) {
        chr->handlers->read(chr->opaque, buf, len);
    }
}

/*
 * stdio, file and pty: a write fd, and for stdio and pty a read fd on the
 * main loop.  stdout and a pty may have a reader that does not read: their
 * writes never wait (stdout is shared with the shell, so it is polled
 * rather than made non-blocking); what does not fit waits in a buffer of
 * OUT_BUF_MAX bytes for the reader, and beyond that it is dropped.
 */
#define OUT_BUF_MAX     (1024 * 1024)

typedef struct FdChardev {
    Chardev parent;
    int in_fd;
    int out_fd;
    int pty_slave;              /* pty: kept open so the master never HUPs */
    bool may_stall;             /* stdout or pty: never wait for room */
    guint watch;
    GByteArray *pending;        /* output the reader has not taken yet */
    guint out_watch;
    ExitNotifier flush_n;       /* the last output at exit */
    RateLimit drop_rl;
    uint64_t dropped;
} FdChardev;

/* Write what the fd takes now, without waiting; bytes written. */
static size_t fd_write_now(FdChardev *f, const uint8_t *buf, size_t len)
{
    size_t done = 0;
    while (done < len) {
        struct pollfd p = { .fd = f->out_fd, .events = POLLOUT };
        if (poll(&p, 1, 0) != 1 || !(p.revents & POLLOUT)) {
            break;
        }
        /* Room for at least this much once POLLOUT is reported. */
        ssize_t n = write(f->out_fd, buf + done, MIN(len - done, 256));
        if (n <= 0) {
            break;
        }
        done += n;
    }
    return done;
}

static gboolean fd_writable(int fd, GIOCondition cond, void *opaque)
{
    FdChardev *f = opaque;
    size_t n = fd_write_now(f, f->pending->data, f->pending->len);
    g_byte_array_remove_range(f->pending, 0, n);
    if (f->pending->len && !(cond & (G_IO_ERR | G_IO_HUP))) {
        return G_SOURCE_CONTINUE;
    }
    g_byte_array_set_size(f->pending, 0);
    f->out_watch = 0;
    return G_SOURCE_REMOVE;
}

static long fd_write_buffered(FdChardev *f, const uint8_t *buf, size_t len)
{
    size_t done = f->pending->len ? 0 : fd_write_now(f, buf, len);
    size_t room = OUT_BUF_MAX - f->pending->len;
    size_t keep = MIN(len - done, room);

    g_byte_array_append(f->pending, buf + done, keep);
    if (f->pending->len && !f->out_watch) {
        f->out_watch = main_loop_add_fd(f->out_fd, G_IO_OUT | G_IO_ERR |
                                        G_IO_HUP, fd_writable, f);
    }
    if (done + keep < len) {
        f->dropped += len - done - keep;
        error_report_ratelimited(&f->drop_rl, "chardev '%s': %s does not "
                                 "take the output; dropped so far: %"
                                 G_GUINT64_FORMAT " byte%s", f->parent.id ?
                                 f->parent.id : f->parent.label,
                                 f->parent.label, f->dropped,
                                 f->dropped == 1 ? "" : "s");
    }
    return len;
}

/* At exit: give the reader up to a second for what is still buffered. */
static void fd_flush_at_exit(void *opaque)
{
    FdChardev *f = opaque;
    gint64 end = g_get_monotonic_time() + G_USEC_PER_SEC;
    while (f->pending->len && g_get_monotonic_time() < end) {
        struct pollfd p = { .fd = f->out_fd, .events = POLLOUT };
        if (poll(&p, 1, 100) == 1 && !(p.revents & POLLOUT)) {
            break;
        }
        size_t n = fd_write_now(f, f->pending->data, f->pending->len);
        g_byte_array_remove_range(f->pending, 0, n);
    }
}

static void fd_make_buffered(FdChardev *f)
{
    f->may_stall = true;
    f->pending = g_byte_array_new();
    f->flush_n.fn = fd_flush_at_exit;
    f->flush_n.opaque = f;
    exit_notifier_add(&f->flush_n);
}

static long fd_write(Chardev *chr, const void *buf, size_t len)
{
    FdChardev *f = (FdChardev *)chr;
    size_t done = 0;
    if (f->may_stall) {
        return fd_write_buffered(f, buf, len);
    }
    while (done < len) {
        ssize_t n = write(f->out_fd, (const char *)buf + done, len - done);
        if (n < 0 && errno == EINTR) {
            continue;
        }
        if (n <= 0) {
            break;
        }
        done += n;
    }
    return done;
}

static gboolean fd_readable(int fd, GIOCondition cond, void *opaque)
{
    FdChardev *f = opaque;
    uint8_t buf[256];
    ssize_t n = read(fd, buf, sizeof(buf));
    if (n <= 0) {
        if (n < 0 && (errno == EINTR || errno == EAGAIN)) {
            return G_SOURCE_CONTINUE;
        }
        f->watch = 0;
        return G_SOURCE_REMOVE;
    }
    chardev_received(&f->parent, buf, n);
    return G_SOURCE_CONTINUE;
}

static void fd_start_read(Chardev *chr)
{
    FdChardev *f = (FdChardev *)chr;
    if (f->in_fd >= 0 && !f->watch) {
        f->watch = main_loop_add_fd(f->in_fd, G_IO_IN | G_IO_HUP,
                                    fd_readable, f);
    }
}

static const ChardevOps fd_ops = {
    .write = fd_write,
    .start_read = fd_start_read,
};

static struct termios saved_tty;
static bool tty_saved;

static void stdio_restore(void *opaque)
{
    if (tty_saved) {
        tcsetattr(0, TCSANOW, &saved_tty);
    }
}

static Chardev *stdio_open(const char *id, bool signal)
{
    static Chardev *stdio_chr;
    if (stdio_chr) {
        return stdio_chr;
    }
    FdChardev *f = (FdChardev *)chardev_new(id, "stdio", "stdio", &fd_ops,
                                            sizeof(FdChardev));
    f->in_fd = 0;
    f->out_fd = 1;
    fd_make_buffered(f);
    if (isatty(0) && tcgetattr(0, &saved_tty) == 0) {
        struct termios raw = saved_tty;
        static ExitNotifier n = { stdio_restore, NULL, NULL };
        /* Raw input for the guest console; keep ^C as SIGINT unless told. */
        raw.c_lflag &= ~(ICANON | ECHO | IEXTEN | (signal ? 0 : ISIG));
        raw.c_iflag &= ~(ICRNL | IXON);
        tty_saved = true;
        tcsetattr(0, TCSANOW, &raw);
        exit_notifier_add(&n);
    }
    f->parent.connected = true;
    stdio_chr = &f->parent;
    return stdio_chr;
}

static Chardev *file_open(const char *id, const char *path, bool append,
                          Error **errp)
{
    /*
     * O_EXCL first, to know whether this start-up made the file: only then
     * may a failed start-up remove it again.
     */
    int flags = O_WRONLY | O_CLOEXEC | (append ? O_APPEND : O_TRUNC);
    bool created = !fdset_is_path(path);
    int fd = fdset_open(path, flags | O_CREAT | O_EXCL, 0644);
    if (fd < 0 && errno == EEXIST) {
        created = false;
        fd = open(path, flags);
    }
    if (fd < 0) {
        error_setg_errno(errp, errno, "chardev '%s': cannot open %s", id,
                         path);
        return NULL;
    }
    if (created) {
        startup_file_created(path);
    }
    FdChardev *f = (FdChardev *)chardev_new(id, "file", path, &fd_ops,
                                            sizeof(FdChardev));
    f->in_fd = -1;
    f->out_fd = fd;
    f->parent.connected = true;
    return &f->parent;
}

/*
 * pty: a new pseudo-terminal; its slave's path is printed as QEMU prints
 * it, for the user's terminal program.  vmu holds the slave open itself,
 * in raw mode, so a terminal program may come and go.
 */
static Chardev *pty_open(const char *id, Error **errp)
{
    int master = posix_openpt(O_RDWR | O_NOCTTY | O_CLOEXEC | O_NONBLOCK);
    const char *name;
    int slave;
    struct termios t;

    if (master < 0 || grantpt(master) < 0 || unlockpt(master) < 0 ||
        !(name = ptsname(master))) {
        error_setg_errno(errp, errno, "chardev '%s': cannot create a "
                         "pseudo-terminal", id);
        if (master >= 0) {
            close(master);
        }
        return NULL;
    }
    slave = open(name, O_RDWR | O_NOCTTY | O_CLOEXEC);
    if (slave < 0) {
        error_setg_errno(errp, errno, "chardev '%s': cannot open %s", id,
                         name);
        close(master);
        return NULL;
    }
    if (tcgetattr(slave, &t) == 0) {
        cfmakeraw(&t);
        tcsetattr(slave, TCSANOW, &t);
    }
    FdChardev *f = (FdChardev *)chardev_new(id, "pty", name, &fd_ops,
                                            sizeof(FdChardev));
    f->in_fd = master;
    f->out_fd = master;
    f->pty_slave = slave;
    fd_make_buffered(f);
    f->parent.connected = true;
    info_report("char device redirected to %s (label %s)", name, id);
    return &f->parent;
}

static Chardev *null_open(const char *id)
{
    static const ChardevOps null_ops = { 0 };
    Chardev *chr = chardev_new(id, "null", "null", &null_ops,
                               sizeof(Chardev));
    chr->connected = true;
    return chr;
}

Chardev *chardev_stdio(void)
{
    return stdio_open(NULL, true);
}

/* HOST:PORT[,OPTIONS] of -serial tcp:/telnet: as socket chardev keys. */
static char *serial_tcp_opts(const char *spec, const char *rest,
                             const char *id, bool telnet, Error **errp)
{
    const char *opts = strchr(rest, ',');
    g_autofree char *addr = opts ? g_strndup(rest, opts - rest)
                                 : g_strdup(rest);
    const char *colon = strrchr(addr, ':');
    char *end = NULL;
    unsigned long port = colon ? strtoul(colon + 1, &end, 10) : 0;

    if (!colon || !colon[1] || *end || port > 65535) {
        error_setg(errp, "-serial %s: write %s:HOST:PORT (HOST may be empty, "
                   "PORT 0 to 65535)", spec, telnet ? "telnet" : "tcp");
        return NULL;
    }
    g_autofree char *host = g_strndup(addr, colon - addr);
    /* [::1]:4444 */
    if (host[0] == '[' && host[strlen(host) - 1] == ']') {
        char *h = g_strndup(host + 1, strlen(host) - 2);
        g_free(host);
        host = h;
    }
    return g_strdup_printf("socket,id=%s,host=%s,port=%s%s%s", id, host,
                           colon + 1, telnet ? ",telnet=on" : "",
                           opts ? opts : "");
}

char *chardev_serial_opts(const char *spec, const char *id,
                          const char **chr_id, Error **errp)
{
    *chr_id = id;
    if (!strcmp(spec, "mon:stdio")) {
        /* the console and an HMP monitor on one terminal (char-mux.c) */
        return g_strdup_printf("stdio,id=%s,mux=on", id);
    }
    if (!strcmp(spec, "stdio") || !strcmp(spec, "null") ||
        !strcmp(spec, "pty")) {
        return g_strdup_printf("%s,id=%s", spec, id);
    }
    if (g_str_has_prefix(spec, "file:") && spec[5]) {
        return g_strdup_printf("file,id=%s,path=%s", id, spec + 5);
    }
    if (g_str_has_prefix(spec, "unix:") && spec[5] && spec[5] != ',') {
        return g_strdup_printf("socket,id=%s,path=%s", id, spec + 5);
    }
    if (g_str_has_prefix(spec, "tcp:") || g_str_has_prefix(spec, "telnet:")) {
        bool telnet = spec[1] == 'e';
        char *o = serial_tcp_opts(spec, spec + (telnet ? 7 : 4), id, telnet,
                                  errp);
        if (!o) {
            *chr_id = NULL;
        }
        return o;
    }
    if (g_str_has_prefix(spec, "chardev:") && spec[8]) {
        *chr_id = spec + 8;
        return NULL;
    }
    error_setg(errp, "-serial %s: unknown serial back-end (use stdio, null, "
               "none, pty, file:PATH, unix:PATH, tcp:HOST:PORT, "
               "telnet:HOST:PORT, mon:stdio or chardev:ID)", spec);
    *chr_id = NULL;
    return NULL;
}

static const OptDesc stdio_desc[] = {
    { "signal", OPT_BOOL, "^C raises SIGINT (default on)" },
    { "mux", OPT_BOOL, "off only" },
    { "logfile", OPT_STRING, "not supported" },
    { 0 },
};

static const OptDesc file_desc[] = {
    { "path", OPT_STRING, "the file to write" },
    { "append", OPT_BOOL, "append instead of truncating" },
    { 0 },
};

static bool simple_check(const Opts *opts, Error **errp)
{
    const char *type = options_type(TYPE_KIND_CHARDEV, opts);
    if (!strcmp(type, "file") && !opts_has(opts, "path")) {
        opts_error(opts, errp, "a file chardev needs path=FILE");
        return false;
    }
    if (opts_get_bool(opts, "mux", false) && strcmp(type, "stdio")) {
        opts_error(opts, errp, "mux=on is only for stdio (the console and "
                   "an HMP monitor on one terminal, as -serial mon:stdio)");
        return false;
    }
    if (opts_has(opts, "logfile")) {
        opts_error(opts, errp, "logfile is not supported yet");
        return false;
    }
    return true;
}

static bool simple_create(const Opts *opts, Error **errp)
{
    const char *type = options_type(TYPE_KIND_CHARDEV, opts);
    const char *id = opts_get(opts, "id");
    if (!strcmp(type, "stdio") && opts_get_bool(opts, "mux", false)) {
        char *be_id = g_strdup_printf("%s-stdio", id);
        Chardev *be = stdio_open(be_id, opts_get_bool(opts, "signal", true));
        g_free(be_id);
        return chardev_mux_new(be, id, errp);
    }
    if (!strcmp(type, "stdio")) {
        Chardev *chr = stdio_open(id, opts_get_bool(opts, "signal", true));
        if (!chr->id) {
            chr->id = g_strdup(id);
        } else if (strcmp(chr->id, id)) {
            opts_error(opts, errp, "there is one stdio: chardev '%s' has it "
                       "already", chr->id);
            return false;
        }
        return true;
    }
    if (!strcmp(type, "file")) {
        return file_open(id, opts_get(opts, "path"),
                         opts_get_bool(opts, "append", false), errp) != NULL;
    }
    if (!strcmp(type, "pty")) {
        return pty_open(id, errp) != NULL;
    }
    return null_open(id) != NULL;
}

static const TypeInfo stdio_type = {
    .kind = TYPE_KIND_CHARDEV, .name = "stdio", .opts = stdio_desc,
    .needs_id = true, .check = simple_check, .create = simple_create,
};
static const TypeInfo file_type = {
    .kind = TYPE_KIND_CHARDEV, .name = "file", .opts = file_desc,
    .needs_id = true, .check = simple_check, .create = simple_create,
};
static const TypeInfo null_type = {
    .kind = TYPE_KIND_CHARDEV, .name = "null", .needs_id = true,
    .create = simple_create,
};

static const TypeInfo pty_type = {
    .kind = TYPE_KIND_CHARDEV, .name = "pty", .needs_id = true,
    .help = "a new pseudo-terminal (its path is printed at start-up)",
    .create = simple_create,
};

static void chardev_register_simple(void)
{
    type_register(&pty_type);
    type_register(&stdio_type);
    type_register(&file_type);
    type_register(&null_type);
}
type_init(chardev_register_simple)
