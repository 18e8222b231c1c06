/*
 * The libqos virtio-blk driver: what Linux's or SeaBIOS's driver does,
 * written as qtest accesses.  Every request has a fixed slot (header,
 * data and status buffers allocated once), so tests reuse guest memory.
 */
#include <glib.h>
#include <string.h>

#include "qvirtio-blk.h"

static bool setup_queues(QVirtioBlk *b, unsigned size)
{
    for (unsigned q = 0; q < b->nq; q++) {
        if (!b->vq[q]) {
            b->vq[q] = qvirtqueue_setup(&b->dev, q, size,
                                        VIRTIO_MSI_NO_VECTOR);
        } else {
            /* The same ring memory as before, cleared. */
            QVirtQueue *vq = b->vq[q];
            QTestState *s = b->s;
            qtest_memset(s, vq->desc, 0, 16 * vq->size);
            qtest_memset(s, vq->avail, 0, 6 + 2 * vq->size);
            qtest_memset(s, vq->used, 0, 6 + 8 * vq->size);
            qtest_writew(s, b->dev.common + VPCI_Q_SELECT, q);
            qtest_writew(s, b->dev.common + VPCI_Q_SIZE, vq->size);
            qtest_writew(s, b->dev.common + VPCI_Q_MSIX, VIRTIO_MSI_NO_VECTOR);
            qtest_writel(s, b->dev.common + VPCI_Q_DESCLO, vq->desc);
            qtest_writel(s, b->dev.common + VPCI_Q_DESCHI, vq->desc >> 32);
            qtest_writel(s, b->dev.common + VPCI_Q_AVAILLO, vq->avail);
            qtest_writel(s, b->dev.common + VPCI_Q_AVAILHI, vq->avail >> 32);
            qtest_writel(s, b->dev.common + VPCI_Q_USEDLO, vq->used);
            qtest_writel(s, b->dev.common + VPCI_Q_USEDHI, vq->used >> 32);
            qtest_writew(s, b->dev.common + VPCI_Q_ENABLE, 1);
            vq->avail_idx = vq->last_used = vq->free_head = 0;
        }
        b->vq[q]->event_idx = b->features & (1ULL << VIRTIO_F_EVENT_IDX);
        if (!qtest_readw(b->s, b->dev.common + VPCI_Q_ENABLE)) {
            return false;
        }
    }
    return true;
}

bool qvblk_init(QVirtioBlk *b, QTestState *s, uint64_t features, unsigned nq,
                unsigned size)
{
    memset(b, 0, sizeof(*b));
    b->s = s;
    b->nq = nq;
    g_assert_cmpuint(nq, <=, QVBLK_MAX_QUEUES);
    if (!qvirtio_pci_probe(s, VIRTIO_ID_BLK, &b->dev)) {
        return false;
    }
    for (unsigned q = 0; q < nq; q++) {
        for (unsigned i = 0; i < QVBLK_SLOTS; i++) {
            b->hdr[q][i] = guest_alloc(&b->dev.alloc, 16, 16);
            b->status[q][i] = guest_alloc(&b->dev.alloc, 1, 1);
            b->data[q][i] = guest_alloc(&b->dev.alloc, QVBLK_DATA_MAX, 4096);
        }
    }
    return qvblk_reinit(b, features);
}

bool qvblk_reinit(QVirtioBlk *b, uint64_t features)
{
    b->features = features | (1ULL << VIRTIO_F_VERSION_1);
    qvirtio_reset(&b->dev);
    if (!qvirtio_negotiate(&b->dev, b->features)) {
        return false;
    }
    unsigned size = b->vq[0] ? b->vq[0]->size : 128;
    if (!setup_queues(b, size)) {
        return false;
    }
    qvirtio_set_status(&b->dev, qvirtio_get_status(&b->dev) |
                       VIRTIO_STATUS_DRIVER_OK);
    return true;
}

void qvblk_free(QVirtioBlk *b)
{
    for (unsigned q = 0; q < QVBLK_MAX_QUEUES; q++) {
        g_free(b->vq[q]);
        b->vq[q] = NULL;
    }
}

uint64_t qvblk_config_readq(QVirtioBlk *b, unsigned off)
{
    return qvirtio_config_readl(&b->dev, off) |
           (uint64_t)qvirtio_config_readl(&b->dev, off + 4) << 32;
}

uint16_t qvblk_submit(QVirtioBlk *b, unsigned q, unsigned slot, uint32_t type,
                      uint64_t sector, const void *buf, size_t len,
                      bool indirect)
{
    QTestState *s = b->s;
    uint8_t hdr[16] = { 0 };
    uint32_t t = GUINT32_TO_LE(type);
    uint64_t sec = GUINT64_TO_LE(sector);
    bool in = type == BLK_T_IN || type == BLK_T_GET_ID;

    g_assert_cmpuint(len, <=, QVBLK_DATA_MAX);
    memcpy(hdr, &t, 4);
    memcpy(hdr + 8, &sec, 8);
    qtest_memwrite(s, b->hdr[q][slot], hdr, 16);
    qtest_writeb(s, b->status[q][slot], 0xff);
    if (!in && buf && len) {
        qtest_memwrite(s, b->data[q][slot], buf, len);
    } else if (in && len) {
        qtest_memset(s, b->data[q][slot], 0xa5, len);
    }
    QVirtBuf bufs[3] = {
        { b->hdr[q][slot], 16, false },
        { b->data[q][slot], len, in },
        { b->status[q][slot], 1, true },
    };
    if (!len) {
        bufs[1] = bufs[2];
    }
    return qvirtqueue_add(b->vq[q], bufs, len ? 3 : 2, indirect);
}

int qvblk_wait(QVirtioBlk *b, unsigned q, uint16_t *head, uint32_t *used_len,
               unsigned timeout_ms)
{
    uint32_t id, len;
    if (!qvirtqueue_get_used(b->vq[q], &id, &len, timeout_ms)) {
        return -1;
    }
    if (head) {
        *head = id;
    }
    if (used_len) {
        *used_len = len;
    }
    /* Slots are not tracked by head: callers match heads themselves. */
    return 0;
}

int qvblk_req(QVirtioBlk *b, unsigned q, uint32_t type, uint64_t sector,
              void *buf, size_t len)
{
    uint16_t head = qvblk_submit(b, q, 0, type, sector, buf, len, false);
    uint16_t got;
    qvirtqueue_kick(b->vq[q]);
    if (qvblk_wait(b, q, &got, NULL, 10000) < 0) {
        return -1;
    }
    g_assert_cmpuint(got, ==, head);
    if ((type == BLK_T_IN || type == BLK_T_GET_ID) && buf && len) {
        qtest_memread(b->s, b->data[q][0], buf, len);
    }
    return qtest_readb(b->s, b->status[q][0]);
}

void qvblk_segment(uint8_t seg[16], uint64_t sector, uint32_t num,
                   uint32_t flags)
{
    uint64_t s = GUINT64_TO_LE(sector);
    uint32_t n = GUINT32_TO_LE(num), f = GUINT32_TO_LE(flags);
    memcpy(seg, &s, 8);
    memcpy(seg + 8, &n, 4);
    memcpy(seg + 12, &f, 4);
}
