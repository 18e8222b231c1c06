/*
 * BlockBackend: what a device holds.  Requests are queued to a pool of
 * worker threads, run synchronously there against the node tree, and
 * completed with req->cb on that worker thread; blk_drain waits until the
 * count of requests in flight is back to zero.
 */
#include <errno.h>
#include <string.h>

#include "block-int.h"
#include "block/block.h"
#include "block-backend-int.h"
#include "util/trace.h"

#define BLK_WORKERS 8

struct BlockBackend {
    char *name;
    char *dev;                  /* the device attached, or NULL */
    BlockDriverState *root;
    uint64_t length;
    bool read_only;
    bool wce;
    BlockErrorAction on_read_error;
    BlockErrorAction on_write_error;
    GMutex lock;
    GCond idle;
    unsigned in_flight;
    BlkCloseFn on_close;        /* snapshot overlays: remove the file */
    void *on_close_opaque;
};

typedef struct BlkWork {
    BlockBackend *blk;
    BlockRequest *req;
} BlkWork;

static GPtrArray *backends;
static GThreadPool *pool;

static const char *const req_names[] = {
    [BLK_REQ_READ] = "read", [BLK_REQ_WRITE] = "write",
    [BLK_REQ_FLUSH] = "flush", [BLK_REQ_DISCARD] = "discard",
    [BLK_REQ_WRITE_ZEROES] = "write-zeroes",
};

static int blk_run(BlockBackend *blk, BlockRequest *req)
{
    BlockDriverState *bs = blk->root;
    int ret;
    if (req->type > BLK_REQ_WRITE_ZEROES) {
        return -EINVAL;
    }
    if (req->type != BLK_REQ_FLUSH &&
        (req->offset > blk->length || req->bytes > blk->length - req->offset)) {
        return -EINVAL;
    }
    if (req->type != BLK_REQ_READ && req->type != BLK_REQ_FLUSH &&
        blk->read_only) {
        return -EROFS;
    }
    switch (req->type) {
    case BLK_REQ_READ:
    case BLK_REQ_WRITE:
        if (req->niov < 0 || req->niov > BDRV_MAX_IOV ||
            bdrv_iov_size(req->iov, req->niov) != req->bytes) {
            return -EINVAL;
        }
        if (req->type == BLK_REQ_READ) {
            return bdrv_preadv(bs, req->offset, req->bytes, req->iov,
                               req->niov);
        }
        ret = bdrv_pwritev(bs, req->offset, req->bytes, req->iov, req->niov);
        break;
    case BLK_REQ_FLUSH:
        return bdrv_flush(bs);
    case BLK_REQ_DISCARD:
        return req->bytes ? bdrv_discard(bs, req->offset, req->bytes) : 0;
    case BLK_REQ_WRITE_ZEROES:
        ret = req->bytes ? bdrv_write_zeroes(bs, req->offset, req->bytes,
                                             req->flags & BLK_REQ_F_MAY_UNMAP)
                         : 0;
        break;
    default:
        return -EINVAL;
    }
    if (!ret && ((req->flags & BLK_REQ_F_FUA) || !blk->wce)) {
        ret = bdrv_flush(bs);
    }
    return ret;
}

static void blk_worker(gpointer data, gpointer unused)
{
    static __thread bool named;
    BlkWork *w = data;
    BlockBackend *blk = w->blk;
    BlockRequest *req = w->req;
    g_free(w);
    if (!named) {
        trace_set_thread_name("blk-worker");
        named = true;
    }
    int ret = blk_run(blk, req);
    trace(blk_complete, "%s %s offset %" G_GUINT64_FORMAT " bytes %"
          G_GUINT64_FORMAT " ret %d", blk->name, req_names[req->type],
          req->offset, req->bytes, ret);
    req->cb(req, ret);
    g_mutex_lock(&blk->lock);
    if (!--blk->in_flight) {
        g_cond_broadcast(&blk->idle);
    }
    g_mutex_unlock(&blk->lock);
}

void blk_submit(BlockBackend *blk, BlockRequest *req)
{
    trace(blk_submit, "%s %s offset %" G_GUINT64_FORMAT " bytes %"
          G_GUINT64_FORMAT " flags 0x%x", blk->name,
          req->type <= BLK_REQ_WRITE_ZEROES ? req_names[req->type] : "?",
          req->offset, req->bytes, req->flags);
    /* Devices may submit from several threads (one per queue). */
    if (g_once_init_enter(&pool)) {
        g_once_init_leave(&pool, g_thread_pool_new(blk_worker, NULL,
                                                   BLK_WORKERS, FALSE, NULL));
    }
    BlkWork *w = g_new(BlkWork, 1);
    w->blk = blk;
    w->req = req;
    g_mutex_lock(&blk->lock);
    blk->in_flight++;
    g_mutex_unlock(&blk->lock);
    g_thread_pool_push(pool, w, NULL);
}

