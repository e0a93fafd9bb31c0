#!/usr/bin/env python3
"""Keep the hand-written part of the cover letter across 'make export'.

usage: cover.py OLD NEW [DATE]

NEW is the cover letter git format-patch just generated (subject and blurb are
placeholders, the shortlog and diffstat are current).  The subject and blurb of
OLD, if it exists, replace the placeholders in NEW, in place.  A first export
gets a blurb that says what must be written.  DATE, if given, replaces the
Date: header (git dates a cover letter "now", which churns on every export).
"""
import re
import sys

SUBJECT_PH = "*** SUBJECT HERE ***"
BLURB_PH = "*** BLURB HERE ***"
# git's shortlog header: "Author Name (N):"
SHORTLOG = re.compile(r"^\S.* \(\d+\):$")


def split_old(text):
    """Return (subject, blurb) of an existing cover letter."""
    head, _, body = text.partition("\n\n")
    subject = ""
    for line in head.splitlines():
        if line.startswith("Subject: "):
            subject = re.sub(r"^\[PATCH[^]]*\] ", "", line[len("Subject: "):])
    lines = body.splitlines()
    for i, line in enumerate(lines):
        if SHORTLOG.match(line):
            lines = lines[:i]
            break
    return subject, "\n".join(lines).strip("\n")


def main(argv):
    if len(argv) not in (3, 4):
        sys.exit(__doc__.strip().splitlines()[2])
    old_path, new_path = argv[1], argv[2]
    with open(new_path, encoding="utf-8") as f:
        new = f.read()
    if SUBJECT_PH not in new or BLURB_PH not in new:
        sys.exit(f"cover.py: {new_path} is not a git format-patch cover letter template")
    try:
        with open(old_path, encoding="utf-8") as f:
            subject, blurb = split_old(f.read())
    except FileNotFoundError:
        subject, blurb = "", ""
    subject = subject or "KVM: x86/mmu: (write the series title in patches/0000-cover-letter.patch)"
    blurb = blurb or "(Write the cover letter here: base, motivation, testing, figures, what is left out.)"
    new = new.replace(SUBJECT_PH, subject, 1).replace(BLURB_PH, blurb, 1)
    if len(argv) == 4:
        new = re.sub(r"^Date: .*$", "Date: " + argv[3], new, count=1, flags=re.M)
    with open(new_path, "w", encoding="utf-8") as f:
        f.write(new)


if __name__ == "__main__":
    main(sys.argv)
