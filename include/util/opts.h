/*
 * QEMU-style key=value option strings ("socket,id=c0,path=/tmp/s,,x"),
 * parsed into an ordered list and checked against a typed description.
 * Rules: ",," is a literal comma; a first element without '=' is the
 * implied key ("-netdev user,..." = "type=user"); a bare later key means
 * key=on (noKEY: KEY=off), with QEMU's deprecation warning, once per option
 * (not for -serial/-monitor/-qmp addresses, as QEMU); booleans are on/off/yes/no/true/false; sizes take K/M/G/T/P/E.
 * A trailing ',' is dropped with a warning; '{...}' is the JSON form.
 */
#ifndef VMU_UTIL_OPTS_H
#define VMU_UTIL_OPTS_H

#include <stdbool.h>
#include <stdint.h>
#include "util/error.h"

typedef enum OptType {
    OPT_STRING,
    OPT_BOOL,
    OPT_NUMBER,     /* unsigned integer, decimal or 0x hex */
    OPT_SIZE,       /* bytes, with an optional K/M/G/T/P/E suffix */
} OptType;

typedef struct OptDesc {
    const char *name;
    OptType type;
    const char *help;
} OptDesc;

typedef struct OptEntry {
    char *key;
    char *value;        /* NULL for a bare "key" (key=on, noKEY = KEY=off) */
} OptEntry;

typedef struct Opts {
    char *option;       /* "-netdev": used to prefix errors */
    char *text;         /* the text as the user wrote it */
    OptEntry *entries;
    unsigned n_entries;
} Opts;

/* Parse; errors name the option and the text. */
Opts *opts_parse(const char *option, const char *text, const char *implied_key,
                 Error **errp);
void opts_free(Opts *opts);
/*
 * QEMU's JSON form ('{"type":"user","id":"n0"}'), for -object, -netdev and
 * -device: members become entries (booleans on/off, numbers in decimal);
 * a syntax error names its line and column.  opts_parse calls it for a
 * text that starts with '{'.
 */
Opts *opts_parse_json(const char *option, const char *text, Error **errp);
/* The same, with nested objects as dotted keys ({"file":{"driver":"file"}}
 * is file.driver=file) and null as "": -blockdev's JSON form. */
Opts *opts_parse_json_tree(const char *option, const char *text,
                           Error **errp);

/*
 * Check every key against desc (terminated by a NULL name) plus the names
 * in 'common' (may be NULL), and every value against its type.  'what'
 * names the thing described ("netdev type 'vhost-user'") in the error,
 * which lists the allowed keys and suggests the nearest one.
 */
bool opts_validate(const Opts *opts, const char *what, const OptDesc *desc,
                   const char *const *common, Error **errp);

/* Value of the last occurrence of key, or NULL. */
const char *opts_get(const Opts *opts, const char *key);
bool opts_has(const Opts *opts, const char *key);
/* Typed getters; call after opts_validate (a bad value gives def). */
const char *opts_get_str(const Opts *opts, const char *key, const char *def);
bool opts_get_bool(const Opts *opts, const char *key, bool def);
uint64_t opts_get_number(const Opts *opts, const char *key, uint64_t def);
uint64_t opts_get_size(const Opts *opts, const char *key, uint64_t def);

/* Set an error prefixed with "OPTION TEXT: ". */
void opts_error(const Opts *opts, Error **errp, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* Value parsers shared by the getters and the command line. */
bool parse_bool(const char *s, bool *out);
/* default_unit: multiplier when no suffix is given (1, or 1 MiB for -m). */
bool parse_size(const char *s, uint64_t default_unit, uint64_t *out);
bool parse_uint(const char *s, uint64_t *out);

/* The candidate nearest to word (edit distance), or NULL if none is close. */
const char *did_you_mean(const char *word, const char *const *candidates,
                         unsigned n);

#endif
