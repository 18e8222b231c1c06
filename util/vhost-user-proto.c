/*
 * vhost-user message table: names, payload sizes, fd limits and reply
 * rules, all generated from VHOST_USER_*_MESSAGES, and the checks on
 * received requests and replies.  The trace decoder is
 * util/vhost-user-describe.c.
 */
#include <stdio.h>
#include <string.h>

#include "net/vhost-user-proto.h"

#define MSG_ENTRY(name, code, req, fds, rule, reply) \
    [code] = { #name, VHOST_USER_P_##req, VHOST_USER_FDS_##fds, \
               VHOST_USER_REPLY_##rule, VHOST_USER_P_##reply },

static const VhostUserMsgInfo frontend_msgs[VHOST_USER_REQUEST_MAX] = {
    VHOST_USER_FRONTEND_MESSAGES(MSG_ENTRY)
};

static const VhostUserMsgInfo backend_msgs[VHOST_USER_BACKEND_REQUEST_MAX] = {
    VHOST_USER_BACKEND_MESSAGES(MSG_ENTRY)
};

typedef struct PayloadSize {
    uint32_t min, max;
} PayloadSize;

#define SIZE_ENTRY(kind, min, max, describe) \
    [VHOST_USER_P_##kind] = { min, max },

static const PayloadSize payload_sizes[VHOST_USER_P_KINDS] = {
    VHOST_USER_PAYLOADS(SIZE_ENTRY)
};

/* Every payload fits in VhostUserPayload, so in one VhostUserMsg. */
#define FITS(kind, min, max, describe) \
    _Static_assert((min) <= (max) && (max) <= VHOST_USER_PAYLOAD_MAX, \
                   #kind " payload fits in VhostUserPayload");
VHOST_USER_PAYLOADS(FITS)

const VhostUserMsgInfo *vhost_user_msg_info(VhostUserChannel ch,
                                            uint32_t request)
{
    const VhostUserMsgInfo *m = NULL;

    if (ch == VHOST_USER_CHANNEL_FRONTEND && request < VHOST_USER_REQUEST_MAX) {
        m = &frontend_msgs[request];
    } else if (ch == VHOST_USER_CHANNEL_BACKEND &&
               request < VHOST_USER_BACKEND_REQUEST_MAX) {
        m = &backend_msgs[request];
    }
    return m && m->name ? m : NULL;
}

void vhost_user_payload_size(VhostUserPayloadKind kind, uint32_t *min,
                             uint32_t *max)
{
    if (kind >= VHOST_USER_P_KINDS) {
        kind = VHOST_USER_P_ANY;
    }
    *min = payload_sizes[kind].min;
    *max = payload_sizes[kind].max;
}

const char *vhost_user_channel_request_name(VhostUserChannel ch,
                                            uint32_t request)
{
    const VhostUserMsgInfo *m = vhost_user_msg_info(ch, request);
    return m ? m->name : "UNKNOWN";
}

const char *vhost_user_request_name(uint32_t request)
{
    return vhost_user_channel_request_name(VHOST_USER_CHANNEL_FRONTEND,
                                           request);
}

const char *vhost_user_backend_request_name(uint32_t request)
{
    return vhost_user_channel_request_name(VHOST_USER_CHANNEL_BACKEND,
                                           request);
}

bool vhost_user_request_size(VhostUserChannel ch, uint32_t request,
                             uint32_t *min, uint32_t *max)
{
    const VhostUserMsgInfo *m = vhost_user_msg_info(ch, request);
    if (!m) {
        return false;
    }
    vhost_user_payload_size(m->request, min, max);
    return true;
}

bool vhost_user_reply_size(uint32_t request, bool *has_reply,
                           uint32_t *min, uint32_t *max)
{
    const VhostUserMsgInfo *m = vhost_user_msg_info(VHOST_USER_CHANNEL_FRONTEND,
                                                    request);
    if (!m) {
        return false;
    }
    *has_reply = m->reply_rule == VHOST_USER_REPLY_ALWAYS;
    /* An ACK-rule request has reply kind ACK: the REPLY_ACK u64. */
    vhost_user_payload_size(m->reply, min, max);
    return true;
}

unsigned vhost_user_request_max_fds(VhostUserChannel ch, uint32_t request)
{
    const VhostUserMsgInfo *m = vhost_user_msg_info(ch, request);

    if (!m) {
        return 0;
    }
    switch (m->fds) {
    case VHOST_USER_FDS_NONE:
        return 0;
    case VHOST_USER_FDS_REGIONS:
        return VHOST_USER_MEMORY_MAX_NREGIONS;
    case VHOST_USER_FDS_ONE:
    case VHOST_USER_FDS_OPTIONAL:
    case VHOST_USER_FDS_RING:
        return 1;
    }
    return 0;
}

/* The header of a request: version 1, not a reply, known flags, size. */
static bool check_request_header(const char *name, const VhostUserHeader *hdr,
                                 size_t payload_len, Error **errp)
{
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
    return true;
}

static bool check_size(const char *what, VhostUserPayloadKind kind,
                       size_t payload_len, Error **errp)
{
    uint32_t min, max;

    vhost_user_payload_size(kind, &min, &max);
    if (payload_len >= min && payload_len <= max) {
        return true;
    }
    if (min == max) {
        error_setg(errp, "%s is %zu bytes, expected %u", what, payload_len,
                   min);
    } else {
        error_setg(errp, "%s is %zu bytes, expected %u to %u", what,
                   payload_len, min, max);
    }
    return false;
}

/* Variable payloads: does what they say of themselves fit their size? */
static bool check_memory(const char *name, const VhostUserMemory *m,
                         size_t payload_len, Error **errp)
{
    if (m->nregions > VHOST_USER_MEMORY_MAX_NREGIONS) {
        error_setg(errp, "%s lists %u regions, at most %u fit in one message",
                   name, m->nregions, VHOST_USER_MEMORY_MAX_NREGIONS);
        return false;
    }
    if (payload_len < offsetof(VhostUserMemory, regions) +
                      m->nregions * sizeof(VhostUserMemRegion)) {
        error_setg(errp, "%s lists %u regions but its payload of %zu bytes "
                   "holds fewer", name, m->nregions, payload_len);
        return false;
    }
    return true;
}

static bool check_config(const char *name, uint32_t request,
                         const VhostUserConfig *c, size_t payload_len,
                         Error **errp)
{
    /* GET_CONFIG's data is room for the reply: only SET_CONFIG's is exact. */
    if (c->size > VHOST_USER_MAX_CONFIG_SIZE ||
        (request == VHOST_USER_SET_CONFIG &&
         payload_len != VHOST_USER_CONFIG_HDR_SIZE + c->size)) {
        error_setg(errp, "%s config size %u does not match its payload of "
                   "%zu bytes", name, c->size, payload_len);
        return false;
    }
    return true;
}

bool vhost_user_check_request(VhostUserChannel ch, const VhostUserHeader *hdr,
                              const void *payload, size_t payload_len,
                              Error **errp)
{
    const VhostUserMsgInfo *m = vhost_user_msg_info(ch, hdr->request);
    const char *name = vhost_user_channel_request_name(ch, hdr->request);
    char what[64];

    if (!check_request_header(name, hdr, payload_len, errp)) {
        return false;
    }
    if (!m) {
        return true;    /* the caller decides what to do with unknown codes */
    }
    snprintf(what, sizeof(what), "%s payload", name);
    if (!check_size(what, m->request, payload_len, errp)) {
        return false;
    }
    switch (m->request) {
    case VHOST_USER_P_MEMORY:
        return check_memory(name, payload, payload_len, errp);
    case VHOST_USER_P_CONFIG:
        return check_config(name, hdr->request, payload, payload_len, errp);
    default:
        return true;
    }
}

bool vhost_user_check_fds(VhostUserChannel ch, const VhostUserHeader *hdr,
                          const void *payload, size_t nfds, Error **errp)
{
    const VhostUserMsgInfo *m = vhost_user_msg_info(ch, hdr->request);
    const char *name = vhost_user_channel_request_name(ch, hdr->request);
    const VhostUserPayload *p = payload;
    size_t want;

    if (!m) {
        return true;
    }
    switch (m->fds) {
    case VHOST_USER_FDS_NONE:
        want = 0;
        break;
    case VHOST_USER_FDS_ONE:
        want = 1;
        break;
    case VHOST_USER_FDS_OPTIONAL:
        want = nfds ? 1 : 0;
        break;
    case VHOST_USER_FDS_RING:
        /* The NOFD bit is bit 8 in SET_VRING_* and in a vring area. */
        if (hdr->size >= sizeof(uint64_t) &&
            (p->u64 & VHOST_USER_VRING_NOFD_MASK)) {
            if (nfds) {
                error_setg(errp, "%s has the NOFD bit but came with %zu file "
                           "descriptors", name, nfds);
                return false;
            }
            return true;
        }
        if (nfds != 1) {
            error_setg(errp, "%s came with %zu file descriptors, expected 1 "
                       "(or the NOFD bit)", name, nfds);
            return false;
        }
        return true;
    case VHOST_USER_FDS_REGIONS:
        want = hdr->size >= offsetof(VhostUserMemory, regions) ?
               p->memory.nregions : 0;
        break;
    default:
        want = 0;
    }
    if (nfds != want) {
        error_setg(errp, "%s came with %zu file descriptors, expected %zu",
                   name, nfds, want);
        return false;
    }
    return true;
}

bool vhost_user_check_channel_reply(VhostUserChannel ch, uint32_t request,
                                    const VhostUserHeader *hdr,
                                    size_t payload_len, Error **errp)
{
    const char *name = vhost_user_channel_request_name(ch, request);
    const VhostUserMsgInfo *m;
    char what[64];

    if (hdr->request != request) {
        error_setg(errp, "the reply to %s (%u) carries request code %u (%s)",
                   name, request, hdr->request,
                   vhost_user_channel_request_name(ch, hdr->request));
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
    m = vhost_user_msg_info(ch, request);
    snprintf(what, sizeof(what), "the reply to %s", name);
    /* An unknown code: only a REPLY_ACK can answer it. */
    return check_size(what, m ? m->reply : VHOST_USER_P_ACK, payload_len,
                      errp);
}

bool vhost_user_check_reply(uint32_t request, const VhostUserHeader *hdr,
                            size_t payload_len, Error **errp)
{
    return vhost_user_check_channel_reply(VHOST_USER_CHANNEL_FRONTEND, request,
                                          hdr, payload_len, errp);
}
