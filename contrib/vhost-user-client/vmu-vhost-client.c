/*
 * vmu-vhost-client: a guestless vhost-user front-end.  It plays the guest
 * driver of a virtio-net device (split rings in a memfd laid out like
 * guest RAM) over vmu's own vhost-user.c and vhost.c, to load, measure and
 * check any vhost-user net back-end.
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
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include <linux/virtio_config.h>
#include <linux/virtio_net.h>
#include <linux/virtio_ring.h>

#include "hw/virtio/vhost-user.h"
#include "hw/virtio/vhost.h"
#include "util/trace.h"

#define BUF_SIZE 2048
#define MAX_QSIZE 1024
#define RX 0
#define TX 1

typedef struct Queue {
    unsigned num;
    struct vring_desc *desc;
    struct vring_avail *avail;
    struct vring_used *used;
    uint8_t *buf;               /* num buffers of BUF_SIZE */
    uint64_t buf_gpa;
    uint16_t avail_idx;         /* next avail slot we publish */
    uint16_t last_used;         /* next used entry we read */
    uint16_t free[MAX_QSIZE];   /* TX: free descriptor ids */
    unsigned nfree;
} Queue;

typedef struct Client {
    const char *path;
    bool server;
    int listen_fd;
    int fd;
    unsigned qsize;
    int timeout_ms;
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
} Client;

static volatile sig_atomic_t stop_flag;

