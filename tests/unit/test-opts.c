/*
 * The key=value parser and its typed checks: QEMU's rules, every error.
 */
#include <glib.h>
#include <string.h>

#include "util/opts.h"

static Opts *parse(const char *text, const char *implied)
{
    Error *err = NULL;
    Opts *o = opts_parse("-netdev", text, implied, &err);
    g_assert_null(err);
    g_assert_nonnull(o);
    return o;
}

static char *parse_error(const char *text, const char *implied)
{
    Error *err = NULL;
    Opts *o = opts_parse("-netdev", text, implied, &err);
    g_assert_null(o);
    g_assert_nonnull(err);
    char *msg = g_strdup(error_get_pretty(err));
    error_free(err);
    return msg;
}

static void test_basic(void)
{
    Opts *o = parse("vhost-user,id=net0,chardev=c0", "type");
    g_assert_cmpuint(o->n_entries, ==, 3);
    g_assert_cmpstr(opts_get(o, "type"), ==, "vhost-user");
    g_assert_cmpstr(opts_get(o, "id"), ==, "net0");
    g_assert_cmpstr(opts_get(o, "chardev"), ==, "c0");
    g_assert_null(opts_get(o, "queues"));
    opts_free(o);
}

static void test_explicit_type(void)
{
    /* The original vhost-user spelling: type= given, no implied value. */
    Opts *o = parse("type=vhost-user,id=net0,file=/tmp/sock", "type");
    g_assert_cmpstr(opts_get(o, "type"), ==, "vhost-user");
    g_assert_cmpstr(opts_get(o, "file"), ==, "/tmp/sock");
    opts_free(o);
}

static void test_escape(void)
{
    Opts *o = parse("socket,id=c,path=/tmp/a,,b,,,,c", "backend");
    g_assert_cmpstr(opts_get(o, "path"), ==, "/tmp/a,b,,c");
    opts_free(o);
    /* The implied value is unescaped too. */
    o = parse("/dev/hugepages/a,,b,share=on", "path");
    g_assert_cmpstr(opts_get(o, "path"), ==, "/dev/hugepages/a,b");
    g_assert_true(opts_get_bool(o, "share", false));
    opts_free(o);
}

static void test_last_wins(void)
{
    Opts *o = parse("user,id=a,id=b", "type");
    g_assert_cmpstr(opts_get(o, "id"), ==, "b");
    opts_free(o);
}

static void test_bare_keys(void)
{
    Opts *o = parse("socket,id=c,path=p,server,nowait", "backend");
    g_assert_cmpstr(opts_get(o, "server"), ==, "on");
    g_assert_cmpstr(opts_get(o, "wait"), ==, "off");
    g_assert_true(opts_get_bool(o, "server", false));
    g_assert_false(opts_get_bool(o, "wait", true));
    opts_free(o);
}

static void test_escaped_implied(void)
{
    /* ",," escapes into the implied value too */
    Opts *o = parse("user,,x,id=a", "type");
    g_assert_cmpstr(opts_get(o, "type"), ==, "user,x");
    opts_free(o);
}

static void test_empty_value(void)
{
    Opts *o = parse("user,id=a,hostname=", "type");
    g_assert_cmpstr(opts_get(o, "hostname"), ==, "");
    opts_free(o);
}

static void test_trailing_comma(void)
{
    /* accepted, as QEMU does, with a warning on stderr */
    Opts *o = parse("user,id=a,", "type");
    g_assert_cmpuint(o->n_entries, ==, 2);
    g_assert_cmpstr(opts_get(o, "id"), ==, "a");
    opts_free(o);
}

static void test_json(void)
{
    Opts *o = parse("{\"type\":\"user\",\"id\":\"a\",\"restrict\":true,"
                    "\"mtu\":1500,\"hostfwd\":[\"tcp::1-:2\","
                    "{\"str\":\"tcp::3-:4\"}]}", "type");
    g_assert_cmpstr(opts_get(o, "type"), ==, "user");
    g_assert_cmpstr(opts_get(o, "restrict"), ==, "on");
    g_assert_cmpstr(opts_get(o, "mtu"), ==, "1500");
    g_assert_cmpuint(o->n_entries, ==, 6);
    g_assert_cmpstr(o->entries[4].value, ==, "tcp::1-:2");
    g_assert_cmpstr(o->entries[5].value, ==, "tcp::3-:4");
    opts_free(o);
}

static void test_errors(void)
{
    char *m = parse_error("{\"type\":\"user\" \"id\":\"a\"}", "type");
    g_assert_nonnull(strstr(m, "invalid JSON at line 1, column"));
    g_free(m);
    m = parse_error("user,=x", "type");
    g_assert_nonnull(strstr(m, "empty parameter name"));
    g_free(m);
    m = parse_error("=x", NULL);
    g_assert_nonnull(strstr(m, "empty parameter name"));
    g_free(m);
}

static void test_bools(void)
{
    const char *yes[] = { "on", "yes", "true", "y" };
    const char *no[] = { "off", "no", "false", "n" };
    bool b;
    for (unsigned i = 0; i < 4; i++) {
        g_assert_true(parse_bool(yes[i], &b) && b);
        g_assert_true(parse_bool(no[i], &b) && !b);
    }
    g_assert_false(parse_bool("On", &b));
    g_assert_false(parse_bool("1", &b));
    g_assert_false(parse_bool("", &b));
}

