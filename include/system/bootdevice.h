/*
 * The devices a user gave bootindex= to, in that order, as the firmware's
 * "bootorder" list of OpenFirmware-style device paths (SeaBIOS matches
 * them against the devices it finds).
 */
#ifndef VMU_SYSTEM_BOOTDEVICE_H
#define VMU_SYSTEM_BOOTDEVICE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "util/error.h"
#include "util/opts.h"

/* -1 (no bootindex) or 0..INT32_MAX: checked by the device's option. */
#define BOOTINDEX_NONE  (-1)

/* A -device's bootindex=: -1 (none, also when absent) or 0..2147483647. */
bool bootindex_get(const Opts *o, int32_t *out, Error **errp);

/*
 * owner names the device in errors ("virtio-net-pci nic0"); fw_path is
 * its path, such as /pci@i0cf8/ethernet@3/ethernet-phy@0.  Fails when
 * another device has the same bootindex.
 */
bool boot_device_add(int32_t bootindex, const char *fw_path,
                     const char *owner, Error **errp);
/* "path\npath\n...path" by bootindex (g_free), *len with its NUL; with
 * strict, a last line HALT (boot nothing else). */
char *boot_devices_list(bool strict, size_t *len);

#endif
