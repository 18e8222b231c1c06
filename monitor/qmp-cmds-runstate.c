/*
 * The VM's life from the monitor: stop, cont, system_reset,
 * system_powerdown, quit, query-status, and the events of the run state
 * (STOP, RESUME, RESET, POWERDOWN, SHUTDOWN with its reason).
 */
#include <string.h>

#include "hw/acpi/acpi.h"
#include "monitor-internal.h"
#include "system/main-loop.h"
#include "system/reset.h"
#include "system/runstate.h"

static const char qmp_reset_reason[] = "the monitor's system_reset";

static JsonNode *qmp_stop(JsonObject *args, Error **errp)
{
    vm_stop(RUN_STATE_PAUSED);
    return NULL;
}

static JsonNode *qmp_cont(JsonObject *args, Error **errp)
{
    vm_resume(errp);
    return NULL;
}

static JsonNode *qmp_system_reset(JsonObject *args, Error **errp)
{
    reset_request(qmp_reset_reason);
    return NULL;
}

static JsonNode *qmp_system_powerdown(JsonObject *args, Error **errp)
{
    if (piix4_pm_power_button(errp)) {
        monitor_event("POWERDOWN", NULL);
    }
    return NULL;
}

static JsonNode *qmp_quit(JsonObject *args, Error **errp)
{
    shutdown_request(SHUTDOWN_HOST_QMP_QUIT, 0);
    return NULL;
}

static JsonNode *qmp_query_status(JsonObject *args, Error **errp)
{
    JsonObject *o = json_object_new();
    json_object_set_boolean_member(o, "running", runstate_is_running());
    json_object_set_boolean_member(o, "singlestep", FALSE);
    json_object_set_string_member(o, "status", runstate_name(runstate_get()));
    return json_obj_node(o);
}

static JsonNode *shutdown_data(bool guest, const char *reason)
{
    JsonObject *o = json_object_new();
    json_object_set_boolean_member(o, "guest", guest);
    json_object_set_string_member(o, "reason", reason);
    return json_obj_node(o);
}

static void on_runstate(RunState old, RunState new_state, void *opaque)
{
    if (new_state == RUN_STATE_SHUTDOWN) {
        /* -no-shutdown: the guest powered off and the VM stays */
        monitor_event("SHUTDOWN", shutdown_data(true, "guest-shutdown"));
    }
    if (old == RUN_STATE_RUNNING) {
        monitor_event("STOP", NULL);
    } else if (new_state == RUN_STATE_RUNNING) {
        monitor_event("RESUME", NULL);
    }
}

static void on_reset(void *opaque)
{
    bool host = reset_reason() == qmp_reset_reason;
    monitor_event("RESET", shutdown_data(!host, host ?
                                         "host-qmp-system-reset" :
                                         "guest-reset"));
}

/* The main loop has ended: say why, before the chardevs close. */
static void on_exit_notify(void *opaque)
{
    static const struct {
        bool guest;
        const char *reason;
    } causes[] = {
        [SHUTDOWN_SIGNAL] = { false, "host-signal" },
        [SHUTDOWN_GUEST_EXIT] = { true, "guest-shutdown" },
        [SHUTDOWN_GUEST_POWEROFF] = { true, "guest-shutdown" },
        [SHUTDOWN_GUEST_RESET] = { true, "guest-reset" },
        [SHUTDOWN_ERROR] = { false, "host-error" },
        [SHUTDOWN_QTEST] = { false, "host-signal" },
        [SHUTDOWN_HOST_QMP_QUIT] = { false, "host-qmp-quit" },
    };
    ShutdownCause c = shutdown_cause_get();
    if (c == SHUTDOWN_NONE || (unsigned)c >= G_N_ELEMENTS(causes)) {
        return;     /* start-up failed: there was no guest */
    }
    monitor_event("SHUTDOWN", shutdown_data(causes[c].guest,
                                            causes[c].reason));
}

void qmp_register_runstate_commands(void)
{
    static ExitNotifier exit_n = { on_exit_notify, NULL, NULL };
    qmp_register_command("stop", qmp_stop, "", "object");
    qmp_register_command("cont", qmp_cont, "", "object");
    qmp_register_command("system_reset", qmp_system_reset, "", "object");
    qmp_register_command("system_powerdown", qmp_system_powerdown, "",
                         "object");
    qmp_register_command("quit", qmp_quit, "", "object");
    qmp_register_command("query-status", qmp_query_status, "", "object");
    runstate_listener_add(on_runstate, NULL);
    reset_handler_add(on_reset, NULL);
    exit_notifier_add(&exit_n);
}
