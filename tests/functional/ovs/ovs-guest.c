/*
 * A qtest guest for the OVS-DPDK tests and bench/ovs: starts vmu (or QEMU,
 * QTEST_QEMU_BINARY) with the VMM arguments given, brings its virtio-net-pci
 * up with polled rings (1 or 2 queue pairs), then obeys one command per line
 * on stdin and answers one line on stdout:
 *
 *   link                    link up|down
 *   wait-link up|down MS    link up|down after T ms | timeout link ...
 *   send N                  sent N next S | stall K of N (TX ring not used
 *                           in 10 s): N numbered frames, round robin over
 *                           TX queues; S: queue 0's next sequence number
 *   recv-until N MS         stats ... once N test frames arrived (or MS ran
 *                           out): rx R fw F lost L bad B dup D other O
 *                           rxq0 A ... (fw: the test firmware's net-tx
 *                           frames, in order per sender)
 *   recv-seq M S MS         stats ... once queue 0 of the sender whose MAC
 *                           ends in M has been seen up to number S - 1;
 *                           run R: frames in order since the last gap
 *   stats                   stats ... now
 *   quit
 *
 * Frames: broadcast, the device's MAC as source, ethertype 0x88b5, then
 * 'vmuo', sender (last MAC byte), TX queue, sequence number (per queue),
 * bytes that follow from the sequence number.  The receiver checks order
 * (a number below the next expected one is a duplicate, above it a loss)
 * and the payload.  Usage: ovs-guest [--queues 2] "VMM ARGS"
 */
#include <glib.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "libqos.h"
#include "libqtest.h"

#define VIRTIO_ID_NET        1
#define NET_F_MAC            5
#define NET_F_STATUS         16
#define NET_F_CTRL_VQ        17
#define NET_F_MQ             22
#define HDR                  12
#define QSIZE                256
#define BUFSZ                2048
#define FRAME                128
#define MAXQ                 2
#define SENDERS              256

typedef struct Queue {
    QVirtQueue *vq;
    uint64_t bufs;
    unsigned pending;           /* TX: buffers not yet used */
    uint32_t seq;               /* TX: next sequence number */
} Queue;

typedef struct Guest {
    QTestState *s;
    QVirtioPCI dev;
    unsigned pairs;
    Queue rx[MAXQ], tx[MAXQ];
    uint8_t mac[6];
    unsigned next_tx;
    /* receiver */
    uint32_t expect[SENDERS][MAXQ + 1];     /* [MAXQ]: firmware frames */
    bool seen[SENDERS][MAXQ + 1];
    unsigned long rx_ok, fw_rx, lost, bad, dup, other, rxq[MAXQ];
    unsigned long run;          /* frames in order since the last gap */
} Guest;

static long long now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec * 1000LL + ts.tv_nsec / 1000000;
}

static long long now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

static void put_u32(uint8_t *p, uint32_t v)
{
    memcpy(p, &v, 4);
}

static uint32_t get_u32(const uint8_t *p)
{
    uint32_t v;
    memcpy(&v, p, 4);
    return v;
}

static void fill(Guest *g, uint8_t *f, unsigned q, uint32_t seq)
{
    memset(f, 0, HDR);
    uint8_t *e = f + HDR;
    memset(e, 0xff, 6);
    memcpy(e + 6, g->mac, 6);
    e[12] = 0x88;
    e[13] = 0xb5;
    memcpy(e + 14, "vmuo", 4);
    put_u32(e + 18, g->mac[5]);
    put_u32(e + 22, q);
    put_u32(e + 26, seq);
    for (unsigned i = 30; i < FRAME; i++) {
        e[i] = (uint8_t)(seq + i);
    }
}

static void post_rx(Guest *g, Queue *q, unsigned n)
{
    for (unsigned i = 0; i < n; i++) {
        unsigned d = q->vq->avail_idx % QSIZE;
        QVirtBuf b = { q->bufs + (uint64_t)d * BUFSZ, BUFSZ, true };
        qvirtqueue_add(q->vq, &b, 1, false);
    }
    qvirtqueue_kick(q->vq);
    (void)g;
}

