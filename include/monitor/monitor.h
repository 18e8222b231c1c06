/*
 * The monitors: QMP (-qmp, -qmp-pretty, -mon mode=control) and HMP
 * (-monitor, -mon mode=readline) on chardevs, one command table behind
 * both, and the events QMP clients receive.
 */
#ifndef VMU_MONITOR_MONITOR_H
#define VMU_MONITOR_MONITOR_H

#include <json-glib/json-glib.h>
#include <stdbool.h>

#include "util/error.h"

/*
 * Phase 1 (system/main.c): -qmp SPEC, -qmp-pretty SPEC, -monitor SPEC and
 * -mon chardev=ID[,mode=control|readline][,pretty=on]; a SPEC adds its own
 * -chardev.  Nothing is created yet.
 */
bool monitor_option_add(const char *option, const char *value, Error **errp);
/* Was any of them given (-monitor none too)?  -nographic's default. */
bool monitor_options_given(void);
/* Phase 1, after every -chardev is known: each -mon names one. */
bool monitor_check(Error **errp);
/* After the chardevs are created: claim them; clients get the greeting. */
bool monitors_create(Error **errp);

/*
 * An event to every QMP client past negotiation: {"event": NAME, "data":
 * DATA, "timestamp": ...}.  data is an object node or NULL; taken.
 * Main loop only.
 */
void monitor_event(const char *name, JsonNode *data);

/*
 * A QMP command: args is the "arguments" object (never NULL), already
 * checked against the command's argument list.  Return the result (NULL
 * means {}) or set errp (error_set() for a class other than GenericError).
 * Runs on the main loop with the machine lock held.
 */
typedef JsonNode *QmpCommandFn(JsonObject *args, Error **errp);

/*
 * args: the arguments, space-separated "name:type", a '?' in front of
 * an optional one; types: str, int, bool, number, any, object, array.
 * ret: the return type for query-qmp-schema ("object", "array", ...).
 * Registering a name again replaces the command.  Any time before the
 * main loop runs (a type_init constructor is fine).
 */
void qmp_register_command(const char *name, QmpCommandFn *fn,
                          const char *args, const char *ret);
/* Is name registered?  (The monitor's stubs give way to real commands.) */
bool qmp_has_command(const char *name);

#endif
