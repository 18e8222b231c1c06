/*
 * The block layer against real files: raw and file drivers, cache modes
 * (O_DIRECT with unaligned requests), offset=/size=, read-only, ranges,
 * discard and write-zeroes, drain, -blockdev nodes, probing.
 */
#include <errno.h>
#include <fcntl.h>
#include <glib.h>
#include <glib/gstdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "block/block.h"
#include "block-test-util.h"

static char *tmpdir;

static void file_read(const char *path, uint64_t off, void *buf, size_t len)
{
    int fd = open(path, O_RDONLY);
    g_assert_cmpint(fd, >=, 0);
    g_assert_cmpint(pread(fd, buf, len, off), ==, (ssize_t)len);
    close(fd);
}

/* Scattered, unaligned writes land where asked; reads give them back. */
static void check_rw(const char *drive_fmt)
{
    char *path = make_file("rw.raw", 1 << 20);
    BlockBackend *blk = drive_open_ok(drive_fmt, path, "rw");
    g_assert_cmpuint(blk_getlength(blk), ==, 1 << 20);

    uint8_t *data = g_malloc(70000), *back = g_malloc0(70001);
    pattern(data, 70000, 1);
    /* Three pieces, the middle one at an odd address. */
    struct iovec iov[3] = {
        { data, 1000 }, { data + 1000, 33333 }, { data + 34333, 35667 },
    };
    g_assert_cmpint(blk_do(blk, BLK_REQ_WRITE, 4097, 70000, iov, 3, 0), ==,
                    0);
    g_assert_cmpint(blk_rw(blk, false, 4097, back + 1, 70000), ==, 0);
    g_assert_cmpmem(back + 1, 70000, data, 70000);
    g_assert_cmpint(blk_do(blk, BLK_REQ_FLUSH, 0, 0, NULL, 0, 0), ==, 0);
    blk_close_all();

    memset(back, 0, 70000);
    file_read(path, 4097, back, 70000);
    g_assert_cmpmem(back, 70000, data, 70000);
    /* The bytes around it are untouched. */
    file_read(path, 4096, back, 1);
    g_assert_cmpuint(back[0], ==, 0);
    file_read(path, 4097 + 70000, back, 1);
    g_assert_cmpuint(back[0], ==, 0);
    struct stat st;
    g_assert_cmpint(stat(path, &st), ==, 0);
    g_assert_cmpint(st.st_size, ==, 1 << 20);
    g_free(data);
    g_free(back);
    g_unlink(path);
    g_free(path);
}

static void test_raw_rw(void)
{
    check_rw("file=%s,format=raw");
}

static void test_cache_none(void)
{
    check_rw("file=%s,format=raw,cache=none");
    check_rw("file=%s,format=raw,cache=directsync");
}

static void test_io_uring(void)
{
    check_rw("file=%s,format=raw,aio=io_uring");
    check_rw("file=%s,format=raw,aio=io_uring,cache=none");
    /* Many at once: each worker thread has a ring of its own. */
    char *path = make_file("uring.raw", 1 << 20);
    BlockBackend *blk = drive_open_ok("file=%s,format=raw,aio=io_uring,"
                                      "cache=writethrough", path, "u");
    uint8_t buf[4096], back[4096];
    for (unsigned i = 0; i < 32; i++) {
        pattern(buf, sizeof(buf), i);
        g_assert_cmpint(blk_rw(blk, true, i * 8192, buf, 4096), ==, 0);
    }
    for (unsigned i = 0; i < 32; i++) {
        pattern(buf, sizeof(buf), i);
        g_assert_cmpint(blk_rw(blk, false, i * 8192, back, 4096), ==, 0);
        g_assert_cmpmem(back, 4096, buf, 4096);
    }
    blk_close_all();
    g_unlink(path);
    g_free(path);
}

