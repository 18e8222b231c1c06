/*
 * vmu-switch: a learning L2 switch between vhost-user ports (one port:
 * an echo).  Shared types of its files: ports, the forwarding database,
 * the event loop.
 */
#ifndef VMU_SWITCH_H
#define VMU_SWITCH_H

#include <stdbool.h>
#include <stdint.h>
#include <glib.h>

#include "libvhost-user.h"

#define SWITCH_MAX_PORTS  64
#define SWITCH_MAX_FRAME  (65535 + 14)
#define SWITCH_TX_BUDGET  256          /* frames per ring per turn */
#define SWITCH_RETRY_MIN_MS 100
#define SWITCH_RETRY_MAX_MS 5000

typedef enum EvType { EV_LISTEN, EV_SOCK, EV_KICK, EV_SIGNAL } EvType;

typedef struct Port Port;

/* What an epoll event stands for. */
typedef struct EvTag {
    EvType type;
    Port *port;
    unsigned qidx;
} EvTag;

typedef struct PortStats {
    uint64_t rx_frames, rx_bytes;   /* from the front-end (its TX rings) */
    uint64_t tx_frames, tx_bytes;   /* to the front-end (its RX rings) */
    uint64_t drops;                 /* no buffer, ring disabled, hairpin */
    uint64_t errors;                /* malformed frames, broken rings */
} PortStats;

struct Port {
    unsigned id;
    char *path;
    bool server;
    int listen_fd;
    bool connected;
    VuDev dev;
    PortStats st;
    unsigned retry_ms;
    int64_t next_retry_ms;          /* client: when to try again */
    bool rx_dirty[VU_MAX_QUEUES];   /* frames delivered, notify pending */
    bool tx_pending[VU_MAX_QUEUES]; /* budget ran out, more to do */
    EvTag listen_tag, sock_tag, kick_tag[VU_MAX_QUEUES];
};

typedef struct Switch {
    Port ports[SWITCH_MAX_PORTS];
    unsigned nports;
    unsigned queue_pairs;
    unsigned ageing_s;
    bool poll;
    int epfd;
    GHashTable *fdb;                /* MAC (u64) -> FdbEntry */
    int64_t next_sweep_ms;
    uint8_t frame[SWITCH_MAX_FRAME];
} Switch;

extern Switch sw;

int64_t switch_now_ms(void);

/* port.c */
bool port_open(Port *p, Error **errp);
void port_try_connect(Port *p);
void port_accept(Port *p);
void port_disconnect(Port *p, const char *why);
void port_close(Port *p);
void port_stats_print(const Port *p);
void port_process_tx(Port *p, unsigned qidx);
void port_flush_rx(void);
bool epoll_watch(int fd, EvTag *tag, Error **errp);
void epoll_unwatch(int fd);

/* fdb.c */
void fdb_init(void);
void fdb_free(void);
/* Learn src on port; returns the port for dst or -1 (unknown/ aged). */
void fdb_learn(const uint8_t *mac, unsigned port);
int fdb_lookup(const uint8_t *mac);
void fdb_forget_port(unsigned port);
void fdb_sweep(void);

/* forward.c */
void switch_forward(Port *src, unsigned qidx, const uint8_t *frame,
                    size_t len);

#endif
