/*
 * The vhost-user message table against the protocol's facts.
 *
 * The lists below are an independent copy of the codes, names, payload
 * sizes and fd counts, written from the specification (QEMU's
 * docs/interop/vhost-user.rst, summarised in vhost-user-facts.md) and NOT
 * from include/net/vhost-user-proto.h: only plain numbers, no sizeof of
 * the header's structs, so a wrong struct or a wrong table line fails here.
 */
#include <glib.h>
#include <string.h>

#include "net/vhost-user-proto.h"

enum { NO_REPLY = -1 };

typedef struct Fact {
    uint32_t code;
    const char *name;
    uint32_t min, max;      /* request payload bytes ("none": 0) */
    int reply;              /* reply payload bytes, NO_REPLY: only an ack */
    unsigned fds;           /* fds the request may carry */
} Fact;

/*
 * Payloads, from the spec: u64 8; vring state {u32, u32} 8; vring address
 * {u32, u32, 4 x u64} 40; memory table {u32 nregions, u32 padding, 8 x
 * region {4 x u64}} 8 to 264; single region {u64 padding, region} 40;
 * log {u64 size, u64 offset} (a u64 alone in older front-ends) 8 or 16;
 * IOTLB {3 x u64, u8 perm, u8 type, 6 padding} 32; config {u32 offset,
 * u32 size, u32 flags, up to 256 bytes} 12 to 268; inflight {2 x u64,
 * 2 x u16, u32 padding} 24; vring area {3 x u64} 24.
 */
static const Fact frontend_facts[] = {
    { 1, "GET_FEATURES", 0, 0, 8, 0 },
    { 2, "SET_FEATURES", 8, 8, NO_REPLY, 0 },
    { 3, "SET_OWNER", 0, 0, NO_REPLY, 0 },
    { 4, "RESET_OWNER", 0, 0, NO_REPLY, 0 },
    { 5, "SET_MEM_TABLE", 8, 264, NO_REPLY, 8 },
    { 6, "SET_LOG_BASE", 8, 16, NO_REPLY, 1 },
    { 7, "SET_LOG_FD", 0, 0, NO_REPLY, 1 },
    { 8, "SET_VRING_NUM", 8, 8, NO_REPLY, 0 },
    { 9, "SET_VRING_ADDR", 40, 40, NO_REPLY, 0 },
    { 10, "SET_VRING_BASE", 8, 8, NO_REPLY, 0 },
    { 11, "GET_VRING_BASE", 8, 8, 8, 0 },
    { 12, "SET_VRING_KICK", 8, 8, NO_REPLY, 1 },
    { 13, "SET_VRING_CALL", 8, 8, NO_REPLY, 1 },
    { 14, "SET_VRING_ERR", 8, 8, NO_REPLY, 1 },
    { 15, "GET_PROTOCOL_FEATURES", 0, 0, 8, 0 },
    { 16, "SET_PROTOCOL_FEATURES", 8, 8, NO_REPLY, 0 },
    { 17, "GET_QUEUE_NUM", 0, 0, 8, 0 },
    { 18, "SET_VRING_ENABLE", 8, 8, NO_REPLY, 0 },
    { 19, "SEND_RARP", 8, 8, NO_REPLY, 0 },
    { 20, "NET_SET_MTU", 8, 8, NO_REPLY, 0 },
    { 21, "SET_BACKEND_REQ_FD", 0, 0, NO_REPLY, 1 },
    { 22, "IOTLB_MSG", 32, 32, 8, 0 },
    { 23, "SET_VRING_ENDIAN", 8, 8, NO_REPLY, 0 },
    { 24, "GET_CONFIG", 12, 268, 268, 0 },
    { 25, "SET_CONFIG", 12, 268, NO_REPLY, 0 },
    { 31, "GET_INFLIGHT_FD", 24, 24, 24, 0 },
    { 32, "SET_INFLIGHT_FD", 24, 24, NO_REPLY, 1 },
    { 34, "RESET_DEVICE", 0, 0, NO_REPLY, 0 },
    { 36, "GET_MAX_MEM_SLOTS", 0, 0, 8, 0 },
    { 37, "ADD_MEM_REG", 40, 40, NO_REPLY, 1 },
    { 38, "REM_MEM_REG", 40, 40, NO_REPLY, 1 },
    { 39, "SET_STATUS", 8, 8, NO_REPLY, 0 },
    { 40, "GET_STATUS", 0, 0, 8, 0 },
};

