/*
 * The monitors on the command line (-qmp, -qmp-pretty, -monitor, -mon):
 * each one's chardev (a SPEC becomes a -chardev of its own), the session
 * it runs on it (QMP or HMP), and events to every QMP client.
 */
#include <errno.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "monitor-internal.h"
#include "system/main-loop.h"
#include "system/options.h"
#include "util/trace.h"

GPtrArray *monitors;
static unsigned spec_count;

static const OptDesc mon_desc[] = {
    { "chardev", OPT_STRING, "the chardev the monitor runs on" },
    { "mode", OPT_STRING, "control (QMP) or readline (HMP, the default)" },
    { "pretty", OPT_BOOL, "QMP: indented JSON" },
    { "id", OPT_STRING, "a name (unused)" },
    { 0 },
};

static Monitor *monitor_new(const char *chardev_id, bool qmp, bool pretty)
{
    if (!monitors) {
        monitors = g_ptr_array_new();
    }
    Monitor *m = g_new0(Monitor, 1);
    m->chardev_id = g_strdup(chardev_id);
    m->qmp = qmp;
    m->pretty = pretty;
    g_ptr_array_add(monitors, m);
    return m;
}

/* -qmp/-monitor SPEC: the spellings -serial takes, bar mon: and file:. */
static bool monitor_spec_add(const char *option, const char *spec, bool qmp,
                             bool pretty, Error **errp)
{
    static const char *const prefixes[] = { "unix:", "tcp:", "telnet:",
                                            "chardev:" };
    bool ok = !strcmp(spec, "stdio") || !strcmp(spec, "null") ||
              !strcmp(spec, "pty");
    for (unsigned i = 0; !ok && i < G_N_ELEMENTS(prefixes); i++) {
        ok = g_str_has_prefix(spec, prefixes[i]) &&
             spec[strlen(prefixes[i])];
    }
    if (!ok) {
        error_setg(errp, "-%s %s: use unix:PATH[,server=on,wait=off], "
                   "tcp:[HOST]:PORT[,server=on,wait=off], telnet:..., stdio, "
                   "pty, null, chardev:ID or none", option, spec);
        return false;
    }
    char *id = g_strdup_printf("compat_monitor%u", spec_count++);
    const char *chr = NULL;
    char *text = chardev_serial_opts(spec, id, &chr, errp);
    if (!chr) {
        g_free(id);
        error_prepend(errp, "-%s: ", option);
        return false;
    }
    if (text) {
        Opts *o = opts_parse(option[0] == 'q' ? "-qmp" : "-monitor", text,
                             "backend", errp);
        g_free(text);
        if (!o) {
            g_free(id);
            return false;
        }
        g_free(o->text);
        o->text = g_strdup(spec);
        g_ptr_array_add(options_lists()[TYPE_KIND_CHARDEV], o);
    }
    monitor_new(chr, qmp, pretty);
    g_free(id);
    return true;
}

static bool options_given;

bool monitor_options_given(void)
{
    return options_given;
}

bool monitor_option_add(const char *option, const char *value, Error **errp)
{
    options_given = true;
    if (*option == '-') {
        option++;
    }
    if (!strcmp(option, "mon")) {
        Opts *o = opts_parse("-mon", value, "chardev", errp);
        if (!o) {
            return false;
        }
        const char *chr = opts_get(o, "chardev");
        const char *mode = opts_get_str(o, "mode", "readline");
        bool ok = opts_validate(o, "-mon", mon_desc, NULL, errp);
        if (ok && (!chr || !*chr)) {
            opts_error(o, errp, "give the monitor's chardev=ID");
            ok = false;
        }
        if (ok && strcmp(mode, "control") && strcmp(mode, "readline")) {
            opts_error(o, errp, "mode=%s: use mode=control (QMP) or "
                       "mode=readline (HMP)", mode);
            ok = false;
        }
        if (ok) {
            monitor_new(chr, !strcmp(mode, "control"),
                        opts_get_bool(o, "pretty", false));
        }
        opts_free(o);
        return ok;
    }
    bool qmp = g_str_has_prefix(option, "qmp");
    if (!strcmp(value, "none")) {
        return true;
    }
    return monitor_spec_add(option, value, qmp, !strcmp(option, "qmp-pretty"),
                            errp);
}

bool monitor_check(Error **errp)
{
    for (unsigned i = 0; monitors && i < monitors->len; i++) {
        Monitor *m = g_ptr_array_index(monitors, i);
        if (!options_find(TYPE_KIND_CHARDEV, m->chardev_id)) {
            error_setg(errp, "-mon chardev=%s: there is no -chardev with that "
                       "id; add -chardev socket,id=%s,path=PATH,server=on,"
                       "wait=off", m->chardev_id, m->chardev_id);
            return false;
        }
        for (unsigned k = 0; k < i; k++) {
            Monitor *o = g_ptr_array_index(monitors, k);
            if (!strcmp(o->chardev_id, m->chardev_id)) {
                error_setg(errp, "chardev '%s' has two monitors; give each "
                           "monitor its own chardev", m->chardev_id);
                return false;
            }
        }
    }
    return true;
}

static void monitor_out_reset(Monitor *m)
{
    if (m->out_watch) {
        g_source_remove(m->out_watch);
        m->out_watch = 0;
    }
    if (m->out) {
        g_byte_array_set_size(m->out, 0);
    }
}

