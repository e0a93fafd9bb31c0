#!/usr/bin/env python3
"""Pass rates per cell from vmrun results, as one table.

usage: rates.py QEMU=RESULTS_JSON...

QEMU names the emulator the run used (vmrun does not record it).  A cell is
(QEMU, kernel flavor, accelerator, test, mode); its rate counts PASS runs
among all runs of it.  Every verdict but PASS counts as a failed run, a
crash too; an XFAIL is a failure here, as the point is the rate.  A run
that never started (its boot died earlier) is not a run: it is counted
apart, as "not run".  Each cell lists the reasons of its failed runs, with
their counts.
"""
import json
import re
import sys
from collections import Counter

from suites import MODES

MODE_ORDER = list(MODES)


def add_cells(rows, label, path):
    """Add the runs of one results.json to ROWS, keyed by cell."""
    with open(path, encoding="utf-8") as f:
        info = json.load(f)
    for r in info["results"]:
        # vmrun calls multi-threaded TCG plain "tcg".
        accel = "tcg-multi" if info["accel"] == "tcg" else info["accel"]
        key = (label, info["flavor"], accel, r["test"], r["mode"])
        row = rows.setdefault(key, {"runs": 0, "passed": 0, "why": Counter()})
        if r.get("started") is False:
            row["why"]["not run (the boot died earlier)"] += 1
            continue
        row["runs"] += 1
        if r["verdict"] == "PASS":
            row["passed"] += 1
        else:
            why = (r.get("reason") or "").split(";")[0].strip()
            # A selftest's assertion: keep the exit status and where it
            # failed; drop what the test printed before the banner (on
            # the same line), the banner and the pid, so that equal
            # failures add up.
            why = re.sub(r"^(exit \d+: )?.*==== Test Assertion Failure ==== \| ", r"\1", why)
            why = re.sub(r" \| pid=.*", "", why)
            row["why"][f"{r['verdict']}: {why}"[:110]] += 1


def table(rows):
    head = f"{'qemu':8} {'kernel':11} {'accel':10} {'test':26} {'mode':6} {'passed':>7}  failures"
    lines = [head]
    order = sorted(rows, key=lambda k: (k[0], k[1], k[2], k[3], MODE_ORDER.index(k[4])))
    for key in order:
        row = rows[key]
        rate = f"{row['passed']}/{row['runs']}"
        why = "; ".join(f"{n} x {w}" for w, n in row["why"].most_common())
        lines.append(f"{key[0]:8} {key[1]:11} {key[2]:10} {key[3]:26} {key[4]:6} {rate:>7}  {why}")
    return "\n".join(lines)


def main(argv):
    if len(argv) < 2 or any("=" not in a for a in argv[1:]):
        print(__doc__.strip().splitlines()[2], file=sys.stderr)
        return 2
    rows = {}
    for arg in argv[1:]:
        label, path = arg.split("=", 1)
        try:
            add_cells(rows, label, path)
        except (OSError, ValueError, KeyError) as e:
            print(f"rates: {path}: {e}", file=sys.stderr)
            return 2
    print(table(rows))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
