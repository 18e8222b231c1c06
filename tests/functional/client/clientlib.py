"""
Helpers for the vmu-vhost-client functional tests: start vmu-switch and
vmu-vhost-client processes with their output in files, wait for what they
print (bounded), read the switch's statistics and the client's 'result:'
line, and stop every process started (cleanup(), from a finally).
"""
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)),
                                ".."))
import skips  # noqa: E402
from vmutest import wait_until  # noqa: E402,F401

SKIP = skips.SKIP

_procs = []
_dirs = []


def skip(reason, host=None):
    skips.skip(reason, host, cleanup)


def check(cond, msg):
    if not cond:
        print("FAIL: " + msg, flush=True)
        raise AssertionError(msg)
    print("ok: " + msg, flush=True)


def need(path, what):
    if not path or not os.access(path, os.X_OK):
        skip("%s is not built or not executable: %s" % (what, path))
    return path


def tmpdir():
    d = tempfile.mkdtemp(prefix="vmu-client-")
    _dirs.append(d)
    return d


def cleanup():
    """Stop every process started (TERM, then KILL), remove the temp dirs."""
    for p in _procs:
        if p.poll() is None:
            try:
                p.terminate()
                p.wait(5)
            except subprocess.TimeoutExpired:
                p.kill()
                p.wait(5)
    _procs.clear()
    for d in _dirs:
        shutil.rmtree(d, ignore_errors=True)
    _dirs.clear()


class Proc:
    """A process with stdout and stderr in files of logdir."""

    def __init__(self, argv, logdir, name):
        self.name = name
        self.out_path = os.path.join(logdir, name + ".out")
        self.err_path = os.path.join(logdir, name + ".err")
        self._out = open(self.out_path, "w")
        self._err = open(self.err_path, "w")
        print("$ " + " ".join(argv), flush=True)
        self.proc = subprocess.Popen(argv, stdout=self._out,
                                     stderr=self._err,
                                     stdin=subprocess.DEVNULL)
        _procs.append(self.proc)

    def out(self):
        with open(self.out_path) as f:
            return f.read()

    def err(self):
        with open(self.err_path) as f:
            return f.read()

    def alive(self):
        return self.proc.poll() is None

    def wait_err(self, pattern, timeout=10):
        """Wait (bounded) for pattern on stderr; stops early if it exits."""
        end = time.time() + timeout
        while time.time() < end and self.alive():
            m = re.search(pattern, self.err())
            if m:
                return m
            time.sleep(0.05)
        return re.search(pattern, self.err())

    def wait(self, timeout):
        try:
            return self.proc.wait(timeout)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait(5)
            raise AssertionError("%s did not finish within %d s" %
                                 (self.name, timeout))

    def stop(self, sig=signal.SIGTERM, timeout=10):
        if self.alive():
            self.proc.send_signal(sig)
        rc = self.wait(timeout)
        self._out.close()
        self._err.close()
        return rc

    def show(self):
        for path in (self.out_path, self.err_path):
            with open(path) as f:
                text = f.read()
            if text:
                print("--- %s ---\n%s" % (os.path.basename(path),
                                        text[-4000:].rstrip()), flush=True)


RESULT_RE = re.compile(r"^result: (.*)$", re.M)


def parse_result(text):
    """The last 'result:' line of a client's stdout as a dict, or None."""
    found = RESULT_RE.findall(text)
    if not found:
        return None
    out = {}
    for kv in found[-1].split():
        k, v = kv.split("=", 1)
        try:
            out[k] = float(v) if "." in v else int(v)
        except ValueError:
            out[k] = v
    return out


class Client(Proc):
    def __init__(self, binary, sock, args, logdir, name):
        super().__init__([binary, "-q", sock] + list(args), logdir, name)

    def started(self, timeout=30):
        return self.wait_err(r"started, \d+-byte header", timeout)

    def result_now(self, timeout=20):
        """SIGUSR1 (--recv/--echo): the result line printed for it."""
        n = len(RESULT_RE.findall(self.out()))
        self.proc.send_signal(signal.SIGUSR1)
        wait_until(lambda: len(RESULT_RE.findall(self.out())) > n, timeout)
        return parse_result(self.out())

    def wait_received(self, n, timeout=30):
        """Ask (SIGUSR1, every 0.3 s) until 'received' reaches n; the last
        result either way."""
        end = time.time() + timeout
        r = self.result_now()
        while (r is None or r["received"] < n) and time.time() < end:
            time.sleep(0.3)
            r = self.result_now()
        return r

    def finish(self, timeout=60):
        """Wait for a client that ends by itself; its result."""
        rc = self.wait(timeout)
        self._out.close()
        self._err.close()
        return rc, parse_result(self.out())

    def stop_result(self, timeout=10):
        rc = self.stop(signal.SIGTERM, timeout)
        return rc, parse_result(self.out())