/* In order per sender and queue: below the next expected number is a
 * duplicate, above it a loss. */
static bool count_seq(Guest *g, uint32_t sender, uint32_t q, uint32_t seq)
{
    if (g->seen[sender][q] && seq < g->expect[sender][q]) {
        g->dup++;
        return false;
    }
    uint32_t gap = seq - (g->seen[sender][q] ? g->expect[sender][q] : 0);
    g->lost += gap;
    g->run = gap ? 1 : g->run + 1;
    g->seen[sender][q] = true;
    g->expect[sender][q] = seq + 1;
    return true;
}

static void check_frame(Guest *g, unsigned rxq, const uint8_t *f,
                        uint32_t len)
{
    const uint8_t *e = f + HDR;
    if (len < HDR + 30 || e[12] != 0x88 || e[13] != 0xb5) {
        g->other++;
        return;
    }
    if (memcmp(e + 14, "vmuo", 4)) {
        /* The test firmware's frames (net-tx): its sequence number first;
         * its source MAC's last byte tells senders apart. */
        if (count_seq(g, e[11], MAXQ, get_u32(e + 14))) {
            g->fw_rx++;
            g->rxq[rxq]++;
        }
        return;
    }
    uint32_t sender = get_u32(e + 18) % SENDERS, q = get_u32(e + 22);
    uint32_t seq = get_u32(e + 26);
    bool ok = len == HDR + FRAME && q < MAXQ;
    for (unsigned i = 30; ok && i < FRAME; i++) {
        ok = e[i] == (uint8_t)(seq + i);
    }
    if (!ok) {
        g->bad++;
        return;
    }
    if (count_seq(g, sender, q, seq)) {
        g->rx_ok++;
        g->rxq[rxq]++;
    }
}

/* Take every used RX buffer, check it, post it again. */
static void drain_rx(Guest *g)
{
    for (unsigned i = 0; i < g->pairs; i++) {
        Queue *q = &g->rx[i];
        QVirtQueue *vq = q->vq;
        uint16_t used = qtest_readw(g->s, vq->used + 2);
        unsigned n = 0;
        while (vq->last_used != used) {
            uint8_t ent[8], frame[HDR + FRAME];
            qtest_memread(g->s, vq->used + 4 + 8 * (vq->last_used % QSIZE),
                          ent, 8);
            uint32_t id = get_u32(ent), len = get_u32(ent + 4);
            uint32_t take = MIN(len, (uint32_t)sizeof(frame));
            qtest_memread(g->s, q->bufs + (uint64_t)(id % QSIZE) * BUFSZ,
                          frame, take);
            check_frame(g, i, frame, len);
            vq->last_used++;
            n++;
        }
        if (n) {
            post_rx(g, q, n);
        }
    }
}

static void reclaim_tx(Guest *g, Queue *q)
{
    uint16_t used = qtest_readw(g->s, q->vq->used + 2);
    uint16_t n = used - q->vq->last_used;
    q->vq->last_used = used;
    q->pending -= MIN(n, q->pending);
}

static void cmd_send(Guest *g, unsigned long n)
{
    uint8_t f[HDR + FRAME];
    for (unsigned long i = 0; i < n; i++) {
        Queue *q = &g->tx[g->next_tx];
        g->next_tx = (g->next_tx + 1) % g->pairs;
        long long end = now_ms() + 10000;
        reclaim_tx(g, q);
        while (q->pending >= QSIZE) {
            if (now_ms() > end) {
                printf("stall %lu of %lu\n", i, n);
                return;
            }
            g_usleep(1000);
            reclaim_tx(g, q);
        }
        unsigned d = q->vq->avail_idx % QSIZE;
        fill(g, f, q - g->tx, q->seq++);
        qtest_memwrite(g->s, q->bufs + (uint64_t)d * BUFSZ, f, sizeof(f));
        QVirtBuf b = { q->bufs + (uint64_t)d * BUFSZ, sizeof(f), false };
        qvirtqueue_add(q->vq, &b, 1, false);
        qvirtqueue_kick(q->vq);
        q->pending++;
        if (i % 32 == 31) {
            drain_rx(g);
        }
    }
    printf("sent %lu next %u\n", n, g->tx[0].seq);
}

