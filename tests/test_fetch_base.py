"""scripts/fetch-base.sh with fake apt-get, apt-cache and dpkg-deb on PATH:
stdout carries the tarball path and nothing else (worktree.sh reads it), the
SHA-256 is checked, and a version missing from the archive is named."""
import hashlib
import io
import os
import subprocess
import tarfile
import tempfile
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
SCRIPT = os.path.join(os.path.dirname(HERE), "scripts", "fetch-base.sh")
PKG = "linux-source-6.12"
VERSION = "6.12.99-1"

# The fake .deb is a plain tar holding the source tarball; the fake dpkg-deb
# --fsys-tarfile prints it.  apt-get download talks on stdout, as the real one.
FAKES = {
    "apt-cache": """#!/bin/sh
case "$1" in
show) [ "$2" = "%(pkg)s=%(version)s" ] ;;
madison) echo " %(pkg)s | 6.12.1-1 | http://deb.example bookworm/main all Packages"
         echo " %(pkg)s | 6.12.2-1 | http://deb.example bookworm/main all Packages" ;;
esac
""",
    "apt-get": """#!/bin/sh
echo "Get:1 http://deb.example bookworm/main amd64 $2 [153 MB]"
echo "Fetched 153 MB in 2s"
cp "$FAKE_DEB" "./%(pkg)s_%(version)s_all.deb"
""",
    "dpkg-deb": """#!/bin/sh
cat "$2"
""",
}


def make_deb(path, payload):
    with tarfile.open(path, "w") as t:
        info = tarfile.TarInfo("./usr/src/%s.tar.xz" % PKG)
        info.size = len(payload)
        t.addfile(info, io.BytesIO(payload))
    with open(path, "rb") as f:
        return hashlib.sha256(f.read()).hexdigest()


class FetchBaseTest(unittest.TestCase):
    def setUp(self):
        self.tmp = tempfile.TemporaryDirectory()
        d = self.tmp.name
        self.bin = os.path.join(d, "bin")
        self.cache = os.path.join(d, "cache")
        os.mkdir(self.bin)
        for name, text in FAKES.items():
            p = os.path.join(self.bin, name)
            with open(p, "w") as f:
                f.write(text % {"pkg": PKG, "version": VERSION})
            os.chmod(p, 0o755)
        self.payload = b"the kernel sources\n"
        self.deb = os.path.join(d, "fake.deb")
        self.sha = make_deb(self.deb, self.payload)

    def tearDown(self):
        self.tmp.cleanup()

    def fetch(self, version=VERSION, sha=None):
        env = {**os.environ, "PATH": self.bin + ":" + os.environ["PATH"],
               "KVMLTS_CACHE": self.cache, "FAKE_DEB": self.deb,
               "BASE_VERSION": version, "BASE_SHA256": sha or self.sha}
        return subprocess.run(["bash", SCRIPT], env=env, capture_output=True, text=True)

    def test_download_prints_only_the_tarball_path(self):
        p = self.fetch()
        self.assertEqual(p.returncode, 0, p.stderr)
        tarball = os.path.join(self.cache, "%s-%s.tar.xz" % (PKG, VERSION))
        self.assertEqual(p.stdout, tarball + "\n")
        self.assertIn("Get:1", p.stderr)
        with open(tarball, "rb") as f:
            self.assertEqual(f.read(), self.payload)

    def test_cached_tarball_is_not_downloaded_again(self):
        self.assertEqual(self.fetch().returncode, 0)
        os.remove(self.deb)  # a second download would fail
        p = self.fetch()
        self.assertEqual(p.returncode, 0, p.stderr)
        self.assertTrue(p.stdout.endswith(".tar.xz\n"))

    def test_sha256_mismatch_stops_and_keeps_the_file_aside(self):
        p = self.fetch(sha="0" * 64)
        self.assertNotEqual(p.returncode, 0)
        self.assertIn("SHA-256 mismatch", p.stderr)
        self.assertEqual(p.stdout, "")
        deb = os.path.join(self.cache, "%s_%s_all.deb" % (PKG, VERSION))
        self.assertTrue(os.path.exists(deb + ".bad"))
        self.assertFalse(os.path.exists(deb))

    def test_missing_version_names_the_available_ones(self):
        p = self.fetch(version="6.12.0-0")
        self.assertNotEqual(p.returncode, 0)
        self.assertIn("6.12.0-0 is not in the archive", p.stderr)
        self.assertIn("6.12.1-1 6.12.2-1", p.stderr)


if __name__ == "__main__":
    unittest.main()
