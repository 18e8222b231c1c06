/*
 * QEMU options in the field beyond what vmu implements: accepted (with a
 * warning naming what is lost), or refused with a reason and an alternative.
 */
#include <glib.h>
#include <stdio.h>
#include <string.h>

#include "system/compat-options.h"
#include "system/options.h"
#include "system/registry.h"
#include "util/error.h"

static FirmwareOptions fw;

const FirmwareOptions *firmware_options(void)
{
    return &fw;
}

/* Parsed options stay reachable until exit: the firmware reads them. */
static Opts *parse_kept(const char *option, const char *text,
                        const char *implied, Error **errp)
{
    static GPtrArray *kept;
    Opts *o = opts_parse(option, text, implied, errp);
    if (o) {
        if (!kept) {
            kept = g_ptr_array_new();
        }
        g_ptr_array_add(kept, o);
    }
    return o;
}

static bool is_on(const Opts *o, const char *key)
{
    return opts_get_bool(o, key, false);
}

/* Parse and validate; NULL with *errp on a bad key or value. */
static Opts *parse_checked(const char *option, const char *val,
                           const char *implied, const OptDesc *desc,
                           Error **errp)
{
    Opts *o = parse_kept(option, val, implied, errp);
    if (o && !opts_validate(o, option, desc, NULL, errp)) {
        return NULL;
    }
    return o;
}

/* One of the listed words, or an error listing them. */
static bool check_word(const Opts *o, const char *key, const char *const *ok,
                       Error **errp)
{
    const char *v = opts_get(o, key);
    if (!v) {
        return true;
    }
    for (unsigned i = 0; ok[i]; i++) {
        if (!strcmp(v, ok[i])) {
            return true;
        }
    }
    char *list = g_strjoinv(", ", (char **)ok);
    opts_error(o, errp, "%s=%s: allowed values are %s", key, v, list);
    g_free(list);
    return false;
}

static bool parse_uuid(const char *s, uint8_t out[16])
{
    static const int dash[] = { 8, 13, 18, 23 };
    if (strlen(s) != 36) {
        return false;
    }
    unsigned n = 0;
    for (int i = 0; i < 36; i++) {
        bool want_dash = i == dash[0] || i == dash[1] || i == dash[2] ||
                         i == dash[3];
        if (want_dash) {
            if (s[i] != '-') {
                return false;
            }
            continue;
        }
        if (!g_ascii_isxdigit(s[i]) || !g_ascii_isxdigit(s[i + 1])) {
            return false;
        }
        out[n++] = g_ascii_xdigit_value(s[i]) << 4 |
                   g_ascii_xdigit_value(s[i + 1]);
        i++;
    }
    return true;
}

static bool rtc_option(const char *val, Error **errp)
{
    static const OptDesc desc[] = {
        { "base", OPT_STRING, "utc, localtime or a start date" },
        { "clock", OPT_STRING, "host, rt or vm" },
        { "driftfix", OPT_STRING, "none or slew" },
        { 0 },
    };
    static const char *const clocks[] = { "host", "rt", "vm", NULL };
    static const char *const fixes[] = { "none", "slew", NULL };
    Opts *o = parse_checked("-rtc", val, NULL, desc, errp);
    if (!o || !check_word(o, "clock", clocks, errp) ||
        !check_word(o, "driftfix", fixes, errp)) {
        return false;
    }
    const char *base = opts_get(o, "base");
    if (base && strcmp(base, "utc") && strcmp(base, "localtime")) {
        /* QEMU's start date: YYYY-MM-DD or YYYY-MM-DDTHH:MM:SS */
        int y, mo, d, h = 0, mi = 0, s = 0;
        char end;
        int n = sscanf(base, "%4d-%2d-%2dT%2d:%2d:%2d%c", &y, &mo, &d, &h,
                       &mi, &s, &end);
        if (!(n == 3 || n == 6) || mo < 1 || mo > 12 || d < 1 || d > 31 ||
            h > 23 || mi > 59 || s > 59 ||
            (n == 3 && strlen(base) != 10)) {
            opts_error(o, errp, "base=%s: write utc, localtime, "
                       "YYYY-MM-DD or YYYY-MM-DDTHH:MM:SS", base);
            return false;
        }
    }
    fw.rtc_base = base;
    fw.rtc_clock = opts_get(o, "clock");
    fw.rtc_driftfix = opts_get(o, "driftfix");
    /* The CMOS clock (hw/rtc/mc146818.c) runs on host UTC, as
     * base=utc,clock=host asks; anything else is not applied yet. */
    const char *clock = opts_get(o, "clock");
    const char *fix = opts_get(o, "driftfix");
    if ((base && strcmp(base, "utc")) || (clock && strcmp(clock, "host")) ||
        (fix && strcmp(fix, "none"))) {
        warn_report("-rtc %s: not applied yet: vmu's CMOS clock follows the "
                    "host's UTC time (base=utc,clock=host)", val);
    }
    return true;
}

