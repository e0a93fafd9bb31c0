#!/usr/bin/env python3
"""Boot the built kernel in QEMU and run a suite of KVM selftests in it.

usage: vmrun.py [--suite NAME | --test NAME] [--modes tdp,legacy,shadow]
                [--flavor debug] [--repeat N] [--accel auto|tcg|kvm]
                [--param MOD.PARAM=VAL ...] [--out DIR]

One boot per MMU mode.  The guest sees the host's root filesystem read-only
(9p) and the run directory read-write; scripts/guest-init.sh runs the plan.
Each test gets a verdict from its exit status and from the kernel log printed
while it ran (scripts/logscan.py):
    crashed > failed > passed > skipped.
Writes DIR/<mode>/{console.log,plan,results,logs/}, DIR/results.json and
DIR/summary.txt; the last line printed is "N passed, N failed, N skipped".
"""
import argparse
import concurrent.futures
import configparser
import json
import os
import queue
import re
import shlex
import signal
import subprocess
import sys
import threading
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import logscan  # noqa: E402

TOP = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
BUILD = os.environ.get("BUILD", os.path.join(TOP, "build"))
SUITES = os.path.join(TOP, "suites.cfg")
ALLOWLIST = os.path.join(TOP, "kcsan-allowlist.txt")

# MMU modes: extra kernel command line, and module parameters that prove it.
# Both vendors' parameters are given; only the loaded module's apply.
MODES = {
    "tdp": ("", {"svm": ["kvm.tdp_mmu=Y", "kvm_amd.npt=Y"], "vmx": ["kvm.tdp_mmu=Y", "kvm_intel.ept=Y"]}),
    "legacy": ("kvm.tdp_mmu=0", {"svm": ["kvm.tdp_mmu=N", "kvm_amd.npt=Y"], "vmx": ["kvm.tdp_mmu=N", "kvm_intel.ept=Y"]}),
    "shadow": ("kvm_amd.npt=0 kvm_intel.ept=0", {"svm": ["kvm_amd.npt=N"], "vmx": ["kvm_intel.ept=N"]}),
}
RANK = {"CRASH": 4, "FAIL": 3, "PASS": 2, "XFAIL": 1, "SKIP": 0}
KSFT_SKIP = 4
BOOT_TIMEOUT = 600     # seconds from QEMU start to the first test
GRACE = 120            # beyond a test's own timeout before the VM is killed (teardown of many VMs is slow under TCG)
FIELDS = {"cmd", "args", "groups", "timeout", "modes", "check", "known", "config"}


class Error(Exception):
    pass


def load_suites(path=SUITES):
    """Return {test name: dict of fields} from the suite file."""
    cp = configparser.ConfigParser(interpolation=None, comment_prefixes=("#",), inline_comment_prefixes=None)
    cp.optionxform = str
    with open(path, encoding="utf-8") as f:
        cp.read_file(f)
    tests = {}
    for name in cp.sections():
        sec = dict(cp[name])
        unknown = set(sec) - FIELDS
        if unknown:
            raise Error(f"{path}: [{name}]: unknown field(s) {', '.join(sorted(unknown))}")
        if "cmd" not in sec or "groups" not in sec:
            raise Error(f"{path}: [{name}] needs 'cmd' and 'groups'")
        modes = sec.get("modes", " ".join(MODES)).split()
        for m in modes:
            if m not in MODES:
                raise Error(f"{path}: [{name}]: unknown mode '{m}' (modes: {' '.join(MODES)})")
        known = {}
        for line in sec.get("known", "").strip().splitlines():
            mode, _, why = line.partition(":")
            if mode.strip() not in list(MODES) + ["all"] or not why.strip():
                raise Error(f"{path}: [{name}]: 'known' lines are 'MODE|all: reason'")
            known[mode.strip()] = why.strip()
        tests[name] = {
            "cmd": sec["cmd"],
            "args": sec.get("args", ""),
            "groups": sec["groups"].split(),
            "timeout": int(sec.get("timeout", "300")),
            "modes": modes,
            "check": sec.get("check", "").split(),
            "known": known,
            "config": sec.get("config", "").split(),
        }
    return tests


