/*
 * QEMU's object model as libvirt probes it, answered from vmu's type
 * registry: qom-list-types, device-list-properties and qom-list-properties
 * (each type's option table), qom-list and qom-get for the few paths
 * libvirt reads back.  An unknown class gets an empty property list from
 * qom-list-properties: libvirtd 9.0 crashes on DeviceNotFound there.
 */
#include <string.h>

#include "monitor-internal.h"
#include "system/registry.h"

static JsonNode *array_node(JsonArray *a)
{
    JsonNode *n = json_node_new(JSON_NODE_ARRAY);
    json_node_take_array(n, a);
    return n;
}

/* QEMU's class names for vmu's types, and the parent each implements. */
typedef struct QomType {
    char *name;
    const char *parent;
    const TypeInfo *info;       /* NULL: no options (machines, CPUs) */
} QomType;

static GArray *qom_types(void)
{
    static GArray *types;
    if (types) {
        return types;
    }
    types = g_array_new(FALSE, FALSE, sizeof(QomType));
    static const char *const parents[TYPE_KIND_MAX] = {
        [TYPE_KIND_OBJECT] = "memory-backend",
        [TYPE_KIND_CHARDEV] = "chardev",
        [TYPE_KIND_NETDEV] = "netdev",
        [TYPE_KIND_DEVICE] = "device",
    };
    for (TypeKind k = 0; k < TYPE_KIND_MAX; k++) {
        unsigned n;
        const char **names = type_names(k, &n);
        for (unsigned i = 0; i < n; i++) {
            QomType t = { NULL, parents[k], type_lookup(k, names[i]) };
            if (k == TYPE_KIND_CHARDEV) {
                t.name = g_strdup_printf("chardev-%s", names[i]);
            } else if (k == TYPE_KIND_NETDEV) {
                continue;       /* netdevs are no QOM classes in QEMU */
            } else {
                t.name = g_strdup(names[i]);
            }
            if (k == TYPE_KIND_DEVICE) {
                t.parent = g_str_has_prefix(names[i], "isa-") ?
                           "isa-device" : strstr(names[i], "-pci") ?
                           "pci-device" : "device";
            }
            g_array_append_val(types, t);
        }
        g_free(names);
    }
    static const char *const fixed[][2] = {
        { "pc-i440fx-7.2-machine", "generic-pc-machine" },
        { "none-machine", "machine" },
        { "kvm-accel", "accel" }, { "qtest-accel", "accel" },
        { "host-x86_64-cpu", "x86_64-cpu" }, { "max-x86_64-cpu", "x86_64-cpu" },
        { "PIIX4_PM", "pci-device" }, { "i440FX-pcihost", "pci-host-bridge" },
        { "PIIX3", "pci-device" },
    };
    for (unsigned i = 0; i < G_N_ELEMENTS(fixed); i++) {
        QomType t = { g_strdup(fixed[i][0]), fixed[i][1], NULL };
        g_array_append_val(types, t);
    }
    return types;
}

static const QomType *qom_type_find(const char *name)
{
    GArray *types = qom_types();
    for (guint i = 0; i < types->len; i++) {
        QomType *t = &g_array_index(types, QomType, i);
        if (!strcmp(t->name, name)) {
            return t;
        }
    }
    return NULL;
}

static bool implements(const QomType *t, const char *what)
{
    if (!strcmp(t->name, what) || !strcmp(t->parent, what)) {
        return true;
    }
    /* The few parents of parents libvirt asks about. */
    return !strcmp(what, "device") && (!strcmp(t->parent, "pci-device") ||
                                       !strcmp(t->parent, "isa-device")) ?
           true : !strcmp(what, "machine") &&
                  g_str_has_suffix(t->name, "-machine");
}

