/*
 * What a device sees of a disk: a BlockBackend, opened by system/ from
 * -drive, -blockdev, -hda or a bare image argument and found by its name
 * (the -drive id= or the -blockdev node-name=).  Requests are asynchronous:
 * blk_submit() queues one and returns at once; the block layer runs it off
 * the main loop (a worker thread or io_uring) and calls req->cb on one of
 * its own threads, never with the machine lock held.  The image drivers
 * behind it (file, raw, qcow2) are block/'s business (block/block-int.h).
 */
#ifndef VMU_BLOCK_BLOCK_BACKEND_H
#define VMU_BLOCK_BLOCK_BACKEND_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/uio.h>

#include "util/error.h"

typedef struct BlockBackend BlockBackend;

typedef enum BlockReqType {
    BLK_REQ_READ,
    BLK_REQ_WRITE,
    BLK_REQ_FLUSH,          /* offset and bytes unused */
    BLK_REQ_DISCARD,        /* iov unused; may do nothing (discard=ignore) */
    BLK_REQ_WRITE_ZEROES,   /* iov unused */
} BlockReqType;

/* BlockRequest.flags */
#define BLK_REQ_F_FUA       (1u << 0)   /* write: stable before cb */
#define BLK_REQ_F_MAY_UNMAP (1u << 1)   /* write-zeroes: may deallocate */

typedef struct BlockRequest BlockRequest;
struct BlockRequest {
    BlockReqType type;
    unsigned flags;
    uint64_t offset;            /* bytes from the start of the disk */
    uint64_t bytes;
    struct iovec *iov;          /* READ/WRITE: iov[niov], bytes in total */
    int niov;
    /*
     * Called once, on a block-layer thread: ret is 0 or a negative errno
     * (-EIO for a bad image, -ENOSPC for a full host filesystem, -EROFS for
     * a write to a read-only backend, -EINVAL for a range past the end).
     */
    void (*cb)(BlockRequest *req, int ret);
    void *opaque;               /* the caller's */
};

/* The backend named by -drive id= or -blockdev node-name=, or NULL. */
BlockBackend *blk_by_name(const char *name);
/* A device takes the backend; a second claim fails ("already used by"). */
bool blk_attach_dev(BlockBackend *blk, const char *dev_name, Error **errp);
const char *blk_name(const BlockBackend *blk);

void blk_submit(BlockBackend *blk, BlockRequest *req);
/* Wait until every request submitted so far has called its cb. */
void blk_drain(BlockBackend *blk);

uint64_t blk_getlength(const BlockBackend *blk);        /* bytes */
bool blk_is_read_only(const BlockBackend *blk);
/* cache=writeback|unsafe: true; writethrough: false (every write FUA). */
bool blk_write_cache_enabled(const BlockBackend *blk);
void blk_set_write_cache(BlockBackend *blk, bool enable);
/* discard=unmap (true) or ignore (false). */
bool blk_discard_enabled(const BlockBackend *blk);
/* The host's logical block size under cache=none (512 or 4096), else 512. */
unsigned blk_alignment(const BlockBackend *blk);

/*
 * What the device does when a request fails (werror=, rerror= on -drive,
 * or the device's own properties, which override): report the error to
 * the guest, ignore it, or stop the VM (stop: always; enospc: only for
 * -ENOSPC) until the user resumes it.  The device applies the policy.
 */
typedef enum BlockErrorAction {
    BLOCK_ERR_REPORT,
    BLOCK_ERR_IGNORE,
    BLOCK_ERR_STOP_ENOSPC,
    BLOCK_ERR_STOP_ANY,
} BlockErrorAction;
BlockErrorAction blk_get_on_error(const BlockBackend *blk, bool is_read);
void blk_set_on_error(BlockBackend *blk, BlockErrorAction read_action,
                      BlockErrorAction write_action);

#endif