static bool smbios_option(const char *val, Error **errp)
{
    static const unsigned types[] = { 0, 1, 2, 3, 4, 8, 11, 17, 41 };
    Opts *o = parse_kept("-smbios", val, NULL, errp);
    if (!o) {
        return false;
    }
    if (opts_has(o, "file")) {
        if (opts_has(o, "type")) {
            opts_error(o, errp, "give either file=PATH or type=N, not both");
            return false;
        }
    } else {
        uint64_t t;
        const char *v = opts_get(o, "type");
        bool known = false;
        if (v && parse_uint(v, &t)) {
            for (unsigned i = 0; i < G_N_ELEMENTS(types); i++) {
                known |= types[i] == t;
            }
        }
        if (!known) {
            opts_error(o, errp, "give file=PATH or type=N with N one of 0, "
                       "1, 2, 3, 4, 8, 11, 17, 41");
            return false;
        }
    }
    if (!fw.smbios) {
        fw.smbios = g_ptr_array_new();
    }
    g_ptr_array_add(fw.smbios, o);
    warn_report("-smbios %s: no effect yet: vmu gives the guest no SMBIOS "
                "tables", val);
    return true;
}

/* -global DRIVER.PROP=VALUE or driver=,property=,value=; by arrival. */
typedef struct Global {
    char *driver;
    Opts *prop;     /* one entry, PROP=VALUE; text is the -global text */
} Global;
static GPtrArray *globals;

