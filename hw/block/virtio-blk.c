/*
 * virtio-blk: the disk's configuration space and its request queues.  The
 * main loop pops a request, checks it and hands it to the block layer
 * (blk_submit), which runs it on a thread of its own; the completion comes
 * back through an eventfd to the main loop, which writes the status byte,
 * pushes the used entry and interrupts the driver.  A vCPU's kick only
 * signals the queue's ioeventfd, so it never waits for I/O.
 */
#include <errno.h>
#include <glib.h>
#include <inttypes.h>
#include <string.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include "hw/block/virtio-blk.h"
#include "monitor/monitor.h"
#include "system/main-loop.h"
#include "system/runstate.h"
#include "util/trace.h"

/* Requests one kick handles before it lets other sources run. */
#define VIRTIO_BLK_BUDGET       256
#define VIRTIO_BLK_HDR_LEN      16
#define VIRTIO_BLK_SEG_LEN      16      /* discard/write-zeroes segment */

typedef struct VirtIOBlockReq VirtIOBlockReq;
struct VirtIOBlockReq {
    VirtIOBlock *s;
    VirtQueue *vq;
    VirtQueueElement *elem;
    uint32_t type;
    uint64_t sector;
    BlockRequest br;
    struct iovec *iov;              /* the data part of elem's buffers */
    int ret;
    VirtIOBlockReq *next;           /* done list, parked list */
};

struct VirtIOBlock {
    VirtIODevice vdev;
    VirtIOBlkConf conf;
    BlockBackend *blk;
    uint64_t capacity;              /* 512-byte sectors */
    bool original_wce;
    unsigned inflight;              /* submitted, not finished (main loop) */
    GMutex lock;                    /* done */
    VirtIOBlockReq *done;           /* completed on a block thread (LIFO) */
    int done_fd;
    VirtIOBlockReq *parked;         /* werror/rerror=stop: until resumed */
    VirtIOBlockReq **parked_tail;
    uint64_t notify_mask;           /* queues with new used entries */
    RateLimit error_rl;
    int devfn;
    ExitNotifier exit;
    VirtIOBlock *next_dev;
};

static VirtIOBlock *all_devices;

static void put16(uint8_t *p, uint16_t v)
{
    v = GUINT16_TO_LE(v);
    memcpy(p, &v, 2);
}

static void put32(uint8_t *p, uint32_t v)
{
    v = GUINT32_TO_LE(v);
    memcpy(p, &v, 4);
}

static void put64(uint8_t *p, uint64_t v)
{
    v = GUINT64_TO_LE(v);
    memcpy(p, &v, 8);
}

static uint32_t get32(const uint8_t *p)
{
    uint32_t v;
    memcpy(&v, p, 4);
    return GUINT32_FROM_LE(v);
}

static uint64_t get64(const uint8_t *p)
{
    uint64_t v;
    memcpy(&v, p, 8);
    return GUINT64_FROM_LE(v);
}

/* ---- configuration space ---- */

static void get_config(VirtIODevice *vdev, uint8_t *cfg)
{
    VirtIOBlock *s = (VirtIOBlock *)vdev;
    const VirtIOBlkConf *c = &s->conf;
    unsigned lbs = c->logical_block_size;
    uint64_t cyls = s->capacity / (16 * 63);

    memset(cfg, 0, VIRTIO_BLK_CONFIG_LEN);
    put64(cfg + 0, s->capacity);
    put32(cfg + 8, c->size_max);
    put32(cfg + 12, c->queue_size - 2);             /* seg_max */
    put16(cfg + 16, MIN(cyls, 65535));              /* LBA-style geometry */
    cfg[18] = 16;
    cfg[19] = 63;
    put32(cfg + 20, lbs);
    cfg[24] = g_bit_nth_msf(c->physical_block_size / lbs, -1);
    cfg[25] = 0;                                    /* alignment offset */
    put16(cfg + 26, c->min_io_size / lbs);
    put32(cfg + 28, c->opt_io_size / lbs);
    cfg[32] = blk_write_cache_enabled(s->blk);
    put16(cfg + 34, c->num_queues);
    put32(cfg + 36, c->max_discard_sectors);
    put32(cfg + 40, 1);                             /* max_discard_seg */
    put32(cfg + 44, c->discard_granularity / VIRTIO_BLK_SECTOR_SIZE);
    put32(cfg + 48, c->max_write_zeroes_sectors);
    put32(cfg + 52, 1);                             /* max_write_zeroes_seg */
    cfg[56] = 1;                                    /* may unmap */
}

