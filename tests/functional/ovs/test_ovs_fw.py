#!/usr/bin/env python3
"""The test firmware under KVM (its own virtio-net driver, ioeventfd kicks,
MSI-X through irqfd) on OVS-DPDK, with a qtest guest (ovs-guest) on the
other port of the bridge:

  test_ovs_fw.py VMU GUEST FW tx [memfd|hugetlbfs]
      the firmware on a dpdkvhostuserclient port (vmu listens) sends 2,000
      frames (net-tx); the qtest guest on a dpdkvhostuser port gets them
      all, in order
  test_ovs_fw.py VMU GUEST FW rx [memfd|hugetlbfs]
      the other way: the qtest guest sends until the firmware (net-rx) has
      received 300 frames

Exit 77 with the reason when /dev/kvm is missing.
"""
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
sys.path.insert(0, os.path.join(HERE, ".."))
import ovslib  # noqa: E402
import vmutest  # noqa: E402
from ovslib import Ovs, OvsError, QtestGuest, check  # noqa: E402

MAC_FW = "52:54:00:00:0f:03"
MAC_Q = "52:54:00:00:0a:01"


_fws = []


def read_text(path):
    with open(path, errors="replace") as f:
        return f.read()


class Firmware:
    """vmu running the test firmware, its serial output in a file."""

    def __init__(self, vmu, fw, tmp, chardev, append, ram):
        mem = ["-m", "256M"]
        if ram != "memfd":
            mem += ["-object", "memory-backend-file,id=mem,size=256M,"
                    "mem-path=%s,share=on" % ram, "-machine",
                    "memory-backend=mem"]
        self.out_path = os.path.join(tmp, "fw.out")
        self.err_path = os.path.join(tmp, "fw.err")
        argv = ([vmu] + vmutest.FW_ARGS + mem +
                ["-chardev", chardev, "-netdev", "vhost-user,id=n0,chardev=c0",
                 "-device", "virtio-net-pci,netdev=n0,disable-legacy=on,"
                 "mac=" + MAC_FW, "-kernel", fw, "-append", append])
        with open(self.out_path, "w") as out, open(self.err_path, "w") as err:
            self.proc = subprocess.Popen(argv, stdin=subprocess.DEVNULL,
                                         stdout=out, stderr=err)
        _fws.append(self)

    def out(self):
        return read_text(self.out_path)

    def err(self):
        return read_text(self.err_path)

    def wait_line(self, pattern, timeout):
        """The first match of pattern in the output (or None once the
        firmware has ended or timeout has passed)."""
        vmutest.wait_until(lambda: re.search(pattern, self.out()) or
                           self.proc.poll() is not None, timeout)
        return re.search(pattern, self.out())

    def wait(self, timeout):
        try:
            return self.proc.wait(timeout)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
            raise OvsError("the firmware did not end within %d s; output:\n%s"
                           % (timeout, self.out()[-2000:]))

    def stop(self):
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()


def setup(vmu, guest, tmp, ram):
    ovs = Ovs(tmp)
    fw_sock = os.path.join(tmp, "fw.sock")
    ovs.add_port("vhufw", "dpdkvhostuserclient", fw_sock)
    ovs.add_port("vhuq", "dpdkvhostuser")
    q = QtestGuest(guest, vmu, "socket,id=c0,path=%s,reconnect-ms=100" %
                   ovs.sock("vhuq"), MAC_Q, "memfd" if ram == "memfd" else
                   ram, 1, tmp)
    check(q.wait_link("up", 60000) is not None, "the qtest guest's link is up")
    return ovs, q, "socket,id=c0,path=%s,server=on,wait=off" % fw_sock


