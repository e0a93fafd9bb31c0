#!/bin/bash
# The test suite (make check; CI runs it through .ci/run).  Each phase is one
# test; the VM suite adds one test per selftest run.  The last line is
# "N passed, N failed, N skipped".  Phases after a failed build still run
# where they can, so one run shows every problem.
#
# "check.sh kcsan" (make check-kcsan) runs the KCSAN part instead: the kcsan
# kernel and the 'aging' suite on it.  It is not in make check because a cold
# kcsan kernel build plus that suite take about 25 minutes on a 2-core CI
# machine, which would push make check past its 60-minute budget.
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

# vmsuite NAME VMRUN-ARGS...: a VM run in all three MMU modes, one test per
# selftest run (the runner's closing line is added to the counts).
vmsuite() {
	local name=$1 vmlog counts
	shift
	vmlog=$BUILD/check-${name//[^a-z0-9]/-}.log
	phase "$name" python3 "$S/vmrun.py" --modes tdp,legacy,shadow \
		--out "$BUILD/runs/check-${name//[^a-z0-9]/-}" "$@" | tee "$vmlog" || true
	counts=$(tail -1 "$vmlog")
	if [[ $counts =~ ^([0-9]+)\ passed,\ ([0-9]+)\ failed,\ ([0-9]+)\ skipped$ ]]; then
		pass=$((pass + BASH_REMATCH[1]))
		fail=$((fail + BASH_REMATCH[2]))
		skip=$((skip + BASH_REMATCH[3]))
		[ "${BASH_REMATCH[2]}" = 0 ] || failed+=("$name")
	else
		fail=$((fail + 1))
		failed+=("$name (runner gave no result line)")
	fi
}

what=${1:-all}
case $what in
all | kcsan) ;;
*) die "usage: check.sh [kcsan]" ;;
esac

step deps "$S/deps.sh"
[ "$what" = kcsan ] || step unit python3 -m unittest discover -s "$TOP/tests" -t "$TOP"
step "series applies" "$S/worktree.sh"
if [ ${#failed[@]} = 0 ] && [ "$what" = kcsan ]; then
	step "kernel build (kcsan)" "$S/build-kernel.sh" kcsan
	step "selftests build" "$S/build-selftests.sh" x86_64
	if [ ${#failed[@]} = 0 ]; then
		vmsuite "aging suite (kcsan)" --suite aging --flavor kcsan --param kvm.lockless_aging=1
	fi
elif [ ${#failed[@]} = 0 ]; then
	step checkpatch "$S/checkpatch.sh"
	step "kernel build (debug)" "$S/build-kernel.sh" debug
	step "W=1 arch/x86/kvm virt/kvm" "$S/w1-check.sh" debug
	step "selftests build" "$S/build-selftests.sh" x86_64
	step "selftests cross-build arm64" "$S/build-selftests.sh" arm64
	step "selftests cross-build riscv" "$S/build-selftests.sh" riscv
	if [[ " ${failed[*]} " != *" kernel build (debug)"* && " ${failed[*]} " != *"selftests build"* ]]; then
		vmsuite "mmu suite (debug)" --suite mmu --flavor debug --param kvm.lockless_aging=1
		vmsuite "aging suite (debug, lockless aging off)" --suite aging --flavor debug \
			--param kvm.lockless_aging=0
	fi
fi

log "check: $(($(date +%s) - start))s in all${failed[*]:+; failed: ${failed[*]}}"
echo "$pass passed, $fail failed, $skip skipped"
[ "$fail" = 0 ]
