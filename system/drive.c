/*
 * -drive and -blockdev on the command line.  The block layer owns their
 * block keys (block/block.h); this file owns what is about the machine:
 * if=, index=, bus=, unit=, media=, serial=, the drive's id, and the
 * virtio-blk-pci device that -drive if=virtio|ide|scsi stands for.
 */
#include <glib.h>
#include <string.h>

#include "block/block.h"
#include "system/drive.h"
#include "system/main-loop.h"
#include "system/options.h"

typedef struct DriveInfo {
    Opts *opts;
    char *id;
} DriveInfo;

static GPtrArray *drives;       /* DriveInfo * */
static GPtrArray *blockdevs;    /* Opts * */
/* Both, in command-line order, for checking: Opts * of either. */
static GPtrArray *in_order;
static bool snapshot_all;       /* -snapshot */

static void in_order_add(Opts *o)
{
    if (!in_order) {
        in_order = g_ptr_array_new();
    }
    g_ptr_array_add(in_order, o);
}

/* -drive keys that are the machine's, not the block layer's. */
static const char *const drive_system_keys[] = {
    "id", "if", "index", "bus", "unit", "media", "serial", NULL,
};

static const char *const drive_ifs[] = { "none", "virtio", "ide", "scsi" };

static bool drive_if_known(const char *ifname)
{
    for (unsigned i = 0; i < G_N_ELEMENTS(drive_ifs); i++) {
        if (!strcmp(drive_ifs[i], ifname)) {
            return true;
        }
    }
    return false;
}

/* QEMU's name for a drive without id=: ide0-hd1, virtio2, scsi0-hd3. */
static char *drive_default_id(const char *ifname, unsigned index)
{
    if (!strcmp(ifname, "ide")) {
        return g_strdup_printf("ide%u-hd%u", index / 2, index % 2);
    }
    if (!strcmp(ifname, "scsi")) {
        return g_strdup_printf("scsi0-hd%u", index);
    }
    return g_strdup_printf("%s%u", ifname, index);
}

/* The next index of this interface that no earlier -drive took. */
static unsigned drive_next_index(const char *ifname)
{
    for (unsigned idx = 0;; idx++) {
        bool used = false;
        for (unsigned i = 0; drives && i < drives->len && !used; i++) {
            const DriveInfo *d = drives->pdata[i];
            used = !strcmp(opts_get_str(d->opts, "if", "ide"), ifname) &&
                   opts_has(d->opts, "index") &&
                   opts_get_number(d->opts, "index", 0) == idx;
        }
        if (!used) {
            return idx;
        }
    }
}

static void drive_opts_add(Opts *o, const char *key, const char *value)
{
    o->entries = g_renew(OptEntry, o->entries, o->n_entries + 1);
    o->entries[o->n_entries].key = g_strdup(key);
    o->entries[o->n_entries].value = g_strdup(value);
    o->n_entries++;
}

/* if=virtio|ide|scsi: the guest sees the disk on a virtio-blk-pci. */
static void drive_add_device(const Opts *drive, const char *id)
{
    Opts *dev = g_new0(Opts, 1);
    dev->option = g_strdup(drive->option);
    dev->text = g_strdup(drive->text);
    drive_opts_add(dev, "driver", "virtio-blk-pci");
    drive_opts_add(dev, "drive", id);
    if (opts_has(drive, "serial")) {
        drive_opts_add(dev, "serial", opts_get(drive, "serial"));
    }
    g_ptr_array_add(options_lists()[TYPE_KIND_DEVICE], dev);
}

