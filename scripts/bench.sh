#!/bin/bash
# make bench: what aging without mmu_lock costs and saves, measured side by
# side.  Builds the bench kernel (no lock debugging: configs/bench.config),
# the lockstat kernel and the selftests, then boots each MMU mode once, one
# mode at a time, and runs aging_perf_test in it without aging, with
# kvm.lockless_aging=0 and with =1, in rounds (scripts/bench-guest.sh, suite
# 'bench').  A second boot per mode on the lockstat kernel counts mmu_lock
# acquisitions and contentions (suite 'bench-lockstat').  The report
# (scripts/bench-report.py) writes build/bench/table.txt, results.json and
# bench.png.  A run that fails (the runner then reports the test as FAIL)
# invalidates its round, which the report lists with the reason and leaves
# out.  Exit status: the report's (non-zero if a mode has no log or a
# configuration has fewer than 3 valid rounds), or a build's failure.
#     bench.sh [MODES]     (default: tdp,legacy,shadow)
. "$(dirname "$0")/lib.sh"
S=$TOP/scripts
modes=${1:-tdp,legacy,shadow}
out=$BUILD/bench
phase deps "$S/deps.sh"
# Rounds and passes per run of aging_perf_test: bench-guest.sh's first two
# arguments in the 'aging_bench' section of suites.cfg (the passes are the
# same in 'aging_bench_lockstat').  After deps: python3 may not be there
# before.
read -r rounds passes < <(python3 -c '
import sys; sys.path.insert(0, sys.argv[1])
import suites
print(" ".join(suites.load_suites()["aging_bench"]["args"].split()[:2]))' "$S")
[ -n "$passes" ] || die "cannot read the rounds and passes of [aging_bench] in suites.cfg"
phase tree "$S/worktree.sh"
phase "kernel (bench)" "$S/build-kernel.sh" bench
phase "kernel (lockstat)" "$S/build-kernel.sh" lockstat
phase selftests "$S/build-selftests.sh" x86_64
rm -rf "$out"
# Multi-threaded TCG: one host thread per vCPU of the test VM, so that the
# ager and a vCPU can run at the same instant (single-threaded TCG only
# interleaves them).  One mode at a time, so that modes do not share cores.
phase "bench runs" python3 "$S/vmrun.py" --suite bench --flavor bench --modes "$modes" \
	--jobs 1 --tcg-threads multi --out "$out" || true
phase "lock counts" python3 "$S/vmrun.py" --suite bench-lockstat --flavor lockstat \
	--modes "$modes" --jobs 1 --tcg-threads multi --out "$out/lockstat" || true
phase report python3 "$S/bench-report.py" "$out" --passes "$passes" --rounds "$rounds" \
	--modes "$modes" --lockstat "$out/lockstat" --plot
