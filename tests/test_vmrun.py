"""Unit tests for scripts/vmrun.py: suites, plans, verdicts, and boot/main with a fake QEMU."""
import argparse
import contextlib
import io
import json
import os
import re
import shutil
import sys
import tempfile
import time
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
TOP = os.path.dirname(HERE)
DATA = os.path.join(HERE, "data")
sys.path.insert(0, os.path.join(TOP, "scripts"))
import logscan  # noqa: E402
import vmrun  # noqa: E402

BOOT = ["Linux version 6.12.117 (builder@kvmlts) #1 SMP PREEMPT_DYNAMIC Fri Nov 21 21:36:12 UTC 2025",
        "smp: Brought up 1 node, 2 CPUs",
        "Run /work/main/scripts/guest-init.sh as init process"]
ASSERTION_LOG = """\
$ /work/main/build/selftests/x86_64/state_test
Random seed: 0x6b8b4567
==== Test Assertion Failure ====
  x86_64/state_test.c:229: uc.args[1] == stage
  pid=245 tid=245 errno=4 - Interrupted system call
     1\t0x0000000000402b0e: main at state_test.c:229
  Stage 3: Unexpected register values vmexit
"""
SKIP_LOG = """\
$ /work/main/build/selftests/pre_fault_memory_test
Random seed: 0x6b8b4567
1..0 # SKIP - Requirement not met: kvm_check_cap(KVM_CAP_PRE_FAULT_MEMORY)
"""


def console(*messages):
    """Console lines: boot messages, then MESSAGES, each with a kernel timestamp."""
    return [f"[{i * 0.25:12.6f}] {m}\n" for i, m in enumerate(BOOT + list(messages))]


def ran(name, rc, secs=5, body=()):
    """The console messages of one test run, between its markers."""
    return [f"kvmlts: BEGIN {name}", *body, f"kvmlts: END {name} rc={rc} secs={secs}"]


def entry(timeout=300, known=None, modes=("tdp", "legacy", "shadow")):
    """A test as load_suites returns it."""
    return {"cmd": "x", "args": "", "groups": ["mmu"], "timeout": timeout, "modes": list(modes),
            "check": [], "known": dict(known or {})}


def plan_of(*names):
    return [(n, n) for n in names]


class Scratch(unittest.TestCase):
    def setUp(self):
        self.dir = tempfile.mkdtemp(prefix="vmrun-test-")
        self.addCleanup(shutil.rmtree, self.dir)

    def path(self, *parts):
        return os.path.join(self.dir, *parts)

    def write(self, name, text):
        with open(self.path(name), "w", encoding="utf-8") as f:
            f.write(text)
        return self.path(name)


class JudgeBase(Scratch):
    def rundir(self, console_lines=None, data=None, logs=None):
        """Fill the scratch run directory: console.log from lines or a data file, logs/<run>.log."""
        os.makedirs(self.path("logs"), exist_ok=True)
        if data:
            shutil.copy(os.path.join(DATA, data), self.path("console.log"))
        else:
            self.write("console.log", "".join(console_lines))
        for run, text in (logs or {}).items():
            self.write(os.path.join("logs", run + ".log"), text)
        return self.dir

    def judge(self, plan, tests, killed=None, allow=None, mode="tdp", **kw):
        return vmrun.judge(self.rundir(**kw), mode, plan, tests, killed, allow or {})

    def verdicts(self, results):
        return [(r["run"], r["verdict"], r["reason"]) for r in results]


