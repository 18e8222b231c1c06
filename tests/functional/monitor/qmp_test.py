"""QMP against vmu on a qtest machine (no vCPU; the test is the guest when
it needs one): negotiation, every command, the events, hostile input
(malformed, oversize, deeply nested, wrong types, unknown commands, a
client that disconnects mid-request), several clients at once -- each with
QEMU's error class, the VM unaffected.  TAP output.
usage: qmp_test.py VMU"""
import json
import os
import socket
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from qmpclient import QMP, QMPError, Terminal  # noqa: E402

VMU = sys.argv[1]
PM_BASE = 0x600


class Machine:
    """vmu -machine pc,accel=qtest with QMP sockets; this process holds the
    qtest connection (closing it ends vmu)."""

    def __init__(self, tmp, extra=(), nqmp=1, pass_fds=()):
        self.tmp = tmp
        self.qtest_path = os.path.join(tmp, "qtest.sock")
        for f in os.listdir(tmp):
            if f != "passed.sock":      # the caller's, for this machine
                os.unlink(os.path.join(tmp, f))
        ls = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        ls.bind(self.qtest_path)
        ls.listen(1)
        ls.settimeout(30)
        self.qmp_paths = [os.path.join(tmp, "qmp%d.sock" % i)
                          for i in range(nqmp)]
        argv = [VMU, "-machine", "pc,accel=qtest", "-qtest",
                "unix:" + self.qtest_path]
        for p in self.qmp_paths:
            argv += ["-qmp", "unix:%s,server=on,wait=off" % p]
        argv += list(extra)
        self.errf = open(os.path.join(tmp, "stderr"), "w+")
        self.proc = subprocess.Popen(argv, stdin=subprocess.DEVNULL,
                                     stdout=subprocess.DEVNULL,
                                     stderr=self.errf, pass_fds=pass_fds)
        self.qt, _ = ls.accept()
        self.qt.settimeout(30)
        ls.close()
        self.qtbuf = b""
        self.irqs = b""         # IRQ lines qtest sent meanwhile

    def qmp(self, i=0, negotiate=True):
        q = QMP(self.qmp_paths[i])
        if negotiate:
            q.negotiate()
        return q

    def qtest(self, line):
        self.qt.sendall((line + "\n").encode())
        while True:
            while b"\n" not in self.qtbuf:
                chunk = self.qt.recv(4096)
                if not chunk:
                    raise QMPError("qtest socket closed")
                self.qtbuf += chunk
            reply, self.qtbuf = self.qtbuf.split(b"\n", 1)
            if not reply.startswith(b"IRQ"):
                return reply.decode()
            self.irqs += reply + b"\n"

    def pci_cfg_write(self, devfn, reg, val, size):
        self.qtest("outl 0xcf8 0x%x" % (0x80000000 | devfn << 8 | reg & 0xfc))
        op = {1: "outb", 2: "outw", 4: "outl"}[size]
        self.qtest("%s 0x%x 0x%x" % (op, 0xcfc + (reg & 3), val))

    def pm_enable(self):
        """What the firmware does: the PM block at 0x600."""
        self.pci_cfg_write(0x0b, 0x40, PM_BASE | 1, 4)
        self.pci_cfg_write(0x0b, 0x80, 1, 1)

    def wait_exit(self, timeout=30):
        return self.proc.wait(timeout)

    def stderr(self):
        self.errf.seek(0)
        return self.errf.read()

    def stop(self):
        if self.proc.poll() is None:
            self.qt.close()
            try:
                self.proc.wait(30)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        rc = self.proc.returncode
        self.errf.close()
        return rc


def expect(cond, what):
    if not cond:
        raise AssertionError(what)


def error_class(r):
    expect("error" in r, "an error reply, got %s" % r)
    return r["error"]["class"]


def assert_alive(m, q):
    """The VM still answers: QMP and qtest."""
    st = q.cmd("query-status")
    expect(st["status"] in ("running", "paused", "prelaunch"), st)
    expect(m.qtest("inl 0xcfc").startswith("OK"), "qtest answers")
    expect(m.proc.poll() is None, "vmu still runs")
    return st


