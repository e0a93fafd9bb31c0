"""scripts/with-zram-swap.sh against a fake zram sysfs directory and stub
mkswap/swapon/swapoff: swap is set up before the program and taken down
after it, whatever the program's exit status."""
import os
import subprocess
import tempfile
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
SCRIPT = os.path.join(os.path.dirname(HERE), "scripts", "with-zram-swap.sh")


class WithZramSwapTest(unittest.TestCase):
    def setUp(self):
        self.tmp = tempfile.TemporaryDirectory()
        d = self.d = self.tmp.name
        self.sys = os.path.join(d, "zram0")
        os.mkdir(self.sys)
        self.write("zram0/disksize", "0\n")
        self.write("zram0/comp_algorithm", "lzo [lzo-rle]\n")
        self.bin = os.path.join(d, "bin")
        os.mkdir(self.bin)
        self.log = os.path.join(d, "calls")
        for tool in ("mkswap", "swapon", "swapoff"):
            self.stub(tool, 0)
        self.prog = self.program("prog", 0)

    def tearDown(self):
        self.tmp.cleanup()

    def write(self, rel, text):
        with open(os.path.join(self.d, rel), "w") as f:
            f.write(text)

    def read(self, rel):
        path = os.path.join(self.d, rel)
        if not os.path.exists(path):
            return ""
        with open(path) as f:
            return f.read()

    def program(self, name, rc):
        path = os.path.join(self.d, name)
        with open(path, "w") as f:
            f.write(f'#!/bin/bash\necho "{name} $*" >>{self.log}\nexit {rc}\n')
        os.chmod(path, 0o755)
        return path

    def stub(self, tool, rc):
        path = os.path.join(self.bin, tool)
        with open(path, "w") as f:
            f.write(f'#!/bin/bash\necho "{tool} $*" >>{self.log}\nexit {rc}\n')
        os.chmod(path, 0o755)

    def run_script(self, *args, env=None):
        env = {**os.environ, "ZRAM_SYSFS": self.sys, "ZRAM_DEV": "/dev/fakezram",
               "PATH": self.bin + ":" + os.environ["PATH"], **(env or {})}
        return subprocess.run(["bash", SCRIPT, *args], env=env, capture_output=True, text=True)

    def calls(self):
        return self.read("calls").splitlines()

    def test_swap_around_the_program(self):
        p = self.run_script("256M", self.prog, "-m", "64M")
        self.assertEqual(p.returncode, 0, p.stdout + p.stderr)
        self.assertEqual(self.calls(), ["mkswap /dev/fakezram", "swapon /dev/fakezram",
                                        "prog -m 64M", "swapoff /dev/fakezram"])
        self.assertEqual(self.read("zram0/disksize"), "256M\n")
        self.assertEqual(self.read("zram0/reset"), "1\n")

    def test_program_status_is_kept_and_swap_taken_down(self):
        p = self.run_script("256M", self.program("failing", 4))
        self.assertEqual(p.returncode, 4)
        self.assertEqual(self.calls()[-1], "swapoff /dev/fakezram")
        self.assertEqual(self.read("zram0/reset"), "1\n")

    def test_selftest_name_is_looked_up_in_selftests(self):
        p = self.run_script("1G", "prog", "x", env={"KVMLTS_SELFTESTS": self.d})
        self.assertEqual(p.returncode, 0, p.stdout + p.stderr)
        self.assertIn("prog x", self.calls())

    def test_missing_program_fails_before_swap(self):
        p = self.run_script("1G", "no_such_test", env={"KVMLTS_SELFTESTS": self.d})
        self.assertEqual(p.returncode, 1)
        self.assertIn("no program", p.stdout)
        self.assertEqual(self.calls(), [])

    def test_device_in_use_fails(self):
        self.write("zram0/disksize", "268435456\n")
        p = self.run_script("256M", self.prog)
        self.assertEqual(p.returncode, 1)
        self.assertIn("in use", p.stdout)
        self.assertEqual(self.calls(), [])
        self.assertEqual(self.read("zram0/reset"), "")

    def test_swapon_failure_fails_and_resets(self):
        self.stub("swapon", 1)
        p = self.run_script("256M", self.prog)
        self.assertEqual(p.returncode, 1)
        self.assertIn("swapon /dev/fakezram failed", p.stdout)
        self.assertNotIn("prog", self.read("calls"))
        self.assertNotIn("swapoff", self.read("calls"))
        self.assertEqual(self.read("zram0/reset"), "1\n")

    def test_swapoff_failure_fails_a_passing_program(self):
        self.stub("swapoff", 1)
        p = self.run_script("256M", self.prog)
        self.assertEqual(p.returncode, 1)
        self.assertIn("swapoff /dev/fakezram failed", p.stdout)


if __name__ == "__main__":
    unittest.main()
