/*
 * A small vhost-user front-end for the vmu-switch tests: guest memory in
 * a memfd, split rings laid out by hand.  'traffic' exchanges checked
 * frames between two switch ports; 'malicious' feeds one port every kind
 * of garbage a front-end can send and checks the switch still answers.
 *
 *   switch-test-frontend traffic SOCK_A SOCK_B SECONDS
 *   switch-test-frontend malicious SOCK
 */
#include <errno.h>
#include <inttypes.h>
#include <poll.h>
#include <stdarg.h>
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

#include "net/vhost-user-proto.h"
#include "util/fdpass.h"

#define MEM_SIZE   (4u << 20)
#define GPA_BASE   0x100000ull
#define QSIZE      256
#define RING_AREA  (64u << 10)
#define BUF_BASE   (1u << 20)
#define BUF_SIZE   2048
#define HDR_LEN    12

typedef struct Ring {
    struct vring_desc *desc;
    struct vring_avail *avail;
    struct vring_used *used;
    uint16_t avail_idx, used_seen;
    int kick, call;
} Ring;

typedef struct Fe {
    const char *path;
    int sock, memfd;
    uint8_t *mem;
    Ring ring[2];          /* 0: RX (device writes), 1: TX */
    uint8_t mac[6];
} Fe;

static void die(const char *fmt, ...) __attribute__((format(printf, 1, 2),
                                                     noreturn));
static void die(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    fprintf(stderr, "switch-test-frontend: ");
    vfprintf(stderr, fmt, ap);
    fprintf(stderr, "\n");
    va_end(ap);
    exit(1);
}

static uint64_t gpa_of(Fe *fe, void *p)
{
    return GPA_BASE + ((uint8_t *)p - fe->mem);
}

static uint64_t uva_of(void *p)
{
    return (uint64_t)(uintptr_t)p;
}

static int send_msg(Fe *fe, uint32_t req, uint32_t flags, const void *payload,
                    uint32_t size, const int *fds, size_t nfds)
{
    VhostUserHeader h = { req, VHOST_USER_VERSION | flags, size };
    return fdpass_send_msg(fe->sock, &h, payload, fds, nfds, NULL);
}

/* Wait for a reply; returns its u64, or -1 when the switch closed. */
static int64_t get_reply(Fe *fe, uint32_t req)
{
    VhostUserHeader h;
    VhostUserPayload p;
    int fds[FDPASS_MAX_FDS];
    size_t nfds;
    Error *err = NULL;
    int r = fdpass_recv_msg(fe->sock, &h, &p, sizeof(p), fds, &nfds, 3000,
                            &err);

    if (r <= 0) {
        error_free(err);
        return -1;
    }
    fdpass_close_fds(fds, nfds);
    if (!vhost_user_check_reply(req, &h, h.size, &err)) {
        die("%s: bad reply: %s", fe->path, error_get_pretty(err));
    }
    return h.size >= 8 ? (int64_t)p.u64 : 0;
}

static uint64_t request_u64(Fe *fe, uint32_t req)
{
    int64_t v;
    if (send_msg(fe, req, 0, NULL, 0, NULL, 0) < 0 ||
        (v = get_reply(fe, req)) < 0) {
        die("%s: no answer to %s", fe->path, vhost_user_request_name(req));
    }
    return v;
}

/* Send with NEED_REPLY; returns the ack (0 ok), -1 if the switch closed. */
static int64_t send_acked(Fe *fe, uint32_t req, const void *payload,
                          uint32_t size, const int *fds, size_t nfds)
{
    if (send_msg(fe, req, VHOST_USER_NEED_REPLY_MASK, payload, size, fds,
                 nfds) < 0) {
        return -1;
    }
    return get_reply(fe, req);
}

static void fe_connect(Fe *fe)
{
    struct sockaddr_un sa = { .sun_family = AF_UNIX };
    for (int tries = 0;; tries++) {
        fe->sock = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
        snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", fe->path);
        if (connect(fe->sock, (struct sockaddr *)&sa, sizeof(sa)) == 0) {
            return;
        }
        close(fe->sock);
        if (tries > 100) {
            die("cannot connect to %s: %s", fe->path, strerror(errno));
        }
        usleep(50000);
    }
}

