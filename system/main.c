/*
 * vmu: the command line into objects, in order.  Everything is parsed and
 * checked before anything is created; the few errors that only show during
 * creation find the files created so far removed at exit
 * (startup_file_created), so a bad command line leaves nothing behind.
 */
#include <errno.h>
#include <fcntl.h>
#include <glib.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "chardev/char.h"
#include "hw/i386/pc.h"
#include "hw/nvram/fw_cfg.h"
#include "monitor/monitor.h"
#include "system/accel.h"
#include "system/compat-options.h"
#include "system/drive.h"
#include "system/daemonize.h"
#include "system/hostmem.h"
#include "system/machine.h"
#include "system/main-loop.h"
#include "system/net-legacy.h"
#include "system/options.h"
#include "system/registry.h"
#include "system/runstate.h"
#include "util/error.h"
#include "util/fdset.h"
#include "util/trace.h"

#ifndef VMU_VERSION
#define VMU_VERSION "0.0.0"
#endif

enum {
#define DEF(name, arg, id, syn, help) OPTION_##id,
#define ALIAS(name, arg, id)
#define SECTION(title)
#include "options.def"
#undef DEF
#undef ALIAS
#undef SECTION
};

typedef struct OptionInfo {
    const char *name;
    int takes_arg;
    int id;
    const char *synopsis;
    const char *help;
    const char *section;
} OptionInfo;

static const OptionInfo options[] = {
#define SECTION(title) { NULL, 0, -1, NULL, NULL, title },
#define DEF(name, arg, id, syn, help) { name, arg, OPTION_##id, syn, help, NULL },
#define ALIAS(name, arg, id) { name, arg, OPTION_##id, NULL, NULL, NULL },
#include "options.def"
#undef DEF
#undef ALIAS
#undef SECTION
};

static GPtrArray **opt_lists;
static const char *const *type_keys;

/* Print text wrapped at 78 columns, every line indented by 'indent'. */
static void print_wrapped(const char *text, unsigned indent)
{
    char **words = g_strsplit(text, " ", -1);
    unsigned col = 0;
    for (unsigned i = 0; words[i]; i++) {
        unsigned len = strlen(words[i]);
        if (col && col + 1 + len > 78) {
            printf("\n");
            col = 0;
        }
        if (!col) {
            col = printf("%*s%s", indent, "", words[i]);
        } else {
            col += printf(" %s", words[i]);
        }
    }
    printf("\n");
    g_strfreev(words);
}

static void help(void)
{
    printf("usage: vmu [options]\n"
           "vmu is a KVM machine monitor for vhost-user networking; it takes "
           "QEMU's options\nfor what it supports.\n");
    for (unsigned i = 0; i < G_N_ELEMENTS(options); i++) {
        const OptionInfo *o = &options[i];
        if (o->section) {
            printf("\n%s:\n", o->section);
        } else if (o->synopsis) {
            printf("%s\n", o->synopsis);
            print_wrapped(o->help, 8);
        }
    }
    printf("\nDocumentation: docs/system/invocation.md, vmu(1).\n");
}

static const OptionInfo *option_lookup(const char *name)
{
    for (unsigned i = 0; i < G_N_ELEMENTS(options); i++) {
        if (options[i].name && !strcmp(options[i].name, name)) {
            return &options[i];
        }
    }
    return NULL;
}

/*
 * Every problem on a command line is reported in one run (up to a bound),
 * so that cleaning a long libvirt line does not take one run per problem.
 * While the command line is checked, fail() prints the problem and jumps
 * back to the loop over options (collect_jmp); after that it ends vmu.
 */
#define MAX_PROBLEMS 20
static sigjmp_buf *collect_jmp;
static unsigned problems;
static bool refs_broken;    /* an -object/-chardev/-netdev/-device is lost */

static void problems_stop(void) __attribute__((noreturn));
static void problems_stop(void)
{
    exit_notifiers_run();
    exit(1);
}

static void problem_report(Error *err)
{
    error_report_err(err);
    if (++problems >= MAX_PROBLEMS) {
        error_report("stopping after %u problems; fix these and run again",
                     problems);
        problems_stop();
    }
}

static void fail(Error *err) __attribute__((noreturn));
static void fail(Error *err)
{
    problem_report(err);
    if (collect_jmp) {
        siglongjmp(*collect_jmp, 1);
    }
    problems_stop();
}

/* Run one check; a fail() inside reports and comes back here. */
static void problems_collect(void (*fn)(void *), void *opaque)
{
    sigjmp_buf jb;
    sigjmp_buf *outer = collect_jmp;
    if (!sigsetjmp(jb, 0)) {
        collect_jmp = &jb;
        fn(opaque);
    }
    collect_jmp = outer;
}

static void problems_stop_if_any(void)
{
    if (problems) {
        problems_stop();
    }
}

static bool valid_id(const char *id)
{
    if (!g_ascii_isalpha(id[0])) {
        return false;
    }
    for (const char *p = id; *p; p++) {
        if (!g_ascii_isalnum(*p) && !strchr("-._", *p)) {
            return false;
        }
    }
    return true;
}

