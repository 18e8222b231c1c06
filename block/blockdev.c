/*
 * The block layer's options: -drive's block keys turned into a node tree
 * (format node over a file node), and -blockdev nodes opened in order.
 * Checks here have no side effects; opening comes in phase 2.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "block-backend-int.h"
#include "block/block.h"
#include "qcow2.h"
#include "util/fdset.h"
#include "util/trace.h"

static const OptDesc drive_desc[] = {
    { "file", OPT_STRING, "the disk image (a file or a block device)" },
    { "format", OPT_STRING, "raw or qcow2 (default: probed)" },
    { "cache", OPT_STRING, "writeback (default), none, writethrough, "
      "directsync or unsafe" },
    { "aio", OPT_STRING, "threads (default), native or io_uring" },
    { "readonly", OPT_BOOL, "open the image read-only" },
    { "read-only", OPT_BOOL, "same as readonly" },
    { "snapshot", OPT_BOOL, "write to a temporary overlay, dropped at exit" },
    { "discard", OPT_STRING, "ignore (default) or unmap" },
    { "detect-zeroes", OPT_STRING, "off (accepted)" },
    { "werror", OPT_STRING, "on a write error: report, ignore, enospc "
      "(default) or stop" },
    { "rerror", OPT_STRING, "on a read error: report (default), ignore or "
      "stop" },
    { "copy-on-read", OPT_BOOL, "off" },
    { 0 },
};

static const struct {
    const char *name;
    bool direct, no_flush, wce;
} cache_modes[] = {
    { "writeback", false, false, true },
    { "none", true, false, true },
    { "writethrough", false, false, false },
    { "directsync", true, false, false },
    { "unsafe", false, true, true },
};

static int cache_mode(const char *name)
{
    for (unsigned i = 0; i < G_N_ELEMENTS(cache_modes); i++) {
        if (!strcmp(cache_modes[i].name, name)) {
            return i;
        }
    }
    return -1;
}

static bool parse_error_action(const char *v, bool is_read,
                               BlockErrorAction *out)
{
    if (!strcmp(v, "report")) {
        *out = BLOCK_ERR_REPORT;
    } else if (!strcmp(v, "ignore")) {
        *out = BLOCK_ERR_IGNORE;
    } else if (!strcmp(v, "stop")) {
        *out = BLOCK_ERR_STOP_ANY;
    } else if (!strcmp(v, "enospc") && !is_read) {
        *out = BLOCK_ERR_STOP_ENOSPC;
    } else {
        return false;
    }
    return true;
}

static void opts_add(Opts *o, const char *key, const char *value)
{
    o->entries = g_renew(OptEntry, o->entries, o->n_entries + 1);
    o->entries[o->n_entries].key = g_strdup(key);
    o->entries[o->n_entries].value = g_strdup(value);
    o->n_entries++;
}

/* The -drive's keys that are neither its own nor a child's. */
static Opts *drive_plain_keys(const Opts *drive)
{
    Opts *o = g_new0(Opts, 1);
    o->option = g_strdup(drive->option);
    o->text = g_strdup(drive->text);
    for (unsigned i = 0; i < drive->n_entries; i++) {
        const OptEntry *e = &drive->entries[i];
        if (!g_str_has_prefix(e->key, "file.") &&
            !g_str_has_prefix(e->key, "backing.")) {
            opts_add(o, e->key, e->value);
        }
    }
    return o;
}

/* The node tree a -drive stands for, as flat -blockdev-style options. */
static Opts *drive_node_opts(const Opts *drive)
{
    Opts *n = g_new0(Opts, 1);
    n->option = g_strdup(drive->option);
    n->text = g_strdup(drive->text);
    const char *format = opts_get(drive, "format");
    if (format) {
        opts_add(n, "driver", format);
    }
    if (opts_get_bool(drive, "readonly", false) ||
        opts_get_bool(drive, "read-only", false)) {
        opts_add(n, "read-only", "on");
    }
    int c = cache_mode(opts_get_str(drive, "cache", "writeback"));
    if (c >= 0) {
        opts_add(n, "cache.direct", cache_modes[c].direct ? "on" : "off");
        opts_add(n, "cache.no-flush", cache_modes[c].no_flush ? "on" : "off");
    }
    if (opts_has(drive, "discard")) {
        opts_add(n, "discard", opts_get(drive, "discard"));
    }
    const char *file = opts_get(drive, "file");
    if (file) {
        struct stat st;
        bool blockdev = !fdset_is_path(file) && stat(file, &st) == 0 &&
                        S_ISBLK(st.st_mode);
        opts_add(n, "file.driver", blockdev ? "host_device" : "file");
        opts_add(n, "file.filename", file);
    }
    if (opts_has(drive, "aio")) {
        opts_add(n, "file.aio", opts_get(drive, "aio"));
    }
    /* The format's own keys (offset=, lazy-refcounts=) go to its node. */
    const BlockDriver *drv = format ? bdrv_find_driver(format) : NULL;
    for (unsigned i = 0; drv && drv->opts && drv->opts[i].name; i++) {
        const char *v = opts_get(drive, drv->opts[i].name);
        if (v) {
            opts_add(n, drv->opts[i].name, v);
        }
    }
    /* The user's own file.* and backing.* keys come last and win. */
    for (unsigned i = 0; i < drive->n_entries; i++) {
        const OptEntry *e = &drive->entries[i];
        if (g_str_has_prefix(e->key, "file.") ||
            g_str_has_prefix(e->key, "backing.")) {
            opts_add(n, e->key, e->value);
        }
    }
    return n;
}

