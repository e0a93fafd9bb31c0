"""Unit tests for scripts/logscan.py against the sample console logs in tests/data."""
import contextlib
import io
import subprocess
import os
import sys
import tempfile
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
DATA = os.path.join(HERE, "data")
sys.path.insert(0, os.path.join(os.path.dirname(HERE), "scripts"))
import logscan  # noqa: E402

ALLOWLIST = os.path.join(DATA, "kcsan-allowlist.txt")
ALLOWED_NOTE = "vcpu->mode is read locklessly by design, base 6.12.117"


def read(name):
    with open(os.path.join(DATA, name), encoding="utf-8") as f:
        return f.readlines()


def reports_by_test(name, allow=None):
    """[(segment, kind, title, allowed note)] for every report in data file NAME."""
    segs, _ = logscan.split(read(name))
    return [(seg.name, r.kind, r.title, r.allowed) for seg in segs for r in logscan.scan(seg.lines, allow)]


def stamped(*messages):
    """Console lines with kernel timestamps, as the serial port gives them."""
    return [f"[{10 + i:12.6f}] {m}\n" for i, m in enumerate(messages)]


def write_temp(test, text):
    fd, path = tempfile.mkstemp(suffix=".txt")
    with os.fdopen(fd, "w", encoding="utf-8") as f:
        f.write(text)
    test.addCleanup(os.unlink, path)
    return path


def run_main(*args):
    """Run logscan.main; return (exit code, stdout)."""
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        rc = logscan.main(["logscan.py", *args])
    return rc, out.getvalue()


class StripTest(unittest.TestCase):
    def test_removes_timestamp(self):
        self.assertEqual(logscan.strip("[   12.345678] kvm_amd: Nested Paging enabled\n"),
                         "kvm_amd: Nested Paging enabled")

    def test_removes_timestamp_and_caller_id(self):
        self.assertEqual(logscan.strip("[  101.000001][  T231] kvmlts: BEGIN foo\r\n"), "kvmlts: BEGIN foo")
        self.assertEqual(logscan.strip("[    0.000000][    C1] rcu: INFO: x\n"), "rcu: INFO: x")

    def test_keeps_indentation_of_stack_frames(self):
        self.assertEqual(logscan.strip("[   14.207731]  kvm_zap_rmap+0x2c/0x50\n"), " kvm_zap_rmap+0x2c/0x50")

    def test_line_without_timestamp_is_unchanged(self):
        self.assertEqual(logscan.strip("SeaBIOS (version 1.16.2)\n"), "SeaBIOS (version 1.16.2)")


class MarkerTest(unittest.TestCase):
    def test_end_marker_fields(self):
        m = logscan.MARKER.search("kvmlts: END dirty_log_test#2 rc=-1 secs=49")
        self.assertEqual(m.groups(), ("END", "dirty_log_test#2", "-1", "49"))

    def test_begin_and_done(self):
        self.assertEqual(logscan.MARKER.search("kvmlts: BEGIN guest_memfd_test").group(1, 2),
                         ("BEGIN", "guest_memfd_test"))
        self.assertEqual(logscan.MARKER.search("kvmlts: DONE").group(1, 2), ("DONE", None))

    def test_other_kvmlts_message_is_not_a_marker(self):
        self.assertIsNone(logscan.MARKER.search("kvmlts: cannot mount the run directory"))