/* Phase 1 for -object/-chardev/-netdev/-device: type, id, keys, values. */
static bool check_typed(TypeKind kind, const Opts *opts, Error **errp)
{
    const char *key = type_keys[kind];
    const char *type = opts_get(opts, key);
    unsigned n;
    const char **names = type_names(kind, &n);
    char *known = g_strjoinv(", ", (char **)names);
    bool ok = false;

    if (!type || !*type) {
        opts_error(opts, errp, "no %s type given (known: %s)",
                   type_kind_name(kind), known);
        goto out;
    }
    if (!strcmp(type, "help")) {
        printf("Known %s types: %s\n", type_kind_name(kind), known);
        exit(0);
    }
    const TypeInfo *ti = type_lookup(kind, type);
    if (!ti) {
        const char *near = did_you_mean(type, names, n);
        if (near) {
            opts_error(opts, errp, "unknown %s type '%s'; did you mean '%s'? "
                       "(known: %s)", type_kind_name(kind), type, near, known);
        } else {
            opts_error(opts, errp, "unknown %s type '%s' (known: %s)",
                       type_kind_name(kind), type, known);
        }
        goto out;
    }
    const char *id = opts_get(opts, "id");
    if (!id && ti->needs_id) {
        opts_error(opts, errp, "an id is needed: add id=NAME");
        goto out;
    }
    if (id && !valid_id(id)) {
        opts_error(opts, errp, "invalid id '%s': an id starts with a letter "
                   "and has only letters, digits, '-', '.' and '_'", id);
        goto out;
    }
    if (id && options_find(kind, id) != opts) {
        opts_error(opts, errp, "duplicate %s id '%s'", type_kind_name(kind),
                   id);
        goto out;
    }
    const char *common[] = { key, "id", NULL };
    char *what = g_strdup_printf("%s type '%s'", type_kind_name(kind), type);
    ok = opts_validate(opts, what, ti->opts, common, errp);
    g_free(what);
    if (ok && ti->check) {
        ok = ti->check(opts, errp);
    }
out:
    g_free(known);
    g_free(names);
    return ok;
}

static const OptDesc machine_desc[] = {
    { "type", OPT_STRING, "machine type: pc" },
    { "accel", OPT_STRING, "kvm or qtest" },
    { "memory-backend", OPT_STRING, "id of the memory backend for guest RAM" },
    { "usb", OPT_BOOL, "accepted off" },
    { "dump-guest-core", OPT_BOOL, "accepted" },
    { "mem-merge", OPT_BOOL, "accepted" },
    { "kernel-irqchip", OPT_STRING, "on (the in-kernel irqchip is always used)" },
    /* what libvirt writes; compat_machine() warns for what is ignored */
    { "vmport", OPT_STRING, "off (no VMware port)" },
    { "smm", OPT_STRING, "off (no system management mode)" },
    { "hpet", OPT_BOOL, "off (no HPET)" },
    { "acpi", OPT_STRING, "on|off|auto (off: as -no-acpi)" },
    { "nvdimm", OPT_BOOL, "off" },
    { "graphics", OPT_BOOL, "off" },
    { "suppress-vmdesc", OPT_BOOL, "accepted (no migration)" },
    { 0 },
};

static const OptDesc smp_desc[] = {
    { "cpus", OPT_NUMBER, "vCPUs" },
    { "maxcpus", OPT_NUMBER, "maximum vCPUs (= cpus)" },
    { "sockets", OPT_NUMBER, "sockets" },
    { "cores", OPT_NUMBER, "cores per socket" },
    { "threads", OPT_NUMBER, "threads per core" },
    { "dies", OPT_NUMBER, "dies per socket" },
    { 0 },
};

static const OptDesc numa_desc[] = {
    { "type", OPT_STRING, "node" },
    { "nodeid", OPT_NUMBER, "node number (0)" },
    { "memdev", OPT_STRING, "memory backend id" },
    { "cpus", OPT_STRING, "CPUs of the node" },
    { 0 },
};

static const OptDesc mem_path_desc[] = {
    { "path", OPT_STRING, "directory or file" },
    { "prealloc", OPT_BOOL, "touch every page first" },
    { "share", OPT_BOOL, "map shared (needed for vhost-user)" },
    { 0 },
};

static const OptDesc name_desc[] = {
    { "guest", OPT_STRING, "the guest's name" },
    { "process", OPT_STRING, "the process name that ps and top show" },
    { "debug-threads", OPT_BOOL, "name the vCPU threads 'CPU N/KVM'" },
    { 0 },
};

static const OptDesc mem_desc[] = {
    { "size", OPT_STRING, "RAM size" },
    { "slots", OPT_NUMBER, "hotplug slots (accepted, unused)" },
    { "maxmem", OPT_STRING, "hotplug maximum (accepted, unused)" },
    { 0 },
};

typedef struct CommandLine {
    MachineState ms;
    Opts *machine;
    Opts *mem_path;
    Opts *numa;
    const char *accel;
    const char *pidfile;
    const char *process_name;   /* -name process= */
    const char *ram_size_text;
    GPtrArray *serials;
    bool display_none;
    bool start_paused;  /* -S */
    bool no_shutdown;
    bool daemonize;
    bool machine_none;  /* -machine none: no guest (capability probes) */
    const char *tcg_option;     /* where tcg was asked for, if it was */
    bool objects_bad;   /* an -object failed its check: sizes unknown */
} CommandLine;

static Opts *parse_or_fail(const char *option, const char *text,
                           const char *implied)
{
    static GPtrArray *parsed;   /* keeps them reachable until exit */
    Error *err = NULL;
    Opts *o = opts_parse(option, text, implied, &err);
    if (!o) {
        /* Others may name its id: checking them would only mislead. */
        refs_broken |= !strcmp(option, "-object") ||
                       !strcmp(option, "-chardev") ||
                       !strcmp(option, "-netdev") || !strcmp(option, "-device");
        fail(err);
    }
    if (!parsed) {
        parsed = g_ptr_array_new();
    }
    g_ptr_array_add(parsed, o);
    return o;
}

