/*
 * The qcow2 format (versions 2 and 3): open with every header field
 * checked against the file, reads (backing files, zero and compressed
 * clusters), writes with cluster allocation and copy-on-write, write-zeroes
 * and discard by cluster.  Encrypted images, external data files, extended
 * L2 entries and zstd compression are refused at open with the way out.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <zlib.h>

#include "qcow2.h"
#include "util/trace.h"

static const OptDesc qcow2_opts[] = {
    { "backing", OPT_STRING, "the backing node's name, or \"\" for none" },
    { "lazy-refcounts", OPT_BOOL, "accepted (vmu keeps refcounts current)" },
    { "cache-size", OPT_SIZE, "accepted" },
    { "l2-cache-size", OPT_SIZE, "accepted" },
    { "l2-cache-entry-size", OPT_SIZE, "accepted" },
    { "refcount-cache-size", OPT_SIZE, "accepted" },
    { "cache-clean-interval", OPT_NUMBER, "accepted" },
    { "pass-discard-request", OPT_BOOL, "accepted (as discard=)" },
    { "pass-discard-snapshot", OPT_BOOL, "accepted" },
    { "pass-discard-other", OPT_BOOL, "accepted" },
    { "overlap-check", OPT_STRING, "accepted" },
    { "discard-no-unref", OPT_BOOL, "accepted" },
    { 0 },
};

int qcow2_corrupt(BlockDriverState *bs, const char *fmt, ...)
{
    static RateLimit rl;
    va_list ap;
    va_start(ap, fmt);
    char *msg = g_strdup_vprintf(fmt, ap);
    va_end(ap);
    error_report_ratelimited(&rl, "qcow2 image '%s' is corrupt: %s; the "
                             "request fails with an I/O error (qemu-img check "
                             "tells more)", bs->filename, msg);
    g_free(msg);
    return -EIO;
}

static int qcow2_probe(const uint8_t *buf, size_t len)
{
    if (len >= 8 && qcow2_be32(buf) == QCOW2_MAGIC) {
        uint32_t version = qcow2_be32(buf + 4);
        return version >= 2 ? 100 : 0;
    }
    return 0;
}

/* The feature-name table's name for an incompatible bit, if any. */
static char *feature_name(const uint8_t *table, uint32_t len, unsigned bit)
{
    for (uint32_t i = 0; i + 48 <= len; i += 48) {
        if (table[i] == 0 && table[i + 1] == bit) {
            return g_strndup((const char *)table + i + 2, 46);
        }
    }
    return g_strdup_printf("bit %u", bit);
}

typedef struct Qcow2Header {
    uint8_t *buf;           /* the first cluster */
    uint64_t buf_len;
    uint64_t backing_offset;
    uint32_t backing_size;
    char *backing_format;
    const uint8_t *features;
    uint32_t features_len;
} Qcow2Header;

static bool parse_extensions(Qcow2Header *h, uint64_t start, const Opts *o,
                             Error **errp)
{
    uint64_t off = start;
    while (off + 8 <= h->buf_len) {
        uint32_t type = qcow2_be32(h->buf + off);
        uint32_t len = qcow2_be32(h->buf + off + 4);
        off += 8;
        if (type == QCOW2_EXT_END) {
            return true;
        }
        if (len > h->buf_len - off) {
            opts_error(o, errp, "qcow2 header extension 0x%x runs past the "
                       "first cluster: the image is corrupt", type);
            return false;
        }
        if (type == QCOW2_EXT_BACKING_FMT) {
            g_free(h->backing_format);
            h->backing_format = g_strndup((const char *)h->buf + off, len);
        } else if (type == QCOW2_EXT_FEATURES) {
            h->features = h->buf + off;
            h->features_len = len;
        }
        off += (len + 7) & ~7u;
    }
    return true;
}