static bool drive_add_opts(Opts *o, Error **errp)
{
    const char *ifname = opts_get_str(o, "if", "ide");
    if (!drive_if_known(ifname)) {
        opts_error(o, errp, "if=%s: vmu's disks are virtio-blk: use "
                   "if=virtio, or if=none with -device virtio-blk-pci,"
                   "drive=ID", ifname);
        opts_free(o);
        return false;
    }
    const char *media = opts_get_str(o, "media", "disk");
    if (strcmp(media, "disk")) {
        opts_error(o, errp, "media=%s: vmu has no CD-ROM drive; give the "
                   "image as a disk (media=disk) or leave media= out", media);
        opts_free(o);
        return false;
    }
    unsigned index;
    if (opts_has(o, "index")) {
        uint64_t n;
        if (!parse_uint(opts_get(o, "index"), &n) || n > 255) {
            opts_error(o, errp, "index=%s: give a number from 0 to 255",
                       opts_get(o, "index"));
            opts_free(o);
            return false;
        }
        index = n;
    } else if (opts_has(o, "bus") || opts_has(o, "unit")) {
        /* QEMU's numbering: IDE has 2 units a bus, SCSI 7, the rest 1. */
        unsigned per_bus = !strcmp(ifname, "ide") ? 2 :
                           !strcmp(ifname, "scsi") ? 7 : 1;
        uint64_t bus, unit;
        if (!parse_uint(opts_get_str(o, "bus", "0"), &bus) ||
            !parse_uint(opts_get_str(o, "unit", "0"), &unit) ||
            unit >= per_bus || bus > 255 / per_bus) {
            opts_error(o, errp, "bus=%s,unit=%s: unit must be below %u (the "
                       "units of an %s bus) and bus at most %u",
                       opts_get_str(o, "bus", "0"),
                       opts_get_str(o, "unit", "0"), per_bus, ifname,
                       255 / per_bus);
            opts_free(o);
            return false;
        }
        index = bus * per_bus + unit;
    } else {
        index = drive_next_index(ifname);
    }
    if (!drives) {
        drives = g_ptr_array_new();
    }
    DriveInfo *d = g_new0(DriveInfo, 1);
    d->opts = o;
    d->id = opts_has(o, "id") ? g_strdup(opts_get(o, "id"))
                              : drive_default_id(ifname, index);
    g_ptr_array_add(drives, d);
    in_order_add(o);
    if (strcmp(ifname, "none")) {
        if (strcmp(ifname, "virtio")) {
            warn_report("%s %s: vmu has no %s controller, so this disk is "
                        "a virtio-blk-pci: the guest sees /dev/vda, not "
                        "/dev/sda (cloud images mount by UUID or LABEL and "
                        "have the virtio drivers)", o->option, o->text,
                        !strcmp(ifname, "ide") ? "IDE" : "SCSI");
        }
        drive_add_device(o, d->id);
    }
    return true;
}

bool drive_add(const char *text, Error **errp)
{
    Opts *o = opts_parse("-drive", text, NULL, errp);
    return o && drive_add_opts(o, errp);
}

bool drive_add_hd(unsigned index, const char *option, const char *file,
                  Error **errp)
{
    /* -hdX FILE = -drive file=FILE,index=X,media=disk (a name may hold
     * commas, so no key=value text is made of it). */
    Opts *o = g_new0(Opts, 1);
    o->option = g_strdup(option);
    o->text = g_strdup(file);
    drive_opts_add(o, "file", file);
    char *idx = g_strdup_printf("%u", index);
    drive_opts_add(o, "index", idx);
    g_free(idx);
    drive_opts_add(o, "media", "disk");
    return drive_add_opts(o, errp);
}

bool drive_device_rewrite(Opts *d)
{
    static const char *const models[][2] = {
        { "ide-hd", "IDE" }, { "ide-drive", "IDE" }, { "scsi-hd", "SCSI" },
    };
    /* What virtio-blk-pci takes of theirs; bus=, unit=, lun= go. */
    static const char *const keep[] = {
        "driver", "id", "drive", "serial", "bootindex", "werror", "rerror",
        "write-cache", "share-rw", "logical_block_size",
        "physical_block_size", "discard_granularity", "min_io_size",
        "opt_io_size", NULL,
    };
    const char *driver = opts_get(d, "driver");
    const char *what = NULL;
    for (unsigned i = 0; driver && i < G_N_ELEMENTS(models); i++) {
        if (!strcmp(driver, models[i][0])) {
            what = models[i][1];
        }
    }
    if (!what) {
        return false;
    }
    warn_report("-device %s: vmu has no %s controller, so this disk is a "
                "virtio-blk-pci: the guest sees /dev/vda, not /dev/sda "
                "(cloud images mount by UUID or LABEL and have the virtio "
                "drivers)", d->text, what);
    unsigned n = 0;
    for (unsigned i = 0; i < d->n_entries; i++) {
        OptEntry *e = &d->entries[i];
        if (g_strv_contains(keep, e->key)) {
            if (!strcmp(e->key, "driver")) {
                g_free(e->value);
                e->value = g_strdup("virtio-blk-pci");
            }
            d->entries[n++] = *e;
        } else {
            g_free(e->key);
            g_free(e->value);
        }
    }
    d->n_entries = n;
    return true;
}