class JudgeTest(JudgeBase):
    def test_clean_log_passes(self):
        names = ["set_memory_region_test", "guest_memfd_test"]
        res = self.judge(plan_of(*names), {n: entry() for n in names}, data="clean.log")
        self.assertEqual(self.verdicts(res), [("set_memory_region_test", "PASS", ""), ("guest_memfd_test", "PASS", "")])
        self.assertEqual([r["secs"] for r in res], [41, 3])
        self.assertEqual([r["reports"] for r in res], [[], []])
        self.assertEqual(res[0]["mode"], "tdp")

    def test_exit_4_is_skip_with_the_reason_from_the_log(self):
        res = self.judge(plan_of("pre_fault_memory_test"), {"pre_fault_memory_test": entry()},
                         console_lines=console(*ran("pre_fault_memory_test", 4, 1), "kvmlts: DONE"),
                         logs={"pre_fault_memory_test": SKIP_LOG})
        self.assertEqual(self.verdicts(res), [
            ("pre_fault_memory_test", "SKIP",
             "1..0 # SKIP - Requirement not met: kvm_check_cap(KVM_CAP_PRE_FAULT_MEMORY)")])
        self.assertNotIn("known", res[0])

    def test_skip_reason_from_print_skip(self):
        res = self.judge(plan_of("hyperv_cpuid"), {"hyperv_cpuid": entry()},
                         console_lines=console(*ran("hyperv_cpuid", 4, 1), "kvmlts: DONE"),
                         logs={"hyperv_cpuid": "$ ./x86_64/hyperv_cpuid\n"
                                               "Enlightened VMCS is unsupported, skipping test\n"})
        self.assertEqual(res[0]["reason"], "Enlightened VMCS is unsupported, skipping test")

    def test_skip_reason_falls_back_to_the_last_line(self):
        res = self.judge(plan_of("split"), {"split": entry()},
                         console_lines=console(*ran("split", 4, 1), "kvmlts: DONE"),
                         logs={"split": "$ ./x86_64/dirty_log_page_splitting_test\nRandom seed: 0x1\n"
                                        "HUGETLB is not enabled in /proc/sys/vm/nr_hugepages\n"})
        self.assertEqual(res[0]["reason"], "HUGETLB is not enabled in /proc/sys/vm/nr_hugepages")

    def test_skip_without_log(self):
        res = self.judge(plan_of("t"), {"t": entry()}, console_lines=console(*ran("t", 4), "kvmlts: DONE"))
        self.assertEqual(self.verdicts(res), [("t", "SKIP", "skipped")])

    def test_assertion_failure(self):
        res = self.judge(plan_of("state_test"), {"state_test": entry()},
                         console_lines=console(*ran("state_test", 254, 7), "kvmlts: DONE"),
                         logs={"state_test": ASSERTION_LOG})
        self.assertEqual(self.verdicts(res), [
            ("state_test", "FAIL", "exit 254: ==== Test Assertion Failure ==== | "
             "x86_64/state_test.c:229: uc.args[1] == stage | pid=245 tid=245 errno=4 - Interrupted system call")])
        self.assertEqual(res[0]["secs"], 7)

    def test_failure_without_assertion_uses_last_line(self):
        res = self.judge(plan_of("t"), {"t": entry()}, console_lines=console(*ran("t", 1), "kvmlts: DONE"),
                         logs={"t": "$ ./t\nstarting\nKVM_RUN failed: Bad address\n\n"})
        self.assertEqual(res[0]["reason"], "exit 1: KVM_RUN failed: Bad address")

    def test_failure_without_log(self):
        res = self.judge(plan_of("t"), {"t": entry()}, console_lines=console(*ran("t", 1), "kvmlts: DONE"))
        self.assertEqual(res[0]["reason"], "exit 1: no log")

    def test_timeout(self):
        res = self.judge(plan_of("a", "b"), {"a": entry(timeout=120), "b": entry(timeout=400)},
                         console_lines=console(*ran("a", 124, 120), *ran("b", 137, 410), "kvmlts: DONE"))
        self.assertEqual(self.verdicts(res), [("a", "FAIL", "timeout after 120s"), ("b", "FAIL", "timeout after 400s")])

    def test_failed_parameter_check(self):
        res = self.judge(plan_of("t"), {"t": entry()}, console_lines=console(*ran("t", 125, 0), "kvmlts: DONE"),
                         logs={"t": "$ ./t\ncheck kvm.tdp_mmu=N: is 1\n"})
        self.assertEqual(self.verdicts(res), [("t", "FAIL", "check failed: check kvm.tdp_mmu=N: is 1")])

    def test_lockdep_report_during_a_passing_test_is_a_crash(self):
        names = ["set_memory_region_test", "memslot_modification_stress_test"]
        res = self.judge(plan_of(*names), {n: entry() for n in names}, data="lockdep.log")
        self.assertEqual(self.verdicts(res), [
            ("set_memory_region_test", "PASS", ""),
            ("memslot_modification_stress_test", "CRASH",
             "kernel report: WARNING: possible circular locking dependency detected")])
        self.assertEqual(len(res[1]["reports"]), 1)
        self.assertEqual(res[1]["reports"][0][0], "WARNING: possible circular locking dependency detected")
        self.assertEqual(res[1]["secs"], 67)

    def test_warning_during_a_test_is_a_crash(self):
        res = self.judge(plan_of("access_tracking_perf_test"), {"access_tracking_perf_test": entry()},
                         data="warn.log")
        self.assertEqual(res[0]["verdict"], "CRASH")
        self.assertEqual(res[0]["reason"], "kernel report: WARNING: CPU: 1 PID: 230 at "
                                           "arch/x86/kvm/mmu/mmu.c:1234 kvm_age_rmap+0x5a/0x90")

    def test_crash_is_not_excused_by_known(self):
        names = ["set_memory_region_test", "memslot_modification_stress_test"]
        tests = {n: entry(known={"all": "fails on base"}) for n in names}
        res = self.judge(plan_of(*names), tests, data="lockdep.log")
        self.assertEqual(res[1]["verdict"], "CRASH")
        self.assertNotIn("known", res[1])

    def test_log_that_stops_mid_test(self):
        names = ["set_memory_region_test", "memslot_perf_test"]
        res = self.judge(plan_of(*names), {n: entry() for n in names}, data="truncated.log")
        self.assertEqual(self.verdicts(res), [
            ("set_memory_region_test", "PASS", ""),
            ("memslot_perf_test", "CRASH", "no status came back (guest crashed?)")])
        self.assertIsNone(res[1]["secs"])
        self.assertEqual(res[1]["console_tail"][-1], "hrtimer: interrupt took 4187302 ns")
        self.assertEqual(len(res[1]["console_tail"]), 14)   # the whole (short) log

    def test_killed_vm_gives_the_kill_reason(self):
        names = ["set_memory_region_test", "memslot_perf_test", "dirty_log_test"]
        killed = "killed: no progress during memslot_perf_test"
        res = self.judge(plan_of(*names), {n: entry() for n in names}, killed=killed, data="truncated.log")
        self.assertEqual(self.verdicts(res), [
            ("set_memory_region_test", "PASS", ""),
            ("memslot_perf_test", "CRASH", killed),
            ("dirty_log_test", "CRASH", killed)])

    def test_panic_crashes_the_test_and_the_rest_never_start(self):
        names = ["kvm_page_table_test", "dirty_log_test"]
        res = self.judge(plan_of(*names), {n: entry() for n in names}, data="panic.log")
        self.assertEqual(self.verdicts(res), [
            ("kvm_page_table_test", "CRASH",
             "kernel report: BUG: unable to handle page fault for address: ffffc90000a52008; "
             "Kernel panic - not syncing: Fatal exception"),
            ("dirty_log_test", "CRASH", "never started: the guest died earlier")])
        self.assertEqual(len(res[0]["reports"]), 2)
        self.assertEqual(res[1]["console_tail"][-1], "---[ end Kernel panic - not syncing: Fatal exception ]---")

    def test_planned_test_missing_from_a_complete_log_fails(self):
        res = self.judge(plan_of("a", "b"), {"a": entry(), "b": entry()},
                         console_lines=console(*ran("a", 0), "kvmlts: DONE"))
        self.assertEqual([r["verdict"] for r in res], ["PASS", "FAIL"])

    def test_kcsan_allowlist(self):
        names = ["dirty_log_test", "access_tracking_perf_test"]
        allow = logscan.load_allowlist(os.path.join(DATA, "kcsan-allowlist.txt"))
        res = self.judge(plan_of(*names), {n: entry() for n in names}, allow=allow, data="kcsan.log")
        self.assertEqual(self.verdicts(res), [
            ("dirty_log_test", "PASS", ""),
            ("access_tracking_perf_test", "CRASH",
             "kernel report: BUG: KCSAN: data-race in kvm_age_rmap / mmu_spte_clear_track_bits")])
        self.assertEqual(res[0]["allowed"], [
            "BUG: KCSAN: data-race in kvm_arch_vcpu_ioctl_run / kvm_vcpu_kick "
            "(vcpu->mode is read locklessly by design, base 6.12.117)"])
        self.assertEqual(res[0]["reports"], [])
        self.assertEqual(res[1]["allowed"], [])

    def test_kcsan_without_allowlist_crashes_both(self):
        names = ["dirty_log_test", "access_tracking_perf_test"]
        res = self.judge(plan_of(*names), {n: entry() for n in names}, data="kcsan.log")
        self.assertEqual([r["verdict"] for r in res], ["CRASH", "CRASH"])

    def test_known_failure_is_xfail(self):
        tests = {"state_test": entry(known={"shadow": "nested state differs with shadow paging"})}
        res = self.judge(plan_of("state_test"), tests, mode="shadow",
                         console_lines=console(*ran("state_test", 254), "kvmlts: DONE"),
                         logs={"state_test": ASSERTION_LOG})
        self.assertEqual(res[0]["verdict"], "XFAIL")
        self.assertEqual(res[0]["known"], "nested state differs with shadow paging")
        self.assertTrue(res[0]["reason"].startswith("exit 254: ==== Test Assertion Failure ===="))

    def test_known_for_another_mode_does_not_apply(self):
        tests = {"state_test": entry(known={"shadow": "nested state differs with shadow paging"})}
        res = self.judge(plan_of("state_test"), tests, mode="tdp",
                         console_lines=console(*ran("state_test", 254), "kvmlts: DONE"))
        self.assertEqual(res[0]["verdict"], "FAIL")
        self.assertNotIn("known", res[0])

    def test_known_all_and_mode_specific_wins(self):
        tests = {"t": entry(known={"all": "generic", "legacy": "specific"})}
        lines = console(*ran("t", 1), "kvmlts: DONE")
        self.assertEqual(self.judge(plan_of("t"), tests, mode="legacy", console_lines=lines)[0]["known"], "specific")
        self.assertEqual(self.judge(plan_of("t"), tests, mode="tdp", console_lines=lines)[0]["known"], "generic")

    def test_known_skip_stays_skip(self):
        tests = {"t": entry(known={"all": "needs a newer QEMU"})}
        res = self.judge(plan_of("t"), tests, console_lines=console(*ran("t", 4), "kvmlts: DONE"))
        self.assertEqual((res[0]["verdict"], res[0]["known"]), ("SKIP", "needs a newer QEMU"))

    def test_report_outside_tests_adds_a_kernel_log_crash(self):
        lines = console("INFO: task kworker/u4:2:45 blocked for more than 122 seconds.",
                        *ran("t", 0), "kvmlts: DONE")
        res = self.judge(plan_of("t"), {"t": entry()}, console_lines=lines)
        self.assertEqual(self.verdicts(res), [
            ("t", "PASS", ""),
            ("kernel-log", "CRASH", "kernel report outside any test: "
             "INFO: task kworker/u4:2:45 blocked for more than 122 seconds.")])
        self.assertEqual(res[1]["mode"], "tdp")

    def test_report_between_tests_is_not_blamed_on_a_test(self):
        lines = console(*ran("a", 0), "watchdog: BUG: soft lockup - CPU#1 stuck for 22s! [kworker/1:1:33]",
                        *ran("b", 0), "kvmlts: DONE")
        res = self.judge(plan_of("a", "b"), {"a": entry(), "b": entry()}, console_lines=lines)
        self.assertEqual([(r["run"], r["verdict"]) for r in res], [("a", "PASS"), ("b", "PASS"), ("kernel-log", "CRASH")])

    def test_repeated_runs(self):
        plan = [("t#1", "t"), ("t#2", "t")]
        lines = console(*ran("t#1", 0, 3), *ran("t#2", 1, 4), "kvmlts: DONE")
        res = self.judge(plan, {"t": entry()}, console_lines=lines, logs={"t#2": "$ ./t\nGuest assert failed\n"})
        self.assertEqual([(r["test"], r["run"], r["verdict"], r["secs"]) for r in res],
                         [("t", "t#1", "PASS", 3), ("t", "t#2", "FAIL", 4)])
        self.assertEqual(res[1]["reason"], "exit 1: Guest assert failed")


