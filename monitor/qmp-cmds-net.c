/*
 * Network control from the monitor: set_link on a netdev or its NIC.
 * (netdev_add, device_add and the vhost-user connection events come with
 * the front-end rework: qmp_register_command() is their hook.)
 */
#include <string.h>

#include "monitor-internal.h"
#include "net/net.h"

typedef struct NetLookup {
    const char *name;
    NetClientState *found;
} NetLookup;

static void net_match(NetClientState *nc, void *opaque)
{
    NetLookup *l = opaque;
    if (!l->found && nc->peer && nc->peer->name &&
        !strcmp(nc->peer->name, l->name)) {
        l->found = nc;
    }
}

NetClientState *monitor_net_find(const char *name)
{
    NetLookup l = { name, net_find(name) };
    if (!l.found) {
        net_foreach(net_match, &l);
    }
    return l.found;
}

static JsonNode *qmp_set_link(JsonObject *args, Error **errp)
{
    const char *name = json_object_get_string_member(args, "name");
    NetClientState *nc = monitor_net_find(name);
    if (!nc) {
        error_set(errp, ERROR_CLASS_DEVICE_NOT_FOUND, "Device '%s' not found",
                  name);
        return NULL;
    }
    net_set_link(nc, json_object_get_boolean_member(args, "up"));
    return NULL;
}

void qmp_register_net_commands(void)
{
    qmp_register_command("set_link", qmp_set_link, "name:str up:bool",
                         "object");
}
