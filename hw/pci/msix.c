/*
 * MSI-X: a vector fires as a write of its message, or, while it is masked
 * (by its own bit or the function mask), sets its pending bit and fires
 * when unmasked.
 */
#include <glib.h>
#include <inttypes.h>
#include <string.h>

#include "hw/pci/msix.h"
#include "util/trace.h"

#define MSIX_MAX_VECTORS (MSIX_PBA_OFFSET / PCI_MSIX_ENTRY_SIZE)

struct MSIXState {
    unsigned nvec;
    uint8_t cap;
    uint8_t table[MSIX_MAX_VECTORS * PCI_MSIX_ENTRY_SIZE];
    uint8_t pba[MSIX_MAX_VECTORS / 8];
    bool was_masked[MSIX_MAX_VECTORS];
    MSIXVectorNotifier *notifier;
    void *opaque;
};

static uint16_t msix_control(PCIDevice *d)
{
    return pci_get_word(&d->config[d->msix->cap + PCI_MSIX_FLAGS]);
}

bool msix_enabled(PCIDevice *d)
{
    return d->msix && (msix_control(d) & PCI_MSIX_FLAGS_ENABLE);
}

unsigned msix_nr_vectors(PCIDevice *d)
{
    return d->msix ? d->msix->nvec : 0;
}

bool msix_is_masked(PCIDevice *d, unsigned vector)
{
    MSIXState *m = d->msix;
    if (!m || vector >= m->nvec) {
        return true;
    }
    return (msix_control(d) & PCI_MSIX_FLAGS_MASKALL) ||
           (m->table[vector * PCI_MSIX_ENTRY_SIZE + 12] &
            PCI_MSIX_ENTRY_CTRL_MASKBIT);
}

MSIMessage msix_get_message(PCIDevice *d, unsigned vector)
{
    const uint8_t *e = &d->msix->table[vector * PCI_MSIX_ENTRY_SIZE];
    MSIMessage msg = {
        .address = pci_get_long(e) | (uint64_t)pci_get_long(e + 4) << 32,
        .data = pci_get_long(e + 8),
    };
    return msg;
}

bool msix_is_pending(PCIDevice *d, unsigned vector)
{
    return d->msix && vector < d->msix->nvec &&
           (d->msix->pba[vector / 8] & (1 << (vector % 8)));
}

static void msix_send(PCIDevice *d, unsigned vector)
{
    MSIMessage msg = msix_get_message(d, vector);
    trace(msix_send, "%s vector %u addr 0x%" PRIx64 " data 0x%x", d->name,
          vector, msg.address, msg.data);
    accel_msi_send(msg);
}

bool msix_notify(PCIDevice *d, unsigned vector)
{
    MSIXState *m = d->msix;
    if (!msix_enabled(d) || vector >= m->nvec) {
        return false;
    }
    if (msix_is_masked(d, vector)) {
        m->pba[vector / 8] |= 1 << (vector % 8);
        trace(msix_pending, "%s vector %u", d->name, vector);
        return true;
    }
    msix_send(d, vector);
    return true;
}

/* Deliver what became unmasked; tell the owner if anything changed. */
static void msix_update(PCIDevice *d, bool changed)
{
    MSIXState *m = d->msix;
    for (unsigned v = 0; v < m->nvec; v++) {
        bool masked = msix_is_masked(d, v);
        if (masked != m->was_masked[v]) {
            m->was_masked[v] = masked;
            changed = true;
        }
        if (!masked && msix_enabled(d) && msix_is_pending(d, v)) {
            m->pba[v / 8] &= ~(1 << (v % 8));
            msix_send(d, v);
        }
    }
    if (changed && m->notifier) {
        m->notifier(d, m->opaque);
    }
}

void msix_config_write(PCIDevice *d, unsigned off, unsigned len)
{
    unsigned ctl = d->msix->cap + PCI_MSIX_FLAGS;
    if (off < ctl + 2 && off + len > ctl) {
        msix_update(d, true);
    }
}

