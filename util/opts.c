/*
 * key=value option strings with QEMU's rules, and their typed checks.
 */
#include <ctype.h>
#include <errno.h>
#include <glib.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/opts.h"

void opts_error(const Opts *opts, Error **errp, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    char *msg = g_strdup_vprintf(fmt, ap);
    va_end(ap);
    if (opts->text && *opts->text) {
        error_setg(errp, "%s %s: %s", opts->option, opts->text, msg);
    } else {
        error_setg(errp, "%s: %s", opts->option, msg);
    }
    g_free(msg);
}

/* Read a value up to a single ',' ("a,,b" is "a,b"); returns the end. */
static const char *read_value(const char *p, GString *out)
{
    while (*p) {
        if (*p == ',') {
            if (p[1] != ',') {
                break;
            }
            p++;
        }
        g_string_append_c(out, *p++);
    }
    return p;
}

/*
 * QEMU's legacy chardev addresses (-serial tcp::4444,server,nowait, -qmp
 * unix:PATH,server,nowait) take bare flags without a warning: so does vmu.
 */
static bool takes_legacy_flags(const char *option)
{
    static const char *const legacy[] = {
        "-serial", "-monitor", "-qmp", "-debugcon", "-parallel", "-gdb",
    };
    for (unsigned i = 0; i < G_N_ELEMENTS(legacy); i++) {
        if (!strcmp(option, legacy[i])) {
            return true;
        }
    }
    return false;
}

/*
 * A bare later key ("server", "nowait") is a short-form boolean: QEMU 6.0
 * and later accept it with a deprecation warning, one per key.  vmu
 * accepts it too and warns once per option, naming every such key (each
 * once) and the spelling to write instead.
 */
static void warn_short_booleans(const Opts *opts)
{
    GString *keys = g_string_new(NULL);
    GString *fix = g_string_new(NULL);
    GPtrArray *seen = g_ptr_array_new();
    for (unsigned i = 0; i < opts->n_entries; i++) {
        const char *key = opts->entries[i].key;
        if (opts->entries[i].value || !strcmp(key, "help") ||
            !strcmp(key, "?")) {
            continue;
        }
        bool dup = false;
        for (unsigned j = 0; j < seen->len && !dup; j++) {
            dup = !strcmp(seen->pdata[j], key);
        }
        if (dup) {
            continue;
        }
        g_ptr_array_add(seen, (gpointer)key);
        bool off = !strncmp(key, "no", 2) && key[2];
        g_string_append_printf(keys, "%s'%s'", keys->len ? ", " : "", key);
        g_string_append_printf(fix, "%s%s=%s", fix->len ? "," : "",
                               off ? key + 2 : key, off ? "off" : "on");
    }
    if (seen->len) {
        warn_report("%s %s: short-form boolean%s %s %s deprecated, as in "
                    "QEMU; write %s instead", opts->option, opts->text,
                    seen->len > 1 ? "s" : "", keys->str,
                    seen->len > 1 ? "are" : "is", fix->str);
    }
    g_ptr_array_free(seen, TRUE);
    g_string_free(keys, TRUE);
    g_string_free(fix, TRUE);
}

Opts *opts_parse(const char *option, const char *text, const char *implied_key,
                 Error **errp)
{
    Opts *opts = g_new0(Opts, 1);
    opts->option = g_strdup(option);
    opts->text = g_strdup(text);
    GArray *entries = g_array_new(FALSE, TRUE, sizeof(OptEntry));
    const char *p = text;
    bool first = true;

    char lead = text[strspn(text, " \t\n")];
    if (lead == '{' || lead == '[') {
        g_array_free(entries, TRUE);
        opts_free(opts);
        /* QEMU has a JSON form for these (and -blockdev, which vmu lacks) */
        if (!strcmp(option, "-object") || !strcmp(option, "-netdev") ||
            !strcmp(option, "-device") || !strcmp(option, "-audiodev")) {
            return opts_parse_json(option, text, errp);
        }
        error_setg(errp, "%s %s: %s has no JSON form; write KEY=VALUE,...",
                   option, text, option);
        return NULL;
    }
    while (*p) {
        size_t klen = strcspn(p, "=,");
        OptEntry e = { 0 };
        if (p[klen] == '=') {
            GString *v = g_string_new(NULL);
            e.key = g_strndup(p, klen);
            p = read_value(p + klen + 1, v);
            e.value = g_string_free(v, FALSE);
        } else if (first && implied_key) {
            GString *v = g_string_new(NULL);
            p = read_value(p, v);
            e.key = g_strdup(implied_key);
            e.value = g_string_free(v, FALSE);
        } else {
            e.key = g_strndup(p, klen);
            e.value = NULL;     /* bare key: resolved by opts_get */
            p += klen;
        }
        g_array_append_val(entries, e);
        if (!*e.key) {
            opts->entries = (OptEntry *)entries->data;
            opts->n_entries = entries->len;
            g_array_free(entries, FALSE);
            opts_error(opts, errp, "empty parameter name%s",
                       strchr(text, '=') ? " (a stray ',' or '=')" : "");
            opts_free(opts);
            return NULL;
        }
        first = false;
        if (*p == ',') {
            p++;
            if (!*p) {
                /* QEMU accepts it too; say so once, as QEMU's warnings do */
                warn_report("%s %s: a trailing ',' is ignored; remove it "
                            "(write ',,' for a comma inside a value)", option,
                            text);
            }
        }
    }
    opts->n_entries = entries->len;
    opts->entries = (OptEntry *)g_array_free(entries, FALSE);
    if (!takes_legacy_flags(option)) {
        warn_short_booleans(opts);
    }
    return opts;
}

