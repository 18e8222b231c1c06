/*
 * Inside the block layer: a node (BlockDriverState) is one image driver
 * instance (file, raw, qcow2) with its children; a BlockBackend sits on
 * the top node.  Driver calls are synchronous and run on the block layer's
 * worker threads, several at a time: a driver serialises what must be.
 */
#ifndef VMU_BLOCK_BLOCK_INT_H
#define VMU_BLOCK_BLOCK_INT_H

#include <glib.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/uio.h>

#include "util/error.h"
#include "util/opts.h"

typedef struct BlockDriverState BlockDriverState;

typedef struct BlockDriver {
    const char *name;
    const char *help;
    /* Keys of this driver besides the common node keys (bdrv_common). */
    const OptDesc *opts;
    /* Format drivers sit on a protocol child ("file"); protocols do not. */
    bool is_format;
    /* 0: not this format; higher wins.  buf holds the image's first bytes. */
    int (*probe)(const uint8_t *buf, size_t len);
    /* Phase 1, no side effects: what can be checked before opening. */
    bool (*check)(const Opts *opts, Error **errp);
    bool (*open)(BlockDriverState *bs, const Opts *opts, Error **errp);
    void (*close)(BlockDriverState *bs);
    /* Return 0 or a negative errno; bytes and offset within the node. */
    int (*preadv)(BlockDriverState *bs, uint64_t offset, uint64_t bytes,
                  struct iovec *iov, int niov);
    int (*pwritev)(BlockDriverState *bs, uint64_t offset, uint64_t bytes,
                   struct iovec *iov, int niov);
    int (*flush)(BlockDriverState *bs);
    int (*discard)(BlockDriverState *bs, uint64_t offset, uint64_t bytes);
    /* may_unmap: the range may be deallocated (reads must return zeroes). */
    int (*write_zeroes)(BlockDriverState *bs, uint64_t offset, uint64_t bytes,
                        bool may_unmap);
    /* Current length in bytes (a protocol node grows as it is written). */
    int64_t (*getlength)(BlockDriverState *bs);
    /* Make the node this long (protocols: ftruncate).  May be NULL. */
    int (*truncate)(BlockDriverState *bs, uint64_t length);
} BlockDriver;

struct BlockDriverState {
    const BlockDriver *drv;
    void *opaque;               /* the driver's state */
    char *node_name;            /* -blockdev node-name=, or generated */
    char *filename;             /* for messages: the image's path */
    BlockDriverState *file;     /* protocol child of a format node */
    BlockDriverState *backing;  /* read-only backing image (qcow2) */
    bool read_only;
    bool direct;                /* cache.direct=on: O_DIRECT */
    bool no_flush;              /* cache.no-flush=on (cache=unsafe) */
    bool discard;               /* discard=unmap */
    bool force_share;           /* force-share=on: take no exclusive lock */
    bool probed_raw;            /* format guessed: writes to block 0 checked */
    unsigned alignment;         /* request alignment the host needs */
    unsigned refcnt;            /* parents and backends holding it */
    bool named;                 /* made by -blockdev: found by its name */
    bool has_parent;            /* another node's file or backing */
};

/* Each driver registers itself at start-up: block_init(fn) runs fn. */
void bdrv_register(const BlockDriver *drv);
#define block_init(fn)                                                        \
    static void __attribute__((constructor)) fn##_ctor(void) { fn(); }
const BlockDriver *bdrv_find_driver(const char *name);
/* "file, host_device, qcow2, raw" (g_free it). */
char *bdrv_driver_names(bool formats_only);

/*
 * Open a node from flat options: driver=, node-name=, read-only=,
 * cache.direct=, cache.no-flush=, discard=, the driver's keys, and its
 * children as "file.KEY=..." or "file=NODE" (likewise "backing").
 * 'parent' (may be NULL) gives inherited defaults (read-only, cache).
 * No driver= on a format level: probed from the child's first bytes.
 */
BlockDriverState *bdrv_open_opts(const Opts *opts,
                                 const BlockDriverState *parent,
                                 Error **errp);
/* Would these first bytes probe as a format other than raw? */
bool bdrv_probe_is_format(const uint8_t *buf, size_t len);
/* Open the image at path read-only as a backing file (format probed). */
BlockDriverState *bdrv_open_backing(const char *path, const char *format,
                                    const BlockDriverState *parent,
                                    Error **errp);
void bdrv_unref(BlockDriverState *bs);
BlockDriverState *bdrv_find_node(const char *node_name);
/* Check keys (and children's) without opening: phase 1 of start-up. */
bool bdrv_check_opts(const Opts *opts, Error **errp);

/* Options under "prefix." with the prefix removed (a new Opts). */
Opts *bdrv_opts_sub(const Opts *opts, const char *prefix);
bool bdrv_opts_has_sub(const Opts *opts, const char *prefix);

int bdrv_preadv(BlockDriverState *bs, uint64_t offset, uint64_t bytes,
                struct iovec *iov, int niov);
int bdrv_pwritev(BlockDriverState *bs, uint64_t offset, uint64_t bytes,
                 struct iovec *iov, int niov);
int bdrv_pread(BlockDriverState *bs, uint64_t offset, void *buf,
               uint64_t bytes);
int bdrv_pwrite(BlockDriverState *bs, uint64_t offset, const void *buf,
                uint64_t bytes);
int bdrv_flush(BlockDriverState *bs);
int bdrv_discard(BlockDriverState *bs, uint64_t offset, uint64_t bytes);
int bdrv_write_zeroes(BlockDriverState *bs, uint64_t offset, uint64_t bytes,
                      bool may_unmap);
int64_t bdrv_getlength(BlockDriverState *bs);
int bdrv_truncate(BlockDriverState *bs, uint64_t length);

/* iovec helpers (block/iov.c) */
size_t bdrv_iov_size(const struct iovec *iov, int niov);
/* The bytes [offset, offset+bytes) of iov as a new iovec list in out. */
int bdrv_iov_slice(const struct iovec *iov, int niov, size_t offset,
                   size_t bytes, struct iovec *out, int max);
void bdrv_iov_memset(const struct iovec *iov, int niov, size_t offset,
                     int c, size_t bytes);
void bdrv_iov_to_buf(const struct iovec *iov, int niov, size_t offset,
                     void *buf, size_t bytes);
void bdrv_iov_from_buf(const struct iovec *iov, int niov, size_t offset,
                       const void *buf, size_t bytes);

#define BDRV_MAX_IOV 1024

#endif
