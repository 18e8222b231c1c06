#!/usr/bin/env python3
"""-add-fd and /dev/fdset/N: vmu opens files its parent opened and passed
(as libvirt does), picking the set member whose access mode it needs.  A
qtest machine (its test hangs up at once) shows what vmu did with them:
the pid in the pidfile, guest RAM's size on the mem-path file, start-up
refused when no member has the access mode a file needs.

Usage: test-add-fd.py PATH-TO-VMU   (prints TAP)
"""
import os
import select
import socket
import subprocess
import sys
import tempfile
import time


def start(vmu, args, fds, cwd):
    """Run a qtest machine with fds inherited; once vmu has connected (all
    files opened), look at them, then hang up.  Returns (status, stderr,
    what check() returned)."""
    sock = os.path.join(cwd, "qtest.sock")
    srv = socket.socket(socket.AF_UNIX)
    srv.bind(sock)
    srv.listen(1)
    p = subprocess.Popen([vmu, "-qtest", "unix:" + sock] + args, cwd=cwd,
                         pass_fds=fds, stdin=subprocess.DEVNULL,
                         stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                         text=True)
    deadline = time.monotonic() + 30
    conn = None
    while p.poll() is None and time.monotonic() < deadline:
        ready, _, _ = select.select([srv], [], [], 0.2)
        if ready:
            conn, _ = srv.accept()
            break
    srv.close()
    os.unlink(sock)
    if conn:
        conn.close()
    try:
        _, err = p.communicate(timeout=max(1, deadline - time.monotonic()))
    except subprocess.TimeoutExpired:
        p.kill()
        _, err = p.communicate()
        return None, err + "timed out", p.pid
    return p.returncode, err, p.pid


def main():
    vmu = os.path.abspath(sys.argv[1])
    results = []

    def report(ok, name, detail=""):
        results.append(ok)
        print(f"{'ok' if ok else 'not ok'} {len(results)} - {name}"
              f"{': ' + detail if detail else ''}")

    print("1..7")
    with tempfile.TemporaryDirectory(prefix="vmu-add-fd-") as d:
        # Each file is opened by this process, as a management tool would.
        pid = os.open(os.path.join(d, "pid"), os.O_WRONLY | os.O_CREAT, 0o644)
        ram = os.open(os.path.join(d, "ram"), os.O_RDWR | os.O_CREAT, 0o600)
        log_ro = os.open(os.path.join(d, "log"), os.O_RDONLY | os.O_CREAT,
                         0o644)
        log_wo = os.open(os.path.join(d, "log"), os.O_WRONLY)
        fds = (pid, ram, log_ro, log_wo)
        args = ["-add-fd", f"fd={pid},set=3,opaque=pidfile",
                "-add-fd", f"fd={ram},set=2",
                "-add-fd", f"fd={log_ro},set=1", "-add-fd", f"fd={log_wo},set=1",
                "-object", "memory-backend-file,id=m,size=64M,"
                "mem-path=/dev/fdset/2,share=on", "-machine", "memory-backend=m",
                "-chardev", "file,id=f0,path=/dev/fdset/1",
                "-serial", "chardev:f0", "-pidfile", "/dev/fdset/3"]
        status, err, vmu_pid = start(vmu, args, fds, d)
        report(status == 0 and not err.strip(),
               "a machine starts with its pidfile, guest RAM and serial "
               "file in fd sets", f"status {status}, stderr {err.strip()!r}")
        with open(os.path.join(d, "pid")) as f:
            text = f.read().strip()
        report(text == str(vmu_pid), "-pidfile /dev/fdset/3 wrote the pid "
               "through the inherited fd", f"pidfile holds {text!r}")
        size = os.fstat(ram).st_size
        report(size == 64 << 20, "mem-path=/dev/fdset/2: guest RAM lives in "
               "the inherited file", f"its size is {size} bytes")
        report(sorted(os.listdir(d)) == ["log", "pid", "ram"],
               "no file made under another name", str(os.listdir(d)))
        for f in fds:
            os.close(f)

        # A set with no member of the access mode a file needs.
        ro = os.open(os.path.join(d, "log"), os.O_RDONLY)
        status, err, _ = start(vmu, ["-add-fd", f"fd={ro},set=4",
                                     "-chardev", "file,id=f0,path=/dev/fdset/4",
                                     "-serial", "chardev:f0"], (ro,), d)
        os.close(ro)
        report(status == 1 and "cannot open /dev/fdset/4: Permission denied"
               in err, "a read-only member does not serve a file vmu writes",
               err.strip())
        status, err, _ = start(vmu, ["-chardev", "file,id=f0,path=/dev/fdset/5",
                                     "-serial", "chardev:f0"], (), d)
        report(status == 1 and "cannot open /dev/fdset/5: No such file"
               in err, "a set nobody added", err.strip())
        # Bad -add-fd values: one line each, in one run.
        p = subprocess.run([vmu, "-add-fd", "fd=1,set=1", "-add-fd",
                            "fd=97,set=1", "-add-fd", "set=1", "-add-fd",
                            "fd=3,set=x"], capture_output=True, text=True,
                           timeout=30)
        want = ["fd=1: fds 0 to 2 are vmu's standard streams",
                "fd=97 is not open in this process",
                "give both fd=N (an inherited descriptor) and set=S",
                "'set' expects a non-negative integer"]
        lines = p.stderr.strip().splitlines()
        report(p.returncode == 1 and len(lines) == len(want) and
               all(w in l for w, l in zip(want, lines)),
               "bad -add-fd values, one line each", repr(lines))
    return 0 if all(results) else 1


if __name__ == "__main__":
    sys.exit(main())