static void merge_machine(CommandLine *cl, const char *text)
{
    Opts *o = parse_or_fail("-machine", text, "type");
    /*
     * QEMU takes machine properties with '_' for '-' (kata writes
     * kernel_irqchip=on, old docs dump_guest_core=off): so does vmu.
     */
    for (unsigned i = 0; i < o->n_entries; i++) {
        g_strdelimit(o->entries[i].key, "_", '-');
    }
    if (!cl->machine) {
        cl->machine = o;
        return;
    }
    /* Later -machine options add to earlier ones, as in QEMU. */
    Opts *m = cl->machine;
    m->entries = g_renew(OptEntry, m->entries, m->n_entries + o->n_entries);
    for (unsigned i = 0; i < o->n_entries; i++) {
        m->entries[m->n_entries++] = o->entries[i];
    }
    char *t = g_strconcat(m->text, ",", o->text, NULL);
    g_free(m->text);
    m->text = t;
    o->n_entries = 0;
}

static void set_accel_one(CommandLine *cl, const char *option,
                          const char *value);

/*
 * accel=kvm:tcg and repeated -accel: the first that works.  tcg is not
 * vmu's: it is passed over, and refused only when nothing else is given.
 */
static void set_accel(CommandLine *cl, const char *option, const char *value)
{
    static GPtrArray *kept;     /* a fail() below does not come back */
    char **list = g_strsplit(value, ":", -1);
    if (!kept) {
        kept = g_ptr_array_new();
    }
    g_ptr_array_add(kept, list);
    for (unsigned i = 0; list[i]; i++) {
        if (!strcmp(list[i], "tcg")) {
            if (!cl->tcg_option) {
                cl->tcg_option = g_strdup(option);
            }
            continue;
        }
        set_accel_one(cl, option, list[i]);
    }
}

static void set_accel_one(CommandLine *cl, const char *option,
                          const char *value)
{
    Error *err = NULL;
    const char *sep = option[strlen(option) - 1] == '=' ? "" : " ";
    if (strcmp(value, "kvm") && strcmp(value, "qtest")) {
        const char *accels[] = { "kvm", "qtest" };
        const char *near = did_you_mean(value, accels, 2);
        error_setg(&err, "%s%s%s: unknown accelerator '%s'%s%s%s (known: "
                   "kvm, qtest)", option, sep, value, value, near ? "; did you mean '" :
                   "", near ? near : "", near ? "'?" : "");
        fail(err);
    }
    if (cl->accel && strcmp(cl->accel, value)) {
        error_setg(&err, "%s%s%s: conflicts with the accelerator chosen "
                   "before (%s); give one", option, sep, value, cl->accel);
        fail(err);
    }
    if (!cl->accel) {
        cl->accel = g_strdup(value);    /* kept until exit */
    }
}

/*
 * -debugcon SPEC: QEMU's shorthand for a chardev and an isa-debugcon at
 * 0xe9; both go on the -chardev/-device lists and are checked there.
 */
static void add_debugcon(const char *spec)
{
    static unsigned n;
    Error *err = NULL;
    char *id = g_strdup_printf("debugcon%u", n++);
    const char *chr = id;
    char *chardev = NULL;
    if (g_str_has_prefix(spec, "file:") && spec[5] && !strchr(spec, ',')) {
        chardev = g_strdup_printf("file,id=%s,path=%s", id, spec + 5);
    } else if (!strcmp(spec, "stdio") || !strcmp(spec, "null")) {
        chardev = g_strdup_printf("%s,id=%s", spec, id);
    } else if (g_str_has_prefix(spec, "chardev:") && spec[8]) {
        chr = spec + 8;
    } else {
        error_setg(&err, "-debugcon %s: use file:PATH (without ','), stdio, "
                   "null or chardev:ID", spec);
        g_free(id);     /* fail() does not return here */
        fail(err);
    }
    if (chardev) {
        g_ptr_array_add(opt_lists[TYPE_KIND_CHARDEV],
                        parse_or_fail("-debugcon", chardev, "backend"));
    }
    char *dev = g_strdup_printf("isa-debugcon,chardev=%s", chr);
    g_ptr_array_add(opt_lists[TYPE_KIND_DEVICE],
                    parse_or_fail("-debugcon", dev, "driver"));
    g_free(dev);
    g_free(chardev);
    g_free(id);
}

/*
 * -serial SPEC: QEMU's shorthand for a chardev "serialN" and an isa-serial
 * at the next COM port; "none" makes no port (and takes no index).
 */
static void add_serial(CommandLine *cl, const char *spec)
{
    static unsigned n;
    Error *err = NULL;
    const char *chr = NULL;

    g_ptr_array_add(cl->serials, (gpointer)spec);
    if (!strcmp(spec, "none")) {
        return;
    }
    if (n == 4) {
        error_setg(&err, "-serial %s: vmu has four serial ports (COM1 to "
                   "COM4); give -serial at most four times", spec);
        fail(err);
    }
    char *id = g_strdup_printf("serial%u", n);
    char *chardev = chardev_serial_opts(spec, id, &chr, &err);
    if (!chr) {
        g_free(id);     /* fail() does not return here */
        fail(err);
    }
    /* Errors found later quote what the user wrote, not these options. */
    if (chardev) {
        Opts *c = parse_or_fail("-serial", chardev, "backend");
        g_free(c->text);
        c->text = g_strdup(spec);
        g_ptr_array_add(opt_lists[TYPE_KIND_CHARDEV], c);
    }
    char *dev = g_strdup_printf("isa-serial,chardev=%s,index=%u", chr, n++);
    Opts *d = parse_or_fail("-serial", dev, "driver");
    g_free(d->text);
    d->text = g_strdup(spec);
    g_ptr_array_add(opt_lists[TYPE_KIND_DEVICE], d);
    g_free(dev);
    g_free(chardev);
    g_free(id);
}

