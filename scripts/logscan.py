#!/usr/bin/env python3
"""Find kernel reports in a serial console log and split it by test.

A report is anything the kernel prints when something is wrong: lockdep,
KCSAN, WARNING, BUG, Oops, panic, RCU stall, soft/hard lockup, hung task.
KCSAN reports the unpatched base already produces here are listed in
kcsan-allowlist.txt by the pair of functions involved; they are shown but do
not fail a test.  Given the kernel's build directory, a KCSAN report none of
whose racing functions (nor their two callers) is KVM code is shown as
"outside KVM" and does not fail a test either: the tests are about KVM, and
a race in mm's swap or the timer core is not ours to fix (kvm_functions()).

The guest runner writes markers to /dev/kmsg around every test:
    kvmlts: BEGIN <test>
    kvmlts: END <test> rc=<rc> secs=<s>
    kvmlts: DONE
so the console log alone tells which test was running when a report came.

usage: logscan.py CONSOLE_LOG [ALLOWLIST [KERNEL_BUILD_DIR]]   (prints reports per test; exit 1 if any)
"""
import glob
import os
import re
import subprocess
import sys
from dataclasses import dataclass, field

TIMESTAMP = re.compile(r"^\[\s*\d+\.\d+\]\s?")
# Strip the "[T123]"/"[C1]" caller id some configs print after the time.
CALLER = re.compile(r"^\[\s*[TC]\d+\]\s?")
MARKER = re.compile(r"kvmlts: (BEGIN|END|DONE)(?: (\S+))?(?: rc=(-?\d+))?(?: secs=(\d+))?")

# (kind, regex on a log line with the timestamp removed).  First match wins.
PATTERNS = [
    ("kcsan", re.compile(r"BUG: KCSAN: ")),
    ("lockdep", re.compile(r"WARNING: (possible (circular|recursive) locking|inconsistent lock state"
                           r"|possible irq lock inversion|suspicious RCU usage|lock held when returning"
                           r"|bad unlock balance|held lock freed|nested lock|Nested lock)")),
    ("lockdep", re.compile(r"BUG: (sleeping function called from invalid context|scheduling while atomic"
                           r"|MAX_LOCKDEP|looking up invalid subclass)")),
    ("rcu-stall", re.compile(r"rcu: INFO: \S+ (self-)?detected stall|rcu_\w+ detected stalls")),
    ("lockup", re.compile(r"watchdog: BUG: soft lockup|Watchdog detected hard LOCKUP")),
    ("hung-task", re.compile(r"INFO: task \S+ blocked for more than")),
    ("panic", re.compile(r"Kernel panic - not syncing")),
    ("oops", re.compile(r"^Oops: |general protection fault|kernel BUG at |BUG: unable to handle")),
    ("bug", re.compile(r"^BUG: |UBSAN: ")),
    ("warning", re.compile(r"^WARNING: |^------------\[ cut here \]")),
]
KCSAN_PAIR = re.compile(r"BUG: KCSAN: [\w-]+ in (\S+?)(?:\+0x[0-9a-f/x]+)? / (\S+?)(?:\+0x[0-9a-f/x]+)?\s*$")
KCSAN_ONE = re.compile(r"BUG: KCSAN: [\w-]+ in (\S+?)(?:\+0x[0-9a-f/x]+)?\s*$")
REPORT_LINES = 40
# A KCSAN report's access header ("read to 0x... of 8 bytes by task 171 on
# cpu 1:", "write (marked) to ...", "race at unexpected origin ...") and a
# stack frame under it (" func+0x370/0x470", " func.isra.0+0x1/0x2").
KCSAN_ACCESS = re.compile(r"^(read|write|race)\b.* (by (task|interrupt)|origin)\b")
FRAME = re.compile(r"^\s+([\w.]+)\+0x[0-9a-f]+/0x[0-9a-f]+")
# Where the series' code and KVM's live; their objects name KVM's functions.
KVM_DIRS = ("arch/x86/kvm", "virt/kvm")
CALLERS = 2    # callers of the racing function that still make a race KVM's


@dataclass
class Report:
    kind: str
    title: str
    lines: list = field(default_factory=list)
    allowed: str = ""          # the allowlist note when allowlisted


@dataclass
class Segment:
    """What the console printed while one test ran (or during boot)."""
    name: str
    lines: list = field(default_factory=list)
    rc: int = None
    secs: int = None
    ended: bool = False


def strip(line):
    line = TIMESTAMP.sub("", line.rstrip("\r\n"))
    return CALLER.sub("", line)


def load_allowlist(path):
    """Allowlist lines: 'funcA / funcB  # why'; order of the pair does not matter."""
    allow = {}
    if not path:
        return allow
    with open(path, encoding="utf-8") as f:
        entries = f.readlines()
    for raw in entries:
        entry, _, note = raw.partition("#")
        entry = entry.strip()
        if not entry:
            continue
        funcs = tuple(sorted(f.strip() for f in entry.split("/")))
        if not note.strip():
            raise ValueError(f"{path}: entry '{entry}' has no '# reason'")
        allow[funcs] = note.strip()
    return allow


