#!/usr/bin/env python3
"""Tables and a plot from the logs of 'make bench' (scripts/bench-guest.sh).

usage: bench-report.py OUT --passes N [--plot] [--modes MODES] [--lockstat DIR]
                       [--test NAME]

OUT is the vmrun output directory of the benchmark run: OUT/MODE/logs/
NAME.log for each MMU mode (NAME: aging_bench), N the passes of each run.  Writes OUT/results.json (every run, valid
or not, and the figures of each round), OUT/table.txt (printed too) and, with
--plot, OUT/bench.png through gnuplot.  --lockstat DIR adds the mmu_lock
counts of the lockstat run (DIR/MODE/logs/aging_bench_lockstat.log).

Figures of one run (aging_perf_test's passes 2 and later: pass 1 is the
first of the VM, whose page tables are built then):
  vcpu    median wall time of the vCPUs' pass (first start to last end), s
  age     mean time of an ager pass over guest memory (its present pages), s
  age_gib ager time per GiB of present pages visited, seconds
A round runs the three variants (none = the ager walks pagemap without
marking pages idle, locked = kvm.lockless_aging=0, lockless = 1) one after
the other; ratios are computed within a round, and
a round with an invalid run (failed, missing passes, or the parameter not
what was asked, as the test printed it before and after its passes) is
listed and left out, never averaged in.  Exit status: 1 if a mode has no
log or a configuration has fewer than MIN_ROUNDS valid rounds, 0 otherwise
(invalid rounds are always listed, with the reason).
"""
import argparse
import json
import os
import re
import statistics
import subprocess
import sys

RUN = re.compile(r"^== bench vcpus=(\d+) size=(\S+) round=(\d+) variant=(\w+)$")
PASS = re.compile(r"^pass (\d+): vcpu ([\d.]+) s, ager (\d+) passes"
                  r"(?:, mean ([\d.]+) s, (\d+) present pages, [\d.]+ ns/page)?$")
PARAM = re.compile(r"^lockless_aging (before|after): (\S+)$")
LOCK_HEAD = re.compile(r"^lock_stat: +class name")
LOCK_LINE = re.compile(r"^lock_stat: (&\(?kvm\)?->mmu_lock(?:-([RW]))?):\s+(.*)$")
VARIANTS = ("none", "locked", "lockless")
# Valid rounds a configuration needs for its figures to count.
MIN_ROUNDS = 3
EXPECT = {"locked": "N", "lockless": "Y"}
PAGE = 4096


def parse_log(path):
    """Return the runs of one log, each a dict, in order."""
    with open(path, errors="replace") as f:
        return parse_log_text(f.read())


def parse_log_text(text):
    """The runs of a log's text, each a dict, in order."""
    runs, cur = [], None
    for line in text.splitlines():
        m = RUN.match(line)
        if m:
            cur = {"vcpus": int(m[1]), "size": m[2], "round": int(m[3]),
                   "variant": m[4], "passes": [], "param": {},
                   "errors": [], "lock": {}}
            runs.append(cur)
            continue
        if cur is None:
            continue
        m = PASS.match(line)
        if m:
            cur["passes"].append({
                "pass": int(m[1]), "vcpu": float(m[2]), "aging_passes": int(m[3]),
                "age_mean": float(m[4]) if m[4] else None,
                "pages": int(m[5]) if m[5] else 0})
            continue
        m = PARAM.match(line)
        if m:
            cur["param"][m[1]] = m[2]
            continue
        m = LOCK_LINE.match(line)
        if m:
            cur["lock"][m[2] or "W"] = [float(x) for x in m[3].split()]
            continue
        if line.startswith("bench: ") or "Assertion" in line or "==== Test" in line:
            cur["errors"].append(line)
    return runs


def check_run(run, passes):
    """Why a run is invalid (a list of reasons, empty if valid)."""
    why = list(run["errors"])
    got = [p["pass"] for p in run["passes"]]
    if got != list(range(1, passes + 1)):
        why.append(f"passes {got}, expected 1..{passes}")
    want = EXPECT.get(run["variant"])
    if want:
        for when in ("before", "after"):
            val = run["param"].get(when)
            if val != want:
                why.append(f"kvm.lockless_aging {when} the passes: {val}, expected {want}")
    if run["variant"] != "none" and len(run["passes"]) > 1 and \
            not all(p["aging_passes"] for p in run["passes"][1:]):
        why.append("a vCPU pass without a complete aging pass")
    return why


def run_figures(run):
    """The figures of a valid run, from its passes after the first."""
    ps = run["passes"][1:]
    fig = {"vcpu": statistics.median(p["vcpu"] for p in ps)}
    n = sum(p["aging_passes"] for p in ps)
    if n:
        total = sum(p["age_mean"] * p["aging_passes"] for p in ps)
        pages = sum(p["pages"] for p in ps)
        fig["age"] = total / n
        fig["age_gib"] = total / (pages * PAGE / 2**30) if pages else None
        fig["aging_passes"] = n / len(ps)
    return fig