class LineForTest(unittest.TestCase):
    def test_pass(self):
        r = {"verdict": "PASS", "run": "guest_memfd_test", "mode": "tdp", "reason": "", "secs": 3}
        self.assertEqual(vmrun.line_for(r), "PASS  guest_memfd_test [tdp] (3s)")

    def test_fail_with_reason(self):
        r = {"verdict": "FAIL", "run": "t", "mode": "legacy", "reason": "timeout after 120s", "secs": 120}
        self.assertEqual(vmrun.line_for(r), "FAIL  t [legacy] (timeout after 120s; 120s)")

    def test_crash_without_time(self):
        r = {"verdict": "CRASH", "run": "t", "mode": "shadow", "reason": "no status came back (guest crashed?)",
             "secs": None}
        self.assertEqual(vmrun.line_for(r), "CRASH t [shadow] (no status came back (guest crashed?); -)")

    def test_known(self):
        r = {"verdict": "XFAIL", "run": "t", "mode": "tdp", "reason": "exit 1: boom", "secs": 2, "known": "base bug"}
        self.assertEqual(vmrun.line_for(r), "XFAIL t [tdp] (exit 1: boom; known on base: base bug; 2s)")
        r.update(verdict="SKIP", reason="")
        self.assertEqual(vmrun.line_for(r), "SKIP  t [tdp] (known on base: base bug; 2s)")