static void test_cache_modes(void)
{
    char *path = make_file("cache.raw", 1 << 16);
    static const struct { const char *mode; bool wce; } modes[] = {
        { "writeback", true }, { "none", true }, { "unsafe", true },
        { "writethrough", false }, { "directsync", false },
    };
    for (unsigned i = 0; i < G_N_ELEMENTS(modes); i++) {
        char *fmt = g_strdup_printf("file=%%s,format=raw,cache=%s",
                                    modes[i].mode);
        BlockBackend *blk = drive_open_ok(fmt, path, "c");
        g_assert_cmpint(blk_write_cache_enabled(blk), ==, modes[i].wce);
        uint8_t buf[512];
        pattern(buf, sizeof(buf), i);
        g_assert_cmpint(blk_rw(blk, true, 512, buf, sizeof(buf)), ==, 0);
        g_assert_cmpint(blk_do(blk, BLK_REQ_FLUSH, 0, 0, NULL, 0, 0), ==, 0);
        g_assert_cmpuint(blk_alignment(blk) % 512, ==, 0);
        blk_close_all();
        g_free(fmt);
    }
    g_unlink(path);
    g_free(path);
}

static void test_raw_offset_size(void)
{
    char *path = make_file("window.raw", 65536);
    BlockBackend *blk = drive_open_ok("file=%s,format=raw,file.driver=file,"
                                      "offset=4096,size=8192", path, "w");
    g_assert_cmpuint(blk_getlength(blk), ==, 8192);
    uint8_t buf[8192], back[8192];
    pattern(buf, sizeof(buf), 3);
    g_assert_cmpint(blk_rw(blk, true, 0, buf, sizeof(buf)), ==, 0);
    g_assert_cmpint(blk_rw(blk, true, 8192, buf, 512), ==, -EINVAL);
    g_assert_cmpint(blk_rw(blk, false, 4096, back, 8192), ==, -EINVAL);
    blk_close_all();
    file_read(path, 4096, back, sizeof(back));
    g_assert_cmpmem(back, sizeof(back), buf, sizeof(buf));
    file_read(path, 4096 + 8192, back, 512);
    for (unsigned i = 0; i < 512; i++) {
        g_assert_cmpuint(back[i], ==, 0);
    }
    char *msg = drive_error("file=%s,format=raw,offset=61440,size=8192",
                            path);
    g_assert_nonnull(strstr(msg, "past the end"));
    g_free(msg);
    g_unlink(path);
    g_free(path);
}

static void test_read_only_and_range(void)
{
    char *path = make_file("ro.raw", 1 << 16);
    BlockBackend *blk = drive_open_ok("file=%s,format=raw,readonly=on", path,
                                      "ro");
    uint8_t buf[512] = { 1 };
    g_assert_true(blk_is_read_only(blk));
    g_assert_cmpint(blk_rw(blk, true, 0, buf, 512), ==, -EROFS);
    g_assert_cmpint(blk_do(blk, BLK_REQ_WRITE_ZEROES, 0, 512, NULL, 0, 0),
                    ==, -EROFS);
    g_assert_cmpint(blk_rw(blk, false, 0, buf, 512), ==, 0);
    g_assert_cmpint(blk_rw(blk, false, (1 << 16) - 256, buf, 512), ==,
                    -EINVAL);
    g_assert_cmpint(blk_rw(blk, false, UINT64_MAX - 100, buf, 512), ==,
                    -EINVAL);
    /* iov that does not add up to bytes */
    struct iovec iov = { buf, 100 };
    g_assert_cmpint(blk_do(blk, BLK_REQ_READ, 0, 512, &iov, 1, 0), ==,
                    -EINVAL);
    blk_close_all();
    g_unlink(path);
    g_free(path);
}

