"""Running A/B pairs and writing raw CSV, the markdown summary and plots."""
import csv
import os
import statistics
import subprocess
import traceback


class Skip(Exception):
    """A benchmark that cannot run here: the reason goes in the summary."""


class Metric:
    def __init__(self, name, unit, doc, better="lower", target=None,
                 guest_bound=None):
        self.name = name
        self.unit = unit
        self.doc = doc
        self.better = better
        # ("ratio", 0.2): vmu/peer median ratio at most (lower) or at least
        # (higher) 0.2; ("vmu", 8.0): vmu's own median within 8.0 units.
        self.target = target
        # Text saying why the figure is bound by an emulated guest, shown
        # when the machine's KVM is kvm-pvm.
        self.guest_bound = guest_bound


class Result:
    def __init__(self, bench, name):
        self.bench = bench
        self.name = name
        self.rows = []          # (pair, variant, metric, value)
        self.errors = []
        self.skipped = None


def run_benchmark(ctx, bench, pairs):
    res = Result(bench, bench.name)
    try:
        bench.setup()
    except Skip as e:
        res.skipped = str(e)
        print(f"   skipped: {e}")
        return res
    try:
        for i in range(pairs):
            for variant in ("vmu", "peer"):
                try:
                    vals = bench.run(variant)
                except Skip as e:
                    res.skipped = str(e)
                    print(f"   skipped: {e}")
                    return res
                except Exception as e:  # noqa: BLE001 - report, go on
                    msg = f"pair {i} {variant}: {e}"
                    res.errors.append(msg)
                    print(f"   error: {msg}")
                    if os.environ.get("BENCH_DEBUG"):
                        traceback.print_exc()
                    continue
                for m, v in vals.items():
                    res.rows.append((i, variant, m, v))
                shown = ", ".join(f"{m}={_num(v)}" for m, v in vals.items())
                print(f"   pair {i} {variant:4}: {shown}", flush=True)
    finally:
        bench.teardown()
    return res


def _values(res, variant, metric):
    return [v for (_, var, m, v) in res.rows if var == variant and m == metric]


def _ratios(res, metric):
    by_pair = {}
    for (i, var, m, v) in res.rows:
        if m == metric:
            by_pair.setdefault(i, {})[var] = v
    out = []
    for d in by_pair.values():
        if "vmu" in d and "peer" in d and d["peer"]:
            out.append(d["vmu"] / d["peer"])
    return out


def _num(v):
    """3 significant digits, never an exponent."""
    if v == 0 or abs(v) >= 100:
        return f"{v:,.0f}"
    return f"{v:.3g}" if abs(v) >= 0.001 else f"{v:.2e}"


def _fmt(vals):
    if not vals:
        return "—"
    return (f"{_num(statistics.median(vals))} "
            f"({_num(min(vals))}–{_num(max(vals))})")


def _target(metric, vmu_vals, ratios):
    t = metric.target
    if not t:
        return "", ""
    kind, bound = t
    if kind == "ratio":
        got = statistics.median(ratios) if ratios else None
        want = f"ratio {'≤' if metric.better == 'lower' else '≥'} {bound}"
    else:
        got = statistics.median(vmu_vals) if vmu_vals else None
        want = (f"vmu {'≤' if metric.better == 'lower' else '≥'} {bound} "
                f"{metric.unit}")
    if got is None:
        return want, "no data"
    ok = got <= bound if metric.better == "lower" else got >= bound
    return want, "met" if ok else "not met"