static bool check_features(BlockDriverState *bs, Qcow2State *s,
                           Qcow2Header *h, const Opts *o, Error **errp)
{
    static const struct { uint64_t bit; const char *what; } refused[] = {
        { QCOW2_INCOMPAT_DATA_FILE, "an external data file" },
        { QCOW2_INCOMPAT_EXTL2, "extended L2 entries (subclusters)" },
        { QCOW2_INCOMPAT_COMPRESSION, "a compression type other than zlib "
          "(zstd)" },
    };
    for (unsigned i = 0; i < G_N_ELEMENTS(refused); i++) {
        if (s->incompat & refused[i].bit) {
            opts_error(o, errp, "'%s' is a qcow2 image with %s, which vmu "
                       "does not support; convert it (qemu-img convert -O "
                       "qcow2 IN OUT)", bs->filename, refused[i].what);
            return false;
        }
    }
    uint64_t unknown = s->incompat & ~(QCOW2_INCOMPAT_DIRTY |
                                       QCOW2_INCOMPAT_CORRUPT);
    if (unknown) {
        char *name = feature_name(h->features, h->features_len,
                                  __builtin_ctzll(unknown));
        opts_error(o, errp, "'%s' uses the qcow2 feature '%s', which vmu "
                   "does not know; convert it (qemu-img convert -O qcow2 IN "
                   "OUT)", bs->filename, name);
        g_free(name);
        return false;
    }
    if ((s->incompat & QCOW2_INCOMPAT_CORRUPT) && !bs->read_only) {
        opts_error(o, errp, "qcow2 image '%s' is marked corrupt; repair it "
                   "with qemu-img check -r all, or open it read-only",
                   bs->filename);
        return false;
    }
    if ((s->incompat & QCOW2_INCOMPAT_DIRTY) && !bs->read_only) {
        opts_error(o, errp, "qcow2 image '%s' was not closed cleanly (lazy "
                   "refcounts) and its refcounts need a repair: run qemu-img "
                   "check -r all on it, or open it read-only", bs->filename);
        return false;
    }
    if (opts_get_bool(o, "lazy-refcounts", false) && s->version < 3) {
        opts_error(o, errp, "lazy-refcounts=on needs a version 3 image "
                   "(qemu-img amend -o compat=1.1)");
        return false;
    }
    return true;
}

static bool read_header(BlockDriverState *bs, Qcow2State *s, Qcow2Header *h,
                        const Opts *o, Error **errp)
{
    int64_t file_len = bdrv_getlength(bs->file);
    uint8_t first[QH_V3_LENGTH];
    if (file_len < QH_V2_LENGTH) {
        opts_error(o, errp, "'%s' is too short for a qcow2 image (%"
                   G_GINT64_FORMAT " bytes): truncated?", bs->filename,
                   file_len);
        return false;
    }
    int ret = bdrv_pread(bs->file, 0, first, sizeof(first));
    if (ret < 0) {
        opts_error(o, errp, "cannot read '%s': %s", bs->filename,
                   g_strerror(-ret));
        return false;
    }
    if (qcow2_be32(first) != QCOW2_MAGIC) {
        opts_error(o, errp, "'%s' is not a qcow2 image (no QFI magic); give "
                   "its format (format=raw) or leave format= out",
                   bs->filename);
        return false;
    }
    s->version = qcow2_be32(first + QH_VERSION);
    if (s->version != 2 && s->version != 3) {
        opts_error(o, errp, "'%s' is qcow2 version %u; vmu reads versions 2 "
                   "and 3", bs->filename, s->version);
        return false;
    }
    s->cluster_bits = qcow2_be32(first + QH_CLUSTER_BITS);
    if (s->cluster_bits < 9 || s->cluster_bits > 21) {
        opts_error(o, errp, "qcow2 image '%s' has a corrupt header: cluster "
                   "size 2^%u is not 512 bytes to 2 MiB", bs->filename,
                   s->cluster_bits);
        return false;
    }
    s->cluster_size = 1ull << s->cluster_bits;
    h->buf_len = MIN(s->cluster_size, (uint64_t)file_len);
    h->buf = g_malloc0(s->cluster_size);
    ret = bdrv_pread(bs->file, 0, h->buf, h->buf_len);
    if (ret < 0) {
        opts_error(o, errp, "cannot read '%s': %s", bs->filename,
                   g_strerror(-ret));
        return false;
    }
    const uint8_t *b = h->buf;
    uint32_t crypt = qcow2_be32(b + QH_CRYPT_METHOD);
    if (crypt) {
        opts_error(o, errp, "'%s' is an encrypted qcow2 image (%s), which "
                   "vmu does not open; decrypt it with qemu-img convert "
                   "--object secret,... --image-opts ... -O qcow2 OUT",
                   bs->filename, crypt == 1 ? "AES" : crypt == 2 ? "LUKS" :
                   "unknown method");
        return false;
    }
    s->size = qcow2_be64(b + QH_SIZE);
    s->l1_size = qcow2_be32(b + QH_L1_SIZE);
    s->l1_offset = qcow2_be64(b + QH_L1_OFFSET);
    s->reftable_offset = qcow2_be64(b + QH_REFTABLE_OFFSET);
    s->reftable_clusters = qcow2_be32(b + QH_REFTABLE_CLUSTERS);
    h->backing_offset = qcow2_be64(b + QH_BACKING_OFFSET);
    h->backing_size = qcow2_be32(b + QH_BACKING_SIZE);
    uint64_t header_len = QH_V2_LENGTH;
    s->refcount_order = 4;
    if (s->version == 3) {
        s->incompat = qcow2_be64(b + QH_INCOMPAT);
        s->compat = qcow2_be64(b + QH_COMPAT);
        s->autoclear = qcow2_be64(b + QH_AUTOCLEAR);
        s->refcount_order = qcow2_be32(b + QH_REFCOUNT_ORDER);
        header_len = qcow2_be32(b + QH_HEADER_LENGTH);
        if (header_len < QH_V3_LENGTH || header_len > h->buf_len) {
            opts_error(o, errp, "qcow2 image '%s' has a corrupt header: "
                       "header length %" G_GUINT64_FORMAT, bs->filename,
                       header_len);
            return false;
        }
    }
    if (s->refcount_order > 6) {
        opts_error(o, errp, "qcow2 image '%s' has a corrupt header: "
                   "refcount order %u (refcounts of 2^%u bits) is past the "
                   "64-bit maximum", bs->filename, s->refcount_order,
                   s->refcount_order);
        return false;
    }
    if (s->refcount_order < 3) {
        opts_error(o, errp, "'%s' has %u-bit refcounts, which vmu does not "
                   "write; convert it (qemu-img convert -O qcow2 -o "
                   "refcount_bits=16 IN OUT)", bs->filename,
                   1u << s->refcount_order);
        return false;
    }
    s->refcount_max = s->refcount_order == 6 ? UINT64_MAX :
                      (1ull << (1u << s->refcount_order)) - 1;
    return parse_extensions(h, header_len, o, errp) &&
           check_features(bs, s, h, o, errp);
}

