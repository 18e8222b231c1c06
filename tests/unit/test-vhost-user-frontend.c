/*
 * The vhost-user front-end against an in-process test back-end on a real
 * UNIX socket: the handshake, the memory table (the fds map to the same
 * bytes), the start/stop sequence, REPLY_ACK, a back-end without protocol
 * features, the back-end channel, and back-ends that answer wrongly: each
 * gives one error naming the socket, and no fd leaks.
 */
#include <dirent.h>
#include <errno.h>
#include <glib.h>
#include <glib/gstdio.h>
#include <poll.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <linux/virtio_config.h>
#include <linux/virtio_net.h>
#include <linux/virtio_ring.h>

#include "hw/virtio/vhost-user.h"
#include "hw/virtio/vhost.h"
#include "util/fdpass.h"

#define F_PROTO (1ULL << VHOST_USER_F_PROTOCOL_FEATURES)
#define P(bit) (1ULL << VHOST_USER_PROTOCOL_F_##bit)
#define NET_FEATURES ((1ULL << VIRTIO_F_VERSION_1) | \
                      (1ULL << VIRTIO_NET_F_MRG_RXBUF) | \
                      (1ULL << VIRTIO_NET_F_CSUM))

typedef enum Misbehave {
    GOOD,
    WRONG_CODE,
    WRONG_SIZE,
    NO_REPLY_FLAG,
    TOO_MANY_FDS,
    SOME_FDS,
    CLOSE_MID,
    SILENT,
    NACK,
} Misbehave;

typedef struct LogEntry {
    uint32_t request;
    uint32_t flags;
    uint64_t u64;
    unsigned nfds;
} LogEntry;

typedef struct TestBackend {
    char *path;
    int listen_fd;
    GThread *thread;
    uint64_t features;
    uint64_t protocol;
    uint64_t queues;
    Misbehave bad;              /* how to answer 'bad_request' */
    uint32_t bad_request;
    unsigned vring_base;        /* GET_VRING_BASE answer */
    /* results, read after the thread is joined */
    GArray *log;
    bool mem_ok;                /* every region's fd mapped to hva's bytes */
    unsigned mem_regions;
    int backend_req_fd;
} TestBackend;

static char *tmpdir;

static int count_fds(void)
{
    int n = 0;
    DIR *d = opendir("/proc/self/fd");
    while (readdir(d)) {
        n++;
    }
    closedir(d);
    return n;
}

static void reply(int fd, const VhostUserHeader *req, const void *payload,
                  uint32_t size)
{
    VhostUserHeader h;
    vhost_user_reply_header(&h, req, size);
    g_assert_cmpint(fdpass_send_msg(fd, &h, payload, NULL, 0, NULL), ==, 0);
}

static void check_region(TestBackend *tb, const VhostUserMemRegion *r, int fd)
{
    void *p = mmap(NULL, r->memory_size, PROT_READ, MAP_SHARED, fd,
                   r->mmap_offset);
    if (p == MAP_FAILED ||
        memcmp(p, (void *)(uintptr_t)r->userspace_addr, r->memory_size)) {
        tb->mem_ok = false;
    }
    if (p != MAP_FAILED) {
        munmap(p, r->memory_size);
    }
    tb->mem_regions++;
}

