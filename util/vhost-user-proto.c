/*
 * vhost-user codec: names, payload sizes per request, the checks on
 * received requests and replies, and short payload renderings for traces.
 */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "net/vhost-user-proto.h"
#include "util/trace.h"

#define ANY_NOPAYLOAD 0, 8   /* "N/A" payloads: tolerate a stray u64 */

typedef struct SizeRule {
    const char *name;
    uint32_t min, max;         /* request payload */
    uint8_t max_fds;
    bool has_reply;
    uint32_t rmin, rmax;       /* reply payload when has_reply */
} SizeRule;

#define CFG_MAX (VHOST_USER_CONFIG_HDR_SIZE + VHOST_USER_MAX_CONFIG_SIZE)
#define MEM_MAX ((uint32_t)sizeof(VhostUserMemory))

static const SizeRule frontend_rules[VHOST_USER_REQUEST_MAX] = {
    [VHOST_USER_GET_FEATURES] = { "GET_FEATURES", ANY_NOPAYLOAD, 0, true, 8, 8 },
    [VHOST_USER_SET_FEATURES] = { "SET_FEATURES", 8, 8, 0, false, 0, 0 },
    [VHOST_USER_SET_OWNER] = { "SET_OWNER", ANY_NOPAYLOAD, 0, false, 0, 0 },
    [VHOST_USER_RESET_OWNER] = { "RESET_OWNER", ANY_NOPAYLOAD, 0, false, 0, 0 },
    [VHOST_USER_SET_MEM_TABLE] = { "SET_MEM_TABLE", 8, MEM_MAX,
                                   VHOST_USER_MAX_FDS, false, 0, 0 },
    [VHOST_USER_SET_LOG_BASE] = { "SET_LOG_BASE", 8, 16, 1, false, 0, 0 },
    [VHOST_USER_SET_LOG_FD] = { "SET_LOG_FD", ANY_NOPAYLOAD, 1, false, 0, 0 },
    [VHOST_USER_SET_VRING_NUM] = { "SET_VRING_NUM", 8, 8, 0, false, 0, 0 },
    [VHOST_USER_SET_VRING_ADDR] = { "SET_VRING_ADDR", 40, 40, 0, false, 0, 0 },
    [VHOST_USER_SET_VRING_BASE] = { "SET_VRING_BASE", 8, 8, 0, false, 0, 0 },
    [VHOST_USER_GET_VRING_BASE] = { "GET_VRING_BASE", 8, 8, 0, true, 8, 8 },
    [VHOST_USER_SET_VRING_KICK] = { "SET_VRING_KICK", 8, 8, 1, false, 0, 0 },
    [VHOST_USER_SET_VRING_CALL] = { "SET_VRING_CALL", 8, 8, 1, false, 0, 0 },
    [VHOST_USER_SET_VRING_ERR] = { "SET_VRING_ERR", 8, 8, 1, false, 0, 0 },
    [VHOST_USER_GET_PROTOCOL_FEATURES] = { "GET_PROTOCOL_FEATURES",
                                           ANY_NOPAYLOAD, 0, true, 8, 8 },
    [VHOST_USER_SET_PROTOCOL_FEATURES] = { "SET_PROTOCOL_FEATURES", 8, 8, 0,
                                           false, 0, 0 },
    [VHOST_USER_GET_QUEUE_NUM] = { "GET_QUEUE_NUM", ANY_NOPAYLOAD, 0, true, 8, 8 },
    [VHOST_USER_SET_VRING_ENABLE] = { "SET_VRING_ENABLE", 8, 8, 0, false, 0, 0 },
    [VHOST_USER_SEND_RARP] = { "SEND_RARP", 8, 8, 0, false, 0, 0 },
    [VHOST_USER_NET_SET_MTU] = { "NET_SET_MTU", 8, 8, 0, false, 0, 0 },
    [VHOST_USER_SET_BACKEND_REQ_FD] = { "SET_BACKEND_REQ_FD", ANY_NOPAYLOAD, 1,
                                        false, 0, 0 },
    [VHOST_USER_IOTLB_MSG] = { "IOTLB_MSG", 32, 32, 0, true, 8, 8 },
    [VHOST_USER_SET_VRING_ENDIAN] = { "SET_VRING_ENDIAN", 8, 8, 0, false, 0, 0 },
    [VHOST_USER_GET_CONFIG] = { "GET_CONFIG", VHOST_USER_CONFIG_HDR_SIZE, CFG_MAX,
                                0, true, 0, CFG_MAX },
    [VHOST_USER_SET_CONFIG] = { "SET_CONFIG", VHOST_USER_CONFIG_HDR_SIZE, CFG_MAX,
                                0, false, 0, 0 },
    [VHOST_USER_CREATE_CRYPTO_SESSION] = { "CREATE_CRYPTO_SESSION", 0,
                                           VHOST_USER_PAYLOAD_MAX, 0, true, 0,
                                           VHOST_USER_PAYLOAD_MAX },
    [VHOST_USER_CLOSE_CRYPTO_SESSION] = { "CLOSE_CRYPTO_SESSION", 8, 8, 0,
                                          false, 0, 0 },
    [VHOST_USER_POSTCOPY_ADVISE] = { "POSTCOPY_ADVISE", ANY_NOPAYLOAD, 0, true,
                                     0, 8 },
    [VHOST_USER_POSTCOPY_LISTEN] = { "POSTCOPY_LISTEN", ANY_NOPAYLOAD, 0, false,
                                     0, 0 },
    [VHOST_USER_POSTCOPY_END] = { "POSTCOPY_END", ANY_NOPAYLOAD, 0, true, 8, 8 },
    [VHOST_USER_GET_INFLIGHT_FD] = { "GET_INFLIGHT_FD", 24, 24, 0, true, 24, 24 },
    [VHOST_USER_SET_INFLIGHT_FD] = { "SET_INFLIGHT_FD", 24, 24, 1, false, 0, 0 },
    [VHOST_USER_GPU_SET_SOCKET] = { "GPU_SET_SOCKET", ANY_NOPAYLOAD, 1, false,
                                    0, 0 },
    [VHOST_USER_RESET_DEVICE] = { "RESET_DEVICE", ANY_NOPAYLOAD, 0, false, 0, 0 },
    [VHOST_USER_VRING_KICK] = { "VRING_KICK", 8, 8, 0, false, 0, 0 },
    [VHOST_USER_GET_MAX_MEM_SLOTS] = { "GET_MAX_MEM_SLOTS", ANY_NOPAYLOAD, 0,
                                       true, 8, 8 },
    [VHOST_USER_ADD_MEM_REG] = { "ADD_MEM_REG", 40, 40, 1, false, 0, 0 },
    [VHOST_USER_REM_MEM_REG] = { "REM_MEM_REG", 40, 40, 1, false, 0, 0 },
    [VHOST_USER_SET_STATUS] = { "SET_STATUS", 8, 8, 0, false, 0, 0 },
    [VHOST_USER_GET_STATUS] = { "GET_STATUS", ANY_NOPAYLOAD, 0, true, 8, 8 },
    [VHOST_USER_GET_SHARED_OBJECT] = { "GET_SHARED_OBJECT", 16, 16, 0, true,
                                       8, 8 },
    [VHOST_USER_SET_DEVICE_STATE_FD] = { "SET_DEVICE_STATE_FD", 8, 8, 1, true,
                                         8, 8 },
    [VHOST_USER_CHECK_DEVICE_STATE] = { "CHECK_DEVICE_STATE", ANY_NOPAYLOAD, 0,
                                        true, 8, 8 },
};

