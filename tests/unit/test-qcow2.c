/*
 * qcow2 against the real qemu-img and qemu-io: images they make (both
 * versions, backing files, zero and compressed clusters, snapshots) read
 * back as qemu-img converts them; images vmu writes pass qemu-img check
 * and qemu-img compare shows what was written; corrupt, truncated and
 * encrypted images fail at open with one clear error or with -EIO, and
 * never make vmu write outside the file.
 */
#include <errno.h>
#include <fcntl.h>
#include <glib.h>
#include <glib/gstdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <json-glib/json-glib.h>

#include "block-test-util.h"

static char *tmpdir;

/* Run argv (NULL-terminated); its exit status; output in *out if asked. */
static int run(char **out, const char *first, ...)
{
    GPtrArray *argv = g_ptr_array_new();
    va_list ap;
    va_start(ap, first);
    for (const char *a = first; a; a = va_arg(ap, const char *)) {
        g_ptr_array_add(argv, (gpointer)a);
    }
    va_end(ap);
    g_ptr_array_add(argv, NULL);
    char *sout = NULL, *serr = NULL;
    int status = -1;
    GError *gerr = NULL;
    if (!g_spawn_sync(NULL, (char **)argv->pdata, NULL, G_SPAWN_SEARCH_PATH,
                      NULL, NULL, &sout, &serr, &status, &gerr)) {
        g_error("%s: %s", first, gerr->message);
    }
    g_ptr_array_free(argv, TRUE);
    int code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
    if (code && !out) {
        g_printerr("# %s exited %d: %s%s", first, code, sout, serr);
    }
    if (out) {
        *out = g_strconcat(sout, serr, NULL);
    }
    g_free(sout);
    g_free(serr);
    return code;
}

static char *path_of(const char *name)
{
    return g_build_filename(tmpdir, name, NULL);
}

static void create_qcow2(const char *img, const char *opts, const char *size)
{
    int rc = opts ? run(NULL, "qemu-img", "create", "-q", "-f", "qcow2", "-o",
                        opts, img, size, NULL)
                  : run(NULL, "qemu-img", "create", "-q", "-f", "qcow2", img,
                        size, NULL);
    g_assert_cmpint(rc, ==, 0);
}

static void qemu_img_check_ok(const char *img)
{
    char *out;
    int rc = run(&out, "qemu-img", "check", img, NULL);
    if (rc) {
        g_error("qemu-img check %s: exit %d:\n%s", img, rc, out);
    }
    g_free(out);
}

/* The whole guest disk through vmu's block layer. */
static uint8_t *read_all(BlockBackend *blk, uint64_t *len)
{
    *len = blk_getlength(blk);
    uint8_t *buf = g_malloc(*len);
    g_assert_cmpint(blk_rw(blk, false, 0, buf, *len), ==, 0);
    return buf;
}

/* What qemu-img makes of the image, as raw bytes. */
static uint8_t *qemu_img_raw(const char *img, const char *extra,
                             gsize *len)
{
    char *raw = path_of("converted.raw");
    g_unlink(raw);
    int rc = extra ? run(NULL, "qemu-img", "convert", "-l", extra, "-O",
                         "raw", img, raw, NULL)
                   : run(NULL, "qemu-img", "convert", "-O", "raw", img, raw,
                         NULL);
    g_assert_cmpint(rc, ==, 0);
    gchar *data;
    g_assert_true(g_file_get_contents(raw, &data, len, NULL));
    g_unlink(raw);
    g_free(raw);
    return (uint8_t *)data;
}

static void assert_reads_as_qemu(const char *img, const char *drive_opts)
{
    char *fmt = g_strdup_printf("file=%%s%s", drive_opts);
    BlockBackend *blk = drive_open_ok(fmt, img, "q");
    uint64_t len;
    uint8_t *ours = read_all(blk, &len);
    blk_close_all();
    gsize qlen;
    uint8_t *theirs = qemu_img_raw(img, NULL, &qlen);
    g_assert_cmpuint(len, ==, qlen);
    for (uint64_t i = 0; i < len; i++) {
        if (ours[i] != theirs[i]) {
            g_error("%s: byte 0x%" G_GINT64_MODIFIER "x is 0x%02x, qemu-img "
                    "says 0x%02x", img, i, ours[i], theirs[i]);
        }
    }
    g_free(ours);
    g_free(theirs);
    g_free(fmt);
}

/* qemu-io writes: data, zero clusters, a compressed cluster, partials. */
static void qemu_io_fill(const char *img)
{
    g_assert_cmpint(run(NULL, "qemu-io", "-f", "qcow2",
                        "-c", "write -P 0x11 0 100k",
                        "-c", "write -z 256k 128k",
                        "-c", "write -c -P 0x22 1M 64k",
                        "-c", "write -c -P 0x23 2M 64k",
                        "-c", "write -P 0x33 3000000 5000",
                        "-c", "write -z -u 512k 64k",
                        img, NULL), ==, 0);
}