/* Every table the header points to must lie inside the file. */
static bool check_layout(BlockDriverState *bs, Qcow2State *s, Qcow2Header *h,
                         const Opts *o, Error **errp)
{
    int64_t file_len = bdrv_getlength(bs->file);
    s->l2_bits = s->cluster_bits - 3;
    uint64_t per_l1 = s->cluster_size << s->l2_bits;
    uint64_t need = (s->size + per_l1 - 1) / per_l1;
    const char *bad = NULL;
    if (s->size > (1ull << 56)) {
        bad = "a disk size past 2^56 bytes";
    } else if (s->l1_size < need) {
        bad = "an L1 table too small for the disk size";
    } else if (s->l1_size > (32u << 20) / 8) {
        bad = "an L1 table bigger than 32 MiB";
    } else if (s->l1_size && (s->l1_offset & (s->cluster_size - 1))) {
        bad = "an unaligned L1 table";
    } else if (s->l1_size && (s->l1_offset + 8ull * s->l1_size >
                              (uint64_t)file_len || !s->l1_offset)) {
        bad = "an L1 table past the end of the file (truncated?)";
    } else if (!s->reftable_clusters ||
               s->reftable_clusters > (8u << 20) / s->cluster_size + 1) {
        bad = "a refcount table of an impossible size";
    } else if ((s->reftable_offset & (s->cluster_size - 1)) ||
               !s->reftable_offset) {
        bad = "an unaligned refcount table";
    } else if (s->reftable_offset +
               (uint64_t)s->reftable_clusters * s->cluster_size >
               (uint64_t)file_len) {
        bad = "a refcount table past the end of the file (truncated?)";
    } else if (h->backing_offset &&
               (h->backing_size > 1023 ||
                h->backing_offset + h->backing_size > h->buf_len)) {
        bad = "a backing file name outside the first cluster";
    }
    if (bad) {
        opts_error(o, errp, "qcow2 image '%s' is corrupt: its header gives "
                   "%s; check it with qemu-img check", bs->filename, bad);
        return false;
    }
    return true;
}

