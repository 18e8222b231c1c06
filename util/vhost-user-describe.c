/*
 * vhost-user trace decoder: feature names, and one short rendering per
 * payload kind ("idx 1 num 256"), chosen through the message table.
 */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "net/vhost-user-proto.h"
#include "util/trace.h"

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

#define PROTOCOL_NAME(name, bit) [bit] = #name,
static const char *const protocol_feature_names[VHOST_USER_PROTOCOL_F_MAX] = {
    VHOST_USER_PROTOCOL_FEATURE_LIST(PROTOCOL_NAME)
};

const char *vhost_user_feature_name(unsigned bit)
{
    return bit < 64 ? feature_names[bit] : NULL;
}

const char *vhost_user_protocol_feature_name(unsigned bit)
{
    return bit < VHOST_USER_PROTOCOL_F_MAX ? protocol_feature_names[bit] : NULL;
}

char *vhost_user_feature_list(uint64_t features, bool protocol,
                              const char *sep, char *buf, size_t len)
{
    size_t off = 0;
    const char *s = "";

    if (!len) {
        return buf;
    }
    buf[0] = '\0';
    for (unsigned bit = 0; bit < 64 && off < len; bit++) {
        const char *name;
        if (!(features & (1ull << bit))) {
            continue;
        }
        name = protocol ? vhost_user_protocol_feature_name(bit)
                        : vhost_user_feature_name(bit);
        if (name) {
            off += snprintf(buf + off, len - off, "%s%s", s, name);
        } else {
            off += snprintf(buf + off, len - off, "%sbit %u", s, bit);
        }
        s = sep;
    }
    return buf;
}

char *vhost_user_format_features(uint64_t features, bool protocol,
                                 char *buf, size_t len)
{
    char names[VHOST_USER_FEATURE_LIST_LEN];

    if (!len) {
        return buf;
    }
    vhost_user_feature_list(features, protocol, "|", names, sizeof(names));
    snprintf(buf, len, names[0] ? "0x%" PRIx64 " (%s)" : "0x%" PRIx64 "%s",
             features, names);
    return buf;
}

/*
 * One function per payload kind.  Each is called only with a size its
 * kind allows (and never with an empty payload), into a buffer of at
 * least one byte; snprintf truncates.
 */
typedef void DescribeFn(const VhostUserPayload *p, size_t len, char *buf,
                        size_t buflen);

static void describe_raw(const VhostUserPayload *p, size_t len, char *buf,
                         size_t buflen)
{
    if (len >= sizeof(uint64_t)) {
        snprintf(buf, buflen, "%u bytes, u64 0x%" PRIx64, (unsigned)len,
                 p->u64);
    } else {
        snprintf(buf, buflen, "%u bytes", (unsigned)len);
    }
}

static void describe_ack(const VhostUserPayload *p, size_t len, char *buf,
                         size_t buflen)
{
    (void)len;
    snprintf(buf, buflen, "ack %" PRIu64 "%s", p->u64,
             p->u64 ? " (failed)" : " (ok)");
}

static void describe_count(const VhostUserPayload *p, size_t len, char *buf,
                           size_t buflen)
{
    (void)len;
    snprintf(buf, buflen, "%" PRIu64, p->u64);
}

static void describe_status(const VhostUserPayload *p, size_t len, char *buf,
                            size_t buflen)
{
    (void)len;
    snprintf(buf, buflen, "0x%" PRIx64, p->u64);
}

static void describe_features(const VhostUserPayload *p, size_t len,
                              char *buf, size_t buflen)
{
    (void)len;
    vhost_user_format_features(p->u64, false, buf, buflen);
}

static void describe_protocol(const VhostUserPayload *p, size_t len,
                              char *buf, size_t buflen)
{
    (void)len;
    vhost_user_format_features(p->u64, true, buf, buflen);
}

static void describe_vring_fd(const VhostUserPayload *p, size_t len,
                              char *buf, size_t buflen)
{
    (void)len;
    snprintf(buf, buflen, "idx %u%s",
             (unsigned)(p->u64 & VHOST_USER_VRING_IDX_MASK),
             p->u64 & VHOST_USER_VRING_NOFD_MASK ? " nofd" : "");
}

