#!/usr/bin/env python3
"""List every option a config fragment asks for that the final .config lacks.

usage: kconfig-check.py [--undefined-ok TREE] DOTCONFIG FRAGMENT...

Options silently vanish when a dependency is missing; this names them.  The
last fragment to set an option wins, as in the merged config.  Exit 1 if any
option did not survive.  With --undefined-ok, options that no Kconfig file of
TREE defines (e.g. a test the series adds, when building the unpatched base)
are listed but do not fail.
"""
import os
import re
import sys

SET = re.compile(r"^(CONFIG_\w+)=(.*)$")
UNSET = re.compile(r"^# (CONFIG_\w+) is not set$")


def parse(path):
    values = {}
    with open(path, encoding="utf-8") as f:
        lines = f.readlines()
    for line in lines:
        line = line.strip()
        m = SET.match(line)
        if m:
            values[m.group(1)] = m.group(2)
        else:
            m = UNSET.match(line)
            if m:
                values[m.group(1)] = "n"
    return values


def missing(final, wanted):
    """Return [(option, wanted, got)] for options whose final value differs."""
    out = []
    for opt, want in wanted.items():
        got = final.get(opt, "n")
        if got != want:
            out.append((opt, want, got))
    return out


DEFINE = re.compile(r"^\s*(?:menu)?config\s+(\w+)\s*$")


def defined_symbols(tree):
    """Every CONFIG_ symbol some Kconfig file of the source tree defines."""
    syms = set()
    for d, dirs, files in os.walk(tree):
        dirs[:] = [x for x in dirs if not x.startswith(".")]
        for name in files:
            if name.startswith("Kconfig"):
                with open(os.path.join(d, name), encoding="utf-8", errors="replace") as f:
                    syms.update("CONFIG_" + m.group(1) for m in map(DEFINE.match, f) if m)
    return syms


def main(argv):
    tree = None
    if argv[1:2] == ["--undefined-ok"] and len(argv) > 2:
        tree, argv = argv[2], argv[:1] + argv[3:]
    if len(argv) < 3:
        sys.exit(__doc__.strip().splitlines()[2])
    final = parse(argv[1])
    wanted = {}
    for frag in argv[2:]:
        wanted.update(parse(frag))
    bad = missing(final, wanted)
    if tree and bad:
        known = defined_symbols(tree)
        for opt, want, _ in [b for b in bad if b[0] not in known]:
            print(f"config: {opt}={want} requested, not defined by {tree} (ignored)")
        bad = [b for b in bad if b[0] in known]
    for opt, want, got in bad:
        print(f"config: {opt}={want} requested but the final .config has {opt}={got}"
              " (a missing dependency, or another option selects it)")
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