def t_negotiation(m):
    q = m.qmp(negotiate=False)
    g = q.greeting["QMP"]
    expect(g["version"]["qemu"]["major"] >= 4, g)
    expect(g["version"]["package"].startswith("vmu"), g)
    expect(g["capabilities"] == [], g)
    r = q.cmd_raw("query-status", id="early")
    expect(error_class(r) == "CommandNotFound", r)
    expect(r["id"] == "early", "id echoed on an error")
    expect(q.cmd_raw("qmp_capabilities",
                     {"enable": ["oob"]})["error"]["class"] == "GenericError",
           "oob is not offered")
    expect(q.cmd_raw("qmp_capabilities", id=1) == {"return": {}, "id": 1},
           "negotiated")
    r = q.cmd_raw("qmp_capabilities")
    expect(error_class(r) == "CommandNotFound", r)
    for ident in (7, "x", {"a": [1, 2]}, None):
        r = q.cmd_raw("query-status", id=ident)
        expect(r["id"] == ident, "id %r echoed: %s" % (ident, r))
    q.close()


def t_queries(m):
    q = m.qmp()
    names = {c["name"] for c in q.cmd("query-commands")}
    for c in ("query-status", "query-version", "query-kvm", "query-machines",
              "qom-list-properties", "query-qmp-schema", "cont", "stop",
              "system_powerdown", "quit", "set_link"):
        expect(c in names, "query-commands lists %s" % c)
    v = q.cmd("query-version")
    expect((v["qemu"]["major"], v["qemu"]["minor"]) >= (4, 2), v)
    expect(q.cmd("query-target") == {"arch": "x86_64"}, "target")
    k = q.cmd("query-kvm")
    expect(k["enabled"] is False, "qtest, not kvm: %s" % k)
    expect(q.cmd("query-name") == {"name": "qmp-guest"}, "name")
    expect(q.cmd("query-uuid")["UUID"] ==
           "c7a5fdbd-cdaf-9455-926a-d65c16db1809", "uuid")
    ms = q.cmd("query-machines")
    expect(any(x.get("alias") == "pc" and x.get("is-default") for x in ms),
           ms)
    cpus = q.cmd("query-cpus-fast")
    expect(len(cpus) == 2 and cpus[1]["cpu-index"] == 1, cpus)
    expect(len(q.cmd("query-hotpluggable-cpus")) == 2, "hotpluggable cpus")
    expect({c["name"] for c in q.cmd("query-cpu-definitions")} >=
           {"host"}, "cpu definitions")
    chr_ = q.cmd("query-chardev")
    expect(any(c["label"] == "compat_monitor0" and c["frontend-open"]
               for c in chr_), chr_)
    devs = q.cmd("query-pci")[0]["devices"]
    expect(any(d["id"]["vendor"] == 0x1af4 for d in devs),
           "query-pci shows the virtio-net NIC: %s" % devs)
    expect(q.cmd("query-migrate-capabilities") == [], "no migration")
    expect(q.cmd("migrate-set-capabilities", {"capabilities": []}) == {},
           "empty set")
    types = {t["name"] for t in q.cmd("qom-list-types")}
    expect("virtio-net-pci" in types and "memory-backend-memfd" in types,
           "qom-list-types")
    props = {p["name"] for p in q.cmd("device-list-properties",
                                      {"typename": "virtio-net-pci"})}
    expect("netdev" in props and "mac" in props, props)
    r = q.cmd_raw("device-list-properties", {"typename": "nosuch"})
    expect(error_class(r) == "DeviceNotFound", r)
    # libvirtd 9.0 crashes on DeviceNotFound here: an answer, even empty
    expect(q.cmd("qom-list-properties", {"typename": "nosuch-class"}) == [],
           "qom-list-properties of an unknown class")
    expect(len(q.cmd("qom-list-properties",
                     {"typename": "memory-backend-memfd"})) > 0, "memfd")
    expect(q.cmd("qom-get", {"path": "/machine", "property": "type"}),
           "qom-get")
    r = q.cmd_raw("qom-get", {"path": "/nowhere", "property": "type"})
    expect(error_class(r) == "DeviceNotFound", r)
    expect(q.cmd("query-command-line-options", {"option": "machine"}),
           "options")
    schema = q.cmd("query-qmp-schema")
    metas = {e["name"]: e["meta-type"] for e in schema}
    expect(metas.get("query-status") == "command" and
           metas.get("STOP") == "event" and metas.get("str") == "builtin",
           "schema")
    out = q.cmd("human-monitor-command", {"command-line": "info status"})
    expect(out == "VM status: running\n", repr(out))
    out = q.cmd("human-monitor-command", {"command-line": "info network"})
    expect("n0" in out, repr(out))
    expect(q.cmd("set_link", {"name": "nic0", "up": False}) == {}, "link")
    out = q.cmd("human-monitor-command", {"command-line": "info network"})
    expect("link down" in out, repr(out))
    r = q.cmd_raw("set_link", {"name": "nosuch", "up": True})
    expect(error_class(r) == "DeviceNotFound", r)
    q.close()


