"""scripts/while-stress.sh with fake programs: a test run over and over while
a stress test runs, failing when either fails or when they did not overlap."""
import os
import subprocess
import tempfile
import unittest

TOP = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
SCRIPT = os.path.join(TOP, "scripts", "while-stress.sh")


class WhileStressTest(unittest.TestCase):
    def setUp(self):
        self.tmp = tempfile.TemporaryDirectory()
        self.dir = self.tmp.name
        # stress SECONDS STATUS; test SECONDS STATUS [FILE: fail on the 3rd run]
        self.fake("stress", '[ "$2" = 0 ] && exec sleep "$1"; sleep "$1"; exit "$2"')
        self.fake("test", 'n=$(($(cat count 2>/dev/null || echo 0) + 1)); echo $n >count\n'
                          '[ -n "$3" ] && [ $n = 3 ] && exit 7\nsleep "$1"; exit "$2"')

    def tearDown(self):
        self.tmp.cleanup()

    def fake(self, name, body):
        path = os.path.join(self.dir, name)
        with open(path, "w") as f:
            f.write("#!/bin/bash\n" + body + "\n")
        os.chmod(path, 0o755)

    def run_script(self, stress, *test):
        env = dict(os.environ, KVMLTS_SELFTESTS=self.dir)
        return subprocess.run(["bash", SCRIPT, stress, *test], env=env, capture_output=True,
                              text=True, timeout=30)

    def runs(self):
        with open(os.path.join(self.dir, "count")) as f:
            return int(f.read())

    def test_passes_while_the_stress_runs(self):
        p = self.run_script("stress 1 0", "test", "0.1", "0")
        self.assertEqual(p.returncode, 0, p.stdout)
        self.assertGreaterEqual(self.runs(), 2)
        self.assertIn("runs of test passed while stress ran", p.stdout)

    def test_a_failing_run_fails_and_stops_the_stress(self):
        p = self.run_script("stress 20 0", "test", "0.1", "0", "fail-third")
        self.assertEqual(p.returncode, 1)
        self.assertIn("run 3 of test failed (exit status 7)", p.stdout)
        self.assertEqual(self.runs(), 3)

    def test_a_failing_stress_fails(self):
        p = self.run_script("stress 0.5 3", "test", "0.1", "0")
        self.assertEqual(p.returncode, 1)
        self.assertIn("stress failed (exit status 3)", p.stdout)

    def test_no_overlap_fails(self):
        p = self.run_script("stress 0 0", "test", "0.5", "0")
        self.assertEqual(p.returncode, 1)
        self.assertIn("ended before the first run of test: no overlap", p.stdout)

    def test_usage(self):
        p = self.run_script("stress 0 0")
        self.assertEqual(p.returncode, 2)


if __name__ == "__main__":
    unittest.main()
