"""qmp: exec → the QMP greeting, and the round trip of query-status, for
libvirt's probe line (-machine none, -S, a QMP socket)."""
import json
import os
import socket
import subprocess
import tempfile
import time

from lib.context import need_kvm_and_qemu, version_of
from lib.report import Metric

ROUND_TRIPS = 200


class Benchmark:
    name = "qmp"
    title = "QMP: exec to greeting, query-status round trip"
    peer_name = "QEMU"
    pairs = 10
    metrics = [
        Metric("greeting", "ms", "exec → the QMP greeting read from the "
               "socket (libvirt's probe line: -machine none,accel=kvm -S "
               "-nodefaults -qmp unix:...,server=on,wait=off)",
               target=("ratio", 0.2)),
        Metric("query_status", "us", "one query-status request → its reply "
               "(median of %d after qmp_capabilities)" % ROUND_TRIPS,
               target=("ratio", 1.0)),
    ]
    notes = [
        "Fairness: the same command line for both, -machine none (no guest "
        "to build), KVM, the same client code; the client polls for the "
        "socket file every 0.2 ms, which bounds `greeting` from below for "
        "both.",
    ]

    def __init__(self, ctx):
        self.ctx = ctx
        self.tmp = None

    def peer_version(self):
        return version_of([self.ctx.qemu, "-version"])

    def setup(self):
        need_kvm_and_qemu(self.ctx)
        self.tmp = tempfile.mkdtemp(prefix="vmu-bench-qmp-")

    def teardown(self):
        if self.tmp:
            for f in os.listdir(self.tmp):
                os.unlink(os.path.join(self.tmp, f))
            os.rmdir(self.tmp)

    def run(self, variant):
        path = os.path.join(self.tmp, "%s.sock" % variant)
        if os.path.exists(path):
            os.unlink(path)
        binary = self.ctx.vmu if variant == "vmu" else self.ctx.qemu
        argv = [binary, "-S", "-no-user-config", "-nodefaults", "-nographic",
                "-machine", "none,accel=kvm", "-qmp",
                "unix:%s,server=on,wait=off" % path]
        t0 = time.monotonic()
        p = subprocess.Popen(argv, stdin=subprocess.DEVNULL,
                             stdout=subprocess.DEVNULL,
                             stderr=subprocess.DEVNULL)
        try:
            s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
            s.settimeout(30)
            deadline = t0 + 30
            while True:
                try:
                    s.connect(path)
                    break
                except (FileNotFoundError, ConnectionRefusedError):
                    if time.monotonic() > deadline:
                        raise RuntimeError("no QMP socket within 30 s")
                    time.sleep(0.0002)
            f = s.makefile("rwb", buffering=0)
            greeting = f.readline()
            greeting_ms = (time.monotonic() - t0) * 1000
            if b'"QMP"' not in greeting:
                raise RuntimeError("no greeting: %r" % greeting)
            f.write(b'{"execute": "qmp_capabilities"}\n')
            f.readline()
            times = []
            req = b'{"execute": "query-status"}\n'
            for _ in range(ROUND_TRIPS):
                a = time.monotonic()
                f.write(req)
                reply = f.readline()
                times.append((time.monotonic() - a) * 1e6)
                if b'"return"' not in reply:
                    raise RuntimeError("query-status: %r" % reply)
            f.write(b'{"execute": "quit"}\n')
            p.wait(30)
            s.close()
        finally:
            if p.poll() is None:
                p.kill()
                p.wait()
        times.sort()
        json.dumps(times)   # plain floats only
        return {"greeting": greeting_ms,
                "query_status": times[len(times) // 2]}