def base_name(func):
    """'rmap_get_first.isra.0' -> 'rmap_get_first' (compiler clones)."""
    return func.split(".")[0]


def kvm_functions(builddir):
    """The functions defined by KVM's objects in a kernel build directory
    (nm), or None when there are none to read: then no report is excused as
    outside KVM."""
    objs = [o for d in KVM_DIRS for o in glob.glob(os.path.join(builddir, d, "**", "*.o"), recursive=True)]
    if not objs:
        return None
    out = subprocess.run(["nm", "--defined-only", *objs], capture_output=True, text=True, check=True).stdout
    funcs = {base_name(f[2]) for f in (line.split() for line in out.splitlines())
             if len(f) == 3 and f[1] in "tTW"}
    return funcs or None


def kcsan_frames(lines):
    """For each access of a KCSAN report, the racing function and its first
    CALLERS callers."""
    frames, cur = [], None
    for line in lines[1:]:
        if KCSAN_ACCESS.match(line):
            cur = []
            frames.append(cur)
        elif cur is not None and len(cur) <= CALLERS and FRAME.match(line):
            cur.append(base_name(FRAME.match(line).group(1)))
    return frames


def outside_kvm(rep, kvm):
    """Why REP does not concern KVM, or '' when it may: no racing function,
    and no caller among the first CALLERS of either access, is KVM's."""
    if kvm is None:
        return ""
    funcs = {base_name(f) for f in kcsan_funcs(rep.title)}
    funcs.update(f for access in kcsan_frames(rep.lines) for f in access)
    if not funcs or funcs & kvm:
        return ""
    return ("outside KVM: neither racing function nor its first "
            f"{CALLERS} callers is in {' or '.join(KVM_DIRS)}")


def kcsan_funcs(title):
    m = KCSAN_PAIR.search(title)
    if m:
        return tuple(sorted((m.group(1), m.group(2))))
    m = KCSAN_ONE.search(title)
    return (m.group(1),) if m else ()


def scan(lines, allow=None, kvm=None):
    """Return the reports found in LINES (raw console lines).  ALLOW is the
    allowlist; KVM, when given, the set of KVM's functions (kvm_functions())."""
    allow = allow or {}
    text = [strip(line) for line in lines]
    reports = []
    i = 0
    while i < len(text):
        line = text[i]
        kind = next((k for k, rx in PATTERNS if rx.search(line)), None)
        if kind is None or MARKER.search(line):
            i += 1
            continue
        title = line
        if kind == "warning" and line.startswith("------------[ cut here ]") and i + 1 < len(text):
            title = text[i + 1]    # "WARNING: CPU: 0 PID: 1 at file:line func"
        end = i + 1
        while end < len(text) and end - i < REPORT_LINES and not MARKER.search(text[end]):
            if text[end].startswith("---[ end trace") or (kind == "kcsan" and text[end].startswith("=====")):
                end += 1
                break
            end += 1
        rep = Report(kind, title, text[i:end])
        reports.append(rep)
        if kind == "kcsan":
            rep.allowed = allow.get(kcsan_funcs(title), "") or outside_kvm(rep, kvm)
            # Another CPU's report may be printed inside this one (consoles
            # interleave); an allowlisted KCSAN report must not hide it.  No
            # line of a KCSAN report itself matches a pattern but its title.
            i += 1
        else:
            i = end
    return reports


def split(lines):
    """Split console lines into segments: 'boot', then one per test, then 'after'."""
    segs = [Segment("boot")]
    done = False
    for raw in lines:
        m = MARKER.search(strip(raw))
        if m and m.group(1) == "BEGIN":
            segs.append(Segment(m.group(2)))
            continue
        if m and m.group(1) == "END":
            cur = segs[-1]
            cur.ended, cur.rc = True, int(m.group(3))
            cur.secs = int(m.group(4)) if m.group(4) else None
            segs.append(Segment("after " + cur.name))
            continue
        if m and m.group(1) == "DONE":
            done = True
            segs.append(Segment("after"))
            continue
        segs[-1].lines.append(raw)
    return segs, done


def main(argv):
    if len(argv) not in (2, 3, 4):
        sys.exit(__doc__.strip().splitlines()[-1])
    allow = load_allowlist(argv[2] if len(argv) >= 3 else None)
    kvm = kvm_functions(argv[3]) if len(argv) == 4 else None
    with open(argv[1], encoding="utf-8", errors="replace") as f:
        segs, done = split(f.readlines())
    bad = 0
    for seg in segs:
        for rep in scan(seg.lines, allow, kvm):
            tag = f"allowed: {rep.allowed}" if rep.allowed else "FAILS the test"
            print(f"{seg.name}: {rep.kind}: {rep.title} ({tag})")
            bad += not rep.allowed
    if not done:
        print("console log ends before 'kvmlts: DONE' (guest crashed, hung or was killed)")
        bad += 1
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