static void test_read_qemu_images(void)
{
    static const char *const compat[] = { "compat=0.10", "compat=1.1" };
    static const char *const csize[] = { "cluster_size=65536",
                                         "cluster_size=4096" };
    for (unsigned v = 0; v < 2; v++) {
        for (unsigned c = 0; c < 2; c++) {
            char *img = path_of("read.qcow2");
            char *o = g_strdup_printf("%s,%s", compat[v], csize[c]);
            create_qcow2(img, o, "4M");
            qemu_io_fill(img);
            assert_reads_as_qemu(img, ",format=qcow2");
            assert_reads_as_qemu(img, "");   /* probed */
            assert_reads_as_qemu(img, ",format=qcow2,cache=none");
            g_unlink(img);
            g_free(img);
            g_free(o);
        }
    }
}

/* qemu-img map's entry for guest offset off: present, zero, data. */
static void qemu_img_map_at(const char *img, uint64_t off, bool *present,
                            bool *zero, bool *data)
{
    char *sout = NULL;
    char *argv[] = { "qemu-img", "map", "--output=json", (char *)img, NULL };
    int status;
    g_assert_true(g_spawn_sync(NULL, argv, NULL, G_SPAWN_SEARCH_PATH |
                               G_SPAWN_STDERR_TO_DEV_NULL, NULL, NULL, &sout,
                               NULL, &status, NULL));
    JsonParser *p = json_parser_new();
    g_assert_true(json_parser_load_from_data(p, sout, -1, NULL));
    JsonArray *a = json_node_get_array(json_parser_get_root(p));
    bool found = false;
    for (unsigned i = 0; i < json_array_get_length(a); i++) {
        JsonObject *o = json_array_get_object_element(a, i);
        uint64_t start = json_object_get_int_member(o, "start");
        uint64_t len = json_object_get_int_member(o, "length");
        if (off >= start && off < start + len) {
            *present = json_object_get_boolean_member(o, "present");
            *zero = json_object_get_boolean_member(o, "zero");
            *data = json_object_get_boolean_member(o, "data");
            found = true;
        }
    }
    g_assert_true(found);
    g_object_unref(p);
    g_free(sout);
}

/* Writes through vmu, mirrored in a raw file qemu-img compares against. */
typedef struct Mirror {
    BlockBackend *blk;
    uint8_t *data;
    uint64_t len;
} Mirror;

static void mirror_write(Mirror *m, uint64_t off, uint64_t n, unsigned seed)
{
    uint8_t *buf = g_malloc(n);
    pattern(buf, n, seed);
    /* Two pieces, to exercise the split of a request's iovec. */
    struct iovec iov[2] = { { buf, n / 3 }, { buf + n / 3, n - n / 3 } };
    g_assert_cmpint(blk_do(m->blk, BLK_REQ_WRITE, off, n, iov, 2, 0), ==, 0);
    memcpy(m->data + off, buf, n);
    g_free(buf);
}

static void mirror_zero(Mirror *m, uint64_t off, uint64_t n, bool unmap)
{
    g_assert_cmpint(blk_do(m->blk, BLK_REQ_WRITE_ZEROES, off, n, NULL, 0,
                           unmap ? BLK_REQ_F_MAY_UNMAP : 0), ==, 0);
    memset(m->data + off, 0, n);
}

static void mirror_compare(Mirror *m, const char *img)
{
    char *raw = path_of("expected.raw");
    g_assert_true(g_file_set_contents(raw, (const char *)m->data, m->len,
                                      NULL));
    char *out;
    int rc = run(&out, "qemu-img", "compare", "-f", "qcow2", "-F", "raw",
                 img, raw, NULL);
    if (rc) {
        g_error("qemu-img compare %s: exit %d:\n%s", img, rc, out);
    }
    g_free(out);
    g_unlink(raw);
    g_free(raw);
}

static void write_pattern_set(Mirror *m, uint64_t cluster)
{
    mirror_write(m, 0, 512, 1);                     /* first sector */
    mirror_write(m, 1000, 3000, 2);                 /* unaligned */
    mirror_write(m, cluster - 100, 300, 3);         /* across clusters */
    mirror_write(m, 5 * cluster, 7 * cluster, 4);   /* many at once */
    mirror_write(m, 5 * cluster + 17, 100, 5);      /* overwrite in place */
    mirror_write(m, 5 * cluster + 99, 5 * cluster, 7);  /* a run, in place */
    mirror_write(m, m->len - 4096, 4096, 6);        /* the last bytes */
    mirror_zero(m, 6 * cluster, 2 * cluster, true); /* whole clusters */
    mirror_zero(m, 8 * cluster + 10, 20, false);    /* part of one */
    mirror_zero(m, 9 * cluster, cluster, false);    /* keep allocation */
}

