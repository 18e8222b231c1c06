/*
 * The run state (system/runstate.c): -S, stop and cont, vm_stop from
 * another thread, the states only a reset leaves, -no-shutdown.  The
 * accelerator is a fake that counts pauses and resumes.
 */
#include <glib.h>
#include <string.h>

#include "system/accel.h"
#include "system/main-loop.h"
#include "system/reset.h"
#include "system/runstate.h"

static unsigned pauses, resumes;
static GPtrArray *changes;      /* "old>new" strings */

static void fake_pause(void)
{
    pauses++;
}

static bool fake_resume(Error **errp)
{
    resumes++;
    return true;
}

static const AccelOps fake_accel = {
    .name = "fake",
    .pause = fake_pause,
    .resume = fake_resume,
};

static void on_change(RunState old, RunState new_state, void *opaque)
{
    g_assert_true(bql_locked());
    g_ptr_array_add(changes, g_strdup_printf("%s>%s", runstate_name(old),
                                             runstate_name(new_state)));
}

static void start(bool paused, bool no_shutdown)
{
    static bool listening;
    if (!listening) {
        runstate_listener_add(on_change, NULL);
        listening = true;
    }
    g_ptr_array_set_size(changes, 0);
    runstate_init(paused, no_shutdown);
    pauses = resumes = 0;
}

static void assert_changes(const char *expected)
{
    char **got = g_new0(char *, changes->len + 1);
    for (guint i = 0; i < changes->len; i++) {
        got[i] = g_ptr_array_index(changes, i);
    }
    char *s = g_strjoinv(" ", got);
    g_assert_cmpstr(s, ==, expected);
    g_free(s);
    g_free(got);
}

/* Dispatch the main loop until the run state is s (bounded). */
static void wait_state(RunState s)
{
    gint64 end = g_get_monotonic_time() + 30 * G_USEC_PER_SEC;
    while (runstate_get() != s && g_get_monotonic_time() < end) {
        g_main_context_iteration(NULL, FALSE);
        g_usleep(1000);
    }
    g_assert_cmpstr(runstate_name(runstate_get()), ==, runstate_name(s));
}

static void test_start_paused(void)
{
    start(true, false);
    g_assert_cmpint(runstate_get(), ==, RUN_STATE_PRELAUNCH);
    g_assert_false(runstate_is_running());
    Error *err = NULL;
    g_assert_true(vm_resume(&err));
    g_assert_true(runstate_is_running());
    g_assert_cmpuint(resumes, ==, 1);
    /* cont while running: nothing to do, no error */
    g_assert_true(vm_resume(&err));
    g_assert_cmpuint(resumes, ==, 1);
    assert_changes("prelaunch>running");
}

static void test_stop_cont(void)
{
    start(false, false);
    g_assert_true(runstate_is_running());
    vm_stop(RUN_STATE_PAUSED);
    g_assert_cmpint(runstate_get(), ==, RUN_STATE_PAUSED);
    g_assert_cmpuint(pauses, ==, 1);
    /* a second reason only replaces the first: the vCPUs are stopped */
    vm_stop(RUN_STATE_IO_ERROR);
    g_assert_cmpuint(pauses, ==, 1);
    g_assert_true(vm_resume(NULL));
    assert_changes("running>paused paused>io-error io-error>running");
}

static gpointer stop_thread(gpointer opaque)
{
    vm_stop(RUN_STATE_IO_ERROR);
    return NULL;
}

static void test_stop_from_thread(void)
{
    start(false, false);
    GThread *t = g_thread_new("block", stop_thread, NULL);
    g_thread_join(t);
    /* the main loop stops the vCPUs, not the calling thread */
    g_assert_cmpuint(pauses, ==, 0);
    wait_state(RUN_STATE_IO_ERROR);
    g_assert_cmpuint(pauses, ==, 1);
    assert_changes("running>io-error");
    g_assert_true(vm_resume(NULL));
}

static void test_needs_reset(void)
{
    start(false, false);
    vm_stop(RUN_STATE_SHUTDOWN);
    g_assert_true(runstate_needs_reset());
    Error *err = NULL;
    g_assert_false(vm_resume(&err));
    g_assert_nonnull(strstr(error_get_pretty(err), "system_reset"));
    error_free(err);
    g_assert_cmpuint(resumes, ==, 0);
    reset_handlers_run();
    g_assert_cmpint(runstate_get(), ==, RUN_STATE_PRELAUNCH);
    g_assert_true(vm_resume(NULL));
    assert_changes("running>shutdown shutdown>prelaunch prelaunch>running");
}

static gpointer poweroff_thread(gpointer opaque)
{
    shutdown_request(SHUTDOWN_GUEST_POWEROFF, 0);
    return NULL;
}

static void test_no_shutdown(void)
{
    start(false, true);
    g_thread_join(g_thread_new("vcpu0", poweroff_thread, NULL));
    wait_state(RUN_STATE_SHUTDOWN);
    g_assert_false(shutdown_requested());
    g_assert_cmpuint(pauses, ==, 1);
    reset_handlers_run();
    g_assert_true(vm_resume(NULL));
    /* without -no-shutdown a poweroff ends the main loop */
    start(false, false);
    shutdown_request(SHUTDOWN_GUEST_POWEROFF, 0);
    g_assert_true(shutdown_requested());
    g_assert_cmpint(shutdown_cause_get(), ==, SHUTDOWN_GUEST_POWEROFF);
    g_assert_true(runstate_is_running());
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    main_loop_init();
    accel = &fake_accel;
    changes = g_ptr_array_new_with_free_func(g_free);
    g_test_add_func("/runstate/start-paused", test_start_paused);
    g_test_add_func("/runstate/stop-cont", test_stop_cont);
    g_test_add_func("/runstate/stop-from-thread", test_stop_from_thread);
    g_test_add_func("/runstate/needs-reset", test_needs_reset);
    g_test_add_func("/runstate/no-shutdown", test_no_shutdown);
    return g_test_run();
}
