#!/bin/bash
# Run a suite on the unpatched base and store its outcome in
# baseline/SUITE-FLAVOR.txt (SUITE-FLAVOR-MODES.txt when not all three MMU
# modes ran): the per-mode table and one line per test, with the reason for
# every non-pass.  The base's own kernel (build/kernel-base-
# FLAVOR) and selftests are built from tag 'base' in a worktree (build/base);
# tests the series adds are listed as not in the base tree.
. "$(dirname "$0")/lib.sh"
need_linux
suite=${1:?usage: baseline.sh SUITE FLAVOR MODES}
flavor=${2:?usage: baseline.sh SUITE FLAVOR MODES}
modes=${3:-tdp,legacy,shadow}

wt=$BUILD/base
[ -d "$wt" ] || run git -C "$LINUX" worktree add -q --detach "$wt" "$BASE_TAG"
KVMLTS_TREE=$wt KVMLTS_UNDEFINED_OK=1 "$TOP/scripts/build-kernel.sh" "$flavor" "$BUILD/kernel-base-$flavor"
KVMLTS_TREE=$wt "$TOP/scripts/build-selftests.sh" x86_64 "$BUILD/selftests-base"

name=$suite-$flavor
[ "$modes" = tdp,legacy,shadow ] || name+=-${modes//,/+}
out=$BUILD/runs/baseline-$name
# Failing tests are what a baseline records (vmrun exits 1); a runner that
# could not run (exit 2 and up) or left no results must not leave an old
# summary to be copied as the new baseline.
rm -f "$out/summary.txt" "$out/results.json"
rc=0
python3 "$TOP/scripts/vmrun.py" --suite "$suite,base" --flavor "base-$flavor" --modes "$modes" \
	--selftests "$BUILD/selftests-base" --absent-ok --out "$out" || rc=$?
[ "$rc" -le 1 ] || die "baseline: the runner failed (exit $rc); baseline/ left unchanged"
python3 "$TOP/scripts/results.py" "$out/results.json" >/dev/null && [ -f "$out/summary.txt" ] ||
	die "baseline: the run left no usable results in $out; baseline/ left unchanged"
mkdir -p "$TOP/baseline"
dest=$TOP/baseline/$name.txt
{
	echo "# Baseline: suite '$suite' (+ 'base') on the '$flavor' kernel, unpatched $BASE_VERSION, modes $modes"
	echo "# made by: make baseline SUITE=$suite FLAVOR=$flavor MODES=$modes   ($(date -u +%Y-%m-%d))"
	echo "# reasons for known failures and skips: the 'known' field of suites.cfg"
	echo
	# The summary names the series of build/linux; a baseline ran none of it.
	sed '1s/ series [^ ]* / series none /' "$out/summary.txt"
} >"$dest"
log "baseline: $dest"
