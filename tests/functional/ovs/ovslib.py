"""OVS-DPDK run by hand in a private directory, for vmu's tests, the demo
and bench/ovs: ovsdb-server and ovs-vswitchd-dpdk (Debian's
openvswitch-switch-dpdk, installed by scripts/install-deps), a netdev
bridge, vhost-user ports, the PMD thread pinned to one core; every process
started is stopped by its PID, the bridge deleted first (a netdev bridge's
tap device outlives ovs-vswitchd).  Waits are on OVS's own state (ovs-vsctl
waits for ovs-vswitchd to apply a change; link_state; statistics), never
fixed sleeps.  Python 3 standard library only.

    ovs = Ovs(tmpdir)        # ovsdb-server + ovs-vswitchd, bridge created
    ovs.add_port("vhu0", "dpdkvhostuserclient", path)   # vmu listens
    ovs.add_port("vhu1", "dpdkvhostuser")    # OVS listens: ovs.sock("vhu1")
    ovs.wait_link("vhu0", "up")
    ovs.kill_vswitchd(); ovs.start_vswitchd()   # SIGKILL and restart
    ovs.stop()                                  # del-br, then by PID
"""
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)),
                                ".."))
from skips import skip  # noqa: E402

VSWITCHD = "/usr/lib/openvswitch-switch-dpdk/ovs-vswitchd-dpdk"
SCHEMA = "/usr/share/openvswitch/vswitch.ovsschema"


class OvsError(Exception):
    pass


_live = []      # every Ovs and QtestGuest started, for cleanup()


def check(cond, msg):
    """An 'ok: msg' line, or OvsError(msg): the test's FAIL line."""
    if not cond:
        raise OvsError(msg)
    print("ok: " + msg, flush=True)


def cleanup():
    """Stop whatever is still running (guests first, then OVS), by PID;
    for a test's finally."""
    for obj in reversed(_live):
        try:
            obj.quit() if isinstance(obj, QtestGuest) else obj.stop()
        except Exception as e:  # noqa: BLE001 (clean up the rest anyway)
            print("# cleanup: %s" % e)
    _live.clear()


def need_ovs():
    """Skip (a failure under make check) unless OVS-DPDK is installed."""
    for path in (VSWITCHD, SCHEMA):
        if not os.path.exists(path):
            skip("OVS-DPDK is not installed (%s missing): run "
                 "scripts/install-deps (openvswitch-switch-dpdk)" % path)
    for tool in ("ovsdb-tool", "ovsdb-server", "ovs-vsctl", "ovs-appctl",
                 "ovs-ofctl"):
        if not shutil.which(tool):
            skip("%s is not installed (package openvswitch-common)" % tool)
    if os.cpu_count() < 2:
        skip("OVS's PMD thread needs a core of its own", host="cpus")


