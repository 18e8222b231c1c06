/*
 * Named types behind -object, -chardev, -netdev and -device.  Each module
 * registers its types with type_init(); main.c checks every option against
 * its type's description before anything is created.
 */
#ifndef VMU_SYSTEM_REGISTRY_H
#define VMU_SYSTEM_REGISTRY_H

#include "util/opts.h"

typedef enum TypeKind {
    TYPE_KIND_OBJECT,
    TYPE_KIND_CHARDEV,
    TYPE_KIND_NETDEV,
    TYPE_KIND_DEVICE,
    TYPE_KIND_MAX,
} TypeKind;

typedef struct TypeInfo {
    TypeKind kind;
    const char *name;
    const char *help;
    const OptDesc *opts;    /* keys besides type/id/driver; NULL name ends */
    bool needs_id;
    /* Phase 1, no side effects: checks between keys.  May be NULL. */
    bool (*check)(const Opts *opts, Error **errp);
    /* Phase 2: create it.  NULL: accepted but "not supported yet". */
    bool (*create)(const Opts *opts, Error **errp);
} TypeInfo;

void type_register(const TypeInfo *info);
const TypeInfo *type_lookup(TypeKind kind, const char *name);
/* Names of a kind, sorted, NULL-terminated (g_free the array only). */
const char **type_names(TypeKind kind, unsigned *n);
const char *type_kind_name(TypeKind kind);

#define type_init(fn)                                                         \
    static void __attribute__((constructor)) fn##_register(void) { fn(); }

#endif
