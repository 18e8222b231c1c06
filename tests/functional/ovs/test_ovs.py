#!/usr/bin/env python3
"""vmu guests on OVS-DPDK (a netdev bridge, vhost-user ports, the PMD thread
pinned), OVS run by hand in a private directory and stopped by PID:

  test_ovs.py VMU GUEST qtest            two qtest guests, one on a
      dpdkvhostuser port (vmu connects), one on a dpdkvhostuserclient port
      (vmu listens); frames both ways arrive intact, in order, none lost
  test_ovs.py VMU GUEST hugetlbfs        the same with guest RAM on a
      hugetlbfs mount (huge pages reserved, then given back)
  test_ovs.py VMU GUEST multiqueue       queues=2 on both guests: OVS polls
      two rx queues of each port; frames from both TX queues arrive
  test_ovs.py VMU GUEST restart N        ovs-vswitchd SIGKILLed and started
      again N times under traffic: both links go down and come back each
      time with no guest action; frames sent while both links are up all
      arrive, in order; only frames sent around the kill may be lost

GUEST is the ovs-guest program (ovs-guest.c).  Python 3 stdlib only.
"""
import os
import shutil
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
sys.path.insert(0, os.path.join(HERE, ".."))
import ovslib  # noqa: E402
from ovslib import Ovs, OvsError, QtestGuest, check, transfer  # noqa: E402,E501

MAC_A = "52:54:00:00:0a:01"
MAC_B = "52:54:00:00:0b:02"


def clean(st):
    return st["bad"] == 0 and st["dup"] == 0


class Pair:
    """OVS with two ports and a qtest guest on each: A on a dpdkvhostuser
    port (vmu is the client, reconnecting), B on a dpdkvhostuserclient
    port (vmu listens, OVS reconnects)."""

    def __init__(self, vmu, guest, tmp, ram="memfd", queues=1):
        self.ovs = Ovs(tmp)
        self.guests = []
        ovs = self.ovs
        b_sock = os.path.join(tmp, "b.sock")
        ovs.add_port("vhua", "dpdkvhostuser")
        ovs.add_port("vhub", "dpdkvhostuserclient", b_sock)
        self.a = QtestGuest(guest, vmu, "socket,id=c0,path=%s,reconnect-ms="
                            "100" % ovs.sock("vhua"), MAC_A, ram, queues,
                            tmp)
        self.guests.append(self.a)
        self.b = QtestGuest(guest, vmu, "socket,id=c0,path=%s,server=on,"
                            "wait=off" % b_sock, MAC_B, ram, queues, tmp)
        self.guests.append(self.b)

    def links_up(self, timeout=60):
        ta = self.a.wait_link("up", timeout * 1000)
        tb = self.b.wait_link("up", timeout * 1000)
        check(ta is not None and tb is not None, "both guests see link up "
              "(A %s s, B %s s)" % (ta, tb))
        self.ovs.wait_link("vhua", "up", timeout)
        self.ovs.wait_link("vhub", "up", timeout)

    def close(self):
        statuses = [g.quit() for g in self.guests]
        self.ovs.stop()
        return statuses


def both_ways(p, n):
    for src, dst, name in ((p.a, p.b, "A -> B"), (p.b, p.a, "B -> A")):
        base, st = transfer(src, dst, n)
        got = st["rx"] - base["rx"]
        check(got == n and st["lost"] == base["lost"] and clean(st),
              "%s: %d of %d frames arrived intact and in order (%s)" %
              (name, got, n, st))


def case_qtest(vmu, guest, tmp, ram="memfd"):
    p = Pair(vmu, guest, tmp, ram)
    try:
        p.links_up()
        check(p.ovs.pmd_cores() == [p.ovs.pmd_cpu],
              "OVS's PMD thread runs on core %d only" % p.ovs.pmd_cpu)
        both_ways(p, 1000)
        # OVS's own counters, of the dpdkvhostuserclient port (OVS keeps
        # none in the statistics column for dpdkvhostuser ports).
        sb = p.ovs.stats_until("vhub", lambda st: st.get("rx_packets", 0) >=
                               1000 and st.get("tx_packets", 0) >= 1000)
        check(sb.get("rx_packets", 0) >= 1000 and
              sb.get("tx_packets", 0) >= 1000, "OVS counted B's frames both "
              "ways (rx %s, tx %s)" % (sb.get("rx_packets"),
                                       sb.get("tx_packets")))
    finally:
        statuses = p.close()
    check(statuses == [0, 0], "both vmu ended with status 0 at hang-up")


def case_hugetlbfs(vmu, guest, tmp):
    # Two guests of 256 MiB.
    with ovslib.Hugepages(2 * 128 + 8, os.path.join(tmp, "huge")) as h:
        case_qtest(vmu, guest, tmp, ram=h.mnt)
    print("ok: huge pages given back")


