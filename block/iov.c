/*
 * Scatter-gather helpers for the drivers: a request's iovec list cut into
 * the pieces that go to different places (qcow2 clusters, bounce buffers).
 */
#include <string.h>

#include "block-int.h"

size_t bdrv_iov_size(const struct iovec *iov, int niov)
{
    size_t n = 0;
    for (int i = 0; i < niov; i++) {
        n += iov[i].iov_len;
    }
    return n;
}

int bdrv_iov_slice(const struct iovec *iov, int niov, size_t offset,
                   size_t bytes, struct iovec *out, int max)
{
    int n = 0;
    for (int i = 0; i < niov && bytes; i++) {
        if (offset >= iov[i].iov_len) {
            offset -= iov[i].iov_len;
            continue;
        }
        if (n == max) {
            return -1;
        }
        size_t len = MIN(iov[i].iov_len - offset, bytes);
        out[n].iov_base = (char *)iov[i].iov_base + offset;
        out[n].iov_len = len;
        n++;
        bytes -= len;
        offset = 0;
    }
    return bytes ? -1 : n;
}

/* Call fn on each piece of [offset, offset+bytes). */
static void bdrv_iov_walk(const struct iovec *iov, int niov, size_t offset,
                          size_t bytes,
                          void (*fn)(char *p, size_t len, size_t done,
                                     void *opaque), void *opaque)
{
    size_t done = 0;
    for (int i = 0; i < niov && bytes; i++) {
        if (offset >= iov[i].iov_len) {
            offset -= iov[i].iov_len;
            continue;
        }
        size_t len = MIN(iov[i].iov_len - offset, bytes);
        fn((char *)iov[i].iov_base + offset, len, done, opaque);
        done += len;
        bytes -= len;
        offset = 0;
    }
}

static void walk_memset(char *p, size_t len, size_t done, void *opaque)
{
    memset(p, *(int *)opaque, len);
}

static void walk_to_buf(char *p, size_t len, size_t done, void *opaque)
{
    memcpy((char *)opaque + done, p, len);
}

static void walk_from_buf(char *p, size_t len, size_t done, void *opaque)
{
    memcpy(p, (const char *)opaque + done, len);
}

void bdrv_iov_memset(const struct iovec *iov, int niov, size_t offset,
                     int c, size_t bytes)
{
    bdrv_iov_walk(iov, niov, offset, bytes, walk_memset, &c);
}

void bdrv_iov_to_buf(const struct iovec *iov, int niov, size_t offset,
                     void *buf, size_t bytes)
{
    bdrv_iov_walk(iov, niov, offset, bytes, walk_to_buf, buf);
}

void bdrv_iov_from_buf(const struct iovec *iov, int niov, size_t offset,
                       const void *buf, size_t bytes)
{
    bdrv_iov_walk(iov, niov, offset, bytes, walk_from_buf, (void *)buf);
}