static const Fact backend_facts[] = {
    { 1, "IOTLB_MSG", 32, 32, NO_REPLY, 0 },
    { 2, "CONFIG_CHANGE_MSG", 0, 0, NO_REPLY, 0 },
    { 3, "VRING_HOST_NOTIFIER_MSG", 24, 24, NO_REPLY, 1 },
    { 4, "VRING_CALL", 8, 8, NO_REPLY, 0 },
    { 5, "VRING_ERR", 8, 8, NO_REPLY, 0 },
};

/* Protocol feature bits, from the spec. */
static const struct { unsigned bit; const char *name; } protocol_facts[] = {
    { 0, "MQ" }, { 1, "LOG_SHMFD" }, { 2, "RARP" }, { 3, "REPLY_ACK" },
    { 4, "NET_MTU" }, { 5, "BACKEND_REQ" }, { 6, "CROSS_ENDIAN" },
    { 9, "CONFIG" }, { 10, "BACKEND_SEND_FD" }, { 11, "HOST_NOTIFIER" },
    { 12, "INFLIGHT_SHMFD" }, { 13, "RESET_DEVICE" },
    { 14, "INBAND_NOTIFICATIONS" }, { 15, "CONFIGURE_MEM_SLOTS" },
    { 16, "STATUS" },
};

/* A "none" payload: nothing, though a stray u64 is tolerated. */
static void assert_size(const Fact *f, uint32_t min, uint32_t max)
{
    if (f->max == 0) {
        g_assert_cmpuint(min, ==, 0);
        g_assert_cmpuint(max, <=, 8);
    } else {
        g_assert_cmpuint(min, ==, f->min);
        g_assert_cmpuint(max, ==, f->max);
    }
}

static void check_fact(VhostUserChannel ch, const Fact *f)
{
    const VhostUserMsgInfo *m = vhost_user_msg_info(ch, f->code);
    uint32_t min, max;

    g_test_message("%s %u %s", ch == VHOST_USER_CHANNEL_BACKEND ?
                   "back-end" : "front-end", f->code, f->name);
    g_assert_nonnull(m);
    g_assert_cmpstr(m->name, ==, f->name);
    g_assert_cmpstr(vhost_user_channel_request_name(ch, f->code), ==, f->name);
    g_assert_true(vhost_user_request_size(ch, f->code, &min, &max));
    assert_size(f, min, max);
    g_assert_cmpuint(vhost_user_request_max_fds(ch, f->code), ==, f->fds);
    vhost_user_payload_size(m->reply, &min, &max);
    if (f->reply == NO_REPLY) {
        g_assert_cmpint(m->reply_rule, ==, VHOST_USER_REPLY_ACK);
        g_assert_cmpuint(min, ==, 8);    /* the REPLY_ACK u64 */
        g_assert_cmpuint(max, ==, 8);
    } else {
        g_assert_cmpint(m->reply_rule, ==, VHOST_USER_REPLY_ALWAYS);
        g_assert_cmpuint(max, ==, (uint32_t)f->reply);
    }
}

static void test_frontend_facts(void)
{
    for (unsigned i = 0; i < G_N_ELEMENTS(frontend_facts); i++) {
        const Fact *f = &frontend_facts[i];
        bool has_reply;
        uint32_t min, max;

        check_fact(VHOST_USER_CHANNEL_FRONTEND, f);
        g_assert_cmpstr(vhost_user_request_name(f->code), ==, f->name);
        g_assert_true(vhost_user_reply_size(f->code, &has_reply, &min, &max));
        g_assert_cmpint(has_reply, ==, f->reply != NO_REPLY);
    }
    /* Outside the spec. */
    g_assert_null(vhost_user_msg_info(VHOST_USER_CHANNEL_FRONTEND, 0));
    g_assert_null(vhost_user_msg_info(VHOST_USER_CHANNEL_FRONTEND, 44));
    g_assert_null(vhost_user_msg_info(VHOST_USER_CHANNEL_FRONTEND, 0xffffffff));
    g_assert_cmpstr(vhost_user_request_name(44), ==, "UNKNOWN");
}

