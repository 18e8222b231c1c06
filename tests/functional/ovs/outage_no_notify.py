#!/usr/bin/env python3
"""A 3 s OVS outage under a guest that honours notification suppression
(issue 17, point 1).  The test firmware under KVM sends 30,000 frames
(net-tx, kicking only when the used ring's VRING_USED_F_NO_NOTIFY is clear,
as Linux does) through OVS-DPDK to a qtest guest.  Once traffic flows,
ovs-vswitchd is SIGKILLed, stays away 3 s, and is started again.

It must hold that:
  - the firmware's transmitter never stalls: DPDK leaves NO_NOTIFY set in
    the TX ring when it dies, so vmu must clear it and keep taking what the
    guest queues (dropped, like on an unplugged cable) until a back-end
    returns; a stalled transmitter never kicks again, so frames reaching
    the qtest guest after the restart show it went on (without the fix:
    "net tx timeout, K of N sent, kicks 0");
  - vmu says once that the back-end is back ("... is back after N ms").
The firmware sends more frames than it can in the time the test takes on
any host, and is stopped once both have been seen: how fast it drops
frames during the outage does not decide the outcome.

  outage_no_notify.py VMU GUEST FW
"""
import os
import re
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
sys.path.insert(0, os.path.join(HERE, ".."))
from ovslib import check  # noqa: E402
import vmutest  # noqa: E402
from test_ovs_fw import Firmware, run_case, setup  # noqa: E402

COUNT = 100000000
OUTAGE = 3.0


def run(vmu, guest, fw, tmp):
    ovs, q, chardev = setup(vmu, guest, tmp, "memfd")
    f = Firmware(vmu, fw, tmp, chardev, "test=net-tx count=%d wait-link=20"
                 % COUNT, "memfd")
    st = q.recv_until(1000, 120000)
    check(st["fw"] >= 1000, "traffic flows before the outage (%d frames)" %
          st["fw"])
    ovs.kill_vswitchd()
    t_kill = time.monotonic()
    before = q.stats()["fw"]
    # The outage itself: OVS stays away for 3 s while the guest transmits
    # (cut short if the firmware ends: then it has failed).
    while time.monotonic() - t_kill < OUTAGE and f.proc.poll() is None:
        time.sleep(0.1)
    ovs.start_vswitchd()
    check(f.proc.poll() is None, "the firmware is still transmitting when "
          "OVS is back (status %s):\n%s" % (f.proc.poll(), f.out()[-1500:]))
    st = q.recv_until(before + 100, 60000)
    m = re.search(r"net tx timeout, (\d+) of (\d+) sent, kicks (\d+)",
                  f.out())
    check(not m, "the firmware's transmitter did not stall while OVS was "
          "away%s" % (" (%s)" % m.group(0) if m else ""))
    check(st["fw"] >= before + 100, "frames reached the qtest guest after "
          "the restart (%d before the kill, %d at the end)" %
          (before, st["fw"]))
    vmutest.wait_until(lambda: re.search(r"back-end .* is back after",
                                         f.err()), 30)
    back = re.findall(r"back-end .* is back after (\d+) ms", f.err())
    check(len(back) == 1, "vmu said once that the back-end is back (%s)" %
          (back or f.err().strip().splitlines()[-3:]))
    print("back-end back after %s ms; %d frames before the kill, %d after" %
          (back[0], before, st["fw"] - before))
    f.stop()
    check(q.quit() == 0, "the qtest guest's vmu ended with status 0")


def main():
    vmu, guest, fw = sys.argv[1:4]
    run_case("vmu-ovsout-", lambda tmp: run(vmu, guest, fw, tmp),
             ("fw.out", "fw.err"))


if __name__ == "__main__":
    main()
