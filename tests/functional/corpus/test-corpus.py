#!/usr/bin/env python3
"""Run every command line of the corpus (corpus.py) with the binary name
changed to vmu, its paths substituted, and a qtest accelerator so that a
started machine exits once its test hangs up: each must start, with the
warnings listed, or fail with the error lines listed (the options and
devices vmu lacks).  Prints TAP and a summary.

Usage: test-corpus.py PATH-TO-VMU PATH-TO-KERNEL [--show]
  --show: print what each line does, without checking (to write entries)
"""
import os
import re
import shlex
import subprocess
import socket
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from corpus import CORPUS, START  # noqa: E402
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)),
                                ".."))
from vmutest import run_qtest_hangup  # noqa: E402

TIMEOUT = 60    # seconds for one machine to start and exit, under load


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


def to_vmu(vmu, line, subst, qtest_sock):
    """The line's arguments for vmu: its program replaced, KVM left out so
    that -qtest picks the qtest accelerator (any other is still refused)."""
    for key, value in subst.items():
        line = line.replace("{" + key + "}", str(value))
    args = shlex.split(line)[1:]
    out = []
    for a in args:
        if a in ("-enable-kvm", "--enable-kvm"):
            continue
        out.append(a.replace(",accel=kvm", "").replace("accel=kvm,", "")
                   .replace("accel=kvm", ""))
    return [vmu] + out + ["-qtest", "unix:" + qtest_sock]


def check(expect, status, lines):
    problems = []
    if isinstance(expect, tuple):
        _, warnings = expect
        # A pty chardev announces its device, as QEMU does: not a warning.
        lines = [l for l in lines if not re.match(
            r"vmu: char device redirected to /dev/pts/\d+ \(label ", l)]
        if status != 0:
            problems.append(f"exit status {status}, want 0 (a started "
                            "machine)")
        if len(lines) != len(warnings):
            problems.append(f"{len(lines)} lines on stderr, want "
                            f"{len(warnings)} warnings")
        for k, w in enumerate(warnings):
            if k >= len(lines) or not lines[k].startswith("vmu: warning: ") \
                    or w not in lines[k]:
                problems.append(f"line {k + 1} is not a warning with {w!r}")
        return problems
    errors = [l for l in lines if not l.startswith("vmu: warning: ")]
    if status != 1:
        problems.append(f"exit status {status}, want 1 (refused)")
    if len(errors) != len(expect):
        problems.append(f"{len(errors)} error lines, want {len(expect)}")
    for k, e in enumerate(expect):
        if k >= len(errors) or e not in errors[k]:
            problems.append(f"error line {k + 1} lacks {e!r}")
    if not all(l.startswith("vmu: ") for l in lines):
        problems.append("a line on stderr does not start with 'vmu: '")
    return problems


def main():
    vmu = os.path.abspath(sys.argv[1])
    kernel = os.path.abspath(sys.argv[2])
    show = "--show" in sys.argv[3:]
    print(f"1..{len(CORPUS)}")
    failed = started = refused = 0
    reasons = {}
    for n, (source, name, line, expect) in enumerate(CORPUS, 1):
        with tempfile.TemporaryDirectory(prefix="vmu-corpus-") as cwd, \
                tempfile.TemporaryDirectory(prefix="vmu-corpus-",
                                            dir="/dev/shm") as huge:
            # A real (empty) qcow2 image, as the documented lines expect.
            img = os.path.join(cwd, "disk.qcow2")
            subprocess.run(["qemu-img", "create", "-q", "-f", "qcow2", img,
                            "64M"], check=True)
            subst = {"SOCK": cwd, "HUGE": huge, "MEM": "256", "IMG": img,
                     "KERNEL": kernel, "PORT": free_port()}
            qtest_sock = os.path.join(cwd, "qtest.sock")
            argv = to_vmu(vmu, line, subst, qtest_sock)
            status, _, err = run_qtest_hangup(argv, cwd, qtest_sock,
                                              TIMEOUT)
        lines = [l for l in err.splitlines() if l.strip()]
        if show:
            print(f"# {n} {name}: status {status}")
            for l in lines:
                print(f"#   {l}")
            continue
        problems = check(expect, status, lines)
        if "Sanitizer" in err or "runtime error" in err:
            problems.append("sanitizer report")
        if problems:
            failed += 1
            print(f"not ok {n} - {name} ({source})")
            for p in problems:
                print(f"#   {p}")
            print("#   " + " ".join(shlex.quote(a) for a in argv))
            for l in lines[:30]:
                print(f"#   stderr: {l}")
            continue
        if isinstance(expect, tuple):
            started += 1
            print(f"ok {n} - {name}: starts"
                  f"{' with ' + str(len(lines)) + ' warnings' if lines else ''}")
        else:
            refused += 1
            print(f"ok {n} - {name}: refused: {expect[0]}"
                  f"{' (+%d more)' % (len(expect) - 1) if len(expect) > 1 else ''}")
            for e in expect:
                reasons[e] = reasons.get(e, 0) + 1
    print(f"# corpus: {len(CORPUS)} lines, {started} start, {refused} "
          f"refused, {failed} not as expected")
    for r, c in sorted(reasons.items(), key=lambda x: -x[1]):
        print(f"#   refused {c}x: {r}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
