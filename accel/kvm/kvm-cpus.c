/*
 * accel/kvm vCPUs: one thread each running KVM_RUN, PIO and MMIO exits
 * dispatched under the machine lock, exit counters, and a clean stop
 * (a signal makes KVM_RUN return EINTR, then the thread is joined).
 */
#include <errno.h>
#include <glib.h>
#include <inttypes.h>
#include <linux/kvm.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>

#include "hw/i386/boot.h"
#include "hw/i386/pc.h"
#include "kvm-internal.h"
#include "system/machine.h"
#include "system/kvm.h"
#include "system/main-loop.h"
#include "system/memory.h"
#include "system/reset.h"
#include "system/runstate.h"
#include "util/trace.h"

#define SIG_VCPU_KICK SIGUSR1

typedef struct KVMVcpu {
    unsigned index;
    int fd;
    struct kvm_run *run;
    pthread_t thread;
    bool thread_started;
    bool run_requested;         /* park_lock: run until told to stop */
    volatile int tid;           /* gettid() of its thread */
    volatile bool exited;
    uint64_t exits[KVM_EXIT_STATS_REASONS];
    /* The state KVM created the vCPU in (power-on): a reset restores it. */
    struct kvm_regs regs0;
    struct kvm_sregs sregs0;
    struct kvm_fpu fpu0;
    struct kvm_lapic_state lapic0;
    struct kvm_mp_state mp0;
    struct kvm_vcpu_events events0;
    struct kvm_debugregs dregs0;
    struct kvm_xcrs xcrs0;
    struct kvm_xsave *xsave0;
    bool has_events, has_dregs, has_xcrs;
} KVMVcpu;

static KVMVcpu *vcpus;
static unsigned nr_vcpus;
static volatile bool vcpus_stopping;
/*
 * A vCPU's thread lives from accel->start to exit: between runs (-S, stop,
 * a reset) it waits here, so its thread id (query-cpus-fast, pinning)
 * stays the same.
 */
static GMutex park_lock;
static GCond park_cond;
static bool vcpus_quit;
static __thread KVMVcpu *current_vcpu;

static const char *const exit_names[] = {
    [KVM_EXIT_UNKNOWN] = "UNKNOWN", [KVM_EXIT_EXCEPTION] = "EXCEPTION",
    [KVM_EXIT_IO] = "IO", [KVM_EXIT_HYPERCALL] = "HYPERCALL",
    [KVM_EXIT_DEBUG] = "DEBUG", [KVM_EXIT_HLT] = "HLT",
    [KVM_EXIT_MMIO] = "MMIO", [KVM_EXIT_IRQ_WINDOW_OPEN] = "IRQ_WINDOW_OPEN",
    [KVM_EXIT_SHUTDOWN] = "SHUTDOWN", [KVM_EXIT_FAIL_ENTRY] = "FAIL_ENTRY",
    [KVM_EXIT_INTR] = "INTR", [KVM_EXIT_SET_TPR] = "SET_TPR",
    [KVM_EXIT_TPR_ACCESS] = "TPR_ACCESS", [KVM_EXIT_NMI] = "NMI",
    [KVM_EXIT_INTERNAL_ERROR] = "INTERNAL_ERROR",
    [KVM_EXIT_SYSTEM_EVENT] = "SYSTEM_EVENT",
    [KVM_EXIT_X86_RDMSR] = "X86_RDMSR", [KVM_EXIT_X86_WRMSR] = "X86_WRMSR",
};

const char *kvm_exit_reason_name(unsigned reason)
{
    return reason < G_N_ELEMENTS(exit_names) ? exit_names[reason] : NULL;
}

unsigned kvm_vcpu_count(void)
{
    return nr_vcpus;
}

int kvm_vcpu_thread_id(unsigned cpu)
{
    return cpu < nr_vcpus ? __atomic_load_n(&vcpus[cpu].tid,
                                            __ATOMIC_SEQ_CST) : 0;
}

bool kvm_exit_stats(int cpu, KVMExitStats *out)
{
    memset(out, 0, sizeof(*out));
    if (cpu >= (int)nr_vcpus) {
        return false;
    }
    for (unsigned i = 0; i < nr_vcpus; i++) {
        if (cpu >= 0 && (unsigned)cpu != i) {
            continue;
        }
        for (unsigned r = 0; r < KVM_EXIT_STATS_REASONS; r++) {
            uint64_t n = __atomic_load_n(&vcpus[i].exits[r],
                                         __ATOMIC_RELAXED);
            out->by_reason[r] += n;
            out->total += n;
        }
    }
    return true;
}

