#!/usr/bin/env python3
"""Count the verdicts of a vmrun results.json for make check.

usage: results.py RESULTS_JSON    prints "PASSED FAILED SKIPPED"

The counts come from the per-run verdicts, never from the runner's printed
closing line.  CRASH and FAIL count as failed, XFAIL (a known failure of the
base) and SKIP as skipped.  A verdict this script does not know, a file that
is missing or unreadable, or one with no results is an error (exit 2): a run
that cannot be judged never counts as green.
"""
import json
import sys

COUNTED = {"PASS": 0, "CRASH": 1, "FAIL": 1, "XFAIL": 2, "SKIP": 2}


class Error(Exception):
    pass


def count(path):
    try:
        with open(path, encoding="utf-8") as f:
            results = json.load(f)["results"]
    except (OSError, ValueError, KeyError, TypeError) as e:
        raise Error(f"{path}: cannot read the results ({e})")
    if not results:
        raise Error(f"{path}: no test ran")
    totals = [0, 0, 0]
    for r in results:
        verdict = r.get("verdict") if isinstance(r, dict) else None
        if verdict not in COUNTED:
            raise Error(f"{path}: unknown verdict {verdict!r} for {r.get('run', '?') if isinstance(r, dict) else r}")
        totals[COUNTED[verdict]] += 1
    return totals


def main(argv):
    if len(argv) != 2:
        sys.exit(__doc__.strip().splitlines()[2])
    try:
        print(*count(argv[1]))
    except Error as e:
        print(f"results: {e}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