def select(tests, suite=None, names=None, source=SUITES):
    if names:
        bad = [n for n in names if n not in tests]
        if bad:
            raise Error(f"no test named {', '.join(bad)} in {source}")
        return {n: tests[n] for n in names}
    wanted = suite.split(",")
    groups = sorted({g for t in tests.values() for g in t["groups"]})
    unknown = [g for g in wanted if g not in groups]
    if unknown:
        raise Error(f"suite '{','.join(unknown)}' has no tests (suites: {', '.join(groups)})")
    return {n: t for n, t in tests.items() if set(wanted) & set(t["groups"])}


def host_vendor():
    flags = read_lines("/proc/cpuinfo")
    flags = "".join(flags)
    return "vmx" if re.search(r"\bvmx\b", flags) else "svm" if re.search(r"\bsvm\b", flags) else None


def pick_accel(want, tcg_threads="multi"):
    """KVM only where it can run a guest that itself sees SVM/VMX, else TCG."""
    vendor = host_vendor()
    usable = vendor is not None and os.access("/dev/kvm", os.R_OK | os.W_OK)
    why = ("/dev/kvm is usable and the host CPU has " + vendor) if usable else \
        ("the host CPU has no vmx/svm flag" if vendor is None else "/dev/kvm is not accessible")
    if want == "kvm" and not usable:
        raise Error(f"--accel kvm: KVM cannot run a guest with nested virtualization here ({why})")
    if want == "tcg" or not usable:
        return ("tcg" if tcg_threads == "multi" else "tcg-single",
                ["-accel", f"tcg,thread={tcg_threads}", "-cpu", "EPYC,+svm,+npt"], "svm", why)
    return "kvm", ["-accel", "kvm", "-cpu", "host"], vendor, why


def program(t, selftests):
    """A selftest's path, or one of this repository's scripts (scripts/...)."""
    if t["cmd"].startswith("/"):
        return t["cmd"]
    if t["cmd"].startswith("scripts/"):
        return os.path.join(TOP, t["cmd"])
    return os.path.join(selftests, t["cmd"])


def kernel_options(kernel):
    """The options set in the .config of the build directory of KERNEL (its
    arch/x86/boot/bzImage)."""
    config = os.path.join(kernel.rsplit("/arch/x86/boot/", 1)[0], ".config")
    return {line.split("=", 1)[0] for line in read_lines(config)
            if line.startswith("CONFIG_") and line.rstrip().endswith(("=y", "=m"))}


def absent(tests, selftests, options):
    """{test: what is missing} for the tests whose program does not exist or
    whose kernel option (the 'config' field) is not set in OPTIONS."""
    missing = {}
    for n, t in tests.items():
        unset = [c for c in t["config"] if c not in options]
        if not os.path.exists(program(t, selftests)):
            missing[n] = "program " + program(t, selftests)
        elif unset:
            missing[n] = "kernel without " + " ".join(unset)
    return missing


def write_plan(path, tests, mode, vendor, selftests, repeat, params):
    """One line per test run: name timeout checks command."""
    entries = []
    with open(path, "w", encoding="utf-8") as f:
        for name, t in tests.items():
            if mode not in t["modes"]:
                continue
            cmd = program(t, selftests)
            checks = MODES[mode][1][vendor] + t["check"] + params
            for i in range(1, repeat + 1):
                run = f"{name}#{i}" if repeat > 1 else name
                f.write(f"{run} {t['timeout']} {','.join(checks) or '-'} {cmd} {t['args']}\n".rstrip() + "\n")
                entries.append((run, name))
    return entries


def qemu_command(kernel, rundir, accel_args, mode, params, mem, smp):
    append = " ".join(filter(None, [
        "console=ttyS0", "panic=-1", "printk.devkmsg=on", "rootfstype=9p", "root=/dev/root",
        "rootflags=trans=virtio,version=9p2000.L,msize=262144", "ro",
        f"init={TOP}/scripts/guest-init.sh", f"KVMLTS_TOP={TOP}",
        MODES[mode][0], " ".join(params)]))
    return ["qemu-system-x86_64", *accel_args, "-smp", str(smp), "-m", mem,
            "-nographic", "-no-reboot", "-nodefaults", "-serial", "stdio",
            "-kernel", kernel, "-append", append,
            "-fsdev", "local,id=root,path=/,security_model=none,readonly=on,multidevs=remap",
            "-device", "virtio-9p-pci,fsdev=root,mount_tag=/dev/root",
            "-fsdev", f"local,id=run,path={rundir},security_model=none",
            "-device", "virtio-9p-pci,fsdev=run,mount_tag=kvmlts"]