class SplitTest(unittest.TestCase):
    def test_clean_log_segments(self):
        segs, done = logscan.split(read("clean.log"))
        self.assertTrue(done)
        self.assertEqual([s.name for s in segs],
                         ["boot", "set_memory_region_test", "after set_memory_region_test",
                          "guest_memfd_test", "after guest_memfd_test", "after"])
        by_name = {s.name: s for s in segs}
        first = by_name["set_memory_region_test"]
        self.assertEqual((first.ended, first.rc, first.secs), (True, 0, 41))
        self.assertEqual((by_name["guest_memfd_test"].rc, by_name["guest_memfd_test"].secs), (0, 3))
        self.assertEqual([logscan.strip(x) for x in first.lines], ["kvm: emulating exchange as write"])
        self.assertIn("Linux version 6.12.117", segs[0].lines[0])
        self.assertEqual(logscan.strip(segs[-1].lines[0]), "reboot: Restarting system")

    def test_marker_lines_are_not_in_any_segment(self):
        segs, _ = logscan.split(read("clean.log"))
        for seg in segs:
            for line in seg.lines:
                self.assertNotIn("kvmlts:", line)

    def test_truncated_log_leaves_last_test_open(self):
        segs, done = logscan.split(read("truncated.log"))
        self.assertFalse(done)
        last = segs[-1]
        self.assertEqual(last.name, "memslot_perf_test")
        self.assertEqual((last.ended, last.rc, last.secs), (False, None, None))
        self.assertEqual(len(last.lines), 2)
        self.assertTrue(segs[1].ended)

    def test_panic_log_has_no_done(self):
        segs, done = logscan.split(read("panic.log"))
        self.assertFalse(done)
        self.assertEqual([s.name for s in segs], ["boot", "kvm_page_table_test"])
        self.assertFalse(segs[-1].ended)

    def test_markers_with_caller_id(self):
        lines = ["[    5.000000][  T201] kvmlts: BEGIN t1\n",
                 "[    6.000000][  T201] kvmlts: END t1 rc=4 secs=1\n"]
        segs, done = logscan.split(lines)
        self.assertFalse(done)
        self.assertEqual([s.name for s in segs], ["boot", "t1", "after t1"])
        self.assertEqual(segs[1].rc, 4)


