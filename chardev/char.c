/*
 * The chardev registry and the simple types: stdio, file, null.
 */
#include <errno.h>
#include <fcntl.h>
#include <glib.h>
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

/* stdio and file: a write fd, and for stdio a read fd on the main loop. */
typedef struct FdChardev {
    Chardev parent;
    int in_fd;
    int out_fd;
    guint watch;
} FdChardev;

static long fd_write(Chardev *chr, const void *buf, size_t len)
{
    FdChardev *f = (FdChardev *)chr;
    size_t done = 0;
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

static Chardev *null_open(const char *id)
{
    static const ChardevOps null_ops = { 0 };
    Chardev *chr = chardev_new(id, "null", "null", &null_ops,
                               sizeof(Chardev));
    chr->connected = true;
    return chr;
}

Chardev *chardev_for_serial(const char *spec, Error **errp)
{
    if (!strcmp(spec, "none")) {
        return NULL;
    }
    if (!strcmp(spec, "stdio") || !strcmp(spec, "mon:stdio")) {
        return stdio_open(NULL, true);
    }
    if (!strcmp(spec, "null")) {
        return null_open(NULL);
    }
    if (g_str_has_prefix(spec, "file:")) {
        return file_open("serial0", spec + 5, false, errp);
    }
    if (g_str_has_prefix(spec, "chardev:")) {
        Chardev *chr = chardev_find(spec + 8);
        if (!chr) {
            error_setg(errp, "-serial %s: there is no -chardev with id '%s'",
                       spec, spec + 8);
        }
        return chr;
    }
    error_setg(errp, "-serial %s: unknown serial back-end (use stdio, null, "
               "none, chardev:ID or file:PATH)", spec);
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
    if (opts_get_bool(opts, "mux", false)) {
        opts_error(opts, errp, "mux=on is not supported: vmu has no monitor "
                   "to share the chardev with");
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

static void chardev_register_simple(void)
{
    type_register(&stdio_type);
    type_register(&file_type);
    type_register(&null_type);
}
type_init(chardev_register_simple)