static void fe_memory(Fe *fe)
{
    fe->memfd = memfd_create("guest", MFD_CLOEXEC);
    if (fe->memfd < 0 || ftruncate(fe->memfd, MEM_SIZE) < 0) {
        die("memfd: %s", strerror(errno));
    }
    fe->mem = mmap(NULL, MEM_SIZE, PROT_READ | PROT_WRITE, MAP_SHARED,
                   fe->memfd, 0);
    if (fe->mem == MAP_FAILED) {
        die("mmap: %s", strerror(errno));
    }
}

static VhostUserMemRegion region_all(Fe *fe)
{
    return (VhostUserMemRegion){ GPA_BASE, MEM_SIZE, uva_of(fe->mem), 0 };
}

static uint8_t *buf_of(unsigned q, unsigned i, Fe *fe)
{
    return fe->mem + BUF_BASE + (q * QSIZE + i) * BUF_SIZE;
}

/* The whole start-up a front-end does, ending with both rings live. */
static void fe_setup(Fe *fe, unsigned mac_last)
{
    uint64_t features = (1ull << VIRTIO_F_VERSION_1) |
                        (1ull << VIRTIO_NET_F_MRG_RXBUF) |
                        (1ull << VIRTIO_RING_F_INDIRECT_DESC) |
                        (1ull << VIRTIO_RING_F_EVENT_IDX) |
                        (1ull << VHOST_USER_F_PROTOCOL_FEATURES);
    uint64_t pf = (1ull << VHOST_USER_PROTOCOL_F_REPLY_ACK) |
                  (1ull << VHOST_USER_PROTOCOL_F_MQ);
    VhostUserMemory m = { .nregions = 1 };

    memset(fe->mem, 0, MEM_SIZE);
    fe->mac[0] = 0x02;
    fe->mac[5] = mac_last;
    fe_connect(fe);
    send_msg(fe, VHOST_USER_SET_OWNER, 0, NULL, 0, NULL, 0);
    if ((request_u64(fe, VHOST_USER_GET_FEATURES) & features) != features) {
        die("%s: the switch does not offer VERSION_1|MRG_RXBUF", fe->path);
    }
    send_msg(fe, VHOST_USER_SET_FEATURES, 0, &features, 8, NULL, 0);
    if ((request_u64(fe, VHOST_USER_GET_PROTOCOL_FEATURES) & pf) != pf) {
        die("%s: the switch does not offer REPLY_ACK", fe->path);
    }
    send_msg(fe, VHOST_USER_SET_PROTOCOL_FEATURES, 0, &pf, 8, NULL, 0);
    m.regions[0] = region_all(fe);
    if (send_acked(fe, VHOST_USER_SET_MEM_TABLE, &m, 8 + 32, &fe->memfd,
                   1) != 0) {
        die("%s: SET_MEM_TABLE refused", fe->path);
    }
    for (unsigned q = 0; q < 2; q++) {
        Ring *r = &fe->ring[q];
        uint8_t *base = fe->mem + q * RING_AREA;
        VhostUserVringState num = { q, QSIZE }, st = { q, 0 };
        VhostUserVringAddr addr = { .index = q };
        uint64_t idx = q;

        r->desc = (void *)base;
        r->avail = (void *)(base + 4096);
        r->used = (void *)(base + 8192);
        r->avail_idx = r->used_seen = 0;
        r->kick = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
        r->call = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
        addr.desc_user_addr = uva_of(r->desc);
        addr.avail_user_addr = uva_of(r->avail);
        addr.used_user_addr = uva_of(r->used);
        send_msg(fe, VHOST_USER_SET_VRING_NUM, 0, &num, 8, NULL, 0);
        send_msg(fe, VHOST_USER_SET_VRING_BASE, 0, &st, 8, NULL, 0);
        send_msg(fe, VHOST_USER_SET_VRING_ADDR, 0, &addr, sizeof(addr), NULL,
                 0);
        send_msg(fe, VHOST_USER_SET_VRING_KICK, 0, &idx, 8, &r->kick, 1);
        send_msg(fe, VHOST_USER_SET_VRING_CALL, 0, &idx, 8, &r->call, 1);
        st.num = 1;
        if (send_acked(fe, VHOST_USER_SET_VRING_ENABLE, &st, 8, NULL, 0)) {
            die("%s: SET_VRING_ENABLE refused", fe->path);
        }
    }
    /* Fill the RX ring with writable buffers and start it. */
    for (unsigned i = 0; i < QSIZE; i++) {
        Ring *r = &fe->ring[0];
        r->desc[i] = (struct vring_desc){ gpa_of(fe, buf_of(0, i, fe)),
                                          BUF_SIZE, VRING_DESC_F_WRITE, 0 };
        r->avail->ring[i] = i;
    }
    __atomic_store_n(&fe->ring[0].avail->idx, QSIZE, __ATOMIC_RELEASE);
    fe->ring[0].avail_idx = QSIZE;
    eventfd_write(fe->ring[0].kick, 1);
}

