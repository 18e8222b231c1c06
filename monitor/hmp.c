/*
 * HMP, the monitor a person types at (-monitor stdio|unix:|telnet:, -mon
 * mode=readline): a line editor (echo and backspace on a terminal) and
 * the commands, each a front-end to the QMP command of the same job.
 */
#include <stdio.h>
#include <string.h>

#include "monitor-internal.h"
#include "net/net.h"
#include "system/runstate.h"

#ifndef VMU_VERSION
#define VMU_VERSION "0.0.0"
#endif

#define HMP_PROMPT "(qemu) "

typedef struct HmpCommand {
    const char *name;
    const char *args;       /* for help */
    const char *help;
    void (*fn)(char **argv, GString *out);
} HmpCommand;

static void hmp_error(GString *out, Error *err)
{
    g_string_append_printf(out, "Error: %s\n", error_get_pretty(err));
    error_free(err);
}

/* Call a QMP command with no arguments; its result, or NULL (printed). */
static JsonNode *hmp_qmp(const char *name, JsonObject *args, GString *out)
{
    Error *err = NULL;
    JsonNode *ret = qmp_call(name, args, &err);
    if (err) {
        hmp_error(out, err);
        if (ret) {
            json_node_unref(ret);
        }
        return NULL;
    }
    return ret;
}

static void hmp_simple(const char *qmp, GString *out)
{
    JsonNode *ret = hmp_qmp(qmp, NULL, out);
    if (ret) {
        json_node_unref(ret);
    }
}

static void hmp_stop(char **argv, GString *out)
{
    hmp_simple("stop", out);
}

static void hmp_cont(char **argv, GString *out)
{
    hmp_simple("cont", out);
}

static void hmp_system_reset(char **argv, GString *out)
{
    hmp_simple("system_reset", out);
}

static void hmp_system_powerdown(char **argv, GString *out)
{
    hmp_simple("system_powerdown", out);
}

static void hmp_quit(char **argv, GString *out)
{
    hmp_simple("quit", out);
}

static void hmp_set_link(char **argv, GString *out)
{
    if (!argv[1] || !argv[2] || (strcmp(argv[2], "on") &&
                                 strcmp(argv[2], "off"))) {
        g_string_append(out, "usage: set_link NAME on|off\n");
        return;
    }
    JsonObject *args = json_object_new();
    json_object_set_string_member(args, "name", argv[1]);
    json_object_set_boolean_member(args, "up", !strcmp(argv[2], "on"));
    JsonNode *ret = hmp_qmp("set_link", args, out);
    json_object_unref(args);
    if (ret) {
        json_node_unref(ret);
    }
}

static void info_status(GString *out)
{
    RunState s = runstate_get();
    if (s == RUN_STATE_RUNNING) {
        g_string_append(out, "VM status: running\n");
    } else if (s == RUN_STATE_PAUSED) {
        g_string_append(out, "VM status: paused\n");
    } else {
        g_string_append_printf(out, "VM status: paused (%s)\n",
                               runstate_name(s));
    }
}

static void info_version(GString *out)
{
    g_string_append(out, "7.2.0 (vmu " VMU_VERSION ")\n");
}

static void info_chardev(GString *out)
{
    JsonNode *ret = hmp_qmp("query-chardev", NULL, out);
    if (!ret) {
        return;
    }
    JsonArray *a = json_node_get_array(ret);
    for (guint i = 0; i < json_array_get_length(a); i++) {
        JsonObject *c = json_array_get_object_element(a, i);
        g_string_append_printf(out, "%s: filename=%s\n",
                               json_object_get_string_member(c, "label"),
                               json_object_get_string_member(c, "filename"));
    }
    json_node_unref(ret);
}

static void info_cpus(GString *out)
{
    JsonNode *ret = hmp_qmp("query-cpus-fast", NULL, out);
    if (!ret) {
        return;
    }
    JsonArray *a = json_node_get_array(ret);
    for (guint i = 0; i < json_array_get_length(a); i++) {
        JsonObject *c = json_array_get_object_element(a, i);
        g_string_append_printf(out, "%c CPU #%" G_GINT64_FORMAT ": "
                               "thread_id=%" G_GINT64_FORMAT "\n",
                               i ? ' ' : '*',
                               json_object_get_int_member(c, "cpu-index"),
                               json_object_get_int_member(c, "thread-id"));
    }
    json_node_unref(ret);
}

