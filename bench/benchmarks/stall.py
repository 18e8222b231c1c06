"""stall: how long a guest device access takes (a qtest round trip: a PCI
config read, under the machine lock like any vCPU exit) while the vhost-user
back-end is (a) healthy, (b) silent (accepts, never answers), (c) answering
each request after 2 s.  The back-end is a small one written for this
benchmark; the same one serves vmu and QEMU 7.2."""
import os
import shutil
import socket
import struct
import subprocess
import tempfile
import threading
import time

from lib.context import version_of
from lib.report import Metric, Skip

WINDOW_S = 3.0          # accesses measured while the back-end misbehaves
HANG_MS = WINDOW_S * 1000
HDR = struct.Struct("<III")
# requests with a reply of their own (GET_*), and what they answer
F_VERSION_1 = 1 << 32
REPLIES = {1: F_VERSION_1 | (1 << 15) | (1 << 29) | (1 << 28),   # FEATURES
           15: 0, 17: 1, 36: 8, 40: 0}
GET_VRING_BASE = 11
NEED_REPLY = 8


class Backend(threading.Thread):
    """A vhost-user back-end on a listening socket: mode healthy, silent or
    slow (each answer 2 s late)."""

    def __init__(self, path, mode):
        super().__init__(daemon=True)
        self.mode = mode
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.sock.bind(path)
        self.sock.listen(4)
        self.sock.settimeout(0.2)
        self.quit = False

    def run(self):
        conns = []
        while not self.quit:
            try:
                c, _ = self.sock.accept()
            except socket.timeout:
                continue
            except OSError:
                break
            conns.append(c)
            threading.Thread(target=self.serve, args=(c,), daemon=True).start()
        for c in conns:
            c.close()

    def serve(self, c):
        c.settimeout(0.2)
        while not self.quit:
            try:
                hdr, _, _, _ = socket.recv_fds(c, HDR.size, 8)
            except socket.timeout:
                continue
            except OSError:
                return
            if len(hdr) < HDR.size:
                return
            req, flags, size = HDR.unpack(hdr)
            payload = b""
            while len(payload) < size:
                try:
                    chunk = c.recv(size - len(payload))
                except socket.timeout:
                    continue
                if not chunk:
                    return
                payload += chunk
            if self.mode == "silent":
                continue
            if req in REPLIES:
                body = struct.pack("<Q", REPLIES[req])
            elif req == GET_VRING_BASE:
                body = payload[:4] + struct.pack("<I", 0)
            elif flags & NEED_REPLY:
                body = struct.pack("<Q", 0)
            else:
                continue
            if self.mode == "slow":
                end = time.monotonic() + 2.0
                while time.monotonic() < end and not self.quit:
                    time.sleep(0.05)
            try:
                c.sendall(HDR.pack(req, 1 | 4, len(body)) + body)
            except OSError:
                return

    def stop(self):
        self.quit = True
        self.sock.close()


def halt_bios(d):
    path = os.path.join(d, "halt.bin")
    img = bytearray(b"\xff" * 65536)
    img[65536 - 16:65536 - 12] = b"\xfa\xf4\xeb\xfd"
    with open(path, "wb") as f:
        f.write(img)
    return path


