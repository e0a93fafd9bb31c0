"""Unit tests for scripts/vmrun.py, the command line: main() end to end with a fake QEMU."""
import contextlib
import io
import json
import os
import signal
import subprocess
import sys
import time
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
TOP = os.path.dirname(HERE)
DATA = os.path.join(HERE, "data")
sys.path.insert(0, os.path.join(TOP, "scripts"))
sys.path.insert(0, TOP)
import suites  # noqa: E402
import verdict  # noqa: E402
import vmrun  # noqa: E402
from tests.test_suites import Scratch  # noqa: E402

FAKE_QEMU = """\
import os, sys, time
# Stands in for qemu-system-x86_64 + scripts/guest-init.sh: runs the plan, prints the markers.
# FAKE_GUEST_INFO: what RUN/guest-info says ("missing": no such file)
# FAKE_RC: the exit status of every test (default 0)
# FAKE_HANG_PIDFILE: write the fake's pid there after the first BEGIN, then hang


def options(text):
    # QEMU's syntax: key=value pairs separated by ",", where ",," is a comma.
    pairs, cur, i = [], "", 0
    while i < len(text):
        if text.startswith(",,", i):
            cur, i = cur + ",", i + 2
        elif text[i] == ",":
            pairs.append(cur)
            cur, i = "", i + 1
        else:
            cur, i = cur + text[i], i + 1
    pairs.append(cur)
    opts = dict(p.partition("=")[::2] for p in pairs)
    bad = set(opts) - {"local", "id", "path", "security_model", "readonly", "multidevs"}
    if bad:
        sys.exit(f"qemu-system-x86_64: -fsdev {text}: Invalid parameter '{bad.pop()}'")
    return opts


rundir = next(o["path"] for o in map(options, (a for a in sys.argv if a.startswith("local,")))
              if o["id"] == "run")
info = os.environ.get("FAKE_GUEST_INFO", "cpus: 2\\nvirtualization: svm\\nkvm: /dev/kvm\\n")
if info != "missing":
    with open(os.path.join(rundir, "guest-info"), "w") as f:
        f.write(info)
print("[    0.000000] Linux version 6.12.117 (fake)", flush=True)
with open(os.path.join(rundir, "plan")) as plan:
    for n, line in enumerate(plan):
        name = line.split()[0]
        print(f"[    1.{n:06d}] kvmlts: BEGIN {name}", flush=True)
        if os.environ.get("FAKE_HANG_PIDFILE"):
            with open(os.environ["FAKE_HANG_PIDFILE"] + ".tmp", "w") as f:
                f.write(str(os.getpid()))
            os.rename(os.environ["FAKE_HANG_PIDFILE"] + ".tmp", os.environ["FAKE_HANG_PIDFILE"])
            time.sleep(600)
        rc = os.environ.get("FAKE_RC", "0")
        with open(os.path.join(rundir, "logs", name + ".log"), "w") as log:
            log.write("$ " + " ".join(line.split()[3:]) + "\\n")
            if rc == "4":
                log.write("1..0 # SKIP - Requirement not met: kvm_check_cap(KVM_CAP_X)\\n")
        print(f"[    2.{n:06d}] kvmlts: END {name} rc={rc} secs=1", flush=True)
print("[    3.000000] kvmlts: DONE", flush=True)
"""


class FakeBuild(Scratch):
    """A scratch build/ with a dummy kernel image and selftest, and bin/ with the fake QEMU."""

    def setUp(self):
        super().setUp()
        self.bindir = self.path("bin")
        os.makedirs(self.bindir)
        with open(os.path.join(self.bindir, "qemu-system-x86_64"), "w") as f:
            f.write(f"#!{sys.executable}\n" + FAKE_QEMU)
        os.chmod(os.path.join(self.bindir, "qemu-system-x86_64"), 0o755)
        kernel = self.path("build", "kernel-debug", "arch", "x86", "boot")
        os.makedirs(kernel)
        open(os.path.join(kernel, "bzImage"), "w").close()
        os.makedirs(self.path("build", "selftests"))
        open(self.path("build", "selftests", "guest_memfd_test"), "w").close()


