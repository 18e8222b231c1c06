/*
 * vhost-user codec and fd passing over a socketpair: whole messages, fds,
 * partial transfers, hang-ups, oversize payloads, too many fds, and the
 * request/reply validators.
 */
#include <errno.h>
#include <fcntl.h>
#include <glib.h>
#include <signal.h>
#include <poll.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include "net/vhost-user-proto.h"
#include "util/fdpass.h"
#include "fd-count.h"

static void make_pair(int sv[2])
{
    g_assert_cmpint(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv),
                    ==, 0);
}

static void test_names(void)
{
    char buf[256];

    g_assert_cmpstr(vhost_user_request_name(VHOST_USER_GET_FEATURES), ==,
                    "GET_FEATURES");
    g_assert_cmpstr(vhost_user_request_name(VHOST_USER_GET_STATUS), ==,
                    "GET_STATUS");
    g_assert_cmpstr(vhost_user_request_name(21), ==, "SET_BACKEND_REQ_FD");
    g_assert_cmpstr(vhost_user_request_name(999), ==, "UNKNOWN");
    g_assert_cmpstr(vhost_user_backend_request_name(3), ==,
                    "VRING_HOST_NOTIFIER_MSG");
    g_assert_cmpstr(vhost_user_feature_name(15), ==, "MRG_RXBUF");
    g_assert_cmpstr(vhost_user_feature_name(30), ==, "PROTOCOL_FEATURES");
    g_assert_cmpstr(vhost_user_protocol_feature_name(15), ==,
                    "CONFIGURE_MEM_SLOTS");
    vhost_user_format_features((1ull << 32) | (1ull << 15), false, buf,
                               sizeof(buf));
    g_assert_cmpstr(buf, ==, "0x100008000 (MRG_RXBUF|VERSION_1)");
    vhost_user_format_features((1ull << 3) | (1ull << 45), true, buf,
                               sizeof(buf));
    g_assert_cmpstr(buf, ==, "0x200000000008 (REPLY_ACK|bit 45)");
}

static void test_describe(void)
{
    VhostUserHeader h = { VHOST_USER_SET_VRING_ADDR, VHOST_USER_VERSION, 40 };
    VhostUserPayload p = { 0 };
    char buf[512];

    p.addr.index = 1;
    p.addr.desc_user_addr = 0x1000;
    p.addr.used_user_addr = 0x3000;
    p.addr.avail_user_addr = 0x2000;
    vhost_user_describe(VHOST_USER_CHANNEL_FRONTEND, &h, &p, 40, buf,
                        sizeof(buf));
    g_assert_cmpstr(buf, ==, "idx 1 flags 0x0 desc 0x1000 used 0x3000 "
                    "avail 0x2000 log 0x0");

    h = (VhostUserHeader){ VHOST_USER_SET_VRING_KICK, 1, 8 };
    p.u64 = 3 | VHOST_USER_VRING_NOFD_MASK;
    vhost_user_describe(VHOST_USER_CHANNEL_FRONTEND, &h, &p, 8, buf,
                        sizeof(buf));
    g_assert_cmpstr(buf, ==, "idx 3 nofd");

    h = (VhostUserHeader){ VHOST_USER_SET_MEM_TABLE, 1, 8 + 32 };
    memset(&p, 0, sizeof(p));
    p.memory.nregions = 1;
    p.memory.regions[0].memory_size = 0x1000;
    vhost_user_describe(VHOST_USER_CHANNEL_FRONTEND, &h, &p, 40, buf,
                        sizeof(buf));
    g_assert_cmpstr(buf, ==, "1 regions [gpa 0x0 size 0x1000 uva 0x0 off 0x0]");

    /* A reply to a plain request is an ack. */
    h = (VhostUserHeader){ VHOST_USER_SET_MEM_TABLE, 5, 8 };
    p.u64 = 1;
    vhost_user_describe(VHOST_USER_CHANNEL_FRONTEND, &h, &p, 8, buf,
                        sizeof(buf));
    g_assert_cmpstr(buf, ==, "ack 1 (failed)");

    h = (VhostUserHeader){ VHOST_USER_BACKEND_VRING_HOST_NOTIFIER_MSG, 1, 24 };
    p.area.u64 = 2;
    p.area.size = 0x1000;
    p.area.offset = 0;
    vhost_user_describe(VHOST_USER_CHANNEL_BACKEND, &h, &p, 24, buf,
                        sizeof(buf));
    g_assert_cmpstr(buf, ==, "idx 2 size 0x1000 offset 0x0");

    /* A tiny buffer truncates, never overflows. */
    vhost_user_describe(VHOST_USER_CHANNEL_BACKEND, &h, &p, 24, buf, 4);
    g_assert_cmpuint(strlen(buf), ==, 3);
}