/* Only the writeback byte is writable (CONFIG_WCE). */
static void set_config(VirtIODevice *vdev, const uint8_t *cfg)
{
    VirtIOBlock *s = (VirtIOBlock *)vdev;
    bool wce = cfg[32] != 0;
    if (!(vdev->host_features & (1ULL << VIRTIO_BLK_F_CONFIG_WCE)) ||
        wce == blk_write_cache_enabled(s->blk)) {
        return;
    }
    trace(virtio_blk_set_wce, "%s writeback %d", s->conf.name, wce);
    blk_set_write_cache(s->blk, wce);
}

/* ---- completing a request ---- */

static void req_free(VirtIOBlockReq *req)
{
    virtqueue_element_free(req->elem);
    g_free(req->iov);
    g_free(req);
}

/* Status byte, used entry; the interrupt follows in notify_queues. */
static void req_complete(VirtIOBlockReq *req, uint8_t status)
{
    VirtIOBlock *s = req->s;
    VirtQueueElement *e = req->elem;
    trace(virtio_blk_req_complete, "%s queue %u head %u type %u status %u",
          s->conf.name, virtio_queue_index(req->vq), e->head, req->type,
          status);
    iov_from_buf(e->in_sg, e->in_num, e->in_len - 1, &status, 1);
    virtqueue_push(req->vq, e, e->in_len);
    s->notify_mask |= 1ULL << virtio_queue_index(req->vq);
    req_free(req);
}

static void notify_queues(VirtIOBlock *s)
{
    while (s->notify_mask) {
        unsigned i = __builtin_ctzll(s->notify_mask);
        s->notify_mask &= ~(1ULL << i);
        virtio_notify(&s->vdev, virtio_get_queue(&s->vdev, i));
    }
}

static const char *req_type_name(uint32_t type)
{
    switch (type) {
    case VIRTIO_BLK_T_IN: return "read";
    case VIRTIO_BLK_T_OUT: return "write";
    case VIRTIO_BLK_T_FLUSH: return "flush";
    case VIRTIO_BLK_T_DISCARD: return "discard";
    case VIRTIO_BLK_T_WRITE_ZEROES: return "write-zeroes";
    }
    return "request";
}

/* QMP's BLOCK_IO_ERROR as QEMU sends it (libvirt records the disk's error
 * from it), before the STOP a stop policy brings. */
static void io_error_event(VirtIOBlock *s, bool is_read, const char *action,
                           int ret)
{
    JsonObject *o = json_object_new();
    json_object_set_string_member(o, "device", blk_name(s->blk));
    json_object_set_string_member(o, "operation", is_read ? "read" : "write");
    json_object_set_string_member(o, "action", action);
    json_object_set_boolean_member(o, "nospace", ret == -ENOSPC);
    json_object_set_string_member(o, "reason", g_strerror(-ret));
    JsonNode *n = json_node_new(JSON_NODE_OBJECT);
    json_node_take_object(n, o);
    monitor_event("BLOCK_IO_ERROR", n);
}

/* ret < 0: the policy of werror= (writes) or rerror= (reads) decides. */
static void req_finish(VirtIOBlockReq *req)
{
    VirtIOBlock *s = req->s;
    int ret = req->ret;
    if (ret >= 0) {
        req_complete(req, VIRTIO_BLK_S_OK);
        return;
    }
    bool is_read = req->type == VIRTIO_BLK_T_IN;
    BlockErrorAction a = blk_get_on_error(s->blk, is_read);
    bool stop = a == BLOCK_ERR_STOP_ANY ||
                (a == BLOCK_ERR_STOP_ENOSPC && ret == -ENOSPC);
    trace(virtio_blk_req_error, "%s %s sector %" PRIu64 " ret %d action %s",
          s->conf.name, req_type_name(req->type), req->sector, ret,
          stop ? "stop" : a == BLOCK_ERR_IGNORE ? "ignore" : "report");
    io_error_event(s, is_read, stop ? "stop" : a == BLOCK_ERR_IGNORE ?
                   "ignore" : "report", ret);
    if (stop) {
        error_report_ratelimited(&s->error_rl, "%s: %s at sector %" PRIu64
                                 " failed: %s; the VM is stopped (%s=%s): "
                                 "fix the cause (e.g. free space on the "
                                 "host) and resume it with 'cont'",
                                 s->conf.name, req_type_name(req->type),
                                 req->sector, g_strerror(-ret),
                                 is_read ? "rerror" : "werror",
                                 a == BLOCK_ERR_STOP_ANY ? "stop" : "enospc");
        req->next = NULL;
        *s->parked_tail = req;
        s->parked_tail = &req->next;
        vm_stop(RUN_STATE_IO_ERROR);
        return;
    }
    error_report_ratelimited(&s->error_rl, "%s: %s at sector %" PRIu64
                             " failed: %s (%s=%s: %s)", s->conf.name,
                             req_type_name(req->type), req->sector,
                             g_strerror(-ret), is_read ? "rerror" : "werror",
                             a == BLOCK_ERR_IGNORE ? "ignore" : "report",
                             a == BLOCK_ERR_IGNORE ?
                             "the guest was told it succeeded" :
                             "the guest got an I/O error");
    req_complete(req, a == BLOCK_ERR_IGNORE ? VIRTIO_BLK_S_OK :
                 VIRTIO_BLK_S_IOERR);
}