static uint64_t peek64(const char *img, uint64_t off);
/* How check_vmu_writes opens the image. */
static const char *write_drive = "file=%s,format=qcow2,discard=unmap";

static void check_vmu_writes(const char *create_opts, uint64_t size,
                             uint64_t cluster, unsigned spread, uint64_t big)
{
    char *img = path_of("write.qcow2");
    char *sz = g_strdup_printf("%" G_GUINT64_FORMAT, size);
    create_qcow2(img, create_opts, sz);
    uint64_t reftable = peek64(img, 48);
    Mirror m = { drive_open_ok(write_drive, img, "w"), g_malloc0(size),
                 size };
    write_pattern_set(&m, cluster);
    /* Far apart: new L2 tables and refcount blocks (and a bigger table). */
    for (unsigned i = 0; i < spread; i++) {
        mirror_write(&m, (size / spread) * i + cluster * 3, cluster, 10 + i);
    }
    if (big) {
        mirror_write(&m, size - big - 8192, big, 99);
    }
    g_assert_cmpint(blk_do(m.blk, BLK_REQ_FLUSH, 0, 0, NULL, 0, 0), ==, 0);
    blk_close_all();
    qemu_img_check_ok(img);
    mirror_compare(&m, img);
    if (cluster == 512) {
        g_assert_cmpuint(peek64(img, 48), !=, reftable);    /* it grew */
    }
    /* As qemu-img maps it: data where written, zero clusters (v3) where
     * zeroed, nothing where nothing was written. */
    bool present, zero, data;
    qemu_img_map_at(img, 5 * cluster, &present, &zero, &data);
    g_assert_true(present && data && !zero);
    qemu_img_map_at(img, 6 * cluster, &present, &zero, &data);
    g_assert_true(zero && !data);
    g_assert_true(present == !strstr(create_opts, "compat=0.10"));
    qemu_img_map_at(img, 13 * cluster + cluster / 2, &present, &zero,
                    &data);
    g_assert_true(!present && zero && !data);

    /* Open again: what was written reads back; discard frees clusters. */
    m.blk = drive_open_ok(write_drive, img, "w");
    uint64_t len;
    uint8_t *back = read_all(m.blk, &len);
    g_assert_cmpmem(back, len, m.data, m.len);
    g_free(back);
    g_assert_cmpint(blk_do(m.blk, BLK_REQ_DISCARD, 5 * cluster, cluster,
                           NULL, 0, 0), ==, 0);
    memset(m.data + 5 * cluster, 0, cluster);
    blk_close_all();
    qemu_img_check_ok(img);
    mirror_compare(&m, img);
    g_free(m.data);
    g_unlink(img);
    g_free(img);
    g_free(sz);
}

static void test_write_v3(void)
{
    check_vmu_writes("compat=1.1", 64 << 20, 65536, 8, 0);
}

static void test_write_v2(void)
{
    check_vmu_writes("compat=0.10", 16 << 20, 65536, 4, 0);
}

static void test_write_small_clusters(void)
{
    /* 512-byte clusters: a refcount block covers 128 KiB and the first
     * refcount table 8 MiB, so 9 MiB of data grows the table. */
    check_vmu_writes("compat=1.1,cluster_size=512", 16 << 20, 512, 64,
                     9 << 20);
}

static void test_write_refcount_bits(void)
{
    check_vmu_writes("compat=1.1,refcount_bits=8", 8 << 20, 65536, 4, 0);
    check_vmu_writes("compat=1.1,refcount_bits=64", 8 << 20, 65536, 4, 0);
}

static void test_write_cache_none_io_uring(void)
{
    /* O_DIRECT: metadata updates of 2 and 8 bytes go through bounces. */
    write_drive = "file=%s,format=qcow2,discard=unmap,cache=none,"
                  "aio=io_uring";
    check_vmu_writes("compat=1.1", 8 << 20, 65536, 4, 0);
    check_vmu_writes("compat=1.1,cluster_size=4096", 8 << 20, 4096, 4, 0);
    write_drive = "file=%s,format=qcow2,discard=unmap";
}

static void test_write_lazy_refcounts(void)
{
    check_vmu_writes("compat=1.1,lazy_refcounts=on", 8 << 20, 65536, 4,
                     0);
}

