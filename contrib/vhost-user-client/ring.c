/*
 * vmu-vhost-client's ring driver: guest RAM in a memfd, both split rings
 * laid out in it, TX chains posted and reclaimed, RX buffers reposted and
 * frames gathered from them (MRG_RXBUF or chains).
 */
#include <errno.h>
#include <glib.h>
#include <poll.h>
#include <sched.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/mman.h>
#include <unistd.h>

#include <linux/virtio_net.h>
#include <linux/virtio_ring.h>

#include "client.h"

bool client_mem_init(Client *c, Error **errp)
{
    size_t per_q = 3 * 4096 + (size_t)c->qsize * BUF_SIZE + 16ULL * c->qsize;
    size_t off = 0;

    c->mem_size = ((2 * per_q + (1 << 20)) + 0xfffff) & ~(size_t)0xfffff;
    c->memfd = memfd_create("vmu-vhost-client", MFD_CLOEXEC);
    if (c->memfd < 0 || ftruncate(c->memfd, c->mem_size) < 0) {
        error_setg_errno(errp, errno, "cannot create the shared memory");
        return false;
    }
    c->mem = mmap(NULL, c->mem_size, PROT_READ | PROT_WRITE, MAP_SHARED,
                  c->memfd, 0);
    if (c->mem == MAP_FAILED) {
        error_setg_errno(errp, errno, "cannot map the shared memory");
        return false;
    }
    c->ram = (RAMRange){ 0, c->mem_size, c->mem, c->memfd, 0, NULL };
    for (int i = 0; i < 2; i++) {
        Queue *q = &c->q[i];
        VhostRing *r = &c->rings[i];
        off = (off + 4095) & ~4095UL;
        r->desc = off;
        off += 16 * c->qsize;
        r->avail = off;
        off += 6 + 2 * c->qsize;
        off = (off + 4095) & ~4095UL;
        r->used = off;
        off += 6 + 8 * c->qsize;
        off = (off + 4095) & ~4095UL;
        q->buf_gpa = off;
        off += (size_t)c->qsize * BUF_SIZE;
        r->num = c->qsize;
        r->kick_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
        r->call_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
    }
    return true;
}

/* RX buffers: one descriptor each with MRG_RXBUF, else chains of RX_CHAIN
 * consecutive descriptors (contiguous memory: the frame is never split). */
static unsigned rx_step(const Client *c)
{
    return c->mrg ? 1 : RX_CHAIN;
}

/* Fresh rings: RX full of empty buffers, TX empty. */
void queues_reset(Client *c)
{
    for (int i = 0; i < 2; i++) {
        Queue *q = &c->q[i];
        VhostRing *r = &c->rings[i];
        q->num = c->qsize;
        q->desc = (void *)(c->mem + r->desc);
        q->avail = (void *)(c->mem + r->avail);
        q->used = (void *)(c->mem + r->used);
        q->buf = c->mem + q->buf_gpa;
        memset(q->desc, 0, 16 * q->num);
        memset(q->avail, 0, 6 + 2 * q->num);
        memset(q->used, 0, 6 + 8 * q->num);
        q->avail_idx = q->last_used = 0;
        q->npending = 0;
        r->last_avail_idx = 0;
        /* We poll the used rings: no interrupts (see wait_for_call). */
        q->avail->flags = VRING_AVAIL_F_NO_INTERRUPT;
        for (unsigned d = 0; d < q->num; d++) {
            q->desc[d].addr = q->buf_gpa + (uint64_t)d * BUF_SIZE;
            q->desc[d].len = BUF_SIZE;
            q->desc[d].flags = i == RX ? VRING_DESC_F_WRITE : 0;
        }
        q->nfree = q->free_head = 0;
        if (i == RX) {
            unsigned step = rx_step(c);
            for (unsigned d = 0; d + step <= q->num; d += step) {
                for (unsigned k = 0; k + 1 < step; k++) {
                    q->desc[d + k].flags |= VRING_DESC_F_NEXT;
                    q->desc[d + k].next = d + k + 1;
                }
                q->avail->ring[q->avail_idx++ % q->num] = d;
            }
            __atomic_store_n(&q->avail->idx, q->avail_idx, __ATOMIC_RELEASE);
        } else {
            for (unsigned d = 0; d < q->num; d++) {
                q->free[q->nfree++] = d;
            }
        }
    }
}

