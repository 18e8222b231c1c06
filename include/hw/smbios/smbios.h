/*
 * SMBIOS (DMTF DSP0134): the tables that tell a guest (dmidecode, udev's
 * DMI matches, cloud-init, systemd-detect-virt) who made the machine, its
 * UUID, its processors and memory.  The -smbios fields are QEMU's.
 */
#ifndef VMU_HW_SMBIOS_SMBIOS_H
#define VMU_HW_SMBIOS_SMBIOS_H

#include <glib.h>
#include <stdbool.h>
#include <stdint.h>

#include "util/error.h"
#include "util/opts.h"

#define SMBIOS_ANCHOR_LEN   31      /* the 2.1 (32-bit) entry point */

/* Phase 1: check one -smbios argument (type=N and its fields, or file=). */
bool smbios_check_opts(const Opts *o, Error **errp);

typedef struct SmbiosMachine {
    unsigned cpus;
    uint64_t below_4g, above_4g;    /* RAM at 0 and at 4 GiB, bytes */
    const uint8_t *uuid;            /* -uuid, big-endian as written; NULL */
    const GPtrArray *opts;          /* every -smbios (const Opts *); NULL */
} SmbiosMachine;

/*
 * Build the structure table into tables and the entry point into anchor,
 * with the table's address left 0 (the firmware or smbios_place fills it).
 */
bool smbios_build(const SmbiosMachine *m, GByteArray *tables,
                  uint8_t anchor[SMBIOS_ANCHOR_LEN], Error **errp);
/* Point anchor at addr and fix its two checksums. */
void smbios_anchor_set_address(uint8_t anchor[SMBIOS_ANCHOR_LEN],
                               uint32_t addr);

/* SeaBIOS's way in: etc/smbios/smbios-tables and etc/smbios/smbios-anchor. */
bool smbios_fw_cfg(const SmbiosMachine *m, Error **errp);

#endif
