"""scripts/check.sh in a scratch copy of the workbench whose phase scripts are
stubs and whose vmrun.py is a fake: the counts come from results.json, the
runner's exit status is not dropped, and a verdict nobody knows fails."""
import json
import os
import shutil
import subprocess
import tempfile
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
TOP = os.path.dirname(HERE)

# A fake runner: writes results.json with the verdicts in $FAKE_VERDICTS into
# --out, prints the closing line in $FAKE_LINE and exits with $FAKE_RC.
FAKE_VMRUN = """\
import json, os, sys
out = sys.argv[sys.argv.index("--out") + 1]
os.makedirs(out, exist_ok=True)
verdicts = os.environ["FAKE_VERDICTS"].split()
if verdicts != ["none"]:
    with open(os.path.join(out, "results.json"), "w") as f:
        json.dump({"results": [{"run": "t%d" % i, "verdict": v} for i, v in enumerate(verdicts)]}, f)
with open(os.path.join(os.environ["FAKE_ARGS"]), "a") as f:
    f.write(" ".join(sys.argv[1:]) + "\\n")
print(os.environ["FAKE_LINE"])
sys.exit(int(os.environ["FAKE_RC"]))
"""
STUBS = ["deps.sh", "worktree.sh", "checkpatch.sh", "build-kernel.sh", "w1-check.sh",
         "build-selftests.sh", "nested-build.sh", "vendor-build.sh"]


class CheckTest(unittest.TestCase):
    def setUp(self):
        self.top = tempfile.mkdtemp(prefix="check-test-")
        self.addCleanup(shutil.rmtree, self.top)
        scripts = os.path.join(self.top, "scripts")
        os.makedirs(scripts)
        for name in ("check.sh", "lib.sh", "results.py"):
            shutil.copy(os.path.join(TOP, "scripts", name), scripts)
        shutil.copy(os.path.join(TOP, "base.conf"), self.top)
        for name in STUBS:
            with open(os.path.join(scripts, name), "w") as f:
                f.write("#!/bin/sh\nexit 0\n")
            os.chmod(os.path.join(scripts, name), 0o755)
        with open(os.path.join(scripts, "vmrun.py"), "w") as f:
            f.write(FAKE_VMRUN)
        # The 'unit' phase runs the scratch tree's tests: one that passes.
        os.makedirs(os.path.join(self.top, "tests"))
        open(os.path.join(self.top, "tests", "__init__.py"), "w").close()
        with open(os.path.join(self.top, "tests", "test_ok.py"), "w") as f:
            f.write("import unittest\nclass T(unittest.TestCase):\n    def test_ok(self):\n        pass\n")
        os.makedirs(os.path.join(self.top, "build"))
        self.args = os.path.join(self.top, "vmrun-args")

    def check(self, verdicts, line="1 passed, 0 failed, 0 skipped", rc=0, what=()):
        env = {**os.environ, "FAKE_VERDICTS": verdicts, "FAKE_LINE": line, "FAKE_RC": str(rc),
               "FAKE_ARGS": self.args, "KVMLTS_CACHE": os.path.join(self.top, "cache")}
        env.pop("BUILD", None)
        p = subprocess.run(["bash", os.path.join(self.top, "scripts", "check.sh"), *what],
                           env=env, capture_output=True, text=True, timeout=120)
        return p.returncode, p.stdout.strip().splitlines()[-1], p.stderr

    def test_all_pass(self):
        rc, last, _ = self.check("PASS PASS SKIP")
        # 12 phases + 4 suites of (2 passed, 1 skipped)
        self.assertEqual((rc, last), (0, "20 passed, 0 failed, 4 skipped"))
        with open(self.args) as f:
            runs = f.read().splitlines()
        self.assertEqual(len(runs), 4)
        self.assertTrue(all("--strict-skips" in r for r in runs))
        self.assertIn("--flavor kcsan", runs[3], "the kcsan kernel's aging suite is part of make check")
        self.assertIn("kvm.lockless_aging=1", runs[3])
        # The race tests with vCPUs in parallel: shadow mode only.
        self.assertIn("--modes shadow --", runs[2])
        self.assertIn("--tcg-threads multi", runs[2])
        # Lockless aging off: the TDP MMU and the rmaps (legacy), not shadow.
        self.assertIn("--modes tdp,legacy --", runs[1])
        self.assertIn("kvm.lockless_aging=0", runs[1])
        for r in (runs[0], runs[3]):
            self.assertIn("--modes tdp,legacy,shadow --", r)

    def test_counts_come_from_results_not_from_the_printed_line(self):
        rc, last, _ = self.check("PASS FAIL", line="2 passed, 0 failed, 0 skipped", rc=1)
        self.assertEqual(rc, 1)
        self.assertEqual(last, "16 passed, 4 failed, 0 skipped")

    def test_runner_failure_without_failed_verdict_fails(self):
        rc, last, err = self.check("PASS", rc=1)
        self.assertEqual(rc, 1)
        self.assertEqual(last, "16 passed, 4 failed, 0 skipped")
        self.assertIn("runner exit 1", err)

    def test_unknown_verdict_fails(self):
        rc, last, err = self.check("PASS MAYBE")
        self.assertEqual(rc, 1)
        self.assertIn("unknown verdict 'MAYBE'", err)
        self.assertEqual(last, "12 passed, 4 failed, 0 skipped")

    def test_missing_results_fails(self):
        rc, last, err = self.check("none")
        self.assertEqual(rc, 1)
        self.assertIn("cannot read the results", err)

    def test_kcsan_part_alone(self):
        rc, last, _ = self.check("PASS", what=("kcsan",))
        self.assertEqual((rc, last), (0, "6 passed, 0 failed, 0 skipped"))


if __name__ == "__main__":
    unittest.main()
