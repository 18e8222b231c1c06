/*
 * qcow2 refcounts and cluster allocation: the refcount table (in memory,
 * written through), refcount blocks read and written entry by entry, new
 * clusters taken past the end of the file, the table grown when the image
 * outgrows it.  Every call here holds the image's lock exclusively.
 */
#include <errno.h>

#include "qcow2.h"
#include "util/trace.h"

static uint64_t refblock_entries(const Qcow2State *s)
{
    return (s->cluster_size * 8) >> s->refcount_order;
}

static unsigned refcount_bytes(const Qcow2State *s)
{
    return 1u << (s->refcount_order - 3);
}

static int refblock_read(BlockDriverState *bs, uint64_t block, uint64_t i,
                         uint64_t *value)
{
    Qcow2State *s = bs->opaque;
    unsigned n = refcount_bytes(s);
    uint8_t buf[8];
    int ret = bdrv_pread(bs->file, block + i * n, buf, n);
    if (ret < 0) {
        return ret;
    }
    uint64_t v = 0;
    for (unsigned k = 0; k < n; k++) {
        v = (v << 8) | buf[k];
    }
    *value = v;
    return 0;
}

static int refblock_write(BlockDriverState *bs, uint64_t block, uint64_t i,
                          uint64_t value)
{
    Qcow2State *s = bs->opaque;
    unsigned n = refcount_bytes(s);
    uint8_t buf[8];
    for (unsigned k = 0; k < n; k++) {
        buf[n - 1 - k] = value >> (8 * k);
    }
    return bdrv_pwrite(bs->file, block + i * n, buf, n);
}

/* The refcount block covering table index idx: 0 if none, checked. */
static int refblock_offset(BlockDriverState *bs, uint64_t idx,
                           uint64_t *block)
{
    Qcow2State *s = bs->opaque;
    *block = idx < s->reftable_entries ? s->reftable[idx] & QCOW2_OFFSET_MASK
                                       : 0;
    if (*block && ((*block & (s->cluster_size - 1)) ||
                   !qcow2_host_offset_ok(bs, *block, s->cluster_size))) {
        return qcow2_corrupt(bs, "refcount table entry %" G_GUINT64_FORMAT
                             " points outside the image", idx);
    }
    return 0;
}

int qcow2_get_refcount(BlockDriverState *bs, uint64_t cluster_index,
                       uint64_t *refcount)
{
    Qcow2State *s = bs->opaque;
    uint64_t per = refblock_entries(s), block;
    int ret = refblock_offset(bs, cluster_index / per, &block);
    *refcount = 0;
    if (ret < 0 || !block) {
        return ret;
    }
    return refblock_read(bs, block, cluster_index % per, refcount);
}

static int reftable_grow(BlockDriverState *bs, uint64_t min_entries);

/* A new, zeroed refcount block for table index idx (which it may cover). */
static int refblock_alloc(BlockDriverState *bs, uint64_t idx)
{
    Qcow2State *s = bs->opaque;
    if (idx >= s->reftable_entries) {
        int ret = reftable_grow(bs, idx + 1);
        if (ret < 0) {
            return ret;
        }
        if (s->reftable[idx]) {
            return 0;   /* growing the table made this block */
        }
    }
    uint64_t per = refblock_entries(s);
    uint64_t off = s->free_hint;
    s->free_hint += s->cluster_size;
    void *zero = g_malloc0(s->cluster_size);
    int ret = bdrv_pwrite(bs->file, off, zero, s->cluster_size);
    g_free(zero);
    if (ret < 0) {
        return ret;
    }
    uint64_t be = GUINT64_TO_BE(off);
    ret = bdrv_pwrite(bs->file, s->reftable_offset + idx * 8, &be, 8);
    if (ret < 0) {
        return ret;
    }
    s->reftable[idx] = off;
    trace(qcow2_refblock_alloc, "%s refcount block %" G_GUINT64_FORMAT
          " at 0x%" G_GINT64_MODIFIER "x", bs->filename, idx, off);
    /* The block's own cluster needs a refcount too. */
    uint64_t ci = off >> s->cluster_bits;
    if (ci / per == idx) {
        return refblock_write(bs, off, ci % per, 1);
    }
    return qcow2_update_refcount(bs, off, s->cluster_size, 1);
}

int qcow2_update_refcount(BlockDriverState *bs, uint64_t offset,
                          uint64_t bytes, int delta)
{
    Qcow2State *s = bs->opaque;
    uint64_t per = refblock_entries(s);
    uint64_t first = offset >> s->cluster_bits;
    uint64_t last = (offset + bytes - 1) >> s->cluster_bits;
    for (uint64_t ci = first; bytes && ci <= last; ci++) {
        uint64_t block, rc;
        int ret = refblock_offset(bs, ci / per, &block);
        if (!ret && !block) {
            if (delta < 0) {
                return qcow2_corrupt(bs, "cluster 0x%" G_GINT64_MODIFIER "x "
                                     "is freed but has no refcount",
                                     ci << s->cluster_bits);
            }
            ret = refblock_alloc(bs, ci / per);
            if (!ret) {
                ret = refblock_offset(bs, ci / per, &block);
            }
        }
        if (!ret) {
            ret = refblock_read(bs, block, ci % per, &rc);
        }
        if (ret < 0) {
            return ret;
        }
        if (delta < 0 && rc < (uint64_t)-delta) {
            return qcow2_corrupt(bs, "the refcount of cluster 0x%"
                                 G_GINT64_MODIFIER "x would drop below 0",
                                 ci << s->cluster_bits);
        }
        if (delta > 0 && rc > s->refcount_max - delta) {
            return qcow2_corrupt(bs, "the refcount of cluster 0x%"
                                 G_GINT64_MODIFIER "x would overflow (it is "
                                 "%" G_GUINT64_FORMAT ")",
                                 ci << s->cluster_bits, rc);
        }
        ret = refblock_write(bs, block, ci % per, rc + delta);
        if (ret < 0) {
            return ret;
        }
        if (rc + delta == 0 && bs->discard) {
            /* A freed cluster: the host may have its space back. */
            bdrv_discard(bs->file, ci << s->cluster_bits, s->cluster_size);
        }
    }
    return 0;
}