class Ovs:
    def __init__(self, rundir, bridge=None, pmd_cpu=1, log=print):
        self.dir = rundir
        self.log = log
        self.bridge = bridge or "vmubr%d" % (os.getpid() % 100000)
        # The PMD thread polls core 1, the main thread stays on core 0.
        self.pmd_cpu = pmd_cpu
        # The set-up commands, as docs/system/vhost-user.md shows them.
        self.commands = []
        self.prefix = "vmu-ovs-%d" % os.getpid()
        self.env = dict(os.environ, OVS_RUNDIR=rundir, OVS_LOGDIR=rundir,
                        OVS_DBDIR=rundir, OVS_SYSCONFDIR=rundir,
                        OVS_PKGDATADIR="/usr/share/openvswitch")
        self.db_sock = os.path.join(rundir, "db.sock")
        self.ctl = os.path.join(rundir, "ovs-vswitchd.ctl")
        self.db_proc = None
        self.proc = None
        self.ports = {}
        self.starts = 0
        _live.append(self)
        self._start_db()
        self._configure()
        self.start_vswitchd()
        self.vsctl("add-br", self.bridge, "--", "set", "bridge", self.bridge,
                   "datapath_type=netdev", doc=True)

    # -- processes --
    def _start_db(self):
        db = os.path.join(self.dir, "conf.db")
        argv = ["ovsdb-tool", "create", db, SCHEMA]
        self._record(argv)
        subprocess.run(argv, check=True, env=self.env, capture_output=True)
        out = open(os.path.join(self.dir, "ovsdb-server.out"), "w")
        argv = ["ovsdb-server", db, "--remote=punix:" + self.db_sock,
                "--unixctl=" + os.path.join(self.dir, "ovsdb-server.ctl"),
                "--log-file=" + os.path.join(self.dir, "ovsdb-server.log"),
                "-vconsole:off"]
        self._record(argv, background=True)
        self.db_proc = subprocess.Popen(argv, env=self.env,
                                        stdin=subprocess.DEVNULL,
                                        stdout=out, stderr=subprocess.STDOUT)
        self._wait(lambda: self._connects(self.db_sock) or
                   self.db_proc.poll() is not None, 30,
                   "ovsdb-server to listen on " + self.db_sock)
        if self.db_proc.poll() is not None:
            raise OvsError("ovsdb-server exited: " +
                           self._tail("ovsdb-server.log"))

    def _configure(self):
        # DPDK without huge pages (vmu's guest RAM is a shared memfd or
        # file either way), no PCI probing (it would take the host's
        # virtio NICs), its runtime files under a name of its own
        # (--in-memory would need no name but refuses --legacy-mem).
        self.vsctl("--no-wait", "init", doc=True)
        self.vsctl("--no-wait", "set", "Open_vSwitch", ".",
                   "other_config:dpdk-init=true",
                   'other_config:dpdk-extra="--no-huge -m 512 --legacy-mem '
                   '--no-pci --file-prefix=%s"' % self.prefix,
                   "other_config:per-port-memory=true",
                   "other_config:dpdk-lcore-mask=0x1",
                   "other_config:pmd-cpu-mask=0x%x" % (1 << self.pmd_cpu),
                   "other_config:vhost-sock-dir=.", doc=True)

    def start_vswitchd(self, wait=True):
        """Start ovs-vswitchd (again); returns once it serves its unixctl
        socket and has applied the database (bridge and ports), or at once
        with wait=False (then call wait_vswitchd())."""
        self.starts += 1
        if os.path.exists(self.ctl):
            os.unlink(self.ctl)
        # A SIGKILLed ovs-vswitchd leaves its dpdkvhostuser sockets behind
        # and the next one fails to bind them ("Address already in use;
        # remove it and try again"): remove them, as an operator must.
        for name, kind in self.ports.items():
            if kind == "dpdkvhostuser" and os.path.exists(self.sock(name)):
                os.unlink(self.sock(name))
        out = open(os.path.join(self.dir, "vswitchd.out"), "a")
        argv = [VSWITCHD, "unix:" + self.db_sock, "--unixctl=" + self.ctl,
                "--log-file=" + os.path.join(self.dir, "ovs-vswitchd.log"),
                "-vconsole:off"]
        if self.starts == 1:
            self._record(argv, background=True)
        self.proc = subprocess.Popen(argv, env=self.env,
                                     stdin=subprocess.DEVNULL, stdout=out,
                                     stderr=subprocess.STDOUT)
        if wait:
            self.wait_vswitchd()
        return self.proc.pid

    def wait_vswitchd(self):
        self._wait(lambda: self.proc.poll() is not None or
                   self.appctl_ok("version"), 60,
                   "ovs-vswitchd to answer on " + self.ctl)
        if self.proc.poll() is not None:
            raise OvsError("ovs-vswitchd exited with status %d:\n%s" %
                           (self.proc.returncode,
                            self._tail("ovs-vswitchd.log")))
        # ovs-vsctl waits until ovs-vswitchd has caught up with the db.
        self.vsctl("--timeout=60", "set", "Open_vSwitch", ".",
                   "external_ids:vmu-starts=%d" % self.starts)

    def kill_vswitchd(self):
        """SIGKILL ovs-vswitchd (by PID) and reap it."""
        self.proc.send_signal(signal.SIGKILL)
        self.proc.wait(30)

    def stop(self):
        """Delete the bridge (its tap), then end ovs-vswitchd and
        ovsdb-server by PID; safe to call twice and after failures."""
        if self in _live:
            _live.remove(self)
        if self.proc and self.proc.poll() is None:
            try:
                self.vsctl("--timeout=20", "--if-exists", "del-br",
                           self.bridge, doc=True)
            except (OvsError, subprocess.TimeoutExpired) as e:
                self.log("# del-br failed: %s" % e)
            self._end(self.proc)
        elif self.db_proc and self.db_proc.poll() is None:
            try:
                self.vsctl("--no-wait", "--if-exists", "del-br", self.bridge)
            except (OvsError, subprocess.TimeoutExpired):
                pass
        if self.db_proc:
            self._end(self.db_proc)
        # DPDK's runtime directory (its multi-process socket).
        shutil.rmtree("/var/run/dpdk/" + self.prefix, ignore_errors=True)
        # A netdev bridge's tap left by a SIGKILLed ovs-vswitchd.
        if os.path.exists("/sys/class/net/" + self.bridge):
            subprocess.run(["ip", "link", "del", self.bridge],
                           capture_output=True)

    @staticmethod
    def _end(p):
        if p.poll() is None:
            p.terminate()
            try:
                p.wait(20)
            except subprocess.TimeoutExpired:
                p.kill()
                p.wait(10)

    # -- commands --
    def _record(self, argv, background=False):
        self.commands.append((list(argv), background))

    def vsctl(self, *args, timeout=90, doc=False):
        cmd = ["ovs-vsctl", "--db=unix:" + self.db_sock] + list(args)
        if doc:
            self._record(cmd)
        p = subprocess.run(cmd, env=self.env, capture_output=True, text=True,
                           timeout=timeout)
        if p.returncode:
            raise OvsError("%s: %s" % (" ".join(cmd), p.stderr.strip()))
        return p.stdout.strip()

    def appctl(self, *args):
        p = subprocess.run(["ovs-appctl", "-t", self.ctl] + list(args),
                           env=self.env, capture_output=True, text=True,
                           timeout=30)
        if p.returncode:
            raise OvsError("ovs-appctl %s: %s" % (" ".join(args),
                                                  p.stderr.strip()))
        return p.stdout

    def appctl_ok(self, *args):
        try:
            self.appctl(*args)
            return True
        except (OvsError, subprocess.TimeoutExpired):
            return False

    # -- ports --
    def add_port(self, name, kind, path=None, **options):
        """A vhost-user port: dpdkvhostuserclient (OVS connects to path, vmu
        listens) or dpdkvhostuser (OVS listens on sock(name))."""
        args = ["--timeout=60", "add-port", self.bridge, name, "--", "set",
                "Interface", name, "type=" + kind]
        if path:
            args.append("options:vhost-server-path=" + path)
        for k, v in options.items():
            args.append("options:%s=%s" % (k, v))
        self.vsctl(*args, doc=True)
        self.ports[name] = kind
        if kind == "dpdkvhostuser":
            self._wait(lambda: os.path.exists(self.sock(name)), 30,
                       "OVS to listen on " + self.sock(name))

    def sock(self, name):
        return os.path.join(self.dir, name)

    def link_state(self, name):
        """'up' or 'down' as ovs-vswitchd's netdev has it now (ovs-ofctl
        show: LINK_DOWN); None if it cannot tell.  Not the Interface
        table's link_state: that column can stay 'down' when a
        dpdkvhostuserclient device comes up before OVS has added the
        interface to the bridge (seen after restarts)."""
        try:
            p = subprocess.run(["ovs-ofctl", "show", "unix:" + os.path.join(
                self.dir, self.bridge + ".mgmt")], env=self.env,
                capture_output=True, text=True, timeout=10)
        except subprocess.TimeoutExpired:
            return None
        m = re.search(r"^ \d+\(%s\):.*?\n\s+config:[^\n]*\n\s+state:"
                      r"\s*([^\n]*)" % re.escape(name), p.stdout, re.S | re.M)
        if p.returncode or not m:
            return None
        return "down" if "LINK_DOWN" in m.group(1) else "up"

    def wait_link(self, name, state, timeout=60):
        """Wait until OVS reports the port's link in state; returns the
        seconds it took, raises OvsError with the log tail if it does not."""
        t0 = time.monotonic()
        self._wait(lambda: self.link_state(name) == state, timeout,
                   "port %s link_state %s" % (name, state))
        return time.monotonic() - t0

    def stats(self, name):
        """{counter: value} from the Interface's statistics column."""
        text = self.vsctl("--timeout=10", "get", "Interface", name,
                          "statistics")
        return {k: int(v) for k, v in re.findall(r'"?([\w-]+)"?=(\d+)',
                                                 text)}

    def stats_until(self, name, pred, timeout=30):
        """The Interface's statistics once pred(stats) holds (ovs-vswitchd
        refreshes the column every 5 s), or the last ones after timeout."""
        end = time.monotonic() + timeout
        st = self.stats(name)
        while not pred(st) and time.monotonic() < end:
            time.sleep(0.2)
            st = self.stats(name)
        return st

    def pmd_cores(self):
        """Cores the PMD threads run on (dpif-netdev/pmd-rxq-show)."""
        text = self.appctl("dpif-netdev/pmd-rxq-show")
        return sorted({int(c) for c in re.findall(r"core_id (\d+)", text)})

    def rxqs(self, name):
        """Rx queue ids OVS polls for the port."""
        text = self.appctl("dpif-netdev/pmd-rxq-show")
        return sorted({int(q) for q in re.findall(
            r"port: %s\s+queue-id:\s+(\d+)" % re.escape(name), text)})

    # -- helpers --
    @staticmethod
    def _connects(path):
        """True once a UNIX socket at path accepts connections (it may
        exist a moment before it listens)."""
        s = socket.socket(socket.AF_UNIX)
        try:
            s.connect(path)
            return True
        except OSError:
            return False
        finally:
            s.close()

    def _tail(self, name, n=3000):
        try:
            with open(os.path.join(self.dir, name)) as f:
                return f.read()[-n:]
        except OSError:
            return "(no %s)" % name

    def _wait(self, fn, timeout, what):
        end = time.monotonic() + timeout
        while time.monotonic() < end:
            if fn():
                return
            time.sleep(0.05)
        if not fn():
            raise OvsError("timed out after %d s waiting for %s; "
                           "ovs-vswitchd.log ends:\n%s" %
                           (timeout, what, self._tail("ovs-vswitchd.log")))

    def log_text(self):
        return self._tail("ovs-vswitchd.log", 10 ** 7)