def boot(cmd, rundir, plan, progress):
    """Run QEMU, copy the console to console.log, kill it on a timeout.

    Returns a short reason when the VM had to be killed, else None."""
    timeouts = {run: t for run, t in plan}
    console = open(os.path.join(rundir, "console.log"), "w", encoding="utf-8", errors="replace")
    qlog = open(os.path.join(rundir, "qemu.log"), "w")
    print("$ " + " ".join(shlex.quote(c) for c in cmd), file=qlog, flush=True)
    proc = subprocess.Popen(cmd, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=qlog)
    lines = queue.Queue()

    def reader():
        for raw in proc.stdout:
            lines.put(raw.decode("utf-8", "replace"))
        lines.put(None)

    threading.Thread(target=reader, daemon=True).start()
    try:
        return watch(proc, lines, console, timeouts, progress)
    finally:
        # Also when the runner itself is interrupted: never leave a VM behind.
        if proc.poll() is None:
            proc.kill()
        proc.wait()
        proc.stdout.close()
        console.close()
        qlog.close()


def watch(proc, lines, console, timeouts, progress):
    """Copy console lines until QEMU exits; kill it when a test makes no progress."""
    deadline, killed = time.time() + BOOT_TIMEOUT, None
    current = "boot"
    while True:
        try:
            line = lines.get(timeout=5)
        except queue.Empty:
            line = ""
        if line is None:
            break
        if line:
            console.write(line)
            console.flush()
            m = logscan.MARKER.search(line)
            if m and m.group(1) == "BEGIN":
                current = m.group(2)
                deadline = time.time() + timeouts.get(current, 300) + GRACE
                progress(f"  .. {current} started")
            elif m and m.group(1) == "END":
                progress(f"  .. {m.group(2)} exited rc={m.group(3)} after {m.group(4)}s")
                current, deadline = "between tests", time.time() + GRACE
            elif m and m.group(1) == "DONE":
                current, deadline = "shutdown", time.time() + GRACE
        if time.time() > deadline:
            killed = f"killed: no progress during {current}"
            proc.kill()
            break
    return killed


def judge(rundir, mode, plan, tests, killed, allow):
    """Return one result dict per planned run."""
    with open(os.path.join(rundir, "console.log"), encoding="utf-8", errors="replace") as f:
        raw = f.readlines()
    segs, done = logscan.split(raw)
    by_name = {s.name: s for s in segs}
    results, boot_reports = [], []
    for seg in segs:
        if seg.name not in dict(plan):
            boot_reports += [r for r in logscan.scan(seg.lines, allow) if not r.allowed]
    tail = [logscan.strip(x) for x in raw[-15:]]
    for run, name in plan:
        seg = by_name.get(run)
        log = os.path.join(rundir, "logs", run + ".log")
        res = {"test": name, "run": run, "mode": mode, "secs": None, "reports": [], "allowed": []}
        if seg is None:
            res.update(verdict="CRASH" if not done else "FAIL",
                       reason=killed or "never started: the guest died earlier", console_tail=tail)
        elif not seg.ended:
            res.update(verdict="CRASH", reason=killed or "no status came back (guest crashed?)", console_tail=tail)
        else:
            res["secs"] = seg.secs
            if seg.rc == 0:
                res.update(verdict="PASS", reason="")
            elif seg.rc == KSFT_SKIP:
                res.update(verdict="SKIP", reason=skip_reason(log))
            elif seg.rc == 124 or seg.rc == 137:
                res.update(verdict="FAIL", reason=f"timeout after {tests[name]['timeout']}s")
            elif seg.rc == 125:
                res.update(verdict="FAIL", reason="check failed: " + first_line(log, "check "))
            else:
                res.update(verdict="FAIL", reason=f"exit {seg.rc}: " + failure_line(log))
        reports = logscan.scan(seg.lines, allow) if seg else []
        res["reports"] = [r.lines for r in reports if not r.allowed]
        res["allowed"] = [f"{r.title} ({r.allowed})" for r in reports if r.allowed]
        if res["reports"]:
            res.update(verdict="CRASH", reason="kernel report: " + summarize(
                [r.title for r in reports if not r.allowed]))
        known = tests[name]["known"].get(mode) or tests[name]["known"].get("all")
        if known and res["verdict"] in ("FAIL", "SKIP"):
            res["known"] = known
            if res["verdict"] == "FAIL":
                res["verdict"] = "XFAIL"
        results.append(res)
    if boot_reports:
        results.append({"test": "kernel-log", "run": "kernel-log", "mode": mode, "secs": None,
                        "verdict": "CRASH", "reason": "kernel report outside any test: "
                        + summarize([r.title for r in boot_reports]),
                        "reports": [r.lines for r in boot_reports], "allowed": []})
    return results


