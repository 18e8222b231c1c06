/*
 * Split virtqueues in user space: every index, address and length the
 * driver gives is checked; a broken ring marks the device NEEDS_RESET and
 * raises a config interrupt instead of taking vmu down.
 */
#include <errno.h>
#include <glib.h>
#include <inttypes.h>
#include <stdarg.h>
#include <string.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include "hw/virtio/virtio.h"
#include "system/main-loop.h"
#include "system/memory.h"
#include "util/trace.h"

typedef struct VRingDesc {
    uint64_t addr;
    uint32_t len;
    uint16_t flags;
    uint16_t next;
} VRingDesc;

struct VirtQueue {
    VirtIODevice *vdev;
    unsigned index;
    uint16_t num_default;
    uint16_t num;
    bool enabled;
    bool vhost;                     /* a back-end owns the ring */
    uint64_t addr[3];               /* desc, avail (driver), used (device) */
    VRingDesc *desc;                /* host mappings, valid while enabled */
    uint8_t *avail;
    uint8_t *used;
    uint16_t last_avail_idx;
    uint16_t used_idx;
    uint16_t signalled_used;
    bool signalled_used_valid;
    uint16_t vector;
    int host_notifier;
    int guest_notifier;
    guint host_watch;
    VirtIOHandleOutput *handle_output;
};

static RateLimit virtio_error_rl;

bool virtio_init(VirtIODevice *vdev, const char *name, uint16_t device_id,
                 size_t config_len, unsigned nq, const VirtioDeviceOps *ops,
                 Error **errp)
{
    vdev->name = name;
    vdev->device_id = device_id;
    vdev->config_len = config_len;
    vdev->num_queues = nq;
    vdev->ops = ops;
    vdev->config_vector = VIRTIO_NO_VECTOR;
    vdev->vq = g_new0(VirtQueue, nq);
    for (unsigned i = 0; i < nq; i++) {
        VirtQueue *vq = &vdev->vq[i];
        vq->vdev = vdev;
        vq->index = i;
        vq->vector = VIRTIO_NO_VECTOR;
        vq->host_notifier = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
        vq->guest_notifier = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
        if (vq->host_notifier < 0 || vq->guest_notifier < 0) {
            error_setg_errno(errp, errno, "%s: cannot create the eventfds "
                             "of queue %u", name, i);
            return false;
        }
    }
    return true;
}

static gboolean host_notifier_ready(int fd, GIOCondition cond, void *opaque)
{
    VirtQueue *vq = opaque;
    uint64_t cnt;
    if (read(fd, &cnt, sizeof(cnt)) == sizeof(cnt)) {
        virtio_queue_notify(vq);
    }
    return G_SOURCE_CONTINUE;
}

VirtQueue *virtio_add_queue(VirtIODevice *vdev, unsigned index,
                            uint16_t default_size, VirtIOHandleOutput *fn)
{
    VirtQueue *vq = &vdev->vq[index];
    vq->num_default = default_size;
    vq->num = default_size;
    vq->handle_output = fn;
    vq->host_watch = main_loop_add_fd(vq->host_notifier, G_IO_IN,
                                      host_notifier_ready, vq);
    return vq;
}

VirtQueue *virtio_get_queue(VirtIODevice *vdev, unsigned index)
{
    return index < vdev->num_queues ? &vdev->vq[index] : NULL;
}

unsigned virtio_queue_index(VirtQueue *vq)
{
    return vq->index;
}

bool virtio_has_feature(VirtIODevice *vdev, unsigned bit)
{
    return vdev->guest_features & (1ULL << bit);
}

static void drain(int fd)
{
    uint64_t cnt;
    while (read(fd, &cnt, sizeof(cnt)) == sizeof(cnt)) {
    }
}

