"""scripts/bench-guest.sh with a fake aging_perf_test: the runs, the order
of the variants, the parameter switched per run, and the per-run timeout."""
import os
import subprocess
import tempfile
import time
import unittest

TOP = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
SCRIPT = os.path.join(TOP, "scripts", "bench-guest.sh")

# Prints its arguments and the parameter's value; hangs when asked to by a
# file named after the run (vcpus-size-n, "n" being the control).
FAKE = """#!/bin/bash
param=$BENCH_PARAM
ctl=y; v=; b=
while [ $# -gt 0 ]; do
	case $1 in -n) ctl=n ;; -v) v=$2; shift ;; -b) b=$2; shift ;; esac
	shift
done
echo "fake: vcpus=$v size=$b aging=$ctl param=$(cat "$param")"
[ "$ctl" = n ] && [ -e "$(dirname "$0")/hang-$v-$b" ] && exec sleep 60
exit 0
"""


class BenchGuestTest(unittest.TestCase):
    def setUp(self):
        self.tmp = tempfile.TemporaryDirectory()
        self.dir = self.tmp.name
        prog = os.path.join(self.dir, "aging_perf_test")
        with open(prog, "w") as f:
            f.write(FAKE)
        os.chmod(prog, 0o755)
        self.param = os.path.join(self.dir, "lockless_aging")
        with open(self.param, "w") as f:
            f.write("Y\n")

    def tearDown(self):
        self.tmp.cleanup()

    def bench(self, *args, timeout="3"):
        env = dict(os.environ, KVMLTS_SELFTESTS=self.dir, BENCH_PARAM=self.param,
                   BENCH_LOCK_STAT=os.path.join(self.dir, "no-lock-stat"),
                   BENCH_RUN_TIMEOUT=timeout)
        start = time.monotonic()
        p = subprocess.run(["bash", SCRIPT, *args], env=env, capture_output=True, text=True,
                           timeout=50)
        return p, time.monotonic() - start

    def test_runs_every_variant_with_its_parameter(self):
        p, _ = self.bench("2", "1", "1", "8M")
        self.assertEqual(p.returncode, 0, p.stdout + p.stderr)
        heads = [l for l in p.stdout.splitlines() if l.startswith("== bench")]
        self.assertEqual([h.split("variant=")[1] for h in heads],
                         ["none", "locked", "lockless", "lockless", "none", "locked"])
        fakes = [l for l in p.stdout.splitlines() if l.startswith("fake:")]
        self.assertIn("aging=n", fakes[0])
        self.assertTrue(fakes[1].endswith("param=0"), fakes[1])
        self.assertTrue(fakes[2].endswith("param=1"), fakes[2])
        with open(self.param) as f:
            self.assertEqual(f.read().strip(), "1")  # left on at the end

    def test_stuck_run_is_killed_and_the_rest_still_run(self):
        open(os.path.join(self.dir, "hang-1-8M"), "w").close()
        p, secs = self.bench("1", "1", "1 2", "8M", timeout="2")
        self.assertEqual(p.returncode, 1)
        self.assertIn("bench: timed out after 2s (exit status 124)", p.stdout)
        self.assertLess(secs, 20)  # not the fake's 60 s
        # The runs after the stuck one happened: 2 vCPU counts x 3 variants.
        self.assertEqual(p.stdout.count("fake:"), 6)

    def test_failing_run_reports_its_status(self):
        with open(os.path.join(self.dir, "aging_perf_test"), "w") as f:
            f.write("#!/bin/bash\nexit 3\n")
        p, _ = self.bench("1", "1", "1", "8M")
        self.assertEqual(p.returncode, 1)
        self.assertEqual(p.stdout.count("bench: exit status 3"), 3)


if __name__ == "__main__":
    unittest.main()
