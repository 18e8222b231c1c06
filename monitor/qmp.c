/*
 * A QMP session on one chardev: the greeting, the byte stream cut into
 * JSON values (bounded in size and nesting, strings and escapes followed
 * so that braces inside strings do not count), each parsed with json-glib
 * and answered in order.  Bad input gets one error reply and the session
 * goes on; a client that disconnects leaves nothing behind.
 */
#include <stdio.h>
#include <string.h>

#include "monitor-internal.h"
#include "util/trace.h"

#ifndef VMU_VERSION
#define VMU_VERSION "0.0.0"
#endif

JsonObject *json_obj_new(void)
{
    return json_object_new();
}

JsonNode *json_obj_node(JsonObject *o)
{
    JsonNode *n = json_node_new(JSON_NODE_OBJECT);
    json_node_take_object(n, o);
    return n;
}

void qmp_send(Monitor *m, JsonNode *node)
{
    JsonGenerator *gen = json_generator_new();
    json_generator_set_root(gen, node);
    if (m->pretty) {
        json_generator_set_pretty(gen, TRUE);
        json_generator_set_indent(gen, 4);
    }
    gsize len;
    char *text = json_generator_to_data(gen, &len);
    trace(qmp_send, "%s: %s", m->chardev_id, text);
    chardev_write(m->chr, text, len);
    chardev_write(m->chr, "\r\n", 2);
    g_free(text);
    g_object_unref(gen);
    json_node_unref(node);
}

/* The QEMU version libvirt accepts (4.2 or later), vmu's own in package:
 * the greeting's and query-version's. */
JsonObject *qmp_version_object(void)
{
    JsonObject *qemu = json_object_new();
    json_object_set_int_member(qemu, "micro", 0);
    json_object_set_int_member(qemu, "minor", 2);
    json_object_set_int_member(qemu, "major", 7);
    JsonObject *version = json_object_new();
    json_object_set_object_member(version, "qemu", qemu);
    json_object_set_string_member(version, "package", "vmu " VMU_VERSION);
    return version;
}

static JsonNode *qmp_greeting(void)
{
    JsonObject *qmp = json_object_new();
    json_object_set_object_member(qmp, "version", qmp_version_object());
    json_object_set_array_member(qmp, "capabilities", json_array_new());
    JsonObject *root = json_object_new();
    json_object_set_object_member(root, "QMP", qmp);
    return json_obj_node(root);
}

static void stream_reset(QmpStream *s)
{
    if (!s->buf) {
        s->buf = g_string_new(NULL);
    }
    g_string_truncate(s->buf, 0);
    s->depth = 0;
    s->started = s->scalar = s->in_string = s->escape = false;
    s->too_big = s->too_deep = false;
}

void qmp_session_opened(Monitor *m)
{
    m->negotiated = false;
    stream_reset(&m->in);
    trace(qmp_open, "%s", m->chardev_id);
    qmp_send(m, qmp_greeting());
}

void qmp_session_closed(Monitor *m)
{
    /* A request cut short is dropped with the connection. */
    trace(qmp_close, "%s (%zu bytes of a request unread)", m->chardev_id,
          m->in.buf ? m->in.buf->len : 0);
    m->negotiated = false;
    stream_reset(&m->in);
}

static void qmp_send_error(Monitor *m, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
static void qmp_send_error(Monitor *m, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    char *msg = g_strdup_vprintf(fmt, ap);
    va_end(ap);
    Error *err = NULL;
    error_setg(&err, "%s", msg);
    g_free(msg);
    qmp_send(m, qmp_error_reply(err, NULL));
}

/* A whole top-level value has been read. */
static void qmp_handle_value(Monitor *m)
{
    QmpStream *s = &m->in;
    if (s->too_big) {
        trace(qmp_input_refused, "%s: over %u bytes", m->chardev_id,
              QMP_REQUEST_MAX);
        qmp_send_error(m, "JSON parse error: a request is limited to %u "
                       "bytes; this one was longer and is ignored",
                       QMP_REQUEST_MAX);
        return;
    }
    if (s->too_deep) {
        trace(qmp_input_refused, "%s: nested deeper than %u", m->chardev_id,
              QMP_NESTING_MAX);
        qmp_send_error(m, "JSON parse error: nesting is limited to %u "
                       "levels; this request was deeper and is ignored",
                       QMP_NESTING_MAX);
        return;
    }
    trace(qmp_recv, "%s: %s", m->chardev_id, s->buf->str);
    JsonParser *parser = json_parser_new_immutable();
    GError *gerr = NULL;
    if (!json_parser_load_from_data(parser, s->buf->str, s->buf->len,
                                    &gerr)) {
        /* "<data>:1:7: Parse error: unexpected ..." */
        unsigned line, col;
        int used = 0;
        const char *msg = gerr->message;
        if (sscanf(msg, "<data>:%u:%u: %n", &line, &col, &used) == 2 &&
            used) {
            msg += used;
            if (g_str_has_prefix(msg, "Parse error: ")) {
                msg += strlen("Parse error: ");
            }
            qmp_send_error(m, "JSON parse error at line %u, column %u: %s",
                           line, col, msg);
        } else {
            qmp_send_error(m, "JSON parse error: %s", msg);
        }
        g_error_free(gerr);
        g_object_unref(parser);
        return;
    }
    JsonNode *root = json_parser_get_root(parser);
    if (root) {
        JsonNode *reply = qmp_dispatch(m, root);
        if (reply) {
            qmp_send(m, reply);
        }
    }
    g_object_unref(parser);
}

static void qmp_value_done(Monitor *m)
{
    qmp_handle_value(m);
    stream_reset(&m->in);
}

static void stream_append(QmpStream *s, char c)
{
    if (s->too_big || s->too_deep) {
        return;     /* followed to its end, not kept */
    }
    if (s->buf->len >= QMP_REQUEST_MAX) {
        s->too_big = true;
        g_string_truncate(s->buf, 0);
        return;
    }
    g_string_append_c(s->buf, c);
}

void qmp_session_input(Monitor *m, const uint8_t *data, size_t len)
{
    QmpStream *s = &m->in;
    if (!s->buf) {
        stream_reset(s);
    }
    for (size_t i = 0; i < len; i++) {
        char c = (char)data[i];
        bool space = c == ' ' || c == '\t' || c == '\r' || c == '\n';
        if (!s->started) {
            if (space) {
                continue;
            }
            s->started = true;
            s->scalar = c != '{' && c != '[';
        }
        if (s->in_string) {
            stream_append(s, c);
            if (s->escape) {
                s->escape = false;
            } else if (c == '\\') {
                s->escape = true;
            } else if (c == '"') {
                s->in_string = false;
            }
            continue;
        }
        if (s->scalar) {
            /* A top-level scalar or garbage: it ends at a space or a
             * bracket, which starts the next value. */
            if (space || c == '{' || c == '[') {
                qmp_value_done(m);
                i--;
                continue;
            }
            if (c == '"') {
                s->in_string = true;
            }
            stream_append(s, c);
            continue;
        }
        stream_append(s, c);
        if (c == '"') {
            s->in_string = true;
        } else if (c == '{' || c == '[') {
            if (++s->depth > QMP_NESTING_MAX && !s->too_deep) {
                s->too_deep = true;
                g_string_truncate(s->buf, 0);
            }
        } else if (c == '}' || c == ']') {
            if (--s->depth == 0) {
                qmp_value_done(m);
            }
        }
    }
    /* A scalar at the very end of the input waits for its end. */
}