static void test_sizes(void)
{
    uint32_t min, max;
    bool has_reply;

    g_assert_true(vhost_user_request_size(VHOST_USER_CHANNEL_FRONTEND,
                                          VHOST_USER_SET_VRING_ADDR, &min,
                                          &max));
    g_assert_cmpuint(min, ==, 40);
    g_assert_cmpuint(max, ==, 40);
    g_assert_true(vhost_user_request_size(VHOST_USER_CHANNEL_FRONTEND,
                                          VHOST_USER_SET_MEM_TABLE, &min,
                                          &max));
    g_assert_cmpuint(max, ==, 264);
    g_assert_false(vhost_user_request_size(VHOST_USER_CHANNEL_FRONTEND, 77,
                                           &min, &max));
    g_assert_true(vhost_user_reply_size(VHOST_USER_GET_VRING_BASE, &has_reply,
                                        &min, &max));
    g_assert_true(has_reply);
    g_assert_cmpuint(min, ==, 8);
    g_assert_true(vhost_user_reply_size(VHOST_USER_SET_VRING_NUM, &has_reply,
                                        &min, &max));
    g_assert_false(has_reply);
    g_assert_cmpuint(vhost_user_request_max_fds(VHOST_USER_CHANNEL_FRONTEND,
                                                VHOST_USER_SET_MEM_TABLE), ==,
                     8);
    g_assert_cmpuint(vhost_user_request_max_fds(VHOST_USER_CHANNEL_BACKEND,
                                                VHOST_USER_BACKEND_VRING_HOST_NOTIFIER_MSG),
                     ==, 1);
}

static void expect_reply_error(uint32_t req, VhostUserHeader h, size_t len,
                               const char *substr)
{
    Error *err = NULL;
    g_assert_false(vhost_user_check_reply(req, &h, len, &err));
    g_assert_nonnull(err);
    if (!strstr(error_get_pretty(err), substr)) {
        g_printerr("message '%s' lacks '%s'\n", error_get_pretty(err), substr);
        g_assert_not_reached();
    }
    error_free(err);
}

static void test_check_reply(void)
{
    VhostUserHeader ok = { VHOST_USER_GET_FEATURES, 5, 8 };
    Error *err = NULL;

    g_assert_true(vhost_user_check_reply(VHOST_USER_GET_FEATURES, &ok, 8,
                                         &err));
    g_assert_null(err);
    /* A REPLY_ACK to a request without its own reply is a u64. */
    ok.request = VHOST_USER_SET_MEM_TABLE;
    g_assert_true(vhost_user_check_reply(VHOST_USER_SET_MEM_TABLE, &ok, 8,
                                         NULL));

    expect_reply_error(VHOST_USER_GET_FEATURES,
                       (VhostUserHeader){ VHOST_USER_GET_PROTOCOL_FEATURES, 5,
                                          8 }, 8, "carries request code 15");
    expect_reply_error(VHOST_USER_GET_FEATURES,
                       (VhostUserHeader){ VHOST_USER_GET_FEATURES, 1, 8 }, 8,
                       "lacks the REPLY flag");
    expect_reply_error(VHOST_USER_GET_FEATURES,
                       (VhostUserHeader){ VHOST_USER_GET_FEATURES, 6, 8 }, 8,
                       "protocol version 2");
    expect_reply_error(VHOST_USER_GET_FEATURES,
                       (VhostUserHeader){ VHOST_USER_GET_FEATURES, 0xd, 8 }, 8,
                       "flags 0xd");
    expect_reply_error(VHOST_USER_GET_FEATURES,
                       (VhostUserHeader){ VHOST_USER_GET_FEATURES, 5, 4 }, 4,
                       "is 4 bytes, expected 8");
    expect_reply_error(VHOST_USER_GET_VRING_BASE,
                       (VhostUserHeader){ VHOST_USER_GET_VRING_BASE, 5, 8 }, 6,
                       "announces 8 bytes but 6 arrived");
}