static const SizeRule backend_rules[VHOST_USER_BACKEND_REQUEST_MAX] = {
    [VHOST_USER_BACKEND_IOTLB_MSG] = { "IOTLB_MSG", 32, 32, 0, false, 0, 0 },
    [VHOST_USER_BACKEND_CONFIG_CHANGE_MSG] = { "CONFIG_CHANGE_MSG",
                                               ANY_NOPAYLOAD, 0, false, 0, 0 },
    [VHOST_USER_BACKEND_VRING_HOST_NOTIFIER_MSG] = { "VRING_HOST_NOTIFIER_MSG",
                                                     24, 24, 1, false, 0, 0 },
    [VHOST_USER_BACKEND_VRING_CALL] = { "VRING_CALL", 8, 8, 0, false, 0, 0 },
    [VHOST_USER_BACKEND_VRING_ERR] = { "VRING_ERR", 8, 8, 0, false, 0, 0 },
    [VHOST_USER_BACKEND_SHARED_OBJECT_ADD] = { "SHARED_OBJECT_ADD", 16, 16, 0,
                                               false, 0, 0 },
    [VHOST_USER_BACKEND_SHARED_OBJECT_REMOVE] = { "SHARED_OBJECT_REMOVE", 16,
                                                  16, 0, false, 0, 0 },
    [VHOST_USER_BACKEND_SHARED_OBJECT_LOOKUP] = { "SHARED_OBJECT_LOOKUP", 16,
                                                  16, 0, true, 8, 8 },
};

