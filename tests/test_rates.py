"""scripts/rates.py: pass rates per (QEMU, kernel, accelerator, test, mode)
from vmrun results; runs that never started are not counted as runs."""
import contextlib
import io
import json
import os
import sys
import tempfile
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(os.path.dirname(HERE), "scripts"))
import rates  # noqa: E402


def result(test, mode, verdict, reason="", started=None):
    r = {"test": test, "run": test, "mode": mode, "verdict": verdict, "reason": reason}
    if started is not None:
        r["started"] = started
    return r


class RatesTest(unittest.TestCase):
    def setUp(self):
        self.tmp = tempfile.TemporaryDirectory()
        self.addCleanup(self.tmp.cleanup)

    def write(self, name, flavor, accel, results):
        path = os.path.join(self.tmp.name, name)
        with open(path, "w") as f:
            json.dump({"flavor": flavor, "accel": accel, "results": results}, f)
        return path

    def run_main(self, *args):
        out = io.StringIO()
        with contextlib.redirect_stdout(out):
            rc = rates.main(["rates.py", *args])
        return rc, out.getvalue().splitlines()

    def test_cells_and_reasons(self):
        multi = self.write("m.json", "debug", "tcg", [
            result("mmu_stress_test", "tdp", "PASS"),
            result("mmu_stress_test", "tdp", "FAIL", "exit 254; vCPU 0: SHUTDOWN"),
            result("mmu_stress_test", "tdp", "FAIL", "exit 254; other"),
            result("mmu_stress_test", "tdp", "FAIL", "exit 254: ==== Test Assertion Failure ==== | "
                   "mmu_stress_test.c:284: false | pid=127 tid=129 errno=0 - Success; 4s"),
            result("mmu_stress_test", "tdp", "FAIL", "exit 254: ==== Test Assertion Failure ==== | "
                   "mmu_stress_test.c:284: false | pid=154 tid=155 errno=4 - Interrupted; 3s"),
            # what the test printed before the banner, on the same line
            result("mmu_stress_test", "tdp", "FAIL", "exit 254: 2 vCPUs haven't rendezvoused...==== "
                   "Test Assertion Failure ==== | mmu_stress_test.c:284: false | pid=9 tid=10; 5s"),
            result("mmu_stress_test", "shadow", "PASS"),
            result("mmu_stress_test", "shadow", "CRASH", "no status came back"),
            result("mmu_stress_test", "shadow", "CRASH", "never started: the guest died earlier", False),
        ])
        single = self.write("s.json", "base-debug", "tcg-single", [
            result("mmu_stress_test", "legacy", "PASS")])
        rc, lines = self.run_main(f"7.2={multi}", f"10.0.2={single}")
        self.assertEqual(rc, 0)
        rows = [line.split() for line in lines[1:]]
        self.assertEqual([r[:6] for r in rows], [
            ["10.0.2", "base-debug", "tcg-single", "mmu_stress_test", "legacy", "1/1"],
            ["7.2", "debug", "tcg-multi", "mmu_stress_test", "tdp", "1/6"],
            ["7.2", "debug", "tcg-multi", "mmu_stress_test", "shadow", "1/2"]])
        self.assertRegex(lines[2], r"2 x FAIL: exit 254(;|$)")
        self.assertIn("3 x FAIL: exit 254: mmu_stress_test.c:284: false", lines[2])
        self.assertNotIn("pid=", lines[2])
        self.assertNotIn("rendezvoused", lines[2])
        self.assertIn("1 x CRASH: no status came back", lines[3])
        self.assertIn("1 x not run (the boot died earlier)", lines[3])

    def test_same_cell_from_two_files_adds_up(self):
        a = self.write("a.json", "debug", "tcg-multi", [result("t", "tdp", "PASS")])
        b = self.write("b.json", "debug", "tcg-multi", [result("t", "tdp", "FAIL", "x")])
        rc, lines = self.run_main(f"7.2={a}", f"7.2={b}")
        self.assertEqual(lines[1].split()[5], "1/2")

    def test_bad_arguments(self):
        self.assertEqual(self.run_main("no-label.json")[0], 2)
        self.assertEqual(self.run_main("7.2=/nonexistent.json")[0], 2)


if __name__ == "__main__":
    unittest.main()
