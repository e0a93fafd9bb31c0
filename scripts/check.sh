#!/bin/bash
# The test suite (make check; CI runs it through .ci/run).  Each phase is one
# test; the VM suite adds one test per selftest run.  The last line is
# "N passed, N failed, N skipped".  Phases after a failed build still run
# where they can, so one run shows every problem.
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

step deps "$S/deps.sh"
step unit python3 -m unittest discover -s "$TOP/tests" -t "$TOP"
step "series applies" "$S/worktree.sh"
if [ ${#failed[@]} = 0 ]; then
	step checkpatch "$S/checkpatch.sh"
	step "kernel build (debug)" "$S/build-kernel.sh" debug
	step "W=1 arch/x86/kvm virt/kvm" "$S/w1-check.sh" debug
	step "selftests build" "$S/build-selftests.sh" x86_64
	step "selftests cross-build arm64" "$S/build-selftests.sh" arm64
	step "selftests cross-build riscv" "$S/build-selftests.sh" riscv
	if [[ " ${failed[*]} " != *" kernel build "* && " ${failed[*]} " != *"selftests build"* ]]; then
		vmlog=$BUILD/check-vmtest.log
		phase "mmu suite" python3 "$S/vmrun.py" --suite mmu --flavor debug \
			--modes tdp,legacy,shadow --out "$BUILD/runs/check-mmu" | tee "$vmlog" || true
		counts=$(tail -1 "$vmlog")
		if [[ $counts =~ ^([0-9]+)\ passed,\ ([0-9]+)\ failed,\ ([0-9]+)\ skipped$ ]]; then
			pass=$((pass + BASH_REMATCH[1]))
			fail=$((fail + BASH_REMATCH[2]))
			skip=$((skip + BASH_REMATCH[3]))
			[ "${BASH_REMATCH[2]}" = 0 ] || failed+=("mmu suite")
		else
			fail=$((fail + 1))
			failed+=("mmu suite (runner gave no result line)")
		fi
	fi
fi

log "check: $(($(date +%s) - start))s in all${failed[*]:+; failed: ${failed[*]}}"
echo "$pass passed, $fail failed, $skip skipped"
[ "$fail" = 0 ]
