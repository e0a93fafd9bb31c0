"""scripts/build-selftests.sh with a fake 'make' that resolves paths the way
make -C does (relative to the directory it changes to): an output directory
given relative to the caller (baseline.sh's, or by hand) must get the
headers and the programs, and the selftests must find those headers."""
import os
import shutil
import subprocess
import tempfile
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
TOP = os.path.dirname(HERE)

FAKE_MAKE = """#!/bin/bash
dir= out= output= hdr= target=
while [ $# -gt 0 ]; do
	case $1 in
	-C) dir=$2; shift ;;
	O=*) out=${1#O=} ;;
	OUTPUT=*) output=${1#OUTPUT=} ;;
	KHDR_INCLUDES=*) hdr=${1#KHDR_INCLUDES=-isystem } ;;
	-s|-j*|ARCH=*|CROSS_COMPILE=*|CC=*|EXTRA_CFLAGS=*) ;;
	*) target=$1 ;;
	esac
	shift
done
cd "$dir" || exit 2
if [ "$target" = headers_install ]; then
	mkdir -p "$out/usr/include/linux" && echo uapi >"$out/usr/include/linux/kvm.h"
	exit
fi
[ -f "$hdr/linux/kvm.h" ] || { echo "x86_64/foo.c: error: no linux/kvm.h in $hdr"; exit 2; }
mkdir -p "$output" && printf '#!/bin/sh\\n' >"$output/foo_test" && chmod +x "$output/foo_test"
"""


class BuildSelftestsTest(unittest.TestCase):
    def setUp(self):
        self.top = tempfile.mkdtemp(prefix="bs-test-")
        self.addCleanup(shutil.rmtree, self.top)
        os.makedirs(os.path.join(self.top, "scripts"))
        for name in ("lib.sh", "build-selftests.sh"):
            shutil.copy(os.path.join(TOP, "scripts", name), os.path.join(self.top, "scripts"))
        shutil.copy(os.path.join(TOP, "base.conf"), self.top)
        linux = os.path.join(self.top, "build", "linux")
        os.makedirs(os.path.join(linux, "tools", "testing", "selftests", "kvm"))
        subprocess.run(["git", "init", "-q", linux], check=True)
        subprocess.run(["git", "-C", linux, "-c", "user.name=t", "-c", "user.email=t@e",
                        "commit", "-q", "--allow-empty", "-m", "base"], check=True)
        subprocess.run(["git", "-C", linux, "tag", "base"], check=True)
        bindir = os.path.join(self.top, "bin")
        os.makedirs(bindir)
        with open(os.path.join(bindir, "make"), "w") as f:
            f.write(FAKE_MAKE)
        os.chmod(os.path.join(bindir, "make"), 0o755)
        self.env = {k: v for k, v in os.environ.items() if k not in ("BUILD", "KVMLTS_TREE")}
        self.env["PATH"] = bindir + ":" + os.environ["PATH"]

    def test_relative_output_directory(self):
        r = subprocess.run(["bash", "scripts/build-selftests.sh", "x86_64", "build/selftests-base"],
                           cwd=self.top, env=self.env, capture_output=True, text=True, timeout=30)
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
        out = os.path.join(self.top, "build", "selftests-base")
        self.assertTrue(os.path.isfile(os.path.join(out, "headers", "usr", "include", "linux", "kvm.h")))
        self.assertTrue(os.access(os.path.join(out, "foo_test"), os.X_OK))
        self.assertIn("1 programs in " + out, r.stderr)


if __name__ == "__main__":
    unittest.main()
