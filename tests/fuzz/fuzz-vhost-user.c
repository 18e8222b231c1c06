/*
 * fuzz-vhost-user: vmu against a hostile vhost-user back-end.  This program
 * is both the qtest guest, bringing virtio-net up and down through libqos,
 * and (in a thread) the back-end, which answers vmu's messages with
 * mutations.  vmu must not crash, hang, leak fds or trip a sanitizer.
 */
#include <errno.h>
#include <fcntl.h>
#include <glib.h>
#include <glib/gstdio.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "libqos.h"
#include "net/vhost-user-proto.h"

#define F(bit) (1ULL << (bit))
#define NET_F_MTU       3
#define NET_F_MAC       5
#define NET_F_MRG_RXBUF 15
#define NET_F_STATUS    16
#define NET_F_MQ        22
#define NET_HDR         12

/* A qtest line answered later than this is a hang (vmu waits up to 5 s
 * for one back-end reply, synchronously, today). */
#define ANSWER_BOUND_MS     30000
/* How long vmu may take to (re)connect, or to close what it held. */
#define SETTLE_MS           30000
/* Connections to one vmu before it is quit and a fresh one started. */
#define CONNS_PER_VMU       12

/* ---- what a failure prints ---- */

static guint32 fuzz_seed;
static unsigned fuzz_seconds;
static char fuzz_step[512];          /* main thread: what the guest does */
static char fuzz_mutation[512];      /* back-end: the last mutation */
static char fuzz_replay[256];
static char *vmu_log;                /* vmu's stderr */
static gint64 fuzz_deadline;         /* the time budget ends (monotonic us) */

static void fuzz_print_context(void)
{
    char buf[2048];
    int n = snprintf(buf, sizeof(buf), "fuzz-vhost-user: while: %s\n"
                     "fuzz-vhost-user: last mutation: %s\n"
                     "fuzz-vhost-user: vmu's stderr: %s\n"
                     "fuzz-vhost-user: replay: %s\n",
                     fuzz_step, fuzz_mutation, vmu_log ? vmu_log : "-",
                     fuzz_replay);
    if (n > 0 && write(2, buf, MIN((size_t)n, sizeof(buf) - 1)) < 0) {
        /* nothing more to do on the way out */
    }
}

/* libqtest's g_error() and g_assert() end in SIGTRAP or abort(): say what
 * we were doing (the buffers may be mid-update; this is a dying process). */
static void fuzz_on_abort(int sig)
{
    fuzz_print_context();
    _exit(1);
}

static void G_GNUC_NORETURN G_GNUC_PRINTF(1, 2) fuzz_fail(const char *fmt,
                                                          ...)
{
    va_list ap;
    va_start(ap, fmt);
    char *msg = g_strdup_vprintf(fmt, ap);
    va_end(ap);
    fprintf(stderr, "fuzz-vhost-user: FAIL: %s\n", msg);
    char *text = NULL;
    gsize len = 0;
    if (vmu_log && g_file_get_contents(vmu_log, &text, &len, NULL)) {
        fprintf(stderr, "fuzz-vhost-user: vmu's stderr (last 4 KiB):\n%s\n",
                text + (len > 4096 ? len - 4096 : 0));
        g_free(text);
    }
    fflush(stderr);
    fuzz_print_context();
    fflush(stdout);
    _exit(1);       /* from either thread; nothing left worth freeing */
}

static void G_GNUC_PRINTF(1, 2) step(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(fuzz_step, sizeof(fuzz_step), fmt, ap);
    va_end(ap);
}

/* ---- the hostile back-end ---- */

typedef enum Mut {
    MUT_NONE,
    MUT_CODE,           /* reply with another request code */
    MUT_FLAGS,          /* wrong version, no REPLY bit, unknown bits */
    MUT_SIZE,           /* header size not the code's */
    MUT_TRUNCATE,       /* fewer bytes than the header says, then silence */
    MUT_OVERSIZE,       /* a size no message has */
    MUT_VALUE,          /* garbage in the payload (features, queues...) */
    MUT_FDS,            /* fds where none belong, or too many */
    MUT_SILENT,         /* no reply at all */
    MUT_DELAY,          /* the right reply, late */
    MUT_CLOSE,          /* close instead of answering */
    MUT_CLOSE_MID,      /* close in the middle of the reply */
    MUT_UNSOLICITED,    /* an extra message before the reply */
    MUT_NACK,           /* REPLY_ACK with a failure status */
    MUT_BACKEND,        /* garbage on the back-end channel first */
    MUT_COUNT
} Mut;

static const char *const mut_names[MUT_COUNT] = {
    "none", "wrong request code", "wrong flags", "wrong size",
    "truncated payload", "oversized payload", "garbage value", "bogus fds",
    "no reply", "delayed reply", "close", "close mid-message",
    "unsolicited message", "negative ack", "back-end channel garbage",
};

/* Relative weights: the ones that cost vmu's 5 s timeout are rarer. */
static const unsigned mut_weight[MUT_COUNT] = {
    0, 6, 6, 6, 1, 4, 10, 8, 1, 6, 4, 4, 4, 4, 8,
};

typedef struct Conn {
    unsigned id;
    bool we_connect;            /* vmu is the server */
    const char *path;
    int listen_fd;
    int fd;
    int backend_fd;             /* from SET_BACKEND_REQ_FD */
    int wake[2];
    GRand *rng;                 /* the thread's own, seeded by main */
    unsigned rate;              /* per-mille of messages mutated */
    unsigned mutate_at;         /* and this one (counting from 1) */
    unsigned close_after_ms;    /* close at a moment, not a message */
    bool scripted;              /* the fixed case, not cut by the budget */
    bool nack_enable;           /* scripted: refuse the first ring enable */
    uint64_t features, protocol, queues, slots;
    uint64_t status;
    GThread *thread;
    GMutex lock;
    bool established, over, never_connected;
    bool saw_mem_table, saw_kick;
    unsigned msgs, mutations;
} Conn;

/* How deep the connections got (printed at the end, for the record). */
static unsigned depth_mem_table, depth_kick, backend_msgs;

