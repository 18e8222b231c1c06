/*
 * virtio-blk: a disk on a BlockBackend.  Requests are parsed on the main
 * loop, run by the block layer off it, and completed on the main loop
 * again; the transport (virtio-pci) is handed to it by virtio-blk-pci.c.
 */
#ifndef VMU_HW_BLOCK_VIRTIO_BLK_H
#define VMU_HW_BLOCK_VIRTIO_BLK_H

#include "block/block-backend.h"
#include "hw/virtio/virtio.h"

#define VIRTIO_ID_BLOCK                 2

/* Feature bits (virtio 1.2, 5.2.3). */
#define VIRTIO_BLK_F_SIZE_MAX           1
#define VIRTIO_BLK_F_SEG_MAX            2
#define VIRTIO_BLK_F_GEOMETRY           4
#define VIRTIO_BLK_F_RO                 5
#define VIRTIO_BLK_F_BLK_SIZE           6
#define VIRTIO_BLK_F_FLUSH              9
#define VIRTIO_BLK_F_TOPOLOGY           10
#define VIRTIO_BLK_F_CONFIG_WCE         11
#define VIRTIO_BLK_F_MQ                 12
#define VIRTIO_BLK_F_DISCARD            13
#define VIRTIO_BLK_F_WRITE_ZEROES       14

/* Request types and status values (5.2.6). */
#define VIRTIO_BLK_T_IN                 0
#define VIRTIO_BLK_T_OUT                1
#define VIRTIO_BLK_T_FLUSH              4
#define VIRTIO_BLK_T_GET_ID             8
#define VIRTIO_BLK_T_DISCARD            11
#define VIRTIO_BLK_T_WRITE_ZEROES       13
#define VIRTIO_BLK_T_BARRIER            0x80000000u     /* legacy: ignored */

#define VIRTIO_BLK_S_OK                 0
#define VIRTIO_BLK_S_IOERR              1
#define VIRTIO_BLK_S_UNSUPP             2

#define VIRTIO_BLK_ID_BYTES             20
#define VIRTIO_BLK_SECTOR_SIZE          512
#define VIRTIO_BLK_WZ_F_UNMAP           1   /* discard/write-zeroes flags */
/* The configuration space up to write_zeroes_may_unmap and its padding. */
#define VIRTIO_BLK_CONFIG_LEN           60
#define VIRTIO_BLK_MAX_QUEUES           64

typedef struct VirtIOBlock VirtIOBlock;

/* What virtio-blk-pci.c decided from the -device options. */
typedef struct VirtIOBlkConf {
    const char *name;               /* "virtio-blk-pci ID" for messages */
    BlockBackend *blk;
    unsigned num_queues;
    uint16_t queue_size;
    char serial[VIRTIO_BLK_ID_BYTES + 1];
    int write_cache;                /* -1: the backend's cache= mode */
    bool config_wce;
    bool discard, write_zeroes;
    bool event_idx, indirect_desc;
    uint32_t max_discard_sectors, max_write_zeroes_sectors;
    unsigned logical_block_size, physical_block_size;
    uint32_t min_io_size, opt_io_size;  /* bytes */
    uint32_t discard_granularity;       /* bytes */
    uint32_t size_max;                  /* largest segment, bytes */
    int32_t bootindex;              /* -1: none */
} VirtIOBlkConf;

/* The virtio device on conf->blk (attached already); NULL with errp set. */
VirtIOBlock *virtio_blk_new(const VirtIOBlkConf *conf, Error **errp);
VirtIODevice *virtio_blk_vdev(VirtIOBlock *s);
/* Where the transport put it (for its errors and traces). */
void virtio_blk_set_devfn(VirtIOBlock *s, int devfn);

#endif
