/*
 * The QMP command table: registration, the checks of a request (QEMU's
 * words and error classes), argument type checks from each command's
 * argument list, and the call.
 */
#include <string.h>

#include "monitor-internal.h"
#include "util/trace.h"

typedef struct QmpCommand {
    char *name;
    QmpCommandFn *fn;
    char *args;
    char *ret;
} QmpCommand;

static GHashTable *commands;

void qmp_register_command(const char *name, QmpCommandFn *fn,
                          const char *args, const char *ret)
{
    if (!commands) {
        commands = g_hash_table_new(g_str_hash, g_str_equal);
    }
    QmpCommand *c = g_new0(QmpCommand, 1);
    c->name = g_strdup(name);
    c->fn = fn;
    c->args = g_strdup(args ? args : "");
    c->ret = g_strdup(ret ? ret : "object");
    g_hash_table_insert(commands, c->name, c);
}

static int command_cmp(const void *a, const void *b)
{
    return strcmp(((const QmpCommandInfo *)a)->name,
                  ((const QmpCommandInfo *)b)->name);
}

QmpCommandInfo *qmp_commands_list(unsigned *n)
{
    *n = commands ? g_hash_table_size(commands) : 0;
    QmpCommandInfo *list = g_new0(QmpCommandInfo, *n + 1);
    GHashTableIter it;
    gpointer v;
    unsigned i = 0;
    if (commands) {
        g_hash_table_iter_init(&it, commands);
        while (g_hash_table_iter_next(&it, NULL, &v)) {
            QmpCommand *c = v;
            list[i++] = (QmpCommandInfo){ c->name, c->args, c->ret };
        }
    }
    qsort(list, *n, sizeof(*list), command_cmp);
    return list;
}

static const char *const class_names[] = {
    [ERROR_CLASS_GENERIC_ERROR] = "GenericError",
    [ERROR_CLASS_COMMAND_NOT_FOUND] = "CommandNotFound",
    [ERROR_CLASS_DEVICE_NOT_ACTIVE] = "DeviceNotActive",
    [ERROR_CLASS_DEVICE_NOT_FOUND] = "DeviceNotFound",
    [ERROR_CLASS_KVM_MISSING_CAP] = "KVMMissingCap",
};

JsonNode *qmp_error_reply(Error *err, JsonNode *id)
{
    JsonObject *e = json_object_new();
    ErrorClass cls = error_get_class(err);
    json_object_set_string_member(e, "class", class_names[cls]);
    const char *hint = error_get_hint(err);
    if (hint) {
        char *desc = g_strdup_printf("%s (%s)", error_get_pretty(err), hint);
        json_object_set_string_member(e, "desc", desc);
        g_free(desc);
    } else {
        json_object_set_string_member(e, "desc", error_get_pretty(err));
    }
    error_free(err);
    JsonObject *root = json_object_new();
    json_object_set_object_member(root, "error", e);
    if (id) {
        json_object_set_member(root, "id", json_node_copy(id));
    }
    return json_obj_node(root);
}

static const char *node_type_name(JsonNode *n)
{
    switch (JSON_NODE_TYPE(n)) {
    case JSON_NODE_OBJECT:
        return "object";
    case JSON_NODE_ARRAY:
        return "array";
    case JSON_NODE_NULL:
        return "null";
    default:
        break;
    }
    GType t = json_node_get_value_type(n);
    return t == G_TYPE_STRING ? "str" : t == G_TYPE_BOOLEAN ? "bool" :
           t == G_TYPE_INT64 ? "int" : "number";
}

static bool type_matches(const char *want, JsonNode *n)
{
    const char *got = node_type_name(n);
    if (!strcmp(want, "any")) {
        return true;
    }
    if (!strcmp(want, "number")) {
        return !strcmp(got, "int") || !strcmp(got, "number");
    }
    return !strcmp(want, got);
}

static const char *type_words(const char *t)
{
    return !strcmp(t, "str") ? "string" : !strcmp(t, "int") ? "integer" :
           !strcmp(t, "bool") ? "boolean" : t;
}