static void test_check_request(void)
{
    VhostUserPayload p = { 0 };
    VhostUserHeader h = { VHOST_USER_SET_VRING_NUM, 1, 8 };
    Error *err = NULL;

    g_assert_true(vhost_user_check_request(VHOST_USER_CHANNEL_FRONTEND, &h, &p,
                                           8, &err));
    h.flags = 1 | VHOST_USER_NEED_REPLY_MASK;
    g_assert_true(vhost_user_check_request(VHOST_USER_CHANNEL_FRONTEND, &h, &p,
                                           8, &err));
    h.flags = 5;
    g_assert_false(vhost_user_check_request(VHOST_USER_CHANNEL_FRONTEND, &h,
                                            &p, 8, &err));
    g_assert_nonnull(strstr(error_get_pretty(err), "REPLY flag"));
    error_free(err);
    err = NULL;
    h.flags = 1 | 0x40;
    g_assert_false(vhost_user_check_request(VHOST_USER_CHANNEL_FRONTEND, &h,
                                            &p, 8, &err));
    g_assert_nonnull(strstr(error_get_pretty(err), "unknown flags 0x40"));
    error_free(err);
    err = NULL;
    h = (VhostUserHeader){ VHOST_USER_SET_VRING_ADDR, 1, 16 };
    g_assert_false(vhost_user_check_request(VHOST_USER_CHANNEL_FRONTEND, &h,
                                            &p, 16, &err));
    g_assert_cmpstr(error_get_pretty(err), ==,
                    "SET_VRING_ADDR payload is 16 bytes, expected 40");
    error_free(err);
    err = NULL;
    h = (VhostUserHeader){ VHOST_USER_SET_MEM_TABLE, 1, 8 + 32 };
    p.memory.nregions = 2;
    g_assert_false(vhost_user_check_request(VHOST_USER_CHANNEL_FRONTEND, &h,
                                            &p, 40, &err));
    g_assert_nonnull(strstr(error_get_pretty(err), "lists 2 regions"));
    error_free(err);
    err = NULL;
    p.memory.nregions = 9;
    h.size = 264;
    g_assert_false(vhost_user_check_request(VHOST_USER_CHANNEL_FRONTEND, &h,
                                            &p, 264, &err));
    error_free(err);
    err = NULL;
    /* Unknown codes are not refused here: the back-end answers them. */
    h = (VhostUserHeader){ 200, 1, 8 };
    g_assert_true(vhost_user_check_request(VHOST_USER_CHANNEL_FRONTEND, &h, &p,
                                           8, NULL));
}

