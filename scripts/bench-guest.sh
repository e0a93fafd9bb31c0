#!/bin/bash
# make bench, inside the test VM: run aging_perf_test without aging, with
# kvm.lockless_aging=0 (aging under mmu_lock) and with kvm.lockless_aging=1,
# one after the other, ROUNDS times, for each vCPU count and memory size.
# The parameter is switched at runtime; the test prints its value before and
# after its passes, and scripts/bench-report.py rejects a run where it is not
# the one asked for.  On a kernel with /proc/lock_stat (the lockstat flavor),
# the lock statistics are cleared before each run and mmu_lock's lines are
# printed after it.
#     bench-guest.sh ROUNDS PASSES "VCPUS..." "SIZES..."
# Output: for each run a line "== bench vcpus=V size=S round=R variant=X"
# and the test's output.  Exit status: 1 if a run failed or the parameter
# could not be set, 0 otherwise.
# Each run is killed after BENCH_RUN_TIMEOUT seconds (default 90; a run
# takes a few seconds under TCG): multi-threaded TCG sometimes leaves a
# nested vCPU stuck for good, and one stuck run must cost its round, not
# the whole test VM's time.  BENCH_PARAM and BENCH_LOCK_STAT replace the
# paths of the parameter and of the lock statistics (for the unit tests).
usage='usage: bench-guest.sh ROUNDS PASSES "VCPUS..." "SIZES..."'
rounds=${1:?$usage}
passes=${2:?$usage}
vcpus_list=${3:?$usage}
sizes=${4:?$usage}
prog=${KVMLTS_SELFTESTS:-$(dirname "$0")/../build/selftests}/aging_perf_test
param=${BENCH_PARAM:-/sys/module/kvm/parameters/lockless_aging}
lock_stat=${BENCH_LOCK_STAT:-/proc/lock_stat}
run_timeout=${BENCH_RUN_TIMEOUT:-90}

[ -x "$prog" ] || { echo "bench: no $prog (selftests not built?)"; exit 1; }
[ -w "$param" ] || { echo "bench: no writable $param (kernel without the series?)"; exit 1; }

# Lock statistics are collected only while kernel.lock_stat is 1.
if [ -e "$lock_stat" ]; then
	echo 1 >/proc/sys/kernel/lock_stat || { echo "bench: cannot enable lock statistics"; exit 1; }
	head -1 "$lock_stat"
	grep -m1 'class name' "$lock_stat" | sed 's/^ */lock_stat: /'
fi

rc=0
run() { # VCPUS SIZE ROUND VARIANT
	local args=(-v "$1" -b "$2" -p "$passes")
	echo "== bench vcpus=$1 size=$2 round=$3 variant=$4"
	case $4 in
	none) args+=(-n) ;;
	locked) echo 0 >"$param" || { echo "bench: cannot set $param"; rc=1; return; } ;;
	lockless) echo 1 >"$param" || { echo "bench: cannot set $param"; rc=1; return; } ;;
	esac
	[ -e "$lock_stat" ] && echo 0 >"$lock_stat"
	timeout -k 5 "$run_timeout" "$prog" "${args[@]}"
	local st=$?
	if [ $st = 124 ] || [ $st = 137 ]; then
		echo "bench: timed out after ${run_timeout}s (exit status $st)"
		rc=1
	elif [ $st != 0 ]; then
		echo "bench: exit status $st"
		rc=1
	fi
	if [ -e "$lock_stat" ]; then
		# The statistics lines of the lock class, named after the
		# rwlock_init() argument, "&(kvm)->mmu_lock" (a rwlock has one
		# line for write and one for read holders: "-W:", "-R:").
		grep -E '^ *&\(?kvm\)?->mmu_lock(-[RW])?:' "$lock_stat" | sed 's/^ */lock_stat: /'
	fi
}

# The variants' order changes from round to round, so that none of them
# always runs first (right after the previous size's VM) or last.
orders=("none locked lockless" "lockless none locked" "locked lockless none")
for v in $vcpus_list; do
	for s in $sizes; do
		for r in $(seq 1 "$rounds"); do
			for variant in ${orders[$(((r - 1) % 3))]}; do
				run "$v" "$s" "$r" "$variant"
			done
		done
	done
done
echo 1 >"$param"
exit $rc