static void print_stats(Guest *g)
{
    printf("stats rx %lu fw %lu lost %lu bad %lu dup %lu other %lu run %lu",
           g->rx_ok, g->fw_rx, g->lost, g->bad, g->dup, g->other, g->run);
    for (unsigned i = 0; i < g->pairs; i++) {
        printf(" rxq%u %lu", i, g->rxq[i]);
    }
    printf("\n");
}

static bool link_up(Guest *g)
{
    return qvirtio_config_readw(&g->dev, 6) & 1;
}

static void setup(Guest *g)
{
    QVirtioPCI *d = &g->dev;
    uint64_t want = (1ULL << VIRTIO_F_VERSION_1) | (1ULL << NET_F_MAC) |
                    (1ULL << NET_F_STATUS);
    if (g->pairs > 1) {
        want |= (1ULL << NET_F_MQ) | (1ULL << NET_F_CTRL_VQ);
    }
    if (!qvirtio_negotiate(d, want)) {
        fprintf(stderr, "ovs-guest: FEATURES_OK refused\n");
        exit(1);
    }
    for (unsigned i = 0; i < 6; i++) {
        g->mac[i] = qvirtio_config_readb(d, i);
    }
    for (unsigned i = 0; i < g->pairs; i++) {
        g->rx[i].vq = qvirtqueue_setup(d, 2 * i, QSIZE, VIRTIO_MSI_NO_VECTOR);
        g->tx[i].vq = qvirtqueue_setup(d, 2 * i + 1, QSIZE,
                                       VIRTIO_MSI_NO_VECTOR);
        g->rx[i].bufs = guest_alloc(&d->alloc, QSIZE * BUFSZ, 4096);
        g->tx[i].bufs = guest_alloc(&d->alloc, QSIZE * BUFSZ, 4096);
    }
    QVirtQueue *cq = NULL;
    if (g->pairs > 1) {
        cq = qvirtqueue_setup(d, 2 * g->pairs, 16, VIRTIO_MSI_NO_VECTOR);
    }
    for (unsigned i = 0; i < g->pairs; i++) {
        post_rx(g, &g->rx[i], QSIZE);
    }
    qvirtio_set_status(d, qvirtio_get_status(d) | VIRTIO_STATUS_DRIVER_OK);
    if (cq) {
        /* VIRTIO_NET_CTRL_MQ, VQ_PAIRS_SET, the pair count. */
        uint8_t cmd[4] = { 4, 0, (uint8_t)g->pairs, 0 };
        uint64_t out = guest_alloc(&d->alloc, sizeof(cmd), 8);
        uint64_t ack = guest_alloc(&d->alloc, 1, 8);
        qtest_memwrite(g->s, out, cmd, sizeof(cmd));
        qtest_writeb(g->s, ack, 0xee);
        QVirtBuf b[2] = { { out, sizeof(cmd), false }, { ack, 1, true } };
        qvirtqueue_add(cq, b, 2, false);
        qvirtqueue_kick(cq);
        if (!qvirtqueue_get_used(cq, NULL, NULL, 30000) ||
            qtest_readb(g->s, ack) != 0) {
            fprintf(stderr, "ovs-guest: MQ_VQ_PAIRS_SET %u refused\n",
                    g->pairs);
            exit(1);
        }
        g_free(cq);
    }
}

