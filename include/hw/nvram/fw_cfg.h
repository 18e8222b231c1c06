/*
 * QEMU's firmware configuration interface (fw_cfg) as the PC has it:
 * selector 0x510, data 0x511, DMA 0x514; numbered items and named files.
 */
#ifndef VMU_HW_NVRAM_FW_CFG_H
#define VMU_HW_NVRAM_FW_CFG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "util/error.h"

#define FW_CFG_IO_BASE      0x510
#define FW_CFG_DMA_IO_BASE  0x514

#define FW_CFG_SIGNATURE    0x00
#define FW_CFG_ID           0x01
#define FW_CFG_RAM_SIZE     0x03
#define FW_CFG_NOGRAPHIC    0x04
#define FW_CFG_NB_CPUS      0x05
#define FW_CFG_MAX_CPUS     0x0f
#define FW_CFG_FILE_DIR     0x19
#define FW_CFG_FILE_FIRST   0x20
#define FW_CFG_INVALID      0xffff

#define FW_CFG_MAX_FILE_PATH 56     /* a file name with its NUL */

/* Control bits of FWCfgDmaAccess (a big-endian struct in guest RAM). */
#define FW_CFG_DMA_CTL_ERROR  0x01
#define FW_CFG_DMA_CTL_READ   0x02
#define FW_CFG_DMA_CTL_SKIP   0x04
#define FW_CFG_DMA_CTL_SELECT 0x08
#define FW_CFG_DMA_CTL_WRITE  0x10

/*
 * Phase 1 for one -fw_cfg name=NAME,file=PATH|string=STR: checked and the
 * contents read now, so a bad one fails before anything is created.
 */
bool fw_cfg_option_add(const char *text, Error **errp);

/* Map the ports and add the generic items and every -fw_cfg file. */
bool fw_cfg_init_io(Error **errp);
/* Numbered item (key < FW_CFG_FILE_FIRST); fw_cfg takes data (g_malloc). */
void fw_cfg_add_bytes(uint16_t key, void *data, size_t len);
void fw_cfg_add_i16(uint16_t key, uint16_t value);
void fw_cfg_add_i32(uint16_t key, uint32_t value);
void fw_cfg_add_i64(uint16_t key, uint64_t value);
/* Named file; fails on a duplicate or over-long name.  Takes data. */
bool fw_cfg_add_file(const char *name, void *data, size_t len, Error **errp);
/* A named file's contents (fw_cfg keeps them), or NULL if there is none. */
const uint8_t *fw_cfg_file_get(const char *name, size_t *len);

#endif
