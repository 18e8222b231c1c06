/*
 * A virtio-blk driver for qtests (libqos): probe, negotiate, one or more
 * request queues, and requests built as a guest driver builds them
 * (header, data, status byte), polled to completion.
 */
#ifndef VMU_TESTS_QVIRTIO_BLK_H
#define VMU_TESTS_QVIRTIO_BLK_H

#include "libqos.h"

#define VIRTIO_ID_BLK               2
#define BLK_F_SIZE_MAX              1
#define BLK_F_SEG_MAX               2
#define BLK_F_GEOMETRY              4
#define BLK_F_RO                    5
#define BLK_F_BLK_SIZE              6
#define BLK_F_FLUSH                 9
#define BLK_F_TOPOLOGY              10
#define BLK_F_CONFIG_WCE            11
#define BLK_F_MQ                    12
#define BLK_F_DISCARD               13
#define BLK_F_WRITE_ZEROES          14

#define BLK_T_IN                    0
#define BLK_T_OUT                   1
#define BLK_T_FLUSH                 4
#define BLK_T_GET_ID                8
#define BLK_T_DISCARD               11
#define BLK_T_WRITE_ZEROES          13

#define BLK_S_OK                    0
#define BLK_S_IOERR                 1
#define BLK_S_UNSUPP                2

/* Configuration space offsets. */
#define BLK_CFG_CAPACITY            0
#define BLK_CFG_SIZE_MAX            8
#define BLK_CFG_SEG_MAX             12
#define BLK_CFG_BLK_SIZE            20
#define BLK_CFG_PHYS_EXP            24
#define BLK_CFG_MIN_IO              26
#define BLK_CFG_OPT_IO              28
#define BLK_CFG_WRITEBACK           32
#define BLK_CFG_NUM_QUEUES          34
#define BLK_CFG_MAX_DISCARD         36
#define BLK_CFG_MAX_WZ              48

#define QVBLK_MAX_QUEUES            8
#define QVBLK_SLOTS                 16      /* requests in flight per queue */
#define QVBLK_DATA_MAX              (256 * 1024)

typedef struct QVirtioBlk {
    QVirtioPCI dev;
    QTestState *s;
    uint64_t features;
    unsigned nq;
    QVirtQueue *vq[QVBLK_MAX_QUEUES];
    /* Per queue and slot: a 16-byte header, the status byte, the data. */
    uint64_t hdr[QVBLK_MAX_QUEUES][QVBLK_SLOTS];
    uint64_t status[QVBLK_MAX_QUEUES][QVBLK_SLOTS];
    uint64_t data[QVBLK_MAX_QUEUES][QVBLK_SLOTS];
} QVirtioBlk;

/*
 * Probe the first virtio-blk, negotiate VERSION_1 | features (false if
 * the device refuses), set up nq queues of 'size' entries without
 * interrupts (the driver polls), DRIVER_OK.
 */
bool qvblk_init(QVirtioBlk *b, QTestState *s, uint64_t features, unsigned nq,
                unsigned size);
/* Queues and buffers again after a reset (the ring memory is reused). */
bool qvblk_reinit(QVirtioBlk *b, uint64_t features);
uint64_t qvblk_config_readq(QVirtioBlk *b, unsigned off);
/* Free what qvblk_init allocated on the test's side. */
void qvblk_free(QVirtioBlk *b);

/*
 * Queue one request in slot 'slot' of queue q: the header, then for
 * writes, discard and write-zeroes 'len' bytes of 'buf' (device-readable),
 * for reads and GET_ID 'len' device-writable bytes, then the status byte.
 * indirect: the chain goes in an indirect table.  Returns the head.
 */
uint16_t qvblk_submit(QVirtioBlk *b, unsigned q, unsigned slot, uint32_t type,
                      uint64_t sector, const void *buf, size_t len,
                      bool indirect);
/* Poll for the next used entry on q: the status byte of its slot, or -1
 * if none came within timeout_ms.  *head and *used_len if non-NULL. */
int qvblk_wait(QVirtioBlk *b, unsigned q, uint16_t *head, uint32_t *used_len,
               unsigned timeout_ms);
/* Submit one, kick, wait (10 s); for reads copy the data to buf. */
int qvblk_req(QVirtioBlk *b, unsigned q, uint32_t type, uint64_t sector,
              void *buf, size_t len);
/* A discard or write-zeroes segment (16 bytes, little-endian). */
void qvblk_segment(uint8_t seg[16], uint64_t sector, uint32_t num,
                   uint32_t flags);

#endif
