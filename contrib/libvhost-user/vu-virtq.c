/*
 * Split virtqueues from the device side: take descriptor chains (direct
 * and indirect), return them, suppress and send notifications.  The
 * rings live in memory the front-end can change at any moment: every
 * field is read once and checked before use.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include "libvhost-user.h"
#include "vu-internal.h"
#include "util/trace.h"

#define READ_ONCE16(x) __atomic_load_n(&(x), __ATOMIC_RELAXED)
#define WRITE_ONCE16(x, v) __atomic_store_n(&(x), (v), __ATOMIC_RELAXED)

static inline uint16_t *avail_used_event(VuVirtq *vq)
{
    return &vq->avail->ring[vq->num];
}

static inline uint16_t *used_avail_event(VuVirtq *vq)
{
    return (uint16_t *)&vq->used->ring[vq->num];
}

void vu_virtq_fail(VuDev *dev, VuVirtq *vq, const char *fmt, ...)
{
    char msg[256];
    va_list ap;

    if (vq->broken) {
        return;
    }
    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    vq->broken = true;
    error_report("%s: ring %u: %s; the ring is stopped until the front-end "
                 "sets it up again", dev->name, vq->idx, msg);
    trace(libvhost_user_ring_broken, "%s: ring %u: %s", dev->name, vq->idx,
          msg);
    if (vq->err_fd >= 0) {
        eventfd_write(vq->err_fd, 1);
    }
    if (dev->iface && dev->iface->ring_stopped) {
        dev->iface->ring_stopped(dev, vq->idx);
    }
}

void vu_virtq_kick_drain(VuDev *dev, VuVirtq *vq)
{
    eventfd_t v;

    if (vq->kick_fd >= 0 && eventfd_read(vq->kick_fd, &v) < 0 &&
        errno != EAGAIN) {
        return;
    }
    if (!vq->started) {
        vq->started = true;
        trace(libvhost_user_ring_started, "%s: ring %u started (num %u, "
              "avail %u, used %u)", dev->name, vq->idx, vq->num,
              vq->last_avail_idx, vq->used_idx);
    }
}

/* Mapped and sane, mapping lazily when the memory came after the addr. */
static bool vq_ready(VuDev *dev, VuVirtq *vq);

bool vu_virtq_empty(VuDev *dev, VuVirtq *vq)
{
    if (!vu_virtq_usable(vq) || !vq_ready(dev, vq)) {
        return true;
    }
    if (vq->shadow_avail_idx != vq->last_avail_idx) {
        return false;
    }
    vq->shadow_avail_idx = READ_ONCE16(vq->avail->idx);
    return vq->shadow_avail_idx == vq->last_avail_idx;
}

static bool vq_ready(VuDev *dev, VuVirtq *vq)
{
    Error *err = NULL;

    if (vq->desc) {
        return true;
    }
    if (!vu_virtq_map(dev, vq, &err)) {
        vu_virtq_fail(dev, vq, "%s", error_get_pretty(err));
        error_free(err);
        return false;
    }
    return true;
}

static bool add_buffer(VuDev *dev, VuVirtq *vq, VuElem *elem, uint64_t gpa,
                       uint32_t len, bool write)
{
    if (gpa + len < gpa) {
        vu_virtq_fail(dev, vq, "buffer at guest address 0x%llx with length %u "
                      "wraps around the address space",
                      (unsigned long long)gpa, len);
        return false;
    }
    if (!write && elem->in_num) {
        vu_virtq_fail(dev, vq, "descriptor chain %u has a device-readable "
                      "buffer after a device-writable one", elem->head);
        return false;
    }
    while (len > 0) {
        uint64_t chunk = len;
        void *p = vu_gpa_to_va(dev, gpa, &chunk);
        struct iovec *iov;

        if (!p) {
            vu_virtq_fail(dev, vq, "buffer at guest address 0x%llx (length "
                          "%u) is outside the memory table",
                          (unsigned long long)gpa, len);
            return false;
        }
        if (elem->out_num + elem->in_num >= VU_MAX_IOV) {
            return false;   /* walk_chain tells a loop from a long chain */
        }
        iov = write ? &elem->in[elem->in_num++] : &elem->out[elem->out_num++];
        iov->iov_base = p;
        iov->iov_len = chunk;
        if (write) {
            elem->in_len += chunk;
        } else {
            elem->out_len += chunk;
        }
        gpa += chunk;
        len -= chunk;
    }
    return true;
}

