/*
 * libvhost-user: the back-end side of vhost-user for a net device.  One
 * VuDev per connection: it answers the front-end's messages, maps guest
 * memory, and gives split virtqueues to the application, checking every
 * index, length and address the front-end hands over.
 *
 * The application owns the event loop: it watches the socket and calls
 * vu_dev_dispatch(), and it watches kick fds (told by iface->kick_changed)
 * and drains/pops rings.  Nothing here exits or aborts.
 */
#ifndef LIBVHOST_USER_H
#define LIBVHOST_USER_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/uio.h>
#include <linux/virtio_ring.h>

#include "net/vhost-user-proto.h"
#include "util/error.h"

#define VU_MAX_QUEUE_PAIRS 8
#define VU_MAX_QUEUES      (2 * VU_MAX_QUEUE_PAIRS)
#define VU_MAX_MEM_SLOTS   32      /* GET_MAX_MEM_SLOTS */
#define VU_MAX_IOV         64      /* buffers in one descriptor chain */
#define VU_RECV_TIMEOUT_MS 250     /* for the rest of a started message */

typedef struct VuDev VuDev;

typedef struct VuDevIface {
    /*
     * A ring's kick fd changes (old_fd or new_fd may be -1).  The
     * application stops watching old_fd (the library closes it after the
     * call) and starts watching new_fd.
     */
    void (*kick_changed)(VuDev *dev, unsigned qidx, int old_fd, int new_fd);
    /* A ring was stopped (GET_VRING_BASE), reset or marked broken. */
    void (*ring_stopped)(VuDev *dev, unsigned qidx);
} VuDevIface;

typedef struct VuRegion {
    uint64_t gpa;              /* guest physical address */
    uint64_t size;
    uint64_t uva;              /* front-end virtual address */
    uint64_t mmap_offset;
    uint8_t *host;             /* our mapping of gpa */
    void *map_base;            /* for munmap */
    size_t map_len;
} VuRegion;

typedef struct VuVirtq {
    unsigned idx;
    unsigned num;                  /* 0 until SET_VRING_NUM */
    VhostUserVringAddr addr;
    bool addr_set;
    struct vring_desc *desc;       /* NULL while not mapped */
    struct vring_avail *avail;
    struct vring_used *used;
    uint16_t last_avail_idx;       /* next avail entry to take */
    uint16_t shadow_avail_idx;     /* last avail->idx read */
    uint16_t used_idx;
    uint16_t signalled_used;
    bool signalled_used_valid;
    int kick_fd, call_fd, err_fd;
    bool poll_kick;                /* NOFD kick: the ring is polled */
    bool started;                  /* first kick seen, until GET_VRING_BASE */
    bool enabled;                  /* SET_VRING_ENABLE */
    bool broken;                   /* the front-end gave us garbage */
} VuVirtq;

struct VuDev {
    char *name;                    /* "vhost-user socket PATH" for messages */
    int sock;
    const VuDevIface *iface;
    void *opaque;

    uint64_t features_offered;
    uint64_t features;             /* acked by SET_FEATURES */
    uint64_t protocol_features_offered;
    uint64_t protocol_features;
    unsigned queue_pairs;
    unsigned vnet_hdr_len;         /* 10 or 12 */

    VuRegion regions[VU_MAX_MEM_SLOTS];
    unsigned nregions;

    VuVirtq vq[VU_MAX_QUEUES];
    int backend_fd;                /* SET_BACKEND_REQ_FD */
    uint64_t status;               /* SET_STATUS */
    uint64_t mtu;
    bool owner;
    RateLimit unknown_rl;
};

/* One buffer chain taken from a ring. */
typedef struct VuElem {
    unsigned head;
    unsigned out_num, in_num;      /* device-readable, device-writable */
    size_t out_len, in_len;        /* bytes in each direction */
    struct iovec out[VU_MAX_IOV];
    struct iovec in[VU_MAX_IOV];
} VuElem;

/* --- connection --- */
void vu_dev_init(VuDev *dev, const char *name, int sock,
                 uint64_t features, uint64_t protocol_features,
                 unsigned queue_pairs, const VuDevIface *iface, void *opaque);
/* Unmap memory, close every fd (the socket too), forget all state. */
void vu_dev_cleanup(VuDev *dev);
/*
 * Read and handle one message.  Returns true to go on; false when the
 * connection is over: the peer hung up (*errp NULL) or broke the stream
 * so that no further message can be trusted (*errp says why).
 */
bool vu_dev_dispatch(VuDev *dev, Error **errp);
static inline bool vu_has_feature(const VuDev *dev, unsigned bit)
{
    return dev->features & (1ull << bit);
}
static inline bool vu_has_protocol_feature(const VuDev *dev, unsigned bit)
{
    return dev->protocol_features & (1ull << bit);
}

/* --- memory --- */
/* Host pointer for guest-physical gpa; *len is clipped to what lies
 * contiguously in the same region.  NULL if gpa is in no region. */
void *vu_gpa_to_va(VuDev *dev, uint64_t gpa, uint64_t *len);
/* Host pointer for front-end virtual [uva, uva+len), in one region. */
void *vu_uva_to_va(VuDev *dev, uint64_t uva, uint64_t len);

/* --- virtqueues --- */
static inline bool vu_virtq_usable(const VuVirtq *vq)
{
    return vq->started && !vq->broken && vq->num;
}
/* The kick fd became readable: drain it and start the ring. */
void vu_virtq_kick_drain(VuDev *dev, VuVirtq *vq);
/* 1: an element; 0: ring empty (or not usable); -1: the ring broke. */
int vu_virtq_pop(VuDev *dev, VuVirtq *vq, VuElem *elem);
/* Give back the last n popped elements, unused. */
void vu_virtq_rewind(VuVirtq *vq, unsigned n);
/* Put a used entry at used_idx + off; flush publishes count entries. */
void vu_virtq_fill(VuVirtq *vq, unsigned head, uint32_t len, unsigned off);
void vu_virtq_flush(VuVirtq *vq, unsigned count);
void vu_virtq_push(VuVirtq *vq, unsigned head, uint32_t len);
/* Interrupt the driver if it wants one (EVENT_IDX / NO_INTERRUPT). */
void vu_virtq_notify(VuDev *dev, VuVirtq *vq);
/* Ask for kicks (enable) or not.  Returns true when, after enabling, the
 * ring is still empty: then sleeping is safe. */
bool vu_virtq_set_notification(VuDev *dev, VuVirtq *vq, bool enable);
bool vu_virtq_empty(VuDev *dev, VuVirtq *vq);
/* Mark the ring broken, report it once, signal its err fd. */
void vu_virtq_fail(VuDev *dev, VuVirtq *vq, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* --- virtio-net --- */
/* Copy a transmitted frame (after the virtio-net header) into buf.
 * Returns its length, or -1 when the chain is malformed or too long. */
long vu_net_tx_frame(VuDev *dev, const VuElem *elem, void *buf, size_t len);
/* Deliver a frame on an RX ring (several buffers with MRG_RXBUF).
 * 1: delivered; 0: no room, dropped; -1: the ring broke. */
int vu_net_rx_frame(VuDev *dev, VuVirtq *vq, const void *frame, size_t len);

/* Helpers on iovec arrays. */
size_t vu_iov_from_buf(const struct iovec *iov, unsigned cnt, size_t off,
                       const void *buf, size_t len);
size_t vu_iov_to_buf(const struct iovec *iov, unsigned cnt, size_t off,
                     void *buf, size_t len);

#endif