static bool run_command(Guest *g, const char *line)
{
    char what[16] = "";
    unsigned long n = 0, ms = 0, sender = 0;
    if (!strncmp(line, "quit", 4)) {
        return false;
    } else if (!strncmp(line, "link", 4)) {
        printf("link %s\n", link_up(g) ? "up" : "down");
    } else if (sscanf(line, "wait-link %15s %lu", what, &ms) == 2) {
        bool up = !strcmp(what, "up");
        long long t0 = now_ms();
        while (link_up(g) != up && now_ms() - t0 < (long long)ms) {
            drain_rx(g);
            g_usleep(2000);
        }
        if (link_up(g) == up) {
            printf("link %s after %lld ms\n", what, now_ms() - t0);
        } else {
            printf("timeout link %s\n", what);
        }
    } else if (sscanf(line, "send %lu", &n) == 1) {
        cmd_send(g, n);
    } else if (sscanf(line, "recv-until %lu %lu", &n, &ms) == 2) {
        long long t0 = now_ms();
        drain_rx(g);
        while (g->rx_ok + g->fw_rx < n && now_ms() - t0 < (long long)ms) {
            g_usleep(2000);
            drain_rx(g);
        }
        print_stats(g);
    } else if (sscanf(line, "recv-seq %lu %lu %lu", &sender, &n, &ms) == 3) {
        long long t0 = now_ms();
        sender %= SENDERS;
        drain_rx(g);
        while ((!g->seen[sender][0] || g->expect[sender][0] < n) &&
               now_ms() - t0 < (long long)ms) {
            g_usleep(2000);
            drain_rx(g);
        }
        print_stats(g);
    } else if (!strncmp(line, "stats", 5)) {
        drain_rx(g);
        print_stats(g);
    } else {
        printf("error unknown command: %s\n", line);
    }
    return true;
}

int main(int argc, char **argv)
{
    static Guest g;
    g.pairs = 1;
    if (argc == 4 && !strcmp(argv[1], "--queues")) {
        g.pairs = CLAMP(atoi(argv[2]), 1, MAXQ);
        argv += 2;
        argc -= 2;
    }
    if (argc != 2) {
        fprintf(stderr, "usage: ovs-guest [--queues N] \"VMM ARGS\"\n");
        return 2;
    }
    setvbuf(stdout, NULL, _IOLBF, 0);
    long long t_exec = now_ns();
    g.s = qtest_init(argv[1]);
    long long t_ready = now_ns();
    if (!qvirtio_pci_probe(g.s, VIRTIO_ID_NET, &g.dev)) {
        fprintf(stderr, "ovs-guest: no virtio-net-pci found\n");
        return 1;
    }
    setup(&g);
    printf("ready t_exec=%lld t_ready=%lld t_driver_ok=%lld mac "
           "%02x:%02x:%02x:%02x:%02x:%02x\n", t_exec, t_ready, now_ns(),
           g.mac[0], g.mac[1], g.mac[2], g.mac[3], g.mac[4], g.mac[5]);

    /* Between commands the RX rings are drained all the time, as a
     * guest's driver would: the sender never meets a full ring here. */
    char buf[1024];
    size_t have = 0;
    for (;;) {
        char *nl = memchr(buf, '\n', have);
        if (!nl) {
            struct pollfd pfd = { .fd = 0, .events = POLLIN };
            if (have == sizeof(buf)) {
                have = 0;       /* an overlong line: dropped */
            }
            if (poll(&pfd, 1, 2) == 0) {
                drain_rx(&g);
                continue;
            }
            ssize_t r = read(0, buf + have, sizeof(buf) - have);
            if (r <= 0) {
                break;
            }
            have += r;
            continue;
        }
        *nl = 0;
        char line[1024];
        memcpy(line, buf, nl - buf + 1);
        have -= nl + 1 - buf;
        memmove(buf, nl + 1, have);
        if (!run_command(&g, line)) {
            break;
        }
    }
    qtest_quit(g.s);
    return 0;
}
