/*
 * The PC's BIOS when there is no -kernel: the image (SeaBIOS by default,
 * -bios FILE, looked up in -L DIR as QEMU does) mapped read-only so that it
 * ends at 4 GiB, its last 128 KiB also at 0xE0000-0xFFFFF on the ROM side
 * of the i440FX's PAM windows (hw/pci/pam.c), where real mode runs it
 * until the BIOS shadows itself into RAM.
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

/*
 * The guest cannot write the image (KVM_MEM_READONLY); where KVM cannot
 * map it read-only, a reset undoes what the guest wrote.
 */
static void pc_bios_reset(void *opaque)
{
    memcpy(bios_rom->ptr, bios_image, bios_size);
}

bool pc_bios_load(MachineState *ms, Error **errp)
{
    /* A ROM, not guest RAM: no vhost-user back-end maps it. */
    size_t isa = MIN(bios_size, PC_ISA_BIOS_SIZE);
    bios_rom = host_memory_backend_new(HOSTMEM_RAM, "pc.bios", bios_size);
    if (!host_memory_backend_alloc(bios_rom, errp) ||
        !memory_map_add_rom(PC_HIGHMEM_START - bios_size, bios_size,
                            bios_rom, 0, errp) ||
        !memory_map_add_rom(PC_ISA_BIOS_BASE + PC_ISA_BIOS_SIZE - isa, isa,
                            bios_rom, bios_size - isa, errp)) {
        return false;
    }
    bios_rom->used = true;
    pc_bios_reset(NULL);
    reset_handler_add(pc_bios_reset, NULL);
    x86_boot.mode = X86_BOOT_BIOS;
    return true;
}
