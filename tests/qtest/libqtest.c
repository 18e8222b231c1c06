/*
 * libqtest: the test listens on a UNIX socket in a temporary directory,
 * starts the machine with -qtest unix:PATH and speaks the text protocol.
 * Every wait is bounded so that a hung machine fails the test, not CI.
 */
#include <errno.h>
#include <fcntl.h>
#include <glib.h>
#include <glib/gstdio.h>
#include <inttypes.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include "libqtest.h"

#define QTEST_TIMEOUT_MS   60000

struct QTestState {
    pid_t pid;
    int fd;
    char *dir;
    char *sock_path;
    char *bios_path;
    GString *rx;
    bool irq_level[256];
    bool qemu;
    int64_t worst_reply_us;     /* slowest answer to one line so far */
    bool reaped;                /* qtest_wait_exit saw the child end */
    int status;                 /* its wait status then */
};

bool qtest_using_qemu(void)
{
    const char *q = g_getenv("QTEST_QEMU_BINARY");
    return q && *q;
}

void qtest_skip_missing(const char *what)
{
    if (!g_strcmp0(g_getenv("VMU_TEST_STRICT"), "1")) {
        g_test_message("%s: under make check only host capabilities may be "
                       "missing (tests/functional/skips.py), and "
                       "scripts/install-deps provides this", what);
        g_test_fail();
        return;
    }
    g_test_skip(what);
}

/* cli; hlt; jmp .-1 at the reset vector: QEMU's CPU stays out of the way. */
static char *write_halt_bios(const char *dir)
{
    char *path = g_build_filename(dir, "HALT.bin", NULL);
    guint8 *img = g_malloc(65536);
    memset(img, 0xff, 65536);
    static const guint8 halt[] = { 0xfa, 0xf4, 0xeb, 0xfd };
    memcpy(img + 65536 - 16, halt, sizeof(halt));
    GError *err = NULL;
    if (!g_file_set_contents(path, (char *)img, 65536, &err)) {
        g_error("cannot write %s: %s", path, err->message);
    }
    g_free(img);
    return path;
}

static bool child_exited(QTestState *s, int *status, unsigned timeout_ms)
{
    for (unsigned t = 0; ; t += 10) {
        pid_t r = waitpid(s->pid, status, WNOHANG);
        if (r == s->pid) {
            return true;
        }
        if (r < 0 || t >= timeout_ms) {
            return false;
        }
        g_usleep(10 * 1000);
    }
}

QTestState *qtest_init(const char *extra_args)
{
    QTestState *s = g_new0(QTestState, 1);
    GError *gerr = NULL;
    s->qemu = qtest_using_qemu();
    s->rx = g_string_new(NULL);
    s->dir = g_dir_make_tmp("qtest-XXXXXX", &gerr);
    g_assert_no_error(gerr);
    s->sock_path = g_build_filename(s->dir, "qtest.sock", NULL);

    int lfd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    g_assert_cmpint(lfd, >=, 0);
    struct sockaddr_un sa = { .sun_family = AF_UNIX };
    g_assert_cmpuint(strlen(s->sock_path), <, sizeof(sa.sun_path));
    strcpy(sa.sun_path, s->sock_path);
    g_assert_cmpint(bind(lfd, (struct sockaddr *)&sa, sizeof(sa)), ==, 0);
    g_assert_cmpint(listen(lfd, 1), ==, 0);

    char *cmd;
    if (s->qemu) {
        s->bios_path = write_halt_bios(s->dir);
        cmd = g_strdup_printf("%s -machine pc,accel=tcg -bios %s "
                              "-qtest unix:%s -qtest-log /dev/null "
                              "-display none -nodefaults -m 128M %s",
                              g_getenv("QTEST_QEMU_BINARY"), s->bios_path,
                              s->sock_path, extra_args ? extra_args : "");
    } else {
        const char *bin = g_getenv("QTEST_VMU_BINARY");
        cmd = g_strdup_printf("%s -machine pc,accel=qtest -qtest unix:%s "
                              "-display none -nodefaults -m 128M %s",
                              bin && *bin ? bin : "vmu", s->sock_path,
                              extra_args ? extra_args : "");
    }
    char **argv;
    g_assert_true(g_shell_parse_argv(cmd, NULL, &argv, &gerr));
    if (g_getenv("QTEST_LOG")) {
        fprintf(stderr, "# %s\n", cmd);
    }
    g_free(cmd);

    s->pid = fork();
    g_assert_cmpint(s->pid, >=, 0);
    if (s->pid == 0) {
        /* QEMU outlives a closed qtest socket: tie it to this test. */
        prctl(PR_SET_PDEATHSIG, SIGKILL);
        execvp(argv[0], argv);
        fprintf(stderr, "libqtest: cannot run %s: %s\n", argv[0],
                strerror(errno));
        _exit(127);
    }
    g_strfreev(argv);

    /* Accept, but notice a child that died before connecting. */
    for (unsigned t = 0; ; t += 100) {
        struct pollfd p = { .fd = lfd, .events = POLLIN };
        if (poll(&p, 1, 100) == 1) {
            s->fd = accept4(lfd, NULL, NULL, SOCK_CLOEXEC);
            g_assert_cmpint(s->fd, >=, 0);
            break;
        }
        int status;
        if (waitpid(s->pid, &status, WNOHANG) == s->pid) {
            g_error("the machine exited before connecting (status 0x%x)",
                    status);
        }
        if (t > QTEST_TIMEOUT_MS) {
            kill(s->pid, SIGKILL);
            waitpid(s->pid, NULL, 0);
            g_error("the machine did not connect to %s", s->sock_path);
        }
    }
    close(lfd);
    return s;
}

