/*
 * vmu-switch: command line, signals and the event loop (epoll on sockets
 * and kick fds, or busy polling with --poll).
 */
#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/signalfd.h>
#include <time.h>
#include <unistd.h>

#include "switch.h"
#include "util/trace.h"

Switch sw;

static const char usage_text[] =
"Usage: vmu-switch [OPTION]... {-s PATH | -c PATH}...\n"
"\n"
"A vhost-user back-end for virtio-net front-ends (vmu, QEMU, DPDK\n"
"virtio-user).  Each -s or -c adds a port, numbered from 0 in order.\n"
"With one port, every frame the front-end transmits is sent back to it\n"
"(echo).  With two or more, frames are switched: source addresses are\n"
"learnt per port, unicast goes to the port its destination was learnt on,\n"
"broadcast, multicast and unknown unicast go to every other port.\n"
"\n"
"Ports:\n"
"  -s, --server PATH     listen on the UNIX socket PATH; after the front-end\n"
"                        hangs up, wait for it to connect again\n"
"  -c, --client PATH     connect to a front-end listening on PATH, retrying\n"
"                        every 0.1 s, backing off to every 5 s\n"
"\n"
"Options:\n"
"  -q, --queues N        offer N queue pairs per port (1-8, default 1)\n"
"  -a, --ageing SECONDS  forget a learnt address after SECONDS without\n"
"                        traffic from it (default 300)\n"
"  -p, --poll            busy-poll the rings instead of sleeping until a\n"
"                        kick (lower latency, one CPU at 100%)\n"
"  -T, --trace PATTERN   enable trace points matching PATTERN, e.g.\n"
"                        'vhost_user_*' (every message, decoded),\n"
"                        'libvhost_user_*', 'vmu_switch_*'; repeatable;\n"
"                        'events=FILE' reads patterns from FILE\n"
"  -h, --help            show this help and exit\n"
"\n"
"Offered: VERSION_1, MRG_RXBUF, RING_EVENT_IDX, RING_INDIRECT_DESC, MQ (with\n"
"--queues > 1), PROTOCOL_FEATURES; protocol features MQ, REPLY_ACK, NET_MTU,\n"
"CONFIGURE_MEM_SLOTS, STATUS.\n"
"\n"
"Signals: SIGUSR1 prints per-port statistics; SIGINT and SIGTERM print them,\n"
"remove the server sockets and exit.\n"
"\n"
"Examples:\n"
"  vmu-switch -s /tmp/vm0.sock                     # echo for one guest\n"
"  vmu-switch -s /tmp/vm0.sock -s /tmp/vm1.sock    # switch two guests\n"
"  vmu -netdev vhost-user,id=n0,chardev=c0 -chardev socket,id=c0,path=/tmp/vm0.sock ...\n";

static void usage_error(const char *fmt, const char *arg)
{
    fprintf(stderr, "vmu-switch: ");
    fprintf(stderr, fmt, arg);
    fprintf(stderr, "\nTry 'vmu-switch --help' for more information.\n");
}

int64_t switch_now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec * 1000LL + ts.tv_nsec / 1000000;
}

static bool parse_uint(const char *s, unsigned min, unsigned max,
                       unsigned *out)
{
    char *end;
    unsigned long v;

    errno = 0;
    v = strtoul(s, &end, 10);
    if (errno || end == s || *end || s[0] == '-' || v < min || v > max) {
        return false;
    }
    *out = v;
    return true;
}

static int parse_args(int argc, char **argv)
{
    static const struct option longopts[] = {
        { "server", required_argument, NULL, 's' },
        { "client", required_argument, NULL, 'c' },
        { "queues", required_argument, NULL, 'q' },
        { "ageing", required_argument, NULL, 'a' },
        { "poll", no_argument, NULL, 'p' },
        { "trace", required_argument, NULL, 'T' },
        { "help", no_argument, NULL, 'h' },
        { NULL, 0, NULL, 0 },
    };
    int c;

    sw.queue_pairs = 1;
    sw.ageing_s = 300;
    while ((c = getopt_long(argc, argv, "s:c:q:a:pT:h", longopts, NULL)) != -1) {
        Error *err = NULL;
        switch (c) {
        case 's':
        case 'c':
            if (sw.nports == SWITCH_MAX_PORTS) {
                usage_error("too many ports (at most 64): '%s'", optarg);
                return 1;
            }
            for (unsigned i = 0; i < sw.nports; i++) {
                if (!strcmp(sw.ports[i].path, optarg)) {
                    usage_error("socket '%s' is given twice", optarg);
                    return 1;
                }
            }
            sw.ports[sw.nports].id = sw.nports;
            sw.ports[sw.nports].path = optarg;
            sw.ports[sw.nports].server = c == 's';
            sw.nports++;
            break;
        case 'q':
            if (!parse_uint(optarg, 1, VU_MAX_QUEUE_PAIRS, &sw.queue_pairs)) {
                usage_error("--queues '%s': expected a number of queue pairs "
                            "from 1 to 8", optarg);
                return 1;
            }
            break;
        case 'a':
            if (!parse_uint(optarg, 1, 86400 * 365, &sw.ageing_s)) {
                usage_error("--ageing '%s': expected a number of seconds, "
                            "at least 1", optarg);
                return 1;
            }
            break;
        case 'p':
            sw.poll = true;
            break;
        case 'T':
            if (!strcmp(optarg, "help")) {
                trace_list_events();
                return 0;
            }
            if (!trace_parse_option(optarg, &err)) {
                error_report_err(err);
                return 1;
            }
            break;
        case 'h':
            fputs(usage_text, stdout);
            return 0;
        default:
            fprintf(stderr, "Try 'vmu-switch --help' for more "
                    "information.\n");
            return 1;
        }
    }
    if (optind < argc) {
        usage_error("unexpected argument '%s'", argv[optind]);
        return 1;
    }
    if (sw.nports == 0) {
        usage_error("%s", "no port: give at least one -s PATH or -c PATH");
        return 1;
    }
    return -1;
}

