/*
 * The memory map: RAM from a memfd backend, device regions, holes reading
 * as all-ones, overlap refusal, accesses at the top of the address space.
 */
#include <glib.h>
#include <string.h>
#include <unistd.h>

#include "system/hostmem.h"
#include "system/memory.h"

static uint64_t last_write_off, last_write_val;
static unsigned last_write_size;

static uint64_t dev_read(void *opaque, uint64_t off, unsigned size)
{
    return 0x1122334455667788ULL >> (8 * (8 - size)) ^ off;
}

static void dev_write(void *opaque, uint64_t off, uint64_t val, unsigned size)
{
    last_write_off = off;
    last_write_val = val;
    last_write_size = size;
}

static const MemoryRegionOps dev_ops = { dev_read, dev_write };

static HostMemoryBackend *backend(uint64_t size)
{
    Error *err = NULL;
    HostMemoryBackend *be = host_memory_backend_new(HOSTMEM_MEMFD, "ram",
                                                    size);
    g_assert_true(host_memory_backend_alloc(be, &err));
    g_assert_null(err);
    g_assert_true(host_memory_backend_is_shareable(be));
    return be;
}

static void test_ram(void)
{
    Error *err = NULL;
    memory_map_reset();
    HostMemoryBackend *be = backend(4 << 20);
    g_assert_true(memory_map_add_ram(0, 2 << 20, be, 0, &err));
    g_assert_true(memory_map_add_ram(1ULL << 32, 2 << 20, be, 2 << 20, &err));
    unsigned n;
    const RAMRange *r = memory_map_ram(&n);
    g_assert_cmpuint(n, ==, 2);
    g_assert_cmpuint(r[1].fd_offset, ==, 2 << 20);

    uint32_t v = 0xdeadbeef, back = 0;
    memory_write((1ULL << 32) + 16, &v, 4);
    g_assert_cmpuint(*(uint32_t *)((char *)be->ptr + (2 << 20) + 16), ==, v);
    memory_read((1ULL << 32) + 16, &back, 4);
    g_assert_cmpuint(back, ==, v);
    g_assert_nonnull(gpa_to_hva(0x1000, 0x1000));
    g_assert_null(gpa_to_hva((2 << 20) - 4, 8));   /* crosses the end */
    g_assert_true(memory_map_find_hva((char *)be->ptr + 5, 4) == &r[0]);

    /* A write that spans RAM's end and a hole: the hole part is dropped. */
    uint8_t buf[8];
    memory_read((2 << 20) - 4, buf, 8);
    g_assert_cmpuint(buf[7], ==, 0xff);

    /* Overlap and past-the-end are refused. */
    g_assert_false(memory_map_add_ram(1 << 20, 2 << 20, be, 0, &err));
    error_free(err);
    err = NULL;
    g_assert_false(memory_map_add_ram(8 << 20, 4 << 20, be, 2 << 20, &err));
    g_assert_nonnull(strstr(error_get_pretty(err), "past the end"));
    error_free(err);
    memory_map_reset();
    host_memory_backend_free(be);
}