static void test_write_over_qemu_data(void)
{
    /* Overwrite qemu-io's zero and compressed clusters: copy-on-write. */
    char *img = path_of("cow.qcow2");
    create_qcow2(img, NULL, "4M");
    qemu_io_fill(img);
    gsize qlen;
    uint8_t *start = qemu_img_raw(img, NULL, &qlen);
    Mirror m = { drive_open_ok("file=%s,format=qcow2", img, "c"), start,
                 qlen };
    mirror_write(&m, (1 << 20) + 4096, 512, 40);    /* compressed */
    mirror_write(&m, (256 << 10) + 100, 512, 41);   /* zero */
    mirror_write(&m, (512 << 10) + 5, 512, 42);     /* zero, unmapped */
    mirror_write(&m, 3000000 - 10, 20, 43);         /* partial data */
    mirror_zero(&m, 2 << 20, 65536, true);          /* compressed -> zero */
    blk_close_all();
    qemu_img_check_ok(img);
    mirror_compare(&m, img);
    g_free(m.data);
    g_unlink(img);
    g_free(img);
}

static void test_backing(void)
{
    char *base = path_of("base.qcow2"), *top = path_of("top.qcow2");
    char *rawbase = path_of("base.raw"), *top2 = path_of("top2.qcow2");
    create_qcow2(base, NULL, "4M");
    qemu_io_fill(base);
    g_assert_cmpint(run(NULL, "qemu-img", "create", "-q", "-f", "qcow2",
                        "-b", "base.qcow2", "-F", "qcow2", top, "6M", NULL),
                    ==, 0);
    g_assert_cmpint(run(NULL, "qemu-io", "-f", "qcow2",
                        "-c", "write -P 0x44 64k 64k",
                        "-c", "write -z 1M 4k", top, NULL), ==, 0);
    assert_reads_as_qemu(top, ",format=qcow2");

    gchar *base_before;
    gsize base_len;
    g_assert_true(g_file_get_contents(base, &base_before, &base_len, NULL));
    gsize qlen;
    uint8_t *start = qemu_img_raw(top, NULL, &qlen);
    Mirror m = { drive_open_ok("file=%s,format=qcow2", top, "t"), start,
                 qlen };
    mirror_write(&m, 100, 50, 50);              /* COW from the backing */
    mirror_write(&m, (2 << 20) + 1, 10, 51);    /* COW from compressed */
    mirror_write(&m, (5 << 20), 4096, 52);      /* past the backing's end */
    mirror_zero(&m, 0, 65536 * 2, true);        /* zero over the backing */
    blk_close_all();
    qemu_img_check_ok(top);
    char *out;
    g_assert_cmpint(run(&out, "qemu-img", "compare", "-F", "raw", top,
                        "/dev/null", NULL), !=, -1);
    g_free(out);
    mirror_compare(&m, top);
    /* The backing file is never written. */
    gchar *base_after;
    g_assert_true(g_file_get_contents(base, &base_after, &base_len, NULL));
    g_assert_true(!memcmp(base_before, base_after, base_len));

    /* A raw backing file, and backing="" (none) from -blockdev style. */
    g_assert_cmpint(run(NULL, "qemu-img", "convert", "-O", "raw", base,
                        rawbase, NULL), ==, 0);
    g_assert_cmpint(run(NULL, "qemu-img", "create", "-q", "-f", "qcow2",
                        "-b", rawbase, "-F", "raw", top2, "4M", NULL), ==, 0);
    assert_reads_as_qemu(top2, ",format=qcow2");
    BlockBackend *blk = drive_open_ok("file=%s,format=qcow2,backing=", top2,
                                      "nb");
    uint8_t b[512];
    g_assert_cmpint(blk_rw(blk, false, 0, b, 512), ==, 0);
    g_assert_cmpuint(b[0] | b[100] | b[511], ==, 0);
    blk_close_all();
    /* A missing backing file: one clear error. */
    g_unlink(rawbase);
    char *msg = drive_error("file=%s,format=qcow2", top2);
    g_assert_nonnull(strstr(msg, "backing file of"));
    g_assert_nonnull(strstr(msg, "No such file"));
    g_free(msg);
    g_free(base_before);
    g_free(base_after);
    g_free(m.data);
    for (const char *p = base; p; p = p == base ? top : p == top ? top2 :
         NULL) {
        g_unlink(p);
    }
    g_free(base);
    g_free(top);
    g_free(top2);
    g_free(rawbase);
}

static void test_snapshot_cow(void)
{
    /* An internal snapshot shares clusters: writes copy them first. */
    char *img = path_of("snap.qcow2");
    create_qcow2(img, NULL, "4M");
    qemu_io_fill(img);
    gsize slen;
    uint8_t *snap = qemu_img_raw(img, NULL, &slen);
    g_assert_cmpint(run(NULL, "qemu-img", "snapshot", "-c", "s1", img, NULL),
                    ==, 0);
    Mirror m = { drive_open_ok("file=%s,format=qcow2", img, "s"),
                 g_memdup2(snap, slen), slen };
    mirror_write(&m, 10, 100, 60);
    mirror_write(&m, (1 << 20) + 10, 100, 61);
    mirror_zero(&m, 3000000, 5000, true);
    blk_close_all();
    qemu_img_check_ok(img);
    mirror_compare(&m, img);
    gsize len;
    uint8_t *after = qemu_img_raw(img, "snapshot.name=s1", &len);
    g_assert_cmpmem(after, len, snap, slen);
    g_free(after);
    g_free(snap);
    g_free(m.data);
    g_unlink(img);
    g_free(img);
}

