#!/bin/bash
# The main job (make run): install what is missing, build the patched debug
# kernel and the selftests, boot it and run the stress demonstration (suite
# 'demo') in all three MMU modes; then a short A/B of aging with and without
# mmu_lock on the bench kernel, in shadow paging (suite 'bench-demo'; the
# full benchmark is 'make bench').
. "$(dirname "$0")/lib.sh"
S=$TOP/scripts
phase deps "$S/deps.sh"
phase tree "$S/worktree.sh"
phase "kernel (debug)" "$S/build-kernel.sh" debug
phase selftests "$S/build-selftests.sh" x86_64
phase demo python3 "$S/vmrun.py" --suite demo --flavor debug --modes tdp,legacy,shadow
phase "kernel (bench)" "$S/build-kernel.sh" bench
rm -rf "$BUILD/bench-demo"
phase "A/B demo" python3 "$S/vmrun.py" --suite bench-demo --flavor bench --modes shadow \
	--tcg-threads multi --out "$BUILD/bench-demo"
phase "A/B table" python3 "$S/bench-report.py" "$BUILD/bench-demo" --passes 3 --modes shadow \
	--test aging_bench_demo