/* Answer the way the test asked; false: stop serving. */
static bool misbehave(TestBackend *tb, int fd, VhostUserHeader *h)
{
    uint64_t v = tb->features;
    VhostUserHeader r;

    switch (tb->bad) {
    case WRONG_CODE:
        vhost_user_reply_header(&r, h, 8);
        r.request = h->request + 1;
        fdpass_send_msg(fd, &r, &v, NULL, 0, NULL);
        return true;
    case WRONG_SIZE:
        vhost_user_reply_header(&r, h, 4);
        fdpass_send_msg(fd, &r, &v, NULL, 0, NULL);
        return true;
    case NO_REPLY_FLAG:
        vhost_user_reply_header(&r, h, 8);
        r.flags = VHOST_USER_VERSION;
        fdpass_send_msg(fd, &r, &v, NULL, 0, NULL);
        return true;
    case TOO_MANY_FDS:
    case SOME_FDS: {
        /* Raw sendmsg: more fds than any message may carry. */
        int n = tb->bad == TOO_MANY_FDS ? 12 : 2;
        int fds[12];
        char cbuf[CMSG_SPACE(sizeof(fds))];
        struct {
            VhostUserHeader h;
            uint64_t v;
        } msg;
        struct iovec iov = { &msg, sizeof(msg) };
        struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1,
                             .msg_control = cbuf,
                             .msg_controllen = CMSG_SPACE(n * sizeof(int)) };
        struct cmsghdr *c = CMSG_FIRSTHDR(&mh);
        for (int i = 0; i < n; i++) {
            fds[i] = eventfd(0, EFD_CLOEXEC);
        }
        vhost_user_reply_header(&msg.h, h, 8);
        msg.v = v;
        c->cmsg_level = SOL_SOCKET;
        c->cmsg_type = SCM_RIGHTS;
        c->cmsg_len = CMSG_LEN(n * sizeof(int));
        memcpy(CMSG_DATA(c), fds, n * sizeof(int));
        g_assert_cmpint(sendmsg(fd, &mh, 0), ==, sizeof(msg));
        for (int i = 0; i < n; i++) {
            close(fds[i]);
        }
        return true;
    }
    case CLOSE_MID:
        vhost_user_reply_header(&r, h, 8);
        g_assert_cmpint(write(fd, &r, 6), ==, 6);
        return false;
    case SILENT: {
        /* Silent until the front-end gives up and hangs up (bounded): a
         * fixed pause could end before a descheduled front-end's timer. */
        struct pollfd pfd = { .fd = fd, .events = POLLIN };
        char byte;
        while (poll(&pfd, 1, 30000) > 0 && read(fd, &byte, 1) > 0) {
        }
        return false;
    }
    case NACK:
        v = 1;
        reply(fd, h, &v, 8);
        return true;
    case GOOD:
        break;
    }
    return true;
}

static gpointer backend_thread(gpointer opaque)
{
    TestBackend *tb = opaque;
    int fd = accept4(tb->listen_fd, NULL, NULL, SOCK_CLOEXEC);
    VhostUserMsg m;
    int fds[FDPASS_MAX_FDS];
    size_t nfds;

    g_assert_cmpint(fd, >=, 0);
    while (fdpass_recv_msg(fd, &m.hdr, &m.payload, VHOST_USER_PAYLOAD_MAX,
                           fds, &nfds, 10000, NULL) == 1) {
        LogEntry e = { m.hdr.request, m.hdr.flags,
                       m.hdr.size >= 8 ? m.payload.u64 : 0, nfds };
        uint64_t v = 0;
        bool need_reply = m.hdr.flags & VHOST_USER_NEED_REPLY_MASK;

        g_array_append_val(tb->log, e);
        if (tb->bad != GOOD && m.hdr.request == tb->bad_request) {
            fdpass_close_fds(fds, nfds);
            if (!misbehave(tb, fd, &m.hdr)) {
                break;
            }
            continue;
        }
        switch (m.hdr.request) {
        case VHOST_USER_GET_FEATURES:
            reply(fd, &m.hdr, &tb->features, 8);
            break;
        case VHOST_USER_GET_PROTOCOL_FEATURES:
            reply(fd, &m.hdr, &tb->protocol, 8);
            break;
        case VHOST_USER_GET_QUEUE_NUM:
            reply(fd, &m.hdr, &tb->queues, 8);
            break;
        case VHOST_USER_GET_MAX_MEM_SLOTS:
            v = 16;
            reply(fd, &m.hdr, &v, 8);
            break;
        case VHOST_USER_GET_STATUS:
            reply(fd, &m.hdr, &v, 8);
            break;
        case VHOST_USER_GET_VRING_BASE: {
            VhostUserVringState s = { m.payload.state.index, tb->vring_base };
            reply(fd, &m.hdr, &s, sizeof(s));
            break;
        }
        case VHOST_USER_SET_MEM_TABLE:
            for (unsigned i = 0; i < m.payload.memory.nregions; i++) {
                check_region(tb, &m.payload.memory.regions[i], fds[i]);
            }
            break;
        case VHOST_USER_ADD_MEM_REG:
            check_region(tb, &m.payload.memreg.region, fds[0]);
            break;
        case VHOST_USER_SET_BACKEND_REQ_FD:
            tb->backend_req_fd = fds[0];
            fds[0] = -1;
            break;
        }
        fdpass_close_fds(fds, nfds);
        if (need_reply) {
            v = 0;
            reply(fd, &m.hdr, &v, 8);
        }
    }
    close(fd);
    return NULL;
}

