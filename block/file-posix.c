/*
 * The protocol drivers 'file' (a regular file or a block device) and
 * 'host_device' (a block device only): pread/pwrite on worker threads,
 * O_DIRECT for cache.direct=on with bounce buffers for requests the host
 * cannot take as they are, discard and write-zeroes with fallocate or the
 * block-device ioctls.
 */
#include <errno.h>
#include <fcntl.h>
#include <linux/falloc.h>
#include <linux/fs.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "block-int.h"
#include "file-lock.h"
#include "file-uring.h"
#include "util/fdset.h"
#include "util/trace.h"

typedef struct FileState {
    int fd;
    bool is_block;
    bool uring;         /* aio=io_uring */
    GMutex rmw_lock;    /* unaligned O_DIRECT writes read-modify-write */
} FileState;

static const OptDesc file_opts[] = {
    { "filename", OPT_STRING, "path of the image or block device" },
    { "aio", OPT_STRING, "threads (default), native or io_uring" },
    { "locking", OPT_STRING, "auto|on|off: lock the image as QEMU does" },
    { "aio-max-batch", OPT_NUMBER, "accepted" },
    { 0 },
};

/* Read or write all of iov at offset; reads past the end give zeroes. */
static int file_rw_full(FileState *s, uint64_t offset, struct iovec *iov_in,
                        int niov, bool write)
{
    struct iovec local[BDRV_MAX_IOV];
    struct iovec *iov = local;
    if (niov > BDRV_MAX_IOV) {
        return -EINVAL;
    }
    memcpy(local, iov_in, niov * sizeof(*iov));
    while (niov > 0) {
        ssize_t n;
        if (s->uring) {
            n = file_uring_rw(s->fd, iov, niov, offset, write);
            if (n == -EINTR || n == -EAGAIN) {
                continue;
            }
            if (n < 0) {
                return n;
            }
        } else {
            n = write ? pwritev(s->fd, iov, niov, offset)
                      : preadv(s->fd, iov, niov, offset);
            if (n < 0) {
                if (errno == EINTR) {
                    continue;
                }
                return -errno;
            }
        }
        if (n == 0) {
            if (write) {
                return -EIO;
            }
            /* End of file: the rest reads as zeroes. */
            for (int i = 0; i < niov; i++) {
                memset(iov[i].iov_base, 0, iov[i].iov_len);
            }
            return 0;
        }
        offset += n;
        while (niov > 0 && (size_t)n >= iov->iov_len) {
            n -= iov->iov_len;
            iov++;
            niov--;
        }
        if (niov > 0) {
            iov->iov_base = (char *)iov->iov_base + n;
            iov->iov_len -= n;
        }
    }
    return 0;
}

static bool file_aligned(const BlockDriverState *bs, uint64_t offset,
                         uint64_t bytes, const struct iovec *iov, int niov)
{
    uint64_t a = bs->alignment;
    if (a <= 1) {
        return true;
    }
    if ((offset | bytes) & (a - 1)) {
        return false;
    }
    for (int i = 0; i < niov; i++) {
        if (((uintptr_t)iov[i].iov_base | iov[i].iov_len) & (a - 1)) {
            return false;
        }
    }
    return true;
}

static int64_t file_getlength(BlockDriverState *bs)
{
    FileState *s = bs->opaque;
    if (s->is_block) {
        uint64_t size;
        if (ioctl(s->fd, BLKGETSIZE64, &size) < 0) {
            return -errno;
        }
        return size;
    }
    struct stat st;
    if (fstat(s->fd, &st) < 0) {
        return -errno;
    }
    return st.st_size;
}

/* Through an aligned buffer: [offset, offset+bytes) widened to blocks. */
static int file_bounce(BlockDriverState *bs, uint64_t offset, uint64_t bytes,
                       struct iovec *iov, int niov, bool write)
{
    FileState *s = bs->opaque;
    uint64_t a = bs->alignment;
    uint64_t start = offset & ~(a - 1);
    uint64_t end = (offset + bytes + a - 1) & ~(a - 1);
    void *buf;
    if (posix_memalign(&buf, MAX(a, 4096), end - start)) {
        return -ENOMEM;
    }
    struct iovec biov = { buf, end - start };
    int ret;
    if (!write) {
        ret = file_rw_full(s, start, &biov, 1, false);
        if (!ret) {
            bdrv_iov_from_buf(iov, niov, 0, (char *)buf + (offset - start),
                              bytes);
        }
        free(buf);
        return ret;
    }
    bool rmw = start != offset || end != offset + bytes;
    if (rmw) {
        g_mutex_lock(&s->rmw_lock);
        ret = file_rw_full(s, start, &biov, 1, false);
        if (ret) {
            goto out;
        }
    }
    bdrv_iov_to_buf(iov, niov, 0, (char *)buf + (offset - start), bytes);
    int64_t len = s->is_block ? 0 : file_getlength(bs);
    ret = file_rw_full(s, start, &biov, 1, true);
    /* The widened write may have grown the file past what was asked. */
    if (!ret && !s->is_block && len >= 0 && end > (uint64_t)len &&
        end > offset + bytes) {
        if (ftruncate(s->fd, MAX((uint64_t)len, offset + bytes)) < 0) {
            ret = -errno;
        }
    }
out:
    if (rmw) {
        g_mutex_unlock(&s->rmw_lock);
    }
    free(buf);
    return ret;
}