static void poke(const char *img, uint64_t off, const void *buf, size_t n)
{
    int fd = open(img, O_WRONLY);
    g_assert_cmpint(fd, >=, 0);
    g_assert_cmpint(pwrite(fd, buf, n, off), ==, (ssize_t)n);
    close(fd);
}

static void poke32(const char *img, uint64_t off, uint32_t v)
{
    v = GUINT32_TO_BE(v);
    poke(img, off, &v, 4);
}

static void poke64(const char *img, uint64_t off, uint64_t v)
{
    v = GUINT64_TO_BE(v);
    poke(img, off, &v, 8);
}

static uint64_t peek64(const char *img, uint64_t off)
{
    uint64_t v;
    int fd = open(img, O_RDONLY);
    g_assert_cmpint(pread(fd, &v, 8, off), ==, 8);
    close(fd);
    return GUINT64_FROM_BE(v);
}

static char *fresh(const char *name, const char *opts)
{
    char *img = path_of(name);
    create_qcow2(img, opts, "4M");
    g_assert_cmpint(run(NULL, "qemu-io", "-f", "qcow2", "-c",
                        "write -P 0x5a 0 128k", img, NULL), ==, 0);
    return img;
}

static void expect_open_error(const char *img, const char *want)
{
    struct stat before, after;
    g_assert_cmpint(stat(img, &before), ==, 0);
    char *msg = drive_error("file=%s,format=qcow2", img);
    if (!strstr(msg, want)) {
        g_error("%s: '%s' lacks '%s'", img, msg, want);
    }
    g_assert_null(strchr(msg, '\n'));
    g_free(msg);
    g_assert_cmpint(stat(img, &after), ==, 0);
    g_assert_cmpint(after.st_size, ==, before.st_size);
}

static void test_corrupt_header(void)
{
    char *img = fresh("bad.qcow2", "compat=1.1");
    poke32(img, 20, 30);                    /* cluster_bits */
    expect_open_error(img, "cluster size 2^30");
    g_free(img);

    img = fresh("bad.qcow2", "compat=1.1");
    poke32(img, 4, 4);
    expect_open_error(img, "qcow2 version 4");
    g_free(img);

    img = fresh("bad.qcow2", "compat=1.1");
    poke64(img, 40, 1ull << 40);            /* L1 past EOF */
    expect_open_error(img, "L1 table past the end of the file");
    g_free(img);

    img = fresh("bad.qcow2", "compat=1.1");
    poke32(img, 36, 0);                     /* L1 too small for the size */
    expect_open_error(img, "L1 table too small");
    g_free(img);

    img = fresh("bad.qcow2", "compat=1.1");
    poke32(img, 96, 7);                     /* refcount order */
    expect_open_error(img, "refcount order 7");
    g_free(img);

    img = fresh("bad.qcow2", "compat=1.1");
    poke64(img, 72, 1ull << 40);            /* unknown incompatible bit */
    expect_open_error(img, "does not know");
    g_free(img);

    img = fresh("bad.qcow2", "compat=1.1");
    poke64(img, 72, 1);                     /* dirty */
    expect_open_error(img, "not closed cleanly");
    BlockBackend *blk = drive_open_ok("file=%s,format=qcow2,readonly=on",
                                      img, "ro");
    blk_close_all();
    g_assert_nonnull(blk);
    g_unlink(img);
    g_free(img);
}

static void test_autoclear(void)
{
    /* Autoclear bits (bitmaps vmu does not update) go at the first write,
     * not at open: an image vmu only opens is left as it was. */
    char *img = fresh("ac.qcow2", "compat=1.1");
    poke64(img, 88, 1);
    BlockBackend *b = drive_open_ok("file=%s,format=qcow2", img, "ac");
    uint8_t buf[512];
    g_assert_cmpint(blk_rw(b, false, 0, buf, 512), ==, 0);
    blk_close_all();
    g_assert_cmpuint(peek64(img, 88), ==, 1);
    b = drive_open_ok("file=%s,format=qcow2", img, "ac");
    g_assert_cmpint(blk_rw(b, true, 0, buf, 512), ==, 0);
    blk_close_all();
    g_assert_cmpuint(peek64(img, 88), ==, 0);
    qemu_img_check_ok(img);
    g_unlink(img);
    g_free(img);
}