static TestBackend *backend_start(const char *name, uint64_t features,
                                  uint64_t protocol)
{
    TestBackend *tb = g_new0(TestBackend, 1);
    struct sockaddr_un sa = { .sun_family = AF_UNIX };

    tb->path = g_build_filename(tmpdir, name, NULL);
    tb->features = features;
    tb->protocol = protocol;
    tb->queues = 2;
    tb->mem_ok = true;
    tb->backend_req_fd = -1;
    tb->log = g_array_new(FALSE, TRUE, sizeof(LogEntry));
    tb->listen_fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    g_strlcpy(sa.sun_path, tb->path, sizeof(sa.sun_path));
    unlink(tb->path);
    g_assert_cmpint(bind(tb->listen_fd, (struct sockaddr *)&sa, sizeof(sa)),
                    ==, 0);
    g_assert_cmpint(listen(tb->listen_fd, 1), ==, 0);
    return tb;
}

static void backend_run(TestBackend *tb)
{
    tb->thread = g_thread_new("backend", backend_thread, tb);
}

static int frontend_connect(TestBackend *tb)
{
    struct sockaddr_un sa = { .sun_family = AF_UNIX };
    int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
    g_strlcpy(sa.sun_path, tb->path, sizeof(sa.sun_path));
    g_assert_cmpint(connect(fd, (struct sockaddr *)&sa, sizeof(sa)), ==, 0);
    return fd;
}

static void backend_join(TestBackend *tb)
{
    g_thread_join(tb->thread);
    close(tb->listen_fd);
    if (tb->backend_req_fd >= 0) {
        close(tb->backend_req_fd);
    }
    unlink(tb->path);
}

static void backend_free(TestBackend *tb)
{
    g_array_free(tb->log, TRUE);
    g_free(tb->path);
    g_free(tb);
}

static GString *log_names(TestBackend *tb)
{
    GString *s = g_string_new(NULL);
    for (unsigned i = 0; i < tb->log->len; i++) {
        LogEntry *e = &g_array_index(tb->log, LogEntry, i);
        g_string_append_printf(s, "%s%s%s", i ? " " : "",
                               vhost_user_request_name(e->request),
                               e->flags & VHOST_USER_NEED_REPLY_MASK ? "!" :
                               "");
    }
    return s;
}

static void assert_log(TestBackend *tb, const char *want)
{
    GString *s = log_names(tb);
    g_assert_cmpstr(s->str, ==, want);
    g_string_free(s, TRUE);
}

static LogEntry *log_find(TestBackend *tb, uint32_t request)
{
    for (unsigned i = 0; i < tb->log->len; i++) {
        LogEntry *e = &g_array_index(tb->log, LogEntry, i);
        if (e->request == request) {
            return e;
        }
    }
    return NULL;
}

static void test_handshake_full(void)
{
    int before = count_fds();
    TestBackend *tb = backend_start("full.sock", NET_FEATURES | F_PROTO,
                                    P(MQ) | P(LOG_SHMFD) | P(REPLY_ACK) |
                                    P(NET_MTU) | P(BACKEND_REQ) | P(STATUS) |
                                    P(CRYPTO_SESSION));
    Error *err = NULL;
    backend_run(tb);
    int fd = frontend_connect(tb);
    VhostUser *u = vhost_user_new(fd, tb->path);

    g_assert_true(vhost_user_handshake(u, VHOST_USER_FRONTEND_PROTOCOL_FEATURES,
                                       &err));
    g_assert_null(err);
    g_assert_cmphex(u->features, ==, NET_FEATURES | F_PROTO);
    g_assert_cmphex(u->protocol_features, ==, P(MQ) | P(REPLY_ACK) |
                    P(NET_MTU) | P(BACKEND_REQ) | P(STATUS));
    g_assert_cmpuint(u->queue_num, ==, 2);
    g_assert_true(vhost_user_net_set_mtu(u, 1500, &err));
    g_assert_true(vhost_user_set_vring_enable(u, 0, true, &err));
    vhost_user_free(u);
    close(fd);
    backend_join(tb);
    assert_log(tb, "GET_FEATURES GET_PROTOCOL_FEATURES SET_PROTOCOL_FEATURES "
               "GET_QUEUE_NUM SET_BACKEND_REQ_FD! SET_OWNER NET_SET_MTU! "
               "SET_VRING_ENABLE!");
    g_assert_cmpuint(log_find(tb, VHOST_USER_SET_BACKEND_REQ_FD)->nfds, ==, 1);
    g_assert_cmpint(count_fds(), ==, before);
    backend_free(tb);
}

