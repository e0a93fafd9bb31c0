"""scripts/kunit-run.sh against a fake debugfs: the verdict comes from the
suite's own KTAP result line."""
import os
import subprocess
import tempfile
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
SCRIPT = os.path.join(os.path.dirname(HERE), "scripts", "kunit-run.sh")

# As 6.12's lib/kunit/debugfs.c prints it: the suite line never says "# SKIP".
PASS = """KTAP version 1
1..1
    KTAP version 1
    # Subtest: kvm_mmu_rmap
    1..2
    ok 1 rmap_test_add_remove
    ok 2 rmap_test_concurrent_walks
ok 1 kvm_mmu_rmap
"""
FAIL = PASS.replace("    ok 2 rmap_test_concurrent_walks",
                    "    # rmap_test_concurrent_walks: EXPECTATION FAILED\n"
                    "    not ok 2 rmap_test_concurrent_walks").replace(
                    "ok 1 kvm_mmu_rmap", "not ok 1 kvm_mmu_rmap")
SKIP = "KTAP version 1\n1..1\n    KTAP version 1\n    # Subtest: kvm_mmu_rmap\n    1..1\n" \
       "    ok 1 rmap_test_add_remove # SKIP no MMU\nok 1 kvm_mmu_rmap\n"
PARTLY_SKIPPED = PASS.replace("ok 2 rmap_test_concurrent_walks",
                              "ok 2 rmap_test_concurrent_walks # SKIP needs 2 CPUs")


class KunitRunTest(unittest.TestCase):
    def run_script(self, results, suite="kvm_mmu_rmap", make_dir=True):
        with tempfile.TemporaryDirectory() as d:
            sdir = os.path.join(d, suite)
            if make_dir:
                os.mkdir(sdir)
                with open(os.path.join(sdir, "results"), "w") as f:
                    f.write(results)
            p = subprocess.run(["bash", SCRIPT, suite], env={**os.environ, "KUNIT_DEBUGFS": d},
                               capture_output=True, text=True)
            ran = False
            if make_dir:
                with open(os.path.join(sdir, "run"), encoding="utf-8") as f:
                    ran = f.read() == "run\n"
            return p.returncode, p.stdout, ran

    def test_pass(self):
        rc, out, ran = self.run_script(PASS)
        self.assertEqual(rc, 0)
        self.assertTrue(ran, "the suite is started through its run file")
        self.assertIn("ok 1 kvm_mmu_rmap", out)

    def test_fail(self):
        rc, out, _ = self.run_script(FAIL)
        self.assertEqual(rc, 1)
        self.assertIn("EXPECTATION FAILED", out)
        self.assertIn("KUnit suite kvm_mmu_rmap failed", out)

    def test_skip(self):
        """6.12's debugfs prints "ok 1 SUITE" for a skipped suite: the cases tell."""
        rc, out, _ = self.run_script(SKIP)
        self.assertEqual(rc, 4)
        self.assertIn("1 of 1 case(s) skipped", out)

    def test_one_skipped_case_skips_the_suite(self):
        rc, out, _ = self.run_script(PARTLY_SKIPPED)
        self.assertEqual(rc, 4)
        self.assertIn("1 of 2 case(s) skipped", out)

    def test_no_cases_fails(self):
        rc, out, _ = self.run_script("KTAP version 1\n1..1\n    1..0\nok 1 kvm_mmu_rmap\n")
        self.assertEqual(rc, 1)
        self.assertIn("ran no test case", out)

    def test_a_passing_case_is_not_the_suite_result(self):
        rc, out, _ = self.run_script("    ok 1 rmap_test_add_remove\n")
        self.assertEqual(rc, 1)
        self.assertIn("no result line", out)

    def test_another_suite_line_does_not_count(self):
        self.assertEqual(self.run_script("ok 1 kvm_mmu_rmap_other\n")[0], 1)

    def test_missing_suite_fails(self):
        rc, out, _ = self.run_script("", make_dir=False)
        self.assertEqual(rc, 1)
        self.assertIn("is not in this kernel", out)


if __name__ == "__main__":
    unittest.main()