static void test_regions(void)
{
    Error *err = NULL;
    memory_map_reset();
    IORegion a, b;
    io_region_init(&a, "dev-a", AS_MEMORY, 0x1000, &dev_ops, NULL);
    io_region_init(&b, "dev-b", AS_MEMORY, 0x1000, &dev_ops, NULL);
    g_assert_true(io_region_map(&a, 0xe0000000, &err));
    g_assert_false(io_region_map(&b, 0xe0000800, &err));
    g_assert_nonnull(strstr(error_get_pretty(err), "overlaps dev-a"));
    error_free(err);
    err = NULL;
    g_assert_true(io_region_map(&b, 0xe0001000, &err));

    g_assert_cmphex(io_read(AS_MEMORY, 0xe0000004, 4), ==, 0x11223344 ^ 4);
    g_assert_cmphex(io_read(AS_MEMORY, 0xd0000000, 4), ==, 0xffffffff);
    g_assert_cmphex(io_read(AS_IO, 0x1234, 2), ==, 0xffff);
    /* an access that runs past the region's end reads as nothing */
    g_assert_cmphex(io_read(AS_MEMORY, 0xe0001ffe, 4), ==, 0xffffffff);

    uint32_t v = 0xcafef00d;
    memory_write(0xe0000010, &v, 4);
    g_assert_cmpuint(last_write_off, ==, 0x10);
    g_assert_cmpuint(last_write_size, ==, 4);
    g_assert_cmphex(last_write_val, ==, 0xcafef00d);

    /* Remapping a BAR moves it. */
    io_region_unmap(&a);
    g_assert_cmphex(io_read(AS_MEMORY, 0xe0000004, 4), ==, 0xffffffff);
    g_assert_true(io_region_map(&a, 0xe0100000, &err));
    g_assert_cmphex(io_read(AS_MEMORY, 0xe0100004, 4), ==, 0x11223344 ^ 4);
    memory_map_reset();
}

/*
 * Guest- and qtest-chosen addresses reach the map unchecked: an access at
 * 2^64 - 1, or one whose end wraps past 2^64, must end and must not touch
 * address 0.  alarm() turns a hang into a failure well inside the meson
 * timeout.
 */
static void test_top_of_address_space(void)
{
    Error *err = NULL;
    uint8_t buf[16];
    uint64_t top = UINT64_MAX;
    memory_map_reset();
    alarm(60);

    /* An empty map: the last byte is a hole. */
    memset(buf, 0, sizeof(buf));
    memory_read(top, buf, 1);
    g_assert_cmphex(buf[0], ==, 0xff);
    memory_write(top, buf, 8);
    /* An MSI-X message address of 0xfffffffffffffffc: a 4-byte write. */
    memory_write(top - 3, buf, 4);

    /* RAM at 0: a wrapping access stops at the top, RAM stays untouched. */
    HostMemoryBackend *be = backend(2 << 20);
    g_assert_true(memory_map_add_ram(0, 2 << 20, be, 0, &err));
    memset(buf, 0, sizeof(buf));
    memory_read(top - 3, buf, sizeof(buf));
    for (unsigned i = 0; i < sizeof(buf); i++) {
        g_assert_cmphex(buf[i], ==, 0xff);
    }
    memset(buf, 0x5a, sizeof(buf));
    memory_write(top - 3, buf, sizeof(buf));
    memory_write(top, buf, 1);
    g_assert_cmphex(((uint8_t *)be->ptr)[0], ==, 0);
    g_assert_cmphex(((uint8_t *)be->ptr)[11], ==, 0);

    /* A region that ends exactly at 2^64. */
    IORegion a, b;
    io_region_init(&a, "dev-top", AS_MEMORY, 0x1000, &dev_ops, NULL);
    io_region_init(&b, "dev-b", AS_MEMORY, 0x800, &dev_ops, NULL);
    g_assert_true(io_region_map(&a, top - 0xfff, &err));
    g_assert_false(io_region_map(&b, top - 0x7ff, &err));
    g_assert_nonnull(strstr(error_get_pretty(err), "overlaps dev-top"));
    error_free(err);
    err = NULL;
    /* dev_read gives 0x11 ^ offset, cut to one byte */
    g_assert_cmphex(io_read(AS_MEMORY, top, 1), ==, 0xee);
    g_assert_cmphex(io_read(AS_MEMORY, top - 1, 4), ==, 0xffffffff);
    last_write_size = 0;
    memory_write(top - 3, buf, 8);
    g_assert_cmpuint(last_write_off, ==, 0xffc);
    g_assert_cmpuint(last_write_size, ==, 4);
    g_assert_cmphex(((uint8_t *)be->ptr)[0], ==, 0);
    memset(buf, 0, sizeof(buf));
    memory_read(top, buf, 2);
    g_assert_cmphex(buf[0], ==, 0xee);
    g_assert_cmphex(buf[1], ==, 0xff);

    alarm(0);
    memory_map_reset();
    host_memory_backend_free(be);
}

