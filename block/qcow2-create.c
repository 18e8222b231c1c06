/*
 * A new, empty qcow2 (version 3, 64 KiB clusters) over a backing file:
 * the temporary overlay of -snapshot / snapshot=on.  Layout: header and
 * backing file name in cluster 0, the refcount table in cluster 1, its one
 * refcount block in cluster 2, the L1 table from cluster 3.
 */
#include <errno.h>
#include <string.h>
#include <unistd.h>

#include "qcow2.h"

static void put32(uint8_t *p, uint32_t v)
{
    v = GUINT32_TO_BE(v);
    memcpy(p, &v, 4);
}

static void put64(uint8_t *p, uint64_t v)
{
    v = GUINT64_TO_BE(v);
    memcpy(p, &v, 8);
}

static int write_all(int fd, const void *buf, size_t len, off_t off)
{
    while (len) {
        ssize_t n = pwrite(fd, buf, len, off);
        if (n < 0 && errno == EINTR) {
            continue;
        }
        if (n <= 0) {
            return n < 0 ? -errno : -EIO;
        }
        buf = (const char *)buf + n;
        len -= n;
        off += n;
    }
    return 0;
}

int qcow2_create_overlay(int fd, uint64_t size, const char *backing,
                         const char *backing_fmt)
{
    const unsigned cluster_bits = 16;
    const uint64_t cs = 1ull << cluster_bits;
    uint64_t per_l1 = cs << (cluster_bits - 3);
    uint64_t l1_size = MAX((size + per_l1 - 1) / per_l1, 1u);
    uint64_t l1_clusters = (l1_size * 8 + cs - 1) / cs;
    uint64_t clusters = 3 + l1_clusters;
    size_t blen = strlen(backing), flen = strlen(backing_fmt);
    if (blen > 1023 || flen > 64 || clusters > cs * 8 / 16) {
        return -EINVAL;
    }

    uint8_t *c = g_malloc0(cs * 3);
    uint8_t *h = c;
    put32(h + QH_MAGIC, QCOW2_MAGIC);
    put32(h + QH_VERSION, 3);
    put32(h + QH_CLUSTER_BITS, cluster_bits);
    put64(h + QH_SIZE, size);
    put32(h + QH_L1_SIZE, l1_size);
    put64(h + QH_L1_OFFSET, 3 * cs);
    put64(h + QH_REFTABLE_OFFSET, cs);
    put32(h + QH_REFTABLE_CLUSTERS, 1);
    put32(h + QH_REFCOUNT_ORDER, 4);
    put32(h + QH_HEADER_LENGTH, QH_V3_LENGTH);
    /* Extensions: the backing format, then the end; then the name. */
    uint8_t *e = h + QH_V3_LENGTH;
    put32(e, QCOW2_EXT_BACKING_FMT);
    put32(e + 4, flen);
    memcpy(e + 8, backing_fmt, flen);
    e += 8 + ((flen + 7) & ~7u);
    e += 8;     /* QCOW2_EXT_END: zeroes */
    uint64_t name_off = e - h;
    memcpy(e, backing, blen);
    put64(h + QH_BACKING_OFFSET, name_off);
    put32(h + QH_BACKING_SIZE, blen);
    /* Refcount table entry 0: the block in cluster 2, which counts one
     * reference for each cluster the metadata takes. */
    put64(c + cs, 2 * cs);
    for (uint64_t i = 0; i < clusters; i++) {
        c[2 * cs + 2 * i + 1] = 1;
    }
    int ret = write_all(fd, c, 3 * cs, 0);
    g_free(c);
    if (!ret && ftruncate(fd, clusters * cs) < 0) {
        ret = -errno;
    }
    return ret;
}
