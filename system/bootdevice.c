/*
 * bootindex= of every device, kept sorted for the firmware's bootorder.
 */
#include <errno.h>
#include <glib.h>
#include <stdlib.h>
#include <string.h>

#include "system/bootdevice.h"
#include "util/trace.h"

typedef struct BootDevice {
    int32_t index;
    char *path;
    char *owner;
} BootDevice;

static GPtrArray *boot_devices;

bool bootindex_get(const Opts *o, int32_t *out, Error **errp)
{
    const char *v = opts_get(o, "bootindex");
    char *end;
    *out = BOOTINDEX_NONE;
    if (!v) {
        return true;
    }
    errno = 0;
    long long n = strtoll(v, &end, 0);
    if (errno || *end || end == v || n < -1 || n > INT32_MAX) {
        opts_error(o, errp, "bootindex=%s: give 0 (the first to boot) to "
                   "2147483647, or -1 for none", v);
        return false;
    }
    *out = n;
    return true;
}

static gint boot_device_cmp(gconstpointer a, gconstpointer b)
{
    const BootDevice *x = *(BootDevice *const *)a;
    const BootDevice *y = *(BootDevice *const *)b;
    return x->index < y->index ? -1 : x->index > y->index;
}

bool boot_device_add(int32_t bootindex, const char *fw_path,
                     const char *owner, Error **errp)
{
    if (bootindex < 0) {
        return true;
    }
    if (!boot_devices) {
        boot_devices = g_ptr_array_new();
    }
    for (unsigned i = 0; i < boot_devices->len; i++) {
        BootDevice *d = g_ptr_array_index(boot_devices, i);
        if (d->index == bootindex) {
            error_setg(errp, "%s: bootindex=%d is %s's already; give each "
                       "boot device its own", owner, bootindex, d->owner);
            return false;
        }
    }
    BootDevice *d = g_new(BootDevice, 1);
    d->index = bootindex;
    d->path = g_strdup(fw_path);
    d->owner = g_strdup(owner);
    g_ptr_array_add(boot_devices, d);
    g_ptr_array_sort(boot_devices, boot_device_cmp);
    trace(boot_device_add, "bootindex %d: %s (%s)", bootindex, fw_path,
          owner);
    return true;
}

char *boot_devices_list(bool strict, size_t *len)
{
    GString *s = g_string_new(NULL);
    for (unsigned i = 0; boot_devices && i < boot_devices->len; i++) {
        BootDevice *d = g_ptr_array_index(boot_devices, i);
        g_string_append_printf(s, "%s%s", i ? "\n" : "", d->path);
    }
    if (strict) {
        g_string_append_printf(s, "%sHALT", s->len ? "\n" : "");
    }
    *len = s->len ? s->len + 1 : 0;
    return g_string_free(s, false);
}