def t_lifecycle(m):
    q = m.qmp()
    expect(q.cmd("stop") == {}, "stop")
    e = q.event("STOP")
    expect(set(e["timestamp"]) == {"seconds", "microseconds"} and
           e["timestamp"]["seconds"] > 1.5e9, e)
    expect(q.cmd("query-status") == {"running": False, "singlestep": False,
                                     "status": "paused"}, "paused")
    q.cmd("cont")
    q.event("RESUME")
    expect(q.cmd("query-status")["status"] == "running", "running")
    q.cmd("system_reset")
    e = q.event("RESET")
    expect(e["data"] == {"guest": False, "reason": "host-qmp-system-reset"},
           e)
    m.pm_enable()
    m.qtest("outw 0x600 0x100")     # clear PWRBTN_STS
    m.qtest("outw 0x602 0x100")     # PWRBTN_EN: the button raises the SCI
    m.qtest("irq_intercept_in ioapic")
    q.cmd("system_powerdown")
    q.event("POWERDOWN")
    sts = int(m.qtest("inw 0x600").split()[1], 16)
    expect(sts & 0x100, "PWRBTN_STS set in PM1a_STS: 0x%x" % sts)
    expect(b"IRQ raise 9" in m.irqs, "the SCI (IRQ 9) rises: %r" % m.irqs)
    assert_alive(m, q)
    q.cmd("quit")
    e = q.event("SHUTDOWN")
    expect(e["data"] == {"guest": False, "reason": "host-qmp-quit"}, e)
    expect(m.wait_exit() == 0, "quit ends vmu with status 0")
    q.close()


def t_start_paused(m):
    q = m.qmp()
    expect(q.cmd("query-status")["status"] == "prelaunch", "-S")
    q.cmd("cont")
    q.event("RESUME")
    expect(q.cmd("query-status")["running"] is True, "running after cont")
    q.close()


def t_no_shutdown(m):
    q = m.qmp()
    m.pm_enable()
    m.qtest("outw 0x604 0x2000")    # the guest: SLP_TYP S5 + SLP_EN
    e = q.event("SHUTDOWN")
    expect(e["data"] == {"guest": True, "reason": "guest-shutdown"}, e)
    q.event("STOP")
    expect(q.cmd("query-status")["status"] == "shutdown", "stays")
    r = q.cmd_raw("cont")
    expect(error_class(r) == "GenericError" and
           "system_reset" in r["error"]["desc"], r)
    q.cmd("system_reset")
    q.event("RESET")
    expect(q.cmd("query-status")["status"] == "prelaunch", "after reset")
    q.cmd("cont")
    q.event("RESUME")
    assert_alive(m, q)
    q.close()


def t_guest_poweroff(m):
    q = m.qmp()
    m.pm_enable()
    m.qt.sendall(b"outw 0x604 0x2000\n")
    e = q.event("SHUTDOWN")
    expect(e["data"] == {"guest": True, "reason": "guest-shutdown"}, e)
    expect(m.wait_exit() == 0, "poweroff ends vmu with status 0")
    q.close()


