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

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    g_test_add_func("/memory/ram", test_ram);
    g_test_add_func("/memory/regions", test_regions);
    g_test_add_func("/memory/top-of-address-space",
                    test_top_of_address_space);
    return g_test_run();
}
