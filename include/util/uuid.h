/*
 * UUIDs as QEMU's -uuid and -smbios type=1,uuid= write them.
 */
#ifndef VMU_UTIL_UUID_H
#define VMU_UTIL_UUID_H

#include <stdbool.h>
#include <stdint.h>

/* 8-4-4-4-12 hex digits into 16 bytes in the order written. */
bool uuid_parse(const char *s, uint8_t out[16]);

#endif