static uint64_t msix_bar_read(void *opaque, uint64_t off, unsigned size)
{
    PCIDevice *d = opaque;
    MSIXState *m = d->msix;
    uint64_t v = 0;
    for (unsigned i = 0; i < size; i++) {
        uint64_t a = off + i;
        uint8_t b = 0;
        if (a < m->nvec * PCI_MSIX_ENTRY_SIZE) {
            b = m->table[a];
        } else if (a >= MSIX_PBA_OFFSET &&
                   a < MSIX_PBA_OFFSET + (m->nvec + 7) / 8) {
            b = m->pba[a - MSIX_PBA_OFFSET];
        }
        v |= (uint64_t)b << (8 * i);
    }
    return v;
}

static void msix_bar_write(void *opaque, uint64_t off, uint64_t val,
                           unsigned size)
{
    PCIDevice *d = opaque;
    MSIXState *m = d->msix;
    bool changed = false;
    for (unsigned i = 0; i < size; i++) {
        uint64_t a = off + i;
        if (a >= m->nvec * PCI_MSIX_ENTRY_SIZE) {
            continue;           /* the PBA is read-only */
        }
        uint8_t b = val >> (8 * i);
        if (a % PCI_MSIX_ENTRY_SIZE >= 12) {
            /* Vector control: only the mask bit is writable. */
            b = a % PCI_MSIX_ENTRY_SIZE == 12 ? b & 1 : 0;
        }
        if (m->table[a] != b) {
            m->table[a] = b;
            changed = true;
        }
    }
    if (changed) {
        msix_update(d, true);
    }
}

static const MemoryRegionOps msix_bar_ops = { msix_bar_read, msix_bar_write };

void msix_reset(PCIDevice *d)
{
    MSIXState *m = d->msix;
    if (!m) {
        return;
    }
    uint8_t *ctl = &d->config[m->cap + PCI_MSIX_FLAGS];
    pci_set_word(ctl, pci_get_word(ctl) & PCI_MSIX_FLAGS_QSIZE);
    memset(m->table, 0, sizeof(m->table));
    memset(m->pba, 0, sizeof(m->pba));
    for (unsigned v = 0; v < m->nvec; v++) {
        m->table[v * PCI_MSIX_ENTRY_SIZE + 12] = PCI_MSIX_ENTRY_CTRL_MASKBIT;
        m->was_masked[v] = true;
    }
    if (m->notifier) {
        m->notifier(d, m->opaque);
    }
}

bool msix_init(PCIDevice *d, unsigned nvec, unsigned bar,
               MSIXVectorNotifier *notifier, void *opaque, Error **errp)
{
    if (nvec < 1 || nvec > MSIX_MAX_VECTORS) {
        error_setg(errp, "%s: vectors=%u: MSI-X takes 1 to %u vectors",
                   d->name, nvec, MSIX_MAX_VECTORS);
        return false;
    }
    uint8_t cap = pci_add_capability(d, PCI_CAP_ID_MSIX, 12);
    if (!cap) {
        error_setg(errp, "%s: no room for the MSI-X capability", d->name);
        return false;
    }
    MSIXState *m = g_new0(MSIXState, 1);
    m->nvec = nvec;
    m->cap = cap;
    m->notifier = notifier;
    m->opaque = opaque;
    d->msix = m;
    pci_set_word(&d->config[cap + PCI_MSIX_FLAGS], nvec - 1);
    pci_set_word(&d->wmask[cap + PCI_MSIX_FLAGS],
                 PCI_MSIX_FLAGS_ENABLE | PCI_MSIX_FLAGS_MASKALL);
    pci_set_long(&d->config[cap + PCI_MSIX_TABLE], bar);
    pci_set_long(&d->config[cap + PCI_MSIX_PBA], MSIX_PBA_OFFSET | bar);
    pci_register_bar(d, bar, 0, 0x1000, "msix", &msix_bar_ops, d);
    msix_reset(d);
    return true;
}

void msix_uninit(PCIDevice *d)
{
    g_free(d->msix);
    d->msix = NULL;
}
