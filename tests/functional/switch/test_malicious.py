#!/usr/bin/env python3
"""
A malicious front-end on port 0 of vmu-switch sends every kind of garbage
(bad descriptors, loops, addresses outside memory, absurd ring sizes, bad
memory tables, too many fds, unknown codes, truncated messages, hang-ups
mid-message) while ports 1 and 2 exchange checked frames.  The switch
must stay up, say what went wrong on port 0 once per offence, and keep
forwarding between ports 1 and 2.
"""
import os
import re
import subprocess
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import switchlib as sl  # noqa: E402


def main():
    binary, frontend = sys.argv[1], sys.argv[2]
    d = sl.tmpdir()
    socks = [os.path.join(d, "p%d.sock" % i) for i in range(3)]
    sw = sl.Switch(binary, ["-s", socks[0], "-s", socks[1], "-s", socks[2]],
                   d)
    sl.check(sw.wait_for(r"3 ports, learning switch"), "vmu-switch starts")
    traffic = subprocess.Popen([frontend, "traffic", socks[1], socks[2], "8"],
                               stdout=subprocess.PIPE,
                               stderr=subprocess.STDOUT, text=True)
    sl._procs.append(traffic)
    first = traffic.stdout.readline()
    sl.check("both ports set up" in first, "the traffic front-end is "
             "connected to ports 1 and 2: %r" % first)
    bad = subprocess.Popen([frontend, "malicious", socks[0]],
                           stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                           text=True)
    sl._procs.append(bad)
    try:
        bad_out, _ = bad.communicate(timeout=120)
        t_out, _ = traffic.communicate(timeout=60)
    except subprocess.TimeoutExpired:
        sl.fail("a test front-end did not finish in time")
    print(bad_out)
    print(t_out)
    cases = re.findall(r"case (\S+): (\S+)", bad_out)
    sl.check(len(cases) >= 19, "all %d malicious cases ran" % len(cases))
    for name, verdict in cases:
        sl.check(verdict == "ok", "switch survived and answered: " + name)
    sl.check(bad.returncode == 0, "malicious front-end saw the expected "
             "answers")
    sl.check(traffic.returncode == 0 and "frames each way" in t_out,
             "ports 1 and 2 kept exchanging frames meanwhile")
    n = int(re.search(r"traffic: (\d+) frames", t_out).group(1))
    sl.check(n > 100, "%d checked frames each way during the attack" % n)
    sl.check(sw.alive(), "vmu-switch is still running")

    log = sw.text()
    port0 = [l for l in log.splitlines()
             if "port 0 (" in l and "connected" not in l]
    print("\n".join(port0))
    expect = {
        "descriptor-index-past-ring": r"descriptor index 300 is past the ring",
        "descriptor-loop": r"loops",
        "descriptor-length-past-region": r"buffer at guest address 0x500000 "
                                         r"\(length 3996\) is outside",
        "descriptor-address-outside-memory": r"0xdead00000000",
        "avail-index-jump": r"avail index moved from 0 to 1000",
        "indirect-table-bad-length": r"indirect table of 17 bytes",
        "ring-size-3": r"size 3 is not a power of 2",
        "ring-size-65536": r"size 65536 is not a power of 2",
        "ring-index-200": r"ring 200, but this back-end has 2 rings",
        "ring-addresses-outside-memory": r"descriptor table at front-end "
                                         r"address 0x10 ",
        "memory-regions-overlap": r"overlaps",
        "memory-region-size-0": r"has size 0",
        "memory-region-past-file": r"extends past the end of its file",
        "too-many-fds": r"more than 8 file descriptors",
        "unknown-request-codes": r"unknown request code 99",
        "wrong-payload-size": r"SET_VRING_ADDR payload is 4 bytes, "
                              r"expected 40",
        "oversize-payload": r"1073741824-byte payload.*connection closed",
        "truncated-message": r"did not arrive within.*connection closed",
        "close-mid-message": r"hung up in the middle.*connection closed",
    }
    for name, pattern in expect.items():
        hits = [l for l in port0 if re.search(pattern, l)]
        sl.check(len(hits) == 1, "one clear message naming the socket for "
                 "%s (%d found)" % (name, len(hits)))
        sl.check(socks[0] in hits[0], "it names " + socks[0])
    others = [l for l in log.splitlines()
              if re.search(r"port [12] \(", l) and "connected" not in l]
    sl.check(not others, "nothing went wrong on ports 1 and 2: %s" % others)
    st = sw.stats()
    sl.check(st[1]["errors"] == 0 and st[2]["errors"] == 0,
             "no errors counted on ports 1 and 2")
    sl.check(st[1]["tx"] >= n and st[2]["tx"] >= n,
             "ports 1 and 2 carried the frames (%d, %d)"
             % (st[1]["tx"], st[2]["tx"]))
    sl.check(sw.stop() == 0, "vmu-switch exits 0")


if __name__ == "__main__":
    try:
        main()
    finally:
        sl.cleanup()
