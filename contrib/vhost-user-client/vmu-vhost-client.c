/*
 * vmu-vhost-client: a guestless vhost-user front-end.  It plays the guest
 * driver of a virtio-net device (split rings in a memfd laid out like
 * guest RAM) over vmu's own vhost-user.c and vhost.c, to load, measure and
 * check any vhost-user net back-end.
 *
 * Frames of up to 9,216 bytes: received across several 2 KiB buffers
 * (MRG_RXBUF) or into 10 KiB descriptor chains (without it), transmitted
 * as a descriptor chain of 2 KiB pieces.  Every frame sent carries a
 * stream id, a sequence number, its length and a pattern derived from the
 * sequence number, so a receiver (--verify) can tell each frame arrived
 * whole and in order.
 */
#include <errno.h>
#include <getopt.h>
#include <glib.h>
#include <inttypes.h>
#include <math.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#include <linux/virtio_config.h>
#include <linux/virtio_net.h>
#include <linux/virtio_ring.h>

#include "hw/virtio/vhost-user.h"
#include "hw/virtio/vhost.h"
#include "util/trace.h"
#include "util/unix-socket.h"

#define BUF_SIZE 2048           /* one descriptor's buffer */
#define MAX_QSIZE 1024
#define MIN_FRAME 60
#define MAX_FRAME 9216          /* jumbo frames up to 9216 bytes */
/* Without MRG_RXBUF a receive buffer is a chain of this many descriptors. */
#define RX_CHAIN ((12 + MAX_FRAME + BUF_SIZE - 1) / BUF_SIZE)
#define MAX_SIZES 65536
#define MAX_STREAMS 64
#define RX 0
#define TX 1

/* The test frame: Ethernet header, then this, then the pattern. */
#define ETH_TYPE_TEST 0x88b5        /* IEEE local experimental 1 */
#define ETH_TYPE_ANNOUNCE 0x88b6    /* local experimental 2: --announce */
#define PAT_MAGIC 0x63554d56u       /* "VMUc" */
#define PAT_PERIOD 251              /* prime: no 2 KiB piece lines up */
typedef struct __attribute__((packed)) PatHdr {
    uint32_t magic;
    uint32_t stream;
    uint64_t seq;
    uint16_t len;               /* the whole frame's length */
    uint16_t pad;
    double t;                   /* when it was sent (--pingpong) */
} PatHdr;
#define PAT_OFF 14
#define PAT_DATA (PAT_OFF + (int)sizeof(PatHdr))   /* 46 */

typedef struct Queue {
    unsigned num;
    struct vring_desc *desc;
    struct vring_avail *avail;
    struct vring_used *used;
    uint8_t *buf;               /* num buffers of BUF_SIZE */
    uint64_t buf_gpa;
    uint16_t avail_idx;         /* next avail slot we publish */
    uint16_t last_used;         /* next used entry we read */
    /* TX: free descriptor ids, first in first out (descriptors are used
     * in sequence, which keeps the back-end's reads and ours in step) */
    uint16_t free[MAX_QSIZE];
    unsigned nfree, free_head;
    uint16_t pending[MAX_QSIZE];/* RX: buffers to hand back */
    unsigned npending;
    unsigned txlen[MAX_QSIZE];  /* TX: frame length by chain head */
    unsigned last_nbufs;        /* RX: buffers the last frame spanned */
} Queue;

typedef struct Stream {
    uint32_t id;
    uint64_t next;              /* the sequence number expected */
} Stream;

/* What was received (and, with --verify, checked). */
typedef struct RxStats {
    unsigned long long frames, bytes;
    unsigned long long bad;         /* ours, but length or content wrong */
    unsigned long long out_of_order;/* a sequence number below the next */
    unsigned long long missing;     /* sequence numbers skipped */
    unsigned long long other;       /* not a test frame (or --announce) */
    unsigned long long errors;      /* malformed used entries */
    double first, last;
    Stream streams[MAX_STREAMS];
    unsigned nstreams;
} RxStats;

typedef struct Client {
    const char *path;
    bool server;
    int listen_fd;
    int fd;
    unsigned qsize;
    int timeout_ms;
    bool no_mrg;                /* do not ask for MRG_RXBUF */
    bool mrg;                   /* negotiated */
    bool verify;
    bool busy_poll;             /* never sleep on the call fd */
    uint8_t mac[6], dst[6];
    uint32_t stream;
    /* guest RAM: one region at gpa 0 */
    int memfd;
    uint8_t *mem;
    size_t mem_size;
    RAMRange ram;
    Queue q[2];
    VhostRing rings[2];
    VhostUser *u;
    VhostDev dev;
    unsigned hdr_len;
    uint8_t rxframe[MAX_FRAME + BUF_SIZE];  /* a frame gathered from pieces */
    RxStats rx;
    unsigned long long tx_bytes;            /* bytes of reclaimed frames */
} Client;

static volatile sig_atomic_t stop_flag, report_flag;
static uint8_t ramp[MAX_FRAME + PAT_PERIOD];

static void on_signal(int sig)
{
    if (sig == SIGUSR1) {
        report_flag = 1;
    } else {
        stop_flag = 1;
    }
}

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec + ts.tv_nsec / 1e9;
}

static bool client_mem_init(Client *c, Error **errp)
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
static void queues_reset(Client *c)
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

static void kick(Client *c, int i)
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

static void publish(Queue *q)
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
static void wait_for_call(Client *c, int ms)
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
static unsigned tx_reclaim(Client *c)
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
static bool tx_post(Client *c, const void *frame, unsigned len)
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
static int rx_poll(Client *c, uint8_t **frame)
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
static void rx_done(Client *c)
{
    rx_repost_pending(c);
    publish(&c->q[RX]);
    kick(c, RX);
}