static void test_roundtrip(void)
{
    int sv[2], fds_in[3], fds_out[FDPASS_MAX_FDS];
    VhostUserHeader h = { VHOST_USER_SET_VRING_ADDR,
                          VHOST_USER_VERSION | VHOST_USER_NEED_REPLY_MASK, 40 };
    VhostUserHeader rh;
    VhostUserPayload p = { 0 }, rp;
    size_t nfds = 99;
    Error *err = NULL;
    int before;

    make_pair(sv);
    before = open_count();
    p.addr.index = 1;
    p.addr.desc_user_addr = 0x7f0000001000ull;
    g_assert_cmpint(fdpass_send_msg(sv[0], &h, &p, NULL, 0, &err), ==, 0);
    g_assert_cmpint(fdpass_recv_msg(sv[1], &rh, &rp, sizeof(rp), fds_out,
                                    &nfds, 1000, &err), ==, 1);
    g_assert_null(err);
    g_assert_cmpuint(nfds, ==, 0);
    g_assert_cmpmem(&rh, sizeof(rh), &h, sizeof(h));
    g_assert_cmpmem(&rp, 40, &p, 40);

    /* Three fds; each arrives as a new descriptor to the same file. */
    for (int i = 0; i < 3; i++) {
        fds_in[i] = open("/dev/null", O_RDONLY | O_CLOEXEC);
        g_assert_cmpint(fds_in[i], >=, 0);
    }
    h = (VhostUserHeader){ VHOST_USER_SET_VRING_CALL, 1, 8 };
    p.u64 = 2;
    g_assert_cmpint(fdpass_send_msg(sv[0], &h, &p, fds_in, 3, &err), ==, 0);
    g_assert_cmpint(fdpass_recv_msg(sv[1], &rh, &rp, sizeof(rp), fds_out,
                                    &nfds, 1000, &err), ==, 1);
    g_assert_cmpuint(nfds, ==, 3);
    for (int i = 0; i < 3; i++) {
        struct stat a, b;
        g_assert_cmpint(fstat(fds_in[i], &a), ==, 0);
        g_assert_cmpint(fstat(fds_out[i], &b), ==, 0);
        g_assert_cmpuint(a.st_ino, ==, b.st_ino);
        g_assert_cmpint(fds_out[i], !=, fds_in[i]);
        g_assert_true(fcntl(fds_out[i], F_GETFD) & FD_CLOEXEC);
    }
    fdpass_close_fds(fds_in, 3);
    fdpass_close_fds(fds_out, 3);
    g_assert_cmpint(open_count(), ==, before);

    /* No payload at all. */
    h = (VhostUserHeader){ VHOST_USER_GET_FEATURES, 1, 0 };
    g_assert_cmpint(fdpass_send_msg(sv[0], &h, NULL, NULL, 0, &err), ==, 0);
    g_assert_cmpint(fdpass_recv_msg(sv[1], &rh, &rp, sizeof(rp), fds_out,
                                    &nfds, 1000, &err), ==, 1);
    g_assert_cmpuint(rh.size, ==, 0);

    /* Nothing waiting: -EAGAIN with timeout 0, -ETIMEDOUT with 50 ms. */
    g_assert_cmpint(fdpass_recv_msg(sv[1], &rh, &rp, sizeof(rp), fds_out,
                                    &nfds, 0, NULL), ==, -EAGAIN);
    g_assert_cmpint(fdpass_recv_msg(sv[1], &rh, &rp, sizeof(rp), fds_out,
                                    &nfds, 50, &err), ==, -ETIMEDOUT);
    g_assert_nonnull(strstr(error_get_pretty(err), "did not arrive"));
    error_free(err);
    close(sv[0]);
    close(sv[1]);
}

/* Bytes trickle in one at a time from a thread: the reader sees one whole
 * message with its fd. */
typedef struct Trickle {
    int sock;
    const uint8_t *bytes;
    size_t len;
    int fd;
} Trickle;

static gpointer trickle_thread(gpointer opaque)
{
    Trickle *t = opaque;
    for (size_t i = 0; i < t->len; i++) {
        if (i == 0) {
            char cbuf[CMSG_SPACE(sizeof(int))] = { 0 };
            struct iovec iov = { (void *)t->bytes, 1 };
            struct msghdr m = { .msg_iov = &iov, .msg_iovlen = 1,
                                .msg_control = cbuf,
                                .msg_controllen = sizeof(cbuf) };
            struct cmsghdr *c = CMSG_FIRSTHDR(&m);
            c->cmsg_level = SOL_SOCKET;
            c->cmsg_type = SCM_RIGHTS;
            c->cmsg_len = CMSG_LEN(sizeof(int));
            memcpy(CMSG_DATA(c), &t->fd, sizeof(int));
            g_assert_cmpint(sendmsg(t->sock, &m, 0), ==, 1);
        } else {
            g_assert_cmpint(write(t->sock, t->bytes + i, 1), ==, 1);
        }
        g_usleep(1000);
    }
    return NULL;
}

