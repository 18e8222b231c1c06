/*
 * virtio-blk-pci driven by a qtest driver (qvirtio-blk.c) on a raw image
 * the test writes: configuration, read/write/flush/discard/write-zeroes
 * with the image checked from the host, out-of-range and malformed
 * requests, a read-only disk, multiqueue, GET_ID, MSI-X, reset with
 * requests in flight, and werror=stop on a full tmpfs resumed over QMP.
 */
#include <errno.h>
#include <fcntl.h>
#include <glib.h>
#include <glib/gstdio.h>
#include <sched.h>
#include <stdio.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include "qvirtio-blk.h"

#define F(bit) (1ULL << (bit))
#define IMG_SIZE (4 << 20)
#define SECTORS (IMG_SIZE / 512)
#define MSI_ADDR 0x00f00000ULL

typedef struct Ctx {
    QTestState *s;
    QVirtioBlk b;
    char *dir;
    char *img;
} Ctx;

static uint8_t pattern(size_t off, unsigned seed)
{
    return (uint8_t)(off * 7 + off / 512 + seed * 13);
}

static void fill(uint8_t *buf, size_t len, size_t off, unsigned seed)
{
    for (size_t i = 0; i < len; i++) {
        buf[i] = pattern(off + i, seed);
    }
}

/* A raw image of IMG_SIZE bytes, pattern seed 0, in a new directory. */
static void make_image(Ctx *c, const char *dir)
{
    GError *err = NULL;
    c->dir = dir ? g_strdup(dir) : g_dir_make_tmp("vblk-XXXXXX", &err);
    g_assert_no_error(err);
    c->img = g_build_filename(c->dir, "disk.raw", NULL);
    uint8_t *buf = g_malloc(IMG_SIZE);
    fill(buf, IMG_SIZE, 0, 0);
    g_assert_true(g_file_set_contents(c->img, (char *)buf, IMG_SIZE, &err));
    g_assert_no_error(err);
    g_free(buf);
}

static void start_args(Ctx *c, const char *drive_opts, const char *dev_opts,
                       const char *extra)
{
    if (!c->img) {
        make_image(c, NULL);
    }
    c->s = qtest_initf("-drive if=none,id=d0,file=%s,format=raw%s "
                       "-device virtio-blk-pci,drive=d0,disable-legacy=on%s %s", c->img,
                       drive_opts ? drive_opts : "",
                       dev_opts ? dev_opts : "", extra ? extra : "");
}

static void start(Ctx *c, const char *drive_opts, const char *dev_opts)
{
    memset(c, 0, sizeof(*c));
    start_args(c, drive_opts, dev_opts, NULL);
}

static void stop(Ctx *c)
{
    qvblk_free(&c->b);
    qtest_quit(c->s);
    g_unlink(c->img);
    g_rmdir(c->dir);
    g_free(c->img);
    g_free(c->dir);
}

static void read_host(Ctx *c, void *buf, size_t len, off_t off)
{
    int fd = open(c->img, O_RDONLY);
    g_assert_cmpint(fd, >=, 0);
    g_assert_cmpint(pread(fd, buf, len, off), ==, (ssize_t)len);
    close(fd);
}

static const uint64_t base_features = F(BLK_F_SEG_MAX) | F(BLK_F_BLK_SIZE) |
                                      F(BLK_F_FLUSH) | F(BLK_F_DISCARD) |
                                      F(BLK_F_WRITE_ZEROES);

static void init(Ctx *c, uint64_t features, unsigned nq)
{
    g_assert_true(qvblk_init(&c->b, c->s, features, nq, 128));
}

/* ---- configuration ---- */

static void test_config(void)
{
    Ctx c;
    start(&c, NULL, ",num-queues=1");
    QVirtioBlk *b = &c.b;
    init(&c, base_features, 1);
    QPCIDevice *p = &b->dev.pci;
    g_assert_cmphex(qpci_config_read(c.s, p->devfn, 0, 4), ==, 0x10421af4);
    g_assert_cmphex(qpci_config_read(c.s, p->devfn, 0x09, 4) >> 8, ==,
                    0x010000);
    g_assert_cmphex(qpci_config_read(c.s, p->devfn, 0x2c, 2), ==, 0x1af4);
    g_assert_cmpuint(qpci_find_capability(p, 0x11, 0), !=, 0);   /* MSI-X */
    uint64_t f = qvirtio_get_features(&b->dev);
    uint64_t want = F(BLK_F_SEG_MAX) | F(BLK_F_GEOMETRY) | F(BLK_F_BLK_SIZE) |
                    F(BLK_F_TOPOLOGY) | F(BLK_F_FLUSH) | F(BLK_F_CONFIG_WCE) |
                    F(BLK_F_DISCARD) | F(BLK_F_WRITE_ZEROES) |
                    F(VIRTIO_F_VERSION_1);
    g_assert_cmphex(f & want, ==, want);
    g_assert_false(f & F(BLK_F_RO));
    g_assert_false(f & F(BLK_F_MQ));
    g_assert_cmpuint(qvblk_config_readq(b, BLK_CFG_CAPACITY), ==, SECTORS);
    g_assert_cmpuint(qvirtio_config_readl(&b->dev, BLK_CFG_BLK_SIZE), ==,
                     512);
    g_assert_cmpuint(qvirtio_config_readl(&b->dev, BLK_CFG_SEG_MAX), ==, 254);
    g_assert_cmpuint(qvirtio_config_readb(&b->dev, BLK_CFG_WRITEBACK), ==, 1);
    g_assert_cmpuint(qvirtio_config_readl(&b->dev, BLK_CFG_MAX_DISCARD), >,
                     0);
    g_assert_cmpuint(qvirtio_config_readl(&b->dev, BLK_CFG_MAX_WZ), >, 0);
    if (!qtest_using_qemu()) {
        /* QEMU 7.2 does not offer SIZE_MAX. */
        g_assert_true(f & F(BLK_F_SIZE_MAX));
        g_assert_cmpuint(qvirtio_config_readl(&b->dev, BLK_CFG_SIZE_MAX), >=,
                         65536);
    }
    stop(&c);
}