def write_all(ctx, results):
    with open(os.path.join(ctx.out, "raw.csv"), "w", newline="") as f:
        w = csv.writer(f)
        w.writerow(["benchmark", "pair", "variant", "metric", "value",
                    "unit"])
        for res in results:
            units = {m.name: m.unit for m in res.bench.metrics}
            for (i, var, m, v) in res.rows:
                name = "vmu" if var == "vmu" else res.bench.peer_name
                w.writerow([res.name, i, name, m, f"{v:.6g}",
                            units.get(m, "")])

    mach = ctx.machine()
    lines = ["# vmu benchmarks", ""]
    lines += [f"- machine: {mach['cores']} cores, {mach['cpu']}",
              f"- KVM: {mach['kvm']}",
              f"- kernel: {mach['kernel']}",
              "- method: alternating A/B pairs (vmu, peer, vmu, peer, …); "
              "median (min–max) of each side, and the median of the "
              "per-pair vmu/peer ratios", ""]
    for res in results:
        b = res.bench
        lines += [f"## {res.name}: {b.title}", ""]
        lines += [f"Peer: {b.peer_name} ({b.peer_version()}).", ""]
        if res.skipped:
            lines += [f"**Skipped:** {res.skipped}", ""]
            continue
        lines += ["| metric | unit | vmu | " + b.peer_name +
                  " | vmu/peer (median of pairs) | target | |",
                  "|---|---|---|---|---|---|---|"]
        notes = []
        for m in b.metrics:
            vv = _values(res, "vmu", m.name)
            pv = _values(res, "peer", m.name)
            ratios = _ratios(res, m.name)
            want, status = _target(m, vv, ratios)
            r = _num(statistics.median(ratios)) if ratios else "—"
            lines.append(f"| {m.name} | {m.unit} | {_fmt(vv)} | {_fmt(pv)} "
                         f"| {r} | {want} | {status} |")
            if m.guest_bound and mach["pvm"]:
                notes.append(f"- `{m.name}` is bound by the emulated guest "
                             f"here: {m.guest_bound}")
        lines.append("")
        lines += [f"- `{m.name}`: {m.doc}" for m in b.metrics]
        lines += notes
        lines += [f"- {n}" for n in b.notes]
        if res.errors:
            lines += ["", "Errors:"] + [f"- {e}" for e in res.errors[:10]]
        plot = _plot(ctx, res)
        if plot:
            lines += ["", f"![{res.name}]({os.path.basename(plot)})"]
        lines.append("")
    with open(os.path.join(ctx.out, "summary.md"), "w") as f:
        f.write("\n".join(lines))


def _plot(ctx, res):
    """One PNG per benchmark: each metric's value per pair, both sides."""
    metrics = [m for m in res.bench.metrics if _values(res, "vmu", m.name) or
               _values(res, "peer", m.name)]
    if not metrics:
        return None
    data = os.path.join(ctx.out, f"{res.name}.dat")
    png = os.path.join(ctx.out, f"{res.name}.png")
    with open(data, "w") as f:
        for m in metrics:
            f.write(f"# {m.name}\n")
            by_pair = {}
            for (i, var, name, v) in res.rows:
                if name == m.name:
                    by_pair.setdefault(i, {})[var] = v
            for i in sorted(by_pair):
                d = by_pair[i]
                f.write(f"{i} {d.get('vmu', 'NaN')} {d.get('peer', 'NaN')}\n")
            f.write("\n\n")
    n = len(metrics)
    script = [f"set terminal png size 640,{260 * n}",
              f"set output '{png}'",
              f"set multiplot layout {n},1",
              "set termoption noenhanced", "set xtics 1",
              "set key outside right", "set xlabel 'pair'", "set grid"]
    for idx, m in enumerate(metrics):
        script.append(f"set title '{res.name}: {m.name}'")
        script.append(f"set ylabel '{m.unit}'")
        script.append(f"plot '{data}' index {idx} using 1:2 with linespoints "
                      f"title 'vmu', '' index {idx} using 1:3 with "
                      f"linespoints title '{res.bench.peer_name}'")
    script.append("unset multiplot")
    try:
        subprocess.run(["gnuplot"], input="\n".join(script), text=True,
                       check=True, capture_output=True, timeout=60)
    except (OSError, subprocess.SubprocessError):
        return None
    return png
