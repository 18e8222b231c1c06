/*
 * fw_cfg: the items firmware (SeaBIOS) reads from the machine, by byte
 * through the data port or in one go through the DMA interface, laid out
 * as QEMU's docs/specs/fw_cfg.rst documents.  One instance, at 0x510.
 */
#include <glib.h>
#include <inttypes.h>
#include <string.h>

#include "hw/nvram/fw_cfg.h"
#include "system/memory.h"
#include "util/file.h"
#include "util/opts.h"
#include "util/trace.h"

typedef struct FWCfgItem {
    uint8_t *data;
    uint32_t len;
} FWCfgItem;

typedef struct FWCfgFile {
    char name[FW_CFG_MAX_FILE_PATH];
    FWCfgItem item;
} FWCfgFile;

/* What -fw_cfg file= may hold (QEMU sets no limit; /dev/zero must end). */
#define FW_CFG_USER_FILE_MAX (256u << 20)

/* A -fw_cfg option, checked and read in phase 1. */
typedef struct FWCfgUserFile {
    char *name;
    uint8_t *data;
    size_t len;
} FWCfgUserFile;

static struct {
    FWCfgItem items[FW_CFG_FILE_FIRST];
    GPtrArray *files;           /* FWCfgFile *, sorted by name */
    uint16_t cur_key;
    uint32_t cur_offset;
    uint64_t dma_addr;          /* high half written, low half pending */
    IORegion io, dma;
} fw_cfg;

static GPtrArray *user_files;

static FWCfgItem *fw_cfg_item(uint16_t key)
{
    if (key < FW_CFG_FILE_FIRST) {
        return &fw_cfg.items[key];
    }
    unsigned i = key - FW_CFG_FILE_FIRST;
    if (fw_cfg.files && i < fw_cfg.files->len) {
        return &((FWCfgFile *)g_ptr_array_index(fw_cfg.files, i))->item;
    }
    return NULL;
}

void fw_cfg_add_bytes(uint16_t key, void *data, size_t len)
{
    g_assert(key < FW_CFG_FILE_FIRST && len <= UINT32_MAX);
    g_free(fw_cfg.items[key].data);
    fw_cfg.items[key] = (FWCfgItem){ data, len };
}

void fw_cfg_add_i16(uint16_t key, uint16_t value)
{
    uint16_t le = GUINT16_TO_LE(value);
    fw_cfg_add_bytes(key, g_memdup2(&le, sizeof(le)), sizeof(le));
}

void fw_cfg_add_i32(uint16_t key, uint32_t value)
{
    uint32_t le = GUINT32_TO_LE(value);
    fw_cfg_add_bytes(key, g_memdup2(&le, sizeof(le)), sizeof(le));
}

void fw_cfg_add_i64(uint16_t key, uint64_t value)
{
    uint64_t le = GUINT64_TO_LE(value);
    fw_cfg_add_bytes(key, g_memdup2(&le, sizeof(le)), sizeof(le));
}

static gint file_cmp(gconstpointer a, gconstpointer b)
{
    const FWCfgFile *fa = *(FWCfgFile *const *)a;
    const FWCfgFile *fb = *(FWCfgFile *const *)b;
    return strcmp(fa->name, fb->name);
}

/* The directory: big-endian count, then size, select, reserved, name. */
static void fw_cfg_rebuild_dir(void)
{
    unsigned n = fw_cfg.files->len;
    size_t len = 4 + n * 64;
    uint8_t *dir = g_malloc0(len);
    uint32_t count = GUINT32_TO_BE(n);
    memcpy(dir, &count, 4);
    for (unsigned i = 0; i < n; i++) {
        const FWCfgFile *f = g_ptr_array_index(fw_cfg.files, i);
        uint8_t *e = dir + 4 + i * 64;
        uint32_t size = GUINT32_TO_BE(f->item.len);
        uint16_t select = GUINT16_TO_BE(FW_CFG_FILE_FIRST + i);
        memcpy(e, &size, 4);
        memcpy(e + 4, &select, 2);
        memcpy(e + 8, f->name, FW_CFG_MAX_FILE_PATH);
    }
    fw_cfg_add_bytes(FW_CFG_FILE_DIR, dir, len);
}

static bool fw_cfg_name_check(const char *name, Error **errp)
{
    if (!*name) {
        error_setg(errp, "give the item a name: name=opt/...");
        return false;
    }
    if (strlen(name) >= FW_CFG_MAX_FILE_PATH) {
        error_setg(errp, "name '%s' is too long: at most %d characters",
                   name, FW_CFG_MAX_FILE_PATH - 1);
        return false;
    }
    return true;
}

