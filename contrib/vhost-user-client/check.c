/*
 * vmu-vhost-client --check: a conformance table of the back-end, one row
 * per behaviour the protocol asks of it (pass, FAIL or skip, and why).
 * Rows run in order on one connection; a row whose failure leaves nothing
 * to test ends the table.
 */
#include <glib.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <linux/virtio_config.h>

#include "client.h"

typedef enum { PASS, FAIL, SKIP } Verdict;
static unsigned nfail;

static void row(const char *name, Verdict v, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static void row(const char *name, Verdict v, const char *fmt, ...)
{
    static const char *const names[] = { "pass", "FAIL", "skip" };
    va_list ap;
    printf("%-26s %-5s ", name, names[v]);
    va_start(ap, fmt);
    vprintf(fmt, ap);
    va_end(ap);
    printf("\n");
    fflush(stdout);
    if (v == FAIL) {
        nfail++;
    }
}

static void row_err(const char *name, Error *err)
{
    row(name, FAIL, "%s", error_get_pretty(err));
    error_free(err);
}

/* Send k frames; wait for TX to be consumed and count what comes back. */
static void traffic(Client *c, unsigned k, double wait, unsigned *consumed,
                    unsigned *back)
{
    uint8_t frame[64];
    double end = now_s() + wait;
    make_frame(c, frame, 60, 0, 0);
    *consumed = *back = 0;
    for (unsigned i = 0; i < k; i++) {
        tx_post(c, frame, 60);
    }
    publish(&c->q[TX]);
    kick(c, TX);
    while (now_s() < end && (*consumed < k || *back < k)) {
        *consumed += tx_reclaim(c);
        *back += rx_drain(c);
        g_usleep(1000);
    }
}

/*
 * A 9,000-byte frame: transmitted as a descriptor chain, received across
 * several buffers (MRG_RXBUF) or into one chain; it must come back whole.
 */
static void check_jumbo(Client *c)
{
    enum { JUMBO = 9000 };
    uint8_t *frame = g_malloc(JUMBO);
    unsigned nd = (c->hdr_len + JUMBO + BUF_SIZE - 1) / BUF_SIZE;
    unsigned consumed = 0, intact = 0, nbufs = 0, got = 0;
    double end = now_s() + 2;

    tx_reclaim(c);
    rx_drain(c);
    make_frame(c, frame, JUMBO, 1000, 0);
    if (!tx_post(c, frame, JUMBO)) {
        row("jumbo TX chain", FAIL, "no room for a chain of %u descriptors",
            nd);
        g_free(frame);
        return;
    }
    publish(&c->q[TX]);
    kick(c, TX);
    while (now_s() < end && (!consumed || !got)) {
        uint8_t *f;
        int len;
        PatHdr h;
        consumed += tx_reclaim(c);
        while ((len = rx_poll(c, &f)) >= 0) {
            got++;
            if (len == JUMBO && is_test_frame(f, len, &h) && h.seq == 1000 &&
                h.stream == c->stream && frame_pattern_ok(f, len, &h)) {
                intact++;
                nbufs = c->q[RX].last_nbufs;
            }
        }
        rx_done(c);
        g_usleep(1000);
    }
    row("jumbo TX chain", consumed ? PASS : FAIL, "a %u-byte frame as a chain "
        "of %u descriptors %s", JUMBO, nd, consumed ? "was consumed" :
        "was not consumed within 2 s");
    if (!consumed) {
        row("jumbo RX", SKIP, "nothing was sent");
    } else if (intact && c->mrg) {
        row("jumbo RX", PASS, "it came back intact in %u receive buffer%s "
            "(MRG_RXBUF)", nbufs, nbufs == 1 ? "" : "s");
    } else if (intact) {
        row("jumbo RX", PASS, "it came back intact in a chained receive "
            "buffer (no MRG_RXBUF)");
    } else {
        row("jumbo RX", FAIL, got ? "%u frames came back, none the intact "
            "%u-byte frame" : "%u frames came back; a back-end limited to "
            "1518-byte frames drops it", got, JUMBO);
    }
    g_free(frame);
}

/* connect, handshake, protocol features, virtio 1.0; false: stop here. */
static bool check_handshake(Client *c)
{
    Error *err = NULL;
    char buf[512];

    if (!client_connect(c, &err)) {
        row_err("connect", err);
        return false;
    }
    row("connect", PASS, "%s", c->path);
    if (!client_handshake(c, &err)) {
        row_err("handshake", err);
        return false;
    }
    row("handshake", PASS, "features %s",
        vhost_user_format_features(c->u->features, false, buf, sizeof(buf)));
    if (c->u->features & (1ULL << VHOST_USER_F_PROTOCOL_FEATURES)) {
        row("protocol features", PASS, "offered %s",
            vhost_user_format_features(c->u->protocol_offered, true, buf,
                                       sizeof(buf)));
    } else {
        row("protocol features", SKIP, "bit 30 not offered: no REPLY_ACK, "
            "MQ or SET_VRING_ENABLE");
    }
    row("virtio 1.0", c->u->features & (1ULL << VIRTIO_F_VERSION_1) ? PASS :
        SKIP, "%s", c->u->features & (1ULL << VIRTIO_F_VERSION_1) ?
        "VERSION_1 offered" : "legacy back-end (10-byte header)");
    return true;
}

/* A NEED_REPLY request gets its ack; false: the connection broke. */
static bool check_reply_ack(Client *c)
{
    Error *err = NULL;

    if (vhost_user_has_protocol(c->u, VHOST_USER_PROTOCOL_F_REPLY_ACK)) {
        VhostUserMsg m = { .hdr = { VHOST_USER_SET_VRING_NUM, 0, 8 } };
        m.payload.state.index = 0;
        m.payload.state.num = c->qsize;
        if (vhost_user_call(c->u, &m, NULL, 0, true, NULL, &err)) {
            row("REPLY_ACK answered", PASS, "SET_VRING_NUM with NEED_REPLY "
                "acked with 0");
        } else {
            row_err("REPLY_ACK answered", err);
        }
    } else {
        row("REPLY_ACK answered", SKIP, "REPLY_ACK not offered");
    }
    return !c->u->broken;
}

/* start rings, TX consumed, RX delivered; false: stop here. */
static bool check_start(Client *c)
{
    Error *err = NULL;
    unsigned consumed, back;

    if (!client_dev_start(c, &err)) {
        row_err("start rings", err);
        return false;
    }
    row("start rings", PASS, "SET_FEATURES, memory table (1 region, %zu MiB), "
        "2 rings of %u", c->mem_size >> 20, c->qsize);
    traffic(c, 32, 3, &consumed, &back);
    row("TX consumed", consumed == 32 ? PASS : FAIL, "%u of 32 frames", consumed);
    row("RX delivered", back ? PASS : FAIL, back ? "%u of 32 frames came back" :
        "%u frames came back; does the back-end forward to the sender?", back);
    return true;
}

/* A frame posted and kicked on a stopped ring is left alone. */
static uint16_t check_stopped_ring(Client *c)
{
    uint8_t frame[64];
    uint16_t before = __atomic_load_n(&c->q[TX].used->idx, __ATOMIC_ACQUIRE);
    uint16_t after;
    uint64_t one = 1;

    make_frame(c, frame, 60, 0, 0);
    tx_post(c, frame, 60);
    publish(&c->q[TX]);
    if (write(c->rings[TX].kick_fd, &one, 8) < 0) {
        /* counter full: a kick is pending anyway */
    }
    g_usleep(300 * 1000);
    after = __atomic_load_n(&c->q[TX].used->idx, __ATOMIC_ACQUIRE);
    row("stopped ring stays", after == before ? PASS : FAIL,
        after == before ? "a kick after GET_VRING_BASE consumed nothing" :
        "the back-end consumed %u buffers after GET_VRING_BASE",
        (uint16_t)(after - before));
    return after;
}

/* GET_VRING_BASE stops TX and returns the next avail index; the ring then
 * resumes there.  False: stop here. */
static bool check_vring_base(Client *c)
{
    Error *err = NULL;
    unsigned base = 0;
    uint16_t expect = c->q[TX].avail_idx, after;
    double end;

    tx_reclaim(c);
    if (!vhost_user_get_vring_base(c->u, TX, &base, &err)) {
        row_err("GET_VRING_BASE", err);
        return false;
    }
    row("GET_VRING_BASE", base == expect ? PASS : FAIL,
        "ring 1 stopped at %u, %u frames posted", base, expect);
    after = check_stopped_ring(c);
    if (!ring_restart(c, TX, base, &err)) {
        row_err("ring restart", err);
        return false;
    }
    kick(c, TX);
    end = now_s() + 2;
    while (now_s() < end && c->q[TX].used->idx == after) {
        rx_drain(c);
        g_usleep(1000);
    }
    row("ring restart", c->q[TX].used->idx != after ? PASS : FAIL,
        "the frame posted while stopped %s after SET_VRING_BASE %u",
        c->q[TX].used->idx != after ? "was sent" : "was not sent", base);
    tx_reclaim(c);
    rx_drain(c);
    return true;
}

/* SET_VRING_ENABLE 0 stops RX, 1 resumes it.  False: stop here. */
static bool check_enable(Client *c)
{
    Error *err = NULL;
    unsigned consumed, back;

    if (!(c->u->features & (1ULL << VHOST_USER_F_PROTOCOL_FEATURES))) {
        row("disable honoured", SKIP, "no SET_VRING_ENABLE without protocol "
            "features");
        row("enable honoured", SKIP, "no SET_VRING_ENABLE without protocol "
            "features");
        return true;
    }
    if (!vhost_user_set_vring_enable(c->u, RX, false, &err)) {
        row_err("disable honoured", err);
        return false;
    }
    traffic(c, 16, 0.5, &consumed, &back);
    row("disable honoured", back == 0 ? PASS : FAIL,
        "%u frames arrived on a disabled RX ring", back);
    if (!vhost_user_set_vring_enable(c->u, RX, true, &err)) {
        row_err("enable honoured", err);
        return false;
    }
    kick(c, RX);
    traffic(c, 16, 2, &consumed, &back);
    row("enable honoured", back ? PASS : FAIL, "%u of 16 frames arrived "
        "after re-enabling RX", back);
    return true;
}

static void check_mq_status(Client *c)
{
    Error *err = NULL;

    if (vhost_user_has_protocol(c->u, VHOST_USER_PROTOCOL_F_MQ)) {
        row("MQ", c->u->queue_num >= 1 ? PASS : FAIL, "%u queue pairs",
            c->u->queue_num);
    } else {
        row("MQ", SKIP, "MQ not offered");
    }
    if (vhost_user_has_protocol(c->u, VHOST_USER_PROTOCOL_F_STATUS)) {
        uint8_t st = 0;
        if (vhost_user_get_status(c->u, &st, &err)) {
            row("STATUS", st & VIRTIO_CONFIG_S_DRIVER_OK ? PASS : FAIL,
                "GET_STATUS 0x%x after SET_STATUS(DRIVER_OK)", st);
        } else {
            row_err("STATUS", err);
        }
    } else {
        row("STATUS", SKIP, "STATUS not offered");
    }
}

/* Close and come back: the whole negotiation again, traffic again; then
 * stop the rings.  False: stop here. */
static bool check_reconnect(Client *c)
{
    Error *err = NULL;
    unsigned consumed, back;

    client_disconnect(c);
    g_usleep(200 * 1000);
    if (!client_start(c, &err)) {
        row_err("reconnect", err);
        return false;
    }
    traffic(c, 32, 3, &consumed, &back);
    row("reconnect", consumed == 32 && back ? PASS : FAIL, "renegotiated; "
        "%u of 32 frames sent, %u came back", consumed, back);
    if (!vhost_dev_stop(&c->dev, &err)) {
        row_err("stop", err);
    } else {
        row("stop", PASS, "GET_VRING_BASE: RX %u TX %u",
            c->rings[RX].last_avail_idx, c->rings[TX].last_avail_idx);
    }
    return true;
}

int mode_check(Client *c)
{
    printf("%-26s %-5s %s\n", "check", "result", "detail");
    if (!check_handshake(c) || !check_reply_ack(c) || !check_start(c)) {
        return 1;
    }
    check_jumbo(c);
    if (!check_vring_base(c) || !check_enable(c)) {
        return 1;
    }
    check_mq_status(c);
    if (!check_reconnect(c)) {
        return 1;
    }
    printf("%u failure%s\n", nfail, nfail == 1 ? "" : "s");
    return nfail ? 1 : 0;
}
