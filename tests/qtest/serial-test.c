/*
 * COM1-COM4 through their back-ends: bytes the guest writes to THR reach a
 * UNIX socket, a TCP socket, a pty and a telnet server; bytes sent there
 * arrive in RBR with LSR.DR and the interrupt; a peer that never reads does
 * not hold the guest.  Runs against vmu and QEMU's pc.
 */
#include <errno.h>
#include <fcntl.h>
#include <glib.h>
#include <glib/gstdio.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <termios.h>
#include <unistd.h>

#include "libqtest.h"

#define TIMEOUT_MS      30000

static const uint16_t com_base[4] = { 0x3f8, 0x2f8, 0x3e8, 0x2e8 };
static const unsigned com_irq[4] = { 4, 3, 4, 3 };
static char *tmpdir;

/*
 * The machine's stdout and stderr, captured to find the pty path it
 * prints and its warnings; drained as the test goes so that it never
 * blocks on a full pipe.
 */
typedef struct Capture {
    int fd;
    GString *text;
} Capture;

static QTestState *init_captured(Capture *c, const char *args)
{
    int p[2], out, err;
    g_assert_cmpint(pipe2(p, O_CLOEXEC), ==, 0);
    fflush(stdout);
    fflush(stderr);
    out = dup(1);
    err = dup(2);
    dup2(p[1], 1);
    dup2(p[1], 2);
    QTestState *s = qtest_init(args);
    dup2(out, 1);
    dup2(err, 2);
    close(out);
    close(err);
    close(p[1]);
    fcntl(p[0], F_SETFL, O_NONBLOCK);
    c->fd = p[0];
    c->text = g_string_new(NULL);
    return s;
}

static void capture_drain(Capture *c)
{
    char buf[4096];
    ssize_t n;
    while ((n = read(c->fd, buf, sizeof(buf))) > 0) {
        g_string_append_len(c->text, buf, n);
    }
}

/* Wait for a line containing @what; returns the text after it (g_free). */
static char *capture_wait(Capture *c, const char *what)
{
    for (unsigned t = 0; t < TIMEOUT_MS; t += 10) {
        capture_drain(c);
        const char *at = strstr(c->text->str, what);
        const char *eol = at ? strchr(at, '\n') : NULL;
        if (eol) {
            at += strlen(what);
            return g_strndup(at, eol - at);
        }
        g_usleep(10 * 1000);
    }
    g_test_message("machine output: %s", c->text->str);
    g_assert_not_reached();
}

static void capture_end(Capture *c)
{
    capture_drain(c);
    if (c->text->len) {
        g_test_message("machine output:\n%s", c->text->str);
    }
    close(c->fd);
    g_string_free(c->text, TRUE);
}

static int listen_unix(const char *path)
{
    struct sockaddr_un sa = { .sun_family = AF_UNIX };
    int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    g_assert_cmpuint(strlen(path), <, sizeof(sa.sun_path));
    strcpy(sa.sun_path, path);
    g_assert_cmpint(bind(fd, (struct sockaddr *)&sa, sizeof(sa)), ==, 0);
    g_assert_cmpint(listen(fd, 1), ==, 0);
    return fd;
}