class ScanTest(unittest.TestCase):
    def test_clean_log_has_no_report(self):
        self.assertEqual(logscan.scan(read("clean.log")), [])

    def test_lockdep(self):
        self.assertEqual(reports_by_test("lockdep.log"),
                         [("memslot_modification_stress_test", "lockdep",
                           "WARNING: possible circular locking dependency detected", "")])

    def test_lockdep_report_body(self):
        segs, _ = logscan.split(read("lockdep.log"))
        seg = next(s for s in segs if s.name == "memslot_modification_stress_test")
        [rep] = logscan.scan(seg.lines)
        self.assertEqual(rep.lines[0], "WARNING: possible circular locking dependency detected")
        self.assertIn("-> #0 (&kvm->slots_lock){+.+.}-{4:4}:", rep.lines)
        self.assertLessEqual(len(rep.lines), logscan.REPORT_LINES)

    def test_warning_with_cut_here(self):
        title = "WARNING: CPU: 1 PID: 230 at arch/x86/kvm/mmu/mmu.c:1234 kvm_age_rmap+0x5a/0x90"
        self.assertEqual(reports_by_test("warn.log"), [("access_tracking_perf_test", "warning", title, "")])
        segs, _ = logscan.split(read("warn.log"))
        [rep] = logscan.scan(segs[1].lines)
        self.assertEqual(rep.lines[:2], ["------------[ cut here ]------------", title])
        # This one is longer than REPORT_LINES: it is cut there, and the rest is no new report.
        self.assertEqual(len(rep.lines), logscan.REPORT_LINES)

    def test_warning_ends_at_end_trace(self):
        lines = stamped("------------[ cut here ]------------",
                        "WARNING: CPU: 0 PID: 1 at virt/kvm/kvm_main.c:3870 kvm_vcpu_kick+0x1/0x2",
                        "Modules linked in:", "---[ end trace 0000000000000000 ]---",
                        "kvm: emulating exchange as write")
        [rep] = logscan.scan(lines)
        self.assertEqual(rep.title, "WARNING: CPU: 0 PID: 1 at virt/kvm/kvm_main.c:3870 kvm_vcpu_kick+0x1/0x2")
        self.assertEqual(rep.lines[-1], "---[ end trace 0000000000000000 ]---")
        self.assertEqual(len(rep.lines), 4)

    def test_oops_then_panic(self):
        self.assertEqual(reports_by_test("panic.log"), [
            ("kvm_page_table_test", "oops", "BUG: unable to handle page fault for address: ffffc90000a52008", ""),
            ("kvm_page_table_test", "panic", "Kernel panic - not syncing: Fatal exception", ""),
        ])

    def test_oops_report_ends_at_end_trace(self):
        segs, _ = logscan.split(read("panic.log"))
        oops = logscan.scan(segs[-1].lines)[0]
        self.assertEqual(oops.lines[-1], "---[ end trace 0000000000000000 ]---")
        self.assertIn("Oops: Oops: 0000 [#1] PREEMPT SMP NOPTI", oops.lines)

    def test_rcu_stall(self):
        self.assertEqual(reports_by_test("rcu_stall.log"),
                         [("max_guest_memory_test", "rcu-stall", "rcu: INFO: rcu_preempt self-detected stall on CPU", "")])

    def test_soft_lockup(self):
        self.assertEqual(reports_by_test("softlockup.log"), [
            ("dirty_log_perf_test", "lockup",
             "watchdog: BUG: soft lockup - CPU#0 stuck for 26s! [dirty_log_perf_t:247]", "")])

    def test_truncated_log_has_no_report(self):
        self.assertEqual(reports_by_test("truncated.log"), [])

    def test_kcsan_without_allowlist(self):
        self.assertEqual(reports_by_test("kcsan.log"), [
            ("dirty_log_test", "kcsan", "BUG: KCSAN: data-race in kvm_arch_vcpu_ioctl_run / kvm_vcpu_kick", ""),
            ("access_tracking_perf_test", "kcsan", "BUG: KCSAN: data-race in kvm_age_rmap / mmu_spte_clear_track_bits", ""),
        ])

    def test_kcsan_with_allowlist(self):
        allow = logscan.load_allowlist(ALLOWLIST)
        got = reports_by_test("kcsan.log", allow)
        self.assertEqual([r[3] for r in got], [ALLOWED_NOTE, ""])

    def test_kcsan_report_body(self):
        segs, _ = logscan.split(read("kcsan.log"))
        for seg in (s for s in segs if s.name in ("dirty_log_test", "access_tracking_perf_test")):
            with self.subTest(seg.name):
                [rep] = logscan.scan(seg.lines)
                self.assertTrue(rep.lines[0].startswith("BUG: KCSAN: data-race in "))
                self.assertTrue(rep.lines[-1].startswith("====="), "ends with the closing banner")
                self.assertTrue(any(x.startswith("value changed: ") for x in rep.lines))
                self.assertIn("Reported by Kernel Concurrency Sanitizer on:", rep.lines)

    def test_two_kcsan_reports_in_one_segment_are_separate(self):
        lines = read("kcsan.log")
        segs, _ = logscan.split(lines)
        body = [x for s in segs if s.name in ("dirty_log_test", "access_tracking_perf_test") for x in s.lines]
        self.assertEqual([r.kind for r in logscan.scan(body)], ["kcsan", "kcsan"])

    def test_warning_inside_an_allowlisted_kcsan_report_is_found(self):
        """Consoles interleave: a WARNING printed while a KCSAN report is being
        printed must still fail the test, even when the KCSAN pair is allowlisted."""
        lines = stamped(
            "==================================================================",
            "BUG: KCSAN: data-race in kvm_arch_vcpu_ioctl_run / kvm_vcpu_kick",
            "",
            "write to 0xffff888103c4a1a8 of 4 bytes by task 241 on cpu 0:",
            "------------[ cut here ]------------",
            "WARNING: CPU: 1 PID: 250 at arch/x86/kvm/mmu/mmu.c:612 kvm_age_rmap+0x1/0x2",
            " kvm_arch_vcpu_ioctl_run+0x2d4/0xa40",
            "value changed: 0x00000000 -> 0x00000001",
            "==================================================================")
        reps = logscan.scan(lines, logscan.load_allowlist(ALLOWLIST))
        self.assertEqual([(r.kind, bool(r.allowed)) for r in reps], [("kcsan", True), ("warning", False)])
        self.assertEqual(reps[1].title, "WARNING: CPU: 1 PID: 250 at arch/x86/kvm/mmu/mmu.c:612 kvm_age_rmap+0x1/0x2")

    def test_kinds_of_single_lines(self):
        cases = [
            ("INFO: task kworker/u4:2:45 blocked for more than 122 seconds.", "hung-task"),
            ("Watchdog detected hard LOCKUP on cpu 1", "lockup"),
            ("rcu: INFO: rcu_preempt detected stalls on CPUs/tasks:", "rcu-stall"),
            ("rcu: INFO: rcu_preempt detected stall, but suppressed full report due to a stuck CSD-lock.",
             "rcu-stall"),
            ("BUG: sleeping function called from invalid context at kernel/locking/mutex.c:585", "lockdep"),
            ("WARNING: suspicious RCU usage", "lockdep"),
            ("WARNING: inconsistent lock state", "lockdep"),
            ("Oops: general protection fault, probably for non-canonical address 0xdead000000000122: 0000 [#1]",
             "oops"),
            ("kernel BUG at arch/x86/kvm/mmu/mmu.c:1010!", "oops"),
            ("BUG: KASAN: slab-use-after-free in kvm_mmu_free_roots+0x3a/0x2b0", "bug"),
            ("UBSAN: shift-out-of-bounds in arch/x86/kvm/mmu/mmu.c:3456:12", "bug"),
            ("WARNING: CPU: 0 PID: 1 at kernel/foo.c:1 foo+0x1/0x2", "warning"),
        ]
        for line, kind in cases:
            with self.subTest(line=line):
                reps = logscan.scan(stamped(line))
                self.assertEqual([(r.kind, r.title) for r in reps], [(kind, line)])

    def test_benign_lines_are_not_reports(self):
        lines = stamped("Warning: unable to open an initial console.",
                        "ACPI: _OSC evaluation for CPUs failed, trying _PDC",
                        "kvm: emulating exchange as write",
                        "kvmlts: BEGIN panic_test",
                        "kvmlts: END panic_test rc=0 secs=1")
        self.assertEqual(logscan.scan(lines), [])

    def test_report_stops_at_marker(self):
        lines = stamped("watchdog: BUG: soft lockup - CPU#1 stuck for 22s! [t:1]", "Modules linked in:",
                        "kvmlts: END t rc=0 secs=30", "after the marker")
        [rep] = logscan.scan(lines)
        self.assertEqual(rep.lines, ["watchdog: BUG: soft lockup - CPU#1 stuck for 22s! [t:1]", "Modules linked in:"])

    def test_report_after_end_belongs_to_after_segment(self):
        lines = stamped("kvmlts: BEGIN t1", "kvmlts: END t1 rc=0 secs=1",
                        "INFO: task kworker/0:1:12 blocked for more than 122 seconds.", "kvmlts: DONE")
        segs, done = logscan.split(lines)
        self.assertTrue(done)
        found = [(s.name, r.kind) for s in segs for r in logscan.scan(s.lines)]
        self.assertEqual(found, [("after t1", "hung-task")])