/* Does the chain from 'i' in table[0..max) come back on itself? */
static bool chain_loops(const struct vring_desc *table, unsigned max,
                        unsigned i)
{
    unsigned slow = i, fast = i;

    for (;;) {
        for (int step = 0; step < 2; step++) {
            uint16_t flags = READ_ONCE16(table[fast].flags);
            if (!(flags & VRING_DESC_F_NEXT)) {
                return false;
            }
            fast = READ_ONCE16(table[fast].next);
            if (fast >= max) {
                return false;
            }
        }
        slow = READ_ONCE16(table[slow].next);
        if (slow == fast) {
            return true;
        }
    }
}

static bool walk_chain(VuDev *dev, VuVirtq *vq, unsigned head, VuElem *elem)
{
    struct vring_desc *table = vq->desc;
    unsigned max = vq->num, i = head, count = 0;
    bool indirect = false;

    elem->head = head;
    elem->out_num = elem->in_num = 0;
    elem->out_len = elem->in_len = 0;
    for (;;) {
        struct vring_desc d;

        if (i >= max) {
            vu_virtq_fail(dev, vq, "descriptor index %u is past the %s size "
                          "%u", i, indirect ? "indirect table" : "ring", max);
            return false;
        }
        if (++count > max) {
            vu_virtq_fail(dev, vq, "descriptor chain %u loops (more than %u "
                          "descriptors)", head, max);
            return false;
        }
        memcpy(&d, &table[i], sizeof(d));
        __atomic_signal_fence(__ATOMIC_SEQ_CST);

        if (d.flags & VRING_DESC_F_INDIRECT) {
            uint64_t len = d.len;
            if (!vu_has_feature(dev, VIRTIO_RING_F_INDIRECT_DESC)) {
                vu_virtq_fail(dev, vq, "indirect descriptor used but "
                              "INDIRECT_DESC was not negotiated");
                return false;
            }
            if (indirect || (d.flags & VRING_DESC_F_NEXT)) {
                vu_virtq_fail(dev, vq, "indirect descriptor %u is nested or "
                              "has NEXT set", i);
                return false;
            }
            if (d.len == 0 || d.len % sizeof(struct vring_desc) ||
                d.len / sizeof(struct vring_desc) > VHOST_USER_MAX_QUEUE_SIZE) {
                vu_virtq_fail(dev, vq, "indirect table of %u bytes is not a "
                              "whole number of descriptors", d.len);
                return false;
            }
            table = vu_gpa_to_va(dev, d.addr, &len);
            if (!table || len < d.len || d.addr % 16) {
                vu_virtq_fail(dev, vq, "indirect table at guest address "
                              "0x%llx (%u bytes) is outside the memory table "
                              "or misaligned", (unsigned long long)d.addr,
                              d.len);
                return false;
            }
            max = d.len / sizeof(struct vring_desc);
            i = 0;
            count = 0;
            indirect = true;
            continue;
        }
        if (!add_buffer(dev, vq, elem, d.addr, d.len,
                        d.flags & VRING_DESC_F_WRITE)) {
            if (!vq->broken) {
                if (chain_loops(table, max, indirect ? 0 : head)) {
                    vu_virtq_fail(dev, vq, "descriptor chain %u loops", head);
                } else {
                    vu_virtq_fail(dev, vq, "descriptor chain %u needs more "
                                  "than %d buffers", head, VU_MAX_IOV);
                }
            }
            return false;
        }
        if (!(d.flags & VRING_DESC_F_NEXT)) {
            return true;
        }
        i = d.next;
    }
}

int vu_virtq_pop(VuDev *dev, VuVirtq *vq, VuElem *elem)
{
    uint16_t avail_idx, pending;
    unsigned head;

    if (!vu_virtq_usable(vq) || !vq_ready(dev, vq)) {
        return vq->broken ? -1 : 0;
    }
    if (vq->shadow_avail_idx == vq->last_avail_idx) {
        avail_idx = READ_ONCE16(vq->avail->idx);
        pending = avail_idx - vq->last_avail_idx;
        if (pending > vq->num) {
            vu_virtq_fail(dev, vq, "avail index moved from %u to %u, more "
                          "than the ring size %u", vq->last_avail_idx,
                          avail_idx, vq->num);
            return -1;
        }
        vq->shadow_avail_idx = avail_idx;
        if (!pending) {
            return 0;
        }
        /* Read ring entries only after seeing the index. */
        __atomic_thread_fence(__ATOMIC_ACQUIRE);
    }
    head = READ_ONCE16(vq->avail->ring[vq->last_avail_idx % vq->num]);
    if (!walk_chain(dev, vq, head, elem)) {
        return -1;
    }
    vq->last_avail_idx++;
    if (vu_has_feature(dev, VIRTIO_RING_F_EVENT_IDX)) {
        WRITE_ONCE16(*used_avail_event(vq), vq->last_avail_idx);
    }
    return 1;
}