/* The arguments against "name:type ?name:type ..." */
static bool args_check(const QmpCommand *c, JsonObject *args, Error **errp)
{
    char **spec = g_strsplit(c->args, " ", -1);
    bool ok = true;
    unsigned known = 0;
    for (unsigned i = 0; ok && spec[i]; i++) {
        if (!*spec[i]) {
            continue;
        }
        bool optional = spec[i][0] == '?';
        char *name = spec[i] + optional;
        char *colon = strchr(name, ':');
        const char *type = colon ? colon + 1 : "any";
        if (colon) {
            *colon = 0;
        }
        JsonNode *v = json_object_get_member(args, name);
        if (!v) {
            if (!optional) {
                error_setg(errp, "Parameter '%s' is missing", name);
                ok = false;
            }
            continue;
        }
        known++;
        if (!type_matches(type, v)) {
            error_setg(errp, "Invalid parameter type for '%s', expected: %s",
                       name, type_words(type));
            ok = false;
        }
    }
    if (ok && known < json_object_get_size(args)) {
        GList *members = json_object_get_members(args);
        for (GList *l = members; l; l = l->next) {
            bool found = false;
            for (unsigned i = 0; spec[i] && !found; i++) {
                const char *name = spec[i] + (spec[i][0] == '?');
                found = !strcmp(name, l->data);
            }
            if (!found) {
                error_setg(errp, "Parameter '%s' is unexpected",
                           (const char *)l->data);
                ok = false;
                break;
            }
        }
        g_list_free(members);
    }
    g_strfreev(spec);
    return ok;
}

JsonNode *qmp_call(const char *name, JsonObject *args, Error **errp)
{
    QmpCommand *c = commands ? g_hash_table_lookup(commands, name) : NULL;
    if (!c) {
        error_set(errp, ERROR_CLASS_COMMAND_NOT_FOUND,
                  "The command %s has not been found", name);
        return NULL;
    }
    JsonObject *empty = NULL;
    if (!args) {
        args = empty = json_object_new();
    }
    JsonNode *ret = NULL;
    if (args_check(c, args, errp)) {
        ret = c->fn(args, errp);
    }
    if (empty) {
        json_object_unref(empty);
    }
    return ret;
}

static JsonNode *qmp_reply(JsonNode *ret, JsonNode *id)
{
    JsonObject *root = json_object_new();
    json_object_set_member(root, "return",
                           ret ? ret : json_obj_node(json_object_new()));
    if (id) {
        json_object_set_member(root, "id", json_node_copy(id));
    }
    return json_obj_node(root);
}

JsonNode *qmp_dispatch(Monitor *m, JsonNode *req)
{
    Error *err = NULL;
    if (JSON_NODE_TYPE(req) != JSON_NODE_OBJECT) {
        error_setg(&err, "QMP input must be a JSON object");
        return qmp_error_reply(err, NULL);
    }
    JsonObject *o = json_node_get_object(req);
    JsonNode *id = json_object_get_member(o, "id");
    JsonNode *exec = json_object_get_member(o, "execute");
    JsonNode *args = json_object_get_member(o, "arguments");

    GList *members = json_object_get_members(o);
    for (GList *l = members; l && !err; l = l->next) {
        const char *k = l->data;
        if (strcmp(k, "id") && strcmp(k, "execute") && strcmp(k, "arguments")) {
            error_setg(&err, "QMP input member '%s' is unexpected", k);
        }
    }
    g_list_free(members);
    if (err) {
        return qmp_error_reply(err, id);
    }
    if (!exec) {
        error_setg(&err, "QMP input lacks member 'execute'");
        return qmp_error_reply(err, id);
    }
    if (JSON_NODE_TYPE(exec) != JSON_NODE_VALUE ||
        json_node_get_value_type(exec) != G_TYPE_STRING) {
        error_setg(&err, "QMP input member 'execute' must be a string");
        return qmp_error_reply(err, id);
    }
    if (args && JSON_NODE_TYPE(args) != JSON_NODE_OBJECT) {
        error_setg(&err, "QMP input member 'arguments' must be an object");
        return qmp_error_reply(err, id);
    }
    const char *name = json_node_get_string(exec);
    bool caps = !strcmp(name, "qmp_capabilities");
    if (!m->negotiated && !caps) {
        error_set(&err, ERROR_CLASS_COMMAND_NOT_FOUND, "Expecting "
                  "capabilities negotiation with 'qmp_capabilities'");
        return qmp_error_reply(err, id);
    }
    if (m->negotiated && caps) {
        error_set(&err, ERROR_CLASS_COMMAND_NOT_FOUND, "Capabilities "
                  "negotiation is already complete, command ignored");
        return qmp_error_reply(err, id);
    }
    trace(qmp_command, "%s: %s", m->chardev_id, name);
    JsonNode *ret = qmp_call(name, args ? json_node_get_object(args) : NULL,
                             &err);
    if (err) {
        trace(qmp_command_error, "%s: %s: %s", m->chardev_id, name,
              error_get_pretty(err));
        if (ret) {
            json_node_unref(ret);
        }
        return qmp_error_reply(err, id);
    }
    if (caps) {
        m->negotiated = true;
    }
    return qmp_reply(ret, id);
}