static void test_backend_facts(void)
{
    for (unsigned i = 0; i < G_N_ELEMENTS(backend_facts); i++) {
        check_fact(VHOST_USER_CHANNEL_BACKEND, &backend_facts[i]);
        g_assert_cmpstr(vhost_user_backend_request_name(backend_facts[i].code),
                        ==, backend_facts[i].name);
    }
    g_assert_null(vhost_user_msg_info(VHOST_USER_CHANNEL_BACKEND, 0));
    g_assert_null(vhost_user_msg_info(VHOST_USER_CHANNEL_BACKEND, 9));
}

/* The enum constants the code is written with carry the spec's numbers. */
static void test_enum_values(void)
{
    g_assert_cmpint(VHOST_USER_GET_FEATURES, ==, 1);
    g_assert_cmpint(VHOST_USER_SET_MEM_TABLE, ==, 5);
    g_assert_cmpint(VHOST_USER_GET_VRING_BASE, ==, 11);
    g_assert_cmpint(VHOST_USER_SET_VRING_ENABLE, ==, 18);
    g_assert_cmpint(VHOST_USER_SET_BACKEND_REQ_FD, ==, 21);
    g_assert_cmpint(VHOST_USER_GET_CONFIG, ==, 24);
    g_assert_cmpint(VHOST_USER_RESET_DEVICE, ==, 34);
    g_assert_cmpint(VHOST_USER_GET_MAX_MEM_SLOTS, ==, 36);
    g_assert_cmpint(VHOST_USER_GET_STATUS, ==, 40);
    g_assert_cmpint(VHOST_USER_BACKEND_CONFIG_CHANGE_MSG, ==, 2);
    g_assert_cmpint(VHOST_USER_BACKEND_VRING_ERR, ==, 5);
    for (unsigned i = 0; i < G_N_ELEMENTS(protocol_facts); i++) {
        g_assert_cmpstr(vhost_user_protocol_feature_name(protocol_facts[i].bit),
                        ==, protocol_facts[i].name);
    }
    g_assert_cmpint(VHOST_USER_PROTOCOL_F_REPLY_ACK, ==, 3);
    g_assert_cmpint(VHOST_USER_PROTOCOL_F_CONFIGURE_MEM_SLOTS, ==, 15);
    g_assert_cmpint(VHOST_USER_PROTOCOL_F_STATUS, ==, 16);
}

/*
 * Every line of the table, for each channel: the reply rule and reply
 * kind agree, sizes fit a message, and the decoder renders the smallest
 * and largest payload (zeroed) without reading past it.
 */
static void check_line(VhostUserChannel ch, uint32_t code, unsigned *lines)
{
    const VhostUserMsgInfo *m = vhost_user_msg_info(ch, code);
    VhostUserPayload p;
    uint32_t min, max;
    char buf[1024];

    if (!m) {
        return;
    }
    (*lines)++;
    g_assert_cmpuint(strlen(m->name), >, 0);
    if (m->reply_rule == VHOST_USER_REPLY_ACK) {
        g_assert_cmpint(m->reply, ==, VHOST_USER_P_ACK);
    }
    vhost_user_payload_size(m->request, &min, &max);
    g_assert_cmpuint(min, <=, max);
    g_assert_cmpuint(max, <=, sizeof(VhostUserPayload));
    memset(&p, 0, sizeof(p));
    for (uint32_t len = min; len <= max; len += max - min ? max - min : 1) {
        VhostUserHeader h = { code, VHOST_USER_VERSION, len };
        Error *err = NULL;

        if (m->request == VHOST_USER_P_CONFIG) {
            p.config.size = len - VHOST_USER_CONFIG_HDR_SIZE;
        }
        vhost_user_describe(ch, &h, &p, len, buf, sizeof(buf));
        g_assert_true(len == 0 || buf[0]);
        g_assert_true(vhost_user_check_request(ch, &h, &p, len, &err));
        g_assert_null(err);
    }
}

