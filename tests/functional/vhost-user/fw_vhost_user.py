#!/usr/bin/env python3
"""The test firmware's virtio-net driver under KVM, its rings served by a
vhost-user back-end in another process:

  fw_vhost_user.py VMU FW testpmd-echo     net-echo, 1,000 frames through
                                           dpdk-testpmd (macswap)
  fw_vhost_user.py VMU FW testpmd-exits    exits to vmu on the data path:
                                           none beyond the firmware's own
                                           serial output and set-up
  fw_vhost_user.py VMU FW testpmd-late     testpmd started after the guest:
                                           link down at boot, up later
  fw_vhost_user.py VMU FW switch-echo SW   net-echo through vmu-switch

Exit 77 with the reason when /dev/kvm or dpdk-testpmd is missing.
"""
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)),
                                ".."))
import vmutest  # noqa: E402
from vmutest import expect, fail, skip  # noqa: E402

_procs = []


def cleanup():
    for p in _procs:
        if p.poll() is None:
            p.kill()
            p.wait()


def start_testpmd(tmp, sock, mode="macswap", client=False):
    """dpdk-testpmd with one vhost port; returns once its socket exists."""
    if not shutil.which("dpdk-testpmd"):
        skip("dpdk-testpmd is not installed (apt install dpdk)")
    log = open(os.path.join(tmp, "testpmd.log"), "a+")
    iface = "net_vhost0,iface=%s%s" % (sock, ",client=1" if client else "")
    cmd = ["dpdk-testpmd", "--no-huge", "-m", "1024", "--no-pci",
           "--no-shconf", "--file-prefix=vmu-fwvhu-%d" % os.getpid(),
           "-l", "0,1", "--vdev", iface, "--",
           "--forward-mode=" + mode, "--auto-start", "--stats-period", "1"]
    p = subprocess.Popen(cmd, stdin=subprocess.DEVNULL, stdout=log,
                         stderr=subprocess.STDOUT)
    _procs.append(p)
    if client:
        return p
    deadline = time.time() + 30
    while not os.path.exists(sock):
        if p.poll() is not None or time.time() > deadline:
            log.seek(0)
            fail("dpdk-testpmd did not start here:\n" + log.read()[-2000:])
        time.sleep(0.1)
    return p


def fw_args(sock, extra_chr=""):
    return ["-m", "256M",
            "-chardev", "socket,id=c0,path=%s%s" % (sock, extra_chr),
            "-netdev", "vhost-user,id=n0,chardev=c0",
            "-device", "virtio-net-pci,netdev=n0,disable-legacy=on"]


def echo_ok(r, count):
    m = re.search(r"net echo (\d+)/(\d+) ok", r.out)
    return r.status == 1 and m and int(m.group(1)) == count


def exits(r):
    """{vcpu: (total, {reason: n})} from -trace kvm_exit_stats."""
    out = {}
    for m in re.finditer(r"kvm_exit_stats vcpu(\d+) exits (\d+):(.*)", r.err):
        reasons = dict((k, int(v)) for k, v in
                       re.findall(r"(\w+) (\d+)", m.group(3)))
        out[int(m.group(1))] = (int(m.group(2)), reasons)
    return out


def test_testpmd_echo(vmu, fw, tmp):
    sock = os.path.join(tmp, "be.sock")
    start_testpmd(tmp, sock)
    r = vmutest.run_fw(vmu, fw, "test=net-echo count=1000 wait-link=10",
                       fw_args(sock), timeout=120)
    r.show()
    expect(echo_ok(r, 1000), "net-echo did not get 1000 frames back", r)
    expect("MACs swapped in 1000" in r.out, "testpmd did not macswap")


def test_testpmd_exits(vmu, fw, tmp):
    """The same firmware moving 100 and 1,000 frames, kicking after every
    batch: the extra 900 frames must not add exits, apart from the serial
    characters of the longer numbers they print."""
    sock = os.path.join(tmp, "be.sock")
    start_testpmd(tmp, sock)
    runs = {}
    for count in (100, 1000):
        r = vmutest.run_fw(vmu, fw, "test=net-echo count=%d wait-link=10 "
                           "kick=always" % count,
                           fw_args(sock) + ["-trace", "kvm_exit_stats"],
                           timeout=120)
        r.show()
        expect(echo_ok(r, count), "net-echo count=%d failed" % count, r)
        kicks = re.search(r"kicks tx (\d+) rx (\d+)", r.out)
        runs[count] = (exits(r), len(r.out), int(kicks.group(1)) +
                       int(kicks.group(2)))
    (e100, out100, k100), (e1000, out1000, k1000) = runs[100], runs[1000]
    for cpu in sorted(e1000):
        t100, r100 = e100[cpu]
        t1000, r1000 = e1000[cpu]
        print("vcpu%d exits: %d for 100 frames (%d kicks), %d for 1000 "
              "frames (%d kicks); %s vs %s" % (cpu, t100, k100, t1000, k1000,
                                              r100, r1000))
        extra = t1000 - t100
        serial = out1000 - out100
        print("vcpu%d: %d more exits for 900 more frames and %d more kicks; "
              "%d more serial bytes" % (cpu, extra, k1000 - k100, serial))
        # The link comes up when the back-end has answered the start, a
        # moment after DRIVER_OK: the wait for it may read the status
        # (a few MMIO exits) once more in one run than in the other.
        expect(abs(r1000.get("MMIO", 0) - r100.get("MMIO", 0)) <= 6,
               "MMIO exits grew with the traffic: %s vs %s" % (r100, r1000))
        # A character costs two exits: the LSR poll and the THR write.
        print("vcpu%d: %d exits on the data path for 900 frames" %
              (cpu, extra - 2 * serial))
        expect(extra <= 2 * serial,
               "%d exits beyond the serial output on the data path" %
               (extra - 2 * serial))
    expect(k1000 > k100, "the firmware did not kick more for more frames")