static void describe_mac(const VhostUserPayload *p, size_t len, char *buf,
                         size_t buflen)
{
    const uint8_t *m = p->bytes;

    (void)len;
    snprintf(buf, buflen, "mac %02x:%02x:%02x:%02x:%02x:%02x",
             m[0], m[1], m[2], m[3], m[4], m[5]);
}

static void describe_state(const VhostUserPayload *p, size_t len, char *buf,
                           size_t buflen)
{
    (void)len;
    snprintf(buf, buflen, "idx %u num %u", p->state.index, p->state.num);
}

static void describe_enable(const VhostUserPayload *p, size_t len, char *buf,
                            size_t buflen)
{
    (void)len;
    snprintf(buf, buflen, "idx %u enable %u", p->state.index, p->state.num);
}

static void describe_addr(const VhostUserPayload *p, size_t len, char *buf,
                          size_t buflen)
{
    (void)len;
    snprintf(buf, buflen, "idx %u flags 0x%x desc 0x%" PRIx64 " used 0x%"
             PRIx64 " avail 0x%" PRIx64 " log 0x%" PRIx64,
             p->addr.index, p->addr.flags, p->addr.desc_user_addr,
             p->addr.used_user_addr, p->addr.avail_user_addr,
             p->addr.log_guest_addr);
}

static size_t describe_region(const VhostUserMemRegion *r, const char *open,
                              const char *close, char *buf, size_t buflen)
{
    return snprintf(buf, buflen, "%sgpa 0x%" PRIx64 " size 0x%" PRIx64
                    " uva 0x%" PRIx64 " off 0x%" PRIx64 "%s", open,
                    r->guest_phys_addr, r->memory_size, r->userspace_addr,
                    r->mmap_offset, close);
}

/* The regions the payload holds, even when nregions claims more. */
static void describe_memory(const VhostUserPayload *p, size_t len, char *buf,
                            size_t buflen)
{
    const VhostUserMemory *m = &p->memory;
    size_t off = snprintf(buf, buflen, "%u regions", m->nregions);
    size_t room = (len - offsetof(VhostUserMemory, regions)) /
                  sizeof(VhostUserMemRegion);
    unsigned n = m->nregions < room ? m->nregions : room;

    for (unsigned i = 0; i < n && off < buflen; i++) {
        off += describe_region(&m->regions[i], " [", "]", buf + off,
                               buflen - off);
    }
}

static void describe_memreg(const VhostUserPayload *p, size_t len, char *buf,
                            size_t buflen)
{
    (void)len;
    describe_region(&p->memreg.region, "", "", buf, buflen);
}

static void describe_log(const VhostUserPayload *p, size_t len, char *buf,
                         size_t buflen)
{
    if (len < sizeof(VhostUserLog)) {
        snprintf(buf, buflen, "size 0x%" PRIx64, p->log.mmap_size);
        return;
    }
    snprintf(buf, buflen, "size 0x%" PRIx64 " offset 0x%" PRIx64,
             p->log.mmap_size, p->log.mmap_offset);
}

static void describe_iotlb(const VhostUserPayload *p, size_t len, char *buf,
                           size_t buflen)
{
    (void)len;
    snprintf(buf, buflen, "iova 0x%" PRIx64 " size 0x%" PRIx64 " uaddr 0x%"
             PRIx64 " perm %u type %u", p->iotlb.iova, p->iotlb.size,
             p->iotlb.uaddr, p->iotlb.perm, p->iotlb.type);
}

static void describe_config(const VhostUserPayload *p, size_t len, char *buf,
                            size_t buflen)
{
    if (len < VHOST_USER_CONFIG_HDR_SIZE) {
        describe_raw(p, len, buf, buflen);   /* a short reply */
        return;
    }
    snprintf(buf, buflen, "offset %u size %u flags 0x%x", p->config.offset,
             p->config.size, p->config.flags);
}

static void describe_inflight(const VhostUserPayload *p, size_t len,
                              char *buf, size_t buflen)
{
    (void)len;
    snprintf(buf, buflen, "size 0x%" PRIx64 " offset 0x%" PRIx64
             " queues %u qsize %u", p->inflight.mmap_size,
             p->inflight.mmap_offset, p->inflight.num_queues,
             p->inflight.queue_size);
}