void kvm_exit_stats_trace(void)
{
    for (unsigned i = 0; i < nr_vcpus; i++) {
        KVMExitStats s;
        kvm_exit_stats(i, &s);
        GString *str = g_string_new(NULL);
        for (unsigned r = 0; r < KVM_EXIT_STATS_REASONS; r++) {
            if (s.by_reason[r]) {
                const char *name = kvm_exit_reason_name(r);
                if (name) {
                    g_string_append_printf(str, " %s %" PRIu64, name,
                                           s.by_reason[r]);
                } else {
                    g_string_append_printf(str, " reason%u %" PRIu64, r,
                                           s.by_reason[r]);
                }
            }
        }
        trace(kvm_exit_stats, "vcpu%u exits %" PRIu64 ":%s", i, s.total,
              str->str);
        g_string_free(str, TRUE);
    }
}

/* ---- initial register state ---- */

static void seg_flat(struct kvm_segment *s, uint16_t sel, uint8_t type,
                     bool code64)
{
    *s = (struct kvm_segment) {
        .base = 0, .limit = 0xffffffff, .selector = sel, .type = type,
        .present = 1, .dpl = 0, .db = !code64, .s = 1, .l = code64, .g = 1,
    };
}

static bool vcpu_set_boot_regs(KVMVcpu *v, Error **errp)
{
    const X86BootState *b = &x86_boot;
    struct kvm_sregs sregs;
    if (b->mode == X86_BOOT_BIOS) {
        return true;        /* KVM's power-on state is the reset vector */
    }
    if (ioctl(v->fd, KVM_GET_SREGS, &sregs) < 0) {
        error_setg_errno(errp, errno, "KVM_GET_SREGS failed on vcpu%u",
                         v->index);
        return false;
    }
    bool lm = b->mode == X86_BOOT_LONG64;
    seg_flat(&sregs.cs, 0x10, 0xb, lm);
    seg_flat(&sregs.ds, 0x18, 0x3, false);
    sregs.es = sregs.fs = sregs.gs = sregs.ss = sregs.ds;
    sregs.tr = (struct kvm_segment) {
        .base = 0, .limit = 0x67, .selector = 0, .type = 11, .present = 1,
    };
    sregs.ldt = (struct kvm_segment) {
        .base = 0, .limit = 0xffff, .selector = 0, .type = 2, .present = 1,
    };
    sregs.gdt.base = b->gdt_base;
    sregs.gdt.limit = b->gdt_limit;
    sregs.idt.base = 0;
    sregs.idt.limit = 0;
    sregs.cr0 = 0x11;                       /* PE, ET */
    sregs.cr4 = 0;
    sregs.efer = 0;
    if (lm) {
        sregs.cr0 |= 0x80000000;            /* PG */
        sregs.cr4 |= 0x20;                  /* PAE */
        sregs.cr3 = b->cr3;
        sregs.efer = 0x500;                 /* LME, LMA */
    }
    if (ioctl(v->fd, KVM_SET_SREGS, &sregs) < 0) {
        error_setg_errno(errp, errno, "KVM_SET_SREGS failed on vcpu%u",
                         v->index);
        return false;
    }
    struct kvm_regs regs = {
        .rflags = 0x2, .rip = b->rip, .rbx = b->rbx, .rsi = b->rsi,
    };
    if (ioctl(v->fd, KVM_SET_REGS, &regs) < 0) {
        error_setg_errno(errp, errno, "KVM_SET_REGS failed on vcpu%u",
                         v->index);
        return false;
    }
    return true;
}

/* LINT0 as ExtINT on the boot CPU (the PIC), LINT1 as NMI: as a BIOS does. */
static bool vcpu_set_lapic(KVMVcpu *v, Error **errp)
{
    struct kvm_lapic_state lapic;
    if (ioctl(v->fd, KVM_GET_LAPIC, &lapic) < 0) {
        error_setg_errno(errp, errno, "KVM_GET_LAPIC failed on vcpu%u",
                         v->index);
        return false;
    }
    uint32_t lint0 = v->index == 0 ? 0x700 : 0x10700;   /* ExtINT */
    uint32_t lint1 = 0x400;                             /* NMI */
    memcpy(&lapic.regs[0x350], &lint0, 4);
    memcpy(&lapic.regs[0x360], &lint1, 4);
    if (ioctl(v->fd, KVM_SET_LAPIC, &lapic) < 0) {
        error_setg_errno(errp, errno, "KVM_SET_LAPIC failed on vcpu%u",
                         v->index);
        return false;
    }
    return true;
}

