/*
 * qcow2 inside vmu: the header fields, the state of an open image, and the
 * calls between qcow2.c (open, read, write), qcow2-cluster.c (L1/L2
 * lookup and update, the L2 cache) and qcow2-refcount.c (refcounts and
 * cluster allocation).  Metadata is written through: nothing is dirty in
 * memory, so a flush is the file's flush.
 *
 * Locking: 'lock' is a read-write lock.  Reads and writes into clusters
 * already allocated to this image alone (COPIED) take it shared for the
 * lookup and the data I/O; anything that changes metadata (allocation,
 * copy-on-write, zeroing, discard) takes it exclusive, so no cluster is
 * freed or reused under an I/O in flight.  'cache_lock' guards the L2
 * cache, which shared holders fill concurrently.
 */
#ifndef VMU_BLOCK_QCOW2_H
#define VMU_BLOCK_QCOW2_H

#include <glib.h>
#include <stdint.h>
#include <string.h>

#include "block-int.h"

#define QCOW2_MAGIC 0x514649fbu     /* "QFI\xfb" */

/* Header offsets (big-endian fields). */
enum {
    QH_MAGIC = 0, QH_VERSION = 4, QH_BACKING_OFFSET = 8,
    QH_BACKING_SIZE = 16, QH_CLUSTER_BITS = 20, QH_SIZE = 24,
    QH_CRYPT_METHOD = 32, QH_L1_SIZE = 36, QH_L1_OFFSET = 40,
    QH_REFTABLE_OFFSET = 48, QH_REFTABLE_CLUSTERS = 56,
    QH_NB_SNAPSHOTS = 60, QH_SNAPSHOTS_OFFSET = 64,
    /* version 3 */
    QH_INCOMPAT = 72, QH_COMPAT = 80, QH_AUTOCLEAR = 88,
    QH_REFCOUNT_ORDER = 96, QH_HEADER_LENGTH = 100,
    QH_V2_LENGTH = 72, QH_V3_LENGTH = 104,
};

#define QCOW2_INCOMPAT_DIRTY        (1ull << 0)
#define QCOW2_INCOMPAT_CORRUPT      (1ull << 1)
#define QCOW2_INCOMPAT_DATA_FILE    (1ull << 2)
#define QCOW2_INCOMPAT_COMPRESSION  (1ull << 3)
#define QCOW2_INCOMPAT_EXTL2        (1ull << 4)
#define QCOW2_COMPAT_LAZY_REFCOUNTS (1ull << 0)

/* Header extensions. */
#define QCOW2_EXT_END           0x00000000u
#define QCOW2_EXT_BACKING_FMT   0xe2792acau
#define QCOW2_EXT_FEATURES      0x6803f857u

/* L1 and L2 entries. */
#define QCOW2_OFLAG_COPIED      (1ull << 63)
#define QCOW2_OFLAG_COMPRESSED  (1ull << 62)
#define QCOW2_OFLAG_ZERO        (1ull << 0)
#define QCOW2_OFFSET_MASK       0x00fffffffffffe00ull

/* What a guest cluster is, from its L2 entry. */
typedef enum Qcow2ClusterType {
    QCOW2_CLUSTER_UNALLOCATED,  /* backing file, or zeroes */
    QCOW2_CLUSTER_ZERO,         /* reads zeroes (may keep a host cluster) */
    QCOW2_CLUSTER_NORMAL,       /* data at host offset */
    QCOW2_CLUSTER_COMPRESSED,   /* deflate data at a byte offset */
} Qcow2ClusterType;

#define QCOW2_L2_CACHE 32

typedef struct Qcow2L2Cache {
    uint64_t offset;            /* host offset of the table; 0: empty */
    uint64_t *table;            /* as on disk (big-endian) */
    uint64_t last_use;
} Qcow2L2Cache;

typedef struct Qcow2State {
    unsigned version;
    unsigned cluster_bits;
    uint64_t cluster_size;
    unsigned l2_bits;           /* log2(entries per L2 table) */
    uint64_t size;              /* the guest's disk */
    uint64_t incompat, compat, autoclear;
    unsigned refcount_order;    /* 3 to 6: 8 to 64 bits */
    uint64_t refcount_max;

    uint32_t l1_size;
    uint64_t l1_offset;
    uint64_t *l1;               /* host-endian */

    uint64_t reftable_offset;
    uint32_t reftable_clusters;
    uint64_t *reftable;         /* host-endian */
    uint64_t reftable_entries;

    uint64_t free_hint;         /* where the next allocation looks */
    gint autoclear_pending;     /* autoclear bits to drop at the 1st write */
    unsigned csize_shift;       /* compressed descriptors: size field */
    uint64_t csize_mask;
    uint64_t coffset_mask;

    Qcow2L2Cache l2_cache[QCOW2_L2_CACHE];
    uint64_t l2_clock;
    GMutex cache_lock;
    GRWLock lock;
} Qcow2State;

/* qcow2-cluster.c */
/* The L2 entry for guest offset; *l2_offset where it lives (0: no table). */
int qcow2_get_entry(BlockDriverState *bs, uint64_t guest, uint64_t *entry);
Qcow2ClusterType qcow2_entry_type(const Qcow2State *s, uint64_t entry);
/* Exclusive lock held: set the L2 entry for guest (making the L2 table
 * this image's own first). */
int qcow2_set_entry(BlockDriverState *bs, uint64_t guest, uint64_t entry);
/* Host clusters a compressed entry covers: first offset and byte size. */
void qcow2_compressed_range(const Qcow2State *s, uint64_t entry,
                            uint64_t *offset, uint64_t *bytes);
/* Is host offset a valid cluster inside the file, not the header? */
bool qcow2_host_offset_ok(BlockDriverState *bs, uint64_t off, uint64_t len);
void qcow2_cache_free(Qcow2State *s);

/* qcow2-refcount.c (exclusive lock held) */
int qcow2_get_refcount(BlockDriverState *bs, uint64_t cluster_index,
                       uint64_t *refcount);
int qcow2_update_refcount(BlockDriverState *bs, uint64_t offset,
                          uint64_t bytes, int delta);
/* A new cluster with refcount 1; its host offset, or a negative errno. */
int64_t qcow2_alloc_cluster(BlockDriverState *bs);
/* Drop the image's reference to what entry points to. */
int qcow2_free_entry(BlockDriverState *bs, uint64_t entry);

/* qcow2-create.c: an empty image of size bytes over backing, into fd. */
int qcow2_create_overlay(int fd, uint64_t size, const char *backing,
                         const char *backing_fmt);

/* Report an image defect once in a while, and fail with -EIO. */
int qcow2_corrupt(BlockDriverState *bs, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static inline uint64_t qcow2_be64(const void *p)
{
    uint64_t v;
    memcpy(&v, p, 8);
    return GUINT64_FROM_BE(v);
}

static inline uint32_t qcow2_be32(const void *p)
{
    uint32_t v;
    memcpy(&v, p, 4);
    return GUINT32_FROM_BE(v);
}

#endif