static void fe_close(Fe *fe)
{
    close(fe->sock);
    for (unsigned q = 0; q < 2; q++) {
        close(fe->ring[q].kick);
        close(fe->ring[q].call);
    }
}

/* Queue a descriptor (chain head 'head') on the TX ring and kick. */
static void tx_post(Fe *fe, uint16_t head)
{
    Ring *r = &fe->ring[1];
    r->avail->ring[r->avail_idx % QSIZE] = head;
    __atomic_store_n(&r->avail->idx, ++r->avail_idx, __ATOMIC_RELEASE);
    eventfd_write(r->kick, 1);
}

static void tx_frame(Fe *fe, const uint8_t *dst, uint32_t seq, size_t len)
{
    Ring *r = &fe->ring[1];
    uint16_t slot = r->avail_idx % QSIZE;
    uint8_t *b = buf_of(1, slot, fe);

    memset(b, 0, HDR_LEN);
    memcpy(b + HDR_LEN, dst, 6);
    memcpy(b + HDR_LEN + 6, fe->mac, 6);
    b[HDR_LEN + 12] = 0x88;
    b[HDR_LEN + 13] = 0xb5;     /* local experimental ethertype */
    memcpy(b + HDR_LEN + 14, &seq, 4);
    for (size_t i = 18; i < len; i++) {
        b[HDR_LEN + i] = (uint8_t)(seq + i);
    }
    r->desc[slot] = (struct vring_desc){ gpa_of(fe, b), HDR_LEN + len, 0, 0 };
    tx_post(fe, slot);
}

/* Wait for a frame on the RX ring; returns its seq or -1 on timeout. */
static int64_t rx_frame(Fe *fe, const uint8_t *src, int timeout_ms)
{
    Ring *r = &fe->ring[0];
    struct timespec t0, t;

    clock_gettime(CLOCK_MONOTONIC, &t0);
    for (;;) {
        uint16_t used = __atomic_load_n(&r->used->idx, __ATOMIC_ACQUIRE);
        while (used != r->used_seen) {
            struct vring_used_elem e = r->used->ring[r->used_seen % QSIZE];
            uint8_t *b = buf_of(0, e.id % QSIZE, fe);
            struct virtio_net_hdr_mrg_rxbuf *h = (void *)b;
            uint32_t seq;
            bool mine = e.len >= HDR_LEN + 18 &&
                        !memcmp(b + HDR_LEN + 6, src, 6);

            r->used_seen++;
            /* EVENT_IDX: interrupt me when the next entry is used. */
            __atomic_store_n(&r->avail->ring[QSIZE], r->used_seen,
                             __ATOMIC_RELEASE);
            if (mine && h->num_buffers != 1) {
                die("%s: num_buffers %u for a small frame", fe->path,
                    h->num_buffers);
            }
            memcpy(&seq, b + HDR_LEN + 14, 4);
            /* give the buffer back */
            r->avail->ring[r->avail_idx % QSIZE] = e.id;
            __atomic_store_n(&r->avail->idx, ++r->avail_idx,
                             __ATOMIC_RELEASE);
            if (mine) {
                for (size_t i = 18; i < e.len - HDR_LEN; i++) {
                    if (b[HDR_LEN + i] != (uint8_t)(seq + i)) {
                        die("%s: frame %u corrupted at byte %zu", fe->path,
                            seq, i);
                    }
                }
                return seq;
            }
        }
        clock_gettime(CLOCK_MONOTONIC, &t);
        if ((t.tv_sec - t0.tv_sec) * 1000 +
            (t.tv_nsec - t0.tv_nsec) / 1000000 > timeout_ms) {
            return -1;
        }
        struct pollfd pfd = { r->call, POLLIN, 0 };
        poll(&pfd, 1, 10);
        eventfd_t v;
        eventfd_read(r->call, &v);
    }
}

