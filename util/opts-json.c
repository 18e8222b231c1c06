/*
 * QEMU's JSON form of -object, -netdev and -device ('{"type":"user",...}'),
 * read with json-glib into the same Opts as the key=value form.
 */
#include <glib.h>
#include <json-glib/json-glib.h>
#include <stdio.h>
#include <string.h>

#include "util/opts.h"

/* "<data>:1:15: Parse error: unexpected ..." -> "at line 1, column 15: ..." */
static char *json_error_text(const char *msg)
{
    unsigned line, col;
    int used = 0;
    if (sscanf(msg, "<data>:%u:%u: %n", &line, &col, &used) == 2 && used) {
        const char *rest = msg + used;
        if (g_str_has_prefix(rest, "Parse error: ")) {
            rest += strlen("Parse error: ");
        }
        return g_strdup_printf("at line %u, column %u: %s", line, col, rest);
    }
    return g_strdup(msg);
}

/* A member's value as the key=value form would have written it. */
static char *json_value_text(JsonNode *node)
{
    if (JSON_NODE_TYPE(node) != JSON_NODE_VALUE) {
        return NULL;
    }
    GType t = json_node_get_value_type(node);
    if (t == G_TYPE_STRING) {
        return g_strdup(json_node_get_string(node));
    }
    if (t == G_TYPE_BOOLEAN) {
        return g_strdup(json_node_get_boolean(node) ? "on" : "off");
    }
    if (t == G_TYPE_INT64) {
        return g_strdup_printf("%" G_GINT64_FORMAT, json_node_get_int(node));
    }
    if (t == G_TYPE_DOUBLE) {
        char buf[G_ASCII_DTOSTR_BUF_SIZE];
        return g_strdup(g_ascii_dtostr(buf, sizeof(buf),
                                       json_node_get_double(node)));
    }
    return NULL;
}

/*
 * The members of obj as entries ("prefix" + name).  tree: an object value
 * is its members under "name." and null is "" (-blockdev's form).
 */
static bool json_add_members(const Opts *opts, JsonObject *obj,
                             const char *prefix, bool tree, GArray *entries,
                             Error **errp)
{
    GList *members = json_object_get_members(obj);
    bool ok = true;
    for (GList *m = members; m && ok; m = m->next) {
        const char *name = m->data;
        JsonNode *node = json_object_get_member(obj, name);
        if (!*name) {
            opts_error(opts, errp, "empty parameter name");
            ok = false;
            break;
        }
        char *key = g_strconcat(prefix, name, NULL);
        if (tree && JSON_NODE_TYPE(node) == JSON_NODE_OBJECT) {
            char *sub = g_strconcat(key, ".", NULL);
            ok = json_add_members(opts, json_node_get_object(node), sub, tree,
                                  entries, errp);
            g_free(sub);
            g_free(key);
            continue;
        }
        /* A list (hostfwd=[{"str": "..."}, ...]) is the key repeated. */
        JsonArray *list = JSON_NODE_TYPE(node) == JSON_NODE_ARRAY ?
                          json_node_get_array(node) : NULL;
        unsigned n = list ? json_array_get_length(list) : 1;
        for (unsigned i = 0; i < n; i++) {
            JsonNode *v = list ? json_array_get_element(list, i) : node;
            if (JSON_NODE_TYPE(v) == JSON_NODE_OBJECT &&
                json_object_get_size(json_node_get_object(v)) == 1 &&
                json_object_has_member(json_node_get_object(v), "str")) {
                v = json_object_get_member(json_node_get_object(v), "str");
            }
            char *value = tree && JSON_NODE_TYPE(v) == JSON_NODE_NULL ?
                          g_strdup("") : json_value_text(v);
            if (!value) {
                opts_error(opts, errp, "the value of \"%s\" must be a "
                           "string, number or boolean, or a list of them "
                           "(vmu takes no other nested JSON values)", key);
                ok = false;
                break;
            }
            OptEntry e = { g_strdup(key), value };
            g_array_append_val(entries, e);
        }
        g_free(key);
    }
    g_list_free(members);
    return ok;
}

static Opts *json_parse(const char *option, const char *text, bool tree,
                        Error **errp)
{
    Opts *opts = g_new0(Opts, 1);
    opts->option = g_strdup(option);
    opts->text = g_strdup(text);
    JsonParser *parser = json_parser_new();
    GError *gerr = NULL;
    bool ok = false;

    if (!json_parser_load_from_data(parser, text, -1, &gerr)) {
        char *where = json_error_text(gerr->message);
        opts_error(opts, errp, "invalid JSON %s", where);
        g_free(where);
        g_error_free(gerr);
        goto out;
    }
    JsonNode *root = json_parser_get_root(parser);
    if (!root || JSON_NODE_TYPE(root) != JSON_NODE_OBJECT) {
        opts_error(opts, errp, "the JSON form is one object: {\"KEY\": "
                   "VALUE, ...}");
        goto out;
    }
    GArray *entries = g_array_new(FALSE, TRUE, sizeof(OptEntry));
    ok = json_add_members(opts, json_node_get_object(root), "", tree, entries,
                          errp);
    opts->n_entries = entries->len;
    opts->entries = (OptEntry *)g_array_free(entries, FALSE);
out:
    g_object_unref(parser);
    if (!ok) {
        opts_free(opts);
        return NULL;
    }
    return opts;
}

Opts *opts_parse_json(const char *option, const char *text, Error **errp)
{
    return json_parse(option, text, false, errp);
}

Opts *opts_parse_json_tree(const char *option, const char *text,
                           Error **errp)
{
    return json_parse(option, text, true, errp);
}
