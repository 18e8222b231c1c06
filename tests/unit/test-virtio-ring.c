/*
 * virtio.c's split ring against a driver thread that follows Linux's
 * virtqueue_add_split + virtqueue_kick_prepare_split on another CPU: the
 * EVENT_IDX lost-kick race (virtio 1.2, 2.7.10; Linux's virtio_ring.c).
 *
 * The race needs two CPUs and a store buffer, which a qtest cannot force:
 * qtest accesses and the device's ring handling are serialised on vmu's main
 * loop, so the driver never runs between the device's last look at
 * avail->idx and its return.  Here the device's virtqueue_pop runs on one
 * thread and the driver on another, released together each round:
 *
 *   device: pop entry A-1 (stores avail_event = A), pop again (loads idx)
 *   driver: store avail->idx = A+1, full barrier, load avail_event,
 *           kick only if vring_need_event(avail_event, A+1, A)
 *
 * A round where the device saw an empty ring and the driver decided not to
 * kick is a queue that stops for good.  Without a full fence between the
 * device's store and its load, x86 lets both read the old values; with it,
 * never.  The test fails on any such round.
 */
#include <glib.h>
#include <pthread.h>
#include <sched.h>
#include <string.h>

#include "hw/virtio/virtio.h"
#include "system/hostmem.h"
#include "system/memory.h"

#define NUM         256
#define DESC        0x1000
#define AVAIL       0x3000
#define USED        0x4000
#define BUFS        0x8000

static VirtIODevice vdev;
static VirtQueue *vq;
static uint8_t *ram;

static const VirtioDeviceOps ops;

static volatile uint16_t *avail_idx_p(void)
{
    return (volatile uint16_t *)(ram + AVAIL + 2);
}

static volatile uint16_t *avail_event_p(void)
{
    return (volatile uint16_t *)(ram + USED + 4 + 8 * NUM);
}

static void ring_setup(uint64_t features)
{
    Error *err = NULL;
    static HostMemoryBackend *be;
    if (!be) {
        memory_map_reset();
        be = host_memory_backend_new(HOSTMEM_MEMFD, "ram", 1 << 20);
        g_assert_true(host_memory_backend_alloc(be, &err));
        g_assert_true(memory_map_add_ram(0, 1 << 20, be, 0, &err));
        ram = be->ptr;
        g_assert_true(virtio_init(&vdev, "test-ring", 1, 0, 1, &ops, &err));
        vq = virtio_add_queue(&vdev, 0, NUM, NULL);
    }
    virtio_reset(&vdev);
    memset(ram, 0, 1 << 20);
    /* Descriptor i: a 64-byte device-readable buffer; avail ring slot i
     * names descriptor i, so publishing is bumping avail->idx. */
    for (unsigned i = 0; i < NUM; i++) {
        uint64_t addr = BUFS + 64 * i;
        uint32_t len = 64;
        memcpy(ram + DESC + 16 * i, &addr, 8);
        memcpy(ram + DESC + 16 * i + 8, &len, 4);
        uint16_t head = i;
        memcpy(ram + AVAIL + 4 + 2 * i, &head, 2);
    }
    vdev.guest_features = features;
    virtio_queue_set_addr(vq, 0, DESC);
    virtio_queue_set_addr(vq, 1, AVAIL);
    virtio_queue_set_addr(vq, 2, USED);
    g_assert_true(virtio_queue_enable(vq));
    vdev.status = VIRTIO_CONFIG_S_ACKNOWLEDGE | VIRTIO_CONFIG_S_DRIVER |
                  VIRTIO_CONFIG_S_FEATURES_OK | VIRTIO_CONFIG_S_DRIVER_OK;
}

/* Linux's vring_need_event(). */
static bool need_event(uint16_t event, uint16_t new, uint16_t old)
{
    return (uint16_t)(new - event - 1) < (uint16_t)(new - old);
}

static bool pop_one(void)
{
    VirtQueueElement *e = virtqueue_pop(vq);
    if (!e) {
        return false;
    }
    virtqueue_push(vq, e, 0);
    virtqueue_element_free(e);
    return true;
}

/* The driver's publish as Linux does it: the index with a release store,
 * a full barrier, then avail_event; true if it kicks. */
static bool driver_publish(uint16_t new)
{
    uint16_t old = new - 1;
    __atomic_store_n(avail_idx_p(), new, __ATOMIC_RELEASE);
    __atomic_thread_fence(__ATOMIC_SEQ_CST);
    uint16_t event = __atomic_load_n(avail_event_p(), __ATOMIC_RELAXED);
    return need_event(event, new, old);
}

/* A sense-reversing barrier for two threads. */
static int arrived;
static int sense;

