/*
 * -boot for the PC: the boot order in the CMOS bytes QEMU's pc uses,
 * the boot menu and its wait, how long SeaBIOS waits before it reboots
 * after a failed boot, and the bootorder list of the bootindex= devices
 * (fw_cfg files).
 */
#include <glib.h>
#include <stdlib.h>
#include <string.h>

#include "hw/i386/pc.h"
#include "hw/nvram/fw_cfg.h"
#include "hw/rtc/mc146818rtc.h"
#include "system/bootdevice.h"
#include "system/reset.h"
#include "util/opts.h"

#define FW_CFG_BOOT_MENU 0x0e

static struct {
    char order[4];          /* at most 3 drives, as the CMOS holds */
    char once[4];
    bool menu;
    int splash_time;        /* ms, -1: not given */
    int reboot_timeout;     /* ms, -1: never reboot */
    bool strict;            /* only the bootindex devices */
} boot = { "cad", "", false, -1, -1, false };

static const OptDesc boot_desc[] = {
    { "order", OPT_STRING, "drives to try: a (floppy), c (disk), d (CD), n (network)" },
    { "once", OPT_STRING, "drives for the first boot only" },
    { "menu", OPT_BOOL, "let the BIOS offer a boot menu" },
    { "splash", OPT_STRING, "not supported" },
    { "splash-time", OPT_NUMBER, "how long the menu waits, ms (0 to 65535)" },
    { "reboot-timeout", OPT_STRING, "ms before a failed boot reboots (-1 to 65535)" },
    { "strict", OPT_BOOL, "boot only from bootindex devices" },
    { 0 },
};

/* QEMU's drive letters a-p, each once; the PC knows a, b, c, d and n. */
static bool boot_drives_check(const Opts *o, const char *key,
                              const char *val, Error **errp)
{
    for (const char *p = val; *p; p++) {
        if (!strchr("abcdn", *p)) {
            opts_error(o, errp, "%s=%s: invalid boot device '%c' for a PC "
                       "(use a, c, d or n)", key, val, *p);
            return false;
        }
        if (strchr(p + 1, *p)) {
            opts_error(o, errp, "%s=%s: boot device '%c' is given twice",
                       key, val, *p);
            return false;
        }
    }
    if (strlen(val) > 3) {
        opts_error(o, errp, "%s=%s: a PC boots from at most 3 devices", key,
                   val);
        return false;
    }
    return true;
}

bool pc_boot_option_add(const char *text, Error **errp)
{
    Opts *o = opts_parse("-boot", text, "order", errp);
    bool ok = false;
    if (!o || !opts_validate(o, "-boot", boot_desc, NULL, errp)) {
        goto out;
    }
    const char *order = opts_get(o, "order");
    const char *once = opts_get(o, "once");
    if ((order && !boot_drives_check(o, "order", order, errp)) ||
        (once && !boot_drives_check(o, "once", once, errp))) {
        goto out;
    }
    if (opts_has(o, "splash")) {
        opts_error(o, errp, "splash= (a boot splash picture) is not "
                   "supported: vmu has no display");
        goto out;
    }
    uint64_t st = opts_get_number(o, "splash-time", 0);
    if (opts_has(o, "splash-time") && st > 0xffff) {
        opts_error(o, errp, "splash-time must be 0 to 65535 (ms)");
        goto out;
    }
    const char *rt = opts_get(o, "reboot-timeout");
    char *end = NULL;
    long long rtv = rt ? strtoll(rt, &end, 0) : -1;
    if (rt && (!*rt || *end || rtv < -1 || rtv > 0xffff)) {
        opts_error(o, errp, "reboot-timeout must be -1 (never) or 0 to "
                   "65535 (ms)");
        goto out;
    }
    if (order) {
        g_strlcpy(boot.order, order, sizeof(boot.order));
    }
    if (once) {
        g_strlcpy(boot.once, once, sizeof(boot.once));
    }
    boot.menu = opts_get_bool(o, "menu", boot.menu);
    boot.strict = opts_get_bool(o, "strict", boot.strict);
    if (opts_has(o, "splash-time")) {
        boot.splash_time = st;
    }
    if (rt) {
        boot.reboot_timeout = rtv;
    }
    ok = true;
out:
    opts_free(o);
    return ok;
}

/* CMOS 0x3d: 2nd and 1st device; 0x38: 3rd device, floppy check on. */
static void boot_cmos_set(const char *drives)
{
    uint8_t code[3] = { 0 };
    for (unsigned i = 0; i < 3 && drives[i]; i++) {
        const char *p = strchr("abcdn", drives[i]);
        static const uint8_t codes[] = { 1, 1, 2, 3, 4 };
        code[i] = codes[p - "abcdn"];
    }
    rtc_cmos_set(0x3d, code[1] << 4 | code[0]);
    rtc_cmos_set(0x38, code[2] << 4);
}

/* once= holds for the first boot; a reset goes back to order=. */
static void boot_reset(void *opaque)
{
    boot_cmos_set(boot.order);
}

void pc_boot_cmos(void)
{
    boot_cmos_set(boot.once[0] ? boot.once : boot.order);
    if (boot.once[0]) {
        reset_handler_add(boot_reset, NULL);
    }
}

bool pc_boot_fw_cfg(Error **errp)
{
    fw_cfg_add_i16(FW_CFG_BOOT_MENU, boot.menu);
    uint32_t wait = GUINT32_TO_LE((uint32_t)boot.reboot_timeout);
    if (!fw_cfg_add_file("etc/boot-fail-wait", g_memdup2(&wait, 4), 4,
                         errp)) {
        return false;
    }
    if (boot.splash_time >= 0) {
        uint16_t st = GUINT16_TO_LE(boot.splash_time);
        if (!fw_cfg_add_file("etc/boot-menu-wait", g_memdup2(&st, 2), 2,
                             errp)) {
            return false;
        }
    }
    return true;
}

bool pc_boot_order_fw_cfg(Error **errp)
{
    size_t len;
    char *list = boot_devices_list(boot.strict, &len);
    return fw_cfg_add_file("bootorder", list, len, errp);
}