static bool global_option(const char *val, Error **errp)
{
    Opts *o = parse_kept("-global", val, NULL, errp);
    if (!o) {
        return false;
    }
    char *driver = NULL, *prop = NULL;
    const char *value = NULL;
    if (opts_has(o, "driver") || opts_has(o, "property")) {
        static const OptDesc desc[] = {
            { "driver", OPT_STRING, "device type" },
            { "property", OPT_STRING, "property name" },
            { "value", OPT_STRING, "value" },
            { 0 },
        };
        if (!opts_validate(o, "-global", desc, NULL, errp)) {
            return false;
        }
        driver = g_strdup(opts_get(o, "driver"));
        prop = g_strdup(opts_get(o, "property"));
        value = opts_get(o, "value");
    } else if (o->n_entries == 1 && o->entries[0].value &&
               strchr(o->entries[0].key, '.')) {
        const char *key = o->entries[0].key;
        const char *dot = strrchr(key, '.');
        driver = g_strndup(key, dot - key);
        prop = g_strdup(dot + 1);
        value = o->entries[0].value;
    }
    if (!driver || !*driver || !prop || !*prop || !value) {
        opts_error(o, errp, "write DRIVER.PROPERTY=VALUE (or driver=,"
                   "property=,value=), e.g. virtio-net-pci.mrg_rxbuf=off");
        g_free(driver);
        g_free(prop);
        return false;
    }

    const TypeInfo *ti = type_lookup(TYPE_KIND_DEVICE, driver);
    if (!ti) {
        /* No such device can exist in a vmu guest: nothing changes. */
        if (!strcmp(driver, "kvm-pit") &&
            !strcmp(prop, "lost_tick_policy")) {
            /* KVM's in-kernel PIT re-injects lost ticks: that is delay. */
            if (strcmp(value, "delay")) {
                warn_report("-global %s: ignored: KVM's in-kernel PIT "
                            "always re-injects lost ticks (delay)", val);
            }
        } else if (!strcmp(driver, "PIIX4_PM")) {
            /* hw/acpi/piix4.c offers S5 only: libvirt's disable_s3=1 and
             * disable_s4=1 say what is so already. */
            bool b = !strcmp(value, "1");   /* QEMU's are uint8 0/1 */
            if ((strcmp(prop, "disable_s3") && strcmp(prop, "disable_s4")) ||
                (!b && !parse_bool(value, &b)) || !b) {
                warn_report("-global %s: ignored: vmu's PIIX4_PM has no "
                            "properties; it offers only S5 (soft off)", val);
            }
        } else {
            warn_report("-global %s: ignored: vmu has no %s device", val,
                        driver);
        }
        g_free(driver);
        g_free(prop);
        return true;
    }
    /* A device the guest sees: the property must be one vmu honours. */
    Opts *p = g_new0(Opts, 1);
    p->option = g_strdup("-global");
    p->text = g_strdup(val);
    p->n_entries = 1;
    p->entries = g_new0(OptEntry, 1);
    p->entries[0].key = prop;
    p->entries[0].value = g_strdup(value);
    char *what = g_strdup_printf("device type '%s'", driver);
    bool ok = opts_validate(p, what, ti->opts, NULL, errp);
    g_free(what);
    if (!ok) {
        opts_free(p);
        g_free(driver);
        return false;
    }
    if (!globals) {
        globals = g_ptr_array_new();
    }
    Global *g = g_new0(Global, 1);
    g->driver = driver;
    g->prop = p;
    g_ptr_array_add(globals, g);
    return true;
}

void compat_globals_apply(void)
{
    GPtrArray *devs = options_lists()[TYPE_KIND_DEVICE];
    const char *key = options_type_keys()[TYPE_KIND_DEVICE];
    for (unsigned i = 0; globals && i < globals->len; i++) {
        const Global *g = g_ptr_array_index(globals, i);
        const OptEntry *ge = &g->prop->entries[0];
        for (unsigned d = 0; d < devs->len; d++) {
            Opts *o = g_ptr_array_index(devs, d);
            const char *drv = opts_get(o, key);
            if (!drv || strcmp(drv, g->driver)) {
                continue;
            }
            /* In front: opts_get takes the last, so the device's own wins. */
            o->entries = g_renew(OptEntry, o->entries, o->n_entries + 1);
            memmove(o->entries + 1, o->entries,
                    o->n_entries * sizeof(OptEntry));
            o->entries[0].key = g_strdup(ge->key);
            o->entries[0].value = g_strdup(ge->value);
            o->n_entries++;
        }
    }
}

typedef struct Word {
    const char *word;
    const char *warning;    /* NULL: honoured as asked, no warning */
} Word;

/* The warning for val's first word, from a table ending with a NULL word
 * whose text covers every other value. */
static void warn_word(const char *option, const char *val, const Word *t)
{
    size_t n = strcspn(val, ",=");
    for (; t->word; t++) {
        if (strlen(t->word) == n && !strncmp(val, t->word, n)) {
            break;
        }
    }
    if (t->warning) {
        warn_report("%s %s: %s", option, val, t->warning);
    }
}

static const Word display_words[] = {
    { "none", NULL },
    { "egl-headless", "ignored: vmu has no display to render" },
    { "vnc", "ignored: vmu has no display, so no VNC server is started; "
      "the guest's console is its serial port (-nographic or -serial)" },
    { "curses", "ignored: vmu has no VGA text console; use -nographic for "
      "the guest's serial console on this terminal" },
    { NULL, "ignored: vmu has no display, so no window opens; the guest's "
      "console is its serial port (-nographic puts it on this terminal)" },
};

