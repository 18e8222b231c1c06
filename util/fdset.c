/*
 * -add-fd: descriptors a management tool passed, grouped in numbered sets,
 * opened as "/dev/fdset/N" wherever vmu opens a file.
 */
#include <errno.h>
#include <fcntl.h>
#include <glib.h>
#include <string.h>
#include <unistd.h>

#include "util/fdset.h"
#include "util/opts.h"

typedef struct FdSetMember {
    unsigned set;
    int fd;             /* vmu's duplicate */
    int original;       /* the fd the command line named */
    char *opaque;
} FdSetMember;

static GArray *members;

static const OptDesc add_fd_desc[] = {
    { "fd", OPT_NUMBER, "an open file descriptor (3 or more)" },
    { "set", OPT_NUMBER, "the set's number" },
    { "opaque", OPT_STRING, "free text kept with the fd" },
    { 0 },
};

bool fdset_add_option(const char *text, Error **errp)
{
    Opts *o = opts_parse("-add-fd", text, "fd", errp);
    bool ok = false;
    if (!o || !opts_validate(o, "-add-fd", add_fd_desc, NULL, errp)) {
        goto out;
    }
    if (!opts_has(o, "fd") || !opts_has(o, "set")) {
        opts_error(o, errp, "give both fd=N (an inherited descriptor) and "
                   "set=S (the number of /dev/fdset/S)");
        goto out;
    }
    uint64_t fd = opts_get_number(o, "fd", 0);
    uint64_t set = opts_get_number(o, "set", 0);
    if (fd < 3 || fd > G_MAXINT) {
        opts_error(o, errp, "fd=%" G_GUINT64_FORMAT ": fds 0 to 2 are "
                   "vmu's standard streams; pass the file on fd 3 or above",
                   fd);
        goto out;
    }
    if (set > G_MAXINT) {
        opts_error(o, errp, "set=%" G_GUINT64_FORMAT " is too large", set);
        goto out;
    }
    if (fcntl((int)fd, F_GETFD) < 0) {
        opts_error(o, errp, "fd=%" G_GUINT64_FORMAT " is not open in this "
                   "process; the program that starts vmu must pass it",
                   fd);
        goto out;
    }
    int dup = fcntl((int)fd, F_DUPFD_CLOEXEC, 3);
    if (dup < 0) {
        error_setg_errno(errp, errno, "-add-fd %s: cannot duplicate fd %"
                         G_GUINT64_FORMAT, text, fd);
        goto out;
    }
    if (!members) {
        members = g_array_new(FALSE, TRUE, sizeof(FdSetMember));
    }
    FdSetMember m = { (unsigned)set, dup, (int)fd,
                      g_strdup(opts_get(o, "opaque")) };
    g_array_append_val(members, m);
    ok = true;
out:
    if (o) {
        opts_free(o);
    }
    return ok;
}

void fdset_close_originals(void)
{
    for (unsigned i = 0; members && i < members->len; i++) {
        FdSetMember *m = &g_array_index(members, FdSetMember, i);
        if (m->original >= 0) {
            close(m->original);
            /* The same fd may be in two sets: close it once. */
            for (unsigned k = i + 1; k < members->len; k++) {
                FdSetMember *o = &g_array_index(members, FdSetMember, k);
                if (o->original == m->original) {
                    o->original = -1;
                }
            }
            m->original = -1;
        }
    }
}

/* The set number of "/dev/fdset/N", or -1. */
static long fdset_number(const char *path)
{
    static const char prefix[] = "/dev/fdset/";
    if (!path || strncmp(path, prefix, sizeof(prefix) - 1)) {
        return -1;
    }
    const char *num = path + sizeof(prefix) - 1;
    char *end;
    errno = 0;
    long n = strtol(num, &end, 10);
    if (!*num || *end || errno || n < 0 || n > G_MAXINT ||
        !g_ascii_isdigit(*num)) {
        return -1;
    }
    return n;
}

bool fdset_is_path(const char *path)
{
    return fdset_number(path) >= 0;
}

int fdset_open(const char *path, int flags, mode_t mode)
{
    long set = fdset_number(path);
    if (set < 0) {
        return open(path, flags, mode);
    }
    bool found = false;
    for (unsigned i = 0; members && i < members->len; i++) {
        FdSetMember *m = &g_array_index(members, FdSetMember, i);
        if (m->set != (unsigned)set) {
            continue;
        }
        found = true;
        int fl = fcntl(m->fd, F_GETFL);
        if (fl >= 0 && (fl & O_ACCMODE) == (flags & O_ACCMODE)) {
            return fcntl(m->fd, F_DUPFD_CLOEXEC, 3);
        }
    }
    errno = found ? EACCES : ENOENT;
    return -1;
}