static void on_signal(int sig)
{
    stop_flag = 1;
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
        r->last_avail_idx = 0;
        /* We poll the used rings: no interrupts. */
        q->avail->flags = VRING_AVAIL_F_NO_INTERRUPT;
        for (unsigned d = 0; d < q->num; d++) {
            q->desc[d].addr = q->buf_gpa + (uint64_t)d * BUF_SIZE;
            q->desc[d].len = BUF_SIZE;
            q->desc[d].flags = i == RX ? VRING_DESC_F_WRITE : 0;
        }
        q->nfree = 0;
        if (i == RX) {
            for (unsigned d = 0; d < q->num; d++) {
                q->avail->ring[d] = d;
            }
            q->avail_idx = q->num;
            __atomic_store_n(&q->avail->idx, q->avail_idx, __ATOMIC_RELEASE);
        } else {
            for (unsigned d = 0; d < q->num; d++) {
                q->free[q->nfree++] = q->num - 1 - d;
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

/* Reclaim TX descriptors the back-end is done with. */
static unsigned tx_reclaim(Client *c)
{
    Queue *q = &c->q[TX];
    uint16_t used = __atomic_load_n(&q->used->idx, __ATOMIC_ACQUIRE);
    unsigned n = 0;
    while (q->last_used != used) {
        q->free[q->nfree++] = q->used->ring[q->last_used % q->num].id;
        q->last_used++;
        n++;
    }
    return n;
}

static bool tx_post(Client *c, const void *frame, unsigned len)
{
    Queue *q = &c->q[TX];
    uint16_t id;
    uint8_t *b;

    if (!q->nfree) {
        return false;
    }
    id = q->free[--q->nfree];
    b = q->buf + (size_t)id * BUF_SIZE;
    memset(b, 0, c->hdr_len);
    memcpy(b + c->hdr_len, frame, len);
    q->desc[id].len = c->hdr_len + len;
    q->avail->ring[q->avail_idx % q->num] = id;
    q->avail_idx++;
    return true;
}

/* One received frame (without the virtio-net header), or -1. */
static int rx_poll(Client *c, uint8_t **frame, uint16_t *id)
{
    Queue *q = &c->q[RX];
    uint16_t used = __atomic_load_n(&q->used->idx, __ATOMIC_ACQUIRE);
    struct vring_used_elem *e;

    if (q->last_used == used) {
        return -1;
    }
    e = &q->used->ring[q->last_used % q->num];
    q->last_used++;
    *id = e->id % q->num;
    *frame = q->buf + (size_t)*id * BUF_SIZE + c->hdr_len;
    return e->len > c->hdr_len ? (int)(e->len - c->hdr_len) : 0;
}

static void rx_repost(Client *c, uint16_t id)
{
    Queue *q = &c->q[RX];
    q->desc[id].len = BUF_SIZE;
    q->avail->ring[q->avail_idx % q->num] = id;
    q->avail_idx++;
}

static void rx_done(Client *c)
{
    publish(&c->q[RX]);
    kick(c, RX);
}

static bool client_connect(Client *c, Error **errp)
{
    struct sockaddr_un sa = { .sun_family = AF_UNIX };
    double deadline = now_s() + 5;

    if (strlen(c->path) >= sizeof(sa.sun_path)) {
        error_setg(errp, "socket path %s is too long", c->path);
        return false;
    }
    strcpy(sa.sun_path, c->path);
    if (c->server) {
        if (c->listen_fd < 0) {
            unlink(c->path);
            c->listen_fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
            if (bind(c->listen_fd, (struct sockaddr *)&sa, sizeof(sa)) < 0 ||
                listen(c->listen_fd, 1) < 0) {
                error_setg_errno(errp, errno, "cannot listen on %s", c->path);
                return false;
            }
            fprintf(stderr, "vmu-vhost-client: waiting for a back-end on "
                    "%s\n", c->path);
        }
        c->fd = accept4(c->listen_fd, NULL, NULL, SOCK_CLOEXEC | SOCK_NONBLOCK);
        if (c->fd < 0) {
            error_setg_errno(errp, errno, "cannot accept on %s", c->path);
            return false;
        }
        return true;
    }
    for (;;) {
        int err;
        c->fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
        if (connect(c->fd, (struct sockaddr *)&sa, sizeof(sa)) == 0) {
            return true;
        }
        err = errno;
        close(c->fd);
        c->fd = -1;
        if (now_s() > deadline || stop_flag) {
            error_setg_errno(errp, err, "cannot connect to %s", c->path);
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

/* Connect, negotiate as vmu does, start both rings. */
static bool client_start(Client *c, Error **errp)
{
    uint64_t want = (1ULL << VIRTIO_F_VERSION_1) |
                    (1ULL << VIRTIO_NET_F_MRG_RXBUF);

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
    vhost_dev_set_memory(&c->dev, &c->ram, 1);
    want &= c->dev.backend_features;
    c->hdr_len = want ? 12 : 10;
    queues_reset(c);
    if (!vhost_dev_start(&c->dev, want, errp)) {
        return false;
    }
    kick(c, RX);
    return true;
}

static void make_frame(uint8_t *f, unsigned len, uint64_t seq, double t)
{
    static const uint8_t hdr[14] = { 0x02, 0, 0, 0, 0, 0x02,
                                     0x02, 0, 0, 0, 0, 0x01, 0x88, 0xb5 };
    memset(f, 0, len);
    memcpy(f, hdr, sizeof(hdr));
    if (len >= 14 + 16) {
        memcpy(f + 14, &seq, 8);
        memcpy(f + 22, &t, 8);
    }
}

/* Receive whatever is there; returns frames taken. */
static unsigned rx_drain(Client *c, unsigned long long *bytes)
{
    uint8_t *f;
    uint16_t id;
    int len;
    unsigned n = 0;
    while ((len = rx_poll(c, &f, &id)) >= 0) {
        if (bytes) {
            *bytes += len;
        }
        rx_repost(c, id);
        n++;
    }
    if (n) {
        rx_done(c);
    }
    return n;
}

static int mode_send(Client *c, unsigned long long count, unsigned size)
{
    uint8_t frame[BUF_SIZE];
    unsigned long long sent = 0, done = 0, back = 0;
    double t0 = now_s(), t1, last = t0;

    make_frame(frame, size, 0, 0);
    while (done < count && !stop_flag) {
        unsigned posted = 0;
        done += tx_reclaim(c);
        while (sent < count && tx_post(c, frame, size)) {
            sent++;
            posted++;
        }
        if (posted) {
            publish(&c->q[TX]);
            kick(c, TX);
        }
        back += rx_drain(c, NULL);
        if (now_s() - last > 2) {
            if (done == 0) {
                fprintf(stderr, "vmu-vhost-client: the back-end at %s takes "
                        "no frames (TX ring not served)\n", c->path);
                return 1;
            }
            last = now_s();
        }
        if (!posted) {
            sched_yield();
        }
    }
    t1 = now_s();
    /* frames still coming back */
    for (double end = now_s() + 0.5; now_s() < end;) {
        back += rx_drain(c, NULL);
    }
    double secs = t1 - t0;
    printf("sent %llu frames of %u bytes in %.3f s: %.0f pps, %.3f Gbps; "
           "%llu came back\n", done, size, secs, done / secs,
           done * (size + 24) * 8 / secs / 1e9, back);
    return 0;
}

static int mode_recv(Client *c, double duration, bool echo)
{
    unsigned long long n = 0, bytes = 0, echoed = 0;
    double t0 = now_s(), first = 0, lastp = t0;

    while (!stop_flag && (duration <= 0 || now_s() - t0 < duration)) {
        uint8_t *f;
        uint16_t id;
        int len;
        unsigned got = 0, posted = 0;
        if (echo) {
            tx_reclaim(c);
        }
        while ((len = rx_poll(c, &f, &id)) >= 0) {
            if (!first) {
                first = now_s();
            }
            n++;
            bytes += len;
            if (echo && len > 0 && tx_post(c, f, len)) {
                posted++;
                echoed++;
            }
            rx_repost(c, id);
            got++;
        }
        if (got) {
            rx_done(c);
        } else {
            sched_yield();
        }
        if (posted) {
            publish(&c->q[TX]);
            kick(c, TX);
        }
        if (now_s() - lastp >= 1) {
            lastp = now_s();
            fprintf(stderr, "received %llu frames so far\n", n);
        }
    }
    double secs = first ? now_s() - first : 0;
    printf("received %llu frames (%llu bytes)%s", n, bytes,
           secs > 0 ? "" : "\n");
    if (secs > 0) {
        printf(" in %.3f s: %.0f pps", secs, n / secs);
        if (echo) {
            printf(", %llu echoed", echoed);
        }
        printf("\n");
    }
    return 0;
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

static int mode_pingpong(Client *c, unsigned count, unsigned size)
{
    uint8_t frame[BUF_SIZE];
    double *rtt = g_new(double, count);
    unsigned n = 0, lost = 0;

    if (size < 30) {
        size = 30;
    }
    for (unsigned i = 0; i < count && !stop_flag; i++) {
        double t = now_s(), end = t + 1;
        bool got = false;
        make_frame(frame, size, i, t);
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
            uint16_t id;
            int len;
            while ((len = rx_poll(c, &f, &id)) >= 0) {
                uint64_t seq;
                if (len >= 30) {
                    memcpy(&seq, f + 14, 8);
                    if (seq == i) {
                        got = true;
                    }
                }
                rx_repost(c, id);
                rx_done(c);
            }
        }
        if (got) {
            rtt[n++] = (now_s() - t) * 1e6;
        } else {
            lost++;
        }
    }
    if (!n) {
        printf("pingpong: no frame came back (%u lost)\n", lost);
        g_free(rtt);
        return 1;
    }
    qsort(rtt, n, sizeof(double), cmp_double);
    printf("pingpong: %u round trips, %u lost; latency us p50 %.1f p90 %.1f "
           "p99 %.1f max %.1f\n", n, lost, rtt[n / 2], rtt[n * 9 / 10],
           rtt[n * 99 / 100], rtt[n - 1]);
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
    make_frame(frame, 60, 0, 0);
    *consumed = *back = 0;
    for (unsigned i = 0; i < k; i++) {
        tx_post(c, frame, 60);
    }
    publish(&c->q[TX]);
    kick(c, TX);
    while (now_s() < end && (*consumed < k || *back < k)) {
        *consumed += tx_reclaim(c);
        *back += rx_drain(c, NULL);
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
    uint64_t want = ((1ULL << VIRTIO_F_VERSION_1) |
                     (1ULL << VIRTIO_NET_F_MRG_RXBUF));
    if (!vhost_dev_init(&c->dev, &vhost_user_backend_ops, c->u,
                        "vmu-vhost-client", c->rings, 2, &err)) {
        row_err("start rings", err);
        return 1;
    }
    vhost_dev_set_memory(&c->dev, &c->ram, 1);
    want &= c->dev.backend_features;
    c->hdr_len = want ? 12 : 10;
    queues_reset(c);
    if (!vhost_dev_start(&c->dev, want, &err)) {
        row_err("start rings", err);
        return 1;
    }
    kick(c, RX);
    row("start rings", PASS, "SET_FEATURES, memory table (1 region, %zu MiB), "
        "2 rings of %u", c->mem_size >> 20, c->qsize);

    traffic(c, 32, 3, &consumed, &back);
    row("TX consumed", consumed == 32 ? PASS : FAIL, "%u of 32 frames", consumed);
    row("RX delivered", back ? PASS : FAIL, back ? "%u of 32 frames came back" :
        "%u frames came back; does the back-end forward to the sender?", back);

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
        make_frame(frame, 60, 0, 0);
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
            rx_drain(c, NULL);
            g_usleep(1000);
        }
        row("ring restart", c->q[TX].used->idx != after ? PASS : FAIL,
            "the frame posted while stopped %s after SET_VRING_BASE %u",
            c->q[TX].used->idx != after ? "was sent" : "was not sent", base);
        tx_reclaim(c);
        rx_drain(c, NULL);
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
"      --size S          frame size in bytes for --send/--pingpong (60..2000, default 64)\n"
"      --duration SEC    stop --recv/--echo after SEC seconds (default: at ^C)\n"
"      --queue-size N    ring size (power of two, 64..1024, default 256)\n"
"      --timeout MS      wait for each reply at most MS ms (default 5000)\n"
"      --trace PATTERN   enable trace points (vhost_user_*, vhost_*)\n"
"  -h, --help\n");
}

int main(int argc, char **argv)
{
    enum { O_SERVER = 256, O_SEND, O_RECV, O_ECHO, O_PINGPONG, O_CHECK,
           O_SIZE, O_DURATION, O_QSIZE, O_TIMEOUT, O_TRACE };
    static const struct option longopts[] = {
        { "socket", required_argument, NULL, 'q' },
        { "server", no_argument, NULL, O_SERVER },
        { "send", required_argument, NULL, O_SEND },
        { "recv", no_argument, NULL, O_RECV },
        { "echo", no_argument, NULL, O_ECHO },
        { "pingpong", required_argument, NULL, O_PINGPONG },
        { "check", no_argument, NULL, O_CHECK },
        { "size", required_argument, NULL, O_SIZE },
        { "duration", required_argument, NULL, O_DURATION },
        { "queue-size", required_argument, NULL, O_QSIZE },
        { "timeout", required_argument, NULL, O_TIMEOUT },
        { "trace", required_argument, NULL, O_TRACE },
        { "help", no_argument, NULL, 'h' },
        { 0 },
    };
    Client c = { .listen_fd = -1, .fd = -1, .qsize = 256,
                 .timeout_ms = VHOST_USER_DEFAULT_TIMEOUT_MS };
    int mode = 0, opt, status;
    unsigned long long count = 0;
    unsigned size = 64;
    double duration = 0;
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
            size = strtoul(optarg, &end, 0);
            if (*end || size < 60 || size > BUF_SIZE - 48) {
                error_report("--size %s: give a frame size from 60 to %d "
                             "bytes", optarg, BUF_SIZE - 48);
                return 2;
            }
            break;
        case O_DURATION:
            duration = strtod(optarg, &end);
            if (*end || duration <= 0) {
                error_report("--duration %s: give seconds, such as 5 or 0.5",
                             optarg);
                return 2;
            }
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
    signal(SIGINT, on_signal);
    signal(SIGTERM, on_signal);
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
    } else if (mode == O_SEND) {
        status = mode_send(&c, count, size);
    } else if (mode == O_PINGPONG) {
        status = mode_pingpong(&c, count, size);
    } else {
        status = mode_recv(&c, duration, mode == O_ECHO);
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