STATS_RE = re.compile(r"port (\d+) \(([^)]*)\): rx (\d+) frames (\d+) "
                      r"bytes, tx (\d+) frames (\d+) bytes, drops (\d+), "
                      r"errors (\d+)")


def parse_switch_stats(text):
    out = {}
    for m in STATS_RE.finditer(text):
        out[int(m.group(1))] = dict(
            rx=int(m.group(3)), rx_bytes=int(m.group(4)),
            tx=int(m.group(5)), tx_bytes=int(m.group(6)),
            drops=int(m.group(7)), errors=int(m.group(8)))
    return out


class Switch(Proc):
    def __init__(self, binary, socks, logdir, extra=()):
        args = [binary] + list(extra)
        for s in socks:
            args += ["-s", s]
        self.nports = len(socks)
        super().__init__(args, logdir, "switch")

    def ready(self, timeout=30):
        return self.wait_err(r"%d ports?, " % self.nports, timeout)

    def stats(self, timeout=20):
        """SIGUSR1: {port: {rx, rx_bytes, tx, tx_bytes, drops, errors}}."""
        before = len(self.err())

        def got():
            st = parse_switch_stats(self.err()[before:])
            return st if len(st) == self.nports else None
        self.proc.send_signal(signal.SIGUSR1)
        st = wait_until(got, timeout)
        if not st:
            raise AssertionError("vmu-switch printed no statistics")
        return st

    def final_stats(self, timeout=10):
        """SIGTERM: exit status and the statistics printed at exit."""
        before = len(self.err())
        rc = self.stop(signal.SIGTERM, timeout)
        return rc, parse_switch_stats(self.err()[before:])


def main_wrapper(fn):
    """Run fn(); on failure show every log; always stop every process."""
    procs = []
    try:
        fn(procs)
    except AssertionError as e:
        for p in procs:
            p.show()
        print("FAIL: %s" % e, flush=True)
        cleanup()
        sys.exit(1)
    finally:
        cleanup()
    print("ok", flush=True)
    sys.exit(0)


# ---- frames a full receive ring cost (the switch drops and counts them) ----

DROP_RE = re.compile(r"vmu_switch_drop port (\d+)\b(.*)")


def drops_by_reason(sw, port):
    """{'overrun': n, 'other': [lines]} from the switch's drop traces."""
    out = {"overrun": 0, "other": []}
    for m in DROP_RE.finditer(sw.err()):
        if int(m.group(1)) != port:
            continue
        if "no receive buffer" in m.group(2):
            out["overrun"] += 1
        else:
            out["other"].append(m.group(0))
    return out


def wait_accounted(sw, port, r, n):
    """Ask r (SIGUSR1) until what it received plus what the switch dropped
    for it reaches n (bounded); r's last result and the switch's counters."""
    res, st = None, None
    end = time.time() + 60
    while True:
        res, st = r.result_now(), sw.stats()
        if (res and res["received"] + st[port]["drops"] >= n or
                time.time() > end):
            return res, st
        time.sleep(0.2)


def check_accounted(sw, st, port, r, sent, extra, who):
    """Every frame sent to port (sent from one stream, extra announces)
    reached the receiver r or was dropped by the switch for want of a
    receive buffer; nothing else was lost."""
    d = drops_by_reason(sw, port)
    print("%s: %d dropped for want of a receive buffer" % (who, d["overrun"]))
    check(not d["other"], "no drop at %s other than a full RX ring: %s"
             % (who, d["other"][:5]))
    check(st[port]["drops"] == d["overrun"],
             "every drop at %s is traced as a full RX ring (%d, %d traced)"
             % (who, st[port]["drops"], d["overrun"]))
    check(r["received"] + d["overrun"] == sent + extra and
             r["other"] <= extra and r["missing"] <= d["overrun"] and
             r["received"] - r["other"] > 0,
             "%s received %d of %d (%d of %d announces), the rest dropped "
             "at a full RX ring" % (who, r["received"] - r["other"], sent,
                                    r["other"], extra))
    check(r["bad"] == 0 and r["out_of_order"] == 0 and
             r["streams"] == (1 if sent else 0),
             "at %s every frame intact and in order" % who)
