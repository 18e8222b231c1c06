/*
 * The machine as the command line describes it, and as it gets built.
 */
#ifndef VMU_SYSTEM_MACHINE_H
#define VMU_SYSTEM_MACHINE_H

#include <stdbool.h>
#include <stdint.h>
#include "util/error.h"

struct HostMemoryBackend;

typedef struct MachineState {
    const char *name;               /* -name guest= */
    bool debug_threads;             /* -name debug-threads=on */
    const char *type;               /* "pc" */
    const char *accel;              /* "kvm" | "qtest" */
    uint64_t ram_size;              /* -m, bytes */
    unsigned smp_cpus;
    const char *cpu_model;          /* host | max */
    const char *memory_backend;     /* id from -machine memory-backend= or -numa */
    const char *mem_path;           /* -mem-path */
    bool mem_prealloc;
    bool mem_path_share;
    const char *kernel;
    const char *initrd;
    const char *append;
    const char *bios;               /* -bios (NULL: SeaBIOS) */
    const char *bios_dir;           /* -L */
    const char *qtest;              /* -qtest unix:PATH */
    const char *serial;             /* first -serial (NULL: no -serial) */
    bool no_reboot;
    bool nographic;
    bool nodefaults;

    /* Built by the machine. */
    struct HostMemoryBackend *ram;
    uint64_t below_4g;              /* RAM mapped at 0 */
    uint64_t above_4g;              /* RAM mapped at 4 GiB */
} MachineState;

extern MachineState *current_machine;

/* hw/i386/pc.c: phase 1 checks (-kernel, -initrd), nothing created. */
bool pc_machine_check(MachineState *ms, Error **errp);
/* RAM layout, platform devices, kernel loading. */
bool pc_machine_init(MachineState *ms, Error **errp);
/* After -device: the serial port (its chardev exists by now). */
bool pc_machine_done(MachineState *ms, Error **errp);

#endif
