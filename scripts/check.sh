#!/bin/bash
# The test suite (make check; CI runs it through .ci/run).  Each phase is one
# test; a VM suite adds one test per selftest run, counted from the verdicts
# in its results.json.  The last line is "N passed, N failed, N skipped".
# Phases after a failed build still run where they can, so one run shows
# every problem.
#
# "check.sh kcsan" (make check-kcsan) runs only the KCSAN part: the kcsan
# kernel and the 'aging' suite on it (make check runs it too).
. "$(dirname "$0")/lib.sh"
S=$TOP/scripts
pass=0 fail=0 skip=0 failed=()
start=$(date +%s)

# step NAME CMD...: one phase counted as one test.
step() {
	local name=$1
	shift
	if phase "$name" "$@"; then
		pass=$((pass + 1))
	else
		fail=$((fail + 1))
		failed+=("$name")
	fi
}

# vmsuite NAME MODES VMRUN-ARGS...: a VM run in MODES.  Every run of
# a test counts, as its verdict in results.json says; a skip that suites.cfg
# does not explain fails (--strict-skips).  A runner that exits non-zero with
# no failed verdict (it crashed, or could not start) is one failure more.
vmsuite() {
	local name=$1 modes=$2 out rc=0 counts p f s
	shift 2
	out=$BUILD/runs/check-${name//[^a-z0-9]/-}
	rm -f "$out/results.json"
	phase "$name" python3 "$S/vmrun.py" --modes "$modes" --strict-skips \
		--out "$out" "$@" || rc=$?
	if ! counts=$(python3 "$S/results.py" "$out/results.json"); then
		fail=$((fail + 1))
		failed+=("$name (no results)")
		return
	fi
	read -r p f s <<<"$counts"
	pass=$((pass + p)) fail=$((fail + f)) skip=$((skip + s))
	if [ "$f" != 0 ]; then
		failed+=("$name")
	elif [ "$rc" != 0 ]; then
		fail=$((fail + 1))
		failed+=("$name (runner exit $rc)")
	fi
}

# has_failed NAME: did the phase NAME fail?
has_failed() { [[ " ${failed[*]} " == *" $1 "* ]]; }

what=${1:-all}
case $what in
all | kcsan) ;;
*) die "usage: check.sh [kcsan]" ;;
esac

step deps "$S/deps.sh"
[ "$what" = kcsan ] || step unit python3 -m unittest discover -s "$TOP/tests" -t "$TOP"
step "series applies" "$S/worktree.sh"
if ! has_failed "series applies"; then
	if [ "$what" = all ]; then
		step checkpatch "$S/checkpatch.sh"
		step "kernel build (debug)" "$S/build-kernel.sh" debug
		step "W=1 arch/x86/kvm virt/kvm" "$S/w1-check.sh" debug
		# PREEMPT_RT and i386 (make vendor-build) left out for time.
		step "KVM build, Debian's config" "$S/vendor-build.sh" debian
	fi
	step "selftests build" "$S/build-selftests.sh" x86_64
	step "nested guest programs" "$S/nested-build.sh"
	if [ "$what" = all ]; then
		step "selftests cross-build arm64" "$S/build-selftests.sh" arm64
		step "selftests cross-build riscv" "$S/build-selftests.sh" riscv
		if ! has_failed "kernel build (debug)" && ! has_failed "selftests build" &&
			! has_failed "nested guest programs"; then
			vmsuite "mmu suite (debug)" tdp,legacy,shadow --suite mmu --flavor debug \
				--param kvm.lockless_aging=1
			# The locked aging path in the TDP MMU and in the rmaps;
			# shadow mode's rmaps age through the same code as legacy's.
			vmsuite "aging suite (debug, lockless aging off)" tdp,legacy --suite aging \
				--flavor debug --param kvm.lockless_aging=0
			# vCPUs really in parallel (one host thread each): only shadow
			# mode, the one where multi-threaded TCG passed every run
			# (results/mttcg-rates.txt); the rmap lock and the lockless
			# walks race there for real.
			vmsuite "race tests (debug, shadow, multi-threaded TCG)" shadow \
				--test mmu_stress_test_aging --test mmu_churn_test --flavor debug \
				--tcg-threads multi --param kvm.lockless_aging=1
		fi
	fi
	step "kernel build (kcsan)" "$S/build-kernel.sh" kcsan
	if ! has_failed "kernel build (kcsan)" && ! has_failed "selftests build" &&
		! has_failed "nested guest programs"; then
		vmsuite "aging suite (kcsan)" tdp,legacy,shadow --suite aging --flavor kcsan \
			--param kvm.lockless_aging=1
	fi
fi

log "check: $(($(date +%s) - start))s in all${failed[*]:+; failed: ${failed[*]}}"
echo "$pass passed, $fail failed, $skip skipped"
[ "$fail" = 0 ]