def rounds_of(runs, passes):
    """Group runs into rounds per (vcpus, size); return (rounds, invalid)."""
    groups, invalid = {}, []
    for r in runs:
        why = check_run(r, passes)
        r["valid"] = not why
        r["why"] = why
        key = (r["vcpus"], r["size"])
        groups.setdefault(key, {}).setdefault(r["round"], {})[r["variant"]] = r
    out = {}
    for key, rounds in groups.items():
        for rnd, by_variant in sorted(rounds.items()):
            bad = [f"{v}: {'; '.join(by_variant[v]['why'])}" for v in VARIANTS
                   if v in by_variant and not by_variant[v]["valid"]]
            bad += [f"{v}: missing" for v in VARIANTS if v not in by_variant]
            if bad:
                invalid.append({"vcpus": key[0], "size": key[1], "round": rnd, "why": bad})
                continue
            f = {v: run_figures(by_variant[v]) for v in VARIANTS}
            ratios = {
                "age_lockless_locked": f["lockless"]["age"] / f["locked"]["age"],
                "vcpu_locked_none": f["locked"]["vcpu"] / f["none"]["vcpu"],
                "vcpu_lockless_none": f["lockless"]["vcpu"] / f["none"]["vcpu"],
            }
            if f["locked"].get("age_gib") and f["lockless"].get("age_gib"):
                ratios["age_gib_lockless_locked"] = f["lockless"]["age_gib"] / f["locked"]["age_gib"]
            out.setdefault(key, []).append({"round": rnd, "figures": f, "ratios": ratios})
    return out, invalid


def spread(values, fmt):
    values = [v for v in values if v is not None]
    if not values:
        return "-"
    return f"{fmt(statistics.median(values))} [{fmt(min(values))}-{fmt(max(values))}]"


def ms(v):
    return f"{v * 1e3:.1f}"


def sec(v):
    return f"{v:.3f}"


def ratio(v):
    return f"{v:.2f}"


def size_key(size):
    m = re.match(r"(\d+)([KMG]?)", size)
    return int(m[1]) * {"": 1, "K": 2**10, "M": 2**20, "G": 2**30}[m[2]] if m else 0


def table(results):
    """The text table: one block per mode, one row per configuration."""
    lines = []
    for mode, res in results.items():
        lines.append(f"mode {mode}: median [min-max] over {res['nr_rounds']} valid round(s) per row")
        lines.append(f"  {'vCPUs x size':<13} {'vCPU pass s: control':>22} {'locked':>22} {'lockless':>22}"
                     f" {'aging pass ms: locked':>24} {'lockless':>22}")
        for row in res["rows"]:
            rs = row["rounds"]
            g = lambda v, k: [r["figures"][v].get(k) for r in rs]
            lines.append(f"  {row['config']:<13} {spread(g('none', 'vcpu'), sec):>22}"
                         f" {spread(g('locked', 'vcpu'), sec):>22} {spread(g('lockless', 'vcpu'), sec):>22}"
                         f" {spread(g('locked', 'age'), ms):>24} {spread(g('lockless', 'age'), ms):>22}")
        lines.append(f"  {'ratios, pair by pair':<13} {'aging pass lockless/locked':>28}"
                     f" {'per GiB lockless/locked':>25} {'vCPU locked/control':>22} {'lockless/control':>22}")
        for row in res["rows"]:
            rs = row["rounds"]
            g = lambda k: [r["ratios"].get(k) for r in rs]
            lines.append(f"  {row['config']:<13} {spread(g('age_lockless_locked'), ratio):>28}"
                         f" {spread(g('age_gib_lockless_locked'), ratio):>25}"
                         f" {spread(g('vcpu_locked_none'), ratio):>22} {spread(g('vcpu_lockless_none'), ratio):>22}")
        lines.append(f"  {'aging s/GiB':<13} {'locked':>28} {'lockless':>25}")
        for row in res["rows"]:
            rs = row["rounds"]
            g = lambda v: [r["figures"][v].get("age_gib") for r in rs]
            lines.append(f"  {row['config']:<13} {spread(g('locked'), sec):>28} {spread(g('lockless'), sec):>25}")
        for bad in res["invalid"]:
            lines.append(f"  INVALID round {bad['round']} of {bad['vcpus']} x {bad['size']}: "
                         + " | ".join(bad["why"]))
        lines.append("")
    return "\n".join(lines)


# Columns of /proc/lock_stat (version 0.4) after the class name.
LOCK_COLS = ["con-bounces", "contentions", "waittime-min", "waittime-max", "waittime-total",
             "waittime-avg", "acq-bounces", "acquisitions", "holdtime-min", "holdtime-max",
             "holdtime-total", "holdtime-avg"]


