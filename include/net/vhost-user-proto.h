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

/*
 * The message table: every request of both channels, one line each, in
 * the style of DPDK's VHOST_MESSAGE_HANDLERS.  The enums below, the names,
 * the payload sizes, the fd limits, the reply checks and the trace
 * decoder (vhost_user_describe) are all generated from it, so a code is
 * added in one place.  Columns:
 *
 *   X(NAME, code, request payload, fd policy, reply rule, reply payload)
 *
 * - payload: a VHOST_USER_PAYLOADS kind below (its size range is sizeof
 *   of its struct; its describe function renders it for traces);
 * - fd policy: VHOST_USER_FDS_* (how many fds ride along);
 * - reply rule: ALWAYS (a reply of its own, 'reply payload') or ACK (only
 *   the u64 of REPLY_ACK, when sent with NEED_REPLY; reply payload ACK).
 *
 * Codes must ascend: VHOST_USER_REQUEST_MAX is one past the last line.
 */
#define VHOST_USER_FRONTEND_MESSAGES(X) \
    X(GET_FEATURES,          1, NONE,        NONE,    ALWAYS, FEATURES) \
    X(SET_FEATURES,          2, FEATURES,    NONE,    ACK,    ACK) \
    X(SET_OWNER,             3, NONE,        NONE,    ACK,    ACK) \
    X(RESET_OWNER,           4, NONE,        NONE,    ACK,    ACK) \
    X(SET_MEM_TABLE,         5, MEMORY,      REGIONS, ACK,    ACK) \
    X(SET_LOG_BASE,          6, LOG,         ONE,     ACK,    ACK) \
    X(SET_LOG_FD,            7, NONE,        ONE,     ACK,    ACK) \
    X(SET_VRING_NUM,         8, STATE,       NONE,    ACK,    ACK) \
    X(SET_VRING_ADDR,        9, ADDR,        NONE,    ACK,    ACK) \
    X(SET_VRING_BASE,       10, STATE,       NONE,    ACK,    ACK) \
    X(GET_VRING_BASE,       11, STATE,       NONE,    ALWAYS, STATE) \
    X(SET_VRING_KICK,       12, VRING_FD,    RING,    ACK,    ACK) \
    X(SET_VRING_CALL,       13, VRING_FD,    RING,    ACK,    ACK) \
    X(SET_VRING_ERR,        14, VRING_FD,    RING,    ACK,    ACK) \
    X(GET_PROTOCOL_FEATURES, 15, NONE,       NONE,    ALWAYS, PROTOCOL) \
    X(SET_PROTOCOL_FEATURES, 16, PROTOCOL,   NONE,    ACK,    ACK) \
    X(GET_QUEUE_NUM,        17, NONE,        NONE,    ALWAYS, COUNT) \
    X(SET_VRING_ENABLE,     18, ENABLE,      NONE,    ACK,    ACK) \
    X(SEND_RARP,            19, MAC,         NONE,    ACK,    ACK) \
    X(NET_SET_MTU,          20, COUNT,       NONE,    ACK,    ACK) \
    X(SET_BACKEND_REQ_FD,   21, NONE,        ONE,     ACK,    ACK) \
    X(IOTLB_MSG,            22, IOTLB,       NONE,    ALWAYS, ACK) \
    X(SET_VRING_ENDIAN,     23, STATE,       NONE,    ACK,    ACK) \
    X(GET_CONFIG,           24, CONFIG,      NONE,    ALWAYS, CONFIG_REPLY) \
    X(SET_CONFIG,           25, CONFIG,      NONE,    ACK,    ACK) \
    X(CREATE_CRYPTO_SESSION, 26, ANY,        NONE,    ALWAYS, ANY) \
    X(CLOSE_CRYPTO_SESSION, 27, COUNT,       NONE,    ACK,    ACK) \
    X(POSTCOPY_ADVISE,      28, NONE,        NONE,    ALWAYS, NONE) \
    X(POSTCOPY_LISTEN,      29, NONE,        NONE,    ACK,    ACK) \
    X(POSTCOPY_END,         30, NONE,        NONE,    ALWAYS, ACK) \
    X(GET_INFLIGHT_FD,      31, INFLIGHT,    NONE,    ALWAYS, INFLIGHT) \
    X(SET_INFLIGHT_FD,      32, INFLIGHT,    ONE,     ACK,    ACK) \
    X(GPU_SET_SOCKET,       33, NONE,        ONE,     ACK,    ACK) \
    X(RESET_DEVICE,         34, NONE,        NONE,    ACK,    ACK) \
    X(VRING_KICK,           35, STATE,       NONE,    ACK,    ACK) \
    X(GET_MAX_MEM_SLOTS,    36, NONE,        NONE,    ALWAYS, COUNT) \
    X(ADD_MEM_REG,          37, MEMREG,      ONE,     ACK,    ACK) \
    X(REM_MEM_REG,          38, MEMREG,      OPTIONAL, ACK,   ACK) \
    X(SET_STATUS,           39, STATUS,      NONE,    ACK,    ACK) \
    X(GET_STATUS,           40, NONE,        NONE,    ALWAYS, STATUS) \
    X(GET_SHARED_OBJECT,    41, SHARED,      NONE,    ALWAYS, ACK) \
    X(SET_DEVICE_STATE_FD,  42, DEVICE_STATE, ONE,    ALWAYS, ACK) \
    X(CHECK_DEVICE_STATE,   43, NONE,        NONE,    ALWAYS, ACK)

