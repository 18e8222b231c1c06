/*
 * For unit tests that check no fd is left open: how many fds below 1024
 * this process has open.
 */
#ifndef VMU_TESTS_UNIT_FD_COUNT_H
#define VMU_TESTS_UNIT_FD_COUNT_H

#include <fcntl.h>

static inline int open_count(void)
{
    int n = 0;
    for (int fd = 0; fd < 1024; fd++) {
        if (fcntl(fd, F_GETFD) >= 0) {
            n++;
        }
    }
    return n;
}

#endif
