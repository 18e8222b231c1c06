/*
 * vmu-vhost-client's command line: options into a Client and the mode's
 * arguments, signals, then the mode.  See client.h for the other files.
 */
#include <getopt.h>
#include <glib.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

#include "client.h"
#include "util/trace.h"

volatile sig_atomic_t stop_flag, report_flag;

static void on_signal(int sig)
{
    if (sig == SIGUSR1) {
        report_flag = 1;
    } else {
        stop_flag = 1;
    }
}

double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec + ts.tv_nsec / 1e9;
}

static void usage(FILE *f)
{
    fprintf(f,
"Usage: vmu-vhost-client -q SOCK [--server] MODE [options]\n"
"A guestless vhost-user front-end: it drives a vhost-user net back-end as\n"
"a guest's virtio-net driver would, over vmu's vhost-user code.\n"
"\n"
"  -q, --socket SOCK     the back-end's UNIX socket\n"
"      --server          listen on SOCK instead of connecting\n"
"Modes:\n"
"      --send N          send N frames, print pps and Gbps (and what came back)\n"
"      --recv            count received frames, print pps\n"
"      --echo            send back every frame that arrives\n"
"      --pingpong N      N round trips, print latency percentiles\n"
"      --check           conformance check of the back-end (exit 0: no failure)\n"
"Options:\n"
"      --size S          frame size in bytes (60..%d, default 64)\n"
"      --sizes LIST      --send cycles through sizes, in order: N, A-B (every\n"
"                        size), A-B:STEP, comma-separated (60-9000, 64,1518)\n"
"      --rate PPS        --send at most PPS frames per second\n"
"      --duration SEC    stop after SEC seconds (--send: stop sending)\n"
"      --verify          check every frame received: test pattern, length,\n"
"                        sequence number per sending stream\n"
"      --mac MAC         our address (source of frames sent; default\n"
"                        02:00:00:00:00:01)\n"
"      --dst MAC         destination of frames sent (default 02:00:00:00:00:02)\n"
"      --announce        first send one broadcast frame from --mac (type\n"
"                        0x88b6) so that a learning switch knows where we are\n"
"      --no-mrg          do not negotiate MRG_RXBUF (receive into chains)\n"
"      --busy-poll       never sleep waiting for a call (default: sleep after\n"
"                        0.5 ms without traffic in --recv/--echo)\n"
"      --queue-size N    ring size (power of two, 64..1024, default 256)\n"
"      --timeout MS      wait for each reply at most MS ms (default 5000)\n"
"      --trace PATTERN   enable trace points (vhost_user_*, vhost_*)\n"
"  -h, --help\n"
"\n"
"Frames sent are test frames (type 0x88b5): stream id, sequence number,\n"
"length, then a pattern of the sequence number.  Each mode ends with one\n"
"line (SIGUSR1 prints it too in --recv/--echo):\n"
"  result: mode=M sent=N received=N bad=N out_of_order=N missing=N other=N\n"
"          errors=N streams=N bytes_sent=N bytes_received=N secs=S pps=P gbps=G\n"
"(bad: a test frame whose length or content is wrong; other: not a test\n"
"frame; pps and gbps: of frames sent, or received for --recv, counting\n"
"Ethernet header and payload only.)\n", MAX_FRAME);
}

static bool parse_mac(const char *s, uint8_t *mac)
{
    unsigned v[6];
    char end;
    if (sscanf(s, "%x:%x:%x:%x:%x:%x%c", &v[0], &v[1], &v[2], &v[3], &v[4],
               &v[5], &end) != 6) {
        return false;
    }
    for (int i = 0; i < 6; i++) {
        if (v[i] > 255) {
            return false;
        }
        mac[i] = v[i];
    }
    return true;
}

static bool parse_size(const char *s, char **end, unsigned *out)
{
    unsigned long v;
    if (*s < '0' || *s > '9') {
        return false;
    }
    v = strtoul(s, end, 10);
    if (v < MIN_FRAME || v > MAX_FRAME) {
        return false;
    }
    *out = v;
    return true;
}

/* "60-9000", "60-9000:10", "64,1518", or a mix. */
static bool parse_sizes(const char *arg, GArray *sizes)
{
    const char *s = arg;
    g_array_set_size(sizes, 0);
    for (;;) {
        char *end;
        unsigned lo, hi, step = 1;
        if (!parse_size(s, &end, &lo)) {
            return false;
        }
        hi = lo;
        if (*end == '-') {
            if (!parse_size(end + 1, &end, &hi) || hi < lo) {
                return false;
            }
            if (*end == ':') {
                step = strtoul(end + 1, &end, 10);
                if (!step) {
                    return false;
                }
            }
        }
        for (unsigned v = lo; v <= hi; v += step) {
            if (sizes->len == MAX_SIZES) {
                return false;
            }
            g_array_append_val(sizes, v);
        }
        if (!*end) {
            return true;
        }
        if (*end != ',') {
            return false;
        }
        s = end + 1;
    }
}