/* On a block-layer thread: queue it for the main loop. */
static void req_done(BlockRequest *br, int ret)
{
    VirtIOBlockReq *req = br->opaque;
    VirtIOBlock *s = req->s;
    req->ret = ret;
    g_mutex_lock(&s->lock);
    bool first = !s->done;
    req->next = s->done;
    s->done = req;
    g_mutex_unlock(&s->lock);
    if (first) {
        uint64_t one = 1;
        if (write(s->done_fd, &one, sizeof(one)) < 0) {
            trace(virtio_blk_done_signal_error, "%s", g_strerror(errno));
        }
    }
}

/* deliver false: the driver reset the device, so nothing goes to the ring. */
static void process_done(VirtIOBlock *s, bool deliver)
{
    uint64_t cnt;
    if (read(s->done_fd, &cnt, sizeof(cnt)) < 0) {
        /* EAGAIN: nothing signalled since the last time */
    }
    g_mutex_lock(&s->lock);
    VirtIOBlockReq *list = s->done, *fifo = NULL;
    s->done = NULL;
    g_mutex_unlock(&s->lock);
    while (list) {
        VirtIOBlockReq *next = list->next;
        list->next = fifo;
        fifo = list;
        list = next;
    }
    while (fifo) {
        VirtIOBlockReq *next = fifo->next;
        s->inflight--;
        if (deliver) {
            req_finish(fifo);
        } else {
            req_free(fifo);
        }
        fifo = next;
    }
    notify_queues(s);
}

static gboolean done_ready(int fd, GIOCondition cond, void *opaque)
{
    process_done(opaque, true);
    return G_SOURCE_CONTINUE;
}

/* ---- parsing a request ---- */

/* dst = the bytes [off, off + len) of src[0..n); returns dst's count. */
static int iov_slice(const struct iovec *src, unsigned n, size_t off,
                     size_t len, struct iovec *dst)
{
    int k = 0;
    for (unsigned i = 0; i < n && len; i++) {
        if (off >= src[i].iov_len) {
            off -= src[i].iov_len;
            continue;
        }
        size_t take = MIN(src[i].iov_len - off, len);
        dst[k].iov_base = (char *)src[i].iov_base + off;
        dst[k++].iov_len = take;
        len -= take;
        off = 0;
    }
    return k;
}

static bool sector_range_ok(VirtIOBlock *s, uint64_t sector, uint64_t bytes)
{
    uint64_t lbs = s->conf.logical_block_size;
    uint64_t per = lbs / VIRTIO_BLK_SECTOR_SIZE;
    return !(bytes % lbs) && !(sector % per) && sector <= s->capacity &&
           bytes / VIRTIO_BLK_SECTOR_SIZE <= s->capacity - sector;
}

static void req_submit(VirtIOBlockReq *req)
{
    VirtIOBlock *s = req->s;
    trace(virtio_blk_req_submit, "%s queue %u head %u %s sector %" PRIu64
          " bytes %" PRIu64, s->conf.name, virtio_queue_index(req->vq),
          req->elem->head, req_type_name(req->type), req->sector,
          req->br.bytes);
    req->br.cb = req_done;
    req->br.opaque = req;
    s->inflight++;
    blk_submit(s->blk, &req->br);
}

static void req_get_id(VirtIOBlockReq *req)
{
    VirtQueueElement *e = req->elem;
    char id[VIRTIO_BLK_ID_BYTES] = { 0 };
    size_t len = strlen(req->s->conf.serial);
    memcpy(id, req->s->conf.serial, len);
    /* The whole 20 bytes: NUL-padded, no NUL at all when it is 20 long. */
    iov_from_buf(e->in_sg, e->in_num, 0, id,
                 MIN(e->in_len - 1, sizeof(id)));
    req_complete(req, VIRTIO_BLK_S_OK);
}