/* ---- power-on state, for a reset ---- */

#define VCPU_IOCTL(v, req, arg, errp)                                         \
    (ioctl((v)->fd, req, arg) < 0 ?                                           \
     (error_setg_errno(errp, errno, #req " failed on vcpu%u", (v)->index),   \
      false) : true)

static bool vcpu_snapshot(KVMVcpu *v, Error **errp)
{
    if (!VCPU_IOCTL(v, KVM_GET_REGS, &v->regs0, errp) ||
        !VCPU_IOCTL(v, KVM_GET_SREGS, &v->sregs0, errp) ||
        !VCPU_IOCTL(v, KVM_GET_FPU, &v->fpu0, errp) ||
        !VCPU_IOCTL(v, KVM_GET_LAPIC, &v->lapic0, errp) ||
        !VCPU_IOCTL(v, KVM_GET_MP_STATE, &v->mp0, errp)) {
        return false;
    }
    /* Optional: what this KVM cannot read it need not be given back. */
    v->has_events = ioctl(v->fd, KVM_GET_VCPU_EVENTS, &v->events0) == 0;
    v->has_dregs = ioctl(v->fd, KVM_GET_DEBUGREGS, &v->dregs0) == 0;
    v->has_xcrs = ioctl(kvm_state.fd, KVM_CHECK_EXTENSION, KVM_CAP_XCRS) > 0 &&
                  ioctl(v->fd, KVM_GET_XCRS, &v->xcrs0) == 0;
    if (ioctl(kvm_state.fd, KVM_CHECK_EXTENSION, KVM_CAP_XSAVE) > 0) {
        v->xsave0 = g_new0(struct kvm_xsave, 1);
        if (ioctl(v->fd, KVM_GET_XSAVE, v->xsave0) < 0) {
            g_free(v->xsave0);
            v->xsave0 = NULL;
        }
    }
    trace(kvm_vcpu_snapshot, "vcpu%u mp_state %u%s%s%s%s", v->index,
          v->mp0.mp_state, v->has_events ? " events" : "",
          v->has_dregs ? " debugregs" : "", v->has_xcrs ? " xcrs" : "",
          v->xsave0 ? " xsave" : "");
    return true;
}

static bool vcpu_set_lapic(KVMVcpu *v, Error **errp);

/* Back to the power-on state, then as at first start (boot CPU at the
 * kernel's entry, the APs waiting for INIT/SIPI). */
static bool vcpu_reset(KVMVcpu *v, Error **errp)
{
    struct kvm_regs regs = v->regs0;
    struct kvm_sregs sregs = v->sregs0;
    struct kvm_fpu fpu = v->fpu0;
    struct kvm_lapic_state lapic = v->lapic0;
    struct kvm_mp_state mp = v->mp0;
    struct kvm_vcpu_events events = v->events0;
    struct kvm_debugregs dregs = v->dregs0;
    struct kvm_xcrs xcrs = v->xcrs0;

    if (!VCPU_IOCTL(v, KVM_SET_SREGS, &sregs, errp) ||
        !VCPU_IOCTL(v, KVM_SET_REGS, &regs, errp) ||
        !VCPU_IOCTL(v, KVM_SET_FPU, &fpu, errp) ||
        (v->xsave0 && !VCPU_IOCTL(v, KVM_SET_XSAVE, v->xsave0, errp)) ||
        (v->has_xcrs && !VCPU_IOCTL(v, KVM_SET_XCRS, &xcrs, errp)) ||
        (v->has_dregs && !VCPU_IOCTL(v, KVM_SET_DEBUGREGS, &dregs, errp)) ||
        !VCPU_IOCTL(v, KVM_SET_LAPIC, &lapic, errp) ||
        (v->has_events &&
         !VCPU_IOCTL(v, KVM_SET_VCPU_EVENTS, &events, errp)) ||
        !VCPU_IOCTL(v, KVM_SET_MP_STATE, &mp, errp)) {
        return false;
    }
    if (!kvm_msrs_set(v->fd, v->index, errp) || !vcpu_set_lapic(v, errp)) {
        return false;
    }
    return v->index != 0 || vcpu_set_boot_regs(v, errp);
}

static bool vcpu_create(KVMVcpu *v, unsigned index, Error **errp)
{
    v->index = index;
    v->fd = kvm_vm_ioctl_ret(KVM_CREATE_VCPU, (void *)(uintptr_t)index);
    if (v->fd < 0) {
        error_setg_errno(errp, -v->fd, "KVM_CREATE_VCPU failed for vcpu%u",
                         index);
        v->fd = -1;
        return false;
    }
    v->run = mmap(NULL, kvm_state.vcpu_mmap_size, PROT_READ | PROT_WRITE,
                  MAP_SHARED, v->fd, 0);
    if (v->run == MAP_FAILED) {
        v->run = NULL;
        error_setg_errno(errp, errno, "cannot map the kvm_run area of "
                         "vcpu%u", index);
        return false;
    }
    if (!kvm_cpuid_set(v->fd, index, nr_vcpus, errp) ||
        !vcpu_snapshot(v, errp) ||
        !kvm_msrs_set(v->fd, index, errp) || !vcpu_set_lapic(v, errp)) {
        return false;
    }
    /* Application processors wait for INIT/SIPI from the boot CPU. */
    if (index == 0 && !vcpu_set_boot_regs(v, errp)) {
        return false;
    }
    return true;
}

/* ---- the run loop ---- */

static void vcpu_pio(struct kvm_run *run)
{
    uint8_t *data = (uint8_t *)run + run->io.data_offset;
    bql_lock();
    for (unsigned i = 0; i < run->io.count; i++) {
        uint64_t v = 0;
        if (run->io.direction == KVM_EXIT_IO_OUT) {
            memcpy(&v, data, run->io.size);
            io_write(AS_IO, run->io.port, v, run->io.size);
        } else {
            v = io_read(AS_IO, run->io.port, run->io.size);
            memcpy(data, &v, run->io.size);
        }
        data += run->io.size;
    }
    bql_unlock();
}

static void vcpu_mmio(struct kvm_run *run)
{
    unsigned len = run->mmio.len;
    uint64_t v = 0;
    bql_lock();
    if (len == 1 || len == 2 || len == 4 || len == 8) {
        if (run->mmio.is_write) {
            memcpy(&v, run->mmio.data, len);
            io_write(AS_MEMORY, run->mmio.phys_addr, v, len);
        } else {
            v = io_read(AS_MEMORY, run->mmio.phys_addr, len);
            memcpy(run->mmio.data, &v, len);
        }
    } else if (run->mmio.is_write) {
        memory_write(run->mmio.phys_addr, run->mmio.data, len);
    } else {
        memory_read(run->mmio.phys_addr, run->mmio.data, len);
    }
    bql_unlock();
}

static void vcpu_report_failure(KVMVcpu *v, const char *what)
{
    struct kvm_regs regs;
    memset(&regs, 0, sizeof(regs));
    ioctl(v->fd, KVM_GET_REGS, &regs);
    error_report("vcpu%u: %s at rip 0x%llx; stopping the guest", v->index,
                 what, (unsigned long long)regs.rip);
    shutdown_request(SHUTDOWN_ERROR, 1);
}

/* Returns false when this vCPU cannot go on. */
static bool vcpu_handle_exit(KVMVcpu *v)
{
    struct kvm_run *run = v->run;
    char buf[160];

    switch (run->exit_reason) {
    case KVM_EXIT_IO:
        vcpu_pio(run);
        return true;
    case KVM_EXIT_MMIO:
        vcpu_mmio(run);
        return true;
    case KVM_EXIT_HLT:
        /* Only without an in-kernel LAPIC; nothing will wake us. */
        vcpu_report_failure(v, "halted");
        return false;
    case KVM_EXIT_IRQ_WINDOW_OPEN:
    case KVM_EXIT_INTR:
        return true;
    case KVM_EXIT_SHUTDOWN:
        trace(kvm_exit_shutdown, "vcpu%u triple fault", v->index);
        pc_reset_request("a triple fault");
        return false;
    case KVM_EXIT_SYSTEM_EVENT:
        switch (run->system_event.type) {
        case KVM_SYSTEM_EVENT_SHUTDOWN:
            shutdown_request(SHUTDOWN_GUEST_POWEROFF, 0);
            return false;
        case KVM_SYSTEM_EVENT_RESET:
            pc_reset_request("a system reset event");
            return false;
        default:
            snprintf(buf, sizeof(buf), "system event %u",
                     run->system_event.type);
            vcpu_report_failure(v, buf);
            return false;
        }
    case KVM_EXIT_FAIL_ENTRY:
        snprintf(buf, sizeof(buf), "KVM_RUN entry failed (hardware reason "
                 "0x%llx)", (unsigned long long)
                 run->fail_entry.hardware_entry_failure_reason);
        vcpu_report_failure(v, buf);
        return false;
    case KVM_EXIT_INTERNAL_ERROR:
        snprintf(buf, sizeof(buf), "KVM internal error (suberror %u%s)",
                 run->internal.suberror,
                 run->internal.suberror == KVM_INTERNAL_ERROR_EMULATION ?
                 ": KVM could not emulate an instruction" : "");
        vcpu_report_failure(v, buf);
        return false;
    default:
        snprintf(buf, sizeof(buf), "unhandled KVM exit %u (%s)",
                 run->exit_reason,
                 kvm_exit_reason_name(run->exit_reason) ?
                 kvm_exit_reason_name(run->exit_reason) : "?");
        vcpu_report_failure(v, buf);
        return false;
    }
}

static void vcpu_kick_handler(int sig)
{
    if (current_vcpu) {
        current_vcpu->run->immediate_exit = 1;
    }
}

static void vcpu_run(KVMVcpu *v);

static void *vcpu_thread(void *opaque)
{
    KVMVcpu *v = opaque;
    char name[16];
    snprintf(name, sizeof(name), "vcpu%u", v->index);
    trace_set_thread_name(name);
    if (current_machine && current_machine->debug_threads) {
        /*
         * QEMU's name for a vCPU thread: pinning scripts find the threads
         * to pin by it in /proc/PID/task/TID/comm (at most 15 bytes).
         */
        char comm[16];
        snprintf(comm, sizeof(comm), "CPU %u/KVM", v->index);
        pthread_setname_np(pthread_self(), comm);
    }
    current_vcpu = v;
    g_mutex_lock(&park_lock);
    __atomic_store_n(&v->tid, (int)gettid(), __ATOMIC_SEQ_CST);
    g_cond_broadcast(&park_cond);       /* kvm_start_vcpus waits for it */
    g_mutex_unlock(&park_lock);

    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIG_VCPU_KICK);
    pthread_sigmask(SIG_UNBLOCK, &set, NULL);

    for (;;) {
        g_mutex_lock(&park_lock);
        while (!v->run_requested && !vcpus_quit) {
            g_cond_wait(&park_cond, &park_lock);
        }
        bool quit = vcpus_quit;
        g_mutex_unlock(&park_lock);
        if (quit) {
            break;
        }
        vcpu_run(v);
        trace(kvm_vcpu_exit_thread, "vcpu%u stops", v->index);
        g_mutex_lock(&park_lock);
        v->run_requested = false;
        v->exited = true;
        g_mutex_unlock(&park_lock);
    }
    return NULL;
}