void drive_snapshot_all(void)
{
    snapshot_all = true;
}

bool blockdev_add(const char *text, Error **errp)
{
    Opts *o = text[0] == '{' ? opts_parse_json_tree("-blockdev", text, errp)
                             : opts_parse("-blockdev", text, NULL, errp);
    if (!o) {
        return false;
    }
    if (!blockdevs) {
        blockdevs = g_ptr_array_new();
    }
    g_ptr_array_add(blockdevs, o);
    in_order_add(o);
    return true;
}

bool drive_defined(const char *name)
{
    for (unsigned i = 0; drives && i < drives->len; i++) {
        if (!strcmp(((DriveInfo *)drives->pdata[i])->id, name)) {
            return true;
        }
    }
    for (unsigned i = 0; blockdevs && i < blockdevs->len; i++) {
        const char *n = opts_get(blockdevs->pdata[i], "node-name");
        if (n && !strcmp(n, name)) {
            return true;
        }
    }
    return false;
}

static bool drive_check(DriveInfo *d, unsigned pos, Error **errp)
{
    Opts *o = d->opts;
    if (snapshot_all && !opts_has(o, "snapshot")) {
        drive_opts_add(o, "snapshot", "on");   /* -snapshot, as in QEMU */
    }
    const char *id = opts_get(o, "id");
    bool id_ok = !id || g_ascii_isalpha(id[0]);
    for (const char *p = id; id_ok && p && *p; p++) {
        id_ok = g_ascii_isalnum(*p) || strchr("-._", *p);
    }
    if (!id_ok) {
        opts_error(o, errp, "invalid id '%s': an id starts with a letter "
                   "and has only letters, digits, '-', '.' and '_'", id);
        return false;
    }
    for (unsigned i = 0; i < pos; i++) {
        const DriveInfo *e = drives->pdata[i];
        if (!strcmp(e->id, d->id)) {
            opts_error(o, errp, "duplicate drive id '%s'%s", d->id,
                       id ? "" : " (the index of another -drive of this "
                       "interface: give index= or id=)");
            return false;
        }
    }
    for (unsigned i = 0; blockdevs && i < blockdevs->len; i++) {
        const char *n = opts_get(blockdevs->pdata[i], "node-name");
        if (n && !strcmp(n, d->id)) {
            opts_error(o, errp, "drive id '%s' is also a -blockdev "
                       "node-name; give them different names", d->id);
            return false;
        }
    }
    return blk_drive_check(o, drive_system_keys, errp);
}

void drive_check_all(void (*report)(Error *err))
{
    Error *err = NULL;
    unsigned drive = 0;
    for (unsigned i = 0; in_order && i < in_order->len; i++) {
        const Opts *o = in_order->pdata[i];
        bool ok;
        if (!strcmp(o->option, "-blockdev")) {
            ok = blockdev_check(o, &err);
        } else {
            ok = drive_check(drives->pdata[drive], drive, &err);
            drive++;
        }
        if (!ok) {
            report(err);
            err = NULL;
        }
    }
}

static void drive_close_all(void *opaque)
{
    blk_close_all();
}

bool drive_create_all(Error **errp)
{
    static ExitNotifier closer = { drive_close_all, NULL, NULL };
    if (!drives && !blockdevs) {
        return true;
    }
    exit_notifier_add(&closer);
    for (unsigned i = 0; blockdevs && i < blockdevs->len; i++) {
        if (!blockdev_open(blockdevs->pdata[i], errp)) {
            return false;
        }
    }
    for (unsigned i = 0; drives && i < drives->len; i++) {
        const DriveInfo *d = drives->pdata[i];
        if (!blk_drive_open(d->opts, d->id, errp)) {
            return false;
        }
    }
    return true;
}
