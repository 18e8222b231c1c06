#!/usr/bin/env python3
"""docs/system/vhost-user.md's "OVS-DPDK by hand" block is exactly what the
tests run: OVS is started as the tests start it (ovslib.Ovs, two ports as
in the text) and the commands it ran, with its directory written $D, its
DPDK file prefix vmu-ovs-$$ and its bridge br0, must be the block's OVS
lines (ovsdb-tool, ovsdb-server, ovs-vsctl, ovs-vswitchd-dpdk), in order.

  test_ovs_docs.py DOC.md
"""
import os
import re
import shlex
import shutil
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import ovslib  # noqa: E402

MARK = "<!-- ovs-setup: checked by tests/functional/ovs/test_ovs_docs.py -->"
OVS_TOOLS = ("ovsdb-tool", "ovsdb-server", "ovs-vsctl", ovslib.VSWITCHD)


def doc_commands(path):
    with open(path) as f:
        text = f.read()
    m = re.search(re.escape(MARK) + r"\s*```sh\n(.*?)```", text, re.S)
    if not m:
        return None
    out = []
    for line in m.group(1).splitlines():
        words = shlex.split(line)
        if words and words[0] in OVS_TOOLS:
            background = words[-1] == "&"
            out.append((words[:-1] if background else words, background))
    return out


def main():
    doc = sys.argv[1]
    ovslib.need_ovs()
    want = doc_commands(doc)
    if not want:
        print("FAIL: no OVS block after %r in %s" % (MARK, doc))
        sys.exit(1)
    tmp = tempfile.mkdtemp(prefix="vmu-ovsdoc-")
    try:
        ovs = ovslib.Ovs(tmp)
        ovs.add_port("vhu0", "dpdkvhostuserclient",
                     os.path.join(tmp, "vm0.sock"))
        ovs.add_port("vhu1", "dpdkvhostuser")
        ovs.stop()
    finally:
        ovslib.cleanup()
        shutil.rmtree(tmp, ignore_errors=True)

    def norm(word):
        word = word.replace(tmp, "$D").replace(ovs.prefix, "vmu-ovs-$$")
        return re.sub(r"\b%s\b" % re.escape(ovs.bridge), "br0", word)
    ran = [([norm(w) for w in argv], bg) for argv, bg in ovs.commands]
    # The block stops before the stop: del-br is in the text after it.
    ran = [c for c in ran if "del-br" not in c[0]]
    failed = 0
    for k in range(max(len(ran), len(want))):
        r = ran[k] if k < len(ran) else None
        w = want[k] if k < len(want) else None
        if r != w:
            failed += 1
            print("FAIL: command %d differs\n  tests run: %s\n  doc says:  %s"
                  % (k + 1, r and shlex.join(r[0]) + (" &" if r[1] else ""),
                     w and shlex.join(w[0]) + (" &" if w[1] else "")))
    if failed:
        sys.exit(1)
    print("ok: the %d OVS commands of %s are the ones the tests run" %
          (len(ran), os.path.basename(doc)))
    print("PASS")


if __name__ == "__main__":
    main()