static void test_discard_write_zeroes(void)
{
    char *path = make_file("dz.raw", 1 << 20);
    BlockBackend *blk = drive_open_ok("file=%s,format=raw,discard=unmap",
                                      path, "dz");
    g_assert_true(blk_discard_enabled(blk));
    uint8_t *buf = g_malloc(1 << 20), *back = g_malloc(1 << 20);
    pattern(buf, 1 << 20, 5);
    g_assert_cmpint(blk_rw(blk, true, 0, buf, 1 << 20), ==, 0);
    g_assert_cmpint(blk_do(blk, BLK_REQ_FLUSH, 0, 0, NULL, 0, 0), ==, 0);
    struct stat before, after;
    g_assert_cmpint(stat(path, &before), ==, 0);
    g_assert_cmpint(blk_do(blk, BLK_REQ_DISCARD, 0, 512 << 10, NULL, 0, 0),
                    ==, 0);
    g_assert_cmpint(blk_do(blk, BLK_REQ_WRITE_ZEROES, 600 << 10, 4096 + 1000,
                           NULL, 0, BLK_REQ_F_MAY_UNMAP), ==, 0);
    g_assert_cmpint(blk_do(blk, BLK_REQ_WRITE_ZEROES, 800 << 10, 333,
                           NULL, 0, 0), ==, 0);
    g_assert_cmpint(stat(path, &after), ==, 0);
    g_assert_cmpint(after.st_blocks, <, before.st_blocks);  /* a hole */
    g_assert_cmpint(blk_rw(blk, false, 0, back, 1 << 20), ==, 0);
    for (unsigned i = 0; i < (1 << 20); i++) {
        bool zero = i < (512 << 10) ||
                    (i >= (600 << 10) && i < (600 << 10) + 5096) ||
                    (i >= (800 << 10) && i < (800 << 10) + 333);
        if (zero ? back[i] != 0 : back[i] != buf[i]) {
            g_error("byte %u is %u", i, back[i]);
        }
    }
    blk_close_all();

    /* discard=ignore (the default): the data stays. */
    blk = drive_open_ok("file=%s,format=raw", path, "dz");
    g_assert_false(blk_discard_enabled(blk));
    g_assert_cmpint(blk_do(blk, BLK_REQ_DISCARD, 600 << 10, 4096, NULL, 0, 0),
                    ==, 0);
    g_assert_cmpint(blk_rw(blk, false, 700 << 10, back, 4096), ==, 0);
    g_assert_cmpmem(back, 4096, buf + (700 << 10), 4096);
    blk_close_all();
    g_free(buf);
    g_free(back);
    g_unlink(path);
    g_free(path);
}

typedef struct Counter {
    BlockRequest req;
    struct iovec iov;
    uint8_t buf[4096];
    gint *done;
} Counter;

static void count_cb(BlockRequest *req, int ret)
{
    Counter *c = (Counter *)req;
    g_assert_cmpint(ret, ==, 0);
    g_atomic_int_inc(c->done);
}

static void test_drain(void)
{
    char *path = make_file("drain.raw", 1 << 20);
    BlockBackend *blk = drive_open_ok("file=%s,format=raw", path, "dr");
    enum { N = 64 };
    Counter *c = g_new0(Counter, N);
    gint done = 0;
    for (unsigned i = 0; i < N; i++) {
        pattern(c[i].buf, 4096, i);
        c[i].iov = (struct iovec){ c[i].buf, 4096 };
        c[i].done = &done;
        c[i].req = (BlockRequest){ BLK_REQ_WRITE, 0, i * 4096, 4096,
                                   &c[i].iov, 1, count_cb, NULL };
        blk_submit(blk, &c[i].req);
    }
    blk_drain(blk);
    g_assert_cmpint(g_atomic_int_get(&done), ==, N);
    blk_close_all();
    uint8_t back[4096];
    file_read(path, 17 * 4096, back, 4096);
    g_assert_cmpmem(back, 4096, c[17].buf, 4096);
    g_free(c);
    g_unlink(path);
    g_free(path);
}