def t_no_acpi(m):
    q = m.qmp()
    r = q.cmd_raw("system_powerdown")
    expect(error_class(r) == "GenericError" and
           "-no-acpi" in r["error"]["desc"], r)
    expect(not q.events, "no POWERDOWN event: %s" % q.events)
    q.close()


def t_hostile(m):
    q = m.qmp()
    cases = [
        (b'{"execute": }', "GenericError", "JSON parse error"),
        (b'garbage', "GenericError", "JSON parse error"),
        (b'}', "GenericError", "JSON parse error"),
        (b'"just a string"', "GenericError", "must be a JSON object"),
        (b'[1, 2]', "GenericError", "must be a JSON object"),
        (b'{"arguments": {}}', "GenericError", "lacks member 'execute'"),
        (b'{"execute": 1}', "GenericError", "'execute' must be a string"),
        (b'{"execute": "stop", "arguments": []}', "GenericError",
         "'arguments' must be an object"),
        (b'{"execute": "stop", "bogus": 1}', "GenericError",
         "'bogus' is unexpected"),
        (b'{"execute": "no-such-command"}', "CommandNotFound", "not been found"),
        (b'{"execute": "set_link", "arguments": {"name": 1, "up": true}}',
         "GenericError", "expected: string"),
        (b'{"execute": "set_link", "arguments": {"name": "n0"}}',
         "GenericError", "'up' is missing"),
        (b'{"execute": "set_link", "arguments": {"name": "n0", "up": true,'
         b' "x": 0}}', "GenericError", "'x' is unexpected"),
        (b'{"execute": "query-status", "arguments": {"a": 1}}', "GenericError",
         "'a' is unexpected"),
        (b'\xff\xfe', "GenericError", "JSON parse error"),
        (b'{"execute": "\xc3("}', "GenericError", "UTF-8"),
        (b'[' * 100000 + b']' * 100000, "GenericError", "nesting is limited"),
        (b'{"execute": "query-status", "id": "' + b'x' * (2 << 20) + b'"}',
         "GenericError", "limited to"),
        (b'{"execute": "\\"}{\\"", "id": "}}}"}', "CommandNotFound",
         "not been found"),
    ]
    for data, cls, words in cases:
        q.send_raw(data + b"\n")
        r = q.reply()
        expect(error_class(r) == cls and words in r["error"]["desc"],
               "%r...: want %s '%s', got %s" % (data[:40], cls, words, r))
        assert_alive(m, q)
    # two requests in one write, and one split over many writes
    q.send_raw('{"execute":"query-status","id":1}{"execute":"query-name",'
               '"id":2}')
    expect(q.reply()["id"] == 1 and q.reply()["id"] == 2, "both answered")
    for b in b'{"execute": "query-status", "id": "slow"}':
        q.send_raw(bytes([b]))
    expect(q.reply()["id"] == "slow", "byte by byte")
    # a client that reads late loses nothing (megabytes of replies wait)
    n = 60
    q.send_raw("".join('{"execute": "query-qmp-schema", "id": %d}' % i
                       for i in range(n)))
    for i in range(n):
        r = q.reply()
        expect(r.get("id") == i and isinstance(r["return"], list),
               "reply %d intact" % i)
    q.close()


def t_disconnect(m):
    q = m.qmp()
    st = q.cmd("query-status")
    q.send_raw(b'{"execute": "stop", "arguments": {')   # cut short
    q.close()
    q = m.qmp(negotiate=False)      # the next client starts afresh
    expect("QMP" in q.greeting, "greeting again")
    r = q.cmd_raw("query-status")
    expect(error_class(r) == "CommandNotFound", "negotiation again: %s" % r)
    q.negotiate()
    expect(q.cmd("query-status") == st, "the half command did nothing")
    # a client gone before reading its reply
    q.send_raw(b'{"execute": "query-qmp-schema"}' * 20)
    q.close()
    q = m.qmp()
    assert_alive(m, q)
    q.close()


def t_several_clients(m):
    a = m.qmp(0)
    b = m.qmp(1)
    c = m.qmp(2, negotiate=False)   # no events before negotiation
    a.cmd("stop")
    a.event("STOP")
    b.event("STOP")
    b.cmd("cont")
    a.event("RESUME")
    b.event("RESUME")
    c.negotiate()
    expect(c.cmd("query-status")["running"], "third client")
    expect(not c.events, "no events before negotiation: %s" % c.events)
    a.close()
    b.close()
    c.close()


