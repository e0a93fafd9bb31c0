"""What a run prints and leaves behind: one line per result, the block of a
mode, DIR/results.json, DIR/summary.txt and the closing line
"N passed, N failed, N skipped" that check.sh reads.
"""
import json
import os

from suites import MODES
from verdict import RANK


def line_for(r):
    secs = f"{r['secs']}s" if r["secs"] is not None else "-"
    why = r["reason"]
    if r.get("known"):
        why = f"{why}; known on base: {r['known']}" if why else f"known on base: {r['known']}"
    return f"{r['verdict']:5} {r['run']} [{r['mode']}] ({why + '; ' if why else ''}{secs})"


def mode_text(results, rundir):
    """The results of one mode as printed when its boot is over: a line each,
    with the first kernel reports, and the last console lines of a failure."""
    text = []
    for r in results:
        text.append(line_for(r))
        for rep in r["reports"][:2]:
            text.append("      | " + "\n      | ".join(rep[:30]))
        if len(r["reports"]) > 2:
            text.append(f"      ({len(r['reports']) - 2} more reports in {rundir}/console.log)")
        allowed = sorted(set(r.get("allowed", [])))
        for note in allowed[:3]:
            text.append(f"      allowed: {note}")
        if len(allowed) > 3:
            text.append(f"      ({len(allowed) - 3} more allowed reports in {rundir}/console.log)")
        if r["verdict"] in ("FAIL", "CRASH") and r.get("console_tail"):
            text.append("      last console lines:\n      | " + "\n      | ".join(r["console_tail"]))
    return "\n".join(text)


def failures_text(results, report_lines=12):
    """The failed runs again, each with the start of its first kernel
    report: printed just above the closing line, so that the end of a long
    log (what CI shows) says what failed and why."""
    text = []
    for r in results:
        if r["verdict"] not in ("FAIL", "CRASH"):
            continue
        text.append("failed: " + line_for(r))
        for line in (r.get("reports") or [[]])[0][:report_lines]:
            text.append("      | " + line)
    return text


def pass_rates(results):
    """'pass rate: test [mode] k/n' for every test that ran more than once."""
    runs = {}
    for r in results:
        runs.setdefault((r["test"], r["mode"]), []).append(r["verdict"] == "PASS")
    return [f"pass rate: {test} [{mode}] {sum(ok)}/{len(ok)}"
            for (test, mode), ok in runs.items() if len(ok) > 1]


def report(out, results, args, accel, tree):
    """Write results.json and summary.txt, print the table and the closing
    line; return the exit status (1 when anything failed or nothing ran)."""
    counts = {v: sum(r["verdict"] == v for r in results) for v in RANK}
    base, series = tree
    info = {"base": base, "series": series,
            "flavor": args.flavor, "accel": accel, "params": args.param, "results": results}
    os.makedirs(out, exist_ok=True)
    with open(os.path.join(out, "results.json"), "w") as f:
        json.dump(info, f, indent=1)
    modes = sorted({r["mode"] for r in results}, key=list(MODES).index)
    names = list(dict.fromkeys(r["run"] for r in results))
    cell = {(r["run"], r["mode"]): r["verdict"] for r in results}
    width = max([len(n) for n in names] + [4])
    lines = [f"base {info['base']} series {info['series'][:12]} flavor {args.flavor} accel {accel}"
             + (f" params {' '.join(args.param)}" if args.param else ""),
             f"{'test':{width}}  " + "  ".join(f"{m:6}" for m in modes)]
    for n in names:
        lines.append(f"{n:{width}}  " + "  ".join(f"{cell.get((n, m), '-'):6}" for m in modes))
    lines += pass_rates(results)
    with open(os.path.join(out, "summary.txt"), "w") as f:
        f.write("\n".join(lines) + "\n\n" + "\n".join(line_for(r) for r in results) + "\n")
    print("\n".join(lines + failures_text(results)))
    failed = counts["FAIL"] + counts["CRASH"]
    if not results:
        print("no tests ran")
        failed = 1
    print(f"{counts['PASS']} passed, {failed} failed, {counts['SKIP'] + counts['XFAIL']} skipped")
    return 1 if failed else 0
