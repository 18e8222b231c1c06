/* net-tests.c - PCI and virtio-net tests of vmu's test firmware:
 * pci, net-probe, net-tx, net-echo, net-rx (see README.md). */
#include "fw.h"

int test_pci(void)
{
    int n = pci_scan();

    for (int i = 0; i < n; i++) {
        const struct pci_dev *d = pci_get(i);
        printf("vmu-fw: pci %02x:%02x.%u %04x:%04x class %06x\n", d->bus, d->slot,
               d->fn, d->vendor, d->device, d->class_rev >> 8);
    }
    printf("vmu-fw: pci %d functions via %s\n", n, pci_mech_name());
    if (!strcmp(pci_mech_name(), "none")) {
        return FW_EXIT_NODEV;               /* no configuration mechanism */
    }
    return n >= 1 ? FW_EXIT_PASS : FW_EXIT_FAIL;
}