static void test_attach_and_names(void)
{
    Error *err = NULL;
    char *path = make_file("bd.raw", 1 << 16);
    char *f = g_strdup_printf("driver=file,node-name=f0,filename=%s", path);
    const char *texts[] = { f, "driver=raw,node-name=r0,file=f0,size=32768" };
    for (unsigned i = 0; i < 2; i++) {
        Opts *o = opts_parse("-blockdev", texts[i], NULL, &err);
        g_assert_nonnull(o);
        g_assert_true(blockdev_check(o, &err));
        g_assert_true(blockdev_open(o, &err));
        opts_free(o);
    }
    g_assert_null(blk_by_name("nothing"));
    BlockBackend *blk = blk_by_name("r0");
    g_assert_nonnull(blk);
    g_assert_true(blk_by_name("r0") == blk);
    g_assert_cmpstr(blk_name(blk), ==, "r0");
    g_assert_cmpuint(blk_getlength(blk), ==, 32768);
    /* f0 is r0's file: no device may write to it behind r0. */
    BlockBackend *f0 = blk_by_name("f0");
    g_assert_nonnull(f0);
    g_assert_false(blk_attach_dev(f0, "virtio-blk-pci", &err));
    g_assert_nonnull(strstr(error_get_pretty(err), "give the device the top"));
    error_free(err);
    err = NULL;
    g_assert_true(blk_attach_dev(blk, "virtio-blk-pci", &err));
    g_assert_false(blk_attach_dev(blk, "other", &err));
    g_assert_nonnull(strstr(error_get_pretty(err), "already used by"));
    error_free(err);
    err = NULL;
    blk_set_on_error(blk, BLOCK_ERR_STOP_ANY, BLOCK_ERR_IGNORE);
    g_assert_cmpint(blk_get_on_error(blk, true), ==, BLOCK_ERR_STOP_ANY);
    g_assert_cmpint(blk_get_on_error(blk, false), ==, BLOCK_ERR_IGNORE);

    /* References to nodes not given before, and bad names. */
    const char *bad[][2] = {
        { "driver=raw,node-name=r1,file=nope", "no block node named 'nope'" },
        { "driver=raw,file=f0", "node-name= is needed" },
        { "driver=qcow9,node-name=q", "unknown block driver 'qcow9'" },
        { "driver=file,node-name=1x,filename=/x", "invalid node-name" },
        { "driver=file,node-name=f0,filename=/x", "duplicate node-name" },
        { "driver=file,node-name=f3,filename=/nonexistent/x",
          "No such file or directory" },
        { "driver=file,node-name=f4,filename=/tmp,cache.drect=on",
          "did you mean 'cache.direct'" },
    };
    for (unsigned i = 0; i < G_N_ELEMENTS(bad); i++) {
        Opts *o = opts_parse("-blockdev", bad[i][0], NULL, &err);
        g_assert_nonnull(o);
        g_assert_false(blockdev_check(o, &err));
        if (!strstr(error_get_pretty(err), bad[i][1])) {
            g_error("%s: %s", bad[i][0], error_get_pretty(err));
        }
        error_free(err);
        err = NULL;
        opts_free(o);
    }
    blk_close_all();
    g_free(f);
    g_unlink(path);
    g_free(path);
}

static void test_probe_raw(void)
{
    char *path = make_file("probe.raw", 1 << 16);
    BlockBackend *blk = drive_open_ok("file=%s", path, "p");
    uint8_t buf[512] = { 0 };
    memcpy(buf, "QED", 4);
    /* Probed raw: a write that would make it look like qed is refused. */
    g_assert_cmpint(blk_rw(blk, true, 0, buf, 512), ==, -EPERM);
    g_assert_cmpint(blk_rw(blk, true, 512, buf, 512), ==, 0);
    memcpy(buf, "hello", 5);
    g_assert_cmpint(blk_rw(blk, true, 0, buf, 512), ==, 0);
    blk_close_all();
    /* With format=raw, anything goes. */
    blk = drive_open_ok("file=%s,format=raw", path, "p");
    memcpy(buf, "QED", 4);
    g_assert_cmpint(blk_rw(blk, true, 0, buf, 512), ==, 0);
    blk_close_all();
    g_unlink(path);
    g_free(path);
}