static void info_pci(GString *out)
{
    JsonNode *ret = hmp_qmp("query-pci", NULL, out);
    if (!ret) {
        return;
    }
    JsonObject *bus = json_array_get_object_element(json_node_get_array(ret),
                                                    0);
    JsonArray *devs = json_object_get_array_member(bus, "devices");
    for (guint i = 0; i < json_array_get_length(devs); i++) {
        JsonObject *d = json_array_get_object_element(devs, i);
        JsonObject *id = json_object_get_object_member(d, "id");
        JsonObject *cls = json_object_get_object_member(d, "class_info");
        g_string_append_printf(out, "  Bus  0, device %2" G_GINT64_FORMAT
                               ", function %" G_GINT64_FORMAT ":\n"
                               "    class %04" G_GINT64_MODIFIER "x: PCI "
                               "device %04" G_GINT64_MODIFIER "x:%04"
                               G_GINT64_MODIFIER "x\n      id \"%s\"\n",
                               json_object_get_int_member(d, "slot"),
                               json_object_get_int_member(d, "function"),
                               json_object_get_int_member(cls, "class"),
                               json_object_get_int_member(id, "vendor"),
                               json_object_get_int_member(id, "device"),
                               json_object_get_string_member(d, "qdev_id"));
        JsonArray *regions = json_object_get_array_member(d, "regions");
        for (guint k = 0; k < json_array_get_length(regions); k++) {
            JsonObject *r = json_array_get_object_element(regions, k);
            gint64 addr = json_object_get_int_member(r, "address");
            char *at = addr < 0 ? g_strdup("not mapped") :
                g_strdup_printf("at 0x%" G_GINT64_MODIFIER "x", addr);
            g_string_append_printf(out, "      BAR%" G_GINT64_FORMAT ": %s "
                                   "%s [size 0x%" G_GINT64_MODIFIER "x]\n",
                                   json_object_get_int_member(r, "bar"),
                                   json_object_get_string_member(r, "type"),
                                   at, json_object_get_int_member(r, "size"));
            g_free(at);
        }
    }
    json_node_unref(ret);
}

static void info_block(GString *out)
{
    JsonNode *ret = hmp_qmp("query-block", NULL, out);
    if (!ret) {
        return;
    }
    JsonArray *a = json_node_get_array(ret);
    if (!json_array_get_length(a)) {
        g_string_append(out, "no block devices\n");
    }
    for (guint i = 0; i < json_array_get_length(a); i++) {
        JsonObject *b = json_array_get_object_element(a, i);
        g_string_append_printf(out, "%s\n", json_object_has_member(b, "device")
                               ? json_object_get_string_member(b, "device") :
                               "(unnamed)");
    }
    json_node_unref(ret);
}

static void net_line(NetClientState *nc, void *opaque)
{
    GString *out = opaque;
    g_string_append_printf(out, "%s: %s, link %s", nc->name, nc->label,
                           nc->link_down ? "down" : "up");
    if (nc->peer) {
        g_string_append_printf(out, "\n \\ %s", nc->peer->label);
    }
    g_string_append_c(out, '\n');
}

static void info_network(GString *out)
{
    net_foreach(net_line, out);
}

static const struct {
    const char *name;
    const char *help;
    void (*fn)(GString *out);
} infos[] = {
    { "status", "the VM's run state", info_status },
    { "version", "the version (QEMU's that vmu answers as, and vmu's)",
      info_version },
    { "chardev", "the character devices", info_chardev },
    { "cpus", "the vCPUs and their host thread ids", info_cpus },
    { "pci", "the PCI devices on bus 0", info_pci },
    { "network", "the netdevs, their NICs and link states", info_network },
    { "block", "the block devices", info_block },
};

static void hmp_info(char **argv, GString *out)
{
    for (unsigned i = 0; argv[1] && i < G_N_ELEMENTS(infos); i++) {
        if (!strcmp(argv[1], infos[i].name)) {
            infos[i].fn(out);
            return;
        }
    }
    if (argv[1]) {
        g_string_append_printf(out, "unknown info '%s'; ", argv[1]);
    }
    g_string_append(out, "info subcommands:\n");
    for (unsigned i = 0; i < G_N_ELEMENTS(infos); i++) {
        g_string_append_printf(out, "info %-8s -- %s\n", infos[i].name,
                               infos[i].help);
    }
}

static void hmp_help(char **argv, GString *out);