static int rand_int(GRand *r, int lo, int hi)   /* [lo, hi) */
{
    return g_rand_int_range(r, lo, hi);
}

static uint64_t rand_u64(GRand *r)
{
    return ((uint64_t)g_rand_int(r) << 32) | g_rand_int(r);
}

static void G_GNUC_PRINTF(2, 3) conn_note(Conn *c, const char *fmt, ...)
{
    va_list ap;
    int n = snprintf(fuzz_mutation, sizeof(fuzz_mutation), "connection %u: ",
                     c->id);
    va_start(ap, fmt);
    vsnprintf(fuzz_mutation + n, sizeof(fuzz_mutation) - n, fmt, ap);
    va_end(ap);
}

static void conn_close(Conn *c)
{
    if (c->fd >= 0) {
        close(c->fd);
        c->fd = -1;
    }
    if (c->backend_fd >= 0) {
        close(c->backend_fd);
        c->backend_fd = -1;
    }
}

/* An fd of some kind nobody asked for (the caller closes it). */
static int bogus_fd(GRand *r)
{
    int p[2], fd = -1;
    switch (rand_int(r, 0, 5)) {
    case 0:
        fd = open("/dev/null", O_RDWR | O_CLOEXEC);
        break;
    case 1:
        if (pipe2(p, O_CLOEXEC) == 0) {
            int dead = rand_int(r, 0, 2);     /* the other end is closed */
            close(p[dead]);
            fd = p[!dead];
        }
        break;
    case 2:
        fd = eventfd(0, EFD_CLOEXEC);
        break;
    case 3:
        fd = memfd_create("fuzz", MFD_CLOEXEC);
        if (fd >= 0 && ftruncate(fd, rand_int(r, 0, 3) * 4096) < 0) {
            close(fd);
            fd = -1;
        }
        break;
    default:
        fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
        break;
    }
    return fd;
}

/* sendmsg of exactly these bytes with these fds; false if the peer left. */
static bool send_raw(int fd, const void *buf, size_t len, const int *fds,
                     unsigned nfds)
{
    struct iovec iov = { (void *)buf, len };
    struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1 };
    char ctl[CMSG_SPACE(sizeof(int) * 16)];
    if (nfds) {
        memset(ctl, 0, sizeof(ctl));
        mh.msg_control = ctl;
        mh.msg_controllen = CMSG_SPACE(sizeof(int) * nfds);
        struct cmsghdr *cm = CMSG_FIRSTHDR(&mh);
        cm->cmsg_level = SOL_SOCKET;
        cm->cmsg_type = SCM_RIGHTS;
        cm->cmsg_len = CMSG_LEN(sizeof(int) * nfds);
        memcpy(CMSG_DATA(cm), fds, sizeof(int) * nfds);
    }
    return sendmsg(fd, &mh, MSG_NOSIGNAL | MSG_DONTWAIT) == (ssize_t)len;
}

/*
 * The first len bytes of a message as they go on the wire: the header
 * and the payload back to back (VhostUserMsg has padding between them).
 */
static bool send_msg(int fd, const VhostUserMsg *m, size_t len,
                     const int *fds, unsigned nfds)
{
    uint8_t wire[sizeof(m->hdr) + sizeof(m->payload)];
    memcpy(wire, &m->hdr, sizeof(m->hdr));
    memcpy(wire + sizeof(m->hdr), &m->payload, sizeof(m->payload));
    return send_raw(fd, wire, MIN(len, sizeof(wire)), fds, nfds);
}

/* Sleep ms unless told to stop; true if told to stop. */
static bool conn_sleep(Conn *c, unsigned ms)
{
    struct pollfd p = { c->wake[0], POLLIN, 0 };
    return poll(&p, 1, ms) > 0;
}

/* One message on the back-end channel, mutated in most ways. */
static void backend_channel_send(Conn *c)
{
    static const uint32_t codes[] = {
        VHOST_USER_BACKEND_CONFIG_CHANGE_MSG,
        VHOST_USER_BACKEND_VRING_HOST_NOTIFIER_MSG,
        VHOST_USER_BACKEND_IOTLB_MSG, VHOST_USER_BACKEND_VRING_CALL,
        VHOST_USER_BACKEND_VRING_ERR, VHOST_USER_BACKEND_SHARED_OBJECT_ADD,
        VHOST_USER_BACKEND_NONE, 0xffffffffu,
    };
    GRand *r = c->rng;
    VhostUserMsg m;
    int fds[12];
    unsigned nfds = 0;
    uint32_t min = 0, max = 0;

    if (c->backend_fd < 0) {
        return;
    }
    memset(&m, 0, sizeof(m));
    m.hdr.request = codes[rand_int(r, 0, G_N_ELEMENTS(codes))];
    if (m.hdr.request == 0xffffffffu) {
        m.hdr.request = g_rand_int(r);
    }
    m.hdr.flags = VHOST_USER_VERSION |
                  (rand_int(r, 0, 2) ? VHOST_USER_NEED_REPLY_MASK : 0);
    if (!rand_int(r, 0, 6)) {
        m.hdr.flags = g_rand_int(r);
    }
    if (!vhost_user_request_size(VHOST_USER_CHANNEL_BACKEND, m.hdr.request,
                                 &min, &max)) {
        min = max = rand_int(r, 0, 64);
    }
    m.hdr.size = min;
    unsigned sz = rand_int(r, 0, 5);
    if (sz == 0) {
        m.hdr.size = rand_int(r, 0, 300);
    }
    m.payload.area.u64 = rand_int(r, 0, 4) ? (uint64_t)rand_int(r, 0, 4) :
                         rand_u64(r);
    if (!rand_int(r, 0, 4)) {
        m.payload.area.u64 |= VHOST_USER_VRING_AREA_NOFD_MASK;
    }
    static const uint64_t sizes[] = { 4096, 0, 1 << 21, 8192, 1 };
    m.payload.area.size = rand_int(r, 0, 6) ?
                          sizes[rand_int(r, 0, G_N_ELEMENTS(sizes))] :
                          rand_u64(r);
    m.payload.area.offset = rand_int(r, 0, 3) ? 0ULL :
                            rand_int(r, 0, 2) ? 4096ULL : rand_u64(r);
    if (rand_int(r, 0, 2)) {
        nfds = rand_int(r, 1, rand_int(r, 0, 4) ? 2 : 11);
        for (unsigned i = 0; i < nfds; i++) {
            if (!rand_int(r, 0, 2)) {
                fds[i] = memfd_create("notifier", MFD_CLOEXEC);
                if (fds[i] >= 0 && ftruncate(fds[i], 8192) < 0) {
                    close(fds[i]);
                    fds[i] = -1;
                }
            } else {
                fds[i] = bogus_fd(r);
            }
            if (fds[i] < 0) {
                nfds = i;
                break;
            }
        }
    }
    size_t len = sizeof(m.hdr) + MIN(m.hdr.size, VHOST_USER_PAYLOAD_MAX);
    unsigned cut = rand_int(r, 0, 8);
    if (cut == 0) {
        len = rand_int(r, 1, len);      /* the rest never comes */
    }
    conn_note(c, "back-end channel: %s (%u) flags 0x%x size %u, %zu bytes "
              "sent, %u fds%s", vhost_user_backend_request_name(m.hdr.request),
              m.hdr.request, m.hdr.flags, m.hdr.size, len, nfds,
              cut == 1 ? ", then the channel closed" : "");
    send_msg(c->backend_fd, &m, len, fds, nfds);
    __atomic_add_fetch(&backend_msgs, 1, __ATOMIC_RELAXED);
    for (unsigned i = 0; i < nfds; i++) {
        close(fds[i]);
    }
    if (cut == 1) {
        close(c->backend_fd);
        c->backend_fd = -1;
    }
}