/* One run, until a stop, a reset or a shutdown is asked for. */
static void vcpu_run(KVMVcpu *v)
{
    /* A reset request stops this vCPU right away; the main loop restarts
     * it (a guest must not run on past its reset write).  A shutdown
     * request (-no-reboot's reset, a debug exit) stops it for good. */
    while (!vcpus_stopping && !reset_pending() && !shutdown_requested()) {
        int r = ioctl(v->fd, KVM_RUN, 0);
        if (r < 0) {
            if (errno == EINTR || errno == EAGAIN) {
                v->run->immediate_exit = 0;
                continue;
            }
            error_report("vcpu%u: KVM_RUN failed: %s", v->index,
                         strerror(errno));
            shutdown_request(SHUTDOWN_ERROR, 1);
            break;
        }
        unsigned reason = v->run->exit_reason;
        __atomic_fetch_add(&v->exits[reason < KVM_EXIT_STATS_REASONS ?
                                     reason : 0], 1, __ATOMIC_RELAXED);
        if (!vcpu_handle_exit(v)) {
            break;
        }
    }
}

bool kvm_start_vcpus(MachineState *ms, Error **errp)
{
    if (!kvm_memory_check(errp)) {
        return false;
    }
    if (x86_boot.mode == X86_BOOT_NONE) {
        error_setg(errp, "nothing to run: give -kernel (a PVH ELF or a "
                   "bzImage) or let vmu run the BIOS");
        return false;
    }
    nr_vcpus = ms->smp_cpus;
    vcpus = g_new0(KVMVcpu, nr_vcpus);
    for (unsigned i = 0; i < nr_vcpus; i++) {
        vcpus[i].fd = -1;
    }
    for (unsigned i = 0; i < nr_vcpus; i++) {
        if (!vcpu_create(&vcpus[i], i, errp)) {
            return false;
        }
    }

    struct sigaction sa;
    memset(&sa, 0, sizeof(sa));
    sa.sa_handler = vcpu_kick_handler;   /* no SA_RESTART: KVM_RUN -> EINTR */
    sigaction(SIG_VCPU_KICK, &sa, NULL);
    /* The threads wait until they are told to run (not yet under -S). */
    sigset_t set, old;
    sigfillset(&set);
    pthread_sigmask(SIG_BLOCK, &set, &old);
    for (unsigned i = 0; i < nr_vcpus; i++) {
        vcpus[i].exited = true;
        int r = pthread_create(&vcpus[i].thread, NULL, vcpu_thread,
                               &vcpus[i]);
        if (r) {
            pthread_sigmask(SIG_SETMASK, &old, NULL);
            error_setg_errno(errp, r, "cannot create the thread of vcpu%u",
                             i);
            kvm_stop_vcpus();
            return false;
        }
        vcpus[i].thread_started = true;
    }
    pthread_sigmask(SIG_SETMASK, &old, NULL);
    /* Named and with a thread id before the monitor can be asked for it. */
    gint64 end = g_get_monotonic_time() + 5 * G_USEC_PER_SEC;
    g_mutex_lock(&park_lock);
    for (unsigned i = 0; i < nr_vcpus; i++) {
        while (!vcpus[i].tid &&
               g_cond_wait_until(&park_cond, &park_lock, end)) {
        }
    }
    g_mutex_unlock(&park_lock);
    /* -S: the vCPUs exist but run only at "cont" (vm_resume). */
    if (runstate_is_running() && !kvm_resume_vcpus(errp)) {
        kvm_stop_vcpus();
        return false;
    }
    trace(kvm_start, "%u vcpus", nr_vcpus);
    return true;
}