static void test_topology(void)
{
    Ctx c;
    start(&c, NULL, ",logical_block_size=4096,physical_block_size=16384,"
          "min_io_size=8192,opt_io_size=65536");
    QVirtioBlk *b = &c.b;
    init(&c, base_features | F(BLK_F_TOPOLOGY), 1);
    g_assert_cmpuint(qvirtio_config_readl(&b->dev, BLK_CFG_BLK_SIZE), ==,
                     4096);
    g_assert_cmpuint(qvirtio_config_readb(&b->dev, BLK_CFG_PHYS_EXP), ==, 2);
    g_assert_cmpuint(qvirtio_config_readw(&b->dev, BLK_CFG_MIN_IO), ==, 2);
    g_assert_cmpuint(qvirtio_config_readl(&b->dev, BLK_CFG_OPT_IO), ==, 16);
    /* Capacity stays in 512-byte sectors; I/O must be 4 KiB aligned. */
    g_assert_cmpuint(qvblk_config_readq(b, BLK_CFG_CAPACITY), ==, SECTORS);
    uint8_t buf[4096];
    g_assert_cmpint(qvblk_req(b, 0, BLK_T_IN, 8, buf, 4096), ==, BLK_S_OK);
    g_assert_cmpint(qvblk_req(b, 0, BLK_T_IN, 1, buf, 4096), ==,
                    BLK_S_IOERR);
    g_assert_cmpint(qvblk_req(b, 0, BLK_T_IN, 8, buf, 512), ==, BLK_S_IOERR);
    stop(&c);
}

/* QEMU's default since 5.2: one request queue per vCPU. */
static void test_num_queues_default(void)
{
    Ctx c;
    memset(&c, 0, sizeof(c));
    start_args(&c, NULL, NULL, "-smp 2");
    QVirtioBlk *b = &c.b;
    g_assert_true(qvirtio_pci_probe(c.s, VIRTIO_ID_BLK, &b->dev));
    g_assert_cmpuint(qtest_readw(c.s, b->dev.common + VPCI_NUM_QUEUES), ==,
                     2);
    g_assert_true(qvirtio_get_features(&b->dev) & F(BLK_F_MQ));
    stop(&c);
}

/* write-cache=off: writethrough, the driver may switch it (CONFIG_WCE). */
static void test_write_cache(void)
{
    Ctx c;
    start(&c, NULL, ",write-cache=off");
    QVirtioBlk *b = &c.b;
    uint64_t want = F(BLK_F_FLUSH) | F(BLK_F_CONFIG_WCE);
    init(&c, base_features | F(BLK_F_CONFIG_WCE), 1);
    g_assert_cmphex(qvirtio_get_features(&b->dev) & want, ==, want);
    g_assert_cmpuint(qvirtio_config_readb(&b->dev, BLK_CFG_WRITEBACK), ==, 0);
    qtest_writeb(c.s, b->dev.device + BLK_CFG_WRITEBACK, 1);
    g_assert_cmpuint(qvirtio_config_readb(&b->dev, BLK_CFG_WRITEBACK), ==, 1);
    uint8_t buf[4096];
    fill(buf, 4096, 0, 4);
    g_assert_cmpint(qvblk_req(b, 0, BLK_T_OUT, 8, buf, 4096), ==, BLK_S_OK);
    g_assert_cmpint(qvblk_req(b, 0, BLK_T_FLUSH, 0, NULL, 0), ==, BLK_S_OK);
    qtest_writeb(c.s, b->dev.device + BLK_CFG_WRITEBACK, 0);
    g_assert_cmpuint(qvirtio_config_readb(&b->dev, BLK_CFG_WRITEBACK), ==, 0);
    /* A reset brings back the command line's setting. */
    qtest_writeb(c.s, b->dev.device + BLK_CFG_WRITEBACK, 1);
    g_assert_true(qvblk_reinit(b, base_features | F(BLK_F_CONFIG_WCE)));
    g_assert_cmpuint(qvirtio_config_readb(&b->dev, BLK_CFG_WRITEBACK), ==, 0);
    stop(&c);
}

/* ---- data ---- */

