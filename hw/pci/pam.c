/*
 * The i440FX PAM registers (datasheet 3.2.18): PAM0 (0x59) bits 5:4 for
 * 0xF0000-0xFFFFF; PAM1-PAM6 (0x5a-0x5f) two 16 KiB segments each for
 * 0xC0000-0xEFFFF, bits 1:0 the lower, 5:4 the upper.  Each segment is a
 * shadow window in the memory map, which turns a mode into KVM slots.
 */
#include <glib.h>
#include <inttypes.h>

#include "hw/pci/pam.h"
#include "system/memory.h"
#include "util/trace.h"

#define PAM_SEGMENTS    13      /* 0xF0000 (64 KiB), then 12 of 16 KiB */

static ShadowWindow windows[PAM_SEGMENTS];
static const char *const names[PAM_SEGMENTS] = {
    "pam-f0000", "pam-c0000", "pam-c4000", "pam-c8000", "pam-cc000",
    "pam-d0000", "pam-d4000", "pam-d8000", "pam-dc000", "pam-e0000",
    "pam-e4000", "pam-e8000", "pam-ec000",
};

static uint64_t segment_base(unsigned i)
{
    return i ? 0xc0000 + (i - 1) * 0x4000 : 0xf0000;
}

static uint64_t segment_size(unsigned i)
{
    return i ? 0x4000 : 0x10000;
}

/* The register and shift of segment i's two-bit field. */
static unsigned segment_reg(unsigned i)
{
    return i ? PAM_FIRST_REG + 1 + (i - 1) / 2 : PAM_FIRST_REG;
}

static unsigned segment_shift(unsigned i)
{
    return i && (i - 1) % 2 == 0 ? 0 : 4;
}

static void pam_update(PCIDevice *d)
{
    memory_map_begin();
    for (unsigned i = 0; i < PAM_SEGMENTS; i++) {
        unsigned mode = (d->config[segment_reg(i)] >> segment_shift(i)) & 3;
        ShadowWindow *w = &windows[i];
        if (w->read_ram == !!(mode & PAM_MODE_READ_RAM) &&
            w->write_ram == !!(mode & PAM_MODE_WRITE_RAM)) {
            continue;
        }
        trace(pam_segment_mode, "0x%" PRIx64 "-0x%" PRIx64 " mode %u",
              w->gpa, w->gpa + w->size - 1, mode);
        memory_shadow_set(w, mode & PAM_MODE_READ_RAM,
                          mode & PAM_MODE_WRITE_RAM);
    }
    memory_map_commit();
}

bool pam_init(PCIDevice *d, Error **errp)
{
    bool ok = true;
    memory_map_begin();
    for (unsigned i = 0; i < PAM_SEGMENTS && ok; i++) {
        ok = memory_shadow_add(&windows[i], names[i], segment_base(i),
                               segment_size(i), errp);
    }
    memory_map_commit();
    if (!ok) {
        return false;
    }
    /* Reserved bits (PAM0's low nibble, bits 3:2 and 7:6) read 0. */
    d->wmask[PAM_FIRST_REG] = 0x30;
    for (unsigned r = PAM_FIRST_REG + 1; r <= PAM_LAST_REG; r++) {
        d->wmask[r] = 0x33;
    }
    pam_set_all(d, PAM_MODE_ROM);
    return true;
}

void pam_config_write(PCIDevice *d, unsigned off, unsigned len)
{
    if (off <= PAM_LAST_REG && off + len > PAM_FIRST_REG) {
        trace(pam_write, "0x59-0x5f: %02x %02x %02x %02x %02x %02x %02x",
              d->config[0x59], d->config[0x5a], d->config[0x5b],
              d->config[0x5c], d->config[0x5d], d->config[0x5e],
              d->config[0x5f]);
        pam_update(d);
    }
}

void pam_set_all(PCIDevice *d, unsigned mode)
{
    for (unsigned r = PAM_FIRST_REG; r <= PAM_LAST_REG; r++) {
        d->config[r] = (mode | mode << 4) & d->wmask[r];
    }
    pam_update(d);
}
