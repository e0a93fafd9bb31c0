"""Unit tests for scripts/verdict.py: verdicts from console logs and test logs."""
import os
import shutil
import sys
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
TOP = os.path.dirname(HERE)
DATA = os.path.join(HERE, "data")
sys.path.insert(0, os.path.join(TOP, "scripts"))
sys.path.insert(0, TOP)
import logscan  # noqa: E402
import verdict  # noqa: E402
from tests.test_suites import Scratch, entry  # noqa: E402

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


def plan_of(*names):
    return [(n, n) for n in names]


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

    def judge(self, plan, tests, killed=None, allow=None, mode="tdp", strict_skips=False, **kw):
        return verdict.judge(self.rundir(**kw), mode, plan, tests, killed, allow or {}, strict_skips)

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

    def test_fail_if_turns_a_warning_into_a_failure(self):
        """access_tracking_perf_test exits 0 when the pages it touched still
        read back idle; its 'fail_if' line makes that a failure."""
        t = dict(entry(), fail_if="^WARNING: vCPU[0-9]+: Too many pages still idle")
        log = ("$ ./access_tracking_perf_test -b 16M -v 2\n"
               "WARNING: vCPU1: Too many pages still idle (4088 out of 4096), this will affect performance results.\n")
        res = self.judge(plan_of("access_tracking_perf_test"), {"access_tracking_perf_test": t},
                         console_lines=console(*ran("access_tracking_perf_test", 0, 9), "kvmlts: DONE"),
                         logs={"access_tracking_perf_test": log})
        self.assertEqual(res[0]["verdict"], "FAIL")
        self.assertIn("Too many pages still idle (4088 out of 4096)", res[0]["reason"])
        clean = self.judge(plan_of("access_tracking_perf_test"), {"access_tracking_perf_test": t},
                           console_lines=console(*ran("access_tracking_perf_test", 0, 9), "kvmlts: DONE"),
                           logs={"access_tracking_perf_test": "$ ./access_tracking_perf_test\nok\n"})
        self.assertEqual(clean[0]["verdict"], "PASS")

    def test_unexcused_if_keeps_a_known_failure_a_failure(self):
        """nested_guest's known failure is the emulator killing the nested
        guest; a wrong word in its memory is never that, and stays a FAIL."""
        t = dict(entry(), known={"all": "the emulator kills the nested guest"},
                 unexcused_if="^memverify: bad ")
        runs = console(*ran("nested_guest", 1, 9), "kvmlts: DONE")
        crashed = self.judge(plan_of("nested_guest"), {"nested_guest": t}, console_lines=runs,
                             logs={"nested_guest": "$ nested-guest.sh\nnested-guest: FAIL: x\n"})
        self.assertEqual(crashed[0]["verdict"], "XFAIL")
        corrupt = self.judge(plan_of("nested_guest"), {"nested_guest": t}, console_lines=runs,
                             logs={"nested_guest": "$ nested-guest.sh\nmemverify: bad pass=1 word=7 "
                                                   "want=1 got=2\nnested-guest: FAIL: x\n"})
        self.assertEqual(corrupt[0]["verdict"], "FAIL")
        self.assertIn("not the known failure: memverify: bad pass=1 word=7", corrupt[0]["reason"])

    def test_tcg_known_holds_only_on_tcg(self):
        """A 'tcg' reason (the emulator's failure) excuses nothing on KVM."""
        t = dict(entry(), known={"tcg": "the emulator kills the nested guest"})
        runs = console(*ran("nested_guest", 1, 9), "kvmlts: DONE")
        logs = {"nested_guest": "$ nested-guest.sh\nnested-guest: FAIL: x\n"}
        for accel, want in (("tcg-single", "XFAIL"), ("tcg", "XFAIL"), ("kvm", "FAIL"), (None, "FAIL")):
            with self.subTest(accel=accel):
                res = verdict.judge(self.rundir(console_lines=runs, logs=logs), "shadow",
                                    plan_of("nested_guest"), {"nested_guest": t}, None, {},
                                    accel=accel)
                self.assertEqual(res[0]["verdict"], want)

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

    def test_sigkill_before_the_timeout_is_not_a_timeout(self):
        # rc 137 is timeout's -k kill only once the test's time is up (b, c);
        # earlier, something else sent SIGKILL (a: the OOM killer, say).
        tests = {n: entry(timeout=300) for n in ("a", "b", "c")}
        res = self.judge(plan_of("a", "b", "c"), tests,
                         console_lines=console(*ran("a", 137, 42), *ran("b", 137, 310), *ran("c", 137, 300),
                                               "kvmlts: DONE"))
        self.assertEqual(self.verdicts(res), [("a", "FAIL", "killed by SIGKILL after 42s (OOM killer?)"),
                                              ("b", "FAIL", "timeout after 300s"),
                                              ("c", "FAIL", "timeout after 300s")])

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
        # Killed while it ran, and never started: told apart (rates.py).
        self.assertEqual([r.get("started") for r in res], [None, None, False])

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

    def test_strict_skips_fails_a_skip_not_known_for_the_mode(self):
        tests = {"a": entry(), "b": entry(known={"tdp": "needs X"}), "c": entry(known={"all": "needs Y"}),
                 "d": entry(known={"shadow": "needs Z"}), "e": entry()}
        lines = console(*ran("a", 4), *ran("b", 4), *ran("c", 4), *ran("d", 4), *ran("e", 0), "kvmlts: DONE")
        res = self.judge(plan_of(*tests), tests, console_lines=lines, logs={"a": SKIP_LOG, "d": SKIP_LOG},
                         strict_skips=True)
        unexpected = "unexpected skip: 1..0 # SKIP - Requirement not met: kvm_check_cap(KVM_CAP_PRE_FAULT_MEMORY)"
        self.assertEqual(self.verdicts(res), [("a", "FAIL", unexpected), ("b", "SKIP", "skipped"),
                                              ("c", "SKIP", "skipped"), ("d", "FAIL", unexpected),
                                              ("e", "PASS", "")])
        self.assertEqual([r.get("known") for r in res], [None, "needs X", "needs Y", None, None])

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