static void test_no_protocol_features(void)
{
    /* Snabb: no bit 30, so no protocol messages and no SET_VRING_ENABLE. */
    TestBackend *tb = backend_start("snabb.sock", NET_FEATURES, 0);
    Error *err = NULL;
    backend_run(tb);
    int fd = frontend_connect(tb);
    VhostUser *u = vhost_user_new(fd, tb->path);

    g_assert_true(vhost_user_handshake(u, VHOST_USER_FRONTEND_PROTOCOL_FEATURES,
                                       &err));
    g_assert_cmphex(u->protocol_features, ==, 0);
    g_assert_cmpuint(u->queue_num, ==, 1);
    g_assert_true(vhost_user_set_vring_enable(u, 0, true, &err));
    g_assert_true(vhost_user_set_status(u, 0xf, &err));
    g_assert_true(vhost_user_net_set_mtu(u, 1500, &err));
    g_assert_true(vhost_user_set_features(u, NET_FEATURES, &err));
    g_assert_null(err);
    vhost_user_free(u);
    close(fd);
    backend_join(tb);
    assert_log(tb, "GET_FEATURES SET_OWNER SET_FEATURES");
    g_assert_cmphex(log_find(tb, VHOST_USER_SET_FEATURES)->u64, ==,
                    NET_FEATURES);
    backend_free(tb);
}

static void test_some_protocol_features(void)
{
    /* VPP: MQ and LOG_SHMFD only; enable is made synchronous by a
     * GET_FEATURES barrier since there is no REPLY_ACK. */
    TestBackend *tb = backend_start("vpp.sock", NET_FEATURES | F_PROTO,
                                    P(MQ) | P(LOG_SHMFD));
    Error *err = NULL;
    backend_run(tb);
    int fd = frontend_connect(tb);
    VhostUser *u = vhost_user_new(fd, tb->path);

    g_assert_true(vhost_user_handshake(u, VHOST_USER_FRONTEND_PROTOCOL_FEATURES,
                                       &err));
    g_assert_cmphex(u->protocol_features, ==, P(MQ));
    g_assert_true(vhost_user_set_vring_enable(u, 1, true, &err));
    g_assert_true(vhost_user_set_features(u, NET_FEATURES, &err));
    g_assert_null(err);
    vhost_user_free(u);
    close(fd);
    backend_join(tb);
    assert_log(tb, "GET_FEATURES GET_PROTOCOL_FEATURES SET_PROTOCOL_FEATURES "
               "GET_QUEUE_NUM SET_OWNER SET_VRING_ENABLE GET_FEATURES "
               "SET_FEATURES");
    g_assert_cmphex(log_find(tb, VHOST_USER_SET_FEATURES)->u64, ==,
                    NET_FEATURES | F_PROTO);
    g_assert_cmphex(log_find(tb, VHOST_USER_SET_PROTOCOL_FEATURES)->u64, ==,
                    P(MQ));
    backend_free(tb);
}

/* Guest RAM of the test: a memfd in two ranges, as a PC has. */
typedef struct TestRam {
    int fd;
    uint8_t *hva;
    size_t size;
    RAMRange ranges[2];
} TestRam;

static void ram_init(TestRam *ram, size_t size)
{
    ram->size = size;
    ram->fd = memfd_create("test-ram", MFD_CLOEXEC);
    g_assert_cmpint(ftruncate(ram->fd, size), ==, 0);
    ram->hva = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED, ram->fd, 0);
    for (size_t i = 0; i < size; i++) {
        ram->hva[i] = (uint8_t)(i * 7 + (i >> 12));
    }
    ram->ranges[0] = (RAMRange){ 0, size / 2, ram->hva, ram->fd, 0, NULL };
    ram->ranges[1] = (RAMRange){ 0x100000000ULL, size / 2,
                                 ram->hva + size / 2, ram->fd, size / 2,
                                 NULL };
}

static void ram_free(TestRam *ram)
{
    munmap(ram->hva, ram->size);
    close(ram->fd);
}