void vu_virtq_rewind(VuVirtq *vq, unsigned n)
{
    vq->last_avail_idx -= n;
}

void vu_virtq_fill(VuVirtq *vq, unsigned head, uint32_t len, unsigned off)
{
    struct vring_used_elem *e;

    if (!vq->used) {
        return;
    }
    e = &vq->used->ring[(uint16_t)(vq->used_idx + off) % vq->num];
    __atomic_store_n(&e->id, head, __ATOMIC_RELAXED);
    __atomic_store_n(&e->len, len, __ATOMIC_RELAXED);
}

void vu_virtq_flush(VuVirtq *vq, unsigned count)
{
    uint16_t old = vq->used_idx, new;

    if (!vq->used) {
        return;
    }
    new = vq->used_idx = old + count;
    /* The entries must be visible before the index that publishes them. */
    __atomic_thread_fence(__ATOMIC_RELEASE);
    WRITE_ONCE16(vq->used->idx, new);
    if ((uint16_t)(new - vq->signalled_used) < (uint16_t)(new - old)) {
        vq->signalled_used_valid = false;
    }
}

void vu_virtq_push(VuVirtq *vq, unsigned head, uint32_t len)
{
    vu_virtq_fill(vq, head, len, 0);
    vu_virtq_flush(vq, 1);
}

/* The event-index rule of the virtio spec: did new pass event since old? */
static bool need_event(uint16_t event, uint16_t new, uint16_t old)
{
    return (uint16_t)(new - event - 1) < (uint16_t)(new - old);
}

static bool should_notify(VuDev *dev, VuVirtq *vq)
{
    uint16_t old, new;
    bool valid;

    __atomic_thread_fence(__ATOMIC_SEQ_CST);
    if (!vu_has_feature(dev, VIRTIO_RING_F_EVENT_IDX)) {
        return !(READ_ONCE16(vq->avail->flags) & VRING_AVAIL_F_NO_INTERRUPT);
    }
    valid = vq->signalled_used_valid;
    old = vq->signalled_used;
    new = vq->signalled_used = vq->used_idx;
    vq->signalled_used_valid = true;
    return !valid || need_event(READ_ONCE16(*avail_used_event(vq)), new, old);
}

void vu_virtq_notify(VuDev *dev, VuVirtq *vq)
{
    if (!vq->avail || vq->call_fd < 0) {
        return;
    }
    if (should_notify(dev, vq)) {
        eventfd_write(vq->call_fd, 1);
    }
}

bool vu_virtq_set_notification(VuDev *dev, VuVirtq *vq, bool enable)
{
    if (!vq->used || !vq->avail) {
        return true;
    }
    if (vu_has_feature(dev, VIRTIO_RING_F_EVENT_IDX)) {
        if (enable) {
            WRITE_ONCE16(*used_avail_event(vq),
                         READ_ONCE16(vq->avail->idx));
        }
    } else {
        uint16_t flags = READ_ONCE16(vq->used->flags);
        flags = enable ? flags & ~VRING_USED_F_NO_NOTIFY
                       : flags | VRING_USED_F_NO_NOTIFY;
        WRITE_ONCE16(vq->used->flags, flags);
    }
    if (!enable) {
        return false;
    }
    /* A buffer added before the driver saw our flag gets no kick. */
    __atomic_thread_fence(__ATOMIC_SEQ_CST);
    return vu_virtq_empty(dev, vq);
}

size_t vu_iov_from_buf(const struct iovec *iov, unsigned cnt, size_t off,
                       const void *buf, size_t len)
{
    size_t done = 0;

    for (unsigned i = 0; i < cnt && done < len; i++) {
        size_t n;
        if (off >= iov[i].iov_len) {
            off -= iov[i].iov_len;
            continue;
        }
        n = iov[i].iov_len - off;
        if (n > len - done) {
            n = len - done;
        }
        memcpy((char *)iov[i].iov_base + off, (const char *)buf + done, n);
        done += n;
        off = 0;
    }
    return done;
}

size_t vu_iov_to_buf(const struct iovec *iov, unsigned cnt, size_t off,
                     void *buf, size_t len)
{
    size_t done = 0;

    for (unsigned i = 0; i < cnt && done < len; i++) {
        size_t n;
        if (off >= iov[i].iov_len) {
            off -= iov[i].iov_len;
            continue;
        }
        n = iov[i].iov_len - off;
        if (n > len - done) {
            n = len - done;
        }
        memcpy((char *)buf + done, (const char *)iov[i].iov_base + off, n);
        done += n;
        off = 0;
    }
    return done;
}