static int do_traffic(const char *pa, const char *pb, int seconds)
{
    Fe a = { .path = pa }, b = { .path = pb };
    time_t end;
    uint32_t n = 0;

    fe_memory(&a);
    fe_memory(&b);
    fe_setup(&a, 0xa1);
    fe_setup(&b, 0xb1);
    printf("traffic: both ports set up\n");
    fflush(stdout);
    end = time(NULL) + seconds;
    while (time(NULL) < end) {
        int64_t got;
        tx_frame(&a, b.mac, n, 60 + n % 1400);
        got = rx_frame(&b, a.mac, 20000);
        if (got != n) {
            die("frame %u from %s did not reach %s (got %" PRId64 ")", n, pa,
                pb, got);
        }
        tx_frame(&b, a.mac, n, 60 + n % 1400);
        got = rx_frame(&a, b.mac, 20000);
        if (got != n) {
            die("frame %u from %s did not reach %s (got %" PRId64 ")", n, pb,
                pa, got);
        }
        n++;
    }
    printf("traffic: %u frames each way between %s and %s\n", n, pa, pb);
    fe_close(&a);
    fe_close(&b);
    return 0;
}

/* ---- malicious cases: each on a fresh connection ---- */

typedef struct Case {
    const char *name;
    bool (*run)(Fe *fe);    /* returns true if the switch behaved */
} Case;

/* The switch must still answer on this connection. */
static bool still_answers(Fe *fe)
{
    int64_t v;
    if (send_msg(fe, VHOST_USER_GET_FEATURES, 0, NULL, 0, NULL, 0) < 0) {
        return false;
    }
    v = get_reply(fe, VHOST_USER_GET_FEATURES);
    return v > 0;
}

/* After a ring was fed garbage: it stops and reports, the session lives. */
static bool ring_stopped_ok(Fe *fe)
{
    VhostUserVringState st = { 1, 0 };
    usleep(100000);
    if (send_msg(fe, VHOST_USER_GET_VRING_BASE, 0, &st, 8, NULL, 0) < 0 ||
        get_reply(fe, VHOST_USER_GET_VRING_BASE) < 0) {
        return false;
    }
    return still_answers(fe);
}

static bool c_desc_index(Fe *fe)
{
    tx_post(fe, 300);           /* head past the ring size */
    return ring_stopped_ok(fe);
}

static bool c_desc_loop(Fe *fe)
{
    Ring *r = &fe->ring[1];
    uint8_t *b = buf_of(1, 0, fe);
    r->desc[0] = (struct vring_desc){ gpa_of(fe, b), 64, VRING_DESC_F_NEXT, 1 };
    r->desc[1] = (struct vring_desc){ gpa_of(fe, b), 64, VRING_DESC_F_NEXT, 0 };
    tx_post(fe, 0);
    return ring_stopped_ok(fe);
}

static bool c_desc_len(Fe *fe)
{
    Ring *r = &fe->ring[1];
    r->desc[0] = (struct vring_desc){ GPA_BASE + MEM_SIZE - 100, 4096, 0, 0 };
    tx_post(fe, 0);
    return ring_stopped_ok(fe);
}

static bool c_desc_addr(Fe *fe)
{
    Ring *r = &fe->ring[1];
    r->desc[0] = (struct vring_desc){ 0xdead00000000ull, 64, 0, 0 };
    tx_post(fe, 0);
    return ring_stopped_ok(fe);
}

static bool c_avail_jump(Fe *fe)
{
    Ring *r = &fe->ring[1];
    __atomic_store_n(&r->avail->idx, 1000, __ATOMIC_RELEASE);
    eventfd_write(r->kick, 1);
    return ring_stopped_ok(fe);
}

