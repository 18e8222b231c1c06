/*
 * Helpers for the block-layer unit tests (test-block, test-qcow2).
 */
#ifndef VMU_TESTS_BLOCK_TEST_UTIL_H
#define VMU_TESTS_BLOCK_TEST_UTIL_H

#include "block/block.h"

/* The directory make_file() puts files in (not tmpfs: O_DIRECT). */
extern const char *test_tmpdir;

/* Submit and wait for the completion (60 s bound): its return value. */
int blk_do(BlockBackend *blk, BlockReqType type, uint64_t offset,
           uint64_t bytes, struct iovec *iov, int niov, unsigned flags);
int blk_rw(BlockBackend *blk, bool write, uint64_t offset, void *buf,
           uint64_t bytes);
/* A zero-filled file of size bytes in test_tmpdir (g_free the path). */
char *make_file(const char *name, uint64_t size);
/* Check and open "-drive TEXT" as backend name; NULL and *errp if not. */
BlockBackend *drive_open(const char *text, const char *name, Error **errp);
/* Open -drive fmt with %s = path; the test fails with the error if not. */
BlockBackend *drive_open_ok(const char *fmt, const char *path,
                            const char *name);
/* The error -drive fmt (with %s = path) gives (g_free it). */
char *drive_error(const char *fmt, const char *path);
void pattern(uint8_t *buf, size_t len, unsigned seed);

#endif