class MainTest(FakeBuild):
    """main() end to end, with a fake QEMU on PATH and a dummy kernel image."""

    def setUp(self):
        super().setUp()
        self.addCleanup(os.environ.__setitem__, "PATH", os.environ["PATH"])
        os.environ["PATH"] = self.bindir + os.pathsep + os.environ["PATH"]
        self.patch(vmrun, "BUILD", self.path("build"))
        self.patch(vmrun, "ALLOWLIST", os.path.join(DATA, "kcsan-allowlist.txt"))

    def patch(self, module, name, value):
        self.addCleanup(setattr, module, name, getattr(module, name))
        setattr(module, name, value)

    def setenv(self, name, value):
        """Set an environment variable for the fake QEMU, for this test only."""
        self.addCleanup(os.environ.pop, name, None)
        os.environ[name] = value

    def run_main(self, *argv, out="out"):
        printed = io.StringIO()
        with contextlib.redirect_stdout(printed):
            rc = vmrun.main(list(argv) + ["--accel", "tcg", "--out", self.path(out)])
        return rc, printed.getvalue().splitlines()

    def test_a_program_that_was_not_built_fails(self):
        os.remove(self.path("build", "selftests", "guest_memfd_test"))
        rc, lines = self.run_main("--test", "guest_memfd_test", "--modes", "tdp")
        self.assertEqual(rc, 1)
        self.assertIn("FAIL  guest_memfd_test [tdp] (not built: program "
                      + self.path("build", "selftests", "guest_memfd_test") + "; -)", lines)
        self.assertEqual(lines[-1], "0 passed, 1 failed, 0 skipped")

    def test_absent_ok_skips_a_program_the_tree_lacks(self):
        os.remove(self.path("build", "selftests", "guest_memfd_test"))
        rc, lines = self.run_main("--test", "guest_memfd_test", "--modes", "tdp", "--absent-ok")
        self.assertEqual(rc, 0)
        self.assertTrue(any(x.startswith("SKIP  guest_memfd_test [tdp] (not in this tree: ") for x in lines))
        self.assertEqual(lines[-1], "0 passed, 0 failed, 1 skipped")

    def write_suites(self, text):
        path = self.path("suites.cfg")
        with open(path, "w", encoding="utf-8") as f:
            f.write(text)
        return path

    def test_a_test_whose_kernel_option_is_not_set(self):
        with open(self.path("build", "kernel-debug", ".config"), "w", encoding="utf-8") as f:
            f.write("CONFIG_KUNIT=y\n# CONFIG_KVM_MMU_RMAP_KUNIT_TEST is not set\n")
        cfg = self.write_suites("[kunit]\ncmd = guest_memfd_test\ngroups = g\n"
                                   "config = CONFIG_KUNIT CONFIG_KVM_MMU_RMAP_KUNIT_TEST\n")
        rc, lines = self.run_main("--suites", cfg, "--suite", "g", "--modes", "tdp")
        self.assertEqual(rc, 1)
        self.assertIn("FAIL  kunit [tdp] (not built: kernel without CONFIG_KVM_MMU_RMAP_KUNIT_TEST; -)",
                      lines)
        rc, lines = self.run_main("--suites", cfg, "--suite", "g", "--modes", "tdp", "--absent-ok")
        self.assertEqual(rc, 0)
        self.assertIn("SKIP  kunit [tdp] (not in this tree: kernel without "
                      "CONFIG_KVM_MMU_RMAP_KUNIT_TEST; -)", lines)
        with open(self.path("build", "kernel-debug", ".config"), "a", encoding="utf-8") as f:
            f.write("CONFIG_KVM_MMU_RMAP_KUNIT_TEST=y\n")
        rc, lines = self.run_main("--suites", cfg, "--suite", "g", "--modes", "tdp")
        self.assertEqual(lines[-1], "1 passed, 0 failed, 0 skipped")

    def test_runs_a_test_in_two_modes(self):
        out = io.StringIO()
        with contextlib.redirect_stdout(out):
            rc = vmrun.main(["--test", "guest_memfd_test", "--modes", "tdp,shadow", "--accel", "tcg",
                             "--out", self.path("out")])
        self.assertEqual(rc, 0, out.getvalue())
        self.assertEqual(out.getvalue().splitlines()[-1], "2 passed, 0 failed, 0 skipped")
        with open(self.path("out", "shadow", "plan"), encoding="utf-8") as f:
            self.assertEqual(f.read().split()[:3], ["guest_memfd_test", "120", "kvm_amd.npt=N"])
        with open(self.path("out", "results.json"), encoding="utf-8") as f:
            results = json.load(f)["results"]
        self.assertEqual([(r["run"], r["mode"], r["verdict"]) for r in results],
                         [("guest_memfd_test", "tdp", "PASS"), ("guest_memfd_test", "shadow", "PASS")])

    def test_out_directory_with_a_comma(self):
        # The fake QEMU parses -fsdev as QEMU does: an unescaped comma in
        # path= would end the path and start an invalid parameter.
        rc, lines = self.run_main("--test", "guest_memfd_test", "--modes", "tdp", out="run,1")
        self.assertEqual((rc, lines[-1]), (0, "1 passed, 0 failed, 0 skipped"), "\n".join(lines))
        self.assertTrue(os.path.exists(self.path("run,1", "tdp", "logs", "guest_memfd_test.log")))

    def test_a_guest_without_kvm_fails_the_mode(self):
        # As --accel kvm gives on a host without nested virtualization: the
        # guest has neither SVM/VMX nor /dev/kvm, and every test skips.
        self.setenv("FAKE_GUEST_INFO", "cpus: 2\nkvm: none\n")
        self.setenv("FAKE_RC", "4")
        rc, lines = self.run_main("--test", "guest_memfd_test", "--modes", "tdp,shadow")
        self.assertEqual(rc, 1)
        self.assertIn("FAIL  guest-setup [shadow] (no svm/vmx flag in the guest's CPU; "
                      "no /dev/kvm in the guest; -)", lines)
        self.assertEqual(lines[-1], "0 passed, 2 failed, 2 skipped")
        with open(self.path("out", "results.json"), encoding="utf-8") as f:
            results = json.load(f)["results"]
        self.assertEqual([(r["run"], r["mode"], r["verdict"]) for r in results],
                         [("guest-setup", "tdp", "FAIL"), ("guest_memfd_test", "tdp", "SKIP"),
                          ("guest-setup", "shadow", "FAIL"), ("guest_memfd_test", "shadow", "SKIP")])

    def test_a_guest_that_wrote_no_guest_info_fails_the_mode(self):
        self.setenv("FAKE_GUEST_INFO", "missing")
        rc, lines = self.run_main("--test", "guest_memfd_test", "--modes", "tdp")
        self.assertEqual(rc, 1)
        self.assertIn("FAIL  guest-setup [tdp] (no guest-info: the guest never got to its setup; -)", lines)
        self.assertEqual(lines[-1], "1 passed, 1 failed, 0 skipped")

    def test_strict_skips(self):
        self.setenv("FAKE_RC", "4")
        cfg = self.write_suites("[t]\ncmd = guest_memfd_test\ngroups = g\nknown = shadow: needs X\n")
        rc, lines = self.run_main("--suites", cfg, "--suite", "g", "--modes", "tdp,shadow")
        self.assertEqual((rc, lines[-1]), (0, "0 passed, 0 failed, 2 skipped"))
        rc, lines = self.run_main("--suites", cfg, "--suite", "g", "--modes", "tdp,shadow", "--strict-skips")
        self.assertEqual((rc, lines[-1]), (1, "0 passed, 1 failed, 1 skipped"))
        self.assertIn("FAIL  t [tdp] (unexpected skip: 1..0 # SKIP - Requirement not met: "
                      "kvm_check_cap(KVM_CAP_X); 1s)", lines)
        self.assertIn("SKIP  t [shadow] (1..0 # SKIP - Requirement not met: kvm_check_cap(KVM_CAP_X); "
                      "known on base: needs X; 1s)", lines)

    def test_strict_skips_and_absent_ok_are_refused_together(self):
        err = io.StringIO()
        with contextlib.redirect_stderr(err):
            rc, lines = self.run_main("--test", "guest_memfd_test", "--strict-skips", "--absent-ok")
        self.assertEqual(rc, 2)
        self.assertEqual(err.getvalue(), "vmrun: --strict-skips and --absent-ok do not go together\n")

    def test_bad_arguments(self):
        err = io.StringIO()
        with contextlib.redirect_stderr(err):
            self.assertEqual(vmrun.main(["--test", "guest_memfd_test", "--modes", "ept"]), 2)
            self.assertEqual(vmrun.main(["--test", "no_such_test"]), 2)
            self.assertEqual(vmrun.main(["--suite", "mmu", "--param", "tdp_mmu=0"]), 2)
        self.assertEqual(err.getvalue().splitlines(), [
            "vmrun: unknown mode 'ept' (modes: tdp, legacy, shadow)",
            f"vmrun: no test named no_such_test in {suites.SUITES}",
            "vmrun: --param tdp_mmu=0: expected MODULE.PARAM=VALUE"])


