"""scripts/export.sh and scripts/baseline.sh never destroy what they replace:
export leaves patches/ alone when it has nothing (or not everything) to write,
and a baseline run that produced no results does not store an old summary as
the new baseline."""
import os
import shutil
import subprocess
import tempfile
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
TOP = os.path.dirname(HERE)


def sh(*cmd, cwd=None, env=None):
    return subprocess.run(cmd, cwd=cwd, env=env, capture_output=True, text=True)


class Workbench(unittest.TestCase):
    """A scratch copy of the workbench scripts with a tiny kernel 'tree'."""

    def setUp(self):
        self.top = tempfile.mkdtemp(prefix="wb-test-")
        self.addCleanup(shutil.rmtree, self.top)
        os.makedirs(os.path.join(self.top, "scripts"))
        for name in ("lib.sh", "export.sh", "baseline.sh", "cover.py", "results.py"):
            shutil.copy(os.path.join(TOP, "scripts", name), os.path.join(self.top, "scripts"))
        shutil.copy(os.path.join(TOP, "base.conf"), self.top)
        self.linux = os.path.join(self.top, "build", "linux")
        os.makedirs(self.linux)
        git = ["git", "-C", self.linux, "-c", "user.name=t", "-c", "user.email=t@example.org"]
        sh("git", "init", "-q", self.linux)
        # As worktree.sh does: format-patch --signoff needs an identity,
        # and a new machine has no global one.
        sh("git", "-C", self.linux, "config", "user.name", "kvm-mmu-lts")
        sh("git", "-C", self.linux, "config", "user.email", "kvm-mmu-lts@example.org")
        self.write(os.path.join(self.linux, "f.c"), "int x;\n")
        sh(*git, "add", "f.c")
        sh(*git, "commit", "-q", "-m", "base")
        sh(*git, "tag", "base")
        self.git = git
        self.patches = os.path.join(self.top, "patches")
        os.makedirs(self.patches)
        self.old = {"0000-cover-letter.patch": "Subject: [PATCH 0/1] old\n\nold blurb\n",
                    "0001-old.patch": "old patch\n", "series": "0001-old.patch\n"}
        for name, text in self.old.items():
            self.write(os.path.join(self.patches, name), text)
        self.env = {**os.environ, "KVMLTS_CACHE": os.path.join(self.top, "cache")}
        self.env.pop("BUILD", None)
        self.env.pop("KVMLTS_TREE", None)

    def write(self, path, text):
        with open(path, "w", encoding="utf-8") as f:
            f.write(text)
        os.chmod(path, 0o755)

    def contents(self):
        out = {}
        for name in sorted(os.listdir(self.patches)):
            with open(os.path.join(self.patches, name), encoding="utf-8") as f:
                out[name] = f.read()
        return out


class ExportTest(Workbench):
    def export(self):
        return sh("bash", os.path.join(self.top, "scripts", "export.sh"), env=self.env)

    def test_no_commits_leaves_patches_alone(self):
        p = self.export()
        self.assertNotEqual(p.returncode, 0)
        self.assertIn("nothing to export", p.stderr)
        self.assertEqual(self.contents(), self.old)

    def test_one_commit_replaces_the_series(self):
        self.write(os.path.join(self.linux, "f.c"), "int x = 1;\n")
        sh(*self.git, "commit", "-q", "-a", "-m", "f: set x")
        p = self.export()
        self.assertEqual(p.returncode, 0, p.stderr)
        got = self.contents()
        self.assertEqual(sorted(got), ["0000-cover-letter.patch", "0001-f-set-x.patch", "series"])
        self.assertIn("0001-f-set-x.patch", got["series"])
        self.assertIn("old blurb", got["0000-cover-letter.patch"])


class BaselineTest(Workbench):
    def setUp(self):
        super().setUp()
        s = os.path.join(self.top, "scripts")
        for name in ("build-kernel.sh", "build-selftests.sh"):
            self.write(os.path.join(s, name), "#!/bin/sh\nexit 0\n")
        os.makedirs(os.path.join(self.top, "build", "base"))
        # An earlier run's summary is still in the run directory.
        self.out = os.path.join(self.top, "build", "runs", "baseline-mmu-debug")
        os.makedirs(self.out)
        self.write(os.path.join(self.out, "summary.txt"), "OLD SUMMARY\n")
        self.write(os.path.join(self.out, "results.json"), '{"results": [{"verdict": "PASS"}]}')

    def baseline(self, runner):
        self.write(os.path.join(self.top, "scripts", "vmrun.py"), runner)
        return sh("bash", os.path.join(self.top, "scripts", "baseline.sh"), "mmu", "debug",
                  env=self.env)

    def test_runner_error_writes_no_baseline(self):
        p = self.baseline("import sys\nprint('vmrun: bad suite', file=sys.stderr)\nsys.exit(2)\n")
        self.assertNotEqual(p.returncode, 0)
        self.assertIn("the runner failed (exit 2)", p.stderr)
        self.assertFalse(os.path.exists(os.path.join(self.top, "baseline", "mmu-debug.txt")))

    def test_runner_without_results_writes_no_baseline(self):
        p = self.baseline("import sys\nsys.exit(1)\n")
        self.assertNotEqual(p.returncode, 0)
        self.assertIn("no usable results", p.stderr)
        self.assertFalse(os.path.exists(os.path.join(self.top, "baseline", "mmu-debug.txt")))

    def test_failed_tests_are_recorded(self):
        runner = ("import json, os, sys\nout = sys.argv[sys.argv.index('--out') + 1]\n"
                  "json.dump({'results': [{'verdict': 'FAIL'}]}, open(os.path.join(out, 'results.json'), 'w'))\n"
                  "open(os.path.join(out, 'summary.txt'), 'w').write('base x series abc flavor d\\nNEW\\n')\n"
                  "sys.exit(1)\n")
        p = self.baseline(runner)
        self.assertEqual(p.returncode, 0, p.stderr)
        with open(os.path.join(self.top, "baseline", "mmu-debug.txt")) as f:
            text = f.read()
        self.assertIn("NEW", text)
        self.assertNotIn("OLD SUMMARY", text)


if __name__ == "__main__":
    unittest.main()
