/*
 * -device virtio-blk-pci: QEMU's properties, checked before anything is
 * created, then the disk (virtio-blk.c) on the virtio 1.x PCI transport.
 */
#include <errno.h>
#include <glib.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "hw/block/virtio-blk.h"
#include "system/bootdevice.h"
#include "hw/virtio/virtio-pci.h"
#include "system/drive.h"
#include "system/machine.h"
#include "system/registry.h"

/* QEMU's default for both: the block layer's largest request. */
#define MAX_SECTORS_DEFAULT     4194303u
#define SIZE_MAX_DEFAULT        (1u << 20)

static const OptDesc virtio_blk_pci_desc[] = {
    { "drive", OPT_STRING, "the -drive id= or -blockdev node-name= of the "
      "disk" },
    { "num-queues", OPT_NUMBER, "request queues, 1 to 64 (default: one per "
      "vCPU)" },
    { "queue-size", OPT_NUMBER, "entries per queue, a power of two from 4 "
      "to 1024 (default 256)" },
    { "serial", OPT_STRING, "the disk's serial number (GET_ID), up to 20 "
      "bytes" },
    { "write-cache", OPT_STRING, "on, off or auto (default: the drive's "
      "cache= mode)" },
    { "config-wce", OPT_BOOL, "the guest may switch the write cache "
      "(default on)" },
    { "discard", OPT_BOOL, "offer DISCARD (default on)" },
    { "write-zeroes", OPT_BOOL, "offer WRITE_ZEROES (default on)" },
    { "max-discard-sectors", OPT_NUMBER, "largest discard, 1 to 4194303 "
      "sectors" },
    { "max-write-zeroes-sectors", OPT_NUMBER, "largest write-zeroes, 1 to "
      "4194303 sectors" },
    { "logical_block_size", OPT_SIZE, "512 to 32768, a power of two "
      "(default 512, 4096 where cache=none needs it)" },
    { "physical_block_size", OPT_SIZE, "a power of two, at least the "
      "logical block size" },
    { "min_io_size", OPT_SIZE, "bytes, a multiple of the logical block "
      "size" },
    { "opt_io_size", OPT_SIZE, "bytes, a multiple of the logical block "
      "size" },
    { "discard_granularity", OPT_SIZE, "bytes, a multiple of 512 (default "
      "the logical block size)" },
    { "report-discard-granularity", OPT_BOOL, "accepted: the discard "
      "alignment is always reported" },
    { "bootindex", OPT_STRING, "boot order of this disk (-1: none)" },
    { "werror", OPT_STRING, "on a write error: report, ignore, stop, "
      "enospc or auto (the drive's werror=, default enospc)" },
    { "rerror", OPT_STRING, "on a read error: report, ignore, stop, enospc "
      "or auto (the drive's rerror=, default report)" },
    { "event_idx", OPT_BOOL, "ring event index (default on)" },
    { "indirect_desc", OPT_BOOL, "indirect descriptors (default on)" },
    { "seg-max-adjust", OPT_BOOL, "accepted: seg_max is always queue-size "
      "- 2" },
    { "scsi", OPT_BOOL, "off (SCSI passthrough is legacy virtio only)" },
    { "request-merging", OPT_BOOL, "accepted and ignored" },
    { "ioeventfd", OPT_BOOL, "accepted: kicks always go through an "
      "ioeventfd" },
    { "share-rw", OPT_BOOL, "accepted: whether two VMs may write one image "
      "is the image locking's business (-drive, -blockdev)" },
    { "backend_defaults", OPT_STRING, "accepted: the block sizes default "
      "to what the backend needs" },
    { "iothread", OPT_STRING, "accepted: I/O always runs on the block "
      "layer's threads, off the main loop" },
    { "x-*", OPT_STRING, "QEMU's experimental properties: ignored, with a "
      "warning" },
    VIRTIO_PCI_OPT_DESCS
    { NULL, 0, NULL },
};