/* A listener as KVM's: the pieces it was told about, in a small table. */
typedef struct Piece {
    uint64_t gpa, size;
    void *hva;
    bool readonly;
} Piece;

static Piece pieces[16];
static unsigned npieces, nadds, ndels;

static void rec_add(MemoryListener *l, const RAMRange *r, bool readonly)
{
    g_assert_cmpuint(npieces, <, G_N_ELEMENTS(pieces));
    for (unsigned i = 0; i < npieces; i++) {
        /* Deletions come first: nothing overlaps what is already there. */
        g_assert_true(r->gpa + r->size <= pieces[i].gpa ||
                      pieces[i].gpa + pieces[i].size <= r->gpa);
    }
    pieces[npieces++] = (Piece) { r->gpa, r->size, r->hva, readonly };
    nadds++;
}

static void rec_del(MemoryListener *l, const RAMRange *r)
{
    for (unsigned i = 0; i < npieces; i++) {
        if (pieces[i].gpa == r->gpa && pieces[i].size == r->size) {
            pieces[i] = pieces[--npieces];
            ndels++;
            return;
        }
    }
    g_assert_not_reached();
}

static const Piece *piece_at(uint64_t gpa)
{
    for (unsigned i = 0; i < npieces; i++) {
        if (gpa >= pieces[i].gpa && gpa - pieces[i].gpa < pieces[i].size) {
            return &pieces[i];
        }
    }
    return NULL;
}

/*
 * Two shadow windows (0xE0000 and 0xF0000, 64 KiB each) over RAM, a
 * 128 KiB ROM under them: what the CPU reaches in each setting, what the
 * listener is told, and that guest RAM (the vhost-user table) never moves.
 */
