#!/bin/bash
# Run a suite on a kernel flavor and store its outcome in baseline/SUITE-FLAVOR.txt
# (the per-mode table and one line per test with the reason for every
# non-pass).  Used on the unpatched base (empty patches/series) to record
# what fails or skips in this environment before the series changes anything.
. "$(dirname "$0")/lib.sh"
suite=${1:?usage: baseline.sh SUITE FLAVOR MODES}
flavor=${2:?usage: baseline.sh SUITE FLAVOR MODES}
modes=${3:-tdp,legacy,shadow}
out=$BUILD/runs/baseline-$suite-$flavor
n=$(series_files | wc -l)
python3 "$TOP/scripts/vmrun.py" --suite "$suite" --flavor "$flavor" --modes "$modes" --out "$out" || true
mkdir -p "$TOP/baseline"
dest=$TOP/baseline/$suite-$flavor.txt
{
	echo "# Baseline: suite '$suite' on the '$flavor' kernel, modes $modes"
	echo "# base $BASE_VERSION with $n patches of patches/series applied"
	echo "# made by: make baseline SUITE=$suite FLAVOR=$flavor MODES=$modes   ($(date -u +%Y-%m-%d))"
	echo "# reasons for known failures and skips: the 'known' field of suites.cfg"
	echo
	cat "$out/summary.txt"
} >"$dest"
log "baseline: $dest"