class Hugepages:
    """Reserve 2 MiB huge pages for the test and put the count back (and
    unmount) at the end, however the test ends (use with 'with')."""

    PATH = "/sys/kernel/mm/hugepages/hugepages-2048kB/nr_hugepages"

    def __init__(self, pages, mountpoint):
        self.pages = pages
        self.mnt = mountpoint
        self.before = None
        self.mounted = False

    def __enter__(self):
        if not os.path.exists(self.PATH):
            skip("no 2 MiB huge pages on this kernel", host="hugepage-size")
        with open(self.PATH) as f:
            self.before = int(f.read())
        with open(self.PATH, "w") as f:
            f.write(str(self.before + self.pages))
        with open(self.PATH) as f:
            got = int(f.read())
        if got < self.before + self.pages:
            self.__exit__()
            raise OvsError("could reserve only %d of %d huge pages" %
                           (got - self.before, self.pages))
        os.makedirs(self.mnt, exist_ok=True)
        subprocess.run(["mount", "-t", "hugetlbfs", "-o", "pagesize=2M",
                        "none", self.mnt], check=True)
        self.mounted = True
        return self

    def __exit__(self, *exc):
        if self.mounted:
            subprocess.run(["umount", self.mnt], capture_output=True)
            self.mounted = False
        if self.before is not None:
            with open(self.PATH, "w") as f:
                f.write(str(self.before))
        return False