bool kvm_resume_vcpus(Error **errp)
{
    vcpus_stopping = false;
    g_mutex_lock(&park_lock);
    for (unsigned i = 0; i < nr_vcpus; i++) {
        vcpus[i].exited = false;
        vcpus[i].run->immediate_exit = 0;
        vcpus[i].run_requested = true;
    }
    g_cond_broadcast(&park_cond);
    g_mutex_unlock(&park_lock);
    return true;
}

bool kvm_reset_vcpus(MachineState *ms, Error **errp)
{
    if (!kvm_irqchip_reset(errp)) {
        return false;
    }
    for (unsigned i = 0; i < nr_vcpus; i++) {
        if (!vcpu_reset(&vcpus[i], errp)) {
            return false;
        }
    }
    trace(kvm_reset_vcpus, "%u vcpus, boot cpu at 0x%" PRIx64, nr_vcpus,
          x86_boot.rip);
    return true;
}

void kvm_pause_vcpus(void)
{
    vcpus_stopping = true;
    /* A vCPU may be waiting for the machine lock to finish an exit. */
    bool locked = bql_locked();
    if (locked) {
        bql_unlock();
    }
    for (unsigned i = 0; i < nr_vcpus; i++) {
        KVMVcpu *v = &vcpus[i];
        if (!v->thread_started) {
            continue;
        }
        /* Kick until it leaves KVM_RUN; bounded at about 5 s. */
        for (int tries = 0; !v->exited && tries < 5000; tries++) {
            pthread_kill(v->thread, SIG_VCPU_KICK);
            g_usleep(1000);
        }
        if (!v->exited) {
            error_report("vcpu%u does not stop; going on without it", i);
        }
    }
    if (locked) {
        bql_lock();
    }
}

void kvm_stop_vcpus(void)
{
    kvm_pause_vcpus();
    g_mutex_lock(&park_lock);
    vcpus_quit = true;
    g_cond_broadcast(&park_cond);
    g_mutex_unlock(&park_lock);
    for (unsigned i = 0; i < nr_vcpus; i++) {
        KVMVcpu *v = &vcpus[i];
        if (v->thread_started && v->exited) {
            pthread_join(v->thread, NULL);
        }
        v->thread_started = false;
    }
    kvm_exit_stats_trace();
}