static void describe_area(const VhostUserPayload *p, size_t len, char *buf,
                          size_t buflen)
{
    (void)len;
    snprintf(buf, buflen, "idx %u%s size 0x%" PRIx64 " offset 0x%" PRIx64,
             (unsigned)(p->area.u64 & VHOST_USER_VRING_AREA_IDX_MASK),
             p->area.u64 & VHOST_USER_VRING_AREA_NOFD_MASK ? " nofd" : "",
             p->area.size, p->area.offset);
}

static void describe_shared(const VhostUserPayload *p, size_t len, char *buf,
                            size_t buflen)
{
    const uint8_t *u = p->shared.uuid;

    (void)len;
    snprintf(buf, buflen, "uuid %02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-"
             "%02x%02x%02x%02x%02x%02x", u[0], u[1], u[2], u[3], u[4], u[5],
             u[6], u[7], u[8], u[9], u[10], u[11], u[12], u[13], u[14], u[15]);
}

static void describe_transfer(const VhostUserPayload *p, size_t len,
                              char *buf, size_t buflen)
{
    (void)len;
    snprintf(buf, buflen, "direction %u phase %u", p->transfer.direction,
             p->transfer.phase);
}

typedef struct PayloadDecoder {
    uint32_t min, max;
    DescribeFn *describe;
} PayloadDecoder;

#define DECODER_ENTRY(kind, min, max, fn) \
    [VHOST_USER_P_##kind] = { min, max, describe_##fn },

static const PayloadDecoder decoders[VHOST_USER_P_KINDS] = {
    VHOST_USER_PAYLOADS(DECODER_ENTRY)
};

/* The payload kind of a message as it travels: request, reply or ack. */
static VhostUserPayloadKind message_kind(VhostUserChannel ch,
                                         const VhostUserHeader *hdr)
{
    const VhostUserMsgInfo *m = vhost_user_msg_info(ch, hdr->request);

    if (!(hdr->flags & VHOST_USER_REPLY_MASK)) {
        return m ? m->request : VHOST_USER_P_ANY;
    }
    return m ? m->reply : VHOST_USER_P_ACK;
}

char *vhost_user_describe(VhostUserChannel ch, const VhostUserHeader *hdr,
                          const void *payload, size_t payload_len,
                          char *buf, size_t len)
{
    const PayloadDecoder *d = &decoders[message_kind(ch, hdr)];

    if (!len) {
        return buf;
    }
    buf[0] = '\0';
    if (payload_len == 0) {
        return buf;
    }
    if (payload_len > VHOST_USER_PAYLOAD_MAX) {
        payload_len = VHOST_USER_PAYLOAD_MAX;   /* only what we hold */
    }
    /* A size its kind does not have: show the bytes, not a meaning. */
    if (payload_len < d->min || payload_len > d->max) {
        describe_raw(payload, payload_len, buf, len);
    } else {
        d->describe(payload, payload_len, buf, len);
    }
    return buf;
}

void vhost_user_trace_msg(bool sent, const char *who, VhostUserChannel ch,
                          const VhostUserHeader *hdr, const void *payload,
                          size_t nfds)
{
#define TRACE_MSG_FMT "%s: %s%s (%u) flags 0x%x size %u fds %zu: %s"
#define TRACE_MSG_ARGS who, ch == VHOST_USER_CHANNEL_BACKEND ? "backend " : "", \
    vhost_user_channel_request_name(ch, hdr->request), hdr->request, \
    hdr->flags, hdr->size, nfds, \
    vhost_user_describe(ch, hdr, payload, hdr->size, desc, sizeof(desc))
    char desc[768];

    if (sent) {
        trace(vhost_user_send, TRACE_MSG_FMT, TRACE_MSG_ARGS);
    } else {
        trace(vhost_user_recv, TRACE_MSG_FMT, TRACE_MSG_ARGS);
    }
#undef TRACE_MSG_ARGS
#undef TRACE_MSG_FMT
}
