/*
 * -net and -nic, QEMU's older NIC options, rewritten as -netdev and
 * -device virtio-net-pci options so that they are checked and created
 * like those.  vmu has no hub: one -net nic pairs with one -net back-end.
 */
#include <glib.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "system/net-legacy.h"
#include "system/options.h"

static GPtrArray *legacy_nics;      /* -net nic */
static GPtrArray *legacy_backends;  /* -net TYPE */

/* An empty Opts that reports errors as the user's own option. */
static Opts *legacy_opts_new(const Opts *from)
{
    Opts *o = g_new0(Opts, 1);
    o->option = g_strdup(from->option);
    o->text = g_strdup(from->text);
    o->entries = g_new0(OptEntry, from->n_entries + 8);
    return o;
}

static void legacy_opts_add(Opts *o, const char *key, const char *value)
{
    OptEntry *e = &o->entries[o->n_entries++];
    e->key = g_strdup(key);
    e->value = g_strdup(value);
}

static bool legacy_model_ok(const Opts *o, const char *key, Error **errp)
{
    const char *model = opts_get(o, key);
    if (!model || !strcmp(model, "virtio") || !strcmp(model, "virtio-net") ||
        !strcmp(model, "virtio-net-pci")) {
        return true;
    }
    if (!strcmp(model, "help")) {
        printf("Supported NIC models:\nvirtio-net-pci\n");
        exit(0);
    }
    opts_error(o, errp, "%s=%s: vmu's only NIC is virtio-net-pci; use "
               "%s=virtio-net-pci or leave %s= out", key, model, key, key);
    return false;
}

/* The netdev half: every key but those of the NIC, with an id. */
static Opts *legacy_netdev(const Opts *o, const char *const *nic_keys,
                           const char *id)
{
    Opts *nd = legacy_opts_new(o);
    for (unsigned i = 0; i < o->n_entries; i++) {
        const OptEntry *e = &o->entries[i];
        if (!g_strv_contains(nic_keys, e->key)) {
            OptEntry *d = &nd->entries[nd->n_entries++];
            d->key = g_strdup(e->key);
            d->value = g_strdup(e->value);
        }
    }
    if (!opts_get(nd, "id")) {
        legacy_opts_add(nd, "id", id);
    }
    return nd;
}

static void legacy_add(TypeKind kind, Opts *o)
{
    g_ptr_array_add(options_lists()[kind], o);
}

bool net_legacy_add_nic(const char *text, Error **errp)
{
    static unsigned count;
    static const char *const nic_keys[] = { "model", "mac", NULL };
    Opts *o = opts_parse("-nic", text, "type", errp);
    if (!o) {
        return false;
    }
    bool none = !strcmp(opts_get_str(o, "type", ""), "none");
    if (none || !legacy_model_ok(o, "model", errp)) {
        opts_free(o);
        return none;
    }
    char *id = g_strdup_printf("vmu.nic%u", count++);
    Opts *nd = legacy_netdev(o, nic_keys, id);
    Opts *dev = legacy_opts_new(o);
    legacy_opts_add(dev, "driver", "virtio-net-pci");
    legacy_opts_add(dev, "netdev", opts_get(nd, "id"));
    if (opts_get(o, "mac")) {
        legacy_opts_add(dev, "mac", opts_get(o, "mac"));
    }
    g_free(id);
    opts_free(o);
    legacy_add(TYPE_KIND_NETDEV, nd);
    legacy_add(TYPE_KIND_DEVICE, dev);
    return true;
}

bool net_legacy_add_net(const char *text, Error **errp)
{
    Opts *o = opts_parse("-net", text, "type", errp);
    if (!o) {
        return false;
    }
    if (!legacy_nics) {
        legacy_nics = g_ptr_array_new();
        legacy_backends = g_ptr_array_new();
    }
    if (opts_has(o, "vlan")) {
        opts_error(o, errp, "vlan= is gone (QEMU removed it in 3.0); leave "
                   "it out: -net options share one network");
        opts_free(o);
        return false;
    }
    const char *type = opts_get_str(o, "type", "");
    if (!strcmp(type, "none")) {
        opts_free(o);
        return true;
    }
    g_ptr_array_add(!strcmp(type, "nic") ? legacy_nics : legacy_backends, o);
    return true;
}

bool net_legacy_finish(Error **errp)
{
    static const char *const nic_keys[] = { "name", NULL };
    if (!legacy_nics || (!legacy_nics->len && !legacy_backends->len)) {
        return true;
    }
    const Opts *nic = legacy_nics->len ? legacy_nics->pdata[0] : NULL;
    const Opts *be = legacy_backends->len ? legacy_backends->pdata[0] : NULL;
    if (legacy_nics->len > 1 || legacy_backends->len > 1) {
        const Opts *o = legacy_nics->len > 1 ? legacy_nics->pdata[1] :
                        legacy_backends->pdata[1];
        opts_error(o, errp, "vmu pairs one -net nic with one -net back-end "
                   "(it has no hub); use -netdev ID and -device "
                   "virtio-net-pci,netdev=ID for more NICs");
        return false;
    }
    if (nic) {
        static const char *const keys[] = { "type", "model", "macaddr",
                                            "netdev", "name", "id", "addr",
                                            "vectors", NULL };
        for (unsigned i = 0; i < nic->n_entries; i++) {
            if (!g_strv_contains(keys, nic->entries[i].key)) {
                opts_error(nic, errp, "-net nic has no parameter '%s' "
                           "(it takes model=, macaddr=, netdev=, addr=, "
                           "vectors=, name=)", nic->entries[i].key);
                return false;
            }
        }
        if (!legacy_model_ok(nic, "model", errp)) {
            return false;
        }
        if (opts_has(nic, "netdev") && be) {
            opts_error(nic, errp, "netdev=%s and -net %s both give this NIC "
                       "a back-end; use one", opts_get(nic, "netdev"),
                       be->text);
            return false;
        }
        if (!opts_has(nic, "netdev") && !be) {
            opts_error(nic, errp, "the NIC has no back-end: add -net user "
                       "(or netdev=ID with a -netdev)");
            return false;
        }
    } else {
        warn_report("-net %s: no -net nic is connected to it; add -net "
                    "nic,model=virtio-net-pci for a guest NIC", be->text);
    }
    const char *netdev = nic ? opts_get(nic, "netdev") : NULL;
    if (be) {
        Opts *nd = legacy_netdev(be, nic_keys, "vmu.net0");
        netdev = opts_get(nd, "id");
        legacy_add(TYPE_KIND_NETDEV, nd);
    }
    if (nic) {
        Opts *dev = legacy_opts_new(nic);
        legacy_opts_add(dev, "driver", "virtio-net-pci");
        legacy_opts_add(dev, "netdev", netdev);
        static const char *const pass[][2] = {
            { "macaddr", "mac" }, { "addr", "addr" }, { "vectors", "vectors" },
        };
        for (unsigned i = 0; i < G_N_ELEMENTS(pass); i++) {
            if (opts_get(nic, pass[i][0])) {
                legacy_opts_add(dev, pass[i][1], opts_get(nic, pass[i][0]));
            }
        }
        legacy_add(TYPE_KIND_DEVICE, dev);
    }
    return true;
}
