#!/bin/bash
# The main job (make run): install what is missing, build the patched debug
# kernel and the selftests, boot it and run a nested QEMU guest on it under
# aging and memory pressure (suite 'nested', the headline, repeated at the
# end), then the stress demonstration (suite 'demo') in all three MMU
# modes; then a short A/B of aging with and without mmu_lock on the bench
# kernel, in shadow paging (suite 'bench-demo'; the full benchmark is
# 'make bench').
. "$(dirname "$0")/lib.sh"
S=$TOP/scripts
NESTED_MODES=${NESTED_MODES:-tdp,legacy,shadow}

# The nested guest's steps and figures, per mode, from the test's log.
headline() {
	local m
	log "== headline: a nested QEMU guest (-accel kvm) on the patched KVM, its memory aged"
	log "   through page_idle and reclaimed into zram swap, its data checked (README, 'Nested guests')"
	for m in ${NESTED_MODES//,/ }; do
		grep -E '^\[ *[0-9.]+ s\]|^memory.stat|^ager, first|^nested-guest: (PASS|FAIL)|lost to the emulator' \
			"$BUILD/nested-run/$m/logs/nested_guest.log" 2>/dev/null | sed "s/^/[$m] /" >&2
	done
}
phase deps "$S/deps.sh"
phase tree "$S/worktree.sh"
phase "kernel (debug)" "$S/build-kernel.sh" debug
phase selftests "$S/build-selftests.sh" x86_64
phase "nested guest programs" "$S/nested-build.sh"
phase "nested guest" python3 "$S/vmrun.py" --suite nested --flavor debug --modes "$NESTED_MODES" \
	--out "$BUILD/nested-run" || { headline; exit 1; }
phase demo python3 "$S/vmrun.py" --suite demo --flavor debug --modes tdp,legacy,shadow
phase "kernel (bench)" "$S/build-kernel.sh" bench
rm -rf "$BUILD/bench-demo"
phase "A/B demo" python3 "$S/vmrun.py" --suite bench-demo --flavor bench --modes shadow \
	--tcg-threads multi --out "$BUILD/bench-demo"
phase "A/B table" python3 "$S/bench-report.py" "$BUILD/bench-demo" --passes 3 --modes shadow \
	--test aging_bench_demo
headline