static int file_preadv(BlockDriverState *bs, uint64_t offset, uint64_t bytes,
                       struct iovec *iov, int niov)
{
    FileState *s = bs->opaque;
    if (!file_aligned(bs, offset, bytes, iov, niov)) {
        return file_bounce(bs, offset, bytes, iov, niov, false);
    }
    return file_rw_full(s, offset, iov, niov, false);
}

static int file_pwritev(BlockDriverState *bs, uint64_t offset, uint64_t bytes,
                        struct iovec *iov, int niov)
{
    FileState *s = bs->opaque;
    if (!file_aligned(bs, offset, bytes, iov, niov)) {
        return file_bounce(bs, offset, bytes, iov, niov, true);
    }
    return file_rw_full(s, offset, iov, niov, true);
}

static int file_flush(BlockDriverState *bs)
{
    FileState *s = bs->opaque;
    if (bs->no_flush) {
        return 0;
    }
    if (s->uring) {
        return file_uring_fdatasync(s->fd);
    }
    return fdatasync(s->fd) < 0 ? -errno : 0;
}

static int file_discard(BlockDriverState *bs, uint64_t offset, uint64_t bytes)
{
    FileState *s = bs->opaque;
    int ret;
    if (s->is_block) {
        uint64_t range[2] = { offset, bytes };
        ret = ioctl(s->fd, BLKDISCARD, range);
    } else {
        ret = fallocate(s->fd, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE,
                        offset, bytes);
    }
    /* Discard is a hint: a host that cannot do it loses nothing. */
    if (ret < 0 && errno != EOPNOTSUPP && errno != ENOTTY &&
        errno != EINVAL) {
        return -errno;
    }
    return 0;
}

static int file_write_zeroes(BlockDriverState *bs, uint64_t offset,
                             uint64_t bytes, bool may_unmap)
{
    FileState *s = bs->opaque;
    int ret = -1;
    errno = EOPNOTSUPP;
    if (s->is_block) {
        uint64_t range[2] = { offset, bytes };
        if (!((offset | bytes) & 511)) {
            ret = ioctl(s->fd, BLKZEROOUT, range);
        }
    } else {
        int64_t len = file_getlength(bs);
        if (may_unmap && len >= 0 && offset + bytes <= (uint64_t)len) {
            ret = fallocate(s->fd, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE,
                            offset, bytes);
        }
        if (ret < 0) {
            ret = fallocate(s->fd, FALLOC_FL_ZERO_RANGE, offset, bytes);
        }
    }
    if (ret == 0) {
        return 0;
    }
    if (errno != EOPNOTSUPP && errno != ENOTTY && errno != EINVAL) {
        return -errno;
    }
    /* Write zeroes the long way, through an aligned buffer. */
    size_t chunk = MIN(bytes, (uint64_t)1 << 20);
    void *zero;
    if (posix_memalign(&zero, 4096, MAX(chunk, 4096))) {
        return -ENOMEM;
    }
    memset(zero, 0, MAX(chunk, 4096));
    ret = 0;
    while (bytes && !ret) {
        size_t n = MIN(bytes, chunk);
        struct iovec iov = { zero, n };
        ret = file_pwritev(bs, offset, n, &iov, 1);
        offset += n;
        bytes -= n;
    }
    free(zero);
    return ret;
}

static int file_truncate(BlockDriverState *bs, uint64_t length)
{
    FileState *s = bs->opaque;
    if (s->is_block) {
        return -ENOTSUP;
    }
    return ftruncate(s->fd, length) < 0 ? -errno : 0;
}

/* The smallest O_DIRECT request the host takes: 512 or 4096. */
static unsigned file_probe_alignment(BlockDriverState *bs)
{
    FileState *s = bs->opaque;
    int ssz;
    if (s->is_block && ioctl(s->fd, BLKSSZGET, &ssz) == 0 && ssz > 0) {
        return ssz;
    }
    if (file_getlength(bs) < 4096) {
        return 4096;    /* nothing to read that would tell: be safe */
    }
    void *buf;
    if (posix_memalign(&buf, 4096, 4096)) {
        return 4096;
    }
    unsigned a = pread(s->fd, buf, 512, 0) == 512 ? 512 : 4096;
    free(buf);
    return a;
}

static bool file_check(const Opts *opts, Error **errp)
{
    const char *filename = opts_get(opts, "filename");
    struct stat st;
    if (!filename || !*filename) {
        opts_error(opts, errp, "filename= is needed: the path of the image");
        return false;
    }
    if (!fdset_is_path(filename) && stat(filename, &st) < 0) {
        opts_error(opts, errp, "cannot open disk image '%s': %s", filename,
                   g_strerror(errno));
        return false;
    }
    if (!fdset_is_path(filename) && !S_ISREG(st.st_mode) &&
        !S_ISBLK(st.st_mode)) {
        opts_error(opts, errp, "'%s' is neither a regular file nor a block "
                   "device", filename);
        return false;
    }
    return true;
}

