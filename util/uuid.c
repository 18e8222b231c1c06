/*
 * UUIDs as QEMU's -uuid writes them: 8-4-4-4-12 hex digits.
 */
#include <glib.h>
#include <string.h>

#include "util/uuid.h"

bool uuid_parse(const char *s, uint8_t out[16])
{
    static const int dash[] = { 8, 13, 18, 23 };
    if (strlen(s) != 36) {
        return false;
    }
    unsigned n = 0;
    for (int i = 0; i < 36; i++) {
        bool want_dash = i == dash[0] || i == dash[1] || i == dash[2] ||
                         i == dash[3];
        if (want_dash) {
            if (s[i] != '-') {
                return false;
            }
            continue;
        }
        if (!g_ascii_isxdigit(s[i]) || !g_ascii_isxdigit(s[i + 1])) {
            return false;
        }
        out[n++] = g_ascii_xdigit_value(s[i]) << 4 |
                   g_ascii_xdigit_value(s[i + 1]);
        i++;
    }
    return true;
}