class AllowlistTest(unittest.TestCase):
    def test_load_test_allowlist(self):
        self.assertEqual(logscan.load_allowlist(ALLOWLIST),
                         {("kvm_arch_vcpu_ioctl_run", "kvm_vcpu_kick"): ALLOWED_NOTE})

    def test_no_path_means_empty(self):
        self.assertEqual(logscan.load_allowlist(None), {})
        self.assertEqual(logscan.load_allowlist(""), {})

    def test_entry_without_reason_is_an_error(self):
        path = write_temp(self, "# header\nfoo / bar\n")
        with self.assertRaisesRegex(ValueError, "foo / bar"):
            logscan.load_allowlist(path)

    def test_single_function_entry(self):
        path = write_temp(self, "kvm_set_pfn_accessed  # racy stat\n\n# done\n")
        self.assertEqual(logscan.load_allowlist(path), {("kvm_set_pfn_accessed",): "racy stat"})

    def test_kcsan_funcs(self):
        self.assertEqual(logscan.kcsan_funcs("BUG: KCSAN: data-race in zeta / alpha"), ("alpha", "zeta"))
        self.assertEqual(logscan.kcsan_funcs("BUG: KCSAN: data-race in b+0x1d/0x30 / a+0x10/0x20"), ("a", "b"))
        self.assertEqual(logscan.kcsan_funcs("BUG: KCSAN: data-race in kvm_age_rmap+0x3b/0x90"), ("kvm_age_rmap",))
        self.assertEqual(logscan.kcsan_funcs("BUG: KCSAN: data-race in x / x"), ("x", "x"))
        self.assertEqual(logscan.kcsan_funcs("WARNING: something else"), ())

    def test_allowlist_matches_either_order(self):
        path = write_temp(self, "mmu_spte_clear_track_bits / kvm_age_rmap  # seen on base\n")
        allow = logscan.load_allowlist(path)
        got = reports_by_test("kcsan.log", allow)
        self.assertEqual([r[3] for r in got], ["", "seen on base"])