def parse_stats(line):
    """'stats rx 10 fw 0 lost 0 ...' -> {'rx': 10, 'fw': 0, ...}"""
    words = line.split()
    if not words or words[0] != "stats":
        raise OvsError("ovs-guest answered %r, not stats" % line)
    return {words[i]: int(words[i + 1]) for i in range(1, len(words) - 1, 2)}


class QtestGuest:
    """ovs-guest (a qtest guest: vmu with no vCPU, the test drives the
    virtio-net rings) on one vhost-user chardev; commands go over a pipe,
    one answer line each (see ovs-guest.c)."""

    def __init__(self, binary, vmm, chardev, mac, ram="memfd", queues=1,
                 logdir=None, qemu=None, extra=""):
        mem = {"memfd": "-object memory-backend-memfd,id=mem,size=256M,"
                        "share=on",
               "default": ""}.get(ram)
        if mem is None:          # a hugetlbfs (or any) directory
            mem = ("-object memory-backend-file,id=mem,size=256M,"
                   "mem-path=%s,share=on" % ram)
        if mem:
            mem += " -numa node,memdev=mem"
        mq = ",queues=%d" % queues if queues > 1 else ""
        dev_mq = ",mq=on,vectors=%d" % (2 * queues + 2) if queues > 1 else ""
        args = ("-m 256M %s -chardev %s -netdev vhost-user,id=n0,chardev=c0%s "
                "-device virtio-net-pci,netdev=n0,disable-legacy=on,mac=%s%s "
                "%s" % (mem, chardev, mq, mac, dev_mq, extra))
        env = dict(os.environ)
        env.pop("QTEST_QEMU_BINARY", None)
        if qemu:
            env["QTEST_QEMU_BINARY"] = qemu
        else:
            env["QTEST_VMU_BINARY"] = vmm
        self.err_path = os.path.join(logdir or "/tmp", "guest-%s.err" %
                                     mac.replace(":", ""))
        self.err = open(self.err_path, "w")
        argv = [binary] + (["--queues", str(queues)] if queues > 1 else [])
        _live.append(self)
        self.proc = subprocess.Popen(argv + [args], env=env,
                                     stdin=subprocess.PIPE,
                                     stdout=subprocess.PIPE, stderr=self.err,
                                     text=True, bufsize=1)
        self.mac = mac
        self.ready = self._line(120)
        if not self.ready.startswith("ready"):
            raise OvsError("ovs-guest %s did not come up: %r; stderr:\n%s" %
                           (mac, self.ready, self.stderr()))
        self.times = {k: int(v) for k, v in re.findall(r"(t_\w+)=(\d+)",
                                                       self.ready)}

    def _line(self, timeout):
        import select
        r, _, _ = select.select([self.proc.stdout], [], [], timeout)
        if not r:
            raise OvsError("ovs-guest %s: no answer within %d s; stderr:\n%s"
                           % (self.mac, timeout, self.stderr()))
        line = self.proc.stdout.readline()
        if not line:
            raise OvsError("ovs-guest %s ended (status %s); stderr:\n%s" %
                           (self.mac, self.proc.poll(), self.stderr()))
        return line.strip()

    def cmd(self, line, timeout=120):
        self.proc.stdin.write(line + "\n")
        self.proc.stdin.flush()
        return self._line(timeout)

    def wait_link(self, state, ms=60000):
        """Seconds until the guest sees the link in state, or None."""
        a = self.cmd("wait-link %s %d" % (state, ms), ms / 1000 + 30)
        m = re.match(r"link \w+ after (\d+) ms", a)
        return int(m.group(1)) / 1000 if m else None

    def send(self, n):
        """Returns queue 0's next sequence number."""
        a = self.cmd("send %d" % n)
        m = re.match(r"sent %d next (\d+)$" % n, a)
        if not m:
            raise OvsError("ovs-guest %s: send %d: %s" % (self.mac, n, a))
        return int(m.group(1))

    def recv_seq(self, sender_mac, seq, ms=30000):
        """Stats once the sender's queue 0 frames up to seq - 1 came."""
        return parse_stats(self.cmd("recv-seq %d %d %d" % (
            int(sender_mac.split(":")[-1], 16), seq, ms), ms / 1000 + 30))

    def stats(self):
        return parse_stats(self.cmd("stats"))

    def recv_until(self, total, ms=30000):
        return parse_stats(self.cmd("recv-until %d %d" % (total, ms),
                                    ms / 1000 + 30))

    def stderr(self):
        self.err.flush()
        with open(self.err_path) as f:
            return f.read()[-3000:]

    def quit(self):
        """Hang up: vmu must then exit 0.  Returns its status."""
        if self in _live:
            _live.remove(self)
        if self.proc.poll() is None:
            try:
                self.proc.communicate("quit\n", timeout=30)
            except (subprocess.TimeoutExpired, BrokenPipeError, OSError):
                self.proc.kill()
                self.proc.wait()
        self.err.close()
        return self.proc.returncode


def transfer(src, dst, n, window=128, timeout=60):
    """n frames from src to dst, window by window (a guest's ring holds
    256: an unpaced burst would be dropped by OVS at the receiver); returns
    dst's stats afterwards."""
    base = dst.stats()
    got0 = base["rx"]
    sent = 0
    st = base
    while sent < n:
        k = min(window, n - sent)
        src.send(k)
        sent += k
        st = dst.recv_until(got0 + sent, timeout * 1000)
        if st["rx"] < got0 + sent:
            break
    return base, st
