"""Helpers for vmu's functional tests: run vmu (or QEMU) on a KVM guest,
collect output and status, skip (exit 77) with a reason when the host
cannot run the test.  Python 3 standard library only."""
import os
import select
import socket
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from skips import SKIP, skip  # noqa: E402,F401  (re-exported for the tests)


def fail(msg):
    print("FAIL: " + msg)
    sys.exit(1)


def need_kvm():
    try:
        fd = os.open("/dev/kvm", os.O_RDWR | os.O_CLOEXEC)
        os.close(fd)
    except OSError as e:
        skip("/dev/kvm cannot be opened (%s): these tests need KVM" %
             e.strerror, host="kvm")


def is_kvm_pvm():
    return os.path.isdir("/sys/module/kvm_pvm")


FW_ARGS = ["-nographic", "-nodefaults", "-no-reboot", "-serial", "stdio",
           "-device", "isa-debug-exit,iobase=0xf4,iosize=4"]


class Result:
    def __init__(self, status, out, err, seconds):
        self.status = status
        self.out = out
        self.err = err
        self.seconds = seconds

    def fw_lines(self):
        return [l.strip() for l in self.out.splitlines()
                if l.startswith("vmu-fw:")]

    def show(self):
        print("status %d after %.3f s" % (self.status, self.seconds))
        print("stdout:\n" + self.out)
        if self.err:
            print("stderr:\n" + self.err)


def run(argv, timeout=30):
    t0 = time.monotonic()
    try:
        p = subprocess.run(argv, stdin=subprocess.DEVNULL,
                           stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                           timeout=timeout)
    except subprocess.TimeoutExpired as e:
        out = (e.stdout or b"").decode(errors="replace")
        fail("%s did not exit within %d s; output so far:\n%s" %
             (argv[0], timeout, out))
    return Result(p.returncode, p.stdout.decode(errors="replace"),
                  p.stderr.decode(errors="replace"), time.monotonic() - t0)


def run_fw(vmu, fw, append, extra=(), timeout=30):
    return run([vmu] + FW_ARGS + list(extra) +
               ["-kernel", fw, "-append", append], timeout)


def expect(cond, msg, result=None):
    if not cond:
        if result:
            result.show()
        fail(msg)


def wait_until(fn, timeout, step=0.05):
    """fn()'s first true value within timeout (polled), else its last."""
    end = time.time() + timeout
    while time.time() < end:
        v = fn()
        if v:
            return v
        time.sleep(step)
    return fn()


def run_qtest_hangup(argv, cwd, sock_path, timeout):
    """Run argv (a vmu with -qtest unix:sock_path): accept its qtest
    connection and hang up at once, so a machine that started exits 0.
    Returns (status, stdout, stderr); status None if it ran past timeout."""
    srv = socket.socket(socket.AF_UNIX)
    srv.bind(sock_path)
    srv.listen(1)
    p = subprocess.Popen(argv, cwd=cwd, stdin=subprocess.DEVNULL,
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                         text=True)
    deadline = time.monotonic() + timeout
    while p.poll() is None and time.monotonic() < deadline:
        ready, _, _ = select.select([srv], [], [], 0.2)
        if ready:
            conn, _ = srv.accept()
            conn.close()
            break
    srv.close()
    try:
        out, err = p.communicate(timeout=max(1, deadline - time.monotonic()))
    except subprocess.TimeoutExpired:
        p.kill()
        out, err = p.communicate()
        return None, out, err
    return p.returncode, out, err