class MainTest(unittest.TestCase):
    def test_clean_log_passes_silently(self):
        self.assertEqual(run_main(os.path.join(DATA, "clean.log")), (0, ""))

    def test_kcsan_log_fails_on_the_unlisted_report(self):
        rc, out = run_main(os.path.join(DATA, "kcsan.log"), ALLOWLIST)
        self.assertEqual(rc, 1)
        self.assertEqual(out.splitlines(), [
            "dirty_log_test: kcsan: BUG: KCSAN: data-race in kvm_arch_vcpu_ioctl_run / kvm_vcpu_kick"
            f" (allowed: {ALLOWED_NOTE})",
            "access_tracking_perf_test: kcsan: BUG: KCSAN: data-race in kvm_age_rmap / mmu_spte_clear_track_bits"
            " (FAILS the test)",
        ])

    def test_all_reports_allowlisted_passes(self):
        path = write_temp(self, "kvm_arch_vcpu_ioctl_run / kvm_vcpu_kick  # a\n"
                                "kvm_age_rmap / mmu_spte_clear_track_bits  # b\n")
        rc, out = run_main(os.path.join(DATA, "kcsan.log"), path)
        self.assertEqual(rc, 0)
        self.assertEqual(out.count("allowed:"), 2)

    def test_truncated_log_fails(self):
        rc, out = run_main(os.path.join(DATA, "truncated.log"))
        self.assertEqual(rc, 1)
        self.assertIn("console log ends before 'kvmlts: DONE'", out)

    def test_usage(self):
        with self.assertRaises(SystemExit) as cm:
            logscan.main(["logscan.py"])
        self.assertIn("usage: logscan.py", str(cm.exception.code))


if __name__ == "__main__":
    unittest.main()


def kcsan_report(pair, first, second):
    """Console lines of one KCSAN report: PAIR for the title, FIRST and SECOND
    the stack frames (function names) of its two accesses."""
    lines = ["==================================================================",
             f"BUG: KCSAN: data-race in {pair}", "",
             "write to 0xffffc90000162228 of 8 bytes by task 170 on cpu 0:"]
    lines += [f" {f}+0x58b/0x660" for f in first]
    lines += ["", "read to 0xffffc90000162228 of 8 bytes by task 171 on cpu 1:"]
    lines += [f" {f}+0x370/0x470" for f in second]
    lines += ["", "Reported by Kernel Concurrency Sanitizer on:",
              "=================================================================="]
    return stamped(*lines)


KVM_FUNCS = {"kvm_mmu_notifier_clear_flush_young", "kvm_mmu_notifier_invalidate_range_start",
             "svm_vcpu_run", "kvm_arch_vcpu_ioctl_run", "rmap_get_first"}
SWAP_IN = ["__swap_count", "do_swap_page", "__handle_mm_fault", "handle_mm_fault",
           "__get_user_pages", "hva_to_pfn", "kvm_faultin_pfn"]


