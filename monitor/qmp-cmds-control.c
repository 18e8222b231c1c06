/*
 * QMP's own commands: qmp_capabilities, query-version, query-commands,
 * query-qmp-schema (built from the command table), human-monitor-command.
 */
#include <string.h>

#include "monitor-internal.h"


static JsonNode *qmp_capabilities(JsonObject *args, Error **errp)
{
    JsonNode *enable = json_object_get_member(args, "enable");
    if (enable && JSON_NODE_TYPE(enable) == JSON_NODE_ARRAY) {
        JsonArray *a = json_node_get_array(enable);
        for (guint i = 0; i < json_array_get_length(a); i++) {
            JsonNode *n = json_array_get_element(a, i);
            const char *cap = JSON_NODE_HOLDS_VALUE(n) &&
                json_node_get_value_type(n) == G_TYPE_STRING ?
                json_node_get_string(n) : "?";
            error_setg(errp, "Capability '%s' not available", cap);
            return NULL;
        }
    }
    return NULL;
}

static JsonNode *qmp_query_version(JsonObject *args, Error **errp)
{
    return json_obj_node(qmp_version_object());
}

static JsonNode *qmp_query_commands(JsonObject *args, Error **errp)
{
    unsigned n;
    QmpCommandInfo *list = qmp_commands_list(&n);
    JsonArray *a = json_array_new();
    for (unsigned i = 0; i < n; i++) {
        JsonObject *c = json_object_new();
        json_object_set_string_member(c, "name", list[i].name);
        json_array_add_object_element(a, c);
    }
    g_free(list);
    JsonNode *node = json_node_new(JSON_NODE_ARRAY);
    json_node_take_array(node, a);
    return node;
}

static const char *const events[] = {
    "SHUTDOWN", "POWERDOWN", "RESET", "STOP", "RESUME",
    "NIC_RX_FILTER_CHANGED", NULL,
};

static void schema_add(JsonArray *a, const char *name, const char *meta)
{
    JsonObject *e = json_object_new();
    json_object_set_string_member(e, "name", name);
    json_object_set_string_member(e, "meta-type", meta);
    json_array_add_object_element(a, e);
}

static JsonObject *schema_last(JsonArray *a)
{
    return json_array_get_object_element(a, json_array_get_length(a) - 1);
}

static const char *schema_type(const char *t)
{
    return !strcmp(t, "object") ? "any" : !strcmp(t, "array") ? "any" : t;
}

/*
 * Introspection of what vmu really has: each command with its argument
 * object, its return ("any": vmu does not describe results), the events,
 * the built-in types.
 */
static JsonNode *qmp_query_qmp_schema(JsonObject *args, Error **errp)
{
    static const char *const builtins[][2] = {
        { "str", "string" }, { "int", "int" }, { "bool", "boolean" },
        { "number", "number" }, { "any", "value" }, { "null", "null" },
    };
    JsonArray *a = json_array_new();
    unsigned n;
    QmpCommandInfo *list = qmp_commands_list(&n);
    for (unsigned i = 0; i < n; i++) {
        char *argtype = g_strdup_printf("%s-arg", list[i].name);
        schema_add(a, list[i].name, "command");
        JsonObject *c = schema_last(a);
        json_object_set_string_member(c, "arg-type", argtype);
        json_object_set_string_member(c, "ret-type", "any");
        schema_add(a, argtype, "object");
        JsonObject *o = schema_last(a);
        JsonArray *members = json_array_new();
        char **spec = g_strsplit(list[i].args, " ", -1);
        for (unsigned k = 0; spec[k]; k++) {
            if (!*spec[k]) {
                continue;
            }
            bool optional = spec[k][0] == '?';
            char **nt = g_strsplit(spec[k] + optional, ":", 2);
            JsonObject *m = json_object_new();
            json_object_set_string_member(m, "name", nt[0]);
            json_object_set_string_member(m, "type",
                                          schema_type(nt[1] ? nt[1] : "any"));
            if (optional) {
                json_object_set_null_member(m, "default");
            }
            json_array_add_object_element(members, m);
            g_strfreev(nt);
        }
        g_strfreev(spec);
        json_object_set_array_member(o, "members", members);
        g_free(argtype);
    }
    g_free(list);
    schema_add(a, "q_empty", "object");
    json_object_set_array_member(schema_last(a), "members", json_array_new());
    for (unsigned i = 0; events[i]; i++) {
        schema_add(a, events[i], "event");
        json_object_set_string_member(schema_last(a), "arg-type", "q_empty");
    }
    for (unsigned i = 0; i < G_N_ELEMENTS(builtins); i++) {
        schema_add(a, builtins[i][0], "builtin");
        json_object_set_string_member(schema_last(a), "json-type",
                                      builtins[i][1]);
    }
    JsonNode *node = json_node_new(JSON_NODE_ARRAY);
    json_node_take_array(node, a);
    return node;
}

static JsonNode *qmp_human_monitor_command(JsonObject *args, Error **errp)
{
    GString *out = g_string_new(NULL);
    hmp_execute(json_object_get_string_member(args, "command-line"), out);
    JsonNode *n = json_node_new(JSON_NODE_VALUE);
    json_node_set_string(n, out->str);
    g_string_free(out, TRUE);
    return n;
}

void qmp_register_commands(void)
{
    static bool done;
    if (done) {
        return;
    }
    done = true;
    qmp_register_command("qmp_capabilities", qmp_capabilities,
                         "?enable:array", "object");
    qmp_register_command("query-version", qmp_query_version, "", "object");
    qmp_register_command("query-commands", qmp_query_commands, "", "array");
    qmp_register_command("query-qmp-schema", qmp_query_qmp_schema, "",
                         "array");
    qmp_register_command("human-monitor-command", qmp_human_monitor_command,
                         "command-line:str ?cpu-index:int", "str");
    qmp_register_runstate_commands();
    qmp_register_machine_commands();
    qmp_register_qom_commands();
    qmp_register_net_commands();
}