static const Word vga_words[] = {
    { "none", NULL },
    { NULL, "ignored: vmu has no display adapter; the guest sees none "
      "(use its serial console)" },
};

static const Word balloon_words[] = {
    { "none", NULL },
    { NULL, "ignored: vmu has no memory balloon; the guest's memory cannot "
      "be reclaimed or resized" },
};

static const Word audiodev_words[] = {
    { "none", NULL },
    { NULL, "ignored: vmu has no sound devices, so nothing plays" },
};

static bool words_option(const char *name, const char *val, Error **errp)
{
    char *option = g_strconcat("-", name, NULL);
    const Word *t = !strcmp(name, "display") ? display_words :
                    !strcmp(name, "vga") ? vga_words :
                    !strcmp(name, "balloon") ? balloon_words : audiodev_words;
    bool ok = true;
    if (!*val || *val == ',') {
        error_setg(errp, "%s %s: give a type first (%s none)", option, val,
                   option);
        ok = false;
    } else if (!strcmp(name, "vga")) {
        static const char *const types[] = {
            "none", "std", "cirrus", "vmware", "qxl", "virtio", "xenfb",
            "tcx", "cg3", NULL,
        };
        bool known = false;
        for (unsigned i = 0; types[i]; i++) {
            known |= !strcmp(val, types[i]);
        }
        if (!known) {
            char *list = g_strjoinv(", ", (char **)types);
            error_setg(errp, "-vga %s: unknown VGA type (QEMU's are %s)",
                       val, list);
            g_free(list);
            ok = false;
        }
    } else if (!strcmp(name, "audiodev")) {
        Opts *o = parse_kept(option, val, "driver", errp);
        if (!o) {
            ok = false;
        } else if (!opts_get(o, "id") || !*opts_get(o, "id")) {
            opts_error(o, errp, "an id is needed: add id=NAME");
            ok = false;
        }
    }
    if (ok) {
        warn_word(option, val, t);
    }
    g_free(option);
    return ok;
}

/* on/off switches: warn for each one asked on that vmu cannot honour. */
typedef struct Switch {
    const char *key;
    const char *lost;   /* what the user does not get with KEY=on */
} Switch;

static bool switches_option(const char *option, const char *val,
                            const char *implied, const Switch *sw,
                            Error **errp)
{
    OptDesc desc[8] = { { 0 } };
    unsigned n = 0;
    for (; sw[n].key; n++) {
        desc[n] = (OptDesc){ sw[n].key, OPT_BOOL, sw[n].lost };
    }
    Opts *o = parse_checked(option, val, implied, desc, errp);
    if (!o) {
        return false;
    }
    GString *lost = g_string_new(NULL);
    for (unsigned i = 0; sw[i].key; i++) {
        if (is_on(o, sw[i].key)) {
            g_string_append_printf(lost, "%s%s=on (%s)", lost->len ? ", " :
                                   "", sw[i].key, sw[i].lost);
        }
    }
    if (lost->len) {
        warn_report("%s %s: ignored: %s", option, val, lost->str);
    }
    g_string_free(lost, TRUE);
    return true;
}