static void virtqueue_reset(VirtQueue *vq)
{
    bool was = vq->enabled;
    vq->num = vq->num_default;
    vq->enabled = false;
    vq->addr[0] = vq->addr[1] = vq->addr[2] = 0;
    vq->desc = NULL;
    vq->avail = vq->used = NULL;
    vq->last_avail_idx = vq->used_idx = 0;
    vq->signalled_used_valid = false;
    vq->vector = VIRTIO_NO_VECTOR;
    drain(vq->host_notifier);
    drain(vq->guest_notifier);
    if (was && vq->vdev->transport) {
        vq->vdev->transport->queue_changed(vq->vdev, vq->index);
    }
}

void virtio_reset(VirtIODevice *vdev)
{
    trace(virtio_reset, "%s", vdev->name);
    uint8_t old = vdev->status;
    vdev->status = 0;
    if (vdev->ops->set_status && old) {
        vdev->ops->set_status(vdev, old, 0);
    }
    if (vdev->ops->reset) {
        vdev->ops->reset(vdev);
    }
    vdev->isr = 0;
    vdev->broken = false;
    vdev->guest_features = 0;
    vdev->config_vector = VIRTIO_NO_VECTOR;
    for (unsigned i = 0; i < vdev->num_queues; i++) {
        virtqueue_reset(&vdev->vq[i]);
    }
}

void virtio_reset_hold(VirtIODevice *vdev, uint8_t shown)
{
    trace(virtio_reset_hold, "%s shows 0x%x", vdev->name, shown);
    vdev->reset_shown = shown ? shown : VIRTIO_CONFIG_S_ACKNOWLEDGE;
}

void virtio_reset_release(VirtIODevice *vdev)
{
    if (vdev->reset_shown) {
        trace(virtio_reset_release, "%s", vdev->name);
        vdev->reset_shown = 0;
    }
}

uint8_t virtio_get_status(VirtIODevice *vdev)
{
    return vdev->reset_shown ? vdev->reset_shown : vdev->status;
}

void virtio_set_status(VirtIODevice *vdev, uint8_t status)
{
    uint8_t old = vdev->status;
    if (status == 0) {
        virtio_reset(vdev);
        return;
    }
    if ((status & VIRTIO_CONFIG_S_FEATURES_OK) &&
        !(old & VIRTIO_CONFIG_S_FEATURES_OK)) {
        uint64_t f = vdev->guest_features;
        bool ok = !(f & ~vdev->host_features) &&
                  (f & (1ULL << VIRTIO_F_VERSION_1)) &&
                  (!vdev->ops->validate_features ||
                   vdev->ops->validate_features(vdev, f));
        trace(virtio_features_ok, "%s features 0x%" PRIx64 " %s", vdev->name,
              f, ok ? "accepted" : "refused");
        if (!ok) {
            status &= ~VIRTIO_CONFIG_S_FEATURES_OK;
        }
    }
    /* NEEDS_RESET is the device's to set; only a reset clears it. */
    status = (status & ~VIRTIO_CONFIG_S_NEEDS_RESET) |
             (old & VIRTIO_CONFIG_S_NEEDS_RESET);
    vdev->status = status;
    trace(virtio_set_status, "%s 0x%x -> 0x%x", vdev->name, old, status);
    if (vdev->ops->set_status && old != status) {
        vdev->ops->set_status(vdev, old, status);
    }
}

void virtio_notify_config(VirtIODevice *vdev)
{
    vdev->config_generation++;
    if (!(vdev->status & VIRTIO_CONFIG_S_DRIVER_OK) && !vdev->broken) {
        return;
    }
    if (vdev->transport) {
        vdev->transport->notify_config(vdev);
    }
}

void virtio_error(VirtIODevice *vdev, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    char *msg = g_strdup_vprintf(fmt, ap);
    va_end(ap);
    trace(virtio_error, "%s: %s", vdev->name, msg);
    error_report_ratelimited(&virtio_error_rl, "%s: %s; the device needs a "
                             "reset", vdev->name, msg);
    g_free(msg);
    if (vdev->broken) {
        return;
    }
    vdev->broken = true;
    vdev->status |= VIRTIO_CONFIG_S_NEEDS_RESET;
    virtio_notify_config(vdev);
}

/* ---- queue registers ---- */