static const HmpCommand commands[] = {
    { "help", "[cmd]", "show the commands", hmp_help },
    { "info", "[subcommand]", "show the state of the machine", hmp_info },
    { "stop", "", "stop the vCPUs", hmp_stop },
    { "cont", "", "run the vCPUs again (also after -S)", hmp_cont },
    { "c", "", "same as cont", hmp_cont },
    { "system_reset", "", "reset the machine", hmp_system_reset },
    { "system_powerdown", "", "press the ACPI power button",
      hmp_system_powerdown },
    { "quit", "", "end vmu", hmp_quit },
    { "q", "", "same as quit", hmp_quit },
    { "set_link", "name on|off", "set a netdev's or NIC's link up or down",
      hmp_set_link },
};

static void hmp_help(char **argv, GString *out)
{
    for (unsigned i = 0; i < G_N_ELEMENTS(commands); i++) {
        if (argv[1] && strcmp(argv[1], commands[i].name)) {
            continue;
        }
        g_string_append_printf(out, "%s%s%s -- %s\n", commands[i].name,
                               *commands[i].args ? " " : "",
                               commands[i].args, commands[i].help);
    }
    if (!argv[1] || !strcmp(argv[1], "info")) {
        char *sub[] = { "info", NULL };
        hmp_info(sub, out);
    }
}

void hmp_execute(const char *line, GString *out)
{
    char **argv = g_strsplit_set(line, " \t", -1);
    /* drop the empty words of repeated spaces */
    unsigned n = 0;
    for (unsigned i = 0; argv[i]; i++) {
        if (*argv[i]) {
            argv[n++] = argv[i];
        } else {
            g_free(argv[i]);
        }
    }
    argv[n] = NULL;
    if (n) {
        const HmpCommand *c = NULL;
        for (unsigned i = 0; i < G_N_ELEMENTS(commands) && !c; i++) {
            if (!strcmp(argv[0], commands[i].name) ||
                (!strcmp(argv[0], "?") && !strcmp(commands[i].name, "help"))) {
                c = &commands[i];
            }
        }
        if (c) {
            c->fn(argv, out);
        } else {
            g_string_append_printf(out, "unknown command: '%s' (help lists "
                                   "them)\n", argv[0]);
        }
    }
    g_strfreev(argv);
}

static void hmp_write(Monitor *m, const char *text)
{
    /* A terminal in raw mode needs CR LF; one write for the whole text. */
    GString *out = g_string_sized_new(strlen(text) + 16);
    for (const char *p = text; *p; p++) {
        if (*p == '\n') {
            g_string_append(out, "\r\n");
        } else {
            g_string_append_c(out, *p);
        }
    }
    monitor_write(m, out->str, out->len);
    g_string_free(out, TRUE);
}

void hmp_session_opened(Monitor *m)
{
    if (!m->line) {
        m->line = g_string_new(NULL);
    }
    g_string_truncate(m->line, 0);
    m->esc = 0;
    hmp_write(m, "QEMU 7.2.0 monitor (vmu " VMU_VERSION ") - type 'help' "
              "for more information\n" HMP_PROMPT);
}

static void hmp_line_done(Monitor *m)
{
    GString *out = g_string_new(NULL);
    if (m->echo) {
        hmp_write(m, "\n");
    }
    hmp_execute(m->line->str, out);
    g_string_truncate(m->line, 0);
    hmp_write(m, out->str);
    hmp_write(m, HMP_PROMPT);
    g_string_free(out, TRUE);
}

void hmp_session_input(Monitor *m, const uint8_t *buf, size_t len)
{
    if (!m->line) {
        m->line = g_string_new(NULL);
    }
    for (size_t i = 0; i < len; i++) {
        uint8_t c = buf[i];
        if (m->esc) {
            /* ESC [ ... final byte: arrow keys and the like, ignored */
            if (m->esc == 1 && c != '[' && c != 'O') {
                m->esc = 0;
            } else if (m->esc > 1 && c >= 0x40 && c <= 0x7e) {
                m->esc = 0;
            } else {
                m->esc++;
            }
            continue;
        }
        if (c == 0x1b) {
            m->esc = 1;
        } else if (c == '\r' || c == '\n') {
            if (c == '\n' && i > 0 && buf[i - 1] == '\r') {
                continue;
            }
            hmp_line_done(m);
        } else if (c == 0x7f || c == 0x08) {
            if (m->line->len) {
                g_string_truncate(m->line, m->line->len - 1);
                if (m->echo) {
                    monitor_write(m, "\b \b", 3);
                }
            }
        } else if (c >= 0x20 && c < 0x7f && m->line->len < HMP_LINE_MAX) {
            g_string_append_c(m->line, c);
            if (m->echo) {
                monitor_write(m, &c, 1);
            }
        }
    }
}
