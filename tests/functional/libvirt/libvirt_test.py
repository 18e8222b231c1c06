"""libvirt 9.0 drives vmu end to end: `virsh domcapabilities --emulatorbin
vmu`, then a domain with <emulator> vmu, memfd shared RAM, direct kernel
boot of the test firmware and a vhostuser interface to vmu-switch: it is
defined, started (the firmware's frames cross the switch), suspended,
resumed, reset, shut down over ACPI (system_powerdown) and destroyed.

virtlogd and libvirtd run by hand in a private mount namespace: /run,
/var/lib, /var/cache and /var/log are fresh tmpfs there, /etc/libvirt a
private copy (qemu.conf: no cgroups, no security driver), /etc/passwd and
/etc/group private copies that add the libvirt-qemu user when the host has
none.  The emulator runs as libvirt-qemu, so the switch's socket is made
world-writable (umask 0) and the files live in a world-readable directory.
Nothing outside the namespace is touched.  TAP output.
usage: libvirt_test.py VMU VMU_SWITCH FW_ELF SRCDIR"""
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)),
                                ".."))
from vmutest import need_kvm, skip  # noqa: E402

VMU, SWITCH, FW, SRCDIR = [os.path.abspath(a) for a in sys.argv[1:5]]
NS_FLAG = "VMU_LIBVIRT_NAMESPACE"


def wait_until(fn, timeout, what):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        r = fn()
        if r:
            return r
        time.sleep(0.1)
    raise AssertionError("timed out (%d s) waiting for %s" % (timeout, what))


def outside():
    """Check what the test needs, then run again in a mount namespace."""
    need_kvm()
    if os.geteuid() != 0:
        skip("libvirtd must run as root (a private mount namespace)")
    if not (shutil.which("libvirtd") and shutil.which("virsh") and
            shutil.which("virtlogd")):
        subprocess.run([os.path.join(SRCDIR, "scripts", "install-deps")],
                       stdout=subprocess.DEVNULL)
    if not (shutil.which("libvirtd") and shutil.which("virsh")):
        skip("libvirt is not installed and scripts/install-deps failed")
    if not shutil.which("unshare"):
        skip("unshare (util-linux) is missing")
    env = dict(os.environ, **{NS_FLAG: "1"})
    r = subprocess.run(["unshare", "--mount", "--propagation", "private",
                        sys.executable] + sys.argv, env=env)
    sys.exit(r.returncode)


def private_files(tmp):
    etc = os.path.join(tmp, "etc")
    shutil.copytree("/etc/libvirt", etc)
    with open(os.path.join(etc, "qemu.conf"), "w") as f:
        f.write('cgroup_controllers = [ ]\nsecurity_driver = "none"\n'
                'stdio_handler = "logd"\n')
    with open(os.path.join(etc, "libvirtd.conf"), "w") as f:
        f.write('unix_sock_dir = "/run/libvirt"\nauth_unix_rw = "none"\n'
                'log_outputs = "1:file:%s/libvirtd.log"\n'
                'log_filters = "1:qemu 3:util 3:rpc 3:event 3:object"\n'
                % tmp)
    passwd = open("/etc/passwd").read()
    group = open("/etc/group").read()
    if "\nlibvirt-qemu:" not in "\n" + passwd:
        passwd += "libvirt-qemu:x:64055:64055::/var/lib/libvirt:/bin/false\n"
        group += "libvirt-qemu:x:64055:\n"
    # libvirt-qemu needs /dev/kvm
    lines = []
    for line in group.splitlines():
        if line.startswith("kvm:") and "libvirt-qemu" not in line:
            line += ("," if not line.endswith(":") else "") + "libvirt-qemu"
        lines.append(line)
    for name, text in (("passwd", passwd), ("group", "\n".join(lines) + "\n")):
        with open(os.path.join(tmp, name), "w") as f:
            f.write(text)
    mounts = [["--bind", etc, "/etc/libvirt"],
              ["--bind", os.path.join(tmp, "passwd"), "/etc/passwd"],
              ["--bind", os.path.join(tmp, "group"), "/etc/group"]]
    for d in ("/run", "/var/lib", "/var/cache", "/var/log"):
        mounts.append(["-t", "tmpfs", "none", d])
    for m in mounts:
        subprocess.run(["mount"] + m, check=True)
    os.makedirs("/run/libvirt", exist_ok=True)
    os.makedirs("/var/log/libvirt", exist_ok=True)