uint16_t virtio_queue_get_num(VirtQueue *vq)
{
    return vq->num;
}

uint16_t virtio_queue_get_max_num(VirtQueue *vq)
{
    return VIRTQUEUE_MAX_SIZE;
}

bool virtio_queue_set_num(VirtQueue *vq, uint16_t num)
{
    /* Split rings need a power of two; an enabled queue keeps its size. */
    if (vq->enabled || num == 0 || num > VIRTQUEUE_MAX_SIZE ||
        (num & (num - 1))) {
        trace(virtio_queue_set_num_refused, "%s queue %u num %u",
              vq->vdev->name, vq->index, num);
        return false;
    }
    vq->num = num;
    return true;
}

void virtio_queue_set_addr(VirtQueue *vq, unsigned which, uint64_t gpa)
{
    if (!vq->enabled) {
        vq->addr[which] = gpa;
    }
}

uint64_t virtio_queue_get_addr(VirtQueue *vq, unsigned which)
{
    return vq->addr[which];
}

bool virtio_queue_enable(VirtQueue *vq)
{
    static RateLimit rl;
    uint64_t size[3] = { 16ULL * vq->num, 6 + 2ULL * vq->num,
                         6 + 8ULL * vq->num };
    uint64_t align[3] = { 16, 2, 4 };
    static const char *const what[3] = { "descriptor table", "driver area",
                                         "device area" };
    void *hva[3];

    if (vq->enabled) {
        return true;
    }
    for (unsigned i = 0; i < 3; i++) {
        hva[i] = gpa_to_hva(vq->addr[i], size[i]);
        if (!hva[i] || (vq->addr[i] & (align[i] - 1))) {
            error_report_ratelimited(&rl, "%s: queue %u not enabled: its %s "
                                     "at 0x%" PRIx64 " (0x%" PRIx64 " bytes) "
                                     "is not %s", vq->vdev->name, vq->index,
                                     what[i], vq->addr[i], size[i],
                                     hva[i] ? "aligned" : "in guest RAM");
            return false;
        }
    }
    vq->desc = hva[0];
    vq->avail = hva[1];
    vq->used = hva[2];
    vq->enabled = true;
    trace(virtio_queue_enable, "%s queue %u num %u desc 0x%" PRIx64 " avail "
          "0x%" PRIx64 " used 0x%" PRIx64, vq->vdev->name, vq->index, vq->num,
          vq->addr[0], vq->addr[1], vq->addr[2]);
    if (vq->vdev->transport) {
        vq->vdev->transport->queue_changed(vq->vdev, vq->index);
    }
    return true;
}

bool virtio_queue_enabled(VirtQueue *vq)
{
    return vq->enabled;
}

uint16_t virtio_queue_get_vector(VirtQueue *vq)
{
    return vq->vector;
}

void virtio_queue_set_vector(VirtQueue *vq, uint16_t vector)
{
    vq->vector = vector;
}

/* ---- ring access (little-endian guest, little-endian host) ---- */

static uint16_t avail_idx(VirtQueue *vq)
{
    uint16_t v = __atomic_load_n((uint16_t *)(vq->avail + 2),
                                 __ATOMIC_ACQUIRE);
    return v;
}

static uint16_t avail_flags(VirtQueue *vq)
{
    return __atomic_load_n((uint16_t *)vq->avail, __ATOMIC_ACQUIRE);
}

static uint16_t avail_ring(VirtQueue *vq, unsigned i)
{
    return __atomic_load_n((uint16_t *)(vq->avail + 4 + 2 * i),
                           __ATOMIC_RELAXED);
}

static uint16_t used_event(VirtQueue *vq)
{
    return __atomic_load_n((uint16_t *)(vq->avail + 4 + 2 * vq->num),
                           __ATOMIC_ACQUIRE);
}

static void set_avail_event(VirtQueue *vq, uint16_t v)
{
    __atomic_store_n((uint16_t *)(vq->used + 4 + 8 * vq->num), v,
                     __ATOMIC_RELEASE);
}

