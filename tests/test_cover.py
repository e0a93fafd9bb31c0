"""Unit tests for scripts/cover.py."""
import os
import sys
import tempfile
import unittest

sys.path.insert(0, os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "scripts"))
import cover  # noqa: E402

# What 'git format-patch --cover-letter' writes: placeholders, current shortlog and diffstat.
TEMPLATE = """\
From 4ccc3bf5ec21ece414931dda588e7e5dfc707449 Mon Sep 17 00:00:00 2001
From: Jane Dev <jane@example.org>
Date: Fri, 21 Nov 2025 21:40:03 +0000
Subject: [PATCH 0/3] *** SUBJECT HERE ***

*** BLURB HERE ***

Jane Dev (3):
  KVM: x86/mmu: Age rmap SPTEs without holding mmu_lock
  KVM: x86/mmu: Add a lockless aging selftest knob
  KVM: selftests: Stress lockless aging in access_tracking_perf_test

 arch/x86/kvm/mmu/mmu.c                        | 64 +++++++++++++------
 .../selftests/kvm/access_tracking_perf_test.c | 12 +++-
 2 files changed, 55 insertions(+), 21 deletions(-)

-- 
2.39.5
"""

# A cover letter exported earlier and edited by hand (with an older shortlog).
OLD = """\
From 0123456789abcdef0123456789abcdef01234567 Mon Sep 17 00:00:00 2001
From: Jane Dev <jane@example.org>
Date: Mon, 17 Nov 2025 09:12:44 +0000
Subject: [PATCH v2 0/2] KVM: x86/mmu: Lockless aging for the shadow MMU

This series makes the rmap walk of the aging MMU notifiers lockless.

Tested on 6.12.117 in QEMU (TDP, legacy and shadow MMU).

Jane Dev (2):
  KVM: x86/mmu: Age rmap SPTEs without holding mmu_lock
  KVM: selftests: old patch title

 arch/x86/kvm/mmu/mmu.c | 60 ++++++++++++------
 1 file changed, 40 insertions(+), 20 deletions(-)

-- 
2.39.5
"""

OLD_BLURB = ("This series makes the rmap walk of the aging MMU notifiers lockless.\n\n"
             "Tested on 6.12.117 in QEMU (TDP, legacy and shadow MMU).")


class Scratch(unittest.TestCase):
    def setUp(self):
        d = tempfile.TemporaryDirectory()
        self.addCleanup(d.cleanup)
        self.old = os.path.join(d.name, "old-0000-cover-letter.patch")
        self.new = os.path.join(d.name, "0000-cover-letter.patch")

    def write(self, path, text):
        with open(path, "w", encoding="utf-8") as f:
            f.write(text)

    def read(self, path):
        with open(path, encoding="utf-8") as f:
            return f.read()

    def regenerate(self, old_text):
        """Run cover.py on TEMPLATE (and OLD_TEXT unless None); return the new cover letter."""
        if old_text is not None:
            self.write(self.old, old_text)
        self.write(self.new, TEMPLATE)
        cover.main(["cover.py", self.old, self.new])
        return self.read(self.new)


class SplitOldTest(unittest.TestCase):
    def test_subject_and_blurb(self):
        self.assertEqual(cover.split_old(OLD), ("KVM: x86/mmu: Lockless aging for the shadow MMU", OLD_BLURB))

    def test_template_gives_placeholders(self):
        self.assertEqual(cover.split_old(TEMPLATE), (cover.SUBJECT_PH, cover.BLURB_PH))

    def test_subject_without_patch_prefix(self):
        self.assertEqual(cover.split_old("Subject: Plain title\n\nBody\n")[0], "Plain title")

    def test_blurb_stops_at_first_shortlog_header(self):
        text = "Subject: [PATCH 0/2] T\n\nBlurb.\n\nA Person (1):\n  x\n\nB Person (1):\n  y\n"
        self.assertEqual(cover.split_old(text), ("T", "Blurb."))


class MainTest(Scratch):
    def test_keeps_subject_and_blurb_takes_new_shortlog(self):
        new = self.regenerate(OLD)
        self.assertIn("Subject: [PATCH 0/3] KVM: x86/mmu: Lockless aging for the shadow MMU\n", new)
        self.assertIn("\n\n" + OLD_BLURB + "\n\nJane Dev (3):\n", new)
        self.assertNotIn("old patch title", new)
        self.assertIn("2 files changed, 55 insertions(+), 21 deletions(-)", new)
        self.assertNotIn("***", new)

    def test_only_the_placeholders_change(self):
        new = self.regenerate(OLD)
        expected = TEMPLATE.replace(cover.SUBJECT_PH, "KVM: x86/mmu: Lockless aging for the shadow MMU") \
                           .replace(cover.BLURB_PH, OLD_BLURB)
        self.assertEqual(new, expected)

    def test_first_export_gets_instructions(self):
        new = self.regenerate(None)    # no old cover letter
        self.assertIn("Subject: [PATCH 0/3] KVM: x86/mmu: (write the series title in "
                      "patches/0000-cover-letter.patch)\n", new)
        self.assertIn("\n\n(Write the cover letter here: base, motivation, testing, figures, "
                      "what is left out.)\n\nJane Dev (3):", new)

    def test_empty_blurb_gets_instructions(self):
        old = OLD.replace(OLD_BLURB + "\n\n", "")
        new = self.regenerate(old)
        self.assertIn("Lockless aging for the shadow MMU", new)
        self.assertIn("(Write the cover letter here:", new)

    def test_regenerating_twice_is_stable(self):
        first = self.regenerate(OLD)
        second = self.regenerate(first)
        self.assertEqual(first, second)

    def test_refuses_a_file_that_is_not_a_template(self):
        self.write(self.old, OLD)
        self.write(self.new, OLD)
        with self.assertRaises(SystemExit) as cm:
            cover.main(["cover.py", self.old, self.new])
        self.assertIn("is not a git format-patch cover letter template", str(cm.exception.code))
        self.assertEqual(self.read(self.new), OLD)

    def test_date_argument_replaces_the_date(self):
        self.write(self.old, OLD)
        self.write(self.new, TEMPLATE)
        cover.main(["cover.py", self.old, self.new, "Tue, 1 Sep 2026 10:00:00 +0000"])
        new = self.read(self.new)
        self.assertIn("\nDate: Tue, 1 Sep 2026 10:00:00 +0000\n", new)
        self.assertNotIn("21:40:03", new)
        self.assertEqual(new.count("Date: "), 1)

    def test_usage(self):
        with self.assertRaises(SystemExit) as cm:
            cover.main(["cover.py", "one"])
        self.assertEqual(cm.exception.code, "usage: cover.py OLD NEW [DATE]")


if __name__ == "__main__":
    unittest.main()