static void test_mem_table(void)
{
    TestBackend *tb = backend_start("mem.sock", NET_FEATURES | F_PROTO,
                                    P(REPLY_ACK));
    Error *err = NULL;
    TestRam ram;
    RAMRange priv;

    ram_init(&ram, 1 << 20);
    backend_run(tb);
    int fd = frontend_connect(tb);
    VhostUser *u = vhost_user_new(fd, tb->path);
    g_assert_true(vhost_user_handshake(u, VHOST_USER_FRONTEND_PROTOCOL_FEATURES,
                                       &err));
    g_assert_true(vhost_user_set_mem_table(u, ram.ranges, 2, &err));
    g_assert_null(err);

    /* private memory without an fd is refused before anything is sent */
    priv = ram.ranges[0];
    priv.fd = -1;
    g_assert_false(vhost_user_set_mem_table(u, &priv, 1, &err));
    g_assert_nonnull(strstr(error_get_pretty(err), tb->path));
    g_assert_nonnull(strstr(error_get_pretty(err), "private memory"));
    g_assert_nonnull(strstr(error_get_hint(err), "share=on"));
    error_free(err);
    err = NULL;
    /* more than 8 regions without CONFIGURE_MEM_SLOTS */
    RAMRange many[9];
    for (int i = 0; i < 9; i++) {
        many[i] = ram.ranges[0];
    }
    g_assert_false(vhost_user_set_mem_table(u, many, 9, &err));
    g_assert_nonnull(strstr(error_get_pretty(err), "at most 8"));
    error_free(err);

    vhost_user_free(u);
    close(fd);
    backend_join(tb);
    assert_log(tb, "GET_FEATURES GET_PROTOCOL_FEATURES SET_PROTOCOL_FEATURES "
               "SET_OWNER SET_MEM_TABLE!");
    g_assert_cmpuint(log_find(tb, VHOST_USER_SET_MEM_TABLE)->nfds, ==, 2);
    g_assert_cmpuint(tb->mem_regions, ==, 2);
    g_assert_true(tb->mem_ok);
    ram_free(&ram);
    backend_free(tb);
}

static void test_mem_slots(void)
{
    TestBackend *tb = backend_start("slots.sock", NET_FEATURES | F_PROTO,
                                    P(REPLY_ACK) | P(CONFIGURE_MEM_SLOTS));
    Error *err = NULL;
    TestRam ram;

    ram_init(&ram, 1 << 20);
    backend_run(tb);
    int fd = frontend_connect(tb);
    VhostUser *u = vhost_user_new(fd, tb->path);
    g_assert_true(vhost_user_handshake(u, VHOST_USER_FRONTEND_PROTOCOL_FEATURES,
                                       &err));
    g_assert_cmpuint(u->max_mem_slots, ==, 16);
    g_assert_true(vhost_user_set_mem_table(u, ram.ranges, 2, &err));
    /* the same table again sends nothing; a smaller one removes a slot */
    g_assert_true(vhost_user_set_mem_table(u, ram.ranges, 2, &err));
    g_assert_true(vhost_user_set_mem_table(u, ram.ranges, 1, &err));
    g_assert_null(err);
    vhost_user_free(u);
    close(fd);
    backend_join(tb);
    assert_log(tb, "GET_FEATURES GET_PROTOCOL_FEATURES SET_PROTOCOL_FEATURES "
               "GET_MAX_MEM_SLOTS SET_OWNER ADD_MEM_REG! ADD_MEM_REG! "
               "REM_MEM_REG!");
    g_assert_true(tb->mem_ok);
    g_assert_cmpuint(tb->mem_regions, ==, 2);
    ram_free(&ram);
    backend_free(tb);
}

