/*
 * Shared between the files of accel/kvm.
 */
#ifndef VMU_ACCEL_KVM_INTERNAL_H
#define VMU_ACCEL_KVM_INTERNAL_H

#include <linux/kvm.h>
#include <stdbool.h>
#include "system/machine.h"
#include "util/error.h"

typedef struct KVMState {
    int fd;                 /* /dev/kvm */
    int vm_fd;
    int vcpu_mmap_size;
    int max_slots;
    unsigned nr_slots;
} KVMState;

extern KVMState kvm_state;

/* ioctl on the VM fd, retried on EINTR; returns -errno on failure. */
int kvm_vm_ioctl_ret(unsigned long req, void *arg);
/* A memory slot that could not be created (reported at start). */
bool kvm_memory_check(Error **errp);

bool kvm_start_vcpus(MachineState *ms, Error **errp);
void kvm_stop_vcpus(void);
/* Guest reset: stop the threads, back to power-on/boot state, run again. */
void kvm_pause_vcpus(void);
bool kvm_reset_vcpus(MachineState *ms, Error **errp);
bool kvm_resume_vcpus(Error **errp);
/* PICs, IOAPIC and PIT back to the state KVM created them in. */
bool kvm_irqchip_reset(Error **errp);

/* cpuid.c: the CPUID table and MSRs every vCPU gets. */
bool kvm_cpuid_init(MachineState *ms, Error **errp);
bool kvm_cpuid_set(int vcpu_fd, unsigned index, unsigned nr_cpus,
                   Error **errp);
bool kvm_msrs_set(int vcpu_fd, unsigned index, Error **errp);
/* The policy as functions of a table (tests run them on made-up hosts):
 * machine-wide, then per vCPU (one package of nr_cpus cores). */
void kvm_cpuid_policy(struct kvm_cpuid_entry2 *entries, unsigned n,
                      bool tsc_deadline);
void kvm_cpuid_topology(struct kvm_cpuid_entry2 *entries, unsigned n,
                        unsigned index, unsigned nr_cpus);

#endif
