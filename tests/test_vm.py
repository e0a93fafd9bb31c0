"""Unit tests for scripts/vm.py: boot() and its watchdog with a stand-in for QEMU."""
import os
import queue
import sys
import time
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
TOP = os.path.dirname(HERE)
sys.path.insert(0, os.path.join(TOP, "scripts"))
sys.path.insert(0, TOP)
import vm  # noqa: E402
from tests.test_suites import Scratch  # noqa: E402


class BootTest(Scratch):
    """boot() with a stand-in for QEMU: a Python child that prints a console log."""

    def fake_guest(self, script):
        return [sys.executable, "-c", "import time\n" + script]

    def test_copies_console_and_follows_markers(self):
        script = ("for m in ['Linux version 6.12.117', 'kvmlts: BEGIN t', 'kvmlts: END t rc=0 secs=1',"
                  " 'kvmlts: DONE']:\n    print('[    1.000000] ' + m, flush=True)\n")
        progress = []
        killed = vm.boot(self.fake_guest(script), self.dir, [("t", 120)], progress.append)
        self.assertIsNone(killed)
        self.assertEqual(progress, ["  .. t started", "  .. t exited rc=0 after 1s"])
        with open(self.path("console.log"), encoding="utf-8") as f:
            self.assertEqual(f.read().splitlines()[1:], ["[    1.000000] kvmlts: BEGIN t",
                                                         "[    1.000000] kvmlts: END t rc=0 secs=1",
                                                         "[    1.000000] kvmlts: DONE"])
        with open(self.path("qemu.log"), encoding="utf-8") as f:
            self.assertTrue(f.read().startswith("$ "))

    def test_kills_a_test_that_overruns_its_timeout(self):
        self.addCleanup(setattr, vm, "GRACE", vm.GRACE)
        vm.GRACE = 0
        script = ("print('[    1.000000] kvmlts: BEGIN t', flush=True)\n"
                  "for i in range(200):\n    print('[    2.000000] still busy', flush=True)\n    time.sleep(0.05)\n")
        start = time.time()
        killed = vm.boot(self.fake_guest(script), self.dir, [("t", 1)], lambda s: None)
        self.assertEqual(killed, "killed: no progress during t")
        self.assertLess(time.time() - start, 8, "the test's own timeout (1 s), not the default, applies")


class FakeProc:
    """What watch() uses of a Popen: kill()."""
    killed = False

    def kill(self):
        self.killed = True


class WatchTest(Scratch):
    """watch() on a queue filled beforehand, as boot()'s reader thread fills it."""

    def watch(self, queued):
        lines = queue.Queue()
        for x in queued:
            lines.put(x)
        proc = FakeProc()
        with open(self.path("console.log"), "w", encoding="utf-8") as console:
            killed = vm.watch(proc, lines, console, {}, lambda s: None)
        with open(self.path("console.log"), encoding="utf-8") as f:
            return killed, proc.killed, f.read().splitlines()

    def overdue(self):
        """The boot is overdue from the start: the kill comes after the first line."""
        self.addCleanup(setattr, vm, "BOOT_TIMEOUT", vm.BOOT_TIMEOUT)
        vm.BOOT_TIMEOUT = -1

    def test_lines_queued_at_the_kill_reach_the_console_log(self):
        self.overdue()
        queued = ["[    1.0] Linux version 6.12.117\n", "[   22.0] watchdog: BUG: soft lockup - CPU#1 stuck\n",
                  "[   22.1] Call Trace:\n", None]
        self.assertEqual(self.watch(queued), ("killed: no progress during boot", True,
                                              [x.rstrip("\n") for x in queued[:3]]))

    def test_draining_is_bounded_when_the_output_does_not_end(self):
        self.overdue()
        self.addCleanup(setattr, vm, "DRAIN", vm.DRAIN)
        vm.DRAIN = 0.2
        start = time.time()
        killed, _, console = self.watch(["[    1.0] a\n", "[    2.0] b\n"])   # no None: the pipe stays open
        self.assertEqual((killed, console), ("killed: no progress during boot", ["[    1.0] a", "[    2.0] b"]))
        self.assertLess(time.time() - start, 3)


class QemuCommandTest(unittest.TestCase):
    def test_commas_in_paths_of_qemu_options_are_doubled(self):
        cmd = vm.qemu_command("/b,1/arch/x86/boot/bzImage", "/runs/a,b/tdp", ["-accel", "kvm"],
                              "tdp", [], "4G", 2)
        self.assertIn("local,id=run,path=/runs/a,,b/tdp,security_model=none", cmd)
        # -kernel takes its argument whole: a comma there is not escaped.
        self.assertEqual(cmd[cmd.index("-kernel") + 1], "/b,1/arch/x86/boot/bzImage")

    def test_plain_paths_are_unchanged(self):
        cmd = vm.qemu_command("/k/bzImage", "/runs/mmu-debug/tdp", [], "legacy", ["kvm.x=1"], "4G", 2)
        self.assertIn("local,id=run,path=/runs/mmu-debug/tdp,security_model=none", cmd)
        self.assertIn("kvm.tdp_mmu=0 kvm.x=1", cmd[cmd.index("-append") + 1])


class NoStartAfterKillAllTest(Scratch):
    def test_no_vm_starts_once_vmrun_is_being_terminated(self):
        self.addCleanup(setattr, vm, "_stopped", vm._stopped)
        vm.kill_all()
        with self.assertRaises(vm.Stopped):
            vm.boot([sys.executable, "-c", "pass"], self.dir, [], lambda s: None)


if __name__ == "__main__":
    unittest.main()