class LoadSuitesTest(Scratch):
    def load(self, text):
        return vmrun.load_suites(self.write("suites.cfg", text))

    def test_defaults(self):
        tests = self.load("# comment\n[guest_memfd_test]\ncmd = guest_memfd_test\ngroups = smoke mmu full\n")
        self.assertEqual(tests, {"guest_memfd_test": {
            "cmd": "guest_memfd_test", "args": "", "groups": ["smoke", "mmu", "full"], "timeout": 300,
            "modes": ["tdp", "legacy", "shadow"], "check": [], "known": {}, "config": []}})

    def test_all_fields(self):
        tests = self.load("""\
[access_tracking_perf_test]
cmd = access_tracking_perf_test
args = -b 16M -v 2
groups = smoke mmu full demo
timeout = 400
modes = legacy shadow
check = kvm.lockless_aging=1 kvm.nx_huge_pages=0
known = shadow: idle page tracking is slow: times out
    legacy: see https://lore.kernel.org/kvm/x: y
""")
        t = tests["access_tracking_perf_test"]
        self.assertEqual(t["args"], "-b 16M -v 2")
        self.assertEqual(t["timeout"], 400)
        self.assertEqual(t["modes"], ["legacy", "shadow"])
        self.assertEqual(t["check"], ["kvm.lockless_aging=1", "kvm.nx_huge_pages=0"])
        self.assertEqual(t["known"], {"shadow": "idle page tracking is slow: times out",
                                      "legacy": "see https://lore.kernel.org/kvm/x: y"})

    def test_keeps_file_order_and_case(self):
        tests = self.load("[b_Test]\ncmd = b\ngroups = g\n\n[a_test]\ncmd = /bin/true\ngroups = g\n")
        self.assertEqual(list(tests), ["b_Test", "a_test"])

    def test_unknown_field(self):
        with self.assertRaisesRegex(vmrun.Error, r"\[t\]: unknown field\(s\) group, timout"):
            self.load("[t]\ncmd = x\ngroups = g\ngroup = g\ntimout = 3\n")

    def test_missing_cmd_or_groups(self):
        for text in ("[t]\ngroups = g\n", "[t]\ncmd = x\n"):
            with self.subTest(text=text), self.assertRaisesRegex(vmrun.Error, r"\[t\] needs 'cmd' and 'groups'"):
                self.load(text)

    def test_unknown_mode(self):
        with self.assertRaisesRegex(vmrun.Error, r"\[t\]: unknown mode 'ept'"):
            self.load("[t]\ncmd = x\ngroups = g\nmodes = tdp ept\n")

    def test_bad_known_lines(self):
        for known in ("tdp fails", "all:", "npt: fails", "tdp: ok\n    just a sentence"):
            with self.subTest(known=known), self.assertRaisesRegex(vmrun.Error, re.escape("'known' lines are 'MODE|all: reason'")):
                self.load(f"[t]\ncmd = x\ngroups = g\nknown = {known}\n")

    def test_real_suites_cfg(self):
        tests = vmrun.load_suites(os.path.join(TOP, "suites.cfg"))
        self.assertGreater(len(tests), 0)
        used = {g for t in tests.values() for g in t["groups"]}
        self.assertLessEqual(used, {"smoke", "mmu", "full", "demo", "aging", "base"})
        for name, t in tests.items():
            with self.subTest(test=name):
                self.assertTrue(t["groups"], "every test is in some group")
                self.assertTrue(t["modes"], "every test runs in some mode")