static bool load_tables(BlockDriverState *bs, Qcow2State *s, const Opts *o,
                        Error **errp)
{
    s->l1 = g_new0(uint64_t, MAX(s->l1_size, 1u));
    int ret = s->l1_size ? bdrv_pread(bs->file, s->l1_offset, s->l1,
                                      8ull * s->l1_size) : 0;
    s->reftable_entries = (uint64_t)s->reftable_clusters * s->cluster_size / 8;
    s->reftable = g_new0(uint64_t, s->reftable_entries);
    if (!ret) {
        ret = bdrv_pread(bs->file, s->reftable_offset, s->reftable,
                         s->reftable_entries * 8);
    }
    if (ret < 0) {
        opts_error(o, errp, "cannot read the tables of '%s': %s",
                   bs->filename, g_strerror(-ret));
        return false;
    }
    for (uint32_t i = 0; i < s->l1_size; i++) {
        s->l1[i] = GUINT64_FROM_BE(s->l1[i]);
    }
    for (uint64_t i = 0; i < s->reftable_entries; i++) {
        s->reftable[i] = GUINT64_FROM_BE(s->reftable[i]);
    }
    return true;
}

static unsigned backing_depth;

static bool open_backing(BlockDriverState *bs, Qcow2Header *h, const Opts *o,
                         Error **errp)
{
    const char *ref = opts_get(o, "backing");
    if (bdrv_opts_has_sub(o, "backing")) {
        Opts *sub = bdrv_opts_sub(o, "backing");
        BlockDriverState ro = *bs;
        ro.read_only = true;
        bs->backing = bdrv_open_opts(sub, &ro, errp);
        opts_free(sub);
        return bs->backing;
    }
    if (ref) {
        if (!*ref) {
            return true;    /* backing="": none */
        }
        bs->backing = bdrv_find_node(ref);
        if (!bs->backing) {
            opts_error(o, errp, "backing=%s: there is no block node named "
                       "'%s'", ref, ref);
            return false;
        }
        bs->backing->refcnt++;
        bs->backing->has_parent = true;
        return true;
    }
    if (!h->backing_offset || !h->backing_size) {
        return true;
    }
    char *name = g_strndup((const char *)h->buf + h->backing_offset,
                           h->backing_size);
    if (g_str_has_prefix(name, "json:") || strstr(name, "://")) {
        opts_error(o, errp, "the backing file of '%s' is '%s', which vmu "
                   "cannot open (a file path is needed); rebase the image "
                   "(qemu-img rebase -u -b PATH -F FORMAT)", bs->filename,
                   name);
        g_free(name);
        return false;
    }
    const char *path = g_str_has_prefix(name, "file:") ? name + 5 : name;
    char *dir = g_path_get_dirname(bs->filename);
    char *full = g_path_is_absolute(path) ? g_strdup(path) :
                 g_build_filename(dir, path, NULL);
    g_free(dir);
    if (backing_depth >= 32) {
        opts_error(o, errp, "the backing chain of '%s' is longer than 32 "
                   "images (does an image name itself?)", bs->filename);
        g_free(name);
        g_free(full);
        return false;
    }
    Error *err = NULL;
    backing_depth++;
    bs->backing = bdrv_open_backing(full, h->backing_format, bs, &err);
    backing_depth--;
    if (!bs->backing) {
        error_prepend(&err, "backing file of '%s': ", bs->filename);
        error_propagate(errp, err);
    }
    g_free(name);
    g_free(full);
    return bs->backing;
}

static void qcow2_close(BlockDriverState *bs)
{
    Qcow2State *s = bs->opaque;
    if (!s) {
        return;
    }
    qcow2_cache_free(s);
    g_free(s->l1);
    g_free(s->reftable);
    g_mutex_clear(&s->cache_lock);
    g_rw_lock_clear(&s->lock);
    g_free(s);
    bs->opaque = NULL;
}