bool compat_option(const char *name, const char *val, Error **errp)
{
    if (!strcmp(name, "display") || !strcmp(name, "vga") ||
        !strcmp(name, "balloon") || !strcmp(name, "audiodev")) {
        return words_option(name, val, errp);
    }
    if (!strcmp(name, "msg")) {
        static const Switch sw[] = {
            { "timestamp", "vmu does not put times on its messages" },
            { "guest-name", "vmu does not put the guest name on messages" },
            { 0 },
        };
        return switches_option("-msg", val, NULL, sw, errp);
    }
    if (!strcmp(name, "sandbox")) {
        static const OptDesc desc[] = {
            { "enable", OPT_BOOL, "on or off" },
            { "obsolete", OPT_STRING, "allow or deny" },
            { "elevateprivileges", OPT_STRING, "allow, deny or children" },
            { "spawn", OPT_STRING, "allow or deny" },
            { "resourcecontrol", OPT_STRING, "allow or deny" },
            { 0 },
        };
        static const char *const allow_deny[] = { "allow", "deny", NULL };
        static const char *const elevate[] = {
            "allow", "deny", "children", NULL,
        };
        Opts *o = parse_checked("-sandbox", val, "enable", desc, errp);
        if (!o || !check_word(o, "obsolete", allow_deny, errp) ||
            !check_word(o, "elevateprivileges", elevate, errp) ||
            !check_word(o, "spawn", allow_deny, errp) ||
            !check_word(o, "resourcecontrol", allow_deny, errp)) {
            return false;
        }
        if (is_on(o, "enable")) {
            warn_report("-sandbox %s: ignored: vmu installs no seccomp "
                        "filter; confine it with your service manager "
                        "(SystemCallFilter=) instead", val);
        }
        return true;
    }
    if (!strcmp(name, "overcommit")) {
        static const Switch sw[] = {
            { "mem-lock", "guest RAM is not locked in host memory" },
            { "cpu-pm", "the guest gets no host power management "
              "(MWAIT/HLT exits stay on)" },
            { 0 },
        };
        return switches_option("-overcommit", val, NULL, sw, errp);
    }
    if (!strcmp(name, "realtime")) {
        static const Switch sw[] = {
            { "mlock", "guest RAM is not locked in host memory" },
            { 0 },
        };
        return switches_option("-realtime", val, NULL, sw, errp);
    }
    if (!strcmp(name, "global")) {
        return global_option(val, errp);
    }
    if (!strcmp(name, "usb")) {
        warn_report("-usb: ignored: vmu has no USB controller");
        return true;
    }
    if (!strcmp(name, "usbdevice")) {
        warn_report("-usbdevice %s: ignored: vmu has no USB", val);
        return true;
    }
    if (!strcmp(name, "vnc")) {
        if (strcmp(val, "none")) {
            warn_report("-vnc %s: ignored: vmu has no display, so no VNC "
                        "server is started; the guest's console is its "
                        "serial port", val);
        }
        return true;
    }
    if (!strcmp(name, "k")) {
        warn_report("-k %s: ignored: vmu has no display or keyboard to map",
                    val);
        return true;
    }
    if (!strcmp(name, "parallel")) {
        if (strcmp(val, "none")) {
            error_setg(errp, "-parallel %s: vmu has no parallel port; use "
                       "-parallel none or leave it out", val);
            return false;
        }
        return true;
    }
    if (!strcmp(name, "rtc")) {
        return rtc_option(val, errp);
    }
    if (!strcmp(name, "uuid")) {
        if (!parse_uuid(val, fw.uuid)) {
            error_setg(errp, "-uuid %s: write the UUID as 8-4-4-4-12 hex "
                       "digits, e.g. 12345678-9abc-def0-1234-56789abcdef0",
                       val);
            return false;
        }
        fw.has_uuid = true;
        warn_report("-uuid %s: no effect yet: vmu gives the guest no SMBIOS "
                    "tables to carry it", val);
        return true;
    }
    if (!strcmp(name, "smbios")) {
        return smbios_option(val, errp);
    }
    if (!strcmp(name, "no-acpi")) {
        fw.no_acpi = true;   /* no ACPI tables, no PIIX4 PM: honoured */
        return true;
    }
    if (!strcmp(name, "no-hpet") || !strcmp(name, "nodefconfig")) {
        return true;    /* vmu has no HPET and reads no config: honoured */
    }
    error_setg(errp, "-%s: not handled (a vmu bug)", name);
    return false;
}

typedef struct Unimplemented {
    const char *name;
    bool takes_arg;
    const char *why;    /* reason; alternative */
} Unimplemented;

#define DISKS "disks are not supported yet (issue: disks); boot with " \
              "-kernel and -initrd"
#define DISK_OPTS "vmu's disks are virtio-blk: use -drive file=IMAGE," \
                  "if=virtio"
