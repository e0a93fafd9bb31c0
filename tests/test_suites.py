"""Unit tests for scripts/suites.py: the suite file, selection, the plan.

Also the helpers the other tests of vmrun.py's modules share (Scratch, entry)."""
import os
import re
import shutil
import sys
import tempfile
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
TOP = os.path.dirname(HERE)
sys.path.insert(0, os.path.join(TOP, "scripts"))
import suites  # noqa: E402


def entry(timeout=300, known=None, modes=("tdp", "legacy", "shadow")):
    """A test as load_suites returns it."""
    return {"cmd": "x", "args": "", "groups": ["mmu"], "timeout": timeout, "modes": list(modes),
            "check": [], "known": dict(known or {})}


class Scratch(unittest.TestCase):
    def setUp(self):
        self.dir = tempfile.mkdtemp(prefix="vmrun-test-")
        self.addCleanup(shutil.rmtree, self.dir)

    def path(self, *parts):
        return os.path.join(self.dir, *parts)

    def write(self, name, text):
        with open(self.path(name), "w", encoding="utf-8") as f:
            f.write(text)
        return self.path(name)


class LoadSuitesTest(Scratch):
    def load(self, text):
        return suites.load_suites(self.write("suites.cfg", text))

    def test_defaults(self):
        tests = self.load("# comment\n[guest_memfd_test]\ncmd = guest_memfd_test\ngroups = smoke mmu full\n")
        self.assertEqual(tests, {"guest_memfd_test": {
            "cmd": "guest_memfd_test", "args": "", "groups": ["smoke", "mmu", "full"], "timeout": 300,
            "modes": ["tdp", "legacy", "shadow"], "check": [], "known": {}, "config": [], "fail_if": "",
            "unexcused_if": ""}})

    def test_fail_if_must_be_a_regex(self):
        with self.assertRaisesRegex(suites.Error, "'fail_if' is not a regular expression"):
            self.load("[t]\ncmd = t\ngroups = mmu\nfail_if = Too many (\n")
        with self.assertRaisesRegex(suites.Error, "'unexcused_if' is not a regular expression"):
            self.load("[t]\ncmd = t\ngroups = mmu\nunexcused_if = bad (\n")

    def test_all_fields(self):
        tests = self.load("""\
[access_tracking_perf_test]
cmd = access_tracking_perf_test
args = -b 16M -v 2
groups = smoke mmu full demo
timeout = 400
modes = legacy shadow
check = kvm.lockless_aging=1 kvm.nx_huge_pages=0
known = shadow: idle page tracking is slow: times out
    legacy: see https://lore.kernel.org/kvm/x: y
""")
        t = tests["access_tracking_perf_test"]
        self.assertEqual(t["args"], "-b 16M -v 2")
        self.assertEqual(t["timeout"], 400)
        self.assertEqual(t["modes"], ["legacy", "shadow"])
        self.assertEqual(t["check"], ["kvm.lockless_aging=1", "kvm.nx_huge_pages=0"])
        self.assertEqual(t["known"], {"shadow": "idle page tracking is slow: times out",
                                      "legacy": "see https://lore.kernel.org/kvm/x: y"})

    def test_keeps_file_order_and_case(self):
        tests = self.load("[b_Test]\ncmd = b\ngroups = g\n\n[a_test]\ncmd = /bin/true\ngroups = g\n")
        self.assertEqual(list(tests), ["b_Test", "a_test"])

    def test_unknown_field(self):
        with self.assertRaisesRegex(suites.Error, r"\[t\]: unknown field\(s\) group, timout"):
            self.load("[t]\ncmd = x\ngroups = g\ngroup = g\ntimout = 3\n")

    def test_missing_cmd_or_groups(self):
        for text in ("[t]\ngroups = g\n", "[t]\ncmd = x\n"):
            with self.subTest(text=text), self.assertRaisesRegex(suites.Error, r"\[t\] needs 'cmd' and 'groups'"):
                self.load(text)

    def test_unknown_mode(self):
        with self.assertRaisesRegex(suites.Error, r"\[t\]: unknown mode 'ept'"):
            self.load("[t]\ncmd = x\ngroups = g\nmodes = tdp ept\n")

    def test_bad_known_lines(self):
        for known in ("tdp fails", "all:", "npt: fails", "tdp: ok\n    just a sentence"):
            with self.subTest(known=known), self.assertRaisesRegex(suites.Error, re.escape("'known' lines are 'MODE|all|tcg: reason'")):
                self.load(f"[t]\ncmd = x\ngroups = g\nknown = {known}\n")

    def test_real_suites_cfg(self):
        tests = suites.load_suites(os.path.join(TOP, "suites.cfg"))
        self.assertGreater(len(tests), 0)
        used = {g for t in tests.values() for g in t["groups"]}
        self.assertLessEqual(used, {"smoke", "mmu", "full", "demo", "aging", "base",
                                     "bench", "bench-demo", "bench-lockstat", "nested", "repro"})
        for name, t in tests.items():
            with self.subTest(test=name):
                self.assertTrue(t["groups"], "every test is in some group")
                self.assertTrue(t["modes"], "every test runs in some mode")