static void test_partial(void)
{
    int sv[2], fds[FDPASS_MAX_FDS];
    struct __attribute__((packed)) { VhostUserHeader h; uint64_t u64; } wire
        = { { VHOST_USER_SET_VRING_KICK, 1, 8 }, 1 };
    Trickle t;
    VhostUserHeader rh;
    VhostUserPayload rp;
    size_t nfds;
    GThread *th;

    make_pair(sv);
    t = (Trickle){ sv[0], (const uint8_t *)&wire, sizeof(wire),
                   open("/dev/null", O_RDONLY | O_CLOEXEC) };
    th = g_thread_new("trickle", trickle_thread, &t);
    g_assert_cmpint(fdpass_recv_msg(sv[1], &rh, &rp, sizeof(rp), fds, &nfds,
                                    5000, NULL), ==, 1);
    g_thread_join(th);
    g_assert_cmpuint(rh.request, ==, VHOST_USER_SET_VRING_KICK);
    g_assert_cmpuint(rp.u64, ==, 1);
    g_assert_cmpuint(nfds, ==, 1);
    fdpass_close_fds(fds, nfds);
    close(t.fd);
    close(sv[0]);
    close(sv[1]);
}

/* With timeout 0, a message that has started is read whole even if the
 * rest arrives later: the stream never loses step. */
static void test_nowait_partial(void)
{
    int sv[2], fds[FDPASS_MAX_FDS];
    struct __attribute__((packed)) { VhostUserHeader h; uint64_t u64; } wire
        = { { VHOST_USER_SET_VRING_NUM, 1, 8 }, 256 };
    Trickle t;
    VhostUserHeader rh;
    VhostUserPayload rp;
    size_t nfds;
    GThread *th;

    make_pair(sv);
    g_assert_cmpint(fdpass_recv_msg(sv[1], &rh, &rp, sizeof(rp), fds, &nfds,
                                    0, NULL), ==, -EAGAIN);
    t = (Trickle){ sv[0], (const uint8_t *)&wire, sizeof(wire),
                   open("/dev/null", O_RDONLY | O_CLOEXEC) };
    th = g_thread_new("trickle", trickle_thread, &t);
    /* wait until the first byte is there, then ask without waiting */
    struct pollfd pfd = { .fd = sv[1], .events = POLLIN };
    g_assert_cmpint(poll(&pfd, 1, 5000), ==, 1);
    g_assert_cmpint(fdpass_recv_msg(sv[1], &rh, &rp, sizeof(rp), fds, &nfds,
                                    0, NULL), ==, 1);
    g_thread_join(th);
    g_assert_cmpuint(rh.request, ==, VHOST_USER_SET_VRING_NUM);
    g_assert_cmpuint(rp.u64, ==, 256);
    g_assert_cmpuint(nfds, ==, 1);
    fdpass_close_fds(fds, nfds);
    close(t.fd);
    close(sv[0]);
    close(sv[1]);
}

/* A sender on a full non-blocking socket waits for room and gets every
 * byte out, in order, across partial writes. */
static gpointer drain_thread(gpointer opaque)
{
    int sock = GPOINTER_TO_INT(opaque);
    VhostUserHeader rh;
    VhostUserPayload rp;
    int fds[FDPASS_MAX_FDS];
    size_t nfds;
    int count = 0;

    g_usleep(50000);    /* let the sender fill the socket first */
    while (fdpass_recv_msg(sock, &rh, &rp, sizeof(rp), fds, &nfds, 5000,
                           NULL) == 1) {
        g_assert_cmpuint(rh.request, ==, VHOST_USER_SET_MEM_TABLE);
        g_assert_cmpuint(rp.memory.padding, ==, (uint32_t)count);
        count++;
    }
    return GINT_TO_POINTER(count);
}