static void test_sizes(void)
{
    uint64_t v;
    g_assert_true(parse_size("4096", 1, &v) && v == 4096);
    g_assert_true(parse_size("512", 1 << 20, &v) && v == 512ULL << 20);
    g_assert_true(parse_size("1k", 1, &v) && v == 1024);
    g_assert_true(parse_size("2M", 1, &v) && v == 2ULL << 20);
    g_assert_true(parse_size("3G", 1 << 20, &v) && v == 3ULL << 30);
    g_assert_true(parse_size("1T", 1, &v) && v == 1ULL << 40);
    g_assert_true(parse_size("1.5G", 1, &v) && v == 3ULL << 29);
    g_assert_true(parse_size("0x1000", 1, &v) && v == 4096);
    g_assert_true(parse_size("8b", 1 << 20, &v) && v == 8);
    g_assert_false(parse_size("", 1, &v));
    g_assert_false(parse_size("G", 1, &v));
    g_assert_false(parse_size("-1", 1, &v));
    g_assert_false(parse_size("1X", 1, &v));
    g_assert_false(parse_size("1GB", 1, &v));
    g_assert_false(parse_size("1.3b", 1, &v));
    g_assert_false(parse_size("16E", 1, &v));
    g_assert_false(parse_size("0x", 1, &v));
}

static void test_uint(void)
{
    uint64_t v;
    g_assert_true(parse_uint("17", &v) && v == 17);
    g_assert_true(parse_uint("0x11", &v) && v == 17);
    g_assert_false(parse_uint("-1", &v));
    g_assert_false(parse_uint("1x", &v));
    g_assert_false(parse_uint("", &v));
    g_assert_false(parse_uint("99999999999999999999999", &v));
}

static const OptDesc desc[] = {
    { "chardev", OPT_STRING, "" },
    { "queues", OPT_NUMBER, "" },
    { "server", OPT_BOOL, "" },
    { "size", OPT_SIZE, "" },
    { 0 },
};
static const char *const common[] = { "type", "id", NULL };

static char *validate_error(const char *text)
{
    Opts *o = parse(text, "type");
    Error *err = NULL;
    g_assert_false(opts_validate(o, "netdev type 'vhost-user'", desc, common,
                                 &err));
    g_assert_nonnull(err);
    char *m = g_strdup(error_get_pretty(err));
    error_free(err);
    opts_free(o);
    return m;
}

static void test_validate(void)
{
    Opts *o = parse("vhost-user,id=n,chardev=c,queues=4,server=on,size=1G",
                    "type");
    Error *err = NULL;
    g_assert_true(opts_validate(o, "x", desc, common, &err));
    g_assert_cmpuint(opts_get_number(o, "queues", 1), ==, 4);
    g_assert_cmpuint(opts_get_size(o, "size", 0), ==, 1ULL << 30);
    g_assert_cmpuint(opts_get_number(o, "absent", 9), ==, 9);
    opts_free(o);

    char *m = validate_error("vhost-user,id=n,chardv=c");
    g_assert_nonnull(strstr(m, "has no parameter 'chardv'"));
    g_assert_nonnull(strstr(m, "did you mean 'chardev'"));
    g_assert_nonnull(strstr(m, "allowed: type, id, chardev, queues"));
    g_free(m);
    m = validate_error("vhost-user,id=n,bogus=1");
    g_assert_null(strstr(m, "did you mean"));
    g_free(m);
    m = validate_error("vhost-user,queues=many");
    g_assert_nonnull(strstr(m, "'queues' expects a non-negative integer, "
                            "not 'many'"));
    g_free(m);
    m = validate_error("vhost-user,server=maybe");
    g_assert_nonnull(strstr(m, "expects on or off"));
    g_free(m);
    m = validate_error("vhost-user,size=huge");
    g_assert_nonnull(strstr(m, "expects a size"));
    g_free(m);
    m = validate_error("vhost-user,queues");
    g_assert_nonnull(strstr(m, "needs a value"));
    g_free(m);
    /* noKEY only works for booleans */
    m = validate_error("vhost-user,noqueues");
    g_assert_nonnull(strstr(m, "no parameter 'noqueues'"));
    g_free(m);
}

static void test_did_you_mean(void)
{
    const char *c[] = { "virtio-net-pci", "isa-debug-exit", "vmu-testdev" };
    g_assert_cmpstr(did_you_mean("virtio-net", c, 3), ==, NULL);
    g_assert_cmpstr(did_you_mean("virtio-net-pcii", c, 3), ==,
                    "virtio-net-pci");
    g_assert_cmpstr(did_you_mean("isa-debugexit", c, 3), ==,
                    "isa-debug-exit");
    g_assert_null(did_you_mean("x", c, 3));
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    g_test_add_func("/opts/basic", test_basic);
    g_test_add_func("/opts/explicit-type", test_explicit_type);
    g_test_add_func("/opts/escape", test_escape);
    g_test_add_func("/opts/last-wins", test_last_wins);
    g_test_add_func("/opts/bare-keys", test_bare_keys);
    g_test_add_func("/opts/empty-value", test_empty_value);
    g_test_add_func("/opts/escaped-implied", test_escaped_implied);
    g_test_add_func("/opts/errors", test_errors);
    g_test_add_func("/opts/trailing-comma", test_trailing_comma);
    g_test_add_func("/opts/json", test_json);
    g_test_add_func("/opts/bools", test_bools);
    g_test_add_func("/opts/sizes", test_sizes);
    g_test_add_func("/opts/uint", test_uint);
    g_test_add_func("/opts/validate", test_validate);
    g_test_add_func("/opts/did-you-mean", test_did_you_mean);
    return g_test_run();
}
