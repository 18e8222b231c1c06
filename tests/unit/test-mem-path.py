#!/usr/bin/env python3
"""mem-path: a path that does not exist is one error naming it, and vmu
creates nothing there; a directory gets a file that is unlinked at once, so
nothing is left in it however vmu ends (the test hanging up, SIGTERM,
SIGINT, SIGHUP, SIGKILL, an error later in start-up); a file the user gave
is kept, with guest RAM's size.

Usage: test-mem-path.py PATH-TO-VMU   (prints TAP)
"""
import os
import signal
import socket
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)),
                                "..", "functional"))
from vmutest import run_qtest_hangup, wait_until  # noqa: E402

QTEST = ["-machine", "pc,accel=qtest", "-nodefaults"]
results = []


def report(ok, name, detail=""):
    results.append((ok, name, detail))


def run_bad(vmu, args, cwd):
    try:
        p = subprocess.run([vmu] + args, cwd=cwd, stdin=subprocess.DEVNULL,
                           capture_output=True, text=True, timeout=20)
    except subprocess.TimeoutExpired:
        return None, "timed out after 20 s"
    return p.returncode, p.stderr


def missing_cases(vmu):
    """A typo for the mount: an error naming the path, nothing created."""
    cases = [
        ("memory-backend-file, missing file in an existing directory",
         ["-object", "memory-backend-file,id=m,size=64M,mem-path=ram.img,"
          "share=on", "-machine", "memory-backend=m"], "ram.img"),
        ("memory-backend-file, typo for the hugetlbfs mount",
         ["-object", "memory-backend-file,id=m,size=64M,mem-path=hugepages1G,"
          "share=on", "-machine", "memory-backend=m"], "hugepages1G"),
        ("-mem-path, missing",
         ["-m", "64M", "-mem-path", "nohuge"], "nohuge"),
    ]
    for name, args, path in cases:
        with tempfile.TemporaryDirectory(prefix="vmu-mempath-") as cwd:
            rc, err = run_bad(vmu, QTEST + ["-qtest", "unix:" +
                                            os.path.join(cwd, "q.sock")] +
                              args, cwd)
            left = sorted(os.listdir(cwd))
        errs = [l for l in err.splitlines()
                if l.startswith("vmu: ") and not l.startswith("vmu: warning")]
        problems = []
        if rc != 1:
            problems.append(f"exit status {rc}, want 1")
        if len(errs) != 1:
            problems.append(f"{len(errs)} error lines, want 1")
        elif f"mem-path {path} does not exist" not in errs[0]:
            problems.append(f"the error does not name {path}: {errs[0]!r}")
        if left:
            problems.append(f"files left behind: {left}")
        report(not problems, f"{name}: {errs[0] if errs else ''}",
               "; ".join(problems) + "\n" + err[:400])


def ram_file_of(pid, memdir):
    """The path (as /proc shows it) of the fd vmu holds in memdir."""
    try:
        for fd in os.listdir(f"/proc/{pid}/fd"):
            try:
                target = os.readlink(f"/proc/{pid}/fd/{fd}")
            except OSError:
                continue
            if target.startswith(memdir + "/"):
                return target
    except OSError:
        pass
    return None