class GuestSetupTest(Scratch):
    """guest_setup(): can the guest run KVM at all, from RUN/guest-info."""

    def setup_of(self, info):
        if info is not None:
            self.write("guest-info", info)
        return verdict.guest_setup(self.dir, "legacy")

    def reason(self, info):
        res = self.setup_of(info)
        self.assertEqual((res["test"], res["run"], res["mode"], res["verdict"]),
                         ("guest-setup", "guest-setup", "legacy", "FAIL"))
        return res["reason"]

    def test_guest_with_kvm(self):
        self.assertIsNone(self.setup_of("kernel: 6.12.117 console=ttyS0\ncpus: 2\n"
                                        "virtualization: svm\nkvm: /dev/kvm\n"))
        self.assertIsNone(self.setup_of("cpus: 2\nvirtualization: vmx\nkvm: /dev/kvm\n"))

    def test_no_dev_kvm(self):
        self.assertEqual(self.reason("cpus: 2\nvirtualization: vmx\nkvm: none\n"), "no /dev/kvm in the guest")

    def test_no_virtualization(self):
        # --accel kvm on a host without nested virtualization: no flag, hence no KVM.
        self.assertEqual(self.reason("cpus: 2\nkvm: none\n"),
                         "no svm/vmx flag in the guest's CPU; no /dev/kvm in the guest")

    def test_guest_info_without_a_kvm_line(self):
        self.assertEqual(self.reason("cpus: 2\nvirtualization: svm\n"), "no /dev/kvm in the guest")

    def test_no_guest_info(self):
        self.assertEqual(self.reason(None), "no guest-info: the guest never got to its setup")


class SummarizeTest(unittest.TestCase):
    def test_distinct_titles_capped_with_count(self):
        titles = ["WARNING: a", "WARNING: b", "WARNING: a", "BUG: c", "BUG: d"]
        self.assertEqual(verdict.summarize(titles), "WARNING: a; WARNING: b; BUG: c; ... (1 more kinds) [5 reports]")
        self.assertEqual(verdict.summarize(["WARNING: a"]), "WARNING: a")


if __name__ == "__main__":
    unittest.main()
