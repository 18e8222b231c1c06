/*
 * The -device options every virtio-pci device shares (addr=, bus=,
 * vectors=, disable-legacy=, disable-modern=): checked in phase 1, read
 * when the device is created.
 */
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "hw/virtio/virtio-pci.h"

bool virtio_pci_parse_addr(const char *s, int *devfn)
{
    char *end;
    unsigned long slot = strtoul(s, &end, 16), fn = 0;
    if (end == s) {
        return false;
    }
    if (*end == '.') {
        const char *f = end + 1;
        fn = strtoul(f, &end, 16);
        if (end == f) {
            return false;
        }
    }
    if (*end || slot > 31 || fn > 7) {
        return false;
    }
    *devfn = PCI_DEVFN(slot, fn);
    return true;
}

bool virtio_pci_opts_check(const Opts *o, const char *dev, Error **errp)
{
    int devfn;
    if (opts_get_number(o, "vectors", 0) > 128) {
        opts_error(o, errp, "vectors=%" PRIu64 ": allowed values are 0 "
                   "(INTx only) to 128", opts_get_number(o, "vectors", 0));
        return false;
    }
    const char *dl = opts_get(o, "disable-legacy");
    if (dl) {
        bool on;
        if (!strcmp(dl, "auto")) {
            on = true;
        } else if (!parse_bool(dl, &on)) {
            opts_error(o, errp, "disable-legacy=%s: allowed values are on, "
                       "off and auto", dl);
            return false;
        }
        if (!on) {
            opts_error(o, errp, "disable-legacy=off: the legacy virtio "
                       "interface is not supported; use disable-legacy=on");
            return false;
        }
    }
    if (opts_get_bool(o, "disable-modern", false)) {
        opts_error(o, errp, "disable-modern=on: vmu's %s is modern only; "
                   "use disable-modern=off", dev);
        return false;
    }
    const char *addr = opts_get(o, "addr");
    if (addr && (!virtio_pci_parse_addr(addr, &devfn) ||
                 PCI_SLOT(devfn) < 2)) {
        opts_error(o, errp, "addr=%s: allowed values are PCI slots 0x2 to "
                   "0x1f, with an optional .function 0-7 (e.g. 0x3 or "
                   "03.0)", addr);
        return false;
    }
    const char *bus = opts_get(o, "bus");
    if (bus && strcmp(bus, "pci.0")) {
        opts_error(o, errp, "bus=%s: the only bus is pci.0", bus);
        return false;
    }
    return true;
}

int virtio_pci_opts_devfn(const Opts *o)
{
    int devfn = -1;
    if (opts_has(o, "addr")) {
        virtio_pci_parse_addr(opts_get(o, "addr"), &devfn);
    }
    return devfn;
}
