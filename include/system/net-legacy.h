/*
 * -net and -nic, QEMU's older ways to give a guest a NIC: each is turned
 * into a -netdev and a -device virtio-net-pci before options are checked.
 */
#ifndef VMU_SYSTEM_NET_LEGACY_H
#define VMU_SYSTEM_NET_LEGACY_H

#include "util/error.h"

/* -nic TYPE[,netdev options][,model=M][,mac=MAC]: one netdev, one NIC. */
bool net_legacy_add_nic(const char *text, Error **errp);
/* -net nic[,...] or -net TYPE[,...]: kept until net_legacy_finish. */
bool net_legacy_add_net(const char *text, Error **errp);
/* Pair the -net nic with the -net back-end (vmu has no hub). */
bool net_legacy_finish(Error **errp);

#endif