void opts_free(Opts *opts)
{
    if (!opts) {
        return;
    }
    for (unsigned i = 0; i < opts->n_entries; i++) {
        g_free(opts->entries[i].key);
        g_free(opts->entries[i].value);
    }
    g_free(opts->entries);
    g_free(opts->option);
    g_free(opts->text);
    g_free(opts);
}

/* A bare "key" means key=on; a bare "noKEY" means KEY=off. */
const char *opts_get(const Opts *opts, const char *key)
{
    for (unsigned i = opts->n_entries; i-- > 0;) {
        const OptEntry *e = &opts->entries[i];
        if (!e->value) {
            if (!strcmp(e->key, key)) {
                return "on";
            }
            if (!strncmp(e->key, "no", 2) && !strcmp(e->key + 2, key)) {
                return "off";
            }
        } else if (!strcmp(e->key, key)) {
            return e->value;
        }
    }
    return NULL;
}

bool opts_has(const Opts *opts, const char *key)
{
    return opts_get(opts, key) != NULL;
}

bool parse_bool(const char *s, bool *out)
{
    static const char *const yes[] = { "on", "yes", "true", "y" };
    static const char *const no[] = { "off", "no", "false", "n" };
    for (unsigned i = 0; i < G_N_ELEMENTS(yes); i++) {
        if (!strcmp(s, yes[i])) {
            *out = true;
            return true;
        }
        if (!strcmp(s, no[i])) {
            *out = false;
            return true;
        }
    }
    return false;
}

bool parse_uint(const char *s, uint64_t *out)
{
    if (!*s || *s == '-' || *s == '+' || isspace((unsigned char)*s)) {
        return false;
    }
    char *end;
    errno = 0;
    unsigned long long v = strtoull(s, &end, 0);
    if (errno || *end) {
        return false;
    }
    *out = v;
    return true;
}

bool parse_size(const char *s, uint64_t default_unit, uint64_t *out)
{
    if (!*s || !(isdigit((unsigned char)*s) || *s == '.')) {
        return false;
    }
    char *end;
    errno = 0;
    uint64_t mult = default_unit;
    double v;
    if (s[0] == '0' && (s[1] == 'x' || s[1] == 'X')) {
        unsigned long long h = strtoull(s, &end, 16);
        if (errno || end == s + 2) {
            return false;
        }
        v = (double)h;
    } else {
        v = strtod(s, &end);
        if (errno || end == s) {
            return false;
        }
    }
    if (*end) {
        switch (toupper((unsigned char)*end)) {
        case 'B': mult = 1; break;
        case 'K': mult = 1ULL << 10; break;
        case 'M': mult = 1ULL << 20; break;
        case 'G': mult = 1ULL << 30; break;
        case 'T': mult = 1ULL << 40; break;
        case 'P': mult = 1ULL << 50; break;
        case 'E': mult = 1ULL << 60; break;
        default: return false;
        }
        end++;
        if (*end) {
            return false;
        }
    }
    double bytes = v * (double)mult;
    if (!isfinite(bytes) || bytes >= 18446744073709551616.0 ||
        bytes != floor(bytes)) {
        return false;
    }
    *out = (uint64_t)bytes;
    return true;
}

static unsigned edit_distance(const char *a, const char *b)
{
    size_t la = strlen(a), lb = strlen(b);
    unsigned *row = g_new(unsigned, lb + 1);
    for (size_t j = 0; j <= lb; j++) {
        row[j] = j;
    }
    for (size_t i = 1; i <= la; i++) {
        unsigned diag = row[0];
        row[0] = i;
        for (size_t j = 1; j <= lb; j++) {
            unsigned up = row[j];
            unsigned cost = a[i - 1] == b[j - 1] ? 0 : 1;
            unsigned best = MIN(row[j] + 1, row[j - 1] + 1);
            row[j] = MIN(best, diag + cost);
            diag = up;
        }
    }
    unsigned d = row[lb];
    g_free(row);
    return d;
}