static void option_name(CommandLine *cl, const char *val)
{
    Error *err = NULL;
    Opts *n = parse_or_fail("-name", val, "guest");
    if (!opts_validate(n, "-name", name_desc, NULL, &err)) {
        fail(err);
    }
    cl->ms.name = opts_get(n, "guest");
    cl->ms.debug_threads = opts_get_bool(n, "debug-threads", false);
    cl->process_name = opts_get(n, "process");
    if (cl->process_name && !*cl->process_name) {
        opts_error(n, &err, "process= needs a name");
        fail(err);
    }
}

static void option_accel(CommandLine *cl, const char *val)
{
    Opts *a = parse_or_fail("-accel", val, "accel");
    Error *e = NULL;
    static const OptDesc accel_desc[] = {
        { "accel", OPT_STRING, "kvm or qtest" },
        { "kernel-irqchip", OPT_STRING, "on" },
        { 0 },
    };
    if (!opts_validate(a, "-accel", accel_desc, NULL, &e)) {
        fail(e);
    }
    set_accel(cl, "-accel", opts_get_str(a, "accel", ""));
}

static void option_cpu(CommandLine *cl, const char *val)
{
    Error *err = NULL;
    char **parts = g_strsplit(val, ",", -1);
    /* "-cpu ''" splits into no part at all. */
    const char *model = parts[0] ? parts[0] : "";
    if (strcmp(model, "host") && strcmp(model, "max")) {
        const char *models[] = { "host", "max" };
        const char *near = did_you_mean(model, models, 2);
        error_setg(&err, "-cpu %s: unknown CPU model '%s'%s%s%s "
                   "(vmu gives the guest the host CPU: use host or "
                   "max)", val, model, near ? "; did you mean '" :
                   "", near ? near : "", near ? "'?" : "");
        g_strfreev(parts);
        fail(err);
    }
    for (unsigned k = 1; parts[k]; k++) {
        const char *f = parts[k];
        if (!(f[0] == '+' || f[0] == '-' || strchr(f, '=')) ||
            !f[1]) {
            error_setg(&err, "-cpu %s: bad feature switch '%s': write "
                       "+FEATURE, -FEATURE or FEATURE=on|off", val, f);
            g_strfreev(parts);
            fail(err);
        }
    }
    g_strfreev(parts);
    cl->ms.cpu_model = val;
}

static void option_smp(CommandLine *cl, const char *val)
{
    Error *err = NULL;
    Opts *s = parse_or_fail("-smp", val, "cpus");
    if (!opts_validate(s, "-smp", smp_desc, NULL, &err)) {
        opts_free(s);
        fail(err);
    }
    uint64_t cpus = opts_get_number(s, "cpus", 0);
    if (!opts_has(s, "cpus")) {
        cpus = opts_get_number(s, "sockets", 1) *
               opts_get_number(s, "dies", 1) *
               opts_get_number(s, "cores", 1) *
               opts_get_number(s, "threads", 1);
    }
    if (cpus < 1 || cpus > 255) {
        opts_error(s, &err, "the number of vCPUs must be 1 to 255, "
                   "not %" G_GUINT64_FORMAT, cpus);
        opts_free(s);
        fail(err);
    }
    if (opts_has(s, "maxcpus") &&
        opts_get_number(s, "maxcpus", 0) != cpus) {
        opts_error(s, &err, "vmu has no CPU hotplug: maxcpus must "
                   "equal cpus (%" G_GUINT64_FORMAT ")", cpus);
        opts_free(s);
        fail(err);
    }
    cl->ms.smp_cpus = cpus;
}

static void option_memory(CommandLine *cl, const char *val)
{
    Error *err = NULL;
    Opts *m = parse_or_fail("-m", val, "size");
    if (!opts_validate(m, "-m", mem_desc, NULL, &err)) {
        fail(err);
    }
    const char *size = opts_get(m, "size");
    uint64_t bytes;
    if (!size || !parse_size(size, 1 << 20, &bytes) || !bytes) {
        opts_error(m, &err, "invalid RAM size '%s': give MiB (512) "
                   "or a size with a suffix (512M, 4G)",
                   size ? size : "");
        fail(err);
    }
    if (bytes < (2 << 20) || bytes % 4096) {
        opts_error(m, &err, "guest RAM must be at least 2 MiB and a "
                   "multiple of 4 KiB");
        fail(err);
    }
    cl->ms.ram_size = bytes;
    cl->ram_size_text = val;
}

static void option_object(const char *val)
{
    Error *err = NULL;
    Opts *ob = parse_or_fail("-object", val, "qom-type");
    int c = compat_object(ob, &err);
    if (c < 0) {
        fail(err);
    }
    if (c == 0) {
        g_ptr_array_add(opt_lists[TYPE_KIND_OBJECT], ob);
    }
}

static void option_device(const char *val)
{
    Error *err = NULL;
    Opts *d = parse_or_fail("-device", val, "driver");
    drive_device_rewrite(d);
    int c = compat_device(d, &err);
    if (c < 0) {
        fail(err);
    }
    if (c == 0) {
        g_ptr_array_add(opt_lists[TYPE_KIND_DEVICE], d);
    }
}

static void option_numa(CommandLine *cl, const char *val)
{
    Error *err = NULL;
    Opts *n = parse_or_fail("-numa", val, "type");
    if (strcmp(opts_get_str(n, "type", ""), "node")) {
        opts_error(n, &err, "only '-numa node,memdev=ID' is "
                   "supported");
        fail(err);
    }
    if (!opts_validate(n, "-numa", numa_desc, NULL, &err)) {
        fail(err);
    }
    if (cl->numa) {
        opts_error(n, &err, "vmu supports one NUMA node; put all "
                   "guest RAM in one memory backend");
        fail(err);
    }
    if (opts_get_number(n, "nodeid", 0) != 0) {
        opts_error(n, &err, "the only NUMA node is node 0");
        fail(err);
    }
    if (!opts_has(n, "memdev")) {
        opts_error(n, &err, "give the node's memory with "
                   "memdev=ID (a -object memory-backend-*)");
        fail(err);
    }
    cl->numa = n;
}