#define FLOPPY "vmu has no floppy drive; use -drive file=IMAGE,if=virtio"
#define EMULATOR "it needs an emulator; vmu runs the guest on KVM only"

static const Unimplemented unimplemented[] = {
    { "cdrom", true, "vmu has no CD-ROM drive; give the image as a disk "
      "(-drive file=IMAGE,format=raw,if=virtio)" },
    { "fda", true, FLOPPY }, { "fdb", true, FLOPPY },
    { "sd", true, DISK_OPTS }, { "mtdblock", true, DISK_OPTS },
    { "pflash", true, "firmware flash is not supported yet; boot with "
      "-kernel" },
    { "incoming", true, "vmu has no migration; start the guest afresh" },
    { "loadvm", true, "vmu has no snapshots; start the guest afresh" },
    { "spice", true, "vmu has no display, so no SPICE server; use the "
      "serial console (-nographic)" },
    { "soundhw", true, "vmu has no sound devices; leave it out" },
    { "audio", true, "vmu has no sound devices; leave it out" },
    { "watchdog", true, "vmu has no watchdog device; watch the guest from "
      "outside (its serial console or network)" },
    { "watchdog-action", true, "vmu has no watchdog device; leave it out" },
    { "s", false, "vmu has no gdb stub; trace with -trace" },
    { "gdb", true, "vmu has no gdb stub; trace with -trace" },
    { "icount", true, EMULATOR },
    { "singlestep", false, EMULATOR },
    { "d", true, "that is QEMU's emulator log; use -trace PATTERN" },
    { "D", true, "that is QEMU's emulator log file; vmu reports on stderr "
      "and -trace" },
    { "readconfig", true, "vmu reads no configuration files; write the "
      "options on the command line" },
    { "writeconfig", true, "vmu writes no configuration files" },
    { "runas", true, "run vmu as that user from your service manager "
      "(User=) instead" },
    { "chroot", true, "confine vmu with your service manager "
      "(RootDirectory=) instead" },
    { "fsdev", true, "vmu has no 9p file sharing" },
    { "virtfs", true, "vmu has no 9p file sharing" },
    { "tpmdev", true, "vmu has no TPM" },
    { "xen-domid", true, "vmu runs on KVM only" },
    { "semihosting", false, EMULATOR },
    { "option-rom", true, "vmu loads no option ROMs; boot with -kernel" },
    { "acpitable", true, "vmu adds no ACPI tables to the ones it builds" },
    { 0 },
};

bool compat_unimplemented(const char *name, bool *takes_arg, Error **errp)
{
    for (const Unimplemented *u = unimplemented; u->name; u++) {
        if (!strcmp(u->name, name)) {
            *takes_arg = u->takes_arg;
            error_setg(errp, "-%s: not supported: %s", name, u->why);
            return true;
        }
    }
    return false;
}

typedef struct DeviceRule {
    const char *const *drivers;
    bool refuse;
    const char *why;
} DeviceRule;

