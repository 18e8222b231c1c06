#!/usr/bin/env python3
"""
A front-end killed (SIGKILL) and restarted while another port carries
traffic, on vmu-switch with three vmu-vhost-clients.

  test_switch_restart.py SWITCH CLIENT

A sends 15,000 frames at 5,000 frames/s unicast to B (--recv --verify);
meanwhile C (--recv) is killed with SIGKILL, and started again once the
switch has noticed.  Asserts: B received every one of A's frames intact
and in order, the switch's counters for A and B match the clients' and
show no error, and the restarted C works: frames A sends to C's address
afterwards arrive at C, in order, none at B.

Every frame is accounted for: the only loss allowed is the switch's
documented drop when a receiver's RX ring has no free buffer (a receiver
descheduled for longer than its ring lasts, on a loaded machine: counted
in the port's drops and traced as "no receive buffer"), and the receiver's
'missing' must equal those drops.  A frame lost for any other reason (a
ring not enabled after the restart, a stale learning entry) fails.  The
receivers use 1024-entry rings so that even that drop is rare.
"""
import os
import signal
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import clientlib as cl  # noqa: E402

MAC_A = "02:00:00:00:00:0a"
MAC_B = "02:00:00:00:00:0b"
MAC_C = "02:00:00:00:00:0c"
N = 15000
RATE = 5000
RECV = ["--recv", "--verify", "--announce", "--queue-size", "1024"]
def start_c(client, sock, d, name):
    c = cl.Client(client, sock, RECV + ["--mac", MAC_C], d, name)
    cl.check(c.started(30), "client %s starts on port 2" % name)
    return c


def run(procs):
    switch = cl.need(sys.argv[1], "vmu-switch")
    client = cl.need(sys.argv[2], "vmu-vhost-client")
    d = cl.tmpdir()
    socks = [os.path.join(d, n + ".sock") for n in "abc"]
    sw = cl.Switch(switch, socks, d, ["-T", "vmu_switch_drop"])
    procs.append(sw)
    cl.check(sw.ready(30), "vmu-switch starts with three ports")
    b = cl.Client(client, socks[1], RECV + ["--mac", MAC_B], d, "b")
    procs.append(b)
    cl.check(b.started(30), "client B starts")
    c = start_c(client, socks[2], d, "c1")
    procs.append(c)
    cl.check(cl.wait_until(lambda: sw.stats()[1]["rx"] >= 1 and
                           sw.stats()[2]["rx"] >= 1, 30),
             "B and C announced themselves")

    a = cl.Client(client, socks[0], ["--send", str(N), "--sizes", "60-1514",
                                     "--mac", MAC_A, "--dst", MAC_B,
                                     "--rate", str(RATE)], d, "a")
    procs.append(a)
    cl.check(a.started(30), "client A starts sending to B")
    # C goes while A's traffic is flowing: once the switch took 1,000.
    cl.check(cl.wait_until(lambda: sw.stats()[0]["rx"] >= 1000, 60),
             "A's traffic flows through the switch")
    c.proc.send_signal(signal.SIGKILL)
    c.wait(30)
    cl.check(sw.wait_err(r"port 2 \(.*\): front-end disconnected", 30),
             "the switch notices C is gone")
    c2 = start_c(client, socks[2], d, "c2")
    procs.append(c2)
    cl.check(cl.wait_until(lambda: sw.stats()[2]["rx"] >= 2, 30),
             "C is back and announced itself again")
    cl.check(a.alive(), "A is still sending while C came back")

    rc, ra = a.finish(60)
    cl.check(rc == 0 and ra and ra["sent"] == N, "A sent all %d frames" % N)
    rb, st = cl.wait_accounted(sw, 1, b, N + 2)
    print("B:", rb)
    print("switch:", st)
    cl.check_accounted(sw, st, 1, rb, N, 2, "B")
    cl.check(st[0]["rx"] == N and st[1]["tx"] == rb["received"],
             "switch: port A took %d, port B delivered what B counted (%d)"
             % (N, rb["received"]))
    cl.check(st[0]["drops"] == 0 and all(st[p]["errors"] == 0 for p in st),
             "no drops of A's frames at A, no errors anywhere")

    a2 = cl.Client(client, socks[0], ["--send", "1000", "--sizes", "60-9000:9",
                                      "--mac", MAC_A, "--dst", MAC_C,
                                      "--rate", str(RATE)], d, "a2")
    procs.append(a2)
    rc, ra2 = a2.finish(60)
    cl.check(rc == 0 and ra2["sent"] == 1000, "A sent 1000 frames to C")
    rc2, st2 = cl.wait_accounted(sw, 2, c2, 1000)
    print("C:", rc2)
    print("switch:", st2)
    cl.check_accounted(sw, st2, 2, rc2, 1000, 0, "the restarted C")
    rb2 = b.result_now()
    cl.check(rb2["received"] == rb["received"] and
             st2[1]["tx"] == st[1]["tx"], "none of them reached B")
    for p in (b, c2):
        cl.check(p.stop(timeout=10) == 0, "client %s exits 0" % p.name)
    rc, _ = sw.final_stats()
    cl.check(rc == 0, "vmu-switch exits 0")


if __name__ == "__main__":
    cl.main_wrapper(run)
