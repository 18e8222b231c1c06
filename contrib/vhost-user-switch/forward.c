/*
 * Where a frame goes: back to its port (one port: echo), to the port its
 * destination was learnt on, or to every other port (broadcast,
 * multicast, unknown unicast).
 */
#include <string.h>

#include "switch.h"
#include "util/trace.h"

/* Put a frame on one of dst's receive rings, matching the queue pair. */
static void deliver(Port *dst, unsigned qp, const uint8_t *frame, size_t len)
{
    VuDev *dev = &dst->dev;
    VuVirtq *vq;
    int r;

    if (!dst->connected) {
        return;
    }
    vq = &dev->vq[2 * (qp % dev->queue_pairs)];
    if (!vu_virtq_usable(vq) || !vq->enabled) {
        vq = &dev->vq[0];
    }
    if (!vu_virtq_usable(vq) || !vq->enabled) {
        dst->st.drops++;
        trace(vmu_switch_drop, "port %u: no started and enabled receive ring",
              dst->id);
        return;
    }
    r = vu_net_rx_frame(dev, vq, frame, len);
    if (r > 0) {
        dst->st.tx_frames++;
        dst->st.tx_bytes += len;
        dst->rx_dirty[vq->idx] = true;
        trace(vmu_switch_tx, "port %u ring %u: %zu bytes", dst->id, vq->idx,
              len);
    } else if (r == 0) {
        dst->st.drops++;
        trace(vmu_switch_drop, "port %u ring %u: no receive buffer for %zu "
              "bytes", dst->id, vq->idx, len);
    } else {
        dst->st.errors++;
    }
}

void switch_forward(Port *src, unsigned qidx, const uint8_t *frame,
                    size_t len)
{
    unsigned qp = qidx / 2;
    const uint8_t *dmac = frame, *smac = frame + 6;
    int out;

    trace(vmu_switch_rx, "port %u ring %u: %zu bytes %02x:%02x:%02x:%02x:"
          "%02x:%02x -> %02x:%02x:%02x:%02x:%02x:%02x", src->id, qidx, len,
          smac[0], smac[1], smac[2], smac[3], smac[4], smac[5],
          dmac[0], dmac[1], dmac[2], dmac[3], dmac[4], dmac[5]);
    if (sw.nports == 1) {
        deliver(src, qp, frame, len);   /* echo */
        return;
    }
    fdb_learn(smac, src->id);
    out = (dmac[0] & 1) ? -1 : fdb_lookup(dmac);
    if (out == (int)src->id) {
        src->st.drops++;
        trace(vmu_switch_drop, "port %u: destination is on the same port",
              src->id);
        return;
    }
    if (out >= 0) {
        deliver(&sw.ports[out], qp, frame, len);
        return;
    }
    trace(vmu_switch_flood, "port %u: %zu bytes flooded", src->id, len);
    for (unsigned i = 0; i < sw.nports; i++) {
        if (i != src->id) {
            deliver(&sw.ports[i], qp, frame, len);
        }
    }
}
