/*
 * The software offloads (hw/net/virtio-net-offload.c): the RSS hash
 * against the verification table of Microsoft's RSS specification, and
 * headers that do not match their frame, refused with an error.
 */
#include <arpa/inet.h>
#include <glib.h>
#include <string.h>

#include "hw/net/virtio-net-offload.h"

/* Ethernet + IPv4 + TCP (20-byte headers) from src to dst. */
static size_t frame4(uint8_t *f, const char *src, unsigned sport,
                     const char *dst, unsigned dport, unsigned proto)
{
    memset(f, 0, 64);
    f[12] = 0x08;
    f[14] = 0x45;
    f[16] = 0, f[17] = 40;
    f[23] = proto;
    inet_pton(AF_INET, src, f + 26);
    inet_pton(AF_INET, dst, f + 30);
    f[34] = sport >> 8, f[35] = sport;
    f[36] = dport >> 8, f[37] = dport;
    f[46] = 5 << 4;
    return 54;
}

static void test_rss_hash(void)
{
    /* "Verifying the RSS Hash Calculation": destination, source, the hash
     * of the addresses alone and with the TCP ports. */
    static const struct {
        const char *dst;
        unsigned dport;
        const char *src;
        unsigned sport;
        uint32_t ip, tcp;
    } v[] = {
        { "161.142.100.80", 1766, "66.9.149.187", 2794,
          0x323e8fc2, 0x51ccc178 },
        { "65.69.140.83", 4739, "199.92.111.2", 14230,
          0xd718262a, 0xc626b0ea },
        { "12.22.207.184", 38024, "24.19.198.95", 12898,
          0xd2d0a5de, 0x5c2b394a },
        { "209.142.163.6", 2217, "38.27.205.30", 48228,
          0x82989176, 0xafc7327f },
        { "202.188.127.2", 1303, "153.39.163.191", 44251,
          0x5d1809c5, 0x10e828a2 },
    };
    uint8_t f[64];
    for (unsigned i = 0; i < G_N_ELEMENTS(v); i++) {
        size_t len = frame4(f, v[i].src, v[i].sport, v[i].dst, v[i].dport, 6);
        g_assert_cmphex(virtio_net_flow_hash(f, len), ==, v[i].tcp);
        /* not TCP or UDP: the addresses only */
        frame4(f, v[i].src, v[i].sport, v[i].dst, v[i].dport, 1);
        g_assert_cmphex(virtio_net_flow_hash(f, len), ==, v[i].ip);
    }
    /* not IP, or cut short: 0 */
    f[12] = 0x08, f[13] = 0x06;
    g_assert_cmphex(virtio_net_flow_hash(f, 60), ==, 0);
    g_assert_cmphex(virtio_net_flow_hash(f, 10), ==, 0);
}

static unsigned outs;

static bool count_out(void *opaque, const uint8_t *frame, size_t len)
{
    outs++;
    return true;
}

static bool offload(const VirtioNetHdr *h, uint8_t *f, size_t len,
                    const char *want)
{
    Error *err = NULL;
    outs = 0;
    bool ok = virtio_net_tx_offload(h, f, len, true, true, true, count_out,
                                    NULL, &err);
    if (!ok) {
        g_test_message("%s", error_get_pretty(err));
        g_assert_nonnull(strstr(error_get_pretty(err), want));
        g_assert_cmpuint(outs, ==, 0);
        error_free(err);
    }
    return ok;
}