class ProgramTest(unittest.TestCase):
    def test_selftest_script_and_absolute_paths(self):
        self.assertEqual(suites.program({"cmd": "x86_64/state_test"}, "/st"), "/st/x86_64/state_test")
        self.assertEqual(suites.program({"cmd": "/bin/true"}, "/st"), "/bin/true")
        self.assertEqual(suites.program({"cmd": "scripts/kunit-run.sh"}, "/st"),
                         os.path.join(TOP, "scripts", "kunit-run.sh"))


class SelectTest(unittest.TestCase):
    TESTS = {"a": {"groups": ["smoke", "mmu"]}, "b": {"groups": ["mmu"]}, "c": {"groups": ["full"]}}

    def test_by_suite_keeps_order(self):
        self.assertEqual(list(suites.select(self.TESTS, "mmu")), ["a", "b"])
        self.assertEqual(list(suites.select(self.TESTS, "smoke")), ["a"])

    def test_by_names(self):
        self.assertEqual(list(suites.select(self.TESTS, None, ["c", "a"])), ["c", "a"])

    def test_several_suites(self):
        self.assertEqual(list(suites.select(self.TESTS, "smoke,full")), ["a", "c"])
        with self.assertRaisesRegex(suites.Error, r"suite 'demo' has no tests"):
            suites.select(self.TESTS, "mmu,demo")

    def test_unknown_name(self):
        with self.assertRaisesRegex(suites.Error, "no test named x, y"):
            suites.select(self.TESTS, None, ["a", "x", "y"])

    def test_empty_suite(self):
        with self.assertRaisesRegex(suites.Error, r"suite 'demo' has no tests \(suites: full, mmu, smoke\)"):
            suites.select(self.TESTS, "demo")


class WritePlanTest(Scratch):
    def test_plan_lines(self):
        tests = {
            "state_test": dict(entry(timeout=120), cmd="x86_64/state_test"),
            "tdp_only": dict(entry(modes=["tdp"]), cmd="/usr/bin/true", args="-v", check=["kvm.lockless_aging=1"]),
        }
        plan = suites.write_plan(self.path("plan"), tests, "tdp", "svm", "/sel", 1, ["kvm.eager_page_split=0"])
        self.assertEqual(plan, [("state_test", "state_test"), ("tdp_only", "tdp_only")])
        with open(self.path("plan"), encoding="utf-8") as f:
            self.assertEqual(f.read().splitlines(), [
                "state_test 120 kvm.tdp_mmu=Y,kvm_amd.npt=Y,kvm.eager_page_split=0 /sel/x86_64/state_test",
                "tdp_only 300 kvm.tdp_mmu=Y,kvm_amd.npt=Y,kvm.lockless_aging=1,kvm.eager_page_split=0 /usr/bin/true -v",
            ])

    def test_mode_filter_and_repeat(self):
        tests = {"a": dict(entry(), cmd="a"), "b": dict(entry(modes=["tdp"]), cmd="b")}
        plan = suites.write_plan(self.path("plan"), tests, "shadow", "vmx", "/sel", 2, [])
        self.assertEqual(plan, [("a#1", "a"), ("a#2", "a")])
        with open(self.path("plan"), encoding="utf-8") as f:
            self.assertEqual(f.read(), "a#1 300 kvm_intel.ept=N /sel/a\na#2 300 kvm_intel.ept=N /sel/a\n")

    def test_no_test_in_mode(self):
        plan = suites.write_plan(self.path("plan"), {"b": dict(entry(modes=["tdp"]), cmd="b")},
                                "legacy", "svm", "/sel", 1, [])
        self.assertEqual(plan, [])
        self.assertEqual(os.path.getsize(self.path("plan")), 0)


if __name__ == "__main__":
    unittest.main()
