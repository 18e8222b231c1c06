/*
 * Virtio devices and split virtqueues in user space.  Every queue has a
 * host notifier (guest kick) and a guest notifier (interrupt) eventfd; the
 * transport wires them to the accelerator, and either vmu or a vhost
 * back-end consumes them.
 */
#ifndef VMU_HW_VIRTIO_VIRTIO_H
#define VMU_HW_VIRTIO_VIRTIO_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/uio.h>
#include <glib.h>
#include "util/error.h"

#define VIRTIO_CONFIG_S_ACKNOWLEDGE     1
#define VIRTIO_CONFIG_S_DRIVER          2
#define VIRTIO_CONFIG_S_DRIVER_OK       4
#define VIRTIO_CONFIG_S_FEATURES_OK     8
#define VIRTIO_CONFIG_S_NEEDS_RESET     0x40
#define VIRTIO_CONFIG_S_FAILED          0x80

#define VIRTIO_F_NOTIFY_ON_EMPTY        24
#define VIRTIO_F_ANY_LAYOUT             27
#define VIRTIO_RING_F_INDIRECT_DESC     28
#define VIRTIO_RING_F_EVENT_IDX         29
#define VIRTIO_F_VERSION_1              32

#define VIRTIO_NO_VECTOR                0xffff
#define VIRTQUEUE_MAX_SIZE              1024

#define VRING_DESC_F_NEXT               1
#define VRING_DESC_F_WRITE              2
#define VRING_DESC_F_INDIRECT           4
#define VRING_AVAIL_F_NO_INTERRUPT      1
#define VRING_USED_F_NO_NOTIFY          1

typedef struct VirtIODevice VirtIODevice;
typedef struct VirtQueue VirtQueue;

typedef struct VirtQueueElement {
    uint16_t head;
    unsigned in_num, out_num;
    struct iovec *in_sg, *out_sg;   /* host addresses inside guest RAM */
    size_t in_len, out_len;         /* totals */
} VirtQueueElement;

/* What a vhost back-end needs to take a ring over (addresses are GPAs). */
typedef struct VirtioRingInfo {
    uint16_t num;
    uint64_t desc, avail, used;
    uint16_t last_avail_idx;
    uint16_t used_idx;
    bool enabled;
} VirtioRingInfo;

typedef void VirtIOHandleOutput(VirtIODevice *vdev, VirtQueue *vq);

typedef struct VirtioDeviceOps {
    void (*get_config)(VirtIODevice *vdev, uint8_t *config);
    /* The driver wrote config (all of it, as get_config gave it, with the
     * written bytes changed).  NULL: the configuration is read-only. */
    void (*set_config)(VirtIODevice *vdev, const uint8_t *config);
    /* Extra feature rules; a false return refuses FEATURES_OK. */
    bool (*validate_features)(VirtIODevice *vdev, uint64_t features);
    /* After the status changed (FEATURES_OK, DRIVER_OK, or 0 = reset). */
    void (*set_status)(VirtIODevice *vdev, uint8_t old, uint8_t status);
    /* Device state back to power-on (queues are reset by the core). */
    void (*reset)(VirtIODevice *vdev);
} VirtioDeviceOps;

typedef struct VirtioTransportOps {
    /* Raise the configuration change interrupt. */
    void (*notify_config)(VirtIODevice *vdev);
    /* A queue was enabled or disabled: wire or unwire its notifiers. */
    void (*queue_changed)(VirtIODevice *vdev, unsigned index);
} VirtioTransportOps;

struct VirtIODevice {
    const char *name;               /* "virtio-net-pci net0" for errors */
    uint16_t device_id;
    uint8_t status;
    uint8_t isr;
    uint8_t config_generation;
    bool broken;                    /* NEEDS_RESET until the driver resets */
    uint8_t reset_shown;            /* non-zero: a reset still in progress */
    uint64_t host_features;
    uint64_t guest_features;
    uint16_t config_vector;
    size_t config_len;
    unsigned num_queues;
    VirtQueue *vq;
    const VirtioDeviceOps *ops;
    const VirtioTransportOps *transport;
    void *transport_opaque;
};

/* nq queues of up to max_size entries, offered with default_size. */
bool virtio_init(VirtIODevice *vdev, const char *name, uint16_t device_id,
                 size_t config_len, unsigned nq, const VirtioDeviceOps *ops,
                 Error **errp);