class ProgramTest(unittest.TestCase):
    def test_selftest_script_and_absolute_paths(self):
        self.assertEqual(vmrun.program({"cmd": "x86_64/state_test"}, "/st"), "/st/x86_64/state_test")
        self.assertEqual(vmrun.program({"cmd": "/bin/true"}, "/st"), "/bin/true")
        self.assertEqual(vmrun.program({"cmd": "scripts/kunit-run.sh"}, "/st"),
                         os.path.join(TOP, "scripts", "kunit-run.sh"))


class SummarizeTest(unittest.TestCase):
    def test_distinct_titles_capped_with_count(self):
        titles = ["WARNING: a", "WARNING: b", "WARNING: a", "BUG: c", "BUG: d"]
        self.assertEqual(vmrun.summarize(titles), "WARNING: a; WARNING: b; BUG: c; ... (1 more kinds) [5 reports]")
        self.assertEqual(vmrun.summarize(["WARNING: a"]), "WARNING: a")


class PassRateTest(unittest.TestCase):
    def test_repeated_runs_give_a_rate(self):
        results = [{"test": "t", "mode": "tdp", "verdict": v} for v in ("PASS", "FAIL", "PASS")]
        results.append({"test": "u", "mode": "tdp", "verdict": "PASS"})
        results.append({"test": "t", "mode": "shadow", "verdict": "CRASH"})
        results.append({"test": "t", "mode": "shadow", "verdict": "CRASH"})
        self.assertEqual(vmrun.pass_rates(results),
                         ["pass rate: t [tdp] 2/3", "pass rate: t [shadow] 0/2"])