void kick(Client *c, int i)
{
    uint64_t one = 1;
    __atomic_thread_fence(__ATOMIC_SEQ_CST);
    if (!(__atomic_load_n(&c->q[i].used->flags, __ATOMIC_ACQUIRE) &
          VRING_USED_F_NO_NOTIFY)) {
        if (write(c->rings[i].kick_fd, &one, 8) < 0) {
            /* the counter is full: the back-end has a kick pending anyway */
        }
    }
}

void publish(Queue *q)
{
    __atomic_store_n(&q->avail->idx, q->avail_idx, __ATOMIC_RELEASE);
}

static bool used_pending(Queue *q)
{
    return __atomic_load_n(&q->used->idx, __ATOMIC_ACQUIRE) != q->last_used;
}

/*
 * Nothing to do: ask for interrupts on both rings and sleep on their call
 * fds for at most ms milliseconds, then poll again.
 */
void wait_for_call(Client *c, int ms)
{
    struct pollfd pfd[2] = {
        { .fd = c->rings[RX].call_fd, .events = POLLIN },
        { .fd = c->rings[TX].call_fd, .events = POLLIN },
    };
    uint64_t v;

    if (c->busy_poll) {
        sched_yield();
        return;
    }
    for (int i = 0; i < 2; i++) {
        __atomic_store_n(&c->q[i].avail->flags, 0, __ATOMIC_RELEASE);
    }
    __atomic_thread_fence(__ATOMIC_SEQ_CST);
    if (!used_pending(&c->q[RX]) && !used_pending(&c->q[TX]) && !stop_flag) {
        poll(pfd, 2, ms);
    }
    for (int i = 0; i < 2; i++) {
        __atomic_store_n(&c->q[i].avail->flags, VRING_AVAIL_F_NO_INTERRUPT,
                         __ATOMIC_RELEASE);
        if (read(c->rings[i].call_fd, &v, 8) < 0) {
            /* nothing was signalled */
        }
    }
}

/* Reclaim TX chains the back-end is done with. */
unsigned tx_reclaim(Client *c)
{
    Queue *q = &c->q[TX];
    uint16_t used = __atomic_load_n(&q->used->idx, __ATOMIC_ACQUIRE);
    unsigned n = 0;
    while (q->last_used != used) {
        unsigned id = q->used->ring[q->last_used % q->num].id % q->num;
        c->tx_bytes += q->txlen[id];
        for (unsigned k = 0; k < q->num && q->nfree < q->num; k++) {
            q->free[(q->free_head + q->nfree++) % q->num] = id;
            if (!(q->desc[id].flags & VRING_DESC_F_NEXT)) {
                break;
            }
            id = q->desc[id].next % q->num;
        }
        q->last_used++;
        n++;
    }
    return n;
}

/* Queue one frame (a virtio-net header first) as a chain of 2 KiB pieces. */
bool tx_post(Client *c, const void *frame, unsigned len)
{
    Queue *q = &c->q[TX];
    unsigned total = c->hdr_len + len, nd = (total + BUF_SIZE - 1) / BUF_SIZE;
    const uint8_t *src = frame;
    uint16_t head = 0, prev = 0;

    if (q->nfree < nd) {
        return false;
    }
    for (unsigned k = 0, off = 0; k < nd; k++) {
        uint16_t id = q->free[q->free_head];
        q->free_head = (q->free_head + 1) % q->num;
        q->nfree--;
        uint8_t *b = q->buf + (size_t)id * BUF_SIZE;
        unsigned piece = total - off < BUF_SIZE ? total - off : BUF_SIZE;
        if (k == 0) {
            head = id;
            memset(b, 0, c->hdr_len);
            memcpy(b + c->hdr_len, src, piece - c->hdr_len);
            src += piece - c->hdr_len;
        } else {
            memcpy(b, src, piece);
            src += piece;
            q->desc[prev].flags = VRING_DESC_F_NEXT;
            q->desc[prev].next = id;
        }
        q->desc[id].len = piece;
        q->desc[id].flags = 0;
        off += piece;
        prev = id;
    }
    q->txlen[head] = len;
    q->avail->ring[q->avail_idx % q->num] = head;
    q->avail_idx++;
    return true;
}

