/*
 * The vhost-user wire protocol: message codes, header, payloads, feature
 * bits, and the checks every side does on what it receives.  Shared by
 * vmu's front-end, vmu-switch (through contrib/libvhost-user) and the
 * guestless client; QEMU's docs/interop/vhost-user.rst is the authority.
 */
#ifndef VMU_NET_VHOST_USER_PROTO_H
#define VMU_NET_VHOST_USER_PROTO_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "util/error.h"

/* Requests sent by the front-end on the main socket. */
typedef enum VhostUserRequest {
    VHOST_USER_NONE = 0,
    VHOST_USER_GET_FEATURES = 1,
    VHOST_USER_SET_FEATURES = 2,
    VHOST_USER_SET_OWNER = 3,
    VHOST_USER_RESET_OWNER = 4,
    VHOST_USER_SET_MEM_TABLE = 5,
    VHOST_USER_SET_LOG_BASE = 6,
    VHOST_USER_SET_LOG_FD = 7,
    VHOST_USER_SET_VRING_NUM = 8,
    VHOST_USER_SET_VRING_ADDR = 9,
    VHOST_USER_SET_VRING_BASE = 10,
    VHOST_USER_GET_VRING_BASE = 11,
    VHOST_USER_SET_VRING_KICK = 12,
    VHOST_USER_SET_VRING_CALL = 13,
    VHOST_USER_SET_VRING_ERR = 14,
    VHOST_USER_GET_PROTOCOL_FEATURES = 15,
    VHOST_USER_SET_PROTOCOL_FEATURES = 16,
    VHOST_USER_GET_QUEUE_NUM = 17,
    VHOST_USER_SET_VRING_ENABLE = 18,
    VHOST_USER_SEND_RARP = 19,
    VHOST_USER_NET_SET_MTU = 20,
    VHOST_USER_SET_BACKEND_REQ_FD = 21,
    VHOST_USER_IOTLB_MSG = 22,
    VHOST_USER_SET_VRING_ENDIAN = 23,
    VHOST_USER_GET_CONFIG = 24,
    VHOST_USER_SET_CONFIG = 25,
    VHOST_USER_CREATE_CRYPTO_SESSION = 26,
    VHOST_USER_CLOSE_CRYPTO_SESSION = 27,
    VHOST_USER_POSTCOPY_ADVISE = 28,
    VHOST_USER_POSTCOPY_LISTEN = 29,
    VHOST_USER_POSTCOPY_END = 30,
    VHOST_USER_GET_INFLIGHT_FD = 31,
    VHOST_USER_SET_INFLIGHT_FD = 32,
    VHOST_USER_GPU_SET_SOCKET = 33,
    VHOST_USER_RESET_DEVICE = 34,
    VHOST_USER_VRING_KICK = 35,
    VHOST_USER_GET_MAX_MEM_SLOTS = 36,
    VHOST_USER_ADD_MEM_REG = 37,
    VHOST_USER_REM_MEM_REG = 38,
    VHOST_USER_SET_STATUS = 39,
    VHOST_USER_GET_STATUS = 40,
    VHOST_USER_GET_SHARED_OBJECT = 41,
    VHOST_USER_SET_DEVICE_STATE_FD = 42,
    VHOST_USER_CHECK_DEVICE_STATE = 43,
    VHOST_USER_REQUEST_MAX
} VhostUserRequest;

/* Requests sent by the back-end on the SET_BACKEND_REQ_FD socket. */
typedef enum VhostUserBackendRequest {
    VHOST_USER_BACKEND_NONE = 0,
    VHOST_USER_BACKEND_IOTLB_MSG = 1,
    VHOST_USER_BACKEND_CONFIG_CHANGE_MSG = 2,
    VHOST_USER_BACKEND_VRING_HOST_NOTIFIER_MSG = 3,
    VHOST_USER_BACKEND_VRING_CALL = 4,
    VHOST_USER_BACKEND_VRING_ERR = 5,
    VHOST_USER_BACKEND_SHARED_OBJECT_ADD = 6,
    VHOST_USER_BACKEND_SHARED_OBJECT_REMOVE = 7,
    VHOST_USER_BACKEND_SHARED_OBJECT_LOOKUP = 8,
    VHOST_USER_BACKEND_REQUEST_MAX
} VhostUserBackendRequest;

/* Which socket a message travels on: it decides how a code is read. */
typedef enum VhostUserChannel {
    VHOST_USER_CHANNEL_FRONTEND,   /* requests from the front-end */
    VHOST_USER_CHANNEL_BACKEND,    /* requests from the back-end */
} VhostUserChannel;

/* Header flags. */
#define VHOST_USER_VERSION          0x1u
#define VHOST_USER_VERSION_MASK     0x3u
#define VHOST_USER_REPLY_MASK       (1u << 2)
#define VHOST_USER_NEED_REPLY_MASK  (1u << 3)
#define VHOST_USER_KNOWN_FLAGS      (VHOST_USER_VERSION_MASK | \
                                     VHOST_USER_REPLY_MASK | \
                                     VHOST_USER_NEED_REPLY_MASK)

