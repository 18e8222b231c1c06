/*
 * etc/table-loader run by vmu itself: with a direct kernel boot there is
 * no BIOS to do it, so vmu allocates each file in its zone, patches the
 * pointers and fixes the checksums in guest RAM, the way SeaBIOS does.
 * The commands are those of QEMU's BIOS linker/loader (128-byte entries:
 * ALLOCATE, ADD_POINTER, ADD_CHECKSUM); the script is acpi-build.c's.
 */
#include <glib.h>
#include <inttypes.h>
#include <string.h>

#include "hw/acpi/acpi.h"
#include "hw/nvram/fw_cfg.h"
#include "system/memory.h"
#include "util/trace.h"

#define LOADER_ENTRY_LEN    128
#define LOADER_ALLOCATE     1
#define LOADER_ADD_POINTER  2
#define LOADER_ADD_CHECKSUM 3

typedef struct LoaderBlob {
    char name[FW_CFG_MAX_FILE_PATH];
    uint8_t *data;              /* the copy that goes to guest RAM */
    size_t len;
    uint64_t addr;
} LoaderBlob;

typedef struct Loader {
    LoaderBlob blobs[8];
    unsigned n;
    uint64_t next[2];           /* HIGH, FSEG: where the next one goes */
    uint64_t end[2];
} Loader;

static uint32_t rd32(const uint8_t *p)
{
    return p[0] | p[1] << 8 | p[2] << 16 | (uint32_t)p[3] << 24;
}

static LoaderBlob *blob_find(Loader *l, const uint8_t *name, Error **errp)
{
    for (unsigned i = 0; i < l->n; i++) {
        if (!strncmp(l->blobs[i].name, (const char *)name,
                     FW_CFG_MAX_FILE_PATH)) {
            return &l->blobs[i];
        }
    }
    error_setg(errp, "the ACPI table loader names '%.*s' before allocating "
               "it", FW_CFG_MAX_FILE_PATH, name);
    return NULL;
}

static bool loader_allocate(Loader *l, const uint8_t *e, Error **errp)
{
    uint32_t align = rd32(e + 60);
    unsigned zone = e[64];
    size_t len;
    const uint8_t *src = fw_cfg_file_get((const char *)e + 4, &len);
    if (!src || l->n == G_N_ELEMENTS(l->blobs) ||
        (zone != ACPI_LOADER_ZONE_HIGH && zone != ACPI_LOADER_ZONE_FSEG) ||
        !align || (align & (align - 1))) {
        error_setg(errp, "the ACPI table loader cannot allocate '%.*s' "
                   "(zone %u, alignment %u)", FW_CFG_MAX_FILE_PATH, e + 4,
                   zone, align);
        return false;
    }
    unsigned z = zone == ACPI_LOADER_ZONE_FSEG;
    uint64_t addr = (l->next[z] + align - 1) & ~(uint64_t)(align - 1);
    if (addr + len > l->end[z]) {
        error_setg(errp, "the ACPI tables (%zu bytes of %.*s) do not fit the "
                   "area vmu keeps for them", len, FW_CFG_MAX_FILE_PATH,
                   e + 4);
        return false;
    }
    LoaderBlob *b = &l->blobs[l->n++];
    g_strlcpy(b->name, (const char *)e + 4, sizeof(b->name));
    b->data = g_memdup2(src, len);
    b->len = len;
    b->addr = addr;
    l->next[z] = addr + len;
    return true;
}

static bool loader_pointer(Loader *l, const uint8_t *e, Error **errp)
{
    LoaderBlob *dst = blob_find(l, e + 4, errp);
    LoaderBlob *src = dst ? blob_find(l, e + 60, errp) : NULL;
    uint32_t off = rd32(e + 116);
    unsigned size = e[120];
    if (!src) {
        return false;
    }
    if ((size != 1 && size != 2 && size != 4 && size != 8) ||
        off > dst->len || size > dst->len - off) {
        error_setg(errp, "the ACPI table loader patches %u bytes at %u of "
                   "'%s', outside it", size, off, dst->name);
        return false;
    }
    uint64_t v = 0;
    memcpy(&v, dst->data + off, size);
    v += src->addr;
    memcpy(dst->data + off, &v, size);
    return true;
}

static bool loader_checksum(Loader *l, const uint8_t *e, Error **errp)
{
    LoaderBlob *b = blob_find(l, e + 4, errp);
    uint32_t at = rd32(e + 60), start = rd32(e + 64), len = rd32(e + 68);
    if (!b) {
        return false;
    }
    if (at >= b->len || start > b->len || len > b->len - start) {
        error_setg(errp, "the ACPI table loader sums bytes outside '%s'",
                   b->name);
        return false;
    }
    uint8_t sum = 0;
    b->data[at] = 0;
    for (uint32_t i = 0; i < len; i++) {
        sum += b->data[start + i];
    }
    b->data[at] = -sum;
    return true;
}

bool acpi_loader_run(const AcpiLoaderZones *z, uint64_t *rsdp, Error **errp)
{
    size_t len;
    const uint8_t *script = fw_cfg_file_get(ACPI_LOADER_FILE, &len);
    Loader l = {
        .next = { z->high_base, z->fseg_base },
        .end = { z->high_base + z->high_size, z->fseg_base + z->fseg_size },
    };
    bool ok = script != NULL;
    if (!ok) {
        error_setg(errp, "there is no ACPI table loader script to run");
    }
    for (size_t off = 0; ok && off + LOADER_ENTRY_LEN <= len;
         off += LOADER_ENTRY_LEN) {
        const uint8_t *e = script + off;
        switch (rd32(e)) {
        case LOADER_ALLOCATE:
            ok = loader_allocate(&l, e, errp);
            break;
        case LOADER_ADD_POINTER:
            ok = loader_pointer(&l, e, errp);
            break;
        case LOADER_ADD_CHECKSUM:
            ok = loader_checksum(&l, e, errp);
            break;
        default:
            break;              /* as firmware: unknown commands skipped */
        }
    }
    *rsdp = 0;
    for (unsigned i = 0; i < l.n; i++) {
        if (ok) {
            memory_write(l.blobs[i].addr, l.blobs[i].data, l.blobs[i].len);
            trace(acpi_loader_place, "%s: %zu bytes at 0x%" PRIx64,
                  l.blobs[i].name, l.blobs[i].len, l.blobs[i].addr);
            if (!strcmp(l.blobs[i].name, ACPI_RSDP_FILE)) {
                *rsdp = l.blobs[i].addr;
            }
        }
        g_free(l.blobs[i].data);
    }
    return ok;
}