static bool parse_error_action(const char *s, BlockErrorAction *out)
{
    static const struct {
        const char *name;
        BlockErrorAction a;
    } names[] = {
        { "report", BLOCK_ERR_REPORT }, { "ignore", BLOCK_ERR_IGNORE },
        { "stop", BLOCK_ERR_STOP_ANY }, { "enospc", BLOCK_ERR_STOP_ENOSPC },
    };
    for (unsigned i = 0; i < G_N_ELEMENTS(names); i++) {
        if (!strcmp(s, names[i].name)) {
            *out = names[i].a;
            return true;
        }
    }
    return false;
}

static bool parse_int32(const char *s, int64_t min, int32_t *out)
{
    char *end;
    errno = 0;
    long long v = strtoll(s, &end, 0);
    if (errno || end == s || *end || v < min || v > INT32_MAX) {
        return false;
    }
    *out = v;
    return true;
}

static bool is_pow2(uint64_t v)
{
    return v && !(v & (v - 1));
}

static bool check_sizes(const Opts *o, Error **errp)
{
    uint64_t lbs = opts_get_size(o, "logical_block_size", 512);
    uint64_t pbs = opts_get_size(o, "physical_block_size", lbs);
    if (!is_pow2(lbs) || lbs < 512 || lbs > 32768) {
        opts_error(o, errp, "logical_block_size=%" PRIu64 ": allowed values "
                   "are powers of two from 512 to 32768", lbs);
        return false;
    }
    if (!is_pow2(pbs) || pbs < lbs || pbs / lbs > 128) {
        opts_error(o, errp, "physical_block_size=%" PRIu64 ": give a power "
                   "of two from the logical block size (%" PRIu64 ") to 128 "
                   "times it", pbs, lbs);
        return false;
    }
    static const char *const io[] = { "min_io_size", "opt_io_size" };
    for (unsigned i = 0; i < G_N_ELEMENTS(io); i++) {
        uint64_t v = opts_get_size(o, io[i], 0);
        uint64_t max = i ? UINT32_MAX * lbs : 65535 * lbs;
        if (v % lbs || v > max) {
            opts_error(o, errp, "%s=%" PRIu64 ": give a multiple of the "
                       "logical block size (%" PRIu64 ") up to %" PRIu64,
                       io[i], v, lbs, max);
            return false;
        }
    }
    uint64_t dg = opts_get_size(o, "discard_granularity", lbs);
    if (dg != UINT32_MAX && (dg % 512 || dg > UINT32_MAX)) {
        opts_error(o, errp, "discard_granularity=%" PRIu64 ": give a "
                   "multiple of 512 bytes", dg);
        return false;
    }
    return true;
}

static bool virtio_blk_pci_check(const Opts *o, Error **errp)
{
    const char *drive = opts_get(o, "drive");
    BlockErrorAction a;
    int32_t v;

    if (!drive) {
        opts_error(o, errp, "drive= is required: add -drive if=none,id=ID,"
                   "file=IMAGE (or -blockdev ...,node-name=ID) and "
                   "drive=ID");
        return false;
    }
    if (!drive_defined(drive)) {
        opts_error(o, errp, "drive=%s: there is no -drive with id '%s' and "
                   "no -blockdev with node-name '%s'", drive, drive, drive);
        return false;
    }
    /* A second device on the drive fails at blk_attach_dev: -hda IMG
     * -hda IMG is one problem (the drive id), said by the drive. */
    uint64_t nq = opts_get_number(o, "num-queues", 1);
    if (nq < 1 || nq > VIRTIO_BLK_MAX_QUEUES) {
        opts_error(o, errp, "num-queues=%" PRIu64 ": allowed values are 1 "
                   "to %u", nq, VIRTIO_BLK_MAX_QUEUES);
        return false;
    }
    uint64_t qs = opts_get_number(o, "queue-size", 256);
    if (!is_pow2(qs) || qs < 4 || qs > VIRTQUEUE_MAX_SIZE) {
        opts_error(o, errp, "queue-size=%" PRIu64 ": allowed values are "
                   "powers of two from 4 to %u", qs, VIRTQUEUE_MAX_SIZE);
        return false;
    }
    const char *wc = opts_get(o, "write-cache");
    bool b;
    if (wc && strcmp(wc, "auto") && !parse_bool(wc, &b)) {
        opts_error(o, errp, "write-cache=%s: allowed values are on, off and "
                   "auto", wc);
        return false;
    }
    static const char *const pol[] = { "werror", "rerror" };
    for (unsigned i = 0; i < 2; i++) {
        const char *p = opts_get(o, pol[i]);
        if (p && strcmp(p, "auto") && !parse_error_action(p, &a)) {
            opts_error(o, errp, "%s=%s: allowed values are report, ignore, "
                       "stop, enospc and auto", pol[i], p);
            return false;
        }
    }
    static const char *const maxes[] = { "max-discard-sectors",
                                         "max-write-zeroes-sectors" };
    for (unsigned i = 0; i < 2; i++) {
        uint64_t m = opts_get_number(o, maxes[i], MAX_SECTORS_DEFAULT);
        if (m < 1 || m > MAX_SECTORS_DEFAULT) {
            opts_error(o, errp, "%s=%" PRIu64 ": allowed values are 1 to "
                       "%u", maxes[i], m, MAX_SECTORS_DEFAULT);
            return false;
        }
    }
    const char *bi = opts_get(o, "bootindex");
    if (bi && !parse_int32(bi, -1, &v)) {
        opts_error(o, errp, "bootindex=%s: give a number from -1 (not a "
                   "boot device) to 2147483647", bi);
        return false;
    }
    if (opts_get_bool(o, "scsi", false)) {
        opts_error(o, errp, "scsi=on: SCSI passthrough needs the legacy "
                   "virtio interface, which vmu does not have; use "
                   "scsi=off");
        return false;
    }
    return check_sizes(o, errp) &&
           virtio_pci_opts_check(o, "virtio-blk-pci", errp);
}