/* Test frames */

static void make_frame(Client *c, uint8_t *f, unsigned len, uint64_t seq,
                       double t)
{
    PatHdr h = { PAT_MAGIC, c->stream, seq, len, 0, t };
    memcpy(f, c->dst, 6);
    memcpy(f + 6, c->mac, 6);
    f[12] = ETH_TYPE_TEST >> 8;
    f[13] = ETH_TYPE_TEST & 0xff;
    memcpy(f + PAT_OFF, &h, sizeof(h));
    memcpy(f + PAT_DATA, ramp + seq % PAT_PERIOD, len - PAT_DATA);
}

static bool is_test_frame(const uint8_t *f, unsigned len, PatHdr *h)
{
    if (len < PAT_DATA || f[12] != (ETH_TYPE_TEST >> 8) ||
        f[13] != (ETH_TYPE_TEST & 0xff)) {
        return false;
    }
    memcpy(h, f + PAT_OFF, sizeof(*h));
    return h->magic == PAT_MAGIC;
}

/* Count one received frame; with --verify, check it. */
static void rx_account(Client *c, const uint8_t *f, unsigned len)
{
    RxStats *s = &c->rx;
    Stream *st = NULL;
    PatHdr h;

    s->last = now_s();
    if (!s->frames) {
        s->first = s->last;
    }
    s->frames++;
    s->bytes += len;
    if (!c->verify) {
        return;
    }
    if (!is_test_frame(f, len, &h)) {
        s->other++;
        return;
    }
    if (h.len != len || memcmp(f + PAT_DATA, ramp + h.seq % PAT_PERIOD,
                               len - PAT_DATA)) {
        s->bad++;
        return;
    }
    for (unsigned i = 0; i < s->nstreams; i++) {
        if (s->streams[i].id == h.stream) {
            st = &s->streams[i];
            break;
        }
    }
    if (!st) {
        if (s->nstreams == MAX_STREAMS) {
            s->other++;
            return;
        }
        st = &s->streams[s->nstreams++];
        st->id = h.stream;
        st->next = 0;
    }
    if (h.seq < st->next) {
        s->out_of_order++;
        return;
    }
    s->missing += h.seq - st->next;
    st->next = h.seq + 1;
}

/* Receive whatever is there; returns frames taken. */
static unsigned rx_drain(Client *c)
{
    uint8_t *f;
    int len;
    unsigned n = 0;
    while ((len = rx_poll(c, &f)) >= 0) {
        rx_account(c, f, len);
        n++;
    }
    if (n) {
        rx_done(c);
    }
    return n;
}

/* The machine-readable summary: one line, key=value. */
static void print_result(Client *c, const char *mode, unsigned long long sent,
                         unsigned long long sent_bytes, double secs)
{
    RxStats *s = &c->rx;
    bool tx = sent > 0 || !strcmp(mode, "send");
    unsigned long long n = tx ? sent : s->frames;
    unsigned long long bytes = tx ? sent_bytes : s->bytes;

    if (!tx) {
        secs = s->frames > 1 ? s->last - s->first : 0;
    }
    printf("result: mode=%s sent=%llu received=%llu bad=%llu "
           "out_of_order=%llu missing=%llu other=%llu errors=%llu "
           "streams=%u bytes_sent=%llu bytes_received=%llu secs=%.3f "
           "pps=%.0f gbps=%.3f\n", mode, sent, s->frames, s->bad,
           s->out_of_order, s->missing, s->other, s->errors, s->nstreams,
           sent_bytes, s->bytes, secs, secs > 0 ? n / secs : 0,
           secs > 0 ? bytes * 8 / secs / 1e9 : 0);
    fflush(stdout);
}

/* --announce: one broadcast frame from our address, so switches learn it. */
static void announce(Client *c)
{
    uint8_t f[MIN_FRAME] = { 0 };
    memset(f, 0xff, 6);
    memcpy(f + 6, c->mac, 6);
    f[12] = ETH_TYPE_ANNOUNCE >> 8;
    f[13] = ETH_TYPE_ANNOUNCE & 0xff;
    tx_reclaim(c);
    if (tx_post(c, f, sizeof(f))) {
        publish(&c->q[TX]);
        kick(c, TX);
        /* wait for it to be consumed: it is not part of what we send */
        for (double end = now_s() + 1; now_s() < end && !tx_reclaim(c);) {
            g_usleep(1000);
        }
        c->tx_bytes = 0;
    }
}

/* --server: listen once, then wait for a back-end (until a signal). */
static bool client_accept(Client *c, Error **errp)
{
    if (c->listen_fd < 0) {
        c->listen_fd = unix_socket_listen(c->path, UNIX_SOCKET_REPLACE_ANY,
                                          errp);
        if (c->listen_fd < 0) {
            c->listen_fd = -1;
            return false;
        }
        fprintf(stderr, "vmu-vhost-client: waiting for a back-end on %s\n",
                c->path);
    }
    for (;;) {
        struct pollfd p = { .fd = c->listen_fd, .events = POLLIN };
        int fd;

        if (stop_flag) {
            error_setg(errp, "stopped while waiting for a back-end on %s",
                       c->path);
            return false;
        }
        poll(&p, 1, 200);       /* a signal ends it early */
        fd = unix_socket_accept(c->listen_fd, errp);
        if (fd >= 0) {
            c->fd = fd;
            return true;
        }
        if (fd != -EAGAIN) {
            error_prepend(errp, "%s: ", c->path);
            return false;
        }
    }
}