class DocTest(unittest.TestCase):
    def test_docstrings_rank_verdicts_as_implemented(self):
        ranked = " > ".join(sorted(verdict.RANK, key=verdict.RANK.get, reverse=True))
        self.assertEqual(ranked, "CRASH > FAIL > PASS > XFAIL > SKIP")
        self.assertIn(ranked, vmrun.__doc__)
        self.assertIn(ranked, verdict.__doc__)


def alive(pid):
    """Whether process PID runs (a zombie does not: it is dead, only not reaped yet)."""
    try:
        with open(f"/proc/{pid}/stat", encoding="utf-8") as f:
            return f.read().rsplit(")", 1)[1].split()[0] != "Z"
    except FileNotFoundError:
        return False


class SigtermTest(FakeBuild):
    """vmrun.py as a process, its VM booted by a worker thread, then SIGTERM."""

    def kill_if_alive(self, pid):
        if alive(pid):
            os.kill(pid, signal.SIGKILL)

    def test_sigterm_kills_the_vm_and_exits_143(self):
        pidfile = self.path("qemu.pid")
        env = dict(os.environ, PATH=self.bindir + os.pathsep + os.environ["PATH"], BUILD=self.path("build"),
                   FAKE_HANG_PIDFILE=pidfile)
        runner = subprocess.Popen([sys.executable, os.path.join(TOP, "scripts", "vmrun.py"),
                                   "--test", "guest_memfd_test", "--modes", "tdp", "--accel", "tcg",
                                   "--out", self.path("out")],
                                  env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
        self.addCleanup(runner.wait)
        self.addCleanup(self.kill_if_alive, runner.pid)
        for _ in range(200):          # the fake QEMU writes its pid once the test began
            if os.path.exists(pidfile) or runner.poll() is not None:
                break
            time.sleep(0.05)
        self.assertTrue(os.path.exists(pidfile), "the fake QEMU never started")
        with open(pidfile, encoding="utf-8") as f:
            qemu = int(f.read())
        self.addCleanup(self.kill_if_alive, qemu)
        runner.send_signal(signal.SIGTERM)
        try:
            output = runner.communicate(timeout=20)[0].decode()
        except subprocess.TimeoutExpired:
            self.fail("vmrun did not exit on SIGTERM (its worker thread still waits on the VM?)")
        self.assertEqual(runner.returncode, 143, output)
        self.assertFalse(alive(qemu), "the VM outlived vmrun")


if __name__ == "__main__":
    unittest.main()