static void conf_from_opts(VirtIOBlkConf *c, const Opts *o, BlockBackend *blk)
{
    unsigned cpus = current_machine ? current_machine->smp_cpus : 1;
    c->blk = blk;
    c->num_queues = opts_get_number(o, "num-queues",
                                    MIN(MAX(cpus, 1), VIRTIO_BLK_MAX_QUEUES));
    c->queue_size = opts_get_number(o, "queue-size", 256);
    const char *wc = opts_get_str(o, "write-cache", "auto");
    c->write_cache = !strcmp(wc, "auto") ? -1 :
                     opts_get_bool(o, "write-cache", true);
    c->config_wce = opts_get_bool(o, "config-wce", true);
    c->discard = opts_get_bool(o, "discard", true);
    c->write_zeroes = opts_get_bool(o, "write-zeroes", true);
    c->event_idx = opts_get_bool(o, "event_idx", true);
    c->indirect_desc = opts_get_bool(o, "indirect_desc", true);
    c->max_discard_sectors = opts_get_number(o, "max-discard-sectors",
                                             MAX_SECTORS_DEFAULT);
    c->max_write_zeroes_sectors = opts_get_number(o,
                                                  "max-write-zeroes-sectors",
                                                  MAX_SECTORS_DEFAULT);
    unsigned align = blk_alignment(blk);
    c->logical_block_size = opts_get_size(o, "logical_block_size",
                                          MAX(align, 512));
    c->physical_block_size = opts_get_size(o, "physical_block_size",
                                           c->logical_block_size);
    c->min_io_size = opts_get_size(o, "min_io_size", 0);
    c->opt_io_size = opts_get_size(o, "opt_io_size", 0);
    c->discard_granularity = opts_get_size(o, "discard_granularity",
                                           c->logical_block_size);
    if (!c->discard_granularity || c->discard_granularity == UINT32_MAX) {
        c->discard_granularity = c->logical_block_size;    /* QEMU's auto */
    }
    c->size_max = SIZE_MAX_DEFAULT;
    c->bootindex = -1;
    if (opts_has(o, "bootindex")) {
        parse_int32(opts_get(o, "bootindex"), -1, &c->bootindex);
    }
    g_strlcpy(c->serial, opts_get_str(o, "serial", ""), sizeof(c->serial));
}

/* The device's werror=/rerror= override the drive's (auto: keep it). */
static void apply_error_policy(const Opts *o, BlockBackend *blk)
{
    BlockErrorAction r = blk_get_on_error(blk, true);
    BlockErrorAction w = blk_get_on_error(blk, false);
    const char *rs = opts_get(o, "rerror"), *ws = opts_get(o, "werror");
    bool changed = false;
    if (rs && strcmp(rs, "auto")) {
        changed |= parse_error_action(rs, &r);
    }
    if (ws && strcmp(ws, "auto")) {
        changed |= parse_error_action(ws, &w);
    }
    if (changed) {
        blk_set_on_error(blk, r, w);
    }
}