static bool file_open_common(BlockDriverState *bs, const Opts *opts,
                             bool block_only, Error **errp)
{
    const char *filename = opts_get(opts, "filename");
    if (!filename || !*filename) {
        opts_error(opts, errp, "filename= is needed: the path of the image");
        return false;
    }
    const char *aio = opts_get_str(opts, "aio", "threads");
    if (strcmp(aio, "threads") && strcmp(aio, "native") &&
        strcmp(aio, "io_uring")) {
        opts_error(opts, errp, "aio=%s: use threads, native or io_uring",
                   aio);
        return false;
    }
    if (!strcmp(aio, "native") && !bs->direct) {
        opts_error(opts, errp, "aio=native needs cache.direct=on "
                   "(cache=none or cache=directsync), as in QEMU");
        return false;
    }
    if (!strcmp(aio, "io_uring") && !file_uring_check(errp)) {
        return false;
    }
    const char *locking = opts_get_str(opts, "locking", "auto");
    if (strcmp(locking, "auto") && strcmp(locking, "on") &&
        strcmp(locking, "off")) {
        opts_error(opts, errp, "locking=%s: use auto, on or off", locking);
        return false;
    }
    bs->filename = g_strdup(filename);
    int flags = (bs->read_only ? O_RDONLY : O_RDWR) | O_CLOEXEC;
    if (bs->direct) {
        flags |= O_DIRECT;
    }
    int fd = fdset_open(filename, flags, 0);
    if (fd < 0 && errno == EINVAL && bs->direct) {
        opts_error(opts, errp, "cannot open '%s' with O_DIRECT "
                   "(cache=none): its filesystem does not support it (tmpfs "
                   "does not); use cache=writeback", filename);
        return false;
    }
    if (fd < 0 && (errno == EACCES || errno == EROFS || errno == EPERM) &&
        !bs->read_only) {
        opts_error(opts, errp, "cannot open '%s' for writing: %s; give "
                   "readonly=on (read-only=on) or make it writable", filename,
                   g_strerror(errno));
        return false;
    }
    if (fd < 0) {
        opts_error(opts, errp, "cannot open disk image '%s': %s", filename,
                   g_strerror(errno));
        return false;
    }
    struct stat st;
    if (fstat(fd, &st) < 0 || (!S_ISREG(st.st_mode) && !S_ISBLK(st.st_mode))) {
        close(fd);
        opts_error(opts, errp, "'%s' is neither a regular file nor a block "
                   "device", filename);
        return false;
    }
    if (block_only && !S_ISBLK(st.st_mode)) {
        close(fd);
        opts_error(opts, errp, "'%s' is not a block device; use "
                   "driver=file for an image file", filename);
        return false;
    }
    bool lock = strcmp(locking, "off");
    if (lock && !file_lock_take(fd, filename, !bs->read_only, bs->force_share,
                                errp)) {
        close(fd);
        return false;
    }
    FileState *s = g_new0(FileState, 1);
    s->fd = fd;
    s->is_block = S_ISBLK(st.st_mode);
    g_mutex_init(&s->rmw_lock);
    bs->opaque = s;
    bs->alignment = bs->direct ? file_probe_alignment(bs) : 1;
    s->uring = !strcmp(aio, "io_uring");
    return true;
}

static bool file_open(BlockDriverState *bs, const Opts *opts, Error **errp)
{
    return file_open_common(bs, opts, false, errp);
}

static bool host_device_open(BlockDriverState *bs, const Opts *opts,
                             Error **errp)
{
    return file_open_common(bs, opts, true, errp);
}

static void file_close(BlockDriverState *bs)
{
    FileState *s = bs->opaque;
    close(s->fd);
    g_mutex_clear(&s->rmw_lock);
    g_free(s);
}

#define FILE_DRIVER_OPS                                                       \
    .opts = file_opts,                                                        \
    .check = file_check,                                                      \
    .close = file_close,                                                      \
    .preadv = file_preadv,                                                    \
    .pwritev = file_pwritev,                                                  \
    .flush = file_flush,                                                      \
    .discard = file_discard,                                                  \
    .write_zeroes = file_write_zeroes,                                        \
    .getlength = file_getlength,                                              \
    .truncate = file_truncate

static const BlockDriver bdrv_file = {
    .name = "file",
    .help = "a regular file or a block device",
    .open = file_open,
    FILE_DRIVER_OPS,
};

static const BlockDriver bdrv_host_device = {
    .name = "host_device",
    .help = "a block device",
    .open = host_device_open,
    FILE_DRIVER_OPS,
};

static void file_register(void)
{
    bdrv_register(&bdrv_file);
    bdrv_register(&bdrv_host_device);
}

block_init(file_register)
