#!/usr/bin/env python3
"""Boot the built kernel in QEMU and run a suite of KVM selftests in it.

usage: vmrun.py [--suite NAME | --test NAME] [--modes tdp,legacy,shadow]
                [--flavor debug] [--repeat N] [--accel auto|tcg|kvm]
                [--param MOD.PARAM=VAL ...] [--strict-skips | --absent-ok]
                [--out DIR]

One boot per MMU mode.  The guest sees the host's root filesystem read-only
(9p) and the run directory read-write; scripts/guest-init.sh runs the plan.
Each test gets a verdict from its exit status and from the kernel log printed
while it ran (scripts/logscan.py), worst first:
    CRASH > FAIL > PASS > XFAIL > SKIP
A mode whose guest has no SVM/VMX or no /dev/kvm also gets a FAIL named
guest-setup: every test needs KVM, and a run of skips alone is not a pass.
With --strict-skips, a skip that the suite file does not expect ('known')
fails.
Writes DIR/<mode>/{console.log,plan,results,logs/}, DIR/results.json and
DIR/summary.txt; the last line printed is "N passed, N failed, N skipped".

This file is the command line; the work is done by
    suites.py   the suite file, test selection, the plan the guest runs
    vm.py       accelerator, QEMU command line, boot and watchdog
    verdict.py  the verdict of every run, with its reason
    report.py   results.json, summary.txt and the closing line
"""
import argparse
import concurrent.futures
import configparser
import os
import re
import signal
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import logscan  # noqa: E402
import report  # noqa: E402
import suites  # noqa: E402
import verdict  # noqa: E402
import vm  # noqa: E402
from suites import MODES, Error  # noqa: E402

TOP = suites.TOP
BUILD = os.environ.get("BUILD", os.path.join(TOP, "build"))
ALLOWLIST = os.path.join(TOP, "kcsan-allowlist.txt")


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--suite", default=None)
    ap.add_argument("--suites", default=suites.SUITES, help="the suite file (default: suites.cfg)")
    ap.add_argument("--test", action="append", help="run only this test (repeatable)")
    ap.add_argument("--modes", default=",".join(MODES))
    ap.add_argument("--flavor", default="debug")
    ap.add_argument("--repeat", type=int, default=1, help="run each test N times in one boot")
    ap.add_argument("--accel", default="auto", choices=["auto", "tcg", "kvm"])
    ap.add_argument("--tcg-threads", default="single", choices=["single", "multi"],
                    help="TCG with all vCPUs of a VM on one host thread (default: with one thread "
                    "per vCPU, the race tests fail in the NPT modes on the base kernel too; "
                    "results/mttcg-rates.txt) or one thread per vCPU")
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
    ap.add_argument("--strict-skips", action="store_true",
                    help="a skip without a 'known' reason for its mode in the suite file fails "
                    "(make check: what skips is not tested)")
    ap.add_argument("--out", default=None)
    args = ap.parse_args(argv)
    # Ctrl-C too: the VMs of the pool threads must not outlive the runner.
    signal.signal(signal.SIGTERM, on_sigterm)
    signal.signal(signal.SIGINT, on_sigterm)
    try:
        if not args.suite and not args.test:
            raise Error("give --suite NAME or --test NAME")
        if args.repeat < 1:
            raise Error("--repeat must be at least 1")
        if args.jobs < 1:
            raise Error("--jobs must be at least 1")
        if args.strict_skips and args.absent_ok:
            # --absent-ok makes baselines, where skips are the point.
            raise Error("--strict-skips and --absent-ok do not go together")
        modes = args.modes.split(",")
        for m in modes:
            if m not in MODES:
                raise Error(f"unknown mode '{m}' (modes: {', '.join(MODES)})")
        for p in args.param:
            if not re.fullmatch(r"\w+\.\w+=\S+", p):
                raise Error(f"--param {p}: expected MODULE.PARAM=VALUE")
        tests = suites.select(suites.load_suites(args.suites), args.suite, args.test, args.suites)
        kernel = os.path.join(BUILD, f"kernel-{args.flavor}", "arch/x86/boot/bzImage")
        selftests = os.path.abspath(args.selftests)
        if not os.path.exists(kernel):
            raise Error(f"no kernel at {kernel}: run 'make kernel FLAVOR={args.flavor}'")
        accel, accel_args, vendor, why = vm.pick_accel(args.accel, args.tcg_threads)
        allow = logscan.load_allowlist(ALLOWLIST)
        kvm = logscan.kvm_functions(os.path.join(BUILD, f"kernel-{args.flavor}"))
    except (Error, ValueError, configparser.Error) as e:
        print(f"vmrun: {e}", file=sys.stderr)
        return 2
    tree = tree_info()    # what is tested: read before the run, the tree may move on
    label = args.suite or "+".join(args.test)
    out = args.out or os.path.join(BUILD, "runs", f"{label}-{args.flavor}")
    print(f"vmrun: {len(tests)} test(s), modes {','.join(modes)}, kernel {args.flavor}, "
          f"accelerator {accel} ({why}); logs in {out}", flush=True)
    env = {"kernel": kernel, "accel": accel, "accel_args": accel_args, "vendor": vendor,
           "selftests": selftests, "allow": allow, "kvm": kvm, "out": out}
    with concurrent.futures.ThreadPoolExecutor(max_workers=args.jobs) as pool:
        per_mode = list(pool.map(lambda m: run_mode(m, tests, args, env), modes))
    results = [r for res in per_mode for r in res]
    return report.report(out, results, args, accel, tree)