static void test_read_write(void)
{
    Ctx c;
    start(&c, NULL, NULL);
    QVirtioBlk *b = &c.b;
    init(&c, base_features | F(VIRTIO_F_INDIRECT_DESC), 1);
    uint8_t *buf = g_malloc(65536), *want = g_malloc(65536);

    /* What the image holds. */
    g_assert_cmpint(qvblk_req(b, 0, BLK_T_IN, 0, buf, 4096), ==, BLK_S_OK);
    fill(want, 4096, 0, 0);
    g_assert_cmpmem(buf, 4096, want, 4096);
    /* The last sector. */
    g_assert_cmpint(qvblk_req(b, 0, BLK_T_IN, SECTORS - 1, buf, 512), ==,
                    BLK_S_OK);
    fill(want, 512, IMG_SIZE - 512, 0);
    g_assert_cmpmem(buf, 512, want, 512);

    /* A write reaches the image and reads back. */
    fill(want, 65536, 0, 1);
    g_assert_cmpint(qvblk_req(b, 0, BLK_T_OUT, 16, want, 65536), ==,
                    BLK_S_OK);
    g_assert_cmpint(qvblk_req(b, 0, BLK_T_FLUSH, 0, NULL, 0), ==, BLK_S_OK);
    read_host(&c, buf, 65536, 16 * 512);
    g_assert_cmpmem(buf, 65536, want, 65536);
    memset(buf, 0, 65536);
    g_assert_cmpint(qvblk_req(b, 0, BLK_T_IN, 16, buf, 65536), ==, BLK_S_OK);
    g_assert_cmpmem(buf, 65536, want, 65536);

    /* The used length of a read counts its data and the status byte. */
    uint16_t head = qvblk_submit(b, 0, 0, BLK_T_IN, 0, NULL, 4096, false);
    qvirtqueue_kick(b->vq[0]);
    uint16_t got;
    uint32_t used_len;
    g_assert_cmpint(qvblk_wait(b, 0, &got, &used_len, 10000), ==, 0);
    g_assert_cmpuint(got, ==, head);
    g_assert_cmpuint(used_len, ==, 4097);

    /* Several in flight at once, some through indirect tables. */
    uint16_t heads[QVBLK_SLOTS];
    for (unsigned i = 0; i < QVBLK_SLOTS; i++) {
        fill(want, 8192, 0, 10 + i);
        heads[i] = qvblk_submit(b, 0, i, BLK_T_OUT, 1024 + 16 * i, want, 8192,
                                i % 2);
    }
    qvirtqueue_kick(b->vq[0]);
    unsigned seen = 0;
    for (unsigned n = 0; n < QVBLK_SLOTS; n++) {
        g_assert_cmpint(qvblk_wait(b, 0, &got, NULL, 10000), ==, 0);
        for (unsigned i = 0; i < QVBLK_SLOTS; i++) {
            if (heads[i] == got) {
                g_assert_false(seen & (1u << i));
                seen |= 1u << i;
                g_assert_cmpuint(qtest_readb(c.s, b->status[0][i]), ==,
                                 BLK_S_OK);
            }
        }
    }
    g_assert_cmphex(seen, ==, (1u << QVBLK_SLOTS) - 1);
    for (unsigned i = 0; i < QVBLK_SLOTS; i++) {
        fill(want, 8192, 0, 10 + i);
        read_host(&c, buf, 8192, (1024 + 16 * i) * 512);
        g_assert_cmpmem(buf, 8192, want, 8192);
    }
    g_free(buf);
    g_free(want);
    stop(&c);
}

static void test_write_zeroes_discard(void)
{
    Ctx c;
    start(&c, NULL, NULL);
    QVirtioBlk *b = &c.b;
    init(&c, base_features, 1);
    uint8_t seg[16], buf[4096], zero[4096] = { 0 };

    qvblk_segment(seg, 32, 8, 0);
    g_assert_cmpint(qvblk_req(b, 0, BLK_T_WRITE_ZEROES, 0, seg, 16), ==,
                    BLK_S_OK);
    g_assert_cmpint(qvblk_req(b, 0, BLK_T_IN, 32, buf, 4096), ==, BLK_S_OK);
    g_assert_cmpmem(buf, 4096, zero, 4096);
    read_host(&c, buf, 4096, 32 * 512);
    g_assert_cmpmem(buf, 4096, zero, 4096);
    /* The sectors around it are untouched. */
    uint8_t want[512];
    read_host(&c, buf, 512, 40 * 512);
    fill(want, 512, 40 * 512, 0);
    g_assert_cmpmem(buf, 512, want, 512);

    qvblk_segment(seg, 64, 8, 1);       /* may unmap */
    g_assert_cmpint(qvblk_req(b, 0, BLK_T_WRITE_ZEROES, 0, seg, 16), ==,
                    BLK_S_OK);
    read_host(&c, buf, 4096, 64 * 512);
    g_assert_cmpmem(buf, 4096, zero, 4096);

    qvblk_segment(seg, 128, 8, 0);
    g_assert_cmpint(qvblk_req(b, 0, BLK_T_DISCARD, 0, seg, 16), ==, BLK_S_OK);
    /* The unmap flag on a discard, a flag that does not exist. */
    qvblk_segment(seg, 128, 8, 1);
    g_assert_cmpint(qvblk_req(b, 0, BLK_T_DISCARD, 0, seg, 16), ==,
                    BLK_S_UNSUPP);
    qvblk_segment(seg, 128, 8, 2);
    g_assert_cmpint(qvblk_req(b, 0, BLK_T_WRITE_ZEROES, 0, seg, 16), ==,
                    BLK_S_UNSUPP);
    /* Out of range. */
    qvblk_segment(seg, SECTORS - 4, 8, 0);
    g_assert_cmpint(qvblk_req(b, 0, BLK_T_WRITE_ZEROES, 0, seg, 16), ==,
                    BLK_S_IOERR);
    qvblk_segment(seg, SECTORS - 4, 8, 0);
    g_assert_cmpint(qvblk_req(b, 0, BLK_T_DISCARD, 0, seg, 16), ==,
                    BLK_S_IOERR);
    /* Two segments: max_discard_seg is 1. */
    uint8_t two[32];
    qvblk_segment(two, 8, 8, 0);
    qvblk_segment(two + 16, 24, 8, 0);
    g_assert_cmpint(qvblk_req(b, 0, BLK_T_DISCARD, 0, two, 32), ==,
                    BLK_S_UNSUPP);
    stop(&c);
}

