/*
 * The virtio 1.x PCI transport (modern only): vendor capabilities for the
 * common, notify, ISR and device configuration in BAR 4, MSI-X in BAR 1,
 * and the PCI configuration access window onto any BAR.
 */
#ifndef VMU_HW_VIRTIO_VIRTIO_PCI_H
#define VMU_HW_VIRTIO_VIRTIO_PCI_H

#include "hw/pci/pci.h"
#include "hw/virtio/virtio.h"
#include "system/accel.h"
#include "util/opts.h"

#define VIRTIO_PCI_VENDOR_ID        0x1af4
#define VIRTIO_PCI_NOTIFY_MULT      4
#define VIRTIO_PCI_MSIX_BAR         1
#define VIRTIO_PCI_MODERN_BAR       4
#define VIRTIO_PCI_COMMON_OFF       0x0000
#define VIRTIO_PCI_ISR_OFF          0x1000
#define VIRTIO_PCI_DEVICE_OFF       0x2000
#define VIRTIO_PCI_NOTIFY_OFF       0x3000
#define VIRTIO_PCI_BAR_SIZE         0x4000

typedef struct VirtIOPCIProxy VirtIOPCIProxy;

typedef struct VirtIOPCIQueue {
    VirtIOPCIProxy *proxy;
    unsigned index;
    int irqfd;                  /* accel route handle, or -1 */
    MSIMessage msg;
    guint watch;                /* vmu reads the guest notifier itself */
    uint64_t ioeventfd_addr;    /* registered at, or 0 */
} VirtIOPCIQueue;

struct VirtIOPCIProxy {
    PCIDevice pci;
    VirtIODevice *vdev;
    unsigned nvectors;          /* 0: INTx only */
    uint32_t dfselect, gfselect;
    uint16_t queue_select;
    uint32_t notify_mult;       /* bytes between queues' notify addresses */
    uint8_t pci_cfg_cap;        /* offset of the PCI_CFG window capability */
    VirtIOPCIQueue *q;
};

/*
 * Put vdev on bus 0 (devfn < 0: first free slot) with nvectors MSI-X;
 * page_per_vq gives every queue's notify address a page of its own.
 */
bool virtio_pci_realize(VirtIOPCIProxy *p, VirtIODevice *vdev, int devfn,
                        unsigned nvectors, uint32_t class_code,
                        bool page_per_vq, Error **errp);

/*
 * hw/virtio/virtio-pci-opts.c: the options of every virtio-pci device
 * (VIRTIO_PCI_OPT_DESCS in its OptDesc table), checked in phase 1 (dev
 * names the device in errors); the devfn addr= asks for, or -1.
 */
#define VIRTIO_PCI_OPT_DESCS                                                \
    { "vectors", OPT_NUMBER, "MSI-X vectors, 0 (INTx only) to 128" },      \
    { "disable-legacy", OPT_STRING, "on (modern only)" },                  \
    { "disable-modern", OPT_BOOL, "off" },                                 \
    { "addr", OPT_STRING, "PCI slot[.function], e.g. 0x3 or 03.0" },       \
    { "bus", OPT_STRING, "pci.0" },                                        \
    { "page-per-vq", OPT_BOOL, "each queue's notify address on its own "   \
      "page" },                                                            \
    { "rombar", OPT_NUMBER, "accepted and ignored (no option ROM)" },      \
    { "romfile", OPT_STRING, "accepted and ignored (no option ROM)" },
bool virtio_pci_parse_addr(const char *s, int *devfn);
bool virtio_pci_opts_check(const Opts *o, const char *dev, Error **errp);
int virtio_pci_opts_devfn(const Opts *o);

#endif