/* The machine, its memory and what it boots: true if o is one of those. */
static bool option_apply_machine(CommandLine *cl, const OptionInfo *o,
                                 const char *val)
{
    Error *err = NULL;
    switch (o->id) {
    case OPTION_MACHINE:
        merge_machine(cl, val);
        return true;
    case OPTION_ACCEL:
        option_accel(cl, val);
        return true;
    case OPTION_ENABLE_KVM:
        set_accel(cl, "-enable-kvm", "kvm");
        return true;
    case OPTION_CPU:
        option_cpu(cl, val);
        return true;
    case OPTION_SMP:
        option_smp(cl, val);
        return true;
    case OPTION_MEMORY:
        option_memory(cl, val);
        return true;
    case OPTION_NUMA:
        option_numa(cl, val);
        return true;
    case OPTION_MEM_PATH:
        cl->mem_path = parse_or_fail("-mem-path", val, "path");
        if (!opts_validate(cl->mem_path, "-mem-path", mem_path_desc, NULL,
                           &err)) {
            fail(err);
        }
        return true;
    case OPTION_MEM_PREALLOC:
        cl->ms.mem_prealloc = true;
        return true;
    case OPTION_KERNEL:
        cl->ms.kernel = val;
        return true;
    case OPTION_INITRD:
        cl->ms.initrd = val;
        return true;
    case OPTION_APPEND:
        cl->ms.append = val;
        return true;
    case OPTION_BOOT:
        if (!pc_boot_option_add(val, &err)) {
            fail(err);
        }
        return true;
    case OPTION_BIOS:
        cl->ms.bios = val;
        return true;
    case OPTION_BIOS_DIR:
        cl->ms.bios_dir = val;
        return true;
    case OPTION_FW_CFG:
        if (!fw_cfg_option_add(val, &err)) {
            fail(err);
        }
        return true;
    case OPTION_NO_REBOOT:
        cl->ms.no_reboot = true;
        return true;
    case OPTION_NOGRAPHIC:
        cl->ms.nographic = true;
        return true;
    case OPTION_NODEFAULTS:
        cl->ms.nodefaults = true;
        return true;
    case OPTION_NO_USER_CONFIG:
        return true;
    default:
        return false;
    }
}

/* Backends and devices (listed for the checks): true if o is one. */
static bool option_apply_devices(CommandLine *cl, const OptionInfo *o,
                                 const char *arg, const char *val)
{
    Error *err = NULL;
    switch (o->id) {
    case OPTION_OBJECT:
        option_object(val);
        return true;
    case OPTION_CHARDEV: {
        Opts *c = parse_or_fail("-chardev", val, "backend");
        if (compat_chardev(c, &err) < 0) {
            fail(err);
        }
        g_ptr_array_add(opt_lists[TYPE_KIND_CHARDEV], c);
        return true;
    }
    case OPTION_NETDEV:
        g_ptr_array_add(opt_lists[TYPE_KIND_NETDEV],
                        parse_or_fail("-netdev", val, "type"));
        return true;
    case OPTION_DRIVE:
        if (!drive_add(val, &err)) {
            fail(err);
        }
        return true;
    case OPTION_BLOCKDEV:
        if (!blockdev_add(val, &err)) {
            fail(err);
        }
        return true;
    case OPTION_HDA:
    case OPTION_HDB:
    case OPTION_HDC:
    case OPTION_HDD:
        if (!drive_add_hd(o->id - OPTION_HDA, arg, val, &err)) {
            fail(err);
        }
        return true;
    case OPTION_SNAPSHOT:
        drive_snapshot_all();
        return true;
    case OPTION_NIC:
        if (!net_legacy_add_nic(val, &err)) {
            fail(err);
        }
        return true;
    case OPTION_NET:
        if (!net_legacy_add_net(val, &err)) {
            fail(err);
        }
        return true;
    case OPTION_DEVICE:
        option_device(val);
        return true;
    case OPTION_DEBUGCON:
        add_debugcon(val);
        return true;
    case OPTION_SERIAL:
        add_serial(cl, val);
        return true;
    case OPTION_MONITOR:
    case OPTION_QMP:
    case OPTION_QMP_PRETTY:
    case OPTION_MON:
        if (!monitor_option_add(arg, val, &err)) {
            fail(err);
        }
        return true;
    default:
        return false;
    }
}

/* The process itself: help, names, start-up, tracing: true if o is one. */
static bool option_apply_process(CommandLine *cl, const OptionInfo *o,
                                 const char *val)
{
    Error *err = NULL;
    switch (o->id) {
    case OPTION_HELP:
        problems_stop_if_any();
        help();
        exit(0);
    case OPTION_VERSION:
        problems_stop_if_any();
        printf("vmu version %s\n", VMU_VERSION);
        exit(0);
    case OPTION_NAME:
        option_name(cl, val);
        return true;
    case OPTION_START_PAUSED:
        cl->start_paused = true;
        return true;
    case OPTION_NO_SHUTDOWN:
        cl->no_shutdown = true;
        return true;
    case OPTION_QTEST:
        if (!g_str_has_prefix(val, "unix:") || !val[5]) {
            error_setg(&err, "-qtest %s: only 'unix:PATH' is supported "
                       "(the test listens on PATH and vmu connects)",
                       val);
            fail(err);
        }
        cl->ms.qtest = val + 5;
        return true;
    case OPTION_TRACE:
        if (!strcmp(val, "help")) {
            trace_list_events();
            exit(0);
        }
        if (!trace_parse_option(val, &err)) {
            fail(err);
        }
        return true;
    case OPTION_PIDFILE:
        cl->pidfile = val;
        return true;
    case OPTION_ADD_FD:
        if (!fdset_add_option(val, &err)) {
            fail(err);
        }
        return true;
    case OPTION_DAEMONIZE:
        cl->daemonize = true;
        return true;
    default:
        return false;
    }
}