void blk_drain(BlockBackend *blk)
{
    g_mutex_lock(&blk->lock);
    while (blk->in_flight) {
        g_cond_wait(&blk->idle, &blk->lock);
    }
    g_mutex_unlock(&blk->lock);
}

BlockBackend *blk_new_on(const char *name, BlockDriverState *root, bool wce,
                         Error **errp)
{
    int64_t len = bdrv_getlength(root);
    if (len < 0) {
        error_setg(errp, "cannot get the size of disk image '%s': %s",
                   root->filename, g_strerror(-len));
        return NULL;
    }
    BlockBackend *blk = g_new0(BlockBackend, 1);
    blk->name = g_strdup(name);
    blk->root = root;
    blk->length = len;
    blk->read_only = root->read_only;
    blk->wce = wce;
    blk->on_read_error = BLOCK_ERR_REPORT;
    blk->on_write_error = BLOCK_ERR_STOP_ENOSPC;
    g_mutex_init(&blk->lock);
    g_cond_init(&blk->idle);
    if (!backends) {
        backends = g_ptr_array_new();
    }
    g_ptr_array_add(backends, blk);
    trace(blk_new, "%s on node %s size %" G_GUINT64_FORMAT "%s", name,
          root->node_name, blk->length, blk->read_only ? " read-only" : "");
    return blk;
}

void blk_set_close_fn(BlockBackend *blk, BlkCloseFn fn, void *opaque)
{
    blk->on_close = fn;
    blk->on_close_opaque = opaque;
}

BlockBackend *blk_by_name(const char *name)
{
    for (unsigned i = 0; backends && i < backends->len; i++) {
        BlockBackend *blk = backends->pdata[i];
        if (!strcmp(blk->name, name)) {
            return blk;
        }
    }
    /* A -blockdev node: its backend is made when a device asks. */
    BlockDriverState *bs = bdrv_find_node(name);
    if (!bs) {
        return NULL;
    }
    BlockBackend *blk = blk_new_on(name, bs, true, NULL);
    if (blk) {
        bs->refcnt++;
    }
    return blk;
}

bool blk_attach_dev(BlockBackend *blk, const char *dev_name, Error **errp)
{
    if (blk->dev) {
        error_setg(errp, "drive '%s' is already used by %s; a drive has one "
                   "device", blk->name, blk->dev);
        return false;
    }
    if (blk->root->has_parent) {
        error_setg(errp, "block node '%s' is the file or backing node of "
                   "another node, which would see its writes as corruption; "
                   "give the device the top node", blk->name);
        return false;
    }
    blk->dev = g_strdup(dev_name);
    return true;
}

const char *blk_name(const BlockBackend *blk)
{
    return blk->name;
}

uint64_t blk_getlength(const BlockBackend *blk)
{
    return blk->length;
}

bool blk_is_read_only(const BlockBackend *blk)
{
    return blk->read_only;
}

bool blk_write_cache_enabled(const BlockBackend *blk)
{
    return blk->wce;
}

void blk_set_write_cache(BlockBackend *blk, bool enable)
{
    blk->wce = enable;
}

bool blk_discard_enabled(const BlockBackend *blk)
{
    return blk->root->discard;
}

unsigned blk_alignment(const BlockBackend *blk)
{
    return MAX(blk->root->alignment, 512u);
}

BlockErrorAction blk_get_on_error(const BlockBackend *blk, bool is_read)
{
    return is_read ? blk->on_read_error : blk->on_write_error;
}

void blk_set_on_error(BlockBackend *blk, BlockErrorAction read_action,
                      BlockErrorAction write_action)
{
    blk->on_read_error = read_action;
    blk->on_write_error = write_action;
}

void blk_close_all(void)
{
    for (unsigned i = 0; backends && i < backends->len; i++) {
        blk_drain(backends->pdata[i]);
    }
    for (unsigned i = 0; backends && i < backends->len; i++) {
        BlockBackend *blk = backends->pdata[i];
        int ret = bdrv_flush(blk->root);
        if (ret < 0) {
            error_report("drive %s: flushing '%s' at exit failed: %s",
                         blk->name, blk->root->filename, g_strerror(-ret));
        }
        bdrv_unref(blk->root);
        if (blk->on_close) {
            blk->on_close(blk->on_close_opaque);
        }
        g_mutex_clear(&blk->lock);
        g_cond_clear(&blk->idle);
        g_free(blk->name);
        g_free(blk->dev);
        g_free(blk);
    }
    if (backends) {
        g_ptr_array_set_size(backends, 0);
    }
    blockdev_close_nodes();
}