class OutsideKvmTest(unittest.TestCase):
    """A KCSAN report that does not involve KVM code is shown as allowed."""

    def verdict(self, lines, kvm=KVM_FUNCS, allow=None):
        (rep,) = logscan.scan(lines, allow, kvm)
        return rep.allowed

    def test_race_between_two_kvm_functions_fails(self):
        lines = kcsan_report("kvm_mmu_notifier_clear_flush_young / kvm_mmu_notifier_invalidate_range_start",
                             ["kvm_mmu_notifier_invalidate_range_start", "__mmu_notifier_invalidate_range_start"],
                             ["kvm_mmu_notifier_clear_flush_young", "__mmu_notifier_clear_flush_young"])
        self.assertEqual(self.verdict(lines), "")

    def test_race_in_mm_is_outside_kvm(self):
        lines = kcsan_report("fix_fullness_group / zs_map_object",
                             ["fix_fullness_group", "zs_free", "zram_free_page"],
                             ["zs_map_object", "zram_read_from_zspool", "zram_read_page"])
        self.assertIn("outside KVM", self.verdict(lines))

    def test_kvm_deep_in_the_stack_does_not_make_it_kvms(self):
        # Swap-in reached from a vCPU fault: KVM is the caller's caller's ...
        lines = kcsan_report("__swap_count / __swap_duplicate", SWAP_IN, ["__swap_duplicate", "swap_duplicate"])
        self.assertIn("outside KVM", self.verdict(lines))

    def test_helper_called_from_kvm_fails(self):
        # x86_virt_spec_ctrl() lives in arch/x86/kernel but runs for svm_vcpu_run().
        lines = kcsan_report("x86_virt_spec_ctrl / x86_virt_spec_ctrl",
                             ["x86_virt_spec_ctrl", "svm_vcpu_run", "vcpu_enter_guest"],
                             ["x86_virt_spec_ctrl", "native_sched_clock"])
        self.assertEqual(self.verdict(lines), "")

    def test_second_caller_counts(self):
        lines = kcsan_report("a / b", ["a", "helper", "rmap_get_first"], ["b", "c", "d"])
        self.assertEqual(self.verdict(lines), "")

    def test_third_caller_does_not(self):
        lines = kcsan_report("a / b", ["a", "helper", "helper2", "rmap_get_first"], ["b", "c", "d"])
        self.assertIn("outside KVM", self.verdict(lines))

    def test_compiler_clone_names_are_kvms(self):
        lines = kcsan_report("rmap_get_first.isra.0 / b", ["rmap_get_first.isra.0"], ["b"])
        self.assertEqual(self.verdict(lines), "")

    def test_without_the_kernels_functions_everything_fails(self):
        lines = kcsan_report("fix_fullness_group / zs_map_object", ["fix_fullness_group"], ["zs_map_object"])
        self.assertEqual(self.verdict(lines, kvm=None), "")

    def test_allowlist_note_wins(self):
        lines = kcsan_report("fix_fullness_group / zs_map_object", ["fix_fullness_group"], ["zs_map_object"])
        allow = {("fix_fullness_group", "zs_map_object"): "zsmalloc"}
        self.assertEqual(self.verdict(lines, allow=allow), "zsmalloc")

    def test_other_reports_are_not_excused(self):
        (rep,) = logscan.scan(stamped("WARNING: CPU: 0 PID: 1 at mm/zsmalloc.c:1 zs_free+0x1/0x2"), None, set())
        self.assertEqual(rep.allowed, "")


class KvmFunctionsTest(unittest.TestCase):
    def test_reads_functions_of_kvm_objects_only(self):
        with tempfile.TemporaryDirectory() as build:
            for sub, src in (("arch/x86/kvm/mmu", "static int rmap_helper(int x) { return x + 1; }\n"
                                                  "int kvm_thing(int x) { return rmap_helper(x); }\n"),
                             ("mm", "int zs_map_object(int x) { return x; }\n")):
                os.makedirs(os.path.join(build, sub))
                c = os.path.join(build, sub, "x.c")
                with open(c, "w") as f:
                    f.write(src)
                subprocess.run(["cc", "-O0", "-c", c, "-o", c[:-1] + "o"], check=True)
            funcs = logscan.kvm_functions(build)
        self.assertEqual(funcs, {"kvm_thing", "rmap_helper"})

    def test_no_objects_means_none(self):
        with tempfile.TemporaryDirectory() as build:
            self.assertIsNone(logscan.kvm_functions(build))
