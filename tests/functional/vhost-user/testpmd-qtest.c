/*
 * A qtest-driven guest against dpdk-testpmd (macswap): frames go out
 * through the vhost-user rings, testpmd counts them and sends them back;
 * vmu as client or as server; testpmd killed and restarted under traffic.
 * Skips when dpdk-testpmd is not installed.
 */
#include <errno.h>
#include <fcntl.h>
#include <glib.h>
#include <glib/gstdio.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "libqos.h"

#define F(bit) (1ULL << (bit))
#define NET_F_STATUS 16
#define HDR 12
#define MSI_ADDR 0x00f00000ULL
#define BATCH 32
#define BUFSZ 2048

typedef struct Ctx {
    char *dir, *sock, *log;
    pid_t testpmd;
    QTestState *s;
    QVirtioPCI dev;
    QVirtQueue *rx, *tx;
    unsigned seq;
} Ctx;

static void testpmd_start(Ctx *c, bool client)
{
    char *iface = g_strdup_printf("net_vhost0,iface=%s%s", c->sock,
                                  client ? ",client=1" : "");
    char *prefix = g_strdup_printf("--file-prefix=vmu-qtpmd-%d", getpid());
    const char *argv[] = { "dpdk-testpmd", "--no-huge", "-m", "1024",
                           "--no-pci", "--no-shconf", prefix, "-l", "0,1",
                           "--vdev", iface, "--", "--forward-mode=macswap",
                           "--auto-start", "--stats-period", "1", NULL };
    c->testpmd = fork();
    g_assert_cmpint(c->testpmd, >=, 0);
    if (c->testpmd == 0) {
        int fd = open(c->log, O_WRONLY | O_CREAT | O_APPEND, 0600);
        int nul = open("/dev/null", O_RDONLY);
        dup2(nul, 0);
        dup2(fd, 1);
        dup2(fd, 2);
        execvp(argv[0], (char **)argv);
        _exit(127);
    }
    g_free(iface);
    g_free(prefix);
    for (unsigned t = 0; !client && t < 300; t++) {
        if (g_file_test(c->sock, G_FILE_TEST_EXISTS)) {
            return;
        }
        g_usleep(100 * 1000);
    }
    g_assert_true(client);
}

static void testpmd_kill(Ctx *c)
{
    kill(c->testpmd, SIGKILL);
    waitpid(c->testpmd, NULL, 0);
    c->testpmd = 0;
}

/* The largest RX-packets testpmd printed for its port. */
static unsigned long testpmd_rx(Ctx *c)
{
    char *text = NULL;
    unsigned long best = 0;
    g_file_get_contents(c->log, &text, NULL, NULL);
    for (char *p = text; p && (p = strstr(p, "RX-packets:")); p++) {
        unsigned long v = strtoul(p + strlen("RX-packets:"), NULL, 10);
        best = MAX(best, v);
    }
    g_free(text);
    return best;
}

static bool link_up(Ctx *c)
{
    return qvirtio_config_readw(&c->dev, 6) & 1;
}

static bool wait_link(Ctx *c, bool up, unsigned ms)
{
    for (unsigned t = 0; t < ms; t += 20) {
        if (link_up(c) == up) {
            return true;
        }
        g_usleep(20 * 1000);
    }
    return false;
}

static void start(Ctx *c, const char *chropts)
{
    c->s = qtest_initf("%s -chardev socket,id=c0,path=%s%s -netdev vhost-user,"
                       "id=n0,chardev=c0 -device virtio-net-pci,netdev=n0,"
                       "disable-legacy=on", g_getenv("VHU_EXTRA") ? g_getenv("VHU_EXTRA") : "", c->sock, chropts);
    g_assert_true(qvirtio_pci_probe(c->s, 1, &c->dev));
    QVirtioPCI *d = &c->dev;
    g_assert_true(qvirtio_negotiate(d, F(VIRTIO_F_VERSION_1) |
                                    F(NET_F_STATUS)));
    qpci_msix_enable(&d->pci);
    qpci_msix_set_vector(&d->pci, 0, MSI_ADDR, 0x1000);
    qpci_msix_set_vector(&d->pci, 1, MSI_ADDR + 4, 0x1001);
    c->rx = qvirtqueue_setup(d, 0, 256, 0);
    c->tx = qvirtqueue_setup(d, 1, 256, 1);
    qvirtio_set_status(d, qvirtio_get_status(d) | VIRTIO_STATUS_DRIVER_OK);
}

static void fill(uint8_t *f, size_t len, unsigned seq)
{
    memset(f, 0xff, 6);
    memcpy(f + 6, "\x52\x54\x00\x00\x00\x01", 6);
    f[12] = 0x88;
    f[13] = 0xb5;
    for (size_t i = 14; i < len; i++) {
        f[i] = (i * 7 + seq) & 0xff;
    }
}

