/*
 * virtio-net framing on top of the virtqueues: strip the virtio-net
 * header from transmitted frames, and spread a received frame over one
 * or more receive buffers (MRG_RXBUF), counting them in num_buffers.
 */
#include <stddef.h>
#include <string.h>
#include <linux/virtio_net.h>

#include "libvhost-user.h"

long vu_net_tx_frame(VuDev *dev, const VuElem *elem, void *buf, size_t len)
{
    size_t hdr = dev->vnet_hdr_len;
    size_t frame;

    if (elem->out_len < hdr || elem->out_len - hdr > len) {
        return -1;
    }
    frame = elem->out_len - hdr;
    return (long)vu_iov_to_buf(elem->out, elem->out_num, hdr, buf, frame);
}

int vu_net_rx_frame(VuDev *dev, VuVirtq *vq, const void *frame, size_t len)
{
    struct virtio_net_hdr_mrg_rxbuf hdr = { 0 };
    size_t hdr_len = dev->vnet_hdr_len, total = hdr_len + len, done = 0;
    bool mrg = vu_has_feature(dev, VIRTIO_NET_F_MRG_RXBUF);
    struct iovec first[VU_MAX_IOV];
    unsigned first_cnt = 0, nbufs = 0;
    VuElem elem;

    hdr.hdr.gso_type = VIRTIO_NET_HDR_GSO_NONE;
    while (done < total) {
        size_t n;
        int r = vu_virtq_pop(dev, vq, &elem);

        if (r <= 0) {
            vu_virtq_rewind(vq, nbufs);
            return r;
        }
        nbufs++;
        if (elem.out_num) {
            vu_virtq_fail(dev, vq, "receive buffer %u has device-readable "
                          "descriptors", elem.head);
            return -1;
        }
        if (nbufs == 1) {
            if (elem.in_len < hdr_len) {
                vu_virtq_fail(dev, vq, "receive buffer %u (%zu bytes) cannot "
                              "hold the %zu-byte virtio-net header",
                              elem.head, elem.in_len, hdr_len);
                return -1;
            }
            memcpy(first, elem.in, elem.in_num * sizeof(first[0]));
            first_cnt = elem.in_num;
            n = vu_iov_from_buf(elem.in, elem.in_num, 0, &hdr, hdr_len);
            n += vu_iov_from_buf(elem.in, elem.in_num, hdr_len, frame,
                                 total - hdr_len);
        } else {
            n = vu_iov_from_buf(elem.in, elem.in_num, 0,
                                (const char *)frame + (done - hdr_len),
                                total - done);
        }
        vu_virtq_fill(vq, elem.head, n, nbufs - 1);
        done += n;
        if (!mrg && done < total) {
            vu_virtq_rewind(vq, nbufs);   /* does not fit: drop it */
            return 0;
        }
    }
    if (hdr_len == sizeof(hdr)) {
        uint16_t num = nbufs;
        vu_iov_from_buf(first, first_cnt,
                        offsetof(struct virtio_net_hdr_mrg_rxbuf, num_buffers),
                        &num, sizeof(num));
    }
    vu_virtq_flush(vq, nbufs);
    return 1;
}