def case_multiqueue(vmu, guest, tmp):
    p = Pair(vmu, guest, tmp, queues=2)
    try:
        p.links_up()
        ovs = p.ovs
        ovslib_wait = time.monotonic() + 60
        while time.monotonic() < ovslib_wait and \
                (ovs.rxqs("vhua") != [0, 1] or ovs.rxqs("vhub") != [0, 1]):
            time.sleep(0.1)
        check(ovs.rxqs("vhua") == [0, 1] and ovs.rxqs("vhub") == [0, 1],
              "OVS polls rx queues 0 and 1 of both ports (n_rxq 2)")
        both_ways(p, 1000)
        # Per-queue counters: OVS keeps them for dpdkvhostuserclient ports
        # (B's), refreshed every 5 s.
        sb = ovs.stats_until("vhub", lambda st: st.get(
            "rx_q0_good_packets", 0) + st.get("rx_q1_good_packets", 0) >=
            1000)
        q0, q1 = sb.get("rx_q0_good_packets", 0), sb.get("rx_q1_good_packets",
                                                        0)
        check(q0 >= 400 and q1 >= 400, "OVS received B's frames on both of "
              "its TX queues (q0 %d, q1 %d)" % (q0, q1))
    finally:
        statuses = p.close()
    check(statuses == [0, 0], "both vmu ended with status 0 at hang-up")


def case_restart(vmu, guest, tmp, rounds):
    p = Pair(vmu, guest, tmp)
    downs = []
    ups = []
    try:
        p.links_up()
        both_ways(p, 200)
        for r in range(1, rounds + 1):
            # Under traffic: A sends, then ovs-vswitchd dies mid-stream.
            p.a.cmd("send 100")
            base = p.b.stats()
            p.a.proc.stdin.write("send 300\n")
            p.a.proc.stdin.flush()
            p.ovs.kill_vswitchd()
            t0 = time.monotonic()
            answer = p.a._line(60)
            check(answer.startswith("sent 300"), "round %d: A's TX ring kept "
                  "moving while OVS was killed (%s)" % (r, answer))
            da = p.a.wait_link("down", 30000)
            db = p.b.wait_link("down", 30000)
            check(da is not None and db is not None,
                  "round %d: both links went down" % r)
            downs.append(time.monotonic() - t0)
            t1 = time.monotonic()
            p.ovs.start_vswitchd()
            p.links_up()
            ups.append(time.monotonic() - t1)
            # Nothing lost but in-flight frames: of what A sent around the
            # kill (400 frames) some may be missing; the 100 it sends once
            # the links are back must all arrive, in order, after them.
            nxt = p.a.send(100)
            st = p.b.recv_seq(MAC_A, nxt)
            lost_round = st["lost"] - base["lost"]
            check(clean(st) and lost_round <= 400 and st["run"] >= 100,
                  "round %d: links back after %.2f s; the 100 frames sent "
                  "then all arrived in order (run %d); %d of the 400 sent "
                  "around the kill lost; none duplicated or damaged" %
                  (r, ups[-1], st["run"], lost_round))
        both_ways(p, 200)
        print("restarts: %d; link down seen after %.2f-%.2f s, back after "
              "%.2f-%.2f s (ovs-vswitchd start to both links up)" %
              (rounds, min(downs), max(downs), min(ups), max(ups)))
    finally:
        statuses = p.close()
    check(statuses == [0, 0], "both vmu ended with status 0 at hang-up")


def main():
    vmu, guest, case = sys.argv[1:4]
    ovslib.need_ovs()
    tmp = tempfile.mkdtemp(prefix="vmu-ovs-")
    ok = False
    try:
        if case == "qtest":
            case_qtest(vmu, guest, tmp)
        elif case == "hugetlbfs":
            case_hugetlbfs(vmu, guest, tmp)
        elif case == "multiqueue":
            case_multiqueue(vmu, guest, tmp)
        elif case == "restart":
            case_restart(vmu, guest, tmp, int(sys.argv[4]))
        else:
            raise OvsError("unknown case " + case)
        ok = True
    except OvsError as e:
        print("FAIL: %s" % e)
        for name in ("ovs-vswitchd.log", "guest-525400000a01.err",
                     "guest-525400000b02.err"):
            path = os.path.join(tmp, name)
            if os.path.exists(path):
                with open(path) as f:
                    print("---- %s (end)\n%s" % (name, f.read()[-2500:]))
    finally:
        ovslib.cleanup()
        if os.environ.get("VMU_OVS_KEEP"):
            print("# kept " + tmp)
        else:
            shutil.rmtree(tmp, ignore_errors=True)
    print("PASS" if ok else "FAIL")
    sys.exit(0 if ok else 1)


if __name__ == "__main__":
    main()
