"""scripts/mttcg-rates.sh with a fake vmrun.py and a fake QEMU: the QEMU
given (relative paths too) is the one vmrun finds first in PATH, each
invocation links it in its own directory, and the runs' table is printed."""
import json
import os
import shutil
import subprocess
import tempfile
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
TOP = os.path.dirname(HERE)

# Writes one passed run per test and mode, naming the QEMU it found in PATH.
FAKE_VMRUN = """import json, os, shutil, sys
args = sys.argv[1:]
def opt(name): return [args[i + 1] for i, a in enumerate(args) if a == name]
out = opt("--out")[0]
os.makedirs(out, exist_ok=True)
with open(os.path.join(out, "qemu-used"), "w") as f:
    f.write(os.path.realpath(shutil.which("qemu-system-x86_64")))
results = [{"test": t, "run": t, "mode": m, "verdict": "PASS", "reason": ""}
           for t in opt("--test") for m in opt("--modes")[0].split(",")]
accel = "tcg" if opt("--tcg-threads")[0] == "multi" else "tcg-single"
with open(os.path.join(out, "results.json"), "w") as f:
    json.dump({"flavor": opt("--flavor")[0], "accel": accel, "results": results}, f)
"""


class MttcgRatesTest(unittest.TestCase):
    def setUp(self):
        self.top = tempfile.mkdtemp(prefix="rates-test-")
        self.addCleanup(shutil.rmtree, self.top)
        os.makedirs(os.path.join(self.top, "scripts"))
        for name in ("lib.sh", "mttcg-rates.sh", "rates.py", "suites.py"):
            shutil.copy(os.path.join(TOP, "scripts", name), os.path.join(self.top, "scripts"))
        shutil.copy(os.path.join(TOP, "base.conf"), self.top)
        with open(os.path.join(self.top, "scripts", "vmrun.py"), "w") as f:
            f.write(FAKE_VMRUN)
        for k in ("debug", "base-debug"):
            boot = os.path.join(self.top, "build", f"kernel-{k}", "arch", "x86", "boot")
            os.makedirs(boot)
            open(os.path.join(boot, "bzImage"), "w").close()
        os.makedirs(os.path.join(self.top, "build", "selftests"))
        self.qemu = os.path.join(self.top, "myqemu")
        with open(self.qemu, "w") as f:
            f.write("#!/bin/sh\necho 'QEMU emulator version 9.1.3 (test)'\n")
        os.chmod(self.qemu, 0o755)

    def run_rates(self, **env):
        env = {**os.environ, "RATES_TESTS": "mmu_stress_test", "RATES_MODES": "tdp shadow",
               "RATES_THREADS": "multi", "RATES_KERNELS": "debug", **env}
        env.pop("BUILD", None)
        return subprocess.run(["bash", "scripts/mttcg-rates.sh", "2"], cwd=self.top, env=env,
                              capture_output=True, text=True, timeout=60)

    def test_relative_qemu_is_the_one_vmrun_finds(self):
        r = self.run_rates(RATES_QEMU="./myqemu")
        self.assertEqual(r.returncode, 0, r.stderr)
        rates = os.path.join(self.top, "build", "rates")
        runs = [d for d in os.listdir(rates) if d.startswith("9.1.3-debug-multi-")]
        self.assertEqual(len(runs), 1)
        with open(os.path.join(rates, runs[0], "qemu-used")) as f:
            self.assertEqual(f.read(), os.path.realpath(self.qemu))
        rows = [line.split()[:6] for line in r.stdout.splitlines()[1:]]
        self.assertEqual(rows, [["9.1.3", "debug", "tcg-multi", "mmu_stress_test", "tdp", "1/1"],
                                ["9.1.3", "debug", "tcg-multi", "mmu_stress_test", "shadow", "1/1"]])

    def test_bad_input(self):
        r = self.run_rates(RATES_QEMU="./nonexistent")
        self.assertEqual(r.returncode, 1)
        self.assertIn("RATES_QEMU=./nonexistent is not an executable", r.stderr)
        r = self.run_rates(RATES_KERNELS="nokernel")
        self.assertIn("no kernel nokernel", r.stderr)
        r = subprocess.run(["bash", "scripts/mttcg-rates.sh", "ten"], cwd=self.top,
                           capture_output=True, text=True, timeout=60)
        self.assertIn("a positive number, not 'ten'", r.stderr)


if __name__ == "__main__":
    unittest.main()