static bool qcow2_open(BlockDriverState *bs, const Opts *opts, Error **errp)
{
    Qcow2State *s = g_new0(Qcow2State, 1);
    Qcow2Header h = { 0 };
    g_mutex_init(&s->cache_lock);
    g_rw_lock_init(&s->lock);
    bs->opaque = s;
    bool ok = read_header(bs, s, &h, opts, errp) &&
              check_layout(bs, s, &h, opts, errp) &&
              load_tables(bs, s, opts, errp) &&
              open_backing(bs, &h, opts, errp);
    /* Bitmaps and the like vmu does not keep current: dropped when the
     * image first changes (opening it changes nothing). */
    s->autoclear_pending = ok && !bs->read_only && s->autoclear;
    if (ok) {
        int64_t len = bdrv_getlength(bs->file);
        s->free_hint = (len + s->cluster_size - 1) & ~(s->cluster_size - 1);
        s->csize_shift = 62 - (s->cluster_bits - 8);
        s->csize_mask = (1ull << (s->cluster_bits - 8)) - 1;
        s->coffset_mask = (1ull << s->csize_shift) - 1;
    }
    g_free(h.buf);
    g_free(h.backing_format);
    if (!ok) {
        if (bs->backing) {
            bdrv_unref(bs->backing);
            bs->backing = NULL;
        }
        qcow2_close(bs);
        return false;
    }
    trace(qcow2_open, "%s version %u cluster %" G_GUINT64_FORMAT " size %"
          G_GUINT64_FORMAT " backing %s", bs->filename, s->version,
          s->cluster_size, s->size,
          bs->backing ? bs->backing->filename : "none");
    return true;
}

static int64_t qcow2_getlength(BlockDriverState *bs)
{
    Qcow2State *s = bs->opaque;
    return s->size;
}

static int read_compressed(BlockDriverState *bs, uint64_t entry, void *out)
{
    Qcow2State *s = bs->opaque;
    uint64_t off, bytes;
    qcow2_compressed_range(s, entry, &off, &bytes);
    if (bytes > 2 * s->cluster_size || !qcow2_host_offset_ok(bs, off, 1)) {
        return qcow2_corrupt(bs, "a compressed cluster at 0x%"
                             G_GINT64_MODIFIER "x is outside the image", off);
    }
    int64_t file_len = bdrv_getlength(bs->file);
    bytes = MIN(bytes, (uint64_t)file_len - off);
    uint8_t *in = g_malloc(bytes);
    int ret = bdrv_pread(bs->file, off, in, bytes);
    if (ret < 0) {
        g_free(in);
        return ret;
    }
    z_stream z = { 0 };
    z.next_in = in;
    z.avail_in = bytes;
    z.next_out = out;
    z.avail_out = s->cluster_size;
    ret = inflateInit2(&z, -12) == Z_OK ? 0 : -ENOMEM;
    if (!ret) {
        int zr = inflate(&z, Z_FINISH);
        /* Trailing bytes of the last sector may follow the stream. */
        if ((zr != Z_STREAM_END && zr != Z_BUF_ERROR) || z.avail_out) {
            ret = qcow2_corrupt(bs, "the compressed cluster at 0x%"
                                G_GINT64_MODIFIER "x does not inflate", off);
        }
        inflateEnd(&z);
    }
    g_free(in);
    return ret;
}

/* Guest bytes [guest, guest+n) in one cluster, per its entry, into iov. */
static int read_piece(BlockDriverState *bs, uint64_t entry, uint64_t guest,
                      uint64_t n, struct iovec *iov, int niov)
{
    Qcow2State *s = bs->opaque;
    uint64_t in = guest & (s->cluster_size - 1);
    switch (qcow2_entry_type(s, entry)) {
    case QCOW2_CLUSTER_UNALLOCATED: {
        if (!bs->backing) {
            bdrv_iov_memset(iov, niov, 0, 0, n);
            return 0;
        }
        int64_t blen = bdrv_getlength(bs->backing);
        if (blen < 0) {
            return blen;
        }
        uint64_t have = guest >= (uint64_t)blen ? 0 :
                        MIN(n, (uint64_t)blen - guest);
        if (have < n) {
            bdrv_iov_memset(iov, niov, have, 0, n - have);
        }
        if (!have) {
            return 0;
        }
        struct iovec part[BDRV_MAX_IOV];
        int np = bdrv_iov_slice(iov, niov, 0, have, part, BDRV_MAX_IOV);
        return np < 0 ? -EINVAL : bdrv_preadv(bs->backing, guest, have, part,
                                              np);
    }
    case QCOW2_CLUSTER_ZERO:
        bdrv_iov_memset(iov, niov, 0, 0, n);
        return 0;
    case QCOW2_CLUSTER_NORMAL: {
        uint64_t host = entry & QCOW2_OFFSET_MASK;
        if ((host & (s->cluster_size - 1)) ||
            !qcow2_host_offset_ok(bs, host, in + n)) {
            return qcow2_corrupt(bs, "guest offset 0x%" G_GINT64_MODIFIER
                                 "x maps to 0x%" G_GINT64_MODIFIER "x, "
                                 "outside the image or unaligned", guest,
                                 host);
        }
        return bdrv_preadv(bs->file, host + in, n, iov, niov);
    }
    case QCOW2_CLUSTER_COMPRESSED: {
        uint8_t *buf = g_malloc(s->cluster_size);
        int ret = read_compressed(bs, entry, buf);
        if (!ret) {
            bdrv_iov_from_buf(iov, niov, 0, buf + in, n);
        }
        g_free(buf);
        return ret;
    }
    }
    return -EIO;
}