/* Requests of the back-end, on the SET_BACKEND_REQ_FD socket. */
#define VHOST_USER_BACKEND_MESSAGES(X) \
    X(IOTLB_MSG,             1, IOTLB,       NONE,    ACK,    ACK) \
    X(CONFIG_CHANGE_MSG,     2, NONE,        NONE,    ACK,    ACK) \
    X(VRING_HOST_NOTIFIER_MSG, 3, AREA,      RING,    ACK,    ACK) \
    X(VRING_CALL,            4, STATE,       NONE,    ACK,    ACK) \
    X(VRING_ERR,             5, STATE,       NONE,    ACK,    ACK) \
    X(SHARED_OBJECT_ADD,     6, SHARED,      NONE,    ACK,    ACK) \
    X(SHARED_OBJECT_REMOVE,  7, SHARED,      NONE,    ACK,    ACK) \
    X(SHARED_OBJECT_LOOKUP,  8, SHARED,      NONE,    ALWAYS, ACK)

#define VHOST_USER_ENUM_ENTRY_(name, code, ...) VHOST_USER_##name = code,
#define VHOST_USER_BACKEND_ENUM_ENTRY_(name, code, ...) \
    VHOST_USER_BACKEND_##name = code,

/* Requests sent by the front-end on the main socket. */
typedef enum VhostUserRequest {
    VHOST_USER_NONE = 0,
    VHOST_USER_FRONTEND_MESSAGES(VHOST_USER_ENUM_ENTRY_)
    VHOST_USER_REQUEST_MAX
} VhostUserRequest;

/* Requests sent by the back-end on the SET_BACKEND_REQ_FD socket. */
typedef enum VhostUserBackendRequest {
    VHOST_USER_BACKEND_NONE = 0,
    VHOST_USER_BACKEND_MESSAGES(VHOST_USER_BACKEND_ENUM_ENTRY_)
    VHOST_USER_BACKEND_REQUEST_MAX
} VhostUserBackendRequest;

/* How many fds a request carries (SCM_RIGHTS). */
typedef enum VhostUserFdPolicy {
    VHOST_USER_FDS_NONE,       /* none */
    VHOST_USER_FDS_ONE,        /* exactly one */
    VHOST_USER_FDS_OPTIONAL,   /* at most one, ignored */
    VHOST_USER_FDS_RING,       /* one, unless the payload's NOFD bit is set */
    VHOST_USER_FDS_REGIONS,    /* one per memory region */
} VhostUserFdPolicy;

