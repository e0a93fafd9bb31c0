"""The verdict of every planned test run, from the console log of its boot
(kvmlts markers, kernel reports found by logscan.py) and its own log.

Verdicts, worst first: CRASH > FAIL > PASS > XFAIL > SKIP (RANK).
    CRASH  a kernel report while it ran, or the guest died or was killed
    FAIL   a non-zero exit, a timeout, a failed parameter check
    PASS   exit 0
    XFAIL  a FAIL that suites.cfg's 'known' field expects on the base, unless
           the test printed a line matching its 'unexcused_if' field
    SKIP   exit 4 (KSFT_SKIP): a requirement the test printed was not met
"""
import os
import re

import logscan
from suites import known_reason, read_lines

RANK = {"CRASH": 4, "FAIL": 3, "PASS": 2, "XFAIL": 1, "SKIP": 0}
KSFT_SKIP = 4


def output_matches(path, regex):
    """The first line of the test's log that REGEX (the 'fail_if' or
    'unexcused_if' field) matches, else ''."""
    if not regex:
        return ""
    rx = re.compile(regex)
    return next((x.strip()[:200] for x in read_lines(path) if rx.search(x)), "")


def judge(rundir, mode, plan, tests, killed, allow, strict_skips=False, kvm=None, accel=None):
    """Return one result dict per planned run.

    STRICT_SKIPS: a skip that suites.cfg does not expect (no 'known' reason
    for MODE or 'all') fails, since what skips is not tested."""
    with open(os.path.join(rundir, "console.log"), encoding="utf-8", errors="replace") as f:
        raw = f.readlines()
    segs, done = logscan.split(raw)
    by_name = {s.name: s for s in segs}
    results, boot_reports = [], []
    for seg in segs:
        if seg.name not in dict(plan):
            boot_reports += [r for r in logscan.scan(seg.lines, allow, kvm) if not r.allowed]
    tail = [logscan.strip(x) for x in raw[-15:]]
    for run, name in plan:
        seg = by_name.get(run)
        log = os.path.join(rundir, "logs", run + ".log")
        res = {"test": name, "run": run, "mode": mode, "secs": None, "reports": [], "allowed": []}
        if seg is None:
            res.update(verdict="CRASH" if not done else "FAIL", started=False,
                       reason=killed or "never started: the guest died earlier", console_tail=tail)
        elif not seg.ended:
            res.update(verdict="CRASH", reason=killed or "no status came back (guest crashed?)", console_tail=tail)
        else:
            res["secs"] = seg.secs
            matched = output_matches(log, tests[name].get("fail_if"))
            if seg.rc == 0 and matched:
                res.update(verdict="FAIL", reason="exit 0, but printed: " + matched)
            elif seg.rc == 0:
                res.update(verdict="PASS", reason="")
            elif seg.rc == KSFT_SKIP:
                res.update(verdict="SKIP", reason=skip_reason(log))
            elif seg.rc in (124, 137):
                res.update(verdict="FAIL", reason=timeout_or_kill(seg.rc, seg.secs, tests[name]["timeout"]))
            elif seg.rc == 125:
                res.update(verdict="FAIL", reason="check failed: " + first_line(log, "check "))
            else:
                res.update(verdict="FAIL", reason=f"exit {seg.rc}: " + failure_line(log))
        reports = logscan.scan(seg.lines, allow, kvm) if seg else []
        res["reports"] = [r.lines for r in reports if not r.allowed]
        res["allowed"] = [f"{r.title} ({r.allowed})" for r in reports if r.allowed]
        if res["reports"]:
            res.update(verdict="CRASH", reason="kernel report: " + summarize(
                [r.title for r in reports if not r.allowed]))
        known = known_reason(tests[name], mode, accel)
        unexcused = output_matches(log, tests[name].get("unexcused_if"))
        if known and unexcused and res["verdict"] == "FAIL":
            res["reason"] += "; not the known failure: " + unexcused
        elif known and res["verdict"] in ("FAIL", "SKIP"):
            res["known"] = known
            if res["verdict"] == "FAIL":
                res["verdict"] = "XFAIL"
        elif strict_skips and res["verdict"] == "SKIP":
            res.update(verdict="FAIL", reason="unexpected skip: " + res["reason"])
        results.append(res)
    if boot_reports:
        results.append({"test": "kernel-log", "run": "kernel-log", "mode": mode, "secs": None,
                        "verdict": "CRASH", "reason": "kernel report outside any test: "
                        + summarize([r.title for r in boot_reports]),
                        "reports": [r.lines for r in boot_reports], "allowed": []})
    return results


def guest_setup(rundir, mode):
    """A FAIL result named guest-setup when the guest of MODE could not run
    KVM, else None.  Every test here needs KVM; without it they all skip, and
    a run of skips alone would pass (--accel kvm on a host without nested
    virtualization gives such a guest).  guest-init.sh writes RUN/guest-info."""
    path = os.path.join(rundir, "guest-info")
    if not os.path.exists(path):
        missing = ["no guest-info: the guest never got to its setup"]
    else:
        info = {}
        for line in read_lines(path):
            key, sep, value = line.partition(":")
            if sep:
                info[key.strip()] = value.strip()
        missing = []
        if info.get("virtualization") not in ("svm", "vmx"):
            missing.append("no svm/vmx flag in the guest's CPU")
        if info.get("kvm") != "/dev/kvm":
            missing.append("no /dev/kvm in the guest")
    if not missing:
        return None
    return {"test": "guest-setup", "run": "guest-setup", "mode": mode, "secs": None, "verdict": "FAIL",
            "reason": "; ".join(missing), "reports": [], "allowed": []}


def timeout_or_kill(rc, secs, timeout):
    """The reason for exit status 124 or 137 of the guest's
    'timeout -k 10 TIMEOUT bash -c CMD'.  124: the timeout fired and the test
    ended on SIGTERM.  137 (128 + SIGKILL): either the test ignored that
    SIGTERM and timeout's -k killed it 10 s later, or something else killed it
    (the OOM killer) before its time was up; only the time it ran tells."""
    if rc == 124 or (secs is not None and secs >= timeout):
        return f"timeout after {timeout}s"
    return f"killed by SIGKILL after {secs if secs is not None else '?'}s (OOM killer?)"


def summarize(titles, most=3):
    """The distinct report titles, at most MOST of them, and how many reports there were."""
    distinct = list(dict.fromkeys(titles))
    text = "; ".join(distinct[:most])
    if len(distinct) > most:
        text += f"; ... ({len(distinct) - most} more kinds)"
    shown = min(len(distinct), most)
    return text + (f" [{len(titles)} reports]" if len(titles) > shown else "")


def first_line(path, prefix):
    return next((x.strip() for x in read_lines(path) if x.startswith(prefix)), "?")


def failure_line(path):
    """The assertion or error a selftest printed, else its last line."""
    if not os.path.exists(path):
        return "no log"
    lines = [x.rstrip() for x in read_lines(path) if x.strip()]
    for i, x in enumerate(lines):
        if "Assertion failure" in x or "Test Assertion" in x or "Guest assert" in x:
            return " | ".join(y.strip() for y in lines[i:i + 3])[:300]
    return lines[-1][:300] if lines else "no output"


def skip_reason(path):
    lines = [x.strip() for x in read_lines(path) if x.strip()]
    said = [x for x in lines if "skip" in x.lower() or "requirement not met" in x.lower()]
    return (said or lines[-1:] or ["skipped"])[0][:200]