static void test_table_lines(void)
{
    unsigned lines = 0;

    for (uint32_t c = 0; c < 64; c++) {
        check_line(VHOST_USER_CHANNEL_FRONTEND, c, &lines);
        check_line(VHOST_USER_CHANNEL_BACKEND, c, &lines);
    }
    /* The last line is the highest code: REQUEST_MAX is one past it. */
    g_assert_nonnull(vhost_user_msg_info(VHOST_USER_CHANNEL_FRONTEND,
                                         VHOST_USER_REQUEST_MAX - 1));
    g_assert_nonnull(vhost_user_msg_info(VHOST_USER_CHANNEL_BACKEND,
                                         VHOST_USER_BACKEND_REQUEST_MAX - 1));
    g_assert_cmpuint(lines, >=, G_N_ELEMENTS(frontend_facts) +
                     G_N_ELEMENTS(backend_facts));
}

/* The size checks follow the facts: one byte off is refused. */
static void test_sizes_refused(void)
{
    VhostUserPayload p = { 0 };

    for (unsigned i = 0; i < G_N_ELEMENTS(frontend_facts); i++) {
        const Fact *f = &frontend_facts[i];
        VhostUserHeader h = { f->code, VHOST_USER_VERSION, 0 };
        Error *err = NULL;

        if (f->max == 0 || f->code == VHOST_USER_SET_MEM_TABLE ||
            f->min != f->max) {
            continue;   /* variable payloads: test-vhost-user-proto */
        }
        h.size = f->min + 1;
        g_assert_false(vhost_user_check_request(VHOST_USER_CHANNEL_FRONTEND,
                                                &h, &p, h.size, &err));
        g_assert_nonnull(strstr(error_get_pretty(err), f->name));
        error_free(err);
        err = NULL;
        h.size = f->min - 1;
        g_assert_false(vhost_user_check_request(VHOST_USER_CHANNEL_FRONTEND,
                                                &h, &p, h.size, &err));
        error_free(err);
    }
}

static bool fds_ok(VhostUserChannel ch, uint32_t code, uint64_t u64,
                   size_t nfds)
{
    VhostUserPayload p = { .u64 = u64 };
    uint32_t min, max;
    VhostUserHeader h = { code, VHOST_USER_VERSION, 0 };
    Error *err = NULL;
    bool ok;

    g_assert_true(vhost_user_request_size(ch, code, &min, &max));
    h.size = min > 8 ? min : 8;
    ok = vhost_user_check_fds(ch, &h, &p, nfds, &err);
    g_assert_cmpint(ok, ==, err == NULL);
    if (err) {
        g_assert_nonnull(strstr(error_get_pretty(err), "file descriptors"));
        error_free(err);
    }
    return ok;
}

/* Each request's fds, as the spec gives them (facts above: fds). */
static void test_fds(void)
{
    const VhostUserChannel fe = VHOST_USER_CHANNEL_FRONTEND;
    const uint64_t nofd = 1u << 8;

    for (unsigned i = 0; i < G_N_ELEMENTS(frontend_facts); i++) {
        const Fact *f = &frontend_facts[i];
        g_test_message("%s", f->name);
        if (f->fds == 0) {
            g_assert_true(fds_ok(fe, f->code, 0, 0));
            g_assert_false(fds_ok(fe, f->code, 0, 1));
        }
    }
    /* KICK/CALL/ERR: one fd, or none with the NOFD bit. */
    g_assert_true(fds_ok(fe, 12, 1, 1));
    g_assert_false(fds_ok(fe, 12, 1, 0));
    g_assert_true(fds_ok(fe, 13, 1 | nofd, 0));
    g_assert_false(fds_ok(fe, 14, 1 | nofd, 1));
    /* SET_MEM_TABLE: one per region (nregions is the payload's u32). */
    g_assert_true(fds_ok(fe, 5, 2, 2));
    g_assert_false(fds_ok(fe, 5, 2, 1));
    g_assert_false(fds_ok(fe, 5, 2, 3));
    /* Exactly one: SET_LOG_FD, SET_BACKEND_REQ_FD, ADD_MEM_REG. */
    g_assert_false(fds_ok(fe, 7, 0, 0));
    g_assert_true(fds_ok(fe, 21, 0, 1));
    g_assert_false(fds_ok(fe, 21, 0, 2));
    g_assert_false(fds_ok(fe, 37, 0, 0));
    /* REM_MEM_REG: the fd may come, and is not needed. */
    g_assert_true(fds_ok(fe, 38, 0, 0));
    g_assert_true(fds_ok(fe, 38, 0, 1));
    /* Back-end: the host notifier area, one fd or NOFD. */
    g_assert_true(fds_ok(VHOST_USER_CHANNEL_BACKEND, 3, 0, 1));
    g_assert_true(fds_ok(VHOST_USER_CHANNEL_BACKEND, 3, nofd, 0));
    g_assert_false(fds_ok(VHOST_USER_CHANNEL_BACKEND, 3, 0, 0));
    g_assert_false(fds_ok(VHOST_USER_CHANNEL_BACKEND, 2, 0, 1));
}