int64_t qcow2_alloc_cluster(BlockDriverState *bs)
{
    Qcow2State *s = bs->opaque;
    uint64_t off = s->free_hint;
    for (;;) {
        uint64_t rc;
        int ret = qcow2_get_refcount(bs, off >> s->cluster_bits, &rc);
        if (ret < 0) {
            return ret;
        }
        if (!rc) {
            break;
        }
        off += s->cluster_size;
    }
    if (off >> 56) {
        return -EFBIG;
    }
    s->free_hint = off + s->cluster_size;
    int ret = qcow2_update_refcount(bs, off, s->cluster_size, 1);
    trace(qcow2_alloc, "%s cluster 0x%" G_GINT64_MODIFIER "x ret %d",
          bs->filename, off, ret);
    return ret < 0 ? ret : (int64_t)off;
}

int qcow2_free_entry(BlockDriverState *bs, uint64_t entry)
{
    Qcow2State *s = bs->opaque;
    switch (qcow2_entry_type(s, entry)) {
    case QCOW2_CLUSTER_NORMAL:
    case QCOW2_CLUSTER_ZERO:
        if (!(entry & QCOW2_OFFSET_MASK)) {
            return 0;
        }
        return qcow2_update_refcount(bs, entry & QCOW2_OFFSET_MASK,
                                     s->cluster_size, -1);
    case QCOW2_CLUSTER_COMPRESSED: {
        uint64_t off, bytes;
        qcow2_compressed_range(s, entry, &off, &bytes);
        return qcow2_update_refcount(bs, off, bytes, -1);
    }
    default:
        return 0;
    }
}

/*
 * A bigger refcount table, past the end of the file: written, then the
 * header switched to it, then the old one freed.  The new table's own
 * clusters get refcounts through it (new blocks go after it).
 */
static int reftable_grow(BlockDriverState *bs, uint64_t min_entries)
{
    Qcow2State *s = bs->opaque;
    uint64_t per_cluster = s->cluster_size / 8;
    uint64_t entries = MAX(min_entries, s->reftable_entries * 2);
    uint64_t clusters = (entries + per_cluster - 1) / per_cluster;
    if (clusters > (8u << 20) / s->cluster_size + 1) {
        return qcow2_corrupt(bs, "the refcount table would need %"
                             G_GUINT64_FORMAT " clusters; the image is too "
                             "big for its cluster size", clusters);
    }
    entries = clusters * per_cluster;
    uint64_t *table = g_malloc0(clusters * s->cluster_size);
    memcpy(table, s->reftable, s->reftable_entries * 8);
    uint64_t *be = g_malloc0(clusters * s->cluster_size);
    for (uint64_t i = 0; i < s->reftable_entries; i++) {
        be[i] = GUINT64_TO_BE(table[i]);
    }
    uint64_t off = s->free_hint;
    int ret = bdrv_pwrite(bs->file, off, be, clusters * s->cluster_size);
    g_free(be);
    if (ret < 0) {
        g_free(table);
        return ret;
    }
    uint64_t old_off = s->reftable_offset;
    uint32_t old_clusters = s->reftable_clusters;
    g_free(s->reftable);
    s->reftable = table;
    s->reftable_entries = entries;
    s->reftable_offset = off;
    s->reftable_clusters = clusters;
    s->free_hint = off + clusters * s->cluster_size;
    ret = qcow2_update_refcount(bs, off, clusters * s->cluster_size, 1);
    if (ret < 0) {
        return ret;
    }
    ret = bdrv_flush(bs->file);
    if (ret < 0) {
        return ret;
    }
    uint8_t hdr[12];
    uint64_t o = GUINT64_TO_BE(off);
    uint32_t c = GUINT32_TO_BE((uint32_t)clusters);
    memcpy(hdr, &o, 8);
    memcpy(hdr + 8, &c, 4);
    ret = bdrv_pwrite(bs->file, QH_REFTABLE_OFFSET, hdr, sizeof(hdr));
    if (ret < 0) {
        return ret;
    }
    trace(qcow2_reftable_grow, "%s refcount table: %" G_GUINT64_FORMAT
          " clusters at 0x%" G_GINT64_MODIFIER "x", bs->filename, clusters,
          off);
    return qcow2_update_refcount(bs, old_off,
                                 (uint64_t)old_clusters * s->cluster_size, -1);
}