def t_pretty(m):
    path = m.qmp_paths[0]
    q = QMP(path)
    q.negotiate()
    q.close()
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.settimeout(30)
    s.connect(os.path.join(m.tmp, "pretty.sock"))
    data = b""
    while b"\r\n" not in data:
        data += s.recv(4096)
    expect(b'\n    "QMP"' in data, "indented greeting: %r" % data[:80])
    json.loads(data.decode())
    s.close()


def t_daemonize(tmp):
    """libvirt's probe line: the caller returns once the daemon runs, the
    pid file is there first, and the caller's pipes reach EOF."""
    pidfile = os.path.join(tmp, "vmu.pid")
    sock = os.path.join(tmp, "probe.sock")
    argv = [VMU, "-S", "-no-user-config", "-nodefaults", "-nographic",
            "-machine", "none,accel=kvm:tcg", "-qmp",
            "unix:%s,server=on,wait=off" % sock, "-pidfile", pidfile,
            "-daemonize"]
    if not os.access("/dev/kvm", os.R_OK | os.W_OK):
        argv[6] = "none,accel=qtest:tcg"    # no KVM here: the list still
        argv += ["-qtest", "unix:" + os.path.join(tmp, "unused")]
        return                              # needs a qtest peer; skip it
    p = subprocess.run(argv, stdin=subprocess.DEVNULL, capture_output=True,
                       timeout=30)     # EOF on both pipes, or a timeout
    expect(p.returncode == 0, "the caller exits 0: %s" % p.stderr)
    expect(p.stdout == b"" and p.stderr == b"", "nothing printed")
    pid = int(open(pidfile).read())
    os.kill(pid, 0)
    q = QMP(sock)
    q.negotiate()
    expect(q.cmd("query-status")["status"] == "prelaunch", "probe state")
    expect(q.cmd("query-kvm") == {"enabled": True, "present": True}, "kvm")
    q.cmd("quit")
    q.event("SHUTDOWN")
    deadline = time.monotonic() + 30
    while os.path.exists(pidfile) and time.monotonic() < deadline:
        time.sleep(0.05)
    expect(not os.path.exists(pidfile), "pid file removed at exit")
    q.close()
    # a failure after the fork: the caller gets it, status 1
    bad = argv[:]
    bad[bad.index("-qmp") + 1] = "unix:/nonexistent/dir/q.sock,server=on"
    p = subprocess.run(bad, stdin=subprocess.DEVNULL, capture_output=True,
                       timeout=30)
    expect(p.returncode == 1 and b"cannot bind" in p.stderr, p)
    expect(not os.path.exists(pidfile), "no pid file after a failure")


def t_fd_monitor(m):
    """-chardev socket,fd=N,server=on (libvirt's): the listening socket
    this test made and passed in."""
    q = QMP(os.path.join(m.tmp, "passed.sock"))
    q.negotiate()
    expect(any(c["label"] == "charmonitor" and
               c["filename"].endswith("fd:3") for c in
               q.cmd("query-chardev")), "the fd chardev")
    assert_alive(m, q)
    q.close()


class HMP:
    """A person at -monitor unix:PATH: lines in, text up to the prompt out."""

    def __init__(self, path):
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.sock.settimeout(30)
        self.sock.connect(path)
        self.buf = b""
        self.banner = self.until_prompt()

    def until_prompt(self):
        while b"(qemu) " not in self.buf:
            chunk = self.sock.recv(4096)
            if not chunk:
                raise QMPError("the HMP connection closed")
            self.buf += chunk
        out, self.buf = self.buf.split(b"(qemu) ", 1)
        return out.decode().replace("\r\n", "\n")

    def cmd(self, line):
        self.sock.sendall(line.encode() + b"\r\n")
        return self.until_prompt()