VirtQueue *virtio_add_queue(VirtIODevice *vdev, unsigned index,
                            uint16_t default_size, VirtIOHandleOutput *fn);
VirtQueue *virtio_get_queue(VirtIODevice *vdev, unsigned index);
unsigned virtio_queue_index(VirtQueue *vq);

bool virtio_has_feature(VirtIODevice *vdev, unsigned bit);
/* Driver writes; a false return keeps FEATURES_OK clear. */
void virtio_set_status(VirtIODevice *vdev, uint8_t status);
void virtio_reset(VirtIODevice *vdev);
/*
 * A reset the device cannot complete yet (a vhost back-end still holds
 * the rings): device_status reads shown (non-zero) until released, as
 * the virtio spec allows; the driver waits for 0.
 */
void virtio_reset_hold(VirtIODevice *vdev, uint8_t shown);
void virtio_reset_release(VirtIODevice *vdev);
/* device_status as the driver reads it. */
uint8_t virtio_get_status(VirtIODevice *vdev);
/* The device found the driver broke the rules: NEEDS_RESET, config irq. */
void virtio_error(VirtIODevice *vdev, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
void virtio_notify_config(VirtIODevice *vdev);

/* Queue registers as the transport exposes them. */
uint16_t virtio_queue_get_num(VirtQueue *vq);
uint16_t virtio_queue_get_max_num(VirtQueue *vq);
bool virtio_queue_set_num(VirtQueue *vq, uint16_t num);
void virtio_queue_set_addr(VirtQueue *vq, unsigned which, uint64_t gpa);
uint64_t virtio_queue_get_addr(VirtQueue *vq, unsigned which);
/* Checks the ring lies in guest RAM; false leaves the queue disabled. */
bool virtio_queue_enable(VirtQueue *vq);
bool virtio_queue_enabled(VirtQueue *vq);
uint16_t virtio_queue_get_vector(VirtQueue *vq);
void virtio_queue_set_vector(VirtQueue *vq, uint16_t vector);

/* Data path. */
bool virtio_queue_ready(VirtQueue *vq);
bool virtio_queue_empty(VirtQueue *vq);
/* Next available chain, or NULL (empty, or broken: see virtio_error). */
VirtQueueElement *virtqueue_pop(VirtQueue *vq);
/* Put it back unused (it will be popped again). */
void virtqueue_unpop(VirtQueue *vq, VirtQueueElement *elem);
/* Mark used with len bytes written (publish with virtqueue_flush). */
void virtqueue_fill(VirtQueue *vq, VirtQueueElement *elem, uint32_t len,
                    unsigned offset);
void virtqueue_flush(VirtQueue *vq, unsigned count);
void virtqueue_push(VirtQueue *vq, VirtQueueElement *elem, uint32_t len);
void virtqueue_element_free(VirtQueueElement *elem);
/* Interrupt the driver if it wants one (EVENT_IDX / NO_INTERRUPT). */
void virtio_notify(VirtIODevice *vdev, VirtQueue *vq);
/* Run the queue's handler (a kick arrived). */
void virtio_queue_notify(VirtQueue *vq);

/* Notifiers: stable eventfds, one pair per queue. */
int virtio_queue_get_host_notifier_fd(VirtQueue *vq);
int virtio_queue_get_guest_notifier_fd(VirtQueue *vq);
/*
 * Hand the ring to a vhost back-end (on) or take it back (off): while on,
 * vmu neither reads the host notifier nor touches the ring.
 */
void virtio_queue_set_vhost(VirtQueue *vq, bool on);
/* vmu serves the ring again: the back-end's kick suppression is undone. */
void virtio_queue_take_back(VirtQueue *vq);
bool virtio_queue_get_ring(VirtQueue *vq, VirtioRingInfo *info);
/* Where to resume after a back-end stopped (its GET_VRING_BASE). */
void virtio_queue_set_last_avail_idx(VirtQueue *vq, uint16_t idx);
/* The used index as the guest sees it (to resume after a crash). */
uint16_t virtio_queue_read_used_idx(VirtQueue *vq);

/* Copy helpers over an element's scatter list. */
size_t iov_from_buf(const struct iovec *iov, unsigned n, size_t offset,
                    const void *buf, size_t len);
size_t iov_to_buf(const struct iovec *iov, unsigned n, size_t offset,
                  void *buf, size_t len);

#endif