def read_lines(path):
    """The lines of a file, [] when it cannot be read."""
    try:
        with open(path, encoding="utf-8", errors="replace") as f:
            return f.readlines()
    except OSError:
        return []


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


def line_for(r):
    secs = f"{r['secs']}s" if r["secs"] is not None else "-"
    why = r["reason"]
    if r.get("known"):
        why = f"{why}; known on base: {r['known']}" if why else f"known on base: {r['known']}"
    return f"{r['verdict']:5} {r['run']} [{r['mode']}] ({why + '; ' if why else ''}{secs})"


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--suite", default=None)
    ap.add_argument("--suites", default=SUITES, help="the suite file (default: suites.cfg)")
    ap.add_argument("--test", action="append", help="run only this test (repeatable)")
    ap.add_argument("--modes", default=",".join(MODES))
    ap.add_argument("--flavor", default="debug")
    ap.add_argument("--repeat", type=int, default=1, help="run each test N times in one boot")
    ap.add_argument("--accel", default="auto", choices=["auto", "tcg", "kvm"])
    ap.add_argument("--tcg-threads", default="single", choices=["single", "multi"],
                    help="TCG with all vCPUs of a VM on one host thread (default: QEMU 7.2's "
                    "multi-threaded TCG corrupts nested page tables under this load, see README) "
                    "or one thread per vCPU")
    ap.add_argument("--jobs", type=int, default=len(MODES),
                    help="MMU modes booted at the same time (default: all of them)")
    ap.add_argument("--param", action="append", default=[], help="extra MOD.PARAM=VAL on the kernel command line, checked")
    ap.add_argument("--mem", default="4G")
    ap.add_argument("--smp", type=int, default=2)
    ap.add_argument("--selftests", default=os.path.join(BUILD, "selftests"),
                    help="directory of the selftest programs (default: build/selftests)")
    ap.add_argument("--absent-ok", action="store_true",
                    help="a test whose program or kernel option is missing is skipped, not failed "
                    "(baselines of the base tree, which lacks what the series adds)")
    ap.add_argument("--out", default=None)
    args = ap.parse_args(argv)
    # SIGTERM unwinds like an exception, so that boot() kills its VM.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    try:
        if not args.suite and not args.test:
            raise Error("give --suite NAME or --test NAME")
        if args.repeat < 1:
            raise Error("--repeat must be at least 1")
        if args.jobs < 1:
            raise Error("--jobs must be at least 1")
        modes = args.modes.split(",")
        for m in modes:
            if m not in MODES:
                raise Error(f"unknown mode '{m}' (modes: {', '.join(MODES)})")
        for p in args.param:
            if not re.fullmatch(r"\w+\.\w+=\S+", p):
                raise Error(f"--param {p}: expected MODULE.PARAM=VALUE")
        tests = select(load_suites(args.suites), args.suite, args.test, args.suites)
        kernel = os.path.join(BUILD, f"kernel-{args.flavor}", "arch/x86/boot/bzImage")
        selftests = os.path.abspath(args.selftests)
        if not os.path.exists(kernel):
            raise Error(f"no kernel at {kernel}: run 'make kernel FLAVOR={args.flavor}'")
        accel, accel_args, vendor, why = pick_accel(args.accel, args.tcg_threads)
        allow = logscan.load_allowlist(ALLOWLIST)
    except (Error, ValueError, configparser.Error) as e:
        print(f"vmrun: {e}", file=sys.stderr)
        return 2
    tree = tree_info()    # what is tested: read before the run, the tree may move on
    label = args.suite or "+".join(args.test)
    out = args.out or os.path.join(BUILD, "runs", f"{label}-{args.flavor}")
    print(f"vmrun: {len(tests)} test(s), modes {','.join(modes)}, kernel {args.flavor}, "
          f"accelerator {accel} ({why}); logs in {out}", flush=True)
    env = {"kernel": kernel, "accel_args": accel_args, "vendor": vendor, "selftests": selftests,
           "allow": allow, "out": out}
    with concurrent.futures.ThreadPoolExecutor(max_workers=args.jobs) as pool:
        per_mode = list(pool.map(lambda m: run_mode(m, tests, args, env), modes))
    results = [r for res in per_mode for r in res]
    return report(out, results, args, accel, tree)


