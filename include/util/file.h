/*
 * Reading a whole file the user named (-bios, -fw_cfg file=) with a size
 * limit, so that a device or a FIFO cannot make vmu read forever.
 */
#ifndef VMU_UTIL_FILE_H
#define VMU_UTIL_FILE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "util/error.h"

/*
 * Read path into *data (g_free it); fails naming 'what' and the path if
 * it cannot be read or holds more than max bytes.
 */
bool file_read_all(const char *what, const char *path, size_t max,
                   uint8_t **data, size_t *len, Error **errp);

#endif
