/*
 * The generic vhost device: N rings handed to a back-end (through a
 * VhostBackendOps table) so that it, not vmu, moves the packets.  The
 * virtio device describes each ring with plain data; vhost.c turns that
 * into the start and stop sequences.
 */
#ifndef VMU_HW_VIRTIO_VHOST_H
#define VMU_HW_VIRTIO_VHOST_H

#include <stdbool.h>
#include <stdint.h>

#include "hw/virtio/vhost-backend.h"
#include "system/memory.h"
#include "util/error.h"

/* One ring, as the virtio device sees it. */
typedef struct VhostRing {
    unsigned num;               /* ring size (power of two, <= 32768) */
    uint64_t desc, avail, used; /* guest-physical addresses */
    unsigned last_avail_idx;    /* where the back-end starts; kept at stop */
    int kick_fd;                /* the queue's ioeventfd eventfd */
    int call_fd;                /* its irqfd eventfd, or -1 */
    bool disabled;              /* MQ: a pair the driver has not enabled */
} VhostRing;

typedef struct VhostDev {
    const VhostBackendOps *ops;
    void *backend;              /* the ops' first argument (a VhostUser) */
    const char *name;           /* for errors: "netdev net0" */
    unsigned nrings;
    VhostRing *rings;           /* nrings entries, the caller's */
    /* Guest RAM: gpa -> hva for ring addresses and the memory table. */
    const RAMRange *ram;
    unsigned nram;
    uint64_t backend_features;  /* set by vhost_dev_init */
    uint64_t acked_features;    /* what the last start sent */
    bool started;
} VhostDev;

/* Fill dev and ask the back-end for its features. */
bool vhost_dev_init(VhostDev *dev, const VhostBackendOps *ops, void *backend,
                    const char *name, VhostRing *rings, unsigned nrings,
                    Error **errp);
void vhost_dev_set_memory(VhostDev *dev, const RAMRange *ram, unsigned n);

/*
 * DRIVER_OK: SET_FEATURES (features, the device's policy, as far as the
 * back-end offers them: virtio_net_vhost_features() for a NIC),
 * SET_STATUS(FEATURES_OK), the memory table, per ring NUM, BASE, ADDR,
 * KICK, CALL, ENABLE, then SET_STATUS(DRIVER_OK).  Refuses rings outside
 * RAM.  On failure nothing is left half-started (dev->started false).
 */
bool vhost_dev_start(VhostDev *dev, uint64_t features, Error **errp);
/*
 * Reset or stop: SET_STATUS(0) and GET_VRING_BASE per ring; the indices
 * are kept in rings[i].last_avail_idx for the next start.  When the
 * back-end cannot answer (gone), each ring resumes from used->idx read
 * from guest memory, so buffers in flight are handed over again.
 * The caller unwires the notifiers.  Returns false (with errp) when the
 * back-end failed; the indices are usable either way.
 */
bool vhost_dev_stop(VhostDev *dev, Error **errp);
/* The back-end is gone: take every ring's index from used->idx. */
void vhost_dev_backend_lost(VhostDev *dev);
/* MQ: enable or disable one ring (SET_VRING_ENABLE). */
bool vhost_dev_enable_ring(VhostDev *dev, unsigned idx, bool enable,
                           Error **errp);

/* Host pointer for [gpa, gpa+len) in dev's RAM, or NULL. */
void *vhost_dev_gpa_to_hva(const VhostDev *dev, uint64_t gpa, uint64_t len);

#endif
