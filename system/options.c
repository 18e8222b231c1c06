/*
 * The parsed -object/-chardev/-netdev/-device options, by kind, so that
 * types can look each other up while they are checked and created.
 */
#include <glib.h>
#include <string.h>
#include <unistd.h>

#include "system/machine.h"
#include "system/main-loop.h"
#include "system/options.h"

bool vmu_started;
MachineState *current_machine;

static GPtrArray *lists[TYPE_KIND_MAX];
static const char *const type_keys[TYPE_KIND_MAX] = {
    [TYPE_KIND_OBJECT] = "qom-type",
    [TYPE_KIND_CHARDEV] = "backend",
    [TYPE_KIND_NETDEV] = "type",
    [TYPE_KIND_DEVICE] = "driver",
};

GPtrArray **options_lists(void)
{
    for (TypeKind k = 0; k < TYPE_KIND_MAX; k++) {
        if (!lists[k]) {
            lists[k] = g_ptr_array_new();
        }
    }
    return lists;
}

const char *const *options_type_keys(void)
{
    return type_keys;
}

const char *options_type(TypeKind kind, const Opts *opts)
{
    return opts_get(opts, type_keys[kind]);
}

const Opts *options_find(TypeKind kind, const char *id)
{
    GPtrArray *a = lists[kind];
    for (unsigned i = 0; a && i < a->len; i++) {
        const Opts *o = g_ptr_array_index(a, i);
        const char *oid = opts_get(o, "id");
        if (oid && !strcmp(oid, id)) {
            return o;
        }
    }
    return NULL;
}

typedef struct CreatedFile {
    ExitNotifier notifier;
    char *path;
} CreatedFile;

static void created_file_remove(void *opaque)
{
    CreatedFile *f = opaque;
    if (!vmu_started) {
        unlink(f->path);
    }
    g_free(f->path);
    g_free(f);
}

void startup_file_created(const char *path)
{
    CreatedFile *f = g_new0(CreatedFile, 1);
    f->path = g_strdup(path);
    f->notifier.fn = created_file_remove;
    f->notifier.opaque = f;
    exit_notifier_add(&f->notifier);
}
