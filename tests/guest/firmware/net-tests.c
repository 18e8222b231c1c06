/* net-tests.c - PCI and virtio-net tests of vmu's test firmware:
 * pci, net-probe, net-tx, net-echo, net-rx (see README.md). */
#include "virtio.h"

int test_pci(void)
{
    int n = pci_scan();

    for (int i = 0; i < n; i++) {
        const struct pci_dev *d = pci_get(i);
        printf("vmu-fw: pci %02x:%02x.%u %04x:%04x class %06x\n", d->bus, d->slot,
               d->fn, d->vendor, d->device, d->class_rev >> 8);
    }
    printf("vmu-fw: pci %d functions via %s\n", n, pci_mech_name());
    if (!strcmp(pci_mech_name(), "none")) {
        return FW_EXIT_NODEV;               /* no configuration mechanism */
    }
    return n >= 1 ? FW_EXIT_PASS : FW_EXIT_FAIL;
}

/* ---- virtio-net tests ---- */

typedef uint64_t u64_una __attribute__((aligned(1), may_alias));
typedef uint32_t u32_una __attribute__((aligned(1), may_alias));

#define PAYLOAD_SEQ     ETH_HLEN            /* le32 sequence number */
#define PAYLOAD_PAT     (ETH_HLEN + 4)      /* 64-bit pattern words */
#define ECHO_WINDOW     32                  /* default frames in flight */

static const uint8_t bcast[6] = { 0xff, 0xff, 0xff, 0xff, 0xff, 0xff };

static uint64_t pattern(uint32_t seq, uint32_t k)
{
    return ((uint64_t)seq * 0x9e3779b97f4a7c15ull) ^
           ((uint64_t)(k + 1) * 0xff51afd7ed558ccdull);
}

static int hexdigit(char c)
{
    if (c >= '0' && c <= '9') {
        return c - '0';
    }
    if (c >= 'a' && c <= 'f') {
        return c - 'a' + 10;
    }
    if (c >= 'A' && c <= 'F') {
        return c - 'A' + 10;
    }
    return -1;
}

/* peer=xx:xx:xx:xx:xx:xx, default broadcast */
static bool peer_mac(uint8_t mac[6])
{
    const char *s;
    int len = cmdline_get("peer", &s);

    memcpy(mac, bcast, 6);
    if (len < 0) {
        return true;
    }
    if (len != 17) {
        return false;
    }
    for (unsigned i = 0; i < 6; i++) {
        int hi = hexdigit(s[3 * i]), lo = hexdigit(s[3 * i + 1]);
        if (hi < 0 || lo < 0 || (i < 5 && s[3 * i + 2] != ':')) {
            return false;
        }
        mac[i] = (uint8_t)(hi << 4 | lo);
    }
    return true;
}

static bool mac_eq(const uint8_t *a, const uint8_t *b)
{
    return *(const u32_una *)a == *(const u32_una *)b && a[4] == b[4] && a[5] == b[5];
}

/* Header (zeroed) + frame of 'size' bytes into TX buffer 'buf'. Pattern
 * words may run up to 7 bytes past the frame, still inside the buffer. */
static void frame_build(uint8_t *buf, const uint8_t *dst, const uint8_t *src,
                        uint32_t seq, uint32_t size)
{
    uint8_t *f = buf + VNET_HDR_LEN;

    *(u64_una *)buf = 0;
    *(u32_una *)(buf + 8) = 0;
    memcpy(f, dst, 6);
    memcpy(f + 6, src, 6);
    f[12] = ETH_TYPE_TEST >> 8;
    f[13] = ETH_TYPE_TEST & 0xff;
    *(u32_una *)(f + PAYLOAD_SEQ) = seq;
    for (uint32_t k = 0; PAYLOAD_PAT + 8 * k < size; k++) {
        *(u64_una *)(f + PAYLOAD_PAT + 8 * k) = pattern(seq, k);
    }
}

/* NULL if the frame is the expected echo, else what is wrong. */
static const char *frame_check(const uint8_t *f, uint32_t len, uint32_t seq,
                               uint32_t size, const uint8_t *dst, const uint8_t *me)
{
    if (len != size) {
        return "length";
    }
    if (*(const u32_una *)(f + PAYLOAD_SEQ) != seq) {
        return "sequence";
    }
    if (!(mac_eq(f, dst) && mac_eq(f + 6, me)) && !(mac_eq(f, me) && mac_eq(f + 6, dst))) {
        return "MAC addresses";
    }
    uint32_t k = 0;
    for (; PAYLOAD_PAT + 8 * k + 8 <= size; k++) {
        if (*(const u64_una *)(f + PAYLOAD_PAT + 8 * k) != pattern(seq, k)) {
            return "payload";
        }
    }
    uint64_t p = pattern(seq, k);
    for (uint32_t off = PAYLOAD_PAT + 8 * k; off < size; off++, p >>= 8) {
        if (f[off] != (uint8_t)p) {
            return "payload tail";
        }
    }
    return 0;
}

static bool is_test_frame(const uint8_t *f, uint32_t len)
{
    return len >= ETH_MIN && f[12] == ETH_TYPE_TEST >> 8 && f[13] == (ETH_TYPE_TEST & 0xff);
}

static bool get_size(uint32_t *size)
{
    uint64_t s = cmdline_u64("size", ETH_MIN);

    if (s < ETH_MIN || s > ETH_MAX) {
        printf("vmu-fw: net size must be %u..%u\n", ETH_MIN, ETH_MAX);
        return false;
    }
    *size = (uint32_t)s;
    return true;
}

static struct vnet net;

int test_net_probe(void)
{
    return vnet_open(&net);
}

static uint64_t tsc0;

