/*
 * vmu-vhost-client's test frames: made with a stream id, a sequence
 * number, the length and a pattern; recognised and checked on receipt
 * (--verify), counted, and summed up in the one result line.
 */
#include <glib.h>
#include <stdio.h>
#include <string.h>

#include "client.h"

/* The pattern: byte i is i % PAT_PERIOD; a frame starts at seq's phase. */
static uint8_t ramp[MAX_FRAME + PAT_PERIOD];

void frame_init(void)
{
    for (unsigned i = 0; i < sizeof(ramp); i++) {
        ramp[i] = i % PAT_PERIOD;
    }
}

void make_frame(Client *c, uint8_t *f, unsigned len, uint64_t seq,
                double t)
{
    PatHdr h = { PAT_MAGIC, c->stream, seq, len, 0, t };
    memcpy(f, c->dst, 6);
    memcpy(f + 6, c->mac, 6);
    f[12] = ETH_TYPE_TEST >> 8;
    f[13] = ETH_TYPE_TEST & 0xff;
    memcpy(f + PAT_OFF, &h, sizeof(h));
    memcpy(f + PAT_DATA, ramp + seq % PAT_PERIOD, len - PAT_DATA);
}

bool is_test_frame(const uint8_t *f, unsigned len, PatHdr *h)
{
    if (len < PAT_DATA || f[12] != (ETH_TYPE_TEST >> 8) ||
        f[13] != (ETH_TYPE_TEST & 0xff)) {
        return false;
    }
    memcpy(h, f + PAT_OFF, sizeof(*h));
    return h->magic == PAT_MAGIC;
}

/* A test frame's length and pattern are what its header says. */
bool frame_pattern_ok(const uint8_t *f, unsigned len, const PatHdr *h)
{
    return h->len == len &&
           !memcmp(f + PAT_DATA, ramp + h->seq % PAT_PERIOD, len - PAT_DATA);
}

/* Count one received frame; with --verify, check it. */
void rx_account(Client *c, const uint8_t *f, unsigned len)
{
    RxStats *s = &c->rx;
    Stream *st = NULL;
    PatHdr h;

    s->last = now_s();
    if (!s->frames) {
        s->first = s->last;
    }
    s->frames++;
    s->bytes += len;
    if (!c->verify) {
        return;
    }
    if (!is_test_frame(f, len, &h)) {
        s->other++;
        return;
    }
    if (!frame_pattern_ok(f, len, &h)) {
        s->bad++;
        return;
    }
    for (unsigned i = 0; i < s->nstreams; i++) {
        if (s->streams[i].id == h.stream) {
            st = &s->streams[i];
            break;
        }
    }
    if (!st) {
        if (s->nstreams == MAX_STREAMS) {
            s->other++;
            return;
        }
        st = &s->streams[s->nstreams++];
        st->id = h.stream;
        st->next = 0;
    }
    if (h.seq < st->next) {
        s->out_of_order++;
        return;
    }
    s->missing += h.seq - st->next;
    st->next = h.seq + 1;
}

/* Receive whatever is there; returns frames taken. */
unsigned rx_drain(Client *c)
{
    uint8_t *f;
    int len;
    unsigned n = 0;
    while ((len = rx_poll(c, &f)) >= 0) {
        rx_account(c, f, len);
        n++;
    }
    if (n) {
        rx_done(c);
    }
    return n;
}

/* The machine-readable summary: one line, key=value. */
void print_result(Client *c, const char *mode, unsigned long long sent,
                  unsigned long long sent_bytes, double secs)
{
    RxStats *s = &c->rx;
    bool tx = sent > 0 || !strcmp(mode, "send");
    unsigned long long n = tx ? sent : s->frames;
    unsigned long long bytes = tx ? sent_bytes : s->bytes;

    if (!tx) {
        secs = s->frames > 1 ? s->last - s->first : 0;
    }
    printf("result: mode=%s sent=%llu received=%llu bad=%llu "
           "out_of_order=%llu missing=%llu other=%llu errors=%llu "
           "streams=%u bytes_sent=%llu bytes_received=%llu secs=%.3f "
           "pps=%.0f gbps=%.3f\n", mode, sent, s->frames, s->bad,
           s->out_of_order, s->missing, s->other, s->errors, s->nstreams,
           sent_bytes, s->bytes, secs, secs > 0 ? n / secs : 0,
           secs > 0 ? bytes * 8 / secs / 1e9 : 0);
    fflush(stdout);
}

/* --announce: one broadcast frame from our address, so switches learn it. */
void announce(Client *c)
{
    uint8_t f[MIN_FRAME] = { 0 };
    memset(f, 0xff, 6);
    memcpy(f + 6, c->mac, 6);
    f[12] = ETH_TYPE_ANNOUNCE >> 8;
    f[13] = ETH_TYPE_ANNOUNCE & 0xff;
    tx_reclaim(c);
    if (tx_post(c, f, sizeof(f))) {
        publish(&c->q[TX]);
        kick(c, TX);
        /* wait for it to be consumed: it is not part of what we send */
        for (double end = now_s() + 1; now_s() < end && !tx_reclaim(c);) {
            g_usleep(1000);
        }
        c->tx_bytes = 0;
    }
}