class Qtest:
    """The VMM under qtest; round trips timed from here."""

    def __init__(self, ctx, variant, d, backend_sock):
        qsock = os.path.join(d, "qtest.sock")
        lsock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        lsock.bind(qsock)
        lsock.listen(1)
        lsock.settimeout(HANG_MS / 1000)
        dev = (f"-m 128M -object memory-backend-memfd,id=mem,size=128M,"
               f"share=on -numa node,memdev=mem "
               f"-chardev socket,id=c0,path={backend_sock} "
               f"-netdev vhost-user,id=n0,chardev=c0 "
               f"-device virtio-net-pci,netdev=n0,disable-legacy=on")
        if variant == "vmu":
            cmd = (f"{ctx.vmu} -machine pc,accel=qtest -qtest unix:{qsock} "
                   f"-display none -nodefaults {dev}")
        else:
            cmd = (f"{ctx.qemu} -machine pc,accel=tcg -bios {halt_bios(d)} "
                   f"-qtest unix:{qsock} -qtest-log /dev/null -display none "
                   f"-nodefaults {dev}")
        self.p = subprocess.Popen(cmd.split(), stdout=subprocess.DEVNULL,
                                  stderr=subprocess.DEVNULL)
        try:
            self.s, _ = lsock.accept()
        except socket.timeout:
            self.s = None
        lsock.close()
        self.buf = b""

    def access(self, timeout):
        """One PCI config read; its round trip in ms, or None: no answer
        within timeout (the VMM is stuck)."""
        t0 = time.monotonic()
        self.s.settimeout(timeout)
        try:
            self.s.sendall(b"outl 0xcf8 0x80001000\n")
            self._line()
            self.s.sendall(b"inl 0xcfc\n")
            self._line()
        except (socket.timeout, OSError):
            return None
        return (time.monotonic() - t0) * 1000 / 2

    def _line(self):
        while b"\n" not in self.buf:
            chunk = self.s.recv(4096)
            if not chunk:
                raise OSError("qtest closed")
            self.buf += chunk
        line, self.buf = self.buf.split(b"\n", 1)
        if line.startswith(b"IRQ"):
            self._line()

    def end(self):
        if self.s:
            self.s.close()
        self.p.kill()
        self.p.wait()


class Benchmark:
    name = "stall"
    title = "guest device access while the vhost-user back-end misbehaves"
    peer_name = "QEMU"
    pairs = 3
    metrics = [
        Metric(f"{k}_{mode}", "ms", f"{what} of the guest's device accesses "
               f"(qtest round trips, {WINDOW_S:.0f} s from start-up) with a "
               f"{desc} back-end; {HANG_MS:.0f} = no answer at all (hang)")
        for mode, desc in (("healthy", "healthy"), ("silent", "silent"),
                           ("slow", "2 s late"))
        for k, what in (("p99", "99th percentile"), ("max", "maximum"))
    ]
    notes = [
        "Target: silent and slow within 2x of healthy.  QEMU 7.2 waits for "
        "each reply in its main loop with the machine lock held: with a "
        "silent back-end it never finishes start-up, so no access is "
        "answered (reported as the whole window, a hang); with a slow one "
        "each reply holds it 2 s.",
    ]

    def __init__(self, ctx):
        self.ctx = ctx

    def peer_version(self):
        return version_of([self.ctx.qemu, "-version"])

    def setup(self):
        if not os.path.exists(self.ctx.qemu):
            raise Skip("qemu-system-x86_64 is not installed")
        if not hasattr(socket, "recv_fds"):
            raise Skip("python3 lacks socket.recv_fds (3.9+)")

    def teardown(self):
        pass

    def _case(self, variant, mode):
        d = tempfile.mkdtemp(prefix="vmu-bench-stall-")
        sock = os.path.join(d, "be.sock")
        be = Backend(sock, mode)
        be.start()
        q = Qtest(self.ctx, variant, d, sock)
        times = []
        try:
            if not q.s:
                return HANG_MS, HANG_MS
            end = time.monotonic() + WINDOW_S
            while time.monotonic() < end:
                t = q.access(max(0.05, end - time.monotonic()))
                if t is None:
                    times.append(HANG_MS)
                    break
                times.append(t)
        finally:
            q.end()
            be.stop()
            shutil.rmtree(d, ignore_errors=True)
        times.sort()
        return times[int(len(times) * 0.99)], times[-1]

    def run(self, variant):
        out = {}
        for mode in ("healthy", "silent", "slow"):
            p99, mx = self._case(variant, mode)
            out[f"p99_{mode}"] = p99
            out[f"max_{mode}"] = mx
        return out