static void test_partial_writes(void)
{
    int sv[2], sndbuf = 4096;
    VhostUserHeader h = { VHOST_USER_SET_MEM_TABLE, 1, 264 };
    VhostUserPayload p = { 0 };
    GThread *th;

    make_pair(sv);
    g_assert_cmpint(setsockopt(sv[0], SOL_SOCKET, SO_SNDBUF, &sndbuf,
                               sizeof(sndbuf)), ==, 0);
    g_assert_cmpint(fcntl(sv[0], F_SETFL, O_NONBLOCK), ==, 0);
    th = g_thread_new("drain", drain_thread, GINT_TO_POINTER(sv[1]));
    for (int i = 0; i < 500; i++) {
        p.memory.padding = i;
        g_assert_cmpint(fdpass_send_msg(sv[0], &h, &p, NULL, 0, NULL), ==, 0);
    }
    close(sv[0]);
    g_assert_cmpint(GPOINTER_TO_INT(g_thread_join(th)), ==, 500);
    close(sv[1]);
}

static void test_hangup(void)
{
    int sv[2], fds[FDPASS_MAX_FDS];
    VhostUserHeader h = { VHOST_USER_SET_VRING_ADDR, 1, 40 }, rh;
    VhostUserPayload rp;
    size_t nfds;
    Error *err = NULL;

    /* Between messages: 0, no error. */
    make_pair(sv);
    close(sv[0]);
    g_assert_cmpint(fdpass_recv_msg(sv[1], &rh, &rp, sizeof(rp), fds, &nfds,
                                    1000, &err), ==, 0);
    g_assert_null(err);
    close(sv[1]);

    /* In the middle of the header. */
    make_pair(sv);
    g_assert_cmpint(write(sv[0], &h, 5), ==, 5);
    close(sv[0]);
    g_assert_cmpint(fdpass_recv_msg(sv[1], &rh, &rp, sizeof(rp), fds, &nfds,
                                    1000, &err), ==, -ECONNRESET);
    g_assert_nonnull(strstr(error_get_pretty(err), "middle of a message"));
    error_free(err);
    err = NULL;
    close(sv[1]);

    /* In the middle of the payload, after an fd: the fd is closed. */
    make_pair(sv);
    {
        int fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
        int before = open_count();
        uint8_t partial[12 + 10] = { 0 };
        memcpy(partial, &h, sizeof(h));
        g_assert_cmpint(fdpass_send_msg(sv[0], &(VhostUserHeader){ 1, 1, 0 },
                                        NULL, &fd, 1, NULL), ==, 0);
        /* consume that well-formed message first */
        g_assert_cmpint(fdpass_recv_msg(sv[1], &rh, &rp, sizeof(rp), fds,
                                        &nfds, 1000, NULL), ==, 1);
        fdpass_close_fds(fds, nfds);
        g_assert_cmpint(write(sv[0], partial, sizeof(partial)), ==,
                        sizeof(partial));
        close(sv[0]);
        g_assert_cmpint(fdpass_recv_msg(sv[1], &rh, &rp, sizeof(rp), fds,
                                        &nfds, 1000, &err), ==, -ECONNRESET);
        g_assert_nonnull(strstr(error_get_pretty(err), "SET_VRING_ADDR"));
        error_free(err);
        err = NULL;
        g_assert_cmpuint(nfds, ==, 0);
        close(fd);
        g_assert_cmpint(open_count(), ==, before - 2);
    }
    close(sv[1]);

    /* Sending to a peer that has gone: -EPIPE, no SIGPIPE. */
    make_pair(sv);
    close(sv[1]);
    g_assert_cmpint(fdpass_send_msg(sv[0], &h, &rp, NULL, 0, &err), ==,
                    -EPIPE);
    g_assert_nonnull(strstr(error_get_pretty(err), "hung up"));
    error_free(err);
    close(sv[0]);
}