def t_hmp(m):
    h = HMP(os.path.join(m.tmp, "hmp.sock"))
    expect("monitor" in h.banner and "help" in h.banner, h.banner)
    out = h.cmd("help")
    for c in ("info", "stop", "cont", "system_reset", "system_powerdown",
              "quit", "set_link", "info status", "info network"):
        expect(c in out, "help lists %s: %s" % (c, out))
    expect(h.cmd("info status") == "VM status: running\n", "status")
    expect(h.cmd("stop") == "", "stop prints nothing")
    expect(h.cmd("info status") == "VM status: paused\n", "paused")
    expect(h.cmd("cont") == "", "cont")
    expect("7.2.0" in h.cmd("info version"), "version")
    expect("thread_id=" in h.cmd("info cpus"), "cpus")
    pci = h.cmd("info pci")
    expect("1af4:1041" in pci and "nic0" in pci, pci)
    expect("compat_monitor" in h.cmd("info chardev"), "chardev")
    expect(h.cmd("info block") == "no block devices\n", "block")
    expect(h.cmd("set_link nic0 off") == "", "set_link")
    expect("link down" in h.cmd("info network"), "link down")
    expect("usage" in h.cmd("set_link nic0"), "set_link without on/off")
    expect("Device 'nope' not found" in h.cmd("set_link nope on"), "error")
    expect("unknown command" in h.cmd("frobnicate"), "unknown")
    expect(h.cmd("   ") == "", "empty line")
    expect("unknown command" in h.cmd("x" * 10000), "a long line")
    # a QMP client sees what the person did
    q = m.qmp()
    h.cmd("stop")
    q.event("STOP")
    h.cmd("system_reset")
    q.event("RESET")
    h.sock.sendall(b"quit\r\n")
    q.event("SHUTDOWN")
    expect(m.wait_exit() == 0, "quit")
    q.close()


def t_mon_stdio(tmp):
    """-serial mon:stdio: the console first, Ctrl-A c to the monitor and
    back, Ctrl-A x ends vmu.  The test is the terminal (pipes) and, over
    qtest, the guest's UART."""
    qt_path = os.path.join(tmp, "mux-qtest.sock")
    if os.path.exists(qt_path):
        os.unlink(qt_path)
    ls = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    ls.bind(qt_path)
    ls.listen(1)
    ls.settimeout(30)
    p = subprocess.Popen([VMU, "-machine", "pc,accel=qtest", "-qtest",
                          "unix:" + qt_path, "-serial", "mon:stdio"],
                         stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                         stderr=subprocess.PIPE)
    qt, _ = ls.accept()
    qt.settimeout(30)
    ls.close()
    qtf = qt.makefile("rwb", buffering=0)

    def qtest(line):
        qtf.write(line.encode() + b"\n")
        while True:
            r = qtf.readline().decode()
            if not r.startswith("IRQ"):
                return r.strip()

    term = Terminal(p)
    read_until = term.read_until
    type_ = term.type

    try:
        qtest("outb 0x3f8 0x41")            # the guest writes 'A'
        read_until(b"A")
        type_(b"z")                         # the console has the focus
        wait = time.monotonic() + 30
        while not int(qtest("inb 0x3fd").split()[1], 16) & 1:
            expect(time.monotonic() < wait, "the byte reaches the UART")
        r = qtest("inb 0x3f8")
        expect(int(r.split()[1], 16) == 0x7a, "the guest reads 'z': %s" % r)
        type_(b"\x01c")                      # to the monitor
        read_until(b"(qemu) ")
        type_(b"info status\r")
        expect(b"VM status: running" in read_until(b"(qemu) "), "HMP")
        type_(b"\x01c\x01\x01")              # back; one Ctrl-A to the guest
        wait = time.monotonic() + 30
        while not int(qtest("inb 0x3fd").split()[1], 16) & 1:
            expect(time.monotonic() < wait, "Ctrl-A Ctrl-A reaches the UART")
        r = qtest("inb 0x3f8")
        expect(int(r.split()[1], 16) == 1, "the guest reads one Ctrl-A: %s" % r)
        type_(b"\x01h")
        read_until(b"C-a x")
        type_(b"\x01x")
        expect(p.wait(30) == 0, "Ctrl-A x ends vmu with status 0")
    finally:
        if p.poll() is None:
            p.kill()
            p.wait()
        qt.close()