/* Read vmu's answers on the back-end channel and forget them. */
static void backend_channel_drain(Conn *c)
{
    char buf[4096], ctl[CMSG_SPACE(sizeof(int) * 16)];
    struct iovec iov = { buf, sizeof(buf) };
    struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1,
                         .msg_control = ctl, .msg_controllen = sizeof(ctl) };
    ssize_t n = recvmsg(c->backend_fd, &mh, MSG_DONTWAIT | MSG_CMSG_CLOEXEC);
    if (n <= 0 && !(n < 0 && errno == EAGAIN)) {
        close(c->backend_fd);
        c->backend_fd = -1;
        return;
    }
    for (struct cmsghdr *cm = CMSG_FIRSTHDR(&mh); n > 0 && cm;
         cm = CMSG_NXTHDR(&mh, cm)) {
        if (cm->cmsg_type == SCM_RIGHTS) {
            int *fds = (int *)CMSG_DATA(cm);
            for (size_t i = 0; i < (cm->cmsg_len - CMSG_LEN(0)) / sizeof(int);
                 i++) {
                close(fds[i]);
            }
        }
    }
}

/* Read one request (header, fds, payload); false: the connection is over. */
static bool conn_recv(Conn *c, VhostUserMsg *m, int *fds, unsigned *nfds)
{
    char ctl[CMSG_SPACE(sizeof(int) * VHOST_USER_MAX_FDS)];
    struct iovec iov = { &m->hdr, sizeof(m->hdr) };
    struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1,
                         .msg_control = ctl, .msg_controllen = sizeof(ctl) };
    *nfds = 0;
    ssize_t n = recvmsg(c->fd, &mh, MSG_CMSG_CLOEXEC | MSG_WAITALL);
    for (struct cmsghdr *cm = CMSG_FIRSTHDR(&mh); n > 0 && cm;
         cm = CMSG_NXTHDR(&mh, cm)) {
        if (cm->cmsg_level == SOL_SOCKET && cm->cmsg_type == SCM_RIGHTS) {
            unsigned k = (cm->cmsg_len - CMSG_LEN(0)) / sizeof(int);
            memcpy(fds + *nfds, CMSG_DATA(cm), k * sizeof(int));
            *nfds += k;
        }
    }
    if (n != sizeof(m->hdr)) {
        return false;
    }
    if (m->hdr.size > VHOST_USER_PAYLOAD_MAX) {
        fuzz_fail("vmu sent %s with a %u-byte payload, more than any "
                  "message has", vhost_user_request_name(m->hdr.request),
                  m->hdr.size);
    }
    size_t got = 0;
    while (got < m->hdr.size) {
        ssize_t k = read(c->fd, (uint8_t *)&m->payload + got, m->hdr.size - got);
        if (k <= 0) {
            return false;
        }
        got += k;
    }
    return true;
}

/* The right answer's payload; returns its size, or -1 when none is due. */
static int correct_reply(Conn *c, const VhostUserMsg *m, VhostUserMsg *out)
{
    bool has_reply = false;
    uint32_t min = 0, max = 0;

    *out = *m;
    vhost_user_reply_size(m->hdr.request, &has_reply, &min, &max);
    switch (m->hdr.request) {
    case VHOST_USER_GET_FEATURES:
        out->payload.u64 = c->features;
        break;
    case VHOST_USER_GET_PROTOCOL_FEATURES:
        out->payload.u64 = c->protocol;
        break;
    case VHOST_USER_GET_QUEUE_NUM:
        out->payload.u64 = c->queues;
        break;
    case VHOST_USER_GET_MAX_MEM_SLOTS:
        out->payload.u64 = c->slots;
        break;
    case VHOST_USER_GET_VRING_BASE:
        out->payload.state.num = 0;
        break;
    case VHOST_USER_GET_STATUS:
        out->payload.u64 = c->status;
        break;
    case VHOST_USER_SET_STATUS:
        c->status = m->payload.u64;
        break;
    }
    if (!has_reply) {
        if (!(m->hdr.flags & VHOST_USER_NEED_REPLY_MASK)) {
            return -1;
        }
        out->payload.u64 = 0;
        min = 8;
    } else if (min != max) {
        min = MIN(m->hdr.size, max);    /* GET_CONFIG: echo the request */
    }
    vhost_user_reply_header(&out->hdr, &m->hdr, min);
    return min;
}