uint16_t virtio_queue_read_used_idx(VirtQueue *vq)
{
    return vq->used ? __atomic_load_n((uint16_t *)(vq->used + 2),
                                      __ATOMIC_ACQUIRE) : 0;
}

bool virtio_queue_ready(VirtQueue *vq)
{
    VirtIODevice *vdev = vq->vdev;
    return vq->enabled && !vq->vhost && !vdev->broken &&
           (vdev->status & VIRTIO_CONFIG_S_DRIVER_OK);
}

/*
 * The avail index, read again after a full fence when the ring looks empty
 * and EVENT_IDX is on.  The driver (Linux's virtqueue_kick_prepare_split)
 * stores avail->idx, runs a full barrier, then loads avail_event to decide
 * whether to kick; the device stores avail_event, and must run a full
 * barrier before its next load of avail->idx.  A release store alone lets
 * the load pass the store (x86's store buffer): both sides read the old
 * value, the driver never kicks and the queue stops for good.  With both
 * fences at least one side sees the other's store.
 */
static uint16_t avail_idx_checked(VirtQueue *vq)
{
    uint16_t idx = avail_idx(vq);
    if (idx != vq->last_avail_idx ||
        !virtio_has_feature(vq->vdev, VIRTIO_RING_F_EVENT_IDX)) {
        return idx;
    }
    set_avail_event(vq, vq->last_avail_idx);
    __atomic_thread_fence(__ATOMIC_SEQ_CST);
    idx = avail_idx(vq);
    trace(virtio_queue_recheck, "%s queue %u avail %u last %u",
          vq->vdev->name, vq->index, idx, vq->last_avail_idx);
    return idx;
}

bool virtio_queue_empty(VirtQueue *vq)
{
    return !virtio_queue_ready(vq) ||
           avail_idx_checked(vq) == vq->last_avail_idx;
}

static VRingDesc desc_read(const VRingDesc *table, unsigned i)
{
    VRingDesc d;
    memcpy(&d, &table[i], sizeof(d));
    return d;
}

static bool elem_add(VirtQueueElement *e, unsigned max, const VRingDesc *d,
                     VirtIODevice *vdev)
{
    if (e->in_num + e->out_num >= max) {
        virtio_error(vdev, "a descriptor chain is longer than %u "
                     "(a loop?)", max);
        return false;
    }
    void *hva = d->len ? gpa_to_hva(d->addr, d->len) : NULL;
    if (d->len && !hva) {
        virtio_error(vdev, "a buffer of 0x%x bytes at 0x%" PRIx64 " is not "
                     "in guest RAM", d->len, d->addr);
        return false;
    }
    if (d->flags & VRING_DESC_F_WRITE) {
        e->in_sg[e->in_num].iov_base = hva;
        e->in_sg[e->in_num++].iov_len = d->len;
        e->in_len += d->len;
    } else {
        if (e->in_num) {
            virtio_error(vdev, "a device-readable buffer follows a "
                         "device-writable one");
            return false;
        }
        e->out_sg[e->out_num].iov_base = hva;
        e->out_sg[e->out_num++].iov_len = d->len;
        e->out_len += d->len;
    }
    return true;
}