static const SizeRule *rule_find(VhostUserChannel ch, uint32_t request)
{
    const SizeRule *r = NULL;

    if (ch == VHOST_USER_CHANNEL_FRONTEND && request < VHOST_USER_REQUEST_MAX) {
        r = &frontend_rules[request];
    } else if (ch == VHOST_USER_CHANNEL_BACKEND &&
               request < VHOST_USER_BACKEND_REQUEST_MAX) {
        r = &backend_rules[request];
    }
    return r && r->name ? r : NULL;
}

const char *vhost_user_request_name(uint32_t request)
{
    const SizeRule *r = rule_find(VHOST_USER_CHANNEL_FRONTEND, request);
    return r ? r->name : "UNKNOWN";
}

const char *vhost_user_backend_request_name(uint32_t request)
{
    const SizeRule *r = rule_find(VHOST_USER_CHANNEL_BACKEND, request);
    return r ? r->name : "UNKNOWN";
}

const char *vhost_user_channel_request_name(VhostUserChannel ch,
                                            uint32_t request)
{
    const SizeRule *r = rule_find(ch, request);
    return r ? r->name : "UNKNOWN";
}

static const char *const feature_names[64] = {
    [0] = "CSUM", [1] = "GUEST_CSUM", [2] = "CTRL_GUEST_OFFLOADS",
    [3] = "MTU", [5] = "MAC", [6] = "GSO", [7] = "GUEST_TSO4",
    [8] = "GUEST_TSO6", [9] = "GUEST_ECN", [10] = "GUEST_UFO",
    [11] = "HOST_TSO4", [12] = "HOST_TSO6", [13] = "HOST_ECN",
    [14] = "HOST_UFO", [15] = "MRG_RXBUF", [16] = "STATUS",
    [17] = "CTRL_VQ", [18] = "CTRL_RX", [19] = "CTRL_VLAN",
    [20] = "CTRL_RX_EXTRA", [21] = "GUEST_ANNOUNCE", [22] = "MQ",
    [23] = "CTRL_MAC_ADDR", [24] = "NOTIFY_ON_EMPTY", [26] = "LOG_ALL",
    [27] = "ANY_LAYOUT", [28] = "RING_INDIRECT_DESC", [29] = "RING_EVENT_IDX",
    [30] = "PROTOCOL_FEATURES", [32] = "VERSION_1", [33] = "ACCESS_PLATFORM",
    [34] = "RING_PACKED", [35] = "IN_ORDER", [36] = "ORDER_PLATFORM",
    [37] = "SR_IOV", [38] = "NOTIFICATION_DATA", [40] = "RING_RESET",
    [52] = "VQ_NOTF_COAL", [53] = "NOTF_COAL", [54] = "GUEST_USO4",
    [55] = "GUEST_USO6", [56] = "HOST_USO", [57] = "HASH_REPORT",
    [59] = "GUEST_HDRLEN", [60] = "RSS", [61] = "RSC_EXT",
    [62] = "STANDBY", [63] = "SPEED_DUPLEX",
};

static const char *const protocol_feature_names[VHOST_USER_PROTOCOL_F_MAX] = {
    "MQ", "LOG_SHMFD", "RARP", "REPLY_ACK", "NET_MTU", "BACKEND_REQ",
    "CROSS_ENDIAN", "CRYPTO_SESSION", "PAGEFAULT", "CONFIG",
    "BACKEND_SEND_FD", "HOST_NOTIFIER", "INFLIGHT_SHMFD", "RESET_DEVICE",
    "INBAND_NOTIFICATIONS", "CONFIGURE_MEM_SLOTS", "STATUS", "XEN_MMAP",
    "SHARED_OBJECT", "DEVICE_STATE",
};

const char *vhost_user_feature_name(unsigned bit)
{
    return bit < 64 ? feature_names[bit] : NULL;
}

