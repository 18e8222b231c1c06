/*
 * Shared between the files of monitor/: a monitor on its chardev, the QMP
 * session (qmp.c), the command table (qmp-dispatch.c), HMP (hmp.c).
 */
#ifndef VMU_MONITOR_INTERNAL_H
#define VMU_MONITOR_INTERNAL_H

#include <glib.h>
#include <json-glib/json-glib.h>
#include <stdbool.h>
#include <stdint.h>

#include "chardev/char.h"
#include "monitor/monitor.h"

/* One request's bytes and JSON nesting at most (more gets one error). */
#define QMP_REQUEST_MAX     (1024 * 1024)
#define QMP_NESTING_MAX     64
/* One HMP line at most. */
#define HMP_LINE_MAX        4096

typedef struct QmpStream {
    GString *buf;
    unsigned depth;
    bool started, scalar, in_string, escape;
    bool too_big, too_deep;
} QmpStream;

typedef struct Monitor {
    char *chardev_id;
    Chardev *chr;
    char *owner;                /* "monitor mon0": the chardev's owner */
    bool qmp;                   /* else HMP */
    bool pretty;
    /* QMP */
    bool negotiated;
    QmpStream in;
    /* HMP */
    GString *line;
    bool echo;
    int esc;                    /* inside an escape sequence (arrow keys) */
} Monitor;

/* Every monitor, in the order of the command line. */
extern GPtrArray *monitors;

void qmp_session_opened(Monitor *m);
void qmp_session_closed(Monitor *m);
void qmp_session_input(Monitor *m, const uint8_t *buf, size_t len);
/* One JSON value to the client, with "\r\n"; takes node. */
void qmp_send(Monitor *m, JsonNode *node);

/* {"qemu": {major, minor, micro}, "package": "vmu X.Y.Z"} */
JsonObject *qmp_version_object(void);

/* qmp-dispatch.c: a request object's reply (id echoed); NULL: none. */
JsonNode *qmp_dispatch(Monitor *m, JsonNode *req);
/* The reply {"error": {"class", "desc"}} for err (freed), with id. */
JsonNode *qmp_error_reply(Error *err, JsonNode *id);
/* Run one command outside a session (HMP); NULL: {} or error. */
JsonNode *qmp_call(const char *name, JsonObject *args, Error **errp);

typedef struct QmpCommandInfo {
    const char *name;
    const char *args;
    const char *ret;
} QmpCommandInfo;
/* The registered commands, sorted by name (g_free the array). */
QmpCommandInfo *qmp_commands_list(unsigned *n);

/* The command table's parts (qmp-cmds-*.c); once, from monitors_create. */
void qmp_register_commands(void);
void qmp_register_runstate_commands(void);
void qmp_register_machine_commands(void);
void qmp_register_qom_commands(void);
void qmp_register_net_commands(void);

/* qmp-cmds-net.c: a netdev id, or the id of the NIC on one. */
struct NetClientState *monitor_net_find(const char *name);

/* hmp.c */
void hmp_session_opened(Monitor *m);
void hmp_session_input(Monitor *m, const uint8_t *buf, size_t len);
/* One HMP command line; its output goes to out. */
void hmp_execute(const char *line, GString *out);

/* Small builders for command results. */
JsonNode *json_obj_node(JsonObject *o);     /* takes o */
JsonObject *json_obj_new(void);

#endif