static void test_bad_headers(void)
{
    uint8_t f[2000];
    size_t len = frame4(f, "10.0.0.1", 1, "10.0.0.2", 2, 6) + 1000;
    VirtioNetHdr csum = { .flags = VIRTIO_NET_HDR_F_NEEDS_CSUM,
                          .csum_start = 34, .csum_offset = 16 };
    g_assert_true(offload(&csum, f, len, NULL));
    g_assert_cmpuint(outs, ==, 1);
    csum.csum_start = len - 1;
    g_assert_false(offload(&csum, f, len, "past the end"));
    csum.csum_start = 0xffff, csum.csum_offset = 0xffff;
    g_assert_false(offload(&csum, f, len, "past the end"));

    VirtioNetHdr tso = { .flags = VIRTIO_NET_HDR_F_NEEDS_CSUM,
                         .gso_type = VIRTIO_NET_HDR_GSO_TCPV4,
                         .gso_size = 100, .csum_start = 34,
                         .csum_offset = 16 };
    g_assert_true(offload(&tso, f, len, NULL));
    g_assert_cmpuint(outs, ==, 10);
    tso.gso_size = 4;
    g_assert_false(offload(&tso, f, len, "at least 8"));
    tso.gso_size = 100;
    tso.gso_type = VIRTIO_NET_HDR_GSO_TCPV6;
    g_assert_false(offload(&tso, f, len, "does not match"));
    tso.gso_type = VIRTIO_NET_HDR_GSO_UDP;
    g_assert_false(offload(&tso, f, len, "did not negotiate"));
    tso.gso_type = VIRTIO_NET_HDR_GSO_TCPV4;
    f[23] = 17;                                 /* UDP under a TSO header */
    g_assert_false(offload(&tso, f, len, "not Ethernet"));
    f[23] = 6;
    f[46] = 15 << 4;                            /* TCP header past the end */
    g_assert_false(offload(&tso, f, 60, "not Ethernet"));
    f[46] = 5 << 4;
    f[14] = 0x41;                               /* IHL 4: too short */
    g_assert_false(offload(&tso, f, len, "not Ethernet"));
    g_assert_false(offload(&tso, f, 20, "not Ethernet"));
}

/* Random headers over random mutations of a good frame: every result is
 * an error, or frames no longer than the headers plus an MSS whose bytes
 * add up to the input's (each segment repeats the headers). */
static size_t out_bytes, out_max;

static bool sum_out(void *opaque, const uint8_t *frame, size_t len)
{
    outs++;
    out_bytes += len;
    out_max = MAX(out_max, len);
    return true;
}

static void test_random_headers(void)
{
    GRand *r = g_rand_new_with_seed(18);
    static uint8_t f[65536];
    for (unsigned iter = 0; iter < 3000; iter++) {
        size_t len = frame4(f, "10.0.0.1", 1, "10.0.0.2", 2, 6);
        len += g_rand_int_range(r, 0, 65536 - 54);
        for (unsigned k = g_rand_int_range(r, 0, 4); k; k--) {
            f[g_rand_int_range(r, 0, 60)] = g_rand_int(r);
        }
        if (g_rand_boolean(r)) {
            len = g_rand_int_range(r, 0, 80);
        }
        VirtioNetHdr h = {
            .flags = g_rand_int_range(r, 0, 4),
            .gso_type = (uint8_t[]){ 0, 1, 3, 4, 0x81 }[g_rand_int_range(r,
                                                                    0, 5)],
            .gso_size = g_rand_int_range(r, 0, 3000),
            .csum_start = g_rand_int_range(r, 0, 100),
            .csum_offset = g_rand_int_range(r, 0, 40),
        };
        Error *err = NULL;
        outs = out_bytes = out_max = 0;
        size_t hlen = 14 + (f[14] & 15) * 4 + (f[46] >> 4) * 4;
        if (virtio_net_tx_offload(&h, f, len, true, true, true, sum_out,
                                  NULL, &err)) {
            g_assert_cmpuint(outs, >=, 1);
            if (h.gso_type & 0x7f) {
                g_assert_cmpuint(out_max, <=, hlen + h.gso_size);
                g_assert_cmpuint(out_bytes - (outs - 1) * hlen, ==, len);
            } else {
                g_assert_cmpuint(out_bytes, ==, len);
            }
        } else {
            g_assert_cmpuint(outs, ==, 0);
            error_free(err);
        }
        virtio_net_flow_hash(f, len);
    }
    g_rand_free(r);
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    g_test_add_func("/virtio-net-offload/rss-hash-verification-table",
                    test_rss_hash);
    g_test_add_func("/virtio-net-offload/bad-headers-refused",
                    test_bad_headers);
    g_test_add_func("/virtio-net-offload/random-headers", test_random_headers);
    return g_test_run();
}
