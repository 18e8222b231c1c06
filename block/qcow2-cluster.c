/*
 * qcow2 guest-to-host mapping: the L1 table (in memory), L2 tables (read
 * through a small cache, written through to the file), and making an L2
 * table this image's own before it changes (a new table, or a copy of one
 * an internal snapshot shares).
 */
#include <errno.h>

#include "qcow2.h"
#include "util/trace.h"

Qcow2ClusterType qcow2_entry_type(const Qcow2State *s, uint64_t entry)
{
    if (entry & QCOW2_OFLAG_COMPRESSED) {
        return QCOW2_CLUSTER_COMPRESSED;
    }
    if ((entry & QCOW2_OFLAG_ZERO) && s->version >= 3) {
        return QCOW2_CLUSTER_ZERO;
    }
    if (!(entry & QCOW2_OFFSET_MASK)) {
        return QCOW2_CLUSTER_UNALLOCATED;
    }
    return QCOW2_CLUSTER_NORMAL;
}

void qcow2_compressed_range(const Qcow2State *s, uint64_t entry,
                            uint64_t *offset, uint64_t *bytes)
{
    uint64_t off = entry & s->coffset_mask;
    uint64_t sectors = ((entry >> s->csize_shift) & s->csize_mask) + 1;
    *offset = off;
    *bytes = sectors * 512 - (off & 511);
}

bool qcow2_host_offset_ok(BlockDriverState *bs, uint64_t off, uint64_t len)
{
    Qcow2State *s = bs->opaque;
    int64_t file_len = bdrv_getlength(bs->file);
    return off >= s->cluster_size && file_len >= 0 &&
           off + len <= (uint64_t)file_len && off + len > off;
}

/* The cached L2 table at l2_offset (cache_lock held), loaded if needed. */
static int l2_cache_get(BlockDriverState *bs, uint64_t l2_offset,
                        Qcow2L2Cache **out)
{
    Qcow2State *s = bs->opaque;
    Qcow2L2Cache *victim = &s->l2_cache[0];
    for (unsigned i = 0; i < QCOW2_L2_CACHE; i++) {
        Qcow2L2Cache *c = &s->l2_cache[i];
        if (c->offset == l2_offset) {
            c->last_use = ++s->l2_clock;
            *out = c;
            return 0;
        }
        if (c->last_use < victim->last_use) {
            victim = c;
        }
    }
    if (!victim->table) {
        victim->table = g_malloc(s->cluster_size);
    }
    victim->offset = 0;
    int ret = bdrv_pread(bs->file, l2_offset, victim->table, s->cluster_size);
    if (ret < 0) {
        return ret;
    }
    victim->offset = l2_offset;
    victim->last_use = ++s->l2_clock;
    *out = victim;
    return 0;
}

static void l2_cache_drop(Qcow2State *s, uint64_t l2_offset)
{
    for (unsigned i = 0; i < QCOW2_L2_CACHE; i++) {
        if (s->l2_cache[i].offset == l2_offset) {
            s->l2_cache[i].offset = 0;
        }
    }
}

void qcow2_cache_free(Qcow2State *s)
{
    for (unsigned i = 0; i < QCOW2_L2_CACHE; i++) {
        g_free(s->l2_cache[i].table);
        s->l2_cache[i].table = NULL;
        s->l2_cache[i].offset = 0;
    }
}

/* The L2 table's host offset from L1 (0: none), checked. */
static int l1_lookup(BlockDriverState *bs, uint64_t guest, uint64_t *l2_off,
                     uint64_t *l1e, uint32_t *l1_index)
{
    Qcow2State *s = bs->opaque;
    uint64_t idx = guest >> (s->cluster_bits + s->l2_bits);
    *l1_index = idx;
    *l2_off = 0;
    *l1e = 0;
    if (idx >= s->l1_size) {
        return 0;
    }
    *l1e = s->l1[idx];
    *l2_off = *l1e & QCOW2_OFFSET_MASK;
    if (!*l2_off) {
        return 0;
    }
    if ((*l2_off & (s->cluster_size - 1)) ||
        !qcow2_host_offset_ok(bs, *l2_off, s->cluster_size)) {
        return qcow2_corrupt(bs, "L1 entry %u points to an L2 table at "
                             "0x%" G_GINT64_MODIFIER "x, outside the image "
                             "or unaligned", *l1_index, *l2_off);
    }
    return 0;
}

