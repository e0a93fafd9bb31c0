"""Unit tests for scripts/bench-report.py: parsing, validity, pair-by-pair ratios."""
import contextlib
import importlib.util
import io
import json
import os
import sys
import tempfile
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
TOP = os.path.dirname(HERE)
spec = importlib.util.spec_from_file_location("bench_report", os.path.join(TOP, "scripts", "bench-report.py"))
br = importlib.util.module_from_spec(spec)
spec.loader.exec_module(br)

PARAM = {"none": "Y", "locked": "N", "lockless": "Y"}


def run_text(rnd, variant, vcpu, age=None, pages=1000, param=None, passes=3, vcpus=1, size="8M"):
    """The log of one run as bench-guest.sh and aging_perf_test print it."""
    p = param or PARAM[variant]
    out = [f"== bench vcpus={vcpus} size={size} round={rnd} variant={variant}",
           "Random seed: 0x6b8b4567", f"lockless_aging before: {p}"]
    for i in range(1, passes + 1):
        line = f"pass {i}: vcpu {vcpu:.9f} s, ager "
        line += f"4 passes, mean {age:.6f} s, {pages} present pages, 1234 ns/page" if age else "0 passes"
        out.append(line)
    out.append(f"lockless_aging after: {p}")
    return "\n".join(out) + "\n"