/* A TCP listener on 127.0.0.1 at a port the kernel picks. */
static int listen_tcp(unsigned *port)
{
    struct sockaddr_in sa = { .sin_family = AF_INET,
                              .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
    socklen_t len = sizeof(sa);
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    g_assert_cmpint(bind(fd, (struct sockaddr *)&sa, sizeof(sa)), ==, 0);
    g_assert_cmpint(listen(fd, 1), ==, 0);
    g_assert_cmpint(getsockname(fd, (struct sockaddr *)&sa, &len), ==, 0);
    *port = ntohs(sa.sin_port);
    return fd;
}

/* A free port: bound once here, then closed for the machine to take. */
static unsigned free_tcp_port(void)
{
    unsigned port;
    close(listen_tcp(&port));
    return port;
}

static int accept_within(int lfd)
{
    struct pollfd p = { .fd = lfd, .events = POLLIN };
    g_assert_cmpint(poll(&p, 1, TIMEOUT_MS), ==, 1);
    int fd = accept4(lfd, NULL, NULL, SOCK_CLOEXEC);
    g_assert_cmpint(fd, >=, 0);
    return fd;
}

/* Connect to a server the machine may still be setting up. */
static int connect_tcp(unsigned port)
{
    struct sockaddr_in sa = { .sin_family = AF_INET,
                              .sin_port = htons(port),
                              .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
    for (unsigned t = 0; t < TIMEOUT_MS; t += 20) {
        int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
        if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) == 0) {
            return fd;
        }
        close(fd);
        g_usleep(20 * 1000);
    }
    g_assert_not_reached();
}

/*
 * Read until @want has arrived; with @telnet, the server's own telnet
 * commands (IAC verb option) are skipped.
 */
static void expect_bytes(int fd, const char *want, bool telnet)
{
    size_t len = strlen(want), got = 0;
    int skip = 0;
    GString *seen = g_string_new(NULL);
    while (got < len) {
        struct pollfd p = { .fd = fd, .events = POLLIN };
        uint8_t c;
        if (poll(&p, 1, TIMEOUT_MS) != 1 || read(fd, &c, 1) != 1) {
            g_test_message("wanted '%s', got '%s'", want, seen->str);
            g_assert_not_reached();
        }
        if (telnet && (skip || c == 0xff)) {
            skip = skip ? skip - 1 : 2;
            continue;
        }
        g_string_append_c(seen, c);
        /* Anything before the text (a pty's earlier output) is not it. */
        got = c == (uint8_t)want[got] ? got + 1 : (c == (uint8_t)want[0]);
    }
    g_string_free(seen, TRUE);
}

static void guest_puts(QTestState *s, unsigned com, const char *text)
{
    for (const char *p = text; *p; p++) {
        qtest_outb(s, com_base[com], *p);
    }
}

typedef struct RxWait {
    unsigned com;
} RxWait;

static bool rx_ready(QTestState *s, void *opaque)
{
    RxWait *w = opaque;
    return qtest_inb(s, com_base[w->com] + 5) & 0x01;
}

static bool irq_raised(QTestState *s, void *opaque)
{
    RxWait *w = opaque;
    return qtest_get_irq(s, com_irq[w->com]);
}

/* @text, sent to the back-end, arrives in RBR byte by byte with LSR.DR. */
static void guest_expect(QTestState *s, unsigned com, const char *text)
{
    RxWait w = { com };
    for (const char *p = text; *p; p++) {
        g_assert_true(qtest_wait_until(s, rx_ready, &w, TIMEOUT_MS));
        g_assert_cmphex(qtest_inb(s, com_base[com]), ==, (uint8_t)*p);
    }
}

static void write_all(int fd, const void *buf, size_t len)
{
    g_assert_cmpint(write(fd, buf, len), ==, (ssize_t)len);
}