/* Call fn for each cluster-sized piece of [offset, offset+bytes). */
typedef int (*PieceFn)(BlockDriverState *bs, uint64_t guest, uint64_t n,
                       struct iovec *iov, int niov, void *opaque);

static int for_each_piece(BlockDriverState *bs, uint64_t offset,
                          uint64_t bytes, struct iovec *iov, int niov,
                          PieceFn fn, void *opaque)
{
    Qcow2State *s = bs->opaque;
    if (offset > s->size || bytes > s->size - offset) {
        return -EINVAL;
    }
    struct iovec *part = g_new(struct iovec, MAX(niov, 1));
    uint64_t done = 0;
    int ret = 0;
    while (done < bytes && !ret) {
        uint64_t guest = offset + done;
        uint64_t n = MIN(bytes - done,
                         s->cluster_size - (guest & (s->cluster_size - 1)));
        int np = 0;
        if (iov) {
            np = bdrv_iov_slice(iov, niov, done, n, part, niov);
            if (np < 0) {
                ret = -EINVAL;
                break;
            }
        }
        ret = fn(bs, guest, n, part, np, opaque);
        done += n;
    }
    g_free(part);
    return ret;
}

/*
 * Lock held: how many bytes from guest (the first n of them in one
 * cluster, whose entry is given) map to consecutive host clusters with
 * entries like it (NORMAL; COPIED too if copied), up to max.
 */
static uint64_t run_length(BlockDriverState *bs, uint64_t guest, uint64_t n,
                           uint64_t max, uint64_t entry, bool copied)
{
    Qcow2State *s = bs->opaque;
    uint64_t start = guest & ~(s->cluster_size - 1);
    uint64_t host0 = entry & QCOW2_OFFSET_MASK;
    while (n < max) {
        uint64_t next = guest + n, e;
        if (qcow2_get_entry(bs, next, &e) < 0 ||
            qcow2_entry_type(s, e) != QCOW2_CLUSTER_NORMAL ||
            (copied && !(e & QCOW2_OFLAG_COPIED)) ||
            (e & QCOW2_OFFSET_MASK) != host0 + (next - start)) {
            break;
        }
        n += MIN(max - n, s->cluster_size);
    }
    return n;
}

static bool entry_writable(const Qcow2State *s, uint64_t entry)
{
    return qcow2_entry_type(s, entry) == QCOW2_CLUSTER_NORMAL &&
           (entry & QCOW2_OFLAG_COPIED);
}

static int write_in_place(BlockDriverState *bs, uint64_t entry,
                          uint64_t guest, uint64_t n, struct iovec *iov,
                          int niov)
{
    Qcow2State *s = bs->opaque;
    uint64_t host = entry & QCOW2_OFFSET_MASK;
    uint64_t in = guest & (s->cluster_size - 1);
    if ((host & (s->cluster_size - 1)) ||
        !qcow2_host_offset_ok(bs, host, in + n)) {
        return qcow2_corrupt(bs, "guest offset 0x%" G_GINT64_MODIFIER "x "
                             "maps to 0x%" G_GINT64_MODIFIER "x, outside the "
                             "image or unaligned", guest, host);
    }
    return bdrv_pwritev(bs->file, host + in, n, iov, niov);
}