static bool c_indirect_bad(Fe *fe)
{
    Ring *r = &fe->ring[1];
    r->desc[0] = (struct vring_desc){ gpa_of(fe, buf_of(1, 1, fe)), 17,
                                      VRING_DESC_F_INDIRECT, 0 };
    tx_post(fe, 0);
    return ring_stopped_ok(fe);
}

static bool c_ring_size(Fe *fe, uint32_t num)
{
    VhostUserVringState st = { 1, num };
    return send_acked(fe, VHOST_USER_SET_VRING_NUM, &st, 8, NULL, 0) == 1 &&
           still_answers(fe);
}

static bool c_ring_size_3(Fe *fe)
{
    return c_ring_size(fe, 3);
}

static bool c_ring_size_65536(Fe *fe)
{
    return c_ring_size(fe, 65536);
}

static bool c_ring_index(Fe *fe)
{
    VhostUserVringState st = { 200, 256 };
    return send_acked(fe, VHOST_USER_SET_VRING_NUM, &st, 8, NULL, 0) == 1 &&
           still_answers(fe);
}

static bool c_mem_overlap(Fe *fe)
{
    VhostUserMemory m = { .nregions = 2 };
    int fds[2] = { fe->memfd, fe->memfd };
    m.regions[0] = region_all(fe);
    m.regions[1] = region_all(fe);
    m.regions[1].guest_phys_addr += 4096;
    m.regions[1].userspace_addr += 1ull << 40;
    return send_acked(fe, VHOST_USER_SET_MEM_TABLE, &m, 8 + 64, fds, 2) == 1
           && still_answers(fe);
}

static bool c_mem_zero(Fe *fe)
{
    VhostUserMemory m = { .nregions = 1 };
    m.regions[0] = region_all(fe);
    m.regions[0].memory_size = 0;
    return send_acked(fe, VHOST_USER_SET_MEM_TABLE, &m, 8 + 32, &fe->memfd,
                      1) == 1 && still_answers(fe);
}

static bool c_mem_past_file(Fe *fe)
{
    VhostUserMemory m = { .nregions = 1 };
    m.regions[0] = region_all(fe);
    m.regions[0].mmap_offset = MEM_SIZE;   /* beyond the memfd */
    return send_acked(fe, VHOST_USER_SET_MEM_TABLE, &m, 8 + 32, &fe->memfd,
                      1) == 1 && still_answers(fe);
}

static bool c_ring_outside(Fe *fe)
{
    VhostUserVringAddr a = { .index = 1, .desc_user_addr = 0x10,
                             .avail_user_addr = 0x10000,
                             .used_user_addr = 0x20000 };
    return send_acked(fe, VHOST_USER_SET_VRING_ADDR, &a, sizeof(a), NULL, 0)
           == 1 && still_answers(fe);
}

static bool c_too_many_fds(Fe *fe)
{
    int fds[12];
    char cbuf[CMSG_SPACE(sizeof(fds))] = { 0 };
    struct __attribute__((packed)) {
        VhostUserHeader h;
        uint64_t u64;
    } wire = { { VHOST_USER_SET_VRING_CALL,
                 VHOST_USER_VERSION | VHOST_USER_NEED_REPLY_MASK, 8 }, 1 };
    struct iovec iov = { &wire, sizeof(wire) };
    struct msghdr msg = { .msg_iov = &iov, .msg_iovlen = 1,
                          .msg_control = cbuf, .msg_controllen = sizeof(cbuf) };
    struct cmsghdr *c = CMSG_FIRSTHDR(&msg);
    bool ok;

    for (int i = 0; i < 12; i++) {
        fds[i] = eventfd(0, EFD_CLOEXEC);
    }
    c->cmsg_level = SOL_SOCKET;
    c->cmsg_type = SCM_RIGHTS;
    c->cmsg_len = CMSG_LEN(sizeof(fds));
    memcpy(CMSG_DATA(c), fds, sizeof(fds));
    if (sendmsg(fe->sock, &msg, MSG_NOSIGNAL) != sizeof(wire)) {
        return false;
    }
    ok = get_reply(fe, VHOST_USER_SET_VRING_CALL) == 1 && still_answers(fe);
    for (int i = 0; i < 12; i++) {
        close(fds[i]);
    }
    return ok;
}