static JsonNode *qmp_qom_list_types(JsonObject *args, Error **errp)
{
    const char *impl = json_object_has_member(args, "implements") ?
        json_object_get_string_member(args, "implements") : NULL;
    GArray *types = qom_types();
    JsonArray *a = json_array_new();
    for (guint i = 0; i < types->len; i++) {
        QomType *t = &g_array_index(types, QomType, i);
        if (impl && !implements(t, impl)) {
            continue;
        }
        JsonObject *o = json_object_new();
        json_object_set_string_member(o, "name", t->name);
        json_object_set_string_member(o, "parent", t->parent);
        json_array_add_object_element(a, o);
    }
    return array_node(a);
}

static const char *opt_type_name(OptType t)
{
    switch (t) {
    case OPT_BOOL:
        return "bool";
    case OPT_NUMBER:
        return "uint64";
    case OPT_SIZE:
        return "size";
    default:
        return "str";
    }
}

static JsonNode *type_properties(const QomType *t)
{
    JsonArray *a = json_array_new();
    for (const OptDesc *d = t && t->info ? t->info->opts : NULL; d && d->name;
         d++) {
        JsonObject *p = json_object_new();
        json_object_set_string_member(p, "name", d->name);
        json_object_set_string_member(p, "type", opt_type_name(d->type));
        if (d->help) {
            json_object_set_string_member(p, "description", d->help);
        }
        json_array_add_object_element(a, p);
    }
    return array_node(a);
}

static JsonNode *qmp_device_list_properties(JsonObject *args, Error **errp)
{
    const char *name = json_object_get_string_member(args, "typename");
    const QomType *t = qom_type_find(name);
    if (!t || !implements(t, "device")) {
        error_set(errp, ERROR_CLASS_DEVICE_NOT_FOUND, "Device '%s' not found",
                  name);
        return NULL;
    }
    return type_properties(t);
}

static JsonNode *qmp_qom_list_properties(JsonObject *args, Error **errp)
{
    return type_properties(qom_type_find(json_object_get_string_member(
                                             args, "typename")));
}

static JsonNode *qmp_qom_list(JsonObject *args, Error **errp)
{
    const char *path = json_object_get_string_member(args, "path");
    JsonArray *a = json_array_new();
    if (!strcmp(path, "/") || !strcmp(path, "/machine")) {
        JsonObject *o = json_object_new();
        json_object_set_string_member(o, "name", "type");
        json_object_set_string_member(o, "type", "string");
        json_array_add_object_element(a, o);
        return array_node(a);
    }
    json_array_unref(a);
    error_set(errp, ERROR_CLASS_DEVICE_NOT_FOUND, "Device '%s' not found",
              path);
    return NULL;
}

static JsonNode *qmp_qom_get(JsonObject *args, Error **errp)
{
    const char *path = json_object_get_string_member(args, "path");
    const char *prop = json_object_get_string_member(args, "property");
    if (strcmp(path, "/machine") && strcmp(path, "/")) {
        error_set(errp, ERROR_CLASS_DEVICE_NOT_FOUND, "Device '%s' not found",
                  path);
        return NULL;
    }
    if (strcmp(prop, "type")) {
        error_setg(errp, "Property '%s.%s' not found", path, prop);
        return NULL;
    }
    JsonNode *n = json_node_new(JSON_NODE_VALUE);
    json_node_set_string(n, strcmp(path, "/") ? "pc-i440fx-7.2-machine" :
                         "container");
    return n;
}

void qmp_register_qom_commands(void)
{
    qmp_register_command("qom-list-types", qmp_qom_list_types,
                         "?implements:str ?abstract:bool", "array");
    qmp_register_command("device-list-properties", qmp_device_list_properties,
                         "typename:str", "array");
    qmp_register_command("qom-list-properties", qmp_qom_list_properties,
                         "typename:str", "array");
    qmp_register_command("qom-list", qmp_qom_list, "path:str", "array");
    qmp_register_command("qom-get", qmp_qom_get, "path:str property:str",
                         "any");
}
