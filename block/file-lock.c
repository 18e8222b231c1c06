/*
 * QEMU-compatible image locks (see file-lock.h): take ours first, then
 * look for conflicting ones, so two processes starting at once cannot
 * both miss each other.
 */
#include <errno.h>
#include <fcntl.h>
#include <glib.h>
#include <string.h>

#include "file-lock.h"
#include "util/trace.h"

#define LOCK_PERM_BASE   100
#define LOCK_SHARED_BASE 200

enum {
    PERM_CONSISTENT_READ = 1 << 0,
    PERM_WRITE = 1 << 1,
    PERM_WRITE_UNCHANGED = 1 << 2,
    PERM_RESIZE = 1 << 3,
    PERM_ALL = 0xf,
};

static const char *const perm_names[] = {
    "consistent read", "write", "write unchanged", "resize",
};

static int lock_byte(int fd, unsigned byte, short type)
{
    struct flock fl = {
        .l_type = type, .l_whence = SEEK_SET, .l_start = byte, .l_len = 1,
    };
    return fcntl(fd, F_OFD_SETLK, &fl) < 0 ? -errno : 0;
}

/* Does another open file hold a lock on this byte? */
static bool byte_taken(int fd, unsigned byte)
{
    struct flock fl = {
        .l_type = F_WRLCK, .l_whence = SEEK_SET, .l_start = byte, .l_len = 1,
    };
    return fcntl(fd, F_OFD_GETLK, &fl) == 0 && fl.l_type != F_UNLCK;
}

bool file_lock_take(int fd, const char *filename, bool write, bool share_all,
                    Error **errp)
{
    unsigned perm = PERM_CONSISTENT_READ | (write ? PERM_WRITE : 0);
    unsigned unshared = share_all ? 0 : PERM_WRITE;
    for (unsigned i = 0; i < G_N_ELEMENTS(perm_names); i++) {
        int ret = 0;
        if (perm & (1u << i)) {
            ret = lock_byte(fd, LOCK_PERM_BASE + i, F_RDLCK);
        }
        if (!ret && (unshared & (1u << i))) {
            ret = lock_byte(fd, LOCK_SHARED_BASE + i, F_RDLCK);
        }
        if (ret == -EINVAL || ret == -ENOTSUP) {
            return true;    /* a filesystem without OFD locks: as QEMU */
        }
        if (ret < 0 && ret != -EAGAIN && ret != -EACCES) {
            error_setg_errno(errp, -ret, "cannot lock disk image '%s'",
                             filename);
            return false;
        }
    }
    for (unsigned i = 0; i < G_N_ELEMENTS(perm_names); i++) {
        bool busy = ((perm & (1u << i)) &&
                     byte_taken(fd, LOCK_SHARED_BASE + i)) ||
                    ((unshared & (1u << i)) &&
                     byte_taken(fd, LOCK_PERM_BASE + i));
        if (busy) {
            trace(file_lock_conflict, "%s: '%s' lock", filename,
                  perm_names[i]);
            error_setg(errp, "disk image '%s' is in use: another process "
                       "(a QEMU, a vmu, qemu-img) holds its '%s' lock; stop "
                       "that one first, or give file.locking=off if sharing "
                       "the image is intended", filename, perm_names[i]);
            return false;
        }
    }
    trace(file_lock_take, "%s: %s", filename, write ? "read-write" :
          "read-only");
    return true;
}