int qcow2_get_entry(BlockDriverState *bs, uint64_t guest, uint64_t *entry)
{
    Qcow2State *s = bs->opaque;
    uint64_t l2_off, l1e;
    uint32_t l1i;
    *entry = 0;
    int ret = l1_lookup(bs, guest, &l2_off, &l1e, &l1i);
    if (ret < 0 || !l2_off) {
        return ret;
    }
    unsigned idx = (guest >> s->cluster_bits) & ((1u << s->l2_bits) - 1);
    Qcow2L2Cache *c;
    g_mutex_lock(&s->cache_lock);
    ret = l2_cache_get(bs, l2_off, &c);
    if (!ret) {
        *entry = GUINT64_FROM_BE(c->table[idx]);
    }
    g_mutex_unlock(&s->cache_lock);
    return ret;
}

static int l1_write_entry(BlockDriverState *bs, uint32_t idx, uint64_t value)
{
    Qcow2State *s = bs->opaque;
    uint64_t be = GUINT64_TO_BE(value);
    int ret = bdrv_pwrite(bs->file, s->l1_offset + 8ull * idx, &be, 8);
    if (!ret) {
        s->l1[idx] = value;
    }
    return ret;
}

/* Make the L2 table for guest this image's own; its host offset. */
static int64_t l2_make_own(BlockDriverState *bs, uint64_t guest)
{
    Qcow2State *s = bs->opaque;
    uint64_t l2_off, l1e;
    uint32_t l1i;
    int ret = l1_lookup(bs, guest, &l2_off, &l1e, &l1i);
    if (ret < 0) {
        return ret;
    }
    if (l1i >= s->l1_size) {
        return qcow2_corrupt(bs, "guest offset 0x%" G_GINT64_MODIFIER "x is "
                             "beyond the L1 table", guest);
    }
    if (l2_off && (l1e & QCOW2_OFLAG_COPIED)) {
        return l2_off;
    }
    uint64_t *table = g_malloc0(s->cluster_size);
    if (l2_off) {
        /*
         * Shared with a snapshot: copy it.  A cluster's refcount counts
         * the L1 tables that reach it, so the clusters it maps keep theirs
         * (still shared: not COPIED); the old table loses this image's.
         */
        ret = bdrv_pread(bs->file, l2_off, table, s->cluster_size);
        for (unsigned i = 0; !ret && i < (1u << s->l2_bits); i++) {
            table[i] &= ~GUINT64_TO_BE(QCOW2_OFLAG_COPIED);
        }
        if (ret < 0) {
            g_free(table);
            return ret;
        }
    }
    int64_t new_off = qcow2_alloc_cluster(bs);
    if (new_off < 0) {
        g_free(table);
        return new_off;
    }
    ret = bdrv_pwrite(bs->file, new_off, table, s->cluster_size);
    g_free(table);
    if (!ret) {
        ret = l1_write_entry(bs, l1i, new_off | QCOW2_OFLAG_COPIED);
    }
    if (!ret && l2_off) {
        ret = qcow2_update_refcount(bs, l2_off, s->cluster_size, -1);
    }
    trace(qcow2_l2_alloc, "%s L1[%u] = 0x%" G_GINT64_MODIFIER "x (was 0x%"
          G_GINT64_MODIFIER "x) ret %d", bs->filename, l1i, new_off, l2_off,
          ret);
    return ret < 0 ? ret : new_off;
}

int qcow2_set_entry(BlockDriverState *bs, uint64_t guest, uint64_t entry)
{
    Qcow2State *s = bs->opaque;
    int64_t l2_off = l2_make_own(bs, guest);
    if (l2_off < 0) {
        return l2_off;
    }
    unsigned idx = (guest >> s->cluster_bits) & ((1u << s->l2_bits) - 1);
    uint64_t be = GUINT64_TO_BE(entry);
    g_mutex_lock(&s->cache_lock);
    int ret = bdrv_pwrite(bs->file, l2_off + 8ull * idx, &be, 8);
    if (ret < 0) {
        l2_cache_drop(s, l2_off);
    } else {
        for (unsigned i = 0; i < QCOW2_L2_CACHE; i++) {
            if (s->l2_cache[i].offset == (uint64_t)l2_off) {
                s->l2_cache[i].table[idx] = be;
            }
        }
    }
    g_mutex_unlock(&s->cache_lock);
    return ret;
}