static void test_dev_start_stop(void)
{
    int before = count_fds();
    TestBackend *tb = backend_start("dev.sock", NET_FEATURES | F_PROTO,
                                    P(REPLY_ACK) | P(STATUS));
    Error *err = NULL;
    TestRam ram;
    VhostRing rings[2];
    VhostDev dev;

    ram_init(&ram, 1 << 20);
    for (int i = 0; i < 2; i++) {
        rings[i] = (VhostRing){ .num = 256, .desc = 0x10000 + i * 0x4000,
                                .avail = 0x11000 + i * 0x4000,
                                .used = 0x12000 + i * 0x4000,
                                .last_avail_idx = 7 * i,
                                .kick_fd = eventfd(0, EFD_CLOEXEC),
                                .call_fd = i ? -1 : eventfd(0, EFD_CLOEXEC) };
    }
    tb->vring_base = 42;
    backend_run(tb);
    int fd = frontend_connect(tb);
    VhostUser *u = vhost_user_new(fd, tb->path);
    g_assert_true(vhost_user_handshake(u, VHOST_USER_FRONTEND_PROTOCOL_FEATURES,
                                       &err));
    g_assert_true(vhost_dev_init(&dev, &vhost_user_backend_ops, u, "test",
                                 rings, 2, &err));
    vhost_dev_set_memory(&dev, ram.ranges, 2);
    /* MAC and STATUS are emulated by vmu, not sent to the back-end */
    g_assert_true(vhost_dev_start(&dev, NET_FEATURES |
                                  (1ULL << VIRTIO_NET_F_MAC) |
                                  (1ULL << VIRTIO_NET_F_STATUS), &err));
    g_assert_null(err);
    g_assert_true(dev.started);
    g_assert_true(vhost_dev_stop(&dev, &err));
    g_assert_cmpuint(rings[0].last_avail_idx, ==, 42);
    g_assert_cmpuint(rings[1].last_avail_idx, ==, 42);

    /* a ring outside guest RAM is refused, naming it */
    rings[1].used = 0x80000000ULL;
    g_assert_false(vhost_dev_start(&dev, NET_FEATURES, &err));
    g_assert_nonnull(strstr(error_get_pretty(err), "ring 1 lies outside"));
    error_free(err);
    err = NULL;
    rings[1].used = 0x12000 + 0x4000;

    /* the back-end goes away: resume from used->idx in guest memory */
    g_assert_true(vhost_dev_start(&dev, NET_FEATURES, &err));
    ((struct vring_used *)(ram.hva + rings[0].used))->idx = 99;
    ((struct vring_used *)(ram.hva + rings[1].used))->idx = 5;
    close(fd);
    u->fd = -1;
    g_assert_false(vhost_dev_stop(&dev, &err));
    g_assert_nonnull(strstr(error_get_pretty(err), tb->path));
    error_free(err);
    g_assert_cmpuint(rings[0].last_avail_idx, ==, 99);
    g_assert_cmpuint(rings[1].last_avail_idx, ==, 5);
    vhost_user_free(u);
    backend_join(tb);

    GString *s = log_names(tb);
    g_assert_true(g_str_has_prefix(s->str,
        "GET_FEATURES GET_PROTOCOL_FEATURES SET_PROTOCOL_FEATURES SET_OWNER "
        "GET_FEATURES SET_FEATURES SET_STATUS! SET_MEM_TABLE! "
        "SET_VRING_NUM SET_VRING_BASE SET_VRING_ADDR SET_VRING_KICK "
        "SET_VRING_CALL SET_VRING_ENABLE! "
        "SET_VRING_NUM SET_VRING_BASE SET_VRING_ADDR SET_VRING_KICK "
        "SET_VRING_CALL SET_VRING_ENABLE! SET_STATUS! "
        "SET_STATUS! GET_VRING_BASE GET_VRING_BASE"));
    g_string_free(s, TRUE);
    LogEntry *sf = log_find(tb, VHOST_USER_SET_FEATURES);
    g_assert_cmphex(sf->u64, ==, NET_FEATURES | F_PROTO);
    /* ring 1 has no call fd: NOFD bit, no fd attached */
    for (unsigned i = 0; i < tb->log->len; i++) {
        LogEntry *e = &g_array_index(tb->log, LogEntry, i);
        if (e->request == VHOST_USER_SET_VRING_CALL && (e->u64 & 0xff) == 1) {
            g_assert_cmphex(e->u64, ==, 1 | VHOST_USER_VRING_NOFD_MASK);
            g_assert_cmpuint(e->nfds, ==, 0);
        }
    }
    for (int i = 0; i < 2; i++) {
        close(rings[i].kick_fd);
        if (rings[i].call_fd >= 0) {
            close(rings[i].call_fd);
        }
    }
    ram_free(&ram);
    g_assert_cmpint(count_fds(), ==, before);
    backend_free(tb);
}

static void test_reply_ack_refused(void)
{
    TestBackend *tb = backend_start("nack.sock", NET_FEATURES | F_PROTO,
                                    P(REPLY_ACK));
    Error *err = NULL;
    tb->bad = NACK;
    tb->bad_request = VHOST_USER_SET_VRING_ENABLE;
    backend_run(tb);
    int fd = frontend_connect(tb);
    VhostUser *u = vhost_user_new(fd, tb->path);
    g_assert_true(vhost_user_handshake(u, VHOST_USER_FRONTEND_PROTOCOL_FEATURES,
                                       &err));
    g_assert_false(vhost_user_set_vring_enable(u, 0, true, &err));
    g_autofree char *want = g_strdup_printf("vhost-user back-end %s refused "
                                            "SET_VRING_ENABLE (status 1)",
                                            tb->path);
    g_assert_cmpstr(error_get_pretty(err), ==, want);
    error_free(err);
    err = NULL;
    /* a refusal does not break the connection */
    g_assert_true(vhost_user_set_owner(u, &err));
    vhost_user_free(u);
    close(fd);
    backend_join(tb);
    backend_free(tb);
}

typedef struct BadCase {
    const char *name;
    Misbehave bad;
    const char *msg;
} BadCase;

