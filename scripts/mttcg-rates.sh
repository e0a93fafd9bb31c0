#!/bin/bash
# Pass rates of the race tests with one host thread per VM (single-threaded
# TCG, what make check uses) and one per vCPU (multi-threaded TCG: vCPUs
# really run at once), on the patched kernel and on the unpatched base:
#     mttcg-rates.sh [RUNS]          (make mttcg-rates RUNS=10)
# One boot per (kernel, threads, mode), each test repeated RUNS times in it
# (default 10); multi-threaded boots run one at a time (each takes both
# cores).  The grid, from the environment:
#     RATES_TESTS    mmu_stress_test mmu_stress_test_aging
#     RATES_MODES    tdp legacy shadow
#     RATES_THREADS  single multi
#     RATES_KERNELS  debug base-debug   (flavors: build/kernel-FLAVOR;
#                    base-debug is the unpatched base, as 'make baseline')
#     RATES_QEMU     the qemu-system-x86_64 to use (default: the one in
#                    PATH, Debian's 7.2; "10": QEMU 10.0 from
#                    bookworm-backports, scripts/fetch-qemu10.sh); its
#                    version names the rows
#     RATES_SELFTESTS  the selftest programs (default: the series',
#                    build/selftests, on both kernels: the same binaries,
#                    so only the kernel differs; build/selftests-base, from
#                    'make baseline', runs the base's own tests)
# The table goes to build/rates/table-STAMP.txt (and stdout); each boot's
# logs under build/rates/VERSION-KERNEL-THREADS-STAMP/.
. "$(dirname "$0")/lib.sh"
runs=${1:-10}
[[ $runs =~ ^[1-9][0-9]*$ ]] || die "usage: mttcg-rates.sh [RUNS] (a positive number, not '$runs')"
tests=${RATES_TESTS:-mmu_stress_test mmu_stress_test_aging}
modes=${RATES_MODES:-tdp legacy shadow}
threads=${RATES_THREADS:-single multi}
kernels=${RATES_KERNELS:-debug base-debug}
selftests=${RATES_SELFTESTS:-$BUILD/selftests}
[ -d "$selftests" ] || die "no selftests in $selftests (make selftests; the base's: make baseline)"
for k in $kernels; do
	[ -f "$BUILD/kernel-$k/arch/x86/boot/bzImage" ] ||
		die "no kernel $k in $BUILD/kernel-$k (debug: make kernel; base-debug: make baseline FLAVOR=debug builds it)"
done
case ${RATES_QEMU:-} in
"") qemu=$(command -v qemu-system-x86_64) || die "no qemu-system-x86_64: run 'make deps'" ;;
10) qemu=$("$TOP/scripts/fetch-qemu10.sh") ;;
*) qemu=$RATES_QEMU ;;
esac
[ -f "$qemu" ] && [ -x "$qemu" ] || die "RATES_QEMU=$qemu is not an executable"
qemu=$(readlink -f "$qemu")
version=$("$qemu" --version | sed -n '1s/.*version \([0-9.]*\).*/\1/p')
[ -n "$version" ] || die "cannot tell the version of $qemu"

# Each invocation's boots get their own directories: rates.py can add up
# the runs of several invocations (QEMU=DIR/results.json ...).
stamp=$(date -u +%Y%m%d-%H%M%S)
# vmrun runs "qemu-system-x86_64" from PATH: put the chosen one first (a
# directory per invocation: two at once may use two QEMUs of one version).
bin=$BUILD/rates/qemu-$version-$stamp/bin
mkdir -p "$bin"
ln -sf "$qemu" "$bin/qemu-system-x86_64"
targs=()
for t in $tests; do targs+=(--test "$t"); done
inputs=()
for k in $kernels; do
	for th in $threads; do
		jobs=3
		[ "$th" = single ] || jobs=1
		out=$BUILD/rates/$version-$k-$th-$stamp
		rm -f "$out/results.json"
		PATH=$bin:$PATH phase "rates: QEMU $version, $k kernel, $th-threaded TCG" \
			python3 "$TOP/scripts/vmrun.py" "${targs[@]}" --modes "${modes// /,}" --flavor "$k" \
			--tcg-threads "$th" --jobs "$jobs" --repeat "$runs" --selftests "$selftests" \
			--out "$out" || true
		# A boot that died leaves the runs it finished; none at all is an error.
		[ -f "$out/results.json" ] || die "no results in $out: see its console logs"
		inputs+=("$version=$out/results.json")
	done
done
python3 "$TOP/scripts/rates.py" "${inputs[@]}" | tee "$BUILD/rates/table-$stamp.txt"
