/*
 * The PC's BIOS when there is no -kernel: the image (SeaBIOS by default,
 * -bios FILE, looked up in -L DIR as QEMU does) mapped so that it ends at
 * 4 GiB, its last 128 KiB also at 0xE0000-0xFFFFF where real mode runs it.
 */
#include <glib.h>
#include <string.h>

#include "hw/i386/boot.h"
#include "hw/i386/pc.h"
#include "system/hostmem.h"
#include "system/reset.h"
#include "util/file.h"

#define PC_BIOS_DEFAULT     "bios-256k.bin"
#define PC_BIOS_DEFAULT_DIR "/usr/share/seabios"
#define PC_BIOS_MAX         (16 << 20)
#define PC_ISA_BIOS_BASE    0xe0000
#define PC_ISA_BIOS_SIZE    0x20000

static uint8_t *bios_image;
static size_t bios_size;
static HostMemoryBackend *bios_rom;

/* -bios NAME: a path with a '/', else a name in -L DIR or SeaBIOS's. */
static char *pc_bios_path(const MachineState *ms)
{
    const char *name = ms->bios ? ms->bios : PC_BIOS_DEFAULT;
    if (strchr(name, '/')) {
        return g_strdup(name);
    }
    if (ms->bios_dir) {
        char *p = g_build_filename(ms->bios_dir, name, NULL);
        if (g_file_test(p, G_FILE_TEST_EXISTS)) {
            return p;
        }
        g_free(p);
    }
    return g_build_filename(PC_BIOS_DEFAULT_DIR, name, NULL);
}

bool pc_bios_check(MachineState *ms, Error **errp)
{
    char *path = pc_bios_path(ms);
    uint8_t *data;
    size_t len;
    bool ok = false;
    if (!file_read_all("the BIOS", path, PC_BIOS_MAX, &data, &len, errp)) {
        if (!ms->bios) {
            error_append_hint(errp, "install Debian's seabios package, or "
                              "give -kernel");
        }
        goto out;
    }
    /* As QEMU: whole 64 KiB blocks, so the reset vector is at its end. */
    if (!len || len % 0x10000) {
        error_setg(errp, "BIOS %s is %zu bytes: it must be a non-zero "
                   "multiple of 64 KiB, at most 16 MiB", path, len);
        g_free(data);
        goto out;
    }
    bios_image = data;
    bios_size = len;
    ok = true;
out:
    g_free(path);
    return ok;
}

/* The low copy, as after power-on (a reset undoes what the BIOS wrote). */
static void pc_bios_reset(void *opaque)
{
    size_t isa = MIN(bios_size, PC_ISA_BIOS_SIZE);
    memcpy(bios_rom->ptr, bios_image, bios_size);
    memory_write(0x100000 - isa, bios_image + bios_size - isa, isa);
}

bool pc_bios_load(MachineState *ms, Error **errp)
{
    /* Shared like plain -m RAM, so a vhost-user back-end can map it too. */
    bios_rom = host_memory_backend_new(HOSTMEM_MEMFD, "pc.bios", bios_size);
    bios_rom->share = true;
    if (!host_memory_backend_alloc(bios_rom, errp) ||
        !memory_map_add_ram(PC_HIGHMEM_START - bios_size, bios_size,
                            bios_rom, 0, errp)) {
        return false;
    }
    bios_rom->used = true;
    /*
     * Below 1 MiB the shadow is guest RAM from the start: SeaBIOS's PAM
     * writes (make it writable, copy itself from the top of 4 GiB, make
     * it read-only) then find what they expect.
     */
    pc_bios_reset(NULL);
    reset_handler_add(pc_bios_reset, NULL);
    x86_boot.mode = X86_BOOT_BIOS;
    return true;
}