static void test_bad_backend(gconstpointer data)
{
    const BadCase *c = data;
    g_autofree char *sock = g_strdup_printf("%s.sock", c->name);
    int before = count_fds();
    TestBackend *tb = backend_start(sock, NET_FEATURES | F_PROTO, 0);
    Error *err = NULL;

    tb->bad = c->bad;
    tb->bad_request = VHOST_USER_GET_FEATURES;
    backend_run(tb);
    int fd = frontend_connect(tb);
    VhostUser *u = vhost_user_new(fd, tb->path);
    u->timeout_ms = 200;
    g_assert_false(vhost_user_handshake(u, 0, &err));
    g_assert_nonnull(err);
    g_test_message("%s: %s", c->name, error_get_pretty(err));
    g_assert_nonnull(strstr(error_get_pretty(err), tb->path));
    g_assert_nonnull(strstr(error_get_pretty(err), "GET_FEATURES"));
    g_assert_nonnull(strstr(error_get_pretty(err), c->msg));
    error_free(err);
    err = NULL;
    /* one error: later requests are not sent into a broken stream */
    g_assert_true(u->broken);
    g_assert_false(vhost_user_set_owner(u, &err));
    g_assert_nonnull(strstr(error_get_pretty(err), "failed earlier"));
    error_free(err);
    vhost_user_free(u);
    close(fd);
    backend_join(tb);
    g_assert_cmpint(count_fds(), ==, before);
    g_assert_cmpuint(tb->log->len, ==, 1);
    backend_free(tb);
}

static const BadCase bad_cases[] = {
    { "wrong-code", WRONG_CODE, "carries request code 2" },
    { "wrong-size", WRONG_SIZE, "is 4 bytes, expected 8" },
    { "no-reply-flag", NO_REPLY_FLAG, "lacks the REPLY flag" },
    { "too-many-fds", TOO_MANY_FDS, "more than 8 file descriptors" },
    { "unexpected-fds", SOME_FDS, "came with 2 file descriptors" },
    { "closes-mid-message", CLOSE_MID, "hung up in the middle" },
    { "never-answers", SILENT, "no answer to GET_FEATURES within 200 ms" },
};

static int config_changes;

static void on_config_change(void *opaque)
{
    config_changes++;
}

static const VhostUserBackendHandlers test_handlers = {
    .config_change = on_config_change,
};

static void test_backend_channel(void)
{
    TestBackend *tb = backend_start("chan.sock", NET_FEATURES | F_PROTO,
                                    P(REPLY_ACK) | P(BACKEND_REQ) |
                                    P(BACKEND_SEND_FD));
    Error *err = NULL;
    VhostUserMsg m, r;
    int fds[FDPASS_MAX_FDS];
    size_t nfds;
    int page = memfd_create("doorbell", MFD_CLOEXEC);

    g_assert_cmpint(ftruncate(page, 4096), ==, 0);
    g_assert_cmpint(pwrite(page, "ding", 4, 0), ==, 4);
    backend_run(tb);
    int fd = frontend_connect(tb);
    VhostUser *u = vhost_user_new(fd, tb->path);
    vhost_user_set_backend_handlers(u, &test_handlers, NULL);
    g_assert_true(vhost_user_handshake(u, VHOST_USER_FRONTEND_PROTOCOL_FEATURES,
                                       &err));
    /* the back-end thread stored its end of the channel; use it here */
    g_assert_true(vhost_user_set_owner(u, &err));
    g_assert_cmpint(tb->backend_req_fd, >=, 0);
    int bfd = tb->backend_req_fd;

    m.hdr = (VhostUserHeader){ VHOST_USER_BACKEND_CONFIG_CHANGE_MSG,
                               VHOST_USER_VERSION |
                               VHOST_USER_NEED_REPLY_MASK, 0 };
    g_assert_cmpint(fdpass_send_msg(bfd, &m.hdr, NULL, NULL, 0, NULL), ==, 0);
    while (!config_changes) {
        g_main_context_iteration(NULL, TRUE);
    }
    g_assert_cmpint(fdpass_recv_msg(bfd, &r.hdr, &r.payload,
                                    VHOST_USER_PAYLOAD_MAX, fds, &nfds, 2000,
                                    NULL), ==, 1);
    g_assert_true(vhost_user_check_reply(VHOST_USER_BACKEND_CONFIG_CHANGE_MSG,
                                         &r.hdr, r.hdr.size, NULL));
    g_assert_cmphex(r.payload.u64, ==, 0);

    /* vmu does not take host notifiers (HOST_NOTIFIER is not asked
     * for): refused with status 1, the page's fd not kept. */
    int before = count_fds();
    m.hdr = (VhostUserHeader){ VHOST_USER_BACKEND_VRING_HOST_NOTIFIER_MSG,
                               VHOST_USER_VERSION |
                               VHOST_USER_NEED_REPLY_MASK,
                               sizeof(VhostUserVringArea) };
    m.payload.area = (VhostUserVringArea){ 1, 4096, 0 };
    g_assert_cmpint(fdpass_send_msg(bfd, &m.hdr, &m.payload, &page, 1, NULL),
                    ==, 0);
    struct pollfd pfd = { bfd, POLLIN, 0 };
    while (poll(&pfd, 1, 0) == 0) {
        g_main_context_iteration(NULL, TRUE);
    }
    g_assert_cmpint(fdpass_recv_msg(bfd, &r.hdr, &r.payload,
                                    VHOST_USER_PAYLOAD_MAX, fds, &nfds, 2000,
                                    NULL), ==, 1);
    g_assert_cmphex(r.payload.u64, ==, 1);
    g_assert_cmpint(count_fds(), ==, before);
    close(page);

    vhost_user_free(u);
    close(fd);
    backend_join(tb);
    backend_free(tb);
}