const char *did_you_mean(const char *word, const char *const *candidates,
                         unsigned n)
{
    const char *best = NULL;
    unsigned best_d = ~0u;
    unsigned limit = MAX(2u, (unsigned)strlen(word) / 3);
    for (unsigned i = 0; i < n; i++) {
        unsigned d = edit_distance(word, candidates[i]);
        if (d < best_d) {
            best_d = d;
            best = candidates[i];
        }
    }
    return best && best_d <= limit &&
           best_d < MAX(strlen(word), strlen(best)) ? best : NULL;
}

static const OptDesc *find_desc(const OptDesc *desc, const char *key)
{
    for (; desc && desc->name; desc++) {
        size_t n = strlen(desc->name);
        if (!strcmp(desc->name, key) ||
            (n && desc->name[n - 1] == '*' &&
             !strncmp(desc->name, key, n - 1))) {
            return desc;    /* "x-*" names a family of keys */
        }
    }
    return NULL;
}

static bool in_list(const char *const *list, const char *key)
{
    for (; list && *list; list++) {
        if (!strcmp(*list, key)) {
            return true;
        }
    }
    return false;
}

static char *allowed_keys(const OptDesc *desc, const char *const *common,
                          GPtrArray *names)
{
    GString *s = g_string_new(NULL);
    for (; common && *common; common++) {
        g_string_append_printf(s, "%s%s", s->len ? ", " : "", *common);
        g_ptr_array_add(names, (gpointer)*common);
    }
    for (; desc && desc->name; desc++) {
        g_string_append_printf(s, "%s%s", s->len ? ", " : "", desc->name);
        g_ptr_array_add(names, (gpointer)desc->name);
    }
    return g_string_free(s, FALSE);
}

static const char *type_expectation(OptType t)
{
    switch (t) {
    case OPT_BOOL: return "on or off";
    case OPT_NUMBER: return "a non-negative integer";
    case OPT_SIZE: return "a size such as 4096, 512M or 2G";
    default: return "a string";
    }
}

bool opts_validate(const Opts *opts, const char *what, const OptDesc *desc,
                   const char *const *common, Error **errp)
{
    for (unsigned i = 0; i < opts->n_entries; i++) {
        const OptEntry *e = &opts->entries[i];
        const char *key = e->key;
        const OptDesc *d = find_desc(desc, key);
        if (!d && in_list(common, key)) {
            continue;
        }
        if (!d && !e->value && !strncmp(key, "no", 2)) {
            /* legacy "nowait" = "wait=off" */
            d = find_desc(desc, key + 2);
            if (d && d->type != OPT_BOOL) {
                d = NULL;
            }
        }
        if (!d) {
            GPtrArray *names = g_ptr_array_new();
            char *allowed = allowed_keys(desc, common, names);
            const char *near = did_you_mean(key, (const char *const *)
                                            names->pdata, names->len);
            if (near) {
                opts_error(opts, errp, "%s has no parameter '%s'; did you "
                           "mean '%s'? (allowed: %s)", what, key, near,
                           allowed);
            } else {
                opts_error(opts, errp, "%s has no parameter '%s' (allowed: "
                           "%s)", what, key, allowed);
            }
            g_free(allowed);
            g_ptr_array_free(names, TRUE);
            return false;
        }
        if (!e->value) {
            if (d->type == OPT_BOOL) {
                continue;
            }
            opts_error(opts, errp, "parameter '%s' needs a value: %s=<%s>",
                       key, key, type_expectation(d->type));
            return false;
        }
        bool ok = true;
        uint64_t u;
        bool b;
        switch (d->type) {
        case OPT_BOOL: ok = parse_bool(e->value, &b); break;
        case OPT_NUMBER: ok = parse_uint(e->value, &u); break;
        case OPT_SIZE: ok = parse_size(e->value, 1, &u); break;
        case OPT_STRING: ok = true; break;
        }
        if (!ok) {
            opts_error(opts, errp, "parameter '%s' expects %s, not '%s'",
                       key, type_expectation(d->type), e->value);
            return false;
        }
    }
    return true;
}

const char *opts_get_str(const Opts *opts, const char *key, const char *def)
{
    const char *v = opts_get(opts, key);
    return v ? v : def;
}

bool opts_get_bool(const Opts *opts, const char *key, bool def)
{
    const char *v = opts_get(opts, key);
    bool b;
    return v && parse_bool(v, &b) ? b : def;
}

uint64_t opts_get_number(const Opts *opts, const char *key, uint64_t def)
{
    const char *v = opts_get(opts, key);
    uint64_t u;
    return v && parse_uint(v, &u) ? u : def;
}

uint64_t opts_get_size(const Opts *opts, const char *key, uint64_t def)
{
    const char *v = opts_get(opts, key);
    uint64_t u;
    return v && parse_size(v, 1, &u) ? u : def;
}