const char *vhost_user_protocol_feature_name(unsigned bit)
{
    return bit < VHOST_USER_PROTOCOL_F_MAX ? protocol_feature_names[bit] : NULL;
}

char *vhost_user_format_features(uint64_t features, bool protocol,
                                 char *buf, size_t len)
{
    size_t off;
    const char *sep = " (";

    if (!len) {
        return buf;
    }
    off = snprintf(buf, len, "0x%" PRIx64, features);
    for (unsigned bit = 0; bit < 64 && off < len; bit++) {
        const char *name;
        if (!(features & (1ull << bit))) {
            continue;
        }
        name = protocol ? vhost_user_protocol_feature_name(bit)
                        : vhost_user_feature_name(bit);
        if (name) {
            off += snprintf(buf + off, len - off, "%s%s", sep, name);
        } else {
            off += snprintf(buf + off, len - off, "%sbit %u", sep, bit);
        }
        sep = "|";
    }
    if (off < len && sep[0] == '|') {
        snprintf(buf + off, len - off, ")");
    }
    return buf;
}

bool vhost_user_request_size(VhostUserChannel ch, uint32_t request,
                             uint32_t *min, uint32_t *max)
{
    const SizeRule *r = rule_find(ch, request);
    if (!r) {
        return false;
    }
    *min = r->min;
    *max = r->max;
    return true;
}

bool vhost_user_reply_size(uint32_t request, bool *has_reply,
                           uint32_t *min, uint32_t *max)
{
    const SizeRule *r = rule_find(VHOST_USER_CHANNEL_FRONTEND, request);
    if (!r) {
        return false;
    }
    *has_reply = r->has_reply;
    *min = r->has_reply ? r->rmin : 8;
    *max = r->has_reply ? r->rmax : 8;
    return true;
}

unsigned vhost_user_request_max_fds(VhostUserChannel ch, uint32_t request)
{
    const SizeRule *r = rule_find(ch, request);
    return r ? r->max_fds : 0;
}

bool vhost_user_check_request(VhostUserChannel ch, const VhostUserHeader *hdr,
                              const void *payload, size_t payload_len,
                              Error **errp)
{
    const SizeRule *r = rule_find(ch, hdr->request);
    const char *name = vhost_user_channel_request_name(ch, hdr->request);

    if ((hdr->flags & VHOST_USER_VERSION_MASK) != VHOST_USER_VERSION) {
        error_setg(errp, "%s (%u) has protocol version %u, only version 1 "
                   "exists", name, hdr->request,
                   hdr->flags & VHOST_USER_VERSION_MASK);
        return false;
    }
    if (hdr->flags & VHOST_USER_REPLY_MASK) {
        error_setg(errp, "%s (%u) arrived with the REPLY flag set, but no "
                   "request is waiting for a reply", name, hdr->request);
        return false;
    }
    if (hdr->flags & ~VHOST_USER_KNOWN_FLAGS) {
        error_setg(errp, "%s (%u) has unknown flags 0x%x", name, hdr->request,
                   hdr->flags & ~VHOST_USER_KNOWN_FLAGS);
        return false;
    }
    if (hdr->size != payload_len) {
        error_setg(errp, "%s (%u) announces %u payload bytes but %zu arrived",
                   name, hdr->request, hdr->size, payload_len);
        return false;
    }
    if (payload_len > VHOST_USER_PAYLOAD_MAX) {
        error_setg(errp, "%s (%u) payload of %zu bytes exceeds the largest "
                   "vhost-user payload (%zu bytes)", name, hdr->request,
                   payload_len, VHOST_USER_PAYLOAD_MAX);
        return false;
    }
    if (!r) {
        return true;    /* the caller decides what to do with unknown codes */
    }
    if (payload_len < r->min || payload_len > r->max) {
        if (r->min == r->max) {
            error_setg(errp, "%s payload is %zu bytes, expected %u", name,
                       payload_len, r->min);
        } else {
            error_setg(errp, "%s payload is %zu bytes, expected %u to %u",
                       name, payload_len, r->min, r->max);
        }
        return false;
    }
    if (ch == VHOST_USER_CHANNEL_FRONTEND &&
        hdr->request == VHOST_USER_SET_MEM_TABLE) {
        const VhostUserMemory *m = payload;
        if (m->nregions > VHOST_USER_MEMORY_MAX_NREGIONS) {
            error_setg(errp, "SET_MEM_TABLE lists %u regions, at most %u fit "
                       "in one message", m->nregions,
                       VHOST_USER_MEMORY_MAX_NREGIONS);
            return false;
        }
        if (payload_len < 8 + m->nregions * sizeof(VhostUserMemRegion)) {
            error_setg(errp, "SET_MEM_TABLE lists %u regions but its payload "
                       "of %zu bytes holds fewer", m->nregions, payload_len);
            return false;
        }
    }
    if (ch == VHOST_USER_CHANNEL_FRONTEND &&
        (hdr->request == VHOST_USER_SET_CONFIG ||
         hdr->request == VHOST_USER_GET_CONFIG)) {
        const VhostUserConfig *c = payload;
        if (c->size > VHOST_USER_MAX_CONFIG_SIZE ||
            (hdr->request == VHOST_USER_SET_CONFIG &&
             payload_len != VHOST_USER_CONFIG_HDR_SIZE + c->size)) {
            error_setg(errp, "%s config size %u does not match its payload "
                       "of %zu bytes", name, c->size, payload_len);
            return false;
        }
    }
    return true;
}