/* BATCH frames out; all must come back MAC-swapped and intact. */
static void echo_batch(Ctx *c)
{
    const size_t len = 200;
    uint64_t rxb = guest_alloc(&c->dev.alloc, BATCH * BUFSZ, 64);
    uint64_t txb = guest_alloc(&c->dev.alloc, BATCH * BUFSZ, 64);
    uint8_t frame[HDR + 200];
    for (unsigned i = 0; i < BATCH; i++) {
        QVirtBuf b = { rxb + i * BUFSZ, BUFSZ, true };
        qvirtqueue_add(c->rx, &b, 1, false);
    }
    qvirtqueue_kick(c->rx);
    for (unsigned i = 0; i < BATCH; i++) {
        memset(frame, 0, HDR);
        fill(frame + HDR, len, c->seq + i);
        qtest_memwrite(c->s, txb + i * BUFSZ, frame, HDR + len);
        QVirtBuf b = { txb + i * BUFSZ, HDR + len, false };
        qvirtqueue_add(c->tx, &b, 1, false);
        qvirtqueue_kick(c->tx);
    }
    for (unsigned i = 0; i < BATCH; i++) {
        uint32_t id, ulen;
        g_assert_true(qvirtqueue_get_used(c->rx, &id, &ulen, 10000));
        g_assert_cmpuint(ulen, ==, HDR + len);
    }
    /* Check the payloads in the order the buffers were posted. */
    for (unsigned i = 0; i < BATCH; i++) {
        uint8_t got[HDR + 200], want[200];
        qtest_memread(c->s, rxb + i * BUFSZ, got, HDR + len);
        fill(want, len, c->seq + i);
        g_assert_cmpmem(got + HDR, 6, "\x52\x54\x00\x00\x00\x01", 6);
        g_assert_cmpmem(got + HDR + 6, 6, "\xff\xff\xff\xff\xff\xff", 6);
        g_assert_cmpmem(got + HDR + 12, len - 12, want + 12, len - 12);
    }
    for (unsigned i = 0; i < BATCH; i++) {
        g_assert_true(qvirtqueue_get_used(c->tx, NULL, NULL, 10000));
    }
    c->seq += BATCH;
}

static bool have_testpmd(void)
{
    g_autofree char *tp = g_find_program_in_path("dpdk-testpmd");
    if (!tp) {
        qtest_skip_missing("dpdk-testpmd is not installed (package dpdk)");
    }
    return tp != NULL;
}

static void ctx_init(Ctx *c)
{
    memset(c, 0, sizeof(*c));
    c->dir = g_dir_make_tmp("vhu-tpmd-XXXXXX", NULL);
    c->sock = g_build_filename(c->dir, "be.sock", NULL);
    c->log = g_build_filename(c->dir, "testpmd.log", NULL);
}

static void ctx_fini(Ctx *c)
{
    if (c->s) {
        qtest_quit(c->s);
    }
    if (c->testpmd) {
        testpmd_kill(c);
    }
    g_free(c->rx);
    g_free(c->tx);
    if (!g_getenv("VHU_KEEP")) g_unlink(c->log);
    g_unlink(c->sock);
    g_rmdir(c->dir);
    g_free(c->dir);
    g_free(c->sock);
    g_free(c->log);
}

static void counted(Ctx *c, unsigned long n)
{
    gint64 end = g_get_monotonic_time() + 30 * G_USEC_PER_SEC;

    while (testpmd_rx(c) < n && g_get_monotonic_time() < end) {
        g_usleep(100 * 1000);
    }
    g_test_message("testpmd counted %lu frames", testpmd_rx(c));
    g_assert_cmpuint(testpmd_rx(c), >=, n);
}

/* (a) vmu connects to testpmd. */
static void test_client(void)
{
    Ctx c;
    if (!have_testpmd()) {
        return;
    }
    ctx_init(&c);
    testpmd_start(&c, false);
    start(&c, ",reconnect-ms=500");
    g_assert_true(wait_link(&c, true, 20000));
    for (unsigned i = 0; i < 4; i++) {
        echo_batch(&c);
    }
    counted(&c, 4 * BATCH);
    ctx_fini(&c);
}

/* (b) vmu listens (server=on,wait=off); testpmd connects (client=1). */
static void test_server(void)
{
    Ctx c;
    if (!have_testpmd()) {
        return;
    }
    ctx_init(&c);
    start(&c, ",server=on,wait=off");
    g_assert_false(link_up(&c));
    testpmd_start(&c, true);
    g_assert_true(wait_link(&c, true, 30000));
    for (unsigned i = 0; i < 4; i++) {
        echo_batch(&c);
    }
    counted(&c, 4 * BATCH);
    ctx_fini(&c);
}

/* (d) testpmd killed under traffic and restarted: link down, link up,
 * traffic again, with no guest action in between. */
static void test_restart(void)
{
    Ctx c;
    if (!have_testpmd()) {
        return;
    }
    ctx_init(&c);
    testpmd_start(&c, false);
    start(&c, ",reconnect-ms=200");
    g_assert_true(wait_link(&c, true, 20000));
    echo_batch(&c);
    testpmd_kill(&c);
    g_assert_true(wait_link(&c, false, 30000));
    gint64 t0 = g_get_monotonic_time();
    g_unlink(c.sock);
    testpmd_start(&c, false);
    gint64 t1 = g_get_monotonic_time();
    g_assert_true(wait_link(&c, true, 30000));
    g_test_message("testpmd restart: socket after %" G_GINT64_FORMAT " ms, "
                   "link up %" G_GINT64_FORMAT " ms after the socket",
                   (t1 - t0) / 1000, (g_get_monotonic_time() - t1) / 1000);
    for (unsigned i = 0; i < 3; i++) {
        echo_batch(&c);
    }
    ctx_fini(&c);
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    signal(SIGPIPE, SIG_IGN);
    if (qtest_using_qemu()) {
        return 77;
    }
    g_test_add_func("/vhost-user/testpmd/client", test_client);
    g_test_add_func("/vhost-user/testpmd/server", test_server);
    g_test_add_func("/vhost-user/testpmd/restart", test_restart);
    return g_test_run();
}
