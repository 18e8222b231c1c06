#!/usr/bin/env python3
"""fuzz-qmp: mutated QMP input against one vmu (a qtest machine with a NIC
on a socket netdev and two QMP sockets).  Cases are requests built from
every command with random, wrong-typed, missing and extra arguments, and
byte-level mutations of valid requests (cuts, duplicated and flipped
bytes, deep nesting, huge strings, garbage); some cases disconnect in the
middle.  After each case vmu must answer query-status on the second
socket within 10 s and still run; at the end quit must exit it with
status 0 and no sanitizer report on stderr.
usage: fuzz-qmp.py [--seed N] [--seconds S] VMU"""
import argparse
import faulthandler
import json
import os
import random
import socket
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)),
                                "..", "functional", "monitor"))
from qmpclient import QMP, QMPError  # noqa: E402

VALUES = [None, True, False, 0, -1, 1 << 62, 3.5, "", "x", "n0", "nic0",
          "a" * 5000, [], [1, "2"], {}, {"a": {"b": [None]}}, "\u00e9\u2603",
          "/machine", "/machine/peripheral", "virtio-net-pci", "oob"]


def random_request(rng, names):
    name = rng.choice(names + ["no-such", "", "qmp_capabilities"])
    req = {"execute": name}
    if rng.random() < 0.8:
        args = {}
        for _ in range(rng.randrange(4)):
            key = rng.choice(["name", "up", "typename", "path", "property",
                              "command-line", "option", "capabilities",
                              "value", "enable", "flat", "implements",
                              "zz"])
            args[key] = rng.choice(VALUES)
        req["arguments"] = args if rng.random() < 0.95 else rng.choice(VALUES)
    if rng.random() < 0.5:
        req["id"] = rng.choice(VALUES)
    if rng.random() < 0.05:
        req["extra"] = 1
    return json.dumps(req).encode()


def mutate(rng, data):
    data = bytearray(data)
    for _ in range(rng.randrange(1, 4)):
        op = rng.randrange(6)
        i = rng.randrange(len(data) + 1)
        if op == 0 and data:
            del data[i:i + rng.randrange(1, 8)]
        elif op == 1:
            data[i:i] = bytes([rng.randrange(256)])
        elif op == 2 and data:
            data[min(i, len(data) - 1)] ^= 1 << rng.randrange(8)
        elif op == 3:
            data[i:i] = rng.choice([b"{", b"}", b"[", b"]", b'"', b"\\",
                                    b"\x00", b"\xff", b"\n"])
        elif op == 4:
            d = rng.randrange(1, 200)
            data[i:i] = b"[" * d + b"]" * rng.randrange(d + 1)
        else:
            data[i:i] = data[:i]
    return bytes(data)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--seed", type=int, default=random.randrange(1 << 30))
    ap.add_argument("--seconds", type=float, default=10)
    ap.add_argument("--case", type=int)
    ap.add_argument("vmu")
    args = ap.parse_args()
    faulthandler.dump_traceback_later(int(args.seconds) + 90, exit=True)
    print("fuzz-qmp: seed %d" % args.seed)
    sys.stdout.flush()
    tmp = tempfile.mkdtemp(prefix="vmu-fuzz-qmp-")
    qt_path = os.path.join(tmp, "qtest.sock")
    a, keep = socket.socketpair()   # the NIC's peer, as fd 3 (first)
    fd = a.detach()
    if fd != 3:
        os.dup2(fd, 3)
        os.close(fd)
    ls = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    ls.bind(qt_path)
    ls.listen(1)
    ls.settimeout(60)
    paths = [os.path.join(tmp, "fuzz.sock"), os.path.join(tmp, "check.sock")]
    errf = open(os.path.join(tmp, "stderr"), "w+")
    argv = [args.vmu, "-machine", "pc,accel=qtest", "-qtest",
            "unix:" + qt_path, "-netdev", "socket,id=n0,fd=3", "-device",
            "virtio-net-pci,netdev=n0,id=nic0,disable-legacy=on"]
    for p in paths:
        argv += ["-qmp", "unix:%s,server=on,wait=off" % p]
    proc = subprocess.Popen(argv, stdin=subprocess.DEVNULL,
                            stdout=subprocess.DEVNULL, stderr=errf,
                            pass_fds=(3,))
    qt, _ = ls.accept()
    check = QMP(paths[1], timeout=10)
    check.negotiate()
    names = [c["name"] for c in check.cmd("query-commands")
             if c["name"] not in ("quit",)]
    deadline = time.monotonic() + args.seconds
    cases = 0
    failures = 0
    n = 0
    while time.monotonic() < deadline:
        n += 1
        if args.case is not None and n != args.case:
            if n > args.case:
                break
            continue
        rng = random.Random("%d/%d" % (args.seed, n))
        data = b""
        for _ in range(rng.randrange(1, 6)):
            r = random_request(rng, names)
            data += mutate(rng, r) if rng.random() < 0.6 else r
            data += rng.choice([b"", b"\n", b" "])
        try:
            q = QMP(paths[0], timeout=10)
            if rng.random() < 0.7:
                q.negotiate()
            cut = len(data) if rng.random() < 0.8 else rng.randrange(
                len(data) + 1)
            q.send_raw(data[:cut])
            # stop/cont/system_reset may be among them: let replies come
            while rng.random() < 0.5:
                try:
                    if q.recv(timeout=0.2) is None:
                        break
                except QMPError:
                    break
            q.close()
            st = check.cmd("query-status")
            if st["status"] not in ("running", "paused", "prelaunch"):
                raise QMPError("status %s" % st)
            check.events.clear()
            if st["status"] != "running":
                check.cmd("cont")
            qt.sendall(b"inb 0x3fd\n")
            if not qt.recv(4096):
                raise QMPError("the qtest socket closed")
        except (QMPError, OSError, ValueError) as e:
            failures += 1
            print("fuzz-qmp: case %d failed: %s" % (n, e))
            print("fuzz-qmp: input %r" % data[:2000])
            print("fuzz-qmp: replay: %s --seed %d --case %d %s" %
                  (sys.argv[0], args.seed, n, args.vmu))
            break
        cases += 1
    try:
        check.cmd_raw("quit")
    except (QMPError, OSError):
        pass
    try:
        rc = proc.wait(30)
    except subprocess.TimeoutExpired:
        proc.kill()
        rc = proc.wait()
    errf.seek(0)
    err = errf.read()
    if rc != 0 or "Sanitizer" in err or "runtime error" in err:
        failures += 1
        print("fuzz-qmp: vmu exit status %s; stderr:\n%s" % (rc, err[-3000:]))
    keep.close()
    print("fuzz-qmp: %d cases, %d failures" % (cases, failures))
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
