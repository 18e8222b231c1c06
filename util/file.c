/*
 * Whole-file reads with a size limit, for the files a command line names.
 */
#include <errno.h>
#include <fcntl.h>
#include <glib.h>
#include <unistd.h>

#include "util/file.h"

bool file_read_all(const char *what, const char *path, size_t max,
                   uint8_t **data, size_t *len, Error **errp)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        error_setg_errno(errp, errno, "cannot read %s %s", what, path);
        return false;
    }
    /* At most max + 1 bytes: one more than allowed says "too large". */
    size_t cap = MIN(65536, max + 1), n = 0;
    uint8_t *buf = g_malloc(cap);
    for (;;) {
        if (n == cap) {
            if (cap > max) {
                break;
            }
            cap = MIN(cap * 2, max + 1);
            buf = g_realloc(buf, cap);
        }
        ssize_t r = read(fd, buf + n, cap - n);
        if (r < 0 && errno == EINTR) {
            continue;
        }
        if (r < 0) {
            error_setg_errno(errp, errno, "cannot read %s %s", what, path);
            close(fd);
            g_free(buf);
            return false;
        }
        if (r == 0) {
            break;
        }
        n += r;
    }
    close(fd);
    if (n > max) {
        error_setg(errp, "%s %s is too large: at most %zu MiB", what, path,
                   max >> 20);
        g_free(buf);
        return false;
    }
    *data = buf;
    *len = n;
    return true;
}
