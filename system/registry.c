/*
 * The type registry behind -object, -chardev, -netdev and -device.
 */
#include <glib.h>
#include <string.h>

#include "system/registry.h"

static GPtrArray *types[TYPE_KIND_MAX];

void type_register(const TypeInfo *info)
{
    if (!types[info->kind]) {
        types[info->kind] = g_ptr_array_new();
    }
    g_ptr_array_add(types[info->kind], (gpointer)info);
}

const TypeInfo *type_lookup(TypeKind kind, const char *name)
{
    GPtrArray *a = types[kind];
    for (unsigned i = 0; a && i < a->len; i++) {
        const TypeInfo *t = g_ptr_array_index(a, i);
        if (!strcmp(t->name, name)) {
            return t;
        }
    }
    return NULL;
}

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

const char **type_names(TypeKind kind, unsigned *n)
{
    GPtrArray *a = types[kind];
    unsigned len = a ? a->len : 0;
    const char **names = g_new0(const char *, len + 1);
    for (unsigned i = 0; i < len; i++) {
        names[i] = ((const TypeInfo *)g_ptr_array_index(a, i))->name;
    }
    qsort(names, len, sizeof(*names), cmp_str);
    if (n) {
        *n = len;
    }
    return names;
}

const char *type_kind_name(TypeKind kind)
{
    static const char *const names[] = {
        [TYPE_KIND_OBJECT] = "object",
        [TYPE_KIND_CHARDEV] = "chardev",
        [TYPE_KIND_NETDEV] = "netdev",
        [TYPE_KIND_DEVICE] = "device",
    };
    return names[kind];
}