static Mut pick_mutation(Conn *c)
{
    unsigned total = 0, x;
    for (unsigned i = 0; i < MUT_COUNT; i++) {
        total += mut_weight[i];
    }
    x = rand_int(c->rng, 0, total);
    for (unsigned i = 0; i < MUT_COUNT; i++) {
        if (x < mut_weight[i]) {
            return i;
        }
        x -= mut_weight[i];
    }
    return MUT_NONE;
}

/* Answer one request, maybe wrongly; false: we closed the connection. */
static bool conn_answer(Conn *c, VhostUserMsg *m)
{
    GRand *r = c->rng;
    VhostUserMsg rep;
    int size = correct_reply(c, m, &rep);
    const char *name = vhost_user_request_name(m->hdr.request);
    bool hit = c->msgs == c->mutate_at ||
               (unsigned)rand_int(r, 0, 1000) < c->rate;
    Mut mut = hit ? pick_mutation(c) : MUT_NONE;
    if (c->nack_enable && m->hdr.request == VHOST_USER_SET_VRING_ENABLE &&
        (m->hdr.flags & VHOST_USER_NEED_REPLY_MASK)) {
        c->nack_enable = false;
        mut = MUT_NACK;
    }
    int fds[12];
    unsigned nfds = 0;

    if (mut == MUT_NONE) {
        if (size >= 0) {
            send_msg(c->fd, &rep, sizeof(rep.hdr) + size, NULL, 0);
        }
        return true;
    }
    c->mutations++;
    if (size < 0) {
        /* Nothing is due: answer anyway, or act at this point. */
        size = 8;
        vhost_user_reply_header(&rep.hdr, &m->hdr, 8);
        rep.payload.u64 = rand_u64(r);
    }
    size_t len = sizeof(rep.hdr) + size;
    conn_note(c, "%s for %s (%u) flags 0x%x size %u", mut_names[mut], name,
              m->hdr.request, m->hdr.flags, m->hdr.size);
    switch (mut) {
    case MUT_CODE:
        rep.hdr.request = rand_int(r, 0, 2) ? (uint32_t)rand_int(r, 0, 50) :
                          g_rand_int(r);
        break;
    case MUT_FLAGS: {
        static const uint32_t bad[] = {
            0, VHOST_USER_VERSION, 2 | VHOST_USER_REPLY_MASK,
            VHOST_USER_VERSION | VHOST_USER_REPLY_MASK |
            VHOST_USER_NEED_REPLY_MASK,
            VHOST_USER_VERSION | VHOST_USER_REPLY_MASK | 0x10,
        };
        rep.hdr.flags = rand_int(r, 0, 6) ? bad[rand_int(r, 0, 5)] :
                        g_rand_int(r);
        break;
    }
    case MUT_SIZE:
        size = rand_int(r, 0, 3) ? rand_int(r, 0, 17) :
               rand_int(r, 0, sizeof(rep.payload) + 1);
        for (int i = 0; i < size; i++) {
            ((uint8_t *)&rep.payload)[i] = g_rand_int(r);
        }
        rep.hdr.size = size;
        len = sizeof(rep.hdr) + size;
        break;
    case MUT_TRUNCATE:
        len = rand_int(r, 1, len);
        break;
    case MUT_OVERSIZE: {
        static const uint32_t big[] = { VHOST_USER_PAYLOAD_MAX + 1, 4096,
                                        0x10000, 0x7fffffff, 0xffffffff };
        rep.hdr.size = big[rand_int(r, 0, 5)];
        size = MIN(rep.hdr.size, sizeof(rep.payload));
        len = sizeof(rep.hdr) + rand_int(r, 0, size + 1);
        break;
    }
    case MUT_VALUE:
        rep.payload.u64 = rand_int(r, 0, 2) ? rand_u64(r) :
                          rand_int(r, 0, 2) ? 0 : ~0ULL;
        if (m->hdr.request == VHOST_USER_GET_VRING_BASE) {
            rep.payload.state.index = rand_int(r, 0, 2) ?
                                      m->payload.state.index : g_rand_int(r);
            rep.payload.state.num = g_rand_int(r);
        }
        break;
    case MUT_FDS:
        nfds = rand_int(r, 0, 2) ? rand_int(r, 1, 4) : rand_int(r, 8, 13);
        for (unsigned i = 0; i < nfds; i++) {
            fds[i] = bogus_fd(r);
            if (fds[i] < 0) {
                nfds = i;
                break;
            }
        }
        break;
    case MUT_SILENT:
        return true;
    case MUT_DELAY: {
        unsigned ms = rand_int(r, 0, 10) ? rand_int(r, 0, 300) :
                      rand_int(r, 4000, 6500);
        conn_note(c, "reply to %s delayed %u ms", name, ms);
        if (conn_sleep(c, ms)) {
            return false;
        }
        break;
    }
    case MUT_CLOSE:
        conn_close(c);
        return false;
    case MUT_CLOSE_MID:
        send_msg(c->fd, &rep, rand_int(r, 0, len), NULL, 0);
        conn_close(c);
        return false;
    case MUT_UNSOLICITED: {
        VhostUserMsg extra = rep;
        extra.hdr.request = rand_int(r, 0, 2) ? m->hdr.request :
                            (uint32_t)rand_int(r, 1, 44);
        extra.payload.u64 = rand_u64(r);
        send_msg(c->fd, &extra, sizeof(extra.hdr) + 8, NULL, 0);
        break;
    }
    case MUT_NACK:
        rep.payload.u64 = rand_int(r, 0, 2) ? 1 : rand_u64(r) | 1;
        break;
    case MUT_BACKEND:
        backend_channel_send(c);
        break;
    default:
        break;
    }
    send_msg(c->fd, &rep, len, fds, nfds);
    for (unsigned i = 0; i < nfds; i++) {
        close(fds[i]);
    }
    return true;
}

