/*
 * The 'raw' format: the guest's disk is the child's bytes, optionally a
 * window of them (offset=, size=).  A probed raw image (no format= given)
 * refuses a write that would make its first sector look like another
 * format, which a later probe would then trust.
 */
#include <errno.h>
#include <string.h>

#include "block-int.h"

typedef struct RawState {
    uint64_t offset;
    uint64_t size;
    bool has_size;
} RawState;

static const OptDesc raw_opts[] = {
    { "offset", OPT_SIZE, "where the disk starts in the file (bytes)" },
    { "size", OPT_SIZE, "the disk's size (bytes; default: to the end)" },
    { 0 },
};

static int raw_probe(const uint8_t *buf, size_t len)
{
    return 1;   /* anything is raw, if nothing better fits */
}

static bool raw_open(BlockDriverState *bs, const Opts *opts, Error **errp)
{
    RawState *s = g_new0(RawState, 1);
    int64_t len = bdrv_getlength(bs->file);
    if (len < 0) {
        opts_error(opts, errp, "cannot get the size of '%s': %s",
                   bs->filename, g_strerror(-len));
        g_free(s);
        return false;
    }
    s->offset = opts_get_size(opts, "offset", 0);
    s->has_size = opts_has(opts, "size");
    s->size = opts_get_size(opts, "size", 0);
    if (s->offset > (uint64_t)len ||
        (s->has_size && s->size > (uint64_t)len - s->offset)) {
        opts_error(opts, errp, "offset (%" G_GUINT64_FORMAT ") plus size "
                   "(%" G_GUINT64_FORMAT ") is past the end of '%s' (%"
                   G_GINT64_FORMAT " bytes)", s->offset,
                   s->has_size ? s->size : 0, bs->filename, len);
        g_free(s);
        return false;
    }
    if ((s->offset | s->size) % 512) {
        opts_error(opts, errp, "offset= and size= must be multiples of 512 "
                   "(the disk's sector size)");
        g_free(s);
        return false;
    }
    bs->opaque = s;
    return true;
}

static void raw_close(BlockDriverState *bs)
{
    g_free(bs->opaque);
}

static int64_t raw_getlength(BlockDriverState *bs)
{
    RawState *s = bs->opaque;
    if (s->has_size) {
        return s->size;
    }
    int64_t len = bdrv_getlength(bs->file);
    return len < 0 ? len : MAX(len - (int64_t)s->offset, 0);
}

static int raw_range(BlockDriverState *bs, uint64_t offset, uint64_t bytes)
{
    RawState *s = bs->opaque;
    if (s->has_size && (offset > s->size || bytes > s->size - offset)) {
        return -EINVAL;
    }
    return 0;
}

static int raw_preadv(BlockDriverState *bs, uint64_t offset, uint64_t bytes,
                      struct iovec *iov, int niov)
{
    RawState *s = bs->opaque;
    int ret = raw_range(bs, offset, bytes);
    return ret ? ret : bdrv_preadv(bs->file, s->offset + offset, bytes, iov,
                                   niov);
}

static int raw_pwritev(BlockDriverState *bs, uint64_t offset, uint64_t bytes,
                       struct iovec *iov, int niov)
{
    RawState *s = bs->opaque;
    int ret = raw_range(bs, offset, bytes);
    if (ret) {
        return ret;
    }
    if (bs->probed_raw && offset < 4096) {
        /* What the first 4 KiB would hold after this write. */
        uint8_t head[4096];
        ret = bdrv_pread(bs->file, s->offset, head, sizeof(head));
        if (ret < 0) {
            return ret;
        }
        size_t n = MIN(bytes, sizeof(head) - offset);
        bdrv_iov_to_buf(iov, niov, 0, head + offset, n);
        if (bdrv_probe_is_format(head, sizeof(head))) {
            return -EPERM;
        }
    }
    return bdrv_pwritev(bs->file, s->offset + offset, bytes, iov, niov);
}

static int raw_discard(BlockDriverState *bs, uint64_t offset, uint64_t bytes)
{
    RawState *s = bs->opaque;
    int ret = raw_range(bs, offset, bytes);
    return ret ? ret : bdrv_discard(bs->file, s->offset + offset, bytes);
}

static int raw_write_zeroes(BlockDriverState *bs, uint64_t offset,
                            uint64_t bytes, bool may_unmap)
{
    RawState *s = bs->opaque;
    int ret = raw_range(bs, offset, bytes);
    return ret ? ret : bdrv_write_zeroes(bs->file, s->offset + offset, bytes,
                                         may_unmap);
}

static const BlockDriver bdrv_raw = {
    .name = "raw",
    .help = "the disk's bytes as they are",
    .opts = raw_opts,
    .is_format = true,
    .probe = raw_probe,
    .open = raw_open,
    .close = raw_close,
    .preadv = raw_preadv,
    .pwritev = raw_pwritev,
    .discard = raw_discard,
    .write_zeroes = raw_write_zeroes,
    .getlength = raw_getlength,
};

static void raw_register(void)
{
    bdrv_register(&bdrv_raw);
}
block_init(raw_register)
