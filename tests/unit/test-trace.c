/*
 * Trace patterns: globs, enable/disable order, events files, bad patterns.
 */
#include <glib.h>
#include <glib/gstdio.h>
#include <string.h>

#include "util/trace.h"

static int hits;

static void fire_a(void)
{
    trace(test_trace_alpha, "hit %d", ++hits);
}

static void fire_b(void)
{
    trace(test_trace_beta, "beta");
}

static void test_glob(void)
{
    g_assert_true(trace_glob_match("vhost_user_*", "vhost_user_send"));
    g_assert_true(trace_glob_match("*", "anything"));
    g_assert_true(trace_glob_match("*_send", "vhost_user_send"));
    g_assert_true(trace_glob_match("vhost_*_send", "vhost_user_send"));
    g_assert_true(trace_glob_match("kvm_?oeventfd*", "kvm_ioeventfd_add"));
    g_assert_true(trace_glob_match("a*b*c", "aXXbYYc"));
    g_assert_false(trace_glob_match("vhost_user_*", "vhost_kernel"));
    g_assert_false(trace_glob_match("a*b*c", "aXXbYY"));
    g_assert_false(trace_glob_match("abc", "abcd"));
    g_assert_true(trace_glob_match("", ""));
}

static void test_enable(void)
{
    Error *err = NULL;
    TraceEvent ev = { "test_trace_gamma", 0, false };
    g_assert_false(trace_event_enabled(&ev));
    g_assert_true(trace_enable_pattern("test_trace_*", &err));
    g_assert_true(trace_event_enabled(&ev));
    /* a later '-pattern' turns it off again */
    g_assert_true(trace_enable_pattern("-test_trace_gamma", &err));
    g_assert_false(trace_event_enabled(&ev));
    TraceEvent other = { "unrelated_event", 0, false };
    g_assert_false(trace_event_enabled(&other));
    g_assert_null(err);
}

static void test_bad_pattern(void)
{
    Error *err = NULL;
    g_assert_false(trace_enable_pattern("vhost user", &err));
    g_assert_nonnull(strstr(error_get_pretty(err), "invalid trace pattern"));
    error_free(err);
    err = NULL;
    g_assert_false(trace_parse_option("", &err));
    error_free(err);
    err = NULL;
    g_assert_false(trace_parse_option("events=/nonexistent/file", &err));
    g_assert_nonnull(strstr(error_get_pretty(err), "cannot read"));
    error_free(err);
}

static void test_events_file(void)
{
    Error *err = NULL;
    char *path = NULL;
    int fd = g_file_open_tmp("vmu-trace-XXXXXX", &path, NULL);
    g_assert_cmpint(fd, >=, 0);
    const char *text = "# comment\n\ntest_trace_beta\n";
    g_assert_cmpint(write(fd, text, strlen(text)), ==, (int)strlen(text));
    close(fd);
    char *arg = g_strdup_printf("events=%s", path);
    g_assert_true(trace_parse_option(arg, &err));
    g_free(arg);
    fire_b();
    g_unlink(path);
    g_free(path);

    fd = g_file_open_tmp("vmu-trace-XXXXXX", &path, NULL);
    text = "ok_name\nbad name\n";
    g_assert_cmpint(write(fd, text, strlen(text)), ==, (int)strlen(text));
    close(fd);
    g_assert_false(trace_enable_events_file(path, &err));
    g_assert_nonnull(strstr(error_get_pretty(err), "line 2"));
    error_free(err);
    g_unlink(path);
    g_free(path);
}

static void test_fire(void)
{
    Error *err = NULL;
    hits = 0;
    /* test_enable turned test_trace_* on: a later pattern turns it off */
    g_assert_true(trace_enable_pattern("-test_trace_alpha", &err));
    fire_a();
    g_assert_cmpint(hits, ==, 0);   /* off: arguments not evaluated */
    g_assert_true(trace_enable_pattern("test_trace_alpha", &err));
    fire_a();
    g_assert_cmpint(hits, ==, 1);
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    g_test_add_func("/trace/glob", test_glob);
    g_test_add_func("/trace/enable", test_enable);
    g_test_add_func("/trace/bad-pattern", test_bad_pattern);
    g_test_add_func("/trace/events-file", test_events_file);
    g_test_add_func("/trace/fire", test_fire);
    return g_test_run();
}