static void test_out_of_range(void)
{
    Ctx c;
    start(&c, NULL, NULL);
    QVirtioBlk *b = &c.b;
    init(&c, base_features, 1);
    uint8_t buf[4096];
    g_assert_cmpint(qvblk_req(b, 0, BLK_T_IN, SECTORS, buf, 512), ==,
                    BLK_S_IOERR);
    g_assert_cmpint(qvblk_req(b, 0, BLK_T_IN, SECTORS - 1, buf, 1024), ==,
                    BLK_S_IOERR);
    g_assert_cmpint(qvblk_req(b, 0, BLK_T_OUT, SECTORS - 2, buf, 4096), ==,
                    BLK_S_IOERR);
    g_assert_cmpint(qvblk_req(b, 0, BLK_T_IN, 1ULL << 62, buf, 512), ==,
                    BLK_S_IOERR);
    g_assert_cmpint(qvblk_req(b, 0, BLK_T_IN, UINT64_MAX, buf, 512), ==,
                    BLK_S_IOERR);
    /* Not a whole number of sectors. */
    g_assert_cmpint(qvblk_req(b, 0, BLK_T_OUT, 0, buf, 100), ==,
                    BLK_S_IOERR);
    /* No data at all: nothing to do, done. */
    g_assert_cmpint(qvblk_req(b, 0, BLK_T_IN, 0, NULL, 0), ==, BLK_S_OK);
    g_assert_cmpint(qvblk_req(b, 0, BLK_T_OUT, SECTORS, NULL, 0), ==,
                    BLK_S_OK);
    /* A type that does not exist. */
    g_assert_cmpint(qvblk_req(b, 0, 99, 0, buf, 512), ==, BLK_S_UNSUPP);
    /* The image is as it was and the disk still works. */
    uint8_t want[4096];
    fill(want, 4096, 0, 0);
    read_host(&c, buf, 4096, 0);
    g_assert_cmpmem(buf, 4096, want, 4096);
    g_assert_cmpint(qvblk_req(b, 0, BLK_T_IN, 0, buf, 4096), ==, BLK_S_OK);
    g_assert_cmpmem(buf, 4096, want, 4096);
    stop(&c);
}

static void test_read_only(void)
{
    Ctx c;
    start(&c, ",readonly=on", NULL);
    QVirtioBlk *b = &c.b;
    uint64_t f = 0;
    g_assert_true(qvirtio_pci_probe(c.s, VIRTIO_ID_BLK, &b->dev));
    f = qvirtio_get_features(&b->dev);
    g_assert_true(f & F(BLK_F_RO));
    init(&c, base_features | F(BLK_F_RO), 1);
    uint8_t buf[4096], want[4096], seg[16];
    fill(want, 4096, 0, 5);
    g_assert_cmpint(qvblk_req(b, 0, BLK_T_OUT, 0, want, 4096), ==,
                    BLK_S_IOERR);
    qvblk_segment(seg, 0, 8, 0);
    g_assert_cmpint(qvblk_req(b, 0, BLK_T_WRITE_ZEROES, 0, seg, 16), ==,
                    BLK_S_IOERR);
    /* QEMU 7.2 drops a discard on a read-only disk and answers OK. */
    g_assert_cmpint(qvblk_req(b, 0, BLK_T_DISCARD, 0, seg, 16), ==,
                    qtest_using_qemu() ? BLK_S_OK : BLK_S_IOERR);
    g_assert_cmpint(qvblk_req(b, 0, BLK_T_IN, 0, buf, 4096), ==, BLK_S_OK);
    fill(want, 4096, 0, 0);
    g_assert_cmpmem(buf, 4096, want, 4096);
    read_host(&c, buf, 4096, 0);
    g_assert_cmpmem(buf, 4096, want, 4096);
    stop(&c);
}

static void test_multiqueue(void)
{
    Ctx c;
    start(&c, NULL, ",num-queues=4");
    QVirtioBlk *b = &c.b;
    init(&c, base_features | F(BLK_F_MQ), 4);
    g_assert_true(qvirtio_get_features(&b->dev) & F(BLK_F_MQ));
    g_assert_cmpuint(qtest_readw(c.s, b->dev.common + VPCI_NUM_QUEUES), ==,
                     4);
    g_assert_cmpuint(qvirtio_config_readw(&b->dev, BLK_CFG_NUM_QUEUES), ==,
                     4);
    uint8_t buf[8192], want[8192];
    /* A write on every queue, all in flight together. */
    uint16_t heads[4];
    for (unsigned q = 0; q < 4; q++) {
        fill(want, 8192, 0, 20 + q);
        heads[q] = qvblk_submit(b, q, 0, BLK_T_OUT, 256 * q, want, 8192,
                                false);
    }
    for (unsigned q = 0; q < 4; q++) {
        qvirtqueue_kick(b->vq[q]);
    }
    for (unsigned q = 0; q < 4; q++) {
        uint16_t got;
        g_assert_cmpint(qvblk_wait(b, q, &got, NULL, 10000), ==, 0);
        g_assert_cmpuint(got, ==, heads[q]);
        g_assert_cmpuint(qtest_readb(c.s, b->status[q][0]), ==, BLK_S_OK);
    }
    /* Each read back through another queue. */
    for (unsigned q = 0; q < 4; q++) {
        fill(want, 8192, 0, 20 + q);
        g_assert_cmpint(qvblk_req(b, (q + 1) % 4, BLK_T_IN, 256 * q, buf,
                                  8192), ==, BLK_S_OK);
        g_assert_cmpmem(buf, 8192, want, 8192);
        read_host(&c, buf, 8192, 256 * 512 * q);
        g_assert_cmpmem(buf, 8192, want, 8192);
    }
    stop(&c);
}