def run_mode(mode, tests, args, env):
    """Boot one VM for MODE, run the plan, return the results (printed too)."""
    rundir = os.path.join(env["out"], mode)
    subprocess.run(["rm", "-rf", rundir], check=True)
    os.makedirs(os.path.join(rundir, "logs"))
    selftests = env["selftests"]
    missing = absent(tests, selftests, kernel_options(env["kernel"]))
    plan = write_plan(os.path.join(rundir, "plan"), {n: t for n, t in tests.items() if n not in missing},
                      mode, env["vendor"], selftests, args.repeat, args.param)
    results = [{"test": n, "run": n, "mode": mode, "secs": None, "reports": [], "allowed": [],
                "verdict": "SKIP" if args.absent_ok else "FAIL",
                "reason": ("not in this tree: " if args.absent_ok else "not built: ") + missing[n]}
               for n in tests if n in missing and mode in tests[n]["modes"]]
    if plan:
        print(f"[{mode}] booting, {len(plan)} run(s)", flush=True)
        start = time.time()
        cmd = qemu_command(env["kernel"], rundir, env["accel_args"], mode, args.param, args.mem, args.smp)
        timeouts = [(run, tests[name]["timeout"]) for run, name in plan]
        killed = boot(cmd, rundir, timeouts, lambda s: print(f"[{mode}]{s}", flush=True))
        results += judge(rundir, mode, plan, tests, killed, env["allow"])
        print(f"[{mode}] done in {int(time.time() - start)}s", flush=True)
    text = []
    for r in results:
        text.append(line_for(r))
        for rep in r["reports"][:2]:
            text.append("      | " + "\n      | ".join(rep[:30]))
        if len(r["reports"]) > 2:
            text.append(f"      ({len(r['reports']) - 2} more reports in {rundir}/console.log)")
        if r["verdict"] in ("FAIL", "CRASH") and r.get("console_tail"):
            text.append("      last console lines:\n      | " + "\n      | ".join(r["console_tail"]))
    print("\n".join(text), flush=True)
    return results


def tree_info():
    """The base version and the hash of the series applied in build/linux."""
    def get(key):
        r = subprocess.run(["git", "-C", os.path.join(BUILD, "linux"), "config", "--get", key],
                           capture_output=True, text=True)
        return r.stdout.strip() or "?"
    return get("kvmlts.base"), get("kvmlts.series")


def pass_rates(results):
    """'pass rate: test [mode] k/n' for every test that ran more than once."""
    runs = {}
    for r in results:
        runs.setdefault((r["test"], r["mode"]), []).append(r["verdict"] == "PASS")
    return [f"pass rate: {test} [{mode}] {sum(ok)}/{len(ok)}"
            for (test, mode), ok in runs.items() if len(ok) > 1]


def report(out, results, args, accel, tree):
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
    print("\n".join(lines))
    failed = counts["FAIL"] + counts["CRASH"]
    if not results:
        print("no tests ran")
        failed = 1
    print(f"{counts['PASS']} passed, {failed} failed, {counts['SKIP'] + counts['XFAIL']} skipped")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
