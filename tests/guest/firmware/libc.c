/* libc.c - the few C library routines vmu's test firmware needs:
 * memory/string helpers (gcc may emit calls to memset/memcpy itself), number
 * parsing and a small vsnprintf (%d %i %u %x %X %p %s %c %%, width, 0, #, l/ll/z). */
#include "fw.h"

void *memset(void *d, int c, size_t n)
{
    unsigned char *p = d;
    while (n--) {
        *p++ = (unsigned char)c;
    }
    return d;
}

void *memcpy(void *d, const void *s, size_t n)
{
    unsigned char *p = d;
    const unsigned char *q = s;
    while (n--) {
        *p++ = *q++;
    }
    return d;
}

int memcmp(const void *a, const void *b, size_t n)
{
    const unsigned char *p = a, *q = b;
    for (; n; n--, p++, q++) {
        if (*p != *q) {
            return *p - *q;
        }
    }
    return 0;
}

size_t strlen(const char *s)
{
    size_t n = 0;
    while (s[n]) {
        n++;
    }
    return n;
}

int strncmp(const char *a, const char *b, size_t n)
{
    for (; n; n--, a++, b++) {
        if (*a != *b || !*a) {
            return (unsigned char)*a - (unsigned char)*b;
        }
    }
    return 0;
}

int strcmp(const char *a, const char *b)
{
    return strncmp(a, b, (size_t)-1);
}

/* Decimal or 0x-prefixed hex; the whole [s, s+len) must be a number. */
bool parse_u64(const char *s, size_t len, uint64_t *out)
{
    uint64_t v = 0;
    unsigned base = 10;
    size_t i = 0;

    if (len > 2 && s[0] == '0' && (s[1] == 'x' || s[1] == 'X')) {
        base = 16;
        i = 2;
    }
    if (i >= len) {
        return false;
    }
    for (; i < len; i++) {
        char c = s[i];
        unsigned d;
        if (c >= '0' && c <= '9') {
            d = (unsigned)(c - '0');
        } else if (base == 16 && c >= 'a' && c <= 'f') {
            d = (unsigned)(c - 'a' + 10);
        } else if (base == 16 && c >= 'A' && c <= 'F') {
            d = (unsigned)(c - 'A' + 10);
        } else {
            return false;
        }
        if (d >= base) {
            return false;
        }
        v = v * base + d;
    }
    *out = v;
    return true;
}

struct outbuf {
    char *buf;
    size_t size;
    size_t len;
};

static void emit(struct outbuf *o, char c)
{
    if (o->len + 1 < o->size) {
        o->buf[o->len] = c;
    }
    o->len++;
}

static void emit_num(struct outbuf *o, uint64_t v, unsigned base, bool upper,
                     bool neg, const char *prefix, unsigned width, bool zero,
                     bool left)
{
    char tmp[24];
    const char *digits = upper ? "0123456789ABCDEF" : "0123456789abcdef";
    unsigned n = 0, plen = (unsigned)strlen(prefix) + (neg ? 1 : 0);

    do {
        tmp[n++] = digits[v % base];
        v /= base;
    } while (v);

    unsigned total = n + plen;
    if (!left && !zero) {
        for (; total < width; total++) {
            emit(o, ' ');
        }
    }
    if (neg) {
        emit(o, '-');
    }
    while (*prefix) {
        emit(o, *prefix++);
    }
    if (!left && zero) {
        for (; total < width; total++) {
            emit(o, '0');
        }
    }
    while (n) {
        emit(o, tmp[--n]);
    }
    if (left) {
        for (; total < width; total++) {
            emit(o, ' ');
        }
    }
}

int vsnprintf(char *buf, size_t size, const char *fmt, va_list ap)
{
    struct outbuf o = { buf, size, 0 };

    for (; *fmt; fmt++) {
        if (*fmt != '%') {
            emit(&o, *fmt);
            continue;
        }
        fmt++;
        bool zero = false, alt = false, left = false;
        for (;; fmt++) {
            if (*fmt == '0') {
                zero = true;
            } else if (*fmt == '#') {
                alt = true;
            } else if (*fmt == '-') {
                left = true;
            } else {
                break;
            }
        }
        unsigned width = 0;
        while (*fmt >= '0' && *fmt <= '9') {
            width = width * 10 + (unsigned)(*fmt++ - '0');
        }
        int lng = 0;
        while (*fmt == 'l' || *fmt == 'z') {
            lng++;
            fmt++;
        }
        switch (*fmt) {
        case 'd':
        case 'i': {
            int64_t v = lng ? va_arg(ap, int64_t) : va_arg(ap, int);
            bool neg = v < 0;
            emit_num(&o, neg ? -(uint64_t)v : (uint64_t)v, 10, false, neg, "",
                     width, zero, left);
            break;
        }
        case 'u':
        case 'x':
        case 'X': {
            uint64_t v = lng ? va_arg(ap, uint64_t) : va_arg(ap, unsigned);
            unsigned base = *fmt == 'u' ? 10 : 16;
            emit_num(&o, v, base, *fmt == 'X', false,
                     (alt && base == 16) ? "0x" : "", width, zero, left);
            break;
        }
        case 'p':
            emit_num(&o, (uint64_t)(uintptr_t)va_arg(ap, void *), 16, false,
                     false, "0x", width, zero, left);
            break;
        case 'c':
            emit(&o, (char)va_arg(ap, int));
            break;
        case 's': {
            const char *s = va_arg(ap, const char *);
            if (!s) {
                s = "(null)";
            }
            while (*s) {
                emit(&o, *s++);
            }
            break;
        }
        case '%':
            emit(&o, '%');
            break;
        case '\0':
            fmt--;
            break;
        default:
            emit(&o, '%');
            emit(&o, *fmt);
            break;
        }
    }
    if (size) {
        o.buf[o.len < size ? o.len : size - 1] = '\0';
    }
    return (int)o.len;
}

int snprintf(char *buf, size_t size, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(buf, size, fmt, ap);
    va_end(ap);
    return n;
}
