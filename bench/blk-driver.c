/*
 * The guest side of the block benchmark: a qtest virtio-blk driver that
 * keeps QD requests of BS bytes in flight on one queue for SECONDS and
 * counts what completes, the same compiled steps under vmu or QEMU
 * (QTEST_QEMU_BINARY).  Every slot's descriptor chain (header, data,
 * status) is written once; a request costs the header, its avail entry
 * (batched), the index and the kick; completions are read from the used
 * ring in bulk.  Usage:
 *   blk-driver "VMM ARGS" read|write rand|seq BS QD SECONDS
 * prints one line: ios=N ns=N vmm_cpu_ticks=N ticks_per_s=N bad_status=N
 */
#include <dirent.h>
#include <glib.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "libqos.h"
#include "libqtest.h"

#define VIRTIO_ID_BLK       2
#define QSIZE               256
#define MAX_QD              64

static long long now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

/* The VMM is this process's only child. */
static int vmm_pid(void)
{
    DIR *d = opendir("/proc");
    struct dirent *e;
    int found = -1;
    while (d && (e = readdir(d))) {
        char path[300], buf[512];
        snprintf(path, sizeof(path), "/proc/%s/stat", e->d_name);
        FILE *f = fopen(path, "r");
        if (!f) {
            continue;
        }
        if (fgets(buf, sizeof(buf), f)) {
            char *p = strrchr(buf, ')');
            int ppid;
            if (p && sscanf(p + 2, "%*c %d", &ppid) == 1 &&
                ppid == getpid()) {
                found = atoi(e->d_name);
            }
        }
        fclose(f);
    }
    if (d) {
        closedir(d);
    }
    return found;
}

/* utime + stime of every thread of pid, in clock ticks. */
static long long cpu_ticks(int pid)
{
    char path[64], buf[1024];
    snprintf(path, sizeof(path), "/proc/%d/stat", pid);
    FILE *f = fopen(path, "r");
    long long ut = 0, st = 0;
    if (f && fgets(buf, sizeof(buf), f)) {
        char *p = strrchr(buf, ')');
        if (p) {
            sscanf(p + 2, "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u "
                   "%lld %lld", &ut, &st);
        }
    }
    if (f) {
        fclose(f);
    }
    return ut + st;
}

typedef struct Bench {
    QTestState *s;
    QVirtioPCI dev;
    QVirtQueue *vq;
    bool write, rand;
    uint64_t bs, qd, span;      /* span: blocks of bs on the disk */
    uint64_t hdr, data, status;
    uint64_t next_block, lcg;
} Bench;

static uint64_t next_sector(Bench *b)
{
    uint64_t blk;
    if (b->rand) {
        b->lcg = b->lcg * 6364136223846793005ULL + 1442695040888963407ULL;
        blk = (b->lcg >> 17) % b->span;
    } else {
        blk = b->next_block++ % b->span;
    }
    return blk * (b->bs / 512);
}

/* Header of slot i for its next request. */
static void write_header(Bench *b, unsigned i)
{
    uint8_t hdr[16] = { 0 };
    uint32_t type = b->write ? 1 : 0;
    uint64_t sector = next_sector(b);
    memcpy(hdr, &type, 4);
    memcpy(hdr + 8, &sector, 8);
    qtest_memwrite(b->s, b->hdr + 16 * i, hdr, 16);
}

/* Publish heads of these slots in one go, then the index and the kick. */
static void publish(Bench *b, const unsigned *slots, unsigned n)
{
    QVirtQueue *vq = b->vq;
    uint16_t ring[MAX_QD];
    unsigned done = 0;
    while (done < n) {
        unsigned at = vq->avail_idx % vq->size;
        unsigned k = MIN(n - done, vq->size - at);
        for (unsigned j = 0; j < k; j++) {
            ring[j] = 3 * slots[done + j];
        }
        qtest_memwrite(b->s, vq->avail + 4 + 2 * at, ring, 2 * k);
        vq->avail_idx += k;
        done += k;
    }
    qtest_writew(b->s, vq->avail + 2, vq->avail_idx);
    qvirtqueue_kick(vq);
}

static void setup_chains(Bench *b)
{
    uint8_t table[MAX_QD * 48];
    for (unsigned i = 0; i < b->qd; i++) {
        struct { uint64_t a; uint32_t l; uint16_t f, n; } d[3] = {
            { b->hdr + 16 * i, 16, VRING_DESC_F_NEXT, 3 * i + 1 },
            { b->data + b->bs * i, b->bs,
              VRING_DESC_F_NEXT | (b->write ? 0 : VRING_DESC_F_WRITE),
              3 * i + 2 },
            { b->status + i, 1, VRING_DESC_F_WRITE, 0 },
        };
        memcpy(table + 48 * i, d, 48);
    }
    qtest_memwrite(b->s, b->vq->desc, table, 48 * b->qd);
}