def virsh(*args, timeout=120):
    return subprocess.run(["virsh", "-c", "qemu:///system"] + list(args),
                          capture_output=True, text=True, timeout=timeout)


DOMAIN = """<domain type='kvm'>
  <name>vmu-libvirt</name>
  <memory unit='MiB'>128</memory>
  <memoryBacking><source type='memfd'/><access mode='shared'/></memoryBacking>
  <vcpu>1</vcpu>
  <os><type arch='x86_64' machine='pc'>hvm</type>
    <kernel>{fw}</kernel><cmdline>test=net-echo count=20</cmdline></os>
  <features><acpi/></features>
  <devices>
    <emulator>{vmu}</emulator>
    <interface type='vhostuser'>
      <mac address='52:54:00:12:34:56'/>
      <source type='unix' path='{sock}' mode='{mode}'/>
      <model type='virtio'/>
    </interface>
    <serial type='file'><source path='{serial}'/><target port='0'/></serial>
    <memballoon model='none'/>
  </devices>
</domain>
"""


def t_domcapabilities(tmp):
    r = virsh("domcapabilities", "--emulatorbin", VMU, "--virttype", "kvm")
    assert r.returncode == 0, "domcapabilities: %s" % r.stderr
    for want in ("<path>%s</path>" % VMU, "<domain>kvm</domain>",
                 "<machine>pc-i440fx-7.2</machine>", "<vcpu max='255'/>"):
        assert want in r.stdout, "domcapabilities lacks %s:\n%s" % (
            want, r.stdout[:2000])


def t_domain(tmp, mode="client"):
    """mode: the interface's; 'client': vmu connects to the switch,
    'server': vmu listens and the switch connects."""
    sockdir = os.path.join(tmp, "sockets")     # vmu (libvirt-qemu) makes
    os.makedirs(sockdir, exist_ok=True)         # its server socket here
    os.chmod(sockdir, 0o1777)
    sock = os.path.join(sockdir, "switch-%s.sock" % mode)
    serial = os.path.join(tmp, "serial-%s.log" % mode)
    swlog = open(os.path.join(tmp, "switch.log"), "w+")

    def start_switch():
        return subprocess.Popen([SWITCH, "-s" if mode == "client" else "-c",
                                 sock], stdout=swlog, stderr=swlog,
                                preexec_fn=lambda: os.umask(0))

    sw = start_switch() if mode == "client" else None
    try:
        xml = os.path.join(tmp, "domain.xml")
        with open(xml, "w") as f:
            f.write(DOMAIN.format(fw=FW, vmu=VMU, sock=sock, serial=serial,
                                  mode=mode))
        r = virsh("define", xml)
        assert r.returncode == 0, "define: %s" % r.stderr
        if mode == "client":
            wait_until(lambda: os.path.exists(sock), 30,
                       "the switch's socket")
            r = virsh("start", "vmu-libvirt")
            assert r.returncode == 0, "start: %s" % r.stderr
        else:
            # vmu listens: the firmware's frames need the back-end there
            # first, so the guest runs only once the switch is connected
            r = virsh("start", "--paused", "vmu-libvirt")
            assert r.returncode == 0, "start --paused: %s" % r.stderr
            assert virsh("domstate", "vmu-libvirt").stdout.strip() == \
                "paused", "started paused (-S, no cont)"
            sw = start_switch()
            wait_until(lambda: "front-end connected" in
                       open(swlog.name).read(), 30, "the switch to connect")
            r = virsh("resume", "vmu-libvirt")
            assert r.returncode == 0, "resume: %s" % r.stderr
        wait_until(lambda: os.path.exists(serial) and
                   "vmu-fw: net echo 20/20 ok" in open(serial).read(), 120,
                   "the firmware's 20 frames echoed by vmu-switch")
        pid = int(open("/run/libvirt/qemu/vmu-libvirt.pid").read())
        uid = [l for l in open("/proc/%d/status" % pid)
               if l.startswith("Uid:")][0].split()[1]
        assert uid != "0", "the emulator runs as libvirt-qemu, not root"
        assert virsh("domstate", "vmu-libvirt").stdout.strip() == "running"
        # pinning: libvirt finds the vCPU thread through query-cpus-fast
        r = virsh("vcpupin", "vmu-libvirt", "0", "0")
        assert r.returncode == 0, "vcpupin: %s" % r.stderr
        tids = [t for t in os.listdir("/proc/%d/task" % pid)
                if open("/proc/%d/task/%s/comm" % (pid, t)).read().strip()
                == "CPU 0/KVM"]
        assert len(tids) == 1, "one 'CPU 0/KVM' thread: %s" % tids
        allowed = [l.split()[1] for l in open("/proc/%d/task/%s/status" %
                                               (pid, tids[0]))
                   if l.startswith("Cpus_allowed_list:")][0]
        assert allowed == "0", "vCPU 0 pinned to CPU 0, not %s" % allowed
        for cmd, state in (("suspend", "paused"), ("resume", "running"),
                           ("reset", "running")):
            r = virsh(cmd, "vmu-libvirt")
            assert r.returncode == 0, "%s: %s" % (cmd, r.stderr)
            got = virsh("domstate", "vmu-libvirt").stdout.strip()
            assert got == state, "after %s: %s, not %s" % (cmd, got, state)
        # ACPI: the firmware has no ACPI driver, so it stays up
        r = virsh("shutdown", "vmu-libvirt")
        assert r.returncode == 0, "shutdown: %s" % r.stderr
        r = virsh("destroy", "vmu-libvirt")
        assert r.returncode == 0, "destroy: %s" % r.stderr
        assert virsh("domstate", "vmu-libvirt").stdout.strip() == "shut off"
        wait_until(lambda: not os.path.exists("/proc/%d" % pid), 30,
                   "vmu to exit")
        swlog.seek(0)
        wait_until(lambda: "disconnected" in open(swlog.name).read(), 30,
                   "the switch to see the front-end go")
        r = virsh("undefine", "vmu-libvirt")
        assert r.returncode == 0, "undefine: %s" % r.stderr
    finally:
        if sw:
            sw.send_signal(signal.SIGTERM)
            sw.wait(30)
        swlog.close()