bool blk_drive_check(const Opts *drive, const char *const *other_keys,
                     Error **errp)
{
    /* The format's own keys are the -drive's too, as in QEMU. */
    const char *format = opts_get(drive, "format");
    const BlockDriver *drv = format ? bdrv_find_driver(format) : NULL;
    GPtrArray *allowed = g_ptr_array_new();
    for (unsigned i = 0; other_keys && other_keys[i]; i++) {
        g_ptr_array_add(allowed, (gpointer)other_keys[i]);
    }
    for (unsigned i = 0; drv && drv->opts && drv->opts[i].name; i++) {
        g_ptr_array_add(allowed, (gpointer)drv->opts[i].name);
    }
    g_ptr_array_add(allowed, NULL);
    Opts *plain = drive_plain_keys(drive);
    bool ok = opts_validate(plain, "-drive", drive_desc,
                            (const char *const *)allowed->pdata, errp);
    opts_free(plain);
    g_ptr_array_free(allowed, TRUE);
    if (!ok) {
        return false;
    }
    const char *cache = opts_get(drive, "cache");
    if (cache && cache_mode(cache) < 0) {
        opts_error(drive, errp, "cache=%s: use writeback, none, "
                   "writethrough, directsync or unsafe", cache);
        return false;
    }
    BlockErrorAction a;
    const char *werror = opts_get(drive, "werror");
    if (werror && !parse_error_action(werror, false, &a)) {
        opts_error(drive, errp, "werror=%s: use report, ignore, enospc or "
                   "stop", werror);
        return false;
    }
    const char *rerror = opts_get(drive, "rerror");
    if (rerror && !parse_error_action(rerror, true, &a)) {
        opts_error(drive, errp, "rerror=%s: use report, ignore or stop",
                   rerror);
        return false;
    }
    if (opts_get_bool(drive, "copy-on-read", false)) {
        opts_error(drive, errp, "copy-on-read=on is not supported; leave it "
                   "out");
        return false;
    }
    if (format && !strcmp(format, "help")) {
        char *names = bdrv_driver_names(true);
        opts_error(drive, errp, "supported formats: %s", names);
        g_free(names);
        return false;
    }
    if (format && (!drv || !drv->is_format)) {
        char *names = bdrv_driver_names(true);
        opts_error(drive, errp, "unknown image format '%s' (vmu reads: %s)",
                   format, names);
        g_free(names);
        return false;
    }
    if (!opts_get(drive, "file") && !bdrv_opts_has_sub(drive, "file")) {
        opts_error(drive, errp, "file= is needed: the disk image (vmu has "
                   "no removable media, so no empty drive)");
        return false;
    }
    Opts *n = drive_node_opts(drive);
    ok = bdrv_check_opts(n, errp);
    opts_free(n);
    return ok;
}

/*
 * snapshot=on: the image opened read-only under a temporary qcow2 overlay
 * in $TMPDIR (default /var/tmp).  The overlay's file is unlinked as soon
 * as it is open, so it is gone at exit on every path, a crash included.
 */
static BlockDriverState *snapshot_overlay(const Opts *drive,
                                          BlockDriverState *image,
                                          Error **errp)
{
    const char *dir = g_getenv("TMPDIR");
    char *path = g_build_filename(dir && *dir ? dir : "/var/tmp",
                                  "vmu-snapshot-XXXXXX", NULL);
    int fd = g_mkstemp_full(path, O_RDWR | O_CLOEXEC, 0600);
    if (fd < 0) {
        opts_error(drive, errp, "snapshot=on: cannot create the temporary "
                   "overlay %s: %s (set TMPDIR to a writable directory)",
                   path, g_strerror(errno));
        g_free(path);
        return NULL;
    }
    int64_t len = bdrv_getlength(image);
    char *abs = g_canonicalize_filename(image->filename, NULL);
    int ret = len < 0 ? (int)len :
              qcow2_create_overlay(fd, len, abs, image->drv->name);
    close(fd);
    BlockDriverState *ov = NULL;
    if (ret < 0) {
        opts_error(drive, errp, "snapshot=on: cannot write the temporary "
                   "overlay %s: %s", path, g_strerror(-ret));
    } else {
        Opts *o = g_new0(Opts, 1);
        o->option = g_strdup(drive->option);
        o->text = g_strdup(drive->text);
        opts_add(o, "driver", "qcow2");
        opts_add(o, "backing", "");
        opts_add(o, "cache.no-flush", "on");    /* dropped at exit anyway */
        opts_add(o, "file.driver", "file");
        opts_add(o, "file.filename", path);
        ov = bdrv_open_opts(o, NULL, errp);
        opts_free(o);
    }
    unlink(path);
    if (ov) {
        ov->backing = image;
        trace(blk_snapshot_overlay, "%s over %s", path, image->filename);
    }
    g_free(abs);
    g_free(path);
    return ov;
}