static void rx_repost(Client *c, uint16_t id)
{
    Queue *q = &c->q[RX];
    if (c->mrg) {
        q->desc[id].len = BUF_SIZE;
    }
    q->avail->ring[q->avail_idx % q->num] = id;
    q->avail_idx++;
}

static void rx_repost_pending(Client *c)
{
    Queue *q = &c->q[RX];
    for (unsigned i = 0; i < q->npending; i++) {
        rx_repost(c, q->pending[i]);
    }
    q->npending = 0;
}

/*
 * One received frame (without the virtio-net header), or -1.  *frame
 * stays valid until the next rx_poll() or rx_done(), which hand its
 * buffers back.
 */
int rx_poll(Client *c, uint8_t **frame)
{
    Queue *q = &c->q[RX];
    uint16_t used = __atomic_load_n(&q->used->idx, __ATOMIC_ACQUIRE);
    unsigned step = rx_step(c), cap = step * BUF_SIZE, nbufs = 1, len;
    struct vring_used_elem *e;
    uint8_t *b;

    rx_repost_pending(c);
    if (q->last_used == used) {
        return -1;
    }
    e = &q->used->ring[q->last_used % q->num];
    if (e->id >= q->num || e->id % step) {
        /* not a buffer we posted: skip it (and lose one ring slot) */
        c->rx.errors++;
        q->last_used++;
        return 0;
    }
    b = q->buf + (size_t)e->id * BUF_SIZE;
    len = e->len > cap ? (c->rx.errors++, cap) : e->len;
    if (c->mrg) {
        struct virtio_net_hdr_mrg_rxbuf *h = (void *)b;
        nbufs = h->num_buffers;
        if (nbufs == 0 || nbufs > q->num) {
            c->rx.errors++;
            nbufs = 1;
        }
        if ((uint16_t)(used - q->last_used) < nbufs) {
            return -1;          /* the rest of the frame is not there yet */
        }
    }
    q->pending[q->npending++] = e->id;
    q->last_used++;
    q->last_nbufs = nbufs;
    if (len < c->hdr_len) {
        c->rx.errors++;
        len = c->hdr_len;
    }
    if (nbufs == 1) {
        *frame = b + c->hdr_len;
        return len - c->hdr_len;
    }
    /* MRG_RXBUF: gather the pieces */
    unsigned flen = len - c->hdr_len;
    memcpy(c->rxframe, b + c->hdr_len, flen);
    for (unsigned k = 1; k < nbufs; k++) {
        e = &q->used->ring[q->last_used % q->num];
        q->last_used++;
        if (e->id >= q->num) {
            c->rx.errors++;
            continue;
        }
        len = e->len > BUF_SIZE ? (c->rx.errors++, BUF_SIZE) : e->len;
        if (flen + len > sizeof(c->rxframe)) {
            c->rx.errors++;
            len = sizeof(c->rxframe) - flen;
        }
        memcpy(c->rxframe + flen, q->buf + (size_t)e->id * BUF_SIZE, len);
        flen += len;
        q->pending[q->npending++] = e->id;
    }
    *frame = c->rxframe;
    return flen;
}

/* Hand the buffers back and tell the back-end. */
void rx_done(Client *c)
{
    rx_repost_pending(c);
    publish(&c->q[RX]);
    kick(c, RX);
}