static void print_time(const char *what, uint32_t frames)
{
    uint64_t c = rdtsc() - tsc0;
    printf("vmu-fw: net %s %lu kcycles, %lu cycles/frame\n", what, c / 1000,
           frames ? c / frames : 0);
}

/* irq mode: at least one interrupt must have arrived on the vector(s) */
static bool irqs_ok(uint32_t got)
{
    return net.vp.irq == IRQ_POLL || got > 0;
}

int test_net_tx(void)
{
    uint64_t count = cmdline_u64("count", 10);
    uint32_t size, sent = 0, done = 0;
    uint8_t dst[6];
    int r;

    if (!get_size(&size) || !peer_mac(dst)) {
        return FW_EXIT_FAIL;
    }
    if ((r = vnet_open(&net)) != FW_EXIT_PASS) {
        return r;
    }
    tsc0 = rdtsc();
    while (done < count) {
        uint32_t posted = 0;
        uint16_t id;
        done += vnet_tx_reap(&net);
        while (sent < count && net.tx.nfree) {
            frame_build(vnet_tx_buf(net.tx.free_ids[net.tx.nfree - 1]), dst, net.mac,
                        sent, size);
            vnet_tx_post(&net, size, &id);
            sent++;
            posted++;
        }
        if (posted) {
            vnet_tx_kick(&net);
        }
        if (done < count && !vq_has_used(&net.tx) && !vnet_wait(&net, false, true)) {
            break;
        }
    }
    print_time("tx", done);
    uint32_t irqs = net.vp.irq == IRQ_INTX ? irq_count(VEC_NET_INTX) : vnet_irqs_tx();
    printf("vmu-fw: net tx %u frames, %u interrupts\n", done, irqs);
    if (done < count) {
        printf("vmu-fw: net tx timeout, %u of %lu sent, kicks %u\n", done, count,
               net.tx.kicks);
        return FW_EXIT_FAIL;
    }
    return irqs_ok(irqs) ? FW_EXIT_PASS : FW_EXIT_FAIL;
}

int test_net_echo(void)
{
    uint64_t count = cmdline_u64("count", 10);
    uint64_t window = cmdline_u64("window", ECHO_WINDOW);
    uint32_t size, sent = 0, got = 0, other = 0;
    const char *bad = 0;
    uint8_t dst[6];
    int r;

    if (!get_size(&size) || !peer_mac(dst)) {
        return FW_EXIT_FAIL;
    }
    if ((r = vnet_open(&net)) != FW_EXIT_PASS) {
        return r;
    }
    /* in flight: bounded by both rings */
    if (window > net.tx.size) {
        window = net.tx.size;
    }
    if (window > net.rx.size) {
        window = net.rx.size;
    }
    if (window == 0) {
        window = 1;
    }
    tsc0 = rdtsc();
    while (got < count && !bad) {
        uint32_t posted = 0, recycled = 0;
        uint16_t id;
        uint32_t len;
        uint8_t *f;

        vnet_tx_reap(&net);
        while (sent < count && sent - got < window && net.tx.nfree) {
            frame_build(vnet_tx_buf(net.tx.free_ids[net.tx.nfree - 1]), dst, net.mac,
                        sent, size);
            vnet_tx_post(&net, size, &id);
            sent++;
            posted++;
        }
        if (posted) {
            vnet_tx_kick(&net);
        }
        while (!bad && (f = vnet_rx_get(&net, &id, &len))) {
            if (!is_test_frame(f, len)) {
                other++;                /* not ours (e.g. an announcement) */
            } else if ((bad = frame_check(f, len, got, size, dst, net.mac)) == 0) {
                got++;
            } else {
                printf("vmu-fw: net echo frame %u: bad %s (len %u, seq %u)\n", got, bad,
                       len, *(const u32_una *)(f + PAYLOAD_SEQ));
            }
            vnet_rx_recycle(&net, id);
            recycled++;
        }
        if (recycled) {
            vnet_rx_kick(&net);
        }
        if (!bad && got < count && !vq_has_used(&net.rx) &&
            !vnet_wait(&net, true, sent < count)) {
            break;
        }
    }
    print_time("echo", got);
    printf("vmu-fw: net echo %u/%lu ok, rx irqs %u, tx irqs %u\n", got, count,
           vnet_irqs_rx(), vnet_irqs_tx());
    if (other) {
        printf("vmu-fw: net echo ignored %u other frames\n", other);
    }
    if (got < count) {
        if (!bad) {
            printf("vmu-fw: net echo timeout: sent %u, tx kicks %u, rx kicks %u\n", sent,
                   net.tx.kicks, net.rx.kicks);
        }
        return FW_EXIT_FAIL;
    }
    return irqs_ok(vnet_irqs_rx()) ? FW_EXIT_PASS : FW_EXIT_FAIL;
}

int test_net_rx(void)
{
    uint64_t count = cmdline_u64("count", 1);
    uint32_t got = 0, last = 0;
    int r;

    if ((r = vnet_open(&net)) != FW_EXIT_PASS) {
        return r;
    }
    tsc0 = rdtsc();
    while (got < count) {
        uint16_t id;
        uint32_t len, recycled = 0;
        while (got < count && vnet_rx_get(&net, &id, &len)) {
            got++;
            last = len;
            vnet_rx_recycle(&net, id);
            recycled++;
        }
        if (recycled) {
            vnet_rx_kick(&net);
        }
        if (got < count && !vq_has_used(&net.rx) && !vnet_wait(&net, true, false)) {
            break;
        }
    }
    print_time("rx", got);
    printf("vmu-fw: net rx %u frames, last len %u, rx irqs %u\n", got, last,
           vnet_irqs_rx());
    return got >= count ? FW_EXIT_PASS : FW_EXIT_FAIL;
}