int main(int argc, char **argv)
{
    if (argc != 7) {
        fprintf(stderr, "usage: blk-driver \"VMM ARGS\" read|write rand|seq "
                "BS QD SECONDS\n");
        return 2;
    }
    Bench b = { .write = !strcmp(argv[2], "write"),
                .rand = !strcmp(argv[3], "rand"),
                .bs = strtoull(argv[4], NULL, 0),
                .qd = strtoull(argv[5], NULL, 0), .lcg = 12345 };
    double seconds = atof(argv[6]);
    if (b.qd < 1 || b.qd > MAX_QD || b.bs < 512 || b.bs % 512) {
        fprintf(stderr, "blk-driver: QD 1 to %d, BS a multiple of 512\n",
                MAX_QD);
        return 2;
    }
    b.s = qtest_init(argv[1]);
    int pid = vmm_pid();
    if (!qvirtio_pci_probe(b.s, VIRTIO_ID_BLK, &b.dev)) {
        fprintf(stderr, "blk-driver: no virtio-blk-pci found\n");
        return 1;
    }
    /* What Linux takes: FLUSH and CONFIG_WCE keep the write cache on. */
    uint64_t want = 1ULL << VIRTIO_F_VERSION_1 | 1ULL << 9 | 1ULL << 11;
    if (!qvirtio_negotiate(&b.dev, want & qvirtio_get_features(&b.dev))) {
        fprintf(stderr, "blk-driver: FEATURES_OK refused\n");
        return 1;
    }
    uint64_t cap = qvirtio_config_readl(&b.dev, 0) |
                   (uint64_t)qvirtio_config_readl(&b.dev, 4) << 32;
    b.span = cap * 512 / b.bs;
    if (!b.span) {
        fprintf(stderr, "blk-driver: the disk is smaller than BS\n");
        return 1;
    }
    b.vq = qvirtqueue_setup(&b.dev, 0, QSIZE, VIRTIO_MSI_NO_VECTOR);
    b.hdr = guest_alloc(&b.dev.alloc, 16 * b.qd, 16);
    b.status = guest_alloc(&b.dev.alloc, b.qd, 1);
    b.data = guest_alloc(&b.dev.alloc, b.bs * b.qd, 4096);
    qvirtio_set_status(&b.dev, qvirtio_get_status(&b.dev) |
                       VIRTIO_STATUS_DRIVER_OK);
    setup_chains(&b);

    unsigned slots[MAX_QD];
    for (unsigned i = 0; i < b.qd; i++) {
        write_header(&b, i);
        slots[i] = i;
    }
    long long t0 = now_ns(), c0 = pid > 0 ? cpu_ticks(pid) : 0;
    long long end = t0 + (long long)(seconds * 1e9);
    publish(&b, slots, b.qd);
    uint64_t ios = 0, inflight = b.qd;
    uint16_t last_used = 0;
    while (inflight) {
        uint16_t used = qtest_readw(b.s, b.vq->used + 2);
        unsigned n = (uint16_t)(used - last_used);
        if (!n) {
            continue;
        }
        uint32_t ent[2 * MAX_QD];
        unsigned at = last_used % QSIZE, k = MIN(n, QSIZE - at);
        qtest_memread(b.s, b.vq->used + 4 + 8 * at, ent, 8 * k);
        if (k < n) {
            qtest_memread(b.s, b.vq->used + 4, ent + 2 * k, 8 * (n - k));
        }
        last_used = used;
        ios += n;
        inflight -= n;
        bool more = now_ns() < end;
        unsigned again = 0;
        for (unsigned j = 0; more && j < n; j++) {
            unsigned slot = ent[2 * j] / 3;
            write_header(&b, slot);
            slots[again++] = slot;
        }
        if (again) {
            publish(&b, slots, again);
            inflight += again;
        }
    }
    long long t1 = now_ns(), c1 = pid > 0 ? cpu_ticks(pid) : 0;
    uint8_t st[MAX_QD];
    unsigned bad = 0;
    qtest_memread(b.s, b.status, st, b.qd);
    for (unsigned i = 0; i < b.qd; i++) {
        bad += st[i] != 0;
    }
    printf("ios=%llu ns=%lld vmm_cpu_ticks=%lld ticks_per_s=%ld "
           "bad_status=%u\n", (unsigned long long)ios, t1 - t0, c1 - c0,
           sysconf(_SC_CLK_TCK), bad);
    fflush(stdout);
    qtest_quit(b.s);
    return 0;
}