static void test_get_id(void)
{
    Ctx c;
    start(&c, NULL, ",serial=vmu-disk-0001");
    QVirtioBlk *b = &c.b;
    init(&c, base_features, 1);
    char id[20];
    char want[20] = "vmu-disk-0001";
    g_assert_cmpint(qvblk_req(b, 0, BLK_T_GET_ID, 0, id, 20), ==, BLK_S_OK);
    /* The serial and its NUL (QEMU leaves the bytes after it alone). */
    g_assert_cmpmem(id, 14, want, 14);
    stop(&c);

    /* Twenty bytes exactly: no terminating NUL. */
    start(&c, NULL, ",serial=ABCDEFGHIJKLMNOPQRST");
    b = &c.b;
    init(&c, base_features, 1);
    g_assert_cmpint(qvblk_req(b, 0, BLK_T_GET_ID, 0, id, 20), ==, BLK_S_OK);
    g_assert_cmpmem(id, 20, "ABCDEFGHIJKLMNOPQRST", 20);
    stop(&c);
}

static bool msi_seen(QTestState *s, void *opaque)
{
    return qtest_readl(s, MSI_ADDR) == 0x4001;
}

static void test_msix(void)
{
    Ctx c;
    start(&c, NULL, NULL);
    QVirtioBlk *b = &c.b;
    init(&c, base_features, 1);
    qpci_msix_enable(&b->dev.pci);
    qpci_msix_set_vector(&b->dev.pci, 1, MSI_ADDR, 0x4001);
    qtest_writel(c.s, MSI_ADDR, 0);
    qtest_writew(c.s, b->dev.common + VPCI_Q_SELECT, 0);
    qtest_writew(c.s, b->dev.common + VPCI_Q_MSIX, 1);
    g_assert_cmpuint(qtest_readw(c.s, b->dev.common + VPCI_Q_MSIX), ==, 1);
    uint8_t buf[512];
    g_assert_cmpint(qvblk_req(b, 0, BLK_T_IN, 0, buf, 512), ==, BLK_S_OK);
    g_assert_true(qtest_wait_until(c.s, msi_seen, NULL, 10000));
    stop(&c);
}