static int setup_signals(EvTag *tag, Error **errp)
{
    sigset_t set;
    int fd;

    sigemptyset(&set);
    sigaddset(&set, SIGINT);
    sigaddset(&set, SIGTERM);
    sigaddset(&set, SIGUSR1);
    sigprocmask(SIG_BLOCK, &set, NULL);
    signal(SIGPIPE, SIG_IGN);
    fd = signalfd(-1, &set, SFD_CLOEXEC | SFD_NONBLOCK);
    if (fd < 0) {
        error_setg_errno(errp, errno, "cannot create a signalfd");
        return -1;
    }
    if (!epoll_watch(fd, tag, errp)) {
        close(fd);
        return -1;
    }
    return fd;
}

static void stats_print_all(void)
{
    for (unsigned i = 0; i < sw.nports; i++) {
        port_stats_print(&sw.ports[i]);
    }
}

/* Returns false when asked to quit. */
static bool handle_signal(int sfd)
{
    struct signalfd_siginfo si;

    while (read(sfd, &si, sizeof(si)) == sizeof(si)) {
        if (si.ssi_signo == SIGUSR1) {
            stats_print_all();
        } else {
            info_report("%s: exiting", strsignal(si.ssi_signo));
            return false;
        }
    }
    return true;
}

static void handle_socket(Port *p)
{
    Error *err = NULL;

    if (!p->connected) {
        return;
    }
    if (!vu_dev_dispatch(&p->dev, &err)) {
        port_disconnect(p, err ? error_get_pretty(err) : NULL);
        error_free(err);
    }
}

static int loop_timeout_ms(bool work_pending)
{
    int64_t now = switch_now_ms(), next = now + 1000;

    if (sw.poll || work_pending) {
        return 0;
    }
    for (unsigned i = 0; i < sw.nports; i++) {
        Port *p = &sw.ports[i];
        if (!p->server && !p->connected && p->next_retry_ms < next) {
            next = p->next_retry_ms;
        }
    }
    return next > now ? (int)(next - now) : 0;
}

static bool run_pending(void)
{
    bool more = false;

    for (unsigned i = 0; i < sw.nports; i++) {
        Port *p = &sw.ports[i];
        if (!p->connected) {
            continue;
        }
        for (unsigned q = 1; q < 2 * p->dev.queue_pairs; q += 2) {
            if (sw.poll || p->tx_pending[q]) {
                port_process_tx(p, q);
                more |= p->tx_pending[q];
            }
        }
    }
    return more;
}

static void run(int sfd)
{
    bool pending = false;

    for (;;) {
        struct epoll_event evs[64];
        int n = epoll_wait(sw.epfd, evs, 64, loop_timeout_ms(pending));
        int64_t now = switch_now_ms();

        if (n < 0 && errno != EINTR) {
            error_report("epoll_wait failed: %s", strerror(errno));
            return;
        }
        for (int i = 0; i < n; i++) {
            EvTag *t = evs[i].data.ptr;
            switch (t->type) {
            case EV_SIGNAL:
                if (!handle_signal(sfd)) {
                    return;
                }
                break;
            case EV_LISTEN:
                port_accept(t->port);
                break;
            case EV_SOCK:
                handle_socket(t->port);
                break;
            case EV_KICK:
                if (t->port->connected) {
                    VuVirtq *vq = &t->port->dev.vq[t->qidx];
                    vu_virtq_kick_drain(&t->port->dev, vq);
                    if (t->qidx & 1) {
                        port_process_tx(t->port, t->qidx);
                    }
                }
                break;
            }
        }
        pending = run_pending();
        for (unsigned i = 0; i < sw.nports; i++) {
            Port *p = &sw.ports[i];
            if (!p->server && !p->connected && now >= p->next_retry_ms) {
                port_try_connect(p);
            }
        }
        if (now >= sw.next_sweep_ms) {
            fdb_sweep();
            sw.next_sweep_ms = now + 10000;
        }
    }
}

int main(int argc, char **argv)
{
    EvTag sig_tag = { EV_SIGNAL, NULL, 0 };
    Error *err = NULL;
    int r, sfd;

    error_set_progname("vmu-switch");
    trace_set_thread_name("main");
    r = parse_args(argc, argv);
    if (r >= 0) {
        return r;
    }
    trace_check_patterns();
    sw.epfd = epoll_create1(EPOLL_CLOEXEC);
    if (sw.epfd < 0) {
        error_report("cannot create an epoll instance: %s", strerror(errno));
        return 1;
    }
    fdb_init();
    sfd = setup_signals(&sig_tag, &err);
    if (sfd < 0) {
        error_report_err(err);
        return 1;
    }
    for (unsigned i = 0; i < sw.nports; i++) {
        if (!port_open(&sw.ports[i], &err)) {
            error_report_err(err);
            for (unsigned j = 0; j < i; j++) {
                port_close(&sw.ports[j]);
            }
            return 1;
        }
    }
    info_report("%u port%s, %s, %u queue pair%s per port, %s", sw.nports,
                sw.nports == 1 ? "" : "s",
                sw.nports == 1 ? "echo" : "learning switch",
                sw.queue_pairs, sw.queue_pairs == 1 ? "" : "s",
                sw.poll ? "polling" : "event-driven");
    run(sfd);
    stats_print_all();
    for (unsigned i = 0; i < sw.nports; i++) {
        port_close(&sw.ports[i]);
    }
    fdb_free();
    close(sfd);
    close(sw.epfd);
    return 0;
}