static bool c_unknown(Fe *fe)
{
    uint64_t junk = 42;
    return send_acked(fe, 99, &junk, 8, NULL, 0) == 1 &&
           send_acked(fe, 200, NULL, 0, NULL, 0) == 1 && still_answers(fe);
}

static bool c_bad_size(Fe *fe)
{
    uint32_t small = 3;
    return send_acked(fe, VHOST_USER_SET_VRING_ADDR, &small, 4, NULL, 0) == 1
           && still_answers(fe);
}

static bool c_oversize(Fe *fe)
{
    /* The announced payload can never be valid: the switch hangs up. */
    VhostUserHeader h = { VHOST_USER_SET_MEM_TABLE, 1, 1u << 30 };
    VhostUserPayload p;
    int fds[FDPASS_MAX_FDS];
    size_t nfds;
    if (write(fe->sock, &h, sizeof(h)) != sizeof(h)) {
        return false;
    }
    return fdpass_recv_msg(fe->sock, &h, &p, sizeof(p), fds, &nfds, 3000,
                           NULL) == 0;
}

static bool c_truncated(Fe *fe)
{
    /* Half a message, then silence: the switch gives up on this peer. */
    VhostUserHeader h = { VHOST_USER_SET_VRING_ADDR, 1, 40 };
    uint8_t part[12 + 10] = { 0 };
    VhostUserPayload p;
    int fds[FDPASS_MAX_FDS];
    size_t nfds;
    memcpy(part, &h, sizeof(h));
    if (write(fe->sock, part, sizeof(part)) != sizeof(part)) {
        return false;
    }
    return fdpass_recv_msg(fe->sock, &h, &p, sizeof(p), fds, &nfds, 5000,
                           NULL) == 0;
}

static bool c_close_mid(Fe *fe)
{
    VhostUserHeader h = { VHOST_USER_SET_MEM_TABLE, 1, 40 };
    return write(fe->sock, &h, 7) == 7;   /* and the caller closes */
}

static const Case cases[] = {
    { "descriptor-index-past-ring", c_desc_index },
    { "descriptor-loop", c_desc_loop },
    { "descriptor-length-past-region", c_desc_len },
    { "descriptor-address-outside-memory", c_desc_addr },
    { "avail-index-jump", c_avail_jump },
    { "indirect-table-bad-length", c_indirect_bad },
    { "ring-size-3", c_ring_size_3 },
    { "ring-size-65536", c_ring_size_65536 },
    { "ring-index-200", c_ring_index },
    { "ring-addresses-outside-memory", c_ring_outside },
    { "memory-regions-overlap", c_mem_overlap },
    { "memory-region-size-0", c_mem_zero },
    { "memory-region-past-file", c_mem_past_file },
    { "too-many-fds", c_too_many_fds },
    { "unknown-request-codes", c_unknown },
    { "wrong-payload-size", c_bad_size },
    { "oversize-payload", c_oversize },
    { "truncated-message", c_truncated },
    { "close-mid-message", c_close_mid },
};

static int do_malicious(const char *path)
{
    Fe fe = { .path = path };
    int failed = 0;

    fe_memory(&fe);
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        bool ok;
        fe_setup(&fe, 0xe0 + i);
        ok = cases[i].run(&fe);
        printf("case %s: %s\n", cases[i].name, ok ? "ok" : "FAILED");
        fflush(stdout);
        failed += !ok;
        fe_close(&fe);
        usleep(50000);
    }
    return failed ? 1 : 0;
}

int main(int argc, char **argv)
{
    if (argc == 5 && !strcmp(argv[1], "traffic")) {
        return do_traffic(argv[2], argv[3], atoi(argv[4]));
    }
    if (argc == 3 && !strcmp(argv[1], "malicious")) {
        return do_malicious(argv[2]);
    }
    fprintf(stderr, "usage: %s traffic SOCK_A SOCK_B SECONDS | "
            "malicious SOCK\n", argv[0]);
    return 2;
}
