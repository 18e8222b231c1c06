"""Shared by the Python fuzzers in tests/fuzz: the command-line contract
(--seed, --seconds, --case), one random.Random per case so that any case
replays alone, and the report lines (see meson.build for the contract).
"""
import argparse
import os
import random
import shlex
import sys
import time

SANITIZER_MARKS = ("ERROR: AddressSanitizer", "ERROR: LeakSanitizer",
                   "runtime error:", "Sanitizer:DEADLYSIGNAL")


def sanitizer_report(text):
    """The first line of a sanitizer report in text, or None."""
    for line in text.splitlines():
        if any(m in line for m in SANITIZER_MARKS):
            return line
    return None


class CaseFailed(Exception):
    """A case broke the contract; str() says how, input is what was fed."""

    def __init__(self, why, failing_input):
        super().__init__(why)
        self.failing_input = failing_input


def case_seed(seed, case):
    # A string seed is hashed the same way on every run and platform.
    return f"{seed}/{case}"


def main(name, run_case, binaries_help):
    """Parse the contract's arguments and run cases until the budget ends.

    run_case(rng, case, binaries) raises CaseFailed on a failure; it may
    return counts ({"exit 1": 1}, {"lines": 250}) that are summed up.
    """
    ap = argparse.ArgumentParser(prog=f"fuzz-{name}")
    ap.add_argument("--seed", type=int, default=None)
    ap.add_argument("--seconds", type=float, default=5.0)
    ap.add_argument("--case", type=int, default=None,
                    help="run only this case of the seed (replay)")
    ap.add_argument("binaries", nargs="+", help=binaries_help)
    a = ap.parse_args()
    seed = a.seed if a.seed is not None else int.from_bytes(os.urandom(4),
                                                            "little")
    bins = [os.path.abspath(b) for b in a.binaries]
    print(f"fuzz-{name}: seed {seed}", flush=True)
    end = time.monotonic() + a.seconds
    cases = [a.case] if a.case is not None else None
    done = 0
    case = 0
    outcomes = {}
    while True:
        if cases is not None:
            if done == len(cases):
                break
            case = cases[done]
        elif done and time.monotonic() >= end:
            break
        try:
            out = run_case(random.Random(case_seed(seed, case)), case, bins)
        except CaseFailed as e:
            print(f"fuzz-{name}: FAIL case {case}: {e}")
            print(f"fuzz-{name}: failing input:")
            for line in str(e.failing_input).splitlines():
                print(f"    {line}")
            script = os.path.abspath(sys.argv[0])
            cmd = [sys.executable, script, "--seed", str(seed), "--case",
                   str(case)] + bins
            print(f"fuzz-{name}: replay: {shlex.join(cmd)}")
            print(f"fuzz-{name}: {done + 1} cases, 1 failures", flush=True)
            return 1
        for k, n in (out or {}).items():
            outcomes[k] = outcomes.get(k, 0) + n
        done += 1
        case += 1
    if outcomes:
        print(f"fuzz-{name}: " + ", ".join(f"{n} {k}" for k, n in
                                           sorted(outcomes.items())))
    print(f"fuzz-{name}: {done} cases, 0 failures", flush=True)
    return 0