/* Exclusive lock held: the cluster gets a host cluster of its own. */
static int write_allocating(BlockDriverState *bs, uint64_t entry,
                            uint64_t guest, uint64_t n, struct iovec *iov,
                            int niov)
{
    Qcow2State *s = bs->opaque;
    uint64_t start = guest & ~(s->cluster_size - 1);
    uint64_t in = guest - start;
    uint8_t *buf = g_malloc(s->cluster_size);
    int ret = 0;
    if (n < s->cluster_size) {
        /* What the rest of the cluster holds now. */
        struct iovec whole = { buf, s->cluster_size };
        uint64_t len = MIN(s->cluster_size, s->size - start);
        memset(buf, 0, s->cluster_size);
        ret = read_piece(bs, entry, start, len, &whole, 1);
    }
    if (ret < 0) {
        g_free(buf);
        return ret;
    }
    bdrv_iov_to_buf(iov, niov, 0, buf + in, n);
    Qcow2ClusterType type = qcow2_entry_type(s, entry);
    bool reuse = type == QCOW2_CLUSTER_ZERO &&
                 (entry & QCOW2_OFLAG_COPIED) && (entry & QCOW2_OFFSET_MASK);
    int64_t host;
    if (reuse) {
        host = entry & QCOW2_OFFSET_MASK;
        if ((host & (s->cluster_size - 1)) ||
            !qcow2_host_offset_ok(bs, host, s->cluster_size)) {
            g_free(buf);
            return qcow2_corrupt(bs, "a zero cluster maps to 0x%"
                                 G_GINT64_MODIFIER "x, outside the image",
                                 host);
        }
    } else {
        host = qcow2_alloc_cluster(bs);
    }
    ret = host < 0 ? host : bdrv_pwrite(bs->file, host, buf, s->cluster_size);
    g_free(buf);
    if (!ret) {
        ret = qcow2_set_entry(bs, guest, host | QCOW2_OFLAG_COPIED);
    }
    if (!ret && !reuse) {
        ret = qcow2_free_entry(bs, entry);
    }
    return ret;
}

/* Exclusive lock: one cluster's piece, allocating if it must. */
static int write_one(BlockDriverState *bs, uint64_t guest, uint64_t n,
                     struct iovec *iov, int niov, void *opaque)
{
    Qcow2State *s = bs->opaque;
    uint64_t entry;
    g_rw_lock_writer_lock(&s->lock);
    int ret = qcow2_get_entry(bs, guest, &entry);
    if (!ret) {
        ret = entry_writable(s, entry) ?
              write_in_place(bs, entry, guest, n, iov, niov) :
              write_allocating(bs, entry, guest, n, iov, niov);
    }
    g_rw_lock_writer_unlock(&s->lock);
    return ret;
}

/*
 * Reads, and writes into clusters this image owns, take the lock shared,
 * a run of consecutive host clusters at a time; a write that needs a
 * cluster allocated or copied takes it exclusive (write_one).
 */
static int qcow2_rw(BlockDriverState *bs, uint64_t offset, uint64_t bytes,
                    struct iovec *iov, int niov, bool write)
{
    Qcow2State *s = bs->opaque;
    if (offset > s->size || bytes > s->size - offset) {
        return -EINVAL;
    }
    struct iovec *part = g_new(struct iovec, MAX(niov, 1));
    uint64_t done = 0;
    int ret = 0;
    while (done < bytes && !ret) {
        uint64_t guest = offset + done, entry;
        uint64_t n = MIN(bytes - done,
                         s->cluster_size - (guest & (s->cluster_size - 1)));
        g_rw_lock_reader_lock(&s->lock);
        ret = qcow2_get_entry(bs, guest, &entry);
        bool run = !ret && (write ? entry_writable(s, entry) :
                            qcow2_entry_type(s, entry) ==
                            QCOW2_CLUSTER_NORMAL);
        if (run) {
            n = run_length(bs, guest, n, bytes - done, entry, write);
        }
        int np = bdrv_iov_slice(iov, niov, done, n, part, niov);
        if (np < 0 && !ret) {
            ret = -EINVAL;
        }
        if (!ret && (run || !write)) {
            ret = write ? write_in_place(bs, entry, guest, n, part, np)
                        : read_piece(bs, entry, guest, n, part, np);
        }
        g_rw_lock_reader_unlock(&s->lock);
        if (!ret && write && !run) {
            ret = write_one(bs, guest, n, part, np, NULL);
        }
        done += n;
    }
    g_free(part);
    return ret;
}

static int qcow2_preadv(BlockDriverState *bs, uint64_t offset, uint64_t bytes,
                        struct iovec *iov, int niov)
{
    return qcow2_rw(bs, offset, bytes, iov, niov, false);
}

/* Before the first change: clear the autoclear bits (see qcow2_open). */
static int autoclear_drop(BlockDriverState *bs)
{
    Qcow2State *s = bs->opaque;
    if (!g_atomic_int_get(&s->autoclear_pending)) {
        return 0;
    }
    int ret = 0;
    g_rw_lock_writer_lock(&s->lock);
    if (s->autoclear_pending) {
        uint64_t zero = 0;
        ret = bdrv_pwrite(bs->file, QH_AUTOCLEAR, &zero, 8);
        if (!ret) {
            g_atomic_int_set(&s->autoclear_pending, 0);
        }
    }
    g_rw_lock_writer_unlock(&s->lock);
    return ret;
}

