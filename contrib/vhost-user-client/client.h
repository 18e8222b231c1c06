/*
 * vmu-vhost-client: a guestless vhost-user front-end.  It plays the guest
 * driver of a virtio-net device (split rings in a memfd laid out like
 * guest RAM) over vmu's own vhost-user.c and vhost.c, to load, measure and
 * check any vhost-user net back-end.
 *
 * Frames of up to 9,216 bytes: received across several 2 KiB buffers
 * (MRG_RXBUF) or into 10 KiB descriptor chains (without it), transmitted
 * as a descriptor chain of 2 KiB pieces.  Every frame sent carries a
 * stream id, a sequence number, its length and a pattern derived from the
 * sequence number, so a receiver (--verify) can tell each frame arrived
 * whole and in order.
 *
 * The files, one job each: conn.c (the connection and negotiation, through
 * vmu's front-end code), ring.c (the ring driver), frame.c (test frames:
 * making, checking, counting), modes.c (--send, --recv/--echo,
 * --pingpong), check.c (the --check table), main.c (the command line).
 */
#ifndef VMU_VHOST_CLIENT_H
#define VMU_VHOST_CLIENT_H

#include <signal.h>
#include <stdbool.h>
#include <stdint.h>

#include <linux/virtio_ring.h>

#include "hw/virtio/vhost-user.h"
#include "hw/virtio/vhost.h"

#define BUF_SIZE 2048           /* one descriptor's buffer */
#define MAX_QSIZE 1024
#define MIN_FRAME 60
#define MAX_FRAME 9216          /* jumbo frames up to 9216 bytes */
/* Without MRG_RXBUF a receive buffer is a chain of this many descriptors. */
#define RX_CHAIN ((12 + MAX_FRAME + BUF_SIZE - 1) / BUF_SIZE)
#define MAX_SIZES 65536
#define MAX_STREAMS 64
#define RX 0
#define TX 1

/* The test frame: Ethernet header, then this, then the pattern. */
#define ETH_TYPE_TEST 0x88b5        /* IEEE local experimental 1 */
#define ETH_TYPE_ANNOUNCE 0x88b6    /* local experimental 2: --announce */
#define PAT_MAGIC 0x63554d56u       /* "VMUc" */
#define PAT_PERIOD 251              /* prime: no 2 KiB piece lines up */
typedef struct __attribute__((packed)) PatHdr {
    uint32_t magic;
    uint32_t stream;
    uint64_t seq;
    uint16_t len;               /* the whole frame's length */
    uint16_t pad;
    double t;                   /* when it was sent (--pingpong) */
} PatHdr;
#define PAT_OFF 14
#define PAT_DATA (PAT_OFF + (int)sizeof(PatHdr))   /* 46 */

typedef struct Queue {
    unsigned num;
    struct vring_desc *desc;
    struct vring_avail *avail;
    struct vring_used *used;
    uint8_t *buf;               /* num buffers of BUF_SIZE */
    uint64_t buf_gpa;
    uint16_t avail_idx;         /* next avail slot we publish */
    uint16_t last_used;         /* next used entry we read */
    /* TX: free descriptor ids, first in first out (descriptors are used
     * in sequence, which keeps the back-end's reads and ours in step) */
    uint16_t free[MAX_QSIZE];
    unsigned nfree, free_head;
    uint16_t pending[MAX_QSIZE];/* RX: buffers to hand back */
    unsigned npending;
    unsigned txlen[MAX_QSIZE];  /* TX: frame length by chain head */
    unsigned last_nbufs;        /* RX: buffers the last frame spanned */
} Queue;

typedef struct Stream {
    uint32_t id;
    uint64_t next;              /* the sequence number expected */
} Stream;

/* What was received (and, with --verify, checked). */
typedef struct RxStats {
    unsigned long long frames, bytes;
    unsigned long long bad;         /* ours, but length or content wrong */
    unsigned long long out_of_order;/* a sequence number below the next */
    unsigned long long missing;     /* sequence numbers skipped */
    unsigned long long other;       /* not a test frame (or --announce) */
    unsigned long long errors;      /* malformed used entries */
    double first, last;
    Stream streams[MAX_STREAMS];
    unsigned nstreams;
} RxStats;

typedef struct Client {
    const char *path;
    bool server;
    int listen_fd;
    int fd;
    unsigned qsize;
    int timeout_ms;
    bool no_mrg;                /* do not ask for MRG_RXBUF */
    bool mrg;                   /* negotiated */
    bool verify;
    bool busy_poll;             /* never sleep on the call fd */
    uint8_t mac[6], dst[6];
    uint32_t stream;
    /* guest RAM: one region at gpa 0 */
    int memfd;
    uint8_t *mem;
    size_t mem_size;
    RAMRange ram;
    Queue q[2];
    VhostRing rings[2];
    VhostUser *u;
    VhostDev dev;
    unsigned hdr_len;
    uint8_t rxframe[MAX_FRAME + BUF_SIZE];  /* a frame gathered from pieces */
    RxStats rx;
    unsigned long long tx_bytes;            /* bytes of reclaimed frames */
} Client;

/* Set by signals (main.c): stop (SIGINT, SIGTERM), report (SIGUSR1). */
extern volatile sig_atomic_t stop_flag, report_flag;

double now_s(void);

/* conn.c: the back-end connection, negotiated as vmu does. */
bool client_connect(Client *c, Error **errp);
void client_disconnect(Client *c);
bool client_handshake(Client *c, Error **errp);
bool client_dev_start(Client *c, Error **errp);
bool client_start(Client *c, Error **errp);     /* the three above */
bool ring_restart(Client *c, unsigned i, unsigned base, Error **errp);

/* ring.c: the guest driver's side of both split rings. */
bool client_mem_init(Client *c, Error **errp);
void queues_reset(Client *c);
void kick(Client *c, int i);
void publish(Queue *q);
void wait_for_call(Client *c, int ms);
unsigned tx_reclaim(Client *c);
bool tx_post(Client *c, const void *frame, unsigned len);
int rx_poll(Client *c, uint8_t **frame);
void rx_done(Client *c);

/* frame.c: test frames, and what was received. */
void frame_init(void);
void make_frame(Client *c, uint8_t *f, unsigned len, uint64_t seq, double t);
bool is_test_frame(const uint8_t *f, unsigned len, PatHdr *h);
bool frame_pattern_ok(const uint8_t *f, unsigned len, const PatHdr *h);
void rx_account(Client *c, const uint8_t *f, unsigned len);
unsigned rx_drain(Client *c);
void print_result(Client *c, const char *mode, unsigned long long sent,
                  unsigned long long sent_bytes, double secs);
void announce(Client *c);

/* modes.c */
int mode_send(Client *c, unsigned long long count, const unsigned *sizes,
              unsigned nsizes, double rate, double duration);
int mode_recv(Client *c, double duration, bool echo);
int mode_pingpong(Client *c, unsigned count, unsigned size);

/* check.c: the --check conformance table; 0 when no row failed. */
int mode_check(Client *c);

#endif
