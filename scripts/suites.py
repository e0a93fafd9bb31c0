"""The suite file (suites.cfg) and the plan the guest runs: which tests, in
which MMU mode, with which checks.

The bottom layer of vmrun.py: the other modules (vm, verdict, report) take
MODES, Error and read_lines from here.
"""
import configparser
import re
import os

TOP = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
SUITES = os.path.join(TOP, "suites.cfg")

# MMU modes: extra kernel command line, and module parameters that prove it.
# Both vendors' parameters are given; only the loaded module's apply.
MODES = {
    "tdp": ("", {"svm": ["kvm.tdp_mmu=Y", "kvm_amd.npt=Y"], "vmx": ["kvm.tdp_mmu=Y", "kvm_intel.ept=Y"]}),
    "legacy": ("kvm.tdp_mmu=0", {"svm": ["kvm.tdp_mmu=N", "kvm_amd.npt=Y"], "vmx": ["kvm.tdp_mmu=N", "kvm_intel.ept=Y"]}),
    "shadow": ("kvm_amd.npt=0 kvm_intel.ept=0", {"svm": ["kvm_amd.npt=N"], "vmx": ["kvm_intel.ept=N"]}),
}
FIELDS = {"cmd", "args", "groups", "timeout", "modes", "check", "known", "config", "fail_if",
          "unexcused_if"}


class Error(Exception):
    """A mistake in the arguments or the suite file: vmrun exits 2."""


def read_lines(path):
    """The lines of a file, [] when it cannot be read."""
    try:
        with open(path, encoding="utf-8", errors="replace") as f:
            return f.readlines()
    except OSError:
        return []


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
            if mode.strip() not in list(MODES) + ["all", "tcg"] or not why.strip():
                raise Error(f"{path}: [{name}]: 'known' lines are 'MODE|all|tcg: reason'")
            known[mode.strip()] = why.strip()
        regexes = {f: sec.get(f, "").strip() for f in ("fail_if", "unexcused_if")}
        for field, regex in regexes.items():
            try:
                re.compile(regex)
            except re.error as e:
                raise Error(f"{path}: [{name}]: '{field}' is not a regular expression: {e}")
        tests[name] = {
            "cmd": sec["cmd"],
            "args": sec.get("args", ""),
            "groups": sec["groups"].split(),
            "timeout": int(sec.get("timeout", "300")),
            "modes": modes,
            "check": sec.get("check", "").split(),
            "known": known,
            "config": sec.get("config", "").split(),
            **regexes,
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


def known_reason(test, mode, accel=None):
    """Why TEST fails or skips on the base in MODE ('known' field), or None.
    A 'tcg' line holds only where the accelerator is TCG (ACCEL, as
    vm.pick_accel names it): a failure of the emulator, not of the base."""
    tcg = test["known"].get("tcg") if (accel or "").startswith("tcg") else None
    return test["known"].get(mode) or test["known"].get("all") or tcg


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