class SelectTest(unittest.TestCase):
    TESTS = {"a": {"groups": ["smoke", "mmu"]}, "b": {"groups": ["mmu"]}, "c": {"groups": ["full"]}}

    def test_by_suite_keeps_order(self):
        self.assertEqual(list(vmrun.select(self.TESTS, "mmu")), ["a", "b"])
        self.assertEqual(list(vmrun.select(self.TESTS, "smoke")), ["a"])

    def test_by_names(self):
        self.assertEqual(list(vmrun.select(self.TESTS, None, ["c", "a"])), ["c", "a"])

    def test_several_suites(self):
        self.assertEqual(list(vmrun.select(self.TESTS, "smoke,full")), ["a", "c"])
        with self.assertRaisesRegex(vmrun.Error, r"suite 'demo' has no tests"):
            vmrun.select(self.TESTS, "mmu,demo")

    def test_unknown_name(self):
        with self.assertRaisesRegex(vmrun.Error, "no test named x, y"):
            vmrun.select(self.TESTS, None, ["a", "x", "y"])

    def test_empty_suite(self):
        with self.assertRaisesRegex(vmrun.Error, r"suite 'demo' has no tests \(suites: full, mmu, smoke\)"):
            vmrun.select(self.TESTS, "demo")


class WritePlanTest(Scratch):
    def test_plan_lines(self):
        tests = {
            "state_test": dict(entry(timeout=120), cmd="x86_64/state_test"),
            "tdp_only": dict(entry(modes=["tdp"]), cmd="/usr/bin/true", args="-v", check=["kvm.lockless_aging=1"]),
        }
        plan = vmrun.write_plan(self.path("plan"), tests, "tdp", "svm", "/sel", 1, ["kvm.eager_page_split=0"])
        self.assertEqual(plan, [("state_test", "state_test"), ("tdp_only", "tdp_only")])
        with open(self.path("plan"), encoding="utf-8") as f:
            self.assertEqual(f.read().splitlines(), [
                "state_test 120 kvm.tdp_mmu=Y,kvm_amd.npt=Y,kvm.eager_page_split=0 /sel/x86_64/state_test",
                "tdp_only 300 kvm.tdp_mmu=Y,kvm_amd.npt=Y,kvm.lockless_aging=1,kvm.eager_page_split=0 /usr/bin/true -v",
            ])

    def test_mode_filter_and_repeat(self):
        tests = {"a": dict(entry(), cmd="a"), "b": dict(entry(modes=["tdp"]), cmd="b")}
        plan = vmrun.write_plan(self.path("plan"), tests, "shadow", "vmx", "/sel", 2, [])
        self.assertEqual(plan, [("a#1", "a"), ("a#2", "a")])
        with open(self.path("plan"), encoding="utf-8") as f:
            self.assertEqual(f.read(), "a#1 300 kvm_intel.ept=N /sel/a\na#2 300 kvm_intel.ept=N /sel/a\n")

    def test_no_test_in_mode(self):
        plan = vmrun.write_plan(self.path("plan"), {"b": dict(entry(modes=["tdp"]), cmd="b")},
                                "legacy", "svm", "/sel", 1, [])
        self.assertEqual(plan, [])
        self.assertEqual(os.path.getsize(self.path("plan")), 0)


class BootTest(Scratch):
    """boot() with a stand-in for QEMU: a Python child that prints a console log."""

    def fake_guest(self, script):
        return [sys.executable, "-c", "import time\n" + script]

    def test_copies_console_and_follows_markers(self):
        script = ("for m in ['Linux version 6.12.117', 'kvmlts: BEGIN t', 'kvmlts: END t rc=0 secs=1',"
                  " 'kvmlts: DONE']:\n    print('[    1.000000] ' + m, flush=True)\n")
        progress = []
        killed = vmrun.boot(self.fake_guest(script), self.dir, [("t", 120)], progress.append)
        self.assertIsNone(killed)
        self.assertEqual(progress, ["  .. t started", "  .. t exited rc=0 after 1s"])
        with open(self.path("console.log"), encoding="utf-8") as f:
            self.assertEqual(f.read().splitlines()[1:], ["[    1.000000] kvmlts: BEGIN t",
                                                         "[    1.000000] kvmlts: END t rc=0 secs=1",
                                                         "[    1.000000] kvmlts: DONE"])
        with open(self.path("qemu.log"), encoding="utf-8") as f:
            self.assertTrue(f.read().startswith("$ "))

    def test_kills_a_test_that_overruns_its_timeout(self):
        self.addCleanup(setattr, vmrun, "GRACE", vmrun.GRACE)
        vmrun.GRACE = 0
        script = ("print('[    1.000000] kvmlts: BEGIN t', flush=True)\n"
                  "for i in range(200):\n    print('[    2.000000] still busy', flush=True)\n    time.sleep(0.05)\n")
        start = time.time()
        killed = vmrun.boot(self.fake_guest(script), self.dir, [("t", 1)], lambda s: None)
        self.assertEqual(killed, "killed: no progress during t")
        self.assertLess(time.time() - start, 8, "the test's own timeout (1 s), not the default, applies")


