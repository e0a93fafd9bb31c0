"""scripts/nested-guest.sh with a fake QEMU (prints what the nested guest's
init prints, and fills the cgroup's memory.stat the way reclaim would), a
fake ager, and fake cgroup and page_idle files: it passes only when the
guest verified every pass with no wrong word, QEMU exited 0, the ager made
its passes and the cgroup was really reclaimed; each failure names its cause.
The real programs (nested/*.c) are tested in tests/test_nested_programs.py."""
import os
import subprocess
import tempfile
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
SCRIPT = os.path.join(os.path.dirname(HERE), "scripts", "nested-guest.sh")

GOOD_GUEST = """memverify: start ram=240 MiB free=200 MiB fill=152 MiB passes=2
memverify: filled 152 MiB in 3.0 s
memverify: pass 1/2 words=19922944 bad=0 2.0 s
memverify: pass 2/2 words=19922944 bad=0 2.0 s
memverify: DONE passes=2 words=19922944 bad=0
"""
GOOD_STAT = "pgscan 5000\npgsteal 4000\npgmajfault 300\nworkingset_refault_anon 250\n"


class NestedGuestTest(unittest.TestCase):
    def setUp(self):
        self.tmp = tempfile.TemporaryDirectory()
        d = self.d = self.tmp.name
        self.bin = os.path.join(d, "bin")
        self.nested = os.path.join(d, "nested")
        self.cgroup = os.path.join(d, "cgroup")
        for sub in (self.bin, self.nested, self.cgroup, os.path.join(d, "logs")):
            os.mkdir(sub)
        self.write("cgroup/cgroup.controllers", "cpu io memory pids\n")
        self.write("kvm", "")
        self.write("page_idle", "")
        self.write("bzImage", "")
        self.write("nested/initramfs.cpio", "")
        self.qemu()
        self.ager()

    def tearDown(self):
        self.tmp.cleanup()

    def write(self, rel, text, mode=0o644):
        path = os.path.join(self.d, rel)
        with open(path, "w") as f:
            f.write(text)
        os.chmod(path, mode)
        return path

    def qemu(self, guest=GOOD_GUEST, stat=GOOD_STAT, rc=0, sleep=0.3):
        """A fake qemu-system-x86_64: it checks that it runs in the cgroup
        the script made, prints the guest's lines, 'reclaims' and exits."""
        guest_file = self.write("guest.txt", guest)
        stat_file = self.write("stat.txt", stat)
        self.write("bin/qemu-system-x86_64", f"""#!/bin/bash
echo "$*" >{self.d}/qemu-args
cg=$(grep -l -x $$ {self.cgroup}/kvmlts-nested-*/cgroup.procs) || {{ echo not in the cgroup; exit 99; }}
cp {stat_file} $(dirname $cg)/memory.stat
echo 52428800 >$(dirname $cg)/memory.swap.peak
sleep {sleep}
# Boot N prints guest-N.txt if the test wrote one.
echo x >>{self.d}/boots
boot=$(wc -l <{self.d}/boots)
if [ -f {self.d}/guest-$boot.txt ]; then cat {self.d}/guest-$boot.txt; else cat {guest_file}; fi
exit {rc}
""", 0o755)

    def ager(self, passes=5):
        """A fake ager: its passes, then DONE once QEMU is gone."""
        lines = "".join(f'echo "idle-ager: pass {i} present=100 swapped=5 young=7 ms=1"\n'
                        for i in range(1, passes + 1))
        self.write("nested/idle-ager", f"""#!/bin/bash
echo "idle-ager: pid $1 guest RAM 0-1000 (256 MiB)"
{lines}while kill -0 $1 2>/dev/null; do sleep 0.2; done
echo "idle-ager: DONE passes={passes}"
""", 0o755)

    def run_script(self, *args):
        env = {**os.environ, "PATH": self.bin + ":" + os.environ["PATH"],
               "NESTED_DIR": self.nested, "NESTED_KVM": os.path.join(self.d, "kvm"),
               "NESTED_PAGE_IDLE": os.path.join(self.d, "page_idle"),
               "NESTED_CGROUP": self.cgroup,
               "NESTED_UNDER_SWAP": "1", "NESTED_POLL": "0.1", "NESTED_LOGS": os.path.join(self.d, "logs")}
        return subprocess.run(["bash", SCRIPT, "--kernel", os.path.join(self.d, "bzImage"),
                               "--passes", "2", *args],
                              env=env, capture_output=True, text=True, timeout=60)

    def last_line(self, r):
        return r.stdout.strip().splitlines()[-1]

    def test_pass(self):
        r = self.run_script()
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
        self.assertTrue(self.last_line(r).startswith("nested-guest: PASS: 2 of 2 passes"), r.stdout)
        self.assertIn("ager 5 passes", self.last_line(r))
        # Each guest line is shown with the time since QEMU started.
        self.assertRegex(r.stdout, r"\[ *[0-9.]+ s\] memverify: DONE passes=2")
        self.assertIn("pgsteal 4000", r.stdout)
        self.assertIn("memory.swap.peak 52428800 bytes", r.stdout)
        with open(os.path.join(self.d, "qemu-args")) as f:
            args = f.read()
        self.assertIn("-accel kvm", args)
        self.assertIn("MV_PASSES=2", args)
        self.assertIn("-m 256M", args)
        self.assertIn("-cpu qemu64,kvm=off", args)
        # The memory limit was set below the guest's RAM.
        cgs = [c for c in os.listdir(self.cgroup) if c.startswith("kvmlts-nested-")]
        with open(os.path.join(self.cgroup, cgs[0], "memory.max")) as f:
            self.assertEqual(f.read().strip(), "160M")

    def test_append_goes_on_the_guest_command_line(self):
        r = self.run_script("--append", "nolapic noapic")
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
        with open(os.path.join(self.d, "qemu-args")) as f:
            self.assertIn("MV_PASSES=2 nolapic noapic", f.read())

    def test_wrong_word_fails(self):
        self.qemu(guest=GOOD_GUEST.replace("passes=2 words=19922944 bad=0",
                                           "passes=2 words=19922944 bad=3"))
        r = self.run_script()
        self.assertEqual(r.returncode, 1)
        self.assertIn("FAIL", self.last_line(r))
        self.assertIn("wrong words: 3", self.last_line(r))

    def test_guest_that_never_finishes_fails(self):
        self.qemu(guest="\n".join(GOOD_GUEST.splitlines()[:3]) + "\n")
        r = self.run_script()
        self.assertEqual(r.returncode, 1)
        self.assertIn("the guest never printed DONE", self.last_line(r))
        self.assertIn("1 of 2 verification passes", self.last_line(r))

    def test_qemu_status_fails(self):
        self.qemu(rc=1)
        r = self.run_script()
        self.assertEqual(r.returncode, 1)
        self.assertIn("QEMU exited with status 1", self.last_line(r))

    def test_timeout_kills_qemu(self):
        self.qemu(sleep=30)
        r = self.run_script("--timeout", "3")
        self.assertEqual(r.returncode, 1)
        self.assertIn("QEMU killed at the 3 s timeout", self.last_line(r))

    def test_guest_kernel_warning_fails(self):
        self.qemu(guest="[    3.1] WARNING: CPU: 0 PID: 1 at mm/foo.c:1 bar\n" + GOOD_GUEST)
        r = self.run_script()
        self.assertEqual(r.returncode, 1)
        self.assertIn("the nested guest's kernel reported: [    3.1] WARNING", self.last_line(r))

    def test_no_reclaim_fails(self):
        self.qemu(stat="pgscan 0\npgsteal 0\npgmajfault 0\nworkingset_refault_anon 0\n")
        r = self.run_script()
        self.assertEqual(r.returncode, 1)
        self.assertIn("no page of QEMU's cgroup was reclaimed", self.last_line(r))
        self.assertIn("no reclaimed anonymous page was faulted back in", self.last_line(r))

    def test_major_faults_alone_are_not_swap_ins(self):
        """QEMU's own file pages fault back in too; only anonymous refaults
        are guest memory coming back from swap."""
        self.qemu(stat="pgscan 500\npgsteal 400\npgmajfault 300\nworkingset_refault_anon 0\n")
        r = self.run_script()
        self.assertEqual(r.returncode, 1)
        self.assertIn("no reclaimed anonymous page was faulted back in", self.last_line(r))

    def test_too_few_ager_passes_fails(self):
        self.ager(passes=1)
        r = self.run_script()
        self.assertEqual(r.returncode, 1)
        self.assertIn("the ager completed 1 passes, fewer than 3", self.last_line(r))

    # What the nested guest's kernel printed in the runs of results/nested.txt.
    EMU = """[    5.6] WARNING: possible recursive locking detected
[    5.6] 6.12.117+ #2 Not tainted
[    5.6] --------------------------------------------
[    5.6] swapper/0/0 is trying to acquire lock:
[    5.6] ffff8880001554c0 (&irq_desc_lock_class){-.-.}-{2:2}, at: handle_edge_irq+0x1a/0x1d0
"""

    def test_boot_lost_to_the_emulator_is_retried(self):
        self.write("guest-1.txt", self.EMU)
        r = self.run_script()
        self.assertEqual(r.returncode, 0, r.stdout)
        self.assertIn("boot 1 lost to the emulator ('possible recursive locking detected in "
                      "handle_edge_irq'", r.stdout)
        self.assertIn("(boot 2; 1 lost to the emulator)", self.last_line(r))

    def test_every_boot_lost_fails(self):
        self.qemu(guest=self.EMU)
        r = self.run_script("--boots", "2")
        self.assertEqual(r.returncode, 1)
        self.assertIn("every boot lost to the emulator", self.last_line(r))
        self.assertIn("(boot 2; 1 lost to the emulator)", self.last_line(r))

    def test_wrong_word_is_never_retried(self):
        self.write("guest-1.txt", self.EMU + "memverify: DONE passes=2 words=19922944 bad=2\n")
        r = self.run_script()
        self.assertEqual(r.returncode, 1)
        self.assertIn("wrong words: 2", self.last_line(r))
        self.assertIn("(boot 1; 0 lost", self.last_line(r))

    def test_other_lockdep_report_is_not_retried(self):
        self.write("guest-1.txt", self.EMU.replace("handle_edge_irq", "some_driver_fn") + GOOD_GUEST)
        r = self.run_script()
        self.assertEqual(r.returncode, 1)
        self.assertIn("the nested guest's kernel reported: [    5.6] WARNING: possible recursive",
                      self.last_line(r))
        self.assertIn("(boot 1; 0 lost", self.last_line(r))

    def test_direct_signatures(self):
        for line in ("[ 2.0] BUG: spinlock recursion on CPU#0, swapper/0/0",
                     "[ 7.3] DEBUG_LOCKS_WARN_ON(lockdep_hardirq_context())"):
            with self.subTest(line=line):
                self.tearDown()
                self.setUp()
                self.write("guest-1.txt", "\x1b[2J" + line + "\n")
                r = self.run_script()
                self.assertEqual(r.returncode, 0, r.stdout)
                self.assertIn("boot 1 lost to the emulator ('" + line.split("] ")[1], r.stdout)

    def test_console_with_crlf(self):
        """The guest's serial console ends lines with CR LF: the signature,
        the counts and the reasons must not carry the CR."""
        self.qemu(guest=GOOD_GUEST.replace("\n", "\r\n"))
        self.write("guest-1.txt", "[ 2.0] BUG: spinlock recursion on CPU#0, swapper/0/0\r\n")
        self.write("guest-2.txt", self.EMU.replace("\n", "\r\n"))
        r = self.run_script("--boots", "3")
        self.assertEqual(r.returncode, 0, r.stdout)
        self.assertIn("('BUG: spinlock recursion on CPU#0, swapper/0/0' in the nested guest's "
                      "kernel): not counted", r.stdout)
        self.assertIn("in handle_edge_irq' in the nested guest's kernel): not counted", r.stdout)
        self.assertNotIn("\r", self.last_line(r))
        self.assertIn("over 19922944 words", self.last_line(r))

    def test_wrong_word_before_the_emulator_signature_is_not_retried(self):
        self.write("guest-1.txt", GOOD_GUEST.splitlines()[0] + "\n"
                   "memverify: bad pass=1 word=5 want=1 got=2\n" + self.EMU)
        r = self.run_script()
        self.assertEqual(r.returncode, 1, r.stdout)
        self.assertNotIn("not counted, booting again", r.stdout)
        self.assertIn("wrong words", self.last_line(r))

    def test_bad_input(self):
        r = self.run_script("--limit", "300")
        self.assertEqual(r.returncode, 1)
        self.assertIn("--limit 300 must be below --mem 256", r.stdout)
        r = self.run_script("--passes", "x")
        self.assertEqual(r.returncode, 2)
        for opt in ("--boots", "--passes"):
            r = self.run_script(opt, "0")
            self.assertEqual(r.returncode, 2, opt)
        r = self.run_script("--bogus", "1")
        self.assertEqual(r.returncode, 2)
        self.assertIn("usage:", r.stdout)

    def test_missing_initramfs(self):
        os.unlink(os.path.join(self.nested, "initramfs.cpio"))
        r = self.run_script()
        self.assertEqual(r.returncode, 1)
        self.assertIn("'make nested' builds it", r.stdout)


if __name__ == "__main__":
    unittest.main()