/* Send what the socket takes now; false: the connection broke. */
static bool monitor_flush(Monitor *m)
{
    int fd = chardev_get_fd(m->chr);
    while (fd >= 0 && m->out->len) {
        ssize_t n = send(fd, m->out->data, m->out->len,
                         MSG_DONTWAIT | MSG_NOSIGNAL);
        if (n < 0) {
            return errno == EAGAIN || errno == EINTR;
        }
        g_byte_array_remove_range(m->out, 0, n);
    }
    return true;
}

static gboolean monitor_writable(int fd, GIOCondition cond, void *opaque)
{
    Monitor *m = opaque;
    if (!monitor_flush(m)) {
        m->out_watch = 0;
        monitor_out_reset(m);
        return G_SOURCE_REMOVE;     /* the read side sees the hang-up */
    }
    if (!m->out->len) {
        m->out_watch = 0;
        return G_SOURCE_REMOVE;
    }
    return G_SOURCE_CONTINUE;
}

void monitor_write(Monitor *m, const void *buf, size_t len)
{
    int fd = chardev_get_fd(m->chr);
    if (fd < 0) {
        chardev_write(m->chr, buf, len);    /* stdio, pty: buffered there */
        return;
    }
    if (!m->out) {
        m->out = g_byte_array_new();
    }
    if (m->out->len + len > MONITOR_OUT_MAX) {
        error_report_ratelimited(&m->out_rl, "monitor on chardev '%s': the "
                                 "client has not read %u bytes of replies "
                                 "and events; disconnecting it",
                                 m->chardev_id, m->out->len);
        monitor_out_reset(m);
        chardev_disconnect(m->chr);
        return;
    }
    g_byte_array_append(m->out, buf, len);
    if (!m->out_watch) {
        if (!monitor_flush(m)) {
            monitor_out_reset(m);
        } else if (m->out->len) {
            m->out_watch = main_loop_add_fd(fd, G_IO_OUT, monitor_writable,
                                            m);
        }
    }
}

static void monitor_read(void *opaque, const uint8_t *buf, size_t len)
{
    Monitor *m = opaque;
    if (m->qmp) {
        qmp_session_input(m, buf, len);
    } else {
        hmp_session_input(m, buf, len);
    }
}

static void monitor_chr_event(void *opaque, ChrEvent event)
{
    Monitor *m = opaque;
    monitor_out_reset(m);
    if (event == CHR_EVENT_OPENED) {
        if (m->qmp) {
            qmp_session_opened(m);
        } else {
            hmp_session_opened(m);
        }
    } else if (m->qmp) {
        qmp_session_closed(m);
    } else if (m->line) {
        g_string_truncate(m->line, 0);
    }
}

static const ChardevHandlers monitor_handlers = {
    .read = monitor_read,
    .event = monitor_chr_event,
};

void monitor_event(const char *name, JsonNode *data)
{
    for (unsigned i = 0; monitors && i < monitors->len; i++) {
        Monitor *m = g_ptr_array_index(monitors, i);
        if (!m->qmp || !m->negotiated || !m->chr || !m->chr->connected) {
            continue;
        }
        gint64 now = g_get_real_time();
        JsonObject *ts = json_object_new();
        json_object_set_int_member(ts, "seconds", now / G_USEC_PER_SEC);
        json_object_set_int_member(ts, "microseconds", now % G_USEC_PER_SEC);
        JsonObject *ev = json_object_new();
        json_object_set_object_member(ev, "timestamp", ts);
        json_object_set_string_member(ev, "event", name);
        if (data) {
            json_object_set_member(ev, "data", json_node_copy(data));
        }
        qmp_send(m, json_obj_node(ev));
    }
    trace(qmp_event, "%s", name);
    if (data) {
        json_node_unref(data);
    }
}


/* -serial mon:stdio made a monitor's side of the terminal: an HMP on it. */
static void monitor_mux_add(Chardev *chr, void *opaque)
{
    if (!strcmp(chr->type, "mux-monitor") && !chr->owner) {
        monitor_new(chr->id, false, false);
    }
}

bool monitors_create(Error **errp)
{
    qmp_register_commands();
    chardev_foreach(monitor_mux_add, NULL);
    for (unsigned i = 0; monitors && i < monitors->len; i++) {
        Monitor *m = g_ptr_array_index(monitors, i);
        m->chr = chardev_find(m->chardev_id);
        if (!m->chr && g_str_has_prefix(m->chardev_id, "compat_monitor")) {
            m->chr = chardev_stdio();   /* made earlier for another user */
        }
        if (!m->chr) {
            error_setg(errp, "monitor: chardev '%s' was not created",
                       m->chardev_id);
            return false;
        }
        m->owner = g_strdup_printf("%s monitor", m->qmp ? "a QMP" : "an HMP");
        if (!chardev_claim(m->chr, m->owner, errp)) {
            error_prepend(errp, "monitor on chardev '%s': ", m->chardev_id);
            return false;
        }
        m->echo = !m->qmp && (!strcmp(m->chr->type, "stdio") ||
                              !strcmp(m->chr->type, "mux-monitor")) &&
                  isatty(0);
        chardev_set_handlers(m->chr, &monitor_handlers, m);
    }
    return true;
}