static int run_cmd(char **argv)
{
    int status;
    GError *err = NULL;
    if (!g_spawn_sync(NULL, argv, NULL, G_SPAWN_SEARCH_PATH, NULL, NULL,
                      NULL, NULL, &status, &err)) {
        g_test_message("%s: %s", argv[0], err->message);
        g_error_free(err);
        return -1;
    }
    return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

/* The same through a qcow2 image qemu-img made: what the guest wrote
 * passes qemu-img check and compares equal to the raw image with the
 * same writes. */
static void test_qcow2(void)
{
    char *qemu_img = g_find_program_in_path("qemu-img");
    if (!qemu_img) {
        qtest_skip_missing("qemu-img (package qemu-utils)");
        return;
    }
    Ctx c;
    memset(&c, 0, sizeof(c));
    make_image(&c, NULL);
    char *raw = c.img;
    char *qcow2 = g_build_filename(c.dir, "disk.qcow2", NULL);
    char *conv[] = { qemu_img, "convert", "-f", "raw", "-O", "qcow2", raw,
                     qcow2, NULL };
    g_assert_cmpint(run_cmd(conv), ==, 0);
    c.s = qtest_initf("-drive if=none,id=d0,file=%s,format=qcow2 "
                      "-device virtio-blk-pci,drive=d0,disable-legacy=on",
                      qcow2);
    QVirtioBlk *b = &c.b;
    init(&c, base_features, 1);
    uint8_t *buf = g_malloc(65536), *want = g_malloc(65536), seg[16];
    g_assert_cmpint(qvblk_req(b, 0, BLK_T_IN, 100, buf, 65536), ==, BLK_S_OK);
    fill(want, 65536, 100 * 512, 0);
    g_assert_cmpmem(buf, 65536, want, 65536);
    fill(want, 65536, 0, 3);
    g_assert_cmpint(qvblk_req(b, 0, BLK_T_OUT, 1000, want, 65536), ==,
                    BLK_S_OK);
    qvblk_segment(seg, 4000, 256, 0);
    g_assert_cmpint(qvblk_req(b, 0, BLK_T_WRITE_ZEROES, 0, seg, 16), ==,
                    BLK_S_OK);
    g_assert_cmpint(qvblk_req(b, 0, BLK_T_FLUSH, 0, NULL, 0), ==, BLK_S_OK);
    g_assert_cmpint(qvblk_req(b, 0, BLK_T_IN, 1000, buf, 65536), ==,
                    BLK_S_OK);
    g_assert_cmpmem(buf, 65536, want, 65536);
    qvblk_free(&c.b);
    qtest_quit(c.s);

    /* The same writes on the raw image, from the host. */
    int fd = open(raw, O_WRONLY);
    g_assert_cmpint(fd, >=, 0);
    g_assert_cmpint(pwrite(fd, want, 65536, 1000 * 512), ==, 65536);
    memset(buf, 0, 65536);
    g_assert_cmpint(pwrite(fd, buf, 65536, 4000 * 512), ==, 65536);
    g_assert_cmpint(pwrite(fd, buf, 65536, 4128 * 512), ==, 65536);
    close(fd);
    char *check[] = { qemu_img, "check", "-q", "-f", "qcow2", qcow2, NULL };
    g_assert_cmpint(run_cmd(check), ==, 0);
    char *cmp[] = { qemu_img, "compare", "-q", "-f", "raw", "-F", "qcow2",
                    raw, qcow2, NULL };
    g_assert_cmpint(run_cmd(cmp), ==, 0);
    g_unlink(qcow2);
    g_unlink(raw);
    g_rmdir(c.dir);
    g_free(qcow2);
    g_free(raw);
    g_free(c.dir);
    g_free(buf);
    g_free(want);
    g_free(qemu_img);
}

/* ---- a driver that breaks the rules ---- */

static bool needs_reset(QTestState *s, void *opaque)
{
    return qvirtio_get_status(opaque) & VIRTIO_STATUS_NEEDS_RESET;
}

static void test_bad_requests(void)
{
    if (qtest_using_qemu()) {
        g_test_skip("QEMU marks the device broken for a short header "
                    "(virtio_error), where vmu answers IOERR");
        return;
    }
    Ctx c;
    start(&c, NULL, NULL);
    QVirtioBlk *b = &c.b;
    init(&c, base_features, 1);
    QTestState *s = c.s;

    /* A header of 8 bytes: an I/O error, the disk keeps working. */
    QVirtBuf shorthdr[2] = {
        { b->hdr[0][0], 8, false }, { b->status[0][0], 1, true },
    };
    qtest_writeb(s, b->status[0][0], 0xff);
    qvirtqueue_add(b->vq[0], shorthdr, 2, false);
    qvirtqueue_kick(b->vq[0]);
    g_assert_cmpint(qvblk_wait(b, 0, NULL, NULL, 10000), ==, 0);
    g_assert_cmpuint(qtest_readb(s, b->status[0][0]), ==, BLK_S_IOERR);
    /* A discard segment cut short. */
    uint8_t seg[16];
    qvblk_segment(seg, 0, 8, 0);
    g_assert_cmpint(qvblk_req(b, 0, BLK_T_DISCARD, 0, seg, 10), ==,
                    BLK_S_IOERR);
    uint8_t buf[512];
    g_assert_cmpint(qvblk_req(b, 0, BLK_T_IN, 0, buf, 512), ==, BLK_S_OK);

    /* No status byte at all: the device needs a reset, vmu lives on. */
    QVirtBuf nostatus[1] = { { b->hdr[0][0], 16, false } };
    qvirtqueue_add(b->vq[0], nostatus, 1, false);
    qvirtqueue_kick(b->vq[0]);
    g_assert_true(qtest_wait_until(s, needs_reset, &b->dev, 10000));
    /* A descriptor outside guest RAM, after a reset. */
    g_assert_true(qvblk_reinit(b, base_features));
    QVirtBuf outside[3] = {
        { b->hdr[0][0], 16, false }, { 0xfffff000ULL << 8, 512, true },
        { b->status[0][0], 1, true },
    };
    qvirtqueue_add(b->vq[0], outside, 3, false);
    qvirtqueue_kick(b->vq[0]);
    g_assert_true(qtest_wait_until(s, needs_reset, &b->dev, 10000));
    g_assert_true(qvblk_reinit(b, base_features));
    g_assert_cmpint(qvblk_req(b, 0, BLK_T_IN, 0, buf, 512), ==, BLK_S_OK);
    stop(&c);
}

/* Requests with random types, sectors, lengths and segments: each one is
 * answered with a status, and the disk keeps working. */
static void test_random_requests(void)
{
    if (qtest_using_qemu()) {
        g_test_skip("QEMU marks the device broken for a short discard "
                    "segment (virtio_error), where vmu answers IOERR");
        return;
    }
    Ctx c;
    start(&c, NULL, NULL);
    QVirtioBlk *b = &c.b;
    init(&c, base_features | F(VIRTIO_F_INDIRECT_DESC), 1);
    static const uint32_t types[] = { BLK_T_IN, BLK_T_OUT, BLK_T_FLUSH,
                                      BLK_T_GET_ID, BLK_T_DISCARD,
                                      BLK_T_WRITE_ZEROES, 7, 0x80000001u };
    GRand *r = g_rand_new_with_seed(20261202);
    uint8_t *buf = g_malloc(QVBLK_DATA_MAX);
    for (unsigned n = 0; n < 200; n++) {
        uint32_t type = types[g_rand_int_range(r, 0, G_N_ELEMENTS(types))];
        uint64_t sector;
        switch (g_rand_int_range(r, 0, 4)) {
        case 0: sector = g_rand_int_range(r, 0, SECTORS); break;
        case 1: sector = SECTORS - g_rand_int_range(r, 0, 16); break;
        case 2: sector = (uint64_t)g_rand_int(r) << 32 | g_rand_int(r); break;
        default: sector = UINT64_MAX - g_rand_int_range(r, 0, 4); break;
        }
        size_t len = g_rand_boolean(r) ? 512 * g_rand_int_range(r, 0, 17) :
                     g_rand_int_range(r, 0, 8193);
        for (size_t i = 0; i < len; i++) {
            buf[i] = g_rand_int(r);
        }
        unsigned slot = n % QVBLK_SLOTS;
        uint16_t head = qvblk_submit(b, 0, slot, type, sector, buf, len,
                                     g_rand_boolean(r));
        qvirtqueue_kick(b->vq[0]);
        uint16_t got;
        g_assert_cmpint(qvblk_wait(b, 0, &got, NULL, 10000), ==, 0);
        g_assert_cmpuint(got, ==, head);
        g_assert_cmpuint(qtest_readb(c.s, b->status[0][slot]), <=,
                         BLK_S_UNSUPP);
    }
    g_assert_false(qvirtio_get_status(&b->dev) & VIRTIO_STATUS_NEEDS_RESET);
    g_assert_cmpint(qvblk_req(b, 0, BLK_T_IN, 0, buf, 4096), ==, BLK_S_OK);
    g_rand_free(r);
    g_free(buf);
    stop(&c);
}

/* Reset with writes in flight: the reset waits for them, and nothing of
 * theirs reaches the rings the driver set up afterwards. */
static void test_reset_inflight(void)
{
    Ctx c;
    start(&c, NULL, NULL);
    QVirtioBlk *b = &c.b;
    init(&c, base_features, 1);
    uint8_t *want = g_malloc(QVBLK_DATA_MAX), *buf = g_malloc(4096);
    for (unsigned round = 0; round < 3; round++) {
        for (unsigned i = 0; i < QVBLK_SLOTS; i++) {
            fill(want, QVBLK_DATA_MAX, 0, 30 + i);
            qvblk_submit(b, 0, i, BLK_T_OUT, (SECTORS / QVBLK_SLOTS) * i,
                         want, QVBLK_DATA_MAX, false);
        }
        qvirtqueue_kick(b->vq[0]);
        g_assert_true(qvblk_reinit(b, base_features));
        g_assert_cmpuint(qtest_readw(c.s, b->vq[0]->used + 2), ==, 0);
        g_assert_cmpint(qvblk_req(b, 0, BLK_T_IN, 0, buf, 4096), ==,
                        BLK_S_OK);
        g_assert_cmpuint(qtest_readw(c.s, b->vq[0]->used + 2), ==, 1);
    }
    g_free(want);
    g_free(buf);
    stop(&c);
}

/* ---- werror=stop on a full filesystem, then cont ---- */

/* "key": "value" in text, with or without the space (QEMU, json-glib). */
static bool json_has(const char *text, const char *key, const char *value)
{
    char *a = g_strdup_printf("\"%s\": %s", key, value);
    char *b = g_strdup_printf("\"%s\":%s", key, value);
    bool ok = strstr(text, a) || strstr(text, b);
    g_free(a);
    g_free(b);
    return ok;
}

static bool qmp_status_is(QmpClient *q, const char *status)
{
    char *r = qmp_cmd(q, "{\"execute\":\"query-status\"}\n");
    char *want = g_strdup_printf("\"status\": \"%s\"", status);
    char *want2 = g_strdup_printf("\"status\":\"%s\"", status);
    bool ok = strstr(r, want) || strstr(r, want2);
    g_free(want);
    g_free(want2);
    g_free(r);
    return ok;
}

static const char *tmpfs_dir;

/* A sparse image larger than the 2 MiB the tmpfs can hold. */
static void tmpfs_image(Ctx *c)
{
    memset(c, 0, sizeof(*c));
    c->dir = g_strdup(tmpfs_dir);
    c->img = g_build_filename(tmpfs_dir, "disk.raw", NULL);
    int fd = open(c->img, O_CREAT | O_TRUNC | O_WRONLY, 0644);
    g_assert_cmpint(fd, >=, 0);
    g_assert_cmpint(ftruncate(fd, IMG_SIZE), ==, 0);
    close(fd);
}

/* Fill the tmpfs so that no block is left. */
static void tmpfs_fill(const char *filler)
{
    static uint8_t chunk[65536];
    int fd = open(filler, O_CREAT | O_TRUNC | O_WRONLY, 0644);
    g_assert_cmpint(fd, >=, 0);
    while (write(fd, chunk, sizeof(chunk)) > 0) {
    }
    close(fd);
}

/* werror=report: the guest gets IOERR; werror=ignore: it is told OK. */
static void test_werror_report_ignore(void)
{
    if (!tmpfs_dir) {
        qtest_skip_missing("a small tmpfs (needs root to mount it)");
        return;
    }
    static const char *const policy[] = { ",werror=report", ",werror=ignore" };
    for (unsigned i = 0; i < 2; i++) {
        Ctx c;
        tmpfs_image(&c);
        char *filler = g_build_filename(tmpfs_dir, "filler", NULL);
        start_args(&c, NULL, policy[i], NULL);
        QVirtioBlk *b = &c.b;
        init(&c, base_features, 1);
        tmpfs_fill(filler);
        uint8_t *want = g_malloc(QVBLK_DATA_MAX);
        fill(want, QVBLK_DATA_MAX, 0, 9);
        g_assert_cmpint(qvblk_req(b, 0, BLK_T_OUT, 4096, want,
                                  QVBLK_DATA_MAX), ==,
                        i ? BLK_S_OK : BLK_S_IOERR);
        /* Reads still work, and so do writes once there is room. */
        g_assert_cmpint(qvblk_req(b, 0, BLK_T_IN, 0, want, 4096), ==,
                        BLK_S_OK);
        g_assert_cmpint(g_unlink(filler), ==, 0);
        g_assert_cmpint(qvblk_req(b, 0, BLK_T_OUT, 4096, want, 4096), ==,
                        BLK_S_OK);
        g_free(want);
        g_free(filler);
        stop(&c);
    }
}

/* data: the device's werror= ("" for the default, enospc). */
static void test_werror_stop(const void *data)
{
    if (!tmpfs_dir) {
        qtest_skip_missing("a small tmpfs (needs root to mount it)");
        return;
    }
    Ctx c;
    tmpfs_image(&c);
    char *filler = g_build_filename(tmpfs_dir, "filler", NULL);
    char *qmp_path = g_build_filename(tmpfs_dir, "qmp.sock", NULL);
    char *extra = g_strdup_printf("-qmp unix:%s,server=on,wait=off",
                                  qmp_path);
    start_args(&c, NULL, data, extra);
    QmpClient q;
    qmp_connect(&q, qmp_path);
    g_assert_true(qmp_status_is(&q, "running"));
    QVirtioBlk *b = &c.b;
    init(&c, base_features, 1);

    tmpfs_fill(filler);

    uint8_t *want = g_malloc(QVBLK_DATA_MAX), *buf = g_malloc(QVBLK_DATA_MAX);
    fill(want, QVBLK_DATA_MAX, 0, 7);
    uint16_t head = qvblk_submit(b, 0, 1, BLK_T_OUT, 2048, want,
                                 QVBLK_DATA_MAX, false);
    qvirtqueue_kick(b->vq[0]);
    /* The VM stops instead of failing the write. */
    unsigned t;
    for (t = 0; t < 3000 && !qmp_status_is(&q, "io-error"); t++) {
        g_usleep(10000);
    }
    g_assert_cmpuint(t, <, 3000);
    g_assert_cmpuint(qtest_readw(c.s, b->vq[0]->used + 2), ==, 0);
    g_assert_cmpuint(qtest_readb(c.s, b->status[0][1]), ==, 0xff);
    /* QMP heard which disk failed and why. */
    char *ev = strstr(q.events->str, "BLOCK_IO_ERROR");
    g_assert_nonnull(ev);
    g_assert_true(json_has(ev, "device", "\"d0\""));
    g_assert_true(json_has(ev, "operation", "\"write\""));
    g_assert_true(json_has(ev, "action", "\"stop\""));
    g_assert_true(json_has(ev, "nospace", "true"));

    /* Room again, resume: the write is retried and succeeds. */
    g_assert_cmpint(g_unlink(filler), ==, 0);
    char *r = qmp_cmd(&q, "{\"execute\":\"cont\"}\n");
    g_assert_nonnull(strstr(r, "\"return\""));
    g_free(r);
    uint16_t got;
    g_assert_cmpint(qvblk_wait(b, 0, &got, NULL, 20000), ==, 0);
    g_assert_cmpuint(got, ==, head);
    g_assert_cmpuint(qtest_readb(c.s, b->status[0][1]), ==, BLK_S_OK);
    g_assert_true(qmp_status_is(&q, "running"));
    g_assert_cmpint(qvblk_req(b, 0, BLK_T_FLUSH, 0, NULL, 0), ==, BLK_S_OK);
    read_host(&c, buf, QVBLK_DATA_MAX, 2048 * 512);
    g_assert_cmpmem(buf, QVBLK_DATA_MAX, want, QVBLK_DATA_MAX);

    qmp_close(&q);
    qvblk_free(&c.b);
    qtest_quit(c.s);
    g_unlink(c.img);
    g_unlink(qmp_path);
    g_free(c.img);
    g_free(c.dir);
    g_free(filler);
    g_free(qmp_path);
    g_free(extra);
    g_free(want);
    g_free(buf);
}

/* A private mount namespace with a 2 MiB tmpfs (root only). */
static void setup_tmpfs(void)
{
    static char dir[] = "/tmp/vblk-tmpfs-XXXXXX";
    if (geteuid() != 0 || unshare(CLONE_NEWNS) < 0 ||
        mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) < 0 ||
        !mkdtemp(dir)) {
        return;
    }
    if (mount("tmpfs", dir, "tmpfs", 0, "size=2m") < 0) {
        rmdir(dir);
        return;
    }
    tmpfs_dir = dir;
}