FAKE_QEMU = """\
import os, sys
# Stands in for qemu-system-x86_64 + scripts/guest-init.sh: runs the plan, prints the markers.
rundir = next(a.split("path=")[1].split(",")[0] for a in sys.argv if a.startswith("local,id=run,"))
print("[    0.000000] Linux version 6.12.117 (fake)", flush=True)
with open(os.path.join(rundir, "plan")) as plan:
    for n, line in enumerate(plan):
        name = line.split()[0]
        print(f"[    1.{n:06d}] kvmlts: BEGIN {name}", flush=True)
        with open(os.path.join(rundir, "logs", name + ".log"), "w") as log:
            log.write("$ " + " ".join(line.split()[3:]) + "\\n")
        print(f"[    2.{n:06d}] kvmlts: END {name} rc=0 secs=1", flush=True)
print("[    3.000000] kvmlts: DONE", flush=True)
"""


class MainTest(Scratch):
    """main() end to end, with a fake QEMU on PATH and a dummy kernel image."""

    def setUp(self):
        super().setUp()
        bindir = self.path("bin")
        os.makedirs(bindir)
        with open(os.path.join(bindir, "qemu-system-x86_64"), "w") as f:
            f.write(f"#!{sys.executable}\n" + FAKE_QEMU)
        os.chmod(os.path.join(bindir, "qemu-system-x86_64"), 0o755)
        kernel = self.path("build", "kernel-debug", "arch", "x86", "boot")
        os.makedirs(kernel)
        open(os.path.join(kernel, "bzImage"), "w").close()
        os.makedirs(self.path("build", "selftests"))
        open(self.path("build", "selftests", "guest_memfd_test"), "w").close()
        self.addCleanup(os.environ.__setitem__, "PATH", os.environ["PATH"])
        os.environ["PATH"] = bindir + os.pathsep + os.environ["PATH"]
        self.patch(vmrun, "BUILD", self.path("build"))
        self.patch(vmrun, "ALLOWLIST", os.path.join(DATA, "kcsan-allowlist.txt"))

    def patch(self, module, name, value):
        self.addCleanup(setattr, module, name, getattr(module, name))
        setattr(module, name, value)

    def run_main(self, *argv):
        out = io.StringIO()
        with contextlib.redirect_stdout(out):
            rc = vmrun.main(list(argv) + ["--accel", "tcg", "--out", self.path("out")])
        return rc, out.getvalue().splitlines()

    def test_a_program_that_was_not_built_fails(self):
        os.remove(self.path("build", "selftests", "guest_memfd_test"))
        rc, lines = self.run_main("--test", "guest_memfd_test", "--modes", "tdp")
        self.assertEqual(rc, 1)
        self.assertIn("FAIL  guest_memfd_test [tdp] (not built: program "
                      + self.path("build", "selftests", "guest_memfd_test") + "; -)", lines)
        self.assertEqual(lines[-1], "0 passed, 1 failed, 0 skipped")

    def test_absent_ok_skips_a_program_the_tree_lacks(self):
        os.remove(self.path("build", "selftests", "guest_memfd_test"))
        rc, lines = self.run_main("--test", "guest_memfd_test", "--modes", "tdp", "--absent-ok")
        self.assertEqual(rc, 0)
        self.assertTrue(any(x.startswith("SKIP  guest_memfd_test [tdp] (not in this tree: ") for x in lines))
        self.assertEqual(lines[-1], "0 passed, 0 failed, 1 skipped")

    def write_suites(self, text):
        path = self.path("suites.cfg")
        with open(path, "w", encoding="utf-8") as f:
            f.write(text)
        return path

    def test_a_test_whose_kernel_option_is_not_set(self):
        with open(self.path("build", "kernel-debug", ".config"), "w", encoding="utf-8") as f:
            f.write("CONFIG_KUNIT=y\n# CONFIG_KVM_MMU_RMAP_KUNIT_TEST is not set\n")
        suites = self.write_suites("[kunit]\ncmd = guest_memfd_test\ngroups = g\n"
                                   "config = CONFIG_KUNIT CONFIG_KVM_MMU_RMAP_KUNIT_TEST\n")
        rc, lines = self.run_main("--suites", suites, "--suite", "g", "--modes", "tdp")
        self.assertEqual(rc, 1)
        self.assertIn("FAIL  kunit [tdp] (not built: kernel without CONFIG_KVM_MMU_RMAP_KUNIT_TEST; -)",
                      lines)
        rc, lines = self.run_main("--suites", suites, "--suite", "g", "--modes", "tdp", "--absent-ok")
        self.assertEqual(rc, 0)
        self.assertIn("SKIP  kunit [tdp] (not in this tree: kernel without "
                      "CONFIG_KVM_MMU_RMAP_KUNIT_TEST; -)", lines)
        with open(self.path("build", "kernel-debug", ".config"), "a", encoding="utf-8") as f:
            f.write("CONFIG_KVM_MMU_RMAP_KUNIT_TEST=y\n")
        rc, lines = self.run_main("--suites", suites, "--suite", "g", "--modes", "tdp")
        self.assertEqual(lines[-1], "1 passed, 0 failed, 0 skipped")

    def test_runs_a_test_in_two_modes(self):
        out = io.StringIO()
        with contextlib.redirect_stdout(out):
            rc = vmrun.main(["--test", "guest_memfd_test", "--modes", "tdp,shadow", "--accel", "tcg",
                             "--out", self.path("out")])
        self.assertEqual(rc, 0, out.getvalue())
        self.assertEqual(out.getvalue().splitlines()[-1], "2 passed, 0 failed, 0 skipped")
        with open(self.path("out", "shadow", "plan"), encoding="utf-8") as f:
            self.assertEqual(f.read().split()[:3], ["guest_memfd_test", "120", "kvm_amd.npt=N"])
        with open(self.path("out", "results.json"), encoding="utf-8") as f:
            results = json.load(f)["results"]
        self.assertEqual([(r["run"], r["mode"], r["verdict"]) for r in results],
                         [("guest_memfd_test", "tdp", "PASS"), ("guest_memfd_test", "shadow", "PASS")])

    def test_bad_arguments(self):
        err = io.StringIO()
        with contextlib.redirect_stderr(err):
            self.assertEqual(vmrun.main(["--test", "guest_memfd_test", "--modes", "ept"]), 2)
            self.assertEqual(vmrun.main(["--test", "no_such_test"]), 2)
            self.assertEqual(vmrun.main(["--suite", "mmu", "--param", "tdp_mmu=0"]), 2)
        self.assertEqual(err.getvalue().splitlines(), [
            "vmrun: unknown mode 'ept' (modes: tdp, legacy, shadow)",
            f"vmrun: no test named no_such_test in {vmrun.SUITES}",
            "vmrun: --param tdp_mmu=0: expected MODULE.PARAM=VALUE"])