class BenchReportTest(unittest.TestCase):
    def setUp(self):
        self.tmp = tempfile.TemporaryDirectory()
        self.out = self.tmp.name
        os.makedirs(os.path.join(self.out, "tdp", "logs"))
        self.log = os.path.join(self.out, "tdp", "logs", "aging_bench.log")

    def tearDown(self):
        self.tmp.cleanup()

    def report(self, text, *extra):
        with open(self.log, "w") as f:
            f.write(text)
        buf = io.StringIO()
        with contextlib.redirect_stdout(buf), contextlib.redirect_stderr(io.StringIO()):
            sys.argv = ["bench-report.py", self.out, "--passes", "3", "--modes", "tdp", *extra]
            rc = br.main()
        with open(os.path.join(self.out, "results.json")) as f:
            return rc, json.load(f)["results"]["tdp"], buf.getvalue()

    def test_ratios_are_computed_within_each_round(self):
        text = run_text(1, "none", 1.0) + run_text(1, "locked", 1.2, 0.010) + \
            run_text(1, "lockless", 1.1, 0.002) + \
            run_text(2, "lockless", 2.2, 0.008) + run_text(2, "none", 2.0) + \
            run_text(2, "locked", 3.0, 0.010) + \
            run_text(3, "none", 1.0) + run_text(3, "locked", 1.0, 0.010) + \
            run_text(3, "lockless", 1.0, 0.005)
        rc, res, text_out = self.report(text)
        self.assertEqual(rc, 0)
        rounds = res["rows"][0]["rounds"]
        self.assertEqual(len(rounds), 3)
        r1, r2, _ = (r["ratios"] for r in rounds)
        self.assertAlmostEqual(r1["age_lockless_locked"], 0.2)
        self.assertAlmostEqual(r1["vcpu_locked_none"], 1.2)
        self.assertAlmostEqual(r1["vcpu_lockless_none"], 1.1)
        # Pair by pair, not a ratio of medians: round 2's ratios are its own.
        self.assertAlmostEqual(r2["age_lockless_locked"], 0.8)
        self.assertAlmostEqual(r2["vcpu_locked_none"], 1.5)
        self.assertIn("0.50 [0.20-0.80]", text_out)

    def test_an_invalid_round_is_listed_and_left_out(self):
        good = lambda r: run_text(r, "none", 1.0) + run_text(r, "locked", 1.2, 0.010) + \
            run_text(r, "lockless", 1.1, 0.005)
        bad = run_text(4, "none", 1.0) + run_text(4, "locked", 9.9, 0.9) + \
            run_text(4, "lockless", 1.1, 0.005).replace("pass 3:", "pass 7:")
        rc, res, text_out = self.report(good(1) + good(2) + good(3) + bad)
        self.assertEqual(rc, 0)
        self.assertEqual([r["round"] for r in res["rows"][0]["rounds"]], [1, 2, 3])
        self.assertIn("INVALID round 4 of 1 x 8M: lockless: passes [1, 2, 7]", text_out)
        # Its locked run, valid on its own, does not count either.
        self.assertIn("0.50 [0.50-0.50]", text_out)

    def test_a_run_whose_parameter_did_not_switch_invalidates_its_round(self):
        text = run_text(1, "none", 1.0) + run_text(1, "locked", 1.2, 0.010, param="Y") + \
            run_text(1, "lockless", 1.1, 0.002) + \
            run_text(2, "none", 1.0) + run_text(2, "locked", 1.2, 0.010) + \
            run_text(2, "lockless", 1.1, 0.004)
        rc, res, text_out = self.report(text)
        self.assertEqual(rc, 1)
        self.assertEqual([r["round"] for r in res["rows"][0]["rounds"]], [2])
        self.assertEqual(res["invalid"][0]["round"], 1)
        self.assertIn("kvm.lockless_aging before the passes: Y, expected N", text_out)

    def test_a_failed_or_short_run_is_invalid(self):
        short = run_text(1, "lockless", 1.1, 0.002).replace("pass 3:", "pass 9:")
        text = run_text(1, "none", 1.0) + run_text(1, "locked", 1.2, 0.010) + short
        rc, res, _ = self.report(text)
        self.assertEqual(rc, 1)
        self.assertEqual(res["rows"], [])
        failed = run_text(1, "none", 1.0) + run_text(1, "locked", 1.2, 0.010) + \
            run_text(1, "lockless", 1.1, 0.002) + "bench: exit status 254\n"
        rc, res, _ = self.report(failed)
        self.assertEqual(rc, 1)
        self.assertIn("lockless: bench: exit status 254", res["invalid"][0]["why"][0])

    def test_rounds_that_never_ran_are_listed(self):
        good = lambda r: run_text(r, "none", 1.0) + run_text(r, "locked", 1.2, 0.010) + \
            run_text(r, "lockless", 1.1, 0.005)
        rc, res, text_out = self.report(good(1) + good(2) + good(3), "--rounds", "5")
        self.assertEqual(rc, 0)
        self.assertIn("INVALID round 4 of 1 x 8M: did not run", text_out)
        self.assertIn("INVALID round 5 of 1 x 8M: did not run", text_out)

    def test_a_missing_variant_invalidates_the_round(self):
        rc, res, _ = self.report(run_text(1, "none", 1.0) + run_text(1, "locked", 1.2, 0.010))
        self.assertEqual(rc, 1)
        self.assertEqual(res["invalid"][0]["why"], ["lockless: missing"])

    def test_the_first_pass_is_left_out(self):
        text = run_text(1, "none", 1.0).replace("pass 1: vcpu 1.0", "pass 1: vcpu 9.0") + \
            run_text(1, "locked", 1.0, 0.010) + run_text(1, "lockless", 1.0, 0.010)
        rc, res, _ = self.report(text)
        self.assertEqual(rc, 1, "a single round is fewer than MIN_ROUNDS")
        self.assertAlmostEqual(res["rows"][0]["rounds"][0]["figures"]["none"]["vcpu"], 1.0)

    def test_lock_stat_lines_are_parsed_by_column(self):
        head = "lock_stat: " + " " * 20 + "class name    con-bounces    contentions\n"
        w = "lock_stat: &kvm->mmu_lock-W:  1  7  0.1  2.0  30.5  1.0  3  4096  0.1  1.0  9.0  0.5\n"
        runs = br.parse_log_text(run_text(1, "locked", 1.2, 0.010) + head + w)
        self.assertEqual(runs[0]["lock"]["W"][br.LOCK_COLS.index("acquisitions")], 4096)
        self.assertEqual(runs[0]["lock"]["W"][br.LOCK_COLS.index("contentions")], 7)


if __name__ == "__main__":
    unittest.main()