VirtQueueElement *virtqueue_pop(VirtQueue *vq)
{
    VirtIODevice *vdev = vq->vdev;
    if (!virtio_queue_ready(vq)) {
        return NULL;
    }
    uint16_t idx = avail_idx_checked(vq);
    if ((uint16_t)(idx - vq->last_avail_idx) > vq->num) {
        virtio_error(vdev, "queue %u: avail index %u is more than the ring "
                     "size %u ahead of %u", vq->index, idx, vq->num,
                     vq->last_avail_idx);
        return NULL;
    }
    if (idx == vq->last_avail_idx) {
        return NULL;
    }
    unsigned head = avail_ring(vq, vq->last_avail_idx % vq->num);
    if (head >= vq->num) {
        virtio_error(vdev, "queue %u: head descriptor %u is past the ring "
                     "size %u", vq->index, head, vq->num);
        return NULL;
    }

    const VRingDesc *table = vq->desc;
    unsigned max = vq->num;
    VRingDesc d = desc_read(table, head);
    if (d.flags & VRING_DESC_F_INDIRECT) {
        if (!virtio_has_feature(vdev, VIRTIO_RING_F_INDIRECT_DESC) ||
            (d.flags & VRING_DESC_F_NEXT) || d.len == 0 || d.len % 16 ||
            d.len / 16 > VIRTQUEUE_MAX_SIZE) {
            virtio_error(vdev, "queue %u: invalid indirect descriptor "
                         "(len 0x%x flags 0x%x)", vq->index, d.len, d.flags);
            return NULL;
        }
        table = gpa_to_hva(d.addr, d.len);
        if (!table) {
            virtio_error(vdev, "queue %u: indirect table at 0x%" PRIx64
                         " is not in guest RAM", vq->index, d.addr);
            return NULL;
        }
        max = d.len / 16;
        d = desc_read(table, 0);
    }

    VirtQueueElement *e = g_malloc0(sizeof(*e));
    e->head = head;
    e->in_sg = g_new(struct iovec, max);
    e->out_sg = g_new(struct iovec, max);
    for (;;) {
        if (d.flags & VRING_DESC_F_INDIRECT) {
            virtio_error(vdev, "queue %u: nested indirect descriptor",
                         vq->index);
            goto fail;
        }
        if (!elem_add(e, max, &d, vdev)) {
            goto fail;
        }
        if (!(d.flags & VRING_DESC_F_NEXT)) {
            break;
        }
        if (d.next >= max) {
            virtio_error(vdev, "queue %u: next descriptor %u is past %u",
                         vq->index, d.next, max);
            goto fail;
        }
        d = desc_read(table, d.next);
    }
    vq->last_avail_idx++;
    if (virtio_has_feature(vdev, VIRTIO_RING_F_EVENT_IDX)) {
        set_avail_event(vq, vq->last_avail_idx);
    }
    return e;

fail:
    virtqueue_element_free(e);
    return NULL;
}

void virtqueue_element_free(VirtQueueElement *e)
{
    if (e) {
        g_free(e->in_sg);
        g_free(e->out_sg);
        g_free(e);
    }
}

void virtqueue_unpop(VirtQueue *vq, VirtQueueElement *elem)
{
    vq->last_avail_idx--;
    virtqueue_element_free(elem);
}

void virtqueue_fill(VirtQueue *vq, VirtQueueElement *elem, uint32_t len,
                    unsigned offset)
{
    if (!vq->used) {
        return;
    }
    unsigned i = (uint16_t)(vq->used_idx + offset) % vq->num;
    uint32_t e[2] = { elem->head, len };
    memcpy(vq->used + 4 + 8 * i, e, sizeof(e));
}

void virtqueue_flush(VirtQueue *vq, unsigned count)
{
    if (!vq->used) {
        return;
    }
    vq->used_idx += count;
    __atomic_store_n((uint16_t *)(vq->used + 2), vq->used_idx,
                     __ATOMIC_RELEASE);
}

void virtqueue_push(VirtQueue *vq, VirtQueueElement *elem, uint32_t len)
{
    virtqueue_fill(vq, elem, len, 0);
    virtqueue_flush(vq, 1);
}

static bool virtio_should_notify(VirtQueue *vq)
{
    __atomic_thread_fence(__ATOMIC_SEQ_CST);
    if (!virtio_has_feature(vq->vdev, VIRTIO_RING_F_EVENT_IDX)) {
        return !(avail_flags(vq) & VRING_AVAIL_F_NO_INTERRUPT);
    }
    uint16_t old = vq->signalled_used, new = vq->used_idx;
    bool valid = vq->signalled_used_valid;
    vq->signalled_used = new;
    vq->signalled_used_valid = true;
    uint16_t event = used_event(vq);
    return !valid || (uint16_t)(new - event - 1) < (uint16_t)(new - old);
}

