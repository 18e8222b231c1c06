"""
Helpers for the vmu-switch functional tests: start the switch and
dpdk-testpmd (virtio-user front-end) processes, drive testpmd's prompt,
read statistics, and make sure every process started is gone at the end.
"""
import os
import re
import select
import shutil
import signal
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)),
                                ".."))
from skips import SKIP, skip  # noqa: E402,F401
from vmutest import wait_until  # noqa: E402,F401

_procs = []


def fail(msg):
    print("FAIL: " + msg)
    cleanup()
    sys.exit(1)


def check(cond, msg):
    if not cond:
        fail(msg)
    print("ok: " + msg)


def cleanup():
    for p in _procs:
        if p.poll() is None:
            try:
                p.terminate()
                p.wait(5)
            except subprocess.TimeoutExpired:
                p.kill()
                p.wait(5)
    _procs.clear()


def need_testpmd():
    path = shutil.which("dpdk-testpmd")
    if not path:
        skip("dpdk-testpmd is not installed (package dpdk)")
    return path


def tmpdir():
    return tempfile.mkdtemp(prefix="vmu-switch-")


class Switch:
    """vmu-switch with stderr captured to a file."""

    def __init__(self, binary, args, logdir):
        self.log_path = os.path.join(logdir, "switch.log")
        self.log = open(self.log_path, "w")
        self.proc = subprocess.Popen([binary] + args, stdout=self.log,
                                     stderr=subprocess.STDOUT)
        _procs.append(self.proc)
        self.nports = sum(a in ("-s", "-c", "--server", "--client")
                          for a in args)

    def wait_for(self, pattern, timeout=10):
        end = time.time() + timeout
        while time.time() < end:
            if re.search(pattern, self.text()):
                return True
            if self.proc.poll() is not None:
                break
            time.sleep(0.05)
        return bool(re.search(pattern, self.text()))

    def text(self):
        with open(self.log_path) as f:
            return f.read()

    def alive(self):
        return self.proc.poll() is None

    def stats(self):
        """Ask for statistics (SIGUSR1); returns {port: dict}."""
        before = len(self.text())
        self.proc.send_signal(signal.SIGUSR1)
        end = time.time() + 20
        while True:
            st = parse_switch_stats(self.text()[before:])
            if len(st) >= self.nports or time.time() > end or not self.alive():
                return st
            time.sleep(0.02)

    def stats_until(self, pred, timeout=30.0):
        """Statistics once pred(stats) holds, or the last ones after
        timeout: the switch may still be draining a ring when the sender
        has already counted its frames as sent."""
        deadline = time.monotonic() + timeout
        st = self.stats()
        while not pred(st) and time.monotonic() < deadline:
            time.sleep(0.1)
            st = self.stats()
        return st

    def stop(self, timeout=10):
        self.proc.send_signal(signal.SIGTERM)
        try:
            rc = self.proc.wait(timeout)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait(5)
            fail("vmu-switch did not exit within %d s of SIGTERM" % timeout)
        self.log.close()
        return rc


STATS_RE = re.compile(r"port (\d+) \(([^)]*)\): rx (\d+) frames (\d+) bytes, "
                      r"tx (\d+) frames (\d+) bytes, drops (\d+), errors (\d+)")


def parse_switch_stats(text):
    out = {}
    for m in STATS_RE.finditer(text):
        out[int(m.group(1))] = dict(
            path=m.group(2), rx=int(m.group(3)), rx_bytes=int(m.group(4)),
            tx=int(m.group(5)), tx_bytes=int(m.group(6)),
            drops=int(m.group(7)), errors=int(m.group(8)))
    return out


class Testpmd:
    """One interactive dpdk-testpmd with virtio-user ports."""

    def __init__(self, name, vdevs, extra=(), mem_mb=1024):
        self.name = name
        args = ["stdbuf", "-o0", need_testpmd(), "--no-huge", "-m", str(mem_mb), "--no-pci",
                "--no-shconf", "--file-prefix=" + name]
        for i, v in enumerate(vdevs):
            args.append("--vdev=net_virtio_user%d,%s" % (i, v))
        args += ["--", "-i", "--no-mlockall", "--total-num-mbufs=2048"]
        args += list(extra)
        self.args = args
        self.proc = subprocess.Popen(args, stdin=subprocess.PIPE,
                                     stdout=subprocess.PIPE,
                                     stderr=subprocess.STDOUT, bufsize=0)
        _procs.append(self.proc)
        self.out = b""
        self.expect_prompt(60)

    def expect_prompt(self, timeout=20):
        end = time.time() + timeout
        while time.time() < end:
            if self.out.endswith(b"testpmd> "):
                text = self.out.decode(errors="replace")
                self.out = b""
                return text
            r, _, _ = select.select([self.proc.stdout], [], [], 0.2)
            if r:
                chunk = os.read(self.proc.stdout.fileno(), 65536)
                if not chunk:
                    break
                self.out += chunk
        fail("testpmd %s: no prompt within %d s; output:\n%s" %
             (self.name, timeout, self.out.decode(errors="replace")[-3000:]))

    def cmd(self, line, timeout=20):
        self.proc.stdin.write((line + "\n").encode())
        self.proc.stdin.flush()
        return self.expect_prompt(timeout)

    def port_stats(self):
        """{port: (rx_packets, tx_packets)} from 'show port stats all'."""
        text = self.cmd("show port stats all")
        out = {}
        for block in text.split("NIC statistics for port ")[1:]:
            port = int(block.split()[0])
            rx = int(re.search(r"RX-packets:\s+(\d+)", block).group(1))
            tx = int(re.search(r"TX-packets:\s+(\d+)", block).group(1))
            out[port] = (rx, tx)
        return out

    def wait_stats(self, pred, port=0, timeout=60):
        """Poll 'show port stats' until pred(rx, tx) holds for port
        (bounded); returns whether it did."""
        end = time.time() + timeout
        while time.time() < end:
            if pred(*self.port_stats()[port]):
                return True
            time.sleep(0.1)
        return pred(*self.port_stats()[port])

    def wait_rx(self, n, port=0, timeout=60):
        """Until port has received more than n frames (bounded)."""
        return self.wait_stats(lambda rx, tx: rx > n, port, timeout)

    def xstats(self, port=0):
        """{name: value} from 'show port xstats PORT'."""
        text = self.cmd("show port xstats %d" % port)
        return {m.group(1): int(m.group(2))
                for m in re.finditer(r"^(\w+): (\d+)\s*$", text, re.M)}

    def quit(self, timeout=20):
        if self.proc.poll() is None:
            try:
                self.proc.stdin.write(b"quit\n")
                self.proc.stdin.flush()
            except BrokenPipeError:
                pass
            try:
                self.proc.wait(timeout)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(5)

    def kill(self):
        self.proc.kill()
        self.proc.wait(5)
