"""What every benchmark needs: paths, the machine, process helpers."""
import os
import platform
import select
import subprocess
import time


class Context:
    def __init__(self, top, out):
        self.top = top
        self.out = out
        self.build = os.path.join(top, "build")
        self.vmu = os.path.join(self.build, "vmu")
        self.firmware = os.path.join(self.build, "tests", "guest", "firmware",
                                     "fw.elf")
        self.qemu = "/usr/bin/qemu-system-x86_64"

    def machine(self):
        """Cores, KVM flavour, kernel: stated at the top of the summary."""
        kvm = "none (no /dev/kvm)"
        if os.path.exists("/dev/kvm"):
            if os.path.exists("/sys/module/kvm_pvm"):
                kvm = ("kvm-pvm (nested paravirtual KVM: guest code runs "
                       "through KVM's instruction emulator, ~1 M "
                       "instructions/s)")
            elif os.path.exists("/sys/module/kvm_intel"):
                kvm = "kvm-intel (VMX)"
            elif os.path.exists("/sys/module/kvm_amd"):
                kvm = "kvm-amd (SVM)"
            else:
                kvm = "kvm"
        model = ""
        try:
            with open("/proc/cpuinfo") as f:
                for line in f:
                    if line.startswith("model name"):
                        model = line.split(":", 1)[1].strip()
                        break
        except OSError:
            pass
        return {
            "cores": os.cpu_count(),
            "cpu": model,
            "kvm": kvm,
            "kernel": platform.release(),
            "pvm": os.path.exists("/sys/module/kvm_pvm"),
        }


def need_kvm_and_qemu(ctx):
    """Skip a benchmark that runs both VMMs on KVM where either is missing."""
    from lib.report import Skip
    if not os.access("/dev/kvm", os.R_OK | os.W_OK):
        raise Skip("/dev/kvm cannot be opened: no KVM on this machine")
    if not os.path.exists(ctx.qemu):
        raise Skip("qemu-system-x86_64 is not installed")


def version_of(cmd):
    try:
        p = subprocess.run(cmd, capture_output=True, text=True, timeout=10)
        return (p.stdout or p.stderr).splitlines()[0].strip()
    except (OSError, subprocess.SubprocessError, IndexError):
        return "unknown"


class Timed:
    """Run a command; note when stdout first produces a byte, when a given
    text appears, and when the process exits (all in ms from exec)."""

    def __init__(self, argv, wait_for=None, on_text=None, timeout=60,
                 env=None, marks=()):
        self.argv = argv
        self.marks = marks          # more texts: mark_ms[text] when seen
        self.mark_ms = {}
        self.wait_for = wait_for
        self.on_text = on_text
        self.timeout = timeout
        self.env = env
        self.first_byte_ms = None
        self.text_ms = None
        self.exit_ms = None
        self.status = None
        self.maxrss_kib = None
        self.output = b""

    def run(self):
        t0 = time.monotonic()
        p = subprocess.Popen(self.argv, stdin=subprocess.DEVNULL,
                             stdout=subprocess.PIPE,
                             stderr=subprocess.STDOUT, env=self.env)
        fd = p.stdout.fileno()
        deadline = t0 + self.timeout
        try:
            while True:
                left = deadline - time.monotonic()
                if left <= 0:
                    raise TimeoutError(f"{self.argv[0]} did not finish in "
                                       f"{self.timeout} s")
                r, _, _ = select.select([fd], [], [], left)
                if not r:
                    continue
                chunk = os.read(fd, 65536)
                now = time.monotonic()
                if not chunk:
                    break
                if self.first_byte_ms is None:
                    self.first_byte_ms = (now - t0) * 1000
                self.output += chunk
                for m in self.marks:
                    if m not in self.mark_ms and m.encode() in self.output:
                        self.mark_ms[m] = (now - t0) * 1000
                if (self.wait_for and self.text_ms is None and
                        self.wait_for.encode() in self.output):
                    self.text_ms = (now - t0) * 1000
                    if self.on_text:
                        self.on_text(p.pid)
            _, status, ru = os.wait4(p.pid, 0)
            self.exit_ms = (time.monotonic() - t0) * 1000
            self.status = os.waitstatus_to_exitcode(status)
            self.maxrss_kib = ru.ru_maxrss
        finally:
            if p.poll() is None:
                p.kill()
                p.wait()
            p.stdout.close()
        return self


def vm_hwm_kib(pid):
    """Peak resident set of the process since its exec (VmHWM)."""
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmHWM:"):
                return int(line.split()[1])
    return 0


def smaps_rss(pid, big_mapping_bytes):
    """(total Rss, Rss of mappings at least big_mapping_bytes long) in KiB:
    the second is guest RAM as far as the guest has touched it."""
    total = big = 0
    size = 0
    with open(f"/proc/{pid}/smaps") as f:
        for line in f:
            parts = line.split()
            if len(parts) >= 2 and "-" in parts[0] and ":" not in parts[0]:
                lo, hi = parts[0].split("-")
                size = int(hi, 16) - int(lo, 16)
            elif parts and parts[0] == "Rss:":
                kib = int(parts[1])
                total += kib
                if size >= big_mapping_bytes:
                    big += kib
    return total, big