enum { O_SERVER = 256, O_SEND, O_RECV, O_ECHO, O_PINGPONG, O_CHECK,
       O_SIZE, O_SIZES, O_RATE, O_DURATION, O_VERIFY, O_MAC, O_DST,
       O_ANNOUNCE, O_NO_MRG, O_BUSY_POLL, O_QSIZE, O_TIMEOUT, O_TRACE };

static const struct option longopts[] = {
    { "socket", required_argument, NULL, 'q' },
    { "server", no_argument, NULL, O_SERVER },
    { "send", required_argument, NULL, O_SEND },
    { "recv", no_argument, NULL, O_RECV },
    { "echo", no_argument, NULL, O_ECHO },
    { "pingpong", required_argument, NULL, O_PINGPONG },
    { "check", no_argument, NULL, O_CHECK },
    { "size", required_argument, NULL, O_SIZE },
    { "sizes", required_argument, NULL, O_SIZES },
    { "rate", required_argument, NULL, O_RATE },
    { "duration", required_argument, NULL, O_DURATION },
    { "verify", no_argument, NULL, O_VERIFY },
    { "mac", required_argument, NULL, O_MAC },
    { "dst", required_argument, NULL, O_DST },
    { "announce", no_argument, NULL, O_ANNOUNCE },
    { "no-mrg", no_argument, NULL, O_NO_MRG },
    { "busy-poll", no_argument, NULL, O_BUSY_POLL },
    { "queue-size", required_argument, NULL, O_QSIZE },
    { "timeout", required_argument, NULL, O_TIMEOUT },
    { "trace", required_argument, NULL, O_TRACE },
    { "help", no_argument, NULL, 'h' },
    { 0 },
};

/* What the mode is asked to do (the rest lives in the Client). */
typedef struct Args {
    int mode;                   /* O_SEND ... O_CHECK */
    unsigned long long count;
    unsigned size;
    double duration, rate;
    bool announce;
    GArray *sizes;
} Args;

/* Each parse_* takes the options of one kind: 1 taken, 0 not its kind,
 * -1 a bad value (reported). */

/* --send N, --pingpong N, --recv, --echo, --check: exactly one. */
static int parse_mode(Args *a, int opt, const char *arg)
{
    char *end = NULL;

    switch (opt) {
    case O_SEND:
    case O_PINGPONG:
        a->count = strtoull(arg, &end, 0);
        if (!*arg || *end || !a->count) {
            error_report("--%s %s: give a positive number of frames",
                         opt == O_SEND ? "send" : "pingpong", arg);
            return -1;
        }
        break;
    case O_RECV:
    case O_ECHO:
    case O_CHECK:
        break;
    default:
        return 0;
    }
    if (a->mode) {
        error_report("give one mode: --send, --recv, --echo, --pingpong or "
                     "--check");
        return -1;
    }
    a->mode = opt;
    return 1;
}

static int parse_mac_option(Client *c, int opt, const char *arg)
{
    if (!parse_mac(arg, opt == O_MAC ? c->mac : c->dst)) {
        error_report("--%s %s: give a MAC address such as 02:00:00:00:00:0a",
                     opt == O_MAC ? "mac" : "dst", arg);
        return -1;
    }
    if (opt == O_MAC && (c->mac[0] & 1)) {
        error_report("--mac %s: a group address cannot be a source", arg);
        return -1;
    }
    return 1;
}

/* What frames are sent, how fast, for how long, from where to where. */
static int parse_traffic(Args *a, Client *c, int opt, const char *arg)
{
    char *end = NULL;

    switch (opt) {
    case O_SIZE:
        if (!parse_size(arg, &end, &a->size) || *end) {
            error_report("--size %s: give a frame size from %d to %d bytes",
                         arg, MIN_FRAME, MAX_FRAME);
            return -1;
        }
        return 1;
    case O_SIZES:
        if (!parse_sizes(arg, a->sizes)) {
            error_report("--sizes %s: give sizes from %d to %d bytes as N, "
                         "A-B or A-B:STEP, separated by commas", arg,
                         MIN_FRAME, MAX_FRAME);
            return -1;
        }
        return 1;
    case O_RATE:
        a->rate = strtod(arg, &end);
        if (*end || !(a->rate > 0)) {
            error_report("--rate %s: give frames per second", arg);
            return -1;
        }
        return 1;
    case O_DURATION:
        a->duration = strtod(arg, &end);
        if (*end || !(a->duration > 0)) {
            error_report("--duration %s: give seconds, such as 5 or 0.5", arg);
            return -1;
        }
        return 1;
    case O_MAC:
    case O_DST:
        return parse_mac_option(c, opt, arg);
    case O_ANNOUNCE:
        a->announce = true;
        return 1;
    }
    return 0;
}