static void test_truncated(void)
{
    char *img = fresh("trunc.qcow2", "compat=1.1");
    g_assert_cmpint(truncate(img, 50), ==, 0);
    expect_open_error(img, "too short for a qcow2 image");
    g_free(img);

    img = fresh("trunc.qcow2", "compat=1.1");
    g_assert_cmpint(truncate(img, 65536), ==, 0);   /* only the header */
    expect_open_error(img, "past the end of the file (truncated?)");
    g_free(img);

    /* Cut after the metadata: data clusters are past the end: -EIO. */
    img = fresh("trunc.qcow2", "compat=1.1");
    uint64_t l1 = peek64(img, 40);
    uint64_t l2 = peek64(img, l1) & 0x00fffffffffffe00ull;
    uint64_t data = peek64(img, l2) & 0x00fffffffffffe00ull;
    g_assert_cmpint(truncate(img, data), ==, 0);
    struct stat st;
    g_assert_cmpint(stat(img, &st), ==, 0);
    BlockBackend *b = drive_open_ok("file=%s,format=qcow2", img, "t");
    uint8_t buf[4096];
    g_assert_cmpint(blk_rw(b, false, 0, buf, 4096), ==, -EIO);
    g_assert_cmpint(blk_rw(b, true, 0, buf, 4096), ==, -EIO);
    blk_close_all();
    struct stat st2;
    g_assert_cmpint(stat(img, &st2), ==, 0);
    g_assert_cmpint(st2.st_size, ==, st.st_size);   /* nothing written */
    g_unlink(img);
    g_free(img);
}

static void test_bad_pointers(void)
{
    /* An L2 entry pointing into the header and one past the end. */
    char *img = fresh("ptr.qcow2", "compat=1.1");
    uint64_t l1 = peek64(img, 40);
    uint64_t l2 = peek64(img, l1) & 0x00fffffffffffe00ull;
    poke64(img, l2, 0x8000000000000000ull | 0);     /* cluster 0 */
    poke64(img, l2 + 8, 0x8000000000000000ull | (1ull << 40));
    struct stat st;
    g_assert_cmpint(stat(img, &st), ==, 0);
    gchar *hdr_before;
    gsize n;
    g_assert_true(g_file_get_contents(img, &hdr_before, &n, NULL));
    BlockBackend *b = drive_open_ok("file=%s,format=qcow2", img, "p");
    uint8_t buf[512];
    /* Entry 0 has offset 0 and COPIED: no data there (unallocated). */
    g_assert_cmpint(blk_rw(b, false, 65536, buf, 512), ==, -EIO);
    g_assert_cmpint(blk_rw(b, true, 65536, buf, 512), ==, -EIO);
    /* The L1 entry pointing past the end. */
    poke64(img, l1, 0x8000000000000000ull | (1ull << 41));
    blk_close_all();
    b = drive_open_ok("file=%s,format=qcow2", img, "p");
    g_assert_cmpint(blk_rw(b, false, 0, buf, 512), ==, -EIO);
    g_assert_cmpint(blk_rw(b, true, 0, buf, 512), ==, -EIO);
    blk_close_all();
    struct stat st2;
    g_assert_cmpint(stat(img, &st2), ==, 0);
    g_assert_cmpint(st2.st_size, ==, st.st_size);
    gchar *hdr_after;
    g_assert_true(g_file_get_contents(img, &hdr_after, &n, NULL));
    g_assert_true(!memcmp(hdr_before, hdr_after, 65536));
    g_free(hdr_before);
    g_free(hdr_after);
    g_unlink(img);
    g_free(img);
}

static void test_refcount_at_max(void)
{
    /*
     * 8-bit refcounts; a snapshot shares the data, and the first data
     * cluster's refcount is made the maximum (255).  vmu only ever raises
     * the refcount of a free cluster, so a write copies the cluster and
     * lowers the shared one: it works, and the snapshot keeps its data.
     * A refcount past the maximum never wraps: the corrupt image gives
     * -EIO (qcow2_update_refcount), never a wrong count.
     */
    char *img = fresh("rc.qcow2", "compat=1.1,refcount_bits=8");
    g_assert_cmpint(run(NULL, "qemu-img", "snapshot", "-c", "s1", img, NULL),
                    ==, 0);
    uint64_t l1 = peek64(img, 40);
    uint64_t l2 = peek64(img, l1) & 0x00fffffffffffe00ull;
    uint64_t data = peek64(img, l2) & 0x00fffffffffffe00ull;
    uint64_t rt = peek64(img, 48);
    uint64_t rb = peek64(img, rt);
    uint8_t full = 255;
    poke(img, rb + (data >> 16), &full, 1);
    BlockBackend *b = drive_open_ok("file=%s,format=qcow2", img, "r");
    uint8_t buf[512];
    memset(buf, 0x77, sizeof(buf));
    g_assert_cmpint(blk_rw(b, true, 0, buf, 512), ==, 0);
    memset(buf, 0, sizeof(buf));
    g_assert_cmpint(blk_rw(b, false, 0, buf, 512), ==, 0);
    g_assert_cmpuint(buf[0], ==, 0x77);
    g_assert_cmpint(blk_rw(b, false, 512, buf, 512), ==, 0);
    g_assert_cmpuint(buf[0], ==, 0x5a);
    blk_close_all();
    gsize len;
    uint8_t *snap = qemu_img_raw(img, "snapshot.name=s1", &len);
    g_assert_cmpuint(snap[0], ==, 0x5a);
    g_assert_cmpuint(snap[100000], ==, 0x5a);
    g_free(snap);
    g_unlink(img);
    g_free(img);
}