/*
 * fuzz-vhost-user found it: a back-end-channel request that fails the
 * checks, asks for a reply, and whose sender has gone by the time vmu
 * answers.  The error of the check was freed and then reused for the
 * failed answer (use after free); vmu must instead close the channel and
 * keep the main connection working.
 */
static void test_backend_channel_bad_request_peer_gone(void)
{
    TestBackend *tb = backend_start("chan-gone.sock", NET_FEATURES | F_PROTO,
                                    P(REPLY_ACK) | P(BACKEND_REQ));
    Error *err = NULL;
    VhostUserMsg m;

    backend_run(tb);
    int fd = frontend_connect(tb);
    VhostUser *u = vhost_user_new(fd, tb->path);
    g_assert_true(vhost_user_handshake(u, VHOST_USER_FRONTEND_PROTOCOL_FEATURES,
                                       &err));
    g_assert_true(vhost_user_set_owner(u, &err));
    g_assert_cmpint(tb->backend_req_fd, >=, 0);

    /* version 2: refused by the checks; NEED_REPLY: vmu answers */
    m.hdr = (VhostUserHeader){ VHOST_USER_BACKEND_CONFIG_CHANGE_MSG,
                               2 | VHOST_USER_NEED_REPLY_MASK, 0 };
    g_assert_cmpint(fdpass_send_msg(tb->backend_req_fd, &m.hdr, NULL, NULL, 0,
                                    NULL), ==, 0);
    close(tb->backend_req_fd);
    tb->backend_req_fd = -1;
    for (unsigned i = 0; u->backend_fd >= 0 && i < 1000; i++) {
        g_main_context_iteration(NULL, TRUE);
    }
    g_assert_cmpint(u->backend_fd, ==, -1);
    g_assert_true(vhost_user_set_owner(u, &err));
    g_assert_null(err);

    vhost_user_free(u);
    close(fd);
    backend_join(tb);
    backend_free(tb);
}

int main(int argc, char **argv)
{
    int r;

    g_test_init(&argc, &argv, NULL);
    tmpdir = g_dir_make_tmp("vmu-vu-fe-XXXXXX", NULL);
    g_test_add_func("/vhost-user/handshake/full", test_handshake_full);
    g_test_add_func("/vhost-user/handshake/no-protocol-features",
                    test_no_protocol_features);
    g_test_add_func("/vhost-user/handshake/some-protocol-features",
                    test_some_protocol_features);
    g_test_add_func("/vhost-user/mem-table/fds-map-same-bytes",
                    test_mem_table);
    g_test_add_func("/vhost-user/mem-table/configure-mem-slots",
                    test_mem_slots);
    g_test_add_func("/vhost-user/vhost-dev/start-stop-resume",
                    test_dev_start_stop);
    g_test_add_func("/vhost-user/reply-ack/refused", test_reply_ack_refused);
    g_test_add_func("/vhost-user/backend-channel", test_backend_channel);
    g_test_add_func("/vhost-user/backend-channel/bad-request-peer-gone",
                    test_backend_channel_bad_request_peer_gone);
    for (unsigned i = 0; i < G_N_ELEMENTS(bad_cases); i++) {
        g_autofree char *name = g_strdup_printf("/vhost-user/bad-backend/%s",
                                                bad_cases[i].name);
        g_test_add_data_func(name, &bad_cases[i], test_bad_backend);
    }
    r = g_test_run();
    g_rmdir(tmpdir);
    return r;
}