#define VHOST_USER_MAX_FDS          8   /* fds in one message */
#define VHOST_USER_MEMORY_MAX_NREGIONS 8  /* regions in SET_MEM_TABLE */
#define VHOST_USER_MAX_CONFIG_SIZE  256
#define VHOST_USER_MAX_QUEUE_SIZE   32768  /* virtio split ring limit */

/* SET_VRING_KICK/CALL/ERR payload. */
#define VHOST_USER_VRING_IDX_MASK   0xffu
#define VHOST_USER_VRING_NOFD_MASK  (1u << 8)

/* VRING_HOST_NOTIFIER_MSG area u64. */
#define VHOST_USER_VRING_AREA_IDX_MASK  0xffu
#define VHOST_USER_VRING_AREA_NOFD_MASK (1u << 8)

/* Feature bits of GET/SET_FEATURES that matter to a net back-end. */
#define VHOST_USER_F_PROTOCOL_FEATURES 30
#define VHOST_F_LOG_ALL                26

/* Protocol feature bits. */
enum {
    VHOST_USER_PROTOCOL_F_MQ = 0,
    VHOST_USER_PROTOCOL_F_LOG_SHMFD = 1,
    VHOST_USER_PROTOCOL_F_RARP = 2,
    VHOST_USER_PROTOCOL_F_REPLY_ACK = 3,
    VHOST_USER_PROTOCOL_F_NET_MTU = 4,
    VHOST_USER_PROTOCOL_F_BACKEND_REQ = 5,
    VHOST_USER_PROTOCOL_F_CROSS_ENDIAN = 6,
    VHOST_USER_PROTOCOL_F_CRYPTO_SESSION = 7,
    VHOST_USER_PROTOCOL_F_PAGEFAULT = 8,
    VHOST_USER_PROTOCOL_F_CONFIG = 9,
    VHOST_USER_PROTOCOL_F_BACKEND_SEND_FD = 10,
    VHOST_USER_PROTOCOL_F_HOST_NOTIFIER = 11,
    VHOST_USER_PROTOCOL_F_INFLIGHT_SHMFD = 12,
    VHOST_USER_PROTOCOL_F_RESET_DEVICE = 13,
    VHOST_USER_PROTOCOL_F_INBAND_NOTIFICATIONS = 14,
    VHOST_USER_PROTOCOL_F_CONFIGURE_MEM_SLOTS = 15,
    VHOST_USER_PROTOCOL_F_STATUS = 16,
    VHOST_USER_PROTOCOL_F_XEN_MMAP = 17,
    VHOST_USER_PROTOCOL_F_SHARED_OBJECT = 18,
    VHOST_USER_PROTOCOL_F_DEVICE_STATE = 19,
    VHOST_USER_PROTOCOL_F_MAX
};

/* The 12-byte header, native endian. */
typedef struct VhostUserHeader {
    uint32_t request;
    uint32_t flags;
    uint32_t size;     /* payload bytes that follow */
} VhostUserHeader;

typedef struct VhostUserVringState {
    uint32_t index;
    uint32_t num;
} VhostUserVringState;

/* Ring addresses are the front-end's virtual addresses. */
typedef struct VhostUserVringAddr {
    uint32_t index;
    uint32_t flags;            /* VHOST_VRING_F_LOG */
    uint64_t desc_user_addr;
    uint64_t used_user_addr;
    uint64_t avail_user_addr;
    uint64_t log_guest_addr;
} VhostUserVringAddr;

typedef struct VhostUserMemRegion {
    uint64_t guest_phys_addr;
    uint64_t memory_size;
    uint64_t userspace_addr;
    uint64_t mmap_offset;
} VhostUserMemRegion;

typedef struct VhostUserMemory {
    uint32_t nregions;
    uint32_t padding;
    VhostUserMemRegion regions[VHOST_USER_MEMORY_MAX_NREGIONS];
} VhostUserMemory;

/* ADD_MEM_REG / REM_MEM_REG. */
typedef struct VhostUserMemRegMsg {
    uint64_t padding;
    VhostUserMemRegion region;
} VhostUserMemRegMsg;

typedef struct VhostUserLog {
    uint64_t mmap_size;
    uint64_t mmap_offset;
} VhostUserLog;

typedef struct VhostUserIotlb {
    uint64_t iova;
    uint64_t size;
    uint64_t uaddr;
    uint8_t perm;
    uint8_t type;
    uint8_t padding[6];
} VhostUserIotlb;

#define VHOST_USER_CONFIG_HDR_SIZE 12u
typedef struct VhostUserConfig {
    uint32_t offset;
    uint32_t size;
    uint32_t flags;
    uint8_t region[VHOST_USER_MAX_CONFIG_SIZE];
} VhostUserConfig;