bool vhost_user_check_reply(uint32_t request, const VhostUserHeader *hdr,
                            size_t payload_len, Error **errp)
{
    const char *name = vhost_user_request_name(request);
    bool has_reply;
    uint32_t min, max;

    if (hdr->request != request) {
        error_setg(errp, "the reply to %s (%u) carries request code %u (%s)",
                   name, request, hdr->request,
                   vhost_user_request_name(hdr->request));
        return false;
    }
    if ((hdr->flags & VHOST_USER_VERSION_MASK) != VHOST_USER_VERSION) {
        error_setg(errp, "the reply to %s has protocol version %u, expected 1",
                   name, hdr->flags & VHOST_USER_VERSION_MASK);
        return false;
    }
    if (!(hdr->flags & VHOST_USER_REPLY_MASK)) {
        error_setg(errp, "the reply to %s lacks the REPLY flag (flags 0x%x)",
                   name, hdr->flags);
        return false;
    }
    if (hdr->flags != (VHOST_USER_VERSION | VHOST_USER_REPLY_MASK)) {
        error_setg(errp, "the reply to %s has flags 0x%x, expected 0x5",
                   name, hdr->flags);
        return false;
    }
    if (hdr->size != payload_len) {
        error_setg(errp, "the reply to %s announces %u bytes but %zu arrived",
                   name, hdr->size, payload_len);
        return false;
    }
    if (!vhost_user_reply_size(request, &has_reply, &min, &max)) {
        error_setg(errp, "request code %u has no defined reply", request);
        return false;
    }
    if (payload_len < min || payload_len > max) {
        if (min == max) {
            error_setg(errp, "the reply to %s is %zu bytes, expected %u",
                       name, payload_len, min);
        } else {
            error_setg(errp, "the reply to %s is %zu bytes, expected %u to %u",
                       name, payload_len, min, max);
        }
        return false;
    }
    return true;
}

static size_t describe_memory(const VhostUserMemory *m, size_t len,
                              char *buf, size_t buflen)
{
    size_t off = snprintf(buf, buflen, "%u regions", m->nregions);
    unsigned n = m->nregions;

    if (len < 8) {
        return off;
    }
    if (n > (len - 8) / sizeof(VhostUserMemRegion)) {
        n = (len - 8) / sizeof(VhostUserMemRegion);
    }
    for (unsigned i = 0; i < n && off < buflen; i++) {
        const VhostUserMemRegion *r = &m->regions[i];
        off += snprintf(buf + off, buflen - off,
                        " [gpa 0x%" PRIx64 " size 0x%" PRIx64 " uva 0x%" PRIx64
                        " off 0x%" PRIx64 "]", r->guest_phys_addr,
                        r->memory_size, r->userspace_addr, r->mmap_offset);
    }
    return off;
}