QTestState *qtest_initf(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    char *args = g_strdup_vprintf(fmt, ap);
    va_end(ap);
    QTestState *s = qtest_init(args);
    g_free(args);
    return s;
}

void qtest_quit(QTestState *s)
{
    int status = s->status;
    close(s->fd);
    if (s->qemu && !s->reaped) {
        /* QEMU does not exit when the qtest socket closes. */
        kill(s->pid, SIGTERM);
    }
    if (!s->reaped && !child_exited(s, &status, 20000)) {
        kill(s->pid, SIGKILL);
        waitpid(s->pid, &status, 0);
        if (!s->qemu) {
            g_error("vmu did not exit within 20 s of the qtest socket "
                    "closing");
        }
    }
    if (!s->qemu && !(WIFEXITED(status) && WEXITSTATUS(status) == 0)) {
        g_error("vmu ended badly: %s %d",
                WIFSIGNALED(status) ? "signal" : "exit status",
                WIFSIGNALED(status) ? WTERMSIG(status) :
                WEXITSTATUS(status));
    }
    g_unlink(s->sock_path);
    if (s->bios_path) {
        g_unlink(s->bios_path);
    }
    g_rmdir(s->dir);
    g_free(s->sock_path);
    g_free(s->bios_path);
    g_free(s->dir);
    g_string_free(s->rx, TRUE);
    g_free(s);
}

static void send_all(QTestState *s, const char *buf, size_t len)
{
    while (len) {
        ssize_t n = send(s->fd, buf, len, MSG_NOSIGNAL);
        if (n < 0 && errno == EINTR) {
            continue;
        }
        if (n <= 0) {
            g_error("qtest: the machine closed the socket (%s)",
                    strerror(errno));
        }
        buf += n;
        len -= n;
    }
}

static char *recv_line(QTestState *s)
{
    for (;;) {
        char *nl = memchr(s->rx->str, '\n', s->rx->len);
        if (nl) {
            size_t len = nl - s->rx->str;
            char *line = g_strndup(s->rx->str, len);
            g_string_erase(s->rx, 0, len + 1);
            return line;
        }
        struct pollfd p = { .fd = s->fd, .events = POLLIN };
        int r = poll(&p, 1, QTEST_TIMEOUT_MS);
        if (r == 0) {
            g_error("qtest: no reply within %d ms", QTEST_TIMEOUT_MS);
        }
        char buf[65536];
        ssize_t n = recv(s->fd, buf, sizeof(buf), 0);
        if (n < 0 && errno == EINTR) {
            continue;
        }
        if (n <= 0) {
            g_error("qtest: the machine closed the socket (crashed?)");
        }
        g_string_append_len(s->rx, buf, n);
    }
}

static char *qtest_vrsp(QTestState *s, const char *fmt, va_list ap)
{
    char *cmd = g_strdup_vprintf(fmt, ap);
    char *line = g_strconcat(cmd, "\n", NULL);
    int64_t sent = g_get_monotonic_time();
    send_all(s, line, strlen(line));
    g_free(line);
    g_free(cmd);
    for (;;) {
        char *r = recv_line(s);
        unsigned n;
        if (sscanf(r, "IRQ raise %u", &n) == 1 && n < 256) {
            s->irq_level[n] = true;
        } else if (sscanf(r, "IRQ lower %u", &n) == 1 && n < 256) {
            s->irq_level[n] = false;
        } else {
            s->worst_reply_us = MAX(s->worst_reply_us,
                                    g_get_monotonic_time() - sent);
            return r;
        }
        g_free(r);
    }
}

void qtest_send_noreply(QTestState *s, const char *line)
{
    char *l = g_strconcat(line, "\n", NULL);
    send_all(s, l, strlen(l));
    g_free(l);
}

int qtest_wait_exit(QTestState *s, unsigned timeout_ms)
{
    if (!s->reaped && child_exited(s, &s->status, timeout_ms)) {
        s->reaped = true;
    }
    return s->reaped ? s->status : -1;
}

unsigned qtest_worst_reply_ms(QTestState *s)
{
    return s->worst_reply_us / 1000;
}