class ReportTest(Scratch):
    def test_count_line_counts_xfail_as_skipped(self):
        results = [
            {"test": "a", "run": "a", "mode": "tdp", "secs": 1, "verdict": "PASS", "reason": ""},
            {"test": "b", "run": "b", "mode": "tdp", "secs": 1, "verdict": "XFAIL", "reason": "x", "known": "k"},
            {"test": "c", "run": "c", "mode": "tdp", "secs": 1, "verdict": "SKIP", "reason": "s"},
            {"test": "d", "run": "d", "mode": "shadow", "secs": None, "verdict": "CRASH", "reason": "r"},
            {"test": "e", "run": "e", "mode": "shadow", "secs": 9, "verdict": "FAIL", "reason": "f"},
        ]
        args = argparse.Namespace(flavor="debug", param=[])
        out = io.StringIO()
        with contextlib.redirect_stdout(out):
            rc = vmrun.report(self.dir, results, args, "tcg", ("6.12.117-1~deb12u1", "abc123"))
        self.assertEqual(rc, 1)
        self.assertEqual(out.getvalue().splitlines()[-1], "1 passed, 2 failed, 2 skipped")
        with open(self.path("summary.txt"), encoding="utf-8") as f:
            self.assertIn("CRASH d [shadow] (r; -)", f.read())

    def test_all_passing_returns_0(self):
        results = [{"test": "a", "run": "a", "mode": "tdp", "secs": 1, "verdict": "PASS", "reason": ""}]
        out = io.StringIO()
        with contextlib.redirect_stdout(out):
            rc = vmrun.report(self.dir, results, argparse.Namespace(flavor="debug", param=[]), "kvm", ("6.12.117-1~deb12u1", "abc123"))
        self.assertEqual((rc, out.getvalue().splitlines()[-1]), (0, "1 passed, 0 failed, 0 skipped"))


if __name__ == "__main__":
    unittest.main()