static bool conn_handle(Conn *c)
{
    VhostUserMsg m;
    int fds[VHOST_USER_MAX_FDS * 2];
    unsigned nfds;

    if (!conn_recv(c, &m, fds, &nfds)) {
        for (unsigned i = 0; i < nfds; i++) {
            close(fds[i]);
        }
        return false;
    }
    c->msgs++;
    if ((m.hdr.request == VHOST_USER_SET_MEM_TABLE ||
         m.hdr.request == VHOST_USER_ADD_MEM_REG) && !c->saw_mem_table) {
        c->saw_mem_table = true;
        __atomic_add_fetch(&depth_mem_table, 1, __ATOMIC_RELAXED);
    }
    if (m.hdr.request == VHOST_USER_SET_VRING_KICK && !c->saw_kick) {
        c->saw_kick = true;
        __atomic_add_fetch(&depth_kick, 1, __ATOMIC_RELAXED);
    }
    for (unsigned i = 0; i < nfds; i++) {
        if (m.hdr.request == VHOST_USER_SET_BACKEND_REQ_FD && i == 0) {
            if (c->backend_fd >= 0) {
                close(c->backend_fd);
            }
            c->backend_fd = fds[0];
        } else {
            close(fds[i]);
        }
    }
    if (!conn_answer(c, &m)) {
        return false;
    }
    /* The back-end channel is worth a message now and then, right after
     * it is set up too (vmu serves it between its own requests). */
    if ((c->rate || c->mutate_at) && c->backend_fd >= 0 &&
        !rand_int(c->rng, 0, 6)) {
        backend_channel_send(c);
    }
    return true;
}

static int unix_connect(const char *path)
{
    struct sockaddr_un sa = { .sun_family = AF_UNIX };
    int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    g_strlcpy(sa.sun_path, path, sizeof(sa.sun_path));
    if (fd >= 0 && connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
        close(fd);
        fd = -1;
    }
    return fd;
}