def on_sigterm(signum, frame):
    """Kill the VMs, then exit 128 + the signal (143 for SIGTERM).  The handler runs in the
    main thread, which waits in pool.map: sys.exit alone unwinds only that
    thread, and the pool would wait for the worker threads, which wait for
    their VMs to finish."""
    vm.kill_all()
    sys.exit(128 + signum)


def run_mode(mode, tests, args, env):
    """Boot one VM for MODE, run the plan, return the results (printed too)."""
    rundir = os.path.join(env["out"], mode)
    subprocess.run(["rm", "-rf", rundir], check=True)
    os.makedirs(os.path.join(rundir, "logs"))
    selftests = env["selftests"]
    # The directory of the selftests, for the scripts that run one
    # (KVMLTS_SELFTESTS in the guest, see guest-init.sh).
    with open(os.path.join(rundir, "selftests"), "w", encoding="utf-8") as f:
        f.write(selftests + "\n")
    # The kernel the VM boots, for a nested guest (KVMLTS_KERNEL).
    with open(os.path.join(rundir, "kernel"), "w", encoding="utf-8") as f:
        f.write(env["kernel"] + "\n")
    missing = suites.absent(tests, selftests, suites.kernel_options(env["kernel"]))
    plan = suites.write_plan(os.path.join(rundir, "plan"), {n: t for n, t in tests.items() if n not in missing},
                             mode, env["vendor"], selftests, args.repeat, args.param)
    results = [{"test": n, "run": n, "mode": mode, "secs": None, "reports": [], "allowed": [],
                "verdict": "SKIP" if args.absent_ok else "FAIL",
                "reason": ("not in this tree: " if args.absent_ok else "not built: ") + missing[n]}
               for n in tests if n in missing and mode in tests[n]["modes"]]
    if plan:
        print(f"[{mode}] booting, {len(plan)} run(s)", flush=True)
        start = time.time()
        cmd = vm.qemu_command(env["kernel"], rundir, env["accel_args"], mode, args.param, args.mem, args.smp)
        timeouts = [(run, tests[name]["timeout"]) for run, name in plan]
        killed = vm.boot(cmd, rundir, timeouts, lambda s: print(f"[{mode}]{s}", flush=True))
        judged = verdict.judge(rundir, mode, plan, tests, killed, env["allow"], args.strict_skips,
                               env["kvm"], env["accel"])
        # A guest without KVM fails the mode, first: it is why its tests skip.
        setup = verdict.guest_setup(rundir, mode)
        results += ([setup] if setup else []) + judged
        print(f"[{mode}] done in {int(time.time() - start)}s", flush=True)
    print(report.mode_text(results, rundir), flush=True)
    return results


def tree_info():
    """The base version and the hash of the series applied in build/linux."""
    def get(key):
        r = subprocess.run(["git", "-C", os.path.join(BUILD, "linux"), "config", "--get", key],
                           capture_output=True, text=True)
        return r.stdout.strip() or "?"
    return get("kvmlts.base"), get("kvmlts.series")


if __name__ == "__main__":
    sys.exit(main())
