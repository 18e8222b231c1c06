#!/usr/bin/env python3
"""
A front-end killed (SIGKILL) and restarted while another port carries
traffic, on vmu-switch with three vmu-vhost-clients.

  test_switch_restart.py SWITCH CLIENT

A sends 15,000 frames at 5,000 frames/s unicast to B (--recv --verify);
meanwhile C (--recv) is killed with SIGKILL, and started again once the
switch has noticed.  Asserts: B received every one of A's frames intact
and in order (none missing), the switch's counters for A and B match the
clients' and show no drop or error, and the restarted C works: frames A
sends to C's address afterwards all arrive at C, none at B.
"""
import os
import signal
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import clientlib as cl  # noqa: E402

MAC_A = "02:00:00:00:00:0a"
MAC_B = "02:00:00:00:00:0b"
MAC_C = "02:00:00:00:00:0c"
N = 15000
RATE = 5000


def start_c(client, sock, d, name):
    c = cl.Client(client, sock, ["--recv", "--verify", "--mac", MAC_C,
                                 "--announce"], d, name)
    cl.check(c.started(), "client %s starts on port 2" % name)
    return c


def run(procs):
    switch = cl.need(sys.argv[1], "vmu-switch")
    client = cl.need(sys.argv[2], "vmu-vhost-client")
    d = cl.tmpdir()
    socks = [os.path.join(d, n + ".sock") for n in "abc"]
    sw = cl.Switch(switch, socks, d)
    procs.append(sw)
    cl.check(sw.ready(), "vmu-switch starts with three ports")
    b = cl.Client(client, socks[1], ["--recv", "--verify", "--mac", MAC_B,
                                      "--announce"], d, "b")
    procs.append(b)
    cl.check(b.started(), "client B starts")
    c = start_c(client, socks[2], d, "c1")
    procs.append(c)
    cl.check(cl.wait_until(lambda: sw.stats()[1]["rx"] >= 1 and
                           sw.stats()[2]["rx"] >= 1, 5),
             "B and C announced themselves")

    a = cl.Client(client, socks[0], ["--send", str(N), "--sizes", "60-1514",
                                     "--mac", MAC_A, "--dst", MAC_B,
                                     "--rate", str(RATE)], d, "a")
    procs.append(a)
    cl.check(a.started(), "client A starts sending to B")
    time.sleep(0.7)
    c.proc.send_signal(signal.SIGKILL)
    c.wait(5)
    cl.check(sw.wait_err(r"port 2 \(.*\): front-end disconnected", 5),
             "the switch notices C is gone")
    c2 = start_c(client, socks[2], d, "c2")
    procs.append(c2)
    cl.check(cl.wait_until(lambda: sw.stats()[2]["rx"] >= 2, 5),
             "C is back and announced itself again")
    cl.check(a.alive(), "A is still sending while C came back")

    rc, ra = a.finish(30)
    cl.check(rc == 0 and ra and ra["sent"] == N, "A sent all %d frames" % N)
    rb = b.wait_received(N + 2)
    print("B:", rb)
    cl.check(rb["received"] - rb["other"] == N and rb["streams"] == 1,
             "B received %d of A's %d frames" % (rb["received"] - rb["other"],
                                                 N))
    cl.check(rb["other"] == 2, "B also got both of C's announces (flooded)")
    cl.check(rb["bad"] == 0 and rb["out_of_order"] == 0 and
             rb["missing"] == 0, "at B every frame intact, in order, none "
             "missing")
    st = sw.stats()
    print("switch:", st)
    cl.check(st[0]["rx"] == N and st[1]["tx"] == rb["received"],
             "switch: port A took %d, port B delivered what B counted (%d)"
             % (N, rb["received"]))
    cl.check(st[0]["drops"] == 0 and st[1]["drops"] == 0 and
             all(st[p]["errors"] == 0 for p in st),
             "no drops on A and B, no errors anywhere")

    a2 = cl.Client(client, socks[0], ["--send", "1000", "--sizes", "60-9000:9",
                                      "--mac", MAC_A, "--dst", MAC_C,
                                      "--rate", str(RATE)], d, "a2")
    procs.append(a2)
    rc, ra2 = a2.finish(30)
    cl.check(rc == 0 and ra2["sent"] == 1000, "A sent 1000 frames to C")
    rc2 = c2.wait_received(1000)
    print("C:", rc2)
    cl.check(rc2["received"] == 1000 and rc2["bad"] == 0 and
             rc2["missing"] == 0 and rc2["out_of_order"] == 0,
             "the restarted C received all 1000 intact and in order")
    rb = b.result_now()
    cl.check(rb["received"] - rb["other"] == N, "none of them reached B")
    for p in (b, c2):
        cl.check(p.stop(timeout=10) == 0, "client %s exits 0" % p.name)
    rc, _ = sw.final_stats()
    cl.check(rc == 0, "vmu-switch exits 0")


if __name__ == "__main__":
    cl.main_wrapper(run)