/* How the client connects, negotiates, waits and traces. */
static int parse_client(Client *c, int opt, const char *arg)
{
    Error *err = NULL;
    char *end = NULL;

    switch (opt) {
    case 'q':
        c->path = arg;
        return 1;
    case O_SERVER:
        c->server = true;
        return 1;
    case O_VERIFY:
        c->verify = true;
        return 1;
    case O_NO_MRG:
        c->no_mrg = true;
        return 1;
    case O_BUSY_POLL:
        c->busy_poll = true;
        return 1;
    case O_QSIZE:
        c->qsize = strtoul(arg, &end, 0);
        if (*end || c->qsize < 64 || c->qsize > MAX_QSIZE ||
            (c->qsize & (c->qsize - 1))) {
            error_report("--queue-size %s: give a power of two from 64 to %d",
                         arg, MAX_QSIZE);
            return -1;
        }
        return 1;
    case O_TIMEOUT:
        c->timeout_ms = strtol(arg, &end, 0);
        if (*end || c->timeout_ms <= 0) {
            error_report("--timeout %s: give milliseconds", arg);
            return -1;
        }
        return 1;
    case O_TRACE:
        if (!trace_parse_option(arg, &err)) {
            error_report_err(err);
            return -1;
        }
        return 1;
    }
    return 0;
}

/* What must be there once every option is read. */
static bool args_complete(Args *a, Client *c)
{
    if (!c->path) {
        error_report("no socket given: use -q SOCK (or --socket SOCK)");
        return false;
    }
    if (!a->mode) {
        error_report("no mode given: use --send N, --recv, --echo, "
                     "--pingpong N or --check");
        return false;
    }
    if (!a->sizes->len) {
        g_array_append_val(a->sizes, a->size);
    }
    return true;
}

/* -1: go on; otherwise the exit status (0 for --help). */
static int parse_args(int argc, char **argv, Args *a, Client *c)
{
    int opt;

    while ((opt = getopt_long(argc, argv, "q:h", longopts, NULL)) != -1) {
        int r = parse_mode(a, opt, optarg);
        if (!r) {
            r = parse_traffic(a, c, opt, optarg);
        }
        if (!r) {
            r = parse_client(c, opt, optarg);
        }
        if (r < 0) {
            return 2;
        }
        if (r == 0) {
            usage(opt == 'h' ? stdout : stderr);
            return opt == 'h' ? 0 : 2;
        }
    }
    if (optind < argc) {
        error_report("unexpected argument '%s' (see --help)", argv[optind]);
        return 2;
    }
    return args_complete(a, c) ? -1 : 2;
}

/* Started: --announce, then the traffic mode. */
static int run_mode(Client *c, Args *a)
{
    fprintf(stderr, "vmu-vhost-client: %s: started, %u-byte header, %s\n",
            c->path, c->hdr_len, c->mrg ? "MRG_RXBUF" :
            "no MRG_RXBUF: receive buffers are chains");
    if (a->announce) {
        announce(c);
    }
    if (a->mode == O_SEND) {
        return mode_send(c, a->count, (unsigned *)a->sizes->data,
                         a->sizes->len, a->rate, a->duration);
    }
    if (a->mode == O_PINGPONG) {
        return mode_pingpong(c, a->count, a->size);
    }
    return mode_recv(c, a->duration, a->mode == O_ECHO);
}

int main(int argc, char **argv)
{
    static Client c = { .listen_fd = -1, .fd = -1, .qsize = 256,
                        .timeout_ms = VHOST_USER_DEFAULT_TIMEOUT_MS,
                        .mac = { 0x02, 0, 0, 0, 0, 0x01 },
                        .dst = { 0x02, 0, 0, 0, 0, 0x02 } };
    g_autoptr(GArray) sizes = g_array_new(false, false, sizeof(unsigned));
    Args a = { .size = 64, .sizes = sizes };
    Error *err = NULL;
    int status;

    error_set_progname("vmu-vhost-client");
    trace_set_thread_name("main");
    status = parse_args(argc, argv, &a, &c);
    if (status >= 0) {
        return status;
    }
    frame_init();
    c.stream = (uint32_t)getpid() ^ (uint32_t)(now_s() * 1e6);
    signal(SIGINT, on_signal);
    signal(SIGTERM, on_signal);
    signal(SIGUSR1, on_signal);
    signal(SIGPIPE, SIG_IGN);
    if (!client_mem_init(&c, &err)) {
        error_report_err(err);
        return 1;
    }
    if (a.mode == O_CHECK) {
        status = mode_check(&c);
    } else if (!client_start(&c, &err)) {
        error_report_err(err);
        status = 1;
    } else {
        status = run_mode(&c, &a);
    }
    if (c.u && !c.u->broken && c.dev.started) {
        vhost_dev_stop(&c.dev, NULL);
    }
    client_disconnect(&c);
    if (c.listen_fd >= 0) {
        close(c.listen_fd);
        unlink(c.path);
    }
    return status;
}
