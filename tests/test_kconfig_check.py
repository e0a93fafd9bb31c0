"""Unit tests for scripts/kconfig-check.py."""
import contextlib
import importlib.util
import io
import os
import tempfile
import unittest

SCRIPT = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "scripts", "kconfig-check.py")


def load_module():
    spec = importlib.util.spec_from_file_location("kconfig_check", SCRIPT)
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


kc = load_module()

DOTCONFIG = """\
#
# Automatically generated file; DO NOT EDIT.
# Linux/x86 6.12.117 Kernel Configuration
#
CONFIG_CC_VERSION_TEXT="gcc (Debian 12.2.0-14) 12.2.0"
CONFIG_64BIT=y
CONFIG_SMP=y
CONFIG_NR_CPUS=8
# CONFIG_SLUB_TINY is not set
CONFIG_KVM=y
CONFIG_KVM_AMD=y
# CONFIG_KCSAN is not set
CONFIG_CMDLINE=""
"""


class Scratch(unittest.TestCase):
    def setUp(self):
        self.dir = tempfile.TemporaryDirectory()
        self.addCleanup(self.dir.cleanup)

    def write(self, name, text):
        path = os.path.join(self.dir.name, name)
        with open(path, "w", encoding="utf-8") as f:
            f.write(text)
        return path

    def run_main(self, *paths):
        out = io.StringIO()
        with contextlib.redirect_stdout(out):
            rc = kc.main(["kconfig-check.py", *paths])
        return rc, out.getvalue()


class ParseTest(Scratch):
    def test_parse_dotconfig(self):
        values = kc.parse(self.write(".config", DOTCONFIG))
        self.assertEqual(values, {
            "CONFIG_CC_VERSION_TEXT": '"gcc (Debian 12.2.0-14) 12.2.0"',
            "CONFIG_64BIT": "y",
            "CONFIG_SMP": "y",
            "CONFIG_NR_CPUS": "8",
            "CONFIG_SLUB_TINY": "n",
            "CONFIG_KVM": "y",
            "CONFIG_KVM_AMD": "y",
            "CONFIG_KCSAN": "n",
            "CONFIG_CMDLINE": '""',
        })

    def test_fragment_comments_and_indentation(self):
        frag = self.write("f.config", "# a comment about CONFIG_FOO\n\n  CONFIG_FOO=m\nCONFIG_BAR=n\n"
                                      "#CONFIG_BAZ is not set\n")
        # '#CONFIG_BAZ' (no space) is not the kconfig "is not set" form: ignored.
        self.assertEqual(kc.parse(frag), {"CONFIG_FOO": "m", "CONFIG_BAR": "n"})


class MissingTest(unittest.TestCase):
    def test_everything_present(self):
        self.assertEqual(kc.missing({"CONFIG_A": "y", "CONFIG_B": "8"}, {"CONFIG_A": "y", "CONFIG_B": "8"}), [])

    def test_dropped_option_reads_as_n(self):
        self.assertEqual(kc.missing({"CONFIG_A": "y"}, {"CONFIG_A": "y", "CONFIG_PROVE_LOCKING": "y"}),
                         [("CONFIG_PROVE_LOCKING", "y", "n")])

    def test_unset_request_is_satisfied_by_absence(self):
        self.assertEqual(kc.missing({}, {"CONFIG_SLUB_TINY": "n"}), [])

    def test_value_mismatch(self):
        self.assertEqual(kc.missing({"CONFIG_KVM": "y", "CONFIG_NR_CPUS": "64"},
                                    {"CONFIG_KVM": "m", "CONFIG_NR_CPUS": "8"}),
                         [("CONFIG_KVM", "m", "y"), ("CONFIG_NR_CPUS", "8", "64")])

    def test_request_for_n_but_set(self):
        self.assertEqual(kc.missing({"CONFIG_NUMA": "y"}, {"CONFIG_NUMA": "n"}), [("CONFIG_NUMA", "n", "y")])


class MainTest(Scratch):
    def test_all_survived(self):
        dot = self.write(".config", DOTCONFIG)
        frag = self.write("base.config", "CONFIG_SMP=y\nCONFIG_SLUB_TINY=n\nCONFIG_NR_CPUS=8\n")
        self.assertEqual(self.run_main(dot, frag), (0, ""))

    def test_missing_option_is_reported(self):
        dot = self.write(".config", DOTCONFIG)
        frag = self.write("kcsan.config", "CONFIG_KCSAN=y\nCONFIG_KVM=y\n")
        rc, out = self.run_main(dot, frag)
        self.assertEqual(rc, 1)
        self.assertEqual(out, "config: CONFIG_KCSAN=y requested but the final .config has CONFIG_KCSAN=n"
                              " (a missing dependency, or another option selects it)\n")

    def test_last_fragment_wins(self):
        dot = self.write(".config", DOTCONFIG)
        first = self.write("debug.config", "CONFIG_KCSAN=y\n")
        second = self.write("late.config", "# CONFIG_KCSAN is not set\n")
        self.assertEqual(self.run_main(dot, first, second), (0, ""))
        rc, out = self.run_main(dot, second, first)
        self.assertEqual(rc, 1)
        self.assertIn("CONFIG_KCSAN=y requested", out)

    def test_undefined_ok_ignores_only_options_the_tree_lacks(self):
        dot = self.write(".config", DOTCONFIG)
        os.makedirs(os.path.join(self.dir.name, "tree", "lib"))
        self.write("tree/lib/Kconfig.debug", "config KCSAN\n\tbool \"x\"\nmenuconfig KVM\n")
        frag = self.write("f.config", "CONFIG_KCSAN=y\nCONFIG_NEW_TEST=y\n")
        tree = os.path.join(self.dir.name, "tree")
        rc, out = self.run_main("--undefined-ok", tree, dot, frag)
        self.assertEqual(rc, 1, "KCSAN is defined by the tree and did not survive")
        self.assertIn(f"CONFIG_NEW_TEST=y requested, not defined by {tree} (ignored)", out)
        self.assertIn("CONFIG_KCSAN=y requested but the final .config has CONFIG_KCSAN=n", out)
        frag = self.write("g.config", "CONFIG_NEW_TEST=y\n")
        self.assertEqual(self.run_main("--undefined-ok", tree, dot, frag)[0], 0)
        self.assertEqual(self.run_main(dot, frag)[0], 1, "without the option it fails")

    def test_usage(self):
        with self.assertRaises(SystemExit) as cm:
            kc.main(["kconfig-check.py", "only-one-arg"])
        self.assertEqual(cm.exception.code,
                         "usage: kconfig-check.py [--undefined-ok TREE] DOTCONFIG FRAGMENT...")


if __name__ == "__main__":
    unittest.main()
