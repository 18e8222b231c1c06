/*
 * QEMU options a headless VMM accepts or refuses (with reasons), -global,
 * and the firmware options (-rtc, -uuid, -smbios, -no-acpi) kept for later.
 */
#ifndef VMU_SYSTEM_COMPAT_OPTIONS_H
#define VMU_SYSTEM_COMPAT_OPTIONS_H

#include <glib.h>
#include <stdbool.h>
#include <stdint.h>

#include "util/opts.h"

/*
 * What -rtc, -uuid, -smbios and -no-acpi asked for, checked, for the
 * firmware (fw_cfg, SMBIOS, ACPI) to read (-boot is the firmware's own).  Strings point into argv
 * or into Opts kept until exit.
 */
typedef struct FirmwareOptions {
    bool has_uuid;
    uint8_t uuid[16];           /* in the order written (big-endian) */
    const char *rtc_base;       /* "utc", "localtime" or a date; NULL */
    const char *rtc_clock;      /* "host", "rt", "vm"; NULL */
    const char *rtc_driftfix;   /* "none", "slew"; NULL */
    bool no_acpi;
    GPtrArray *smbios;          /* every -smbios (const Opts *), in order */
} FirmwareOptions;

const FirmwareOptions *firmware_options(void);

/*
 * An option of the "Accepted for compatibility" section of options.def
 * (and -display, -vga): check its argument (val is NULL for options that
 * take none) and warn about what is ignored.  False: a bad value.
 */
bool compat_option(const char *name, const char *val, Error **errp);

/*
 * A QEMU option vmu does not implement: true, with *errp saying why and
 * what to use instead, and *takes_arg whether it takes an argument.
 */
bool compat_unimplemented(const char *name, bool *takes_arg, Error **errp);

/*
 * A -device of a driver vmu does not have: 1 when it is ignored (with a
 * warning), -1 with *errp when it is refused, 0 for everything else.
 */
int compat_device(const Opts *opts, Error **errp);
/* The same for a -chardev backend (SPICE channels are refused). */
int compat_chardev(const Opts *opts, Error **errp);
/* The same for an -object (rng-* and iothread are ignored). */
int compat_object(const Opts *opts, Error **errp);

/* -machine's compatibility keys (vmport=, smm=, hpet=, acpi=, ...). */
bool compat_machine(const Opts *machine, Error **errp);

/*
 * After every -device (and -net/-nic NIC) is known: give each -global
 * DRIVER.PROP=VALUE to every device of DRIVER that does not set PROP.
 */
void compat_globals_apply(void);

#endif