static void test_encrypted_refused(void)
{
    char *img = path_of("enc.qcow2");
    g_assert_cmpint(run(NULL, "qemu-img", "create", "-q", "-f", "qcow2",
                        "--object", "secret,id=s0,data=hunter2", "-o",
                        "encrypt.format=luks,encrypt.key-secret=s0,"
                        "encrypt.iter-time=10", img,
                        "1M", NULL), ==, 0);
    expect_open_error(img, "encrypted qcow2 image (LUKS)");
    g_unlink(img);
    g_free(img);
}

static void test_probe(void)
{
    char *img = fresh("probe.qcow2", "compat=1.1");
    assert_reads_as_qemu(img, "");
    g_unlink(img);
    g_free(img);
    /* A probed raw image refuses a write that makes it look like qcow2. */
    char *raw = make_file("probe.raw", 1 << 16);
    BlockBackend *b = drive_open_ok("file=%s", raw, "pr");
    uint8_t buf[512] = { 'Q', 'F', 'I', 0xfb, 0, 0, 0, 3 };
    g_assert_cmpint(blk_rw(b, true, 0, buf, 512), ==, -EPERM);
    blk_close_all();
    g_unlink(raw);
    g_free(raw);
}

static unsigned count_overlays(const char *dir)
{
    GDir *d = g_dir_open(dir, 0, NULL);
    unsigned n = 0;
    for (const char *e; (e = g_dir_read_name(d));) {
        n += g_str_has_prefix(e, "vmu-snapshot-");
    }
    g_dir_close(d);
    return n;
}

static void check_snapshot(const char *img, const char *fmt)
{
    char *tmp = path_of("snaptmp");
    g_assert_cmpint(g_mkdir(tmp, 0700), ==, 0);
    g_setenv("TMPDIR", tmp, TRUE);
    gchar *before;
    gsize len;
    g_assert_true(g_file_get_contents(img, &before, &len, NULL));
    BlockBackend *b = drive_open_ok(fmt, img, "snap");
    g_assert_false(blk_is_read_only(b));
    /* The overlay is unlinked once open: nothing to leave behind. */
    g_assert_cmpuint(count_overlays(tmp), ==, 0);
    uint8_t buf[70000], back[70000];
    pattern(buf, sizeof(buf), 7);
    g_assert_cmpint(blk_rw(b, true, 4096 + 3, buf, sizeof(buf)), ==, 0);
    g_assert_cmpint(blk_rw(b, false, 4096 + 3, back, sizeof(back)), ==, 0);
    g_assert_cmpmem(back, sizeof(back), buf, sizeof(buf));
    /* Bytes not written come from the image. */
    g_assert_cmpint(blk_rw(b, false, 0, back, 4096), ==, 0);
    g_assert_cmpuint(back[0], ==, 0x5a);
    g_assert_cmpint(blk_do(b, BLK_REQ_FLUSH, 0, 0, NULL, 0, 0), ==, 0);
    /* The overlay vmu made and wrote is a sound qcow2 (through its fd). */
    GDir *fds = g_dir_open("/proc/self/fd", 0, NULL);
    bool checked = false;
    for (const char *e; (e = g_dir_read_name(fds));) {
        char *link = g_strdup_printf("/proc/self/fd/%s", e);
        char *target = g_file_read_link(link, NULL);
        if (target && strstr(target, "vmu-snapshot-")) {
            char *p = g_strdup_printf("/proc/%d/fd/%s", getpid(), e);
            g_assert_cmpint(run(NULL, "qemu-img", "check", "-U", p, NULL), ==,
                            0);
            checked = true;
            g_free(p);
        }
        g_free(target);
        g_free(link);
    }
    g_dir_close(fds);
    g_assert_true(checked);
    /* Another reader of the image may come in (it is opened read-only). */
    char *out;
    g_assert_cmpint(run(&out, "qemu-img", "info", img, NULL), ==, 0);
    g_free(out);
    blk_close_all();
    gchar *after;
    g_assert_true(g_file_get_contents(img, &after, &len, NULL));
    g_assert_true(!memcmp(before, after, len));
    g_assert_cmpuint(count_overlays(tmp), ==, 0);
    g_unsetenv("TMPDIR");
    g_rmdir(tmp);
    g_free(tmp);
    g_free(before);
    g_free(after);
}

