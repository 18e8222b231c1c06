/*
 * accel/kvm beyond the AccelOps seam: the counters of exits to user space
 * (read by the start-up benchmark) and what the PC machine asks of KVM.
 */
#ifndef VMU_SYSTEM_KVM_H
#define VMU_SYSTEM_KVM_H

#include <stdbool.h>
#include <stdint.h>

#define KVM_EXIT_STATS_REASONS 64

typedef struct KVMExitStats {
    uint64_t total;                             /* exits to user space */
    uint64_t by_reason[KVM_EXIT_STATS_REASONS]; /* indexed by KVM_EXIT_* */
} KVMExitStats;

/* Number of vCPUs (0 before accel->start). */
unsigned kvm_vcpu_count(void);
/* The host thread id (gettid) of vCPU cpu's thread, or 0 while it has
 * none (before its first run). */
int kvm_vcpu_thread_id(unsigned cpu);
/* Counters of vCPU cpu, or the sum over all vCPUs if cpu < 0. */
bool kvm_exit_stats(int cpu, KVMExitStats *out);
/* "IO", "MMIO", "HLT"... or NULL for a reason vmu does not name. */
const char *kvm_exit_reason_name(unsigned reason);
/* One trace line per vCPU and reason (trace point kvm_exit_stats). */
void kvm_exit_stats_trace(void);

#endif