static int unix_listen(const char *path)
{
    struct sockaddr_un sa = { .sun_family = AF_UNIX };
    int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    g_strlcpy(sa.sun_path, path, sizeof(sa.sun_path));
    unlink(path);
    if (fd < 0 || bind(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0 ||
        listen(fd, 1) < 0) {
        fuzz_fail("cannot listen on %s: %s", path, strerror(errno));
    }
    return fd;
}

/* Establish the connection in either mode; false if vmu never came. */
static bool conn_establish(Conn *c)
{
    gint64 end = g_get_monotonic_time() + SETTLE_MS * 1000LL;
    while (g_get_monotonic_time() < end) {
        if (c->we_connect) {
            c->fd = unix_connect(c->path);
            if (c->fd >= 0) {
                return true;
            }
            if (conn_sleep(c, 20)) {
                return false;
            }
            continue;
        }
        struct pollfd p[2] = { { c->listen_fd, POLLIN, 0 },
                               { c->wake[0], POLLIN, 0 } };
        if (poll(p, 2, 100) > 0) {
            if (p[1].revents) {
                return false;
            }
            c->fd = accept4(c->listen_fd, NULL, NULL, SOCK_CLOEXEC);
            /* No listener until the next connection: vmu's reconnect
             * attempts fail rather than wait in the backlog. */
            close(c->listen_fd);
            c->listen_fd = -1;
            unlink(c->path);
            return c->fd >= 0;
        }
    }
    c->never_connected = true;
    return false;
}

static gpointer conn_thread(gpointer opaque)
{
    Conn *c = opaque;

    if (!conn_establish(c)) {
        g_mutex_lock(&c->lock);
        c->over = true;
        g_mutex_unlock(&c->lock);
        return NULL;
    }
    g_mutex_lock(&c->lock);
    c->established = true;
    g_mutex_unlock(&c->lock);
    gint64 close_at = c->close_after_ms ?
        g_get_monotonic_time() + c->close_after_ms * 1000LL : G_MAXINT64;
    for (;;) {
        /* Past the budget, a back-end vmu waits on (12 s while rings
         * start) goes away rather than hold the run up. */
        gint64 now = g_get_monotonic_time();
        if (now >= close_at) {
            conn_note(c, "closed %u ms after connecting, after %u messages",
                      c->close_after_ms, c->msgs);
            break;
        }
        if (now >= fuzz_deadline && !c->scripted) {
            break;
        }
        struct pollfd p[3] = { { c->wake[0], POLLIN, 0 },
                               { c->fd, POLLIN, 0 },
                               { c->backend_fd, POLLIN, 0 } };
        int n = poll(p, c->backend_fd >= 0 ? 3 : 2, 50);
        if (n > 0 && p[0].revents) {
            break;
        }
        if (n > 0 && p[1].revents && !conn_handle(c)) {
            break;
        }
        if (c->backend_fd >= 0 && n > 0 && p[2].revents) {
            backend_channel_drain(c);
        }
        if (n == 0 && (c->rate || c->mutate_at) &&
            !rand_int(c->rng, 0, 10)) {
            backend_channel_send(c);        /* unprompted */
        }
    }
    conn_close(c);
    g_mutex_lock(&c->lock);
    c->over = true;
    g_mutex_unlock(&c->lock);
    return NULL;
}

static bool conn_is(Conn *c, bool *flag)
{
    g_mutex_lock(&c->lock);
    bool v = *flag;
    g_mutex_unlock(&c->lock);
    return v;
}

/* ---- vmu and the guest ---- */

typedef struct Run {
    QTestState *qts;
    bool vmu_server;
    unsigned queues;
    char *dir, *path;
    pid_t pid;
    unsigned baseline_fds;
    QVirtioPCI dev;
    QGuestAlloc alloc0;
    size_t log_seen;
} Run;

static unsigned connections, bringups;
static unsigned worst_ms;

static pid_t vmu_pid(void)
{
    char *path = g_strdup_printf("/proc/self/task/%d/children", getpid());
    char *text = NULL;
    pid_t pid = 0;
    if (g_file_get_contents(path, &text, NULL, NULL)) {
        pid = atoi(text);
    }
    g_free(text);
    if (pid <= 0) {
        fuzz_fail("cannot find vmu's pid in %s", path);
    }
    g_free(path);
    return pid;
}

static unsigned fd_count(pid_t pid)
{
    char *path = g_strdup_printf("/proc/%d/fd", pid);
    GDir *d = g_dir_open(path, 0, NULL);
    unsigned n = 0;
    g_free(path);
    if (!d) {
        return 0;
    }
    while (g_dir_read_name(d)) {
        n++;
    }
    g_dir_close(d);
    return n;
}

/* A sanitizer report anywhere in vmu's stderr fails the run. */
static void check_log(Run *r)
{
    char *text = NULL;
    gsize len = 0;
    if (!g_file_get_contents(vmu_log, &text, &len, NULL)) {
        return;
    }
    const char *from = text + MIN(r->log_seen, len);
    if (strstr(from, "ERROR: AddressSanitizer") ||
        strstr(from, "runtime error:") ||
        strstr(from, "ERROR: LeakSanitizer")) {
        fuzz_fail("vmu's stderr has a sanitizer report");
    }
    /* GLib's own checks (a source removed twice, a NULL argument). */
    if (strstr(from, "-CRITICAL **") || strstr(from, "-WARNING **")) {
        fuzz_fail("vmu's stderr has a GLib critical or warning");
    }
    /* Keep a line's worth of overlap so that a split needle is found. */
    r->log_seen = len > 64 ? len - 64 : 0;
    g_free(text);
}

static void check_latency(Run *r)
{
    unsigned ms = qtest_worst_reply_ms(r->qts);
    worst_ms = MAX(worst_ms, ms);
    if (ms > ANSWER_BOUND_MS) {
        fuzz_fail("vmu took %u ms to answer a qtest line (bound %u ms)", ms,
                  ANSWER_BOUND_MS);
    }
}

static void run_start(Run *r, GRand *rng)
{
    memset(r, 0, sizeof(*r));
    r->vmu_server = rand_int(rng, 0, 2);
    r->queues = rand_int(rng, 0, 3) ? 1 : 2;
    r->dir = g_dir_make_tmp("fuzz-vhu-XXXXXX", NULL);
    r->path = g_build_filename(r->dir, "be.sock", NULL);
    vmu_log = g_build_filename(r->dir, "vmu.stderr", NULL);
    char *mem = rand_int(rng, 0, 2) ? g_strdup("") :
                g_strdup("-object memory-backend-memfd,id=mem,size=128M,"
                         "share=on -machine memory-backend=mem");
    char *args = g_strdup_printf(
        "%s -chardev socket,id=chr0,path=%s%s "
        "-netdev vhost-user,id=n0,chardev=chr0%s "
        "-device virtio-net-pci,netdev=n0,disable-legacy=on%s %s", mem,
        r->path, r->vmu_server ? ",server=on,wait=off" : ",reconnect-ms=20",
        r->queues > 1 ? ",queues=2" : "", r->queues > 1 ? ",mq=on" : "",
        g_getenv("FUZZ_VHOST_USER_ARGS") ? g_getenv("FUZZ_VHOST_USER_ARGS") :
        "");
    step("starting vmu: %s", args);

    fflush(stderr);
    int saved = dup(2);
    int fd = open(vmu_log, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
    if (fd < 0) {
        fuzz_fail("cannot create %s", vmu_log);
    }
    dup2(fd, 2);
    close(fd);
    r->qts = qtest_init(args);
    dup2(saved, 2);
    close(saved);
    g_free(args);
    g_free(mem);
    r->pid = vmu_pid();
    if (!qvirtio_pci_probe(r->qts, 1, &r->dev)) {
        fuzz_fail("no virtio-net device on the PCI bus");
    }
    r->alloc0 = r->dev.alloc;
    /* No back-end connection yet: this is what vmu holds without one. */
    r->baseline_fds = fd_count(r->pid);
}

static void run_stop(Run *r)
{
    step("quitting vmu (pid %d): it must exit with status 0", r->pid);
    check_latency(r);
    qtest_quit(r->qts);     /* fails on a non-zero status or a signal */
    check_log(r);
    if (g_getenv("FUZZ_VHOST_USER_LOG")) {
        char *text = NULL;
        g_file_get_contents(vmu_log, &text, NULL, NULL);
        fprintf(stderr, "%s", text ? text : "");
        g_free(text);
    }
    g_unlink(vmu_log);
    g_unlink(r->path);
    g_rmdir(r->dir);
    g_free(vmu_log);
    vmu_log = NULL;
    g_free(r->path);
    g_free(r->dir);
}

static bool link_up(Run *r)
{
    return qvirtio_config_readw(&r->dev, 6) & 1;
}

/* Probe, negotiate, rings, DRIVER_OK, one frame, reset; some cut short. */
static void bring_up(Run *r, GRand *rng, unsigned conn, bool full)
{
    QVirtioPCI *d = &r->dev;
    QVirtQueue *vq[4] = { NULL };
    unsigned nq = 2;
    static const unsigned qsizes[] = { 64, 256, 1024 };

    d->alloc = r->alloc0;
    step("connection %u: bring-up %u: negotiate", conn, bringups + 1);
    uint64_t offered = qvirtio_get_features(d);
    uint64_t want = F(VIRTIO_F_VERSION_1) | F(NET_F_STATUS) | F(NET_F_MAC);
    if (!full && rand_int(rng, 0, 2)) {
        want |= F(NET_F_MRG_RXBUF) | F(VIRTIO_F_EVENT_IDX);
    }
    if (!full && rand_int(rng, 0, 2)) {
        want |= F(VIRTIO_F_INDIRECT_DESC) | F(NET_F_MTU);
    }
    if (!full && !rand_int(rng, 0, 8)) {
        want = rand_u64(rng) | F(VIRTIO_F_VERSION_1);   /* a wild driver */
    }
    bringups++;
    if (!qvirtio_negotiate(d, want & offered)) {
        qvirtio_reset(d);
        return;
    }
    unsigned size = qsizes[rand_int(rng, 0, 3)];
    for (unsigned i = 0; i < nq; i++) {
        step("connection %u: bring-up %u: queue %u size %u", conn, bringups,
             i, size);
        vq[i] = qvirtqueue_setup(d, i, size, VIRTIO_MSI_NO_VECTOR);
    }
    if (full || rand_int(rng, 0, 8)) {
        step("connection %u: bring-up %u: DRIVER_OK", conn, bringups);
        qvirtio_set_status(d, qvirtio_get_status(d) |
                           VIRTIO_STATUS_DRIVER_OK);
        uint8_t frame[NET_HDR + 64];
        memset(frame, 0, sizeof(frame));
        memset(frame + NET_HDR, 0xff, 6);
        frame[NET_HDR + 12] = 0x08;
        uint64_t buf = guest_alloc(&d->alloc, sizeof(frame), 64);
        step("connection %u: bring-up %u: tx a frame", conn, bringups);
        qtest_memwrite(r->qts, buf, frame, sizeof(frame));
        QVirtBuf b = { buf, sizeof(frame), false };
        qvirtqueue_add(vq[1], &b, 1, rand_int(rng, 0, 4) == 0 &&
                       (want & offered & F(VIRTIO_F_INDIRECT_DESC)));
        qvirtqueue_kick(vq[1]);
        for (unsigned i = rand_int(rng, 0, 4); i; i--) {
            link_up(r);
        }
    }
    step("connection %u: bring-up %u: reset", conn, bringups);
    if (!full && rand_int(rng, 0, 6)) {
        qvirtio_reset(d);
    }
    for (unsigned i = 0; i < nq; i++) {
        g_free(vq[i]);
    }
}

typedef struct FdWait {
    Run *r;
    unsigned now;
} FdWait;

static bool fds_back(QTestState *s, void *opaque)
{
    FdWait *w = opaque;
    w->now = fd_count(w->r->pid);
    return w->now <= w->r->baseline_fds;
}

static bool conn_over(QTestState *s, void *opaque)
{
    return conn_is(opaque, &((Conn *)opaque)->over);
}

static bool conn_up(QTestState *s, void *opaque)
{
    Conn *c = opaque;
    return conn_is(c, &c->over) || conn_is(c, &c->established);
}

static bool link_is_up(QTestState *s, void *opaque)
{
    return link_up(opaque);
}

/* One back-end connection: its plan, the guest's bring-ups, the checks. */
static void one_connection(Run *r, GRand *rng, bool scripted)
{
    Conn c = { .fd = -1, .backend_fd = -1, .listen_fd = -1 };
    gint64 t0 = g_get_monotonic_time();
    static const unsigned rates[] = { 0, 0, 10, 50, 200, 1000 };

    c.id = ++connections;
    c.we_connect = r->vmu_server;
    c.path = r->path;
    c.rng = g_rand_new_with_seed(g_rand_int(rng));
    c.rate = rates[rand_int(rng, 0, G_N_ELEMENTS(rates))];
    /* One mutation at a chosen depth reaches states a steady rate does
     * not; a clean connection now and then lets bring-up finish. */
    c.mutate_at = rand_int(rng, 0, 6) ? rand_int(rng, 1, 80) : 0;
    /* Sometimes go away at a moment (the guest mid bring-up, rings live). */
    c.close_after_ms = rand_int(rng, 0, 4) ? 0 : rand_int(rng, 1, 400);
    c.features = F(VIRTIO_F_VERSION_1) | F(NET_F_MRG_RXBUF) |
                 F(VIRTIO_F_EVENT_IDX) | F(VIRTIO_F_INDIRECT_DESC) |
                 F(VHOST_USER_F_PROTOCOL_FEATURES) | F(NET_F_MQ) |
                 F(NET_F_MTU) | F(NET_F_STATUS);
    c.protocol = (rand_u64(rng) & (F(VHOST_USER_PROTOCOL_F_MAX) - 1)) |
                 F(VHOST_USER_PROTOCOL_F_MQ) |
                 F(VHOST_USER_PROTOCOL_F_REPLY_ACK);
    if (rand_int(rng, 0, 2)) {
        c.protocol |= F(VHOST_USER_PROTOCOL_F_BACKEND_REQ) |
                      F(VHOST_USER_PROTOCOL_F_HOST_NOTIFIER) |
                      F(VHOST_USER_PROTOCOL_F_BACKEND_SEND_FD);
    }
    if (!rand_int(rng, 0, 6)) {
        c.features = rand_u64(rng);     /* garbage feature bits */
    }
    if (!rand_int(rng, 0, 6)) {
        c.protocol = rand_u64(rng);     /* garbage protocol bits */
    }
    static const uint64_t queue_nums[] = { 1, 2, 0, 1000, ~0ULL, 32, 33 };
    c.queues = rand_int(rng, 0, 3) ? r->queues :
               queue_nums[rand_int(rng, 0, G_N_ELEMENTS(queue_nums))];
    c.slots = rand_int(rng, 0, 4) ? 8 : rand_u64(rng) % 64;
    if (scripted) {
        /* A clean back-end that refuses to enable a ring once. */
        c.rate = c.mutate_at = c.close_after_ms = 0;
        c.nack_enable = c.scripted = true;
        c.features = F(VIRTIO_F_VERSION_1) | F(NET_F_MRG_RXBUF) |
                     F(VIRTIO_F_EVENT_IDX) | F(VIRTIO_F_INDIRECT_DESC) |
                     F(VHOST_USER_F_PROTOCOL_FEATURES) | F(NET_F_MQ) |
                     F(NET_F_MTU) | F(NET_F_STATUS);
        c.protocol = F(VHOST_USER_PROTOCOL_F_MQ) |
                     F(VHOST_USER_PROTOCOL_F_REPLY_ACK);
        c.queues = r->queues;
    }
    g_mutex_init(&c.lock);
    if (pipe2(c.wake, O_CLOEXEC) < 0) {
        fuzz_fail("pipe: %s", strerror(errno));
    }
    if (!r->vmu_server) {
        c.listen_fd = unix_listen(r->path);
    }
    snprintf(fuzz_mutation, sizeof(fuzz_mutation), "connection %u: none yet "
             "(rate %u/1000, at %u, features 0x%" G_GINT64_MODIFIER "x, protocol 0x%"
             G_GINT64_MODIFIER "x, queues %" G_GINT64_MODIFIER "u)", c.id,
             c.rate, c.mutate_at, c.features, c.protocol, c.queues);
    c.thread = g_thread_new("backend", conn_thread, &c);

    step("connection %u: waiting for vmu to %s", c.id,
         r->vmu_server ? "accept" : "connect");
    qtest_wait_until(r->qts, conn_up, &c, SETTLE_MS + 1000);
    if (conn_is(&c, &c.never_connected)) {
        fuzz_fail("vmu did not %s the back-end's connection within %u ms",
                  r->vmu_server ? "accept" : "make", SETTLE_MS);
    }
    if (scripted) {
        /*
         * The rings fail to start: vmu must give up on this connection
         * itself and retry (it once kept it for good, the drop unarmed).
         */
        step("connection %u (scripted): waiting for the link with a clean "
             "back-end", c.id);
        if (!qtest_wait_until(r->qts, link_is_up, r, SETTLE_MS)) {
            fuzz_fail("the link did not come up within %u ms with a "
                      "back-end that answers everything right", SETTLE_MS);
        }
        bring_up(r, rng, c.id, true);
        step("connection %u (scripted): SET_VRING_ENABLE refused; waiting "
             "for vmu to drop the connection", c.id);
        if (!qtest_wait_until(r->qts, conn_over, &c, SETTLE_MS)) {
            fuzz_fail("vmu kept the connection %u ms after the back-end "
                      "refused to enable a ring at DRIVER_OK; it must drop "
                      "it and retry", SETTLE_MS);
        }
    }
    /* Let the handshake get somewhere before the driver starts. */
    qtest_wait_until(r->qts, link_is_up, r, rand_int(rng, 0, 4) ?
                     rand_int(rng, 0, 300) : rand_int(rng, 0, 1500));
    for (unsigned n = scripted ? 0 : rand_int(rng, 1, 4); n; n--) {
        bring_up(r, rng, c.id, false);
        check_latency(r);
        if (conn_is(&c, &c.over)) {
            break;
        }
    }
    step("connection %u: closing it", c.id);
    if (write(c.wake[1], "x", 1) != 1) {
        fuzz_fail("cannot wake the back-end thread");
    }
    qtest_wait_until(r->qts, conn_over, &c, SETTLE_MS);
    g_thread_join(c.thread);
    if (!rand_int(rng, 0, 2)) {
        /* Sometimes the device stays live past the loss, reset later. */
        qvirtio_reset(&r->dev);
    }
    qvirtio_reset(&r->dev);
    FdWait w = { r, 0 };
    step("connection %u: closed; waiting for vmu's fds to return to %u", c.id,
         r->baseline_fds);
    if (!qtest_wait_until(r->qts, fds_back, &w, SETTLE_MS)) {
        fuzz_fail("vmu holds %u fds %u ms after back-end connection %u "
                  "closed, %u before it (fd leak)", w.now, SETTLE_MS, c.id,
                  r->baseline_fds);
    }
    check_latency(r);
    check_log(r);
    close(c.wake[0]);
    close(c.wake[1]);
    if (c.listen_fd >= 0) {
        close(c.listen_fd);
        unlink(r->path);
    }
    if (g_getenv("FUZZ_VHOST_USER_VERBOSE")) {
        printf("fuzz-vhost-user: connection %u (%s): rate %u/1000, %u "
               "messages, %u mutated, %" G_GINT64_FORMAT " ms; %s\n", c.id,
               r->vmu_server ? "vmu server" : "vmu client", c.rate, c.msgs,
               c.mutations, (g_get_monotonic_time() - t0) / 1000,
               fuzz_mutation);
    }
    g_rand_free(c.rng);
    g_mutex_clear(&c.lock);
}

int main(int argc, char **argv)
{
    gint64 seed = -1;
    gint seconds = 5;
    GOptionEntry entries[] = {
        { "seed", 0, 0, G_OPTION_ARG_INT64, &seed, "seed (default: random)",
          "N" },
        { "seconds", 0, 0, G_OPTION_ARG_INT, &seconds, "time budget", "S" },
        { NULL, 0, 0, 0, NULL, NULL, NULL },
    };
    GOptionContext *ctx = g_option_context_new("- vmu against a hostile "
                                               "vhost-user back-end");
    GError *err = NULL;
    g_option_context_add_main_entries(ctx, entries, NULL);
    if (!g_option_context_parse(ctx, &argc, &argv, &err)) {
        fprintf(stderr, "fuzz-vhost-user: %s\n", err->message);
        return 2;
    }
    g_option_context_free(ctx);
    fuzz_seed = seed >= 0 ? (guint32)seed : g_random_int();
    fuzz_seconds = seconds > 0 ? seconds : 1;
    snprintf(fuzz_replay, sizeof(fuzz_replay),
             "QTEST_VMU_BINARY=%s %s --seed %u --seconds %u",
             g_getenv("QTEST_VMU_BINARY") ? g_getenv("QTEST_VMU_BINARY") :
             "vmu", argv[0], fuzz_seed, fuzz_seconds);
    printf("fuzz-vhost-user: seed %u\n", fuzz_seed);
    fflush(stdout);
    signal(SIGABRT, fuzz_on_abort);
    signal(SIGTRAP, fuzz_on_abort);
    signal(SIGPIPE, SIG_IGN);

    GRand *rng = g_rand_new_with_seed(fuzz_seed);
    gint64 end = g_get_monotonic_time() + fuzz_seconds * G_USEC_PER_SEC;
    fuzz_deadline = end;
    while (g_get_monotonic_time() < end) {
        Run r;
        run_start(&r, rng);
        for (unsigned i = 0; i < CONNS_PER_VMU &&
             g_get_monotonic_time() < end; i++) {
            one_connection(&r, rng, i == 0);
        }
        run_stop(&r);
    }
    g_rand_free(rng);
    printf("fuzz-vhost-user: %u connections got to the memory table, %u to "
           "SET_VRING_KICK; %u back-end channel messages\n", depth_mem_table,
           depth_kick, backend_msgs);
    printf("fuzz-vhost-user: %u connections, %u bring-ups, 0 failures "
           "(worst qtest answer %u ms)\n", connections, bringups, worst_ms);
    return 0;
}
