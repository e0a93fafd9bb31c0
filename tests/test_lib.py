"""The helpers of scripts/lib.sh that more than one script uses:
no_warnings (w1-check.sh, vendor-build.sh), fetch_deb (fetch-base.sh,
vendor-build.sh; its download and mismatch paths are also covered through
fetch-base.sh in test_fetch_base.py), verify_sha256 (fetch_deb,
fetch-qemu10.sh) and ensure_packages (deps.sh, fetch-qemu10.sh)."""
import hashlib
import os
import subprocess
import tempfile
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
LIB = os.path.join(os.path.dirname(HERE), "scripts", "lib.sh")
KVM_ONLY = "^[^ ]*(arch/x86/kvm|virt/kvm)/[^ ]*: warning:"


class LibTest(unittest.TestCase):
    def setUp(self):
        self.tmp = tempfile.TemporaryDirectory()
        self.addCleanup(self.tmp.cleanup)
        self.d = self.tmp.name

    def bash(self, script, path=None):
        env = {**os.environ, "KVMLTS_CACHE": os.path.join(self.d, "cache")}
        if path:
            env["PATH"] = path + os.pathsep + env["PATH"]
        return subprocess.run(["bash", "-c", f'. "{LIB}"; {script}'], env=env,
                              capture_output=True, text=True, timeout=30)

    def log(self, text):
        path = os.path.join(self.d, "build.log")
        with open(path, "w") as f:
            f.write(text)
        return path

    def test_clean_log_passes(self):
        log = self.log("  CC [M]  arch/x86/kvm/mmu/mmu.o\n")
        r = self.bash(f'no_warnings {log} "kvm build"; echo went on')
        self.assertEqual((r.returncode, r.stdout), (0, "went on\n"), r.stderr)

    def test_warning_stops_and_is_shown(self):
        log = self.log("  CC [M]  arch/x86/kvm/x86.o\n"
                       "include/linux/kvm_host.h:12:5: warning: unused variable 'x'\n")
        r = self.bash(f'no_warnings {log} "kvm build"; echo went on')
        self.assertEqual(r.returncode, 1)
        self.assertNotIn("went on", r.stdout)
        self.assertIn("kvm_host.h:12:5: warning: unused variable", r.stderr)
        self.assertIn("error: kvm build: 1 warning(s)", r.stderr)

    def test_pattern_limits_the_warnings_that_count(self):
        log = self.log("lib/foo.c:1:1: warning: outside KVM\n")
        r = self.bash(f'no_warnings {log} w1 "{KVM_ONLY}"; echo went on')
        self.assertEqual((r.returncode, r.stdout), (0, "went on\n"), r.stderr)
        log = self.log("arch/x86/kvm/mmu/mmu.c:1:1: warning: in KVM\n")
        r = self.bash(f'no_warnings {log} w1 "{KVM_ONLY}"; echo went on')
        self.assertEqual(r.returncode, 1)
        self.assertIn("mmu.c:1:1: warning: in KVM", r.stderr)

    def test_fetch_deb_uses_the_cached_file_when_its_sum_matches(self):
        cache = os.path.join(self.d, "cache")
        os.makedirs(cache)
        deb = os.path.join(cache, "pkg_1.0-1_amd64.deb")
        with open(deb, "wb") as f:
            f.write(b"a package")
        good = hashlib.sha256(b"a package").hexdigest()
        r = self.bash(f"fetch_deb pkg 1.0-1 amd64 {good}")
        self.assertEqual((r.returncode, r.stdout.strip()), (0, deb), r.stderr)
        r = self.bash(f"fetch_deb pkg 1.0-1 amd64 {'0' * 64}; echo went on")
        self.assertEqual(r.returncode, 1)
        self.assertNotIn("went on", r.stdout)
        self.assertIn("SHA-256 mismatch", r.stderr)
        self.assertFalse(os.path.exists(deb))
        self.assertTrue(os.path.exists(deb + ".bad"))

    def stub_apt(self, installed, uid):
        """dpkg-query that knows INSTALLED, id -u printing UID, and an
        apt-get that records its arguments in apt.log."""
        bin_dir = os.path.join(self.d, "bin")
        os.makedirs(bin_dir, exist_ok=True)
        stubs = {
            "dpkg-query": 'for p in %s; do [ "${@: -1}" = "$p" ] && '
                          "{ echo 'install ok installed'; exit 0; }; done; exit 1"
                          % " ".join(installed),
            "id": f"echo {uid}",
            "apt-get": f'echo "$*" >>{self.d}/apt.log; echo "Get:1 {self.d} progress"',
        }
        for name, body in stubs.items():
            path = os.path.join(bin_dir, name)
            with open(path, "w") as f:
                f.write("#!/bin/bash\n" + body + "\n")
            os.chmod(path, 0o755)
        return bin_dir

    def apt_log(self):
        path = os.path.join(self.d, "apt.log")
        if not os.path.exists(path):
            return ""
        with open(path) as f:
            return f.read()

    def test_ensure_packages_installs_only_what_is_missing(self):
        stubs = self.stub_apt(["gcc", "make"], 0)
        r = self.bash("ensure_packages deps gcc make libfoo1 libbar2; echo went on", stubs)
        self.assertEqual((r.returncode, r.stdout), (0, "went on\n"), r.stderr)
        self.assertIn("deps: missing: libfoo1 libbar2", r.stderr)
        self.assertEqual(self.apt_log(),
                         "update -q\ninstall -y -q --no-install-recommends libfoo1 libbar2\n")

    def test_ensure_packages_does_nothing_when_all_are_there(self):
        stubs = self.stub_apt(["gcc", "make"], 1000)
        r = self.bash("ensure_packages deps gcc make; echo went on", stubs)
        self.assertEqual((r.returncode, r.stdout), (0, "went on\n"), r.stderr)
        self.assertIn("deps: all 2 packages installed", r.stderr)
        self.assertEqual(self.apt_log(), "")

    def test_ensure_packages_without_root_says_what_to_install(self):
        stubs = self.stub_apt(["gcc"], 1000)
        r = self.bash("ensure_packages fetch-qemu10 gcc libfoo1; echo went on", stubs)
        self.assertEqual(r.returncode, 1)
        self.assertNotIn("went on", r.stdout)
        self.assertIn("sudo apt-get install libfoo1", r.stderr)
        self.assertEqual(self.apt_log(), "")


if __name__ == "__main__":
    unittest.main()
