"""The helpers of scripts/lib.sh that more than one script uses:
no_warnings (w1-check.sh, vendor-build.sh) and fetch_deb (fetch-base.sh,
vendor-build.sh; its download and mismatch paths are also covered through
fetch-base.sh in test_fetch_base.py)."""
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

    def bash(self, script):
        env = {**os.environ, "KVMLTS_CACHE": os.path.join(self.d, "cache")}
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


if __name__ == "__main__":
    unittest.main()