/* Discard and write-zeroes: one segment (max_*_seg is 1). */
static uint8_t req_parse_segment(VirtIOBlockReq *req, bool zeroes)
{
    VirtIOBlock *s = req->s;
    VirtQueueElement *e = req->elem;
    uint8_t seg[VIRTIO_BLK_SEG_LEN];
    size_t len = e->out_len - VIRTIO_BLK_HDR_LEN;
    unsigned feature = zeroes ? VIRTIO_BLK_F_WRITE_ZEROES :
                       VIRTIO_BLK_F_DISCARD;

    if (!virtio_has_feature(&s->vdev, feature)) {
        return VIRTIO_BLK_S_UNSUPP;
    }
    if (len != VIRTIO_BLK_SEG_LEN) {
        /* none, a piece of one, or more than max_*_seg */
        return len && !(len % VIRTIO_BLK_SEG_LEN) ? VIRTIO_BLK_S_UNSUPP :
               VIRTIO_BLK_S_IOERR;
    }
    iov_to_buf(e->out_sg, e->out_num, VIRTIO_BLK_HDR_LEN, seg, sizeof(seg));
    uint64_t sector = get64(seg);
    uint32_t num = get32(seg + 8), flags = get32(seg + 12);
    uint32_t max = zeroes ? s->conf.max_write_zeroes_sectors :
                   s->conf.max_discard_sectors;
    if (flags & ~(uint32_t)VIRTIO_BLK_WZ_F_UNMAP ||
        (!zeroes && (flags & VIRTIO_BLK_WZ_F_UNMAP))) {
        return VIRTIO_BLK_S_UNSUPP;
    }
    req->sector = sector;
    if (num > max || blk_is_read_only(s->blk) ||
        !sector_range_ok(s, sector, (uint64_t)num * VIRTIO_BLK_SECTOR_SIZE)) {
        return VIRTIO_BLK_S_IOERR;
    }
    req->br = (BlockRequest) {
        .type = zeroes ? BLK_REQ_WRITE_ZEROES : BLK_REQ_DISCARD,
        .flags = (flags & VIRTIO_BLK_WZ_F_UNMAP) ? BLK_REQ_F_MAY_UNMAP : 0,
        .offset = sector * VIRTIO_BLK_SECTOR_SIZE,
        .bytes = (uint64_t)num * VIRTIO_BLK_SECTOR_SIZE,
    };
    return VIRTIO_BLK_S_OK;
}

/* Reads and writes: the data follows the header (out) or precedes the
 * status byte (in). */
static uint8_t req_parse_rw(VirtIOBlockReq *req, bool write)
{
    VirtIOBlock *s = req->s;
    VirtQueueElement *e = req->elem;
    size_t bytes = write ? e->out_len - VIRTIO_BLK_HDR_LEN : e->in_len - 1;
    unsigned n = write ? e->out_num : e->in_num;

    if ((write && blk_is_read_only(s->blk)) ||
        !sector_range_ok(s, req->sector, bytes)) {
        return VIRTIO_BLK_S_IOERR;
    }
    req->iov = g_new(struct iovec, n ? n : 1);
    int niov = write ? iov_slice(e->out_sg, n, VIRTIO_BLK_HDR_LEN, bytes,
                                 req->iov) :
               iov_slice(e->in_sg, n, 0, bytes, req->iov);
    req->br = (BlockRequest) {
        .type = write ? BLK_REQ_WRITE : BLK_REQ_READ,
        .offset = req->sector * VIRTIO_BLK_SECTOR_SIZE,
        .bytes = bytes,
        .iov = req->iov,
        .niov = niov,
    };
    return VIRTIO_BLK_S_OK;
}