def lock_table(lockstat):
    lines = ["mmu_lock from /proc/lock_stat (lockstat kernel, a separate boot; its times are"
             " not the benchmark's), per run:",
             f"  {'mode':<7}{'vCPUs x size':<14}{'variant':<10}{'W acquisitions':>15}{'W contentions':>15}"
             f"{'W wait us':>11}{'R acquisitions':>16}{'R contentions':>15}{'R wait us':>11}"
             f"{'ager passes':>13}{'pages visited':>15}"]
    for mode, runs in lockstat.items():
        for r in runs:
            if not r["valid"]:
                lines.append(f"  {mode:<7}{r['vcpus']} x {r['size']:<10}{r['variant']:<10}INVALID: "
                             + "; ".join(r["why"]))
                continue
            c = {k: dict(zip(LOCK_COLS, v)) for k, v in r["lock"].items()}
            get = lambda rw, col: c.get(rw, {}).get(col, 0)
            ps = r["passes"]
            lines.append(
                f"  {mode:<7}{r['vcpus']} x {r['size']:<10}{r['variant']:<10}"
                f"{get('W', 'acquisitions'):>15.0f}{get('W', 'contentions'):>15.0f}"
                f"{get('W', 'waittime-total'):>11.0f}{get('R', 'acquisitions'):>16.0f}"
                f"{get('R', 'contentions'):>15.0f}{get('R', 'waittime-total'):>11.0f}"
                f"{sum(p['aging_passes'] for p in ps):>13}{sum(p['pages'] for p in ps):>15}")
    return "\n".join(lines) + "\n"


def lock_acquisitions(lockstat, mode):
    """{(vcpus, size): {variant: mmu_lock acquisitions, read and write}}."""
    out = {}
    for r in lockstat.get(mode, []):
        if r["valid"]:
            acq = sum(v[LOCK_COLS.index("acquisitions")] for v in r["lock"].values())
            out.setdefault((r["vcpus"], r["size"]), {})[r["variant"]] = acq
    return out


