/*
 * What the generic vhost device (vhost.c) needs from a back-end: the ring
 * and memory operations of the vhost protocol.  vhost-user implements them
 * over its socket; a kernel vhost-net could implement them with ioctls.
 */
#ifndef VMU_HW_VIRTIO_VHOST_BACKEND_H
#define VMU_HW_VIRTIO_VHOST_BACKEND_H

#include <stdbool.h>
#include <stdint.h>

#include "system/memory.h"
#include "util/error.h"

/*
 * Every operation returns false and fills errp on failure.  Ring addresses
 * are host virtual addresses in this process; vhost.c translates guest
 * physical addresses with the memory map first.  A NULL operation is
 * skipped (set_vring_enable, set_status, get_status: the back-end has no
 * such thing).
 */
typedef struct VhostBackendOps {
    const char *name;   /* "vhost-user" */
    bool (*get_features)(void *be, uint64_t *features, Error **errp);
    /* The virtio feature bits the back-end is to use (no transport bits). */
    bool (*set_features)(void *be, uint64_t features, Error **errp);
    bool (*set_mem_table)(void *be, const RAMRange *ram, unsigned n,
                          Error **errp);
    bool (*set_vring_num)(void *be, unsigned idx, unsigned num, Error **errp);
    bool (*set_vring_base)(void *be, unsigned idx, unsigned base,
                           Error **errp);
    /* Stops the ring; *base is the next avail index to process. */
    bool (*get_vring_base)(void *be, unsigned idx, unsigned *base,
                           Error **errp);
    bool (*set_vring_addr)(void *be, unsigned idx, uint64_t desc,
                           uint64_t used, uint64_t avail, Error **errp);
    /* fd < 0: no fd (the back-end polls / raises no interrupt). */
    bool (*set_vring_kick)(void *be, unsigned idx, int fd, Error **errp);
    bool (*set_vring_call)(void *be, unsigned idx, int fd, Error **errp);
    bool (*set_vring_enable)(void *be, unsigned idx, bool enable,
                             Error **errp);
    /* Virtio device status (ACKNOWLEDGE|DRIVER|FEATURES_OK|DRIVER_OK). */
    bool (*set_status)(void *be, uint8_t status, Error **errp);
} VhostBackendOps;

#endif