static void handle_request(VirtIOBlock *s, VirtQueue *vq, VirtQueueElement *e)
{
    static RateLimit rl;
    uint8_t hdr[VIRTIO_BLK_HDR_LEN];

    if (e->in_len < 1) {
        virtio_error(&s->vdev, "queue %u: a request without a device-"
                     "writable status byte", virtio_queue_index(vq));
        virtqueue_element_free(e);
        return;
    }
    VirtIOBlockReq *req = g_new0(VirtIOBlockReq, 1);
    req->s = s;
    req->vq = vq;
    req->elem = e;
    if (e->out_len < VIRTIO_BLK_HDR_LEN) {
        error_report_ratelimited(&rl, "%s: a request of %zu device-readable "
                                 "bytes has no 16-byte header; I/O error",
                                 s->conf.name, e->out_len);
        req_complete(req, VIRTIO_BLK_S_IOERR);
        return;
    }
    iov_to_buf(e->out_sg, e->out_num, 0, hdr, sizeof(hdr));
    req->type = get32(hdr) & ~VIRTIO_BLK_T_BARRIER;
    req->sector = get64(hdr + 8);

    uint8_t st;
    switch (req->type) {
    case VIRTIO_BLK_T_IN:
    case VIRTIO_BLK_T_OUT:
        st = req_parse_rw(req, req->type == VIRTIO_BLK_T_OUT);
        break;
    case VIRTIO_BLK_T_FLUSH:
        req->br = (BlockRequest) { .type = BLK_REQ_FLUSH };
        st = VIRTIO_BLK_S_OK;
        break;
    case VIRTIO_BLK_T_GET_ID:
        req_get_id(req);
        return;
    case VIRTIO_BLK_T_DISCARD:
    case VIRTIO_BLK_T_WRITE_ZEROES:
        st = req_parse_segment(req, req->type == VIRTIO_BLK_T_WRITE_ZEROES);
        break;
    default:
        st = VIRTIO_BLK_S_UNSUPP;
        break;
    }
    if (st != VIRTIO_BLK_S_OK) {
        trace(virtio_blk_req_refused, "%s %s (type %u) sector %" PRIu64
              " status %u", s->conf.name, req_type_name(req->type),
              req->type, req->sector, st);
        req_complete(req, st);
        return;
    }
    req_submit(req);
}

/* A stopped VM (stop, or an error with werror=stop) takes no new I/O. */
static bool io_allowed(void)
{
    RunState r = runstate_get();
    return r != RUN_STATE_PAUSED && r != RUN_STATE_IO_ERROR;
}

static void handle_output(VirtIODevice *vdev, VirtQueue *vq)
{
    VirtIOBlock *s = (VirtIOBlock *)vdev;
    unsigned budget = VIRTIO_BLK_BUDGET;
    VirtQueueElement *e;

    if (!io_allowed()) {
        return;                 /* the resume listener comes back */
    }
    while (budget && (e = virtqueue_pop(vq))) {
        budget--;
        handle_request(s, vq, e);
    }
    notify_queues(s);
    if (!budget && !virtio_queue_empty(vq)) {
        uint64_t one = 1;
        if (write(virtio_queue_get_host_notifier_fd(vq), &one,
                  sizeof(one)) < 0) {
            trace(virtio_blk_rekick_error, "%s", s->conf.name);
        }
    }
}

static void runstate_changed(RunState old, RunState new, void *opaque)
{
    VirtIOBlock *s = opaque;
    if (new != RUN_STATE_RUNNING) {
        return;
    }
    VirtIOBlockReq *req = s->parked;
    s->parked = NULL;
    s->parked_tail = &s->parked;
    while (req) {
        VirtIOBlockReq *next = req->next;
        trace(virtio_blk_req_retry, "%s %s sector %" PRIu64, s->conf.name,
              req_type_name(req->type), req->sector);
        req_submit(req);
        req = next;
    }
    /* Kicks that came while the VM was stopped. */
    for (unsigned i = 0; i < s->vdev.num_queues; i++) {
        virtio_queue_notify(virtio_get_queue(&s->vdev, i));
    }
}

/* ---- the virtio device ---- */

static void set_status(VirtIODevice *vdev, uint8_t old, uint8_t status)
{
    VirtIOBlock *s = (VirtIOBlock *)vdev;
    /* A driver without CONFIG_WCE gets a write cache only if it flushes. */
    if ((status & VIRTIO_CONFIG_S_DRIVER_OK) &&
        !(old & VIRTIO_CONFIG_S_DRIVER_OK) &&
        !virtio_has_feature(vdev, VIRTIO_BLK_F_CONFIG_WCE)) {
        blk_set_write_cache(s->blk, s->original_wce &&
                            virtio_has_feature(vdev, VIRTIO_BLK_F_FLUSH));
    }
}

static void drain(VirtIOBlock *s)
{
    if (s->inflight) {
        trace(virtio_blk_drain, "%s inflight %u", s->conf.name, s->inflight);
        blk_drain(s->blk);
    }
    process_done(s, false);
    while (s->parked) {
        VirtIOBlockReq *next = s->parked->next;
        req_free(s->parked);
        s->parked = next;
    }
    s->parked_tail = &s->parked;
}

