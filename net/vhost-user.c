/*
 * -netdev vhost-user: the NIC's rings served by a back-end over a UNIX
 * socket chardev.  Registered for option checking; not implemented yet.
 */
#include <stddef.h>

#include "system/registry.h"

static const OptDesc vhost_user_desc[] = {
    { "chardev", OPT_STRING, "id of a socket chardev to the back-end" },
    { "queues", OPT_NUMBER, "queue pairs (1 to 8)" },
    { "vhostforce", OPT_BOOL, "accepted (vhost-user is always vhost)" },
    { "file", OPT_STRING, "the original spelling: a socket path" },
    { NULL },
};

static const TypeInfo vhost_user_info = {
    .kind = TYPE_KIND_NETDEV,
    .name = "vhost-user",
    .help = "rings served by a vhost-user back-end",
    .opts = vhost_user_desc,
    .needs_id = true,
    .create = NULL,
};

static void net_vhost_user_register(void)
{
    type_register(&vhost_user_info);
}
type_init(net_vhost_user_register)
