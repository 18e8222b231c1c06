/*
 * vmu-vhost-client's traffic modes: --send (pps and Gbps, optionally at a
 * rate, for a duration, through a list of sizes), --recv and --echo,
 * --pingpong (latency percentiles).
 */
#include <glib.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>

#include "client.h"

static void format_sizes(const unsigned *sizes, unsigned n, char *buf,
                         size_t len)
{
    unsigned lo = sizes[0], hi = sizes[0];
    for (unsigned i = 1; i < n; i++) {
        lo = MIN(lo, sizes[i]);
        hi = MAX(hi, sizes[i]);
    }
    if (lo == hi) {
        snprintf(buf, len, "%u", lo);
    } else {
        snprintf(buf, len, "%u-%u", lo, hi);
    }
}

int mode_send(Client *c, unsigned long long count,
              const unsigned *sizes, unsigned nsizes, double rate,
              double duration)
{
    uint8_t *frame = g_malloc(MAX_FRAME);
    unsigned long long sent = 0, done = 0;
    unsigned long long last_done = 0;
    double t0 = now_s(), t1, last = t0;
    char sz[32];
    int status = 0;

    while (done < sent || (sent < count && !stop_flag)) {
        unsigned posted = 0;
        double now = now_s();
        unsigned long long allowed = count;

        if (duration > 0 && now - t0 >= duration) {
            count = sent;       /* time is up: finish what is in flight */
        }
        if (rate > 0) {
            allowed = MIN(count, (unsigned long long)((now - t0) * rate) + 1);
        }
        done += tx_reclaim(c);
        while (sent < allowed) {
            unsigned len = sizes[sent % nsizes];
            make_frame(c, frame, len, sent, 0);
            if (!tx_post(c, frame, len)) {
                break;
            }
            sent++;
            posted++;
        }
        if (posted) {
            publish(&c->q[TX]);
            kick(c, TX);
        }
        rx_drain(c);
        if (done != last_done) {
            last_done = done;
            last = now;
        } else if (now - last > (stop_flag ? 1 : 2)) {
            fprintf(stderr, "vmu-vhost-client: the back-end at %s %s "
                    "(%llu of %llu frames consumed)\n", c->path, done ?
                    "stopped taking frames" : "takes no frames (TX ring not "
                    "served)", done, sent);
            status = 1;
            break;
        }
        if (!posted) {
            if (rate > 0 && sent < count && sent >= allowed &&
                (sent + 1) / rate - (now - t0) > 0.0002) {
                g_usleep(MIN(1000, ((sent + 1) / rate - (now - t0)) * 1e6));
            } else {
                sched_yield();
            }
        }
    }
    t1 = now_s();
    /* frames still coming back */
    for (double end = now_s() + 0.5; now_s() < end;) {
        if (!rx_drain(c)) {
            g_usleep(1000);
        }
    }
    double secs = t1 - t0;
    format_sizes(sizes, nsizes, sz, sizeof(sz));
    printf("sent %llu frames of %s bytes in %.3f s: %.0f pps, %.3f Gbps; "
           "%llu came back\n", done, sz, secs, done / secs,
           c->tx_bytes * 8 / secs / 1e9, c->rx.frames);
    print_result(c, "send", done, c->tx_bytes, secs);
    g_free(frame);
    return status;
}

int mode_recv(Client *c, double duration, bool echo)
{
    unsigned long long echoed = 0, echo_bytes = 0;
    double t0 = now_s(), lastp = t0, idle = 0;

    while (!stop_flag && (duration <= 0 || now_s() - t0 < duration)) {
        uint8_t *f;
        int len;
        unsigned got = 0, posted = 0;
        if (echo) {
            tx_reclaim(c);
        }
        while ((len = rx_poll(c, &f)) >= 0) {
            rx_account(c, f, len);
            if (echo && len > 0 && tx_post(c, f, len)) {
                posted++;
                echoed++;
                echo_bytes += len;
            }
            got++;
        }
        if (got) {
            rx_done(c);
            idle = 0;
        } else if (!idle) {
            idle = now_s();
        } else if (now_s() - idle > 0.0005) {
            wait_for_call(c, 20);
        } else {
            sched_yield();
        }
        if (posted) {
            publish(&c->q[TX]);
            kick(c, TX);
        }
        if (now_s() - lastp >= 1) {
            lastp = now_s();
            fprintf(stderr, "received %llu frames so far\n", c->rx.frames);
        }
        if (report_flag) {
            report_flag = 0;
            print_result(c, echo ? "echo" : "recv", echoed, echo_bytes, 0);
        }
    }
    double secs = c->rx.frames > 1 ? c->rx.last - c->rx.first : 0;
    printf("received %llu frames (%llu bytes)%s", c->rx.frames, c->rx.bytes,
           secs > 0 ? "" : "\n");
    if (secs > 0) {
        printf(" in %.3f s: %.0f pps", secs, c->rx.frames / secs);
        if (echo) {
            printf(", %llu echoed", echoed);
        }
        printf("\n");
    }
    print_result(c, echo ? "echo" : "recv", echoed, echo_bytes, 0);
    return 0;
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

int mode_pingpong(Client *c, unsigned count, unsigned size)
{
    uint8_t *frame = g_malloc(MAX_FRAME);
    double *rtt = g_new(double, count);
    unsigned n = 0, lost = 0;

    for (unsigned i = 0; i < count && !stop_flag; i++) {
        double t = now_s(), end = t + 1;
        bool got = false;
        make_frame(c, frame, size, i, t);
        tx_reclaim(c);
        if (!tx_post(c, frame, size)) {
            g_usleep(1000);
            tx_reclaim(c);
            tx_post(c, frame, size);
        }
        publish(&c->q[TX]);
        kick(c, TX);
        while (!got && now_s() < end) {
            uint8_t *f;
            int len;
            while ((len = rx_poll(c, &f)) >= 0) {
                PatHdr h;
                rx_account(c, f, len);
                if (is_test_frame(f, len, &h) && h.stream == c->stream &&
                    h.seq == i) {
                    got = true;
                }
            }
            rx_done(c);
        }
        if (got) {
            rtt[n++] = (now_s() - t) * 1e6;
        } else {
            lost++;
        }
    }
    g_free(frame);
    if (!n) {
        printf("pingpong: no frame came back (%u lost)\n", lost);
        print_result(c, "pingpong", count, 0, 0);
        g_free(rtt);
        return 1;
    }
    qsort(rtt, n, sizeof(double), cmp_double);
    printf("pingpong: %u round trips, %u lost; latency us p50 %.1f p90 %.1f "
           "p99 %.1f max %.1f\n", n, lost, rtt[n / 2], rtt[n * 9 / 10],
           rtt[n * 99 / 100], rtt[n - 1]);
    print_result(c, "pingpong", n + lost, (unsigned long long)(n + lost) * size,
                 0);
    g_free(rtt);
    return 0;
}