static void test_oversize(void)
{
    int sv[2], fds[FDPASS_MAX_FDS];
    VhostUserHeader h = { VHOST_USER_SET_MEM_TABLE, 1, 100000 }, rh;
    VhostUserPayload rp;
    size_t nfds;
    Error *err = NULL;

    make_pair(sv);
    g_assert_cmpint(write(sv[0], &h, sizeof(h)), ==, sizeof(h));
    g_assert_cmpint(fdpass_recv_msg(sv[1], &rh, &rp, sizeof(rp), fds, &nfds,
                                    1000, &err), ==, -EMSGSIZE);
    g_assert_nonnull(strstr(error_get_pretty(err), "100000-byte payload"));
    error_free(err);
    err = NULL;
    close(sv[0]);
    close(sv[1]);

    /* The sender refuses too many fds itself. */
    make_pair(sv);
    {
        int many[9] = { 0 };
        g_assert_cmpint(fdpass_send_msg(sv[0], &h, NULL, many, 9, &err), ==,
                        -EINVAL);
        error_free(err);
        err = NULL;
    }
    close(sv[0]);
    close(sv[1]);
}

static void test_too_many_fds(void)
{
    int sv[2], fds[FDPASS_MAX_FDS], before;
    int many[12];
    char cbuf[CMSG_SPACE(sizeof(many))] = { 0 };
    VhostUserHeader h = { VHOST_USER_SET_MEM_TABLE, 1, 0 }, rh;
    VhostUserPayload rp;
    struct iovec iov = { &h, sizeof(h) };
    struct msghdr m = { .msg_iov = &iov, .msg_iovlen = 1,
                        .msg_control = cbuf, .msg_controllen = sizeof(cbuf) };
    struct cmsghdr *c = CMSG_FIRSTHDR(&m);
    size_t nfds;
    Error *err = NULL;

    make_pair(sv);
    for (int i = 0; i < 12; i++) {
        many[i] = open("/dev/null", O_RDONLY | O_CLOEXEC);
    }
    c->cmsg_level = SOL_SOCKET;
    c->cmsg_type = SCM_RIGHTS;
    c->cmsg_len = CMSG_LEN(sizeof(many));
    memcpy(CMSG_DATA(c), many, sizeof(many));
    g_assert_cmpint(sendmsg(sv[0], &m, 0), ==, sizeof(h));
    fdpass_close_fds(many, 12);
    before = open_count();
    g_assert_cmpint(fdpass_recv_msg(sv[1], &rh, &rp, sizeof(rp), fds, &nfds,
                                    1000, &err), ==, -EBADMSG);
    g_assert_nonnull(strstr(error_get_pretty(err), "more than 8 file"));
    error_free(err);
    g_assert_cmpuint(nfds, ==, 0);
    g_assert_cmpint(open_count(), ==, before);
    close(sv[0]);
    close(sv[1]);
}

int main(int argc, char **argv)
{
    signal(SIGPIPE, SIG_DFL);   /* prove that MSG_NOSIGNAL is used */
    g_test_init(&argc, &argv, NULL);
    g_test_add_func("/vhost-user/proto/names", test_names);
    g_test_add_func("/vhost-user/proto/describe", test_describe);
    g_test_add_func("/vhost-user/proto/sizes", test_sizes);
    g_test_add_func("/vhost-user/proto/check-reply", test_check_reply);
    g_test_add_func("/vhost-user/proto/check-request", test_check_request);
    g_test_add_func("/vhost-user/fdpass/roundtrip", test_roundtrip);
    g_test_add_func("/vhost-user/fdpass/partial-read", test_partial);
    g_test_add_func("/vhost-user/fdpass/nowait-partial", test_nowait_partial);
    g_test_add_func("/vhost-user/fdpass/partial-write", test_partial_writes);
    g_test_add_func("/vhost-user/fdpass/hangup", test_hangup);
    g_test_add_func("/vhost-user/fdpass/oversize", test_oversize);
    g_test_add_func("/vhost-user/fdpass/too-many-fds", test_too_many_fds);
    return g_test_run();
}