/* Connect, retrying for 5 s while the back-end's socket is not there. */
static bool client_connect(Client *c, Error **errp)
{
    double deadline = now_s() + 5;

    if (c->server) {
        return client_accept(c, errp);
    }
    for (;;) {
        Error *err = NULL;
        int fd = unix_socket_connect(c->path, &err);

        if (fd >= 0) {
            c->fd = fd;
            return true;
        }
        if (fd == -ENAMETOOLONG) {
            error_propagate(errp, err);
            return false;
        }
        error_free(err);
        if (now_s() > deadline || stop_flag) {
            error_setg_errno(errp, -fd, "cannot connect to %s", c->path);
            error_append_hint(errp, "start the back-end first (its socket "
                              "must exist), or use --server");
            return false;
        }
        g_usleep(100 * 1000);
    }
}

static void client_disconnect(Client *c)
{
    vhost_user_free(c->u);
    c->u = NULL;
    if (c->fd >= 0) {
        close(c->fd);
        c->fd = -1;
    }
}

/* Features, memory table, both rings started, RX full of buffers. */
static bool client_rings_start(Client *c, Error **errp)
{
    uint64_t want = (1ULL << VIRTIO_F_VERSION_1);

    if (!c->no_mrg) {
        want |= 1ULL << VIRTIO_NET_F_MRG_RXBUF;
    }
    vhost_dev_set_memory(&c->dev, &c->ram, 1);
    want &= c->dev.backend_features;
    c->mrg = want & (1ULL << VIRTIO_NET_F_MRG_RXBUF);
    c->hdr_len = want ? 12 : 10;
    queues_reset(c);
    if (!vhost_dev_start(&c->dev, want, errp)) {
        return false;
    }
    kick(c, RX);
    return true;
}

/* Connect, negotiate as vmu does, start both rings. */
static bool client_start(Client *c, Error **errp)
{
    if (!client_connect(c, errp)) {
        return false;
    }
    c->u = vhost_user_new(c->fd, c->path);
    c->u->timeout_ms = c->timeout_ms;
    if (!vhost_user_handshake(c->u, VHOST_USER_FRONTEND_PROTOCOL_FEATURES,
                              errp) ||
        !vhost_dev_init(&c->dev, &vhost_user_backend_ops, c->u,
                        "vmu-vhost-client", c->rings, 2, errp)) {
        return false;
    }
    return client_rings_start(c, errp);
}

static void format_sizes(const unsigned *sizes, unsigned n, char *buf,
                         size_t len)
{
    unsigned lo = sizes[0], hi = sizes[0];
    for (unsigned i = 1; i < n; i++) {
        lo = MIN(lo, sizes[i]);
        hi = MAX(hi, sizes[i]);
    }
    if (lo == hi) {
        snprintf(buf, len, "%u", lo);
    } else {
        snprintf(buf, len, "%u-%u", lo, hi);
    }
}

static int mode_send(Client *c, unsigned long long count,
                     const unsigned *sizes, unsigned nsizes, double rate,
                     double duration)
{
    uint8_t *frame = g_malloc(MAX_FRAME);
    unsigned long long sent = 0, done = 0;
    unsigned long long last_done = 0;
    double t0 = now_s(), t1, last = t0;
    char sz[32];
    int status = 0;

    while (done < sent || (sent < count && !stop_flag)) {
        unsigned posted = 0;
        double now = now_s();
        unsigned long long allowed = count;

        if (duration > 0 && now - t0 >= duration) {
            count = sent;       /* time is up: finish what is in flight */
        }
        if (rate > 0) {
            allowed = MIN(count, (unsigned long long)((now - t0) * rate) + 1);
        }
        done += tx_reclaim(c);
        while (sent < allowed) {
            unsigned len = sizes[sent % nsizes];
            make_frame(c, frame, len, sent, 0);
            if (!tx_post(c, frame, len)) {
                break;
            }
            sent++;
            posted++;
        }
        if (posted) {
            publish(&c->q[TX]);
            kick(c, TX);
        }
        rx_drain(c);
        if (done != last_done) {
            last_done = done;
            last = now;
        } else if (now - last > (stop_flag ? 1 : 2)) {
            fprintf(stderr, "vmu-vhost-client: the back-end at %s %s "
                    "(%llu of %llu frames consumed)\n", c->path, done ?
                    "stopped taking frames" : "takes no frames (TX ring not "
                    "served)", done, sent);
            status = 1;
            break;
        }
        if (!posted) {
            if (rate > 0 && sent < count && sent >= allowed &&
                (sent + 1) / rate - (now - t0) > 0.0002) {
                g_usleep(MIN(1000, ((sent + 1) / rate - (now - t0)) * 1e6));
            } else {
                sched_yield();
            }
        }
    }
    t1 = now_s();
    /* frames still coming back */
    for (double end = now_s() + 0.5; now_s() < end;) {
        if (!rx_drain(c)) {
            g_usleep(1000);
        }
    }
    double secs = t1 - t0;
    format_sizes(sizes, nsizes, sz, sizeof(sz));
    printf("sent %llu frames of %s bytes in %.3f s: %.0f pps, %.3f Gbps; "
           "%llu came back\n", done, sz, secs, done / secs,
           c->tx_bytes * 8 / secs / 1e9, c->rx.frames);
    print_result(c, "send", done, c->tx_bytes, secs);
    g_free(frame);
    return status;
}

