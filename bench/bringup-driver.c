/*
 * The qtest sequence of the bring-up benchmark: the same guest driver
 * steps for vmu and for QEMU (QTEST_QEMU_BINARY), timestamped with
 * CLOCK_MONOTONIC so the benchmark can line them up with the back-end's
 * log.  Usage: bringup-driver "EXTRA VMM ARGS"; prints one line
 *   t_exec=NS t_ready=NS t_driver_ok=NS t_driver_ok_done=NS
 * then waits for a line on stdin before it ends the VMM.
 */
#include <glib.h>
#include <stdio.h>
#include <time.h>

#include "libqos.h"
#include "libqtest.h"

#define VIRTIO_ID_NET       1
#define VIRTIO_NET_F_MAC    5
#define VIRTIO_NET_F_STATUS 16

static long long now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

int main(int argc, char **argv)
{
    if (argc != 2) {
        fprintf(stderr, "usage: bringup-driver \"EXTRA VMM ARGS\"\n");
        return 2;
    }
    long long t_exec = now_ns();
    QTestState *s = qtest_init(argv[1]);
    long long t_ready = now_ns();

    QVirtioPCI dev;
    if (!qvirtio_pci_probe(s, VIRTIO_ID_NET, &dev)) {
        fprintf(stderr, "bringup-driver: no virtio-net-pci found\n");
        return 1;
    }
    uint64_t want = (1ULL << VIRTIO_F_VERSION_1) |
                    (1ULL << VIRTIO_NET_F_MAC) | (1ULL << VIRTIO_NET_F_STATUS);
    if (!qvirtio_negotiate(&dev, want & qvirtio_get_features(&dev))) {
        fprintf(stderr, "bringup-driver: FEATURES_OK refused\n");
        return 1;
    }
    /* INTx: QEMU 7.2's vhost-user + MSI-X path crashes under TCG. */
    qvirtqueue_setup(&dev, 0, 256, VIRTIO_MSI_NO_VECTOR);
    qvirtqueue_setup(&dev, 1, 256, VIRTIO_MSI_NO_VECTOR);
    long long t_driver_ok = now_ns();
    qvirtio_set_status(&dev, qvirtio_get_status(&dev) |
                       VIRTIO_STATUS_DRIVER_OK);
    /* A read after the write: the VMM has handled DRIVER_OK. */
    uint8_t status = qvirtio_get_status(&dev);
    long long t_done = now_ns();
    printf("t_exec=%lld t_ready=%lld t_driver_ok=%lld t_driver_ok_done=%lld "
           "status=0x%x\n", t_exec, t_ready, t_driver_ok, t_done, status);
    fflush(stdout);

    char line[64];
    if (!fgets(line, sizeof(line), stdin)) {
        line[0] = 0;
    }
    qtest_quit(s);
    return 0;
}
