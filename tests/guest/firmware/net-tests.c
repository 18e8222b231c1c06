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
#define PAYLOAD_PAT     (ETH_HLEN + 4)      /* pattern bytes */
#define PAT_SHIFTS      256                 /* pattern start depends on seq */
#define ECHO_WINDOW     32                  /* default frames in flight */

static const uint8_t bcast[6] = { 0xff, 0xff, 0xff, 0xff, 0xff, 0xff };

/* Guest code runs at roughly 10^5..10^6 instructions/s on kvm-pvm, so frame
 * contents are copied and compared with string instructions (one emulated
 * instruction per frame instead of one loop per word). The payload of frame
 * 'seq' is the template starting at byte (seq % 256): every frame differs
 * from its neighbours, and a shifted, truncated or mixed-up frame fails. */
static uint8_t pat_template[ETH_MAX + PAT_SHIFTS + 8] __attribute__((aligned(8)));
static bool pat_ready;

static void pattern_init(void)
{
    uint64_t x = 0x9e3779b97f4a7c15ull;

    if (pat_ready) {
        return;
    }
    for (unsigned i = 0; i < sizeof(pat_template) / 8; i++) {
        x ^= x << 13;                           /* xorshift64 */
        x ^= x >> 7;
        x ^= x << 17;
        *(u64_una *)(pat_template + 8 * i) = x;
    }
    pat_ready = true;
}

static const uint8_t *pattern(uint32_t seq)
{
    return pat_template + (seq % PAT_SHIFTS);
}

static void copy_fast(void *d, const void *s, uint64_t n)
{
    uint64_t q = n / 8, r = n % 8;
    __asm__ volatile("rep movsq" : "+D"(d), "+S"(s), "+c"(q) : : "memory");
    __asm__ volatile("rep movsb" : "+D"(d), "+S"(s), "+c"(r) : : "memory");
}

static bool equal_fast(const void *a, const void *b, uint64_t n)
{
    uint64_t q = n / 8, r = n % 8;
    uint8_t ne = 0;

    if (q) {
        __asm__ volatile("repe cmpsq; setne %3"
                         : "+D"(a), "+S"(b), "+c"(q), "=r"(ne) : : "memory", "cc");
    }
    if (!ne && r) {
        __asm__ volatile("repe cmpsb; setne %3"
                         : "+D"(a), "+S"(b), "+c"(r), "=r"(ne) : : "memory", "cc");
    }
    return !ne;
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
        printf("vmu-fw: bad peer= MAC\n");
        return false;
    }
    for (unsigned i = 0; i < 6; i++) {
        int hi = hexdigit(s[3 * i]), lo = hexdigit(s[3 * i + 1]);
        if (hi < 0 || lo < 0 || (i < 5 && s[3 * i + 2] != ':')) {
            printf("vmu-fw: bad peer= MAC\n");
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

/* Ethernet header of the test frames: dst, src, ethertype (+2 spare). */
static uint8_t eth_hdr[16] __attribute__((aligned(8)));

static void eth_hdr_init(const uint8_t *dst, const uint8_t *src)
{
    memcpy(eth_hdr, dst, 6);
    memcpy(eth_hdr + 6, src, 6);
    eth_hdr[12] = ETH_TYPE_TEST >> 8;
    eth_hdr[13] = ETH_TYPE_TEST & 0xff;
}

/* Header (zeroed) + frame of 'size' bytes into TX buffer 'buf'. */
static void frame_build(uint8_t *buf, uint32_t seq, uint32_t size)
{
    uint8_t *f = buf + VNET_HDR_LEN;

    *(u64_una *)buf = 0;
    *(u32_una *)(buf + 8) = 0;
    *(u64_una *)f = *(const uint64_t *)eth_hdr;
    *(u32_una *)(f + 8) = *(const uint32_t *)(eth_hdr + 8);
    *(uint16_t *)(f + 12) = *(const uint16_t *)(eth_hdr + 12);
    *(u32_una *)(f + PAYLOAD_SEQ) = seq;
    copy_fast(f + PAYLOAD_PAT, pattern(seq), size - PAYLOAD_PAT);
}

static bool verify_payload = true;

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
    if (verify_payload && !equal_fast(f + PAYLOAD_PAT, pattern(seq), size - PAYLOAD_PAT)) {
        return "payload";
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
    printf("vmu-fw: net %s %lu kcycles, %lu cycles/frame, kicks tx %u rx %u\n", what,
           c / 1000, frames ? c / frames : 0, net.tx.kicks, net.rx.kicks);
}

/* irq mode: at least one interrupt must have arrived on the vector(s) */
static bool irqs_ok(uint32_t got)
{
    if (net.vp.irq == IRQ_POLL || got > 0) {
        return true;
    }
    printf("vmu-fw: net no interrupts received\n");
    return false;
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
    pattern_init();
    verify_payload = cmdline_u64("verify", 1) != 0;
    if ((r = vnet_open(&net)) != FW_EXIT_PASS) {
        return r;
    }
    eth_hdr_init(dst, net.mac);
    tsc0 = rdtsc();
    while (done < count) {
        uint32_t posted = 0;
        uint16_t id;
        done += vnet_tx_reap(&net);
        while (sent < count && net.tx.nfree) {
            frame_build(vnet_tx_buf(net.tx.free_ids[net.tx.nfree - 1]), sent, size);
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
    uint32_t size, sent = 0, got = 0, other = 0, swapped = 0;
    const char *bad = 0;
    uint8_t dst[6];
    int r;

    if (!get_size(&size) || !peer_mac(dst)) {
        return FW_EXIT_FAIL;
    }
    pattern_init();
    verify_payload = cmdline_u64("verify", 1) != 0;
    if ((r = vnet_open(&net)) != FW_EXIT_PASS) {
        return r;
    }
    eth_hdr_init(dst, net.mac);
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
            frame_build(vnet_tx_buf(net.tx.free_ids[net.tx.nfree - 1]), sent, size);
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
                swapped += mac_eq(f, net.mac) && !mac_eq(f, dst);
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
        if (!bad && got < count && !posted && !recycled && !vq_has_used(&net.rx) &&
            !vnet_wait(&net, true, sent < count)) {
            break;
        }
    }
    print_time("echo", got);
    printf("vmu-fw: net echo %u/%lu ok, rx irqs %u, tx irqs %u\n", got, count,
           vnet_irqs_rx(), vnet_irqs_tx());
    printf("vmu-fw: net echo MACs swapped in %u, other frames %u\n", swapped, other);
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