/* COM1 unix client, COM2 tcp client, COM3 pty, COM4 a telnet server. */
static void test_four_ports(void)
{
    g_autofree char *upath = g_build_filename(tmpdir, "com1.sock", NULL);
    unsigned tport, telport = free_tcp_port();
    int ulfd = listen_unix(upath);
    int tlfd = listen_tcp(&tport);
    Capture cap;
    g_autofree char *args = g_strdup_printf(
        "-serial unix:%s -serial tcp:127.0.0.1:%u -serial pty "
        "-chardev socket,id=tel,host=127.0.0.1,port=%u,server=on,wait=off,"
        "telnet=on -device isa-serial,chardev=tel,index=3", upath, tport,
        telport);
    QTestState *s = init_captured(&cap, args);
    int fds[4];
    fds[0] = accept_within(ulfd);
    fds[1] = accept_within(tlfd);
    g_autofree char *pty = capture_wait(&cap, "char device redirected to ");
    char *label = strstr(pty, " (label ");
    g_assert_nonnull(label);
    g_assert_true(g_str_has_suffix(pty, "(label serial2)"));
    *label = 0;
    fds[2] = open(pty, O_RDWR | O_NOCTTY | O_CLOEXEC);
    g_assert_cmpint(fds[2], >=, 0);
    struct termios t;
    g_assert_cmpint(tcgetattr(fds[2], &t), ==, 0);
    cfmakeraw(&t);
    tcsetattr(fds[2], TCSANOW, &t);
    fds[3] = connect_tcp(telport);

    /* Input first: it also shows that each back-end is connected. */
    static const uint8_t telnet_do_echo[] = { 0xff, 0xfd, 0x01 };
    write_all(fds[3], telnet_do_echo, sizeof(telnet_do_echo));
    for (unsigned i = 0; i < 4; i++) {
        g_autofree char *in = g_strdup_printf("in%u", i + 1);
        write_all(fds[i], in, strlen(in));
        guest_expect(s, i, in);
        g_assert_cmphex(qtest_inb(s, com_base[i] + 5) & 0x01, ==, 0);
    }
    for (unsigned i = 0; i < 4; i++) {
        g_autofree char *out = g_strdup_printf("hello from COM%u\n", i + 1);
        guest_puts(s, i, out);
        expect_bytes(fds[i], out, i == 3);
    }
    for (unsigned i = 0; i < 4; i++) {
        close(fds[i]);
    }
    qtest_quit(s);
    capture_end(&cap);
    close(ulfd);
    close(tlfd);
    g_unlink(upath);
}

/* IER.RDI: a received byte raises IRQ 4 (COM1) or 3 (COM2) until read. */
static void test_rx_interrupt(void)
{
    unsigned p1, p2;
    int l1 = listen_tcp(&p1), l2 = listen_tcp(&p2);
    QTestState *s = qtest_initf("-serial tcp:127.0.0.1:%u "
                                "-serial tcp:127.0.0.1:%u", p1, p2);
    int fds[2] = { accept_within(l1), accept_within(l2) };
    qtest_irq_intercept_in(s, "ioapic");
    for (unsigned i = 0; i < 2; i++) {
        RxWait w = { i };
        /* OUT2 gates the line on a PC; set it as a driver does. */
        qtest_outb(s, com_base[i] + 4, 0x08);
        qtest_outb(s, com_base[i] + 1, 0x01);
        g_assert_false(qtest_get_irq(s, com_irq[i]));
        write_all(fds[i], "z", 1);
        g_assert_true(qtest_wait_until(s, irq_raised, &w, TIMEOUT_MS));
        g_assert_cmphex(qtest_inb(s, com_base[i] + 5) & 0x01, ==, 0x01);
        g_assert_cmphex(qtest_inb(s, com_base[i] + 2) & 0x0f, ==, 0x04);
        g_assert_cmphex(qtest_inb(s, com_base[i]), ==, 'z');
        g_assert_false(qtest_get_irq(s, com_irq[i]));
        qtest_outb(s, com_base[i] + 1, 0x00);
        close(fds[i]);
    }
    qtest_quit(s);
    close(l1);
    close(l2);
}

/* A server with wait=off: a client later, gone, and another after it. */
static void test_reconnect(void)
{
    unsigned port = free_tcp_port();
    QTestState *s = qtest_initf("-serial tcp:127.0.0.1:%u,server=on,"
                                "wait=off", port);
    /* Nobody there yet: the guest's bytes go nowhere, and it goes on. */
    guest_puts(s, 0, "lost\n");
    for (unsigned round = 0; round < 3; round++) {
        g_autofree char *in = g_strdup_printf("r%u", round);
        g_autofree char *out = g_strdup_printf("console %u\n", round);
        int fd = connect_tcp(port);
        /* A byte in RBR shows the machine took this connection. */
        write_all(fd, in, strlen(in));
        guest_expect(s, 0, in);
        guest_puts(s, 0, out);
        expect_bytes(fd, out, false);
        close(fd);
    }
    qtest_quit(s);
}

