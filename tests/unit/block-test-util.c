/*
 * What the block-layer unit tests share: a request submitted and waited
 * for (with a bound), a -drive opened or refused, files and patterns.
 */
#include <fcntl.h>
#include <glib.h>
#include <string.h>
#include <unistd.h>

#include "block-test-util.h"

const char *test_tmpdir;

typedef struct SyncReq {
    BlockRequest req;
    GMutex lock;
    GCond cond;
    bool done;
    int ret;
} SyncReq;

static void sync_cb(BlockRequest *req, int ret)
{
    SyncReq *s = (SyncReq *)req;
    g_mutex_lock(&s->lock);
    s->ret = ret;
    s->done = true;
    g_cond_signal(&s->cond);
    g_mutex_unlock(&s->lock);
}

/* Submit and wait for the completion (bounded: a hang fails the test). */
int blk_do(BlockBackend *blk, BlockReqType type, uint64_t offset,
           uint64_t bytes, struct iovec *iov, int niov, unsigned flags)
{
    SyncReq s = { .req = { type, flags, offset, bytes, iov, niov, sync_cb } };
    g_mutex_init(&s.lock);
    g_cond_init(&s.cond);
    blk_submit(blk, &s.req);
    gint64 deadline = g_get_monotonic_time() + 60 * G_TIME_SPAN_SECOND;
    g_mutex_lock(&s.lock);
    while (!s.done) {
        g_assert_true(g_cond_wait_until(&s.cond, &s.lock, deadline));
    }
    g_mutex_unlock(&s.lock);
    g_mutex_clear(&s.lock);
    g_cond_clear(&s.cond);
    return s.ret;
}

int blk_rw(BlockBackend *blk, bool write, uint64_t offset, void *buf,
           uint64_t bytes)
{
    struct iovec iov = { buf, bytes };
    return blk_do(blk, write ? BLK_REQ_WRITE : BLK_REQ_READ, offset, bytes,
                  &iov, 1, 0);
}

char *make_file(const char *name, uint64_t size)
{
    char *path = g_build_filename(test_tmpdir, name, NULL);
    int fd = open(path, O_RDWR | O_CREAT | O_TRUNC, 0644);
    g_assert_cmpint(fd, >=, 0);
    g_assert_cmpint(ftruncate(fd, size), ==, 0);
    close(fd);
    return path;
}

static const char *const sys_keys[] = { "id", "if", NULL };

/* Check and open "-drive TEXT" as backend name; NULL and *errp on error. */
BlockBackend *drive_open(const char *text, const char *name, Error **errp)
{
    Opts *o = opts_parse("-drive", text, NULL, errp);
    g_assert_nonnull(o);
    BlockBackend *blk = NULL;
    if (blk_drive_check(o, sys_keys, errp)) {
        blk = blk_drive_open(o, name, errp);
    }
    opts_free(o);
    return blk;
}

BlockBackend *drive_open_ok(const char *fmt, const char *path,
                            const char *name)
{
    Error *err = NULL;
    char *text = g_strdup_printf(fmt, path);
    BlockBackend *blk = drive_open(text, name, &err);
    if (err) {
        g_error("%s: %s", text, error_get_pretty(err));
    }
    g_assert_nonnull(blk);
    g_free(text);
    return blk;
}

char *drive_error(const char *fmt, const char *path)
{
    Error *err = NULL;
    char *text = g_strdup_printf(fmt, path);
    BlockBackend *blk = drive_open(text, "bad", &err);
    g_assert_null(blk);
    g_assert_nonnull(err);
    char *msg = g_strdup(error_get_pretty(err));
    error_free(err);
    g_free(text);
    return msg;
}

void pattern(uint8_t *buf, size_t len, unsigned seed)
{
    for (size_t i = 0; i < len; i++) {
        buf[i] = (uint8_t)(i * 7 + seed * 13 + (i >> 9));
    }
}

