"""client: guestless front-end: vmu-vhost-client vs DPDK virtio-user, against
the same testpmd back-end.

One dpdk-testpmd with a vhost back-end port (net_vhost0, rxonly forwarding)
runs for the whole benchmark; each run connects one front-end to its socket
and makes it transmit 64- or 1,518-byte frames as fast as it can:

  vmu:  vmu-vhost-client -q SOCK --send N --size S --busy-poll
  peer: dpdk-testpmd --vdev net_virtio_user0,path=SOCK
        -- --forward-mode=txonly --txpkts=S

The metric is what the back-end received, in frames per second, read from
the back-end's own port statistics ('show port stats 0': RX-packets) at the
start and the end of the same window for both front-ends, so the measuring
instrument is the same.
"""
import os
import re
import shutil
import signal
import subprocess
import tempfile
import time

from lib import testpmd
from lib.report import Metric, Skip

SIZES = (64, 1518)
WARMUP_S = 0.5
WINDOW_S = 1.5
FE_CPU = 0          # the front-end under test
BE_CPU = 1          # the back-end's lcores


def _kill(p, sig=signal.SIGINT, timeout=5):
    if p is None or p.poll() is not None:
        return
    p.send_signal(sig)
    try:
        p.wait(timeout)
    except subprocess.TimeoutExpired:
        p.kill()
        p.wait(5)


class Backend:
    """Interactive dpdk-testpmd, vhost port 0, rxonly, on BE_CPU."""

    def __init__(self, tmp):
        self.sock = os.path.join(tmp, "vhost.sock")
        argv = ["dpdk-testpmd", "--no-huge", "-m", "1024",
                "--no-pci", "--no-shconf",
                f"--file-prefix=vmu-bench-be{os.getpid()}",
                f"--lcores=0@{BE_CPU},1@{BE_CPU}",
                "--vdev", f"net_vhost0,iface={self.sock},queues=1",
                "--", "-i", "--forward-mode=rxonly", "--nb-cores=1",
                "--no-mlockall"]
        self.pmd = testpmd.Interactive(argv)
        self.pmd.cmd("start")

    def cmd(self, line, timeout=20):
        return self.pmd.cmd(line, timeout)

    def rx_packets(self):
        """(monotonic time, RX-packets of port 0)."""
        text = self.cmd("show port stats 0")
        t = time.monotonic()
        m = re.search(r"RX-packets:\s+(\d+)", text)
        if not m:
            raise RuntimeError("no RX-packets in: " + text[-500:])
        return t, int(m.group(1))

    def close(self):
        self.pmd.stop()