static const char *const usb_devices[] = {
    "piix3-usb-uhci", "piix4-usb-uhci", "ich9-usb-ehci1", "ich9-usb-uhci1",
    "ich9-usb-uhci2", "ich9-usb-uhci3", "usb-ehci", "nec-usb-xhci",
    "qemu-xhci", "usb-tablet", "usb-kbd", "usb-mouse", "usb-hub", NULL,
};
static const char *const display_devices[] = {
    "VGA", "cirrus-vga", "virtio-vga", "qxl-vga", "qxl", "bochs-display",
    "virtio-gpu-pci", "ramfb", "secondary-vga", "isa-vga", NULL,
};
static const char *const input_devices[] = {
    "virtio-keyboard-pci", "virtio-mouse-pci", "virtio-tablet-pci", NULL,
};
static const char *const balloon_devices[] = {
    "virtio-balloon-pci", "virtio-balloon", NULL,
};
static const char *const sound_devices[] = {
    "intel-hda", "ich9-intel-hda", "hda-duplex", "hda-output", "hda-micro",
    "AC97", "sb16", "es1370", NULL,
};
static const char *const disk_devices[] = {
    "virtio-blk-pci", "virtio-blk", "scsi-cd",
    "scsi-block", "ide-cd", "nvme", "usb-storage",
    "vhost-scsi-pci", "vhost-user-blk-pci", "vhost-user-scsi-pci",
    "floppy", NULL,
};
/* Their disks (scsi-hd) become virtio-blk-pci (system/drive.c). */
static const char *const scsi_controllers[] = {
    "virtio-scsi-pci", "virtio-scsi", "lsi53c895a", "megasas", "pvscsi",
    NULL,
};
static const char *const nic_devices[] = {
    "e1000", "e1000e", "e1000-82545em", "rtl8139", "vmxnet3", "ne2k_pci",
    "i82559er", "pcnet", "virtio-net-device", NULL,
};
static const char *const serial_devices[] = {
    "virtio-serial-pci", "virtio-serial", "virtserialport", "virtconsole",
    NULL,
};
static const char *const other_vhost_devices[] = {
    "vhost-user-fs-pci", "vhost-vsock-pci", "vhost-user-vsock-pci",
    "vhost-user-gpu-pci", "vhost-user-input-pci", NULL,
};
static const char *const usb_host_devices[] = { "usb-host", NULL };
static const char *const passthrough_devices[] = { "vfio-pci", NULL };
static const char *const watchdog_devices[] = { "i6300esb", "ib700", NULL };
static const char *const rng_devices[] = {
    "virtio-rng-pci", "virtio-rng", NULL,
};
static const char *const panic_devices[] = { "pvpanic", "pvpanic-pci", NULL };
static const char *const bridge_devices[] = {
    "pci-bridge", "pcie-root-port", "pcie-pci-bridge", "pxb",
    "ioh3420", NULL,
};

static const DeviceRule device_rules[] = {
    { usb_devices, false, "vmu has no USB, so the guest sees no such device" },
    { display_devices, false, "vmu has no display adapter; the guest sees "
      "none (use its serial console)" },
    { input_devices, false, "vmu has no display, so no input device" },
    { balloon_devices, false, "vmu has no memory balloon; the guest's "
      "memory cannot be reclaimed or resized" },
    { sound_devices, false, "vmu has no sound devices" },
    { disk_devices, true, DISKS },
    { scsi_controllers, false, "vmu has no SCSI controller; its scsi-hd "
      "disks become virtio-blk-pci (the guest sees /dev/vda)" },
    { nic_devices, true, "vmu's only NIC is virtio-net-pci: use -device "
      "virtio-net-pci,netdev=ID" },
    { serial_devices, true, "vmu has no virtio-serial; use -serial or "
      "-chardev for a console" },
    { other_vhost_devices, true, "vmu speaks vhost-user for networking "
      "only (-netdev vhost-user with -device virtio-net-pci)" },
    { usb_host_devices, true, "vmu has no USB, so no USB passthrough" },
    { passthrough_devices, true, "vmu has no device passthrough; give the "
      "guest a virtio-net-pci NIC on a vhost-user back-end instead" },
    { watchdog_devices, true, "vmu has no watchdog device; watch the guest "
      "from outside" },
    { rng_devices, false, "vmu has no virtio-rng; the guest draws entropy "
      "from RDRAND (-cpu host) and its own sources" },
    { panic_devices, false, "vmu has no pvpanic device; a guest panic is "
      "seen on its serial console, not reported by vmu" },
    { bridge_devices, true, "vmu has one PCI bus (bus 0); leave the bridge "
      "out and drop bus= from the devices behind it" },
    { 0 },
};

int compat_device(const Opts *opts, Error **errp)
{
    const char *driver = opts_get(opts, options_type_keys()[TYPE_KIND_DEVICE]);
    if (!driver || type_lookup(TYPE_KIND_DEVICE, driver)) {
        return 0;
    }
    for (const DeviceRule *r = device_rules; r->drivers; r++) {
        for (unsigned i = 0; r->drivers[i]; i++) {
            if (strcmp(r->drivers[i], driver)) {
                continue;
            }
            if (r->refuse) {
                opts_error(opts, errp, "device type '%s' is not supported: "
                           "%s", driver, r->why);
                return -1;
            }
            warn_report("-device %s: ignored: %s", opts->text, r->why);
            return 1;
        }
    }
    return 0;
}