static bool virtio_blk_pci_create(const Opts *o, Error **errp)
{
    const char *drive = opts_get(o, "drive");
    const char *id = opts_get(o, "id");
    BlockBackend *blk = blk_by_name(drive);
    VirtIOBlkConf conf = { 0 };

    if (!blk) {
        opts_error(o, errp, "drive=%s: there is no -drive with id '%s' and "
                   "no -blockdev with node-name '%s'", drive, drive, drive);
        return false;
    }
    char *name = id ? g_strdup_printf("virtio-blk-pci %s", id) :
                 g_strdup_printf("virtio-blk-pci (drive %s)", drive);
    if (!blk_attach_dev(blk, name, errp)) {
        error_prepend(errp, "-device virtio-blk-pci,drive=%s: ", drive);
        g_free(name);
        return false;
    }
    for (unsigned i = 0; i < o->n_entries; i++) {
        if (g_str_has_prefix(o->entries[i].key, "x-")) {
            warn_report("%s: %s ignored: vmu has no such experimental "
                        "property", name, o->entries[i].key);
        }
    }
    const char *serial = opts_get(o, "serial");
    if (serial && strlen(serial) > VIRTIO_BLK_ID_BYTES) {
        warn_report("%s: serial=%s is longer than %d bytes: the guest sees "
                    "its first %d", name, serial, VIRTIO_BLK_ID_BYTES,
                    VIRTIO_BLK_ID_BYTES);
    }
    conf.name = name;
    conf_from_opts(&conf, o, blk);
    apply_error_policy(o, blk);

    VirtIOBlock *s = virtio_blk_new(&conf, errp);
    g_free(name);
    if (!s) {
        return false;
    }
    VirtIODevice *vdev = virtio_blk_vdev(s);
    VirtIOPCIProxy *proxy = g_new0(VirtIOPCIProxy, 1);
    unsigned vectors = opts_get_number(o, "vectors", conf.num_queues + 1);
    /* class 0x0100: SCSI storage controller, as QEMU's virtio-blk-pci */
    if (!virtio_pci_realize(proxy, vdev, virtio_pci_opts_devfn(o), vectors,
                            0x010000, opts_get_bool(o, "page-per-vq", false),
                            errp)) {
        error_prepend(errp, "-device virtio-blk-pci: ");
        return false;
    }
    virtio_blk_set_devfn(s, proxy->pci.devfn);
    /* The path QEMU gives virtio-blk in bootorder, which SeaBIOS matches. */
    char *dev = pci_device_fw_path(&proxy->pci);
    char *path = g_strdup_printf("%s/disk@0,0", dev);
    char *owner = id ? g_strdup_printf("virtio-blk-pci %s", id) :
                  g_strdup_printf("virtio-blk-pci (drive %s)", drive);
    bool ok = boot_device_add(conf.bootindex, path, owner, errp);
    g_free(owner);
    g_free(path);
    g_free(dev);
    return ok;
}

static const TypeInfo virtio_blk_pci_info = {
    .kind = TYPE_KIND_DEVICE,
    .name = "virtio-blk-pci",
    .help = "virtio 1.x disk on PCI (drive=ID of a -drive or -blockdev)",
    .opts = virtio_blk_pci_desc,
    .check = virtio_blk_pci_check,
    .create = virtio_blk_pci_create,
};

/* QEMU's alias on a PC: -device virtio-blk is a virtio-blk-pci. */
static const TypeInfo virtio_blk_alias_info = {
    .kind = TYPE_KIND_DEVICE,
    .name = "virtio-blk",
    .help = "QEMU's alias for virtio-blk-pci",
    .opts = virtio_blk_pci_desc,
    .check = virtio_blk_pci_check,
    .create = virtio_blk_pci_create,
};

static void virtio_blk_register(void)
{
    type_register(&virtio_blk_pci_info);
    type_register(&virtio_blk_alias_info);
}
type_init(virtio_blk_register)