bool fw_cfg_add_file(const char *name, void *data, size_t len, Error **errp)
{
    if (!fw_cfg_name_check(name, errp)) {
        return false;
    }
    if (len > UINT32_MAX) {
        error_setg(errp, "fw_cfg file '%s' is too large: at most 4 GiB",
                   name);
        return false;
    }
    if (!fw_cfg.files) {
        fw_cfg.files = g_ptr_array_new();
    }
    for (unsigned i = 0; i < fw_cfg.files->len; i++) {
        FWCfgFile *f = g_ptr_array_index(fw_cfg.files, i);
        if (!strcmp(f->name, name)) {
            error_setg(errp, "there is a fw_cfg file '%s' already; use "
                       "another name (opt/...)", name);
            return false;
        }
    }
    FWCfgFile *f = g_new0(FWCfgFile, 1);
    g_strlcpy(f->name, name, sizeof(f->name));
    f->item = (FWCfgItem){ data, len };
    g_ptr_array_add(fw_cfg.files, f);
    /* Selectors follow name order, as the guest's directory lists them. */
    g_ptr_array_sort(fw_cfg.files, file_cmp);
    fw_cfg_rebuild_dir();
    return true;
}

const uint8_t *fw_cfg_file_get(const char *name, size_t *len)
{
    for (unsigned i = 0; fw_cfg.files && i < fw_cfg.files->len; i++) {
        FWCfgFile *f = g_ptr_array_index(fw_cfg.files, i);
        if (!strcmp(f->name, name)) {
            *len = f->item.len;
            return f->item.data;
        }
    }
    return NULL;
}

static const OptDesc fw_cfg_desc[] = {
    { "name", OPT_STRING, "the file's name, opt/..." },
    { "file", OPT_STRING, "a host file with the contents" },
    { "string", OPT_STRING, "the contents as text" },
    { "gen_id", OPT_STRING, "not supported" },
    { 0 },
};

bool fw_cfg_option_add(const char *text, Error **errp)
{
    Opts *o = opts_parse("-fw_cfg", text, "name", errp);
    bool ok = false;
    if (!o || !opts_validate(o, "-fw_cfg", fw_cfg_desc, NULL, errp)) {
        goto out;
    }
    const char *name = opts_get(o, "name");
    const char *file = opts_get(o, "file");
    const char *str = opts_get(o, "string");
    if (opts_has(o, "gen_id")) {
        opts_error(o, errp, "gen_id= (VM generation ID) is not supported "
                   "yet; use file= or string=");
        goto out;
    }
    if (!fw_cfg_name_check(name ? name : "", errp)) {
        error_prepend(errp, "-fw_cfg %s: ", text);
        goto out;
    }
    if (!file == !str) {
        opts_error(o, errp, "give exactly one of file=PATH and string=TEXT");
        goto out;
    }
    for (unsigned i = 0; user_files && i < user_files->len; i++) {
        FWCfgUserFile *u = g_ptr_array_index(user_files, i);
        if (!strcmp(u->name, name)) {
            opts_error(o, errp, "name '%s' is given twice", name);
            goto out;
        }
    }
    FWCfgUserFile u = { g_strdup(name), NULL, 0 };
    if (file) {
        Error *err = NULL;
        if (!file_read_all("file", file, FW_CFG_USER_FILE_MAX, &u.data,
                           &u.len, &err)) {
            opts_error(o, errp, "%s", error_get_pretty(err));
            error_free(err);
            g_free(u.name);
            goto out;
        }
    } else {
        /* As QEMU: the text without a terminating NUL. */
        u.len = strlen(str);
        u.data = g_memdup2(str, u.len);
    }
    if (!g_str_has_prefix(name, "opt/")) {
        warn_report("-fw_cfg name=%s: externally provided fw_cfg item "
                    "names should start with \"opt/\"", name);
    }
    if (!user_files) {
        user_files = g_ptr_array_new();
    }
    g_ptr_array_add(user_files, g_memdup2(&u, sizeof(u)));
    ok = true;
out:
    opts_free(o);
    return ok;
}

static uint8_t fw_cfg_read_byte(void)
{
    FWCfgItem *it = fw_cfg_item(fw_cfg.cur_key);
    if (!it || fw_cfg.cur_offset >= it->len) {
        return 0;
    }
    return it->data[fw_cfg.cur_offset++];
}

static void fw_cfg_select(uint16_t key)
{
    fw_cfg.cur_key = key;
    fw_cfg.cur_offset = 0;
    trace(fw_cfg_select, "key 0x%x", key);
}

/* 0x510: 16-bit writes select, byte reads at either port read data. */
static uint64_t fw_cfg_io_read(void *opaque, uint64_t offset, unsigned size)
{
    return size == 1 ? fw_cfg_read_byte() : 0;
}

static void fw_cfg_io_write(void *opaque, uint64_t offset, uint64_t value,
                            unsigned size)
{
    if (size == 2 && offset == 0) {
        fw_cfg_select(value);
    }
    /* Byte writes to the data port: writable items are not modelled. */
}

static const MemoryRegionOps fw_cfg_io_ops = {
    .read = fw_cfg_io_read,
    .write = fw_cfg_io_write,
};