/* VRING_HOST_NOTIFIER_MSG (back-end channel). */
typedef struct VhostUserVringArea {
    uint64_t u64;      /* ring index, NOFD bit */
    uint64_t size;
    uint64_t offset;
} VhostUserVringArea;

typedef struct VhostUserInflight {
    uint64_t mmap_size;
    uint64_t mmap_offset;
    uint16_t num_queues;
    uint16_t queue_size;
    uint32_t padding;
} VhostUserInflight;

typedef union VhostUserPayload {
    uint64_t u64;
    VhostUserVringState state;
    VhostUserVringAddr addr;
    VhostUserMemory memory;
    VhostUserMemRegMsg memreg;
    VhostUserLog log;
    VhostUserIotlb iotlb;
    VhostUserConfig config;
    VhostUserVringArea area;
    VhostUserInflight inflight;
    uint8_t bytes[1];
} VhostUserPayload;

/* The largest payload any valid message carries. */
#define VHOST_USER_PAYLOAD_MAX sizeof(VhostUserPayload)

/* A message in memory: the header and room for the largest payload. */
typedef struct VhostUserMsg {
    VhostUserHeader hdr;
    VhostUserPayload payload;
} VhostUserMsg;

_Static_assert(sizeof(VhostUserHeader) == 12, "header is 12 bytes");
_Static_assert(sizeof(VhostUserVringAddr) == 40, "vring addr");
_Static_assert(sizeof(VhostUserMemory) == 8 + 8 * 32, "memory table");
_Static_assert(sizeof(VhostUserMemRegMsg) == 40, "single region");
_Static_assert(sizeof(VhostUserIotlb) == 32, "iotlb");
_Static_assert(sizeof(VhostUserInflight) == 24, "inflight");

/* Names: "GET_FEATURES"; "UNKNOWN" for codes outside the spec. */
const char *vhost_user_request_name(uint32_t request);
const char *vhost_user_backend_request_name(uint32_t request);
const char *vhost_user_channel_request_name(VhostUserChannel ch,
                                            uint32_t request);
/* Virtio(-net) feature bit names ("MRG_RXBUF"); NULL when unknown. */
const char *vhost_user_feature_name(unsigned bit);
const char *vhost_user_protocol_feature_name(unsigned bit);
/* "0x... (VERSION_1|MRG_RXBUF|bit 55)" into buf; returns buf. */
char *vhost_user_format_features(uint64_t features, bool protocol,
                                 char *buf, size_t len);

/*
 * Payload sizes, in bytes, that a request (or its reply) may carry.
 * Returns false for codes the spec does not define.  A fixed size has
 * min == max; variable payloads (memory table, config) give the range.
 */
bool vhost_user_request_size(VhostUserChannel ch, uint32_t request,
                             uint32_t *min, uint32_t *max);
/* Reply payload size; has_reply false when the request has no reply of
 * its own (then a REPLY_ACK u64 is the only possible reply). */
bool vhost_user_reply_size(uint32_t request, bool *has_reply,
                           uint32_t *min, uint32_t *max);
/* Does the request carry fds (how many at most)? */
unsigned vhost_user_request_max_fds(VhostUserChannel ch, uint32_t request);

/*
 * Check a received request: version 1, no REPLY bit, no unknown flag,
 * payload size right for the code (and for the memory table, consistent
 * with nregions).  Unknown codes pass the size check if they fit.
 */
bool vhost_user_check_request(VhostUserChannel ch, const VhostUserHeader *hdr,
                              const void *payload, size_t payload_len,
                              Error **errp);
/*
 * Check a reply to 'request': same code, flags exactly version 1 + REPLY,
 * hdr->size equal to the bytes read, and a size the code allows (a u64
 * when only a REPLY_ACK can answer it).
 */
bool vhost_user_check_reply(uint32_t request, const VhostUserHeader *hdr,
                            size_t payload_len, Error **errp);

/* A short human rendering of a payload for trace lines ("idx 1 num 256").
 * is_reply says the message is a reply (GET_VRING_BASE's state, acks). */
char *vhost_user_describe(VhostUserChannel ch, const VhostUserHeader *hdr,
                          const void *payload, size_t payload_len,
                          char *buf, size_t len);

/* Trace one message (trace points vhost_user_send / vhost_user_recv);
 * 'who' names the connection (socket path). */
void vhost_user_trace_msg(bool sent, const char *who, VhostUserChannel ch,
                          const VhostUserHeader *hdr, const void *payload,
                          size_t nfds);

/* Fill a header for a reply to hdr carrying 'size' bytes. */
static inline void vhost_user_reply_header(VhostUserHeader *reply,
                                           const VhostUserHeader *req,
                                           uint32_t size)
{
    reply->request = req->request;
    reply->flags = VHOST_USER_VERSION | VHOST_USER_REPLY_MASK;
    reply->size = size;
}

#endif