static int qcow2_pwritev(BlockDriverState *bs, uint64_t offset,
                         uint64_t bytes, struct iovec *iov, int niov)
{
    int ret = autoclear_drop(bs);
    return ret ? ret : qcow2_rw(bs, offset, bytes, iov, niov, true);
}

/* A piece of a cluster: zeroes written as data. */
static int zero_partial(BlockDriverState *bs, uint64_t guest, uint64_t n)
{
    void *zero = g_malloc0(n);
    struct iovec iov = { zero, n };
    int ret = write_one(bs, guest, n, &iov, 1, NULL);
    g_free(zero);
    return ret;
}

typedef struct ZeroMode {
    bool discard;       /* discard rather than write-zeroes */
    bool may_unmap;
} ZeroMode;

static int zero_one(BlockDriverState *bs, uint64_t guest, uint64_t n,
                    struct iovec *iov, int niov, void *opaque)
{
    Qcow2State *s = bs->opaque;
    const ZeroMode *m = opaque;
    if (n < s->cluster_size && !(guest + n == s->size &&
                                 !(guest & (s->cluster_size - 1)))) {
        /* Discard is a hint: parts of clusters stay as they are. */
        return m->discard ? 0 : zero_partial(bs, guest, n);
    }
    bool v2_unmap = s->version < 3 && !bs->backing &&
                    (m->discard || m->may_unmap);
    if (s->version < 3 && !v2_unmap) {
        /* No zero flag in version 2: unmapping would show the backing. */
        return m->discard ? 0 : zero_partial(bs, guest, n);
    }
    uint64_t entry;
    g_rw_lock_writer_lock(&s->lock);
    int ret = qcow2_get_entry(bs, guest, &entry);
    Qcow2ClusterType type = qcow2_entry_type(s, entry);
    uint64_t new_entry;
    bool keep = false;
    if (m->discard || v2_unmap) {
        /* Unallocated reads zeroes when there is no backing file. */
        new_entry = bs->backing ? QCOW2_OFLAG_ZERO : 0;
    } else if (!m->may_unmap && entry_writable(s, entry)) {
        new_entry = entry | QCOW2_OFLAG_ZERO;   /* keep the host cluster */
        keep = true;
    } else if (type == QCOW2_CLUSTER_ZERO ||
               (type == QCOW2_CLUSTER_UNALLOCATED && !bs->backing)) {
        new_entry = entry;  /* reads zeroes already */
        keep = true;
    } else {
        new_entry = QCOW2_OFLAG_ZERO;
    }
    if (!ret && new_entry != entry) {
        ret = qcow2_set_entry(bs, guest, new_entry);
        if (!ret && !keep) {
            ret = qcow2_free_entry(bs, entry);
        }
    }
    g_rw_lock_writer_unlock(&s->lock);
    return ret;
}

static int qcow2_write_zeroes(BlockDriverState *bs, uint64_t offset,
                              uint64_t bytes, bool may_unmap)
{
    ZeroMode m = { false, may_unmap };
    int ret = autoclear_drop(bs);
    return ret ? ret : for_each_piece(bs, offset, bytes, NULL, 0, zero_one,
                                      &m);
}

static int qcow2_discard(BlockDriverState *bs, uint64_t offset,
                         uint64_t bytes)
{
    ZeroMode m = { true, true };
    int ret = autoclear_drop(bs);
    return ret ? ret : for_each_piece(bs, offset, bytes, NULL, 0, zero_one,
                                      &m);
}

static const BlockDriver bdrv_qcow2 = {
    .name = "qcow2",
    .help = "QEMU's copy-on-write image format (versions 2 and 3)",
    .opts = qcow2_opts,
    .is_format = true,
    .probe = qcow2_probe,
    .open = qcow2_open,
    .close = qcow2_close,
    .preadv = qcow2_preadv,
    .pwritev = qcow2_pwritev,
    .discard = qcow2_discard,
    .write_zeroes = qcow2_write_zeroes,
    .getlength = qcow2_getlength,
};

static void qcow2_register(void)
{
    bdrv_register(&bdrv_qcow2);
}
block_init(qcow2_register)
