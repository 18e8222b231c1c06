/*
 * -daemonize: fork, the parent waits on a pipe for the child's "started",
 * the child leaves the caller's session and, once started, its stdio.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "system/daemonize.h"
#include "util/error.h"

static int notify_fd = -1;
static bool is_daemon;

bool daemonized(void)
{
    return is_daemon;
}

void daemonize_start(void)
{
    int fds[2];
    if (pipe2(fds, O_CLOEXEC) < 0) {
        error_report("-daemonize: cannot create a pipe: %s",
                     strerror(errno));
        exit(1);
    }
    fflush(stdout);
    fflush(stderr);
    pid_t pid = fork();
    if (pid < 0) {
        error_report("-daemonize: cannot fork: %s", strerror(errno));
        exit(1);
    }
    if (pid > 0) {
        /* The caller: exit when the daemon says it started (or dies). */
        close(fds[1]);
        char c;
        ssize_t n;
        do {
            n = read(fds[0], &c, 1);
        } while (n < 0 && errno == EINTR);
        if (n == 1 && c == 0) {
            _exit(0);
        }
        int status;
        while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {
        }
        _exit(WIFEXITED(status) && WEXITSTATUS(status) ? WEXITSTATUS(status)
              : 1);
    }
    close(fds[0]);
    notify_fd = fds[1];
    is_daemon = true;
    setsid();
    umask(027);
}

void daemonize_done(void)
{
    if (notify_fd < 0) {
        return;
    }
    int null = open("/dev/null", O_RDWR);
    if (null >= 0) {
        fflush(stdout);
        fflush(stderr);
        dup2(null, 0);
        dup2(null, 1);
        dup2(null, 2);
        if (null > 2) {
            close(null);
        }
    }
    char ok = 0;
    ssize_t n;
    do {
        n = write(notify_fd, &ok, 1);
    } while (n < 0 && errno == EINTR);
    close(notify_fd);
    notify_fd = -1;
}
