/*
 * -netdev tap: a host TAP interface.  Only its options exist so far: they
 * are checked, then start-up refuses the type as "not supported yet"
 * (README's status table; no open issue asks for tap).
 */
#include <stddef.h>

#include "system/registry.h"

static const OptDesc tap_desc[] = {
    { "ifname", OPT_STRING, "TAP interface name" },
    { "script", OPT_STRING, "script run when the interface comes up (no)" },
    { "downscript", OPT_STRING, "script run when it goes down (no)" },
    { "fd", OPT_STRING, "an inherited TAP fd" },
    { "fds", OPT_STRING, "inherited TAP fds, one per queue, ':'-separated" },
    { "br", OPT_STRING, "bridge for the helper" },
    { "helper", OPT_STRING, "network helper program" },
    { "vhost", OPT_BOOL, "kernel vhost-net" },
    { "vhostfd", OPT_STRING, "an inherited vhost-net fd" },
    { "vhostfds", OPT_STRING, "inherited vhost-net fds" },
    { "vhostforce", OPT_BOOL, "vhost-net even without MSI-X" },
    { "queues", OPT_NUMBER, "queue pairs" },
    { "sndbuf", OPT_SIZE, "send buffer limit" },
    { "vnet_hdr", OPT_BOOL, "use the virtio-net header" },
    { "poll-us", OPT_NUMBER, "busy polling time" },
    { NULL, 0, NULL },
};

static const TypeInfo tap_info = {
    .kind = TYPE_KIND_NETDEV,
    .name = "tap",
    .help = "a host TAP interface",
    .opts = tap_desc,
    .needs_id = true,
    .create = NULL,
};

static void net_tap_register(void)
{
    type_register(&tap_info);
}
type_init(net_tap_register)
