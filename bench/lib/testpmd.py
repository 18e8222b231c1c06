"""dpdk-testpmd as a vhost-user back-end (or virtio-user front-end) that
the benchmarks share: started once, its log lines timestamped as they come
so a benchmark can ask when something happened."""
import os
import shutil
import select
import signal
import subprocess
import threading
import time

TESTPMD = shutil.which("dpdk-testpmd") or "/usr/bin/dpdk-testpmd"


def available():
    return os.path.exists(TESTPMD)


class Testpmd:
    def __init__(self, prefix, vdevs, fwd="io", extra=()):
        self.prefix = prefix
        self.argv = ["stdbuf", "-o0", TESTPMD, "--no-huge", "-m", "1024",
                     "--no-pci", "--no-shconf", f"--file-prefix={prefix}"]
        for v in vdevs:
            self.argv += ["--vdev", v]
        self.argv += ["--", f"--forward-mode={fwd}", "--auto-start",
                      "--stats-period", "3600"] + list(extra)
        self.lines = []          # (monotonic ns, text)
        self.lock = threading.Lock()
        self.proc = None

    @classmethod
    def command(cls, argv, prefix="cmd"):
        """Any program whose log lines a benchmark wants timestamped."""
        obj = cls.__new__(cls)
        obj.prefix = prefix
        obj.argv = list(argv)
        obj.lines = []
        obj.lock = threading.Lock()
        obj.proc = None
        return obj

    def start(self, wait_socket=None, timeout=30):
        self.proc = subprocess.Popen(self.argv, stdin=subprocess.DEVNULL,
                                     stdout=subprocess.PIPE,
                                     stderr=subprocess.STDOUT)
        threading.Thread(target=self._reader, daemon=True).start()
        if wait_socket:
            deadline = time.monotonic() + timeout
            while not os.path.exists(wait_socket):
                if self.proc.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError(f"{self.argv[0]} did not create "
                                       f"{wait_socket}: {self.tail()}")
                time.sleep(0.05)
        return self

    def _reader(self):
        for raw in self.proc.stdout:
            with self.lock:
                self.lines.append((time.monotonic_ns(),
                                   raw.decode(errors="replace").rstrip()))

    def mark(self):
        with self.lock:
            return len(self.lines)

    def wait_line(self, text, since, timeout):
        """Timestamp (ns) of the first line after index 'since' that
        contains text."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            with self.lock:
                for t, line in self.lines[since:]:
                    if text in line:
                        return t
            if self.proc.poll() is not None:
                break
            time.sleep(0.005)
        raise RuntimeError(f"{os.path.basename(self.argv[2] if self.argv[0] == 'stdbuf' else self.argv[0])} never said '{text}': "
                           f"{self.tail()}")

    def tail(self, n=5):
        with self.lock:
            return " | ".join(l for _, l in self.lines[-n:])

    def stop(self):
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGINT)
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()


class Interactive:
    """An interactive dpdk-testpmd driven through its prompt."""

    def __init__(self, argv, timeout=60):
        self.proc = subprocess.Popen(["stdbuf", "-o0"] + argv,
                                     stdin=subprocess.PIPE,
                                     stdout=subprocess.PIPE,
                                     stderr=subprocess.STDOUT, bufsize=0)
        self.out = b""
        self.expect(timeout)

    def expect(self, timeout=20):
        end = time.monotonic() + timeout
        fd = self.proc.stdout.fileno()
        while time.monotonic() < end:
            if self.out.endswith(b"testpmd> "):
                text, self.out = self.out.decode(errors="replace"), b""
                return text
            r, _, _ = select.select([fd], [], [], 0.2)
            if r:
                chunk = os.read(fd, 65536)
                if not chunk:
                    break
                self.out += chunk
        raise RuntimeError("testpmd: no prompt within %d s: %s" %
                           (timeout, self.out.decode(errors="replace")[-500:]))

    def cmd(self, line, timeout=20):
        self.proc.stdin.write((line + "\n").encode())
        return self.expect(timeout)

    def stop(self):
        if self.proc.poll() is None:
            try:
                self.proc.stdin.write(b"quit\n")
                self.proc.wait(10)
            except (BrokenPipeError, subprocess.TimeoutExpired):
                self.proc.kill()
                self.proc.wait(5)
        self.proc.stdout.close()
        self.proc.stdin.close()