/*
 * One FWCfgDmaAccess at gpa: control, length (big-endian 32-bit), address
 * (big-endian 64-bit).  The target must lie in guest RAM; anything else,
 * and writes (no item is writable), end with the ERROR bit.
 */
static void fw_cfg_dma_transfer(uint64_t gpa)
{
    uint8_t req[16];
    if (!gpa_to_hva(gpa, sizeof(req))) {
        trace(fw_cfg_dma_bad, "access struct at 0x%" PRIx64 " is not in RAM",
              gpa);
        return;
    }
    memory_read(gpa, req, sizeof(req));
    uint32_t control, length;
    uint64_t addr;
    memcpy(&control, req, 4);
    memcpy(&length, req + 4, 4);
    memcpy(&addr, req + 8, 8);
    control = GUINT32_FROM_BE(control);
    length = GUINT32_FROM_BE(length);
    addr = GUINT64_FROM_BE(addr);
    trace(fw_cfg_dma, "control 0x%x length %u address 0x%"
          PRIx64, control, length, addr);

    bool error = false;
    if (control & FW_CFG_DMA_CTL_SELECT) {
        fw_cfg_select(control >> 16);
    }
    FWCfgItem *it = fw_cfg_item(fw_cfg.cur_key);
    uint32_t avail = it && fw_cfg.cur_offset < it->len ?
                     it->len - fw_cfg.cur_offset : 0;
    uint32_t n = MIN(length, avail);
    if (control & FW_CFG_DMA_CTL_WRITE) {
        error = true;
    } else if (control & FW_CFG_DMA_CTL_READ) {
        uint8_t *dst = length ? gpa_to_hva(addr, length) : NULL;
        if (length && (!dst || addr + length < addr)) {
            error = true;
        } else {
            /* Past the item's end the guest reads zeros. */
            if (n) {
                memcpy(dst, it->data + fw_cfg.cur_offset, n);
            }
            if (length > n) {
                memset(dst + n, 0, length - n);
            }
            fw_cfg.cur_offset += n;
        }
    } else if (control & FW_CFG_DMA_CTL_SKIP) {
        fw_cfg.cur_offset += n;
    }
    uint32_t done = GUINT32_TO_BE(error ? FW_CFG_DMA_CTL_ERROR : 0);
    memory_write(gpa, &done, sizeof(done));
}

/* 0x514: the address, big-endian; writing its low half starts it. */
static uint64_t fw_cfg_dma_read(void *opaque, uint64_t offset, unsigned size)
{
    static const char sig[8] = "QEMU CFG";
    uint64_t v = 0;
    if (offset + size <= sizeof(sig)) {
        memcpy(&v, sig + offset, size);
    }
    return GUINT64_FROM_LE(v);
}

static void fw_cfg_dma_write(void *opaque, uint64_t offset, uint64_t value,
                             unsigned size)
{
    if (size == 8 && offset == 0) {
        fw_cfg_dma_transfer(GUINT64_FROM_BE(value));
    } else if (size == 4 && offset == 0) {
        fw_cfg.dma_addr = (uint64_t)GUINT32_FROM_BE(value) << 32;
    } else if (size == 4 && offset == 4) {
        uint64_t gpa = fw_cfg.dma_addr | GUINT32_FROM_BE(value);
        fw_cfg.dma_addr = 0;
        fw_cfg_dma_transfer(gpa);
    }
}

static const MemoryRegionOps fw_cfg_dma_ops = {
    .read = fw_cfg_dma_read,
    .write = fw_cfg_dma_write,
};

bool fw_cfg_init_io(Error **errp)
{
    fw_cfg_add_bytes(FW_CFG_SIGNATURE, g_memdup2("QEMU", 4), 4);
    fw_cfg_add_i32(FW_CFG_ID, 0x3);     /* traditional interface + DMA */
    if (!fw_cfg.files) {
        fw_cfg.files = g_ptr_array_new();
        fw_cfg_rebuild_dir();
    }
    for (unsigned i = 0; user_files && i < user_files->len; i++) {
        FWCfgUserFile *u = g_ptr_array_index(user_files, i);
        if (!fw_cfg_add_file(u->name, u->data, u->len, errp)) {
            error_prepend(errp, "-fw_cfg name=%s: ", u->name);
            return false;
        }
        u->data = NULL;
    }
    fw_cfg_select(FW_CFG_INVALID);
    io_region_init(&fw_cfg.io, "fw_cfg", AS_IO, 2, &fw_cfg_io_ops, NULL);
    io_region_init(&fw_cfg.dma, "fw_cfg-dma", AS_IO, 8, &fw_cfg_dma_ops,
                   NULL);
    return io_region_map(&fw_cfg.io, FW_CFG_IO_BASE, errp) &&
           io_region_map(&fw_cfg.dma, FW_CFG_DMA_IO_BASE, errp);
}