static void teardown_tmpfs(void)
{
    if (tmpfs_dir) {
        umount(tmpfs_dir);
        rmdir(tmpfs_dir);
    }
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    setup_tmpfs();
    g_test_add_func("/virtio-blk/config", test_config);
    g_test_add_func("/virtio-blk/config/topology", test_topology);
    g_test_add_func("/virtio-blk/config/write-cache", test_write_cache);
    g_test_add_func("/virtio-blk/read-write", test_read_write);
    g_test_add_func("/virtio-blk/write-zeroes-discard",
                    test_write_zeroes_discard);
    g_test_add_func("/virtio-blk/out-of-range-ioerr", test_out_of_range);
    g_test_add_func("/virtio-blk/read-only-refuses-writes", test_read_only);
    g_test_add_func("/virtio-blk/multiqueue", test_multiqueue);
    g_test_add_func("/virtio-blk/num-queues-default-per-vcpu",
                    test_num_queues_default);
    g_test_add_func("/virtio-blk/qcow2-passes-qemu-img-check", test_qcow2);
    g_test_add_func("/virtio-blk/get-id", test_get_id);
    g_test_add_func("/virtio-blk/msix", test_msix);
    g_test_add_func("/virtio-blk/bad-requests-contained", test_bad_requests);
    g_test_add_func("/virtio-blk/random-requests-answered",
                    test_random_requests);
    g_test_add_func("/virtio-blk/reset-with-requests-in-flight",
                    test_reset_inflight);
    g_test_add_func("/virtio-blk/werror-report-and-ignore",
                    test_werror_report_ignore);
    g_test_add_data_func("/virtio-blk/werror-stop-then-cont", ",werror=stop",
                         test_werror_stop);
    g_test_add_data_func("/virtio-blk/werror-enospc-by-default-then-cont",
                         "", test_werror_stop);
    int r = g_test_run();
    teardown_tmpfs();
    return r;
}