char *vhost_user_describe(VhostUserChannel ch, const VhostUserHeader *hdr,
                          const void *payload, size_t payload_len,
                          char *buf, size_t len)
{
    const VhostUserPayload *p = payload;
    bool reply = hdr->flags & VHOST_USER_REPLY_MASK;
    char feat[512];

    if (!len) {
        return buf;
    }
    buf[0] = '\0';
    if (payload_len == 0) {
        return buf;
    }
    if (ch == VHOST_USER_CHANNEL_BACKEND) {
        switch (hdr->request) {
        case VHOST_USER_BACKEND_VRING_HOST_NOTIFIER_MSG:
            if (payload_len >= sizeof(VhostUserVringArea)) {
                snprintf(buf, len, "idx %u%s size 0x%" PRIx64 " offset 0x%"
                         PRIx64, (unsigned)(p->area.u64 &
                                            VHOST_USER_VRING_AREA_IDX_MASK),
                         p->area.u64 & VHOST_USER_VRING_AREA_NOFD_MASK ?
                         " nofd" : "", p->area.size, p->area.offset);
                return buf;
            }
            break;
        case VHOST_USER_BACKEND_VRING_CALL:
        case VHOST_USER_BACKEND_VRING_ERR:
            if (payload_len >= 8) {
                snprintf(buf, len, "idx %u num %u", p->state.index,
                         p->state.num);
                return buf;
            }
            break;
        }
        goto fallback;
    }

    if (reply && payload_len == 8 &&
        hdr->request != VHOST_USER_GET_VRING_BASE) {
        switch (hdr->request) {
        case VHOST_USER_GET_FEATURES:
            snprintf(buf, len, "%s", vhost_user_format_features(
                         p->u64, false, feat, sizeof(feat)));
            return buf;
        case VHOST_USER_GET_PROTOCOL_FEATURES:
            snprintf(buf, len, "%s", vhost_user_format_features(
                         p->u64, true, feat, sizeof(feat)));
            return buf;
        case VHOST_USER_GET_QUEUE_NUM:
        case VHOST_USER_GET_MAX_MEM_SLOTS:
            snprintf(buf, len, "%" PRIu64, p->u64);
            return buf;
        case VHOST_USER_GET_STATUS:
            snprintf(buf, len, "0x%" PRIx64, p->u64);
            return buf;
        default:
            snprintf(buf, len, "ack %" PRIu64 "%s", p->u64,
                     p->u64 ? " (failed)" : " (ok)");
            return buf;
        }
    }

    switch (hdr->request) {
    case VHOST_USER_SET_FEATURES:
        if (payload_len >= 8) {
            snprintf(buf, len, "%s", vhost_user_format_features(
                         p->u64, false, feat, sizeof(feat)));
            return buf;
        }
        break;
    case VHOST_USER_SET_PROTOCOL_FEATURES:
        if (payload_len >= 8) {
            snprintf(buf, len, "%s", vhost_user_format_features(
                         p->u64, true, feat, sizeof(feat)));
            return buf;
        }
        break;
    case VHOST_USER_SET_VRING_NUM:
    case VHOST_USER_SET_VRING_BASE:
    case VHOST_USER_GET_VRING_BASE:
    case VHOST_USER_SET_VRING_ENDIAN:
    case VHOST_USER_VRING_KICK:
        if (payload_len >= 8) {
            snprintf(buf, len, "idx %u num %u", p->state.index, p->state.num);
            return buf;
        }
        break;
    case VHOST_USER_SET_VRING_ENABLE:
        if (payload_len >= 8) {
            snprintf(buf, len, "idx %u enable %u", p->state.index,
                     p->state.num);
            return buf;
        }
        break;
    case VHOST_USER_SET_VRING_ADDR:
        if (payload_len >= sizeof(VhostUserVringAddr)) {
            snprintf(buf, len, "idx %u flags 0x%x desc 0x%" PRIx64 " used 0x%"
                     PRIx64 " avail 0x%" PRIx64 " log 0x%" PRIx64,
                     p->addr.index, p->addr.flags, p->addr.desc_user_addr,
                     p->addr.used_user_addr, p->addr.avail_user_addr,
                     p->addr.log_guest_addr);
            return buf;
        }
        break;
    case VHOST_USER_SET_VRING_KICK:
    case VHOST_USER_SET_VRING_CALL:
    case VHOST_USER_SET_VRING_ERR:
        if (payload_len >= 8) {
            snprintf(buf, len, "idx %u%s",
                     (unsigned)(p->u64 & VHOST_USER_VRING_IDX_MASK),
                     p->u64 & VHOST_USER_VRING_NOFD_MASK ? " nofd" : "");
            return buf;
        }
        break;
    case VHOST_USER_SET_MEM_TABLE:
        if (payload_len >= 8) {
            describe_memory(&p->memory, payload_len, buf, len);
            return buf;
        }
        break;
    case VHOST_USER_ADD_MEM_REG:
    case VHOST_USER_REM_MEM_REG:
        if (payload_len >= sizeof(VhostUserMemRegMsg)) {
            const VhostUserMemRegion *r = &p->memreg.region;
            snprintf(buf, len, "gpa 0x%" PRIx64 " size 0x%" PRIx64 " uva 0x%"
                     PRIx64 " off 0x%" PRIx64, r->guest_phys_addr,
                     r->memory_size, r->userspace_addr, r->mmap_offset);
            return buf;
        }
        break;
    case VHOST_USER_SET_LOG_BASE:
        if (payload_len >= sizeof(VhostUserLog)) {
            snprintf(buf, len, "size 0x%" PRIx64 " offset 0x%" PRIx64,
                     p->log.mmap_size, p->log.mmap_offset);
            return buf;
        }
        break;
    case VHOST_USER_GET_CONFIG:
    case VHOST_USER_SET_CONFIG:
        if (payload_len >= VHOST_USER_CONFIG_HDR_SIZE) {
            snprintf(buf, len, "offset %u size %u flags 0x%x",
                     p->config.offset, p->config.size, p->config.flags);
            return buf;
        }
        break;
    case VHOST_USER_GET_INFLIGHT_FD:
    case VHOST_USER_SET_INFLIGHT_FD:
        if (payload_len >= sizeof(VhostUserInflight)) {
            snprintf(buf, len, "size 0x%" PRIx64 " offset 0x%" PRIx64
                     " queues %u qsize %u", p->inflight.mmap_size,
                     p->inflight.mmap_offset, p->inflight.num_queues,
                     p->inflight.queue_size);
            return buf;
        }
        break;
    case VHOST_USER_IOTLB_MSG:
        if (payload_len >= sizeof(VhostUserIotlb)) {
            snprintf(buf, len, "iova 0x%" PRIx64 " size 0x%" PRIx64
                     " uaddr 0x%" PRIx64 " perm %u type %u", p->iotlb.iova,
                     p->iotlb.size, p->iotlb.uaddr, p->iotlb.perm,
                     p->iotlb.type);
            return buf;
        }
        break;
    case VHOST_USER_SEND_RARP:
        if (payload_len >= 6) {
            const uint8_t *m = p->bytes;
            snprintf(buf, len, "mac %02x:%02x:%02x:%02x:%02x:%02x",
                     m[0], m[1], m[2], m[3], m[4], m[5]);
            return buf;
        }
        break;
    case VHOST_USER_NET_SET_MTU:
    case VHOST_USER_SET_STATUS:
        if (payload_len >= 8) {
            snprintf(buf, len, hdr->request == VHOST_USER_SET_STATUS ?
                     "0x%" PRIx64 : "%" PRIu64, p->u64);
            return buf;
        }
        break;
    }
fallback:
    if (payload_len >= 8) {
        snprintf(buf, len, "%u bytes, u64 0x%" PRIx64, (unsigned)payload_len,
                 p->u64);
    } else {
        snprintf(buf, len, "%u bytes", (unsigned)payload_len);
    }
    return buf;
}

void vhost_user_trace_msg(bool sent, const char *who, VhostUserChannel ch,
                          const VhostUserHeader *hdr, const void *payload,
                          size_t nfds)
{
    char desc[768];

    if (sent) {
        trace(vhost_user_send, "%s: %s%s (%u) flags 0x%x size %u fds %zu: %s",
              who, ch == VHOST_USER_CHANNEL_BACKEND ? "backend " : "",
              vhost_user_channel_request_name(ch, hdr->request), hdr->request,
              hdr->flags, hdr->size, nfds,
              vhost_user_describe(ch, hdr, payload, hdr->size, desc,
                                  sizeof(desc)));
    } else {
        trace(vhost_user_recv, "%s: %s%s (%u) flags 0x%x size %u fds %zu: %s",
              who, ch == VHOST_USER_CHANNEL_BACKEND ? "backend " : "",
              vhost_user_channel_request_name(ch, hdr->request), hdr->request,
              hdr->flags, hdr->size, nfds,
              vhost_user_describe(ch, hdr, payload, hdr->size, desc,
                                  sizeof(desc)));
    }
}