static void test_bad_drive(void)
{
    static const char *const bad[][2] = {
        { "file=%s/none.img,format=raw", "No such file or directory" },
        { "file=%s,format=qcow3", "unknown image format 'qcow3'" },
        { "file=%s,cache=fast", "cache=fast" },
        { "file=%s,werror=explode", "werror=explode" },
        { "file=%s,rerror=enospc", "rerror=enospc" },
        { "file=%s,format=raw,discard=maybe", "discard=maybe" },
        { "file=%s,format=raw,aio=native", "aio=native needs" },
        { "file=%s,format=raw,bogus=1", "no parameter 'bogus'" },
        { "format=raw,if=none%s", "file= is needed" },
    };
    char *path = make_file("bad.raw", 4096);
    for (unsigned i = 0; i < G_N_ELEMENTS(bad); i++) {
        char *msg = drive_error(bad[i][0], i == 0 ? tmpdir :
                                i == 8 ? "" : path);
        if (!strstr(msg, bad[i][1])) {
            g_error("%s: '%s' lacks '%s'", bad[i][0], msg, bad[i][1]);
        }
        g_free(msg);
    }
    /* A directory is no image. */
    char *msg = drive_error("file=%s,format=raw", tmpdir);
    g_assert_nonnull(strstr(msg, "neither a regular file"));
    g_free(msg);
    g_unlink(path);
    g_free(path);
}

static void test_locking(void)
{
    char *path = make_file("lock.raw", 1 << 16);
    BlockBackend *a = drive_open_ok("file=%s,format=raw", path, "a");
    /* A second writer, and a reader that does not share writes: refused. */
    char *msg = drive_error("file=%s,format=raw", path);
    g_assert_nonnull(strstr(msg, "is in use"));
    g_assert_nonnull(strstr(msg, "'write' lock"));
    g_free(msg);
    msg = drive_error("file=%s,format=raw,readonly=on", path);
    g_assert_nonnull(strstr(msg, "is in use"));
    g_free(msg);
    msg = drive_error("file=%s,format=raw,file.force-share=on", path);
    g_assert_nonnull(strstr(msg, "force-share=on needs read-only=on"));
    g_free(msg);
    /* force-share=on (read-only) and locking=off get in. */
    Error *err = NULL;
    char *t = g_strdup_printf("file=%s,format=raw,readonly=on,"
                              "file.force-share=on", path);
    BlockBackend *b = drive_open(t, "b", &err);
    g_assert_null(err);
    g_assert_nonnull(b);
    g_free(t);
    t = g_strdup_printf("file=%s,format=raw,file.locking=off", path);
    BlockBackend *c = drive_open(t, "c", &err);
    g_assert_null(err);
    g_assert_nonnull(c);
    g_free(t);
    blk_close_all();
    /* Closed: the image is free again. */
    g_assert_nonnull(a);
    a = drive_open_ok("file=%s,format=raw", path, "a");
    blk_close_all();
    g_unlink(path);
    g_free(path);
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    /* O_DIRECT needs a real filesystem: not tmpfs. */
    tmpdir = g_dir_make_tmp("test-block-XXXXXX", NULL);
    g_assert_nonnull(tmpdir);
    test_tmpdir = tmpdir;
    g_test_add_func("/block/raw/read-write", test_raw_rw);
    g_test_add_func("/block/file/cache-none-unaligned", test_cache_none);
    g_test_add_func("/block/file/cache-modes", test_cache_modes);
    g_test_add_func("/block/file/aio-io-uring", test_io_uring);
    g_test_add_func("/block/raw/offset-size", test_raw_offset_size);
    g_test_add_func("/block/read-only-and-range", test_read_only_and_range);
    g_test_add_func("/block/discard-write-zeroes", test_discard_write_zeroes);
    g_test_add_func("/block/drain", test_drain);
    g_test_add_func("/block/blockdev-names-attach", test_attach_and_names);
    g_test_add_func("/block/probe/raw-first-sector", test_probe_raw);
    g_test_add_func("/block/bad-drive", test_bad_drive);
    g_test_add_func("/block/locking", test_locking);
    int ret = g_test_run();
    g_rmdir(tmpdir);
    return ret;
}