class Benchmark:
    name = "client"
    title = ("guestless front-end: vmu-vhost-client vs DPDK virtio-user, "
             "against the same testpmd back-end")
    peer_name = "DPDK virtio-user"
    pairs = 5
    metrics = [
        Metric(f"tx_pps_{s}", "Mpps",
               f"{s}-byte frames per second the testpmd vhost back-end "
               f"received from the front-end (RX-packets delta over a "
               f"{WINDOW_S} s window after {WARMUP_S} s of warm-up)",
               better="higher", target=("ratio", 1.0)) for s in SIZES
    ]
    notes = [
        "Machine: 2 cores. The back-end (dpdk-testpmd, net_vhost0, rxonly, "
        f"both lcores on CPU {BE_CPU}) busy-polls its port; the front-end "
        f"under test runs alone on CPU {FE_CPU} and busy-polls too "
        "(vmu-vhost-client --busy-poll in `taskset -c 0`; testpmd "
        f"virtio-user with `--lcores=0@{FE_CPU},1@{FE_CPU}`, txonly on one "
        "forwarding lcore, its main lcore asleep).",
        "Fairness: the same back-end process for every run, the same "
        "counter read the same way for both, the same window; both "
        "front-ends negotiate with that back-end (split rings of 256, "
        "12-byte virtio-net header, no offloads used) and write every "
        "frame's headers for each packet (txonly builds Ethernet/IP/UDP "
        "headers per packet, vmu-vhost-client its test header and pattern "
        "and copies the frame into the ring buffer; DPDK hands the back-end "
        "mbufs in place, without a copy). Runs alternate vmu, peer, vmu, …",
    ]

    def __init__(self, ctx):
        self.ctx = ctx
        self.client = os.path.join(ctx.build, "contrib", "vhost-user-client",
                                   "vmu-vhost-client")
        self.tmp = None
        self.be = None

    def peer_version(self):
        try:
            p = subprocess.run(["dpkg-query", "-W", "-f=${Version}",
                                "dpdk"], capture_output=True, text=True,
                               timeout=10)
            return "dpdk-testpmd " + (p.stdout.strip() or "unknown")
        except (OSError, subprocess.SubprocessError):
            return "dpdk-testpmd"

    def setup(self):
        if not shutil.which("dpdk-testpmd"):
            raise Skip("dpdk-testpmd is not installed (package dpdk)")
        if not os.access(self.client, os.X_OK):
            raise Skip("vmu-vhost-client is not built (ninja -C build)")
        if (os.cpu_count() or 1) < 2:
            raise Skip("needs two CPUs (front-end and back-end pinned apart)")
        self.tmp = tempfile.mkdtemp(prefix="vmu-bench-client-")
        self.be = Backend(self.tmp)
        end = time.monotonic() + 30
        while not os.path.exists(self.be.sock):
            if time.monotonic() > end:
                raise Skip("dpdk-testpmd made no vhost socket in 30 s")
            time.sleep(0.1)

    def teardown(self):
        if self.be:
            self.be.close()
        if self.tmp:
            shutil.rmtree(self.tmp, ignore_errors=True)

    def frontend(self, variant, size, log):
        if variant == "vmu":
            argv = ["taskset", "-c", str(FE_CPU), self.client, "-q",
                    self.be.sock, "--send", "1000000000000", "--size",
                    str(size), "--busy-poll", "--duration", "60"]
        else:
            argv = ["dpdk-testpmd", "--no-huge", "-m", "1024", "--no-pci",
                    "--no-shconf",
                    f"--file-prefix=vmu-bench-fe{os.getpid()}",
                    f"--lcores=0@{FE_CPU},1@{FE_CPU}",
                    "--vdev", f"net_virtio_user0,path={self.be.sock},"
                    "queues=1",
                    "--", "--forward-mode=txonly", f"--txpkts={size}",
                    "--nb-cores=1", "--stats-period=1", "--no-mlockall"]
        return subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=log,
                                stderr=subprocess.STDOUT)

    def measure(self, variant, size):
        log = tempfile.TemporaryFile(dir=self.tmp)
        fe = self.frontend(variant, size, log)
        try:
            # running: the back-end's counter moves
            _, base = self.be.rx_packets()
            end = time.monotonic() + 30
            while True:
                time.sleep(0.1)
                _, n = self.be.rx_packets()
                if n > base:
                    break
                if fe.poll() is not None or time.monotonic() > end:
                    log.seek(0)
                    raise RuntimeError(f"{variant} front-end sent nothing "
                                       f"(exit {fe.poll()}): " +
                                       log.read()[-800:].decode(
                                           errors="replace"))
            time.sleep(WARMUP_S)
            t0, n0 = self.be.rx_packets()
            time.sleep(WINDOW_S)
            t1, n1 = self.be.rx_packets()
            if fe.poll() is not None:
                raise RuntimeError(f"{variant} front-end exited during the "
                                   f"window ({fe.returncode})")
            return (n1 - n0) / (t1 - t0) / 1e6
        finally:
            _kill(fe)
            log.close()
            # the back-end notices the hang-up before the next front-end
            time.sleep(0.3)

    def run(self, variant):
        return {f"tx_pps_{s}": self.measure(variant, s) for s in SIZES}
