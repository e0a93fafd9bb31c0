"""Unit tests for scripts/report.py: result lines, pass rates, summary and closing line."""
import argparse
import contextlib
import io
import os
import sys
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
TOP = os.path.dirname(HERE)
sys.path.insert(0, os.path.join(TOP, "scripts"))
sys.path.insert(0, TOP)
import report  # noqa: E402
from tests.test_suites import Scratch  # noqa: E402


class LineForTest(unittest.TestCase):
    def test_pass(self):
        r = {"verdict": "PASS", "run": "guest_memfd_test", "mode": "tdp", "reason": "", "secs": 3}
        self.assertEqual(report.line_for(r), "PASS  guest_memfd_test [tdp] (3s)")

    def test_fail_with_reason(self):
        r = {"verdict": "FAIL", "run": "t", "mode": "legacy", "reason": "timeout after 120s", "secs": 120}
        self.assertEqual(report.line_for(r), "FAIL  t [legacy] (timeout after 120s; 120s)")

    def test_crash_without_time(self):
        r = {"verdict": "CRASH", "run": "t", "mode": "shadow", "reason": "no status came back (guest crashed?)",
             "secs": None}
        self.assertEqual(report.line_for(r), "CRASH t [shadow] (no status came back (guest crashed?); -)")

    def test_known(self):
        r = {"verdict": "XFAIL", "run": "t", "mode": "tdp", "reason": "exit 1: boom", "secs": 2, "known": "base bug"}
        self.assertEqual(report.line_for(r), "XFAIL t [tdp] (exit 1: boom; known on base: base bug; 2s)")
        r.update(verdict="SKIP", reason="")
        self.assertEqual(report.line_for(r), "SKIP  t [tdp] (known on base: base bug; 2s)")


class ModeTextTest(unittest.TestCase):
    def test_allowed_reports_are_shown_once_each(self):
        notes = [f"BUG: KCSAN: data-race in f{i} / g (outside KVM)" for i in range(5)]
        r = {"verdict": "PASS", "run": "t", "mode": "tdp", "reason": "", "secs": 3, "reports": [],
             "allowed": notes + notes[:1]}
        text = report.mode_text([r], "DIR").splitlines()
        self.assertEqual(text[1:4], [f"      allowed: {n}" for n in notes[:3]])
        self.assertEqual(text[4], "      (2 more allowed reports in DIR/console.log)")

    def test_no_allowed_reports_no_lines(self):
        r = {"verdict": "PASS", "run": "t", "mode": "tdp", "reason": "", "secs": 3, "reports": []}
        self.assertEqual(report.mode_text([r], "DIR"), "PASS  t [tdp] (3s)")


class PassRateTest(unittest.TestCase):
    def test_repeated_runs_give_a_rate(self):
        results = [{"test": "t", "mode": "tdp", "verdict": v} for v in ("PASS", "FAIL", "PASS")]
        results.append({"test": "u", "mode": "tdp", "verdict": "PASS"})
        results.append({"test": "t", "mode": "shadow", "verdict": "CRASH"})
        results.append({"test": "t", "mode": "shadow", "verdict": "CRASH"})
        self.assertEqual(report.pass_rates(results),
                         ["pass rate: t [tdp] 2/3", "pass rate: t [shadow] 0/2"])


class ReportTest(Scratch):
    def test_count_line_counts_xfail_as_skipped(self):
        results = [
            {"test": "a", "run": "a", "mode": "tdp", "secs": 1, "verdict": "PASS", "reason": ""},
            {"test": "b", "run": "b", "mode": "tdp", "secs": 1, "verdict": "XFAIL", "reason": "x", "known": "k"},
            {"test": "c", "run": "c", "mode": "tdp", "secs": 1, "verdict": "SKIP", "reason": "s"},
            {"test": "d", "run": "d", "mode": "shadow", "secs": None, "verdict": "CRASH", "reason": "r",
             "reports": [["BUG: KCSAN: data-race in f / g", "", "write to 0x1 of 8 bytes by task 1 on cpu 0:"]
                         + [f" frame{i}+0x1/0x2" for i in range(20)], ["BUG: second"]]},
            {"test": "e", "run": "e", "mode": "shadow", "secs": 9, "verdict": "FAIL", "reason": "f"},
        ]
        args = argparse.Namespace(flavor="debug", param=[])
        out = io.StringIO()
        with contextlib.redirect_stdout(out):
            rc = report.report(self.dir, results, args, "tcg", ("6.12.117-1~deb12u1", "abc123"))
        self.assertEqual(rc, 1)
        printed = out.getvalue().splitlines()
        self.assertEqual(printed[-1], "1 passed, 2 failed, 2 skipped")
        # Above the closing line: each failure again, with the start of its
        # first report, so that the end of the log says why.
        tail = printed[-15:-1]
        self.assertEqual(tail[0], "failed: CRASH d [shadow] (r; -)")
        self.assertEqual(tail[1], "      | BUG: KCSAN: data-race in f / g")
        self.assertEqual(tail[12], "      |  frame8+0x1/0x2")
        self.assertEqual(tail[13], "failed: FAIL  e [shadow] (f; 9s)")
        self.assertNotIn("BUG: second", out.getvalue())
        with open(self.path("summary.txt"), encoding="utf-8") as f:
            self.assertIn("CRASH d [shadow] (r; -)", f.read())

    def test_all_passing_returns_0(self):
        results = [{"test": "a", "run": "a", "mode": "tdp", "secs": 1, "verdict": "PASS", "reason": ""}]
        out = io.StringIO()
        with contextlib.redirect_stdout(out):
            rc = report.report(self.dir, results, argparse.Namespace(flavor="debug", param=[]), "kvm", ("6.12.117-1~deb12u1", "abc123"))
        self.assertEqual((rc, out.getvalue().splitlines()[-1]), (0, "1 passed, 0 failed, 0 skipped"))


if __name__ == "__main__":
    unittest.main()