void virtio_notify(VirtIODevice *vdev, VirtQueue *vq)
{
    if (!vq->enabled || vq->vhost || !virtio_should_notify(vq)) {
        return;
    }
    uint64_t one = 1;
    trace(virtio_notify, "%s queue %u", vdev->name, vq->index);
    if (write(vq->guest_notifier, &one, sizeof(one)) < 0) {
        trace(virtio_notify_error, "%s", strerror(errno));
    }
}

void virtio_queue_notify(VirtQueue *vq)
{
    trace(virtio_queue_notify, "%s queue %u", vq->vdev->name, vq->index);
    if (vq->handle_output && virtio_queue_ready(vq)) {
        vq->handle_output(vq->vdev, vq);
    }
}

int virtio_queue_get_host_notifier_fd(VirtQueue *vq)
{
    return vq->host_notifier;
}

int virtio_queue_get_guest_notifier_fd(VirtQueue *vq)
{
    return vq->guest_notifier;
}

void virtio_queue_set_vhost(VirtQueue *vq, bool on)
{
    if (vq->vhost == on) {
        return;
    }
    vq->vhost = on;
    if (on) {
        g_source_remove(vq->host_watch);
        vq->host_watch = 0;
    } else {
        vq->host_watch = main_loop_add_fd(vq->host_notifier, G_IO_IN,
                                          host_notifier_ready, vq);
        vq->signalled_used_valid = false;
        virtio_queue_take_back(vq);
    }
}

void virtio_queue_take_back(VirtQueue *vq)
{
    if (!vq->used) {
        return;
    }
    /*
     * The back-end may have turned kicks off (DPDK sets NO_NOTIFY while
     * it polls, or left avail_event behind): a driver that honours that
     * would never kick vmu.  Ask for a kick at the next buffer.
     */
    __atomic_and_fetch((uint16_t *)vq->used, ~VRING_USED_F_NO_NOTIFY,
                       __ATOMIC_RELEASE);
    if (virtio_has_feature(vq->vdev, VIRTIO_RING_F_EVENT_IDX)) {
        set_avail_event(vq, vq->last_avail_idx);
    }
    __atomic_thread_fence(__ATOMIC_SEQ_CST);
    trace(virtio_queue_take_back, "%s queue %u avail %u", vq->vdev->name,
          vq->index, vq->last_avail_idx);
}

bool virtio_queue_get_ring(VirtQueue *vq, VirtioRingInfo *info)
{
    info->num = vq->num;
    info->desc = vq->addr[0];
    info->avail = vq->addr[1];
    info->used = vq->addr[2];
    info->last_avail_idx = vq->last_avail_idx;
    info->used_idx = vq->used_idx;
    info->enabled = vq->enabled;
    return vq->enabled;
}

void virtio_queue_set_last_avail_idx(VirtQueue *vq, uint16_t idx)
{
    vq->last_avail_idx = idx;
    vq->used_idx = virtio_queue_read_used_idx(vq);
}

size_t iov_from_buf(const struct iovec *iov, unsigned n, size_t offset,
                    const void *buf, size_t len)
{
    size_t done = 0;
    for (unsigned i = 0; i < n && done < len; i++) {
        if (offset >= iov[i].iov_len) {
            offset -= iov[i].iov_len;
            continue;
        }
        size_t k = MIN(iov[i].iov_len - offset, len - done);
        memcpy((char *)iov[i].iov_base + offset, (const char *)buf + done, k);
        done += k;
        offset = 0;
    }
    return done;
}

size_t iov_to_buf(const struct iovec *iov, unsigned n, size_t offset,
                  void *buf, size_t len)
{
    size_t done = 0;
    for (unsigned i = 0; i < n && done < len; i++) {
        if (offset >= iov[i].iov_len) {
            offset -= iov[i].iov_len;
            continue;
        }
        size_t k = MIN(iov[i].iov_len - offset, len - done);
        memcpy((char *)buf + done, (char *)iov[i].iov_base + offset, k);
        done += k;
        offset = 0;
    }
    return done;
}