/* An option vmu does not know: the nearest one it does, if any. */
static void option_unknown(const char *arg, const char *name)
{
    Error *err = NULL;
    const char **names = g_new0(const char *, G_N_ELEMENTS(options));
    unsigned n = 0;
    for (unsigned k = 0; k < G_N_ELEMENTS(options); k++) {
        if (options[k].name) {
            names[n++] = options[k].name;
        }
    }
    const char *near = did_you_mean(name, names, n);
    if (near) {
        error_setg(&err, "%s: invalid option; did you mean -%s? "
                   "(-help lists them)", arg, near);
    } else {
        error_setg(&err, "%s: invalid option (-help lists the "
                   "options vmu supports)", arg);
    }
    g_free(names);
    fail(err);
}

static void parse_args(CommandLine *cl, int argc, char **argv)
{
    /* volatile: a fail() jumps back into this loop (see collect_jmp) */
    for (volatile int i = 1; i < argc; i++) {
        sigjmp_buf jb;
        if (sigsetjmp(jb, 0)) {
            continue;
        }
        collect_jmp = &jb;
        Error *err = NULL;
        const char *arg = argv[i];
        if (arg[0] != '-' || !arg[1]) {
            /* A bare image, as QEMU takes it: -hda IMAGE. */
            if (!drive_add_hd(0, "image argument", arg, &err)) {
                fail(err);
            }
            continue;
        }
        const char *name = arg + 1 + (arg[1] == '-');
        const OptionInfo *o = option_lookup(name);
        bool unimpl_arg;
        if (!o && compat_unimplemented(name, &unimpl_arg, &err)) {
            if (unimpl_arg && i + 1 < argc) {
                i++;
            }
            fail(err);
        }
        if (!o) {
            /* Its argument, if it has one, is no problem of its own. */
            if (i + 1 < argc && argv[i + 1][0] != '-') {
                i++;
            }
            option_unknown(arg, name);
        }
        const char *val = NULL;
        if (o->takes_arg) {
            if (i + 1 >= argc) {
                error_setg(&err, "%s: requires an argument: %s", arg,
                           o->synopsis);
                fail(err);
            }
            val = argv[++i];
        }
        if (!option_apply_machine(cl, o, val) &&
            !option_apply_devices(cl, o, arg, val) &&
            !option_apply_process(cl, o, val) &&
            /* -display, -vga and the "Accepted for compatibility" ones */
            !compat_option(o->name, val, &err)) {
            fail(err);
        }
    }
    collect_jmp = NULL;
}

/* Phase 1: every option checked against its type; nothing created yet. */
static void check_machine(void *opaque)
{
    CommandLine *cl = opaque;
    Error *err = NULL;
    MachineState *ms = &cl->ms;

    if (cl->machine) {
        if (!opts_validate(cl->machine, "-machine", machine_desc, NULL,
                           &err) || !compat_machine(cl->machine, &err)) {
            fail(err);
        }
        const char *type = opts_get_str(cl->machine, "type", "pc");
        if (!strcmp(type, "help")) {
            printf("Supported machines:\npc    standard PC (i440FX-like "
                   "layout, PCI bus 0)\nnone  no guest (capability "
                   "probes)\n");
            exit(0);
        }
        cl->machine_none = !strcmp(type, "none");
        if (strcmp(type, "pc") && !g_str_has_prefix(type, "pc-i440fx") &&
            strcmp(type, "pc-i440fx") && !cl->machine_none) {
            opts_error(cl->machine, &err, "unsupported machine type '%s': "
                       "vmu has only 'pc'%s", type,
                       !strcmp(type, "q35") || !strcmp(type, "microvm") ?
                       " (not supported yet)" : "");
            fail(err);
        }
        if (opts_has(cl->machine, "accel")) {
            set_accel(cl, "-machine accel=",
                      opts_get_str(cl->machine, "accel", ""));
        }
        const char *irqchip = opts_get(cl->machine, "kernel-irqchip");
        if (irqchip && strcmp(irqchip, "on")) {
            opts_error(cl->machine, &err, "kernel-irqchip=%s: vmu always "
                       "uses KVM's in-kernel irqchip; use kernel-irqchip=on "
                       "or leave it out", irqchip);
            fail(err);
        }
        if (opts_has(cl->machine, "usb") &&
            opts_get_bool(cl->machine, "usb", false)) {
            opts_error(cl->machine, &err, "vmu has no USB; use usb=off or "
                       "leave it out");
            fail(err);
        }
        ms->memory_backend = opts_get(cl->machine, "memory-backend");
    }
}

static void check_memory(void *opaque);

/* -machine none: no bus, no RAM layout, no firmware: nothing to plug. */
static void machine_none_check(CommandLine *cl)
{
    Error *err = NULL;
    static const TypeKind kinds[] = { TYPE_KIND_NETDEV, TYPE_KIND_DEVICE };
    for (unsigned i = 0; i < G_N_ELEMENTS(kinds); i++) {
        GPtrArray *a = opt_lists[kinds[i]];
        if (a->len) {
            const Opts *o = g_ptr_array_index(a, 0);
            opts_error(o, &err, "-machine none has no guest and no bus to "
                       "put this on; use -machine pc");
            fail(err);
        }
    }
    if (cl->ms.kernel || cl->serials->len) {
        error_setg(&err, "-machine none runs no guest: leave out %s, or "
                   "use -machine pc", cl->ms.kernel ? "-kernel" : "-serial");
        fail(err);
    }
}