/* Does a request get a reply of its own? */
typedef enum VhostUserReplyRule {
    VHOST_USER_REPLY_ACK,      /* only REPLY_ACK's u64, on NEED_REPLY */
    VHOST_USER_REPLY_ALWAYS,   /* always, with its reply payload */
} VhostUserReplyRule;

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

/* Protocol feature bits: X(NAME, bit). */
#define VHOST_USER_PROTOCOL_FEATURE_LIST(X) \
    X(MQ, 0) X(LOG_SHMFD, 1) X(RARP, 2) X(REPLY_ACK, 3) X(NET_MTU, 4) \
    X(BACKEND_REQ, 5) X(CROSS_ENDIAN, 6) X(CRYPTO_SESSION, 7) \
    X(PAGEFAULT, 8) X(CONFIG, 9) X(BACKEND_SEND_FD, 10) \
    X(HOST_NOTIFIER, 11) X(INFLIGHT_SHMFD, 12) X(RESET_DEVICE, 13) \
    X(INBAND_NOTIFICATIONS, 14) X(CONFIGURE_MEM_SLOTS, 15) X(STATUS, 16) \
    X(XEN_MMAP, 17) X(SHARED_OBJECT, 18) X(DEVICE_STATE, 19)

#define VHOST_USER_PROTOCOL_ENUM_ENTRY_(name, bit) \
    VHOST_USER_PROTOCOL_F_##name = bit,
