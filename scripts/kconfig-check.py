#!/usr/bin/env python3
"""List every option a config fragment asks for that the final .config lacks.

usage: kconfig-check.py DOTCONFIG FRAGMENT...

Options silently vanish when a dependency is missing; this names them.  The
last fragment to set an option wins, as in the merged config.  Exit 1 if any
option did not survive.
"""
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


def main(argv):
    if len(argv) < 3:
        sys.exit(__doc__.strip().splitlines()[2])
    final = parse(argv[1])
    wanted = {}
    for frag in argv[2:]:
        wanted.update(parse(frag))
    bad = missing(final, wanted)
    for opt, want, got in bad:
        print(f"config: {opt}={want} requested but the final .config has {opt}={got}"
              " (a missing dependency, or another option selects it)")
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
