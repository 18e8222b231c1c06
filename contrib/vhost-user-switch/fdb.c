/*
 * The forwarding database: source MAC -> port, with ageing, so that
 * unicast goes to one port and only unknown destinations are flooded.
 */
#include <string.h>

#include "switch.h"
#include "util/trace.h"

typedef struct FdbEntry {
    unsigned port;
    int64_t seen_ms;
} FdbEntry;

static uint64_t mac_key(const uint8_t *mac)
{
    uint64_t k = 0;
    memcpy(&k, mac, 6);
    return k;
}

void fdb_init(void)
{
    sw.fdb = g_hash_table_new_full(g_int64_hash, g_int64_equal, g_free,
                                   g_free);
}

void fdb_free(void)
{
    if (sw.fdb) {
        g_hash_table_destroy(sw.fdb);
        sw.fdb = NULL;
    }
}

void fdb_learn(const uint8_t *mac, unsigned port)
{
    uint64_t key = mac_key(mac);
    FdbEntry *e = g_hash_table_lookup(sw.fdb, &key);

    if (mac[0] & 1) {
        return;     /* a group address is never a source */
    }
    if (!e) {
        uint64_t *k = g_new(uint64_t, 1);
        *k = key;
        e = g_new0(FdbEntry, 1);
        g_hash_table_insert(sw.fdb, k, e);
        e->port = port;
        trace(vmu_switch_learn, "%02x:%02x:%02x:%02x:%02x:%02x on port %u",
              mac[0], mac[1], mac[2], mac[3], mac[4], mac[5], port);
    } else if (e->port != port) {
        trace(vmu_switch_learn, "%02x:%02x:%02x:%02x:%02x:%02x moved from "
              "port %u to port %u", mac[0], mac[1], mac[2], mac[3], mac[4],
              mac[5], e->port, port);
        e->port = port;
    }
    e->seen_ms = switch_now_ms();
}

int fdb_lookup(const uint8_t *mac)
{
    uint64_t key = mac_key(mac);
    FdbEntry *e = g_hash_table_lookup(sw.fdb, &key);

    if (!e) {
        return -1;
    }
    if (switch_now_ms() - e->seen_ms > (int64_t)sw.ageing_s * 1000) {
        g_hash_table_remove(sw.fdb, &key);
        return -1;
    }
    return (int)e->port;
}

static gboolean entry_on_port(gpointer key, gpointer value, gpointer opaque)
{
    return ((FdbEntry *)value)->port == GPOINTER_TO_UINT(opaque);
}

void fdb_forget_port(unsigned port)
{
    g_hash_table_foreach_remove(sw.fdb, entry_on_port,
                                GUINT_TO_POINTER(port));
}

static gboolean entry_aged(gpointer key, gpointer value, gpointer opaque)
{
    return switch_now_ms() - ((FdbEntry *)value)->seen_ms >
           (int64_t)sw.ageing_s * 1000;
}

void fdb_sweep(void)
{
    g_hash_table_foreach_remove(sw.fdb, entry_aged, NULL);
}