static int mode_recv(Client *c, double duration, bool echo)
{
    unsigned long long echoed = 0, echo_bytes = 0;
    double t0 = now_s(), lastp = t0, idle = 0;

    while (!stop_flag && (duration <= 0 || now_s() - t0 < duration)) {
        uint8_t *f;
        int len;
        unsigned got = 0, posted = 0;
        if (echo) {
            tx_reclaim(c);
        }
        while ((len = rx_poll(c, &f)) >= 0) {
            rx_account(c, f, len);
            if (echo && len > 0 && tx_post(c, f, len)) {
                posted++;
                echoed++;
                echo_bytes += len;
            }
            got++;
        }
        if (got) {
            rx_done(c);
            idle = 0;
        } else if (!idle) {
            idle = now_s();
        } else if (now_s() - idle > 0.0005) {
            wait_for_call(c, 20);
        } else {
            sched_yield();
        }
        if (posted) {
            publish(&c->q[TX]);
            kick(c, TX);
        }
        if (now_s() - lastp >= 1) {
            lastp = now_s();
            fprintf(stderr, "received %llu frames so far\n", c->rx.frames);
        }
        if (report_flag) {
            report_flag = 0;
            print_result(c, echo ? "echo" : "recv", echoed, echo_bytes, 0);
        }
    }
    double secs = c->rx.frames > 1 ? c->rx.last - c->rx.first : 0;
    printf("received %llu frames (%llu bytes)%s", c->rx.frames, c->rx.bytes,
           secs > 0 ? "" : "\n");
    if (secs > 0) {
        printf(" in %.3f s: %.0f pps", secs, c->rx.frames / secs);
        if (echo) {
            printf(", %llu echoed", echoed);
        }
        printf("\n");
    }
    print_result(c, echo ? "echo" : "recv", echoed, echo_bytes, 0);
    return 0;
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

static int mode_pingpong(Client *c, unsigned count, unsigned size)
{
    uint8_t *frame = g_malloc(MAX_FRAME);
    double *rtt = g_new(double, count);
    unsigned n = 0, lost = 0;

    for (unsigned i = 0; i < count && !stop_flag; i++) {
        double t = now_s(), end = t + 1;
        bool got = false;
        make_frame(c, frame, size, i, t);
        tx_reclaim(c);
        if (!tx_post(c, frame, size)) {
            g_usleep(1000);
            tx_reclaim(c);
            tx_post(c, frame, size);
        }
        publish(&c->q[TX]);
        kick(c, TX);
        while (!got && now_s() < end) {
            uint8_t *f;
            int len;
            while ((len = rx_poll(c, &f)) >= 0) {
                PatHdr h;
                rx_account(c, f, len);
                if (is_test_frame(f, len, &h) && h.stream == c->stream &&
                    h.seq == i) {
                    got = true;
                }
            }
            rx_done(c);
        }
        if (got) {
            rtt[n++] = (now_s() - t) * 1e6;
        } else {
            lost++;
        }
    }
    g_free(frame);
    if (!n) {
        printf("pingpong: no frame came back (%u lost)\n", lost);
        print_result(c, "pingpong", count, 0, 0);
        g_free(rtt);
        return 1;
    }
    qsort(rtt, n, sizeof(double), cmp_double);
    printf("pingpong: %u round trips, %u lost; latency us p50 %.1f p90 %.1f "
           "p99 %.1f max %.1f\n", n, lost, rtt[n / 2], rtt[n * 9 / 10],
           rtt[n * 99 / 100], rtt[n - 1]);
    print_result(c, "pingpong", n + lost, (unsigned long long)(n + lost) * size,
                 0);
    g_free(rtt);
    return 0;
}

/* --check: a conformance table. */
typedef enum { PASS, FAIL, SKIP } Verdict;
static unsigned nfail;

static void row(const char *name, Verdict v, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static void row(const char *name, Verdict v, const char *fmt, ...)
{
    static const char *const names[] = { "pass", "FAIL", "skip" };
    va_list ap;
    printf("%-26s %-5s ", name, names[v]);
    va_start(ap, fmt);
    vprintf(fmt, ap);
    va_end(ap);
    printf("\n");
    fflush(stdout);
    if (v == FAIL) {
        nfail++;
    }
}

static void row_err(const char *name, Error *err)
{
    row(name, FAIL, "%s", error_get_pretty(err));
    error_free(err);
}

/* Send k frames; wait for TX to be consumed and count what comes back. */
static void traffic(Client *c, unsigned k, double wait, unsigned *consumed,
                    unsigned *back)
{
    uint8_t frame[64];
    double end = now_s() + wait;
    make_frame(c, frame, 60, 0, 0);
    *consumed = *back = 0;
    for (unsigned i = 0; i < k; i++) {
        tx_post(c, frame, 60);
    }
    publish(&c->q[TX]);
    kick(c, TX);
    while (now_s() < end && (*consumed < k || *back < k)) {
        *consumed += tx_reclaim(c);
        *back += rx_drain(c);
        g_usleep(1000);
    }
}

static bool ring_restart(Client *c, unsigned i, unsigned base, Error **errp)
{
    VhostRing *r = &c->rings[i];
    VhostUser *u = c->u;
    return vhost_user_set_vring_num(u, i, r->num, errp) &&
           vhost_user_set_vring_base(u, i, base, errp) &&
           vhost_user_set_vring_addr(u, i, (uintptr_t)c->mem + r->desc,
                                     (uintptr_t)c->mem + r->used,
                                     (uintptr_t)c->mem + r->avail, errp) &&
           vhost_user_set_vring_kick(u, i, r->kick_fd, errp) &&
           vhost_user_set_vring_call(u, i, r->call_fd, errp) &&
           vhost_user_set_vring_enable(u, i, true, errp);
}

/*
 * A 9,000-byte frame: transmitted as a descriptor chain, received across
 * several buffers (MRG_RXBUF) or into one chain; it must come back whole.
 */
static void check_jumbo(Client *c)
{
    enum { JUMBO = 9000 };
    uint8_t *frame = g_malloc(JUMBO);
    unsigned nd = (c->hdr_len + JUMBO + BUF_SIZE - 1) / BUF_SIZE;
    unsigned consumed = 0, intact = 0, nbufs = 0, got = 0;
    double end = now_s() + 2;

    tx_reclaim(c);
    rx_drain(c);
    make_frame(c, frame, JUMBO, 1000, 0);
    if (!tx_post(c, frame, JUMBO)) {
        row("jumbo TX chain", FAIL, "no room for a chain of %u descriptors",
            nd);
        g_free(frame);
        return;
    }
    publish(&c->q[TX]);
    kick(c, TX);
    while (now_s() < end && (!consumed || !got)) {
        uint8_t *f;
        int len;
        PatHdr h;
        consumed += tx_reclaim(c);
        while ((len = rx_poll(c, &f)) >= 0) {
            got++;
            if (len == JUMBO && is_test_frame(f, len, &h) && h.seq == 1000 &&
                h.stream == c->stream && h.len == JUMBO &&
                !memcmp(f + PAT_DATA, ramp + 1000 % PAT_PERIOD,
                        JUMBO - PAT_DATA)) {
                intact++;
                nbufs = c->q[RX].last_nbufs;
            }
        }
        rx_done(c);
        g_usleep(1000);
    }
    row("jumbo TX chain", consumed ? PASS : FAIL, "a %u-byte frame as a chain "
        "of %u descriptors %s", JUMBO, nd, consumed ? "was consumed" :
        "was not consumed within 2 s");
    if (!consumed) {
        row("jumbo RX", SKIP, "nothing was sent");
    } else if (intact && c->mrg) {
        row("jumbo RX", PASS, "it came back intact in %u receive buffer%s "
            "(MRG_RXBUF)", nbufs, nbufs == 1 ? "" : "s");
    } else if (intact) {
        row("jumbo RX", PASS, "it came back intact in a chained receive "
            "buffer (no MRG_RXBUF)");
    } else {
        row("jumbo RX", FAIL, got ? "%u frames came back, none the intact "
            "%u-byte frame" : "%u frames came back; a back-end limited to "
            "1518-byte frames drops it", got, JUMBO);
    }
    g_free(frame);
}

static int mode_check(Client *c)
{
    Error *err = NULL;
    unsigned consumed, back;
    char buf[512];

    printf("%-26s %-5s %s\n", "check", "result", "detail");
    if (!client_connect(c, &err)) {
        row_err("connect", err);
        return 1;
    }
    row("connect", PASS, "%s", c->path);
    c->u = vhost_user_new(c->fd, c->path);
    c->u->timeout_ms = c->timeout_ms;
    if (!vhost_user_handshake(c->u, VHOST_USER_FRONTEND_PROTOCOL_FEATURES,
                              &err)) {
        row_err("handshake", err);
        return 1;
    }
    row("handshake", PASS, "features %s",
        vhost_user_format_features(c->u->features, false, buf, sizeof(buf)));
    if (c->u->features & (1ULL << VHOST_USER_F_PROTOCOL_FEATURES)) {
        row("protocol features", PASS, "offered %s",
            vhost_user_format_features(c->u->protocol_offered, true, buf,
                                       sizeof(buf)));
    } else {
        row("protocol features", SKIP, "bit 30 not offered: no REPLY_ACK, "
            "MQ or SET_VRING_ENABLE");
    }
    row("virtio 1.0", c->u->features & (1ULL << VIRTIO_F_VERSION_1) ? PASS :
        SKIP, "%s", c->u->features & (1ULL << VIRTIO_F_VERSION_1) ?
        "VERSION_1 offered" : "legacy back-end (10-byte header)");
    if (vhost_user_has_protocol(c->u, VHOST_USER_PROTOCOL_F_REPLY_ACK)) {
        VhostUserMsg m = { .hdr = { VHOST_USER_SET_VRING_NUM, 0, 8 } };
        m.payload.state.index = 0;
        m.payload.state.num = c->qsize;
        if (vhost_user_call(c->u, &m, NULL, 0, true, NULL, &err)) {
            row("REPLY_ACK answered", PASS, "SET_VRING_NUM with NEED_REPLY "
                "acked with 0");
        } else {
            row_err("REPLY_ACK answered", err);
            err = NULL;
        }
    } else {
        row("REPLY_ACK answered", SKIP, "REPLY_ACK not offered");
    }
    if (c->u->broken) {
        return 1;
    }
    if (!vhost_dev_init(&c->dev, &vhost_user_backend_ops, c->u,
                        "vmu-vhost-client", c->rings, 2, &err) ||
        !client_rings_start(c, &err)) {
        row_err("start rings", err);
        return 1;
    }
    row("start rings", PASS, "SET_FEATURES, memory table (1 region, %zu MiB), "
        "2 rings of %u", c->mem_size >> 20, c->qsize);

    traffic(c, 32, 3, &consumed, &back);
    row("TX consumed", consumed == 32 ? PASS : FAIL, "%u of 32 frames", consumed);
    row("RX delivered", back ? PASS : FAIL, back ? "%u of 32 frames came back" :
        "%u frames came back; does the back-end forward to the sender?", back);

    check_jumbo(c);

    /* GET_VRING_BASE stops TX and returns the next avail index. */
    unsigned base = 0;
    uint16_t expect = c->q[TX].avail_idx;
    tx_reclaim(c);
    if (!vhost_user_get_vring_base(c->u, TX, &base, &err)) {
        row_err("GET_VRING_BASE", err);
        return 1;
    }
    row("GET_VRING_BASE", base == expect ? PASS : FAIL,
        "ring 1 stopped at %u, %u frames posted", base, expect);
    {
        uint8_t frame[64];
        uint16_t before = __atomic_load_n(&c->q[TX].used->idx,
                                          __ATOMIC_ACQUIRE);
        uint64_t one = 1;
        make_frame(c, frame, 60, 0, 0);
        tx_post(c, frame, 60);
        publish(&c->q[TX]);
        if (write(c->rings[TX].kick_fd, &one, 8) < 0) {
            /* counter full: a kick is pending anyway */
        }
        g_usleep(300 * 1000);
        uint16_t after = __atomic_load_n(&c->q[TX].used->idx,
                                         __ATOMIC_ACQUIRE);
        row("stopped ring stays", after == before ? PASS : FAIL,
            after == before ? "a kick after GET_VRING_BASE consumed nothing" :
            "the back-end consumed %u buffers after GET_VRING_BASE",
            (uint16_t)(after - before));
        if (!ring_restart(c, TX, base, &err)) {
            row_err("ring restart", err);
            return 1;
        }
        kick(c, TX);
        double end = now_s() + 2;
        while (now_s() < end && c->q[TX].used->idx == after) {
            rx_drain(c);
            g_usleep(1000);
        }
        row("ring restart", c->q[TX].used->idx != after ? PASS : FAIL,
            "the frame posted while stopped %s after SET_VRING_BASE %u",
            c->q[TX].used->idx != after ? "was sent" : "was not sent", base);
        tx_reclaim(c);
        rx_drain(c);
    }

    if (c->u->features & (1ULL << VHOST_USER_F_PROTOCOL_FEATURES)) {
        if (!vhost_user_set_vring_enable(c->u, RX, false, &err)) {
            row_err("disable honoured", err);
            return 1;
        }
        traffic(c, 16, 0.5, &consumed, &back);
        row("disable honoured", back == 0 ? PASS : FAIL,
            "%u frames arrived on a disabled RX ring", back);
        if (!vhost_user_set_vring_enable(c->u, RX, true, &err)) {
            row_err("enable honoured", err);
            return 1;
        }
        kick(c, RX);
        traffic(c, 16, 2, &consumed, &back);
        row("enable honoured", back ? PASS : FAIL, "%u of 16 frames arrived "
            "after re-enabling RX", back);
    } else {
        row("disable honoured", SKIP, "no SET_VRING_ENABLE without protocol "
            "features");
        row("enable honoured", SKIP, "no SET_VRING_ENABLE without protocol "
            "features");
    }

    if (vhost_user_has_protocol(c->u, VHOST_USER_PROTOCOL_F_MQ)) {
        row("MQ", c->u->queue_num >= 1 ? PASS : FAIL, "%u queue pairs",
            c->u->queue_num);
    } else {
        row("MQ", SKIP, "MQ not offered");
    }
    if (vhost_user_has_protocol(c->u, VHOST_USER_PROTOCOL_F_STATUS)) {
        uint8_t st = 0;
        if (vhost_user_get_status(c->u, &st, &err)) {
            row("STATUS", st & VIRTIO_CONFIG_S_DRIVER_OK ? PASS : FAIL,
                "GET_STATUS 0x%x after SET_STATUS(DRIVER_OK)", st);
        } else {
            row_err("STATUS", err);
            err = NULL;
        }
    } else {
        row("STATUS", SKIP, "STATUS not offered");
    }

    /* Close and come back: the whole negotiation again, traffic again. */
    client_disconnect(c);
    g_usleep(200 * 1000);
    if (!client_start(c, &err)) {
        row_err("reconnect", err);
        return 1;
    }
    traffic(c, 32, 3, &consumed, &back);
    row("reconnect", consumed == 32 && back ? PASS : FAIL, "renegotiated; "
        "%u of 32 frames sent, %u came back", consumed, back);
    Error *stop_err = NULL;
    if (!vhost_dev_stop(&c->dev, &stop_err)) {
        row_err("stop", stop_err);
    } else {
        row("stop", PASS, "GET_VRING_BASE: RX %u TX %u",
            c->rings[RX].last_avail_idx, c->rings[TX].last_avail_idx);
    }
    printf("%u failure%s\n", nfail, nfail == 1 ? "" : "s");
    return nfail ? 1 : 0;
}

static void usage(FILE *f)
{
    fprintf(f,
"Usage: vmu-vhost-client -q SOCK [--server] MODE [options]\n"
"A guestless vhost-user front-end: it drives a vhost-user net back-end as\n"
"a guest's virtio-net driver would, over vmu's vhost-user code.\n"
"\n"
"  -q, --socket SOCK     the back-end's UNIX socket\n"
"      --server          listen on SOCK instead of connecting\n"
"Modes:\n"
"      --send N          send N frames, print pps and Gbps (and what came back)\n"
"      --recv            count received frames, print pps\n"
"      --echo            send back every frame that arrives\n"
"      --pingpong N      N round trips, print latency percentiles\n"
"      --check           conformance check of the back-end (exit 0: no failure)\n"
"Options:\n"
"      --size S          frame size in bytes (60..%d, default 64)\n"
"      --sizes LIST      --send cycles through sizes, in order: N, A-B (every\n"
"                        size), A-B:STEP, comma-separated (60-9000, 64,1518)\n"
"      --rate PPS        --send at most PPS frames per second\n"
"      --duration SEC    stop after SEC seconds (--send: stop sending)\n"
"      --verify          check every frame received: test pattern, length,\n"
"                        sequence number per sending stream\n"
"      --mac MAC         our address (source of frames sent; default\n"
"                        02:00:00:00:00:01)\n"
"      --dst MAC         destination of frames sent (default 02:00:00:00:00:02)\n"
"      --announce        first send one broadcast frame from --mac (type\n"
"                        0x88b6) so that a learning switch knows where we are\n"
"      --no-mrg          do not negotiate MRG_RXBUF (receive into chains)\n"
"      --busy-poll       never sleep waiting for a call (default: sleep after\n"
"                        0.5 ms without traffic in --recv/--echo)\n"
"      --queue-size N    ring size (power of two, 64..1024, default 256)\n"
"      --timeout MS      wait for each reply at most MS ms (default 5000)\n"
"      --trace PATTERN   enable trace points (vhost_user_*, vhost_*)\n"
"  -h, --help\n"
"\n"
"Frames sent are test frames (type 0x88b5): stream id, sequence number,\n"
"length, then a pattern of the sequence number.  Each mode ends with one\n"
"line (SIGUSR1 prints it too in --recv/--echo):\n"
"  result: mode=M sent=N received=N bad=N out_of_order=N missing=N other=N\n"
"          errors=N streams=N bytes_sent=N bytes_received=N secs=S pps=P gbps=G\n"
"(bad: a test frame whose length or content is wrong; other: not a test\n"
"frame; pps and gbps: of frames sent, or received for --recv, counting\n"
"Ethernet header and payload only.)\n", MAX_FRAME);
}

static bool parse_mac(const char *s, uint8_t *mac)
{
    unsigned v[6];
    char end;
    if (sscanf(s, "%x:%x:%x:%x:%x:%x%c", &v[0], &v[1], &v[2], &v[3], &v[4],
               &v[5], &end) != 6) {
        return false;
    }
    for (int i = 0; i < 6; i++) {
        if (v[i] > 255) {
            return false;
        }
        mac[i] = v[i];
    }
    return true;
}

static bool parse_size(const char *s, char **end, unsigned *out)
{
    unsigned long v;
    if (*s < '0' || *s > '9') {
        return false;
    }
    v = strtoul(s, end, 10);
    if (v < MIN_FRAME || v > MAX_FRAME) {
        return false;
    }
    *out = v;
    return true;
}

/* "60-9000", "60-9000:10", "64,1518", or a mix. */
static bool parse_sizes(const char *arg, GArray *sizes)
{
    const char *s = arg;
    g_array_set_size(sizes, 0);
    for (;;) {
        char *end;
        unsigned lo, hi, step = 1;
        if (!parse_size(s, &end, &lo)) {
            return false;
        }
        hi = lo;
        if (*end == '-') {
            if (!parse_size(end + 1, &end, &hi) || hi < lo) {
                return false;
            }
            if (*end == ':') {
                step = strtoul(end + 1, &end, 10);
                if (!step) {
                    return false;
                }
            }
        }
        for (unsigned v = lo; v <= hi; v += step) {
            if (sizes->len == MAX_SIZES) {
                return false;
            }
            g_array_append_val(sizes, v);
        }
        if (!*end) {
            return true;
        }
        if (*end != ',') {
            return false;
        }
        s = end + 1;
    }
}

int main(int argc, char **argv)
{
    enum { O_SERVER = 256, O_SEND, O_RECV, O_ECHO, O_PINGPONG, O_CHECK,
           O_SIZE, O_SIZES, O_RATE, O_DURATION, O_VERIFY, O_MAC, O_DST,
           O_ANNOUNCE, O_NO_MRG, O_BUSY_POLL, O_QSIZE, O_TIMEOUT, O_TRACE };
    static const struct option longopts[] = {
        { "socket", required_argument, NULL, 'q' },
        { "server", no_argument, NULL, O_SERVER },
        { "send", required_argument, NULL, O_SEND },
        { "recv", no_argument, NULL, O_RECV },
        { "echo", no_argument, NULL, O_ECHO },
        { "pingpong", required_argument, NULL, O_PINGPONG },
        { "check", no_argument, NULL, O_CHECK },
        { "size", required_argument, NULL, O_SIZE },
        { "sizes", required_argument, NULL, O_SIZES },
        { "rate", required_argument, NULL, O_RATE },
        { "duration", required_argument, NULL, O_DURATION },
        { "verify", no_argument, NULL, O_VERIFY },
        { "mac", required_argument, NULL, O_MAC },
        { "dst", required_argument, NULL, O_DST },
        { "announce", no_argument, NULL, O_ANNOUNCE },
        { "no-mrg", no_argument, NULL, O_NO_MRG },
        { "busy-poll", no_argument, NULL, O_BUSY_POLL },
        { "queue-size", required_argument, NULL, O_QSIZE },
        { "timeout", required_argument, NULL, O_TIMEOUT },
        { "trace", required_argument, NULL, O_TRACE },
        { "help", no_argument, NULL, 'h' },
        { 0 },
    };
    static Client c = { .listen_fd = -1, .fd = -1, .qsize = 256,
                        .timeout_ms = VHOST_USER_DEFAULT_TIMEOUT_MS,
                        .mac = { 0x02, 0, 0, 0, 0, 0x01 },
                        .dst = { 0x02, 0, 0, 0, 0, 0x02 } };
    int mode = 0, opt, status;
    unsigned long long count = 0;
    unsigned size = 64;
    double duration = 0, rate = 0;
    bool do_announce = false;
    g_autoptr(GArray) sizes = g_array_new(false, false, sizeof(unsigned));
    Error *err = NULL;

    error_set_progname("vmu-vhost-client");
    trace_set_thread_name("main");
    while ((opt = getopt_long(argc, argv, "q:h", longopts, NULL)) != -1) {
        char *end = NULL;
        switch (opt) {
        case 'q':
            c.path = optarg;
            break;
        case O_SERVER:
            c.server = true;
            break;
        case O_SEND:
        case O_PINGPONG:
            count = strtoull(optarg, &end, 0);
            if (!*optarg || *end || !count) {
                error_report("--%s %s: give a positive number of frames",
                             opt == O_SEND ? "send" : "pingpong", optarg);
                return 2;
            }
            /* fall through */
        case O_RECV:
        case O_ECHO:
        case O_CHECK:
            if (mode) {
                error_report("give one mode: --send, --recv, --echo, "
                             "--pingpong or --check");
                return 2;
            }
            mode = opt;
            break;
        case O_SIZE:
            if (!parse_size(optarg, &end, &size) || *end) {
                error_report("--size %s: give a frame size from %d to %d "
                             "bytes", optarg, MIN_FRAME, MAX_FRAME);
                return 2;
            }
            break;
        case O_SIZES:
            if (!parse_sizes(optarg, sizes)) {
                error_report("--sizes %s: give sizes from %d to %d bytes as "
                             "N, A-B or A-B:STEP, separated by commas",
                             optarg, MIN_FRAME, MAX_FRAME);
                return 2;
            }
            break;
        case O_RATE:
            rate = strtod(optarg, &end);
            if (*end || !(rate > 0)) {
                error_report("--rate %s: give frames per second", optarg);
                return 2;
            }
            break;
        case O_DURATION:
            duration = strtod(optarg, &end);
            if (*end || !(duration > 0)) {
                error_report("--duration %s: give seconds, such as 5 or 0.5",
                             optarg);
                return 2;
            }
            break;
        case O_VERIFY:
            c.verify = true;
            break;
        case O_MAC:
        case O_DST:
            if (!parse_mac(optarg, opt == O_MAC ? c.mac : c.dst)) {
                error_report("--%s %s: give a MAC address such as "
                             "02:00:00:00:00:0a", opt == O_MAC ? "mac" : "dst",
                             optarg);
                return 2;
            }
            if (opt == O_MAC && (c.mac[0] & 1)) {
                error_report("--mac %s: a group address cannot be a source",
                             optarg);
                return 2;
            }
            break;
        case O_ANNOUNCE:
            do_announce = true;
            break;
        case O_NO_MRG:
            c.no_mrg = true;
            break;
        case O_BUSY_POLL:
            c.busy_poll = true;
            break;
        case O_QSIZE:
            c.qsize = strtoul(optarg, &end, 0);
            if (*end || c.qsize < 64 || c.qsize > MAX_QSIZE ||
                (c.qsize & (c.qsize - 1))) {
                error_report("--queue-size %s: give a power of two from 64 "
                             "to %d", optarg, MAX_QSIZE);
                return 2;
            }
            break;
        case O_TIMEOUT:
            c.timeout_ms = strtol(optarg, &end, 0);
            if (*end || c.timeout_ms <= 0) {
                error_report("--timeout %s: give milliseconds", optarg);
                return 2;
            }
            break;
        case O_TRACE:
            if (!trace_parse_option(optarg, &err)) {
                error_report_err(err);
                return 2;
            }
            break;
        case 'h':
            usage(stdout);
            return 0;
        default:
            usage(stderr);
            return 2;
        }
    }
    if (optind < argc) {
        error_report("unexpected argument '%s' (see --help)", argv[optind]);
        return 2;
    }
    if (!c.path) {
        error_report("no socket given: use -q SOCK (or --socket SOCK)");
        return 2;
    }
    if (!mode) {
        error_report("no mode given: use --send N, --recv, --echo, "
                     "--pingpong N or --check");
        return 2;
    }
    if (!sizes->len) {
        g_array_append_val(sizes, size);
    }
    for (unsigned i = 0; i < sizeof(ramp); i++) {
        ramp[i] = i % PAT_PERIOD;
    }
    c.stream = (uint32_t)getpid() ^ (uint32_t)(now_s() * 1e6);
    signal(SIGINT, on_signal);
    signal(SIGTERM, on_signal);
    signal(SIGUSR1, on_signal);
    signal(SIGPIPE, SIG_IGN);
    if (!client_mem_init(&c, &err)) {
        error_report_err(err);
        return 1;
    }
    if (mode == O_CHECK) {
        status = mode_check(&c);
    } else if (!client_start(&c, &err)) {
        error_report_err(err);
        status = 1;
    } else {
        fprintf(stderr, "vmu-vhost-client: %s: started, %u-byte header, %s\n",
                c.path, c.hdr_len, c.mrg ? "MRG_RXBUF" :
                "no MRG_RXBUF: receive buffers are chains");
        if (do_announce) {
            announce(&c);
        }
        if (mode == O_SEND) {
            status = mode_send(&c, count, (unsigned *)sizes->data, sizes->len,
                               rate, duration);
        } else if (mode == O_PINGPONG) {
            status = mode_pingpong(&c, count, size);
        } else {
            status = mode_recv(&c, duration, mode == O_ECHO);
        }
    }
    if (c.u && !c.u->broken && c.dev.started) {
        vhost_dev_stop(&c.dev, NULL);
    }
    client_disconnect(&c);
    if (c.listen_fd >= 0) {
        close(c.listen_fd);
        unlink(c.path);
    }
    return status;
}