/* Replies on the back-end channel: acks, named by that channel's codes. */
static void test_backend_reply(void)
{
    const VhostUserChannel be = VHOST_USER_CHANNEL_BACKEND;
    VhostUserHeader h = { 2, VHOST_USER_VERSION | VHOST_USER_REPLY_MASK, 8 };
    Error *err = NULL;

    g_assert_true(vhost_user_check_channel_reply(be, 2, &h, 8, &err));
    g_assert_null(err);
    h.size = 16;
    g_assert_false(vhost_user_check_channel_reply(be, 2, &h, 16, &err));
    g_assert_nonnull(strstr(error_get_pretty(err), "CONFIG_CHANGE_MSG is 16 "
                            "bytes, expected 8"));
    error_free(err);
    err = NULL;
    h = (VhostUserHeader){ 4, VHOST_USER_VERSION | VHOST_USER_REPLY_MASK, 8 };
    g_assert_false(vhost_user_check_channel_reply(be, 3, &h, 8, &err));
    g_assert_nonnull(strstr(error_get_pretty(err), "(VRING_CALL)"));
    error_free(err);
}

static void test_feature_list(void)
{
    char buf[VHOST_USER_FEATURE_LIST_LEN];

    vhost_user_feature_list((1ull << 0) | (1ull << 15) | (1ull << 55), false,
                            " ", buf, sizeof(buf));
    g_assert_cmpstr(buf, ==, "CSUM MRG_RXBUF GUEST_USO6");
    vhost_user_feature_list(1ull << 58, false, " ", buf, sizeof(buf));
    g_assert_cmpstr(buf, ==, "bit 58");
    vhost_user_feature_list(0, false, " ", buf, sizeof(buf));
    g_assert_cmpstr(buf, ==, "");
    vhost_user_feature_list((1ull << 3) | (1ull << 16), true, ", ", buf,
                            sizeof(buf));
    g_assert_cmpstr(buf, ==, "REPLY_ACK, STATUS");
    /* Every bit fits the advertised length. */
    vhost_user_feature_list(~0ull, false, "|", buf, sizeof(buf));
    g_assert_cmpuint(strlen(buf), <, sizeof(buf) - 1);
    g_assert_nonnull(strstr(buf, "SPEED_DUPLEX"));
    vhost_user_feature_list(~0ull, true, "|", buf, sizeof(buf));
    g_assert_true(g_str_has_suffix(buf, "|bit 63"));
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    g_test_add_func("/vhost-user/msgtable/frontend-facts", test_frontend_facts);
    g_test_add_func("/vhost-user/msgtable/backend-facts", test_backend_facts);
    g_test_add_func("/vhost-user/msgtable/enum-values", test_enum_values);
    g_test_add_func("/vhost-user/msgtable/lines", test_table_lines);
    g_test_add_func("/vhost-user/msgtable/sizes-refused", test_sizes_refused);
    g_test_add_func("/vhost-user/msgtable/fds", test_fds);
    g_test_add_func("/vhost-user/msgtable/backend-reply", test_backend_reply);
    g_test_add_func("/vhost-user/msgtable/feature-list", test_feature_list);
    return g_test_run();
}