char *qtest_rsp(QTestState *s, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    char *r = qtest_vrsp(s, fmt, ap);
    va_end(ap);
    return r;
}

static void expect_ok(QTestState *s, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
static void expect_ok(QTestState *s, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    char *r = qtest_vrsp(s, fmt, ap);
    va_end(ap);
    if (strcmp(r, "OK")) {
        g_error("qtest: expected OK, got '%s'", r);
    }
    g_free(r);
}

static uint64_t expect_value(QTestState *s, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
static uint64_t expect_value(QTestState *s, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    char *r = qtest_vrsp(s, fmt, ap);
    va_end(ap);
    if (strncmp(r, "OK 0x", 5)) {
        g_error("qtest: expected 'OK 0x...', got '%s'", r);
    }
    uint64_t v = g_ascii_strtoull(r + 3, NULL, 16);
    g_free(r);
    return v;
}

void qtest_outb(QTestState *s, uint16_t port, uint8_t v)
{
    expect_ok(s, "outb 0x%x 0x%x", port, v);
}

void qtest_outw(QTestState *s, uint16_t port, uint16_t v)
{
    expect_ok(s, "outw 0x%x 0x%x", port, v);
}

void qtest_outl(QTestState *s, uint16_t port, uint32_t v)
{
    expect_ok(s, "outl 0x%x 0x%x", port, v);
}

uint8_t qtest_inb(QTestState *s, uint16_t port)
{
    return expect_value(s, "inb 0x%x", port);
}

uint16_t qtest_inw(QTestState *s, uint16_t port)
{
    return expect_value(s, "inw 0x%x", port);
}

uint32_t qtest_inl(QTestState *s, uint16_t port)
{
    return expect_value(s, "inl 0x%x", port);
}

void qtest_writeb(QTestState *s, uint64_t addr, uint8_t v)
{
    expect_ok(s, "writeb 0x%" PRIx64 " 0x%x", addr, v);
}

void qtest_writew(QTestState *s, uint64_t addr, uint16_t v)
{
    expect_ok(s, "writew 0x%" PRIx64 " 0x%x", addr, v);
}

void qtest_writel(QTestState *s, uint64_t addr, uint32_t v)
{
    expect_ok(s, "writel 0x%" PRIx64 " 0x%x", addr, v);
}

void qtest_writeq(QTestState *s, uint64_t addr, uint64_t v)
{
    expect_ok(s, "writeq 0x%" PRIx64 " 0x%" PRIx64, addr, v);
}

uint8_t qtest_readb(QTestState *s, uint64_t addr)
{
    return expect_value(s, "readb 0x%" PRIx64, addr);
}

uint16_t qtest_readw(QTestState *s, uint64_t addr)
{
    return expect_value(s, "readw 0x%" PRIx64, addr);
}

uint32_t qtest_readl(QTestState *s, uint64_t addr)
{
    return expect_value(s, "readl 0x%" PRIx64, addr);
}

uint64_t qtest_readq(QTestState *s, uint64_t addr)
{
    return expect_value(s, "readq 0x%" PRIx64, addr);
}

void qtest_memread(QTestState *s, uint64_t addr, void *buf, size_t len)
{
    if (!len) {
        return;
    }
    char *r = qtest_rsp(s, "b64read 0x%" PRIx64 " 0x%zx", addr, len);
    if (strncmp(r, "OK ", 3)) {
        g_error("qtest: b64read: %s", r);
    }
    gsize n;
    guchar *data = g_base64_decode(r + 3, &n);
    g_assert_cmpuint(n, ==, len);
    memcpy(buf, data, len);
    g_free(data);
    g_free(r);
}

void qtest_memwrite(QTestState *s, uint64_t addr, const void *buf,
                    size_t len)
{
    if (!len) {
        return;
    }
    char *enc = g_base64_encode(buf, len);
    expect_ok(s, "b64write 0x%" PRIx64 " 0x%zx %s", addr, len, enc);
    g_free(enc);
}

void qtest_memset(QTestState *s, uint64_t addr, uint8_t v, size_t len)
{
    if (len) {
        expect_ok(s, "memset 0x%" PRIx64 " 0x%zx 0x%x", addr, len, v);
    }
}

void qtest_irq_intercept_in(QTestState *s, const char *path)
{
    expect_ok(s, "irq_intercept_in %s", path);
}

bool qtest_get_irq(QTestState *s, unsigned n)
{
    /* Pick up IRQ lines that arrived since the last reply. */
    char *r = qtest_rsp(s, "endianness");
    g_free(r);
    return n < 256 && s->irq_level[n];
}

bool qtest_wait_until(QTestState *s, bool (*cond)(QTestState *, void *),
                      void *opaque, unsigned timeout_ms)
{
    gint64 end = g_get_monotonic_time() + timeout_ms * 1000LL;
    while (!cond(s, opaque)) {
        if (g_get_monotonic_time() > end) {
            return false;
        }
        g_usleep(1000);
    }
    return true;
}