/* -daemonize lets go of stdio: nothing may use it then. */
static void daemonize_check(CommandLine *cl)
{
    Error *err = NULL;
    GPtrArray *a = opt_lists[TYPE_KIND_CHARDEV];
    for (unsigned i = 0; i < a->len; i++) {
        const Opts *o = g_ptr_array_index(a, i);
        if (!strcmp(options_type(TYPE_KIND_CHARDEV, o), "stdio")) {
            opts_error(o, &err, "stdio cannot be used with -daemonize (the "
                       "daemon closes it); use a socket, pty or file");
            fail(err);
        }
    }
    if (!cl->machine_none && !cl->ms.nodefaults && !cl->serials->len &&
        strcmp(cl->ms.accel, "qtest")) {
        error_setg(&err, "-daemonize: the default serial port is on stdio, "
                   "which the daemon closes; add -nodefaults or -serial "
                   "with a socket, pty or file");
        fail(err);
    }
}

static void check_all(CommandLine *cl)
{
    Error *err = NULL;
    MachineState *ms = &cl->ms;

    problems_collect(check_machine, cl);
    drive_check_all(problem_report);
    if (!cl->accel && cl->tcg_option) {
        const char *o = cl->tcg_option;
        error_setg(&err, "%s%stcg: vmu has no emulator; use accel=kvm, or "
                   "accel=qtest for guestless tests", o,
                   o[strlen(o) - 1] == '=' ? "" : " ");
        problem_report(err);
        err = NULL;
    }
    ms->type = cl->machine_none ? "none" : "pc";
    ms->accel = cl->accel ? cl->accel : "kvm";
    if (!ms->smp_cpus) {
        ms->smp_cpus = 1;
    }
    if (!ms->cpu_model) {
        ms->cpu_model = "host";
    }

    for (TypeKind k = 0; k < TYPE_KIND_MAX; k++) {
        GPtrArray *a = opt_lists[k];
        for (unsigned i = 0; i < a->len; i++) {
            if (!check_typed(k, g_ptr_array_index(a, i), &err)) {
                cl->objects_bad |= k == TYPE_KIND_OBJECT;
                problem_report(err);
                err = NULL;
            }
        }
    }
    problems_collect(check_memory, cl);
    if (!monitor_check(&err)) {
        problem_report(err);
    }
}

static void check_memory(void *opaque)
{
    CommandLine *cl = opaque;
    Error *err = NULL;
    MachineState *ms = &cl->ms;

    /* Where guest RAM comes from. */
    const char *memdev = NULL;
    const char *memdev_from = NULL;
    if (cl->numa) {
        memdev = opts_get(cl->numa, "memdev");
        memdev_from = "-numa node,memdev=";
    }
    if (ms->memory_backend) {
        if (memdev && strcmp(memdev, ms->memory_backend)) {
            error_setg(&err, "-machine memory-backend=%s and -numa node,"
                       "memdev=%s name different backends; give one",
                       ms->memory_backend, memdev);
            fail(err);
        }
        memdev = ms->memory_backend;
        memdev_from = "-machine memory-backend=";
    }
    if (memdev) {
        const Opts *be = options_find(TYPE_KIND_OBJECT, memdev);
        if (!be) {
            error_setg(&err, "%s%s: there is no memory backend with that id; "
                       "add -object memory-backend-memfd,id=%s,size=SIZE,"
                       "share=on", memdev_from, memdev, memdev);
            fail(err);
        }
        if (cl->mem_path) {
            error_setg(&err, "-mem-path and %s%s both give guest RAM; use "
                       "one", memdev_from, memdev);
            fail(err);
        }
        uint64_t size = opts_get_size(be, "size", 0);
        if (cl->ram_size_text && size != ms->ram_size && !cl->objects_bad) {
            error_setg(&err, "-m %s does not match the size of memory "
                       "backend '%s' (%" G_GUINT64_FORMAT " MiB): make them "
                       "equal or leave out -m", cl->ram_size_text, memdev,
                       size >> 20);
            fail(err);
        }
        ms->ram_size = size;
        ms->memory_backend = memdev;
    }
    if (!ms->ram_size) {
        ms->ram_size = 128ULL << 20;
    }
    if (cl->mem_path) {
        ms->mem_path = opts_get(cl->mem_path, "path");
        if (!ms->mem_path || !*ms->mem_path) {
            error_setg(&err, "-mem-path: give a directory (a hugetlbfs "
                       "mount) or a file");
            fail(err);
        }
        ms->mem_path_share = opts_get_bool(cl->mem_path, "share", false);
        if (opts_get_bool(cl->mem_path, "prealloc", false)) {
            ms->mem_prealloc = true;
        }
    }
    if (ms->qtest && strcmp(ms->accel, "qtest")) {
        if (cl->accel) {
            error_setg(&err, "-qtest needs the qtest accelerator, not %s: "
                       "use -machine pc,accel=qtest", ms->accel);
            fail(err);
        }
        ms->accel = "qtest";
    }
    if (!strcmp(ms->accel, "qtest") && !ms->qtest) {
        error_setg(&err, "accel=qtest needs -qtest unix:PATH (the test "
                   "program that drives the machine)");
        fail(err);
    }
    if (ms->initrd && !ms->kernel) {
        error_setg(&err, "-initrd %s needs -kernel", ms->initrd);
        fail(err);
    }
    if (ms->append && !ms->kernel) {
        error_setg(&err, "-append needs -kernel");
        fail(err);
    }
}

