"""scripts/qemu-triple-fault-log.sh with a fake QEMU: -no-reboot is dropped,
QEMU's reset log is asked for, and QEMU is stopped once it logged a triple
fault (a QEMU that did not runs to its end)."""
import os
import subprocess
import tempfile
import time
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
SCRIPT = os.path.join(os.path.dirname(HERE), "scripts", "qemu-triple-fault-log.sh")

# Records its arguments, writes "Triple fault" to its -D log if told to,
# then runs for 20 s unless killed.
FAKE_QEMU = """#!/bin/bash
echo "$*" >"$FAKE_ARGS"
[ "$1" = --version ] && { echo "QEMU emulator version 7.2.22"; exit 0; }
while [ $# -gt 0 ]; do [ "$1" = -D ] && log=$2; shift; done
[ -n "$FAKE_TRIPLE" ] && { sleep 0.5; echo "Triple fault" >>"$log"; }
exec sleep 20
"""


class TripleFaultLogTest(unittest.TestCase):
    def setUp(self):
        self.tmp = tempfile.TemporaryDirectory()
        self.addCleanup(self.tmp.cleanup)
        self.d = self.tmp.name
        self.qemu = os.path.join(self.d, "qemu")
        with open(self.qemu, "w") as f:
            f.write(FAKE_QEMU)
        os.chmod(self.qemu, 0o755)

    def run_script(self, *args, triple=False):
        env = {**os.environ, "QEMU_REAL": self.qemu, "QEMU_LOG_DIR": os.path.join(self.d, "logs"),
               "QEMU_TRIPLE_WAIT": "0", "FAKE_ARGS": os.path.join(self.d, "args"),
               "FAKE_TRIPLE": "1" if triple else ""}
        start = time.monotonic()
        r = subprocess.run(["bash", SCRIPT, *args], env=env, capture_output=True, text=True,
                           timeout=30, stdin=subprocess.DEVNULL)
        with open(os.path.join(self.d, "args")) as f:
            return r, f.read().split(), time.monotonic() - start

    def test_triple_fault_stops_qemu_and_keeps_the_log(self):
        r, args, took = self.run_script("-smp", "2", "-no-reboot", "-nographic", triple=True)
        self.assertLess(took, 10)
        self.assertNotIn("-no-reboot", args)
        self.assertEqual(args[:2], ["-d", "cpu_reset,guest_errors"])
        self.assertEqual(args[-3:], ["-smp", "2", "-nographic"])
        log = args[args.index("-D") + 1]
        with open(log) as f:
            self.assertIn("Triple fault", f.read())
        self.assertIn("triple fault, CPU state in " + log, r.stderr)

    def test_version_passes_straight_through(self):
        r, args, _ = self.run_script("--version")
        self.assertEqual((r.returncode, args), (0, ["--version"]))
        self.assertIn("7.2.22", r.stdout)
        self.assertFalse(os.path.exists(os.path.join(self.d, "logs")))


if __name__ == "__main__":
    unittest.main()