static void test_snapshot_on(void)
{
    char *img = fresh("snapon.qcow2", "compat=1.1");
    check_snapshot(img, "file=%s,format=qcow2,snapshot=on");
    check_snapshot(img, "file=%s,snapshot=on,cache=none");
    char *raw = path_of("snapon.raw");
    g_assert_cmpint(run(NULL, "qemu-img", "convert", "-O", "raw", img, raw,
                        NULL), ==, 0);
    check_snapshot(raw, "file=%s,format=raw,snapshot=on");
    /* A TMPDIR that cannot take the overlay: one clear error. */
    g_setenv("TMPDIR", "/nonexistent", TRUE);
    char *msg = drive_error("file=%s,format=raw,snapshot=on", raw);
    g_assert_nonnull(strstr(msg, "cannot create the temporary overlay"));
    g_free(msg);
    g_unsetenv("TMPDIR");
    g_unlink(raw);
    g_unlink(img);
    g_free(raw);
    g_free(img);
}

static void test_lock_against_qemu(void)
{
    /* vmu holds the image: qemu-img (without -U) and qemu-io stay out. */
    char *img = fresh("lockq.qcow2", "compat=1.1");
    BlockBackend *b = drive_open_ok("file=%s,format=qcow2", img, "l");
    char *out;
    g_assert_cmpint(run(&out, "qemu-img", "info", img, NULL), !=, 0);
    g_assert_nonnull(strstr(out, "lock"));
    g_free(out);
    g_assert_cmpint(run(&out, "qemu-io", "-c", "read 0 512", img, NULL), !=,
                    0);
    g_assert_nonnull(strstr(out, "lock"));
    g_free(out);
    g_assert_cmpint(run(&out, "qemu-img", "info", "-U", img, NULL), ==, 0);
    g_free(out);
    blk_close_all();
    g_assert_nonnull(b);
    g_assert_cmpint(run(NULL, "qemu-img", "info", img, NULL), ==, 0);
    g_unlink(img);
    g_free(img);
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    tmpdir = g_dir_make_tmp("test-qcow2-XXXXXX", NULL);
    test_tmpdir = tmpdir;
    char *qemu_img = g_find_program_in_path("qemu-img");
    char *qemu_io = g_find_program_in_path("qemu-io");
    if (!qemu_img || !qemu_io) {
        /* scripts/install-deps installs qemu-utils: strict runs fail. */
        if (!g_strcmp0(g_getenv("VMU_TEST_STRICT"), "1")) {
            g_printerr("qemu-img or qemu-io missing (qemu-utils)\n");
            return 1;
        }
        g_test_skip("qemu-img or qemu-io missing: install qemu-utils");
    }
    g_free(qemu_img);
    g_free(qemu_io);
    g_test_add_func("/qcow2/read/qemu-img-images", test_read_qemu_images);
    g_test_add_func("/qcow2/write/v3", test_write_v3);
    g_test_add_func("/qcow2/write/v2", test_write_v2);
    g_test_add_func("/qcow2/write/small-clusters-grow-refcount-table",
                    test_write_small_clusters);
    g_test_add_func("/qcow2/write/refcount-bits-8-64",
                    test_write_refcount_bits);
    g_test_add_func("/qcow2/write/lazy-refcounts", test_write_lazy_refcounts);
    g_test_add_func("/qcow2/write/cache-none-io-uring",
                    test_write_cache_none_io_uring);
    g_test_add_func("/qcow2/write/over-zero-and-compressed",
                    test_write_over_qemu_data);
    g_test_add_func("/qcow2/backing", test_backing);
    g_test_add_func("/qcow2/snapshot-copy-on-write", test_snapshot_cow);
    g_test_add_func("/qcow2/bad/header", test_corrupt_header);
    g_test_add_func("/qcow2/bad/truncated", test_truncated);
    g_test_add_func("/qcow2/autoclear-dropped-at-first-write", test_autoclear);
    g_test_add_func("/qcow2/bad/pointers", test_bad_pointers);
    g_test_add_func("/qcow2/bad/refcount-at-max", test_refcount_at_max);
    g_test_add_func("/qcow2/bad/encrypted", test_encrypted_refused);
    g_test_add_func("/qcow2/probe", test_probe);
    g_test_add_func("/qcow2/lock-against-qemu-img", test_lock_against_qemu);
    g_test_add_func("/qcow2/snapshot-on-temporary-overlay", test_snapshot_on);
    int ret = g_test_run();
    char *cmd = g_strdup_printf("rm -rf '%s'", tmpdir);
    g_assert_cmpint(system(cmd), !=, -1);
    g_free(cmd);
    return ret;
}
