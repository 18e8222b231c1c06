/*
 * The generic vhost device: the start/stop sequences of a set of rings
 * handed to a back-end, guest-physical ring addresses translated with the
 * memory map, ring indices kept across stops and back-end restarts.
 */
#include <inttypes.h>
#include <string.h>

#include <linux/virtio_config.h>
#include <linux/virtio_ring.h>

#include "hw/virtio/vhost.h"
#include "util/trace.h"

void *vhost_dev_gpa_to_hva(const VhostDev *dev, uint64_t gpa, uint64_t len)
{
    for (unsigned i = 0; i < dev->nram; i++) {
        const RAMRange *r = &dev->ram[i];
        if (gpa >= r->gpa && len <= r->size && gpa - r->gpa <= r->size - len) {
            return (uint8_t *)r->hva + (gpa - r->gpa);
        }
    }
    return NULL;
}

bool vhost_dev_init(VhostDev *dev, const VhostBackendOps *ops, void *backend,
                    const char *name, VhostRing *rings, unsigned nrings,
                    Error **errp)
{
    memset(dev, 0, sizeof(*dev));
    dev->ops = ops;
    dev->backend = backend;
    dev->name = name;
    dev->rings = rings;
    dev->nrings = nrings;
    return ops->get_features(backend, &dev->backend_features, errp);
}

void vhost_dev_set_memory(VhostDev *dev, const RAMRange *ram, unsigned n)
{
    dev->ram = ram;
    dev->nram = n;
}

/* The split ring's parts, refused when they are not in RAM. */
static bool ring_hva(VhostDev *dev, unsigned i, uint64_t *desc,
                     uint64_t *avail, uint64_t *used, Error **errp)
{
    VhostRing *r = &dev->rings[i];
    uint64_t dsz = 16ULL * r->num, asz = 6 + 2ULL * r->num,
             usz = 6 + 8ULL * r->num;
    void *d = vhost_dev_gpa_to_hva(dev, r->desc, dsz);
    void *a = vhost_dev_gpa_to_hva(dev, r->avail, asz);
    void *u = vhost_dev_gpa_to_hva(dev, r->used, usz);

    if (!r->num || r->num > 32768 || (r->num & (r->num - 1))) {
        error_setg(errp, "%s: ring %u has size %u; a split ring has a power "
                   "of two from 1 to 32768 entries", dev->name, i, r->num);
        return false;
    }
    if (!d || !a || !u) {
        error_setg(errp, "%s: ring %u lies outside guest RAM (desc 0x%" PRIx64
                   " avail 0x%" PRIx64 " used 0x%" PRIx64 "); the guest "
                   "driver gave bad addresses", dev->name, i, r->desc,
                   r->avail, r->used);
        return false;
    }
    *desc = (uintptr_t)d;
    *avail = (uintptr_t)a;
    *used = (uintptr_t)u;
    return true;
}

static bool ring_start(VhostDev *dev, unsigned i, Error **errp)
{
    const VhostBackendOps *ops = dev->ops;
    VhostRing *r = &dev->rings[i];
    uint64_t desc, avail, used;

    if (!ring_hva(dev, i, &desc, &avail, &used, errp)) {
        return false;
    }
    trace(vhost_ring_start, "%s: ring %u num %u base %u", dev->name, i,
          r->num, r->last_avail_idx);
    return ops->set_vring_num(dev->backend, i, r->num, errp) &&
           ops->set_vring_base(dev->backend, i, r->last_avail_idx, errp) &&
           ops->set_vring_addr(dev->backend, i, desc, used, avail, errp) &&
           ops->set_vring_kick(dev->backend, i, r->kick_fd, errp) &&
           ops->set_vring_call(dev->backend, i, r->call_fd, errp) &&
           (!ops->set_vring_enable ||
            ops->set_vring_enable(dev->backend, i, !r->disabled, errp));
}

bool vhost_dev_start(VhostDev *dev, uint64_t features, Error **errp)
{
    const VhostBackendOps *ops = dev->ops;
    uint8_t st = VIRTIO_CONFIG_S_ACKNOWLEDGE | VIRTIO_CONFIG_S_DRIVER |
                 VIRTIO_CONFIG_S_FEATURES_OK;

    /* The device's choice, as far as the back-end offers it. */
    dev->acked_features = features & dev->backend_features;
    trace(vhost_dev_start, "%s: %u rings features 0x%" PRIx64, dev->name,
          dev->nrings, dev->acked_features);
    if (!ops->set_features(dev->backend, dev->acked_features, errp)) {
        return false;
    }
    if (ops->set_status && !ops->set_status(dev->backend, st, errp)) {
        return false;
    }
    if (!ops->set_mem_table(dev->backend, dev->ram, dev->nram, errp)) {
        return false;
    }
    for (unsigned i = 0; i < dev->nrings; i++) {
        if (!ring_start(dev, i, errp)) {
            return false;
        }
    }
    if (ops->set_status &&
        !ops->set_status(dev->backend, st | VIRTIO_CONFIG_S_DRIVER_OK, errp)) {
        return false;
    }
    dev->started = true;
    return true;
}

static unsigned used_idx(VhostDev *dev, unsigned i)
{
    VhostRing *r = &dev->rings[i];
    struct vring_used *u = vhost_dev_gpa_to_hva(dev, r->used, 4);
    return u ? __atomic_load_n(&u->idx, __ATOMIC_ACQUIRE) : r->last_avail_idx;
}

static void rings_from_used(VhostDev *dev, unsigned first)
{
    for (unsigned i = first; i < dev->nrings; i++) {
        dev->rings[i].last_avail_idx = used_idx(dev, i);
        trace(vhost_ring_resume_from_used, "%s: ring %u base %u", dev->name,
              i, dev->rings[i].last_avail_idx);
    }
    dev->started = false;
}

void vhost_dev_backend_lost(VhostDev *dev)
{
    rings_from_used(dev, 0);
}

bool vhost_dev_stop(VhostDev *dev, Error **errp)
{
    const VhostBackendOps *ops = dev->ops;
    Error *local = NULL;
    unsigned i = 0;

    if (!dev->started) {
        return true;
    }
    trace(vhost_dev_stop, "%s", dev->name);
    if (ops->set_status && !ops->set_status(dev->backend, 0, &local)) {
        goto lost;
    }
    for (; i < dev->nrings; i++) {
        /* An asynchronous back-end fills the index in when it answers. */
        if (!ops->get_vring_base(dev->backend, i,
                                 &dev->rings[i].last_avail_idx, &local)) {
            goto lost;
        }
        trace(vhost_ring_stop, "%s: ring %u", dev->name, i);
    }
    dev->started = false;
    return true;

lost:
    /* Rings that answered keep their index; the rest resume from used. */
    rings_from_used(dev, i);
    error_propagate(errp, local);
    return false;
}

bool vhost_dev_enable_ring(VhostDev *dev, unsigned idx, bool enable,
                           Error **errp)
{
    if (idx >= dev->nrings) {
        error_setg(errp, "%s: there is no ring %u (%u rings)", dev->name, idx,
                   dev->nrings);
        return false;
    }
    dev->rings[idx].disabled = !enable;
    if (!dev->started || !dev->ops->set_vring_enable) {
        return true;
    }
    return dev->ops->set_vring_enable(dev->backend, idx, enable, errp);
}