int compat_chardev(const Opts *opts, Error **errp)
{
    static const char *const spice[] = {
        "spicevmc", "spiceport", "qemu-vdagent", NULL,
    };
    const char *be = opts_get(opts, options_type_keys()[TYPE_KIND_CHARDEV]);
    if (!be || type_lookup(TYPE_KIND_CHARDEV, be)) {
        return 0;
    }
    for (unsigned i = 0; spice[i]; i++) {
        if (!strcmp(be, spice[i])) {
            opts_error(opts, errp, "chardev type '%s' is not supported: vmu "
                       "has no display, so no SPICE channels; leave it out",
                       be);
            return -1;
        }
    }
    return 0;
}

int compat_object(const Opts *opts, Error **errp)
{
    static const char *const rng[] = {
        "rng-random", "rng-builtin", "rng-egd", NULL,
    };
    const char *type = opts_get(opts, options_type_keys()[TYPE_KIND_OBJECT]);
    if (!type || type_lookup(TYPE_KIND_OBJECT, type)) {
        return 0;
    }
    for (unsigned i = 0; rng[i]; i++) {
        if (!strcmp(type, rng[i])) {
            warn_report("-object %s: ignored: vmu has no virtio-rng for it "
                        "to feed", opts->text);
            return 1;
        }
    }
    if (!strcmp(type, "secret")) {
        /* libvirt passes its master key to every QEMU it starts. */
        warn_report("-object %s: ignored: nothing in vmu reads a secret (it "
                    "has no TLS and no encrypted disks)", opts->text);
        return 1;
    }
    if (!strcmp(type, "iothread")) {
        warn_report("-object %s: ignored: vmu has no iothreads (and no "
                    "disks to put on them)", opts->text);
        return 1;
    }
    return 0;
}

bool compat_machine(const Opts *machine, Error **errp)
{
    /* key, the value vmu honours, what the guest lacks otherwise */
    static const struct {
        const char *key, *honoured, *lost;
    } keys[] = {
        { "vmport", "off", "vmu has no VMware I/O port" },
        { "smm", "off", "vmu has no system management mode" },
        { "hpet", "off", "vmu has no HPET" },
        { "nvdimm", "off", "vmu has no NVDIMM" },
        { "graphics", "off", "vmu has no display" },
    };
    GString *lost = g_string_new(NULL);
    bool ok = true;
    const char *acpi = opts_get(machine, "acpi");
    bool acpi_on;
    /* acpi=on|auto is vmu's default (hw/acpi); off is -no-acpi. */
    if (acpi && strcmp(acpi, "auto")) {
        if (!parse_bool(acpi, &acpi_on)) {
            opts_error(machine, errp, "acpi=%s: allowed values are on, off "
                       "and auto", acpi);
            ok = false;
        } else if (!acpi_on) {
            fw.no_acpi = true;
        }
    }
    for (unsigned i = 0; i < G_N_ELEMENTS(keys) && ok; i++) {
        const char *v = opts_get(machine, keys[i].key);
        bool b;
        if (!v || !strcmp(v, "auto")) {
            continue;   /* "auto": vmu's choice, which is off */
        }
        if (!parse_bool(v, &b)) {
            opts_error(machine, errp, "%s=%s: allowed values are on, off "
                       "and auto", keys[i].key, v);
            ok = false;
        } else if (b) {
            g_string_append_printf(lost, "%s%s=%s (%s)", lost->len ? ", " :
                                   "", keys[i].key, v, keys[i].lost);
        }
    }
    if (ok && lost->len) {
        warn_report("-machine %s: ignored: %s", machine->text, lost->str);
    }
    g_string_free(lost, TRUE);
    return ok;
}
