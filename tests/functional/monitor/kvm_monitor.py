"""QMP with real vCPUs (KVM, the test firmware): -S creates the vCPU
threads without running them (query-cpus-fast gives their ids before the
guest runs, for pinning, and they stay the same across stop and cont);
cont runs the guest; its exit ends vmu with SHUTDOWN.
usage: kvm_monitor.py VMU FW_ELF"""
import os
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
sys.path.insert(0, os.path.join(HERE, ".."))
from qmpclient import QMP, QMPError, Terminal  # noqa: E402
from vmutest import fail, need_kvm  # noqa: E402

VMU, FW = sys.argv[1], sys.argv[2]


def wait_until(fn, timeout, what):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if fn():
            return
        time.sleep(0.05)
    fail("timed out (%d s) waiting for %s" % (timeout, what))


def tids(q):
    return [c["thread-id"] for c in q.cmd("query-cpus-fast")]


def main():
    need_kvm()
    tmp = tempfile.mkdtemp(prefix="vmu-kvm-qmp-")
    sock = os.path.join(tmp, "qmp.sock")
    log = os.path.join(tmp, "serial.log")
    p = subprocess.Popen([VMU, "-S", "-name", "g,debug-threads=on", "-smp",
                          "2", "-m", "64", "-kernel", FW, "-append",
                          "test=hold", "-nographic", "-nodefaults",
                          "-serial", "file:" + log, "-device",
                          "isa-debug-exit,iobase=0xf4,iosize=4", "-qmp",
                          "unix:%s,server=on,wait=off" % sock],
                         stdin=subprocess.DEVNULL, stderr=subprocess.PIPE,
                         text=True)
    try:
        q = QMP(sock, timeout=60)
        q.negotiate()
        if q.cmd("query-status")["status"] != "prelaunch":
            fail("-S: not in prelaunch")
        before = tids(q)
        for i, tid in enumerate(before):
            comm = "/proc/%d/task/%d/comm" % (p.pid, tid)
            if not os.path.exists(comm) or \
                    open(comm).read().strip() != "CPU %d/KVM" % i:
                fail("vCPU %d: thread %d is not vmu's 'CPU %d/KVM'" %
                     (i, tid, i))
        if os.path.getsize(log):
            fail("the guest ran before cont: %r" % open(log).read())
        q.cmd("cont")
        q.event("RESUME")
        wait_until(lambda: "vmu-fw: holding" in open(log).read(), 60,
                   "the firmware to run")
        q.cmd("stop")
        q.event("STOP")
        if tids(q) != before:
            fail("vCPU thread ids changed across stop: %s -> %s" %
                 (before, tids(q)))
        q.cmd("cont")
        q.event("RESUME")
        e = q.event("SHUTDOWN", timeout=60)
        if e["data"]["reason"] != "guest-shutdown":
            fail("SHUTDOWN reason: %s" % e)
        rc = p.wait(60)
        if rc != 1:     # the firmware's exit 0 through isa-debug-exit
            fail("exit status %d: %s" % (rc, p.stderr.read()))
    finally:
        if p.poll() is None:
            p.kill()
            p.wait()
    nographic()
    print("PASS: -S, thread ids before the first run and after stop, "
          "cont, SHUTDOWN; -nographic's console and monitor on stdio")


def nographic():
    """-nographic alone: COM1 and HMP share the terminal (Ctrl-A c, x)."""
    p = subprocess.Popen([VMU, "-m", "64", "-kernel", FW, "-append",
                          "test=hold", "-nographic"],
                         stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                         stderr=subprocess.PIPE)
    t = Terminal(p)
    try:
        t.read_until(b"vmu-fw: holding")
        t.type(b"\x01c")
        t.read_until(b"(qemu) ")
        t.type(b"info status\r")
        if b"VM status: running" not in t.read_until(b"(qemu) "):
            fail("-nographic: info status")
        t.type(b"\x01x")
        if p.wait(60) != 0:
            fail("-nographic: Ctrl-A x: status %s, %s" %
                 (p.returncode, p.stderr.read()))
    except QMPError as e:
        fail("-nographic: %s" % e)
    finally:
        if p.poll() is None:
            p.kill()
            p.wait()


if __name__ == "__main__":
    main()