NIC = ["-netdev", "socket,id=n0,fd=3", "-device",
       "virtio-net-pci,netdev=n0,id=nic0,disable-legacy=on"]
CASES = [
    ("qmp/negotiation", t_negotiation, [], 1),
    ("qmp/queries", t_queries, ["-name", "qmp-guest", "-smp", "2", "-uuid",
                                "c7a5fdbd-cdaf-9455-926a-d65c16db1809"] + NIC,
     1),
    ("qmp/lifecycle", t_lifecycle, [], 1),
    ("qmp/start-paused", t_start_paused, ["-S"], 1),
    ("qmp/no-shutdown", t_no_shutdown, ["-no-shutdown"], 1),
    ("qmp/guest-poweroff", t_guest_poweroff, [], 1),
    ("qmp/no-acpi", t_no_acpi, ["-no-acpi"], 1),
    ("qmp/hostile-input", t_hostile, NIC, 1),
    ("qmp/disconnect-mid-request", t_disconnect, [], 1),
    ("qmp/several-clients", t_several_clients, [], 3),
    ("qmp/listening-fd", t_fd_monitor, ["-chardev",
     "socket,id=charmonitor,fd=3,server=on,wait=off", "-mon",
     "chardev=charmonitor,id=monitor,mode=control"], 1),
    ("hmp/commands", t_hmp, ["-monitor", "unix:HMP,server=on,wait=off"] +
     NIC, 1),
    ("qmp/pretty", t_pretty, ["-qmp-pretty", "unix:PRETTY,server=on,"
                              "wait=off"], 1),
]


def main():
    print("1..%d" % (len(CASES) + 2))
    failed = 0
    with tempfile.TemporaryDirectory(prefix="vmu-qmp-") as tmp:
        for n, (name, fn, extra, nqmp) in enumerate(CASES, 1):
            extra = [a.replace("PRETTY", os.path.join(tmp, "pretty.sock"))
                     .replace("HMP", os.path.join(tmp, "hmp.sock"))
                     for a in extra]
            pass_fds = ()
            if os.path.exists(os.path.join(tmp, "passed.sock")):
                os.unlink(os.path.join(tmp, "passed.sock"))
            if "socket,id=charmonitor,fd=3,server=on,wait=off" in extra:
                a = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
                a.bind(os.path.join(tmp, "passed.sock"))
                a.listen(1)
                keep = None
                fd = a.detach()
                if fd != 3:
                    os.dup2(fd, 3)
                    os.close(fd)
                pass_fds = (3,)
            elif "socket,id=n0,fd=3" in extra:
                a, keep = socket.socketpair()
                fd = a.detach()
                if fd != 3:
                    os.dup2(fd, 3)
                    os.close(fd)
                pass_fds = (3,)
            m = Machine(tmp, extra, nqmp, pass_fds)
            try:
                fn(m)
                rc = m.stop()
                if rc != 0:
                    raise AssertionError("vmu exited with %s" % rc)
                print("ok %d - %s" % (n, name))
                sys.stdout.flush()
            except (AssertionError, QMPError, OSError, ValueError) as e:
                failed += 1
                rc = m.stop()
                print("not ok %d - %s" % (n, name))
                print("#   %s" % e)
                print("#   vmu exit status %s" % rc)
                for line in open(os.path.join(tmp, "stderr")).read() \
                        .splitlines()[-20:]:
                    print("#   stderr: " + line)
            sys.stdout.flush()
            if pass_fds:
                os.close(3)
                if keep:
                    keep.close()
        for n, (name, fn) in enumerate((("lifecycle/daemonize", t_daemonize),
                                        ("hmp/mon-stdio", t_mon_stdio)),
                                       len(CASES) + 1):
            try:
                fn(tmp)
                print("ok %d - %s" % (n, name))
            except (AssertionError, QMPError, OSError, ValueError,
                    subprocess.TimeoutExpired) as e:
                failed += 1
                print("not ok %d - %s\n#   %s" % (n, name, e))
            sys.stdout.flush()
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
