"""scripts/build-kernel.sh with a fake 'make' that resolves O= the way the
kernel's Makefile does (relative to the -C directory): a relative OUTDIR must
build, configure and check one and the same directory."""
import os
import shutil
import subprocess
import tempfile
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
TOP = os.path.dirname(HERE)

# tinyconfig writes a config without KVM, olddefconfig keeps what is there,
# bzImage writes the files a real build leaves in the output directory.
FAKE_MAKE = """#!/bin/bash
tree= out= target=
while [ $# -gt 0 ]; do
	case $1 in
	-C) tree=$2; shift ;;
	O=*) out=${1#O=} ;;
	-s|-j*|CC=*|HOSTCC=*) ;;
	*) target=$1 ;;
	esac
	shift
done
cd "$tree" && mkdir -p "$out" && cd "$out" || exit 2
case $target in
tinyconfig) printf '# CONFIG_KVM is not set\\nCONFIG_64BIT=y\\n' >.config ;;
olddefconfig) ;;
bzImage)
	echo "  CC      arch/x86/kvm/mmu/mmu.o"
	mkdir -p include/config arch/x86/boot
	cp .config include/config/auto.conf
	echo kernel >arch/x86/boot/bzImage ;;
*) exit 2 ;;
esac
"""


class BuildKernelTest(unittest.TestCase):
    def setUp(self):
        self.top = tempfile.mkdtemp(prefix="bk-test-")
        self.addCleanup(shutil.rmtree, self.top)
        os.makedirs(os.path.join(self.top, "scripts"))
        for name in ("lib.sh", "build-kernel.sh", "kconfig-check.py"):
            shutil.copy(os.path.join(TOP, "scripts", name), os.path.join(self.top, "scripts"))
        shutil.copy(os.path.join(TOP, "base.conf"), self.top)
        os.makedirs(os.path.join(self.top, "configs"))
        self.write("configs/base.config", "CONFIG_KVM=y\n")
        self.write("configs/debug.config", "CONFIG_PROVE_LOCKING=y\n")
        self.linux = os.path.join(self.top, "build", "linux")
        os.makedirs(self.linux)
        subprocess.run(["git", "init", "-q", self.linux], check=True)
        subprocess.run(["git", "-C", self.linux, "-c", "user.name=t", "-c", "user.email=t@e",
                        "commit", "-q", "--allow-empty", "-m", "base"], check=True)
        subprocess.run(["git", "-C", self.linux, "tag", "base"], check=True)
        bindir = os.path.join(self.top, "bin")
        os.makedirs(bindir)
        self.write("bin/make", FAKE_MAKE)
        self.env = {**os.environ, "PATH": bindir + ":" + os.environ["PATH"],
                    "KVMLTS_CACHE": os.path.join(self.top, "cache"), "KVMLTS_PROGRESS": "1"}
        self.env.pop("BUILD", None)
        self.env.pop("KVMLTS_TREE", None)

    def write(self, rel, text):
        path = os.path.join(self.top, rel)
        with open(path, "w", encoding="utf-8") as f:
            f.write(text)
        os.chmod(path, 0o755)

    def build(self, *args):
        return subprocess.run(["bash", os.path.join(self.top, "scripts", "build-kernel.sh"), *args],
                              cwd=self.top, env=self.env, capture_output=True, text=True, timeout=60)

    def test_relative_outdir_is_the_directory_built_and_checked(self):
        p = self.build("debug", "build/kernel-x")
        self.assertEqual(p.returncode, 0, p.stderr)
        out = os.path.join(self.top, "build", "kernel-x")
        self.assertTrue(os.path.exists(os.path.join(out, "arch/x86/boot/bzImage")))
        self.assertFalse(os.path.exists(os.path.join(self.linux, "build")),
                         "nothing is built inside the source tree")
        with open(os.path.join(out, "include/config/auto.conf")) as f:
            used = f.read()
        self.assertIn("CONFIG_KVM=y", used, "the build used the config with the fragments")
        self.assertIn(f"kernel: {out}/arch/x86/boot/bzImage", p.stderr)

    def test_default_outdir(self):
        p = self.build("debug")
        self.assertEqual(p.returncode, 0, p.stderr)
        self.assertTrue(os.path.exists(os.path.join(self.top, "build/kernel-debug/arch/x86/boot/bzImage")))

    def test_outdir_inside_the_tree_is_refused(self):
        p = self.build("debug", "build/linux/out")
        self.assertNotEqual(p.returncode, 0)
        self.assertIn("inside the source tree", p.stderr)

    def test_unknown_flavor(self):
        p = self.build("fast")
        self.assertNotEqual(p.returncode, 0)
        self.assertIn("unknown flavor 'fast' (flavors: debug", p.stderr)


if __name__ == "__main__":
    unittest.main()