def plot(results, out, lockstat=None):
    """bench.png, medians per mode: aging pass time, aging time per GiB, vCPU pass time."""
    dat = os.path.join(out, "bench.dat")
    modes = list(results)
    with open(dat, "w") as f:
        for mode in modes:
            f.write(f"# mode {mode}: config age_locked_ms age_lockless_ms"
                    " vcpu_none_s vcpu_locked_s vcpu_lockless_s age_gib_locked_s age_gib_lockless_s\n")
            for row in results[mode]["rows"]:
                med = lambda v, k: statistics.median(r["figures"][v][k] for r in row["rounds"])
                f.write(f"\"{row['config']}\" {med('locked', 'age') * 1e3:.3f}"
                        f" {med('lockless', 'age') * 1e3:.3f} {med('none', 'vcpu'):.4f}"
                        f" {med('locked', 'vcpu'):.4f} {med('lockless', 'vcpu'):.4f}"
                        f" {med('locked', 'age_gib'):.4f} {med('lockless', 'age_gib'):.4f}\n")
            f.write("\n\n")
        if lockstat:
            for mode in modes:
                acq = lock_acquisitions(lockstat, mode)
                f.write(f"# mode {mode}, lockstat kernel: config mmu_lock acquisitions"
                        " control locked lockless (thousands)\n")
                for row in results[mode]["rows"]:
                    a = acq.get((row["vcpus"], row["size"]), {})
                    f.write(f"\"{row['config']}\" " + " ".join(
                        f"{a[v] / 1e3:.1f}" if v in a else "NaN" for v in VARIANTS) + "\n")
                f.write("\n\n")
    rows = 4 if lockstat else 3
    gp = [f"set terminal pngcairo noenhanced size {420 * len(modes)},{370 * rows} font ',9'",
          f"set output '{os.path.join(out, 'bench.png')}'",
          f"set multiplot layout {rows},{len(modes)} title 'make bench: medians over rounds;"
          " locked = kvm.lockless_aging=0, lockless = 1'",
          "set style data histogram", "set style histogram cluster gap 1",
          "set style fill solid 0.8 border -1", "set boxwidth 0.9",
          "set key top left", "set yrange [0:*]",
          "set offsets 0, 0, graph 0.15, 0", "set grid ytics", "set xtics rotate by -30"]
    color = {"none": "#999999", "locked": "#c0392b", "lockless": "#2e86c1"}
    for i, mode in enumerate(modes):
        gp += [f"set title 'aging pass time, {mode} (ms)'",
               f"plot '{dat}' index {i} using 2:xtic(1) title 'locked' lc rgb '{color['locked']}',"
               f" '' index {i} using 3 title 'lockless' lc rgb '{color['lockless']}'"]
    for i, mode in enumerate(modes):
        gp += [f"set title 'ager time per GiB of present pages, {mode} (s)'",
               f"plot '{dat}' index {i} using 7:xtic(1) title 'locked' lc rgb '{color['locked']}',"
               f" '' index {i} using 8 title 'lockless' lc rgb '{color['lockless']}'"]
    for i, mode in enumerate(modes):
        gp += [f"set title 'vCPU pass time, {mode} (s)'",
               f"plot '{dat}' index {i} using 4:xtic(1) title 'control (no aging)' lc rgb '{color['none']}',"
               f" '' index {i} using 5 title 'locked' lc rgb '{color['locked']}',"
               f" '' index {i} using 6 title 'lockless' lc rgb '{color['lockless']}'"]
    if lockstat:
        for i, mode in enumerate(modes):
            gp += [f"set title 'mmu_lock acquisitions per run, {mode} (x1000, lockstat)'",
                   f"plot '{dat}' index {len(modes) + i} using 2:xtic(1) title 'control (no aging)'"
                   f" lc rgb '{color['none']}', '' index {len(modes) + i} using 3 title 'locked'"
                   f" lc rgb '{color['locked']}', '' index {len(modes) + i} using 4 title 'lockless'"
                   f" lc rgb '{color['lockless']}'"]
    gp.append("unset multiplot")
    subprocess.run(["gnuplot"], input="\n".join(gp), text=True, check=True)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("out")
    ap.add_argument("--passes", type=int, required=True, help="passes per run (bench-guest.sh)")
    ap.add_argument("--modes", default="tdp,legacy,shadow")
    ap.add_argument("--lockstat", help="vmrun output directory of the lockstat run")
    ap.add_argument("--test", default="aging_bench", help="the suite section whose logs to read")
    ap.add_argument("--rounds", type=int, help="rounds each configuration should have run")
    ap.add_argument("--plot", action="store_true")
    a = ap.parse_args()

    ok = True
    results, everything = {}, {}
    for mode in a.modes.split(","):
        log = os.path.join(a.out, mode, "logs", f"{a.test}.log")
        if not os.path.exists(log):
            print(f"bench-report: no log for mode {mode} ({log})", file=sys.stderr)
            ok = False
            continue
        runs = parse_log(log)
        rounds, invalid = rounds_of(runs, a.passes)
        if a.rounds:
            ran = {(r["vcpus"], r["size"], r["round"]) for r in runs}
            for v, s in sorted({(r["vcpus"], r["size"]) for r in runs}):
                invalid += [{"vcpus": v, "size": s, "round": n,
                             "why": ["did not run (the test VM died before it?)"]}
                            for n in range(1, a.rounds + 1) if (v, s, n) not in ran]
        configs = {(r["vcpus"], r["size"]) for r in runs}
        short = [k for k in configs if len(rounds.get(k, [])) < MIN_ROUNDS]
        for k in sorted(short):
            print(f"bench-report: {mode}: {k[0]} x {k[1]}: fewer than {MIN_ROUNDS} valid rounds",
                  file=sys.stderr)
        ok = ok and bool(rounds) and not short
        rows = [{"config": f"{k[0]} x {k[1]}", "vcpus": k[0], "size": k[1], "rounds": v}
                for k, v in sorted(rounds.items(), key=lambda kv: (kv[0][0], size_key(kv[0][1])))]
        results[mode] = {"rows": rows, "invalid": invalid,
                         "nr_rounds": ", ".join(str(len(r["rounds"])) for r in rows) or "0"}
        everything[mode] = runs
    lockstat = {}
    if a.lockstat:
        for mode in a.modes.split(","):
            log = os.path.join(a.lockstat, mode, "logs", "aging_bench_lockstat.log")
            if not os.path.exists(log):
                print(f"bench-report: no lockstat log for mode {mode} ({log})", file=sys.stderr)
                ok = False
                continue
            lockstat[mode] = parse_log(log)
            for r in lockstat[mode]:
                r["why"] = check_run(r, a.passes)
                r["valid"] = not r["why"]
                ok = ok and r["valid"]
    text = table(results) + (lock_table(lockstat) if lockstat else "")
    with open(os.path.join(a.out, "table.txt"), "w") as f:
        f.write(text)
    with open(os.path.join(a.out, "results.json"), "w") as f:
        json.dump({"results": results, "runs": everything, "lockstat": lockstat}, f, indent=1)
    print(text, end="")
    plotted = {m: r for m, r in results.items() if r["rows"]}
    if a.plot and plotted:
        plot(plotted, a.out, lockstat)
        print(f"plot: {os.path.join(a.out, 'bench.png')}")
    elif a.plot:
        print("no plot: no valid round in any mode", file=sys.stderr)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