BlockBackend *blk_drive_open(const Opts *drive, const char *name,
                             Error **errp)
{
    Opts *n = drive_node_opts(drive);
    bool snapshot = opts_get_bool(drive, "snapshot", false) &&
                    !opts_get_bool(n, "read-only", false);
    if (snapshot) {
        opts_add(n, "read-only", "on");     /* the image stays untouched */
    }
    BlockDriverState *bs = bdrv_open_opts(n, NULL, errp);
    opts_free(n);
    if (bs && snapshot) {
        BlockDriverState *ov = snapshot_overlay(drive, bs, errp);
        if (!ov) {
            bdrv_unref(bs);
        }
        bs = ov;
    }
    if (!bs) {
        return NULL;
    }
    int c = cache_mode(opts_get_str(drive, "cache", "writeback"));
    BlockBackend *blk = blk_new_on(name, bs, cache_modes[c].wce, errp);
    if (!blk) {
        bdrv_unref(bs);
        return NULL;
    }
    BlockErrorAction r = BLOCK_ERR_REPORT, w = BLOCK_ERR_STOP_ENOSPC;
    parse_error_action(opts_get_str(drive, "rerror", "report"), true, &r);
    parse_error_action(opts_get_str(drive, "werror", "enospc"), false, &w);
    blk_set_on_error(blk, r, w);
    return blk;
}

static GPtrArray *checked_names;    /* node names of -blockdevs checked */
static GPtrArray *blockdev_nodes;   /* the nodes -blockdev opened */

static bool valid_node_name(const char *id)
{
    if (!g_ascii_isalpha(id[0])) {
        return false;
    }
    for (const char *p = id; *p; p++) {
        if (!g_ascii_isalnum(*p) && !strchr("-._", *p)) {
            return false;
        }
    }
    return strlen(id) < 32;
}

bool blockdev_check(const Opts *opts, Error **errp)
{
    if (!checked_names) {
        checked_names = g_ptr_array_new_with_free_func(g_free);
    }
    if (!opts_has(opts, "driver")) {
        char *names = bdrv_driver_names(false);
        opts_error(opts, errp, "driver= is needed (%s)", names);
        g_free(names);
        return false;
    }
    const char *node = opts_get(opts, "node-name");
    if (!node) {
        opts_error(opts, errp, "node-name= is needed: the name that "
                   "drive= or file= gives");
        return false;
    }
    if (!valid_node_name(node)) {
        opts_error(opts, errp, "invalid node-name '%s': a name starts with "
                   "a letter, has only letters, digits, '-', '.' and '_', "
                   "and at most 31 characters", node);
        return false;
    }
    for (unsigned i = 0; i < checked_names->len; i++) {
        if (!strcmp(checked_names->pdata[i], node)) {
            opts_error(opts, errp, "duplicate node-name '%s'", node);
            return false;
        }
    }
    static const char *const refs[] = { "file", "backing" };
    for (unsigned r = 0; r < G_N_ELEMENTS(refs); r++) {
        const char *ref = opts_get(opts, refs[r]);
        bool found = !ref || (!*ref && !strcmp(refs[r], "backing"));
        for (unsigned i = 0; !found && i < checked_names->len; i++) {
            found = !strcmp(checked_names->pdata[i], ref);
        }
        if (!found) {
            opts_error(opts, errp, "%s=%s: there is no block node named "
                       "'%s' before this one; give -blockdev ...,"
                       "node-name=%s first", refs[r], ref, ref, ref);
            return false;
        }
    }
    if (!bdrv_check_opts(opts, errp)) {
        return false;
    }
    g_ptr_array_add(checked_names, g_strdup(node));
    return true;
}

bool blockdev_open(const Opts *opts, Error **errp)
{
    BlockDriverState *bs = bdrv_open_opts(opts, NULL, errp);
    if (!bs) {
        return false;
    }
    if (!blockdev_nodes) {
        blockdev_nodes = g_ptr_array_new();
    }
    g_ptr_array_add(blockdev_nodes, bs);
    return true;
}

void blockdev_close_nodes(void)
{
    while (blockdev_nodes && blockdev_nodes->len) {
        bdrv_unref(g_ptr_array_steal_index(blockdev_nodes,
                                           blockdev_nodes->len - 1));
    }
}

char *blk_driver_list(void)
{
    return bdrv_driver_names(false);
}
