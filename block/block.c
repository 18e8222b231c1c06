/*
 * Block nodes: the driver registry, opening a node and its children from
 * flat options ("file.filename=..."), format probing, and the calls a
 * driver makes on its children.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "block-int.h"
#include "util/trace.h"

static GPtrArray *drivers;
static GPtrArray *nodes;        /* every open node, for names */
static unsigned anon_nodes;

void bdrv_register(const BlockDriver *drv)
{
    if (!drivers) {
        drivers = g_ptr_array_new();
    }
    g_ptr_array_add(drivers, (gpointer)drv);
}

const BlockDriver *bdrv_find_driver(const char *name)
{
    for (unsigned i = 0; drivers && i < drivers->len; i++) {
        const BlockDriver *d = drivers->pdata[i];
        if (!strcmp(d->name, name)) {
            return d;
        }
    }
    return NULL;
}

static gint cmp_str(gconstpointer a, gconstpointer b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

static GPtrArray *driver_name_list(bool formats_only)
{
    GPtrArray *a = g_ptr_array_new();
    for (unsigned i = 0; drivers && i < drivers->len; i++) {
        const BlockDriver *d = drivers->pdata[i];
        if (!formats_only || d->is_format) {
            g_ptr_array_add(a, (gpointer)d->name);
        }
    }
    g_ptr_array_sort(a, cmp_str);
    g_ptr_array_add(a, NULL);
    return a;
}

char *bdrv_driver_names(bool formats_only)
{
    GPtrArray *a = driver_name_list(formats_only);
    char *s = g_strjoinv(", ", (char **)a->pdata);
    g_ptr_array_free(a, TRUE);
    return s;
}

/* Keys every node takes. */
static const OptDesc bdrv_common[] = {
    { "driver", OPT_STRING, "the image driver: file, host_device, raw, qcow2" },
    { "node-name", OPT_STRING, "the node's name (for drive= and file=)" },
    { "read-only", OPT_BOOL, "open the image read-only" },
    { "auto-read-only", OPT_BOOL, "accepted (libvirt)" },
    { "force-share", OPT_BOOL, "open without taking the image's locks "
      "(needs read-only=on)" },
    { "cache.direct", OPT_BOOL, "bypass the host page cache (O_DIRECT)" },
    { "cache.no-flush", OPT_BOOL, "ignore flush requests (cache=unsafe)" },
    { "discard", OPT_STRING, "ignore|unmap: pass the guest's discards on" },
    { "detect-zeroes", OPT_STRING, "off (accepted)" },
    { 0 },
};

/* A copy with the entries under "prefix." (prefix removed), or with all
 * but those under "file." and "backing." (prefix NULL). */
static Opts *opts_select(const Opts *opts, const char *prefix)
{
    size_t n = prefix ? strlen(prefix) : 0;
    Opts *o = g_new0(Opts, 1);
    o->option = g_strdup(opts->option);
    o->text = g_strdup(opts->text);
    o->entries = g_new0(OptEntry, opts->n_entries + 1);
    for (unsigned i = 0; i < opts->n_entries; i++) {
        const OptEntry *e = &opts->entries[i];
        const char *key = e->key;
        if (prefix) {
            if (strncmp(key, prefix, n) || key[n] != '.' || !key[n + 1]) {
                continue;
            }
            key += n + 1;
        } else if (g_str_has_prefix(key, "file.") ||
                   g_str_has_prefix(key, "backing.")) {
            continue;
        }
        OptEntry *d = &o->entries[o->n_entries++];
        d->key = g_strdup(key);
        d->value = g_strdup(e->value);
    }
    return o;
}

Opts *bdrv_opts_sub(const Opts *opts, const char *prefix)
{
    return opts_select(opts, prefix);
}

bool bdrv_opts_has_sub(const Opts *opts, const char *prefix)
{
    size_t n = strlen(prefix);
    for (unsigned i = 0; i < opts->n_entries; i++) {
        if (!strncmp(opts->entries[i].key, prefix, n) &&
            opts->entries[i].key[n] == '.') {
            return true;
        }
    }
    return false;
}

static const BlockDriver *driver_or_error(const Opts *opts, const char *name,
                                          Error **errp)
{
    const BlockDriver *drv = bdrv_find_driver(name);
    if (drv) {
        return drv;
    }
    GPtrArray *a = driver_name_list(false);
    const char *near = did_you_mean(name, (const char *const *)a->pdata,
                                    a->len - 1);
    char *known = g_strjoinv(", ", (char **)a->pdata);
    if (near) {
        opts_error(opts, errp, "unknown block driver '%s'; did you mean "
                   "'%s'? (known: %s)", name, near, known);
    } else {
        opts_error(opts, errp, "unknown block driver '%s' (known: %s)", name,
                   known);
    }
    g_free(known);
    g_ptr_array_free(a, TRUE);
    return NULL;
}

static bool check_own_keys(const Opts *opts, const BlockDriver *drv,
                           Error **errp)
{
    /* The common keys and the driver's, as one description. */
    unsigned nc = G_N_ELEMENTS(bdrv_common) - 1, nd = 0;
    while (drv->opts && drv->opts[nd].name) {
        nd++;
    }
    OptDesc *all = g_new0(OptDesc, nc + nd + 1);
    memcpy(all, bdrv_common, nc * sizeof(OptDesc));
    if (nd) {
        memcpy(all + nc, drv->opts, nd * sizeof(OptDesc));
    }
    Opts *own = opts_select(opts, NULL);
    char *what = g_strdup_printf("block driver '%s'", drv->name);
    const char *common[] = { drv->is_format ? "file" : NULL, NULL };
    bool ok = opts_validate(own, what, all, common, errp);
    g_free(what);
    opts_free(own);
    g_free(all);
    if (!ok) {
        return false;
    }
    const char *discard = opts_get(opts, "discard");
    if (discard && strcmp(discard, "ignore") && strcmp(discard, "off") &&
        strcmp(discard, "unmap") && strcmp(discard, "on")) {
        opts_error(opts, errp, "discard=%s: use discard=unmap (pass the "
                   "guest's discards on) or discard=ignore", discard);
        return false;
    }
    const char *dz = opts_get(opts, "detect-zeroes");
    if (dz && strcmp(dz, "off") && strcmp(dz, "on") && strcmp(dz, "unmap")) {
        opts_error(opts, errp, "detect-zeroes=%s: use off, on or unmap",
                   dz);
        return false;
    }
    return true;
}

bool bdrv_check_opts(const Opts *opts, Error **errp)
{
    const char *name = opts_get(opts, "driver");
    if (!name) {
        /* A format left to probing: only its child can be checked now. */
        if (bdrv_opts_has_sub(opts, "file")) {
            Opts *sub = bdrv_opts_sub(opts, "file");
            bool ok = bdrv_check_opts(sub, errp);
            opts_free(sub);
            return ok;
        }
        opts_error(opts, errp, "driver= is needed (file, host_device, raw "
                   "or qcow2)");
        return false;
    }
    const BlockDriver *drv = driver_or_error(opts, name, errp);
    if (!drv || !check_own_keys(opts, drv, errp) ||
        (drv->check && !drv->check(opts, errp))) {
        return false;
    }
    static const char *const children[] = { "file", "backing" };
    for (unsigned i = 0; i < G_N_ELEMENTS(children); i++) {
        if (!bdrv_opts_has_sub(opts, children[i])) {
            continue;
        }
        if (!drv->is_format) {
            opts_error(opts, errp, "driver '%s' has no %s child", drv->name,
                       children[i]);
            return false;
        }
        Opts *sub = bdrv_opts_sub(opts, children[i]);
        bool ok = bdrv_check_opts(sub, errp);
        opts_free(sub);
        if (!ok) {
            return false;
        }
    }
    return true;
}

BlockDriverState *bdrv_find_node(const char *node_name)
{
    for (unsigned i = 0; nodes && i < nodes->len; i++) {
        BlockDriverState *bs = nodes->pdata[i];
        if (bs->named && !strcmp(bs->node_name, node_name)) {
            return bs;
        }
    }
    return NULL;
}

/* Formats vmu recognises but does not read: a clear message. */
static const struct {
    const char *name;
    unsigned offset;
    const char *magic;
    unsigned len;
} foreign_formats[] = {
    { "qed", 0, "QED\0", 4 },
    { "vmdk", 0, "KDMV", 4 },
    { "vmdk", 0, "# Disk DescriptorFile", 21 },
    { "vhdx", 0, "vhdxfile", 8 },
    { "vpc", 0, "conectix", 8 },
    { "vdi", 64, "\x7f\x10\xda\xbe", 4 },
    { "luks", 0, "LUKS\xba\xbe", 6 },
    { "parallels", 0, "WithoutFreeSpace", 16 },
    { "parallels", 0, "WithouFreSpacExt", 16 },
};

static const char *probe_foreign(const uint8_t *buf, size_t len)
{
    for (unsigned i = 0; i < G_N_ELEMENTS(foreign_formats); i++) {
        unsigned off = foreign_formats[i].offset;
        unsigned n = foreign_formats[i].len;
        if (off + n <= len && !memcmp(buf + off, foreign_formats[i].magic, n)) {
            return foreign_formats[i].name;
        }
    }
    return NULL;
}

/* The best format for these first bytes (raw when nothing else fits). */
static const BlockDriver *probe_format(const uint8_t *buf, size_t len)
{
    const BlockDriver *best = NULL;
    int score = 0;
    for (unsigned i = 0; drivers && i < drivers->len; i++) {
        const BlockDriver *d = drivers->pdata[i];
        int s = d->probe ? d->probe(buf, len) : 0;
        if (s > score) {
            best = d;
            score = s;
        }
    }
    return best;
}

bool bdrv_probe_is_format(const uint8_t *buf, size_t len)
{
    const BlockDriver *d = probe_format(buf, len);
    return (d && strcmp(d->name, "raw")) || probe_foreign(buf, len);
}

static const BlockDriver *probe_child(const Opts *opts, BlockDriverState *file,
                                      Error **errp)
{
    uint8_t buf[4096];
    int ret = bdrv_pread(file, 0, buf, sizeof(buf));
    if (ret < 0) {
        opts_error(opts, errp, "cannot read '%s' to find its format: %s",
                   file->filename, g_strerror(-ret));
        return NULL;
    }
    const char *foreign = probe_foreign(buf, sizeof(buf));
    if (foreign) {
        opts_error(opts, errp, "'%s' is a %s image, which vmu does not read; "
                   "convert it with qemu-img convert -O qcow2 (or -O raw)",
                   file->filename, foreign);
        return NULL;
    }
    const BlockDriver *drv = probe_format(buf, sizeof(buf));
    if (!drv) {
        opts_error(opts, errp, "cannot tell the format of '%s'; give "
                   "format=raw or format=qcow2", file->filename);
    }
    return drv;
}

static bool opt_bool_inherit(const Opts *opts, const char *key, bool parent)
{
    return opts_has(opts, key) ? opts_get_bool(opts, key, parent) : parent;
}

static BlockDriverState *open_child(const Opts *opts, const char *child,
                                    const BlockDriverState *parent,
                                    Error **errp)
{
    const char *ref = opts_get(opts, child);
    if (ref && bdrv_opts_has_sub(opts, child)) {
        opts_error(opts, errp, "%s=%s and %s.* options both give the %s "
                   "child; use one", child, ref, child, child);
        return NULL;
    }
    if (ref) {
        BlockDriverState *bs = bdrv_find_node(ref);
        if (!bs) {
            opts_error(opts, errp, "%s=%s: there is no block node named "
                       "'%s'; give it first with -blockdev ...,node-name=%s",
                       child, ref, ref, ref);
            return NULL;
        }
        if (!parent->read_only && bs->read_only) {
            opts_error(opts, errp, "%s=%s: node '%s' is read-only, so this "
                       "node must be too (read-only=on)", child, ref, ref);
            return NULL;
        }
        bs->refcnt++;
        bs->has_parent = true;
        return bs;
    }
    Opts *sub = bdrv_opts_sub(opts, child);
    BlockDriverState *bs = bdrv_open_opts(sub, parent, errp);
    opts_free(sub);
    return bs;
}

BlockDriverState *bdrv_open_opts(const Opts *opts,
                                 const BlockDriverState *parent,
                                 Error **errp)
{
    const char *name = opts_get(opts, "driver");
    const BlockDriver *drv = NULL;
    if (name && !(drv = driver_or_error(opts, name, errp))) {
        return NULL;
    }
    if (!drv && !bdrv_opts_has_sub(opts, "file") && !opts_has(opts, "file")) {
        opts_error(opts, errp, "driver= is needed (file, host_device, raw "
                   "or qcow2)");
        return NULL;
    }
    const char *node_name = opts_get(opts, "node-name");
    if (node_name && bdrv_find_node(node_name)) {
        opts_error(opts, errp, "node-name=%s is already used by another "
                   "block node", node_name);
        return NULL;
    }

    BlockDriverState *bs = g_new0(BlockDriverState, 1);
    bs->refcnt = 1;
    bs->read_only = opt_bool_inherit(opts, "read-only",
                                     parent && parent->read_only);
    bs->direct = opt_bool_inherit(opts, "cache.direct",
                                  parent && parent->direct);
    bs->no_flush = opt_bool_inherit(opts, "cache.no-flush",
                                    parent && parent->no_flush);
    bs->force_share = opt_bool_inherit(opts, "force-share",
                                       parent && parent->force_share);
    if (bs->force_share && !bs->read_only) {
        opts_error(opts, errp, "force-share=on needs read-only=on");
        g_free(bs);
        return NULL;
    }
    const char *discard = opts_get(opts, "discard");
    bs->discard = discard ? !strcmp(discard, "unmap") || !strcmp(discard, "on")
                          : parent && parent->discard;
    bs->alignment = 1;
    if (node_name) {
        bs->node_name = g_strdup(node_name);
        bs->named = true;
    } else {
        bs->node_name = g_strdup_printf("#block%u", anon_nodes++);
    }

    if (!drv || drv->is_format) {
        bs->file = open_child(opts, "file", bs, errp);
        if (!bs->file) {
            goto fail;
        }
        bs->filename = g_strdup(bs->file->filename);
        bs->alignment = bs->file->alignment;
        if (!drv) {
            drv = probe_child(opts, bs->file, errp);
            if (!drv) {
                goto fail;
            }
            if (!strcmp(drv->name, "raw")) {
                bs->probed_raw = true;
                warn_report("image format was not given for '%s', so vmu "
                            "probed it: raw; a guest could write another "
                            "format's header into a raw image, so writes "
                            "that would do that to its start are refused "
                            "(give format=raw to lift this)", bs->filename);
            }
        }
    }
    if (!check_own_keys(opts, drv, errp)) {
        goto fail;
    }
    bs->drv = drv;
    if (!drv->open(bs, opts, errp)) {
        bs->drv = NULL;
        goto fail;
    }
    if (!nodes) {
        nodes = g_ptr_array_new();
    }
    g_ptr_array_add(nodes, bs);
    trace(bdrv_open, "node %s driver %s file '%s'%s%s", bs->node_name,
          drv->name, bs->filename ? bs->filename : "",
          bs->read_only ? " read-only" : "", bs->direct ? " direct" : "");
    return bs;

fail:
    if (bs->file) {
        bdrv_unref(bs->file);
    }
    g_free(bs->node_name);
    g_free(bs->filename);
    g_free(bs);
    return NULL;
}

BlockDriverState *bdrv_open_backing(const char *path, const char *format,
                                    const BlockDriverState *parent,
                                    Error **errp)
{
    Opts *o = g_new0(Opts, 1);
    o->option = g_strdup("backing file");
    o->text = g_strdup(path);
    o->entries = g_new0(OptEntry, 4);
    unsigned n = 0;
    if (format && *format) {
        o->entries[n].key = g_strdup("driver");
        o->entries[n++].value = g_strdup(format);
    }
    o->entries[n].key = g_strdup("read-only");
    o->entries[n++].value = g_strdup("on");
    o->entries[n].key = g_strdup("file.driver");
    o->entries[n++].value = g_strdup("file");
    o->entries[n].key = g_strdup("file.filename");
    o->entries[n++].value = g_strdup(path);
    o->n_entries = n;
    BlockDriverState ro = *parent;
    ro.read_only = true;
    BlockDriverState *bs = bdrv_open_opts(o, &ro, errp);
    opts_free(o);
    return bs;
}

void bdrv_unref(BlockDriverState *bs)
{
    if (!bs || --bs->refcnt) {
        return;
    }
    trace(bdrv_close, "node %s", bs->node_name);
    if (bs->drv && bs->drv->close) {
        bs->drv->close(bs);
    }
    if (nodes) {
        g_ptr_array_remove(nodes, bs);
    }
    bdrv_unref(bs->backing);
    bdrv_unref(bs->file);
    g_free(bs->node_name);
    g_free(bs->filename);
    g_free(bs);
}

int bdrv_preadv(BlockDriverState *bs, uint64_t offset, uint64_t bytes,
                struct iovec *iov, int niov)
{
    if (!bs->drv->preadv) {
        return -ENOTSUP;
    }
    return bs->drv->preadv(bs, offset, bytes, iov, niov);
}

int bdrv_pwritev(BlockDriverState *bs, uint64_t offset, uint64_t bytes,
                 struct iovec *iov, int niov)
{
    if (bs->read_only) {
        return -EROFS;
    }
    if (!bs->drv->pwritev) {
        return -ENOTSUP;
    }
    return bs->drv->pwritev(bs, offset, bytes, iov, niov);
}

int bdrv_pread(BlockDriverState *bs, uint64_t offset, void *buf,
               uint64_t bytes)
{
    struct iovec iov = { buf, bytes };
    return bdrv_preadv(bs, offset, bytes, &iov, 1);
}

int bdrv_pwrite(BlockDriverState *bs, uint64_t offset, const void *buf,
                uint64_t bytes)
{
    struct iovec iov = { (void *)buf, bytes };
    return bdrv_pwritev(bs, offset, bytes, &iov, 1);
}

int bdrv_flush(BlockDriverState *bs)
{
    if (!bs || bs->read_only) {
        return 0;
    }
    if (bs->drv->flush) {
        int ret = bs->drv->flush(bs);
        if (ret < 0) {
            return ret;
        }
    }
    return bdrv_flush(bs->file);
}

int bdrv_discard(BlockDriverState *bs, uint64_t offset, uint64_t bytes)
{
    if (bs->read_only) {
        return -EROFS;
    }
    if (!bs->discard || !bs->drv->discard) {
        return 0;
    }
    return bs->drv->discard(bs, offset, bytes);
}

int bdrv_write_zeroes(BlockDriverState *bs, uint64_t offset, uint64_t bytes,
                      bool may_unmap)
{
    if (bs->read_only) {
        return -EROFS;
    }
    if (bs->drv->write_zeroes) {
        return bs->drv->write_zeroes(bs, offset, bytes, may_unmap &&
                                     bs->discard);
    }
    /* No shortcut: write a zeroed buffer, a chunk at a time. */
    size_t chunk = MIN(bytes, (uint64_t)1 << 20);
    void *zero = g_malloc0(chunk);
    int ret = 0;
    while (bytes && !ret) {
        size_t n = MIN(bytes, chunk);
        ret = bdrv_pwrite(bs, offset, zero, n);
        offset += n;
        bytes -= n;
    }
    g_free(zero);
    return ret;
}

int64_t bdrv_getlength(BlockDriverState *bs)
{
    return bs->drv->getlength(bs);
}

int bdrv_truncate(BlockDriverState *bs, uint64_t length)
{
    if (bs->read_only) {
        return -EROFS;
    }
    return bs->drv->truncate ? bs->drv->truncate(bs, length) : -ENOTSUP;
}
