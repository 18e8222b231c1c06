#!/usr/bin/env python3
"""name_threads.py VMU FW.ELF CASE: -name's thread and process names, read
from /proc while the test firmware idles under KVM (it halts after its last
line when there is no debug-exit device).
Cases: debug-threads (vCPU threads are 'CPU N/KVM', as QEMU names them for
pinning scripts), plain (no debug-threads: no such names), process
(process= names the main thread)."""
import os
import select
import signal
import subprocess
import sys
import time
from vmutest import need_kvm

CASES = {
    # case: (-name value, names wanted among the threads, names refused)
    "debug-threads": ("guest=vm1,debug-threads=on",
                      ["CPU 0/KVM", "CPU 1/KVM"], []),
    "plain": ("vm1", [], ["CPU 0/KVM", "CPU 1/KVM"]),
    "process": ("guest=vm1,process=vmu-vm1,debug-threads=off",
                ["vmu-vm1"], ["CPU 0/KVM"]),
}


def fail(msg, err=""):
    print("FAIL: " + msg)
    if err:
        print("stderr:\n" + err)
    sys.exit(1)


def thread_names(pid):
    names = {}
    for tid in os.listdir(f"/proc/{pid}/task"):
        try:
            with open(f"/proc/{pid}/task/{tid}/comm") as f:
                names[int(tid)] = f.read().strip()
        except OSError:
            pass    # a thread that ended meanwhile
    return names


def main():
    vmu, fw, case = sys.argv[1:4]
    need_kvm()
    name, wanted, refused = CASES[case]
    p = subprocess.Popen([vmu, "-kernel", fw, "-append", "test=hello",
                          "-m", "64M", "-smp", "2", "-nographic",
                          "-nodefaults", "-serial", "stdio", "-name", name],
                         stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                         stderr=subprocess.PIPE)
    out = b""
    deadline = time.monotonic() + 60
    # Every vCPU thread exists once the firmware has printed its last line.
    while b"vmu-fw: exit" not in out and time.monotonic() < deadline:
        ready, _, _ = select.select([p.stdout], [], [], 0.5)
        if ready:
            chunk = os.read(p.stdout.fileno(), 4096)
            if not chunk:
                break
            out += chunk
    if b"vmu-fw: exit" not in out:
        p.kill()
        _, err = p.communicate()
        fail("the firmware did not finish in 60 s; stdout: %r" % out,
             err.decode(errors="replace"))
    # A vCPU thread names itself when it starts; the AP's may start after
    # the BSP has finished: wait for the names (the AP idles meanwhile).
    names = thread_names(p.pid)
    while not all(w in names.values() for w in wanted) and \
            time.monotonic() < deadline:
        time.sleep(0.1)
        names = thread_names(p.pid)
    p.send_signal(signal.SIGTERM)
    try:
        _, err = p.communicate(timeout=30)
    except subprocess.TimeoutExpired:
        p.kill()
        _, err = p.communicate()
        fail("vmu did not exit on SIGTERM", err.decode(errors="replace"))
    print("threads: %s" % sorted(names.values()))
    for w in wanted:
        if w not in names.values():
            fail("no thread named %r" % w, err.decode(errors="replace"))
    for r in refused:
        if r in names.values():
            fail("a thread is named %r" % r)
    if case == "process" and names.get(p.pid) != "vmu-vm1":
        fail("the main thread is %r, not 'vmu-vm1'" % names.get(p.pid))
    print("PASS")


main()