/* Reset: in-flight requests finish first, and none reaches the ring. */
static void reset(VirtIODevice *vdev)
{
    VirtIOBlock *s = (VirtIOBlock *)vdev;
    drain(s);
    s->notify_mask = 0;
    blk_set_write_cache(s->blk, s->original_wce);
}

static void exit_drain(void *opaque)
{
    VirtIOBlock *s = opaque;
    if (s->inflight) {
        blk_drain(s->blk);
    }
}

static const VirtioDeviceOps virtio_blk_ops = {
    .get_config = get_config,
    .set_config = set_config,
    .set_status = set_status,
    .reset = reset,
};

static uint64_t offered_features(const VirtIOBlkConf *c)
{
    uint64_t f = 1ULL << VIRTIO_BLK_F_SIZE_MAX | 1ULL << VIRTIO_BLK_F_SEG_MAX |
                 1ULL << VIRTIO_BLK_F_GEOMETRY | 1ULL << VIRTIO_BLK_F_BLK_SIZE |
                 1ULL << VIRTIO_BLK_F_TOPOLOGY;
    /* With CONFIG_WCE the driver may turn the cache on: it needs FLUSH. */
    if (blk_write_cache_enabled(c->blk) || c->config_wce) {
        f |= 1ULL << VIRTIO_BLK_F_FLUSH;
    }
    if (c->config_wce) {
        f |= 1ULL << VIRTIO_BLK_F_CONFIG_WCE;
    }
    if (blk_is_read_only(c->blk)) {
        f |= 1ULL << VIRTIO_BLK_F_RO;
    }
    if (c->num_queues > 1) {
        f |= 1ULL << VIRTIO_BLK_F_MQ;
    }
    if (c->discard) {
        f |= 1ULL << VIRTIO_BLK_F_DISCARD;
    }
    if (c->write_zeroes) {
        f |= 1ULL << VIRTIO_BLK_F_WRITE_ZEROES;
    }
    if (c->event_idx) {
        f |= 1ULL << VIRTIO_RING_F_EVENT_IDX;
    }
    if (c->indirect_desc) {
        f |= 1ULL << VIRTIO_RING_F_INDIRECT_DESC;
    }
    return f;
}

VirtIOBlock *virtio_blk_new(const VirtIOBlkConf *conf, Error **errp)
{
    VirtIOBlock *s = g_new0(VirtIOBlock, 1);
    s->conf = *conf;
    s->conf.name = g_strdup(conf->name);
    s->blk = conf->blk;
    s->capacity = blk_getlength(s->blk) / VIRTIO_BLK_SECTOR_SIZE;
    s->parked_tail = &s->parked;
    s->devfn = -1;
    g_mutex_init(&s->lock);
    if (conf->write_cache >= 0) {
        blk_set_write_cache(s->blk, conf->write_cache);
    }
    s->original_wce = blk_write_cache_enabled(s->blk);

    if (!virtio_init(&s->vdev, s->conf.name, VIRTIO_ID_BLOCK,
                     VIRTIO_BLK_CONFIG_LEN, conf->num_queues,
                     &virtio_blk_ops, errp)) {
        return NULL;
    }
    for (unsigned i = 0; i < conf->num_queues; i++) {
        virtio_add_queue(&s->vdev, i, conf->queue_size, handle_output);
    }
    s->vdev.host_features = offered_features(&s->conf);
    s->done_fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
    if (s->done_fd < 0) {
        error_setg_errno(errp, errno, "%s: cannot create its completion "
                         "eventfd", s->conf.name);
        return NULL;
    }
    main_loop_add_fd(s->done_fd, G_IO_IN, done_ready, s);
    runstate_listener_add(runstate_changed, s);
    s->exit.fn = exit_drain;
    s->exit.opaque = s;
    exit_notifier_add(&s->exit);

    VirtIOBlock **p = &all_devices;
    while (*p) {
        p = &(*p)->next_dev;
    }
    *p = s;
    trace(virtio_blk_new, "%s backend %s sectors %" PRIu64 " queues %u "
          "features 0x%" PRIx64, s->conf.name, blk_name(s->blk), s->capacity,
          conf->num_queues, s->vdev.host_features);
    return s;
}

VirtIODevice *virtio_blk_vdev(VirtIOBlock *s)
{
    return &s->vdev;
}

void virtio_blk_set_devfn(VirtIOBlock *s, int devfn)
{
    s->devfn = devfn;
}