def directory_case(vmu, how):
    """vmu with mem-path=DIR running a qtest machine, ended by `how`."""
    with tempfile.TemporaryDirectory(prefix="vmu-mempath-") as cwd:
        memdir = os.path.join(cwd, "mem")
        os.mkdir(memdir)
        sock = os.path.join(cwd, "q.sock")
        args = [vmu] + QTEST + ["-qtest", "unix:" + sock, "-object",
                                "memory-backend-file,id=m,size=64M,"
                                "mem-path=" + memdir + ",share=on",
                                "-machine", "memory-backend=m"]
        if how == "start-up error":
            # Fails after guest RAM is mapped: the pidfile's directory is
            # missing.
            rc, out, err = run_qtest_hangup(
                args + ["-pidfile", os.path.join(cwd, "nodir", "vmu.pid")],
                cwd, sock, 20)
            left = os.listdir(memdir)
            ok = rc == 1 and not left
            report(ok, f"mem-path=DIR, {how}: nothing left in DIR",
                   f"status {rc}, left {left}\n{err[:400]}")
            return
        if how == "hang-up":
            rc, out, err = run_qtest_hangup(args, cwd, sock, 20)
            left = os.listdir(memdir)
            report(rc == 0 and not left,
                   f"mem-path=DIR, {how}: exit 0, nothing left in DIR",
                   f"status {rc}, left {left}\n{err[:400]}")
            return
        srv = socket.socket(socket.AF_UNIX)
        srv.bind(sock)
        srv.listen(1)
        srv.settimeout(20)
        p = subprocess.Popen(args, cwd=cwd, stdin=subprocess.DEVNULL,
                             stdout=subprocess.DEVNULL,
                             stderr=subprocess.PIPE, text=True)
        problems = []
        conn = None
        try:
            conn, _ = srv.accept()
            # The machine is up once it answers a qtest line.
            conn.settimeout(20)
            conn.sendall(b"readb 0x0\n")
            reply = conn.recv(100)
            if not reply.startswith(b"OK"):
                problems.append(f"qtest reply {reply!r}")
            mapped = wait_until(lambda: ram_file_of(p.pid, memdir), 10)
            if not mapped or not mapped.endswith(" (deleted)"):
                problems.append(f"guest RAM's file in DIR is {mapped!r}, "
                                "want an unlinked one")
            if os.listdir(memdir):
                problems.append(f"DIR holds {os.listdir(memdir)} while "
                                "running")
            p.send_signal(how)
            p.wait(20)
        except (OSError, subprocess.TimeoutExpired) as e:
            problems.append(f"{e}")
            p.kill()
            p.wait()
        if conn:
            conn.close()
        srv.close()
        err = p.stderr.read()
        p.stderr.close()
        left = os.listdir(memdir)
        if left:
            problems.append(f"files left in DIR: {left}")
        if how != signal.SIGKILL and p.returncode not in (0, -how,
                                                          128 + how):
            problems.append(f"exit status {p.returncode}")
        report(not problems, f"mem-path=DIR, {signal.Signals(how).name}: "
               "RAM in an unlinked file, nothing left in DIR",
               "; ".join(problems) + "\n" + err[:400])


def file_case(vmu):
    """A file the user made is the user's: kept, sized to guest RAM."""
    with tempfile.TemporaryDirectory(prefix="vmu-mempath-") as cwd:
        path = os.path.join(cwd, "ram.img")
        open(path, "w").close()
        sock = os.path.join(cwd, "q.sock")
        rc, out, err = run_qtest_hangup(
            [vmu] + QTEST + ["-qtest", "unix:" + sock, "-object",
                             "memory-backend-file,id=m,size=64M,mem-path=" +
                             path + ",share=on", "-machine",
                             "memory-backend=m"], cwd, sock, 20)
        size = os.path.getsize(path) if os.path.exists(path) else None
        report(rc == 0 and size == 64 << 20,
               "mem-path=FILE (existing): kept, 64 MiB",
               f"status {rc}, size {size}\n{err[:400]}")


def main():
    vmu = os.path.abspath(sys.argv[1])
    missing_cases(vmu)
    for how in ("hang-up", signal.SIGTERM, signal.SIGINT, signal.SIGHUP,
                signal.SIGKILL, "start-up error"):
        directory_case(vmu, how)
    file_case(vmu)
    print(f"1..{len(results)}")
    failed = 0
    for n, (ok, name, detail) in enumerate(results, 1):
        print(f"{'ok' if ok else 'not ok'} {n} - {name}")
        if not ok:
            failed += 1
            for line in detail.strip().splitlines():
                print(f"#   {line}")
    return 1 if failed else 0


if __name__ == "__main__":
    t0 = time.monotonic()
    rc = main()
    print(f"# {time.monotonic() - t0:.1f} s")
    sys.exit(rc)