static void barrier_wait(int *local)
{
    *local = !*local;
    if (__atomic_add_fetch(&arrived, 1, __ATOMIC_ACQ_REL) == 2) {
        __atomic_store_n(&arrived, 0, __ATOMIC_RELAXED);
        __atomic_store_n(&sense, *local, __ATOMIC_RELEASE);
    } else {
        /* spin (the race needs both threads running), but give the CPU
         * away when the other thread is not (a loaded machine) */
        for (unsigned spins = 0;
             __atomic_load_n(&sense, __ATOMIC_ACQUIRE) != *local; spins++) {
            if (spins % 4096 == 4095) {
                sched_yield();
            } else {
                __builtin_ia32_pause();
            }
        }
    }
}

static volatile bool stop_rounds;
/*
 * Who waits how long after the release, in pause loops: > 0 the driver,
 * < 0 the device.  It follows the outcome of each round towards the point
 * where the device's load and the driver's store meet, which is where the
 * race lives, whatever the speed of the machine; plus some jitter.
 */
static int delay;
static int device_delay;

static void pause_for(int n)
{
    for (int i = 0; i < n; i++) {
        __builtin_ia32_pause();
    }
}
static bool dev_saw_empty;

static void *device_thread(void *opaque)
{
    int local = 0;
    for (;;) {
        barrier_wait(&local);
        if (stop_rounds) {
            return NULL;
        }
        pause_for(device_delay);
        /* Back to back, as the RX path takes buffers for one frame. */
        VirtQueueElement *e1 = virtqueue_pop(vq);  /* avail_event A */
        VirtQueueElement *e2 = virtqueue_pop(vq);  /* A, if the driver's
                                                    * store is visible */
        g_assert_nonnull(e1);
        dev_saw_empty = !e2;
        virtqueue_push(vq, e1, 0);
        virtqueue_element_free(e1);
        if (e2) {
            virtqueue_push(vq, e2, 0);
            virtqueue_element_free(e2);
        }
        barrier_wait(&local);
    }
}

static void test_event_idx_race(void)
{
    pthread_t th;
    int local = 0;
    unsigned long rounds = 0, lost = 0, device_empty = 0, no_kick = 0;
    gint64 end = g_get_monotonic_time() + 2 * G_USEC_PER_SEC;
    uint16_t idx = 1;

    ring_setup(1ULL << VIRTIO_RING_F_EVENT_IDX | 1ULL << VIRTIO_F_VERSION_1);
    __atomic_store_n(avail_idx_p(), idx, __ATOMIC_RELEASE);
    arrived = sense = 0;
    stop_rounds = false;
    g_assert_cmpint(pthread_create(&th, NULL, device_thread, NULL), ==, 0);
    while (rounds < 2000000 && g_get_monotonic_time() < end) {
        int d = delay + g_random_int_range(-4, 5);
        device_delay = d < 0 ? -d : 0;
        barrier_wait(&local);
        pause_for(d);
        bool kick = driver_publish(++idx);
        barrier_wait(&local);
        rounds++;
        device_empty += dev_saw_empty;
        /* the device came first: the driver goes earlier next time */
        delay = CLAMP(delay + (dev_saw_empty ? -1 : 1), -256, 256);
        no_kick += !kick;
        if (dev_saw_empty && !kick) {
            lost++;
        }
        if (dev_saw_empty) {
            g_assert_true(pop_one());   /* the kick (or the test) wakes it */
        }
        /* One entry pending again for the next round. */
        __atomic_store_n(avail_idx_p(), ++idx, __ATOMIC_RELEASE);
    }
    stop_rounds = true;
    barrier_wait(&local);
    pthread_join(th, NULL);
    g_test_message("%lu rounds: device saw an empty ring %lu times, driver "
                   "skipped the kick %lu times, both (a lost kick) %lu",
                   rounds, device_empty, no_kick, lost);
    g_assert_cmpuint(rounds, >, 0);
    g_assert_cmpuint(lost, ==, 0);
}

/*
 * Without threads: whenever virtqueue_pop returns nothing, avail_event
 * names the next entry, so Linux's check for the very next publish kicks;
 * and with every entry published, it names the next one too.
 */
static void test_event_idx_published(void)
{
    ring_setup(1ULL << VIRTIO_RING_F_EVENT_IDX | 1ULL << VIRTIO_F_VERSION_1);
    uint16_t idx = 0;
    for (unsigned round = 0; round < 3 * NUM; round++) {
        unsigned burst = 1 + round % 7;
        bool kicked = false;
        for (unsigned i = 0; i < burst; i++) {
            kicked |= driver_publish(++idx);
        }
        g_assert_true(kicked);          /* the device had gone idle */
        while (pop_one()) {
        }
        g_assert_cmpuint(*avail_event_p(), ==, idx);
        g_assert_true(virtio_queue_empty(vq));
    }
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    g_test_add_func("/virtio-ring/event-idx/avail-event-after-empty",
                    test_event_idx_published);
    g_test_add_func("/virtio-ring/event-idx/no-lost-kick-two-cpus",
                    test_event_idx_race);
    return g_test_run();
}