enum {
    VHOST_USER_PROTOCOL_FEATURE_LIST(VHOST_USER_PROTOCOL_ENUM_ENTRY_)
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

/* GET_SHARED_OBJECT, SHARED_OBJECT_* (back-end channel). */
typedef struct VhostUserShared {
    uint8_t uuid[16];
} VhostUserShared;

/* SET_DEVICE_STATE_FD. */
typedef struct VhostUserTransferState {
    uint32_t direction;
    uint32_t phase;
} VhostUserTransferState;

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
    VhostUserShared shared;
    VhostUserTransferState transfer;
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

/*
 * Payload kinds: P(KIND, min bytes, max bytes, describe), sizes as sizeof
 * of the payload; 'describe' names the trace decoder's function for it
 * (describe_NAME in util/vhost-user-describe.c).  Several u64 kinds
 * differ only in how a trace shows them.
 */
#define VHOST_USER_U64_ sizeof(uint64_t)
#define VHOST_USER_PAYLOADS(P) \
    P(NONE, 0, VHOST_USER_U64_, raw)      /* "N/A": a stray u64 is let by */ \
    P(ANY, 0, VHOST_USER_PAYLOAD_MAX, raw)        /* not decoded (crypto) */ \
    P(ACK, VHOST_USER_U64_, VHOST_USER_U64_, ack) /* 0 = success */ \
    P(COUNT, VHOST_USER_U64_, VHOST_USER_U64_, count) \
    P(FEATURES, VHOST_USER_U64_, VHOST_USER_U64_, features) \
    P(PROTOCOL, VHOST_USER_U64_, VHOST_USER_U64_, protocol) \
    P(STATUS, VHOST_USER_U64_, VHOST_USER_U64_, status) \
    P(VRING_FD, VHOST_USER_U64_, VHOST_USER_U64_, vring_fd) \
    P(MAC, VHOST_USER_U64_, VHOST_USER_U64_, mac) /* 6 bytes used */ \
    P(STATE, sizeof(VhostUserVringState), sizeof(VhostUserVringState), \
      state) \
    P(ENABLE, sizeof(VhostUserVringState), sizeof(VhostUserVringState), \
      enable) \
    P(ADDR, sizeof(VhostUserVringAddr), sizeof(VhostUserVringAddr), addr) \
    P(MEMORY, offsetof(VhostUserMemory, regions), sizeof(VhostUserMemory), \
      memory) \
    P(MEMREG, sizeof(VhostUserMemRegMsg), sizeof(VhostUserMemRegMsg), \
      memreg) \
    P(LOG, VHOST_USER_U64_, sizeof(VhostUserLog), log) /* size [+offset] */ \
    P(IOTLB, sizeof(VhostUserIotlb), sizeof(VhostUserIotlb), iotlb) \
    P(CONFIG, offsetof(VhostUserConfig, region), sizeof(VhostUserConfig), \
      config) \
    P(CONFIG_REPLY, 0, sizeof(VhostUserConfig), config) /* empty: failed */ \
    P(INFLIGHT, sizeof(VhostUserInflight), sizeof(VhostUserInflight), \
      inflight) \
    P(AREA, sizeof(VhostUserVringArea), sizeof(VhostUserVringArea), area) \
    P(SHARED, sizeof(VhostUserShared), sizeof(VhostUserShared), shared) \
    P(DEVICE_STATE, sizeof(VhostUserTransferState), \
      sizeof(VhostUserTransferState), transfer)

#define VHOST_USER_PAYLOAD_ENUM_ENTRY_(kind, min, max, describe) \
    VHOST_USER_P_##kind,
typedef enum VhostUserPayloadKind {
    VHOST_USER_PAYLOADS(VHOST_USER_PAYLOAD_ENUM_ENTRY_)
    VHOST_USER_P_KINDS
} VhostUserPayloadKind;

_Static_assert(offsetof(VhostUserConfig, region) ==
               VHOST_USER_CONFIG_HDR_SIZE, "config header");

/* One line of the message table. */
typedef struct VhostUserMsgInfo {
    const char *name;                  /* "GET_FEATURES" */
    VhostUserPayloadKind request;
    VhostUserFdPolicy fds;
    VhostUserReplyRule reply_rule;
    VhostUserPayloadKind reply;        /* ACK unless reply_rule is ALWAYS */
} VhostUserMsgInfo;

/* The table's line for a code; NULL for codes the spec does not define. */
const VhostUserMsgInfo *vhost_user_msg_info(VhostUserChannel ch,
                                            uint32_t request);
/* A payload kind's size range in bytes. */
void vhost_user_payload_size(VhostUserPayloadKind kind, uint32_t *min,
                             uint32_t *max);

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
 * The names of the bits set, 'sep' between them, "bit N" for a bit
 * without a name ("CSUM MRG_RXBUF bit 55" with sep " "); "" for none.
 * VHOST_USER_FEATURE_LIST_LEN holds every bit with a one-character sep.
 */
#define VHOST_USER_FEATURE_LIST_LEN 1024
char *vhost_user_feature_list(uint64_t features, bool protocol,
                              const char *sep, char *buf, size_t len);

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
/* How many fds the request may carry at most (from its fd policy). */
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
 * Check the fds that came with a request against its line's fd policy:
 * none; exactly one; at most one; one unless the payload's NOFD bit is
 * set; one per memory region.  After vhost_user_check_request (it reads
 * the payload); unknown codes pass.
 */
bool vhost_user_check_fds(VhostUserChannel ch, const VhostUserHeader *hdr,
                          const void *payload, size_t nfds, Error **errp);
/*
 * Check a reply to 'request': same code, flags exactly version 1 + REPLY,
 * hdr->size equal to the bytes read, and a size the code allows (a u64
 * when only a REPLY_ACK can answer it).
 */
bool vhost_user_check_reply(uint32_t request, const VhostUserHeader *hdr,
                            size_t payload_len, Error **errp);
/* The same for a request of either channel (the back-end channel's
 * replies are REPLY_ACKs, and SHARED_OBJECT_LOOKUP's u64). */
bool vhost_user_check_channel_reply(VhostUserChannel ch, uint32_t request,
                                    const VhostUserHeader *hdr,
                                    size_t payload_len, Error **errp);

/* A short human rendering of a payload for trace lines ("idx 1 num 256"),
 * by the payload kind the table gives the message: its request's, or with
 * the REPLY flag its reply's (GET_VRING_BASE's state, acks).  A size the
 * kind does not allow is shown as bytes. */
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