def inside():
    tmp = tempfile.mkdtemp(prefix="vmu-libvirt-")
    os.chmod(tmp, 0o755)        # the emulator runs as libvirt-qemu
    private_files(tmp)
    daemons = []
    only = os.environ.get("VMU_LIBVIRT_CASE")
    print("1..%d" % (1 if only else 3))
    failed = 0
    try:
        subprocess.run(["virtlogd", "-d"], check=True)
        subprocess.run(["libvirtd", "-d", "-f", "/etc/libvirt/libvirtd.conf"],
                       check=True)
        wait_until(lambda: os.path.exists("/run/libvirt/libvirt-sock"), 60,
                   "libvirtd's socket")
        cases = (("domcapabilities", t_domcapabilities),
                 ("domain", t_domain),
                 ("domain-vhostuser-server",
                  lambda t: t_domain(t, "server")))
        only = os.environ.get("VMU_LIBVIRT_CASE")     # one case, by name
        if only:
            cases = [c for c in cases if c[0] == only]
        for n, (name, fn) in enumerate(cases, 1):
            try:
                fn(tmp)
                print("ok %d - libvirt/%s" % (n, name))
            except (AssertionError, OSError, subprocess.SubprocessError) as e:
                failed += 1
                print("not ok %d - libvirt/%s" % (n, name))
                for line in str(e).splitlines():
                    print("#   " + line)
                for log in ("/var/log/libvirt/qemu/vmu-libvirt.log",
                            os.path.join(tmp, "switch.log")):
                    if os.path.exists(log):
                        for line in open(log).read().splitlines()[-15:]:
                            print("#   %s: %s" % (os.path.basename(log),
                                                  line))
            sys.stdout.flush()
    finally:
        for pidfile in ("/run/libvirtd.pid", "/run/virtlogd.pid"):
            try:
                pid = int(open(pidfile).read())
                os.kill(pid, signal.SIGTERM)
                daemons.append(pid)
            except (OSError, ValueError):
                pass
        for pid in daemons:
            wait_until(lambda: not os.path.exists("/proc/%d" % pid), 30,
                       "libvirt's daemons to exit")
        shutil.rmtree(tmp, ignore_errors=True)
    return 1 if failed else 0


if __name__ == "__main__":
    if os.environ.get(NS_FLAG) != "1":
        outside()
    sys.exit(inside())