/*
 * A peer that never reads: 256 KiB of THR writes are far more than the
 * socket holds (its buffer fills after a few hundred one-byte writes), and
 * each must complete at once; vmu says it drops the output.
 */
static void test_peer_never_reads(void)
{
    g_autofree char *path = g_build_filename(tmpdir, "stuck.sock", NULL);
    int lfd = listen_unix(path);
    Capture cap;
    g_autofree char *args = g_strdup_printf("-serial unix:%s", path);
    QTestState *s = init_captured(&cap, args);
    int fd = accept_within(lfd);
    gint64 start = g_get_monotonic_time();
    for (unsigned i = 0; i < 256 * 1024; i++) {
        qtest_outb(s, com_base[0], 'a' + i % 26);
        if (i % 4096 == 0) {
            capture_drain(&cap);
        }
    }
    gint64 ms = (g_get_monotonic_time() - start) / 1000;
    g_test_message("256 KiB of THR writes took %" G_GINT64_FORMAT " ms, "
                   "slowest reply %u ms", ms, qtest_worst_reply_ms(s));
    /*
     * Each write is answered without waiting for the peer (one that
     * blocked would never be answered); 10 s allows a loaded machine.
     */
    g_assert_cmpuint(qtest_worst_reply_ms(s), <, 10000);
    /* The UART still works: input arrives. */
    write_all(fd, "ok", 2);
    guest_expect(s, 0, "ok");
    if (!qtest_using_qemu()) {
        /* QEMU holds the byte in THR and says nothing. */
        g_autofree char *warn = capture_wait(&cap, "does not read;");
        g_assert_nonnull(strstr(warn, "dropped"));
    }
    close(fd);
    qtest_quit(s);
    capture_end(&cap);
    close(lfd);
    g_unlink(path);
}

/*
 * stdout that is read late (a pipe its reader drains slowly): 192 KiB, far
 * more than the 64 KiB pipe holds, wait in vmu's bounded buffer and all
 * arrive in order once the reader reads.
 */
static void test_stdio_read_late(void)
{
    if (qtest_using_qemu()) {
        g_test_skip("QEMU writes stdio blocking: a full pipe would stop it");
        return;
    }
    Capture cap;
    QTestState *s = init_captured(&cap, "-serial stdio");
    GString *want = g_string_new(NULL);
    for (unsigned i = 0; want->len < 192 * 1024; i++) {
        g_string_append_printf(want, "line %u\n", i);
    }
    /* Nothing reads the pipe while the guest writes: none may wait. */
    guest_puts(s, 0, want->str);
    g_assert_cmpuint(qtest_worst_reply_ms(s), <, 10000);
    for (unsigned t = 0; t < TIMEOUT_MS && cap.text->len < want->len;
         t += 10) {
        capture_drain(&cap);
        g_usleep(10 * 1000);
    }
    const char *at = strstr(cap.text->str, want->str);
    g_assert_nonnull(at);
    g_assert_null(strstr(cap.text->str, "does not take the output"));
    /* Keep the machine's messages, not the lines, for capture_end. */
    g_string_erase(cap.text, at - cap.text->str, want->len);
    qtest_quit(s);
    capture_end(&cap);
    g_string_free(want, TRUE);
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    tmpdir = g_dir_make_tmp("serial-test-XXXXXX", NULL);
    g_assert_nonnull(tmpdir);
    g_test_add_func("/serial/four-ports", test_four_ports);
    g_test_add_func("/serial/rx-interrupt", test_rx_interrupt);
    g_test_add_func("/serial/reconnect", test_reconnect);
    g_test_add_func("/serial/peer-never-reads", test_peer_never_reads);
    g_test_add_func("/serial/stdio-read-late", test_stdio_read_late);
    int r = g_test_run();
    g_rmdir(tmpdir);
    return r;
}