def test_testpmd_late(vmu, fw, tmp):
    """No back-end when the guest boots: vmu starts, the link is down, the
    firmware waits for it; testpmd appears 1 s later and traffic flows."""
    sock = os.path.join(tmp, "be.sock")
    err_path = os.path.join(tmp, "late.err")
    t0 = time.monotonic()
    with open(err_path, "w") as err_file:
        vm = subprocess.Popen([vmu] + vmutest.FW_ARGS + fw_args(sock) +
                              ["-trace", "virtio_set_status", "-kernel", fw,
                               "-append", "test=net-echo count=100 "
                               "wait-link=15"],
                              stdin=subprocess.DEVNULL,
                              stdout=subprocess.PIPE, stderr=err_file)
    _procs.append(vm)
    # The back-end comes once the guest's driver is up (DRIVER_OK set),
    # waiting for the link: not after a guess at how long booting takes.
    driver_ok = re.compile(r"virtio_set_status .* -> 0x([0-9a-f]+)")

    def guest_waits():
        with open(err_path) as f:
            return any(int(v, 16) & 4 for v in driver_ok.findall(f.read()))
    deadline = time.monotonic() + 60
    while not guest_waits() and vm.poll() is None and \
            time.monotonic() < deadline:
        time.sleep(0.05)
    expect(vm.poll() is None, "vmu did not keep running without a back-end")
    expect(guest_waits(), "the guest's driver did not come up (DRIVER_OK) "
           "within 60 s without a back-end")
    start_testpmd(tmp, sock)
    out, _ = vm.communicate(timeout=120)
    with open(err_path) as f:
        err = f.read()
    r = vmutest.Result(vm.returncode, out.decode(), err,
                       time.monotonic() - t0)
    r.show()
    # The firmware prints the link after waiting for it: the config
    # interrupt says it changed after boot.
    m = re.search(r"cfg irqs (\d+)", r.out)
    expect(m and int(m.group(1)) >= 1, "no link-change interrupt", r)
    expect(echo_ok(r, 100), "no traffic after the back-end came", r)


def test_switch_echo(vmu, fw, tmp, switch):
    sock = os.path.join(tmp, "sw.sock")
    log = open(os.path.join(tmp, "switch.log"), "w")
    sw = subprocess.Popen([switch, "-s", sock], stdin=subprocess.DEVNULL,
                          stdout=log, stderr=subprocess.STDOUT)
    _procs.append(sw)
    deadline = time.time() + 10
    while not os.path.exists(sock):
        expect(time.time() < deadline and sw.poll() is None,
               "vmu-switch did not listen on %s" % sock)
        time.sleep(0.05)
    r = vmutest.run_fw(vmu, fw, "test=net-echo count=1000 wait-link=10 "
                       "kick=always", fw_args(sock) +
                       ["-trace", "kvm_exit_stats"], timeout=120)
    r.show()
    expect(echo_ok(r, 1000), "net-echo through vmu-switch failed", r)


def main():
    vmu, fw, case = sys.argv[1:4]
    vmutest.need_kvm()
    tmp = tempfile.mkdtemp(prefix="vmu-fwvhu-")
    try:
        if case == "testpmd-echo":
            test_testpmd_echo(vmu, fw, tmp)
        elif case == "testpmd-exits":
            test_testpmd_exits(vmu, fw, tmp)
        elif case == "testpmd-late":
            test_testpmd_late(vmu, fw, tmp)
        elif case == "switch-echo":
            test_switch_echo(vmu, fw, tmp, sys.argv[4])
        else:
            fail("unknown case " + case)
    finally:
        cleanup()
        shutil.rmtree(tmp, ignore_errors=True)
    print("PASS")


if __name__ == "__main__":
    main()