static void test_shadow(void)
{
    Error *err = NULL;
    memory_map_reset();
    npieces = nadds = ndels = 0;
    HostMemoryBackend *be = backend(2 << 20);
    HostMemoryBackend *rom = host_memory_backend_new(HOSTMEM_RAM, "rom",
                                                     0x20000);
    g_assert_true(host_memory_backend_alloc(rom, &err));
    memset(rom->ptr, 0xa5, 0x20000);
    uint8_t *ram = be->ptr;
    g_assert_true(memory_map_add_ram(0, 2 << 20, be, 0, &err));

    /* A ROM over RAM outside every window is refused. */
    g_assert_false(memory_map_add_rom(0xe0000, 0x20000, rom, 0, &err));
    g_assert_nonnull(strstr(error_get_pretty(err), "outside a shadow "
                            "window"));
    error_free(err);
    err = NULL;
    ShadowWindow we, wf;
    g_assert_true(memory_shadow_add(&we, "e", 0xe0000, 0x10000, &err));
    g_assert_true(memory_shadow_add(&wf, "f", 0xf0000, 0x10000, &err));
    g_assert_true(memory_map_add_rom(0xe0000, 0x20000, rom, 0, &err));
    ShadowWindow wx;
    g_assert_false(memory_shadow_add(&wx, "x", 0xf8000, 0x1000, &err));
    error_free(err);
    err = NULL;
    IORegion dev;
    io_region_init(&dev, "dev", AS_MEMORY, 0x1000, &dev_ops, NULL);
    g_assert_false(io_region_map(&dev, 0xf0000, &err));
    error_free(err);
    err = NULL;

    unsigned n;
    const RAMRange *r = memory_map_ram(&n);
    g_assert_cmpuint(n, ==, 1);
    RAMRange guest = r[0];

    /* Power-on: the ROM on both windows, one read-only piece. */
    static MemoryListener rec = { .ram_add = rec_add, .ram_del = rec_del };
    memory_listener_register(&rec);
    g_assert_cmpuint(npieces, ==, 3);
    const Piece *p = piece_at(0xe0000);
    g_assert_nonnull(p);
    g_assert_true(p->readonly && p->hva == rom->ptr && p->size == 0x20000);
    g_assert_true(!piece_at(0)->readonly && piece_at(0)->size == 0xe0000);
    g_assert_true(!piece_at(0x100000)->readonly);
    uint32_t v = 0x12345678, back = 0;
    memory_write(0xf0000, &v, 4);
    io_write(AS_MEMORY, 0xf0004, v, 4);
    memory_read(0xf0000, &back, 4);
    g_assert_cmphex(back, ==, 0xa5a5a5a5);
    g_assert_cmphex(io_read(AS_MEMORY, 0xf0004, 4), ==, 0xa5a5a5a5);
    g_assert_cmphex(ram[0xf0000], ==, 0);
    g_assert_cmphex(((uint8_t *)rom->ptr)[0x10000], ==, 0xa5);

    /* 3 on F: RAM read-write there, the ROM still on E. */
    memory_shadow_set(&wf, true, true);
    p = piece_at(0xf0000);
    g_assert_true(p && !p->readonly && p->hva == ram + 0xf0000);
    g_assert_true(piece_at(0xe0000)->size == 0x10000);
    memory_write(0xf0000, &v, 4);
    g_assert_cmphex(*(uint32_t *)(ram + 0xf0000), ==, v);
    /* An access across the window's end continues in plain RAM. */
    uint8_t buf[8] = { 1, 2, 3, 4, 5, 6, 7, 8 };
    memory_write(0xffffc, buf, 8);
    g_assert_cmpmem(ram + 0xffffc, 8, buf, 8);

    /* 1: RAM read-only; the CPU's writes (and a KVM exit's) are dropped. */
    memory_shadow_set(&wf, true, false);
    g_assert_true(piece_at(0xf0000)->readonly);
    uint32_t w = 0x9abcdef0;
    memory_write(0xf0000, &w, 4);
    io_write(AS_MEMORY, 0xf0000, w, 4);
    memory_read(0xf0000, &back, 4);
    g_assert_cmphex(back, ==, v);

    /* 2: no piece (KVM cannot split reads from writes): reads from the
     * ROM, writes to RAM, through user space. */
    memory_shadow_set(&wf, false, true);
    g_assert_null(piece_at(0xf0000));
    g_assert_cmphex(io_read(AS_MEMORY, 0xf0000, 4), ==, 0xa5a5a5a5);
    io_write(AS_MEMORY, 0xf0000, w, 4);
    g_assert_cmphex(*(uint32_t *)(ram + 0xf0000), ==, w);
    /* DMA always reaches the RAM. */
    g_assert_true(gpa_to_hva(0xf0000, 4) == ram + 0xf0000);

    /* Both to RAM in one batch: the listener hears one merged piece. */
    unsigned adds = nadds;
    memory_map_begin();
    memory_shadow_set(&we, true, true);
    memory_shadow_set(&wf, true, true);
    g_assert_cmpuint(nadds, ==, adds);
    memory_map_commit();
    g_assert_cmpuint(nadds, ==, adds + 1);
    p = piece_at(0xe0000);
    g_assert_true(p->size == 0x20000 && !p->readonly);

    /* Back to the ROM; guest RAM never changed through all of it. */
    memory_shadow_set(&we, false, false);
    memory_shadow_set(&wf, false, false);
    g_assert_true(piece_at(0xe0000)->hva == rom->ptr);
    r = memory_map_ram(&n);
    g_assert_cmpuint(n, ==, 1);
    g_assert_true(!memcmp(&r[0], &guest, sizeof(guest)));
    g_assert_cmpuint(ndels + npieces, ==, nadds);

    memory_map_reset();
    host_memory_backend_free(be);
    host_memory_backend_free(rom);
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    g_test_add_func("/memory/ram", test_ram);
    g_test_add_func("/memory/regions", test_regions);
    g_test_add_func("/memory/top-of-address-space",
                    test_top_of_address_space);
    g_test_add_func("/memory/shadow", test_shadow);
    return g_test_run();
}