static void create_kind(TypeKind kind)
{
    GPtrArray *a = opt_lists[kind];
    for (unsigned i = 0; i < a->len; i++) {
        const Opts *o = g_ptr_array_index(a, i);
        const TypeInfo *ti = type_lookup(kind, options_type(kind, o));
        Error *err = NULL;
        if (!ti->create) {
            opts_error(o, &err, "%s type '%s' is not supported yet",
                       type_kind_name(kind), ti->name);
            fail(err);
        }
        if (!ti->create(o, &err)) {
            fail(err);
        }
    }
}

static char *pidfile_path;
static struct stat pidfile_st;

/* Only the file vmu wrote: never /dev/null or a file put there since. */
static void pidfile_remove(void *opaque)
{
    struct stat st;
    if (stat(pidfile_path, &st) == 0 && st.st_dev == pidfile_st.st_dev &&
        st.st_ino == pidfile_st.st_ino) {
        unlink(pidfile_path);
    }
}

static void pidfile_write(const char *path)
{
    static ExitNotifier n = { pidfile_remove, NULL, NULL };
    Error *err = NULL;
    struct stat st;
    /*
     * The pidfile is removed at exit, so it must be a regular file:
     * "-pidfile /dev/null" would otherwise delete /dev/null.  O_NONBLOCK
     * keeps a FIFO there from blocking start-up; no O_TRUNC before the
     * check.
     */
    if (stat(path, &st) == 0 && !S_ISREG(st.st_mode)) {
        error_setg(&err, "-pidfile %s: not a regular file; give a path for "
                   "vmu to write its pid to", path);
        fail(err);
    }
    int fd = fdset_open(path, O_WRONLY | O_CREAT | O_CLOEXEC | O_NONBLOCK,
                        0644);
    if (fd < 0) {
        error_setg_errno(&err, errno, "-pidfile %s: cannot create it", path);
        fail(err);
    }
    if (fstat(fd, &pidfile_st) < 0 || !S_ISREG(pidfile_st.st_mode)) {
        close(fd);
        error_setg(&err, "-pidfile %s: not a regular file; give a path for "
                   "vmu to write its pid to", path);
        fail(err);
    }
    char buf[32];
    int len = snprintf(buf, sizeof(buf), "%d\n", (int)getpid());
    if (ftruncate(fd, 0) < 0 || write(fd, buf, len) != len) {
        error_setg_errno(&err, errno, "-pidfile %s: cannot write it", path);
        close(fd);
        unlink(path);
        fail(err);
    }
    close(fd);
    pidfile_path = g_strdup(path);
    exit_notifier_add(&n);
}

int main(int argc, char **argv)
{
    static CommandLine cl;
    Error *err = NULL;

    error_set_progname("vmu");
    trace_set_thread_name("main");
    opt_lists = options_lists();
    type_keys = options_type_keys();
    cl.serials = g_ptr_array_new();

    parse_args(&cl, argc, argv);
    /* QEMU's -nographic: COM1 and an HMP monitor share the terminal. */
    if (cl.ms.nographic && !cl.serials->len && !cl.ms.nodefaults &&
        !monitor_options_given() && !cl.daemonize && !cl.ms.qtest &&
        (!cl.accel || strcmp(cl.accel, "qtest")) &&
        (!cl.machine || strcmp(opts_get_str(cl.machine, "type", "pc"),
                               "none"))) {
        add_serial(&cl, "mon:stdio");
    }
    fdset_close_originals();
    if (!net_legacy_finish(&err)) {
        problem_report(err);
        err = NULL;
    }
    compat_globals_apply();
    if (refs_broken) {
        problems_stop_if_any();
    }
    check_all(&cl);
    problems_stop_if_any();
    cl.ms.serial = cl.serials->len ? g_ptr_array_index(cl.serials, 0) : NULL;
    if (cl.machine_none) {
        machine_none_check(&cl);
    } else if (!pc_machine_check(&cl.ms, &err)) {
        fail(err);
    }
    if (cl.daemonize) {
        daemonize_check(&cl);
    }
    trace_check_patterns();

    if (cl.process_name) {
        /* The kernel keeps 15 bytes of it, as for QEMU's process=. */
        prctl(PR_SET_NAME, cl.process_name, 0, 0, 0);
    }
    current_machine = &cl.ms;
    MachineState *ms = &cl.ms;
    accel = accel_find(ms->accel);
    if (!accel) {
        error_setg(&err, "accelerator '%s' is not supported yet", ms->accel);
        fail(err);
    }
    if (cl.daemonize) {
        daemonize_start();
    }
    main_loop_init();
    if (!accel->init(ms, &err)) {
        fail(err);
    }
    create_kind(TYPE_KIND_OBJECT);
    if (!cl.machine_none && !pc_machine_init(ms, &err)) {
        fail(err);
    }
    create_kind(TYPE_KIND_CHARDEV);
    if (!monitors_create(&err)) {
        fail(err);
    }
    create_kind(TYPE_KIND_NETDEV);
    if (!drive_create_all(&err)) {
        fail(err);
    }
    create_kind(TYPE_KIND_DEVICE);
    if (!cl.machine_none && !pc_machine_done(ms, &err)) {
        fail(err);
    }
    if (cl.pidfile) {
        pidfile_write(cl.pidfile);
    }
    runstate_init(cl.start_paused, cl.no_shutdown);
    /* -machine none has no vCPU to start; qtest still needs its socket. */
    if ((!cl.machine_none || !strcmp(ms->accel, "qtest")) &&
        !accel->start(ms, &err)) {
        fail(err);
    }
    vmu_started = true;
    if (cl.daemonize) {
        daemonize_done();
    }
    int status = main_loop_run();
    if (accel->stop) {
        accel->stop();
    }
    exit_notifiers_run();
    return status;
}