def case_tx(vmu, guest, fw, tmp, ram):
    ovs, q, chardev = setup(vmu, guest, tmp, ram)
    count = 2000
    f = Firmware(vmu, fw, tmp, chardev, "test=net-tx count=%d wait-link=20 "
                 "kick=always" % count, ram)
    status = f.wait(180)
    out = f.out()
    print(out)
    check(status == 1 and "net tx %d frames" % count in out,
          "the firmware sent %d frames through OVS (status %d)" %
          (count, status))
    # The firmware does not pace itself: where the qtest guest (slower
    # than a real driver) lets its RX ring fill, OVS drops and counts
    # (ovs_tx_failure_drops; the statistics column is refreshed every 5 s).
    st = q.recv_until(count, 10000)
    c = ovs.stats_until("vhuq", lambda c: st["fw"] + c.get(
        "ovs_tx_failure_drops", 0) >= count)
    drops = c.get("ovs_tx_failure_drops", 0)
    st = q.stats()
    # (Drops after the last frame that arrived are no gap the guest sees.)
    check(st["fw"] + drops == count and st["lost"] <= drops and
          st["dup"] == 0 and st["fw"] >= count // 10,
          "the qtest guest got, in order, every frame OVS delivered: %d, "
          "and OVS counted the other %d as dropped at its full ring (%s)" %
          (st["fw"], drops, st))
    check(q.quit() == 0, "the qtest guest's vmu ended with status 0")


def case_rx(vmu, guest, fw, tmp, ram):
    ovs, q, chardev = setup(vmu, guest, tmp, ram)
    count = 300
    f = Firmware(vmu, fw, tmp, chardev, "test=net-rx count=%d wait-link=20" %
                 count, ram)
    m = f.wait_line(r"vmu-fw: net mac \S+ link (up|down)", 120)
    check(m is not None, "the firmware's driver came up")
    ovs.wait_link("vhufw", "up", 60)
    # The firmware counts what arrives while it waits (about a second per
    # wait): send small bursts until it has had enough and ends.
    sent = 0
    end = time.monotonic() + 120
    while f.proc.poll() is None and time.monotonic() < end:
        q.send(16)
        sent += 16
    status = f.wait(60)
    out = f.out()
    print(out)
    m = re.search(r"net rx (\d+) frames, last len (\d+)", out)
    check(status == 1 and m and int(m.group(1)) == count and
          int(m.group(2)) == 128,
          "the firmware received %d frames of 128 bytes through OVS (the "
          "qtest guest sent %d)" % (count, sent))
    check(q.quit() == 0, "the qtest guest's vmu ended with status 0")


def stop_all():
    for f in _fws:
        f.stop()
    ovslib.cleanup()


def run_case(prefix, body, logs=("fw.out", "fw.err", "ovs-vswitchd.log")):
    """body(tmp) in a fresh directory; prints PASS or FAIL with the logs'
    ends, stops everything started, exits 0 or 1."""
    vmutest.need_kvm()
    ovslib.need_ovs()
    tmp = tempfile.mkdtemp(prefix=prefix)
    ok = False
    try:
        body(tmp)
        ok = True
    except OvsError as e:
        print("FAIL: %s" % e)
        for name in logs:
            path = os.path.join(tmp, name)
            if os.path.exists(path):
                with open(path) as f:
                    print("---- %s (end)\n%s" % (name, f.read()[-2500:]))
    finally:
        stop_all()
        shutil.rmtree(tmp, ignore_errors=True)
    print("PASS" if ok else "FAIL")
    sys.exit(0 if ok else 1)


def main():
    vmu, guest, fw, case = sys.argv[1:5]
    ram = sys.argv[5] if len(sys.argv) > 5 else "memfd"
    fn = {"tx": case_tx, "rx": case_rx}[case]

    def body(tmp):
        if ram != "hugetlbfs":
            fn(vmu, guest, fw, tmp, ram)
            return
        # The firmware's and the qtest guest's 256 MiB.
        with ovslib.Hugepages(2 * 128 + 8, os.path.join(tmp, "huge")) as h:
            try:
                fn(vmu, guest, fw, tmp, h.mnt)
            finally:
                stop_all()      # before the mount goes
        print("ok: huge pages given back")
    run_case("vmu-ovsfw-", body)


if __name__ == "__main__":
    main()
