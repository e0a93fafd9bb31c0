"""scripts/qemu-triple-fault-log.sh with a fake QEMU: -no-reboot is dropped,
QEMU's reset log is asked for, QEMU is stopped once the guest reset (a
triple fault, said on stderr, or a plain reboot), and a QEMU whose guest
never resets runs to its end with its own exit status."""
import os
import subprocess
import tempfile
import time
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
SCRIPT = os.path.join(os.path.dirname(HERE), "scripts", "qemu-triple-fault-log.sh")

# Records its arguments; logs the resets QEMU does at power-on; then, after
# the wrapper's first look, the guest's triple fault and reset (FAKE_EVENT=
# triple), a reset alone (reboot), or nothing, exiting 3 (none); then it
# runs for 20 s unless killed.
FAKE_QEMU = """#!/bin/bash
echo "$*" >"$FAKE_ARGS"
[ "$1" = --version ] && { echo "QEMU emulator version 7.2.22"; exit 0; }
while [ $# -gt 0 ]; do [ "$1" = -D ] && log=$2; shift; done
printf 'CPU Reset (CPU 0)\\nCPU Reset (CPU 1)\\n' >>"$log"
sleep 3.5
case $FAKE_EVENT in
triple) printf 'Triple fault\\nCPU Reset (CPU 0)\\nRIP=ffffffff815e1910\\n' >>"$log" ;;
reboot) printf 'CPU Reset (CPU 0)\\n' >>"$log" ;;
none) exit 3 ;;
esac
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

    def run_script(self, *args, event="none"):
        env = {**os.environ, "QEMU_REAL": self.qemu, "QEMU_LOG_DIR": os.path.join(self.d, "logs"),
               "QEMU_TRIPLE_WAIT": "0", "QEMU_TRIPLE_SETTLE": "2", "FAKE_ARGS": os.path.join(self.d, "args"),
               "FAKE_EVENT": event}
        start = time.monotonic()
        r = subprocess.run(["bash", SCRIPT, *args], env=env, capture_output=True, text=True,
                           timeout=30, stdin=subprocess.DEVNULL)
        with open(os.path.join(self.d, "args")) as f:
            return r, f.read().split(), time.monotonic() - start

    def test_triple_fault_stops_qemu_and_keeps_the_log(self):
        r, args, took = self.run_script("-smp", "2", "-no-reboot", "-nographic", event="triple")
        self.assertLess(took, 12)
        self.assertNotIn("-no-reboot", args)
        self.assertEqual(args[:2], ["-d", "cpu_reset,guest_errors"])
        self.assertEqual(args[-3:], ["-smp", "2", "-nographic"])
        log = args[args.index("-D") + 1]
        with open(log) as f:
            self.assertIn("RIP=ffffffff815e1910", f.read())
        self.assertIn("triple fault, CPU state in " + log, r.stderr)

    def test_a_reboot_stops_qemu_too(self):
        r, _, took = self.run_script("-no-reboot", event="reboot")
        self.assertLess(took, 12)
        self.assertNotIn("triple fault", r.stderr)

    def test_qemu_without_a_reset_runs_to_its_end(self):
        r, _, _ = self.run_script("-no-reboot", event="none")
        self.assertEqual(r.returncode, 3)
        self.assertNotIn("triple fault", r.stderr)

    def test_version_passes_straight_through(self):
        r, args, _ = self.run_script("--version")
        self.assertEqual((r.returncode, args), (0, ["--version"]))
        self.assertIn("7.2.22", r.stdout)
        self.assertFalse(os.path.exists(os.path.join(self.d, "logs")))


if __name__ == "__main__":
    unittest.main()
